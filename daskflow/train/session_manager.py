"""TF1's session preparation: ``tf.train.SessionManager`` (make a Session whose model is ready: restored from the
latest checkpoint, or initialised), ``checkpoints_iterator`` (follow the checkpoints a training job writes) and
``warm_start`` (initialise variables from another model's checkpoint).

A Session is made from ``master`` as ``df.Session(master)`` makes it: ``''`` is a local Session, a
``distributed.Client`` or a scheduler address (``'tcp://host:8786'``) runs the graph on that dask cluster.
"""
import logging
import time

import numpy as np

from .. import errors
from ..graph import get_default_graph
from ..ops.state import GLOBAL_VARIABLES, TRAINABLE_VARIABLES, Variable
from . import saver as saver_mod

__all__ = ["SessionManager", "checkpoints_iterator", "wait_for_new_checkpoint", "warm_start"]

_log = logging.getLogger("daskflow")


def _name(op):
    return "None" if op is None else op.name


def _new_session(master, graph, config):
    from ..session import Session
    return Session(master, graph=graph, config=config)


def _safe_close(sess):
    try:
        sess.close()
    except Exception:  # noqa: BLE001 - closing a session that is given up on must not hide why
        pass


def _ready(op, sess, msg):
    """``(ready, why not)`` from running the readiness op ``op``: ready when it reports nothing uninitialised."""
    if op is None:
        return True, None
    try:
        value = sess.run(op)
    except errors.FailedPreconditionError as e:
        if "uninitialized" not in str(e):
            _log.warning("%s : error [%s]", msg, e)
            raise
        return False, str(e)
    if value is None or np.asarray(value).dtype == np.int32 or np.asarray(value).size == 0:
        return True, None
    names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.asarray(value).reshape(-1))
    return False, "Variables not initialized: " + names


class SessionManager:
    """Makes Sessions whose model is ready to use (TF1's ``tf.train.SessionManager``).

    Parameters
    ----------
    local_init_op : Operation, optional
        Run in every session made, once ``ready_for_local_init_op`` reports nothing uninitialised.
    ready_op : Tensor, optional
        A 1-d string tensor naming what is not initialised (``report_uninitialized_variables()``): empty when the
        model is ready. None: the model is always ready.
    ready_for_local_init_op : Tensor, optional
        As ``ready_op``, for what ``local_init_op`` needs.
    graph : Graph, optional
    recovery_wait_secs : float
        Seconds between checks while waiting for a checkpoint or a ready model.
    local_init_run_options, local_init_feed_dict
        The options and feeds of the ``local_init_op`` run.

    Examples
    --------
    >>> import daskflow as df
    >>> v = df.Variable(3.0, name="v")
    >>> sm = df.train.SessionManager(ready_op=df.report_uninitialized_variables())
    >>> sess = sm.prepare_session("", init_op=df.global_variables_initializer())
    >>> float(sess.run(v))
    3.0
    >>> sess.close()
    """

    def __init__(self, local_init_op=None, ready_op=None, ready_for_local_init_op=None, graph=None,
                 recovery_wait_secs=30, local_init_run_options=None, local_init_feed_dict=None):
        self._local_init_op = local_init_op
        self._local_init_feed_dict = local_init_feed_dict
        self._local_init_run_options = local_init_run_options
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph if graph is not None else get_default_graph()
        self._recovery_wait_secs = recovery_wait_secs
        self._target = None
        if ready_for_local_init_op is not None and local_init_op is None:
            raise ValueError(f"If you pass a ready_for_local_init_op you must also pass a local_init_op , "
                             f"ready_for_local_init_op [{ready_for_local_init_op}]")

    def _restore_checkpoint(self, master, saver=None, checkpoint_dir=None, checkpoint_filename_with_path=None,
                            wait_for_checkpoint=False, max_wait_secs=7200, config=None):
        """A new Session and whether it was restored from a checkpoint."""
        self._target = master
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError("Can not provide both checkpoint_dir and checkpoint_filename_with_path.")
        sess = _new_session(master, self._graph, config)
        if not saver or not (checkpoint_dir or checkpoint_filename_with_path):
            return sess, False
        if checkpoint_filename_with_path:
            saver.restore(sess, checkpoint_filename_with_path)
            return sess, True
        waited = 0
        ckpt = saver_mod.get_checkpoint_state(checkpoint_dir)
        while not ckpt or not ckpt.model_checkpoint_path:
            if wait_for_checkpoint and waited < max_wait_secs:
                _log.info("Waiting for checkpoint to be available.")
                time.sleep(self._recovery_wait_secs)
                waited += self._recovery_wait_secs
                ckpt = saver_mod.get_checkpoint_state(checkpoint_dir)
            else:
                return sess, False
        saver.restore(sess, ckpt.model_checkpoint_path)
        saver.recover_last_checkpoints(list(ckpt.all_model_checkpoint_paths))
        return sess, True

    def prepare_session(self, master, init_op=None, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False, max_wait_secs=7200,
                        config=None, init_feed_dict=None, init_fn=None):
        """A Session with the model ready: restored with ``saver`` from ``checkpoint_filename_with_path`` or the
        latest checkpoint of ``checkpoint_dir`` if there is one (waiting up to ``max_wait_secs`` for one with
        ``wait_for_checkpoint``), else initialised by ``init_op`` (fed ``init_feed_dict``) and ``init_fn(sess)``;
        then ``local_init_op`` is run. Raises ``RuntimeError`` when the model is still not ready."""
        sess, restored = self._restore_checkpoint(master, saver, checkpoint_dir, checkpoint_filename_with_path,
                                                  wait_for_checkpoint, max_wait_secs, config)
        if not restored:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError("Model is not initialized and no init_op or init_fn or local_init_op was given")
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        ok, msg = self._try_run_local_init_op(sess)
        if not ok:
            raise RuntimeError(f"Init operations did not make model ready for local_init.  Init op: "
                               f"{_name(init_op)}, init fn: {init_fn}, error: {msg}")
        ok, msg = self._model_ready(sess)
        if not ok:
            raise RuntimeError(f"Init operations did not make model ready.  Init op: {_name(init_op)}, init fn: "
                               f"{init_fn}, local_init_op: {self._local_init_op}, error: {msg}")
        return sess

    def recover_session(self, master, saver=None, checkpoint_dir=None, checkpoint_filename_with_path=None,
                        wait_for_checkpoint=False, max_wait_secs=7200, config=None):
        """``(sess, recovered)``: a Session restored from a checkpoint as ``prepare_session`` restores it, and
        whether that made the model ready (False when there was no checkpoint; nothing is initialised)."""
        sess, restored = self._restore_checkpoint(master, saver, checkpoint_dir, checkpoint_filename_with_path,
                                                  wait_for_checkpoint, max_wait_secs, config)
        local_ok, msg = self._try_run_local_init_op(sess)
        if not restored:
            return sess, False
        if not local_ok:
            _log.info("Restoring model from %s did not make model ready for local init: %s",
                      checkpoint_dir or checkpoint_filename_with_path, msg)
            return sess, False
        ready, msg = self._model_ready(sess)
        if not ready:
            _log.info("Restoring model from %s did not make model ready: %s",
                      checkpoint_dir or checkpoint_filename_with_path, msg)
            return sess, False
        return sess, True

    def wait_for_session(self, master, config=None, max_wait_secs=float("Inf")):
        """A Session in which the model is ready (its variables initialised by another session sharing them),
        checking every ``recovery_wait_secs``; ``DeadlineExceededError`` after ``max_wait_secs``."""
        self._target = master
        start = time.time()
        while True:
            sess = _new_session(master, self._graph, config)
            ok, msg = self._try_run_local_init_op(sess)
            if ok:
                ok, msg = self._model_ready(sess)
                if ok:
                    return sess
            _safe_close(sess)
            remaining = max_wait_secs - (time.time() - start)
            if remaining < self._recovery_wait_secs:
                raise errors.DeadlineExceededError(None, None, f"Session was not ready after waiting "
                                                   f"{int(max_wait_secs)} secs.")
            _log.info("Waiting for model to be ready.  Ready_for_local_init_op:  %s, ready: %s", msg, msg)
            time.sleep(self._recovery_wait_secs)

    def _model_ready(self, sess):
        return _ready(self._ready_op, sess, "Model not ready")

    def _model_ready_for_local_init(self, sess):
        return _ready(self._ready_for_local_init_op, sess, "Model not ready for local init")

    def _try_run_local_init_op(self, sess):
        if self._local_init_op is None:
            return True, None
        ok, msg = self._model_ready_for_local_init(sess)
        if not ok:
            return False, msg
        sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict, options=self._local_init_run_options)
        return True, None


# -- following a directory's checkpoints

def wait_for_new_checkpoint(checkpoint_dir, last_checkpoint=None, seconds_to_sleep=1, timeout=None):
    """The latest checkpoint of ``checkpoint_dir`` once it differs from ``last_checkpoint``, checking every
    ``seconds_to_sleep``; None after ``timeout`` seconds."""
    _log.info("Waiting for new checkpoint at %s", checkpoint_dir)
    stop = time.time() + timeout if timeout is not None else None
    while True:
        path = saver_mod.latest_checkpoint(checkpoint_dir)
        if path is not None and path != last_checkpoint:
            _log.info("Found new checkpoint at %s", path)
            return path
        if stop is not None and time.time() + seconds_to_sleep > stop:
            return None
        time.sleep(seconds_to_sleep)


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Yield each new latest checkpoint of ``checkpoint_dir`` as it appears, at most one every
    ``min_interval_secs``. After ``timeout`` seconds without a new one, ends, unless ``timeout_fn()`` returns
    False (then waits again)."""
    last = None
    while True:
        path = wait_for_new_checkpoint(checkpoint_dir, last, timeout=timeout)
        if path is None:
            if not timeout_fn:
                _log.info("Timed-out waiting for a checkpoint.")
                return
            if timeout_fn():
                return
            continue
        start = time.time()
        last = path
        yield path
        left = start + min_interval_secs - time.time()
        if left > 0:
            time.sleep(left)


# -- warm starting

def _grouped_variables(vars_to_warm_start):
    """``{name: [Variable]}`` of the variables ``vars_to_warm_start`` selects."""
    graph = get_default_graph()
    if isinstance(vars_to_warm_start, str) or vars_to_warm_start is None:
        found = graph.get_collection(TRAINABLE_VARIABLES, scope=vars_to_warm_start)
    elif isinstance(vars_to_warm_start, list):
        if all(isinstance(v, str) for v in vars_to_warm_start):
            found = [v for s in vars_to_warm_start for v in graph.get_collection(GLOBAL_VARIABLES, scope=s)]
        elif all(isinstance(v, Variable) for v in vars_to_warm_start):
            found = vars_to_warm_start
        else:
            raise ValueError(f"If `vars_to_warm_start` is a list, it must be all `Variable` or all `str`.  Given "
                             f"types are {[type(v) for v in vars_to_warm_start]}")
    else:
        raise ValueError(f"`vars_to_warm_start must be a `list` or `str`.  Given type is {type(vars_to_warm_start)}")
    grouped = {}
    for v in found:  # the parts of a partitioned variable under the full variable's name, as TF groups them
        info = getattr(v, "_save_slice_info", None)
        grouped.setdefault(info.full_name if info is not None else v.op.name, []).append(v)
    return grouped


def warm_start(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
               var_name_to_prev_var_name=None):
    """Make the initializers of the selected variables assign their values from a checkpoint (TF1's
    ``tf.train.warm_start``); call it before the initializer (``global_variables_initializer``, a ``Scaffold``'s
    init_op) is built.

    Parameters
    ----------
    ckpt_to_initialize_from : str
        A checkpoint prefix or a directory (its latest checkpoint).
    vars_to_warm_start : str, list of str, list of Variables, or None
        A regular expression matched from the start of the names of the trainable variables; a list of such
        expressions over all global variables; the variables themselves; None warm-starts nothing.
    var_name_to_vocab_info : dict, optional
        ``{variable name: VocabInfo}`` for variables that follow a vocabulary that changed since (full names of
        partitioned variables): their rows (columns) are remapped from the old vocabulary to the new one
        (``daskflow.train.vocab_info``). With ``vars_to_warm_start=None`` only these are warm-started.
    var_name_to_prev_var_name : dict, optional
        ``{variable name: name in the checkpoint}`` for variables renamed since; every key must be a selected
        variable.

    Examples
    --------
    >>> import os, tempfile, daskflow as df
    >>> d = tempfile.mkdtemp()
    >>> with df.Graph().as_default():
    ...     w = df.Variable([1.0, 2.0], name="w")
    ...     with df.Session() as s:
    ...         s.run(w.initializer)
    ...         _ = df.train.Saver().save(s, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    >>> with df.Graph().as_default():
    ...     w = df.Variable([0.0, 0.0], name="w")
    ...     df.train.warm_start(d, "w")
    ...     with df.Session() as s:
    ...         s.run(df.global_variables_initializer())
    ...         s.run(w).tolist()
    [1.0, 2.0]
    """
    _log.info("Warm-starting from: %s", ckpt_to_initialize_from)
    grouped = _grouped_variables(vars_to_warm_start)
    renames, vocabs = dict(var_name_to_prev_var_name or {}), dict(var_name_to_vocab_info or {})
    used, vocab_used, assignment = set(), set(), {}
    for name, variables in grouped.items():
        prev = renames.get(name)
        if prev:
            used.add(name)
        if vocabs.get(name):
            vocab_used.add(name)
            _warm_start_with_vocab(ckpt_to_initialize_from, variables, vocabs[name], prev or name)
        elif vars_to_warm_start:
            if all(getattr(v, "_save_slice_info", None) is not None for v in variables):
                variables = [variables]  # the parts of one partitioned variable, sliced out of its value
            for v in variables:
                key = prev or name
                if key in assignment:  # one checkpoint value initialising two variables: map them in turns
                    saver_mod.init_from_checkpoint(ckpt_to_initialize_from, assignment)
                    assignment = {}
                assignment[key] = v
    if assignment:
        saver_mod.init_from_checkpoint(ckpt_to_initialize_from, assignment)
    _log.info("Warm-started %d variables.", sum(len(v) for v in grouped.values()) if vars_to_warm_start else 0)
    unused = set(renames) - used
    if unused:
        raise ValueError(f"You provided the following variables in var_name_to_prev_var_name that were not used: "
                         f"{unused}.  Perhaps you misspelled them?  Here is the list of viable variable names: "
                         f"{grouped.keys()}")
    unused = set(vocabs) - vocab_used
    if unused:
        raise ValueError(f"You provided the following variables in var_name_to_vocab_info that were not used: "
                         f"{unused}.  Perhaps you misspelled them?  Here is the list of viable variable names: "
                         f"{grouped.keys()}")


def _warm_start_with_vocab(ckpt, variables, info, ckpt_name):
    """Make the initializers of ``variables`` (one variable, or the parts of one) assign the checkpoint's tensor
    ``ckpt_name`` remapped to the new vocabulary (``vocab_info.remapped_values``)."""
    from ..ops.state import _assign
    from .vocab_info import remapped_values
    old = saver_mod.CheckpointReader(ckpt).get_tensor(ckpt_name)
    parts = sorted(variables, key=lambda v: getattr(v, "_save_slice_info", None) and v._save_slice_info.var_offset
                   or [0])
    graph = get_default_graph()
    with graph.as_default():
        for v, value in remapped_values(parts, info, np.asarray(old), variables[0].dtype):
            with graph.name_scope(f"{v.op.name}/warm_start"):
                v._initializer_op = _assign("Assign", v, value, True, "Assign").op
