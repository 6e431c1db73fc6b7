import glob
import os
import time

import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.train.supervisor import Supervisor


def _program():
    """A variable trained toward 3, the global step, and a loss summary."""
    w = df.Variable(0.0, name="w")
    step = df.train.get_or_create_global_step()
    loss = (w - 3.0) ** 2
    df.summary.scalar("loss", loss)
    train = df.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return w, step, train


def _events(logdir):
    out = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        out += list(df.train.summary_iterator(path))
    return out


def test_periodic_services_and_resume(tmp_path):
    logdir = str(tmp_path)
    with df.Graph().as_default():
        w, step, train = _program()
        sv = Supervisor(logdir=logdir, save_model_secs=0.15, save_summaries_secs=0.15)
        assert sv.is_chief and sv.global_step is step and sv.saver is not None and sv.summary_op is not None
        assert sv.save_path == os.path.join(logdir, "model.ckpt")
        assert df.get_default_graph().finalized
        with sv.managed_session() as sess:
            start = time.time()    # until three periodic checkpoints (and at least 0.5 s of training)
            while len(sv.saver.last_checkpoints) < 3 or time.time() < start + 0.5:
                assert time.time() < start + 30 and not sv.should_stop()
                sess.run(train)
                time.sleep(0.01)
            final = sess.run(step)
            sv.saver.save(sess, sv.save_path, global_step=step)
            saved_w = sess.run(w)
        assert sv.should_stop()
    ckpts = df.train.get_checkpoint_state(logdir).all_model_checkpoint_paths
    assert len(ckpts) >= 3 and ckpts[-1] == os.path.join(logdir, f"model.ckpt-{final}")
    numbers = [int(p.rsplit("-", 1)[1]) for p in ckpts]
    assert numbers == sorted(set(numbers))
    assert os.path.isfile(os.path.join(logdir, "graph.pbtxt"))
    events = _events(logdir)
    logs = [e.session_log.status for e in events if e.HasField("session_log")]
    assert logs[0] == df.summary.SessionLog.START and logs[-1] == df.summary.SessionLog.STOP
    assert logs.count(df.summary.SessionLog.CHECKPOINT) >= 3
    tags = [v.tag for e in events if e.HasField("summary") for v in e.summary.value]
    assert tags.count("loss") >= 2 and tags.count("global_step/sec") >= 2
    assert any(e.graph_def for e in events) and any(e.meta_graph_def for e in events)
    rates = [v.simple_value for e in events if e.HasField("summary") for v in e.summary.value
             if v.tag == "global_step/sec"]
    assert max(rates) > 0
    losses = [(e.step, v.simple_value) for e in events if e.HasField("summary") for v in e.summary.value
              if v.tag == "loss"]
    assert all(s2 >= s1 for (s1, _), (s2, _) in zip(losses, losses[1:]))

    with df.Graph().as_default():                      # a new program resumes from the logdir
        w, step, train = _program()
        sv = Supervisor(logdir=logdir, save_model_secs=0, save_summaries_secs=0)
        with sv.managed_session() as sess:
            assert sess.run(step) == final
            np.testing.assert_allclose(sess.run(w), saved_w)
            sess.run(train)
            assert sess.run(step) == final + 1


def test_exceptions_in_the_block(tmp_path):
    with df.Graph().as_default():
        w, step, train = _program()
        sv = Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
        with pytest.raises(ValueError, match="boom"):
            with sv.managed_session():
                raise ValueError("boom")
        with sv.managed_session() as sess:            # the end of input stops training cleanly
            sess.run(train)
            raise errors.OutOfRangeError(None, None, "End of sequence")
        assert sv.should_stop()
        with sv.managed_session() as sess:            # restarted: the stop is cleared
            assert not sv.should_stop()


def test_defaults_loop_and_summary_computed(tmp_path):
    with df.Graph().as_default() as g:
        x = df.placeholder(df.float32, [], name="x")
        doubled = x * 2.0
        sv = Supervisor(logdir=None, summary_op=None)
        assert sv.saver is None and sv.global_step is None and sv.summary_writer is None
        assert g.get_collection("init_op") == [sv.init_op] and g.get_collection("ready_op") == [sv.ready_op]
        with sv.managed_session() as sess:
            assert sess.run(doubled, {x: 1.5}) == 3.0
            with pytest.raises(RuntimeError, match="requires a summary writer"):
                sv.summary_computed(sess, b"")
            calls = []
            looper = sv.loop(0.02, calls.append, args=(1,))
            time.sleep(0.15)
            assert len(calls) >= 3
        assert not looper.is_alive()
    with df.Graph().as_default():
        w, step, train = _program()
        summary = df.summary.scalar("weight", w)
        sv = Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0, saver=None)
        with sv.managed_session() as sess:
            sess.run(train)
            sv.summary_computed(sess, sess.run(summary))
        assert not df.train.latest_checkpoint(str(tmp_path))
    got = [(e.step, v.tag) for e in _events(str(tmp_path)) if e.HasField("summary") for v in e.summary.value]
    assert got == [(1, "weight")]


def test_non_chief(tmp_path):
    with df.Graph().as_default():
        df.Variable(1.0, name="v")
        with pytest.raises(ValueError, match="all Variables must have their device set: v"):
            Supervisor(is_chief=False)
    with df.Graph().as_default():
        with df.device("/job:ps/task:0"):
            v = df.Variable(1.0, name="v")
        sv = Supervisor(is_chief=False, logdir=str(tmp_path))
        assert sv.summary_writer is None and sv.save_path is None
        with pytest.raises(RuntimeError, match="Only chief supervisor"):
            sv.start_standard_services(None)
        assert sv.ready_op is not None and sv.global_step is None
        assert v.device == "/job:ps/task:0"
