"""Weight regularizers, as TF1's ``tf.contrib.layers`` had them: functions of a weight tensor giving a scalar
penalty, for ``get_variable(..., regularizer=...)`` (which adds the penalty to the ``regularization_losses``
collection, summed by ``df.losses.get_regularization_loss``) or for ``apply_regularization``.

A regularizer of scale 0 gives None (no penalty); a negative or integer scale raises ``ValueError``, as TF's.
"""
import logging
import numbers

from .graph import name_scope
from .ops.math import add_n as _add_n
from .ops.math import abs as _abs, multiply
from .ops.nn import l2_loss
from .ops.reduce import reduce_sum
from .ops.registry import convert_to_tensor
from .ops.state import constant
from .ops.variable_scope import REGULARIZATION_LOSSES, add_to_collection, get_collection

__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "apply_regularization"]

WEIGHTS = "weights"  # GraphKeys.WEIGHTS
_log = logging.getLogger(__name__)


def _disabled(scale, dot=""):
    """Check a Python ``scale``; True when it is 0 (the regularizer gives None)."""
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}{dot}")
        if scale == 0.0:
            _log.info("Scale of 0 disables regularizer.")
            return True
    return False


def _scaled(default_name, scope, scale, penalty_of):
    def regularizer(weights):
        with name_scope(scope, default_name, [weights]) as name:
            my_scale = convert_to_tensor(scale, dtype=weights.dtype, name="scale")
            return multiply(my_scale, penalty_of(weights), name=name)
    return regularizer


def l1_regularizer(scale, scope=None):
    """A regularizer ``l1(weights) = scale * sum(|weights|)``, its ops under ``scope`` (default
    ``l1_regularizer``). ``scale`` is a float or a scalar tensor; 0.0 disables it (the regularizer gives None).

    >>> w = df.get_variable("w", [3, 2], regularizer=df.regularizers.l1_regularizer(0.01))
    """
    if _disabled(scale):
        return lambda _: None
    return _scaled("l1_regularizer", scope, scale, lambda w: reduce_sum(_abs(w)))


def l2_regularizer(scale, scope=None):
    """A regularizer ``l2(weights) = scale * sum(weights**2) / 2`` (``scale * nn.l2_loss(weights)``), its ops under
    ``scope`` (default ``l2_regularizer``). ``scale`` is a float or a scalar tensor; 0.0 disables it (the
    regularizer gives None).

    >>> w = df.get_variable("w", [3, 2], regularizer=df.regularizers.l2_regularizer(0.1))
    >>> penalty = df.losses.get_regularization_loss()   # 0.1 * sum(w**2) / 2
    """
    if _disabled(scale, dot="."):
        return lambda _: None
    return _scaled("l2_regularizer", scope, scale, l2_loss)


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """A regularizer ``scale_l1 * sum(|w|) + scale_l2 * sum(w**2) / 2``, its ops under ``scope`` (default
    ``l1_l2_regularizer``); with one scale 0.0, the other's regularizer alone under that scope."""
    if isinstance(scale_l1, numbers.Integral):
        raise ValueError(f"scale_l1 cannot be an integer: {scale_l1}")
    if isinstance(scale_l2, numbers.Integral):
        raise ValueError(f"scale_l2 cannot be an integer: {scale_l2}")
    scope = scope or "l1_l2_regularizer"
    if isinstance(scale_l1, numbers.Real) and scale_l1 == 0.0:
        return l2_regularizer(scale_l2, scope)
    if isinstance(scale_l2, numbers.Real) and scale_l2 == 0.0:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def sum_regularizer(regularizer_list, scope=None):
    """A regularizer giving the sum of the penalties of ``regularizer_list`` (those not None), its ops under
    ``scope`` (default ``sum_regularizer``); None when the list holds no regularizer, and the regularizer gives
    None where every penalty is None."""
    regularizer_list = [reg for reg in regularizer_list if reg is not None]
    if not regularizer_list:
        return None

    def sum_reg(weights):
        with name_scope(scope, "sum_regularizer", [weights]) as name:
            penalties = [p for p in (reg(weights) for reg in regularizer_list) if p is not None]
            return _add_n(penalties, name=name) if penalties else None
    return sum_reg


def apply_regularization(regularizer, weights_list=None):
    """The sum of ``regularizer``'s penalties on each of ``weights_list`` (by default the ``weights``
    collection), named ``get_regularization_penalty`` and added to the ``regularization_losses`` collection.

    Raises ``ValueError`` when there are no weights, or when a penalty is not a scalar.
    """
    if not weights_list:
        weights_list = get_collection(WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with name_scope("get_regularization_penalty", values=weights_list) as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else constant(0.0) for p in penalties]
        for p in penalties:
            if p.shape.ndims != 0:
                raise ValueError(f"regularizer must return a scalar Tensor instead of a Tensor with rank "
                                 f"{p.shape.ndims}.")
        summed_penalty = _add_n(penalties, name=scope)
        add_to_collection(REGULARIZATION_LOSSES, summed_penalty)
        return summed_penalty
