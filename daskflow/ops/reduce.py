"""Reductions: sum, mean, max, min, prod, any, all, logsumexp, argmax/argmin and count_nonzero.

Each reduction op is one table row: ``reduction(...)`` declares the op (shape/dtype inference shared by all), its
lowering onto dask's tree reductions (so results and memory do not depend on the number of chunks, and
``dask.config.set(split_every=...)`` is honoured) and the public TF1 function. When every reduced axis is one
chunk, the op is instead one task per block calling the array module's own reduction: a tree reduction would add
an aggregation task per output block for nothing.
"""
import math

import dask.array as da
import numpy as np

import daskflow as df
from .. import backend, dtypes, errors, planner
from ..backend import xp
from ..graph import Tensor, TensorShape, name_scope
from .array import like_chunks
from .hostvalue import host_lowered, host_vector, int_arg, is_partial
from .math import _conj, add, cast, equal, exp, is_finite, log, not_equal, subtract, where_v2
from .registry import fail_dtype
from .registry import NOT_DIFFERENTIABLE, OPS, apply1, convert_to_tensor, defop, fail, register
from .state import stop_gradient

__all__ = ["reduce_logsumexp", "argmax", "argmin", "arg_max", "arg_min", "count_nonzero"]

_KINDS = {"fciu": "numeric", "fiu": "real numeric", "b": "bool", "fiub": "real numeric or bool"}


# -- arguments

def _pick(name, value, old_name, old_value):
    """TF1's deprecated-argument lookup: ``value`` or its old spelling, never both."""
    if value is not None and old_value is not None:
        raise ValueError(f"Cannot specify both '{name}' and '{old_name}'")
    return value if value is not None else old_value


def _static_axis(axis):
    """``axis`` as None, an int or a tuple of ints; a constant tensor gives its value."""
    if axis is None:
        return None
    if hasattr(axis, "_as_tensor") or isinstance(axis, Tensor):
        t = convert_to_tensor(axis)
        if t.op.type != "Const":
            raise ValueError(f"reduction axes must be known when the graph is built; '{t.name}' is computed "
                             f"by a {t.op.type} op")
        axis = t.op.attrs["value"]
    arr = np.asarray(axis)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"axis must be an int or a list of ints, got {axis!r}")
    if arr.ndim > 1:
        raise ValueError(f"axis must be an int or a 1-D list of ints, got {axis!r}")
    return int(arr) if arr.ndim == 0 else tuple(int(a) for a in arr)


def _axes(op, axis, ndim):
    """Sorted non-negative reduction axes; an axis given twice is an error, as in TF."""
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int) else axis
    seen = set()
    for a in axis:
        if not -ndim <= a < ndim:
            fail(op, f"Invalid reduction dimension {a} for input with {ndim} dimension(s) "
                     f"(axis={list(axis)}, input shape {op.inputs[0].shape})")
        if a % ndim in seen:
            fail(op, f"Invalid reduction arguments: Axes contains duplicate dimension: {a % ndim} (axis={list(axis)})")
        seen.add(a % ndim)
    return tuple(sorted(seen))


def _check_kind(op, x, kinds):
    """TF's TypeError for an input of a dtype the op does not take."""
    if x.dtype.kind not in kinds:
        fail_dtype(op, x, f"a {_KINDS[kinds]} input")


def _check_nonempty(op, x, axes):
    for a in axes:
        if x.shape[a] == 0:
            fail(op, f"Reduction axis {a} is empty in shape {x.shape}: {op.type} of no values has no identity")


# -- reduction ops

_DOC = """{what} of ``input_tensor`` over ``axis`` (op type ``{type}``).

    Parameters
    ----------
    input_tensor : Tensor or array-like
    axis : int or list of ints, optional
        Axes to reduce, each in ``[-rank, rank)``; None (default) reduces all of them. ``reduction_indices`` is
        TF1's older name for it.
    keepdims : bool, optional
        Keep reduced axes with size 1 (default False). ``keep_dims`` is TF1's older name for it.
    name : str, optional

    Returns
    -------
    Tensor
        The reduced tensor, of the input's dtype.
    """


def reduction(type_name, lower, public_name, kinds="fciu", identity=None, doc="", host=None, grad=None,
              block=None):
    """Declare a reduction op: input 0 reduced over ``attrs["axis"]`` by ``lower(x, axes, keepdims)``, or by
    ``block(x, axes, keepdims)`` (one task per block) where that does not give None; ``identity(dtype)`` is the
    value of a reduction over an empty axis where dask's is not right (max, min); ``host`` (a numpy reduction)
    evaluates small int shape arithmetic on the host, e.g. ``reduce_prod(shape(x))``; ``grad`` is the gradient
    rule."""
    def infer(op):
        x = op.inputs[0]
        _check_kind(op, x, kinds)
        axis, keep = op.attrs["axis"], op.attrs["keepdims"]
        dt = x.dtype
        if x.shape.ndims is None:
            return [(TensorShape(()) if axis is None and not keep else TensorShape(None), dt)]
        axes = _axes(op, axis, x.shape.ndims)
        return [([1 if i in axes else d for i, d in enumerate(x.shape) if keep or i not in axes], dt)]

    def reduce(x, axes, keep):  # the dask array of the reduction of ``x`` over ``axes`` (non-negative ints)
        if identity is not None and any(x.shape[a] == 0 for a in axes):
            dims = tuple(1 if i in axes else d for i, d in enumerate(x.shape) if keep or i not in axes)
            return da.full_like(x, identity(x.dtype), shape=dims, chunks=planner.chunks_for(dims, x.dtype))
        out = block(x, axes, keep) if block is not None else None
        return lower(x, axes, keep) if out is None else out

    def lower_op(op, x):
        return reduce(x, _axes(op, op.attrs["axis"], x.ndim), op.attrs["keepdims"])

    def host_op(op, v):
        if is_partial(v):
            return None
        return host(v, axis=_axes(op, op.attrs["axis"], v.ndim), keepdims=op.attrs["keepdims"])

    defop(type_name, infer, lower_op, grad=grad, host=host and host_op, reduce=staticmethod(reduce))

    def public(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
        attrs = {"axis": _static_axis(_pick("axis", axis, "reduction_indices", reduction_indices)),
                 "keepdims": bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))}
        return apply1(type_name, [input_tensor], attrs, name=name or type_name)

    public.__name__ = public_name
    public.__doc__ = _DOC.format(what=doc, type=type_name)
    globals()[public_name] = public
    __all__.append(public_name)
    return public


def _mean(x, axes, keep):
    n = _count(x, axes, keep)
    if x.dtype.kind in "iu":
        s = da.sum(x, axis=axes, keepdims=keep, dtype=np.int64 if x.dtype.kind == "i" else np.uint64)
        d = max(n, 1) if isinstance(n, int) else da.maximum(n, 1)
        if x.dtype.kind == "i":  # integer mean truncates toward zero, as TF; an empty mean is 0
            return da.where(s < 0, -(-s // d), s // d).astype(x.dtype)
        return (s // d).astype(x.dtype)
    s = da.sum(x, axis=axes, keepdims=keep, dtype=np.float32 if x.dtype == np.float16 else x.dtype)
    if isinstance(n, int):
        return (s / n if n else da.full_like(s, np.nan)).astype(x.dtype)
    return da.where(n > 0, s / da.maximum(n, 1), np.nan).astype(x.dtype)


def _count(x, axes, keep):
    """How many values each output of a reduction over ``axes`` sees: an int, or a dask array when the
    input's chunk sizes are unknown (e.g. after boolean masking)."""
    dims = [x.shape[a] for a in axes]
    if not any(math.isnan(d) for d in dims):
        return math.prod(dims)
    return da.sum(da.ones_like(x, dtype=np.int64), axis=axes, keepdims=keep)


# -- one task per block, when each reduced axis is one chunk

def _per_block(x, axes, keep, dtype, kernel, **kwargs):
    """``kernel(block, **kwargs)`` on each block of ``x``, reducing ``axes`` (kept as size 1 when ``keep``) to an
    array of ``dtype``; None when a reduced axis is split across chunks, of unknown or zero size, or when there
    is nothing to reduce (the tree reduction handles those)."""
    if not axes or any(len(x.chunks[a]) != 1 or math.isnan(x.shape[a]) or x.shape[a] == 0 for a in axes):
        return None
    ind = tuple(range(x.ndim))
    out = tuple(i for i in ind if keep or i not in axes)
    return da.blockwise(kernel, out, x, ind, dtype=dtype, meta=backend.meta(x, dtype, len(out)),
                        adjust_chunks={a: (1,) for a in axes} if keep else None, **kwargs)


def _whole(b):
    # a reduced axis that is not kept is one block, which blockwise passes in a list of one (concatenating copies)
    while isinstance(b, list):
        b = b[0]
    return b


_GEMV_ROWS = 64


def _sum(m, b, axis, keepdims, dtype):
    """``m.sum`` of one block. A float sum over leading axes of a C-ordered block (a bias gradient: the rows of a
    batch) is a product with a vector of ones, which BLAS does in one threaded pass, about twice numpy's speed on
    axis 0 (numpy adds row after row there too, so the rounding is alike)."""
    k = len(axis)
    if (dtype == b.dtype and b.dtype.kind == "f" and b.dtype.itemsize >= 4 and 0 < k < b.ndim
            and axis == tuple(range(k)) and b.flags.c_contiguous):
        rows, cols = math.prod(b.shape[:k]), math.prod(b.shape[k:])
        if rows >= _GEMV_ROWS and cols > 1:
            r = m.ones(rows, b.dtype) @ b.reshape(rows, cols)
            return r.reshape(((1,) * k if keepdims else ()) + b.shape[k:])
    return m.sum(b, axis=axis, keepdims=keepdims, dtype=dtype)


def _reduce_block(b, fn, axis, keepdims, acc=None):
    b = _whole(b)
    m = xp(b)
    if fn == "sum":
        return m.asarray(_sum(m, b, axis, keepdims, acc if acc is not None else b.dtype))
    r = getattr(m, fn)(b, axis=axis, keepdims=keepdims, **({} if acc is None else {"dtype": acc}))
    return m.asarray(r)  # numpy gives a scalar when every axis is reduced


def _mean_block(b, axis, keepdims, out):
    b = _whole(b)
    m = xp(b)
    n = math.prod(b.shape[a] for a in axis)
    if out.kind in "iu":  # as _mean: an int64 (uint64) sum, truncated toward zero
        s = m.sum(b, axis=axis, keepdims=keepdims, dtype=m.int64 if out.kind == "i" else m.uint64)
        r = m.where(s < 0, -(-s // n), s // n) if out.kind == "i" else s // n
    else:
        r = _sum(m, b, axis, keepdims, m.dtype(m.float32 if out == m.float16 else out)) / n
    return m.asarray(r).astype(out, copy=False)


def _arg_block(b, fn, axis, out):
    b = _whole(b)
    m = xp(b)
    return m.asarray(getattr(m, fn)(b, axis=axis)).astype(out, copy=False)


def _blocks(fn, typed=False):
    """The per-block lowering of array-module reduction ``fn``; ``typed`` accumulates in the input's dtype."""
    def block(x, axes, keep):
        return _per_block(x, axes, keep, x.dtype, _reduce_block, fn=fn, axis=axes, keepdims=keep,
                          acc=x.dtype if typed else None)
    return block


def _mean_blocks(x, axes, keep):
    return _per_block(x, axes, keep, x.dtype, _mean_block, axis=axes, keepdims=keep, out=x.dtype)


# -- gradient rules

def _with_reduced_dims(op, t):
    """``t`` (an output of reduction ``op``, or its gradient) with the reduced axes back, as dims of size 1."""
    x = op.inputs[0]
    if op.attrs["keepdims"] or t.shape.ndims == 0:
        return t
    if x.shape.ndims is None:
        return df.reshape(t, _reduced_shape(x, op.attrs["axis"]))
    for a in _axes(op, op.attrs["axis"], x.shape.ndims):
        t = df.expand_dims(t, a)
    return t


def _reduced_shape(x, axis):
    """``shape(x)`` with 1 at the reduced ``axis`` (ints, maybe negative), for ``x`` of a rank known only when the
    graph is lowered (TF's ``reduced_shape``): arithmetic the host evaluates from the lowered shapes."""
    dims, rank = df.shape(x), df.rank(x)
    i = df.range(rank)
    hit = 0
    for a in (axis,) if isinstance(axis, int) else axis:
        d = i - df.floormod(a, rank)
        hit = hit + (1 - df.minimum(d * d, 1))  # 1 where i is axis a, else 0
    return dims - (dims - 1) * hit


def _sum_grad(op, dy):
    return [df.broadcast_to(_with_reduced_dims(op, dy), df.shape(op.inputs[0]))]


def reduced_count(op, dtype):
    """How many values each output of reduction ``op`` sees (at least 1), as a python int or, when known only at
    run time, a tensor of ``dtype``: the input's size over the output's, as TF."""
    x = op.inputs[0]
    dims = [x.shape[a] for a in _axes(op, op.attrs["axis"], x.shape.ndims)] if x.shape.ndims is not None else [None]
    if None in dims:
        return cast(df.size(x), dtype) / cast(df.maximum(df.size(op.outputs[0]), 1), dtype)
    return max(math.prod(dims), 1)


def _mean_grad(op, dy):
    return _sum_grad(op, dy / reduced_count(op, dy.dtype))


def _extreme_grad(op, dy):  # the entries equal to the max (min) share dy evenly, as TF
    x = op.inputs[0]
    hit = cast(equal(x, _with_reduced_dims(op, op.outputs[0])), x.dtype)
    return [hit / df.reduce_sum(hit, op.attrs["axis"], keepdims=True) * _with_reduced_dims(op, dy)]


def _prod_grad(op, dy):
    # why: y / x_i divides by zero at zeros. Instead, d y / d x_i is the product of the nonzero entries other
    # than x_i, times that of the zero entries other than x_i: 1 with none, the zero entry itself with one (0, but
    # with the right derivative, so gradients of gradients hold) and 0 with more. TF gets it from cumprods.
    x, axis = op.inputs[0], op.attrs["axis"]
    zero = equal(x, 0)
    safe, zero_x, is_zero = where_v2(zero, 1, x), where_v2(zero, x, 0), cast(zero, x.dtype)
    n_other = df.reduce_sum(is_zero, axis, keepdims=True) - is_zero  # zeros among the other entries
    other_zero = where_v2(equal(n_other, 1), df.reduce_sum(zero_x, axis, keepdims=True) - zero_x, 0)
    g = df.reduce_prod(safe, axis, keepdims=True) / safe * where_v2(equal(n_other, 0), 1, other_zero)
    return [_conj(g) * _with_reduced_dims(op, dy)]


reduction("Sum", lambda x, ax, k: da.sum(x, axis=ax, keepdims=k, dtype=x.dtype), "reduce_sum", doc="Sum",
          host=np.sum, grad=_sum_grad, block=_blocks("sum", typed=True))
reduction("Mean", _mean, "reduce_mean", doc="Mean (integers truncate toward zero, as TF)", grad=_mean_grad,
          block=_mean_blocks)
reduction("Prod", lambda x, ax, k: da.prod(x, axis=ax, keepdims=k, dtype=x.dtype), "reduce_prod", doc="Product",
          host=np.prod, grad=_prod_grad, block=_blocks("prod", typed=True))
reduction("Max", lambda x, ax, k: da.max(x, axis=ax, keepdims=k), "reduce_max", kinds="fiu",
          identity=lambda dt: -np.inf if dt.kind == "f" else np.iinfo(dt).min,
          doc="Maximum (over an empty axis: the dtype's lowest value, -inf for floats, as TF)", grad=_extreme_grad,
          block=_blocks("max"))
reduction("Min", lambda x, ax, k: da.min(x, axis=ax, keepdims=k), "reduce_min", kinds="fiu",
          identity=lambda dt: np.inf if dt.kind == "f" else np.iinfo(dt).max,
          doc="Minimum (over an empty axis: the dtype's highest value, inf for floats, as TF)", grad=_extreme_grad,
          block=_blocks("min"))
reduction("Any", lambda x, ax, k: da.any(x, axis=ax, keepdims=k), "reduce_any", kinds="b", doc="Logical or",
          grad=NOT_DIFFERENTIABLE, block=_blocks("any"))
reduction("All", lambda x, ax, k: da.all(x, axis=ax, keepdims=k), "reduce_all", kinds="b", doc="Logical and",
          grad=NOT_DIFFERENTIABLE, block=_blocks("all"))


@register("SumToShape")
class SumToShape:
    """The gradient of a broadcast: ``g`` summed over its leading dims and over the dims where ``shape`` (the
    shape of the input that was broadcast, as a tensor) is 1, as TF's ``BroadcastGradientArgs`` + ``Sum`` +
    ``Reshape``; dims where ``g`` is 1 and ``shape`` is not (an einsum label of size 1 in the other operands) are
    broadcast up. What to do is decided from the run's shapes when the plan is made; nothing gives ``g`` itself."""

    def infer(op):
        dims = host_vector(op, 1, "shape")
        return [(TensorShape(None) if dims is None else dims, op.inputs[0].dtype)]

    def lower(op, g, _):
        target = host_lowered(op, 1, "shape").tolist()
        if len(target) > g.ndim:
            g = g[(None,) * (len(target) - g.ndim)]
        lead = g.ndim - len(target)
        dims = g.shape[lead:]
        if any(d == d and d != n and 1 not in (d, n) for d, n in zip(dims, target)):  # d != d: unknown (nan)
            fail(op, f"Incompatible shapes: a gradient of shape {g.shape} cannot come from broadcasting shape "
                     f"{tuple(target)}")
        axes = tuple(range(lead)) + tuple(lead + i for i, (d, n) in enumerate(zip(dims, target)) if n == 1 and d != 1)
        out = OPS["Sum"].reduce(g, axes, True)[(0,) * lead] if axes else g
        up = [i for i, (d, n) in enumerate(zip(dims, target)) if d == 1 and n != 1]
        if not up:
            return out
        spread = like_chunks(op, 1, target, out.dtype) or planner.chunks_for(tuple(target), out.dtype)
        chunks = tuple(spread[i] if i in up else c for i, c in enumerate(out.chunks))
        b = da.broadcast_to(out, tuple(target), chunks=chunks)
        return b.map_blocks(_copy, dtype=out.dtype, meta=out._meta)

    def grad(op, dy):  # summing down and broadcasting up are each other's adjoints
        return [sum_to_shape(dy, df.shape(op.inputs[0])), None]


def _copy(b):
    return b.copy()  # a writable block, not a view of a broadcast


def sum_to_shape(g, shape, name="SumToShape"):
    """``g`` summed down (or, for its dims of size 1, broadcast up) to ``shape`` (an int vector tensor): the
    gradient of a numpy broadcast."""
    return apply1("SumToShape", [g, int_arg(shape, "shape")], name=name)


# -- composites

def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``log(sum(exp(input_tensor)))`` over ``axis``, computed stably: values are shifted by their (finite) max
    first, so large inputs do not overflow; a slice of only ``-inf`` gives ``-inf``.

    Parameters and result are as ``reduce_sum``'s; the input must be floating point.

    Examples
    --------
    >>> import daskflow as df
    >>> float(df.reduce_logsumexp([1e4, 1e4]).compute())
    10000.693359375
    """
    axis = _static_axis(_pick("axis", axis, "reduction_indices", reduction_indices))
    keep = bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))
    with name_scope(name, "ReduceLogSumExp") as scope:
        x = _float_input(input_tensor, "reduce_logsumexp")
        raw_max = reduce_max(x, axis, keepdims=True)  # noqa: F821 - defined by reduction() above
        # an infinite max would give inf - inf = NaN; TF shifts such slices by 0 instead
        shift = stop_gradient(where_v2(is_finite(raw_max), raw_max, 0.0))
        total = reduce_sum(exp(subtract(x, shift)), axis, keepdims=True)  # noqa: F821
        empty = equal(total, 0.0)  # only -inf values: log(0) without numpy's divide-by-zero warning
        lse = where_v2(empty, -np.inf, log(where_v2(empty, 1.0, total)))
        if keep:
            return add(lse, shift, name=scope)
        # summing over the reduced axes, all of size 1 here, only drops them: the values are unchanged
        return reduce_sum(add(lse, shift), axis, name=scope)  # noqa: F821


def _float_input(x, fn_name):
    x = convert_to_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn_name} needs a floating point input, got '{x.name}' of dtype {x.dtype.name}")
    return x


def count_nonzero(input_tensor=None, axis=None, keepdims=None, dtype=dtypes.int64, name=None,
                  reduction_indices=None, keep_dims=None, input=None):
    """How many entries of ``input_tensor`` are not zero (not False), over ``axis``, as ``dtype``.

    ``axis``, ``keepdims`` and their TF1 aliases are as ``reduce_sum``'s; ``input`` is TF's alias of
    ``input_tensor``.
    """
    x = _pick("input_tensor", input_tensor, "input", input)
    axis = _static_axis(_pick("axis", axis, "reduction_indices", reduction_indices))
    keep = bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))
    with name_scope(name, "count_nonzero") as scope:
        x = convert_to_tensor(x)
        nonzero = cast(not_equal(x, np.zeros((), x.dtype)), dtypes.int64)
        if dtypes.as_dtype(dtype) == dtypes.int64:
            return reduce_sum(nonzero, axis, keepdims=keep, name=scope)  # noqa: F821
        return cast(reduce_sum(nonzero, axis, keepdims=keep), dtype, name=scope)  # noqa: F821


# -- arg reductions

def arg_reduction(type_name, lower, public_name, doc):
    """Declare an index-of-extreme op along one axis (``attrs["axis"]``), ``output_type`` int32 or int64: dask's
    ``lower``, or the array module's function of the same name per block when that axis is one chunk."""
    def infer(op):
        x, axis, out = op.inputs[0], op.attrs["axis"], op.attrs["output_type"]
        _check_kind(op, x, "fiub")
        if out not in (dtypes.int32, dtypes.int64):
            fail(op, f"output_type must be int32 or int64, got {out.name}")
        if not isinstance(axis, int):
            fail(op, f"{type_name} needs a scalar axis, got {list(axis)}")
        if x.shape.ndims is None:
            return [(TensorShape(None), out)]
        ndim = x.shape.ndims
        if not -ndim <= axis < ndim:
            fail(op, f"Expected dimension in the range [{-ndim}, {ndim}), but got {axis} "
                     f"(input shape {x.shape})")
        _check_nonempty(op, x, [axis % ndim])
        return [([d for i, d in enumerate(x.shape) if i != axis % ndim], out)]

    def lower_op(op, x):
        axis = op.attrs["axis"] % x.ndim
        if any(math.isnan(c) for c in x.chunks[axis]):
            fail(op, f"{type_name} needs known chunk sizes along axis {axis}; the input's are unknown "
                     "(compute them first, e.g. with dask's compute_chunk_sizes())", cls=errors.UnimplementedError)
        out = _per_block(x, (axis,), False, op.attrs["output_type"], _arg_block, fn=lower.__name__, axis=axis,
                         out=op.attrs["output_type"])
        return lower(x, axis=axis).astype(op.attrs["output_type"]) if out is None else out

    defop(type_name, infer, lower_op, grad=NOT_DIFFERENTIABLE)

    def public(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):
        axis = _static_axis(_pick("axis", axis, "dimension", dimension))
        attrs = {"axis": 0 if axis is None else axis, "output_type": dtypes.as_dtype(output_type)}
        return apply1(type_name, [input], attrs, name=name or type_name)

    public.__name__ = public_name
    public.__doc__ = f"""Index of the {doc} of ``input`` along ``axis`` (op type ``{type_name}``), the first one
    on ties.

    Parameters
    ----------
    input : Tensor or array-like
        Real numeric or bool.
    axis : int, optional
        The axis to search, in ``[-rank, rank)``; TF1's default is 0. ``dimension`` is TF1's older name for it.
    name : str, optional
    output_type : dtype, optional
        int64 (default) or int32.

    Returns
    -------
    Tensor
        The indices, of ``output_type``, with ``axis`` removed from the input's shape.
    """
    globals()[public_name] = public
    return public


arg_reduction("ArgMax", da.argmax, "argmax", "largest value")
arg_reduction("ArgMin", da.argmin, "argmin", "smallest value")


def arg_max(input, dimension, output_type=dtypes.int64, name=None):
    """TF1's older ``arg_max``: ``argmax`` along ``dimension``."""
    return argmax(input, dimension, name=name, output_type=output_type)  # noqa: F821


def arg_min(input, dimension, output_type=dtypes.int64, name=None):
    """TF1's older ``arg_min``: ``argmin`` along ``dimension``."""
    return argmin(input, dimension, name=name, output_type=output_type)  # noqa: F821
