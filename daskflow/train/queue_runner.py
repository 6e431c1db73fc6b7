"""TF1's ``tf.train.queue_runner``: ``QueueRunner`` (threads that run a queue's enqueue ops) and
``start_queue_runners``."""
import logging
import threading
import weakref

from .. import errors
from ..graph import get_default_graph

__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]

QUEUE_RUNNERS = "queue_runners"  # GraphKeys.QUEUE_RUNNERS
logger = logging.getLogger("daskflow")


class QueueRunner:
    """Threads that fill a queue: each runs one of ``enqueue_ops`` over and over in a Session (TF1's
    ``QueueRunner``).

    When an enqueue fails with one of ``queue_closed_exception_types`` (``OutOfRangeError`` by default: its
    input, such as ``limit_epochs``, is exhausted) its thread ends, and the last thread to end runs ``close_op``
    (``queue.close()``), so consumers get ``OutOfRangeError`` once the queue is drained. Any other error is
    reported to the ``Coordinator`` (which then stops every thread), or kept in ``exceptions_raised`` and raised
    in the thread. With a coordinator, one more thread runs ``cancel_op`` (``queue.close(True)``) when it stops,
    which wakes enqueues blocked on a full queue.

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.queues import FIFOQueue
    >>> from daskflow.train.coordinator import Coordinator
    >>> q = FIFOQueue(4, df.int32)
    >>> counter = df.Variable(0)
    >>> qr = QueueRunner(q, [q.enqueue(df.assign_add(counter, 1))])
    >>> with df.Session() as sess:
    ...     sess.run(counter.initializer)
    ...     coord = Coordinator()
    ...     threads = qr.create_threads(sess, coord=coord, start=True)
    ...     got = [int(sess.run(q.dequeue())) for _ in range(3)]
    ...     coord.request_stop()
    ...     coord.join(threads)
    >>> got
    [1, 2, 3]
    """

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None, queue_runner_def=None, import_scope=None):
        if queue_runner_def is not None:
            raise ValueError("queue_runner_def is not supported: build the QueueRunner from its queue and ops")
        if queue is None or not enqueue_ops:
            raise ValueError("Must provide queue and enqueue_ops.")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        types = queue_closed_exception_types or (errors.OutOfRangeError,)
        if not isinstance(types, tuple) or not all(isinstance(t, type) and issubclass(t, errors.OpError)
                                                   for t in types):
            raise TypeError("queue_closed_exception_types, when provided, must be a tuple of tf.error types, but "
                            f"saw: {queue_closed_exception_types}")
        self._queue_closed_exception_types = types
        self._lock = threading.Lock()
        self._runs_per_session = weakref.WeakKeyDictionary()
        self._exceptions_raised = []

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def queue_closed_exception_types(self):
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self):
        """Exceptions raised by this runner's threads started without a coordinator."""
        return self._exceptions_raised

    @property
    def name(self):
        """The name of the queue this runner fills."""
        return self._queue.name

    def _run(self, sess, enqueue_op, coord):
        decremented = False
        try:
            while True:
                if coord is not None and coord.should_stop():
                    break
                try:
                    sess.run(enqueue_op)
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        if self._runs_per_session[sess] == 0:
                            try:
                                sess.run(self._close_op)
                            except Exception as e:  # the queue may be closed already
                                logger.debug("Ignored exception closing queue '%s': %s", self.name, e)
                    return
        except Exception as e:
            if coord is not None:
                coord.request_stop(e)
            else:
                logger.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, coord):
        coord.wait_for_stop()
        try:
            sess.run(self._cancel_op)
        except Exception as e:  # the Session may be closed already
            logger.debug("Ignored exception cancelling queue '%s': %s", self.name, e)

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """The threads running the enqueue ops in ``sess`` (plus one that cancels the queue when ``coord``
        stops), registered with ``coord``; none when this runner's threads already run in ``sess``."""
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord)) for op in self._enqueue_ops]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, coord)))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads


def add_queue_runner(qr, collection=QUEUE_RUNNERS):
    """Add ``qr`` to the graph's ``collection`` (``GraphKeys.QUEUE_RUNNERS``), which ``start_queue_runners``
    starts."""
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True, collection=QUEUE_RUNNERS):
    """Start the threads of every ``QueueRunner`` in the graph's ``collection`` in ``sess`` (the default
    Session when None); returns the threads."""
    from ..session import Session, get_default_session
    if sess is None:
        sess = get_default_session()
        if sess is None:
            raise ValueError("Cannot start queue runners: No default session is registered. Use `with "
                             "sess.as_default()` or pass an explicit session to tf.start_queue_runners(sess=sess)")
    if not isinstance(sess, Session) and not hasattr(sess, "graph"):
        raise TypeError(f"sess must be a `tf.Session` object. Given class: {type(sess)}")
    threads = []
    for qr in sess.graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
