"""Device scopes on a cluster: ``/job:worker/task:K``, ``/worker:<name>`` and addresses pin ops' tasks to workers
(read back from the scheduler's task stream), ``/device:GPU:N`` asks for a GPU resource, ``colocate_with`` and the
optimizers keep updates with their variables, and a device the cluster lacks is refused before anything runs."""
import numpy as np
import pytest

import daskflow as df

pytestmark = [pytest.mark.distributed, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    # worker 1 says it has a GPU (a resource, as `dask worker --resources GPU=1` declares one)
    spec = {i: {"cls": distributed.Nanny, "options": {"nthreads": 1, "host": "127.0.0.1", "dashboard": False,
                                                          "name": i, "resources": {"GPU": 1} if i else {}}}
            for i in range(2)}
    scheduler = {"cls": distributed.Scheduler, "options": {"host": "127.0.0.1", "dashboard_address": None}}
    with distributed.SpecCluster(workers=spec, scheduler=scheduler) as c, \
            distributed.Client(c, set_as_default=False) as client:
        client.wait_for_workers(2)
        yield client, {info["name"]: addr for addr, info in client.scheduler_info()["workers"].items()}


def _ran(client, run):
    """``run()``'s result and, per task key name, the workers its tasks ran on (the scheduler's records)."""
    from distributed import get_task_stream
    with get_task_stream(client) as ts:
        out = run()
    where = {}
    for rec in ts.data:
        key = rec["key"][0] if isinstance(rec["key"], tuple) else rec["key"]
        where.setdefault(key, set()).add(rec["worker"])
    return out, where


def _two_layers(devices):
    x = df.placeholder(df.float64, [None, 8], name="x")
    with df.device(devices[0]):
        W1 = df.Variable(np.linspace(-1, 1, 128).reshape(8, 16), name="W1")
        h = df.nn.relu(df.matmul(x, W1), name="h")
    with df.device(devices[1]):
        W2 = df.Variable(np.linspace(1, -1, 16).reshape(16, 1), name="W2")
        z = df.matmul(h, W2, name="z")
    loss = df.reduce_mean(df.square(z))
    train = df.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    return x, [W1, W2], loss, train


def _steps(s, x, loss, train, n=3):
    xv = np.random.default_rng(0).standard_normal((6, 8))
    return [s.run([train, loss], {x: xv})[1] for _ in range(n)]


@pytest.mark.parametrize("by", ["task", "name", "address"])
def test_layers_pinned_to_workers_run_there(cluster, by):
    client, addrs = cluster
    devices = {"task": ["/job:worker/task:0", "/job:worker/task:1"], "name": ["/worker:0", "/worker:1"],
               "address": [addrs[0], addrs[1]]}[by]
    with df.Graph().as_default():
        x, variables, loss, train = _two_layers(devices)
        with df.Session(scheduler="sync") as local:
            local.run(df.global_variables_initializer())
            want = _steps(local, x, loss, train)
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            got, where = _ran(client, lambda: _steps(s, x, loss, train))
            var_keys = {name: [f.key for f in s._vars[name].futures] for name in ("W1", "W2", "W1/Momentum")}
            held = client.run_on_scheduler(lambda dask_scheduler, ks=var_keys: {
                n: {w.address for k in keys for w in dask_scheduler.tasks[k].who_has} for n, keys in ks.items()})
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # the variables' reads and the layers' products ran where they were placed; the state stays there
    assert {w for k, ws in where.items() if k.startswith("var-W1-") for w in ws} == {addrs[0]}
    assert {w for k, ws in where.items() if k.startswith("var-W2-") for w in ws} == {addrs[1]}
    assert held == {"W1": {addrs[0]}, "W2": {addrs[1]}, "W1/Momentum": {addrs[0]}}  # slots with their variable


def test_a_gpu_device_asks_for_a_worker_with_a_gpu(cluster):
    client, addrs = cluster
    with df.Graph().as_default():
        a = df.constant(np.arange(6.0), name="a")
        with df.device("/device:GPU:0"):
            b = df.multiply(a, 3.0, name="b")
        with df.Session(client) as s:
            got, where = _ran(client, lambda: s.run(b))
    np.testing.assert_array_equal(got, np.arange(6.0) * 3)
    assert {w for k, ws in where.items() if k.startswith("mul") for w in ws} == {addrs[1]}


def test_colocate_with_follows_the_op(cluster):
    client, addrs = cluster
    with df.Graph().as_default():
        with df.device("/job:worker/task:1"):
            v = df.Variable(np.ones(4), name="v")
        with df.device("/job:worker/task:0"), df.colocate_with(v):
            w = df.multiply(v, 2.0, name="w")
        assert w.op.device == "/job:worker/task:1"
        with df.Session(client) as s:
            s.run(v.initializer)
            got, where = _ran(client, lambda: s.run(w))
    np.testing.assert_array_equal(got, np.full(4, 2.0))
    assert {w for k, ws in where.items() if k.startswith("mul") for w in ws} == {addrs[1]}


@pytest.mark.parametrize("device, message", [
    ("/job:worker/task:7", "the cluster has 2 worker.s., so no task 7"),
    ("/job:ps/task:0", "the cluster has no job 'ps'"),
    ("/worker:nobody", "no worker has that address or name"),
    ("/job:worker/task:0/device:GPU:0", "no worker there has a GPU resource"),
    ("/device:TPU:0", "daskflow has no TPU devices"),
])
def test_a_device_the_cluster_lacks_is_refused_before_anything_runs(cluster, device, message):
    client, _ = cluster
    with df.Graph().as_default():
        v, one = df.Variable(np.zeros(3), name="v"), df.constant(1.0, df.float64)
        with df.device(device):
            bumped = df.add(v, one, name="bumped")
        step = v.assign(bumped)
        with df.Session(client) as s:
            s.run(v.initializer)
            from distributed import get_task_stream
            with get_task_stream(client) as ts, pytest.raises(
                    df.errors.InvalidArgumentError, match=f"Cannot assign a device for operation 'bumped'.*{message}"
            ) as e:
                s.run(step)
            np.testing.assert_array_equal(s.run(v), np.zeros(3))  # nothing changed
    assert e.value.op.name == "bumped"
    assert ts.data == []  # nothing ran


def test_soft_placement_runs_what_it_cannot_place(cluster):
    client, _ = cluster
    with df.Graph().as_default():
        with df.device("/job:worker/task:0/device:GPU:0"):  # worker 0 has no GPU
            y = df.constant(np.arange(3.0)) * 2.0
        with df.Session(client, config=df.ConfigProto(allow_soft_placement=True)) as s:
            np.testing.assert_array_equal(s.run(y), np.arange(3.0) * 2)


def test_local_sessions_accept_devices_and_log_placement(capsys):
    with df.Graph().as_default():
        with df.device("/job:worker/task:3/device:GPU:1"):
            y = df.constant(np.arange(3.0), name="c") * 2.0
        with df.Session(config=df.ConfigProto(log_device_placement=True)) as s:
            np.testing.assert_array_equal(s.run(y), np.arange(3.0) * 2)
            s.run(y)
    err = capsys.readouterr().err
    assert "mul: (Mul): /job:localhost/replica:0/task:0/device:CPU:0" in err
    assert err.count("mul: (Mul)") == 1  # once per plan, as TF logs placement once


def test_log_device_placement_on_a_cluster_names_the_workers(cluster, capsys):
    client, addrs = cluster
    with df.Graph().as_default():
        with df.device("/job:worker/task:1"):
            y = df.multiply(df.constant(np.arange(3.0), name="c"), 2.0, name="y")
        with df.Session(client, config=df.ConfigProto(log_device_placement=True)) as s:
            s.run(y)
    assert f"y: (Mul): {addrs[1]}" in capsys.readouterr().err
