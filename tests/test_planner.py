"""The chunk planner: chunk sizes from the memory budget, contractions whole or split, Session.plan's report and
the refusal of runs over the task budget."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow import planner


def test_chunks_for_respects_the_budget_and_keeps_trailing_axes_whole():
    with df.config.set(chunk_bytes=1000 * 8):
        c = planner.chunks_for((10_000, 10), "f8")
        assert c[1] == (10,) and max(c[0]) * 10 * 8 <= 8000 and sum(c[0]) == 10_000
        assert planner.chunks_for((5, 10), "f8") == ((5,), (10,))
        big_row = planner.chunks_for((3, 5000), "f8")  # one row is over budget: rows of one, columns cut
        assert big_row[0] == (1, 1, 1) and max(big_row[1]) * 8 <= 8000


def test_chunks_for_takes_whole_multiples_of_storage_chunks():
    with df.config.set(chunk_bytes=250 * 4 * 4):
        c = planner.chunks_for((1000, 4), "f4", previous=(60, 2))
        assert c[1] == (4,) and c[0][0] == 240 and sum(c[0]) == 1000
        # storage chunks over the budget are cut down
        c = planner.chunks_for((1000, 4), "f4", previous=(1000, 4))
        assert max(c[0]) * 16 <= 4000


def test_settings_are_checked():
    with pytest.raises(KeyError, match="unknown daskflow setting"):
        df.config.set(chunk_byte=10)
    with pytest.raises(ValueError, match="positive number of bytes"):
        df.config.set(chunk_bytes=0)
    with df.config.set(chunk_bytes=2**30):
        assert planner.task_bytes() == 8 * 2**30
    with df.config.set(task_bytes=12345):
        assert planner.task_bytes() == 12345


def test_budgets_come_from_what_runs_the_graph():
    import psutil
    from daskflow.executor import thread_count
    local = planner.local_budget()  # half the available memory over the threads
    assert 0.2 * psutil.virtual_memory().available / thread_count() < local <= psutil.virtual_memory().total
    assert planner.task_bytes() == local and planner.chunk_bytes() == min(32 * 2**20, max(2**20, local // 8))
    with planner.budget(80 * 2**20):  # a worker's memory for one thread
        assert planner.task_bytes() == 80 * 2**20 and planner.chunk_bytes() == 10 * 2**20
        assert planner.chunks_for((10**6, 16), "f8") == ((81920,) * 12 + (16960,), (16,))
        with df.config.set(chunk_bytes=2**20):  # a setting wins
            assert planner.chunk_bytes() == 2**20 and planner.task_bytes() == 16 * 2**20
        with df.config.set(task_bytes=10**6):
            assert planner.task_bytes() == 10**6 and planner.chunk_bytes() == 10 * 2**20
    with planner.budget(2**20):  # a tiny worker: blocks of 1 MiB at least, tasks within its budget
        assert planner.chunk_bytes() == 2**20 and planner.task_bytes() == 2**20


def test_settings_read_as_dask_config_reads_them():
    import dask
    assert df.config.get("chunk_bytes") is None and df.config.get("fusion") is True  # the defaults
    with dask.config.set({"daskflow.chunk-bytes": 4096}):  # dask's other spelling of the name
        assert df.config.get("chunk_bytes") == 4096 and planner.chunks_for((100, 8), "f8") == ((64, 36), (8,))
    # what dask reads from DASK_DASKFLOW__TASK_BYTES in the environment
    env = dask.config.collect_env({"DASK_DASKFLOW__TASK_BYTES": "777"})
    with dask.config.set(env):
        assert df.config.get("task_bytes") == 777 and planner.task_bytes() == 777
    assert df.config.get("task_bytes") is None and df.config.get("chunk_bytes") is None


def _logreg(n=4000, d=16):
    x = df.placeholder(df.float64, (None, d))
    y = df.placeholder(df.float64, (None, 1))
    w = df.Variable(np.zeros((d, 1)))
    loss = df.reduce_mean(df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=df.matmul(x, w)))
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, d)), (rng.random((n, 1)) > 0.5).astype(np.float64)
    return x, y, w, loss, X, Y


def test_plan_reports_tasks_peak_op_and_bytes():
    with df.Graph().as_default():
        x, y, w, loss, X, Y = _logreg()
        g = df.gradients(loss, [w])[0]
        with df.Session() as s, df.config.set(chunk_bytes=500 * 16 * 8):
            s.run(w.initializer)
            p = s.plan([loss, g], {x: da.from_array(X, chunks=(500, 16)), y: Y})
            assert p.fits and p.tasks > 8 and p.read_bytes == X.nbytes and p.feed_bytes == Y.nbytes
            assert p.peak_task_bytes == max(b for _, b in p.footprints)
            assert p.peak_op.name == p.footprints[0][0].name and "peak" in repr(p)
            # the gradient's contraction runs over all rows: split in blocks of 500 rows and summed
            assert p.peak_task_bytes < 4 * 500 * 16 * 8
            lv, gv = s.run([loss, g], {x: da.from_array(X, chunks=(500, 16)), y: Y})
    np.testing.assert_allclose(lv, np.log(2.0))
    np.testing.assert_allclose(gv, X.T @ (0.5 - Y) / len(X), rtol=1e-10)


def _matmul_footprint(a_chunks, b_chunks, a_shape=(64, 400), b_shape=(400, 8)):
    with df.Graph().as_default():
        a = df.placeholder(df.float64, a_shape)
        b = df.placeholder(df.float64, b_shape)
        c = df.matmul(a, b)
        A, B = np.random.default_rng(1).random(a_shape), np.random.default_rng(2).random(b_shape)
        with df.Session() as s:
            feeds = {a: da.from_array(A, chunks=a_chunks), b: da.from_array(B, chunks=b_chunks)}
            np.testing.assert_allclose(s.run(c, feeds), A @ B, rtol=1e-12)
            return dict((op.name, n) for op, n in s.plan(c, feeds).footprints)["MatMul"]


def test_contraction_split_along_aligned_blocks_else_whole_when_it_fits():
    whole = 64 * 400 * 8 + 400 * 8 * 8 + 64 * 8 * 8
    split = 64 * 100 * 8 + 100 * 8 * 8 + 64 * 8 * 8
    with df.config.set(chunk_bytes=2**20):
        assert _matmul_footprint((64, 100), (100, 8)) == split  # same blocks along k: partial products summed
        assert _matmul_footprint((64, 100), (400, 8)) == whole  # b has k whole: a's row block merged
    with df.config.set(chunk_bytes=64 * 100 * 8):  # a whole row block of a is over budget: split
        assert _matmul_footprint((64, 100), (400, 8)) < whole


def test_a_run_over_the_task_budget_is_refused_before_anything_runs():
    with df.Graph().as_default():
        m = df.placeholder(df.float64, (3000, 3000))
        v = df.Variable(0.0)
        inc = df.assign_add(v, 1.0)
        with df.control_dependencies([inc]):
            out = df.reduce_sum(df.linalg.inv(m))
        big = da.eye(3000, chunks=500, dtype=np.float64)
        with df.Session() as s, df.config.set(chunk_bytes=2**20, task_bytes=32 * 2**20):
            s.run(v.initializer)
            p = s.plan(out, {m: big})
            assert not p.fits and p.peak_op.type == "MatrixInverse" and "OVER BUDGET" in repr(p)
            with pytest.raises(df.errors.ResourceExhaustedError,
                               match=r"Op 'MatrixInverse' \(type MatrixInverse\) would hold about 137\.\d+ MiB"):
                s.run(out, {m: big})
            assert s.run(v) == 0.0  # nothing ran
        with df.Session() as s, df.config.set(task_bytes=2**30):
            s.run(v.initializer)
            assert s.run(out, {m: big}) == pytest.approx(3000.0)
            assert s.run(v) == 1.0


def test_variables_bigger_than_a_chunk_are_chunked_and_updated():
    with df.Graph().as_default(), df.config.set(chunk_bytes=100 * 8 * 8):
        init = np.arange(8000, dtype=np.float64).reshape(1000, 8)
        v = df.Variable(init)
        step = df.assign_sub(v, 0.5 * df.sin(v))
        with df.Session() as s:
            s.run(v.initializer)
            p = s.plan(step)
            assert p.peak_task_bytes <= 4 * 100 * 8 * 8  # blocks of 100 rows, not the whole variable
            s.run(step)
            np.testing.assert_allclose(s.run(v), init - 0.5 * np.sin(init))
            np.testing.assert_allclose(s.run(df.reduce_sum(v)), (init - 0.5 * np.sin(init)).sum())
