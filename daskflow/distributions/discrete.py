"""The discrete distributions of TF1's ``tf.distributions`` over one variable: ``Bernoulli`` and ``Categorical``,
each given by ``logits`` or ``probs`` (exactly one), with their KL divergences. Samples are not
reparameterised."""
import numpy as np

from .. import dtypes
from ..graph import control_dependencies, name_scope
from ..ops.array import expand_dims, reshape, transpose
from ..ops.checks import assert_less_equal, assert_near, assert_non_negative
from ..ops.generate import range as range_
from ..ops.generate import shape as shape_of
from ..ops.indexing import one_hot
from ..ops.math import (assert_equal, cast, greater, greater_equal, less, log, log1p, logical_and, multiply,
                        negative, sigmoid, softplus, subtract, where_v2)
from ..ops.nn import log_softmax, softmax
from ..ops.random import random_uniform
from ..ops.random_more import multinomial
from ..ops.reduce import argmax, reduce_sum
from ..ops.registry import convert_to_tensor
from ..ops.state import constant, identity
from .distribution import NOT_REPARAMETERIZED, Distribution, with_checks
from .kullback_leibler import RegisterKL

__all__ = ["Bernoulli", "Categorical"]


def logits_and_probs(logits, probs, multidimensional, validate_args, dtype=None):
    """The (logits, probs) pair from whichever one is given, named "logits" and "probs" in the current scope.
    ``multidimensional``: the last axis holds the classes (softmax), else a Bernoulli probability (sigmoid)."""
    if (logits is None) == (probs is None):
        raise ValueError("Must pass probs or logits, but not both.")
    if probs is None:
        logits = identity(convert_to_tensor(logits, dtype=dtype), name="logits")
        probs = (softmax if multidimensional else sigmoid)(logits, name="probs")
        return logits, probs
    probs = convert_to_tensor(probs, dtype=dtype)
    checks = []
    if validate_args:
        with name_scope("validate_probs"):
            one = constant(1.0, dtype=probs.dtype)
            checks.append(assert_non_negative(probs, message="probs has components less than 0."))
            if multidimensional:
                checks.append(assert_near(reduce_sum(probs, -1), one, message="probs does not sum to 1."))
            else:
                checks.append(assert_less_equal(probs, one, message="probs has components greater than 1."))
    with control_dependencies(checks):
        probs = identity(probs, name="probs")
    with name_scope("logits"):
        logits = log(probs) if multidimensional else subtract(log(probs), log1p(negative(probs)))
    return logits, probs


def check_integer(x, validate_args, target=np.int32):
    """``x``, checked (with ``validate_args``) to hold values of ``target``'s integers, as TF's message."""
    if not validate_args or x.dtype.kind in "iu":
        return x
    message = f"Elements must be {np.dtype(target).name}-equivalent."
    return with_checks([assert_equal(x, cast(cast(x, target), x.dtype), message=message)], x)


class Bernoulli(Distribution):
    """The Bernoulli distribution: 1 with probability ``probs`` (= ``sigmoid(logits)``), else 0; samples have
    ``dtype`` (int32 by default)."""

    def __init__(self, logits=None, probs=None, dtype=dtypes.int32, validate_args=False, allow_nan_stats=True,
                 name="Bernoulli"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            self._logits, self._probs = logits_and_probs(logits, probs, False, validate_args)
        super().__init__(dtypes.as_dtype(dtype), NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._logits, self._probs], scope)

    @property
    def logits(self):
        return self._logits

    @property
    def probs(self):
        return self._probs

    def _batch_shape(self):
        return self._logits.shape

    def _batch_shape_tensor(self):
        return shape_of(self._logits)

    def _event_shape(self):
        return []

    def _event_shape_tensor(self):
        return constant(np.zeros(0, np.int32))

    def _sample_n(self, n, seed=None):
        u = random_uniform(self._n_shape(n), dtype=self._probs.dtype, seed=seed)
        return cast(less(u, self._probs), self.dtype)

    def _log_prob(self, event):
        event = cast(check_integer(event, self.validate_args), self._logits.dtype)
        return subtract(multiply(event, self._logits), softplus(self._logits))

    def _entropy(self):
        return subtract(multiply(negative(self._logits), subtract(sigmoid(self._logits), 1.0)),
                        negative(softplus(negative(self._logits))))

    def _mean(self):
        return identity(self._probs)

    def _variance(self):
        return multiply(self._probs, subtract(1.0, self._probs))

    def _mode(self):
        return cast(greater(self._probs, 0.5), self.dtype)


@RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(a, b, name=None):
    """KL(Ber(p_a) || Ber(p_b)) from the logits: p_a (log p_a - log p_b) + (1 - p_a) (log q_a - log q_b)."""
    with name_scope(name or "kl_bernoulli_bernoulli"):
        la, lb = a.logits, b.logits
        delta_1 = subtract(softplus(negative(lb)), softplus(negative(la)))  # log p_a - log p_b
        delta_0 = subtract(softplus(lb), softplus(la))  # log q_a - log q_b
        return sigmoid(la) * delta_1 + sigmoid(negative(la)) * delta_0


class Categorical(Distribution):
    """The categorical distribution over classes ``0 .. K-1`` given by the last axis of ``logits`` or ``probs``;
    samples have ``dtype`` (int32 by default)."""

    def __init__(self, logits=None, probs=None, dtype=dtypes.int32, validate_args=False, allow_nan_stats=True,
                 name="Categorical"):
        parameters = dict(locals())
        with name_scope(name) as scope:
            self._logits, self._probs = logits_and_probs(logits, probs, True, validate_args)
            if self._logits.shape.ndims == 0:
                raise ValueError("Parameter logits must have rank at least 1")
            self._event_size = shape_of(self._logits)[-1] if self._logits.shape.ndims is None \
                else identity(_last_dim(self._logits), name="event_size")
        super().__init__(dtypes.as_dtype(dtype), NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._logits, self._probs], scope)

    @property
    def logits(self):
        return self._logits

    @property
    def probs(self):
        return self._probs

    @property
    def event_size(self):
        """The number of classes K (an int32 scalar tensor)."""
        return self._event_size

    def _batch_shape(self):
        s = self._logits.shape
        return s[:-1] if s.ndims is not None else s

    def _batch_shape_tensor(self):
        return shape_of(self._logits)[:-1]

    def _event_shape(self):
        return []

    def _event_shape_tensor(self):
        return constant(np.zeros(0, np.int32))

    def _k(self):
        k = self._logits.shape[-1] if self._logits.shape.ndims is not None else None
        return k if k is not None else self._event_size

    def _sample_n(self, n, seed=None):
        logits_2d = reshape(self._logits, [-1, self._k()])
        sample_dtype = dtypes.int64 if dtypes.as_dtype(self.dtype).itemsize > 4 else dtypes.int32
        draws = multinomial(logits_2d, n, seed=seed, output_dtype=sample_dtype)
        return cast(reshape(transpose(draws), self._n_shape(n)), self.dtype)

    def _onehot(self, k):
        k = check_integer(k, self.validate_args)
        return one_hot(cast(k, dtypes.int32), self._k(), dtype=self._logits.dtype)

    def _log_prob(self, k):
        lp = reduce_sum(multiply(self._onehot(k), log_softmax(self._logits)), -1)
        valid = logical_and(greater_equal(k, 0), less(k, cast(self._k(), k.dtype)))
        return where_v2(valid, lp, constant(np.nan, dtype=lp.dtype))

    def _cdf(self, k):
        """``sum(probs[j] for j < k)``, the values TF1's ``Categorical.cdf`` gives."""
        classes = cast(range_(self._k()), dtypes.float64)
        below = cast(less(classes, expand_dims(cast(k, dtypes.float64), -1)), self._probs.dtype)
        return reduce_sum(multiply(below, self._probs), -1)

    def _entropy(self):
        return negative(reduce_sum(multiply(softmax(self._logits), log_softmax(self._logits)), -1))

    def _mode(self):
        return cast(argmax(self._logits, axis=-1), self.dtype)


def _last_dim(t):
    return constant(np.int32(t.shape[-1])) if t.shape[-1] is not None else shape_of(t)[-1]


@RegisterKL(Categorical, Categorical)
def _kl_categorical_categorical(a, b, name=None):
    """KL(Cat(p_a) || Cat(p_b)) = sum(p_a (log p_a - log p_b)) over the classes."""
    with name_scope(name or "kl_categorical_categorical"):
        return reduce_sum(multiply(softmax(a.logits), subtract(log_softmax(a.logits), log_softmax(b.logits))), -1)

