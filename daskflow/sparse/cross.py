"""Feature crosses of sparse and dense columns (TF's ``sparse.cross`` and ``sparse.cross_hashed``).

Each input is a column of features per batch row: a 2-D ``SparseTensor`` (the values of row ``b`` are its entries
whose index starts with ``b``, in the order they come) or a 2-D dense tensor (every entry of row ``b``). For each row
the op makes every combination of one feature from each column, the last column varying fastest; sparse columns come
first, then dense ones, each in the order given. ``cross`` joins a combination's features (ints written in decimal)
with a separator; ``cross_hashed`` chains their 64-bit hashes (FarmHash ``Fingerprint64`` of a string, an int as
itself) with ``FingerprintCat64`` starting from ``hash_key``, as TF does, so buckets equal TF's.

The result is a ``SparseTensor`` of ``dense_shape`` ``[batch, most crosses of a row]``; its number of entries is
known when the op runs. The op runs in one task over its whole inputs.
"""
import itertools

import dask.array as da
import numpy as np

from .. import dtypes, errors
from ..graph import Tensor
from ..ops.hashing import MASK, farmhash, fingerprint_cat64
from ..ops.math import cast
from ..ops.hostvalue import constant_value, host_lowered
from ..ops.registry import NOT_DIFFERENTIABLE, apply, fail, register, tuple_outputs
from ..ops.strings_map import meta, where, whole
from .tensor import SparseTensor, SparseTensorValue

__all__ = ["sparse_cross", "sparse_cross_hashed", "cross", "cross_hashed"]

DEFAULT_HASH_KEY = 0xDECAFCAFFE
INT64_MAX = (1 << 63) - 1


def _bad(message, where_):
    raise errors.InvalidArgumentError(None, None, f"{message} {where_}")


def _sparse_rows(indices, batch):
    """Per batch row, the positions of a sparse column's values: the run of entries whose row index is ``b``, read
    in order from where the previous row's run ended (TF's reading: entries out of row order are not seen)."""
    rows, at, n = [], 0, indices.shape[0]
    for b in range(batch):
        start = at
        while at < n and indices[at, 0] == b:
            at += 1
        rows.append(range(start, at))
    return rows


def _validate(sparse, dense, where_):
    for i, (idx, vals, shape) in enumerate(sparse):
        if idx.ndim != 2:
            _bad(f"Input indices should be a matrix but received shape {list(idx.shape)} at position {i}", where_)
        if idx.shape[1] != 2:
            _bad(f"Expected D2 of index to be 2 got {idx.shape[1]} at position {i}", where_)
        if vals.shape[0] != idx.shape[0]:
            _bad(f"Expected size of values to be {idx.shape[0]} got {vals.shape[0]} at position {i}", where_)
        if shape.shape != (2,):
            _bad(f"shape should imply a 2D tensor, but got {list(shape.shape)} at position {i}", where_)
    for i, d in enumerate(dense):
        if d.ndim != 2:
            _bad(f"Dense inputs should be a matrix but received shape {list(d.shape)} at position {i}", where_)
    batch = int(sparse[0][2][0]) if sparse else dense[0].shape[0] if dense else 0
    for i, (_, _, shape) in enumerate(sparse):
        if shape[0] != batch:
            _bad(f"Expected batch size {batch} got {shape[0]} at position {i}", where_)
    for i, d in enumerate(dense):
        if d.shape[0] != batch:
            _bad(f"Expected batch size {batch} got {d.shape[0]} at dense tensor {i}", where_)
    return batch


def crosses(columns, batch, *, hashed, separator, num_buckets, hash_key, what):
    """Per batch row ``b``, every combination of one feature of ``columns[c][b]`` (a sequence of features) per
    column, the last column varying fastest: bytes joined by ``separator`` (ints in decimal), or with ``hashed``
    the features' 64-bit hashes (a string's FarmHash ``Fingerprint64``, an int as itself) chained with
    ``FingerprintCat64`` from ``hash_key``, modulo ``num_buckets`` (else 2**63 - 1: an int64), as TF's kernels.
    Returns the values (an array) and each row's count. ``what`` names the op needing FarmHash."""
    if hashed:
        fp = farmhash(what).Fingerprint64
        feat = lambda v: fp(v) if isinstance(v, bytes) else int(v) & MASK  # noqa: E731
    else:
        feat = lambda v: v if isinstance(v, bytes) else str(int(v)).encode()  # noqa: E731
    values, counts = [], []
    for b in range(batch):
        combos = itertools.product(*[[feat(v) for v in c[b]] for c in columns]) if columns else ()
        start = len(values)
        for combo in combos:
            if hashed:
                h = hash_key
                for f in combo:
                    h = fingerprint_cat64(h, f)
                values.append(h % (num_buckets if num_buckets > 0 else INT64_MAX))
            else:
                values.append(separator.join(combo))
        counts.append(len(values) - start)
    if hashed:
        return np.array(values, dtype=np.int64), counts
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out, counts


def _cross_kernel(*arrays, n_sparse, hashed, separator, num_buckets, hash_key, where_):
    arrays = [np.asarray(a.get() if hasattr(a, "get") else a) for a in arrays]
    sparse = [arrays[3 * i:3 * i + 3] for i in range(n_sparse)]
    dense = arrays[3 * n_sparse:]
    batch = _validate(sparse, dense, where_)
    columns = [[vals[list(rows)] for rows in _sparse_rows(idx, batch)] for idx, vals, _ in sparse] + list(dense)
    out, counts = crosses(columns, batch, hashed=hashed, separator=separator, num_buckets=num_buckets,
                          hash_key=hash_key, what="SparseCross")
    index = [(b, k) for b, n in enumerate(counts) for k in range(n)]
    return (np.array(index, dtype=np.int64).reshape(-1, 2), out,
            np.array([batch, max(counts, default=0)], dtype=np.int64))


def _size_kernel(*arrays, n_sparse, where_):
    """How many crosses the columns give (the kernel's output length), read as the kernel reads them."""
    arrays = [np.asarray(a.get() if hasattr(a, "get") else a) for a in arrays]
    sparse = [arrays[3 * i:3 * i + 3] for i in range(n_sparse)]
    dense = arrays[3 * n_sparse:]
    batch = _validate(sparse, dense, where_)
    counts = [[len(r) for r in _sparse_rows(idx, batch)] for idx, _, _ in sparse]
    counts += [[d.shape[1]] * batch for d in dense]
    return np.int64(sum(int(np.prod([c[b] for c in counts])) for b in range(batch)) if counts else 0)


@register("SparseCrossSize")
class SparseCrossSize:
    """The number of crosses of a ``SparseCross``/``SparseCrossV2``'s columns, computed before the cross is planned
    so that its outputs have known sizes (as a mask's count is)."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.int64)]

    def lower(op, *xs):
        xs = [whole(x) for x in xs]
        args = [a for j, x in enumerate(xs) for a in (x, tuple(f"x{j}_{d}" for d in range(x.ndim)))]
        return da.blockwise(_size_kernel, (), *args, concatenate=True, n_sparse=op.attrs["n_sparse"],
                            where_=where(op), dtype=np.int64, meta=meta(np.int64, 0))


def _cross_op(type_name, hashed):
    def infer(op):
        n = op.attrs["n_sparse"]
        for i in range(n):
            idx, vals, shape = op.inputs[3 * i:3 * i + 3]
            if idx.shape.ndims == 2 and idx.shape[1] not in (None, 2):
                fail(op, f"Expected D2 of index to be 2 got {idx.shape[1]} at position {i}")
        batch = None
        for i, d in enumerate(op.inputs[3 * n:-1]):  # the last input: the number of crosses
            if d.shape.ndims is not None and d.shape.ndims != 2:
                fail(op, f"Dense inputs should be a matrix but received shape {d.shape.as_list()} at position {i}")
            rows = d.shape[0] if d.shape.ndims else None
            if batch is not None and rows is not None and rows != batch:
                fail(op, f"Expected batch size {batch} got {rows} at dense tensor {i}")
            batch = rows if batch is None else batch
        out = dtypes.int64 if hashed else dtypes.string
        size = constant_value(op.inputs[-1])
        size = None if size is None else int(size)
        return [((size, 2), dtypes.int64), ((size,), out), ((2,), dtypes.int64)]

    def lower(op, *xs):
        size = int(host_lowered(op, len(xs) - 1, "number of crosses"))  # the last input: computed before planning
        xs = [whole(x) for x in xs[:-1]]  # one task over whole inputs, whatever their chunks
        args = [a for j, x in enumerate(xs) for a in (x, tuple(f"x{j}_{d}" for d in range(x.ndim)))]
        attrs = {k: v for k, v in op.attrs.items()}
        packed = da.blockwise(_cross_kernel, (), *args, concatenate=True, where_=where(op), dtype=object,
                              meta=meta(object, 0), **attrs)
        out = np.int64 if hashed else dtypes.string
        return tuple_outputs(packed, [((size,), (2,)), ((size,),), ((2,),)],
                             [meta(np.int64, 2), meta(out, 1), meta(np.int64, 1)], type_name.lower())

    return register(type_name)(type(type_name, (), {"infer": infer, "lower": lower, "strings": True,
                                                    "grad": NOT_DIFFERENTIABLE}))


_cross_op("SparseCrossV2", hashed=False)
_cross_op("SparseCross", hashed=True)


def _columns(inputs, what):
    """The op's inputs: every sparse column's indices, values and dense shape, then the dense columns; values that
    are not strings cast to int64, as TF."""
    if not isinstance(inputs, (tuple, list)):
        raise TypeError("Inputs must be a list")
    inputs = [SparseTensor.from_value(x) if isinstance(x, SparseTensorValue) else x for x in inputs]
    inputs = [x._as_tensor() if hasattr(x, "_as_tensor") else x for x in inputs]
    if not all(isinstance(x, (SparseTensor, Tensor)) for x in inputs):
        raise TypeError(what)

    def as_feature(t):
        return t if dtypes.is_string(t.dtype) else cast(t, dtypes.int64)

    sparse = [x for x in inputs if isinstance(x, SparseTensor)]
    dense = [x for x in inputs if not isinstance(x, SparseTensor)]
    flat = [t for sp in sparse for t in (sp.indices, as_feature(sp.values), sp.dense_shape)]
    return flat + [as_feature(d) for d in dense], len(sparse)


def _size(flat, n_sparse, name):
    """The number of crosses, by an op named after the cross (its run-time errors name the cross's inputs)."""
    return apply("SparseCrossSize", flat, {"n_sparse": n_sparse}, name=f"{name}_size")[0]


def sparse_cross(inputs, name=None, separator=None):
    """The string crosses of the columns ``inputs`` (2-D ``SparseTensor``s and dense tensors, one batch row each):
    for each row, every combination of one feature per column joined by ``separator`` (default "_X_"), ints written
    in decimal (TF's ``sparse.cross``). Sparse columns come first in a cross, then dense ones.

    Returns
    -------
    SparseTensor
        Of strings, ``dense_shape`` ``[batch, most crosses of a row]``; row ``b``'s crosses at ``[b, 0..]``.

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.sparse.cross import sparse_cross
    >>> sp = df.sparse.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2])
    >>> df.Session().run(sparse_cross([sp, df.constant([["f"], ["g"]])]).values)
    array([b'a_X_f', b'b_X_g', b'c_X_g'], dtype=object)
    """
    sep = "_X_" if separator is None else separator
    sep = sep.encode("utf-8") if isinstance(sep, str) else bytes(sep)
    flat, n = _columns(inputs, "All inputs must be Tensor or SparseTensor.")
    return SparseTensor(*apply("SparseCrossV2", flat + [_size(flat, n, name or "SparseCrossV2")], {
        "n_sparse": n, "hashed": False, "separator": sep, "num_buckets": 0, "hash_key": 0},
        name=name or "SparseCrossV2"))


def sparse_cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """The hashed crosses of the columns ``inputs`` (as ``sparse_cross``): each combination's features hashed
    (FarmHash ``Fingerprint64`` of a string, an int as itself) and chained with ``FingerprintCat64`` from
    ``hash_key``, then taken modulo ``num_buckets`` when it is positive (else modulo 2**63 - 1), as int64 (TF's
    ``sparse.cross_hashed``). Needs the ``cityhash`` package for string features (``pip install
    daskflow[hashing]``).

    Parameters
    ----------
    inputs : list of SparseTensor or Tensor
    num_buckets : int >= 0
    hash_key : int, optional
        The chain's start (TF's default ``0xDECAFCAFFE`` when None or 0).
    name : str, optional
    """
    if num_buckets < 0:
        raise ValueError(f"Attr 'num_buckets' of 'SparseCross' Op passed {num_buckets} less than minimum 0.")
    key = int(hash_key or DEFAULT_HASH_KEY)
    if not -(1 << 63) <= key < (1 << 63):
        raise ValueError(f"Value out of range: {key}")
    flat, n = _columns(inputs, "All inputs must be SparseTensors")
    if any(dtypes.is_string(t.dtype) for t in flat):
        farmhash("SparseCross")
    attrs = {"n_sparse": n, "hashed": True, "separator": b"", "num_buckets": int(num_buckets),
             "hash_key": key & MASK}
    return SparseTensor(*apply("SparseCross", flat + [_size(flat, n, name or "SparseCross")], attrs,
                               name=name or "SparseCross"))


cross = sparse_cross
cross_hashed = sparse_cross_hashed
