"""Indexing: slice, strided_slice, gather, unsorted_segment_sum and one_hot, with their gradients, and
``Tensor.__getitem__`` (numpy's basic indexing as one StridedSlice, plus gathering along one dim)."""
import builtins
import math
import string

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors, planner
from ..graph import Tensor, TensorShape, control_dependencies
from .array import concat, like_chunks, pad, padded, reshape, stack, transpose
from .generate import dim_size, gen_chunks, ones_like, shape
from .hostvalue import (as_tensor, constant_value, host_lowered, host_scalar, host_vector, int_arg, ints,
                        is_host_known, known_dims, known_rank, shape_str, static_ints, static_shape_of)
from .registry import (NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, normalize_axis, register, same_dtype,
                       string_element)
from .state import constant

__all__ = ["slice", "strided_slice", "gather", "unsorted_segment_sum", "one_hot"]

# this module defines public `slice` (TF's name): internally always use this
_range = builtins.range
_slice = builtins.slice
_FULL = _slice(None)


# -- slicing

def _slice_spec(op, shape, begin, size):
    """Output dims and (when all known) python slices of ``slice(x, begin, size)``; entries may be None."""
    if shape is not None and begin is not None and len(begin) != len(shape) or \
            begin is not None and size is not None and len(begin) != len(size):
        fail(op, f"Expected begin and size arguments to be 1-D tensors of size {len(shape)}, but got shapes "
                 f"[{len(begin)}] and [{len(size)}] instead (input shape {shape_str(shape)})")
    n = len(begin) if begin is not None else len(size) if size is not None else len(shape)
    out, slices = [], []
    for i in _range(n):
        d = shape[i] if shape is not None else None
        b = begin[i] if begin is not None else None
        s = size[i] if size is not None else None
        if b is not None and (b < 0 or d is not None and b > d):
            fail(op, f"Expected begin[{i}] in [0, {'?' if d is None else d}], but got {b} (input shape "
                     f"{shape_str(shape)})")
        if s is not None and s < -1:
            fail(op, f"Expected size[{i}] >= -1, but got {s}")
        if s is not None and s >= 0 and b is not None and d is not None and b + s > d:
            fail(op, f"Expected size[{i}] in [0, {d - b}], but got {s} (input shape {shape_str(shape)}, "
                     f"begin[{i}] = {b})")
        out.append((d - b if d is not None and b is not None else None) if s == -1 else s)
        slices.append(None if b is None or s is None else _slice(b, None if s == -1 else b + s))
    return out, slices


@register("Slice")
class Slice:
    strings = True

    def infer(op):
        x = op.inputs[0]
        begin, size = host_vector(op, 1, "begin"), host_vector(op, 2, "size")
        if begin is None and size is None and x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)]
        return [(_slice_spec(op, static_shape_of(x), begin, size)[0], x.dtype)]

    def lower(op, x, *_):
        begin = host_lowered(op, 1, "begin").tolist()
        size = host_lowered(op, 2, "size").tolist()
        return x[tuple(_slice_spec(op, known_dims(x.shape), begin, size)[1])]

    def host(op, v, begin, size):
        return v[tuple(_slice_spec(op, v.shape, ints(begin), ints(size))[1])]

    def grad(op, dy):  # dy padded back to x's shape
        x, begin, _ = op.inputs
        after = shape(x, out_type=begin.dtype) - shape(op.outputs[0], out_type=begin.dtype) - begin
        return [pad(dy, stack([begin, after], axis=1)), None, None]


def slice(input_, begin, size, name=None):
    """The block of ``input_`` starting at ``begin`` with ``size`` elements per dim (-1: to the end)."""
    x = convert_to_tensor(input_)
    return apply1("Slice", [x, int_arg(begin, "begin"), int_arg(size, "size")], name=name or "Slice")


_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _strided_entries(op, begin, end, strides):
    """The sparse spec as numpy-style index entries: Ellipsis, "new", ("int", i) or ("slice", b, e, s), where
    masked bounds are None and unknown values are ``_UNK``."""
    m = {k: op.attrs[k] for k in _MASKS}
    if bin(m["ellipsis_mask"]).count("1") > 1:
        fail(op, "Multiple ellipses in slice spec not allowed")
    entries = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if m["ellipsis_mask"] & bit:
            entries.append(Ellipsis)
        elif m["new_axis_mask"] & bit:
            entries.append("new")
        elif m["shrink_axis_mask"] & bit:
            entries.append(("int", _UNK if b is None else b))
        else:
            if s == 0:
                fail(op, f"strides[{i}] must be non-zero")
            entries.append(("slice", None if m["begin_mask"] & bit else (_UNK if b is None else b),
                            None if m["end_mask"] & bit else (_UNK if e is None else e), _UNK if s is None else s))
    return entries


_UNK = object()


def _walk_entries(op, shape, entries):
    """Pair each entry with the input dim it indexes: yields (entry, dim index or None, dim size)."""
    consumed = sum(1 for e in entries if e is not Ellipsis and e != "new")
    if consumed > len(shape):
        fail(op, f"Index out of range using input dim {len(shape)}: {consumed} indices for a tensor of shape "
                 f"{shape_str(shape)}")
    if Ellipsis not in entries:
        entries = list(entries) + [Ellipsis]
    pos = 0
    for e in entries:
        if e is Ellipsis:
            for _ in _range(len(shape) - consumed):
                yield "full", pos, shape[pos]
                pos += 1
        elif e == "new":
            yield e, None, None
        else:
            yield e, pos, shape[pos]
            pos += 1


def _check_index(op, i, pos, d):
    if d is not None and not -d <= i < d:
        fail(op, f"index {i} is out of bounds for dimension {pos} with size {d}")


def _strided_shape(op, shape, entries):
    if shape is None:
        return TensorShape(None)
    out = []
    for e, pos, d in _walk_entries(op, shape, entries):
        if e == "full":
            out.append(d)
        elif e == "new":
            out.append(1)
        elif e[0] == "int":
            if e[1] is not _UNK:
                _check_index(op, e[1], pos, d)
        else:
            _, b, en, s = e
            out.append(None if d is None or _UNK in (b, en, s) else len(_range(*_slice(b, en, s).indices(d))))
    return out


def _strided_index(op, shape, entries):
    """A numpy index tuple for ``entries`` on an array of known ``shape``: ints (checked) made non-negative and
    slices with explicit in-range bounds (dask mishandles a negative step from before the start, e.g. -2::-1)."""
    idx = []
    for e, pos, d in _walk_entries(op, shape, entries):
        if e == "full":
            idx.append(_FULL)
        elif e == "new":
            idx.append(None)
        elif e[0] == "int":
            _check_index(op, e[1], pos, d)
            idx.append(e[1] % d)
        elif d is None:  # a dim only the computation knows (unknown chunk sizes): only a whole one is taken
            sl = _slice(*e[1:])
            if sl.start not in (None, 0) or sl.stop is not None or sl.step not in (None, 1):
                fail(op, f"cannot slice dim {pos} with {sl}: its size is known only after computing (unknown chunk "
                         "sizes)", errors.UnimplementedError)
            idx.append(_FULL)
        else:
            r = _range(*_slice(*e[1:]).indices(d))
            idx.append(_slice(r.start, None if r.stop < 0 else r.stop, r.step) if len(r) else _slice(0, 0))
    return tuple(idx)


def _strided_vectors(op, lowered):
    get = (lambda i, w: host_lowered(op, i, w).tolist()) if lowered else (lambda i, w: host_vector(op, i, w))
    vecs = [get(1, "begin"), get(2, "end"), get(3, "strides")]
    if any(v is None for v in vecs):
        return None
    if len({len(v) for v in vecs}) > 1:
        fail(op, "Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
                 f"[{len(vecs[0])}], [{len(vecs[1])}], and [{len(vecs[2])}] instead.")
    return _strided_entries(op, *vecs)


@register("StridedSlice")
class StridedSlice:
    strings = True

    def infer(op):
        x = op.inputs[0]
        entries = _strided_vectors(op, lowered=False)
        if entries is None:
            return [(TensorShape(None), x.dtype)]
        return [(_strided_shape(op, static_shape_of(x), entries), x.dtype)]

    def lower(op, x, *_):
        entries = _strided_vectors(op, lowered=True)
        return string_element(x[_strided_index(op, known_dims(x.shape), entries)])

    def host(op, v, *vecs):
        return v[_strided_index(op, v.shape, _strided_entries(op, *map(ints, vecs)))]

    def grad(op, dy):
        x, begin, end, strides = op.inputs
        dx = apply1("StridedSliceGrad", [shape(x, out_type=begin.dtype), begin, end, strides, dy],
                    {k: op.attrs[k] for k in _MASKS})
        return [dx, None, None, None]


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0, var=None, name=None):
    """``input_[begin:end:strides]`` per dim, with TF's masks: bit i of ``begin_mask``/``end_mask`` ignores
    ``begin[i]``/``end[i]``; of ``ellipsis_mask`` makes entry i an ``...``; of ``new_axis_mask`` a new dim of 1;
    of ``shrink_axis_mask`` an integer index ``begin[i]`` (the dim is removed)."""
    x = convert_to_tensor(input_)
    b, e = int_arg(begin, "begin"), int_arg(end, "end")
    if strides is None:
        n = b.shape[0] if b.shape.ndims == 1 else None
        if n is None:
            raise errors.UnimplementedError(None, b.op, "strided_slice: pass strides when begin's length is not "
                                                        "known statically")
        strides = [1] * n
    attrs = {"begin_mask": int(begin_mask), "end_mask": int(end_mask), "ellipsis_mask": int(ellipsis_mask),
             "new_axis_mask": int(new_axis_mask), "shrink_axis_mask": int(shrink_axis_mask)}
    return apply1("StridedSlice", [x, b, e, int_arg(strides, "strides")], attrs, name=name or "StridedSlice")


@register("StridedSliceGrad")
class StridedSliceGrad:
    """StridedSlice's adjoint: ``dy`` written into zeros of the sliced tensor's ``shape`` (input 0)."""

    def infer(op):
        dims = host_vector(op, 0, "shape")
        return [(TensorShape(None) if dims is None else dims, op.inputs[4].dtype)]

    def lower(op, _, b, e, s, dy):
        # dy spread over its places in zeros of the result, axis by axis: zeros between strided entries, padding
        # around; dy's blocks are kept (no task holds the whole result), so the gradient streams with its rows
        dims = host_lowered(op, 0, "shape").tolist()
        zero = da.zeros((), dtype=dy.dtype, chunks=())
        take, pads = [], []
        for k in _strided_index(op, dims, _strided_vectors(op, lowered=True)):
            if k is None:
                take.append(0)  # a new axis of dy: not in the result
            elif isinstance(k, int):
                take.append(None)  # a shrunk dim: size 1 in the result
                pads.append((k, 1, 1))
            else:
                r = _range(*k.indices(dims[len(pads)]))
                take.append(_FULL if k.step is None or k.step > 0 else _slice(None, None, -1))
                r = r if r.step > 0 else r[::-1]
                pads.append((r.start, len(r), r.step) if len(r) else (0, 0, 1))
        value = dy[tuple(take)]
        like = like_chunks(op, 0, dims, dy.dtype)
        if not value.size:
            return da.zeros_like(dy, shape=tuple(dims), chunks=like or gen_chunks(dims, dy.dtype))
        for ax, (start, n, step) in enumerate(pads):
            if step > 1:  # n entries step apart: each followed by step - 1 zeros, the last ones cut
                value = _spread(value, ax, step, zero)[(_FULL,) * ax + (_slice(0, (n - 1) * step + 1),)]
        out = padded(value, [(start, d - start - value.shape[ax]) for ax, ((start, _, _), d) in
                             enumerate(zip(pads, dims))], zero)
        return out if like is None or like == out.chunks else out.rechunk(like)
    def grad(op, ddx):
        attrs = {k: op.attrs[k] for k in _MASKS}
        return [None, None, None, None, apply1("StridedSlice", [ddx] + list(op.inputs[1:4]), attrs)]


def _spread(x, ax, step, zero):
    """``x`` with ``step - 1`` zeros after each entry along ``ax``, block by block."""
    gaps = padded(da.expand_dims(x, ax + 1), [(0, 0)] * (ax + 1) + [(0, step - 1)] + [(0, 0)] * (x.ndim - ax - 1),
                  zero).rechunk({ax + 1: -1})
    return gaps.reshape(x.shape[:ax] + (x.shape[ax] * step,) + x.shape[ax + 1:], merge_chunks=False)


# -- gather, one_hot

def _check_gather_indices(block, dim, opname):
    bad = (block < 0) | (block >= dim)
    if bool(bad.any()):
        v = block[bad].ravel()[0]
        raise errors.InvalidArgumentError(
            None, None, f"indices = {int(v)} is not in [0, {dim}) [op '{opname}' (type GatherV2)]")
    return block


@register("GatherV2")
class GatherV2:
    strings = True

    def infer(op):
        params, indices = op.inputs
        if indices.dtype not in (dtypes.int32, dtypes.int64):
            fail(op, f"indices must be int32 or int64, got '{indices.name}' of dtype {indices.dtype.name}")
        if params.shape.ndims is None or indices.shape.ndims is None:
            return [(TensorShape(None), params.dtype)]
        if params.shape.ndims == 0:
            fail(op, f"params must be at least 1-D, got '{params.name}' of shape {params.shape}")
        axis = normalize_axis(op, op.attrs["axis"], params.shape.ndims)[0]
        dim = params.shape[axis]
        static = constant_value(indices)
        if static is not None and dim is not None and static.size:
            bad = static[(static < 0) | (static >= dim)]
            if bad.size:
                fail(op, f"indices = {int(bad.ravel()[0])} is not in [0, {dim}) (params shape {params.shape}, "
                         f"axis {axis})")
        return [(list(params.shape[:axis]) + list(indices.shape) + list(params.shape[axis + 1:]), params.dtype)]

    def lower(op, params, indices):
        axis = normalize_axis(op, op.attrs["axis"], params.ndim)[0]
        dim = params.shape[axis]
        if math.isnan(dim):
            fail(op, "cannot gather from an array of unknown chunk sizes", errors.UnimplementedError)
        idx = indices.map_blocks(_check_gather_indices, dim=int(dim), opname=op.name, dtype=indices.dtype,
                                 meta=backend.meta(indices, indices.dtype))
        flat = idx if idx.ndim == 1 else idx.reshape(-1)
        out = params[(_FULL,) * axis + (flat,)]
        if idx.ndim != 1:
            out = out.reshape(params.shape[:axis] + indices.shape + params.shape[axis + 1:])
        return out

    def host(op, v, indices):
        return np.take(v, ints(indices), axis=op.attrs["axis"] % v.ndim)

    def grad(op, dy):  # dy's slices summed into params' rows, along axis, by index
        params, indices = op.inputs
        p, k = (known_rank(op, t, "the gradient of gather") for t in (params, indices))
        axis = op.attrs["axis"] % p
        if axis:  # the index dims first, as unsorted_segment_sum wants them
            dy = transpose(dy, list(_range(axis, axis + k)) + list(_range(axis)) + list(_range(axis + k, p + k - 1)))
        summed = unsorted_segment_sum(dy, indices, dim_size(params, axis))
        if axis:
            summed = transpose(summed, list(_range(1, axis + 1)) + [0] + list(_range(axis + 1, p)))
        return [summed, None]


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Slices of ``params`` along ``axis`` at ``indices`` (an int tensor of any rank): the output shape is
    ``params.shape[:axis] + indices.shape + params.shape[axis + 1:]``. Indices out of range raise
    ``InvalidArgumentError`` (at build time when they are constants).

    With ``batch_dims=b`` (negative counts from the rank of ``indices``), the first ``b`` dims of ``params`` and
    ``indices`` are batch dims: each batch gathers with its own indices, along ``axis`` (default ``b``), and the
    output shape is ``params.shape[:axis] + indices.shape[b:] + params.shape[axis + 1:]``, as TF's.
    """
    p = convert_to_tensor(params)
    idx = convert_to_tensor(indices)
    b = static_ints(batch_dims, "batch_dims", "gather")
    axis = b if axis is None else static_ints(axis, "axis", "gather")
    if not b:
        return apply1("GatherV2", [p, idx], {"axis": axis}, name=name or "GatherV2")
    return _batch_gather(p, idx, axis, b, name)


def _batch_gather(p, idx, axis, b, name):
    # why: the params' batches laid end to end along the gathered axis make one gather, each batch's indices
    # offset by its first row. Indices are checked against one batch's rows first: an offset would hide a bad one
    from .generate import range as arange
    from .math import Assert, assert_equal, cast, logical_and  # math.py may import this module
    from .reduce import reduce_all
    pr, ir = p.shape.ndims, idx.shape.ndims
    if pr is None or ir is None:
        raise errors.UnimplementedError(None, None, "gather with batch_dims needs params and indices of known rank")
    b, axis = (b + ir if b < 0 else b), (axis + pr if axis < 0 else axis)
    if not 0 <= b <= ir or not b <= axis < pr:
        raise ValueError(f"gather: batch_dims must be in [-{ir}, {ir}] and axis in [batch_dims, {pr}), got "
                         f"batch_dims {b} and axis {axis} for params of shape {p.shape}, indices of shape {idx.shape}")
    lead_p, lead_i = TensorShape(p.shape[:b]), TensorShape(idx.shape[:b])
    if not lead_p.is_compatible_with(lead_i):
        raise ValueError(f"gather: params.shape[:{b}] = {lead_p} must equal indices.shape[:{b}] = {lead_i}")
    n, batch = dim_size(p, axis), [dim_size(p, i) for i in _range(b)]
    n_t = cast(n, idx.dtype) if isinstance(n, Tensor) else n
    checks = [Assert(reduce_all(logical_and(idx >= 0, idx < n_t)),
                     [f"gather: indices along axis {axis} (batch_dims {b}) must be in [0, n); n =", n_t,
                      "indices =", idx])]
    if not (lead_p.is_fully_defined() and lead_i.is_fully_defined()):
        checks.append(assert_equal(shape(p)[:b], shape(idx)[:b], message="gather: params and indices must have the "
                                                                          "same batch dims"))
    with control_dependencies(checks):
        rows = transpose(p, list(_range(b)) + [axis] + list(_range(b, axis)) + list(_range(axis + 1, pr)))
        rows = reshape(rows, [-1] + [dim_size(rows, i) for i in _range(b + 1, pr)])
        count = batch[0]
        for d in batch[1:]:
            count = count * d
        starts = reshape(cast(arange(count), idx.dtype) * n_t, batch + [1] * (ir - b))
        out = gather(rows, idx + starts)  # batch dims, then the indices' own, then the params' other dims
    m = axis - b
    perm = list(_range(b)) + list(_range(ir, ir + m)) + list(_range(b, ir)) + list(_range(ir + m, ir + pr - b - 1))
    return transpose(out, perm, name=name or "GatherV2")


def _segment_sum_block(data, ids, segs, k, num, opname):
    """One block's sums for the segments ``segs`` (a run of ids), with a leading 1 per segment_ids dim."""
    m = backend.xp(data)
    ids = ids.reshape(-1)
    data = data.reshape(ids.shape + data.shape[k:])
    if ids.size and int(ids.max()) >= num:
        raise errors.InvalidArgumentError(None, None, f"segment_ids = {int(ids.max())} is not in [0, {num}) "
                                                      f"[op '{opname}' (type UnsortedSegmentSum)]")
    lo = int(segs[0]) if segs.size else 0
    out = m.zeros(segs.shape + data.shape[1:], dtype=data.dtype)
    hit = (ids >= lo) & (ids < lo + segs.shape[0])  # negative ids hit nothing: they are dropped
    m.add.at(out, ids[hit] - lo, data[hit])
    return out.reshape((1,) * k + out.shape)


@register("UnsortedSegmentSum")
class UnsortedSegmentSum:
    def infer(op):
        data, ids, _ = op.inputs
        if ids.dtype not in (dtypes.int32, dtypes.int64):
            fail(op, f"segment_ids must be int32 or int64, got '{ids.name}' of dtype {ids.dtype.name}")
        n = host_scalar(op, 2, "num_segments")
        if n is not None and n < 0:
            fail(op, f"num_segments must be non-negative, got {n}")
        if data.shape.ndims is None or ids.shape.ndims is None:
            return [(TensorShape(None), data.dtype)]
        k = ids.shape.ndims
        if k > data.shape.ndims or not TensorShape(list(data.shape)[:k]).is_compatible_with(ids.shape):
            fail(op, f"data.shape = {data.shape} does not start with segment_ids.shape = {ids.shape}")
        return [([n] + list(data.shape[k:]), data.dtype)]

    def lower(op, data, ids, _):
        n, k, dt = int(host_lowered(op, 2, "num_segments")), ids.ndim, data.dtype
        if 0 in data.shape:  # nothing to sum: TF checks no ids either
            return da.zeros_like(data, shape=(n,) + data.shape[k:], chunks=gen_chunks((n,) + data.shape[k:], dt))
        # the segments are cut in blocks within chunk_bytes: a task holds one block of sums per data block (with no
        # segments, one empty block: the ids are checked all the same, as in TF)
        biggest = math.prod(max(c, default=1) for c in data.chunks[k:])
        per = planner.units_within(dt.itemsize, biggest) if not math.isnan(biggest) else n
        segs = da.arange(n, chunks=max(1, min(per, n)), dtype=np.int64)
        lead, rest = string.ascii_lowercase[:k], string.ascii_lowercase[k:data.ndim]
        parts = da.blockwise(_segment_sum_block, lead + "Z" + rest, data, lead + rest, ids, lead, segs, "Z", k=k,
                             num=n, opname=op.name, adjust_chunks=dict.fromkeys(lead, 1), dtype=dt,
                             meta=backend.meta(data, dt, ndim=data.ndim + 1))
        return parts.sum(axis=tuple(_range(k)), dtype=dt) if k else parts

    def grad(op, dy):  # the rows of dy each data row went to; dropped rows (negative ids) get zeros
        from .math import cast, maximum  # math.py may import this module
        ids = op.inputs[1]
        keep = reshape(cast(ids >= 0, dy.dtype), concat([shape(ids), ones_like(shape(dy))[1:]], 0))
        return [gather(dy, maximum(ids, 0)) * keep, None, None]


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums of the slices of ``data`` that share a segment id: ``out[i] = sum(data[j...] where
    segment_ids[j...] == i)`` for i in ``[0, num_segments)``. ``segment_ids``'s shape must start ``data``'s; the
    output's shape is ``[num_segments] + data.shape[segment_ids.ndim:]``. Slices with a negative id are dropped,
    ids ``>= num_segments`` raise ``InvalidArgumentError``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.unsorted_segment_sum([[1, 2], [3, 4], [5, 6]], [1, 0, 1], 2).compute()
    array([[3, 4],
           [6, 8]], dtype=int32)
    """
    x = convert_to_tensor(data)
    ids = convert_to_tensor(segment_ids)
    return apply1("UnsortedSegmentSum", [x, ids, int_arg(num_segments, "num_segments")],
                  name=name or "UnsortedSegmentSum")


def _one_hot_block(idx, js, on, off, axis, out_dtype):
    m = backend.xp(idx)
    shape = [1] * (idx.ndim + 1)
    shape[axis] = js.shape[0]
    hit = m.expand_dims(idx.astype(m.int64), axis) == m.asarray(js).reshape(shape)
    return m.where(hit, m.asarray(on), m.asarray(off)).astype(out_dtype)


@register("OneHot")
class OneHot:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        indices, _, on, off = op.inputs
        if indices.dtype not in (dtypes.uint8, dtypes.int32, dtypes.int64):
            fail(op, f"indices must be uint8, int32 or int64, got '{indices.name}' of dtype {indices.dtype.name}")
        dt = same_dtype(op, on, off)
        for t in (on, off):
            if t.shape.ndims is not None and t.shape.ndims != 0:
                fail(op, f"on_value and off_value must be scalars, got '{t.name}' of shape {t.shape}")
        depth = host_scalar(op, 1, "depth")
        if depth is not None and depth < 0:
            fail(op, f"depth must be non-negative, got {depth}")
        if indices.shape.ndims is None:
            return [(TensorShape(None), dt)]
        axis = _one_hot_axis(op, indices.shape.ndims)
        dims = list(indices.shape)
        return [(dims[:axis] + [depth] + dims[axis:], dt)]

    def lower(op, indices, _, on, off):
        depth = int(host_lowered(op, 1, "depth"))
        if depth < 0:
            fail(op, f"depth must be non-negative, got {depth}")
        dt = op.outputs[0].dtype
        axis = _one_hot_axis(op, indices.ndim)
        biggest = math.prod(max(c, default=1) for c in indices.chunks)
        per = planner.units_within(dt.itemsize, biggest) if not math.isnan(biggest) else depth
        js = da.arange(depth, chunks=max(1, min(per, depth)), dtype=np.int64)
        ind = string.ascii_lowercase[:indices.ndim]
        out_ind = ind[:axis] + "Z" + ind[axis:]
        return da.blockwise(_one_hot_block, out_ind, indices, ind, js, "Z", on, "", off, "", axis=axis, out_dtype=dt,
                            dtype=dt, meta=backend.meta(indices, dt, ndim=indices.ndim + 1))


def _one_hot_axis(op, ndim):
    axis = op.attrs["axis"]
    if axis != -1 and not 0 <= axis <= ndim:
        fail(op, f"Expected axis to be -1 or between [0, {ndim}]. But received: {axis}")
    return ndim if axis == -1 else axis


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """A one-hot encoding of ``indices``: a new dim of size ``depth`` (last, or at ``axis``) holding
    ``on_value`` (default 1) where it equals the index and ``off_value`` (default 0) elsewhere. Indices outside
    ``[0, depth)`` give a row of ``off_value``. The dtype is ``dtype``, else that of on/off_value, else float32."""
    idx = convert_to_tensor(indices)
    given = [as_tensor(v) for v in (on_value, off_value) if v is not None]
    if dtype is None:
        dtype = next((v.dtype for v in given if isinstance(v, Tensor)), None)
        if dtype is None and given:
            dtype = dtypes.infer_dtype(given[0])
        dtype = dtype if dtype is not None else dtypes.float32
    dtype = dtypes.as_dtype(dtype)
    on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype)
    off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype)
    axis = -1 if axis is None else static_ints(axis, "axis", "one_hot")
    return apply1("OneHot", [idx, int_arg(depth, "depth"), on, off], {"axis": axis}, name=name or "one_hot")



# -- Tensor.__getitem__

def _index_kind(k):
    """Classify one entry of an index: "ellipsis", "new", "slice", "int" or "gather"."""
    if k is Ellipsis:
        return "ellipsis"
    if k is None:
        return "new"
    if isinstance(k, _slice):
        return "slice"
    if isinstance(k, (bool, np.bool_)):
        raise TypeError("boolean indices (masks) are not supported by daskflow tensors; use boolean_mask or where")
    if isinstance(k, (int, np.integer)):
        return "int"
    k = as_tensor(k)
    if isinstance(k, Tensor):
        if k.dtype.kind not in "iu":
            raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), newaxis (`None`) and integer tensors "
                            f"are valid indices, got tensor '{k.name}' of dtype {k.dtype.name}")
        if k.shape.ndims == 0 and is_host_known(k):
            return "int"
        return "gather"
    if isinstance(k, (list, tuple, np.ndarray)):
        arr = np.asarray(k)
        if arr.dtype.kind == "b":
            raise TypeError("boolean indices (masks) are not supported by daskflow tensors")
        if arr.dtype.kind in "iu" or arr.size == 0:
            return "int" if arr.ndim == 0 else "gather"
    raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), newaxis (`None`) and integer tensors are "
                    f"valid indices, got {k!r}")


def _index_value(v):
    v = as_tensor(v)
    return v if isinstance(v, Tensor) else int(v)


def _getitem(tensor, key):
    """``tensor[key]`` with numpy's basic indexing: ints, slices (negative steps, bounds clipped), ``...`` and
    ``None``, as one StridedSlice; a single integer array or tensor in the key gathers along its dim."""
    x = convert_to_tensor(tensor)
    key = key if isinstance(key, tuple) else (key,)
    kinds = [_index_kind(k) for k in key]
    if kinds.count("ellipsis") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if kinds.count("gather") > 1:
        raise errors.UnimplementedError(None, x.op, "indexing with more than one integer array or tensor is not "
                                                    "supported; use gather twice")
    begin, end, strides, masks = [], [], [], dict.fromkeys(_MASKS, 0)
    for i, (k, kind) in enumerate(zip(key, kinds)):
        bit = 1 << i
        if kind == "slice":
            if k.step is not None and not isinstance(as_tensor(k.step), Tensor) and int(k.step) == 0:
                raise ValueError("slice step cannot be zero")
            begin.append(0 if k.start is None else _index_value(k.start))
            end.append(0 if k.stop is None else _index_value(k.stop))
            strides.append(1 if k.step is None else _index_value(k.step))
            masks["begin_mask"] |= bit if k.start is None else 0
            masks["end_mask"] |= bit if k.stop is None else 0
            continue
        if kind == "int":
            b = _index_value(k if not isinstance(k, (list, np.ndarray)) else np.asarray(k)[()])
            begin.append(b)
            end.append(b + 1 if isinstance(b, int) else b)  # end is ignored on a shrunk dim
            strides.append(1)
            masks["shrink_axis_mask"] |= bit
            continue
        begin.append(0)
        end.append(0)
        strides.append(1)
        if kind == "ellipsis":
            masks["ellipsis_mask"] |= bit
        elif kind == "new":
            masks["new_axis_mask"] |= bit
        else:  # gather: keep the dim whole here, then gather along it
            masks["begin_mask"] |= bit
            masks["end_mask"] |= bit
    out = strided_slice(x, begin, end, strides, name="strided_slice", **masks)
    if "gather" not in kinds:
        return out
    g = kinds.index("gather")
    axis = _gather_axis(x, kinds, g)
    idx = as_tensor(key[g])
    if not isinstance(idx, Tensor):
        arr = np.asarray(idx)
        idx = constant(arr.astype(np.int32 if not arr.size or np.abs(arr).max() < 2**31 else np.int64),
                       name="indices")
    return gather(out, _wrap_negative(idx, out, axis), axis=axis)


def _gather_axis(x, kinds, g):
    """The output dim that the gathered entry ``g`` of an index indexes."""
    axis = 0
    for kind in kinds[:g]:
        if kind in ("slice", "new", "gather"):
            axis += 1
        elif kind == "ellipsis":
            if x.shape.ndims is None:
                raise errors.UnimplementedError(None, x.op, "indexing with an ellipsis before an integer array "
                                                            "needs a tensor of known rank")
            axis += x.shape.ndims - sum(1 for k in kinds if k in ("slice", "int", "gather"))
    return axis


def _wrap_negative(idx, x, axis):
    """Negative indices in ``[-size, 0)`` count from the end, as in numpy and TF's scalar indices (gather itself
    rejects them, as TF); indices known only at run time are wrapped then. Others are left for gather to reject."""
    from .math import cast, logical_and, where_v2  # math.py may import this module
    v = constant_value(idx)
    if v is not None and (not v.size or v.min() >= 0):
        return idx
    n = x.shape[axis] if x.shape.ndims is not None else None
    if v is not None and n is not None:
        return constant(np.where((v < 0) & (v >= -n), v + n, v).astype(idx.dtype), name="indices")
    n = dim_size(x, axis)
    if isinstance(n, Tensor) and n.dtype != idx.dtype:
        n = cast(n, idx.dtype)
    return where_v2(logical_and(idx < 0, idx >= -n), idx + n, idx)
