"""TF1's core layers: ``Dense`` (a densely connected layer), ``Dropout``, ``Flatten``, and their function forms."""
import functools
import operator

from ..initializers import zeros_initializer
from ..ops import nn as _nn
from ..ops.array import expand_dims, reshape, transpose
from ..ops.generate import shape as _shape
from ..ops.math import matmul, tensordot
from ..ops.state import identity
from .base import InputSpec, Layer, bias_and_activation, check_float, get_activation, smart_cond

__all__ = ["Dense", "Dropout", "Flatten", "dense", "dropout", "flatten"]


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)`` (TF1's ``tf.layers.Dense``).

    ``kernel`` is ``[input depth, units]`` (``<scope>/kernel``), made with ``kernel_initializer`` (by default the
    variable scope's initializer, else Glorot uniform), ``bias`` is ``[units]`` (``<scope>/bias``, zeros). Inputs
    of rank > 2 are contracted on their last axis. The last dimension of the inputs must be known.

    Examples
    --------
    >>> import daskflow as df
    >>> df.reset_default_graph()
    >>> x = df.placeholder(df.float32, [None, 3])
    >>> y = df.layers.Dense(4, activation=df.nn.relu)(x)
    >>> y.name, [v.name for v in df.global_variables()]
    ('dense/Relu:0', ['dense/kernel:0', 'dense/bias:0'])
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: "
                             f"units={units}")
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        check_float(self, "Dense")
        last = input_shape[-1] if input_shape.ndims else None
        if last is None:
            full = "<unknown>" if input_shape.ndims is None else tuple(input_shape.as_list())
            raise ValueError("The last dimension of the inputs to a Dense layer should be defined. Found None. Full "
                             f"input shape received: {full}")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.kernel = self.add_weight("kernel", shape=[last, self.units], initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      dtype=self._dtype, trainable=True)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        dtype=self._dtype, trainable=True)
        self.built = True

    def call(self, inputs):
        rank = inputs.shape.ndims
        if rank in (2, None):
            outputs = matmul(inputs, self.kernel, name="MatMul")
        else:
            outputs = tensordot(inputs, self.kernel, [[rank - 1], [0]], name="Tensordot")
        return bias_and_activation(self, outputs)

    def compute_output_shape(self, input_shape):
        from ..graph import TensorShape
        input_shape = TensorShape(input_shape)
        return TensorShape(input_shape.as_list()[:-1] + [self.units])


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
          reuse=None):
    """``Dense(units, ...)`` applied to ``inputs``: a ``name`` is the variable scope itself (not made unique), and
    with ``reuse=True`` the variables of an earlier layer of that name are used again.

    Examples
    --------
    >>> import daskflow as df
    >>> df.reset_default_graph()
    >>> x = df.placeholder(df.float32, [None, 3])
    >>> with df.variable_scope("model"):
    ...     y = df.layers.dense(x, 2, name="out")
    >>> y.name, df.trainable_variables()[0].name
    ('model/out/BiasAdd:0', 'model/out/kernel:0')
    """
    layer = Dense(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                  bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                  bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                  name=name, _scope=name, _reuse=reuse)
    return layer(inputs)


class Dropout(Layer):
    """Zero each input with probability ``rate`` and scale the rest by ``1 / (1 - rate)``, when called with
    ``training=True`` (a Python bool, or a bool tensor deciding at run time); else the inputs unchanged
    (TF1's ``tf.layers.Dropout``). ``noise_shape`` may hold None for the dims taken from the inputs."""

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
            raise ValueError(f"Invalid value {rate} received for `rate`, expected a value between 0 and 1.")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def _get_noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        dims = list(self.noise_shape)
        if all(d is not None for d in dims):
            return dims
        from ..ops.array import stack
        known = inputs.shape.as_list() if inputs.shape.ndims is not None else [None] * len(dims)
        sizes = [d if d is not None else (known[i] if known[i] is not None else _shape(inputs)[i])
                 for i, d in enumerate(dims)]
        return sizes if all(isinstance(s, int) for s in sizes) else stack(sizes)

    def call(self, inputs, training=False):
        def dropped():
            return _nn.dropout(inputs, noise_shape=self._get_noise_shape(inputs), seed=self.seed, rate=self.rate)
        return smart_cond(training, dropped, lambda: identity(inputs, name="Identity"))

    def compute_output_shape(self, input_shape):
        return input_shape


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """``Dropout(rate, noise_shape, seed, name)`` applied to ``inputs`` with ``training``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.reset_default_graph()
    >>> y = df.layers.dropout(df.ones([1000]), rate=0.25, training=True, seed=3)
    >>> values = y.compute()
    >>> sorted(set(values.round(4).tolist())) == [0.0, float(values.max().round(4))]
    True
    >>> round(float(values.max()), 4)
    1.3333
    """
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    return layer(inputs, training=training)


class Flatten(Layer):
    """Flatten each example: ``(batch, ...)`` to ``(batch, n)`` (channels moved last first with
    ``data_format="channels_first"``), ``(batch,)`` to ``(batch, 1)`` (TF1's ``tf.layers.Flatten``)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        rank = inputs.shape.ndims
        if self.data_format == "channels_first" and rank is not None and rank > 1:
            inputs = transpose(inputs, [0] + list(range(2, rank)) + [1])
        if rank == 1:
            return expand_dims(inputs, 1)
        dims = inputs.shape.as_list() if rank is not None else None
        if dims is not None and None not in dims[1:]:
            return reshape(inputs, [-1, functools.reduce(operator.mul, dims[1:], 1)])
        if dims is not None and dims[0] is not None:
            return reshape(inputs, [dims[0], -1])
        from ..ops.array import stack
        return reshape(inputs, stack([_shape(inputs)[0], -1]))

    def compute_output_shape(self, input_shape):
        from ..graph import TensorShape
        dims = TensorShape(input_shape).as_list()
        rest = dims[1:] if len(dims) > 1 else [1]
        return TensorShape([dims[0], None if None in rest else functools.reduce(operator.mul, rest, 1)])


def flatten(inputs, name=None, data_format="channels_last"):
    """``Flatten(data_format, name)`` applied to ``inputs``: ``(batch, ...)`` to ``(batch, n)``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.reset_default_graph()
    >>> df.layers.flatten(df.zeros([2, 3, 4])).shape
    TensorShape([2, 12])
    """
    return Flatten(name=name, data_format=data_format)(inputs)


def _data_format(value):
    """``channels_last`` or ``channels_first`` (None means ``channels_last``)."""
    if value is None:
        return "channels_last"
    fmt = str(value).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of \"channels_first\", \"channels_last\". "
                         f"Received: {value}")
    return fmt

