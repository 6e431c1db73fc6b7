"""``IndexedSlices``: TF1's sparse form of a tensor given by some of its rows (slices along the first dim):
``values[i]`` is row ``indices[i]`` of a tensor of shape ``dense_shape``, every other row is zero, and rows named
twice add up. A Session fetches one as an ``IndexedSlicesValue``; anywhere a tensor is expected it converts to
its dense form (``unsorted_segment_sum`` of the values by index, as TF's conversion).

daskflow's ``gradients`` give dense tensors (the gradient of ``gather`` included); IndexedSlices that a user
builds are taken by optimizers' ``apply_gradients``, which then update only the rows named, as TF's sparse
updates do.
"""
import collections

from .. import dtypes
from ..graph import TensorShape, name_scope
from .registry import convert_to_tensor

__all__ = ["IndexedSlices", "sparse_mask"]


class IndexedSlicesValue(collections.namedtuple("IndexedSlicesValue", ["values", "indices", "dense_shape"])):
    """The value of an ``IndexedSlices``, as ``Session.run`` gives it: numpy ``values``, ``indices`` and
    ``dense_shape`` (None when the IndexedSlices has none)."""
    __slots__ = ()


class IndexedSlices:
    """Rows of a tensor: ``values[i]`` is the slice ``indices[i]`` (along the first dim) of a tensor of shape
    ``dense_shape``; rows not named are zero and rows named more than once add up.

    Parameters
    ----------
    values : tensor-like, shape ``[N] + dense_shape[1:]``
    indices : int tensor-like, shape ``[N]``
    dense_shape : int tensor-like, shape ``[rank]``, optional
        Needed to convert the slices to a dense tensor.

    Examples
    --------
    >>> import daskflow as df
    >>> s = df.IndexedSlices(df.constant([[1.0, 2.0], [3.0, 4.0]]), df.constant([2, 0]), df.constant([3, 2]))
    >>> df.convert_to_tensor(s).compute()
    array([[3., 4.],
           [0., 0.],
           [1., 2.]], dtype=float32)
    """

    def __init__(self, values, indices, dense_shape=None):
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)
        if self._indices.dtype.kind not in "iu":
            raise TypeError(f"IndexedSlices indices must be integers, got {dtypes.name(self._indices.dtype)}")

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    name = property(lambda self: self._values.name)
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._values.graph)
    device = property(lambda self: self._values.device)

    @property
    def shape(self):
        """The static dense shape: ``dense_shape``'s entries known when the graph is built, merged with what
        ``values``' shape says of the rows."""
        from .hostvalue import constant_value
        vals = self._values.shape
        row_shape = TensorShape(None if vals.ndims is None else [None] + list(vals)[1:])
        if self._dense_shape is None:
            return row_shape
        known = constant_value(self._dense_shape, partial=True)
        if known is None:
            n = self._dense_shape.shape[0] if self._dense_shape.shape.ndims == 1 else None
            return row_shape.merge_with(TensorShape(None if n is None else [None] * n))
        dims = [None if d is None or int(d) < 0 else int(d) for d in known.tolist()]
        return TensorShape(dims).merge_with(row_shape)

    def get_shape(self):
        return self.shape

    def consumers(self):
        parts = [self._values, self._indices] + ([] if self._dense_shape is None else [self._dense_shape])
        return list(dict.fromkeys(c for p in parts for c in p.consumers()))

    def _as_tensor(self):
        return to_dense(self)

    def __neg__(self):
        from .math import negative
        return IndexedSlices(negative(self._values), self._indices, self._dense_shape)

    # Session.run fetches IndexedSlices as their parts
    def _fetch_components(self):
        return [self._values, self._indices] + ([] if self._dense_shape is None else [self._dense_shape])

    def _fetch_value(self, parts):
        return IndexedSlicesValue(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def __repr__(self):
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape!r}"
        return f"IndexedSlices(indices={self._indices!r}, values={self._values!r}{shape})"


def to_dense(slices, name=None):
    """The dense tensor of ``slices``: its values summed into the rows they name (TF's conversion of
    IndexedSlices, an ``unsorted_segment_sum``)."""
    from .hostvalue import constant_value
    from .indexing import unsorted_segment_sum
    if slices.dense_shape is None:
        raise ValueError("Tensor conversion requested for IndexedSlices for argument `value` without dense_shape: "
                         f"{slices!r}")
    known = constant_value(slices.dense_shape)
    with name_scope(None):
        rows = int(known[0]) if known is not None else slices.dense_shape[0]
        return unsorted_segment_sum(slices.values, slices.indices, rows, name=name)


def sparse_mask(a, mask_indices, name=None):
    """The slices of ``a`` (an ``IndexedSlices``) whose index is not in ``mask_indices``, in their order.

    Examples
    --------
    >>> import daskflow as df
    >>> a = df.IndexedSlices(df.constant([[1.0], [2.0], [3.0]]), df.constant([0, 4, 7]), df.constant([8, 1]))
    >>> m = df.sparse_mask(a, [4])
    >>> df.Session().run(m).indices
    array([0, 7], dtype=int32)
    """
    from .indexing import gather
    from .setops import setdiff1d
    if not isinstance(a, IndexedSlices):
        raise TypeError(f"sparse_mask takes IndexedSlices, got {type(a).__name__}")
    with name_scope(name, "sparse_mask") as scope:
        out_indices, to_gather = setdiff1d(a.indices, mask_indices)
        out_values = gather(a.values, to_gather, name=scope)
        return IndexedSlices(out_values, out_indices, a.dense_shape)


def deduplicate(slices):
    """``(values, indices)`` of ``slices`` with each index once, the values of repeated indices summed (TF's
    ``_deduplicate_indexed_slices``, used before sparse optimizer updates)."""
    from .generate import shape as shape_of
    from .indexing import unsorted_segment_sum
    from .setops import unique
    unique_indices, positions = unique(slices.indices)
    summed = unsorted_segment_sum(slices.values, positions, shape_of(unique_indices)[0])
    return summed, unique_indices


def with_values(slices, values):
    """``slices``' indices and dense shape with new ``values``."""
    return IndexedSlices(values, slices.indices, slices.dense_shape)
