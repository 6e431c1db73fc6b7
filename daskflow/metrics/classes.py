"""Per-class metrics: ``mean_iou`` (from a streamed confusion matrix) and ``mean_per_class_accuracy``."""
from .. import dtypes
from ..ops.array import reshape
from ..ops.generate import eye, ones_like
from ..ops.math import cast, equal, greater, not_equal, truediv, where
from ..ops.indexing import unsorted_segment_sum
from ..ops.ranking import confusion_matrix
from ..ops.reduce import reduce_mean, reduce_sum
from ..ops.state import assign_add
from ..ops.variable_scope import variable_scope
from ..ops.special import divide_no_nan
from .core import _collect, _t, maximum, metric_variable

_F32, _F64, _I64 = dtypes.float32, dtypes.float64, dtypes.int64


def _flat(x):
    return reshape(x, [-1]) if x.shape.ndims is None or x.shape.ndims > 1 else x


def mean_iou(labels, predictions, num_classes, weights=None, metrics_collections=None, updates_collections=None,
             name=None):
    """The mean over classes of the intersection over union ``tp / (tp + fp + fn)``, from a float64 confusion
    matrix streamed over every batch (``mean_iou/total_confusion_matrix``); classes never seen are left out of the
    mean, and the update op gives the updated matrix, as TF's does.

    Labels and predictions are integer class ids in ``[0, num_classes)`` of the same shape (flattened); ids out of
    range raise ``InvalidArgumentError`` when run.
    """
    with variable_scope(name, default_name="mean_iou"):
        labels, predictions = _t(labels), _t(predictions)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
        total_cm = metric_variable([num_classes, num_classes], _F64, name="total_confusion_matrix")
        w = None if weights is None else _flat(_t(weights))
        current = confusion_matrix(_flat(cast(labels, _I64)), _flat(cast(predictions, _I64)), num_classes,
                                   weights=w, dtype=_F64)
        update_op = assign_add(total_cm, current)
        cm = total_cm
        sum_over_row = cast(reduce_sum(cm, 0), _F32)
        sum_over_col = cast(reduce_sum(cm, 1), _F32)
        diag = cast(reduce_sum(cm * eye(num_classes, dtype=_F64), 1), _F32)
        denominator = sum_over_row + sum_over_col - diag
        valid = reduce_sum(cast(not_equal(denominator, 0.0), _F32))
        denominator = where(greater(denominator, 0.0), denominator, ones_like(denominator))
        iou = truediv(diag, denominator)
        value = where(greater(valid, 0.0), reduce_sum(iou, name="mean_iou") / valid, 0.0)
        return _collect(metrics_collections, value), _collect(updates_collections, update_op)


def mean_per_class_accuracy(labels, predictions, num_classes, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    """The mean over classes of the (weighted) fraction of each class's examples predicted right, kept per class
    in ``mean_accuracy/total`` (examples) and ``mean_accuracy/count`` (right ones), float32."""
    with variable_scope(name, default_name="mean_accuracy"):
        labels, predictions = _flat(cast(_t(labels), _I64)), _flat(_t(predictions))
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
        total = metric_variable([num_classes], _F32, name="total")
        count = metric_variable([num_classes], _F32, name="count")
        ones = ones_like(labels, dtype=_F32)
        if labels.dtype != predictions.dtype:
            predictions = cast(predictions, labels.dtype)
        is_correct = cast(equal(predictions, labels), _F32)
        if weights is not None:
            w = cast(_flat(_t(weights)), _F32)
            is_correct, ones = is_correct * w, ones * w
        update_total = assign_add(total, unsorted_segment_sum(ones, labels, num_classes))
        update_count = assign_add(count, unsorted_segment_sum(is_correct, labels, num_classes))
        value = reduce_mean(divide_no_nan(count, maximum(total, 0.0)), name="mean_accuracy")
        update_op = divide_no_nan(update_count, maximum(update_total, 0.0), name="update_op")
        return _collect(metrics_collections, value), _collect(updates_collections, update_op)
