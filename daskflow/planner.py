"""The chunk planner: every chunk size daskflow chooses comes from here, driven by one memory budget.

- ``task_bytes`` is the most memory one task may be projected to hold (its input blocks plus its output blocks);
  a run that would exceed it is refused before it starts. Unless set, it is the memory budget of one thread of
  what runs the graph (``memory_budget``): locally, half the available memory over the threads; on a
  dask.distributed cluster, the smallest worker's ``memory_limit`` times distributed's memory target fraction over
  its threads.
- ``run_bytes`` is the most memory a whole run may be projected to hold (each worker's share, on a cluster): the
  blocks alive at once under the executor's order and threads plus what the running tasks need (see
  ``daskflow.projection``). Unless set, ``task_bytes`` times the threads: locally half the available memory, on a
  cluster a worker's ``memory_limit`` times the target fraction.
- ``chunk_bytes`` is the largest block daskflow makes by itself: feeds, variables, storage sources, generated and
  random tensors, and blocks an op merges (a contraction axis kept whole). Unless set, an eighth of the thread's
  budget, at most 32 MiB (a typical zarr data set's storage chunk: on the out-of-core benchmark, 32 MiB blocks
  stream at the speed of dask's own pass over the data and with its peak memory; 128 MiB blocks run about 20%
  faster there and hold twice the memory) and at least 1 MiB; with
  ``chunk_bytes`` set and ``task_bytes`` not, ``task_bytes`` is 8 x ``chunk_bytes``, at least 16 MiB.

Arrays are cut along their leading axes first (rows are examples in ML data), trailing axes kept whole while they
fit. Storage chunking is respected: blocks are whole multiples of the storage chunks where those fit the budget.
"""
import contextlib
import contextvars
import math

import dask.array as da
import numpy as np
import psutil  # a dependency of dask.distributed

from . import config
from .executor import thread_count

__all__ = ["chunk_bytes", "task_bytes", "run_bytes", "run_threads", "memory_budget", "local_budget", "cluster_budget", "budget",
           "split_chunks", "chunks_for", "units_within", "block_bytes", "whole_contraction", "contraction_bytes",
           "format_bytes"]

_MAX_CHUNK, _MIN_CHUNK = 32 * 2**20, 2**20
_BUDGET = contextvars.ContextVar("daskflow_memory_budget", default=None)  # set by the Session running the graph
_local = []


def local_budget():
    """This machine's memory budget of one thread: half the memory available when first asked, over the threads a
    chunked run uses."""
    if not _local:
        _local.append(int(psutil.virtual_memory().available // 2 // thread_count()))
    return _local[0]


def cluster_budget(client):
    """The memory budget of one thread of a dask.distributed cluster: over its workers, the least of
    ``memory_limit`` times the worker memory target fraction (``distributed.worker.memory.target``, or the pause
    fraction when spilling is off) over the worker's threads; None where no worker has a limit."""
    return _per_thread(client, held=False)


def cluster_free(client):
    """As ``cluster_budget``, less what each worker's process holds already (its modules and state, about 100 MiB;
    at least a quarter of the target is left): what the blocks of a run on the cluster are sized from."""
    return _per_thread(client, held=True)


def _per_thread(client, held):
    import dask
    frac = dask.config.get("distributed.worker.memory.target", 0.6) or \
        dask.config.get("distributed.worker.memory.pause", 0.8) or 0.8
    per = [max(w["memory_limit"] * frac - (w.get("metrics", {}).get("memory", 0) if held else 0),
               w["memory_limit"] * frac / 4) / max(w.get("nthreads", 1), 1)
           for w in cluster_workers(client).values() if w.get("memory_limit")]
    return int(min(per)) if per else None


def cluster_threads(client):
    """The most threads a worker of a dask.distributed cluster runs tasks on (its run's projection counts them)."""
    return max([w.get("nthreads", 1) for w in cluster_workers(client).values()] or [1])


def cluster_workers(client):
    """The workers of ``client``'s cluster (``{address: info}``), asked of the scheduler now
    (``Client.scheduler_info`` returns the client's cached copy, which its periodic refresh may have replaced by
    one without workers)."""
    return client.sync(client.scheduler.identity, n_workers=-1)["workers"]


@contextlib.contextmanager
def budget(nbytes, threads=None, free=None):
    """Plan with ``nbytes`` as the memory budget of one thread and ``threads`` threads running tasks (what each of
    a Session's workers has), blocks sized from ``free`` bytes a thread (default ``nbytes``); None: this
    machine's."""
    token = _BUDGET.set((nbytes, threads, free))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def memory_budget():
    """The memory budget of one thread of what runs the graph being planned (see ``budget``)."""
    b = _BUDGET.get()
    return local_budget() if b is None or b[0] is None else b[0]


def run_threads():
    """The threads that run the tasks of the graph being planned: a worker's on a cluster, else this machine's
    (``executor.thread_count``)."""
    b = _BUDGET.get()
    return thread_count() if b is None or b[1] is None else b[1]


def chunk_bytes():
    """The ``chunk_bytes`` setting, else an eighth of ``memory_budget`` (of the memory a cluster's workers have
    free, see ``cluster_free``), within 1 MiB and 32 MiB."""
    v = config.get("chunk_bytes")
    if v is not None:
        return int(v)
    b = _BUDGET.get()
    free = b[2] if b is not None and b[2] is not None else memory_budget()
    return int(min(_MAX_CHUNK, max(_MIN_CHUNK, free // 8)))


def task_bytes():
    """The ``task_bytes`` setting, else ``memory_budget``; with only ``chunk_bytes`` set, 8 x ``chunk_bytes`` and
    at least 16 MiB (a small ``chunk_bytes`` asks for finer blocks, not for refusing every run)."""
    v = config.get("task_bytes")
    if v is not None:
        return int(v)
    if config.get("chunk_bytes") is not None:
        return max(8 * chunk_bytes(), 16 * 2**20)
    return int(memory_budget())


def run_bytes():
    """The ``run_bytes`` setting, else ``task_bytes`` times ``run_threads``: the most memory a whole run (a worker's
    share of it on a cluster) may be projected to hold."""
    v = config.get("run_bytes")
    if v is not None:
        return int(v)
    return task_bytes() * run_threads()


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
