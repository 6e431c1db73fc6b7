"""Session run hooks under a ``MonitoredSession``: what each hook is given and does, compared with TF1 (the values a
hook sees in a small regression are those TF 2.21 gives), and TF1's errors and messages."""
import glob
import json
import logging
import os
import threading

import numpy as np
import pytest

import daskflow as df
from daskflow.train import hooks as H
from daskflow.train.monitored import MonitoredSession, Scaffold, ChiefSessionCreator, SingularMonitoredSession

XS = np.linspace(-1, 1, 16).astype(np.float32)
YS = 3 * XS + 1


def _regression(lr=0.1):
    x = df.placeholder(df.float32, [None], name="x")
    y = df.placeholder(df.float32, [None], name="y")
    w, b = df.Variable(0.0, name="w"), df.Variable(0.0, name="b")
    step = df.train.get_or_create_global_step()
    loss = df.reduce_mean((w * x + b - y) ** 2)
    train = df.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)
    return x, y, step, loss, train


def _events(logdir):
    df.summary.FileWriterCache.clear()  # flush and close the cached writers
    out = []
    for f in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        out += list(df.train.summary_iterator(f))
    return out


def _monitored(hooks, scaffold=None):
    return MonitoredSession(session_creator=ChiefSessionCreator(scaffold=scaffold or Scaffold()),
                            hooks=hooks)


class Recorder(H.SessionRunHook):
    def __init__(self, fetches):
        self.fetches, self.calls, self.results = fetches, [], []

    def begin(self):
        self.calls.append("begin")

    def after_create_session(self, session, coord):
        self.calls.append(("after_create_session", type(session).__name__, type(coord).__name__))

    def before_run(self, run_context):
        self.calls.append("before_run")
        self.original = run_context.original_args
        return H.SessionRunArgs(self.fetches)

    def after_run(self, run_context, run_values):
        self.calls.append("after_run")
        self.results.append(run_values.results)

    def end(self, session):
        self.calls.append("end")


def test_hooks_see_their_values_in_the_same_run_as_tf1():
    x, y, step, loss, train = _regression()
    rec = Recorder({"l": loss, "s": step})
    with _monitored([H.StopAtStepHook(last_step=10), rec]) as sess:
        while not sess.should_stop():
            _, last = sess.run([train, loss], {x: XS, y: YS})
    # TF 2.21: the hook's loss and (pre-update) global step at each of the 10 runs
    tf_losses = [4.4, 3.545632, 2.8927455, 2.3842342, 1.9813051, 1.6572149, 1.3932095, 1.1758864, 0.9954715,
                 0.8446871]
    np.testing.assert_allclose([r["l"] for r in rec.results], tf_losses, rtol=1e-5)
    assert [int(r["s"]) for r in rec.results] == list(range(10))
    np.testing.assert_allclose(last, 0.8446871, rtol=1e-5)
    assert rec.calls[:2] == ["begin", ("after_create_session", "Session", "Coordinator")]
    assert rec.calls[2:-1] == ["before_run", "after_run"] * 10 and rec.calls[-1] == "end"
    assert rec.original.fetches == [train, loss] and rec.original.feed_dict == {x: XS, y: YS}


def test_stop_at_step_hook_counts_from_the_step_the_session_starts_at():
    step = df.train.get_or_create_global_step()
    inc, set5 = df.assign_add(step, 2), df.assign(step, 5)
    init = Scaffold(init_fn=lambda scaffold, s: s.run(set5))  # the graph is finalized by then
    with SingularMonitoredSession(hooks=[H.StopAtStepHook(num_steps=5)], scaffold=init) as sess:
        runs = 0
        while not sess.should_stop():
            sess.run(inc)
            runs += 1
        assert runs == 3 and int(sess.raw_session().run(step)) == 11  # 5 -> 7 -> 9 -> 11 >= 10
    with pytest.raises(RuntimeError, match="Run called even after should_stop requested."):
        with _monitored([H.StopAtStepHook(last_step=0)]) as sess:
            sess.run(inc)
            sess.run(inc)


def test_stop_at_step_hook_argument_errors():
    with pytest.raises(ValueError, match="One of num_steps or last_step must be specified."):
        H.StopAtStepHook()
    with pytest.raises(ValueError, match="Only one of num_steps or last_step can be specified."):
        H.StopAtStepHook(num_steps=1, last_step=2)
    with pytest.raises(RuntimeError, match="Global step should be created to use StopAtStepHook."):
        H.StopAtStepHook(num_steps=1).begin()


def test_feed_fn_hook_feeds_and_conflicting_feeds_are_refused():
    x, y, step, loss, train = _regression()
    with _monitored([H.FeedFnHook(lambda: {x: XS, y: YS})]) as sess:
        np.testing.assert_allclose(sess.run(loss), 4.4, rtol=1e-6)
        with pytest.raises(RuntimeError, match=r"Same tensor is fed by a SessionRunHook and user. Conflict\(s\)"):
            sess.run(loss, {x: XS})
    two = [H.FeedFnHook(lambda: {x: XS, y: YS}), H.FeedFnHook(lambda: {x: XS})]
    with _monitored(two) as sess:
        with pytest.raises(RuntimeError, match=r"Same tensor is fed by two hooks. Conflict\(s\): \[<"):
            sess.run(loss)


def test_nan_tensor_hook_raises_on_a_nan_loss():
    v = df.Variable(1.0)
    loss = df.sqrt(v - 2.0)  # NaN
    with pytest.raises(H.NanLossDuringTrainingError, match="^NaN loss during training.$"):
        with _monitored([H.NanTensorHook(loss)]) as sess:
            sess.run(v)
    assert issubclass(H.NanLossDuringTrainingError, RuntimeError)
    with _monitored([H.NanTensorHook(loss, fail_on_nan_loss=False)]) as sess:
        sess.run(v)
        assert sess.should_stop()
    with _monitored([H.NanTensorHook(df.sqrt(v))]) as sess:
        sess.run(v)
        assert not sess.should_stop()


def test_logging_tensor_hook_logs_every_n_iterations_and_at_end(caplog):
    x, y, step, loss, train = _regression()
    hooks = [H.LoggingTensorHook({"loss": loss, "step": step.name}, every_n_iter=2),
             H.LoggingTensorHook({"final_step": step}, at_end=True), H.FeedFnHook(lambda: {x: XS, y: YS})]
    with caplog.at_level(logging.INFO, logger="daskflow"):
        with _monitored(hooks) as sess:
            for _ in range(3):
                sess.run(train)
    lines = [r.getMessage() for r in caplog.records if "step = " in r.getMessage()]
    assert len(lines) == 3  # iterations 0 and 2, and at the end
    assert lines[0] == "loss = 4.4, step = 0" and lines[1].startswith("loss = 2.89274") and " sec)" in lines[1]
    assert lines[1].split(", ")[1].startswith("step = 2 (") and lines[2] == "final_step = 3"
    with pytest.raises(ValueError, match="either at_end and/or exactly one of every_n_iter and every_n_secs"):
        H.LoggingTensorHook([loss])
    with pytest.raises(ValueError, match="invalid every_n_iter=0."):
        H.LoggingTensorHook([loss], every_n_iter=0)


def test_logging_tensor_hook_formatter_and_names(caplog):
    v = df.Variable(2.5, name="v")
    hook = H.LoggingTensorHook(["v"], every_n_iter=1, formatter=lambda vals: f"v is {vals['v']:.2f}")
    with caplog.at_level(logging.INFO, logger="daskflow"):
        with _monitored([hook]) as sess:
            sess.run(v)
    assert "v is 2.50" in [r.getMessage() for r in caplog.records]


def test_summary_saver_and_step_counter_write_event_files(tmp_path):
    x, y, step, loss, train = _regression()
    summ = df.summary.scalar("loss", loss)
    hooks = [H.SummarySaverHook(save_steps=2, output_dir=str(tmp_path), summary_op=summ),
             H.StepCounterHook(every_n_steps=2, output_dir=str(tmp_path)), H.FeedFnHook(lambda: {x: XS, y: YS})]
    with _monitored(hooks) as sess:
        for _ in range(6):
            sess.run(train)
    events = _events(tmp_path)
    losses = [(e.step, v.simple_value) for e in events for v in e.summary.value if v.tag == "loss"]
    rates = [e.step for e in events for v in e.summary.value if v.tag == "global_step/sec"]
    starts = [e.step for e in events if e.HasField("session_log")]
    assert [s for s, _ in losses] == [1, 3, 5] and rates == [3, 5] and starts == [1]
    np.testing.assert_allclose([v for _, v in losses], [4.4, 2.8927455, 1.9813051], rtol=1e-5)  # TF's values
    with pytest.raises(ValueError, match="Exactly one of scaffold or summary_op must be provided."):
        H.SummarySaverHook(save_steps=1)
    with pytest.raises(ValueError, match="exactly one of every_n_steps and every_n_secs should be provided."):
        H.StepCounterHook(every_n_steps=None)


class Listener(H.CheckpointSaverListener):
    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def begin(self):
        self.calls.append("begin")

    def before_save(self, session, step):
        self.calls.append(("before", step))

    def after_save(self, session, step):
        self.calls.append(("after", step))
        return step == self.stop_at

    def end(self, session, step):
        self.calls.append(("end", step))


def test_checkpoint_saver_hook_saves_every_n_steps_and_at_the_end(tmp_path):
    step = df.train.get_or_create_global_step()
    w = df.Variable([1.0, 2.0], name="w")
    train = df.group(df.assign_add(step, 1), df.assign_add(w, [1.0, 1.0]))
    saver = df.train.Saver(max_to_keep=None)
    listener = Listener()
    hook = H.CheckpointSaverHook(str(tmp_path), save_steps=3, saver=saver, listeners=[listener],
                                 save_graph_def=False)
    with _monitored([hook]) as sess:
        for _ in range(7):
            sess.run(train)
    assert listener.calls == ["begin", ("before", 0), ("after", 0), ("before", 3), ("after", 3), ("before", 6),
                              ("after", 6), ("before", 7), ("after", 7), ("end", 7)]
    assert saver.last_checkpoints == [str(tmp_path / f"model.ckpt-{i}") for i in (0, 3, 6, 7)]
    np.testing.assert_array_equal(df.train.load_variable(str(tmp_path), "w"), [8.0, 9.0])
    logs = [(e.step, e.session_log.checkpoint_path) for e in _events(tmp_path) if e.HasField("session_log")]
    assert logs == [(i, str(tmp_path / "model.ckpt")) for i in (0, 3, 6, 7)]
    with pytest.raises(ValueError, match="You cannot provide both saver and scaffold."):
        H.CheckpointSaverHook(str(tmp_path), save_steps=1, saver=saver, scaffold=Scaffold())
    with pytest.raises(ValueError, match="Either every_secs or every_steps should be provided."):
        H.CheckpointSaverHook(str(tmp_path))


def test_a_listener_can_stop_training(tmp_path):
    step = df.train.get_or_create_global_step()
    inc = df.assign_add(step, 1)
    listener = Listener(stop_at=2)
    hook = H.CheckpointSaverHook(str(tmp_path), save_steps=2, saver=df.train.Saver(), listeners=[listener],
                                 save_graph_def=False)
    with SingularMonitoredSession(hooks=[hook]) as sess:
        while not sess.should_stop():
            sess.run(inc)
        assert int(sess.raw_session().run(step)) == 2


def test_checkpoint_saver_hook_without_a_saver():
    df.train.get_or_create_global_step()
    df.get_default_graph().add_to_collection("savers", df.train.Saver())
    df.get_default_graph().add_to_collection("savers", df.train.Saver())
    hook = H.CheckpointSaverHook("unused", save_steps=1)
    with pytest.raises(RuntimeError, match="More than one item in collection savers."):
        hook._get_saver()


def test_final_ops_hook_runs_at_the_end():
    v = df.Variable(1.0)
    inc = df.assign_add(v, 1.0)
    hook = H.FinalOpsHook({"v": v, "twice": 2 * v})
    with _monitored([hook]) as sess:
        sess.run(inc)
        sess.run(inc)
        assert hook.final_ops_values is None
    assert hook.final_ops_values == {"v": 3.0, "twice": 6.0}


def test_global_step_waiter_hook_waits_for_other_workers():
    step = df.train.get_or_create_global_step()
    inc = df.assign_add(step, 1)
    with SingularMonitoredSession(hooks=[H.GlobalStepWaiterHook(wait_until_step=2)],
                                  scaffold=Scaffold()) as sess:
        raw = sess.raw_session()
        bump = threading.Timer(0.05, lambda: (raw.run(inc), raw.run(inc)))
        bump.start()
        sess.run(step)  # held back until another worker made the step 2
        bump.join()
        assert int(raw.run(step)) == 2


def test_second_or_step_timer():
    t = H.SecondOrStepTimer(every_steps=3)
    assert t.should_trigger_for_step(0) and t.update_last_triggered_step(0) == (None, None)
    assert not t.should_trigger_for_step(0) and not t.should_trigger_for_step(2)
    assert t.should_trigger_for_step(3)
    secs, steps = t.update_last_triggered_step(4)
    assert secs >= 0 and steps == 4 and t.last_triggered_step() == 4
    assert H.SecondOrStepTimer(every_secs=0).should_trigger_for_step(1)
    with pytest.raises(ValueError, match="Can not provide both every_secs and every_steps."):
        H.SecondOrStepTimer(every_secs=1, every_steps=1)


def test_profiler_hook_writes_a_chrome_trace_of_the_steps_tasks(tmp_path):
    x, y, step, loss, train = _regression()
    hooks = [H.ProfilerHook(save_steps=2, output_dir=str(tmp_path)), H.FeedFnHook(lambda: {x: XS, y: YS})]
    with _monitored(hooks) as sess:
        for _ in range(5):
            sess.run(train)
    assert sorted(os.listdir(tmp_path)) == ["events.out.tfevents." + f.split("events.out.tfevents.")[1]
                                            for f in os.listdir(tmp_path) if "tfevents" in f] + \
        ["timeline-2.json", "timeline-4.json"]  # as TF: the first run is never traced
    with open(tmp_path / "timeline-2.json") as f:
        trace = json.load(f)["traceEvents"]
    ops = [e for e in trace if e["ph"] == "X"]
    assert ops and all(e["dur"] >= 0 and e["ts"] > 1e15 for e in ops)  # wall-clock microseconds
    assert {"sub", "mul"} <= {e["name"] for e in ops}  # the step's forward and gradient tasks
    assert any(e["ph"] == "s" for e in trace) and any(e["ph"] == "M" for e in trace)
    tags = [e.tagged_run_metadata.tag for e in _events(tmp_path) if e.HasField("tagged_run_metadata")]
    assert tags == ["step_2", "step_4"]


def test_run_options_with_a_trace_level_fill_run_metadata():
    x = df.placeholder(df.float32, [None])
    total = df.reduce_sum(df.exp(x))
    meta = df.RunMetadata()
    with _monitored([]) as sess:
        sess.run(total, {x: XS}, options=df.RunOptions(trace_level=df.RunOptions.FULL_TRACE), run_metadata=meta)
        plain = df.RunMetadata()
        sess.run(total, {x: XS}, run_metadata=plain)
    nodes = meta.step_stats.dev_stats[0].node_stats
    assert any(n.node_name.startswith("('exp-") for n in nodes)
    assert not plain.step_stats.dev_stats
