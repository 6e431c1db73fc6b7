"""``Dataset``: TF1's ``tf.data`` input pipeline over numpy, dask, zarr, h5py and memory-mapped arrays.

Every dataset streams *blocks*: lists of numpy arrays (one per component of the element structure) whose leading
axis counts elements, so a pipeline over a million rows moves a few hundred arrays, not a million Python objects.
Storage-backed sources are read in contiguous row blocks aligned with their chunks; nothing reads a whole array.

Examples
--------
>>> import numpy as np, daskflow as df
>>> x = np.arange(10, dtype="float32").reshape(5, 2)
>>> ds = df.data.Dataset.from_tensor_slices((x, np.arange(5))).batch(2)
>>> [yb.tolist() for xb, yb in ds]
[[0, 1], [2, 3], [4]]
"""
import collections
import itertools
import math
import os

import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, TensorShape
from . import columns
from . import structure as nest
from .blocks import (Held, Reader, Unbounded, bounded, concat, ordered_map, ordered_map_bytes, overhead, restack,
                     restack_bytes, run_bytes, shuffle_blocks, shuffle_blocks_bytes, shuffle_elements,
                     shuffle_elements_bytes, shuffle_last_rows, unstack)
from .columns import Column, as_source, block_bounds, readonly, whole
from .functions import GraphFn

__all__ = ["Dataset", "TensorSpec", "AUTOTUNE"]

AUTOTUNE = -1
RANGE_BLOCK = 1 << 16
PASS_BYTES = 256 << 10  # the Python objects of one pass (measured: ~120 KiB, mostly free lists)


class TensorSpec:
    """Static dtype and shape of one component of a dataset's elements."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = TensorShape(shape), dtypes.as_dtype(dtype)

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and self.shape == other.shape and self.dtype == other.dtype

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype.name})"


# -- one pass over a pipeline

class _Context:
    """State of one iteration over a pipeline: the values of its tensor inputs, which iteration this is (for
    reshuffling) and how many passes each shuffle has made in it (under ``repeat``)."""

    def __init__(self, values, iteration):
        self.values, self.iteration = values, iteration
        self._passes = collections.Counter()

    def next_pass(self, ds):
        n = self._passes[id(ds)]
        self._passes[id(ds)] += 1
        return n


def _evaluate_tensors(tensors, session=None, feed_dict=None):
    """Values of the dataset's tensor inputs, computed in ``session`` (default: the default session, else a
    throwaway one on the tensors' graph)."""
    if not tensors:
        return {}
    from ..session import Session, get_default_session
    graph = tensors[0].graph
    sess = session or get_default_session()
    if sess is not None and sess.graph is graph:
        return dict(zip(tensors, sess.run(list(tensors), feed_dict=feed_dict)))
    with Session(graph=graph) as s:
        return dict(zip(tensors, s.run(list(tensors), feed_dict=feed_dict)))


def _spec_of(src, sliced):
    if isinstance(src, Tensor):
        shape = src.shape if src.shape.ndims is not None else None
        if sliced and shape is not None:
            shape = shape[1:]
        return TensorSpec(shape, src.dtype)
    shape = (src.n,) + tuple(src.row_shape)
    return TensorSpec(shape[1:] if sliced else shape, src.dtype)


class Dataset(nest.HasElementSpec):
    """A sequence of elements, each a structure (tuple, dict, namedtuple) of arrays, built by chaining
    transformations as TF1's ``tf.data.Dataset``.

    Iterate it in Python (``for x, y in ds``: numpy values) or through a graph iterator
    (``ds.make_one_shot_iterator().get_next()``: tensors that pull one element per ``Session.run``).
    """

    # Each concrete dataset defines ``_blocks(ctx, order=None)``: the element blocks of one pass. ``order``, when
    # given, is a random generator with which a source visits its row blocks in random order (transformations
    # that treat elements independently pass it on).

    _py_iterations = None

    def __init__(self, structure, inputs=()):
        self._structure = structure
        self._inputs = tuple(inputs)

    # -- static description
    @property
    def element_spec(self):
        """The structure of ``TensorSpec`` of one element."""
        return self._structure

    def _specs(self):
        return nest.flatten(self._structure)

    def __repr__(self):
        return f"<{type(self).__name__} element_spec={self._structure}>"

    # -- running
    def _tensors(self):
        """Tensors whose values this pipeline reads, evaluated once when an iteration starts."""
        return list(dict.fromkeys(t for d in self._inputs for t in d._tensors()))

    def _elements(self, ctx):
        for block in self._blocks(ctx):
            for i in range(len(block[0])):
                yield [leaf[i] for leaf in block]

    def _iterate(self, session=None, feed_dict=None, iteration=0):
        return self._elements(self._context(session, feed_dict, iteration))

    def _context(self, session=None, feed_dict=None, iteration=0):
        ctx = _Context(_evaluate_tensors(self._tensors(), session, feed_dict), iteration)
        self._check(ctx)
        return ctx

    def _check(self, ctx):
        """Raise now, when an iteration starts, for tensor values that cannot be iterated."""
        for d in self._inputs:
            d._check(ctx)

    def __iter__(self):
        if self._py_iterations is None:
            self._py_iterations = itertools.count()
        return _PyIterator(self._iterate(iteration=next(self._py_iterations)), self._structure)

    def as_numpy_iterator(self):
        """An iterator over the elements as numpy structures (the same as ``iter(ds)``)."""
        return iter(self)

    # -- memory, projected without iterating
    def _held_bytes(self, values=None):
        """The most bytes one iteration over this dataset holds at once: buffers, queues, blocks being read or
        built and the block its consumer holds, from the element shapes and the transformations' parameters.
        None when no static shape bounds an element (a map to unknown shapes, strings). ``values``: {tensor: value}
        of its tensor inputs, once an iterator has evaluated them (they tell sizes their static shapes do not)."""
        try:
            h = self._held(False, values or {})
        except Unbounded:
            return None
        # and the element being handed out, and Python's own: frames, free lists of small objects
        return int(h.peak + h.block + 2 * overhead(len(self._specs())) + PASS_BYTES)

    # Each dataset defines ``_held(order, values) -> Held``: what one pass holds, its inputs' included, with
    # ``order`` as in ``_blocks`` (sources read finer blocks under a shuffle). A transformation that pulls blocks
    # from its input also holds the last of them while the input makes the next (the loop's variable); its
    # consumer holds its last output block likewise (counted by the consumer as the input's ``block``), which is
    # that same block when it is passed on or viewed.
    _same_elements = False  # elements are the input's (shuffle, repeat, take, skip, filter, prefetch)

    def _held(self, order, values):
        raise Unbounded  # a dataset that does not say what it holds

    def _shapes(self, values):
        """Each component's largest shape, as ints; ``Unbounded`` where nothing bounds a dim."""
        if self._same_elements:
            return self._inputs[0]._shapes(values)
        return [bounded(s.shape) for s in self._specs()]

    def _elem_bytes(self, values):
        specs = self._specs()
        if any(dtypes.is_string(s.dtype) for s in specs):
            raise Unbounded
        return sum(math.prod(shp) * s.dtype.itemsize for shp, s in zip(self._shapes(values), specs))

    def _count(self, values):
        """The most elements of one pass; None when not known (or endless)."""
        return self._inputs[0]._count(values) if self._inputs else None

    def _through(self, h, own=0, views=True):
        """``Held`` of a transformation that passes on each block of its input (of ``Held`` ``h``), or views of it,
        holding ``own`` bytes besides: the last block it pulled is the one its consumer holds."""
        o = overhead(len(self._specs()))
        return Held(h.peak + own, h.block + o, h.block if views else h.shared, h.rows, h.per_row)

    # -- sources
    @staticmethod
    def from_tensor_slices(tensors):
        """A dataset whose elements are the slices of ``tensors`` along their first axis.

        Parameters
        ----------
        tensors : array-like or structure of array-likes
            numpy arrays, lists, dask arrays, zarr arrays, h5py datasets, memory maps or Tensors, all with the
            same first dimension. Storage-backed arrays are read lazily in row blocks; Tensors are evaluated
            when an iterator over the dataset is initialized (so they may depend on placeholders).
        """
        return _TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors):
        """A dataset with the single element ``tensors``."""
        return _FromTensors(tensors)

    @staticmethod
    def range(*args, output_type=np.int64):
        """Like Python's ``range``: ``range(stop)``, ``range(start, stop[, step])``, as int64 scalars."""
        r = range(*[int(a) for a in args])
        return _Range(r, dtypes.as_dtype(output_type))

    @staticmethod
    def zip(datasets):
        """Elements of several datasets side by side; ``datasets`` is a tuple or dict of datasets."""
        return _Zip(datasets)

    # -- transformations
    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Elements drawn uniformly from a buffer of ``buffer_size`` elements (TF's semantics).

        Sources also visit their row blocks in random order, so a buffer smaller than the data still mixes
        the whole data set. Each pass is a permutation of the input. With a seed (or a graph-level seed) the
        order is reproducible; with ``reshuffle_each_iteration`` each pass (each repetition, each iterator
        initialization) gets a different, still reproducible, order.
        """
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def batch(self, batch_size, drop_remainder=False):
        """Consecutive elements stacked into batches of ``batch_size``; the last may be smaller unless
        ``drop_remainder``."""
        return _Batch(self, batch_size, drop_remainder)

    def repeat(self, count=None):
        """The dataset ``count`` times over (forever when None or -1)."""
        return _Repeat(self, count)

    def map(self, map_func, num_parallel_calls=None):
        """``map_func`` applied to each element; it receives Tensors shaped as the element (unpacked when the
        element is a tuple) and builds graph ops, once, into a private graph run by a private Session."""
        return _Map(self, map_func, num_parallel_calls)

    def filter(self, predicate):
        """The elements for which ``predicate`` (built into graph ops like ``map``'s function; it returns a
        scalar bool tensor) is true."""
        return _Filter(self, predicate)

    def unbatch(self):
        """The rows of each element as separate elements (the inverse of ``batch``)."""
        return _Unbatch(self)

    def prefetch(self, buffer_size):
        """Elements read ahead on a background thread, up to ``buffer_size`` of them (at least one block), so
        that reading overlaps the consumer's work."""
        return _Prefetch(self, buffer_size)

    def take(self, count):
        """The first ``count`` elements (all when -1)."""
        return _Take(self, count)

    def skip(self, count):
        """All but the first ``count`` elements."""
        return _Skip(self, count)

    # -- graph iterators
    def make_one_shot_iterator(self):
        """An iterator that initializes itself on first use in each Session (TF1)."""
        from .iterator import Iterator
        return Iterator._one_shot(self)

    def make_initializable_iterator(self, shared_name=None):
        """An iterator to be (re)started by running its ``initializer`` (with feeds, if the dataset reads
        placeholders)."""
        from .iterator import Iterator
        return Iterator._initializable(self)


class _PyIterator:
    """Python iteration over a dataset; ``close()`` (or dropping it) stops any background reader."""

    def __init__(self, gen, structure):
        self._gen, self._structure = gen, structure

    def __iter__(self):
        return self

    def __next__(self):
        return nest.pack(self._structure, next(self._gen))

    def close(self):
        self._gen.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- sources

class _TensorSlices(Dataset):
    def __init__(self, tensors):
        self._sources = [as_source(v, i) for i, v in enumerate(nest.flatten(tensors))]
        if not self._sources:
            raise errors.InvalidArgumentError(None, None, "from_tensor_slices needs at least one component")
        _check_rows([_rows_of(s) for s in self._sources])
        super().__init__(nest.pack(tensors, [_spec_of(s, sliced=True) for s in self._sources]))

    def _tensors(self):
        return [s for s in self._sources if isinstance(s, Tensor)]

    def _check(self, ctx):
        self._columns(ctx)

    def _columns(self, ctx):
        for s in self._tensors():
            if np.ndim(ctx.values[s]) == 0:
                raise errors.InvalidArgumentError(None, s.op, f"from_tensor_slices: tensor '{s.name}' is a "
                                                  "scalar, which has no first dimension to slice")
        cols = [Column(np.asarray(ctx.values[s])) if isinstance(s, Tensor) else s for s in self._sources]
        _check_rows([c.n for c in cols])
        return cols

    def _blocks(self, ctx, order=None):
        cols = self._columns(ctx)
        bounds = block_bounds(cols, cols[0].n, merge=order is None)
        spans = list(zip(bounds[:-1], bounds[1:]))
        if order is not None:
            spans = [spans[i] for i in order.permutation(len(spans))]
        for a, b in spans:
            yield [c.read(a, b) for c in cols]

    def _sized(self, values):
        """The columns of a pass, with tensors not yet evaluated standing in by their static shapes."""
        return [(Column(np.asarray(values[s])) if s in values else _SpecColumn(s)) if isinstance(s, Tensor) else s
                for s in self._sources]

    def _shapes(self, values):
        return [tuple(c.row_shape) for c in self._sized(values)]

    def _count(self, values):
        return next((c.n for c in self._sized(values) if c.n is not None), None)

    def _held(self, order, values):
        # storage columns are copied block by block (their reads decode chunks); in-memory ones are viewed;
        # tensors are evaluated whole when the pass starts and kept to its end
        cols = self._sized(values)
        kept = [c for c, s in zip(cols, self._sources) if isinstance(s, Tensor)]
        copied = [c for c in cols if c.copies]
        if any(dtypes.is_string(c.dtype) for c in kept + copied) or any(c.n is None for c in kept):
            raise Unbounded
        resident = sum(c.n * c.row_bytes() for c in kept)
        n = self._count(values)
        if n is None:  # only tensors of unknown length: blocks of the fixed size
            n = max(1, columns.block_bytes() // max(1, sum(c.row_bytes() for c in cols)))
        bounds = block_bounds(cols, n, merge=not order)
        per_row = sum(c.row_bytes() for c in copied)
        rows = peak = 0
        for a, b in zip(bounds[:-1], bounds[1:]):
            rows = max(rows, b - a)
            peak = max(peak, (b - a) * per_row + max((c.read_extra(a, b) for c in copied), default=0))
        o = overhead(len(cols))
        return Held(resident + peak + o, rows * per_row + o, 0, rows, per_row)


class _SpecColumn(Column):
    """A tensor's column before it is evaluated: its static shape (the number of rows may be unknown)."""

    def __init__(self, t):
        if t.shape.ndims is None:
            raise Unbounded
        self.arr, self.n, self.dtype, self.row_shape = None, t.shape[0], t.dtype, bounded(t.shape[1:])


def _rows_of(src):
    if isinstance(src, Tensor):
        return src.shape[0] if src.shape.ndims else None
    return src.n


def _check_rows(rows):
    known = [r for r in rows if r is not None]
    if len(set(known)) > 1:
        raise errors.InvalidArgumentError(None, None, "from_tensor_slices: all components must have the same "
                                          f"size in their first dimension, got {rows}")


class _FromTensors(Dataset):
    def __init__(self, tensors):
        self._sources = [whole(v) for v in nest.flatten(tensors)]
        super().__init__(nest.pack(tensors, [TensorSpec(s.shape, s.dtype) for s in self._sources]))

    def _tensors(self):
        return [s for s in self._sources if isinstance(s, Tensor)]

    def _blocks(self, ctx, order=None):
        yield [np.asarray(ctx.values[s])[None] if isinstance(s, Tensor) else readonly(s[None])
               for s in self._sources]

    def _shapes(self, values):
        return [(np.shape(values[s]) if s in values else bounded(s.shape)) if isinstance(s, Tensor) else s.shape
                for s in self._sources]

    def _count(self, values):
        return 1

    def _held(self, order, values):
        # tensors are evaluated when the pass starts; the one block is views
        tensors = [i for i, s in enumerate(self._sources) if isinstance(s, Tensor)]
        if any(dtypes.is_string(self._sources[i].dtype) for i in tensors):
            raise Unbounded
        shapes, o = self._shapes(values), overhead(len(self._sources))
        resident = sum(math.prod(shapes[i]) * self._sources[i].dtype.itemsize for i in tensors)
        return Held(resident + o, o, 0, 1, 0)


class _Range(Dataset):
    def __init__(self, r, dtype):
        self._range = r
        super().__init__(TensorSpec((), dtype))

    def _blocks(self, ctx, order=None):
        r, dt = self._range, self._structure.dtype
        for i in range(0, len(r), RANGE_BLOCK):
            sub = r[i:i + RANGE_BLOCK]
            yield [np.arange(sub.start, sub.stop, sub.step, dtype=dt)]

    def _count(self, values):
        return len(self._range)

    def _held(self, order, values):
        size = self._structure.dtype.itemsize
        rows = min(len(self._range), RANGE_BLOCK)
        return Held(rows * size + overhead(1), rows * size + overhead(1), 0, rows, size)


class _Zip(Dataset):
    def __init__(self, datasets):
        if not isinstance(datasets, (tuple, dict)) or not all(isinstance(d, Dataset) for d in
                                                             nest.flatten(datasets)):
            raise TypeError("Dataset.zip takes a tuple or dict of Datasets")
        self._datasets = datasets
        flat = nest.flatten(datasets)
        super().__init__(nest.pack(datasets, [d._structure for d in flat]), flat)

    def _blocks(self, ctx, order=None):
        its = [d._blocks(ctx) for d in self._inputs]
        cur = [None] * len(its)
        while True:
            for j, it in enumerate(its):
                while cur[j] is None or len(cur[j][0]) == 0:
                    cur[j] = next(it, None)
                    if cur[j] is None:
                        return
            m = min(len(c[0]) for c in cur)
            yield [leaf[:m] for c in cur for leaf in c]
            cur = [[leaf[m:] for leaf in c] for c in cur]

    def _shapes(self, values):
        return [shp for d in self._inputs for shp in d._shapes(values)]

    def _count(self, values):
        return min((n for n in (d._count(values) for d in self._inputs) if n is not None), default=None)

    def _held(self, order, values):
        # one block (or what is left of it) of each input, and views of them all as the output
        hs, o = [d._held(False, values) for d in self._inputs], overhead(len(self._specs()))
        block = sum(h.block for h in hs) + o
        return Held(sum(h.peak + h.block for h in hs) + block, block, block, min(h.rows for h in hs),
                    sum(h.per_row for h in hs))


# -- transformations

def _spec_defined(ds):
    return all(s.shape.is_fully_defined() for s in ds._specs())


class _Shuffle(Dataset):
    _same_elements = True

    def __init__(self, input, buffer_size, seed, reshuffle_each_iteration):
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, (int, np.integer)) or buffer_size < 1:
            raise errors.InvalidArgumentError(None, None, f"shuffle: buffer_size must be a positive int, got "
                                              f"{buffer_size!r}")
        from ..ops.random import get_seed
        self.buffer_size, self.reshuffle = int(buffer_size), reshuffle_each_iteration
        self.seed = get_seed(seed)
        super().__init__(input._structure, [input])

    def _rng(self, ctx):
        key = list(self.seed) + ([ctx.iteration, ctx.next_pass(self)] if self.reshuffle else [])
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))

    def _blocks(self, ctx, order=None):
        rng = self._rng(ctx)
        order = np.random.Generator(np.random.PCG64(rng.integers(0, 2**63)))
        blocks = self._inputs[0]._blocks(ctx, order)
        if _spec_defined(self._inputs[0]):
            yield from shuffle_blocks(blocks, self.buffer_size, rng)
        else:
            yield from shuffle_elements(blocks, self.buffer_size, rng)

    def _held(self, order, values):
        # a buffer of buffer_size elements (or of the whole input, when smaller), copied from the input's blocks
        ds, k = self._inputs[0], len(self._specs())
        h, elem, n = ds._held(True, values), ds._elem_bytes(values), ds._count(values)
        size = self.buffer_size if n is None else min(self.buffer_size, n)
        if _spec_defined(ds):
            # the input blocks the buffer's elements come from (the last of them viewed in part)
            fill = h.block + run_bytes(h, size, -(-size // max(h.rows, 1)) + 1, k)
            own = shuffle_blocks_bytes(size, h.rows, elem, k, fill, h.block)
            rows = max(h.rows, shuffle_last_rows(size, elem), 1)
            return Held(h.peak + own, rows * elem + overhead(k), 0, rows, elem)
        own = shuffle_elements_bytes(size, elem, k)
        return Held(h.peak + h.block + own, elem + 2 * overhead(k), 0, 1, elem + overhead(k))


class _Batch(Dataset):
    def __init__(self, input, batch_size, drop_remainder):
        if isinstance(batch_size, Tensor):  # evaluated when an iteration starts, as TF1's
            if batch_size.dtype.kind not in "iu" or batch_size.shape.ndims not in (None, 0):
                raise errors.InvalidArgumentError(None, batch_size.op, "batch: batch_size must be a scalar int "
                                                  f"tensor, got '{batch_size.name}' of shape {batch_size.shape} "
                                                  f"and dtype {batch_size.dtype.name}")
            self._size, self.n = batch_size, None
        else:
            self._size, self.n = None, self._checked(batch_size)
        self.drop = bool(drop_remainder)
        lead = self.n if self.drop else None
        super().__init__(nest.map_structure(lambda s: TensorSpec((lead,) + tuple(s.shape), s.dtype),
                                            input._structure), [input])

    @staticmethod
    def _checked(batch_size):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise errors.InvalidArgumentError(None, None, f"batch: batch_size must be a positive int, got "
                                              f"{batch_size!r}")
        return int(batch_size)

    def _tensors(self):
        return super()._tensors() + ([self._size] if self._size is not None else [])

    def _check(self, ctx):
        super()._check(ctx)
        self._n(ctx.values)

    def _n(self, values):
        """The batch size: the int given, or the tensor's value (``Unbounded`` before it is known)."""
        if self._size is None:
            return self.n
        if self._size not in values:
            raise Unbounded
        return self._checked(np.asarray(values[self._size]).item())

    def _blocks(self, ctx, order=None):
        n, pending, have = self._n(ctx.values), [], 0  # pending: fewer than n rows waiting for more
        for block in self._inputs[0]._blocks(ctx):
            k = len(block[0])
            if have + k < n:
                pending.append(block)
                have += k
                continue
            start = 0
            if pending:  # one batch across blocks is copied; the others are views of the block
                start = n - have
                yield [x[None] for x in concat(pending + [[x[:start] for x in block]])]
            m = (k - start) // n
            if m:
                yield [x[start:start + m * n].reshape((m, n) + x.shape[1:]) for x in block]
            rest = start + m * n
            pending, have = ([[x[rest:] for x in block]], k - rest) if rest < k else ([], 0)
        if have and not self.drop:
            yield [x[None] for x in concat(pending)]

    def _shapes(self, values):
        return [(self._n(values),) + shp for shp in self._inputs[0]._shapes(values)]

    def _count(self, values):
        n = self._inputs[0]._count(values)
        if n is None or (self._size is not None and self._size not in values):
            return None
        return n // self._n(values) if self.drop else -(-n // self._n(values))

    def _held(self, order, values):
        # input blocks of fewer than batch_size elements waiting, and the batch copied across them; the other
        # batches are views of the input block
        ds, k, n = self._inputs[0], len(self._specs()), self._n(values)
        h, elem = ds._held(False, values), ds._elem_bytes(values)
        # the blocks waiting (the first may be the tail of a block, the last is the one it pulled last)
        own = h.block + run_bytes(h, n - 1, n - 1, k) + n * elem + 3 * overhead(k)
        return Held(h.peak + own, max(n * elem + overhead(k), h.block) + overhead(k), h.block,
                    max(1, h.rows // n), n * max(elem, h.per_row))


class _Repeat(Dataset):
    _same_elements = True

    def __init__(self, input, count):
        self.count = None if count is None or count < 0 else int(count)
        super().__init__(input._structure, [input])

    def _blocks(self, ctx, order=None):
        for _ in itertools.count() if self.count is None else range(self.count):
            empty = True
            for block in self._inputs[0]._blocks(ctx, order):
                empty = False
                yield block
            if empty:  # an empty input repeated forever is still empty
                return

    def _count(self, values):
        n = self._inputs[0]._count(values)
        return n if n == 0 else None if n is None or self.count is None else n * self.count

    def _held(self, order, values):
        return self._through(self._inputs[0]._held(order, values), views=False)


class _Take(Dataset):
    _same_elements = True

    def __init__(self, input, count):
        self.count = int(count)
        super().__init__(input._structure, [input])

    def _blocks(self, ctx, order=None):
        left = self.count
        if left == 0:
            return
        for block in self._inputs[0]._blocks(ctx):
            if left >= 0 and len(block[0]) >= left:
                yield [x[:left] for x in block]
                return
            left -= len(block[0]) if left >= 0 else 0
            yield block

    def _count(self, values):
        n = self._inputs[0]._count(values)
        return n if self.count < 0 else self.count if n is None else min(n, self.count)

    def _held(self, order, values):
        return self._through(self._inputs[0]._held(False, values))


class _Skip(Dataset):
    _same_elements = True

    def __init__(self, input, count):
        self.count = int(count)
        super().__init__(input._structure, [input])

    def _blocks(self, ctx, order=None):
        left = self.count
        for block in self._inputs[0]._blocks(ctx):
            if left < 0:
                return
            if left >= len(block[0]):
                left -= len(block[0])
                continue
            yield [x[left:] for x in block]
            left = 0

    def _count(self, values):
        n = self._inputs[0]._count(values)
        return 0 if self.count < 0 else None if n is None else max(0, n - self.count)

    def _held(self, order, values):
        h = self._inputs[0]._held(False, values)
        return self._through(h, h.block)  # a block skipped whole is held while the consumer holds an older one


class _Map(Dataset):
    def __init__(self, input, fn, num_parallel_calls):
        self.workers = (os.cpu_count() or 1) if num_parallel_calls == AUTOTUNE else (num_parallel_calls or 1)
        self._fn = GraphFn(input._structure, fn)
        super().__init__(nest.pack(self._fn.structure, [TensorSpec(t.shape, t.dtype) for t in self._fn.fetches]),
                         [input])

    def _blocks(self, ctx, order=None):
        elems = (e for block in self._inputs[0]._blocks(ctx, order) for e in unstack(block))
        if self.workers > 1:
            outs = ordered_map(self._fn, elems, self.workers)
        else:
            outs = map(self._fn, elems)
        yield from restack(outs)

    def _held(self, order, values):
        # workers calls at once and twice as many elements in flight, then the outputs restacked into blocks
        ds, k = self._inputs[0], len(self._specs())
        h, elem = ds._held(order, values), self._elem_bytes(values)
        group, block, rows = restack_bytes(elem, k, ds._count(values))
        w, shared = self.workers, 0
        # elements in flight are views of the input's blocks: of the one it reads (counted) and of those before
        window = run_bytes(h, 2 * w, 2 * w, len(ds._specs())) if w > 1 else 0
        own = window + ordered_map_bytes(self._fn.held_bytes(), elem + overhead(k), w) + group
        if rows == 1:  # an element too big to share a block is passed on as it is: the input's, if returned
            block = shared = max(block, h.block + overhead(k))
        return Held(h.peak + h.block + own, block, shared, rows, max(elem, h.per_row))


class _Filter(Dataset):
    _same_elements = True

    def __init__(self, input, predicate):
        self._fn = GraphFn(input._structure, predicate)
        out = self._fn.fetches
        if len(out) != 1 or out[0].dtype != np.bool_ or out[0].shape.ndims not in (0, None):
            raise errors.InvalidArgumentError(None, out[0].op if out else None, "filter: the predicate must "
                                              f"return one scalar bool tensor, got {self._fn.structure!r}")
        super().__init__(input._structure, [input])

    def _blocks(self, ctx, order=None):
        for block in self._inputs[0]._blocks(ctx, order):
            keep = np.array([bool(self._fn(e)[0]) for e in unstack(block)], dtype=bool)
            if keep.any():
                yield [x[keep] for x in block]

    def _held(self, order, values):
        # the predicate's run on one element, a flag for each element of the block, and the copy of those kept
        h, elem, k = self._inputs[0]._held(order, values), self._elem_bytes(values), len(self._specs())
        own = self._fn.held_bytes() + 9 * h.rows + h.rows * elem + 2 * overhead(k)
        return Held(h.peak + h.block + own, h.rows * elem + overhead(k), 0, h.rows, elem)


class _Unbatch(Dataset):
    def __init__(self, input):
        specs = input._specs()
        if any(s.shape.ndims in (0, None) for s in specs):
            raise errors.InvalidArgumentError(None, None, "unbatch: every component needs a leading dimension, "
                                              f"got {input.element_spec}")
        super().__init__(nest.map_structure(lambda s: TensorSpec(s.shape[1:], s.dtype), input._structure),
                         [input])

    def _blocks(self, ctx, order=None):
        for block in self._inputs[0]._blocks(ctx):
            for i in range(len(block[0])):
                elem = [x[i] for x in block]
                if len({len(x) for x in elem}) > 1:
                    raise errors.InvalidArgumentError(None, None, "unbatch: the components of an element have "
                                                      f"different leading dims {[len(x) for x in elem]}")
                yield elem

    def _shapes(self, values):
        return [shp[1:] for shp in self._inputs[0]._shapes(values)]

    def _count(self, values):
        ds = self._inputs[0]
        n = ds._count(values)
        try:
            return None if n is None else n * ds._shapes(values)[0][0]
        except Unbounded:
            return None

    def _held(self, order, values):
        # each element of the input's block passed on as a block of views; a run of them covers whole input
        # elements of at least (the static leading dim, else one) rows
        ds = self._inputs[0]
        h, rows = self._through(ds._held(False, values)), ds._shapes(values)[0][0]
        lead = ds._specs()[0].shape[0] or 1
        return h._replace(rows=rows, per_row=h.per_row / lead)


class _Prefetch(Dataset):
    _same_elements = True

    def __init__(self, input, buffer_size):
        size = (os.cpu_count() or 1) if buffer_size == AUTOTUNE else buffer_size
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise errors.InvalidArgumentError(None, None, f"prefetch: buffer_size must be a non-negative int or "
                                              f"AUTOTUNE, got {buffer_size!r}")
        self.size = int(size)
        super().__init__(input._structure, [input])

    def _blocks(self, ctx, order=None):
        if self.size == 0:
            yield from self._inputs[0]._blocks(ctx, order)
            return
        reader = Reader(self._inputs[0]._blocks(ctx, order), self.size)
        try:
            yield from reader
        finally:
            reader.stop()

    def _held(self, order, values):
        # the reading thread's input making a block, and the blocks waiting (the last it put among them, or held
        # by the consumer)
        h = self._inputs[0]._held(order, values)
        if self.size == 0:
            return h
        return self._through(h, Reader.queue_bytes(h, self.size, len(self._specs())), views=False)

