"""A one-task run whose fed batch is large splits over the workers (towers, ``config.tower_bytes``): each worker
runs the step on its share of the rows next to its copy of the state, one more task sums their results and updates
the variables. Over a family of programs written as users write them, a cluster Session with towers gives the
values of the local Session (float64: to rounding, as the sums over the batch are taken in another order), and the
towers ran on different workers (the scheduler's task records)."""
import numpy as np
import pytest

import daskflow as df
from daskflow import session as session_mod

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

ROWS = 96


def _dense(x, n_out, rng, name):
    n_in = int(x.shape[-1])
    W = df.Variable(rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in), name=f"{name}_W")
    b = df.Variable(np.zeros(n_out), name=f"{name}_b")
    return df.matmul(x, W) + b


def mlp_adam(rng):
    x = df.placeholder(df.float64, [None, 20], name="x")
    y = df.placeholder(df.int64, [None], name="y")
    logits = _dense(df.nn.relu(_dense(x, 16, rng, "h")), 5, rng, "out")
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = df.train.AdamOptimizer(1e-2).minimize(loss)
    data = lambda r: {x: r.standard_normal((ROWS, 20)), y: r.integers(0, 5, ROWS)}  # noqa: E731
    return [loss, train], data


def softmax_sgd_fetching_rows(rng):
    """Per-example logits and the global step fetched with the loss: outputs of the towers joined, and state
    read by no tower."""
    x = df.placeholder(df.float64, [None, 12], name="x")
    y = df.placeholder(df.float64, [None, 3], name="y")
    logits = _dense(x, 3, rng, "softmax")
    loss = df.reduce_mean(df.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
    step = df.train.get_or_create_global_step()
    train = df.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
    data = lambda r: {x: r.standard_normal((ROWS, 12)),  # noqa: E731
                      y: np.eye(3)[r.integers(0, 3, ROWS)]}
    return [logits, loss, train, step], data


def normalised_with_fed_rate(rng):
    """Batch moments (a statistic over all the rows), a fed learning rate (a scalar) and fed class weights (a
    feed of another first dimension, not split), momentum."""
    x = df.placeholder(df.float64, [None, 10], name="x")
    y = df.placeholder(df.int64, [None], name="y")
    lr = df.placeholder(df.float64, [], name="lr")
    weights = df.placeholder(df.float64, [4], name="class_weights")
    mean, var = df.nn.moments(x, axes=[0])
    z = (x - mean) / df.sqrt(var + 1e-6)
    logits = _dense(z, 4, rng, "clf")
    per_row = df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits) * df.gather(weights, y)
    loss = df.reduce_sum(per_row) / df.cast(df.shape(x)[0], df.float64)
    train = df.train.MomentumOptimizer(lr, 0.9).minimize(loss)
    data = lambda r: {x: r.standard_normal((ROWS, 10)) * 3 + 1, y: r.integers(0, 4, ROWS),  # noqa: E731
                      lr: 0.1, weights: np.array([1.0, 2.0, 0.5, 1.5])}
    return [loss, train, mean], data


def conv_dropout_l2(rng):
    """A convolution, pooling, seeded dropout and an L2 penalty on the weights (computed from the state alone),
    gradients fetched as well as applied."""
    x = df.placeholder(df.float64, [None, 6, 6, 2], name="x")
    y = df.placeholder(df.int64, [None], name="y")
    k = df.Variable(rng.standard_normal((3, 3, 2, 4)) * 0.3, name="kernel")
    h = df.nn.max_pool(df.nn.relu(df.nn.conv2d(x, k, [1, 1, 1, 1], "SAME")), [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    h = df.nn.dropout(df.reshape(h, [-1, 36]), rate=0.25, seed=3)
    logits = _dense(h, 3, rng, "head")
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)) + \
        1e-3 * df.nn.l2_loss(k)
    grad_k, = df.gradients(loss, [k])
    train = df.train.RMSPropOptimizer(1e-2).minimize(loss)
    data = lambda r: {x: r.standard_normal((ROWS, 6, 6, 2)), y: r.integers(0, 3, ROWS)}  # noqa: E731
    return [loss, grad_k, train], data


def moving_average_of_a_batch(rng):
    """A variable assigned a statistic of the batch (no gradients): the combining task updates it."""
    x = df.placeholder(df.float64, [None, 7], name="x")
    avg = df.Variable(np.zeros(7), name="avg")
    update = df.assign(avg, 0.9 * avg + 0.1 * df.reduce_mean(x, axis=0))
    data = lambda r: {x: r.standard_normal((ROWS, 7)) + 2}  # noqa: E731
    return [update], data


PROGRAMS = [mlp_adam, softmax_sgd_fetching_rows, normalised_with_fed_rate, conv_dropout_l2,
            moving_average_of_a_batch]


def _run(program, session, steps=3):
    """Fetched values of ``steps`` runs of ``program`` and the variables' values after them."""
    with df.Graph().as_default() as g:
        fetches, data = program(np.random.default_rng(0))
        init = df.global_variables_initializer()
        variables = df.global_variables()
    rng = np.random.default_rng(1)
    with session(g) as s:
        s.run(init)
        got = [s.run(fetches, data(rng)) for _ in range(steps)]
        return got, dict(zip([v.name for v in variables], s.run(variables)))


def _assert_same(got, want):
    (runs, state), (want_runs, want_state) = got, want
    for run, want_run in zip(runs, want_runs):
        for a, b in zip(run, want_run):
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert state.keys() == want_state.keys()
    for name in state:
        np.testing.assert_allclose(state[name], want_state[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.fixture
def split_runs(monkeypatch):
    """The graphs of the tower runs made (their keys), recorded."""
    made = []
    real = session_mod._Towers.graph

    def graph(self, *a, **k):
        out = real(self, *a, **k)
        made.append(out[1])
        return out
    monkeypatch.setattr(session_mod._Towers, "graph", graph)
    return made


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_towers_give_the_local_values(client, program, split_runs):
    want = _run(program, lambda g: df.Session(graph=g))
    with df.config.set(tower_bytes=1024):
        got = _run(program, lambda g: df.Session(client, graph=g))
    assert len(split_runs) == 3 and all(len(keys) == 3 for keys in split_runs)  # 2 towers and the combining task
    _assert_same(got, want)


def test_towers_run_on_different_workers(client):
    distributed = pytest.importorskip("distributed")
    with df.Graph().as_default() as g:
        fetches, data = mlp_adam(np.random.default_rng(0))
        init = df.global_variables_initializer()
    feed = data(np.random.default_rng(1))
    with df.config.set(tower_bytes=1024), df.Session(client, graph=g) as s:
        s.run(init)
        with distributed.get_task_stream(client) as ts:
            s.run(fetches, feed)
    where = {r["key"].rsplit("-", 1)[1]: r["worker"] for r in ts.data if r["key"].startswith("run-r")}
    towers = sorted(client.scheduler_info()["workers"])
    assert {where["0"], where["1"]} == set(towers)  # one tower on each worker, in the order of their addresses
    assert where["0"] == towers[0]


def test_a_small_batch_runs_as_one_task(client, split_runs):
    """Under the default ``tower_bytes`` (4 MiB) a batch of a few KiB is one task; ``tower_bytes=None`` never
    splits."""
    want = _run(mlp_adam, lambda g: df.Session(graph=g))
    got = _run(mlp_adam, lambda g: df.Session(client, graph=g))
    with df.config.set(tower_bytes=None):
        got_none = _run(mlp_adam, lambda g: df.Session(client, graph=g))
    assert split_runs == []
    _assert_same(got, want)
    _assert_same(got_none, want)


def test_tower_bytes_setting_is_checked():
    with pytest.raises(ValueError, match="tower_bytes"):
        df.config.set(tower_bytes=-1)


def test_rows_go_in_the_graph_where_the_workers_are_out_of_the_clients_reach(client, monkeypatch, split_runs):
    """The rows are sent straight to the workers; where the client cannot reach them (a cluster behind a
    gateway), they go with the run's graph, through the scheduler, and later runs do not try again."""
    import weakref

    from daskflow import remote
    tries = []

    class Unreachable:
        def __call__(self, address):
            return self

        async def update_data(self, **kwargs):
            tries.append(1)
            raise OSError("no route to host")
    monkeypatch.setattr(client, "rpc", Unreachable())
    monkeypatch.setattr(remote, "_INDIRECT", weakref.WeakSet())
    want = _run(mlp_adam, lambda g: df.Session(graph=g))
    with df.config.set(tower_bytes=1024):
        got = _run(mlp_adam, lambda g: df.Session(client, graph=g))
    _assert_same(got, want)
    assert len(split_runs) == 3 and 1 <= len(tries) <= 2  # the first run's tries (one per tower), none after
    assert client in remote._INDIRECT
