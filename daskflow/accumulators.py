"""TF1's gradient accumulators for synchronous training: ``ConditionalAccumulator`` (dense gradients) and
``SparseConditionalAccumulator`` (IndexedSlices-style gradients).

An accumulator's state (the sum of the gradients applied since the last take, their number, the global step) is
held by each Session that uses it, created on first use, as TF1's accumulators live in the session's resource
manager. Its ops run on the host before a run is planned (``OpDef.host_run``), as queue ops do:

- ``apply_grad`` computes its inputs (a run of their own) and adds the gradient, unless its ``local_step`` is
  below the accumulator's global step (a stale gradient: dropped, as TF does); the values computed are fed to the
  rest of the run, so they are computed once.
- ``take_grad(num_required)`` gives the mean (``reduction_type='MEAN'``) or sum (``'SUM'``) of the gradients
  applied, resets the sum and increments the global step. TF's ``take_grad`` blocks until ``num_required``
  gradients have arrived; a daskflow Session runs one graph at a time, so waiting would never end: with fewer
  applied, the run fails with ``OutOfRangeError`` (as a closed queue holding too few elements does) and the
  accumulator is left as it was.
"""
import collections
import itertools
import threading

import numpy as np

from . import dtypes, errors
from .graph import TensorShape, get_default_graph
from .ops.hostvalue import HostRunOp
from .ops.registry import NOT_DIFFERENTIABLE, convert_to_tensor, fail, register

__all__ = ["ConditionalAccumulatorBase", "ConditionalAccumulator", "SparseConditionalAccumulator"]
NAMESPACES = {"sparse": ["SparseConditionalAccumulator"]}

_ids = itertools.count()
_states_lock = threading.Lock()
_FLOATS = (np.float16, np.float32, np.float64)
SparseAccumulatorTakeGradient = collections.namedtuple("SparseAccumulatorTakeGradient", ["indices", "values", "shape"])


class _State:
    """One accumulator's state in one Session."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sum = None    # dense: the sum; sparse: {row index: (sum of rows, count)}
        self.shape = None  # the shape of the gradients applied since the last take (sparse: of the dense tensor)
        self.count = 0
        self.step = 0

    def snapshot(self):
        return (self.sum if not isinstance(self.sum, dict) else dict(self.sum), self.shape, self.count, self.step)

    def restore(self, snap):
        self.sum, self.shape, self.count, self.step = snap


def _state(acc, session):
    states = session._host_state.setdefault("accumulators", {})
    state = states.get(acc._id)
    if state is None:
        with _states_lock:
            state = states.setdefault(acc._id, _State())
    return state


def _dims(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


class ConditionalAccumulatorBase:
    """What dense and sparse accumulators share (TF1's ``ConditionalAccumulatorBase``): ``dtype``, ``accumulator_ref``
    (a scalar string tensor naming it), ``name``, ``num_accumulated()`` and ``set_global_step()``."""

    _num_type, _set_type = "AccumulatorNumAccumulated", "AccumulatorSetGlobalStep"

    def __init__(self, dtype, shape, accumulator_ref):
        self._dtype = dtypes.as_dtype(dtype)
        self._shape = TensorShape(shape) if shape is not None else TensorShape(None)
        self._accumulator_ref = accumulator_ref
        self._name = accumulator_ref.op.name
        self._graph = accumulator_ref.graph
        self._id = next(_ids)

    accumulator_ref = property(lambda self: self._accumulator_ref)
    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)

    def _op(self, type_name, inputs, name, specs=()):
        return self._graph.create_op(type_name, [self._accumulator_ref] + list(inputs), {"acc": self}, name=name,
                                     output_specs=list(specs))

    def num_accumulated(self, name=None):
        """A scalar int32 tensor: the number of gradients applied since the last take."""
        return self._op(self._num_type, [], name or f"{self._name}_NumAccumulated", [((), dtypes.int32)]).outputs[0]

    def set_global_step(self, new_global_step, name=None):
        """An op setting the accumulator's global step to ``new_global_step`` (gradients of an older
        ``local_step`` are then dropped)."""
        step = _int64(new_global_step, "new_global_step")
        return self._op(self._set_type, [step], name or self._set_type)

    def _local_step(self, local_step):
        return _int64(local_step, "local_step")


def _int64(value, name):
    t = convert_to_tensor(value, dtype_hint=dtypes.int64, name=name)
    if t.dtype != dtypes.int64:
        from .ops.math import cast
        t = cast(t, dtypes.int64)
    return t


def _make_ref(type_name, dtype, reduction_type, name):
    if reduction_type not in ("MEAN", "SUM"):
        raise ValueError(f"Attr 'reduction_type' of '{type_name}' Op passed string '{reduction_type}' not in: "
                         "\"MEAN\", \"SUM\".")
    dtype = dtypes.as_dtype(dtype)
    if dtype.type not in _FLOATS:
        raise errors.InvalidArgumentError(
            None, None, f"{type_name} '{name}' holds gradients of dtype float16, float32 or float64, not "
            f"{dtypes.name(dtype)}")
    g = get_default_graph()
    return g.create_op(type_name, [], name=name, output_specs=[((), dtypes.string)]).outputs[0]


class ConditionalAccumulator(ConditionalAccumulatorBase):
    """A gradient accumulator for synchronous training (TF1's ``ConditionalAccumulator``): gradients of a given
    dtype (and shape) are applied with a ``local_step``; those older than the accumulator's global step are
    dropped; ``take_grad`` gives their mean (or sum), resets and increments the global step.

    Parameters
    ----------
    dtype : float dtype
    shape : shape, optional
        Of the gradients; unknown dimensions are set by the first gradient applied after each take.
    shared_name, name : str, optional
    reduction_type : 'MEAN' or 'SUM'

    Examples
    --------
    >>> import daskflow as df
    >>> acc = df.ConditionalAccumulator(df.float32, shape=(2,))
    >>> with df.Session() as sess:
    ...     sess.run(acc.apply_grad([1.0, 2.0]))
    ...     sess.run(acc.apply_grad([3.0, 4.0]))
    ...     sess.run(acc.take_grad(2))
    array([2., 3.], dtype=float32)
    """

    _num_type, _set_type = "ResourceAccumulatorNumAccumulated", "ResourceAccumulatorSetGlobalStep"

    def __init__(self, dtype, shape=None, shared_name=None, name="conditional_accumulator", reduction_type="MEAN"):
        ref = _make_ref("ResourceConditionalAccumulator", dtype, reduction_type, name)
        super().__init__(dtype, shape, ref)
        self._reduction_type = reduction_type
        self._shared_name = shared_name

    def apply_grad(self, grad, local_step=0, name=None):
        """An op adding ``grad`` to the accumulator, unless ``local_step`` is below its global step (then the
        gradient is dropped). A shape other than the accumulator's is a ValueError when known at build time, else
        an InvalidArgumentError in the run."""
        grad = convert_to_tensor(grad, dtype=self._dtype, name="grad")
        if not self._shape.is_compatible_with(grad.shape):
            raise ValueError(f"Shapes {grad.shape} and {self._shape} are incompatible")
        return self._op("ResourceAccumulatorApplyGradient", [self._local_step(local_step), grad],
                        name or "ResourceAccumulatorApplyGradient")

    def take_grad(self, num_required, name=None):
        """A tensor: the mean (or sum) of the gradients applied since the last take, once at least
        ``num_required`` were; the accumulator is then reset and its global step incremented. With fewer applied
        the run fails with ``OutOfRangeError`` (TF would block until other workers applied them)."""
        n = convert_to_tensor(num_required, dtype=dtypes.int32, name="num_required")
        return self._op("ResourceAccumulatorTakeGradient", [n], name or "ResourceAccumulatorTakeGradient",
                        [(self._shape, self._dtype)]).outputs[0]

    # -- host side
    def _apply(self, op, state, step, grad):
        grad = np.asarray(grad, dtype=self._dtype)
        with state.lock:
            if step < state.step:
                return
            want = state.shape if state.shape is not None else self._shape
            if not TensorShape(want).is_compatible_with(grad.shape) or (
                    state.shape is not None and tuple(state.shape) != grad.shape):
                fail(op, f"Shape mismatch: expected {_dims_of(want)}, got {_dims(grad.shape)}")
            state.sum = grad.copy() if state.sum is None else state.sum + grad
            state.shape, state.count = grad.shape, state.count + 1

    def _take(self, op, state):
        out = state.sum / state.count if self._reduction_type == "MEAN" else state.sum
        return out.astype(self._dtype)


def _dims_of(shape):
    shape = TensorShape(shape)
    return "?" if shape.ndims is None else "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


class SparseConditionalAccumulator(ConditionalAccumulatorBase):
    """A gradient accumulator for IndexedSlices-style gradients (TF1's ``SparseConditionalAccumulator``): each
    gradient is rows ``grad_values`` at ``grad_indices`` of a tensor of shape ``grad_shape``. ``take_grad`` gives
    ``(indices, values, shape)``: each row applied, averaged over the gradients that gave it (``'MEAN'``) or summed
    (``'SUM'``), indices in ascending order.

    Examples
    --------
    >>> import daskflow as df
    >>> acc = df.SparseConditionalAccumulator(df.float32, shape=(4, 2))
    >>> with df.Session() as sess:
    ...     sess.run(acc.apply_grad([0, 2], [[1.0, 1.0], [2.0, 2.0]]))
    ...     sess.run(acc.apply_grad([2], [[4.0, 4.0]]))
    ...     sess.run(acc.take_grad(2)).values
    array([[1., 1.],
           [3., 3.]], dtype=float32)
    """

    def __init__(self, dtype, shape=None, shared_name=None, name="sparse_conditional_accumulator",
                 reduction_type="MEAN"):
        ref = _make_ref("SparseConditionalAccumulator", dtype, reduction_type, name)
        super().__init__(dtype, shape, ref)
        self._reduction_type = reduction_type
        self._shared_name = shared_name

    def apply_indexed_slices_grad(self, grad, local_step=0, name=None):
        """``apply_grad`` of an ``IndexedSlices``."""
        return self.apply_grad(grad.indices, grad.values, grad.dense_shape, local_step, name)

    def apply_grad(self, grad_indices, grad_values, grad_shape=None, local_step=0, name=None):
        """An op adding the rows ``grad_values`` at ``grad_indices`` (of a tensor of shape ``grad_shape``) to the
        accumulator, unless ``local_step`` is below its global step. Indices out of range and shapes other than
        the accumulator's are InvalidArgumentErrors in the run."""
        values = convert_to_tensor(grad_values, dtype=self._dtype, name="grad_values")
        indices = _int64(grad_indices, "grad_indices")
        ins = [self._local_step(local_step), indices, values]
        if grad_shape is not None:
            ins.append(_int64(grad_shape, "grad_shape"))
        return self._op("SparseAccumulatorApplyGradient", ins, name or "SparseAccumulatorApplyGradient")

    def take_grad(self, num_required, name=None):
        """``(indices, values, shape)`` tensors (a namedtuple): the rows applied since the last take, once at least
        ``num_required`` gradients were (else the run fails with ``OutOfRangeError``); then resets and increments
        the global step."""
        n = convert_to_tensor(num_required, dtype=dtypes.int32, name="num_required")
        rows = TensorShape(None if self._shape.ndims is None else [None] + self._shape.as_list()[1:])
        op = self._op("SparseAccumulatorTakeGradient", [n], name or "SparseAccumulatorTakeGradient",
                      [(TensorShape([None]), dtypes.int64), (rows, self._dtype), (TensorShape([None]), dtypes.int64)])
        return SparseAccumulatorTakeGradient(*op.outputs)

    def take_indexed_slices_grad(self, num_required, name=None):
        """``take_grad`` as an ``IndexedSlices``."""
        from .ops.indexed_slices import IndexedSlices
        got = self.take_grad(num_required, name)
        return IndexedSlices(got.values, got.indices, got.shape)

    # -- host side
    def _apply(self, op, state, step, indices, values, shape=None):
        indices, values = np.asarray(indices, np.int64).reshape(-1), np.asarray(values, self._dtype)
        with state.lock:
            if step < state.step:
                return
            if values.ndim == 0 or len(indices) != values.shape[0]:
                got = values.shape[0] if values.ndim else 0
                fail(op, f"Expected {len(indices)} non-empty input values, got {got}")
            want = self._shape.as_list() if self._shape.ndims is not None else None
            if want is None and state.shape is not None:
                want = [None if d < 0 else d for d in state.shape]
            if want is not None:
                for d in range(1, len(want)):
                    if want[d] is not None and d < values.ndim and values.shape[d] != want[d]:
                        fail(op, f"Shape mismatch: expected values dim {d} to be {want[d]}, got {values.shape[d]}")
            if shape is not None:
                shape = np.asarray(shape, np.int64).reshape(-1)
                for d in range(len(shape)):
                    if want is not None and d < len(want) and want[d] is not None and shape[d] != want[d]:
                        fail(op, f"Shape mismatch: expected shape dim {d} to be {want[d]}, got {shape[d]}")
            limit = want[0] if want is not None and want[0] is not None else \
                (int(shape[0]) if shape is not None else None)
            for i, ix in enumerate(indices):
                if limit is not None and not 0 <= ix < limit:
                    fail(op, f"Shape mismatch: index of slice {i} exceeded limits of shape; index is {ix} exceeded "
                             f"{limit}")
            rows = state.sum if state.sum is not None else {}
            for ix in np.unique(indices):
                part = values[indices == ix].sum(axis=0)
                old = rows.get(int(ix))
                rows[int(ix)] = (part, 1) if old is None else (old[0] + part, old[1] + 1)
            state.sum, state.count = rows, state.count + 1
            if state.shape is None:
                state.shape = [int(s) for s in shape] if shape is not None else \
                    [(-1 if limit is None else limit)] + list(values.shape[1:])

    def _take(self, op, state):
        rows = state.sum or {}
        idx = np.array(sorted(rows), dtype=np.int64)
        inner = list(state.shape[1:]) if state.shape is not None else \
            [0 if d is None else d for d in (self._shape.as_list() or [0, 0])[1:]]
        vals = [rows[i][0] / rows[i][1] if self._reduction_type == "MEAN" else rows[i][0] for i in idx]
        values = np.stack(vals).astype(self._dtype) if vals else np.zeros([0] + inner, self._dtype)
        shape = state.shape if state.shape is not None else \
            [-1 if d is None else d for d in (self._shape.as_list() or [-1])]
        if self._shape.ndims is not None and self._shape.is_fully_defined():
            shape = self._shape.as_list()
        return [idx, values, np.array(shape, np.int64)]


# -- op types: run on the host before the run is planned (see the module's doc)


@register("ResourceConditionalAccumulator")
class ResourceConditionalAccumulator:
    """The accumulator's reference: a scalar string tensor holding its name."""
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.string)]

    def lower(op):
        import dask.array as da
        return da.from_array(np.array(op.name.encode(), dtype=object), chunks=(), name=f"accumulator-{op.name}")


@register("SparseConditionalAccumulator")
class SparseConditionalAccumulatorRef(ResourceConditionalAccumulator):
    pass


class _Apply(HostRunOp):
    def infer(op):
        return []

    def host_run(op, session, feeds):
        ins = list(op.inputs[1:])
        values = session.run(ins, feed_dict=feeds)
        acc = op.attrs["acc"]
        acc._apply(op, _state(acc, session), int(values[0]), *values[1:])
        return {t: np.asarray(v) for t, v in zip(ins, values)}


@register("ResourceAccumulatorApplyGradient")
class ResourceAccumulatorApplyGradient(_Apply):
    pass


@register("SparseAccumulatorApplyGradient")
class SparseAccumulatorApplyGradient(_Apply):
    pass


class _Taken(dict):
    """A take's outputs, with the accumulator's state before it (``snapshot``, for ``host_undo``)."""


class _Take(HostRunOp):
    def infer(op):
        return [(t.shape, t.dtype) for t in op.outputs]

    def host_run(op, session, feeds):
        n = int(session.run(op.inputs[1], feed_dict=feeds))
        if n < 1:
            fail(op, f"Argument num_required must be positive, but was {n}")
        acc = op.attrs["acc"]
        state = _state(acc, session)
        with state.lock:
            if state.count < n:
                fail(op, f"Accumulator '{acc.name}' has {state.count} gradient(s) of the {n} take_grad requires: a "
                         "Session runs one graph at a time, so none could arrive while it waited",
                     errors.OutOfRangeError)
            out = _Taken(zip(op.outputs, _listed(acc._take(op, state))))
            out.snapshot = state.snapshot()
            state.sum, state.count, state.step = None, 0, state.step + 1
            state.shape = None
        return out

    def host_undo(op, session, values):
        snap = getattr(values, "snapshot", None)
        if snap is not None:
            state = _state(op.attrs["acc"], session)
            with state.lock:
                state.restore(snap)


def _listed(v):
    return v if isinstance(v, list) else [v]


@register("ResourceAccumulatorTakeGradient")
class ResourceAccumulatorTakeGradient(_Take):
    pass


@register("SparseAccumulatorTakeGradient")
class SparseAccumulatorTakeGradient_(_Take):
    pass


class _Num(HostRunOp):
    def infer(op):
        return [((), dtypes.int32)]

    def host_run(op, session, feeds):
        state = _state(op.attrs["acc"], session)
        with state.lock:
            return {op.outputs[0]: np.int32(state.count)}

    def host_undo(op, session, values):
        pass


@register("ResourceAccumulatorNumAccumulated")
class ResourceAccumulatorNumAccumulated(_Num):
    pass


@register("AccumulatorNumAccumulated")
class AccumulatorNumAccumulated(_Num):
    pass


class _SetStep(HostRunOp):
    def infer(op):
        return []

    def host_run(op, session, feeds):
        step = session.run(op.inputs[1], feed_dict=feeds)
        state = _state(op.attrs["acc"], session)
        with state.lock:
            state.step = int(step)
        return {op.inputs[1]: np.asarray(step)}


@register("ResourceAccumulatorSetGlobalStep")
class ResourceAccumulatorSetGlobalStep(_SetStep):
    pass


@register("AccumulatorSetGlobalStep")
class AccumulatorSetGlobalStep(_SetStep):
    pass
