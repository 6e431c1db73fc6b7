import pytest


@pytest.fixture(scope="module")
def client():
    """A Client of a LocalCluster of 2 worker processes of one thread each on 127.0.0.1, for the tests of a module
    (a module may define its own)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as c:
        yield c
