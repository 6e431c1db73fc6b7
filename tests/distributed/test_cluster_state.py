"""A cluster Session keeps its variables on the workers: training steps read and update them there, and only the
fetched values reach the client (counted at the client's comms to the scheduler); a failed run changes no variable; nothing is
left on the cluster once the Session closes."""
import time

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import adam_mlp, client_received, held_bytes as _held_bytes

pytestmark = [pytest.mark.distributed, pytest.mark.slow]


def _mlp(h=512):
    x, y, variables, loss, train = adam_mlp(128, h, 10)
    rng = np.random.default_rng(1)
    return x, y, variables, loss, train, (rng.standard_normal((5, 64, 128)).astype("f4"), rng.integers(0, 10, (5, 64)))


def _steps(s, x, y, loss, train, data):
    return [s.run([train, loss], {x: xb, y: yb})[1] for xb, yb in zip(*data)]


def test_training_steps_update_variables_on_the_workers(client):
    with df.Graph().as_default():
        x, y, variables, loss, train, data = _mlp()
        state = sum(v.dtype.itemsize * int(np.prod(v.shape)) for v in variables) * 3  # with Adam's two slots
        with df.Session(scheduler="sync") as local:
            local.run(df.global_variables_initializer())
            want = _steps(local, x, y, loss, train, data)
            want_vars = local.run(variables)
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            assert _held_bytes(client) >= state  # initialised where they are used
            got, per_step = [], []
            for xb, yb in zip(*data):
                with client_received(client) as n:
                    got.append(s.run([train, loss], {x: xb, y: yb})[1])
                per_step.append(n[0])
            held = _held_bytes(client)
            with client_received(client) as n:
                got_vars = s.run(variables)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    for g, w in zip(got_vars, want_vars):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    # a step brings back its loss (a few bytes) and the scheduler's messages about the run, never the state
    assert max(per_step) < 64 * 2**10 < state, per_step
    assert n[0] >= sum(v.nbytes for v in got_vars)  # fetching the variables brings them: the count is real
    assert held >= state


def test_old_values_are_released_and_nothing_is_left_after_close(client):
    with df.Graph().as_default():
        x, y, variables, loss, train, data = _mlp(h=64)
        before = _held_bytes(client, 0)  # what tests before left is released
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            _steps(s, x, y, loss, train, data)
            time.sleep(0.2)
            after_five = _held_bytes(client)
            _steps(s, x, y, loss, train, data)
            assert _held_bytes(client, after_five) == after_five  # each step replaces the state it read
        assert _held_bytes(client, before) == before


def test_a_failed_run_changes_no_variable_on_the_cluster(client):
    with df.Graph().as_default():
        w = df.Variable(np.arange(6.0).reshape(2, 3), name="w")
        x = df.placeholder(df.float64, [2, 3], name="x")
        step = w.assign_add(x)
        checked = df.check_numerics(df.reduce_sum(step), "bad step")
        with df.Session(client) as s:
            s.run(w.initializer)
            s.run(step, {x: np.ones((2, 3))})
            held = _held_bytes(client, 2 * 6 * 8)
            assert held == 2 * 6 * 8  # w's value, and its copy on the other worker: the run's own keys released
            with pytest.raises(df.errors.InvalidArgumentError, match="bad step"):
                s.run([step, checked], {x: np.full((2, 3), np.inf)})
            np.testing.assert_array_equal(s.run(w), np.arange(6.0).reshape(2, 3) + 1)
            assert _held_bytes(client, held) == held  # the failed run's new values were released
            s.run(step, {x: np.ones((2, 3))})
            np.testing.assert_array_equal(s.run(w), np.arange(6.0).reshape(2, 3) + 2)


def test_chunked_variables_spread_over_the_workers_and_load_by_blocks(client):
    with df.Graph().as_default(), df.config.set(chunk_bytes=64 * 2**10):
        v = df.Variable(df.random_normal([512, 256], seed=1), name="v")  # 512 KiB: blocks of 64 KiB
        step = v.assign(v * 2.0)
        with df.Session(client) as s:
            s.run(v.initializer)
            first = s.run(v)
            s.run(step)
            held = s._vars["v"]
            keys = [f.key for f in held.futures + held.copies]  # each block, and its copy on another worker
            where = client.run_on_scheduler(lambda dask_scheduler, keys=keys: [
                sorted(w.address for w in dask_scheduler.tasks[k].who_has) for k in keys])
            np.testing.assert_array_equal(s.run(v), first * 2)
            value = np.arange(512 * 256, dtype="f4").reshape(512, 256)
            with client_received(client) as n:
                v.load(value, s)
            np.testing.assert_array_equal(s.run(v), value)
    assert len(keys) == 16 and len({w for ws in where for w in ws}) == 2  # blocks on both workers
    assert all(where[i] != where[i + 8] for i in range(8))  # a block and its copy apart
    assert n[0] < 64 * 2**10  # loading sends the blocks; nothing comes back


def test_variables_given_one_value_keep_it_apart(client):
    with df.Graph().as_default():
        c = df.constant(np.arange(4.0), name="c")
        a, b = df.Variable(np.zeros(4), name="a"), df.Variable(np.zeros(4), name="b")
        both = df.group(a.assign(c), b.assign(c))  # one value, made once, is the new value of both
        with df.Session(client) as s:
            s.run([a.initializer, b.initializer])
            s.run(both)
            s.run(a.assign_add(df.ones(4, df.float64)))  # replacing a's value leaves b's
            np.testing.assert_array_equal(s.run(b), np.arange(4.0))
            np.testing.assert_array_equal(s.run(a), np.arange(4.0) + 1)
            np.testing.assert_array_equal(s.run(a.assign(a * 2)), (np.arange(4.0) + 1) * 2)  # fetched and kept
            np.testing.assert_array_equal(s.run(a), (np.arange(4.0) + 1) * 2)


@pytest.mark.parametrize("tower_bytes", [None, 1], ids=["one task", "towers"])
def test_copies_equal_the_state(client, tower_bytes):
    """After steps run as one task (the copies sent) or as towers (the combining task run again on the second
    worker, from the copies there: the new copies made there, not sent), each copy is on the other worker and
    equal to its block bit for bit."""
    distributed = pytest.importorskip("distributed")
    from daskflow import remote
    with df.Graph().as_default(), df.config.set(tower_bytes=tower_bytes):
        x, y, variables, loss, train, data = _mlp(64)
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            _steps(s, x, y, loss, train, [d[:1] for d in data])
            with distributed.get_task_stream(client) as ts:
                _steps(s, x, y, loss, train, [d[1:3] for d in data])
            state = {n: v for n, v in s._vars.items() if isinstance(v, remote.RemoteValue)}
            primaries = client.gather([f for v in state.values() for f in v.futures])
            copies = client.gather([c for v in state.values() for c in v.copies])
            for a, b in zip(primaries, copies):
                np.testing.assert_array_equal(a, b)
            where = client.who_has([c for v in state.values() for c in v.copies])
            copy_workers = {w for ws in where.values() for w in ws}
    replicas = [r for r in ts.data if r["key"].endswith("-copy")]
    assert len(replicas) == (2 if tower_bytes else 0)
    assert {r["worker"] for r in replicas} <= copy_workers


def test_variables_on_in_process_workers():
    """A LocalCluster of threads (processes=False) hands results back unserialised: state still lives there."""
    import distributed
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, df.Graph().as_default():
        v = df.Variable([1.0, 2.0])
        with df.Session(client) as s:
            s.run(v.initializer)
            s.run(v.assign_add([1.0, 1.0]))
            assert s.run(v).tolist() == [2.0, 3.0]
