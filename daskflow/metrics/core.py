"""The means, counts and counts at thresholds of ``df.metrics``, and the pieces the other metrics share: metric
variables, TF's squeezing of labels, predictions and weights, and weight broadcasting."""
import numpy as np

from .. import dtypes
from ..graph import control_dependencies
from ..ops import ranking
from ..ops.array import expand_dims, reshape, squeeze
from ..ops.generate import ones_like, size, zeros, zeros_like
from ..ops.math import (Assert, abs, cast, equal, greater, greater_equal, less, logical_and, logical_not, maximum,
                        multiply, sqrt, squared_difference, subtract, truediv, where)
from ..ops.reduce import reduce_all, reduce_sum
from ..ops.registry import convert_to_tensor
from ..ops.special import divide_no_nan
from ..ops.state import LOCAL_VARIABLES, Variable, assign_add
from ..ops.variable_scope import add_to_collections, variable_scope

METRIC_VARIABLES = "metric_variables"
_F32, _F64, _I64 = dtypes.float32, dtypes.float64, dtypes.int64


# -- shared pieces

def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialised, non-trainable variable in the ``local_variables`` and ``metric_variables`` collections."""
    return Variable(lambda: zeros(shape, dtype), trainable=False, collections=[LOCAL_VARIABLES, METRIC_VARIABLES],
                    validate_shape=validate_shape, name=name)


def _t(x, name=None):
    if hasattr(x, "indices") and hasattr(x, "dense_shape"):
        raise TypeError("daskflow metrics take dense label tensors; SparseTensor labels are not supported (give the "
                        "labels as a dense int64 tensor of shape [D1, ... DN, num_labels])")
    return convert_to_tensor(x, name=name)


def _collect(collections, value):
    if collections:
        add_to_collections(collections, value)
    return value


def _remove_squeezable(predictions, labels, weights):
    """TF's ``_remove_squeezable_dimensions``: a trailing dim of 1 is squeezed from predictions or labels when their
    ranks differ by one; weights are squeezed or expanded to predictions' rank (scalars stay scalars). Static ranks
    only: tensors of unknown rank are left as they are."""
    predictions = _t(predictions)
    if labels is not None:
        labels, predictions = ranking._squeezed_pair(_t(labels), predictions)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
    if weights is None:
        return predictions, labels, None
    weights = _t(weights)
    wr, pr = weights.shape.ndims, predictions.shape.ndims
    if wr not in (None, 0) and pr is not None:
        if wr - pr == 1:
            weights = squeeze(weights, [-1])
        elif pr - wr == 1:
            weights = expand_dims(weights, -1)
    return predictions, labels, weights


def _broadcast_weights(weights, values):
    """``weights`` broadcast to the shape of ``values`` (TF's ``broadcast_weights``); they must broadcast to it."""
    ws, vs = weights.shape, values.shape
    if ws.ndims is not None and vs.ndims is not None and ws.ndims:
        ok = ws.ndims == vs.ndims and all(w in (None, 1) or v is None or w == v for w, v in zip(ws, vs))
        if not ok:
            raise ValueError(f"weights can not be broadcast to values. values.rank={vs.ndims}. "
                             f"weights.rank={ws.ndims}. values.shape={vs}. weights.shape={ws}.")
    return multiply(weights, ones_like(values))


# -- means

def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of ``values`` over every batch: ``total / count``, kept in ``mean/total`` and
    ``mean/count`` (float32).

    Parameters
    ----------
    values : Tensor
        Any shape; cast to float32.
    weights : Tensor, optional
        Of rank 0 or ``values``' rank (a trailing dim of 1 is squeezed or added), broadcastable to ``values``.
    metrics_collections, updates_collections : list of str, optional
        Collections the value and the update op are added to.
    name : str, optional
        The variable scope (default "mean").

    Returns
    -------
    mean, update_op : Tensor
        The mean so far (0 before anything was added), and an op adding the batch and giving the new mean.

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.placeholder(df.float32, [None])
    >>> m, update = df.metrics.mean(x)
    >>> with df.Session() as s:
    ...     _ = s.run(df.local_variables_initializer())
    ...     _ = s.run(update, {x: [1.0, 2.0]})
    ...     float(s.run(update, {x: [6.0]}))
    3.0
    """
    with variable_scope(name, default_name="mean"):
        values = cast(_t(values), _F32)
        total = metric_variable([], _F32, name="total")
        count = metric_variable([], _F32, name="count")
        if weights is None:
            num_values = cast(size(values), _F32)
        else:
            values, _, weights = _remove_squeezable(values, None, weights)
            weights = _broadcast_weights(cast(weights, _F32), values)
            values = multiply(values, weights)
            num_values = reduce_sum(weights)
        update_total = assign_add(total, reduce_sum(values))
        with control_dependencies([values]):
            update_count = assign_add(count, num_values)
        value = _collect(metrics_collections, divide_no_nan(total, maximum(count, 0.0), name="value"))
        update_op = divide_no_nan(update_total, maximum(update_count, 0.0), name="update_op")
        return value, _collect(updates_collections, update_op)


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The elementwise (weighted) mean of ``values`` (of a fully defined shape) over every batch, kept in
    ``mean/total_tensor`` and ``mean/count_tensor``."""
    with variable_scope(name, default_name="mean"):
        values = cast(_t(values), _F32)
        total = metric_variable(values.shape, _F32, name="total_tensor")
        count = metric_variable(values.shape, _F32, name="count_tensor")
        num_values = ones_like(values)
        if weights is not None:
            values, _, weights = _remove_squeezable(values, None, weights)
            weights = _broadcast_weights(cast(weights, _F32), values)
            values = multiply(values, weights)
            num_values = multiply(num_values, weights)
        update_total = assign_add(total, values)
        with control_dependencies([values]):
            update_count = assign_add(count, num_values)
        value = _collect(metrics_collections, divide_no_nan(total, maximum(count, 0.0), name="value"))
        update_op = divide_no_nan(update_total, maximum(update_count, 0.0), name="update_op")
        return value, _collect(updates_collections, update_op)


def accuracy(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """How often ``predictions`` equals ``labels`` (weighted): the ``mean`` of the matches, in
    ``accuracy/total`` and ``accuracy/count``. Predictions are cast to the labels' dtype."""
    predictions, labels, weights = _remove_squeezable(predictions, labels, weights)
    if labels.dtype != predictions.dtype:
        predictions = cast(predictions, labels.dtype)
    is_correct = cast(equal(predictions, labels), _F32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                        name=None):
    """The (weighted) mean of ``|predictions - labels|``."""
    predictions, labels, weights = _remove_squeezable(predictions, labels, weights)
    return mean(abs(predictions - labels), weights, metrics_collections, updates_collections,
                name or "mean_absolute_error")


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                       name=None):
    """The (weighted) mean of ``(predictions - labels) ** 2``."""
    predictions, labels, weights = _remove_squeezable(predictions, labels, weights)
    return mean(squared_difference(labels, predictions), weights, metrics_collections, updates_collections,
                name or "mean_squared_error")


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                            name=None):
    """The square root of ``mean_squared_error`` over every batch."""
    predictions, labels, weights = _remove_squeezable(predictions, labels, weights)
    mse, update_mse = mean_squared_error(labels, predictions, weights, None, None, name or "root_mean_squared_error")
    return _collect(metrics_collections, sqrt(mse)), _collect(updates_collections, sqrt(update_mse))


def mean_relative_error(labels, predictions, normalizer, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    """The (weighted) mean of ``|labels - predictions| / normalizer`` (0 where ``normalizer`` is 0)."""
    predictions, labels, weights = _remove_squeezable(predictions, labels, weights)
    predictions, normalizer = ranking._squeezed_pair(predictions, _t(normalizer, name="normalizer"))
    if not predictions.shape.is_compatible_with(normalizer.shape):
        raise ValueError(f"Shapes {predictions.shape} and {normalizer.shape} are incompatible")
    relative = where(equal(normalizer, 0.0), zeros_like(labels), truediv(abs(labels - predictions), normalizer))
    return mean(relative, weights, metrics_collections, updates_collections, name or "mean_relative_error")


def mean_cosine_distance(labels, predictions, dim, weights=None, metrics_collections=None, updates_collections=None,
                         name=None):
    """``1 - mean(sum(labels * predictions, dim))``: the mean cosine distance of unit-normalised vectors along
    ``dim``."""
    predictions, labels, weights = _remove_squeezable(predictions, labels, weights)
    radial = reduce_sum(multiply(predictions, labels), axis=[dim], keepdims=True)
    m, update = mean(radial, weights, None, None, name or "mean_cosine_distance")
    return _collect(metrics_collections, subtract(1.0, m)), _collect(updates_collections, subtract(1.0, update))


def percentage_below(values, threshold, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) fraction of ``values`` below ``threshold``."""
    below = cast(less(_t(values), threshold), _F32)
    return mean(below, weights, metrics_collections, updates_collections, name or "percentage_below_threshold")


# -- counts and what is made of them

def _count_condition(values, weights, metrics_collections, updates_collections):
    count = metric_variable([], _F32, name="count")
    values = cast(values, _F32)
    if weights is not None:
        weights = _t(weights)
        if weights.shape.ndims not in (None, 0, values.shape.ndims):
            raise ValueError(f"weights must have rank 0 or {values.shape.ndims} (the rank of the values), got "
                             f"shape {weights.shape}")
        values = multiply(values, cast(weights, _F32))
    update_op = assign_add(count, reduce_sum(values))
    return _collect(metrics_collections, count), _collect(updates_collections, update_op)


def _count(kind, label, prediction):
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        with variable_scope(name, default_name=kind):
            predictions, labels, weights = _remove_squeezable(cast(_t(predictions), dtypes.bool),
                                                              cast(_t(labels), dtypes.bool), weights)
            hit = logical_and(equal(labels, label), equal(predictions, prediction))
            return _count_condition(hit, weights, metrics_collections, updates_collections)
    metric.__name__ = kind
    metric.__doc__ = (f"The (weighted) number of {kind.replace('_', ' ')}: examples whose label is {label} and "
                      f"prediction {prediction} (both cast to bool), kept in ``{kind}/count`` (float32).")
    return metric


true_positives = _count("true_positives", True, True)
false_positives = _count("false_positives", False, True)
true_negatives = _count("true_negatives", False, False)
false_negatives = _count("false_negatives", True, False)


def _ratio_of_counts(kind, other, labels, predictions, weights, metrics_collections, updates_collections, name):
    with variable_scope(name, default_name=kind):
        predictions, labels, weights = _remove_squeezable(cast(_t(predictions), dtypes.bool),
                                                          cast(_t(labels), dtypes.bool), weights)
        tp, tp_update = true_positives(labels, predictions, weights)
        o, o_update = other(labels, predictions, weights)

        def ratio(a, b, name):
            return where(greater(a + b, 0.0), truediv(a, a + b), 0.0, name=name)
        return (_collect(metrics_collections, ratio(tp, o, "value")),
                _collect(updates_collections, ratio(tp_update, o_update, "update_op")))


def precision(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """``true_positives / (true_positives + false_positives)`` over every batch (0 when both are 0); labels and
    predictions are cast to bool."""
    return _ratio_of_counts("precision", false_positives, labels, predictions, weights, metrics_collections,
                            updates_collections, name)


def recall(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """``true_positives / (true_positives + false_negatives)`` over every batch (0 when both are 0); labels and
    predictions are cast to bool."""
    return _ratio_of_counts("recall", false_negatives, labels, predictions, weights, metrics_collections,
                            updates_collections, name)


# -- counts at thresholds

def _check_unit_interval(predictions):
    lo = Assert(reduce_all(greater_equal(predictions, cast(0.0, predictions.dtype))),
                ["predictions must be in [0, 1]", predictions])
    hi = Assert(reduce_all(less(predictions, cast(1.0, predictions.dtype)) | equal(predictions, cast(
        1.0, predictions.dtype))), ["predictions must be in [0, 1]", predictions])
    return [lo, hi]


def _confusion_at_thresholds(labels, predictions, thresholds, weights=None, includes=("tp", "fn", "tn", "fp")):
    """Per threshold ``t``: the (weighted) counts of examples with ``prediction > t`` (positive) against their
    bool label, each in a float32 variable of ``len(thresholds)`` entries (``true_positives``...). Returns the
    variables and their update ops, by key "tp", "fn", "tn", "fp"."""
    for key in includes:
        if key not in ("tp", "fn", "tn", "fp"):
            raise ValueError(f"Invalid key: {key}")
    predictions, labels = _t(predictions), _t(labels)
    with control_dependencies(_check_unit_interval(predictions)):
        predictions, labels, weights = _remove_squeezable(cast(predictions, _F32), cast(labels, dtypes.bool),
                                                          weights)
    n = len(thresholds)
    pred = reshape(predictions, [1, -1])
    label_pos = reshape(labels, [1, -1])
    thresh = convert_to_tensor(np.asarray(thresholds, np.float32).reshape(n, 1))
    pred_pos = greater(pred, thresh)  # [thresholds, examples], by broadcasting
    w = None
    if weights is not None:
        w = reshape(_broadcast_weights(cast(weights, _F32), predictions), [1, -1])
    names = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives", "fp": "false_positives"}
    conditions = {"tp": lambda: logical_and(label_pos, pred_pos),
                  "fn": lambda: logical_and(label_pos, logical_not(pred_pos)),
                  "tn": lambda: logical_and(logical_not(label_pos), logical_not(pred_pos)),
                  "fp": lambda: logical_and(logical_not(label_pos), pred_pos)}
    values, updates = {}, {}
    for key in ("tp", "fn", "tn", "fp"):
        if key not in includes:
            continue
        var = metric_variable([n], _F32, name=names[key])
        hits = cast(conditions[key](), _F32)
        if w is not None:
            hits = hits * w
        values[key], updates[key] = var, assign_add(var, reduce_sum(hits, 1))
    return values, updates


def _at_thresholds(kind, key):
    def metric(labels, predictions, thresholds, weights=None, metrics_collections=None, updates_collections=None,
               name=None):
        with variable_scope(name, default_name=kind):
            values, updates = _confusion_at_thresholds(labels, predictions, thresholds, weights, includes=(key,))
            return _collect(metrics_collections, values[key]), _collect(updates_collections, updates[key])
    metric.__name__ = f"{kind}_at_thresholds"
    metric.__doc__ = (f"The (weighted) number of {kind.replace('_', ' ')} at each of ``thresholds`` (an example is "
                      "predicted positive when its prediction, in [0, 1], is above the threshold), in a float32 "
                      f"variable ``{kind}`` of ``len(thresholds)`` entries.")
    return metric


true_positives_at_thresholds = _at_thresholds("true_positives", "tp")
false_positives_at_thresholds = _at_thresholds("false_positives", "fp")
true_negatives_at_thresholds = _at_thresholds("true_negatives", "tn")
false_negatives_at_thresholds = _at_thresholds("false_negatives", "fn")


def precision_at_thresholds(labels, predictions, thresholds, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    """``tp / (tp + fp + 1e-7)`` at each of ``thresholds``."""
    with variable_scope(name, default_name="precision_at_thresholds"):
        values, updates = _confusion_at_thresholds(labels, predictions, thresholds, weights, includes=("tp", "fp"))

        def compute(tp, fp, name):
            return truediv(tp, 1e-7 + tp + fp, name="precision_" + name)
        return (_collect(metrics_collections, compute(values["tp"], values["fp"], "value")),
                _collect(updates_collections, compute(updates["tp"], updates["fp"], "update_op")))


def recall_at_thresholds(labels, predictions, thresholds, weights=None, metrics_collections=None,
                         updates_collections=None, name=None):
    """``tp / (tp + fn + 1e-7)`` at each of ``thresholds``."""
    with variable_scope(name, default_name="recall_at_thresholds"):
        values, updates = _confusion_at_thresholds(labels, predictions, thresholds, weights, includes=("tp", "fn"))

        def compute(tp, fn, name):
            return truediv(tp, 1e-7 + tp + fn, name="recall_" + name)
        return (_collect(metrics_collections, compute(values["tp"], values["fn"], "value")),
                _collect(updates_collections, compute(updates["tp"], updates["fn"], "update_op")))


def _even_thresholds(num_thresholds):
    """TF's: ``num_thresholds - 2`` evenly spaced inner thresholds, and one just outside each end of [0, 1]."""
    eps = 1e-7
    return [0.0 - eps] + [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0 + eps]

