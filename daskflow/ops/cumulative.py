"""Cumulative ops (``cumsum``, ``cumprod``, ``cumulative_logsumexp``: exclusive, reverse, along any axis, chunked
along it), and the reductions TF keeps in ``tf.math`` beside the ``reduce_*`` family: ``reduce_variance``,
``reduce_std``, ``reduce_euclidean_norm``, ``accumulate_n``, ``bincount`` and the monotonicity tests.

A scan along a chunked axis is three steps of tasks, none holding more than a block: each block's total along the
axis; the exclusive scan of those totals (one small task per row of blocks), which is each block's carry; then
each block's own scan combined with its carry.
"""
import dask.array as da

from .. import backend, dtypes
from ..backend import xp
from ..graph import TensorShape, control_dependencies, name_scope
from .math import Assert, add_n, cast, conj, exp, greater, greater_equal, less, log, maximum, minimum, sqrt
from .math import square, subtract, where_v2
from .reduce import _pick, _static_axis, reduce_all, reduce_max, reduce_mean, reduce_sum
from .registry import apply1, convert_to_tensor, defop, fail

__all__ = ["cumsum", "cumprod", "accumulate_n", "bincount", "is_non_decreasing", "is_strictly_increasing"]
NAMESPACES = {"math": ["cumsum", "cumprod", "cumulative_logsumexp", "reduce_std", "reduce_variance",
                       "reduce_euclidean_norm", "accumulate_n", "bincount", "is_non_decreasing",
                       "is_strictly_increasing"]}


# -- chunk functions: scan, total and combine of each cumulative op, on the chunk's array module

def _scan(fn, m, b, axis):
    if fn == "sum":
        return m.cumsum(b, axis=axis, dtype=b.dtype)
    if fn == "prod":
        return m.cumprod(b, axis=axis, dtype=b.dtype)
    return m.logaddexp.accumulate(b, axis=axis)


def _total(fn, m, b, axis):
    if fn == "sum":
        return m.sum(b, axis=axis, keepdims=True, dtype=b.dtype)
    if fn == "prod":
        return m.prod(b, axis=axis, keepdims=True, dtype=b.dtype)
    return m.expand_dims(m.logaddexp.reduce(b, axis=axis), axis) if b.shape[axis] else m.full_like(
        b, -m.inf, shape=b.shape[:axis] + (1,) + b.shape[axis + 1:])


def _combine(fn, m, a, b):
    return a + b if fn == "sum" else a * b if fn == "prod" else m.logaddexp(a, b)


_IDENTITY = {"sum": 0, "prod": 1, "logsumexp": float("-inf")}


def _quiet(m):
    return m.errstate(all="ignore") if hasattr(m, "errstate") else _Nothing()


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def scan_block(b, carry=None, *, fn, axis, exclusive, reverse):
    """The scan of block ``b`` along ``axis`` (exclusive: each entry leaves itself out; reverse: from the end),
    combined with ``carry`` (what the blocks before it in the scan's direction sum to, size 1 along ``axis``)."""
    m = xp(b)
    with _quiet(m):
        if reverse:
            b = m.flip(b, axis)
        s = _scan(fn, m, b, axis)
        if exclusive:
            first = m.full_like(s, _IDENTITY[fn], shape=s.shape[:axis] + (1,) + s.shape[axis + 1:])
            s = m.concatenate([first, s[(slice(None),) * axis + (slice(None, -1),)]], axis=axis)
        if carry is not None:
            s = _combine(fn, m, carry, s)
        return (m.flip(s, axis) if reverse else s).astype(b.dtype, copy=False)


def total_block(b, *, fn, axis):
    m = xp(b)
    with _quiet(m):
        return _total(fn, m, b, axis).astype(b.dtype, copy=False)


def scan(x, fn, axis, exclusive, reverse):
    """The scan of dask array ``x`` along ``axis`` (see ``scan_block``), keeping its chunks."""
    kw = dict(fn=fn, axis=axis, exclusive=exclusive, reverse=reverse)
    if len(x.chunks[axis]) <= 1:
        return x.map_blocks(scan_block, dtype=x.dtype, meta=x._meta, **kw)
    nb = len(x.chunks[axis])
    chunks = x.chunks[:axis] + ((1,) * nb,) + x.chunks[axis + 1:]
    totals = x.map_blocks(total_block, fn=fn, axis=axis, chunks=chunks, dtype=x.dtype, meta=x._meta)
    row = totals.rechunk({axis: -1})  # one small block per row of blocks: nb totals each
    carries = row.map_blocks(scan_block, dtype=x.dtype, meta=x._meta, fn=fn, axis=axis, exclusive=True,
                             reverse=reverse).rechunk({axis: 1})
    ind = tuple(range(x.ndim))
    return da.blockwise(scan_block, ind, x, ind, carries, ind, align_arrays=False, dtype=x.dtype,
                        meta=backend.meta(x, x.dtype), **kw)


# -- the ops

_KINDS = {"sum": "fciu", "prod": "fciu", "logsumexp": "f"}
_ALLOWED = {"fciu": "numeric", "f": "floating point"}


def _cumulative(type_name, fn, grad):
    def infer(op):
        x = op.inputs[0]
        if x.dtype.kind not in _KINDS[fn] or x.dtype == dtypes.bool:
            raise TypeError(f"Value passed to parameter 'x' has DataType {dtypes.name(x.dtype)} not in list of "
                            f"allowed values: {_ALLOWED[_KINDS[fn]]} dtypes [op '{op.name}' (type {type_name})]")
        nd, axis = x.shape.ndims, op.attrs["axis"]
        if nd is not None and not -nd <= axis < nd:
            fail(op, f"Expected scan axis in the range [{-nd}, {nd}), but got {axis}")
        return [(x.shape, x.dtype)]

    def lower(op, x):
        return scan(x, fn, op.attrs["axis"] % x.ndim, op.attrs["exclusive"], op.attrs["reverse"])

    defop(type_name, infer, lower, grad=grad)

    def public(x, axis=0, exclusive=False, reverse=False, name=None):
        axis = _static_axis(axis)
        if not isinstance(axis, int):
            raise ValueError(f"axis must be a scalar, got {axis!r}")
        attrs = {"axis": axis, "exclusive": bool(exclusive), "reverse": bool(reverse)}
        return apply1(type_name, [x], attrs, name=name or type_name)
    return public


def _attrs(op, **change):
    a = dict(op.attrs)
    a.update(change)
    return a["axis"], a["exclusive"], a["reverse"]


def _cumsum_grad(op, dy):
    axis, exclusive, reverse = _attrs(op)
    return [cumsum(dy, axis, exclusive=exclusive, reverse=not reverse)]


def _cumprod_grad(op, dy):  # TF's: nan-free where x is 0, though not the true derivative there
    x = op.inputs[0]
    axis, exclusive, reverse = _attrs(op)
    out = cumsum(op.outputs[0] * dy, axis, exclusive=exclusive, reverse=not reverse)
    return [apply1("DivNoNan", [out, x], name="DivNoNan")]


def _cumulative_logsumexp_grad(op, dy):
    # why: dy may be negative, so its log is split into positive and negative parts, each scanned in log space
    x, y = op.inputs[0], op.outputs[0]
    axis, exclusive, reverse = _attrs(op)
    lowest = float(-3.4028234663852886e38) if x.dtype.itemsize >= 4 else -65504.0
    pos = where_v2(greater(dy, 0), log(where_v2(greater(dy, 0), dy, 1)), lowest)
    neg = where_v2(less(dy, 0), log(where_v2(less(dy, 0), -dy, 1)), lowest)
    parts = [exp(cumulative_logsumexp(p - y, axis, exclusive=exclusive, reverse=not reverse) + x) for p in (pos, neg)]
    return [parts[0] - parts[1]]


cumsum = _cumulative("Cumsum", "sum", _cumsum_grad)
cumprod = _cumulative("Cumprod", "prod", _cumprod_grad)
cumulative_logsumexp = _cumulative("CumulativeLogsumexp", "logsumexp", _cumulative_logsumexp_grad)
cumsum.__name__, cumprod.__name__, cumulative_logsumexp.__name__ = "cumsum", "cumprod", "cumulative_logsumexp"
_SCAN_DOC = """The cumulative {what} of ``x`` along ``axis`` (op type ``{type}``).

    Parameters
    ----------
    x : Tensor
        {kinds}
    axis : int, optional
        The axis to scan, in ``[-rank, rank)`` (default 0).
    exclusive : bool, optional
        Leave each entry out of its own result: the first result is {identity}.
    reverse : bool, optional
        Scan from the end of the axis.
    name : str, optional

    Returns
    -------
    Tensor
        Of ``x``'s shape and dtype.
    """
cumsum.__doc__ = _SCAN_DOC.format(what="sum", type="Cumsum", kinds="Numeric.", identity="0")
cumprod.__doc__ = _SCAN_DOC.format(what="product", type="Cumprod", kinds="Numeric.", identity="1")
cumulative_logsumexp.__doc__ = _SCAN_DOC.format(what="``log(sum(exp(x)))``", type="CumulativeLogsumexp",
                                                kinds="Floating point.", identity="-inf")


# -- reductions

def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The variance of ``input_tensor`` over ``axis`` (the mean squared deviation from the mean, without
    Bessel's correction), as TF's composite; complex inputs give their real dtype. ``axis`` and ``keepdims`` are
    as ``reduce_mean``'s."""
    with name_scope(name, "reduce_variance") as scope:
        x = convert_to_tensor(input_tensor)
        if x.dtype.kind not in "fc":
            raise TypeError(f"Input must be either real or complex. Received integer type {x.dtype.name}.")
        diff = subtract(x, reduce_mean(x, axis, keepdims=True))
        sq = apply1("Real", [diff * conj(diff)], name="Real") if x.dtype.kind == "c" else square(diff)
        return reduce_mean(sq, axis, keepdims=keepdims, name=scope)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The standard deviation of ``input_tensor`` over ``axis``: ``sqrt(reduce_variance(...))``."""
    with name_scope(name, "reduce_std") as scope:
        return sqrt(reduce_variance(input_tensor, axis, keepdims), name=scope)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                          keep_dims=None):
    """``sqrt(sum(x * conj(x)))`` over ``axis``, of the input's dtype (integers truncate, as TF's
    ``EuclideanNorm``). ``axis``, ``keepdims`` and their TF1 aliases are as ``reduce_sum``'s."""
    axis = _static_axis(_pick("axis", axis, "reduction_indices", reduction_indices))
    keep = bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))
    with name_scope(name, "EuclideanNorm") as scope:
        x = convert_to_tensor(input_tensor)
        if x.dtype.kind in "iu":
            norm = sqrt(reduce_sum(square(cast(x, dtypes.float64)), axis, keepdims=keep))
            return cast(norm, x.dtype, name=scope)
        return sqrt(reduce_sum(x * conj(x) if x.dtype.kind == "c" else square(x), axis, keepdims=keep), name=scope)


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The elementwise sum of the tensors ``inputs``, all of one shape and dtype (TF1's ``accumulate_n``, which
    is ``add_n`` where nothing is accumulated in place); ``shape`` and ``tensor_dtype``, when given, must match."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype and shape")
    inputs = [convert_to_tensor(x) for x in inputs]
    if any(x.dtype != inputs[0].dtype for x in inputs):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype and shape")
    if tensor_dtype is not None and dtypes.as_dtype(tensor_dtype) != inputs[0].dtype:
        raise TypeError(f"tensor_dtype is {dtypes.name(dtypes.as_dtype(tensor_dtype))}, but input is of type "
                        f"{dtypes.name(inputs[0].dtype)}")
    merged = TensorShape(shape)
    for x in inputs:
        if not merged.is_compatible_with(x.shape):
            raise ValueError(f"Shapes {merged} and {x.shape} are incompatible")
        merged = merged.merge_with(x.shape)
    with name_scope(name, "AccumulateN") as scope:
        if len(inputs) == 1:
            from .state import identity
            return identity(inputs[0], name=scope)
        return add_n(inputs, name=scope)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32):
    """How many times each value ``0, 1, ...`` occurs in the int tensor ``arr`` (any shape), or the sums of
    ``weights`` (of ``arr``'s shape) at each value. The output's length is ``max(arr) + 1`` (0 for an empty
    ``arr``), at least ``minlength`` and at most ``maxlength`` (values from ``maxlength`` on are dropped), so it is
    known only when the run computes it. Negative values raise ``InvalidArgumentError``. Not differentiable."""
    from .indexing import unsorted_segment_sum
    with name_scope(None, "bincount") as scope:
        arr = convert_to_tensor(arr)
        if arr.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"arr must be int32 or int64, got dtype {dtypes.name(arr.dtype)}")
        out_dtype = dtypes.as_dtype(dtype)
        if weights is not None:
            weights = convert_to_tensor(weights)
            out_dtype = weights.dtype
        # an empty arr's max is the dtype's lowest value: the size comes out 0
        size = maximum(reduce_max(arr) + 1, 0)
        if minlength is not None:
            size = maximum(size, cast(convert_to_tensor(minlength), arr.dtype))
        if maxlength is not None:
            size = minimum(size, cast(convert_to_tensor(maxlength), arr.dtype))
        check = Assert(reduce_all(greater(arr, -1)), ["Input arr must be non-negative!"], name="non_negative")
        with control_dependencies([check]):
            ids = where_v2(less(arr, size), arr, -1)  # values beyond maxlength are dropped
        if weights is None:
            from .generate import ones_like
            weights = ones_like(arr, dtype=out_dtype)
        return unsorted_segment_sum(weights, ids, size, name=scope)


def _monotone(x, strict, name, default):
    from .array import reshape
    with name_scope(name, default) as scope:
        x = convert_to_tensor(x)
        if x.dtype.kind not in "fiu":
            raise TypeError(f"Expected x to be numeric, got dtype {dtypes.name(x.dtype)}")
        flat = reshape(x, [-1])
        later, earlier = flat[1:], flat[:-1]
        ok = greater(later, earlier) if strict else greater_equal(later, earlier)
        return reduce_all(ok, name=scope)


def is_non_decreasing(x, name=None):
    """Whether the values of ``x``, read in row-major order, never decrease (True for fewer than two), as a
    bool scalar."""
    return _monotone(x, False, name, "is_non_decreasing")


def is_strictly_increasing(x, name=None):
    """Whether the values of ``x``, read in row-major order, each exceed the one before (True for fewer than
    two), as a bool scalar."""
    return _monotone(x, True, name, "is_strictly_increasing")
