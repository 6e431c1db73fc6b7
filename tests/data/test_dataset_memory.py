"""The memory a Dataset pipeline holds while iterated, projected without iterating (``Dataset._held_bytes``, the
figure ``IteratorGetNext.host_bytes`` gives a run's projection), against the memory measured with ``tracemalloc``
(numpy reports its allocations to it): never above the projection, and not far below it."""
import gc
import tracemalloc

import dask.array as da
import numpy as np
import pytest
import zarr

import daskflow as df
from daskflow.data import columns
from daskflow.ops.registry import OPS

pytestmark = pytest.mark.usefixtures("quiet_process")  # tracemalloc counts every thread


D = df.data.Dataset
MiB = 2**20
N, F = 16384, 256  # rows of 1 KiB: 16 MiB of features, read in 4 MiB blocks
LOOSE, SLACK = 4, 4 * MiB  # the projection is at most LOOSE times the measured peak plus SLACK


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("dsmem")
    rng = np.random.default_rng(0)
    x = rng.random((N, F), dtype=np.float32)
    y = np.arange(N)
    z = zarr.create_array(str(d / "x.zarr"), shape=x.shape, chunks=(1024, F), dtype="f4")
    z[:] = x
    zy = zarr.create_array(str(d / "y.zarr"), shape=y.shape, chunks=(4096,), dtype="i8")
    zy[:] = y
    np.save(d / "x.npy", x)
    return {"x": x, "y": y, "z": zarr.open_array(str(d / "x.zarr"), mode="r"),
            "zy": zarr.open_array(str(d / "y.zarr"), mode="r"), "m": np.load(d / "x.npy", mmap_mode="r")}


def measured(ds):
    """Peak traced bytes over one iteration, less those traced before it (after a first element, so that
    one-time set-up, such as a map's private Session and zarr's codecs, is not counted)."""
    it = iter(ds)
    next(it)
    it.close()
    gc.collect()
    tracing = tracemalloc.is_tracing()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in ds:
            pass
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()


PIPELINES = {
    "numpy": lambda d: D.from_tensor_slices((d["x"], d["y"])),
    "numpy batch": lambda d: D.from_tensor_slices((d["x"], d["y"])).batch(64),
    "numpy shuffle batch": lambda d: D.from_tensor_slices((d["x"], d["y"])).shuffle(2000, seed=1).batch(64),
    "zarr": lambda d: D.from_tensor_slices((d["z"], d["y"])),
    "zarr x and y": lambda d: D.from_tensor_slices((d["z"], d["zy"])).batch(100),
    "zarr shuffle small batch": lambda d: D.from_tensor_slices((d["z"], d["y"])).shuffle(100, seed=1).batch(32),
    "zarr shuffle large batch": lambda d: D.from_tensor_slices((d["z"], d["y"])).shuffle(8000, seed=1).batch(32),
    "zarr shuffle all": lambda d: D.from_tensor_slices((d["z"], d["y"])).shuffle(N, seed=1).batch(256),
    "zarr shuffle batch prefetch": lambda d: D.from_tensor_slices((d["z"], d["y"])).shuffle(1000, seed=1)
    .batch(32).prefetch(4),
    "zarr batch shuffle batches": lambda d: D.from_tensor_slices(d["z"]).batch(50).shuffle(40, seed=1),
    "zarr repeat shuffle batch": lambda d: D.from_tensor_slices(d["z"]).repeat(2).shuffle(500, seed=1).batch(128),
    "memmap batch": lambda d: D.from_tensor_slices((d["m"], d["y"])).batch(128),
    "memmap shuffle batch prefetch": lambda d: D.from_tensor_slices((d["m"], d["y"])).shuffle(3000, seed=2)
    .batch(64).prefetch(df.data.AUTOTUNE),
    "dask zarr batch": lambda d: D.from_tensor_slices(df.data.from_zarr(d["z"])).batch(64),
    "zarr batch unbatch": lambda d: D.from_tensor_slices((d["z"], d["y"])).batch(100).unbatch(),
    "zarr zip range": lambda d: D.zip((D.from_tensor_slices(d["z"]), D.range(N))).batch(64),
    "zarr take skip": lambda d: D.from_tensor_slices(d["z"]).skip(1000).take(9000).batch(64),
    "zarr map": lambda d: D.from_tensor_slices((d["z"], d["y"])).take(1500)
    .map(lambda a, b: (df.nn.relu(a - 0.5), b)).batch(32),
    "zarr map parallel": lambda d: D.from_tensor_slices(d["z"]).take(1500).map(lambda a: a * 2.0,
                                                                                num_parallel_calls=4).batch(32),
    "zarr filter": lambda d: D.from_tensor_slices((d["z"], d["y"])).take(1500).filter(lambda a, b: df.equal(b % 3, 0)),
    "range map": lambda d: D.range(20000).map(lambda v: v * 2).batch(100),
}


@pytest.mark.parametrize("name", list(PIPELINES))
def test_measured_memory_within_projection(name, data):
    ds = PIPELINES[name](data)
    projected = ds._held_bytes()
    got = measured(ds)
    print(f"{name}: measured {got / MiB:.2f} MiB, projected {projected / MiB:.2f} MiB")
    assert got <= projected
    assert projected <= LOOSE * got + SLACK


def test_projection_of_a_tensor_source_counts_its_value(data):
    # a tensor is evaluated when the pass starts and kept to its end
    x = data["x"][:4096]
    ds = D.from_tensor_slices(df.constant(x)).shuffle(500, seed=0).batch(64)
    projected, got = ds._held_bytes(), measured(ds)
    print(f"tensor source: measured {got / MiB:.2f} MiB, projected {projected / MiB:.2f} MiB")
    assert x.nbytes <= got <= projected <= LOOSE * got + SLACK


# -- bounded in data size, growing with the buffers asked for

def big_sources(rows):
    """Storage sources of ``rows`` rows, never written: a projection reads nothing."""
    z = zarr.create_array(store={}, shape=(rows, F), chunks=(1024, F), dtype="f4")
    zy = zarr.create_array(store={}, shape=(rows,), chunks=(8192,), dtype="i8")
    return {"z": z, "zy": zy, "dask": df.data.from_dask(da.zeros((rows, F), chunks=(2048, F), dtype="f4"))}


STREAMING = {
    "zarr batch": lambda d: D.from_tensor_slices((d["z"], d["zy"])).batch(64),
    "zarr shuffle batch prefetch": lambda d: D.from_tensor_slices((d["z"], d["zy"])).shuffle(5000, seed=0)
    .batch(64).prefetch(2),
    "zarr repeat shuffle map batch": lambda d: D.from_tensor_slices(d["z"]).repeat().shuffle(1000)
    .map(lambda a: a * 2.0).batch(32),
    "zarr zip unbatch": lambda d: D.zip((D.from_tensor_slices(d["z"]).batch(10), D.from_tensor_slices(d["zy"])
                                         .batch(10))).unbatch().batch(128),
    "dask shuffle batch": lambda d: D.from_tensor_slices(d["dask"]).shuffle(2000, seed=0).batch(100),
}


@pytest.mark.parametrize("name", list(STREAMING))
def test_projection_does_not_grow_with_the_data(name):
    small, big = (STREAMING[name](big_sources(rows))._held_bytes() for rows in (1_000_000, 10_000_000))
    assert small == big  # 1 GB or 10 GB of features: the same few blocks and buffers


def test_projection_grows_with_the_shuffle_buffer(data):
    elem, step = F * 4 + 8, columns.BLOCK_BYTES // (F * 4 + 8)  # the buffer is emptied in blocks of `step` rows
    sizes = [100, 1000, step, 8000, 16000]
    proj = [D.from_tensor_slices((data["z"], data["y"])).shuffle(s).batch(32)._held_bytes() for s in sizes]
    for (a, pa), (b, pb) in zip(zip(sizes, proj), zip(sizes[1:], proj[1:])):
        assert pb - pa >= (b - a) * elem  # the buffer's elements
        if a >= step:  # and, while it fills, the blocks they come from and their objects
            assert pb - pa <= 3 * (b - a) * elem
    # a buffer larger than the data holds the data, whatever its size
    assert D.from_tensor_slices((data["z"], data["y"])).shuffle(10 * N).batch(32)._held_bytes() == \
        D.from_tensor_slices((data["z"], data["y"])).shuffle(N).batch(32)._held_bytes()


def test_projection_reads_nothing():
    class Storage:
        """A chunked on-disk-like array that fails on any read."""
        shape, dtype, chunks = (50_000, 8), np.dtype("f8"), (500, 8)

        def __getitem__(self, key):
            raise AssertionError("read")

    ds = D.from_tensor_slices(Storage()).shuffle(300).batch(16).prefetch(1)
    assert ds._held_bytes() > 300 * 64


def test_unbounded_elements_have_no_projection():
    p = df.placeholder("float32", (None, None))
    assert D.from_tensor_slices(p)._held_bytes() is None  # rows and row size known only when fed
    assert D.from_tensor_slices(np.array([b"ab", b"c"], dtype=object))._held_bytes() is not None  # views
    assert D.from_tensor_slices(np.zeros((4, 3))).map(lambda v: df.where(v > 0))._held_bytes() is None


# -- the hook Session.plan calls for an iterator's op

def host_bytes(tensor, sess):
    op = tensor.op
    return OPS[op.type].host_bytes(op, sess)


def test_one_shot_iterator_gives_its_pipeline(data):
    ds = D.from_tensor_slices((data["z"], data["y"])).shuffle(1000, seed=0).batch(32).prefetch(2)
    x, _ = ds.make_one_shot_iterator().get_next()
    with df.Session() as sess:
        assert host_bytes(x, sess) == ds._held_bytes()  # before the iterator starts
        sess.run(x)
        assert host_bytes(x, sess) == ds._held_bytes()


def test_initializable_iterator_is_sized_by_its_feeds():
    p = df.placeholder("float32", (None, 4))
    ds = D.from_tensor_slices(p).shuffle(50).batch(10)
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with df.Session() as sess:
        assert host_bytes(nxt, sess) is None  # how many rows will be fed is not known yet
        sizes = []
        for rows in (1000, 100_000):
            fed = np.ones((rows, 4), "f4")
            sess.run(it.initializer, feed_dict={p: fed})
            sess.run(nxt)
            sizes.append(host_bytes(nxt, sess))
            assert sizes[-1] == ds._held_bytes({p: fed})
        assert sizes[1] - sizes[0] >= (100_000 - 1000) * 16  # the fed value, kept for the pass (and bigger blocks)


def test_iterator_from_structure_gives_the_pipeline_it_runs(data):
    small = D.from_tensor_slices(data["z"]).batch(8)
    large = D.from_tensor_slices(data["z"]).shuffle(4000).batch(8)
    it = df.data.Iterator.from_structure(small.output_types, small.output_shapes)
    nxt = it.get_next()
    with df.Session() as sess:
        assert host_bytes(nxt, sess) == 0  # started on no dataset yet: it holds nothing
        for ds in (small, large, small):
            sess.run(it.make_initializer(ds))
            assert host_bytes(nxt, sess) == ds._held_bytes()
