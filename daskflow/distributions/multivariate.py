"""The distributions of TF1's ``tf.distributions`` over vectors (event shape ``[K]``): ``Dirichlet``,
``Multinomial`` and ``DirichletMultinomial``, with the Dirichlet-Dirichlet KL divergence. Dirichlet samples are
differentiable in the concentration (implicit reparameterisation of the gamma draws)."""
from .. import dtypes
from ..graph import control_dependencies, name_scope
from ..ops.array import concat, expand_dims, reshape, transpose
from ..ops.checks import assert_near, assert_non_negative, assert_positive
from ..ops.generate import ones, ones_like, range as range_, zeros_like
from ..ops.generate import shape as shape_of
from ..ops.indexing import one_hot
from ..ops.linalg_structure import matrix_diag_part, matrix_set_diag
from ..ops.math import (add, assert_equal, cast, divide, greater, less, log, multiply, negative, round,
                        subtract)
from ..ops.nn import log_softmax
from ..ops.random_more import multinomial, random_gamma
from ..ops.reduce import reduce_all, reduce_max, reduce_sum
from ..ops.special import digamma, lbeta, lgamma, xlogy
from ..ops.state import identity
from .discrete import logits_and_probs
from .distribution import (FULLY_REPARAMETERIZED, NOT_REPARAMETERIZED, Distribution, gen_new_seed,
                           nan_or_assert, params, with_checks)
from .kullback_leibler import RegisterKL

__all__ = ["Dirichlet", "Multinomial", "DirichletMultinomial"]


class _VectorEvent:
    """Batch and event shapes of a distribution whose parameter ``self._param`` holds the classes on its last
    axis, broadcast with the batch-shaped ``self._batch_param`` (or None)."""

    def _k_static(self):
        return self._param.shape[-1] if self._param.shape.ndims is not None else None

    def _batch_shape(self):
        s = self._param.shape
        s = s[:-1] if s.ndims is not None else s
        return s if self._batch_param is None else self._broadcast_batch(self._batch_param, _Shaped(s))

    def _batch_shape_tensor(self):
        s = shape_of(self._param)[:-1]
        if self._batch_param is None:
            return s
        from ..ops.generate import broadcast_dynamic_shape
        return broadcast_dynamic_shape(shape_of(self._batch_param), s)

    def _event_shape(self):
        return [self._k_static()]

    def _event_shape_tensor(self):
        return shape_of(self._param)[-1:]


class _Shaped:
    def __init__(self, shape):
        self.shape = shape


def _covariance_from(p, scale):
    """``scale[..., None, None] * (diag(p) - p p^T)`` over the last axis of ``p``."""
    outer = multiply(expand_dims(p, -1), expand_dims(p, -2))
    cov = matrix_set_diag(negative(outer), multiply(p, subtract(1.0, p)))
    return multiply(expand_dims(expand_dims(scale, -1), -1), cov)


def _log_combinations(n, counts):
    """``log(n! / prod(counts!))`` over the last axis of ``counts``."""
    return subtract(lgamma(add(n, 1.0)), reduce_sum(lgamma(add(counts, 1.0)), -1))


def _check_counts(dist, counts):
    """``counts``, checked (with ``validate_args``) to be non-negative integers summing to ``total_count``."""
    if not dist.validate_args:
        return counts
    checks = [assert_non_negative(counts, message=f"'{counts}' must be non-negative."),
              assert_equal(counts, round(counts), message=f"'{counts}' cannot contain fractional components.")]
    with control_dependencies(checks):
        return with_checks([assert_equal(dist.total_count, reduce_sum(counts, -1),
                                         message="counts must sum to `self.total_count`")], counts)


def _draw_counts(logits, total_count, m, seed, dtype):
    """``m`` count vectors per row of ``logits`` ([R, K]), each the class counts of ``total_count[r]`` categorical
    draws: a [R, m, K] tensor. Every row draws ``max(total_count)`` classes per vector and keeps the first
    ``total_count[r]``."""
    k = logits.shape[-1]
    n_max = cast(reduce_max(total_count), dtypes.int32)
    draws = multinomial(logits, m * n_max, seed=seed, output_dtype=dtypes.int32)
    draws = reshape(draws, concat([shape_of(draws)[:1], [m, -1]], 0) if not isinstance(m, int) else [-1, m, n_max])
    keep = cast(less(cast(range_(n_max), dtype), expand_dims(total_count, -1)), dtype)  # [R, n_max]
    onehot = one_hot(draws, k, dtype=dtype)  # [R, m, n_max, K]
    return reduce_sum(multiply(onehot, expand_dims(expand_dims(keep, 1), -1)), 2)


class Dirichlet(_VectorEvent, Distribution):
    """The Dirichlet distribution on the simplex, with ``concentration`` (alpha, last axis the K classes):
    density ``prod(x_j^(alpha_j - 1)) / B(alpha)``."""

    def __init__(self, concentration, validate_args=False, allow_nan_stats=True, name="Dirichlet"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            checks = [assert_positive(concentration, message="Concentration parameter must be positive.")] \
                if validate_args else []
            with control_dependencies(checks):
                (self._concentration,) = params([concentration], ["concentration"])
            if self._concentration.dtype.kind != "f":
                raise ValueError(f"Expected floating point type, got <dtype: '{self._concentration.dtype.name}'>.")
            if self._concentration.shape.ndims == 0:
                raise ValueError("Concentration parameter must have >=1 dimensions.")
            self._total_concentration = reduce_sum(self._concentration, -1, name="total_concentration")
        self._param, self._batch_param = self._concentration, None
        super().__init__(self._concentration.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats,
                         parameters, [self._concentration, self._total_concentration], scope)

    @property
    def concentration(self):
        return self._concentration

    @property
    def total_concentration(self):
        return self._total_concentration

    def _sample_n(self, n, seed=None):
        g = random_gamma([n], self._concentration, dtype=self.dtype, seed=seed)
        return divide(g, reduce_sum(g, -1, keepdims=True))

    def _log_prob(self, x):
        if self.validate_args:
            x = with_checks([assert_positive(x, message="samples must be positive."),
                             assert_near(ones([], dtype=self.dtype), reduce_sum(x, -1),
                                         message="sample last-dimension must sum to `1`")], x)
        return subtract(reduce_sum(xlogy(self._concentration - 1.0, x), -1), lbeta(self._concentration))

    def _k(self):
        k = self._k_static()
        return k if k is not None else cast(shape_of(self._concentration)[-1], self.dtype)

    def _entropy(self):
        c, t, k = self._concentration, self._total_concentration, self._k()
        return (lbeta(c) + (t - k) * digamma(t) - reduce_sum((c - 1.0) * digamma(c), -1))

    def _mean(self):
        return divide(self._concentration, expand_dims(self._total_concentration, -1))

    def _variance(self):
        m = self._mean()
        return divide(multiply(m, subtract(1.0, m)), expand_dims(add(1.0, self._total_concentration), -1))

    def _covariance(self):
        return _covariance_from(self._mean(), divide(1.0, add(1.0, self._total_concentration)))

    def _mode(self):
        c = self._concentration
        mode = divide(c - 1.0, expand_dims(self._total_concentration - self._k(), -1))
        return nan_or_assert(self, mode, reduce_all(greater(c, 1.0), -1, keepdims=True),
                             [("Mode undefined when any concentration <= 1", c)])


@RegisterKL(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(d1, d2, name=None):
    """KL(Dir(a) || Dir(b)) = lgamma(A) - lgamma(B) - sum(lgamma(a) - lgamma(b)) + sum((a - b)(psi(a) - psi(A)))
    with A, B the total concentrations."""
    with name_scope(name or "kl_dirichlet_dirichlet"):
        a, b = d1.concentration, d2.concentration
        ta, tb = d1.total_concentration, d2.total_concentration
        cross = reduce_sum((a - b) * (digamma(a) - expand_dims(digamma(ta), -1)), -1)
        return lgamma(ta) - lgamma(tb) - reduce_sum(lgamma(a) - lgamma(b), -1) + cross


class Multinomial(_VectorEvent, Distribution):
    """The multinomial distribution: the class counts of ``total_count`` independent categorical draws with
    ``logits`` or ``probs`` (last axis the K classes); events are float vectors of counts."""

    def __init__(self, total_count, logits=None, probs=None, validate_args=False, allow_nan_stats=True,
                 name="Multinomial"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            checks = [assert_non_negative(total_count)] if validate_args else []
            with control_dependencies(checks):
                (self._total_count,) = params([total_count], ["total_count"], dtype=_float_of(logits, probs))
            self._logits, self._probs = logits_and_probs(logits, probs, True, validate_args,
                                                         dtype=self._total_count.dtype)
            self._mean_val = multiply(expand_dims(self._total_count, -1), self._probs, name="mean")
        self._param, self._batch_param = self._probs, self._total_count
        super().__init__(self._probs.dtype, NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._total_count, self._logits, self._probs], scope)

    @property
    def total_count(self):
        return self._total_count

    @property
    def logits(self):
        return self._logits

    @property
    def probs(self):
        return self._probs

    def _flat_params(self, like):
        """logits broadcast to ``like``'s shape + [K] and total_count to ``like``'s shape, flattened to rows."""
        k = self._logits.shape[-1]
        logits = add(self._logits, expand_dims(zeros_like(like), -1))
        counts = add(self._total_count, zeros_like(like))
        return reshape(logits, [-1, k]), reshape(counts, [-1])

    def _sample_n(self, n, seed=None):
        batch_zero = zeros_like(add(self._total_count, self._logits[..., 0]))
        logits, counts = self._flat_params(batch_zero)
        draws = _draw_counts(logits, counts, n, seed, self.dtype)  # [R, n, K]
        return reshape(transpose(draws, [1, 0, 2]), self._n_shape(n, [self._logits.shape[-1]]))

    def _log_prob(self, counts):
        counts = _check_counts(self, counts)
        return add(reduce_sum(multiply(counts, log_softmax(self._logits)), -1),
                   _log_combinations(self._total_count, counts))

    def _mean(self):
        return identity(self._mean_val)

    def _variance(self):
        return multiply(self._mean_val, subtract(1.0, self._probs))

    def _covariance(self):
        return _covariance_from(self._probs * ones_like(self._mean_val), self._total_count)


def _float_of(*values):
    for v in values:
        if v is not None and hasattr(v, "dtype") and dtypes.as_dtype(v.dtype).kind == "f":
            return dtypes.as_dtype(v.dtype)
    return dtypes.float32


class DirichletMultinomial(_VectorEvent, Distribution):
    """The Dirichlet-multinomial compound distribution: class counts of ``total_count`` draws with class
    probabilities drawn from ``Dirichlet(concentration)``; events are float vectors of counts."""

    def __init__(self, total_count, concentration, validate_args=False, allow_nan_stats=True,
                 name="DirichletMultinomial"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            checks = [assert_non_negative(total_count),
                      assert_positive(concentration, message="Concentration parameter must be positive.")] \
                if validate_args else []
            with control_dependencies(checks):
                self._total_count, self._concentration = params(
                    [total_count, concentration], ["total_count", "concentration"],
                    dtype=_float_of(concentration, total_count))
            self._total_concentration = reduce_sum(self._concentration, -1, name="total_concentration")
        self._param, self._batch_param = self._concentration, self._total_count
        super().__init__(self._concentration.dtype, NOT_REPARAMETERIZED, validate_args, allow_nan_stats,
                         parameters, [self._total_count, self._concentration], scope)

    @property
    def total_count(self):
        return self._total_count

    @property
    def concentration(self):
        return self._concentration

    @property
    def total_concentration(self):
        return self._total_concentration

    def _sample_n(self, n, seed=None):
        k = self._concentration.shape[-1]
        batch_one = ones_like(add(self._total_count, self._concentration[..., 0]))
        g = random_gamma([n], multiply(self._concentration, expand_dims(batch_one, -1)), dtype=self.dtype,
                         seed=seed)  # [n] + batch + [K]
        logits = reshape(log(g), [-1, k])
        counts = reshape(add(self._total_count, zeros_like(g[..., 0])), [-1])
        draws = _draw_counts(logits, counts, 1, gen_new_seed(seed, "dirichlet_multinomial"), self.dtype)
        return reshape(draws, self._n_shape(n, [k]))

    def _log_prob(self, counts):
        counts = _check_counts(self, counts)
        c = self._concentration
        return add(subtract(lbeta(add(c, counts)), lbeta(c)), _log_combinations(self._total_count, counts))

    def _p(self):
        return divide(self._concentration, expand_dims(self._total_concentration, -1))

    def _mean(self):
        return multiply(expand_dims(self._total_count, -1), self._p())

    def _variance(self):
        return matrix_diag_part(self._covariance())

    def _scale(self):
        n, a0 = self._total_count, self._total_concentration
        return divide(multiply(n, add(n, a0)), add(1.0, a0))

    def _covariance(self):
        p = self._p()
        scale = self._scale()
        return _covariance_from(p * expand_dims(ones_like(scale), -1), scale)

