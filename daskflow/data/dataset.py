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
import os
import threading

import numpy as np

from .. import dtypes, errors
from ..graph import Graph, Tensor, TensorShape
from . import structure as nest
from .blocks import Reader, concat, ordered_map, restack, shuffle_blocks, shuffle_elements, unstack
from .columns import Column, as_source, block_bounds, readonly, whole

__all__ = ["Dataset", "TensorSpec", "AUTOTUNE"]

AUTOTUNE = -1
RANGE_BLOCK = 1 << 16


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
        ctx = _Context(_evaluate_tensors(self._tensors(), session, feed_dict), iteration)
        self._check(ctx)
        return self._elements(ctx)

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


class _Range(Dataset):
    def __init__(self, r, dtype):
        self._range = r
        super().__init__(TensorSpec((), dtype))

    def _blocks(self, ctx, order=None):
        r, dt = self._range, self._structure.dtype
        for i in range(0, len(r), RANGE_BLOCK):
            sub = r[i:i + RANGE_BLOCK]
            yield [np.arange(sub.start, sub.stop, sub.step, dtype=dt)]


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


# -- transformations

def _spec_defined(ds):
    return all(s.shape.is_fully_defined() for s in ds._specs())


class _Shuffle(Dataset):
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


class _Batch(Dataset):
    def __init__(self, input, batch_size, drop_remainder):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise errors.InvalidArgumentError(None, None, f"batch: batch_size must be a positive int, got "
                                              f"{batch_size!r}")
        self.n, self.drop = int(batch_size), bool(drop_remainder)
        lead = self.n if self.drop else None
        super().__init__(nest.map_structure(lambda s: TensorSpec((lead,) + tuple(s.shape), s.dtype),
                                            input._structure), [input])

    def _blocks(self, ctx, order=None):
        n, pending, have = self.n, [], 0  # pending: fewer than n rows waiting for more
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


class _Repeat(Dataset):
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


class _Take(Dataset):
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


class _Skip(Dataset):
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


class _GraphFn:
    """A user function of an element, built once into a private graph on placeholders shaped as the element,
    and run by a private Session on element values (numpy in, numpy out)."""

    def __init__(self, structure, fn):
        self.graph = Graph()
        with self.graph.as_default():
            from ..ops.registry import convert_to_tensor
            from ..ops.state import placeholder
            self.feeds = [placeholder(s.dtype, s.shape if s.shape.ndims is not None else None, name=f"arg{i}")
                          for i, s in enumerate(nest.flatten(structure))]
            arg = nest.pack(structure, self.feeds)
            out = fn(*arg) if isinstance(arg, tuple) and not hasattr(arg, "_fields") else fn(arg)
            self.structure = tuple(out) if isinstance(out, list) else out
            self.fetches = [convert_to_tensor(t) for t in nest.flatten(self.structure)]
        self._session = None
        self._lock = threading.Lock()

    def __call__(self, elem):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    from ..session import Session
                    self._session = Session(graph=self.graph, scheduler="sync")
        vals = self._session.run(self.fetches, feed_dict=dict(zip(self.feeds, elem)))
        return [np.asarray(v) for v in vals]


class _Map(Dataset):
    def __init__(self, input, fn, num_parallel_calls):
        self.workers = (os.cpu_count() or 1) if num_parallel_calls == AUTOTUNE else (num_parallel_calls or 1)
        self._fn = _GraphFn(input._structure, fn)
        super().__init__(nest.pack(self._fn.structure, [TensorSpec(t.shape, t.dtype) for t in self._fn.fetches]),
                         [input])

    def _blocks(self, ctx, order=None):
        elems = (e for block in self._inputs[0]._blocks(ctx, order) for e in unstack(block))
        if self.workers > 1:
            outs = ordered_map(self._fn, elems, self.workers)
        else:
            outs = map(self._fn, elems)
        yield from restack(outs)


class _Filter(Dataset):
    def __init__(self, input, predicate):
        self._fn = _GraphFn(input._structure, predicate)
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


class _Prefetch(Dataset):
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

