"""Writing results larger than memory: ``to_zarr`` computes tensors block by block and stores each block in a
zarr store as soon as it is computed, so no whole result is ever held in memory.

A store is written under a temporary sibling path and renamed into place only when every block is written: a
failed or interrupted write never leaves a store at ``path`` that looks complete, and an existing store is
replaced only after its successor is whole.
"""
import os
import re
import shutil
import uuid

import dask
import dask.array as da
import numpy as np

from . import errors, executor, planner
from .graph import Tensor
from .session import Session, get_default_session, lower

__all__ = ["to_zarr"]


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
    graph = items[0][1].graph
    sess = session or get_default_session()
    if sess is None or sess.graph is not graph:
        sess = session or Session(graph=graph)
    arrays = [_regular(a, t) for a, (_, t) in zip(lower([t for _, t in items], feed_dict, session=sess), items)]

    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.partial-{uuid.uuid4().hex[:8]}")
    try:
        if group:
            root = zarr.open_group(tmp, mode="w")
            targets = [root.create_array(name, shape=a.shape, chunks=_zarr_chunks(a), dtype=a.dtype)
                       for (name, _), a in zip(items, arrays)]
        else:
            targets = [zarr.create_array(tmp, shape=arrays[0].shape, chunks=_zarr_chunks(arrays[0]),
                                         dtype=arrays[0].dtype)]
        stored = da.store(arrays, targets, lock=False, compute=False)
        _compute(stored, sess, progress)
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


def _compute(stored, sess, progress):
    if sess.scheduler == "distributed" or (sess.scheduler is None and _default_client() is not None):
        client = sess._client if sess.scheduler == "distributed" else _default_client()
        fut = client.compute(stored)
        if progress:
            from distributed import progress as show
            show(fut)
        fut.result()
        return
    # daskflow's memory-bounded executor (which dask's diagnostics watch too), or the scheduler the Session names
    scheduler = {"sync": "sync", "processes": "processes"}.get(sess.scheduler, executor.get)
    if progress:
        from dask.diagnostics import ProgressBar
        with ProgressBar():
            dask.compute(stored, scheduler=scheduler)
    else:
        dask.compute(stored, scheduler=scheduler)


def _default_client():
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None
