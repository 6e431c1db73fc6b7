"""TF1's convolution layers: ``Conv1D/2D/3D``, ``Conv2DTranspose``, ``Conv3DTranspose``, ``SeparableConv1D/2D``
and their function forms.

Variables are TF's: ``kernel`` of ``kernel_size + (input channels, filters)`` (transposed convolutions:
``kernel_size + (filters, input channels)``), separable ones ``depthwise_kernel`` of ``kernel_size + (input
channels, depth_multiplier)`` and ``pointwise_kernel`` of ``(1,) * rank + (input channels * depth_multiplier,
filters)``, then ``bias`` of ``(filters,)``. 3-D, transposed 3-D and separable convolutions run on channels-last
inputs (channels-first ones are transposed there and back).
"""
from .. import nn as _nn
from ..graph import TensorShape
from ..initializers import zeros_initializer
from ..ops.array import expand_dims, pad, reshape, squeeze, stack, transpose
from ..ops.math import add
from ..ops.generate import shape as _shape
from .base import InputSpec, Layer, bias_and_activation, get_activation
from .core import _data_format
from .pooling import normalize_padding, normalize_tuple

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D",
           "conv1d", "conv2d", "conv3d", "conv2d_transpose", "conv3d_transpose", "separable_conv1d",
           "separable_conv2d"]

_TO_LAST = {1: [0, 2, 1], 2: [0, 2, 3, 1], 3: [0, 2, 3, 4, 1]}
_TO_FIRST = {1: [0, 2, 1], 2: [0, 3, 1, 2], 3: [0, 4, 1, 2, 3]}


class _Conv(Layer):
    """The convolution layers' base: arguments, checks, the kernel and bias, the bias and activation."""
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        if filters is not None and (not isinstance(filters, int) or filters <= 0):
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. Received "
                             f"filters={filters}.")
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding, causal=self.rank == 1 and not self._transposed)
        self.data_format = _data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.input_spec = InputSpec(min_ndim=self.rank + 2)

    _transposed = False

    @property
    def _first(self):
        return self.data_format == "channels_first"

    def _channels(self, input_shape, what="the inputs"):
        axis = -1 - self.rank if self._first else -1
        ndims = input_shape.ndims
        channels = input_shape[axis] if ndims is not None and ndims >= self.rank + 2 else None
        if channels is None:
            raise ValueError(f"The channel dimension of {what} should be defined. The input_shape received is "
                             f"{input_shape}, where axis {axis} (0-based) is the channel dimension, which found to "
                             "be `None`.")
        return axis, channels

    def _weight(self, name, shape, kind):
        return self.add_weight(name, shape=shape, initializer=getattr(self, kind + "_initializer"),
                               regularizer=getattr(self, kind + "_regularizer"),
                               constraint=getattr(self, kind + "_constraint"), dtype=self._dtype, trainable=True)

    def _bias(self):
        self.bias = self._weight("bias", [self.filters], "bias") if self.use_bias else None

    def build(self, input_shape):
        axis, channels = self._channels(input_shape)
        self.kernel = self._weight("kernel", list(self.kernel_size) + [channels, self.filters], "kernel")
        self._bias()
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _causal(self, inputs):
        """``inputs`` padded before their steps so that output ``t`` sees inputs up to ``t`` only."""
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        pads = [[0, 0], [0, 0], [left, 0]] if self._first else [[0, 0], [left, 0], [0, 0]]
        return pad(inputs, pads)

    def _convolve(self, inputs):
        padding = self.padding.upper()
        if self.rank == 1:
            if self.padding == "causal":
                inputs, padding = self._causal(inputs), "VALID"
            return _nn.conv1d(inputs, self.kernel, self.strides[0], padding, data_format="NCW" if self._first
                              else "NWC", dilations=self.dilation_rate[0], name="Conv1D")
        if self.rank == 2:
            return _nn.conv2d(inputs, self.kernel, list(self.strides), padding, data_format="NCHW" if self._first
                              else "NHWC", dilations=list(self.dilation_rate), name="Conv2D")
        x = transpose(inputs, _TO_LAST[3]) if self._first else inputs
        y = _nn.conv3d(x, self.kernel, [1, *self.strides, 1], padding, data_format="NDHWC",
                       dilations=[1, *self.dilation_rate, 1], name="Conv3D")
        return transpose(y, _TO_FIRST[3]) if self._first else y

    def call(self, inputs):
        outputs = self._convolve(inputs)
        if self.rank == 1 and self._first and self.use_bias:  # as TF: the bias reshaped to (1, filters, 1), added
            outputs = add(outputs, reshape(self.bias, [1, self.filters, 1]), name="add")
            return self.activation(outputs) if self.activation is not None else outputs
        return bias_and_activation(self, outputs, "NCHW" if self._first else "NHWC")

    def compute_output_shape(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        spatial = dims[2:] if self._first else dims[1:-1]
        out = [_conv_length(n, k, self.padding, s, d)
               for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        return TensorShape([dims[0], self.filters] + out if self._first else [dims[0]] + out + [self.filters])


def _conv_length(n, k, padding, stride, dilation):
    if n is None:
        return None
    k = k + (k - 1) * (dilation - 1)
    n = n - k + 1 if padding == "valid" else n
    return (n + stride - 1) // stride


def _deconv_length(n, k, padding, stride):
    """The size of a transposed convolution's output along a dim of ``n`` (an int or a scalar tensor)."""
    return n * stride + max(k - stride, 0) if padding == "valid" else n * stride


def _conv_class(name, rank, doc, strides_default):
    def __init__(self, filters, kernel_size, strides=strides_default, padding="valid", data_format="channels_last",
                 dilation_rate=strides_default, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):
        _Conv.__init__(self, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                       dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                       kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                       activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                       bias_constraint=bias_constraint, trainable=trainable, name=name, **kwargs)
    return type(name, (_Conv,), {"rank": rank, "__doc__": doc, "__init__": __init__, "__module__": __name__})


Conv1D = _conv_class("Conv1D", 1, """1-D convolution layer over ``(batch, steps, channels)`` inputs (channels
second with ``data_format="channels_first"``): ``activation(conv1d(inputs, kernel) + bias)``. ``padding`` is
"valid", "same" or "causal" (left-padded: output ``t`` sees inputs up to ``t``).""", 1)
Conv2D = _conv_class("Conv2D", 2, """2-D convolution layer over images: ``activation(conv2d(inputs, kernel) +
bias)`` with ``kernel`` of ``kernel_size + (input channels, filters)`` (TF1's ``tf.layers.Conv2D``).

Examples
--------
>>> import daskflow as df
>>> df.reset_default_graph()
>>> x = df.placeholder(df.float32, [None, 8, 8, 3])
>>> y = df.layers.Conv2D(4, 3, padding="same")(x)
>>> y.shape, [v.name for v in df.global_variables()]
(TensorShape([None, 8, 8, 4]), ['conv2d/kernel:0', 'conv2d/bias:0'])
""", (1, 1))
Conv3D = _conv_class("Conv3D", 3, """3-D convolution layer over volumes ``(batch, depth, height, width,
channels)``: ``activation(conv3d(inputs, kernel) + bias)``.""", (1, 1, 1))


class _ConvTranspose(_Conv):
    """Transposed convolutions (the gradient of a convolution with respect to its input)."""
    _transposed = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 activation=None, use_bias=True, kernel_initializer=None, bias_initializer=zeros_initializer(),
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                         name=name, **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        if input_shape.ndims != self.rank + 2:
            raise ValueError(f"Inputs should have rank {self.rank + 2}. Received input_shape={input_shape}.")
        axis, channels = self._channels(input_shape, f"the inputs to `{type(self).__name__}`")
        self.kernel = self._weight("kernel", list(self.kernel_size) + [self.filters, channels], "kernel")
        self._bias()
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _convolve(self, inputs):
        x = transpose(inputs, _TO_LAST[self.rank]) if self._first else inputs
        dims = x.shape.as_list()
        sizes = [dims[i] if dims[i] is not None else _shape(x)[i] for i in range(1, self.rank + 1)]
        out = [_deconv_length(n, k, self.padding, s) for n, k, s in zip(sizes, self.kernel_size, self.strides)]
        batch = dims[0] if dims[0] is not None else _shape(x)[0]
        output_shape = [batch, *out, self.filters]
        if not all(isinstance(d, int) for d in output_shape):
            output_shape = stack(output_shape)
        if self.rank == 2:
            y = _nn.conv2d_transpose(x, self.kernel, output_shape, list(self.strides), self.padding.upper(),
                                     data_format="NHWC", name="conv2d_transpose")
        else:
            y = _nn.conv3d_transpose(x, self.kernel, output_shape, [1, *self.strides, 1], self.padding.upper(),
                                     data_format="NDHWC", name="conv3d_transpose")
        y.set_shape([dims[0], *[d if isinstance(d, int) else None for d in out], self.filters])
        return transpose(y, _TO_FIRST[self.rank]) if self._first else y

    def compute_output_shape(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        spatial = dims[2:] if self._first else dims[1:-1]
        out = [None if n is None else _deconv_length(n, k, self.padding, s)
               for n, k, s in zip(spatial, self.kernel_size, self.strides)]
        return TensorShape([dims[0], self.filters] + out if self._first else [dims[0]] + out + [self.filters])


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution layer (sometimes called deconvolution): ``kernel`` of ``kernel_size +
    (filters, input channels)``; each spatial size ``n`` becomes ``n * stride`` ("same") or ``n * stride +
    max(kernel - stride, 0)`` ("valid")."""
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                 activation=None, use_bias=True, kernel_initializer=None, bias_initializer=zeros_initializer(),
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(**_own_args(locals()))


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution layer; arguments and sizes as ``Conv2DTranspose``'s, over volumes."""
    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
                 activation=None, use_bias=True, kernel_initializer=None, bias_initializer=zeros_initializer(),
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(**_own_args(locals()))


def _own_args(args):
    args = dict(args)
    args.pop("self"), args.pop("__class__", None)
    return {**args.pop("kwargs"), **args}


class _SeparableConv(_Conv):
    """A depthwise convolution (``depth_multiplier`` outputs per input channel) then a 1x1 one to ``filters``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=zeros_initializer(), depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint,
                         trainable=trainable, name=name, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer, self.pointwise_initializer = depthwise_initializer, pointwise_initializer
        self.depthwise_regularizer, self.pointwise_regularizer = depthwise_regularizer, pointwise_regularizer
        self.depthwise_constraint, self.pointwise_constraint = depthwise_constraint, pointwise_constraint

    def build(self, input_shape):
        axis, channels = self._channels(input_shape, "the inputs to `SeparableConv`")
        self.depthwise_kernel = self._weight("depthwise_kernel", list(self.kernel_size) + [channels,
                                             self.depth_multiplier], "depthwise")
        self.pointwise_kernel = self._weight("pointwise_kernel", [1] * self.rank + [channels * self.depth_multiplier,
                                             self.filters], "pointwise")
        self._bias()
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _convolve(self, inputs):
        x = transpose(inputs, _TO_LAST[self.rank]) if self._first else inputs
        depthwise, pointwise = self.depthwise_kernel, self.pointwise_kernel
        strides, rate, padding = list(self.strides), list(self.dilation_rate), self.padding
        if self.rank == 1:  # a 2-D separable convolution over images of height 1
            if padding == "causal":
                left = rate[0] * (self.kernel_size[0] - 1)
                x, padding = pad(x, [[0, 0], [left, 0], [0, 0]]), "valid"
            x = expand_dims(x, 1)
            depthwise, pointwise = expand_dims(depthwise, 0), expand_dims(pointwise, 0)
            strides, rate = strides * 2, [1] + rate
        y = _nn.separable_conv2d(x, depthwise, pointwise, [1, *strides, 1], padding.upper(), rate=rate,
                                 data_format="NHWC", name="separable_conv2d")
        y = transpose(y, _TO_FIRST[2]) if self._first else y
        if self.use_bias:  # as TF: the bias added before a 1-D convolution's height axis is squeezed out
            y = _nn.bias_add(y, self.bias, data_format="NCHW" if self._first else "NHWC")
        if self.rank == 1:
            y = squeeze(y, [2 if self._first else 1])
        return self.activation(y) if self.activation is not None else y

    def call(self, inputs):
        return self._convolve(inputs)


class SeparableConv1D(_SeparableConv):
    """Depthwise separable 1-D convolution layer: a depthwise convolution over the steps, then a pointwise one."""
    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=zeros_initializer(), depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(**_own_args(locals()))


class SeparableConv2D(_SeparableConv):
    """Depthwise separable 2-D convolution layer: a depthwise convolution of each input channel, then a 1x1
    convolution mixing the channels to ``filters``."""
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer=None, pointwise_initializer=None, bias_initializer=zeros_initializer(),
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(**_own_args(locals()))


# -- function forms: the layer, with ``name`` as its variable scope and ``reuse``, applied to ``inputs``

def _apply(cls, args):
    args = dict(args)
    inputs, reuse = args.pop("inputs"), args.pop("reuse")
    return cls(**args, _scope=args["name"], _reuse=reuse)(inputs)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last", dilation_rate=1,
           activation=None, use_bias=True, kernel_initializer=None, bias_initializer=zeros_initializer(),
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """``Conv1D(filters, kernel_size, ...)`` applied to ``inputs`` (``name`` is the variable scope; ``reuse``)."""
    return _apply(Conv1D, locals())


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    """``Conv2D(filters, kernel_size, ...)`` applied to ``inputs`` (``name`` is the variable scope; ``reuse``).

    Examples
    --------
    >>> import daskflow as df
    >>> df.reset_default_graph()
    >>> x = df.placeholder(df.float32, [2, 6, 6, 1])
    >>> df.layers.conv2d(x, 3, [3, 3], strides=2, name="c").name
    'c/BiasAdd:0'
    """
    return _apply(Conv2D, locals())


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    """``Conv3D(filters, kernel_size, ...)`` applied to ``inputs`` (``name`` is the variable scope; ``reuse``)."""
    return _apply(Conv3D, locals())


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None, bias_initializer=zeros_initializer(),
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """``Conv2DTranspose(filters, kernel_size, ...)`` applied to ``inputs``."""
    return _apply(Conv2DTranspose, locals())


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None, bias_initializer=zeros_initializer(),
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """``Conv3DTranspose(filters, kernel_size, ...)`` applied to ``inputs``."""
    return _apply(Conv3DTranspose, locals())


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                     dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=zeros_initializer(), depthwise_regularizer=None,
                     pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                     name=None, reuse=None):
    """``SeparableConv1D(filters, kernel_size, ...)`` applied to ``inputs``."""
    return _apply(SeparableConv1D, locals())


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                     depthwise_initializer=None, pointwise_initializer=None, bias_initializer=zeros_initializer(),
                     depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """``SeparableConv2D(filters, kernel_size, ...)`` applied to ``inputs``."""
    return _apply(SeparableConv2D, locals())
