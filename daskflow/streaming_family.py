"""A family of streaming programs over zarr data, written the ways users write them, each with a numpy reference
read one storage chunk at a time; and a runner that measures a program's peak memory in a fresh process. The
memory guarantee of streaming runs (``daskflow.projection``) is tested, and benchmarked, over this family.
Re-exported by ``daskflow.testing``."""
import abc
import concurrent.futures
import ctypes
import ctypes.util
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import dask
import numpy as np

import daskflow as df

from .graph import Graph
from .session import Session

__all__ = ["StreamingData", "write_streaming_data", "StreamingProgram", "StreamingJob", "STREAMING_PROGRAMS",
           "streaming_program", "streaming_programs", "measure_streaming_program", "run_streaming_program"]

# -- a family of streaming programs over zarr data, each with a numpy reference read one storage chunk at a time

class StreamingData:
    """The data of the streaming programs, a zarr group: ``X`` (rows x features, float32, standard normal), ``y``
    (rows, float32 labels 0 or 1 of a noisy linear model of X) and ``classes`` (rows, int32 in 0..9, of a noisy
    linear model of X), all stored in chunks of ``chunk_rows`` rows.

    Parameters
    ----------
    group : str, os.PathLike or zarr.Group
        The store ``write_streaming_data`` wrote (or a group of the same arrays).
    """

    def __init__(self, group):
        import zarr
        self.path = None if isinstance(group, zarr.Group) else os.fspath(group)
        g = group if self.path is None else zarr.open_group(self.path, mode="r")
        self.X, self.y, self.classes = g["X"], g["y"], g["classes"]
        self.rows, self.features = self.X.shape
        self.chunk_rows = self.X.chunks[0]

    @property
    def nbytes(self):
        return self.X.nbytes + self.y.nbytes + self.classes.nbytes

    def blocks(self):
        """``(X, y, classes)`` of each storage chunk in turn, X and y as float64."""
        for a in range(0, self.rows, self.chunk_rows):
            b = min(a + self.chunk_rows, self.rows)
            yield self.X[a:b].astype(np.float64), self.y[a:b].astype(np.float64), self.classes[a:b]

    def head(self, rows):
        """The first ``rows`` rows, copied to a zarr group in memory, chunked as this data."""
        import zarr
        g = zarr.open_group(zarr.storage.MemoryStore(), mode="w")
        for name in ("X", "y", "classes"):
            a = getattr(self, name)
            g.create_array(name, shape=(rows,) + a.shape[1:], chunks=a.chunks, dtype=a.dtype)[...] = a[:rows]
        return StreamingData(g)

    def __repr__(self):
        return f"<StreamingData {self.rows} x {self.features} in chunks of {self.chunk_rows} rows at {self.path}>"


def write_streaming_data(path, rows, features, chunk_rows, seed=0, compressors="auto"):
    """Write the data of the streaming programs (see ``StreamingData``) to a zarr group at ``path``, one chunk at
    a time (on a thread per core), and open it.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write the group (replaced if it exists).
    rows, features : int
        The shape of X.
    chunk_rows : int
        Rows of each storage chunk.
    seed : int
        The same seed and sizes give the same data.
    compressors : optional
        zarr's compressors of the arrays (``create_array``'s); None stores them raw, quicker to write and read.

    Returns
    -------
    StreamingData

    Examples
    --------
    >>> import os, tempfile
    >>> from daskflow.testing import write_streaming_data
    >>> data = write_streaming_data(os.path.join(tempfile.mkdtemp(), "d.zarr"), 1000, 8, 256)
    >>> data.X.shape, data.X.chunks, int(data.classes[:].max()) <= 9
    ((1000, 8), (256, 8), True)
    """
    import zarr
    g = zarr.open_group(os.fspath(path), mode="w")
    X, y, classes = (g.create_array(name, shape=(rows,) + shape, chunks=(chunk_rows,) + shape, dtype=dtype,
                                    compressors=compressors)
                     for name, shape, dtype in (("X", (features,), "f4"), ("y", (), "f4"), ("classes", (), "i4")))
    models = (np.random.default_rng(seed).standard_normal((features, 11)) / np.sqrt(features)).astype(np.float32)

    def write(a):
        b = min(a + chunk_rows, rows)
        rng = np.random.default_rng([seed, a])
        x = rng.standard_normal((b - a, features), dtype=np.float32)
        z = x @ models + rng.standard_normal((b - a, 11), dtype=np.float32) * 0.5
        X[a:b], y[a:b], classes[a:b] = x, z[:, 0] > 0, np.argmax(z[:, 1:], axis=1)
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(write, range(0, rows, chunk_rows)))
    return StreamingData(path)


class StreamingJob:
    """A streaming program built in a graph: ``plan(session)`` gives the ``RunPlan`` of its run in ``session``
    (leaving the session's iterators unstarted), and ``run(session)`` runs it, giving its values (a dict) as
    ``StreamingProgram.reference`` does."""

    def __init__(self, fetches):
        self.fetches = fetches

    def plan(self, session):
        return session.plan(self.fetches)

    def run(self, session):
        return session.run(self.fetches)


class _ToZarr(StreamingJob):
    def __init__(self, name, tensor, path):
        self.name, self.tensor, self.path = name, tensor, path

    def plan(self, session):
        return df.io.plan_to_zarr(self.tensor, session=session)

    def run(self, session):
        return {self.name: df.io.to_zarr(self.tensor, self.path, session=session, overwrite=True)}


class _Epoch(StreamingJob):
    def __init__(self, train, loss, variables):
        self.train, self.loss, self.variables = train, loss, variables

    def plan(self, session):
        # planning a step looks at the iterator's next element, which starts the iterator and fills its shuffle
        # buffer: done in another session, so that the run in this one starts from nothing
        with Session(graph=session.graph, scheduler=session._client or session.scheduler) as other:
            other.run(df.global_variables_initializer())
            return other.plan([self.train, self.loss])

    def run(self, session):
        losses = []
        while True:
            try:
                losses.append(session.run([self.train, self.loss])[1])
            except df.errors.OutOfRangeError:
                break
        out = dict(zip([v.op.name for v in self.variables], session.run(self.variables)))
        out.update(steps=len(losses), first_loss=losses[0], last_loss=losses[-1])
        return out


class StreamingProgram(abc.ABC):
    """One program of the streaming family: a graph over the zarr data of a ``StreamingData``, written as users
    write it, and a numpy reference for its values that reads the storage one chunk at a time and accumulates in
    float64.

    ``build(data, out)`` builds the program in the default graph (writing any output under the directory
    ``out``, default a new temporary one) and returns a ``StreamingJob``; ``reference(data)`` gives the values
    the job's ``run`` should; ``errors(got, want)`` the error of each value relative to the largest magnitude of
    its reference, all within ``tolerance`` when the run is right. Programs over the whole data fetch ``"loss"`` and its gradients with
    respect to the variables (``"grad/<variable>"``). ``options`` (``streaming_program(name, **options)``)
    remake the program elsewhere, e.g. in another process.
    """

    name = None
    tolerance = 1e-4

    def __init__(self, **options):
        self.options = options

    def build(self, data, out=None):
        X, y, classes = (df.data.from_zarr(a, name=n) for n, a in
                         (("X", data.X), ("y", data.y), ("classes", data.classes)))
        return StreamingJob(self.fetches(X, y, classes))

    def fetches(self, X, y, classes):
        """The fetches of a run over the whole data (a dict), built from the data's tensors; programs that are not
        one run over the whole data override ``build`` instead."""
        raise TypeError(f"streaming program '{self.name}' builds its own job")

    @abc.abstractmethod
    def reference(self, data):
        """The values the program's run gives, by numpy, reading ``data`` one storage chunk at a time."""

    def errors(self, got, want):
        return {k: _relative_error(got[k], want[k]) for k in want}

    def __repr__(self):
        return f"<StreamingProgram {self.name}{' ' + repr(self.options) if self.options else ''}>"


def _relative_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return float("inf")
    return float(np.max(np.abs(got - want), initial=0.0) / max(np.max(np.abs(want), initial=0.0), 1e-30))


def _init(shape, seed, scale=0.3):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _with_gradients(loss, variables):
    grads = df.gradients(loss, variables)
    return dict({"loss": loss}, **{f"grad/{v.op.name}": g for v, g in zip(variables, grads)})


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _logistic(y, z):
    """The sum of the sigmoid cross-entropy of logits ``z`` against labels ``y``, and the residuals
    ``sigmoid(z) - y`` (its gradient with respect to ``z``)."""
    return np.sum(np.logaddexp(0, z) - z * y), _sigmoid(z) - y


class _Logistic(StreamingProgram):
    """Logistic regression: ``"1d"`` has w of shape (d, 1) and logits ``X @ w + b`` reshaped to 1-D as y;
    ``"2d"`` has w of shape (d,) reshaped to (d, 1) and y reshaped to (N, 1); ``"sliced"`` has logits
    ``z[:, 0]`` of ``z = X @ reshape(w, (-1, 1)) + b``."""

    def __init__(self, shape):
        super().__init__()
        self.name, self.shape = f"logistic_{shape}", shape

    def fetches(self, X, y, classes):
        d = X.shape[1]
        w = df.Variable(_init((d, 1) if self.shape == "1d" else (d,), 1), name="w")
        b = df.Variable(np.float32(0.1), name="b")
        if self.shape == "1d":
            logits, labels = df.reshape(df.matmul(X, w) + b, [-1]), y
        else:
            z = df.matmul(X, df.reshape(w, (-1, 1))) + b
            logits, labels = (z, df.reshape(y, (-1, 1))) if self.shape == "2d" else (z[:, 0], y)
        return _with_gradients(df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)),
                               [w, b])

    def reference(self, data):
        w, loss, gw, gb = _init((data.features,), 1).astype(np.float64), 0.0, 0.0, 0.0
        for x, y, _ in data.blocks():
            part, r = _logistic(y, x @ w + np.float32(0.1))
            loss, gw, gb = loss + part, gw + x.T @ r, gb + r.sum()
        n = data.rows
        return {"loss": loss / n, "grad/w": gw.reshape(-1, 1) / n if self.shape == "1d" else gw / n, "grad/b": gb / n}


class _Softmax(StreamingProgram):
    """Softmax regression over the 10 ``classes``: ``X @ W + b``, mean sparse softmax cross-entropy."""
    name = "softmax"

    def fetches(self, X, y, classes):
        W = df.Variable(_init((X.shape[1], 10), 2), name="W")
        b = df.Variable(_init((10,), 3), name="b")
        logits = df.matmul(X, W) + b
        return _with_gradients(df.reduce_mean(
            df.nn.sparse_softmax_cross_entropy_with_logits(labels=classes, logits=logits)), [W, b])

    def reference(self, data):
        W, b = (_init(s, k).astype(np.float64) for s, k in (((data.features, 10), 2), ((10,), 3)))
        loss, gW, gb = 0.0, 0.0, 0.0
        for x, _, c in data.blocks():
            z = x @ W + b
            m = z.max(axis=1)
            lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
            rows = np.arange(len(c))
            loss += np.sum(lse - z[rows, c])
            p = np.exp(z - lse[:, None])
            p[rows, c] -= 1
            gW, gb = gW + x.T @ p, gb + p.sum(0)
        n = data.rows
        return {"loss": loss / n, "grad/W": gW / n, "grad/b": gb / n}


class _MLP(StreamingProgram):
    """A 2-layer perceptron, d-64-1 with ReLU, sigmoid cross-entropy against y reshaped to (N, 1)."""
    name = "mlp"

    def _weights(self, d):
        return [_init((d, 64), 4, np.sqrt(2 / d)), _init((64,), 5, 0.1), _init((64, 1), 6, 0.125), _init((1,), 7)]

    def fetches(self, X, y, classes):
        W1, b1, W2, b2 = (df.Variable(v, name=n) for v, n in zip(self._weights(X.shape[1]), ("W1", "b1", "W2", "b2")))
        h = df.nn.relu(df.matmul(X, W1) + b1)
        z = df.matmul(h, W2) + b2
        loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=df.reshape(y, (-1, 1)), logits=z))
        return _with_gradients(loss, [W1, b1, W2, b2])

    def reference(self, data):
        W1, b1, W2, b2 = (v.astype(np.float64) for v in self._weights(data.features))
        loss, g = 0.0, [0.0] * 4
        for x, y, _ in data.blocks():
            a = x @ W1 + b1
            h = np.maximum(a, 0)
            part, r = _logistic(y[:, None], h @ W2 + b2)
            ra = (r @ W2.T) * (a > 0)  # the residuals at the hidden layer's input
            loss += part
            g = [gi + p for gi, p in zip(g, (x.T @ ra, ra.sum(0), h.T @ r, r.sum(0)))]
        n = data.rows
        return dict({"loss": loss / n}, **{f"grad/{k}": gi / n for k, gi in zip(("W1", "b1", "W2", "b2"), g)})


class _Standardised(StreamingProgram):
    """Least squares on X standardised by its column means and variances (``df.nn.moments``): two passes over
    X, one for the moments and one for the loss."""
    name = "standardised"

    def fetches(self, X, y, classes):
        w = df.Variable(_init((X.shape[1], 1), 8), name="w")
        mean, var = df.nn.moments(X, axes=[0])
        z = df.matmul((X - mean) / df.sqrt(var + 1e-6), w)
        return _with_gradients(df.reduce_mean(df.square(df.reshape(z, [-1]) - y)), [w])

    def reference(self, data):
        s1, s2 = 0.0, 0.0
        for x, _, _ in data.blocks():
            s1, s2 = s1 + x.sum(0), s2 + (x * x).sum(0)
        n = data.rows
        mean = s1 / n
        scale = np.sqrt(s2 / n - mean * mean + 1e-6)
        w, loss, gw = _init((data.features, 1), 8).astype(np.float64)[:, 0], 0.0, 0.0
        for x, y, _ in data.blocks():
            xs = (x - mean) / scale
            r = xs @ w - y
            loss, gw = loss + r @ r, gw + xs.T @ (2 * r)
        return {"loss": loss / n, "grad/w": gw[:, None] / n}


class _Gram(StreamingProgram):
    """The Gram matrix ``X^T X``."""
    name = "gram"

    def fetches(self, X, y, classes):
        return {"gram": df.matmul(X, X, transpose_a=True)}

    def reference(self, data):
        return {"gram": sum(x.T @ x for x, _, _ in data.blocks())}


class _Predictions(StreamingProgram):
    """Predicted probabilities ``sigmoid(X @ w + b)`` of every row, written with ``df.io.to_zarr``."""
    name = "predictions"

    def build(self, data, out=None):
        out = out or tempfile.mkdtemp(prefix="daskflow-predictions-")
        X = df.data.from_zarr(data.X, name="X")
        w, b = df.Variable(_init((data.features, 1), 9), name="w"), df.Variable(np.float32(-0.2), name="b")
        p = df.sigmoid(df.reshape(df.matmul(X, w) + b, [-1]))
        return _ToZarr("predictions", p, os.path.join(out, "predictions.zarr"))

    def reference(self, data):
        w = _init((data.features, 1), 9).astype(np.float64)[:, 0]
        return {"predictions": np.concatenate([_sigmoid(x @ w + np.float32(-0.2)) for x, _, _ in data.blocks()])}


class _RowNumbers:
    """Row numbers 0..n-1 as a storage source chunked as the data, for replaying a shuffle's order."""

    def __init__(self, n, chunk_rows):
        self.shape, self.dtype, self.ndim, self.chunks = (n,), np.dtype(np.int64), 1, (chunk_rows,)

    def __getitem__(self, idx):
        return np.arange(self.shape[0])[idx]


class _SGDEpoch(StreamingProgram):
    """One epoch of mini-batch SGD on logistic regression over ``Dataset.from_tensor_slices((X, y))`` of the zarr
    arrays, shuffled (seeded) and batched, through a one-shot iterator; gives the final variables, the number of
    steps and the losses of the first and last batches.

    The reference replays the epoch in float64 in the same order: a shuffle's order follows from its seed and the
    row blocks it reads (the storage chunks of X), so the same pipeline over row numbers chunked as X gives it."""
    name = "sgd_epoch"
    tolerance = 1e-3

    def __init__(self, batch_size=512, buffer_size=2048, learning_rate=0.5, seed=7):
        super().__init__(batch_size=batch_size, buffer_size=buffer_size, learning_rate=learning_rate, seed=seed)

    def _pipeline(self, arrays):
        o = self.options
        return df.data.Dataset.from_tensor_slices(arrays).shuffle(o["buffer_size"], seed=o["seed"]).batch(
            o["batch_size"])

    def build(self, data, out=None):
        xb, yb = self._pipeline((data.X, data.y)).make_one_shot_iterator().get_next()
        w, b = df.Variable(_init((data.features, 1), 10), name="w"), df.Variable(np.float32(0.0), name="b")
        loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(
            labels=yb, logits=df.reshape(df.matmul(xb, w) + b, [-1])))
        train = df.train.GradientDescentOptimizer(self.options["learning_rate"]).minimize(loss)
        return _Epoch(train, loss, [w, b])

    def reference(self, data):
        with Graph().as_default():
            order = [i for (i,) in self._pipeline((_RowNumbers(data.rows, data.chunk_rows),))]
        X, y = data.X[:], data.y[:]  # the replay reads rows in any order: the data in memory
        w, b, losses = _init((data.features,), 10).astype(np.float64), 0.0, []
        lr = np.float64(np.float32(self.options["learning_rate"]))
        for i in order:
            x, t = X[i].astype(np.float64), y[i].astype(np.float64)
            part, r = _logistic(t, x @ w + b)
            losses.append(part / len(i))
            w, b = w - lr * (x.T @ r) / len(i), b - lr * r.sum() / len(i)
        return {"w": w[:, None], "b": b, "steps": len(order), "first_loss": losses[0], "last_loss": losses[-1]}


_FAMILY = {"logistic_1d": (_Logistic, {"shape": "1d"}), "logistic_2d": (_Logistic, {"shape": "2d"}),
           "logistic_sliced": (_Logistic, {"shape": "sliced"}), "softmax": (_Softmax, {}), "mlp": (_MLP, {}),
           "standardised": (_Standardised, {}), "gram": (_Gram, {}), "predictions": (_Predictions, {}),
           "sgd_epoch": (_SGDEpoch, {})}
STREAMING_PROGRAMS = tuple(_FAMILY)


def streaming_program(name, **options):
    """The program ``name`` of the streaming family (one of ``STREAMING_PROGRAMS``).

    Parameters
    ----------
    name : str
        ``logistic_1d``, ``logistic_2d``, ``logistic_sliced`` (loss and gradients of logistic regression with 1-D
        labels and logits reshaped to 1-D, with labels reshaped to (N, 1) and w of shape (d,) reshaped to (d, 1),
        with logits sliced ``z[:, 0]``), ``softmax`` (softmax regression over 10 classes), ``mlp`` (a d-64-1
        ReLU perceptron), ``standardised`` (least squares on X standardised by its column moments: two passes),
        ``gram`` (X^T X), ``predictions`` (every row's prediction written with ``df.io.to_zarr``) or
        ``sgd_epoch`` (one epoch of mini-batch SGD over a shuffled ``df.data.Dataset`` of the zarr arrays).
    **options
        ``sgd_epoch`` takes ``batch_size``, ``buffer_size`` (of the shuffle), ``learning_rate`` and ``seed``.

    Returns
    -------
    StreamingProgram

    Examples
    --------
    >>> import os, tempfile, numpy as np, daskflow as df
    >>> from daskflow.testing import streaming_program, write_streaming_data
    >>> data = write_streaming_data(os.path.join(tempfile.mkdtemp(), "d.zarr"), 2000, 8, 500)
    >>> prog = streaming_program("logistic_2d")
    >>> with df.Graph().as_default():
    ...     job = prog.build(data)
    ...     with df.Session() as s:
    ...         _ = s.run(df.global_variables_initializer())
    ...         got = job.run(s)
    >>> max(prog.errors(got, prog.reference(data)).values()) < prog.tolerance
    True
    """
    if name not in _FAMILY:
        raise KeyError(f"no streaming program '{name}'; the family: {', '.join(STREAMING_PROGRAMS)}")
    cls, fixed = _FAMILY[name]
    return cls(**fixed, **options)


def streaming_programs():
    """Every program of the streaming family, with default options (see ``streaming_program``)."""
    return [streaming_program(name) for name in STREAMING_PROGRAMS]


# -- measuring a streaming program's peak memory

def _status(field):
    """A field of ``/proc/self/status`` in bytes (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _rss():
    rss = _status("VmRSS")
    if rss is None:
        import psutil
        rss = psutil.Process().memory_info().rss
    return rss


def _peak_rss():
    """The peak RSS of this process: Linux's ``VmHWM``, which ``_reset_peak`` resets. Not ``ru_maxrss``: it is
    also at least what the process held before it exec'd this interpreter (a copy of its parent's memory), so a
    process started from a big one reads that."""
    peak = _status("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def _reset_peak():
    """Make the peak RSS the current RSS where the system allows (Linux: ``/proc/self/clear_refs``) and return the
    current RSS. Where it does not, the peak read after a run is that of the whole process so far, which is never
    lower than the run's own: a measurement errs high, never low."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _rss()


def _release_free_memory():
    """Collect garbage and give the C allocator's free memory back to the system (glibc's ``malloc_trim``), so
    that memory freed before a run is not in the baseline for the run to reuse unseen."""
    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _projection(job, session):
    """The whole-run projection of ``job``'s plan: ``{"projection", "run_budget", "run_peak_op", "run_peak_at"}``,
    or ``{"projection_error": ...}`` where daskflow makes none."""
    try:
        plan = job.plan(session)
        op = getattr(plan, "run_peak_op", None)  # to_zarr's plan names no op
        return {"projection": int(plan.run_peak_bytes), "run_budget": int(plan.run_budget),
                "run_peak_op": getattr(op, "name", op), "run_peak_at": str(plan.run_peak_at)}
    except AttributeError as e:
        return {"projection": None, "projection_error": f"{type(e).__name__}: {e}"}


def measure_streaming_program(program, data, out, *, chunk_bytes=None, task_bytes=None, num_workers=None,
                              check=True, warm_up=True):
    """Run a streaming program over ``data`` in this process and measure its peak memory.

    The program is built in a new graph, its variables initialized and its run planned; then the allocator's free
    memory is given back and the peak resident set size (RSS) reset, and the program runs. Its peak is the RSS
    high-water mark after the run less the RSS just before it: everything the run allocates counts, whatever it
    frees before the end. The import baseline is left out: modules imported, the graph and plan, and (with
    ``warm_up``) what the program's first run in a process sets up once (lazy imports, thread pools, BLAS buffers),
    by running it first over the data's first four chunks in another graph (small, so that little of what it frees
    is left for the run to reuse unseen). Run it in a fresh process (see ``run_streaming_program``) so that nothing
    else shares the figures.

    Parameters
    ----------
    program : StreamingProgram or str
        The program, or its name in the family.
    data : StreamingData or str
        The data, or the path of its zarr group.
    out : str
        A directory for the program's outputs.
    chunk_bytes, task_bytes : int, optional
        daskflow's settings for the run (``df.config.set``); None leaves the default.
    num_workers : int, optional
        Threads of the local executor (``dask.config.set(num_workers=...)``); None leaves the default.
    check : bool
        Compare the values with the program's reference (computed after the measurement).
    warm_up : bool
        Run the program over the data's first chunks before measuring.

    Returns
    -------
    dict
        ``program``, ``rows``, ``features``, ``data_bytes``, ``settings``, ``seconds`` of the run; ``peak_bytes``
        (the run's peak RSS above the RSS before it), ``run_rss`` (that RSS) and ``setup_bytes`` (its excess over
        the RSS after imports: graph, plan and warm-up); ``projection`` (the plan's ``run_peak_bytes``) with
        ``run_budget``, ``run_peak_op`` and ``run_peak_at``, or ``projection_error`` where the plan has none;
        with ``check``, ``errors`` (each value's error relative to its reference's magnitude) and ``values_match``.
    """
    imported = _rss()
    program = streaming_program(program) if isinstance(program, str) else program
    data = StreamingData(data) if isinstance(data, (str, os.PathLike)) else data
    settings = {k: v for k, v in (("chunk_bytes", chunk_bytes), ("task_bytes", task_bytes)) if v is not None}
    config = {"num_workers": num_workers} if num_workers is not None else {}
    with df.config.set(**settings), dask.config.set(config):
        if warm_up:
            with Graph().as_default():
                job = program.build(data.head(min(data.rows, 4 * data.chunk_rows)), os.path.join(out, "warm-up"))
                with Session() as s:
                    s.run(df.global_variables_initializer())
                    job.run(s)
            del job, s
        with Graph().as_default() as g, Session(graph=g) as s:
            job = program.build(data, out)
            s.run(df.global_variables_initializer())
            plan = _projection(job, s)
            _release_free_memory()
            before = _reset_peak()
            t0 = time.perf_counter()
            got = job.run(s)
            seconds = time.perf_counter() - t0
            peak = _peak_rss() - before
    result = {"program": program.name, "rows": data.rows, "features": data.features, "data_bytes": data.nbytes,
              "settings": dict(settings, **config), "seconds": seconds, "peak_bytes": peak, "run_rss": before,
              "setup_bytes": before - imported, **plan}
    if check:
        errors = program.errors(got, program.reference(data))
        result.update(errors=errors, values_match=all(e <= program.tolerance for e in errors.values()))
    return result


def run_streaming_program(program, data, out, *, env=None, timeout=600, **settings):
    """``measure_streaming_program`` in a fresh Python process (this interpreter, this daskflow), so that its peak
    memory is the run's own.

    Parameters
    ----------
    program : StreamingProgram or str
        The program (remade in the new process from its name and options), or its name.
    data : StreamingData or str
        Data on disk (``write_streaming_data``), or its path.
    out : str
        A directory for the program's outputs and the measurement.
    env : dict, optional
        Environment variables of the process, besides this one's.
    timeout : float
        Seconds before the process is stopped (``subprocess.TimeoutExpired``).
    **settings
        ``chunk_bytes``, ``task_bytes``, ``num_workers``, ``check``, ``warm_up`` of ``measure_streaming_program``.

    Returns
    -------
    dict
        What ``measure_streaming_program`` returns. A failure in the process raises ``RuntimeError`` with the end
        of its output.
    """
    program = streaming_program(program) if isinstance(program, str) else program
    path = data.path if isinstance(data, StreamingData) else os.fspath(data)
    if path is None:
        raise ValueError("run_streaming_program needs data on disk")
    os.makedirs(out, exist_ok=True)
    result = os.path.join(out, f"{program.name}.json")
    spec = {"name": program.name, "options": program.options, "data": path, "out": os.fspath(out),
            "settings": settings, "result": result}
    root = os.path.dirname(os.path.dirname(os.path.abspath(df.__file__)))  # this daskflow, first
    environ = dict(os.environ, **(env or {}))
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, environ.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-c", "from daskflow.streaming_family import _measure_main; _measure_main()",
                           json.dumps(spec)], env=environ, capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        raise RuntimeError(f"streaming program '{program.name}' failed (exit status {proc.returncode}):\n"
                           f"{(proc.stdout + proc.stderr)[-6000:]}")
    with open(result) as f:
        return json.load(f)


def _measure_main():
    spec = json.loads(sys.argv[1])
    got = measure_streaming_program(streaming_program(spec["name"], **spec["options"]), spec["data"], spec["out"],
                                    **spec["settings"])
    with open(spec["result"], "w") as f:
        json.dump(got, f)
