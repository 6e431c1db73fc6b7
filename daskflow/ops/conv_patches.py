"""Window ops beyond convolution and pooling: patch extraction (TF's ExtractImagePatches, ExtractVolumePatches),
max pooling with the flattened index of each maximum (MaxPoolWithArgmax), grayscale morphology (Dilation2D and
its backprops; erosion as a dilation of negated values) and local response normalization (a composite).

Lowered per batch block over whole images, with the ``conv_geom`` kernels: patches are the im2col columns and their
gradient is the columns' adjoint.
"""
import dask.array as da

from .. import backend
from ..graph import name_scope
from .conv_geom import (REAL, at, batch_sum, blockwise, check_dim, check_images, check_like, check_lowered,
                        check_same_dtype, columns, geo, geometry, images_footprint, lowered_sizes, lowest,
                        max_pool_block, pad, padding_arg, scatter, sizes, spatial_arg, spatial_of, windows)
from .generate import shape
from .registry import apply, apply1, convert_to_tensor, register


# -- patches: each output position holds its window's values, ordered (kernel offsets row-major, channel)

def _patches_grad_block(dy, geo, sizes):
    m = backend.xp(dy)
    taps = len(windows(geo))
    c = dy.shape[-1] // taps
    parts = (dy[..., k * c:(k + 1) * c] for k in range(taps))
    return scatter(m, parts, geo, sizes, dy.shape[0], c, dy.dtype)


def _patches_block(x, geo):
    return columns(backend.xp(x), x, geo)


def _patches_family(nd, name, grad_name):
    rank = nd + 2

    def out_shape(op, xs):
        out, _ = geometry(op, xs[1:-1], op.attrs["ksize"])
        taps = 1
        for k in op.attrs["ksize"]:
            taps *= k
        return [xs[0], *out, None if xs[-1] is None else xs[-1] * taps]

    @register(name)
    class Patches:
        footprint = images_footprint

        def infer(op):
            x = op.inputs[0]
            return [(out_shape(op, check_images(op, x, "input", REAL, rank)), x.dtype)]

        def lower(op, x):
            g = geo(op, spatial_of(x), op.attrs["ksize"])
            return blockwise(_patches_block, g[4] + (int(x.shape[-1]) * len(windows(g)),), x.dtype, [x], geo=g)

        def grad(op, dy):
            return [apply1(grad_name, [shape(op.inputs[0]), dy], dict(op.attrs))]

    @register(grad_name)
    class PatchesGrad:
        """The gradient of patch extraction: each patch entry added back to the input position it came from."""

        footprint = images_footprint

        def infer(op):
            dy = op.inputs[1]
            xs = sizes(op, 0, "input_sizes", rank)
            ds = check_images(op, dy, "grad", REAL, rank)
            for i, d in enumerate(out_shape(op, xs)):
                check_dim(op, f"grad '{dy.name}' of shape {dy.shape} has dim {i} of size", ds[i], d)
            return [(xs, dy.dtype)]

        def lower(op, _, dy):
            xs = lowered_sizes(op, 0, "input_sizes")
            spatial = tuple(xs[1:-1])
            g = geo(op, spatial, op.attrs["ksize"])
            check_lowered(op, dy, "grad", g[4] + (xs[-1] * len(windows(g)),))
            return blockwise(_patches_grad_block, spatial + (xs[-1],), dy.dtype, [dy], geo=g, sizes=spatial)

        def grad(op, ddx):
            return [None, apply1(name, [ddx], dict(op.attrs))]


_patches_family(2, "ExtractImagePatches", "ExtractImagePatchesGrad")
_patches_family(3, "ExtractVolumePatches", "ExtractVolumePatchesGrad")


def _patches(type_name, x, ksizes, strides, rates, padding, nd, name, fn):
    attrs = {"ksize": spatial_arg(ksizes, "ksizes", nd, True, fn), "strides": spatial_arg(strides, "strides", nd,
                                                                                        True, fn),
             "dilations": spatial_arg(1 if rates is None else rates, "rates", nd, True, fn),
             "padding": padding_arg(padding, nd, True, fn, explicit=False)}
    return apply1(type_name, [convert_to_tensor(x)], attrs, name=name or type_name)


def extract_image_patches(images, ksizes=None, strides=None, rates=None, padding=None, name=None, sizes=None):
    """Patches of ``ksizes`` (list of 4: 1, rows, cols, 1) from NHWC ``images``, ``strides`` apart, their taps
    ``rates`` apart, stacked in depth: output (batch, out_rows, out_cols, rows * cols * channels), depth ordered
    (row in patch, column in patch, channel). ``sizes`` is TF2's name for ``ksizes``.

    Examples
    --------
    >>> import numpy as np
    >>> import daskflow as df
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> df.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID").compute()[0, 0, 0]
    array([0., 1., 3., 4.])
    """
    from .conv_geom import pick
    k = pick(ksizes, sizes, ("ksizes", "sizes"), "extract_image_patches")
    return _patches("ExtractImagePatches", images, k, strides, rates, padding, 2, name, "extract_image_patches")


def extract_volume_patches(input, ksizes, strides, padding, name=None):
    """Patches of ``ksizes`` (list of 5: 1, planes, rows, cols, 1) from NDHWC ``input``, ``strides`` apart, stacked
    in depth ordered (plane, row, column in patch, channel)."""
    return _patches("ExtractVolumePatches", input, ksizes, strides, None, padding, 3, name, "extract_volume_patches")


# -- max pooling with the flattened index of each window's maximum

def _argmax_index_block(x, geo, index_dtype):
    """Per output position, ``(y * width + x) * channels + c`` of the window's first maximum in the image."""
    m = backend.xp(x)
    ks, ss, _, pads, out = geo
    xpad = pad(m, x, pads, lowest(m, x.dtype))
    views = [xpad[at(w)] for w in windows(geo)]
    best, k = views[0], m.zeros(views[0].shape, dtype="int64")
    for i, v in enumerate(views[1:], 1):
        more = v > best
        best = m.where(more, v, best)
        k[more] = i
    rows = m.arange(out[0]).reshape(1, -1, 1, 1) * ss[0] - pads[0][0] + k // ks[1]
    cols = m.arange(out[1]).reshape(1, 1, -1, 1) * ss[1] - pads[1][0] + k % ks[1]
    h, w, c = x.shape[1:]
    return ((rows * w + cols) * c + m.arange(c).reshape(1, 1, 1, -1)).astype(index_dtype, copy=False)


@register("MaxPoolWithArgmax")
class MaxPoolWithArgmax:
    """Max pooling and, per output, the flattened index of the input position of its window's maximum."""

    footprint = images_footprint

    def infer(op):
        x = op.inputs[0]
        xs = check_images(op, x, "input", REAL)
        out, _ = geometry(op, xs[1:3], op.attrs["ksize"])
        shape_ = [xs[0], *out, xs[3]]
        return [(shape_, x.dtype), (shape_, op.attrs["Targmax"])]

    def lower(op, x):
        g = geo(op, spatial_of(x), op.attrs["ksize"])
        out = g[4] + (int(x.shape[3]),)
        idx = blockwise(_argmax_index_block, out, op.attrs["Targmax"], [x], geo=g,
                        index_dtype=op.attrs["Targmax"])
        if op.attrs["include_batch_in_index"]:
            per_image = int(x.shape[1]) * int(x.shape[2]) * int(x.shape[3])
            start = da.arange(x.shape[0], chunks=(idx.chunks[0],), dtype=idx.dtype,
                              like=backend.meta(x, idx.dtype, ndim=1))
            idx = idx + (start * per_image)[:, None, None, None]
        return [blockwise(max_pool_block, out, x.dtype, [x], geo=g), idx]

    def grad(op, dy, _):
        if dy is None:
            return [None]
        attrs = {k: op.attrs[k] for k in ("ksize", "strides", "padding")}
        return [apply1("MaxPoolGrad", [op.inputs[0], dy], attrs)]


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC", Targmax=None, name=None,
                         output_dtype=None, include_batch_in_index=False):
    """(``max_pool`` of NHWC ``input``, argmax): argmax holds, per output, the flattened index ``(y * width + x) *
    channels + c`` of the window's maximum (plus ``batch * height * width * channels`` with
    ``include_batch_in_index``), of dtype ``output_dtype`` (TF1: ``Targmax``; int64 by default). Ties go to the
    first position in row-major window order."""
    from .. import dtypes
    from .conv_geom import pick
    if data_format != "NHWC":
        raise ValueError(f"max_pool_with_argmax: data_format must be 'NHWC', got {data_format!r}")
    fn = "max_pool_with_argmax"
    dt = dtypes.as_dtype(pick(Targmax, output_dtype, ("Targmax", "output_dtype"), fn) or "int64")
    if dt.name not in ("int32", "int64"):
        raise TypeError(f"{fn}: output_dtype must be int32 or int64, got {dt.name}")
    attrs = {"ksize": spatial_arg(ksize, "ksize", 2, True, fn), "strides": spatial_arg(strides, "strides", 2, True, fn),
             "padding": padding_arg(padding, 2, True, fn, explicit=False), "Targmax": dt,
             "include_batch_in_index": bool(include_batch_in_index)}
    out, argmax = apply("MaxPoolWithArgmax", [convert_to_tensor(input)], attrs, name=name or "MaxPoolWithArgmax")
    return MaxPoolWithArgmaxResult(out, argmax)


class MaxPoolWithArgmaxResult(tuple):
    """(output, argmax), also by name as TF's result."""

    def __new__(cls, output, argmax):
        return super().__new__(cls, (output, argmax))

    output = property(lambda self: self[0])
    argmax = property(lambda self: self[1])


# -- grayscale dilation: out = max over the window of (input + filter)

def _dilation_views(m, x, w, geo):
    xpad = pad(m, x, geo[3], lowest(m, x.dtype))  # padding never wins
    wk = w.reshape(-1, w.shape[-1])
    return [xpad[at(win)] + wk[k] for k, win in enumerate(windows(geo))]


def _dilation_argmax(m, x, w, geo):
    views = _dilation_views(m, x, w, geo)
    best, idx = views[0], m.zeros(views[0].shape, dtype="int32")
    for k, v in enumerate(views[1:], 1):
        more = v > best
        best = m.where(more, v, best)
        idx[more] = k
    return best, idx


def _dilation_block(x, w, geo):
    return _dilation_argmax(backend.xp(x), x, w, geo)[0]


def _dilation_input_block(x, dy, w, geo):
    m = backend.xp(x)
    idx = _dilation_argmax(m, x, w, geo)[1]
    parts = (m.where(idx == k, dy, 0) for k in range(len(windows(geo))))
    return scatter(m, parts, geo, x.shape[1:-1], x.shape[0], x.shape[-1], dy.dtype)


def _dilation_filter_block(x, dy, w, geo, wshape):
    m = backend.xp(x)
    idx = _dilation_argmax(m, x, w, geo)[1]
    dw = m.stack([m.where(idx == k, dy, 0).sum(axis=(0, 1, 2)) for k in range(len(windows(geo)))])
    return dw.reshape((1,) + tuple(wshape))


def _dilation_gather_block(x, d, w, geo, which):
    """Per output position, ``d`` read where its window's maximum came from: the input position (``d`` input
    shaped) or the filter offset (``d`` filter shaped)."""
    m = backend.xp(x)
    idx = _dilation_argmax(m, x, w, geo)[1]
    out = m.zeros(idx.shape, dtype=x.dtype)
    if which == "input":
        dpad = pad(m, d, geo[3])
        for k, win in enumerate(windows(geo)):
            out += m.where(idx == k, dpad[at(win)], 0)
    else:
        dk = d.reshape(-1, d.shape[-1])
        for k in range(len(windows(geo))):
            out += m.where(idx == k, dk[k], 0)
    return out


def _dilation_shapes(op):
    x, w = op.inputs[:2]
    xs, ws = check_images(op, x, "input", REAL), check_images(op, w, "filter", REAL, 3)
    check_same_dtype(op, x, w)
    check_dim(op, f"input '{x.name}' has {xs[3]} channels, but the filter '{w.name}' of shape {w.shape} expects",
              xs[3], ws[2])
    out, _ = geometry(op, xs[1:3], ws[:2])
    return xs, ws, [xs[0], *out, xs[3]]


def _dilation_geo(op, x, w):
    g = geo(op, spatial_of(x), tuple(int(d) for d in w.shape[:2]))
    check_lowered(op, x, "input", spatial_of(x) + (int(w.shape[2]),))
    return g, g[4] + (int(x.shape[3]),)


@register("Dilation2D")
class Dilation2D:
    footprint = images_footprint

    def infer(op):
        return [(_dilation_shapes(op)[2], op.inputs[0].dtype)]

    def lower(op, x, w):
        g, out = _dilation_geo(op, x, w)
        return blockwise(_dilation_block, out, x.dtype, [x], [w], geo=g)

    def grad(op, dy):
        x, w = op.inputs
        return [apply1("Dilation2DBackpropInput", [x, w, dy], dict(op.attrs)),
                apply1("Dilation2DBackpropFilter", [x, w, dy], dict(op.attrs))]


def _check_out_backprop(op, out):
    dy = op.inputs[2]
    check_like(op, dy, "out_backprop", out, op.inputs[0])


@register("Dilation2DBackpropInput")
class Dilation2DBackpropInput:
    """Dilation2D's gradient in its input: each window's gradient to the input position of its maximum."""

    footprint = images_footprint

    def infer(op):
        xs, _, out = _dilation_shapes(op)
        _check_out_backprop(op, out)
        return [(xs, op.inputs[0].dtype)]

    def lower(op, x, w, dy):
        g, out = _dilation_geo(op, x, w)
        check_lowered(op, dy, "out_backprop", out)
        return blockwise(_dilation_input_block, tuple(int(d) for d in x.shape[1:]), x.dtype, [x, dy], [w], geo=g)

    def grad(op, ddx):  # linear in out_backprop; the argmax positions are piecewise constant in x and the filter
        x, w, _ = op.inputs
        return [None, None, apply1("Dilation2DGather", [x, w, ddx], dict(op.attrs, which="input"))]


@register("Dilation2DBackpropFilter")
class Dilation2DBackpropFilter:
    """Dilation2D's gradient in its filter: each window's gradient to the filter offset of its maximum."""

    footprint = images_footprint

    def infer(op):
        _, ws, out = _dilation_shapes(op)
        _check_out_backprop(op, out)
        return [(ws, op.inputs[0].dtype)]

    def lower(op, x, w, dy):
        g, out = _dilation_geo(op, x, w)
        check_lowered(op, dy, "out_backprop", out)
        return batch_sum(_dilation_filter_block, tuple(int(d) for d in w.shape), x.dtype, [x, dy], whole=[w], geo=g)

    def grad(op, ddw):
        x, w, _ = op.inputs
        return [None, None, apply1("Dilation2DGather", [x, w, ddw], dict(op.attrs, which="filter"))]


@register("Dilation2DGather")
class Dilation2DGather:
    """The adjoint of a Dilation2D backprop in its ``out_backprop``: per output position, ``d`` (input or filter
    shaped, per attr ``which``) read where the window's maximum came from."""

    footprint = images_footprint

    def infer(op):
        x, w, d = op.inputs
        xs, ws, out = _dilation_shapes(op)
        check_like(op, d, "grad", xs if op.attrs["which"] == "input" else ws, x)
        return [(out, x.dtype)]

    def lower(op, x, w, d):
        g, out = _dilation_geo(op, x, w)
        which = op.attrs["which"]
        if which == "input":
            return blockwise(_dilation_gather_block, out, x.dtype, [x, d], [w], geo=g, which=which)
        return blockwise(_dilation_gather_block, out, x.dtype, [x], [d, w], geo=g, which=which)

    def grad(op, dy):
        x, w, _ = op.inputs
        attrs = {k: v for k, v in op.attrs.items() if k != "which"}
        back = "Dilation2DBackpropInput" if op.attrs["which"] == "input" else "Dilation2DBackpropFilter"
        return [None, None, apply1(back, [x, w, dy], attrs)]


def _morph_attrs(strides, rates, padding, fn):
    return {"strides": spatial_arg(strides, "strides", 2, True, fn),
            "dilations": spatial_arg(rates, "rates", 2, True, fn),
            "padding": padding_arg(padding, 2, True, fn, explicit=False)}


def dilation2d(input, filter=None, strides=None, rates=None, padding=None, name=None, filters=None, dilations=None):
    """Grayscale morphological dilation of NHWC ``input`` by ``filter`` (height, width, channels): per channel,
    ``out[b, y, x, c] = max over (i, j) of input[b, y * s_h + i * r_h, x * s_w + j * r_w, c] + filter[i, j, c]``
    (positions in the padded input; padding never wins). ``strides`` and ``rates`` are lists of 4 (1 on the batch
    and channel dims); ``filters`` and ``dilations`` are TF2's names."""
    from .conv_geom import pick
    fn = "dilation2d"
    w = pick(filter, filters, ("filter", "filters"), fn)
    attrs = _morph_attrs(strides, pick(rates, dilations, ("rates", "dilations"), fn), padding, fn)
    x = convert_to_tensor(input)
    return apply1("Dilation2D", [x, convert_to_tensor(w, dtype_hint=x.dtype)], attrs, name=name or "Dilation2D")


def erosion2d(value, kernel, strides, rates, padding, name=None):
    """Grayscale morphological erosion of NHWC ``value`` by ``kernel`` (height, width, channels): ``out[b, y, x,
    c] = min over (i, j) of value[b, y * s_h + i * r_h, x * s_w + j * r_w, c] - kernel[i, j, c]``, i.e. the
    negated ``dilation2d`` of the negated value by the reflected kernel."""
    from .array import reverse
    from .math import negative
    attrs = _morph_attrs(strides, rates, padding, "erosion2d")
    with name_scope(name, "erosion2d") as scope:
        x = convert_to_tensor(value)
        k = reverse(convert_to_tensor(kernel, dtype_hint=x.dtype), [0, 1])
        return negative(apply1("Dilation2D", [negative(x), k], attrs, name="dilation2d"), name=scope)


# -- local response normalization (a composite: its gradient comes from the ops it is made of)

def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, name=None):
    """``input / (bias + alpha * sqr_sum) ** beta`` with ``sqr_sum[a, b, c, d]`` the sum of ``input[a, b, c,
    d - depth_radius : d + depth_radius + 1] ** 2`` (over the channels, NHWC ``input``, within bounds)."""
    from .array import pad as pad_
    from .math import divide, pow as pow_, square
    x = convert_to_tensor(input)
    if x.shape.ndims is not None and x.shape.ndims != 4:
        raise ValueError(f"local_response_normalization: Shape must be rank 4 but is rank {x.shape.ndims} (input "
                         f"'{x.name}' of shape {x.shape})")
    if x.dtype.name not in ("float16", "float32"):
        raise TypeError(f"local_response_normalization: Value passed to parameter 'input' has DataType "
                        f"{x.dtype.name} not in list of allowed values: float16, float32")
    r = int(depth_radius)
    with name_scope(name, "LRN") as scope:
        sq = pad_(square(x), [[0, 0]] * 3 + [[r, r]])
        total = None
        for i in range(2 * r + 1):  # the window's channels as shifted slices of the padded squares
            part = sq[..., i:(i - 2 * r) or None]
            total = part if total is None else total + part
        return divide(x, pow_(bias + alpha * total, beta), name=scope)


lrn = local_response_normalization

