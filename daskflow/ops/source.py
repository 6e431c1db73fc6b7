"""Storage-backed tensors: a ``DataSource`` op reads an on-disk array (zarr, .npy, HDF5) or a dask array block by
block, only when a run needs it, with the planner's chunks (the storage's own chunking kept where it fits).

The public constructors are ``daskflow.data.from_zarr``, ``from_npy``, ``from_hdf5`` and ``from_dask``.
"""
import math

from .. import storage
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
        return storage.as_dask(op.attrs["source"])


def data_source(source, name="DataSource"):
    """A tensor whose value is ``source`` (a zarr array, a path reader, or a dask array), read lazily.

    ``op.attrs["array"]`` is the source as a dask array planned with the settings at creation (for readers such as
    ``Dataset``), ``op.attrs["source"]`` the source itself."""
    return apply1("DataSource", [], {"source": source, "array": storage.as_dask(source)}, name=name)
