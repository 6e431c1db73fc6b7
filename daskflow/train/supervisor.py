"""TF1's ``tf.train.Supervisor``: the older training helper that prepares a session (restored from ``logdir`` or
initialized) and, on the chief, runs the standard services in threads: periodic checkpoints, summaries and a
steps-per-second summary, all stopped through one ``Coordinator``."""
import contextlib
import logging
import os
import time

from ..graph import get_default_graph
from ..ops.state import GLOBAL_VARIABLES, global_variables_initializer, group, tables_initializer
from ..ops.variable_scope import local_variables_initializer, report_uninitialized_variables
from . import monitored, training_util
from .coordinator import Coordinator, LooperThread
from .session_manager import SessionManager

__all__ = ["Supervisor"]

_log = logging.getLogger("daskflow")
QUEUE_RUNNERS = "queue_runners"   # GraphKeys.QUEUE_RUNNERS


def _session_log(status, **kwargs):
    from ..summary import SessionLog
    return SessionLog(status=getattr(SessionLog, status), **kwargs)


class Supervisor:
    """Prepares sessions and runs the chief's periodic services (TF1's ``tf.train.Supervisor``; TF1 recommends
    ``MonitoredTrainingSession`` instead).

    Each argument left at ``USE_DEFAULT`` is taken from the graph's collection of the same name, else made (and
    added there): ``ready_op`` = ``report_uninitialized_variables()``, ``init_op`` =
    ``global_variables_initializer()``, ``local_init_op`` = local variables and tables initializers, ``saver`` = a
    ``Saver`` of the global variables (if there are any), ``summary_op`` = ``summary.merge_all()``, ``global_step``
    = the graph's global step (or its tensor ``global_step:0``). Pass None to go without one. The graph is
    finalized.

    On the chief with a ``logdir``: sessions are restored from its latest checkpoint when there is one; the graph
    is written there (``graph.pbtxt`` and to the event file); a thread saves a checkpoint ``logdir/
    <checkpoint_basename>-<step>`` every ``save_model_secs`` seconds (the first when the services start), another
    runs ``summary_op`` and a third writes ``global_step/sec`` every ``save_summaries_secs`` seconds.

    Examples
    --------
    >>> import tempfile, daskflow as df
    >>> step = df.train.get_or_create_global_step()
    >>> train = df.assign_add(step, 1)
    >>> sv = df.train.Supervisor(logdir=tempfile.mkdtemp(), save_model_secs=0, save_summaries_secs=0)
    >>> with sv.managed_session() as sess:
    ...     while not sv.should_stop():
    ...         if sess.run(train) >= 3:
    ...             sv.request_stop()
    >>> sv.should_stop()
    True
    """

    USE_DEFAULT = 0

    def __init__(self, graph=None, ready_op=USE_DEFAULT, ready_for_local_init_op=USE_DEFAULT, is_chief=True,
                 init_op=USE_DEFAULT, init_feed_dict=None, local_init_op=USE_DEFAULT, logdir=None,
                 summary_op=USE_DEFAULT, saver=USE_DEFAULT, global_step=USE_DEFAULT, save_summaries_secs=120,
                 save_model_secs=600, recovery_wait_secs=30, stop_grace_secs=120, checkpoint_basename="model.ckpt",
                 session_manager=None, summary_writer=USE_DEFAULT, init_fn=None, local_init_run_options=None):
        graph = graph if graph is not None else get_default_graph()
        self._graph = graph
        with graph.as_default():
            self._ready_op = self._default(ready_op, monitored.READY_OP, report_uninitialized_variables)
            self._ready_for_local_init_op = self._default(ready_for_local_init_op,
                                                          monitored.READY_FOR_LOCAL_INIT_OP, None)
            self._init_op = self._default(init_op, monitored.INIT_OP, global_variables_initializer)
            self._init_feed_dict = init_feed_dict
            self._local_init_op = self._default(local_init_op, monitored.LOCAL_INIT_OP, lambda: group(
                local_variables_initializer(), tables_initializer()))
            self._saver = self._default(saver, monitored.SAVERS, self._new_saver)
            self._summary_op = self._default(summary_op, monitored.SUMMARY_OP, self._merge_all)
            self._global_step = self._default(global_step, training_util.GLOBAL_STEP, self._global_step_tensor)
        self._is_chief = is_chief
        self._coord = Coordinator()
        self._recovery_wait_secs, self._stop_grace_secs = recovery_wait_secs, stop_grace_secs
        self._init_fn, self._local_init_run_options = init_fn, local_init_run_options
        self._logdir = self._save_summaries_secs = self._save_model_secs = self._save_path = None
        self._summary_writer = None
        if is_chief:
            self._logdir = os.fspath(logdir) if logdir else None
            self._save_summaries_secs, self._save_model_secs = save_summaries_secs, save_model_secs
            if self._logdir:
                self._save_path = os.path.join(self._logdir, checkpoint_basename)
            if summary_writer is Supervisor.USE_DEFAULT:
                if self._logdir:
                    from ..summary import FileWriter
                    self._summary_writer = FileWriter(self._logdir)
            else:
                self._summary_writer = summary_writer
            self._graph_added_to_summary = False
        self._session_manager = session_manager if session_manager is not None else SessionManager(
            local_init_op=self._local_init_op, ready_op=self._ready_op,
            ready_for_local_init_op=self._ready_for_local_init_op, graph=graph,
            recovery_wait_secs=recovery_wait_secs, local_init_run_options=local_init_run_options)
        self._verify_setup()
        graph.finalize()

    # -- the defaults, from the graph's collections

    def _default(self, given, key, make):
        """``given``, unless it is ``USE_DEFAULT``: then the first item of collection ``key``, else ``make()``
        (added to the collection; None when there is no ``make`` or it makes nothing)."""
        if given is not Supervisor.USE_DEFAULT:
            return given
        items = self._graph.get_collection(key)
        if len(items) > 1:
            _log.info("Found %d %s operations. Returning the first one.", len(items), key)
        if items:
            return items[0]
        made = make() if make is not None else None
        if made is not None:
            self._graph.add_to_collection(key, made)
        return made

    def _new_saver(self):
        from .saver import Saver
        return Saver() if self._graph.get_collection(GLOBAL_VARIABLES) else None

    @staticmethod
    def _merge_all():
        from ..summary.ops import merge_all
        return merge_all()

    def _global_step_tensor(self):
        try:
            gs = self._graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
        if gs.dtype.kind in "iu":
            return gs
        _log.warning("Found 'global_step' is not an int type: %s", gs.dtype)
        return None

    def _verify_setup(self):
        if not self._is_chief:
            for op in self._graph.get_operations():
                if op.type in ("Variable", "VariableV2") and not op.device:
                    raise ValueError(f"When using replicas, all Variables must have their device set: {op.name}")

    # -- properties

    is_chief = property(lambda self: self._is_chief)
    session_manager = property(lambda self: self._session_manager)
    coord = property(lambda self: self._coord)
    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    summary_writer = property(lambda self: self._summary_writer)
    summary_op = property(lambda self: self._summary_op)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)
    global_step = property(lambda self: self._global_step)
    saver = property(lambda self: self._saver)
    save_model_secs = property(lambda self: self._save_model_secs)
    save_path = property(lambda self: self._save_path)

    # -- sessions and services

    def _write_graph(self):
        from ..graph_def import export_meta_graph, write_graph
        if self._logdir:
            write_graph(self._graph, self._logdir, "graph.pbtxt")
        if self._summary_writer and not self._graph_added_to_summary:
            self._summary_writer.add_graph(self._graph)
            self._summary_writer.add_meta_graph(export_meta_graph(
                graph=self._graph, saver_def=self._saver.as_saver_def() if self._saver else None))
            self._graph_added_to_summary = True

    def start_standard_services(self, sess):
        """Start the chief's checkpoint and summary threads for ``sess`` (those whose period and pieces are set);
        returns them. Raises ``RuntimeError`` on a non-chief."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services. Because only chief supervisors "
                               "can write events.")
        if not self._logdir:
            _log.warning("Standard services need a 'logdir' passed to the SessionManager")
            return None
        if self._global_step is not None and self._summary_writer:
            self._summary_writer.add_session_log(_session_log("START"),
                                                 training_util.global_step(sess, self._global_step))
        threads = []
        if self._save_summaries_secs and self._summary_writer:
            if self._summary_op is not None:
                threads.append(_SummaryThread(self, sess))
            if self._global_step is not None:
                threads.append(_StepCounterThread(self, sess))
        if self._saver and self._save_model_secs:
            threads.append(_CheckpointThread(self, sess))
        for t in threads:
            t.start()
        return threads

    def prepare_or_wait_for_session(self, master="", config=None, wait_for_checkpoint=False, max_wait_secs=7200,
                                    start_standard_services=True):
        """A session with the model ready: on the chief, restored from ``logdir``'s latest checkpoint or
        initialized (then the graph is written and the standard services started); elsewhere, once the chief has
        made the model ready. Queue runners are started with the services."""
        self._coord.clear_stop()
        if self._summary_writer:
            self._summary_writer.reopen()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master, init_op=self._init_op, saver=self._saver, checkpoint_dir=self._logdir,
                wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config,
                init_feed_dict=self._init_feed_dict, init_fn=self._init_fn)
            self._write_graph()
            if start_standard_services:
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(master, config=config, max_wait_secs=max_wait_secs)
        if start_standard_services:
            self.start_queue_runners(sess)
        return sess

    def start_queue_runners(self, sess, queue_runners=None):
        """Start the threads of ``queue_runners`` (default: the graph's), under the supervisor's coordinator."""
        if queue_runners is None:
            queue_runners = self._graph.get_collection(QUEUE_RUNNERS)
        threads = []
        for qr in queue_runners:
            threads.extend(qr.create_threads(sess, coord=self._coord, daemon=True, start=True))
        return threads

    def loop(self, timer_interval_secs, target, args=None, kwargs=None):
        """Start a ``LooperThread`` calling ``target(*args, **kwargs)`` every ``timer_interval_secs`` seconds
        until the supervisor stops; returns it."""
        return LooperThread.loop(self._coord, timer_interval_secs, target, args=args, kwargs=kwargs)

    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False):
        """Stop the services: request a stop, join the coordinator's threads (and ``threads``), raising the
        exception one of them reported; then write a STOP session log and close the summary writer."""
        self._coord.request_stop()
        try:
            self._coord.join(threads, stop_grace_period_secs=self._stop_grace_secs,
                             ignore_live_threads=ignore_live_threads)
        finally:
            if close_summary_writer and self._summary_writer:
                self._summary_writer.add_session_log(_session_log("STOP"))
                self._summary_writer.close()
                self._graph_added_to_summary = False

    def request_stop(self, ex=None):
        """Ask the threads and the training loop to stop (``ex``: the exception that caused it)."""
        self._coord.request_stop(ex=ex)

    def should_stop(self):
        return self._coord.should_stop()

    def stop_on_exception(self):
        """A context manager requesting a stop when its block raises."""
        return self._coord.stop_on_exception()

    def wait_for_stop(self):
        self._coord.wait_for_stop()

    def summary_computed(self, sess, summary, global_step=None):
        """Write ``summary`` (a ``Summary`` or its bytes, as a summary op gives) at ``global_step`` (default: the
        global step's value in ``sess``)."""
        if not self._summary_writer:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self._global_step is not None:
            global_step = training_util.global_step(sess, self._global_step)
        self._summary_writer.add_summary(summary, global_step)

    @contextlib.contextmanager
    def managed_session(self, master="", config=None, start_standard_services=True, close_summary_writer=True):
        """A context manager giving a prepared session: an exception in the block requests a stop (and is raised
        when the services are joined, unless it is ``OutOfRangeError``, which ends training normally); on exit
        the services are stopped and the session closed."""
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(master=master, config=config,
                                                    start_standard_services=start_standard_services)
            yield sess
        except Exception as e:   # noqa: BLE001 (handed to the coordinator, which raises it from stop())
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                if sess is not None:
                    with contextlib.suppress(Exception):
                        sess.close()

    PrepareSession = prepare_or_wait_for_session
    StartQueueRunners = start_queue_runners
    StartStandardServices = start_standard_services
    Stop = stop
    RequestStop = request_stop
    Loop = loop
    ShouldStop = should_stop
    StopOnException = stop_on_exception
    WaitForStop = wait_for_stop
    SummaryComputed = summary_computed


class _SummaryThread(LooperThread):
    """Runs the summary op (with the global step) and writes it, every ``save_summaries_secs``."""

    def __init__(self, sv, sess):
        super().__init__(sv.coord, sv.save_summaries_secs)
        self._sv, self._sess = sv, sess

    def run_loop(self):
        if self._sv.global_step is not None:
            summary, step = self._sess.run([self._sv.summary_op, self._sv.global_step])
        else:
            summary, step = self._sess.run(self._sv.summary_op), None
        if self._sv.summary_writer:
            self._sv.summary_writer.add_summary(summary, step)


class _StepCounterThread(LooperThread):
    """Writes ``<global step's name>/sec``, the steps per second since the last time, every
    ``save_summaries_secs``."""

    def __init__(self, sv, sess, step_counter=None):
        super().__init__(sv.coord, sv.save_summaries_secs)
        self._sv, self._sess = sv, sess
        self._step_counter = sv.global_step if step_counter is None else step_counter
        self._tag = f"{self._step_counter.op.name}/sec"
        self._last_time, self._last_step = 0.0, 0

    def start_loop(self):
        self._last_time = time.time()
        self._last_step = training_util.global_step(self._sess, self._step_counter)

    def run_loop(self):
        from ..summary import Summary
        step = training_util.global_step(self._sess, self._step_counter)
        now = time.time()
        elapsed, added = now - self._last_time, step - self._last_step
        self._last_time, self._last_step = now, step
        rate = added / elapsed if elapsed > 0 else float("inf")
        if self._sv.summary_writer:
            self._sv.summary_writer.add_summary(Summary(value=[Summary.Value(tag=self._tag, simple_value=rate)]),
                                                step)


class _CheckpointThread(LooperThread):
    """Saves a checkpoint at ``save_path-<global step>`` every ``save_model_secs``."""

    def __init__(self, sv, sess):
        super().__init__(sv.coord, sv.save_model_secs)
        self._sv, self._sess = sv, sess

    def run_loop(self):
        sv = self._sv
        _log.info("Saving checkpoint to path %s", sv.save_path)
        sv.saver.save(self._sess, sv.save_path, global_step=sv.global_step)
        if sv.summary_writer and sv.global_step is not None:
            sv.summary_writer.add_session_log(_session_log("CHECKPOINT", checkpoint_path=sv.save_path),
                                              training_util.global_step(self._sess, sv.global_step))
