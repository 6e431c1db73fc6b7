"""Storage-backed tensors: a ``DataSource`` op reads an on-disk array (zarr, .npy, HDF5) or a dask array block by
block, only when a run needs it, with the planner's chunks (the storage's own chunking kept where it fits).

The public constructors are ``daskflow.data.from_zarr``, ``from_npy``, ``from_hdf5`` and ``from_dask``.
"""
import math

import dask.array as da

from .. import planner, storage
from ..lowering import current
from .registry import NOT_DIFFERENTIABLE, apply1, register

__all__ = ["data_source"]


@register("DataSource")
class DataSource:
    stateful = True  # two sources over the same file are still two reads: never merged or folded
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        src = op.attrs["source"]
        shape = tuple(None if isinstance(d, float) and math.isnan(d) else int(d) for d in src.shape)
        return [(shape, src.dtype)]

    def lower(op):
        # planned when lowered, so the chunk_bytes in force for the run decides the blocks
        src = op.attrs["source"]
        return storage.as_dask(src, chunks=_aligned_chunks(op, src))


def _row_bytes(src):
    return math.prod(src.shape[1:]) * src.dtype.itemsize


def _aligned_chunks(op, src):
    """Sources of the same number of rows (features and labels) read the same row blocks, planned for the widest
    of them, where those blocks fit the budget: their blocks line up without rechunking, and on a cluster the
    rows of one block are read together. None keeps the source's own plan."""
    if isinstance(src, da.Array) or not src.shape:
        return None
    peers = [o.attrs["source"] for o in current().ops if o.type == "DataSource" and o is not op
             and not isinstance(o.attrs["source"], da.Array) and o.attrs["source"].shape[:1] == src.shape[:1]]
    widest = max(peers, key=_row_bytes, default=None)
    if widest is None or _row_bytes(widest) <= _row_bytes(src):
        return None
    rows = storage.plan_chunks(widest)[0]
    own = storage.plan_chunks(src)
    if len(own) > 1 and any(len(c) > 1 for c in own[1:]):  # this source's rows are cut: keep its plan
        return None
    if max(rows) * _row_bytes(src) > planner.chunk_bytes():
        return None
    return (rows,) + own[1:]


def data_source(source, name="DataSource"):
    """A tensor whose value is ``source`` (a zarr array, a path reader, or a dask array), read lazily.

    ``op.attrs["array"]`` is the source as a dask array planned with the settings at creation (for readers such as
    ``Dataset``), ``op.attrs["source"]`` the source itself."""
    return apply1("DataSource", [], {"source": source, "array": storage.as_dask(source)}, name=name)
