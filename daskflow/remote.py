"""State kept by a dask.distributed cluster: the values of a cluster Session's variables.

A Session given a ``distributed.Client`` keeps each variable's value on the workers, as one future per block
(blocks of ``planner.chunks_for``, like any tensor): a run reads them where they are (its graph refers to the
futures), and the new values its assignments make stay where they were computed, to become the variable's value
when the run succeeds. Only fetched values travel to the client. ``Variable.load`` scatters the value's blocks
to the workers.

Losing a worker loses no state. A value becomes the variable's only once it is *kept* (``keep``): each block is
made data of its own under a new key on the worker that computed it (no task behind it, so the scheduler forgets
the run that made it, rather than keeping every step's tasks as the lineage of the state), and a copy is sent to
another worker under a key of its own (``config.state_copies`` workers hold each block, default 2; distributed's
memory manager drops extra replicas of one key, never distinct keys). A run that fails because a worker died is
run again from the state before it, with each block a lost worker held read from its copy (``repair``), which is
copied again; a block whose every copy is lost makes the variable's value lost, an error naming it
(``errors.DataLossError``), never a silent reset.
"""
import logging
import uuid
import weakref

import dask
import dask.array as da
import numpy as np
from dask._task_spec import Task
from dask.highlevelgraph import HighLevelGraph

from . import config, planner

__all__ = ["RemoteValue", "NewValue", "Part", "scatter", "wait", "keep", "repair", "WorkerLost", "tune_workers"]

logger = logging.getLogger("daskflow")
_GONE = ("cancelled", "lost", "error")  # the states of a future whose block no worker holds any more


class WorkerLost(RuntimeError):
    """A worker died while the cluster was keeping a run's new values: the run is to be run again."""


def await_removal(client, error, timeout=10.0):
    """After ``error`` (a run failed because a worker died), wait until the scheduler no longer lists the workers
    the error names (at most ``timeout`` seconds): until then it still counts their blocks as held, and a repair
    made before would miss them (the run would fail again on the lost data)."""
    import re
    import time
    from .planner import cluster_workers
    named = set(re.findall(r"\b(?:tcp|tls|inproc|ucx)://[\w.\-\[\]:/]+?:\d+", str(error)))
    deadline = time.monotonic() + timeout
    while named & set(cluster_workers(client)) and time.monotonic() < deadline:
        time.sleep(0.05)


class RemoteValue:
    """A value held by a cluster: ``futures``, one per block of ``chunks`` in the order of a dask array's keys
    (C order of the block grid), of dtype ``dtype``; ``copies``: per block, the future of a copy held by another
    worker (None where there is none), once the value is kept (``keep``)."""

    __slots__ = ("client", "futures", "copies", "chunks", "dtype", "shape", "where")

    def __init__(self, client, futures, chunks, dtype, copies=None, where=None):
        from distributed import Future
        # references of its own: a block may be another value's too (two variables assigned one tensor), and the
        # run that made it releases its own
        self.futures = [Future(f.key, client) for f in futures]
        self.copies = [None if f is None else Future(f.key, client) for f in copies] if copies else None
        self.client, self.chunks, self.dtype = client, tuple(chunks), np.dtype(dtype)
        self.shape = tuple(int(sum(c)) for c in self.chunks)
        self.where = where  # per block, the addresses of the workers that were given it and its copy, once kept

    @property
    def nbytes(self):
        return int(np.prod(self.shape)) * self.dtype.itemsize

    @property
    def ndim(self):
        return len(self.shape)

    def lost(self):
        """Whether a worker that held one of its blocks is gone (the block may still have a copy)."""
        return any(f.status in _GONE for f in self.futures)

    def damaged(self):
        """Whether a worker that held one of its blocks or their copies is gone."""
        return self.lost() or any(f is not None and f.status in _GONE for f in self.copies or ())

    def blocks(self, keys, near=None):
        """``keys`` (a leaf's keys) each with the future of the block it reads: where a block's copy was given to
        worker ``near`` (an address) and the block itself was not, the copy's (read there without a transfer)."""
        if near is None or self.where is None:
            return dict(zip(keys, self.futures))
        return {k: c if c is not None and w[1] == near and w[0] != near else f
                for k, f, c, w in zip(keys, self.futures, self.copies, self.where)}

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
        for f in self.futures + [f for f in self.copies or () if f is not None]:
            f.release()


class Part:
    """Element ``index`` of the tuple a task's ``future`` holds: a block of a value made by a run that ran as one
    task (``run_inline``)."""

    __slots__ = ("future", "index")

    def __init__(self, future, index):
        self.future, self.index = future, index


class NewValue:
    """A run's new value of a variable, before ``keep``: ``blocks`` (futures, or ``Part`` s of one), ``chunks``,
    ``dtype``; ``copies``: per block, the same block made again on another worker (a replica of the run's task
    there), to keep as its copy rather than send one, or None."""

    __slots__ = ("blocks", "chunks", "dtype", "copies")

    def __init__(self, blocks, chunks, dtype, copies=None):
        self.blocks, self.chunks, self.dtype = list(blocks), tuple(chunks), np.dtype(dtype)
        self.copies = copies


def _source(ref):
    """``(key, index)`` of a block: a future's key (index None), or a ``Part``'s task key and element."""
    return (ref.future.key, ref.index) if isinstance(ref, Part) else (ref.key, None)


def keep(client, values, copies=None, fetch=None):
    """``values`` (name -> ``RemoteValue`` or ``NewValue``, made by a run or sent by ``scatter``) as the state of
    the cluster: new ``RemoteValue`` s whose blocks are data of their own under new keys (the block where it is,
    and a copy sent to another worker, ``copies`` workers in all: default ``config.state_copies``). The given
    values are left to their owners to release. Raises ``WorkerLost`` where a worker holding a block died
    meanwhile. With ``fetch`` (futures or ``Part`` s of small values), also gives their values, brought back by
    the same call: ``(values, fetched)``.

    One call to the scheduler (``_keep_on_scheduler``), which asks each worker holding blocks to keep them and
    send their copies (``_keep_on``) and learns of what arrived."""
    copies = config.get("state_copies") if copies is None else copies
    refs = {name: v.blocks if isinstance(v, NewValue) else v.futures for name, v in values.items()}
    blocks = []
    token = uuid.uuid4().hex[:12]
    for name, v in values.items():
        made = getattr(v, "copies", None) or [None] * len(refs[name])
        for i, (f, c) in enumerate(zip(refs[name], made)):
            nbytes = int(np.prod(_block_shape(v.chunks, i))) * v.dtype.itemsize
            blocks.append((*_source(f), f"state-{name}-{i}-{token}", nbytes, None if c is None else _source(c)))
    fetch_from = [_source(f) for f in fetch or ()]
    if not blocks and not fetch_from:
        return {} if fetch is None else ({}, [])
    plan, registered, trouble, fetched = client.run_on_scheduler(_keep_on_scheduler, blocks, copies, client.id,
                                                                 fetch_from)
    futures = client.sync(_futures, client, registered)
    try:
        if trouble:
            raise WorkerLost(f"workers died while new values were kept: {trouble}")
        out, at = {}, 0
        for name, v in values.items():
            mine, at = plan[at:at + len(refs[name])], at + len(refs[name])
            out[name] = RemoteValue(client, [futures[p[2]] for p in mine], v.chunks, v.dtype,
                                    copies=[futures[p[3]] if p[3] else None for p in mine],
                                    where=[(p[5], p[4]) for p in mine])
        return out if fetch is None else (out, [fetched[src] for src in fetch_from])
    finally:
        for f in futures.values():
            f.release()  # the new values hold their own references


async def _keep_on_scheduler(blocks, copies, client, fetch=(), dask_scheduler=None):
    """On the scheduler: for ``blocks`` (``(key, index, new key, bytes, replica)``), the plan of ``keep``
    (``(key, index, new key, copy key or None, peer, holder)`` each: the block kept where it is, its copy on another
    running worker: the replica's ``(key, index)`` kept where it was made, else the block sent), carried out by the workers holding them; the scheduler learns of every block that arrived, wanted by
    ``client``. Gives the plan, the keys learnt, what went wrong (None when every block and copy arrived) and the
    values of the blocks ``fetch`` (``(key, index)``), by source."""
    import asyncio

    from distributed.protocol.pickle import dumps
    from distributed.protocol.serialize import Serialize, Serialized, deserialize
    running = sorted(ws.address for ws in dask_scheduler.running)

    def holder_of(key):
        ts = dask_scheduler.tasks.get(key)
        holders = sorted(ws.address for ws in ts.who_has or ()) if ts is not None else []
        return holders[0] if holders else None
    plan, nbytes, by_worker = [], {}, {}
    for n, (key, index, base, size, made) in enumerate(blocks):
        holder = holder_of(key)
        if holder is None:
            return [], [], f"no worker holds {key!r} (block of {base.rsplit('-', 2)[0]})", {}
        there = holder_of(made[0]) if made is not None and copies > 1 else None
        if there is not None and there != holder:  # made again on another worker: kept there, nothing sent
            plan.append((key, index, base, base + "-copy", there, holder))
            by_worker.setdefault(holder, []).append((key, index, base, None, None, holder))
            by_worker.setdefault(there, []).append((*made, base + "-copy", None, None, there))
        else:
            others = [w for w in running if w != holder]
            peer = others[n % len(others)] if others and copies > 1 else None
            plan.append((key, index, base, base + "-copy" if peer else None, peer, holder))
            by_worker.setdefault(holder, []).append(plan[-1])
        nbytes[base] = nbytes[base + "-copy"] = size
    for key, index in fetch:  # (key, index, None, None, None, holder): a value to bring back
        holder = holder_of(key)
        if holder is None:
            return [], [], f"no worker holds {key!r} (a fetched value)", {}
        by_worker.setdefault(holder, []).append((key, index, None, None, None, holder))
    got = await asyncio.gather(*[dask_scheduler.rpc(w).run(function=dumps(_keep_on), args=dumps((ps,)),
                                                           kwargs=dumps({}), wait=True)
                                 for w, ps in by_worker.items()], return_exceptions=True)
    placed, failed, fetched = set(), {}, {}
    for w, r in zip(by_worker, got):
        if isinstance(r, BaseException) or r.get("status") != "OK":
            failed[w] = r if isinstance(r, BaseException) else r.get("exception", r.get("status"))
        else:
            res = r["result"]
            if isinstance(res, Serialize):  # in-process workers hand the object back wrapped, not serialised
                res = res.data
            kept, values = deserialize(res.header, res.frames) if isinstance(res, Serialized) else res
            placed.update(kept)
            fetched.update(values)
    who_has = {}
    for key, index, base, copy, peer, holder in plan:
        for k, w in ((base, holder), (copy, peer)):
            if k is not None and k in placed and w in dask_scheduler.workers:
                who_has[k] = [w]
    dask_scheduler.update_data(who_has=who_has, nbytes={k: nbytes[k] for k in who_has}, client=client)
    wanted = sum(1 + (p[3] is not None) for p in plan)
    trouble = None
    if len(who_has) < wanted:
        trouble = f"{wanted - len(who_has)} of {wanted} blocks lost ({failed or 'their workers are gone'})"
    elif len(fetched) < len(set(fetch)):
        trouble = f"fetched values lost ({failed or 'their workers are gone'})"
    return plan, list(who_has), trouble, fetched


def repair(client, values):
    """``values`` (name -> kept ``RemoteValue``) with every block a lost worker held read from its copy, and
    every block whose copy was lost copied again (``keep``): new values for those that needed it. Raises
    ``errors.DataLossError`` naming the variables of which some block has no copy left."""
    from . import errors
    hurt, dead = {}, []
    for name, v in values.items():
        if not v.damaged():
            continue
        blocks = []
        for i, f in enumerate(v.futures):
            if f.status not in _GONE:
                blocks.append(f)
            elif v.copies and v.copies[i] is not None and v.copies[i].status not in _GONE:
                blocks.append(v.copies[i])
            else:
                dead.append(name)
                break
        else:
            hurt[name] = RemoteValue(client, blocks, v.chunks, v.dtype)
    if dead:
        raise errors.DataLossError(
            None, None, f"The value of variable(s) {sorted(set(dead))} was lost with the workers that held it (every "
            f"copy of a block); run their initializer or restore them from a checkpoint")
    try:
        return keep(client, hurt) if hurt else {}
    finally:
        for v in hurt.values():
            v.release()


def _block_shape(chunks, i):
    grid = [len(c) for c in chunks]
    idx = np.unravel_index(i, grid) if grid else ()
    return [c[j] for c, j in zip(chunks, idx)]


_KEEP_BATCH = 32 * 2**20  # the most bytes of blocks a worker keeps and sends at once


async def _keep_on(plan, dask_worker=None):
    """On each worker holding blocks of ``plan`` (``(key, index, new key, copy key, peer, holder)``): its blocks
    (element ``index`` of the value of ``key``, or all of it) again under their new keys, and sent to their peers
    under their copy keys; entries with no new key are values to bring back. Gives the keys placed (a peer that
    cannot be reached gets none) and the values, by ``(key, index)``. At most ``_KEEP_BATCH`` bytes of blocks at a
    time (more for a larger block): blocks the worker had spilled to disk are read back a few at a time."""
    from dask.sizeof import sizeof
    from distributed.protocol import to_serialize
    placed, values, gone = [], {}, set()
    here, out, held = {}, {}, 0

    async def flush():
        dask_worker.update_data(data=here, stimulus_id=f"daskflow-keep-{uuid.uuid4().hex}")
        placed.extend(here)
        for peer, data in out.items():
            if peer in gone:
                continue
            try:
                await dask_worker.rpc(peer).update_data(data=data)
            except (OSError, TimeoutError):  # the peer is gone (CommClosedError is an OSError)
                gone.add(peer)
                continue
            placed.extend(data)
        here.clear()
        out.clear()
    for key, index, base, copy, peer, holder in plan:
        if holder != dask_worker.address:
            continue
        value = dask_worker.data[key]
        if index is not None:
            value = value[index]
        if base is None:
            values[key, index] = value
            continue
        here[base] = value
        if copy:
            out.setdefault(peer, {})[copy] = to_serialize(value)
        held += sizeof(value)
        if held >= _KEEP_BATCH:
            await flush()
            held = 0
    if here:
        await flush()
    return placed, values


async def _futures(client, keys):
    """The futures of ``keys``, blocks the scheduler holds for ``client`` (in the client's event loop)."""
    from distributed import Future
    futures = {k: Future(k, client) for k in keys}
    for k in keys:
        client.futures[k].finish(type=np.ndarray)
    return futures


def _held(block):
    return block


def held(key, future):
    """A graph node giving ``key`` the value of ``future`` (a block the cluster holds)."""
    return Task(key, _held, future)


def run_inline(order, out_keys, leaf_keys, leaf_values, part_keys=(), parts=()):
    """On a worker: a whole small run in one task, as the local Session runs it inline (``executor.walk``):
    ``order`` is its tasks as ``(key, graph node, keys it is the last user of)``, ``leaf_keys`` the keys the
    ``leaf_values`` (feeds, variables' blocks) fill, and ``part_keys`` the keys of the values in the tuples
    ``parts`` (results of other such tasks: towers). Gives the values of ``out_keys``, as a tuple."""
    from .executor import compile_task, walk
    compiled = [(k, compile_task(node), frees) for k, node, frees in order]
    values = dict(zip(leaf_keys, leaf_values))
    for keys, part in zip(part_keys, parts):
        values.update(zip(keys, part))
    return tuple(walk(compiled, values, out_keys))


_TUNED = weakref.WeakSet()


def tune_workers(client):
    """Tune the C allocator of ``client``'s workers as daskflow tunes its own process (``memory.tune_allocator``,
    setting ``reuse_memory``), once per client: a training step's blocks are then reused rather than mapped and
    faulted in afresh each time."""
    if client in _TUNED or not config.get("reuse_memory"):
        return
    from ._workers import TuneAllocator
    client.register_plugin(TuneAllocator(), name="daskflow-tune-allocator")
    _TUNED.add(client)


def _grid_keys(name, chunks):
    grid = [len(c) for c in chunks]
    if not grid:
        return [(name,)]

    def level(prefix, d):
        if d == len(grid):
            return (name,) + prefix
        return [level(prefix + (i,), d + 1) for i in range(grid[d])]
    return level((), 0)


def scatter(client, value, name=None):
    """``value`` (a numpy array) split into the blocks of ``planner.chunks_for``, sent to the workers and kept
    (``keep``) as the value of variable ``name``."""
    value = np.asarray(value)
    chunks = planner.chunks_for(value.shape, value.dtype)
    blocks = [np.ascontiguousarray(value[s]) for s in da.core.slices_from_chunks(chunks)] if value.ndim else [value]
    sent = client.scatter(blocks, hash=False)
    got = RemoteValue(client, sent, chunks, value.dtype)
    for f in sent:
        f.release()
    try:
        return keep(client, {name: got})[name]
    finally:
        got.release()


_INDIRECT = weakref.WeakSet()  # clients that could not reach a worker straight


def send(client, shares):
    """Each list of arrays of ``shares`` (``[(worker address, arrays)]``) sent straight to its worker, the lists
    at once (as ``Client.scatter(direct=True)``, with one message to the scheduler for them all): their futures,
    by share; None where the client cannot reach the workers (then the arrays are to go in the run's graph)."""
    import asyncio

    from distributed import Future
    from distributed.protocol import to_serialize
    if client in _INDIRECT:
        return None
    names = [[f"feed-{uuid.uuid4().hex}" for _ in arrays] for _, arrays in shares]

    async def go():
        got = await asyncio.gather(*[client.rpc(w).update_data(data={k: to_serialize(a) for k, a in zip(ks, arrays)})
                                     for (w, arrays), ks in zip(shares, names)])
        nbytes = {k: v for r in got for k, v in r["nbytes"].items()}
        await client.scheduler.update_data(who_has={k: [w] for (w, _), ks in zip(shares, names) for k in ks},
                                           nbytes=nbytes, client=client.id)
        out = [[Future(k, client) for k in ks] for ks in names]
        for (_, arrays), fs in zip(shares, out):
            for a, f in zip(arrays, fs):
                client.futures[f.key].finish(type=type(a))
        return out
    try:
        return client.sync(go)
    except OSError:  # a worker out of the client's reach (or gone: the run finds out)
        _INDIRECT.add(client)
        logger.info("daskflow: the client cannot reach the workers straight; feeds go in the runs' graphs")
        return None


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
    any) and ``resources`` (``{"GPU": 1}`` for a GPU device, or None); ``loose``: another worker may run them
    where that one cannot (dask's ``allow_other_workers``)."""

    __slots__ = ("workers", "resources", "loose")

    def __init__(self, workers=None, resources=None, loose=False):
        self.workers, self.resources, self.loose = workers, resources, loose

    def annotations(self):
        out = {}
        if self.workers is not None:
            out.update(workers=[self.workers], allow_other_workers=self.loose)
        if self.resources is not None:
            out["resources"] = dict(self.resources)
        return out

    def __bool__(self):
        return self.workers is not None or self.resources is not None


def place(op, workers, soft=False):
    """The ``Placement`` of ``op``'s device on a cluster whose workers are ``workers`` (``{address: info}``, as
    ``planner.cluster_workers`` gives them); raises ``InvalidArgumentError`` naming the op for a job, task, worker
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
            fail("no worker has that address or name", listing)
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
            groups.setdefault((p.workers, p.loose, tuple(sorted((p.resources or {}).items()))), (p, []))[1].append(k)
    if not groups:
        return dsk
    rest = dict(dsk)
    layers = {}
    for i, (p, keys) in enumerate(groups.values()):
        layers[f"placed-{i}"] = MaterializedLayer({k: rest.pop(k) for k in keys}, annotations=p.annotations())
    layers["unplaced"] = MaterializedLayer(rest)
    # layers read each other both ways (a placed op's input, its users): the tasks' own dependencies order them
    return HighLevelGraph(layers, {name: set() for name in layers})
