"""``Coordinator`` and ``LooperThread``: threads stop together when one requests it, the first real exception
reported is re-raised by ``join`` (end of input is a clean stop), stragglers are named; as TF1."""
import threading
import time

import pytest

import daskflow as df
from daskflow.train.coordinator import Coordinator, LooperThread


def _waiter(coord, seen, i):
    with coord.stop_on_exception():
        while not coord.should_stop():
            time.sleep(0.005)
        seen.append(i)


def test_request_stop_ends_every_thread_and_join_returns():
    coord, seen = Coordinator(), []
    threads = [threading.Thread(target=_waiter, args=(coord, seen, i)) for i in range(3)]
    for t in threads:
        t.start()
    assert not coord.should_stop()
    coord.request_stop()
    coord.join(threads)
    assert sorted(seen) == [0, 1, 2] and coord.should_stop() and coord.joined
    assert not any(t.is_alive() for t in threads)


def test_exception_in_a_thread_stops_the_others_and_join_reraises_it():
    coord, seen = Coordinator(), []

    def failing():
        with coord.stop_on_exception():
            time.sleep(0.01)
            raise ValueError("bad input row 7")
    threads = [threading.Thread(target=_waiter, args=(coord, seen, i)) for i in range(2)]
    threads.append(threading.Thread(target=failing))
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="bad input row 7"):
        coord.join(threads)
    assert sorted(seen) == [0, 1]
    with pytest.raises(ValueError, match="bad input row 7"):
        coord.raise_requested_exception()


def test_only_the_first_exception_is_kept():
    coord = Coordinator()
    for msg in ("first", "second"):
        try:
            raise RuntimeError(msg)
        except RuntimeError as e:
            coord.request_stop(e)
    with pytest.raises(RuntimeError, match="^first$"):
        coord.join([])


def test_out_of_range_is_a_clean_stop_unless_told_otherwise():
    coord = Coordinator()
    with coord.stop_on_exception():
        raise df.errors.OutOfRangeError(None, None, "End of sequence")
    assert coord.should_stop()
    coord.join([])  # nothing re-raised

    strict = Coordinator(clean_stop_exception_types=[])
    with strict.stop_on_exception():
        raise df.errors.OutOfRangeError(None, None, "End of sequence")
    with pytest.raises(df.errors.OutOfRangeError, match="End of sequence"):
        strict.join([])


def test_stragglers_are_named_after_the_grace_period():
    coord, release = Coordinator(), threading.Event()
    t = threading.Thread(target=release.wait, name="slow-reader")
    t.start()
    coord.request_stop()
    with pytest.raises(RuntimeError, match="Coordinator stopped with threads still running: slow-reader"):
        coord.join([t], stop_grace_period_secs=0.01)
    coord.clear_stop()
    coord.request_stop()
    coord.join([t], stop_grace_period_secs=0.01, ignore_live_threads=True)  # logged only
    release.set()
    t.join()


def test_registered_threads_are_joined_and_an_exception_after_join_is_raised_at_once():
    coord, seen = Coordinator(), []
    t = threading.Thread(target=_waiter, args=(coord, seen, 0))
    coord.register_thread(t)
    t.start()
    coord.request_stop()
    coord.join()
    assert seen == [0]
    with pytest.raises(KeyError):
        coord.request_stop(KeyError("late"))


def test_wait_for_stop_times_out_then_sees_the_stop():
    coord = Coordinator()
    assert coord.wait_for_stop(0.01) is False
    threading.Timer(0.01, coord.request_stop).start()
    assert coord.wait_for_stop(5.0) is True


def test_looper_thread_runs_its_target_until_stopped_and_reports_errors():
    coord, calls = Coordinator(), []

    def step(tag):
        calls.append(tag)
        if len(calls) == 4:
            coord.request_stop()
    t = LooperThread.loop(coord, None, step, args=("x",))
    coord.join([t])
    assert calls == ["x"] * 4 and t.daemon

    coord2, n = Coordinator(), []

    def timed():
        n.append(time.time())
        if len(n) == 3:
            raise ZeroDivisionError("step 3")
    LooperThread.loop(coord2, 0.01, timed)
    with pytest.raises(ZeroDivisionError, match="step 3"):
        coord2.join()
    assert len(n) == 3 and n[2] - n[0] >= 0.015  # called on its timer


def test_looper_thread_argument_errors():
    with pytest.raises(ValueError, match="'coord' argument must be a Coordinator"):
        LooperThread(object(), 1.0)
    with pytest.raises(ValueError, match="'args' and 'kwargs' argument require that you also pass 'target'"):
        LooperThread(Coordinator(), 1.0, args=(1,))
