"""TF1's ``tf.losses`` (``tf.compat.v1.losses``): loss functions that weight, reduce and collect their losses.

Every loss function computes a per-element loss, multiplies it by ``weights`` and reduces it as ``reduction`` says
(by default ``SUM_BY_NONZERO_WEIGHTS``: the weighted sum divided by the number of non-zero weights, 0 when there are
none), then adds the result to the ``loss_collection`` (``"losses"``), as TF1 does. The rules are TF1's
(``tensorflow/python/ops/losses/losses_impl.py`` and ``util.py``):

- ``weights`` are a scalar, or have the losses' rank with each dim either 1 or the losses' dim (so per-example
  weights of a ``[batch, d]`` loss are ``[batch, 1]``); other shapes raise ``ValueError`` when the static shapes
  show it, else an ``InvalidArgumentError`` when run;
- predictions and labels are cast to float32 (the cross entropies keep the logits' dtype) and the weighting is done
  in float32, the result cast back to the losses' dtype;
- ops are made under the function's name scope (``mean_squared_error``, ``softmax_cross_entropy_loss``...), and
  the reduced loss is named ``<scope>/value``, ``<scope>/Sum`` for ``SUM`` and ``<scope>/Mul`` for ``NONE``.
"""
import numpy as np

from . import dtypes
from .graph import control_dependencies, name_scope
from .ops.array import concat, reshape, squeeze
from .ops.generate import ones_like, rank, shape, size, zeros_like
from .ops.indexing import slice as _slice
from .ops.math import (Assert, abs as _abs, add_n as _add_n_op, cast, equal, greater, log, logical_and, logical_or,
                       maximum, minimum, multiply, square, squared_difference, subtract, where)
from .ops.nn import (relu, sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2,
                     sparse_softmax_cross_entropy_with_logits)
from .ops.reduce import reduce_all, reduce_sum
from .ops.registry import convert_to_tensor
from .ops.special import divide_no_nan
from .ops.state import constant, stop_gradient
from .ops.variable_scope import REGULARIZATION_LOSSES, add_to_collection, get_collection

__all__ = ["Reduction", "absolute_difference", "add_loss", "compute_weighted_loss", "cosine_distance", "get_losses",
           "get_regularization_loss", "get_regularization_losses", "get_total_loss", "hinge_loss", "huber_loss",
           "log_loss", "mean_pairwise_squared_error", "mean_squared_error", "sigmoid_cross_entropy",
           "softmax_cross_entropy", "sparse_softmax_cross_entropy"]

LOSSES = "losses"  # GraphKeys.LOSSES


class Reduction:
    """How a loss function reduces its weighted losses.

    ``NONE``: the weighted losses, unreduced. ``SUM``: their sum. ``MEAN``: the sum divided by the sum of the
    weights. ``SUM_OVER_BATCH_SIZE``: the sum divided by the number of losses. ``SUM_BY_NONZERO_WEIGHTS`` (also
    ``SUM_OVER_NONZERO_WEIGHTS``): the sum divided by the number of non-zero weights. Each division gives 0 where
    the divisor is 0.
    """

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        """Every reduction key."""
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS,
                cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        """Raise ``ValueError`` unless ``key`` is one of ``all()``."""
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}. Key should be one of {cls.all()}.")


# -- weights: TF's limited broadcasting, checked when the graph is built where shapes allow

_BROADCAST_ERROR = "weights can not be broadcast to values."


def _assert_broadcastable(weights, values):
    """Check that ``weights`` are a scalar or of ``values``' rank with dims 1 or ``values``' dims. Raises
    ``ValueError`` when the static shapes show they are not; returns an ``Assert`` op checking it when run where the
    static shapes cannot tell, else None."""
    with name_scope(None, "assert_broadcastable", (weights, values)) as scope:
        weights = convert_to_tensor(weights, name="weights")
        w_shape, v_shape = weights.shape, values.shape
        if w_shape.ndims is not None and v_shape.ndims is not None:
            if w_shape.ndims == 0:
                return None
            if w_shape.ndims != v_shape.ndims:
                raise ValueError(f"{_BROADCAST_ERROR} values.rank={v_shape.ndims}. weights.rank={w_shape.ndims}. "
                                 f"values.shape={v_shape}. weights.shape={w_shape}. Received weights={weights}, "
                                 f"values={values}")
            if w_shape.is_fully_defined() and v_shape.is_fully_defined():
                for i, (w, v) in enumerate(zip(w_shape, v_shape)):
                    if w not in (1, v):
                        raise ValueError(f"{_BROADCAST_ERROR} Mismatch at dim {i}. values.shape={np.array(v_shape)}, "
                                         f"weights.shape={np.array(w_shape)}. Received weights={weights}, "
                                         f"values={values}")
                return None
        return _broadcastable_when_run(weights, values, scope)


def _broadcastable_when_run(weights, values, name):
    w_shape, v_shape = shape(weights, name="weights/shape"), shape(values, name="values/shape")
    w_rank, v_rank = rank(weights, name="weights/rank"), rank(values, name="values/rank")
    is_scalar = equal(0, w_rank, name="is_scalar")
    # weights' dims padded with ones (or cut) to values' rank, so the comparison runs whatever the ranks
    w_dims = _slice(concat([w_shape, ones_like(v_shape)], 0), [0], reshape(v_rank, [1]))
    dims_ok = reduce_all(logical_or(equal(w_dims, 1), equal(w_dims, v_shape)))
    valid = logical_or(is_scalar, logical_and(equal(w_rank, v_rank), dims_ok), name="is_valid_shape")
    return Assert(valid, [_BROADCAST_ERROR, "weights.shape=", weights.name, w_shape, "values.shape=", values.name,
                          v_shape, "is_scalar=", is_scalar], name=name)


def _broadcast_weights(weights, values):
    """``weights`` broadcast to ``values``' shape (they passed ``_assert_broadcastable``)."""
    with name_scope(None, "broadcast_weights", (weights, values)) as scope:
        w_shape, v_shape = weights.shape, values.shape
        if w_shape.is_fully_defined() and v_shape.is_fully_defined() and w_shape.is_compatible_with(v_shape):
            return weights
        return multiply(weights, ones_like(values), name=scope)


# -- reductions

def _safe_mean(losses, num_present):
    return divide_no_nan(reduce_sum(losses), num_present, name="value")


def _sum_per_batch(x, name=None):
    """``x`` summed over all its axes but the first, keeping them (as 1s)."""
    if x.shape.ndims is not None:
        return reduce_sum(x, axis=list(range(1, x.shape.ndims)), keepdims=True, name=name)
    dims = shape(x)
    rows = reduce_sum(reshape(x, concat([dims[:1], [-1]], 0)), axis=1)
    return reshape(rows, concat([dims[:1], ones_like(dims)[1:]], 0), name=name)


def _num_present(losses, weights, per_batch=False):
    """The number of losses whose (broadcast) weight is not 0: in all, or per batch entry (kept dims)."""
    with name_scope(None, "num_present", (losses, weights)) as scope:
        weights = cast(weights, dtypes.float32)
        present = where(equal(weights, 0.0), zeros_like(weights), ones_like(weights))
        present = _broadcast_weights(present, losses)
        if per_batch:
            return _sum_per_batch(present, name=scope)
        return reduce_sum(present, name=scope)


def _num_elements(losses):
    with name_scope(None, "num_elements", (losses,)) as scope:
        return cast(size(losses, name=scope), losses.dtype)


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """The ``losses`` multiplied by ``weights`` and reduced as ``reduction`` says; added to ``loss_collection``.

    Parameters
    ----------
    losses : Tensor
        Of shape ``[batch_size, d1, ... dN]``.
    weights : Tensor or float
        A scalar, or of the rank of ``losses`` with each dim 1 or the same as ``losses``'.
    scope : str, optional
        Name scope of the ops (default ``weighted_loss``).
    loss_collection : str
        Collection the loss is added to (none when empty or None).
    reduction : str
        One of ``Reduction.all()``.

    Returns
    -------
    Tensor
        Of ``losses``' dtype: a scalar, or ``losses``' shape for ``Reduction.NONE``.

    >>> loss = df.losses.compute_weighted_loss([[1.0, 3.0]], weights=[[1.0, 0.0]])   # 1.0
    """
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss", (losses, weights)):
        losses = convert_to_tensor(losses)
        check = _assert_broadcastable(weights, losses)
        with control_dependencies([check] if check is not None else []):
            input_dtype = losses.dtype
            losses = cast(losses, dtypes.float32)
            weights = cast(weights, dtypes.float32)
            weighted_losses = multiply(losses, weights)
            if reduction == Reduction.NONE:
                loss = weighted_losses
            else:
                loss = reduce_sum(weighted_losses)
                if reduction == Reduction.MEAN:
                    loss = _safe_mean(loss, reduce_sum(ones_like(losses) * weights))
                elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                    loss = _safe_mean(loss, _num_present(losses, weights))
                elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                    loss = _safe_mean(loss, _num_elements(losses))
            loss = cast(loss, input_dtype)
            add_loss(loss, loss_collection)
            return loss


# -- the loss functions

def _not_none(**args):
    for name, value in args.items():
        if value is None:
            raise ValueError(f"Argument `{name}` must not be None.")


def _assert_compatible(a, b):
    """TF's ``a.shape.assert_is_compatible_with(b.shape)``."""
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible")


def _elementwise(default_name, labels, predictions, weights, scope, loss_collection, reduction, losses_of):
    """The pattern of the regression losses: float32 predictions and labels of compatible shapes, a per-element
    loss ``losses_of(labels, predictions)``, weighted and reduced."""
    with name_scope(scope, default_name, (predictions, labels, weights)) as scope:
        predictions = cast(predictions, dtypes.float32)
        labels = cast(labels, dtypes.float32)
        _assert_compatible(predictions, labels)
        return compute_weighted_loss(losses_of(labels, predictions), weights, scope, loss_collection,
                                     reduction=reduction)


def absolute_difference(labels, predictions, weights=1.0, scope=None, loss_collection=LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``|predictions - labels|`` (see ``compute_weighted_loss`` for ``weights`` and ``reduction``).

    >>> loss = df.losses.absolute_difference([1.0, 2.0], [1.5, 1.0])   # (0.5 + 1.0) / 2
    """
    _not_none(labels=labels, predictions=predictions)
    return _elementwise("absolute_difference", labels, predictions, weights, scope, loss_collection, reduction,
                        lambda y, p: _abs(subtract(p, y)))


def mean_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection=LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``(predictions - labels)**2`` (see ``compute_weighted_loss`` for ``weights`` and ``reduction``).

    >>> loss = df.losses.mean_squared_error([1.0, 2.0], [1.5, 1.0])   # (0.25 + 1.0) / 2
    """
    _not_none(labels=labels, predictions=predictions)
    return _elementwise("mean_squared_error", labels, predictions, weights, scope, loss_collection, reduction,
                        lambda y, p: squared_difference(p, y))


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted hinge loss ``max(0, 1 - (2 labels - 1) logits)`` of labels in {0, 1} (see
    ``compute_weighted_loss`` for ``weights`` and ``reduction``)."""
    _not_none(labels=labels, logits=logits)

    def hinge(y, x):
        all_ones = ones_like(y)
        return relu(subtract(all_ones, multiply(subtract(2 * y, all_ones), x)))
    return _elementwise("hinge_loss", labels, logits, weights, scope, loss_collection, reduction, hinge)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None, loss_collection=LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted Huber loss of ``e = predictions - labels``: ``e**2 / 2`` where ``|e| <= delta``, else
    ``delta * (|e| - delta / 2)`` (see ``compute_weighted_loss`` for ``weights`` and ``reduction``)."""
    _not_none(labels=labels, predictions=predictions)

    def huber(y, p):
        abs_error = _abs(subtract(p, y))
        quadratic = minimum(abs_error, delta)
        linear = subtract(abs_error, quadratic)
        half = convert_to_tensor(0.5, dtype=quadratic.dtype)
        return multiply(half, multiply(quadratic, quadratic)) + multiply(delta, linear)
    return _elementwise("huber_loss", labels, predictions, weights, scope, loss_collection, reduction, huber)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None, loss_collection=LOSSES,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``-labels log(predictions + epsilon) - (1 - labels) log(1 - predictions + epsilon)`` (see
    ``compute_weighted_loss`` for ``weights`` and ``reduction``)."""
    _not_none(labels=labels, predictions=predictions)

    def logistic(y, p):
        return -multiply(y, log(p + epsilon)) - multiply(1 - y, log(1 - p + epsilon))
    return _elementwise("log_loss", labels, predictions, weights, scope, loss_collection, reduction, logistic)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None, loss_collection=LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """Weighted ``1 - sum(predictions * labels, axis)`` (kept dims) of unit-normalised ``labels`` and
    ``predictions``; ``dim`` is the deprecated name of ``axis`` (see ``compute_weighted_loss`` for ``weights``
    and ``reduction``)."""
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify argument `axis`.")
    _not_none(labels=labels, predictions=predictions)
    return _elementwise("cosine_distance_loss", labels, predictions, weights, scope, loss_collection, reduction,
                        lambda y, p: 1 - reduce_sum(multiply(p, y), axis=(axis,), keepdims=True))


def mean_pairwise_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection=LOSSES):
    """The weighted sum over the batch of each example's mean of ``((p_i - p_j) - (l_i - l_j))**2`` over the pairs
    ``i != j`` of its elements (``weights`` a scalar or one per example, ``[batch, 1, ...]``); added to
    ``loss_collection``.

    With ``d = predictions - labels`` and ``n`` an example's number of elements of non-zero weight, the example's
    term is ``2 sum(d**2) / (n - 1) - 2 sum(d)**2 / (n (n - 1))`` (0 where ``n <= 1``).
    """
    _not_none(labels=labels, predictions=predictions)
    with name_scope(scope, "mean_pairwise_squared_error", (predictions, labels, weights)):
        weights = cast(weights, dtypes.float32)
        labels = cast(labels, dtypes.float32)
        check = _assert_broadcastable(weights, labels)
        with control_dependencies([check] if check is not None else []):
            predictions = cast(predictions, dtypes.float32)
            _assert_compatible(predictions, labels)
            diffs = subtract(predictions, labels)
            sum_squares_diff_per_batch = _sum_per_batch(square(diffs))
            num_present_per_batch = _num_present(diffs, weights, per_batch=True)
            term1 = 2.0 * divide_no_nan(sum_squares_diff_per_batch, maximum(num_present_per_batch - 1, 0.0),
                                      name="value")
            sum_diff = _sum_per_batch(diffs)
            term2 = 2.0 * divide_no_nan(square(sum_diff),
                                      maximum(multiply(num_present_per_batch, num_present_per_batch - 1), 0.0),
                                      name="value")
            loss = reduce_sum(multiply(term1 - term2, weights))
            mean_loss = where(greater(reduce_sum(num_present_per_batch), 0.0), loss, zeros_like(loss),
                              name="value")
            add_loss(mean_loss, loss_collection)
            return mean_loss


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``nn.sigmoid_cross_entropy_with_logits`` of labels in [0, 1], smoothed towards 1/2 by
    ``label_smoothing`` (``labels * (1 - label_smoothing) + label_smoothing / 2``); see ``compute_weighted_loss``
    for ``weights`` and ``reduction``."""
    _not_none(multi_class_labels=multi_class_labels, logits=logits)
    with name_scope(scope, "sigmoid_cross_entropy_loss", (logits, multi_class_labels, weights)) as scope:
        logits = convert_to_tensor(logits)
        labels = cast(multi_class_labels, logits.dtype)
        _assert_compatible(logits, labels)
        if label_smoothing > 0:
            labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``nn.softmax_cross_entropy_with_logits_v2`` of one-hot ``[batch, classes]`` labels, smoothed by
    ``label_smoothing`` (``labels * (1 - label_smoothing) + label_smoothing / classes``); no gradient flows into
    the labels. ``weights`` are a scalar or one per example (see ``compute_weighted_loss``).

    >>> loss = df.losses.softmax_cross_entropy([[0.0, 1.0]], [[1.0, 2.0]])   # log(1 + e**-1)
    """
    _not_none(onehot_labels=onehot_labels, logits=logits)
    with name_scope(scope, "softmax_cross_entropy_loss", (logits, onehot_labels, weights)) as scope:
        logits = convert_to_tensor(logits)
        labels = cast(onehot_labels, logits.dtype)
        _assert_compatible(logits, labels)
        if label_smoothing > 0:
            classes = labels.shape[-1] if labels.shape.ndims else None
            classes = cast(shape(labels)[-1] if classes is None else classes, logits.dtype)
            labels = labels * (1.0 - label_smoothing) + label_smoothing / classes
        labels = stop_gradient(labels, name="labels_stop_gradient")
        losses = softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def _remove_squeezable_dimensions(labels, logits, weights):
    """Sparse labels (and weights) of shape ``[batch, 1]`` squeezed to ``[batch]`` against ``[batch, classes]``
    logits, where the static ranks tell."""
    labels, logits = convert_to_tensor(labels), convert_to_tensor(logits)
    l_rank, x_rank = labels.shape.ndims, logits.shape.ndims
    if l_rank is not None and x_rank is not None:
        if x_rank - l_rank == 2 and logits.shape[-1] in (None, 1):
            logits = squeeze(logits, [-1])
        elif x_rank == l_rank and labels.shape[-1] in (None, 1):
            labels = squeeze(labels, [-1])
    weights = convert_to_tensor(weights)
    w_rank, l_rank = weights.shape.ndims, labels.shape.ndims
    if w_rank is not None and l_rank is not None and w_rank - l_rank == 1:
        weights = squeeze(weights, [-1])
    return labels, logits, weights


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None, loss_collection=LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``nn.sparse_softmax_cross_entropy_with_logits`` of integer class ``labels`` (``[batch]``, or
    ``[batch, 1]``) and ``[batch, classes]`` logits. ``weights`` are a scalar or one per example (``[batch]`` or
    ``[batch, 1]``); see ``compute_weighted_loss``."""
    _not_none(labels=labels, logits=logits)
    with name_scope(scope, "sparse_softmax_cross_entropy_loss", (logits, labels, weights)) as scope:
        labels, logits, weights = _remove_squeezable_dimensions(labels, logits, weights)
        losses = sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


# -- collections

def add_loss(loss, loss_collection=LOSSES):
    """Add a loss computed elsewhere to ``loss_collection`` (nothing when it is empty or None)."""
    if loss_collection:
        add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=LOSSES):
    """The losses of ``loss_collection``; with ``scope``, those whose name matches it from the start."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    """The ``regularization_losses`` collection (filled by ``get_variable(..., regularizer=...)``), filtered by
    ``scope``."""
    return get_collection(REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses (of ``scope``), named ``name``; a constant 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return _add_n_op(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the losses of the ``losses`` collection and, with ``add_regularization_losses``, of the
    regularization losses, named ``name``; ``scope`` filters both. Raises ``ValueError`` when there is no loss."""
    losses = get_losses(scope=scope)
    if add_regularization_losses:
        losses += get_regularization_losses(scope=scope)
    if not losses:
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype and shape")
    return _add_n_op(losses, name=name)
