"""The executor of chunked plans: results as dask's, errors raised, and blocks freed as soon as their users are
done (or read again rather than held for a later pass), so a loss and its gradient over many row blocks hold only
a few blocks at a time, whatever way the program is written."""
import os
import threading

import dask
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow import executor
from daskflow.testing import BlockCounter


def _logreg(src, n, d):
    X = df.data.from_dask(da.from_array(src, chunks=(n // 16, d), asarray=False, meta=np.empty((0, 0))))
    y = df.cast(df.reduce_sum(X, axis=1, keepdims=True) > 0, df.float64)
    w = df.Variable(np.linspace(-1, 1, d).reshape(d, 1))
    loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=df.matmul(X, w)))
    return w, loss, df.gradients(loss, [w])[0]


@pytest.mark.parametrize("workers", [1, 2])
def test_loss_and_gradient_over_many_blocks_hold_few_at_once(workers):
    n, d = 16 * 500, 8
    data = np.random.default_rng(0).standard_normal((n, d))
    src = BlockCounter(data)
    with df.Graph().as_default(), dask.config.set(num_workers=workers):
        w, loss, g = _logreg(src, n, d)
        with df.Session(scheduler="threads") as s:
            s.run(w.initializer)
            lv, gv = s.run([loss, g])
    assert src.reads == 16  # each block read once, for the forward and the backward pass
    assert src.peak <= 2 * workers + 1, f"{src.peak} of 16 blocks in memory at once"
    wv = np.linspace(-1, 1, d).reshape(d, 1)
    z, yv = data @ wv, (data.sum(1, keepdims=True) > 0).astype(float)
    np.testing.assert_allclose(lv, np.mean(np.maximum(z, 0) - z * yv + np.log1p(np.exp(-np.abs(z)))), rtol=1e-12)
    np.testing.assert_allclose(gv, data.T @ (1 / (1 + np.exp(-z)) - yv) / n, rtol=1e-10)


def test_results_and_errors_match_dask():
    x = da.random.RandomState(1).random((300, 40), chunks=(70, 15))
    expr = (da.exp(x) @ x.T).sum(axis=0) - x.mean()
    dsk = dict(expr.__dask_graph__())
    from dask._task_spec import convert_legacy_graph
    keys = list(dask.core.flatten(expr.__dask_keys__()))
    got = executor.get(convert_legacy_graph(dsk), keys, num_workers=2)
    want = dask.threaded.get(dsk, keys)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b)

    def boom(block):
        raise ValueError("bad block")
    bad = x.map_blocks(boom, meta=np.empty((0, 0))).sum()
    with pytest.raises(ValueError, match="bad block"):
        executor.get(convert_legacy_graph(dict(bad.__dask_graph__())), list(dask.core.flatten(bad.__dask_keys__())),
                     num_workers=2)


def _where(log, i):
    def f(*deps):
        log.append((i, threading.current_thread().name))
        return i + sum(deps)
    return f


def test_a_chain_runs_on_the_calling_thread_and_a_fan_out_on_the_pool():
    from dask._task_spec import Task, TaskRef
    log = []
    chain = {("c", 0): Task(("c", 0), _where(log, 0))}
    for i in range(1, 20):
        chain[("c", i)] = Task(("c", i), _where(log, i), TaskRef(("c", i - 1)))
    assert executor.get(chain, [("c", 19)], num_workers=2) == [sum(range(20))]
    assert [i for i, _ in log] == list(range(20))  # one task at a time, in order
    assert {name for _, name in log} == {threading.current_thread().name}  # no round trip through the pool

    log.clear()
    fan = {("f", i): Task(("f", i), _where(log, i)) for i in range(8)}
    fan["total"] = Task("total", _where(log, 100), *[TaskRef(("f", i)) for i in range(8)])
    with pytest.raises(ValueError, match="bad"):
        executor.get({**chain, ("c", 5): Task(("c", 5), _boom, TaskRef(("c", 4)))}, [("c", 19)], num_workers=2)
    log.clear()
    assert executor.get(fan, ["total"], num_workers=2) == [100 + sum(range(8))]
    assert any(name.startswith("daskflow") for _, name in log)  # independent tasks go to the pool


def _boom(x):
    raise ValueError("bad")


def test_dask_diagnostics_still_see_the_run():
    from dask.diagnostics import ProgressBar
    with df.Graph().as_default():
        x = df.placeholder(df.float64, (None, 4))
        total = df.reduce_sum(df.exp(x))
        feed = da.ones((100, 4), chunks=(10, 4))
        seen = []

        class Count(dask.callbacks.Callback):
            def _posttask(self, key, result, dsk, state, id):
                seen.append(key)
        with df.Session(scheduler="threads") as s, Count(), ProgressBar(out=open("/dev/null", "w")):
            assert s.run(total, {x: feed}) == pytest.approx(400 * np.e)
        assert len(seen) > 10


def test_dask_diagnostics_watch_the_memory_bounded_executor_and_the_inline_walk():
    from dask.diagnostics import Profiler, ProgressBar
    n, d = 16 * 500, 8
    data = np.random.default_rng(0).standard_normal((n, d))
    src = BlockCounter(data)
    with df.Graph().as_default(), dask.config.set(num_workers=2):
        w, loss, g = _logreg(src, n, d)
        with df.Session(scheduler="threads") as s, ProgressBar(out=open(os.devnull, "w")), Profiler() as prof:
            s.run(w.initializer)
            s.run([loss, g])
    assert src.reads == 16 and src.peak <= 5  # the run kept to the executor's bound while watched
    assert len({r.key for r in prof.results}) > 16
    states = []

    class Finished(dask.callbacks.Callback):
        def _finish(self, dsk, state, errored):
            states.append((set(dsk) - state["finished"], state["waiting"], state["running"], errored))
    with df.Graph().as_default():
        x = df.placeholder(df.float64, (3,))
        with df.Session() as s, Profiler() as prof, Finished():  # a small plan: run inline
            assert s.run(df.reduce_sum(df.exp(x)), {x: np.zeros(3)}) == 3.0
    assert prof.results and all(r.end_time >= r.start_time for r in prof.results)
    assert states == [(set(), set(), set(), False)]  # every task counted finished, as a progress bar reads it


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_inf_minus_inf_is_a_value_without_warnings_on_either_executor(scheduler):
    # warnings are errors in this suite: any numpy RuntimeWarning from a task would fail the run
    x = np.array([[np.inf, 1.0], [-np.inf, 2.0], [1.0, 0.0]])
    with df.Graph().as_default():
        t = df.placeholder(df.float64, (3, 2))
        outs = [df.reduce_sum(t, 0), df.reduce_max(t, 1) - df.reduce_min(t, 1), t / 0.0, df.log(t - 1.0)]
        with df.Session(scheduler=scheduler) as s:
            feed = da.from_array(x, chunks=(1, 2)) if scheduler == "threads" else x
            got = s.run(outs, {t: feed})
    with np.errstate(all="ignore"):
        ref = [x.sum(0), x.max(1) - x.min(1), x / 0.0, np.log(x - 1.0)]
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(g, r)


def _logistic_1d_logits(X, y, d):
    w = df.Variable(np.linspace(-1, 1, d).reshape(d, 1))
    z = df.reshape(df.matmul(X, w), [-1])
    return df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z))


def _logistic_reshaped_weight_2d_labels(X, y, d):
    w = df.Variable(np.linspace(-1, 1, d))
    z = df.matmul(X, df.reshape(w, (-1, 1)))
    return df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=df.reshape(y, (-1, 1)), logits=z))


def _sliced_logits(X, y, d):
    w = df.Variable(np.linspace(-1, 1, d))
    z = df.matmul(X, df.reshape(w, (-1, 1)))
    return df.reduce_mean(df.square(z[:, 0] - y)) + df.reduce_mean(z[::2, 0])


def _softmax_regression(X, y, d):
    W = df.Variable(np.linspace(-1, 1, d * 10).reshape(d, 10))
    labels = df.cast(y * 9.99, df.int32)
    logits = df.matmul(X, W)
    return df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def _mlp(X, y, d):
    W1 = df.Variable(np.linspace(-1, 1, d * 6).reshape(d, 6))
    b1 = df.Variable(np.linspace(-0.1, 0.1, 6))
    W2 = df.Variable(np.linspace(-1, 1, 6).reshape(6, 1))
    h = df.nn.relu(df.matmul(X, W1) + b1)
    z = df.matmul(h, W2)
    return df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=df.expand_dims(y, 1), logits=z))


def _standardised(X, y, d):
    # two passes over X: its column means and variances, then the data scaled by them
    w = df.Variable(np.linspace(-1, 1, d).reshape(d, 1))
    mean, var = df.nn.moments(X, axes=[0])
    z = df.matmul((X - mean) / df.sqrt(var + 1e-6), w)
    return df.reduce_mean(df.square(df.reshape(z, [-1]) - y))


def _scaled_three_ways(X, y, d):
    # three reductions in a row, each over data the one before transformed: four passes over X
    w = df.Variable(np.linspace(-1, 1, d).reshape(d, 1))
    centred = X - df.reduce_mean(X, 0)
    scaled = centred / df.sqrt(df.reduce_mean(centred * centred, 0) + 1)
    unit = scaled / df.reduce_max(df.abs(scaled), 0)
    return df.reduce_mean(df.square(df.reshape(df.matmul(unit, w), [-1]) - y))


def _gram(X, y, d):
    w = df.Variable(np.linspace(-1, 1, d * d).reshape(d, d))
    return df.reduce_sum(df.matmul(X, X, transpose_a=True) * w) / 1e3


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("program", [_logistic_1d_logits, _logistic_reshaped_weight_2d_labels, _sliced_logits,
                                     _softmax_regression, _mlp, _gram, _standardised, _scaled_three_ways])
def test_streaming_programs_hold_few_blocks_whatever_their_shape(program, workers):
    # the ways users write a full-data loss and gradient: reshaped weights and labels, sliced logits, several
    # classes, hidden layers; each block of X and y is read once, and only a few are held at a time
    n, d, blocks = 16 * 400, 8, 16
    rng = np.random.default_rng(1)
    data, labels = rng.standard_normal((n, d)), rng.uniform(size=n)
    xs, ys = BlockCounter(data), BlockCounter(labels)
    with df.Graph().as_default(), dask.config.set(num_workers=workers):
        X = df.data.from_dask(da.from_array(xs, chunks=(n // blocks, d), asarray=False, meta=np.empty((0, 0))))
        y = df.data.from_dask(da.from_array(ys, chunks=(n // blocks,), asarray=False, meta=np.empty((0,))))
        loss = program(X, y, d)
        fetches = [loss] + df.gradients(loss, df.trainable_variables())
        with df.Session(scheduler="threads") as s:
            s.run(df.global_variables_initializer())
            got = s.run(fetches)
            want = s.run(fetches, {X: data, y: labels})  # the same graph on whole in-memory arrays
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-13)
    # each block read at most once per pass over the data: standardising reads X for the means, the variances and
    # the loss (a block is read again rather than held until the next pass); y unread where a program does not use it
    passes = {_standardised: 3, _scaled_three_ways: 4}.get(program, 1)
    assert blocks <= xs.reads <= passes * blocks and ys.reads in (0, blocks)
    assert xs.peak <= 2 * workers + 2, f"{xs.peak} of {blocks} blocks of X in memory at once"
    assert ys.peak <= 2 * workers + 2, f"{ys.peak} of {blocks} blocks of y in memory at once"
