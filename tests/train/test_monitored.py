"""``MonitoredTrainingSession`` and the machinery under it (``Scaffold``, ``SessionManager``, the session creators,
``MonitoredSession``, ``SingularMonitoredSession``) running a real training program: a linear regression fed by a
Dataset, stopped by a hook, checkpointed and summarised, then resumed by a second session; recovery, coordinated
threads, ``run_step_fn``, warm starting and TF1's errors."""
import glob
import os
import threading

import numpy as np
import pytest

import daskflow as df
from daskflow.train import hooks as H
from daskflow.train.monitored import (MonitoredSession, MonitoredTrainingSession, Scaffold,
                                      SessionCreator, SingularMonitoredSession, WorkerSessionCreator,
                                      basic_train_loop)
from daskflow.train.session_manager import SessionManager, checkpoints_iterator, warm_start

XS = np.linspace(-1, 1, 16).astype(np.float32)
YS = 3 * XS + 1


def _program(repeat=True, batch=4):
    """Linear regression ``y = w x + b`` by gradient descent over a Dataset of 16 points in batches of 4."""
    ds = df.data.Dataset.from_tensor_slices((XS, YS))
    ds = (ds.repeat() if repeat else ds).batch(batch)
    x, y = df.data.make_one_shot_iterator(ds).get_next()
    w, b = df.Variable(0.0, name="w"), df.Variable(0.0, name="b")
    step = df.train.get_or_create_global_step()
    loss = df.reduce_mean((w * x + b - y) ** 2)
    df.summary.scalar("loss", loss)
    train = df.train.GradientDescentOptimizer(0.2).minimize(loss, global_step=step)
    return step, w, b, loss, train


def _events(logdir):
    df.summary.FileWriterCache.clear()  # flush and close the cached writers
    out = []
    for f in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        out += list(df.train.summary_iterator(f))
    return out


def _numpy_sgd(steps, w=0.0, b=0.0, start=0):
    """The same training in numpy: batch i of the repeated data at global step start + i."""
    for i in range(start, start + steps):
        j = (i % 4) * 4
        xb, yb = XS[j:j + 4].astype(np.float64), YS[j:j + 4].astype(np.float64)
        r = w * xb + b - yb
        w, b = w - 0.2 * np.mean(2 * r * xb), b - 0.2 * np.mean(2 * r)
    return w, b


def test_training_stops_at_the_step_writes_checkpoints_and_summaries(tmp_path):
    step, w, b, loss, train = _program()
    d = str(tmp_path)
    with MonitoredTrainingSession(checkpoint_dir=d, save_checkpoint_steps=4, save_summaries_steps=3,
                                  log_step_count_steps=5, hooks=[H.StopAtStepHook(last_step=10)],
                                  save_graph_def=False) as sess:
        runs = 0
        while not sess.should_stop():
            sess.run(train)
            runs += 1
    assert runs == 10 and not df.get_default_graph().finalized  # finalized while the session ran only
    assert df.train.latest_checkpoint(d) == os.path.join(d, "model.ckpt-10")
    state = df.train.get_checkpoint_state(d)
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == \
        ["model.ckpt-0", "model.ckpt-4", "model.ckpt-8", "model.ckpt-10"]
    want_w, want_b = _numpy_sgd(10)
    np.testing.assert_allclose(df.train.load_variable(d, "w"), want_w, rtol=1e-5)
    np.testing.assert_allclose(df.train.load_variable(d, "b"), want_b, rtol=1e-5)
    assert df.train.load_variable(d, "global_step") == 10
    events = _events(d)
    loss_steps = [e.step for e in events for v in e.summary.value if v.tag == "loss"]
    rate_steps = [e.step for e in events for v in e.summary.value if v.tag == "global_step/sec"]
    rates = [v.simple_value for e in events for v in e.summary.value if v.tag == "global_step/sec"]
    checkpoints = [e.step for e in events if e.HasField("session_log") and e.session_log.status == 3]
    assert loss_steps == [1, 4, 7, 10] and rate_steps == [6] and rates[0] > 0
    assert checkpoints == [0, 4, 8, 10]
    first = next(v.simple_value for e in events for v in e.summary.value if v.tag == "loss")
    np.testing.assert_allclose(first, np.mean((YS[:4]) ** 2), rtol=1e-6)  # loss at w = b = 0, batch 0


def test_a_second_session_resumes_from_the_checkpoint(tmp_path):
    d = str(tmp_path)
    with df.Graph().as_default():
        step, w, b, loss, train = _program()
        scaffold = Scaffold(saver=df.train.Saver(max_to_keep=2))
        with MonitoredTrainingSession(checkpoint_dir=d, scaffold=scaffold, hooks=[H.StopAtStepHook(last_step=6)],
                                      save_summaries_steps=None, log_step_count_steps=None) as sess:
            while not sess.should_stop():
                sess.run(train)
    assert os.path.isfile(os.path.join(d, "graph.pbtxt")) and os.path.isfile(os.path.join(d, "model.ckpt-6.meta"))
    first_w = df.train.load_variable(d, "w")
    with df.Graph().as_default():
        step, w, b, loss, train = _program()
        seen = []

        class Start(H.SessionRunHook):
            def after_create_session(self, session, coord):
                seen.append(session.run([step, w, b]))
        scaffold = Scaffold(saver=df.train.Saver(max_to_keep=2))
        with MonitoredTrainingSession(checkpoint_dir=d, scaffold=scaffold, hooks=[H.StopAtStepHook(num_steps=4),
                                                                                   Start()],
                                      save_summaries_steps=None, log_step_count_steps=None) as sess:
            while not sess.should_stop():
                sess.run(train)
    s0, w0, b0 = seen[0]
    assert s0 == 6 and w0 == first_w  # restored, not initialised
    # the iterator starts over (its position is not checkpointed), so the steps 6..9 use batches 0..3
    want_w, want_b = _numpy_sgd(4, *_numpy_sgd(6))
    np.testing.assert_allclose(df.train.load_variable(d, "w"), want_w, rtol=1e-5)
    np.testing.assert_allclose(df.train.load_variable(d, "b"), want_b, rtol=1e-5)
    assert df.train.latest_checkpoint(d).endswith("model.ckpt-10")
    # the kept checkpoints were taken over from the first session: max_to_keep=2 deleted the older ones
    assert sorted(f for f in os.listdir(d) if f.endswith(".manifest.json")) == \
        ["model.ckpt-10.manifest.json", "model.ckpt-6.manifest.json"]


def test_end_of_input_ends_the_session_and_the_last_step_is_saved(tmp_path):
    step, w, b, loss, train = _program(repeat=False)
    d = str(tmp_path)
    runs = 0
    with MonitoredTrainingSession(checkpoint_dir=d, save_summaries_steps=None, log_step_count_steps=None,
                                  save_graph_def=False) as sess:
        while not sess.should_stop():
            sess.run(train)
            runs += 1
    assert runs == 4  # the fifth run found no more data: OutOfRangeError ended the with block
    assert df.train.latest_checkpoint(d).endswith("model.ckpt-4")  # saved at the end, though 600s did not pass
    np.testing.assert_allclose(df.train.load_variable(d, "w"), _numpy_sgd(4)[0], rtol=1e-5)


def test_an_error_ends_the_session_without_the_final_save(tmp_path):
    step, w, b, loss, train = _program()
    d = str(tmp_path)
    with pytest.raises(ZeroDivisionError):
        with MonitoredTrainingSession(checkpoint_dir=d, save_summaries_steps=None, save_graph_def=False) as sess:
            sess.run(train)
            sess.run(train)
            raise ZeroDivisionError
    assert df.train.latest_checkpoint(d).endswith("model.ckpt-0")


def test_a_preempted_run_recreates_the_session_from_the_checkpoint(tmp_path):
    step, w, b, loss, train = _program()
    d = str(tmp_path)

    class Preempt(H.SessionRunHook):
        created, fired = 0, False

        def after_create_session(self, session, coord):
            self.created += 1

        def before_run(self, run_context):
            if run_context.session.run(step) == 3 and not self.fired:
                self.fired = True
                raise df.errors.AbortedError(None, None, "worker lost")
    preempt = Preempt()
    with MonitoredTrainingSession(checkpoint_dir=d, save_checkpoint_steps=2, save_summaries_steps=None,
                                  log_step_count_steps=None, save_graph_def=False,
                                  hooks=[preempt, H.StopAtStepHook(last_step=6)]) as sess:
        while not sess.should_stop():
            sess.run(train)
    assert preempt.created == 2  # the step-3 run was lost; a new session restored step 2 and went on
    # steps 0, 1 (batches 0, 1), then 2..5 again from step 2 with a new iterator (batches 0..3)
    np.testing.assert_allclose(df.train.load_variable(d, "w"), _numpy_sgd(4, *_numpy_sgd(2))[0], rtol=1e-5)
    assert df.train.load_variable(d, "global_step") == 6


def test_a_thread_exception_reported_to_the_coordinator_is_raised_by_run():
    v = df.Variable(1.0)

    class Feeder(H.SessionRunHook):
        def after_create_session(self, session, coord):
            def work():
                with coord.stop_on_exception():
                    raise OSError("input file vanished")
            self.thread = threading.Thread(target=work)
            coord.register_thread(self.thread)
            self.thread.start()
            self.thread.join()
    with pytest.raises(OSError, match="input file vanished"):
        with MonitoredSession(hooks=[Feeder()]) as sess:
            sess.run(v)


def test_run_step_fn_gives_the_raw_session_and_can_stop():
    x = df.placeholder(df.float32, [])
    v = df.Variable(0.0)
    add = df.assign_add(v, x)
    rec = H.SessionRunHook()
    calls = []
    rec.after_run = lambda ctx, values: calls.append("hooked")

    def step_fn(step_context):
        raw = step_context.session.run(v)  # no hooks
        if raw >= 2.0:
            step_context.request_stop()
        return step_context.run_with_hooks(add, {x: 1.0})
    with MonitoredSession(hooks=[rec]) as sess:
        results = []
        while not sess.should_stop():
            results.append(sess.run_step_fn(step_fn))
    assert results == [1.0, 2.0] and calls == ["hooked", "hooked"]
    with MonitoredSession() as sess:
        with pytest.raises(ValueError, match="`step_fn` may either have one `step_context` argument"):
            sess.run_step_fn(lambda ctx: None)


def test_closed_sessions_and_default_ops():
    v = df.Variable(1.0, name="v")
    local = df.Variable(5.0, name="local", collections=[df.GraphKeys.LOCAL_VARIABLES])
    sess = SingularMonitoredSession()
    assert df.get_default_graph().finalized and sess.graph is df.get_default_graph()
    assert sess.run([v, local]) == [1.0, 5.0]  # global and local variables initialised
    sess.close()
    assert sess.should_stop() and sess.graph is None and not df.get_default_graph().finalized
    with pytest.raises(RuntimeError, match="Session is already closed."):
        sess.close()
    g = df.get_default_graph()
    assert [op.name for op in g.get_collection("init_op")] == ["init"]
    assert len(g.get_collection("savers")) == 1 and len(g.get_collection("ready_op")) == 1


def test_scaffold_errors():
    df.Variable(1.0)
    g = df.get_default_graph()
    g.add_to_collection("init_op", df.no_op())
    g.add_to_collection("init_op", df.no_op())
    with pytest.raises(RuntimeError, match='More than one item in the collection "init_op"'):
        Scaffold().finalize()
    with pytest.raises(TypeError, match="copy_from_scaffold is not a Scaffold instance."):
        Scaffold(copy_from_scaffold=object())
    base = Scaffold(init_feed_dict={"a": 1})
    assert Scaffold(copy_from_scaffold=base).init_feed_dict == {"a": 1}
    with pytest.raises(TypeError, match="must define create_session"):
        SessionCreator().create_session()


def test_session_manager_prepare_recover_and_wait(tmp_path):
    v = df.Variable(2.0, name="v")
    ready = df.report_uninitialized_variables()
    init = df.global_variables_initializer()
    nothing = df.no_op(name="init_1")
    saver = df.train.Saver()
    sm = SessionManager(ready_op=ready, recovery_wait_secs=0.01)
    with pytest.raises(RuntimeError, match="Model is not initialized and no init_op or init_fn or local_init_op"):
        sm.prepare_session("")
    with pytest.raises(RuntimeError, match="Init operations did not make model ready.  Init op: init_1, init fn: "
                                           ".*error: Variables not initialized: v"):
        sm.prepare_session("", init_op=nothing)
    sess, ok = sm.recover_session("", saver=saver, checkpoint_dir=str(tmp_path))
    assert not ok
    sess.run(init)
    saver.save(sess, str(tmp_path / "m"), global_step=1, write_meta_graph=False)
    sess.close()
    sess, ok = sm.recover_session("", saver=saver, checkpoint_dir=str(tmp_path))
    assert ok and sess.run(v) == 2.0
    with pytest.raises(ValueError, match="Can not provide both checkpoint_dir and checkpoint_filename_with_path."):
        sm.prepare_session("", init_op=init, saver=saver, checkpoint_dir=str(tmp_path),
                           checkpoint_filename_with_path=str(tmp_path / "m-1"))
    with pytest.raises(df.errors.DeadlineExceededError, match="Session was not ready after waiting 0 secs."):
        sm.wait_for_session("", max_wait_secs=0)
    with pytest.raises(ValueError, match="If you pass a ready_for_local_init_op you must also pass a local_init_op"):
        SessionManager(ready_for_local_init_op=ready)



def test_a_worker_waits_for_a_ready_model():
    df.Variable(1.0)
    with pytest.raises(df.errors.DeadlineExceededError, match="Session was not ready after waiting 0 secs."):
        MonitoredTrainingSession(is_chief=False, max_wait_secs=0)
    assert not df.get_default_graph().finalized
    # a model whose local_init_op makes it ready is ready for a worker
    w = df.Variable(3.0, name="w", collections=[df.GraphKeys.LOCAL_VARIABLES])
    scaffold = Scaffold(ready_op=df.report_uninitialized_variables([w]),
                        ready_for_local_init_op=df.report_uninitialized_variables([]),
                        local_init_op=w.initializer)
    with MonitoredSession(session_creator=WorkerSessionCreator(scaffold=scaffold, max_wait_secs=0)) as sess:
        assert sess.run(w) == 3.0


def test_checkpoint_filename_with_path_and_warm_start(tmp_path):
    with df.Graph().as_default():
        a = df.Variable([1.0, 2.0], name="a")
        b = df.Variable(7.0, name="scope/b")
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            path = df.train.Saver().save(s, str(tmp_path / "model.ckpt"), global_step=3, write_meta_graph=False)
    with df.Graph().as_default():  # restore a given checkpoint file
        a = df.Variable([0.0, 0.0], name="a")
        b = df.Variable(0.0, name="scope/b")
        with SingularMonitoredSession(checkpoint_filename_with_path=path) as sess:
            assert sess.run(a).tolist() == [1.0, 2.0] and sess.run(b) == 7.0
    with df.Graph().as_default():  # warm start by regex and by a renamed variable
        a = df.Variable([0.0, 0.0], name="a")
        b = df.Variable(0.0, name="new/b")
        c = df.Variable(5.0, name="c")
        warm_start(str(tmp_path), vars_to_warm_start="a|new", var_name_to_prev_var_name={"new/b": "scope/b"})
        with SingularMonitoredSession() as sess:
            assert sess.run([a, b, c])[0].tolist() == [1.0, 2.0] and sess.run([b, c]) == [7.0, 5.0]
    with df.Graph().as_default():
        df.Variable([0.0, 0.0], name="a")
        with pytest.raises(ValueError, match="var_name_to_prev_var_name that were not used: {'zz'}"):
            warm_start(str(tmp_path), var_name_to_prev_var_name={"zz": "a"})
        with pytest.raises(ValueError, match="it must be all `Variable` or all `str`"):
            warm_start(str(tmp_path), ["a", df.Variable(1.0)])


def test_checkpoints_iterator_follows_new_checkpoints(tmp_path):
    v = df.Variable(0.0)
    inc = df.assign_add(v, 1.0)
    saver = df.train.Saver()
    found = []
    with df.Session() as s:
        s.run(v.initializer)
        saver.save(s, str(tmp_path / "m"), global_step=0, write_meta_graph=False)

        def write_more():
            for i in (1, 2):
                s.run(inc)
                saver.save(s, str(tmp_path / "m"), global_step=i, write_meta_graph=False)
        for path in checkpoints_iterator(str(tmp_path), timeout=1.5):
            found.append(os.path.basename(path))
            if len(found) == 1:
                write_more()  # m-2 is the latest by the next look: m-1 is never seen
    assert found == ["m-0", "m-2"]


def test_basic_train_loop_retries_an_aborted_session():
    v = df.Variable(0.0)
    inc = df.assign_add(v, 1.0)

    class Supervisor:
        sessions = 0

        def managed_session(self, master):
            self.sessions += 1
            self.sess = df.Session(master)
            self.sess.run(v.initializer)
            return self.sess

        def should_stop(self):
            return self.sess.run(v) >= 3

    def step(sess, fail_once):
        sess.run(inc)
        if fail_once and sup.sessions == 1:
            raise df.errors.AbortedError(None, None, "aborted")
    sup = Supervisor()
    basic_train_loop(sup, step, args=[True])
    assert sup.sessions == 2


@pytest.mark.distributed
@pytest.mark.slow
def test_master_may_be_a_dask_client(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as \
            cluster, distributed.Client(cluster, set_as_default=False) as client:
        step, w, b, loss, train = _program()
        with MonitoredTrainingSession(master=client, checkpoint_dir=str(tmp_path), save_summaries_steps=None,
                                      save_graph_def=False, hooks=[H.StopAtStepHook(last_step=3)]) as sess:
            assert sess._tf_sess()._client is client
            while not sess.should_stop():
                sess.run(train)
    np.testing.assert_allclose(df.train.load_variable(str(tmp_path), "w"), _numpy_sgd(3)[0], rtol=1e-5)

