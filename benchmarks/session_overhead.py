"""Session overhead: the cost of ``Session.run`` on a 50-op graph with small inputs, against the same arithmetic in
plain numpy (and TensorFlow 1.x graph mode when it happens to be installed); and the cost of lowering and of
planning a first run against graph size (100, 1k, 10k ops).

    python benchmarks/session_overhead.py [--repeat 200] [--sizes 100 1000 10000]

Prints tables with ratios against the numpy baseline measured in the same run.
"""
import argparse
import time

import numpy as np

import daskflow as df


def best_of(fn, repeat, number=1):
    """Best mean time of ``number`` calls over ``repeat`` rounds (the least disturbed measurement)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def mlp_ops(lib, x, ws):
    """50 ops: 10 layers of matmul, add, tanh, multiply, subtract (any library with these names)."""
    h = x
    for w, b in ws:
        h = lib.tanh(lib.matmul(h, w) + b) * 0.5 - 0.1
    return h


def numpy_step(xv, ws):
    h = xv
    for w, b in ws:
        h = np.tanh(h @ w + b) * np.float32(0.5) - np.float32(0.1)
    return h


def bench_50_ops(repeat):
    rng = np.random.default_rng(0)
    xv = rng.random((32, 64), dtype=np.float32)
    wsv = [(rng.random((64, 64), dtype=np.float32) / 8, rng.random(64, dtype=np.float32)) for _ in range(10)]
    rows = []
    t_np = best_of(lambda: numpy_step(xv, wsv), repeat, 20)
    rows.append(("numpy (baseline)", t_np))

    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, (None, 64), name="x")
        ws = [(df.constant(w), df.constant(b)) for w, b in wsv]
        y = mlp_ops(df, x, ws)
    n_ops = sum(op.type not in ("Const", "Placeholder") for op in g.get_operations())
    for sched in [None, "sync", "threads"]:
        with df.Session(graph=g, scheduler=sched) as s:
            np.testing.assert_allclose(s.run(y, {x: xv}), numpy_step(xv, wsv), rtol=1e-4, atol=1e-5)
            t = best_of(lambda: s.run(y, {x: xv}), repeat, 20)
        rows.append((f"daskflow Session.run (scheduler={sched})", t))

    try:
        import tensorflow.compat.v1 as tf1
    except ImportError:
        rows.append(("tensorflow 1.x graph mode", None))
    else:
        tf1.disable_eager_execution()
        tg = tf1.Graph()
        with tg.as_default():
            tx = tf1.placeholder(tf1.float32, (None, 64))
            ty = mlp_ops(tf1, tx, [(tf1.constant(w), tf1.constant(b)) for w, b in wsv])
        with tf1.Session(graph=tg) as ts:
            ts.run(ty, {tx: xv})
            rows.append(("tensorflow 1.x graph mode", best_of(lambda: ts.run(ty, {tx: xv}), repeat, 20)))

    print(f"\nSession.run on a {n_ops}-op graph, input 32x64 float32 (best of {repeat} x 20 runs)")
    print(f"{'what':<44}{'time':>12}{'x numpy':>10}")
    for name, t in rows:
        if t is None:
            print(f"{name:<44}{'not installed: skipped':>22}")
        else:
            print(f"{name:<44}{t * 1e6:>10.1f}us{t / t_np:>10.1f}")
    return rows


def chain(n):
    """A graph of ``n`` elementwise ops on a small input."""
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, (8, 8), name="x")
        h = x
        for i in range(n):
            h = h * 0.999 if i % 2 else h + 0.001
    return g, x, h


def bench_lowering(sizes, repeat):
    xv = np.ones((8, 8), np.float32)
    print("\nLowering and first-run planning against graph size (a chain of elementwise ops, 8x8 input)")
    print(f"{'ops':>7}{'lower':>12}{'us/op':>8}{'first run':>12}{'us/op':>8}{'cached run':>12}{'numpy':>10}"
          f"{'x numpy':>9}")
    rows = []
    for n in sizes:
        g, x, h = chain(n)
        reps = max(1, repeat // max(1, n // 100))
        t_lower = best_of(lambda: df.lower(h, feed_dict={x: xv}), min(reps, 5))
        with df.Session(graph=g) as s:
            t0 = time.perf_counter()
            first = s.run(h, {x: xv})
            t_first = time.perf_counter() - t0
            t_cached = best_of(lambda: s.run(h, {x: xv}), min(reps, 20))

        def numpy_chain():
            v = xv
            for i in range(n):
                v = v * np.float32(0.999) if i % 2 else v + np.float32(0.001)
            return v
        np.testing.assert_allclose(first, numpy_chain(), rtol=1e-4)
        t_np = best_of(numpy_chain, min(reps, 20))
        rows.append((n, t_lower, t_first, t_cached, t_np))
        print(f"{n:>7}{t_lower * 1e3:>10.1f}ms{t_lower / n * 1e6:>8.1f}{t_first * 1e3:>10.1f}ms"
              f"{t_first / n * 1e6:>8.1f}{t_cached * 1e3:>10.2f}ms{t_np * 1e3:>8.2f}ms{t_cached / t_np:>9.1f}")
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=50)
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    args = p.parse_args(argv)
    return bench_50_ops(args.repeat), bench_lowering(args.sizes, args.repeat)


if __name__ == "__main__":
    main()
