"""df.io.to_zarr: results written block by block to zarr, with shared work computed once, progress, atomic
replacement and clear errors."""
import os

import dask
import dask.array as da
import numpy as np
import pytest
import zarr

import daskflow as df
from daskflow.testing import BlockCounter

def _model():
    x = df.placeholder(df.float32, (None, 6), name="x")
    w = df.Variable(np.linspace(-1, 1, 18, dtype=np.float32).reshape(6, 3), name="w")
    h = df.nn.relu(df.matmul(x, w))
    return x, w, h, df.nn.softmax(h)


def test_predictions_for_every_row_match_numpy(tmp_path):
    data = np.random.default_rng(0).standard_normal((1000, 6)).astype(np.float32)
    with df.Graph().as_default():
        x, w, h, probs = _model()
        with df.Session() as s:
            s.run(w.initializer)
            z = df.io.to_zarr(probs, tmp_path / "p.zarr", {x: da.from_array(data, chunks=(128, 6))},
                              session=s, progress=False)
        assert isinstance(z, zarr.Array) and z.shape == (1000, 3) and z.chunks == (128, 3)
    hv = np.maximum(data @ np.linspace(-1, 1, 18, dtype=np.float32).reshape(6, 3), 0)
    e = np.exp(hv - hv.max(1, keepdims=True))
    np.testing.assert_allclose(z[:], e / e.sum(1, keepdims=True), rtol=1e-5)
    assert sorted(os.listdir(tmp_path)) == ["p.zarr"]  # nothing left beside it


@pytest.mark.parametrize("progress", [False, True])
def test_predictions_of_many_blocks_stream_through_the_executor(tmp_path, progress, capsys):
    # one block of rows read, predicted and written at a time (two threads), dask's progress bar or not
    data = np.random.default_rng(2).standard_normal((40 * 50, 6)).astype(np.float32)
    src = BlockCounter(data)
    feed = da.from_array(src, chunks=(50, 6), asarray=False, meta=np.empty((0, 0), np.float32))
    with df.Graph().as_default(), dask.config.set(num_workers=2):
        x, w, h, probs = _model()
        with df.Session() as s:
            s.run(w.initializer)
            z = df.io.to_zarr(probs, tmp_path / "p.zarr", {x: feed}, session=s, progress=progress)
            want = s.run(probs, {x: data})
    assert src.reads == 40 and src.peak <= 6, f"{src.peak} of 40 blocks in memory at once"
    np.testing.assert_allclose(z[:], want, rtol=1e-6)
    assert ("100% Completed" in capsys.readouterr().out) == progress


def test_several_tensors_share_their_work_and_each_block_is_read_once(tmp_path):
    data = np.random.default_rng(1).standard_normal((900, 6)).astype(np.float32)
    src = BlockCounter(data)
    feed = da.from_array(src, chunks=(100, 6), asarray=False, meta=np.empty((0, 0), np.float32))
    with df.Graph().as_default():
        x, w, h, probs = _model()
        with df.Session() as s:
            s.run(w.initializer)
            g = df.io.to_zarr({"hidden": h, "probs": probs, "total": df.reduce_sum(h)}, tmp_path / "g.zarr",
                              {x: feed}, session=s, progress=False)
            hv, pv = s.run([h, probs], {x: data})
    assert src.reads == 9  # one read per block, for all three arrays
    assert isinstance(g, zarr.Group) and sorted(g.array_keys()) == ["hidden", "probs", "total"]
    np.testing.assert_allclose(g["hidden"][:], hv, rtol=1e-6)
    np.testing.assert_allclose(g["probs"][:], pv, rtol=1e-6)
    np.testing.assert_allclose(g["total"][()], hv.sum(), rtol=1e-5)


def test_list_of_tensors_named_by_tensor_and_irregular_chunks(tmp_path):
    data = np.arange(70, dtype=np.float64).reshape(35, 2)
    with df.Graph().as_default():
        x = df.placeholder(df.float64, (None, 2), name="in")
        with df.name_scope("out"):
            y = df.square(x, name="sq")
        feed = da.from_array(data, chunks=((5, 20, 3, 7), (2,)))  # zarr needs regular chunks: rechunked
        g = df.io.to_zarr([y], tmp_path / "l.zarr", {x: feed}, progress=False)
    assert list(g.array_keys()) == ["out_sq_0"]
    np.testing.assert_array_equal(g["out_sq_0"][:], data ** 2)


def test_progress_is_shown_unless_silenced(tmp_path, capsys):
    with df.Graph().as_default():
        x = df.placeholder(df.float64, (None,))
        feed = da.ones(1000, chunks=100)
        df.io.to_zarr(df.exp(x), tmp_path / "a.zarr", {x: feed})
        assert "100%" in capsys.readouterr().out
        df.io.to_zarr(df.exp(x), tmp_path / "b.zarr", {x: feed}, progress=False)
        assert capsys.readouterr().out == ""


def test_existing_stores_are_kept_unless_overwritten_and_failed_writes_leave_nothing(tmp_path):
    with df.Graph().as_default():
        x = df.placeholder(df.float64, (None,))
        df.io.to_zarr(x * 2, tmp_path / "a.zarr", {x: np.arange(4.0)}, progress=False)
        with pytest.raises(df.errors.AlreadyExistsError, match="a.zarr' already exists: pass overwrite=True"):
            df.io.to_zarr(x * 3, tmp_path / "a.zarr", {x: np.arange(4.0)}, progress=False)

        def boom(b):
            raise ValueError("disk full")
        bad = da.arange(8.0, chunks=2).map_blocks(boom, meta=np.empty(0))
        with pytest.raises(ValueError, match="disk full"):
            df.io.to_zarr(x * 3, tmp_path / "a.zarr", {x: bad}, overwrite=True, progress=False)
        np.testing.assert_array_equal(zarr.open_array(tmp_path / "a.zarr", mode="r")[:], [0, 2, 4, 6])
        assert sorted(os.listdir(tmp_path)) == ["a.zarr"]
        z = df.io.to_zarr(x * 3, tmp_path / "a.zarr", {x: np.arange(4.0)}, overwrite=True, progress=False)
        np.testing.assert_array_equal(z[:], [0, 3, 6, 9])


def test_bad_arguments(tmp_path):
    with df.Graph().as_default():
        x = df.placeholder(df.float64, (None,))
        with pytest.raises(TypeError, match="writes daskflow Tensors, got ndarray for 'a'"):
            df.io.to_zarr({"a": np.ones(3)}, tmp_path / "x.zarr")
        with pytest.raises(ValueError, match="distinct array names"):
            df.io.to_zarr([x, x], tmp_path / "x.zarr", {x: np.ones(2)})
        with pytest.raises(TypeError, match="local directory path"):
            df.io.to_zarr(x, "s3://bucket/x.zarr", {x: np.ones(2)})
        d = da.from_array(np.arange(-3.0, 3.0), chunks=2)
        with pytest.raises(df.errors.InvalidArgumentError, match="only known when computed"):
            df.io.to_zarr(x * 2, tmp_path / "u.zarr", {x: d[d > 0]})  # a feed of unknown length
        assert not os.path.exists(tmp_path / "u.zarr")


@pytest.mark.distributed
@pytest.mark.slow
def test_writes_from_the_workers_of_a_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    data = np.random.default_rng(2).standard_normal((400, 6)).astype(np.float32)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, df.Graph().as_default():
        x, w, h, probs = _model()
        with df.Session(scheduler=client) as s:
            s.run(w.initializer)
            z = df.io.to_zarr(h, tmp_path / "h.zarr", {x: da.from_array(data, chunks=(100, 6))}, session=s)
            np.testing.assert_allclose(z[:], s.run(h, {x: data}), rtol=1e-6)
