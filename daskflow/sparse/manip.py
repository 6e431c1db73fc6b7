"""Rearranging SparseTensors: reorder, reshape, transpose, concat, split, slice, retain, expand_dims,
fill_empty_rows, reset_shape, and the id/value combinations ``merge`` and ``to_indicator``; with ``eye``. Values
move by gathers and concatenations, so gradients reach them."""
import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, TensorShape, control_dependencies, name_scope
from ..ops.array import concat, expand_dims as dense_expand_dims, stack
from ..ops.generate import fill, range as arange, shape as shape_of
from ..ops.hostvalue import constant_value
from ..ops.indexing import gather, unsorted_segment_sum
from ..ops.math import Assert, cast, equal, floordiv, floormod, greater_equal, less, logical_and, maximum, minimum
from ..ops.math import where_v2
from ..ops.reduce import reduce_all, reduce_max, reduce_prod
from ..ops.registry import convert_to_tensor
from ..ops.ranking import argsort
from ..ops.scatter import scatter_nd
from ..ops.setops import _mask_indices, boolean_mask
from ..ops.sparse_check import checked_indices
from ..ops.state import identity
from .tensor import SparseTensor, SparseTensorValue, as_sparse, coordinates, linear_index, static_rank

__all__ = ["sparse_reorder", "sparse_reshape", "sparse_transpose", "sparse_concat", "sparse_split", "sparse_slice",
           "sparse_retain", "sparse_expand_dims", "sparse_fill_empty_rows", "sparse_reset_shape", "sparse_eye",
           "sparse_to_indicator", "sparse_merge"]


def _i64(x, name=None):
    t = convert_to_tensor(x, dtype_hint=dtypes.int64, name=name)
    return t if t.dtype == dtypes.int64 else cast(t, dtypes.int64)


def _rank(sp, what):
    r = static_rank(sp)
    if r is None:
        raise ValueError(f"{what} needs a SparseTensor of known rank")
    return r


def _static(t):
    v = constant_value(t)
    return None if v is None else np.asarray(v).tolist()


def sparse_reorder(sp_input, name=None):
    """``sp_input`` with its entries in row-major (lexicographic) order of their indices, as most sparse ops want
    them; the dense value is unchanged. Gradients flow to the values.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2])
    >>> df.Session().run(df.sparse.reorder(sp)).values
    array([2., 1.], dtype=float32)
    """
    sp = as_sparse(sp_input)
    with name_scope(name, "SparseReorder"):
        order = argsort(linear_index(sp.indices, sp.dense_shape))
        return SparseTensor(gather(sp.indices, order), gather(sp.values, order), sp.dense_shape)


def sparse_reshape(sp_input, shape, name=None):
    """``sp_input`` with dense shape ``shape`` (one entry may be -1, inferred), its entries keeping their row-major
    positions (as ``reshape`` of the dense form). Gradients flow to the values.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 2], [1, 0]], [1.0, 2.0], [2, 3])
    >>> df.Session().run(df.sparse.reshape(sp, [3, -1])).indices
    array([[1, 0],
           [1, 1]])
    """
    sp = as_sparse(sp_input)
    with name_scope(name, "SparseReshape"):
        new = _i64(shape)
        if new.shape.ndims != 1 or new.shape[0] is None:
            raise ValueError(f"sparse reshape needs a shape vector of known length, got shape {new.shape}")
        wanted, have = _static(new), sp.shape
        if wanted is not None:
            if wanted.count(-1) > 1:
                raise ValueError(f"At most one dimension can be inferred (-1). Found: {np.array(wanted)}")
            if have.is_fully_defined():
                total, part = int(np.prod(have)), int(np.prod([d for d in wanted if d != -1]))
                shown = [None if d == -1 else d for d in wanted]
                if (-1 not in wanted and part != total) or (-1 in wanted and (part == 0 or total % part)):
                    raise ValueError(f"Cannot reshape a tensor with {total} elements to shape "
                                     f"{shown} ({part} elements).")
        old = sp.dense_shape
        total = reduce_prod(old)
        part = reduce_prod(where_v2(less(new, 0), np.int64(1), new))
        out_shape = where_v2(less(new, 0), floordiv(total, maximum(part, np.int64(1))), new)
        check = Assert(equal(reduce_prod(out_shape), total),
                       ["Input to reshape is a SparseTensor with", total, "dense values, but the requested shape "
                        "has", reduce_prod(out_shape)], name="check_size")
        with control_dependencies([check]):
            out_shape = identity(out_shape)
        coords = coordinates(linear_index(sp.indices, old), out_shape, new.shape[0])
        out = SparseTensor(coords, sp.values, out_shape)
        if wanted is not None and -1 not in wanted:
            out.set_shape(wanted)
        return out


def sparse_transpose(sp_input, perm=None, name=None):
    """``sp_input`` with its dims permuted by ``perm`` (reversed by default), its entries reordered row-major.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 2]], [1.0], [2, 3])
    >>> df.Session().run(df.sparse.transpose(sp)).indices
    array([[2, 0]])
    """
    sp = as_sparse(sp_input)
    rank = _rank(sp, "sparse transpose")
    with name_scope(name, "SparseTranspose"):
        perm = list(range(rank))[::-1] if perm is None else perm
        p = _static(_i64(perm))
        if p is not None and sorted(p) != list(range(rank)):
            raise errors.InvalidArgumentError(None, None, f"perm {p} is not a permutation of [0, {rank})")
        perm = _i64(perm)
        out = SparseTensor(gather(sp.indices, perm, axis=1), sp.values, gather(sp.dense_shape, perm))
        return sparse_reorder(out)


def sparse_concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None,
                  expand_nonconcat_dims=None):
    """The SparseTensors ``sp_inputs`` joined along ``axis`` (as ``concat`` of their dense forms), entries in
    row-major order. Their other dims must match, unless ``expand_nonconcat_dim``, which takes the largest.

    Examples
    --------
    >>> import daskflow as df
    >>> a = df.SparseTensor([[0, 0]], [1.0], [2, 2])
    >>> b = df.SparseTensor([[1, 1]], [2.0], [2, 3])
    >>> df.Session().run(df.sparse.concat(1, [a, b])).indices
    array([[0, 0],
           [1, 3]])
    """
    axis = concat_dim if concat_dim is not None else axis
    expand = expand_nonconcat_dims if expand_nonconcat_dims is not None else expand_nonconcat_dim
    sps = [as_sparse(s) for s in sp_inputs]
    ranks = [static_rank(s) for s in sps]
    rank = next((r for r in ranks if r is not None), None)
    if rank is None:
        raise ValueError("sparse concat needs SparseTensors of known rank")
    for r in ranks:
        if r is not None and r != rank:
            raise ValueError(f"Dimensions must be equal, but are {rank} and {r} for 'SparseConcat': all inputs "
                             "must have the same rank")
    if not -rank <= int(axis) < rank:
        raise errors.InvalidArgumentError(None, None, f"Concat dimension must be in range [{-rank}, {rank}), got "
                                                      f"{axis}")
    axis = int(axis) % rank
    for s in sps[1:]:
        if s.dtype != sps[0].dtype:
            raise TypeError(f"Input 'values' of 'SparseConcat' Op has types [{dtypes.name(sps[0].dtype)}, "
                            f"{dtypes.name(s.dtype)}] that don't all match.")
    if not expand:
        first = sps[0].shape
        for pos, s in enumerate(sps[1:], 1):
            for d in range(rank):
                p, q = first[d], s.shape[d] if s.shape.ndims else None
                if d != axis and p is not None and q is not None and p != q:
                    raise errors.InvalidArgumentError(None, None, f"Input shapes must match: expected {p} for "
                                                                  f"dimension {d} but got {q} at position {pos}")
    with name_scope(name, "SparseConcat"):
        offset, idx = None, []
        for s in sps:
            ind = s.indices
            if offset is not None:
                ind = concat([ind[:, :axis], ind[:, axis:axis + 1] + offset, ind[:, axis + 1:]], 1)
            idx.append(ind)
            offset = s.dense_shape[axis] if offset is None else offset + s.dense_shape[axis]
        shapes = stack([s.dense_shape for s in sps])
        base = reduce_max(shapes, axis=0) if expand else sps[0].dense_shape
        out_shape = concat([base[:axis], stack([offset]), base[axis + 1:]], 0)
        out = SparseTensor(concat(idx, 0), concat([s.values for s in sps], 0), out_shape)
        return sparse_reorder(out)


def sparse_slice(sp_input, start, size, name=None):
    """The entries of ``sp_input`` inside the box of corner ``start`` and extent ``size`` (clipped to the dense
    shape), shifted to start at 0, with the clipped extent as dense shape.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
    >>> df.Session().run(df.sparse.slice(sp, [1, 0], [5, 5]))
    SparseTensorValue(indices=array([[0, 2]]), values=array([2.], dtype=float32), dense_shape=array([1, 3]))
    """
    sp = as_sparse(sp_input)
    with name_scope(name, "SparseSlice"):
        start, size = _i64(start), _i64(size)
        rank = static_rank(sp)
        for t, what in ((start, "start"), (size, "size")):
            n = t.shape[0] if t.shape.ndims == 1 else None
            if t.shape.ndims not in (None, 1) or (rank is not None and n is not None and n != rank):
                raise errors.InvalidArgumentError(
                    None, None, f"Expected {what} to be a vector of length {rank} but got length {n}")
        end = minimum(start + size, sp.dense_shape)
        keep = reduce_all(logical_and(greater_equal(sp.indices, start), less(sp.indices, end)), axis=1)
        out_shape = maximum(end - start, np.int64(0))
        return SparseTensor(boolean_mask(sp.indices, keep) - start, boolean_mask(sp.values, keep), out_shape)


def sparse_split(*, sp_input=None, num_split=None, axis=None, name=None, split_dim=None):
    """``sp_input`` cut into ``num_split`` SparseTensors along ``axis``: the first ``dim % num_split`` pieces get
    ``dim // num_split + 1`` of its slices, the others ``dim // num_split`` (arguments by keyword only, as TF1).

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [0, 4]], [1.0, 2.0], [1, 5])
    >>> [v.dense_shape.tolist() for v in df.Session().run(df.sparse.split(sp_input=sp, num_split=2, axis=1))]
    [[1, 3], [1, 2]]
    """
    axis = split_dim if axis is None else axis
    if sp_input is None or num_split is None or axis is None:
        raise ValueError("sp_input, num_split and axis are required")
    sp = as_sparse(sp_input)
    rank = _rank(sp, "sparse split")
    axis, num_split = int(axis), int(num_split)
    if not -rank <= axis < rank:
        raise errors.InvalidArgumentError(None, None, f"Input axis should be in range [{-rank}, {rank}), got {axis}")
    axis %= rank
    dim = sp.shape[axis]
    if num_split < 1 or (dim is not None and num_split > dim):
        raise errors.InvalidArgumentError(None, None, f"Input num_split should be between 1 and the splitting "
                                                      f"dimension size ({dim}), got {num_split}")
    with name_scope(name, "SparseSplit"):
        d = sp.dense_shape[axis]
        q, r = floordiv(d, np.int64(num_split)), floormod(d, np.int64(num_split))
        zero = convert_to_tensor(np.int64(0))
        outs = []
        for i in range(num_split):
            first = q * np.int64(i) + minimum(r, np.int64(i))
            extent = q + cast(less(np.int64(i), r), dtypes.int64)
            start = stack([first if k == axis else zero for k in range(rank)])
            size = stack([extent if k == axis else sp.dense_shape[k] for k in range(rank)])
            outs.append(sparse_slice(sp, start, size))
        return outs


def sparse_retain(sp_input, to_retain):
    """The entries of ``sp_input`` where the bool vector ``to_retain`` (one per entry) is true; the dense shape is
    kept. Gradients flow to the values kept.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
    >>> df.Session().run(df.sparse.retain(sp, [False, True])).values
    array([2.], dtype=float32)
    """
    sp = as_sparse(sp_input)
    keep = convert_to_tensor(to_retain, dtype=dtypes.bool)
    if keep.shape.ndims is not None and keep.shape.ndims != 1:
        raise ValueError(f"Shape {keep.shape} must have rank 1")
    n, m = sp.values.shape[0], keep.shape[0] if keep.shape.ndims else None
    if n is not None and m is not None and n != m:
        raise ValueError(f"Dimensions {n} and {m} are not compatible")
    with name_scope(None, "SparseRetain"):
        return SparseTensor(boolean_mask(sp.indices, keep), boolean_mask(sp.values, keep), sp.dense_shape)


def sparse_expand_dims(sp_input, axis=None, name=None):
    """``sp_input`` with a dim of size 1 inserted at ``axis`` (in ``[-rank - 1, rank]``)."""
    sp = as_sparse(sp_input)
    rank = _rank(sp, "sparse expand_dims")
    axis = -1 if axis is None else int(axis)
    if not -rank - 1 <= axis <= rank:
        raise errors.InvalidArgumentError(None, None, f"Input axis should be in range [{-rank - 1}, {rank}], got "
                                                      f"{axis}")
    axis = axis + rank + 1 if axis < 0 else axis
    with name_scope(name, "ExpandDims"):
        col = fill(stack([shape_of(sp.indices, out_type=dtypes.int64)[0], np.int64(1)]), np.int64(0))
        idx = concat([sp.indices[:, :axis], col, sp.indices[:, axis:]], 1)
        shape = concat([sp.dense_shape[:axis], np.array([1], np.int64), sp.dense_shape[axis:]], 0)
        return SparseTensor(idx, sp.values, shape)


def sparse_fill_empty_rows(sp_input, default_value, name=None):
    """``sp_input`` with an entry ``default_value`` at ``[r, 0, ..., 0]`` for each row ``r`` that has none, entries
    in row-major order; and the bool vector saying which rows were empty. Gradients flow to the values and to
    ``default_value``.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [3, 2])
    >>> out, empty = df.Session().run(df.sparse.fill_empty_rows(sp, -1.0))
    >>> out.indices.tolist(), empty.tolist()
    ([[0, 1], [1, 0], [2, 0]], [False, True, False])
    """
    sp = as_sparse(sp_input)
    rank = _rank(sp, "sparse fill_empty_rows")
    default = convert_to_tensor(default_value, dtype=sp.dtype) if not isinstance(default_value, Tensor) \
        else default_value
    if default.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {default.shape.ndims} for 'SparseFillEmptyRows' "
                         f"(default_value)")
    if default.dtype != sp.dtype:
        raise TypeError(f"Input 'default_value' of 'SparseFillEmptyRows' Op has type {dtypes.name(default.dtype)} "
                        f"that does not match type {dtypes.name(sp.dtype)} of argument 'values'.")
    with name_scope(name, "SparseFillEmptyRows"):
        rows = sp.indices[:, 0]
        count = unsorted_segment_sum(fill(shape_of(rows), np.int32(1)), rows, sp.dense_shape[0])
        empty = equal(count, 0)
        new_rows = _mask_indices(empty)
        zeros = fill(stack([shape_of(new_rows, out_type=dtypes.int64)[0], np.int64(rank - 1)]), np.int64(0))
        new_idx = concat([dense_expand_dims(new_rows, 1), zeros], 1)
        new_vals = fill(shape_of(new_rows), convert_to_tensor(0, dtype=sp.dtype)) + default
        out = SparseTensor(concat([sp.indices, new_idx], 0), concat([sp.values, new_vals], 0), sp.dense_shape)
        return sparse_reorder(out), empty


def sparse_reset_shape(sp_input, new_shape=None):
    """``sp_input`` with dense shape ``new_shape`` (each dim at least the old one), or without it the tightest
    shape holding its entries (``max(indices) + 1`` per dim)."""
    sp = as_sparse(sp_input)
    with name_scope(None, "SparseResetShape"):
        if new_shape is None:
            rank = _rank(sp, "sparse reset_shape")
            floor = fill(stack([np.int64(1), np.int64(rank)]), np.int64(-1))
            return SparseTensor(sp.indices, sp.values, reduce_max(concat([sp.indices, floor], 0), axis=0) + 1)
        new = _i64(new_shape)
        rank = static_rank(sp)
        n = new.shape[0] if new.shape.ndims == 1 else None
        if new.shape.ndims not in (None, 1):
            raise ValueError(f"Shape {new.shape} must have rank 1")
        if n is not None and rank is not None and n != rank:
            raise ValueError(f"Dimensions {n} and {rank} are not compatible")
        wanted, have = _static(new), sp.shape
        if wanted is not None and have.is_fully_defined() and any(w < h for w, h in zip(wanted, have)):
            raise ValueError(f"Requested new_shape should have dimension sizes >= sp_input.shape.  Found new_shape "
                             f"({np.array(wanted)}), sp_input.shape ({np.array(list(have))}).")
        check = Assert(reduce_all(greater_equal(new, sp.dense_shape)),
                       ["Requested new_shape should have dimension sizes >= sp_input.shape. Found new_shape", new,
                        "sp_input.shape", sp.dense_shape], name="check_shape")
        with control_dependencies([check]):
            return SparseTensor(sp.indices, sp.values, identity(new))


def sparse_eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None):
    """The SparseTensor of the ``num_rows x num_columns`` (square by default) identity matrix: ones on the
    diagonal."""
    with name_scope(name, "eye"):
        rows = _i64(num_rows)
        cols = rows if num_columns is None else _i64(num_columns)
        i = arange(minimum(rows, cols), dtype=dtypes.int64)
        ones = fill(shape_of(i), convert_to_tensor(1, dtype=dtype))
        out = SparseTensor(stack([i, i], axis=1), ones, stack([rows, cols]))
        static = (_static(rows), _static(cols))
        if None not in static:
            out.set_shape(TensorShape(static))
        return out


def _ids_indices(sp_ids_list):
    base = sp_ids_list[0]
    cols = [cast(s.values, dtypes.int64) for s in sp_ids_list]
    return concat([base.indices[:, :-1]] + [dense_expand_dims(c, 1) for c in cols], 1)


def sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    """The SparseTensor with ``sp_values``' values at ``[indices[:-1]..., sp_ids.values]``: ids become the last
    coordinate, in a last dim of size ``vocab_size`` (a list of SparseTensors of ids and of sizes gives one
    coordinate per list entry). Entries are reordered row-major unless ``already_sorted``."""
    ids = list(sp_ids) if isinstance(sp_ids, (list, tuple)) and not isinstance(sp_ids, SparseTensorValue) \
        else [sp_ids]
    ids = [as_sparse(s, "sp_ids") for s in ids]
    vals = as_sparse(sp_values, "sp_values")
    sizes = list(vocab_size) if isinstance(vocab_size, (list, tuple)) else [vocab_size]
    if len(sizes) != len(ids):
        raise ValueError(f"sp_ids and vocab_size have different lengths: {len(ids)} vs {len(sizes)}")
    for s in ids:
        if s.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"sp_ids.values must be int32 or int64, got {dtypes.name(s.dtype)}")
    with name_scope(name, "SparseMerge"):
        shape = concat([ids[0].dense_shape[:-1]] + [stack([_i64(v)]) for v in sizes], 0)
        out = SparseTensor(_ids_indices(ids), vals.values, shape)
        return out if already_sorted else sparse_reorder(out)


def sparse_to_indicator(sp_input, vocab_size, name=None):
    """The dense bool tensor of shape ``dense_shape[:-1] + [vocab_size]`` that is true at
    ``[indices[:-1]..., value]`` for each entry: the ids in the last dim of ``sp_input`` as a multi-hot
    indicator. Ids outside ``[0, vocab_size)`` raise ``InvalidArgumentError`` when run.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [0, 1]], [3, 1], [1, 2])
    >>> df.sparse.to_indicator(sp, 4).compute()
    array([[False,  True, False,  True]])
    """
    sp = as_sparse(sp_input)
    if sp.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"sp_input.values must be int32 or int64, got {dtypes.name(sp.dtype)}")
    with name_scope(name, "SparseToIndicator"):
        idx = _ids_indices([sp])
        shape = concat([sp.dense_shape[:-1], stack([_i64(vocab_size)])], 0)
        idx = checked_indices(idx, shape, order=False)
        hits = scatter_nd(idx, fill(shape_of(sp.values), np.int32(1)), shape)
        return greater_equal(hits, 1)
