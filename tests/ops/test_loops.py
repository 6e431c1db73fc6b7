"""Loops: ``while_loop`` gives the loop variables after the last iteration (nested structures, shape invariants,
maximum_iterations, nested loops, conditionals inside); only the iterations taken run; the plans of cond and
body are made once; gradients match finite differences and the loop unrolled by hand, random draws and all;
variables assigned in a loop follow the run's semantics. Run on the local Session and on a LocalCluster."""
import collections

import numpy as np
import pytest

import daskflow as df
from daskflow import lowering
from daskflow.testing import GradCase, check_grads

pytestmark = pytest.mark.every_executor

TESTED_OPS = {"While", "WhileGrad", "LoopVar", "LoopSlot", "LoopSet"}


def _power(A, v):
    """Three steps of power iteration on ``A^T A`` (any shape of A, v of its columns)."""
    def body(i, v):
        w = df.tensordot(A, df.tensordot(A, v, 1), [[0], [0]])
        return i + 1, w / df.sqrt(df.reduce_sum(w * w))
    return df.while_loop(lambda i, v: i < 3, body, [0, v])[1]


def _recurrence(x, w):
    """h_t = tanh(h_{t-1} * w + x_t) over the rows of x, with a captured w (the columns' weights)."""
    n = df.shape(x)[0]
    def body(t, h):
        return t + 1, df.tanh(h * w + x[t])
    return df.while_loop(lambda t, h: t < n, body, [0, df.zeros_like(x[0])])[1]


def _nested(x, w):
    """An inner loop over k < t inside a loop over t, each scaling by a function of w."""
    def outer(t, h):
        _, g = df.while_loop(lambda k, g: k < t, lambda k, g: (k + 1, df.sin(g * w)), [0, h])
        return t + 1, g + x
    return df.while_loop(lambda t, h: t < 3, outer, [0, x])[1]


GRAD_CASES = [GradCase(["While", "WhileGrad"], _power, [(4, 3), (3,)], domain=(0.2, 1.0)),
              GradCase(["While", "WhileGrad"], _recurrence, [(5, 3), (3,)], domain=(-1.0, 1.0)),
              GradCase(["While", "WhileGrad"], _nested, [(2, 3), (2, 3)], domain=(0.1, 1.0))]


def test_a_loop_gives_its_variables_after_the_last_iteration():
    n = df.placeholder(df.int32, [])
    i, total = df.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i), [0, 0])
    x = df.placeholder(df.float64, [3])
    y = df.while_loop(lambda v: df.reduce_sum(v) < 100.0, lambda v: v * 2.0, [x])  # one variable: unwrapped
    with df.Session() as s:
        assert s.run([i, total], {n: 10}) == [10, 45]
        assert s.run([i, total], {n: 0}) == [0, 0]
        np.testing.assert_array_equal(s.run(y, {x: [1.0, 2.0, 3.0]}), [32.0, 64.0, 96.0])
    assert isinstance(y, df.Tensor) and y.shape.as_list() == [3] and i.dtype == np.int32


def test_nested_structures_and_maximum_iterations():
    Pair = collections.namedtuple("Pair", "a b")
    x = df.placeholder(df.float32, [2])
    out = df.while_loop(lambda i, d: i < 4, lambda i, d: (i + 1, {"p": Pair(d["p"].a + 1.0, d["p"].b * x), "n": -d["n"]}),
                        (0, {"p": Pair(x, x), "n": df.constant(1)}))
    capped = df.while_loop(lambda i: i < 100, lambda i: i + 2, [0], maximum_iterations=df.constant(7))
    same = df.while_loop(lambda i: i < 3, lambda i: [i + 1], [0], return_same_structure=True)
    with df.Session() as s:
        i, d = s.run(out, {x: [2.0, 3.0]})
        assert i == 4 and d["n"] == 1 and isinstance(d["p"], Pair)
        np.testing.assert_array_equal(d["p"].a, [6.0, 7.0])
        np.testing.assert_array_equal(d["p"].b, [32.0, 243.0])
        assert s.run(capped) == 14
        assert s.run(same) == [3]


def test_shape_invariants_let_a_shape_vary_and_guard_it():
    x = df.constant([1.0])
    grown = df.while_loop(lambda v: df.size(v) < 5, lambda v: df.concat([v, v[-1:] * 2.0], 0), [x],
                          shape_invariants=[df.TensorShape([None])])
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(grown), [1.0, 2.0, 4.0, 8.0, 16.0])
    assert grown.shape.as_list() == [None]
    with pytest.raises(ValueError, match=r"Input tensor 'Const:0' enters the loop with shape \(1,\), but has shape "
                                         r"\(2,\) after one iteration.*shape_invariants"):
        df.while_loop(lambda v: df.size(v) < 5, lambda v: df.concat([v, v], 0), [x])
    with pytest.raises(TypeError, match="enters the loop with dtype float32, but has dtype int32"):
        df.while_loop(lambda v: True, lambda v: df.cast(v, df.int32), [x])
    with pytest.raises(ValueError, match="structure of loop_vars"):
        df.while_loop(lambda a, b: True, lambda a, b: a, [x, x])
    with pytest.raises(TypeError, match="scalar bool"):
        df.while_loop(lambda v: v, lambda v: v, [x])
    with pytest.raises(ValueError, match="not compatible"):
        df.while_loop(lambda v: True, lambda v: v, [x], shape_invariants=[df.TensorShape([2])])


def test_nested_loops_and_conditionals_inside():
    def outer(i, acc):
        inner = df.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, df.cond(df.equal(j % 2, 0), lambda: a + 1.0,
                                                                              lambda: a * 2.0)), [0, acc])
        return i + 1, inner[1]
    r = df.while_loop(lambda i, acc: i < 5, outer, [1, df.constant(0.0)])
    acc = 0.0
    for i in range(1, 5):
        for j in range(i):
            acc = acc + 1.0 if j % 2 == 0 else acc * 2.0
    with df.Session() as s:
        assert s.run(r) == [5, acc]


def test_only_the_iterations_taken_run():
    """The body's check fails on the iteration after the last: it never runs, nor the body of a loop whose
    condition is false at once; the body's assignment runs once per iteration."""
    n = df.placeholder(df.int32, [])
    runs = df.Variable(0, name="runs")

    def body(i):
        check = df.Assert(i < n, [i], name="past_the_end")
        with df.control_dependencies([check, runs.assign_add(1)]):
            return i + 1
    r = df.while_loop(lambda i: i < n, body, [0])
    with df.Session() as s:
        s.run(runs.initializer)
        assert s.run(r, {n: 4}) == 4
        assert s.run(runs) == 4
        assert s.run(r, {n: 0}) == 0
        assert s.run(runs) == 4


def test_the_plans_of_cond_and_body_are_made_once(monkeypatch):
    """The tenth iteration lowers nothing again, nor a second run with more iterations."""
    counts = collections.Counter()
    real = lowering.Lowering.run

    def run(self, targets):
        counts[len(counts)] += 1
        return real(self, targets)
    monkeypatch.setattr(lowering.Lowering, "run", run)
    n = df.placeholder(df.int32, [])
    A = df.constant(np.eye(3) * 0.5)
    i, v = df.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, df.tensordot(A, v, 1) + 1.0), [0, df.zeros([3], df.float64)])
    with df.Session() as s:
        s.run(v, {n: 10})
        first = sum(counts.values())
        np.testing.assert_allclose(s.run(v, {n: 30}), np.full(3, 2.0 * (1 - 0.5 ** 30)))
    assert first <= 5  # the loop's start, its cond, its body, the run
    assert sum(counts.values()) == first


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    check_grads(_recurrence, [rng.uniform(-1, 1, (6, 2)), rng.uniform(-1, 1, 2)])
    check_grads(_power, [rng.uniform(0.2, 1, (5, 3)), rng.uniform(0.2, 1, 3)])


def test_gradients_equal_the_loop_unrolled_by_hand():
    """An RNN over time steps, with a cond inside and a maximum number of iterations, against the same steps
    written out in Python."""
    T = 6
    x = df.placeholder(df.float64, [T, 3])
    W = df.Variable(np.random.default_rng(0).uniform(-0.5, 0.5, (3, 3)), name="W")
    b = df.Variable(np.full(3, 0.1), name="b")

    def step(t, h):
        z = df.matmul(df.expand_dims(h, 0), W)[0] + x[t]
        return t + 1, df.cond(df.equal(t % 3, 2), lambda: df.tanh(z) + b, lambda: df.sigmoid(z))

    _, h = df.while_loop(lambda t, h: t < 100, step, [0, df.zeros([3], df.float64)], maximum_iterations=T - 1)
    loss = df.reduce_sum(df.square(h))
    h2 = df.zeros([3], df.float64)
    for t in range(T - 1):
        z = df.matmul(df.expand_dims(h2, 0), W)[0] + x[t]
        h2 = df.tanh(z) + b if t % 3 == 2 else df.sigmoid(z)
    loss2 = df.reduce_sum(df.square(h2))
    grads = df.gradients(loss, [W, b, x])
    grads2 = df.gradients(loss2, [W, b, x])
    xv = np.random.default_rng(1).standard_normal((T, 3))
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        got, want = s.run([[loss] + grads, [loss2] + grads2], {x: xv})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


def test_the_backward_loop_sees_each_iterations_random_draws():
    """d(sum_t x * u_t)/dx is the sum of the draws u_t, which the forward loop adds up too."""
    x = df.placeholder(df.float64, [])

    def body(t, s, r):
        u = df.random_uniform([], dtype=df.float64)
        return t + 1, s + x * u, r + u
    _, s_, r = df.while_loop(lambda t, s, r: t < 5, body, [0, df.constant(0.0, df.float64), df.constant(0.0, df.float64)])
    g, = df.gradients(s_, [x])
    with df.Session() as s:
        for _ in range(2):
            sv, rv, gv = s.run([s_, r, g], {x: 2.0})
            assert gv == pytest.approx(rv) and sv == pytest.approx(2.0 * rv)


def test_training_a_variable_read_in_a_loop():
    """Gradient descent on w through 4 steps of x_{t+1} = w * x_t: each step as with the steps written out."""
    w = df.Variable(1.5, dtype=df.float64, name="w")
    _, xT = df.while_loop(lambda t, x: t < 4, lambda t, x: (t + 1, w * x), [0, df.constant(1.0, df.float64)])
    train = df.train.GradientDescentOptimizer(0.0005).minimize(df.square(xT - 16.0))
    with df.Session() as s:
        s.run(w.initializer)
        want = 1.5
        for _ in range(12):
            s.run(train)
            want -= 0.0005 * 2 * (want ** 4 - 16.0) * 4 * want ** 3
            assert s.run(w) == pytest.approx(want, rel=1e-12)
        assert abs(want - 2.0) < 0.02


def test_variables_assigned_in_a_loop():
    """Later iterations read what earlier ones assigned; the variable takes its value when the run succeeds, and
    a run whose iteration fails changes nothing."""
    v = df.Variable(0.0, dtype=df.float64, name="v")
    n = df.placeholder(df.int32, [])

    def body(i, acc):
        bump = v.assign_add(1.0)
        check = df.Assert(i < 3, [i], name="third")
        with df.control_dependencies([bump, check]):
            return i + 1, acc + v.read_value()
    i, acc = df.while_loop(lambda i, acc: i < n, body, [0, df.constant(0.0, df.float64)])
    with df.Session() as s:
        s.run(v.initializer)
        assert s.run(acc, {n: 3}) == 1.0 + 2.0 + 3.0
        assert s.run(v) == 3.0
        with pytest.raises(df.errors.InvalidArgumentError, match="third"):
            s.run(acc, {n: 5})
        assert s.run(v) == 3.0  # the failing run changed nothing


def test_the_plan_counts_the_values_kept_for_the_backward_pass():
    x = df.placeholder(df.float64, [None])
    n = df.placeholder(df.int32, [])
    _, y = df.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, df.sin(v) * 2.0), [0, x])
    loss = df.reduce_sum(y)
    g, = df.gradients(loss, [x])
    with df.Session() as s:
        p = s.plan([loss, g], {x: np.ones(1000), n: 7})
        forward_only = s.plan(loss, {x: np.ones(1000), n: 7})
    # 7 iterations, each keeping the 8000 bytes of v and the 4 of the counter
    assert p.loops == [("while", 7, 7 * 8004)] and p.kept_bytes == 7 * 8004
    assert p.run_peak_bytes >= p.kept_bytes and "loops keep" in repr(p)
    assert forward_only.loops == [] and forward_only.kept_bytes == 0


def test_an_iterator_read_in_a_loop_gives_an_element_per_iteration():
    ds = df.data.Dataset.from_tensor_slices(np.arange(10.0)).batch(2)
    it = ds.make_one_shot_iterator()
    n = df.placeholder(df.int32, [])
    _, total = df.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + df.reduce_sum(it.get_next())),
                             [0, df.constant(0.0, df.float64)])
    with df.Session() as s:
        assert s.run(total, {n: 2}) == 0 + 1 + 2 + 3
        assert s.run(total, {n: 3}) == 4 + 5 + 6 + 7 + 8 + 9
        with pytest.raises(df.errors.OutOfRangeError):
            s.run(total, {n: 1})
