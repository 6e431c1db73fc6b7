"""``fractional_max_pool``, ``fractional_avg_pool`` (``daskflow/ops/nn_fractional.py``) and ``raw_rnn``
(``daskflow/ops/nn_misc.py``) against TF 1.x's values (``tests/fixtures/tf1/make_nn_misc_fixtures.py``: seeded,
deterministic region sequences are TF's), numpy, finite differences and TF's errors."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops import nn_misc
from daskflow.testing import GradCase, check_grads, load_module

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
REF = json.loads((FIXTURES / "nn" / "nn_misc.json").read_text())
TESTED_OPS = {"FractionalPoolSequence", "FractionalMaxPool", "FractionalMaxPoolGrad"}


def _programs():
    return load_module(FIXTURES / "make_nn_misc_fixtures.py")


P = _programs()


TF = df  # the fixture programs' ``tf``


def _no_ties(shape, seed=1):
    return lambda: [np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 10.0]


# deterministic pooling regions (seeded), values without ties; the gradient op has no gradient, as TF's
GRAD_CASES = [
    GradCase("FractionalMaxPool", lambda x: nn_misc.fractional_max_pool(x, [1.0, 1.7, 1.4, 1.0], True, False, True,
                                                                         3, 4)[0], [(2, 9, 7, 3)],
             inputs=_no_ties((2, 9, 7, 3))),
]
GRADS_CHECKED_BY_TESTS = {"FractionalMaxPoolGrad": "test_max_pool_has_no_second_derivative"}


def test_max_pool_has_no_second_derivative():
    x = df.constant(np.random.default_rng(2).permutation(72).reshape(1, 6, 6, 2) / 10.0)
    (g,) = df.gradients(df.reduce_sum(nn_misc.fractional_max_pool(x, [1.0, 1.5, 1.5, 1.0], deterministic=True, seed=5,
                                                                  seed2=2)[0]), x)
    with pytest.raises(LookupError, match="No gradient defined for operation .* FractionalMaxPoolGrad"):
        df.gradients(df.reduce_sum(g * x), x)


@pytest.mark.parametrize("case", sorted(P.CASES))
def test_values_match_tf1(case):
    with df.Graph().as_default(), df.Session() as s:
        got = P.run(TF, s, case)
    for g, w in zip(got, REF[case], strict=True):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("case", sorted(P.GRADS))
def test_gradients_match_tf1(case):
    with df.Graph().as_default(), df.Session() as s:
        x = df.constant(P.SEQ_IN if case.startswith("raw") else P.X)
        out = P.CASES[case](TF, x)[0]
        got = s.run(df.gradients(P._loss(TF, out), x)[0])
    np.testing.assert_allclose(got, REF["grad_" + case], rtol=1e-5, atol=1e-6)


def _numpy_pool(x, rows, cols, overlapping, fn):
    out = np.empty((x.shape[0], len(rows) - 1, len(cols) - 1, x.shape[3]), x.dtype)
    extra = 1 if overlapping else 0
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            out[:, i, j] = fn(x[:, rows[i]:rows[i + 1] + extra, cols[j]:cols[j + 1] + extra], axis=(1, 2))
    return out


@pytest.mark.parametrize("pseudo", [False, True])
@pytest.mark.parametrize("overlapping", [False, True])
def test_random_regions_follow_the_rules(pseudo, overlapping):
    x = np.random.default_rng(0).standard_normal((2, 11, 17, 2))
    with df.Graph().as_default(), df.Session() as s:
        mx = nn_misc.fractional_max_pool(x, [1.0, 1.5, 2.4, 1.0], pseudo, overlapping)
        av = nn_misc.fractional_avg_pool(x, [1.0, 1.5, 2.4, 1.0], pseudo, overlapping)
        runs = [s.run(list(mx)) for _ in range(4)] + [s.run(list(av)) for _ in range(2)]
    for k, (out, rows, cols) in enumerate(runs):
        assert rows[0] == 0 and rows[-1] == 11 and len(rows) == 8 and set(np.diff(rows)) <= {1, 2}
        assert cols[0] == 0 and cols[-1] == 17 and len(cols) == 8 and set(np.diff(cols)) <= {2, 3}
        fn = np.max if k < 4 else np.mean
        np.testing.assert_allclose(out, _numpy_pool(x, rows, cols, overlapping, fn), rtol=1e-12)
    assert len({(tuple(r), tuple(c)) for _, r, c in runs[:4]}) > 1  # each run draws new regions


@pytest.mark.parametrize("kind", ["fractional_max_pool", "fractional_avg_pool"])
@pytest.mark.parametrize("overlapping", [False, True])
def test_pool_gradients_by_finite_differences(kind, overlapping):
    x = np.random.default_rng(1).permutation(2 * 9 * 7 * 3).reshape(2, 9, 7, 3) / 10.0  # no ties
    fn = getattr(nn_misc, kind)
    check_grads(lambda x: fn(x, [1.0, 1.7, 1.4, 1.0], True, overlapping, True, 3, 4)[0], [x])
    check_grads(lambda x: fn(x, [1.0, 1.7, 1.4, 1.0], False, overlapping, True, 3, 4)[0], [x],
                chunks=[(1, 9, 7, 2)])


def test_deterministic_is_the_same_each_run():
    with df.Graph().as_default(), df.Session() as s:
        out = nn_misc.fractional_max_pool(P.X, [1, 1.44, 1.73, 1], True, False, True, 7, 3)
        a, b = s.run(list(out)), s.run(list(out))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_pool_errors():
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(df.errors.InvalidArgumentError, match="Both seed and seed2 should be 0 if deterministic is "
                                                             "false."):
        nn_misc.fractional_max_pool(x, [1, 1.5, 1.5, 1], seed=3)
    with pytest.raises(df.errors.UnimplementedError, match="The first and last elements of pooling ratio must be"):
        nn_misc.fractional_avg_pool(x, [2, 1.5, 1.5, 1])
    with pytest.raises(df.errors.InvalidArgumentError, match="pooling_ratio cannot be smaller than 1"):
        nn_misc.fractional_max_pool(x, [1, 0.5, 1.5, 1])
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        nn_misc.fractional_max_pool(x[0], [1, 1.5, 1.5, 1])


def test_raw_rnn_gradient_by_finite_differences():
    check_grads(lambda x: P.raw_rnn_basic(TF, df.cast(x, df.float32))[1], [P.SEQ_IN.astype(np.float64)],
                eps=1e-3, rtol=2e-3, atol=1e-5)


def test_raw_rnn_errors():
    with pytest.raises(TypeError, match="Argument `loop_fn` must be a callable"):
        nn_misc.raw_rnn(P._cell(TF), 3)
