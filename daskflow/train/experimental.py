"""TF1's ``tf.train.experimental`` loss scaling: ``LossScale``, ``FixedLossScale``, ``DynamicLossScale`` and
``MixedPrecisionLossScaleOptimizer``.

Loss scaling multiplies the loss by a factor (the loss scale) before taking gradients and divides the gradients by
it afterwards, so small float16 gradients do not underflow. A dynamic loss scale skips a step whose gradients are not
all finite and divides the scale by its ``multiplier``; after ``increment_period`` finite steps in a row it multiplies
the scale by ``multiplier``.

TF's graph rewrite (``enable_mixed_precision_graph_rewrite``) and its object-checkpoint internals (``PythonState``,
the sharding policies) have no counterpart here and are not provided.

Examples
--------
>>> import daskflow as df
>>> w = df.Variable(2.0, name="w")
>>> opt = df.train.experimental.MixedPrecisionLossScaleOptimizer(df.train.GradientDescentOptimizer(0.25),
...                                                              "dynamic")
>>> step = opt.minimize(w * w)
>>> with df.Session() as s:
...     s.run(df.global_variables_initializer())
...     _ = s.run(step)
...     float(s.run(w))
1.0
"""
import abc

from .. import dtypes
from ..graph import control_dependencies, get_default_graph
from ..ops.control import cond
from ..ops.indexed_slices import IndexedSlices
from ..ops.math import cast, greater_equal, is_finite, logical_and, maximum, where
from ..ops.reduce import reduce_all
from ..ops.registry import convert_to_tensor
from ..ops.state import Variable, assign, constant, group, identity, no_op
from .optimizer import Optimizer

__all__ = ["LossScale", "FixedLossScale", "DynamicLossScale", "MixedPrecisionLossScaleOptimizer"]


class LossScale(metaclass=abc.ABCMeta):
    """Base class of TF1's loss scales. Calling one gives the current loss scale as a scalar float32 tensor;
    ``update(grads)`` gives ``(update_op, should_apply_gradients)`` for gradients already divided by it."""

    def __init__(self):
        self._weights = {}

    @abc.abstractmethod
    def __call__(self):
        """The current loss scale, a scalar float32 tensor."""

    @abc.abstractmethod
    def update(self, grads):
        """``(update_op, should_apply_gradients)``: an op updating the loss scale from the (unscaled) gradients
        ``grads`` (a nested structure; None entries are ignored), and a bool or scalar bool tensor saying whether
        this step's gradients should be applied."""

    @abc.abstractmethod
    def get_config(self):
        """The arguments that rebuild this loss scale, as a dict."""

    @classmethod
    def from_config(cls, config):
        """The loss scale ``cls(**config)``."""
        return cls(**config)

    def _add_weight(self, name, initial_value, dtype=None):
        """A non-trainable variable ``name`` of this loss scale, once per graph."""
        key = (name, get_default_graph())
        if self._weights.get(key) is not None:
            raise RuntimeError(f"Duplicate variables detected. {(name, id(key[1]))}")
        self._weights[key] = Variable(initial_value, name=name, dtype=dtype, trainable=False)
        return self._weights[key]

    def _variables(self):
        g = get_default_graph()
        return [v for (_, graph), v in sorted(self._weights.items(), key=lambda kv: kv[0][0]) if graph is g]


class FixedLossScale(LossScale):
    """A loss scale that never changes: ``loss_scale_value`` (a Python number, at least 1)."""

    def __init__(self, loss_scale_value):
        super().__init__()
        if isinstance(loss_scale_value, bool) or not isinstance(loss_scale_value, (int, float)):
            raise ValueError("loss_scale_value must be a Python int or float.")
        if loss_scale_value < 1:
            raise ValueError("loss_scale_value must be at least 1.")
        self._loss_scale_value = float(loss_scale_value)

    def __call__(self):
        return convert_to_tensor(self._loss_scale_value)

    def update(self, grads):
        del grads
        return no_op(), True

    def __repr__(self):
        return f"FixedLossScale({self._loss_scale_value})"

    def get_config(self):
        return {"loss_scale_value": self._loss_scale_value}


def _all_finite(grads):
    """A scalar bool tensor: every entry of every gradient (the values of an ``IndexedSlices``) is finite."""
    flags = [reduce_all(is_finite(g.values if isinstance(g, IndexedSlices) else g)) for g in grads if g is not None]
    return reduce_all(flags) if flags else constant(True)


class DynamicLossScale(LossScale):
    """A loss scale that adjusts itself: it starts at ``initial_loss_scale``, is multiplied by ``multiplier``
    after ``increment_period`` consecutive steps with finite gradients (unless that overflows float32), and is
    divided by ``multiplier`` (never below 1) at a step with a non-finite gradient, which is skipped. Its state is
    two non-trainable variables, ``current_loss_scale`` (float32) and ``good_steps`` (int64)."""

    def __init__(self, initial_loss_scale=2 ** 15, increment_period=2000, multiplier=2.):
        super().__init__()
        self._initial_loss_scale = float(initial_loss_scale)
        self._increment_period = int(increment_period)
        self._multiplier = float(multiplier)
        self._current_loss_scale = self._add_weight("current_loss_scale", self._initial_loss_scale,
                                                    dtype=dtypes.float32)
        self._num_good_steps = self._add_weight("good_steps", 0, dtype=dtypes.int64)

    @property
    def initial_loss_scale(self):
        return self._initial_loss_scale

    @property
    def increment_period(self):
        return self._increment_period

    @property
    def multiplier(self):
        return self._multiplier

    def __call__(self):
        return convert_to_tensor(self._current_loss_scale)

    def update(self, grads):
        from ..nest import flatten
        finite = _all_finite(flatten(grads))
        scale, good = self._current_loss_scale, self._num_good_steps
        grown = scale * self._multiplier
        raise_now = logical_and(finite, greater_equal(good + 1, self._increment_period))
        # finite: grow on the period's last step (kept when the grown value overflows), else count the step;
        # non-finite: shrink, never below 1, and start counting again
        new_scale = where(finite, where(logical_and(raise_now, is_finite(grown)), grown, scale),
                          maximum(scale / self._multiplier, 1.0))
        new_good = where(logical_and(finite, ~raise_now), good + 1, constant(0, dtypes.int64))
        return group(assign(good, new_good), assign(scale, new_scale)), finite

    def __repr__(self):
        return (f"DynamicLossScale(initial_loss_scale={self.initial_loss_scale}, "
                f"increment_period={self.increment_period}, multiplier={self.multiplier})")

    def get_config(self):
        return {"initial_loss_scale": self.initial_loss_scale, "increment_period": self.increment_period,
                "multiplier": self.multiplier}


def _get(identifier):
    """A loss scale from a number (fixed), "dynamic", a ``LossScale`` or None."""
    if isinstance(identifier, (int, float)) and not isinstance(identifier, bool):
        return FixedLossScale(identifier)
    if isinstance(identifier, str) and identifier == "dynamic":
        return DynamicLossScale()
    if isinstance(identifier, LossScale) or identifier is None:
        return identifier
    raise ValueError(f"Could not interpret loss scale identifier: {identifier}")


class MixedPrecisionLossScaleOptimizer(Optimizer):
    """Wraps the optimizer ``opt`` with loss scaling (TF1's ``tf.train.experimental`` version).

    ``compute_gradients`` multiplies the loss by the loss scale (cast to the loss's dtype) and divides each
    gradient by it. With a dynamic loss scale, ``apply_gradients`` updates the scale and applies the gradients
    (and increments ``global_step``) only when all of them are finite.

    Parameters
    ----------
    opt : Optimizer
        The optimizer that applies the unscaled gradients.
    loss_scale : LossScale, number or "dynamic"
        A number makes a ``FixedLossScale``, "dynamic" a ``DynamicLossScale`` with its defaults.
    """

    def __init__(self, opt, loss_scale):
        if not isinstance(opt, Optimizer):
            raise ValueError(f'"opt" must be an instance of Optimizer, but got: {type(opt)}')
        self._optimizer = opt
        super().__init__(opt._use_locking, opt.get_name())
        self._loss_scale = _get(loss_scale)
        if self._loss_scale is None:
            raise ValueError("loss_scale cannot be None")

    def _doing_dynamic_loss_scaling(self):
        return isinstance(self._loss_scale, DynamicLossScale)

    def compute_gradients(self, loss, var_list=None, gate_gradients=Optimizer.GATE_OP, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        """``[(gradient, variable), ...]`` of ``loss`` times the loss scale, each gradient divided by the loss
        scale (None stays None)."""
        loss = convert_to_tensor(loss() if callable(loss) else loss)
        scaled = loss * cast(self._loss_scale(), loss.dtype)
        grads_and_vars = self._optimizer.compute_gradients(
            scaled, var_list=var_list, gate_gradients=gate_gradients, aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        reciprocal = 1 / self._loss_scale()
        return [(None if g is None else self._scale_grad(g, reciprocal), v) for g, v in grads_and_vars]

    @staticmethod
    def _scale_grad(grad, reciprocal):
        if isinstance(grad, IndexedSlices):
            return IndexedSlices(grad.values * reciprocal, grad.indices, grad.dense_shape)
        return grad * reciprocal

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """The wrapped optimizer's update; with a dynamic loss scale, an op (named ``name``, default the
        optimizer's name) that updates the loss scale and applies the update only if every gradient is finite."""
        if not self._doing_dynamic_loss_scaling():
            return self._optimizer.apply_gradients(grads_and_vars, global_step, name)
        grads_and_vars = tuple(grads_and_vars)
        name = name if name is not None else self.get_name()
        update_op, should_apply = self._loss_scale.update([g for g, _ in grads_and_vars])

        def apply_fn():
            with control_dependencies([self._optimizer.apply_gradients(grads_and_vars, global_step,
                                                                       name + "-wrapped")]):
                return identity(constant(True))

        maybe_apply = cond(should_apply, apply_fn, lambda: constant(False))
        return group(maybe_apply, update_op, name=name)

    def variables(self):
        """The wrapped optimizer's variables, then the loss scale's."""
        return self._optimizer.variables() + self._loss_scale._variables()

    def _apply_dense(self, grad, var):
        raise RuntimeError("This function should never be called")

    _apply_sparse = _resource_apply_dense = _resource_apply_sparse = _apply_dense
