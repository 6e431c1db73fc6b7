"""Losing a worker loses no state: on a 3-worker cluster, a worker process is killed between runs, in the middle of
a training step and while the step's new values are being kept; every run gives the values the local Session gives
for the same steps, and the variables end where uninterrupted training ends. A variable of which every copy of a
block is lost is an error naming it (``DataLossError``), never a silent reset, until it is assigned again."""
import operator
import os
import signal
import threading
import time

import numpy as np
import pytest

import daskflow as df
from daskflow import remote

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

STEPS = 6
BATCHES = [np.random.default_rng(i).standard_normal((32, 8)) for i in range(STEPS)]


@pytest.fixture
def client():
    """A cluster of its own for each test (a killed worker's nanny starts another, in its own time)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as c:
        yield c


def _model():
    """A small two-layer regression trained by Adam, in float64 (so a cluster's and the local values agree to
    rounding), with variables of several blocks (``chunk_bytes`` of 256 bytes) spread over the workers."""
    x = df.placeholder(df.float64, [None, 8], name="x")
    W1 = df.Variable(np.linspace(-1, 1, 8 * 16).reshape(8, 16), name="W1")
    b1 = df.Variable(np.zeros(16), name="b1")
    W2 = df.Variable(np.linspace(1, -1, 16).reshape(16, 1), name="W2")
    y = df.reduce_sum(df.sin(x), axis=1, keepdims=True)
    z = df.matmul(df.nn.tanh(df.matmul(x, W1) + b1), W2)
    loss = df.reduce_mean(df.square(z - y))
    train = df.train.AdamOptimizer(0.05).minimize(loss)
    return x, [W1, b1, W2], loss, train


def _reference():
    """Losses and final variables of the same steps with the local Session."""
    with df.Graph().as_default(), df.config.set(chunk_bytes=256):
        x, variables, loss, train = _model()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            losses = [s.run([train, loss], {x: b})[1] for b in BATCHES]
            return losses, s.run(variables)


REFERENCE = []


@pytest.fixture
def reference():
    if not REFERENCE:
        REFERENCE.append(_reference())
    return REFERENCE[0]


@pytest.fixture
def events(monkeypatch):
    """What recovery did, recorded: runs found failed by a lost worker (``retried``), state repaired
    (``repaired``: variable names)."""
    from daskflow.session import Session
    got = {"retried": [], "repaired": []}
    lost, repair = Session._worker_lost, remote.repair

    def worker_lost(self, e, plan):
        out = lost(self, e, plan)
        if out:
            got["retried"].append(type(e).__name__)
        return out

    def spy_repair(client, values):
        got["repaired"] += sorted(values)
        return repair(client, values)
    monkeypatch.setattr(Session, "_worker_lost", worker_lost)
    monkeypatch.setattr(remote, "repair", spy_repair)
    return got


def _state(session):
    """The session's variables' values on the cluster, by name."""
    return {n: v for n, v in session._vars.items() if isinstance(v, remote.RemoteValue)}


def _holder(client, session):
    """The worker holding the most blocks of the session's variables."""
    futures = [f for v in _state(session).values() for f in v.futures]
    counts = {}
    for ws in client.who_has(futures).values():
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    return max(counts, key=counts.get)


def _kill(client, address, wait=True):
    """Kill the worker process at ``address`` (its nanny starts another); with ``wait``, return once the scheduler
    has removed it."""
    pid = client.run(os.getpid, workers=[address])[address]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while wait and address in client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.05)


def _train(client, kill_at=None, kill=None, feed=lambda b: b, chunk_bytes=256):
    """The losses and final variables of the steps on the cluster; ``kill(session)`` before step ``kill_at``."""
    with df.Graph().as_default(), df.config.set(chunk_bytes=chunk_bytes):
        x, variables, loss, train = _model()
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            losses = []
            for i, b in enumerate(BATCHES):
                if i == kill_at:
                    kill(s)
                losses.append(s.run([train, loss], {x: feed(b) if i == kill_at else b})[1])
            return losses, s.run(variables)


def _check(got, reference):
    losses, values = got
    np.testing.assert_allclose(losses, reference[0], rtol=1e-9)
    for v, r in zip(values, reference[1]):
        np.testing.assert_allclose(v, r, rtol=1e-9, atol=1e-12)


def test_state_has_a_copy_on_another_worker(client):
    with df.Graph().as_default(), df.config.set(chunk_bytes=256):
        x, variables, loss, train = _model()
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            s.run(train, {x: BATCHES[0]})
            for name, v in _state(s).items():
                where = client.who_has(v.futures + v.copies)
                for f, c in zip(v.futures, v.copies):
                    assert len(where[f.key]) == 1 and len(where[c.key]) == 1, name
                    assert where[f.key] != where[c.key], name
            # the run that made them is forgotten (once its release reaches the scheduler): no task of it is left
            deadline = time.monotonic() + 10
            while (left := client.run_on_scheduler(lambda dask_scheduler: [
                    k for k, ts in dask_scheduler.tasks.items() if ts.run_spec is not None])) \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not left


def test_worker_killed_between_runs(client, reference, events):
    def kill(s):
        _kill(client, _holder(client, s))
    _check(_train(client, kill_at=3, kill=kill), reference)
    assert events["repaired"] and not events["retried"]  # read from the copies before the run: nothing failed


def test_worker_killed_in_the_middle_of_a_step(client, reference, events):
    """The step's input is a lazy feed whose block takes a second to come; meanwhile the worker holding most of the
    state dies, with the step's tasks waiting on its blocks."""
    import dask
    import dask.array as da
    state = {}

    def kill(s):
        state["victim"] = _holder(client, s)

    def slow(b):
        late = dask.delayed(operator.getitem)((b, dask.delayed(time.sleep)(1.0)), 0)
        return da.from_delayed(late, b.shape, b.dtype)

    def killer():
        while "victim" not in state:
            time.sleep(0.01)
        time.sleep(0.5)
        state["killed_at"] = time.monotonic()
        _kill(client, state["victim"], wait=False)

    t = threading.Thread(target=killer)
    t.start()
    try:
        got = _train(client, kill_at=3, kill=kill, feed=slow)
    finally:
        t.join()
    _check(got, reference)
    assert events["retried"], "the kill did not fail the step: the scenario did not happen"


@pytest.mark.parametrize("when", ["between runs", "after the rows are sent"])
def test_worker_killed_with_the_batch_split_over_the_workers(client, reference, monkeypatch, events, when):
    """Each step split over the 3 workers (towers: ``tower_bytes`` of one byte; variables of one block each), a
    worker killed between steps, or once a step has sent the workers their rows (its tower's rows die with it):
    the steps go on over the workers left."""
    from daskflow import session as session_mod
    real, state, splits = session_mod._Towers.graph, {}, []

    def graph(self, leaves, tag, workers, near=None):
        splits.append(len(workers))
        if state.pop("armed", False):
            _kill(client, workers[-1])
        return real(self, leaves, tag, workers, near)
    monkeypatch.setattr(session_mod._Towers, "graph", graph)

    def kill(s):
        if when == "between runs":
            _kill(client, _holder(client, s))
        else:
            state["armed"] = True
    with df.config.set(tower_bytes=1):
        got = _train(client, kill_at=3, kill=kill, chunk_bytes=None)
    _check(got, reference)
    assert splits[0] == 3 and 2 in splits  # over 3 workers, then over the 2 left (until the nanny's new one)
    assert events["retried" if when != "between runs" else "repaired"]


@pytest.mark.parametrize("who", ["holder", "peer"])
def test_worker_killed_while_new_values_are_kept(client, reference, monkeypatch, events, who):
    """Once the step's tasks are done and before its new values become the variables' (``remote.keep``), the worker
    holding most of them (or the one their copies are sent to) dies: the step runs again from the state before it."""
    real, calls = remote.keep, [None]

    def keep(c, values, copies=None):
        if calls == [0] and values:  # the first keep after start(): the step's
            futures = [b.future if isinstance(b, remote.Part) else b for v in values.values() for b in v.blocks]
            counts = {}
            for ws in c.who_has(futures).values():
                for w in ws:
                    counts[w] = counts.get(w, 0) + 1
            holder = max(counts, key=counts.get)
            victim = holder if who == "holder" else sorted(set(c.scheduler_info()["workers"]) - {holder})[0]
            _kill(c, victim, wait=who == "holder")
        calls.append(len(values))
        return real(c, values, copies)

    def start(s):
        calls[:] = [0]  # from here, the next keep is the step's
    monkeypatch.setattr(remote, "keep", keep)
    _check(_train(client, kill_at=3, kill=start), reference)
    assert events["retried"] == ["WorkerLost"]


def test_worker_killed_while_a_loaded_value_is_kept(client, monkeypatch):
    """``Variable.load`` sends the value's blocks and keeps them; a worker holding some dies before they are
    kept: the value is sent again, and the variable holds it."""
    real, armed = remote.keep, [True]

    def keep(c, values, copies=None, fetch=None):
        if armed:
            armed.clear()
            futures = [f for v in values.values() for f in v.futures]
            _kill(c, next(iter(c.who_has(futures).values()))[0])
        return real(c, values, copies, fetch)
    with df.Graph().as_default(), df.config.set(chunk_bytes=256):
        w = df.Variable(np.zeros(256), name="w")  # 2 KiB: eight blocks
        with df.Session(client) as s:
            s.run(w.initializer)
            monkeypatch.setattr(remote, "keep", keep)
            w.load(np.arange(256.0), s)
            assert not armed  # a worker died under the load
            np.testing.assert_array_equal(s.run(w), np.arange(256.0))


def test_a_lost_copy_is_made_again_by_the_next_run(client):
    """A variable no step assigns (a frozen layer) whose copies' worker dies gets new copies on the next run that
    reads it, so that a second loss loses nothing either."""
    with df.Graph().as_default(), df.config.set(chunk_bytes=256):
        frozen = df.Variable(np.linspace(0, 1, 64).reshape(8, 8), name="frozen")  # 512 bytes: two blocks
        x = df.placeholder(df.float64, [None, 8], name="x")
        out = df.reduce_sum(df.matmul(x, frozen))
        with df.Session(client) as s:
            s.run(frozen.initializer)
            held = _state(s)["frozen"]
            where = client.who_has(held.futures + held.copies)
            only_copies = set(where[held.copies[0].key]) - {a for f in held.futures for a in where[f.key]}
            if not only_copies:  # block 0's copy is on a worker also holding a block itself: lose that one
                only_copies = set(where[held.copies[0].key])
            _kill(client, only_copies.pop())
            np.testing.assert_allclose(s.run(out, {x: BATCHES[0]}), (BATCHES[0] @ np.linspace(0, 1, 64).reshape(8, 8)).sum())
            held = _state(s)["frozen"]
            assert not held.damaged()
            where = client.who_has(held.futures + held.copies)
            for f, c in zip(held.futures, held.copies):
                assert where[f.key] != where[c.key]
            np.testing.assert_array_equal(s.run(frozen), np.linspace(0, 1, 64).reshape(8, 8))


def test_every_copy_lost_is_an_error_naming_the_variable(client):
    with df.Graph().as_default():
        w = df.Variable(np.arange(4.0), name="w")
        v = df.Variable(np.ones(3), name="v")
        step = w.assign_add(np.ones(4))
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            s.run(step)
            held = _state(s)["w"]
            where = client.who_has([held.futures[0], held.copies[0]])
            for address in {a for ws in where.values() for a in ws}:
                _kill(client, address)
            with pytest.raises(df.errors.DataLossError, match=r"\['w'\]"):
                s.run(step)
            with pytest.raises(df.errors.DataLossError, match=r"\['w'\]"):
                s.run(w)  # not silently reset: lost until assigned again
            if not _state(s)["v"].lost():
                np.testing.assert_array_equal(s.run(v), np.ones(3))
            s.run(w.initializer)
            np.testing.assert_array_equal(s.run(step), np.arange(4.0) + 1)


def test_one_copy_kept_by_setting_and_its_loss_is_an_error(client):
    with df.Graph().as_default(), df.config.set(state_copies=1):
        w = df.Variable(np.arange(4.0), name="w")
        with df.Session(client) as s:
            s.run(w.initializer)
            held = _state(s)["w"]
            assert held.copies == [None]
            _kill(client, client.who_has(held.futures)[held.futures[0].key][0])
            with pytest.raises(df.errors.DataLossError, match=r"\['w'\]"):
                s.run(w)
