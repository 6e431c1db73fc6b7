"""Number sequences of TF: ``tf.math.sobol_sample`` (the Sobol low-discrepancy sequence) and
``tf.random_index_shuffle`` (a stateless pseudorandom bijection of ``[0, max_index]``).

Both are computed per block from the block's position (Sobol) or per element (the shuffle), so they give the
same numbers whatever the chunking.
"""
import warnings

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from ..graph import Tensor
from .generate import gen_chunks
from .hostvalue import host_lowered, host_scalar
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, register

__all__ = ["random_index_shuffle"]
NAMESPACES = {"math": ["sobol_sample"]}

SOBOL_MAX_DIM = 21200


# -- Sobol sequence

def _sobol_block(rows, *, dim, skip, out_dtype, block_info=None):
    from scipy.stats import qmc
    start = block_info[0]["array-location"][0][0]
    gen = qmc.Sobol(dim, scramble=False)
    gen.fast_forward(skip + 1 + start)  # TF's sequence leaves out the first point (the origin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scipy's advice on powers of two, for a sub-sequence
        pts = gen.random(len(rows))
    return backend.xp(rows).asarray(pts.astype(out_dtype))


def _sobol_args(op, get):
    dim, n, skip = (get(op, i, w) for i, w in enumerate(("dim", "num_results", "skip")))
    if dim is not None and dim < 1:
        fail(op, "dim must be at least one")
    if dim is not None and dim > SOBOL_MAX_DIM:
        fail(op, f"dim must be at most {SOBOL_MAX_DIM}")
    if n is not None and n < 1:
        fail(op, "num_results must be at least one")
    if skip is not None and skip < 0:
        fail(op, "skip must be non-negative")
    return dim, n, skip


@register("SobolSample")
class SobolSample:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        dim, n, _ = _sobol_args(op, host_scalar)
        return [((n, dim), op.attrs["dtype"])]

    def lower(op, *_):
        dim, n, skip = _sobol_args(op, lambda op, i, w: int(host_lowered(op, i, w)))
        dt = op.outputs[0].dtype
        rows = da.arange(n, chunks=gen_chunks((n, dim), dt)[:1], dtype=np.int64)
        return rows.map_blocks(_sobol_block, dim=dim, skip=skip, out_dtype=dt, new_axis=1, chunks=(rows.chunks[0],
                               (dim,)), dtype=dt, meta=backend.meta(rows, dt, 2))


def sobol_sample(dim, num_results, skip=0, dtype=dtypes.float32, name=None):
    """``num_results`` points of the ``dim``-dimensional Sobol sequence (Joe & Kuo's direction numbers, not
    scrambled), shape ``[num_results, dim]``, starting after ``skip`` points; as TF, the sequence leaves out its
    first point, the origin. ``dim`` is at most 21200.

    Examples
    --------
    >>> import daskflow as df
    >>> df.math.sobol_sample(2, 3).compute()
    array([[0.5 , 0.5 ],
           [0.75, 0.25],
           [0.25, 0.75]], dtype=float32)
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype.name not in ("float32", "float64"):
        raise TypeError(f"Value for attr 'dtype' of {dtype.name} is not in the list of allowed values: float, "
                        "double")
    args = [convert_to_tensor(v, dtype=dtypes.int32) for v in (dim, num_results, skip)]
    return apply1("SobolSample", args, {"dtype": dtype}, name=name or "SobolSample")


# -- index shuffle: a cycle-walking Simon cipher (Beaulieu et al. 2013) over the fewest bits covering max_index

_SIMON_C = 0xfffffffc
_SIMON_Z = 0x7369f885192c0ef5


def _rotl(x, r, w, mask):
    return ((x << np.uint64(r)) | (x >> np.uint64(w - r))) & mask


def _simon_round_keys(key, w, rounds):
    """The ``rounds`` round keys of Simon with ``w``-bit words from the three key words (arrays of uint64)."""
    mask = np.uint64((1 << w) - 1)
    keys = [k & mask for k in key]
    z = _SIMON_Z & ((1 << w) - 1)
    for i in range(3, rounds):
        prev = keys[i - 1]
        keys.append(np.uint64(_SIMON_C & ((1 << w) - 1)) ^ np.uint64(z & 1) ^ keys[i - 3]
                    ^ _rotl(prev, w - 3, w, mask) ^ _rotl(prev, w - 4, w, mask))
        z >>= 1
    return keys


def _simon_encrypt(v, keys, w):
    mask = np.uint64((1 << w) - 1)
    left, right = (v >> np.uint64(w)) & mask, v & mask

    def f(x):
        return (_rotl(x, 1, w, mask) & _rotl(x, 8, w, mask)) ^ _rotl(x, 2, w, mask)
    for k1, k2 in zip(keys[0::2], keys[1::2]):
        left = left ^ f(right) ^ k1
        right = right ^ f(left) ^ k2
    return (left << np.uint64(w)) | right


def _walk(v, keys, w, top):
    """Cycle walking, element by element: encrypt until the value falls in ``[0, top]``."""
    todo = np.ones(v.shape, bool)
    while todo.any():
        v = np.where(todo, _simon_encrypt(v, keys, w), v)
        todo = v > top
    return v


def _walk_table(v, keys, w, top):
    """Cycle walking for one key and bound over a small block: encrypt every block value once, then follow each
    orbit to its first value in ``[0, top]`` by pointer doubling (logarithmic in the walk length)."""
    res = _simon_encrypt(np.arange(1 << (2 * w), dtype=np.uint64), keys, w)
    start = (v & np.uint64((1 << (2 * w)) - 1)).astype(np.int64)  # the cipher reads the block's bits only
    while np.any(res[start] > top):
        res = np.where(res > top, res[res.astype(np.int64)], res)
    return res[start]


def index_shuffle(index, key, max_index, rounds):
    """The position of each ``index`` in the permutation of ``[0, max_index]`` keyed by ``key`` (three uint32
    words per element): uint64 arrays of one shape in, uint64 out."""
    out = np.zeros(index.shape, np.uint64)
    nonzero = max_index > 0
    logs = np.ceil(np.log2(np.where(nonzero, max_index, 1).astype(np.float64)))
    bits = np.maximum(logs + logs % 2, 16).astype(np.int64)
    for b in np.unique(bits[nonzero]):
        sel = nonzero & (bits == b)
        w = int(b) // 2
        v, top, k = index[sel], max_index[sel], [kw[sel] for kw in key]
        if b > 20 or (1 << int(b)) // (int(top.min()) + 1) <= 64:  # short walks: walk each element
            out[sel] = _walk(v, _simon_round_keys(k, w, rounds), w, top)
            continue
        groups = np.stack(k + [top], -1)
        found = np.zeros(v.shape, np.uint64)
        for g in np.unique(groups, axis=0):  # long walks: one table per key and bound
            at = np.all(groups == g, -1)
            keys = _simon_round_keys([np.uint64(x) for x in g[:3]], w, rounds)
            found[at] = _walk_table(v[at], keys, w, g[3])
        out[sel] = found
    return out


def _shuffle_block(index, seed, max_index, *, rounds, out_dtype):
    xp = backend.xp(index)
    idx, mx = np.asarray(index), np.asarray(max_index)
    if idx.size and idx.min() < 0:
        raise errors.InvalidArgumentError(None, None, f"index must be >= 0 but was {idx.min()}")
    if mx.size and mx.min() < 0:
        raise errors.InvalidArgumentError(None, None, f"max_index must be >= 0 but was {mx.min()}")
    mx_full = np.broadcast_to(mx, idx.shape)
    if idx.size and np.any(idx > mx_full):
        i = np.argmax(idx > mx_full)
        raise errors.InvalidArgumentError(None, None, f"max_index must be >= index, but {mx_full.flat[i]} < "
                                                      f"{idx.flat[i]}")
    words = np.asarray(seed).astype(np.uint64) & np.uint64(0xffffffff)  # each seed entry as a uint32 key word
    key = [np.broadcast_to(words[..., j], idx.shape) for j in range(3)]
    got = index_shuffle(idx.astype(np.uint64), key, mx_full.astype(np.uint64), rounds)
    return xp.asarray(got.astype(out_dtype))


_SHUFFLE_DTYPES = ("int32", "uint32", "int64", "uint64")


@register("RandomIndexShuffle")
class RandomIndexShuffle:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        index, seed, max_index = op.inputs
        for t, what in ((index, "index"), (seed, "seed")):
            if t.dtype.name not in _SHUFFLE_DTYPES:
                fail(op, f"Value passed to parameter '{what}' has DataType {t.dtype.name} not in list of allowed "
                         "values: int32, uint32, int64, uint64", TypeError)
        if max_index.dtype != index.dtype:
            fail(op, f"Input 'max_index' of 'RandomIndexShuffle' Op has type {max_index.dtype.name} that does not "
                     f"match type {index.dtype.name} of argument 'index'.", TypeError)
        rank = index.shape.ndims
        if rank is not None and rank > 1:
            fail(op, f"index must be a scalar or vector, got shape {index.shape}", ValueError)
        s = seed.shape
        if s.ndims is not None and not ((s.ndims == 1 and s[0] in (3, None)) or
                                        (s.ndims == 2 and s[1] in (3, None))):
            fail(op, f"Seed must have shape [3] or [n, 3] but got {s.as_list()}.", ValueError)
        if max_index.shape.ndims not in (None, 0) and rank is not None and max_index.shape.ndims != rank:
            fail(op, f"max_index must be a scalar or of the shape of index, got {max_index.shape}", ValueError)
        return [(tuple(index.shape), index.dtype)]

    def lower(op, index, seed, max_index):
        ind = "i" * index.ndim
        seed = seed.rechunk({seed.ndim - 1: -1})
        args = [index, ind, seed, (ind + "j") if seed.ndim == 2 else "j", max_index,
                ind if max_index.ndim else ""]
        dt = op.outputs[0].dtype
        return da.blockwise(_shuffle_block, ind, *args, concatenate=True, align_arrays=True,
                            rounds=op.attrs["rounds"], out_dtype=dt, dtype=dt, meta=backend.meta(index, dt))


def random_index_shuffle(index, seed, max_index, rounds=4, name=None):
    """The position of ``index`` in a pseudorandom permutation of ``[0, ..., max_index]`` fixed by ``seed``
    (shape ``[3]``, or ``[n, 3]`` for one seed per index): for fixed ``seed`` and ``max_index`` the map is a
    bijection, computed without materialising the permutation (op type ``RandomIndexShuffle``).

    ``index`` is a scalar or vector of int32, uint32, int64 or uint64, ``max_index`` of its dtype, a scalar or
    of its shape; ``rounds`` (an even number, at least 4) trades speed for randomness.

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> df.random_index_shuffle(np.arange(5), np.array([1, 2, 3]), 4).compute().tolist()
    [2, 0, 3, 4, 1]
    """
    rounds = int(rounds)
    if rounds < 4 or rounds % 2:
        raise errors.InvalidArgumentError(None, None, f"rounds must be an even integer >= 4, got {rounds}")
    index = convert_to_tensor(index)
    if not isinstance(max_index, Tensor):
        max_index = convert_to_tensor(max_index, dtype=index.dtype)
    seed = convert_to_tensor(seed)
    return apply1("RandomIndexShuffle", [index, seed, max_index], {"rounds": rounds},
                  name=name or "RandomIndexShuffle")
