"""Queues (FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue, PriorityQueue): order, blocking, closing and
errors as TF1, state per Session. Every blocking call runs under an operation timeout or a bounded join."""
import threading
import time

import numpy as np
import pytest

import daskflow as df
from daskflow.queues import FIFOQueue, PaddingFIFOQueue, PriorityQueue, RandomShuffleQueue
from daskflow.testing import SweepCase

TESTED_OPS = {"QueueEnqueueV2", "QueueEnqueueManyV2", "QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2",
              "QueueCloseV2", "QueueSizeV2", "QueueIsClosedV2"}



def _swept(x, s):
    """Queues filled and closed by the first run (the sweep's ``init``), then emptied by one run: element by
    element, by a fixed count, up to a count past what is left, and padded."""
    q = FIFOQueue(8, [df.float64, df.string], shapes=[[3], []])
    pad = PaddingFIFOQueue(4, [df.float64], shapes=[[None]])
    fill = [q.enqueue_many([x, s]), q.enqueue([x[0] * 2, s[0]]), q.close(), pad.enqueue([x[0]]),
            pad.enqueue([x[1, :2]]), pad.close()]
    one, many, rest = q.dequeue(), q.dequeue_many(2), q.dequeue_up_to(4)
    return [*one, *many, *rest, pad.dequeue_many(2), q.size(), q.is_closed()], fill


def _swept_kinds(x, priority):
    """A seeded shuffling queue, a priority queue and queues with names and without shapes, as ``_swept``."""
    shuffled = RandomShuffleQueue(6, 1, [df.float64], shapes=[[2]], seed=3)
    ranked = PriorityQueue(6, [df.float64], shapes=[[2]])
    named = FIFOQueue(6, [df.float64, df.int64], names=["a", "b"], shapes=[[2], []])
    loose = FIFOQueue(2, [df.float64])
    fill = [shuffled.enqueue_many([x]), ranked.enqueue_many([priority, x]),
            named.enqueue_many({"a": x, "b": priority}), loose.enqueue([x]), shuffled.close()]
    first, firsts = ranked.dequeue(), ranked.dequeue_many(2)
    rest = named.dequeue_up_to(3)
    return [shuffled.dequeue_many(3), *first, *firsts, rest["a"], rest["b"], loose.dequeue(), shuffled.size(),
            ranked.size()], fill


SWEEP_CASES = [SweepCase(_swept, np.random.default_rng(0).uniform(-2, 2, (5, 3)),
                         np.array([b"a", b"bc", b"", b"d", b"ef"], dtype=object), name="queues", init=True),
               SweepCase(_swept_kinds, np.random.default_rng(1).uniform(-2, 2, (4, 2)), np.array([3, 1, 2, 1]),
                         name="queue_kinds", init=True)]


@pytest.fixture(autouse=True)
def graph():
    with df.Graph().as_default() as g:
        yield g


def _session(ms=2000):
    """A Session whose blocked queue ops give up after ``ms`` (DeadlineExceededError) rather than hang."""
    return df.Session(config=df.ConfigProto(operation_timeout_in_ms=ms))


def _in_thread(fn):
    """Run ``fn`` in a thread; returns a function joining it (bounded) and giving its result or error."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except Exception as e:  # handed to the test
            out["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join():
        t.join(5)
        assert not t.is_alive(), "thread still blocked"
        return out
    return join


def test_fifo_order_names_and_shapes():
    q = FIFOQueue(10, [df.int32, df.string], shapes=[[2], []])
    assert q.name == "fifo_queue" and q.dtypes == [df.int32, df.string]
    enq = q.enqueue([[1, 2], "a"])
    many = q.enqueue_many([[[3, 4], [5, 6]], ["b", "c"]])
    x, s = q.dequeue()
    xs, ss = q.dequeue_many(2)
    assert (enq.name, many.name, x.name) == ("fifo_queue_enqueue", "fifo_queue_EnqueueMany", "fifo_queue_Dequeue:0")
    assert x.shape.as_list() == [2] and xs.shape.as_list() == [2, 2] and ss.shape.as_list() == [2]
    assert q.dequeue_up_to(2)[0].shape.as_list() == [None, 2]
    with _session() as sess:
        sess.run(enq)
        sess.run(many)
        assert sess.run(q.size()) == 3
        got = sess.run([x, s])
        np.testing.assert_array_equal(got[0], [1, 2])
        assert got[1] == b"a"
        got = sess.run([xs, ss])
        np.testing.assert_array_equal(got[0], [[3, 4], [5, 6]])
        assert list(got[1]) == [b"b", b"c"]
        assert sess.run(q.size()) == 0


def test_names_give_dicts():
    q = FIFOQueue(5, [df.float32, df.int64], shapes=[[], []], names=["a", "b"])
    enq = q.enqueue({"a": 1.5, "b": 7})
    out = q.dequeue()
    assert sorted(out) == ["a", "b"] and out["b"].dtype == df.int64
    with pytest.raises(ValueError, match="do not match names"):
        q.enqueue({"a": 1.0})
    with _session() as sess:
        sess.run(enq)
        got = sess.run(out)
        assert got == {"a": np.float32(1.5), "b": 7}


def test_closed_queue_errors_as_tf1():
    q = FIFOQueue(10, df.float32)
    deq, enq = q.dequeue(), q.enqueue(1.0)
    with _session() as sess:
        assert not sess.run(q.is_closed())
        sess.run(q.close())
        assert sess.run(q.is_closed())
        with pytest.raises(df.errors.OutOfRangeError) as e:
            sess.run(deq)
        assert str(e.value).startswith(
            "FIFOQueue '_0_fifo_queue' is closed and has insufficient elements (requested 1, current size 0)")
        with pytest.raises(df.errors.CancelledError, match="FIFOQueue '_0_fifo_queue' is closed."):
            sess.run(enq)


def test_closed_queue_serves_what_is_left():
    q = FIFOQueue(10, df.int32, shapes=[[]])
    with _session() as sess:
        sess.run(q.enqueue_many([[1, 2]]))
        sess.run(q.close())
        with pytest.raises(df.errors.OutOfRangeError, match=r"requested 3, current size 2"):
            sess.run(q.dequeue_many(3))
        assert sess.run(q.dequeue_up_to(3)).tolist() == [1, 2]  # nothing was lost by the failed dequeue
        with pytest.raises(df.errors.OutOfRangeError, match=r"requested 3, current size 0"):
            sess.run(q.dequeue_up_to(3))


def test_blocked_dequeue_wakes_when_another_thread_closes():
    q = FIFOQueue(10, df.float32)
    deq, close = q.dequeue(), q.close()
    with _session(10000) as sess:
        join = _in_thread(lambda: sess.run(deq))
        time.sleep(0.1)
        sess.run(close)
        assert isinstance(join()["error"], df.errors.OutOfRangeError)


def test_blocked_dequeue_takes_what_another_thread_enqueues():
    q = FIFOQueue(2, df.int32, shapes=[[]])
    batch = q.dequeue_many(5)  # more than the capacity: taken as they come
    with _session() as sess:
        join = _in_thread(lambda: sess.run(batch))
        sess.run(q.enqueue_many([[0, 1, 2, 3, 4]]))  # blocks on the full queue until the dequeue takes some
        assert join()["value"].tolist() == [0, 1, 2, 3, 4]


def test_operation_timeout():
    q = FIFOQueue(1, df.float32)
    with _session(50) as sess:
        with pytest.raises(df.errors.DeadlineExceededError, match="Timed out waiting for notification"):
            sess.run(q.dequeue())
        sess.run(q.enqueue(1.0))
        with pytest.raises(df.errors.DeadlineExceededError, match="Timed out waiting for notification"):
            sess.run(q.enqueue(2.0))
        assert sess.run(q.dequeue()) == 1.0


def test_close_cancels_pending_enqueues_only_when_asked():
    q = FIFOQueue(1, df.float32)
    with _session(10000) as sess:
        sess.run(q.enqueue(1.0))
        join = _in_thread(lambda: sess.run(q.enqueue(2.0)))
        time.sleep(0.05)
        sess.run(q.close())  # the blocked enqueue still waits for room
        assert sess.run(q.dequeue()) == 1.0
        assert "error" not in join()
        assert sess.run(q.dequeue()) == 2.0
    q2 = FIFOQueue(1, df.float32)
    with _session(10000) as sess:
        sess.run(q2.enqueue(1.0))
        join = _in_thread(lambda: sess.run(q2.enqueue(2.0)))
        time.sleep(0.05)
        sess.run(q2.close(cancel_pending_enqueues=True))
        err = join()["error"]
        assert isinstance(err, df.errors.CancelledError) and "Enqueue operation was cancelled" in str(err)


def test_closing_the_session_cancels_blocked_ops():
    q = FIFOQueue(1, df.float32)
    sess = _session(10000)
    join = _in_thread(lambda: sess.run(q.dequeue()))
    time.sleep(0.05)
    sess.close()
    assert isinstance(join()["error"], df.errors.CancelledError)


def test_each_session_has_its_own_queue():
    q = FIFOQueue(5, df.int32, shapes=[[]])
    with _session() as a, _session() as b:
        a.run(q.enqueue_many([[1, 2, 3]]))
        b.run(q.enqueue(9))
        assert (a.run(q.size()), b.run(q.size())) == (3, 1)
        assert b.run(q.dequeue()) == 9 and a.run(q.dequeue()) == 1


def test_enqueue_computes_its_inputs_once_per_run():
    q = FIFOQueue(5, df.int32, shapes=[[]])
    v = df.Variable(0)
    bumped = df.assign_add(v, 1)
    enq = q.enqueue(bumped)
    with _session() as sess:
        sess.run(v.initializer)
        sess.run(enq)
        sess.run(enq)
        assert sess.run(v) == 2
        assert sess.run(q.dequeue_many(2)).tolist() == [1, 2]


def test_shape_and_dtype_errors():
    q = FIFOQueue(5, df.float32, shapes=[[2]])
    with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2,\) are incompatible"):
        q.enqueue([[1.0, 2.0, 3.0]])  # a list holds the components
    with pytest.raises(ValueError, match=r"Shapes \(\) and \(2,\) are incompatible"):
        q.enqueue_many([[1.0, 2.0]])
    with pytest.raises(ValueError, match="Expected 1 components"):
        q.enqueue([[1.0, 2.0], [3.0, 4.0]])
    p = df.placeholder(df.float32, [None])
    enq = q.enqueue(p)
    with _session() as sess:
        with pytest.raises(df.errors.InvalidArgumentError, match=r"Shape mismatch in tuple component 0. Expected "
                           r"\[2\], got \[3\]"):
            sess.run(enq, {p: [1, 2, 3]})
    with pytest.raises(df.errors.InvalidArgumentError, match="FIFOQueue's DequeueMany and DequeueUpTo require the "
                       "components to have specified shapes"):
        FIFOQueue(5, df.float32).dequeue_many(2)
    with pytest.raises(TypeError, match="Expected float32"):
        q.enqueue([["a", "b"]])


def test_session_plan_gives_the_elements_back():
    q = FIFOQueue(5, df.int32, shapes=[[]])
    deq = q.dequeue() + 0
    with _session() as sess:
        sess.run(q.enqueue_many([[4, 5]]))
        sess.plan(deq)
        assert sess.run(deq) == 4 and sess.run(q.size()) == 1


# -- RandomShuffleQueue

def test_random_shuffle_keeps_min_after_dequeue_until_closed():
    q = RandomShuffleQueue(10, 3, df.int32, shapes=[[]], seed=1)
    deq = q.dequeue()
    with _session(50) as sess:
        sess.run(q.enqueue_many([list(range(5))]))
        got = [int(sess.run(deq)) for _ in range(2)]
        with pytest.raises(df.errors.DeadlineExceededError):
            sess.run(deq)  # would leave fewer than 3
        assert sess.run(q.size()) == 3
        sess.run(q.close())
        got += sess.run(q.dequeue_up_to(10)).tolist()
        assert sorted(got) == [0, 1, 2, 3, 4]
        with pytest.raises(df.errors.OutOfRangeError, match="RandomShuffleQueue '_0_random_shuffle_queue' is closed"):
            sess.run(deq)


def _shuffled(seed, n=20):
    with df.Graph().as_default():
        q = RandomShuffleQueue(50, 0, df.int32, shapes=[[]], seed=seed)
        with _session() as sess:
            sess.run(q.enqueue_many([list(range(n))]))
            return sess.run(q.dequeue_many(n)).tolist()


def test_random_shuffle_seed_reproducible():
    a, b, c = _shuffled(7), _shuffled(7), _shuffled(8)
    assert a == b and sorted(a) == list(range(20))
    assert a != c and a != list(range(20))


# -- PaddingFIFOQueue and PriorityQueue

def test_padding_queue_pads_each_batch():
    q = PaddingFIFOQueue(10, [df.int32, df.string], shapes=[[None], [None]])
    batch = q.dequeue_many(2)
    assert batch[0].shape.as_list() == [2, None]
    with _session() as sess:
        for x, s in [([1, 2], ["a"]), ([3], ["b", "c", "d"]), ([4, 5, 6], [])]:
            sess.run(q.enqueue([x, s]))
        x, s = sess.run(batch)
        np.testing.assert_array_equal(x, [[1, 2], [3, 0]])
        assert s.tolist() == [[b"a", b"", b""], [b"b", b"c", b"d"]]
        sess.run(q.close())
        x, s = sess.run(q.dequeue_up_to(5))
        np.testing.assert_array_equal(x, [[4, 5, 6]])
        assert s.shape == (1, 0)
    with pytest.raises(ValueError, match="must specify shapes"):
        PaddingFIFOQueue(10, [df.int32], shapes=None)


def test_priority_queue_orders_by_priority_then_arrival():
    q = PriorityQueue(10, [df.string], shapes=[[]])
    assert q.dtypes == [df.int64, df.string]
    with _session() as sess:
        sess.run(q.enqueue([np.int64(5), "e"]))
        sess.run(q.enqueue_many([np.array([1, 3, 1], dtype=np.int64), ["a", "c", "a2"]]))
        p, s = q.dequeue()
        assert sess.run([p, s]) == [1, b"a"]
        ps, ss = sess.run(q.dequeue_many(3))
        assert ps.tolist() == [1, 3, 5] and ss.tolist() == [b"a2", b"c", b"e"]
        sess.run(q.close())
        with pytest.raises(df.errors.OutOfRangeError, match="PriorityQueue '_0_priority_queue' is closed"):
            sess.run(p)
