"""Ops whose output size depends on the data: boolean_mask, unique, setdiff1d, dynamic_partition and
dynamic_stitch; with searchsorted and the fixed-width histograms.

Their outputs have an unknown dim when the graph is built. The number of entries selected is a shape argument of
``MaskIndices`` (see ``hostvalue``): the Session computes it first, so the run itself is planned with every size
known and the ops downstream (and gradients) see ordinary shapes."""
import builtins
import collections
import string

import dask.array as da
import numpy as np

from .. import backend, dtypes
from ..graph import TensorShape, control_dependencies
from .array import concat, expand_dims, reshape
from .generate import dim_size, ones_like, size
from .hostvalue import host_lowered, host_scalar, int_arg, known_dims
from .indexing import gather, unsorted_segment_sum
from .registry import NOT_DIFFERENTIABLE, apply, apply1, convert_to_tensor, fail, register

__all__ = ["boolean_mask", "unique", "unique_with_counts", "setdiff1d", "searchsorted", "dynamic_partition",
           "dynamic_stitch", "histogram_fixed_width", "histogram_fixed_width_bins"]

_range = builtins.range


def _flatnonzero(mask, n):
    out = backend.xp(mask).flatnonzero(mask).astype(np.int64)
    if out.shape[0] != n:
        raise AssertionError(f"mask has {out.shape[0]} true entries, {n} expected")
    return out


@register("MaskIndices")
class MaskIndices:
    """The positions (int64) of the true entries of a bool vector; input 1 is their number."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        mask = op.inputs[0]
        if mask.dtype != dtypes.bool or mask.shape.ndims not in (None, 1):
            fail(op, f"mask must be a bool vector, got '{mask.name}' of dtype {mask.dtype.name} and shape "
                     f"{mask.shape}")
        return [((host_scalar(op, 1, "count"),), dtypes.int64)]

    def lower(op, mask, _):
        n = int(host_lowered(op, 1, "count"))
        return mask.rechunk(-1).map_blocks(_flatnonzero, n=n, chunks=((n,),), dtype=np.int64,
                                           meta=backend.meta(mask, np.int64))


def _mask_indices(mask):
    """Positions of the true entries of the bool vector ``mask``."""
    from .math import cast
    from .reduce import reduce_sum
    return apply1("MaskIndices", [mask, reduce_sum(cast(mask, dtypes.int64))], name="MaskIndices")


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The entries (slices) of ``tensor`` where the bool ``mask`` is true: ``mask``'s shape matches dims
    ``axis, axis + 1, ...`` of ``tensor`` (``axis`` 0 by default), which are replaced by one dim, of unknown size
    until run, holding the selected slices in row-major order.

    Examples
    --------
    >>> import daskflow as df
    >>> df.boolean_mask([[1, 2], [3, 4], [5, 6]], [True, False, True]).compute()
    array([[1, 2],
           [5, 6]], dtype=int32)
    """
    t = convert_to_tensor(tensor)
    m = convert_to_tensor(mask)
    k = m.shape.ndims
    if k is None:
        raise ValueError("Number of mask dimensions must be specified, even if some dimensions are None.  E.g. "
                         "shape=[None] is ok, but shape=None is not.")
    if k == 0:
        raise ValueError("mask cannot be scalar.")
    axis = 0 if axis is None else int(axis)
    if t.shape.ndims is not None:
        axis = axis + t.shape.ndims if axis < 0 else axis
        part = TensorShape(t.shape[axis:axis + k])
        if len(part) != k or not part.is_compatible_with(m.shape):
            raise ValueError(f"Shapes {part} and {m.shape} are incompatible")
    n = t.shape.ndims
    if n is None:
        raise ValueError(f"boolean_mask needs a tensor of known rank, got '{t.name}'")
    flat = reshape(t, [dim_size(t, i) for i in _range(axis)] + [-1] + [dim_size(t, i) for i in _range(axis + k, n)])
    return gather(flat, _mask_indices(reshape(m, [-1])), axis=axis, name=name or "boolean_mask")


# -- unique, setdiff1d

def _unique_block(x, out_idx):
    m = backend.xp(x)
    _, first, inverse = m.unique(x, return_index=True, return_inverse=True)
    rank = m.empty_like(first)
    rank[m.argsort(first)] = m.arange(first.shape[0])  # values numbered in order of first appearance, as TF
    is_first = m.zeros(x.shape, dtype=bool)
    is_first[first] = True
    return is_first, rank[inverse.reshape(-1)].astype(out_idx)


@register("UniqueMask")
class UniqueMask:
    """For a vector: whether each entry is the first of its value, and the number of its value among the
    distinct values in order of first appearance (TF's ``idx`` of ``unique``)."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims not in (None, 1):
            fail(op, f"unique expects a 1D vector, got '{x.name}' of shape {x.shape}")
        return [(x.shape, dtypes.bool), (x.shape, op.attrs["out_idx"])]

    def lower(op, x):
        from .registry import tuple_outputs
        one = x.rechunk(-1)
        out = op.attrs["out_idx"]
        packed = one.map_blocks(_unique_block, out_idx=out, dtype=object, meta=np.empty((0,), object))
        return tuple_outputs(packed, [one.chunks, one.chunks],
                             [backend.meta(x, np.bool_), backend.meta(x, out)], "unique")


Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique(x, out_idx=dtypes.int32, name=None):
    """The distinct values ``y`` of the vector ``x`` in order of first appearance, and ``idx`` with ``x == y[idx]``.

    Examples
    --------
    >>> import daskflow as df
    >>> y, idx = df.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    >>> df.Session().run([y, idx])
    [array([1, 2, 4, 7, 8], dtype=int32), array([0, 0, 1, 2, 2, 2, 3, 4, 4], dtype=int32)]
    """
    x = convert_to_tensor(x)
    first, idx = apply("UniqueMask", [x], {"out_idx": dtypes.as_dtype(out_idx)}, name=name or "Unique")
    return Unique(gather(x, _mask_indices(first), name="y"), idx)


def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    """``unique``, with ``count[i]`` the number of entries of ``x`` equal to ``y[i]``."""
    y, idx = unique(x, out_idx, name=name or "UniqueWithCounts")
    return UniqueWithCounts(y, idx, unsorted_segment_sum(ones_like(idx), idx, size(y, out_type=idx.dtype)))


def _isin_block(x, y):
    return backend.xp(x).isin(x, y)


@register("IsIn")
class IsIn:
    """Whether each entry of x is among the entries of the vector y."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x, y = op.inputs
        if x.dtype != y.dtype:
            fail(op, f"x and y must have the same dtype, got {x.dtype.name} and {y.dtype.name}")
        return [(x.shape, dtypes.bool)]

    def lower(op, x, y):
        ind = string.ascii_lowercase[:x.ndim]
        return da.blockwise(_isin_block, ind, x, ind, y.rechunk(-1), "Z", concatenate=True, dtype=bool,
                            meta=backend.meta(x, np.bool_))


ListDiff = collections.namedtuple("ListDiff", ["out", "idx"])


def setdiff1d(x, y, index_dtype=dtypes.int32, name=None):
    """The entries of vector ``x`` that are not in ``y``, in their order in ``x`` (repeats kept), and their
    positions in ``x``.

    Examples
    --------
    >>> import daskflow as df
    >>> out, idx = df.setdiff1d([1, 2, 3, 4, 5, 6], [1, 3, 5])
    >>> df.Session().run([out, idx])
    [array([2, 4, 6], dtype=int32), array([1, 3, 5], dtype=int32)]
    """
    from .math import cast, logical_not
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype_hint=x.dtype)
    for t, what in ((x, "x"), (y, "y")):
        if t.shape.ndims not in (None, 1):
            raise ValueError(f"setdiff1d: {what} must be 1-D, got '{t.name}' of shape {t.shape}")
    keep = logical_not(apply1("IsIn", [x, y], name="IsIn"))
    pos = _mask_indices(keep)
    return ListDiff(gather(x, pos, name=name or "ListDiff"), cast(pos, index_dtype))


# -- searchsorted

def _search_block(seq, values, side, out_dtype):
    m = backend.xp(values)
    s2, v2 = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
    out = m.empty(v2.shape, dtype=out_dtype)
    for i in _range(v2.shape[0]):
        out[i] = m.searchsorted(s2[i], v2[i], side=side)
    return out.reshape(values.shape)


@register("SearchSorted")
class SearchSorted:
    """For each row of ``values``, the positions in the same row of ``sorted_sequence`` where its entries would go
    (TF's LowerBound / UpperBound, by attr ``side``)."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        seq, values = op.inputs
        if seq.dtype != values.dtype:
            fail(op, f"sorted_sequence and values must have the same dtype, got {seq.dtype.name} and "
                     f"{values.dtype.name}")
        if seq.shape.ndims is not None and values.shape.ndims is not None:
            if seq.shape.ndims != values.shape.ndims or seq.shape.ndims == 0:
                fail(op, f"sorted_sequence and values must have the same rank (at least 1), got shapes {seq.shape} "
                         f"and {values.shape}")
            if not TensorShape(seq.shape[:-1]).is_compatible_with(values.shape[:-1]):
                fail(op, f"Leading dim_size of both tensors must match: {seq.shape} vs. {values.shape}")
        return [(values.shape, op.attrs["out_type"])]

    def lower(op, seq, values):
        dims_s, dims_v = known_dims(seq.shape), known_dims(values.shape)
        if dims_s[:-1] != dims_v[:-1]:
            fail(op, f"Leading dim_size of both tensors must match: {list(dims_s)} vs. {list(dims_v)}")
        n = values.ndim
        seq = seq.rechunk(values.chunks[:-1] + (-1,))
        ind = string.ascii_lowercase[:n]
        dt = op.attrs["out_type"]
        return da.blockwise(_search_block, ind, seq, ind[:-1] + "Z", values, ind, side=op.attrs["side"],
                            out_dtype=dt, concatenate=True, dtype=dt, meta=backend.meta(values, dt))


def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """Per row (last dim), the positions in ``sorted_sequence`` where the ``values`` would be inserted to keep it
    sorted: before equal entries with ``side="left"``, after them with ``"right"``."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be either 'right' or 'left'.  Saw: {side}.")
    seq = convert_to_tensor(sorted_sequence)
    values = convert_to_tensor(values, dtype_hint=seq.dtype)
    attrs = {"side": side, "out_type": dtypes.as_dtype(out_type)}
    return apply1("SearchSorted", [seq, values], attrs, name=name or ("LowerBound" if side == "left" else
                                                                        "UpperBound"))


# -- dynamic_partition, dynamic_stitch

def dynamic_partition(data, partitions, num_partitions, name=None):
    """``num_partitions`` tensors: the i-th holds the slices of ``data`` whose entry in ``partitions`` (an int
    tensor whose shape starts ``data``'s) is i, in order. An entry outside ``[0, num_partitions)`` fails the run.

    Examples
    --------
    >>> import daskflow as df
    >>> parts = df.dynamic_partition([10, 20, 30, 40, 50], [0, 0, 1, 1, 0], 2)
    >>> df.Session().run(parts)
    [array([10, 20, 50], dtype=int32), array([30, 40], dtype=int32)]
    """
    from .math import Assert, equal, logical_and
    from .reduce import reduce_all
    x = convert_to_tensor(data)
    p = convert_to_tensor(partitions)
    if p.shape.ndims is None:
        raise ValueError("dynamic_partition needs partitions of known rank")
    if x.shape.ndims is not None and not TensorShape(x.shape[:p.shape.ndims]).is_compatible_with(p.shape):
        raise ValueError(f"data.shape must start with partitions.shape, got data.shape = {x.shape}, "
                         f"partitions.shape = {p.shape}")
    n = int(num_partitions)
    check = Assert(reduce_all(logical_and(p >= 0, p < n)),
                   [f"partitions must be in [0, {n}), got", p], name="check_partitions")
    with control_dependencies([check]):
        return [boolean_mask(x, equal(p, i), name=f"{name or 'DynamicPartition'}_{i}") for i in _range(n)]


def dynamic_stitch(indices, data, name=None):
    """The slices of ``data`` interleaved into one tensor: ``merged[indices[m][i...]] = data[m][i...]``; its first
    dim is ``max(indices) + 1``. Where indices repeat, the later ``data`` wins.

    Examples
    --------
    >>> import daskflow as df
    >>> df.dynamic_stitch([[0, 2], [1]], [[10, 30], [20]]).compute()
    array([10, 20, 30], dtype=int32)
    """
    from .generate import zeros
    from .math import maximum
    from .reduce import reduce_max
    from .scatter import _linear
    idx = [convert_to_tensor(i) for i in indices]
    xs = [convert_to_tensor(d) for d in data]
    if len(idx) != len(xs) or not idx:
        raise ValueError(f"dynamic_stitch needs as many indices as data tensors (at least one), got {len(idx)} "
                         f"and {len(xs)}")
    rows = []
    for i, x in zip(idx, xs):
        k = i.shape.ndims
        if k is None or x.shape.ndims is None:
            raise ValueError("dynamic_stitch needs indices and data of known rank")
        rows.append(reshape(x, [-1] + [dim_size(x, j) for j in _range(k, x.shape.ndims)]))
    flat = concat([reshape(i, [-1]) for i in idx], 0) if len(idx) > 1 else reshape(idx[0], [-1])
    values = concat(rows, 0) if len(rows) > 1 else rows[0]
    n = maximum(reduce_max(flat) + 1, 0) if flat.shape[0] != 0 else 0
    rest = [dim_size(values, j) for j in _range(1, values.shape.ndims)]
    base = zeros([n] + rest, dtype=values.dtype)
    lin = _linear(expand_dims(flat, -1), base, 1, "shape")
    return apply1("TensorScatterUpdate", [base, lin, values], {"k": 1}, name=name or "DynamicStitch")


# -- histograms

def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """The bin of each entry of ``values`` among ``nbins`` equal bins spanning ``value_range = [lo, hi]``; entries
    below ``lo`` go to bin 0, those at or above ``hi`` to bin ``nbins - 1``."""
    from .math import cast, clip_by_value, floor
    v = convert_to_tensor(values)
    r = convert_to_tensor(value_range, dtype_hint=v.dtype)
    nb = convert_to_tensor(nbins, dtype=dtypes.int32) if not hasattr(nbins, "dtype") else nbins
    scaled = (v - r[0]) / (r[1] - r[0])
    bins = cast(floor(cast(nb, scaled.dtype) * scaled), dtypes.int32)
    return cast(clip_by_value(bins, 0, nb - 1), dtype, name=name or "histogram_fixed_width_bins")


def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """The number of entries of ``values`` in each of ``nbins`` equal bins spanning ``value_range = [lo, hi]``
    (entries outside it count in the first or last bin).

    Examples
    --------
    >>> import daskflow as df
    >>> df.histogram_fixed_width([-1.0, 0.0, 1.5, 2.0, 5.0, 15], [0.0, 5.0], nbins=5).compute()
    array([2, 1, 1, 0, 2], dtype=int32)
    """
    from .math import cast
    bins = reshape(histogram_fixed_width_bins(values, value_range, nbins), [-1])
    counts = unsorted_segment_sum(ones_like(bins), bins, int_arg(nbins, "nbins") if not hasattr(nbins, "dtype")
                                  else nbins)
    return cast(counts, dtype, name=name or "histogram_fixed_width")

