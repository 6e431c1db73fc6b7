"""TF1's thread coordination for training programs: ``tf.train.Coordinator`` and ``tf.train.LooperThread``.

A ``Coordinator`` is shared by the threads of a program (input feeders, periodic savers, the training loop): any
of them may request a stop, with or without an exception, and the others check ``should_stop`` and end; ``join``
waits for them, then re-raises the first exception reported.
"""
import contextlib
import logging
import sys
import threading
import time

from .. import errors

__all__ = ["Coordinator", "LooperThread"]

_log = logging.getLogger("daskflow")


def _exc_info(ex):
    """``(type, value, traceback)`` of ``ex``: an exception or an exc_info tuple."""
    if isinstance(ex, tuple):
        return ex
    return type(ex), ex, ex.__traceback__


class Coordinator:
    """Coordinates the termination of a set of threads (TF1's ``tf.train.Coordinator``).

    Parameters
    ----------
    clean_stop_exception_types : sequence of exception classes, optional
        Exceptions that stop the threads without being an error: reported to ``request_stop`` they are ignored.
        Default ``(OutOfRangeError,)``, so a thread that exhausts its input ends the others cleanly.

    Examples
    --------
    >>> import threading, daskflow as df
    >>> coord = df.train.Coordinator()
    >>> def worker(i):
    ...     with coord.stop_on_exception():
    ...         if i == 2:
    ...             raise ValueError("worker 2 failed")
    ...         coord.wait_for_stop()
    >>> threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    >>> for t in threads:
    ...     t.start()
    >>> try:
    ...     coord.join(threads)
    ... except ValueError as e:
    ...     print(e)
    worker 2 failed
    """

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _filter_exception(self, ex):
        value = ex[1] if isinstance(ex, tuple) else ex
        return None if isinstance(value, self._clean_stop_exception_types) else ex

    def request_stop(self, ex=None):
        """Ask every thread to stop. ``ex`` (an exception or a ``sys.exc_info()`` tuple) is recorded when it is
        the first reported and not a clean-stop type; ``join`` and ``raise_requested_exception`` re-raise it.
        After ``join``, an exception reported is raised at once (there is no one left to report it to)."""
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined:
                if ex is not None:
                    _, value, tb = _exc_info(ex)
                    raise value.with_traceback(tb)
            if not self._stop_event.is_set():
                if ex is not None and self._exc_info_to_raise is None:
                    info = _exc_info(ex)
                    if len(info) != 3 or not info[0] or not info[1]:
                        try:
                            raise ValueError(f"ex must be a tuple or sys.exc_info must return the current "
                                             f"exception: {info}")
                        except ValueError:
                            info = sys.exc_info()
                    _log.info("Error reported to Coordinator: %s", info[1])
                    self._exc_info_to_raise = info
                self._stop_event.set()

    def clear_stop(self):
        """Forget a stop request and its exception, so the coordinator can be used again."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            if self._stop_event.is_set():
                self._stop_event.clear()

    def should_stop(self):
        """Whether a stop was requested."""
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """A context in which an exception (other than a clean-stop one) is reported with ``request_stop``
        instead of propagating: the body of a coordinated thread."""
        try:
            yield
        except:  # noqa: E722 - every exception is reported to the coordinator, as in TF
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        """Wait until a stop is requested, at most ``timeout`` seconds; whether it was."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        """Make ``join`` wait for ``thread`` too."""
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Wait until a stop is requested or every thread (those given and those registered) ended, then give the
        threads ``stop_grace_period_secs`` to end. Re-raises the exception reported to ``request_stop``; else
        raises ``RuntimeError`` naming the threads still running after the grace period, unless
        ``ignore_live_threads`` (then they are only logged)."""
        with self._lock:
            threads = list(self._registered_threads if threads is None else
                           self._registered_threads.union(threads))
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        wait = 0.001
        while any(t.is_alive() for t in threads) and stop_grace_period_secs >= 0.0:
            time.sleep(wait)
            stop_grace_period_secs -= wait
            wait = max(min(2 * wait, stop_grace_period_secs), 0.001)
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            if self._exc_info_to_raise:
                _, value, tb = self._exc_info_to_raise
                raise value.with_traceback(tb)
            if stragglers:
                if ignore_live_threads:
                    _log.info("Coordinator stopped with threads still running: %s", " ".join(stragglers))
                else:
                    raise RuntimeError(f"Coordinator stopped with threads still running: {' '.join(stragglers)}")

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        """Raise the exception reported to ``request_stop``, if any."""
        with self._lock:
            if self._exc_info_to_raise:
                _, value, tb = self._exc_info_to_raise
                raise value.with_traceback(tb)


class LooperThread(threading.Thread):
    """A daemon thread that calls ``target(*args, **kwargs)`` (or ``run_loop``) repeatedly until its coordinator
    stops: every ``timer_interval_secs`` seconds, or back to back when that is None (TF1's
    ``tf.train.LooperThread``). An exception it raises is reported to the coordinator.

    Examples
    --------
    >>> import daskflow as df
    >>> coord, calls = df.train.Coordinator(), []
    >>> def step():
    ...     calls.append(1)
    ...     if len(calls) == 3:
    ...         coord.request_stop()
    >>> t = df.train.LooperThread.loop(coord, None, step)
    >>> coord.join([t])
    >>> len(calls)
    3
    """

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        super().__init__()
        self.daemon = True
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        if self._target:
            self._args = args or ()
            self._kwargs = kwargs or {}
        elif args or kwargs:
            raise ValueError("'args' and 'kwargs' argument require that you also pass 'target'")
        self._coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None):
        """Start a ``LooperThread`` calling ``target``; returns it."""
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args, kwargs=kwargs)
        looper.start()
        return looper

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.time()
                while not self._coord.wait_for_stop(next_time - time.time()):
                    next_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        """Called once when the thread starts (for subclasses)."""

    def stop_loop(self):
        """Called once when the loop ends (for subclasses)."""

    def run_loop(self):
        """One iteration: calls the target."""
        if self._target:
            self._target(*self._args, **self._kwargs)
