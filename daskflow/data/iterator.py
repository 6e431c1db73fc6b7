"""Graph-mode iterators over datasets (TF1's ``tf.compat.v1.data.Iterator``).

``get_next()`` gives tensors of an ``IteratorGetNext`` op. The op is run on the host: before a ``Session.run``
plans its work, it pulls the iterator's next element in that session and binds it as a feed of those tensors, so
the rest of the run is an ordinary fed run. ``MakeIterator`` (the ``initializer``) starts or restarts the
iterator. Iterator state lives in the Session, so two sessions iterate independently.
"""
import functools
import itertools
import threading

from .. import errors
from ..graph import TensorShape, get_default_graph
from ..ops.registry import NOT_DIFFERENTIABLE, fail, register
from . import structure as nest

__all__ = ["Iterator", "make_one_shot_iterator", "make_initializable_iterator"]

_ids = itertools.count()


class _State:
    def __init__(self, dataset, ctx):
        self.dataset, self.values = dataset, ctx.values  # what it iterates, and the values of its tensor inputs
        self.elements = dataset._elements(ctx)  # generator of flat element lists; None once exhausted
        self.returned = []  # elements given back by runs that did not happen, served first (last in, first out)
        self.lock = threading.Lock()

    @functools.cached_property
    def held_bytes(self):
        return self.dataset._held_bytes(self.values)


def _states(session):
    """{iterator id: _State} of ``session``."""
    return session._host_state.setdefault("iterators", {})


def _start(iterator, dataset, session, feeds):
    """(Re)start ``iterator`` in ``session`` over ``dataset``: its tensor inputs are evaluated now, with the
    run's feeds."""
    states = _states(session)
    old = states.pop(iterator._id, None)
    if old is not None and old.elements is not None:
        old.elements.close()  # stops any background reader of the previous pass
    counts = session._host_state.setdefault("iterator_inits", {})
    n = counts[iterator._id] = counts.get(iterator._id, -1) + 1
    state = states[iterator._id] = _State(dataset, dataset._context(session, feeds or None, iteration=n))
    return state


@register("MakeIterator")
class MakeIterator:
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return []

    def lower(op):
        return []  # its work is done on the host before the run (``host_run``)

    def host_run(op, session, feeds):
        _start(op.attrs["iterator"], op.attrs["dataset"], session, feeds)
        return {}


@register("IteratorGetNext")
class IteratorGetNext:
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [(s.shape, s.dtype) for s in nest.flatten(op.attrs["iterator"].element_spec)]

    def lower(op):
        fail(op, f"the next element of iterator '{op.attrs['iterator'].name}' is only available in Session.run",
             errors.UnimplementedError)

    def host_run(op, session, feeds):
        it = op.attrs["iterator"]
        state = _states(session).get(it._id)
        if state is None:
            if it._dataset is None or it._initializer is not None:
                raise errors.FailedPreconditionError(
                    None, op, f"GetNext() failed because the iterator '{it.name}' has not been initialized. "
                    "Ensure that you have run the initializer operation for this iterator before getting the next "
                    f"element. [op '{op.name}' (type {op.type})]")
            state = _start(it, it._dataset, session, feeds)  # one-shot: starts on first use, with that run's feeds
        with state.lock:
            if state.returned:
                elem = state.returned.pop()
            else:
                elem = next(state.elements, None) if state.elements is not None else None
            if elem is None:
                state.elements = None
                raise errors.OutOfRangeError(None, op, f"End of sequence of iterator '{it.name}' [op '{op.name}' "
                                             f"(type {op.type})]")
        return dict(zip(op.outputs, elem))

    def host_undo(op, session, values):
        state = _states(session).get(op.attrs["iterator"]._id)
        if state is not None:
            with state.lock:
                state.returned.append([values[t] for t in op.outputs])

    def host_bytes(op, session):
        # the pipeline the iterator runs in this session (sized by its tensor inputs' values), else the one it
        # will start on first use; an iterator made by from_structure and not yet started runs none
        it = op.attrs["iterator"]
        state = _states(session).get(it._id)
        if state is not None:
            return state.held_bytes
        return it._dataset._held_bytes() if it._dataset is not None else 0


class Iterator(nest.HasElementSpec):
    """Tensors over a dataset's elements for graph-mode loops (TF1's ``Iterator``).

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> it = df.data.Dataset.range(3).make_initializable_iterator()
    >>> nxt = it.get_next()
    >>> with df.Session() as sess:
    ...     _ = sess.run(it.initializer)
    ...     print([int(sess.run(nxt)) for _ in range(3)])
    ...     try:
    ...         sess.run(nxt)
    ...     except df.errors.OutOfRangeError:
    ...         print("end")
    [0, 1, 2]
    end
    """

    def __init__(self, dataset, element_spec, initializable, name):
        self._id = next(_ids)
        self._dataset, self._element_spec = dataset, element_spec
        self._graph = get_default_graph()
        self.name = self._graph.unique_name(name)
        self._initializer = None
        if initializable and dataset is not None:
            self._initializer = self.make_initializer(dataset, name="MakeIterator")

    @classmethod
    def _one_shot(cls, dataset):
        return cls(dataset, dataset.element_spec, False, "OneShotIterator")

    @classmethod
    def _initializable(cls, dataset):
        return cls(dataset, dataset.element_spec, True, "Iterator")

    @classmethod
    def from_structure(cls, output_types, output_shapes=None, shared_name=None, output_classes=None):
        """An iterator not bound to a dataset: ``make_initializer(ds)`` gives the op that starts it over
        ``ds`` (any dataset with this element structure), so one ``get_next()`` serves several datasets."""
        from .dataset import TensorSpec
        shapes = output_shapes if output_shapes is not None else nest.map_structure(lambda _: None, output_types)
        flat_t, flat_s = nest.flatten(output_types), nest.flatten(shapes)
        if len(flat_t) != len(flat_s):
            raise ValueError("output_types and output_shapes must have the same structure")
        spec = nest.pack(output_types, [TensorSpec(s, t) for t, s in zip(flat_t, flat_s)])
        it = cls(None, spec, True, "Iterator")
        return it

    @property
    def element_spec(self):
        return self._element_spec


    @property
    def initializer(self):
        """The op that (re)starts this iterator over its dataset."""
        if self._initializer is None:
            raise ValueError(f"Iterator '{self.name}' does not have an initializer (a one-shot iterator starts "
                             "itself; one made by from_structure is started by make_initializer(dataset))")
        return self._initializer

    def make_initializer(self, dataset, name=None):
        """An op that (re)starts this iterator over ``dataset``, whose elements must match its structure."""
        mine, theirs = nest.flatten(self._element_spec), nest.flatten(dataset.element_spec)
        if not nest.same_structure(self._element_spec, dataset.element_spec) or len(mine) != len(theirs) or any(
                a.dtype != b.dtype or not TensorShape(a.shape).is_compatible_with(b.shape)
                for a, b in zip(mine, theirs)):
            raise TypeError(f"Expected a dataset with elements {self._element_spec} for iterator '{self.name}', "
                            f"got one with {dataset.element_spec}")
        op = self._graph.create_op("MakeIterator", [], {"iterator": self, "dataset": dataset},
                                   name=name or "MakeIterator", output_specs=[])
        if self._initializer is None:
            self._initializer = op
        return op

    def get_next(self, name=None):
        """Tensors (structured as the elements) whose value in a run is the iterator's next element. Each
        ``IteratorGetNext`` op pulls one element per run; at the end the run raises ``OutOfRangeError``."""
        specs = [(s.shape, s.dtype) for s in nest.flatten(self._element_spec)]
        op = self._graph.create_op("IteratorGetNext", [], {"iterator": self}, name=name or "IteratorGetNext",
                                   output_specs=specs)
        return nest.pack(self._element_spec, op.outputs)

    def __repr__(self):
        return f"<daskflow.data.Iterator '{self.name}' element_spec={self._element_spec}>"


def make_one_shot_iterator(dataset):
    """``dataset.make_one_shot_iterator()`` (TF1's ``tf.compat.v1.data.make_one_shot_iterator``)."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset, shared_name=None):
    """``dataset.make_initializable_iterator()`` (TF1's ``tf.compat.v1.data.make_initializable_iterator``)."""
    return dataset.make_initializable_iterator(shared_name)
