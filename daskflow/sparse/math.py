"""Arithmetic on SparseTensors: products with dense matrices, reductions, sums and elementwise extremes of two
sparse tensors, softmax over rows, and the sparse segment reductions. Each is a composite of dense ops (gathers,
segment sums, sorts), so gradients flow where TF defines them: to the values and to the dense operands."""
import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, control_dependencies, name_scope
from ..ops.array import broadcast_to, concat, expand_dims, reshape, stack, transpose
from ..ops.cumulative import cumsum
from ..ops.generate import fill, range as arange, shape as shape_of, size
from ..ops.hostvalue import constant_value
from ..ops.indexing import gather, unsorted_segment_sum
from ..ops.manip import invert_permutation
from ..ops.math import Assert, abs as abs_, cast, conj, exp, greater_equal, less, matmul, maximum as dense_maximum
from ..ops.math import minimum as dense_minimum, not_equal, sqrt
from ..ops.ranking import argsort
from ..ops.reduce import reduce_all, reduce_max as dense_reduce_max, reduce_prod, reduce_sum as dense_reduce_sum
from ..ops.registry import convert_to_tensor
from ..ops.scatter import gather_nd, tensor_scatter_nd_add
from ..ops.segment import unsorted_segment_max
from ..ops.setops import boolean_mask
from ..ops.sparse_check import checked_indices
from ..ops.state import stop_gradient
from .tensor import SparseTensor, SparseTensorValue, as_sparse, coordinates, linear_index, static_rank

__all__ = ["sparse_tensor_dense_matmul", "sparse_dense_matmul", "sparse_reduce_sum", "sparse_reduce_sum_sparse",
           "sparse_reduce_max", "sparse_reduce_max_sparse", "sparse_add", "sparse_maximum", "sparse_minimum",
           "sparse_softmax", "sparse_segment_sum", "sparse_segment_mean", "sparse_segment_sqrt_n", "sparse_matmul",
           "sparse_bincount"]


def dense_operand(x, like):
    """``x`` as a tensor: python values take ``like``'s dtype, numpy arrays and tensors keep theirs."""
    if isinstance(x, (np.ndarray, np.generic)):
        return convert_to_tensor(x)
    return convert_to_tensor(x, dtype_hint=like.dtype)


def _same_dtype(op_name, a, b, a_name, b_name):
    if a.dtype != b.dtype:
        raise TypeError(f"Input '{b_name}' of '{op_name}' Op has type {dtypes.name(b.dtype)} that does not match "
                        f"type {dtypes.name(a.dtype)} of argument '{a_name}'.")


# -- products

def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """The dense product ``op(sp_a) @ op(b)`` of a rank-2 SparseTensor and a dense matrix, ``op`` being the
    (conjugate) transpose when ``adjoint_a``/``adjoint_b`` is set. Repeated indices add up; indices outside the
    dense shape raise ``InvalidArgumentError`` when run. Gradients flow to ``sp_a.values`` and ``b``.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 1], [1, 0]], [2.0, 3.0], [2, 2])
    >>> df.sparse.sparse_dense_matmul(sp, [[1.0, 0.0], [0.0, 1.0]]).compute()
    array([[0., 2.],
           [3., 0.]], dtype=float32)
    """
    sp_a = as_sparse(sp_a)
    with name_scope(name, "SparseTensorDenseMatMul") as scope:
        b = dense_operand(b, sp_a)
        label = f"op '{scope.rstrip('/')}' (type SparseTensorDenseMatMul)"
        for t, what in ((sp_a, "a"), (b, "b")):
            r = static_rank(t) if t is sp_a else t.shape.ndims
            if r is not None and r != 2:
                raise ValueError(f"Shape must be rank 2 but is rank {r} for '{label}' (input {what})")
        _same_dtype("SparseTensorDenseMatMul", sp_a.values, b, "a_values", "b")
        a_shape = sp_a.shape
        inner_a = a_shape[0 if adjoint_a else 1] if a_shape.ndims else None
        inner_b = b.shape[1 if adjoint_b else 0] if b.shape.ndims else None
        if inner_a is not None and inner_b is not None and inner_a != inner_b:
            raise ValueError(f"Dimensions must be equal, but are {inner_a} and {inner_b} for '{label}' with input "
                             f"shapes: {a_shape} and {b.shape}")
        idx = checked_indices(sp_a.indices, sp_a.dense_shape, order=False)
        rows, cols = idx[:, 1 if adjoint_a else 0], idx[:, 0 if adjoint_a else 1]
        values = conj(sp_a.values) if adjoint_a and sp_a.dtype.kind == "c" else sp_a.values
        if adjoint_b:
            b = transpose(conj(b) if b.dtype.kind == "c" else b, [1, 0])
        products = gather(b, cols) * expand_dims(values, 1)
        num = sp_a.dense_shape[1 if adjoint_a else 0]
        return unsorted_segment_sum(products, rows, num, name=scope.rstrip("/"))


sparse_dense_matmul = sparse_tensor_dense_matmul


def sparse_matmul(a, b, transpose_a=False, transpose_b=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """TF1's ``sparse_matmul``: the dense product of two dense matrices; ``a_is_sparse``/``b_is_sparse`` are hints
    (that many entries are zero) that do not change the result."""
    return matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b, name=name or "SparseMatMul")


# -- grouping entries by a key

def group(keys):
    """For int64 ``keys`` (non-negative): the distinct keys in increasing order, and for each entry the number of
    its key among them (int64)."""
    order = argsort(keys)
    s = gather(keys, order)
    prev = concat([constant_like(-1, s), s], 0)[:-1]
    new = not_equal(s, prev)
    seg = cumsum(cast(new, dtypes.int64)) - 1
    return boolean_mask(s, new), gather(seg, invert_permutation(order))


def constant_like(value, t):
    return convert_to_tensor(np.full((1,), value, t.dtype.name), dtype=t.dtype)


def _axes(sp, axis, what, whole=False):
    rank = static_rank(sp)
    if rank is None and axis is None and whole:  # all axes, into a scalar: the rank is not needed
        return None, None
    if rank is None:
        raise ValueError(f"{what} needs a SparseTensor of known rank")
    if axis is None:
        return list(range(rank)), rank
    if isinstance(axis, Tensor):
        known = constant_value(axis)
        if known is None:
            raise ValueError(f"{what} needs axes known when the graph is built, got '{axis.name}'")
        axis = known
    axes = [int(a) for a in np.ravel(axis)]
    for a in axes:
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(None, None, f"Invalid reduction dimension {a}, for input with {rank} "
                                                          f"dimensions.")
    return sorted({a % rank for a in axes}), rank


def _keep(keepdims, keep_dims):
    return bool(keep_dims if keepdims is None else keepdims)


def _reduced(sp, axis, keepdims):
    """The reduction's output coordinates: (kept axes' index tuples, their shape, output shape int64 vector)."""
    axes, rank = axis
    kept = [i for i in range(rank) if i not in axes]
    shape = sp.dense_shape
    kept_shape = gather(shape, kept) if kept else convert_to_tensor(np.zeros(0, np.int64))
    kept_idx = gather(sp.indices, kept, axis=1) if kept else None
    if keepdims:
        dims = [shape[i] if i in kept else constant_like(1, shape)[0] for i in range(rank)]
        out_shape = stack(dims) if dims else kept_shape
    else:
        out_shape = kept_shape
    return kept_idx, kept_shape, out_shape


def _dense_reduction(sp_input, axis, keepdims, reduction_axes, keep_dims, default, segment_fn, total_fn, empty):
    sp = as_sparse(sp_input)
    with name_scope(None, default):
        keep = _keep(keepdims, keep_dims)
        spec = _axes(sp, reduction_axes if axis is None else axis, default, whole=not keep)
        if spec[1] is None:  # all axes of a tensor of unknown rank
            return total_fn(sp.values)
        kept_idx, kept_shape, out_shape = _reduced(sp, spec, keep)
        if kept_idx is None:
            total = total_fn(sp.values)
            return reshape(total, out_shape) if keep else total
        lin = linear_index(kept_idx, kept_shape)
        num = reduce_prod(kept_shape)
        out = segment_fn(sp.values, lin, num)
        if empty is not None:  # positions no entry reduces to hold 0, as TF's
            count = unsorted_segment_sum(fill(shape_of(lin), np.int32(1)), lin, num)
            out = where_(greater_equal(count, 1), out, fill(shape_of(out), convert_to_tensor(0, dtype=out.dtype)))
        return reshape(out, out_shape)


def _sparse_reduction(sp_input, axis, keepdims, reduction_axes, keep_dims, default, segment_fn):
    sp = as_sparse(sp_input)
    with name_scope(None, default):
        spec = _axes(sp, reduction_axes if axis is None else axis, default)
        keep = _keep(keepdims, keep_dims)
        kept_idx, kept_shape, out_shape = _reduced(sp, spec, keep)
        if kept_idx is None:
            lin = fill(shape_of(sp.values, out_type=dtypes.int64), np.int64(0))
        else:
            lin = linear_index(kept_idx, kept_shape)
        keys, seg = group(lin)
        values = segment_fn(sp.values, seg, size(keys, out_type=dtypes.int64))
        kept_rank = spec[1] - len(spec[0])
        coords = coordinates(keys, kept_shape, kept_rank) if kept_rank else _empty_coords(keys)
        if keep and spec[0]:
            cols, j = [], 0
            for i in range(spec[1]):
                if i in spec[0]:
                    cols.append(fill(shape_of(keys, out_type=dtypes.int64), np.int64(0)))
                else:
                    cols.append(coords[:, j])
                    j += 1
            coords = stack(cols, axis=1)
        return SparseTensor(coords, values, out_shape)


def _empty_coords(keys):
    return fill(stack([size(keys, out_type=dtypes.int64), convert_to_tensor(np.int64(0))]), np.int64(0))


def where_(c, x, y):
    from ..ops.math import where_v2
    return where_v2(c, x, y)


def sparse_reduce_sum(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """The dense sum of ``sp_input``'s entries along ``axis`` (all axes by default), as ``reduce_sum`` of its dense
    form. Gradients flow to the values.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, 2.0, 3.0], [2, 3])
    >>> df.sparse.reduce_sum(sp, axis=1).compute()
    array([3., 3.], dtype=float32)
    """
    return _dense_reduction(sp_input, axis, keepdims, reduction_axes, keep_dims, "SparseReduceSum",
                            unsorted_segment_sum, dense_reduce_sum, None)


def sparse_reduce_max(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """The dense maximum of ``sp_input``'s entries along ``axis`` (all axes by default): the implicit zeros take no
    part, and positions that no entry reaches hold 0 (as TF's ``SparseReduceMax``)."""
    return _dense_reduction(sp_input, axis, keepdims, reduction_axes, keep_dims, "SparseReduceMax",
                            unsorted_segment_max, dense_reduce_max, 0)


def sparse_reduce_sum_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """``sparse_reduce_sum`` as a SparseTensor: one entry per output position that some entry reaches (a sum of 0
    included), in row-major order."""
    return _sparse_reduction(sp_input, axis, keepdims, reduction_axes, keep_dims, "SparseReduceSumSparse",
                             unsorted_segment_sum)


def sparse_reduce_max_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """``sparse_reduce_max`` as a SparseTensor: one entry per output position that some entry reaches."""
    return _sparse_reduction(sp_input, axis, keepdims, reduction_axes, keep_dims, "SparseReduceMaxSparse",
                             unsorted_segment_max)


# -- two sparse operands

def _check_pair(a, b, op_name):
    _same_dtype(op_name, a.values, b.values, "a_values", "b_values")
    sa, sb = a.shape, b.shape
    if not sa.is_compatible_with(sb):
        raise ValueError(f"Shapes {sa} and {sb} are incompatible")


def _union(a, b):
    """The entries of ``a`` and ``b`` at their union of positions (sorted): (indices, a's values there, b's values
    there, 0 where an operand has no entry)."""
    lin_a, lin_b = linear_index(a.indices, a.dense_shape), linear_index(b.indices, a.dense_shape)
    keys, seg = group(concat([lin_a, lin_b], 0))
    n = size(keys, out_type=dtypes.int64)
    na = size(lin_a, out_type=dtypes.int64)
    va = unsorted_segment_sum(a.values, seg[:na], n)
    vb = unsorted_segment_sum(b.values, seg[na:], n)
    return coordinates(keys, a.dense_shape, static_rank(a) or static_rank(b)), va, vb, keys, seg


def sparse_add(a, b, threshold=None, thresh=None):
    """The sum of two tensors, at least one a SparseTensor. Two SparseTensors give a SparseTensor holding the union
    of their entries (sums where both have one), in row-major order, dropping sums whose magnitude is below
    ``threshold``; a SparseTensor and a dense tensor of its shape give a dense tensor. Gradients flow to the
    values and to the dense operand.

    Examples
    --------
    >>> import daskflow as df
    >>> a = df.SparseTensor([[0, 0], [1, 1]], [1.0, 2.0], [2, 2])
    >>> b = df.SparseTensor([[0, 0], [0, 1]], [3.0, 4.0], [2, 2])
    >>> df.sparse.to_dense(df.sparse.add(a, b)).compute()
    array([[4., 4.],
           [0., 2.]], dtype=float32)
    """
    threshold = thresh if threshold is None else threshold
    a = as_sparse(a) if isinstance(a, SparseTensorValue) else a
    b = as_sparse(b) if isinstance(b, SparseTensorValue) else b
    if not isinstance(a, SparseTensor) and not isinstance(b, SparseTensor):
        raise TypeError("At least one input should be SparseTensor; do you mean to use tf.add()?")
    if not isinstance(a, SparseTensor) or not isinstance(b, SparseTensor):
        sp, dense = (a, b) if isinstance(a, SparseTensor) else (b, a)
        return _sparse_dense_add(sp, dense)
    _check_pair(a, b, "SparseAdd")
    with name_scope(None, "SparseAdd"):
        indices, va, vb, keys, _ = _union(a, b)
        values = va + vb
        if threshold is None:
            return SparseTensor(indices, values, a.dense_shape)
        keep = greater_equal(abs_(values), convert_to_tensor(threshold, dtype_hint=values.dtype))
        return SparseTensor(boolean_mask(indices, keep), boolean_mask(values, keep), a.dense_shape)


def _sparse_dense_add(sp, dense):
    with name_scope(None, "SparseTensorDenseAdd") as scope:
        dense = dense_operand(dense, sp)
        _same_dtype("SparseTensorDenseAdd", sp.values, dense, "a_values", "b")
        ss, ds = sp.shape, dense.shape
        if ss.ndims is not None and ds.ndims is not None:
            if ss.ndims != ds.ndims:
                raise errors.InvalidArgumentError(None, None, f"Dimensions must match: sparse rank {ss.ndims} vs "
                                                              f"dense rank {ds.ndims}")
            for i, (p, q) in enumerate(zip(ss, ds)):
                if p is not None and q is not None and p != q:
                    raise errors.InvalidArgumentError(
                        None, None, f"Dimension {i} does not equal (no broadcasting is supported): sparse side {p} "
                                    f"vs dense side {q}")
        return tensor_scatter_nd_add(dense, sp.indices, sp.values, name=scope.rstrip("/"))


def _extreme(sp_a, sp_b, fn, op_name, name=None):
    a, b = as_sparse(sp_a), as_sparse(sp_b)
    _same_dtype(op_name, a.values, b.values, "a_values", "b_values")
    sa, sb = a.shape, b.shape
    if sa.ndims is not None and sb.ndims is not None:
        for i, (p, q) in enumerate(zip(sa, sb)):
            if p is not None and q is not None and p != q:
                raise errors.InvalidArgumentError(None, None, f"Operands' shapes do not match: got {p} and {q} for "
                                                              f"dimension {i}")
        if sa.ndims != sb.ndims:
            raise errors.InvalidArgumentError(None, None, f"Operands do not have the same ranks; got shapes: {sa} "
                                                          f"and {sb}")
    with name_scope(name, op_name):
        indices, va, vb, _, _ = _union(a, b)
        return SparseTensor(indices, fn(va, vb), a.dense_shape)


def sparse_maximum(sp_a, sp_b, name=None):
    """The elementwise maximum of two SparseTensors of one shape, at the union of their positions (an operand with
    no entry at a position counts as 0 there), in row-major order.

    Examples
    --------
    >>> import daskflow as df
    >>> a = df.SparseTensor([[0], [1]], [-1.0, 2.0], [3])
    >>> b = df.SparseTensor([[1], [2]], [3.0, -4.0], [3])
    >>> df.Session().run(df.sparse.maximum(a, b)).values
    array([0., 3., 0.], dtype=float32)
    """
    return _extreme(sp_a, sp_b, dense_maximum, "SparseSparseMaximum", name)


def sparse_minimum(sp_a, sp_b, name=None):
    """The elementwise minimum of two SparseTensors of one shape (see ``sparse_maximum``)."""
    return _extreme(sp_a, sp_b, dense_minimum, "SparseSparseMinimum", name)


def _cwise(sp, dense, how):
    """``sp`` times (or divided by) a dense tensor broadcast to its shape, at its entries (a SparseTensor)."""
    with name_scope(None, "SparseDenseCwiseMul" if how == "mul" else "SparseDenseCwiseDiv"):
        dense = dense_operand(dense, sp)
        _same_dtype("SparseDenseCwise", sp.values, dense, "sp_values", "dense")
        picked = gather_nd(broadcast_to(dense, sp.dense_shape), sp.indices)
        return sp.with_values(sp.values * picked if how == "mul" else sp.values / picked)


# -- softmax over rows

def sparse_softmax(sp_input, name=None):
    """Softmax over the last dim of a SparseTensor of rank >= 2, among the entries present: each group of entries
    sharing all but the last coordinate is normalised, the implicit zeros taking no part. The result has
    ``sp_input``'s indices (which must be in row-major order, as TF asks). Gradients flow to the values.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, 1.0, 5.0], [2, 3])
    >>> df.Session().run(df.sparse.softmax(sp)).values
    array([0.5, 0.5, 1. ], dtype=float32)
    """
    sp = as_sparse(sp_input)
    rank = static_rank(sp)
    if rank is not None and rank < 2:
        raise errors.InvalidArgumentError(None, None, f"Input should have rank >= 2, but received shape: {rank}")
    if rank is None:
        raise ValueError("sparse softmax needs a SparseTensor of known rank")
    with name_scope(name, "SparseSoftmax"):
        rows = linear_index(sp.indices[:, :-1], sp.dense_shape[:-1])
        keys, seg = group(rows)
        n = size(keys, out_type=dtypes.int64)
        top = stop_gradient(unsorted_segment_max(sp.values, seg, n))  # softmax is unchanged by the shift
        e = exp(sp.values - gather(top, seg))
        return sp.with_values(e / gather(unsorted_segment_sum(e, seg, n), seg))


# -- sparse segment reductions: rows of dense data picked by indices, reduced by sorted segment ids

def _segment(data, indices, segment_ids, num_segments, name, default, finish):
    with name_scope(name, default):
        data = convert_to_tensor(data)
        idx = convert_to_tensor(indices)
        ids = convert_to_tensor(segment_ids)
        for t, what in ((idx, "indices"), (ids, "segment_ids")):
            if t.dtype not in (dtypes.int32, dtypes.int64):
                raise TypeError(f"{default}: {what} must be int32 or int64, got dtype {t.dtype.name}")
        if idx.shape.ndims not in (None, 1) or ids.shape.ndims not in (None, 1):
            raise errors.InvalidArgumentError(None, None, f"{default}: indices and segment_ids should be vectors, got "
                                                          f"shapes {idx.shape} and {ids.shape}")
        if idx.shape[0] is not None and ids.shape[0] is not None and idx.shape[0] != ids.shape[0]:
            raise errors.InvalidArgumentError(None, None, f"{default}: segment_ids and indices should have same size.")
        from ..ops.segment import _sorted_ids
        rows = gather(data, idx)
        ids, num = _sorted_ids(rows, ids, default)
        if num_segments is not None:
            num = num_segments
        total = unsorted_segment_sum(rows, ids, num)
        return finish(total, rows, ids, num)


def _counts(rows, ids, num, dtype):
    count = unsorted_segment_sum(fill(shape_of(ids), np.array(1, dtype.name)), ids, num)
    if rows.shape.ndims is not None and rows.shape.ndims > 1:
        count = reshape(count, concat([shape_of(count), np.ones(rows.shape.ndims - 1, np.int32)], 0))
    return dense_maximum(count, convert_to_tensor(np.array(1, dtype.name)))


def sparse_segment_sum(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    """Sums of the rows ``data[indices[i]]`` sharing ``segment_ids[i]`` (sorted, non-negative): the output has
    ``num_segments`` rows (``max(segment_ids) + 1`` by default), 0 for ids that do not occur.

    Examples
    --------
    >>> import daskflow as df
    >>> df.sparse.segment_sum([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0, 2, 1], [0, 0, 1]).compute()
    array([[6., 8.],
           [3., 4.]], dtype=float32)
    """
    return _segment(data, indices, segment_ids, num_segments, name, "SparseSegmentSum",
                    lambda total, rows, ids, num: total)


def sparse_segment_mean(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    """Means of the rows ``data[indices[i]]`` sharing ``segment_ids[i]`` (see ``sparse_segment_sum``); 0 for ids
    that do not occur."""
    return _segment(data, indices, segment_ids, num_segments, name, "SparseSegmentMean",
                    lambda total, rows, ids, num: total / _counts(rows, ids, num, total.dtype))


def sparse_segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None, sparse_gradient=False):
    """Sums of the rows ``data[indices[i]]`` sharing ``segment_ids[i]`` divided by the square root of their
    number (see ``sparse_segment_sum``); 0 for ids that do not occur."""
    return _segment(data, indices, segment_ids, num_segments, name, "SparseSegmentSqrtN",
                    lambda total, rows, ids, num: total / sqrt(_counts(rows, ids, num, total.dtype)))


# -- counting

def sparse_bincount(values, weights=None, axis=0, minlength=None, maxlength=None, binary_output=False, name=None):
    """Counts of the non-negative ints in ``values`` (a tensor or a SparseTensor, whose implicit zeros are not
    counted) as a SparseTensor: over all of them with ``axis=0`` (dense shape ``[size]``), or per row of a matrix
    with ``axis=-1`` (``[rows, size]``). ``size`` is ``max(values) + 1``, at least ``minlength`` and at most
    ``maxlength`` (larger values are dropped). ``weights`` (of ``values``' shape) sums weights instead of counting;
    ``binary_output`` gives 1 for each value present.

    Examples
    --------
    >>> import daskflow as df
    >>> df.Session().run(df.sparse.bincount([[1, 3, 3], [0, 1, 1]], axis=-1)).values
    array([1, 2, 1, 2], dtype=int32)
    """
    if axis not in (0, -1):
        raise ValueError(f"Unsupported value for argument axis={axis}. Only 0 and -1 are currently supported.")
    if binary_output and weights is not None:
        raise ValueError("Arguments `binary_output` and `weights` are mutually exclusive. Please specify only one.")
    with name_scope(name, "count"):
        sp = as_sparse(values) if isinstance(values, (SparseTensor, SparseTensorValue)) else None
        vals = sp.values if sp is not None else convert_to_tensor(values)
        if vals.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"Value passed to parameter 'values' has DataType {dtypes.name(vals.dtype)} not in list "
                            "of allowed values: int32, int64")
        rank = static_rank(sp) if sp is not None else vals.shape.ndims
        if rank is None or rank > 2:
            raise errors.InvalidArgumentError(None, None, f"Input must be a 1 or 2-dimensional tensor. Got rank "
                                                          f"{rank}")
        per_row = axis == -1 and rank == 2
        w = None
        if weights is not None:
            w = as_sparse(weights).values if isinstance(weights, (SparseTensor, SparseTensorValue)) else \
                reshape(convert_to_tensor(weights), [-1])
        if sp is not None:
            rows, batch = sp.indices[:, 0], sp.dense_shape[0]
        else:
            batch = shape_of(vals, out_type=dtypes.int64)[0] if rank == 2 else None
            if per_row:
                cols = shape_of(vals, out_type=dtypes.int64)[1]
                row = expand_dims(arange(batch, dtype=dtypes.int64), 1)
                rows = reshape(broadcast_to(row, stack([batch, cols])), [-1])
            vals = reshape(vals, [-1])
        v64 = cast(vals, dtypes.int64)
        check = Assert(reduce_all(greater_equal(v64, np.int64(0))), ["Input values must all be non-negative"],
                       name="check_non_negative")
        bins = dense_maximum(dense_reduce_max(concat([v64, constant_like(-1, v64)], 0)) + 1, np.int64(0))
        if minlength is not None:
            bins = dense_maximum(bins, cast(convert_to_tensor(minlength), dtypes.int64))
        if maxlength is not None:
            bins = dense_minimum(bins, cast(convert_to_tensor(maxlength), dtypes.int64))
        keep = less(v64, bins)
        key = rows * bins + v64 if per_row else v64
        key = boolean_mask(key, keep)
        with control_dependencies([check]):
            keys, seg = group(key)
        n = size(keys, out_type=dtypes.int64)
        if binary_output or w is None:
            counts = fill(shape_of(keys), np.array(1, vals.dtype.name))
            if not binary_output:
                counts = unsorted_segment_sum(fill(shape_of(key), np.array(1, vals.dtype.name)), seg, n)
        else:
            counts = unsorted_segment_sum(boolean_mask(w, keep), seg, n)
        if per_row:
            indices = stack([keys // bins, keys % dense_maximum(bins, np.int64(1))], 1)
            dense_shape = stack([batch, bins])
        else:
            indices, dense_shape = expand_dims(keys, 1), stack([bins])
        return SparseTensor(indices, counts, dense_shape)
