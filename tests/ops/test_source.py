"""Storage sources (df.data.from_zarr, from_npy, from_hdf5, from_dask): values, lazy block reads, planned chunks,
feeds, and errors."""
import dask
import dask.array as da
import numpy as np
import pytest
import zarr

import daskflow as df
from daskflow.storage import NpyReader

TESTED_OPS = {"DataSource"}


@pytest.fixture
def data():
    return np.random.default_rng(0).standard_normal((600, 7)).astype(np.float32)


def _zarr(path, x, chunks):
    z = zarr.create_array(store=str(path), shape=x.shape, chunks=chunks, dtype=x.dtype)
    z[:] = x
    return z


class _Counting:
    """An array-like that counts block reads and the rows each read returns."""

    def __init__(self, x):
        self.x, self.shape, self.dtype, self.ndim, self.reads = x, x.shape, x.dtype, x.ndim, []

    def __getitem__(self, idx):
        out = self.x[idx]
        self.reads.append(out.shape)
        return out


def test_from_zarr_values_and_gradient(tmp_path, data):
    _zarr(tmp_path / "x.zarr", data, (50, 7))
    with df.Graph().as_default():
        x = df.data.from_zarr(tmp_path / "x.zarr")
        assert x.shape == (600, 7) and x.dtype == np.float32
        w = df.Variable(np.ones((7, 1), np.float32))
        loss = df.reduce_mean(df.square(df.matmul(x, w)))
        g = df.gradients(loss, [w])[0]
        with df.Session() as s:
            s.run(w.initializer)
            lv, gv = s.run([loss, g])
    z = data.astype(np.float64) @ np.ones((7, 1))
    np.testing.assert_allclose(lv, np.mean(z ** 2), rtol=1e-5)
    np.testing.assert_allclose(gv, 2 * data.T.astype(np.float64) @ z / 600, rtol=1e-4)


def test_from_zarr_blocks_are_multiples_of_storage_chunks(tmp_path, data):
    _zarr(tmp_path / "x.zarr", data, (40, 7))
    with df.Graph().as_default(), df.config.set(chunk_bytes=100 * 7 * 4):  # room for 100 rows: 2 storage chunks
        x = df.data.from_zarr(str(tmp_path / "x.zarr"))
        arr = df.lower(x)
        assert set(arr.chunks[0][:-1]) == {80} and arr.chunks[1] == (7,)
        np.testing.assert_array_equal(arr.compute(), data)


def test_from_zarr_open_array_and_group_component(tmp_path, data):
    g = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    a = g.create_array("feat", shape=data.shape, chunks=(100, 7), dtype=data.dtype)
    a[:] = data
    with df.Graph().as_default():
        np.testing.assert_array_equal(df.data.from_zarr(a).compute(), data)
        np.testing.assert_array_equal(df.data.from_zarr(tmp_path / "g.zarr", component="feat").compute(), data)
        with pytest.raises(df.errors.NotFoundError, match="no zarr array"):
            df.data.from_zarr(tmp_path / "missing.zarr")


def test_from_npy_reads_blocks_through_a_memory_map(tmp_path, data):
    np.save(tmp_path / "x.npy", data)
    with df.Graph().as_default(), df.config.set(chunk_bytes=64 * 7 * 4):
        x = df.data.from_npy(tmp_path / "x.npy")
        src = x.op.attrs["source"]
        assert isinstance(src, NpyReader) and src.shape == data.shape
        arr = df.lower(x)
        assert max(arr.chunks[0]) == 64
        np.testing.assert_allclose(df.reduce_sum(x, axis=0).compute(), data.sum(0), rtol=1e-5)
        with pytest.raises(df.errors.NotFoundError, match="no .npy file"):
            df.data.from_npy(tmp_path / "nope.npy")


def test_from_hdf5(tmp_path, data):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f.create_dataset("x", data=data, chunks=(30, 7))
    with df.Graph().as_default():
        x = df.data.from_hdf5(tmp_path / "x.h5", "x")
        np.testing.assert_allclose(df.reduce_max(x).compute(), data.max())
        with pytest.raises(df.errors.NotFoundError, match="has no dataset 'y'"):
            df.data.from_hdf5(tmp_path / "x.h5", "y")


def test_from_dask_keeps_chunks_that_fit_and_splits_those_that_do_not(data):
    with df.Graph().as_default():
        d = da.from_array(data, chunks=(200, 7))
        assert df.lower(df.data.from_dask(d)).chunks == d.chunks
        with df.config.set(chunk_bytes=50 * 7 * 4):
            arr = df.lower(df.data.from_dask(d))
            assert max(arr.chunks[0]) <= 50
            np.testing.assert_array_equal(arr.compute(), data)
        with pytest.raises(TypeError, match="needs a dask array"):
            df.data.from_dask(data)


def test_a_run_reads_only_the_blocks_it_needs(data):
    src = _Counting(data)
    with df.Graph().as_default(), df.config.set(chunk_bytes=100 * 7 * 4):
        x = df.data.from_dask(da.from_array(src, chunks=(100, 7), asarray=False))
        first = x[:150]
        src.reads.clear()
        np.testing.assert_array_equal(first.eval(session=df.Session()), data[:150])
        assert len(src.reads) == 2  # blocks 0 and 1 of 6


def test_sources_and_storage_arrays_as_feeds(tmp_path, data):
    z = _zarr(tmp_path / "x.zarr", data, (100, 7))
    np.save(tmp_path / "x.npy", data)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    with df.Graph().as_default():
        ph = df.placeholder(df.float32, (None, 7))
        total = df.reduce_sum(ph, axis=0)
        with df.Session() as s:
            for value in (z, mm, df.data.from_zarr(z), da.from_array(data, chunks=(128, 7))):
                np.testing.assert_allclose(s.run(total, {ph: value}), data.sum(0), rtol=1e-5)
            with pytest.raises(TypeError, match="cannot be a daskflow Tensor"):
                s.run(total, {ph: df.ones((3, 7))})


def test_sources_run_on_the_threaded_scheduler_without_loading_all(tmp_path, data):
    _zarr(tmp_path / "x.zarr", data, (60, 7))
    with df.Graph().as_default(), df.config.set(chunk_bytes=60 * 7 * 4):
        x = df.data.from_zarr(tmp_path / "x.zarr")
        with df.Session(scheduler="threads") as s:
            plan = s.plan(df.reduce_sum(x))
            assert plan.read_bytes == data.nbytes
            with dask.config.set(scheduler="threads"):
                np.testing.assert_allclose(s.run(df.reduce_sum(x)), data.sum(dtype=np.float64), rtol=1e-4)


def test_sources_of_the_same_rows_read_the_same_row_blocks(tmp_path, data):
    _zarr(tmp_path / "x.zarr", data, (50, 7))
    labels = (data[:, :1] > 0).astype(np.float32)
    _zarr(tmp_path / "y.zarr", labels, (600, 1))
    with df.Graph().as_default(), df.config.set(chunk_bytes=100 * 7 * 4):
        x, y = df.data.from_zarr(tmp_path / "x.zarr"), df.data.from_zarr(tmp_path / "y.zarr")
        xa, ya = df.lower([x, y])
        assert ya.chunks[0] == xa.chunks[0] == (100,) * 6
        assert df.lower(y).chunks[0] == (600,)  # alone, the labels fit one block
        w = df.Variable(np.zeros((7, 1), np.float32))
        loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=df.matmul(x, w)))
        g = df.gradients(loss, [w])[0]
        with df.Session() as s:
            s.run(w.initializer)
            plan = s._plan([loss, g], {})
            # labels, logits and the loss gradient (broadcast to the logits' shape) all line up: no rechunking
            assert not [k for k in plan.dsk if "rechunk" in str(k)]
            np.testing.assert_allclose(s.run(g), data.T @ (0.5 - labels) / 600, rtol=1e-4, atol=1e-6)
