"""Lowering: a pruned graph plus bound inputs -> dask arrays, one op at a time in topological order.

Leaves (feeds, variable snapshots, random-stream counters) are supplied by the caller through a ``Sources``
object, so the same walk serves cached plans (leaves are placeholder keys filled at run time) and ``df.lower``
(leaves are real dask arrays).
"""
import threading

import dask.array as da
import numpy as np
from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

from . import errors, fusion, planner
from .graph import Tensor
from .ops.hostvalue import NeedsValue, constant_value, is_partial
from .ops.registry import OPS

__all__ = ["closure", "Lowering", "current"]

_tls = threading.local()


def current():
    """The lowering in progress on this thread (used by leaf ops: placeholders, variables, random ops)."""
    ctx = getattr(_tls, "ctx", None)
    if ctx is None:
        raise errors.InternalError(None, None, "no lowering in progress")
    return ctx


def shape_only(op, t):
    """Whether ``op`` reads only the shape of its input ``t`` (``OpDef.host_from_shapes``: shape, size, rank,
    zeros_like...) and what it reads is known when the graph is built (the whole shape, or enough of it for the
    op's value): ``t`` itself is then not computed, nor fed, as TF folds such ops to constants."""
    return OPS[op.type].host_from_shapes is not None and (t.shape.is_fully_defined() or _static_value(op) is not None)


def _static_value(op):
    """The output of a ``host_from_shapes`` op from its inputs' static shapes, or None when they do not decide it."""
    shapes = [None if t.shape.ndims is None else tuple(t.shape) for t in op.inputs]
    if None in shapes:
        return None
    v = OPS[op.type].host_from_shapes(op, *shapes)
    return None if v is None or is_partial(v) else np.asarray(v, dtype=op.outputs[0].dtype)


def closure(targets, fed=(), known=None):
    """Ops needed to compute ``targets`` (tensors or ops), following inputs (but not those only whose static
    shape is read, see ``shape_only``) and control inputs, and stopping at fed tensors. Returned in creation
    order, which is a topological order of the append-only graph.

    With ``known`` (the host values of the run: a conditional's predicate), an op that declares ``taken`` (a
    conditional) is followed into the inputs it takes only; a conditional whose predicate is not known yet raises
    ``NeedsValue`` for it (the Session computes it and plans again). Without, every input is followed."""
    fed = set(fed)
    seen, stack = set(), []
    for t in targets:
        if isinstance(t, Tensor):
            if t not in fed:
                stack.append(t.op)
        else:
            stack.append(t)
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        inputs = op.inputs
        if known is not None and getattr(OPS[op.type], "taken", None) is not None:
            inputs = [op.inputs[i] for i in _taken(op, known)]
        stack.extend(t.op for t in inputs if t not in fed and t.op not in seen and not shape_only(op, t))
        stack.extend(c for c in op.control_inputs if c not in seen)
    return sorted(seen, key=lambda o: o._id)


def _taken(op, known):
    got = OPS[op.type].taken(op, known)
    if got is None:
        raise NeedsValue(op, op.inputs[0], f"{op.type} '{op.name}' needs its predicate ('{op.inputs[0].name}') "
                         f"before the run is planned")
    return got


class Lowering:
    """One walk over a graph. ``sources`` provides ``feed(tensor)``, ``variable(op)`` and ``rng(op)``.

    After ``run(targets)``: ``values`` maps tensors to dask arrays; ``updates`` maps each variable op to the
    dask array of its final assigned value; ``effects`` lists side-effect ops reached (forced at run time);
    ``footprints`` maps each lowered op to the projected memory of one of its tasks. ``known`` maps tensors whose
    values ops need on the host (shape arguments that depend on run-time data) to their values for this run.
    """

    def __init__(self, sources, fed=(), known=None):
        self.sources = sources
        self.fed = set(fed)
        self.known = known or {}
        self.values = {}
        self.updates = {}
        self.effects = []
        self._after = {}
        self._assign_ops = []
        self.ops = []
        self.layers, self.deps = {}, {}  # every layer made, once: the whole lowered graph
        self._stubs = {}
        self.footprints = {}  # op -> projected bytes one of its tasks holds
        # for the memory model of a run (projection.py): the op that made each layer, and the blocks of every
        # array an op gave (exact, where dask's own record of a layer's chunks can be stale)
        self.layer_ops, self.blocks = {}, {}
        self._op = None
        self._fusions, self._absorbed = {}, set()

    def run(self, targets):
        self.ops = closure(targets, self.fed, self.known)
        for t in self.fed:
            self.values[t] = self._adopt(self.sources.feed(t))
        self._assign_ops = [op for op in self.ops if getattr(OPS[op.type], "assigns", False)]
        self._fusions = fusion.find(self.ops, targets, self.fed)
        self._absorbed = {op for f in self._fusions.values() for op in f.absorbed}
        if self._assign_ops:
            for op in self.ops:
                self._ordered_after(op)
        _tls.ctx, prev = self, getattr(_tls, "ctx", None)
        needs, blocked = None, set()  # the values needed on the host; the ops that wait for them
        try:
            for op in self.ops:
                if blocked and (any(t.op in blocked for t in op.inputs) or
                                any(c in blocked for c in op.control_inputs)):
                    blocked.add(op)
                    continue
                try:
                    self._lower_op(op)
                except NeedsValue as e:  # lowering goes on where it can: the needs found together, computed together
                    blocked.add(op)
                    if needs is None:
                        needs = e
                    elif all(t is not e.tensor for t in needs.tensors):
                        needs.tensors.append(e.tensor)
            if needs is not None:
                raise needs
            for t in targets:
                if isinstance(t, Tensor):
                    self.value(t)
        finally:
            _tls.ctx = prev
        self._collect_updates()
        return self

    def _lower_op(self, op):
        if op in self._absorbed:
            return  # lowered by its chain's root (fused, or op by op when it cannot be)
        self._op = op
        f = self._fusions.get(op)
        if f is not None:
            out = f.lower(self)
            if out is not None:
                t = op.outputs[0]
                _check(op, t, out, self.fed)
                self.values[t] = self._adopt(out)
                self.footprints[op] = f.footprint(self, out)
                return
            for inner in f.absorbed:
                self._lower_one(inner)
        self._lower_one(op)

    def _lower_one(self, op):
        self._op = op
        outs_needed = [t for t in op.outputs if t not in self.fed]
        if op.outputs and not outs_needed:
            return
        opdef = OPS[op.type]
        if opdef.is_variable:
            return  # read lazily, only when a consumer needs the value (an Assign alone does not)
        folded = self._folded(op)
        if folded is not None:
            self.values[op.outputs[0]] = self._adopt(folded)
            return
        skip_ref = opdef.assigns and not opdef.reads_ref
        taken = set(_taken(op, self.known)) if getattr(opdef, "taken", None) is not None else None
        xs = [None if skip_ref and i == 0 or taken is not None and i not in taken else self._input(op, t)
              for i, t in enumerate(op.inputs)]
        effects = self._effects_before(op) if op.control_inputs else ()
        if effects:  # TF's order: the side effects among its control inputs complete before it reads its inputs
            done = [self.values[c.outputs[0]] for c in effects]
            xs = [_after(x, done) if isinstance(x, da.Array) else x for x in xs]
        try:
            res = opdef.lower(op, *xs)
        except errors.OpError:  # raised by the op's own checks: already names it
            raise
        except ValueError as e:  # dask refusing the run-time shapes of the inputs: named, as TF's run-time errors
            shapes = ", ".join(str(tuple(x.shape)) for x in xs if x is not None and hasattr(x, "shape"))
            raise errors.InvalidArgumentError(None, op, f"{op.type} cannot run on inputs of shapes {shapes}: {e} "
                                              f"[op '{op.name}' (type {op.type})]") from e
        res = [] if res is None else (list(res) if isinstance(res, (list, tuple)) else [res])
        if len(res) != len(op.outputs):
            raise errors.InternalError(None, op, f"lowering of {op.type} gave {len(res)} outputs, "
                                       f"declared {len(op.outputs)} [op '{op.name}']")
        self.footprints[op] = _footprint(opdef, op, xs, res)
        for t, arr in zip(op.outputs, res):
            _check(op, t, arr, self.fed)
            arr = self._adopt(arr)
            if t not in self.fed:
                self.values[t] = arr
        if opdef.side_effect:
            self.effects.append(op)

    def _effects_before(self, op):
        """The side-effect ops (a file written, a message printed, a check) among ``op``'s control inputs, seen
        through ops without outputs (``group``); assignments are ordered by ``_ordered_after`` instead."""
        found, stack, seen = [], list(op.control_inputs), set()
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            d = OPS[c.type]
            if d.side_effect and not d.assigns and c.outputs and c.outputs[0] in self.values:
                found.append(c)
            elif not c.outputs:
                stack.extend(c.control_inputs)
        return found

    def _input(self, op, t):
        if t not in self.values and shape_only(op, t):  # not lowered: only its static shape is needed
            return _shape_stand_in(t)
        return self._stub(self.input_value(op, t))

    def _folded(self, op):
        """The output of an op that reads only static shapes of inputs not lowered, as a constant (or None)."""
        if OPS[op.type].host_from_shapes is None or any(t in self.values for t in op.inputs):
            return None
        v = _static_value(op)
        return None if v is None else da.from_array(v, chunks=v.shape or (), name=f"folded-{op.name}")

    def input_value(self, op, t):
        """The array ``op`` sees for input ``t``: a variable read ordered after an assignment to that variable
        (through control dependencies or data) sees the assigned value; otherwise the run's snapshot."""
        if t not in self.fed and OPS[t.op.type].is_variable:
            last = self._last_assign_before(op, t.op) if self._assign_ops else None
            if last is not None:
                return self.values[last.outputs[0]]
        return self.value(t)

    def value(self, t):
        """The dask array of tensor ``t`` (a variable's snapshot is read on first use)."""
        v = self.values.get(t)
        if v is None:
            if not OPS[t.op.type].is_variable:
                raise errors.InternalError(None, t.op, f"tensor '{t.name}' was not lowered")
            v = self.values[t] = self._adopt(self.sources.variable(t.op))
        return v

    # Each op is lowered on stand-ins for its inputs whose graphs hold one placeholder layer, and only the new
    # layers it makes are kept: dask's own graphs would otherwise copy every earlier layer at every op, which
    # costs O(ops^2) for a whole graph.
    def _stub(self, arr):
        if len(arr.__dask_graph__().layers) <= 8:  # an op's own output: its graph is already small
            return arr
        st = self._stubs.get(arr.name)
        if st is None:
            layer = MaterializedLayer({k: None for k in _flat_keys(arr)})
            g = HighLevelGraph({arr.name: layer}, {arr.name: set()})
            st = self._stubs[arr.name] = da.Array(g, arr.name, arr.chunks, meta=arr._meta)
        return st

    def _adopt(self, arr):
        """Record the layers of ``arr``'s graph not seen yet (placeholders of stubs are always seen)."""
        g = arr.__dask_graph__()
        for name, layer in g.layers.items():
            if name not in self.layers:
                self.layers[name], self.deps[name] = _without_stubs(name, layer, g.dependencies.get(name, set()))
                if self._op is not None:
                    self.layer_ops[name] = self._op
        self.blocks.setdefault(arr.name, (arr.chunks, arr.dtype))
        return arr

    def full(self, arr):
        """``arr`` with the lowered graph behind it: only the layers it needs (dask would otherwise fuse a
        fetched layer into a consumer that is not fetched)."""
        need, stack = set(), [arr.name]
        while stack:
            name = stack.pop()
            if name not in need:
                need.add(name)
                stack.extend(self.deps[name])
        g = HighLevelGraph({n: self.layers[n] for n in need}, {n: self.deps[n] for n in need})
        return da.Array(g, arr.name, arr.chunks, meta=arr._meta)

    def _ordered_after(self, op):
        """Assign ops that must complete before ``op`` starts (filled in topological order)."""
        got = self._after.get(op)
        if got is None:
            acc = frozenset()
            for dep in [t.op for t in op.inputs if t not in self.fed] + list(op.control_inputs):
                prior = self._after.get(dep, frozenset())
                if OPS[dep.type].assigns:
                    prior = prior | {dep}
                if prior and not prior <= acc:
                    acc = acc | prior
            got = self._after[op] = acc
        return got

    def _last_assign_before(self, op, var_op):
        return _latest(self, [a for a in self._ordered_after(op) if a.inputs[0].op is var_op])

    def _collect_updates(self):
        by_var = {}
        for a in self._assign_ops:
            by_var.setdefault(a.inputs[0].op, []).append(a)
        for var_op, assigns in by_var.items():
            self.updates[var_op] = self.values[_latest(self, assigns).outputs[0]]


def _never_computed(block, tensor):
    raise errors.InternalError(None, None, f"the value of '{tensor}' was computed where only its shape is read")


def _shape_stand_in(t):
    """A dask array of ``t``'s static shape (fully known) and dtype, chunked as the planner would, that is never
    computed."""
    shape = tuple(t.shape)
    empty = da.empty(shape, dtype=t.dtype, chunks=planner.chunks_for(shape, t.dtype))
    return empty.map_blocks(_never_computed, tensor=t.name, dtype=t.dtype, meta=empty._meta)


def _footprint(opdef, op, xs, outs):
    if opdef.footprint is not None:
        return int(opdef.footprint(op, xs, outs))
    return sum(planner.block_bytes(x) for x in xs if x is not None) + sum(planner.block_bytes(o) for o in outs)


def _latest(lowering, assigns):
    """Of several assigns, the one ordered after all others; by creation order when they are unordered."""
    if not assigns:
        return None
    for a in assigns:
        if all(b is a or b in lowering._ordered_after(a) for b in assigns):
            return a
    return max(assigns, key=lambda a: a._id)


def _check(op, t, arr, fed=()):
    """``infer`` is the only source of shape and dtype: the lowered array must agree with it. A fed tensor whose
    value was known when the graph was built (a fed ``shape(x)`` of a known shape) can contradict it."""
    if arr.dtype != t.dtype:
        raise errors.InternalError(None, op, f"lowering of '{op.name}' (type {op.type}) gave dtype {arr.dtype}, "
                                   f"inferred {t.dtype}")
    if t.shape.ndims is None or (len(arr.shape) == len(t.shape) and all(
            s is None or d is None or (isinstance(d, float) and np.isnan(d)) or s == d
            for s, d in zip(t.shape, arr.shape))):
        return
    known = sorted(repr(f.name) for f in fed if constant_value(f) is not None)
    if known:
        raise errors.InvalidArgumentError(
            None, op, f"'{op.name}' (type {op.type}) would have shape {arr.shape} in this run, but the graph was "
            f"built for {t.shape}: a fed value contradicts a value known when the graph was built (feed "
            f"{', '.join(known)}); feed the tensors it is computed from instead")
    raise errors.InternalError(None, op, f"lowering of '{op.name}' (type {op.type}) gave shape {arr.shape}, "
                               f"inferred {t.shape}")


def _without_stubs(name, layer, deps):
    """Some dask functions (``__setitem__``) copy their inputs' tasks into their own layer: stub placeholders
    copied that way are dropped, and the layers they stand for become dependencies instead."""
    if not isinstance(layer, MaterializedLayer):
        return layer, deps
    stale = {k for k, v in layer.mapping.items() if v is None and (k[0] if isinstance(k, tuple) else k) != name}
    if not stale:
        return layer, deps
    kept = MaterializedLayer({k: v for k, v in layer.mapping.items() if k not in stale})
    return kept, set(deps) | {k[0] if isinstance(k, tuple) else k for k in stale}


def _flat_keys(arr):
    name = arr.name
    return [(name,) + idx for idx in np.ndindex(*arr.numblocks)] if arr.ndim else [(name,)]


def _done(block):
    return None


def _first(block, *done):
    return block


def _after(arr, deps):
    """``arr`` whose blocks are computed only after every block of ``deps`` (each reduced to a token where it lies,
    so no block moves for the ordering)."""
    from dask._task_spec import Task, TaskRef
    from dask.base import tokenize
    from dask.core import flatten
    name = f"after-{tokenize(arr.name, *(d.name for d in deps))}"
    dsk, tokens = {}, []
    for d in deps:
        for k in flatten(d.__dask_keys__()):
            key = (f"done-{name}", len(tokens))
            dsk[key] = Task(key, _done, TaskRef(k))
            tokens.append(key)
    for k in flatten(arr.__dask_keys__()):
        key = (name,) + tuple(k[1:])
        dsk[key] = Task(key, _first, TaskRef(k), *(TaskRef(t) for t in tokens))
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[arr, *deps])
    return da.Array(graph, name, arr.chunks, meta=arr._meta)
