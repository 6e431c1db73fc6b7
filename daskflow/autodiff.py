"""Reverse-mode differentiation over the symbolic graph (the whitepaper's section 4.1).

Gradients are ordinary graph ops built by each op's ``grad`` rule, so they are pruned, lowered, chunked and
placed like everything else, and can be differentiated again. The engine, not the rules, undoes broadcasting
(summing each gradient down to its input's shape) and adds up the gradients of tensors used several times.
"""
import enum

from . import errors
from .graph import Tensor, name_scope
from .ops.registry import NOT_DIFFERENTIABLE, OPS, convert_to_tensor

__all__ = ["gradients", "hessians", "RegisterGradient", "NotDifferentiable", "NoGradient", "no_gradient",
           "AggregationMethod", "UnconnectedGradients"]


class AggregationMethod:
    """How ``gradients`` adds up the gradients of a tensor used several times (TF's names; daskflow always adds
    them with one ``add_n``, which its fusion and chunked execution make the cheap choice)."""
    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(str, enum.Enum):
    """What ``gradients`` gives for an x that the ys do not depend on: None or zeros."""
    NONE = "none"
    ZERO = "zero"

# gradient functions registered by users under a name: an op type, or a name used in Graph.gradient_override_map
_REGISTERED = {}


def _check_unregistered(op_type):
    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    builtin = OPS.get(op_type)
    if op_type in _REGISTERED or (builtin is not None and builtin.grad is not None):
        where = "daskflow's op registry" if op_type not in _REGISTERED else "RegisterGradient"
        raise KeyError(f"Registering two gradient with name '{op_type}'! (Previous registration was in {where}.)")


class RegisterGradient:
    """Decorator registering ``fn(op, *output_grads) -> input grads`` as the gradient of ``op_type``, as TF's: for an
    op type that has none, or under a new name for ``Graph.gradient_override_map``. A name may be registered once
    (KeyError after, and for op types whose gradient is built in)."""

    def __init__(self, op_type):
        _check_unregistered(op_type)
        self._op_type = op_type

    def __call__(self, fn):
        _check_unregistered(self._op_type)
        _REGISTERED[self._op_type] = fn
        return fn


def NotDifferentiable(op_type):  # noqa: N802 - TF's name
    """Declare ``op_type`` not differentiable: its inputs get no gradient (None) rather than an error."""
    _check_unregistered(op_type)
    _REGISTERED[op_type] = NOT_DIFFERENTIABLE


NoGradient = no_gradient = NotDifferentiable


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _differentiable(t):
    return t.dtype.kind in "fc"


def _between(ys, xs, stops):
    """Ops on a path from some x to some y (not through stop tensors), in creation (topological) order."""
    to_y, stack = set(), [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op not in to_y:
            to_y.add(op)
            stack.extend(t.op for t in op.inputs if t not in stops)
    from_x, stack = set(), [c for x in xs for c in x.consumers()]
    while stack:
        op = stack.pop()
        if op not in from_x and op in to_y:
            from_x.add(op)
            stack.extend(c for t in op.outputs if t not in stops for c in t.consumers())
    return sorted(from_x, key=lambda o: o._id)


def gradients(ys, xs, grad_ys=None, name="gradients", stop_gradients=None, colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, unconnected_gradients="none"):
    """Symbolic partial derivatives of ``sum(ys)`` with respect to each of ``xs`` (TF's ``gradients``).

    Parameters
    ----------
    ys, xs : Tensor or list of Tensors (Variables included)
    grad_ys : list of Tensors, optional
        The gradients flowing into each y (default: ones).
    stop_gradients : Tensor or list, optional
        Tensors treated as constants.
    unconnected_gradients : "none" or "zero"
        What an x that does not reach any y gets: None (TF's default) or zeros.

    Returns
    -------
    list with one Tensor (or None) per x.

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.constant(3.0)
    >>> dy, = df.gradients(x * x, [x])
    >>> float(dy.compute())
    6.0
    """
    ys = [convert_to_tensor(y) for y in _as_list(ys)]
    xs = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in _as_list(xs)]
    stops = {convert_to_tensor(s) for s in _as_list(stop_gradients or [])}
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    grad_ys = _as_list(grad_ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"grad_ys has {len(grad_ys)} entries for {len(ys)} ys")
    from .ops.generate import ones_like
    from .ops.math import add_n
    with name_scope(name):
        grads = {}
        for y, gy in zip(ys, grad_ys):
            if not _differentiable(y):
                continue
            gy = ones_like(y, name="grad_ys") if gy is None else convert_to_tensor(gy, dtype=y.dtype)
            grads.setdefault(y, []).append(gy)
        for op in reversed(_between(ys, xs, stops)):
            outs = [_total(grads.get(t), add_n) for t in op.outputs]
            if all(g is None for g in outs) or any(t in stops for t in op.outputs):
                continue
            for t, g in zip(op.inputs, _apply_rule(op, outs)):
                if g is not None:
                    grads.setdefault(t, []).append(g)
        result = []
        for x in xs:
            g = _total(grads.get(x), add_n)
            if g is None and unconnected_gradients == "zero":
                g = _zeros_for(x)
            result.append(g)
    return result


def _total(gs, add_n):
    if not gs:
        return None
    return gs[0] if len(gs) == 1 else add_n(gs)


def _zeros_for(t):
    from .ops.generate import zeros_like
    return zeros_like(t)


def _rule(op):
    if op.gradient_type is not None:
        if op.gradient_type not in _REGISTERED:
            raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type}): its gradient "
                              f"is overridden by '{op.gradient_type}', which no RegisterGradient registered")
        return _REGISTERED[op.gradient_type]
    return _REGISTERED.get(op.type) or OPS[op.type].grad


def _apply_rule(op, dys):
    rule = _rule(op)
    if rule is NOT_DIFFERENTIABLE:
        return [None] * len(op.inputs)
    if rule is None:
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")
    dys = [d if d is not None else _zeros_for(t) for d, t in zip(dys, op.outputs)]
    with name_scope(f"{op.name}_grad"):
        res = rule(op, *dys)
        res = list(res) if isinstance(res, (list, tuple)) else [res]
        if len(res) != len(op.inputs):
            raise errors.InternalError(None, op, f"gradient of {op.type} gave {len(res)} values for "
                                       f"{len(op.inputs)} inputs [op '{op.name}']")
        return [_sum_to_shape(g, t, op) if g is not None and _differentiable(t) else None
                for g, t in zip(res, op.inputs)]


def _sum_to_shape(g, t, op):
    """``g`` summed down to ``t``'s shape: undoes numpy broadcasting (leading dims, and dims of size 1). For inputs
    of an op that broadcasts (``OpDef.broadcasts``) whose shape is not known well enough when the graph is built,
    the sum is decided from the run's shapes (``SumToShape``), as TF's ``BroadcastGradientArgs``."""
    from .ops.generate import shape
    from .ops.reduce import reduce_sum, sum_to_shape
    core = OPS[op.type].broadcasts
    if core is not None and _may_broadcast(g, t, op, core):
        return sum_to_shape(g, shape(t))
    if t.shape.ndims is None or g.shape.ndims is None or tuple(g.shape) == tuple(t.shape):
        return g
    lead = g.shape.ndims - t.shape.ndims
    if lead:
        g = reduce_sum(g, axis=list(range(lead)))
    ones = [i for i, d in enumerate(t.shape) if d == 1 and g.shape[i] != 1]
    return reduce_sum(g, axis=ones, keepdims=True) if ones else g


def _may_broadcast(g, t, op, core):
    """Whether gradient ``g`` of ``op``'s input ``t`` may have to be summed along a dim only the run knows: one of
    ``t``'s broadcast dims (all but the last ``core``) is unknown while, at that dim, ``g`` is not 1 and some other
    input of ``op`` may be bigger than 1 (with none, the output's dim is ``t``'s own)."""
    others = [u.shape for u in op.inputs if u is not t]
    if t.shape.ndims is None or g.shape.ndims is None or any(s.ndims is None for s in others):
        return True
    n = t.shape.ndims
    for i, d in enumerate(list(t.shape)[:max(n - core, 0)]):
        k = n - i  # the dim's place from the right, where broadcasting aligns shapes
        if d is None and g.shape.ndims >= k and g.shape[-k] != 1 and any(
                s.ndims >= k and s[-k] != 1 for s in others):
            return True
    return False


def hessians(ys, xs, name="hessians"):
    """Second derivatives of ``sum(ys)`` with respect to each x (a tensor of shape x.shape + x.shape)."""
    from .ops.array import reshape, stack
    out = []
    with name_scope(name):
        for x, g in zip(_as_list(xs), gradients(ys, xs)):
            n = x.shape.num_elements()
            if n is None:
                raise ValueError(f"hessians needs a fully defined shape for '{x.name}', got {x.shape}")
            flat = reshape(g, [-1])
            rows = [gradients(flat[i], x)[0] for i in range(n)]
            rows = [r if r is not None else _zeros_for(x) for r in rows]
            out.append(reshape(stack(rows), list(x.shape) + list(x.shape)))
    return out
