"""Conditionals: ``cond``, ``case`` and ``switch_case`` give the taken branch's values; only the taken branch runs
(its failing ops, assignments and gradient included); a predicate's value is computed before the run and the
plan for it is cached; gradients match finite differences and the branch written by hand. Run on the local
Session and on a LocalCluster."""
import collections

import numpy as np
import pytest

import daskflow as df
from daskflow import lowering
from daskflow.testing import GradCase, check_grads

pytestmark = pytest.mark.every_executor

TESTED_OPS = {"Cond"}


def _branchy(x, a):
    """A conditional on the data, each branch reading both inputs (second order too: gradients of the gradient's
    own conditional)."""
    return df.cond(df.reduce_sum(x) > 0, lambda: df.sin(x) * a + df.square(a), lambda: df.exp(x * a) - a)


def _reads_a_function_of_x(x, a):
    """Branches reading both ``x`` and ``x * a``, made outside them: each path to ``x`` counted once."""
    xa = x * a
    return df.cond(df.reduce_sum(x) > 0, lambda: xa * df.sin(x), lambda: xa + df.exp(x))


GRAD_CASES = [GradCase("Cond", _reads_a_function_of_x, [(3, 4), (3, 4)], domain=(0.1, 1.0)),
              GradCase("Cond", _reads_a_function_of_x, [(3, 4), (3, 4)], domain=(-1.0, -0.1)),
              GradCase("Cond", _branchy, [(3, 4), (3, 4)], domain=(0.1, 1.0), order=2),
              GradCase("Cond", _branchy, [(3, 4), (3, 4)], domain=(-1.0, -0.1), order=2)]


def test_cond_takes_one_branch():
    x = df.placeholder(df.float64, [None])
    y = df.cond(df.reduce_sum(x) > 0, lambda: df.square(x), lambda: x - 1.0)
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(y, {x: [1.0, 2.0]}), [1.0, 4.0])
        np.testing.assert_array_equal(s.run(y, {x: [-1.0, 2.0, -3.0]}), [-2.0, 1.0, -4.0])
        assert y.shape.as_list() == [None] and y.dtype == np.float64


def test_cond_structures_and_python_predicates():
    a = df.placeholder(df.float32, [2])
    p = df.placeholder(df.bool, [])
    out = df.cond(p, lambda: {"s": df.reduce_sum(a), "pair": (a * 2.0, a[0])},
                  lambda: {"s": df.reduce_max(a), "pair": (a + 1.0, a[1])})
    single = df.cond(p, lambda: [a], lambda: [-a], strict=True)
    const = df.cond(True, lambda: a, lambda: a / 0.0)
    with df.Session() as s:
        got = s.run(out, {a: [1.0, 3.0], p: False})
        assert got["s"] == 3.0 and got["pair"][1] == 3.0
        np.testing.assert_array_equal(got["pair"][0], [2.0, 4.0])
        got = s.run([out, single], {a: [1.0, 3.0], p: True})
        assert got[0]["s"] == 4.0 and isinstance(got[1], list)
        np.testing.assert_array_equal(s.run(const, {a: [4.0, 5.0]}), [4.0, 5.0])
    with pytest.raises(ValueError, match="same structure"):
        df.cond(p, lambda: (a, a), lambda: a)
    with pytest.raises(ValueError, match="dtype float32 in true_fn"):
        df.cond(p, lambda: a, lambda: df.cast(a, df.int32))
    with pytest.raises(TypeError, match="scalar bool"):
        df.cond(a, lambda: a, lambda: a)


def test_the_branch_not_taken_never_runs():
    """Its failing check, its assignment and its print never run; the taken branch's assignment does."""
    x = df.placeholder(df.float64, [])
    v = df.Variable(0.0, dtype=df.float64, name="v")

    def bad():
        with df.control_dependencies([v.assign(100.0)]):
            return df.check_numerics(df.log(x - 1e9), "the untaken branch ran")

    def good():
        with df.control_dependencies([v.assign_add(1.0)]):
            return x * 2.0
    y = df.cond(x > 0, good, bad)
    with df.Session() as s:
        s.run(v.initializer)
        for i in range(3):
            assert s.run(y, {x: 1.5}) == 3.0
        assert s.run(v) == 3.0
        with pytest.raises(df.errors.InvalidArgumentError, match="the untaken branch ran"):
            s.run(y, {x: -1.0})  # that branch taken: it runs, and fails
        assert s.run(v) == 3.0  # the failed run changed nothing


def test_the_plan_for_a_predicate_is_made_once(monkeypatch):
    """The tenth run with the same predicate lowers nothing again (lowerings counted by what they lower)."""
    counts = collections.Counter()
    real = lowering.Lowering.run

    def run(self, targets):
        counts[tuple(sorted(t.name for t in targets if isinstance(t, df.Tensor)))] += 1
        return real(self, targets)
    monkeypatch.setattr(lowering.Lowering, "run", run)
    x = df.placeholder(df.float64, [3])
    y = df.cond(df.reduce_sum(x) > 0, lambda: df.exp(x), lambda: df.sin(x))
    with df.Session() as s:
        for i in range(10):
            s.run(y, {x: np.full(3, 1.0 + i)})
        first = sum(counts.values())
        for i in range(10):
            s.run(y, {x: np.full(3, -1.0 - i)})
        second = sum(counts.values()) - first
        for i in range(10):
            np.testing.assert_allclose(s.run(y, {x: np.full(3, (-1.0) ** i)}), np.exp(np.full(3, (-1.0) ** i))
                                       if i % 2 == 0 else np.sin(np.full(3, -1.0)))
    assert first <= 3 and second <= 1  # the predicate's plan, then the run's (planned again for the value)
    assert sum(counts.values()) == first + second  # both values' plans cached


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_gradients_match_finite_differences(sign):
    w = np.array([0.3, -0.2, 0.5])
    check_grads(_branchy, [np.abs(np.array([0.4, 1.1, 0.7])) * sign, w])


def test_gradients_through_a_cond_equal_the_branch_by_hand_and_run_only_it():
    x = df.placeholder(df.float64, [2])
    W = df.Variable(np.array([[1.0, -2.0], [0.5, 3.0]]), name="W")

    def untaken():  # its gradient would fail if it ran
        return df.check_numerics(df.log(-df.reduce_sum(df.abs(x)) + df.matmul(df.reshape(x, [1, 2]), W)[0]),
                                 "the untaken branch's gradient ran")
    y = df.cond(df.reduce_sum(x) > -1e9, lambda: df.tanh(df.matmul(df.reshape(x, [1, 2]), W)[0]), untaken)
    hand = df.tanh(df.matmul(df.reshape(x, [1, 2]), W)[0])
    g = df.gradients(df.reduce_sum(y), [W, x])
    g_hand = df.gradients(df.reduce_sum(hand), [W, x])
    with df.Session() as s:
        s.run(W.initializer)
        got, want = s.run([g, g_hand], {x: [0.2, -0.7]})
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_nested_conds_case_and_switch_case():
    i = df.placeholder(df.int32, [])
    x = df.placeholder(df.float64, [])
    nested = df.cond(i > 0, lambda: df.cond(i > 5, lambda: x * 100.0, lambda: x * 10.0), lambda: -x)
    picked = df.case([(df.equal(i, 1), lambda: x + 1.0), (df.equal(i, 2), lambda: x + 2.0)],
                     default=lambda: x * 0.0)
    exclusive = df.case({i > 0: lambda: x, i > 1: lambda: -x}, default=lambda: x * 0.0, exclusive=True)
    switched = df.switch_case(i, [lambda: x, lambda: x * 2.0, lambda: x * 3.0], default=lambda: x * -1.0)
    with df.Session() as s:
        assert [s.run(nested, {i: k, x: 2.0}) for k in (-1, 3, 7)] == [-2.0, 20.0, 200.0]
        assert [s.run(picked, {i: k, x: 2.0}) for k in (1, 2, 3)] == [3.0, 4.0, 0.0]
        assert [s.run(switched, {i: k, x: 2.0}) for k in (0, 1, 2, 5, -1)] == [2.0, 4.0, 6.0, -2.0, -2.0]
        assert s.run(exclusive, {i: 1, x: 2.0}) == 2.0
        with pytest.raises(df.errors.InvalidArgumentError):
            s.run(exclusive, {i: 2, x: 2.0})  # two predicates true


def test_training_through_a_cond_matches_the_branches_by_hand():
    """A loss that switches with a fed flag (Huber-like): the steps equal those of the branch taken, by hand."""
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((8, 3)), rng.standard_normal(8), bool(k % 2)) for k in range(6)]

    def run(by_hand):
        with df.Graph().as_default():
            x = df.placeholder(df.float64, [None, 3])
            t = df.placeholder(df.float64, [None])
            flag = df.placeholder(df.bool, [])
            w = df.Variable(np.array([0.1, -0.3, 0.2]), name="w")
            r = df.reduce_sum(x * w, axis=1) - t
            l2, l1 = (lambda: df.reduce_mean(df.square(r))), (lambda: df.reduce_mean(df.abs(r)))
            if by_hand:
                steps = {True: df.train.GradientDescentOptimizer(0.1).minimize(l2()),
                         False: df.train.GradientDescentOptimizer(0.1).minimize(l1())}
            else:
                step = df.train.GradientDescentOptimizer(0.1).minimize(df.cond(flag, l2, l1))
            with df.Session() as s:
                s.run(w.initializer)
                for xb, tb, f in data:
                    s.run(steps[f] if by_hand else step, {x: xb, t: tb, flag: f})
                return s.run(w)
    np.testing.assert_allclose(run(False), run(True), rtol=1e-12)
