"""TensorArrays (TF1's ``tf.TensorArray``): a list of tensors of one dtype and one shape, written and read by index,
made for loops.

A TensorArray here is a Python object over one dense tensor, its value: rows are the elements, so its shape is
``[size, *element_shape]``. It is immutable, as TF1's flow-based TensorArray is: ``write``, ``scatter``,
``unstack`` and ``split`` return a new TensorArray over a new value (keep what they return), and reads see the
value of the TensorArray they are called on. ``flow`` is that value (a zero scalar before there is one), so a
TensorArray goes through ``while_loop`` as its value does.

The value is made when the element shape is known: at once when ``element_shape`` is fully given, else at the
first write (zeros of ``[size, *shape of what is written]``, known at run time where the static shape is not);
elements never written read as zeros, as in TF when the element shape is known.

Writes are two ops of their own, each working block by block on the value's row blocks (only the blocks holding
written rows are copied): ``RowWrite`` (one row) and ``RowScatter`` (several rows, for ``scatter``, ``unstack`` and
``split``). Their gradients give the value the incoming gradient with the written rows zeroed (they were
overwritten) and the written values the incoming gradient's rows. Reads are ``gather`` (``GatherV2``) on the
value; ``stack`` is the value itself; ``concat`` a reshape of it.

With ``dynamic_size=True``, a write past the end grows the array (the rows between are zeros until written); the
new size depends on the index, which the plan then needs on the host: an index computed from run-time data is
computed first, in a run of its own, as any shape argument that depends on data (``hostvalue.NeedsValue``). The
first dim of a growing array's value is left unknown statically (TF's ``stack`` has it unknown too), so that a
``while_loop`` can carry it as it grows.

Differences from TF1, all where TF1 raises: reading an element twice is allowed (``clear_after_read`` is accepted
and ignored: reads never clear), a second write to an index replaces the first, and since elements share one
dense tensor they all have one shape whatever ``infer_shape`` says (``split`` takes equal lengths only, as TF1
does with ``infer_shape=True``, its default).
"""
import math
import string

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors, planner
from ..graph import Tensor, TensorShape, as_shape, name_scope
from .array import concat, padded, reshape
from .generate import dim_size, range as arange, shape as shape_of, zeros, zeros_like
from .hostvalue import (NeedsValue, as_tensor, check_int_input, constant_value, host_lowered, host_scalar,
                        host_vector, int_arg)
from .indexing import gather
from .registry import apply1, convert_to_tensor, fail, register, same_dtype
from .state import constant, identity, no_op, placeholder_with_default

__all__ = ["TensorArray"]


# -- the TensorArray object

class TensorArray:
    """A list of tensors of one dtype and shape (TF1's ``tf.TensorArray``), over one dense tensor of shape
    ``[size, *element_shape]``.

    Parameters
    ----------
    dtype : dtype
        The elements' dtype.
    size : int or int scalar Tensor
        The number of elements (known at run time only when a tensor computed from data).
    dynamic_size : bool, optional
        Writes past the end grow the array (default False: they raise ``InvalidArgumentError``).
    clear_after_read : bool, optional
        Accepted for TF1 compatibility; reads never clear an element here.
    tensor_array_name : str, optional
        The array's name (as ``name``).
    handle : optional
        TF1's resource handle, given with ``flow`` to rebuild an array: ignored, the array here is its flow.
    flow : Tensor, optional
        A TensorArray's ``flow`` (its value, of rank >= 1): the array over it, of its size.
    infer_shape : bool
        Accepted; elements always share one shape here (TF1's default, True).
    element_shape : TensorShape or list, optional
        The elements' shape, possibly partly known; by default the shape of the first element written.
    colocate_with_first_write_call : bool
        Accepted for TF1 compatibility.
    name : str, optional

    Examples
    --------
    >>> import daskflow as df
    >>> ta = df.TensorArray(df.float32, size=3)
    >>> ta = ta.write(0, [1.0, 2.0]).write(2, [5.0, 6.0])
    >>> with df.Session() as s:
    ...     s.run(ta.stack()).tolist(), s.run(ta.read(2)).tolist()
    ([[1.0, 2.0], [0.0, 0.0], [5.0, 6.0]], [5.0, 6.0])
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None, tensor_array_name=None,
                 handle=None, flow=None, infer_shape=True, element_shape=None, colocate_with_first_write_call=True,
                 name=None):
        if handle is not None and flow is None:
            raise ValueError("flow must not be None if handle is not None.")
        if handle is not None and size is not None:
            raise ValueError("Cannot provide both a `handle` and `size` arguments at the same time.")
        flow = as_tensor(flow) if flow is not None else None
        if flow is not None and not isinstance(flow, Tensor):
            raise TypeError(f"TensorArray: flow must be a Tensor (another TensorArray's flow), got {flow!r}")
        if flow is not None and flow.shape.ndims == 0:
            if size is None:
                raise ValueError(f"TensorArray: flow '{flow.name}' is a scalar, the flow of an array with nothing "
                                 "written yet, which carries no value: give size (and element_shape) instead")
            flow = None
        if size is None and flow is None:
            raise ValueError("Argument `size` must be provided if handle is not provided.")
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = bool(infer_shape)
        self._colocate_with_first_write_call = colocate_with_first_write_call
        self._element_shape = as_shape(element_shape) if element_shape is not None else TensorShape(None)
        self._flow_zero = None
        with name_scope(tensor_array_name or name or "TensorArray") as scope:
            self._name = scope[:-1]
        if flow is not None:
            if flow.dtype != self._dtype:
                raise TypeError(f"TensorArray '{self._name}' has dtype {dtypes.name(self._dtype)}, but its flow "
                                f"'{flow.name}' has dtype {dtypes.name(flow.dtype)}")
            if size is not None:
                raise ValueError("Cannot provide both a `flow` and `size` arguments at the same time.")
            self._element_shape = self._merged(self._element_shape, _rows_of(flow), "flow", flow)
            self._size = dim_size(flow, 0) if flow.shape.ndims is not None else shape_of(flow)[0]
            self._value = flow
            return
        self._size = self._checked_size(size)
        self._value = self._initial_value()

    # -- what the loop code uses (keep these names)

    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self):
        """The elements' static shape (``TensorShape(None)`` while unknown)."""
        return self._element_shape

    @property
    def dynamic_size(self):
        return self._dynamic_size

    def _value_or_none(self):
        """The value tensor, ``[size, *element_shape]``, or None while no element has been written and the element
        shape is not fully known."""
        return self._value

    def _with_value(self, tensor, element_shape=None):
        """A TensorArray of this one's dtype, size, dynamic_size and element shape (merged with ``element_shape``
        and the shape of ``tensor``'s rows) over ``tensor``."""
        t = convert_to_tensor(tensor)
        if t.dtype != self._dtype:
            raise TypeError(f"TensorArray '{self._name}' has dtype {dtypes.name(self._dtype)}, but the value given "
                            f"('{t.name}') has dtype {dtypes.name(t.dtype)}")
        es = self._element_shape
        if element_shape is not None:
            es = self._merged(es, as_shape(element_shape), "element_shape", None)
        return self._new(t, self._merged(es, _rows_of(t), "value", t))

    def _initial_value(self):
        """A value with no element written, ``zeros([size, *element_shape])``; None while the element shape is not
        fully known."""
        return self._zeros() if self._element_shape.is_fully_defined() else None

    # -- TF1's API

    @property
    def flow(self):
        """The array's value (TF1's flow: what orders its reads after its writes), a zero scalar before it has
        one."""
        if self._value is not None:
            return self._value
        if self._flow_zero is None:
            with name_scope(self._scope()):
                self._flow_zero = constant(np.float32(0.0), name="flow")
        return self._flow_zero

    @property
    def handle(self):
        """TF1's resource handle: here the flow (a TensorArray is its value)."""
        return self.flow

    def read(self, index, name=None):
        """The element at ``index`` (an int scalar); out of range raises ``InvalidArgumentError`` (when built if
        the index and size are known then, else when run)."""
        idx = self._index(index, "read", "index", 0)
        value = self._readable("read from", idx)
        self._check_read(value, constant_value(idx))
        with name_scope(self._scope()):
            return gather(value, idx, name=name or "read")

    def write(self, index, value, name=None):
        """A new TensorArray with element ``index`` set to ``value``; with ``dynamic_size`` an index past the end
        grows the array."""
        x = self._convert(value, "write")
        es = self._merged(self._element_shape, x.shape, "write", x)
        idx = self._index(index, "write", "index", 0)
        i = constant_value(idx)
        if i is not None:
            self._check_write_index(int(i))
        with name_scope(self._scope()):
            base = self._value if self._value is not None else self._zeros_for(es, lambda: shape_of(x))
            out = apply1("RowWrite", [base, idx, x], {"array": self._name, "grow": self._dynamic_size},
                         name=name or "write")
        return self._new(out, es)

    def stack(self, name=None):
        """All elements stacked: ``[size, *element_shape]``."""
        return self._readable("stack", None)

    def gather(self, indices, name=None):
        """The elements at ``indices`` (an int vector), stacked."""
        idx = self._index(indices, "gather", "indices", 1)
        value = self._readable("gather from", None)
        v = constant_value(idx)
        if v is not None and v.size:
            bad = v[(v < 0) | (v >= value.shape[0])] if value.shape.ndims and value.shape[0] is not None \
                else v[v < 0]
            if bad.size:
                self._check_read(value, int(bad.ravel()[0]))
        with name_scope(self._scope()):
            return gather(value, idx, name=name or "gather")

    def concat(self, name=None):
        """The elements joined along their first dim: ``[size * element_shape[0], *element_shape[1:]]``."""
        value = self._readable("concat", None)
        if value.shape.ndims is not None and value.shape.ndims < 2:
            raise ValueError(f"TensorArray '{self._name}': cannot concat scalar elements (element shape "
                             f"{self._element_shape}): concat needs elements of rank >= 1; use stack")
        with name_scope(self._scope()):
            if value.shape.is_fully_defined():
                dims = [-1] + list(value.shape[2:])
            else:
                dims = concat([constant(np.array([-1], np.int32)), shape_of(value)[2:]], 0)
            return reshape(value, dims, name=name or "concat")

    def unstack(self, value, name=None):
        """A new TensorArray whose first elements are the rows of ``value`` (``value[i]`` at index i)."""
        x = self._convert(value, "unstack")
        if x.shape.ndims == 0:
            raise ValueError(f"TensorArray '{self._name}': cannot unstack a scalar ('{x.name}')")
        with name_scope(self._scope()):
            return self._scatter(arange(dim_size(x, 0), name="indices"), x, "unstack", name or "unstack")

    def scatter(self, indices, value, name=None):
        """A new TensorArray with element ``indices[i]`` set to ``value[i]`` for each i (indices distinct)."""
        x = self._convert(value, "scatter")
        if x.shape.ndims == 0:
            raise ValueError(f"TensorArray '{self._name}': cannot scatter a scalar ('{x.name}')")
        idx = self._index(indices, "scatter", "indices", 1)
        with name_scope(self._scope()):
            return self._scatter(idx, x, "scatter", name or "scatter")

    def split(self, value, lengths, name=None):
        """A new TensorArray whose element i is the i-th piece of ``value`` cut along its first dim in ``lengths``.
        Elements share one shape here, so the lengths must be equal (as TF1 needs with ``infer_shape``)."""
        x = self._convert(value, "split")
        if x.shape.ndims == 0:
            raise ValueError(f"TensorArray '{self._name}': cannot split a scalar ('{x.name}')")
        lens = int_arg(lengths, "lengths")
        if lens.dtype.kind not in "iu":
            raise TypeError(f"TensorArray '{self._name}': split's lengths must be integers, got '{lens.name}' of "
                            f"dtype {lens.dtype.name}")
        if lens.shape.ndims != 1 or lens.shape[0] is None:
            raise errors.UnimplementedError(None, lens.op, f"TensorArray '{self._name}': split needs lengths of a "
                                                           f"known count (a vector of static length), got "
                                                           f"'{lens.name}' of shape {lens.shape}")
        k = lens.shape[0]
        size = self._static_size()
        if size is not None and (size > k or (size < k and not self._dynamic_size)):
            raise errors.InvalidArgumentError(
                None, None, f"TensorArray '{self._name}': TensorArray's size is not equal to the size of lengths "
                            f"({size} vs. {k}), and the TensorArray is not marked as dynamically resizeable")
        rows = x.shape[0] if x.shape.ndims is not None else None
        lv = constant_value(lens)
        with name_scope(self._scope()):
            checks = []
            if lv is not None:
                if k and (lv.min() != lv.max() or lv.min() < 0):
                    raise ValueError(f"TensorArray '{self._name}': split needs equal lengths (its elements share "
                                     f"one shape), got {lv.tolist()}")
                if rows is not None and int(lv.sum()) != rows:
                    raise errors.InvalidArgumentError(
                        None, None, f"TensorArray '{self._name}': Expected sum of lengths to be equal to "
                                    f"values.shape[0], but sum of lengths is {int(lv.sum())} and value's shape is: "
                                    f"{x.shape}")
                piece = int(lv[0]) if k else 0
            else:
                from .math import Assert, cast, equal, logical_and
                from .reduce import reduce_all, reduce_sum
                n = cast(dim_size(x, 0), lens.dtype) if rows is None else rows
                ok = logical_and(reduce_all(equal(lens, lens[0])), equal(reduce_sum(lens), n))
                checks.append(Assert(ok, [f"TensorArray '{self._name}': split needs equal lengths summing to the "
                                          "value's rows (its elements share one shape); lengths =", lens,
                                          "rows =", n], name="split_check"))
                piece = -1
            if k == 0:
                return self._new(self._value, self._element_shape) if self._value is not None else self
            from ..graph import control_dependencies
            with control_dependencies(checks):
                if x.shape.ndims is not None and all(d is not None for d in x.shape[1:]):
                    dims = [k, piece] + list(x.shape[1:])
                else:
                    dims = concat([constant(np.array([k, piece], np.int32)), shape_of(x)[1:]], 0)
                pieces = reshape(x, dims, name="pieces")
            return self._scatter(arange(k, name="indices"), pieces, "split", name or "split")

    def size(self, name=None):
        """The number of elements, an int32 scalar."""
        with name_scope(self._scope()):
            if self._dynamic_size and self._value is not None:
                return _size_of(self._value, name or "size")
            if isinstance(self._size, Tensor):
                return self._size
            return constant(np.int32(self._size), name=name or "size")

    def identity(self):
        """A TensorArray over an identity of this one's value (ordered by the control dependencies in scope)."""
        if self._value is None:
            return self._new(None, self._element_shape)
        with name_scope(self._scope()):
            return self._new(identity(self._value, name="identity"), self._element_shape)

    def close(self, name=None):
        """An op that does nothing (there is nothing to free)."""
        with name_scope(self._scope()):
            return no_op(name=name or "close")

    def __repr__(self):
        size = self._size.name if isinstance(self._size, Tensor) else self._size
        return (f"<TensorArray '{self._name}' dtype={dtypes.name(self._dtype)} size={size} "
                f"element_shape={self._element_shape}{' dynamic_size' if self._dynamic_size else ''}>")

    # -- helpers

    def _scope(self):
        return self._name + "/"

    def _new(self, value, element_shape):
        ta = object.__new__(TensorArray)
        ta.__dict__.update(self.__dict__)
        ta._value, ta._element_shape, ta._flow_zero = value, element_shape, None
        return ta

    def _static_size(self):
        """The size when known at build time, else None."""
        if self._value is not None and self._value.shape.ndims:
            if self._value.shape[0] is not None:
                return self._value.shape[0]
            if self._dynamic_size:
                return None
        if isinstance(self._size, Tensor):
            v = constant_value(self._size)
            return None if v is None else int(v)
        return self._size

    def _checked_size(self, size):
        size = as_tensor(size)
        if isinstance(size, Tensor):
            if size.dtype.kind not in "iu":
                raise TypeError(f"TensorArray '{self._name}': size must be an int32 scalar, got '{size.name}' of "
                                f"dtype {size.dtype.name}")
            if size.shape.ndims not in (None, 0):
                raise ValueError(f"TensorArray '{self._name}': size must be a scalar, got '{size.name}' of shape "
                                 f"{size.shape}")
            v = constant_value(size)
            if v is not None:
                if int(v) < 0:
                    raise ValueError(f"TensorArray '{self._name}': size must be non-negative, got {int(v)}")
            if size.dtype != np.int32:
                from .math import cast
                with name_scope(self._scope()):
                    size = cast(size, np.int32, name="size")
            return size
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"TensorArray '{self._name}': size must be an int or an int32 scalar tensor, got "
                            f"{size!r}")
        if size < 0:
            raise ValueError(f"TensorArray '{self._name}': size must be non-negative, got {size}")
        return int(size)

    def _zeros(self):
        """``zeros([size, *element_shape])`` (the element shape fully known)."""
        return self._zeros_for(self._element_shape, None)

    def _zeros_for(self, es, elem_dims):
        """Zeros of ``[size] + element dims``: ``es`` when fully known, else the int vector ``elem_dims()`` (the
        shape of what is written, known when the plan is made). A growing array's first dim is left unknown."""
        with name_scope(self._scope()):
            if es.is_fully_defined():
                dims = [self._size] + list(es)
            else:
                size = self._size if isinstance(self._size, Tensor) else constant(np.int32(self._size), name="size")
                dims = concat([reshape(size, [1]), elem_dims()], 0)
            z = zeros(dims, self._dtype, name="zeros")
            if self._dynamic_size:
                z = placeholder_with_default(z, [None] + list(z.shape[1:]) if z.shape.ndims else None, name="value")
        return z

    def _merged(self, es, shape, what, x):
        """``es`` merged with the shape of an element being written; ValueError naming the array when they
        differ."""
        shape = as_shape(shape)
        if not es.is_compatible_with(shape):
            got = f" ('{x.name}')" if x is not None else ""
            raise ValueError(f"TensorArray '{self._name}': Inconsistent shapes: saw {shape} but expected {es} (the "
                             f"elements given to {what}{got})")
        return es.merge_with(shape)

    def _convert(self, value, what):
        t = as_tensor(value)
        if isinstance(t, Tensor):
            if t.dtype != self._dtype:
                raise TypeError(f"TensorArray '{self._name}' has dtype {dtypes.name(self._dtype)}, but {what} was "
                                f"given '{t.name}' of dtype {dtypes.name(t.dtype)}")
            return t
        try:
            return convert_to_tensor(value, dtype=self._dtype, name="value")
        except TypeError as e:
            raise TypeError(f"TensorArray '{self._name}' of dtype {dtypes.name(self._dtype)}: {what} was given "
                            f"{value!r}: {e}") from None

    def _index(self, index, what, arg, ndim):
        idx = int_arg(index, arg)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"TensorArray '{self._name}': {what}'s {arg} must be int32 or int64, got '{idx.name}' "
                            f"of dtype {idx.dtype.name}")
        if idx.shape.ndims is not None and idx.shape.ndims != ndim:
            kind = "a vector" if ndim else "a scalar"
            raise ValueError(f"TensorArray '{self._name}': {what}'s {arg} must be {kind}, got '{idx.name}' of shape "
                             f"{idx.shape}")
        return idx

    def _readable(self, what, index):
        """The value, for reading; raises when there is none (nothing written and no full element shape)."""
        if self._value is not None:
            return self._value
        size = self._static_size()
        if size == 0:
            raise errors.UnimplementedError(
                None, None, f"TensorArray '{self._name}' has size zero, but element shape {self._element_shape} is "
                            "not fully defined. Currently only static shapes are supported when packing zero-size "
                            "TensorArrays.")
        i = constant_value(index) if index is not None else None
        at = f" index {int(i)}" if i is not None else ""
        raise errors.InvalidArgumentError(
            None, None, f"TensorArray '{self._name}': Could not {what} TensorArray{at}: no element has been written "
                        f"and the element shape is not fully defined: {self._element_shape}. Give the TensorArray a "
                        "full element_shape to read unwritten elements as zeros.")

    def _check_read(self, value, i):
        if i is None:
            return
        i = int(i)
        n = value.shape[0] if value.shape.ndims else None
        if i < 0 or (n is not None and i >= n):
            raise errors.InvalidArgumentError(
                None, None, f"TensorArray '{self._name}': Tried to read from index {i} but array size is: "
                            f"{'?' if n is None else n}")

    def _check_write_index(self, i):
        size = self._static_size()
        if i < 0 or (not self._dynamic_size and size is not None and i >= size):
            raise errors.InvalidArgumentError(
                None, None, f"TensorArray '{self._name}': Tried to write to index {i} but array is not resizeable "
                            f"and size is: {'?' if size is None else size}" if i >= 0 else
                            f"TensorArray '{self._name}': Tried to write to index {i}: indices must be non-negative")

    def _scatter(self, indices, x, what, name):
        """``x``'s rows written at ``indices`` (in the array's scope)."""
        es = self._merged(self._element_shape, _rows_of(x), what, x)
        if x.shape.ndims is not None and indices.shape.ndims == 1 and None not in (x.shape[0], indices.shape[0]) \
                and x.shape[0] != indices.shape[0]:
            raise ValueError(f"TensorArray '{self._name}': {what} was given {indices.shape[0]} indices for "
                             f"{x.shape[0]} rows ('{x.name}')")
        iv = constant_value(indices)
        if iv is not None and iv.size:
            if iv.min() < 0:
                self._check_write_index(int(iv.min()))
            size = self._static_size()
            if not self._dynamic_size and size is not None and iv.max() >= size:
                raise errors.InvalidArgumentError(
                    None, None, f"TensorArray '{self._name}': {what} tried to write to index {int(iv.max())} but "
                                f"array is not resizeable and size is: {size}")
            _check_distinct(None, self._name, iv)
        base = self._value if self._value is not None else self._zeros_for(es, lambda: shape_of(x)[1:])
        out = apply1("RowScatter", [base, indices, x], {"array": self._name, "grow": self._dynamic_size},
                     name=name)
        return self._new(out, es)


def _rows_of(t):
    """The shape of ``t``'s rows (``t.shape[1:]``), unknown when its rank is."""
    if t.shape.ndims is None:
        return TensorShape(None)
    return TensorShape(list(t.shape)[1:])


def _size_of(t, name):
    """``shape(t)[0]``: the size of an array over ``t``, an int32 scalar tensor."""
    return shape_of(t, name=name)[0]


def _check_distinct(op, array, iv):
    """Indices written at once must be distinct: which write would win is not defined (TF raises too)."""
    uniq, counts = np.unique(np.asarray(iv), return_counts=True)
    if (counts > 1).any():
        msg = (f"TensorArray '{array}': Could not write to TensorArray index {int(uniq[counts > 1][0])} because it "
               "has already been written to (scatter indices must be distinct)")
        if op is None:
            raise errors.InvalidArgumentError(None, None, msg)
        fail(op, msg)


# -- ops

_LETTERS = string.ascii_lowercase


def _label(op):
    return f"op '{op.name}' (type {op.type})"


def _element_check(op, value, x, what):
    """Lowering: ``x``'s rows (``what`` says which dims) must have the value's element shape."""
    elem = tuple(value.shape[1:])
    got = tuple(x.shape[1:]) if what == "rows" else tuple(x.shape)
    if got != elem:
        fail(op, f"TensorArray '{op.attrs['array']}': Could not write to TensorArray because the value shape is "
                 f"{list(got)} which is incompatible with the TensorArray's element shape: {list(elem)}")


def _row_starts(op, value):
    rows = value.chunks[0]
    if any(math.isnan(c) for c in rows):
        fail(op, "cannot write to a TensorArray whose value has unknown chunk sizes", errors.UnimplementedError)
    starts = np.cumsum((0,) + tuple(rows))[:-1].astype(np.int64)
    return da.from_array(starts, chunks=1) if starts.size else None


def _grown(value, rows):
    """``value`` with zero rows added to make ``rows`` rows (the new rows in blocks of their own)."""
    extra = rows - value.shape[0]
    if extra <= 0:
        return value
    if dtypes.is_string(value.dtype):
        zero = da.from_array(np.array(b"", dtype=object), chunks=())
    else:  # a zero of the value's chunk type (numpy or cupy)
        zero = value[(slice(0, 0),) * value.ndim].sum(dtype=value.dtype)
    return padded(value, [(0, extra)] + [(0, 0)] * (value.ndim - 1), zero)


def _write_block(block, start, x, index, n, array, label):
    """``block`` (rows from ``start``) with row ``index`` of the whole array replaced by ``x``."""
    i = int(index)
    if not 0 <= i < n:
        raise errors.InvalidArgumentError(
            None, None, f"TensorArray '{array}': Tried to write to index {i} but array is not resizeable and size "
                        f"is: {n} [{label}]")
    j = i - int(start[0])
    if not 0 <= j < block.shape[0]:
        return block
    out = block.copy()
    out[j] = x
    return out


@register("RowWrite")
class RowWrite:
    """``value`` with row ``index`` (an int scalar) replaced by ``x``: a TensorArray's write. Attrs: ``array``, the
    TensorArray's name (for messages); ``grow``: an index past the end adds zero rows up to it (dynamic_size)."""
    strings = True

    def infer(op):
        value, _, x = op.inputs
        dt = same_dtype(op, value, x)
        check_int_input(op, 1, "index", 0)
        if value.shape.ndims == 0:
            fail(op, f"value must have rank >= 1 (rows are elements), got '{value.name}' of shape {value.shape}")
        i = host_scalar(op, 1, "index")
        rows = value.shape[0] if value.shape.ndims else None
        array = op.attrs["array"]
        if i is not None and i < 0:
            fail(op, f"TensorArray '{array}': Tried to write to index {i}: indices must be non-negative")
        if i is not None and rows is not None and i >= rows and not op.attrs["grow"]:
            fail(op, f"TensorArray '{array}': Tried to write to index {i} but array is not resizeable and size is: "
                     f"{rows}")
        elem = _rows_of(value)
        if not elem.is_compatible_with(x.shape):
            fail(op, f"TensorArray '{array}': Inconsistent shapes: saw {x.shape} ('{x.name}') but expected {elem}")
        elem = elem.merge_with(x.shape)
        if elem.ndims is None:
            return [(TensorShape(None), dt)]
        if op.attrs["grow"]:
            rows = None if rows is None or i is None else max(rows, i + 1)
        return [([rows] + list(elem), dt)]

    def lower(op, value, index, x):
        _element_check(op, value, x, "element")
        try:
            i = int(host_lowered(op, 1, "index"))
        except NeedsValue:
            if op.attrs["grow"]:
                raise  # the new size depends on it: the Session computes it first
            i = None
        if i is not None:
            if i < 0 or (i >= value.shape[0] and not op.attrs["grow"]):
                fail(op, f"TensorArray '{op.attrs['array']}': Tried to write to index {i} but array is not "
                         f"resizeable and size is: {value.shape[0]}")
            value = _grown(value, i + 1)
        starts = _row_starts(op, value)
        n = int(value.shape[0])
        if starts is None:
            fail(op, f"TensorArray '{op.attrs['array']}': Tried to write to an array of size 0 that is not resizeable")
        ind = _LETTERS[:value.ndim]
        x = x.rechunk(value.chunks[1:]) if x.ndim else x
        args = [value, ind, starts, ind[0], x, ind[1:]]
        kw = {"index": i} if i is not None else {}
        if i is None:
            args += [index, ""]
        return da.blockwise(_write_block, ind, *args, n=n, array=op.attrs["array"], label=_label(op),
                            align_arrays=False, dtype=value.dtype, meta=value._meta, **kw)

    def grad(op, dy):  # the row written was overwritten: no gradient to the value's row; x gets dy's row
        value, index, x = op.inputs
        dvalue = apply1("RowWrite", [dy, index, zeros_like(x)], {"array": op.attrs["array"], "grow": False},
                        name="RowWriteGrad")
        if op.attrs["grow"]:
            dvalue = dvalue[:dim_size(value, 0)]
        return [dvalue, None, gather(dy, index)]


def _place_rows(block, x, rows):
    """``block`` with its rows ``rows`` (a slice, or an int array) replaced by the rows of ``x``."""
    out = block.copy()
    out[rows if isinstance(rows, slice) else backend.xp(block).asarray(rows)] = x
    return out


def _scatter_block(block, start, indices, x, n, array, label):
    """``block`` (rows from ``start``) with the rows ``indices`` of the whole array replaced by ``x``'s rows."""
    m = backend.xp(block)
    idx = m.asarray(indices).astype(m.int64)
    bad = (idx < 0) | (idx >= n)
    if bool(bad.any()):
        raise errors.InvalidArgumentError(
            None, None, f"TensorArray '{array}': Tried to write to index {int(idx[bad][0])} but array is not "
                        f"resizeable and size is: {n} [{label}]")
    if idx.size and m.unique(idx).size != idx.size:
        srt = m.sort(idx)
        dup = int(srt[1:][srt[1:] == srt[:-1]][0])
        raise errors.InvalidArgumentError(
            None, None, f"TensorArray '{array}': Could not write to TensorArray index {dup} because it has already "
                        f"been written to (scatter indices must be distinct) [{label}]")
    s = int(start[0])
    hit = (idx >= s) & (idx < s + block.shape[0])
    if not bool(hit.any()):
        return block
    out = block.copy()
    out[idx[hit] - s] = x[hit]
    return out


def _range_of(op, lowered):
    """``(start, stop)`` when ``op``'s indices are ``range(start, stop)`` with host-known bounds (unstack's and
    split's), however many rows: host values of vectors stop at ``HOST_MAX_ELEMS``; else None."""
    r = op.inputs[1].op
    if r.type != "Range":
        return None
    try:
        vals = [host_lowered(r, i, w) if lowered else host_scalar(r, i, w, kinds="iuf")
                for i, w in enumerate(("start", "limit", "delta"))]
    except NeedsValue:
        return None
    if any(v is None for v in vals) or any(float(v) != int(v) for v in vals):
        return None
    start, limit, delta = (int(v) for v in vals)
    return (start, max(start, limit)) if delta == 1 else None


def _host_rows(op):
    """Lowering: the rows a scatter writes, on the host: ``("range", start, stop)``, ``("array", indices)``, or None
    when they are data (then checked in the blocks)."""
    r = _range_of(op, lowered=True)
    if r is not None:
        return ("range",) + r
    try:
        return ("array", host_lowered(op, 1, "indices").astype(np.int64))
    except NeedsValue:
        if op.attrs["grow"]:
            raise  # the new size depends on them: the Session computes them first
        return None


def _assemble(value, touched, make):
    """``value`` with each row block ``b`` in ``touched`` replaced by ``make(b, block)``; the runs of blocks not
    touched kept as they are (sliced at block boundaries)."""
    bounds = np.cumsum((0,) + tuple(value.chunks[0]))
    pieces, run = [], None
    for b in range(len(value.chunks[0])):
        if b in touched:
            if run is not None:
                pieces.append(value[int(bounds[run]):int(bounds[b])])
                run = None
            pieces.append(make(b, value[int(bounds[b]):int(bounds[b + 1])]))
        elif run is None:
            run = b
    if run is not None:
        pieces.append(value[int(bounds[run]):])
    return pieces[0] if len(pieces) == 1 else da.concatenate(pieces, axis=0)


@register("RowScatter")
class RowScatter:
    """``value`` with rows ``indices`` (an int vector of distinct indices) replaced by the rows of ``x``: a
    TensorArray's scatter, unstack and split. Attrs as ``RowWrite``'s."""
    strings = True

    def infer(op):
        value, indices, x = op.inputs
        dt = same_dtype(op, value, x)
        check_int_input(op, 1, "indices", 1)
        array = op.attrs["array"]
        if value.shape.ndims == 0 or x.shape.ndims == 0:
            fail(op, f"value and x must have rank >= 1 (rows are elements), got '{value.name}' of shape "
                     f"{value.shape} and '{x.name}' of shape {x.shape}")
        if x.shape.ndims is not None and indices.shape.ndims == 1 and \
                not TensorShape([x.shape[0]]).is_compatible_with(indices.shape):
            fail(op, f"TensorArray '{array}': {indices.shape[0]} indices ('{indices.name}') for {x.shape[0]} rows "
                     f"('{x.name}')")
        rows = value.shape[0] if value.shape.ndims else None
        iv = host_vector(op, 1, "indices")
        span = _range_of(op, lowered=False) if iv is None or None in iv else None
        low = top = None
        if iv is not None and None not in iv:
            _check_distinct(op, array, iv)
            low, top = min(iv, default=0), max(iv, default=-1)
        elif span is not None:
            low, top = span[0], span[1] - 1
        if low is not None and top >= low:
            if low < 0:
                fail(op, f"TensorArray '{array}': Tried to write to index {low}: indices must be non-negative")
            if rows is not None and top >= rows and not op.attrs["grow"]:
                fail(op, f"TensorArray '{array}': Tried to write to index {top} but array is not resizeable and size "
                         f"is: {rows}")
        elem = _rows_of(value)
        if not elem.is_compatible_with(_rows_of(x)):
            fail(op, f"TensorArray '{array}': Inconsistent shapes: saw {_rows_of(x)} (the rows of '{x.name}') but "
                     f"expected {elem}")
        elem = elem.merge_with(_rows_of(x))
        if elem.ndims is None:
            return [(TensorShape(None), dt)]
        if op.attrs["grow"]:
            rows = None if rows is None or top is None else max(rows, top + 1)
        return [([rows] + list(elem), dt)]

    def lower(op, value, indices, x):
        _element_check(op, value, x, "rows")
        array, n, m = op.attrs["array"], value.shape[0], x.shape[0]
        if m != indices.shape[0]:
            fail(op, f"TensorArray '{array}': {indices.shape[0]} indices for {m} rows of the value written")
        ind = _LETTERS[:value.ndim]
        whole, x = x, x.rechunk({i: value.chunks[i] for i in range(1, value.ndim)})
        rows = _host_rows(op)
        if rows is None:  # indices known only when the blocks run: each block takes them and every row of x
            if not m:
                return value
            starts = _row_starts(op, value)
            if starts is None:
                fail(op, f"TensorArray '{array}': Tried to write {m} rows to an array of size 0 that is not "
                         "resizeable")
            return da.blockwise(_scatter_block, ind, value, ind, starts, ind[0], indices, "Y", x, "Z" + ind[1:],
                                n=int(n), array=array, label=_label(op), concatenate=True, align_arrays=False,
                                dtype=value.dtype, meta=value._meta)
        if rows[0] == "range":
            r0, r1 = rows[1:]
            low, top = r0, r1 - 1
        else:
            iv = rows[1]
            _check_distinct(op, array, iv)
            low, top = (int(iv.min()), int(iv.max())) if iv.size else (0, -1)
        if top < low:
            return value
        if low < 0 or (top >= n and not op.attrs["grow"]):
            fail(op, f"TensorArray '{array}': Tried to write to index {low if low < 0 else top} but array is not "
                     f"resizeable and size is: {n}")
        value = _grown(value, top + 1)
        n = value.shape[0]
        if rows[0] == "range" and r0 == 0 and r1 == n or rows[0] == "array" and iv.size == n and \
                (iv == np.arange(n)).all():
            return whole  # every row written, in order: the value is x, in its own blocks
        _row_starts(op, value)
        bounds = np.cumsum((0,) + tuple(value.chunks[0]))

        def place(vb, xb, local):
            return da.blockwise(_place_rows, ind, vb, ind, xb, "Z" + ind[1:], rows=local, concatenate=True,
                                align_arrays=False, dtype=value.dtype, meta=value._meta)
        if rows[0] == "range":
            first = int(np.searchsorted(bounds, r0, "right")) - 1
            last = int(np.searchsorted(bounds, r1 - 1, "right")) - 1
            blocks = {b for b in range(first, last + 1) if bounds[b] < bounds[b + 1]}

            def make(b, vb):
                a, e = max(int(bounds[b]), r0), min(int(bounds[b + 1]), r1)
                return place(vb, x[a - r0:e - r0], slice(a - int(bounds[b]), e - int(bounds[b])))
            return _assemble(value, blocks, make)
        which = np.searchsorted(bounds, iv, "right") - 1
        order = np.argsort(which, kind="stable")
        groups = {}
        for k in order:
            groups.setdefault(int(which[k]), []).append(int(k))

        def make(b, vb):
            sel = np.asarray(groups[b])
            contiguous = sel[-1] - sel[0] + 1 == sel.size and (np.diff(sel) == 1).all()
            xb = x[int(sel[0]):int(sel[-1]) + 1] if contiguous else x[sel]
            return place(vb, xb, iv[sel] - int(bounds[b]))
        return _assemble(value, set(groups), make)

    def footprint(op, xs, outs):
        value, indices, x = xs
        if _host_rows(op) is not None:  # a task holds a block of the value and the rows of x written into it
            return 3 * planner.block_bytes(outs[0]) + planner.block_bytes(indices)
        return planner.block_bytes(value) + planner.block_bytes(outs[0]) + \
            planner.block_bytes(indices, whole=(0,)) + planner.block_bytes(x, whole=(0,))

    def grad(op, dy):  # the rows written were overwritten: none of the gradient to them; x gets dy's rows
        value, indices, x = op.inputs
        dvalue = apply1("RowScatter", [dy, indices, zeros_like(x)], {"array": op.attrs["array"], "grow": False},
                        name="RowScatterGrad")
        if op.attrs["grow"]:
            dvalue = dvalue[:dim_size(value, 0)]
        return [dvalue, None, gather(dy, indices)]
