"""More of TF1's learning rate schedules: cosine decay with warm restarts (SGDR), linear cosine decay and its noisy
form, and ``piecewise_constant_decay`` (the name TF1 also gives ``piecewise_constant``).

Like those of ``learning_rate``, each is a few graph ops of the global step, evaluated in the run that uses it.
"""
import math

from ..graph import Tensor, name_scope
from ..ops.math import cast, cos, equal, floor, log, minimum, multiply, pow, sqrt, where
from ..ops.random import random_normal
from ..ops.registry import convert_to_tensor
from .learning_rate import piecewise_constant
from .optimizer import _to

__all__ = ["cosine_decay_restarts", "linear_cosine_decay", "noisy_linear_cosine_decay", "piecewise_constant_decay"]

piecewise_constant_decay = piecewise_constant


def _restart(fraction, t_mul):
    """``(i_restart, fraction of the current period done)`` after ``fraction`` first periods, the periods growing
    by ``t_mul``: geometric when ``t_mul != 1``."""
    flat_i = floor(fraction)
    flat = (flat_i, fraction - flat_i)
    if not isinstance(t_mul, Tensor) and float(t_mul) == 1.0:
        return flat
    t_mul = _to(t_mul, fraction.dtype)
    i = floor(log(1.0 - fraction * (1.0 - t_mul)) / log(t_mul))
    done = (1.0 - pow(t_mul, i)) / (1.0 - t_mul)  # the periods before restart i, in first periods
    geometric = (i, (fraction - done) / pow(t_mul, i))
    if not isinstance(t_mul, Tensor) or t_mul.op.type == "Const":
        return geometric
    one = equal(t_mul, 1.0)
    return where(one, flat[0], geometric[0]), where(one, flat[1], geometric[1])


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                          name=None):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter): within each period the rate falls from its
    start to ``alpha`` times it along half a cosine, then restarts; the first period is ``first_decay_steps``
    steps, each next one ``t_mul`` times longer, and each restart's rate ``m_mul`` times the previous one's.

    ``learning_rate * ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * t)) + alpha)`` with ``i`` the restarts so
    far and ``t`` the fraction of the current period done.

    Examples
    --------
    >>> import daskflow as df
    >>> step = df.constant(15, df.int64)
    >>> lr = df.train.cosine_decay_restarts(0.1, step, 10)
    >>> round(float(lr.compute()), 6)   # 5 steps into the second period, of 20
    0.085355
    """
    if global_step is None:
        raise ValueError("cosine decay restarts requires global_step")
    with name_scope(name, "SGDRDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        fraction = cast(global_step, lr.dtype) / _to(first_decay_steps, lr.dtype)
        i, t = _restart(fraction, t_mul)
        m_fac = pow(_to(m_mul, lr.dtype), i)
        decayed = 0.5 * m_fac * (1.0 + cos(math.pi * t))
        alpha = _to(alpha, lr.dtype)
        return multiply(lr, (1 - alpha) * decayed + alpha, name=scope)


def _linear_cosine(lr, global_step, decay_steps, num_periods, alpha, beta, noise=None):
    """``lr * ((alpha + linear + noise) * cosine + beta)`` of linear cosine decay; ``noise(step, linear)`` adds
    to the linear part."""
    steps = _to(decay_steps, lr.dtype)
    step = minimum(cast(global_step, lr.dtype), steps)
    linear = (steps - step) / steps
    if noise is not None:
        linear = linear + noise(step, linear)
    fraction = 2.0 * _to(num_periods, lr.dtype) * (step / steps)
    cosine = 0.5 * (1.0 + cos(math.pi * fraction))
    return (_to(alpha, lr.dtype) + linear) * cosine + _to(beta, lr.dtype)


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001,
                        name=None):
    """Linear cosine decay (Bello et al., "Neural Optimizer Search with Reinforcement Learning"):
    ``learning_rate * ((alpha + linear) * cosine + beta)`` with ``linear = (decay_steps - step) / decay_steps``
    and ``cosine = 0.5 * (1 + cos(2 pi num_periods step / decay_steps))``, the step capped at ``decay_steps``.

    Examples
    --------
    >>> import daskflow as df
    >>> step = df.constant(10, df.int64)
    >>> round(float(df.train.linear_cosine_decay(0.1, step, 20).compute()), 6)
    0.0251
    """
    if global_step is None:
        raise ValueError("linear cosine decay requires global_step")
    with name_scope(name, "LinearCosineDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        return multiply(lr, _linear_cosine(lr, global_step, decay_steps, num_periods, alpha, beta), name=scope)


def noisy_linear_cosine_decay(learning_rate, global_step, decay_steps, initial_variance=1.0, variance_decay=0.55,
                              num_periods=0.5, alpha=0.0, beta=0.001, name=None):
    """``linear_cosine_decay`` with Gaussian noise added to its linear part, of variance
    ``initial_variance / (1 + step)**variance_decay``. The noise is a random op: seeded by the graph seed (a new
    draw in each run), as TF's."""
    if global_step is None:
        raise ValueError("noisy linear cosine decay requires global_step")
    with name_scope(name, "NoisyLinearCosineDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")

        def noise(step, linear):
            variance = _to(initial_variance, lr.dtype) / pow(1.0 + step, _to(variance_decay, lr.dtype))
            return random_normal(linear.shape.as_list(), stddev=sqrt(variance), dtype=lr.dtype)
        value = _linear_cosine(lr, global_step, decay_steps, num_periods, alpha, beta, noise)
        return multiply(lr, value, name=scope)
