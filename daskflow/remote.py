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

    def blocks(self, keys):
        """``keys`` (a leaf's keys) each with the future of the block it reads."""
        return dict(zip(keys, self.futures))

    def as_dask(self, name):
        """A dask array ``name`` of the blocks (computed where they are held, by this value's client)."""
        keys = list(dask.core.flatten(_grid_keys(name, self.chunks)))
        dsk = {k: held(k, f) for k, f in self.blocks(keys).items()}
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


def held(key, future):
    """A graph node giving ``key`` the value of ``future`` (a block the cluster holds)."""
    return Task(key, _held, future)


def run_inline(order, out_keys, leaf_keys, leaf_values):
    """On a worker: a whole small run in one task, as the local Session runs it inline (``executor.walk``):
    ``order`` is its tasks as ``(key, graph node, keys it is the last user of)``, ``leaf_keys`` the keys the
    ``leaf_values`` (feeds, variables' blocks) fill. Gives the values of ``out_keys``, as a tuple."""
    from .executor import compile_task, walk
    compiled = [(k, compile_task(node), frees) for k, node, frees in order]
    return tuple(walk(compiled, dict(zip(leaf_keys, leaf_values)), out_keys))


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


# -- placement: device scopes on a cluster

_JOBS = ("worker", "localhost")


class Placement:
    """Where a device asks its ops' tasks to run on a cluster: ``workers`` (a worker's address, or None for
    any) and ``resources`` (``{"GPU": 1}`` for a GPU device, or None)."""

    __slots__ = ("workers", "resources")

    def __init__(self, workers=None, resources=None):
        self.workers, self.resources = workers, resources

    def annotations(self):
        out = {}
        if self.workers is not None:
            out.update(workers=[self.workers], allow_other_workers=False)
        if self.resources is not None:
            out["resources"] = dict(self.resources)
        return out

    def __bool__(self):
        return self.workers is not None or self.resources is not None


def place(op, workers, soft=False):
    """The ``Placement`` of ``op``'s device on a cluster whose workers are ``workers`` (``{address: info}``, as
    ``Client.scheduler_info()`` gives them); raises ``InvalidArgumentError`` naming the op for a job, task, worker
    or device the cluster does not have (unless ``soft``, TF's ``allow_soft_placement``, where a device that is
    missing places nothing).

    The mapping: ``/job:worker/task:K`` is the worker named ``K`` (``LocalCluster`` names its workers 0, 1, ...;
    ``dask worker --name K`` names one), or when no worker has that name, the K-th worker in the order of their
    addresses; ``/worker:<name>`` and an address name a worker directly; ``/device:GPU:N`` asks for a worker with a
    ``GPU`` resource (``dask worker --resources GPU=1``) and one unit of it; ``/device:CPU:N`` and
    ``/job:localhost`` (TF's name for the local process) place nothing."""
    from . import errors
    spec = op.device_spec
    if spec is None:
        return Placement()

    def fail(what, choices):
        raise errors.InvalidArgumentError(
            None, op, f"Cannot assign a device for operation '{op.name}': operation was explicitly assigned to "
                      f"{op.device} but {what}; available: {choices}")
    if spec.job is not None and spec.job not in _JOBS:
        fail(f"the cluster has no job '{spec.job}'", ", ".join(f"/job:{j}" for j in _JOBS))
    names = {str(info.get("name")): addr for addr, info in workers.items()}
    listing = ", ".join(f"{addr} (name {info.get('name')})" for addr, info in sorted(workers.items())) or "none"
    address = None
    if spec.worker is not None:
        address = spec.worker if spec.worker in workers else names.get(spec.worker)
        if address is None:
            fail(f"no worker has that address or name", listing)
    elif spec.task is not None and spec.job != "localhost":
        address = names.get(str(spec.task))
        if address is None:
            ordered = sorted(workers)
            if not 0 <= spec.task < len(ordered):
                fail(f"the cluster has {len(ordered)} worker(s), so no task {spec.task}", listing)
            address = ordered[spec.task]
    resources = None
    if spec.device_type == "GPU":
        resources = {"GPU": 1}
        able = [a for a, info in workers.items() if info.get("resources", {}).get("GPU", 0) >= 1
                and address in (None, a)]
        if not able:
            if soft:
                return Placement(address)
            fail("no worker " + ("there " if address else "") + "has a GPU resource (start workers with "
                 "`dask worker --resources GPU=1`)", listing)
    elif spec.device_type not in (None, "CPU"):
        fail(f"daskflow has no {spec.device_type} devices", "CPU, GPU")
    return Placement(address, resources)


def placed_graph(dsk, placements):
    """``dsk`` as a HighLevelGraph whose tasks with a ``Placement`` (``placements``: key -> Placement) are in
    layers annotated with it (dask's per-layer annotations, which the scheduler honours per task); ``dsk`` itself
    when nothing is placed."""
    from dask.highlevelgraph import MaterializedLayer
    groups = {}
    for k, p in placements.items():
        if k in dsk and p:
            groups.setdefault((p.workers, tuple(sorted((p.resources or {}).items()))), (p, []))[1].append(k)
    if not groups:
        return dsk
    rest = dict(dsk)
    layers = {}
    for i, (p, keys) in enumerate(groups.values()):
        layers[f"placed-{i}"] = MaterializedLayer({k: rest.pop(k) for k in keys}, annotations=p.annotations())
    layers["unplaced"] = MaterializedLayer(rest)
    # layers read each other both ways (a placed op's input, its users): the tasks' own dependencies order them
    return HighLevelGraph(layers, {name: set() for name in layers})
