"""TF1's persistent tensors: ``get_session_handle``, ``get_session_tensor``, ``delete_session_tensor``.

A run that fetches ``get_session_handle(x)`` keeps the value of ``x`` in the Session and gives a ``TensorHandle``
naming it (``"<op name>;<id>;<device>"``, the form of TF's handles). The value is kept as a run keeps a
variable's new value (the op assigns it to a hidden slot, ``LoopSlot``/``LoopSet``): in memory on a local Session,
block by block on the workers of a cluster Session (``remote.RemoteValue``), where later runs read it without it
ever coming to the client. ``get_session_tensor(handle, dtype)`` gives a placeholder for the handle's string and a
tensor whose value in a run is the kept value; ``delete_session_tensor`` frees it. A ``TensorHandle`` may also be
fed directly as the value of any tensor (TF1's direct handle feed).
"""
import threading
import weakref

import numpy as np

from . import dtypes, errors, remote
from .graph import Tensor, TensorShape, control_dependencies, get_default_graph, name_scope
from .ops.hostvalue import HostRunOp
from .ops.registry import NOT_DIFFERENTIABLE, apply, apply1, fail, register

__all__ = ["get_session_handle", "get_session_tensor", "delete_session_tensor", "TensorHandle"]

_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"
_DEAD_HANDLES_THRESHOLD = 10  # dropped TensorHandles are freed in batches, as TF does
_HOLDERS = weakref.WeakKeyDictionary()  # placeholder op of get_session_tensor -> dtype of the value it reads
_lock = threading.Lock()


class TensorHandle:
    """A handle for a tensor value kept in a Session (TF1's ``TensorHandle``), as a run of ``get_session_handle``
    gives it. ``handle`` is its string; ``eval()`` gives the value; ``delete()`` frees it. When the handle object is
    garbage collected its value is freed too (in batches of 10), unless ``get_raw_handle()`` was called: the caller
    then frees it (``delete_session_tensor``).

    Examples
    --------
    >>> import daskflow as df
    >>> c = df.constant(10.0) * 5.0
    >>> with df.Session() as sess:
    ...     h = sess.run(df.get_session_handle(c))
    ...     p, a = df.get_session_tensor(h.handle, df.float32)
    ...     float(sess.run(a * 10.0, feed_dict={p: h.handle}))
    500.0
    """

    def __init__(self, handle, dtype, session):
        self._handle = handle.decode() if isinstance(handle, bytes) else str(handle)
        self._dtype = dtypes.as_dtype(dtype)
        self._session = session
        self._auto_gc_enabled = True

    def __del__(self):
        if getattr(self, "_auto_gc_enabled", False):
            try:
                _dead(self._session, self._handle)
            except Exception:  # a closed session or interpreter shutdown: nothing left to free
                pass

    def __str__(self):
        return self._handle

    def __repr__(self):
        return f"<daskflow.TensorHandle '{self._handle}' dtype={dtypes.name(self._dtype)}>"

    @property
    def handle(self):
        """The string of this handle."""
        return self._handle

    def eval(self):
        """The value the handle names, brought to this process."""
        if not self._auto_gc_enabled:
            raise TypeError(f"Persistent tensor {self._handle} may have already been deleted.")
        if self._session._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        v = _lookup(self._session, self._handle, None)
        v = v.fetch() if isinstance(v, remote.RemoteValue) else v
        return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v

    def delete(self):
        """Free the value now (TF: a second ``delete`` is a TypeError)."""
        if not self._auto_gc_enabled:
            raise TypeError(f"Persistent tensor {self._handle} may have already been deleted.")
        self._auto_gc_enabled = False
        _free(self._session, self._handle, None)

    def get_raw_handle(self):
        """The handle's string; the value is then no longer freed with this object (nor can it ``eval`` or
        ``delete``, as in TF): free it with ``delete_session_tensor``."""
        self._auto_gc_enabled = False
        return self._handle

    def _feed_value(self, t):
        """The value this handle gives tensor ``t`` fed with it: the kept value, or for the placeholder of a
        ``get_session_tensor`` (which takes handle strings) the handle's string."""
        if t.op in _HOLDERS:
            return np.array(self._handle.encode(), dtype=object)
        v = _lookup(self._session, self._handle, t.op)
        if v.dtype != t.dtype:
            raise errors.InvalidArgumentError(
                None, t.op, f"Cannot feed a value of dtype {dtypes.name(v.dtype)} for Tensor '{t.name}', which has "
                f"dtype {dtypes.name(t.dtype)} (from handle '{self._handle}')")
        if not t.shape.is_compatible_with(v.shape):
            raise errors.InvalidArgumentError(
                None, t.op, f"Cannot feed value of shape {tuple(v.shape)} for Tensor '{t.name}', which has shape "
                f"{t.shape} (from handle '{self._handle}')")
        return v


# -- the store: a handle's value is kept among the Session's values, under the handle's string

def _handles(session):
    return session._host_state.setdefault("session_handles", set())


def _lookup(session, handle, op):
    with session._lock:
        if handle in _handles(session):
            v = session._vars.get(handle)
            if v is not None:
                return v
    raise errors.InvalidArgumentError(None, op, f"The tensor with handle '{handle}' is not in the session store.")


def _free(session, handle, op):
    with session._lock:
        known = handle in _handles(session)
        _handles(session).discard(handle)
        v = session._vars.pop(handle, None) if known else None
    if v is None:
        raise errors.InvalidArgumentError(
            None, op, f"Failed to delete a tensor with handle '{handle}' in the session store.")
    if isinstance(v, remote.RemoteValue) and v.client.status == "running":
        v.release()


def _dead(session, handle):
    if session._closed:
        return
    with _lock:
        dead = session._host_state.setdefault("dead_handles", [])
        dead.append(handle)
        if len(dead) < _DEAD_HANDLES_THRESHOLD:
            return
        session._host_state["dead_handles"] = []
    for h in dead:
        try:
            _free(session, h, None)
        except errors.InvalidArgumentError:  # deleted already by its string
            pass


def _string(value):
    v = np.asarray(value)
    v = v.item() if v.ndim == 0 else v
    return v.decode() if isinstance(v, bytes) else str(v)


def kept(session, plan, feeds):
    """After a run of ``plan`` with ``feeds``: the values its ``get_session_handle`` ops kept (in their slots) are
    moved to their handles' strings."""
    slots = plan.exec_cache.get("handle_slots")
    if slots is None:  # worked out once per plan: most have none
        slots = plan.exec_cache["handle_slots"] = [
            (op, session.graph.as_graph_element(op.attrs["session_handle"])) for op in plan.update_vars
            if op.type == "LoopSlot" and op.attrs.get("session_handle") is not None]
    for op, name_tensor in slots:
        handle = _string(feeds[name_tensor])
        with session._lock:
            value = session._vars.pop(op.name, None)
            if value is not None:
                session._vars[handle] = value
                _handles(session).add(handle)


def fetched(session, t, value):
    """The value a run gives fetch ``t``: a ``TensorHandle`` for a ``get_session_handle``."""
    if isinstance(t, Tensor) and t.op.type == "GetSessionHandle":
        return TensorHandle(_string(value), t.op.inputs[0].dtype, session)
    return value


# -- ops


@register("SessionHandleName")
class SessionHandleName(HostRunOp):
    """The string of the next handle a ``GetSessionHandle`` gives (TF's form, ``name;id;device``)."""

    def infer(op):
        return [((), dtypes.string)]

    def host_run(op, session, feeds):
        with session._lock:
            n = session._host_state.get("session_handle_count", 0)
            session._host_state["session_handle_count"] = n + 1
        return {op.outputs[0]: np.array(f"{op.attrs['handle_op']};{n};{_DEVICE}".encode(), dtype=object)}


@register("GetSessionHandle")
class GetSessionHandle:
    """Inputs: the tensor kept, the handle's string; ordered after the op keeping the value (its control input)."""
    stateful = True
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.string)]

    def lower(op, data, handle):
        return handle


def _holder_string(op, session, feeds):
    holder = op.inputs[0]
    v = feeds.get(holder)
    if v is None:
        v, = session.run([holder], feed_dict=feeds)  # a placeholder not fed: its error
    return _string(v)


@register("GetSessionTensor")
class GetSessionTensor(HostRunOp):
    def infer(op):
        return [(TensorShape(None), op.attrs["dtype"])]

    def host_run(op, session, feeds):
        v = _lookup(session, _holder_string(op, session, feeds), op)
        if v.dtype != op.attrs["dtype"]:
            raise errors.InternalError(
                None, op, f"Output 0 of type {dtypes.name(v.dtype)} does not match declared output type "
                f"{dtypes.name(op.attrs['dtype'])} for node {op.name} [op '{op.name}' (type {op.type})]")
        return {op.outputs[0]: v}


@register("DeleteSessionTensor")
class DeleteSessionTensor(HostRunOp):
    def infer(op):
        return []

    def host_run(op, session, feeds):
        _free(session, _holder_string(op, session, feeds), op)
        return {}

    host_undo = None  # freeing is not undone: ``Session.plan`` does not run it


def get_session_handle(data, name=None):
    """A scalar string tensor: the handle of ``data``'s value, which a run fetching it keeps in the Session (TF1's
    ``get_session_handle``); the run gives a ``TensorHandle``. On a cluster Session the value stays on the workers.

    Raises TypeError when ``data`` is not a Tensor."""
    if not isinstance(data, Tensor):
        raise TypeError("`data` must be of type Tensor.")
    with data.graph.as_default(), name_scope(name or "GetSessionHandle") as scope:
        opname = scope[:-1]
        with control_dependencies(None):
            hname = apply1("SessionHandleName", [], {"handle_op": opname}, name="handle_name")
        slot = apply1("LoopSlot", [], {"shape": TensorShape(None), "dtype": data.dtype,
                                       "session_handle": hname.name}, name="slot")
        keep = apply("LoopSet", [slot, data], name="keep")[0].op
        with control_dependencies([keep]):
            return data.graph.create_op("GetSessionHandle", [data, hname], name=scope,
                                        output_specs=[((), dtypes.string)]).outputs[0]


def get_session_tensor(handle, dtype, name=None):
    """``(holder, tensor)``: a string placeholder to feed with a handle's string (or its ``TensorHandle``), and a
    tensor of ``dtype`` whose value in a run is the value that handle names (TF1's ``get_session_tensor``). A run
    fails with InvalidArgumentError for a handle not in the Session (deleted, or never made), and with
    InternalError when the value is not of ``dtype``."""
    from .ops.state import placeholder
    holder = placeholder(dtypes.string)
    _HOLDERS[holder.op] = dtypes.as_dtype(dtype)
    tensor = apply1("GetSessionTensor", [holder], {"dtype": dtypes.as_dtype(dtype)}, name=name or "GetSessionTensor")
    return holder, tensor


def delete_session_tensor(handle, name=None):
    """``(holder, deleter)``: a string placeholder to feed with a handle's string, and the op freeing the value it
    names (TF1's ``delete_session_tensor``); freeing a handle not in the Session is an InvalidArgumentError."""
    from .ops.state import placeholder
    holder = placeholder(dtypes.string)
    deleter = get_default_graph().create_op("DeleteSessionTensor", [holder], name=name or "DeleteSessionTensor",
                                            output_specs=[])
    return holder, deleter
