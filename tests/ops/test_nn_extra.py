"""The ``tf.nn`` helpers of ``daskflow/ops/nn_extra.py`` (fused batch norm, moment helpers, log-Poisson loss, silu,
batch_norm_with_global_normalization, per-replica loss helpers) against TF 1.x's values
(``tests/fixtures/tf1/make_nn_fixtures.py``), numpy and finite differences."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import check_grads, load_module

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
REF = json.loads((FIXTURES / "nn" / "nn_extra.json").read_text())
TESTED_OPS = set()


def _programs():
    return load_module(FIXTURES / "make_nn_fixtures.py")


PROGRAMS = _programs()


@pytest.mark.parametrize("case", sorted(PROGRAMS.CASES))
def test_values_match_tf1(case):
    with df.Graph().as_default(), df.Session() as s:
        got = PROGRAMS.run(df, s, case)
        several = isinstance(PROGRAMS.CASES[case](df), (list, tuple))
    want = REF[case]
    if several:
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert (g is None) == (w is None)
            if w is not None:
                np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_fused_batch_norm_inference_uses_the_given_moments():
    x = PROGRAMS.X
    with df.Graph().as_default(), df.Session() as s:
        y, m, v = s.run(df.nn.fused_batch_norm(x, PROGRAMS.SCALE, PROGRAMS.OFFSET, mean=PROGRAMS.MEAN,
                                               variance=PROGRAMS.VAR, is_training=False))
    want = (x - PROGRAMS.MEAN) / np.sqrt(PROGRAMS.VAR + 0.001) * PROGRAMS.SCALE + PROGRAMS.OFFSET
    np.testing.assert_allclose(y, want, rtol=1e-5)
    assert m.tolist() == PROGRAMS.MEAN.tolist() and v.tolist() == PROGRAMS.VAR.tolist()


def test_gradients():
    check_grads(lambda x, s, o: df.nn.fused_batch_norm(x, s, o)[0] * df.constant(np.arange(2.0) + 1),
                [np.random.default_rng(0).normal(size=(3, 2, 2, 2)), np.array([1.5, 0.5]), np.array([0.1, -0.2])])
    check_grads(lambda t, li: df.nn.log_poisson_loss(t, li, compute_full_loss=True),
                [np.array([0.5, 2.0, 5.0]), np.array([0.1, 0.7, 1.5])])
    check_grads(lambda x, w: df.nn.weighted_moments(x, [0], w)[1], [np.random.default_rng(1).normal(size=(4, 3)),
                                                                   np.array([[1.0], [2.0], [0.5], [3.0]])])


def test_errors():
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 2"):
        df.nn.fused_batch_norm(np.ones((2, 2), np.float32), [1.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="Both 'mean' and 'variance' must be a 1D tensor when is_training is False"):
        df.nn.fused_batch_norm(np.ones((1, 1, 1, 2), np.float32), [1.0, 1.0], [0.0, 0.0], is_training=False)
    with pytest.raises(ValueError, match="log_input and targets must have the same shape"):
        df.nn.log_poisson_loss(np.ones(3, np.float32), np.ones(2, np.float32))
