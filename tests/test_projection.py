"""The memory model of a whole run: Session.plan projects the peak of the run, the executor keeps to it, and a run
whose projection is over its budget is refused before anything runs."""
import tracemalloc

import dask
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow import errors, projection

pytestmark = pytest.mark.usefixtures("quiet_process")  # tracemalloc counts every thread


D = 16


def _write(path, rows, chunk_rows, seed=0):
    import zarr
    rng = np.random.default_rng(seed)
    g = zarr.open_group(str(path), mode="w")
    zx = g.create_array("X", shape=(rows, D), chunks=(chunk_rows, D), dtype="f4", compressors=None)
    zy = g.create_array("y", shape=(rows,), chunks=(chunk_rows,), dtype="f4", compressors=None)
    zx[:] = rng.standard_normal((rows, D)).astype("f4")
    zy[:] = rng.uniform(size=rows).astype("f4") > 0.5
    return zx, zy


def _logistic_2d_labels(X, y):
    w = df.Variable(np.linspace(-1, 1, D).astype("f4"))
    z = df.matmul(X, df.reshape(w, (-1, 1)))
    return df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=df.reshape(y, (-1, 1)), logits=z))


def _sliced(X, y):
    w = df.Variable(np.linspace(-1, 1, D).astype("f4"))
    z = df.matmul(X, df.reshape(w, (-1, 1)))
    return df.reduce_mean(df.square(z[:, 0]))


def _softmax(X, y):
    W = df.Variable(np.linspace(-1, 1, D * 10).reshape(D, 10).astype("f4"))
    return df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(
        labels=df.cast(y * 9.99, df.int32), logits=df.matmul(X, W)))


def _standardised(X, y):
    w = df.Variable(np.linspace(-1, 1, D).reshape(D, 1).astype("f4"))
    mean, var = df.nn.moments(X, axes=[0])
    return df.reduce_mean(df.square(df.reshape(df.matmul((X - mean) / df.sqrt(var + 1e-6), w), [-1]) - y))


def _standardised_by_hand(X, y):
    # the moments as TF's nn.moments takes them: the mean, then the mean of squared differences from it (a pass
    # each), then the loss (a third pass)
    w = df.Variable(np.linspace(-1, 1, D).reshape(D, 1).astype("f4"))
    mean = df.reduce_mean(X, 0)
    var = df.reduce_mean(df.squared_difference(X, mean), 0)
    return df.reduce_mean(df.square(df.reshape(df.matmul((X - mean) / df.sqrt(var + 1e-6), w), [-1]) - y))


def _mlp(X, y):
    W1 = df.Variable(np.linspace(-1, 1, D * 32).reshape(D, 32).astype("f4"))
    W2 = df.Variable(np.linspace(-1, 1, 32).reshape(32, 1).astype("f4"))
    z = df.matmul(df.nn.relu(df.matmul(X, W1)), W2)
    return df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=df.expand_dims(y, 1), logits=z))


def _gram(X, y):
    W = df.Variable(np.linspace(-1, 1, D * D).reshape(D, D).astype("f4"))
    return df.reduce_sum(df.matmul(X, X, transpose_a=True) * W)


PROGRAMS = [_logistic_2d_labels, _sliced, _softmax, _standardised, _standardised_by_hand, _mlp, _gram]


def _plan_and_run(path, program, threads=2, traced=False):
    with df.Graph().as_default(), dask.config.set(num_workers=threads):
        X = df.data.from_zarr(path, component="X")
        y = df.data.from_zarr(path, component="y")
        loss = program(X, y)
        fetches = [loss] + df.gradients(loss, df.trainable_variables())
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            plan = s.plan(fetches)
            if not traced:
                return plan, s.run(fetches), None
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                got = s.run(fetches)
                peak = tracemalloc.get_traced_memory()[1] - before
            finally:
                tracemalloc.stop()
            return plan, got, peak


@pytest.mark.parametrize("program", PROGRAMS)
def test_tracked_peak_of_a_streaming_run_is_within_its_projection(tmp_path, program):
    # numpy's allocations are tracked by tracemalloc: what the run allocates at once, blocks and kernels'
    # temporaries, stays under what the plan projected for it
    rows = 192_000
    _write(tmp_path / "d.zarr", rows, 4_000)
    with df.config.set(chunk_bytes=256 * 2**10):
        plan, got, peak = _plan_and_run(tmp_path / "d.zarr", program, traced=True)
    assert plan.fits and plan.run_peak_bytes <= plan.run_budget
    assert peak <= plan.run_peak_bytes, f"{peak} bytes allocated at once, {plan.run_peak_bytes} projected"
    # and the projection holds a few blocks (and the MLP's hidden activations of them), not the data (12 MiB of X in
    # 48 blocks)
    assert plan.run_peak_bytes < rows * D * 4 * 0.6


@pytest.mark.parametrize("program", PROGRAMS)
def test_the_projection_does_not_grow_with_the_data(tmp_path, program):
    peaks = []
    for rows in (96_000, 192_000):
        _write(tmp_path / f"{rows}.zarr", rows, 4_000)
        with df.config.set(chunk_bytes=256 * 2**10):
            plan, _, _ = _plan_and_run(tmp_path / f"{rows}.zarr", program)
        peaks.append(plan.run_peak_bytes)
    assert peaks[1] <= 1.1 * peaks[0], peaks


def test_the_plan_names_the_peak_and_its_budget(tmp_path):
    _write(tmp_path / "d.zarr", 8_000, 1_000)
    with df.config.set(chunk_bytes=64 * 2**10, task_bytes=2**20):
        plan, _, _ = _plan_and_run(tmp_path / "d.zarr", _mlp)
    assert plan.run_budget == 2 * 2**20  # task_bytes over the run's two threads
    assert isinstance(plan.run_peak_op, df.Operation) and plan.run_peak_at.startswith("task ")
    assert f"peak {df.planner.format_bytes(plan.run_peak_bytes)} in the run" in repr(plan)


def test_a_run_over_its_budget_is_refused_before_anything_runs(tmp_path):
    _write(tmp_path / "d.zarr", 8_000, 1_000)
    with df.Graph().as_default():
        X = df.data.from_zarr(tmp_path / "d.zarr", component="X")
        w = df.Variable(np.ones((D, 1), "f4"))
        loss = df.reduce_mean(df.matmul(X, w))
        step = df.train.GradientDescentOptimizer(0.1).minimize(loss)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            with df.config.set(chunk_bytes=64 * 2**10, run_bytes=100 * 2**10):
                assert not s.plan(step).fits
                with pytest.raises(errors.ResourceExhaustedError, match=r"run_bytes.*Nothing was run") as e:
                    s.run(step)
            np.testing.assert_array_equal(s.run(w), np.ones((D, 1)))  # the step changed nothing
    msg = str(e.value)
    assert "100.00 KiB" in msg and "op '" in msg and "task " in msg


def test_a_fetched_whole_result_is_counted(tmp_path):
    # the whole array a fetch returns is memory the run holds: a result over the budget is refused
    zx, _ = _write(tmp_path / "d.zarr", 8_000, 1_000)
    with df.Graph().as_default():
        X = df.data.from_zarr(tmp_path / "d.zarr", component="X")
        with df.Session() as s, df.config.set(chunk_bytes=64 * 2**10):
            assert s.plan(X * 2.0).run_peak_bytes >= zx.nbytes
            with df.config.set(run_bytes=zx.nbytes // 2):
                with pytest.raises(errors.ResourceExhaustedError, match="to_zarr"):
                    s.run(X * 2.0)


def test_an_inline_run_is_projected_in_its_order():
    a = np.ones((300, 200))
    with df.Graph().as_default():
        x = df.placeholder(df.float64, a.shape)
        y = df.reduce_sum(df.exp(x) * 2.0 + x)
        with df.Session(scheduler="sync") as s:
            plan = s.plan(y, {x: a})
            # the fed value is memory already; exp(x), its double and the sum's input are made in turn
            assert 2 * a.nbytes <= plan.run_peak_bytes <= 6 * a.nbytes
            assert s.run(y, {x: a}) == pytest.approx(a.size * (2 * np.e + 1))


def test_lazy_feeds_are_projected_as_reads():
    n, d = 16_000, 8
    data = np.random.default_rng(0).standard_normal((n, d))
    with df.Graph().as_default():
        x = df.placeholder(df.float64, (None, d))
        loss = df.reduce_sum(df.square(x))
        with df.Session() as s:
            small = s.plan(loss, {x: da.from_array(data, chunks=(2000, d))}).run_peak_bytes
            large = s.plan(loss, {x: da.from_array(np.tile(data, (4, 1)), chunks=(2000, d))}).run_peak_bytes
            assert s.run(loss, {x: da.from_array(data, chunks=(2000, d))}) == pytest.approx((data ** 2).sum())
    assert 2000 * d * 8 <= small and large <= 1.1 * small


def test_to_zarr_is_planned_and_held_to_its_projection(tmp_path):
    import zarr
    zx, _ = _write(tmp_path / "d.zarr", 64_000, 1_000)
    with df.Graph().as_default():
        X = df.data.from_zarr(tmp_path / "d.zarr", component="X")
        w = df.Variable(np.linspace(-1, 1, D * 4).reshape(D, 4).astype("f4"))
        pred = df.nn.softmax(df.matmul(X, w))
        with df.Session() as s, df.config.set(chunk_bytes=64 * 2**10):
            s.run(df.global_variables_initializer())
            plan = df.io.plan_to_zarr(pred, session=s)
            assert plan.fits and plan.run_peak_bytes < zx.nbytes  # a few blocks and writes, not the data
            # the modules a first write imports are not the run's memory
            df.io.to_zarr(df.constant([1.0]), tmp_path / "warm.zarr", session=s, progress=False)
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                out = df.io.to_zarr(pred, tmp_path / "p.zarr", session=s, progress=False)
                peak = tracemalloc.get_traced_memory()[1] - before
            finally:
                tracemalloc.stop()
            with df.config.set(run_bytes=plan.run_peak_bytes // 4):
                with pytest.raises(errors.ResourceExhaustedError, match="Nothing was written"):
                    df.io.to_zarr(pred, tmp_path / "q.zarr", session=s, progress=False)
            wv = s.run(w)
    z = zx[:].astype(np.float64) @ wv
    ref = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(out[:], ref / ref.sum(1, keepdims=True), rtol=1e-4)
    assert peak <= plan.run_peak_bytes + 2**20  # zarr's own metadata and codec buffers: under a MiB
    assert not (tmp_path / "q.zarr").exists()


def test_sizes_correct_what_dask_records_for_reductions_and_stores():
    import zarr
    x = da.ones((1000, 10), chunks=(25, 10))
    s = x.sum(axis=0)
    g = s.__dask_graph__()
    sizes = projection.Sizes(g.layers, g.dependencies, {})
    first = next(n for n in g.layers if n.startswith("sum-") and "partial" not in n and "aggregate" not in n)
    assert sizes((first, 0, 0)) <= 3 * 10 * 8  # partial sums of one block, not the block (25 x 10)
    assert sizes((x.name, 0, 0)) == 25 * 10 * 8
    z = zarr.create_array(zarr.storage.MemoryStore(), shape=x.shape, chunks=(25, 10), dtype="f8")
    st = da.store([x], [z], lock=False, compute=False)
    g = st.__dask_graph__()
    sizes = projection.Sizes(g.layers, g.dependencies, {})
    assert sizes(next(iter(dask.core.flatten(st.__dask_keys__())))) == 0


def test_an_input_pipeline_s_buffers_are_part_of_the_run(tmp_path):
    zx, zy = _write(tmp_path / "d.zarr", 32_000, 1_000)
    plans = {}
    for buffer in (256, 8192):
        with df.Graph().as_default():
            X = df.data.from_zarr(tmp_path / "d.zarr", component="X")
            y = df.data.from_zarr(tmp_path / "d.zarr", component="y")
            ds = df.data.Dataset.from_tensor_slices((X, y)).shuffle(buffer, seed=1).batch(128)
            it = ds.make_one_shot_iterator()
            xb, yb = it.get_next()
            w = df.Variable(np.zeros((D, 1), "f4"))
            loss = df.reduce_mean(df.square(df.matmul(xb, w)[:, 0] - yb))
            step = df.train.GradientDescentOptimizer(0.1).minimize(loss)
            with df.Session() as s:
                s.run(df.global_variables_initializer())
                plans[buffer] = s.plan([step, loss])
                s.run([step, loss])  # the plan looked ahead only: the run takes the first batch
    small, large = plans[256], plans[8192]
    assert small.host_bytes > 0 and small.run_peak_bytes >= small.host_bytes
    # a bigger shuffle buffer holds more elements of X and y: 64 + 4 bytes a row
    assert large.host_bytes - small.host_bytes >= (8192 - 256) * (D * 4 + 4)


@pytest.mark.parametrize("program, passes", [(_standardised, 1), (_standardised_by_hand, 2),
                                                     (_logistic_2d_labels, 0), (_mlp, 0), (_gram, 0)])
def test_the_passes_over_the_data_a_cluster_runs_one_at_a_time(tmp_path, program, passes):
    # on a cluster, the values that end a pass over X and that the next pass reads (the column moments; or the
    # means, then the variances) are computed first: distributed's scheduler would otherwise keep every block of X for the next pass
    _write(tmp_path / "d.zarr", 48_000, 1_000)
    with df.Graph().as_default(), df.config.set(chunk_bytes=64 * 2**10):
        X = df.data.from_zarr(tmp_path / "d.zarr", component="X")
        y = df.data.from_zarr(tmp_path / "d.zarr", component="y")
        loss = program(X, y)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            s.plan(loss)
            plan = list(s._plans.values())[-1]  # the loss's (the initializer's is the other)
            ends = plan.passes()
    assert len(ends) == passes
    for keys in ends:  # small values, each used by every block of the pass that follows
        assert keys and all(plan.sizes(k) <= D * 8 for k in keys)
