"""Run-time checks of a sparse tensor's index tuples (TF's ``SparseToDense`` validation): each tuple inside the dense
shape, and with ``order``, the tuples in strictly increasing row-major order. The op passes its indices on, so the
ops that read them wait for the check."""
import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from .registry import NOT_DIFFERENTIABLE, apply1, fail, register
from .strings_map import whole

__all__ = []


def _fmt(row):
    return "[" + ",".join(str(int(v)) for v in row.tolist()) + "]"


def _check_block(idx, shape, *, order, label):
    m = backend.xp(idx)
    dims = m.asarray(shape, dtype=np.int64)
    if idx.shape[0] == 0:
        return idx
    bad = ((idx < 0) | (idx >= dims)).any(axis=1)
    if bool(bad.any()):
        i = int(m.argmax(bad))
        raise errors.InvalidArgumentError(
            None, None, f"indices[{i}] = {_fmt(idx[i])} is out of bounds: need 0 <= index < {_fmt(dims)} [{label}]")
    if order and idx.shape[0] > 1:
        prev, cur = idx[:-1], idx[1:]
        diff = cur != prev
        first = m.argmax(diff, axis=1)  # the first coordinate where consecutive tuples differ
        rows = m.arange(cur.shape[0])
        less = diff.any(axis=1) & (cur[rows, first] < prev[rows, first])
        same = ~diff.any(axis=1)
        if bool((less | same).any()):
            i = int(m.argmax(less | same)) + 1
            what = "is repeated" if bool(same[i - 1]) else (
                "is out of order. Many sparse ops require sorted indices.\n"
                "    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n")
            raise errors.InvalidArgumentError(None, None, f"indices[{i}] = {_fmt(idx[i])} {what} [{label}]")
    return idx


@register("SparseIndicesCheck")
class SparseIndicesCheck:
    """``indices`` (int64 ``[N, rank]``) checked against ``dense_shape`` (int64 ``[rank]``) when run."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        idx, shape = op.inputs
        if idx.dtype != dtypes.int64 or shape.dtype != dtypes.int64:
            fail(op, f"indices and dense_shape must be int64, got {idx.dtype.name} and {shape.dtype.name}")
        return [(idx.shape, dtypes.int64)]

    def lower(op, idx, shape):
        label = f"op '{op.name}' (type SparseIndicesCheck)"
        # order is checked across the whole list (``whole`` also joins blocks of unknown sizes)
        return da.blockwise(_check_block, "ij", whole(idx), "ij", whole(shape), "j", order=op.attrs["order"],
                            label=label, dtype=np.int64, meta=backend.meta(idx, np.int64))


def checked_indices(indices, dense_shape, order=True, name="SparseIndicesCheck"):
    """``indices`` that, when run, raise TF's ``InvalidArgumentError`` for a tuple outside ``dense_shape`` (and with
    ``order`` for tuples not in strictly increasing row-major order)."""
    return apply1("SparseIndicesCheck", [indices, dense_shape], {"order": bool(order)}, name=name)
