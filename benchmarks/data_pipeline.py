"""Input pipeline throughput: rows per second through ``from_tensor_slices(X).shuffle(...).batch(256)`` (784 float32
columns, as MNIST) in Python iteration, with prefetch, through a graph-mode iterator feeding a small computation,
and from a zarr array on disk; against plain numpy doing the same shuffle-and-slice (a permutation and one fancy
index per batch), measured in the same run.

    python benchmarks/data_pipeline.py [--rows 250000] [--buffer 10000]

Prints rows/s and the ratio to the numpy baseline.
"""
import argparse
import tempfile
import time

import numpy as np

import daskflow as df


def timed(fn):
    t0 = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - t0)


def numpy_baseline(X, y, batch):
    def run():
        perm = np.random.default_rng(0).permutation(len(X))
        n = 0
        for i in range(0, len(X), batch):
            idx = perm[i:i + batch]
            xb, yb = X[idx], y[idx]
            n += len(yb)
        return n
    return run


def python_loop(ds):
    def run():
        return sum(len(yb) for _, yb in ds)
    return run


def graph_loop(ds):
    def run():
        df.reset_default_graph()
        xb, yb = ds.make_one_shot_iterator().get_next()
        total, size = df.reduce_sum(xb), df.size(yb)
        n = 0
        with df.Session() as sess:
            while True:
                try:
                    _, k = sess.run([total, size])
                except df.errors.OutOfRangeError:
                    return n
                n += int(k)
    return run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=250_000)
    p.add_argument("--buffer", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=256)
    a = p.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.random((a.rows, 784), dtype=np.float32)
    y = rng.integers(0, 10, a.rows)
    base = timed(numpy_baseline(X, y, a.batch))
    Dataset = df.data.Dataset
    cases = {
        "numpy permutation + fancy index": None,
        "python iteration, shuffle + batch": python_loop(Dataset.from_tensor_slices((X, y)).shuffle(a.buffer, seed=0)
                                                         .batch(a.batch)),
        "python iteration, + prefetch(2)": python_loop(Dataset.from_tensor_slices((X, y)).shuffle(a.buffer, seed=0)
                                                       .batch(a.batch).prefetch(2)),
        "batch only (no shuffle)": python_loop(Dataset.from_tensor_slices((X, y)).batch(a.batch)),
        "graph iterator + reduce_sum per batch": graph_loop(Dataset.from_tensor_slices((X, y))
                                                            .shuffle(a.buffer, seed=0).batch(a.batch).prefetch(2)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        import zarr
        z = zarr.create_array(store=f"{tmp}/x.zarr", shape=X.shape, chunks=(2000, 784), dtype="float32")
        z[:] = X

        def zarr_read():
            return sum(len(z[i:i + 2000]) for i in range(0, a.rows, 2000))
        cases["zarr: reading its chunks in order (no pipeline)"] = zarr_read
        cases["zarr source, shuffle + batch + prefetch"] = python_loop(
            Dataset.from_tensor_slices((z, y)).shuffle(a.buffer, seed=0).batch(a.batch).prefetch(2))
        print(f"{a.rows} rows of 784 float32, batch {a.batch}, shuffle buffer {a.buffer}")
        print(f"{'case':50s} {'rows/s':>12s} {'/ numpy':>8s}")
        for name, run in cases.items():
            r = base if run is None else timed(run)
            print(f"{name:50s} {r:12,.0f} {r / base:8.2f}")


if __name__ == "__main__":
    main()
