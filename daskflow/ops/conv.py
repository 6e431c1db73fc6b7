"""2-D convolution and pooling over NHWC images, with their gradient ops (TF's Conv2DBackpropInput,
Conv2DBackpropFilter, MaxPoolGrad, MaxPoolGradGrad and AvgPoolGrad).

Lowering rechunks height, width and channels to single chunks and keeps the batch chunks, so every block holds
whole images and a per-block kernel does the work: im2col (one strided view of the padded block per kernel offset)
and one matmul for convolutions, running maxima and sums over the same views for pooling. Results never depend
on the batch chunking; the filter gradient is a per-chunk partial sum reduced over the batch chunks.
"""
import dask.array as da

from .. import backend, dtypes
from ..graph import TensorShape, name_scope
from .hostvalue import host_lowered, host_vector
from .registry import apply1, convert_to_tensor, fail, register

__all__ = ["conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose", "conv1d", "max_pool",
           "max_pool2d", "avg_pool", "avg_pool2d"]

_FLOATS = "f"
_REAL = "fiu"


# -- geometry: TF's output sizes and paddings

def _dim_geometry(size, k, stride, dilation, padding, axis):
    """(output size, (pad before, pad after)) of one spatial dim; the output size is None when ``size`` is."""
    eff = (k - 1) * dilation + 1
    if isinstance(padding, str):
        if size is None:
            return None, None
        if padding == "VALID":
            return -(-(size - eff + 1) // stride), (0, 0)
        out = -(-size // stride)  # SAME: the padding is split evenly, the odd element after
        total = max((out - 1) * stride + eff - size, 0)
        return out, (total // 2, total - total // 2)
    before, after = padding[axis]
    return (None if size is None else (size + before + after - eff) // stride + 1), (before, after)


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


def _conv_block(x, w, geo):
    m = backend.xp(x)
    return m.matmul(_columns(m, x, geo), w.reshape(-1, w.shape[3])).astype(x.dtype, copy=False)


def _conv_input_block(dy, w, geo, hw):
    m = backend.xp(dy)
    c = w.shape[2]
    cols = m.matmul(dy, w.reshape(-1, w.shape[3]).T)
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
    xpad = _pad(m, x, geo[3])
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
