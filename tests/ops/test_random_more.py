import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as st

import daskflow as df
from daskflow.ops import random_more as R
from daskflow.testing import SweepCase, run_graph

TESTED_OPS = {"Multinomial", "RandomGamma", "RandomPoissonV2", "RandomShuffle", "StatelessRandomNormal",
              "StatelessRandomUniform", "StatelessTruncatedNormal", "StatelessRandomUniformFullInt",
              "StatelessRandomUniformInt", "StatelessRandomGammaV2", "StatelessRandomPoisson",
              "StatelessRandomBinomial", "StatelessParameterizedTruncatedNormal", "StatelessMultinomial",
              "UniformCandidateSampler", "LogUniformCandidateSampler", "FixedUnigramCandidateSampler",
              "AllCandidateSampler"}
# gradients checked against their implicit-reparameterisation formulas (finite differences of a rejection sampler
# are not the implicit gradient), and Poisson's absent gradient (TF's LookupError)
GRADS_CHECKED_BY_TESTS = {"RandomGamma": "test_random_gamma_alpha_gradient_is_the_implicit_one",
                          "StatelessRandomGammaV2": "test_stateless_gamma_gradient",
                          "StatelessParameterizedTruncatedNormal":
                              "test_parameterized_truncated_normal_gradients_are_the_implicit_ones",
                          "RandomPoissonV2": "test_gradients_that_tf_does_not_have"}

P_MIN = 1e-4  # goodness-of-fit tests (fixed seeds) must not reject at this level


def run(fetches, n=1, feed=None, **kw):
    with df.Session(**kw) as s:
        return [s.run(fetches, feed) for _ in range(n)]


def chisq_p(counts, probs):
    counts, probs = np.asarray(counts, float), np.asarray(probs, float)
    keep = probs > 0
    return st.chisquare(counts[keep], probs[keep] / probs[keep].sum() * counts.sum()).pvalue


def pooled_chisq(samples, pmf, support):
    """Chi-square p-value of integer samples against ``pmf`` over ``support``, the tail beyond it pooled."""
    counts = np.array([np.sum(samples == k) for k in support] + [np.sum(samples > support[-1])])
    probs = np.append(pmf(support), 1 - pmf(support).sum())
    return chisq_p(counts, probs)


# -- distributions

def test_multinomial_frequencies_follow_softmax():
    logits = np.log([[0.1, 0.2, 0.7], [0.5, 0.5, 1e-30]]).astype(np.float32)
    (v,) = run(R.multinomial(logits, 20_000, seed=1))
    assert v.shape == (2, 20_000) and v.dtype == np.int64
    for row, p in zip(v, np.exp(logits)):
        assert chisq_p(np.bincount(row, minlength=3), p) > P_MIN
    assert not np.any(v[1] == 2)


def test_categorical_handles_minus_inf_and_dtype():
    x = R.categorical([[-np.inf, 0.0, -np.inf]], 50, dtype=df.int32, seed=2)
    (v,) = run(x)
    assert v.dtype == np.int32 and np.all(v == 1)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 3.5, 40.0])
def test_random_gamma_matches_scipy(alpha):
    (v,) = run(R.random_gamma([20_000], alpha, beta=2.0, dtype=df.float64, seed=3))
    assert v.shape == (20_000,) and v.dtype == np.float64
    assert st.kstest(v, st.gamma(alpha, scale=0.5).cdf).pvalue > P_MIN


def test_random_gamma_shapes_broadcast_alpha_and_beta():
    x = R.random_gamma([3], [[1.0, 2.0]], beta=[3.0, 4.0])
    assert tuple(x.shape) == (3, 1, 2)
    y = R.random_gamma([5000], [1.0, 9.0], beta=[[1.0], [10.0]], seed=4)
    assert tuple(y.shape) == (5000, 2, 2) and y.name.startswith("random_gamma") and y.op.type == "Maximum"
    (v,) = run(y)
    np.testing.assert_allclose(v.mean(axis=0), [[1.0, 9.0], [0.1, 0.9]], rtol=0.06)


@pytest.mark.parametrize("lam", [0.7, 4.0, 25.0, 1e4])
def test_random_poisson_matches_scipy(lam):
    (v,) = run(R.random_poisson(lam, [20_000], dtype=df.int64, seed=5))
    assert v.dtype == np.int64
    lo, hi = st.poisson(lam).ppf([0.001, 0.999]).astype(int)
    assert pooled_chisq(v, st.poisson(lam).pmf, np.arange(lo, hi + 1)) > P_MIN


def test_random_poisson_argument_order_shape_and_zero_rate():
    x = R.random_poisson([0.0, -1.0, 3.0], [4, 2], seed=6)
    assert tuple(x.shape) == (4, 2, 3) and x.dtype == df.float32
    assert x.op.type == "RandomPoissonV2" and x.name == "random_poisson/RandomPoissonV2:0"
    (v,) = run(x)
    assert np.all(v[..., :2] == 0) and np.all(v == np.round(v))


def test_stateless_normal_uniform_truncated_distributions():
    seed = [7, 8]
    n, u, t = (R.stateless_normal([20_000], seed, mean=1.0, stddev=2.0),
               R.stateless_uniform([20_000], seed, minval=-1.0, maxval=3.0),
               R.stateless_truncated_normal([20_000], seed, dtype=df.float64))
    ((vn, vu, vt),) = run([n, u, t])
    assert st.kstest(vn, st.norm(1, 2).cdf).pvalue > P_MIN
    assert st.kstest(vu, st.uniform(-1, 4).cdf).pvalue > P_MIN
    assert st.kstest(vt, st.truncnorm(-2, 2).cdf).pvalue > P_MIN


def test_stateless_int_uniform_bounded_and_full_range():
    b = R.stateless_uniform([30_000], [1, 2], minval=-3, maxval=4, dtype=df.int32)
    f = R.stateless_uniform([30_000], [1, 2], minval=None, maxval=None, dtype=df.int64)
    ((vb, vf),) = run([b, f])
    assert vb.dtype == np.int32 and vb.min() == -3 and vb.max() == 3
    assert chisq_p(np.bincount(vb + 3), np.ones(7)) > P_MIN
    assert vf.dtype == np.int64 and abs(np.mean(vf < 0) - 0.5) < 0.02 and len(np.unique(vf)) == vf.size


@pytest.mark.parametrize("n, p", [(7.0, 0.3), (50.0, 0.8), (400.0, 0.25), (3000.0, 0.5)])
def test_stateless_binomial_matches_scipy(n, p):
    (v,) = run(R.stateless_binomial([20_000], [3, 4], counts=n, probs=p))
    assert v.dtype == np.int32 and v.min() >= 0 and v.max() <= n
    lo, hi = st.binom(n, p).ppf([0.001, 0.999]).astype(int)
    assert pooled_chisq(v, st.binom(n, p).pmf, np.arange(max(lo, 0), hi + 1)) > P_MIN


def test_stateless_gamma_and_poisson():
    g = R.stateless_gamma([20_000, 2], [5, 6], alpha=[0.5, 5.0], beta=[1.0, 0.5], dtype=df.float64)
    p = R.stateless_poisson([20_000, 2], [5, 6], lam=[2.0, 50.0], dtype=df.float32)
    ((vg, vp),) = run([g, p])
    assert st.kstest(vg[:, 0], st.gamma(0.5).cdf).pvalue > P_MIN
    assert st.kstest(vg[:, 1], st.gamma(5.0, scale=2.0).cdf).pvalue > P_MIN
    assert vp.dtype == np.float32
    for col, lam in ((0, 2.0), (1, 50.0)):
        lo, hi = st.poisson(lam).ppf([0.001, 0.999]).astype(int)
        assert pooled_chisq(vp[:, col], st.poisson(lam).pmf, np.arange(lo, hi + 1)) > P_MIN


@pytest.mark.parametrize("mean, sd, lo, hi", [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 1.5, 40.0), (0.0, 1.0, 4.0, 6.0),
                                              (0.0, 0.5, -9.0, -3.0)])
def test_stateless_parameterized_truncated_normal_matches_scipy(mean, sd, lo, hi):
    x = R.stateless_parameterized_truncated_normal([20_000], [9, 9], mean, sd, lo, hi)
    (v,) = run(x)
    assert v.dtype == np.float32 and v.min() >= lo and v.max() <= hi
    dist = st.truncnorm((lo - mean) / sd, (hi - mean) / sd, loc=mean, scale=sd)
    assert st.kstest(v.astype(np.float64), dist.cdf).pvalue > P_MIN


def test_stateless_categorical_frequencies():
    (v,) = run(R.stateless_categorical(np.log([[0.25, 0.75]]), 20_000, [1, 1]))
    assert v.dtype == np.int64 and chisq_p(np.bincount(v[0]), [0.25, 0.75]) > P_MIN


def test_random_shuffle_is_a_uniform_permutation():
    x = R.random_shuffle(df.reshape(df.range(12), [6, 2]), seed=1)
    assert x.op.type == "RandomShuffle" and x.name == "RandomShuffle:0"
    runs = run(x, n=600)
    for v in runs[:5]:
        assert sorted(v[:, 0].tolist()) == [0, 2, 4, 6, 8, 10] and np.all(v[:, 1] == v[:, 0] + 1)
    firsts = np.array([v[0, 0] // 2 for v in runs])
    assert chisq_p(np.bincount(firsts, minlength=6), np.ones(6)) > P_MIN
    (s,) = run(R.random_shuffle(3.0))
    assert s == 3.0


def test_random_crop_offsets_cover_every_position():
    value = np.arange(20).reshape(5, 4)
    x = R.random_crop(value, [3, 4], seed=2)
    assert tuple(x.shape) == (3, 4) and x.name == "random_crop:0"
    runs = run(x, n=150)
    starts = {int(v[0, 0]) // 4 for v in runs}
    assert starts == {0, 1, 2}
    for v in runs[:5]:
        r = int(v[0, 0]) // 4
        np.testing.assert_array_equal(v, value[r:r + 3])


# -- chunking, runs and seeds

def every_op():
    df.set_random_seed(3)
    return [R.multinomial(np.zeros((7, 4), np.float32), 5), R.random_gamma([7, 3], [0.5, 2.0]),
            R.random_poisson([1.0, 40.0], [7, 3], dtype=df.int32), R.random_shuffle(np.arange(21).reshape(7, 3)),
            R.random_crop(np.arange(21).reshape(7, 3), [4, 2]),
            R.stateless_normal([7, 3], [1, 2]), R.stateless_uniform([7, 3], [1, 2]),
            R.stateless_truncated_normal([7, 3], [1, 2]),
            R.stateless_uniform([7, 3], [1, 2], minval=0, maxval=5, dtype=df.int64),
            R.stateless_gamma([7, 3], [1, 2], [0.5, 2.0, 9.0]),
            R.stateless_poisson([7, 3], [1, 2], [1.0, 20.0, 2e3]),
            R.stateless_binomial([7, 3], [1, 2], [5.0, 100.0, 30.0], 0.6),
            R.stateless_parameterized_truncated_normal([7, 3], [1, 2], 0.0, 1.0, [-1.0, 3.0, -0.5], 9.0),
            R.stateless_categorical(np.zeros((7, 4), np.float32), 5, [1, 2]),
            R.split([1, 2], 4), R.fold_in([1, 2], 9)]


def test_values_do_not_depend_on_chunking():
    ts = every_op()
    (ref,) = run(ts)
    with df.config.set(chunk_bytes=16):
        assert df.lower(ts[1]).numblocks[0] > 1
        for sched in ("sync", "threads"):
            (got,) = run(ts, scheduler=sched)
            for r, g in zip(ref, got):
                np.testing.assert_array_equal(r, g)


def test_chunked_parameters_give_the_same_values():
    alpha = np.linspace(0.2, 30, 12).reshape(4, 3)
    builds = [lambda a: R.stateless_gamma([2, 4, 3], [4, 4], a, dtype=df.float64),
              lambda a: R.stateless_poisson([2, 4, 3], [4, 4], a),
              lambda a: R.stateless_binomial([2, 4, 3], [4, 4], a, df.constant(0.3, df.float64)),
              lambda a: R.stateless_categorical(a, 7, [4, 4])]
    for build in builds:
        ref = run_graph(build, alpha)
        for chunks in [((1, 3), (2, 1)), ((2, 2), (1, 1, 1))]:
            np.testing.assert_array_equal(run_graph(build, alpha, chunks=[chunks]), ref)


def test_stateful_ops_differ_between_runs_and_repeat_across_sessions():
    ts = every_op()[:5]
    a1, a2 = run(ts, n=2)
    b1, b2 = run(ts, n=2)
    for x1, x2, y1, y2 in zip(a1, a2, b1, b2):
        np.testing.assert_array_equal(x1, y1)
        np.testing.assert_array_equal(x2, y2)
    for i in (0, 1, 2, 3):
        assert not np.array_equal(a1[i], a2[i])


def test_stateless_ops_depend_only_on_the_seed():
    seed = df.placeholder(df.int64, [2])
    x = R.stateless_normal([50], seed)
    g = R.stateless_gamma([50], seed, 2.0)
    a, b = run([x, g], n=2, feed={seed: [4, 5]})
    (c,) = run([x, g], feed={seed: [4, 5]})
    (d,) = run([x, g], feed={seed: [5, 4]})
    for i in range(2):
        np.testing.assert_array_equal(a[i], b[i])
        np.testing.assert_array_equal(a[i], c[i])
        assert not np.any(a[i] == d[i])


def test_split_and_fold_in():
    s = df.constant([1, 2])
    parts, folded, folded64 = R.split(s, 3), R.fold_in(s, 7), R.fold_in([1, 2], 7)
    assert tuple(parts.shape) == (3, 2) and parts.dtype == df.int32
    assert R.split(df.constant([1, 2], df.int64)).dtype == df.int64
    ((p, f, f2),) = run([parts, folded, folded64])
    assert len({tuple(r) for r in p}) == 3 and f[1] == 7 and f[0] == p[0, 0]
    np.testing.assert_array_equal(f, f2)
    (q,) = run(R.stateless_normal([20], p[1]))
    (r,) = run(R.stateless_normal([20], p[2]))
    assert not np.any(q == r)


# -- gradients

def test_random_gamma_alpha_gradient_is_the_implicit_one():
    alpha = df.constant(np.array([0.7, 1.5, 3.0, 12.0]))
    x = R.random_gamma([], alpha, dtype=df.float64, seed=7)
    (g,) = df.gradients(x, alpha)
    ((vx, vg),) = run([x, g])
    u, h = sps.gammainc(alpha.op.get_attr("value"), vx), 1e-6
    a = np.array([0.7, 1.5, 3.0, 12.0])
    fd = (sps.gammaincinv(a + h, u) - sps.gammaincinv(a - h, u)) / (2 * h)
    np.testing.assert_allclose(vg, fd, rtol=1e-5)


def test_random_gamma_gradients_sum_over_the_shape_prefix_and_reach_beta():
    alpha, beta = df.constant([2.0, 5.0], df.float64), df.constant(2.0, df.float64)
    x = R.random_gamma([6], alpha, beta=beta, dtype=df.float64, seed=8)
    ga, gb = df.gradients(df.reduce_sum(x), [alpha, beta])
    ((vx, vga, vgb),) = run([x, ga, gb])
    np.testing.assert_allclose(vgb, -vx.sum() / 2.0, rtol=1e-10)
    u, h = sps.gammainc([2.0, 5.0], vx * 2.0), 1e-6
    fd = (sps.gammaincinv(np.array([2.0, 5.0]) + h, u) - sps.gammaincinv(np.array([2.0, 5.0]) - h, u)) / (2 * h)
    np.testing.assert_allclose(vga, fd.sum(axis=0) / 2.0, rtol=1e-5)


def test_stateless_gamma_gradient():
    alpha = df.constant([1.2, 4.0], df.float64)
    x = R.stateless_gamma([3, 2], [1, 2], alpha, dtype=df.float64)
    (g,) = df.gradients(x, alpha)
    ((vx, vg),) = run([x, g])
    a, h = np.array([1.2, 4.0]), 1e-6
    u = sps.gammainc(a, vx)
    fd = (sps.gammaincinv(a + h, u) - sps.gammaincinv(a - h, u)) / (2 * h)
    np.testing.assert_allclose(vg, fd.sum(axis=0), rtol=1e-5)


def test_gradients_that_tf_does_not_have():
    lam, v = df.constant([1.0, 2.0]), df.constant([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(LookupError, match="RandomPoissonV2"):
        df.gradients(R.random_poisson(lam, [3]), lam)
    assert df.gradients(R.random_shuffle(v), v) == [None]
    logits = df.constant([[0.0, 1.0]])
    assert df.gradients(R.multinomial(logits, 3), logits) == [None]


def test_random_crop_gradient_reaches_the_cropped_entries():
    v = df.constant(np.ones((2, 2), np.float32))
    (g,) = df.gradients(R.random_crop(v, [1, 2], seed=3), v)
    (vg,) = run(g)
    assert sorted(vg.sum(axis=1).tolist()) == [0.0, 2.0]


def test_stateless_normal_gradient_flows_to_mean():
    m = df.constant(1.0)
    (g,) = df.gradients(R.stateless_normal([3], [1, 2], mean=m), m)
    assert run(g)[0] == 3.0


# -- candidate samplers

def test_candidate_samplers_match_tf_expected_counts():
    tc = np.array([[1, 2]], np.int64)
    log = R.log_uniform_candidate_sampler(tc, 2, 3, False, 4, seed=1)
    ((c, t, s),) = run(log)
    np.testing.assert_allclose(t, [[0.7557889, 0.53624076]], rtol=1e-6)  # from TF
    p = (np.log(c + 2.0) - np.log(c + 1.0)) / np.log(5.0)
    np.testing.assert_allclose(s, 3 * p, rtol=1e-6)
    uni = R.uniform_candidate_sampler(tc, 2, 3, True, 4, seed=1)
    ((c, t, s),) = run(uni)
    assert len(set(c.tolist())) == 3 and set(c.tolist()) <= {0, 1, 2, 3}
    tries = np.log1p(-t[0, 0]) / np.log(0.75) if t[0, 0] != 0.75 else 3
    assert abs(tries - round(tries)) < 1e-4 and round(tries) >= 3
    np.testing.assert_allclose(s, t[0, 0], rtol=1e-6)
    ((c, t, s),) = run(R.all_candidate_sampler(tc, 2, 3, True))
    np.testing.assert_array_equal(c, [0, 1, 2])
    assert np.all(t == 1.0) and np.all(s == 1.0)


def test_fixed_unigram_sampler_frequencies_reserved_ids_and_shards():
    tc = np.array([[1, 2]], np.int64)
    x = R.fixed_unigram_candidate_sampler(tc, 2, 1, False, 6, unigrams=[1.0, 2.0, 3.0, 4.0],
                                                  num_reserved_ids=2, distortion=0.5, seed=1)
    runs = run(x, n=1500)
    counts = np.bincount([int(r[0][0]) for r in runs], minlength=6)
    w = np.array([0, 0, 1, 2, 3, 4]) ** 0.5
    assert counts[0] == counts[1] == 0 and chisq_p(counts, w) > P_MIN
    np.testing.assert_allclose(runs[0][1], [[0.0, 1 / w.sum()]], rtol=1e-6)  # class 1 is reserved
    y = R.fixed_unigram_candidate_sampler(tc, 2, 2, True, 2, unigrams=[1.0, 2.0, 3.0, 4.0], num_shards=2,
                                                  shard=1, seed=1)
    ((c, t, s),) = run(y)
    assert sorted(c.tolist()) == [0, 1]


def test_log_uniform_sampler_frequencies():
    x = R.log_uniform_candidate_sampler(np.zeros((1, 1), np.int64), 1, 4000, False, 10, seed=2)
    ((c, _, _),) = run(x)
    k = np.arange(10)
    assert chisq_p(np.bincount(c, minlength=10), np.log((k + 2) / (k + 1))) > P_MIN


def test_candidate_sampler_errors():
    tc = np.array([[1, 2]], np.int64)
    with pytest.raises(df.errors.InvalidArgumentError, match="Sampler's range is too small"):
        R.uniform_candidate_sampler(tc, 2, 5, True, 4)
    with pytest.raises(df.errors.InvalidArgumentError, match="true_classes must have num_true columns"):
        R.uniform_candidate_sampler(tc, 3, 2, True, 4)
    with pytest.raises(TypeError, match="does not match expected type of int64"):
        R.uniform_candidate_sampler(df.constant([[1, 2]]), 2, 2, True, 4)
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        R.uniform_candidate_sampler(np.array([1, 2], np.int64), 2, 2, True, 4)
    with pytest.raises(ValueError, match="Attr 'num_sampled' of 'UniformCandidateSampler' Op passed -1"):
        R.uniform_candidate_sampler(tc, 2, -1, True, 4)
    with pytest.raises(ValueError, match="range is 4 must be equal to weights size  3"):
        R.fixed_unigram_candidate_sampler(tc, 2, 3, True, 4, unigrams=[1.0, 2.0, 3.0])


# -- errors

def test_multinomial_errors():
    with pytest.raises(ValueError, match="must be non-negative but is -1"):
        R.multinomial([[0.0, 1.0]], -1)
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        R.multinomial([0.0, 1.0], 2)
    with pytest.raises(ValueError, match=r"Accepted dtypes are \(tf.int32, tf.int64\)"):
        R.multinomial([[0.0, 1.0]], 2, output_dtype=df.float32)
    with pytest.raises(df.errors.InvalidArgumentError, match="num_classes should be positive, got 0"):
        R.multinomial(np.zeros((2, 0), np.float32), 3)
    n = df.placeholder(df.int32, ())
    x = R.multinomial([[0.0, 1.0]], n)
    assert tuple(x.shape.as_list()) == (1, None)
    assert run(x, feed={n: 4})[0].shape == (1, 4)
    with pytest.raises(df.errors.InvalidArgumentError, match="num_samples should be non-negative, got -2"):
        run(x, feed={n: -2})


def test_stateless_errors():
    with pytest.raises(ValueError, match="Dimension must be 2 but is 3"):
        R.stateless_normal([2], seed=[1, 2, 3])
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: int32, int64"):
        R.stateless_normal([2], seed=df.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="must be both None or not None"):
        R.stateless_uniform([2], seed=[1, 2], dtype=df.int32)
    with pytest.raises(df.errors.InvalidArgumentError, match="Shape passed in must end with broadcasted shape"):
        R.stateless_gamma([3, 3], [1, 2], alpha=[1.0, 2.0])
    with pytest.raises(df.errors.InvalidArgumentError, match="Shape passed in must end with broadcasted shape"):
        R.stateless_poisson([3], [1, 2], lam=[1.0, 2.0])
    with pytest.raises(TypeError, match="Input 'stddevs' of 'StatelessParameterizedTruncatedNormal' Op has type "
                                        "float32 that does not match type float64"):
        R.stateless_parameterized_truncated_normal([3], [1, 2], means=df.constant(0.0, df.float64))
    with pytest.raises(TypeError, match="Input 'probs' of 'StatelessRandomBinomial'"):
        R.stateless_binomial([2], [1, 2], df.constant(1.0, df.float64), 0.5)


def test_gamma_poisson_crop_errors():
    with pytest.raises(ValueError, match="not inexact"):
        R.random_gamma([3], 1, dtype=df.int32)
    with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
        R.random_poisson([1.0], [3], dtype=df.bool)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Need value.shape >= size, got \] \[2 2\] \[3 2\]"):
        R.random_crop(np.zeros((2, 2)), [3, 2])
    with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but are 2 and 1"):
        R.random_crop(np.zeros((2, 2)), [1])
    v = df.placeholder(df.float32, [None, 2])
    with pytest.raises(df.errors.InvalidArgumentError, match="Need value.shape >= size"):
        run(R.random_crop(v, [3, 2]), feed={v: np.zeros((2, 2), np.float32)})


def test_gamma_edge_values_follow_tf():
    (v,) = run(R.random_gamma([2], [0.0, -1.0]))
    assert np.all(v[:, 0] == np.finfo(np.float32).tiny) and np.all(np.isnan(v[:, 1]))


def test_namespaces_list_only_defined_names():
    for names in R.NAMESPACES.values():
        for n in names:
            assert callable(getattr(R, n)), n
    for n in R.__all__:
        assert callable(getattr(R, n)), n


def test_parameterized_truncated_normal_gradients_are_the_implicit_ones():
    params = [np.array([0.0, 1.0, -2.0, 0.5]), np.array([1.0, 2.0, 0.5, 3.0]), np.array([-1.0, 1.5, -9.0, 0.0]),
              np.array([2.0, 40.0, -1.5, 0.2])]
    ts = [df.constant(p) for p in params]
    x = R.stateless_parameterized_truncated_normal([4], [3, 1], *ts)
    grads = df.gradients(x, ts)
    ((vx, *vg),) = run([x] + grads)

    def ppf(mu, sd, lo, hi, u):
        return st.truncnorm.ppf(u, (lo - mu) / sd, (hi - mu) / sd, loc=mu, scale=sd)
    u = st.truncnorm.cdf(vx, (params[2] - params[0]) / params[1], (params[3] - params[0]) / params[1],
                         loc=params[0], scale=params[1])
    h = 1e-6
    for i, g in enumerate(vg):
        up, down = [list(params) for _ in range(2)]
        up[i], down[i] = params[i] + h, params[i] - h
        np.testing.assert_allclose(g, (ppf(*up, u) - ppf(*down, u)) / (2 * h), rtol=1e-4, atol=1e-7, err_msg=str(i))


def test_names_follow_tf():
    assert R.multinomial([[0.0, 1.0]], 2).name == "multinomial/Multinomial:0"
    assert R.categorical([[0.0, 1.0]], 2).name == "categorical/Multinomial:0"
    assert R.stateless_categorical([[0.0, 1.0]], 2, [1, 2]).name == "stateless_categorical/StatelessMultinomial:0"
    assert R.stateless_normal([2], [1, 2]).name == "stateless_random_normal:0"
    assert R.stateless_uniform([2], [1, 2]).name == "stateless_random_uniform:0"
    assert R.stateless_truncated_normal([2], [1, 2]).name == "stateless_truncated_normal:0"
    assert R.stateless_gamma([2], [1, 2], 1.0).name == "stateless_random_gamma/Maximum:0"
    assert R.stateless_poisson([2], [1, 2], 1.0).name == "stateless_random_poisson/StatelessRandomPoisson:0"
    assert R.stateless_binomial([2], [1, 2], 1.0, 0.5).name == "stateless_random_binomial/StatelessRandomBinomial:0"
    assert R.random_gamma([3], 1.0).name == "random_gamma/Maximum:0"
    samp = R.uniform_candidate_sampler(np.array([[1]], np.int64), 1, 1, True, 3)
    assert [t.name for t in samp] == ["UniformCandidateSampler:0", "UniformCandidateSampler:1",
                                      "UniformCandidateSampler:2"]
    assert samp.sampled_expected_count is samp[2]


def test_stateful_ops_on_chunked_inputs_give_the_same_values():
    x = np.linspace(0.5, 12.0, 24).reshape(6, 4)
    builds = [lambda a: R.random_shuffle(a, seed=1), lambda a: R.multinomial(a, 5, seed=1),
              lambda a: R.random_gamma([2], a, dtype=df.float64, seed=1), lambda a: R.random_poisson(a, [3], seed=1),
              lambda a: R.random_crop(a, [3, 3], seed=1)]
    for build in builds:
        ref = run_graph(build, x)
        for chunks in [((1, 2, 3), (3, 1)), ((4, 2), (1, 1, 1, 1))]:
            np.testing.assert_array_equal(run_graph(build, x, chunks=[chunks]), ref)


def test_random_shuffle_takes_strings():
    (v,) = run(R.random_shuffle(df.constant(["a", "b", "c", "d"]), seed=4))
    assert sorted(v.tolist()) == [b"a", b"b", b"c", b"d"]


def _stateless_draws(x, seed):
    shape = df.shape(x)
    return [R.stateless_normal(shape, seed), R.stateless_truncated_normal(shape, seed),
            R.stateless_uniform(shape, seed, dtype=df.float64), R.stateless_uniform(shape, seed, 2, 9, dtype=df.int64),
            R.stateless_uniform(shape, seed, dtype=df.int64, minval=None, maxval=None)]


def _stateless_params(alpha, probs, seed):
    shape = df.concat([[4], df.shape(alpha)], 0)
    return [R.stateless_gamma(shape, seed, alpha, dtype=df.float64), R.stateless_poisson(shape, seed, alpha),
            R.stateless_binomial(shape, seed, alpha * 3, probs, output_dtype=df.int64),
            R.stateless_parameterized_truncated_normal(shape, seed, alpha, probs, -alpha, alpha * 2),
            R.stateless_multinomial(df.log(df.reshape(probs, [1, -1])), 6, seed)]


def _samplers(tc):
    return [*R.uniform_candidate_sampler(tc, 2, 4, True, 10, seed=1),
            *R.log_uniform_candidate_sampler(tc, 2, 5, False, 20, seed=2),
            *R.fixed_unigram_candidate_sampler(tc, 2, 3, True, 6, unigrams=[1, 4, 2, 0, 3, 5], seed=3),
            *R.all_candidate_sampler(tc, 2, 7, True, seed=4)]


SWEEP_CASES = [
    SweepCase(lambda logits: [R.multinomial(logits, 5, seed=1), R.categorical(logits, 3, dtype=df.int32, seed=2)],
              np.log(np.random.default_rng(0).uniform(0.1, 1.0, (3, 4))), name="multinomial"),
    SweepCase(lambda alpha: [R.random_gamma([2], alpha, beta=alpha, dtype=df.float64, seed=1),
                             R.random_poisson(alpha, [3], dtype=df.int64, seed=2)],
              np.linspace(0.5, 6.0, 6).reshape(2, 3), name="gamma_poisson"),
    SweepCase(lambda x: R.random_shuffle(x, seed=3), np.arange(15.0).reshape(5, 3), name="random_shuffle"),
    SweepCase(_stateless_draws, np.zeros((3, 4)), np.array([7, 11], np.int64), name="stateless_draws"),
    SweepCase(_stateless_params, np.array([0.5, 2.0, 30.0]), np.array([0.2, 0.5, 0.9]),
              np.array([3, 5], np.int64), name="stateless_params"),
    SweepCase(_samplers, np.array([[1, 2], [3, 9], [0, 5]], np.int64), name="candidate_samplers"),
]
