"""``RaggedTensorValue``, the value ``Session.run`` gives for a ``RaggedTensor``, and ``constant_value``, which
builds one from a nested Python list (TF's ``ragged.constant_value``). Host-side numpy only."""
import numpy as np

__all__ = ["RaggedTensorValue", "constant_value"]


class RaggedTensorValue:
    """The value of a ``RaggedTensor``: numpy ``values`` (a numpy array or another ``RaggedTensorValue``) split
    into rows by the int64 vector ``row_splits`` (row ``i`` is ``values[row_splits[i]:row_splits[i + 1]]``).

    Examples
    --------
    >>> import numpy as np
    >>> from daskflow.ragged import RaggedTensorValue
    >>> RaggedTensorValue(np.array([1, 2, 3]), np.array([0, 2, 3])).to_list()
    [[1, 2], [3]]
    """

    def __init__(self, values, row_splits):
        row_splits = np.asarray(row_splits)
        if row_splits.ndim != 1 or row_splits.dtype.kind not in "iu":
            raise TypeError("row_splits must be a 1D int32 or int64 numpy array")
        if not isinstance(values, (RaggedTensorValue, np.ndarray)):
            raise TypeError("values must be a numpy array or a RaggedTensorValue")
        self._values, self._row_splits = values, row_splits

    values = property(lambda self: self._values)
    row_splits = property(lambda self: self._row_splits)

    @property
    def flat_values(self):
        """The innermost values, a numpy array."""
        v = self._values
        while isinstance(v, RaggedTensorValue):
            v = v.values
        return v

    @property
    def nested_row_splits(self):
        """The row_splits of every ragged dimension, outermost first."""
        out, v = [self._row_splits], self._values
        while isinstance(v, RaggedTensorValue):
            out.append(v.row_splits)
            v = v.values
        return tuple(out)

    @property
    def ragged_rank(self):
        return 1 + (self._values.ragged_rank if isinstance(self._values, RaggedTensorValue) else 0)

    @property
    def dtype(self):
        return self.flat_values.dtype

    @property
    def shape(self):
        """``(nrows, None, ..., inner dims of flat_values)``."""
        inner = self._values.shape[1:]
        return (len(self._row_splits) - 1, None) + tuple(inner)

    def to_list(self):
        """The value as a nested Python list (one list per row)."""
        inner = self._values.to_list() if isinstance(self._values, RaggedTensorValue) else self._values.tolist()
        s = self._row_splits.tolist()
        return [inner[a:b] for a, b in zip(s[:-1], s[1:])]

    def __str__(self):
        return f"<RaggedTensorValue {self.to_list()}>"

    def __repr__(self):
        return f"RaggedTensorValue(values={self._values!r}, row_splits={self._row_splits!r})"


def _depth(x):
    """Nesting depth of ``x`` (0 for a scalar); None for an empty list (compatible with any depth)."""
    if isinstance(x, np.ndarray):
        return x.ndim
    if not isinstance(x, (list, tuple)):
        return 0
    depths = {d for d in map(_depth, x) if d is not None}
    if len(depths) > 1:
        raise ValueError("all scalar values must have the same nesting depth")
    return 1 + depths.pop() if depths else None


def constant_value(pylist, dtype=None, ragged_rank=None, inner_shape=None, row_splits_dtype="int64"):
    """A ``RaggedTensorValue`` (or, for ``ragged_rank`` 0, a numpy array) of the nested list ``pylist``.

    The last ``len(inner_shape)`` levels of nesting (the ones below ``ragged_rank``) must be uniform; by default
    ``ragged_rank`` is the nesting depth less 1 less ``len(inner_shape)`` (TF's ``ragged.constant_value``).

    Examples
    --------
    >>> from daskflow import ragged
    >>> ragged.constant_value([[1, 2], [3]]).row_splits
    array([0, 2, 3])
    """
    if np.dtype(row_splits_dtype) not in (np.int32, np.int64):
        raise ValueError("row_splits_dtype must be int32 or int64")
    values, splits = _flatten(pylist, dtype, ragged_rank, inner_shape)
    for s in reversed(splits):
        values = RaggedTensorValue(values, np.asarray(s, dtype=row_splits_dtype))
    return values


def _flatten(pylist, dtype, ragged_rank, inner_shape):
    """The flat values (numpy) and the row splits of every ragged level of ``pylist``, outermost first."""
    if isinstance(pylist, np.ndarray) and ragged_rank is None:
        ragged_rank = 0
    depth = _depth(pylist)
    depth = (len(inner_shape or ()) + 1 if depth is None else depth)
    if ragged_rank is None:
        ragged_rank = max(0, depth - 1 - len(inner_shape or ()))
    if ragged_rank < 0:
        raise ValueError(f"Invalid ragged_rank={ragged_rank}: must be nonnegative")
    if depth <= ragged_rank:
        raise ValueError(f"pylist has scalar values depth {depth}, but ragged_rank={ragged_rank} requires scalar "
                         f"value depth greater than {ragged_rank}")
    splits, level = [], list(pylist) if ragged_rank else []
    for _ in range(ragged_rank):
        lens = [len(row) for row in level]
        splits.append(np.concatenate([[0], np.cumsum(lens, dtype=np.int64)]).astype(np.int64))
        level = [item for row in level for item in row]
    inner = _inner_shape(level, depth - 1 - ragged_rank, inner_shape)
    flat = np.array(level, dtype=dtype) if level else np.zeros((0,) + inner, dtype=dtype or np.float64)
    if ragged_rank == 0:
        flat = np.array(pylist, dtype=dtype)
    if flat.dtype.kind == "U":
        flat = np.array([s.encode("utf-8") for s in flat.reshape(-1)], dtype=object).reshape(flat.shape)
    if ragged_rank and flat.shape[1:] != inner:
        raise ValueError("inner values must all have the same shape")
    return flat, splits


def _inner_shape(items, ndim, inner_shape):
    if inner_shape is not None:
        return tuple(int(d) for d in inner_shape)
    for item in items:
        return np.shape(item)[:ndim] if ndim else ()
    return (0,) * ndim
