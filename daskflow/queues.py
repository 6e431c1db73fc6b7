"""TF1's queues (``tf.FIFOQueue``, ``tf.PaddingFIFOQueue``, ``tf.RandomShuffleQueue``, ``tf.PriorityQueue``).

A queue holds tuples of tensors in the Session: each Session has its own copy of every queue, created on first
use, as TF1's queues live in the session's resource manager. Queue ops run on the host before a run is planned
(``OpDef.host_run``), like a dataset iterator's ``get_next``:

- ``enqueue``/``enqueue_many`` compute their inputs (a run of their own, applying its variable updates, such as
  ``limit_epochs``'s counter) and push them, blocking while the queue is full; the values computed are fed to the
  rest of the run, so they are computed once.
- ``dequeue``/``dequeue_many``/``dequeue_up_to`` pop, blocking while the queue holds too few elements; their
  values are fed to the rest of the run. Once the queue is closed and holds too few, the run fails with
  ``OutOfRangeError``. A run refused before anything ran puts its elements back.
- A blocked op waits at most the Session's ``ConfigProto(operation_timeout_in_ms=...)`` (then
  ``DeadlineExceededError``), wakes when another thread closes the queue, and fails with ``CancelledError`` when
  the Session is closed under it.

Queues are named in errors as TF1 names them, ``FIFOQueue '_0_fifo_queue'``: the number counts the queues a
Session has created. ``shared_name`` names the queue in errors; queues are not shared between Sessions.
"""
import collections
import heapq
import itertools
import threading
import time

import numpy as np

from . import dtypes, errors
from .graph import TensorShape, get_default_graph
from .ops.registry import NOT_DIFFERENTIABLE, convert_to_tensor, fail, register

__all__ = ["QueueBase", "FIFOQueue", "PaddingFIFOQueue", "RandomShuffleQueue", "PriorityQueue"]
NAMESPACES = {"queue": list(__all__)}

_ids = itertools.count()
_POLL = 0.05  # seconds between checks of a blocked op for a closed Session
_states_lock = threading.Lock()


# -- per-session state

class _State:
    """One queue's elements in one Session, behind a condition variable that every change notifies."""

    def __init__(self, queue, number):
        self.label = f"{queue._kind} '_{number}_{queue._shared_name or queue.name}'"
        self.cond = threading.Condition()
        self.closed = self.cancelled = False
        self.items = queue._new_items()
        self.rng = np.random.default_rng(queue._seed) if getattr(queue, "_seed", None) is not None else \
            np.random.default_rng()
        self.seq = itertools.count()


def _state(queue, session):
    states = session._host_state.setdefault("queues", {})
    state = states.get(queue._id)
    if state is None:
        with _states_lock:
            state = states.get(queue._id)
            if state is None:
                number = session._host_state.get("queue_count", 0)
                session._host_state["queue_count"] = number + 1
                state = states[queue._id] = _State(queue, number)
    return state


def _deadline(session):
    ms = getattr(session.config, "operation_timeout_in_ms", 0) or 0
    return time.monotonic() + ms / 1000.0 if ms > 0 else None


def _wait(state, session, op, deadline):
    """Wait (``state.cond`` held) for a change of the queue; raises when the Session closed or time is up."""
    if session._closed:
        raise errors.CancelledError(None, op, f"Session has been closed. [op '{op.name}' (type {op.type})]")
    timeout = _POLL
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise errors.DeadlineExceededError(
                None, op, f"Timed out waiting for notification [op '{op.name}' (type {op.type})]")
        timeout = min(left, _POLL)
    state.cond.wait(timeout)


# -- queues

class QueueBase:
    """A queue of tuples of tensors with given dtypes (and shapes), held by each Session that uses it.

    Parameters (of the subclasses)
    ------------------------------
    capacity : int
        The most elements the queue holds; ``enqueue`` blocks while it is full.
    dtypes : dtype or list of dtypes
        The dtype of each component of an element.
    shapes : list of shapes, optional
        The shape of each component; needed by ``dequeue_many`` and ``dequeue_up_to``.
    names : list of str, optional
        Names of the components: elements are then dicts, in and out.
    shared_name, name : str, optional
        The queue's name in errors, and the prefix of its ops' names.

    Examples
    --------
    >>> import daskflow as df
    >>> q = FIFOQueue(3, df.int32)
    >>> with df.Session() as sess:
    ...     sess.run(q.enqueue_many([[1, 2, 3]]))
    ...     print([int(sess.run(q.dequeue())) for _ in range(3)])
    [1, 2, 3]
    """

    _kind = "FIFOQueue"
    _requires_shapes = False  # every component's shape must be given (PaddingFIFOQueue, PriorityQueue)
    _pads = False             # dequeue_many pads components of different shapes (PaddingFIFOQueue)

    def __init__(self, capacity, dtypes_, shapes=None, names=None, shared_name=None, name="fifo_queue"):
        dts = list(dtypes_) if isinstance(dtypes_, (list, tuple)) else [dtypes_]
        if not dts:
            raise ValueError("Queues require at least one component dtype")
        self._dtypes = [dtypes.as_dtype(d) for d in dts]
        if shapes is not None:
            shapes = list(shapes) if isinstance(shapes, (list, tuple)) and (
                not shapes or not np.isscalar(shapes[0]) or len(self._dtypes) > 1) else [shapes]
            if len(shapes) != len(self._dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes")
            self._shapes = [TensorShape(s) for s in shapes]
        else:
            if self._requires_shapes:
                raise ValueError(f"When providing {self._kind}, must specify shapes")
            self._shapes = [TensorShape(None) for _ in self._dtypes]
        if names is not None:
            names = list(names) if isinstance(names, (list, tuple)) else [names]
            if len(names) != len(self._dtypes):
                raise ValueError("Queue names must have the same length as dtypes")
        self._names = names
        self._capacity = int(capacity)
        self._shared_name = shared_name or None
        self._graph = get_default_graph()
        if name.endswith("/"):  # a name scope's own name, used as is
            self._name = name[:-1]
        else:
            self._name = self._graph.unique_name(name)
        self._base = self._name.split("/")[-1]  # its ops' names start so, in the scope they are built in
        self._id = next(_ids)

    # -- properties
    @property
    def name(self):
        """The queue's name (its ops are named ``<name>_enqueue``, ``<name>_Dequeue``...)."""
        return self._name

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return list(self._shapes)

    @property
    def names(self):
        return self._names

    # -- building ops
    def _check_vals(self, vals, many):
        if self._names is not None:
            if not isinstance(vals, dict):
                raise ValueError(f"Enqueue values must be a dictionary for a queue with names {self._names}")
            if sorted(vals) != sorted(self._names):
                raise ValueError(f"Keys in dictionary to enqueue do not match names of Queue.  Dictionary: "
                                 f"{sorted(vals)}, Queue: {sorted(self._names)}")
            vals = [vals[k] for k in self._names]
        elif isinstance(vals, dict):
            raise ValueError("Queue must have names to enqueue a dictionary")
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components to enqueue in queue '{self.name}', got "
                             f"{len(vals)}")
        tensors = [convert_to_tensor(v, dtype=dt, name=f"component_{i}")
                   for i, (v, dt) in enumerate(zip(vals, self._dtypes))]
        batch = TensorShape([None])
        for t, shape in zip(tensors, self._shapes):
            have = t.shape
            if many:
                if have.ndims == 0:
                    raise ValueError(f"Shape must be at least rank 1 but is rank 0 for enqueue_many of '{t.name}'")
                if have.ndims is not None:
                    batch = _merge(batch, TensorShape(have.as_list()[:1]), t)
                    have = TensorShape(have.as_list()[1:])
            if not have.is_compatible_with(shape):
                raise ValueError(f"Shapes {have} and {shape} are incompatible")
        return tensors

    def _enqueue_op(self, vals, many, name, keep=None):
        with self._graph.as_default():  # python values become constants of the queue's graph, in any thread
            tensors = self._check_vals(vals, many)
            inputs = tensors + ([convert_to_tensor(keep, dtype=dtypes.bool)] if keep is not None else [])
        default = f"{self._base}_EnqueueMany" if many else f"{self._base}_enqueue"
        return self._graph.create_op("QueueEnqueueManyV2" if many else "QueueEnqueueV2", inputs,
                                     {"queue": self, "keep": keep is not None}, name=name or default,
                                     output_specs=[])

    def enqueue(self, vals, name=None):
        """An op that adds one element (a tensor, a list of tensors, or a dict for a queue with names),
        blocking while the queue is full; on a closed queue the run fails with ``CancelledError``."""
        return self._enqueue_op(vals, False, name)

    def enqueue_many(self, vals, name=None):
        """An op that adds the slices along the first dimension of each component as elements, in order."""
        return self._enqueue_op(vals, True, name)

    def _dequeue_op(self, type_name, n, name, default):
        specs = [(s, dt) for s, dt in zip(self._shapes, self._dtypes)]
        if n is not None:
            if not self._pads and not all(s.is_fully_defined() for s in self._shapes):
                raise errors.InvalidArgumentError(
                    None, None, f"{self._kind}'s DequeueMany and DequeueUpTo require the components to have "
                    f"specified shapes. [queue '{self.name}']")
            if type_name == "QueueDequeueManyV2" and (not isinstance(n, (int, np.integer)) or n < 0):
                raise ValueError(f"dequeue_many needs a non-negative python int, got {n!r}")
            lead = [int(n) if type_name == "QueueDequeueManyV2" else None]
            specs = [(TensorShape(lead + (s.as_list() if s.ndims is not None else [])) if s.ndims is not None
                      else TensorShape(None), dt) for s, dt in specs]
        op = self._graph.create_op(type_name, [], {"queue": self, "n": None if n is None else int(n), "specs": specs},
                                   name=name or f"{self._base}_{default}", output_specs=specs)
        outs = list(op.outputs)
        if self._names is not None:
            return dict(zip(self._names, outs))
        return outs[0] if len(outs) == 1 else outs

    def dequeue(self, name=None):
        """Tensors whose value in a run is the queue's next element (blocking while it is empty)."""
        return self._dequeue_op("QueueDequeueV2", None, name, "Dequeue")

    def dequeue_many(self, n, name=None):
        """The next ``n`` elements, stacked along a new first dimension (blocking until there are ``n``)."""
        return self._dequeue_op("QueueDequeueManyV2", n, name, "DequeueMany")

    def dequeue_up_to(self, n, name=None):
        """As ``dequeue_many``, but once the queue is closed gives what is left (at least one element)."""
        return self._dequeue_op("QueueDequeueUpToV2", n, name, "DequeueUpTo")

    def close(self, cancel_pending_enqueues=False, name=None):
        """An op that closes the queue: enqueues then fail, and dequeues fail once too few elements are left.
        With ``cancel_pending_enqueues``, enqueues blocked on a full queue fail too (``CancelledError``)."""
        return self._graph.create_op("QueueCloseV2", [], {"queue": self, "cancel": bool(cancel_pending_enqueues)},
                                     name=name or f"{self._base}_Close", output_specs=[])

    def size(self, name=None):
        """A scalar int32 tensor: the number of elements in the queue."""
        return self._graph.create_op("QueueSizeV2", [], {"queue": self}, name=name or f"{self._base}_Size",
                                     output_specs=[((), dtypes.int32)]).outputs[0]

    def is_closed(self, name=None):
        """A scalar bool tensor: whether the queue is closed."""
        return self._graph.create_op("QueueIsClosedV2", [], {"queue": self}, name=name or f"{self._base}_Is_Closed",
                                     output_specs=[((), dtypes.bool)]).outputs[0]

    def __repr__(self):
        return f"<daskflow.{type(self).__name__} '{self.name}' dtypes={[dtypes.name(d) for d in self._dtypes]}>"

    # -- the elements (in a Session's state); overridden by each kind of queue
    def _new_items(self):
        return collections.deque()

    def _put(self, state, elem):
        state.items.append(elem)

    def _take(self, state):
        return state.items.popleft()

    def _put_back(self, state, entries):
        state.items.extendleft(reversed(entries))

    def _value(self, entry):
        return entry

    def _available(self, state):
        """How many elements a dequeue may take now."""
        return len(state.items)

    # -- running (host side)
    def _push(self, session, op, elems):
        """Add ``elems`` (tuples of numpy arrays) in order, waiting for room."""
        state, deadline = _state(self, session), _deadline(session)
        with state.cond:
            if state.closed:
                raise errors.CancelledError(None, op, f"{state.label} is closed. [op '{op.name}' (type {op.type})]")
            for elem in elems:
                while len(state.items) >= self._capacity:
                    if state.cancelled:
                        raise errors.CancelledError(
                            None, op, f"Enqueue operation was cancelled [op '{op.name}' (type {op.type})]")
                    _wait(state, session, op, deadline)
                self._put(state, elem)
                state.cond.notify_all()

    def _pop(self, session, op, n, up_to=False):
        """Take ``n`` elements (one when ``n`` is None), waiting for them; returns the entries taken."""
        state, deadline = _state(self, session), _deadline(session)
        want = 1 if n is None else n
        taken = []
        with state.cond:
            try:
                while len(taken) < want:
                    k = min(self._available(state), want - len(taken))
                    if k > 0:
                        taken.extend(self._take(state) for _ in range(k))
                        state.cond.notify_all()
                        continue
                    if state.closed:
                        if up_to and taken:
                            break
                        raise errors.OutOfRangeError(
                            None, op, f"{state.label} is closed and has insufficient elements (requested {want}, "
                            f"current size {len(state.items) + len(taken)}) [op '{op.name}' (type {op.type})]")
                    _wait(state, session, op, deadline)
            except BaseException:
                self._put_back(state, taken)
                state.cond.notify_all()
                raise
        return taken

    def _stack(self, op, elems):
        """The components of ``elems`` stacked along a new first dimension (padded for PaddingFIFOQueue)."""
        out = []
        for i, (t, dt) in enumerate(zip(op.outputs, self._dtypes)):
            parts = [e[i] for e in elems]
            if not parts:
                shape = [0] + [d if d is not None else 0 for d in (self._shapes[i].as_list() or [])]
                out.append(np.empty(shape, dtype=dt))
                continue
            if self._pads:
                rank = parts[0].ndim
                top = [max(p.shape[d] for p in parts) for d in range(rank)]
                fill = b"" if dtypes.is_string(dt) else 0
                padded = np.full([len(parts)] + top, fill, dtype=dt)
                for j, p in enumerate(parts):
                    padded[(j,) + tuple(slice(0, s) for s in p.shape)] = p
                out.append(padded)
            else:
                out.append(np.stack(parts).astype(dt, copy=False))
        return out

    def _check_element(self, op, elem):
        for i, (v, shape) in enumerate(zip(elem, self._shapes)):
            if not shape.is_compatible_with(TensorShape(v.shape)):
                fail(op, f"Shape mismatch in tuple component {i}. Expected {_dims(shape)}, got {list(v.shape)}")

    def _elements(self, op, values, many, keep):
        """The elements an enqueue adds, from its inputs' values."""
        values = [np.asarray(v) if not dtypes.is_string(dt) else dtypes.string_array(v)
                  for v, dt in zip(values, self._dtypes)]
        if not many:
            if keep is not None and not bool(np.asarray(keep)):
                return []
            elem = tuple(values)
            self._check_element(op, elem)
            return [elem]
        sizes = {v.shape[0] for v in values}
        if len(sizes) != 1:
            fail(op, f"EnqueueMany requires all components to have the same first dimension, got "
                     f"{[v.shape[0] for v in values]}")
        rows = range(sizes.pop())
        if keep is not None:
            keep = np.asarray(keep)
            rows = [r for r in rows if bool(keep if keep.ndim == 0 else keep[r])]
        elems = [tuple(v[r, ...] for v in values) for r in rows]  # 0-d arrays, strings included
        for elem in elems[:1]:
            self._check_element(op, elem)
        return elems


def _merge(batch, shape, t):
    if not batch.is_compatible_with(shape):
        raise ValueError(f"Dimension 0 of '{t.name}' ({shape[0]}) does not match the other components' "
                         f"({batch[0]}) in enqueue_many")
    return batch.merge_with(shape)


def _dims(shape):
    return "?" if shape.ndims is None else "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


class FIFOQueue(QueueBase):
    """A queue giving its elements back in the order they were added (TF1's ``FIFOQueue``)."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)


class PaddingFIFOQueue(QueueBase):
    """A FIFO queue whose shapes may have unknown dimensions (``None``): ``dequeue_many`` pads each component
    with zeros (empty strings) to the largest element of the batch (TF1's ``PaddingFIFOQueue``)."""

    _kind, _requires_shapes, _pads = "PaddingFIFOQueue", True, True

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None, name="padding_fifo_queue"):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)
        if any(s.ndims is None for s in self._shapes):
            raise ValueError(f"PaddingFIFOQueue needs the rank of every component, got shapes {self._shapes}")


class RandomShuffleQueue(QueueBase):
    """A queue giving its elements back in random order (TF1's ``RandomShuffleQueue``): a dequeue takes a uniformly
    chosen element, and leaves at least ``min_after_dequeue`` elements while the queue is open (so elements mix).
    ``seed`` (with the graph seed) makes the order reproducible in every Session."""

    _kind = "RandomShuffleQueue"

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None, seed=None, shared_name=None,
                 name="random_shuffle_queue"):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)
        self._min_after_dequeue = int(min_after_dequeue)
        from .ops.random import get_seed
        graph_seed, op_seed = get_seed(seed)
        self._seed = None if seed is None and self._graph.seed is None else [graph_seed, op_seed]

    def _new_items(self):
        return []

    def _take(self, state):
        i = int(state.rng.integers(len(state.items)))
        state.items[i], state.items[-1] = state.items[-1], state.items[i]
        return state.items.pop()

    def _put_back(self, state, entries):
        state.items.extend(entries)

    def _available(self, state):
        n = len(state.items)
        return n if state.closed else max(0, n - self._min_after_dequeue)


class PriorityQueue(QueueBase):
    """A queue giving its elements back by ascending priority (TF1's ``PriorityQueue``): the first component of
    each element is a scalar int64 priority, followed by components of ``types``; elements of equal priority
    come back in the order they were added."""

    _kind, _requires_shapes = "PriorityQueue", True

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None, name="priority_queue"):
        types = list(types) if isinstance(types, (list, tuple)) else [types]
        if shapes is None:
            raise ValueError("When providing PriorityQueue, must specify shapes")
        shapes = list(shapes)
        super().__init__(capacity, [dtypes.int64] + types, [()] + shapes, names, shared_name, name)

    def _new_items(self):
        return []

    def _put(self, state, elem):
        heapq.heappush(state.items, (int(elem[0]), next(state.seq), elem))

    def _take(self, state):
        return heapq.heappop(state.items)

    def _put_back(self, state, entries):
        for e in entries:
            heapq.heappush(state.items, e)

    def _value(self, entry):
        return entry[2]


# -- op types

def feedable(value):
    """``value`` as the value a host op gives a tensor (a numpy array)."""
    return np.asarray(value) if not isinstance(value, np.ndarray) else value


class _QueueOp:
    stateful = True
    strings = True
    grad = NOT_DIFFERENTIABLE

    def lower(op, *xs):
        if not op.outputs:
            return []  # its work is done on the host before the run (``host_run``)
        fail(op, f"the values of queue '{op.attrs['queue'].name}' are only available in Session.run",
             errors.UnimplementedError)


class _Enqueue(_QueueOp):
    def infer(op):
        return []

    def host_run(op, session, feeds):
        q, ins = op.attrs["queue"], list(op.inputs)
        values = session.run(ins, feed_dict=feeds) if ins else []
        keep = values[-1] if op.attrs["keep"] else None
        comps = values[:-1] if op.attrs["keep"] else values
        q._push(session, op, q._elements(op, comps, op.type == "QueueEnqueueManyV2", keep))
        # fed to the rest of the run: its inputs are computed once
        return {t: feedable(dtypes.string_array(v) if dtypes.is_string(t.dtype) else v) for t, v in zip(ins, values)}


@register("QueueEnqueueV2")
class QueueEnqueueV2(_Enqueue):
    pass


@register("QueueEnqueueManyV2")
class QueueEnqueueManyV2(_Enqueue):
    pass


class _Dequeue(_QueueOp):
    def infer(op):
        return op.attrs["specs"]

    def host_run(op, session, feeds):
        q, n = op.attrs["queue"], op.attrs["n"]
        entries = q._pop(session, op, n, up_to=op.type == "QueueDequeueUpToV2")
        elems = [q._value(e) for e in entries]
        values = _Values(zip(op.outputs, map(feedable, list(elems[0]) if n is None else q._stack(op, elems))))
        values.entries = entries
        return values

    def host_undo(op, session, values):
        entries = getattr(values, "entries", None)
        if entries:
            q = op.attrs["queue"]
            state = _state(q, session)
            with state.cond:
                q._put_back(state, entries)
                state.cond.notify_all()


class _Values(dict):
    """A dequeue's output values, with the queue entries they came from (``entries``, for ``host_undo``)."""


@register("QueueDequeueV2")
class QueueDequeueV2(_Dequeue):
    pass


@register("QueueDequeueManyV2")
class QueueDequeueManyV2(_Dequeue):
    pass


@register("QueueDequeueUpToV2")
class QueueDequeueUpToV2(_Dequeue):
    pass


@register("QueueCloseV2")
class QueueCloseV2(_QueueOp):
    def infer(op):
        return []

    def host_run(op, session, feeds):
        state = _state(op.attrs["queue"], session)
        with state.cond:
            state.closed = True
            state.cancelled = state.cancelled or op.attrs["cancel"]
            state.cond.notify_all()
        return {}


@register("QueueSizeV2")
class QueueSizeV2(_QueueOp):
    def infer(op):
        return [((), dtypes.int32)]

    def host_run(op, session, feeds):
        state = _state(op.attrs["queue"], session)
        with state.cond:
            return {op.outputs[0]: np.int32(len(state.items))}


@register("QueueIsClosedV2")
class QueueIsClosedV2(_QueueOp):
    def infer(op):
        return [((), dtypes.bool)]

    def host_run(op, session, feeds):
        state = _state(op.attrs["queue"], session)
        with state.cond:
            return {op.outputs[0]: np.bool_(state.closed)}
