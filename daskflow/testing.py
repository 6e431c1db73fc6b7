"""Helpers for testing daskflow programs (and daskflow itself): run a graph-building function on numpy inputs
under several chunkings and compare with a numpy reference, checking that every result has the statically
inferred shape and dtype; and a family of streaming programs over zarr data, each with a piecewise numpy
reference, with a runner that measures a program's peak memory in a fresh process (``daskflow.streaming_family``,
re-exported here)."""
import contextlib
import contextvars
import itertools
import threading
import weakref

import dask
import dask.array as da
import numpy as np

from .graph import Graph
from .ops.state import placeholder
from .session import Session
from .streaming_family import (STREAMING_PROGRAMS, StreamingData, StreamingJob, StreamingProgram,
                               measure_streaming_program, run_streaming_program, streaming_program,
                               streaming_programs, write_streaming_data)

__all__ = ["chunkings", "run_graph", "assert_op", "raise_if_computes", "rand", "check_grads", "GradCase", "collect",
           "with_unknown_dims", "with_unknown_rank", "BlockCounter", "StreamingData", "write_streaming_data",
           "StreamingProgram", "StreamingJob", "STREAMING_PROGRAMS", "streaming_program", "streaming_programs",
           "measure_streaming_program", "run_streaming_program"]


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


def run_graph(build, *arrays, chunks=None, scheduler=None, feed_static_shape=True):
    """Build ``build(*placeholders)`` in a new graph and run it with ``arrays`` fed as dask arrays of ``chunks``,
    on ``scheduler`` (by default the default ``distributed.Client`` where one is set, as dask's own computations
    run there, else "sync").

    Each result is checked against its tensor's static shape and dtype. Returns the result (or a list).
    """
    if scheduler is None:
        from .executor import configured_scheduler
        client = getattr(configured_scheduler(), "__self__", None)
        scheduler = client if type(client).__name__ == "Client" else "sync"
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
        r = np.asarray(r, dtype=object) if t.dtype.kind == "O" else np.asarray(r)  # a scalar string is bytes
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


class GradCase:
    """One row of the gradient-check table: ``build(*tensors)`` on float64 inputs of ``shapes`` drawn uniformly
    from ``domain``; ``ops`` names the op types whose gradient rules the row checks."""

    def __init__(self, ops, build, shapes, domain=(-2.0, 2.0), order=1, chunked=True, seed=0, rtol=1e-5,
                 inputs=None):
        self.ops = {ops} if isinstance(ops, str) else set(ops)
        self.build, self.shapes, self.domain = build, [tuple(s) for s in shapes], domain
        self.order, self.chunked, self.seed, self.rtol, self.inputs = order, chunked, seed, rtol, inputs

    def arrays(self):
        if self.inputs is not None:
            return [np.asarray(a, dtype="float64") for a in self.inputs()]
        rng = np.random.default_rng(self.seed)
        return [rng.uniform(*self.domain, size=s) for s in self.shapes]

    def __repr__(self):
        return f"GradCase({'/'.join(sorted(self.ops))}, {self.shapes})"


def load_module(path):
    """The Python file at ``path`` as a module, without running its ``__main__`` part: how tests share the programs
    of a fixture script (written against a module ``tf``: TensorFlow when the script runs, daskflow in the tests) or
    run an example's ``main``."""
    import importlib.util
    import pathlib
    path = pathlib.Path(path)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class SweepCase:
    """One row of the shape sweep (tests/test_shape_sweep.py) for ops without a gradient: ``build(*tensors)`` on
    the given input arrays (any dtypes), forward only, run with placeholders of the arrays' shapes and again of
    unknown dims. With ``init``, ``build`` returns ``(outputs, ops)``: the ops (initializers) run first, with the
    same feeds. Test modules list theirs in ``SWEEP_CASES``."""

    def __init__(self, build, *arrays, name="", init=False):
        self.build, self.inputs, self.name, self.init = build, [np.asarray(a) for a in arrays], name, init

    def arrays(self):
        return self.inputs

    def __repr__(self):
        return f"SweepCase({self.name}, {[a.shape for a in self.inputs]})"


def _projected(build, n_in, seed):
    """A scalar function of the inputs: ``sum(build(*xs) * u)`` for a fixed random ``u`` per output."""
    from .ops.math import multiply
    from .ops.reduce import reduce_sum
    from .ops.state import constant

    def f(*xs):
        out = build(*xs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        rng = np.random.default_rng(seed + 1)
        total = None
        for o in outs:
            u = constant(rng.uniform(0.5, 1.5, size=tuple(o.shape)).astype(o.dtype))
            term = reduce_sum(multiply(o, u))
            total = term if total is None else total + term
        return total
    return f


def check_grads(build, arrays, order=1, eps=1e-6, rtol=1e-5, atol=1e-8, chunks=None, seed=0):
    """Check ``df.gradients`` of ``build`` at ``arrays`` (float64) against central finite differences.

    One random direction per check (as jax's ``check_grads``): with ``L = sum(build(*x) * u)``, compares
    ``<dL/dx, v>`` with ``(L(x + eps v) - L(x - eps v)) / (2 eps)``. ``order=2`` also checks the gradient of
    ``<dL/dx, w>`` (gradients of gradients). ``chunks`` feeds the inputs as dask arrays of those chunkings.
    """
    from .autodiff import gradients
    arrays = [np.asarray(a, dtype="float64") for a in arrays]
    f = _projected(build, len(arrays), seed)
    rng = np.random.default_rng(seed + 2)
    v = [rng.standard_normal(a.shape) for a in arrays]

    def value_and_grads(*ph):
        loss = f(*ph)
        return [loss] + gradients(loss, list(ph), unconnected_gradients="zero")

    got = run_graph(value_and_grads, *arrays, chunks=chunks)
    grads = got[1:]
    analytic = sum(float(np.vdot(g, d)) for g, d in zip(grads, v))
    plus = run_graph(lambda *ph: f(*ph), *[a + eps * d for a, d in zip(arrays, v)])
    minus = run_graph(lambda *ph: f(*ph), *[a - eps * d for a, d in zip(arrays, v)])
    numeric = (float(plus) - float(minus)) / (2 * eps)
    if not np.isclose(analytic, numeric, rtol=rtol, atol=atol + rtol * float(np.abs(got[0]))):
        raise AssertionError(f"gradient mismatch: analytic <grad, v> = {analytic!r}, numeric = {numeric!r}")
    if order >= 2:
        w = [rng.standard_normal(a.shape) for a in arrays]
        from .ops.reduce import reduce_sum
        from .ops.state import constant

        def inner(*xs):
            gs = gradients(f(*xs), list(xs))
            terms = [reduce_sum(g * constant(wi)) for g, wi in zip(gs, w) if g is not None]
            return terms[0] if len(terms) == 1 else sum(terms[1:], terms[0])
        check_grads(inner, arrays, order=order - 1, eps=eps, rtol=rtol * 10, atol=atol * 10, chunks=chunks,
                    seed=seed + 3)


def collect(paths, attr):
    """The values of module attribute ``attr`` in each Python file of ``paths`` that assigns it at top level (other
    files are not imported): how registry-wide tests gather per-file tables such as ``GRAD_CASES``."""
    import importlib.util
    import pathlib
    import re
    found = []
    for path in map(pathlib.Path, paths):
        if not re.search(rf"^{re.escape(attr)}\s*=", path.read_text(), re.MULTILINE):
            continue
        spec = importlib.util.spec_from_file_location(f"_collected_{path.parent.name}_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if hasattr(mod, attr):
            found.append(getattr(mod, attr))
    return found


def with_unknown_dims(build, rank=False):
    """``build`` applied to its inputs with every static dim made unknown (as placeholders of shape (None, ...)
    give), or with ``rank`` their rank too; its result is reshaped back to the shape ``build`` gives on the inputs
    as they are. For checking that gradient rules work when shapes are only known at run time."""
    from .ops.array import reshape
    from .ops.generate import shape as shape_of
    from .ops.state import placeholder_with_default

    def f(*xs):
        static = build(*xs)  # built only for its shape: not on the path to the loss, never computed
        shape = static.shape if static.shape.is_fully_defined() else shape_of(static)
        return reshape(build(*[placeholder_with_default(x, None if rank else [None] * x.shape.ndims) for x in xs]),
                       shape)
    return f


def with_unknown_rank(build):
    """``with_unknown_dims`` with the inputs' ranks unknown too."""
    return with_unknown_dims(build, rank=True)


class BlockCounter:
    """An array-like source (for ``da.from_array(..., asarray=False)``) that counts the blocks read from it
    (``reads``) and the most of them alive at once (``peak``): a block counts until its last reference is gone.
    For checking that a run streams, holding a few blocks whatever the data size."""

    def __init__(self, x):
        self.x, self.shape, self.dtype, self.ndim = x, x.shape, x.dtype, x.ndim
        self.live = self.peak = self.reads = 0
        self.lock = threading.Lock()

    def _freed(self):
        with self.lock:
            self.live -= 1

    def __getitem__(self, idx):
        out = np.array(self.x[idx])
        with self.lock:
            self.live += 1
            self.reads += 1
            self.peak = max(self.peak, self.live)
        weakref.finalize(out, self._freed)
        return out


def held_bytes(client, settled=None):
    """Bytes of the values ``client``'s cluster holds; with ``settled``, once that many are held (releasing is
    asynchronous), or after 10 s."""
    import time

    def held():
        return client.run_on_scheduler(
            lambda dask_scheduler: sum(ts.nbytes for ts in dask_scheduler.tasks.values() if ts.state == "memory"))
    deadline = time.monotonic() + 10
    n = held()
    while settled is not None and n != settled and time.monotonic() < deadline:
        time.sleep(0.05)
        n = held()
    return n


@contextlib.contextmanager
def client_received(client):
    """Counts the bytes of the messages this process reads on its comms to ``client``'s scheduler (a list of one
    int): what the client receives. A LocalCluster's scheduler runs in this process too; what it reads (from the
    client, from the workers) comes on other comms and is not counted."""
    import distributed.comm.tcp as tcp
    scheduler = client.scheduler.address
    counted, reading = [0], contextvars.ContextVar("reading", default=False)
    read, from_frames = tcp.TCP.read, tcp.from_frames

    async def counting_read(comm, *args, **kwargs):
        reading.set(comm.peer_address == scheduler)
        return await read(comm, *args, **kwargs)

    async def counting_from_frames(frames, *args, **kwargs):
        if reading.get():
            counted[0] += sum(memoryview(f).nbytes for f in frames)
        return await from_frames(frames, *args, **kwargs)
    tcp.TCP.read, tcp.from_frames = counting_read, counting_from_frames
    try:
        yield counted
    finally:
        tcp.TCP.read, tcp.from_frames = read, from_frames


def adam_mlp(d, h, k, scale=0.05, learning_rate=1e-3, seed=0):
    """A d-h-k ReLU perceptron trained by Adam on fed ``x`` (float32) and labels ``y`` (int64): returns
    ``x, y, [W1, b1, W2, b2], loss, train``."""
    from .ops.state import Variable
    import daskflow as df
    rng = np.random.default_rng(seed)
    x = placeholder(df.float32, [None, d], name="x")
    y = placeholder(df.int64, [None], name="y")
    W1 = Variable((rng.standard_normal((d, h)) * scale).astype("f4"), name="W1")
    b1 = Variable(np.zeros(h, "f4"), name="b1")
    W2 = Variable((rng.standard_normal((h, k)) * scale).astype("f4"), name="W2")
    b2 = Variable(np.zeros(k, "f4"), name="b2")
    logits = df.matmul(df.nn.relu(df.matmul(x, W1) + b1), W2) + b2
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = df.train.AdamOptimizer(learning_rate).minimize(loss)
    return x, y, [W1, b1, W2, b2], loss, train
