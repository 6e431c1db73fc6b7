"""Block algorithms: the shuffle buffer, batching, mapping and background reading over blocks (lists of numpy
arrays, one per component, whose leading axis counts elements), and the most memory each holds."""
import collections
import concurrent.futures
import threading
from typing import NamedTuple

import numpy as np

from .. import errors
from . import columns


class Held(NamedTuple):
    """The memory of one pass over a pipeline, projected from its element shapes and parameters (bytes)."""

    peak: int  # the most this transformation and its inputs hold at once, the block it is making included
    block: int  # the most one output block keeps alive (a view keeps its whole base alive), with its objects
    shared: int  # the most one output block keeps alive beyond its own elements (0 for copies: see run_bytes)
    rows: int  # the most elements in one output block
    per_row: float  # data a run of output blocks keeps alive per element (see ``run_bytes``)


class Unbounded(Exception):
    """An element whose size no static shape bounds (a map to unknown shapes, strings)."""


def bounded(shape):
    """A static shape's dims as ints; ``Unbounded`` where one is unknown."""
    if shape.ndims is None or not shape.is_fully_defined():
        raise Unbounded
    return tuple(int(d) for d in shape)


def overhead(k):
    """Bytes of the Python objects of one block or element of ``k`` components beyond their data: the list, and
    each array's header, shape and strides."""
    return 64 + 264 * k


def run_bytes(h, rows, blocks, k):
    """The most a run of consecutive whole blocks of a pipeline of ``Held`` ``h`` keeps alive, with ``rows`` elements
    in at most ``blocks`` blocks of ``k`` components: each block at most ``h.block``, and together their elements
    plus what the two blocks at its ends view outside it (blocks in between share their bases with the run)."""
    return min(blocks * h.block, rows * h.per_row + 2 * h.shared + blocks * overhead(k))


def shuffle_blocks(blocks, size, rng):
    """TF's shuffle buffer, one block of draws at a time: each incoming element is swapped for a uniformly
    drawn buffer slot. Draws that hit a slot filled earlier in the same block take that block's element, so
    the result is exactly the element-at-a-time algorithm."""
    buf, parts, filled = None, [], 0
    for block in blocks:
        k = len(block[0])
        if buf is None:  # filling the buffer; allocated when full, so a huge buffer_size costs only the data
            take = min(size - filled, k)
            parts.append([x[:take] for x in block])
            filled += take
            if filled < size:
                continue
            buf = [np.concatenate(xs) for xs in zip(*parts)]
            parts = None
            block = [x[take:] for x in block]
            k -= take
            if k == 0:
                continue
        js = rng.integers(0, size, size=k)
        order = np.argsort(js, kind="stable")
        sj = js[order]
        again = np.zeros(k, bool)  # (in sorted order) a slot already drawn earlier in this block
        again[1:] = sj[1:] == sj[:-1]
        # output i is the buffer's old slot js[i], unless an earlier element of this block went there
        out_pos, in_rows = order[again], order[np.flatnonzero(again) - 1]
        out = []
        for b, x in zip(buf, block):
            o = b.take(js, axis=0)
            o[out_pos] = x[in_rows]
            b[js] = x  # repeated slots keep the last of their elements, as numpy assigns in order
            out.append(o)
        yield out
    if buf is None and filled:
        buf = [np.concatenate(xs) for xs in zip(*parts)]
    if filled:
        perm = rng.permutation(filled)
        step = max(1, columns.block_bytes() // max(1, sum(b[0].nbytes for b in buf)))
        for i in range(0, filled, step):
            yield [b[perm[i:i + step]] for b in buf]


def shuffle_blocks_bytes(size, rows, elem, k, fill, last):
    """The most ``shuffle_blocks`` holds beyond its input, for a buffer of ``size`` elements of ``elem`` bytes and
    input blocks of up to ``rows``: the buffer, plus the largest of filling it (``fill``: the input blocks that its
    elements keep alive until they are copied in), drawing one block (the input block, of up to ``last`` bytes; its
    output, a gather's temporary and seven index arrays) and emptying it (the last blocks taken and drawn, the
    permutation and a block of up to ``block_bytes()``)."""
    draw = last + 2 * rows * elem + 7 * 8 * rows + overhead(k)
    empty = last + rows * elem + 8 * size + shuffle_last_rows(size, elem) * elem + 2 * overhead(k)
    return size * elem + overhead(k) + max(fill, draw, empty)


def shuffle_last_rows(size, elem):
    """The most elements in one of the blocks that empty the buffer."""
    return min(size, max(1, columns.block_bytes() // max(1, elem)))


def shuffle_elements(blocks, size, rng):
    """The same buffer over elements of varying shape (e.g. batches with a short last one), one at a time. The
    buffer holds copies: a view would keep its whole block alive for as long as the element waits."""
    buf = []
    for block in blocks:
        for i in range(len(block[0])):
            elem = [np.array(x[i]) for x in block]
            if len(buf) < size:
                buf.append(elem)
                continue
            j = rng.integers(0, size)
            buf[j], elem = elem, buf[j]
            yield [x[None] for x in elem]
    for j in rng.permutation(len(buf)):
        yield [x[None] for x in buf[j]]


def shuffle_elements_bytes(size, elem, k):
    """The most ``shuffle_elements`` holds beyond its input: ``size`` copies of elements of up to ``elem`` bytes (and a
    pointer each), one coming in, one going out, and the permutation that empties the buffer."""
    one = elem + overhead(k)
    return size * (one + 8) + 2 * one + 8 * size + overhead(k)


def concat(blocks):
    if len(blocks) == 1:
        return blocks[0]
    out = []
    for i, parts in enumerate(zip(*blocks)):
        shapes = {p.shape[1:] for p in parts if len(p)}
        if len(shapes) > 1:
            a, b = sorted(shapes)[:2]
            raise errors.InvalidArgumentError(None, None, f"Cannot batch tensors with different shapes in "
                                              f"component {i}: one element has shape {a}, another {b}")
        out.append(np.concatenate(parts))
    return out


def unstack(block):
    return ([x[i] for x in block] for i in range(len(block[0])))


def restack(elems):
    """Consecutive elements of equal shapes stacked back into blocks of up to ``block_bytes()`` (an element that
    big is a block by itself, not copied). The elements waiting are counted with their Python objects, which
    outweigh the data of small ones."""
    group, key, size = [], None, 0
    for e in elems:
        k = tuple(x.shape for x in e)
        nbytes = sum(x.nbytes for x in e) + overhead(len(e))
        if group and (k != key or size + nbytes > columns.block_bytes()):
            yield _stack(group)
            group, size = [], 0
        group.append(e)
        key, size = k, size + nbytes
    if group:
        yield _stack(group)


def restack_bytes(elem, k, count=None):
    """For ``count`` (None: any number of) elements of ``elem`` bytes: the most ``restack`` holds (a group of
    elements, the view of each that ``np.stack`` makes, and the block stacked from them), the most one block holds,
    and the most elements in one block."""
    one = elem + overhead(k)
    rows = max(1, columns.block_bytes() // one)
    rows = rows if count is None else max(1, min(rows, count))
    block = rows * elem + overhead(k)
    return rows * (one + overhead(k)) + block, block, rows


def _stack(elems):
    if len(elems) == 1:
        return [x[None] for x in elems[0]]
    return [np.stack(xs) for xs in zip(*elems)]


def ordered_map(fn, items, workers):
    """``map(fn, items)`` on a thread pool, in order, with at most ``2 * workers`` calls in flight."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        window = collections.deque()
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def ordered_map_bytes(call, elem, workers):
    """The most ``ordered_map`` holds beyond its items: ``workers`` calls holding up to ``call`` bytes each and
    ``2 * workers`` results of up to ``elem`` bytes waiting in their futures."""
    return workers * call + 2 * workers * (elem + 1024)


class Reader:
    """A background thread reading blocks from ``source`` while fewer than ``limit`` elements wait."""

    _DONE = object()

    def __init__(self, source, limit):
        self.source, self.limit = source, limit
        self.items, self.queued = collections.deque(), 0
        self.cond = threading.Condition()
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name="daskflow-prefetch", daemon=True)
        self.thread.start()

    @staticmethod
    def queue_bytes(h, limit, k):
        """The most blocks of a source of ``Held`` ``h`` waiting at once: a block is put while fewer than ``limit``
        elements wait, so at most ``limit`` blocks of fewer than ``limit + h.rows`` elements."""
        return run_bytes(h, limit - 1 + h.rows, limit, k)

    def _put(self, item, n):
        with self.cond:
            while self.queued >= self.limit and not self.stopped:
                self.cond.wait()
            if self.stopped:
                return False
            self.items.append(item)
            self.queued += n
            self.cond.notify_all()
            return True

    def _run(self):
        try:
            for block in self.source:
                if not self._put(block, len(block[0])):
                    break
        except BaseException as e:  # handed to the consumer, raised there
            self._put(Failure(e), 0)
            return
        finally:
            self.source.close()
        self._put(self._DONE, 0)

    def __iter__(self):
        while True:
            with self.cond:
                while not self.items:
                    self.cond.wait()
                item = self.items.popleft()
                if item is not self._DONE and not isinstance(item, Failure):
                    self.queued -= len(item[0])
                self.cond.notify_all()
            if item is self._DONE:
                return
            if isinstance(item, Failure):
                raise item.error
            yield item

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        if threading.current_thread() is not self.thread:
            self.thread.join()


class Failure:
    def __init__(self, error):
        self.error = error
