"""Loops on a cluster Session: the loop variables stay on the workers, chunked, between iterations (only the
predicates' values and the fetched results reach the client), the iterations' values are released as the loop
moves on, and a loop's gradient runs there too."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import client_received, held_bytes as _held_bytes

pytestmark = [pytest.mark.distributed, pytest.mark.slow]


def _subspace(A, X, steps):
    """``steps`` of subspace iteration: X <- A X, each column scaled to unit norm."""
    def body(i, X):
        Y = df.matmul(A, X)
        return i + 1, Y / df.sqrt(df.reduce_sum(Y * Y, axis=0, keepdims=True))
    return df.while_loop(lambda i, X: i < steps, body, [0, X])[1]


def test_loop_variables_stay_on_the_workers(client):
    n, k, steps = 512, 64, 8
    rng = np.random.default_rng(0)
    M = rng.standard_normal((n, n)) / np.sqrt(n)
    X0 = rng.standard_normal((n, k))
    with df.Graph().as_default(), df.config.set(chunk_bytes=128 * 2**10):
        A = df.Variable(M, name="A")
        X = df.Variable(X0, name="X")
        out = _subspace(A, X, steps)
        score = df.reduce_sum(out[:, 0])
        with df.Session(client) as s:
            s.run(df.global_variables_initializer())
            s.run(score)  # plans made
            state = df.config.get("state_copies") * (M.nbytes + X0.nbytes)  # the variables, with their copies
            with client_received(client) as got:
                value = s.run(score)
            assert _held_bytes(client, state) == state  # the iterations' values were released
    want = X0
    for _ in range(steps):
        want = M @ want
        want = want / np.sqrt((want * want).sum(axis=0, keepdims=True))
    assert value == pytest.approx(want[:, 0].sum(), rel=1e-9)
    # the loop variable (256 KiB, in blocks over both workers) never came back: 8 iterations would bring 2 MiB
    assert got[0] < 128 * 2**10, got[0]
    assert X0.nbytes * steps > 16 * got[0]


def test_a_loops_gradient_on_the_cluster(client):
    rng = np.random.default_rng(1)
    M = rng.uniform(0.1, 1.0, (300, 300)) / 300
    with df.Graph().as_default(), df.config.set(chunk_bytes=64 * 2**10):
        A = df.Variable(M, name="A")
        X = df.constant(rng.uniform(size=(300, 4)))
        loss = df.reduce_sum(df.square(_subspace(A, X, 3)[:, 1]))
        g, = df.gradients(loss, [A])
        with df.Session(client) as s:
            s.run(A.initializer)
            got_loss, got = s.run([loss, g])
        with df.Session(scheduler="sync") as s:
            s.run(A.initializer)
            want_loss, want = s.run([loss, g])
    assert got_loss == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
