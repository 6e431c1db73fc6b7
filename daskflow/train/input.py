"""TF1's queue-based input pipelines (``tf.train.string_input_producer``, ``tf.train.batch``,
``tf.train.shuffle_batch``...): functions that build queues and the ``QueueRunner``s filling them.

A producer (``input_producer`` and its string, range and slice forms) puts the rows of a tensor in a FIFO queue,
``num_epochs`` times (counted by a local variable, as TF1: run ``local_variables_initializer()`` first); its
runner closes the queue after the last epoch. A batcher (``batch``, ``shuffle_batch`` and their ``_join`` and
``maybe_`` forms) enqueues its input tensors, computed anew each time one of its threads runs, and gives tensors
that dequeue a batch. ``start_queue_runners`` starts the threads. SparseTensor inputs are not supported.
"""
import numpy as np

from .. import dtypes
from ..graph import TensorShape, control_dependencies, name_scope
from ..ops.registry import convert_to_tensor
from ..queues import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from .queue_runner import QueueRunner, add_queue_runner

__all__ = ["match_filenames_once", "limit_epochs", "input_producer", "string_input_producer",
           "range_input_producer", "slice_input_producer", "batch", "maybe_batch", "batch_join",
           "maybe_batch_join", "shuffle_batch", "maybe_shuffle_batch", "shuffle_batch_join",
           "maybe_shuffle_batch_join"]


def _local_variable(initial_value, name, validate_shape=True):
    from ..ops.state import LOCAL_VARIABLES, Variable
    return Variable(initial_value, trainable=False, collections=[LOCAL_VARIABLES], name=name,
                    validate_shape=validate_shape)


def match_filenames_once(pattern, name=None):
    """A local variable holding the names of the files matching ``pattern`` (a glob or a vector of them),
    computed once, when local variables are initialised."""
    from ..ops.bytes_files import matching_files
    with name_scope(name or "matching_filenames") as scope:
        return _local_variable(matching_files(pattern), scope[:-1], validate_shape=False)


def limit_epochs(tensor, num_epochs=None, name=None):
    """``tensor``, which a run may compute ``num_epochs`` times (counted by a local int64 variable ``epochs``);
    the run after that fails with ``OutOfRangeError``. ``None`` means no limit."""
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    from ..ops.scatter import count_up_to
    from ..ops.state import constant, identity
    with name_scope(name or "limit_epochs") as scope:
        epochs = _local_variable(constant(0, dtype=dtypes.int64), "epochs")
        counter = count_up_to(epochs, num_epochs)
        with control_dependencies([counter]):
            return identity(tensor, name=scope[:-1] + "/")


def _fraction_summary(name, queue, capacity, offset=0):
    from ..ops.math import cast, maximum
    from ..summary.ops import scalar
    size = queue.size()
    if offset:
        size = maximum(0, size - offset)
    scalar(name, cast(size, dtypes.float32) * (1.0 / capacity))


def input_producer(input_tensor, element_shape=None, num_epochs=None, shuffle=True, seed=None, capacity=32,
                   shared_name=None, summary_name=None, name=None, cancel_op=None):
    """A FIFO queue of the rows of ``input_tensor`` (shuffled within each epoch when ``shuffle``), filled
    ``num_epochs`` times (forever when None) by a ``QueueRunner`` added to ``GraphKeys.QUEUE_RUNNERS``."""
    with name_scope(name or "input_producer") as scope:
        input_tensor = convert_to_tensor(input_tensor, name="input_tensor")
        shape = input_tensor.shape
        row = TensorShape(shape.as_list()[1:]) if shape.ndims is not None else TensorShape(None)
        if element_shape is not None:
            row = row.merge_with(TensorShape(element_shape))
        if not row.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or `element_shape` must be "
                             "specified")
        if shuffle:
            from ..ops.random_more import random_shuffle
            input_tensor = random_shuffle(input_tensor, seed=seed)
        input_tensor = limit_epochs(input_tensor, num_epochs)
        q = FIFOQueue(capacity, [input_tensor.dtype], shapes=[row], shared_name=shared_name, name=scope)
        enq = q.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        if summary_name is not None:
            _fraction_summary(summary_name, q, capacity)
        return q


def string_input_producer(string_tensor, num_epochs=None, shuffle=True, seed=None, capacity=32,
                          shared_name=None, name=None, cancel_op=None):
    """A queue of the strings of ``string_tensor`` (a vector, typically file names for a reader), each
    ``num_epochs`` times, shuffled within each epoch when ``shuffle``.

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.train.coordinator import Coordinator
    >>> from daskflow.train.queue_runner import start_queue_runners
    >>> q = string_input_producer(["a", "b", "c"], num_epochs=1, shuffle=False)
    >>> with df.Session() as sess:
    ...     sess.run(df.local_variables_initializer())
    ...     coord = Coordinator()
    ...     threads = start_queue_runners(sess, coord)
    ...     print([sess.run(q.dequeue()) for _ in range(3)])
    ...     coord.request_stop()
    ...     coord.join(threads)
    [b'a', b'b', b'c']
    """
    not_null = "string_input_producer requires a non-null input tensor"
    if not hasattr(string_tensor, "dtype") and not isinstance(string_tensor, np.ndarray) and not string_tensor:
        raise ValueError(not_null)
    from ..ops.generate import size
    from ..ops.math import Assert, greater
    from ..ops.state import identity
    with name_scope(name or "input_producer") as scope:
        string_tensor = convert_to_tensor(string_tensor, dtype=dtypes.string)
        with control_dependencies([Assert(greater(size(string_tensor), 0), [not_null])]):
            string_tensor = identity(string_tensor)
        return input_producer(string_tensor, [], num_epochs, shuffle, seed, capacity, shared_name,
                              summary_name=f"fraction_of_{capacity}_full", name=scope, cancel_op=cancel_op)


def range_input_producer(limit, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None,
                         name=None):
    """A queue of the integers ``0 .. limit - 1`` (int32), each ``num_epochs`` times, shuffled within each epoch
    when ``shuffle``."""
    from ..ops.generate import range as range_
    with name_scope(name or "input_producer") as scope:
        return input_producer(range_(limit), [], num_epochs, shuffle, seed, capacity, shared_name,
                              summary_name=f"fraction_of_{capacity}_full", name=scope)


def slice_input_producer(tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None,
                         name=None):
    """One slice (row) of each tensor of ``tensor_list`` (all with the same first dimension) per dequeue: a list
    of tensors, the same row of each, each row ``num_epochs`` times, shuffled within each epoch when
    ``shuffle``."""
    from ..ops.generate import shape
    from ..ops.indexing import gather
    with name_scope(name or "input_producer"):
        tensor_list = [convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        first = tensor_list[0].shape
        rows = first[0] if first.ndims and first[0] is not None else shape(tensor_list[0])[0]
        queue = range_input_producer(rows, num_epochs, shuffle, seed, capacity, shared_name)
        index = queue.dequeue()
        return [gather(t, index) for t in tensor_list]


# -- batching

def _as_list(tensors):
    if isinstance(tensors, dict):
        return [tensors[k] for k in sorted(tensors, key=str)]
    if isinstance(tensors, (list, tuple)):
        return list(tensors)
    return [tensors]


def _as_original(original, dequeued):
    if isinstance(original, dict):
        dequeued = dequeued if isinstance(dequeued, list) else [dequeued]
        return {k: dequeued[i] for i, k in enumerate(sorted(original, key=str))}
    return dequeued


def _keep(keep_input, enqueue_many):
    if keep_input is None:
        return None
    keep = convert_to_tensor(keep_input, dtype=dtypes.bool)
    if keep.shape.ndims is None:
        raise ValueError("`keep_input` dimensions must be known at graph construction.")
    if not enqueue_many and keep.shape.ndims == 1:
        raise ValueError("`keep_input` cannot be a vector when `enqueue_many=False`.")
    if keep.shape.ndims > 1:
        raise ValueError("`keep_input` must be 0 or 1 dimensions.")
    return keep


def _shapes(lists, shapes, enqueue_many):
    if shapes is not None:
        return shapes
    out = []
    for i in range(len(lists[0])):
        merged = TensorShape(None)
        for tl in lists:
            s = tl[i].shape
            if s.ndims is None:
                raise ValueError(f"Cannot infer Tensor's rank: {tl[i]}")
            if enqueue_many:
                if s.ndims < 1:
                    raise ValueError(f"Shape {s} must have rank at least 1")
                s = TensorShape(s.as_list()[1:])
            merged = merged.merge_with(s)
        out.append(merged)
    return out


def _dtypes(lists):
    types = [t.dtype for t in lists[0]]
    for tl in lists[1:]:
        other = [t.dtype for t in tl]
        if other != types:
            raise TypeError(f"Expected types to be consistent: {', '.join(dtypes.name(t) for t in types)} vs. "
                            f"{', '.join(dtypes.name(t) for t in other)}.")
    return types


def _batched(kind, tensors_list, batch_size, keep_input, threads, capacity, enqueue_many, shapes, dynamic_pad,
             allow_smaller_final_batch, shared_name, name, min_after_dequeue=None, seed=None):
    """The queue, runner and dequeue shared by every batching function; ``tensors_list`` holds one list of
    tensors per enqueuing thread (``threads`` copies of one list for ``batch``)."""
    original = tensors_list[0]
    lists = [[convert_to_tensor(t) for t in _as_list(tl)] for tl in tensors_list]
    if not lists[0]:
        raise ValueError(f"Expected at least one tensor in {kind}().")
    with name_scope(name or kind) as scope:
        keep = _keep(keep_input, enqueue_many)
        types = _dtypes(lists)
        shapes = _shapes(lists, shapes, enqueue_many)
        if min_after_dequeue is not None:
            queue = RandomShuffleQueue(capacity, min_after_dequeue, types, shapes=shapes, seed=seed,
                                       shared_name=shared_name)
        else:
            queue = (PaddingFIFOQueue if dynamic_pad else FIFOQueue)(capacity, types, shapes=shapes,
                                                                     shared_name=shared_name)
        ops = [queue._enqueue_op(tl, enqueue_many, None, keep) for tl in lists[:1 if threads else None]]
        add_queue_runner(QueueRunner(queue, ops * threads if threads else ops))
        if min_after_dequeue is None:
            _fraction_summary(f"fraction_of_{capacity}_full", queue, capacity)
        else:
            _fraction_summary(f"fraction_over_{min_after_dequeue}_of_{capacity - min_after_dequeue}_full", queue,
                              capacity - min_after_dequeue, offset=min_after_dequeue)
        take = queue.dequeue_up_to if allow_smaller_final_batch else queue.dequeue_many
        return _as_original(original, take(batch_size, name=scope))


def _check_shuffle(capacity, min_after_dequeue):
    if capacity <= min_after_dequeue:
        raise ValueError(f"capacity {capacity} must be bigger than min_after_dequeue {min_after_dequeue}.")


def batch(tensors, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None, dynamic_pad=False,
          allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches of ``batch_size`` of ``tensors`` (a list or dict; with ``enqueue_many``, each a batch of
    examples), in the order ``num_threads`` threads enqueue them into a FIFO queue of ``capacity``.

    Each output has a new first dimension ``batch_size`` (unknown with ``allow_smaller_final_batch``, which lets
    the last batch be short once the queue is closed); ``dynamic_pad`` pads components with unknown dimensions
    to the longest in each batch. A single input gives a tensor, a list a list, a dict a dict.

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.train.coordinator import Coordinator
    >>> from daskflow.train.queue_runner import start_queue_runners
    >>> q = range_input_producer(6, num_epochs=1, shuffle=False)
    >>> b = batch([q.dequeue()], 4, allow_smaller_final_batch=True)
    >>> with df.Session() as sess:
    ...     sess.run(df.local_variables_initializer())
    ...     coord = Coordinator()
    ...     threads = start_queue_runners(sess, coord)
    ...     print(sess.run(b).tolist(), sess.run(b).tolist())
    ...     coord.request_stop()
    ...     coord.join(threads)
    [0, 1, 2, 3] [4, 5]
    """
    return _batched("batch", [tensors], batch_size, None, num_threads, capacity, enqueue_many, shapes,
                    dynamic_pad, allow_smaller_final_batch, shared_name, name)


def maybe_batch(tensors, keep_input, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None,
                dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """``batch`` of the examples for which ``keep_input`` (a bool scalar, or a vector with ``enqueue_many``)
    is True."""
    return _batched("batch", [tensors], batch_size, keep_input, num_threads, capacity, enqueue_many, shapes,
                    dynamic_pad, allow_smaller_final_batch, shared_name, name)


def batch_join(tensors_list, batch_size, capacity=32, enqueue_many=False, shapes=None, dynamic_pad=False,
               allow_smaller_final_batch=False, shared_name=None, name=None):
    """``batch`` with one enqueuing thread per list of ``tensors_list`` (lists of the same dtypes, e.g. from
    several readers), all into one queue."""
    if not tensors_list:
        raise ValueError("Expected at least one input in batch_join().")
    return _batched("batch_join", list(tensors_list), batch_size, None, 0, capacity, enqueue_many, shapes,
                    dynamic_pad, allow_smaller_final_batch, shared_name, name)


def maybe_batch_join(tensors_list, keep_input, batch_size, capacity=32, enqueue_many=False, shapes=None,
                     dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """``batch_join`` of the examples for which ``keep_input`` is True."""
    if not tensors_list:
        raise ValueError("Expected at least one input in batch_join().")
    return _batched("batch_join", list(tensors_list), batch_size, keep_input, 0, capacity, enqueue_many, shapes,
                    dynamic_pad, allow_smaller_final_batch, shared_name, name)


def shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, num_threads=1, seed=None, enqueue_many=False,
                  shapes=None, allow_smaller_final_batch=False, shared_name=None, name=None):
    """``batch`` through a ``RandomShuffleQueue``: each batch is drawn at random from the examples enqueued so
    far, leaving at least ``min_after_dequeue`` of them in the queue while it is open (``capacity`` must be
    bigger)."""
    _check_shuffle(capacity, min_after_dequeue)
    return _batched("shuffle_batch", [tensors], batch_size, None, num_threads, capacity, enqueue_many, shapes,
                    False, allow_smaller_final_batch, shared_name, name, min_after_dequeue, seed)


def maybe_shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, keep_input, num_threads=1, seed=None,
                        enqueue_many=False, shapes=None, allow_smaller_final_batch=False, shared_name=None,
                        name=None):
    """``shuffle_batch`` of the examples for which ``keep_input`` is True."""
    _check_shuffle(capacity, min_after_dequeue)
    return _batched("shuffle_batch", [tensors], batch_size, keep_input, num_threads, capacity, enqueue_many,
                    shapes, False, allow_smaller_final_batch, shared_name, name, min_after_dequeue, seed)


def shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, seed=None, enqueue_many=False,
                       shapes=None, allow_smaller_final_batch=False, shared_name=None, name=None):
    """``shuffle_batch`` with one enqueuing thread per list of ``tensors_list``."""
    _check_shuffle(capacity, min_after_dequeue)
    if not tensors_list:
        raise ValueError("Expected at least one input in batch_join().")
    return _batched("shuffle_batch_join", list(tensors_list), batch_size, None, 0, capacity, enqueue_many, shapes,
                    False, allow_smaller_final_batch, shared_name, name, min_after_dequeue, seed)


def maybe_shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, keep_input, seed=None,
                             enqueue_many=False, shapes=None, allow_smaller_final_batch=False, shared_name=None,
                             name=None):
    """``shuffle_batch_join`` of the examples for which ``keep_input`` is True."""
    _check_shuffle(capacity, min_after_dequeue)
    if not tensors_list:
        raise ValueError("Expected at least one input in batch_join().")
    return _batched("shuffle_batch_join", list(tensors_list), batch_size, keep_input, 0, capacity, enqueue_many,
                    shapes, False, allow_smaller_final_batch, shared_name, name, min_after_dequeue, seed)
