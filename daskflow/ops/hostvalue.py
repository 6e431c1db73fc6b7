"""Shape-valued arguments: small int tensors (reshape's ``shape``, fill's ``dims``, slice bounds, paddings...) that
ops take as inputs, as in TF, and evaluate on the host.

They are evaluated at build time from constants and static shapes (``get_static_value``), and at lowering time
from the actual shapes of the dask arrays, so ``reshape(x, [shape(x)[0], -1])`` works when the batch size is only
known at run time. A shape argument that depends on run-time data (a fed or computed value: ``range(n)`` with ``n``
a placeholder) leaves the output's static shape unknown; its lowering raises ``NeedsValue``, and the Session
computes that argument when it makes the plan, which it then keys by the value (``Lowering.known``).

The evaluator is generic over the registry: an op takes part by declaring one of two optional hooks.

- ``host(op, *values)``: the op's output (a list for several outputs) from its inputs' host values, numpy arrays
  that may be object arrays with None where an entry is unknown (a dim known only at run time).
- ``host_from_shapes(op, *shapes)``: the output from the inputs' shapes (tuples with None for unknown dims), for
  ops whose value never depends on their inputs' data (``shape``, ``zeros_like``).

A hook returns None (or raises ``Unknown``) when the value cannot be known here, e.g. when it would be large.
"""
import math

import numpy as np

from .. import errors
from ..graph import Tensor
from .registry import NOT_DIFFERENTIABLE, OPS, fail

__all__ = ["get_static_value"]

HOST_MAX_ELEMS = 1 << 16  # host evaluation never materialises more than this (it serves shapes, not data)


class Unknown(Exception):
    """Raised by a hook: part of the value is unknown here, so the result is unknown, shape included."""


class NeedsValue(errors.UnimplementedError):
    """Raised by lowering: ``tensor``, an input some op needs on the host (a shape argument), depends on run-time
    data. The Session computes it first and plans again with its value known."""

    def __init__(self, op, tensor, message):
        super().__init__(None, op, message)
        self.tensor = tensor
        self.tensors = [tensor]  # with the others found in the same lowering (independent of one another)


class NotHost(Exception):
    """The tensor's value depends on run-time data, not only on constants and shapes."""

    def __init__(self, tensor, why):
        super().__init__(why)
        self.tensor, self.why = tensor, why


def evaluate(t, shape_of, fed=(), known=None, data_unknown=False):
    """``t``'s value as a numpy array (object dtype with None where a dim is unknown), or None when even its
    shape is unknown. ``shape_of(tensor)`` gives a tuple of dims (None unknown) or None for unknown rank;
    ``known`` maps tensors to values already computed for the run (fed tensors not in it are not known here).
    A value that depends on run-time data raises ``NotHost``, or with ``data_unknown`` is unknown (None entries),
    so that ``stack([n, 3])`` with ``n`` fed is ``[None, 3]``."""
    memo = {}

    def value(u):
        if u in memo:
            return memo[u]
        if known and u in known:
            return np.asarray(known[u])
        op, opdef = u.op, OPS.get(u.op.type)
        from_shapes, host = getattr(opdef, "host_from_shapes", None), getattr(opdef, "host", None)
        if u in fed or (from_shapes is None and host is None):
            if data_unknown:
                memo[u] = _unknown(u)
                return memo[u]
            raise NotHost(u, "is fed at run time" if u in fed else f"is computed by a {op.type} op from run-time data")
        args = [shape_of(x) for x in op.inputs] if from_shapes else [value(x) for x in op.inputs]
        v = None
        if all(a is not None for a in args):
            try:
                v = (from_shapes or host)(op, *args)
            except Unknown:
                pass
            if v is not None and len(op.outputs) > 1:
                v = v[u.value_index]
        v = _unknown(u) if v is None else np.asarray(v, dtype=object if is_partial(v) else u.dtype)
        memo[u] = v
        return v

    return value(t)


def _unknown(t):
    """A value of ``t`` with every entry unknown, or None when its shape is not fully known or is large."""
    if t.shape.is_fully_defined() and t.shape.num_elements() <= HOST_MAX_ELEMS:
        return np.full(tuple(t.shape), None, dtype=object)
    return None


def is_partial(v):
    v = np.asarray(v)
    return v.dtype == object and any(e is None for e in v.flat)


def static_shape_of(t):
    return None if t.shape.ndims is None else tuple(t.shape)


def known_dims(dask_shape):
    """A dask array's shape with None for unknown (nan) dims."""
    return tuple(None if math.isnan(d) else int(d) for d in dask_shape)


def lowered_shape_of(t):
    from ..lowering import current
    if t.shape.is_fully_defined():
        return tuple(t.shape)
    return known_dims(current().value(t).shape)


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
        v = evaluate(tensor, static_shape_of)
    except NotHost:
        return None
    if v is None or (is_partial(v) and not partial):
        return None
    if v.dtype == object and not is_partial(v):
        v = np.asarray(v.tolist(), dtype=tensor.dtype)
    return v


get_static_value = constant_value


def is_host_known(t):
    """Whether ``t`` is computed from constants and shapes only (its value may still hold unknown dims)."""
    try:
        evaluate(t, static_shape_of)
        return True
    except NotHost:
        return False


# -- hooks shared by op families

def host_elementwise(fn):
    """A ``host`` hook applying ``fn`` to python numbers entry by entry (unknown entries stay unknown)."""
    def host(op, *values):
        f = np.frompyfunc(lambda *a: None if any(e is None for e in a) else fn(*a), len(values), 1)
        try:
            return np.array(f(*[np.asarray(v.tolist(), dtype=object) for v in values]), dtype=object)
        except ArithmeticError:  # e.g. a division by zero: left to fail when the graph runs
            return None
    return host


# -- reading shape arguments inside ``infer`` and ``lower``

def host_partial(op, i, what):
    """Build time: input ``i`` of ``op`` evaluated on the host (None entries unknown; None if unknown shape). A
    value that depends on run-time data is unknown here: all its entries are None."""
    return evaluate(op.inputs[i], static_shape_of, data_unknown=True)


def host_lowered(op, i, what):
    """Lowering time: input ``i`` of ``op`` from constants, the actual shapes of the dask arrays and the values
    the run computed first (``Lowering.known``); raises ``NeedsValue`` for a value that depends on run-time data
    and is not known yet."""
    from ..lowering import current
    t, low = op.inputs[i], current()
    try:
        v = evaluate(t, lowered_shape_of, low.fed, low.known)
    except NotHost as e:
        raise NeedsValue(op, t, f"{op.type} needs its {what} ('{t.name}') when the plan is made, but "
                                f"'{e.tensor.name}' {e.why} [op '{op.name}' (type {op.type}) built at "
                                f"{op.where()}]") from None
    if v is None or is_partial(v):
        fail(op, f"{op.type} needs its {what} ('{t.name}'), which depends on a dimension whose size is only "
                 "known after computing (unknown chunk sizes)", errors.UnimplementedError)
    return np.asarray(v.tolist(), dtype=t.dtype)


def ints(v):
    """A host value as python ints (nested lists for matrices); raises Unknown on unknown entries."""
    if is_partial(v):
        raise Unknown()
    return np.asarray(v).astype(np.int64).tolist()


def check_int_input(op, i, what, ndim):
    t = op.inputs[i]
    if t.dtype.kind not in "iu":
        fail(op, f"{what} must be an int32 or int64 tensor, got '{t.name}' of dtype {t.dtype.name}")
    if t.shape.ndims is not None and t.shape.ndims != ndim:
        kind = {0: "a scalar", 1: "a vector", 2: "a matrix"}[ndim]
        fail(op, f"{what} must be {kind}, got '{t.name}' of shape {t.shape}")


def host_vector(op, i, what):
    """Build time: an int vector input as a tuple of ints/None, or None when its length is unknown."""
    check_int_input(op, i, what, 1)
    v = host_partial(op, i, what)
    return None if v is None else tuple(None if e is None else int(e) for e in np.asarray(v).tolist())


def host_scalar(op, i, what, kinds="iu"):
    t = op.inputs[i]
    if t.dtype.kind not in kinds:
        fail(op, f"{what} must be {'an integer' if kinds == 'iu' else 'a number'}, got '{t.name}' of dtype "
                 f"{t.dtype.name}")
    if t.shape.ndims is not None and t.shape.ndims != 0:
        fail(op, f"{what} must be a scalar, got '{t.name}' of shape {t.shape}")
    v = host_partial(op, i, what)
    if v is None or v.ndim or v[()] is None:
        return None
    return v[()].item() if hasattr(v[()], "item") else v[()]


def known_rank(op, x, what):
    """``x``'s rank, which ``what`` (e.g. a gradient rule) needs to know when the graph is built."""
    if x.shape.ndims is None:
        fail(op, f"{what} needs '{x.name}' to have a known rank, but its shape is unknown", errors.UnimplementedError)
    return x.shape.ndims


def check_dims(op, dims, what="dims"):
    for i, d in enumerate(dims):
        if d is not None and d < 0:
            fail(op, f"{what}[{i}] must be non-negative, got {d} (requested shape {shape_str(dims)})")
    return dims


def shape_str(dims):
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


# -- building shape arguments from python values and tensors

def as_tensor(x):
    return x._as_tensor() if hasattr(x, "_as_tensor") else x


def has_tensor(value):
    if isinstance(as_tensor(value), Tensor):
        return True
    return isinstance(value, (list, tuple)) and any(has_tensor(v) for v in value)


def int_arg(value, name):
    """A shape-like argument as an int tensor: tensors pass through, python values become int32 constants (int64
    when out of int32 range), lists holding tensors are stacked (python ints take the tensors' dtype)."""
    from .state import constant
    value = as_tensor(value)
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple)) and has_tensor(value):
        return _int_element(value, _stack_int_dtype(value), name)
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
        v = as_tensor(v)
        if isinstance(v, (list, tuple)):
            for e in v:
                walk(e)
        else:
            flat.append(v)
    walk(value)
    return np.dtype(np.int64) if any(isinstance(v, Tensor) and v.dtype == np.int64 for v in flat) \
        else np.dtype(np.int32)


def _int_element(v, dt, name):
    from .array import stack
    from .state import constant
    v = as_tensor(v)
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


def static_ints(value, what, fn_name, allow_none=False):
    """A static int or list of ints from python values or tensors known at build time."""
    if value is None and allow_none:
        return None
    v = as_tensor(value)
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



class HostRunOp:
    """Base of op types whose work is done on the host before the run (``OpDef.host_run``), their outputs given to
    the run as feeds: stateful, may hold strings, no gradient; lowering them has nothing left to do."""
    stateful = True
    strings = True
    grad = NOT_DIFFERENTIABLE

    def lower(op, *xs):
        if not op.outputs:
            return []
        fail(op, "its value is given by the Session before the run", errors.InternalError)
