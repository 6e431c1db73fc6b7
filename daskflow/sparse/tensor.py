"""``SparseTensor``: TF1's sparse representation, three dense tensors (``indices`` int64 ``[N, rank]``, ``values``
``[N]`` and ``dense_shape`` int64 ``[rank]``) held together. A Session fetches one as a ``SparseTensorValue`` and
feeds one (a ``sparse_placeholder``) from a ``SparseTensorValue`` or an ``(indices, values, dense_shape)`` tuple.

Conversions between the sparse and the dense form live here: ``from_dense``, ``to_dense``, ``sparse_to_dense``."""
import collections

import numpy as np

from .. import dtypes
from ..graph import Tensor, TensorShape, name_scope
from ..ops.array import reshape, stack
from ..ops.cumulative import cumprod
from ..ops.generate import fill, shape as shape_of
from ..ops.hostvalue import constant_value, evaluate, static_shape_of
from ..ops.math import cast, maximum, not_equal
from ..ops.reduce import reduce_prod, reduce_sum
from ..ops.registry import convert_to_tensor
from ..ops.scatter import gather_nd, scatter_nd, tensor_scatter_nd_update
from ..ops.setops import _mask_indices
from ..ops.sparse_check import checked_indices
from ..ops.state import placeholder as dense_placeholder, placeholder_with_default

__all__ = ["SparseTensor", "SparseTensorValue", "sparse_placeholder", "from_dense", "sparse_tensor_to_dense",
           "sparse_to_dense", "convert_to_tensor_or_sparse_tensor"]


class SparseTensorValue(collections.namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])):
    """The value of a ``SparseTensor``, as ``Session.run`` gives it: numpy ``indices``, ``values``, ``dense_shape``."""
    __slots__ = ()


class SparseTensor:
    """A sparse tensor: the entries ``values[i]`` at the index tuples ``indices[i]`` of a tensor of shape
    ``dense_shape``, every other entry being zero (or the default a conversion names).

    Parameters
    ----------
    indices : int64 tensor-like, shape ``[N, rank]``
        Index tuples; most ops want them in row-major order without repeats (``reorder`` sorts them).
    values : tensor-like, shape ``[N]``
    dense_shape : int64 tensor-like, shape ``[rank]``

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.sparse.SparseTensor([[0, 1], [1, 0]], [3.0, 4.0], [2, 2])
    >>> df.sparse.to_dense(sp).compute()
    array([[0., 3.],
           [4., 0.]], dtype=float32)
    """

    def __init__(self, indices, values, dense_shape):
        with name_scope(None, "SparseTensor"):
            self._indices = convert_to_tensor(indices, dtype=dtypes.int64, name="indices")
            self._values = convert_to_tensor(values, name="values")
            self._dense_shape = convert_to_tensor(dense_shape, dtype=dtypes.int64, name="dense_shape")
        _with_rank(self._indices.shape, 2)
        _with_rank(self._values.shape, 1)
        _with_rank(self._dense_shape.shape, 1)
        _merge_dims(self._indices.shape[0], self._values.shape[0])
        _merge_dims(self._indices.shape[1], self._dense_shape.shape[0])
        self._static = None

    @classmethod
    def from_value(cls, value):
        """A SparseTensor of constants from a ``SparseTensorValue`` (a SparseTensor is returned as is)."""
        if isinstance(value, SparseTensor):
            return value
        return cls(*value)

    indices = property(lambda self: self._indices)
    values = property(lambda self: self._values)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._values.graph)

    @property
    def shape(self):
        """The static shape: ``dense_shape``'s entries known when the graph is built (None for the others)."""
        rank = self._dense_shape.shape[0] if self._dense_shape.shape.ndims else None
        known = evaluate(self._dense_shape, static_shape_of, data_unknown=True)
        if known is not None:
            out = TensorShape([None if d is None or int(d) < 0 else int(d) for d in known.tolist()])
        else:
            out = TensorShape(None if rank is None else [None] * rank)
        return out if self._static is None else out.merge_with(self._static)

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        shape = TensorShape(shape)
        self._static = self.shape.merge_with(shape)

    def with_values(self, new_values):
        """This SparseTensor's indices and dense shape with ``new_values`` (a vector as long as ``values``)."""
        return SparseTensor(self._indices, new_values, self._dense_shape)

    def eval(self, feed_dict=None, session=None):
        """The value, a ``SparseTensorValue``, computed in ``session`` (default: the default session)."""
        from ..session import _session_for
        return _session_for(session, self._values).run(self, feed_dict)

    def consumers(self):
        return list(dict.fromkeys(self._indices.consumers() + self._values.consumers() +
                                  self._dense_shape.consumers()))

    # Session.run fetches a SparseTensor as its three parts and feeds it from a value's three parts
    def _fetch_components(self):
        return [self._indices, self._values, self._dense_shape]

    @staticmethod
    def _fetch_value(parts):
        return SparseTensorValue(*parts)

    def _feed_components(self, value):
        if isinstance(value, SparseTensor):
            raise TypeError("The value of a feed cannot be a SparseTensor; feed a SparseTensorValue")
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            raise TypeError(f"A SparseTensor is fed a SparseTensorValue or an (indices, values, dense_shape) tuple, "
                            f"got {type(value).__name__}")
        return list(zip(self._fetch_components(), value))

    def __repr__(self):
        return f"SparseTensor(indices={self._indices!r}, values={self._values!r}, dense_shape={self._dense_shape!r})"

    def __mul__(self, other):
        from .math import _cwise
        return _cwise(self, other, "mul")

    def __truediv__(self, other):
        from .math import _cwise
        return _cwise(self, other, "div")

    __div__ = __truediv__


def _with_rank(shape, rank):
    if shape.ndims is not None and shape.ndims != rank:
        raise ValueError(f"Shape {shape} must have rank {rank}")


def _merge_dims(a, b):
    if a is not None and b is not None and a != b:
        raise ValueError(f"Dimensions {a} and {b} are not compatible")


def as_sparse(sp, what="Input"):
    """``sp`` as a SparseTensor (a SparseTensorValue becomes constants); anything else raises TF's TypeError."""
    if isinstance(sp, SparseTensorValue):
        return SparseTensor.from_value(sp)
    if not isinstance(sp, SparseTensor):
        raise TypeError(f"{what} must be a SparseTensor.")
    return sp


def static_rank(sp):
    """The rank of ``sp`` when known at build time, else None."""
    r = sp.indices.shape[1] if sp.indices.shape.ndims else None
    return r if r is not None else sp.shape.ndims


def linear_index(indices, dense_shape):
    """Row-major flat positions (int64 ``[N]``) of the index tuples in a tensor of shape ``dense_shape``."""
    strides = cumprod(dense_shape, exclusive=True, reverse=True)
    return reduce_sum(indices * strides, axis=1)


def coordinates(flat, dense_shape, rank):
    """Index tuples (int64 ``[N, rank]``) of the row-major flat positions ``flat`` in ``dense_shape``."""
    one = np.int64(1)  # a stride or dim of 0 means there are no entries: divide by 1 instead
    strides = maximum(cumprod(dense_shape, exclusive=True, reverse=True), one)
    cols = []
    for i in range(rank):
        q = flat // strides[i]
        cols.append(q if i == 0 else q % maximum(dense_shape[i], one))
    return stack(cols, axis=1) if cols else reshape(flat, [-1, 0])


def nonzero_indices(mask):
    """Index tuples (int64 ``[N, rank]``) of the true entries of the bool tensor ``mask``, in row-major order; their
    number is known when the run is planned."""
    if mask.shape.ndims is None:
        raise ValueError(f"a tensor of known rank is needed, got '{mask.name}'")
    flat = _mask_indices(reshape(mask, [-1]))
    return coordinates(flat, shape_of(mask, out_type=dtypes.int64), mask.shape.ndims)


# -- placeholders and conversions

def sparse_placeholder(dtype, shape=None, name=None):
    """A SparseTensor of placeholders: fed, whole, with a ``SparseTensorValue`` (or an ``(indices, values,
    dense_shape)`` tuple). ``shape`` (a list, None entries unknown) fixes the rank and the known dims; without it
    the rank is unknown and the dense shape must be fed.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.sparse.placeholder(df.float32, shape=[None, 3])
    >>> with df.Session() as s:
    ...     s.run(df.sparse.reduce_sum(sp), {sp: ([[0, 1], [4, 2]], [1.0, 2.0], [5, 3])})
    np.float32(3.0)
    """
    names = [None if name is None else f"{name}/{part}" for part in ("shape", "values", "indices")]
    if shape is None:
        dense_shape, rank, static = dense_placeholder(dtypes.int64, [None], name=names[0]), None, None
    else:
        if isinstance(shape, Tensor):
            default, rank, static = shape, shape.shape[0], None
        else:
            dims = [None if d is None or d == -1 else int(d) for d in shape]
            default, rank, static = np.array([-1 if d is None else d for d in dims], np.int64), len(dims), dims
        default = convert_to_tensor(default, dtype=dtypes.int64)
        dense_shape = placeholder_with_default(default, default.shape, name=names[0] or "PlaceholderWithDefault")
    values = dense_placeholder(dtype, [None], name=names[1])
    indices = dense_placeholder(dtypes.int64, [None, rank], name=names[2])
    sp = SparseTensor(indices, values, dense_shape)
    if static is not None:
        sp._static = TensorShape(static)
    return sp


def from_dense(tensor, name=None):
    """The SparseTensor of the non-zero entries of ``tensor`` (non-empty strings for strings), in row-major order.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.sparse.from_dense([[0, 7], [5, 0]])
    >>> df.Session().run(sp).indices
    array([[0, 1],
           [1, 0]])
    """
    with name_scope(name, "dense_to_sparse"):
        t = convert_to_tensor(tensor)
        zero = convert_to_tensor(b"" if dtypes.is_string(t.dtype) else np.zeros((), t.dtype), dtype=t.dtype)
        indices = nonzero_indices(not_equal(t, zero))
        return SparseTensor(indices, gather_nd(t, indices), shape_of(t, out_type=dtypes.int64))


def sparse_tensor_to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor of ``sp_input``: its values at its indices, ``default_value`` (0 by default) elsewhere.
    With ``validate_indices``, indices outside the dense shape, out of row-major order or repeated raise
    ``InvalidArgumentError`` when run. Gradients flow to the values (and the default).

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
    >>> df.sparse.to_dense(sp, default_value=-1.0).compute()
    array([[ 1., -1., -1.],
           [-1., -1.,  2.]], dtype=float32)
    """
    sp = as_sparse(sp_input)
    return _to_dense(sp.indices, sp.dense_shape, sp.values, default_value, validate_indices, name or "SparseToDense")


def _to_dense(indices, dense_shape, values, default_value, validate, name):
    with name_scope(name):
        if validate:
            indices = checked_indices(indices, dense_shape)
        if values.shape.ndims == 0:
            values = fill(shape_of(indices, out_type=dtypes.int64)[:1], values)
        shape = dense_shape
        if indices.shape.ndims != 2 or indices.shape[1] is None:  # rank known at run time: scatter flat, reshape
            indices = reshape(linear_index(indices, dense_shape), [-1, 1])
            shape = reshape(reduce_prod(dense_shape), [1])
        if default_value is None or (constant_value(default_value) is not None
                                     and not np.any(constant_value(default_value))):
            dense = scatter_nd(indices, values, shape)
        else:
            default = convert_to_tensor(default_value, dtype=values.dtype)
            dense = tensor_scatter_nd_update(fill(shape, default), indices, values)
        return dense if shape is dense_shape else reshape(dense, dense_shape)


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None):
    """A dense tensor of shape ``output_shape`` holding ``sparse_values`` (a vector, or a scalar for every index) at
    ``sparse_indices`` (``[N, rank]``, a vector of positions for rank 1, or a scalar) and ``default_value``
    elsewhere (TF1's ``sparse_to_dense``)."""
    with name_scope(name, "SparseToDense"):
        idx = cast(convert_to_tensor(sparse_indices), dtypes.int64)
        shape = cast(convert_to_tensor(output_shape), dtypes.int64)
        if idx.shape.ndims is not None and idx.shape.ndims < 2:
            idx = reshape(idx, [-1, 1])
        if shape.shape.ndims == 0:
            shape = reshape(shape, [1])
        values = convert_to_tensor(sparse_values)
        return _to_dense(idx, shape, values, default_value, validate_indices, "SparseToDense")


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """``value`` as a SparseTensor (a SparseTensorValue becomes one) or else as a Tensor."""
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError(f"Sparse dtype: requested = {dtypes.name(dtypes.as_dtype(dtype))}, actual = "
                             f"{dtypes.name(value.dtype)}")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)
