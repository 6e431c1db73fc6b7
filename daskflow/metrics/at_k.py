"""The ``*_at_k`` metrics: precision, recall and average precision of the top ``k`` predicted classes against dense
integer labels, with TF's set semantics (each row's labels and predicted classes are sets), names and float64
counts."""
from .. import dtypes
from ..graph import name_scope
from ..ops.array import expand_dims, reshape
from ..ops.generate import dim_size, range as _arange, shape, size
from ..ops.math import (cast, equal, greater_equal, less, less_equal, logical_and, logical_not, matmul, minimum,
                        multiply, truediv, where)
from ..ops.ranking import top_k
from ..ops.reduce import reduce_any, reduce_sum
from ..ops.state import assign_add
from ..ops.special import divide_no_nan
from .core import _broadcast_weights, _collect, _t, metric_variable

_F64, _I64 = dtypes.float64, dtypes.int64


def _at_k_name(name, k=None, class_id=None):
    name = f"{name}_at_{k}" if k is not None else f"{name}_at_k"
    return f"{name}_class{class_id}" if class_id is not None else name


def _labels_like(labels, predictions_idx):
    """TF's ``_maybe_expand_labels``: int64 labels of the rank of ``predictions_idx`` (a last dim of 1 added)."""
    labels = _t(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class ids, got '{labels.name}' of dtype {labels.dtype.name}")
    labels = cast(labels, _I64)
    lr, pr = labels.shape.ndims, predictions_idx.shape.ndims
    if None not in (lr, pr) and pr == lr + 1:
        return expand_dims(labels, -1)
    if None not in (lr, pr) and pr != lr:
        raise ValueError(f"Unexpected labels shape {labels.shape} for predictions shape {predictions_idx.shape}. "
                         "Predictions rank should be the same rank as labels rank or labels rank plus one .")
    return labels


def _first(ids):
    """Whether each entry of the last axis of ``ids`` is the first of its value in its row (sets count it once)."""
    n = dim_size(ids, -1)
    earlier = less(expand_dims(_arange(n), 0), expand_dims(_arange(n), 1))  # [j, j']: j' comes before j
    repeat = reduce_any(logical_and(equal(expand_dims(ids, -1), expand_dims(ids, -2)), earlier), axis=-1)
    return logical_not(repeat)


def _set_counts(labels, predictions_idx, class_id):
    """Per row: float64 sizes of P & L (true positives), P - L (false positives) and L - P (false negatives),
    where P, L are the sets of the row's predicted classes and labels (both restricted to ``class_id`` if given)."""
    if class_id is not None:
        p_has = reduce_any(equal(predictions_idx, class_id), axis=-1)
        l_has = reduce_any(equal(labels, class_id), axis=-1)
        both = [logical_and(p_has, l_has), logical_and(p_has, logical_not(l_has)),
                logical_and(l_has, logical_not(p_has))]
        return [cast(b, _F64) for b in both]
    same = equal(expand_dims(labels, -1), expand_dims(predictions_idx, -2))  # [..., labels, predictions]
    p_in_l, l_in_p = reduce_any(same, axis=-2), reduce_any(same, axis=-1)
    first_p, first_l = _first(predictions_idx), _first(labels)

    def count(a, b):
        return reduce_sum(cast(logical_and(a, b), _F64), axis=-1)
    return [count(first_p, p_in_l), count(first_p, logical_not(p_in_l)), count(first_l, logical_not(l_in_p))]


def _weighted(count, weights):
    if weights is None:
        return count
    return multiply(count, _broadcast_weights(cast(_t(weights), _F64), count))


def _streaming_count(kind, count, k, class_id, weights):
    with name_scope(None, _at_k_name(kind, k, class_id)) as scope:
        total = cast(reduce_sum(_weighted(count, weights)), _F64)
        var = metric_variable([], _F64, name=scope)
        return var, assign_add(var, total, name="update")


def _ratio_at_top_k(kind, other, labels, predictions_idx, k, class_id, weights, metrics_collections,
                    updates_collections, name):
    with name_scope(name, _at_k_name(kind, k, class_id)) as scope:
        idx = cast(_t(predictions_idx), _I64)
        labels = _labels_like(labels, idx)
        tp_count, fp_count, fn_count = _set_counts(labels, idx, class_id)
        tp, tp_update = _streaming_count("true_positive", tp_count, k, class_id, weights)
        o_count = fp_count if other == "false_positive" else fn_count
        o, o_update = _streaming_count(other, o_count, k, class_id, weights)
        metric = truediv(tp, tp + o, name=scope)
        update = truediv(tp_update, tp_update + o_update, name="update")
        return _collect(metrics_collections, metric), _collect(updates_collections, update)


def precision_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
    """Precision of the predicted class ids ``predictions_idx`` ([D1, ... DN, k]) against ``labels``: the
    (weighted) true positives over true plus false positives, summed over every batch (float64, NaN before any
    prediction). With ``class_id``, only that class counts. The counts are kept in ``precision_at_<k>/
    true_positive_at_<k>`` and ``false_positive_at_<k>``."""
    return _ratio_at_top_k("precision", "false_positive", labels, predictions_idx, k, class_id, weights,
                           metrics_collections, updates_collections, name)


def recall_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None, metrics_collections=None,
                    updates_collections=None, name=None):
    """Recall of the predicted class ids ``predictions_idx`` ([D1, ... DN, k]) against ``labels``: the
    (weighted) true positives over true positives plus false negatives, summed over every batch (float64). With
    ``class_id``, only that class counts."""
    return _ratio_at_top_k("recall", "false_negative", labels, predictions_idx, k, class_id, weights,
                           metrics_collections, updates_collections, name)


def precision_at_k(labels, predictions, k, class_id=None, weights=None, metrics_collections=None,
                   updates_collections=None, name=None):
    """``precision_at_top_k`` of the ``k`` classes with the largest ``predictions`` ([D1, ... DN, num_classes]
    scores) in each row.

    Examples
    --------
    >>> import daskflow as df
    >>> import numpy as np
    >>> p, update = df.metrics.precision_at_k(np.array([[1], [0]], np.int64), [[0.1, 0.9, 0.3], [0.2, 0.1, 0.7]], 2)
    >>> with df.Session() as s:
    ...     _ = s.run(df.local_variables_initializer())
    ...     float(s.run(update))
    0.5
    """
    with name_scope(name, _at_k_name("precision", k, class_id)) as scope:
        _, idx = top_k(_t(predictions), k)
        return precision_at_top_k(labels, idx, k, class_id, weights, metrics_collections, updates_collections, scope)


def recall_at_k(labels, predictions, k, class_id=None, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
    """``recall_at_top_k`` of the ``k`` classes with the largest ``predictions`` in each row."""
    with name_scope(name, _at_k_name("recall", k, class_id)) as scope:
        _, idx = top_k(_t(predictions), k)
        return recall_at_top_k(labels, idx, k, class_id, weights, metrics_collections, updates_collections, scope)


def sparse_precision_at_k(labels, predictions, k, class_id=None, weights=None, metrics_collections=None,
                          updates_collections=None, name=None):
    """TF's deprecated name of ``precision_at_k``."""
    return precision_at_k(labels, predictions, k, class_id, weights, metrics_collections, updates_collections, name)


def _average_precision(labels, idx, k):
    """Per row: ``sum_j precision@j * rel_j / min(#labels >= 0, k)`` over the ``k`` predicted classes (TF's)."""
    with name_scope(None, "average_precision") as scope:
        labels = _labels_like(labels, idx)
        relevant = cast(reduce_any(equal(expand_dims(labels, -2), expand_dims(idx, -1)), axis=-1), _F64)
        upper = cast(less_equal(expand_dims(_arange(k), 1), expand_dims(_arange(k), 0)), _F64)
        tp_per_k = reshape(matmul(reshape(relevant, [-1, k]), upper), shape(relevant))  # running sums over k
        precision = truediv(tp_per_k, cast(_arange(1, k + 1), _F64))
        total = reduce_sum(precision * relevant, axis=-1)
        num_relevant = minimum(reduce_sum(cast(greater_equal(labels, 0), _I64), axis=-1), k)
        return truediv(total, cast(num_relevant, _F64), name=scope)


def average_precision_at_k(labels, predictions, k, weights=None, metrics_collections=None, updates_collections=None,
                           name=None):
    """The (weighted) mean over every row of the average precision of its ``k`` top-scored classes
    (``sum_j precision@j * [class j is a label] / min(number of labels, k)``), as TF computes it: labels
    ``>= num_classes`` are ignored; float64, kept in ``average_precision_at_<k>/total`` and ``.../max``."""
    if k < 1:
        raise ValueError(f"Invalid k={k}. `k` should be >= 1.")
    with name_scope(name, _at_k_name("average_precision", k)) as scope:
        predictions = _t(predictions)
        _, idx = top_k(predictions, k)
        idx = cast(idx, _I64)
        labels = cast(_t(labels), _I64)
        n = cast(dim_size(predictions, -1), _I64)
        labels = where(greater_equal(labels, n), labels * 0 - 1, labels)  # out of range: not relevant
        with name_scope(scope) as inner:  # TF re-enters the same scope
            ap = _average_precision(labels, idx, k)
            w = None if weights is None else _broadcast_weights(cast(_t(weights), _F64), ap)
            if w is not None:
                ap = multiply(ap, w)
            with name_scope(None, "max") as max_scope:
                max_var = metric_variable([], _F64, name=max_scope)
                batch_max = cast(size(ap), _F64) if w is None else reduce_sum(w, name="batch_max")
                max_update = assign_add(max_var, batch_max, name="update")
            with name_scope(None, "total") as total_scope:
                total_var = metric_variable([], _F64, name=total_scope)
                total_update = assign_add(total_var, reduce_sum(ap, name="batch_total"), name="update")
            metric = divide_no_nan(total_var, max_var, name="mean")
            update = divide_no_nan(total_update, max_update, name=inner)
        return _collect(metrics_collections, metric), _collect(updates_collections, update)


def sparse_average_precision_at_k(labels, predictions, k, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
    """TF's deprecated name of ``average_precision_at_k``."""
    return average_precision_at_k(labels, predictions, k, weights, metrics_collections, updates_collections, name)
