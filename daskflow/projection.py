"""The memory model of a run: how many bytes each task's value holds, and the peak of a whole run.

A run's peak is projected by running the executor's own scheduling (``executor.simulate``) on the plan's task graph
with each task's value replaced by its projected size: the blocks alive at once under the executor's order, its
threads and its backpressure, plus what each running task needs (its output and one temporary the size of its
largest block). The executor then keeps a real run within that projection (a task starts only when it fits, or
when nothing else runs), so the projection is a bound by construction, not an estimate for one graph's shape.

Sizes come from the chunks of the arrays the lowering made (exact for every op's outputs) and, for the layers dask
makes inside an op, from the chunks dask records on each layer. Two of dask's records are corrected here: the first
layer of a tree reduction is recorded with its input's chunks while its blocks hold the partial results (as big as
the reduction's own blocks, up to three arrays of them for mean and variance), and the tasks ``da.store`` makes
return nothing. A key of no recorded layer (the pieces of a rechunk, a join of several blocks) holds at most the
blocks it is made from. Data given with the graph (in-memory feeds, variables, constants) is already in memory
before the run: it adds nothing.
"""
import math
import re

from dask._task_spec import DataNode
from dask.blockwise import Blockwise
from dask.highlevelgraph import HighLevelGraph

from . import executor, planner

__all__ = ["Sizes", "Projection", "project", "project_walk", "compute"]

RECORD_BYTES = 512  # what a run's records of one task take (its entries in the executor's tables), the run long
TASK_BYTES = 96 * 2**10  # what any running task holds beyond its blocks: Python objects, codecs' and kernels' scratch
WRITE_BYTES = 2**20  # what a write to storage holds beyond its block: the codec's context and the encoded chunk
_STORE = re.compile(r"store-")  # what da.store's tasks return: nothing, or empty blocks
_TREE = re.compile(r"-(partial|aggregate)-[0-9a-f]+$")  # the layers of dask's tree reductions after the first


class Sizes:
    """The projected bytes of the value of each key of a lowered graph.

    ``layers``/``deps``: the graph's layers by name and their dependencies; ``blocks``: array name -> (chunks,
    dtype) of arrays whose chunks are known exactly (an op's outputs, leaves); ``dsk``: the task graph run, for keys
    of no recorded layer."""

    def __init__(self, layers, deps, blocks, dsk=None, scratch=None):
        self.info = {}
        users = {}
        for name, ds in deps.items():
            for d in ds:
                users.setdefault(d, []).append(name)
        for name, layer in layers.items():
            got = blocks.get(name)
            if got is None:
                ann = getattr(layer, "collection_annotations", None) or {}
                if "chunks" not in ann or "dtype" not in ann:
                    continue
                got = (ann["chunks"], ann["dtype"])
            self.info[name] = (got[0], got[1].itemsize, None)
        for name in blocks.keys() - self.info.keys():
            chunks, dtype = blocks[name]
            self.info[name] = (chunks, dtype.itemsize, None)
        self.packed = {}
        for name, layer in layers.items():
            after = users.get(name, ())
            outs = re.compile(r".+-\d+-" + re.escape(name) + "$")
            if after and all(outs.match(u) for u in after):  # a kernel's tuple of outputs, taken apart by its users
                self.packed[name] = sum(self._biggest(u) for u in after)
            elif isinstance(layer, Blockwise) and name in self.info and after and all(_TREE.search(u) for u in after):
                cap = 3 * max((self._biggest(u) for u in after), default=0)
                chunks, itemsize, _ = self.info[name]
                self.info[name] = (chunks, itemsize, cap)
        self.dsk = dsk
        self.memo, self.needs = {}, {}
        self.scratch = dict(scratch or {})  # layer name -> temporaries its tasks make, in blocks, where not 2
        self.inner = self._fused(layers, deps, dsk) if dsk is not None else {}

    def _fused(self, layers, deps, dsk):
        """Per task name of ``dsk``, the biggest block made inside its tasks by the layers fused into them (a
        storage read fused into the product that consumes it): the graph's layers no task of ``dsk`` is named
        after, reached from it without passing a layer that is."""
        final = {k[0] if isinstance(k, tuple) else k for k in dsk}
        known = {self._resolve(n) for n in final}
        inner = {}
        for name in final:
            stack, seen, big = list(deps.get(self._resolve(name), ())), set(), 0
            while stack:
                d = stack.pop()
                if d in seen or d in final or d in known:
                    continue
                seen.add(d)
                if not (isinstance(d, str) and _STORE.match(d)):
                    big = max(big, self._biggest(d))
                if d in self.scratch:
                    self.scratch[self._resolve(name)] = max(self.scratch[d], self.scratch.get(self._resolve(name), 2))
                stack.extend(deps.get(d, ()))
            if big:
                inner[self._resolve(name)] = big
        return inner

    fixed = TASK_BYTES
    per_task = RECORD_BYTES

    def need(self, key, inputs):
        """Projected bytes task ``key`` adds while it runs, given the bytes of its ``inputs`` in memory: its output,
        its temporaries, and what any task holds beyond its blocks (``fixed``). Temporaries are counted in blocks
        of the task's largest block (an input, its output, or a block made by a layer fused into it): as many as
        the op that made it declares (``OpDef.scratch``, two by default: numpy makes a new array per operation),
        and for a read of data (a task of nothing but data in the graph) one, the bytes read (decoded into the
        output); a write to storage holds ``WRITE_BYTES`` more."""
        got = self.needs.get(key)
        if got is None:
            out = self(key)
            name = self._resolve(key[0] if isinstance(key, tuple) else key)
            scratch = self.scratch.get(name, 2)
            inner = self.inner.get(name, 0)
            if not inner and self._reads(key):
                scratch = 1
            extra = WRITE_BYTES if isinstance(name, str) and _STORE.match(name) else 0
            got = self.needs[key] = (out + extra, scratch, max(out, inner))
        out, scratch, least = got
        return out + scratch * max(least, max(inputs, default=0)) + self.fixed

    def _reads(self, key):
        node = self.dsk.get(key) if self.dsk is not None else None
        return node is not None and all(type(self.dsk.get(d)).__name__ == "DataNode" for d in node.dependencies)

    def _biggest(self, name):
        got = self.info.get(name)
        if got is None:
            return 0
        chunks, itemsize, _ = got
        return itemsize * math.prod(max((c for c in cs if not math.isnan(c)), default=0) for cs in chunks)

    def _resolve(self, name):
        """The recorded layer a task name stands for: itself, or for a layer dask fused from several (named
        ``a-b-c-<token>``), the last of them (``c-<token>``), whose blocks it makes."""
        if name in self.info or not isinstance(name, str):
            return name
        parts = name.split("-")
        for i in range(1, len(parts) - 1):
            cand = "-".join(parts[i:])
            if cand in self.info:
                return cand
        return name

    def __call__(self, key):
        got = self.memo.get(key)
        if got is not None:
            return got
        name = self._resolve(key[0] if isinstance(key, tuple) else key)
        if name in self.packed:
            self.memo[key] = self.packed[name]
            return self.packed[name]
        info = None if isinstance(name, str) and _STORE.match(name) else self.info.get(name)
        n = None
        if info is not None:
            chunks, itemsize, cap = info
            idx = key[1:] if isinstance(key, tuple) else ()
            if len(idx) == len(chunks) and all(isinstance(i, int) and 0 <= i < len(c) for i, c in zip(idx, chunks)):
                dims = [c[i] for i, c in zip(idx, chunks)]
                if not any(isinstance(d, float) and math.isnan(d) for d in dims):
                    n = itemsize * math.prod(int(d) for d in dims)
                    if cap is not None:
                        n = min(n, cap)
        if n is None:
            n = self._derived(key, name)
        self.memo[key] = n
        return n

    def _derived(self, key, name):
        """A key of no recorded layer: what ``da.store`` writes returns nothing; anything else holds at most the
        blocks it is made from."""
        if isinstance(name, str) and _STORE.match(name):
            return 0
        node = self.dsk.get(key) if self.dsk is not None else None
        if node is None:
            return 0
        # iteratively: chains of such keys (pieces of pieces) are followed without recursion
        todo, order = [key], []
        while todo:
            k = todo.pop()
            if k in self.memo or k in order:
                continue
            order.append(k)
            nd = self.dsk.get(k)
            for d in (nd.dependencies if nd is not None else ()):
                dn = d[0] if isinstance(d, tuple) else d
                if d not in self.memo and dn not in self.info:
                    todo.append(d)
        for k in reversed(order):
            if k == key:
                continue
            self(k)
        return sum(self(d) for d in node.dependencies)


class Projection:
    """The projected peak of a run: ``peak`` bytes in use at once (values in memory and what running tasks need,
    ``graph_peak``, plus what state on the host holds, ``host``), reached when task ``key`` started, the
    ``step``-th of ``steps`` tasks; ``limit``: the bytes the simulated run was held to."""

    def __init__(self, peak, key, step, steps, limit, host=0):
        self.peak, self.key, self.step, self.steps, self.limit = int(peak) + host, key, step, steps, limit
        self.graph_peak, self.host = int(peak), host  # the task graph's share, and what host state holds

    def plus(self, host):
        """This projection with ``host`` bytes more held by state on the host (an input pipeline's buffers)."""
        return Projection(self.graph_peak, self.key, self.step, self.steps, self.limit, self.host + host)

    def moment(self):
        return f"task {self.step} of {self.steps}" + (f" ({self.key!r} starting)" if self.key is not None else "")

    def __repr__(self):
        return f"<Projection {planner.format_bytes(self.peak)} at {self.moment()}>"


def project(dsk, keys, sizes, n, limit=None, shape=None):
    """The projected peak of ``executor.get`` running ``keys`` of ``dsk`` on ``n`` threads within ``limit``: the
    peak of the simulated run, plus room for one more task (the most any task needs) when there is more than one
    thread, as tasks on threads end in an order no simulation foresees; the executor is then held to it."""
    if shape is None:
        dsk = _with_held(dsk)
    st = executor.simulate(dsk, keys, sizes, n, limit, shape)
    key, step = st.at if st.at is not None else (None, 0)
    return Projection(st.peak + (st.biggest if n > 1 else 0), key, step, st.started, limit)


def _with_held(dsk):
    """``dsk`` with the values its tasks read from outside it (blocks a cluster holds: futures) as data."""
    held = {d for node in dsk.values() for d in node.dependencies if d not in dsk}
    if not held:
        return dsk
    out = dict(dsk)
    out.update((k, DataNode(k, None)) for k in held)
    return out


def project_walk(order, sizes, out_keys, dsk):
    """The projected peak of the inline walk of ``order`` (``(key, run, keys freed after it)``, as
    ``executor.walk`` takes it) over graph ``dsk``: each task's output and one temporary the size of its largest
    block, on top of the values held."""
    held, peak, at, kept = sizes.per_task * len(order), 0, (None, 0), set(out_keys)
    live = {}
    for step, (key, _, frees) in enumerate(order, 1):
        out = sizes(key)
        need = sizes.need(key, [live.get(d, 0) for d in dsk[key].dependencies])
        if held + need > peak:
            peak, at = held + need, (key, step)
        live[key] = out
        held += out
        for d in frees:
            if d not in kept:
                held -= live.pop(d, 0)
    return Projection(peak, at[0], at[1], len(order), None)


def compute(*arrays):
    """``dask.compute(*arrays)`` (dask arrays) on daskflow's executor, held to the projection of the run within
    ``run_bytes``, as a Session's runs are: the reads of storage a Dataset makes."""
    graph = HighLevelGraph.merge(*[a.__dask_graph__() for a in arrays])
    blocks = {a.name: (a.chunks, a.dtype) for a in arrays}

    def limit(dsk, keys, sizes):
        return project(dsk, keys, sizes, planner.run_threads(), planner.run_bytes()).peak
    return executor.compute(*arrays, sizes=lambda dsk: Sizes(graph.layers, graph.dependencies, blocks, dsk),
                            limit=limit)
