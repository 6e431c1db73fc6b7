"""Execution: ``Session.run`` prunes, lowers (once per fetch set and feed signature), computes everything a run
needs in one dask call, then applies variable updates. The Session owns all state: variable values, random
stream counters, cached plans and the scheduler."""
import collections
import concurrent.futures
import contextlib
import itertools
import logging
import sys
import threading

import dask
import dask.array as da
import dask.order
import numpy as np
from dask._task_spec import (Alias, DataNode, List, Task, TaskRef, convert_legacy_graph, cull, fuse_linear_task_spec)
from dask.blockwise import optimize_blockwise
from dask.utils import ensure_dict
from dask.highlevelgraph import HighLevelGraph

from . import config, dtypes, errors, executor, looprun, memory, planner, projection, remote, session_handles, storage
from .graph import Operation, Tensor, get_default_graph
from .lowering import Lowering, closure
from .ops.hostvalue import NeedsValue
from .ops.loops import NeedsLoop
from .ops.registry import OPS

__all__ = ["Session", "InteractiveSession", "ConfigProto", "RunPlan", "get_default_session", "lower", "compute"]


class ConfigProto:
    """Accepted for TensorFlow compatibility; its fields are recorded and otherwise unused by dask."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


# -- fetch structures (any nesting of list/tuple/dict/namedtuple)

def _flatten(struct, out):
    if hasattr(struct, "_fetch_components"):  # composite tensors (SparseTensor): fetched as their parts
        out.extend(struct._fetch_components())
    elif isinstance(struct, dict):
        for k in sorted(struct, key=repr):
            _flatten(struct[k], out)
    elif isinstance(struct, (list, tuple)):
        for s in struct:
            _flatten(s, out)
    else:
        out.append(struct)
    return out


def _pack(struct, it):
    if hasattr(struct, "_fetch_components"):
        return struct._fetch_value([next(it) for _ in struct._fetch_components()])
    if isinstance(struct, dict):
        vals = {k: _pack(struct[k], it) for k in sorted(struct, key=repr)}
        return type(struct)((k, vals[k]) for k in struct)
    if isinstance(struct, tuple) and hasattr(struct, "_fields"):
        return type(struct)(*[_pack(s, it) for s in struct])
    if isinstance(struct, (list, tuple)):
        return type(struct)(_pack(s, it) for s in struct)
    return next(it)


def _feed_items(feed_dict):
    """The (key, value) pairs of ``feed_dict``; a composite tensor's key (``_feed_components(value)``, as
    SparseTensor's) gives one pair per component."""
    for k, v in (feed_dict or {}).items():
        if hasattr(k, "_feed_components"):
            yield from k._feed_components(v)
        else:
            yield k, v


def _as_fetch(graph, f):
    if hasattr(f, "_as_tensor") and not isinstance(f, Tensor):
        f = f._as_tensor()
    if isinstance(f, str):
        return graph.as_graph_element(f)
    if isinstance(f, (Tensor, Operation)):
        if f.graph is not graph:
            raise ValueError(f"Fetch argument {f!r} is not an element of this session's graph.")
        return f
    raise TypeError(f"Fetch argument {f!r} has invalid type {type(f).__name__}, must be a string or Tensor or "
                    "Operation.")


# -- feeds

def _normalize_feed(t, value):
    """The feed value as a numpy array or a dask array of ``t``'s dtype; raises before any compute. A value the
    cluster holds (a loop's, ``remote.RemoteValue``) is fed as it is."""
    if hasattr(value, "_feed_value"):  # a TensorHandle: the value it names (``session_handles``)
        value = value._feed_value(t)
    if isinstance(value, remote.RemoteValue):
        return value
    if isinstance(value, Tensor) and value.op.type != "DataSource":
        raise TypeError(f"The value of a feed cannot be a daskflow Tensor (feeding '{t.name}'); feed numpy "
                        "arrays, scalars, lists, dask arrays, storage arrays or df.data sources.")
    if isinstance(value, Tensor) and value.op.type == "DataSource":
        value = value.op.attrs["array"]
    if storage.is_storage(value):
        value = storage.as_dask(value)
    string = dtypes.is_string(t.dtype)
    if dask.is_dask_collection(value):
        arr = storage.as_dask(value if isinstance(value, da.Array) else da.asarray(value))
        if string and arr.dtype.kind in "OSU":  # str elements become bytes, chunk by chunk
            arr = arr.map_blocks(dtypes.string_array, dtype=dtypes.string)
    else:
        try:
            if string and not (isinstance(value, np.ndarray) and value.dtype.kind not in "OSU"):
                arr = dtypes.string_array(value)
            else:
                arr = np.asarray(value) if not isinstance(value, np.ndarray) else value
        except ValueError:  # nested lists of different lengths
            ragged = dtypes.ragged_dim(value)
            if ragged is None:
                raise
            raise errors.InvalidArgumentError(
                None, t.op, f"Cannot feed a ragged value for Tensor '{t.name}', which has dtype "
                f"{dtypes.name(t.dtype)} and shape {t.shape}: its nested lists are not rectangular ({ragged})"
            ) from None
        except TypeError as e:  # an element of a string feed is not a string
            raise errors.InvalidArgumentError(
                None, t.op, f"Cannot feed this value for Tensor '{t.name}', which has dtype string: {e}") from None
    if isinstance(value, (list, tuple)) and not arr.size and not string:
        arr = arr.astype(t.dtype)  # an empty list has no dtype of its own ([] is float64 to numpy)
    if arr.dtype != t.dtype:
        if arr.dtype.kind in "OSUV" or string or not np.can_cast(arr.dtype, t.dtype, casting="same_kind"):
            raise errors.InvalidArgumentError(
                None, t.op, f"Cannot feed a value of dtype {dtypes.name(arr.dtype)} for Tensor '{t.name}', which "
                f"has dtype {dtypes.name(t.dtype)}")
        arr = arr.astype(t.dtype)
    if not t.shape.is_compatible_with(arr.shape):
        raise errors.InvalidArgumentError(
            None, t.op, f"Cannot feed value of shape {tuple(arr.shape)} for Tensor '{t.name}', which has shape "
            f"{t.shape}")
    return arr


def _feed_chunks(arr):
    if isinstance(arr, (da.Array, remote.RemoteValue)):
        return arr.chunks
    return planner.chunks_for(arr.shape, arr.dtype)


def _leaf(name, chunks, dtype, like=None):
    """A dask array whose chunks are keys holding nothing yet: filled in with run-time data."""
    keys = {(name,) + idx: None for idx in np.ndindex(*[len(c) for c in chunks])}
    g = HighLevelGraph.from_collections(name, keys, dependencies=())
    meta = np.empty((0,) * len(chunks), dtype=dtype)
    return da.Array(g, name, chunks, meta=meta)


def _rng_dtype():
    return np.dtype("uint64")


def _value_chunks(v):
    """The blocks a variable's value is read in: those it is held in on a cluster, else ``planner.chunks_for``."""
    return v.chunks if isinstance(v, remote.RemoteValue) else planner.chunks_for(v.shape, v.dtype)


class _PlanSources:
    """Leaves of a cached plan: placeholder keys, filled per run."""

    def __init__(self, session, feed_chunks):
        self.session, self.feed_chunks = session, feed_chunks
        self.feeds, self.variables, self.rngs = {}, {}, {}

    def feed(self, t):
        a = _leaf(f"feed-{t.name}", self.feed_chunks[t], t.dtype)
        self.feeds[t] = a
        return a

    def variable(self, op):
        v = self.session._variable_value(op)
        a = _leaf(f"var-{op.name}", _value_chunks(v), v.dtype)
        self.variables[op] = a
        return a

    def rng(self, op):
        a = _leaf(f"rng-{op.name}", (), _rng_dtype())
        self.rngs[op] = a
        return a


class _Plan:
    """A lowered, optimised task graph for one fetch set and feed signature, with its leaf keys."""

    def __init__(self, session, fetches, feed_chunks, known=None):
        self.fetches, self.known = fetches, known  # what the plan was built for: its towers are built alike
        src = _PlanSources(session, feed_chunks)
        low = Lowering(src, fed=feed_chunks.keys(), known=known).run(fetches)
        outs = [low.full(low.values[f]) for f in fetches if isinstance(f, Tensor)]
        self.fetch_index = [i for i, f in enumerate(fetches) if isinstance(f, Tensor)]
        self.update_vars = list(low.updates)
        # on a cluster, new values of variables stay there block by block (``remote``), in the blocks they are read in
        self.remote = session._client is not None
        updates = [low.full(low.updates[v]) for v in self.update_vars]
        if self.remote:
            updates = [u if any(d != d for d in u.shape) else u.rechunk(planner.chunks_for(u.shape, u.dtype))
                       for u in updates]
        self.update_chunks = [u.chunks for u in updates]
        outs += updates
        n_values = len(outs)
        outs += [_token(low.full(low.values[op.outputs[0]])) for op in low.effects if op.outputs
                 and not getattr(OPS[op.type], "assigns", False)]
        self.n_values = n_values
        graph = HighLevelGraph.merge(*[a.__dask_graph__() for a in outs]) if outs else {}
        keys = [a.__dask_keys__() for a in outs]
        flat = list(dask.core.flatten(keys))
        # leaf keys are named as outputs so that fusion keeps them: they are filled in on every run
        leaf_keys = [k for leaves in (src.feeds, src.variables, src.rngs) for a in leaves.values()
                     for k in dask.core.flatten(a.__dask_keys__())]
        one_chunk = outs and all(len(k) <= 1 for k in graph.layers.values() if hasattr(k, "__len__"))
        if one_chunk:  # whole arrays, one task per op: fusion saves nothing and each run would re-order subgraphs
            dsk = cull(convert_legacy_graph(ensure_dict(graph)), flat + leaf_keys)
        else:  # dask.array's optimisation without fuse_roots, which would copy leaves (roots) into their users
            dsk = optimize_blockwise(graph, keys=flat + leaf_keys) if outs else {}
            dsk = cull(convert_legacy_graph(ensure_dict(dsk)), flat + leaf_keys)
            dsk = fuse_linear_task_spec(dsk, keys=flat + leaf_keys)
        self.out_keys = []
        self.update_spans = []  # on a cluster: per updated variable, where its block keys are in out_keys
        for i, (a, k) in enumerate(zip(outs, keys)):
            if self.remote and len(self.fetch_index) <= i < n_values:
                block_keys = list(dask.core.flatten(k))
                self.update_spans.append((len(self.out_keys), len(self.out_keys) + len(block_keys)))
                self.out_keys.extend(block_keys)
            elif a.npartitions == 1:
                self.out_keys.append(next(iter(dask.core.flatten(k))))
            else:  # several chunks: one final task joins them
                key = (f"out-{i}",)
                dsk[key] = Task(key, _join, _nested_refs(k), a.ndim)
                self.out_keys.append(key)
        self.dsk = dsk
        # per leaf, its keys (and for in-memory feeds the slice of the value each key holds), fixed per plan
        self.feed_leaves = [(t, _keyed_slices(a)) for t, a in src.feeds.items()]
        self.var_leaves = [(op, _keyed_slices(a), a.shape, a.chunks) for op, a in src.variables.items()]
        self.rng_leaves = [(op, (a.name,)) for op, a in src.rngs.items()]
        fp = low.footprints
        self.peak_op = max(fp, key=lambda op: (fp[op], -op._id)) if fp else None
        self.peak_bytes = fp[self.peak_op] if fp else 0
        self.footprints = sorted(fp.items(), key=lambda kv: (-kv[1], kv[0]._id))
        self.source_bytes = sum(low.values[op.outputs[0]].nbytes for op in low.ops
                                if op.type == "DataSource" and op.outputs[0] in low.values)
        self.small = bool(one_chunk) or not outs  # whole-array tasks run inline; chunked work goes to threads
        self.sizes = projection.Sizes(low.layers, low.deps, low.blocks, dsk, {
            name: OPS[op.type].scratch for name, op in low.layer_ops.items() if OPS[op.type].scratch != 2})
        self.layer_ops = low.layer_ops
        self.leaf_tensors = {a.name: t.op for t, a in src.feeds.items()}
        self.leaf_tensors.update((a.name, op) for op, a in list(src.variables.items()) + list(src.rngs.items()))
        self._projections = {}
        self._passes = None
        self._order = None
        self._ranks = None
        self.exec_cache = {}  # executor.get's structure of this plan's graph
        self.n_tasks = len(dsk)

    def leaf_keys(self):
        return [k for leaves in (self.feed_leaves, self.var_leaves) for _, kv, *_ in leaves for k, _ in kv] + \
            [k for _, k in self.rng_leaves]

    def projection(self, inline, threads, limit, lazy=()):
        """The projected peak of a run (``projection.Projection``): of the inline walk when ``inline``, else of
        the executor on ``threads`` threads held to ``limit`` bytes. ``lazy``: fed tensors whose values are dask
        arrays (their blocks are read by the run, as storage is). Computed once per setting.

        On a cluster (``remote``), the projection is a worker's: the blocks of variables' new values are handed
        to the cluster as they are made (they become its state, managed memory that its workers spread, and
        spill to disk when over their memory target), so they are not counted as held to the run's end."""
        lazy_keys = {k for t, kv in self.feed_leaves if t in lazy for k, _ in kv}
        key = (inline, threads, limit, frozenset(lazy_keys))
        out_keys = self.out_keys
        if self.remote and self.update_spans:
            handed = {k for a, b in self.update_spans for k in self.out_keys[a:b]}
            out_keys = [k for k in self.out_keys if k not in handed]
        got = self._projections.get(key)
        if got is None:
            leaves = self.leaf_keys()
            if inline:
                got = projection.project_walk(self.sync_order(leaves), self.sizes, self.out_keys, self.dsk)
            else:
                dsk = dict(self.dsk)
                for k in leaves:  # a lazy feed's block is read from its array (in the graph), as storage is
                    if k in lazy_keys:
                        src = dsk[(f"{k[0]}-source",)] = DataNode((f"{k[0]}-source",), None)
                        dsk[k] = Task(k, _read_lazily, TaskRef(src.key))
                    else:
                        dsk[k] = DataNode(k, None)
                shape = None if lazy_keys else self.exec_cache.get("shape")
                if shape is None:
                    shape = executor._structure(dsk)
                    if not lazy_keys:
                        self.exec_cache["shape"] = shape  # what the executor would work out on the first run
                got = projection.project(dsk, out_keys, self.sizes, threads, limit, shape)
            self._projections[key] = got
        return got

    def passes(self):
        """The values that end each pass over the data but the last (``executor.passes``), worked out once."""
        if self._passes is None:
            dsk = dict(self.dsk)
            for k in self.leaf_keys():
                dsk[k] = DataNode(k, None)
            self._passes = executor.passes(dsk, self.sizes)
        return self._passes

    def ranks(self):
        """dask's order of this plan's tasks with its leaves as data, worked out once. On a cluster, leaves read
        blocks the workers hold, which the scheduler's own ordering would see as dependencies from outside the
        graph: it then orders the graph differently (and holds more blocks at once, measured)."""
        if self._ranks is None:
            dsk = dict(self.dsk)
            for k in self.leaf_keys():
                dsk[k] = DataNode(k, None)
            self._ranks = dask.order.order(dsk)
        return self._ranks

    def op_of(self, key):
        """The op whose lowering made task ``key`` (a leaf's placeholder or variable), or None."""
        name = key[0] if isinstance(key, tuple) else key
        return self.layer_ops.get(self.sizes._resolve(name)) or self.leaf_tensors.get(name)

    def sync_order(self, leaf_keys):
        """Tasks in dask's order (a depth-first order for big graphs), each with the keys it is the last user
        of; computed once per plan."""
        if self._order is None:
            leaf_keys = set(leaf_keys)
            seq = _dfs_order(self.dsk, self.out_keys, leaf_keys) if len(self.dsk) > 2000 else None
            if seq is None:  # dask's order keeps memory low, but costs more than linear time on long chains
                full = dict(self.dsk)
                full.update((k, DataNode(k, None)) for k in leaf_keys)
                prio = dask.order.order(full)
                seq = sorted((k for k in self.dsk if k not in leaf_keys), key=prio.__getitem__)
            last = {}
            for k in seq:
                for d in self.dsk[k].dependencies:
                    last[d] = k
            frees = collections.defaultdict(list)
            keep = set(self.out_keys)
            for d, k in last.items():
                if d not in keep:
                    frees[k].append(d)
            self._order = [(k, executor.compile_task(self.dsk[k]), frees.get(k, ())) for k in seq]
        return self._order


def _read_lazily(source):
    """Stands for the read of a block of a lazy feed in a projection: never run."""
    raise errors.InternalError(None, None, "a projected read was run")


def _keyed_slices(a):
    """Each key of leaf ``a`` with the slice of the value it holds."""
    return list(zip(dask.core.flatten(a.__dask_keys__()), da.core.slices_from_chunks(a.chunks)))


def _dfs_order(dsk, out_keys, leaf_keys):
    """A depth-first topological order of the tasks ``out_keys`` need, in linear time."""
    return executor.topological({k: node.dependencies for k, node in dsk.items()}, out_keys, leaf_keys)


def _nested_refs(keys):
    if isinstance(keys, list):
        return List(*[_nested_refs(k) for k in keys])
    return TaskRef(keys)


def _join(blocks, ndim):
    from dask.array.core import concatenate3
    return concatenate3(blocks) if ndim else blocks


def _tiny(block):
    return np.zeros((1,) * block.ndim, dtype=bool)


def _token(a):
    """A small array whose computation forces every chunk of ``a`` (side-effect ops reached by control edges)."""
    t = a.map_blocks(_tiny, chunks=tuple((1,) * len(c) for c in a.chunks), dtype=bool, meta=np.empty((), bool))
    return t.any()


_default_sessions = threading.local()


def _session_stack():
    st = getattr(_default_sessions, "stack", None)
    if st is None:
        st = _default_sessions.stack = []
    return st


def get_default_session():
    """The innermost session entered with ``with`` (or ``as_default()``) on this thread, or an
    ``InteractiveSession``; None when there is none."""
    st = _session_stack()
    if st:
        return st[-1]
    return _interactive[0]


_interactive = [None]


def _session_for(session, elem):
    s = session or get_default_session()
    if s is None:
        raise ValueError(f"Cannot evaluate '{getattr(elem, 'name', elem)}' without a session: pass session= or "
                         "run it inside `with daskflow.Session():`")
    if s.graph is not elem.graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph is different from "
                         "the session's graph.")
    return s


class Session:
    """Runs graphs on dask (TF1's ``Session``).

    Parameters
    ----------
    scheduler : None, "sync", "threads", "processes", a ``distributed.Client`` or an address string
        None uses dask's configured scheduler (an active distributed Client included), else runs small plans
        inline and others on dask's threaded scheduler.
    graph : Graph, optional
        Defaults to the default graph.
    config : ConfigProto, optional
        Accepted for TensorFlow compatibility.

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> x = df.placeholder(df.float32, shape=(None, 2))
    >>> y = df.reduce_sum(x * 2.0)
    >>> with df.Session() as sess:
    ...     float(sess.run(y, feed_dict={x: np.ones((3, 2))}))
    12.0
    """

    def __init__(self, target="", graph=None, config=None, scheduler=None):
        if scheduler is None and target and not isinstance(target, str):
            scheduler, target = target, ""
        if scheduler is None and isinstance(target, str) and target and "://" in target:
            scheduler = target
        self.graph = graph if graph is not None else get_default_graph()
        self.config = config
        memory.tune_allocator()
        self._client, self._own_client = None, False
        self.scheduler = self._resolve_scheduler(scheduler)
        self._vars = {}
        self._rng_counts = collections.Counter()
        self._plans = {}
        self._host_ops = {}  # per fetch set and fed tensors: the ops in its closure that run on the host
        self._shape_args = {}  # per fetch set and fed tensors: shape arguments and loops computed before planning
        self._loop_reach = {}  # per fetch set and fed tensors: the ops its run reaches (are loops' gradients run?)
        self._tls = threading.local()  # the state of the run in progress on each thread (``looprun.RunState``)
        self._host_state = {}  # state of host-run ops (iterators), per session
        self._lock = threading.RLock()
        self._closed = False
        self._budget = []  # a cluster's memory budget of one thread, asked of it once

    def _memory_budget(self):
        """The memory budget of one thread of what runs this Session's graphs, the threads of one worker and the
        memory a thread has free: a cluster's workers' (None, None, None: this machine's, see
        ``planner.memory_budget``)."""
        if self._client is None:
            return None, None, None
        if not self._budget:
            self._budget.extend([planner.cluster_budget(self._client), planner.cluster_threads(self._client),
                                 planner.cluster_free(self._client)])
        return tuple(self._budget)

    # -- scheduler
    def _resolve_scheduler(self, scheduler):
        if scheduler is None:
            # a dask.distributed client set as dask's default (as ``Client()`` does) runs this Session's graphs
            # and holds its state, as it runs dask's computations
            client = getattr(executor.configured_scheduler(), "__self__", None)
            if type(client).__name__ == "Client":
                self._client = client
                return "distributed"
            return None
        if isinstance(scheduler, str):
            if scheduler in ("sync", "synchronous", "single-threaded"):
                return "sync"
            if scheduler in ("threads", "threading"):
                return "threads"
            if scheduler in ("processes", "multiprocessing"):
                return "processes"
            from distributed import Client
            self._client, self._own_client = Client(scheduler, set_as_default=False), True
            return "distributed"
        if type(scheduler).__name__ == "Client":
            self._client = scheduler
            return "distributed"
        raise ValueError(f"unknown scheduler {scheduler!r}: use None, 'sync', 'threads', 'processes', a "
                         "distributed.Client or a scheduler address")

    def _get(self, plan):
        """The scheduler's ``get(dsk, keys)`` for this run."""
        sched = self.scheduler
        if sched is None:
            configured = executor.configured_scheduler()
            if configured is not None:
                return configured
            sched = "sync" if plan.small else "threads"
        if sched == "sync":
            return None  # our own precomputed walk
        if sched == "threads":  # dask's tasks on a thread pool, in an order that bounds memory (executor.py)
            return executor.get
        if sched == "processes":
            return dask.multiprocessing.get
        return self._client.get

    # -- context management
    def __enter__(self):
        _session_stack().append(self)
        return self

    def __exit__(self, *exc):
        st = _session_stack()
        if st and st[-1] is self:
            st.pop()
        self.close()

    @contextlib.contextmanager
    def as_default(self):
        _session_stack().append(self)
        try:
            yield self
        finally:
            _session_stack().pop()

    def close(self):
        """Release the session's state (and its cluster client, when it created one)."""
        if self._closed:
            return
        self._closed = True
        self._plans = {}
        held, self._vars = self._vars, {}
        for v in held.values():
            if isinstance(v, remote.RemoteValue) and v.client is self._client and v.client.status == "running":
                v.release()
        self._host_state = {}
        if self._own_client and self._client is not None:
            self._client.close()
        if _interactive[0] is self:
            _interactive[0] = None

    # -- variables
    def _variable_value(self, op):
        state = getattr(self._tls, "state", None)
        if state is not None and state.overlay and op.name in state.overlay:  # assigned by a loop of this run
            return state.overlay[op.name]
        try:
            return self._vars[op.name]
        except KeyError:
            raise errors.FailedPreconditionError(
                None, op, f"Attempting to use uninitialized value {op.name} [op '{op.name}' (type {op.type})]"
            ) from None

    def _load_variable(self, var, value):
        arr = np.asarray(value, dtype=var.dtype)
        if not var.shape.is_compatible_with(arr.shape):
            raise errors.InvalidArgumentError(None, var.op, f"Cannot load a value of shape {arr.shape} into "
                                              f"variable '{var.op.name}' of shape {var.shape}")
        if self._client is not None:
            from distributed.comm import CommClosedError
            with planner.budget(*self._memory_budget()):
                for attempt in range(_ATTEMPTS):  # sent again where a worker dies under it
                    try:
                        arr = remote.scatter(self._client, arr, name=var.op.name)
                        break
                    except (remote.WorkerLost, CommClosedError):
                        if attempt + 1 == _ATTEMPTS:
                            raise
        self._set_values({var.op.name: arr})

    def _set_values(self, values):
        """Make ``values`` (by variable name) the variables' values; on a cluster, the blocks of the values they
        replace are released. In a run with loops, they are the run's values until it succeeds (``looprun``)."""
        state = getattr(self._tls, "state", None)
        store = state.overlay if state is not None and state.overlay is not None else None
        with self._lock:
            if store is None:
                store = self._vars
            old = [store.get(name) for name in values]
            store.update(values)
        for v in old:
            if isinstance(v, remote.RemoteValue) and v not in values.values():
                v.release()

    # -- running
    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Compute ``fetches`` (a Tensor, Operation, tensor name, or any nesting of list/tuple/dict/namedtuple of
        them) with ``feed_dict`` bound; Operations give None. Everything is computed in one dask call and
        variable assignments are applied only when the run succeeds."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        with planner.budget(*self._memory_budget()):
            return self._run(fetches, feed_dict)

    def _run(self, fetches, feed_dict):
        flat = [_as_fetch(self.graph, f) for f in _flatten(fetches, [])]
        uniq = list(dict.fromkeys(flat))
        feeds, ran = _host_feeds(self, uniq, self._feeds(feed_dict))
        with looprun.run_scope(self):
            try:
                plan, feeds = self._planned(uniq, feeds)
                proj = self._checked(plan, feeds, ran)
            except BaseException:  # refused before anything ran: iterators keep the elements this run took
                _host_undo(self, ran)
                raise
            values = self._execute(plan, feeds, proj=proj)
        session_handles.kept(self, plan, feeds)  # values kept by get_session_handle, under their handles
        results = dict(zip([uniq[i] for i in plan.fetch_index], values))
        return _pack(fetches, iter([session_handles.fetched(self, f, _to_user(results[f])) if isinstance(f, Tensor)
                                    else None for f in flat]))

    def _planned(self, fetches, feeds):
        """The plan of ``fetches`` and the feeds it runs with: ``feeds`` plus the values of shape arguments that
        depend on run-time data (``range(n)`` with ``n`` fed, ``reshape`` by a computed shape), computed first."""
        def build(run_feeds, known):
            return self._plan(fetches, run_feeds, known), run_feeds
        return _with_shape_args(self, fetches, feeds, build)

    def _loop_step(self, targets, feeds):
        """One run of a loop (``looprun``): ``targets`` (ops and tensors) with ``feeds``; the fetched values come
        back and the assignments (the loop's slots, variables) are kept in the run's state."""
        feeds, ran = _host_feeds(self, targets, feeds)  # an iterator read in the body: its next element
        try:
            plan, feeds = self._planned(targets, feeds)
            proj = self._checked(plan, feeds, ran)
        except BaseException:
            _host_undo(self, ran)
            raise
        return self._execute(plan, feeds, apply_updates=True, proj=proj)

    def _values(self, tensors, feeds):
        """The values of ``tensors`` in a run with ``feeds``, applying no variable update: the shape arguments
        of a run, computed before it is planned."""
        plan, feeds = self._planned(tensors, feeds)
        proj = self._checked(plan, feeds)
        return self._execute(plan, feeds, apply_updates=False, proj=proj)

    def plan(self, fetches, feed_dict=None):
        """What a run of ``fetches`` would do, without running it: a ``RunPlan`` with the number of tasks, the
        projected peak memory of one task (and the op that drives it), the bytes read from storage and fed, and
        the budget (``task_bytes``) a run must fit. The plan is cached for the run that follows. Shape arguments
        computed from run-time data (``range(n)`` with ``n`` a sum of data) are computed, as the plan needs them."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        uniq = list(dict.fromkeys(_as_fetch(self.graph, f) for f in _flatten(fetches, [])))
        with planner.budget(*self._memory_budget()):
            # the next elements of iterators the fetches read are looked at, and left for the run that follows
            feeds, ran = _host_feeds(self, uniq, self._feeds(feed_dict), peek=True)
            try:
                with looprun.run_scope(self, apply=False) as state:  # loops run, as the plan needs their results
                    plan, feeds = self._planned(uniq, feeds)
                    return RunPlan(plan, feeds, self._projection(plan, feeds, ran), state.kept())
            finally:
                _host_undo(self, ran)

    def _feeds(self, feed_dict):
        feeds = {}
        for k, v in _feed_items(feed_dict):
            t = k._as_tensor() if hasattr(k, "_as_tensor") and not isinstance(k, Tensor) else k
            t = self.graph.as_graph_element(t, allow_operation=False) if isinstance(t, str) else t
            if not isinstance(t, Tensor):
                raise TypeError(f"Cannot interpret feed_dict key {k!r} as a Tensor")
            if t.graph is not self.graph:
                raise ValueError(f"Tensor '{t.name}' fed in feed_dict is not an element of this session's graph")
            feeds[t] = _normalize_feed(t, v)
        return feeds

    def _plan(self, fetches, feeds, known=None):
        # a dask feed's chunks are its own; an in-memory feed's follow from its shape and dtype under chunk_bytes
        # (in the key), so they are worked out only when a plan is built; shape arguments known from run-time
        # data are in the key by value
        key = (tuple(fetches), tuple(sorted(((t.name, v.dtype, v.chunks if isinstance(v, (da.Array, remote.RemoteValue))
                                              else v.shape)
                                             for t, v in feeds.items()), key=lambda e: e[0])),
               planner.chunk_bytes(), config.get("fusion"),
               tuple((t.name, v.tobytes()) for t, v in known.items()) if known else ())
        plan = self._plans.get(key)
        if plan is not None and all(self._vars.get(op.name) is not None and self._vars[op.name].shape == shp
                                    and _value_chunks(self._vars[op.name]) == chunks
                                    for op, _, shp, chunks in plan.var_leaves):
            return plan
        plan = _Plan(self, fetches, {t: _feed_chunks(v) for t, v in feeds.items()}, known)
        with self._lock:
            self._plans[key] = plan
        return plan

    def _leaf_values(self, plan, feeds):
        vals = {}
        for t, leaves in plan.feed_leaves:
            v = feeds[t]
            if isinstance(v, da.Array):  # same chunks as the plan's leaf: key i of the leaf is key i of v
                for (key, _), src in zip(leaves, dask.core.flatten(v.__dask_keys__())):
                    vals[key] = Alias(key, src)
            elif isinstance(v, remote.RemoteValue):  # held by the cluster (a loop's value), in the leaf's blocks
                if plan.remote:
                    vals.update(v.blocks([key for key, _ in leaves]))
                else:
                    v = v.fetch()
                    for key, sl in leaves:
                        vals[key] = v[sl]
            else:
                for key, sl in leaves:  # a 0-d string array stays an array (indexing it would give its bytes)
                    vals[key] = v if v.ndim == 0 and v.dtype == object else v[sl]
        with self._lock:
            for op, leaves, *_ in plan.var_leaves:
                v = self._variable_value(op)
                if isinstance(v, remote.RemoteValue):
                    if plan.remote:  # read where the cluster holds it: the blocks' futures
                        vals.update(v.blocks([key for key, _ in leaves]))
                        continue
                    v = v.fetch()
                for key, sl in leaves:
                    vals[key] = v[sl]
            for op, key in plan.rng_leaves:
                vals[key] = np.array(self._rng_counts[op.name], dtype=_rng_dtype())
                self._rng_counts[op.name] += 1
        return vals

    def _projection(self, plan, feeds, ran=()):
        """The projected peak of running ``plan`` with ``feeds`` (``projection.Projection``), within ``run_bytes``:
        of the inline walk, or of the executor on the threads of this machine (of a worker, on a cluster); plus
        what the host ops ``ran`` for it hold (``OpDef.host_bytes``: an iterator's input pipeline)."""
        lazy = [t for t, v in feeds.items() if isinstance(v, da.Array)] if plan.feed_leaves else ()
        inline = not lazy and self._get(plan) is None
        proj = plan.projection(inline, planner.run_threads(), planner.run_bytes(), lazy)
        host = _host_bytes(self, [op for op, _ in ran])
        return proj.plus(host) if host else proj

    def _checked(self, plan, feeds, ran=()):
        """The run's projection, once the plan is checked against the task and run budgets (refused if over)."""
        _check_budget(plan)
        proj = self._projection(plan, feeds, ran)
        _check_run(plan, proj)
        return proj

    def _execute(self, plan, feeds, apply_updates=True, proj=None):
        if plan.remote:
            return self._run_remote(plan, feeds, apply_updates)
        leaves = self._leaf_values(plan, feeds)
        get = self._get(plan)
        if self._logs_placement(plan):
            _log_placement(plan, lambda op: _LOCAL_DEVICE)
        if get is None and not any(isinstance(v, Alias) for v in leaves.values()):
            out = executor.walk(plan.sync_order(leaves.keys()), leaves, plan.out_keys, plan.dsk)
        else:
            dsk = self._bound_graph(plan, feeds, leaves)
            keys = plan.out_keys
            if self.scheduler == "distributed" or getattr(get, "__self__", None).__class__.__name__ == "Client":
                # a cluster keeps values by key: each run's keys must be new, or it would reuse the last run's
                tag = next(_run_ids)
                dsk, keys = _rename_keys(dsk, keys, tag)
                dsk = _by_passes(get, dsk, [[_renamed(k, tag) for k in ks] for ks in plan.passes()])
            limit = proj.graph_peak if proj is not None else None  # the executor keeps to the run's projection
            if get is executor.get and not any(isinstance(v, da.Array) for v in feeds.values()):
                # the plan's shape: ordered on its first run (or projection) only
                out = get(dsk, keys, cache=plan.exec_cache, sizes=plan.sizes, limit=limit)
            elif get is executor.get:
                out = get(dsk, keys, sizes=plan.sizes, limit=limit)
            else:
                out = (get or dask.get)(dsk, keys)
        values = list(out)
        updates = dict(zip(plan.update_vars, values[len(plan.fetch_index):plan.n_values]))
        if updates and apply_updates:
            self._set_values({op.name: np.asarray(val) for op, val in updates.items()})
        return values[:len(plan.fetch_index)]

    def _bound_graph(self, plan, feeds, leaves):
        """``plan``'s task graph with its leaves bound to ``leaves`` and the graphs of lazy (dask array) feeds."""
        dsk = dict(plan.dsk)
        for k, v in leaves.items():
            dsk[k] = (v if isinstance(v, Alias) else remote.held(k, v) if type(v).__name__ == "Future"
                      else DataNode(k, v))
        for v in feeds.values():
            if isinstance(v, da.Array):
                dsk.update(convert_legacy_graph(dict(v.__dask_optimize__(v.__dask_graph__(), v.__dask_keys__()))))
        return dsk

    def _run_remote(self, plan, feeds, apply_updates):
        """Run ``plan`` on this Session's cluster; a run that fails because a worker died (a block it held lost,
        or a worker gone while the run's new values were being kept) is run again from the state before it, with
        the lost blocks read from their copies (``remote.repair``), up to ``_ATTEMPTS`` times."""
        remote.tune_workers(self._client)
        rng = dict(self._rng_counts)
        for attempt in range(_ATTEMPTS):
            self._repair_state(plan)
            one_task = plan.small and plan.source_bytes == 0 and config.get("one_task_runs")
            towers = self._towers(plan, feeds) if one_task else None
            leaves = self._leaf_values(plan if towers is None else towers[0].plan, feeds)
            try:
                if towers is not None:
                    return self._execute_remote(towers[0].plan, None, apply_updates, leaves, towers)
                if one_task and not any(isinstance(v, Alias) for v in leaves.values()):
                    return self._execute_remote(plan, None, apply_updates, leaves)
                return self._execute_remote(plan, self._bound_graph(plan, feeds, leaves), apply_updates)
            except Exception as e:
                if attempt + 1 == _ATTEMPTS or not self._worker_lost(e, plan):
                    raise
                remote.await_removal(self._client, e)  # so that the repair sees every block the worker held
                self._rng_counts.update(rng)  # the same random numbers again
                logger.warning("daskflow: a worker was lost during a run (%s: %s); running it again (attempt %d)",
                               type(e).__name__, e, attempt + 2)

    def _worker_lost(self, e, plan):
        """Whether failure ``e`` of a run of ``plan`` comes from a lost worker: a block of the state it reads gone,
        a task's inputs lost with their worker (cancelled), or a worker gone while new values were kept."""
        from distributed.comm import CommClosedError
        if isinstance(e, (remote.WorkerLost, CommClosedError, concurrent.futures.CancelledError)):
            return True
        with self._lock:
            return any(isinstance(v := self._vars.get(n), remote.RemoteValue) and v.lost() for n in self._reads(plan))

    @staticmethod
    def _reads(plan):
        """The names of the variables ``plan`` reads."""
        names = plan.exec_cache.get("reads")
        if names is None:
            names = plan.exec_cache["reads"] = [op.name for op, *_ in plan.var_leaves]
        return names

    def _repair_state(self, plan):
        """Read each block of the state ``plan`` reads that a lost worker held from its copy, and copy it again
        (``remote.repair``); a variable whose block has no copy left is an error (``errors.DataLossError``), until
        it is assigned again (its initializer, a restore)."""
        with self._lock:
            hurt = {n: v for n in self._reads(plan)
                    if isinstance(v := self._vars.get(n), remote.RemoteValue) and v.damaged()}
        if hurt:
            self._set_values(remote.repair(self._client, hurt))

    def _towers(self, plan, feeds):
        """The ``_Towers`` of a one-task run of ``plan`` whose batch is split over the cluster's workers
        (``config.tower_bytes``), or None when it runs as one task: the feeds sharing the first dimension of the
        largest in-memory feed (the batch) hold fewer bytes than the setting, the batch has fewer rows than two,
        or the cluster has one worker. Worked out once per plan and number of workers."""
        limit = config.get("tower_bytes")
        if limit is None or not feeds or any(isinstance(v, (da.Array, remote.RemoteValue)) for v in feeds.values()):
            return None
        arrays = [(t, v) for t, v in feeds.items() if v.ndim >= 1]
        if not arrays:
            return None
        batch = max(arrays, key=lambda tv: tv[1].nbytes)[1].shape[0]
        split = [t for t, v in arrays if v.shape[0] == batch]
        if batch < 2 or sum(feeds[t].nbytes for t in split) < limit or self._placements(plan):
            return None
        workers = sorted(self._client.sync(self._client.scheduler.ncores_running))  # running: not paused
        n = min(len(workers), batch)
        if n < 2:
            return None
        towers = plan.exec_cache.get(("towers", n))
        if towers is None:
            rows = tuple(len(r) for r in np.array_split(np.arange(batch), n))
            chunks = {t: (rows,) + tuple((d,) for d in v.shape[1:]) if t in split else _feed_chunks(v)
                      for t, v in feeds.items()}
            towers = plan.exec_cache[("towers", n)] = _Towers(_Plan(self, plan.fetches, chunks, plan.known),
                                                              split, n)
        return towers, workers[:n]

    def _state_near(self, plan, worker):
        """The futures of the state blocks ``plan`` reads, each from its copy where the copy is on ``worker`` and
        the block is not (``RemoteValue.blocks``)."""
        out = {}
        with self._lock:
            for op, leaves, *_ in plan.var_leaves:
                v = self._vars.get(op.name)
                if isinstance(v, remote.RemoteValue):
                    out.update(v.blocks([key for key, _ in leaves], near=worker))
        return out

    def _execute_remote(self, plan, dsk, apply_updates, leaves=None, towers=None):
        """Run ``dsk`` (``plan``'s graph with its leaves bound) on this Session's cluster. Only the fetched values
        (and the tokens of side effects) come back; the blocks of variables' new values stay on the workers and
        become their values when every task has succeeded (otherwise they are released and no variable
        changes)."""
        client = self._client
        placements = self._placements(plan)  # before anything runs: a device the cluster lacks is an error
        tag = next(_run_ids)
        if dsk is None and (placements or plan.passes()):  # task by task after all
            dsk = self._bound_graph(plan, {}, leaves)
        parts = None  # where each output is in the tuples of a run as one task (or a task per worker, and one more)
        sent = []
        if dsk is None and towers is not None:  # a task per worker on its share of the batch, one to combine them
            leaves, sent = towers[0].send(client, leaves, towers[1])
            near = [self._state_near(plan, w) for w in towers[1]]
            dsk, keys, parts, placements = towers[0].graph(leaves, tag, towers[1], near)
        elif dsk is None:  # a small run as one task, next to the state it reads (as a TF worker runs its subgraph)
            dsk, keys = self._one_task(plan, leaves, tag)
            parts = [(0, i) for i in range(len(plan.out_keys))]
        else:
            dsk, keys = _rename_keys(dsk, plan.out_keys, tag)
            placements = {_renamed(k, tag): p for k, p in placements.items()}
        copy_parts = None
        if parts is not None and apply_updates and plan.update_spans and config.get("state_copies") > 1 \
                and towers is not None:
            got = self._replica(plan, keys, leaves, towers)
            if got is not None:
                dsk, keys, copy_parts = {**dsk, **got[0]}, keys + list(got[0]), got[1]
                placements = {**placements, **got[2]}
        with contextlib.ExitStack() as stack:
            if parts is None:
                stack.enter_context(dask.annotate(priority=_Priority(plan.ranks(), tag)))
            stream = None
            if self._logs_placement(plan):
                from distributed import get_task_stream
                stream = stack.enter_context(get_task_stream(client))
            try:
                out = self._submit(plan, client, dsk, keys, tag, apply_updates, placements, parts, copy_parts)
            finally:
                for f in sent:
                    f.release()
        if stream is not None:  # where each op's tasks ran, from the scheduler's records of this run
            ran = collections.defaultdict(set)
            for rec in stream.data:
                name = rec["key"][0] if isinstance(rec["key"], tuple) else rec["key"]
                if name in keys and parts is not None:  # the whole run in one task (or towers)
                    for op in set(plan.layer_ops.values()) | set(plan.leaf_tensors.values()):
                        ran[op].add(rec["worker"])
                    continue
                op = plan.op_of(_unrenamed(rec["key"], tag))
                if op is not None:
                    ran[op].add(rec["worker"])
            _log_placement(plan, lambda op: ", ".join(sorted(ran[op])) if op in ran else None)
        return out

    def _one_task(self, plan, leaves, tag):
        """The graph of a small run of ``plan`` as one task (``remote.run_inline``) reading ``leaves`` (feed values
        and the futures of variables' blocks), whose value is the tuple of the plan's outputs; and its key."""
        order = plan.exec_cache.get("inline")
        if order is None:
            order = plan.exec_cache["inline"] = [(k, plan.dsk[k], frees)
                                                 for k, _, frees in plan.sync_order(leaves.keys())]
        step = f"run-r{tag}"
        values = List(*[v if type(v).__name__ == "Future" else DataNode(None, v) for v in leaves.values()])
        dsk = {step: Task(step, remote.run_inline, DataNode(None, order), list(plan.out_keys), list(leaves),
                          values)}
        return dsk, [step]

    def _logs_placement(self, plan):
        """Whether ``ConfigProto(log_device_placement=True)`` asks for ``plan``'s placement: on its first run."""
        if not getattr(self.config, "log_device_placement", False) or plan.exec_cache.get("logged"):
            return False
        plan.exec_cache["logged"] = True
        return True

    def _placements(self, plan):
        """The ``remote.Placement`` of each task of ``plan`` whose op has a device, on this Session's cluster as
        it is now (worked out once per plan and set of workers)."""
        placed = plan.exec_cache.get("placed")
        if placed is None:  # the plan's ops with a device (most plans have none: no need to ask the cluster)
            placed = plan.exec_cache["placed"] = [k for k in list(plan.dsk) + plan.leaf_keys()
                                                  if (op := plan.op_of(k)) is not None and op.device_spec is not None]
        if not placed:
            return {}
        workers = planner.cluster_workers(self._client)
        key = frozenset((a, str(w.get("name")), tuple(sorted(w.get("resources", {}).items())))
                        for a, w in workers.items())
        got = plan.exec_cache.get(("placements", key))
        if got is None:
            soft = bool(getattr(self.config, "allow_soft_placement", False))
            by_op, got = {}, {}
            for k in placed:
                op = plan.op_of(k)
                if op not in by_op:
                    by_op[op] = remote.place(op, workers, soft)
                if by_op[op]:
                    got[k] = by_op[op]
            plan.exec_cache[("placements", key)] = got
        return got

    def _replica(self, plan, keys, leaves, towers):
        """The towers' combining task (which makes the run's new state) run again on the second tower's worker,
        from the state's copies there: its results are the new state's copies, kept where they are made
        (``remote.keep``) rather than sent, as each replica of TF's state is updated where it lives: the workers
        then exchange the towers' results (a gradient's size each way) and no copy of the state. Gives the
        replica's graph, where each output of the plan is in its tuple (None for those it does not make) and the
        placements of the task and its replica; None where the state is not made by the combining task.

        (A run as one task is not run twice: that would double the step's work to save sending the state.)"""
        t = towers[0].state_task
        if t != towers[0].n:
            return None
        home, there = towers[1][0], towers[1][1]
        key = f"{keys[t]}-copy"
        task = towers[0].task(t, key, {**leaves, **self._state_near(plan, there)}, keys)
        copy_parts = towers[0].copy_parts  # the replica is the task after the towers and the combining one
        placements = {keys[t]: remote.Placement(workers=home, loose=True),
                      key: remote.Placement(workers=there, loose=True)}
        return {key: task}, copy_parts, placements

    def _submit(self, plan, client, dsk, keys, tag, apply_updates, placements, parts=None, copy_parts=None):
        """Run ``dsk`` for ``keys`` on the cluster; with ``parts``, ``keys`` are tasks whose values are tuples and
        ``parts`` gives, for each of the plan's outputs, the task and the element that hold it (a run as one task,
        or as towers). The fetched values come back; the new values of variables are kept (``remote.keep``) and
        become the variables' values."""
        held = []  # the values ending passes over the data, kept on the cluster while the run reads them
        for ends in plan.passes():
            ends = [_renamed(k, tag) for k in ends]
            held += client.get(remote.placed_graph(_cull_known(dsk, ends), placements), ends, sync=False)
            remote.wait(client, held)
            for k in ends:
                del dsk[k]  # now a key the cluster holds
        futures = client.get(remote.placed_graph(dsk, placements), keys, sync=False)
        refs = futures if parts is None else [remote.Part(futures[t], i) for t, i in parts]
        nf = len(plan.fetch_index)
        span_end = plan.update_spans[-1][1] if plan.update_spans else nf
        new = None  # the variables' new values: kept as state of their own, then the variables' values
        if apply_updates and plan.update_spans:
            copies = None if copy_parts is None else \
                [None if c is None else remote.Part(futures[c[0]], c[1]) for c in copy_parts]
            new = {op.name: remote.NewValue(refs[a:b], chunks, op.outputs[0].dtype,
                                            copies=None if copies is None else copies[a:b])
                   for op, (a, b), chunks in zip(plan.update_vars, plan.update_spans, plan.update_chunks)}
        try:
            if new is not None and (plan.small or parts):  # fetched values come back with the call that keeps
                remote.wait(client, futures)
                kept, small = remote.keep(client, new, fetch=refs[:nf] + refs[span_end:])
            else:
                if parts:
                    tuples = client.gather(futures)
                    small = [tuples[t][i] for t, i in parts]
                else:
                    small = client.gather(futures[:nf] + futures[span_end:])  # fetches and effect tokens
                    remote.wait(client, futures[nf:span_end])
                kept = remote.keep(client, new) if new is not None else None
            if kept is not None:
                self._set_values(kept)
        finally:
            for f in {f.key: f for f in held + futures}.values():  # one future per key
                f.release()
        return small[:nf]


class _Towers:
    """A one-task run split over ``n`` workers along its batch (TensorFlow's towers of synchronous data
    parallelism), from ``plan``: the run's plan with the ``split`` feeds in ``n`` blocks of rows. Each task of the
    plan belongs to the tower of the one block of rows it reads, to none (it reads state and unsplit feeds only:
    run by each tower, or by the combining task, that needs it), or to the combining task (it reads the results
    of several towers: the sums of gradients over the batch, and all that follows them, such as variables'
    updates). Tower ``i`` runs as one task on worker ``i``; the combining task reads the towers' results."""

    def __init__(self, plan, split, n):
        self.plan, self.n = plan, n
        self.fed = {key for t, kv in plan.feed_leaves if t in split for key, _ in kv}  # sent ahead of the run
        dsk, out_keys = plan.dsk, plan.out_keys
        leaves = set(plan.leaf_keys())
        tower = {key: key[1] for t, kv in plan.feed_leaves if t in split for key, _ in kv}  # row block: tower
        both = n  # the combining task's index
        order = [k for k, _, _ in plan.sync_order(leaves)]
        of = {}  # task -> tower (or ``both``); absent: reads no rows
        for k in order:
            got = None
            for d in dsk[k].dependencies:
                t = of.get(d, tower.get(d))
                if t is not None and got is not None and t != got or t == both:
                    got = both
                    break
                got = t if t is not None else got
            if got is not None:
                of[k] = got
        outs = set(out_keys)
        needs = collections.defaultdict(set)  # a task of no tower -> the tasks (by index) that run it
        for k in reversed(order):
            if k not in of:
                needs[k] |= {both} if k in outs or not needs[k] else set()
            for d in dsk[k].dependencies:
                if d in dsk and d not in of and d not in tower and d not in leaves:
                    needs[d] |= {of[k]} if k in of else needs[k]
        members = [[k for k in order if of.get(k) == i or i in needs.get(k, ())] for i in range(n + 1)]
        used = [{d for k in m for d in dsk[k].dependencies} for m in members]
        wanted = used[both] | outs  # what a tower gives: its own results that the combining task reads or the run's
        self.outputs = [[k for k in m if of.get(k) == i and k in wanted] for i, m in enumerate(members[:n])] + \
            [[k for k in members[n] if k in outs] + [k for k in out_keys if k in leaves]]  # a leaf fetched as is
        used[both] |= {k for k in out_keys if k in leaves}
        self.orders, self.inputs = [], []
        for i, m in enumerate(members):
            inside = set(m)
            self.inputs.append(sorted((d for d in used[i] if d not in inside), key=str))
            last = {}
            for k in m:
                for d in dsk[k].dependencies:
                    last[d] = k
            frees = collections.defaultdict(list)
            for d, k in last.items():
                if d not in self.outputs[i]:
                    frees[k].append(d)
            self.orders.append([(k, dsk[k], frees.get(k, ())) for k in m])
        where = {k: (i, j) for i, ks in enumerate(self.outputs) for j, k in enumerate(ks)}
        self.parts = [where[k] for k in out_keys]
        given = [set(ks) for ks in self.outputs[:n]]
        self.reads = [j for j in range(n) if given[j] & set(self.inputs[n])]  # towers the combining task reads
        # the task that makes most of the new state (the combining task, normally), and where each output is in
        # the tuple of its replica (``Session._replica``)
        spans = [j for a, b in plan.update_spans for j in range(a, b)]
        self.state_task = collections.Counter(self.parts[j][0] for j in spans).most_common(1)[0][0] if spans \
            else None
        self.copy_parts = [(n + 1, j) if t == self.state_task else None for t, j in self.parts]

    def send(self, client, leaves, workers):
        """``leaves`` with each tower's share of the fed rows sent to its worker first, all at once, straight from
        the client (``remote.send``), rather than in the run's graph (through the scheduler, which would unpack
        it); and the futures sent, to be released after the run. Where the client cannot reach the workers,
        ``leaves`` as they are."""
        shares = [(w, [k for k in self.inputs[i] if k in self.fed]) for i, w in enumerate(workers)]
        got = remote.send(client, [(w, [leaves[k] for k in ks]) for w, ks in shares])
        if got is None:
            return leaves, []
        leaves = dict(leaves)
        for (_, ks), futures in zip(shares, got):
            leaves.update(zip(ks, futures))
        return leaves, [f for fs in got for f in fs]

    def graph(self, leaves, tag, workers, near=None):
        """The run's graph: a task per tower pinned to its worker (``workers``), reading its share of ``leaves``
        (state blocks from ``near[i]`` for tower ``i``, where given: the copies on its worker), and the combining
        task; their keys, where each output of the plan is in their tuples, and the placements."""
        n = self.n
        keys = [f"run-r{tag}-{i}" for i in range(n)] + [f"run-r{tag}"]
        dsk, placements = {}, {}
        for i, key in enumerate(keys):
            dsk[key] = self.task(i, key, {**leaves, **near[i]} if near is not None and i < n else leaves, keys)
            if i < n:  # where its rows were sent; elsewhere if that worker is gone (rather than wait for it)
                placements[key] = remote.Placement(workers=workers[i], loose=True)
        return dsk, keys, self.parts, placements

    def task(self, i, key, leaves, keys):
        """Task ``key`` running tower ``i`` (or the combining task, ``i == n``, reading the towers' ``keys``) on
        ``leaves``."""
        towers = self.reads if i == self.n else []
        mine = [k for k in self.inputs[i] if k in leaves]
        values = List(*[leaves[k] if type(leaves[k]).__name__ == "Future" else DataNode(None, leaves[k])
                        for k in mine])
        return Task(key, remote.run_inline, DataNode(None, self.orders[i]), self.outputs[i], mine, values,
                    [self.outputs[j] for j in towers], List(*[TaskRef(keys[j]) for j in towers]))


def _host_feeds(session, fetches, feeds, peek=False):
    """``feeds`` plus the values that ops run on the host before planning (``OpDef.host_run``: iterators) give
    for their outputs; a tensor the user feeds is never replaced, and its op is not run for it. Also returns the
    ``(op, values)`` of the ops run, for ``_host_undo``. With ``peek``, only ops that can be undone are run (an
    iterator's initializer is not)."""
    key = (tuple(fetches), frozenset(feeds))
    ops = session._host_ops.get(key)
    if ops is None:
        ops = session._host_ops[key] = [op for op in closure(fetches, feeds) if OPS[op.type].host_run is not None]
    if not ops:
        return feeds, []
    feeds, ran = dict(feeds), []
    try:
        for op in ops:
            if peek and OPS[op.type].host_undo is None:
                continue
            values = OPS[op.type].host_run(op, session, feeds)
            ran.append((op, values))
            for t, v in values.items():
                if t not in feeds:
                    feeds[t] = _normalize_feed(t, v)
    except BaseException:
        _host_undo(session, ran)
        raise
    return feeds, ran


def _with_shape_args(session, fetches, feeds, build):
    """``build(feeds, known)``, where ``known`` holds the values of the shape arguments that lowering ``fetches``
    needs on the host and that depend on run-time data (``NeedsValue``); those not fed are computed first and fed
    to the run that follows (so what computes them runs once), which is planned for them. Loops the run reaches
    (``NeedsLoop``) run first too, in order, and their results are fed (``looprun``). Which tensors and loops
    these are is learnt on the first run of a fetch set and fed tensors, and remembered."""
    key = (tuple(fetches), frozenset(feeds))
    needs = session._shape_args.setdefault(key, [])
    known, run_feeds, done, ran = {}, feeds, 0, {}  # most fetch sets need none: nothing to copy on their runs
    while True:
        if done < len(needs):
            run_feeds = dict(run_feeds) if run_feeds is feeds else run_feeds
            todo = []
            for item in needs[done:]:
                if isinstance(item, Operation):  # a loop: what it reads first, then the loop
                    _computed(session, todo, run_feeds, known)
                    run_feeds.update(looprun.run(session, item, run_feeds, fetches, ran))
                elif item in feeds and not isinstance(feeds[item], da.Array):
                    known[item] = feeds[item]
                else:
                    todo.append(item)
            _computed(session, todo, run_feeds, known)
            done = len(needs)
        try:
            return build(run_feeds, known)
        except NeedsValue as e:
            new = [t for t in e.tensors if t not in needs]
            if not new:
                raise
            needs.extend(new)
        except NeedsLoop as e:
            if e.op in needs:
                raise errors.InternalError(None, e.op, f"loop '{e.op.name}' ran, but its results were not fed")
            needs.append(e.op)


def _computed(session, tensors, feeds, known):
    """Compute ``tensors`` (shape arguments) with ``feeds`` in one run; their values are added to ``known`` and
    fed (``feeds`` is updated)."""
    if tensors:
        got = zip(tensors, (np.asarray(v) for v in session._values(tensors, feeds)))
        for t, v in got:
            known[t] = v
            feeds[t] = _normalize_feed(t, v)
        tensors.clear()


def _host_bytes(session, ops):
    """What the host state of ``ops`` holds (``OpDef.host_bytes``), counted once per state they share (the iterator
    several ``get_next()`` read); a state nothing bounds counts nothing."""
    states = {}
    for op in ops:
        fn = OPS[op.type].host_bytes
        if fn is not None:
            key = op.attrs.get("iterator", op)
            if key not in states:
                states[key] = fn(op, session) or 0
    return sum(states.values())


def _host_undo(session, ran):
    """Give back what host ops took for a run that did not happen (iterators: their elements, served next)."""
    for op, values in reversed(ran):
        undo = OPS[op.type].host_undo
        if undo is not None:
            undo(op, session, values)


_run_ids = itertools.count()
_ATTEMPTS = 3  # tries of a cluster run whose workers die under it
logger = logging.getLogger("daskflow")


def _check_budget(plan):
    budget = planner.task_bytes()
    if plan.peak_bytes > budget:
        op, fb = plan.peak_op, planner.format_bytes
        over = [f"'{o.name}' ({fb(b)})" for o, b in plan.footprints[:5] if b > budget]
        raise errors.ResourceExhaustedError(
            None, op, f"Op '{op.name}' (type {op.type}) would hold about {fb(plan.peak_bytes)} in one task, over "
            f"the task memory budget of {fb(budget)} (task_bytes; chunk_bytes is {fb(planner.chunk_bytes())}). "
            f"Ops over budget: {', '.join(over)}. Nothing was run: lower chunk_bytes, chunk the inputs more finely, "
            "or raise task_bytes with df.config.set(task_bytes=...).")


def _check_run(plan, proj):
    budget = planner.run_bytes()
    if proj.peak > budget:
        raise errors.ResourceExhaustedError(None, plan.op_of(proj.key), _run_over(plan, proj, budget))


def _run_over(plan, proj, budget):
    fb = planner.format_bytes
    op = plan.op_of(proj.key)
    what = f"op '{op.name}' (type {op.type})" if op is not None else f"task {proj.key!r}"
    return (f"The run would hold about {fb(proj.peak)} at once, over its memory budget of {fb(budget)} (run_bytes; "
            f"task_bytes is {fb(planner.task_bytes())} over {planner.run_threads()} thread(s), chunk_bytes "
            f"{fb(planner.chunk_bytes())}): the peak comes at {proj.moment()}, when {what} starts. Nothing was run: "
            "lower chunk_bytes, fetch smaller results (write large ones with df.io.to_zarr), or raise run_bytes "
            "with df.config.set(run_bytes=...).")


class RunPlan:
    """What a run would do, from ``Session.plan``: measured on the lowered, optimised dask graph before
    anything runs.

    Attributes
    ----------
    tasks : int
        Tasks in the dask graph of the run (reads of dask feeds included).
    peak_task_bytes : int
        Projected memory of the largest task: the input and output blocks it holds.
    peak_op : Operation or None
        The op whose task that is.
    read_bytes : int
        Bytes read from storage sources and lazy (dask or storage) feeds.
    feed_bytes : int
        Bytes of in-memory feeds.
    budget : int
        The ``task_bytes`` a run must fit; ``fits`` says whether it does.
    footprints : list of (Operation, int)
        Every lowered op with its projected task memory, largest first.
    run_peak_bytes : int
        Projected peak memory of the whole run (of each worker, on a cluster): the values alive at once under the
        executor's order and threads, plus what the running tasks need (their outputs and temporaries). Data
        given with the run (in-memory feeds, variables) is not counted: it is in memory already. The executor
        keeps the run within it.
    host_bytes : int
        Of ``run_peak_bytes``, what state on the host holds for the run: the input pipelines of the iterators it
        reads (shuffle buffers, prefetched batches, blocks being read).
    run_peak_op : Operation or None
        The op whose task starts at the moment of the peak.
    run_peak_at : str
        That moment: which task of how many.
    run_budget : int
        The ``run_bytes`` the projection must fit; ``fits`` says whether both budgets hold.
    loops : list of (str, int, int)
        The loops the run runs before it (``while_loop``; ``Session.plan`` runs them, as the plan needs their
        results): each loop's name, its iterations and the bytes of the forward values it keeps for the run's
        backward pass (its loop variables on entering each iteration).
    kept_bytes : int
        Their sum: the run holds them until it ends, counted in ``run_peak_bytes``.
    """

    def __init__(self, plan, feeds, proj, loops=()):
        lazy = [v for v in feeds.values() if isinstance(v, da.Array)]
        self.tasks = plan.n_tasks + sum(len(v.__dask_graph__()) for v in lazy)
        self.peak_task_bytes, self.peak_op = plan.peak_bytes, plan.peak_op
        self.read_bytes = plan.source_bytes + sum(v.nbytes for v in lazy)
        self.feed_bytes = sum(v.nbytes for v in feeds.values() if not isinstance(v, da.Array))
        self.budget = planner.task_bytes()
        self.chunk_bytes = planner.chunk_bytes()
        self.footprints = list(plan.footprints)
        self.loops = list(loops)
        self.kept_bytes = sum(b for _, _, b in self.loops)
        self.run_peak_bytes, self.run_peak_op, self.run_peak_at = proj.peak + self.kept_bytes, plan.op_of(proj.key), \
            proj.moment()
        self.host_bytes = proj.host
        self.run_budget = planner.run_bytes()

    @property
    def fits(self):
        return self.peak_task_bytes <= self.budget and self.run_peak_bytes <= self.run_budget

    def __repr__(self):
        fb = planner.format_bytes
        peak = f" (op '{self.peak_op.name}', type {self.peak_op.type})" if self.peak_op is not None else ""
        at = f" (op '{self.run_peak_op.name}')" if self.run_peak_op is not None else ""
        return (f"<RunPlan {self.tasks} tasks; peak {fb(self.run_peak_bytes)} in the run{at}, budget "
                f"{fb(self.run_budget)}; peak {fb(self.peak_task_bytes)} per task{peak}, budget {fb(self.budget)}; "
                f"reads {fb(self.read_bytes)}, feeds {fb(self.feed_bytes)}"
                f"{f'; loops keep {fb(self.kept_bytes)}' if self.kept_bytes else ''}"
                f"{'' if self.fits else ' -- OVER BUDGET'}>")


def _renamed(k, tag):
    return (f"{k[0]}-r{tag}",) + tuple(k[1:]) if isinstance(k, tuple) else f"{k}-r{tag}"


_LOCAL_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def _log_placement(plan, where):
    """Print, as TF1 does with ``log_device_placement``, each op of ``plan`` with where it ran (``where(op)``; ops
    whose tasks ran nowhere, folded into others or given as feeds, are left out)."""
    ops = sorted(set(plan.layer_ops.values()) | set(plan.leaf_tensors.values()), key=lambda op: op._id)
    lines = [f"{op.name}: ({op.type}): {w}" for op in ops if (w := where(op)) is not None]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _unrenamed(key, tag):
    suffix = f"-r{tag}"
    name = key[0] if isinstance(key, tuple) else key
    if isinstance(name, str) and name.endswith(suffix):
        name = name[:-len(suffix)]
    return (name,) + tuple(key[1:]) if isinstance(key, tuple) else name


class _Priority:
    """The scheduling priority of each task of a run on a cluster (dask's annotation, evaluated by the scheduler
    per key): its rank in its plan's order (``_Plan.ranks``), first ranks first."""

    def __init__(self, ranks, tag):
        self.ranks, self.tag = ranks, tag

    def __call__(self, key):
        return -self.ranks.get(_unrenamed(key, self.tag), 0)


def _cull_known(dsk, keys):
    """The tasks of ``dsk`` that ``keys`` need; keys the graph refers to but does not hold (values a cluster
    holds) are left to the cluster."""
    seen, todo = set(), list(keys)
    while todo:
        k = todo.pop()
        if k in seen or k not in dsk:
            continue
        seen.add(k)
        todo.extend(dsk[k].dependencies)
    return {k: dsk[k] for k in seen}


def _by_passes(get, dsk, passes):
    """``dsk`` with the values that end each pass over the data but the last computed first, one pass at a time
    (``executor.passes``), and given to the rest as data: a cluster's scheduler, given a graph that reads the data
    twice (standardising by column means), keeps every block of the first pass for the second."""
    for keys in passes:
        for k, v in zip(keys, get(cull(dsk, keys), keys)):
            dsk[k] = DataNode(k, v)
    return dsk


def _rename_keys(dsk, out_keys, tag):
    """The graph with every key suffixed by ``-r<tag>`` (so no key of one run names a value of another)."""
    subs = {k: _renamed(k, tag) for k in dsk}
    renamed = {subs[k]: node.substitute(subs, key=subs[k]) for k, node in dsk.items()}
    return renamed, [subs[k] for k in out_keys]


def _to_user(v):
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return v[()]
    return v


class InteractiveSession(Session):
    """A Session that installs itself as the default session when created (TF1's ``InteractiveSession``)."""

    def __init__(self, target="", graph=None, config=None, scheduler=None):
        super().__init__(target, graph, config, scheduler)
        _interactive[0] = self


def lower(fetches, feed_dict=None, session=None):
    """The dask arrays that compute ``fetches``, not computed (Operations give None).

    Feeds are bound as dask arrays (dask feeds keep their chunks); variables take their value in ``session``
    (default: the default session), and random ops their next draw.
    """
    graph = next((f.graph for f in _flatten(fetches, []) if hasattr(f, "graph")), get_default_graph())
    sess = session or get_default_session()
    if sess is None:
        sess = Session(graph=graph)
    flat = [_as_fetch(graph, f) for f in _flatten(fetches, [])]

    def build(feeds, known):
        return Lowering(_LazySources(sess, feeds), fed=feeds.keys(), known=known).run(flat)
    with planner.budget(*sess._memory_budget()):
        low = _with_shape_args(sess, flat, sess._feeds(feed_dict), build)
    return _pack(fetches, iter([low.full(low.values[f]) if isinstance(f, Tensor) else None for f in flat]))


class _LazySources:
    _ids = itertools.count()

    def __init__(self, session, feeds):
        self.session, self.feeds_ = session, feeds
        self.tag = next(self._ids)

    def feed(self, t):
        v = self.feeds_[t]
        if isinstance(v, da.Array):
            return v
        if isinstance(v, remote.RemoteValue):
            return v.as_dask(f"feed-{t.name}-{self.tag}")
        return da.from_array(v, chunks=_feed_chunks(v), name=f"feed-{t.name}-{self.tag}")

    def variable(self, op):
        v = self.session._variable_value(op)
        if isinstance(v, remote.RemoteValue):
            return v.as_dask(f"var-{op.name}-{self.tag}")
        return da.from_array(v, chunks=planner.chunks_for(v.shape, v.dtype), name=f"var-{op.name}-{self.tag}")

    def rng(self, op):
        with self.session._lock:
            n = self.session._rng_counts[op.name]
            self.session._rng_counts[op.name] += 1
        return da.from_array(np.array(n, dtype=_rng_dtype()), name=f"rng-{op.name}-{self.tag}")


def compute(fetches, feed_dict=None, **dask_kwargs):
    """Compute ``fetches`` in the default session, or in a throwaway one (``scheduler=`` is passed on)."""
    sess = get_default_session()
    graph = next((f.graph for f in _flatten(fetches, []) if hasattr(f, "graph")), get_default_graph())
    if sess is not None and sess.graph is graph and not dask_kwargs:
        return sess.run(fetches, feed_dict)
    with Session(graph=graph, scheduler=dask_kwargs.pop("scheduler", None)) as s:
        if sess is not None and sess.graph is graph:
            s._vars = sess._vars
        return s.run(fetches, feed_dict)
