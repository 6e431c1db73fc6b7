"""How a Session runs loops (``ops.loops``): a loop's iterations are runs of cached plans, one after another.

A run that reaches a loop runs it before the run itself is planned (``session._with_shape_args``); its results
are then fed to the run. The state of a run with loops (``RunState``) lives on the Session's thread for the
duration of ``Session.run``:

- assignments to variables made by a loop's iterations are kept in the run's ``overlay``: later iterations and
  the rest of the run read them, and they become the variables' values only when the whole run succeeds (a
  failing iteration changes no variable, as a failing run changes none);
- a loop's results (its slots' values: numpy arrays locally, ``RemoteValue`` s on a cluster, so that between
  iterations they stay on the workers that made them) and, where the run also runs the loop's gradient, the
  loop variables of every iteration, are held until the run ends.
"""
import contextlib

import numpy as np

from . import errors, remote
from .lowering import closure
from .ops.loops import RANDOM_TYPES

__all__ = ["RunState", "run_scope", "run"]



class RunState:
    """What a run with loops holds while it runs (see the module's doc)."""

    def __init__(self):
        self.overlay = None  # variable name -> value assigned by the run's loops so far
        self.loops = {}  # forward Loop -> (iterations, history: per iteration the loop variables and draws), its last
        self.held = []  # values to release when the run ends

    def hold(self, values):
        self.held.extend(v for v in values if isinstance(v, remote.RemoteValue))

    def kept(self):
        """Per loop that kept its iterations' values: ``(name, iterations, bytes kept)``."""
        return [(loop.name, n, sum(int(v.nbytes) for vals, _ in history for v in vals))
                for loop, (n, history) in self.loops.items()]

    def finish(self, session, apply):
        overlay, self.overlay = self.overlay, None
        if overlay:
            if apply:
                session._set_values(overlay)
            else:
                _release(overlay.values())
        _release(self.held)
        self.held, self.loops = [], {}


@contextlib.contextmanager
def run_scope(session, apply=True):
    """The run's state on this thread (a new one at the outermost call); at the end of the outermost call, the
    variables its loops assigned take their values when ``apply`` and nothing failed."""
    tls = session._tls
    state = getattr(tls, "state", None)
    if state is not None:
        yield state
        return
    state = tls.state = RunState()
    ok = False
    try:
        yield state
        ok = True
    finally:
        tls.state = None
        state.finish(session, apply and ok)


def run(session, op, feeds, fetches, ran):
    """Run loop ``op`` (``While`` or ``WhileGrad``) with ``feeds``, for a run of ``fetches``: its outputs' values
    (numpy arrays, or ``RemoteValue`` s on a cluster) by tensor. ``ran``: the loops run for this run so far (a
    gradient reads its loop's iterations there; a loop inside another runs again on each of its iterations, so
    the iterations of another run of it are not its)."""
    state = session._tls.state
    if state.overlay is None:
        state.overlay = {}
    loop = op.attrs["loop"]
    if loop.forward is None:
        values = _forward(session, state, loop, feeds, _records(session, loop, fetches, feeds), ran)
        state.hold(values)
        return dict(zip(op.outputs, values))
    out = {}
    fwd = loop.forward
    if fwd not in ran:  # the run reads only the gradient: the loop runs first, its results fed too
        values = _forward(session, state, fwd, feeds, True, ran)
        state.hold(values)
        out.update(zip(fwd.op.outputs, values))
        feeds = {**feeds, **out}
    values = _backward(session, state, loop, feeds, ran)
    state.hold(values)
    out.update(zip(op.outputs, values))
    return out


def _forward(session, state, loop, feeds, record, ran):
    vals, base, caps = _start(session, state, loop, feeds)
    history = [] if record else None
    draws = _random_ops(loop) if history is not None else ()
    counts = session._rng_counts
    n = 0
    again = [loop.pred_next] if loop.pred_next is not None else []
    try:
        f = dict(base)
        f.update(zip(loop.vars, vals))
        pred, = session._loop_step([loop.pred], f)
        while bool(np.asarray(pred)):
            drawn = {name: counts[name] for name in draws}
            got = session._loop_step(loop.body_sets + again, f)  # with the next condition, where it can be
            new = _taken(state, loop.body_sets)
            _check(loop, new, n)
            if history is not None:
                history.append((vals, drawn))
            else:
                _release(vals)
            vals, n = new, n + 1
            f = dict(base)
            f.update(zip(loop.vars, vals))
            pred, = got if again else session._loop_step([loop.pred], f)
    except BaseException:
        _release(vals)
        for h, _ in history or ():
            _release(h)
        raise
    finally:
        _release(caps)
    if history is not None:
        old = state.loops.pop(loop, None)  # a loop inside another runs again on each of its iterations
        if old is not None:
            for h, _ in old[1]:
                _release(h)
        state.loops[loop] = ran[loop] = (n, history)
        for h, _ in history:
            state.hold(h)
    return vals


def _backward(session, state, loop, feeds, ran):
    fwd = loop.forward
    n, history = ran[fwd]
    vals, base, caps = _start(session, state, loop, feeds)
    counts = session._rng_counts
    try:
        for i in reversed(range(n)):
            fwd_vals, drawn = history[i]
            f = dict(base)
            f.update(zip(fwd.vars, fwd_vals))
            f.update(zip(loop.vars, vals))
            now = {name: counts[name] for name in drawn}
            for name, c in drawn.items():  # the forward body's random ops draw what they drew on iteration i
                counts[name] = c
            try:
                session._loop_step(loop.body_sets, f)
            finally:
                for name, c in now.items():
                    counts[name] = c
            new = _taken(state, loop.body_sets)
            _release(vals)
            vals = new
    except BaseException:
        _release(vals)
        raise
    finally:
        _release(caps)
    return vals


def _start(session, state, loop, feeds):
    """The loop's initial values and captured tensors, computed in one run: ``(values, feeds of the iterations,
    captured values)``."""
    early = [s for s in loop.init_sets if s not in loop.late]
    session._loop_step(early + loop.cap_sets, feeds)
    got = dict(zip(early, _taken(state, early)))
    caps = _taken(state, loop.cap_sets)
    base = dict(feeds)
    base.update(zip(loop.computed, caps))
    if loop.late:  # TensorArrays whose element shape is the shape of what the first iteration writes
        f = dict(base)
        f.update((loop.vars[i], got[s]) for i, s in enumerate(loop.init_sets) if s in got)
        late = list(loop.late)
        shapes = session._loop_step([loop.late[s][0] for s in late], f)
        session._loop_step(late, {**base, **{loop.late[s][1]: np.asarray(v) for s, v in zip(late, shapes)}})
        got.update(zip(late, _taken(state, late)))
    return [got[s] for s in loop.init_sets], base, caps


def _taken(state, sets):
    """The values a run gave the slots of ``sets`` (``LoopSet`` ops), taken out of the run's state."""
    return [state.overlay.pop(s.inputs[0].op.name) for s in sets]


def _check(loop, values, n):
    for k, (v, t) in enumerate(zip(values, loop.vars)):
        if not t.shape.is_compatible_with(np.shape(v) if not isinstance(v, remote.RemoteValue) else v.shape):
            raise errors.InvalidArgumentError(
                None, loop.op, f"loop variable {k} of while loop '{loop.name}' has shape {tuple(v.shape)} after "
                f"iteration {n + 1}, outside its shape invariant {t.shape} [op '{loop.op.name}']")


def _records(session, loop, fetches, feeds):
    """Whether a run of ``fetches`` with ``feeds`` also runs a gradient of ``loop``: then the loop keeps the
    values of its loop variables on every iteration."""
    if not loop.grads or not loop.back_prop:
        return False
    key = (tuple(fetches), frozenset(feeds))
    reach = session._loop_reach.get(key)
    if reach is None:
        reach = session._loop_reach[key] = frozenset(closure(fetches, feeds))
    return any(g in reach for g in loop.grads)


def _random_ops(loop):
    return sorted(op.name for op in loop.inside if op.type in RANDOM_TYPES)


def _release(values):
    for v in values:
        if isinstance(v, remote.RemoteValue):
            v.release()
