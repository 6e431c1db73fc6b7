"""A SparseTensor as strings and back (TF's SerializeSparse, SerializeManySparse, DeserializeManySparse).

Each of ``indices``, ``values`` and ``dense_shape`` is written as a serialized ``TensorProto`` with its bytes in
``tensor_content`` (strings as TF lays them there: every length as a varint, then the bytes), so the strings equal
TF's byte for byte and either side reads the other's. The messages are tensorboard's copies of TF's protos (the
``tf`` extra). These are host kernels: one task takes the whole sparse tensor.
"""
import dask.array as da
import numpy as np

from .. import dtypes, errors
from .hostvalue import host_lowered, host_partial
from .registry import NOT_DIFFERENTIABLE, apply, fail, register, tuple_outputs
from .sparse_check import _check_block
from .strings_map import check_strings, meta, refuse, where, whole

__all__ = ["serialize_sparse", "serialize_many_sparse", "deserialize_many_sparse"]
NAMESPACES = {"io": ["serialize_sparse", "serialize_many_sparse", "deserialize_many_sparse"]}


# -- TensorProto bytes

def _varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _encode_strings(items):
    return b"".join(_varint(len(s)) for s in items) + b"".join(items)


def _decode_strings(buf, n):
    lengths, pos = [], 0
    for _ in range(n):
        value, shift = 0, 0
        while True:
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        lengths.append(value)
    out = np.empty(n, dtype=object)
    for i, k in enumerate(lengths):
        out[i] = bytes(buf[pos:pos + k])
        pos += k
    if pos != len(buf):
        raise ValueError("string tensor_content of the wrong length")
    return out


def tensor_bytes(arr):
    """``arr`` as a serialized TensorProto, its values in ``tensor_content`` as TF's ``AsProtoTensorContent``."""
    from ..graph_def import dtype_enum, pb, shape_proto
    arr = np.asarray(arr)
    t = pb().tensor.TensorProto(dtype=dtype_enum(arr.dtype), tensor_shape=shape_proto(arr.shape))
    if dtypes.is_string(arr.dtype):
        t.tensor_content = _encode_strings([bytes(v) for v in arr.ravel().tolist()])
    else:
        t.tensor_content = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return t.SerializeToString()


def parse_tensor(data):
    """The array of a serialized TensorProto (values in ``tensor_content`` or in the typed fields)."""
    from ..graph_def import enum_dtype, make_ndarray, pb, proto_shape
    t = pb().tensor.TensorProto()
    try:
        t.ParseFromString(bytes(data))
        dt = enum_dtype(t.dtype)
        if dtypes.is_string(dt) and t.tensor_content:
            shape = tuple(proto_shape(t.tensor_shape))
            return _decode_strings(t.tensor_content, int(np.prod(shape, dtype=np.int64))).reshape(shape)
        return make_ndarray(t)
    except Exception:  # a message that does not parse, or one that is not a tensor
        raise errors.InvalidArgumentError(None, None, "Could not parse serialized proto") from None


# -- serializing

def _serialize_block(idx, vals, shape):
    out = np.empty(3, dtype=object)
    out[:] = [tensor_bytes(np.asarray(idx, np.int64)), tensor_bytes(np.asarray(vals)),
              tensor_bytes(np.asarray(shape, np.int64))]
    return out


def _serialize_many_block(idx, vals, shape, label):
    idx, vals, shape = np.asarray(idx, np.int64), np.asarray(vals), np.asarray(shape, np.int64)
    if shape.size < 2:
        raise errors.InvalidArgumentError(
            None, None, f"Rank of input SparseTensor should be > 1, but saw rank: {shape.size} {label}")
    _check_block(idx, shape, order=True, label=label)
    n = int(shape[0])
    out = np.empty((n, 3), dtype=object)
    starts = np.searchsorted(idx[:, 0], np.arange(n + 1))  # rows are sorted by their first index
    for i in range(n):
        rows = slice(starts[i], starts[i + 1])
        out[i] = _serialize_block(idx[rows, 1:], vals[rows], shape[1:])
    return out


def _check_parts(op):
    idx, vals, shape = op.inputs[:3]
    if idx.dtype != dtypes.int64 or shape.dtype != dtypes.int64:
        fail(op, f"indices and dense_shape must be int64, got {idx.dtype.name} and {shape.dtype.name}")
    for t, rank, what in ((idx, 2, "indices"), (vals, 1, "values"), (shape, 1, "dense_shape")):
        if t.shape.ndims not in (None, rank):
            refuse(op, f"Shape must be rank {rank} but is rank {t.shape.ndims} ({what})", ValueError)


def _parts(idx, vals, shape):
    return whole(idx), "ab", whole(vals), "c", whole(shape), "d"


@register("SerializeSparse")
class SerializeSparse:
    """``[3]`` strings: the serialized ``indices``, ``values`` and ``dense_shape``."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_parts(op)
        return [((3,), dtypes.string)]

    def lower(op, idx, vals, shape):
        return da.blockwise(_serialize_block, "k", *_parts(idx, vals, shape), new_axes={"k": 3}, concatenate=True,
                            dtype=dtypes.string, meta=meta(dtypes.string, 1))


@register("SerializeManySparse")
class SerializeManySparse:
    """``[N, 3]`` strings: row ``i`` serializes the entries whose first index is ``i`` (that index dropped), with
    ``dense_shape[1:]``; ``N`` is ``dense_shape[0]``."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_parts(op)
        shape = host_partial(op, 2, "dense_shape")
        if shape is not None and len(shape) < 2:
            fail(op, f"Rank of input SparseTensor should be > 1, but saw rank: {len(shape)}")
        n = None if shape is None or shape[0] is None else int(shape[0])
        return [((n, 3), dtypes.string)]

    def lower(op, idx, vals, shape):
        n = int(host_lowered(op, 2, "dense_shape")[0])
        return da.blockwise(_serialize_many_block, "nk", *_parts(idx, vals, shape), new_axes={"n": n, "k": 3},
                            concatenate=True, label=where(op), dtype=dtypes.string, meta=meta(dtypes.string, 2))


def _out_type(out_type):
    try:
        string = dtypes.as_dtype(out_type) == dtypes.string
    except TypeError:  # tf.variant, which daskflow has not
        string = False
    if not string:
        raise TypeError(f"out_type must be tf.string: daskflow has no variant tensors, got {out_type!r}")


def _sparse_parts(sp_input, fn_name):
    from ..sparse.tensor import SparseTensor, SparseTensorValue
    if isinstance(sp_input, SparseTensorValue):
        sp_input = SparseTensor.from_value(sp_input)
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"{fn_name}: expected a SparseTensor, got {type(sp_input).__name__}")
    return [sp_input.indices, sp_input.values, sp_input.dense_shape]


def serialize_sparse(sp_input, name=None, out_type=dtypes.string):
    """Serialize a ``SparseTensor`` into a 3-vector of strings: its ``indices``, ``values`` and ``dense_shape``,
    each a serialized ``TensorProto`` (TF's bytes).

    Examples
    --------
    >>> import daskflow as df
    >>> s = df.io.serialize_sparse(df.SparseTensor([[0, 1]], [1.5], [2, 3]))
    >>> s.shape
    TensorShape([3])
    """
    _out_type(out_type)
    return apply("SerializeSparse", _sparse_parts(sp_input, "serialize_sparse"), name=name or "SerializeSparse")[0]


def serialize_many_sparse(sp_input, name=None, out_type=dtypes.string):
    """Serialize an ``N``-minibatch ``SparseTensor`` (rank ``R`` > 1) into an ``[N, 3]`` string matrix: row ``i``
    is ``serialize_sparse`` of the entries whose first index is ``i``, as a rank ``R - 1`` SparseTensor. The
    indices must be in row-major order (``sparse.reorder``) and inside ``dense_shape``."""
    _out_type(out_type)
    return apply("SerializeManySparse", _sparse_parts(sp_input, "serialize_many_sparse"),
                 name=name or "SerializeManySparse")[0]


# -- deserializing

def _deserialize_block(serialized, value_dtype, rank, label):
    """The concatenated ``(indices, values, dense_shape)`` of ``[N, 3]`` serialized parts, checked as TF checks."""
    rows = np.asarray(serialized, dtype=object).reshape(-1, 3)
    if rows.shape[0] == 0:
        raise errors.InvalidArgumentError(None, None, "Serialized sparse should have at least 1 serialized tensor, "
                                                      f"but has a zero dimension [0,3] {label}")
    idx_parts, val_parts, shapes = [], [], []
    for i, (si, sv, ss) in enumerate(rows):
        idx, vals, shape = (parse_tensor(s) for s in (si, sv, ss))
        if vals.dtype != value_dtype:
            raise errors.InvalidArgumentError(
                None, None, f"Requested SparseTensor of type {dtypes.name(value_dtype)} but "
                            f"SparseTensor[{i}].values.dtype() == {dtypes.name(vals.dtype)} {label}")
        if idx.dtype != np.int64 or shape.dtype != np.int64:
            raise errors.InvalidArgumentError(
                None, None, f"Expected SparseTensor[{i}].indices and dense_shape to be int64, got "
                            f"{dtypes.name(idx.dtype)} and {dtypes.name(shape.dtype)} {label}")
        if idx.ndim != 2 or vals.ndim != 1 or shape.ndim != 1 or idx.shape[1] != shape.shape[0]:
            raise errors.InvalidArgumentError(
                None, None, f"SparseTensor[{i}] has indices of shape {list(idx.shape)}, values of shape "
                            f"{list(vals.shape)} and dense_shape of shape {list(shape.shape)} {label}")
        if idx.shape[0] != vals.shape[0]:
            raise errors.InvalidArgumentError(
                None, None, f"Expected row counts of SparseTensor[{i}].indices and SparseTensor[{i}].values to "
                            f"match but they do not: {idx.shape[0]} vs. {vals.shape[0]} {label}")
        if shapes and shape.size != shapes[0].size:
            raise errors.InvalidArgumentError(
                None, None, f"Inconsistent shape across SparseTensors: rank prior to SparseTensor[{i}] was: "
                            f"{shapes[0].size} but rank of SparseTensor[{i}] is: {shape.size} {label}")
        idx_parts.append(np.concatenate([np.full((idx.shape[0], 1), i, np.int64), idx], axis=1))
        val_parts.append(vals)
        shapes.append(shape)
    if rank is not None and shapes[0].size != rank:
        raise errors.InvalidArgumentError(
            None, None, f"The serialized SparseTensors have rank {shapes[0].size}, but rank={rank} was given {label}")
    dense = np.concatenate([[len(rows)], np.max(np.stack(shapes), axis=0)]).astype(np.int64)
    values = np.concatenate(val_parts)
    if dtypes.is_string(value_dtype):
        values = values.astype(object)
    return np.concatenate(idx_parts), values, dense


def _sizes_block(serialized, value_dtype, rank, label):
    idx, _, _ = _deserialize_block(serialized, value_dtype, rank, label)
    return np.array(idx.shape, dtype=np.int64)


def _check_serialized(op):
    s = op.inputs[0]
    check_strings(op, [s], "serialized_sparse")
    if s.shape.ndims not in (None, 2):
        refuse(op, f"Shape must be rank 2 but is rank {s.shape.ndims}", ValueError)
    if s.shape.ndims == 2 and s.shape[1] not in (None, 3):
        refuse(op, f"Dimension must be 3 but is {s.shape[1]}", ValueError)
    return op.attrs["rank"], np.dtype(op.attrs["dtype"])


@register("DeserializedSparseSize")
class DeserializedSparseSize:
    """``[nnz, rank + 1]`` (int64) of what DeserializeManySparse gives for the same input and attrs; runs its
    checks."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_serialized(op)
        return [((2,), dtypes.int64)]

    def lower(op, serialized):
        rank, dt = _check_serialized(op)
        return da.blockwise(_sizes_block, "k", whole(serialized), "nc", concatenate=True, new_axes={"k": 2},
                            value_dtype=dt, rank=rank, label=where(op), dtype=np.int64, meta=meta(np.int64, 1))


@register("DeserializeManySparse")
class DeserializeManySparse:
    """``[N, 3]`` serialized SparseTensors of rank ``R`` concatenated into one of rank ``R + 1`` (the row number
    first); attrs ``dtype`` and ``rank`` (None: unknown). Input 1 is their ``DeserializedSparseSize``, computed
    before the plan is made, so that the outputs' sizes are known to the ops that read them."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        rank, dt = _check_serialized(op)
        r1 = None if rank is None else rank + 1
        return [((None, r1), dtypes.int64), ((None,), dt), ((r1,), dtypes.int64)]

    def lower(op, serialized, _sizes):
        rank, dt = _check_serialized(op)
        nnz, r1 = (int(v) for v in host_lowered(op, 1, "sizes"))
        packed = da.blockwise(_deserialize_block, (), whole(serialized), "nc", concatenate=True, dtype=object,
                              value_dtype=dt, rank=rank, label=where(op), meta=meta(object, 0))
        return tuple_outputs(packed, [((nnz,), (r1,)), ((nnz,),), ((r1,),)],
                             [meta(np.int64, 2), meta(dt, 1), meta(np.int64, 1)], "deserialize-many-sparse")


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """Deserialize an ``[N, 3]`` string matrix of serialized SparseTensors (as ``serialize_many_sparse`` and
    stacked ``serialize_sparse`` give) into one ``SparseTensor``: the parts concatenated along a new first dim
    of size ``N``, with ``dense_shape[1:]`` the largest of the parts' shapes. All parts must have rank ``rank``
    (when given) and values of ``dtype``. Indices come in the parts' order: ``sparse.reorder`` them if the parts'
    own indices are not sorted.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 4])
    >>> back = df.io.deserialize_many_sparse(df.io.serialize_many_sparse(sp), df.float32)
    >>> df.Session().run(back.dense_shape)
    array([3, 4])
    """
    from ..sparse.tensor import SparseTensor
    if rank is not None and int(rank) < 0:
        raise ValueError(f"rank must be non-negative, got {rank}")
    attrs = {"dtype": dtypes.as_dtype(dtype), "rank": None if rank is None else int(rank)}
    name = name or "DeserializeManySparse"
    sizes = apply("DeserializedSparseSize", [serialized_sparse], attrs, name=name + "_size")[0]
    idx, vals, shape = apply("DeserializeManySparse", [serialized_sparse, sizes], attrs, name=name)
    return SparseTensor(idx, vals, shape)

