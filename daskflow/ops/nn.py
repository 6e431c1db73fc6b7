"""TF's ``tf.nn`` functions other than convolution and pooling (those are in ``conv``).

Relu, Relu6, ReluGrad and TF's two fused cross entropies (loss and gradient from one task per block of rows) are
ops; everything else is a composite of math, reduction and indexing ops, so it gets its gradients from them: softmax
and log_softmax are max-shifted (stable for any chunking of their axis), and the losses use TF's overflow-free forms.
"""
from functools import partial

import dask.array as da
import numpy as np
from dask._task_spec import Task, TaskRef
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from .. import backend, errors, kernels

from ..graph import Tensor, TensorShape, control_dependencies, name_scope
from .array import expand_dims, reshape, transpose
from .generate import dim_size, shape
from .hostvalue import as_tensor, shape_str
from .math import assert_equal, exp, log, subtract, truediv
from .reduce import _axes, _float_input, _pick, _static_axis, reduce_max, reduce_sum, reduced_count
from .registry import fail_dtype
from .registry import apply, apply1, convert_to_tensor, defop, fail, same_dtype, same_shape, tuple_outputs
from .state import stop_gradient

__all__ = ["relu", "relu6", "softmax", "log_softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits", "leaky_relu", "elu",
           "selu", "softsign", "sigmoid_cross_entropy_with_logits", "l2_loss", "l2_normalize", "bias_add", "dropout",
           "moments", "batch_normalization", "embedding_lookup", "xw_plus_b", "relu_layer", "swish", "crelu",
           "weighted_cross_entropy_with_logits", "zero_fraction"]


def _real_numeric(op):
    x = op.inputs[0]
    if x.dtype.kind not in "fiu":
        fail_dtype(op, x, "a real numeric input")
    return [(x.shape, x.dtype)]


def _mask_grad(inside):
    """dy where the forward output lies strictly inside the active range, else 0 (reuses the output)."""
    def grad(op, dy):
        from .math import cast
        return [dy * cast(inside(op.outputs[0]), dy.dtype)]
    return grad


def _relu_grad_infer(op):
    dy, y = op.inputs
    same_dtype(op, dy, y)
    return [(same_shape(op, dy, y), dy.dtype)]


def _relu_grad_block(dy, y):
    return (dy * (y > 0)).astype(dy.dtype, copy=False)  # as TF's kernel; a multiply is far faster than where


# why: TF's ReluGrad, one pass instead of compare, cast and multiply; the mask is the forward output's sign
defop("ReluGrad", _relu_grad_infer,
      lambda op, dy, y: da.blockwise(_relu_grad_block, tuple(range(dy.ndim)), dy, tuple(range(dy.ndim)), y,
                                     tuple(range(y.ndim)), dtype=dy.dtype, meta=backend.meta(dy, dy.dtype)),
      grad=lambda op, ddx: [apply1("ReluGrad", [ddx, op.inputs[1]]), None])
defop("Relu", _real_numeric, lambda op, x: da.maximum(x, 0),
      grad=lambda op, dy: [apply1("ReluGrad", [dy, op.outputs[0]])])
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


# -- fused cross entropies: TF's SoftmaxCrossEntropyWithLogits and SparseSoftmaxCrossEntropyWithLogits give the loss
# and its gradient (``backprop``) from one pass over each block of rows, so a training step holds neither the
# softmax nor the one-hot labels as separate tensors

def _xent_infer(sparse):
    def infer(op):
        x, y = op.inputs
        if x.dtype.kind != "f":
            fail(op, f"logits '{x.name}' must be floating point, got dtype {x.dtype.name}")
        if x.shape.ndims not in (None, 2):
            fail(op, f"logits must be 2-D, but got shape {x.shape}")
        want = 1 if sparse else 2
        if y.shape.ndims not in (None, want):
            fail(op, f"labels must be {want}-D, but got shape {y.shape}")
        if sparse and y.dtype.kind not in "iu":
            fail(op, f"labels '{y.name}' must be integers, got dtype {y.dtype.name}")
        if not sparse:
            same_dtype(op, x, y)
        xs = x.shape if x.shape.ndims is not None else TensorShape([None, None])
        ys = y.shape if y.shape.ndims is not None else TensorShape([None] * want)
        if not (xs if not sparse else TensorShape(xs[:1])).is_compatible_with(ys):
            fail(op, f"logits and labels must have the same {'first dimension' if sparse else 'shape'}, got logits "
                     f"shape {xs} and labels shape {ys}")
        rows = TensorShape(xs[:1]).merge_with(ys[:1])
        full = TensorShape(list(rows) + list(xs[1:])) if sparse else xs.merge_with(ys)
        return [(rows, x.dtype), (full, x.dtype)]
    return infer


def _xent_label(op):
    return f"op '{op.name}' (type {op.type})"


def _xent_blocks(op, kernel, x, y, **kw):
    """One ``kernel`` task per block of rows of ``x`` (class axis whole) and the same rows of ``y``; the pair it
    gives is split into the loss and the backprop (``tuple_outputs``)."""
    pair = f"{op.type.lower()}-{tokenize(op.type, x.name, y.name, kw)}"
    lab = (lambda i: (y.name, i)) if y.ndim == 1 else (lambda i: (y.name, i, 0))
    dsk = {(pair, i): Task((pair, i), kernel, TaskRef((x.name, i, 0)), TaskRef(lab(i)), **kw)
           for i in range(x.numblocks[0])}
    packed = da.Array(HighLevelGraph.from_collections(pair, dsk, dependencies=[x, y]), pair, x.chunks[:1],
                      meta=backend.meta(x, x.dtype, 1))
    return tuple_outputs(packed, [x.chunks[:1], x.chunks], [backend.meta(x, x.dtype, n) for n in (1, 2)], "xent")


def _softmax_parts(x):
    z = x - x.max(axis=1, keepdims=True)
    e = da.exp(z)
    s = e.sum(axis=1, keepdims=True)
    return z, e, s, da.log(s)


def _label_mask(offsets):
    def block(z, labels, block_id=None):
        start = offsets[block_id[1]]
        return (labels - start) == backend.xp(z).arange(z.shape[1])  # labels: a column
    return block


def _differ(a, b):
    """Whether two run-time shapes differ in a dim known in both (dims of unknown chunk sizes are nan)."""
    return len(a) != len(b) or any(m != n for m, n in zip(a, b) if m == m and n == n)


def _sparse_xent_lower(op, x, labels):
    if _differ(x.shape[:1], labels.shape):
        fail(op, f"logits and labels must have the same first dimension, got logits shape {list(x.shape)} and "
                 f"labels shape {list(labels.shape)}")
    labels = labels.rechunk({0: x.chunks[0]})
    if x.numblocks[1] == 1:
        return _xent_blocks(op, kernels.sparse_xent, x, labels, label=_xent_label(op))
    # the class axis in several chunks: dask's reductions across them, labels checked on their own
    labels = labels.map_blocks(kernels.check_labels, x.shape[1], _xent_label(op), dtype=labels.dtype)
    z, e, s, lse = _softmax_parts(x)
    offsets = np.cumsum((0,) + x.chunks[1])
    mask = da.map_blocks(_label_mask(offsets), z, labels[:, None], dtype=bool, meta=backend.meta(x, bool))
    loss = lse[:, 0] - da.where(mask, z, 0).sum(axis=1)
    return [loss.astype(x.dtype), (e / s - mask).astype(x.dtype)]


def _xent_lower(op, x, y):
    if _differ(x.shape, y.shape):
        fail(op, f"logits and labels must be the same size: logits_size={list(x.shape)} "
                 f"labels_size={list(y.shape)}")
    y = y.rechunk(x.chunks)
    if x.numblocks[1] == 1:
        return _xent_blocks(op, kernels.xent, x, y)
    z, e, s, lse = _softmax_parts(x)
    loss = (y * (lse - z)).sum(axis=1)
    return [loss.astype(x.dtype), (e * (y.sum(axis=1, keepdims=True) / s) - y).astype(x.dtype)]


def _is_zero(t):
    return t.op.type == "ZerosLike"  # what autodiff gives for an output nothing differentiated


def _softmax_vjp(dbackprop, logits):
    """``dbackprop`` pulled back through ``softmax(logits)``: ``(dbackprop - <dbackprop, p>) * p`` per row, with
    ``<dbackprop, p>`` (keepdims) too."""
    p = softmax(logits)
    dot = reduce_sum(dbackprop * p, axis=-1, keepdims=True)
    return (dbackprop - dot) * p, dot


def _sparse_xent_grad(op, dloss, dbackprop):
    # TF's _SparseSoftmaxCrossEntropyWithLogitsGrad: the backprop output times dloss; when something differentiates
    # the backprop output itself (gradients of gradients), its own pull-back through softmax - one_hot
    g = expand_dims(dloss, -1) * op.outputs[1]
    if not _is_zero(dbackprop):
        g = g + _softmax_vjp(dbackprop, op.inputs[0])[0]
    return [g, None]


def _xent_grad(op, dloss, dbackprop):
    # backprop = softmax(x) * sum(labels) - labels, so its own pull-back scales softmax's by sum(labels), and
    # gives labels <dbackprop, softmax> - dbackprop
    x, y = op.inputs
    d = expand_dims(dloss, -1)
    gx, gy = d * op.outputs[1], -d * log_softmax(x)
    if not _is_zero(dbackprop):
        vjp, dot = _softmax_vjp(dbackprop, x)
        gx = gx + reduce_sum(y, axis=-1, keepdims=True) * vjp
        gy = gy + (dot - dbackprop)
    return [gx, gy]


# the kernels keep the logits made contiguous, shifted, exponentiated, and the backprop alive at once
defop("SparseSoftmaxCrossEntropyWithLogits", _xent_infer(True), _sparse_xent_lower, grad=_sparse_xent_grad, scratch=4)
defop("SoftmaxCrossEntropyWithLogits", _xent_infer(False), _xent_lower, grad=_xent_grad, scratch=4)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=-1, name=None, dim=None):
    """``-sum(labels * log_softmax(logits), axis)`` per example; gradients flow into ``labels`` too.

    This is one ``SoftmaxCrossEntropyWithLogits`` op (TF's), whose second output is the gradient with respect to
    the logits: as in TF, logits and labels are broadcast against each other first (where their shapes may
    differ, also when that is known only at run time), the class axis is moved last and other ranks are reshaped
    to rows of classes and back. Inputs of unknown rank are handled by a composite of ``log_softmax``.
    """
    axis = _pick("axis", None if axis == -1 else axis, "dim", dim)
    axis = -1 if axis is None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits") as scope:
        x = _float_input(logits, "softmax_cross_entropy_with_logits")
        labels = convert_to_tensor(labels, dtype_hint=x.dtype)  # python and numpy labels take the logits' dtype
        x, labels = _broadcast_pair(x, labels)
        n = x.shape.ndims
        if (n is None or n == 0 or labels.shape.ndims != n or not x.shape.is_compatible_with(labels.shape)
                or not -n <= axis < n):
            logp = log_softmax(x, axis=axis)
            return -reduce_sum(labels * logp, axis=axis, name=scope)
        if axis % n != n - 1:  # TF's op takes the classes last
            perm = [i for i in range(n) if i != axis % n] + [axis % n]
            x, labels = transpose(x, perm), transpose(labels, perm)
        if n == 2:
            return apply("SoftmaxCrossEntropyWithLogits", [x, labels], name=scope)[0]
        c = dim_size(x, -1)  # labels have x's shape: broadcast above
        loss = apply("SoftmaxCrossEntropyWithLogits", [reshape(x, [-1, c]), reshape(labels, [-1, c])])[0]
        return reshape(loss, shape(x)[:-1], name=scope)


def _broadcast_pair(x, y):
    """``x`` and ``y`` broadcast to their common shape, where their shapes may differ (TF's kernel broadcasts
    logits and labels); inputs of unknown rank are left as they are."""
    import daskflow as df
    if x.shape.ndims is None or y.shape.ndims is None or (x.shape.is_fully_defined() and x.shape == y.shape):
        return x, y
    if x.shape.is_fully_defined() and y.shape.is_fully_defined():
        try:
            target = list(df.broadcast_static_shape(x.shape, y.shape))
        except ValueError as e:
            raise errors.InvalidArgumentError(None, None, f"logits and labels must be broadcastable: logits_size="
                                              f"{x.shape} labels_size={y.shape}") from e
    else:
        target = df.broadcast_dynamic_shape(shape(x), shape(y), "logits and labels must be broadcastable")
    return tuple(t if t.shape.is_fully_defined() and list(t.shape) == target else df.broadcast_to(t, target)
                 for t in (x, y))


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    """TF1's version: as ``_v2``, but no gradient flows into ``labels``."""
    if _sentinel is not None:
        raise ValueError("softmax_cross_entropy_with_logits takes named arguments only (labels=..., logits=...)")
    axis = dim if axis is None else axis
    logits = convert_to_tensor(logits)
    labels = stop_gradient(convert_to_tensor(labels, dtype_hint=logits.dtype))
    return softmax_cross_entropy_with_logits_v2(labels, logits, axis=axis, name=name)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """``-log_softmax(logits)[..., labels]`` per example, for int ``labels`` of shape ``logits.shape[:-1]``.

    This is one ``SparseSoftmaxCrossEntropyWithLogits`` op (TF's), whose second output is the gradient with
    respect to the logits; as in TF, logits of rank other than 2 are reshaped to rows of classes and back (shapes
    known only at run time are checked then). A label outside ``[0, classes)`` raises ``InvalidArgumentError``
    when run.
    """
    if _sentinel is not None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits takes named arguments only")
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits") as scope:
        x = _float_input(logits, "sparse_softmax_cross_entropy_with_logits")
        labels = _t(labels)
        if labels.dtype.kind not in "iu":
            raise ValueError(f"labels must be int32 or int64, got '{labels.name}' of dtype {labels.dtype.name}")
        if x.shape.ndims == 0:
            raise ValueError(f"logits cannot be a scalar, got '{x.name}'")
        if x.shape.ndims is not None and not labels.shape.is_compatible_with(TensorShape(x.shape[:-1])):
            raise ValueError(f"labels of shape {labels.shape} must have the shape of logits {x.shape} without its "
                             "last dim")
        if x.shape.ndims == 2:
            return apply("SparseSoftmaxCrossEntropyWithLogits", [x, labels], name=scope)[0]
        with control_dependencies(_shape_checks(labels, x, "labels must have the shape of logits without its last "
                                                           "dim")):
            rows = reshape(x, [-1, dim_size(x, -1)])
            loss = apply("SparseSoftmaxCrossEntropyWithLogits", [rows, reshape(labels, [-1])])[0]
        return reshape(loss, shape(labels), name=scope)


def _shape_checks(labels, x, message):
    """A run-time check that ``labels`` has the shape of ``x`` without its last dim, when the static shapes cannot
    tell: their rows are flattened, so a mismatch of the same size would go unseen."""
    want = TensorShape(None) if x.shape.ndims is None else TensorShape(x.shape[:-1])
    if labels.shape.is_fully_defined() and want.is_fully_defined():
        return []  # compared when built
    return [assert_equal(shape(labels), shape(x)[:-1], message=message)]


# -- activations and losses built from other ops (their gradients come from those ops)

def _t(x):
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
    import daskflow as df
    x = _t(features)
    with name_scope(name, "Selu") as scope:
        return df.where(x > 0, _SELU_SCALE * x, (_SELU_SCALE * _SELU_ALPHA) * df.expm1(df.minimum(x, 0)), name=scope)


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
        # one condition for both branches (TF's form), so the gradient at z == 0 is sigmoid(0) - labels
        zeros = df.zeros_like(z)
        pos = df.greater_equal(z, zeros)
        relu = df.where(pos, z, zeros)
        neg_abs = df.where(pos, -z, z)
        return df.add(relu - z * y, df.log1p(df.exp(neg_abs)), name=scope)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None, targets=None):
    """``sigmoid_cross_entropy_with_logits`` with the positive term weighted by ``pos_weight``:
    ``labels * -log(sigmoid(z)) * pos_weight + (1 - labels) * -log(1 - sigmoid(z))``, in TF's overflow-free form
    ``(1 - labels) * z + (1 + (pos_weight - 1) * labels) * (log(1 + exp(-|z|)) + max(-z, 0))``."""
    import daskflow as df
    if (labels is None) == (targets is None):
        raise ValueError("weighted_cross_entropy_with_logits takes one of labels and targets (TF1's name)")
    z = _t(logits)
    y = df.convert_to_tensor(labels if labels is not None else targets, dtype=z.dtype)
    with name_scope(name, "logistic_loss") as scope:
        weight = 1 + (pos_weight - 1) * y
        return df.add((1 - y) * z, weight * (df.log1p(df.exp(-df.abs(z))) + df.maximum(-z, 0)), name=scope)


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
    """``value + bias`` with 1-D ``bias`` on the channel axis: the last ("NHWC", "N...C"), or axis 1 ("NCHW",
    "NC...") for inputs of rank > 2."""
    import daskflow as df
    v, b = _t(value), _t(bias)
    if b.shape.ndims != 1:
        raise ValueError(f"bias must be 1-D, got '{b.name}' of shape {b.shape}")
    if v.shape.ndims is not None and v.shape.ndims < 2:
        raise ValueError(f"bias_add needs a value of rank >= 2, got '{v.name}' of shape {v.shape}")
    if data_format is not None and data_format[:1] != "N":
        raise ValueError(f"bias_add: data_format must be like 'NHWC' or 'NCHW', got {data_format!r}")
    first = data_format is not None and data_format[1:2] == "C" and v.shape.ndims not in (None, 2)
    channels = v.shape[1 if first else -1] if v.shape.ndims is not None else None
    if None not in (channels, b.shape[0]) and channels != b.shape[0]:
        raise ValueError(f"bias_add: bias of size {b.shape[0]} does not match the {channels} channels of '{v.name}' "
                         f"(shape {v.shape}, data_format {data_format or 'NHWC'})")
    with name_scope(name, "BiasAdd") as scope:
        if first:
            b = df.reshape(b, [-1] + [1] * (v.shape.ndims - 2))
        return df.add(v, b, name=scope)


def _keep_probability(keep_prob, rate):
    """The keep probability: a python number checked to lie in (0, 1], or a tensor."""
    if (keep_prob is None) == (rate is None):
        raise ValueError("dropout takes exactly one of keep_prob and rate")
    given = keep_prob if keep_prob is not None else rate
    if isinstance(as_tensor(given), Tensor):
        return given if keep_prob is not None else 1 - as_tensor(given)
    keep = float(keep_prob) if keep_prob is not None else 1.0 - float(rate)
    if not 0 < keep <= 1:
        what = f"keep_prob {keep_prob}" if keep_prob is not None else f"rate {rate}"
        raise ValueError(f"dropout: {what} is out of range: keep_prob must be in (0, 1], rate in [0, 1)")
    return keep


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Zero each element of ``x`` with probability ``rate`` (= 1 - ``keep_prob``), scaling the rest by
    ``1 / keep_prob`` so the expected sum is unchanged.

    Parameters
    ----------
    x : Tensor
        Floating point.
    keep_prob, rate : float or 0-d Tensor
        Exactly one of them (TF1's ``keep_prob``, or ``rate``); a tensor (e.g. a placeholder) sets it per run.
        With a python ``keep_prob`` of 1 (``rate`` 0) nothing is dropped and ``x`` itself is returned.
    noise_shape : list of ints or int vector tensor, optional
        The shape of the random keep/drop mask, broadcast against ``x`` (e.g. ``[n, 1]`` drops whole rows).
        Defaults to ``x``'s shape (as run, where it is known only then).
    seed : int, optional
        Op seed, combined with the graph seed as for ``df.random.uniform``. Each run draws a new mask.

    Examples
    --------
    >>> import daskflow as df
    >>> y = df.nn.dropout(df.ones([4]), rate=0.5, seed=1)
    >>> sorted(set(y.compute().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    import daskflow as df
    x = _t(x)
    if x.dtype.kind != "f":
        raise ValueError(f"dropout: x must be a floating point tensor (it gets scaled), got '{x.name}' of dtype "
                         f"{x.dtype.name}")
    keep = _keep_probability(keep_prob, rate)
    if isinstance(keep, float) and keep == 1:
        return x
    if noise_shape is None:  # x's shape, as a tensor where only the run knows it
        noise_shape = list(x.shape) if x.shape.is_fully_defined() else df.shape(x)
    with name_scope(name, "dropout") as scope:
        u = df.random.uniform(noise_shape, dtype=x.dtype, seed=seed)
        if isinstance(keep, float):
            return df.multiply(x * (1.0 / keep), df.cast(u < keep, x.dtype), name=scope)
        keep = df.convert_to_tensor(keep, dtype=x.dtype)
        return df.multiply(x / keep, df.cast(u < keep, x.dtype), name=scope)


def _moments_infer(op):
    x = op.inputs[0]
    if x.dtype.kind != "f":
        fail_dtype(op, x, "a floating point input")
    if x.shape.ndims is None:
        return [(TensorShape(None), x.dtype)] * 2
    axes = _axes(op, op.attrs["axis"], x.shape.ndims)
    dims = [1 if i in axes else d for i, d in enumerate(x.shape)]
    return [(dims, x.dtype)] * 2


def _moments_lower(op, x):
    """One pass over ``x``: a tree reduction of per-block counts, means and squared deviations (dask's
    ``split_every`` honoured), whose last task gives the pair (mean, variance), split by ``tuple_outputs``."""
    axes = _axes(op, op.attrs["axis"], x.ndim)
    meta = backend.meta(x, x.dtype, x.ndim)
    packed = da.reduction(x, kernels.moments_chunk, partial(kernels.moments_aggregate, dtype=x.dtype), axis=axes,
                          keepdims=True, dtype=x.dtype, combine=kernels.moments_combine, concatenate=False,
                          meta=meta, name=f"moments-{tokenize(op.name, x.name, axes)}")
    return tuple_outputs(packed, [packed.chunks] * 2, [meta] * 2, "moments")


def _moments_grad(op, dmean, dvar):
    # d mean / dx = 1/n and d var / dx = 2 (x - mean) / n; through the mean output, so gradients of gradients
    # differentiate the mean too
    x, mean = op.inputs[0], op.outputs[0]
    g = None
    if not _is_zero(dvar):
        g = (2 * dvar) * (x - mean)
    if not _is_zero(dmean):
        g = g + dmean if g is not None else None
    if g is None:
        from .array import broadcast_to
        g = broadcast_to(dmean, shape(x))
    return [g / reduced_count(op, x.dtype)]


defop("Moments", _moments_infer, _moments_lower, grad=_moments_grad)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of ``x`` over ``axes`` (``shift`` is unused, as in TF).

    For floating-point ``x`` both come from one ``Moments`` op, which reads ``x`` once (TF takes the mean first,
    then the mean of squared differences from it: a second pass over data larger than memory); the tensors keep
    TF's names (``moments/mean``, ``moments/variance``, squeezed unless ``keepdims``). Integer ``x`` follows TF's
    two reductions, in integer arithmetic."""
    import daskflow as df
    keep = bool(_pick("keepdims", keepdims, "keep_dims", keep_dims))
    x = _t(x)
    with name_scope(name, "moments"):
        if x.dtype.kind == "f":
            m, v = apply("Moments", [x], {"axis": _static_axis(axes)}, name="Moments")
            mean, var = df.identity(m, name="mean"), df.identity(v, name="variance")
        else:
            mean = df.reduce_mean(x, axes, keepdims=True, name="mean")
            var = df.reduce_mean(df.squared_difference(x, mean), axes, keepdims=True, name="variance")
        if not keep:
            mean, var = df.squeeze(mean, axes), df.squeeze(var, axes)
        return mean, var


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`` (offset and scale may be None)."""
    import daskflow as df
    x = _t(x)
    mean, variance, offset, scale = (None if v is None else convert_to_tensor(v, dtype_hint=x.dtype)
                                     for v in (mean, variance, offset, scale))
    with name_scope(name, "batchnorm") as scope:
        inv = df.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        if offset is None:
            return df.multiply(x - mean, inv, name=scope)
        return df.add(x * inv, offset - mean * inv, name=scope)  # as TF: one multiply-add on x


def _rows_of(params, ids, strategy):
    """``ids`` as row numbers of the concatenation of the shards ``params``, as TF assigns ids to shards: with
    "mod", id ``i`` is row ``i // n`` of shard ``i % n``; with "div", consecutive ids fill the shards in order, the
    first ``total % n`` of them one id longer. An id past its shard's end (which would read the next shard) or
    outside the table raises ``InvalidArgumentError`` when run, as TF's gather from that shard does."""
    import daskflow as df
    n = len(params)
    sizes = [dim_size(p, 0) for p in params]
    sizes = [df.cast(d, ids.dtype) if isinstance(d, Tensor) else d for d in sizes]
    starts = [sum(sizes[:k]) for k in range(n)]
    if strategy == "mod":
        shard, row = ids % n, ids // n
    else:
        per, extras = sum(sizes) // n, sum(sizes) % n
        shard = df.maximum(ids // (per + 1), (ids - extras) // per)
        row = df.where_v2(shard < extras, ids % (per + 1), (ids - extras) % per)
    known = df.minimum(df.maximum(shard, 0), n - 1)
    inside = (shard >= 0) & (shard < n) & (row >= 0) & (row < df.gather(_int_vector(sizes, ids.dtype), known))
    shown = shape_str([d if isinstance(d, int) else None for d in sizes])
    check = df.Assert(df.reduce_all(inside), [f"embedding_lookup: ids must lie in the shards, of sizes {shown}, as "
                                              f"partition_strategy '{strategy}' assigns them; ids:", ids])
    with control_dependencies([check]):
        return df.where_v2(inside, df.gather(_int_vector(starts, ids.dtype), known) + row, 0)


def _int_vector(values, dtype):
    """A vector of python ints and int scalar tensors of ``dtype``."""
    import daskflow as df
    return df.stack([df.constant(v, dtype) if isinstance(v, int) else v for v in values])


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    """Rows of ``params`` for the int ``ids`` (any shape): ``gather(params, ids)``, of shape
    ``ids.shape + params.shape[1:]``.

    ``params`` may be a list of shards of one table (or a ``PartitionedVariable``), split by
    ``partition_strategy``: "mod" (id ``i`` in shard
    ``i % n``, at row ``i // n``) or "div" (consecutive ids fill the shards in order). With ``max_norm``, each
    looked-up row whose l2 norm exceeds it is scaled down to that norm. Gradients flow to the looked-up rows.
    """
    import daskflow as df
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"embedding_lookup: partition_strategy must be 'mod' or 'div', got {partition_strategy!r}")
    if hasattr(params, "_get_variable_list"):  # a PartitionedVariable: its parts are the shards
        params = params._get_variable_list()
    shards = [_t(p) for p in params] if isinstance(params, (list, tuple)) else [_t(params)]
    if not shards:
        raise ValueError("embedding_lookup needs at least one params tensor")
    ids = _t(ids)
    with name_scope(name, "embedding_lookup") as scope:
        table = shards[0] if len(shards) == 1 else df.concat(shards, 0)
        rows = ids if len(shards) == 1 else _rows_of(shards, ids, partition_strategy)
        out = df.gather(table, rows, name=scope if max_norm is None else None)
        if max_norm is None:
            return out
        axes = list(range(ids.shape.ndims, out.shape.ndims)) if out.shape.ndims is not None else -1
        sq = df.reduce_sum(df.square(out), axes, keepdims=True)
        # max_norm / max(norm, max_norm), with no sqrt at 0 (its gradient would be nan for all-zero rows)
        return df.multiply(out, max_norm * df.rsqrt(df.maximum(sq, max_norm ** 2)), name=scope)


def xw_plus_b(x, weights, biases, name=None):
    """``matmul(x, weights) + biases`` (biases 1-D, one per output column)."""
    import daskflow as df
    with name_scope(name, "xw_plus_b") as scope:
        return bias_add(df.matmul(x, weights), biases, name=scope)


def relu_layer(x, weights, biases, name=None):
    """``relu(matmul(x, weights) + biases)``."""
    with name_scope(name, "relu_layer") as scope:
        return relu(xw_plus_b(x, weights, biases), name=scope)


def swish(features, name=None):
    """``features * sigmoid(features)`` (also called SiLU)."""
    import daskflow as df
    x = _t(features)
    return df.multiply(x, df.sigmoid(x), name=name or "swish")


def crelu(features, name=None, axis=-1):
    """``concat([relu(features), relu(-features)], axis)``: the positive and negative parts as separate channels."""
    import daskflow as df
    x = _t(features)
    with name_scope(name, "CRelu") as scope:
        return relu(df.concat([x, -x], axis), name=scope)


def zero_fraction(value, name=None):
    """The fraction of ``value``'s elements that are zero, as a float32 scalar."""
    import daskflow as df
    x = _t(value)
    with name_scope(name, "zero_fraction") as scope:
        return df.reduce_mean(df.cast(df.equal(x, df.zeros([], x.dtype)), df.float32), name=scope)
