"""TF's convolution and pooling names beyond 2-D ``conv2d``/``max_pool``: 1-D pooling and transposed
convolutions, and the generic N-D ``convolution``, ``pool``, ``conv_transpose``, ``max_pool_v2`` and
``avg_pool_v2`` that dispatch on the input's rank. This module's ``__all__`` and ``NAMESPACES`` also list the
names of ``conv_3d`` (3-D, depthwise and separable), ``conv_space`` (space to depth and batch) and
``conv_patches`` (patches, argmax pooling, dilation, local response normalization)."""
from ..graph import name_scope
from .conv import avg_pool, conv2d, conv2d_backprop_input, conv2d_transpose, max_pool
from .conv_3d import (avg_pool3d, conv3d, conv3d_backprop_filter, conv3d_backprop_filter_v2,  # noqa: F401
                      conv3d_transpose, depthwise_conv2d, depthwise_conv2d_backprop_filter,
                      depthwise_conv2d_backprop_input, depthwise_conv2d_native,
                      depthwise_conv2d_native_backprop_filter, depthwise_conv2d_native_backprop_input, max_pool3d,
                      separable_conv2d)
from .conv_patches import (dilation2d, erosion2d, extract_image_patches, extract_volume_patches,  # noqa: F401
                           local_response_normalization, lrn, max_pool_with_argmax)
from .conv_space import (batch_to_space, batch_to_space_nd, depth_to_space, required_space_to_batch_paddings,  # noqa
                         space_to_batch, space_to_batch_nd, space_to_depth, with_space_to_batch)
from .conv_geom import FIRST_LAYOUTS, LAYOUTS, apply_last, channels_last, padding_arg, pick, spatial_arg, to_last
from .registry import convert_to_tensor

__all__ = ["space_to_depth", "depth_to_space", "space_to_batch", "batch_to_space", "space_to_batch_nd",
           "batch_to_space_nd", "required_space_to_batch_paddings", "extract_image_patches", "extract_volume_patches",
           "conv2d_backprop_filter_v2", "conv2d_backprop_input_v2"]
NAMESPACES = {"nn": ["depthwise_conv2d", "depthwise_conv2d_native", "depthwise_conv2d_native_backprop_input",
                     "depthwise_conv2d_native_backprop_filter", "depthwise_conv2d_backprop_input",
                     "depthwise_conv2d_backprop_filter", "separable_conv2d", "conv3d", "conv3d_backprop_filter",
                     "conv3d_backprop_filter_v2", "conv3d_transpose", "max_pool3d", "avg_pool3d", "max_pool1d",
                     "avg_pool1d", "conv1d_transpose", "conv_transpose", "convolution", "pool", "max_pool_v2",
                     "avg_pool_v2", "atrous_conv2d_transpose", "with_space_to_batch", "space_to_depth",
                     "depth_to_space", "space_to_batch", "local_response_normalization", "lrn", "max_pool_with_argmax",
                     "dilation2d", "erosion2d"]}


def _one_d(value, what, last, fn):
    """A 1-D window argument (int, or list of 1 or 3) as the (1, k) of the 2-D op it runs as."""
    return [1, spatial_arg(value, what, 1, last, fn)[0]]


def _pool1d(pool, input, ksize, strides, padding, data_format, name, scope_name, fn):
    from .array import expand_dims, squeeze
    last = channels_last(data_format, 1, fn)
    axis = 1 if last else 2
    with name_scope(name, scope_name):
        x = expand_dims(convert_to_tensor(input), axis)
        y = pool(x, _one_d(ksize, "ksize", last, fn), _one_d(strides, "strides", last, fn), padding,
                 data_format="NHWC" if last else "NCHW")
        return squeeze(y, [axis])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """The maximum over each ``ksize`` window of (batch, width, channels) ``input`` ("NCW": channels first);
    ``ksize`` and ``strides`` an int or lists of 1 or 3 ints. ``max_pool`` over images of height 1."""
    return _pool1d(max_pool, input, ksize, strides, padding, data_format, name, "MaxPool1d", "max_pool1d")


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """The mean over each ``ksize`` window of (batch, width, channels) ``input``; arguments as ``max_pool1d``'s."""
    return _pool1d(avg_pool, input, ksize, strides, padding, data_format, name, "AvgPool1D", "avg_pool1d")


def _rank_of(x, fn, what="input"):
    n = x.shape.ndims
    if n not in (3, 4, 5):
        raise ValueError(f"{fn}: {what} must have rank 3, 4 or 5 (1 to 3 spatial dims), got shape {x.shape}")
    return n - 2


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    """``max_pool1d``, ``max_pool`` or ``max_pool3d`` by the rank of ``input`` (3, 4 or 5)."""
    x = convert_to_tensor(input)
    nd = _rank_of(x, "max_pool_v2")
    fmt = data_format or LAYOUTS[nd]
    if nd == 1:
        return max_pool1d(x, ksize, strides, padding, fmt, name)
    if nd == 3:
        return max_pool3d(x, ksize, strides, padding, fmt, name)
    return max_pool(x, ksize, strides, padding, fmt, name or "MaxPool2d")  # TF's name for this form


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    """``avg_pool1d``, ``avg_pool`` or ``avg_pool3d`` by the rank of ``input`` (3, 4 or 5)."""
    x = convert_to_tensor(input)
    nd = _rank_of(x, "avg_pool_v2")
    fmt = data_format or LAYOUTS[nd]
    if nd == 1:
        return avg_pool1d(x, ksize, strides, padding, fmt, name)
    return (avg_pool if nd == 2 else avg_pool3d)(x, ksize, strides, padding, fmt, name)


def _insert_one(shape, axis):
    """An output_shape argument (ints or an int tensor) with a 1 inserted at ``axis``."""
    from .array import concat
    from .hostvalue import as_tensor, int_arg
    if not hasattr(as_tensor(shape), "op") and not hasattr(shape, "dtype"):
        vals = list(shape)
        return vals[:axis] + [1] + vals[axis:]
    t = int_arg(shape, "output_shape")
    return concat([t[:axis], convert_to_tensor([1], dtype=t.dtype), t[axis:]], 0)


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC", dilations=None,
                     name=None):
    """The transpose of ``conv1d``: its gradient with respect to an input of ``output_shape`` (3 ints, in
    ``data_format`` order), for output gradient ``input``. ``filters`` is (width, output_channels,
    in_channels)."""
    from .array import expand_dims, squeeze
    last = channels_last(data_format, 1, "conv1d_transpose")
    axis = 1 if last else 2
    fmt = "NHWC" if last else "NCHW"
    with name_scope(name, "conv1d_transpose"):
        x = expand_dims(convert_to_tensor(input), axis)
        w = expand_dims(convert_to_tensor(filters, dtype_hint=x.dtype), 0)
        d = None if dilations is None else _one_d(dilations, "dilations", last, "conv1d_transpose")
        y = conv2d_backprop_input(_insert_one(output_shape, axis), w, x,
                                  _one_d(strides, "strides", last, "conv1d_transpose"),
                                  padding_arg_1d(padding, last), data_format=fmt, dilations=d)
        return squeeze(y, [axis])


def padding_arg_1d(padding, last):
    """A 1-D padding argument as the 2-D one of the op it runs as (explicit pairs get (0, 0) for the height)."""
    if isinstance(padding, str):
        return padding
    pairs = [list(p) for p in padding]
    axis = 1 if last else 2
    return pairs[:axis] + [[0, 0]] + pairs[axis:]


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None, dilations=None,
                   name=None):
    """``conv1d_transpose``, ``conv2d_transpose`` or ``conv3d_transpose`` by the length of ``output_shape`` (3,
    4 or 5)."""
    n = len(output_shape) if isinstance(output_shape, (list, tuple)) else convert_to_tensor(output_shape).shape[0]
    if n not in (3, 4, 5):
        raise ValueError(f"conv_transpose: output_shape must have 3, 4 or 5 elements, got {output_shape!r}")
    nd = n - 2
    fmt = data_format or LAYOUTS[nd]
    with name_scope(name, "conv_transpose") as scope:
        if nd == 1:
            return conv1d_transpose(input, filters, output_shape, strides, padding, fmt, dilations, name=scope)
        fn = conv2d_transpose if nd == 2 else conv3d_transpose
        return fn(input, filters, output_shape, strides, padding, data_format=fmt, name=scope, dilations=dilations)


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose of ``atrous_conv2d``: ``conv2d_transpose`` with stride 1 and the filter's taps ``rate``
    apart. ``filters`` is (height, width, output_channels, in_channels)."""
    if not isinstance(rate, int) or rate < 1:
        raise ValueError(f"atrous_conv2d_transpose: rate must be a positive int, got {rate!r}")
    if isinstance(padding, str) and padding.upper() not in ("SAME", "VALID") or not isinstance(padding, str):
        raise ValueError(f"atrous_conv2d_transpose: padding must be 'SAME' or 'VALID', got {padding!r}")
    with name_scope(name, "atrous_conv2d_transpose") as scope:
        return conv2d_backprop_input(output_shape, filters, value, 1, padding, dilations=rate, name=scope)


def _window_args(values, what, nd, fn):
    vals = [1] * nd if values is None else ([values] * nd if isinstance(values, int) else list(values))
    if len(vals) != nd or any(int(v) < 1 for v in vals):
        raise ValueError(f"{fn}: {what} must be a list of {nd} positive ints, got {values!r}")
    return [int(v) for v in vals]


def _layout(x, data_format, fn):
    nd = _rank_of(x, fn)
    if data_format is not None and data_format.startswith("NC"):
        fmt = FIRST_LAYOUTS[nd]
    elif data_format is None or not data_format.startswith("N") or data_format.endswith("C"):
        fmt = LAYOUTS[nd]
    else:
        raise ValueError(f"{fn}: data_format must start with 'NC' or end with 'C', got {data_format!r}")
    return nd, fmt, fmt == LAYOUTS[nd]


def convolution(input, filter=None, padding=None, strides=None, dilation_rate=None, name=None, data_format=None,
                filters=None, dilations=None):
    """N-D convolution (1 to 3 spatial dims, from the rank of ``input``): ``conv1d``, ``conv2d`` or ``conv3d``
    with ``strides`` and ``dilation_rate`` lists of one int per spatial dim (strides above 1 not together with
    dilation rates above 1, as in TF). ``data_format`` starting with "NC" puts channels first."""
    from .array import expand_dims, squeeze
    w = pick(filter, filters, ("filter", "filters"), "convolution")
    x = convert_to_tensor(input)
    nd, fmt, last = _layout(x, data_format, "convolution")
    s = _window_args(strides, "strides", nd, "convolution")
    d = _window_args(pick(dilation_rate, dilations, ("dilation_rate", "dilations"), "convolution"), "dilation_rate",
                     nd, "convolution")
    if max(s) > 1 and max(d) > 1:
        raise ValueError(f"convolution: strides > 1 not supported in conjunction with dilation_rate > 1, got "
                         f"strides={s} and dilation_rate={d}")
    with name_scope(name, "convolution") as scope:
        if nd > 1:
            return (conv2d if nd == 2 else conv3d)(x, w, s, padding, data_format=fmt, dilations=d, name=scope)
        axis = 1 if last else 2
        y = conv2d(expand_dims(x, axis), expand_dims(convert_to_tensor(w, dtype_hint=x.dtype), 0), [1, *s],
                   padding_arg_1d(padding, last), data_format="NHWC" if last else "NCHW", dilations=[1, *d])
        return squeeze(y, [axis])


_POOLS = {("MAX", 2): "MaxPool", ("AVG", 2): "AvgPool", ("MAX", 3): "MaxPool3D", ("AVG", 3): "AvgPool3D"}


def pool(input, window_shape, pooling_type, padding, dilation_rate=None, strides=None, name=None, data_format=None,
         dilations=None):
    """N-D max or average pooling (``pooling_type`` "MAX" or "AVG"; 1 to 3 spatial dims from the rank of
    ``input``) over ``window_shape`` windows whose taps are ``dilation_rate`` apart, ``strides`` apart. As in TF,
    dilation rates above 1 need "VALID" padding and strides of 1."""
    from .array import expand_dims, squeeze
    x = convert_to_tensor(input)
    nd, fmt, last = _layout(x, data_format, "pool")
    if (pooling_type, 2) not in _POOLS:
        raise ValueError(f"{nd}-D {pooling_type} pooling is not supported.")
    k = _window_args(window_shape, "window_shape", nd, "pool")
    s = _window_args(strides, "strides", nd, "pool")
    d = _window_args(pick(dilation_rate, dilations, ("dilation_rate", "dilations"), "pool"), "dilation_rate", nd,
                     "pool")
    pad = padding_arg(padding, nd, last, "pool", explicit=False)
    if max(d) > 1 and pad == "SAME":
        raise ValueError(f"pooling with 'SAME' padding is not implemented for `dilation_rate` > 1. Received: "
                         f"padding={pad} and dilation_rate={d}")
    if max(d) > 1 and max(s) > 1:
        raise ValueError(f"strides > window_shape not supported due to inconsistency between CPU and GPU "
                         f"implementations. Received: strides={s} and dilation_rate={d}")
    attrs = {"ksize": tuple(k), "strides": tuple(s), "padding": pad}
    if max(d) > 1:
        attrs["dilations"] = tuple(d)
    with name_scope(name, f"{pooling_type.lower()}_pool") as scope:
        if nd > 1:
            return apply_last(_POOLS[pooling_type, nd], [to_last(x, last)], attrs, last, scope, nd)
        axis = 1 if last else 2
        attrs = {key: (1, *v) for key, v in attrs.items() if key != "padding"} | {"padding": pad}
        y = apply_last(_POOLS[pooling_type, 2], [to_last(expand_dims(x, axis), last)], attrs, last,
                       _POOLS[pooling_type, 2], 2)
        return squeeze(y, [axis])


def conv2d_backprop_filter_v2(input, filter, out_backprop, strides, padding, use_cudnn_on_gpu=True,
                              explicit_paddings=(), data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    """``conv2d_backprop_filter`` with the filter's shape taken from a ``filter`` tensor (TF's V2 op)."""
    from .conv import conv2d_backprop_filter
    from .generate import shape
    _no_explicit(padding, explicit_paddings, "conv2d_backprop_filter_v2")
    return conv2d_backprop_filter(input, shape(convert_to_tensor(filter)), out_backprop, strides, padding,
                                  use_cudnn_on_gpu, data_format, dilations, name)


def conv2d_backprop_input_v2(input, filter, out_backprop, strides, padding, use_cudnn_on_gpu=True,
                             explicit_paddings=(), data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    """``conv2d_backprop_input`` with the input's shape taken from an ``input`` tensor (TF's V2 op)."""
    from .conv import conv2d_backprop_input
    from .generate import shape
    _no_explicit(padding, explicit_paddings, "conv2d_backprop_input_v2")
    return conv2d_backprop_input(shape(convert_to_tensor(input)), filter, out_backprop, strides, padding,
                                 use_cudnn_on_gpu, data_format, dilations, name)


def _no_explicit(padding, explicit_paddings, fn):
    if str(padding).upper() == "EXPLICIT" or list(explicit_paddings):
        raise ValueError(f"{fn}: explicit paddings are given as conv2d's padding list, e.g. "
                         "padding=[[0, 0], [1, 1], [2, 2], [0, 0]]")
