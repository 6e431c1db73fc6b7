"""Generated tensors (fill, zeros, ones, zeros_like, ones_like, eye, range, linspace) and shape queries (shape,
rank, size). Generated tensors are chunked within ``config.chunk_bytes``, each chunk made on its own."""
import builtins
import math

import dask.array as da
import numpy as np

from .. import backend, dtypes, planner
from ..graph import Tensor, TensorShape
from .hostvalue import (HOST_MAX_ELEMS, as_tensor, check_dims, host_lowered, host_scalar, host_vector, int_arg,
                        ints, shape_str)
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, register, same_dtype
from .state import constant

__all__ = ["zeros", "ones", "fill", "zeros_like", "ones_like", "eye", "range", "linspace", "lin_space", "shape", "rank",
           "size", "broadcast_dynamic_shape", "broadcast_static_shape"]

# this module defines public `range` (TF's name): internally always use this
_range = builtins.range
_FULL = builtins.slice(None)


# -- chunking of generated tensors

def gen_chunks(shape, dtype):
    return planner.chunks_for(shape, dtype)


def copy_block(b):
    return b.copy()


def filled(value, shape, chunks, dtype):
    """A dask array of ``shape`` whose every element is the 0-d dask array ``value``: each chunk is made on its
    own (a broadcast view copied into a fresh, writable block), never the whole array at once."""
    b = da.broadcast_to(value, tuple(shape), chunks=chunks)
    return b.map_blocks(copy_block, dtype=dtype, meta=backend.meta(value, dtype, ndim=len(shape)))


# -- generated tensors

@register("Fill")
class Fill:
    strings = True

    def infer(op):
        value = op.inputs[1]
        if value.shape.ndims is not None and value.shape.ndims != 0:
            fail(op, f"value must be a scalar, got '{value.name}' of shape {value.shape}")
        dims = host_vector(op, 0, "dims")
        return [(TensorShape(None) if dims is None else check_dims(op, dims), value.dtype)]

    def lower(op, _, value):
        dims = check_dims(op, host_lowered(op, 0, "dims").tolist())
        return filled(value, dims, gen_chunks(dims, value.dtype), value.dtype)

    def host(op, dims, v):
        dims = ints(dims)
        return None if math.prod(dims) > HOST_MAX_ELEMS else np.full(dims, v[()], dtype=v.dtype)

    def grad(op, dy):
        from .reduce import reduce_sum  # reduce.py may import this module
        return [None, reduce_sum(dy)]


def fill(dims, value, name=None):
    """A tensor of shape ``dims`` with every element ``value`` (a scalar).

    Examples
    --------
    >>> import daskflow as df
    >>> df.fill([2, 2], 7).compute()
    array([[7, 7],
           [7, 7]], dtype=int32)
    """
    return apply1("Fill", [int_arg(dims, "dims"), convert_to_tensor(value)], name=name or "Fill")


def _as_dims(shape):
    """A python int shape means a vector of that length, as TF's ``zeros(3)``."""
    return [shape] if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool) else shape


def zeros(shape, dtype=dtypes.float32, name=None):
    """A tensor of ``shape`` filled with zeros of ``dtype`` (float32 by default)."""
    dtype = dtypes.as_dtype(dtype)
    zero = b"" if dtypes.is_string(dtype) else np.zeros((), dtype)  # TF's zero of strings is the empty string
    return apply1("Fill", [int_arg(_as_dims(shape), "shape"), constant(zero, dtype, name="zeros_value")],
                  name=name or "zeros")


def ones(shape, dtype=dtypes.float32, name=None):
    """A tensor of ``shape`` filled with ones of ``dtype`` (float32 by default)."""
    dtype = dtypes.as_dtype(dtype)
    return apply1("Fill", [int_arg(_as_dims(shape), "shape"), constant(1, dtype, name="ones_value")],
                  name=name or "ones")


def _like_block(b, value, out_dtype):
    return backend.xp(b).full(b.shape, value, dtype=out_dtype)


def _like_op(fill_value, takes_strings=False):
    def _fill_value(dt):
        return b"" if dtypes.is_string(dt) else fill_value  # TF's zero of strings is the empty string

    class _Like:
        grad = NOT_DIFFERENTIABLE
        strings = takes_strings

        def infer(op):
            if dtypes.is_string(op.attrs["dtype"]) and not takes_strings:
                fail(op, f"{op.type} makes no string tensors")
            return [(op.inputs[0].shape, op.attrs["dtype"])]

        def lower(op, x):
            dt = op.attrs["dtype"]
            value = _fill_value(dt)
            if any(math.isnan(d) for d in x.shape):  # unknown chunk sizes: follow x block by block
                return x.map_blocks(_like_block, value=value, out_dtype=dt, dtype=dt, meta=backend.meta(x, dt))
            return da.full_like(x, value, dtype=dt)

        def host_from_shapes(op, dims):
            if None in dims or math.prod(dims) > HOST_MAX_ELEMS:
                return None
            return np.full(dims, _fill_value(op.attrs["dtype"]), dtype=op.attrs["dtype"])
    return _Like


register("ZerosLike")(_like_op(0, takes_strings=True))
register("OnesLike")(_like_op(1))


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """Zeros with the shape of ``tensor``, of its dtype or ``dtype``."""
    x = convert_to_tensor(tensor)
    return apply1("ZerosLike", [x], {"dtype": dtypes.as_dtype(dtype or x.dtype)}, name=name or "zeros_like")


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """Ones with the shape of ``tensor``, of its dtype or ``dtype``."""
    x = convert_to_tensor(tensor)
    return apply1("OnesLike", [x], {"dtype": dtypes.as_dtype(dtype or x.dtype)}, name=name or "ones_like")


def _eye_block(rows, cols, out_dtype):
    return (rows[:, None] == cols[None, :]).astype(out_dtype)


def _eye_dims(op, rows, cols, batch):
    return check_dims(op, list(batch) + [rows, cols], "shape")


@register("Eye")
class Eye:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        rows, cols = host_scalar(op, 0, "num_rows"), host_scalar(op, 1, "num_columns")
        batch = host_vector(op, 2, "batch_shape")
        return [(TensorShape(None) if batch is None else _eye_dims(op, rows, cols, batch), op.attrs["dtype"])]

    def lower(op, *_):
        dt = op.attrs["dtype"]
        rows, cols = (int(host_lowered(op, i, w)) for i, w in ((0, "num_rows"), (1, "num_columns")))
        dims = _eye_dims(op, rows, cols, host_lowered(op, 2, "batch_shape").tolist())
        chunks = gen_chunks(dims, dt)
        # each block compares its own row and column numbers: off-diagonal blocks are zeros, none is made whole
        i = da.arange(rows, chunks=(chunks[-2],), dtype=np.int64)
        j = da.arange(cols, chunks=(chunks[-1],), dtype=np.int64)
        eye = da.blockwise(_eye_block, "ij", i, "i", j, "j", out_dtype=dt, dtype=dt, meta=backend.meta(i, dt, ndim=2))
        if len(dims) == 2:
            return eye
        return da.broadcast_to(eye, tuple(dims), chunks=chunks).map_blocks(copy_block, dtype=dt,
                                                                           meta=backend.meta(eye, dt, len(dims)))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """Identity matrices: ones on the main diagonal, zeros elsewhere.

    Parameters
    ----------
    num_rows, num_columns : int or int scalar tensor
        The matrices' size; ``num_columns`` defaults to ``num_rows`` (non-square when they differ).
    batch_shape : list of ints or int vector tensor, optional
        Leading dims: the result has shape ``batch_shape + [num_rows, num_columns]``.
    dtype : dtype, optional
        float32 by default.
    name : str, optional

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import daskflow as df
    >>> df.eye(2, 3, dtype=df.int32).compute()
    array([[1, 0, 0],
           [0, 1, 0]], dtype=int32)
    """
    rows = int_arg(num_rows, "num_rows")
    cols = rows if num_columns is None else int_arg(num_columns, "num_columns")
    batch = int_arg([] if batch_shape is None else batch_shape, "batch_shape")
    return apply1("Eye", [rows, cols, batch], {"dtype": dtypes.as_dtype(dtype)}, name=name or "eye")


def _range_size(op, start, limit, delta):
    if delta == 0:
        fail(op, f"Requires delta != 0: {delta}")
    if delta > 0 and start > limit:
        fail(op, f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        fail(op, f"Requires start >= limit when delta < 0: {start}/{limit}")
    if isinstance(start, int) and isinstance(limit, int) and isinstance(delta, int):
        return (abs(limit - start) + abs(delta) - 1) // abs(delta)
    return int(math.ceil(abs((limit - start) / delta)))


def _range_block(i, start, delta, out_dtype):
    if out_dtype.kind == "f":  # each value from its own index: the same numbers whatever the chunking
        return (start + i.astype("float64") * delta).astype(out_dtype)
    return (start + i * delta).astype(out_dtype)


@register("Range")
class Range:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        dt = same_dtype(op, *op.inputs)
        if dt.kind not in "iuf":
            fail(op, f"range needs integer or float arguments, got dtype {dt.name}")
        vals = [host_scalar(op, i, w, "iuf") for i, w in enumerate(("start", "limit", "delta"))]
        return [((None if None in vals else _range_size(op, *vals),), dt)]

    def lower(op, *_):
        dt = op.outputs[0].dtype
        start, limit, delta = (host_lowered(op, i, w).item() for i, w in enumerate(("start", "limit", "delta")))
        n = _range_size(op, start, limit, delta)
        base = da.arange(n, chunks=gen_chunks((n,), dt), dtype=np.int64)
        return base.map_blocks(_range_block, start=start, delta=delta, out_dtype=dt, dtype=dt,
                               meta=backend.meta(base, dt))

    def host(op, *args):
        start, limit, delta = (np.asarray(a).item() for a in args)
        if None in (start, limit, delta) or _range_size(op, start, limit, delta) > HOST_MAX_ELEMS:
            return None
        return _range_block(np.arange(_range_size(op, start, limit, delta)), start, delta, op.outputs[0].dtype)


_RANGE_ORDER = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """The numbers ``start, start + delta, ...`` up to but excluding ``limit`` (``range(n)`` counts from 0).

    Without ``dtype`` the result takes the widest of the arguments' dtypes in int32 < int64 < float32 <
    float64, python ints being int32 and floats float32, as TF's ``range``.
    """
    if limit is None:
        start, limit = 0, start
    args = [as_tensor(a) for a in (start, limit, delta)]
    if dtype is None:
        kinds = [a.dtype if isinstance(a, Tensor) else dtypes.infer_dtype(a) for a in args]
        dtype = max(kinds, key=lambda d: _RANGE_ORDER.index(d) if d in _RANGE_ORDER else len(_RANGE_ORDER))
    dtype = dtypes.as_dtype(dtype)
    ts = []
    for a, what in zip(args, ("start", "limit", "delta")):
        if isinstance(a, Tensor):
            if a.dtype != dtype:
                from .math import cast
                a = cast(a, dtype)
            ts.append(a)
        else:
            ts.append(constant(np.asarray(a).astype(dtype), name=what))
    return apply1("Range", ts, name=name or "range")


def _linspace_block(i, start, stop, num, out_dtype):
    m = backend.xp(i)
    start, stop = m.asarray(start, dtype="float64"), m.asarray(stop, dtype="float64")
    step = (stop - start) / (num - 1) if num > 1 else stop * 0
    vals = start + i.astype("float64") * step
    return m.where((i == num - 1) & (num > 1), stop, vals).astype(out_dtype)


@register("LinSpace")
class LinSpace:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        start, stop, _ = op.inputs
        dt = same_dtype(op, start, stop)
        if dt.kind != "f":
            fail(op, f"start and stop must be float32 or float64, got {dt.name}")
        for t in (start, stop):
            if t.shape.ndims is not None and t.shape.ndims != 0:
                fail(op, f"start and stop must be scalars, got '{t.name}' of shape {t.shape}")
        num = host_scalar(op, 2, "num")
        if num is not None and num <= 0:
            fail(op, f"Requires num > 0: {num}")
        return [((num,), dt)]

    def lower(op, start, stop, _):
        num = int(host_lowered(op, 2, "num"))
        if num <= 0:
            fail(op, f"Requires num > 0: {num}")
        dt = op.outputs[0].dtype
        i = da.arange(num, chunks=gen_chunks((num,), dt), dtype=np.int64)
        return da.blockwise(_linspace_block, "i", i, "i", start, "", stop, "", num=num, out_dtype=dt, dtype=dt,
                            meta=backend.meta(i, dt))


def linspace(start, stop, num, name=None):
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (TF1 alias ``lin_space``)."""
    s = convert_to_tensor(start, dtype_hint=dtypes.float32)
    e = convert_to_tensor(stop, dtype_hint=s.dtype)
    return apply1("LinSpace", [s, e, int_arg(num, "num")], name=name or "LinSpace")


lin_space = linspace


# -- shape queries

def _const_array(value, name):
    return da.from_array(value, chunks=value.shape or (), name=name)


def _block_dim(b, axis):
    return backend.xp(b).full((1,) * b.ndim, b.shape[axis], dtype="int64")


def _dyn_dim(x, axis):
    """A 0-d int64 dask array: the length of ``x`` along ``axis`` when its chunk sizes are unknown."""
    sizes = x.map_blocks(_block_dim, axis=axis, chunks=tuple((1,) * n for n in x.numblocks), dtype=np.int64,
                         meta=backend.meta(x, np.int64))
    return sizes[tuple(_FULL if i == axis else 0 for i in _range(x.ndim))].sum(dtype=np.int64)


def _dims_array(x):
    """x's dims as a list of python ints (known) and 0-d dask arrays (unknown chunk sizes)."""
    return [int(d) if not math.isnan(d) else _dyn_dim(x, i) for i, d in enumerate(x.shape)]


def _check_out_type(op):
    if op.attrs["out_type"] not in (dtypes.int32, dtypes.int64):
        fail(op, f"out_type must be int32 or int64, got {op.attrs['out_type'].name}")
    return op.attrs["out_type"]


@register("Shape")
class Shape:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        return [((x.shape.ndims,), _check_out_type(op))]

    def lower(op, x):
        dt = op.attrs["out_type"]
        dims = _dims_array(x)
        if all(isinstance(d, int) for d in dims):
            return _const_array(np.array(dims, dtype=dt), f"shape-{op.name}-{shape_str(dims)}")
        parts = [da.from_array(np.array(d, np.int64)) if isinstance(d, int) else d for d in dims]
        return da.stack(parts).astype(dt)

    def host_from_shapes(op, dims):
        return np.array(dims, dtype=object if None in dims else op.attrs["out_type"])


def shape(input, name=None, out_type=dtypes.int32):
    """The shape of ``input`` as a 1-D int tensor (known when built if the static shape is fully defined)."""
    x = convert_to_tensor(input)
    return apply1("Shape", [x], {"out_type": dtypes.as_dtype(out_type)}, name=name or "Shape")


def dim_size(x, axis):
    """``x``'s size along ``axis``: a python int when known statically, else a 0-d int32 tensor."""
    d = x.shape[axis] if x.shape.ndims is not None else None
    return shape(x)[axis] if d is None else d


@register("Rank")
class Rank:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.int32)]

    def lower(op, x):
        return _const_array(np.array(x.ndim, dtype=np.int32), f"rank-{op.name}-{x.ndim}")

    def host_from_shapes(op, dims):
        return np.array(len(dims), dtype=np.int32)


def rank(input, name=None):
    """The number of dims of ``input`` as a 0-d int32 tensor."""
    return apply1("Rank", [convert_to_tensor(input)], name=name or "Rank")


@register("Size")
class Size:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), _check_out_type(op))]

    def lower(op, x):
        dt = op.attrs["out_type"]
        dims = _dims_array(x)
        if all(isinstance(d, int) for d in dims):
            n = math.prod(dims)
            return _const_array(np.array(n, dtype=dt), f"size-{op.name}-{n}")
        total = da.from_array(np.array(1, np.int64))
        for d in dims:
            total = total * d
        return total.astype(dt)

    def host_from_shapes(op, dims):
        return None if None in dims else np.array(math.prod(dims), dtype=op.attrs["out_type"])


def size(input, name=None, out_type=dtypes.int32):
    """The number of elements of ``input`` as a 0-d int tensor."""
    x = convert_to_tensor(input)
    return apply1("Size", [x], {"out_type": dtypes.as_dtype(out_type)}, name=name or "Size")



class _Incompatible(ValueError):
    pass


def _broadcast_dims(a, b):
    """numpy broadcasting of two shapes given as lists of ints and None (unknown), aligned from the right."""
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    out = []
    for i, (p, q) in enumerate(zip(a, b)):
        if p is not None and q is not None and p != q and 1 not in (p, q):
            raise _Incompatible(f"Incompatible shapes: {shape_str(a)} vs. {shape_str(b)} (dim {i}: {p} vs. {q})")
        known = [d for d in (p, q) if d is not None and d != 1]
        out.append(known[0] if known else (None if None in (p, q) else 1))
    return out


def _broadcast_args(op, a, b):
    try:
        return _broadcast_dims(a, b)
    except _Incompatible as e:
        what = op.attrs.get("message")
        fail(op, f"{what}: {e}" if what else str(e))


@register("BroadcastArgs")
class BroadcastArgs:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        dt = same_dtype(op, *op.inputs)
        a, b = (host_vector(op, i, w) for i, w in enumerate(("s0", "s1")))
        if a is None or b is None:
            return [((None,), dt)]
        return [((len(_broadcast_args(op, a, b)),), dt)]  # shapes known to disagree fail now

    def lower(op, *_):
        a, b = (host_lowered(op, i, w).tolist() for i, w in enumerate(("s0", "s1")))
        v = np.array(_broadcast_args(op, a, b), dtype=op.outputs[0].dtype)
        return _const_array(v, f"broadcast-args-{op.name}-{shape_str(v.tolist())}")

    def host(op, a, b):
        return np.array(_broadcast_args(op, a.tolist(), b.tolist()), dtype=object)


def broadcast_dynamic_shape(shape_x, shape_y, message=None):
    """The shape that shapes ``shape_x`` and ``shape_y`` (int vector tensors, e.g. ``df.shape(x)``) broadcast to,
    as an int vector tensor (TF's ``broadcast_dynamic_shape``); known when built where both are. ``message``
    prefixes the error for shapes that do not broadcast."""
    x = int_arg(shape_x, "shape_x")
    return apply1("BroadcastArgs", [x, int_arg(shape_y, "shape_y")], {"message": message}, name="BroadcastArgs")


def broadcast_static_shape(shape_x, shape_y):
    """The ``TensorShape`` that static shapes ``shape_x`` and ``shape_y`` broadcast to (TF's
    ``broadcast_static_shape``); raises ``ValueError`` for shapes that do not broadcast."""
    a, b = TensorShape(shape_x), TensorShape(shape_y)
    if a.ndims is None or b.ndims is None:
        return TensorShape(None)
    try:
        return TensorShape(_broadcast_dims(list(a), list(b)))
    except _Incompatible:
        raise ValueError(f"Incompatible shapes for broadcasting: {a} and {b}") from None
