"""TF1's ``tf.layers.BatchNormalization`` and ``batch_normalization``.

In training (``training=True``, or a bool tensor true at run time) the inputs are normalized with the mean and
(biased) variance of the batch, over every axis but ``axis``; otherwise with the moving averages. Each training call
adds to ``layer.updates`` and the ``update_ops`` collection the two ``AssignMovingAvg`` ops,
``moving -= (moving - batch value) * (1 - momentum)``, run as TF1 programs run them (``with
control_dependencies(get_collection(GraphKeys.UPDATE_OPS))``). As in TF1, 4-D inputs normalized over axis 1 or 3 take
TF's fused kernel's rule (the default ``fused=None``, or ``fused=True``): the moving variance follows the batch's
unbiased (n - 1) variance.
"""
from .. import dtypes
from ..graph import name_scope
from ..initializers import ones_initializer, zeros_initializer
from ..ops import nn as _nn
from ..ops.array import reshape
from ..ops.math import cast, multiply, subtract
from ..ops.registry import convert_to_tensor
from ..ops.state import assign_sub, identity
from .base import InputSpec, Layer, smart_cond, static_training

__all__ = ["BatchNormalization", "batch_normalization"]

class BatchNormalization(Layer):
    """Batch normalization: ``gamma * (x - mean) / sqrt(variance + epsilon) + beta`` per feature of ``axis``
    (TF1's ``tf.layers.BatchNormalization``).

    Variables, in this order: ``gamma`` (if ``scale``), ``beta`` (if ``center``), both trainable, then
    ``moving_mean`` and ``moving_variance``, not trainable. ``renorm``, ``virtual_batch_size`` and ``adjustment``
    are not supported (an error says so).

    Examples
    --------
    >>> import daskflow as df
    >>> df.reset_default_graph()
    >>> x = df.placeholder(df.float32, [None, 3])
    >>> y = df.layers.batch_normalization(x, training=True)
    >>> [v.name for v in df.global_variables()][2:]
    ['batch_normalization/moving_mean:0', 'batch_normalization/moving_variance:0']
    >>> len(df.get_collection(df.GraphKeys.UPDATE_OPS))
    2
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=zeros_initializer(), gamma_initializer=ones_initializer(),
                 moving_mean_initializer=zeros_initializer(), moving_variance_initializer=ones_initializer(),
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None, trainable=True,
                 virtual_batch_size=None, adjustment=None, name=None, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        from .. import errors
        for what, value in (("renorm", renorm), ("virtual_batch_size", virtual_batch_size),
                            ("adjustment", adjustment)):
            if value:
                raise errors.UnimplementedError(None, None, f"BatchNormalization: {what} is not supported")
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis}")
        self.momentum, self.epsilon, self.center, self.scale = momentum, epsilon, center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.renorm, self.virtual_batch_size, self.adjustment = renorm, virtual_batch_size, adjustment
        self.fused = True if fused is None else fused

    def build(self, input_shape):
        ndims = input_shape.ndims
        if ndims is None:
            raise ValueError(f"Input has undefined rank. Received: input_shape={input_shape}.")
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        axes = [a + ndims if a < 0 else a for a in axes]
        for a in axes:
            if a < 0 or a >= ndims:
                raise ValueError(f"Invalid axis. Expected 0 <= axis < inputs.rank (with inputs.rank={ndims}). "
                                 f"Received: layer.axis={self.axis}")
        if len(axes) != len(set(axes)):
            raise ValueError(f"Duplicate axis: {self.axis}")
        self.axis = axes
        self.fused = bool(self.fused) and ndims == 4 and axes in ([1], [3])
        sizes = {a: input_shape[a] for a in axes}
        for a, n in sizes.items():
            if n is None:
                raise ValueError(f"Input has undefined `axis` dimension. Received input with shape "
                                 f"{input_shape} and axis={self.axis}")
        self.input_spec = InputSpec(ndim=ndims, axes=sizes)
        shape = [sizes[axes[0]]] if len(axes) == 1 else [sizes.get(i, 1) for i in range(ndims)]
        pdtype = dtypes.float32 if self._dtype in (None, dtypes.float16) else self._dtype

        def weight(name, init, reg=None, constraint=None, trainable=True):
            return self.add_weight(name, shape=shape, dtype=pdtype, initializer=init, regularizer=reg,
                                   constraint=constraint, trainable=trainable)
        self.gamma = weight("gamma", self.gamma_initializer, self.gamma_regularizer, self.gamma_constraint) \
            if self.scale else None
        self.beta = weight("beta", self.beta_initializer, self.beta_regularizer, self.beta_constraint) \
            if self.center else None
        self.moving_mean = weight("moving_mean", self.moving_mean_initializer, trainable=False)
        self.moving_variance = weight("moving_variance", self.moving_variance_initializer, trainable=False)
        self.built = True

    def _assign_moving_average(self, variable, value, momentum):
        with name_scope("AssignMovingAvg") as scope:
            decay = convert_to_tensor(1.0 - momentum, name="decay")
            decay = cast(decay, variable.dtype) if decay.dtype != variable.dtype else decay
            delta = multiply(subtract(variable, cast(value, variable.dtype)), decay)
            return assign_sub(variable, delta, name=scope)

    def call(self, inputs, training=False):
        ndims = inputs.shape.ndims
        reduction = [i for i in range(ndims) if i not in self.axis]
        keep = len(self.axis) > 1
        bshape = [1] * ndims
        bshape[self.axis[0]] = inputs.shape[self.axis[0]]
        needs_broadcast = not keep and reduction != list(range(ndims - 1))

        def broadcast(v):
            return reshape(v, bshape) if v is not None and needs_broadcast else v
        known = static_training(training)
        if known is False:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            pdtype = self.moving_mean.dtype
            x = inputs if inputs.dtype == pdtype else cast(inputs, pdtype)
            batch_mean, batch_var = _nn.moments(x, reduction, keep_dims=keep)
            mean = smart_cond(training, lambda: batch_mean, lambda: identity(self.moving_mean))
            variance = smart_cond(training, lambda: batch_var, lambda: identity(self.moving_variance))
            moving_var_target = variance
            if self.fused:  # TF's fused kernel feeds the moving average the unbiased variance
                n = 1
                for i in reduction:
                    n *= inputs.shape[i] if inputs.shape[i] is not None else 0
                factor = n / (n - 1) if n > 1 else None
                if factor is None:
                    from ..ops.generate import size
                    count = cast(size(inputs), pdtype) / cast(size(batch_var), pdtype)
                    factor = count / (count - 1.0)
                moving_var_target = smart_cond(training, lambda: batch_var * factor,
                                               lambda: identity(self.moving_variance))
            momentum = self.momentum if known else smart_cond(training, lambda: convert_to_tensor(self.momentum),
                                                              lambda: convert_to_tensor(1.0))
            self.add_update(self._assign_moving_average(self.moving_mean, mean, momentum))
            self.add_update(self._assign_moving_average(self.moving_variance, moving_var_target, momentum))
        mean, variance = cast(mean, inputs.dtype), cast(variance, inputs.dtype)
        offset = cast(self.beta, inputs.dtype) if self.beta is not None else None
        scale = cast(self.gamma, inputs.dtype) if self.gamma is not None else None
        outputs = _nn.batch_normalization(inputs, broadcast(mean), broadcast(variance), broadcast(offset),
                                          broadcast(scale), self.epsilon)
        outputs.set_shape(inputs.shape)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=zeros_initializer(), gamma_initializer=ones_initializer(),
                        moving_mean_initializer=zeros_initializer(), moving_variance_initializer=ones_initializer(),
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                        training=False, trainable=True, name=None, reuse=None, renorm=False, renorm_clipping=None,
                        renorm_momentum=0.99, fused=None, virtual_batch_size=None, adjustment=None):
    """``BatchNormalization(axis, momentum, ...)`` applied to ``inputs`` with ``training`` (``name`` is the
    variable scope; ``reuse``). The moving averages are updated by the ops of the ``update_ops`` collection:

    Examples
    --------
    >>> import daskflow as df
    >>> df.reset_default_graph()
    >>> x = df.placeholder(df.float32, [None, 2])
    >>> y = df.layers.batch_normalization(x, training=True, momentum=0.5)
    >>> with df.control_dependencies(df.get_collection(df.GraphKeys.UPDATE_OPS)):
    ...     step = df.identity(y)
    >>> with df.Session() as s:
    ...     s.run(df.global_variables_initializer())
    ...     _ = s.run(step, {x: [[1.0, 2.0], [3.0, 6.0]]})
    ...     s.run(df.global_variables()[2])
    array([1., 2.], dtype=float32)
    """
    layer = BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                               beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                               moving_mean_initializer=moving_mean_initializer,
                               moving_variance_initializer=moving_variance_initializer,
                               beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                               beta_constraint=beta_constraint, gamma_constraint=gamma_constraint, renorm=renorm,
                               renorm_clipping=renorm_clipping, renorm_momentum=renorm_momentum, fused=fused,
                               trainable=trainable, virtual_batch_size=virtual_batch_size, adjustment=adjustment,
                               name=name, _scope=name, _reuse=reuse)
    return layer(inputs, training=training)
