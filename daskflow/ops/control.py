"""Conditionals (TF1's ``cond``, ``case``, ``switch_case``): only the branch taken runs.

A dask task graph is static, so the Session decides a conditional before it plans the run: the predicate is a
value the plan needs on the host (as a shape argument computed from run-time data, ``hostvalue.NeedsValue``). It
is computed first, in a run of its own (only its value reaches the client, on a cluster too), then fed to the
run, whose plan is made for that value and cached by it: the tenth run with the same predicate lowers nothing
again. The ``Cond`` op reads the outputs of both branches, but the ops the run needs are followed only into the
taken branch (``lowering.closure``), so the other branch is neither lowered nor run: its failing or expensive
ops, its assignments and prints, never happen.

The gradient of a conditional is a conditional of the branches' gradients: for every tensor from outside that
either branch reads (captured when the branches are built), ``cond(pred, d(true outputs)/d(it),
d(false outputs)/d(it))``, so the backward pass too runs only the branch the forward pass took.
"""
import numpy as np

from ..graph import TensorShape, get_default_graph, name_scope
from .hostvalue import constant_value
from ..nest import flatten as _flatten, pack_sequence_as, same_structure as _same_structure
from .registry import OpDef, apply, convert_to_tensor, register

__all__ = ["cond", "case", "switch_case"]


def _built(fn, graph, what):
    """Call branch ``fn``: its outputs (as built: a structure of tensors) and the tensors from outside it that
    the ops it made read (captured), in creation order."""
    start = len(graph.get_operations())
    out = fn()
    made = graph.get_operations()[start:]
    inside = set(made)
    captured = {}
    for op in made:
        for t in list(op.inputs):
            if t.op not in inside:
                captured.setdefault(t, None)
        for c in op.control_inputs:
            if c not in inside:
                for t in c.outputs[:1]:
                    captured.setdefault(t, None)
    if out is None:
        raise ValueError(f"{what} must return a tensor or a structure of tensors, not None")
    flat = [convert_to_tensor(t) for t in _flatten(out)]
    for t in flat:  # a branch returning a tensor from outside reads it too
        if t.op not in inside:
            captured.setdefault(t, None)
    return out, flat, list(captured)


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (TF's ``tf.cond``): only the branch taken runs.

    Parameters
    ----------
    pred : scalar bool Tensor (or Python bool)
    true_fn, false_fn : callables returning tensors, or the same nested structure (lists, tuples, dicts) of
        tensors of matching dtypes
    strict : bool
        Return a single tensor in a list as a list (TF's ``strict``); otherwise unwrapped.

    Returns
    -------
    The taken branch's outputs, in the branches' structure.

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.placeholder(df.float32, [])
    >>> y = df.cond(x > 0, lambda: x * 2.0, lambda: -x)
    >>> with df.Session() as s:
    ...     float(s.run(y, {x: 3.0})), float(s.run(y, {x: -5.0}))
    (6.0, 5.0)
    """
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond needs callables true_fn and false_fn")
    graph = get_default_graph()
    with name_scope(name or "cond") as scope:
        pred = convert_to_tensor(pred)
        if pred.dtype != np.dtype(bool) or pred.shape.ndims not in (None, 0):
            raise TypeError(f"cond's pred must be a scalar bool tensor, got '{pred.name}' of dtype "
                            f"{pred.dtype.name} and shape {pred.shape}")
        with name_scope("true"):
            t_out, t_flat, t_cap = _built(true_fn, graph, "true_fn")
        with name_scope("false"):
            f_out, f_flat, f_cap = _built(false_fn, graph, "false_fn")
        if not _same_structure(t_out, f_out) or len(t_flat) != len(f_flat):
            raise ValueError(f"cond's true_fn and false_fn must return the same structure: {t_out!r} and "
                             f"{f_out!r}")
        for i, (a, b) in enumerate(zip(t_flat, f_flat)):
            if a.dtype != b.dtype:
                raise ValueError(f"cond's output {i} has dtype {a.dtype.name} in true_fn ('{a.name}') and "
                                 f"{b.dtype.name} in false_fn ('{b.name}')")
        captured = list(dict.fromkeys(t_cap + f_cap))
        outs = apply("Cond", [pred, *t_flat, *f_flat, *captured], {"n": len(t_flat)}, name=scope[:-1])
    if strict or isinstance(t_out, (list, tuple, dict)):
        return pack_sequence_as(t_out, outs)
    return outs[0]


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The first of ``pred_fn_pairs`` (``(pred, fn)`` pairs, or a dict) whose predicate holds, else
    ``default()`` (TF's ``tf.case``); with ``exclusive``, more than one true predicate is an error at run time.
    Built of nested ``cond`` s: only the branch taken runs."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    if not pairs:
        if default is None:
            raise ValueError("case needs at least one (pred, fn) pair or a default")
        return default()
    if default is None:  # TF: the last pair's fn is the default
        *pairs, (_, default) = pairs
        if not pairs:
            return default()
    preds = [convert_to_tensor(p) for p, _ in pairs]
    with name_scope(name):
        if exclusive:  # checked at run time, as TF checks it
            from ..graph import control_dependencies
            from .array import stack
            from .math import Assert, cast, less_equal
            from .reduce import reduce_sum
            from .state import identity
            count = reduce_sum(cast(stack(preds), np.int32))
            check = Assert(less_equal(count, 1), [count], name="exclusive")
            with control_dependencies([check]):
                preds = [identity(p) for p in preds]

        def chain(i):
            if i == len(pairs):
                return default
            return lambda: cond(preds[i], pairs[i][1], chain(i + 1), strict=strict)
        return chain(0)()


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """``branch_fns[branch_index]()`` (a list, or a dict of int keys), ``default()`` (or the last branch) for an
    index out of range (TF's ``tf.switch_case``). Only the branch taken runs."""
    fns = sorted(branch_fns.items()) if isinstance(branch_fns, dict) else list(enumerate(branch_fns))
    if not fns:
        raise ValueError("switch_case needs at least one branch")
    index = convert_to_tensor(branch_index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"switch_case's branch_index must be an int tensor, got '{index.name}' of dtype "
                        f"{index.dtype.name}")
    from .math import equal
    with name_scope(name):
        return case([(equal(index, k), fn) for k, fn in fns], default=default or fns[-1][1])


@register("Cond")
class CondOp(OpDef):
    """Inputs: the predicate, the true branch's ``n`` outputs, the false branch's, then the tensors from outside
    the branches they read (for the gradient). ``taken`` names the inputs a run follows."""

    @staticmethod
    def infer(op):
        n = op.attrs["n"]
        t, f = op.inputs[1:1 + n], op.inputs[1 + n:1 + 2 * n]
        out = []
        for a, b in zip(t, f):
            if a.shape.ndims is None or b.shape.ndims is None or a.shape.ndims != b.shape.ndims:
                shape = TensorShape(None)
            else:
                shape = TensorShape([x if x == y else None for x, y in zip(a.shape, b.shape)])
            out.append((shape, a.dtype))
        return out

    @staticmethod
    def taken(op, known):
        """The inputs a run follows: the predicate and the taken branch's outputs; None while the predicate's
        value is not known (the Session computes it first)."""
        pred = op.inputs[0]
        v = known.get(pred) if pred in known else constant_value(pred)
        if v is None:
            return None
        n = op.attrs["n"]
        return [0] + (list(range(1, 1 + n)) if bool(np.asarray(v)) else list(range(1 + n, 1 + 2 * n)))

    @staticmethod
    def lower(op, *xs):
        n = op.attrs["n"]
        t = xs[1:1 + n]
        return list(t) if all(x is not None for x in t) else list(xs[1 + n:1 + 2 * n])

    @staticmethod
    def grad(op, *dys):
        from ..autodiff import gradients
        from .generate import zeros_like
        n = op.attrs["n"]
        pred, t_outs, f_outs = op.inputs[0], op.inputs[1:1 + n], op.inputs[1 + n:1 + 2 * n]
        captured = [c for c in op.inputs[1 + 2 * n:] if c.dtype.kind in "fc"]
        if not captured or all(dy is None for dy in dys):
            return [None] * len(op.inputs)
        outs = [o for o, dy in zip(zip(t_outs, f_outs), dys) if dy is not None]
        grad_ys = [dy for dy in dys if dy is not None]

        def branch(k):
            def fn():
                # each captured tensor a leaf: the run's own backward pass goes on from each of them (a captured
                # tensor computed from another would otherwise count that path twice)
                g = gradients([o[k] for o in outs], captured, grad_ys=grad_ys, stop_gradients=captured)
                return [gi if gi is not None else zeros_like(c) for gi, c in zip(g, captured)]
            return fn
        gs = cond(pred, branch(0), branch(1), strict=True, name="cond_grad")
        by = dict(zip(captured, gs))
        return [None] * (1 + 2 * n) + [by.get(c) for c in op.inputs[1 + 2 * n:]]
