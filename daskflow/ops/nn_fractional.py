"""Fractional max and average pooling (TF's ``fractional_max_pool``, ``fractional_avg_pool``): NHWC pooling over
pseudo-random regions whose sizes are ``floor(ratio)`` or ``ceil(ratio)``, one row sequence and one column sequence
per run for the whole batch (Graham, "Fractional Max-Pooling", 2014).

The region sequences come from TF's generator: Philox4x32-10 keyed by ``(seed, seed2)`` as TF's
``GuardedPhiloxRandom``, drawn as TF's ``GeneratePoolingSequence`` draws them (one uniform double for
``pseudo_random``, a shuffle of the region sizes otherwise), so ``deterministic=True`` with given seeds gives TF's
sequences. Without ``deterministic`` each run draws new ones.

Ops: ``FractionalPoolSequence`` (the two sequences), ``FractionalMaxPool`` (blocks of the batch and channels, the
spatial dims whole) and its gradient ``FractionalMaxPoolGrad`` (to the first maximum of each region, in row-major
order, as TF); the average pool is a composite (region membership matrices), so its gradient comes free.
"""
import math
import secrets

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from ..graph import name_scope
from ..lowering import current
from .nn import _t
from .random import _stream_key
from .registry import NOT_DIFFERENTIABLE, apply, fail, register

__all__ = []
NAMESPACES = {"nn": ["fractional_max_pool", "fractional_avg_pool"]}

_M32 = 0xFFFFFFFF


# -- TF's random pooling sequences

def _philox(counter, key):
    """One Philox4x32-10 block: four 32-bit words."""
    c, k = list(counter), list(key)
    for r in range(10):
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & _M32, p1 & _M32, ((p0 >> 32) ^ c[3] ^ k[1]) & _M32, p0 & _M32]
        if r < 9:
            k = [(k[0] + 0x9E3779B9) & _M32, (k[1] + 0xBB67AE85) & _M32]
    return c


def _add128(c, n):
    lo = (c[0] | (c[1] << 32)) + n
    hi = (c[2] | (c[3] << 32)) + (lo >> 64)
    return [lo & _M32, (lo >> 32) & _M32, hi & _M32, (hi >> 32) & _M32]


class _Philox:
    """TF's ``GuardedPhiloxRandom`` (``reserve``) handing out ``SingleSampleAdapter`` streams of 32-bit words."""

    def __init__(self, seed, seed2):
        seed, seed2 = seed & (2 ** 64 - 1), seed2 & (2 ** 64 - 1)
        self.key, self.counter = [seed & _M32, seed >> 32], [0, 0, seed2 & _M32, seed2 >> 32]

    def reserve(self, n):
        counter, self.counter = self.counter, _add128(self.counter, (n + 3) // 4)
        words, key = [], self.key

        def draw():
            nonlocal counter
            if not words:
                words.extend(reversed(_philox(counter, key)))
                counter = _add128(counter, 1)
            return words.pop()
        return draw


def _unit_double(draw):
    x0, x1 = draw(), draw()
    bits = (1023 << 52) | ((x0 & 0xFFFFF) << 32) | x1
    return float(np.array(bits, np.uint64).view(np.float64)) - 1.0


def _sequence(n_in, n_out, gen, pseudo_random):
    """Region boundaries ``[0, ..., n_in]`` (``n_out + 1`` of them) as TF's ``GeneratePoolingSequence``."""
    k = n_in // n_out
    if pseudo_random:
        alpha = n_in / n_out
        u = _unit_double(gen.reserve(2)) * min((k + 2) / alpha - 1, (n_in + 1 - k) / alpha - (n_out - 1))
        cum = [1] + [int(math.ceil(alpha * (i + u))) for i in range(1, n_out)] + [n_in + 1]
        diff = [cum[i + 1] - cum[i] for i in range(n_out)]
    else:
        diff = [k + (i < n_in % n_out) for i in range(n_out)]
        draw = gen.reserve(n_out)
        for i in range(n_out - 1):
            j = i + draw() % (n_out - i)
            diff[i], diff[j] = diff[j], diff[i]
    return np.cumsum([0] + diff).astype(np.int64)


def _sequences_block(counter, *, sizes, pseudo_random, deterministic, seed, seed2):
    if not deterministic:  # a new generator each run
        seed, seed2 = _stream_key(seed, seed2, int(counter), 0), seed2
    gen = _Philox(seed, seed2)
    rows = _sequence(sizes[0], sizes[2], gen, pseudo_random)
    cols = _sequence(sizes[1], sizes[3], gen, pseudo_random)
    return np.concatenate([rows, cols])


def _out_sizes(op, h, w):
    r = op.attrs["pooling_ratio"]
    return [None if d is None else int(math.floor(d / q)) for d, q in ((h, r[1]), (w, r[2]))]


@register("FractionalPoolSequence")
class FractionalPoolSequence:
    """The row and column region boundaries for pooling input ``value`` (only its shape is read)."""
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        h, w = (x.shape[1], x.shape[2]) if x.shape.ndims == 4 else (None, None)
        oh, ow = _out_sizes(op, h, w)
        for d, n in ((h, oh), (w, ow)):
            if n is not None and n <= 0:
                fail(op, f"output size must be positive: input {d}, pooling ratio {op.attrs['pooling_ratio']}")
        return [((None if oh is None else oh + 1,), dtypes.int64), ((None if ow is None else ow + 1,), dtypes.int64)]

    def lower(op, x):
        h, w = int(x.shape[1]), int(x.shape[2])
        oh, ow = _out_sizes(op, h, w)
        if oh <= 0 or ow <= 0:
            fail(op, f"output size must be positive: input {[h, w]}, pooling ratio {op.attrs['pooling_ratio']}")
        a = op.attrs
        counter = current().sources.rng(op) if not a["deterministic"] else da.from_array(np.array(0, np.int64))
        both = da.map_blocks(_sequences_block, counter, sizes=(h, w, oh, ow), pseudo_random=a["pseudo_random"],
                             deterministic=a["deterministic"], seed=a["seed"], seed2=a["seed2"], new_axis=[0],
                             chunks=((oh + ow + 2,),), dtype=np.int64, meta=np.empty((0,), np.int64))
        return [both[:oh + 1], both[oh + 1:]]


# -- max pooling over the regions

def _bounds(seq, i, n, overlapping):
    """Rows ``[start, stop)`` of region ``i``: with ``overlapping``, the next region's first row too."""
    return int(seq[i]), min(int(seq[i + 1]) + (1 if overlapping else 0), n)


def _first_max(m, x, seq, axis, overlapping):
    """Maxima of ``x`` over the regions along ``axis`` and, for each, the index of its first maximum."""
    n, outs, args = x.shape[axis], [], []
    for i in range(len(seq) - 1):
        lo, hi = _bounds(seq, i, n, overlapping)
        part = m.take(x, m.arange(lo, hi), axis=axis)
        args.append(part.argmax(axis=axis) + lo)
        outs.append(part.max(axis=axis))
    return m.stack(outs, axis=axis), m.stack(args, axis=axis)


def _max_block(x, rows, cols, overlapping):
    m = backend.xp(x)
    rows, cols = _host_ints(rows), _host_ints(cols)
    by_col, _ = _first_max(m, x, cols, 2, overlapping)
    return _first_max(m, by_col, rows, 1, overlapping)[0]


def _max_grad_block(x, rows, cols, dy, overlapping):
    """``dy`` added into ``x``'s shape at the first maximum (row-major) of each region."""
    m = backend.xp(x)
    rows, cols = _host_ints(rows), _host_ints(cols)
    b, h, w, c = x.shape
    by_col, col_arg = _first_max(m, x, cols, 2, overlapping)        # [b, h, ow, c]
    _, row_arg = _first_max(m, by_col, rows, 1, overlapping)        # [b, oh, ow, c]: the row of each maximum
    col_at = m.take_along_axis(col_arg, row_arg, axis=1)            # the column of that row's maximum
    bi = m.arange(b)[:, None, None, None]
    ci = m.arange(c)[None, None, None, :]
    flat = (((bi * h + row_arg) * w + col_at) * c + ci).ravel()
    return m.bincount(flat, weights=dy.ravel().astype(np.float64), minlength=x.size).reshape(x.shape).astype(x.dtype)


def _host_ints(a):
    return a.get() if backend.is_gpu(a) else np.asarray(a)


def _spatial_whole(x):
    return x.rechunk({1: -1, 2: -1})


@register("FractionalMaxPool")
class FractionalMaxPool:
    """Maxima of NHWC ``value`` over the regions of the boundaries ``rows`` and ``cols``."""

    def infer(op):
        x, rows, cols = op.inputs
        n = (None if s.shape.ndims != 1 or s.shape[0] is None else s.shape[0] - 1 for s in (rows, cols))
        return [((x.shape[0], *n, x.shape[3]), x.dtype)]

    def lower(op, x, rows, cols):
        x = _spatial_whole(x)
        oh, ow = int(rows.shape[0]) - 1, int(cols.shape[0]) - 1
        return da.blockwise(_max_block, "bhwc", x, "bhwc", rows, "r", cols, "s", overlapping=op.attrs["overlapping"],
                            adjust_chunks={"h": oh, "w": ow}, concatenate=True, dtype=x.dtype,
                            meta=backend.meta(x, x.dtype))

    def grad(op, dy):
        x, rows, cols = op.inputs
        dx = apply("FractionalMaxPoolGrad", [x, rows, cols, dy], {"overlapping": op.attrs["overlapping"]},
                   name="FractionalMaxPoolGrad")[0]
        return [dx, None, None]


@register("FractionalMaxPoolGrad")
class FractionalMaxPoolGrad:
    """The gradient of ``FractionalMaxPool``: ``dy`` routed to the first maximum of each region."""

    def infer(op):
        return [(op.inputs[0].shape, op.inputs[0].dtype)]

    def lower(op, x, rows, cols, dy):
        x = _spatial_whole(x)
        dy = dy.rechunk({0: x.chunks[0], 1: -1, 2: -1, 3: x.chunks[3]})
        return da.blockwise(_max_grad_block, "bhwc", x, "bhwc", rows, "r", cols, "s", dy, "bijc",
                            overlapping=op.attrs["overlapping"], concatenate=True, dtype=x.dtype,
                            meta=backend.meta(x, x.dtype))


# -- the public functions

def _check(value, pooling_ratio, deterministic, seed, seed2, name):
    ratio = [float(r) for r in pooling_ratio]
    if len(ratio) != 4:
        raise errors.InvalidArgumentError(None, None, f"{name} requires pooling_ratio to be 4 elements, got "
                                                      f"{len(ratio)}")
    if ratio[0] != 1.0 or ratio[3] != 1.0:
        raise errors.UnimplementedError(None, None, f"{name} is not yet supported on the batch nor channel "
                                                    "dimension. The first and last elements of pooling ratio must "
                                                    "be 1.0.")
    if any(r < 1.0 for r in ratio):
        raise errors.InvalidArgumentError(None, None, f"pooling_ratio cannot be smaller than 1, got: {ratio}")
    if value.shape.ndims not in (None, 4):
        raise ValueError(f"Shape must be rank 4 but is rank {value.shape.ndims} for '{name}' (input of shape "
                         f"{value.shape})")
    if value.dtype not in (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'value' has DataType {value.dtype.name} not in list of allowed "
                        "values: float32, float64, int32, int64")
    if not deterministic and (seed or seed2):
        raise errors.InvalidArgumentError(None, None, "Both seed and seed2 should be 0 if deterministic is false.")
    if deterministic and not seed and not seed2:  # TF draws the seeds once, when the op is made
        seed, seed2 = secrets.randbits(63), secrets.randbits(63)
    if not deterministic:
        seed, seed2 = secrets.randbits(63), secrets.randbits(63)
    return {"pooling_ratio": tuple(ratio), "seed": int(seed), "seed2": int(seed2), "deterministic": bool(deterministic)}


def _pool(kind, value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, name):
    value = _t(value)
    attrs = _check(value, pooling_ratio, deterministic, seed, seed2, kind)
    attrs["pseudo_random"] = bool(pseudo_random)
    with name_scope(name, kind) as scope:
        rows, cols = apply("FractionalPoolSequence", [value], attrs, name="pooling_sequence")
        if kind == "FractionalMaxPool":
            out = apply("FractionalMaxPool", [value, rows, cols], {"overlapping": bool(overlapping)}, name=scope)[0]
        else:
            out = _avg(value, rows, cols, bool(overlapping), scope)
        return out, rows, cols


def _membership(seq, n, overlapping, dtype):
    """``[regions, n]``: 1 where position ``p`` lies in region ``i``."""
    import daskflow as df
    p = df.range(n, dtype=dtypes.int64)[None, :]
    stop = seq[1:, None] + (1 if overlapping else 0)
    return df.cast((p >= seq[:-1, None]) & (p < stop), dtype)


def _avg(value, rows, cols, overlapping, scope):
    import daskflow as df
    compute = value.dtype if value.dtype.kind == "f" else dtypes.float64
    x = df.cast(value, compute) if compute != value.dtype else value
    r = _membership(rows, df.shape(x, out_type=dtypes.int64)[1], overlapping, compute)
    c = _membership(cols, df.shape(x, out_type=dtypes.int64)[2], overlapping, compute)
    total = df.einsum("ih,bhwc,jw->bijc", r, x, c)
    count = df.reduce_sum(r, axis=1)[:, None] * df.reduce_sum(c, axis=1)[None, :]
    out = total / count[None, :, :, None]
    return df.cast(out, value.dtype, name=scope) if compute != value.dtype else df.identity(out, name=scope)


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
                        seed2=0, name=None):
    """Max pooling of NHWC ``value`` over regions of fractional mean size ``pooling_ratio`` (``[1.0, rh, rw,
    1.0]``, each >= 1): the output has ``floor(H / rh)`` rows and ``floor(W / rw)`` columns.

    Region sizes are ``floor`` or ``ceil`` of the ratio, in a random order (``pseudo_random=False``) or from one
    uniform draw (``pseudo_random=True``); with ``overlapping`` each region also takes the first row and column of
    the next. With ``deterministic`` and ``seed``/``seed2`` the regions are TF's for those seeds, the same each run;
    otherwise (seeds must then be 0) each run draws new ones.

    Returns ``(output, row_pooling_sequence, col_pooling_sequence)``, the sequences int64 region boundaries
    ``[0, ..., H]`` and ``[0, ..., W]``. The gradient goes to the first maximum (row-major) of each region.
    """
    return _pool("FractionalMaxPool", value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2,
                 name)


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
                        seed2=0, name=None):
    """Average pooling over the regions of ``fractional_max_pool`` (same arguments and outputs): each output is
    the mean of its region's entries."""
    return _pool("FractionalAvgPool", value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2,
                 name)
