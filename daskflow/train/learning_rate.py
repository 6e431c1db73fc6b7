"""TF1's learning rate schedules: tensors computed from the global step (``tf.train.exponential_decay`` etc.).

Each is a few graph ops, so a schedule is evaluated in the same run as the step that uses it, from the global
step as of the start of that run.
"""
import math

from ..graph import name_scope
from ..ops.math import add, cast, ceil, cos, divide, equal, exp, floor, minimum, multiply, pow, where
from ..ops.registry import convert_to_tensor
from .optimizer import _to

__all__ = ["exponential_decay", "inverse_time_decay", "natural_exp_decay", "polynomial_decay", "cosine_decay",
           "piecewise_constant"]


def _progress(what, learning_rate, global_step, decay_steps, staircase=False):
    """The learning rate as a tensor and ``global_step / decay_steps`` in its dtype (floored on a staircase)."""
    if global_step is None:
        raise ValueError(f"global_step is required for {what}.")
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    p = cast(global_step, lr.dtype) / _to(decay_steps, lr.dtype)
    return lr, floor(p) if staircase else p


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate * decay_rate ** (global_step / decay_steps)``; with ``staircase`` the exponent is floored,
    so the rate drops every ``decay_steps`` steps.

    Examples
    --------
    >>> import daskflow as df
    >>> step = df.Variable(250, dtype=df.int64, trainable=False)
    >>> lr = df.train.exponential_decay(0.1, step, 100, 0.5, staircase=True)
    >>> with df.Session() as s:
    ...     s.run(step.initializer)
    ...     round(float(s.run(lr)), 6)
    0.025
    """
    with name_scope(name, "ExponentialDecay") as scope:
        lr, p = _progress("exponential_decay", learning_rate, global_step, decay_steps, staircase)
        return multiply(lr, pow(_to(decay_rate, lr.dtype), p), name=scope)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (the ratio floored with ``staircase``)."""
    with name_scope(name, "InverseTimeDecay") as scope:
        lr, p = _progress("inverse_time_decay", learning_rate, global_step, decay_steps, staircase)
        return divide(lr, 1 + _to(decay_rate, lr.dtype) * p, name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)`` (the ratio floored with ``staircase``)."""
    with name_scope(name, "NaturalExpDecay") as scope:
        lr, p = _progress("natural_exp_decay", learning_rate, global_step, decay_steps, staircase)
        return multiply(lr, exp(-_to(decay_rate, lr.dtype) * p), name=scope)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                     name=None):
    """From ``learning_rate`` to ``end_learning_rate`` over ``decay_steps`` steps along ``(1 - t)**power``, then
    constant; with ``cycle`` the decay restarts every multiple of ``decay_steps``."""
    if global_step is None:
        raise ValueError("global_step is required for polynomial_decay.")
    with name_scope(name, "PolynomialDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        step, steps = cast(global_step, lr.dtype), _to(decay_steps, lr.dtype)
        if cycle:  # the period is the first multiple of decay_steps not below the step (decay_steps at step 0)
            steps = steps * where(equal(step, 0), _to(1, lr.dtype), ceil(step / steps))
        else:
            step = minimum(step, steps)
        end = _to(end_learning_rate, lr.dtype)
        return add((lr - end) * pow(1 - step / steps, _to(power, lr.dtype)), end, name=scope)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """``learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * t)) + alpha)`` with ``t = min(step, decay_steps) /
    decay_steps`` (SGDR without restarts)."""
    if global_step is None:
        raise ValueError("cosine decay requires global_step")
    with name_scope(name, "CosineDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        steps = _to(decay_steps, lr.dtype)
        t = minimum(cast(global_step, lr.dtype), steps) / steps
        alpha = _to(alpha, lr.dtype)
        return multiply(lr, (1 - alpha) * (0.5 * (1 + cos(math.pi * t))) + alpha, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < x <= boundaries[i]``,
    and ``values[-1]`` beyond the last boundary.

    Examples
    --------
    >>> import daskflow as df
    >>> step = df.constant(150, df.int64)
    >>> float(df.train.piecewise_constant(step, [100, 200], [1.0, 0.5, 0.1]).compute())
    0.5
    """
    if len(values) != len(boundaries) + 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant") as scope:
        x = convert_to_tensor(x)
        bs = [convert_to_tensor(b, dtype_hint=x.dtype) for b in boundaries]
        for b in bs:
            if b.dtype != x.dtype:
                raise ValueError(f"Boundaries ({b.dtype.name}) must have the same dtype as x ({x.dtype.name}).")
        vs = [convert_to_tensor(values[0])]
        vs += [convert_to_tensor(v, dtype_hint=vs[0].dtype) for v in values[1:]]
        for v in vs[1:]:
            if v.dtype != vs[0].dtype:
                raise ValueError(f"Values must have elements all with the same dtype ({vs[0].dtype.name} vs "
                                 f"{v.dtype.name}).")
        out = vs[-1]
        for i in reversed(range(len(bs))):
            out = where(x <= bs[i], vs[i], out, name=scope if i == 0 else None)
        return out
