"""TF1's optimizers with L1/L2 regularisation applied in closed form at each step: FTRL-proximal, proximal gradient
descent, proximal Adagrad and Adagrad dual averaging, with TF's update rules (its ``ApplyFtrl``,
``ApplyProximalGradientDescent``, ``ApplyProximalAdagrad`` and ``ApplyAdagradDA`` kernels) written as graph ops."""
from ..ops.math import abs as _abs
from ..ops.math import cast, maximum, pow, rsqrt, sign, sqrt, square
from ..ops.state import assign, assign_add, group
from .optimizer import Optimizer

__all__ = ["FtrlOptimizer", "ProximalGradientDescentOptimizer", "ProximalAdagradOptimizer", "AdagradDAOptimizer"]


def _check(value, what, negative=False):
    bad = value > 0 if negative else value < 0
    if bad:
        raise ValueError(f"{what} {value:f} needs to be {'negative' if negative else 'positive'} or zero")


def _shrink(prox, lr, l1, l2, has_l1):
    """TF's proximal step: soft-threshold ``prox`` by ``lr * l1`` (when L1 is on), then scale by ``1 / (1 + lr * l2)``."""
    if has_l1:
        prox = sign(prox) * maximum(_abs(prox) - lr * l1, 0.0)
    return prox / (1.0 + lr * l2)


class ProximalGradientDescentOptimizer(Optimizer):
    """``prox = var - lr * grad``, then ``var = sign(prox) * max(|prox| - lr * l1, 0) / (1 + lr * l2)``."""

    def __init__(self, learning_rate, l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate, "l1": l1_regularization_strength,
                       "l2": l2_regularization_strength}
        self._has_l1 = not (isinstance(l1_regularization_strength, (int, float)) and l1_regularization_strength <= 0)

    def _apply_dense(self, grad, var):
        lr, l1, l2 = (self._get_hyper(k, var.dtype) for k in ("learning_rate", "l1", "l2"))
        return assign(var, _shrink(var - lr * grad, lr, l1, l2, self._has_l1),
                      name="ApplyProximalGradientDescent").op


class ProximalAdagradOptimizer(Optimizer):
    """``accum += grad**2``; with ``lr_t = lr / sqrt(accum)``: ``prox = var - lr_t * grad``, then the proximal step
    of ``ProximalGradientDescentOptimizer`` with ``lr_t``. The slot "accumulator" is ``<var>/ProximalAdagrad``."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False, name="ProximalAdagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate, "l1": l1_regularization_strength,
                       "l2": l2_regularization_strength}
        self._initial = initial_accumulator_value
        self._has_l1 = not (isinstance(l1_regularization_strength, (int, float)) and l1_regularization_strength <= 0)

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "accumulator", self._name, self._initial)

    def _apply_dense(self, grad, var):
        lr, l1, l2 = (self._get_hyper(k, var.dtype) for k in ("learning_rate", "l1", "l2"))
        accum_t = assign_add(self.get_slot(var, "accumulator"), square(grad))
        lr_t = lr * rsqrt(accum_t)
        return assign(var, _shrink(var - lr_t * grad, lr_t, l1, l2, self._has_l1), name="ApplyProximalAdagrad").op


class FtrlOptimizer(Optimizer):
    """FTRL-proximal (McMahan et al., 2013) as TF1's ``ApplyFtrl``: with ``p = -learning_rate_power`` and
    ``g_s = grad + 2 * l2_shrinkage * var``::

        accum_new = accum + grad**2                                  # slot "accum", <var>/Ftrl
        linear += g_s - (accum_new**p - accum**p) / lr * var         # slot "linear", <var>/Ftrl_1
        quadratic = accum_new**p / lr + 2 * l2'                      # l2' = l2 + beta / (2 * lr)
        var = (sign(linear) * l1 - linear) / quadratic  where |linear| > l1, else 0
    """

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False, name="Ftrl",
                 accum_name=None, linear_name=None, l2_shrinkage_regularization_strength=0.0, beta=None):
        super().__init__(use_locking, name)
        _check(initial_accumulator_value, "initial_accumulator_value")
        _check(learning_rate_power, "learning_rate_power", negative=True)
        _check(l1_regularization_strength, "l1_regularization_strength")
        _check(l2_regularization_strength, "l2_regularization_strength")
        _check(l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength")
        beta = 0.0 if beta is None else beta
        self._hyper = {"learning_rate": learning_rate, "lr_power": learning_rate_power,
                       "l1": l1_regularization_strength,
                       "l2": l2_regularization_strength + beta / (2.0 * learning_rate),
                       "l2_shrinkage": l2_shrinkage_regularization_strength}
        self._initial = initial_accumulator_value
        self._shrinkage = l2_shrinkage_regularization_strength > 0
        self._accum_name, self._linear_name = accum_name, linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "accum", self._accum_name or self._name, self._initial)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _apply_dense(self, grad, var):
        lr, p, l1, l2, shrink = (self._get_hyper(k, var.dtype)
                                 for k in ("learning_rate", "lr_power", "l1", "l2", "l2_shrinkage"))
        accum, linear = self.get_slot(var, "accum"), self.get_slot(var, "linear")
        accum_new = accum + square(grad)
        if self._hyper["lr_power"] == -0.5:
            root_new, root_old = sqrt(accum_new), sqrt(accum)
        else:
            root_new, root_old = pow(accum_new, -p), pow(accum, -p)
        g_s = grad + 2.0 * shrink * var if self._shrinkage else grad
        linear_t = assign_add(linear, g_s - (root_new - root_old) / lr * var)
        quadratic = root_new / lr + 2.0 * l2
        outside = cast(_abs(linear_t) > l1, var.dtype)
        var_t = (sign(linear_t) * l1 - linear_t) / quadratic * outside
        return group(assign(var, var_t), assign(accum, accum_new), linear_t.op, name="ApplyFtrl")


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (Duchi et al., 2011) as TF1's ``ApplyAdagradDA``: ``g += grad``, ``gg += grad**2``
    (slots "gradient_accumulator" and "gradient_squared_accumulator", ``<var>/AdagradDA`` and ``_1``), then, with
    ``T`` the number of this step (``global_step`` when the step runs, plus one)::

        var = lr * sign(-g) * max(|g| - l1 * T, 0) / (l2 * T * lr + sqrt(gg))
    """

    def __init__(self, learning_rate, global_step, initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False,
                 name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate, "l1": l1_regularization_strength,
                       "l2": l2_regularization_strength}
        self._global_step = global_step
        self._initial = initial_gradient_squared_accumulator_value
        self._has_l1 = not (isinstance(l1_regularization_strength, (int, float)) and l1_regularization_strength <= 0)

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "gradient_accumulator", self._name)
            self._slot(v, "gradient_squared_accumulator", self._name, self._initial)

    def _apply_dense(self, grad, var):
        lr, l1, l2 = (self._get_hyper(k, var.dtype) for k in ("learning_rate", "l1", "l2"))
        steps = cast(self._global_step, var.dtype) + 1.0
        g = assign_add(self.get_slot(var, "gradient_accumulator"), grad)
        gg = assign_add(self.get_slot(var, "gradient_squared_accumulator"), square(grad))
        num = sign(-g) * maximum(_abs(g) - l1 * steps, 0.0) if self._has_l1 else -g
        return assign(var, lr * num / (l2 * steps * lr + sqrt(gg)), name="ApplyAdagradDA").op
