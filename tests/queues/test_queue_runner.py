"""QueueRunner and start_queue_runners: threads fill a queue, close it at the end of their input, report other
errors to the Coordinator (or keep them), and are woken by the cancel op when the Coordinator stops."""
import threading

import pytest

import daskflow as df
from daskflow.queues import FIFOQueue
from daskflow.train.coordinator import Coordinator
from daskflow.train.queue_runner import QueueRunner, add_queue_runner, start_queue_runners


@pytest.fixture(autouse=True)
def graph():
    with df.Graph().as_default() as g:
        yield g


def _session():
    return df.Session(config=df.ConfigProto(operation_timeout_in_ms=5000))


def test_threads_fill_the_queue_until_stopped():
    q = FIFOQueue(3, df.int32, shapes=[[]])
    counter = df.Variable(0)
    qr = QueueRunner(q, [q.enqueue(df.assign_add(counter, 1))] * 2)
    assert qr.name == "fifo_queue" and qr.close_op.name == "fifo_queue_Close"
    assert qr.cancel_op.name == "fifo_queue_Close_1" and qr.queue_closed_exception_types == (df.errors.OutOfRangeError,)
    with _session() as sess:
        sess.run(counter.initializer)
        coord = Coordinator()
        threads = qr.create_threads(sess, coord=coord, start=True)
        assert len(threads) == 3  # two runners and the one that cancels the queue on stop
        assert qr.create_threads(sess, coord=coord) == []  # already running in this session
        got = sorted(int(sess.run(q.dequeue())) for _ in range(10))
        coord.request_stop()  # runners blocked on the full queue are woken by the cancel op
        coord.join(threads, stop_grace_period_secs=5)
        # two threads may read the counter at once (as TF1's unlocked assign_add): values repeat, never go back
        assert len(got) == 10 and got[0] >= 1 and got[-1] <= sess.run(counter)
        assert not any(t.is_alive() for t in threads)


def test_end_of_input_closes_the_queue():
    q = FIFOQueue(10, df.int32, shapes=[[]])
    limit = df.Variable(0, collections=["local_variables"])
    step = df.count_up_to(limit, 4)
    add_queue_runner(QueueRunner(q, [q.enqueue(step)]))
    with _session() as sess:
        sess.run(df.local_variables_initializer())
        with sess.as_default():
            threads = start_queue_runners(coord=None)
        got = []
        with pytest.raises(df.errors.OutOfRangeError, match="is closed and has insufficient elements"):
            while True:
                got.append(int(sess.run(q.dequeue())))
        for t in threads:
            t.join(5)
        assert got == [0, 1, 2, 3] and sess.run(q.is_closed())


def test_errors_go_to_the_coordinator():
    q = FIFOQueue(10, df.float32, shapes=[[]])
    x = df.placeholder_with_default(df.constant([1.0, 0.0]), [None])
    checked = df.debugging.check_numerics(df.log(x), "bad input")  # log(0): the runner's run fails
    qr = QueueRunner(q, [q.enqueue_many([checked])])
    with _session() as sess:
        coord = Coordinator()
        threads = qr.create_threads(sess, coord=coord, start=True)
        with pytest.raises(df.errors.InvalidArgumentError, match="bad input"):
            coord.join(threads, stop_grace_period_secs=5)


def test_errors_without_a_coordinator_are_kept():
    q = FIFOQueue(10, df.float32, shapes=[[]])
    bad = df.debugging.check_numerics(df.log(df.constant(-1.0)), "negative")
    qr = QueueRunner(q, [q.enqueue(bad)])
    with _session() as sess:
        threads = qr.create_threads(sess)  # not started, not daemon
        assert len(threads) == 1 and not threads[0].daemon
        errs = []
        old = threading.excepthook
        threading.excepthook = lambda args: errs.append(args.exc_value)
        try:
            threads[0].start()
            threads[0].join(5)
        finally:
            threading.excepthook = old
        assert len(qr.exceptions_raised) == 1 and errs == qr.exceptions_raised
        assert isinstance(errs[0], df.errors.InvalidArgumentError)


def test_argument_errors():
    q = FIFOQueue(10, df.float32)
    with pytest.raises(ValueError, match="Must provide queue and enqueue_ops."):
        QueueRunner(q, [])
    with pytest.raises(TypeError, match="queue_closed_exception_types"):
        QueueRunner(q, [q.enqueue(1.0)], queue_closed_exception_types=(ValueError,))
    with pytest.raises(ValueError, match="No default session is registered"):
        start_queue_runners()
