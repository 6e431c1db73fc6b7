"""A variable and its optimizer slot larger than one worker's memory limit train on a cluster, with default
settings: their blocks spread over the workers (spilled to disk where a worker's memory is full, as distributed
does), each step updates them where they are, and no worker is restarted or killed."""
import os

import numpy as np
import pytest

import daskflow as df
from daskflow import remote

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

MiB = 2**20
LIMIT = 512 * MiB  # each of three workers
N = 80 * 2**20  # float32 elements: 320 MiB of variable and 320 MiB of momentum, 640 MiB of state
STEPS, LR, MOMENTUM = 3, 0.1, 0.9


def test_state_larger_than_a_worker_trains(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  memory_limit=LIMIT, dashboard_address=None, worker_dashboard_address=None,
                                  local_directory=str(tmp_path)) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        pids = client.run(os.getpid)
        with df.Graph().as_default():
            w = df.Variable(df.random_uniform([N], seed=3), name="w")
            loss = 0.5 * df.reduce_sum(df.square(w - 1.0))  # gradient w - 1, elementwise
            train = df.train.MomentumOptimizer(LR, MOMENTUM).minimize(loss)
            probe = df.concat([w[:1000], w[-1000:]], axis=0)
            mean = df.reduce_mean(w)
            with df.Session(client) as s:
                s.run(df.global_variables_initializer())
                state = [v for v in s._vars.values() if isinstance(v, remote.RemoteValue)]
                assert sum(v.nbytes for v in state) > LIMIT  # w and its momentum slot
                p0, m0 = s.run([probe, mean])
                for _ in range(STEPS):
                    s.run(train)
                p1, m1 = s.run([probe, mean])
                state = [v for v in s._vars.values() if isinstance(v, remote.RemoteValue)]
                held = {a for v in state for ws in client.who_has(v.futures).values() for a in ws}
        # w - 1 and the momentum stay proportional to w0 - 1: one scalar recurrence gives the factor
        e, acc = 1.0, 0.0
        for _ in range(STEPS):
            acc = MOMENTUM * acc + e
            e = e - LR * acc
        np.testing.assert_allclose(p1 - 1, e * (p0 - 1), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(m1 - 1, e * (m0 - 1), rtol=1e-3)
        assert len(held) >= 2  # the state's blocks are spread over the workers
        assert client.run(os.getpid) == pids  # no worker restarted or killed
