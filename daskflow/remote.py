"""State kept by a dask.distributed cluster: the values of a cluster Session's variables.

A Session given a ``distributed.Client`` keeps each variable's value on the workers, as one future per block
(blocks of ``planner.chunks_for``, like any tensor): a run reads them where they are (its graph refers to the
futures), and the new values its assignments make stay where they were computed, to become the variable's value
when the run succeeds. Only fetched values travel to the client. ``Variable.load`` scatters the value's blocks
to the workers.
"""
import dask
import dask.array as da
import numpy as np
from dask._task_spec import Task
from dask.highlevelgraph import HighLevelGraph

from . import planner

__all__ = ["RemoteValue", "scatter", "wait"]


class RemoteValue:
    """A value held by a cluster: ``futures``, one per block of ``chunks`` in the order of a dask array's keys
    (C order of the block grid), of dtype ``dtype``."""

    __slots__ = ("client", "futures", "chunks", "dtype", "shape")

    def __init__(self, client, futures, chunks, dtype):
        from distributed import Future
        # references of its own: a block may be another value's too (two variables assigned one tensor), and the
        # run that made it releases its own
        self.futures = [Future(f.key, client) for f in futures]
        self.client, self.chunks, self.dtype = client, tuple(chunks), np.dtype(dtype)
        self.shape = tuple(int(sum(c)) for c in self.chunks)

    @property
    def nbytes(self):
        return int(np.prod(self.shape)) * self.dtype.itemsize

    @property
    def ndim(self):
        return len(self.shape)

    def aliases(self, keys):
        """Graph nodes giving ``keys`` (a leaf's keys, block for block) the blocks held by the cluster."""
        return {k: Task(k, _held, f) for k, f in zip(keys, self.futures)}

    def as_dask(self, name):
        """A dask array ``name`` of the blocks (computed where they are held, by this value's client)."""
        keys = list(dask.core.flatten(_grid_keys(name, self.chunks)))
        dsk = self.aliases(keys)
        meta = np.empty((0,) * self.ndim, self.dtype)
        return da.Array(HighLevelGraph.from_collections(name, dsk, dependencies=[]), name, self.chunks, meta=meta)

    def fetch(self):
        """The whole value, gathered to this process."""
        blocks = self.client.gather(self.futures)
        if not self.shape:
            return np.asarray(blocks[0], dtype=self.dtype)
        grid = np.empty(tuple(len(c) for c in self.chunks), dtype=object)
        for i, b in zip(np.ndindex(grid.shape), blocks):
            grid[i] = np.asarray(b)
        return np.block(grid.tolist()) if grid.size > 1 else grid.flat[0]

    def release(self):
        for f in self.futures:
            f.release()


def _held(block):
    return block


def _grid_keys(name, chunks):
    grid = [len(c) for c in chunks]
    if not grid:
        return [(name,)]

    def level(prefix, d):
        if d == len(grid):
            return (name,) + prefix
        return [level(prefix + (i,), d + 1) for i in range(grid[d])]
    return level((), 0)


def scatter(client, value):
    """``value`` (a numpy array) split into the blocks of ``planner.chunks_for`` and sent to the workers."""
    value = np.asarray(value)
    chunks = planner.chunks_for(value.shape, value.dtype)
    blocks = [np.ascontiguousarray(value[s]) for s in da.core.slices_from_chunks(chunks)] if value.ndim else [value]
    sent = client.scatter(blocks, hash=False)
    held = RemoteValue(client, sent, chunks, value.dtype)
    for f in sent:
        f.release()
    return held


def wait(client, futures):
    """Wait for ``futures`` of ``client``; raise the first one's error, if any failed."""
    from distributed import wait as _wait
    if not futures:
        return
    with client.as_current():
        _wait(futures)
    for f in futures:
        if f.status == "error":
            f.result()  # raises its exception
