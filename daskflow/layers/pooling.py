"""TF1's pooling layers: ``MaxPooling1D/2D/3D``, ``AveragePooling1D/2D/3D`` and their function forms.

1-D pooling is 2-D pooling over inputs given a width-1 axis (as Keras does it); 3-D pooling is ``df.nn.max_pool3d``
and ``df.nn.avg_pool3d`` over channels-last inputs (channels-first inputs are transposed there and back).
"""
from .. import nn as _nn
from ..ops.array import expand_dims, squeeze, transpose
from .base import InputSpec, Layer
from .core import _data_format

__all__ = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
           "AveragePooling3D", "max_pooling1d", "max_pooling2d", "max_pooling3d", "average_pooling1d",
           "average_pooling2d", "average_pooling3d"]


def normalize_tuple(value, n, what):
    """``value`` (an int, or n ints) as a tuple of n ints (Keras' ``normalize_tuple``)."""
    if isinstance(value, int):
        return (value,) * n
    try:
        values = tuple(value)
    except TypeError:
        raise ValueError(f"The `{what}` argument must be a tuple of {n} integers. Received: {value}") from None
    if len(values) != n or not all(isinstance(v, int) for v in values):
        raise ValueError(f"The `{what}` argument must be a tuple of {n} integers. Received: {value}")
    return values


def normalize_padding(value, causal=False):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ({"valid", "same", "causal"} if causal else {"valid", "same"}):
        raise ValueError('The `padding` argument must be a list/tuple or one of "valid", "same" (or "causal", only '
                         f"for `Conv1D). Received: {value}")
    return padding


class _Pooling(Layer):
    """Pooling over ``rank`` spatial dims with windows of ``pool_size``, steps of ``strides``."""
    rank = 2
    kind = "max"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = normalize_tuple(strides if strides is not None else pool_size, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = _data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _pool2d(self, inputs, pool_size, strides, data_format):
        fn = _nn.max_pool if self.kind == "max" else _nn.avg_pool
        return fn(inputs, list(pool_size), list(strides), self.padding.upper(),
                  data_format="NHWC" if data_format == "channels_last" else "NCHW",
                  name="MaxPool" if self.kind == "max" else "AvgPool")

    def call(self, inputs):
        if self.rank == 2:
            return self._pool2d(inputs, self.pool_size, self.strides, self.data_format)
        if self.rank == 1:  # a 2-D pooling over a width-1 axis
            axis = 2 if self.data_format == "channels_last" else 3
            out = self._pool2d(expand_dims(inputs, axis), self.pool_size + (1,), self.strides + (1,),
                               self.data_format)
            return squeeze(out, [axis])
        first = self.data_format == "channels_first"
        if first:
            inputs = transpose(inputs, [0, 2, 3, 4, 1])
        fn = _nn.max_pool3d if self.kind == "max" else _nn.avg_pool3d
        out = fn(inputs, [1, *self.pool_size, 1], [1, *self.strides, 1], self.padding.upper(),
                 name="MaxPool3D" if self.kind == "max" else "AvgPool3D")
        return transpose(out, [0, 4, 1, 2, 3]) if first else out


def _pool_class(name, rank, kind, doc):
    return type(name, (_Pooling,), {"rank": rank, "kind": kind, "__doc__": doc, "__module__": __name__})


MaxPooling1D = _pool_class("MaxPooling1D", 1, "max", "Max pooling over the steps of ``(batch, steps, channels)``.")
MaxPooling2D = _pool_class("MaxPooling2D", 2, "max", "Max pooling over the rows and columns of images.")
MaxPooling3D = _pool_class("MaxPooling3D", 3, "max", "Max pooling over the three spatial dims of volumes.")
AveragePooling1D = _pool_class("AveragePooling1D", 1, "avg",
                               "Average pooling over the steps of ``(batch, steps, channels)``.")
AveragePooling2D = _pool_class("AveragePooling2D", 2, "avg", "Average pooling over the rows and columns of images.")
AveragePooling3D = _pool_class("AveragePooling3D", 3, "avg",
                               "Average pooling over the three spatial dims of volumes.")

_POOL_DOC = """``{cls}(pool_size, strides, padding, data_format, name)`` applied to ``inputs``: {what}.

``pool_size`` and ``strides`` are an int or {n} ints; ``padding`` "valid" or "same" (case-insensitive);
``data_format`` "channels_last" or "channels_first"."""


def _pool_function(cls, name, what):
    def fn(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return cls(pool_size=pool_size, strides=strides, padding=padding, data_format=data_format, name=name)(inputs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = _POOL_DOC.format(cls=cls.__name__, what=what, n=cls.rank)
    return fn


max_pooling1d = _pool_function(MaxPooling1D, "max_pooling1d", "the maximum of each window of steps")
max_pooling2d = _pool_function(MaxPooling2D, "max_pooling2d", "the maximum of each window of an image")
max_pooling3d = _pool_function(MaxPooling3D, "max_pooling3d", "the maximum of each window of a volume")
average_pooling1d = _pool_function(AveragePooling1D, "average_pooling1d", "the mean of each window of steps")
average_pooling2d = _pool_function(AveragePooling2D, "average_pooling2d", "the mean of each window of an image")
average_pooling3d = _pool_function(AveragePooling3D, "average_pooling3d", "the mean of each window of a volume")
