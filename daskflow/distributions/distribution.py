"""TF1's ``tf.distributions.Distribution`` base class and ``ReparameterizationType``: the public methods (sample,
log_prob, cdf, moments...) open the distribution's name scope and a scope named after the method, convert their
argument to a tensor of the distribution's dtype, then call the subclass's ``_<method>``, falling back as TF does
(``prob`` from ``log_prob``, ``stddev`` from ``variance``, ``survival_function`` from ``cdf``...)."""
import contextlib
import hashlib

import numpy as np

from .. import dtypes, errors
from ..graph import TensorShape, control_dependencies, name_scope
from ..ops.array import concat, reshape
from ..ops.checks import assert_less
from ..ops.generate import broadcast_dynamic_shape, broadcast_static_shape, ones
from ..ops.generate import shape as shape_of
from ..ops.hostvalue import constant_value
from ..ops.math import cast, exp, log, log1p, sqrt, square, subtract, where_v2
from ..ops.reduce import reduce_prod
from ..ops.registry import convert_to_tensor
from ..ops.state import constant, identity

__all__ = ["Distribution", "ReparameterizationType", "FULLY_REPARAMETERIZED", "NOT_REPARAMETERIZED"]



class Undefined(errors.UnimplementedError, NotImplementedError):
    """A method a distribution does not define, or a KL divergence no pair of classes registers: daskflow's
    ``UnimplementedError``, and TF's ``NotImplementedError`` (what TF raises there, and what users catch)."""

class ReparameterizationType:
    """Whether samples of a distribution are differentiable functions of its parameters (TF's instances
    ``FULLY_REPARAMETERIZED`` and ``NOT_REPARAMETERIZED``; compare them with ``==``, which is identity)."""

    def __init__(self, rep_type):
        self._rep_type = rep_type

    def __repr__(self):
        return f"<Reparameterization Type: {self._rep_type}>"

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


FULLY_REPARAMETERIZED = ReparameterizationType("FULLY_REPARAMETERIZED")
NOT_REPARAMETERIZED = ReparameterizationType("NOT_REPARAMETERIZED")


# -- helpers shared by the families

def dtype_repr(dtype):
    return f"<dtype: '{dtypes.name(dtype)}'>"


def same_float_dtype(tensors):
    """The common float dtype of ``tensors``; ``ValueError`` with TF's message when they differ or are not float."""
    first = tensors[0]
    for t in tensors[1:]:
        if t.dtype != first.dtype:
            raise ValueError(f"{t.name}, type={dtype_repr(t.dtype)}, must be of the same type "
                             f"({dtype_repr(first.dtype)}) as {first.name}.")
    if first.dtype.kind != "f":
        raise ValueError(f"Expected floating point type, got {dtype_repr(first.dtype)}.")
    return first.dtype


def params(tensors, names, dtype=None):
    """``tensors`` converted and named ``names`` in the current scope: python numbers take ``dtype`` or else the
    dtype of the first float tensor or numpy value among them (as TF's conversion with a preferred dtype), numpy
    values and tensors keep theirs."""
    if dtype is None:
        dtype = next((dtypes.as_dtype(t.dtype) for t in tensors
                      if hasattr(t, "dtype") and dtypes.as_dtype(t.dtype).kind == "f"), None)
    out = []
    for t, n in zip(tensors, names):
        hint = None if hasattr(t, "dtype") else dtype
        out.append(identity(convert_to_tensor(t, dtype_hint=hint), name=n))
    return out


def gen_new_seed(seed, salt):
    """A new op seed derived from ``seed`` and the string ``salt`` (None stays None), so the several random ops of
    one sample get distinct but reproducible seeds, as TF's distributions derive them."""
    if seed is None:
        return None
    return int(hashlib.md5((str(seed) + salt).encode("utf-8")).hexdigest()[:8], 16) & 0x7FFFFFFF


def nan_or_assert(dist, value, defined, checks):
    """``value`` where ``defined``, NaN elsewhere when ``dist.allow_nan_stats``; otherwise ``value`` guarded by
    ``checks`` (``(message, tensor)`` pairs asserting ``1 < tensor``), whose failure is TF's
    InvalidArgumentError."""
    if dist.allow_nan_stats:
        return where_v2(defined, value, constant(np.nan, dtype=value.dtype))
    one = ones([], dtype=value.dtype)
    with control_dependencies([assert_less(one, t, message=m) for m, t in checks]):
        return identity(value)


def with_checks(checks, value):
    """``value`` run after ``checks`` (assert ops), or as it is when there are none."""
    if not checks:
        return value
    with control_dependencies(checks):
        return identity(value)


class Distribution:
    """A probability distribution built on the graph (TF1's ``tf.distributions.Distribution``).

    Subclasses give ``_batch_shape``, ``_batch_shape_tensor``, ``_event_shape``, ``_event_shape_tensor`` and those of
    ``_sample_n``, ``_log_prob``/``_prob``, ``_cdf``/``_log_cdf``, ``_survival_function``, ``_quantile``,
    ``_entropy``, ``_mean``, ``_mode``, ``_variance``/``_stddev`` and ``_covariance`` they support; a public method
    whose implementation is missing raises ``NotImplementedError("<method> is not implemented: <class>")`` as TF.

    Parameters
    ----------
    dtype : the dtype of samples and events.
    reparameterization_type : ``FULLY_REPARAMETERIZED`` or ``NOT_REPARAMETERIZED``.
    validate_args : bool, whether to add run-time checks of parameters and arguments.
    allow_nan_stats : bool, whether undefined statistics give NaN (True) or fail the run (False).
    parameters : dict of the constructor's arguments (``copy`` passes them again).
    graph_parents : list of the parameter tensors.
    name : the name scope ("Normal/") that the distribution's ops are built under.
    """

    def __init__(self, dtype, reparameterization_type, validate_args, allow_nan_stats, parameters=None,
                 graph_parents=None, name=None):
        self._dtype = dtype
        self._reparameterization_type = reparameterization_type
        self._validate_args = bool(validate_args)
        self._allow_nan_stats = bool(allow_nan_stats)
        self._parameters = {k: v for k, v in (parameters or {}).items() if k not in ("self", "__class__")}
        self._graph_parents = list(graph_parents or [])
        self._name = name if name is not None else type(self).__name__

    # -- properties

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def parameters(self):
        """The constructor's arguments, as a dict (a copy)."""
        return dict(self._parameters)

    @property
    def reparameterization_type(self):
        return self._reparameterization_type

    @property
    def allow_nan_stats(self):
        return self._allow_nan_stats

    @property
    def validate_args(self):
        return self._validate_args

    @property
    def graph_parents(self):
        return list(self._graph_parents)

    @property
    def batch_shape(self):
        """The static shape of one draw's batch of independent distributions (a TensorShape)."""
        return TensorShape(self._batch_shape())

    @property
    def event_shape(self):
        """The static shape of one event (a TensorShape): () for scalar distributions."""
        return TensorShape(self._event_shape())

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        """The batch shape as a 1-D int32 tensor."""
        with self._name_scope(name):
            if self.batch_shape.is_fully_defined():
                return constant(np.asarray(self.batch_shape.as_list(), np.int32), name="batch_shape")
            return self._batch_shape_tensor()

    def event_shape_tensor(self, name="event_shape_tensor"):
        """The event shape as a 1-D int32 tensor."""
        with self._name_scope(name):
            if self.event_shape.is_fully_defined():
                return constant(np.asarray(self.event_shape.as_list(), np.int32), name="event_shape")
            return self._event_shape_tensor()

    def is_scalar_batch(self, name="is_scalar_batch"):
        """Whether the batch shape is () (a python bool when the rank is static)."""
        return self._is_scalar(self.batch_shape, self.batch_shape_tensor, name)

    def is_scalar_event(self, name="is_scalar_event"):
        """Whether the event shape is () (a python bool when the rank is static)."""
        return self._is_scalar(self.event_shape, self.event_shape_tensor, name)

    def _is_scalar(self, static, dynamic, name):
        if static.ndims is not None:
            return static.ndims == 0
        with self._name_scope(name):
            from ..ops.generate import size
            from ..ops.math import equal
            return equal(size(dynamic()), 0)

    def copy(self, **override_parameters_kwargs):
        """A new distribution of the same class with the constructor arguments of this one, updated by
        ``override_parameters_kwargs``."""
        return type(self)(**dict(self.parameters, **override_parameters_kwargs))

    # -- scopes and arguments

    @contextlib.contextmanager
    def _name_scope(self, name=None):
        with name_scope(self.name if self.name.endswith("/") else self.name + "/"):
            with name_scope(name) as scope:
                yield scope

    def _value(self, value):
        hint = self.dtype if dtypes.as_dtype(self.dtype).kind == "f" else None
        return convert_to_tensor(value, name="value", dtype_hint=hint)

    def _not_implemented(self, method):
        return Undefined(None, None, f"{method} is not implemented: {type(self).__name__}")

    def _has(self, method):
        return getattr(type(self), method, None) is not None

    def _broadcast_batch(self, *tensors):
        """Static batch shape from parameter tensors (leading ``event_ndims`` dims removed by the caller)."""
        out = TensorShape([])
        for t in tensors:
            out = broadcast_static_shape(out, t.shape)
        return out

    def _broadcast_batch_tensor(self, *tensors):
        out = shape_of(tensors[0])
        for t in tensors[1:]:
            out = broadcast_dynamic_shape(out, shape_of(t))
        return out

    def _n_shape(self, n, extra=()):
        """The shape ``[n] + batch_shape + extra``: a python list when all of it is static, else a tensor."""
        batch = self.batch_shape
        if isinstance(n, int) and batch.is_fully_defined():
            return [n] + batch.as_list() + list(extra)
        parts = [reshape(cast(n, dtypes.int32), [1]), self.batch_shape_tensor()]
        if extra:
            parts.append(constant(np.asarray(extra, np.int32)))
        return concat(parts, 0)

    # -- sampling

    def sample(self, sample_shape=(), seed=None, name="sample"):
        """Draws samples of shape ``sample_shape + batch_shape + event_shape``.

        ``seed`` is the op-level seed of the random ops, combined with the graph seed as in TF1.

        Examples
        --------
        >>> import daskflow as df
        >>> d = df.distributions.Normal(loc=[0.0, 1.0], scale=1.0)
        >>> d.sample([4, 3], seed=1).shape
        TensorShape([4, 3, 2])
        """
        with self._name_scope(name):
            static = _static_sample_shape(sample_shape)
            if static is not None:
                n = int(np.prod(static, dtype=np.int64))
                samples = self._sample_n(n, seed)
                rest = samples.shape[1:] if samples.shape.ndims is not None else TensorShape(None)
                if rest.is_fully_defined():
                    return reshape(samples, list(static) + rest.as_list())
                sample_shape = constant(np.asarray(static, np.int32), name="sample_shape")
            else:
                sample_shape = reshape(cast(convert_to_tensor(sample_shape, name="sample_shape"), dtypes.int32),
                                       [-1])
                n = reduce_prod(sample_shape)
                samples = self._sample_n(n, seed)
            return reshape(samples, concat([sample_shape, shape_of(samples)[1:]], 0))

    # -- densities, distribution functions and moments

    def log_prob(self, value, name="log_prob"):
        """The log probability density (or mass) of ``value``, broadcast against the batch."""
        with self._name_scope(name):
            value = self._value(value)
            if self._has("_log_prob"):
                return self._log_prob(value)
            if self._has("_prob"):
                return log(self._prob(value))
            raise self._not_implemented("log_prob")

    def prob(self, value, name="prob"):
        """The probability density (or mass) of ``value``."""
        with self._name_scope(name):
            value = self._value(value)
            if self._has("_prob"):
                return self._prob(value)
            if self._has("_log_prob"):
                return exp(self._log_prob(value))
            raise self._not_implemented("prob")

    def log_cdf(self, value, name="log_cdf"):
        """``log P[X <= value]``."""
        with self._name_scope(name):
            value = self._value(value)
            if self._has("_log_cdf"):
                return self._log_cdf(value)
            if self._has("_cdf"):
                return log(self._cdf(value))
            raise self._not_implemented("log_cdf")

    def cdf(self, value, name="cdf"):
        """The cumulative distribution function ``P[X <= value]``."""
        with self._name_scope(name):
            value = self._value(value)
            if self._has("_cdf"):
                return self._cdf(value)
            if self._has("_log_cdf"):
                return exp(self._log_cdf(value))
            raise self._not_implemented("cdf")

    def log_survival_function(self, value, name="log_survival_function"):
        """``log P[X > value]``."""
        with self._name_scope(name):
            value = self._value(value)
            if self._has("_log_survival_function"):
                return self._log_survival_function(value)
            if self._has("_survival_function"):
                return log(self._survival_function(value))
            if self._has("_cdf") or self._has("_log_cdf"):
                return log1p(-self.cdf(value))
            raise self._not_implemented("log_survival_function")

    def survival_function(self, value, name="survival_function"):
        """``P[X > value] = 1 - cdf(value)``."""
        with self._name_scope(name):
            value = self._value(value)
            if self._has("_survival_function"):
                return self._survival_function(value)
            if self._has("_log_survival_function"):
                return exp(self._log_survival_function(value))
            if self._has("_cdf") or self._has("_log_cdf"):
                return subtract(1.0, self.cdf(value))
            raise self._not_implemented("survival_function")

    def quantile(self, value, name="quantile"):
        """The inverse of ``cdf``."""
        return self._simple("quantile", name, value)

    def entropy(self, name="entropy"):
        """The Shannon entropy, in nats."""
        return self._simple("entropy", name)

    def mean(self, name="mean"):
        """The mean."""
        return self._simple("mean", name)

    def mode(self, name="mode"):
        """The mode."""
        return self._simple("mode", name)

    def covariance(self, name="covariance"):
        """The covariance matrix of an event (shape ``batch_shape + [k, k]``)."""
        return self._simple("covariance", name)

    def variance(self, name="variance"):
        """The variance (the diagonal of the covariance for vector events)."""
        with self._name_scope(name):
            if self._has("_variance"):
                return self._variance()
            if self._has("_stddev"):
                return square(self._stddev())
            raise self._not_implemented("variance")

    def stddev(self, name="stddev"):
        """The standard deviation."""
        with self._name_scope(name):
            if self._has("_stddev"):
                return self._stddev()
            if self._has("_variance"):
                return sqrt(self._variance())
            raise self._not_implemented("stddev")

    def _simple(self, method, name, *args):
        if not self._has("_" + method):
            raise self._not_implemented(method)
        with self._name_scope(name):
            return getattr(self, "_" + method)(*[self._value(a) for a in args])

    def cross_entropy(self, other, name="cross_entropy"):
        """The cross entropy ``H[self, other] = entropy(self) + KL(self || other)``, in nats."""
        from .kullback_leibler import cross_entropy
        with self._name_scope(name):
            return cross_entropy(self, other)

    def kl_divergence(self, other, name="kl_divergence"):
        """``KL(self || other)``, in nats, from the function registered for the pair of classes."""
        from .kullback_leibler import kl_divergence
        with self._name_scope(name):
            return kl_divergence(self, other)

    def __str__(self):
        return (f"tf.distributions.{type(self).__name__}(\"{self.name.rstrip('/')}\", batch_shape={self.batch_shape},"
                f" event_shape={self.event_shape}, dtype={dtypes.name(self.dtype)})")

    def __repr__(self):
        return (f"<tf.distributions.{type(self).__name__} '{self.name.rstrip('/')}' batch_shape={self.batch_shape} "
                f"event_shape={self.event_shape} dtype={dtypes.name(self.dtype)}>")


def _static_sample_shape(sample_shape):
    """``sample_shape`` as a tuple of ints when it is known at build time, else None."""
    if hasattr(sample_shape, "op") or hasattr(sample_shape, "_as_tensor"):
        value = constant_value(convert_to_tensor(sample_shape))
        if value is None:
            return None
        sample_shape = value
    if isinstance(sample_shape, TensorShape):
        sample_shape = sample_shape.as_list()
    arr = np.asarray(sample_shape)
    if arr.dtype == object:
        return None
    if arr.size and arr.dtype.kind not in "iu":
        raise TypeError(f"sample_shape must hold integers, got {sample_shape!r}")
    return tuple(int(d) for d in arr.reshape(-1))
