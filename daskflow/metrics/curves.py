"""Metrics read off the counts at evenly spaced thresholds: ``auc`` (ROC and PR curves, TF's Riemann sums and
its careful interpolation of PR) and the sensitivity/specificity pairs, with TF's epsilons."""
from ..ops.generate import range as _arange
from ..ops.indexing import gather
from ..ops.math import abs as _abs
from ..ops.math import cast, equal, greater, log, logical_and, maximum, minimum, multiply, truediv, where
from ..ops.reduce import argmin, reduce_max, reduce_min, reduce_sum
from ..ops.variable_scope import variable_scope
from ..ops.special import divide_no_nan
from .core import _collect, _confusion_at_thresholds, _even_thresholds

_SUMMATIONS = ("trapezoidal", "careful_interpolation", "minoring", "majoring")


def _interpolate_pr_auc(tp, fp, fn, n):
    """TF's "careful interpolation" of the PR curve (Davis & Goadrich 2006): precision interpolated as a function of
    the number of positive predictions between each pair of thresholds, integrated exactly."""
    dtp = tp[:n - 1] - tp[1:]
    p = tp + fp
    slope = divide_no_nan(dtp, maximum(p[:n - 1] - p[1:], 0.0), name="prec_slope")
    intercept = tp[1:] - multiply(slope, p[1:])
    both = logical_and(greater(p[:n - 1], 0.0), greater(p[1:], 0.0))
    ratio = where(both, divide_no_nan(p[:n - 1], maximum(p[1:], 0.0), name="recall_relative_ratio"), p[1:] * 0 + 1)
    return reduce_sum(divide_no_nan(slope * (dtp + intercept * log(ratio)), maximum(tp[1:] + fn[1:], 0.0),
                                  name="pr_auc_increment"), name="interpolate_pr_auc")


def _auc_of(tp, fn, tn, fp, n, curve, summation_method, name):
    if curve == "PR" and summation_method == "careful_interpolation":
        return _interpolate_pr_auc(tp, fp, fn, n)
    eps = 1.0e-6
    rec = truediv(tp + eps, tp + fn + eps)
    if curve == "ROC":
        x, y = truediv(fp, fp + tn + eps), rec
    else:
        x, y = rec, truediv(tp + eps, tp + fp + eps)
    if summation_method in ("trapezoidal", "careful_interpolation"):
        heights = (y[:n - 1] + y[1:]) / 2.0
    elif summation_method == "minoring":
        heights = minimum(y[:n - 1], y[1:])
    else:
        heights = maximum(y[:n - 1], y[1:])
    return reduce_sum(multiply(x[:n - 1] - x[1:], heights), name=name)


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None, updates_collections=None,
        curve="ROC", name=None, summation_method="trapezoidal", thresholds=None):
    """The area under the ROC or precision-recall curve, from counts at ``num_thresholds`` thresholds (TF's
    Riemann sum, so an approximation of the exact area).

    Parameters
    ----------
    labels : Tensor
        Cast to bool.
    predictions : Tensor
        Floating point in [0, 1] (checked when run), of the labels' shape.
    num_thresholds : int
        Evenly spaced thresholds over [0, 1] (the outer two just outside it); ignored with ``thresholds``.
    curve : str
        "ROC" (true positive rate against false positive rate) or "PR" (precision against recall).
    summation_method : str
        "trapezoidal", "careful_interpolation" (for PR: TF's exact integral of interpolated precision; for ROC the
        trapezoidal rule), "minoring" or "majoring" (left or right Riemann sums, under or over the curve).
    thresholds : list of float, optional
        The thresholds to use (sorted, with the two outer ones added).

    Returns
    -------
    auc, update_op : Tensor
        float32 scalars; the counts are kept in ``auc/true_positives``, ``false_negatives``, ``true_negatives`` and
        ``false_positives``, one entry per threshold.
    """
    with variable_scope(name, default_name="auc"):
        if curve not in ("ROC", "PR"):
            raise ValueError(f"Curve must be either ROC or PR. Curve {curve} is unknown.")
        if summation_method not in _SUMMATIONS:
            raise ValueError(f"Invalid summation_method: {summation_method} summation_method should be "
                             "'trapezoidal', 'careful_interpolation', 'minoring', or 'majoring'.")
        if thresholds is not None:
            eps = 1e-7
            thresholds = [0.0 - eps] + sorted(thresholds) + [1.0 + eps]
        else:
            thresholds = _even_thresholds(num_thresholds)
        n = len(thresholds)
        values, updates = _confusion_at_thresholds(labels, predictions, thresholds, weights)
        value = _auc_of(values["tp"], values["fn"], values["tn"], values["fp"], n, curve, summation_method, "value")
        update = _auc_of(updates["tp"], updates["fn"], updates["tn"], updates["fp"], n, curve, summation_method,
                         "update_op")
        return _collect(metrics_collections, value), _collect(updates_collections, update)


def _check_rate(what, value):
    if value < 0 or value > 1:
        raise ValueError(f"`{what}` must be in the range [0, 1]. Currently, `{what}` got {value}.")


def sensitivity_at_specificity(labels, predictions, specificity, weights=None, num_thresholds=200,
                               metrics_collections=None, updates_collections=None, name=None):
    """The sensitivity (true positive rate) at the threshold whose specificity is closest to ``specificity``
    (the first such threshold), from counts at ``num_thresholds`` evenly spaced thresholds, as TF computes it."""
    _check_rate("specificity", specificity)
    with variable_scope(name, default_name="sensitivity_at_specificity"):
        eps = 1e-7
        values, updates = _confusion_at_thresholds(labels, predictions, _even_thresholds(num_thresholds), weights)

        def compute(tp, tn, fp, fn, name):
            specificities = truediv(tn, tn + fp + eps)
            i = cast(argmin(_abs(specificities - specificity), 0), "int32")
            return truediv(gather(tp, i), gather(tp, i) + gather(fn, i) + eps, name=name)
        return (_collect(metrics_collections, compute(values["tp"], values["tn"], values["fp"], values["fn"],
                                                      "value")),
                _collect(updates_collections, compute(updates["tp"], updates["tn"], updates["fp"], updates["fn"],
                                                      "update_op")))


def specificity_at_sensitivity(labels, predictions, sensitivity, weights=None, num_thresholds=200,
                               metrics_collections=None, updates_collections=None, name=None):
    """The specificity (true negative rate) at the threshold whose sensitivity is closest to ``sensitivity`` (the
    last such threshold, as TF picks it), from counts at ``num_thresholds`` evenly spaced thresholds."""
    _check_rate("sensitivity", sensitivity)
    with variable_scope(name, default_name="specificity_at_sensitivity"):
        eps = 1e-7
        values, updates = _confusion_at_thresholds(labels, predictions, _even_thresholds(num_thresholds), weights)

        def compute(tp, tn, fp, fn, name):
            gap = _abs(truediv(tp, tp + fn + eps) - sensitivity)
            at_min = equal(gap, reduce_min(gap))
            index = _arange(num_thresholds)
            i = reduce_max(where(at_min, index, index * 0 - 1))  # the last threshold closest to the target
            return truediv(gather(tn, i), gather(tn, i) + gather(fp, i) + eps, name=name)
        return (_collect(metrics_collections, compute(values["tp"], values["tn"], values["fp"], values["fn"],
                                                      "value")),
                _collect(updates_collections, compute(updates["tp"], updates["tn"], updates["fp"], updates["fn"],
                                                      "update_op")))

