"""Array ops: shapes and layout (reshape, transpose, concat, stack, split, slicing, gather, pad, tile...),
generated tensors (zeros, fill, range, linspace) and shape queries, plus ``Tensor.__getitem__``.

Shape-valued arguments (reshape's ``shape``, fill's ``dims``, tile's ``multiples``, slice bounds, paddings,
range bounds...) are small int tensors, inputs of the op as in TF. They are evaluated on the host: at build
time from constants and static shapes (``get_static_value``), and at lowering time from the actual shapes
of the dask arrays, so ``reshape(x, [shape(x)[0], -1])`` works when the batch size is only known at run time.
A shape argument computed from run-time data raises ``UnimplementedError``. Axis-like arguments (axis, perm)
are static attributes.
"""
import builtins
import math as _pymath
import operator
import string
from inspect import signature

import dask.array as da
import numpy as np

from .. import backend, config, dtypes, errors
from ..graph import Tensor, TensorShape
from .registry import (NOT_DIFFERENTIABLE, OPS, apply, apply1, convert_to_tensor, fail, normalize_axis, register,
                       same_dtype)
from .state import constant

__all__ = ["reshape", "transpose", "concat", "stack", "pack", "unstack", "unpack", "split", "slice",
           "strided_slice", "gather", "one_hot", "expand_dims", "squeeze", "tile", "pad", "reverse", "reverse_v2",
           "zeros", "ones", "fill", "zeros_like", "ones_like", "range", "linspace", "lin_space", "shape", "rank",
           "size", "broadcast_to", "get_static_value"]

# this module defines public `range` and `slice` (TF's names): internally always use these
_range = builtins.range
_slice = builtins.slice
_FULL = _slice(None)
_HOST_MAX_ELEMS = 1 << 16  # host evaluation never materialises more than this (it serves shapes, not data)


# -- host evaluation of small int tensors (TF's constant_value, extended to run-time shapes)

class _NotHost(Exception):
    """The tensor's value depends on run-time data, not only on constants and shapes."""

    def __init__(self, tensor, why):
        super().__init__(why)
        self.tensor, self.why = tensor, why


class _Unknown(Exception):
    """Part of the value is unknown here (an unknown dim), so this result is unknown, shape included."""


def _evaluate(t, shape_of, fed=()):
    """``t``'s value as a numpy array (object dtype with None where a dim is unknown), or None when even its
    shape is unknown. ``shape_of(tensor)`` gives a tuple of dims (None unknown) or None for unknown rank."""
    memo = {}

    def value(u):
        if u in memo:
            return memo[u]
        if u in fed:
            raise _NotHost(u, "is fed at run time")
        op = u.op
        rule = getattr(OPS.get(op.type), "host_value", None) or _HOST_RULES.get(op.type)
        if rule is None:
            raise _NotHost(u, f"is computed by a {op.type} op from run-time data")

        def arg(i):
            v = value(op.inputs[i])
            if v is None:
                raise _Unknown()
            return v
        try:
            outs = rule(op, arg, shape_of)
            v = outs[u.value_index] if len(op.outputs) > 1 else outs
        except _Unknown:
            v = None
        if v is not None:
            v = np.asarray(v, dtype=object if _is_partial(v) else u.dtype)
        elif u.shape.is_fully_defined() and u.shape.num_elements() <= _HOST_MAX_ELEMS:
            v = np.full(tuple(u.shape), None, dtype=object)
        memo[u] = v
        return v

    return value(t)


def _is_partial(v):
    v = np.asarray(v)
    return v.dtype == object and any(e is None for e in v.flat)


def _static_shape_of(t):
    return None if t.shape.ndims is None else tuple(t.shape)


def _known(dask_shape):
    """A dask array's shape with None for unknown (nan) dims."""
    return tuple(None if _pymath.isnan(d) else int(d) for d in dask_shape)


def _lowered_shape_of(t):
    from ..lowering import current
    return _known(current().value(t).shape)


def constant_value(tensor, partial=False):
    """The value of ``tensor`` if it is known when the graph is built, else None (TF's ``get_static_value``).

    Constants, static shapes (``shape``, ``size``, ``rank`` of tensors with known dims) and small int
    arithmetic, stacking and slicing of those are known. With ``partial=True``, a value whose entries are only
    partly known comes back as an object array with None for the unknown entries.

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.placeholder(df.float32, (None, 3))
    >>> df.get_static_value(df.shape(x)[1])
    array(3, dtype=int32)
    >>> df.get_static_value(df.shape(x), partial=True)
    array([None, 3], dtype=object)
    """
    if hasattr(tensor, "_as_tensor"):
        tensor = tensor._as_tensor()
    if not isinstance(tensor, Tensor):
        return np.asarray(tensor)
    try:
        v = _evaluate(tensor, _static_shape_of)
    except _NotHost:
        return None
    if v is None or (_is_partial(v) and not partial):
        return None
    if v.dtype == object and not _is_partial(v):
        v = np.asarray(v.tolist(), dtype=tensor.dtype)
    return v


get_static_value = constant_value


def _host_partial(op, i, what):
    """Build time: input ``i`` of ``op`` evaluated on the host (None entries unknown; None if unknown shape)."""
    t = op.inputs[i]
    try:
        return _evaluate(t, _static_shape_of)
    except _NotHost as e:
        fail(op, f"{op.type} needs its {what} ('{t.name}') when the graph is compiled, but '{e.tensor.name}' "
                 f"{e.why}; compute it from constants and tensor shapes", errors.UnimplementedError)


def _host_lowered(op, i, what):
    """Lowering time: input ``i`` of ``op`` from constants and the actual shapes of the dask arrays."""
    from ..lowering import current
    t = op.inputs[i]
    try:
        v = _evaluate(t, _lowered_shape_of, current().fed)
    except _NotHost as e:
        fail(op, f"{op.type} needs its {what} ('{t.name}') when the graph is compiled, but '{e.tensor.name}' "
                 f"{e.why}", errors.UnimplementedError)
    if v is None or _is_partial(v):
        fail(op, f"{op.type} needs its {what} ('{t.name}'), which depends on a dimension whose size is only "
                 "known after computing (unknown chunk sizes)", errors.UnimplementedError)
    return np.asarray(v.tolist(), dtype=t.dtype)


def _ints(v):
    """A host value as python ints (nested lists for matrices); raises _Unknown on unknown entries."""
    if _is_partial(v):
        raise _Unknown()
    return np.asarray(v).astype(np.int64).tolist()


def _entries(v):
    """A partial host vector as a tuple of ints and None."""
    return None if v is None else tuple(None if e is None else int(e) for e in np.asarray(v).tolist())


def _check_int_input(op, i, what, ndim):
    t = op.inputs[i]
    if t.dtype.kind not in "iu":
        fail(op, f"{what} must be an int32 or int64 tensor, got '{t.name}' of dtype {t.dtype.name}")
    if t.shape.ndims is not None and t.shape.ndims != ndim:
        kind = {0: "a scalar", 1: "a vector", 2: "a matrix"}[ndim]
        fail(op, f"{what} must be {kind}, got '{t.name}' of shape {t.shape}")


def _host_vector(op, i, what):
    """Build time: an int vector input as a tuple of ints/None, or None when its length is unknown."""
    _check_int_input(op, i, what, 1)
    return _entries(_host_partial(op, i, what))


def _host_scalar(op, i, what, kinds="iu"):
    t = op.inputs[i]
    if t.dtype.kind not in kinds:
        fail(op, f"{what} must be {'an integer' if kinds == 'iu' else 'a number'}, got '{t.name}' of dtype "
                 f"{t.dtype.name}")
    if t.shape.ndims is not None and t.shape.ndims != 0:
        fail(op, f"{what} must be a scalar, got '{t.name}' of shape {t.shape}")
    v = _host_partial(op, i, what)
    if v is None or v.ndim or v[()] is None:
        return None
    return v[()].item() if hasattr(v[()], "item") else v[()]


def _elementwise_rule(fn):
    # on python numbers (host values are small), so a division by zero raises instead of warning
    f = np.frompyfunc(lambda *a: None if any(e is None for e in a) else fn(*a), len(signature(fn).parameters), 1)

    def rule(op, arg, shape_of):
        vals = [np.asarray(arg(i).tolist(), dtype=object) for i in _range(len(op.inputs))]
        try:
            return np.array(f(*vals), dtype=object)
        except ArithmeticError:  # left to fail when the graph runs
            raise _Unknown() from None
    return rule


def _reduce_rule(fn):
    def rule(op, arg, shape_of):
        if len(op.inputs) != 1 or not set(op.attrs) <= {"axis", "keepdims"}:
            raise _NotHost(op.outputs[0], f"is computed by a {op.type} op this evaluator does not know")
        v = arg(0)
        axis = op.attrs.get("axis")
        if isinstance(_as_tensor(axis), Tensor):
            raise _NotHost(op.outputs[0], f"is computed by a {op.type} op over a tensor axis")
        axis = tuple(np.atleast_1d(axis).tolist()) if axis is not None else None
        keep = bool(op.attrs.get("keepdims", False))
        if _is_partial(v):
            return np.full(np.sum(np.zeros(v.shape), axis=axis, keepdims=keep).shape, None, dtype=object)
        return fn(np.asarray(v, dtype=op.outputs[0].dtype), axis=axis, keepdims=keep)
    return rule


def _cast_rule(op, arg, shape_of):
    v = arg(0)
    return v if v.dtype == object else v.astype(op.attrs["DstT"])


# Ops declared in other modules that shape arithmetic uses (``shape(x)[0] * shape(x)[1]``, ``reduce_prod``).
_HOST_RULES = {
    "Const": lambda op, arg, shape_of: op.attrs["value"],
    "Identity": lambda op, arg, shape_of: arg(0),
    "StopGradient": lambda op, arg, shape_of: arg(0),
    "Cast": _cast_rule,
    "AddV2": _elementwise_rule(operator.add),
    "Sub": _elementwise_rule(operator.sub),
    "Mul": _elementwise_rule(operator.mul),
    "FloorDiv": _elementwise_rule(operator.floordiv),
    "FloorMod": _elementwise_rule(operator.mod),
    "Maximum": _elementwise_rule(lambda a, b: max(a, b)),
    "Minimum": _elementwise_rule(lambda a, b: min(a, b)),
    "Neg": _elementwise_rule(operator.neg),
    "Sum": _reduce_rule(np.sum),
    "Prod": _reduce_rule(np.prod),
}


# -- building helpers

def _as_tensor(x):
    return x._as_tensor() if hasattr(x, "_as_tensor") else x


def _has_tensor(value):
    if isinstance(_as_tensor(value), Tensor):
        return True
    return isinstance(value, (list, tuple)) and any(_has_tensor(v) for v in value)


def _int_arg(value, name):
    """A shape-like argument as an int tensor: tensors pass through, python values become int32 constants (int64
    when out of int32 range), lists holding tensors are stacked (python ints take the tensors' dtype)."""
    value = _as_tensor(value)
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) and _has_tensor(value):
        dt = _stack_int_dtype(value)
        return stack([_int_element(v, dt, name) for v in value], name=name)
    arr = np.asarray(value)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got {value!r}")
    if arr.dtype.kind not in "iu" or not isinstance(value, (np.ndarray, np.generic)):
        big = arr.size and (int(arr.max()) >= 2**31 or int(arr.min()) < -2**31)
        arr = arr.astype(np.int64 if big else np.int32)
    return constant(arr, name=name)


def _stack_int_dtype(value):
    flat = []

    def walk(v):
        v = _as_tensor(v)
        if isinstance(v, (list, tuple)):
            for e in v:
                walk(e)
        else:
            flat.append(v)
    walk(value)
    return np.dtype(np.int64) if any(isinstance(v, Tensor) and v.dtype == np.int64 for v in flat) \
        else np.dtype(np.int32)


def _int_element(v, dt, name):
    v = _as_tensor(v)
    if isinstance(v, (list, tuple)):
        return stack([_int_element(e, dt, name) for e in v], name=name)
    if isinstance(v, Tensor):
        if v.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integers, got tensor '{v.name}' of dtype {v.dtype.name}")
        if v.dtype != dt:
            from .math import cast
            v = cast(v, dt)
        return v
    return constant(np.asarray(v).astype(dt), name=name)


def _static_ints(value, what, fn_name, allow_none=False):
    """A static int or list of ints from python values or tensors known at build time."""
    if value is None and allow_none:
        return None
    v = _as_tensor(value)
    if isinstance(v, Tensor):
        got = constant_value(v)
        if got is None:
            raise errors.UnimplementedError(
                None, v.op, f"{fn_name}: {what} must be known when the graph is built, but '{v.name}' is only "
                            "known at run time")
        v = got
    arr = np.asarray(v)
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"{fn_name}: {what} must be integers, got {value!r}")
    return int(arr) if arr.ndim == 0 else [int(a) for a in arr.ravel()]


def _shape_str(dims):
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def _prod(dims):
    p = 1
    for d in dims:
        p *= d
    return p


# -- chunking of generated tensors

def _split_chunks(shape, max_elems):
    """Chunks of ``shape`` with at most ``max_elems`` elements a block: whole trailing axes, the first axis
    (from the end) that does not fit split evenly, and the axes before it in blocks of 1."""
    shape = tuple(int(d) for d in shape)
    if _prod(shape) <= max_elems:
        return tuple((d,) for d in shape)
    chunks, inner = [None] * len(shape), 1
    for ax in reversed(_range(len(shape))):
        if inner * shape[ax] <= max_elems:
            chunks[ax] = (shape[ax],)
            inner *= shape[ax]
            continue
        per = max(1, max_elems // inner)
        chunks[ax] = da.core.normalize_chunks((per,), (shape[ax],))[0]
        for before in _range(ax):
            chunks[before] = (1,) * shape[before]
        break
    return tuple(chunks)


def _gen_chunks(shape, dtype):
    return _split_chunks(shape, max(1, config.get("chunk_bytes") // np.dtype(dtype).itemsize))


def _copy_block(b):
    return b.copy()


def _filled(value, shape, chunks, dtype):
    """A dask array of ``shape`` whose every element is the 0-d dask array ``value``: each chunk is made on its
    own (a broadcast view copied into a fresh, writable block), never the whole array at once."""
    b = da.broadcast_to(value, tuple(shape), chunks=chunks)
    return b.map_blocks(_copy_block, dtype=dtype, meta=backend.meta(value, dtype, ndim=len(shape)))


# -- reshape, transpose

def _reshape_target(op, in_shape, target):
    """The output shape of reshaping ``in_shape`` (dims or None) to ``target`` (ints, -1 once, None unknown)."""
    neg = [i for i, d in enumerate(target) if d == -1]
    if len(neg) > 1:
        fail(op, f"Only one input size may be -1, not both {neg[0]} and {neg[1]} (requested shape "
                 f"{_shape_str(target)})")
    for i, d in enumerate(target):
        if d is not None and d < -1:
            fail(op, f"Size {i} must be non-negative, not {d} (requested shape {_shape_str(target)})")
    n_in = None if in_shape is None or any(d is None for d in in_shape) else _prod(in_shape)
    known = _prod(d for d in target if d is not None and d != -1)
    some_unknown = any(d is None for d in target)
    src = _shape_str(in_shape) if in_shape is not None else "<unknown>"
    if neg:
        if n_in is None or some_unknown:
            return tuple(None if d == -1 else d for d in target)
        if known == 0 or n_in % known:
            why = "a -1 cannot be inferred when other sizes are 0" if known == 0 else \
                f"{n_in} is not a multiple of {known}"
            fail(op, f"Cannot reshape a tensor of shape {src} ({n_in} values) into shape {_shape_str(target)}: "
                     f"{why}")
        return tuple(n_in // known if d == -1 else d for d in target)
    if n_in is not None and not some_unknown and known != n_in:
        fail(op, f"Cannot reshape a tensor of shape {src} ({n_in} values) into shape {_shape_str(target)} "
                 f"({known} values)")
    return tuple(target)


@register("Reshape")
class Reshape:
    def infer(op):
        x = op.inputs[0]
        target = _host_vector(op, 1, "shape")
        if target is None:
            return [(TensorShape(None), x.dtype)]
        return [(_reshape_target(op, _static_shape_of(x), target), x.dtype)]

    def lower(op, x, _):
        target = _host_lowered(op, 1, "shape").tolist()
        if None in _known(x.shape):
            if x.ndim == 1 and target == [-1]:
                return x
            fail(op, f"cannot reshape an array of unknown chunk sizes {x.chunks} to {_shape_str(target)}",
                 errors.UnimplementedError)
        target = _reshape_target(op, _known(x.shape), target)
        return x if tuple(x.shape) == target else _dask_reshape(x, target)

    def host_value(op, arg, shape_of):
        v, target = arg(0), _ints(arg(1))
        return v.reshape(_reshape_target(op, v.shape, target))


def _dask_reshape(x, target):
    if 0 in x.shape or 0 in target:
        return x.rechunk(-1).reshape(target)  # nothing to move: one empty block
    try:
        return x.reshape(target)
    except NotImplementedError:  # dims split unevenly, e.g. (4, 6) -> (2, 4, 3): go through one flat dim
        return x.reshape(-1).reshape(target)


def reshape(tensor, shape, name=None):
    """``tensor`` with its elements in row-major order laid out in ``shape``; one entry may be -1 (inferred).

    ``shape`` may be a list or an int tensor known from constants and shapes, e.g. ``[shape(x)[0], -1]``.

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> df.reshape(np.arange(6.0), [-1, 3]).compute()
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    x = convert_to_tensor(tensor)
    return apply1("Reshape", [x, _int_arg(shape, "shape")], name=name or "Reshape")


@register("Transpose")
class Transpose:
    def infer(op):
        x, perm = op.inputs[0], op.attrs["perm"]
        if x.shape.ndims is None:
            return [(TensorShape(None) if perm is None else [None] * len(perm), x.dtype)]
        perm = _check_perm(op, perm, x.shape.ndims)
        return [([x.shape[p] for p in perm], x.dtype)]

    def lower(op, x):
        perm = _check_perm(op, op.attrs["perm"], x.ndim)
        if op.attrs["conjugate"] and x.dtype.kind == "c":
            x = da.conj(x)
        return da.transpose(x, perm)

    def host_value(op, arg, shape_of):
        v = arg(0)
        return np.transpose(v, _check_perm(op, op.attrs["perm"], v.ndim))


def _check_perm(op, perm, ndim):
    if perm is None:
        return tuple(reversed(_range(ndim)))
    if len(perm) != ndim:
        fail(op, f"transpose expects a vector of size {ndim}. But input(1) is a vector of size {len(perm)}")
    for p in perm:
        if not 0 <= p < ndim:
            fail(op, f"{p} is out of range [0 .. {ndim})")
    if sorted(perm) != list(_range(ndim)):
        fail(op, f"{list(perm)} is not a valid permutation of {ndim} dims")
    return tuple(perm)


def transpose(a, perm=None, name="transpose", conjugate=False):
    """``a`` with its dims permuted: output dim i is input dim ``perm[i]`` (default: dims reversed)."""
    x = convert_to_tensor(a)
    perm = _static_ints(perm, "perm", "transpose", allow_none=True)
    if isinstance(perm, int):
        perm = [perm]
    attrs = {"perm": None if perm is None else tuple(perm), "conjugate": bool(conjugate)}
    return apply1("Transpose", [x], attrs, name=name or "transpose")


# -- concat, stack, unstack, split

def _convert_all(values, what):
    values = list(values) if isinstance(values, (list, tuple)) else values
    if isinstance(values, Tensor) or not isinstance(values, list):
        raise TypeError(f"{what} expects a list of tensors, got {type(values).__name__}")
    if not values:
        raise ValueError(f"{what} expects a non-empty list of tensors")
    hint = next((_as_tensor(v).dtype for v in values if isinstance(_as_tensor(v), Tensor)), None)
    return [convert_to_tensor(v, dtype_hint=hint) for v in values]


@register("ConcatV2")
class ConcatV2:
    def infer(op):
        xs = op.inputs
        dt = same_dtype(op, *xs)
        known = [(i, x) for i, x in enumerate(xs) if x.shape.ndims is not None]
        if not known:
            return [(TensorShape(None), dt)]
        i0, x0 = known[0]
        rank = x0.shape.ndims
        if rank == 0:
            fail(op, "Can't concatenate scalars (use stack instead)")
        for i, x in known[1:]:
            if x.shape.ndims != rank:
                fail(op, f"Ranks of all input tensors should match: shape[{i0}] = {x0.shape} vs. shape[{i}] = "
                         f"{x.shape}")
        axis = normalize_axis(op, op.attrs["axis"], rank)[0]
        out = []
        for d in _range(rank):
            dims = [x.shape[d] for _, x in known]
            if d == axis:
                out.append(None if len(known) < len(xs) or None in dims else sum(dims))
                continue
            got = {v for v in dims if v is not None}
            if len(got) > 1:
                i, ref = next((i, x.shape[d]) for i, x in known if x.shape[d] is not None)
                j = next(j for j, x in known if x.shape[d] is not None and x.shape[d] != ref)
                fail(op, f"Dimensions of inputs should match: shape[{i}] = {xs[i].shape} vs. shape[{j}] = "
                         f"{xs[j].shape} (they differ in dim {d}; only dim {axis} may differ)")
            out.append(got.pop() if got else None)
        return [(out, dt)]

    def lower(op, *xs):
        axis = normalize_axis(op, op.attrs["axis"], xs[0].ndim)[0]
        return xs[0] if len(xs) == 1 else da.concatenate(xs, axis=axis)

    def host_value(op, arg, shape_of):
        vals = [arg(i) for i in _range(len(op.inputs))]
        return np.concatenate(vals, axis=op.attrs["axis"])


def concat(values, axis, name="concat"):
    """``values`` joined along the existing dim ``axis``; the other dims must match.

    Examples
    --------
    >>> import daskflow as df
    >>> df.concat([[[1, 2]], [[3, 4]]], 0).compute()
    array([[1, 2],
           [3, 4]], dtype=int32)
    """
    xs = _convert_all(values, "concat")
    return apply1("ConcatV2", xs, {"axis": _static_ints(axis, "axis", "concat")}, name=name or "concat")


@register("Pack")
class Pack:
    def infer(op):
        xs = op.inputs
        dt = same_dtype(op, *xs)
        shape = xs[0].shape
        for i, x in enumerate(xs[1:], 1):
            if not shape.is_compatible_with(x.shape):
                fail(op, f"Shapes of all inputs must match: values[0].shape = {xs[0].shape} != values[{i}].shape "
                         f"= {x.shape}")
            shape = shape.merge_with(x.shape)
        if shape.ndims is None:
            return [(TensorShape(None), dt)]
        axis = _pack_axis(op, shape.ndims)
        return [(list(shape[:axis]) + [len(xs)] + list(shape[axis:]), dt)]

    def lower(op, *xs):
        return da.stack(xs, axis=_pack_axis(op, xs[0].ndim))

    def host_value(op, arg, shape_of):
        vals = [arg(i) for i in _range(len(op.inputs))]
        dt = object if any(v.dtype == object for v in vals) else None
        return np.stack([np.asarray(v, dtype=dt) for v in vals], axis=_pack_axis(op, vals[0].ndim))


def _pack_axis(op, ndim):
    axis = op.attrs["axis"]
    if not -(ndim + 1) <= axis <= ndim:
        fail(op, f"axis = {axis} not in [{-(ndim + 1)}, {ndim + 1})")
    return axis % (ndim + 1)


def stack(values, axis=0, name="stack"):
    """``values`` (tensors of one shape) stacked along a new dim at ``axis`` (TF1 alias ``pack``)."""
    xs = _convert_all(values, "stack")
    return apply1("Pack", xs, {"axis": _static_ints(axis, "axis", "stack")}, name=name or "stack")


pack = stack


@register("Unpack")
class Unpack:
    def infer(op):
        x, num = op.inputs[0], op.attrs["num"]
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)] * num
        axis = normalize_axis(op, op.attrs["axis"], x.shape.ndims)[0]
        if x.shape[axis] is not None and x.shape[axis] != num:
            fail(op, f"Input shape axis {axis} must equal {num}, got shape {x.shape}")
        out = list(x.shape[:axis]) + list(x.shape[axis + 1:])
        return [(out, x.dtype)] * num

    def lower(op, x):
        axis = normalize_axis(op, op.attrs["axis"], x.ndim)[0]
        if x.shape[axis] != op.attrs["num"]:
            fail(op, f"Input shape axis {axis} must equal {op.attrs['num']}, got shape {x.shape}")
        return [x[(_FULL,) * axis + (i,)] for i in _range(op.attrs["num"])]

    def host_value(op, arg, shape_of):
        v = arg(0)
        axis = op.attrs["axis"] % v.ndim
        return [np.take(v, i, axis=axis) for i in _range(op.attrs["num"])]


def unstack(value, num=None, axis=0, name="unstack"):
    """The list of slices of ``value`` along ``axis``, that dim removed (TF1 alias ``unpack``)."""
    x = convert_to_tensor(value)
    axis = _static_ints(axis, "axis", "unstack")
    if num is None:
        if x.shape.ndims is None or not -x.shape.ndims <= axis < x.shape.ndims or x.shape[axis] is None:
            raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
        num = x.shape[axis]
    return apply("Unpack", [x], {"num": int(num), "axis": axis}, name=name or "unstack")


unpack = unstack


def _split_bounds(op, dim, sizes):
    """Start/stop of each piece along a dim of size ``dim`` (None unknown); sizes may hold one -1."""
    if sizes.count(-1) > 1:
        fail(op, f"size_splits {list(sizes)} may contain at most one -1")
    if any(s < -1 for s in sizes):
        fail(op, f"size_splits {list(sizes)} must be non-negative (or -1 once)")
    known = sum(s for s in sizes if s != -1)
    if dim is None:
        return None
    if (-1 in sizes and known > dim) or (-1 not in sizes and known != dim):
        fail(op, f"size_splits {list(sizes)} do not add up to dimension {op.attrs['axis']} of the input "
                 f"(size {dim}): they must sum to it exactly, or to at most it with a -1")
    sizes = [dim - known if s == -1 else s for s in sizes]
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    return list(zip(starts[:-1], starts[1:]))


def _even_sizes(op, dim, n):
    if dim is not None and dim % n:
        fail(op, f"Number of ways to split should evenly divide the split dimension, but got split_dim "
                 f"{op.attrs['axis']} (size = {dim}) and num_split {n}")
    return None if dim is None else [dim // n] * n


class _SplitBase:
    def lower(op, x):
        axis = normalize_axis(op, op.attrs["axis"], x.ndim)[0]
        dim = _known(x.shape)[axis]
        if dim is None:
            fail(op, "cannot split an array of unknown chunk sizes", errors.UnimplementedError)
        return [x[(_FULL,) * axis + (_slice(a, b),)] for a, b in _piece_bounds(op, dim)]

    def host_value(op, arg, shape_of):
        v = arg(0)
        axis = op.attrs["axis"] % v.ndim
        return [v[(_FULL,) * axis + (_slice(a, b),)] for a, b in _piece_bounds(op, v.shape[axis])]


def _piece_bounds(op, dim):
    if "num_split" in op.attrs:
        return _split_bounds(op, dim, _even_sizes(op, dim, op.attrs["num_split"]))
    return _split_bounds(op, dim, list(op.attrs["size_splits"]))


@register("Split")
class Split(_SplitBase):
    def infer(op):
        x = op.inputs[0]
        n = op.attrs["num_split"]
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)] * n
        axis = normalize_axis(op, op.attrs["axis"], x.shape.ndims)[0]
        sizes = _even_sizes(op, x.shape[axis], n)
        return [(list(x.shape[:axis]) + [None if sizes is None else sizes[0]] + list(x.shape[axis + 1:]),
                 x.dtype)] * n


@register("SplitV")
class SplitV(_SplitBase):
    def infer(op):
        x, sizes = op.inputs[0], list(op.attrs["size_splits"])
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)] * len(sizes)
        axis = normalize_axis(op, op.attrs["axis"], x.shape.ndims)[0]
        bounds = _split_bounds(op, x.shape[axis], sizes)
        out = []
        for k, s in enumerate(sizes):
            d = bounds[k][1] - bounds[k][0] if bounds else (None if s == -1 else s)
            out.append((list(x.shape[:axis]) + [d] + list(x.shape[axis + 1:]), x.dtype))
        return out


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """``value`` cut along ``axis`` into ``num_or_size_splits`` equal pieces (an int), or pieces of the given
    sizes (a list; one entry may be -1, meaning the rest). Returns a list of tensors."""
    x = convert_to_tensor(value)
    axis = _static_ints(axis, "axis", "split")
    sizes = _static_ints(num_or_size_splits, "num_or_size_splits", "split")
    if isinstance(sizes, int):
        if sizes <= 0:
            raise ValueError(f"num_split must be > 0, got {sizes}")
        return apply("Split", [x], {"num_split": sizes, "axis": axis}, name=name or "split")
    if not sizes:
        raise ValueError("size_splits must not be empty")
    if num is not None and num != len(sizes):
        raise ValueError(f"num={num} does not match the {len(sizes)} sizes in {sizes}")
    return apply("SplitV", [x], {"size_splits": tuple(sizes), "axis": axis}, name=name or "split")


# -- slicing

def _slice_spec(op, shape, begin, size):
    """Output dims and (when all known) python slices of ``slice(x, begin, size)``; entries may be None."""
    if shape is not None and begin is not None and len(begin) != len(shape) or \
            begin is not None and size is not None and len(begin) != len(size):
        fail(op, f"Expected begin and size arguments to be 1-D tensors of size {len(shape)}, but got shapes "
                 f"[{len(begin)}] and [{len(size)}] instead (input shape {_shape_str(shape)})")
    n = len(begin) if begin is not None else len(size) if size is not None else len(shape)
    out, slices = [], []
    for i in _range(n):
        d = shape[i] if shape is not None else None
        b = begin[i] if begin is not None else None
        s = size[i] if size is not None else None
        if b is not None and (b < 0 or d is not None and b > d):
            fail(op, f"Expected begin[{i}] in [0, {'?' if d is None else d}], but got {b} (input shape "
                     f"{_shape_str(shape)})")
        if s is not None and s < -1:
            fail(op, f"Expected size[{i}] >= -1, but got {s}")
        if s is not None and s >= 0 and b is not None and d is not None and b + s > d:
            fail(op, f"Expected size[{i}] in [0, {d - b}], but got {s} (input shape {_shape_str(shape)}, "
                     f"begin[{i}] = {b})")
        out.append((d - b if d is not None and b is not None else None) if s == -1 else s)
        slices.append(None if b is None or s is None else _slice(b, None if s == -1 else b + s))
    return out, slices


@register("Slice")
class Slice:
    def infer(op):
        x = op.inputs[0]
        begin, size = _host_vector(op, 1, "begin"), _host_vector(op, 2, "size")
        if begin is None and size is None and x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)]
        return [(_slice_spec(op, _static_shape_of(x), begin, size)[0], x.dtype)]

    def lower(op, x, *_):
        begin = _host_lowered(op, 1, "begin").tolist()
        size = _host_lowered(op, 2, "size").tolist()
        return x[tuple(_slice_spec(op, _known(x.shape), begin, size)[1])]

    def host_value(op, arg, shape_of):
        v = arg(0)
        return v[tuple(_slice_spec(op, v.shape, _ints(arg(1)), _ints(arg(2)))[1])]


def slice(input_, begin, size, name=None):
    """The block of ``input_`` starting at ``begin`` with ``size`` elements per dim (-1: to the end)."""
    x = convert_to_tensor(input_)
    return apply1("Slice", [x, _int_arg(begin, "begin"), _int_arg(size, "size")], name=name or "Slice")


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
                 f"{_shape_str(shape)}")
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
    """A numpy index tuple for ``entries`` on an array of known ``shape`` (bounds of ints checked)."""
    idx = []
    for e, pos, d in _walk_entries(op, shape, entries):
        if e == "full":
            idx.append(_FULL)
        elif e == "new":
            idx.append(None)
        elif e[0] == "int":
            _check_index(op, e[1], pos, d)
            idx.append(e[1])
        else:
            idx.append(_slice(*e[1:]))
    return tuple(idx)


def _strided_vectors(op, lowered):
    get = (lambda i, w: _host_lowered(op, i, w).tolist()) if lowered else (lambda i, w: _host_vector(op, i, w))
    vecs = [get(1, "begin"), get(2, "end"), get(3, "strides")]
    if any(v is None for v in vecs):
        return None
    if len({len(v) for v in vecs}) > 1:
        fail(op, "Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
                 f"[{len(vecs[0])}], [{len(vecs[1])}], and [{len(vecs[2])}] instead.")
    return _strided_entries(op, *vecs)


@register("StridedSlice")
class StridedSlice:
    def infer(op):
        x = op.inputs[0]
        entries = _strided_vectors(op, lowered=False)
        if entries is None:
            return [(TensorShape(None), x.dtype)]
        return [(_strided_shape(op, _static_shape_of(x), entries), x.dtype)]

    def lower(op, x, *_):
        entries = _strided_vectors(op, lowered=True)
        return x[_strided_index(op, _known(x.shape), entries)]

    def host_value(op, arg, shape_of):
        v = arg(0)
        vecs = [_ints(arg(i)) for i in (1, 2, 3)]
        return v[_strided_index(op, v.shape, _strided_entries(op, *vecs))]


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0, var=None, name=None):
    """``input_[begin:end:strides]`` per dim, with TF's masks: bit i of ``begin_mask``/``end_mask`` ignores
    ``begin[i]``/``end[i]``; of ``ellipsis_mask`` makes entry i an ``...``; of ``new_axis_mask`` a new dim of 1;
    of ``shrink_axis_mask`` an integer index ``begin[i]`` (the dim is removed)."""
    x = convert_to_tensor(input_)
    b, e = _int_arg(begin, "begin"), _int_arg(end, "end")
    if strides is None:
        n = b.shape[0] if b.shape.ndims == 1 else None
        if n is None:
            raise errors.UnimplementedError(None, b.op, "strided_slice: pass strides when begin's length is not "
                                                        "known statically")
        strides = [1] * n
    attrs = {"begin_mask": int(begin_mask), "end_mask": int(end_mask), "ellipsis_mask": int(ellipsis_mask),
             "new_axis_mask": int(new_axis_mask), "shrink_axis_mask": int(shrink_axis_mask)}
    return apply1("StridedSlice", [x, b, e, _int_arg(strides, "strides")], attrs, name=name or "StridedSlice")


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
        if _pymath.isnan(dim):
            fail(op, "cannot gather from an array of unknown chunk sizes", errors.UnimplementedError)
        idx = indices.map_blocks(_check_gather_indices, dim=int(dim), opname=op.name, dtype=indices.dtype,
                                 meta=backend.meta(indices, indices.dtype))
        flat = idx if idx.ndim == 1 else idx.reshape(-1)
        out = params[(_FULL,) * axis + (flat,)]
        if idx.ndim != 1:
            out = out.reshape(params.shape[:axis] + indices.shape + params.shape[axis + 1:])
        return out

    def host_value(op, arg, shape_of):
        v = arg(0)
        return np.take(v, _ints(arg(1)), axis=op.attrs["axis"] % v.ndim)


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Slices of ``params`` along ``axis`` at ``indices`` (an int tensor of any rank): the output shape is
    ``params.shape[:axis] + indices.shape + params.shape[axis + 1:]``. Indices out of range raise
    ``InvalidArgumentError`` (at build time when they are constants)."""
    if batch_dims:
        raise errors.UnimplementedError(None, None, "gather: batch_dims other than 0 is not supported")
    p = convert_to_tensor(params)
    idx = convert_to_tensor(indices)
    axis = 0 if axis is None else _static_ints(axis, "axis", "gather")
    return apply1("GatherV2", [p, idx], {"axis": axis}, name=name or "GatherV2")


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
        depth = _host_scalar(op, 1, "depth")
        if depth is not None and depth < 0:
            fail(op, f"depth must be non-negative, got {depth}")
        if indices.shape.ndims is None:
            return [(TensorShape(None), dt)]
        axis = _one_hot_axis(op, indices.shape.ndims)
        dims = list(indices.shape)
        return [(dims[:axis] + [depth] + dims[axis:], dt)]

    def lower(op, indices, _, on, off):
        depth = int(_host_lowered(op, 1, "depth"))
        if depth < 0:
            fail(op, f"depth must be non-negative, got {depth}")
        dt = op.outputs[0].dtype
        axis = _one_hot_axis(op, indices.ndim)
        biggest = _prod(max(c, default=1) for c in indices.chunks)
        per = max(1, config.get("chunk_bytes") // (dt.itemsize * max(1, biggest))) \
            if not _pymath.isnan(biggest) else depth
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
    given = [_as_tensor(v) for v in (on_value, off_value) if v is not None]
    if dtype is None:
        dtype = next((v.dtype for v in given if isinstance(v, Tensor)), None)
        if dtype is None and given:
            dtype = dtypes.infer_dtype(given[0])
        dtype = dtype if dtype is not None else dtypes.float32
    dtype = dtypes.as_dtype(dtype)
    on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype)
    off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype)
    axis = -1 if axis is None else _static_ints(axis, "axis", "one_hot")
    return apply1("OneHot", [idx, _int_arg(depth, "depth"), on, off], {"axis": axis}, name=name or "one_hot")


# -- expand_dims, squeeze, tile, pad, reverse

@register("ExpandDims")
class ExpandDims:
    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)]
        axis = _expand_axis(op, x.shape.ndims)
        dims = list(x.shape)
        return [(dims[:axis] + [1] + dims[axis:], x.dtype)]

    def lower(op, x):
        return da.expand_dims(x, _expand_axis(op, x.ndim))

    def host_value(op, arg, shape_of):
        v = arg(0)
        return np.expand_dims(v, _expand_axis(op, v.ndim))


def _expand_axis(op, ndim):
    axis = op.attrs["axis"]
    if not -(ndim + 1) <= axis <= ndim:
        fail(op, f"Tried to expand dim index {axis} for tensor with {ndim} dimensions.")
    return axis % (ndim + 1)


def expand_dims(input, axis=None, name=None, dim=None):
    """``input`` with a new dim of size 1 inserted at ``axis`` (``-1``: last; TF1's ``dim`` too)."""
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("expand_dims needs axis")
    x = convert_to_tensor(input)
    return apply1("ExpandDims", [x], {"axis": _static_ints(axis, "axis", "expand_dims")},
                  name=name or "ExpandDims")


def _squeeze_axes(op, shape):
    """The dims squeezed away; ``shape`` dims may be None at build time (assumed 1 when named)."""
    axis = op.attrs["axis"]
    if axis is None:
        return tuple(i for i, d in enumerate(shape) if d == 1)
    axes = normalize_axis(op, list(axis), len(shape)) if axis else ()
    for a in axes:
        if shape[a] is not None and shape[a] != 1:
            fail(op, f"Can not squeeze dim[{a}], expected a dimension of 1, got {shape[a]} (shape "
                     f"{_shape_str(shape)})")
    return axes


@register("Squeeze")
class Squeeze:
    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims is None or (op.attrs["axis"] is None and None in x.shape):
            return [(TensorShape(None), x.dtype)]
        axes = _squeeze_axes(op, tuple(x.shape))
        return [([d for i, d in enumerate(x.shape) if i not in axes], x.dtype)]

    def lower(op, x):
        axes = _squeeze_axes(op, _known(x.shape))
        return da.squeeze(x, axis=axes) if axes else x

    def host_value(op, arg, shape_of):
        v = arg(0)
        return np.squeeze(v, axis=_squeeze_axes(op, v.shape))


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    """``input`` without its dims of size 1 (only those in ``axis`` when given; TF1's ``squeeze_dims`` too)."""
    if axis is None:
        axis = squeeze_dims
    x = convert_to_tensor(input)
    axis = _static_ints(axis, "axis", "squeeze", allow_none=True)
    if isinstance(axis, int):
        axis = [axis]
    return apply1("Squeeze", [x], {"axis": None if axis is None or not axis else tuple(axis)},
                  name=name or "Squeeze")


def _tile_dims(op, shape, multiples):
    if shape is not None and len(multiples) != len(shape):
        fail(op, f"Expected multiples argument to be a vector of length {len(shape)} but got length "
                 f"{len(multiples)} (input shape {_shape_str(shape)})")
    for i, m in enumerate(multiples):
        if m is not None and m < 0:
            fail(op, f"Expected multiples[{i}] >= 0, but got {m}")
    if shape is None:
        return [0 if m == 0 else None for m in multiples]
    return [0 if m == 0 or d == 0 else None if m is None or d is None else d * m for d, m in zip(shape, multiples)]


@register("Tile")
class Tile:
    def infer(op):
        x = op.inputs[0]
        multiples = _host_vector(op, 1, "multiples")
        if multiples is None:
            return [(TensorShape(None) if x.shape.ndims is None else [None] * x.shape.ndims, x.dtype)]
        return [(_tile_dims(op, _static_shape_of(x), multiples), x.dtype)]

    def lower(op, x, _):
        multiples = _host_lowered(op, 1, "multiples").tolist()
        _tile_dims(op, _known(x.shape), multiples)
        return da.tile(x, multiples) if x.ndim else x

    def host_value(op, arg, shape_of):
        v, multiples = arg(0), _ints(arg(1))
        if _prod(_tile_dims(op, v.shape, multiples)) > _HOST_MAX_ELEMS:
            raise _Unknown()
        return np.tile(v, multiples)


def tile(input, multiples, name=None):
    """``input`` repeated ``multiples[i]`` times along each dim i."""
    x = convert_to_tensor(input)
    return apply1("Tile", [x, _int_arg(multiples, "multiples")], name=name or "Tile")


def _pad_dims(op, shape, paddings, mode=None):
    """Output dims of padding ``shape`` with ``paddings`` (rows of [before, after]; entries may be None)."""
    if shape is not None and len(paddings) != len(shape):
        fail(op, f"paddings must be a matrix of shape [{len(shape)}, 2] for an input of shape "
                 f"{_shape_str(shape)}, got {len(paddings)} rows")
    out = []
    for i, row in enumerate(paddings):
        b, a = row
        d = shape[i] if shape is not None else None
        if (b is not None and b < 0) or (a is not None and a < 0):
            fail(op, f"paddings must be non-negative, got [{b}, {a}] for dim {i}")
        if mode is not None and d is not None:
            limit = d - 1 if mode == "REFLECT" else d
            for p in (b, a):
                if p is not None and p > limit:
                    fail(op, f"paddings must be {'less than' if mode == 'REFLECT' else 'no greater than'} the "
                             f"dimension size for mode {mode}: {b}, {a} vs. size {d} of dim {i}")
        out.append(None if None in (b, a, d) else d + b + a)
    return out


def _host_paddings(op):
    t = op.inputs[1]
    _check_int_input(op, 1, "paddings", 2)
    if t.shape.ndims == 2 and t.shape[1] is not None and t.shape[1] != 2:
        fail(op, f"paddings must have 2 columns, got shape {t.shape}")
    v = _host_partial(op, 1, "paddings")
    if v is None:
        return None
    return [[None if e is None else int(e) for e in row] for row in v.tolist()]


class _PadBase:
    def infer(op):
        x = op.inputs[0]
        paddings = _host_paddings(op)
        if paddings is None:
            return [(TensorShape(None) if x.shape.ndims is None else [None] * x.shape.ndims, x.dtype)]
        return [(_pad_dims(op, _static_shape_of(x), paddings, op.attrs.get("mode")), x.dtype)]


@register("PadV2")
class PadV2(_PadBase):
    def infer(op):
        value = op.inputs[2]
        same_dtype(op, op.inputs[0], value)
        if value.shape.ndims is not None and value.shape.ndims != 0:
            fail(op, f"constant_values must be a scalar, got '{value.name}' of shape {value.shape}")
        return _PadBase.infer(op)

    def lower(op, x, _, value):
        paddings = _host_lowered(op, 1, "paddings").tolist()
        _pad_dims(op, _known(x.shape), paddings)
        for ax, (before, after) in enumerate(paddings):
            parts = [_pad_block(x, ax, before, value), x, _pad_block(x, ax, after, value)]
            parts = [p for p in parts if p is not None]
            if len(parts) > 1:
                x = da.concatenate(parts, axis=ax)
        return x


def _pad_block(x, ax, width, value):
    if not width:
        return None
    shape = x.shape[:ax] + (width,) + x.shape[ax + 1:]
    biggest = _prod(max(c, default=1) for i, c in enumerate(x.chunks) if i != ax)
    per = max(1, config.get("chunk_bytes") // (x.dtype.itemsize * max(1, biggest)))
    chunks = x.chunks[:ax] + (da.core.normalize_chunks((per,), (width,))[0],) + x.chunks[ax + 1:]
    return _filled(value, shape, chunks, x.dtype)


@register("MirrorPad")
class MirrorPad(_PadBase):
    def lower(op, x, _):
        paddings = _host_lowered(op, 1, "paddings").tolist()
        _pad_dims(op, _known(x.shape), paddings, op.attrs["mode"])
        if not any(b or a for b, a in paddings):
            return x
        return da.pad(x, [tuple(p) for p in paddings], mode=op.attrs["mode"].lower())


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """``tensor`` padded by ``paddings[i] = [before, after]`` elements along each dim i. ``mode`` is
    "CONSTANT" (with ``constant_values``), "REFLECT" (mirror without the edge) or "SYMMETRIC" (with it)."""
    x = convert_to_tensor(tensor)
    p = _int_arg(paddings, "paddings")
    mode = str(mode).upper()
    if mode == "CONSTANT":
        value = convert_to_tensor(constant_values, dtype_hint=x.dtype)
        return apply1("PadV2", [x, p, value], name=name or "Pad")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Unknown padding mode: {mode}")
    return apply1("MirrorPad", [x, p], {"mode": mode}, name=name or "MirrorPad")


@register("ReverseV2")
class ReverseV2:
    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims is not None:
            normalize_axis(op, list(op.attrs["axis"]), x.shape.ndims)
        return [(x.shape, x.dtype)]

    def lower(op, x):
        axes = normalize_axis(op, list(op.attrs["axis"]), x.ndim) if op.attrs["axis"] else ()
        return x[tuple(_slice(None, None, -1) if i in axes else _FULL for i in _range(x.ndim))] if axes else x

    def host_value(op, arg, shape_of):
        v = arg(0)
        return np.flip(v, axis=tuple(a % v.ndim for a in op.attrs["axis"])) if op.attrs["axis"] else v


def reverse(tensor, axis, name=None):
    """``tensor`` with the order of elements reversed along each dim in ``axis`` (TF1 alias ``reverse_v2``)."""
    x = convert_to_tensor(tensor)
    axis = _static_ints(axis, "axis", "reverse")
    axis = [axis] if isinstance(axis, int) else axis
    return apply1("ReverseV2", [x], {"axis": tuple(axis)}, name=name or "ReverseV2")


reverse_v2 = reverse


# -- generated tensors

def _check_dims(op, dims, what="dims"):
    for i, d in enumerate(dims):
        if d is not None and d < 0:
            fail(op, f"{what}[{i}] must be non-negative, got {d} (requested shape {_shape_str(dims)})")
    return dims


@register("Fill")
class Fill:
    def infer(op):
        value = op.inputs[1]
        if value.shape.ndims is not None and value.shape.ndims != 0:
            fail(op, f"value must be a scalar, got '{value.name}' of shape {value.shape}")
        dims = _host_vector(op, 0, "dims")
        return [(TensorShape(None) if dims is None else _check_dims(op, dims), value.dtype)]

    def lower(op, _, value):
        dims = _check_dims(op, _host_lowered(op, 0, "dims").tolist())
        return _filled(value, dims, _gen_chunks(dims, value.dtype), value.dtype)

    def host_value(op, arg, shape_of):
        dims, v = _ints(arg(0)), arg(1)
        if _prod(dims) > _HOST_MAX_ELEMS:
            raise _Unknown()
        return np.full(dims, v[()], dtype=object if v.dtype == object else v.dtype)


def fill(dims, value, name=None):
    """A tensor of shape ``dims`` with every element ``value`` (a scalar).

    Examples
    --------
    >>> import daskflow as df
    >>> df.fill([2, 2], 7).compute()
    array([[7, 7],
           [7, 7]], dtype=int32)
    """
    return apply1("Fill", [_int_arg(dims, "dims"), convert_to_tensor(value)], name=name or "Fill")


def zeros(shape, dtype=dtypes.float32, name=None):
    """A tensor of ``shape`` filled with zeros of ``dtype`` (float32 by default)."""
    dtype = dtypes.as_dtype(dtype)
    return apply1("Fill", [_int_arg(shape, "shape"), constant(np.zeros((), dtype), name="zeros_value")],
                  name=name or "zeros")


def ones(shape, dtype=dtypes.float32, name=None):
    """A tensor of ``shape`` filled with ones of ``dtype`` (float32 by default)."""
    dtype = dtypes.as_dtype(dtype)
    return apply1("Fill", [_int_arg(shape, "shape"), constant(np.ones((), dtype), name="ones_value")],
                  name=name or "ones")


def _like_block(b, value, out_dtype):
    return backend.xp(b).full(b.shape, value, dtype=out_dtype)


def _like_op(fill_value):
    class _Like:
        grad = NOT_DIFFERENTIABLE

        def infer(op):
            return [(op.inputs[0].shape, op.attrs["dtype"])]

        def lower(op, x):
            dt = op.attrs["dtype"]
            if any(_pymath.isnan(d) for d in x.shape):  # unknown chunk sizes: follow x block by block
                return x.map_blocks(_like_block, value=fill_value, out_dtype=dt, dtype=dt, meta=backend.meta(x, dt))
            return da.full_like(x, fill_value, dtype=dt)

        def host_value(op, arg, shape_of):
            dims = shape_of(op.inputs[0])
            if dims is None or None in dims or _prod(dims) > _HOST_MAX_ELEMS:
                raise _Unknown()
            return np.full(dims, fill_value, dtype=op.attrs["dtype"])
    return _Like


register("ZerosLike")(_like_op(0))
register("OnesLike")(_like_op(1))


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """Zeros with the shape of ``tensor``, of its dtype or ``dtype``."""
    x = convert_to_tensor(tensor)
    return apply1("ZerosLike", [x], {"dtype": dtypes.as_dtype(dtype or x.dtype)}, name=name or "zeros_like")


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """Ones with the shape of ``tensor``, of its dtype or ``dtype``."""
    x = convert_to_tensor(tensor)
    return apply1("OnesLike", [x], {"dtype": dtypes.as_dtype(dtype or x.dtype)}, name=name or "ones_like")


def _range_size(op, start, limit, delta):
    if delta == 0:
        fail(op, f"Requires delta != 0: {delta}")
    if delta > 0 and start > limit:
        fail(op, f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        fail(op, f"Requires start >= limit when delta < 0: {start}/{limit}")
    if isinstance(start, int) and isinstance(limit, int) and isinstance(delta, int):
        return (abs(limit - start) + abs(delta) - 1) // abs(delta)
    return int(_pymath.ceil(abs((limit - start) / delta)))


def _range_block(i, start, delta, out_dtype):
    if out_dtype.kind == "f":  # each value from its own index: the same numbers whatever the chunking
        return (start + i.astype("float64") * delta).astype(out_dtype)
    return (start + i * delta).astype(out_dtype)


@register("Range")
class Range:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        dt = same_dtype(op, *op.inputs)
        if dt.kind not in "iuf":
            fail(op, f"range needs integer or float arguments, got dtype {dt.name}")
        vals = [_host_scalar(op, i, w, "iuf") for i, w in enumerate(("start", "limit", "delta"))]
        return [((None if None in vals else _range_size(op, *vals),), dt)]

    def lower(op, *_):
        dt = op.outputs[0].dtype
        start, limit, delta = (_host_lowered(op, i, w).item() for i, w in enumerate(("start", "limit", "delta")))
        n = _range_size(op, start, limit, delta)
        base = da.arange(n, chunks=_gen_chunks((n,), dt), dtype=np.int64)
        return base.map_blocks(_range_block, start=start, delta=delta, out_dtype=dt, dtype=dt,
                               meta=backend.meta(base, dt))

    def host_value(op, arg, shape_of):
        start, limit, delta = (np.asarray(arg(i)).item() for i in _range(3))
        if None in (start, limit, delta) or _range_size(op, start, limit, delta) > _HOST_MAX_ELEMS:
            raise _Unknown()
        n = _range_size(op, start, limit, delta)
        return _range_block(np.arange(n), start, delta, op.outputs[0].dtype)


_RANGE_ORDER = [dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64]


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """The numbers ``start, start + delta, ...`` up to but excluding ``limit`` (``range(n)`` counts from 0).

    Without ``dtype`` the result takes the widest of the arguments' dtypes in int32 < int64 < float32 <
    float64, python ints being int32 and floats float32, as TF's ``range``.
    """
    if limit is None:
        start, limit = 0, start
    args = [_as_tensor(a) for a in (start, limit, delta)]
    if dtype is None:
        kinds = [a.dtype if isinstance(a, Tensor) else dtypes.infer_dtype(a) for a in args]
        dtype = max(kinds, key=lambda d: _RANGE_ORDER.index(d) if d in _RANGE_ORDER else len(_RANGE_ORDER))
    dtype = dtypes.as_dtype(dtype)
    ts = []
    for a, what in zip(args, ("start", "limit", "delta")):
        if isinstance(a, Tensor):
            if a.dtype != dtype:
                from .math import cast
                a = cast(a, dtype)
            ts.append(a)
        else:
            ts.append(constant(np.asarray(a).astype(dtype), name=what))
    return apply1("Range", ts, name=name or "range")


def _linspace_block(i, start, stop, num, out_dtype):
    m = backend.xp(i)
    start, stop = m.asarray(start, dtype="float64"), m.asarray(stop, dtype="float64")
    step = (stop - start) / (num - 1) if num > 1 else stop * 0
    vals = start + i.astype("float64") * step
    return m.where((i == num - 1) & (num > 1), stop, vals).astype(out_dtype)


@register("LinSpace")
class LinSpace:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        start, stop, _ = op.inputs
        dt = same_dtype(op, start, stop)
        if dt.kind != "f":
            fail(op, f"start and stop must be float32 or float64, got {dt.name}")
        for t in (start, stop):
            if t.shape.ndims is not None and t.shape.ndims != 0:
                fail(op, f"start and stop must be scalars, got '{t.name}' of shape {t.shape}")
        num = _host_scalar(op, 2, "num")
        if num is not None and num <= 0:
            fail(op, f"Requires num > 0: {num}")
        return [((num,), dt)]

    def lower(op, start, stop, _):
        num = int(_host_lowered(op, 2, "num"))
        if num <= 0:
            fail(op, f"Requires num > 0: {num}")
        dt = op.outputs[0].dtype
        i = da.arange(num, chunks=_gen_chunks((num,), dt), dtype=np.int64)
        return da.blockwise(_linspace_block, "i", i, "i", start, "", stop, "", num=num, out_dtype=dt, dtype=dt,
                            meta=backend.meta(i, dt))


def linspace(start, stop, num, name=None):
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (TF1 alias ``lin_space``)."""
    s = convert_to_tensor(start, dtype_hint=dtypes.float32)
    e = convert_to_tensor(stop, dtype_hint=s.dtype)
    return apply1("LinSpace", [s, e, _int_arg(num, "num")], name=name or "LinSpace")


lin_space = linspace


# -- shape queries

def _const_array(value, name):
    return da.from_array(value, chunks=value.shape or (), name=name)


def _block_dim(b, axis):
    return backend.xp(b).full((1,) * b.ndim, b.shape[axis], dtype="int64")


def _dyn_dim(x, axis):
    """A 0-d int64 dask array: the length of ``x`` along ``axis`` when its chunk sizes are unknown."""
    sizes = x.map_blocks(_block_dim, axis=axis, chunks=tuple((1,) * n for n in x.numblocks), dtype=np.int64,
                         meta=backend.meta(x, np.int64))
    return sizes[tuple(_FULL if i == axis else 0 for i in _range(x.ndim))].sum(dtype=np.int64)


def _dims_array(x):
    """x's dims as a list of python ints (known) and 0-d dask arrays (unknown chunk sizes)."""
    return [int(d) if not _pymath.isnan(d) else _dyn_dim(x, i) for i, d in enumerate(x.shape)]


def _check_out_type(op):
    if op.attrs["out_type"] not in (dtypes.int32, dtypes.int64):
        fail(op, f"out_type must be int32 or int64, got {op.attrs['out_type'].name}")
    return op.attrs["out_type"]


@register("Shape")
class Shape:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        return [((x.shape.ndims,), _check_out_type(op))]

    def lower(op, x):
        dt = op.attrs["out_type"]
        dims = _dims_array(x)
        if all(isinstance(d, int) for d in dims):
            return _const_array(np.array(dims, dtype=dt), f"shape-{op.name}-{_shape_str(dims)}")
        parts = [da.from_array(np.array(d, np.int64)) if isinstance(d, int) else d for d in dims]
        return da.stack(parts).astype(dt)

    def host_value(op, arg, shape_of):
        dims = shape_of(op.inputs[0])
        if dims is None:
            raise _Unknown()
        return np.array(dims, dtype=object) if None in dims else np.array(dims, dtype=op.attrs["out_type"])


def shape(input, name=None, out_type=dtypes.int32):
    """The shape of ``input`` as a 1-D int tensor (known when built if the static shape is fully defined)."""
    x = convert_to_tensor(input)
    return apply1("Shape", [x], {"out_type": dtypes.as_dtype(out_type)}, name=name or "Shape")


@register("Rank")
class Rank:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.int32)]

    def lower(op, x):
        return _const_array(np.array(x.ndim, dtype=np.int32), f"rank-{op.name}-{x.ndim}")

    def host_value(op, arg, shape_of):
        dims = shape_of(op.inputs[0])
        if dims is None:
            raise _Unknown()
        return np.array(len(dims), dtype=np.int32)


def rank(input, name=None):
    """The number of dims of ``input`` as a 0-d int32 tensor."""
    return apply1("Rank", [convert_to_tensor(input)], name=name or "Rank")


@register("Size")
class Size:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), _check_out_type(op))]

    def lower(op, x):
        dt = op.attrs["out_type"]
        dims = _dims_array(x)
        if all(isinstance(d, int) for d in dims):
            n = _prod(dims)
            return _const_array(np.array(n, dtype=dt), f"size-{op.name}-{n}")
        total = da.from_array(np.array(1, np.int64))
        for d in dims:
            total = total * d
        return total.astype(dt)

    def host_value(op, arg, shape_of):
        dims = shape_of(op.inputs[0])
        if dims is None:
            raise _Unknown()
        return np.array(None if None in dims else _prod(dims), dtype=object if None in dims else
                        op.attrs["out_type"])


def size(input, name=None, out_type=dtypes.int32):
    """The number of elements of ``input`` as a 0-d int tensor."""
    x = convert_to_tensor(input)
    return apply1("Size", [x], {"out_type": dtypes.as_dtype(out_type)}, name=name or "Size")


# -- broadcast_to

def _broadcast_dims(op, shape, target):
    if shape is None:
        return list(target)
    if len(shape) > len(target):
        fail(op, f"Rank of input ({len(shape)}) must be no greater than rank of output shape ({len(target)}): "
                 f"{_shape_str(shape)} vs. {_shape_str(target)}")
    lead = len(target) - len(shape)
    out = list(target[:lead])
    for d, t in zip(shape, target[lead:]):
        if d is not None and t is not None and d != t and d != 1:
            fail(op, f"Incompatible shapes: {_shape_str(shape)} vs. {_shape_str(target)}")
        out.append(t if t is not None else (d if d is not None and d != 1 else None))
    return out


@register("BroadcastTo")
class BroadcastTo:
    def infer(op):
        x = op.inputs[0]
        target = _host_vector(op, 1, "shape")
        if target is None:
            return [(TensorShape(None), x.dtype)]
        _check_dims(op, target, "shape")
        return [(_broadcast_dims(op, _static_shape_of(x), target), x.dtype)]

    def lower(op, x, _):
        target = _check_dims(op, _host_lowered(op, 1, "shape").tolist(), "shape")
        _broadcast_dims(op, _known(x.shape), target)
        if tuple(target) == x.shape:
            return x
        lead = len(target) - x.ndim
        spread = [i for i, t in enumerate(target) if i < lead or x.shape[i - lead] != t]
        kept = [max(x.chunks[i - lead], default=1) for i in _range(len(target)) if i not in spread]
        budget = max(1, config.get("chunk_bytes") // (x.dtype.itemsize * max(1, _prod(kept))))
        spread_chunks = iter(_split_chunks([target[i] for i in spread], budget))
        chunks = tuple(next(spread_chunks) if i in spread else x.chunks[i - lead] for i in _range(len(target)))
        b = da.broadcast_to(x, tuple(target), chunks=chunks)
        return b.map_blocks(_copy_block, dtype=x.dtype, meta=backend.meta(x, x.dtype, ndim=len(target)))

    def host_value(op, arg, shape_of):
        v, target = arg(0), _ints(arg(1))
        if _prod(target) > _HOST_MAX_ELEMS:
            raise _Unknown()
        return np.broadcast_to(v, target).copy()


def broadcast_to(input, shape, name=None):
    """``input`` broadcast (numpy's rules) to ``shape``."""
    x = convert_to_tensor(input)
    return apply1("BroadcastTo", [x, _int_arg(shape, "shape")], name=name or "BroadcastTo")


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
    k = _as_tensor(k)
    if isinstance(k, Tensor):
        if k.dtype.kind not in "iu":
            raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), newaxis (`None`) and integer tensors "
                            f"are valid indices, got tensor '{k.name}' of dtype {k.dtype.name}")
        if k.shape.ndims == 0 and _host_known(k):
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


def _host_known(t):
    try:
        _evaluate(t, _static_shape_of)
        return True
    except _NotHost:
        return False


def _index_value(v):
    v = _as_tensor(v)
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
            if k.step is not None and not isinstance(_as_tensor(k.step), Tensor) and int(k.step) == 0:
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
    idx = _as_tensor(key[g])
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
    """Negative constant indices count from the end, as in numpy (gather itself rejects them, as TF)."""
    v = constant_value(idx)
    if v is None or not v.size or v.min() >= 0 or x.shape.ndims is None or x.shape[axis] is None:
        return idx
    return constant(np.where(v < 0, v + x.shape[axis], v).astype(idx.dtype), name="indices")
