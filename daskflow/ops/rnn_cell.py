"""TF1's RNN cells (``tf.nn.rnn_cell``): ``BasicRNNCell``, ``BasicLSTMCell``, ``LSTMCell``, ``GRUCell``, the
``MultiRNNCell`` stack, the ``DropoutWrapper``, ``ResidualWrapper`` and ``DeviceWrapper`` wrappers, and ``LSTMStateTuple``.

A cell maps ``(inputs, state)`` to ``(output, new_state)`` for one time step; ``static_rnn`` and ``dynamic_rnn``
(``daskflow.ops.rnn``) run it over a sequence. The cells are TF1's (``tf_keras``' ``legacy_cells.py``), down to:

- variable names, so that a TF1 checkpoint of the same program restores into daskflow's: a cell makes its variables
  with ``get_variable`` on its first call, in a variable scope named after it (``basic_lstm_cell``, made unique in
  the variable scope of that call: ``rnn/basic_lstm_cell/kernel``), and reuses them on later calls wherever they are
  made; a ``MultiRNNCell`` runs its cells in scopes ``cell_0``, ``cell_1``... (``rnn/multi_rnn_cell/cell_0/gru_cell/
  gates/kernel``); wrappers add no scope;
- the initial values' rules: kernels take the variable scope's initializer (by default Glorot uniform), biases
  zeros, a GRU's gate bias ones; variables have the cell's dtype, by default its first input's;
- the layout of the gates in the kernels: an LSTM's one matmul of ``concat([inputs, h], 1)`` split into ``i, j, f,
  o`` (``forget_bias`` added to ``f``), a GRU's gates ``r, u`` and then its candidate, so that TF's variable values
  give TF's outputs.
"""
import collections
import contextlib
import hashlib
import inspect
import numbers

import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, TensorShape, as_shape, device, name_scope
from ..initializers import constant_initializer, zeros_initializer
from ..nest import (_enumerated_map_structure_up_to, _is_nested, _traverse_shallow, assert_same_structure, flatten,
                    map_structure)
from .array import concat
from .generate import shape as shape_of, zeros
from .hostvalue import constant_value
from .indexing import slice as slice_
from .math import add, clip_by_value, divide, floor, matmul, multiply, sigmoid
from .nn import bias_add, dropout as nn_dropout
from .random import random_uniform
from .layer_base import (LayerWeights, get_activation as _get_activation, get_initializer as _get_initializer,
                         to_snake_case as _to_snake_case, unique_layer_name as _unique_layer_name)
from .registry import convert_to_tensor
from .partitioned import fixed_size_partitioner
from .split import split
from .state import constant, trainable_variables
from .variable_scope import get_variable, get_variable_scope, variable_scope

__all__ = ["RNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell", "MultiRNNCell", "DropoutWrapper",
           "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple"]

_BIAS_VARIABLE_NAME = "bias"
_WEIGHTS_VARIABLE_NAME = "kernel"


# -- helpers

def _tensor(x, name=None):
    return convert_to_tensor(x, name=name) if not isinstance(x, Tensor) else x


def _static_value(x):
    return constant_value(x) if isinstance(x, Tensor) else x


def _dims(size):
    """A state or output size (an int or a TensorShape) as a list of dims."""
    if isinstance(size, Tensor):
        value = _static_value(size)
        if value is None:
            raise ValueError(f"A size given as a tensor must be known when the graph is built, got '{size.name}'")
        size = np.asarray(value).tolist()
    if isinstance(size, numbers.Integral):
        return [int(size)]
    return as_shape(size).as_list()


def _zero_state_tensors(state_size, batch_size, dtype):
    """Zeros of ``[batch_size, *s]`` for each size ``s`` of ``state_size``, in its structure."""
    static = _static_value(batch_size)

    def zeros_of(size):
        dims = _dims(size)
        if static is not None:
            return zeros([int(static)] + dims, dtype)
        return zeros([_tensor(batch_size)] + dims, dtype)
    return map_structure(zeros_of, state_size)


def _check_supported_dtypes(dtype):
    if dtype is None:
        return
    dtype = dtypes.as_dtype(dtype)
    if not (dtypes.is_floating(dtype) or dtype.kind == "c"):
        raise ValueError(f"RNN cell only supports floating point inputs, but received dtype: "
                         f"<dtype: '{dtypes.name(dtype)}'>")


def _check_rnn_cell_input_dtypes(inputs):
    for t in flatten(inputs):
        _check_supported_dtypes(t.dtype)


def _is_ta(x):
    return hasattr(x, "_value_or_none") and hasattr(x, "_with_value")


def assert_like_rnncell(cell_name, cell):
    """Raises TypeError unless ``cell`` looks like an RNNCell (TF's check)."""
    conditions = [hasattr(cell, "output_size"), hasattr(cell, "state_size"),
                  hasattr(cell, "get_initial_state") or hasattr(cell, "zero_state"), callable(cell)]
    errors = ["'output_size' property is missing", "'state_size' property is missing",
              "either 'zero_state' or 'get_initial_state' method is required", "is not callable"]
    if not all(conditions):
        errors = [e for e, c in zip(errors, conditions) if not c]
        raise TypeError(f"The argument {cell_name!r} ({cell}) is not an RNNCell: {', '.join(errors)}.")


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """The state of an LSTM cell: ``(c, h)``, the memory and the output (when ``state_is_tuple``)."""
    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent dtypes for internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


# -- the base cell

class RNNCell(LayerWeights):
    """An RNN cell (TF1's ``tf.nn.rnn_cell.RNNCell``): subclasses give ``state_size``, ``output_size`` and
    ``call(inputs, state)`` returning ``(output, new_state)``; variables made with ``get_variable`` in ``call`` (or
    with ``add_weight`` in ``build(input_shape)``) are made on the first call and found again on later ones.

    Calling the cell (``cell(inputs, state, scope=None)``) opens its variable scope: the one given, or one named after
    the cell (``name``, by default the class's name in snake case), made unique in the variable scope of its first
    call and kept for later calls.
    """

    _ALLOWED_KWARGS = {"trainable", "name", "dtype", "_reuse", "_scope", "input_shape", "batch_input_shape",
                       "batch_size", "weights", "activity_regularizer", "autocast", "dynamic"}

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        bad = set(kwargs) - self._ALLOWED_KWARGS
        if bad:
            raise TypeError(f"Keyword argument not understood: {sorted(bad)[0]!r}")
        self.trainable = trainable
        self._reuse = kwargs.get("_reuse")
        self._scope = kwargs.get("_scope")
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        if isinstance(name, str) and name:
            self._base_name, self._name = name, name
        else:
            self._base_name = _to_snake_case(type(self).__name__)
            self._name = _unique_layer_name(self._base_name)
        self.built = False
        self._trainable_weights, self._non_trainable_weights = [], []
        self._current_scope = None
        self._rnncell_scope = None

    # -- TF's Layer surface

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        """The variables' dtype: given, or that of the first input (None before the first call)."""
        return self._dtype

    @property
    def state_size(self):
        """The size(s) of the state: an int, a TensorShape, or a nested tuple of them."""
        raise TypeError(f"{type(self).__name__} is an RNNCell that does not define state_size")

    @property
    def output_size(self):
        """The size of the output: an int or a TensorShape."""
        raise TypeError(f"{type(self).__name__} is an RNNCell that does not define output_size")

    def build(self, input_shape):
        """Make the variables, for inputs of ``input_shape`` (a TensorShape); called before the first ``call``."""
        self.built = True

    def call(self, inputs, state):
        raise TypeError(f"{type(self).__name__} is an RNNCell that does not define call(inputs, state)")

    def get_config(self):
        return {"name": self._name, "trainable": self.trainable,
                "dtype": dtypes.name(self._dtype) if self._dtype is not None else None}

    # -- calling

    def __call__(self, inputs, state, scope=None):
        """Run the cell for one step: ``(output, new_state)``."""
        if scope is not None:
            with variable_scope(scope, custom_getter=self._rnn_get_variable) as vs:
                return self._layer_call(inputs, state, vs)
        if self._rnncell_scope is None:  # the variable scope of the first call, entered again by later ones
            self._rnncell_scope = get_variable_scope()
        with variable_scope(self._rnncell_scope, custom_getter=self._rnn_get_variable):
            return self._layer_call(inputs, state, None)

    def _rnn_get_variable(self, getter, *args, **kwargs):
        """The custom getter of ``__call__``'s scope: records the variables the cell's call gets."""
        variable = getter(*args, **kwargs)
        self._track(variable)
        return variable

    def _track(self, variable):
        trainable = any(variable is v for v in trainable_variables())
        into = self._trainable_weights if trainable else self._non_trainable_weights
        if all(variable is not v for v in into):
            into.append(variable)

    def _entered(self, reuse):
        """The cell's variable scope opened again (and its name scope, where its ops go)."""
        stack = contextlib.ExitStack()
        vs = stack.enter_context(variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False))
        self._current_scope = vs
        if vs.original_name_scope:
            stack.enter_context(name_scope(vs.original_name_scope if vs.original_name_scope.endswith("/")
                                           else vs.original_name_scope + "/"))
        return stack

    def _layer_call(self, inputs, state, scope):
        self._set_scope(scope)
        with self._entered(True if self.built else self._reuse):
            if not self.built:
                self._maybe_build(inputs)
            kwargs = {"scope": self._current_scope} if self._call_takes_scope() else {}
            return self.call(inputs, state, **kwargs)

    def _call_takes_scope(self):
        try:
            return "scope" in inspect.signature(self.call).parameters
        except (TypeError, ValueError):
            return False

    def _maybe_build(self, inputs):
        flat = flatten(inputs)
        if self._dtype is None and flat:  # the first input's, checked by ``build``
            self._dtype = _tensor(flat[0]).dtype
        shapes = map_structure(lambda t: _tensor(t).shape, inputs)
        self.build(shapes)
        self.built = True

    def add_weight(self, name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
                   constraint=None, partitioner=None, use_resource=None, synchronization=None, aggregation=None,
                   getter=None, **kwargs):
        """A variable ``name`` of the cell's variable scope, made with ``get_variable`` (found again when the cell
        is built)."""
        dtype = dtypes.as_dtype(dtype) if dtype is not None else (self._dtype or dtypes.float32)
        self._set_scope(None)
        with self._entered(self.built or self._reuse):
            if initializer is None:
                initializer = self._current_scope.initializer
            variable = get_variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                                    trainable=trainable and self.trainable, constraint=constraint,
                                    partitioner=partitioner)
        for part in (variable if partitioner is not None else [variable]):  # a PartitionedVariable: its parts
            self._track(part)
        return variable

    add_variable = add_weight

    # -- before a loop

    def _builds_ahead(self):
        """Whether the cell's variables can be made before it is called (``_build_ahead``): its ``build`` makes
        them, its ``call`` none."""
        return isinstance(self, LayerRNNCell)

    def _build_ahead(self, input_shape, dtype):
        """Make the variables the first call on inputs of ``input_shape`` and ``dtype`` would make, where it would
        make them (the current variable scope), without the call's ops: for a loop that calls the cell, whose body
        must read variables made outside it."""
        if self.built:
            return
        with contextlib.ExitStack() as outer:
            if not isinstance(self, LayerRNNCell):  # as ``__call__``: the variable scope of the first call is kept
                if self._rnncell_scope is None:
                    self._rnncell_scope = get_variable_scope()
                outer.enter_context(variable_scope(self._rnncell_scope, custom_getter=self._rnn_get_variable))
            self._set_scope(None)
            self._build_ahead_here(input_shape, dtype)

    def _build_ahead_here(self, input_shape, dtype):
        with self._entered(self._reuse):
            if self._dtype is None and dtype is not None:
                self._dtype = dtypes.as_dtype(dtype)
            self._build_in_scope(input_shape, dtype)
            self.built = True

    def _build_in_scope(self, input_shape, dtype):
        self.build(input_shape)

    # -- states

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """The zero state, for ``inputs``' batch size and dtype, or for ``batch_size`` and ``dtype``."""
        if inputs is not None:
            inputs = _tensor(inputs, name="inputs")
            if batch_size is not None:
                static = _static_value(batch_size)
                if inputs.shape[0] != static:
                    raise ValueError(f"batch size from input tensor is different from the input param. Input tensor "
                                     f"batch: {inputs.shape[0]}, batch_size: {batch_size}")
            if dtype is not None and inputs.dtype != dtypes.as_dtype(dtype):
                raise ValueError(f"dtype from input tensor is different from the input param. Input tensor dtype: "
                                 f"{inputs.dtype}, dtype: {dtype}")
            batch_size = inputs.shape[0] if inputs.shape.ndims and inputs.shape[0] is not None \
                else shape_of(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError(f"batch_size and dtype cannot be None while constructing initial state: "
                             f"batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size, dtype):
        """Zeros of ``[batch_size, s]`` for each size ``s`` of ``state_size``, in its structure."""
        with name_scope(type(self).__name__ + "ZeroState"):
            return _zero_state_tensors(self.state_size, batch_size, dtypes.as_dtype(dtype))

    def __repr__(self):
        return f"<daskflow.nn.rnn_cell.{type(self).__name__} '{self._name}'>"


class LayerRNNCell(RNNCell):
    """A cell whose ``build`` makes its variables (with ``add_weight``) and whose ``call`` makes none."""

    def __call__(self, inputs, state, scope=None, *args, **kwargs):
        return self._layer_call(inputs, state, scope)


def _input_depth(input_shape, cell):
    shape = input_shape if isinstance(input_shape, TensorShape) else None
    if shape is None or shape.ndims is None or not shape.ndims or shape[-1] is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, received shape: {input_shape}")
    return shape[-1]


# -- the cells

class BasicRNNCell(LayerRNNCell):
    """The most basic RNN cell: ``output = new_state = activation(concat([inputs, state]) @ kernel + bias)``.

    Parameters
    ----------
    num_units : int
    activation : callable or str, optional
        Default tanh.
    reuse : bool, optional
        Reuse the variables of a cell of the same name in the same scope.
    name : str, optional
        The cell's variable scope's name (default ``basic_rnn_cell``).
    dtype : dtype, optional
        The variables' dtype (default: the first input's).
    """

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self._num_units = num_units
        self._activation = _get_activation(activation)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, input_shape):
        input_depth = _input_depth(input_shape, self)
        _check_supported_dtypes(self.dtype)
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[input_depth + self._num_units, self._num_units])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[self._num_units],
                                     initializer=zeros_initializer(dtype=self.dtype or dtypes.float32))
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        gate_inputs = bias_add(matmul(concat([inputs, state], 1), self._kernel), self._bias)
        output = self._activation(gate_inputs)
        return output, output

    def get_config(self):
        return dict(super().get_config(), num_units=self._num_units, reuse=self._reuse)


class GRUCell(LayerRNNCell):
    """A gated recurrent unit (Cho et al., 2014): gates ``r, u = split(sigmoid(concat([inputs, state]) @ gates/kernel
    + gates/bias))``, candidate ``c = activation(concat([inputs, r * state]) @ candidate/kernel + candidate/bias)``,
    ``new_h = u * state + (1 - u) * c``.

    Parameters
    ----------
    num_units : int
    activation : callable or str, optional
        Default tanh.
    reuse : bool, optional
    kernel_initializer, bias_initializer : optional
        Initializers of the kernels and biases (default: the scope's, Glorot uniform; biases ones for the gates and
        zeros for the candidate).
    name : str, optional
        Default ``gru_cell``.
    dtype : dtype, optional
    """

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None, bias_initializer=None,
                 name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self._num_units = num_units
        self._activation = _get_activation(activation)
        self._kernel_initializer = _get_initializer(kernel_initializer)
        self._bias_initializer = _get_initializer(bias_initializer)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, input_shape):
        input_depth = _input_depth(input_shape, self)
        _check_supported_dtypes(self.dtype)
        dtype = self.dtype or dtypes.float32
        n = self._num_units
        self._gate_kernel = self.add_weight(f"gates/{_WEIGHTS_VARIABLE_NAME}", shape=[input_depth + n, 2 * n],
                                            initializer=self._kernel_initializer)
        self._gate_bias = self.add_weight(
            f"gates/{_BIAS_VARIABLE_NAME}", shape=[2 * n],
            initializer=self._bias_initializer if self._bias_initializer is not None
            else constant_initializer(1.0, dtype=dtype))
        self._candidate_kernel = self.add_weight(f"candidate/{_WEIGHTS_VARIABLE_NAME}", shape=[input_depth + n, n],
                                                 initializer=self._kernel_initializer)
        self._candidate_bias = self.add_weight(
            f"candidate/{_BIAS_VARIABLE_NAME}", shape=[n],
            initializer=self._bias_initializer if self._bias_initializer is not None
            else zeros_initializer(dtype=dtype))
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        gate_inputs = bias_add(matmul(concat([inputs, state], 1), self._gate_kernel), self._gate_bias)
        value = sigmoid(gate_inputs)
        r, u = split(value=value, num_or_size_splits=2, axis=1)
        r_state = r * state
        candidate = bias_add(matmul(concat([inputs, r_state], 1), self._candidate_kernel), self._candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h

    def get_config(self):
        return dict(super().get_config(), num_units=self._num_units, reuse=self._reuse)


class BasicLSTMCell(LayerRNNCell):
    """The basic LSTM cell (no peepholes, clipping nor projection): ``i, j, f, o = split(concat([inputs, h]) @ kernel
    + bias, 4)``, ``new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * activation(j)``, ``new_h =
    activation(new_c) * sigmoid(o)``.

    Parameters
    ----------
    num_units : int
    forget_bias : float
        Added to the forget gate's pre-activation (default 1).
    state_is_tuple : bool
        The state is an ``LSTMStateTuple(c, h)`` (default), else ``concat([c, h], 1)``.
    activation : callable or str, optional
        Default tanh.
    reuse, name, dtype : optional
        As ``BasicRNNCell``'s (default name ``basic_lstm_cell``).
    """

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _get_activation(activation)

    @property
    def state_size(self):
        return LSTMStateTuple(self._num_units, self._num_units) if self._state_is_tuple else 2 * self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, input_shape):
        input_depth = _input_depth(input_shape, self)
        _check_supported_dtypes(self.dtype)
        h_depth = self._num_units
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[input_depth + h_depth, 4 * self._num_units])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[4 * self._num_units],
                                     initializer=zeros_initializer(dtype=self.dtype or dtypes.float32))
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = split(value=state, num_or_size_splits=2, axis=1)
        gate_inputs = bias_add(matmul(concat([inputs, h], 1), self._kernel), self._bias)
        i, j, f, o = split(value=gate_inputs, num_or_size_splits=4, axis=1)
        forget_bias_tensor = constant(self._forget_bias, dtype=f.dtype)
        new_c = add(multiply(c, sigmoid(add(f, forget_bias_tensor))), multiply(sigmoid(i), self._activation(j)))
        new_h = multiply(self._activation(new_c), sigmoid(o))
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else concat([new_c, new_h], 1)
        return new_h, new_state

    def get_config(self):
        return dict(super().get_config(), num_units=self._num_units, forget_bias=self._forget_bias,
                    state_is_tuple=self._state_is_tuple, reuse=self._reuse)


class LSTMCell(LayerRNNCell):
    """The LSTM cell with optional peepholes (Sak et al., 2014), cell clipping and a projection layer.

    Parameters
    ----------
    num_units : int
    use_peepholes : bool
        Diagonal peephole connections (variables ``w_f_diag``, ``w_i_diag``, ``w_o_diag``).
    cell_clip : float, optional
        Clip the memory ``c`` to ``[-cell_clip, cell_clip]`` before the output activation.
    initializer : optional
        Of the kernel, peepholes and projection (default: the scope's, Glorot uniform).
    num_proj : int, optional
        Project the output to this size (variable ``projection/kernel``).
    proj_clip : float, optional
        Clip the projected output to ``[-proj_clip, proj_clip]``.
    num_unit_shards, num_proj_shards
        Partition the kernel (the projection kernel) into this many variables along its first axis
        (``kernel/part_0``...), as TF's ``fixed_size_partitioner``.
    forget_bias, state_is_tuple, activation, reuse, name, dtype
        As ``BasicLSTMCell``'s (default name ``lstm_cell``).
    """

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None, num_proj=None,
                 proj_clip=None, num_unit_shards=None, num_proj_shards=None, forget_bias=1.0, state_is_tuple=True,
                 activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self._num_unit_shards, self._num_proj_shards = num_unit_shards, num_proj_shards
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = _get_initializer(initializer)
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _get_activation(activation)
        if num_proj:
            self._state_size = LSTMStateTuple(num_units, num_proj) if state_is_tuple else num_units + num_proj
            self._output_size = num_proj
        else:
            self._state_size = LSTMStateTuple(num_units, num_units) if state_is_tuple else 2 * num_units
            self._output_size = num_units

    @property
    def state_size(self):
        return self._state_size

    @property
    def output_size(self):
        return self._output_size

    def build(self, input_shape):
        input_depth = _input_depth(input_shape, self)
        _check_supported_dtypes(self.dtype)
        h_depth = self._num_units if self._num_proj is None else self._num_proj
        shards = [None if n is None else fixed_size_partitioner(n)
                  for n in (self._num_unit_shards, self._num_proj_shards)]
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[input_depth + h_depth, 4 * self._num_units],
                                       initializer=self._initializer, partitioner=shards[0])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[4 * self._num_units],
                                     initializer=zeros_initializer(dtype=self.dtype or dtypes.float32))
        if self._use_peepholes:
            self._w_f_diag = self.add_weight("w_f_diag", shape=[self._num_units], initializer=self._initializer)
            self._w_i_diag = self.add_weight("w_i_diag", shape=[self._num_units], initializer=self._initializer)
            self._w_o_diag = self.add_weight("w_o_diag", shape=[self._num_units], initializer=self._initializer)
        if self._num_proj is not None:
            self._proj_kernel = self.add_weight(f"projection/{_WEIGHTS_VARIABLE_NAME}",
                                                shape=[self._num_units, self._num_proj], initializer=self._initializer,
                                                partitioner=shards[1])
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        num_proj = self._num_units if self._num_proj is None else self._num_proj
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = slice_(state, [0, 0], [-1, self._num_units])
            m_prev = slice_(state, [0, self._num_units], [-1, num_proj])
        if inputs.shape.ndims != 2:
            raise ValueError(f"Shape must be rank 2 but is rank {inputs.shape.ndims} for the inputs "
                             f"('{inputs.name}', shape {inputs.shape}) of {self._name}")
        if inputs.shape[1] is None:
            raise ValueError(f"Could not infer input size from inputs.get_shape()[-1].Received input shape: "
                             f"{inputs.shape}")
        lstm_matrix = bias_add(matmul(concat([inputs, m_prev], 1), self._kernel), self._bias)
        i, j, f, o = split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        if self._use_peepholes:
            c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev +
                 sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else concat([c, m], 1)
        return m, new_state

    def get_config(self):
        return dict(super().get_config(), num_units=self._num_units, use_peepholes=self._use_peepholes,
                    cell_clip=self._cell_clip, num_proj=self._num_proj, proj_clip=self._proj_clip,
                    forget_bias=self._forget_bias, state_is_tuple=self._state_is_tuple, reuse=self._reuse)


class MultiRNNCell(RNNCell):
    """Cells stacked: the output of each is the input of the next, each in variable scope ``cell_<i>``.

    Parameters
    ----------
    cells : list of RNNCell
    state_is_tuple : bool
        The state is a tuple of the cells' states (default), else their concatenation (cells with tuple states are
        then not allowed).
    """

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not _is_nested(cells):
            raise TypeError(f"cells must be a list or tuple, but received: {cells}.")
        self._cells = cells
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(_is_nested(c.state_size) for c in self._cells):
            raise ValueError(f"Some cells return tuples of states, but the flag state_is_tuple is not set. State "
                             f"sizes are: {[c.state_size for c in self._cells]}")

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        with name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return _zero_state_tensors(self.state_size, batch_size, dtypes.as_dtype(dtype))

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for cell in self._cells if isinstance(cell, RNNCell) for w in cell.trainable_weights]

    @property
    def non_trainable_weights(self):
        weights = [w for cell in self._cells if isinstance(cell, RNNCell) for w in cell.non_trainable_weights]
        if not self.trainable:
            return [w for cell in self._cells if isinstance(cell, RNNCell) for w in cell.trainable_weights] + weights
        return weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    variables = weights

    def call(self, inputs, state):
        cur_state_pos = 0
        cur_inp = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with variable_scope("cell_%d" % i):
                if self._state_is_tuple:
                    if not _is_nested(state):
                        raise ValueError(f"Expected state to be a tuple of length {len(self.state_size)}, but "
                                         f"received: {state}")
                    cur_state = state[i]
                else:
                    cur_state = slice_(state, [0, cur_state_pos], [-1, cell.state_size])
                    cur_state_pos += cell.state_size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        new_states = tuple(new_states) if self._state_is_tuple else concat(new_states, 1)
        return cur_inp, new_states

    def _builds_ahead(self):
        return all(isinstance(c, RNNCell) and c._builds_ahead() for c in self._cells)

    def _build_in_scope(self, input_shape, dtype):
        shape = input_shape
        for i, cell in enumerate(self._cells):
            with variable_scope("cell_%d" % i):
                cell._build_ahead(shape, dtype)
            out = cell.output_size
            if _is_nested(out):
                shape = None  # a nested output: the next cell's _build_ahead cannot use it
            else:
                shape = TensorShape([shape[0] if isinstance(shape, TensorShape) and shape.ndims else None]
                                    + _dims(out))


# -- wrappers

class _RNNCellWrapperV1(RNNCell):
    """A cell around another, adding no variable scope: calling it calls the wrapped cell where it stands."""

    def __init__(self, cell, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        raise TypeError(f"{type(self).__name__} is a cell wrapper that does not define _call_wrapped_cell")

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, cell_call_fn=self.cell.__call__, scope=scope)

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    @property
    def built(self):
        return getattr(self.cell, "built", False)

    @built.setter
    def built(self, value):
        pass

    @property
    def trainable_weights(self):
        return list(getattr(self.cell, "trainable_weights", [])) if self.trainable else []

    @property
    def non_trainable_weights(self):
        return list(getattr(self.cell, "non_trainable_weights", []))

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    variables = weights

    def zero_state(self, batch_size, dtype):
        with name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def build(self, input_shape):
        self.cell.build(input_shape)

    def _builds_ahead(self):
        return isinstance(self.cell, RNNCell) and self.cell._builds_ahead()

    def _build_ahead(self, input_shape, dtype):
        self.cell._build_ahead(input_shape, dtype)


def _default_dropout_state_filter_visitor(substate):
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)  # no dropout on the memory
    if _is_ta(substate):
        return False
    return True


class DropoutWrapper(_RNNCellWrapperV1):
    """Dropout on a cell's inputs, outputs and states (TF1's ``DropoutWrapper``).

    Parameters
    ----------
    cell : RNNCell
    input_keep_prob, output_keep_prob, state_keep_prob : float or scalar Tensor
        The probabilities of keeping each element (1: no dropout). State dropout skips what
        ``dropout_state_filter_visitor`` says (by default the memory ``c`` of an ``LSTMStateTuple``).
    variational_recurrent : bool
        One mask for every time step of a run (Gal & Ghahramani), drawn per run; needs ``dtype``, and
        ``input_size`` when inputs are dropped.
    input_size : int, TensorShape or nested structure, optional
    dtype : dtype, optional
    seed : int, optional
        Seeds of the masks (each derived from it as TF derives them).
    dropout_state_filter_visitor : callable, optional
    """

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None, **kwargs):
        super().__init__(cell, dtype=dtype, **kwargs)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError(f"dropout_state_filter_visitor must be callable. Received: "
                            f"{dropout_state_filter_visitor}")
        self._dropout_state_filter = dropout_state_filter_visitor or _default_dropout_state_filter_visitor
        with name_scope("DropoutWrapperInit"):
            for prob, attr in [(input_keep_prob, "input_keep_prob"), (state_keep_prob, "state_keep_prob"),
                               (output_keep_prob, "output_keep_prob")]:
                tensor_prob = _tensor(prob)
                const_prob = _static_value(tensor_prob)
                if const_prob is not None:
                    const_prob = float(np.asarray(const_prob))
                    if const_prob < 0 or const_prob > 1:
                        raise ValueError(f"Parameter {attr} must be between 0 and 1. Received {const_prob}")
                    setattr(self, f"_{attr}", const_prob)
                else:
                    setattr(self, f"_{attr}", tensor_prob)
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._recurrent_input_noise = self._recurrent_state_noise = self._recurrent_output_noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")

            def batch_noise(s, inner_seed):
                return random_uniform([1] + _dims(s), seed=inner_seed, dtype=dtype)

            if not isinstance(self._input_keep_prob, numbers.Real) or self._input_keep_prob < 1.0:
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < 1.0 or is unknown, "
                                     "input_size must be provided")
                self._recurrent_input_noise = _enumerated_map_structure_up_to(
                    input_size, lambda i, s: batch_noise(s, self._gen_seed("input", i)), input_size)
            self._recurrent_state_noise = _enumerated_map_structure_up_to(
                cell.state_size, lambda i, s: batch_noise(s, self._gen_seed("state", i)), cell.state_size)
            self._recurrent_output_noise = _enumerated_map_structure_up_to(
                cell.output_size, lambda i, s: batch_noise(s, self._gen_seed("output", i)), cell.output_size)

    def _gen_seed(self, salt_prefix, index):
        if self._seed is None:
            return None
        salt = "%s_%d" % (salt_prefix, index)
        string = (str(self._seed) + salt).encode("utf-8")
        return int(hashlib.md5(string).hexdigest()[:8], 16) & 0x7FFFFFFF

    @property
    def wrapped_cell(self):
        return self.cell

    def _variational_recurrent_dropout_value(self, unused_index, value, noise, keep_prob):
        random_tensor = keep_prob + noise
        binary_tensor = floor(random_tensor)
        ret = divide(value, keep_prob) * binary_tensor
        ret.set_shape(value.shape)
        return ret

    def _dropout(self, values, salt_prefix, recurrent_noise, keep_prob, shallow_filtered_substructure=None):
        if shallow_filtered_substructure is None:
            shallow_filtered_substructure = values
        if not self._variational_recurrent:
            def dropout(i, do_dropout, v):
                if not isinstance(do_dropout, bool) or do_dropout:
                    return nn_dropout(v, rate=1.0 - keep_prob, seed=self._gen_seed(salt_prefix, i))
                return v
            return _enumerated_map_structure_up_to(shallow_filtered_substructure, dropout,
                                                   shallow_filtered_substructure, values)

        def dropout(i, do_dropout, v, n):
            if not isinstance(do_dropout, bool) or do_dropout:
                return self._variational_recurrent_dropout_value(i, v, n, keep_prob)
            return v
        return _enumerated_map_structure_up_to(shallow_filtered_substructure, dropout, shallow_filtered_substructure,
                                               values, recurrent_noise)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        def _should_dropout(p):
            return (not isinstance(p, float)) or p < 1
        if _should_dropout(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._recurrent_input_noise, self._input_keep_prob)
        output, new_state = cell_call_fn(inputs, state, **kwargs)
        if _should_dropout(self._state_keep_prob):
            shallow = _traverse_shallow(self._dropout_state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._recurrent_state_noise, self._state_keep_prob, shallow)
        if _should_dropout(self._output_keep_prob):
            output = self._dropout(output, "output", self._recurrent_output_noise, self._output_keep_prob)
        return output, new_state


class ResidualWrapper(_RNNCellWrapperV1):
    """A cell whose output is its wrapped cell's output plus its input (``residual_fn(inputs, outputs)``)."""

    def __init__(self, cell, residual_fn=None, **kwargs):
        super().__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)

        def default_residual_fn(inputs, outputs):
            assert_same_structure(inputs, outputs)

            def add(inp, out):
                if not inp.shape.is_compatible_with(out.shape):
                    raise ValueError(f"Shapes {inp.shape} and {out.shape} are incompatible")
                return inp + out
            return map_structure(add, inputs, outputs)
        return (self._residual_fn or default_residual_fn)(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapperV1):
    """A cell whose ops (and zero state) are placed on ``device``."""

    def __init__(self, cell, device, **kwargs):
        super().__init__(cell, **kwargs)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with name_scope(type(self).__name__ + "ZeroState"), device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        with device(self._device):
            return cell_call_fn(inputs, state, **kwargs)
