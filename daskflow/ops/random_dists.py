"""Per-element samplers of the parameterised distributions (gamma, Poisson, binomial, truncated normal on
[minval, maxval], categorical) on the counter-based generator of ``random.py``, and the lowering they share.

Every draw of output element ``i`` uses only the bits of ``i`` in the op's streams, rejection rounds included, so
values do not depend on chunking. A sampler is ``sampler(m, idx, keys, *params) -> float64 values`` with ``m`` the
chunk's array module, ``idx`` the global flat indices (uint64) and ``params`` float64 arrays aligned with ``idx``.
"""
import math

import dask.array as da
import numpy as np

from .. import backend, planner
from .random import _MASK, _bits, _global_index, _keys, _PIECE, _stream_key
from .special import _sp

_F64 = np.dtype("float64")
_BOOST_STREAM = 1 << 40  # gamma's extra uniform for alpha < 1: far from the rejection rounds' streams
STATELESS_SEED = 0x57A7E1E55  # the graph/op seed pair of stateless ops' keys (their seed tensor is the counter)


def type_error(op, message):
    """A TypeError (TF's class for dtype mismatches at graph construction) naming the op and where it was built."""
    raise TypeError(f"{message} [op '{op.name}' (type {op.type}) built at {op.where()}]")


# -- uniforms and normals

def open_unit(m, idx, key):
    """Uniform float64 in the open interval (0, 1): logs and divisions never meet 0."""
    return ((_bits(m, idx, key) >> m.uint64(11)).astype(m.float64) + 0.5) * (2.0 ** -53)


def normal(m, idx, keys, stream):
    """Standard normals by Box-Muller from streams ``stream`` and ``stream + 1``."""
    u1, u2 = open_unit(m, idx, keys(stream)), open_unit(m, idx, keys(stream + 1))
    return m.sqrt(-2 * m.log(u1)) * m.cos(2 * math.pi * u2)


def rejection(m, n, attempt):
    """Values for ``n`` elements: ``attempt(sel, round) -> (values, accepted)`` draws round ``round`` for the
    pending positions ``sel``; each element takes the value of its first accepted round."""
    out = m.zeros(n, dtype=m.float64)
    pending, round_ = m.arange(n), 0
    while pending.size:
        val, ok = attempt(pending, round_)
        out[pending[ok]] = val[ok]
        pending = pending[~ok]
        round_ += 1
    return out


# -- distributions

def gamma(m, idx, keys, alpha):
    """Gamma(alpha, 1) by Marsaglia and Tsang's squeeze method; alpha < 1 from Gamma(alpha + 1) * U^(1/alpha).
    alpha == 0 gives 0, negative or nan alpha gives nan."""
    good = alpha > 0
    a = m.where(good, alpha, 1.0)
    boost = a < 1
    d = m.where(boost, a + 1, a) - 1.0 / 3
    c = 1 / m.sqrt(9 * d)

    def attempt(sel, r):
        i = idx[sel]
        z, u = normal(m, i, keys, 3 * r), open_unit(m, i, keys(3 * r + 2))
        v = (1 + c[sel] * z) ** 3
        pos = v > 0
        lv = m.log(m.where(pos, v, 1.0))
        ok = pos & (m.log(u) < 0.5 * z * z + d[sel] - d[sel] * v + d[sel] * lv)
        return d[sel] * v, ok
    x = rejection(m, idx.size, attempt)
    x = m.where(boost, x * open_unit(m, idx, keys(_BOOST_STREAM)) ** (1 / a), x)
    return m.where(good, x, m.where(alpha == 0, 0.0, m.nan))


def _poisson_inversion(m, idx, keys, lam):
    """Poisson by sequential search of the CDF (for lam < 10: a handful of steps)."""
    u = open_unit(m, idx, keys(0))
    k = m.zeros(lam.size)
    p = m.exp(-lam)
    cdf = p.copy()
    active = m.nonzero(u > cdf)[0]
    while active.size:
        k[active] += 1
        p[active] *= lam[active] / k[active]
        cdf[active] += p[active]
        active = active[(u[active] > cdf[active]) & (p[active] > 0)]
    return k


def _poisson_ptrs(m, idx, keys, lam):
    """Poisson by Hormann's transformed rejection with squeeze (PTRS), for lam >= 10."""
    sp = _sp(lam)
    slam, loglam = m.sqrt(lam), m.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    log_inv_alpha = m.log(1.1239 + 1.1328 / (b - 3.4))
    vr = 0.9277 - 3.6224 / (b - 2)

    def attempt(sel, r):
        i = idx[sel]
        u, v = open_unit(m, i, keys(2 * r)) - 0.5, open_unit(m, i, keys(2 * r + 1))
        us = 0.5 - m.abs(u)
        k = m.floor((2 * a[sel] / us + b[sel]) * u + lam[sel] + 0.43)
        kk = m.where(k >= 0, k, 0)
        quick = (us >= 0.07) & (v <= vr[sel])
        exact = (~((us < 0.013) & (v > us)) & (m.log(v) + log_inv_alpha[sel] - m.log(a[sel] / (us * us) + b[sel])
                                                <= -lam[sel] + kk * loglam[sel] - sp.gammaln(kk + 1)))
        return k, (k >= 0) & (quick | exact)
    return rejection(m, idx.size, attempt)


def poisson(m, idx, keys, lam):
    """Poisson(lam); lam <= 0 gives 0 and nan gives nan."""
    out = m.where(m.isnan(lam), m.nan, 0.0)
    for sel, draw in ((m.nonzero((lam > 0) & (lam < 10))[0], _poisson_inversion),
                      (m.nonzero(lam >= 10)[0], _poisson_ptrs)):
        if sel.size:
            out[sel] = draw(m, idx[sel], keys, lam[sel])
    return out


def _binomial_inversion(m, idx, keys, n, p):
    """Binomial by sequential search of the CDF, for n * p < 10 with p <= 1/2."""
    u = open_unit(m, idx, keys(0))
    k = m.zeros(n.size)
    pk = m.exp(n * m.log1p(-p))
    cdf = pk.copy()
    ratio = p / (1 - p)
    active = m.nonzero((u > cdf) & (k < n))[0]
    while active.size:
        pk[active] *= (n[active] - k[active]) / (k[active] + 1) * ratio[active]
        k[active] += 1
        cdf[active] += pk[active]
        active = active[(u[active] > cdf[active]) & (k[active] < n[active]) & (pk[active] > 0)]
    return k


def _binomial_btrs(m, idx, keys, n, p):
    """Binomial by Hormann's transformed rejection (BTRS), for n * p >= 10 with p <= 1/2."""
    sp = _sp(n)
    q = 1 - p
    spq = m.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = m.log(p / q)
    mode = m.floor((n + 1) * p)
    h = sp.gammaln(mode + 1) + sp.gammaln(n - mode + 1)

    def attempt(sel, r):
        i = idx[sel]
        u, v = open_unit(m, i, keys(2 * r)) - 0.5, open_unit(m, i, keys(2 * r + 1))
        us = 0.5 - m.abs(u)
        k = m.floor((2 * a[sel] / us + b[sel]) * u + c[sel])
        inside = (k >= 0) & (k <= n[sel])
        kk = m.where(inside, k, 0)
        quick = (us >= 0.07) & (v <= vr[sel])
        lv = m.log(v * alpha[sel] / (a[sel] / (us * us) + b[sel]))
        exact = lv <= h[sel] - sp.gammaln(kk + 1) - sp.gammaln(n[sel] - kk + 1) + (kk - mode[sel]) * lpq[sel]
        return k, inside & (quick | exact)
    return rejection(m, idx.size, attempt)


def binomial(m, idx, keys, n, p):
    """Binomial(n, p) with n rounded down; p > 1/2 draws the failures; n < 0 or p outside [0, 1] gives nan."""
    n = m.floor(n)
    bad = ~((n >= 0) & (p >= 0) & (p <= 1))
    flip = p > 0.5
    q = m.where(flip, 1 - p, p)
    out = m.where(bad, m.nan, 0.0)
    live = ~bad & (q > 0) & (n > 0)
    for sel, draw in ((m.nonzero(live & (n * q < 10))[0], _binomial_inversion),
                      (m.nonzero(live & (n * q >= 10))[0], _binomial_btrs)):
        if sel.size:
            out[sel] = draw(m, idx[sel], keys, n[sel], q[sel])
    return m.where(flip & ~bad, n - out, out)


def truncated(m, idx, keys, mean, stddev, lo, hi):
    """Normal(mean, stddev) restricted to [lo, hi], by inverting the CDF on the side of the interval nearer the
    centre's far tail (the CDF of negative arguments keeps its relative precision); lo >= hi or stddev <= 0 give
    nan."""
    sp = _sp(mean)
    ok = (stddev > 0) & (lo < hi)
    sd = m.where(ok, stddev, 1.0)
    a, b = (lo - mean) / sd, (hi - mean) / sd
    flip = a > 0  # sample -x on [-b, -a] instead
    a, b = m.where(flip, -b, a), m.where(flip, -a, b)
    pa, pb = sp.ndtr(a), sp.ndtr(b)
    z = sp.ndtri(pa + open_unit(m, idx, keys(0)) * (pb - pa))
    z = m.minimum(m.maximum(z, a), b)
    z = m.where(flip, -z, z)
    return m.where(ok, mean + sd * z, m.nan)


# -- lowering

def _block(counter, *params, seed, seed2, out_dtype, sampler, block_info=None):
    """One output block: ``sampler`` at the block's global indices with the block of each parameter."""
    m = backend.xp(params[0] if params else counter)  # the parameters' chunk type (the counter is on the host)
    keys = _keys(seed, seed2, counter)
    info = block_info[None]
    shape = tuple(info["chunk-shape"])
    flat = [m.broadcast_to(p, shape).reshape(-1).astype(m.float64) for p in params]
    out = m.empty(math.prod(shape), dtype=out_dtype)
    for start in range(0, out.size, _PIECE):
        stop = min(start + _PIECE, out.size)
        idx = _global_index(m, info, start, stop)
        out[start:stop] = sampler(m, idx, keys, *[f[start:stop] for f in flat])
    return out.reshape(shape)


def generate(op, sampler, counter, shape, params=(), seeds=None, out_dtype=None):
    """A dask array of ``shape`` whose elements are ``sampler``'s draws with ``params`` (dask arrays
    broadcastable to ``shape``); ``counter`` is a 0-d dask array (the run counter, or a stateless seed's key)."""
    shape = tuple(int(d) for d in shape)
    dtype = out_dtype or op.outputs[0].dtype
    seed, seed2 = seeds or (op.attrs["seed"], op.attrs["seed2"])
    chunks = planner.chunks_for(shape, dtype)
    args = [da.broadcast_to(p, shape).rechunk(chunks) for p in params]
    extra = {} if args else {"new_axis": list(range(len(shape)))}
    meta = backend.meta(args[0] if args else counter, dtype, ndim=len(shape))
    return da.map_blocks(_block, counter, *args, seed=seed, seed2=seed2, out_dtype=dtype, sampler=sampler,
                         dtype=dtype, chunks=chunks, meta=meta, **extra)


def _seed_key_block(seed):
    """A 0-d uint64 key from a stateless seed pair (two int32 or int64 values)."""
    m = backend.xp(seed)
    s0, s1 = (int(v) for v in seed.tolist())
    return m.asarray(_stream_key(s0 & _MASK, s1 & _MASK, _MASK, 0), dtype=m.uint64)


def seed_key(seed):
    """The 0-d dask array keying a stateless op's streams, from its lowered seed input (shape [2])."""
    seed = seed.rechunk(-1)
    return da.map_blocks(_seed_key_block, seed, drop_axis=0, dtype=np.uint64,
                         meta=backend.meta(seed, np.uint64, ndim=0))


def _categorical_block(counter, logits, seed, seed2, out_dtype, block_info=None):
    """Rows of class indices drawn from the rows of ``logits`` (whole rows) by inverting each row's CDF."""
    m = backend.xp(logits)
    key = _keys(seed, seed2, counter)(0)
    (r0, r1), (c0, c1) = block_info[None]["array-location"]
    n_samples = block_info[None]["shape"][1]
    x = logits.astype(m.float64)
    top = m.max(x, axis=1, keepdims=True) if x.shape[1] else m.zeros((x.shape[0], 1))
    cdf = m.cumsum(m.exp(x - m.where(m.isfinite(top), top, 0.0)), axis=1)
    rows = m.arange(r0, r1, dtype=m.uint64)[:, None] * m.uint64(n_samples)
    idx = (rows + m.arange(c0, c1, dtype=m.uint64)[None, :]).reshape(-1)
    u = open_unit(m, idx, key).reshape(r1 - r0, c1 - c0)
    out = m.empty((r1 - r0, c1 - c0), dtype=out_dtype)
    last = max(x.shape[1] - 1, 0)
    for i in range(r1 - r0):  # one searchsorted per row: exact, whatever the block holds
        out[i] = m.minimum(m.searchsorted(cdf[i], u[i] * cdf[i, -1], side="right"), last)
    return out


def categorical(op, logits, counter, n_samples, seeds=None):
    """The [batch, n_samples] dask array of class indices for ``logits`` (a [batch, classes] dask array)."""
    dtype = op.outputs[0].dtype
    batch, classes = (int(d) for d in logits.shape)
    rows = planner.chunks_for((batch, classes + n_samples), np.float64)[0] if batch else (0,)
    logits = logits.rechunk((rows, -1))
    seed, seed2 = seeds or (op.attrs["seed"], op.attrs["seed2"])
    return da.map_blocks(_categorical_block, counter, logits, seed=seed, seed2=seed2, out_dtype=dtype, dtype=dtype,
                         chunks=(logits.chunks[0], (n_samples,)), meta=backend.meta(logits, dtype))
