"""2-D convolution and pooling over NHWC images, with their gradient ops (TF's Conv2DBackpropInput,
Conv2DBackpropFilter, MaxPoolGrad, MaxPoolGradGrad and AvgPoolGrad).

Lowering rechunks height, width and channels to single chunks and keeps the batch chunks, so every block holds
whole images and a per-block kernel does the work: im2col (one strided view of the padded block per kernel offset)
and one matmul for convolutions, running maxima and sums over the same views for pooling. Results never depend
on the batch chunking; the filter gradient is a per-chunk partial sum reduced over the batch chunks.
"""
import dask.array as da

from .. import backend, planner
from ..graph import name_scope
from .generate import shape
from .hostvalue import host_lowered, host_vector
from .registry import apply1, convert_to_tensor, fail, register

__all__ = ["conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose", "conv1d", "atrous_conv2d",
           "max_pool", "max_pool2d", "avg_pool", "avg_pool2d"]

_FLOATS = "f"
_REAL = "fiu"


# -- geometry: TF's output sizes and paddings

def _dim_geometry(size, k, stride, dilation, padding, axis):
    """(output size, (pad before, pad after)) of one spatial dim; both None when ``size`` or ``k`` is unknown."""
    if size is None or k is None:
        return None, None
    eff = (k - 1) * dilation + 1
    if isinstance(padding, str):
        if padding == "VALID":
            return -(-(size - eff + 1) // stride), (0, 0)
        out = -(-size // stride)  # SAME: the padding is split evenly, the odd element after
        total = max((out - 1) * stride + eff - size, 0)
        return out, (total // 2, total - total // 2)
    before, after = padding[axis]
    return (size + before + after - eff) // stride + 1, (before, after)


def _geometry(op, hw, ksize):
    """((out_h, out_w), pads) of ``op`` for input spatial dims ``hw`` (None when unknown) and window ``ksize``;
    ``pads`` is None when a dim is unknown. Fails when the window does not fit."""
    a = op.attrs
    dils = tuple(a.get("dilations", (1, 1)))
    dims = [_dim_geometry(hw[i], ksize[i], a["strides"][i], dils[i], a["padding"], i) for i in (0, 1)]
    out = tuple(d[0] for d in dims)
    if any(o is not None and o < 1 for o in out):
        fail(op, f"the window {tuple(ksize)} (dilations {dils}, padding {a['padding']}) does not fit an input of "
                 f"spatial size {tuple(hw)}: the output would have size {out}")
    return out, (None if None in out else tuple(d[1] for d in dims))


def _geo(op, hw, ksize):
    """What kernels need: ksize, strides, dilations, pads and output size, as a hashable tuple."""
    out, pads = _geometry(op, hw, ksize)
    return (tuple(ksize), tuple(op.attrs["strides"]), tuple(op.attrs.get("dilations", (1, 1))), pads, out)


# -- per-block kernels (whole images in every block; only the batch dim is chunked)

def _pad(m, x, pads, value=0):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    return m.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)


def _windows(geo):
    """Per kernel offset (row-major), the (rows, cols) slices of the padded input that it meets."""
    (kh, kw), (sh, sw), (dh, dw), _, (ho, wo) = geo
    return [(slice(i * dh, i * dh + (ho - 1) * sh + 1, sh), slice(j * dw, j * dw + (wo - 1) * sw + 1, sw))
            for i in range(kh) for j in range(kw)]


def _columns(m, x, geo):
    """im2col: (n, ho, wo, kh*kw*c), ordered (kernel row, kernel col, channel) as a reshaped filter."""
    xpad = _pad(m, x, geo[3])
    views = [xpad[:, r, c, :] for r, c in _windows(geo)]
    return views[0] if len(views) == 1 else m.concatenate(views, axis=3)


def _crop(dxpad, pads, hw):
    (pt, _), (pl, _) = pads
    return dxpad[:, pt:pt + hw[0], pl:pl + hw[1], :]


def _scatter(m, parts, geo, hw, n, c, dtype):
    """The adjoint of taking the windows: each part (n, ho, wo, c) added back where its window came from."""
    (pt, pb), (pl, pr) = geo[3]
    dx = m.zeros((n, hw[0] + pt + pb, hw[1] + pl + pr, c), dtype=dtype)
    for (r, q), part in zip(_windows(geo), parts):
        dx[:, r, q, :] += part
    return _crop(dx, geo[3], hw)


def _matmul(m, a, b):
    """``a`` (..., k) times ``b`` (k, f) as one 2-D product (a stacked matmul would loop over small ones)."""
    return m.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))


def _conv_block(x, w, geo):
    m = backend.xp(x)
    return _matmul(m, _columns(m, x, geo), w.reshape(-1, w.shape[3])).astype(x.dtype, copy=False)


def _conv_input_block(dy, w, geo, hw):
    m = backend.xp(dy)
    c = w.shape[2]
    cols = _matmul(m, dy, w.reshape(-1, w.shape[3]).T)
    parts = (cols[..., k * c:(k + 1) * c] for k in range(len(_windows(geo))))
    return _scatter(m, parts, geo, hw, dy.shape[0], c, dy.dtype)


def _conv_filter_block(x, dy, geo, wshape):
    m = backend.xp(x)
    cols = _columns(m, x, geo)
    dw = m.matmul(cols.reshape(-1, cols.shape[3]).T, dy.reshape(-1, dy.shape[3]))
    return dw.reshape((1,) + tuple(wshape)).astype(x.dtype, copy=False)


def _lowest(m, dtype):
    return -m.inf if dtype.kind == "f" else m.iinfo(dtype).min


def _max_pool_block(x, geo):
    m = backend.xp(x)
    xpad = _pad(m, x, geo[3], _lowest(m, x.dtype))  # padding never wins a window
    out = None
    for r, c in _windows(geo):
        out = xpad[:, r, c, :].copy() if out is None else m.maximum(out, xpad[:, r, c, :])
    return out


def _argmax(m, x, geo):
    """Per output position, the index of the window offset holding the maximum (the first one on ties)."""
    xpad = _pad(m, x, geo[3], _lowest(m, x.dtype))
    views = [xpad[:, r, c, :] for r, c in _windows(geo)]
    best, idx = views[0], m.zeros(views[0].shape, dtype="int32")
    for k, v in enumerate(views[1:], 1):
        more = v > best
        best = m.where(more, v, best)
        idx[more] = k
    return idx


def _max_pool_grad_block(x, dy, geo):
    m = backend.xp(x)
    idx = _argmax(m, x, geo)
    parts = (m.where(idx == k, dy, 0) for k in range(len(_windows(geo))))
    return _scatter(m, parts, geo, x.shape[1:3], x.shape[0], x.shape[3], dy.dtype)


def _max_pool_grad_grad_block(x, ddx, geo):
    m = backend.xp(x)
    idx = _argmax(m, x, geo)
    ddpad = _pad(m, ddx, geo[3])
    out = m.zeros(idx.shape, dtype=ddx.dtype)
    for k, (r, c) in enumerate(_windows(geo)):
        out += m.where(idx == k, ddpad[:, r, c, :], 0)
    return out


def _counts(m, geo, hw, dtype):
    """How many real (unpadded) input positions each output window covers, as (1, ho, wo, 1)."""
    def per_dim(i):
        start = m.arange(geo[4][i]) * geo[1][i] - geo[3][i][0]
        return m.minimum(start + geo[0][i], hw[i]) - m.maximum(start, 0)
    return (per_dim(0)[:, None] * per_dim(1)[None, :]).astype(dtype)[None, :, :, None]


def _avg_pool_block(x, geo):
    m = backend.xp(x)
    xpad = _pad(m, x.astype(m.float32) if x.dtype.itemsize < 4 else x, geo[3])  # half sums in float32
    total = None
    for r, c in _windows(geo):
        total = xpad[:, r, c, :].copy() if total is None else total + xpad[:, r, c, :]
    return (total / _counts(m, geo, x.shape[1:3], x.dtype)).astype(x.dtype, copy=False)


def _avg_pool_grad_block(dy, geo, hw):
    m = backend.xp(dy)
    d = (dy / _counts(m, geo, hw, dy.dtype)).astype(dy.dtype, copy=False)
    return _scatter(m, (d for _ in _windows(geo)), geo, hw, dy.shape[0], dy.shape[3], dy.dtype)


# -- lowering helpers

def _images(x):
    """``x`` (N, H, W, C) with whole images in every block: H, W and C in one chunk, batch chunks kept."""
    return x.rechunk({1: -1, 2: -1, 3: -1})


def _hw_of(x):
    return tuple(int(d) for d in x.shape[1:3])


def _blockwise(kernel, out_shape, dtype, images, whole=(), batch_chunk=None, **kwargs):
    """``kernel(*image_blocks, *whole_arrays, **kwargs)`` per batch block, each block of dims ``out_shape`` after
    the batch dim (whose chunk sizes become ``batch_chunk`` if given). ``images`` are (N, ., ., .) arrays aligned
    on the batch; ``whole`` arrays (filters) go whole to every block."""
    args = []
    for i, a in enumerate(images):
        args += [_images(a), ("n", f"i{i}h", f"i{i}w", f"i{i}c")]
    for i, a in enumerate(whole):
        args += [a.rechunk(-1), tuple(f"w{i}d{j}" for j in range(a.ndim))]
    out_ind = ("n",) + tuple(f"o{i}" for i in range(len(out_shape)))
    extra = {"adjust_chunks": {"n": batch_chunk}} if batch_chunk is not None else {}
    return da.blockwise(kernel, out_ind, *args, new_axes={f"o{i}": d for i, d in enumerate(out_shape)},
                        concatenate=True, dtype=dtype, meta=backend.meta(images[0], dtype, ndim=len(out_ind)),
                        **extra, **kwargs)


# -- projected task memory (planner): whole images per block, plus the im2col columns of a convolution

def _images_footprint(op, xs, outs):
    n = sum(planner.block_bytes(x, whole=range(1, x.ndim)) for x in xs if x is not None)
    return n + sum(planner.block_bytes(o, whole=range(1, o.ndim)) for o in outs)


def _conv_footprint(op, xs, outs):
    f = op.outputs[0] if op.type == "Conv2DBackpropFilter" else op.inputs[1]
    kh, kw = (d or 1 for d in f.shape[:2]) if f.shape.ndims else (1, 1)
    biggest = max(planner.block_bytes(a, whole=range(1, a.ndim)) for a in [*xs, *outs] if a is not None
                  and a.ndim == 4)
    return _images_footprint(op, xs, outs) + kh * kw * biggest


# -- build-time checks

def _check_out_backprop(op, dy, ds, out):
    """A convolution gradient's ``out_backprop`` has the shape of the convolution's output."""
    for i, what in ((0, "batch size"), (1, "height"), (2, "width"), (3, "channels")):
        _check_dim(op, f"out_backprop '{dy.name}' of shape {dy.shape} has {what}", ds[i], out[i])


def _check_images(op, t, what, kinds):
    if t.dtype.kind not in kinds:
        need = "a floating point" if kinds == _FLOATS else "a real numeric"
        fail(op, f"{op.type} needs {need} {what}, got '{t.name}' of dtype {t.dtype.name}")
    if t.shape.ndims is not None and t.shape.ndims != 4:
        fail(op, f"{what} must be 4-D (NHWC), got '{t.name}' of shape {t.shape}")
    return [None] * 4 if t.shape.ndims is None else list(t.shape)


def _check_same_dtype(op, a, b):
    if a.dtype != b.dtype:
        fail(op, f"'{b.name}' has dtype {b.dtype.name} that does not match dtype {a.dtype.name} of '{a.name}'")


def _check_dim(op, what, got, expected):
    if got is not None and expected is not None and got != expected:
        fail(op, f"{what}: {got} does not match the expected {expected}")


def _sizes(op, i, what):
    """Build time: a 4-element int vector input (input_sizes, filter_sizes) with None for unknown entries."""
    v = host_vector(op, i, what)
    if v is not None and len(v) != 4:
        fail(op, f"{what} must have 4 elements, got {len(v)}")
    return list(v) if v is not None else [None] * 4


def _lowered_sizes(op, i, what):
    return [int(d) for d in host_lowered(op, i, what).tolist()]


def _check_lowered(op, arr, what, expected):
    """Lowering time: ``arr``'s dims 1..3 (a dask array's) are ``expected``, which static shapes could not tell."""
    got = tuple(int(d) for d in arr.shape[1:])
    if got != tuple(expected):
        fail(op, f"{what} has dims {got} after the batch dim, but {tuple(expected)} are expected here")


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
        return _blockwise(_conv_input_block, hw + (sizes[3],), dy.dtype, [dy], [w], geo=geo, hw=hw)

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


def _check_like(op, t, what, shape, like):
    _check_same_dtype(op, like, t)
    ts = _check_images(op, t, what, "fiu")
    for i in range(4):
        _check_dim(op, f"{what} '{t.name}' of shape {t.shape} has dim {i} of size", ts[i], shape[i])


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
        return _blockwise(_avg_pool_grad_block, hw + (sizes[3],), dy.dtype, [dy], geo=geo, hw=hw)

    def grad(op, ddx):
        return [None, apply1("AvgPool", [ddx], dict(op.attrs))]


# -- public functions

def _format(data_format, fn):
    if data_format in (None, "NHWC", "NCHW"):
        return data_format or "NHWC"
    raise ValueError(f"{fn}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")


def _hw(value, what, data_format, fn):
    """(h, w) from TF's forms: an int, or a list of 1, 2 or 4 ints (4: in ``data_format`` order, with 1 on the
    batch and channel dims)."""
    if value is None:
        raise ValueError(f"{fn}: {what} must be given")
    vals = [value] if isinstance(value, int) or getattr(value, "ndim", 1) == 0 else list(value)
    if len(vals) == 4:
        spatial, other = ((1, 2), (0, 3)) if data_format == "NHWC" else ((2, 3), (0, 1))
        if any(int(vals[i]) != 1 for i in other):
            raise ValueError(f"{fn}: {what} must be 1 on the batch and channel dims, got {list(value)}")
        vals = [vals[i] for i in spatial]
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2 or any(int(v) < 1 for v in vals):
        raise ValueError(f"{fn}: {what} must be a positive int or a list of 1, 2 or 4 of them, got {value!r}")
    return tuple(int(v) for v in vals)


def _padding(padding, data_format, fn, explicit=True):
    """"SAME" or "VALID", or (explicit) ((top, bottom), (left, right)) from TF's list of 4 [before, after] pairs."""
    if isinstance(padding, str) and padding.upper() in ("SAME", "VALID"):
        return padding.upper()
    if explicit and isinstance(padding, (list, tuple)) and len(padding) == 4:
        pairs = [tuple(int(p) for p in pair) for pair in padding]
        spatial, other = ((1, 2), (0, 3)) if data_format == "NHWC" else ((2, 3), (0, 1))
        if all(len(p) == 2 and min(p) >= 0 for p in pairs) and all(pairs[i] == (0, 0) for i in other):
            return tuple(pairs[i] for i in spatial)
    raise ValueError(f"{fn}: padding must be 'SAME' or 'VALID'" + (" or a list of 4 [before, after] pairs, zero on "
                     "the batch and channel dims" if explicit else "") + f"; got {padding!r}")


def _nhwc(x, data_format):
    from .array import transpose
    return x if data_format == "NHWC" else transpose(x, [0, 2, 3, 1])


def _apply(type_name, inputs, attrs, data_format, scope):
    """The op on NHWC inputs, named ``scope``; for NCHW its output transposed back (that transpose named so)."""
    from .array import transpose
    if data_format == "NHWC":
        return apply1(type_name, inputs, attrs, name=scope)
    return transpose(apply1(type_name, inputs, attrs, name=type_name), [0, 3, 1, 2], name=scope)


def _conv_attrs(strides, padding, dilations, data_format, fn):
    return {"strides": _hw(strides, "strides", data_format, fn), "padding": _padding(padding, data_format, fn),
            "dilations": _hw(1 if dilations is None else dilations, "dilations", data_format, fn)}


def _pick(a, b, what, fn):
    if a is not None and b is not None:
        raise ValueError(f"{fn}: pass only one of '{what[0]}' and '{what[1]}'")
    return a if a is not None else b


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
