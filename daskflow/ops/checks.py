"""Clipping by norm (clip_by_norm, clip_by_global_norm, global_norm, clip_by_average_norm) and TF1's checks: the
``assert_*`` family, ``ensure_shape``, ``verify_tensor_all_finite``, ``add_check_numerics_ops`` and the type
predicates.

A check TF1 makes when the graph is built (a rank of a known shape, a dtype, values of constants) raises then;
otherwise it is an ``Assert`` op that fails the run with ``InvalidArgumentError`` in TF1's message layout.
"""
import collections.abc

import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, TensorShape, get_default_graph, name_scope
from .generate import rank as rank_of
from .generate import shape as shape_of
from .generate import size
from .hostvalue import constant_value
from .registry import apply1, convert_to_tensor, fail, register

__all__ = ["clip_by_norm", "clip_by_global_norm", "global_norm", "clip_by_average_norm", "assert_greater",
           "assert_greater_equal", "assert_less", "assert_less_equal", "assert_near", "assert_negative",
           "assert_non_negative", "assert_non_positive", "assert_positive", "assert_none_equal", "assert_integer",
           "assert_rank", "assert_rank_at_least", "assert_rank_in", "assert_scalar", "assert_type",
           "assert_same_float_dtype", "assert_proper_iterable", "is_numeric_tensor", "is_tensor",
           "verify_tensor_all_finite", "add_check_numerics_ops", "ensure_shape"]
NAMESPACES = {"linalg": ["global_norm"]}


# -- clipping

def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t`` scaled so that its L2 norm (over ``axes``, all by default) is at most ``clip_norm``:
    ``t * clip_norm / max(norm, clip_norm)``; an all-zero ``t`` stays zero (with a zero gradient).

    Examples
    --------
    >>> import daskflow as df
    >>> df.clip_by_norm([3.0, 4.0], 1.0).compute()
    array([0.6, 0.8], dtype=float32)
    """
    from .math import maximum, sqrt, where_v2
    from .reduce import reduce_sum
    from .state import identity
    from .indexed_slices import IndexedSlices
    with name_scope(name or "clip_by_norm"):
        x = convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t)  # IndexedSlices: the norm of values
        c = convert_to_tensor(clip_norm, dtype_hint=x.dtype)
        sq = reduce_sum(x * x, axes, keepdims=True)
        nonzero = sq > 0
        # why: sqrt at 0 has an infinite gradient; the norm of an all-zero slice is taken as sq itself (0)
        norm = where_v2(nonzero, sqrt(where_v2(nonzero, sq, 1)), sq)
        out = identity(x * c / maximum(norm, c), name="clip_by_norm")
        return IndexedSlices(out, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else out


def global_norm(t_list, name=None):
    """The L2 norm of all the tensors of ``t_list`` together: ``sqrt(sum(sum(t ** 2)))``; None entries are
    skipped, and an ``IndexedSlices`` counts its values."""
    from .array import stack
    from .indexed_slices import IndexedSlices
    from .math import sqrt
    from .nn import l2_loss
    from .reduce import reduce_sum
    if isinstance(t_list, (str, Tensor)) or not isinstance(t_list, collections.abc.Sequence):
        raise TypeError("t_list should be a sequence")
    ts = [convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t) for t in t_list if t is not None]
    if not ts:
        raise ValueError("global_norm needs at least one tensor")
    with name_scope(name or "global_norm"):
        halves = [l2_loss(t) for t in ts]
        return sqrt(reduce_sum(stack(halves)) * 2, name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """The tensors of ``t_list`` scaled by ``clip_norm / max(global_norm, clip_norm)``, and the global norm:
    ``(list_clipped, global_norm)``. None entries stay None; ``use_norm`` replaces the computed norm. An infinite
    or NaN norm makes every entry NaN, as TF's.

    Examples
    --------
    >>> import daskflow as df
    >>> clipped, norm = df.clip_by_global_norm([[3.0], [4.0]], 1.0)
    >>> float(df.Session().run(norm))
    5.0
    """
    from .indexed_slices import IndexedSlices
    from .math import cast, minimum
    from .state import identity
    if isinstance(t_list, (str, Tensor)) or not isinstance(t_list, collections.abc.Sequence):
        raise TypeError("t_list should be a sequence")
    ts = [t if t is None or isinstance(t, IndexedSlices) else convert_to_tensor(t) for t in t_list]
    with name_scope(name or "clip_by_global_norm"):
        norm = global_norm(ts) if use_norm is None else convert_to_tensor(use_norm)
        c = cast(convert_to_tensor(clip_norm, dtype_hint=norm.dtype), norm.dtype)
        scale = c * minimum(1.0 / norm, 1.0 / c)
        scale = scale + (norm - norm)  # NaN where the norm is not finite
        out = []
        for i, t in enumerate(ts):
            if t is None:
                out.append(None)
                continue
            v = t.values if isinstance(t, IndexedSlices) else t  # IndexedSlices: values scaled, rows kept
            v = identity(v * cast(scale, v.dtype), name=f"clip_by_global_norm_{i}" if i else "clip_by_global_norm")
            out.append(IndexedSlices(v, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else v)
        return out, norm


def clip_by_average_norm(t, clip_norm, name=None):
    """``t`` scaled so that its L2 norm divided by its number of elements is at most ``clip_norm``."""
    from .math import cast, minimum, rsqrt
    from .reduce import reduce_sum
    from .state import identity
    with name_scope(name or "clip_by_average_norm"):
        x = convert_to_tensor(t)
        c = convert_to_tensor(clip_norm, dtype_hint=x.dtype)
        n = cast(size(x), x.dtype)
        inv_norm = rsqrt(reduce_sum(x * x))
        return identity(x * c * minimum(inv_norm * n, 1.0 / c), name="clip_by_average_norm")


# -- value checks

def _static_failure(message, text, pairs):
    lines = [message] if message else []
    lines.append(text)
    for label, v in pairs:
        lines += [label, str(np.asarray(v))]
    return errors.InvalidArgumentError(None, None, "\n".join(lines))


def _value_assert(fn_name, cond_text, cond, np_cond, tensors, data, summarize, message, name):
    """An Assert of ``reduce_all(cond)``: its message shows ``tensors`` ((label, tensor) pairs). When all of them
    are known when the graph is built, ``np_cond`` of their values is checked at once instead."""
    from .math import Assert
    from .reduce import reduce_all
    from .state import no_op
    text = f"Condition {cond_text} did not hold element-wise:"
    values = [constant_value(t) for _, t in tensors]
    if all(v is not None for v in values):
        try:
            ok = bool(np.all(np_cond(*values)))
        except ValueError:  # shapes that do not broadcast
            ok = False
        if not ok:
            raise _static_failure(message, text, [(f"{label} ({t.name}) = ", v) for (label, t), v in
                                                  zip(tensors, values)])
        return no_op(name=name or fn_name)
    if data is None:
        data = [message or "", text]
        for label, t in tensors:
            data += [f"{label} ({t.name}) = ", t]
    return Assert(reduce_all(cond), data, summarize=summarize, name=name or fn_name)


def _binary(fn_name, sym, compare, np_compare):
    def check(x, y, data=None, summarize=None, message=None, name=None):
        from . import math as m
        with name_scope(name or fn_name):
            x = convert_to_tensor(x)
            y = convert_to_tensor(y, dtype_hint=x.dtype)
            cond = getattr(m, compare)(x, y)
            return _value_assert(fn_name, f"x {sym} y", cond, np_compare, [("x", x), ("y", y)], data, summarize,
                                 message, "Assert")
    check.__name__ = check.__qualname__ = fn_name
    check.__doc__ = (f"An op checking ``x {sym} y`` everywhere (they broadcast) when run: otherwise the run fails "
                     "with ``InvalidArgumentError`` showing ``message`` and the first ``summarize`` values of x and "
                     "y. When both are known at build time the check is made at once instead.")
    return check


assert_greater = _binary("assert_greater", ">", "greater", np.greater)
assert_greater_equal = _binary("assert_greater_equal", ">=", "greater_equal", np.greater_equal)
assert_less = _binary("assert_less", "<", "less", np.less)
assert_less_equal = _binary("assert_less_equal", "<=", "less_equal", np.less_equal)
assert_none_equal = _binary("assert_none_equal", "!=", "not_equal", np.not_equal)


def _sign(fn_name, sym, compare, np_compare):
    def check(x, data=None, summarize=None, message=None, name=None):
        from . import math as m
        with name_scope(name or fn_name):
            x = convert_to_tensor(x)
            cond = getattr(m, compare)(x, convert_to_tensor(0, dtype=x.dtype))
            return _value_assert(fn_name, f"x {sym} 0", cond, lambda v: np_compare(v, 0), [("x", x)], data,
                                 summarize, message, "Assert")
    check.__name__ = check.__qualname__ = fn_name
    check.__doc__ = (f"An op checking ``x {sym} 0`` everywhere when run: otherwise the run fails with "
                     "``InvalidArgumentError``. When ``x`` is known at build time the check is made at once.")
    return check


assert_negative = _sign("assert_negative", "<", "less", np.less)
assert_non_negative = _sign("assert_non_negative", ">=", "greater_equal", np.greater_equal)
assert_non_positive = _sign("assert_non_positive", "<=", "less_equal", np.less_equal)
assert_positive = _sign("assert_positive", ">", "greater", np.greater)


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None, name=None):
    """An op checking ``|x - y| <= atol + rtol * |y|`` everywhere when run (default tolerances ten machine epsilons
    of the dtype); otherwise the run fails with ``InvalidArgumentError``."""
    from .math import Assert, abs, less_equal
    from .reduce import reduce_all
    with name_scope(name or "assert_near"):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype_hint=x.dtype)
        eps = 10 * np.finfo(x.dtype.real_dtype if hasattr(x.dtype, "real_dtype") else x.dtype).eps \
            if x.dtype.kind in "fc" else 0
        rt = convert_to_tensor(eps if rtol is None else rtol, dtype=x.dtype, name="rtol")
        at = convert_to_tensor(eps if atol is None else atol, dtype=x.dtype, name="atol")
        cond = less_equal(abs(x - y), at + rt * abs(y))
        if data is None:
            data = [message or "", f"x and y not equal to tolerance rtol = {rtol if rtol is not None else eps}, "
                                   f"atol = {atol if atol is not None else eps}",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]
        return Assert(reduce_all(cond), data, summarize=summarize, name="Assert")


# -- static checks: dtypes, ranks

def _dt(dtype):
    return f"<dtype: '{dtypes.name(dtype)}'>"


def _prefix(message):
    return f"{message}.  " if message else ""


def assert_integer(x, message=None, name=None):
    """Raises ``TypeError`` at once unless ``x`` has an integer dtype; returns a no-op."""
    from .state import no_op
    x = convert_to_tensor(x)
    if x.dtype.kind not in "iu":
        raise TypeError(f"{_prefix(message)}Expected \"x\" to be integer type.  Found: {x.name} of dtype "
                        f"{_dt(x.dtype)}")
    return no_op(name=name or "assert_integer")


def assert_type(tensor, tf_type, message=None, name=None):
    """Raises ``TypeError`` at once unless ``tensor`` has dtype ``tf_type``; returns a no-op."""
    from .state import no_op
    t = convert_to_tensor(tensor)
    want = dtypes.as_dtype(tf_type)
    if t.dtype != want:
        raise TypeError(f"{_prefix(message)}{t.name} must be of type tf.{dtypes.name(want)}; got "
                        f"tf.{dtypes.name(t.dtype)}")
    return no_op(name=name or "assert_type")


def _rank_assert(x, what, ok, want, message, name, fn_name):
    """The rank check: at once when x's rank is known (``ValueError``), else an Assert on ``rank(x)``."""
    from .math import Assert, equal, greater_equal
    from .reduce import reduce_any
    from .state import no_op
    x = convert_to_tensor(x)
    with name_scope(name or fn_name):
        if x.shape.ndims is not None:
            if not ok(x.shape.ndims):
                raise ValueError(f"{_prefix(message)}Tensor {x.name} must have rank {what}.  Received rank "
                                 f"{x.shape.ndims}, shape {_shape_tuple(x.shape)}")
            return no_op(name="static_checks_determined_all_ok")
        r = rank_of(x)
        if fn_name == "assert_rank_at_least":
            cond, head = greater_equal(r, want[0]), " at least"
        else:
            cond, head = reduce_any(equal(r, convert_to_tensor(list(want), dtype=dtypes.int32))), \
                "" if fn_name == "assert_rank" else " in"
        return Assert(cond, [message or "", f"Tensor {x.name} must have rank{head}"] + [int(w) for w in want]
                      + ["Received shape: ", shape_of(x)], name="Assert")


def _shape_tuple(s):
    return "(" + ", ".join("None" if d is None else str(d) for d in s) + ("," if len(s) == 1 else "") + ")"


def assert_rank(x, rank, message=None, name=None):
    """Checks that ``x`` has rank ``rank``: raises ``ValueError`` at once when its rank is known, else fails the
    run with ``InvalidArgumentError``."""
    r = int(constant_value(rank)) if isinstance(rank, Tensor) else int(rank)
    return _rank_assert(x, str(r), lambda n: n == r, [r], message, name, "assert_rank")


def assert_rank_at_least(x, rank, message=None, name=None):
    """Checks that ``x`` has rank ``rank`` or more (as ``assert_rank``)."""
    r = int(constant_value(rank)) if isinstance(rank, Tensor) else int(rank)
    return _rank_assert(x, f"at least {r}", lambda n: n >= r, [r], message, name, "assert_rank_at_least")


def assert_rank_in(x, ranks, message=None, name=None):
    """Checks that the rank of ``x`` is one of ``ranks`` (as ``assert_rank``)."""
    rs = [int(r) for r in ranks]
    what = "in (" + ", ".join(map(str, rs)) + ("," if len(rs) == 1 else "") + ")"
    return _rank_assert(x, what, lambda n: n in rs, rs, message, name, "assert_rank_in")


def assert_scalar(tensor, name=None, message=None):
    """``tensor``, checked to be a scalar when the graph is built (``ValueError`` otherwise)."""
    t = convert_to_tensor(tensor)
    if t.shape.ndims != 0:
        raise ValueError(f"{_prefix(message)}Expected scalar shape for {t.name}, saw shape: {t.shape}.")
    return t


def assert_same_float_dtype(tensors=None, dtype=None):
    """The common floating dtype of ``tensors`` (and ``dtype``); ``ValueError`` when they differ or are not
    floating. float32 when there are none."""
    want = dtypes.as_dtype(dtype) if dtype is not None else None
    first = None
    for t in tensors or []:
        t = convert_to_tensor(t) if not isinstance(t, Tensor) else t
        if want is None:
            want, first = t.dtype, t
        elif t.dtype != want:
            like = f" as {first.name}" if first is not None else ""
            raise ValueError(f"{t.name}, type={_dt(t.dtype)}, must be of the same type ({_dt(want)}){like}.")
    if want is None:
        return dtypes.float32
    if want.kind != "f":
        raise ValueError(f"Expected floating point type, got {_dt(want)}.")
    return want


def assert_proper_iterable(values):
    """Raises ``TypeError`` unless ``values`` is an iterable of values: not a string, bytes, array or tensor."""
    unintentional = (Tensor, np.ndarray, bytes, str)
    if isinstance(values, unintentional) or not isinstance(values, collections.abc.Iterable):
        raise TypeError(f"Expected argument \"values\" to be a \"proper\" iterable.  Found: {type(values)}")


def is_tensor(x):
    """Whether ``x`` is a graph tensor (Variables included)."""
    return isinstance(x, Tensor)


def is_numeric_tensor(tensor):
    """Whether ``tensor`` is a tensor of a numeric dtype (ints, floats, complex)."""
    return isinstance(tensor, Tensor) and tensor.dtype.kind in "iufc"


# -- numerics

def verify_tensor_all_finite(t=None, msg=None, name=None, x=None, message=None):
    """``t``, checked when computed: a NaN or Inf fails the run with ``InvalidArgumentError`` showing ``msg``."""
    from .math import check_numerics
    t = x if t is None else t
    msg = message if msg is None else msg
    with name_scope(name or "VerifyFinite"):
        return check_numerics(convert_to_tensor(t), message=msg or "")


def add_check_numerics_ops():
    """An op that checks, when run, every floating output of every op built so far in the default graph: a NaN
    or Inf fails the run with ``InvalidArgumentError`` naming the tensor."""
    from .math import check_numerics
    from .state import group
    graph = get_default_graph()
    checks = []
    for op in list(graph.get_operations()):
        if op.type in ("CheckNumerics", "Assert") or op.type.startswith("Variable"):
            continue
        for t in op.outputs:
            if t.dtype.kind == "f":
                checks.append(check_numerics(t, message=f"{op.name}:{t.value_index}").op)
    return group(checks, name="CheckNumerics")


# -- ensure_shape

def _shape_text(dims):
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _merge_error(op, have, want):
    if have.ndims is not None and want.ndims is not None and have.ndims != want.ndims:
        fail(op, f"Shape must be rank {want.ndims} but is rank {have.ndims} (expected shape {want}, input '"
                 f"{op.inputs[0].name}' of shape {have})")
    for i, (a, b) in enumerate(zip(want, have)):
        if a is not None and b is not None and a != b:
            fail(op, f"Dimension {i} in both shapes must be equal, but are {a} and {b}. Shapes are "
                     f"{_shape_text(want)} and {_shape_text(have)}.")


@register("EnsureShape")
class EnsureShape:
    strings = True

    def infer(op):
        x, want = op.inputs[0], op.attrs["shape"]
        if not x.shape.is_compatible_with(want):
            _merge_error(op, x.shape, want)
        return [(x.shape.merge_with(want), x.dtype)]

    def lower(op, x):
        want = op.attrs["shape"]
        have = [None if d != d else int(d) for d in x.shape]
        bad = len(have) != want.ndims if want.ndims is not None else False
        bad = bad or any(a is not None and b is not None and a != b for a, b in zip(want, have))
        if bad:
            fail(op, f"Shape of tensor {op.inputs[0].name} {_shape_text(have)} is not compatible with expected "
                     f"shape {_shape_text(want) if want.ndims is not None else '<unknown>'}.")
        return x

    def grad(op, dy):
        return [dy]


def ensure_shape(x, shape, name=None):
    """``x``, whose shape must be compatible with ``shape`` (None for unknown dims): its static shape is refined
    to it, and a run whose ``x`` has another shape fails with ``InvalidArgumentError``."""
    t = convert_to_tensor(x)
    return apply1("EnsureShape", [t], {"shape": TensorShape(shape)}, name=name or "EnsureShape")

