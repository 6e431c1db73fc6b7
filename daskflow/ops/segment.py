"""Segment reductions: ``unsorted_segment_max/min/prod`` (each an op, blocked like ``unsorted_segment_sum``), the
means and ``sqrt_n`` built on the sums, and the sorted ``segment_*`` family, built on the unsorted ops with TF's
run-time checks of the ids.

An unsorted op's ``num_segments`` may be a computed tensor; a sorted op's output has ``max(segment_ids) + 1``
rows, which the run computes first (as any shape argument that depends on data).
"""
import math
import string

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors, planner
from ..backend import xp
from ..graph import control_dependencies, name_scope
from .generate import gen_chunks, ones_like, shape, zeros_like
from .hostvalue import constant_value, host_lowered, int_arg
from .indexing import gather, unsorted_segment_sum
from .math import Assert, cast, equal, greater, greater_equal, logical_and, maximum, sqrt, truediv, where_v2
from .reduce import reduce_all, reduce_max
from .registry import fail_dtype
from .registry import OPS, apply1, convert_to_tensor, defop, fail

__all__ = ["segment_sum", "segment_mean", "segment_max", "segment_min", "segment_prod", "unsorted_segment_mean",
           "unsorted_segment_max", "unsorted_segment_min", "unsorted_segment_prod", "unsorted_segment_sqrt_n"]
NAMESPACES = {"math": __all__ + ["unsorted_segment_sum"]}

_UFUNC = {"max": "maximum", "min": "minimum", "prod": "multiply"}


def _identity(fn, dt):
    """TF's value for an empty segment: the dtype's lowest (highest) finite value for max (min), 1 for prod."""
    if fn == "prod":
        return 1
    info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
    return info.min if fn == "max" else info.max


def _segment_block(data, ids, segs, *, k, num, fn, label):
    """One data block's reductions for the segments ``segs`` (a run of ids), with a leading 1 per ids dim."""
    m = xp(data)
    ids = ids.reshape(-1)
    data = data.reshape(ids.shape + data.shape[k:])
    bad = ids >= num
    if bool(bad.any()):
        i = int(m.argmax(bad))
        raise errors.InvalidArgumentError(None, None, f"segment_ids[{i}] = {int(ids[i])} is out of range "
                                                      f"[0, {num}) [{label}]")
    lo = int(segs[0]) if segs.size else 0
    out = m.full(segs.shape + data.shape[1:], _identity(fn, data.dtype), dtype=data.dtype)
    hit = (ids >= lo) & (ids < lo + segs.shape[0])  # negative ids hit nothing: they are dropped
    getattr(m, _UFUNC[fn]).at(out, ids[hit] - lo, data[hit])
    return out.reshape((1,) * k + out.shape)


def _combine(parts, fn, k, dt):
    axes = tuple(range(k))
    if fn == "prod":
        return da.prod(parts, axis=axes, dtype=dt)
    return getattr(da, fn)(parts, axis=axes)


def _gather_kept(t, ids):
    """``t``'s rows at ``ids``, and zeros where an id is negative (a dropped row): TF's _GatherDropNegatives."""
    kept = greater_equal(ids, 0)
    rows = gather(t, maximum(ids, 0))
    if t.shape.ndims is not None and ids.shape.ndims is not None:
        from .array import reshape
        kept = reshape(kept, _with_ones(ids, t.shape.ndims - 1))
    return where_v2(kept, rows, zeros_like(rows)), kept


def _with_ones(ids, n):
    from .array import concat
    return concat([shape(ids), np.ones(n, np.int32)], 0)


def _extreme_grad(op, dy):
    # why: the rows equal to their segment's max (min) share its gradient evenly, as TF
    data, ids, num = op.inputs
    picked, kept = _gather_kept(op.outputs[0], ids)
    hit = logical_and(equal(data, picked), kept)
    count = unsorted_segment_sum(cast(hit, dy.dtype), ids, num)
    share, _ = _gather_kept(truediv(dy, count), ids)
    return [where_v2(hit, share, zeros_like(share)), None, None]


def _prod_grad(op, dy):
    # why: prod / x is 0/0 at zeros; there the derivative is the product of the segment's other (nonzero)
    # values, and 0 where the segment holds more zeros than that one, as TF
    data, ids, num = op.inputs
    zero = equal(data, 0)
    zeros_in = unsorted_segment_sum(cast(zero, dtypes.int32), ids, num)
    dy = where_v2(greater(zeros_in, 1), zeros_like(dy), dy)
    nonzero = where_v2(zero, ones_like(data), data)
    nonzero_prod = unsorted_segment_prod(nonzero, ids, num)
    picked, _ = _gather_kept(op.outputs[0], ids)
    picked_nonzero, _ = _gather_kept(nonzero_prod, ids)
    partial = where_v2(zero, picked_nonzero, picked / nonzero)
    g, _ = _gather_kept(dy, ids)
    return [g * partial, None, None]


def _unsorted(type_name, fn, kinds, grad):
    def infer(op):
        data = op.inputs[0]
        if data.dtype.kind not in kinds:
            fail_dtype(op, data, f"a {'real ' if 'c' not in kinds else ''}numeric data tensor")
        return OPS["UnsortedSegmentSum"].infer(op)

    def lower(op, data, ids, _):
        n, k, dt = int(host_lowered(op, 2, "num_segments")), ids.ndim, data.dtype
        out_shape = (n,) + data.shape[k:]
        if 0 in data.shape:  # every segment empty
            return da.full(out_shape, _identity(fn, dt), dtype=dt, chunks=gen_chunks(out_shape, dt))
        biggest = math.prod(max(c, default=1) for c in data.chunks[k:])
        per = planner.units_within(dt.itemsize, biggest) if not math.isnan(biggest) else n
        segs = da.arange(n, chunks=max(1, min(per, n)), dtype=np.int64)
        lead, rest = string.ascii_lowercase[:k], string.ascii_lowercase[k:data.ndim]
        parts = da.blockwise(_segment_block, lead + "Z" + rest, data, lead + rest, ids, lead, segs, "Z", k=k, num=n,
                             fn=fn, label=f"op '{op.name}' (type {type_name})", adjust_chunks=dict.fromkeys(lead, 1),
                             dtype=dt, meta=backend.meta(data, dt, ndim=data.ndim + 1))
        return _combine(parts, fn, k, dt) if k else parts

    defop(type_name, infer, lower, grad=grad)

    def public(data, segment_ids, num_segments, name=None):
        return apply1(type_name, [convert_to_tensor(data), convert_to_tensor(segment_ids),
                                  int_arg(num_segments, "num_segments")], name=name or type_name)
    return public


unsorted_segment_max = _unsorted("UnsortedSegmentMax", "max", "fiu", _extreme_grad)
unsorted_segment_min = _unsorted("UnsortedSegmentMin", "min", "fiu", _extreme_grad)
unsorted_segment_prod = _unsorted("UnsortedSegmentProd", "prod", "fciu", _prod_grad)
_UNSORTED_DOC = """The {what} of the slices of ``data`` that share a segment id (op type ``{type}``): ``out[i]`` is the
    {what} of the ``data[j...]`` with ``segment_ids[j...] == i``, for i in ``[0, num_segments)``; an empty segment
    gives {empty}. ``segment_ids``'s shape must start ``data``'s; the output's shape is
    ``[num_segments] + data.shape[segment_ids.ndim:]``. Slices with a negative id are dropped; ids
    ``>= num_segments`` raise ``InvalidArgumentError`` when run.
    """
for _fn, _what, _type, _empty in [(unsorted_segment_max, "maximum", "UnsortedSegmentMax",
                                   "the dtype's lowest value"),
                                  (unsorted_segment_min, "minimum", "UnsortedSegmentMin",
                                   "the dtype's highest value"),
                                  (unsorted_segment_prod, "product", "UnsortedSegmentProd", "1")]:
    _fn.__name__ = _fn.__qualname__ = "unsorted_" + "segment_" + _type[len("UnsortedSegment"):].lower()
    _fn.__doc__ = _UNSORTED_DOC.format(what=_what, type=_type, empty=_empty)


def _segment_counts(data, ids, num):
    """How many slices each segment has, at least 1, shaped to broadcast against the segment sums."""
    ones = ones_like(ids, dtype=data.dtype)
    count = maximum(unsorted_segment_sum(ones, ids, num), np.ones((), data.dtype))
    if data.shape.ndims is not None and ids.shape.ndims is not None:
        from .array import concat, reshape
        rest = data.shape.ndims - ids.shape.ndims
        count = reshape(count, concat([shape(count), np.ones(rest, np.int32)], 0))
    return count


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """The means of the slices of ``data`` sharing a segment id (as ``unsorted_segment_sum``); an empty segment
    gives 0. Integer data give floats, as ``truediv``."""
    with name_scope(name, "UnsortedSegmentMean") as scope:
        data, ids = convert_to_tensor(data), convert_to_tensor(segment_ids)
        num = int_arg(num_segments, "num_segments")
        return truediv(unsorted_segment_sum(data, ids, num), _segment_counts(data, ids, num), name=scope)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """The sums of the slices of ``data`` sharing a segment id, each divided by the square root of the number of
    slices (as ``unsorted_segment_sum``); an empty segment gives 0. ``data`` must be floating point."""
    with name_scope(name, "UnsortedSegmentSqrtN") as scope:
        data, ids = convert_to_tensor(data), convert_to_tensor(segment_ids)
        if data.dtype.kind not in "fc":
            raise TypeError(f"unsorted_segment_sqrt_n needs floating point data, got dtype {data.dtype.name}")
        num = int_arg(num_segments, "num_segments")
        return truediv(unsorted_segment_sum(data, ids, num), sqrt(_segment_counts(data, ids, num)), name=scope)


# -- sorted segment ops: ids a non-decreasing vector over data's first axis

def _sorted_ids(data, segment_ids, what):
    """``segment_ids`` checked as TF does: int32/int64, a vector as long as ``data``'s first axis, non-negative and
    sorted (at build time when known, else when run); and the number of segments, ``max(ids) + 1``."""
    ids = convert_to_tensor(segment_ids)
    if ids.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{what}: segment_ids must be int32 or int64, got dtype {ids.dtype.name}")
    if ids.shape.ndims is not None and ids.shape.ndims != 1:
        raise ValueError(f"{what}: segment_ids should be a vector, got shape {ids.shape}")
    n, rows = ids.shape[0] if ids.shape.ndims else None, data.shape[0] if data.shape.ndims else None
    if data.shape.ndims == 0 or (n is not None and rows is not None and n != rows):
        raise errors.InvalidArgumentError(None, None, f"{what}: segment_ids should be the same size as dimension 0 "
                                                      f"of input (segment_ids {ids.shape}, data {data.shape}).")
    known = constant_value(ids)
    if known is not None:
        _check_sorted(np.asarray(known), what)
        return ids, int(known.max()) + 1 if known.size else 0
    sorted_ok = reduce_all(greater_equal(ids[1:], ids[:-1]))
    check = Assert(logical_and(sorted_ok, reduce_all(greater_equal(ids, 0))),
                   ["segment ids are not increasing or are negative: segment_ids =", ids], name="check_ids")
    with control_dependencies([check]):
        from .state import identity
        ids = identity(ids)
    return ids, maximum(reduce_max(ids) + 1, 0)


def _check_sorted(v, what):
    if v.size and v.min() < 0:
        raise errors.InvalidArgumentError(None, None, f"{what}: Segment id {int(v.min())} out of range, segment ids "
                                                      "must be >= 0")
    if v.size > 1 and (np.diff(v) < 0).any():
        raise errors.InvalidArgumentError(None, None, f"{what}: segment ids are not increasing: {v.tolist()}")


def _sorted(data, segment_ids, name, default, reduce):
    with name_scope(name, default) as scope:
        data = convert_to_tensor(data)
        ids, num = _sorted_ids(data, segment_ids, default)
        return reduce(data, ids, num, scope)


def _filled(data, ids, num, out, scope):
    """``out`` (a segment max or min) with 0 for the empty segments, as TF's sorted ops give."""
    ones = ones_like(ids, dtype=dtypes.int32)
    count = unsorted_segment_sum(ones, ids, num)
    if data.shape.ndims is not None:
        from .array import concat, reshape
        count = reshape(count, concat([shape(count), np.ones(data.shape.ndims - 1, np.int32)], 0))
    return where_v2(greater(count, 0), out, zeros_like(out), name=scope)


def segment_sum(data, segment_ids, name=None):
    """Sums of the rows of ``data`` sharing a segment id: ``segment_ids`` is a sorted, non-negative int vector as
    long as ``data``'s first axis; the output has ``max(segment_ids) + 1`` rows, 0 for ids that do not occur.
    Unsorted or negative ids raise ``InvalidArgumentError`` (when the graph is built if they are constant, else
    when run)."""
    return _sorted(data, segment_ids, name, "SegmentSum",
                   lambda d, ids, n, scope: unsorted_segment_sum(d, ids, n, name=scope))


def segment_prod(data, segment_ids, name=None):
    """Products of the rows of ``data`` sharing a segment id (ids as ``segment_sum``'s); 1 for ids that do not
    occur."""
    return _sorted(data, segment_ids, name, "SegmentProd",
                   lambda d, ids, n, scope: unsorted_segment_prod(d, ids, n, name=scope))


def segment_max(data, segment_ids, name=None):
    """Maxima of the rows of ``data`` sharing a segment id (ids as ``segment_sum``'s); 0 for ids that do not
    occur."""
    return _sorted(data, segment_ids, name, "SegmentMax",
                   lambda d, ids, n, scope: _filled(d, ids, n, unsorted_segment_max(d, ids, n), scope))


def segment_min(data, segment_ids, name=None):
    """Minima of the rows of ``data`` sharing a segment id (ids as ``segment_sum``'s); 0 for ids that do not
    occur."""
    return _sorted(data, segment_ids, name, "SegmentMin",
                   lambda d, ids, n, scope: _filled(d, ids, n, unsorted_segment_min(d, ids, n), scope))


def _mean(d, ids, n, scope):
    total, count = unsorted_segment_sum(d, ids, n), _segment_counts(d, ids, n)
    if d.dtype.kind in "iu":  # integer means truncate toward zero, as TF's SegmentMean
        from .special import truncatediv
        return truncatediv(total, count, name=scope)
    return truediv(total, count, name=scope)


def segment_mean(data, segment_ids, name=None):
    """Means of the rows of ``data`` sharing a segment id (ids as ``segment_sum``'s); 0 for ids that do not
    occur. Integer means truncate toward zero."""
    return _sorted(data, segment_ids, name, "SegmentMean", _mean)
