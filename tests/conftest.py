import pytest

import daskflow as df


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
