"""A cluster Session on a TLS-secured LocalCluster (certificates made here, in memory): training steps give the
losses and variable values of the local Session."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import adam_mlp

pytestmark = [pytest.mark.distributed, pytest.mark.slow]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("cryptography")  # Security.temporary makes its self-signed certificate with it
    sec = distributed.security.Security.temporary()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tls", security=sec,
                                  host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster, security=sec, set_as_default=False) as c:
        yield c


def _mlp():
    x, y, variables, loss, train = adam_mlp(32, 64, 5, scale=0.1, learning_rate=1e-2)
    rng = np.random.default_rng(1)
    return x, y, variables, loss, train, (rng.standard_normal((16, 32)).astype("f4"), rng.integers(0, 5, 16))


def _train(s, x, y, variables, loss, train, data):
    s.run(df.global_variables_initializer())
    losses = [s.run([train, loss], {x: data[0], y: data[1]})[1] for _ in range(4)]
    return losses, s.run(variables)


def test_training_on_a_tls_cluster_matches_the_local_session(client):
    assert client.scheduler.address.startswith("tls://")
    assert all(a.startswith("tls://") for a in client.scheduler_info()["workers"])
    with df.Graph().as_default():
        x, y, variables, loss, train, data = _mlp()
        with df.Session(scheduler="sync") as local:
            want, want_vars = _train(local, x, y, variables, loss, train, data)
        with df.Session(client) as s:
            got, got_vars = _train(s, x, y, variables, loss, train, data)
            assert s._client is client
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert want[-1] < want[0]  # the steps train (on one batch)
    for g, w in zip(got_vars, want_vars):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
