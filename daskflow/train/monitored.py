"""TF1's monitored training loop: ``Scaffold``, the session creators, ``MonitoredSession``,
``SingularMonitoredSession``, ``MonitoredTrainingSession`` and ``basic_train_loop``.

A monitored session wraps a ``df.Session`` in layers, as TF's does:

- hooked: each ``run`` adds the hooks' fetches and feeds to the caller's (one ``Session.run``, so one dask
  computation), then hands each hook its values; a hook may request a stop;
- coordinated: an exception reported to the session's ``Coordinator`` (by a thread) is raised from ``run``, and
  closing stops and joins the coordinator's threads;
- recoverable (``MonitoredSession``): a run failing with ``AbortedError`` or ``UnavailableError`` (a lost
  scheduler or worker) closes the session and makes a new one, restored from the latest checkpoint.

Used as a context manager, the end of input (``OutOfRangeError``) and ``StopIteration`` end the ``with`` block
normally, and closing calls the hooks' ``end`` (a ``CheckpointSaverHook`` then saves the final step).
"""
import inspect
import logging

from .. import errors
from ..graph import get_default_graph
from ..ops.state import global_variables_initializer, group, tables_initializer
from ..ops.variable_scope import local_variables_initializer, report_uninitialized_variables
from . import hooks as hooks_mod
from . import session_manager as sm
from .coordinator import Coordinator
from .hooks import SessionRunArgs, SessionRunContext, SessionRunValues

__all__ = ["Scaffold", "SessionCreator", "ChiefSessionCreator", "WorkerSessionCreator", "MonitoredSession",
           "SingularMonitoredSession", "MonitoredTrainingSession", "basic_train_loop"]

_log = logging.getLogger("daskflow")

INIT_OP, LOCAL_INIT_OP, READY_OP = "init_op", "local_init_op", "ready_op"
READY_FOR_LOCAL_INIT_OP, SUMMARY_OP, SAVERS = "ready_for_local_init_op", "summary_op", "savers"
_PREEMPTION_ERRORS = (errors.AbortedError, errors.UnavailableError)
USE_DEFAULT = object()


def _default_saver():
    """The saver of the graph's "savers" collection, or a new one saving every global variable (added there)."""
    from .saver import Saver
    savers = get_default_graph().get_collection(SAVERS)
    if savers:
        if len(savers) > 1:
            raise RuntimeError(f"More than one item in collection {SAVERS}. Please indicate which one to use by "
                               f"passing it to the constructor.")
        return savers[0]
    saver = Saver(sharded=True, allow_empty=True)
    get_default_graph().add_to_collection(SAVERS, saver)
    return saver


class Scaffold:
    """The pieces a monitored session needs to initialise, restore and report on a model (TF1's
    ``tf.train.Scaffold``). Those not given are taken from the graph's collection of the same name, or made by
    ``finalize`` and added there:

    - ``init_op``: ``global_variables_initializer()`` (collection "init_op"), run with ``init_feed_dict`` when no
      checkpoint is restored; then ``init_fn(scaffold, session)``;
    - ``ready_op``: ``report_uninitialized_variables()`` (empty when the model is ready);
    - ``ready_for_local_init_op``: the uninitialised global variables;
    - ``local_init_op``: ``default_local_init_op()``, run with ``local_init_feed_dict`` in every session;
    - ``summary_op``: ``summary.merge_all()``;
    - ``saver``: the graph's ``Saver`` ("savers" collection), else a new one of every global variable.

    ``copy_from_scaffold`` fills the arguments not given from another scaffold. ``finalize`` finalizes the graph.
    """

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None, ready_for_local_init_op=None,
                 local_init_op=None, summary_op=None, saver=None, copy_from_scaffold=None,
                 local_init_feed_dict=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            c = copy_from_scaffold

            def coalesce(a, b):
                return a if a is not None else b
            init_op = coalesce(init_op, c.init_op)
            init_feed_dict = coalesce(init_feed_dict, c.init_feed_dict)
            init_fn = coalesce(init_fn, c._user_init_fn)
            ready_op = coalesce(ready_op, c.ready_op)
            ready_for_local_init_op = coalesce(ready_for_local_init_op, c.ready_for_local_init_op)
            local_init_op = coalesce(local_init_op, c.local_init_op)
            local_init_feed_dict = coalesce(local_init_feed_dict, c.local_init_feed_dict)
            summary_op = coalesce(summary_op, c.summary_op)
            saver = coalesce(saver, c.saver)
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._local_init_feed_dict = local_init_feed_dict
        self._summary_op = summary_op
        self._saver = saver

    def finalize(self):
        """Make the pieces not given (see the class) and finalize the default graph; returns the scaffold."""
        from ..summary.ops import merge_all
        if self._init_op is None:
            self._init_op = Scaffold.get_or_default("init_op", INIT_OP, global_variables_initializer)
        if self._ready_op is None:
            self._ready_op = Scaffold.get_or_default("ready_op", READY_OP, report_uninitialized_variables)
        if self._ready_for_local_init_op is None:
            def uninitialized_globals():
                from ..ops.state import global_variables
                return report_uninitialized_variables(global_variables())
            self._ready_for_local_init_op = Scaffold.get_or_default(
                "ready_for_local_init_op", READY_FOR_LOCAL_INIT_OP, uninitialized_globals)
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default("local_init_op", LOCAL_INIT_OP,
                                                          Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = Scaffold.get_or_default("summary_op", SUMMARY_OP, merge_all)
        if self._saver is None:
            self._saver = _default_saver()
        get_default_graph().finalize()
        _log.info("Graph was finalized.")
        return self

    init_fn = property(lambda self: self._init_fn)
    init_op = property(lambda self: self._init_op)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    local_init_op = property(lambda self: self._local_init_op)
    local_init_feed_dict = property(lambda self: self._local_init_feed_dict)
    summary_op = property(lambda self: self._summary_op)
    saver = property(lambda self: self._saver)
    init_feed_dict = property(lambda self: self._init_feed_dict)

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        """The one item of the graph's collection ``collection_key``, else ``default_constructor()`` (added to
        the collection unless None)."""
        graph = get_default_graph()
        items = graph.get_collection(collection_key)
        if items:
            if len(items) > 1:
                raise RuntimeError(f'More than one item in the collection "{collection_key}". Please indicate which '
                                   f"one to use by passing it to the tf.Scaffold constructor as:  "
                                   f"tf.Scaffold({arg_name}=item to use)")
            return items[0]
        op = default_constructor()
        if op is not None:
            graph.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op():
        """An op initialising the local variables and the lookup tables (``local_variables_initializer()``,
        ``tables_initializer()``)."""
        return group(local_variables_initializer(), tables_initializer())


# -- session creators

class SessionCreator:
    """Makes a ``Session`` for a monitored session: subclasses define ``create_session()``."""

    def create_session(self):
        raise TypeError(f"{type(self).__name__} must define create_session() to be a SessionCreator")


def _session_manager(scaffold):
    return sm.SessionManager(local_init_op=scaffold.local_init_op, local_init_feed_dict=scaffold.local_init_feed_dict,
                             ready_op=scaffold.ready_op, ready_for_local_init_op=scaffold.ready_for_local_init_op,
                             graph=get_default_graph())


class ChiefSessionCreator(SessionCreator):
    """Makes the chief's session: finalizes the ``scaffold``, then restores the model from
    ``checkpoint_filename_with_path`` or the latest checkpoint of ``checkpoint_dir``, or initialises it
    (``SessionManager.prepare_session``). ``master``: '' for a local Session, a ``distributed.Client`` or a
    scheduler address for a dask cluster."""

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None, checkpoint_filename_with_path=None):
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config

    def create_session(self):
        self._scaffold.finalize()
        self._session_manager = self._session_manager or _session_manager(self._scaffold)
        return self._session_manager.prepare_session(
            self._master, saver=self._scaffold.saver, checkpoint_dir=self._checkpoint_dir,
            checkpoint_filename_with_path=self._checkpoint_filename_with_path, config=self._config,
            init_op=self._scaffold.init_op, init_feed_dict=self._scaffold.init_feed_dict,
            init_fn=self._scaffold.init_fn)


class WorkerSessionCreator(SessionCreator):
    """Makes a non-chief worker's session: waits (up to ``max_wait_secs``) for the model to be ready
    (``SessionManager.wait_for_session``) and initialises nothing itself. A daskflow Session holds its own
    variables, so a worker's model is ready only where its variables are given values in that Session (by
    ``local_init_op``)."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config
        self._max_wait_secs = max_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        self._session_manager = self._session_manager or _session_manager(self._scaffold)
        return self._session_manager.wait_for_session(self._master, config=self._config,
                                                      max_wait_secs=self._max_wait_secs)


# -- the session layers

class _WrappedSession:
    def __init__(self, sess):
        self._sess = sess
        self._wrapped_is_stoppable = isinstance(sess, _WrappedSession)

    @property
    def graph(self):
        return self._sess.graph

    def should_stop(self):
        """Whether the session should not be used any more (always True once closed)."""
        if self._check_stop():
            return True
        if self._sess:
            return self._wrapped_is_stoppable and self._sess.should_stop()
        return True

    def _check_stop(self):
        return False

    def close(self):
        if self._sess:
            try:
                self._sess.close()
            except _PREEMPTION_ERRORS as e:
                _log.error("An error occurred when attempting to close the session. Error: %s", e)
            finally:
                self._sess = None

    def run(self, *args, **kwargs):
        return self._sess.run(*args, **kwargs)

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        return step_fn(_MonitoredSession.StepContext(raw_session, run_with_hooks or self.run))


class _RecoverableSession(_WrappedSession):
    """Makes a new session (``sess_creator.create_session()``) when one fails with a preemption error."""

    def __init__(self, sess_creator):
        self._sess_creator = sess_creator
        super().__init__(self._create_session())

    def _create_session(self):
        while True:
            try:
                return self._sess_creator.create_session()
            except _PREEMPTION_ERRORS as e:
                _log.info("An error was raised while a session was being created; a new session will be created. "
                          "Error: %s", e)

    def _recreate(self, e):
        _log.info("An error was raised; the current session will be closed and a new session will be created. "
                  "Error: %s", e)
        self.close()
        self._sess = None

    def _check_stop(self):
        try:
            return self._sess._check_stop() if self._sess else True
        except _PREEMPTION_ERRORS as e:
            self._recreate(e)
            self._sess = self._create_session()
            return False
        except Exception:  # noqa: BLE001 - an error is raised by the next run
            return True

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        while True:
            try:
                if not self._sess:
                    self._sess = self._create_session()
                return self._sess.run(fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata)
            except _PREEMPTION_ERRORS as e:
                self._recreate(e)

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        while True:
            try:
                if not self._sess:
                    self._sess = self._create_session()
                return self._sess.run_step_fn(step_fn, raw_session, self._sess.run)
            except _PREEMPTION_ERRORS as e:
                self._recreate(e)


class _CoordinatedSession(_WrappedSession):
    """Raises from ``run`` what the coordinator was told; closing stops and joins the coordinator's threads."""

    def __init__(self, sess, coord, stop_grace_period_secs=120):
        super().__init__(sess)
        self._coord = coord
        self._stop_grace_period_secs = stop_grace_period_secs

    def _check_stop(self):
        self._coord.raise_requested_exception()
        return self._coord.should_stop()

    def close(self):
        self._coord.request_stop()
        try:
            self._coord.join(stop_grace_period_secs=self._stop_grace_period_secs, ignore_live_threads=True)
        finally:
            try:
                _WrappedSession.close(self)
            except Exception:  # noqa: BLE001 - as TF: closing never raises
                pass

    def run(self, *args, **kwargs):
        try:
            return self._sess.run(*args, **kwargs)
        except _PREEMPTION_ERRORS:
            raise
        except Exception as original:
            # a thread's exception reported to the coordinator is the cause; raise it instead
            try:
                self._coord.raise_requested_exception()
            except _PREEMPTION_ERRORS:
                raise
            except Exception:  # noqa: BLE001
                raise original from None
            raise


def _run_protos():
    """A fresh ``RunOptions`` and ``RunMetadata`` (None, None without the tensorboard package)."""
    try:
        from .. import protos
        return protos.message("RunOptions")(), protos.message("RunMetadata")()
    except ImportError:
        return None, None


def _merge_options(options, incoming):
    """Merge ``incoming`` RunOptions into ``options``: numbers take the larger, flags are or-ed."""
    options.trace_level = max(options.trace_level, incoming.trace_level)
    options.timeout_in_ms = max(options.timeout_in_ms, incoming.timeout_in_ms)
    options.inter_op_thread_pool = max(options.inter_op_thread_pool, incoming.inter_op_thread_pool)
    options.output_partition_graphs |= incoming.output_partition_graphs
    options.report_tensor_allocations_upon_oom |= incoming.report_tensor_allocations_upon_oom
    options.debug_options.debug_tensor_watch_opts.extend(incoming.debug_options.debug_tensor_watch_opts)


def _raise_if_feeds_intersect(a, b, message):
    common = set(a) & set(b)
    if common:
        raise RuntimeError(message + " Conflict(s): " + str(list(common)))


class _HookedSession(_WrappedSession):
    """Adds the hooks' fetches and feeds to each run and gives them the results."""

    def __init__(self, sess, hooks):
        super().__init__(sess)
        self._hooks = hooks
        self._should_stop = False

    def _check_stop(self):
        return self._should_stop

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        fetch_dict = {"caller": fetches}
        ctx = SessionRunContext(original_args=SessionRunArgs(fetches, feed_dict), session=self._sess)
        run_options, run_meta = _run_protos()
        if options is not None and run_options is not None:
            run_options.CopyFrom(options)
        feed_dict = self._call_hook_before_run(ctx, fetch_dict, feed_dict, run_options)
        if run_metadata is not None:
            run_meta = run_metadata

        def run():
            return _WrappedSession.run(self, fetch_dict, feed_dict=feed_dict, options=run_options,
                                       run_metadata=run_meta)
        if run_options is not None and run_options.trace_level > 0 and run_meta is not None:
            outputs = hooks_mod.traced_run(run, run_meta)
        else:
            outputs = run()
        for hook in self._hooks:
            hook.after_run(ctx, SessionRunValues(results=outputs.get(hook), options=run_options,
                                                 run_metadata=run_meta))
        self._should_stop = self._should_stop or ctx.stop_requested
        return outputs["caller"]

    def _call_hook_before_run(self, ctx, fetch_dict, user_feed_dict, options):
        hook_feeds = {}
        for hook in self._hooks:
            request = hook.before_run(ctx)
            if request is None:
                continue
            if request.fetches is not None:
                fetch_dict[hook] = request.fetches
            if request.feed_dict:
                _raise_if_feeds_intersect(hook_feeds, request.feed_dict, "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
            if request.options is not None and options is not None:
                _merge_options(options, request.options)
        if not hook_feeds:
            return user_feed_dict
        if not user_feed_dict:
            return hook_feeds
        _raise_if_feeds_intersect(user_feed_dict, hook_feeds, "Same tensor is fed by a SessionRunHook and user.")
        return {**user_feed_dict, **hook_feeds}


# -- monitored sessions

class _CoordinatedSessionCreator(SessionCreator):
    """Makes the raw session, its coordinator, calls the hooks' ``after_create_session``, and wraps it."""

    def __init__(self, session_creator, hooks, stop_grace_period_secs):
        self._session_creator = session_creator
        self._hooks = hooks
        self.coord = None
        self.tf_sess = None
        self._stop_grace_period_secs = stop_grace_period_secs

    def create_session(self):
        self.tf_sess = self._session_creator.create_session()
        self.coord = Coordinator(clean_stop_exception_types=[])
        from .queue_runner import start_queue_runners  # the input pipelines' threads, as TF1 starts them
        start_queue_runners(sess=self.tf_sess, coord=self.coord)
        for hook in self._hooks:
            hook.after_create_session(self.tf_sess, self.coord)
        return _CoordinatedSession(_HookedSession(self.tf_sess, self._hooks), self.coord,
                                   self._stop_grace_period_secs)


def _step_fn_args(step_fn):
    return tuple(inspect.signature(step_fn).parameters)


class _MonitoredSession:
    def __init__(self, session_creator, hooks, should_recover, stop_grace_period_secs=120):
        self._graph = get_default_graph()
        self._graph_was_finalized = self._graph.finalized
        self._hooks = list(hooks or [])
        for h in self._hooks:
            h.begin()
        self._coordinated_creator = _CoordinatedSessionCreator(session_creator or ChiefSessionCreator(),
                                                               self._hooks, stop_grace_period_secs)
        try:
            if should_recover:
                self._sess = _RecoverableSession(self._coordinated_creator)
            else:
                self._sess = self._coordinated_creator.create_session()
        except BaseException:
            self._unfinalize()
            raise

    @property
    def graph(self):
        """The graph of the session (None once closed)."""
        sess = self._tf_sess()
        return None if sess is None else sess.graph

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """As ``Session.run``, with the hooks around it. A ``RunOptions`` with a ``trace_level`` (asked by the
        caller or a hook) records the run's dask tasks in ``run_metadata.step_stats``."""
        return self._sess.run(fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata)

    def run_step_fn(self, step_fn):
        """Call ``step_fn(step_context)``: ``step_context.session`` is the raw Session (runs without hooks),
        ``step_context.run_with_hooks(...)`` runs with them, and ``step_context.request_stop()`` ends the step by
        raising ``StopIteration``. Returns what ``step_fn`` returns."""
        args = _step_fn_args(step_fn)
        if args != ("step_context",) and args != ("self", "step_context"):
            raise ValueError(f"`step_fn` may either have one `step_context` argument, or `self` and `step_context` "
                             f"arguments if it's an instance method. Got {args} instead.")
        return self._sess.run_step_fn(step_fn, self._tf_sess(), run_with_hooks=None)

    class StepContext:
        """What ``run_step_fn`` gives ``step_fn``: the raw ``session``, ``run_with_hooks`` and ``request_stop``."""

        def __init__(self, session, run_with_hooks_fn):
            self._session = session
            self._run_with_hooks_fn = run_with_hooks_fn

        @property
        def session(self):
            return self._session

        def run_with_hooks(self, *args, **kwargs):
            return self._run_with_hooks_fn(*args, **kwargs)

        def request_stop(self):
            """End the step: raises ``StopIteration``, which ends a ``with`` block of the monitored session."""
            raise StopIteration("step_fn has requested the iterations to stop.")

    def should_stop(self):
        """Whether training should stop: a hook requested it, the coordinator was told to stop, or closed."""
        return self._sess is None or self._sess.should_stop()

    def close(self):
        """Call the hooks' ``end``, stop the coordinator's threads and close the session."""
        self._close_internal()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close_internal(exception_type)
        return exception_type is None

    def _close_internal(self, exception_type=None):
        try:
            if not exception_type:
                for h in self._hooks:
                    h.end(self._coordinated_creator.tf_sess)
        finally:
            try:
                if self._sess is None:
                    raise RuntimeError("Session is already closed.")
                self._sess.close()
            finally:
                self._sess = None
                self._coordinated_creator.tf_sess = None
                self._coordinated_creator.coord = None
                self._unfinalize()

    def _unfinalize(self):
        if not self._graph_was_finalized:
            self._graph._finalized = False  # as TF: the graph can be extended again after the session

    def _is_closed(self):
        return self._coordinated_creator.tf_sess is None

    def _tf_sess(self):
        return self._coordinated_creator.tf_sess


class MonitoredSession(_MonitoredSession):
    """A Session that initialises or restores the model, runs hooks around each ``run`` and recovers from
    preemption errors (TF1's ``tf.train.MonitoredSession``).

    Made: the hooks' ``begin``; ``session_creator.create_session()`` (default ``ChiefSessionCreator()``: the
    scaffold finalizes the graph, the model is restored or initialised); the hooks' ``after_create_session``.
    Each ``run``: the hooks' ``before_run``, one ``Session.run`` of the caller's and the hooks' fetches, the
    hooks' ``after_run``. Closed: the hooks' ``end`` (not after an error), then the session. As a context
    manager it ends normally on ``OutOfRangeError`` (end of input) and ``StopIteration``.

    Examples
    --------
    >>> import daskflow as df
    >>> step = df.train.get_or_create_global_step()
    >>> train = df.assign_add(step, 1)
    >>> with df.train.MonitoredSession(hooks=[df.train.StopAtStepHook(last_step=3)]) as sess:
    ...     while not sess.should_stop():
    ...         value = sess.run(train)
    >>> int(value)
    3
    """

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(session_creator, hooks, should_recover=True, stop_grace_period_secs=stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A ``MonitoredSession`` for one process, without recovery, that also gives its raw Session
    (``raw_session()``) (TF1's ``tf.train.SingularMonitoredSession``)."""

    def __init__(self, hooks=None, scaffold=None, master="", config=None, checkpoint_dir=None,
                 stop_grace_period_secs=120, checkpoint_filename_with_path=None):
        creator = ChiefSessionCreator(scaffold=scaffold, master=master, config=config, checkpoint_dir=checkpoint_dir,
                                      checkpoint_filename_with_path=checkpoint_filename_with_path)
        super().__init__(creator, hooks, should_recover=False, stop_grace_period_secs=stop_grace_period_secs)

    def raw_session(self):
        """The ``Session`` the monitored session runs."""
        return self._tf_sess()


def _positive(x):
    return x is not None and x > 0


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None, scaffold=None, hooks=None,  # noqa: N802
                             chief_only_hooks=None, save_checkpoint_secs=USE_DEFAULT,
                             save_summaries_steps=USE_DEFAULT, save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100, max_wait_secs=7200,
                             save_checkpoint_steps=USE_DEFAULT, summary_dir=None, save_graph_def=True):
    """A ``MonitoredSession`` set up for training (TF1's ``tf.train.MonitoredTrainingSession``).

    For the chief (``is_chief``): the model is restored from the latest checkpoint of ``checkpoint_dir`` when
    there is one, else initialised; checkpoints are saved to ``checkpoint_dir`` every ``save_checkpoint_secs``
    seconds (600 when neither it nor ``save_checkpoint_steps`` is given) or ``save_checkpoint_steps`` steps, and
    at the end; summaries (the scaffold's ``summary_op``, ``merge_all()`` by default) every
    ``save_summaries_steps`` steps (100 when neither it nor ``save_summaries_secs`` is given) or
    ``save_summaries_secs`` seconds, and ``global_step/sec`` every ``log_step_count_steps`` steps, to
    ``summary_dir`` (default ``checkpoint_dir``); ``chief_only_hooks`` run too. A non-chief waits up to
    ``max_wait_secs`` for a ready model and saves nothing.

    ``master``: ``''`` (or None) runs a local ``df.Session``; a ``distributed.Client`` or a scheduler address
    (``'tcp://host:8786'``) runs the graph on that dask cluster, as ``df.Session(master)`` does. ``config`` is
    passed to the Session. Checkpoints and summaries are written by this process (a cluster's workers write
    their variable blocks into the checkpoint where they hold them).

    Examples
    --------
    >>> import tempfile, daskflow as df
    >>> step = df.train.get_or_create_global_step()
    >>> train = df.assign_add(step, 1)
    >>> d = tempfile.mkdtemp()
    >>> with df.train.MonitoredTrainingSession(checkpoint_dir=d,
    ...                                        hooks=[df.train.StopAtStepHook(last_step=5)]) as sess:
    ...     while not sess.should_stop():
    ...         _ = sess.run(train)
    >>> df.train.latest_checkpoint(d).endswith("model.ckpt-5")
    True
    """
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    master = master or ""
    scaffold = scaffold or Scaffold()
    if not is_chief:
        creator = WorkerSessionCreator(scaffold=scaffold, master=master, config=config, max_wait_secs=max_wait_secs)
        return MonitoredSession(session_creator=creator, hooks=hooks or [],
                                stop_grace_period_secs=stop_grace_period_secs)
    all_hooks = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir, master=master, config=config)
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if _positive(log_step_count_steps):
            all_hooks.append(hooks_mod.StepCounterHook(output_dir=summary_dir, every_n_steps=log_step_count_steps))
        if _positive(save_summaries_steps) or _positive(save_summaries_secs):
            all_hooks.append(hooks_mod.SummarySaverHook(scaffold=scaffold, save_steps=save_summaries_steps,
                                                        save_secs=save_summaries_secs, output_dir=summary_dir))
    if checkpoint_dir and (_positive(save_checkpoint_secs) or _positive(save_checkpoint_steps)):
        all_hooks.append(hooks_mod.CheckpointSaverHook(checkpoint_dir, save_steps=save_checkpoint_steps,
                                                       save_secs=save_checkpoint_secs, scaffold=scaffold,
                                                       save_graph_def=save_graph_def))
    all_hooks.extend(hooks or [])
    return MonitoredSession(session_creator=creator, hooks=all_hooks, stop_grace_period_secs=stop_grace_period_secs)


def basic_train_loop(supervisor, train_step_fn, args=None, kwargs=None, master=""):
    """Run ``train_step_fn(sess, *args, **kwargs)`` in ``supervisor.managed_session(master)`` until
    ``supervisor.should_stop()``; starts over in a new managed session when a step raises ``AbortedError``
    (TF1's ``tf.train.basic_train_loop``). ``supervisor`` is any object with those two methods."""
    args = args or []
    kwargs = kwargs or {}
    retry = True
    while retry:
        try:
            retry = False
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *args, **kwargs)
        except errors.AbortedError:
            retry = True
