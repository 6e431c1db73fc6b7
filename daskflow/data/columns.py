"""Columns: the arrays a dataset is sliced from, read by contiguous row ranges. In-memory arrays are sliced
without copying; zarr arrays, h5py datasets, memory maps, dask arrays and any object with ``shape``, ``dtype``
and ``__getitem__`` are read one block of rows at a time, aligned with their chunks."""
import bisect
import itertools

import dask
import dask.array as da
import numpy as np

from .. import dtypes, errors, executor, planner, projection
from ..graph import Tensor

BLOCK_BYTES = 4 * 2**20  # rows read together from a source: big enough to amortise a read, small enough to mix


def block_bytes():
    """The bytes of the row blocks a pipeline reads and builds: ``BLOCK_BYTES``, or less where the planner's
    ``chunk_bytes`` is smaller (a run with a small memory budget)."""
    return min(BLOCK_BYTES, planner.chunk_bytes())


def readonly(a):
    v = a.view()
    v.flags.writeable = False
    return v


class Column:
    """An in-memory array, sliced without copying."""
    bounds = None  # chunk boundaries along rows, for storage columns
    copies = False  # whether a read allocates the rows it returns

    def __init__(self, arr):
        self.arr = arr
        self.n, self.dtype, self.row_shape = arr.shape[0], arr.dtype, arr.shape[1:]

    def read(self, a, b):
        return readonly(self.arr[a:b])

    def row_bytes(self):
        return self.dtype.itemsize * int(np.prod(self.row_shape))

    def read_extra(self, a, b):
        """The most bytes reading rows ``a:b`` holds at once beyond the rows it returns."""
        return 0


class StorageColumn(Column):
    """zarr arrays, h5py datasets, memory maps and any object with ``shape``, ``dtype`` and ``__getitem__``:
    read one contiguous row range at a time."""
    copies = True

    def __init__(self, arr):
        self.arr = arr
        self.n, self.dtype, self.row_shape = arr.shape[0], np.dtype(arr.dtype), tuple(arr.shape[1:])
        chunks = getattr(arr, "chunks", None)
        rows = chunks[0] if chunks and isinstance(chunks[0], (int, np.integer)) else None
        self.bounds = list(range(0, self.n, rows)) + [self.n] if rows else None  # unchunked: any rows will do

    def read(self, a, b):
        return np.array(self.arr[a:b], copy=True)

    def read_extra(self, a, b):
        # the storage's own result, copied (a memory map's is a view), and the chunks a read covers, decoded and
        # still encoded (measured with zarr: at most twice the chunks covered)
        own = 0 if isinstance(self.arr, np.memmap) else b - a
        return (own + 2 * self.covered(a, b)) * self.row_bytes()

    def covered(self, a, b):
        """Rows of the chunks that hold rows ``a:b`` (none for unchunked storage, such as memory maps)."""
        if self.bounds is None or b <= a:
            return 0
        i, j = bisect.bisect_right(self.bounds, a) - 1, bisect.bisect_left(self.bounds, b)
        return self.bounds[j] - self.bounds[i]


class DaskColumn(StorageColumn):
    def __init__(self, arr):
        self.arr = arr
        self.n, self.dtype, self.row_shape = arr.shape[0], arr.dtype, tuple(arr.shape[1:])
        self.bounds = [0] + list(itertools.accumulate(arr.chunks[0]))

    def read(self, a, b):
        return np.asarray(projection.compute(self.arr[a:b])[0])

    def read_extra(self, a, b):
        # the dask chunks covering the rows, all computed at once, each read from storage as above
        return 3 * self.covered(a, b) * self.row_bytes()


def is_storage(v):
    return (isinstance(v, np.memmap) or (not isinstance(v, (np.ndarray, np.generic, list, tuple, dict))
                                          and hasattr(v, "shape") and hasattr(v, "dtype")
                                          and hasattr(v, "__getitem__")))


def as_source(v, i):
    """A column (or a Tensor, resolved at iteration time) for component ``i`` given to ``from_tensor_slices``."""
    if hasattr(v, "_as_tensor") and not isinstance(v, Tensor):
        v = v._as_tensor()
    rank = v.shape.ndims if isinstance(v, Tensor) else len(v.shape) if hasattr(v, "shape") else np.ndim(v)
    if rank == 0:
        raise errors.InvalidArgumentError(None, getattr(v, "op", None), f"from_tensor_slices: component {i} is a "
                                          "scalar, which has no first dimension to slice")
    if isinstance(v, Tensor):
        if v.op.type == "DataSource":  # a lazily read array: read it in blocks, never evaluate it whole
            return DaskColumn(v.op.attrs["array"])
        return v
    if isinstance(v, da.Array):
        return DaskColumn(v)
    if dask.is_dask_collection(v):
        return DaskColumn(da.asarray(v))
    if is_storage(v):
        return StorageColumn(v)
    arr = v if isinstance(v, np.ndarray) else np.asarray(v, dtype=dtypes.infer_dtype(v))
    return Column(arr)


def block_bounds(columns, n, merge=True):
    """Row boundaries of the blocks a source is read in: the chunks of its widest storage column, merged up to
    ``block_bytes()`` unless ``merge`` is false (a shuffle mixes best with the finest blocks that are cheap to
    read); fixed-size blocks for in-memory columns."""
    row_bytes = sum(c.row_bytes() for c in columns)
    target = max(1, block_bytes() // max(row_bytes, 1))
    storage = [c for c in columns if c.bounds is not None]
    if not storage:
        return list(range(0, n, target)) + [n]
    base = max(storage, key=lambda c: c.row_bytes()).bounds
    if not merge:
        return base
    out = [0]
    for b in base[1:]:
        if b - out[-1] >= target or b == n:
            out.append(b)
    return out


def whole(v):
    """One element given whole: a Tensor (evaluated per iteration) or a numpy array."""
    if hasattr(v, "_as_tensor") and not isinstance(v, Tensor):
        v = v._as_tensor()
    if isinstance(v, Tensor):
        return v
    if dask.is_dask_collection(v):
        return np.asarray(executor.compute(v)[0])
    if isinstance(v, np.ndarray):
        return np.asarray(v)
    if is_storage(v):
        return np.asarray(v[...])
    return np.asarray(v, dtype=dtypes.infer_dtype(v))
