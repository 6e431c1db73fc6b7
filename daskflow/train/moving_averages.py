"""TF1's ``ExponentialMovingAverage``: shadow variables that track variables (or any tensors) with
``shadow -= (1 - decay) * (shadow - value)`` each time the op ``apply`` returns runs."""
from .. import dtypes
from ..graph import Tensor, control_dependencies, get_default_graph, name_scope
from ..ops.generate import zeros
from ..ops.math import cast, minimum, pow
from ..ops.registry import convert_to_tensor
from ..ops.state import Variable, assign, assign_add, assign_sub, global_variables, group, trainable_variables

__all__ = ["ExponentialMovingAverage", "moving_average_variables"]

MOVING_AVERAGE_VARIABLES = "moving_average_variables"
_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


class ExponentialMovingAverage:
    """Moving averages of variables and tensors, as TF1's.

    ``apply(var_list)`` makes, for each entry, a non-trainable shadow variable named ``<name>/<self.name>`` (a
    variable's starts at its initial value, a tensor's at zeros) and returns an op that updates every shadow::

        decay_t = min(decay, (1 + num_updates) / (10 + num_updates))   # when num_updates is given
        shadow -= (1 - decay_t) * (shadow - value)

    With ``zero_debias``, a tensor's shadow is the debiased average ``biased / (1 - decay_t ** n)`` after ``n``
    updates (Adam's correction), kept with the variables ``<shadow>/biased`` and ``<shadow>/local_step``.
    Variables averaged are added to the ``moving_average_variables`` collection; ``variables_to_restore()`` maps
    checkpoint names to variables so a ``Saver`` restores the averages in their place.
    """

    def __init__(self, decay, num_updates=None, zero_debias=False, name="ExponentialMovingAverage"):
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages = {}

    name = property(lambda self: self._name)

    def apply(self, var_list=None):
        """The op that updates the shadows of ``var_list`` (default: every trainable variable), making them first."""
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        debiased = set()
        for var in var_list:
            if not isinstance(var, Tensor):
                raise TypeError(f"ExponentialMovingAverage.apply takes variables and tensors, got {var!r}")
            if var.dtype not in _FLOATS:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if var.op in self._averages:
                raise ValueError(f"Moving average already computed for: {var.op.name}")
            with name_scope(None), control_dependencies(None):
                if isinstance(var, Variable):
                    shape_known = var.shape.is_fully_defined()
                    avg = Variable(lambda v=var: v.initial_value, trainable=False, validate_shape=shape_known,
                                   name=f"{var.op.name}/{self._name}")
                    get_default_graph().add_to_collection(MOVING_AVERAGE_VARIABLES, var)
                else:
                    if not var.shape.is_fully_defined():
                        raise ValueError(f"the moving average of '{var.name}' needs its full shape, got {var.shape}")
                    avg = Variable(lambda v=var: zeros(list(v.shape), v.dtype), trainable=False,
                                   name=f"{var.op.name}/{self._name}")
                    if self._zero_debias:
                        debiased.add(avg)
            self._averages[var.op] = avg
        with name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, dtype=dtypes.float32, name="decay")
            if self._num_updates is not None:
                n = cast(self._num_updates, dtypes.float32, name="ToFloat")
                decay = minimum(decay, (1.0 + n) / (10.0 + n))
            updates = [self._update(self._averages[var.op], var, decay, self._averages[var.op] in debiased)
                       for var in var_list]
            return group(*updates, name=scope[:-1] + "/")

    def _update(self, avg, value, decay, zero_debias):
        with name_scope(avg.op.name + "/"):
            one_minus = cast(1.0 - decay, avg.dtype)
            if not zero_debias:
                return assign_sub(avg, (avg - value) * one_minus, name="AssignMovingAvg")
            with name_scope(None), control_dependencies(None):
                biased = Variable(lambda: zeros(list(avg.shape), avg.dtype), trainable=False,
                                  name=f"{avg.op.name}/biased")
                local_step = Variable(lambda: zeros([], avg.dtype), trainable=False,
                                      name=f"{avg.op.name}/local_step")
            biased_t = assign_sub(biased, (biased - value) * one_minus)
            step_t = assign_add(local_step, 1.0)
            unbiased = biased_t / (1.0 - pow(cast(decay, avg.dtype), step_t))
            return assign(avg, unbiased, name="AssignMovingAvg")

    def average(self, var):
        """The shadow variable of ``var`` (None if ``apply`` did not make one)."""
        return self._averages.get(var.op)

    def average_name(self, var):
        """The name ``var``'s shadow has (or would have): ``<var>/<self.name>``, as saved in checkpoints."""
        if var.op in self._averages:
            return self._averages[var.op].op.name
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None):
        """``{checkpoint name: variable}`` restoring each averaged variable from its shadow's saved value (default:
        trainable and ``moving_average_variables``) and every other global variable from its own."""
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + get_default_graph().get_collection(
                MOVING_AVERAGE_VARIABLES)
        averaged = {v.op: v for v in moving_avg_variables}
        names = {self.average_name(v): v for v in averaged.values()}
        for v in global_variables():
            if v.op not in averaged and v.op.name not in names:
                names[v.op.name] = v
        return names


def moving_average_variables(scope=None):
    """The variables whose moving averages ``ExponentialMovingAverage.apply`` keeps (names matching ``scope``)."""
    return get_default_graph().get_collection(MOVING_AVERAGE_VARIABLES, scope)
