"""Per-chunk kernels of the image ops, generic over the chunk's array module.

Resizing is separable: along each spatial axis an output pixel is a weighted sum of a few input pixels (its
"taps"). ``resize_taps`` gives those indices and weights for TF's four methods with TF's legacy and half-pixel
conventions (computed in float32 as TF's kernels do, bicubic weights read from TF's 1024-entry table), so a block
of whole images is resized by gathering along height, then width.
"""
import numpy as np

from .. import backend

__all__ = ["resize_taps", "resize_block", "resize_grad_block"]

_TABLE = 1024


def _scale(n_in, n_out, align_corners):
    if align_corners and n_out > 1:
        return np.float32(n_in - 1) / np.float32(n_out - 1)
    return np.float32(n_in) / np.float32(n_out)


def _cubic_table(a):
    x = np.arange(_TABLE + 1, dtype=np.float32) / np.float32(_TABLE)
    a = np.float32(a)
    near = ((a + 2) * x - (a + 3)) * x * x + 1      # |t| <= 1
    x1 = x + 1
    far = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a  # 1 < |t| < 2
    return near.astype(np.float32), far.astype(np.float32)


def _bilinear(n_in, n_out, scale, half_pixel):
    o = np.arange(n_out, dtype=np.float32)
    src = (o + np.float32(0.5)) * scale - np.float32(0.5) if half_pixel else o * scale
    f = np.floor(src)
    lo = np.maximum(f, 0).astype(np.int64)
    hi = np.minimum(np.ceil(src), n_in - 1).astype(np.int64)
    lerp = (src - f).astype(np.float32)
    return np.stack([lo, hi], 1), np.stack([1 - lerp, lerp], 1)


def _nearest(n_in, n_out, scale, align_corners, half_pixel):
    o = np.arange(n_out, dtype=np.float32)
    src = (o + np.float32(0.5)) * scale if half_pixel else o * scale
    idx = np.floor(src + np.float32(0.5)) if align_corners else np.floor(src)  # C's roundf: src is never negative
    idx = np.clip(idx.astype(np.int64), 0, n_in - 1)
    return idx[:, None], None


def _bicubic(n_in, n_out, scale, half_pixel):
    o = np.arange(n_out, dtype=np.float32)
    src = (o + np.float32(0.5)) * scale - np.float32(0.5) if half_pixel else o * scale
    base = np.floor(src)
    off = np.rint((src - base) * np.float32(_TABLE)).astype(np.int64)  # lrint: to nearest, ties to even
    near, far = _cubic_table(-0.5 if half_pixel else -0.75)
    w = np.stack([far[off], near[off], near[_TABLE - off], far[_TABLE - off]], 1)
    raw = base.astype(np.int64)[:, None] + np.arange(-1, 3)
    idx = np.clip(raw, 0, n_in - 1)
    if half_pixel:  # Keys' kernel: taps outside the image drop out and the rest are renormalised
        w = np.where((raw >= 0) & (raw < n_in), w, np.float32(0))
        w = (w / w.sum(1, keepdims=True)).astype(np.float32)
    return idx, w


def _area(n_in, n_out, scale):
    o = np.arange(n_out, dtype=np.float32)
    start, stop = o * scale, (o + 1) * scale
    first = np.floor(start).astype(np.int64)
    n_taps = int((np.ceil(stop).astype(np.int64) - first).max()) if n_out else 1
    i = first[:, None] + np.arange(max(n_taps, 1))
    fi = i.astype(np.float32)
    w = np.minimum(fi + 1, stop[:, None]) - np.maximum(fi, start[:, None])  # overlap of [i, i+1) and the pixel
    w = np.where(fi < stop[:, None], np.maximum(w, 0), 0) / scale
    return np.minimum(i, n_in - 1), w.astype(np.float32)


def resize_taps(method, n_in, n_out, align_corners, half_pixel):
    """Indices (n_out, taps) into an axis of ``n_in`` pixels and their float32 weights (None for nearest, whose
    single tap copies the pixel) giving ``n_out`` pixels by TF's ``method``."""
    scale = _scale(n_in, n_out, align_corners)
    if method == "nearest":
        return _nearest(n_in, n_out, scale, align_corners, half_pixel)
    if method == "bilinear":
        return _bilinear(n_in, n_out, scale, half_pixel)
    if method == "bicubic":
        return _bicubic(n_in, n_out, scale, half_pixel)
    return _area(n_in, n_out, scale)


def _along(x, axis, idx, w):
    xp = backend.xp(x)
    idx = xp.asarray(idx)
    if w is None:
        return xp.take(x, idx[:, 0], axis=axis)
    w = xp.asarray(w)
    shape = [1] * x.ndim
    shape[axis] = w.shape[0]
    out = None
    for t in range(idx.shape[1]):
        term = xp.take(x, idx[:, t], axis=axis) * w[:, t].reshape(shape)
        out = term if out is None else out + term
    return out


def resize_block(x, method, size, align_corners, half_pixel, dtype):
    """A block of whole NHWC images (height and width whole) resized to ``size`` by ``method``."""
    if method != "nearest":
        x = x.astype(np.float32, copy=False)
    for axis, n_out in ((1, size[0]), (2, size[1])):
        idx, w = resize_taps(method, x.shape[axis], n_out, align_corners, half_pixel)
        x = _along(x, axis, idx, w)
    return x.astype(dtype, copy=False)


def _matrix(method, n_in, n_out, align_corners, half_pixel):
    idx, w = resize_taps(method, n_in, n_out, align_corners, half_pixel)
    m = np.zeros((n_out, n_in), np.float64)
    w = np.ones(idx.shape) if w is None else w
    for t in range(idx.shape[1]):
        np.add.at(m, (np.arange(n_out), idx[:, t]), w[:, t])
    return m


def resize_grad_block(g, method, in_size, align_corners, half_pixel, dtype):
    """The gradient of ``resize_block``: ``g`` (NHWC, of the resized size) pulled back to images of ``in_size``."""
    xp = backend.xp(g)
    for axis, n_in in ((1, in_size[0]), (2, in_size[1])):
        m = xp.asarray(_matrix(method, n_in, g.shape[axis], align_corners, half_pixel).T.astype(g.dtype))
        g = xp.moveaxis(xp.tensordot(m, g, axes=([1], [axis])), 0, axis)
    return g.astype(dtype, copy=False)

