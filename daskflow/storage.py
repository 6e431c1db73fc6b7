"""Chunked on-disk arrays as dask arrays, read lazily block by block with the planner's chunks.

Readers hold paths, not open files, so that the dask graphs they make can be sent to a cluster's workers: each
read opens the file, reads one block and closes it (zarr arrays carry their store and pickle as they are).
"""
import math
import os

import dask.array as da
import numpy as np

from . import planner

__all__ = ["is_storage", "as_dask", "plan_chunks", "NpyReader", "HDF5Reader"]


class NpyReader:
    """A ``.npy`` file (or a ``np.memmap`` of a raw file) read through a memory map, one block per read."""

    def __init__(self, path, dtype=None, shape=None, offset=None, order=None):
        self.path = os.fspath(path)
        if dtype is None:  # a .npy file: its header says the rest
            m = np.load(self.path, mmap_mode="r")
            dtype, shape, offset = m.dtype, m.shape, m.offset
            order = "F" if m.flags.f_contiguous and not m.flags.c_contiguous else "C"
            del m
        self.dtype, self.shape = np.dtype(dtype), tuple(int(d) for d in shape)
        self.offset, self.order = int(offset or 0), order or "C"
        self.ndim = len(self.shape)

    @classmethod
    def from_memmap(cls, m):
        if isinstance(m.base, np.memmap) or not (m.flags.c_contiguous or m.flags.f_contiguous) or m.filename is None:
            return None  # a view into a memmap: read it as the in-memory-like array it is
        return cls(m.filename, m.dtype, m.shape, m.offset, "F" if not m.flags.c_contiguous else "C")

    def __getitem__(self, idx):
        m = np.memmap(self.path, dtype=self.dtype, mode="r", offset=self.offset, shape=self.shape, order=self.order)
        return np.array(m[idx])

    def __repr__(self):
        return f"NpyReader({self.path!r}, shape={self.shape}, dtype={self.dtype})"


class HDF5Reader:
    """One dataset of an HDF5 file (h5py), opened for each block read."""

    def __init__(self, path, dataset):
        import h5py

        self.path, self.dataset = os.fspath(path), dataset
        with h5py.File(self.path, "r") as f:
            if dataset not in f:
                from .errors import NotFoundError
                raise NotFoundError(None, None, f"HDF5 file '{self.path}' has no dataset '{dataset}' (it has: "
                                    f"{sorted(f.keys())})")
            d = f[dataset]
            self.shape, self.dtype, self.chunks = tuple(d.shape), d.dtype, d.chunks
        self.ndim = len(self.shape)

    def __getitem__(self, idx):
        import h5py

        with h5py.File(self.path, "r") as f:
            return f[self.dataset][idx]

    def __repr__(self):
        return f"HDF5Reader({self.path!r}, {self.dataset!r}, shape={self.shape}, dtype={self.dtype})"


def is_storage(v):
    """zarr arrays, h5py datasets and memory-mapped arrays: chunked or on-disk arrays read lazily."""
    if isinstance(v, np.memmap):
        return True
    mod = type(v).__module__
    return mod.startswith(("zarr", "h5py")) and hasattr(v, "shape") and hasattr(v, "dtype")


def _storage_chunks(v):
    c = getattr(v, "chunks", None)
    if c is None or not isinstance(c, tuple) or not all(isinstance(x, (int, np.integer)) for x in c):
        return None
    return tuple(int(x) for x in c)


def _readable(v):
    if type(v).__module__.startswith("h5py"):  # an open dataset: read through its path, so graphs can travel
        return HDF5Reader(v.file.filename, v.name)
    if isinstance(v, np.memmap):
        return NpyReader.from_memmap(v) or np.asarray(v)
    return v


def plan_chunks(v):
    """The chunks ``as_dask`` gives storage ``v``: whole multiples of its own chunks within ``chunk_bytes``."""
    return planner.chunks_for(v.shape, v.dtype, previous=_storage_chunks(v))


def as_dask(v, name=None, chunks=None):
    """``v`` (zarr array, h5py dataset, memmap, reader, or dask array) as a dask array whose blocks fit
    ``chunk_bytes``, keeping the storage's chunking (or the dask array's) where it fits; ``chunks`` overrides the
    plan for storage."""
    if isinstance(v, da.Array):
        if planner.block_bytes(v) <= planner.chunk_bytes() or any(math.isnan(d) for d in v.shape):
            return v
        prev = tuple(max(c) for c in v.chunks)
        return v.rechunk(planner.chunks_for(v.shape, v.dtype, previous=prev))
    v = _readable(v)
    kwargs = {"name": name} if name else {}
    meta = np.empty((0,) * len(v.shape), dtype=v.dtype)
    return da.from_array(v, chunks=chunks or plan_chunks(v), asarray=False, fancy=False, meta=meta, **kwargs)
