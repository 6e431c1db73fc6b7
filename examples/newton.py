"""Newton's method with ``df.while_loop``: the real root of x**3 - 2x - c for a million values of c at once.

The loop runs until the largest step is below a tolerance (or a maximum of iterations): its condition is a value
of the data, computed on every iteration, which is all that comes back to the client; the iterates stay chunked
where they are computed. The derivative is taken by ``df.gradients`` inside the loop's body.

    python examples/newton.py [--n 1000000] [--tol 1e-12] [--scheduler tcp://...]
"""
import argparse
import time

import numpy as np

import daskflow as df


def newton(f, x0, tol, max_iter):
    """The root of ``f`` (elementwise) from ``x0``: ``(iterations, x, last step)``."""
    def body(i, x, step):
        y = f(x)
        dy, = df.gradients(y, [x])  # f'(x), elementwise: f acts on each element alone
        dx = y / dy
        return i + 1, x - dx, df.reduce_max(df.abs(dx))

    return df.while_loop(lambda i, x, step: step > tol, body, [0, x0, df.constant(np.inf, x0.dtype)],
                         maximum_iterations=max_iter)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="how many values of c")
    p.add_argument("--tol", type=float, default=1e-12)
    p.add_argument("--max-iter", type=int, default=50)
    p.add_argument("--scheduler", default=None, help="a dask.distributed scheduler's address (default: local)")
    args = p.parse_args(argv)

    c = df.placeholder(df.float64, [None], name="c")
    iterations, x, step = newton(lambda x: x ** 3 - 2.0 * x - c, df.ones_like(c) * 2.0, args.tol, args.max_iter)
    residual = df.reduce_max(df.abs(x ** 3 - 2.0 * x - c))

    cs = np.linspace(1.0, 100.0, args.n)
    with df.Session(args.scheduler or "") as sess:
        start = time.perf_counter()
        roots, n, last, res = sess.run([x, iterations, step, residual], {c: cs})
        seconds = time.perf_counter() - start
    print(f"{args.n} roots of x^3 - 2x - c in {n} iterations ({seconds:.2f} s): last step {last:.2e}, "
          f"largest residual {res:.2e}")
    print(f"c = 5: x = {roots[np.argmin(np.abs(cs - 5.0))]:.12f} (Newton's own example: 2.094551481542...)")
    return {"roots": roots, "c": cs, "iterations": int(n), "residual": float(res), "step": float(last)}


if __name__ == "__main__":
    main()
