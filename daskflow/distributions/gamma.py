"""The gamma family of TF1's ``tf.distributions``: ``Gamma`` (shape ``concentration``, inverse scale ``rate``),
``Exponential`` (a Gamma of concentration 1) and ``Beta``, with their KL divergences. Gamma and Beta samples are
differentiable in the parameters through the implicit reparameterisation gradient of ``random_gamma``."""
import numpy as np

from .. import dtypes
from ..graph import control_dependencies, name_scope
from ..ops.checks import assert_less, assert_positive
from ..ops.generate import ones, ones_like, shape
from ..ops.math import (add, divide, greater, log, log1p, logical_and, multiply, negative, sqrt, square,
                        subtract)
from ..ops.random import random_uniform
from ..ops.random_more import random_gamma
from ..ops.special import betainc, digamma, igamma, lgamma, xlogy
from ..ops.registry import convert_to_tensor
from ..ops.state import constant
from .distribution import (FULLY_REPARAMETERIZED, Distribution, gen_new_seed, nan_or_assert, params,
                           same_float_dtype, with_checks)
from .kullback_leibler import RegisterKL

__all__ = ["Gamma", "Exponential", "Beta"]


def _lbeta2(a, b):
    return subtract(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))


class Gamma(Distribution):
    """The gamma distribution with shape ``concentration`` and inverse scale ``rate``: density
    ``rate^c x^(c - 1) exp(-rate x) / Gamma(c)`` on x > 0.

    Examples
    --------
    >>> import daskflow as df
    >>> d = df.distributions.Gamma(concentration=3.0, rate=2.0)
    >>> with df.Session() as s:
    ...     float(s.run(d.mean()))
    1.5
    """

    def __init__(self, concentration, rate, validate_args=False, allow_nan_stats=True, name="Gamma"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            checks = [assert_positive(concentration), assert_positive(rate)] if validate_args else []
            with control_dependencies(checks):
                self._concentration, self._rate = params([concentration, rate], ["concentration", "rate"])
            dtype = same_float_dtype([self._concentration, self._rate])
        super().__init__(dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._concentration, self._rate], scope)

    @property
    def concentration(self):
        return self._concentration

    @property
    def rate(self):
        return self._rate

    def _batch_shape(self):
        return self._broadcast_batch(self._concentration, self._rate)

    def _batch_shape_tensor(self):
        return self._broadcast_batch_tensor(self._concentration, self._rate)

    def _event_shape(self):
        return []

    def _event_shape_tensor(self):
        return constant(np.zeros(0, np.int32))

    def _ones(self):
        return ones_like(add(self._concentration, self._rate))

    def _sample_n(self, n, seed=None):
        return random_gamma([n], self._concentration, beta=self._rate, dtype=self.dtype, seed=seed)

    def _checked(self, x):
        return with_checks([assert_positive(x)] if self.validate_args else [], x)

    def _log_prob(self, x):
        x = self._checked(x)
        c, r = self._concentration, self._rate
        log_unnormalized = subtract(xlogy(c - 1.0, x), multiply(r, x))
        return subtract(log_unnormalized, subtract(lgamma(c), multiply(c, log(r))))

    def _cdf(self, x):
        x = self._checked(x)
        rx = multiply(self._rate, x)
        return igamma(self._concentration * ones_like(rx), rx * self._ones())

    def _entropy(self):
        c = self._concentration
        return add(subtract(c, log(self._rate)), add(lgamma(c), multiply(1.0 - c, digamma(c))))

    def _mean(self):
        return divide(self._concentration, self._rate)

    def _variance(self):
        return divide(self._concentration, square(self._rate))

    def _stddev(self):
        return divide(sqrt(self._concentration), self._rate)

    def _mode(self):
        mode = divide(subtract(self._concentration, 1.0), self._rate)
        return nan_or_assert(self, mode, greater(self._concentration * self._ones(), 1.0),
                             [("mode not defined when any concentration <= 1", self._concentration)])


class Exponential(Gamma):
    """The exponential distribution with ``rate``: density ``rate exp(-rate x)`` on x >= 0 (a Gamma of
    concentration 1, whose methods it shares, so that ``mode`` is undefined as TF1's)."""

    def __init__(self, rate, validate_args=False, allow_nan_stats=True, name="Exponential"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            rate = convert_to_tensor(rate, name="rate")
            super().__init__(ones(shape(rate), dtype=rate.dtype), rate, validate_args=validate_args,
                             allow_nan_stats=allow_nan_stats, name=scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}

    def _sample_n(self, n, seed=None):
        tiny = np.finfo(dtypes.as_dtype(self.dtype)).tiny
        u = random_uniform(self._n_shape(n), minval=tiny, maxval=1.0, dtype=self.dtype, seed=seed)
        return divide(negative(log(u)), self._rate)


@RegisterKL(Gamma, Gamma)
def _kl_gamma_gamma(g0, g1, name=None):
    """KL(Gamma(c0, r0) || Gamma(c1, r1)) =
    (c0 - c1) psi(c0) + lgamma(c1) - lgamma(c0) + c1 (log r0 - log r1) + c0 (r1 - r0) / r0."""
    with name_scope(name or "kl_gamma_gamma"):
        c0, r0, c1, r1 = g0.concentration, g0.rate, g1.concentration, g1.rate
        return ((c0 - c1) * digamma(c0) + lgamma(c1) - lgamma(c0) + c1 * (log(r0) - log(r1))
                + c0 * (r1 / r0 - 1.0))


class Beta(Distribution):
    """The beta distribution on (0, 1) with ``concentration1`` (alpha) and ``concentration0`` (beta): density
    ``x^(a - 1) (1 - x)^(b - 1) / B(a, b)``."""

    def __init__(self, concentration1=None, concentration0=None, validate_args=False, allow_nan_stats=True,
                 name="Beta"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            message = "Concentration parameter must be positive."
            checks = [assert_positive(c, message=message) for c in (concentration1, concentration0)] \
                if validate_args else []
            with control_dependencies(checks):
                self._concentration1, self._concentration0 = params(
                    [concentration1, concentration0], ["concentration1", "concentration0"])
            dtype = same_float_dtype([self._concentration1, self._concentration0])
            self._total_concentration = add(self._concentration1, self._concentration0, name="total_concentration")
        super().__init__(dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._concentration1, self._concentration0, self._total_concentration], scope)

    @property
    def concentration1(self):
        return self._concentration1

    @property
    def concentration0(self):
        return self._concentration0

    @property
    def total_concentration(self):
        return self._total_concentration

    def _batch_shape(self):
        return self._total_concentration.shape

    def _batch_shape_tensor(self):
        return shape(self._total_concentration)

    _event_shape = Gamma._event_shape
    _event_shape_tensor = Gamma._event_shape_tensor

    def _sample_n(self, n, seed=None):
        ones_b = ones_like(self._total_concentration)
        g1 = random_gamma([n], self._concentration1 * ones_b, dtype=self.dtype, seed=seed)
        g0 = random_gamma([n], self._concentration0 * ones_b, dtype=self.dtype, seed=gen_new_seed(seed, "beta"))
        return divide(g1, add(g1, g0))

    def _checked(self, x):
        if not self.validate_args:
            return x
        return with_checks([assert_positive(x, message="sample must be positive."),
                            assert_less(x, ones([], dtype=self.dtype), message="sample must be less than `1`.")], x)

    def _log_prob(self, x):
        x = self._checked(x)
        a, b = self._concentration1, self._concentration0
        return subtract(add(xlogy(a - 1.0, x), multiply(b - 1.0, log1p(negative(x)))), _lbeta2(a, b))

    def _cdf(self, x):
        x = self._checked(x)
        ones_x = ones_like(add(x, self._total_concentration))
        return betainc(self._concentration1 * ones_x, self._concentration0 * ones_x, x * ones_x)

    def _entropy(self):
        a, b, t = self._concentration1, self._concentration0, self._total_concentration
        return (_lbeta2(a, b) - (a - 1.0) * digamma(a) - (b - 1.0) * digamma(b) + (t - 2.0) * digamma(t))

    def _mean(self):
        return divide(self._concentration1, self._total_concentration)

    def _variance(self):
        m = self._mean()
        return divide(multiply(m, subtract(1.0, m)), add(1.0, self._total_concentration))

    def _mode(self):
        a, b = self._concentration1, self._concentration0
        mode = divide(subtract(a, 1.0), subtract(self._total_concentration, 2.0))
        ones_b = ones_like(self._total_concentration)
        return nan_or_assert(self, mode, logical_and(greater(a * ones_b, 1.0), greater(b * ones_b, 1.0)),
                             [("Mode undefined for concentration1 <= 1.", a),
                              ("Mode undefined for concentration0 <= 1.", b)])


@RegisterKL(Beta, Beta)
def _kl_beta_beta(d1, d2, name=None):
    """KL(Beta(a1, b1) || Beta(a2, b2)) = log B(a2, b2) - log B(a1, b1) + (a1 - a2) psi(a1) + (b1 - b2) psi(b1)
    + (a2 - a1 + b2 - b1) psi(a1 + b1)."""
    with name_scope(name or "kl_beta_beta"):
        a1, b1, t1 = d1.concentration1, d1.concentration0, d1.total_concentration
        a2, b2, t2 = d2.concentration1, d2.concentration0, d2.total_concentration
        return (_lbeta2(a2, b2) - _lbeta2(a1, b1) + (a1 - a2) * digamma(a1) + (b1 - b2) * digamma(b1)
                + (t2 - t1) * digamma(t1))

