"""Writing results larger than memory: ``to_zarr`` computes tensors block by block and stores each block in a
zarr store as soon as it is computed, so no whole result is ever held in memory.

A store is written under a temporary sibling path and renamed into place only when every block is written: a
failed or interrupted write never leaves a store at ``path`` that looks complete, and an existing store is
replaced only after its successor is whole.
"""
import contextlib
import os
import re
import shutil
import uuid

import dask
import dask.array as da
import numpy as np
from dask._task_spec import convert_legacy_graph
from dask.highlevelgraph import HighLevelGraph
from dask.utils import ensure_dict

from . import errors, executor, planner, projection
from .graph import Tensor
from .session import Session, get_default_session, lower

__all__ = ["to_zarr", "plan_to_zarr"]


def _as_tensor(t, name):
    if hasattr(t, "_as_tensor") and not isinstance(t, Tensor):
        t = t._as_tensor()
    if not isinstance(t, Tensor):
        raise TypeError(f"to_zarr writes daskflow Tensors, got {type(t).__name__}" + (f" for '{name}'" if name else ""))
    return t


def _named(tensors):
    """``[(array name or None, tensor)]`` and whether the result is a group."""
    if isinstance(tensors, dict):
        items = [(str(k), _as_tensor(t, k)) for k, t in tensors.items()]
    elif isinstance(tensors, (list, tuple)):
        items = [(re.sub(r"[^0-9A-Za-z_.-]", "_", t.name), t) for t in (_as_tensor(t, None) for t in tensors)]
    else:
        return [(None, _as_tensor(tensors, None))], False
    names = [n for n, _ in items]
    if not items:
        raise ValueError("to_zarr needs at least one tensor")
    if len(set(names)) != len(names):
        raise ValueError(f"to_zarr needs distinct array names, got {names}")
    return items, True


def _regular(arr, t):
    """``arr`` with zarr's regular chunks (all blocks equal but the last on each axis)."""
    if any(np.isnan(d) for d in arr.shape):
        raise errors.InvalidArgumentError(None, t.op, f"to_zarr cannot write '{t.name}': its shape {arr.shape} is "
                                          "only known when computed")
    if all(len(set(c[:-1])) <= 1 and (len(c) < 2 or c[-1] <= c[0]) for c in arr.chunks):
        return arr
    prev = tuple(max(c) if c else 0 for c in arr.chunks)
    return arr.rechunk(planner.chunks_for(arr.shape, arr.dtype, previous=prev))


def to_zarr(tensors, path, feed_dict=None, session=None, *, overwrite=False, progress=True):
    """Compute ``tensors`` and write them to a zarr store at ``path``, block by block.

    Parameters
    ----------
    tensors : Tensor, or dict of name -> Tensor, or list of Tensors
        One tensor writes an array at ``path``; a dict or list writes a group with one array per tensor (named by
        the dict's keys, or by the tensors' names with ``/`` and ``:`` made ``_``). All are computed in one dask
        computation, so work they share is done once.
    path : str or os.PathLike
        A local directory for the store (written under a temporary sibling name, then renamed into place).
    feed_dict : dict, optional
        Feeds, as for ``Session.run`` (dask arrays and storage sources stay lazy).
    session : Session, optional
        Whose variables and scheduler to use; default the default session (else a new one).
    overwrite : bool
        Replace an existing store at ``path`` (only once the new one is complete).
    progress : bool
        Show progress: dask's ``ProgressBar`` locally, ``distributed.progress`` on a cluster.

    Returns
    -------
    zarr.Array or zarr.Group, opened read-only.

    Examples
    --------
    >>> import numpy as np, tempfile, os, daskflow as df
    >>> x = df.placeholder(df.float32, (None, 3))
    >>> path = os.path.join(tempfile.mkdtemp(), "y.zarr")
    >>> z = df.io.to_zarr(df.reduce_sum(x, axis=1), path, {x: np.ones((5, 3), "f4")}, progress=False)
    >>> z[:].tolist()
    [3.0, 3.0, 3.0, 3.0, 3.0]
    """
    import zarr

    items, group = _named(tensors)
    if not isinstance(path, (str, os.PathLike)) or "://" in os.fspath(path):
        raise TypeError(f"to_zarr writes to a local directory path, got {path!r}")
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise errors.AlreadyExistsError(None, None, f"'{path}' already exists: pass overwrite=True to replace it")
    sess, arrays = _lowered(items, feed_dict, session)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.partial-{uuid.uuid4().hex[:8]}")
    try:
        if group:
            root = zarr.open_group(tmp, mode="w")
            targets = [root.create_array(name, shape=a.shape, chunks=_zarr_chunks(a), dtype=a.dtype)
                       for (name, _), a in zip(items, arrays)]
        else:
            targets = [zarr.create_array(tmp, shape=arrays[0].shape, chunks=_zarr_chunks(arrays[0]),
                                         dtype=arrays[0].dtype)]
        _compute(_StoreRun(arrays, targets, sess), sess, progress)
        if os.path.exists(path):  # overwrite: the old store goes only now that the new one is whole
            old = f"{tmp}.old"
            os.rename(path, old)
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return zarr.open_group(path, mode="r") if group else zarr.open_array(path, mode="r")


def _zarr_chunks(a):
    return tuple(max(c[0], 1) if c else 1 for c in a.chunks)


def _lowered(items, feed_dict, session):
    graph = items[0][1].graph
    sess = session or get_default_session()
    if sess is None or sess.graph is not graph:
        sess = session or Session(graph=graph)
    arrays = [_regular(a, t) for a, (_, t) in zip(lower([t for _, t in items], feed_dict, session=sess), items)]
    return sess, arrays


class _StoreRun:
    """The writes of ``arrays`` into ``targets`` as one task graph, with the memory model of its run (see
    ``daskflow.projection``): projected on the threads of this machine (of a worker, on a cluster) within
    ``run_bytes``."""

    def __init__(self, arrays, targets, sess):
        stored = da.store(arrays, targets, lock=False, compute=False)
        self.stored = stored = list(stored) if isinstance(stored, (list, tuple)) else [stored]
        graph = HighLevelGraph.merge(*[s.__dask_graph__() for s in stored])
        opt = dask.optimize(*stored)
        self.dsk = convert_legacy_graph(ensure_dict(HighLevelGraph.merge(*[o.__dask_graph__() for o in opt])))
        self.keys = list(dask.core.flatten([o.__dask_keys__() for o in opt]))
        self.sizes = projection.Sizes(graph.layers, graph.dependencies,
                                      {a.name: (a.chunks, a.dtype) for a in arrays}, self.dsk)
        with planner.budget(*sess._memory_budget()):
            self.budget, self.threads = planner.run_bytes(), planner.run_threads()
            self.projection = projection.project(self.dsk, self.keys, self.sizes, self.threads, self.budget)
            self.plan = _StorePlan(self)

    def check(self):
        if self.projection.peak > self.budget:
            fb = planner.format_bytes
            raise errors.ResourceExhaustedError(
                None, None, f"to_zarr would hold about {fb(self.projection.peak)} at once, over the run's memory "
                f"budget of {fb(self.budget)} (run_bytes), at {self.projection.moment()}. Nothing was written: "
                "lower chunk_bytes or raise run_bytes with df.config.set(run_bytes=...).")


class _StorePlan:
    """What ``to_zarr`` would run (``plan_to_zarr``): ``tasks``, ``run_peak_bytes``, ``run_peak_at``,
    ``run_budget`` and ``fits``, as a ``RunPlan`` reports them for a run."""

    def __init__(self, run):
        self.tasks = len(run.dsk)
        self.run_peak_bytes, self.run_peak_at = run.projection.peak, run.projection.moment()
        self.run_budget = run.budget
        self.fits = self.run_peak_bytes <= self.run_budget

    def __repr__(self):
        fb = planner.format_bytes
        return (f"<to_zarr plan {self.tasks} tasks; peak {fb(self.run_peak_bytes)} in the run, budget "
                f"{fb(self.run_budget)}{'' if self.fits else ' -- OVER BUDGET'}>")


def plan_to_zarr(tensors, feed_dict=None, session=None):
    """What ``to_zarr(tensors, ...)`` would run, without running it or writing anything: the number of tasks and the
    projected peak memory of the run (``run_peak_bytes``, checked against ``run_budget``), as ``Session.plan``
    reports for a run.

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> x = df.placeholder(df.float32, (None, 3))
    >>> p = df.io.plan_to_zarr(df.reduce_sum(x, axis=1), {x: np.ones((5, 3), "f4")})
    >>> p.fits
    True
    """
    import zarr
    items, _ = _named(tensors)
    sess, arrays = _lowered(items, feed_dict, session)
    targets = [zarr.create_array(zarr.storage.MemoryStore(), shape=a.shape, chunks=_zarr_chunks(a), dtype=a.dtype)
               for a in arrays]
    return _StoreRun(arrays, targets, sess).plan


def _compute(run, sess, progress):
    if sess.scheduler == "distributed" or (sess.scheduler is None and _default_client() is not None):
        run.check()  # a worker's share, as projected
        client = sess._client if sess.scheduler == "distributed" else _default_client()
        futs = client.compute(run.stored)
        if progress:
            from distributed import progress as show
            show(futs)
        client.gather(futs)
        return
    if sess.scheduler in ("sync", "processes"):  # the scheduler the Session names
        with _progress(progress):
            dask.compute(*run.stored, scheduler=sess.scheduler)
        return
    # daskflow's memory-bounded executor (which dask's diagnostics watch too), held to the run's projection
    run.check()
    with _progress(progress):
        executor.get(run.dsk, run.keys, sizes=run.sizes, limit=run.projection.peak)


def _progress(show):
    if not show:
        return contextlib.nullcontext()
    from dask.diagnostics import ProgressBar
    return ProgressBar()


def _default_client():
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None
from .ops import parsing as _parsing, strings_more as _strings_more  # noqa: E402
from .ops import image_jxl as _image_jxl, sparse_serialize as _sparse_serialize  # noqa: E402
from .ops.registry import export_names as _export  # noqa: E402

__all__ += _export("io", globals(), _strings_more, _parsing, _sparse_serialize, _image_jxl)
