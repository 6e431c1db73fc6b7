"""2-D convolution and pooling over NHWC images, with their gradient ops (TF's Conv2DBackpropInput,
Conv2DBackpropFilter, MaxPoolGrad, MaxPoolGradGrad and AvgPoolGrad).

Lowering rechunks height, width and channels to single chunks and keeps the batch chunks, so every block holds
whole images and a per-block kernel does the work: im2col (one strided view of the padded block per kernel offset)
and one matmul for convolutions, running maxima and sums over the same views for pooling. Results never depend
on the batch chunking; the filter gradient is a per-chunk partial sum reduced over the batch chunks.
"""
from ..graph import name_scope
from .conv_geom import FLOATS as _FLOATS, REAL as _REAL, apply_last, channels_last, padding_arg, pick as _pick
from .conv_geom import avg_pool_block as _avg_pool_block, avg_pool_grad_block as _avg_pool_grad_block
from .conv_geom import blockwise as _blockwise, check_dim as _check_dim, check_images as _check_images
from .conv_geom import check_like as _check_like, check_lowered as _check_lowered
from .conv_geom import check_same_dtype as _check_same_dtype, conv_block as _conv_block
from .conv_geom import conv_filter_block as _conv_filter_block, conv_footprint as _conv_footprint
from .conv_geom import conv_input_block as _conv_input_block, geo as _geo, geometry as _geometry
from .conv_geom import images_footprint as _images_footprint, lowered_sizes as _lowered_sizes
from .conv_geom import max_pool_block as _max_pool_block, max_pool_grad_block as _max_pool_grad_block
from .conv_geom import max_pool_grad_grad_block as _max_pool_grad_grad_block, sizes as _sizes
from .conv_geom import spatial_arg, spatial_of as _hw_of, to_last
from .generate import shape
from .registry import apply1, convert_to_tensor, register

__all__ = ["conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose", "conv1d", "atrous_conv2d",
           "max_pool", "max_pool2d", "avg_pool", "avg_pool2d"]


# -- build-time checks

def _check_out_backprop(op, dy, ds, out):
    """A convolution gradient's ``out_backprop`` has the shape of the convolution's output."""
    for i, what in ((0, "batch size"), (1, "height"), (2, "width"), (3, "channels")):
        _check_dim(op, f"out_backprop '{dy.name}' of shape {dy.shape} has {what}", ds[i], out[i])


def _conv_out(op, x, w):
    """The NHWC output shape of convolving ``x``'s shape with ``w``'s (lists with None for unknown dims)."""
    (ho, wo), _ = _geometry(op, x[1:3], w[:2])
    return [x[0], ho, wo, w[3]]


# -- ops

@register("Conv2D")
class Conv2D:
    footprint = _conv_footprint

    def infer(op):
        x, w = op.inputs
        xs, ws = _check_images(op, x, "input", _FLOATS), _check_images(op, w, "filter", _FLOATS)
        _check_same_dtype(op, x, w)
        _check_dim(op, f"input '{x.name}' has {xs[3]} channels, but filter '{w.name}' of shape {w.shape} expects",
                   xs[3], ws[2])
        return [(_conv_out(op, xs, ws), x.dtype)]

    def lower(op, x, w):
        geo = _geo(op, _hw_of(x), w.shape[:2])
        _check_lowered(op, x, "input", _hw_of(x) + (w.shape[2],))
        return _blockwise(_conv_block, geo[4] + (w.shape[3],), x.dtype, [x], [w], geo=geo)

    def grad(op, dy):
        x, w = op.inputs
        return [apply1("Conv2DBackpropInput", [shape(x), w, dy], dict(op.attrs)),
                apply1("Conv2DBackpropFilter", [x, shape(w), dy], dict(op.attrs))]


@register("Conv2DBackpropInput")
class Conv2DBackpropInput:
    """The gradient of Conv2D with respect to its input: the transposed convolution of ``out_backprop``."""

    footprint = _conv_footprint

    def infer(op):
        _, w, dy = op.inputs
        ws, ds = _check_images(op, w, "filter", _FLOATS), _check_images(op, dy, "out_backprop", _FLOATS)
        _check_same_dtype(op, w, dy)
        xs = _sizes(op, 0, "input_sizes")
        out = _conv_out(op, xs, ws)
        _check_out_backprop(op, dy, ds, out)
        _check_dim(op, f"input_sizes has {xs[3]} channels, but the filter of shape {w.shape} expects", xs[3], ws[2])
        return [(xs, dy.dtype)]

    def lower(op, _, w, dy):
        sizes = _lowered_sizes(op, 0, "input_sizes")
        hw = tuple(sizes[1:3])
        geo = _geo(op, hw, w.shape[:2])
        _check_lowered(op, dy, "out_backprop", geo[4] + (w.shape[3],))
        return _blockwise(_conv_input_block, hw + (sizes[3],), dy.dtype, [dy], [w], geo=geo, sizes=hw)

    def grad(op, ddx):
        _, w, dy = op.inputs
        return [None, apply1("Conv2DBackpropFilter", [ddx, shape(w), dy], dict(op.attrs)),
                apply1("Conv2D", [ddx, w], dict(op.attrs))]


@register("Conv2DBackpropFilter")
class Conv2DBackpropFilter:
    """The gradient of Conv2D with respect to its filter: per batch chunk a partial sum, then their total."""

    footprint = _conv_footprint

    def infer(op):
        x, _, dy = op.inputs
        xs, ds = _check_images(op, x, "input", _FLOATS), _check_images(op, dy, "out_backprop", _FLOATS)
        _check_same_dtype(op, x, dy)
        ws = _sizes(op, 1, "filter_sizes")
        out = _conv_out(op, xs, ws)
        _check_out_backprop(op, dy, ds, out)
        _check_dim(op, f"input '{x.name}' has {xs[3]} channels, but filter_sizes expects", xs[3], ws[2])
        return [(ws, x.dtype)]

    def lower(op, x, _, dy):
        wshape = tuple(_lowered_sizes(op, 1, "filter_sizes"))
        geo = _geo(op, _hw_of(x), wshape[:2])
        _check_lowered(op, dy, "out_backprop", geo[4] + (wshape[3],))
        parts = _blockwise(_conv_filter_block, wshape, x.dtype, [x, dy], batch_chunk=1, geo=geo, wshape=wshape)
        return parts.sum(axis=0, dtype=x.dtype)

    def grad(op, ddw):
        x, _, dy = op.inputs
        return [apply1("Conv2DBackpropInput", [shape(x), ddw, dy], dict(op.attrs)), None,
                apply1("Conv2D", [x, ddw], dict(op.attrs))]


def _pool_out(op, x):
    xs = _check_images(op, x, "input", _FLOATS if op.type.startswith("Avg") else _REAL)
    (ho, wo), _ = _geometry(op, xs[1:3], op.attrs["ksize"])
    return xs, [xs[0], ho, wo, xs[3]]



@register("MaxPool")
class MaxPool:
    footprint = _images_footprint

    def infer(op):
        return [(_pool_out(op, op.inputs[0])[1], op.inputs[0].dtype)]

    def lower(op, x):
        geo = _geo(op, _hw_of(x), op.attrs["ksize"])
        return _blockwise(_max_pool_block, geo[4] + (x.shape[3],), x.dtype, [x], geo=geo)

    def grad(op, dy):
        return [apply1("MaxPoolGrad", [op.inputs[0], dy], dict(op.attrs))]


@register("MaxPoolGrad")
class MaxPoolGrad:
    """MaxPool's gradient: each window's gradient goes to the position of its maximum (the first on ties)."""

    footprint = _images_footprint

    def infer(op):
        x, dy = op.inputs
        xs, out = _pool_out(op, x)
        _check_like(op, dy, "grad", out, x)
        return [(xs, x.dtype)]

    def lower(op, x, dy):
        geo = _geo(op, _hw_of(x), op.attrs["ksize"])
        _check_lowered(op, dy, "grad", geo[4] + (x.shape[3],))
        return _blockwise(_max_pool_grad_block, tuple(int(d) for d in x.shape[1:]), x.dtype, [x, dy], geo=geo)

    def grad(op, ddx):  # linear in dy; the argmax positions are piecewise constant in x
        return [None, apply1("MaxPoolGradGrad", [op.inputs[0], ddx], dict(op.attrs))]


@register("MaxPoolGradGrad")
class MaxPoolGradGrad:
    """The adjoint of MaxPoolGrad in its ``grad`` input: ``ddx`` read at each window's argmax position."""

    footprint = _images_footprint

    def infer(op):
        x, ddx = op.inputs
        xs, out = _pool_out(op, x)
        _check_like(op, ddx, "grad", xs, x)
        return [(out, x.dtype)]

    def lower(op, x, ddx):
        geo = _geo(op, _hw_of(x), op.attrs["ksize"])
        _check_lowered(op, ddx, "grad", x.shape[1:])
        return _blockwise(_max_pool_grad_grad_block, geo[4] + (x.shape[3],), x.dtype, [x, ddx], geo=geo)

    def grad(op, ddy):
        return [None, apply1("MaxPoolGrad", [op.inputs[0], ddy], dict(op.attrs))]


@register("AvgPool")
class AvgPool:
    footprint = _images_footprint

    def infer(op):
        return [(_pool_out(op, op.inputs[0])[1], op.inputs[0].dtype)]

    def lower(op, x):
        geo = _geo(op, _hw_of(x), op.attrs["ksize"])
        return _blockwise(_avg_pool_block, geo[4] + (x.shape[3],), x.dtype, [x], geo=geo)

    def grad(op, dy):
        return [apply1("AvgPoolGrad", [shape(op.inputs[0]), dy], dict(op.attrs))]


@register("AvgPoolGrad")
class AvgPoolGrad:
    """AvgPool's gradient: each window's gradient shared evenly among the real positions it covers."""

    footprint = _images_footprint

    def infer(op):
        dy = op.inputs[1]
        xs = _sizes(op, 0, "orig_input_shape")
        ds = _check_images(op, dy, "grad", _FLOATS)
        (ho, wo), _ = _geometry(op, xs[1:3], op.attrs["ksize"])
        for i, d in enumerate((xs[0], ho, wo, xs[3])):
            _check_dim(op, f"grad '{dy.name}' of shape {dy.shape} has dim {i} of size", ds[i], d)
        return [(xs, dy.dtype)]

    def lower(op, _, dy):
        sizes = _lowered_sizes(op, 0, "orig_input_shape")
        hw = tuple(sizes[1:3])
        geo = _geo(op, hw, op.attrs["ksize"])
        _check_lowered(op, dy, "grad", geo[4] + (sizes[3],))
        return _blockwise(_avg_pool_grad_block, hw + (sizes[3],), dy.dtype, [dy], geo=geo, sizes=hw)

    def grad(op, ddx):
        return [None, apply1("AvgPool", [ddx], dict(op.attrs))]


# -- public functions

def _format(data_format, fn):
    channels_last(data_format, 2, fn)
    return data_format or "NHWC"


def _hw(value, what, data_format, fn):
    """(h, w) from TF's forms: an int, or a list of 1, 2 or 4 ints (4: in ``data_format`` order, with 1 on the
    batch and channel dims)."""
    return spatial_arg(value, what, 2, data_format == "NHWC", fn)


def _padding(padding, data_format, fn, explicit=True):
    """"SAME" or "VALID", or (explicit) ((top, bottom), (left, right)) from TF's list of 4 [before, after] pairs."""
    return padding_arg(padding, 2, data_format == "NHWC", fn, explicit)


def _nhwc(x, data_format):
    return to_last(x, data_format == "NHWC")


def _apply(type_name, inputs, attrs, data_format, scope):
    """The op on NHWC inputs, named ``scope``; for NCHW its output transposed back (that transpose named so)."""
    return apply_last(type_name, inputs, attrs, data_format == "NHWC", scope, 2)


def _conv_attrs(strides, padding, dilations, data_format, fn):
    return {"strides": _hw(strides, "strides", data_format, fn), "padding": _padding(padding, data_format, fn),
            "dilations": _hw(1 if dilations is None else dilations, "dilations", data_format, fn)}


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
           dilations=None, name=None, filters=None):
    """2-D convolution (a cross-correlation, as in TF) of images with a filter.

    Parameters
    ----------
    input : Tensor
        Images, (batch, height, width, channels) for ``data_format="NHWC"`` or (batch, channels, height, width)
        for "NCHW". Floating point.
    filter : Tensor
        (filter_height, filter_width, in_channels, out_channels), of ``input``'s dtype. ``filters`` is TF2's name.
    strides : int or list of ints
        The window's step along height and width: an int, 2 ints or 4 (in ``data_format`` order, 1 on the batch
        and channel dims).
    padding : "SAME", "VALID" or list of 4 [before, after] pairs
        "VALID": windows inside the image, ``ceil((in - (k - 1) * dilation) / stride)`` outputs per dim. "SAME":
        ``ceil(in / stride)`` outputs, zero padding split evenly (the odd element after). Explicit pairs in
        ``data_format`` order, zero on the batch and channel dims.
    dilations : int or list of ints, optional
        Gaps between the filter's taps (atrous convolution); forms as ``strides``. Default 1.
    name : str, optional

    Returns
    -------
    Tensor
        (batch, out_height, out_width, out_channels), or NCHW for "NCHW".

    Examples
    --------
    >>> import numpy as np
    >>> import daskflow as df
    >>> x = df.constant(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> y = df.nn.conv2d(x, df.ones((2, 2, 1, 1), df.float64), strides=2, padding="VALID")
    >>> y.compute()[0, :, :, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    fmt = _format(data_format, "conv2d")
    w = _pick(filter, filters, ("filter", "filters"), "conv2d")
    attrs = _conv_attrs(strides, padding, dilations, fmt, "conv2d")
    with name_scope(name, "Conv2D") as scope:
        x = _nhwc(convert_to_tensor(input), fmt)
        return _apply("Conv2D", [x, convert_to_tensor(w, dtype_hint=x.dtype)], attrs, fmt, scope)


def _sizes_arg(sizes, data_format, what):
    """A 4-element int tensor of sizes, reordered to NHWC."""
    from .hostvalue import int_arg
    from .indexing import gather
    t = int_arg(sizes, what)
    return t if data_format == "NHWC" else gather(t, [0, 2, 3, 1])


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None, padding=None,
                          use_cudnn_on_gpu=True, data_format="NHWC", dilations=None, name=None, filters=None):
    """The gradient of ``conv2d`` with respect to its input, for an input of shape ``input_sizes`` (4 ints or an
    int tensor) and the gradient ``out_backprop`` of its output; other arguments as ``conv2d``'s."""
    fmt = _format(data_format, "conv2d_backprop_input")
    w = _pick(filter, filters, ("filter", "filters"), "conv2d_backprop_input")
    attrs = _conv_attrs(strides, padding, dilations, fmt, "conv2d_backprop_input")
    with name_scope(name, "Conv2DBackpropInput") as scope:
        dy = _nhwc(convert_to_tensor(out_backprop), fmt)
        sizes = _sizes_arg(input_sizes, fmt, "input_sizes")
        return _apply("Conv2DBackpropInput", [sizes, convert_to_tensor(w, dtype=dy.dtype), dy], attrs, fmt, scope)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding, use_cudnn_on_gpu=True,
                           data_format="NHWC", dilations=None, name=None):
    """The gradient of ``conv2d`` with respect to its filter, of shape ``filter_sizes`` (4 ints or an int tensor),
    for ``input`` and the gradient ``out_backprop`` of the output; other arguments as ``conv2d``'s."""
    from .hostvalue import int_arg
    fmt = _format(data_format, "conv2d_backprop_filter")
    attrs = _conv_attrs(strides, padding, dilations, fmt, "conv2d_backprop_filter")
    with name_scope(name, "Conv2DBackpropFilter") as scope:
        x, dy = _nhwc(convert_to_tensor(input), fmt), _nhwc(convert_to_tensor(out_backprop), fmt)
        sizes = int_arg(filter_sizes, "filter_sizes")
        return apply1("Conv2DBackpropFilter", [x, sizes, convert_to_tensor(dy, dtype=x.dtype)], attrs, name=scope)


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME", data_format="NHWC",
                     name=None, input=None, filters=None, dilations=None):
    """The transpose of ``conv2d`` (sometimes called deconvolution): ``conv2d_backprop_input`` of ``value`` with
    ``filter`` of shape (height, width, output_channels, in_channels), giving ``output_shape``."""
    value = _pick(value, input, ("value", "input"), "conv2d_transpose")
    w = _pick(filter, filters, ("filter", "filters"), "conv2d_transpose")
    with name_scope(name, "conv2d_transpose") as scope:
        return conv2d_backprop_input(output_shape, w, value, strides, padding, data_format=data_format,
                                     dilations=dilations, name=scope)


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None, data_format=None, name=None,
           input=None, dilations=None):
    """1-D convolution of (batch, width, channels) ``value`` ("NWC"; "NCW" puts channels first) with ``filters``
    of shape (width, in_channels, out_channels): ``conv2d`` over images of height 1."""
    from .array import expand_dims, squeeze
    value = _pick(value, input, ("value", "input"), "conv1d")
    if data_format not in (None, "NWC", "NCW"):
        raise ValueError(f"conv1d: data_format must be 'NWC' or 'NCW', got {data_format!r}")
    fmt, axis = ("NCHW", 2) if data_format == "NCW" else ("NHWC", 1)

    def one(v):
        vals = [v] if isinstance(v, int) else list(v)
        return [1] + vals if len(vals) == 1 else vals[:axis] + [1] + vals[axis:]
    pad = padding
    if isinstance(padding, (list, tuple)) and len(padding) == 3:
        pad = list(padding[:axis]) + [[0, 0]] + list(padding[axis:])
    with name_scope(name, "conv1d") as scope:
        x = expand_dims(convert_to_tensor(value), axis)
        w = expand_dims(convert_to_tensor(filters, dtype_hint=x.dtype), 0)
        y = conv2d(x, w, one(stride), pad, data_format=fmt,
                   dilations=None if dilations is None else one(dilations))
        return squeeze(y, [axis], name=scope)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """``conv2d`` of NHWC ``value`` with stride 1 and the filter's taps ``rate`` apart (dilated convolution)."""
    return conv2d(value, filters, 1, padding, dilations=rate, name=name or "atrous_conv2d")


def _pool(type_name, value, input, ksize, strides, padding, data_format, name, fn):
    fmt = _format(data_format, fn)
    attrs = {"ksize": _hw(ksize, "ksize", fmt, fn), "strides": _hw(strides, "strides", fmt, fn),
             "padding": _padding(padding, fmt, fn, explicit=type_name == "MaxPool")}
    with name_scope(name, type_name) as scope:
        x = _nhwc(convert_to_tensor(_pick(value, input, ("value", "input"), fn)), fmt)
        return _apply(type_name, [x], attrs, fmt, scope)


def max_pool(value=None, ksize=None, strides=None, padding=None, data_format="NHWC", name=None, input=None):
    """The maximum over each ``ksize`` window of images ``value`` (NHWC, or NCHW per ``data_format``).

    ``ksize`` and ``strides`` are an int or lists of 1, 2 or 4 ints (4: 1 on the batch and channel dims), as
    ``conv2d``'s strides. With "SAME" padding, padded positions never win a window. Real numeric dtypes.

    Examples
    --------
    >>> import numpy as np
    >>> import daskflow as df
    >>> x = df.constant(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> df.nn.max_pool(x, 2, 2, "VALID").compute()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool("MaxPool", value, input, ksize, strides, padding, data_format, name, "max_pool")


def avg_pool(value=None, ksize=None, strides=None, padding=None, data_format="NHWC", name=None, input=None):
    """The mean over each ``ksize`` window of images ``value``; arguments as ``max_pool``'s. With "SAME" padding
    each window's mean is over its real (unpadded) positions only, as in TF. Floating point dtypes."""
    return _pool("AvgPool", value, input, ksize, strides, padding, data_format, name, "avg_pool")


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """``max_pool`` under TF's later name."""
    return max_pool(input, ksize, strides, padding, data_format, name)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """``avg_pool`` under TF's later name."""
    return avg_pool(input, ksize, strides, padding, data_format, name)
