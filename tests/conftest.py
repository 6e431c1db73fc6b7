import pytest

import daskflow as df


def pytest_generate_tests(metafunc):
    """Tests in modules marked ``every_executor`` run twice: on the local Session, and with a default
    ``distributed.Client`` of a LocalCluster (worker processes on 127.0.0.1), which every ``df.Session()`` the test
    makes then runs on."""
    if metafunc.definition.get_closest_marker("every_executor") is not None:
        metafunc.parametrize("executor", ["local", "cluster"], indirect=True)


def pytest_collection_modifyitems(config, items):
    """A test marked ``cluster_cases(param, values)`` runs on the cluster only for those values of its parameter
    ``param`` (the others run on the local Session alone): for families of programs that exercise the same
    distributed paths, where one representative per path is enough on the cluster."""
    keep, drop = [], []
    for item in items:
        mark = item.get_closest_marker("cluster_cases")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if mark is not None and params.get("executor") == "cluster" and params[mark.args[0]] not in mark.args[1]:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


_CLUSTER = []  # the LocalCluster of this test process, while one runs


def _local_cluster():
    """A LocalCluster of 2 worker processes on 127.0.0.1, started when first asked for in this test process."""
    if not _CLUSTER:
        import distributed
        _CLUSTER.append(distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                                 dashboard_address=None, worker_dashboard_address=None))
    return _CLUSTER[0]


def close_local_cluster():
    """Shut the cluster down: its scheduler runs in this process, and its allocations would count in tests that
    trace this process's memory."""
    while _CLUSTER:
        _CLUSTER.pop().close()


@pytest.fixture
def quiet_process():
    """For tests that trace this process's memory: no cluster scheduler runs in it."""
    close_local_cluster()


@pytest.fixture(scope="session", autouse=True)
def _cluster_closes_at_the_end():
    yield
    close_local_cluster()


@pytest.fixture(autouse=True)
def executor(request):
    """Where the test's Sessions run: "local", or the default Client of a LocalCluster (see
    ``pytest_generate_tests``)."""
    if getattr(request, "param", "local") == "local":
        yield "local"
        return
    distributed = pytest.importorskip("distributed")
    with distributed.Client(_local_cluster()) as client:  # the default, as Client() makes it
        yield client


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Every test starts on an empty default graph."""
    df.reset_default_graph()
    yield
    df.reset_default_graph()


@pytest.fixture(scope="session")
def streaming_data(tmp_path_factory):
    """``make(name, **sizes)``: the data of the streaming programs (``daskflow.testing``),
    written once per test run and shared by pytest-xdist's workers (they write it in turn, under a lock)."""
    import fcntl
    import os

    from daskflow.testing import StreamingData, write_streaming_data
    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root  # the directory the workers share

    def make(name, **sizes):
        path = root / f"{name}.zarr"
        with open(root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (root / f"{name}.done").exists():
                write_streaming_data(path, **sizes)
                (root / f"{name}.done").touch()
        return StreamingData(path)
    return make
