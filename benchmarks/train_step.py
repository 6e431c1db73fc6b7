"""Training-step throughput: an MLP (784-256-256-10, float32, softmax cross-entropy, Adam) at several batch sizes,
for daskflow and for the same step written by hand in numpy (the baseline), and for TensorFlow 1.x graph mode and
JAX (jit) when they happen to be installed (skipped cleanly otherwise).

    python benchmarks/train_step.py [--batches 128 1024 8192] [--seconds 1] [--rounds 3]

Prints steps per second (the best of interleaved rounds) and the ratio of each against numpy, measured in the same
run.
"""
import argparse
import time

import numpy as np

SIZES = (784, 256, 256, 10)
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8


def init_params(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        params += [(rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32),
                   np.zeros(n_out, np.float32)]
    return params


def data(batch, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((batch, SIZES[0]), dtype=np.float32), rng.integers(0, SIZES[-1], batch)


def steps_per_second(step, seconds, min_steps=3):
    step()  # warm up (builds plans, compiles)
    n, t0 = 0, time.perf_counter()
    while n < min_steps or time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - t0)


class NumpyMLP:
    """The step by hand: forward, backward, Adam (TF1's update with epsilon hat)."""

    def __init__(self):
        self.p = init_params()
        self.m = [np.zeros_like(p) for p in self.p]
        self.v = [np.zeros_like(p) for p in self.p]
        self.t = 0
        self.b1, self.b2, self.eps = np.float32(B1), np.float32(B2), np.float32(EPS)

    def step(self, x, y):
        W1, b1, W2, b2, W3, b3 = self.p
        h1 = np.maximum(x @ W1 + b1, 0)
        h2 = np.maximum(h1 @ W2 + b2, 0)
        z = h2 @ W3 + b3
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        sm = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(sm[np.arange(len(y)), y]).mean()
        dz = sm
        dz[np.arange(len(y)), y] -= 1
        dz /= len(y)
        dW3, db3 = h2.T @ dz, dz.sum(0)
        dh2 = (dz @ W3.T) * (h2 > 0)
        dW2, db2 = h1.T @ dh2, dh2.sum(0)
        dh1 = (dh2 @ W2.T) * (h1 > 0)
        dW1, db1 = x.T @ dh1, dh1.sum(0)
        self.t += 1
        lr_t = np.float32(LR * np.sqrt(1 - B2 ** self.t) / (1 - B1 ** self.t))  # float32 math throughout
        for i, g in enumerate((dW1, db1, dW2, db2, dW3, db3)):
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g
            self.p[i] = self.p[i] - lr_t * self.m[i] / (np.sqrt(self.v[i]) + self.eps)
        return loss


def daskflow_step(batch, scheduler=None):
    import daskflow as df
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, (None, SIZES[0]), name="x")
        y = df.placeholder(df.int64, (None,), name="y")
        h = x
        ps = [df.Variable(p) for p in init_params()]
        for i in range(0, len(ps), 2):
            h = df.matmul(h, ps[i]) + ps[i + 1]
            if i + 2 < len(ps):
                h = df.nn.relu(h)
        loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = df.train.AdamOptimizer(LR, B1, B2, EPS).minimize(loss)
        init = df.global_variables_initializer()
    sess = df.Session(graph=g, scheduler=scheduler)
    sess.run(init)
    xv, yv = data(batch)
    return lambda: sess.run([loss, train], {x: xv, y: yv})[0], sess


def tf1_step(batch):
    try:
        import tensorflow.compat.v1 as tf
    except ImportError:
        return None
    tf.disable_eager_execution()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, (None, SIZES[0]))
        y = tf.placeholder(tf.int64, (None,))
        h = x
        ps = [tf.Variable(p) for p in init_params()]
        for i in range(0, len(ps), 2):
            h = tf.matmul(h, ps[i]) + ps[i + 1]
            if i + 2 < len(ps):
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = tf.train.AdamOptimizer(LR, B1, B2, EPS).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    xv, yv = data(batch)
    return lambda: sess.run([loss, train], {x: xv, y: yv})[0]


def jax_step(batch):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None

    def loss_fn(p, x, y):
        h = x
        for i in range(0, len(p), 2):
            h = h @ p[i] + p[i + 1]
            if i + 2 < len(p):
                h = jax.nn.relu(h)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(h), y[:, None], axis=1))

    @jax.jit
    def step(p, m, v, t, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        t = t + 1
        lr_t = LR * jnp.sqrt(1 - B2 ** t) / (1 - B1 ** t)
        m = [B1 * mi + (1 - B1) * gi for mi, gi in zip(m, g)]
        v = [B2 * vi + (1 - B2) * gi * gi for vi, gi in zip(v, g)]
        p = [pi - lr_t * mi / (jnp.sqrt(vi) + EPS) for pi, mi, vi in zip(p, m, v)]
        return loss, p, m, v, t

    state = [[jnp.asarray(p) for p in init_params()]]
    state += [[jnp.zeros_like(p) for p in state[0]], [jnp.zeros_like(p) for p in state[0]], 0.0]
    xv, yv = (jnp.asarray(a) for a in data(batch))

    def run():
        loss, *new = step(*state, xv, yv)
        state[:] = new
        return float(loss)
    return run


def check_agreement(batch):
    """daskflow's step and numpy's give the same losses over a few steps (the benchmark compares like with like)."""
    ref = NumpyMLP()
    xv, yv = data(batch)
    step, sess = daskflow_step(batch)
    ours = [step() for _ in range(3)]
    theirs = [ref.step(xv, yv) for _ in range(3)]
    sess.close()
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, nargs="+", default=[128, 1024, 8192])
    p.add_argument("--seconds", type=float, default=1.0, help="seconds per measurement")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each counts")
    args = p.parse_args(argv)
    # daskflow's Sessions tune the C allocator to reuse freed blocks (daskflow.memory); done first, so that the
    # numpy baseline and the other frameworks run with the same allocator in this process
    import daskflow.memory
    daskflow.memory.tune_allocator()
    check_agreement(64)
    assert all(p.dtype == np.float32 for p in (lambda r: (r.step(*data(8)), r.p)[1])(NumpyMLP()))
    rows = []
    print(f"MLP {'-'.join(map(str, SIZES))} float32, Adam: steps per second (ratio against numpy)")
    print(f"{'batch':>7}{'numpy':>10}{'daskflow':>16}{'tensorflow1':>16}{'jax.jit':>16}")
    for batch in args.batches:
        ref = NumpyMLP()
        xv, yv = data(batch)
        step, sess = daskflow_step(batch)
        steps = [lambda: ref.step(xv, yv), step, tf1_step(batch), jax_step(batch)]
        best = [None if fn is None else 0.0 for fn in steps]
        for _ in range(args.rounds):  # interleaved rounds, best of each: load on a shared machine hits all alike
            for i, fn in enumerate(steps):
                if fn is not None:
                    best[i] = max(best[i], steps_per_second(fn, args.seconds))
        sess.close()
        t_np, t_df, *others = best
        cells = [f"{t_df:>8.1f} ({t_df / t_np:.2f})"] + [
            f"{'skipped':>16}" if t is None else f"{t:>8.1f} ({t / t_np:.2f})" for t in others]
        print(f"{batch:>7}{t_np:>10.1f}" + "".join(f"{c:>16}" for c in cells))
        rows.append((batch, t_np, t_df, *others))
    return rows


if __name__ == "__main__":
    main()
