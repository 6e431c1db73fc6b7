"""Out-of-core throughput and memory over the streaming family (``daskflow.testing.STREAMING_PROGRAMS``: logistic
regression written three ways, softmax regression, a 2-layer MLP, least squares on standardised X, the Gram matrix,
predictions written with ``to_zarr``, one epoch of mini-batch SGD) on zarr data of 1, 2 and 4 GiB of X (128
float32 features, storage chunks of 32 MiB, uncompressed), each program against

- the I/O floor: plain dask.array passes that read the arrays the program reads and sum them (X, y and classes
  each timed once per data size; a program's floor adds up the arrays it reads, X twice for the two passes of
  ``standardised``), and
- the same math written by hand with dask.array (``HAND``; none for ``sgd_epoch``, see ``_dask_sgd_epoch``),

each measured in a fresh process with daskflow's and dask's default settings: one warm-up pass (which also warms
the page cache), then the best of ``--repeat`` timed passes. Peak memory is the RSS high-water mark of the timed
passes above the RSS just before them (after imports, the graph, the plan and the warm-up: that baseline is
printed); daskflow's projected peak is its plan's ``run_peak_bytes``.

    python benchmarks/out_of_core.py [--sizes 1 2 4] [--programs gram mlp ...] [--repeat 3] [--dir DIR] [--keep]
    python benchmarks/out_of_core.py --check     # tiny data: daskflow, hand-written dask and numpy agree

The goals: every program within 1.3x of the I/O floor; peak memory no more than 1.25x hand-written dask's at the
same data size.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import dask
import dask.array as da
import numpy as np

FEATURES = 128
STORAGE_CHUNK_BYTES = 32 * 2**20
FLOOR_GOAL, PEAK_GOAL = 1.3, 1.25
# the arrays each program reads, once per pass over them
READS = {"logistic_1d": "X y", "logistic_2d": "X y", "logistic_sliced": "X y", "softmax": "X classes", "mlp": "X y",
         "standardised": "X X y", "gram": "X", "predictions": "X", "sgd_epoch": "X y"}


def make_data(path, gib, d=FEATURES):
    """The streaming family's data with ``gib`` GiB of X, written once (a ``done`` file marks it complete)."""
    from daskflow.testing import StreamingData, write_streaming_data

    if not os.path.exists(os.path.join(path, "done")):
        write_streaming_data(path, int(gib * 2**30) // (4 * d), d, STORAGE_CHUNK_BYTES // (4 * d), compressors=None)
        open(os.path.join(path, "done"), "w").close()
    return StreamingData(path)


# -- the same math written by hand with dask.array: (program, data, out) -> a pass giving the program's values

def _sigmoid(z):
    return 0.5 * (1 + da.tanh(z / 2))


def _arrays(data):
    return (da.from_zarr(data.path, component=c) for c in ("X", "y", "classes"))


def _logistic_loss(z, y):
    return da.mean(da.maximum(z, 0) - z * y + da.log1p(da.exp(-abs(z))))


def _dask_logistic(program, data, out):
    from daskflow.streaming_family import _init
    X, y, _ = _arrays(data)
    w, n = _init((data.features,), 1), data.rows
    shape = (-1, 1) if program.shape == "1d" else (-1,)

    def run():
        z = X @ w + np.float32(0.1)
        r = (_sigmoid(z) - y) / n
        return _compute(loss=_logistic_loss(z, y), **{"grad/w": (X.T @ r).reshape(shape), "grad/b": r.sum()})
    return run


def _dask_softmax(program, data, out):
    from daskflow.streaming_family import _init
    X, _, classes = _arrays(data)
    W, b, n = _init((data.features, 10), 2), _init((10,), 3), data.rows

    def run():
        z = X @ W + b
        m = z.max(axis=1, keepdims=True)
        lse = m + da.log(da.exp(z - m).sum(axis=1, keepdims=True))
        onehot = (classes[:, None] == np.arange(10)).astype(np.float32)
        p = (da.exp(z - lse) - onehot) / n
        return _compute(loss=da.mean(lse[:, 0] - (z * onehot).sum(axis=1)), **{"grad/W": X.T @ p, "grad/b": p.sum(0)})
    return run


def _dask_mlp(program, data, out):
    X, y, _ = _arrays(data)
    W1, b1, W2, b2 = program._weights(data.features)
    n = data.rows

    def run():
        a = X @ W1 + b1
        h = da.maximum(a, 0)
        z = h @ W2 + b2
        r = (_sigmoid(z) - y[:, None]) / n
        ra = (r @ W2.T) * (a > 0)  # the residuals at the hidden layer's input
        return _compute(loss=_logistic_loss(z, y[:, None]), **{"grad/W1": X.T @ ra, "grad/b1": ra.sum(0),
                                                               "grad/W2": h.T @ r, "grad/b2": r.sum(0)})
    return run


def _dask_standardised(program, data, out):
    from daskflow.streaming_family import _init
    X, y, _ = _arrays(data)
    w, n = _init((data.features, 1), 8), data.rows

    def run():
        # two computes, two passes: in one, dask would keep every block of X for the second use
        mean, var = (v.astype(np.float32) for v in _compute(X.mean(axis=0, dtype="f8"), X.var(axis=0, dtype="f8")))
        xs = (X - mean) / np.sqrt(var + np.float32(1e-6))
        r = (xs @ w)[:, 0] - y
        return _compute(loss=da.mean(r * r), **{"grad/w": xs.T @ (2 * r[:, None]) / n})
    return run


def _dask_gram(program, data, out):
    X, _, _ = _arrays(data)
    return lambda: _compute(gram=X.T @ X)


def _dask_predictions(program, data, out):
    import zarr
    from daskflow.streaming_family import _init
    X, _, _ = _arrays(data)
    w, path = _init((data.features, 1), 9), os.path.join(out, "dask-predictions.zarr")

    def run():
        da.to_zarr(_sigmoid((X @ w)[:, 0] + np.float32(-0.2)), path, overwrite=True)
        return {"predictions": zarr.open_array(path, mode="r")}
    return run


def _dask_sgd_epoch(program, data, out):
    """None: mini-batch SGD updates the weights after every batch of 512 rows drawn through a shuffle buffer, a
    sequential loop with no dask.array counterpart short of one dask graph per step."""
    return None


HAND = {"logistic_1d": _dask_logistic, "logistic_2d": _dask_logistic, "logistic_sliced": _dask_logistic,
        "softmax": _dask_softmax, "mlp": _dask_mlp, "standardised": _dask_standardised, "gram": _dask_gram,
        "predictions": _dask_predictions, "sgd_epoch": _dask_sgd_epoch}
NO_HAND = "n/a: " + " ".join(_dask_sgd_epoch.__doc__.split()[1:])


def _compute(*args, **named):
    if args:
        return dask.compute(*args)
    return dict(zip(named, dask.compute(*named.values())))


# -- daskflow and the floor

def _daskflow(program, data, out):
    """A pass of the program in daskflow, and its plan's projection. ``sgd_epoch`` builds a new graph each pass
    (its one-shot iterator runs one epoch)."""
    import daskflow as df

    def start():
        with df.Graph().as_default() as g:
            job = program.build(data, out)
            s = df.Session(graph=g)
            s.run(df.global_variables_initializer())
        return g, job, s
    g, job, s = start()
    with g.as_default():
        plan = job.plan(s)
    op = getattr(plan, "run_peak_op", None)
    info = {"projection": int(plan.run_peak_bytes), "run_budget": int(plan.run_budget),
            "run_peak_op": getattr(op, "name", op), "run_peak_at": str(plan.run_peak_at)}

    def run():
        nonlocal g, job, s
        if program.name == "sgd_epoch" and run.passes:
            s.close()
            g, job, s = start()
        run.passes += 1
        with g.as_default():
            return job.run(s)
    run.passes = 0
    return run, info


def _floor(data, repeat):
    """Seconds of the best of ``repeat`` summing passes over each array (after a warm-up pass), and their peak."""
    from daskflow.streaming_family import _peak_rss, _release_free_memory, _reset_peak
    res = {}
    for name in ("X", "y", "classes"):
        a = da.from_zarr(data.path, component=name)
        a.sum(dtype="f8").compute()
        _release_free_memory()
        before = _reset_peak()
        res[name] = min(_timed(lambda: a.sum(dtype="f8").compute()) for _ in range(repeat))
        res[name + "_peak_bytes"] = _peak_rss() - before
    return res


def _timed(run):
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def measure(method, name, path, repeat, out):
    """In a fresh process: ``method`` (floor, dask or daskflow) of program ``name`` over the data at ``path``, a
    warm-up pass and the best of ``repeat`` timed passes; the peak RSS of the timed passes above the RSS before
    them (``run_rss``; ``imported_rss`` is the RSS after imports)."""
    from daskflow.streaming_family import _peak_rss, _release_free_memory, _reset_peak, _rss
    from daskflow.testing import StreamingData, streaming_program
    imported = _rss()
    data, repeat = StreamingData(path), int(repeat)
    if method == "floor":
        return _floor(data, repeat)
    program = streaming_program(name)
    run, info = _daskflow(program, data, out) if method == "daskflow" else (HAND[name](program, data, out), {})
    if run is None:
        return None
    run()
    _release_free_memory()
    before = _reset_peak()
    seconds = min(_timed(run) for _ in range(repeat))
    return dict(info, seconds=seconds, peak_bytes=_peak_rss() - before, run_rss=before, imported_rss=imported)


def _in_fresh_process(method, name, path, repeat, out):
    cmd = [sys.executable, os.path.abspath(__file__), "--measure", method, name, path, str(repeat), out]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{method} {name} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the self-check: daskflow, hand-written dask and the numpy reference agree on tiny data

def check(programs, base):
    """Each program's values from daskflow and from hand-written dask against its numpy reference, on 20,000
    rows in chunks of 4,096. Returns True when all are within the program's tolerance."""
    from daskflow.testing import streaming_program, write_streaming_data
    data = write_streaming_data(os.path.join(base, "check.zarr"), 20000, FEATURES, 4096, compressors=None)
    ok = True
    for name in programs:
        program = streaming_program(name)
        want = program.reference(data)
        run, _ = _daskflow(program, data, base)
        errors = {"daskflow": program.errors(run(), want)}
        hand = HAND[name](program, data, base)
        if hand is not None:
            got = hand()
            errors["dask"] = program.errors(got, want)
            errors["dask vs daskflow"] = program.errors(got, run())
        worst = {k: max(e.values()) for k, e in errors.items()}
        good = all(e <= program.tolerance for e in worst.values())
        ok &= good
        print(f"{name:>16} {'ok' if good else 'MISMATCH':>8}  " + "  ".join(f"{k} {e:.1e}" for k, e in worst.items())
              + ("" if hand is not None else f"  (dask {NO_HAND})"))
    return ok


# -- the benchmark

def bench(sizes, programs, base, repeat):
    rows = []
    _print_header()
    for gib in sizes:
        path = os.path.join(base, f"family-{gib:g}g-{FEATURES}f.zarr")
        make_data(path, gib)
        out = os.path.join(base, "out")
        os.makedirs(out, exist_ok=True)
        floor = _in_fresh_process("floor", "-", path, repeat, out)
        for name in programs:
            row = {"gib": gib, "program": name, "floor": sum(floor[a] for a in READS[name].split()),
                   "daskflow": _in_fresh_process("daskflow", name, path, repeat, out),
                   "dask": _in_fresh_process("dask", name, path, repeat, out)}
            rows.append(row)
            _print_row(row)
    _print_summary(rows)
    return rows


def _print_header():
    print(f"{'data':>5} {'program':>16} {'seconds':>8} {'x floor':>8} {'x dask':>7} {'projected':>10} "
          f"{'measured':>9} {'dask':>9} {'peak/dask':>9}")


def _mib(b):
    return f"{b / 2**20:5.0f} MiB"


def _print_row(row):
    f, d = row["daskflow"], row["dask"]
    x_dask, dask_peak, peak_ratio = ((f"{f['seconds'] / d['seconds']:.2f}x", _mib(d["peak_bytes"]),
                                      f"{f['peak_bytes'] / d['peak_bytes']:.2f}x") if d else ("n/a",) * 3)
    print(f"{row['gib']:4g}G {row['program']:>16} {f['seconds']:8.2f} {f['seconds'] / row['floor']:7.2f}x "
          f"{x_dask:>7} {_mib(f['projection']):>10} {_mib(f['peak_bytes']):>9} {dask_peak:>9} {peak_ratio:>9}")
    sys.stdout.flush()


def _print_summary(rows):
    if not rows:
        return
    fast = [r for r in rows if r["daskflow"]["seconds"] <= FLOOR_GOAL * r["floor"]]
    paired = [r for r in rows if r["dask"]]
    lean = [r for r in paired if r["daskflow"]["peak_bytes"] <= PEAK_GOAL * r["dask"]["peak_bytes"]]
    base = [r[m]["run_rss"] for r in rows for m in ("daskflow", "dask") if r[m]]
    imported = [r[m]["imported_rss"] for r in rows for m in ("daskflow", "dask") if r[m]]
    print(f"peak memory: above the RSS before the timed passes ({_mib(min(base)).strip()} to {_mib(max(base)).strip()}"
          f"; after imports alone {_mib(min(imported)).strip()} to {_mib(max(imported)).strip()})")
    print(f"goal: within {FLOOR_GOAL}x of the I/O floor: {len(fast)} of {len(rows)} rows")
    print(f"goal: peak no more than {PEAK_GOAL}x hand-written dask's: {len(lean)} of {len(paired)} rows "
          f"(sgd_epoch: dask {NO_HAND})")
    for r in rows:
        f, d = r["daskflow"], r["dask"]
        missed = ([f"{f['seconds'] / r['floor']:.2f}x the floor"] if r not in fast else []) + (
            [f"peak {f['peak_bytes'] / d['peak_bytes']:.2f}x dask's"] if d and r not in lean else [])
        if missed:
            print(f"  {r['gib']:g}G {r['program']}: {', '.join(missed)}; projected peak {_mib(f['projection']).strip()}"
                  f" at op {f['run_peak_op']!r}, {f['run_peak_at']}")


def main(argv=None):
    from daskflow.testing import STREAMING_PROGRAMS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 4], help="GiB of X in each data set")
    p.add_argument("--programs", nargs="+", default=list(STREAMING_PROGRAMS), choices=STREAMING_PROGRAMS,
                   metavar="PROGRAM", help=f"a subset of the family ({', '.join(STREAMING_PROGRAMS)})")
    p.add_argument("--dir", default=None, help="where to write the data (default: a temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the data sets for the next run")
    p.add_argument("--repeat", type=int, default=3, help="timed passes per method (the best counts)")
    p.add_argument("--check", action="store_true", help="only check the values of daskflow and dask on tiny data")
    p.add_argument("--json", default=None, help="also write the measurements to this file")
    p.add_argument("--measure", nargs=5, metavar=("METHOD", "PROGRAM", "PATH", "REPEAT", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print("\n" + json.dumps(measure(*args.measure)))  # on a line of its own, whatever printed before
        return
    base = args.dir or tempfile.mkdtemp(prefix="daskflow-ooc-")
    try:
        if args.check:
            if not check(args.programs, base):
                sys.exit(1)
            return True
        rows = bench(args.sizes, args.programs, base, args.repeat)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
        return rows
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
