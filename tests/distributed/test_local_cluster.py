"""A graph run on a dask.distributed LocalCluster (worker processes on 127.0.0.1), started and shut down here."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df

pytestmark = [pytest.mark.distributed, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as c:
        yield c


def _graph():
    x = df.placeholder(df.float64, shape=(None, 6), name="x")
    w = df.Variable(np.linspace(-1, 1, 18).reshape(6, 3), name="w")
    h = df.nn.relu(df.matmul(x, w))
    loss = df.reduce_sum(h * h)
    step = w.assign_sub(0.01 * df.matmul(x, h, transpose_a=True))
    return x, w, h, loss, step


def _reference(xv, steps):
    w = np.linspace(-1, 1, 18).reshape(6, 3)
    losses = []
    for _ in range(steps):
        h = np.maximum(xv @ w, 0)
        losses.append((h * h).sum())
        w = w - 0.01 * xv.T @ h
    return losses, w


@pytest.mark.parametrize("how", ["client", "address"])
def test_graph_runs_on_cluster(cluster, how):
    from distributed import Client
    x, w, h, loss, step = _graph()
    xv = np.random.default_rng(0).normal(size=(40, 6))
    feed = da.from_array(xv, chunks=(13, 6))  # several chunks: work spreads over workers
    with Client(cluster) as client:
        target = client if how == "client" else cluster.scheduler_address
        with df.Session(scheduler=target) as s:
            s.run(w.initializer)
            losses = [s.run([loss, step], {x: feed})[0] for _ in range(3)]
            final = s.run(w)
        assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.workers)) == 2
    ref_losses, ref_w = _reference(xv, 3)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-10)
    np.testing.assert_allclose(final, ref_w, rtol=1e-10)


def test_default_client_is_used(cluster):
    from distributed import Client
    x, w, h, loss, step = _graph()
    xv = np.ones((4, 6))
    with Client(cluster) as client:
        with df.Session() as s:
            s.run(w.initializer)
            # the scheduler's count of task transitions only grows (task groups are forgotten when done)
            before = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)
            value = s.run(loss, {x: xv})
            after = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)
    assert after > before  # the run went through the cluster's scheduler
    np.testing.assert_allclose(value, _reference(xv, 1)[0][0])


def test_errors_cross_the_cluster(cluster):
    from distributed import Client
    x = df.placeholder(df.float64, name="x")
    y = df.check_numerics(x * 2.0, "from a worker")
    with Client(cluster) as client, df.Session(scheduler=client) as s:
        with pytest.raises(df.errors.InvalidArgumentError, match="from a worker : Tensor had Inf values"):
            s.run(y, {x: np.inf})


def test_shapes_known_only_at_run_time_on_the_cluster(cluster):
    from distributed import Client
    x = df.placeholder(df.float64, (None, None), name="x")
    y = df.placeholder(df.float64, (None, None), name="y")
    k = df.cast(df.reduce_sum(x), df.int32)  # a shape argument computed from data on the workers
    r = df.reshape(df.range(k * 2), df.stack([k, 2]))
    gx, = df.gradients(df.reduce_sum(x * y), [x])
    with Client(cluster) as client, df.Session(scheduler=client) as s:
        xv = np.ones((1, 3))
        got_r, got_g = s.run([r, gx], {x: xv, y: np.full((4, 3), 2.0)})
    np.testing.assert_array_equal(got_r, np.arange(6).reshape(3, 2))
    np.testing.assert_array_equal(got_g, np.full((1, 3), 8.0))  # summed over the 4 rows y broadcasts x to


def test_a_graph_that_cannot_fit_a_worker_is_refused_before_it_runs():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  memory_limit="200MiB", dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        x = df.placeholder(df.float64, (3000, 3000))
        c = df.linalg.cholesky(x)  # takes its 72 MB input whole in one task
        with df.Session(scheduler=client) as s:
            budget = int(200 * 2**20 * 0.6)
            assert s.plan(df.reduce_sum(x), {x: np.eye(3000)}).budget == budget  # from the worker's memory_limit
            before = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)
            with pytest.raises(df.errors.ResourceExhaustedError, match=r"Op 'Cholesky' \(type Cholesky\) would hold "
                                                                       r"about .* over the task memory budget of "
                                                                       r"120.00 MiB"):
                s.run(c, {x: np.eye(3000)})
            after = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)
    assert after == before  # nothing was sent to the cluster
