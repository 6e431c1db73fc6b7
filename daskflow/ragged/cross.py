"""Feature crosses with a RaggedTensor result (TF's ``ragged.cross`` and ``ragged.cross_hashed``): each input is
a column of features per batch row (a 2-D RaggedTensor, a 2-D SparseTensor or a 2-D dense tensor); each row of the
result holds every combination of one feature from each column, in the order the columns are given, the last
varying fastest. ``cross`` joins a combination's features (ints in decimal) with "_X_"; ``cross_hashed`` chains
their 64-bit hashes (FarmHash ``Fingerprint64`` of a string, an int as itself) with ``FingerprintCat64`` from
``hash_key``, as TF does, so buckets equal TF's.

The op (``RaggedCross``) runs in one task over its whole inputs, given as ragged values and row splits."""
import dask.array as da
import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, name_scope
from ..ops.hashing import MASK
from ..ops.math import cast
from ..ops.registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, register, tuple_outputs
from ..ops.strings_map import meta, where
from ..sparse.cross import DEFAULT_HASH_KEY, crosses
from .tensor import RaggedTensor

__all__ = ["cross", "cross_hashed"]

def _cross_kernel(*arrays, hashed, num_buckets, hash_key, where_):
    arrays = [np.asarray(a) for a in arrays]
    columns = list(zip(arrays[0::2], arrays[1::2]))
    batch = {len(s) - 1 for _, s in columns}
    if len(batch) > 1:
        raise errors.InvalidArgumentError(None, None, f"inputs must all have the same batch dimension size. {where_}")
    rows = [[vals[s[b]:s[b + 1]] for b in range(len(s) - 1)] for vals, s in columns]
    out, counts = crosses(rows, batch.pop() if batch else 0, hashed=hashed, separator=b"_X_",
                          num_buckets=num_buckets, hash_key=hash_key, what="RaggedCross")
    return out, np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)


@register("RaggedCross")
class RaggedCross:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        splits = op.inputs[1::2]
        rows = {s.shape[0] for s in splits if s.shape.ndims == 1 and s.shape[0] is not None}
        if len(rows) > 1:
            raise ValueError("inputs must all have the same batch dimension size.")
        out = dtypes.int64 if op.attrs["hashed"] else dtypes.string
        return [((None,), out), ((rows.pop() if rows else None,), dtypes.int64)]

    def lower(op, *xs):
        args = [a for j, x in enumerate(xs) for a in (x, (f"x{j}",))]
        packed = da.blockwise(_cross_kernel, (), *args, concatenate=True, where_=where(op), dtype=object,
                              meta=meta(object, 0), **op.attrs)
        n = op.outputs[1].shape[0]
        out = np.int64 if op.attrs["hashed"] else dtypes.string
        return tuple_outputs(packed, [((np.nan,),), ((np.nan if n is None else n,),)],
                             [meta(out, 1), meta(np.int64, 1)], "ragged-cross")


def _column(x, i):
    """Input ``i`` as (values, row_splits): string values, or int values as int64."""
    from ..sparse.tensor import SparseTensor, SparseTensorValue
    from .convert import from_sparse, from_tensor
    if isinstance(x, SparseTensorValue):
        x = SparseTensor.from_value(x)
    if isinstance(x, SparseTensor):
        x = from_sparse(x)
    elif not isinstance(x, RaggedTensor):
        x = convert_to_tensor(x, name=f"inputs_{i}")
        if x.shape.ndims != 2:
            raise ValueError("tf.ragged.cross only supports inputs with rank=2")
        x = from_tensor(x)
    if x.ragged_rank != 1 or x.flat_values.shape.ndims != 1:
        raise ValueError("tf.ragged.cross only supports inputs with rank=2")
    values = x.flat_values
    if not dtypes.is_string(values.dtype):
        if values.dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"Unexpected dtype for inputs[{i}]: {dtypes.name(values.dtype)}")
        values = cast(values, dtypes.int64)
    return [values, x.row_splits]


def _cross(inputs, hashed, num_buckets, hash_key, name, type_name):
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("Inputs must be a list")
    if not all(isinstance(x, (RaggedTensor, Tensor)) or hasattr(x, "indices") or isinstance(x, (list, np.ndarray))
               for x in inputs):
        raise TypeError("Inputs must be RaggedTensors, SparseTensors or Tensors")
    with name_scope(name, type_name):
        flat = [t for i, x in enumerate(inputs) for t in _column(x, i)]
        attrs = {"hashed": hashed, "num_buckets": int(num_buckets), "hash_key": int(hash_key) & MASK}
        values, splits = apply("RaggedCross", flat, attrs, name="RaggedCross")
        return RaggedTensor._make(values, splits)


def cross(inputs, name=None):
    """The string feature crosses of the columns ``inputs`` (2-D RaggedTensors, SparseTensors or dense tensors):
    row ``b`` holds every combination of one feature of row ``b`` of each column, joined by "_X_" (ints in decimal)
    (TF's ``ragged.cross``).

    Examples
    --------
    >>> import daskflow as df
    >>> rt = df.ragged.constant([["a", "b"], ["c"]])
    >>> with df.Session() as s:
    ...     s.run(df.ragged.cross([rt, df.constant([["d"], ["e"]])])).to_list()
    [[b'a_X_d', b'b_X_d'], [b'c_X_e']]
    """
    return _cross(inputs, False, 0, 0, name, "RaggedCross")


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """The hashed feature crosses of the columns ``inputs`` (as ``cross``): each combination's features hashed
    (FarmHash ``Fingerprint64`` of a string, an int as itself), chained with ``FingerprintCat64`` from ``hash_key``
    (default ``0xDECAFCAFFE``) and taken modulo ``num_buckets`` when it is positive, as int64 (TF's
    ``ragged.cross_hashed``). String features need the ``cityhash`` package."""
    if num_buckets < 0:
        raise ValueError(f"Attr 'num_buckets' of 'RaggedCross' Op passed {num_buckets} less than minimum 0.")
    key = int(hash_key or DEFAULT_HASH_KEY)
    if not -(1 << 63) <= key < (1 << 63):
        raise ValueError(f"Value out of range: {key}")
    return _cross(inputs, True, num_buckets, key, name, "RaggedCross")
