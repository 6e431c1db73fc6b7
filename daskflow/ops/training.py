"""Fused optimizer updates (TF's ``ApplyAdam`` family): the elementwise math of one variable's update in one
kernel per block, instead of a dozen ops (and tasks) each making a temporary. The updates themselves stay ordinary
assignments made by ``daskflow.train``."""
import dask.array as da

from .. import backend
from ..backend import xp
from .registry import NOT_DIFFERENTIABLE, apply, fail, register, same_dtype, same_shape

__all__ = ["adam_update"]


def _adam_block(g, m, v, lr, beta1, beta2, eps):
    mod = xp(g)
    out = mod.empty((3,) + g.shape, dtype=g.dtype)
    m_t, v_t, step = out[0], out[1], out[2]
    mod.subtract(g, m, out=m_t)       # m + (g - m)(1 - beta1)
    m_t *= 1 - beta1
    m_t += m
    mod.square(g, out=v_t)            # v + (g^2 - v)(1 - beta2)
    v_t -= v
    v_t *= 1 - beta2
    v_t += v
    mod.sqrt(v_t, out=step)           # m_t * lr / (sqrt(v_t) + eps)
    step += eps
    mod.divide(m_t, step, out=step)
    step *= lr
    return out


@register("AdamUpdate")
class AdamUpdate:
    """Outputs ``m_t``, ``v_t`` and the step ``m_t * lr / (sqrt(v_t) + epsilon)`` of Adam for gradient ``grad``
    and slots ``m``, ``v``; ``lr`` (already bias-corrected), ``beta1``, ``beta2``, ``epsilon`` are scalars."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        g, m, v, *scalars = op.inputs
        dt = same_dtype(op, *op.inputs)
        if dt.kind != "f":
            fail(op, f"AdamUpdate needs floating point inputs, got {dt.name}")
        for t in scalars:
            if t.shape.ndims is not None and t.shape.ndims != 0:
                fail(op, f"AdamUpdate's hyper-parameters are scalars, got '{t.name}' of shape {t.shape}")
        shape = same_shape(op, g, m, v)
        return [(shape, dt)] * 3

    def lower(op, g, m, v, lr, beta1, beta2, eps):
        ind = tuple(range(1, g.ndim + 1))
        packed = da.blockwise(_adam_block, (0,) + ind, g, ind, m, ind, v, ind, lr, (), beta1, (), beta2, (),
                              eps, (), new_axes={0: 3}, dtype=g.dtype, meta=backend.meta(g, g.dtype, g.ndim + 1))
        return [packed[0], packed[1], packed[2]]


def adam_update(grad, m, v, lr, beta1, beta2, epsilon, name="AdamUpdate"):
    """``(m_t, v_t, step)`` of one Adam update, fused (see ``AdamUpdate``)."""
    return apply("AdamUpdate", [grad, m, v, lr, beta1, beta2, epsilon], name=name)
