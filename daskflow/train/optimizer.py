"""TF1's optimizers: ``Optimizer`` and its gradient descent, momentum, Adagrad, Adadelta, RMSProp and Adam
subclasses.

A training step is ordinary graph ops: gradients from ``gradients``, then assignments to each variable and to its
slots. A run reads every variable as of its start and applies all assignments when it succeeds, so the loss
fetched with a step is the loss before the step, and the whole step is one dask computation.
"""

from .. import dtypes, errors
from ..autodiff import gradients
from ..graph import Tensor, colocate_with, control_dependencies, get_default_graph, name_scope
from ..ops.generate import fill, zeros, zeros_like
from ..ops.indexed_slices import IndexedSlices, deduplicate
from ..ops.indexing import gather
from ..ops.math import cast, rsqrt, sqrt, square
from ..ops.registry import convert_to_tensor
from ..ops.scatter import scatter_sub, scatter_update, tensor_scatter_nd_add
from ..ops.training import adam_update
from ..ops.state import Variable, assign, assign_add, assign_sub, group, trainable_variables

__all__ = ["Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdagradOptimizer", "AdadeltaOptimizer",
           "RMSPropOptimizer", "AdamOptimizer"]

TRAIN_OP = "train_op"
_VALID = (dtypes.float16, dtypes.float32, dtypes.float64)


def _to(value, dtype, name=None):
    """``value`` (python number, array or Tensor) as a tensor of ``dtype``; tensors are cast."""
    if isinstance(value, Tensor):
        return cast(value, dtype)
    return convert_to_tensor(value, dtype=dtype, name=name)


def _resolve(value):
    """A hyper-parameter given as a callable is called when the update ops are built (TF's ``_call_if_callable``)."""
    return value() if callable(value) and not isinstance(value, Tensor) else value


def _colocate(var):
    """Update ops go where their variable is (TF's ``colocate_with``)."""
    return colocate_with(var.op)


def _check_dtypes(tensors):
    for t in tensors:
        if t.dtype not in _VALID:
            raise ValueError(f"Invalid type {t.dtype.name} for {t.name}, expected: {[d.name for d in _VALID]}.")


def _flatten(xs):
    if isinstance(xs, (list, tuple)):
        return [y for x in xs for y in _flatten(x)]
    if isinstance(xs, dict):
        return [y for k in sorted(xs, key=repr) for y in _flatten(xs[k])]
    return [xs]


class Optimizer:
    """Base class of optimizers (TF1's ``tf.train.Optimizer``).

    ``minimize`` is ``compute_gradients`` then ``apply_gradients``. Subclasses set their hyper-parameters in
    ``self._hyper`` (python numbers, tensors or callables returning either) and define ``_create_slots(var_list)``,
    ``_apply_dense(grad, var)`` and optionally ``_apply_sparse(grad, var)`` (for an ``IndexedSlices`` gradient,
    its indices made unique first) and ``_finish(update_ops, name)``. A subclass without ``_apply_sparse``
    applies an ``IndexedSlices`` gradient in its dense form.

    Parameters
    ----------
    use_locking : bool
        Accepted for TensorFlow compatibility: a run's assignments are applied together once it succeeds.
    name : str
        Name scope of the ops ``apply_gradients`` creates, and suffix of slot variable names.
    """

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._hyper = {}
        self._hyper_v, self._hyper_t = {}, {}
        self._slots = {}
        self._non_slot = {}

    def get_name(self):
        return self._name

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None):
        """An op that takes one step down ``loss``'s gradient, then increments ``global_step`` when given.

        Parameters
        ----------
        loss : Tensor
            A floating point tensor (non-scalar losses are summed, as ``gradients`` does).
        global_step : Variable, optional
            An integer variable incremented by one after the updates.
        var_list : list of Variables, optional
            Defaults to ``trainable_variables()``.

        Returns
        -------
        Operation

        Examples
        --------
        >>> import daskflow as df
        >>> w = df.Variable(3.0, name="w")
        >>> step = df.train.GradientDescentOptimizer(0.25).minimize(w * w)
        >>> with df.Session() as s:
        ...     s.run(df.global_variables_initializer())
        ...     s.run(step)
        ...     float(s.run(w))
        1.5
        """
        grads_and_vars = self.compute_gradients(loss, var_list=var_list, gate_gradients=gate_gradients,
                                                aggregation_method=aggregation_method,
                                                colocate_gradients_with_ops=colocate_gradients_with_ops,
                                                grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError("No gradients provided for any variable, check your graph for ops that do not support "
                             f"gradients, between variables {[str(v) for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        """``[(gradient, variable), ...]`` of ``loss`` for each variable of ``var_list`` (default: the trainable
        variables); a variable ``loss`` does not depend on gets None, as in TF."""
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP, Optimizer.GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                             f"Optimizer.GATE_GRAPH.  Not {gate_gradients}")
        loss = convert_to_tensor(loss)
        if grad_loss is not None:
            grad_loss = convert_to_tensor(grad_loss, dtype_hint=loss.dtype)
        _check_dtypes([loss] + ([grad_loss] if grad_loss is not None else []))
        var_list = trainable_variables() if var_list is None else _flatten(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise TypeError(f"Trying to optimize unsupported type {v!r}: optimizers update daskflow Variables")
        # gating orders gradient computations before updates in TF; here every update reads the run's snapshot
        grads = gradients(loss, var_list, grad_ys=None if grad_loss is None else [grad_loss],
                          aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        grads_and_vars = list(zip(grads, var_list))
        _check_dtypes([v for g, v in grads_and_vars if g is not None])
        return grads_and_vars

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """An op applying each ``(gradient, variable)`` update (pairs with a None gradient are skipped), then
        incrementing ``global_step`` (ordered after the updates) when given.

        Gradients may be tensors or anything ``convert_to_tensor`` takes, in the variable's dtype, or
        ``IndexedSlices``: then only the rows they name are updated, as TF's sparse updates (Adam, as TF's, still
        decays both moments of every row).
        """
        pairs = []
        for g, v in tuple(grads_and_vars):
            if not isinstance(v, Variable):
                raise TypeError(f"Trying to optimize unsupported type {v!r}: optimizers update daskflow Variables")
            if g is not None:
                g = _gradient_tensor(g, v)
            pairs.append((g, v))
        if not pairs:
            raise ValueError("No variables provided.")
        var_list = [v for g, v in pairs if g is not None]
        if not var_list:
            raise ValueError(f"No gradients provided for any variable: {[str(v) for _, v in pairs]}.")
        with control_dependencies(None):
            self._create_slots(var_list)
        with name_scope(name, self._name) as scope:
            self._prepare_hypers({v.dtype: None for v in var_list})
            self._prepare()
            update_ops = []
            for g, v in pairs:
                if g is not None:
                    with name_scope("update_" + v.op.name), _colocate(v):
                        if isinstance(g, IndexedSlices):
                            update = self._apply_sparse_duplicate_indices(g, v)
                        else:
                            update = self._apply_dense(g, v)
                        if v.constraint is not None:  # as TF1: the constraint projects the updated value
                            with control_dependencies([update]):
                                update = assign(v, v.constraint(v)).op
                        update_ops.append(update)
            if global_step is None:
                train_op = self._finish(update_ops, scope)
            else:
                with control_dependencies([self._finish(update_ops, "update")]), _colocate(global_step):
                    train_op = assign_add(global_step, 1, name=scope).op
        ref = get_default_graph().get_collection_ref(TRAIN_OP)
        if train_op not in ref:
            ref.append(train_op)
        return train_op

    # -- slots and other optimizer state

    def get_slot(self, var, name):
        """The slot variable ``name`` kept for ``var`` (e.g. Adam's "m" and "v"), or None."""
        return self._slots.get(name, {}).get(var.op)

    def get_slot_names(self):
        return sorted(self._slots)

    def variables(self):
        """Every variable this optimizer created in the default graph (slots, Adam's beta powers), by name."""
        g = get_default_graph()
        found = [v for (_, graph), v in self._non_slot.items() if graph is g]
        found += [s for slots in self._slots.values() for s in slots.values() if s.graph is g]
        return sorted(found, key=lambda v: v.name)

    def _slot(self, var, slot_name, op_name, value):
        """``var``'s slot ``slot_name``, made on first use: a non-trainable variable named ``<var>/<op_name>``,
        of ``var``'s shape and dtype, initialised to ``value``."""
        slots = self._slots.setdefault(slot_name, {})
        if var.op not in slots:
            known = var.shape.is_fully_defined()

            def init():
                if known:
                    return zeros(var.shape, var.dtype) if value == 0 else fill(list(var.shape), _to(value, var.dtype))
                return zeros_like(var) if value == 0 else zeros_like(var) + _to(value, var.dtype)
            with name_scope(None), control_dependencies(None), _colocate(var):
                slots[var.op] = Variable(init, trainable=False, name=f"{var.op.name}/{op_name}",
                                         validate_shape=known)
        return slots[var.op]

    def _zeros_slot(self, var, slot_name, op_name):
        return self._slot(var, slot_name, op_name, 0)

    def _non_slot_variable(self, initial_value, name, colocate_with):
        """An optimizer-wide variable (one per graph), such as Adam's ``beta1_power``."""
        key = (name, get_default_graph())
        if key not in self._non_slot:
            with control_dependencies(None), _colocate(colocate_with):
                self._non_slot[key] = Variable(_to(initial_value, colocate_with.dtype), trainable=False, name=name)
        return self._non_slot[key]

    def _get_non_slot_variable(self, name):
        return self._non_slot.get((name, get_default_graph()))

    # -- hyper-parameters

    def _prepare_hypers(self, dtypes_):
        """One tensor per hyper-parameter and variable dtype, made in the update's name scope; callables are
        called once here."""
        self._hyper_v = {name: _resolve(value) for name, value in self._hyper.items()}
        self._hyper_t = {}
        for name in self._hyper:
            for dt in dtypes_:
                self._get_hyper(name, dt)

    def _get_hyper(self, name, dtype):
        """Hyper-parameter ``name`` as a tensor of ``dtype``."""
        t = self._hyper_t.get((name, dtype))
        if t is None:
            t = self._hyper_t[name, dtype] = _to(self._hyper_v[name], dtype, name=name)
        return t

    # -- what subclasses define

    def _create_slots(self, var_list):
        pass

    def _prepare(self):
        pass

    def _apply_dense(self, grad, var):
        raise errors.UnimplementedError(None, None, f"{type(self).__name__} does not define _apply_dense: an "
                                        "Optimizer subclass must say how it updates a variable")

    def _apply_sparse_duplicate_indices(self, grad, var):
        values, indices = deduplicate(grad)
        return self._apply_sparse(IndexedSlices(values, indices, grad.dense_shape), var)

    def _apply_sparse(self, grad, var):
        return self._apply_dense(convert_to_tensor(grad), var)

    def _finish(self, update_ops, name):
        return group(*update_ops, name=name)


def _gradient_tensor(g, var):
    if isinstance(g, IndexedSlices):
        if g.dtype != var.dtype:
            raise ValueError(f"Gradient {g.name} of dtype {g.dtype.name} does not match variable '{var.op.name}' "
                             f"of dtype {var.dtype.name}")
        if var.shape.ndims is not None and not var.shape.is_compatible_with(g.shape):
            raise ValueError(f"Gradient {g.name} of dense shape {g.shape} does not match variable "
                             f"'{var.op.name}' of shape {var.shape}")
        return g
    try:
        g = convert_to_tensor(g, dtype_hint=var.dtype) if not isinstance(g, Tensor) else convert_to_tensor(g)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Gradient must be convertible to a Tensor or None: {g!r}") from e
    if g.dtype != var.dtype:
        raise ValueError(f"Gradient {g.name} of dtype {g.dtype.name} does not match variable '{var.op.name}' of "
                         f"dtype {var.dtype.name}")
    if not var.shape.is_compatible_with(g.shape):
        raise ValueError(f"Gradient {g.name} of shape {g.shape} does not match variable '{var.op.name}' of shape "
                         f"{var.shape}")
    return g


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad``."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate}

    def _apply_dense(self, grad, var):
        return assign_sub(var, self._get_hyper("learning_rate", var.dtype) * grad, name="ApplyGradientDescent").op

    def _apply_sparse_duplicate_indices(self, grad, var):  # scatter_sub adds up repeated rows itself
        lr = self._get_hyper("learning_rate", var.dtype)
        return scatter_sub(var, grad.indices, grad.values * lr, name="ScatterSub").op


class MomentumOptimizer(Optimizer):
    """``accum = momentum * accum + grad; var -= lr * accum`` (Nesterov: ``var -= lr * (grad + momentum * accum)``).

    The slot "momentum" is named ``<var>/Momentum``.
    """

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate, "momentum": momentum}
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        lr, mu = self._get_hyper("learning_rate", var.dtype), self._get_hyper("momentum", var.dtype)
        accum = self.get_slot(var, "momentum")
        accum_t = assign(accum, accum * mu + grad)
        step = grad * lr + accum_t * mu * lr if self._use_nesterov else accum_t * lr
        return assign_sub(var, step, name="ApplyMomentum").op

    def _apply_sparse(self, grad, var):  # only the rows named: others keep their accumulator
        lr, mu = self._get_hyper("learning_rate", var.dtype), self._get_hyper("momentum", var.dtype)
        accum, g, idx = self.get_slot(var, "momentum"), grad.values, grad.indices
        rows = gather(accum, idx) * mu + g
        step = g * lr + rows * mu * lr if self._use_nesterov else rows * lr
        return group(scatter_update(accum, idx, rows), scatter_sub(var, idx, step), name="SparseApplyMomentum")


class AdagradOptimizer(Optimizer):
    """``accum += grad**2; var -= lr * grad / sqrt(accum)``; the slot "accumulator" (``<var>/Adagrad``) starts
    at ``initial_accumulator_value``."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate}
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "accumulator", self._name, self._initial_accumulator_value)

    def _apply_dense(self, grad, var):
        accum_t = assign_add(self.get_slot(var, "accumulator"), square(grad))
        return assign_sub(var, self._get_hyper("learning_rate", var.dtype) * grad * rsqrt(accum_t),
                          name="ApplyAdagrad").op

    def _apply_sparse(self, grad, var):
        accum, g, idx = self.get_slot(var, "accumulator"), grad.values, grad.indices
        rows = gather(accum, idx) + square(g)
        step = self._get_hyper("learning_rate", var.dtype) * g * rsqrt(rows)
        return group(scatter_update(accum, idx, rows), scatter_sub(var, idx, step), name="SparseApplyAdagrad")


class AdadeltaOptimizer(Optimizer):
    """Adadelta as TF1 computes it (``lr`` scales the step; the paper has none)::

        accum = rho * accum + (1 - rho) * grad**2                                # slot "accum", <var>/Adadelta
        update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad
        accum_update = rho * accum_update + (1 - rho) * update**2                # slot "accum_update", _1
        var -= lr * update
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-08, use_locking=False, name="Adadelta"):
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate, "rho": rho, "epsilon": epsilon}

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _apply_dense(self, grad, var):
        lr, rho, eps = (self._get_hyper(k, var.dtype) for k in ("learning_rate", "rho", "epsilon"))
        accum, accum_update = self.get_slot(var, "accum"), self.get_slot(var, "accum_update")
        accum_t = assign(accum, accum * rho + square(grad) * (1 - rho))
        update = sqrt(accum_update + eps) * rsqrt(accum_t + eps) * grad
        accum_update_t = assign(accum_update, accum_update * rho + square(update) * (1 - rho))
        return group(accum_update_t, assign_sub(var, update * lr, name="ApplyAdadelta"))

    def _apply_sparse(self, grad, var):
        lr, rho, eps = (self._get_hyper(k, var.dtype) for k in ("learning_rate", "rho", "epsilon"))
        accum, accum_update, g, idx = self.get_slot(var, "accum"), self.get_slot(var, "accum_update"), grad.values, \
            grad.indices
        acc = gather(accum, idx) * rho + square(g) * (1 - rho)
        au = gather(accum_update, idx)
        update = sqrt(au + eps) * rsqrt(acc + eps) * g
        au_t = au * rho + square(update) * (1 - rho)
        return group(scatter_update(accum, idx, acc), scatter_update(accum_update, idx, au_t),
                     scatter_sub(var, idx, update * lr), name="SparseApplyAdadelta")


class RMSPropOptimizer(Optimizer):
    """RMSProp as TF1 computes it (epsilon inside the square root)::

        ms  = decay * ms + (1 - decay) * grad**2                     # slot "rms", starts at ones
        mg  = decay * mg + (1 - decay) * grad                        # slot "mg", when centered
        mom = momentum * mom + lr * grad / sqrt(ms - mg**2 + epsilon)  # slot "momentum"; mg = 0 uncentered
        var -= mom

    Slots are named ``<var>/RMSProp``, ``<var>/RMSProp_1`` (and ``_2`` when centered), in that order.
    """

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False, centered=False,
                 name="RMSProp"):
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate, "decay": decay, "momentum": momentum, "epsilon": epsilon}
        self._centered = centered

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "rms", self._name, 1)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad, var):
        h = {k: self._get_hyper(k, var.dtype) for k in ("learning_rate", "decay", "momentum", "epsilon")}
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        ms_t = assign_add(rms, (square(grad) - rms) * (1 - h["decay"]))
        denom = ms_t + h["epsilon"]
        if self._centered:
            mg = self.get_slot(var, "mg")
            mg_t = assign_add(mg, (grad - mg) * (1 - h["decay"]))
            denom = ms_t - square(mg_t) + h["epsilon"]
        mom_t = assign(mom, mom * h["momentum"] + grad * h["learning_rate"] / sqrt(denom))
        return assign_sub(var, mom_t, name="ApplyCenteredRMSProp" if self._centered else "ApplyRMSProp").op

    def _apply_sparse(self, grad, var):
        h = {k: self._get_hyper(k, var.dtype) for k in ("learning_rate", "decay", "momentum", "epsilon")}
        rms, mom, g, idx = self.get_slot(var, "rms"), self.get_slot(var, "momentum"), grad.values, grad.indices
        ms = gather(rms, idx)
        ms = ms + (square(g) - ms) * (1 - h["decay"])
        updates, denom = [scatter_update(rms, idx, ms)], ms + h["epsilon"]
        if self._centered:
            mg = self.get_slot(var, "mg")
            mg_rows = gather(mg, idx)
            mg_rows = mg_rows + (g - mg_rows) * (1 - h["decay"])
            updates.append(scatter_update(mg, idx, mg_rows))
            denom = ms - square(mg_rows) + h["epsilon"]
        mom_rows = gather(mom, idx) * h["momentum"] + g * h["learning_rate"] / sqrt(denom)
        updates += [scatter_update(mom, idx, mom_rows), scatter_sub(var, idx, mom_rows)]
        return group(*updates, name="SparseApplyCenteredRMSProp" if self._centered else "SparseApplyRMSProp")


class AdamOptimizer(Optimizer):
    """Adam as TF1 computes it, with epsilon outside the square root (the paper's "epsilon hat")::

        lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        m = beta1 * m + (1 - beta1) * grad                          # slot "m", <var>/Adam
        v = beta2 * v + (1 - beta2) * grad**2                       # slot "v", <var>/Adam_1
        var -= lr_t * m / (sqrt(v) + epsilon)

    ``beta1**t`` and ``beta2**t`` are the variables ``beta1_power`` and ``beta2_power`` (starting at beta1 and
    beta2), multiplied by beta1 and beta2 after every step's updates.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._hyper = {"learning_rate": learning_rate, "beta1": beta1, "beta2": beta2, "epsilon": epsilon}

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)
        for k in ("beta1", "beta2"):
            self._non_slot_variable(_resolve(self._hyper[k]), f"{k}_power", first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name + "_1")

    def _prepare(self):
        self._powers = {}

    def _get_beta_accumulators(self):
        return self._get_non_slot_variable("beta1_power"), self._get_non_slot_variable("beta2_power")

    def _apply_dense(self, grad, var):
        h = [self._get_hyper(k, var.dtype) for k in ("learning_rate", "beta1", "beta2", "epsilon")]
        powers = self._powers.get(var.dtype)
        if powers is None:  # the beta powers in each variable dtype, cast once
            powers = self._powers[var.dtype] = [cast(b, var.dtype) for b in self._get_beta_accumulators()]
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        # one fused kernel per block for the new variable and slots (TF's ApplyAdam), then assignments
        var_t, m_t, v_t = adam_update(var, m, v, *powers, *h, grad)
        return group(assign(var, var_t), assign(m, m_t), assign(v, v_t), name="ApplyAdam")

    def _apply_sparse(self, grad, var):
        # as TF1: both moments of every row decay, the gradient is added to its rows, and every row moves
        lr, beta1, beta2, eps = (self._get_hyper(k, var.dtype) for k in ("learning_rate", "beta1", "beta2",
                                                                          "epsilon"))
        b1p, b2p = self._powers.get(var.dtype) or [cast(b, var.dtype) for b in self._get_beta_accumulators()]
        self._powers[var.dtype] = [b1p, b2p]
        m, v, g = self.get_slot(var, "m"), self.get_slot(var, "v"), grad.values
        idx = grad.indices[:, None]
        m_t = tensor_scatter_nd_add(m * beta1, idx, g * (1 - beta1))
        v_t = tensor_scatter_nd_add(v * beta2, idx, (g * g) * (1 - beta2))
        lr_t = lr * sqrt(1 - b2p) / (1 - b1p)
        var_t = var - lr_t * m_t / (sqrt(v_t) + eps)
        return group(assign(var, var_t), assign(m, m_t), assign(v, v_t), name="SparseApplyAdam")

    def _finish(self, update_ops, name):
        b1p, b2p = self._get_beta_accumulators()
        with control_dependencies(update_ops), _colocate(b1p):
            u1 = assign(b1p, b1p * self._get_hyper("beta1", b1p.dtype), name="update_beta1")
            u2 = assign(b2p, b2p * self._get_hyper("beta2", b2p.dtype), name="update_beta2")
        return group(*update_ops, u1, u2, name=name)
