"""More of TF's ``tf.nn``: fused batch normalisation, the moment helpers (``sufficient_statistics``,
``normalize_moments``, ``weighted_moments``), ``log_poisson_loss``, ``silu``, ``batch_norm_with_global_normalization``
and the per-replica loss helpers. All are composites of existing ops, with TF's formulas."""
import math

from .. import dtypes
from ..graph import name_scope
from .array import squeeze, transpose
from .generate import ones_like, shape, zeros_like
from .math import cast, exp, greater_equal, less_equal, log, logical_and, multiply, sigmoid, square, \
    squared_difference, where
from .nn import _t, batch_normalization, moments
from .reduce import _static_axis
from .reduce import reduce_prod, reduce_sum
from .registry import convert_to_tensor
from .special import divide_no_nan

__all__ = []
NAMESPACES = {"nn": ["fused_batch_norm", "sufficient_statistics", "normalize_moments", "weighted_moments",
                     "log_poisson_loss", "silu", "batch_norm_with_global_normalization", "compute_average_loss",
                     "scale_regularization_loss"]}


def silu(features, beta=1.0, name=None):
    """``features * sigmoid(beta * features)`` (the SiLU, or swish)."""
    features = _t(features)
    with name_scope(name, "silu"):
        beta = convert_to_tensor(beta, dtype=features.dtype)
        return features * sigmoid(beta * features)


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """The negative log-likelihood of ``targets`` under a Poisson of rate ``exp(log_input)``, up to a constant:
    ``exp(log_input) - log_input * targets``; with ``compute_full_loss``, plus Stirling's approximation of
    ``log(targets!)`` where ``targets > 1``."""
    with name_scope(name, "log_poisson_loss"):
        log_input = _t(log_input)
        targets = convert_to_tensor(targets, dtype=log_input.dtype)
        if not targets.shape.is_compatible_with(log_input.shape):
            raise ValueError(f"log_input and targets must have the same shape ({log_input.shape} vs "
                             f"{targets.shape})")
        result = exp(log_input) - log_input * targets
        if compute_full_loss:
            stirling = targets * log(targets) - targets + 0.5 * log(2 * math.pi * targets)
            small = logical_and(greater_equal(targets, 0.0), less_equal(targets, 1.0))
            result = result + where(small, zeros_like(targets), stirling)
        return result


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """``(count, sum of x - shift, sum of (x - shift)**2, shift)`` over ``axes``: what ``normalize_moments``
    turns into a mean and variance (``shift``, when given, improves precision)."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    x = _t(x)
    with name_scope(name, "sufficient_statistics"):
        axes = list(_static_axis(axes))
        dims = [x.shape[a] for a in axes]
        if all(d is not None for d in dims):
            count = convert_to_tensor(float(math.prod(dims)), dtype=x.dtype, name="count")
        else:
            count = cast(reduce_prod(shape(x)[axes[0]:axes[0] + 1] if len(axes) == 1 else
                                     _gather_dims(x, axes)), x.dtype, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, dtype=x.dtype, name="shift")
            centred = x - shift
            m_ss = reduce_sum(centred, axes, keepdims=keep, name="mean_ss")
            v_ss = reduce_sum(square(centred), axes, keepdims=keep, name="var_ss")
        else:
            m_ss = reduce_sum(x, axes, keepdims=keep, name="mean_ss")
            v_ss = reduce_sum(square(x), axes, keepdims=keep, name="var_ss")
        return count, m_ss, v_ss, shift


def _gather_dims(x, axes):
    from .indexing import gather
    return gather(shape(x), axes)


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """The mean and variance from ``sufficient_statistics``' sums: ``mean = mean_ss / counts + shift``,
    ``variance = variance_ss / counts - (mean_ss / counts)**2``."""
    with name_scope(name, "normalize"):
        mean_ss, variance_ss = _t(mean_ss), _t(variance_ss)
        divisor = 1.0 / convert_to_tensor(counts, dtype=mean_ss.dtype)
        shifted_mean = multiply(mean_ss, divisor, name="shifted_mean")
        mean = shifted_mean + convert_to_tensor(shift, dtype=mean_ss.dtype) if shift is not None else shifted_mean
        variance = multiply(variance_ss, divisor) - square(shifted_mean)
        return mean, variance


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """The mean and variance of ``x`` over ``axes``, each element counted ``frequency_weights`` times (weights
    broadcast to ``x``); 0 where the weights sum to 0."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    x = _t(x)
    with name_scope(name, "weighted_moments"):
        axes = list(_static_axis(axes))
        w = convert_to_tensor(frequency_weights, dtype=x.dtype)
        weighted_sum = reduce_sum(w * x, axes, keepdims=True)
        sum_of_weights = reduce_sum(w * ones_like(x), axes, keepdims=True)
        mean = divide_no_nan(weighted_sum, sum_of_weights)
        variance = divide_no_nan(reduce_sum(w * squared_difference(x, mean), axes, keepdims=True), sum_of_weights)
        if not keep:
            mean, variance = squeeze(mean, axes), squeeze(variance, axes)
        return mean, variance


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001, data_format="NHWC",
                     is_training=True, name=None, exponential_avg_factor=1.0):
    """TF's fused batch normalisation of a 4-D ``x`` over its batch and spatial dims: ``(y, mean, variance)``.

    Training: ``y`` uses the batch's mean and (biased) variance; the variance returned is the unbiased one
    (``n / (n - 1)`` times, for moving averages), and with ``exponential_avg_factor`` f < 1 both are mixed with the
    ``mean``/``variance`` given: ``(1 - f) * given + f * batch``. Inference: ``mean`` and ``variance`` are
    required, used and returned. ``epsilon`` is raised to at least 1.001e-5, as TF's kernel does."""
    x = _t(x)
    if x.shape.ndims is not None and x.shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {x.shape.ndims} for fused_batch_norm of '{x.name}'")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be NHWC or NCHW, got {data_format!r}")
    if not is_training and (mean is None or variance is None):
        raise ValueError("Both 'mean' and 'variance' must be a 1D tensor when is_training is False.")
    epsilon = max(float(epsilon), 1.001e-5)
    with name_scope(name, "FusedBatchNorm"):
        nhwc = x if data_format == "NHWC" else transpose(x, [0, 2, 3, 1])
        compute = dtypes.float32 if nhwc.dtype == dtypes.float16 else nhwc.dtype
        xc = cast(nhwc, compute) if compute != nhwc.dtype else nhwc
        scale, offset = convert_to_tensor(scale, dtype=compute), convert_to_tensor(offset, dtype=compute)
        if is_training:
            batch_mean, batch_var = moments(xc, [0, 1, 2])
            y = batch_normalization(xc, batch_mean, batch_var, offset, scale, epsilon)
            n = _count(xc)
            unbiased = batch_var * (n / (n - 1.0))
            if exponential_avg_factor != 1.0:
                f = float(exponential_avg_factor)
                old_mean = convert_to_tensor(mean, dtype=compute)
                old_var = convert_to_tensor(variance, dtype=compute)
                batch_mean = (1.0 - f) * old_mean + f * batch_mean
                unbiased = (1.0 - f) * old_var + f * unbiased
            out_mean, out_var = batch_mean, unbiased
        else:
            out_mean = convert_to_tensor(mean, dtype=compute)
            out_var = convert_to_tensor(variance, dtype=compute)
            y = batch_normalization(xc, out_mean, out_var, offset, scale, epsilon)
        if compute != nhwc.dtype:
            y = cast(y, nhwc.dtype)
        if data_format == "NCHW":
            y = transpose(y, [0, 3, 1, 2])
        return y, out_mean, out_var


def _count(x):
    dims = [x.shape[i] for i in (0, 1, 2)]
    if all(d is not None for d in dims):
        return float(math.prod(dims))
    return cast(reduce_prod(shape(x)[:3]), x.dtype)


def batch_norm_with_global_normalization(t=None, m=None, v=None, beta=None, gamma=None, variance_epsilon=None,
                                         scale_after_normalization=None, name=None, input=None, mean=None,
                                         variance=None):
    """TF1's older batch normalisation: ``batch_normalization(t, m, v, beta, gamma if scale_after_normalization
    else None, variance_epsilon)``."""
    t = input if t is None else t
    m = mean if m is None else m
    v = variance if v is None else v
    with name_scope(name, "batchnorm"):
        return batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None, variance_epsilon)


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """The sum of the (weighted) per-example losses divided by the global batch size (default: the number of
    examples; one replica, as a daskflow Session is)."""
    loss = _t(per_example_loss)
    with name_scope(None, "compute_average_loss"):
        if sample_weight is not None:
            loss = loss * convert_to_tensor(sample_weight, dtype=loss.dtype)
        total = reduce_sum(loss)
        if global_batch_size is None:
            n = loss.shape[0] if loss.shape.ndims else None
            size = convert_to_tensor(float(n), dtype=loss.dtype) if n is not None else cast(shape(loss)[0],
                                                                                             loss.dtype)
        else:
            size = convert_to_tensor(float(global_batch_size), dtype=loss.dtype)
        return divide_no_nan(total, size)


def scale_regularization_loss(regularization_loss):
    """A regularisation loss (or the sum of a list of them) scaled by 1 / the number of replicas (one)."""
    from .math import add_n
    if isinstance(regularization_loss, (list, tuple)):
        regularization_loss = add_n([_t(r) for r in regularization_loss])
    return _t(regularization_loss) / 1.0
