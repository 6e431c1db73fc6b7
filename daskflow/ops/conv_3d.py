"""3-D convolution and pooling over NDHWC volumes (TF's Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2,
MaxPool3D, AvgPool3D and their gradient ops), and depthwise and separable 2-D convolution
(DepthwiseConv2dNative and its backprops)."""
from ..graph import name_scope
from .conv_family import conv_family, pool_family
from .conv_geom import apply_last, channels_last, padding_arg, pick, spatial_arg, to_last
from .registry import apply1, convert_to_tensor

conv_family(3, ("Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2"))
pool_family(3, ("MaxPool3D", "MaxPool3DGrad", "MaxPool3DGradGrad"), ("AvgPool3D", "AvgPool3DGrad"))
conv_family(2, ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
                "DepthwiseConv2dNativeBackpropFilter"), depthwise=True)


def conv_attrs(strides, padding, dilations, nd, last, fn, explicit=True):
    return {"strides": spatial_arg(strides, "strides", nd, last, fn),
            "padding": padding_arg(padding, nd, last, fn, explicit),
            "dilations": spatial_arg(1 if dilations is None else dilations, "dilations", nd, last, fn)}


def sizes_arg(sizes, last, what):
    """An int tensor of sizes in the layout's order, reordered to channels-last."""
    from .hostvalue import int_arg
    from .indexing import gather
    t = int_arg(sizes, what)
    if last:
        return t
    n = t.shape[0] if t.shape.ndims == 1 and t.shape[0] is not None else len(sizes)
    return gather(t, [0, *range(2, n), 1])


def _conv(type_name, x, w, attrs, last, nd, name, default):
    with name_scope(name, default) as scope:
        x = to_last(convert_to_tensor(x), last)
        return apply_last(type_name, [x, convert_to_tensor(w, dtype_hint=x.dtype)], attrs, last, scope, nd)


def _backprop_input(type_name, input_sizes, w, dy, attrs, last, nd, name, default):
    with name_scope(name, default) as scope:
        dy = to_last(convert_to_tensor(dy), last)
        sizes = sizes_arg(input_sizes, last, "input_sizes")
        return apply_last(type_name, [sizes, convert_to_tensor(w, dtype=dy.dtype), dy], attrs, last, scope, nd)


def _backprop_filter(type_name, x, filter_sizes, dy, attrs, last, name, default):
    from .hostvalue import int_arg
    with name_scope(name, default) as scope:
        x, dy = to_last(convert_to_tensor(x), last), to_last(convert_to_tensor(dy), last)
        sizes = int_arg(filter_sizes, "filter_sizes")
        return apply1(type_name, [x, sizes, convert_to_tensor(dy, dtype=x.dtype)], attrs, name=scope)


# -- 3-D

def conv3d(input, filter=None, strides=None, padding=None, data_format="NDHWC", dilations=None, name=None,
           filters=None):
    """3-D convolution (a cross-correlation, as in TF) of volumes with a filter.

    Parameters
    ----------
    input : Tensor
        (batch, depth, height, width, channels) for ``data_format="NDHWC"``, (batch, channels, depth, height,
        width) for "NCDHW". Floating point.
    filter : Tensor
        (filter_depth, filter_height, filter_width, in_channels, out_channels). ``filters`` is TF2's name.
    strides : int or list of ints
        The window's step: an int, 3 ints or 5 (in ``data_format`` order, 1 on the batch and channel dims).
    padding : "SAME", "VALID" or list of 5 [before, after] pairs
        As ``conv2d``'s: "SAME" gives ``ceil(in / stride)`` outputs, the odd padding element after.
    dilations : int or list of ints, optional
        Gaps between the filter's taps; forms as ``strides``. Default 1.

    Returns
    -------
    Tensor
        (batch, out_depth, out_height, out_width, out_channels), or channels first for "NCDHW".

    Examples
    --------
    >>> import numpy as np
    >>> import daskflow as df
    >>> x = df.constant(np.ones((1, 3, 3, 3, 1)))
    >>> df.nn.conv3d(x, df.ones((2, 2, 2, 1, 1), df.float64), [1, 1, 1, 1, 1], "VALID").compute()[0, :, :, :, 0]
    array([[[8., 8.],
            [8., 8.]],
    <BLANKLINE>
           [[8., 8.],
            [8., 8.]]])
    """
    last = channels_last(data_format, 3, "conv3d")
    attrs = conv_attrs(strides, padding, dilations, 3, last, "conv3d")
    return _conv("Conv3D", input, pick(filter, filters, ("filter", "filters"), "conv3d"), attrs, last, 3, name,
                 "Conv3D")


def conv3d_backprop_filter(input, filter_sizes, out_backprop, strides, padding, data_format="NDHWC",
                           dilations=None, name=None):
    """The gradient of ``conv3d`` with respect to its filter, of shape ``filter_sizes`` (5 ints or an int tensor),
    for ``input`` and the gradient ``out_backprop`` of the output; other arguments as ``conv3d``'s."""
    last = channels_last(data_format, 3, "conv3d_backprop_filter")
    attrs = conv_attrs(strides, padding, dilations, 3, last, "conv3d_backprop_filter")
    return _backprop_filter("Conv3DBackpropFilterV2", input, filter_sizes, out_backprop, attrs, last, name,
                            "Conv3DBackpropFilterV2")


conv3d_backprop_filter_v2 = conv3d_backprop_filter


def conv3d_transpose(value, filter=None, output_shape=None, strides=None, padding="SAME", data_format="NDHWC",
                     name=None, input=None, filters=None, dilations=None):
    """The transpose of ``conv3d``: the gradient of a ``conv3d`` whose input has ``output_shape`` (5 ints or an
    int tensor, in ``data_format`` order) with respect to that input, for output gradient ``value``. ``filter``
    is (depth, height, width, output_channels, in_channels)."""
    value = pick(value, input, ("value", "input"), "conv3d_transpose")
    w = pick(filter, filters, ("filter", "filters"), "conv3d_transpose")
    last = channels_last(data_format, 3, "conv3d_transpose")
    attrs = conv_attrs(strides, padding, dilations, 3, last, "conv3d_transpose")
    return _backprop_input("Conv3DBackpropInputV2", output_shape, w, value, attrs, last, 3, name, "conv3d_transpose")


def _pool3d(type_name, input, ksize, strides, padding, data_format, name, fn):
    last = channels_last(data_format, 3, fn)
    attrs = {"ksize": spatial_arg(ksize, "ksize", 3, last, fn), "strides": spatial_arg(strides, "strides", 3, last, fn),
             "padding": padding_arg(padding, 3, last, fn, explicit=False)}
    with name_scope(name, type_name) as scope:
        return apply_last(type_name, [to_last(convert_to_tensor(input), last)], attrs, last, scope, 3)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """The maximum over each ``ksize`` window of volumes ``input`` (NDHWC, or NCDHW per ``data_format``).
    ``ksize`` and ``strides`` are an int or lists of 1, 3 or 5 ints (5: 1 on the batch and channel dims); padded
    positions never win a window."""
    return _pool3d("MaxPool3D", input, ksize, strides, padding, data_format, name, "max_pool3d")


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """The mean over each ``ksize`` window of volumes ``input``; arguments as ``max_pool3d``'s. With "SAME"
    padding each window's mean is over its real (unpadded) positions only."""
    return _pool3d("AvgPool3D", input, ksize, strides, padding, data_format, name, "avg_pool3d")


# -- depthwise and separable 2-D

def _depthwise_attrs(strides, padding, dilations, data_format, fn):
    last = channels_last(data_format, 2, fn)
    return last, conv_attrs(strides, padding, dilations, 2, last, fn)


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC", dilations=None, name=None):
    """Depthwise 2-D convolution: each input channel ``c`` convolved with its own filters ``filter[:, :, c, :]``
    ((height, width, in_channels, channel_multiplier)), output channel ``c * channel_multiplier + m``."""
    last, attrs = _depthwise_attrs(strides, padding, dilations, data_format, "depthwise_conv2d_native")
    return _conv("DepthwiseConv2dNative", input, filter, attrs, last, 2, name, "DepthwiseConv2dNative")


def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop, strides, padding, data_format="NHWC",
                                           dilations=None, name=None):
    """The gradient of ``depthwise_conv2d_native`` with respect to its input, of shape ``input_sizes``."""
    fn = "depthwise_conv2d_native_backprop_input"
    last, attrs = _depthwise_attrs(strides, padding, dilations, data_format, fn)
    return _backprop_input("DepthwiseConv2dNativeBackpropInput", input_sizes, filter, out_backprop, attrs, last, 2,
                           name, "DepthwiseConv2dNativeBackpropInput")


def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop, strides, padding, data_format="NHWC",
                                            dilations=None, name=None):
    """The gradient of ``depthwise_conv2d_native`` with respect to its filter, of shape ``filter_sizes``."""
    fn = "depthwise_conv2d_native_backprop_filter"
    last, attrs = _depthwise_attrs(strides, padding, dilations, data_format, fn)
    return _backprop_filter("DepthwiseConv2dNativeBackpropFilter", input, filter_sizes, out_backprop, attrs, last,
                            name, "DepthwiseConv2dNativeBackpropFilter")


depthwise_conv2d_backprop_input = depthwise_conv2d_native_backprop_input
depthwise_conv2d_backprop_filter = depthwise_conv2d_native_backprop_filter


def _rate(rate, dilations, strides, last, fn):
    """The dilations of ``depthwise_conv2d``/``separable_conv2d`` from ``rate`` (or ``dilations``); TF refuses
    strides above 1 with them."""
    r = pick(rate, dilations, ("rate", "dilations"), fn)
    d = spatial_arg(1 if r is None else r, "rate", 2, last, fn)
    if max(d) > 1 and max(spatial_arg(strides, "strides", 2, last, fn)) > 1:
        raise ValueError(f"{fn}: strides > 1 are not supported in conjunction with rate > 1, got strides "
                         f"{strides} and rate {list(d)}")
    return d


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None, dilations=None):
    """Depthwise 2-D convolution (``depthwise_conv2d_native``) with the filter's taps ``rate`` apart.

    ``strides`` is a list of 4 ints (1 on the batch and channel dims); ``rate`` (TF2: ``dilations``) an int or 2
    ints, and above 1 only with strides of 1.

    Examples
    --------
    >>> import numpy as np
    >>> import daskflow as df
    >>> x = df.constant(np.arange(8.0).reshape(1, 2, 2, 2))
    >>> w = df.constant(np.ones((1, 1, 2, 2)) * [[1.0, 10.0], [100.0, 1000.0]])
    >>> df.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID").compute()[0, 0, 0]
    array([   0.,    0.,  100., 1000.])
    """
    last = channels_last(data_format, 2, "depthwise_conv2d")
    d = _rate(rate, dilations, strides, last, "depthwise_conv2d")
    return depthwise_conv2d_native(input, filter, strides, padding, data_format or "NHWC", list(d),
                                   name=name or "depthwise")


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None, name=None,
                     data_format=None, dilations=None):
    """A depthwise convolution (``depthwise_conv2d`` with ``depthwise_filter``, (height, width, in_channels,
    multiplier)) followed by a 1x1 convolution mixing channels (``pointwise_filter``, (1, 1, in_channels *
    multiplier, out_channels))."""
    from .conv import conv2d
    fn = "separable_conv2d"
    last = channels_last(data_format, 2, fn)
    d = _rate(rate, dilations, strides, last, fn)
    pw = convert_to_tensor(pointwise_filter)
    if pw.shape.ndims is not None and pw.shape.ndims != 4:
        raise ValueError(f"{fn}: pointwise_filter must be 4-D, got shape {pw.shape}")
    if pw.shape.ndims == 4 and any(k not in (None, 1) for k in pw.shape[:2]):
        raise ValueError(f"{fn}: pointwise_filter must be 1x1 over height and width, got shape {pw.shape}")
    with name_scope(name, fn) as scope:
        y = depthwise_conv2d_native(input, depthwise_filter, strides, padding, data_format or "NHWC", list(d),
                                    name="depthwise")
        return conv2d(y, pw, [1, 1, 1, 1], "VALID", data_format=data_format or "NHWC", name=scope)
