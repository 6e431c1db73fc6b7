"""Set operations over the last dimension (TF's ``tf.sets``): each row of a dense tensor, or the values of a
SparseTensor sharing all but their last index, is a set. ``set_intersection``, ``set_union`` and ``set_difference``
give SparseTensors whose row ``r`` holds the result set of row ``r`` in increasing order; ``set_size`` gives the
number of distinct values of each row.

The number of result entries depends on the data: ``SetOperationCount`` computes it, the Session computes it first
(a shape argument, see ``hostvalue``), and ``SetOperation`` is then planned with every size known."""
import dask.array as da
import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, name_scope
from .hostvalue import host_lowered, host_scalar, host_vector
from .registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, fail, register, tuple_outputs

__all__ = []
NAMESPACES = {"sets": ["difference", "intersection", "size", "union", "set_difference", "set_intersection",
                       "set_size", "set_union"]}

_SUPPORTED = ("int8", "int16", "int32", "int64", "uint8", "uint16", "string")
_OPS = ("intersection", "union", "a-b", "b-a")


# -- kernels (host: values may be strings, held as object arrays)

def _rows(kind, parts, label):
    """(row of each value, values, batch shape) of one operand: a dense tensor or a sparse one's three parts."""
    if kind == "dense":
        x = np.asarray(parts[0])
        batch = tuple(int(d) for d in x.shape[:-1])
        n = x.shape[-1]
        return np.repeat(np.arange(int(np.prod(batch)), dtype=np.int64), n), x.reshape(-1), batch
    idx, vals, shape = (np.asarray(p) for p in parts)
    batch = tuple(int(d) for d in shape[:-1])
    if idx.shape[0] == 0:
        return np.zeros((0,), np.int64), vals, batch
    lead = idx[:, :-1]
    if np.any(lead < 0) or np.any(lead >= np.asarray(batch, np.int64)) or np.any(idx[:, -1] < 0) or np.any(
            idx[:, -1] >= shape[-1]):
        raise errors.InvalidArgumentError(None, None, f"Sparse indices out of bounds of dense shape "
                                          f"{list(shape.tolist())} [{label}]")
    return np.ravel_multi_index(tuple(lead.T), batch).astype(np.int64), vals, batch


def _pairs(rows, codes, k):
    return np.unique(rows * k + codes)


def _set_keys(opname, kinds, split, label, *arrays):
    """The sorted (row, value) keys of the result, the distinct values, their number and the batch shape."""
    ra, va, ba = _rows(kinds[0], arrays[:split], label)
    rb, vb, bb = _rows(kinds[1], arrays[split:], label)
    if ba != bb:
        raise errors.InvalidArgumentError(None, None, f"Mismatched shapes {_dims(ba)} vs {_dims(bb)} [{label}]")
    uniq, inv = np.unique(np.concatenate([va, vb]), return_inverse=True)
    k = max(len(uniq), 1)
    inv = inv.reshape(-1).astype(np.int64)
    ka, kb = _pairs(ra, inv[:len(va)], k), _pairs(rb, inv[len(va):], k)
    keys = {"intersection": lambda: np.intersect1d(ka, kb, assume_unique=True),
            "union": lambda: np.union1d(ka, kb),
            "a-b": lambda: np.setdiff1d(ka, kb, assume_unique=True),
            "b-a": lambda: np.setdiff1d(kb, ka, assume_unique=True)}[opname]()
    return keys, uniq, k, ba


def _dims(batch):
    return "[" + ",".join(str(d) for d in batch) + "]"


def _count_block(*arrays, opname, kinds, split, label):
    return np.array(len(_set_keys(opname, kinds, split, label, *arrays)[0]), dtype=np.int64)


def _set_block(*arrays, opname, kinds, split, label, n):
    keys, uniq, k, batch = _set_keys(opname, kinds, split, label, *arrays)
    if len(keys) != n:
        raise AssertionError(f"set operation gave {len(keys)} entries, {n} expected")
    rows, codes = keys // k, keys % k
    nrows = int(np.prod(batch))
    counts = np.bincount(rows, minlength=nrows)
    start = np.cumsum(counts) - counts
    pos = np.arange(len(keys), dtype=np.int64) - start[rows]
    cols = list(np.unravel_index(rows, batch)) if batch else []
    indices = np.stack(cols + [pos], axis=1).astype(np.int64) if len(keys) else np.zeros((0, len(batch) + 1),
                                                                                        np.int64)
    values = uniq[codes] if len(uniq) else uniq[:0]
    width = int(counts.max()) if nrows else 0
    return indices, values, np.array(batch + (width,), dtype=np.int64)


def _size_block(idx, vals, shape, label):  # a 1-tuple, for ``tuple_outputs``
    rows, vals, batch = _rows("sparse", (idx, vals, shape), label)
    _, codes = np.unique(vals, return_inverse=True)
    pairs = _pairs(rows, codes.reshape(-1).astype(np.int64), max(len(vals), 1))
    nrows = int(np.prod(batch))
    counts = np.bincount(pairs // max(len(vals), 1), minlength=nrows).astype(np.int32)
    return (counts.reshape(batch),)


# -- op types

def _whole(arrays):
    """``da.blockwise`` arguments passing each array whole to one task."""
    args = []
    for i, a in enumerate(arrays):
        a = a.rechunk(-1) if any(n > 1 for n in a.numblocks) else a  # one block already: its size may be unknown
        args += [a, "".join(chr(ord("a") + 8 * i + j) for j in range(a.ndim))]
    return args


def _label(op):
    return f"op '{op.name}' (type {op.type})"


def _operand_rank(op, kind, parts):
    if kind == "dense":
        return parts[0].shape.ndims
    return parts[0].shape[1] if parts[0].shape.ndims == 2 else None


def _check_operands(op):
    kinds, split = op.attrs["kinds"], op.attrs["split"]
    a, b = op.inputs[:split], op.inputs[split:split + (1 if kinds[1] == "dense" else 3)]
    va, vb = (p[0] if k == "dense" else p[1] for k, p in zip(kinds, (a, b)))
    if va.dtype != vb.dtype:
        fail(op, f"Types don't match, {dtypes.name(va.dtype)} vs {dtypes.name(vb.dtype)}.", TypeError)
    return _operand_rank(op, kinds[0], a), _operand_rank(op, kinds[1], b), va.dtype


@register("SetOperationCount")
class SetOperationCount:
    """The number of entries of a set operation's result (int64 scalar): its size argument."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_operands(op)
        return [((), dtypes.int64)]

    def lower(op, *xs):
        a = op.attrs
        return da.blockwise(_count_block, "", *_whole(xs), opname=a["set_operation"], kinds=a["kinds"],
                            split=a["split"], label=_label(op), concatenate=True, dtype=np.int64,
                            meta=np.empty((), np.int64))


@register("SetOperation")
class SetOperation:
    """A set operation's result as the three parts of a SparseTensor; the last input is its number of entries."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        ra, rb, dt = _check_operands(op)
        rank = ra if ra is not None else rb
        n = host_scalar(op, len(op.inputs) - 1, "count")
        return [((n, rank), dtypes.int64), ((n,), dt), ((rank,), dtypes.int64)]

    def lower(op, *xs):
        a = op.attrs
        n = int(host_lowered(op, len(op.inputs) - 1, "count"))
        ins = xs[:-1]
        rank = ins[0].ndim if a["kinds"][0] == "dense" else int(ins[0].shape[1])
        dt = op.outputs[1].dtype
        packed = da.blockwise(_set_block, "", *_whole(ins), opname=a["set_operation"], kinds=a["kinds"],
                              split=a["split"], label=_label(op), n=n, concatenate=True, dtype=object,
                              meta=np.empty((), object))
        vmeta = np.empty((0,), dtype=object if dtypes.is_string(dt) else dt)
        return tuple_outputs(packed, [((n,), (rank,)), ((n,),), ((rank,),)],
                             [np.empty((0, 0), np.int64), vmeta, np.empty((0,), np.int64)], "set")


@register("SetSize")
class SetSize:
    """The number of distinct values in each set (row) of a SparseTensor (int32, shape ``dense_shape[:-1]``)."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        dims = host_vector(op, 2, "dense_shape")
        return [(None if dims is None else dims[:-1], dtypes.int32)]

    def lower(op, idx, vals, shape):
        dims = tuple(int(d) for d in host_lowered(op, 2, "dense_shape"))[:-1]
        packed = da.blockwise(_size_block, "", *_whole([idx, vals, shape]), label=_label(op), concatenate=True,
                              dtype=object, meta=np.empty((), object))
        return tuple_outputs(packed, [tuple((d,) for d in dims)], [np.empty((0,) * len(dims), np.int32)],
                             "setsize")


# -- public functions

def _operand(x, what):
    from ..sparse.tensor import SparseTensor, SparseTensorValue, as_sparse
    if isinstance(x, (SparseTensor, SparseTensorValue)):
        return "sparse", as_sparse(x)
    return "dense", convert_to_tensor(x)


def _check_dtype(dtype, what):
    if dtypes.name(dtype) not in _SUPPORTED:
        raise TypeError(f"'{what}' has invalid dtype `{dtypes.name(dtype)}` not in supported dtypes: "
                        f"`{', '.join(_SUPPORTED)}`.")


def _parts(kind, x, validate):
    if kind == "dense":
        if x.shape.ndims is not None and x.shape.ndims < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {x.shape.ndims} for '{x.name}'")
        return [x]
    if validate:
        from .sparse_check import checked_indices
        return [checked_indices(x.indices, x.dense_shape), x.values, x.dense_shape]
    return [x.indices, x.values, x.dense_shape]


def _check_batch(a, b, ka, kb):
    if ka != "dense" or kb != "dense" or a.shape.ndims is None or b.shape.ndims is None:
        return
    if a.shape.ndims != b.shape.ndims:
        raise ValueError(f"Shapes must be equal rank, but are {a.shape.ndims} and {b.shape.ndims}")
    for i, (x, y) in enumerate(zip(a.shape[:-1], b.shape[:-1])):
        if x is not None and y is not None and x != y:
            raise ValueError(f"Dimension {i} in both shapes must be equal, but are {x} and {y}. Shapes are "
                             f"{list(a.shape[:-1])} and {list(b.shape[:-1])}.")


def _set_operation(a, b, opname, validate_indices, name):
    from ..sparse.tensor import SparseTensor
    ka, a = _operand(a, "a")
    kb, b = _operand(b, "b")
    if ka == "dense" and kb == "sparse" and not isinstance(a, Tensor):
        a = convert_to_tensor(a)
    if ka == "dense" and kb == "dense" and not isinstance(b, Tensor):
        b = convert_to_tensor(b, dtype_hint=a.dtype)
    _check_dtype(a.dtype, "a")
    _check_dtype(b.dtype, "b")
    if a.dtype != b.dtype:
        raise TypeError(f"Types don't match, {dtypes.name(a.dtype)} vs {dtypes.name(b.dtype)}.")
    _check_batch(a, b, ka, kb)
    kind = f"{'Dense' if ka == 'dense' else 'Sparse'}To{'Dense' if kb == 'dense' else 'Sparse'}SetOperation"
    with name_scope(name, kind):
        pa, pb = _parts(ka, a, validate_indices), _parts(kb, b, validate_indices)
        attrs = {"set_operation": opname, "kinds": (ka, kb), "split": len(pa)}
        count = apply("SetOperationCount", pa + pb, attrs, name="count")[0]
        ind, vals, shape = apply("SetOperation", pa + pb + [count], attrs, name=kind)
        return SparseTensor(ind, vals, shape)


def set_intersection(a, b, validate_indices=True):
    """The intersection of the sets in the last dimension of ``a`` and ``b`` (dense tensors or SparseTensors of
    the same batch shape, int8/16/32/64, uint8/16 or string): a SparseTensor whose row ``[i, ..., :]`` holds the
    common values of row ``i, ...`` in increasing order; its ``dense_shape`` is the batch shape plus the largest
    result set's size.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.sets.intersection([[1, 2, 3], [4, 5, 6]], [[3, 1, 9], [7, 8, 9]])
    >>> v = df.Session().run(sp)
    >>> v.indices.tolist(), v.values.tolist(), v.dense_shape.tolist()
    ([[0, 0], [0, 1]], [1, 3], [2, 2])
    """
    return _set_operation(a, b, "intersection", validate_indices, None)


def set_union(a, b, validate_indices=True):
    """The union of the sets in the last dimension of ``a`` and ``b``, as ``set_intersection`` lays it out.

    Examples
    --------
    >>> import daskflow as df
    >>> v = df.Session().run(df.sets.union([[1, 2]], [[2, 0]]))
    >>> v.values.tolist(), v.dense_shape.tolist()
    ([0, 1, 2], [1, 3])
    """
    return _set_operation(a, b, "union", validate_indices, None)


def set_difference(a, b, aminusb=True, validate_indices=True):
    """The values of each set (last dimension) of ``a`` that are not in the same row of ``b`` (``b - a`` with
    ``aminusb=False``), as ``set_intersection`` lays them out.

    Examples
    --------
    >>> import daskflow as df
    >>> v = df.Session().run(df.sets.difference([[3, 1, 2]], [[2, 5]]))
    >>> v.values.tolist()
    [1, 3]
    """
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices, None)


def set_size(a, validate_indices=True):
    """The number of distinct values in each set (last dimension) of the SparseTensor ``a``: an int32 tensor of
    shape ``dense_shape[:-1]``. With ``validate_indices``, indices out of row-major order fail the run.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [0, 1], [1, 0]], [7, 7, 2], [2, 3])
    >>> df.Session().run(df.sets.size(sp))
    array([1, 1], dtype=int32)
    """
    from ..sparse.tensor import SparseTensor, SparseTensorValue, as_sparse
    if not isinstance(a, (SparseTensor, SparseTensorValue)):
        raise TypeError(f"Expected `SparseTensor`, got {a}.")
    a = as_sparse(a)
    _check_dtype(a.dtype, "a")
    with name_scope(None, "SetSize"):
        idx = a.indices
        if validate_indices:
            from .sparse_check import checked_indices
            idx = checked_indices(idx, a.dense_shape)
        return apply("SetSize", [idx, a.values, a.dense_shape], name="SetSize")[0]


difference, intersection, size, union = set_difference, set_intersection, set_size, set_union
