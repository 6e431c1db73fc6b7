"""Streaming over data larger than a worker's memory: the value and gradient of a mean loss over every row of an
on-disk X run as per-chunk partial results and a tree reduction, on a LocalCluster whose workers' memory limit is
well below the size of the data; no worker is paused, restarted or killed."""
import dask
import dask.array as da
import numpy as np
import pytest

import daskflow as df

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

D = 32
ROWS = 8 * 2**20 // (4 * D)  # storage chunks of 8 MiB
N = 60 * ROWS                # 480 MiB of X
WORKER_MEMORY = 240 * 2**20  # half of X per worker


def _write(path):
    import zarr
    rs = da.random.RandomState(0)
    X = rs.standard_normal((N, D), chunks=(ROWS, D)).astype(np.float32)
    y = (X[:, :1] + X[:, 1:2] > 0).astype(np.float32)
    g = zarr.open_group(str(path), mode="w")
    zx = g.create_array("X", shape=X.shape, chunks=(ROWS, D), dtype="f4")
    zy = g.create_array("y", shape=y.shape, chunks=(ROWS, 1), dtype="f4")
    da.store([X, y], [zx, zy], lock=False, scheduler="threads")
    return zx, zy


def _reference(zx, zy, w, b):
    """Loss and gradients by numpy, one storage chunk at a time, in float64."""
    loss, gw, gb = 0.0, np.zeros_like(w), 0.0
    for i in range(0, N, ROWS):
        x, y = zx[i:i + ROWS].astype(np.float64), zy[i:i + ROWS].astype(np.float64)
        z = x @ w + b
        loss += np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        r = 1 / (1 + np.exp(-z)) - y
        gw += x.T @ r
        gb += r.sum()
    return loss / N, gw / N, gb / N


def test_full_data_gradient_streams_within_worker_memory(tmp_path):
    distributed = pytest.importorskip("distributed")
    zx, zy = _write(tmp_path / "data.zarr")
    w0 = np.linspace(-0.5, 0.5, D).reshape(D, 1).astype(np.float32)
    with df.Graph().as_default():
        X = df.data.from_zarr(tmp_path / "data.zarr", component="X")
        y = df.data.from_zarr(tmp_path / "data.zarr", component="y")
        w, b = df.Variable(w0), df.Variable(np.float32(0.1))
        loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=df.matmul(X, w) + b))
        gw, gb = df.gradients(loss, [w, b])
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      memory_limit=WORKER_MEMORY, dashboard_address=None,
                                      worker_dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:  # default settings: the budget comes from the workers
            workers = sorted(client.scheduler_info()["workers"])
            with df.Session(scheduler=client) as s:
                s.run(df.global_variables_initializer())
                plan = s.plan([loss, gw, gb])
                # 1 thread each: the target fraction of the limit; blocks of an eighth of it, less what the worker's
                # process holds already
                budget = int(WORKER_MEMORY * dask.config.get("distributed.worker.memory.target"))
                held = max(w["metrics"]["memory"] for w in client.scheduler_info()["workers"].values())
                assert plan.budget == budget and plan.run_budget == budget
                # ``held`` is the workers' last heartbeat, which may come after the one the plan read: a few MiB
                # apart on a busy host (the default chunk_bytes, 128 MiB, is far outside this)
                assert abs(plan.chunk_bytes - (budget - held) // 8) <= 8 * 2**20
                assert plan.read_bytes == zx.nbytes + zy.nbytes and plan.peak_task_bytes <= budget
                lv, gwv, gbv = s.run([loss, gw, gb])
            assert sorted(client.scheduler_info()["workers"]) == workers  # none restarted or lost
            for addr in workers:
                changes = [e for _, e in client.get_events(addr)
                           if e.get("action") == "worker-status-change" and e["status"] != "running"]
                assert not changes, f"worker {addr} was paused or closing: {changes}"
            assert not [e for _, e in client.get_events("all") if e.get("action") == "remove-worker"]
    ref_loss, ref_gw, ref_gb = _reference(zx, zy, w0.astype(np.float64), 0.1)
    np.testing.assert_allclose(lv, ref_loss, rtol=1e-4)
    np.testing.assert_allclose(gwv, ref_gw, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(gbv, ref_gb, rtol=1e-3, atol=1e-6)
