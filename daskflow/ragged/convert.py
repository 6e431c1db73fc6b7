"""RaggedTensor to and from dense and sparse tensors (``to_tensor``, ``from_tensor``, ``to_sparse``,
``from_sparse``), gathering rows, and indexing (``rt[i]``, ``rt[a:b]``, ``rt[:, a:b]``)."""
import numpy as np

from .. import dtypes
from ..graph import Tensor, TensorShape, name_scope
from ..ops.array import broadcast_to, concat, expand_dims, reshape, stack, tile
from ..ops.cumulative import cumsum
from ..ops.generate import range as _range, shape as _shape
from ..ops.indexing import gather
from ..ops.manip import sequence_mask
from ..ops.math import cast, equal, logical_not, maximum, minimum, where
from ..ops.reduce import reduce_all, reduce_max
from ..ops.registry import apply, convert_to_tensor
from ..ops.setops import boolean_mask
from .tensor import RaggedTensor, row_splits_to_segment_ids

_I64 = dtypes.int64


def _zero():
    return np.zeros([1], np.int64)


# -- gathering rows

def take_ranges(values, starts, limits):
    """The rows ``values[starts[i]:limits[i]]`` one after another, and the row splits that cut them apart."""
    lengths = maximum(limits - starts, np.int64(0))
    splits = concat([_zero(), cumsum(lengths)], 0)
    rowids = row_splits_to_segment_ids(splits)
    pos = _range(splits[-1], dtype=_I64) - gather(splits, rowids) + gather(starts, rowids)
    return gather_rows(values, pos), splits


def gather_rows(values, indices):
    """Rows ``indices`` (int64 vector) of ``values``, a Tensor or a RaggedTensor."""
    if not isinstance(values, RaggedTensor):
        return gather(values, indices)
    s = values.row_splits
    inner, splits = take_ranges(values.values, gather(s, indices), gather(s, indices + np.int64(1)))
    return RaggedTensor._make(inner, splits, values._uniform)


def rows_range(values, start, limit):
    """Rows ``start`` to ``limit`` (int64 scalars, ``start <= limit``) of ``values``, a Tensor or RaggedTensor."""
    if not isinstance(values, RaggedTensor):
        return values[start:limit]
    s = values.row_splits[start:limit + 1]
    return RaggedTensor._make(rows_range(values.values, s[0], s[-1]), s - s[0], values._uniform)


def concat_rows(parts):
    """The rows of ``parts`` (all Tensors, or all RaggedTensors of one ragged rank) one after another."""
    if not isinstance(parts[0], RaggedTensor):
        return concat(parts, 0)
    splits, offset = [parts[0].row_splits], parts[0].row_splits[-1]
    for p in parts[1:]:
        splits.append(p.row_splits[1:] + offset)
        offset = offset + p.row_splits[-1]
    return RaggedTensor._make(concat_rows([p.values for p in parts]), concat(splits, 0))


# -- dense

def dense_index(rt):
    """The index (int64 ``[N, ragged_rank + 1]``) of each row of ``rt.flat_values`` in ``rt``'s dense form."""
    idx, level = None, rt
    while isinstance(level, RaggedTensor):
        rowids = level.value_rowids()
        pos = _range(level.row_splits[-1], dtype=_I64) - gather(level.row_splits, rowids)
        idx = stack([rowids, pos], 1) if idx is None else concat([gather(idx, rowids), expand_dims(pos, 1)], 1)
        level = level.values
    return idx


def to_tensor(rt, default_value=None, name=None, shape=None):
    with name_scope(name, "RaggedToTensor"):
        flat, r = rt.flat_values, rt.ragged_rank
        bounding = rt.bounding_shape()
        static = rt.shape
        if shape is not None:
            shape = TensorShape(shape)
            if shape.ndims is not None and static.ndims is not None and shape.ndims != static.ndims:
                raise ValueError(f"Shape {shape} must have rank {static.ndims}")
            if shape.ndims is not None:
                for d, have in zip(list(shape)[r + 1:], list(flat.shape)[1:]):
                    if d is not None and have is not None and d != have:
                        raise ValueError(f"Dimension {d} and {have} are not compatible in shape {shape}")
                outer = [bounding[i] if d is None else np.int64(d) for i, d in enumerate(list(shape)[:r + 1])]
                bounding = concat([stack([convert_to_tensor(d, dtype=_I64) for d in outer], 0), bounding[r + 1:]], 0)
        if default_value is None:
            default_value = b"" if dtypes.is_string(flat.dtype) else np.zeros((), flat.dtype)
        default = convert_to_tensor(default_value, dtype=flat.dtype, name="default_value")
        return apply("RaggedTensorToTensor", [bounding, flat, default] + list(rt.nested_row_splits), {},
                     name="RaggedTensorToTensor")[0]


def _nested_lengths(lengths):
    return isinstance(lengths, (list, tuple)) and len(lengths) > 0 and \
        isinstance(lengths[0], (list, tuple, np.ndarray, Tensor))


def from_tensor(tensor, lengths=None, padding=None, ragged_rank=1, name=None):
    if lengths is not None and padding is not None:
        raise ValueError("Specify lengths or padding, but not both")
    if not isinstance(ragged_rank, int) or ragged_rank < 1:
        raise ValueError(f"ragged_rank must be greater than 0; got {ragged_rank}")
    with name_scope(name, "RaggedFromTensor"):
        t = convert_to_tensor(tensor, name="tensor")
        if t.shape.ndims is not None and t.shape.ndims <= ragged_rank:
            raise ValueError(f"ragged_rank must be less than rank(tensor) ({t.shape.ndims}); got {ragged_rank}")
        if _nested_lengths(lengths) and len(lengths) != ragged_rank:
            raise ValueError(f"If lengths is a tuple of row_lengths, it must have length {ragged_rank}")
        return _from_tensor(t, lengths, padding, ragged_rank)


def _from_tensor(t, lengths, padding, rr):
    dims = _shape(t, out_type=_I64)
    if _nested_lengths(lengths):
        outer = _cut(t, lengths[0])
        rest = lengths[1:] if len(lengths) > 2 else lengths[1]
        return outer.with_values(_from_tensor(outer.values, rest, padding, rr - 1)) if rr > 1 else outer
    if rr > 1:
        inner = _from_tensor(reshape(t, concat([[-1], dims[2:]], 0)), lengths, padding, rr - 1)
        return RaggedTensor.from_uniform_row_length(inner, _dim(t, 1, dims), nrows=_dim(t, 0, dims), validate=False)
    if lengths is not None:
        return _cut(t, lengths)
    if padding is not None:
        pad = convert_to_tensor(padding, dtype=t.dtype, name="padding")
        is_pad = equal(t, pad)
        if t.shape.ndims is None or t.shape.ndims > 2:
            is_pad = reduce_all(reshape(is_pad, concat([dims[:2], [-1]], 0)), axis=2)
        cols = _range(np.int64(1), dims[1] + np.int64(1), dtype=_I64)
        ends = where(logical_not(is_pad), broadcast_to(cols, dims[:2]), broadcast_to(np.int64(0), dims[:2]))
        return _cut(t, reduce_max(concat([ends, reshape(broadcast_to(np.int64(0), dims[:1]), [-1, 1])], 1), 1))
    flat = reshape(t, concat([[-1], dims[2:]], 0))
    return RaggedTensor.from_uniform_row_length(flat, _dim(t, 1, dims), nrows=_dim(t, 0, dims), validate=False)


def _dim(t, i, dims):
    d = t.shape[i] if t.shape.ndims is not None else None
    return np.int64(d) if d is not None else dims[i]


def _cut(t, lengths):
    """Rows ``t[i, :lengths[i]]`` (lengths clipped to ``[0, t.shape[1]]``)."""
    dims = _shape(t, out_type=_I64)
    lengths = cast(convert_to_tensor(lengths, dtype_hint=_I64, name="lengths"), _I64)
    lengths = minimum(maximum(lengths, np.int64(0)), dims[1])
    values = boolean_mask(t, sequence_mask(lengths, dims[1]))
    return RaggedTensor.from_row_lengths(values, lengths, validate=False)


# -- sparse

def from_sparse(st_input, name=None):
    from ..sparse.tensor import as_sparse, static_rank
    st = as_sparse(st_input, "st_input")
    rank = static_rank(st)
    if rank is not None and rank != 2:
        raise ValueError("rank(st_input) must be 2")
    with name_scope(name, "RaggedFromSparse"):
        return RaggedTensor.from_value_rowids(st.values, st.indices[:, 0], st.dense_shape[0], validate=False)


def to_sparse(rt, name=None):
    from ..sparse.tensor import SparseTensor
    with name_scope(name, "RaggedToSparse"):
        idx, flat = dense_index(rt), rt.flat_values
        inner = flat.shape[1:] if flat.shape.ndims is not None else None
        if inner is None or any(d is None for d in inner):
            if inner is None or len(inner):
                raise ValueError("to_sparse needs the inner dims of flat_values known when the graph is built")
        if len(inner):
            coords = np.indices(tuple(inner)).reshape(len(inner), -1).T.astype(np.int64)
            n = _shape(idx, out_type=_I64)[0]
            rep = reshape(tile(expand_dims(idx, 1), [1, len(coords), 1]), [-1, rt.ragged_rank + 1])
            idx = concat([rep, tile(coords, stack([n, np.int64(1)]))], 1)
            flat = reshape(flat, [-1])
        return SparseTensor(idx, flat, rt.bounding_shape())


# -- indexing

def _int_key(k):
    return isinstance(k, (int, np.integer)) or (isinstance(k, Tensor) and k.shape.ndims == 0
                                                and k.dtype in (dtypes.int32, dtypes.int64))


def getitem(rt, key):
    """``rt[key]``: an int or a slice for the rows, then ints and slices for the dims of each row (an int only for
    dims that are not ragged)."""
    key = key if isinstance(key, tuple) else (key,)
    if any(k is Ellipsis for k in key):
        at = key.index(Ellipsis)
        if rt.shape.ndims is None:
            raise ValueError("Ellipsis needs a RaggedTensor of known rank")
        key = key[:at] + (slice(None),) * (rt.shape.ndims - len(key) + 1) + key[at + 1:]
    if not key:
        return rt
    if rt.shape.ndims is not None and len(key) > rt.shape.ndims:
        raise ValueError(f"Too many indices for RaggedTensor: {len(key)} indices for a tensor of rank "
                         f"{rt.shape.ndims}")
    k, rest = key[0], key[1:]
    with name_scope(None, "RaggedGetItem"):
        if _int_key(k):
            row = _row(rt, k)
            if not rest:
                return row
            return row[rest] if isinstance(row, Tensor) else getitem(row, rest)
        if isinstance(k, slice):
            sub = _rows(rt, k)
            return _inner(sub, rest) if rest else sub
    raise TypeError(f"RaggedTensor indices must be ints, int scalar tensors or slices, got {type(k).__name__}")


def _row(rt, i):
    n = rt.shape[0]
    if isinstance(i, (int, np.integer)) and n is not None:
        if not -n <= i < n:
            raise ValueError(f"slice index {i} of dimension 0 out of bounds.")
        i = np.int64(i % n)
    elif isinstance(i, (int, np.integer)) and i >= 0:
        i = np.int64(i)
    else:
        i = cast(convert_to_tensor(i), _I64)
        i = where(i < np.int64(0), i + rt.nrows(), i)
    s = rt.row_splits
    return rows_range(rt.values, s[i], s[i + np.int64(1)])


def _norm(k, n, default):
    """Slice bound ``k`` (None, an int or an int scalar tensor) of a dim of size ``n`` (int64), in ``[0, n]``."""
    if k is None:
        return default
    k = cast(convert_to_tensor(k), _I64)
    return minimum(maximum(where(k < np.int64(0), k + n, k), np.int64(0)), n)


def _rows(rt, k):
    if k == slice(None):
        return rt
    step = 1 if k.step is None else k.step
    if not isinstance(step, (int, np.integer)) or step == 0:
        raise ValueError("slice step must be a non-zero int")
    n_static = rt.shape[0]
    if step != 1:
        if n_static is not None:
            idx = np.arange(*k.indices(n_static), dtype=np.int64)
        elif step > 0:
            n = rt.nrows()
            idx = _range(_norm(k.start, n, np.int64(0)), _norm(k.stop, n, n), np.int64(step), dtype=_I64)
        else:
            raise ValueError("a negative slice step needs a RaggedTensor with a known number of rows")
        return gather_rows(rt, convert_to_tensor(idx, dtype=_I64))
    if n_static is not None and all(b is None or isinstance(b, (int, np.integer)) for b in (k.start, k.stop)):
        start, limit, _ = k.indices(n_static)  # known when built: so is the number of rows
        return rows_range(rt, start, max(limit, start))
    n = rt.nrows()
    start = _norm(k.start, n, np.int64(0))
    limit = maximum(_norm(k.stop, n, n), start)
    return rows_range(rt, start, limit)


def _inner(rt, rest):
    """``rest`` applied to the dims of each row of ``rt`` (the dims after its first)."""
    if not rest:
        return rt
    k, more = rest[0], rest[1:]
    if isinstance(k, slice) and k == slice(None):
        values = rt.values
        new = _inner(values, more) if isinstance(values, RaggedTensor) else values[(slice(None),) + more]
        return rt.with_values(new)
    if not isinstance(k, slice):
        raise ValueError("Cannot index into an inner ragged dimension.")
    if k.step not in (None, 1):
        raise ValueError("Slicing an inner ragged dimension supports only step 1")
    starts, limits = rt.row_splits[:-1], rt.row_splits[1:]
    lengths = limits - starts
    a = _norm(k.start, lengths, np.zeros((), np.int64))
    b = maximum(_norm(k.stop, lengths, lengths), a)
    values, splits = take_ranges(rt.values, starts + a, starts + b)
    out = RaggedTensor._make(values, splits)
    return _inner(out, (slice(None),) + more) if more else out

