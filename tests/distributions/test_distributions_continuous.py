"""tf.distributions' continuous distributions: values against scipy.stats over broadcast parameter grids, sample
moments, gradients of log_prob and of reparameterised samples, allow_nan_stats and validate_args semantics (TF's
messages), and TF's op names and shapes."""
import numpy as np
import pytest
import scipy.stats as st

import daskflow as df
import daskflow.distributions as D
from daskflow.testing import check_grads

TESTED_OPS = set()  # composites of existing ops only

F64 = np.float64


def run(fetches):
    with df.Session() as s:
        return s.run(fetches)


# parameter grids broadcast into a batch: (constructor, scipy frozen distribution, points x, quantile support)
A = np.array([0.7, 1.5, 4.0], F64)           # shape (3,)
B = np.array([[0.5], [2.0]], F64)            # shape (2, 1)
X = np.array([[0.2, 0.9, 3.0], [1.1, 0.05, 0.6]], F64)
U = np.array([[0.1, 0.5, 0.93], [0.3, 0.7, 0.02]], F64)

CASES = {
    "Normal": (lambda: D.Normal(A - 1.0, B), st.norm(A - 1.0, B), X - 1.0),
    "Laplace": (lambda: D.Laplace(A, B), st.laplace(A, B), X * 2.0),
    "StudentT": (lambda: D.StudentT(A + 2.0, A, B), st.t(A + 2.0, A, B), X * 3.0 - 1.0),
    "Uniform": (lambda: D.Uniform(-A, B + 1.0), st.uniform(-A, B + 1.0 + A), X - 0.5),
    "Gamma": (lambda: D.Gamma(A + 1.0, B), st.gamma(A + 1.0, scale=1.0 / B), X),
    "Exponential": (lambda: D.Exponential(B * A), st.expon(scale=1.0 / (B * A)), X),
    "Beta": (lambda: D.Beta(A + 1.0, B + 1.0), st.beta(A + 1.0, B + 1.0), np.clip(X / 3.1, 0.01, 0.99)),
}
METHODS = ["log_prob", "prob", "cdf", "log_cdf", "survival_function", "log_survival_function"]
SCIPY = {"log_prob": "logpdf", "prob": "pdf", "cdf": "cdf", "log_cdf": "logcdf", "survival_function": "sf",
         "log_survival_function": "logsf"}
MODES = {"Normal": lambda: np.broadcast_to(A - 1.0, (2, 3)), "Laplace": lambda: np.broadcast_to(A, (2, 3)),
         "StudentT": lambda: np.broadcast_to(A, (2, 3)), "Gamma": lambda: (A + 1.0 - 1.0) / B,
         "Beta": lambda: np.where((A + 1 > 1) & (B + 1 > 1), A / (A + B), np.nan)}


@pytest.mark.parametrize("family", sorted(CASES))
def test_values_match_scipy(family):
    make, ref, x = CASES[family]
    with df.Graph().as_default():
        d = make()
        assert d.batch_shape == (2, 3) and d.event_shape == () and d.dtype == np.float64
        fetch = {m: getattr(d, m)(x) for m in METHODS}
        fetch.update(entropy=d.entropy(), mean=d.mean(), variance=d.variance(), stddev=d.stddev(),
                     batch=d.batch_shape_tensor(), event=d.event_shape_tensor())
        if family in MODES:
            fetch["mode"] = d.mode()
        if family == "Normal":
            fetch["quantile"] = d.quantile(U)
        got = run(fetch)
    for m in METHODS:
        np.testing.assert_allclose(got[m], getattr(ref, SCIPY[m])(x), rtol=1e-6, atol=1e-12, err_msg=m)
    ent, mean, var = ref.entropy(), ref.mean(), ref.var()
    for name, want in (("entropy", ent), ("mean", mean), ("variance", var), ("stddev", np.sqrt(var))):
        np.testing.assert_allclose(got[name], np.broadcast_to(want, (2, 3)), rtol=1e-6, err_msg=name)
    if family in MODES:
        np.testing.assert_allclose(got["mode"], np.broadcast_to(MODES[family](), (2, 3)), rtol=1e-6)
    if family == "Normal":
        np.testing.assert_allclose(got["quantile"], ref.ppf(U), rtol=1e-6)
    assert got["batch"].tolist() == [2, 3] and got["batch"].dtype == np.int32 and got["event"].tolist() == []


def test_normal_tails_are_accurate():
    z = np.array([-40.0, -12.0, -3.0, 0.0, 3.0, 9.0, 40.0])
    with df.Graph().as_default():
        d = D.Normal(F64(0.0), F64(1.0))
        got = run([d.log_cdf(z), d.log_survival_function(z)])
    np.testing.assert_allclose(got[0], st.norm.logcdf(z), rtol=1e-8)
    np.testing.assert_allclose(got[1], st.norm.logsf(z), rtol=1e-8)


def test_uniform_is_half_open_and_keeps_nan():
    with df.Graph().as_default():
        d = D.Uniform(0.0, 1.0)
        got = run([d.log_prob([-0.5, 0.0, 0.5, 1.0, 2.0]), d.cdf([-0.5, 0.0, 0.5, 1.0, 2.0]), d.prob(np.nan)])
    np.testing.assert_array_equal(got[0], [-np.inf, 0.0, 0.0, -np.inf, -np.inf])  # TF's values
    np.testing.assert_array_equal(got[1], [0.0, 0.0, 0.5, 1.0, 1.0])
    assert np.isnan(got[2])


def test_gamma_and_beta_densities_at_the_boundary():
    with df.Graph().as_default():
        got = run([D.Gamma(1.0, 3.0).log_prob(0.0), D.Gamma(2.0, 3.0).log_prob(0.0), D.Beta(2.0, 3.0).log_prob(0.0)])
    np.testing.assert_allclose(got, [np.log(3.0), -np.inf, -np.inf])  # TF: 1.0986123, -inf, -inf


# -- sampling

SAMPLED = {
    "Normal": (lambda: D.Normal([0.0, 3.0], [1.0, 0.5]), st.norm([0.0, 3.0], [1.0, 0.5])),
    "Laplace": (lambda: D.Laplace([0.0, 3.0], [1.0, 0.5]), st.laplace([0.0, 3.0], [1.0, 0.5])),
    "StudentT": (lambda: D.StudentT([5.0, 9.0], [0.0, 3.0], [1.0, 0.5]), st.t([5.0, 9.0], [0.0, 3.0], [1.0, 0.5])),
    "Uniform": (lambda: D.Uniform([0.0, -2.0], [1.0, 4.0]), st.uniform([0.0, -2.0], [1.0, 6.0])),
    "Gamma": (lambda: D.Gamma([0.5, 4.0], [1.0, 2.0]), st.gamma([0.5, 4.0], scale=[1.0, 0.5])),
    "Exponential": (lambda: D.Exponential([1.0, 4.0]), st.expon(scale=[1.0, 0.25])),
    "Beta": (lambda: D.Beta([0.5, 3.0], [2.0, 1.5]), st.beta([0.5, 3.0], [2.0, 1.5])),
}


@pytest.mark.parametrize("family", sorted(SAMPLED))
def test_sample_moments_and_fit(family):
    make, ref = SAMPLED[family]
    n = 4000
    with df.Graph().as_default():
        df.set_random_seed(7)
        s = make().sample([n // 2, 2], seed=3)
        assert s.shape == (n // 2, 2, 2) and s.dtype == np.float32
        x = run(s).reshape(n, 2).astype(F64)
    mean, sd = ref.mean(), ref.std()
    assert np.all(np.abs(x.mean(0) - mean) < 5 * sd / np.sqrt(n)), (x.mean(0), mean)
    for j in range(2):  # the whole law, not only the mean
        frozen = ref.dist(*[np.asarray(a)[j] if np.ndim(a) else a for a in ref.args],
                                **{k: np.asarray(v)[j] for k, v in ref.kwds.items()})
        assert st.kstest(x[:, j], frozen.cdf).pvalue > 1e-4


def test_samples_are_seeded_and_fresh_per_run():
    def draw():
        with df.Graph().as_default():
            df.set_random_seed(1)
            s = D.Normal(0.0, 1.0).sample(5, seed=2)
            with df.Session() as sess:
                return sess.run(s), sess.run(s)
    a, b = draw(), draw()
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], a[1])


def test_sample_shape_tensor():
    with df.Graph().as_default():
        k = df.placeholder(df.int32, [2])
        s = D.Normal([0.0, 1.0, 2.0], 1.0).sample(k, seed=1)
        with df.Session() as sess:
            assert sess.run(s, {k: [4, 5]}).shape == (4, 5, 3)


# -- gradients

def _loc_scale_sample(cls):
    def f(loc, scale):
        return cls(loc, scale).sample(3, seed=5)
    return f


@pytest.mark.parametrize("build", [
    lambda a, b: D.Normal(a, b).log_prob(np.array([0.3, -0.4])),
    lambda a, b: D.StudentT(3.0 + a * a, a, b).log_prob(np.array([0.3, -0.4])),
    lambda a, b: D.Gamma(b, b * b).log_prob(np.array([0.3, 2.0])),
    lambda a, b: D.Beta(b, b + 1.0).log_prob(np.array([0.3, 0.8])),
    lambda a, b: D.Normal(a, b).sample(3, seed=5),
    lambda a, b: D.Laplace(a, b).sample(3, seed=5),
    lambda a, b: D.Uniform(a, a + b).sample(3, seed=5),
    lambda a, b: D.Normal(a, b).log_cdf(np.array([-0.3, 0.8])),
], ids=["normal_lp", "student_lp", "gamma_lp", "beta_lp", "normal_sample", "laplace_sample", "uniform_sample",
        "normal_logcdf"])
def test_gradients(build):
    check_grads(build, [np.array([0.2, -0.5]), np.array([0.8, 1.6])], rtol=1e-5)


MOMENT_GRADS = {  # (distribution of a per-draw parameter c, statistic of a draw, d E[statistic] / dc at c0)
    "Gamma": (lambda c: D.Gamma(c, 1.5), lambda x: x, 0.8, lambda c: 1 / 1.5),
    "Beta": (lambda c: D.Beta(c, 2.0), lambda x: x, 0.8, lambda c: 2.0 / (c + 2.0) ** 2),
    "StudentT": (lambda c: D.StudentT(c, 0.0, 1.0), lambda x: x * x, 6.0, lambda c: -2.0 / (c - 2.0) ** 2),
}


@pytest.mark.parametrize("family", sorted(MOMENT_GRADS))
def test_reparameterised_sample_gradients_are_unbiased(family):
    """Gamma, Beta and StudentT draws are differentiable in their shape parameters (implicit reparameterisation of
    the gamma draws): the mean of the per-draw gradients of a statistic is d E[statistic] / dc, within 5 standard
    errors."""
    make, stat, c0, truth = MOMENT_GRADS[family]
    n = 4000
    with df.Graph().as_default():
        c = df.constant(np.full(n, c0))
        x = make(c).sample(seed=11)
        g = run(df.gradients(df.reduce_sum(stat(x)), c)[0])
    assert np.all(np.isfinite(g))
    assert abs(g.mean() - truth(c0)) < 5 * g.std() / np.sqrt(n), (g.mean(), truth(c0))


# -- moments that are undefined, and argument checks

def test_allow_nan_stats():
    with df.Graph().as_default():
        got = run([D.StudentT([0.5, 1.5, 3.0], 0.0, 1.0).variance(), D.StudentT([0.5, 3.0], 0.0, 1.0).mean(),
                   D.Gamma([0.5, 2.0], 1.0).mode(), D.Beta([0.5, 1.0, 2.0], 2.0).mode()])
    np.testing.assert_array_equal(got[0], [np.nan, np.inf, 3.0])  # TF's values
    np.testing.assert_array_equal(got[1], [np.nan, 0.0])
    np.testing.assert_array_equal(got[2], [np.nan, 1.0])
    np.testing.assert_array_equal(got[3], [np.nan, np.nan, 0.5])


@pytest.mark.parametrize("build, message", [
    (lambda: D.Gamma(0.5, 1.0, allow_nan_stats=False).mode(), "mode not defined when any concentration <= 1"),
    (lambda: D.Exponential(2.0, allow_nan_stats=False).mode(), "mode not defined when any concentration <= 1"),
    (lambda: D.StudentT(0.5, 0.0, 1.0, allow_nan_stats=False).mean(),
     "mean not defined for components of df <= 1"),
    (lambda: D.StudentT([0.5, 3.0], 0.0, 1.0, allow_nan_stats=False).variance(),
     "variance not defined for components of df <= 1"),
    (lambda: D.Beta(0.5, 2.0, allow_nan_stats=False).mode(), "Mode undefined for concentration1 <= 1."),
    (lambda: D.Normal(0.0, -1.0, validate_args=True).mean(), ""),
    (lambda: D.Uniform(1.0, 0.0, validate_args=True).mean(), "uniform not defined when low >= high."),
    (lambda: D.Beta(2.0, 1.0, validate_args=True).log_prob(1.5), "sample must be less than `1`."),
    (lambda: D.Gamma(2.0, 1.0, validate_args=True).log_prob(-1.0), ""),
])
def test_errors_at_build_time_when_values_are_known(build, message):
    """TF checks known values when the graph is built: InvalidArgumentError, its message first."""
    with df.Graph().as_default():
        with pytest.raises(df.errors.InvalidArgumentError) as e:
            run(build())
    assert str(e.value).startswith((message + "\n" if message else "") + "Condition x ")


def test_errors_at_run_time():
    with df.Graph().as_default():
        p = df.placeholder(df.float32)
        mode = D.Gamma(p, 1.0, allow_nan_stats=False).mode()
        mean = D.Normal(0.0, p, validate_args=True).mean()
        with df.Session() as s:
            assert s.run(mode, {p: 3.0}) == 2.0
            with pytest.raises(df.errors.InvalidArgumentError, match="mode not defined when any concentration <= 1"):
                s.run(mode, {p: 0.5})
            with pytest.raises(df.errors.InvalidArgumentError, match=r"Condition x > 0 did not hold"):
                s.run(mean, {p: -1.0})


def test_dtype_mismatch_is_a_value_error():
    with df.Graph().as_default():
        with pytest.raises(ValueError, match=r"Normal/scale:0, type=<dtype: 'float32'>, must be of the same type "
                                             r"\(<dtype: 'float64'>\) as Normal/loc:0\."):
            D.Normal(np.float64(0.0), np.float32(1.0))


def test_methods_tf_lacks_raise_not_implemented():
    with df.Graph().as_default():
        with pytest.raises(NotImplementedError, match="^quantile is not implemented: Gamma$"):
            D.Gamma(1.0, 1.0).quantile(0.5)
        with pytest.raises(NotImplementedError, match="^mode is not implemented: Uniform$"):
            D.Uniform().mode()
        with pytest.raises(NotImplementedError, match="^covariance is not implemented: Normal$"):
            D.Normal(0.0, 1.0).covariance()


# -- names, shapes, properties (observed from TF1)

def test_names_and_properties_as_tf():
    with df.Graph().as_default():
        n = D.Normal(loc=[0.0, 1.0], scale=2.0)
        assert n.name == "Normal/" and D.Normal(0.0, 1.0).name == "Normal_1/"
        assert D.Normal(0.0, 1.0, name="foo").name == "foo/"
        assert n.batch_shape == (2,) and n.event_shape == () and n.dtype == np.float32
        assert sorted(n.parameters) == ["allow_nan_stats", "loc", "name", "scale", "validate_args"]
        assert n.reparameterization_type == D.FULLY_REPARAMETERIZED
        assert repr(D.NOT_REPARAMETERIZED) == "<Reparameterization Type: NOT_REPARAMETERIZED>"
        assert n.batch_shape_tensor().name == "Normal/batch_shape_tensor/batch_shape:0"
        assert n.event_shape_tensor().name == "Normal/event_shape_tensor/event_shape:0"
        s = n.sample(3, seed=1)
        assert (s.name, s.shape) == ("Normal/sample/Reshape:0", (3, 2))
        assert n.sample([4, 5], seed=1).name == "Normal/sample_1/Reshape:0"
        assert n.log_prob(0.5).name.startswith("Normal/log_prob/")
        assert n.quantile(0.3).name.startswith("Normal/quantile/reconstruct/")
        assert n.kl_divergence(n).name.startswith("Normal/kl_divergence/KullbackLeibler/kl_normal_normal/")
        assert n.cross_entropy(n).name.startswith("Normal/cross_entropy/cross_entropy/")
        e = D.Exponential([1.0, 2.0])
        assert sorted(e.parameters) == ["allow_nan_stats", "name", "rate", "validate_args"]
        assert e.concentration.name == "Exponential/concentration:0"
        assert sorted(D.Beta(1.0, 2.0).parameters) == ["allow_nan_stats", "concentration0", "concentration1",
                                                       "name", "validate_args"]
        c = n.copy(scale=3.0)
        assert type(c) is D.Normal and c.name == "Normal_2/"
        assert run(c.stddev()).tolist() == [3.0, 3.0]
