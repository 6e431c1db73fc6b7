"""The chunk planner: every chunk size daskflow chooses comes from here, driven by one memory budget.

- ``chunk_bytes`` (setting, default 128 MiB) is the largest block daskflow makes by itself: feeds, variables,
  storage sources, generated and random tensors, and blocks an op merges (a contraction axis kept whole).
- ``task_bytes`` (setting, default 8 x ``chunk_bytes`` and at least 16 MiB) is the most memory one task may be
  projected to hold (its input blocks plus its output blocks); a run that would exceed it is refused before it
  starts.

Arrays are cut along their leading axes first (rows are examples in ML data), trailing axes kept whole while they
fit. Storage chunking is respected: blocks are whole multiples of the storage chunks where those fit the budget.
"""
import math

import dask.array as da
import numpy as np

from . import config

__all__ = ["chunk_bytes", "task_bytes", "split_chunks", "chunks_for", "units_within", "block_bytes",
           "whole_contraction", "contraction_bytes", "format_bytes"]


def chunk_bytes():
    """The ``chunk_bytes`` setting."""
    return int(config.get("chunk_bytes"))


def task_bytes():
    """The ``task_bytes`` setting; when not set, 8 x ``chunk_bytes`` and at least 16 MiB (a small ``chunk_bytes``
    asks for finer blocks, not for refusing every run)."""
    v = config.get("task_bytes")
    return int(v) if v is not None else max(8 * chunk_bytes(), 16 * 2**20)


def units_within(itemsize, unit_elems, limit=None):
    """How many units of ``unit_elems`` elements fit in one block (at least one)."""
    limit = chunk_bytes() if limit is None else limit
    if isinstance(unit_elems, float) and math.isnan(unit_elems):
        return 1
    return max(1, int(limit // (itemsize * max(1, unit_elems))))


def split_chunks(shape, max_elems):
    """Chunks of ``shape`` with at most ``max_elems`` elements a block: whole trailing axes, the first axis
    (from the end) that does not fit split evenly, and the axes before it in blocks of 1."""
    shape = tuple(int(d) for d in shape)
    if math.prod(shape) <= max_elems:
        return tuple((d,) for d in shape)
    chunks, inner = [None] * len(shape), 1
    for ax in reversed(range(len(shape))):
        if inner * shape[ax] <= max_elems:
            chunks[ax] = (shape[ax],)
            inner *= shape[ax]
            continue
        per = max(1, max_elems // inner)
        chunks[ax] = da.core.normalize_chunks((per,), (shape[ax],))[0]
        for before in range(ax):
            chunks[before] = (1,) * shape[before]
        break
    return tuple(chunks)


def chunks_for(shape, dtype, previous=None, limit=None):
    """Chunks for an array daskflow reads or makes: within ``chunk_bytes`` (or ``limit``), cut along the leading
    axes. ``previous`` (the storage's own chunk shape) is respected: each block is a whole number of storage
    chunks along every axis, as many as fit."""
    shape = tuple(int(d) for d in shape)
    itemsize = np.dtype(dtype).itemsize
    limit = chunk_bytes() if limit is None else int(limit)
    max_elems = max(1, limit // itemsize)
    if not shape:
        return ()
    if previous is None or len(previous) != len(shape):
        return split_chunks(shape, max_elems)
    # grow from the storage chunks: trailing axes first to whole, then the leading ones, in storage-chunk steps
    base = [max(1, min(int(p), d)) if d else 1 for p, d in zip(previous, shape)]
    if math.prod(base) > max_elems:  # a storage chunk alone is over budget: cut it down
        return split_chunks(shape, max_elems)
    block = list(base)
    for ax in reversed(range(len(shape))):
        others = math.prod(b for i, b in enumerate(block) if i != ax)
        steps = max(1, (max_elems // others) // base[ax])
        block[ax] = min(shape[ax], steps * base[ax]) if shape[ax] else 0
        if block[ax] < shape[ax]:
            break
    return da.core.normalize_chunks(tuple(block), shape)


def _max_chunk(c):
    return max((x for x in c if not math.isnan(x)), default=0)


def block_bytes(arr, whole=()):
    """Bytes of the biggest block of dask array ``arr`` (with the axes in ``whole`` taken whole); unknown chunk
    sizes count as 0."""
    n = arr.dtype.itemsize
    for ax, c in enumerate(arr.chunks):
        d = sum(c) if ax in whole else _max_chunk(c)
        if isinstance(d, float) and math.isnan(d):
            return 0
        n *= int(d)
    return n


def whole_contraction(a, a_axes, b, b_axes):
    """Whether a contraction of ``a`` and ``b`` over the given axes keeps those axes whole in each block.

    Yes when they are already single chunks. When both operands are cut along them in the same blocks (rows of
    streamed data, say), no: the contraction is split and the partial products summed by a tree reduction, which
    streams and copies nothing. Otherwise (blocks that do not line up), yes only when merging keeps each operand's
    block within ``chunk_bytes``; if not, the contraction is split."""
    if all(len(a.chunks[i]) == 1 for i in a_axes) and all(len(b.chunks[i]) == 1 for i in b_axes):
        return True
    if all(a.chunks[i] == b.chunks[j] for i, j in zip(a_axes, b_axes)):
        return False
    limit = chunk_bytes()
    return block_bytes(a, whole=a_axes) <= limit and block_bytes(b, whole=b_axes) <= limit


def contraction_bytes(a, a_axes, b, b_axes, outs):
    """Projected task memory of a contraction: each operand's block (with the contracted axes whole when
    ``whole_contraction`` keeps them so) plus the output blocks."""
    whole = bool(a_axes) and whole_contraction(a, a_axes, b, b_axes)
    return (block_bytes(a, whole=a_axes if whole else ()) + block_bytes(b, whole=b_axes if whole else ())
            + sum(block_bytes(o) for o in outs))


def format_bytes(n):
    """``n`` bytes for people: ``'1.50 GiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
