"""TF1's initializers (``tf.compat.v1.initializers``): objects called as ``init(shape, dtype=None,
partition_info=None)`` that build the Tensor of a variable's first value, as ``get_variable`` calls them.

Random ones take an op-level ``seed``, combined with the graph's seed as TF1's random ops do (``set_random_seed``).
``variance_scaling`` (and its Glorot, He and LeCun forms) computes fans as TF: a matrix's are its two dims, a
convolution kernel ``[..., in, out]``'s are ``in`` and ``out`` times the receptive field (the product of the
leading dims).

Examples
--------
>>> import daskflow as df
>>> w = df.get_variable("w", [3, 2], initializer=df.initializers.constant(0.5))
>>> with df.Session() as s:
...     _ = s.run(w.initializer)
...     s.run(w)
array([[0.5, 0.5],
       [0.5, 0.5],
       [0.5, 0.5]], dtype=float32)
"""
import math

import numpy as np

from . import dtypes
from .graph import TensorShape
from .graph_def import shaped
from .ops.state import constant as _constant, global_variables_initializer, variables_initializer
from .ops.state import tables_initializer  # noqa: F401 - tf.initializers.tables_initializer
from .ops.variable_scope import local_variables_initializer

__all__ = ["zeros", "ones", "constant", "random_uniform", "random_normal", "truncated_normal", "uniform_unit_scaling",
           "variance_scaling", "orthogonal", "identity", "glorot_uniform", "glorot_normal", "lecun_normal",
           "lecun_uniform", "he_normal", "he_uniform", "global_variables", "local_variables", "variables", "tables_initializer"]


def _dtype_repr(dt):
    return f"<dtype: '{dtypes.name(dt)}'>"


def _assert_float_dtype(dtype):
    dtype = dtypes.as_dtype(dtype)
    if not dtypes.is_floating(dtype):
        raise ValueError(f"Argument `dtype` is expected to be floating point. Received: {_dtype_repr(dtype)}.")
    return dtype


def _dims(shape):
    """A shape as a list of ints (a TensorShape must be fully defined)."""
    return TensorShape(shape).as_list() if isinstance(shape, TensorShape) else list(shape)


def _compute_fans(shape):
    """TF's fans: (in, out) of a matrix; a kernel ``[..., in, out]``'s times its receptive field."""
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    return int(fan_in), int(fan_out)


def _first_float(value):
    """The first python float of a nested list or tuple of values (or ``value`` itself), or None."""
    if isinstance(value, (list, tuple)):
        return next((f for f in map(_first_float, value) if f is not None), None)
    return value if isinstance(value, float) else None


class Initializer:
    """The base of initializers: ``init(shape, dtype=None, partition_info=None)`` gives a Tensor."""

    def __call__(self, shape, dtype=None, partition_info=None):
        raise TypeError(f"{type(self).__name__} is an Initializer that does not define __call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    """All zeros (the empty string for strings)."""

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.generate import zeros
        return zeros(_dims(shape), self.dtype if dtype is None else dtype)

    def get_config(self):
        return {"dtype": dtypes.name(self.dtype)}


class Ones(Initializer):
    """All ones."""

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.generate import ones
        return ones(_dims(shape), self.dtype if dtype is None else dtype)

    def get_config(self):
        return {"dtype": dtypes.name(self.dtype)}


class Constant(Initializer):
    """``value``: a scalar fills the shape; a list or array fills it in C order, its last element repeated when
    it is short (TF1's ``constant``); with ``verify_shape`` it must have the shape."""

    def __init__(self, value=0, dtype=dtypes.float32, verify_shape=False):
        if not (np.isscalar(value) or isinstance(value, (list, tuple, np.ndarray))):
            raise TypeError(f"Invalid type for initial value={value} of type: {type(value).__name__}. Expected "
                            "Python scalar, list or tuple of values, or numpy.ndarray.")
        self.value, self.dtype, self._verify_shape = value, dtypes.as_dtype(dtype), verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        dtype = self.dtype if dtype is None else dtypes.as_dtype(dtype)
        verify_shape = self._verify_shape if verify_shape is None else verify_shape
        shape = tuple(_dims(shape))
        if dtypes.is_integer(dtype) and not isinstance(self.value, np.ndarray):
            bad = _first_float(self.value)  # TF takes no python float for an integer tensor, integral or not
            if bad is not None:
                raise TypeError(f"Expected {dtypes.name(dtype)}, but got {bad} of type '{type(bad).__name__}'.")
        arr = np.asarray(self.value)
        if isinstance(self.value, np.ndarray) and arr.dtype != dtype and not dtypes.is_string(dtype):
            arr = arr.astype(dtype)  # TF casts a numpy array as numpy does (floats truncated to integers)
        if arr.size != 1 or verify_shape:
            arr = shaped(arr, shape, verify_shape)
        return _constant(arr.tolist() if arr.dtype.kind in "OSU" else arr, dtype=dtype, shape=shape)

    def get_config(self):
        return {"value": self.value, "dtype": dtypes.name(self.dtype)}


class RandomUniform(Initializer):
    """Uniform in ``[minval, maxval)`` (``maxval`` 1 for floats when None)."""

    def __init__(self, minval=.0, maxval=None, seed=None, dtype=dtypes.float32):
        self.minval, self.maxval, self.seed, self.dtype = minval, maxval, seed, dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.random import random_uniform
        return random_uniform(_dims(shape), self.minval, self.maxval, self.dtype if dtype is None else dtype,
                              seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed, "dtype": dtypes.name(self.dtype)}


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
        self.mean, self.stddev, self.seed, self.dtype = mean, stddev, seed, _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.random import random_normal
        return random_normal(_dims(shape), self.mean, self.stddev, self.dtype if dtype is None else dtype,
                             seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed, "dtype": dtypes.name(self.dtype)}


class TruncatedNormal(RandomNormal):
    """Normal with ``mean`` and ``stddev``, values beyond 2 standard deviations drawn again."""

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.random import truncated_normal
        return truncated_normal(_dims(shape), self.mean, self.stddev, self.dtype if dtype is None else dtype,
                                seed=self.seed)


class UniformUnitScaling(Initializer):
    """Uniform in ``±factor·sqrt(3 / input_size)``, the input size being the product of all dims but the last
    (deprecated in TF for ``variance_scaling(distribution="uniform")``)."""

    def __init__(self, factor=1.0, seed=None, dtype=dtypes.float32):
        self.factor, self.seed, self.dtype = factor, seed, _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.random import random_uniform
        shape = _dims(shape)
        scale_shape = shape if partition_info is None else partition_info.full_shape
        input_size = max(float(math.prod(scale_shape[:-1])), 1.0)
        max_val = math.sqrt(3 / input_size) * self.factor
        return random_uniform(shape, -max_val, max_val, self.dtype if dtype is None else dtype, seed=self.seed)

    def get_config(self):
        return {"factor": self.factor, "seed": self.seed, "dtype": dtypes.name(self.dtype)}


class VarianceScaling(Initializer):
    """Values of variance ``scale / n``, ``n`` the fan in, the fan out or their mean (``mode``), drawn from
    ``distribution``: "truncated_normal" (its stddev corrected for the truncation at 2 stddevs; "normal" is
    the old name), "untruncated_normal" or "uniform" (in ``±sqrt(3·scale/n)``)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, dtype=dtypes.float32):
        if scale <= 0.:
            raise ValueError(f"Argument `scale` must be a positive float. Received: {scale}")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"Argument `mode` should be one of ('fan_in', 'fan_out', 'fan_avg'). Received: {mode}")
        distribution = distribution.lower()
        if distribution not in {"normal", "uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError("Argument `distribution` should be one of ('normal', uniform', 'truncated_normal', "
                             f"'untruncated_normal'). Received: {distribution}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.random import random_normal, random_uniform, truncated_normal
        dtype = self.dtype if dtype is None else dtype
        shape = _dims(shape)
        fan_in, fan_out = _compute_fans(shape if partition_info is None else partition_info.full_shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.}[self.mode]
        scale = self.scale / max(1., n)
        if self.distribution in ("normal", "truncated_normal"):
            # the stddev of a standard normal truncated to (-2, 2): the draws' variance is ``scale``
            stddev = math.sqrt(scale) / .87962566103423978
            return truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_normal(shape, 0.0, math.sqrt(scale), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_uniform(shape, -limit, limit, dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "dtype": dtypes.name(self.dtype)}


class Orthogonal(Initializer):
    """A random orthogonal matrix (times ``gain``): the Q of the QR decomposition of a normal matrix, with R's
    diagonal made positive (so Q is uniform over orthogonal matrices), of the shape's flattened ``[prod(all dims
    but the last), last]``; its rows are orthonormal when there are fewer rows than columns, else its columns.

    Q is computed as CholeskyQR2 in float64 (from ``cholesky`` and ``matrix_solve``: ``A = Q R`` with
    ``R^T R = A^T A``, done twice for full accuracy), which gives the same Q as TF's ``qr`` and sign fix."""

    def __init__(self, gain=1.0, seed=None, dtype=dtypes.float32):
        self.gain, self.seed, self.dtype = gain, seed, _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.array import reshape, transpose
        from .ops.linalg import cholesky, matrix_solve
        from .ops.math import cast, matmul
        from .ops.random import random_normal
        dtype = self.dtype if dtype is None else dtypes.as_dtype(dtype)
        shape = _dims(shape)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize, specified by argument `shape` must be at least "
                             f"two-dimensional. Received shape={shape}")
        num_rows, num_cols = int(math.prod(shape[:-1])), int(shape[-1])
        flat_shape = (num_cols, num_rows) if num_rows < num_cols else (num_rows, num_cols)
        a = cast(random_normal(flat_shape, dtype=dtype, seed=self.seed), dtypes.float64)
        qt = transpose(a)  # Q^T = R^-T A^T, R^T (lower) from Cholesky: twice, the second on the first's Q
        for _ in range(2):
            qt = matrix_solve(cholesky(matmul(qt, qt, transpose_b=True)), qt)
        q = qt if num_rows < num_cols else transpose(qt)
        return self.gain * reshape(cast(q, dtype), shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": dtypes.name(self.dtype)}


class Identity(Initializer):
    """The identity matrix (times ``gain``); for 2-d shapes only."""

    def __init__(self, gain=1.0, dtype=dtypes.float32):
        self.gain, self.dtype = gain, _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops.generate import eye
        full_shape = _dims(shape if partition_info is None else partition_info.full_shape)
        if len(full_shape) != 2:
            raise ValueError("The tensor to initialize, specified by argument `shape` must be at least "
                             f"two-dimensional. Received shape={_dims(shape)}")
        return self.gain * eye(*full_shape, dtype=self.dtype if dtype is None else dtype)

    def get_config(self):
        return {"gain": self.gain, "dtype": dtypes.name(self.dtype)}


class GlorotUniform(VarianceScaling):
    """Uniform in ``±sqrt(6 / (fan_in + fan_out))`` (Xavier)."""

    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="uniform", seed=seed)

    def get_config(self):
        return {"seed": self.seed, "dtype": dtypes.name(self.dtype)}


class GlorotNormal(VarianceScaling):
    """Truncated normal of variance ``2 / (fan_in + fan_out)``."""

    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="truncated_normal", seed=seed)

    def get_config(self):
        return {"seed": self.seed, "dtype": dtypes.name(self.dtype)}


def lecun_normal(seed=None):
    """Truncated normal of variance ``1 / fan_in``."""
    return VarianceScaling(scale=1., mode="fan_in", distribution="truncated_normal", seed=seed)


def lecun_uniform(seed=None):
    """Uniform in ``±sqrt(3 / fan_in)``."""
    return VarianceScaling(scale=1., mode="fan_in", distribution="uniform", seed=seed)


def he_normal(seed=None):
    """Truncated normal of variance ``2 / fan_in``."""
    return VarianceScaling(scale=2., mode="fan_in", distribution="truncated_normal", seed=seed)


def he_uniform(seed=None):
    """Uniform in ``±sqrt(6 / fan_in)``."""
    return VarianceScaling(scale=2., mode="fan_in", distribution="uniform", seed=seed)


zeros = zeros_initializer = Zeros
ones = ones_initializer = Ones
constant = constant_initializer = Constant
random_uniform = random_uniform_initializer = RandomUniform
random_normal = random_normal_initializer = RandomNormal
truncated_normal = truncated_normal_initializer = TruncatedNormal
uniform_unit_scaling = uniform_unit_scaling_initializer = UniformUnitScaling
variance_scaling = variance_scaling_initializer = VarianceScaling
orthogonal = orthogonal_initializer = Orthogonal
identity = Identity
glorot_uniform = glorot_uniform_initializer = GlorotUniform
glorot_normal = glorot_normal_initializer = GlorotNormal

global_variables = global_variables_initializer
local_variables = local_variables_initializer
variables = variables_initializer
