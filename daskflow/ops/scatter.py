"""N-d gathers and scatters: gather_nd, batch_gather, scatter_nd, the tensor_scatter_* family and the variable
scatter ops (scatter_update, scatter_nd_add, batch_scatter_update, ..., count_up_to), with their gradients.

Index tuples (the last dim of ``indices``) become row numbers of the tensor seen as ``[rows] + inner dims``
(``LinearIndex``, which checks them against the shape as TF does); a gather is then one ``gather`` of those rows,
and a scatter one ``TensorScatter*`` op that applies the updates falling in each block of rows."""
import builtins
import math
import string

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from ..graph import Tensor, TensorShape, control_dependencies
from .array import broadcast_to, concat, expand_dims, reshape, stack
from .generate import dim_size, shape, zeros, zeros_like
from .generate import range as arange
from .hostvalue import constant_value, host_lowered, host_vector, int_arg, known_dims
from .indexing import gather
from .registry import NOT_DIFFERENTIABLE, OPS, apply1, convert_to_tensor, fail, register

__all__ = ["gather_nd", "batch_gather", "scatter_nd", "tensor_scatter_nd_update", "tensor_scatter_nd_add",
           "tensor_scatter_nd_sub", "tensor_scatter_nd_min", "tensor_scatter_nd_max", "tensor_scatter_update",
           "tensor_scatter_add", "tensor_scatter_sub", "scatter_update", "scatter_add", "scatter_sub", "scatter_mul",
           "scatter_div", "scatter_min", "scatter_max", "scatter_nd_update", "scatter_nd_add", "scatter_nd_sub",
           "batch_scatter_update", "count_up_to"]

_range = builtins.range


# -- index tuples as row numbers

def _strides(dims):
    out, acc = [], 1
    for d in reversed(dims):
        out.append(acc)
        acc *= d
    return out[::-1]


def _linear_block(idx, dims, what, label, block_info=None):
    m = backend.xp(idx)
    lim = m.asarray(dims, dtype=np.int64)
    bad = ((idx < 0) | (idx >= lim)).any(axis=-1) if dims else m.zeros(idx.shape[:-1], dtype=bool)
    if bool(bad.any()):
        pos = np.unravel_index(int(m.argmax(bad.ravel())), bad.shape)
        start = [lo for lo, _ in block_info[0]["array-location"][:-1]] if block_info else [0] * len(pos)
        where = ",".join(str(int(p) + s) for p, s in zip(pos, start))
        got = ", ".join(str(int(v)) for v in idx[pos].tolist())
        raise errors.InvalidArgumentError(None, None, f"indices[{where}] = [{got}] does not index into {what} "
                                                      f"[{','.join(map(str, dims))}] [{label}]")
    lin = m.zeros(idx.shape[:-1], dtype=np.int64)
    for k, s in enumerate(_strides(dims)):
        lin += idx[..., k].astype(np.int64) * s
    return lin


@register("LinearIndex")
class LinearIndex:
    """Row numbers (int64) of the index tuples ``indices[..., :]`` in a tensor whose leading dims are ``dims``
    (input 1); a tuple outside them raises TF's ``InvalidArgumentError``."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        idx = op.inputs[0]
        if idx.dtype not in (dtypes.int32, dtypes.int64):
            fail(op, f"indices must be int32 or int64, got '{idx.name}' of dtype {idx.dtype.name}")
        dims = host_vector(op, 1, "shape")
        if idx.shape.ndims is None:
            return [(TensorShape(None), dtypes.int64)]
        if idx.shape.ndims == 0:
            fail(op, f"indices must be at least 1-D, got '{idx.name}' of shape {idx.shape}")
        static = constant_value(idx)
        if static is not None and dims is not None and None not in dims and static.size:
            _linear_block(static, list(dims), op.attrs["what"], f"op '{op.name}' (type LinearIndex)")
        return [(idx.shape[:-1], dtypes.int64)]

    def lower(op, idx, _):
        dims = host_lowered(op, 1, "shape").tolist()
        label = f"op '{op.name}' (type LinearIndex)"
        return idx.rechunk({idx.ndim - 1: -1}).map_blocks(
            _linear_block, dims=dims, what=op.attrs["what"], label=label, drop_axis=idx.ndim - 1, dtype=np.int64,
            meta=backend.meta(idx, np.int64, ndim=idx.ndim - 1))

    def host(op, idx, dims):
        if idx.dtype == object or dims.dtype == object:
            return None
        return _linear_block(np.asarray(idx), np.asarray(dims).tolist(), op.attrs["what"], op.name)


def _index_depth(idx, fn):
    if idx.shape.ndims is None or idx.shape[-1] is None:
        raise ValueError(f"{fn}: the last dim of indices must be known when the graph is built, got '{idx.name}' "
                         f"of shape {idx.shape}")
    return idx.shape[-1]


def _linear(idx, x, k, what):
    """Row numbers of the index tuples ``idx`` in ``x`` seen as ``[rows] + x.shape[k:]``."""
    dims = shape(x, out_type=dtypes.int64)[:k] if k else int_arg(np.zeros(0, np.int64), "shape")
    return apply1("LinearIndex", [idx, dims], {"what": what}, name="LinearIndex")


def _rows(x, k):
    """``x`` as ``[rows] + x.shape[k:]``."""
    if x.shape.ndims is None:
        raise ValueError(f"index tuples need a tensor of known rank, got '{x.name}'")
    rest = [dim_size(x, i) for i in _range(k, x.shape.ndims)]
    return reshape(x, [-1] + rest)


def _batch_coords(idx, b, dtype):
    """``idx`` (indices of shape batch + inner + [K]) with the coordinates of their first ``b`` (batch) dims put in
    front of each index tuple: indices into the tensor the batches come from."""
    from .math import cast
    n = idx.shape.ndims
    lead = shape(idx, out_type=dtype)[:-1]
    coords = []
    for j in _range(b):
        line = arange(dim_size(idx, j), dtype=dtype)
        line = reshape(line, [1] * j + [-1] + [1] * (n - 2 - j))
        coords.append(broadcast_to(line, lead))
    return concat([stack(coords, axis=-1), cast(idx, dtype)], axis=-1)


# -- gather_nd

def gather_nd(params, indices, name=None, batch_dims=0):
    """Slices of ``params`` at the index tuples in the last dim of ``indices``: the output shape is
    ``indices.shape[:-1] + params.shape[indices.shape[-1]:]``. With ``batch_dims=b``, the first ``b`` dims of
    ``params`` and ``indices`` are batch dims and each batch indexes its own slice. A tuple outside ``params``
    raises ``InvalidArgumentError``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.gather_nd([[1, 2], [3, 4]], [[1, 0], [0, 1]]).compute()
    array([3, 2], dtype=int32)
    """
    p = convert_to_tensor(params)
    idx = convert_to_tensor(indices)
    k = _index_depth(idx, "gather_nd")
    b = int(batch_dims)
    if b:
        if p.shape.ndims is None or idx.shape.ndims is None or not 0 < b < idx.shape.ndims:
            raise ValueError(f"gather_nd: batch_dims must be in [0, {idx.shape.ndims}) with params and indices of "
                             f"known rank, got {batch_dims}")
        idx, k = _batch_coords(idx, b, idx.dtype), k + b
    if p.shape.ndims is not None and k > p.shape.ndims:
        raise ValueError(f"gather_nd: index tuples of length {k} into params of rank {p.shape.ndims} "
                         f"('{p.name}' of shape {p.shape})")
    return gather(_rows(p, k), _linear(idx, p, k, "param shape"), name=name or "GatherNd")


def batch_gather(params, indices, name=None):
    """``gather`` in each batch: ``indices`` of shape ``B + [N]`` pick along dim ``len(B)`` of ``params`` (of
    shape ``B + [M] + ...``), as TF1's ``batch_gather``."""
    idx = convert_to_tensor(indices)
    if idx.shape.ndims is None:
        raise ValueError("batch_gather needs indices of known rank")
    b = idx.shape.ndims - 1
    return gather(params, idx, batch_dims=b, axis=b, name=name or "batch_gather")


# -- tensor scatters

def _scatter_block(t, rows, lin, upd, mode):
    m = backend.xp(t)
    out = t.copy()
    lo = int(rows[0]) if rows.size else 0
    sel = (lin >= lo) & (lin < lo + rows.shape[0])
    r, u = lin[sel] - lo, upd[sel]
    if not r.size:
        return out
    if mode == "update":  # why: of repeated rows the last update wins, as TF's CPU kernel does
        _, first = m.unique(r[::-1], return_index=True)
        keep = r.size - 1 - first
        out[r[keep]] = u[keep]
    elif mode == "div" and out.dtype.kind in "iu":  # C's truncating division, one update at a time
        for i, v in zip(r.tolist(), u):
            q = m.abs(out[i]) // m.abs(v)
            out[i] = m.where((out[i] < 0) != (v < 0), -q, q)
    else:
        ufunc = {"add": m.add, "sub": m.subtract, "min": m.minimum, "max": m.maximum, "mul": m.multiply,
                 "div": m.divide}[mode]
        ufunc.at(out, r, u)
    return out


class _TensorScatter:
    """Inputs: the tensor, the row numbers of the index tuples (``LinearIndex``) and the updates; attr ``k``: the
    length of the index tuples. The output is the tensor with each update combined into its slice."""
    mode = None

    def infer(op):
        t, lin, u = op.inputs
        if u.dtype != t.dtype:
            fail(op, f"updates '{u.name}' has dtype {u.dtype.name}, the tensor '{t.name}' {t.dtype.name}")
        k = op.attrs["k"]
        if t.shape.ndims is not None:
            if k > t.shape.ndims:
                fail(op, f"Index tuples of length {k} do not index into a tensor of rank {t.shape.ndims} (shape "
                         f"{t.shape})")
            if lin.shape.ndims is not None:
                want = TensorShape(list(lin.shape) + list(t.shape[k:]))
                if not want.is_compatible_with(u.shape):
                    fail(op, f"updates must have shape indices.shape[:-1] + shape[{k}:] = {want}, got '{u.name}' "
                             f"of shape {u.shape} (tensor shape {t.shape})")
        return [(t.shape, t.dtype)]

    def lower(op, t, lin, u):
        k, dims = op.attrs["k"], known_dims(t.shape)
        if None in dims or None in known_dims(u.shape) or None in known_dims(lin.shape):
            fail(op, "cannot scatter into or from arrays of unknown chunk sizes", errors.UnimplementedError)
        want = tuple(lin.shape) + tuple(dims[k:])
        if tuple(u.shape) != want:  # the check of infer, for shapes known only now
            fail(op, f"updates must have shape indices.shape[:-1] + shape[{k}:] = {want}, got shape "
                     f"{tuple(u.shape)} (tensor shape {tuple(dims)})")
        if not u.size or not t.size:
            return t
        rows, rest = math.prod(dims[:k]), dims[k:]
        t2 = _dask_rows(t, (rows,) + tuple(rest))
        u2 = _dask_rows(u, (-1,) + tuple(rest)).rechunk((-1,) + t2.chunks[1:])
        ids = da.arange(rows, chunks=(t2.chunks[0],), dtype=np.int64)
        ind = string.ascii_lowercase[:t2.ndim]
        out = da.blockwise(_scatter_block, ind, t2, ind, ids, ind[0], lin.reshape(-1).rechunk(-1), "Z", u2,
                           "Z" + ind[1:], mode=OPS[op.type].mode, concatenate=True, dtype=t.dtype, meta=t2._meta)
        return _dask_rows(out, dims)


def _dask_rows(x, target):
    try:
        return x.reshape(target)
    except NotImplementedError:
        return x.reshape(-1).reshape(target)


def _scatter_value(op, dy):
    """The gradient of the updates: dy at the updated slices."""
    return gather(_rows(dy, op.attrs["k"]), op.inputs[1])


def _extreme_grad(op, dy):  # the tensor's entries and the updates equal to the result share dy evenly, as TF
    from .math import cast, equal
    t, lin, u = op.inputs
    out = op.outputs[0]
    k = op.attrs["k"]
    x_hit = cast(equal(t, out), dy.dtype)
    u_hit = cast(equal(u, gather(_rows(out, k), lin)), dy.dtype)
    count = x_hit + apply1("TensorScatterAdd", [zeros_like(t), lin, u_hit], {"k": k})
    share = dy / count
    return [share * x_hit, None, gather(_rows(share, k), lin) * u_hit]


def _register(type_name, mode, grad):
    register(type_name)(type(type_name, (_TensorScatter,), {"mode": mode, "grad": grad}))


def _update_grad(op, dy):
    """The tensor's gradient outside the updated slices; each slice's update that won (the last of repeated
    index tuples) gets dy there, the others nothing."""
    from .generate import fill
    from .math import cast, equal
    t, lin, u = op.inputs
    k = op.attrs["k"]
    flat = reshape(lin, [-1])
    pos = arange(dim_size(flat, 0), dtype=dtypes.int64)
    none = fill(shape(_rows(t, k), out_type=dtypes.int64)[:1], np.int64(-1))
    winner = apply1("TensorScatterUpdate", [none, flat, pos], {"k": 1})  # the position that wrote each row
    won = reshape(cast(equal(gather(winner, flat), pos), dy.dtype), shape(lin))
    for _ in _range(t.shape.ndims - k):
        won = expand_dims(won, -1)
    return [apply1("TensorScatterUpdate", [dy, lin, zeros_like(u)], {"k": k}), None, _scatter_value(op, dy) * won]


_register("TensorScatterUpdate", "update", _update_grad)

_register("TensorScatterAdd", "add", lambda op, dy: [dy, None, _scatter_value(op, dy)])
_register("TensorScatterSub", "sub", lambda op, dy: [dy, None, -_scatter_value(op, dy)])
_register("TensorScatterMin", "min", _extreme_grad)
_register("TensorScatterMax", "max", _extreme_grad)
_register("TensorScatterMul", "mul", NOT_DIFFERENTIABLE)  # only for scatter_mul on variables, as TF's ScatterMul
_register("TensorScatterDiv", "div", NOT_DIFFERENTIABLE)


def _tensor_scatter(type_name, tensor, indices, updates, name, fn):
    t = convert_to_tensor(tensor)
    idx = convert_to_tensor(indices)
    u = convert_to_tensor(updates, dtype_hint=t.dtype)
    k = _index_depth(idx, fn)
    return apply1(type_name, [t, _linear(idx, t, k, "shape"), u], {"k": k}, name=name or type_name)


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """``tensor`` with the slices at the index tuples of ``indices`` (last dim) replaced by ``updates`` (of shape
    ``indices.shape[:-1] + tensor.shape[indices.shape[-1]:]``); of repeated tuples the last update wins.

    Examples
    --------
    >>> import daskflow as df
    >>> df.tensor_scatter_nd_update([1, 2, 3, 4], [[1], [3]], [9, 7]).compute()
    array([1, 9, 3, 7], dtype=int32)
    """
    return _tensor_scatter("TensorScatterUpdate", tensor, indices, updates, name, "tensor_scatter_nd_update")


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """``tensor`` with ``updates`` added at the index tuples of ``indices`` (repeated tuples add up)."""
    return _tensor_scatter("TensorScatterAdd", tensor, indices, updates, name, "tensor_scatter_nd_add")


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """``tensor`` with ``updates`` subtracted at the index tuples of ``indices``."""
    return _tensor_scatter("TensorScatterSub", tensor, indices, updates, name, "tensor_scatter_nd_sub")


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """``tensor`` with each indexed slice replaced by its elementwise minimum with the updates."""
    return _tensor_scatter("TensorScatterMin", tensor, indices, updates, name, "tensor_scatter_nd_min")


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """``tensor`` with each indexed slice replaced by its elementwise maximum with the updates."""
    return _tensor_scatter("TensorScatterMax", tensor, indices, updates, name, "tensor_scatter_nd_max")


tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub


def scatter_nd(indices, updates, shape, name=None):
    """Zeros of ``shape`` with ``updates`` summed in at the index tuples of ``indices`` (TF's ``scatter_nd``).

    Examples
    --------
    >>> import daskflow as df
    >>> df.scatter_nd([[4], [3], [1], [7]], [9, 10, 11, 12], [8]).compute()
    array([ 0, 11,  0, 10,  9,  0,  0, 12], dtype=int32)
    """
    u = convert_to_tensor(updates)
    base = zeros(shape, dtype=u.dtype, name="zeros")
    return _tensor_scatter("TensorScatterAdd", base, indices, u, name or "ScatterNd", "scatter_nd")


# -- scatters into variables: the new value is computed from the old, then assigned when the run succeeds

def _variable(ref, fn):
    from .state import Variable
    if not isinstance(ref, Variable):
        raise TypeError(f"{fn} needs a Variable as its ref, got {ref!r}")
    return ref


def _var_scatter(type_name, ref, indices, updates, nd, name, fn):
    from .state import assign
    ref = _variable(ref, fn)
    idx = convert_to_tensor(indices)
    if not nd:
        idx = expand_dims(idx, -1)
    u = convert_to_tensor(updates, dtype=ref.dtype) if not isinstance(updates, Tensor) else updates
    k = _index_depth(idx, fn)
    new = apply1(type_name, [ref, _linear(idx, ref, k, "shape"), u], {"k": k}, name=type_name)
    return assign(ref, new, name=name or fn.title().replace("_", ""))


def _var_scatter_fn(type_name, fn, nd, doc):
    def scatter(ref, indices, updates, use_locking=None, name=None):
        return _var_scatter(type_name, ref, indices, updates, nd, name, fn)
    scatter.__name__ = scatter.__qualname__ = fn
    scatter.__doc__ = doc
    return scatter


_ROWS = ("Variable ``ref`` with {what} at rows ``indices`` of its first dim (``updates`` of shape "
         "``indices.shape + ref.shape[1:]``), applied when the run succeeds; returns the updated value.")
_TUPLES = ("Variable ``ref`` with {what} at the index tuples in the last dim of ``indices``, applied when the run "
           "succeeds; returns the updated value.")
scatter_update = _var_scatter_fn("TensorScatterUpdate", "scatter_update", False, _ROWS.format(what="updates set"))
scatter_add = _var_scatter_fn("TensorScatterAdd", "scatter_add", False, _ROWS.format(what="updates added"))
scatter_sub = _var_scatter_fn("TensorScatterSub", "scatter_sub", False, _ROWS.format(what="updates subtracted"))
scatter_mul = _var_scatter_fn("TensorScatterMul", "scatter_mul", False, _ROWS.format(what="rows multiplied by updates"))
scatter_div = _var_scatter_fn("TensorScatterDiv", "scatter_div", False, _ROWS.format(what="rows divided by updates"))
scatter_min = _var_scatter_fn("TensorScatterMin", "scatter_min", False, _ROWS.format(what="the minimum taken"))
scatter_max = _var_scatter_fn("TensorScatterMax", "scatter_max", False, _ROWS.format(what="the maximum taken"))
scatter_nd_update = _var_scatter_fn("TensorScatterUpdate", "scatter_nd_update", True,
                                    _TUPLES.format(what="updates set"))
scatter_nd_add = _var_scatter_fn("TensorScatterAdd", "scatter_nd_add", True, _TUPLES.format(what="updates added"))
scatter_nd_sub = _var_scatter_fn("TensorScatterSub", "scatter_nd_sub", True, _TUPLES.format(what="updates subtracted"))


def batch_scatter_update(ref, indices, updates, use_locking=True, name=None):
    """Variable ``ref`` (shape ``B + [M] + ...``) with, in each batch, the rows ``indices`` (shape ``B + [N]``) of
    dim ``len(B)`` set to ``updates`` (shape ``B + [N] + ...``); returns the updated value."""
    ref = _variable(ref, "batch_scatter_update")
    idx = convert_to_tensor(indices)
    if idx.shape.ndims is None:
        raise ValueError("batch_scatter_update needs indices of known rank")
    b = idx.shape.ndims - 1
    full = _batch_coords(expand_dims(idx, -1), b, idx.dtype) if b else expand_dims(idx, -1)
    return _var_scatter("TensorScatterUpdate", ref, full, updates, True, name or "BatchScatterUpdate",
                        "batch_scatter_update")


# -- count_up_to

def _count_check(v, limit, label):
    if int(v) >= limit:
        raise errors.OutOfRangeError(None, None, f"Reached limit of {limit} [{label}]")
    return v


@register("CountUpTo")
class CountUpTo:
    """The variable's value, checked below ``limit``: at the limit the run fails with ``OutOfRangeError``."""
    side_effect = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        ref = op.inputs[0]
        if ref.dtype not in (dtypes.int32, dtypes.int64) or ref.shape.ndims not in (None, 0):
            fail(op, f"count_up_to needs a scalar int32 or int64 variable, got '{ref.name}' of dtype "
                     f"{ref.dtype.name} and shape {ref.shape}")
        return [((), ref.dtype)]

    def lower(op, ref):
        return ref.map_blocks(_count_check, limit=op.attrs["limit"], label=f"op '{op.name}' (type CountUpTo)",
                              dtype=ref.dtype, meta=ref._meta)


def count_up_to(ref, limit, name=None):
    """Increments variable ``ref`` (a scalar int) by one and gives its value before the increment; once it has
    reached ``limit`` the run fails with ``OutOfRangeError`` and ``ref`` is left as it is."""
    from .state import assign_add, identity
    ref = _variable(ref, "count_up_to")
    old = apply1("CountUpTo", [ref], {"limit": int(limit)}, name=name or "CountUpTo")
    with control_dependencies([old]):
        inc = assign_add(ref, convert_to_tensor(1, dtype=ref.dtype))
    with control_dependencies([inc]):
        return identity(old)
