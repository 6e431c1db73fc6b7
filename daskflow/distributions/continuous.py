"""Location-scale distributions of TF1's ``tf.distributions``: ``Normal``, ``Laplace``, ``StudentT`` and
``Uniform``, with the Normal-Normal KL divergence. Samples are reparameterised (differentiable in the
parameters)."""
import math

import numpy as np

from ..graph import control_dependencies, name_scope
from ..ops.checks import assert_less, assert_positive
from ..ops.generate import ones_like, zeros_like
from ..ops.math import (abs, add, divide, erfc, exp, expm1, greater, greater_equal, is_nan, less, log, log1p,
                        logical_or, multiply, negative, rsqrt, sign, square, subtract, where_v2)
from ..ops.random import random_normal, random_uniform
from ..ops.random_more import random_gamma
from ..ops.special import betainc, digamma, lgamma, ndtri
from ..ops.state import constant
from .distribution import (FULLY_REPARAMETERIZED, Distribution, gen_new_seed, nan_or_assert, params,
                           same_float_dtype)
from .kullback_leibler import RegisterKL

__all__ = ["Normal", "Laplace", "StudentT", "Uniform"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


# -- the standard normal's distribution function, stable in both tails

def ndtr(z):
    """``P[Z <= z]`` for a standard normal Z (``erfc`` keeps the lower tail's relative precision)."""
    with name_scope("ndtr"):
        return multiply(0.5, erfc(multiply(-1 / math.sqrt(2), z)))


def log_ndtr(z):
    """``log P[Z <= z]``: ``log(ndtr)`` in the middle, ``-ndtr(-z)`` far in the upper tail and the asymptotic
    series of Mills' ratio far in the lower tail (where ``ndtr`` underflows). Each branch sees only inputs of its
    own range, so gradients stay finite."""
    with name_scope("log_ndtr"):
        lower, upper = (-20.0, 8.0) if z.dtype == np.float64 else (-10.0, 5.0)
        mid = log(ndtr(where_v2(less(z, lower), lower, where_v2(greater(z, upper), upper, z))))
        upper_tail = negative(ndtr(negative(where_v2(greater(z, upper), z, upper))))
        zl = where_v2(less(z, lower), z, lower)
        inv = 1.0 / square(zl)
        series = 1.0 + inv * (-1.0 + inv * (3.0 + inv * (-15.0 + inv * 105.0)))
        lower_tail = -0.5 * square(zl) - log(negative(zl)) - _HALF_LOG_2PI + log(series)
        return where_v2(greater(z, upper), upper_tail, where_v2(less(z, lower), lower_tail, mid))


# -- Normal

class Normal(Distribution):
    """The normal distribution with mean ``loc`` and standard deviation ``scale`` (they broadcast into the batch
    shape).

    Examples
    --------
    >>> import daskflow as df
    >>> d = df.distributions.Normal(loc=0.0, scale=[1.0, 2.0])
    >>> with df.Session() as s:
    ...     s.run(d.cdf(0.0)).tolist()
    [0.5, 0.5]
    """

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Normal"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            with control_dependencies([assert_positive(scale)] if validate_args else []):
                self._loc, self._scale = params([loc, scale], ["loc", "scale"])
            dtype = same_float_dtype([self._loc, self._scale])
        super().__init__(dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._loc, self._scale], scope)

    @property
    def loc(self):
        return self._loc

    @property
    def scale(self):
        return self._scale

    def _batch_shape(self):
        return self._broadcast_batch(self._loc, self._scale)

    def _batch_shape_tensor(self):
        return self._broadcast_batch_tensor(self._loc, self._scale)

    def _event_shape(self):
        return []

    def _event_shape_tensor(self):
        return constant(np.zeros(0, np.int32))

    def _sample_n(self, n, seed=None):
        z = random_normal(self._n_shape(n), dtype=self.dtype, seed=seed)
        return add(multiply(z, self._scale), self._loc)

    def _z(self, x):
        with name_scope("standardize"):
            return divide(subtract(x, self._loc), self._scale)

    def _log_prob(self, x):
        log_unnormalized = multiply(-0.5, square(self._z(x)))
        return subtract(log_unnormalized, add(_HALF_LOG_2PI, log(self._scale)))

    def _cdf(self, x):
        return ndtr(self._z(x))

    def _log_cdf(self, x):
        return log_ndtr(self._z(x))

    def _survival_function(self, x):
        return ndtr(negative(self._z(x)))

    def _log_survival_function(self, x):
        return log_ndtr(negative(self._z(x)))

    def _quantile(self, p):
        with name_scope("reconstruct"):
            return add(multiply(self._scale, ndtri(p)), self._loc)

    def _entropy(self):
        return add(0.5 * math.log(2 * math.pi * math.e), log(multiply(self._scale, ones_like(self._loc))))

    def _mean(self):
        return multiply(self._loc, ones_like(self._scale))

    def _stddev(self):
        return multiply(self._scale, ones_like(self._loc))

    def _variance(self):
        return square(self._stddev())

    _mode = _mean


@RegisterKL(Normal, Normal)
def _kl_normal_normal(n_a, n_b, name=None):
    """KL(N(m_a, s_a) || N(m_b, s_b)) = (m_a - m_b)^2 / (2 s_b^2) + (r - 1 - log r) / 2 with r = s_a^2 / s_b^2."""
    with name_scope(name or "kl_normal_normal"):
        var_b = square(n_b.scale)
        ratio = divide(square(n_a.scale), var_b)
        return add(divide(square(subtract(n_a.loc, n_b.loc)), multiply(2.0, var_b)),
                   multiply(0.5, subtract(subtract(ratio, 1.0), log(ratio))))


# -- Laplace

def _log_cdf_laplace(z):
    """``log P[X <= z]`` for a standard Laplace X, accurate in both tails."""
    lower = math.log(0.5) + z
    upper = log1p(multiply(-0.5, exp(negative(abs(z)))))
    return where_v2(less(z, 0.0), lower, upper)


class Laplace(Distribution):
    """The Laplace distribution with location ``loc`` and scale ``scale``: density
    ``exp(-|x - loc| / scale) / (2 scale)``."""

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Laplace"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            with control_dependencies([assert_positive(scale)] if validate_args else []):
                self._loc, self._scale = params([loc, scale], ["loc", "scale"])
            dtype = same_float_dtype([self._loc, self._scale])
        super().__init__(dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._loc, self._scale], scope)

    loc = Normal.loc
    scale = Normal.scale
    _batch_shape = Normal._batch_shape
    _batch_shape_tensor = Normal._batch_shape_tensor
    _event_shape = Normal._event_shape
    _event_shape_tensor = Normal._event_shape_tensor
    _z = Normal._z

    def _sample_n(self, n, seed=None):
        lo = np.nextafter(np.array(-1, self.dtype), np.array(0, self.dtype))
        u = random_uniform(self._n_shape(n), minval=lo, maxval=1.0, dtype=self.dtype, seed=seed)
        return subtract(self._loc, multiply(multiply(self._scale, sign(u)), log1p(negative(abs(u)))))

    def _log_prob(self, x):
        return subtract(negative(abs(self._z(x))), log(multiply(2.0, self._scale)))

    def _cdf(self, x):
        z = self._z(x)
        return add(0.5, multiply(multiply(-0.5, sign(z)), expm1(negative(abs(z)))))

    def _log_cdf(self, x):
        return _log_cdf_laplace(self._z(x))

    def _log_survival_function(self, x):
        return _log_cdf_laplace(negative(self._z(x)))

    def _entropy(self):
        return add(math.log(2.0) + 1.0, log(multiply(self._scale, ones_like(self._loc))))

    def _mean(self):
        return add(self._loc, zeros_like(self._scale))

    def _stddev(self):
        return multiply(math.sqrt(2.0) * self._scale, ones_like(self._loc))

    def _median(self):
        return self._mean()

    _mode = _mean


# -- StudentT

class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location ``loc`` and scale ``scale``.

    The mean is undefined for ``df <= 1`` and the variance for ``df <= 1`` (infinite for ``1 < df <= 2``): NaN
    with ``allow_nan_stats``, else the run fails."""

    def __init__(self, df, loc, scale, validate_args=False, allow_nan_stats=True, name="StudentT"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            with control_dependencies([assert_positive(df)] if validate_args else []):
                self._df, self._loc, self._scale = params([df, loc, scale], ["df", "loc", "scale"])
            dtype = same_float_dtype([self._df, self._loc, self._scale])
        super().__init__(dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._df, self._loc, self._scale], scope)

    @property
    def df(self):
        return self._df

    loc = Normal.loc
    scale = Normal.scale
    _event_shape = Normal._event_shape
    _event_shape_tensor = Normal._event_shape_tensor
    _z = Normal._z

    def _batch_shape(self):
        return self._broadcast_batch(self._df, self._loc, self._scale)

    def _batch_shape_tensor(self):
        return self._broadcast_batch_tensor(self._df, self._loc, self._scale)

    def _ones(self):
        return ones_like(add(add(self._df, self._loc), self._scale))

    def _sample_n(self, n, seed=None):
        shape = self._n_shape(n)
        z = random_normal(shape, dtype=self.dtype, seed=seed)
        df = multiply(self._df, self._ones())
        g = random_gamma([n], multiply(0.5, df), beta=0.5, dtype=self.dtype,
                         seed=gen_new_seed(seed, "student_t"))
        return add(multiply(self._scale, multiply(z, rsqrt(divide(g, df)))), self._loc)

    def _log_prob(self, x):
        y = self._z(x)
        df = self._df
        log_unnormalized = multiply(-0.5 * (df + 1.0), log1p(divide(square(y), df)))
        log_norm = (log(abs(self._scale)) + 0.5 * log(df) + _HALF_LOG_2PI - 0.5 * math.log(2.0)
                    + lgamma(0.5 * df) - lgamma(0.5 * (df + 1.0)))
        return subtract(log_unnormalized, log_norm)

    def _cdf(self, x):
        y = self._z(x)
        x_t = divide(self._df, add(square(y), self._df))
        lower = multiply(0.5, betainc(0.5 * self._df * self._ones(), 0.5 * self._ones(), x_t))
        return where_v2(less(y, 0.0), lower, subtract(1.0, lower))

    def _entropy(self):
        df = multiply(self._df, self._ones())
        half = 0.5 * df
        lbeta_half = lgamma(half) + 0.5 * math.log(math.pi) - lgamma(half + 0.5)
        return ((df + 1.0) * 0.5 * (digamma(half + 0.5) - digamma(half)) + 0.5 * log(df) + lbeta_half
                + log(abs(self._scale)))

    def _mean(self):
        mean = multiply(self._loc, self._ones())
        return nan_or_assert(self, mean, greater(multiply(self._df, self._ones()), 1.0),
                             [("mean not defined for components of df <= 1", self._df)])

    def _variance(self):
        df = multiply(self._df, self._ones())
        big = greater(df, 2.0)
        denom = where_v2(big, df - 2.0, 1.0)
        var = where_v2(big, square(self._scale) * self._ones() * df / denom,
                       constant(np.inf, dtype=self.dtype))
        return nan_or_assert(self, var, greater(df, 1.0),
                             [("variance not defined for components of df <= 1", self._df)])

    def _mode(self):
        return multiply(self._loc, self._ones())


# -- Uniform

class Uniform(Distribution):
    """The uniform distribution on ``[low, high)``."""

    def __init__(self, low=0.0, high=1.0, validate_args=False, allow_nan_stats=True, name="Uniform"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            checks = [assert_less(low, high, message="uniform not defined when low >= high.")] \
                if validate_args else []
            with control_dependencies(checks):
                self._low, self._high = params([low, high], ["low", "high"])
            dtype = same_float_dtype([self._low, self._high])
        super().__init__(dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._low, self._high], scope)

    @property
    def low(self):
        return self._low

    @property
    def high(self):
        return self._high

    def range(self, name="range"):
        """``high - low``."""
        with self._name_scope(name):
            return self._range()

    def _range(self):
        return subtract(self._high, self._low)

    def _batch_shape(self):
        return self._broadcast_batch(self._low, self._high)

    def _batch_shape_tensor(self):
        return self._broadcast_batch_tensor(self._low, self._high)

    _event_shape = Normal._event_shape
    _event_shape_tensor = Normal._event_shape_tensor

    def _sample_n(self, n, seed=None):
        u = random_uniform(self._n_shape(n), dtype=self.dtype, seed=seed)
        return add(self._low, multiply(self._range(), u))

    def _prob(self, x):
        ones = ones_like(add(x, self._range()))
        outside = logical_or(less(x, self._low), greater_equal(x, self._high))
        density = where_v2(outside, zeros_like(ones), divide(ones, self._range()))
        return where_v2(is_nan(x), x * ones, density)

    def _cdf(self, x):
        ones = ones_like(add(x, self._range()))
        inside = divide(subtract(x, self._low), self._range())
        return where_v2(less(x, self._low), zeros_like(ones),
                        where_v2(greater_equal(x, self._high), ones, inside * ones))

    def _entropy(self):
        return log(self._range())

    def _mean(self):
        return multiply(0.5, add(self._low, self._high))

    def _variance(self):
        return divide(square(self._range()), 12.0)

    def _stddev(self):
        return divide(self._range(), math.sqrt(12.0))
