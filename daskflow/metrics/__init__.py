"""TF1's streaming metrics (``tf.compat.v1.metrics``): each function returns ``(value, update_op)``.

A metric keeps its running sums in local variables (in the ``local_variables`` and ``metric_variables``
collections, zero-initialised, named as TF names them: ``accuracy/total:0``, ``auc/true_positives:0``...).
Running ``update_op`` adds a batch to them and gives the metric over everything added so far; ``value`` reads the
metric without changing anything; running ``df.local_variables_initializer()`` starts over. Everything is built
from public ops as TF builds it, so the arithmetic (float32 sums, TF's epsilons and interpolations) follows TF's.

Labels of the ``*_at_k`` family are dense integer tensors, of shape ``[D1, ... DN, num_labels]`` or
``[D1, ... DN]``; as in TF each row's labels are a set (repeats count once, and every value counts, negative ones
too, except in the average precision). ``SparseTensor`` labels are refused with a ``TypeError``.
"""
from .at_k import (average_precision_at_k, precision_at_k, precision_at_top_k, recall_at_k, recall_at_top_k,
                   sparse_average_precision_at_k, sparse_precision_at_k)
from .classes import mean_iou, mean_per_class_accuracy
from .core import (METRIC_VARIABLES,  # noqa: F401 - METRIC_VARIABLES and metric_variable: as in TF's metrics_impl
                   accuracy, false_negatives, false_negatives_at_thresholds, false_positives,
                   false_positives_at_thresholds, mean, mean_absolute_error, mean_cosine_distance,
                   mean_relative_error, mean_squared_error, mean_tensor, metric_variable, percentage_below, precision,
                   precision_at_thresholds, recall, recall_at_thresholds, root_mean_squared_error, true_negatives,
                   true_negatives_at_thresholds, true_positives, true_positives_at_thresholds)
from .curves import auc, sensitivity_at_specificity, specificity_at_sensitivity

__all__ = ["accuracy", "auc", "average_precision_at_k", "false_negatives", "false_negatives_at_thresholds",
           "false_positives", "false_positives_at_thresholds", "mean", "mean_absolute_error", "mean_cosine_distance",
           "mean_iou", "mean_per_class_accuracy", "mean_relative_error", "mean_squared_error", "mean_tensor",
           "percentage_below", "precision", "precision_at_k", "precision_at_thresholds", "precision_at_top_k",
           "recall", "recall_at_k", "recall_at_thresholds", "recall_at_top_k", "root_mean_squared_error",
           "sensitivity_at_specificity", "sparse_average_precision_at_k", "sparse_precision_at_k",
           "specificity_at_sensitivity", "true_negatives", "true_negatives_at_thresholds", "true_positives",
           "true_positives_at_thresholds"]
