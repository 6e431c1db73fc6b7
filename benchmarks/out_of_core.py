"""Out-of-core throughput and memory: one full-data loss + gradient of logistic regression over X stored in zarr,
for data sets of 1, 2 and 4 GiB (larger on request), against

- the I/O floor: a plain pass that reads the same zarr data and sums it (dask.array), and
- the same loss and gradient written by hand with dask.array,

each timed in a fresh process (so its peak RSS is its own): the best of three passes after one warm-up pass that
also warms the page cache. Prints seconds, the ratios against the floor and against hand-written dask, and peak RSS.

    python benchmarks/out_of_core.py [--sizes 1 2 4] [--features 64] [--dir DIR] [--keep]

The goals: no more than 1.3x the I/O floor, within 1.1x of hand-written dask, peak RSS flat as data grows.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

STORAGE_CHUNK_BYTES = 32 * 2**20


def make_data(path, gib, d, seed=0):
    """X (N, d) float32 and y (N, 1) in a zarr group, written chunk by chunk."""
    import dask.array as da
    import zarr

    if os.path.exists(os.path.join(path, "done")):
        return
    n = int(gib * 2**30) // (4 * d)
    rows = STORAGE_CHUNK_BYTES // (4 * d)
    rs = da.random.RandomState(seed)
    X = rs.standard_normal((n, d), chunks=(rows, d)).astype(np.float32)
    w_true = np.random.default_rng(seed).standard_normal((d, 1)).astype(np.float32) / np.sqrt(d)
    y = (X @ w_true + 0.5 * rs.standard_normal((n, 1), chunks=(rows, 1)) > 0).astype(np.float32)
    g = zarr.open_group(path, mode="w")
    zx = g.create_array("X", shape=X.shape, chunks=(rows, d), dtype="f4")
    zy = g.create_array("y", shape=y.shape, chunks=(rows, 1), dtype="f4")
    da.store([X, y], [zx, zy], lock=False)
    open(os.path.join(path, "done"), "w").close()


def _floor(path):
    import dask.array as da
    return lambda: float(da.from_zarr(path, component="X").sum(dtype="f8").compute())


def _hand_dask(path):
    import dask
    import dask.array as da

    X, y = da.from_zarr(path, component="X"), da.from_zarr(path, component="y")
    w = np.zeros((X.shape[1], 1), np.float32)

    def run():
        z = X @ w
        loss = da.mean(da.maximum(z, 0) - z * y + da.log1p(da.exp(-abs(z))))
        grad = X.T @ ((1 / (1 + da.exp(-z)) - y) / X.shape[0])
        return dask.compute(loss, grad)
    return run


def _daskflow(path):
    import daskflow as df

    X, y = df.data.from_zarr(path, component="X"), df.data.from_zarr(path, component="y")
    w = df.Variable(np.zeros((X.shape[1], 1), np.float32))
    loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=df.matmul(X, w)))
    grad = df.gradients(loss, [w])[0]
    sess = df.Session()
    sess.run(w.initializer)
    return lambda: sess.run([loss, grad])


METHODS = {"floor": _floor, "dask": _hand_dask, "daskflow": _daskflow}


def measure(method, path, repeat=3):
    """Run in a fresh process: a warm-up pass, then the best of ``repeat`` timed passes, and peak RSS."""
    run = METHODS[method](path)
    run()
    seconds = float("inf")
    for _ in range(int(repeat)):
        t0 = time.perf_counter()
        run()
        seconds = min(seconds, time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    return {"seconds": seconds, "peak_rss": rss}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 4], help="data set sizes in GiB")
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--dir", default=None, help="where to write the data (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the data sets for the next run")
    p.add_argument("--repeat", type=int, default=3, help="timed passes per method (the best counts)")
    p.add_argument("--measure", nargs=3, metavar=("METHOD", "PATH", "REPEAT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    base = args.dir or tempfile.mkdtemp(prefix="daskflow-ooc-")
    rows = []
    print(f"{'data':>6} {'method':>9} {'seconds':>8} {'vs floor':>9} {'vs dask':>8} {'peak RSS':>10}")
    try:
        for gib in args.sizes:
            path = os.path.join(base, f"logreg-{gib:g}g-{args.features}f.zarr")
            make_data(path, gib, args.features)
            res = {}
            for method in METHODS:
                cmd = [sys.executable, __file__, "--measure", method, path, str(args.repeat)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True)
                res[method] = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((gib, res))
            _print_row(gib, res)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    return rows


def _print_row(gib, res):
    for method, r in res.items():
        print(f"{gib:5g}G {method:>9} {r['seconds']:8.2f} {r['seconds'] / res['floor']['seconds']:8.2f}x "
              f"{r['seconds'] / res['dask']['seconds']:7.2f}x {r['peak_rss'] / 2**20:8.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
