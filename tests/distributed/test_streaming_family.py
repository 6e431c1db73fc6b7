"""Every program of the streaming family (``daskflow.testing.streaming_programs``) on a LocalCluster of two worker
processes whose ``memory_limit`` is a quarter of the data, with daskflow's default settings (the budget comes from
the workers): each gives the values of its piecewise numpy reference, and no worker is paused, restarted or killed."""
import collections
import concurrent.futures
import os
import shutil
import time

import dask
import pytest

import daskflow as df
from daskflow.testing import STREAMING_PROGRAMS, streaming_program, write_streaming_data

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

DATA = dict(rows=2**21, features=128, chunk_rows=2**14, compressors=None)  # 1 GiB of X (1040 MiB in all); 8 MiB chunks


def _trouble(client, workers, since):
    """What happened to the workers since time ``since``: processes lost or replaced (``workers``: address -> pid
    before), status changes other than to running."""
    now = client.run(os.getpid)
    found = collections.Counter(f"{addr} {e['status']}" for addr in set(workers) | set(now)
                                for t, e in client.get_events(addr)
                                if t > since and e.get("action") == "worker-status-change" and e["status"] != "running")
    found.update(f"{e['worker']} removed" for t, e in client.get_events("all")
                 if t > since and e.get("action") == "remove-worker")
    changed = [f"worker processes {workers} -> {now}"] if now != workers else []
    return changed + [f"{what} ({n}x)" for what, n in sorted(found.items())], now


@pytest.fixture
def data(tmp_path):
    yield write_streaming_data(tmp_path / "data.zarr", **DATA)
    shutil.rmtree(tmp_path / "data.zarr")  # a GiB: not left for pytest's last three runs


def test_streaming_family_on_workers_with_a_quarter_of_the_data_each(data, tmp_path):
    distributed = pytest.importorskip("distributed")
    # an epoch of SGD in 128 steps, each a run on the cluster whose graph holds the batch (8 MiB: under distributed's
    # warning about large graphs)
    programs = [streaming_program(n, **({"batch_size": 2**14} if n == "sgd_epoch" else {})) for n in STREAMING_PROGRAMS]
    wrong, trouble = {}, {}
    # a task whose worker dies fails the run at once (no retries on new workers)
    with concurrent.futures.ThreadPoolExecutor(1) as pool, \
            dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     memory_limit=data.nbytes // 4, dashboard_address=None,
                                     worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        references = [pool.submit(p.reference, data) for p in programs]  # worked out while the cluster runs
        workers = client.run(os.getpid)
        for program, reference in zip(programs, references):
            since = time.time()
            try:
                with df.Graph().as_default():
                    job = program.build(data, str(tmp_path))
                    with df.Session(scheduler=client) as s:
                        s.run(df.global_variables_initializer())
                        got = job.run(s)
            except Exception as e:  # a worker lost: reported with the others below
                wrong[program.name] = f"{type(e).__name__}: {e}"
            else:
                errors = program.errors(got, reference.result())
                if any(e > program.tolerance for e in errors.values()):
                    wrong[program.name] = errors
            found, workers = _trouble(client, workers, since)
            if found:
                trouble[program.name] = found
    assert not wrong and not trouble, f"values off their references: {wrong}; workers in trouble: {trouble}"
