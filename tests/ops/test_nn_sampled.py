"""The sampled losses and sparse embedding lookups of ``daskflow/ops/nn_sampled.py`` against TF 1.x's values
(``tests/fixtures/tf1/make_nn_sampled_fixtures.py``, sampled sets given so no randomness enters), numpy and finite
differences."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops import nn_sampled
from daskflow.testing import check_grads, load_module

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
REF = json.loads((FIXTURES / "nn" / "nn_sampled.json").read_text())
TESTED_OPS = set()


def _programs():
    return load_module(FIXTURES / "make_nn_sampled_fixtures.py")


PROGRAMS = _programs()


TF = df  # the fixture programs' ``tf``


@pytest.mark.parametrize("case", sorted(PROGRAMS.CASES))
def test_values_match_tf1(case):
    with df.Graph().as_default(), df.Session() as s:
        got = PROGRAMS.run(TF, s, case)
    want = REF[case]
    if case.startswith("hits"):
        assert [np.asarray(g).dtype.kind for g in got] == ["i", "i", "f"]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        return
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_hits_dtypes_and_errors():
    hits = nn_sampled.compute_accidental_hits(PROGRAMS.LABELS2, PROGRAMS.SAMPLED, 2)
    assert [t.dtype for t in hits] == [df.int32, df.int64, df.float32]
    with pytest.raises(TypeError, match="Input 'true_classes' of 'ComputeAccidentalHits' Op has type int32"):
        nn_sampled.compute_accidental_hits(PROGRAMS.LABELS2.astype(np.int32), PROGRAMS.SAMPLED, 2)
    with pytest.raises(ValueError, match="true_classes must have num_true columns"):
        nn_sampled.compute_accidental_hits(PROGRAMS.LABELS2, PROGRAMS.SAMPLED, 1)


def _numpy_nce(w, b, labels, x, sampled, true_exp, sampled_exp, softmax=False, remove=False):
    true_logits = np.einsum("bd,btd->bt", x, w[labels]) + b[labels] - np.log(true_exp.astype(np.float64))
    s_logits = x @ w[sampled].T + b[sampled] - np.log(sampled_exp.astype(np.float64))
    if remove:
        s_logits = s_logits + np.where(labels[:, :, None] == sampled[None, None, :], -np.finfo(np.float32).max,
                                       0).sum(1)
    logits = np.concatenate([true_logits, s_logits], 1)
    target = np.concatenate([np.full_like(true_logits, 1 / labels.shape[1]), np.zeros_like(s_logits)], 1)
    if softmax:
        m = logits.max(1, keepdims=True)
        logp = logits - m - np.log(np.exp(logits - m).sum(1, keepdims=True))
        return -(target * logp).sum(1)
    return (np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))).sum(1)


@pytest.mark.parametrize("softmax", [False, True])
def test_losses_against_numpy_float64(softmax):
    p = PROGRAMS
    rng = np.random.default_rng(3)
    w, b, x = rng.standard_normal((10, 4)), rng.standard_normal(10), rng.standard_normal((3, 4))
    fn = nn_sampled.sampled_softmax_loss if softmax else nn_sampled.nce_loss
    with df.Graph().as_default(), df.Session() as s:
        got = s.run(fn(w, b, p.LABELS2, x, 4, 10, num_true=2, sampled_values=p.SV2, remove_accidental_hits=True))
    want = _numpy_nce(w, b, p.LABELS2, x, p.SAMPLED, p.TRUE_EXP2, p.SAMPLED_EXP, softmax=softmax, remove=True)
    np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("softmax", [False, True])
def test_loss_gradients(softmax):
    p = PROGRAMS
    rng = np.random.default_rng(4)
    fn = nn_sampled.sampled_softmax_loss if softmax else nn_sampled.nce_loss
    sv = (p.SAMPLED, p.TRUE_EXP2.astype(np.float64), p.SAMPLED_EXP.astype(np.float64))
    check_grads(lambda w, b, x: fn([w[:5], w[5:]], b, p.LABELS2, x, 4, 10, num_true=2, sampled_values=sv,
                                   partition_strategy="div"),
                [rng.standard_normal((10, 4)), rng.standard_normal(10), rng.standard_normal((3, 4))])


def test_default_sampler_is_seeded_and_counts_expected():
    p = PROGRAMS
    with df.Graph().as_default(), df.Session() as s:
        loss = nn_sampled.sampled_softmax_loss(p.W, p.B, p.LABELS1, p.X, 4, 10, seed=3)
        a, b = s.run(loss), s.run(loss)
    assert a.shape == (3,) and np.all(np.isfinite(a)) and np.all(a > 0)
    assert not np.array_equal(a, b)  # each run draws a new sampled set


def _sparse(idx, vals, shape):
    return df.SparseTensor(idx, vals, shape)


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_embedding_lookup_sparse_gradients(combiner):
    p = PROGRAMS
    rng = np.random.default_rng(5)

    def build(w, weights):
        return nn_sampled.embedding_lookup_sparse(w, _sparse(p.SP_IDX, p.SP_IDS, p.SP_SHAPE),
                                                  _sparse(p.SP_IDX, weights, p.SP_SHAPE), combiner=combiner)
    check_grads(build, [rng.standard_normal((10, 3)), np.abs(p.SP_W) + 0.5])
    check_grads(lambda w: nn_sampled.embedding_lookup_sparse(w, _sparse(p.SP_IDX, p.SP_IDS, p.SP_SHAPE), None,
                                                             combiner=combiner), [rng.standard_normal((10, 2, 2))])


def test_safe_embedding_lookup_sparse_gradients_and_shape():
    p = PROGRAMS
    rng = np.random.default_rng(6)

    def build(w):
        return nn_sampled.safe_embedding_lookup_sparse([w[:5], w[5:]], _sparse(p.SP3_IDX, p.SP3_IDS, p.SP3_SHAPE),
                                                       _sparse(p.SP3_IDX, p.SP3_W.astype(np.float64), p.SP3_SHAPE),
                                                       combiner="sqrtn", default_id=4)
    with df.Graph().as_default():
        out = build(df.constant(rng.standard_normal((10, 4))))
        assert out.shape.ndims == 3 and out.shape[2] == 4
    check_grads(build, [rng.standard_normal((10, 4))])


def test_embedding_lookup_sparse_errors():
    p = PROGRAMS
    with df.Graph().as_default():
        sp = _sparse(p.SP_IDX, p.SP_IDS, p.SP_SHAPE)
        with pytest.raises(ValueError, match="combiner must be one of 'mean', 'sqrtn' or 'sum', got max"):
            nn_sampled.embedding_lookup_sparse(p.W, sp, None, combiner="max")
        with pytest.raises(TypeError, match="sp_ids must be SparseTensor"):
            nn_sampled.embedding_lookup_sparse(p.W, p.SP_IDS, None)
        with pytest.raises(TypeError, match="sp_weights must be either None or SparseTensor,got"):
            nn_sampled.embedding_lookup_sparse(p.W, sp, p.SP_W)
        with pytest.raises(ValueError, match="Missing embedding_weights"):
            nn_sampled.safe_embedding_lookup_sparse([], sp)
