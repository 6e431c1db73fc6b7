"""The ``tf.ragged`` functions: ``constant``, ``placeholder``, ``range``, ``stack``, ``stack_dynamic_partitions``,
``boolean_mask``, ``map_flat_values``, ``segment_ids_to_row_splits``, and the Python operators of RaggedTensor
(elementwise on ``flat_values``). All are composites of dense ops, so gradients flow through ``flat_values``."""
import builtins
import operator

import numpy as np

from .. import dtypes
from ..graph import Tensor, control_dependencies, name_scope
from ..ops.array import broadcast_to, concat, reshape, stack as dense_stack, transpose
from ..ops.checks import assert_less, assert_non_negative
from ..ops.cumulative import cumsum
from ..ops.generate import ones_like, range as _range, shape as _shape, size as _size
from ..ops.indexing import gather, unsorted_segment_sum
from ..ops.math import abs as _abs, assert_equal, cast, ceil, equal, greater, logical_xor, where
from ..ops.ranking import argsort
from ..ops.reduce import reduce_max, reduce_sum
from ..ops.registry import convert_to_tensor
from ..ops.setops import boolean_mask as dense_boolean_mask
from ..ops.state import placeholder as dense_placeholder
from .convert import concat_rows, from_tensor, gather_rows
from .tensor import RaggedTensor, _checked, row_splits_to_segment_ids
from .value import _flatten

__all__ = ["constant", "placeholder", "range", "stack", "stack_dynamic_partitions", "boolean_mask",
           "map_flat_values", "segment_ids_to_row_splits", "row_splits_to_segment_ids"]

_I64 = dtypes.int64


def _zero():
    return np.zeros([1], np.int64)


def _tf_dtype(flat):
    """TF's dtype for a Python list's values: int32 (int64 when too big), float32, bool or string."""
    if flat.size == 0 and flat.dtype == np.float64:
        return np.float32
    kind = flat.dtype.kind
    if kind in "iu":
        small = flat.size == 0 or (flat.min() >= np.iinfo(np.int32).min and flat.max() <= np.iinfo(np.int32).max)
        return np.int32 if small else np.int64
    return {"f": np.float32, "b": np.bool_, "c": np.complex128}.get(kind, flat.dtype)


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None, row_splits_dtype=_I64):
    """A RaggedTensor of constants from the nested list ``pylist`` (a Tensor when ``ragged_rank`` is 0); the
    last ``len(inner_shape)`` levels of nesting are uniform dims (TF's ``ragged.constant``).

    Examples
    --------
    >>> import daskflow as df
    >>> rt = df.ragged.constant([[1, 2], [3]])
    >>> rt.shape, rt.dtype
    (TensorShape([2, None]), dtype('int32'))
    """
    with name_scope(name, "RaggedConstant"):
        flat, splits = _flatten(pylist, None, ragged_rank, inner_shape)
        want = _tf_dtype(flat) if dtype is None else dtypes.as_dtype(dtype)
        result = convert_to_tensor(flat if dtypes.is_string(want) else flat.astype(want), dtype=want, name="values")
        for s in reversed(splits):
            result = RaggedTensor._make(result, convert_to_tensor(s, dtype=_I64))
        return result


def placeholder(dtype, ragged_rank, value_shape=None, name=None):
    """A RaggedTensor of placeholders with ``ragged_rank`` ragged dims over flat values of shape
    ``[None] + value_shape``, fed with a ``RaggedTensorValue`` (a plain placeholder when ``ragged_rank`` is 0)."""
    value_shape = [] if value_shape is None else list(value_shape)
    if ragged_rank == 0:
        return dense_placeholder(dtype, value_shape, name=name)
    if ragged_rank < 0:
        raise ValueError(f"ragged_rank must be >= 0, got {ragged_rank}")
    with name_scope(name, "RaggedPlaceholder"):
        result = dense_placeholder(dtype, [None] + value_shape, name="flat_values")
        for i in reversed(builtins.range(ragged_rank)):
            result = RaggedTensor._make(result, dense_placeholder(_I64, [None], name=f"row_splits_{i}"))
        return result


def range(starts, limits=None, deltas=1, dtype=None, name=None, row_splits_dtype=_I64):  # noqa: A001 - TF's name
    """Row ``i`` is ``starts[i], starts[i] + deltas[i], ...`` up to (not including) ``limits[i]``; scalars
    broadcast, and with no ``limits`` the rows go from 0 to ``starts`` (TF's ``ragged.range``).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as s:
    ...     s.run(df.ragged.range([3, 5, 0], [7, 5, 2])).to_list()
    [[3, 4, 5, 6], [], [0, 1]]
    """
    if limits is None:
        starts, limits = 0, starts
    with name_scope(name, "RaggedRange"):
        parts = [convert_to_tensor(x, dtype=dtype, name=n) for x, n in
                 zip((starts, limits, deltas), ("starts", "limits", "deltas"))]
        dt = dtype or next((p.dtype for p in parts if p.dtype.kind == "f"),
                           dtypes.int64 if any(p.dtype == dtypes.int64 for p in parts) else parts[0].dtype)
        parts = [cast(p, dt) if p.dtype != dt else p for p in parts]
        for p in parts:
            if p.shape.ndims is not None and p.shape.ndims > 1:
                raise ValueError(f"Shape {p.shape} must have rank at most 1")
        sizes = [p.shape.num_elements() if p.shape.ndims is not None else None for p in parts]
        n = reduce_max(dense_stack([_size(p, out_type=_I64) for p in parts]))
        if all(s is not None for s in sizes):
            n = np.int64(max(sizes))
        st, lim, de = [broadcast_to(reshape(p, [-1]), reshape(n, [1])) for p in parts]
        zero = convert_to_tensor(np.zeros((), dt))
        de = _checked(de, [_nonzero(de)])
        safe = where(equal(de, zero), ones_like(de), de)
        if dt.kind == "f":
            count = ceil(_abs((lim - st) / safe))
        else:
            count = (_abs(lim - st) + _abs(safe) - convert_to_tensor(np.ones((), dt))) // _abs(safe)
        empty = logical_xor(greater(de, zero), greater(lim, st))
        sizes = cast(where(empty, zero + zero, count), _I64)
        splits = concat([_zero(), cumsum(sizes)], 0)
        rowids = row_splits_to_segment_ids(splits)
        pos = _range(splits[-1], dtype=_I64) - gather(splits, rowids)
        values = gather(st, rowids) + cast(pos, dt) * gather(de, rowids)
        return RaggedTensor._make(values, splits)


def _nonzero(deltas):
    from ..ops.checks import assert_none_equal
    return assert_none_equal(deltas, convert_to_tensor(np.zeros((), deltas.dtype)), message="Requires delta != 0")


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """The row splits of rows holding the values of each segment: ``[0, 0, 2, 2, 2]`` gives ``[0, 2, 2, 5]``
    (``num_segments`` rows; default ``max(segment_ids) + 1``) (TF's ``ragged.segment_ids_to_row_splits``)."""
    with name_scope(name, "SegmentIdsToRaggedSplits"):
        ids = convert_to_tensor(segment_ids, dtype_hint=_I64, name="segment_ids")
        if ids.dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"segment_ids must be int32 or int64, got {dtypes.name(ids.dtype)}")
        if ids.shape.ndims is not None and ids.shape.ndims != 1:
            raise ValueError(f"Shape {ids.shape} must have rank 1")
        out_type = (ids.dtype if isinstance(segment_ids, Tensor) else _I64) if out_type is None else out_type
        ids = cast(ids, _I64)
        if num_segments is None:
            num = reduce_max(concat([np.full([1], -1, np.int64), ids], 0)) + np.int64(1)
        else:
            num = cast(convert_to_tensor(num_segments, dtype_hint=_I64), _I64)
        counts = unsorted_segment_sum(ones_like(ids), ids, num)
        splits = concat([_zero(), cumsum(counts)], 0)
        return splits if dtypes.as_dtype(out_type) == _I64 else cast(splits, out_type)


# -- stacking

def _ragged_dims(rt):
    """``rt`` with its uniform dims shown as ragged in its static shape (as TF gives them)."""
    if not isinstance(rt, RaggedTensor):
        return rt
    return RaggedTensor._make(_ragged_dims(rt.values), rt.row_splits)


def _raise_rank(rt, rank):
    """``rt`` with ragged rank ``rank``: dims of its flat values made ragged (of uniform length)."""
    if rt.ragged_rank >= rank:
        return rt
    return rt.with_flat_values(from_tensor(rt.flat_values, ragged_rank=rank - rt.ragged_rank))


def stack(values, axis=0, name=None):
    """The RaggedTensors (or Tensors) ``values``, all of one rank, stacked along a new ``axis`` (0 or 1; for 1
    they must have the same number of rows) (TF's ``ragged.stack``).

    Examples
    --------
    >>> import daskflow as df
    >>> a, b = df.ragged.constant([[1, 2], [3]]), df.ragged.constant([[4]])
    >>> with df.Session() as s:
    ...     s.run(df.ragged.stack([a, b])).to_list()
    [[[1, 2], [3]], [[4]]]
    """
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError("values must be a non-empty list of RaggedTensors or Tensors")
    with name_scope(name, "RaggedStack"):
        inputs = [v if isinstance(v, RaggedTensor) else convert_to_tensor(v) for v in values]
        if not any(isinstance(v, RaggedTensor) for v in inputs):
            return _ragged_dims(from_tensor(dense_stack(inputs, axis), ragged_rank=1))
        rank = inputs[0].shape.ndims
        for v in inputs:
            if rank is not None and v.shape.ndims is not None and v.shape.ndims != rank:
                raise ValueError(f"Shape {v.shape} must have rank {rank}")
        if axis < 0:
            if rank is None:
                raise ValueError("a negative axis needs inputs of known rank")
            axis += rank + 1
        if axis > 1:
            raise ValueError(f"daskflow's ragged.stack supports axis 0 and 1, got {axis}")
        rr = max(v.ragged_rank for v in inputs if isinstance(v, RaggedTensor))
        rts = [_raise_rank(v if isinstance(v, RaggedTensor) else from_tensor(v, ragged_rank=1), rr) for v in inputs]
        k = len(rts)
        rows = concat_rows(rts)
        if axis == 0:
            counts = dense_stack([rt.nrows() for rt in rts])
            return RaggedTensor._make(rows, concat([_zero(), cumsum(counts)], 0))
        n = rts[0].nrows()
        checks = [assert_equal(rt.nrows(), n, message="Input tensors at index 0 (=x) and 1 (=y) have incompatible "
                                                       "shapes.") for rt in rts[1:]]
        n = _checked(n, checks)
        order = reshape(transpose(reshape(_range(n * np.int64(k), dtype=_I64), dense_stack([np.int64(k), n]))),
                        [-1])
        splits = _range(n + np.int64(1), dtype=_I64) * np.int64(k)
        return RaggedTensor._make(gather_rows(rows, order), splits)


def stack_dynamic_partitions(data, partitions, num_partitions, name=None):
    """Row ``p`` holds the rows of ``data`` whose ``partitions`` entry is ``p`` (in their order), for ``p`` below
    ``num_partitions`` (TF's ``ragged.stack_dynamic_partitions``).

    Examples
    --------
    >>> import daskflow as df
    >>> rt = df.ragged.stack_dynamic_partitions([1, 2, 3, 4, 5], [2, 0, 2, 2, 0], 3)
    >>> with df.Session() as s:
    ...     s.run(rt).to_list()
    [[2, 5], [], [1, 3, 4]]
    """
    with name_scope(name, "SegmentStack"):
        data = data if isinstance(data, RaggedTensor) else convert_to_tensor(data, name="data")
        parts = convert_to_tensor(partitions, dtype_hint=dtypes.int32, name="partitions")
        if parts.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"partitions must be int32 or int64, got {dtypes.name(parts.dtype)}")
        if parts.shape.ndims is not None and parts.shape.ndims != 1:
            raise ValueError(f"Shape {parts.shape} must have rank 1")
        parts = cast(parts, _I64)
        num = cast(convert_to_tensor(num_partitions, dtype_hint=_I64, name="num_partitions"), _I64)
        parts = _checked(parts, [assert_non_negative(parts, message="partitions must be non-negative"),
                                 assert_less(parts, num, message="partitions must be less than num_partitions")])
        order = cast(argsort(parts, stable=True), _I64)
        counts = unsorted_segment_sum(ones_like(parts), parts, num)
        return RaggedTensor._make(gather_rows(data, order), concat([_zero(), cumsum(counts)], 0))


# -- masks and elementwise ops

def boolean_mask(data, mask, name=None):
    """The entries of ``data`` where ``mask`` is true, keeping ``data``'s structure: a dense ``mask`` of rank
    ``k`` over the first ``k`` dims of dense ``data`` gives a RaggedTensor of ragged rank ``k - 1`` (a Tensor for
    ``k`` = 1); a vector ``mask`` over the rows of a RaggedTensor keeps those rows; a ragged ``mask`` shaped as
    ``data`` keeps the entries of each innermost row (TF's ``ragged.boolean_mask``).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as s:
    ...     s.run(df.ragged.boolean_mask([[1, 2, 3], [4, 5, 6]], [[True, False, True], [False, False, True]])).to_list()
    [[1, 3], [6]]
    """
    with name_scope(name, "RaggedMask"):
        if isinstance(mask, RaggedTensor):
            if mask.dtype != dtypes.bool:
                raise TypeError(f"mask must be bool, got {dtypes.name(mask.dtype)}")
            if not isinstance(data, RaggedTensor) or data.ragged_rank != mask.ragged_rank:
                raise ValueError("A ragged mask needs RaggedTensor data of the same ragged_rank")
            return _ragged_mask(data, mask)
        mask = convert_to_tensor(mask, dtype=dtypes.bool, name="mask")
        k = mask.shape.ndims
        if k is None or k == 0:
            raise ValueError("mask must have a known rank of at least 1")
        if isinstance(data, RaggedTensor):
            if k != 1:
                raise ValueError("A dense mask over a RaggedTensor must be a vector over its rows")
            rows = reshape(_where_true(mask), [-1])
            return gather_rows(data, rows)
        data = convert_to_tensor(data, name="data")
        values = dense_boolean_mask(data, mask)
        if k == 1:
            return values
        mdims = _shape(mask, out_type=_I64)
        counts = reshape(reduce_sum(cast(mask, _I64), axis=-1), [-1])
        rt = RaggedTensor.from_row_lengths(values, counts, validate=False)
        for d in reversed(builtins.range(1, k - 1)):
            dim = mask.shape[d]
            rt = RaggedTensor.from_uniform_row_length(rt, mdims[d] if dim is None else np.int64(dim), validate=False)
        return _ragged_dims(rt)


def _where_true(mask):
    from ..sparse.tensor import nonzero_indices
    return nonzero_indices(mask)


def _ragged_mask(data, mask):
    if isinstance(data.values, RaggedTensor):
        return data.with_values(_ragged_mask(data.values, mask.values))
    keep = mask.values
    values = dense_boolean_mask(data.values, keep)
    counts = unsorted_segment_sum(cast(keep, _I64), mask.value_rowids(), mask.nrows())
    return RaggedTensor.from_row_lengths(values, counts, validate=False)


def _same_splits(rts):
    """Checks (at build time when the splits are known, else when run) that ``rts`` share their row splits."""
    first = rts[0]
    checks = []
    for rt in rts[1:]:
        if rt.ragged_rank != first.ragged_rank:
            raise ValueError(f"All RaggedTensors must have the same ragged_rank; got {first.ragged_rank} and "
                             f"{rt.ragged_rank}")
        for a, b in zip(first.nested_row_splits, rt.nested_row_splits):
            if a is b:
                continue
            if a.shape[0] is not None and b.shape[0] is not None and a.shape[0] != b.shape[0]:
                raise ValueError("partitions have incompatible row_splits")
            same_len = assert_equal(_size(a), _size(b), message="partitions have incompatible row_splits")
            with control_dependencies([c for c in [same_len] if c.type != "NoOp"]):
                checks.append(assert_equal(a, b, message="partitions have incompatible row_splits"))
    return checks


def map_flat_values(op, *args, **kwargs):
    """``op(*args, **kwargs)`` with every RaggedTensor among the arguments replaced by its ``flat_values``, as a
    RaggedTensor with their (identical) row splits (TF's ``ragged.map_flat_values``).

    Examples
    --------
    >>> import daskflow as df
    >>> rt = df.ragged.constant([[1.0, 2.0], [3.0]])
    >>> with df.Session() as s:
    ...     s.run(df.ragged.map_flat_values(df.square, rt)).to_list()
    [[1.0, 4.0], [9.0]]
    """
    found = []

    def swap(x):
        if isinstance(x, RaggedTensor):
            found.append(x)
            return x.flat_values
        if isinstance(x, (list, tuple)):
            return type(x)(swap(v) for v in x)
        if isinstance(x, dict):
            return {k: swap(v) for k, v in x.items()}
        return x

    args, kwargs = swap(list(args)), swap(kwargs)
    if not found:
        raise ValueError("map_flat_values requires at least one input that is a RaggedTensor")
    checks = _same_splits(found)
    out = op(*args, **kwargs)
    out = convert_to_tensor(out) if not isinstance(out, Tensor) else out
    n = found[0].flat_values.shape[0]
    if out.shape.ndims == 0:
        raise ValueError("op must return a tensor of rank at least 1")
    if n is not None and out.shape[0] is not None and out.shape[0] != n:
        raise ValueError(f"tensor.shape[0] must be {n}, got {out.shape[0]}")
    return found[0].with_flat_values(_checked(out, checks))


def _elementwise(fn, x, y):
    if isinstance(x, RaggedTensor) and isinstance(y, RaggedTensor):
        return map_flat_values(fn, x, y)
    rt, other, ragged_first = (x, y, True) if isinstance(x, RaggedTensor) else (y, x, False)
    other = convert_to_tensor(other, dtype_hint=rt.dtype)
    inner = rt.flat_values.shape.ndims
    if other.shape.ndims is None or inner is None or other.shape.ndims > inner - 1:
        raise ValueError(f"A dense operand of a RaggedTensor operator must be a scalar or broadcast against the "
                         f"uniform inner dims; got shape {other.shape}")
    return map_flat_values(lambda f: fn(f, other) if ragged_first else fn(other, f), rt)


def _binary(fn):
    return lambda self, other: _elementwise(fn, self, other)


def _reflected(fn):
    return lambda self, other: _elementwise(fn, other, self)


def _unary(fn):
    return lambda self: map_flat_values(fn, self)


_BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
           "div": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow,
           "and": operator.and_, "or": operator.or_, "xor": operator.xor}
OPERATORS = {f"__{k}__": _binary(f) for k, f in _BINARY.items()}
OPERATORS.update({f"__r{k}__": _reflected(f) for k, f in _BINARY.items()})
OPERATORS.update({f"__{k}__": _binary(f) for k, f in
                  {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}.items()})
OPERATORS.update({"__neg__": _unary(operator.neg), "__abs__": _unary(operator.abs),
                  "__invert__": _unary(operator.invert)})
