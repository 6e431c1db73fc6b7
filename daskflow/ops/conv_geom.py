"""What the convolution and pooling ops share, for any number of spatial dims: TF's window geometry (output sizes
and SAME/VALID/explicit paddings), the per-block kernels (im2col, its adjoint, pooling over window views), the
batch-blockwise lowering, memory footprints for the planner, build-time checks and argument parsing.

Arrays are channels-last, (batch, *spatial, channels). A geometry ``geo`` is the hashable tuple
``(ksize, strides, dilations, pads, out)``, one entry per spatial dim, with ``pads`` a (before, after) pair each.
Kernels see whole images (every non-batch dim in one chunk), so their results never depend on the batch chunking.
"""
import itertools

import dask.array as da

from .. import backend, planner
from .hostvalue import host_lowered, host_vector
from .registry import fail_dtype
from .registry import fail

FLOATS = "f"
REAL = "fiu"
LAYOUTS = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
FIRST_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


# -- geometry: TF's output sizes and paddings

def dim_geometry(size, k, stride, dilation, padding, axis):
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


def geometry(op, spatial, ksize):
    """(output spatial sizes, pads) of ``op`` (attrs strides, padding and optional dilations) for input spatial
    dims ``spatial`` (None when unknown) and window ``ksize``; ``pads`` is None when a dim is unknown. Fails when
    the window does not fit."""
    a, nd = op.attrs, len(ksize)
    dils = tuple(a.get("dilations", (1,) * nd))
    dims = [dim_geometry(spatial[i], ksize[i], a["strides"][i], dils[i], a["padding"], i) for i in range(nd)]
    out = tuple(d[0] for d in dims)
    if any(o is not None and o < 1 for o in out):
        fail(op, f"the window {tuple(ksize)} (dilations {dils}, padding {a['padding']}) does not fit an input of "
                 f"spatial size {tuple(spatial)}: the output would have size {out}")
    return out, (None if None in out else tuple(d[1] for d in dims))


def geo(op, spatial, ksize):
    """What kernels need: ksize, strides, dilations, pads and output size, as a hashable tuple."""
    out, pads = geometry(op, spatial, ksize)
    nd = len(ksize)
    return (tuple(ksize), tuple(op.attrs["strides"]), tuple(op.attrs.get("dilations", (1,) * nd)), pads, out)


# -- per-block kernels (whole images in every block; only the batch dim is chunked)

def at(window):
    """The index of a window's spatial slices in a (batch, *spatial, channels) array."""
    return (slice(None),) + tuple(window) + (slice(None),)


def pad(m, x, pads, value=0):
    if not any(p for pair in pads for p in pair):
        return x
    return m.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),), constant_values=value)


def windows(geo):
    """Per kernel offset (row-major), the spatial slices of the padded input that it meets."""
    ks, ss, ds, _, out = geo
    per_dim = [[slice(i * d, i * d + (o - 1) * s + 1, s) for i in range(k)] for k, s, d, o in zip(ks, ss, ds, out)]
    return list(itertools.product(*per_dim))


def columns(m, x, geo):
    """im2col: (n, *out, prod(ksize)*c), ordered (kernel offsets row-major, channel) as a reshaped filter."""
    xpad = pad(m, x, geo[3])
    views = [xpad[at(w)] for w in windows(geo)]
    return views[0] if len(views) == 1 else m.concatenate(views, axis=-1)


def scatter(m, parts, geo, sizes, n, c, dtype):
    """The adjoint of taking the windows: each part (n, *out, c) added back where its window came from, on an
    input of spatial ``sizes``."""
    padded = tuple(s + b + a for s, (b, a) in zip(sizes, geo[3]))
    dx = m.zeros((n,) + padded + (c,), dtype=dtype)
    for w, part in zip(windows(geo), parts):
        dx[at(w)] += part
    return dx[at(slice(b, b + s) for s, (b, _) in zip(sizes, geo[3]))]


def matmul(m, a, b):
    """``a`` (..., k) times ``b`` (k, f) as one 2-D product (a stacked matmul would loop over small ones)."""
    return m.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))


def conv_block(x, w, geo):
    m = backend.xp(x)
    return matmul(m, columns(m, x, geo), w.reshape(-1, w.shape[-1])).astype(x.dtype, copy=False)


def conv_input_block(dy, w, geo, sizes):
    m = backend.xp(dy)
    c = w.shape[-2]
    cols = matmul(m, dy, w.reshape(-1, w.shape[-1]).T)
    parts = (cols[..., k * c:(k + 1) * c] for k in range(len(windows(geo))))
    return scatter(m, parts, geo, sizes, dy.shape[0], c, dy.dtype)


def conv_filter_block(x, dy, geo, wshape):
    m = backend.xp(x)
    cols = columns(m, x, geo)
    dw = m.matmul(cols.reshape(-1, cols.shape[-1]).T, dy.reshape(-1, dy.shape[-1]))
    return dw.reshape((1,) + tuple(wshape)).astype(x.dtype, copy=False)


def lowest(m, dtype):
    return -m.inf if dtype.kind == "f" else m.iinfo(dtype).min


def max_pool_block(x, geo):
    m = backend.xp(x)
    xpad = pad(m, x, geo[3], lowest(m, x.dtype))  # padding never wins a window
    out = None
    for w in windows(geo):
        out = xpad[at(w)].copy() if out is None else m.maximum(out, xpad[at(w)])
    return out


def argmax(m, x, geo):
    """Per output position, the index of the window offset holding the maximum (the first one on ties)."""
    xpad = pad(m, x, geo[3], lowest(m, x.dtype))
    views = [xpad[at(w)] for w in windows(geo)]
    best, idx = views[0], m.zeros(views[0].shape, dtype="int32")
    for k, v in enumerate(views[1:], 1):
        more = v > best
        best = m.where(more, v, best)
        idx[more] = k
    return idx


def max_pool_grad_block(x, dy, geo):
    m = backend.xp(x)
    idx = argmax(m, x, geo)
    parts = (m.where(idx == k, dy, 0) for k in range(len(windows(geo))))
    return scatter(m, parts, geo, x.shape[1:-1], x.shape[0], x.shape[-1], dy.dtype)


def max_pool_grad_grad_block(x, ddx, geo):
    m = backend.xp(x)
    idx = argmax(m, x, geo)
    ddpad = pad(m, ddx, geo[3])
    out = m.zeros(idx.shape, dtype=ddx.dtype)
    for k, w in enumerate(windows(geo)):
        out += m.where(idx == k, ddpad[at(w)], 0)
    return out


def counts(m, geo, sizes, dtype):
    """How many real (unpadded) input positions each output window covers, as (1, *out, 1)."""
    nd = len(sizes)
    total = None
    for i in range(nd):
        start = m.arange(geo[4][i]) * geo[1][i] - geo[3][i][0]
        n = (m.minimum(start + geo[0][i], sizes[i]) - m.maximum(start, 0)).reshape((-1,) + (1,) * (nd - 1 - i))
        total = n if total is None else total * n
    return total.astype(dtype)[None, ..., None]


def avg_pool_block(x, geo):
    m = backend.xp(x)
    xpad = pad(m, x.astype(m.float32) if x.dtype.itemsize < 4 else x, geo[3])  # half sums in float32
    total = None
    for w in windows(geo):
        total = xpad[at(w)].copy() if total is None else total + xpad[at(w)]
    return (total / counts(m, geo, x.shape[1:-1], x.dtype)).astype(x.dtype, copy=False)


def avg_pool_grad_block(dy, geo, sizes):
    m = backend.xp(dy)
    d = (dy / counts(m, geo, sizes, dy.dtype)).astype(dy.dtype, copy=False)
    return scatter(m, (d for _ in windows(geo)), geo, sizes, dy.shape[0], dy.shape[-1], dy.dtype)


# -- lowering helpers

def images(x):
    """``x`` (N, ...) with whole images in every block: every dim after the batch in one chunk."""
    return x.rechunk({i: -1 for i in range(1, x.ndim)})


def spatial_of(x):
    return tuple(int(d) for d in x.shape[1:-1])


def blockwise(kernel, out_shape, dtype, imgs, whole=(), batch_chunk=None, **kwargs):
    """``kernel(*image_blocks, *whole_arrays, **kwargs)`` per batch block, each block of dims ``out_shape`` after
    the batch dim (whose chunk sizes become ``batch_chunk`` if given). ``imgs`` are (N, ...) arrays aligned on the
    batch; ``whole`` arrays (filters) go whole to every block."""
    args = []
    for i, a in enumerate(imgs):
        args += [images(a), ("n",) + tuple(f"i{i}d{j}" for j in range(1, a.ndim))]
    for i, a in enumerate(whole):
        args += [a.rechunk(-1), tuple(f"w{i}d{j}" for j in range(a.ndim))]
    out_ind = ("n",) + tuple(f"o{i}" for i in range(len(out_shape)))
    extra = {"adjust_chunks": {"n": batch_chunk}} if batch_chunk is not None else {}
    return da.blockwise(kernel, out_ind, *args, new_axes={f"o{i}": d for i, d in enumerate(out_shape)},
                        concatenate=True, dtype=dtype, meta=backend.meta(imgs[0], dtype, ndim=len(out_ind)),
                        **extra, **kwargs)


def batch_sum(kernel, wshape, dtype, imgs, **kwargs):
    """A filter-shaped result as per-batch-block partial sums (one per block) added up; ``kernel`` gets
    ``wshape=`` too."""
    return blockwise(kernel, wshape, dtype, imgs, batch_chunk=1, wshape=wshape, **kwargs).sum(axis=0, dtype=dtype)


# -- projected task memory (planner): whole images per block, plus the im2col columns of a convolution

def images_footprint(op, xs, outs):
    n = sum(planner.block_bytes(x, whole=range(1, x.ndim)) for x in xs if x is not None)
    return n + sum(planner.block_bytes(o, whole=range(1, o.ndim)) for o in outs)


def conv_footprint(op, xs, outs):
    f = op.outputs[0] if "BackpropFilter" in op.type else op.inputs[1]
    taps = 1
    for d in (f.shape[:-2] if f.shape.ndims else ()):
        taps *= d or 1
    biggest = max(planner.block_bytes(a, whole=range(1, a.ndim)) for a in [*xs, *outs] if a is not None
                  and a.ndim > 1)
    return images_footprint(op, xs, outs) + taps * biggest


# -- build-time checks

def check_images(op, t, what, kinds, rank=4):
    """``t``'s static dims (None for unknown), after checking its dtype kind and its rank."""
    if t.dtype.kind not in kinds:
        fail_dtype(op, t, f"{'a floating point' if kinds == FLOATS else 'a real numeric'} {what}")
    if t.shape.ndims is not None and t.shape.ndims != rank:
        fail(op, f"{what} must be {rank}-D ({LAYOUTS.get(rank - 2, '')}), got '{t.name}' of shape {t.shape}")
    return [None] * rank if t.shape.ndims is None else list(t.shape)


def check_same_dtype(op, a, b):
    if a.dtype != b.dtype:
        fail(op, f"'{b.name}' has dtype {b.dtype.name} that does not match dtype {a.dtype.name} of '{a.name}'")


def check_dim(op, what, got, expected):
    if got is not None and expected is not None and got != expected:
        fail(op, f"{what}: {got} does not match the expected {expected}")


def check_like(op, t, what, shape, like):
    """``t`` has ``like``'s dtype and the static ``shape``."""
    check_same_dtype(op, like, t)
    ts = check_images(op, t, what, REAL, len(shape))
    for i in range(len(shape)):
        check_dim(op, f"{what} '{t.name}' of shape {t.shape} has dim {i} of size", ts[i], shape[i])


def sizes(op, i, what, n=4):
    """Build time: an ``n``-element int vector input (input_sizes, filter_sizes) with None for unknown entries."""
    v = host_vector(op, i, what)
    if v is not None and len(v) != n:
        fail(op, f"{what} must have {n} elements, got {len(v)}")
    return list(v) if v is not None else [None] * n


def lowered_sizes(op, i, what):
    return [int(d) for d in host_lowered(op, i, what).tolist()]


def check_lowered(op, arr, what, expected):
    """Lowering time: ``arr``'s dims after the batch (a dask array's) are ``expected``, which static shapes could
    not tell."""
    got = tuple(int(d) for d in arr.shape[1:])
    if got != tuple(expected):
        fail(op, f"{what} has dims {got} after the batch dim, but {tuple(expected)} are expected here")


# -- argument parsing of the public functions

def channels_last(data_format, nd, fn):
    """Whether ``data_format`` (None for the default) is channels-last for ``nd`` spatial dims; refuses others."""
    if data_format in (None, LAYOUTS[nd]):
        return True
    if data_format == FIRST_LAYOUTS[nd]:
        return False
    raise ValueError(f"{fn}: data_format must be '{LAYOUTS[nd]}' or '{FIRST_LAYOUTS[nd]}', got {data_format!r}")


def _spatial_axes(nd, last):
    """(spatial axes, batch and channel axes) of a rank ``nd + 2`` layout."""
    return (tuple(range(1, nd + 1)), (0, nd + 1)) if last else (tuple(range(2, nd + 2)), (0, 1))


def spatial_arg(value, what, nd, last, fn):
    """One int per spatial dim from TF's forms: an int, or a list of 1, ``nd`` or ``nd + 2`` ints (``nd + 2``: in
    the layout's order, with 1 on the batch and channel dims)."""
    if value is None:
        raise ValueError(f"{fn}: {what} must be given")
    vals = [value] if isinstance(value, int) or getattr(value, "ndim", 1) == 0 else list(value)
    if len(vals) == nd + 2:
        spatial, other = _spatial_axes(nd, last)
        if any(int(vals[i]) != 1 for i in other):
            raise ValueError(f"{fn}: {what} must be 1 on the batch and channel dims, got {list(value)}")
        vals = [vals[i] for i in spatial]
    if len(vals) == 1:
        vals = vals * nd
    if len(vals) != nd or any(int(v) < 1 for v in vals):
        raise ValueError(f"{fn}: {what} must be a positive int or a list of 1, {nd} or {nd + 2} of them, got "
                         f"{value!r}")
    return tuple(int(v) for v in vals)


def padding_arg(padding, nd, last, fn, explicit=True):
    """"SAME" or "VALID", or (explicit) one (before, after) pair per spatial dim from TF's list of ``nd + 2``
    [before, after] pairs."""
    if isinstance(padding, str) and padding.upper() in ("SAME", "VALID"):
        return padding.upper()
    if explicit and isinstance(padding, (list, tuple)) and len(padding) == nd + 2:
        pairs = [tuple(int(p) for p in pair) for pair in padding]
        spatial, other = _spatial_axes(nd, last)
        if all(len(p) == 2 and min(p) >= 0 for p in pairs) and all(pairs[i] == (0, 0) for i in other):
            return tuple(pairs[i] for i in spatial)
    raise ValueError(f"{fn}: padding must be 'SAME' or 'VALID'" + (f" or a list of {nd + 2} [before, after] pairs, "
                     "zero on the batch and channel dims" if explicit else "") + f"; got {padding!r}")


def to_last(x, last):
    """``x`` in its channels-last layout (transposed from channels-first when ``last`` is False)."""
    from .array import transpose
    return x if last else transpose(x, [0, *range(2, x.shape.ndims), 1])


def apply_last(type_name, inputs, attrs, last, scope, nd):
    """The op on channels-last inputs, named ``scope``; for channels-first layouts its output transposed back
    (that transpose named so)."""
    from .array import transpose
    from .registry import apply1
    if last:
        return apply1(type_name, inputs, attrs, name=scope)
    return transpose(apply1(type_name, inputs, attrs, name=type_name), [0, nd + 1, *range(1, nd + 1)], name=scope)


def pick(a, b, what, fn):
    if a is not None and b is not None:
        raise ValueError(f"{fn}: pass only one of '{what[0]}' and '{what[1]}'")
    return a if a is not None else b
