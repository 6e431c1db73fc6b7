"""Loops (TF1's ``while_loop``): the Session runs the iterations, each a run of a cached plan.

A dask task graph is static and a loop's trip count is data, so a loop is not lowered into the run's graph.
When lowering reaches a ``While`` op the Session runs the loop first (``looprun``), as it computes a
conditional's predicate first, and the run that follows is planned with the loop's results fed:

- the loop variables are fed tensors (``LoopVar``) inside the loop's ``cond`` and ``body``, which are built once,
  in the same graph, when ``while_loop`` is called;
- one run computes the initial values and the tensors from outside the loop that ``cond`` and ``body`` read
  (captured: computed once, not on every iteration); then each iteration is a run of the predicate's plan
  (its value is all that reaches the client) and, while it holds, a run of the body's plan, whose results
  become the next iteration's loop variables;
- results are kept as a run keeps variables' new values: assigned (``LoopSet``) to slots of the run (``LoopSlot``),
  so that on a cluster they stay on the workers, chunked, between iterations, and locally in memory;
- both plans are cached as any plan: the tenth iteration lowers nothing again.

The gradient of a loop is a loop too (``WhileGrad``): it runs the body's gradient backwards over the iterations,
from the loop variables of each iteration, which the forward loop keeps when the run also runs the gradient
(the whitepaper's section 4.4: forward values kept per iteration). The body's own intermediate values are
recomputed from them, so a loop keeps one copy of its loop variables per iteration, not of every tensor.
"""
import numpy as np

from .. import errors
from ..nest import flatten, pack_sequence_as, same_structure
from ..graph import Tensor, TensorShape, get_default_graph, name_scope
from .registry import NOT_DIFFERENTIABLE, apply, apply1, convert_to_tensor, fail, register

__all__ = ["while_loop"]


class NeedsLoop(errors.UnimplementedError):
    """Raised by lowering: ``op`` (a loop) runs before the plan of the run that reads its results is made."""

    def __init__(self, op):
        super().__init__(None, op, f"{op.type} '{op.name}' runs before the run that reads its results is "
                                   f"planned, by a Session")
        self.op = op


def _is_ta(x):
    return hasattr(x, "_value_or_none") and hasattr(x, "_with_value")


def captured_by(ops, inside):
    """The tensors from outside ``inside`` (a set of ops) that ``ops`` read (inputs, and the first output of
    control inputs), in order of first use."""
    got = {}
    for op in ops:
        for t in op.inputs:
            if t.op not in inside:
                got.setdefault(t, None)
        for c in op.control_inputs:
            if c not in inside:
                for t in c.outputs[:1]:
                    got.setdefault(t, None)
    return list(got)


class Loop:
    """What the Session needs to run a loop (the ``loop`` attr of ``While`` and ``WhileGrad``).

    ``vars``: the loop variables as seen inside (``LoopVar`` tensors, fed on each iteration); ``pred``: the
    condition on them (None for a gradient loop, which runs as many iterations as its forward loop ran);
    ``init_sets``/``body_sets``: ``LoopSet`` ops assigning the initial values and the body's results to slots,
    ``cap_sets`` the captured tensors computed once; ``captured``: every tensor from outside that ``cond`` and
    ``body`` read; ``inside``: the ops made for ``cond`` and ``body``; ``forward``: for a gradient loop, the
    forward ``Loop``; ``grads``: the gradient ops built for this loop."""

    def __init__(self, name, vars, pred, body_out, captured, inside, forward=None, back_prop=True):
        self.name, self.vars, self.pred, self.body_out = name, vars, pred, body_out
        self.captured, self.inside, self.forward, self.back_prop = captured, inside, forward, back_prop
        self.grads, self.op = [], None
        self.pred_next = None  # the condition on the body's results (``_again``), or None
        self.computed, self.init_sets, self.body_sets, self.cap_sets = [], [], [], []
        self.late = {}  # init set -> (probe, placeholder): made once the element shape of a TensorArray is known

    def make_sets(self, inits):
        """The ``LoopSet`` ops of the loop's runs. The captured tensors it computes once at its start: not
        variables (read as the run reads them), not loop variables of an enclosing loop (fed), not constants,
        not storage (read again, as a pass over the data reads it)."""
        self.computed = [t for t in self.captured if t.op.type not in _PASSED]
        with name_scope("slots"):
            self.init_sets = [_loop_set(v, t) for v, t in zip(self.vars, inits)]
            self.body_sets = [_loop_set(v, o) for v, o in zip(self.vars, self.body_out)]
            self.cap_sets = [_loop_set(t, t) for t in self.computed]

    def __repr__(self):
        return f"<Loop {self.name}: {len(self.vars)} variables>"


_PASSED = {"VariableV2", "LoopVar", "Const", "DataSource", "LoopSlot"}


def _loop_set(like, value):
    slot = apply1("LoopSlot", [], {"shape": TensorShape(None), "dtype": like.dtype}, name="slot")
    return apply("LoopSet", [slot, value], name="set")[0].op


def _invariant(t, given, k):
    if given is None:
        return t.shape
    shape = TensorShape(given)
    if not shape.is_compatible_with(t.shape):
        raise ValueError(f"The shape invariant specified for loop variable {k} ('{t.name}') is not compatible "
                         f"with the initial value's shape: {shape} vs {t.shape}")
    return shape


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, name=None, maximum_iterations=None, return_same_structure=False):
    """Repeat ``body`` while ``cond`` holds (TF1's ``tf.while_loop``).

    Parameters
    ----------
    cond : callable
        Takes the loop variables (as positional arguments) and returns a scalar bool tensor.
    body : callable
        Takes the loop variables and returns new values in the same structure, dtypes and shapes (within
        ``shape_invariants``).
    loop_vars : tensor, TensorArray, or a nested list, tuple, namedtuple or dict of them
    shape_invariants : the same structure of shapes, optional
        Shapes the loop variables may take across iterations (``None`` dims vary); by default each keeps its
        initial shape.
    maximum_iterations : int or int scalar tensor, optional
        Run at most this many iterations.
    back_prop : bool
        Whether gradients flow through the loop.
    parallel_iterations, swap_memory
        Accepted for TF1 compatibility: iterations run one after another, each one chunked and parallel.

    Returns
    -------
    The loop variables after the last iteration, in ``loop_vars``' structure (a single tensor unwrapped unless
    ``return_same_structure``).

    Examples
    --------
    >>> import daskflow as df
    >>> i, total = df.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), [0, 0])
    >>> with df.Session() as s:
    ...     [int(v) for v in s.run([i, total])]
    [5, 10]
    """
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop needs callables cond and body")
    single = not isinstance(loop_vars, (list, tuple, dict))
    struct = [loop_vars] if single else loop_vars
    leaves = flatten(struct)
    if not leaves:
        raise ValueError("while_loop needs at least one loop variable")
    invariants = [None] * len(leaves)
    if shape_invariants is not None:
        inv_struct = [shape_invariants] if single else shape_invariants
        try:
            invariants = _flatten_shapes(inv_struct, struct)
        except (TypeError, ValueError):
            raise ValueError(f"shape_invariants must have the structure of loop_vars: {shape_invariants!r} for "
                             f"{loop_vars!r}") from None
    graph = get_default_graph()
    with name_scope(name or "while") as scope:
        loop_name = scope[:-1]
        counter = None
        if maximum_iterations is not None:
            from .math import cast
            counter = convert_to_tensor(0, name="iteration")
            limit = cast(convert_to_tensor(maximum_iterations, name="maximum_iterations"), np.int32)
        inits, tas = [], []
        for leaf in leaves:
            if _is_ta(leaf):
                tas.append(leaf)
                inits.append(leaf._value_or_none())
            else:
                tas.append(None)
                inits.append(convert_to_tensor(leaf))
        start = len(graph.get_operations())
        vars_ = []
        for k, (t, ta) in enumerate(zip(inits, tas)):
            if t is None:  # a TensorArray whose element shape the body decides: set when it is known
                shape, dtype = TensorShape(None), ta.dtype
            else:
                shape, dtype = _invariant(t, invariants[k], k), t.dtype
            vars_.append(apply1("LoopVar", [], {"shape": shape, "dtype": dtype, "index": k}, name="LoopVar"))
        inner_leaves = [ta._with_value(v) if ta is not None else v for v, ta in zip(vars_, tas)]
        inner = pack_sequence_as(struct, inner_leaves)
        args = inner if not single else [inner[0]]
        if counter is not None:
            i = apply1("LoopVar", [], {"shape": TensorShape([]), "dtype": np.dtype(np.int32), "index": len(vars_)},
                       name="LoopVar")
        cond_start = len(graph.get_operations())
        with name_scope("cond"):
            pred = cond(*args) if isinstance(args, (list, tuple)) else cond(args)
            pred = convert_to_tensor(pred)
            if pred.dtype != np.dtype(bool) or pred.shape.ndims not in (None, 0):
                raise TypeError(f"while_loop's cond must return a scalar bool tensor, got '{pred.name}' of dtype "
                                f"{pred.dtype.name} and shape {pred.shape}")
            if counter is not None:
                from .math import less, logical_and
                pred = logical_and(less(i, limit), pred)
        cond_ops = graph.get_operations()[cond_start:]
        with name_scope("body"):
            out = body(*args) if isinstance(args, (list, tuple)) else body(args)
            if not isinstance(out, (list, tuple, dict)) or single and len(out) != 1:
                out = [out]  # TF: a body returning one tensor returns it for a single loop variable
            if isinstance(struct, tuple) and isinstance(out, list) and not hasattr(struct, "_fields"):
                out = tuple(out)
            if isinstance(struct, list) and isinstance(out, tuple) and not hasattr(out, "_fields"):
                out = list(out)
            if not same_structure(struct, out):
                raise ValueError(f"while_loop's body must return the structure of loop_vars: it returned "
                                 f"{out!r} for {struct!r}")
            out_leaves = flatten(out)
            body_out = []
            for k, (o, v, ta) in enumerate(zip(out_leaves, vars_, tas)):
                if ta is not None:
                    if not _is_ta(o):
                        raise TypeError(f"while_loop's body must return a TensorArray for loop variable {k}, got "
                                        f"{o!r}")
                    value = o._value_or_none()
                    if value is None:
                        raise ValueError(f"while_loop's body never writes TensorArray loop variable {k}, whose "
                                         f"element shape is not known: give it an element_shape")
                    tas[k] = o
                    o = value
                o = o if isinstance(o, Tensor) or hasattr(o, '_as_tensor') else convert_to_tensor(o, dtype=v.dtype)
                o = convert_to_tensor(o)
                if o.dtype != v.dtype:
                    raise TypeError(f"Loop variable {k} ('{leaves[k].name if isinstance(leaves[k], Tensor) else k}')"
                                    f" enters the loop with dtype {v.dtype.name}, but has dtype {o.dtype.name} "
                                    f"after one iteration")
                if not v.shape.is_compatible_with(o.shape) or (
                        v.shape.ndims is not None and o.shape.ndims is not None and any(
                            a is not None and b is None for a, b in zip(v.shape, o.shape))):
                    what = inits[k].name if inits[k] is not None else f"loop variable {k}"
                    raise ValueError(f"Input tensor '{what}' enters the loop with shape {v.shape}, but has shape "
                                     f"{o.shape} after one iteration. To allow the shape to vary across iterations, "
                                     f"use the `shape_invariants` argument of tf.while_loop to specify a "
                                     f"less-specific shape.")
                body_out.append(o)
            if counter is not None:
                from .math import add
                body_out.append(add(i, 1))
            all_vars = vars_ + ([i] if counter is not None else [])
            pred_next = _again(graph, cond_ops, pred, dict(zip(all_vars, body_out)), start)
            lazy = [t is None for t in inits]
            probes = {k: _probe(body_out[k], tas[k], k) for k in range(len(inits))
                      if lazy[k] and not tas[k].element_shape.is_fully_defined()}
        inside = set(graph.get_operations()[start:])
        late = {}
        for k, t in enumerate(inits):  # TensorArrays whose element shape the body decides
            if t is None:
                inits[k], late[k] = _empty_rows(tas[k], k, probes.get(k))
        all_inits = inits + ([counter] if counter is not None else [])
        loop = Loop(loop_name, all_vars, pred, body_out, [], inside, back_prop=back_prop)
        loop.pred_next = pred_next
        loop.captured = captured_by([op for op in graph.get_operations()[start:] if op in inside], inside)
        loop.captured += [o for o in body_out if o.op not in inside and o not in loop.captured]
        loop.make_sets(all_inits)
        loop.late = {loop.init_sets[k]: (probes[k], late[k]) for k in probes}
        shapes = [all_inits[k].shape if k < len(lazy) and lazy[k] else v.shape for k, v in enumerate(all_vars)]
        outs = apply("While", [*all_inits, *loop.captured], {"loop": loop, "n": len(all_vars), "shapes": shapes},
                     name=loop_name)
        loop.op = outs[0].op
    results = [tas[k]._with_value(o) if tas[k] is not None else o for k, o in enumerate(outs[:len(vars_)])]
    if len(results) == 1 and not return_same_structure:  # TF1: one loop variable comes back unwrapped
        return results[0]
    packed = pack_sequence_as(struct, results)
    return packed[0] if single else packed


def _again(graph, cond_ops, pred, results, start):
    """The condition built again on the body's results (the ops of ``cond`` copied, the loop variables replaced
    by ``results``), so that an iteration's run computes the next iteration's condition too: one run per
    iteration rather than two. None where copying could change what runs: a loop or an assignment in ``cond``, an
    assignment in ``body`` (the condition must see it), a random op in ``cond``."""
    from .registry import OPS, _checked_infer
    made = graph.get_operations()[start:]
    if any(op.type in ("While", "WhileGrad") or op.type in RANDOM_TYPES for op in cond_ops) or \
            any(OPS[op.type].assigns or OPS[op.type].host_run is not None for op in made):
        return None
    tensors, ops = dict(results), {}
    with graph.control_dependencies(None), name_scope("cond_next"):
        for op in cond_ops:
            new = graph.create_op(op.type, [tensors.get(t, t) for t in op.inputs], dict(op.attrs),
                                  name=op.name.rsplit("/", 1)[-1], infer=_checked_infer(OPS[op.type]))
            new.control_inputs = [ops.get(c, c) for c in op.control_inputs]
            ops[op] = new
            tensors.update(zip(op.outputs, new.outputs))
    return tensors.get(pred, pred)


RANDOM_TYPES = {"RandomStandardNormal", "TruncatedNormal", "RandomUniform", "RandomUniformInt"}  # draw per run


def _probe(out, ta, k):
    """For a TensorArray loop variable nothing was written to before the loop, and whose element shape is known
    only when the loop runs: the shape of what the body writes (a tensor of the body)."""
    from .generate import shape
    if out.op.type != "RowWrite":
        raise ValueError(f"while_loop cannot make the initial value of TensorArray loop variable {k}: its element "
                         f"shape is not known and its body does not write one element to it; give it an "
                         f"element_shape")
    return shape(out.op.inputs[2], out_type=np.int32, name="element_shape")


def _empty_rows(ta, k, probe=None):
    """The initial value of a TensorArray loop variable nothing was written to before the loop: zeros of its size
    and of the element shape the body writes; where that is known only at run time (``probe``), of the shape
    fed to the placeholder also returned (the loop's first run computes it, ``looprun``)."""
    if probe is None:
        value = ta._initial_value()
        if value is None:
            raise ValueError(f"while_loop cannot make the initial value of TensorArray loop variable {k}: give it "
                             f"an element_shape")
        return value, None
    from .state import placeholder
    fed = placeholder(np.int32, probe.shape, name="element_shape")
    return ta._zeros_for(ta.element_shape, lambda: fed), fed


def _flatten_shapes(inv, struct):
    """Shape invariants in the structure of the loop variables, flattened (a TensorShape, list of dims or None
    is a leaf where the loop variables have one)."""
    if isinstance(struct, dict):
        return [s for k in sorted(struct) for s in _flatten_shapes(inv[k], struct[k])]
    if isinstance(struct, (list, tuple)):
        if len(inv) != len(struct):
            raise ValueError("structure")
        return [s for i, s in zip(inv, struct) for s in _flatten_shapes(i, s)]
    return [inv]


# -- ops

@register("LoopVar")
class LoopVar:
    """A loop variable as its loop's ``cond`` and ``body`` see it: fed with the loop's value on each iteration."""
    strings = True

    def infer(op):
        return [(op.attrs["shape"], op.attrs["dtype"])]

    def lower(op):
        fail(op, f"'{op.outputs[0].name}' is a loop variable: it has a value only inside its loop's cond and body",
             errors.InvalidArgumentError)

    grad = NOT_DIFFERENTIABLE  # a leaf of the body: its gradient is the loop's (``loop_grad``)


@register("LoopSlot")
class LoopSlot:
    """Where a run keeps a loop's value between iterations: assigned (``LoopSet``), never read by an op."""
    is_variable = True
    stateful = True
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [(op.attrs["shape"], op.attrs["dtype"])]

    def lower(op):
        fail(op, f"loop slot '{op.name}' is not read by ops", errors.InternalError)


@register("LoopSet")
class LoopSet:
    """Keep ``value`` as the run's value of slot ``inputs[0]`` (as an assignment to a variable is kept)."""
    assigns = True
    reads_ref = False
    stateful = True
    side_effect = True
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        slot, value = op.inputs
        return [(value.shape, value.dtype)]

    def lower(op, slot, value):
        return value


def _loop_infer(op):
    loop = op.attrs["loop"]
    return [(s, v.dtype) for s, v in zip(op.attrs["shapes"], loop.vars)]


@register("While")
class While:
    """A loop: inputs are the loop variables' initial values, then the tensors from outside that ``cond`` and
    ``body`` read; outputs are the loop variables after the last iteration. Run by the Session (``looprun``)."""
    stateful = True
    strings = True
    infer = staticmethod(_loop_infer)

    def taken(op, known):  # the loop's runs compute what it reads: the run that reads its results does not
        return []

    def lower(op, *xs):
        raise NeedsLoop(op)

    def grad(op, *dys):
        from .loop_grad import while_grad
        return while_grad(op, dys)


@register("WhileGrad")
class WhileGrad:
    """The gradient of a ``While``: a loop over the forward loop's iterations in reverse. Inputs: the initial
    gradients of the loop variables and of the captured tensors, the forward loop's results (it runs after it),
    then the tensors from outside it reads; outputs: the gradients of the forward loop's initial values and
    captured tensors."""
    stateful = True
    infer = staticmethod(_loop_infer)

    def taken(op, known):
        return []

    def lower(op, *xs):
        raise NeedsLoop(op)

