"""Fused optimizer updates (TF's ``ApplyAdam`` family): the elementwise math of one variable's update in one
kernel per block, instead of a dozen ops (and tasks) each making a temporary. The updates themselves stay ordinary
assignments made by ``daskflow.train``."""
import dask.array as da

from .. import backend
from ..backend import xp
from ..kernels import _quiet
from .registry import NOT_DIFFERENTIABLE, apply, fail, register, same_dtype, same_shape, tuple_outputs

__all__ = ["adam_update"]


def _adam_block(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, eps, g):
    """``(var_t, m_t, v_t)`` of one block, each a new array written in place (the inputs are variable values,
    never modified); 0-d blocks too, since every step writes through ``out=``."""
    mod = xp(var)
    var_t, m_t, v_t = (mod.empty(var.shape, dtype=var.dtype) for _ in range(3))
    with _quiet(mod):  # inf and nan are values, as in the ops unfused
        lr_t = lr * mod.sqrt(1 - beta2_power) / (1 - beta1_power)
        mod.subtract(g, m, out=m_t)       # m + (g - m)(1 - beta1)
        m_t *= 1 - beta1
        m_t += m
        mod.square(g, out=v_t)            # v + (g^2 - v)(1 - beta2)
        v_t -= v
        v_t *= 1 - beta2
        v_t += v
        mod.sqrt(v_t, out=var_t)          # var - lr_t * m_t / (sqrt(v_t) + eps)
        var_t += eps
        mod.divide(m_t, var_t, out=var_t)
        var_t *= lr_t
        mod.subtract(var, var_t, out=var_t)
    return var_t, m_t, v_t


@register("AdamUpdate")
class AdamUpdate:
    """TF's ``ApplyAdam`` as a value: outputs ``var_t``, ``m_t``, ``v_t`` of one Adam step for gradient ``grad``::

        lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power)
        m_t = beta1 * m + (1 - beta1) * grad
        v_t = beta2 * v + (1 - beta2) * grad**2
        var_t = var - lr_t * m_t / (sqrt(v_t) + epsilon)

    ``beta1_power``, ``beta2_power``, ``lr``, ``beta1``, ``beta2`` and ``epsilon`` are scalars."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        var, m, v, *scalars, g = op.inputs
        dt = same_dtype(op, *op.inputs)
        if dt.kind != "f":
            fail(op, f"AdamUpdate needs floating point inputs, got {dt.name}")
        for t in scalars:
            if t.shape.ndims is not None and t.shape.ndims != 0:
                fail(op, f"AdamUpdate's hyper-parameters are scalars, got '{t.name}' of shape {t.shape}")
        shape = same_shape(op, var, m, v, g)
        return [(shape, dt)] * 3

    def lower(op, var, m, v, b1p, b2p, lr, beta1, beta2, eps, g):
        ind = tuple(range(var.ndim))
        meta = backend.meta(var, var.dtype)
        # one kernel task per block, returning its three new blocks as a tuple
        packed = da.blockwise(_adam_block, ind, var, ind, m, ind, v, ind, b1p, (), b2p, (), lr, (), beta1, (),
                              beta2, (), eps, (), g, ind, dtype=var.dtype, meta=meta)
        return tuple_outputs(packed, [packed.chunks] * 3, [meta] * 3, "adam")


def adam_update(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, name="AdamUpdate"):
    """``(var_t, m_t, v_t)`` of one Adam step, fused (see ``AdamUpdate``); inputs in TF's ``ApplyAdam`` order."""
    return apply("AdamUpdate", [var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad], name=name)
