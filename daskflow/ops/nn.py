"""Neural-network activations: relu and relu6 as ops; softmax and log_softmax as stable composites of math and
reduction ops (max-shifted, so they work for any chunking of the softmax axis and get their gradients free)."""
import dask.array as da
import numpy as np

from ..graph import name_scope
from .math import exp, log, subtract, truediv
from .reduce import _float_input, _pick, reduce_max, reduce_sum
from .registry import apply1, defop, fail
from .state import stop_gradient

__all__ = ["relu", "relu6", "softmax", "log_softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits", "leaky_relu", "elu",
           "selu", "softsign", "sigmoid_cross_entropy_with_logits", "l2_loss", "l2_normalize", "bias_add", "dropout",
           "moments", "batch_normalization", "embedding_lookup", "conv2d", "max_pool", "avg_pool"]


def _real_numeric(op):
    x = op.inputs[0]
    if x.dtype.kind not in "fiu":
        fail(op, f"{op.type} needs a real numeric input, got '{x.name}' of dtype {x.dtype.name}")
    return [(x.shape, x.dtype)]


def _mask_grad(inside):
    """dy where the forward output lies strictly inside the active range, else 0 (reuses the output)."""
    def grad(op, dy):
        from .math import cast
        return [dy * cast(inside(op.outputs[0]), dy.dtype)]
    return grad


defop("Relu", _real_numeric, lambda op, x: da.maximum(x, 0), grad=_mask_grad(lambda y: y > 0))
defop("Relu6", _real_numeric, lambda op, x: da.minimum(da.maximum(x, 0), 6),
      grad=_mask_grad(lambda y: (y > 0) & (y < 6)))


def relu(features, name=None):
    """Rectified linear unit: ``max(features, 0)`` elementwise."""
    return apply1("Relu", [features], name=name or "Relu")


def relu6(features, name=None):
    """Rectified linear unit capped at 6: ``min(max(features, 0), 6)`` elementwise."""
    return apply1("Relu6", [features], name=name or "Relu6")


def _shifted(logits, axis, fn_name):
    """``logits`` minus their max along ``axis`` (a constant for gradients: the shift cancels out)."""
    x = _float_input(logits, fn_name)
    return subtract(x, stop_gradient(reduce_max(x, axis, keepdims=True)))


def softmax(logits, axis=None, name=None, dim=None):
    """``exp(logits) / reduce_sum(exp(logits), axis)``, computed without overflow.

    Parameters
    ----------
    logits : Tensor or array-like
        Floating point.
    axis : int, optional
        The axis to normalise over; default -1 (the last). ``dim`` is TF1's older name for it.
    name : str, optional

    Returns
    -------
    Tensor
        Of the shape and dtype of ``logits``; sums to 1 along ``axis``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.nn.softmax([0.0, 0.0]).compute()
    array([0.5, 0.5], dtype=float32)
    """
    axis = _pick("axis", axis, "dim", dim)
    axis = -1 if axis is None else axis
    with name_scope(name, "Softmax") as scope:
        e = exp(_shifted(logits, axis, "softmax"))
        return truediv(e, reduce_sum(e, axis=axis, keepdims=True), name=scope)


def log_softmax(logits, axis=None, name=None, dim=None):
    """``logits - log(reduce_sum(exp(logits), axis))``, computed without overflow.

    Arguments and result are as ``softmax``'s; ``exp`` of the result sums to 1 along ``axis``.
    """
    axis = _pick("axis", axis, "dim", dim)
    axis = -1 if axis is None else axis
    with name_scope(name, "LogSoftmax") as scope:
        z = _shifted(logits, axis, "log_softmax")
        # the shifted max is 0, so the sum is at least 1 and its log is finite
        return subtract(z, log(reduce_sum(exp(z), axis=axis, keepdims=True)), name=scope)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=-1, name=None, dim=None):
    """``-sum(labels * log_softmax(logits), axis)`` per example; gradients flow into ``labels`` too."""
    axis = _pick("axis", None if axis == -1 else axis, "dim", dim)
    axis = -1 if axis is None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits") as scope:
        return -reduce_sum(labels * log_softmax(logits, axis=axis), axis=axis, name=scope)


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    """TF1's version: as ``_v2``, but no gradient flows into ``labels``."""
    if _sentinel is not None:
        raise ValueError("softmax_cross_entropy_with_logits takes named arguments only (labels=..., logits=...)")
    axis = dim if axis is None else axis
    return softmax_cross_entropy_with_logits_v2(stop_gradient(labels), logits, axis=axis, name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """``-log_softmax(logits)[i, labels[i]]`` per example, for int ``labels`` of shape ``logits.shape[:-1]``."""
    from .indexing import one_hot
    if _sentinel is not None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits takes named arguments only")
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits") as scope:
        logp = log_softmax(logits)
        depth = logp.shape[-1]
        if depth is None:
            raise ValueError(f"logits '{logp.name}' need a static number of classes, got shape {logp.shape}")
        picked = one_hot(labels, depth, dtype=logp.dtype)
        return -reduce_sum(picked * logp, axis=-1, name=scope)


# -- activations and losses built from other ops (their gradients come from those ops)

def _t(x):
    from .registry import convert_to_tensor
    return convert_to_tensor(x)


def leaky_relu(features, alpha=0.2, name=None):
    """``features`` where positive, ``alpha * features`` elsewhere."""
    import daskflow as df
    x = _t(features)
    with name_scope(name, "LeakyRelu") as scope:
        return df.maximum(x, alpha * x, name=scope) if 0 <= alpha <= 1 else df.where(x > 0, x, alpha * x, name=scope)


def elu(features, name=None):
    """``features`` where positive, ``exp(features) - 1`` elsewhere."""
    import daskflow as df
    x = _t(features)
    with name_scope(name, "Elu") as scope:
        return df.where(x > 0, x, df.expm1(df.minimum(x, 0)), name=scope)  # min: no overflow in the unused branch


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(features, name=None):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017), as TF."""
    with name_scope(name, "Selu") as scope:
        x = _t(features)
        import daskflow as df
        return _SELU_SCALE * df.where(x > 0, x, _SELU_ALPHA * df.expm1(df.minimum(x, 0)), name=scope)


def softsign(features, name=None):
    """``features / (abs(features) + 1)``."""
    import daskflow as df
    x = _t(features)
    return df.truediv(x, df.abs(x) + 1, name=name or "Softsign")


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Per-element logistic loss ``max(z, 0) - z * labels + log(1 + exp(-|z|))`` (TF's overflow-free form)."""
    import daskflow as df
    if _sentinel is not None:
        raise ValueError("sigmoid_cross_entropy_with_logits takes named arguments only")
    z = _t(logits)
    y = df.convert_to_tensor(labels, dtype=z.dtype)
    with name_scope(name, "logistic_loss") as scope:
        return df.add(df.maximum(z, 0) - z * y, df.log1p(df.exp(-df.abs(z))), name=scope)


def l2_loss(t, name=None):
    """``sum(t ** 2) / 2``."""
    import daskflow as df
    x = _t(t)
    return df.multiply(df.reduce_sum(df.square(x)), 0.5, name=name or "L2Loss")


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``."""
    import daskflow as df
    axis = _pick("axis", axis, "dim", dim)
    x = _t(x)
    with name_scope(name, "l2_normalize") as scope:
        sq = df.reduce_sum(df.square(x), axis, keepdims=True)
        return df.multiply(x, df.rsqrt(df.maximum(sq, epsilon)), name=scope)


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` with ``bias`` (1-D) on the channel axis: the last (NHWC) or axis 1 (NCHW)."""
    import daskflow as df
    v, b = _t(value), _t(bias)
    if b.shape.ndims != 1:
        raise ValueError(f"bias must be 1-D, got shape {b.shape}")
    if data_format is not None and data_format.startswith("NC") and v.shape.ndims > 2:
        b = df.reshape(b, [-1] + [1] * (v.shape.ndims - 2))
    return df.add(v, b, name=name or "BiasAdd")


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Zero each element with probability ``rate`` (= 1 - ``keep_prob``) and scale the rest by ``1/keep_prob``;
    ``x`` itself when nothing is dropped. Each run draws a new mask (seeded as daskflow's random ops)."""
    import daskflow as df
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout takes exactly one of keep_prob and rate")
    keep = 1.0 - rate if keep_prob is None else keep_prob
    if not isinstance(keep, (int, float)) or not 0 < keep <= 1:
        raise ValueError(f"keep_prob must be a number in (0, 1], got {keep!r}")
    x = _t(x)
    if keep == 1:
        return x
    with name_scope(name, "dropout") as scope:
        shape = noise_shape if noise_shape is not None else x.shape
        if any(d is None for d in shape):
            raise ValueError(f"dropout needs a static noise shape; got {shape} (pass noise_shape=)")
        u = df.random.uniform(list(shape), dtype=x.dtype, seed=seed)
        mask = df.cast(u < keep, x.dtype)
        return df.multiply(x * (1.0 / keep), mask, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of ``x`` over ``axes``."""
    import daskflow as df
    keep = bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))
    x = _t(x)
    with name_scope(name, "moments"):
        mean = df.reduce_mean(x, axes, keepdims=True)
        var = df.reduce_mean(df.squared_difference(x, df.stop_gradient(mean)), axes, keepdims=True)
        if not keep:
            mean, var = df.squeeze(mean, axes), df.squeeze(var, axes)
        return mean, var


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`` (offset and scale may be None)."""
    import daskflow as df
    with name_scope(name, "batchnorm"):
        inv = df.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        out = (x - mean) * inv
        return out + offset if offset is not None else out


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    """Rows of ``params`` for ``ids`` (a single tensor; gather along axis 0)."""
    import daskflow as df
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            from .. import errors
            raise errors.UnimplementedError(None, None, "embedding_lookup over several params (sharded "
                                            "embeddings) is not supported: concat them into one tensor first")
        params = params[0]
    return df.gather(params, ids, name=name or "embedding_lookup")


# -- convolution and pooling over NHWC images, as windows of strided slices (gradients come from the slices)

def _pair(v, what, n=4):
    """(h, w) from TF's int, [h, w] or [1, h, w, 1] (NHWC) forms."""
    v = [v] * 2 if isinstance(v, int) else list(v)
    if len(v) == 4:
        if v[0] != 1 or v[3] != 1:
            raise ValueError(f"{what} must be 1 on the batch and channel dims (NHWC), got {v}")
        v = v[1:3]
    if len(v) != 2 or any(int(d) < 1 for d in v):
        raise ValueError(f"{what} must be a positive int or a list of 2 or 4 ints, got {v}")
    return [int(d) for d in v]


def _geometry(size, k, stride, dilation, padding):
    """Output size and (before, after) padding of one spatial dim, by TF's SAME/VALID rules."""
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return -(-(size - eff + 1) // stride), (0, 0)
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + eff - size, 0)
        return out, (total // 2, total - total // 2)
    raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")


def _windows(x, ksize, strides, dilations, padding, pad_value=0.0):
    """The kh*kw shifted strided views of ``x`` (N, H, W, C), one per kernel offset, each (N, Ho, Wo, C)."""
    import daskflow as df
    _, H, W, _ = x.shape
    if H is None or W is None:
        raise ValueError(f"convolution and pooling need static spatial dims, got shape {x.shape}")
    (ho, ph), (wo, pw) = (_geometry(H, ksize[0], strides[0], dilations[0], padding),
                          _geometry(W, ksize[1], strides[1], dilations[1], padding))
    if ho <= 0 or wo <= 0:
        raise ValueError(f"window {ksize} (dilations {dilations}) does not fit input of shape {x.shape}")
    if any(ph + pw):
        x = df.pad(x, [[0, 0], list(ph), list(pw), [0, 0]], constant_values=pad_value)
    views = []
    for i in range(ksize[0]):
        for j in range(ksize[1]):
            r, c = i * dilations[0], j * dilations[1]
            views.append(x[:, r:r + (ho - 1) * strides[0] + 1:strides[0], c:c + (wo - 1) * strides[1] + 1:strides[1], :])
    return views, (ho, wo), (ph, pw)


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
           dilations=None, name=None, filters=None):
    """2-D convolution (cross-correlation, as TF) of NHWC ``input`` with ``filter`` of shape
    (kh, kw, in_channels, out_channels); ``padding`` "SAME" or "VALID"."""
    import daskflow as df
    if data_format != "NHWC":
        raise ValueError(f"conv2d supports data_format='NHWC' only, got {data_format!r}")
    x, w = _t(input), _t(filter if filter is not None else filters)
    if x.shape.ndims != 4 or w.shape.ndims != 4 or None in tuple(w.shape):
        raise ValueError(f"conv2d needs a 4-D input and a 4-D filter of static shape, got {x.shape} and {w.shape}")
    if x.shape[3] is not None and x.shape[3] != w.shape[2]:
        raise ValueError(f"conv2d input has {x.shape[3]} channels, filter {w.shape} expects {w.shape[2]}")
    kh, kw, c, f = w.shape
    with name_scope(name, "Conv2D") as scope:
        views, _, _ = _windows(x, (kh, kw), _pair(strides, "strides"), _pair(dilations or 1, "dilations"), padding)
        patches = views[0] if len(views) == 1 else df.concat(views, axis=3)
        return df.tensordot(patches, df.reshape(w, [kh * kw * c, f]), [[3], [0]], name=scope)


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """Max over ``ksize`` windows of NHWC ``value``; SAME padding never wins (padded with -inf)."""
    import daskflow as df
    x = _t(value if value is not None else input)
    with name_scope(name, "MaxPool") as scope:
        views, _, _ = _windows(x, _pair(ksize, "ksize"), _pair(strides, "strides"), [1, 1], padding,
                               pad_value=-np.inf)
        return df.reduce_max(df.stack(views, axis=3), axis=3, name=scope)


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """Mean over ``ksize`` windows of NHWC ``value``; with SAME padding only real positions count, as TF."""
    import daskflow as df
    x = _t(value if value is not None else input)
    k, st = _pair(ksize, "ksize"), _pair(strides, "strides")
    with name_scope(name, "AvgPool") as scope:
        views, (ho, wo), (ph, pw) = _windows(x, k, st, [1, 1], padding)
        total = df.add_n(views) if len(views) > 1 else views[0]
        counts = np.ones((1, x.shape[1] + sum(ph), x.shape[2] + sum(pw), 1))
        counts[:, :ph[0]] = counts[:, counts.shape[1] - ph[1]:] = 0
        counts[:, :, :pw[0]] = counts[:, :, counts.shape[2] - pw[1]:] = 0
        n = sum(counts[:, i:i + (ho - 1) * st[0] + 1:st[0], j:j + (wo - 1) * st[1] + 1:st[1]]
                for i in range(k[0]) for j in range(k[1]))
        return df.truediv(total, df.constant(n.astype(x.dtype)), name=scope)
