"""Data: storage-backed tensors (``from_zarr``, ``from_npy``, ``from_hdf5``, ``from_dask``)."""
from .sources import *  # noqa: F401,F403
