"""tf.distributions' discrete and vector distributions (Bernoulli, Categorical, Dirichlet, Multinomial,
DirichletMultinomial) against scipy.stats, their samples, the KL registry and every registered KL divergence
against numerical integration or sums, and TF's argument checks."""
import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as st

import daskflow as df
import daskflow.distributions as D
from daskflow.testing import check_grads

TESTED_OPS = set()  # composites of existing ops only

F64 = np.float64


def run(fetches, feed=None):
    with df.Session() as s:
        return s.run(fetches, feed)


def test_bernoulli_matches_scipy():
    p = np.array([[0.2, 0.7, 0.95]], F64)
    logits = np.log(p / (1 - p))
    x = np.array([[0], [1]], np.int32)
    with df.Graph().as_default():
        a, b = D.Bernoulli(probs=p), D.Bernoulli(logits=logits)
        assert a.batch_shape == (1, 3) and a.dtype == np.int32 and b.probs.name == "Bernoulli_1/probs:0"
        got = run([a.log_prob(x), b.log_prob(x), a.entropy(), b.entropy(), a.mean(), a.variance(), a.mode(),
                   b.prob(x), D.Bernoulli(probs=0.3).log_prob([0.0, 1.0, 2.0])])
    ref = st.bernoulli(p)
    for lp in got[:2]:
        np.testing.assert_allclose(lp, ref.logpmf(x), rtol=1e-10)
    for ent in got[2:4]:
        np.testing.assert_allclose(ent, ref.entropy(), rtol=1e-10)
    np.testing.assert_allclose(got[4:6], [p, p * (1 - p)], rtol=1e-12)
    np.testing.assert_array_equal(got[6], [[0, 1, 1]])
    assert got[6].dtype == np.int32
    np.testing.assert_allclose(got[7], ref.pmf(x), rtol=1e-10)
    np.testing.assert_allclose(got[8], [-0.35667494, -1.2039728, -2.0512707], rtol=1e-6)  # TF's values


def test_categorical_matches_scipy_with_broadcasting():
    logits = np.array([[0.1, -1.0, 2.0], [0.5, 0.5, -3.0]], F64)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    k = np.array([[0], [2], [1]], np.int32)  # broadcasts against the batch (2,): result (3, 2)
    with df.Graph().as_default():
        d = D.Categorical(logits=logits)
        assert d.batch_shape == (2,) and d.event_shape == () and d.dtype == np.int32
        got = run([d.log_prob(k), d.prob(k), d.entropy(), d.mode(), d.probs, d.event_size,
                   D.Categorical(probs=[0.2, 0.8]).cdf([-1, 0, 1, 2])])
    np.testing.assert_allclose(got[0], np.log(p[np.arange(2), k]), rtol=1e-10)
    np.testing.assert_allclose(got[1], p[np.arange(2), k], rtol=1e-10)
    np.testing.assert_allclose(got[2], [st.entropy(r) for r in p], rtol=1e-10)
    np.testing.assert_array_equal(got[3], [2, 0])
    np.testing.assert_allclose(got[4], p, rtol=1e-12)
    assert got[5] == 3
    np.testing.assert_allclose(got[6], [0.0, 0.0, 0.2, 1.0], rtol=1e-6)  # TF1's values (sum of probs below k)


def test_dirichlet_matches_scipy():
    alpha = np.array([[0.7, 2.0, 3.5], [1.5, 1.2, 4.0]], F64)
    x = np.array([0.2, 0.3, 0.5], F64)
    with df.Graph().as_default():
        d = D.Dirichlet(alpha)
        assert d.batch_shape == (2,) and d.event_shape == (3,)
        got = run([d.log_prob(x), d.entropy(), d.mean(), d.variance(), d.covariance(), d.mode(),
                   d.event_shape_tensor()])
    for i in range(2):
        ref = st.dirichlet(alpha[i])
        np.testing.assert_allclose(got[0][i], ref.logpdf(x), rtol=1e-10)
        np.testing.assert_allclose(got[1][i], ref.entropy(), rtol=1e-10)
        np.testing.assert_allclose(got[2][i], ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(got[3][i], ref.var(), rtol=1e-10)
        np.testing.assert_allclose(got[4][i], ref.cov(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got[5][1], (alpha[1] - 1) / (alpha[1].sum() - 3), rtol=1e-12)
    assert np.all(np.isnan(got[5][0]))  # a concentration <= 1: undefined
    assert got[6].tolist() == [3]


def test_multinomial_matches_scipy():
    p = np.array([0.2, 0.3, 0.5], F64)
    n = np.array([[4.0], [6.0]], F64)  # batch (2, 1)
    counts = np.array([1.0, 1.0, 2.0])
    with df.Graph().as_default():
        d = D.Multinomial(total_count=n, probs=p)
        assert d.batch_shape == (2, 1) and d.event_shape == (3,) and d.dtype == np.float64
        got = run([d.log_prob(counts), d.mean(), d.variance(), d.covariance()])
    for i, ni in enumerate((4, 6)):
        ref = st.multinomial(ni, p)
        if ni == 4:
            np.testing.assert_allclose(got[0][i, 0], ref.logpmf(counts), rtol=1e-10)
        np.testing.assert_allclose(got[1][i, 0], ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(got[2][i, 0], np.diag(ref.cov()), rtol=1e-12)
        np.testing.assert_allclose(got[3][i, 0], ref.cov(), rtol=1e-12)


def test_dirichlet_multinomial_matches_scipy():
    alpha = np.array([0.5, 2.0, 3.0], F64)
    counts = np.array([[2.0, 0.0, 3.0], [1.0, 3.0, 1.0]])
    with df.Graph().as_default():
        d = D.DirichletMultinomial(5.0, alpha)
        got = run([d.log_prob(counts), d.mean(), d.variance(), d.covariance()])
    ref = st.dirichlet_multinomial(alpha, 5)
    np.testing.assert_allclose(got[0], ref.logpmf(counts), rtol=1e-10)
    np.testing.assert_allclose(got[1], ref.mean(), rtol=1e-12)
    np.testing.assert_allclose(got[2], ref.var(), rtol=1e-10)
    np.testing.assert_allclose(got[3], ref.cov(), rtol=1e-10)


def test_log_prob_gradients():
    def build(a, b):
        return (D.Dirichlet(a * a + 0.5).log_prob(np.array([0.2, 0.3, 0.5]))
                + D.Categorical(logits=b).log_prob(np.array([2, 0]))[0]
                + D.Bernoulli(logits=b).log_prob(np.array([[1.0, 0.0, 1.0]]))[0, 0])
    check_grads(build, [np.array([0.4, 1.2, -0.8]), np.array([[0.3, -0.2, 1.0], [0.1, 0.0, -0.5]])])


# -- sampling

def test_discrete_samples():
    n = 4000
    with df.Graph().as_default():
        df.set_random_seed(3)
        fetch = {"bern": D.Bernoulli(probs=[0.2, 0.9]).sample(n, seed=1),
                 "cat": D.Categorical(probs=[[0.2, 0.3, 0.5], [0.7, 0.2, 0.1]], dtype=df.int64).sample(n, seed=2),
                 "multi": D.Multinomial(total_count=[3.0, 5.0], probs=[0.2, 0.3, 0.5]).sample(n // 4, seed=3),
                 "dm": D.DirichletMultinomial([4.0, 2.0], [[1.0, 2.0, 3.0]]).sample(n // 4, seed=4)}
        assert fetch["bern"].dtype == np.int32 and fetch["cat"].dtype == np.int64
        assert fetch["multi"].shape == (n // 4, 2, 3) and fetch["dm"].shape == (n // 4, 2, 3)
        got = run(fetch)
    b = got["bern"]
    assert set(np.unique(b)) <= {0, 1}
    assert np.all(np.abs(b.mean(0) - [0.2, 0.9]) < 5 * np.sqrt([0.16, 0.09] / np.float64(n)))
    for j, p in enumerate([[0.2, 0.3, 0.5], [0.7, 0.2, 0.1]]):
        counts = np.bincount(got["cat"][:, j], minlength=3)
        assert st.chisquare(counts, np.array(p) * n).pvalue > 1e-4
    m = got["multi"]
    np.testing.assert_array_equal(m.sum(-1), np.broadcast_to([3.0, 5.0], (n // 4, 2)))
    se = np.sqrt(np.array([3.0, 5.0])[:, None] * np.array([0.16, 0.21, 0.25]) / (n // 4))
    assert np.all(np.abs(m.mean(0) - np.outer([3.0, 5.0], [0.2, 0.3, 0.5])) < 5 * se)
    dm = got["dm"]
    np.testing.assert_array_equal(dm.sum(-1), np.broadcast_to([4.0, 2.0], (n // 4, 2)))
    for j, total in enumerate([4, 2]):
        ref = st.dirichlet_multinomial([1.0, 2.0, 3.0], total)
        assert np.all(np.abs(dm[:, j].mean(0) - ref.mean()) < 5 * np.sqrt(ref.var() / (n // 4)))


def test_dirichlet_samples_and_their_gradient():
    n = 3000
    alpha = np.array([0.6, 2.0, 4.0])
    with df.Graph().as_default():
        c = df.constant(alpha)
        x = D.Dirichlet(c).sample(n, seed=5)
        g = df.gradients(df.reduce_sum(x[:, 0]), c)[0] / n  # d E[x_0] / d alpha, averaged over the draws
        xv, gv = run([x, g])
    np.testing.assert_allclose(xv.sum(-1), 1.0, rtol=1e-12)
    ref = st.dirichlet(alpha)
    assert np.all(np.abs(xv.mean(0) - ref.mean()) < 5 * np.sqrt(ref.var() / n))
    a0 = alpha.sum()
    truth = np.array([(a0 - alpha[0]) / a0 ** 2, -alpha[0] / a0 ** 2, -alpha[0] / a0 ** 2])
    np.testing.assert_allclose(gv, truth, atol=0.01)


# -- KL divergences

def _kl_quad(p, q, lo, hi):
    return si.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), lo, hi, limit=200)[0]


def test_registered_kl_divergences():
    with df.Graph().as_default():
        kls = {
            "normal": D.kl_divergence(D.Normal(F64(0.3), F64(1.5)), D.Normal(F64(-1.0), F64(0.7))),
            "gamma": D.kl_divergence(D.Gamma(F64(2.5), F64(1.5)), D.Gamma(F64(1.2), F64(0.5))),
            "exponential": D.kl_divergence(D.Exponential(F64(2.0)), D.Exponential(F64(0.5))),
            "exp_gamma": D.kl_divergence(D.Exponential(F64(2.0)), D.Gamma(F64(2.0), F64(3.0))),
            "beta": D.kl_divergence(D.Beta(F64(2.5), F64(1.5)), D.Beta(F64(0.8), F64(3.0))),
            "dirichlet": D.kl_divergence(D.Dirichlet(np.array([2.5, 1.5])), D.Dirichlet(np.array([0.8, 3.0]))),
            "bernoulli": D.kl_divergence(D.Bernoulli(probs=F64(0.3)), D.Bernoulli(logits=F64(1.0))),
            "categorical": D.kl_divergence(D.Categorical(probs=np.array([0.2, 0.3, 0.5])),
                                           D.Categorical(logits=np.array([1.0, 0.0, -1.0]))),
        }
        got = run(kls)
    ref = {
        "normal": _kl_quad(st.norm(0.3, 1.5), st.norm(-1.0, 0.7), -np.inf, np.inf),
        "gamma": _kl_quad(st.gamma(2.5, scale=1 / 1.5), st.gamma(1.2, scale=2.0), 0, np.inf),
        "exponential": _kl_quad(st.expon(scale=0.5), st.expon(scale=2.0), 0, np.inf),
        "exp_gamma": _kl_quad(st.expon(scale=0.5), st.gamma(2.0, scale=1 / 3.0), 0, np.inf),
        "beta": _kl_quad(st.beta(2.5, 1.5), st.beta(0.8, 3.0), 0, 1),
        "dirichlet": _kl_quad(st.beta(2.5, 1.5), st.beta(0.8, 3.0), 0, 1),  # K = 2: the Beta on the first part
        "bernoulli": st.entropy([0.3, 0.7], [1 / (1 + np.e), np.e / (1 + np.e)][::-1]),
        "categorical": st.entropy([0.2, 0.3, 0.5], np.exp([1.0, 0.0, -1.0]) / np.exp([1.0, 0.0, -1.0]).sum()),
    }
    for k in kls:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-7, err_msg=k)


def test_kl_gradient_and_cross_entropy():
    check_grads(lambda a, b: D.kl_divergence(D.Normal(a, b), D.Normal(b, a + 2.0)),
                [np.array([0.3, -0.2]), np.array([0.9, 1.7])])
    with df.Graph().as_default():
        a, b = D.Normal(F64(0.3), F64(1.5)), D.Normal(F64(-1.0), F64(0.7))
        got = run(a.cross_entropy(b))
    ref = -si.quad(lambda x: st.norm.pdf(x, 0.3, 1.5) * st.norm.logpdf(x, -1.0, 0.7), -np.inf, np.inf)[0]
    np.testing.assert_allclose(got, ref, rtol=1e-7)


def test_kl_registry():
    with df.Graph().as_default():
        with pytest.raises(NotImplementedError, match=r"^No KL\(distribution_a \|\| distribution_b\) registered for "
                                                      r"distribution_a type Normal and distribution_b type Gamma$"):
            D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))
        with pytest.raises(ValueError, match=r"^KL\(Normal \|\| Normal\) has already been registered to: "):
            D.RegisterKL(D.Normal, D.Normal)(lambda a, b, name=None: 0.0)
        with pytest.raises(TypeError, match="^kl_fn must be callable, received: 5$"):
            D.RegisterKL(D.Normal, D.Gamma)(5)

        class Shifted(D.Normal):
            pass

        @D.RegisterKL(Shifted, D.Normal)
        def _kl(a, b, name=None):
            return a.mean() - b.mean()

        # the nearest registered pair wins: (Shifted, Normal) over the inherited (Normal, Normal)
        got = run([D.kl_divergence(Shifted(5.0, 1.0), D.Normal(2.0, 1.0)),
                   D.kl_divergence(D.Normal(5.0, 1.0), Shifted(2.0, 1.0))])
        np.testing.assert_allclose(got, [3.0, 4.5])


def test_kl_allow_nan_stats_false_fails_on_nan():
    with df.Graph().as_default():
        p = df.placeholder(df.float32)
        kl = D.kl_divergence(D.Normal(p, 1.0), D.Normal(0.0, 1.0), allow_nan_stats=False)
        with df.Session() as s:
            assert s.run(kl, {p: 1.0}) == 0.5
            with pytest.raises(df.errors.InvalidArgumentError, match="returned NaN values"):
                s.run(kl, {p: np.nan})


# -- argument checks (TF's classes and messages)

def test_argument_checks():
    with df.Graph().as_default():
        with pytest.raises(ValueError, match=r"^Must pass probs or logits, but not both\.$"):
            D.Bernoulli(probs=0.5, logits=0.1)
        with pytest.raises(ValueError, match=r"^Must pass probs or logits, but not both\.$"):
            D.Categorical()
        with pytest.raises(df.errors.InvalidArgumentError, match=r"^probs has components greater than 1\.\n"
                                                                 r"Condition x <= y did not hold"):
            D.Bernoulli(probs=1.5, validate_args=True)
        with pytest.raises(df.errors.InvalidArgumentError, match=r"^Elements must be int32-equivalent\.\n"):
            D.Categorical(probs=[0.2, 0.8], validate_args=True).log_prob(0.5)
        with pytest.raises(df.errors.InvalidArgumentError, match=r"cannot contain fractional components\."):
            run(D.Multinomial(3.0, probs=[0.3, 0.7], validate_args=True).log_prob([1.5, 1.5]))
        with pytest.raises(df.errors.InvalidArgumentError, match=r"^Mode undefined when any concentration <= 1\n"):
            D.Dirichlet([0.5, 2.0], allow_nan_stats=False).mode()
        p = df.placeholder(df.float32, [2])
        lp = D.Multinomial(3.0, probs=[0.3, 0.7], validate_args=True).log_prob(p)
        dlp = D.Dirichlet([1.0, 2.0], validate_args=True).log_prob(p)
        with df.Session() as s:
            np.testing.assert_allclose(s.run(lp, {p: [1.0, 2.0]}), st.multinomial(3, [0.3, 0.7]).logpmf([1, 2]),
                                       rtol=1e-6)
            with pytest.raises(df.errors.InvalidArgumentError, match="counts must sum to `self.total_count`"):
                s.run(lp, {p: [1.0, 1.0]})
            with pytest.raises(df.errors.InvalidArgumentError, match="sample last-dimension must sum to `1`"):
                s.run(dlp, {p: [0.3, 0.3]})


def test_names_and_shapes_as_tf():
    with df.Graph().as_default():
        c = D.Categorical(probs=[[0.2, 0.8]])
        assert (c.name, c.batch_shape, c.event_shape) == ("Categorical/", (1,), ())
        assert c.logits.name.startswith("Categorical/logits/")
        d = D.Dirichlet([1.0, 2.0, 3.0])
        assert (d.batch_shape, d.event_shape, d.sample(4).shape, d.covariance().shape) == ((), (3,), (4, 3), (3, 3))
        assert d.reparameterization_type == D.FULLY_REPARAMETERIZED
        m = D.Multinomial(total_count=5.0, probs=[0.2, 0.3, 0.5])
        assert (m.dtype, m.event_shape, m.sample(2).shape) == (np.float32, (3,), (2, 3))
        assert m.reparameterization_type == D.NOT_REPARAMETERIZED
        assert D.DirichletMultinomial(5.0, [1.0, 2.0, 3.0]).covariance().shape == (3, 3)
        b = D.Bernoulli(logits=[0.1, 0.2])
        assert b.parameters == {"logits": [0.1, 0.2], "probs": None, "dtype": df.int32, "validate_args": False,
                                "allow_nan_stats": True, "name": "Bernoulli"}
        assert sorted(D.Multinomial(3.0, probs=[0.2, 0.8]).parameters) == [
            "allow_nan_stats", "logits", "name", "probs", "total_count", "validate_args"]
        with pytest.raises(NotImplementedError, match="^entropy is not implemented: Multinomial$"):
            m.entropy()
