"""``RaggedTensor``: TF's tensor with rows of different lengths, held as dense tensors: ``values`` (a Tensor, or
another RaggedTensor for more ragged dimensions) split into rows by an int64 ``row_splits`` vector (row ``i`` is
``values[row_splits[i]:row_splits[i + 1]]``). A Session fetches one as a ``RaggedTensorValue`` and feeds one (a
``ragged.placeholder``) from a ``RaggedTensorValue``.

The constructors (``from_row_splits``, ``from_row_lengths``, ...) and accessors live here; conversions to and from
dense and sparse tensors and indexing are in ``convert.py``."""
import numpy as np

from .. import dtypes
from ..graph import Tensor, TensorShape, control_dependencies, name_scope
from ..ops.array import concat, reshape
from ..ops.checks import assert_non_negative
from ..ops.cumulative import cumsum
from ..ops.generate import ones_like, range as _range, shape as _shape
from ..ops.indexing import unsorted_segment_sum
from ..ops.hostvalue import constant_value as _static_value
from ..ops.math import assert_equal, cast, maximum
from ..ops.reduce import reduce_max
from ..ops.registry import convert_to_tensor
from ..ops.setops import searchsorted
from ..ops.state import identity
from .value import RaggedTensorValue

__all__ = ["RaggedTensor"]

_PRIVATE = object()
_I64 = dtypes.int64


def _splits(x, what):
    t = convert_to_tensor(x, dtype_hint=_I64, name=what)
    if t.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{what} must be int32 or int64, got {dtypes.name(t.dtype)}")
    if t.shape.ndims is not None and t.shape.ndims != 1:
        raise ValueError(f"Shape {t.shape} must have rank 1")
    return cast(t, _I64) if t.dtype != _I64 else t


def _checked(t, checks):
    """``t`` after ``checks`` (ops that fail the run when they do not hold); ``t`` itself when there are none."""
    checks = [c for c in checks if c is not None and c.type != "NoOp"]
    if not checks:
        return t
    with control_dependencies(checks):
        return identity(t)


def _as_values(values):
    return values if isinstance(values, RaggedTensor) else convert_to_tensor(values, name="values")


def nvals(values):
    """The number of rows of ``values`` (a Tensor's dim 0, a RaggedTensor's nrows), an int64 scalar."""
    if isinstance(values, RaggedTensor):
        return values.nrows()
    if values.shape.ndims == 0:
        raise ValueError("values must have rank at least 1")
    return _shape(values, out_type=_I64)[0]


class RaggedTensor:
    """A tensor whose dimension 1 (and more, for ``ragged_rank`` > 1) has rows of different lengths. Build one
    with a factory: ``from_row_splits``, ``from_row_lengths``, ``from_value_rowids``, ``from_row_starts``,
    ``from_row_limits``, ``from_nested_*``, ``from_uniform_row_length``, ``from_tensor``, ``from_sparse`` (or
    ``ragged.constant``).

    Examples
    --------
    >>> import daskflow as df
    >>> rt = df.RaggedTensor.from_row_splits([3, 1, 4, 1, 5], row_splits=[0, 2, 2, 5])
    >>> with df.Session() as s:
    ...     s.run(rt).to_list()
    [[3, 1], [], [4, 1, 5]]
    """

    def __init__(self, values, row_splits, internal=None, uniform_row_length=None):
        if internal is not _PRIVATE:
            raise ValueError("RaggedTensor constructor is private; please use one of the factory methods instead "
                             "(e.g., RaggedTensor.from_row_lengths())")
        self._values, self._row_splits, self._uniform = values, row_splits, uniform_row_length

    @classmethod
    def _make(cls, values, row_splits, uniform_row_length=None):
        return cls(values, row_splits, _PRIVATE, uniform_row_length)

    # -- factories

    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Rows ``values[row_splits[i]:row_splits[i + 1]]``: ``row_splits`` starts at 0, never decreases and ends
        at ``nrows(values)`` (checked when run with ``validate``)."""
        with name_scope(name, "RaggedFromRowSplits"):
            values = _as_values(values)
            splits = _splits(row_splits, "row_splits")
            if splits.shape[0] == 0:
                raise ValueError("row_splits must have at least one element (0)")
            if validate:
                what = "Arguments to from_row_splits do not form a valid RaggedTensor:"
                splits = _checked(splits, [assert_equal(splits[0], np.int64(0), message=what + "zero"),
                                           assert_non_negative(splits[1:] - splits[:-1], message=what + "monotonic")])
                splits = _checked(splits, [_end_check(splits, values)])
            return cls._make(values, splits)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Rows of ``row_lengths[i]`` values each (lengths are non-negative and add up to ``nrows(values)``)."""
        with name_scope(name, "RaggedFromRowLengths"):
            values = _as_values(values)
            lengths = _splits(row_lengths, "row_lengths")
            if validate:
                lengths = _checked(lengths, [assert_non_negative(
                    lengths, message="Arguments to from_row_lengths do not form a valid RowPartition.")])
            splits = concat([np.zeros([1], np.int64), cumsum(lengths)], 0)
            if validate:
                splits = _checked(splits, [_end_check(splits, values)])
            return cls._make(values, splits)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Row ``value_rowids[j]`` holds ``values[j]``: ``value_rowids`` is sorted, non-negative and below ``nrows``
        (default: ``value_rowids[-1] + 1``, 0 when there are no values); rows without values are empty."""
        with name_scope(name, "RaggedFromValueRowIds"):
            values = _as_values(values)
            rowids = _splits(value_rowids, "value_rowids")
            n_ids = _shape(rowids, out_type=_I64)[0]
            if nrows is None:
                nrows = reduce_max(concat([np.full([1], -1, np.int64), rowids[-1:]], 0)) + np.int64(1)
            else:
                nrows = _splits(reshape(nrows, [1]), "nrows")[0]
            if validate:
                what = "Arguments to from_value_rowids do not form a valid RowPartition"
                checks = [assert_non_negative(rowids[:1], message=what + ".  "),
                          assert_non_negative(rowids[1:] - rowids[:-1], message=what + ".  ")]
                from ..ops.checks import assert_less
                checks.append(assert_less(rowids[-1:], reshape(nrows, [1]), message=what))
                rowids = _checked(rowids, checks)
            counts = unsorted_segment_sum(ones_like(rowids), rowids, nrows)
            splits = concat([np.zeros([1], np.int64), cumsum(counts)], 0)
            if validate:
                splits = _checked(splits, [_end_check(concat([splits[:1], reshape(n_ids, [1])], 0), values)])
            return cls._make(values, splits)

    @classmethod
    def from_row_starts(cls, values, row_starts, name=None, validate=True):
        """Rows ``values[row_starts[i]:row_starts[i + 1]]``, the last ending at ``nrows(values)``."""
        with name_scope(name, "RaggedFromRowStarts"):
            values = _as_values(values)
            starts = _splits(row_starts, "row_starts")
            splits = concat([starts, reshape(nvals(values), [1])], 0)
            if validate:
                what = "Arguments to from_row_starts do not form a valid RaggedTensor"
                splits = _checked(splits, [assert_equal(splits[0], np.int64(0), message=what),
                                           assert_non_negative(splits[1:] - splits[:-1], message=what)])
            return cls._make(values, splits)

    @classmethod
    def from_row_limits(cls, values, row_limits, name=None, validate=True):
        """Rows ``values[row_limits[i - 1]:row_limits[i]]`` (the first starting at 0)."""
        with name_scope(name, "RaggedFromRowLimits"):
            values = _as_values(values)
            splits = concat([np.zeros([1], np.int64), _splits(row_limits, "row_limits")], 0)
            if validate:
                what = "Arguments to from_row_limits do not form a valid RaggedTensor"
                splits = _checked(splits, [assert_non_negative(splits[1:] - splits[:-1], message=what)])
                splits = _checked(splits, [_end_check(splits, values)])
            return cls._make(values, splits)

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True, name=None):
        """Rows of ``uniform_row_length`` values each; ``nrows`` is needed only when that length is 0."""
        with name_scope(name, "RaggedFromUniformRowLength"):
            values = _as_values(values)
            length = _splits(reshape(uniform_row_length, [1]), "uniform_row_length")[0]
            total = nvals(values)
            if nrows is None:
                nrows = total // maximum(length, np.int64(1))
            else:
                nrows = _splits(reshape(nrows, [1]), "nrows")[0]
            splits = _range(nrows + np.int64(1), dtype=_I64) * length
            if validate:
                splits = _checked(splits, [_end_check(splits, values)])
            static = _static_value(length)
            return cls._make(values, splits, None if static is None else int(static))

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        """A RaggedTensor with one ragged dimension per entry of ``nested_row_splits`` (outermost first)."""
        return cls._nested(cls.from_row_splits, flat_values, nested_row_splits, name or "RaggedFromNestedRowSplits",
                           validate)

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None, validate=True):
        """A RaggedTensor with one ragged dimension per entry of ``nested_row_lengths`` (outermost first)."""
        return cls._nested(cls.from_row_lengths, flat_values, nested_row_lengths,
                           name or "RaggedFromNestedRowlengths", validate)

    @classmethod
    def from_nested_value_rowids(cls, flat_values, nested_value_rowids, nested_nrows=None, name=None,
                                 validate=True):
        """A RaggedTensor with one ragged dimension per entry of ``nested_value_rowids`` (with ``nested_nrows``)."""
        if isinstance(nested_value_rowids, Tensor):
            raise TypeError("nested_value_rowids must be a list of Tensors")
        nrows = [None] * len(nested_value_rowids) if nested_nrows is None else list(nested_nrows)
        if len(nrows) != len(nested_value_rowids):
            raise ValueError("nested_nrows must have the same length as nested_value_rowids")
        with name_scope(name, "RaggedFromNestedValueRowIds"):
            result = flat_values
            for ids, n in reversed(list(zip(nested_value_rowids, nrows))):
                result = cls.from_value_rowids(result, ids, n, validate=validate)
            return result

    @classmethod
    def _nested(cls, factory, flat_values, parts, name, validate):
        if isinstance(parts, Tensor):
            raise TypeError("nested row partitions must be a list of Tensors")
        with name_scope(name):
            result = flat_values
            for p in reversed(list(parts)):
                result = factory(result, p, validate=validate)
            return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None, row_splits_dtype=_I64):
        """The RaggedTensor of the dense ``tensor``: rows cut to ``lengths`` (negative lengths count as 0), or with
        the trailing entries equal to ``padding`` dropped, or whole; ``ragged_rank`` dims become ragged."""
        from .convert import from_tensor
        return from_tensor(tensor, lengths, padding, ragged_rank, name)

    @classmethod
    def from_sparse(cls, st_input, name=None, row_splits_dtype=_I64):
        """The RaggedTensor of a rank-2 SparseTensor whose entries fill each row from column 0 in order."""
        from .convert import from_sparse
        return from_sparse(st_input, name)

    # -- accessors

    values = property(lambda self: self._values, doc="The values split into rows (a Tensor or RaggedTensor).")
    row_splits = property(lambda self: self._row_splits, doc="Where each row starts in ``values`` (int64).")

    @property
    def flat_values(self):
        """The innermost values, a Tensor."""
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v.values
        return v

    @property
    def nested_row_splits(self):
        """The row_splits of every ragged dimension, outermost first."""
        return (self._row_splits,) + (self._values.nested_row_splits if isinstance(self._values, RaggedTensor)
                                      else ())

    @property
    def ragged_rank(self):
        return 1 + (self._values.ragged_rank if isinstance(self._values, RaggedTensor) else 0)

    dtype = property(lambda self: self.flat_values.dtype)
    row_splits_dtype = property(lambda self: _I64)
    graph = property(lambda self: self._row_splits.graph)

    @property
    def uniform_row_length(self):
        """The length of every row when it is known to be the same (from ``from_uniform_row_length``), else None."""
        return None if self._uniform is None else convert_to_tensor(np.int64(self._uniform))

    @property
    def shape(self):
        """The static shape: ``[nrows, None (or the uniform row length), ...]``."""
        n = self._row_splits.shape[0]
        head = [None if n is None else n - 1, self._uniform]
        inner = self._values.shape
        return TensorShape(head + (list(inner)[1:] if inner.ndims is not None else [])) \
            if inner.ndims is not None else TensorShape(None)

    def get_shape(self):
        return self.shape

    def nrows(self, out_type=None, name=None):
        """The number of rows, a scalar of ``out_type`` (int64 by default)."""
        with name_scope(name, "RaggedNRows"):
            n = _shape(self._row_splits, out_type=_I64)[0] - np.int64(1)
            return n if out_type is None else cast(n, out_type)

    def row_lengths(self, axis=1, name=None):
        """The length of each row along ragged dim ``axis`` (a RaggedTensor for ``axis`` > 1)."""
        if axis < 0:
            axis += self.shape.ndims
        if axis == 0 or axis > self.ragged_rank:
            raise ValueError(f"axis={axis} out of bounds: expected 1<=axis<={self.ragged_rank}")
        with name_scope(name, "RaggedRowLengths"):
            if axis == 1:
                return self._row_splits[1:] - self._row_splits[:-1]
            return self.with_values(self._values.row_lengths(axis - 1))

    def row_starts(self, name=None):
        """Where each row starts in ``values``."""
        with name_scope(name, "RaggedRowStarts"):
            return self._row_splits[:-1]

    def row_limits(self, name=None):
        """Where each row ends in ``values``."""
        with name_scope(name, "RaggedRowLimits"):
            return self._row_splits[1:]

    def value_rowids(self, name=None):
        """The row of each entry of ``values`` (int64, sorted)."""
        with name_scope(name, "RaggedValueRowIds"):
            return row_splits_to_segment_ids(self._row_splits)

    def nested_row_lengths(self, name=None):
        """The row lengths of every ragged dimension, outermost first."""
        with name_scope(name, "RaggedNestedRowLengths"):
            return tuple(s[1:] - s[:-1] for s in self.nested_row_splits)

    def nested_value_rowids(self, name=None):
        """The value_rowids of every ragged dimension, outermost first."""
        with name_scope(name, "RaggedNestedValueRowIds"):
            return tuple(row_splits_to_segment_ids(s) for s in self.nested_row_splits)

    def bounding_shape(self, axis=None, name=None, out_type=None):
        """The smallest dense shape holding this tensor: ``[nrows, longest row of each ragged dim, inner dims]``
        (int64, or ``out_type``); ``axis`` picks entries of it."""
        with name_scope(name, "RaggedBoundingBox"):
            dims = [reshape(self.nrows(), [1])]
            rt = self
            while isinstance(rt, RaggedTensor):
                lengths = rt._row_splits[1:] - rt._row_splits[:-1]
                dims.append(reshape(reduce_max(concat([np.zeros([1], np.int64), lengths], 0)), [1]))
                rt = rt._values
            dims.append(_shape(rt, out_type=_I64)[1:])
            out = concat(dims, 0)
            if axis is not None:
                out = out[axis]
            return out if out_type is None else cast(out, out_type)

    def with_values(self, new_values):
        """These row splits over ``new_values`` (same number of rows as ``values``)."""
        new_values = _as_values(new_values)
        return RaggedTensor._make(new_values, self._row_splits, self._uniform)

    def with_flat_values(self, new_values):
        """These nested row splits over ``new_values`` (same number of rows as ``flat_values``)."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def to_tensor(self, default_value=None, name=None, shape=None):
        """The dense tensor: rows padded with ``default_value`` (0) to the bounding shape, or padded and cut to
        ``shape`` (None entries keep the bounding size)."""
        from .convert import to_tensor
        return to_tensor(self, default_value, name, shape)

    def to_sparse(self, name=None):
        """The SparseTensor of this tensor's entries (dense shape: the bounding shape)."""
        from .convert import to_sparse
        return to_sparse(self, name)

    def __getitem__(self, key):
        from .convert import getitem
        return getitem(self, key)

    def eval(self, feed_dict=None, session=None):
        """The value, a ``RaggedTensorValue``, computed in ``session`` (default: the default session)."""
        from ..session import _session_for
        return _session_for(session, self._row_splits).run(self, feed_dict)

    def consumers(self):
        return list(dict.fromkeys(c for t in self._fetch_components() for c in t.consumers()))

    # Session.run fetches a RaggedTensor as its flat values and row splits, and feeds it from a value's parts
    def _fetch_components(self):
        return [self.flat_values] + list(self.nested_row_splits)

    @staticmethod
    def _fetch_value(parts):
        value = parts[0]
        for s in reversed(parts[1:]):
            value = RaggedTensorValue(value, s)
        return value

    def _feed_components(self, value):
        if isinstance(value, RaggedTensor):
            raise TypeError("The value of a feed cannot be a RaggedTensor; feed a RaggedTensorValue")
        if not isinstance(value, RaggedTensorValue):
            raise TypeError(f"A RaggedTensor is fed a RaggedTensorValue, got {type(value).__name__}")
        if value.ragged_rank != self.ragged_rank:
            raise ValueError(f"The fed value has ragged_rank {value.ragged_rank}, expected {self.ragged_rank}")
        return list(zip(self._fetch_components(), [value.flat_values] + list(value.nested_row_splits)))

    def __repr__(self):
        return f"RaggedTensor(values={self._values!r}, row_splits={self._row_splits!r})"

    def __bool__(self):
        raise TypeError("RaggedTensor may not be used as a boolean.")

    __nonzero__ = __bool__


def _end_check(splits, values):
    """The check that ``splits`` ends at the number of rows of ``values``."""
    return assert_equal(splits[-1], nvals(values),
                        message="Arguments to _from_row_partition do not form a valid RaggedTensor")


def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """The row of each value of rows cut at ``splits``: ``[0, 2, 2, 5]`` gives ``[0, 0, 2, 2, 2]`` (TF's
    ``ragged.row_splits_to_segment_ids``).

    Examples
    --------
    >>> import daskflow as df
    >>> df.ragged.row_splits_to_segment_ids([0, 2, 2, 5]).compute()
    array([0, 0, 2, 2, 2])
    """
    with name_scope(name, "RaggedSplitsToSegmentIds"):
        splits = convert_to_tensor(splits, dtype_hint=_I64, name="splits")
        if splits.dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"splits must be int32 or int64, got {dtypes.name(splits.dtype)}")
        if splits.shape.ndims is not None and splits.shape.ndims != 1:
            raise ValueError(f"Shape {splits.shape} must have rank 1")
        out_type = splits.dtype if out_type is None else dtypes.as_dtype(out_type)
        s = cast(splits, _I64)
        total = s[-1]
        ids = searchsorted(s[1:], _range(total, dtype=_I64), side="right", out_type=_I64)
        return ids if out_type == _I64 else cast(ids, out_type)


def register_operators():
    """Python operators on RaggedTensors: elementwise on ``flat_values`` (see ``ops.map_flat_values``)."""
    from . import ops
    for name, fn in ops.OPERATORS.items():
        setattr(RaggedTensor, name, fn)
