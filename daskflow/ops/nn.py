"""Neural-network activations: relu and relu6 as ops; softmax and log_softmax as stable composites of math and
reduction ops (max-shifted, so they work for any chunking of the softmax axis and get their gradients free)."""
import dask.array as da

from ..graph import name_scope
from .math import exp, log, subtract, truediv
from .reduce import _float_input, _pick, reduce_max, reduce_sum
from .registry import apply1, defop, fail
from .state import stop_gradient

__all__ = ["relu", "relu6", "softmax", "log_softmax"]


def _real_numeric(op):
    x = op.inputs[0]
    if x.dtype.kind not in "fiu":
        fail(op, f"{op.type} needs a real numeric input, got '{x.name}' of dtype {x.dtype.name}")
    return [(x.shape, x.dtype)]


defop("Relu", _real_numeric, lambda op, x: da.maximum(x, 0))
defop("Relu6", _real_numeric, lambda op, x: da.minimum(da.maximum(x, 0), 6))


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
