"""Helpers for testing daskflow programs (and daskflow itself): run a graph-building function on numpy inputs
under several chunkings and compare with a numpy reference, checking that every result has the statically
inferred shape and dtype."""
import itertools

import dask
import dask.array as da
import numpy as np

from .graph import Graph
from .ops.state import placeholder
from .session import Session

__all__ = ["chunkings", "run_graph", "assert_op", "raise_if_computes", "rand"]


def chunkings(shape):
    """Chunk specs for a shape: one chunk, and uneven chunks along every axis (sizes 1, 2, rest)."""
    yield tuple((n,) if n else (0,) for n in shape)
    uneven = []
    for n in shape:
        if n <= 1:
            uneven.append((n,) if n else (0,))
        elif n == 2:
            uneven.append((1, 1))
        else:
            parts, left, k = [], n, 1
            while left > 0:
                parts.append(min(k, left))
                left -= parts[-1]
                k = k % 3 + 1  # 1, 2, 3, 1, 2, 3...: uneven on purpose
            uneven.append(tuple(parts))
    if any(len(c) > 1 for c in uneven):
        yield tuple(uneven)


def run_graph(build, *arrays, chunks=None, scheduler="sync", feed_static_shape=True):
    """Build ``build(*placeholders)`` in a new graph and run it with ``arrays`` fed as dask arrays of ``chunks``.

    Each result is checked against its tensor's static shape and dtype. Returns the result (or a list).
    """
    g = Graph()
    with g.as_default():
        phs = [placeholder(a.dtype, a.shape if feed_static_shape else [None] * a.ndim, name=f"in{i}")
               for i, a in enumerate(arrays)]
        out = build(*phs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    feeds = {}
    for i, (p, a) in enumerate(zip(phs, arrays)):
        c = chunks[i] if chunks is not None else None
        feeds[p] = da.from_array(a, chunks=c if c is not None else a.shape or ()) if c is not None else a
    with Session(graph=g, scheduler=scheduler) as s:
        res = s.run(list(outs), feeds)
    for t, r in zip(outs, res):
        r = np.asarray(r)
        if r.dtype != t.dtype:
            raise AssertionError(f"{t.name}: computed dtype {r.dtype}, inferred {t.dtype}")
        if not t.shape.is_compatible_with(r.shape):
            raise AssertionError(f"{t.name}: computed shape {r.shape}, inferred {t.shape}")
    return res if isinstance(out, (list, tuple)) else res[0]


def assert_op(build, reference, *arrays, rtol=1e-5, atol=1e-6, all_chunkings=True, **kw):
    """``build`` on every chunking of ``arrays`` (see ``chunkings``) equals ``reference(*arrays)``."""
    expected = reference(*arrays)
    combos = [None]
    if all_chunkings:
        per = [list(chunkings(a.shape)) for a in arrays]
        combos = [list(c) for c in zip(*[itertools.islice(itertools.cycle(p), max(map(len, per))) for p in per])]
    for ch in combos:
        got = run_graph(build, *arrays, chunks=ch, **kw)
        exp_list = expected if isinstance(expected, (list, tuple)) else [expected]
        got_list = got if isinstance(got, (list, tuple)) else [got]
        for g_, e_ in zip(got_list, exp_list):
            np.testing.assert_allclose(np.asarray(g_), np.asarray(e_), rtol=rtol, atol=atol,
                                       err_msg=f"chunks={ch}")
    return expected


class raise_if_computes(dask.callbacks.Callback):
    """Context manager failing if dask computes anything inside it (graph building and lowering are lazy)."""

    def __init__(self):
        super().__init__(start=self._fail)

    @staticmethod
    def _fail(dsk):
        raise AssertionError("dask computed something inside raise_if_computes()")


def rand(shape, dtype="float64", low=-2.0, high=2.0, seed=0):
    """Seeded uniform values in ``[low, high)`` of ``shape`` and ``dtype`` (ints rounded)."""
    r = np.random.default_rng(seed).uniform(low, high, size=shape)
    return r.astype(dtype) if np.dtype(dtype).kind != "b" else (r > (low + high) / 2)
