"""Storage sources: tensors backed by arrays on disk (or by dask arrays), read chunk by chunk only when a run
needs them. Blocks follow the planner (``chunk_bytes``), as whole multiples of the storage's own chunks.

Each source is also accepted as a feed value (``feed_dict={x: df.data.from_zarr(path)}``), as are the storage
objects themselves (zarr arrays, h5py datasets, memory-mapped arrays, dask arrays).
"""
import os

import dask.array as da

from .. import errors
from ..ops.source import data_source
from ..storage import HDF5Reader, NpyReader

__all__ = ["from_zarr", "from_npy", "from_hdf5", "from_dask"]


def _name(name, default):
    return name or default


def from_zarr(path_or_array, component=None, name=None):
    """A tensor reading a zarr array (a path or URL to a store, or an open ``zarr.Array``).

    Parameters
    ----------
    path_or_array : str, os.PathLike or zarr.Array
    component : str, optional
        The array's path inside a group store.
    name : str, optional
        The op's name (default ``"FromZarr"``).

    Examples
    --------
    >>> import numpy as np, zarr, daskflow as df
    >>> z = zarr.create_array(store={}, shape=(6, 2), chunks=(2, 2), dtype="f4")
    >>> z[:] = np.arange(12).reshape(6, 2)
    >>> x = df.data.from_zarr(z)
    >>> float(df.reduce_sum(x).compute())
    66.0
    """
    import zarr

    if isinstance(path_or_array, zarr.Array):
        arr = path_or_array
    else:
        path = os.fspath(path_or_array) if isinstance(path_or_array, os.PathLike) else path_or_array
        try:
            arr = zarr.open_array(path, mode="r", path=component) if component else zarr.open_array(path, mode="r")
        except (FileNotFoundError, KeyError) as e:
            raise errors.NotFoundError(None, None, f"no zarr array at '{path}'"
                                       + (f" (component '{component}')" if component else "") + f": {e}") from None
        except (TypeError, ValueError) as e:
            if "group" in str(e).lower() or type(e).__name__.startswith("ContainsGroup"):
                raise errors.InvalidArgumentError(
                    None, None, f"'{path}' is a zarr group, not an array: pass component='name of the array'") from None
            raise
    return data_source(arr, name=_name(name, "FromZarr"))


def from_npy(path, name=None):
    """A tensor reading a ``.npy`` file through a memory map, block by block (nothing is loaded up front).

    Examples
    --------
    >>> import numpy as np, tempfile, os, daskflow as df
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.ones((4, 3), "f8"))
    >>> df.data.from_npy(path).shape
    TensorShape([4, 3])
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise errors.NotFoundError(None, None, f"no .npy file at '{path}'")
    try:
        reader = NpyReader(path)
    except ValueError as e:
        raise errors.InvalidArgumentError(None, None, f"'{path}' cannot be memory-mapped as a .npy array: {e}") \
            from None
    return data_source(reader, name=_name(name, "FromNpy"))


def from_hdf5(path, dataset, name=None):
    """A tensor reading dataset ``dataset`` of HDF5 file ``path`` (needs h5py: ``pip install daskflow[hdf5]``).
    The file is opened for each block read, so the graph can run on a cluster's workers."""
    try:
        import h5py  # noqa: F401
    except ImportError:
        raise ImportError("df.data.from_hdf5 needs h5py: pip install 'daskflow[hdf5]'") from None
    path = os.fspath(path)
    if not os.path.exists(path):
        raise errors.NotFoundError(None, None, f"no HDF5 file at '{path}'")
    return data_source(HDF5Reader(path, dataset), name=_name(name, "FromHDF5"))


def from_dask(array, name=None):
    """A tensor whose value is the dask array ``array``: its chunks are kept where each fits ``chunk_bytes``,
    and rechunked within the budget otherwise. Unknown chunk sizes are not supported by graph shapes: call
    ``array.compute_chunk_sizes()`` first."""
    if not isinstance(array, da.Array):
        raise TypeError(f"from_dask needs a dask array, got {type(array).__name__}")
    return data_source(array, name=_name(name, "FromDask"))
