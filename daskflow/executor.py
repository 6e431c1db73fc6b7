"""A thread-pool executor for chunked plans that keeps memory bounded by chunk size and threads.

dask's local schedulers run tasks in ``dask.order``'s static order. For a loss and its gradient over N row blocks
that order finishes the forward pass over every block before the backward pass of any, so every block read stays
in memory (the pattern of dask#874). Here tasks run on a thread pool in ``dask.order``'s priority, with one rule
on top: a *root* task (one that reads or makes data from nothing but graph data) starts only when no other task
is ready, and then preferably a root that work already in memory is waiting for. So the work that consumes a block
runs before the next block is read, and a block is freed once everything that needs it is done. When the blocks
in memory only wait for a pass over the whole array to finish (standardising by column means reads X twice), a
block is let go and read again when its work can go on, rather than every block being held until then. Active dask
diagnostics (ProgressBar, Profiler) get their callbacks from here.
"""
import collections
import concurrent.futures as cf
import contextlib
import heapq
import itertools
import os
import sys
from collections.abc import Mapping
import threading

import dask
import numpy as np
from dask._task_spec import Alias, DataNode, GraphNode, List, Task, TaskRef, Tuple, convert_legacy_graph

from . import kernels

__all__ = ["get", "simulate", "passes", "compute", "configured_scheduler", "thread_count", "compile_task", "walk", "watched"]

_pools = {}
_pools_lock = threading.Lock()
_SEARCH = 256  # tasks looked at when choosing the next root
_SMALL = 1024  # bytes of a root's value below which it is not held back as a read of data


def _pool(n):
    with _pools_lock:
        pool = _pools.get(n)
        if pool is None:
            pool = _pools[n] = cf.ThreadPoolExecutor(n, thread_name_prefix="daskflow")
        return pool


_CPUS = os.cpu_count() or 1


def thread_count():
    """Threads a chunked run uses: dask's ``num_workers`` setting, else the number of CPUs."""
    n = dask.config.get("num_workers", None)
    return int(n) if n else _CPUS


@contextlib.contextmanager
def quiet_tasks():
    """numpy's floating-point warnings off while tasks run in this thread: inf and nan are values, as in TF (each
    kernel would otherwise turn them off for itself; see ``kernels._quiet``)."""
    outer = getattr(kernels._state, "quiet", False)
    with np.errstate(all="ignore"):
        kernels._state.quiet = True
        try:
            yield
        finally:
            kernels._state.quiet = outer


_blas = {"controller": None, "active": 0, "restore": None}
_blas_lock = threading.Lock()


@contextlib.contextmanager
def blas_shared(n):
    """BLAS libraries limited to their share of the cores (``cpus // n``, at least one thread) while ``n`` threads
    run tasks: each task calling a BLAS that starts a thread per core of its own would oversubscribe the cores
    (dask.distributed's workers set the same limit). The limit is the process's: it holds from the first run that
    sets it to the end of the last one running (threadpoolctl)."""
    if n <= 1 or _CPUS <= 1:
        yield
        return
    with _blas_lock:
        if _blas["active"] == 0:
            import threadpoolctl
            if _blas["controller"] is None:
                _blas["controller"] = threadpoolctl.ThreadpoolController()
            _blas["restore"] = _blas["controller"].limit(limits=max(1, _CPUS // n), user_api="blas")
        _blas["active"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas["active"] -= 1
            if _blas["active"] == 0:
                _blas["restore"].restore_original_limits()


def _run(node, args):
    with quiet_tasks():
        return node(args)


def _structure(dsk):
    """What a run needs to know of a graph's shape: dependencies, users, dask's priorities and the roots."""
    deps = {k: node.dependencies for k, node in dsk.items()}
    users = {k: [] for k in dsk}
    for k, ds in deps.items():
        for d in ds:
            users[d].append(k)
    roots = {k for k, ds in deps.items() if not isinstance(dsk[k], DataNode) and all(isinstance(dsk[d], DataNode)
                                                                                      for d in ds)}
    return deps, users, dask.order.order(dsk), roots


def _data_roots(dsk, deps, sizes):
    """With the projected sizes of values known, the tasks that make data out of (next to) nothing: a value of at
    least ``_SMALL`` bytes from data in the graph (a read of storage) or from small values (a constant broadcast to
    the blocks of a gradient). The executor holds those back as it does reads; a task that only makes a small
    value (a constant's arithmetic, a reshaped weight) runs when ready."""
    def small(d):
        return isinstance(dsk[d], DataNode) or sizes(d) < _SMALL
    return {k for k, ds in deps.items()
            if not isinstance(dsk[k], DataNode) and sizes(k) >= _SMALL and all(small(d) for d in ds)}


def passes(dsk, sizes, small=2**20):
    """The passes over the data of graph ``dsk``: lists of keys, one per pass but the last, of the values that end a
    pass and that a later one reads. Such a value is small (under ``small`` bytes), is made from several reads of
    data (``_data_roots``) and is used by the tasks of many blocks (at least half as many as the largest array
    read has: the column means each block of X is standardised by).
    Pass ``i`` ends with those that depend on ends of passes before ``i`` only."""
    deps = {k: node.dependencies for k, node in dsk.items()}
    users = collections.Counter(d for ds in deps.values() for d in ds)
    roots = _data_roots(dsk, deps, sizes)
    blocks = max(collections.Counter(_name(r) for r in roots).values(), default=0)
    many = max(4, blocks // 2)  # users of a value every block of a pass reads
    reads, fresh, level, ends = {}, {}, {}, {}
    for k in topological(deps):
        reads[k] = min(2, (k in roots) + sum(reads[d] for d in deps[k]))
        fresh[k] = k in roots or any(fresh[d] for d in deps[k] if d not in ends)  # reads data not through an end
        level[k] = max((level[d] + (d in ends) for d in deps[k]), default=0)
        if (reads[k] >= 2 and users[k] >= many and k not in roots and not isinstance(dsk[k], DataNode)
                and sizes(k) < small):
            ends[k] = level[k]
    # only the ends a later pass reads: used by a task that also reads data not through an end
    later = {d for k, ds in deps.items() if fresh[k] for d in ds if d in ends}
    out = collections.defaultdict(list)
    for k in later:
        out[ends[k]].append(k)
    return [out[i] for i in sorted(out)]


def topological(deps, roots=None, done=()):
    """A depth-first topological order of the keys of ``deps`` (key -> its dependencies) that ``roots`` need
    (default: all), keys in ``done`` left out; in linear time."""
    order, done = [], set(done)
    for root in deps if roots is None else roots:
        stack = [(root, False)]
        while stack:
            k, expanded = stack.pop()
            if k in done:
                continue
            if expanded:
                done.add(k)
                order.append(k)
                continue
            stack.append((k, True))
            stack.extend((d, False) for d in deps[k] if d not in done)
    return order


def _name(key):
    return key[0] if isinstance(key, tuple) else key


class _State:
    """Where a run stands: what waits for what, the values in memory and their bytes. ``sizes``: the projected
    bytes of a task's output (``projection.Sizes``), else none are known; ``measure(key, value)``: the bytes a
    finished value holds (its ``nbytes``), else the projected size is taken."""

    def __init__(self, dsk, keys, shape, sizes=None, measure=None, roots=None):
        self.dsk = dsk
        self.deps, self.users, self.prio, self.roots = shape
        if sizes is not None:
            self.roots = roots if roots is not None else _data_roots(dsk, self.deps, sizes)
        self.sizes = sizes if sizes is not None else _no_sizes
        self._need = getattr(sizes, "need", None)
        self.measure = measure or (lambda k, v: self.sizes(k))
        # bytes of values in memory, from the start the run's own records of its tasks; bytes reserved by tasks running
        self.held, self.reserved = getattr(sizes, "per_task", 0) * len(dsk), 0
        self.bytes, self.peak, self.at, self.started, self.biggest = {}, 0, None, 0, 0
        self.waiting = {k: len(ds) for k, ds in self.deps.items()}
        self.left = {k: len(self.users[k]) for k in dsk}
        self.keep = set(keys)
        # what roots read from (storage handles, data in the graph) stays while the run lasts: a block let go is read
        # again from it
        self.keep.update(d for r in self.roots for d in self.deps[r])
        self.ready, self.ready_roots, self.root_set = [], [], set()
        self.cache, self.done, self.live_roots = {}, set(), set()
        self.live_data = set()  # values of data (of at least _SMALL bytes) in memory that tasks still wait for
        # blocks let go while their users wait behind other work (a pass over every block), to be read again
        self.evicted, self.wanted, self.gone = set(), [], collections.Counter()
        for k in [k for k, w in self.waiting.items() if not w]:
            if isinstance(dsk[k], DataNode):  # data in the graph (constants, variables, feeds): there already
                self.finish(k, dsk[k].value, given=True)
            else:
                self.push(k)

    def push(self, k):
        if k in self.roots:
            heapq.heappush(self.ready_roots, (self.prio[k], k))
            self.root_set.add(k)
        else:
            heapq.heappush(self.ready, (self.prio[k], k))

    def need(self, k):
        """Projected bytes task ``k`` adds while it runs (``sizes.need``: its output and temporaries); without a
        model of the run's sizes, its output and two temporaries the size of its largest block."""
        inputs = [self.bytes.get(d, 0) for d in self.deps[k]]
        if self._need is not None:
            return self._need(k, inputs)
        out = self.sizes(k)
        return out + 2 * max([out] + inputs)

    def fits(self, k, limit):
        return self.held + self.reserved + self.need(k) <= limit

    def start(self, k):
        """Reserve what task ``k`` needs; the peak of memory in use (held and reserved) is kept, with the task
        whose start reached it."""
        need = self.need(k)
        self.reserved += need
        self.started += 1
        self.biggest = max(self.biggest, need)
        if self.held + self.reserved > self.peak:
            self.peak, self.at = self.held + self.reserved, (k, self.started)
        return need

    def _drop(self, k):
        self.cache.pop(k, None)
        self.held -= self.bytes.pop(k, 0)

    def finish(self, k, value, need=0, given=False):
        """``k`` ended with ``value``. Data ``given`` with the graph, and aliases of other values, add no
        memory."""
        self.reserved -= need
        self.cache[k] = value
        b = self.bytes[k] = 0 if given or isinstance(self.dsk[k], Alias) else self.measure(k, value)
        self.held += b
        if self.held + self.reserved > self.peak:  # a value larger than projected
            self.peak, self.at = self.held + self.reserved, (k, self.started)
        self.done.add(k)
        again = k in self.evicted  # a block read again for the users that waited
        self.evicted.discard(k)
        if k in self.roots and self.left[k]:
            self.live_roots.add(k)
        if b >= _SMALL and self.left[k]:
            self.live_data.add(k)
        for d in self.deps[k]:
            self.left[d] -= 1
            if not self.left[d]:
                self.live_roots.discard(d)
                self.live_data.discard(d)
                if d not in self.keep:
                    self._drop(d)
        for u in self.users[k]:
            if u in self.done:  # ran before k was let go
                continue
            self.waiting[u] -= 1
            self.gone[u] -= again
            if not self.waiting[u]:
                self.push(u)
            elif self.waiting[u] == self.gone[u]:  # waits only for blocks let go: read them again now
                self.want(u)
        if not self.users[k] and k not in self.keep:  # a value no task and no caller wants (handed off)
            self._drop(k)

    def _waits_for_array(self, u, name):
        """Whether ``u`` waits, through other tasks (a reduction over the whole array, say), for a block of array
        ``name`` not in memory. Blocks ``u`` takes itself do not count: letting go of one of them frees nothing,
        as ``u`` needs them all at once."""
        stack, seen = [d for d in self.deps[u] if d not in self.done and d not in self.roots], set()
        while stack and len(seen) < 4 * _SEARCH:
            t = stack.pop()
            for d in self.deps[t]:
                if d in seen or d in self.done:
                    continue
                seen.add(d)
                if d in self.roots:
                    if _name(d) == name:
                        return True
                else:
                    stack.append(d)
        return False

    def want(self, u):
        for e in self.deps[u]:
            if e in self.evicted and e not in self.root_set:
                self.wanted.append(e)
                self.root_set.add(e)

    def evict(self):
        """Let go of a block in memory whose users all wait for other blocks of its array still to be read (a second
        pass over the data waits for the whole first pass): the one whose work comes latest in dask's order. It is
        read again when its users need nothing else (what it reads from is kept for that). Returns whether one was
        let go."""
        best = None
        for r in self.live_roots:
            users = [u for u in self.users[r] if u not in self.done]
            if (r in self.keep or not users or any(self.waiting[u] <= self.gone[u] for u in users)
                    or not all(self._waits_for_array(u, _name(r)) for u in users)):
                continue  # a user ready, or about to be
            at = min(self.prio[u] for u in users)
            if best is None or at > best[0]:
                best = (at, r, users)
        if best is None:
            return False
        _, r, users = best
        for u in users:
            self.waiting[u] += 1
            self.gone[u] += 1
        self._drop(r)
        self.done.discard(r)
        self.live_roots.discard(r)
        self.live_data.discard(r)
        self.evicted.add(r)
        return True

    def next_root(self, full=False):
        """The ready root nearest to the values in memory that are closest to being freed (fewest users left: a
        block of data, not a value every block uses, such as a reshaped weight), searched outwards from them
        through users and what those users wait for, so that the labels block a computed logits block waits for is
        read next; the earliest in dask's order among the nearest. Else the first ready root in dask's order, after
        letting go of a block whose users wait behind other work when memory is ``full``. A block let go that its
        users now wait for comes before those."""
        if full:  # memory full: a block whose users wait for the rest of its array (another pass) makes room
            self.evict()
        best, seen = None, set()
        live = self.live_data or self.live_roots  # without sizes, the roots' values stand for the data
        for _, group in itertools.groupby(sorted(live, key=self.left.__getitem__), self.left.__getitem__):
            best = self._nearest_root(list(group), seen)
            if best is not None or len(seen) >= _SEARCH:
                break
        while best is None and self.wanted:
            k = self.wanted.pop()
            if k in self.root_set:
                best = k
        if best is None:
            while True:
                _, best = heapq.heappop(self.ready_roots)
                if best in self.root_set:
                    break
        self.root_set.discard(best)  # its heap entry is skipped when popped
        return best

    def _nearest_root(self, live, seen):
        frontier = collections.deque((u, 1) for r in live for u in self.users[r] if u not in self.done)
        best, depth = None, None
        while frontier and len(seen) < _SEARCH:
            t, dist = frontier.popleft()
            if t in seen or (depth is not None and dist > depth):
                continue
            seen.add(t)
            for d in self.deps[t]:
                if d in self.root_set:
                    if best is None or self.prio[d] < self.prio[best]:
                        best, depth = d, dist
                elif d not in self.done and d not in seen:
                    frontier.append((d, dist + 1))
            frontier.extend((u, dist + 1) for u in self.users[t] if u not in seen)
        return best

    def has_roots(self):
        return bool(self.root_set)


def _no_sizes(key):
    return 0


def _held_bytes(key, value):
    """Bytes a finished task's value holds: an array's ``nbytes`` (numpy or cupy), a list or tuple of arrays
    summed; anything else counts nothing."""
    if isinstance(value, (list, tuple)):
        return sum(_held_bytes(key, v) for v in value)
    n = getattr(value, "nbytes", None)
    return n if isinstance(n, int) and hasattr(value, "dtype") else 0


class _Callbacks:
    """dask's diagnostics (``dask.callbacks.Callback``: ProgressBar, Profiler...) called as dask's local schedulers
    call them, with a state dict of the keys they read: pending tasks (``waiting``), ``running`` and ``finished``."""

    def __init__(self, dsk, done):
        self.start, self.start_state, self.pre, self.post, self.end = dask.callbacks.unpack_callbacks(
            dask.callbacks.Callback.active)
        self.dsk = dsk
        self.state = {"cache": {}, "ready": [], "running": set(), "finished": done, "released": set(),
                      "waiting": {k for k in dsk if k not in done}, "waiting_data": {}}
        for f in self.start:
            f(dsk)
        for f in self.start_state:
            f(dsk, self.state)

    def started(self, k):
        self.state["waiting"].discard(k)
        self.state["running"].add(k)
        for f in self.pre:
            f(k, self.dsk, self.state)

    def ended(self, k, value):
        self.state["running"].discard(k)
        self.state["finished"].add(k)
        for f in self.post:
            f(k, value, self.dsk, self.state, threading.get_ident())

    def finish(self, errored):
        for f in self.end:
            f(self.dsk, self.state, errored)


def watched(dsk, done=()):
    """``_Callbacks`` for a run of ``dsk`` when dask diagnostics are active, else None."""
    return _Callbacks(dsk, set(done)) if dask.callbacks.Callback.active else None


def configured_scheduler():
    """What ``dask.base.get_scheduler()`` would choose, without its cost on every run where it cannot choose
    anything: a scheduler set in dask's config, or an active dask.distributed client (none can exist while
    distributed is not imported; dask's own check would import it)."""
    if dask.config.config.get("scheduler") is None and "distributed" not in sys.modules:
        return None
    return dask.base.get_scheduler()


def compute(*collections, sizes=None, limit=None):
    """``dask.compute(*collections)`` on this executor, unless dask is set to run elsewhere (a scheduler in its
    config, an active dask.distributed client). ``sizes(dsk)``: the projected sizes of the values of the graph
    dask optimised (``projection.Sizes``), and ``limit(dsk, keys, sizes)`` the bytes the run is held to."""
    configured = configured_scheduler()
    if configured is not None or sizes is None:
        return dask.compute(*collections, scheduler=configured or get)

    def bounded(dsk, keys, **kwargs):
        if not isinstance(dsk, dict) or not all(isinstance(v, GraphNode) for v in dsk.values()):
            dsk = convert_legacy_graph(dsk if isinstance(dsk, Mapping) else dsk.__dask_graph__())
        s = sizes(dsk)
        return get(dsk, keys, sizes=s, limit=limit(dsk, keys, s), **kwargs)
    return dask.compute(*collections, scheduler=bounded)


def get(dsk, keys, num_workers=None, cache=None, sizes=None, limit=None):
    """Compute ``keys`` of ``dsk`` (a dict of dask task-spec nodes, or any dask graph) on a thread pool; values are
    freed as soon as their last user has run. Raises the first exception a task raises, after the tasks in flight
    end. Active dask diagnostics (ProgressBar, Profiler) see every task, as on dask's own schedulers.

    ``cache``: a dict kept by the caller for graphs of one fixed shape (a cached plan, whose runs change only the
    data of its leaves): the graph's structure and order are computed on its first run only. ``sizes`` (a function
    of a key: the bytes its value is projected to hold) and ``limit`` (bytes): a task starts only while what is in
    memory, what the tasks running reserved and what it needs fit in ``limit``, or when nothing else runs (the run
    must go on); without a limit, only the number of blocks read ahead is bounded."""
    if not isinstance(dsk, dict) or not all(isinstance(v, GraphNode) for v in dsk.values()):
        # a graph from dask.compute(..., scheduler=get): an expression or a legacy dict, as dask's get_async takes
        dsk = convert_legacy_graph(dsk if isinstance(dsk, Mapping) else dsk.__dask_graph__())
    n = num_workers or thread_count()
    shape = cache.get("shape") if cache is not None else None
    if shape is None:
        shape = _structure(dsk)
        if cache is not None:
            cache["shape"] = shape
    roots = None
    if sizes is not None:
        roots = cache.get("roots") if cache is not None else None
        if roots is None:
            roots = _data_roots(dsk, shape[0], sizes)
            if cache is not None:
                cache["roots"] = roots
    st = _State(dsk, keys, shape, sizes, _held_bytes, roots)
    cbs = watched(dsk, st.done)
    try:
        with blas_shared(n):
            _drive(st, n, limit, _Threads(dsk, n, cbs), cbs)
    except BaseException:
        if cbs is not None:
            cbs.finish(True)
        raise
    if cbs is not None:
        cbs.finish(False)
    return [st.cache[k] for k in keys]


def simulate(dsk, keys, sizes, n, limit=None, shape=None, cost=None):
    """The run ``get`` would make of ``dsk`` on ``n`` threads, with every task taking ``cost(key)`` time (default:
    in proportion to the bytes it reads and writes) and its value the bytes ``sizes`` projects: nothing runs.
    Returns the finished ``_State``: ``peak`` (bytes in memory and reserved at once), ``at`` (the task whose start
    reached it, and how many had started then), ``started``, ``biggest`` (the most one task needed)."""
    shape = shape or _structure(dsk)
    st = _State(dsk, keys, shape, sizes)
    _drive(st, n, limit, _Clock(st, cost), None)
    return st


class _Threads:
    """Tasks run on a thread pool; the only task that can run is called here, without a round trip through it."""

    def __init__(self, dsk, n, cbs):
        self.dsk, self.pool, self.cbs, self.running = dsk, _pool(n), cbs, {}

    def submit(self, k, args, alone):
        if self.cbs is not None:
            self.cbs.started(k)
        if not alone:
            self.running[self.pool.submit(_run, self.dsk[k], args)] = k
            return None
        value = _run(self.dsk[k], args)
        if self.cbs is not None:
            self.cbs.ended(k, value)
        return (value,)

    def wait(self):
        """``(key, value, error)`` of the tasks that end next."""
        done, _ = cf.wait(self.running, return_when=cf.FIRST_COMPLETED)
        out = []
        for fut in done:
            k = self.running.pop(fut)
            try:
                out.append((k, fut.result(), None))
            except BaseException as e:  # noqa: BLE001 - re-raised once the tasks in flight end
                out.append((k, None, e))
        return out


class _Clock:
    """Tasks that only take time: each ends ``cost(key)`` after it starts, its value the bytes it is projected to
    hold."""

    def __init__(self, st, cost=None):
        self.st, self.now, self.running, self.seq = st, 0.0, [], itertools.count()
        self.cost = cost or (lambda k: st.need(k) + sum(st.bytes.get(d, 0) for d in st.deps[k]) + 2**16)

    def submit(self, k, args, alone):
        heapq.heappush(self.running, (self.now + self.cost(k), next(self.seq), k))
        return None

    def wait(self):
        self.now, _, k = heapq.heappop(self.running)
        return [(k, None, None)]


def _drive(st, n, limit, tasks, cbs):
    """The executor's loop: start tasks while threads are free, in dask's order, with a root (a read of data)
    only when nothing else is ready (``_State.next_root`` picks which), at most ``2 n`` roots' values held at
    once, and within ``limit`` bytes; then wait for the next to end."""
    limit = float("inf") if limit is None else limit
    running, error = {}, None  # key -> bytes it reserved

    def ready():
        return st.ready or st.has_roots()
    while ready() and error is None or running:
        while error is None and len(running) < n and ready():
            if st.ready:
                k = st.ready[0][1]
                if running and not st.fits(k, limit):
                    break  # memory full: wait for a task to end
                heapq.heappop(st.ready)
            elif not running or len(st.live_roots) < 2 * n:
                k = st.next_root(full=len(st.live_roots) >= 2 * n or st.held + st.reserved >= limit)
                if running and not st.fits(k, limit):
                    st.push(k)  # a read that would not fit: again once a task ends
                    break
            else:
                break
            args = {d: st.cache[d] for d in st.deps[k]}
            need = st.start(k)
            alone = not running and not ready()
            try:
                got = tasks.submit(k, args, alone)
            except BaseException as e:  # noqa: BLE001 - raised below
                error = e
                break
            if got is None:
                running[k] = need
            else:  # ran here: the only task that could run (a chain)
                st.finish(k, got[0], need)
        if not running:
            continue
        for k, value, e in tasks.wait():
            need = running.pop(k)
            if e is not None or error is not None:
                error = error or e
                st.reserved -= need
                continue
            if cbs is not None:
                cbs.ended(k, value)
            st.finish(k, value, need)
    if error is not None:
        raise error


# -- the inline walk: a cached plan's tasks called directly, in a precomputed order

_LITERAL, _REF, _SEQ, _CALL = range(4)


def _spec(a):
    """How ``_value`` makes argument ``a`` of a task from the value cache: ``(kind, payload)``, or None for a
    graph node dask must evaluate itself."""
    if isinstance(a, TaskRef):
        return _REF, a.key
    if isinstance(a, Alias):
        return _REF, a.target
    if isinstance(a, DataNode):
        return _LITERAL, a.value
    if type(a) in (List, Tuple, Task):  # a list or tuple of arguments, or a call nested in a task
        args = [_spec(x) for x in a.args]
        kwargs = {k: _spec(v) for k, v in a.kwargs.items()}
        if None in args or None in kwargs.values():
            return None
        if type(a) is not Task:  # dask builds the container from the evaluated items: constructor(items)
            return _SEQ, (a.kwargs["constructor"], args)
        return _CALL, (a.func, args, kwargs)
    if isinstance(a, GraphNode):
        return None
    return _LITERAL, a


def _value(spec, cache):
    kind, v = spec
    if kind == _REF:
        return cache[v]
    if kind == _LITERAL:
        return v
    if kind == _SEQ:
        items = [_value(s, cache) for s in v[1]]
        return items if v[0] is list else v[0](items)
    func, args, kwargs = v
    return func(*[_value(s, cache) for s in args], **{k: _value(s, cache) for k, s in kwargs.items()})


def compile_task(node):
    """A function of the value cache computing ``node``. A task whose arguments are literals, references to other
    keys, data, or lists, tuples and calls of those, calls its function directly: plain ones (every argument a
    literal or a reference) through a flat table, the others through ``_value``; anything else goes through
    dask's own evaluation."""
    if isinstance(node, Alias):
        target = node.target
        return lambda cache: cache[target]
    if isinstance(node, DataNode):
        value = node.value
        return lambda cache: value
    if isinstance(node, Task):
        func = node.func
        args = [_spec(a) for a in node.args]
        kwargs = {k: _spec(v) for k, v in node.kwargs.items()}
        if None not in args and None not in kwargs.values():
            if all(k in (_LITERAL, _REF) for k, _ in args) and all(k == _LITERAL for k, _ in kwargs.values()):
                flat = [(k == _REF, v) for k, v in args]
                kw = {k: v for k, (_, v) in kwargs.items()}
                return lambda cache: func(*[cache[a] if ref else a for ref, a in flat], **kw)
            return lambda cache: func(*[_value(s, cache) for s in args],
                                      **{k: _value(s, cache) for k, s in kwargs.items()})
    deps = node.dependencies
    return lambda cache: node({d: cache[d] for d in deps})


def walk(order, leaves, out_keys, dsk=None):
    """Run a cached plan inline: ``order`` is its tasks in a precomputed order as ``(key, compile_task(node),
    keys it is the last user of)``, so each value is freed after its last use. numpy's floating-point warnings are
    off once for the whole run (every kernel would turn them off for itself). Active dask diagnostics see each task
    of ``dsk`` (the plan's graph)."""
    cache = dict(leaves)
    cbs = watched(dsk, leaves) if dsk is not None else None
    with quiet_tasks():
        if cbs is None:
            for key, run, frees in order:
                cache[key] = run(cache)
                for d in frees:
                    cache.pop(d, None)
            return [cache[k] for k in out_keys]
        try:
            for key, run, frees in order:
                cbs.started(key)
                cache[key] = run(cache)
                cbs.ended(key, cache[key])
                for d in frees:
                    cache.pop(d, None)
        except BaseException:
            cbs.finish(True)
            raise
    cbs.finish(False)
    return [cache[k] for k in out_keys]
