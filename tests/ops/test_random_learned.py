"""``learned_unigram_candidate_sampler``: counts learned from the true classes across runs of a Session, the
expected counts against the closed form from those counts, and the draws' frequencies against them."""
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.random_learned import learned_unigram_candidate_sampler as sampler
from daskflow.testing import SweepCase

TESTED_OPS = {"LearnedUnigramCandidateSampler"}
SWEEP_CASES = [SweepCase(lambda tc: list(sampler(tc, 2, 3, True, 6, seed=3)), np.array([[0, 5], [2, 2]], np.int64),
                         name="learned_unigram")]
TRUE = np.array([[0, 1], [0, 0]], np.int64)  # each run adds 3 to class 0's count and 1 to class 1's


def _counts(runs, range_max=5):
    c = np.ones(range_max)
    for _ in range(runs):
        np.add.at(c, TRUE.reshape(-1), 1)
    return c


@pytest.mark.parametrize("unique", [False, True])
def test_expected_counts_follow_the_learned_counts(unique):
    with df.Graph().as_default():
        out = sampler(TRUE, 2, 3, unique, 5, seed=7)
        assert [(t.dtype, t.shape.as_list()) for t in out] == [(df.int64, [3]), (df.float32, [2, 2]),
                                                                (df.float32, [3])]
        with df.Session() as s:
            for run in range(4):
                cands, true_ec, sampled_ec = s.run(out)
                p = _counts(run) / _counts(run).sum()
                assert cands.dtype == np.int64 and ((0 <= cands) & (cands < 5)).all()
                if not unique:
                    np.testing.assert_allclose(true_ec, p[TRUE] * 3, rtol=1e-6)
                    np.testing.assert_allclose(sampled_ec, p[cands] * 3, rtol=1e-6)
                    continue
                assert len(set(cands.tolist())) == 3
                if np.allclose(sampled_ec, p[cands] * 3, rtol=1e-6):  # no repeat drawn: TF's p * num_sampled
                    np.testing.assert_allclose(true_ec, p[TRUE] * 3, rtol=1e-6)
                    continue
                # else 1 - (1 - p)^tries for one number of draws tries > 3, the same for every class
                tries = np.log1p(-sampled_ec.astype(np.float64)) / np.log1p(-p[cands])
                assert np.allclose(tries, np.round(tries[0]), atol=1e-3) and round(tries[0]) > 3
                np.testing.assert_allclose(true_ec, -np.expm1(round(tries[0]) * np.log1p(-p[TRUE])), rtol=1e-5)
        with df.Session() as s:  # a new Session starts from one count per class
            s.run(out)
            if not unique:
                np.testing.assert_allclose(s.run(out[1]), _counts(1)[TRUE] / _counts(1).sum() * 3, rtol=1e-6)


def test_draws_follow_the_learned_distribution():
    with df.Graph().as_default():
        tc = df.placeholder(df.int64, [None, 2])
        cands = sampler(tc, 2, 4000, False, 5, seed=11).sampled_candidates
        with df.Session() as s:
            for _ in range(3):
                s.run(cands, {tc: TRUE})
            got = np.bincount(s.run(cands, {tc: TRUE}), minlength=5)
    want = 4000 * _counts(3) / _counts(3).sum()
    assert ((got - want) ** 2 / want).sum() < 25  # chi-square, 4 degrees of freedom: p < 1e-4


def test_seeded_draws_repeat_in_a_new_session_and_a_refused_plan_leaves_counts():
    with df.Graph().as_default():
        out = sampler(TRUE, 2, 4, False, 5, seed=2)
        runs = []
        for _ in range(2):
            with df.Session() as s:
                s.plan(out)  # looks ahead: the counts are put back
                runs.append([s.run(out.sampled_candidates) for _ in range(3)])
                np.testing.assert_allclose(s.run(out.true_expected_count), _counts(3)[TRUE] / _counts(3).sum() * 4,
                                           rtol=1e-6)
        np.testing.assert_array_equal(runs[0], runs[1])


def test_errors():
    with df.Graph().as_default():
        with pytest.raises(df.errors.InvalidArgumentError, match="true_classes must have num_true columns"):
            sampler(TRUE, 3, 2, False, 5)
        with pytest.raises(df.errors.InvalidArgumentError, match="range is too small"):
            sampler(TRUE, 2, 6, True, 5)
        out = sampler(np.array([[0, 9]], np.int64), 2, 2, False, 5)
        with df.Session() as s, pytest.raises(df.errors.InvalidArgumentError, match=r"outside the sampler's range"):
            s.run(out)
