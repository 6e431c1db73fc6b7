"""Block algorithms: the shuffle buffer, batching, mapping and background reading over blocks (lists of numpy
arrays, one per component, whose leading axis counts elements)."""
import collections
import concurrent.futures
import threading

import numpy as np

from .. import errors
from . import columns


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
        step = max(1, columns.BLOCK_BYTES // max(1, sum(b[0].nbytes for b in buf)))
        for i in range(0, filled, step):
            yield [b[perm[i:i + step]] for b in buf]


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


def overhead(k):
    """Bytes of the Python objects of one block or element of ``k`` components beyond their data: the list, and
    each array's header, shape and strides."""
    return 64 + 264 * k


def unstack(block):
    return ([x[i] for x in block] for i in range(len(block[0])))


def restack(elems):
    """Consecutive elements of equal shapes stacked back into blocks of up to ``BLOCK_BYTES`` (an element that
    big is a block by itself, not copied). The elements waiting are counted with their Python objects, which
    outweigh the data of small ones."""
    group, key, size = [], None, 0
    for e in elems:
        k = tuple(x.shape for x in e)
        nbytes = sum(x.nbytes for x in e) + overhead(len(e))
        if group and (k != key or size + nbytes > columns.BLOCK_BYTES):
            yield _stack(group)
            group, size = [], 0
        group.append(e)
        key, size = k, size + nbytes
    if group:
        yield _stack(group)


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
