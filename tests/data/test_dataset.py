"""df.data: datasets over numpy and storage, their transformations, and graph-mode iterators, against numpy."""
import collections
import gc
import pathlib
import re
import threading

import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.data import blocks, columns

Pair = collections.namedtuple("Pair", "x y")


def rows(n=10, d=2):
    return np.arange(n * d, dtype="float32").reshape(n, d), np.arange(n, dtype="int64")


def labels(ds):
    return [int(e[1]) for e in ds]


class Counted:
    """A chunked on-disk-like array that records every read: (start, stop) of each row slice."""

    def __init__(self, arr, chunks=None):
        self.arr, self.shape, self.dtype, self.ndim = arr, arr.shape, arr.dtype, arr.ndim
        if chunks is not None:
            self.chunks = (chunks,) + arr.shape[1:]
        self.reads = []

    def __getitem__(self, key):
        if not (isinstance(key, slice) or (isinstance(key, tuple) and isinstance(key[0], slice))):
            raise AssertionError(f"read by {key!r}, not a row range")
        s = key if isinstance(key, slice) else key[0]
        start, stop, _ = s.indices(self.shape[0])
        self.reads.append((start, stop))
        return self.arr[key]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of at most 256 bytes of rows, so that small test arrays span many blocks (as big ones do with the
    default of a few MiB): then each block is one chunk of the storage arrays below."""
    monkeypatch.setattr(columns, "BLOCK_BYTES", 256)


def covered_once(reads, n):
    """Every row read exactly once, in contiguous ranges."""
    hits = np.zeros(n, int)
    for a, b in reads:
        hits[a:b] += 1
    return bool((hits == 1).all())


# -- sources

def test_from_tensor_slices_structures():
    x, y = rows()
    assert [(e[0].tolist(), int(e[1])) for e in df.data.Dataset.from_tensor_slices((x, y))] == \
        [(x[i].tolist(), i) for i in range(10)]
    d = list(df.data.Dataset.from_tensor_slices({"b": y, "a": x}))
    assert set(d[3]) == {"a", "b"} and d[3]["a"].tolist() == x[3].tolist() and d[3]["b"] == 3
    p = list(df.data.Dataset.from_tensor_slices(Pair(x, y)))
    assert isinstance(p[2], Pair) and p[2].x.tolist() == x[2].tolist() and p[2].y == 2
    nested = list(df.data.Dataset.from_tensor_slices((x, (y, {"z": y * 2}))))
    assert int(nested[4][1][1]["z"]) == 8
    scalars = df.data.Dataset.from_tensor_slices([1.5, 2.5, 3.5])
    assert [float(v) for v in scalars] == [1.5, 2.5, 3.5]
    assert scalars.output_types == np.float32  # python floats are float32, as in TF


def test_output_types_and_shapes():
    x, y = rows()
    ds = df.data.Dataset.from_tensor_slices((x, y))
    assert ds.output_types == (np.float32, np.int64)
    assert ds.output_shapes == ((2,), ())
    assert ds.batch(4).output_shapes == ((None, 2), (None,))
    assert ds.batch(4, drop_remainder=True).output_shapes == ((4, 2), (4,))
    assert ds.element_spec[0] == df.data.TensorSpec((2,), "float32")


def test_from_tensors_and_range():
    x, _ = rows()
    (only,) = list(df.data.Dataset.from_tensors((x, 3)))
    np.testing.assert_array_equal(only[0], x)
    assert only[1] == 3
    assert [int(v) for v in df.data.Dataset.range(2, 11, 3)] == [2, 5, 8]
    assert df.data.Dataset.range(5).output_types == np.int64
    big = np.concatenate([b for b in df.data.Dataset.range(200_000).batch(70_000)])
    np.testing.assert_array_equal(big, np.arange(200_000))


def test_zip_take_skip():
    x, y = rows()
    z = df.data.Dataset.zip((df.data.Dataset.from_tensor_slices(x), df.data.Dataset.range(100).skip(3)))
    got = [(a.tolist(), int(b)) for a, b in z]
    assert got == [(x[i].tolist(), i + 3) for i in range(10)]
    assert labels(df.data.Dataset.from_tensor_slices((x, y)).skip(2).take(3)) == [2, 3, 4]
    assert len(list(df.data.Dataset.range(5).take(-1))) == 5
    assert list(df.data.Dataset.range(5).skip(-1)) == []


def test_mismatched_first_dims():
    with pytest.raises(df.errors.InvalidArgumentError, match=r"same size in their first dimension, got \[10, 7\]"):
        df.data.Dataset.from_tensor_slices((np.zeros((10, 2)), np.zeros(7)))
    with pytest.raises(df.errors.InvalidArgumentError, match="component 1 is a scalar"):
        df.data.Dataset.from_tensor_slices((np.zeros(3), 5.0))
    ph = df.placeholder(df.float32, (None, 2))
    it = df.data.Dataset.from_tensor_slices((ph, np.arange(6))).make_initializable_iterator()
    with df.Session() as sess:  # known only when the iterator starts: raised by its initializer
        with pytest.raises(df.errors.InvalidArgumentError, match=r"got \[5, 6\]"):
            sess.run(it.initializer, feed_dict={ph: np.zeros((5, 2))})


# -- batch, repeat

def test_batch_and_drop_remainder():
    x, y = rows(10)
    got = list(df.data.Dataset.from_tensor_slices((x, y)).batch(4))
    assert [b[1].tolist() for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(got[1][0], x[4:8])
    assert [b.tolist() for b in df.data.Dataset.range(10).batch(4, drop_remainder=True)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    nested = [b.shape for b in df.data.Dataset.range(12).batch(2).batch(3)]
    assert nested == [(3, 2), (3, 2)]
    with pytest.raises(df.errors.InvalidArgumentError, match="batch_size must be a positive int, got 0"):
        df.data.Dataset.range(3).batch(0)


@pytest.mark.parametrize("batch", [1, 5, 7, 64, 200])
@pytest.mark.parametrize("drop", [False, True])
def test_batches_across_source_blocks(batch, drop, small_blocks):
    x = np.arange(3 * 150, dtype="float64").reshape(150, 3)  # blocks of 10 rows: batches span several
    got = list(df.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=drop))
    stop = 150 - 150 % batch if drop else 150
    want = [x[i:min(i + batch, stop)] for i in range(0, stop, batch)]
    assert len(got) == len(want) and all(np.array_equal(g, w) for g, w in zip(got, want))


def test_batch_of_unequal_elements_raises():
    ds = df.data.Dataset.range(5).batch(2).batch(3)  # batches of 2, 2 and 1 rows cannot be stacked
    with pytest.raises(df.errors.InvalidArgumentError, match="Cannot batch tensors with different shapes"):
        list(ds)


def test_repeat():
    assert [int(v) for v in df.data.Dataset.range(3).repeat(2)] == [0, 1, 2, 0, 1, 2]
    assert [int(v) for v in df.data.Dataset.range(3).repeat().take(7)] == [0, 1, 2, 0, 1, 2, 0]
    assert list(df.data.Dataset.range(0).repeat()) == []  # an empty input repeated forever ends
    assert [b.tolist() for b in df.data.Dataset.range(3).repeat(2).batch(4)] == [[0, 1, 2, 0], [1, 2]]


# -- shuffle

def test_shuffle_is_a_reproducible_permutation():
    ds = df.data.Dataset.range(1000)
    a = [int(v) for v in ds.shuffle(50, seed=7)]
    assert sorted(a) == list(range(1000)) and a != list(range(1000))
    assert a == [int(v) for v in ds.shuffle(50, seed=7)]
    assert a != [int(v) for v in ds.shuffle(50, seed=8)]
    assert sorted(int(v) for v in ds.shuffle(10**12, seed=1)) == list(range(1000))  # the buffer holds only the data


def test_shuffle_epochs_differ_reproducibly():
    ds = df.data.Dataset.range(100).shuffle(100, seed=3).repeat(3)
    got = np.array([int(v) for v in ds]).reshape(3, 100)
    for epoch in got:
        assert sorted(epoch) == list(range(100))  # every element exactly once per epoch
    assert len({tuple(e) for e in got}) == 3
    again = np.array([int(v) for v in df.data.Dataset.range(100).shuffle(100, seed=3).repeat(3)]).reshape(3, 100)
    np.testing.assert_array_equal(got, again)
    same = np.array([int(v) for v in df.data.Dataset.range(100).shuffle(100, seed=3, reshuffle_each_iteration=False)
                     .repeat(3)]).reshape(3, 100)
    assert all((e == same[0]).all() for e in same)


def test_shuffle_with_graph_seed_is_reproducible():
    def order():
        df.reset_default_graph()
        df.set_random_seed(11)
        return [int(v) for v in df.data.Dataset.range(50).shuffle(10)]
    assert order() == order()


class ScriptedRng:
    """Stands in for numpy's Generator with known draws."""

    def __init__(self, draws):
        self.draws = list(draws)

    def integers(self, lo, hi, size=None):
        if size is None:
            return self.draws.pop(0)
        out, self.draws = np.array(self.draws[:size]), self.draws[size:]
        assert (out < hi).all()
        return out

    def permutation(self, n):
        return np.arange(n)[::-1]


def reference_shuffle(elements, size, draws):
    """TF's buffer, one element at a time: output a uniformly drawn slot, refill it with the next element."""
    buf, out, draws = [], [], list(draws)
    for e in elements:
        if len(buf) < size:
            buf.append(e)
            continue
        j = draws.pop(0)
        out.append(buf[j])
        buf[j] = e
    return out + buf[::-1]


@pytest.mark.parametrize("block", [1, 3, 7, 40])
def test_shuffle_blocks_match_the_one_element_algorithm(block):
    n, size = 40, 6
    draws = np.random.default_rng(block).integers(0, size, n - size).tolist()
    data = np.arange(n)
    source = ([data[i:i + block], data[i:i + block] * 10] for i in range(0, n, block))
    out = list(blocks.shuffle_blocks(source, size, ScriptedRng(draws)))
    got = np.concatenate([o[0] for o in out])
    np.testing.assert_array_equal(got, reference_shuffle(range(n), size, draws))
    np.testing.assert_array_equal(np.concatenate([o[1] for o in out]), got * 10)


def test_shuffle_of_batches_of_unequal_size():
    got = [b.tolist() for b in df.data.Dataset.range(7).batch(2).shuffle(10, seed=1)]
    assert sorted(got) == [[0, 1], [2, 3], [4, 5], [6]]


def test_shuffle_small_buffer_mixes_storage_blocks():
    data = np.arange(1000, dtype="float64")[:, None]
    src = Counted(data, chunks=100)
    firsts = set()
    for seed in range(8):
        src.reads.clear()
        got = [int(v[0]) for v in df.data.Dataset.from_tensor_slices(src).shuffle(10, seed=seed)]
        assert sorted(got) == list(range(1000))
        firsts.add(got[0] // 100)
        assert covered_once(src.reads, 1000)
    assert len(firsts) > 2  # the first element comes from a random chunk, not always from chunk 0


def test_shuffle_bad_buffer_size():
    for bad in (0, -3, 2.5, True):
        with pytest.raises(df.errors.InvalidArgumentError, match="buffer_size must be a positive int"):
            df.data.Dataset.range(3).shuffle(bad)


# -- storage sources: read in row blocks, never whole

def test_counted_storage_is_read_in_blocks(monkeypatch):
    monkeypatch.setattr(columns, "BLOCK_BYTES", 64 * 8 * 3)  # 64 rows of 3 float64 per block
    data = np.random.default_rng(0).random((1000, 3))
    src = Counted(data)
    got = np.concatenate([b for b in df.data.Dataset.from_tensor_slices(src).batch(100)])
    np.testing.assert_array_equal(got, data)
    assert covered_once(src.reads, 1000) and max(b - a for a, b in src.reads) == 64


def test_zarr_source(tmp_path, small_blocks):
    zarr = pytest.importorskip("zarr")
    data = np.random.default_rng(1).random((500, 4)).astype("float32")
    z = zarr.create_array(store=str(tmp_path / "x.zarr"), shape=data.shape, chunks=(50, 4), dtype="float32")
    z[:] = data
    src = Counted(z, chunks=50)
    ds = df.data.Dataset.from_tensor_slices((src, np.arange(500))).batch(64)
    xs, ys = zip(*ds)
    np.testing.assert_array_equal(np.concatenate(xs), data)
    np.testing.assert_array_equal(np.concatenate(ys), np.arange(500))
    assert covered_once(src.reads, 500)
    assert all(a % 50 == 0 and (b % 50 == 0 or b == 500) for a, b in src.reads)  # whole chunks only
    assert max(b - a for a, b in src.reads) < 500
    shuffled = np.concatenate([x for x, _ in df.data.Dataset.from_tensor_slices((z, np.arange(500)))
                               .shuffle(32, seed=0).batch(100)])
    np.testing.assert_array_equal(np.sort(shuffled[:, 0]), np.sort(data[:, 0]))


def test_memmap_source(tmp_path, small_blocks):
    data = np.random.default_rng(2).random((300, 5))
    np.save(tmp_path / "x.npy", data)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    ds = df.data.Dataset.from_tensor_slices(mm)
    assert isinstance(ds._sources[0], columns.StorageColumn)  # read by row ranges, copied block by block
    np.testing.assert_array_equal(np.stack(list(ds)), data)
    with df.Session() as sess:
        nxt = ds.batch(128).make_one_shot_iterator().get_next()
        np.testing.assert_array_equal(sess.run(nxt), data[:128])


def test_h5py_source(tmp_path, small_blocks):
    h5py = pytest.importorskip("h5py")
    data = np.arange(600, dtype="int32").reshape(200, 3)
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f.create_dataset("x", data=data, chunks=(40, 3))
    with h5py.File(tmp_path / "x.h5", "r") as f:
        np.testing.assert_array_equal(np.concatenate(list(df.data.Dataset.from_tensor_slices(f["x"]).batch(30))),
                                      data)


def test_dask_source_reads_each_chunk_once(small_blocks):
    data = np.random.default_rng(3).random((400, 2))
    src = Counted(data)
    arr = da.from_array(src, chunks=(100, 2), asarray=False)
    got = np.concatenate(list(df.data.Dataset.from_tensor_slices(arr).batch(50)))
    np.testing.assert_array_equal(got, data)
    assert sorted(r for r in src.reads if r[1] > r[0]) == [(0, 100), (100, 200), (200, 300), (300, 400)]


def test_data_source_tensor_is_read_in_blocks(small_blocks):
    data = np.random.default_rng(4).random((300, 2)).astype("float32")
    src = Counted(data)
    arr = da.from_array(src, chunks=(100, 2), asarray=False)
    g = df.get_default_graph()
    t = g.create_op("DataSource", [], {"array": arr}, output_specs=[((300, 2), np.float32)]).outputs[0]
    ds = df.data.Dataset.from_tensor_slices(t)
    assert ds.output_shapes == (2,)
    np.testing.assert_array_equal(np.stack(list(ds)), data)
    # dask's own probe for the array's meta reads 0 rows
    assert sorted(r for r in src.reads if r[1] > r[0]) == [(0, 100), (100, 200), (200, 300)]


# -- tensors as inputs

def test_tensor_input_evaluated_at_initialization():
    x, _ = rows(6)
    ph = df.placeholder(df.float32, (None, 2))
    it = df.data.Dataset.from_tensor_slices(ph * 2.0).batch(4).make_initializable_iterator()
    nxt = it.get_next()
    assert it.output_shapes == (None, 2)
    with df.Session() as sess:
        sess.run(it.initializer, feed_dict={ph: x})
        np.testing.assert_array_equal(sess.run(nxt), x[:4] * 2)
        sess.run(it.initializer, feed_dict={ph: x[:1]})
        np.testing.assert_array_equal(sess.run(nxt), x[:1] * 2)
        with pytest.raises(df.errors.OutOfRangeError):
            sess.run(nxt)
    assert [v.tolist() for v in df.data.Dataset.from_tensor_slices(df.constant([[1, 2], [3, 4]]))] == [[1, 2],
                                                                                                        [3, 4]]


def test_one_shot_iterator_starts_with_its_first_runs_feeds():
    ph = df.placeholder(df.float32, (None,))
    nxt = df.data.Dataset.from_tensor_slices(ph + 1.0).make_one_shot_iterator().get_next()
    with df.Session() as sess:
        assert float(sess.run(nxt, feed_dict={ph: [1.0, 2.0]})) == 2.0
        assert float(sess.run(nxt)) == 3.0
    with df.Session() as sess:
        with pytest.raises(df.errors.InvalidArgumentError, match="must feed a value for placeholder"):
            sess.run(nxt)


def test_tensor_of_unknown_rank():
    ph = df.placeholder(df.int32, None)
    ds = df.data.Dataset.from_tensor_slices(ph)
    assert ds.output_shapes.ndims is None
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with df.Session() as sess:
        sess.run(it.initializer, feed_dict={ph: [[1, 2], [3, 4]]})
        assert sess.run(nxt).tolist() == [1, 2]
        with pytest.raises(df.errors.InvalidArgumentError, match="tensor 'Placeholder:0' is a scalar"):
            sess.run(it.initializer, feed_dict={ph: 5})


# -- map

def test_map_per_element_and_per_batch():
    x, y = rows(7)
    ds = df.data.Dataset.from_tensor_slices((x, y))
    per_row = list(ds.map(lambda a, b: (df.reduce_sum(a), b * 2)))
    assert [(float(s), int(b)) for s, b in per_row] == [(float(x[i].sum()), 2 * i) for i in range(7)]
    seen = []
    batched = ds.batch(3).map(lambda a, b: seen.append(a.shape) or {"s": df.reduce_sum(a, axis=1), "n": df.size(b)})
    assert seen == [(None, 2)]  # built once, with an unknown batch dim
    got = list(batched)
    assert [int(e["n"]) for e in got] == [3, 3, 1]
    np.testing.assert_allclose(np.concatenate([e["s"] for e in got]), x.sum(1))
    assert batched.output_shapes == {"s": (None,), "n": ()}
    single = df.data.Dataset.range(4).map(lambda v: df.cast(v, df.float32) / 2.0)
    assert single.output_types == np.float32 and [float(v) for v in single] == [0, 0.5, 1, 1.5]


def test_filter_and_unbatch():
    x, y = rows(10)
    ds = df.data.Dataset.from_tensor_slices((x, y))
    assert labels(ds.filter(lambda a, b: df.equal(b % 3, 0))) == [0, 3, 6, 9]
    assert labels(ds.batch(4).unbatch()) == list(range(10))
    np.testing.assert_array_equal(np.stack([a for a, _ in ds.batch(3).unbatch()]), x)
    assert ds.batch(4).unbatch().output_shapes == ((2,), ())
    with pytest.raises(df.errors.InvalidArgumentError, match="must return one scalar bool tensor"):
        ds.filter(lambda a, b: a)
    with pytest.raises(df.errors.InvalidArgumentError, match="unbatch: every component needs a leading dim"):
        ds.unbatch()


def test_map_parallel_keeps_order():
    ds = df.data.Dataset.range(50).batch(5)
    fn = lambda v: v * v  # noqa: E731
    assert [b.tolist() for b in ds.map(fn, num_parallel_calls=4)] == [b.tolist() for b in ds.map(fn)]
    assert [b.tolist() for b in ds.map(fn, num_parallel_calls=df.data.AUTOTUNE)] == [b.tolist() for b in ds.map(fn)]


def test_map_error_names_the_op():
    ds = df.data.Dataset.from_tensor_slices(np.zeros((3, 2), "float32"))
    with pytest.raises(df.errors.InvalidArgumentError, match="MatMul"):
        ds.map(lambda a: df.matmul(a, np.zeros((3, 3), "float32")))


# -- prefetch

class Gated:
    """Rows whose reads signal ``read[k]`` when block k is read; reading block ``fail_at`` raises."""

    def __init__(self, n, block, fail_at=None):
        self.shape, self.dtype, self.chunks = (n, 8), np.dtype("float64"), (block, 8)
        self.block, self.fail_at = block, fail_at
        self.read = [threading.Event() for _ in range(n // block)]

    def __getitem__(self, key):
        k = key.start // self.block
        if k == self.fail_at:
            raise OSError(f"disk error in block {k}")
        self.read[k].set()
        return np.repeat(np.arange(key.start, key.stop, dtype="float64")[:, None], 8, axis=1)


def test_prefetch_reads_while_the_consumer_works(small_blocks):
    src = Gated(40, 10)
    it = iter(df.data.Dataset.from_tensor_slices(src).prefetch(10))
    assert next(it)[0] == 0
    # the consumer holds element 0 and asks for nothing: the reader goes on to block 1 by itself
    assert src.read[1].wait(timeout=30)
    assert [float(v[0]) for v in it] == list(range(1, 40))


def test_no_prefetch_reads_only_on_demand(small_blocks):
    src = Gated(40, 10)
    it = iter(df.data.Dataset.from_tensor_slices(src))
    next(it)
    assert not src.read[1].wait(timeout=0.2)


def test_prefetch_reraises_reader_errors(small_blocks):
    ds = df.data.Dataset.from_tensor_slices(Gated(40, 10, fail_at=2)).prefetch(5)
    got = []
    with pytest.raises(OSError, match="disk error in block 2"):
        for v in ds:
            got.append(float(v[0]))
    assert got == list(range(20))


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "daskflow-prefetch"]


def test_prefetch_thread_stops_when_iterator_is_dropped():
    before = len(prefetch_threads())
    ds = df.data.Dataset.range(10**6).batch(10).prefetch(2)
    it = iter(ds)
    next(it)
    assert len(prefetch_threads()) == before + 1
    it.close()
    assert len(prefetch_threads()) == before
    it = iter(ds)
    next(it)
    del it
    gc.collect()
    assert len(prefetch_threads()) == before
    with df.Session() as sess:
        nxt = ds.make_one_shot_iterator().get_next()
        sess.run(nxt)
        assert len(prefetch_threads()) == before + 1
        it = ds.make_initializable_iterator()
        for _ in range(3):  # restarting an iterator stops the reader of its previous pass
            sess.run(it.initializer)
            sess.run(it.get_next())
            assert len(prefetch_threads()) == before + 2
    assert len(prefetch_threads()) == before  # closing the session stops its iterators' readers


def test_prefetch_bad_buffer_size():
    with pytest.raises(df.errors.InvalidArgumentError, match="prefetch: buffer_size"):
        df.data.Dataset.range(3).prefetch(-2)


# -- graph-mode iterators

def test_one_shot_iterator_until_out_of_range():
    x, y = rows(10)
    it = df.data.make_one_shot_iterator(df.data.Dataset.from_tensor_slices((x, y)).batch(4))
    xb, yb = it.get_next()
    assert xb.shape == (None, 2) and xb.dtype == np.float32 and yb.shape == (None,)
    total = df.reduce_sum(xb)
    with df.Session() as sess:
        got = [sess.run([yb, total]) for _ in range(3)]
        assert [g[0].tolist() for g in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        assert [float(g[1]) for g in got] == [x[:4].sum(), x[4:8].sum(), x[8:].sum()]
        with pytest.raises(df.errors.OutOfRangeError, match="End of sequence of iterator 'OneShotIterator'"):
            sess.run(total)
        with pytest.raises(df.errors.OutOfRangeError):
            sess.run(yb)


def test_a_refused_run_leaves_its_iterator_elements_for_the_next_run():
    x, y = rows(10)
    it = df.data.make_one_shot_iterator(df.data.Dataset.from_tensor_slices((x, y)).batch(4))
    other = df.data.make_one_shot_iterator(df.data.Dataset.from_tensor_slices(y).batch(3))
    xb, yb = it.get_next()
    ob = other.get_next()
    p = df.placeholder(df.float32, (None, 2))
    with df.Session() as sess:
        with df.config.set(task_bytes=8), pytest.raises(df.errors.ResourceExhaustedError):
            sess.run([yb, ob, df.reduce_sum(xb)])  # over budget: refused before anything runs
        with pytest.raises(df.errors.InvalidArgumentError):
            sess.run([yb, ob, xb + p], {p: np.zeros((3, 2), "float32")})  # 4 rows and 3 do not broadcast
        got = sess.run([yb, ob, xb + p], {p: np.ones((4, 2), "float32")})
        assert got[0].tolist() == [0, 1, 2, 3] and got[1].tolist() == [0, 1, 2]
        np.testing.assert_array_equal(got[2], x[:4] + 1)
        assert sess.run(yb).tolist() == [4, 5, 6, 7]


def test_plan_looks_at_the_next_element_without_taking_it():
    x, y = rows(10)
    it = df.data.make_one_shot_iterator(df.data.Dataset.from_tensor_slices((x, y)).batch(4))
    xb, yb = it.get_next()
    total = df.reduce_sum(xb)
    with df.Session() as sess:
        p = sess.plan(total)
        assert p.tasks >= 1 and p.fits
        assert float(sess.run(total)) == x[:4].sum()
        sess.plan([yb, total])
        assert sess.run(yb).tolist() == [4, 5, 6, 7]
        sess.run(total)
        with pytest.raises(df.errors.OutOfRangeError, match="End of sequence"):
            sess.plan(total)  # nothing left to plan for, as a run would say


def test_components_of_one_get_next_come_from_one_element():
    x, y = rows(5)
    it = df.data.Dataset.from_tensor_slices({"x": x, "y": y}).make_one_shot_iterator()
    nxt = it.get_next()
    with df.Session() as sess:
        a = sess.run([nxt["y"], nxt["x"], nxt["y"] * 10])
        assert int(a[0]) == 0 and a[1].tolist() == x[0].tolist() and int(a[2]) == 0
        assert int(sess.run(nxt["y"])) == 1
        other = it.get_next()  # a second op pulls its own element, as in TF
        b = sess.run([nxt["y"], other["y"]])
        assert sorted(int(v) for v in b) == [2, 3]


def test_uninitialized_iterator_fails():
    it = df.data.Dataset.range(3).make_initializable_iterator()
    nxt = it.get_next()
    with df.Session() as sess:
        with pytest.raises(df.errors.FailedPreconditionError, match="iterator 'Iterator' has not been initialized"):
            sess.run(nxt)


def test_reinitializing_restarts():
    it = df.data.Dataset.range(3).make_initializable_iterator()
    nxt = it.get_next()
    with df.Session() as sess:
        sess.run(it.initializer)
        assert [int(sess.run(nxt)) for _ in range(2)] == [0, 1]
        sess.run(it.initializer)
        assert [int(sess.run(nxt)) for _ in range(3)] == [0, 1, 2]


def test_reinitialized_shuffle_differs_reproducibly():
    def epochs():
        df.reset_default_graph()
        it = df.data.Dataset.range(30).shuffle(30, seed=5).make_initializable_iterator()
        nxt = it.get_next()
        out = []
        with df.Session() as sess:
            for _ in range(2):
                sess.run(it.initializer)
                out.append([int(sess.run(nxt)) for _ in range(30)])
        return out
    first = epochs()
    assert first == epochs()
    assert first[0] != first[1] and sorted(first[0]) == sorted(first[1]) == list(range(30))


def test_sessions_iterate_independently():
    nxt = df.data.Dataset.range(5).make_one_shot_iterator().get_next()
    with df.Session() as a, df.Session() as b:
        assert [int(a.run(nxt)) for _ in range(3)] == [0, 1, 2]
        assert int(b.run(nxt)) == 0
        assert int(a.run(nxt)) == 3


def test_fed_get_next_is_not_pulled():
    nxt = df.data.Dataset.range(5).make_one_shot_iterator().get_next()
    doubled = nxt * 2
    with df.Session() as sess:
        assert int(sess.run(doubled)) == 0
        assert int(sess.run(doubled, feed_dict={nxt: np.int64(21)})) == 42
        assert int(sess.run(doubled)) == 2  # the fed run did not advance the iterator


def test_end_of_data_changes_no_variable():
    nxt = df.data.Dataset.range(2).map(lambda v: df.cast(v, df.float32)).make_one_shot_iterator().get_next()
    v = df.Variable(0.0)
    step = v.assign_add(nxt)
    with df.Session() as sess:
        sess.run(v.initializer)
        sess.run(step)
        sess.run(step)
        with pytest.raises(df.errors.OutOfRangeError):
            sess.run(step)
        assert float(sess.run(v)) == 1.0


def test_from_structure_serves_several_datasets():
    train = df.data.Dataset.range(10).batch(5)
    test = df.data.Dataset.range(100, 103).batch(5)
    it = df.data.Iterator.from_structure(train.output_types, train.output_shapes)
    nxt = it.get_next()
    to_train, to_test = it.make_initializer(train), it.make_initializer(test)
    with df.Session() as sess:
        with pytest.raises(df.errors.FailedPreconditionError):
            sess.run(nxt)
        sess.run(to_test)
        assert sess.run(nxt).tolist() == [100, 101, 102]
        sess.run(to_train)
        assert sess.run(nxt).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(TypeError, match="Expected a dataset with elements"):
        it.make_initializer(df.data.Dataset.from_tensor_slices(np.zeros((3, 2), "float32")))
    with pytest.raises(ValueError, match="does not have an initializer"):
        df.data.Dataset.range(3).make_one_shot_iterator().initializer


def test_from_structure_takes_output_shapes_of_any_rank():
    ds = df.data.Dataset.from_tensor_slices((np.zeros((4, 2, 3), "float32"), np.arange(4))).batch(2)
    it = df.data.Iterator.from_structure(ds.output_types, ds.output_shapes)
    x, y = it.get_next()
    assert x.shape.as_list() == [None, 2, 3] and y.shape.as_list() == [None]
    with df.Session() as sess:
        sess.run(it.make_initializer(ds))
        assert sess.run(y).tolist() == [0, 1]


def test_iterator_ops_are_not_differentiable():
    x = df.data.Dataset.from_tensor_slices(np.ones((4, 2), "float32")).batch(2).make_one_shot_iterator().get_next()
    w = df.Variable(np.ones((2, 1), "float32"))
    (gx,) = df.gradients(df.reduce_sum(df.matmul(x, w)), [x])
    with df.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(gx), np.ones((2, 2)))


def test_logistic_regression_trains_over_one_shot_iterator():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(512, 3)).astype("float32")
    Y = (X @ np.array([1.5, -2.0, 0.5]) > 0).astype("float32")[:, None]
    ds = df.data.Dataset.from_tensor_slices((X, Y)).shuffle(512, seed=1).repeat(5).batch(64).prefetch(2)
    xb, yb = ds.make_one_shot_iterator().get_next()
    w = df.Variable(np.zeros((3, 1), "float32"))
    b = df.Variable(0.0)
    loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=yb, logits=df.matmul(xb, w) + b))
    train = df.train.GradientDescentOptimizer(0.5).minimize(loss)
    losses = []
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        while True:
            try:
                losses.append(float(sess.run([train, loss])[1]))
            except df.errors.OutOfRangeError:
                break
        w_final = sess.run(w)
    assert len(losses) == 5 * 512 // 64
    assert np.mean(losses[-8:]) < 0.5 * losses[0]
    assert np.mean(((X @ w_final) > 0) == (Y > 0)) > 0.95


# -- the README's example

def test_readme_input_pipeline_example():
    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Input pipelines", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    env = {}
    exec(compile(code, "README.md", "exec"), env)
    assert env["epoch_losses"][-1] < env["epoch_losses"][0]


def test_batch_size_may_be_a_tensor():
    """TF1 takes a scalar int64 tensor (a placeholder fed when the iterator starts, or a constant)."""
    b = df.placeholder(df.int64, [])
    it = df.data.Dataset.range(10).batch(b).make_initializable_iterator()
    nxt = it.get_next()
    assert nxt.shape.as_list() == [None]
    with df.Session() as s:
        s.run(it.initializer, {b: 4})
        assert [s.run(nxt).tolist() for _ in range(3)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        s.run(it.initializer, {b: 3})
        assert s.run(nxt).tolist() == [0, 1, 2]
        with pytest.raises(df.errors.InvalidArgumentError, match="batch_size must be a positive int, got 0"):
            s.run(it.initializer, {b: 0})
    assert [x.tolist() for x in df.data.Dataset.range(5).batch(df.constant(2, df.int64))] == [[0, 1], [2, 3], [4]]
    with pytest.raises(df.errors.InvalidArgumentError, match="batch_size must be a scalar int tensor"):
        df.data.Dataset.range(5).batch(df.constant([2.0]))
