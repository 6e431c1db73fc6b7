"""TF1's session run hooks (``tf.train.SessionRunHook`` and the hooks of ``basic_session_run_hooks``): code that a
``MonitoredSession`` calls around each ``run``, adding its own fetches and feeds to the same run.

A hook's life: ``begin`` (the graph can still change), ``after_create_session`` (the session is ready), then per
run ``before_run`` (returns ``SessionRunArgs`` of what to add) and ``after_run`` (gets ``SessionRunValues`` with
those values), and ``end`` at close. What a hook fetches is computed in the same run as the caller's fetches, so
a global step it reads is the value as of the start of that run.
"""
import collections
import json
import logging
import os
import time

import numpy as np

from ..graph import Operation, Tensor, get_default_graph
from ..summary.kernels import pb
from ..summary.writer import FileWriterCache
from . import training_util

__all__ = ["SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues", "SecondOrStepTimer",
           "StopAtStepHook", "CheckpointSaverListener", "CheckpointSaverHook", "StepCounterHook",
           "LoggingTensorHook", "NanTensorHook", "NanLossDuringTrainingError", "SummarySaverHook",
           "GlobalStepWaiterHook", "FinalOpsHook", "FeedFnHook", "ProfilerHook"]

_log = logging.getLogger("daskflow")
SAVERS = "savers"


class SessionRunHook:
    """Base class of hooks: every method does nothing, a hook overrides those it needs.

    Examples
    --------
    >>> import daskflow as df
    >>> step = df.train.get_or_create_global_step()
    >>> loss = 10.0 / df.cast(step + 1, df.float32)
    >>> train = df.assign_add(step, 1)
    >>> class StopBelow(df.train.SessionRunHook):
    ...     def before_run(self, run_context):
    ...         return df.train.SessionRunArgs(loss)      # fetched in the same run as train
    ...     def after_run(self, run_context, run_values):
    ...         if run_values.results < 3.0:
    ...             run_context.request_stop()
    >>> with df.train.MonitoredSession(hooks=[StopBelow()]) as sess:
    ...     while not sess.should_stop():
    ...         value = sess.run(train)
    >>> int(value)   # the loss read at the start of the 4th run was 2.5
    4
    """

    def begin(self):
        """Called once before the session is made; the graph may still be changed."""

    def after_create_session(self, session, coord):
        """Called once the session is made and initialised (or restored), with its ``Coordinator``."""

    def before_run(self, run_context):
        """Called before each run; may return ``SessionRunArgs`` of fetches, feeds and options to add to it."""
        return None

    def after_run(self, run_context, run_values):
        """Called after each run with the values of what ``before_run`` asked for."""

    def end(self, session):
        """Called at the end of the session (not when it ends with an error)."""


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a run: ``fetches`` (any structure ``Session.run`` takes), ``feed_dict`` and
    ``options`` (a ``RunOptions``)."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunContext:
    """What a hook is told of a run: the caller's ``original_args``, the ``session`` (its raw Session, for runs
    of its own) and ``request_stop``, which makes the monitored session stop after this run."""

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        return self._original_args

    @property
    def session(self):
        return self._session

    @property
    def stop_requested(self):
        return self._stop_requested

    def request_stop(self):
        """Stop the monitored session after this run (its ``should_stop`` becomes True)."""
        self._stop_requested = True


class SessionRunValues(collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])):
    """The values of a hook's fetches (``results``, in their structure) and the run's options and metadata."""


class SecondOrStepTimer:
    """Triggers at most once every ``every_secs`` seconds or every ``every_steps`` steps (exactly one given)."""

    def __init__(self, every_secs=None, every_steps=None):
        self.reset()
        self._every_secs = every_secs
        self._every_steps = every_steps
        if every_secs is None and every_steps is None:
            raise ValueError("Either every_secs or every_steps should be provided.")
        if every_secs is not None and every_steps is not None:
            raise ValueError("Can not provide both every_secs and every_steps.")

    def reset(self):
        self._last_triggered_step = None
        self._last_triggered_time = None

    def should_trigger_for_step(self, step):
        """True at the first step, then once ``every_secs`` seconds or ``every_steps`` steps have passed since the
        last step it triggered for; never twice for the same step."""
        if self._last_triggered_step is None:
            return True
        if self._last_triggered_step == step:
            return False
        if self._every_secs is not None and time.time() >= self._last_triggered_time + self._every_secs:
            return True
        return self._every_steps is not None and step >= self._last_triggered_step + self._every_steps

    def update_last_triggered_step(self, step):
        """Record a trigger at ``step``; returns ``(seconds, steps)`` since the previous one (None, None at the
        first)."""
        now = time.time()
        if self._last_triggered_time is None:
            elapsed = (None, None)
        else:
            elapsed = (now - self._last_triggered_time, step - self._last_triggered_step)
        self._last_triggered_time = now
        self._last_triggered_step = step
        return elapsed

    def last_triggered_step(self):
        return self._last_triggered_step


class _NeverTriggerTimer(SecondOrStepTimer):
    def __init__(self):
        super().__init__(every_secs=None, every_steps=0)

    def should_trigger_for_step(self, step):
        return False


def _global_step(hook_name):
    step = training_util.get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook_name}.")
    return step


def _as_graph_element(obj):
    """``obj`` (a tensor, op, or name) as an element of the default graph; a bare op name means its output 0."""
    graph = get_default_graph()
    if not isinstance(obj, str):
        if not isinstance(obj, (Tensor, Operation)) or obj.graph is not graph:
            raise ValueError(f"Passed {obj} should have graph attribute that is equal to current graph {graph}.")
        return obj
    if ":" in obj:
        return graph.as_graph_element(obj)
    element = graph.as_graph_element(obj + ":0")
    try:
        graph.as_graph_element(obj + ":1")
    except (KeyError, ValueError):
        return element
    raise ValueError(f"Name {obj} is ambiguous, as this `Operation` has multiple outputs (at least 2).")


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches ``last_step``, or ``num_steps`` steps after the session
    started (exactly one given)."""

    def __init__(self, num_steps=None, last_step=None):
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self):
        self._global_step_tensor = _global_step("StopAtStepHook")

    def after_create_session(self, session, coord):
        if self._last_step is None:
            self._last_step = int(session.run(self._global_step_tensor)) + self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        if run_values.results + 1 >= self._last_step:
            # the value read was the step before this run: check what the run made of it
            if run_context.session.run(self._global_step_tensor) >= self._last_step:
                run_context.request_stop()


class CheckpointSaverListener:
    """Called by a ``CheckpointSaverHook`` around its saves: ``begin``, ``before_save``, ``after_save`` (returning
    True requests a stop) and ``end``."""

    def begin(self):
        pass

    def before_save(self, session, global_step_value):
        pass

    def after_save(self, session, global_step_value):
        pass

    def end(self, session, global_step_value):
        pass


def _saver_from_collection():
    savers = get_default_graph().get_collection(SAVERS)
    if not savers:
        raise RuntimeError(f"No items in collection {SAVERS}. Please add a saver to the collection or provide a "
                           f"saver or scaffold.")
    if len(savers) > 1:
        raise RuntimeError(f"More than one item in collection {SAVERS}. Please indicate which one to use by "
                           f"passing it to the constructor.")
    return savers[0]


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint ``checkpoint_dir/checkpoint_basename-<step>`` when the session starts, every
    ``save_secs`` seconds or ``save_steps`` steps, and at the end (if the last step was not saved). The saver is
    ``saver``, the ``scaffold``'s, or the one of the graph's "savers" collection. With ``save_graph_def``, the
    graph is written as ``graph.pbtxt`` and each checkpoint gets its meta graph."""

    def __init__(self, checkpoint_dir, save_secs=None, save_steps=None, saver=None, checkpoint_basename="model.ckpt",
                 scaffold=None, listeners=None, save_graph_def=True):
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._checkpoint_dir = os.fspath(checkpoint_dir)
        self._save_path = os.path.join(self._checkpoint_dir, checkpoint_basename)
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = listeners or []
        self._save_graph_def = save_graph_def

    def begin(self):
        os.makedirs(self._checkpoint_dir, exist_ok=True)
        self._summary_writer = FileWriterCache.get(self._checkpoint_dir)
        self._global_step_tensor = _global_step("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord):
        step = int(session.run(self._global_step_tensor))
        if self._save_graph_def:
            from ..graph_def import write_graph
            write_graph(session.graph.as_graph_def(add_shapes=True), self._checkpoint_dir, "graph.pbtxt")
        from ..graph_def import export_meta_graph
        saver = self._get_saver()
        self._summary_writer.add_graph(session.graph)
        exportable = [k for k in session.graph.collections if k != SAVERS]  # savers: the saver_def says it
        self._summary_writer.add_meta_graph(export_meta_graph(
            graph=session.graph, saver_def=saver.as_saver_def() if saver is not None else None,
            collection_list=exportable))
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        if self._timer.should_trigger_for_step(run_values.results + 1):
            step = int(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                if self._save(run_context.session, step):
                    run_context.request_stop()

    def end(self, session):
        step = int(session.run(self._global_step_tensor))
        if step != self._timer.last_triggered_step():
            self._save(session, step)
        for listener in self._listeners:
            listener.end(session, step)

    def _save(self, session, step):
        """Save the checkpoint of ``step``; whether a listener asked to stop."""
        for listener in self._listeners:
            listener.before_save(session, step)
        _log.info("Saving checkpoints for %d into %s.", step, self._save_path)
        self._get_saver().save(session, self._save_path, global_step=step, write_meta_graph=self._save_graph_def)
        log = pb().event.SessionLog(status=pb().event.SessionLog.CHECKPOINT, checkpoint_path=self._save_path)
        self._summary_writer.add_session_log(log, step)
        stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                _log.info("A CheckpointSaverListener requested that training be stopped. listener: %s", listener)
                stop = True
        return stop

    def _get_saver(self):
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        self._saver = _saver_from_collection()
        return self._saver


def _summary(tag, value):
    return pb().summary.Summary(value=[pb().summary.Summary.Value(tag=tag, simple_value=value)])


class StepCounterHook(SessionRunHook):
    """Logs the global steps per second every ``every_n_steps`` steps or ``every_n_secs`` seconds, and writes it
    as the summary ``global_step/sec`` to ``output_dir`` (or ``summary_writer``)."""

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None, summary_writer=None):
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._last_global_step = None

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = FileWriterCache.get(self._output_dir)
        self._global_step_tensor = _global_step("StepCounterHook")
        self._summary_tag = self._global_step_tensor.op.name + "/sec"

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        stale = run_values.results
        if self._timer.should_trigger_for_step(stale + 1):
            step = int(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(step):
                secs, steps = self._timer.update_last_triggered_step(step)
                if secs is not None:
                    rate = steps / secs
                    if self._summary_writer is not None:
                        self._summary_writer.add_summary(_summary(self._summary_tag, rate), step)
                    _log.info("%s: %g", self._summary_tag, rate)
        if stale == self._last_global_step:
            _log.warning("It seems that global step (tf.train.get_global_step) has not been increased. Current "
                         "value (could be stable): %s vs previous value: %s. You could increase the global step by "
                         "passing tf.train.get_global_step() to Optimizer.apply_gradients or Optimizer.minimize.",
                         stale, self._last_global_step)
        self._last_global_step = stale


class LoggingTensorHook(SessionRunHook):
    """Logs the values of ``tensors`` (a dict tag -> tensor or name, or a list) every ``every_n_iter`` local steps
    or ``every_n_secs`` seconds, and/or ``at_end``; ``formatter(values)`` makes the message when given."""

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False, formatter=None):
        only_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError("either at_end and/or exactly one of every_n_iter and every_n_secs must be provided.")
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if not isinstance(tensors, dict):
            self._tag_order = list(tensors)
            tensors = {item: item for item in tensors}
        else:
            self._tag_order = sorted(tensors)
        self._tensors = tensors
        self._formatter = formatter
        self._timer = _NeverTriggerTimer() if only_at_end else \
            SecondOrStepTimer(every_secs=every_n_secs, every_steps=every_n_iter)
        self._log_at_end = at_end

    def begin(self):
        self._timer.reset()
        self._iter_count = 0
        self._current_tensors = {tag: _as_graph_element(t) for tag, t in self._tensors.items()}

    def before_run(self, run_context):
        self._should_trigger = self._timer.should_trigger_for_step(self._iter_count)
        return SessionRunArgs(self._current_tensors) if self._should_trigger else None

    def _log_tensors(self, values):
        secs, _ = self._timer.update_last_triggered_step(self._iter_count)
        with np.printoptions(suppress=True):
            if self._formatter:
                _log.info(self._formatter(values))
                return
            stats = ", ".join("%s = %s" % (tag, values[tag]) for tag in self._tag_order)
            if secs is not None:
                _log.info("%s (%.3f sec)", stats, secs)
            else:
                _log.info("%s", stats)

    def after_run(self, run_context, run_values):
        if self._should_trigger:
            self._log_tensors(run_values.results)
        self._iter_count += 1

    def end(self, session):
        if self._log_at_end:
            self._log_tensors(session.run(self._current_tensors))


class NanLossDuringTrainingError(RuntimeError):
    """Raised by ``NanTensorHook`` when the loss is NaN."""

    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Fetches ``loss_tensor`` with each run and raises ``NanLossDuringTrainingError`` when it is NaN (or, with
    ``fail_on_nan_loss=False``, logs a warning and requests a stop)."""

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        if np.isnan(run_values.results):
            message = "Model diverged with loss = NaN."
            if self._fail_on_nan_loss:
                _log.error(message)
                raise NanLossDuringTrainingError
            _log.warning(message)
            run_context.request_stop()


class SummarySaverHook(SessionRunHook):
    """Runs the summary op (``summary_op``, one tensor or a list, or the ``scaffold``'s) every ``save_steps`` steps
    or ``save_secs`` seconds with the training run, and writes its summaries at the global step to ``output_dir``
    (or ``summary_writer``), after a ``SessionLog.START`` event at the first run."""

    def __init__(self, save_steps=None, save_secs=None, output_dir=None, summary_writer=None, scaffold=None,
                 summary_op=None):
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = FileWriterCache.get(self._output_dir)
        self._next_step = None
        self._global_step_tensor = _global_step("SummarySaverHook")

    def before_run(self, run_context):
        self._request_summary = self._next_step is None or self._timer.should_trigger_for_step(self._next_step)
        requests = {"global_step": self._global_step_tensor}
        if self._request_summary and self._get_summary_op() is not None:
            requests["summary"] = self._get_summary_op()
        return SessionRunArgs(requests)

    def after_run(self, run_context, run_values):
        if not self._summary_writer:
            return
        step = run_values.results["global_step"] + 1
        if self._next_step is None or self._request_summary:
            step = int(run_context.session.run(self._global_step_tensor))
        if self._next_step is None:
            self._summary_writer.add_session_log(pb().event.SessionLog(status=pb().event.SessionLog.START), step)
        if self._request_summary:
            self._timer.update_last_triggered_step(step)
            for summary in run_values.results.get("summary", ()):
                self._summary_writer.add_summary(summary, step)
        self._next_step = step + 1

    def end(self, session=None):
        if self._summary_writer:
            self._summary_writer.flush()

    def _get_summary_op(self):
        op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        if op is None:
            return None
        return op if isinstance(op, list) else [op]


class GlobalStepWaiterHook(SessionRunHook):
    """Holds the first run back until the global step reaches ``wait_until_step`` (set by other workers)."""

    def __init__(self, wait_until_step):
        self._wait_until_step = wait_until_step

    def begin(self):
        self._worker_is_started = False
        self._global_step_tensor = _global_step("_GlobalStepWaiterHook")

    def before_run(self, run_context):
        if self._worker_is_started:
            return None
        if self._wait_until_step <= 0:
            self._worker_is_started = True
            return None
        _log.info("Waiting for global step %d before starting training.", self._wait_until_step)
        last_logged = 0
        while True:
            step = run_context.session.run(self._global_step_tensor)
            if step >= self._wait_until_step:
                self._worker_is_started = True
                return None
            if step - last_logged > 1000:
                _log.info("Waiting for global step %d before starting training. Current step is %d.",
                          self._wait_until_step, step)
                last_logged = step
            time.sleep(0.5)


class FinalOpsHook(SessionRunHook):
    """Runs ``final_ops`` (a tensor, list or dict of them) with ``final_ops_feed_dict`` at the end of the session;
    their values are then ``final_ops_values``."""

    def __init__(self, final_ops, final_ops_feed_dict=None):
        self._final_ops = final_ops
        self._final_ops_feed_dict = final_ops_feed_dict
        self._final_ops_values = None

    @property
    def final_ops_values(self):
        return self._final_ops_values

    def end(self, session):
        from .. import errors
        if self._final_ops is not None:
            try:
                self._final_ops_values = session.run(self._final_ops, feed_dict=self._final_ops_feed_dict)
            except (errors.OutOfRangeError, StopIteration):
                _log.warning("An OutOfRangeError or StopIteration exception is raised by the code in FinalOpsHook. "
                             "This typically means the Ops running by the FinalOpsHook have a dependency back to "
                             "some input source, which should not happen.")
                raise


class FeedFnHook(SessionRunHook):
    """Feeds each run the ``feed_dict`` that ``feed_fn()`` returns."""

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


# -- tracing: a run's dask tasks as TF's StepStats, and those as a Chrome trace

_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def traced_run(run, run_metadata):
    """Call ``run()`` under dask's task profiler and record each task it ran in ``run_metadata.step_stats``
    (TF's ``NodeExecStats``: the task's key as node name, wall-clock start and duration in microseconds, its
    thread); returns what ``run()`` returns. Tasks run by a dask.distributed cluster are not seen by the local
    profiler and are not recorded."""
    from dask.diagnostics import Profiler
    from timeit import default_timer
    offset = time.time() - default_timer()  # the profiler's clock to wall-clock time
    with Profiler() as prof:
        try:
            return run()
        finally:
            dev = run_metadata.step_stats.dev_stats.add(device=_DEVICE)
            threads = {}
            for rec in prof.results:
                start = int((rec.start_time + offset) * 1e6)
                dur = max(int((rec.end_time - rec.start_time) * 1e6), 0)
                deps = sorted(str(d) for d in getattr(rec.task, "dependencies", ()))
                dev.node_stats.add(node_name=str(rec.key), all_start_micros=start, op_start_rel_micros=0,
                                   op_end_rel_micros=dur, all_end_rel_micros=dur,
                                   thread_id=threads.setdefault(rec.worker_id, len(threads)),
                                   timeline_label=f"{_task_name(rec.key)} = ({'; '.join(deps)})")


def _task_name(key):
    name = key[0] if isinstance(key, tuple) else key
    return str(name).split("-")[0]


def chrome_trace(step_stats, show_dataflow=True, show_memory=False):
    """The Chrome trace (``chrome://tracing``, Perfetto) of ``step_stats``, as a JSON string: one complete event
    per task (named by its task name, the full key in ``args``) on its device's process and thread; with
    ``show_dataflow``, flow arrows from each task to those that read its value. Memory is not traced
    (``show_memory`` adds nothing)."""
    events, ends = [], {}
    for pid, dev in enumerate(step_stats.dev_stats):
        events.append({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": f"{dev.device} Compute"}})
        for node in dev.node_stats:
            name, _, inputs = node.timeline_label.partition(" = ")
            events.append({"name": name or node.node_name, "cat": "Op", "ph": "X", "pid": pid,
                           "tid": node.thread_id, "ts": node.all_start_micros, "dur": node.all_end_rel_micros,
                           "args": {"name": node.node_name, "op": name, "inputs": inputs[1:-1]}})
            ends[node.node_name] = (pid, node.thread_id, node.all_start_micros + node.all_end_rel_micros)
    if show_dataflow:
        flow = 0
        for ev in [e for e in events if e["ph"] == "X"]:
            for dep in filter(None, ev["args"]["inputs"].split("; ")):
                if dep in ends:
                    pid, tid, ts = ends[dep]
                    events.append({"name": "dataflow", "cat": "DataFlow", "ph": "s", "pid": pid, "tid": tid,
                                   "ts": ts, "id": flow})
                    events.append({"name": "dataflow", "cat": "DataFlow", "ph": "t", "pid": ev["pid"],
                                   "tid": ev["tid"], "ts": ev["ts"], "id": flow})
                    flow += 1
    return json.dumps({"traceEvents": events}, indent=1)


class ProfilerHook(SessionRunHook):
    """Every ``save_steps`` steps or ``save_secs`` seconds, traces a run's dask tasks and writes them as a Chrome
    trace ``output_dir/timeline-<step>.json`` (open it in ``chrome://tracing`` or Perfetto), and the run's
    ``RunMetadata`` to ``output_dir``'s event file under the tag ``step_<step>``. The trace covers tasks run by
    dask's local schedulers; a run on a dask.distributed cluster gives an empty trace (use the cluster's
    dashboard and ``distributed.performance_report`` there)."""

    def __init__(self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True, show_memory=False):
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._output_dir = output_dir
        self._show_dataflow = show_dataflow
        self._show_memory = show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        self._file_writer = FileWriterCache.get(self._output_dir)
        self._next_step = None
        self._global_step_tensor = _global_step("ProfilerHook")

    def before_run(self, run_context):
        from .. import protos
        self._request_summary = self._next_step is not None and self._timer.should_trigger_for_step(
            self._next_step)
        options = None
        if self._request_summary:
            RunOptions = protos.message("RunOptions")
            options = RunOptions(trace_level=RunOptions.FULL_TRACE)
        return SessionRunArgs({"global_step": self._global_step_tensor}, options=options)

    def after_run(self, run_context, run_values):
        stale = run_values.results["global_step"]
        if self._next_step is None:
            self._timer.update_last_triggered_step(stale)
        step = stale + 1
        if self._request_summary:
            step = int(run_context.session.run(self._global_step_tensor))
            self._timer.update_last_triggered_step(step)
            path = self._output_file.format(step)
            _log.info("Saving timeline for %d into '%s'.", step, path)
            with open(path, "w") as f:
                f.write(chrome_trace(run_values.run_metadata.step_stats, self._show_dataflow, self._show_memory))
            self._file_writer.add_run_metadata(run_values.run_metadata, f"step_{step}")
        self._next_step = step + 1
