"""Neural-network activations: relu and relu6 as ops; softmax and log_softmax as stable composites of math and
reduction ops (max-shifted, so they work for any chunking of the softmax axis and get their gradients free)."""
import dask.array as da

from ..graph import name_scope
from .math import exp, log, subtract, truediv
from .reduce import _float_input, _pick, reduce_max, reduce_sum
from .registry import apply1, defop, fail
from .state import stop_gradient

__all__ = ["relu", "relu6", "softmax", "log_softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits"]


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
