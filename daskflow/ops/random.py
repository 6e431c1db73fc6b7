"""Seeded random tensors whose values do not depend on chunking or scheduler.

Seeds follow TF1's rules (a graph-level seed set by ``set_random_seed`` plus an op-level ``seed``). Every value
is a pure function of (graph seed, op seed, run counter, global flat element index): a counter-based generator
in the style of splitmix64, evaluated independently per element, so any chunk can be computed anywhere in any
order. As in TF1, each ``Session.run`` that executes a random op draws new numbers: the session supplies the op's
run counter at run time (``Lowering.sources.rng``).
"""
import math
import secrets

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors, planner
from ..graph import TensorShape, get_default_graph, name_scope
from ..lowering import current
from .math import add, multiply, subtract
from .hostvalue import check_int_input, has_tensor, host_lowered, host_vector, int_arg, shape_str
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, register

__all__ = ["normal", "uniform", "truncated_normal", "random_normal", "random_uniform"]

DEFAULT_GRAPH_SEED = 87654321  # TF1's graph seed when only an op seed is given

_MASK = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_TRUNCATE = 2.0  # truncated_normal keeps |z| < 2 standard deviations, as TF

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_INTS = (dtypes.int32, dtypes.int64)


# -- seeds (build time)

def get_seed(op_seed):
    """TF1's ``get_seed``: the (graph seed, op seed) pair an op created now uses.

    Both unset: both are drawn from the OS's entropy once, here. Only the op seed: the graph seed is
    ``DEFAULT_GRAPH_SEED``. Only the graph seed: the op seed is the number of ops in the graph so far, so a
    program that builds the same graph gets the same numbers.
    """
    graph = get_default_graph()
    graph_seed = graph.seed
    if graph_seed is None and op_seed is None:
        return secrets.randbits(63), secrets.randbits(63)
    if graph_seed is None:
        graph_seed = DEFAULT_GRAPH_SEED
    if op_seed is None:
        op_seed = len(graph.get_operations())
    return int(graph_seed), int(op_seed)


def _shape_arg(shape):
    """The output shape as an int vector tensor: python ints, lists, TensorShapes (fully known) and tensors (e.g.
    ``df.shape(x)``, or a list holding tensors), whose values may be known only at run time."""
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"random ops need a fully defined TensorShape, got {shape}; pass a shape tensor such "
                             "as df.shape(x) for dims known only at run time")
        shape = list(shape)
    if not has_tensor(shape):
        dims = [shape] if np.ndim(shape) == 0 else list(np.ravel(np.asarray(shape, dtype=object)))
        for d in dims:
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                raise ValueError(f"random ops need a shape of ints, got {shape!r}")
            if d < 0:
                raise ValueError(f"random op shape {tuple(dims)} has a negative dimension")
        shape = [int(d) for d in dims]
    return int_arg(shape, "shape")


def _check_dtype(dtype, allowed, fn):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in allowed:
        raise TypeError(f"Value passed to parameter 'dtype' of {fn} has DataType {dtype.name} not in list of allowed "
                        f"values: {', '.join(d.name for d in allowed)}")
    return dtype


# -- the generator (run time, per block)

def _mix_int(z):
    """splitmix64's finaliser on a python int (no numpy scalar arithmetic, so no overflow warnings)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK
    return z ^ (z >> 31)


def _stream_key(seed, seed2, counter, stream):
    """A 64-bit key per (graph seed, op seed, run counter, stream); each step is a bijection of its input."""
    k = 0
    for v in (seed, seed2, counter, stream):
        k = _mix_int((k ^ (v & _MASK)) + _GOLDEN)
    return k


def _bits(m, idx, key):
    """64 random bits per element: splitmix64's output number ``idx`` of the stream seeded with ``key``.
    ``idx`` is a 1-d uint64 array (arrays, never scalars: uint64 wrap-around is intended)."""
    u = m.uint64
    z = idx * u(_GOLDEN) + u(key)
    z = (z ^ (z >> u(30))) * u(_MIX1)
    z = (z ^ (z >> u(27))) * u(_MIX2)
    return z ^ (z >> u(31))


def _work_dtype(dtype):
    """Floats are computed in float32 at least (float16 from float32 values)."""
    return dtypes.float64 if dtype == dtypes.float64 else dtypes.float32


def _unit(m, bits, w, out=None):
    """Uniform floats of dtype ``w`` in [0, 1) from the top bits, as many as the mantissa of ``out`` (default
    ``w``) holds: every value is exact in ``out``, so casting to it cannot round up to 1."""
    nbits = np.finfo(out or w).nmant + 1
    return (bits >> m.uint64(64 - nbits)).astype(w) * w.type(2.0 ** -nbits)


def _normal(m, idx, keys, round_, w):
    """Standard normals by Box-Muller from streams ``2*round_`` and ``2*round_ + 1``."""
    u1 = 1 - _unit(m, _bits(m, idx, keys(2 * round_)), w)  # in (0, 1]: log is finite
    u2 = _unit(m, _bits(m, idx, keys(2 * round_ + 1)), w)
    return m.sqrt(-2 * m.log(u1)) * m.cos(w.type(2 * math.pi) * u2)


_PIECE = 1 << 20  # elements generated at a time: temporaries stay small whatever the chunk size


def _global_index(m, info, start, stop):
    """Global C-order flat indices of the block's elements ``start:stop`` (block-local C order)."""
    local = m.arange(start, stop, dtype=m.uint64)
    idx = m.zeros(stop - start, dtype=m.uint64)
    stride = 1
    for (lo, hi), n in reversed(list(zip(info["array-location"], info["shape"]))):
        size = m.uint64(hi - lo)
        idx += (local % size + m.uint64(lo)) * m.uint64(stride)
        local //= size
        stride *= n
    return idx


def _fill(m, block_info, dtype, draw):
    """The output block, with ``draw(idx)`` giving the values at global flat indices ``idx`` (a 1-d uint64
    array), computed ``_PIECE`` elements at a time."""
    info = block_info[None]
    shape = tuple(info["chunk-shape"])
    out = m.empty(math.prod(shape), dtype=dtype)
    for start in range(0, out.size, _PIECE):
        stop = min(start + _PIECE, out.size)
        out[start:stop] = draw(_global_index(m, info, start, stop))
    return out.reshape(shape)


def _keys(seed, seed2, counter):
    n = int(counter)
    return lambda stream: _stream_key(seed, seed2, n, stream)


def _normal_block(counter, seed, seed2, out_dtype, block_info=None):
    m = backend.xp(counter)
    keys, w = _keys(seed, seed2, counter), _work_dtype(out_dtype)
    return _fill(m, block_info, out_dtype, lambda idx: _normal(m, idx, keys, 0, w))


def _truncated(m, idx, keys, w):
    z = _normal(m, idx, keys, 0, w)
    redo = m.nonzero(m.abs(z) >= _TRUNCATE)[0]
    round_ = 1
    while redo.size:  # each element's redraws depend only on its own index: chunking does not matter
        again = _normal(m, idx[redo], keys, round_, w)
        z[redo] = again
        redo = redo[m.abs(again) >= _TRUNCATE]
        round_ += 1
    return z


def _truncated_block(counter, seed, seed2, out_dtype, block_info=None):
    m = backend.xp(counter)
    keys, w = _keys(seed, seed2, counter), _work_dtype(out_dtype)
    return _fill(m, block_info, out_dtype, lambda idx: _truncated(m, idx, keys, w))


def _uniform_block(counter, seed, seed2, out_dtype, block_info=None):
    m = backend.xp(counter)
    key, w = _keys(seed, seed2, counter)(0), _work_dtype(out_dtype)
    return _fill(m, block_info, out_dtype, lambda idx: _unit(m, _bits(m, idx, key), w, out_dtype))


def _uniform_int_block(counter, minval, maxval, seed, seed2, out_dtype, where, block_info=None):
    m = backend.xp(counter)
    lo, hi = int(minval), int(maxval)
    if lo >= hi:
        raise errors.InvalidArgumentError(None, None, f"Need minval < maxval: {lo} >= {hi} [op {where}]")
    key = _keys(seed, seed2, counter)(0)

    def draw(idx):
        # modulo the range, as TF; the sum wraps in uint64 and reads back as the two's-complement value
        val = _bits(m, idx, key) % m.uint64(hi - lo) + m.uint64(lo & _MASK)
        return val.astype(m.int64)
    return _fill(m, block_info, out_dtype, draw)


# -- lowering

def _generate(op, kernel, *scalars, **kwargs):
    """The op's output as a dask array: ``kernel`` applied per block to the run counter (and ``scalars``)."""
    shape, dtype = tuple(_dims(op, host_lowered(op, 0, "shape").tolist())), op.outputs[0].dtype
    counter = current().sources.rng(op)
    chunks = planner.chunks_for(shape, dtype)
    meta = backend.meta(counter, dtype, ndim=len(shape))
    return da.map_blocks(kernel, counter, *scalars, seed=op.attrs["seed"], seed2=op.attrs["seed2"], out_dtype=dtype,
                         dtype=dtype, chunks=chunks, new_axis=list(range(len(shape))), meta=meta, **kwargs)


def _dims(op, dims):
    for d in dims:
        if d is not None and d < 0:
            fail(op, f"shape {shape_str(dims)} has a negative dimension")
    return dims


def _out_shape(op):
    """The output's static shape from the shape input (input 0), partly or wholly unknown until run time."""
    check_int_input(op, 0, "shape", 1)
    dims = host_vector(op, 0, "shape")
    return TensorShape(None) if dims is None else _dims(op, dims)


def _infer(allowed):
    def infer(op):
        dtype = op.attrs["dtype"]
        if dtype not in allowed:
            fail(op, f"dtype {dtype.name} is not one of {', '.join(d.name for d in allowed)}")
        return [(_out_shape(op), dtype)]
    return infer


class _RandomOp:
    stateful = True  # never merged with another random op, nor folded to a constant
    grad = NOT_DIFFERENTIABLE


@register("RandomStandardNormal")
class RandomStandardNormal(_RandomOp):
    infer = staticmethod(_infer(_FLOATS))

    def lower(op, _):
        return _generate(op, _normal_block)


@register("TruncatedNormal")
class TruncatedNormal(_RandomOp):
    infer = staticmethod(_infer(_FLOATS))

    def lower(op, _):
        return _generate(op, _truncated_block)


@register("RandomUniform")
class RandomUniform(_RandomOp):
    infer = staticmethod(_infer(_FLOATS))

    def lower(op, _):
        return _generate(op, _uniform_block)


@register("RandomUniformInt")
class RandomUniformInt(_RandomOp):
    def infer(op):
        _, lo, hi = op.inputs
        dtype = op.attrs["dtype"]
        for t, what in ((lo, "minval"), (hi, "maxval")):
            if t.dtype != dtype:
                fail(op, f"{what} '{t.name}' has dtype {t.dtype.name}, but the output dtype is {dtype.name}")
            if t.shape.ndims is not None and t.shape.ndims != 0:
                fail(op, f"{what} must be 0-D, got '{t.name}' of shape {t.shape}")
        if dtype not in _INTS:
            fail(op, f"dtype {dtype.name} is not one of {', '.join(d.name for d in _INTS)}")
        if lo.op.type == "Const" and hi.op.type == "Const":
            a, b = int(lo.op.attrs["value"]), int(hi.op.attrs["value"])
            if a >= b:
                fail(op, f"Need minval < maxval: {a} >= {b}")
        return [(_out_shape(op), dtype)]

    def lower(op, _, lo, hi):
        where = f"{errors.describe(op)} built at {op.where()}"
        return _generate(op, _uniform_int_block, lo, hi, where=where)


# -- public functions

def _random_op(type_name, shape, dtype, seed, inputs=(), name=None):
    seed, seed2 = get_seed(seed)
    attrs = {"dtype": dtype, "seed": seed, "seed2": seed2}
    return apply1(type_name, [_shape_arg(shape), *inputs], attrs, name=name or type_name)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """A tensor of ``shape`` with normal values of ``mean`` and ``stddev`` (TF1's ``random_normal``).

    Parameters
    ----------
    shape : list or tuple of ints
        The static output shape.
    mean, stddev : float or 0-d tensor
        Broadcast against the values, as TF.
    dtype : float16, float32 or float64
    seed : int, optional
        The op-level seed, combined with the graph seed (``set_random_seed``) as in TF1.

    Examples
    --------
    >>> import daskflow as df
    >>> df.set_random_seed(1)
    >>> x = df.random.normal([2, 3], seed=7)
    >>> with df.Session() as s:
    ...     s.run(x).shape
    (2, 3)
    """
    dtype = _check_dtype(dtype, _FLOATS, "random_normal")
    with name_scope(name, "random_normal") as scope:
        sd = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        mu = convert_to_tensor(mean, dtype=dtype, name="mean")
        rnd = _random_op("RandomStandardNormal", shape, dtype, seed)
        return add(multiply(rnd, sd, name="mul"), mu, name=scope)  # TF's names (rnd * stddev + mean)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Like ``random_normal``, but values more than 2 standard deviations from the mean are drawn again
    (TF's ``truncated_normal``)."""
    dtype = _check_dtype(dtype, _FLOATS, "truncated_normal")
    with name_scope(name, "truncated_normal") as scope:
        sd = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        mu = convert_to_tensor(mean, dtype=dtype, name="mean")
        rnd = _random_op("TruncatedNormal", shape, dtype, seed)
        return add(multiply(rnd, sd, name="mul"), mu, name=scope)  # TF's names (rnd * stddev + mean)


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """A tensor of ``shape`` with values uniform in ``[minval, maxval)`` (TF1's ``random_uniform``).

    Floats default to ``[0, 1)``; integer dtypes (int32, int64) need ``maxval`` and draw integers in
    ``[minval, maxval)``.
    """
    dtype = _check_dtype(dtype, _FLOATS + _INTS, "random_uniform")
    if dtype.kind == "i" and maxval is None:
        raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
    with name_scope(name, "random_uniform") as scope:
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(1 if maxval is None else maxval, dtype=dtype, name="max")
        if dtype.kind == "i":
            return _random_op("RandomUniformInt", shape, dtype, seed, [lo, hi], name=scope)
        rnd = _random_op("RandomUniform", shape, dtype, seed)
        return add(multiply(rnd, subtract(hi, lo, name="sub"), name="mul"), lo, name=scope)  # TF's names


normal = random_normal
uniform = random_uniform
