"""Session.run: fetch structures, partial execution, feeds of every kind, errors, plan cache, threads, schedulers."""
import collections
import threading

import dask
import dask.array as da
import numpy as np
import pytest

import daskflow as df
import daskflow.lowering
from daskflow.testing import raise_if_computes

pytestmark = pytest.mark.every_executor  # and again on a LocalCluster (tests/conftest.py)


@pytest.fixture
def mlp():
    x = df.placeholder(df.float32, shape=(None, 4), name="x")
    w = df.constant(np.arange(12, dtype="f4").reshape(4, 3) / 10, name="w")
    h = df.nn.relu(df.matmul(x, w) - 1.0)
    c = df.reduce_sum(h, name="C")
    xv = np.random.default_rng(0).uniform(-1, 2, (10, 4)).astype("f4")
    ref_h = np.maximum(xv @ (np.arange(12, dtype="f4").reshape(4, 3) / 10) - 1, 0)
    return x, h, c, xv, ref_h


def test_run_tensor_gives_numpy(mlp):
    x, h, c, xv, ref_h = mlp
    with df.Session() as s:
        out = s.run(c, {x: xv})
        hv = s.run(h, feed_dict={x: xv})
    assert isinstance(out, np.float32)
    np.testing.assert_allclose(out, ref_h.sum(), rtol=1e-5)
    assert isinstance(hv, np.ndarray) and hv.dtype == np.float32
    np.testing.assert_allclose(hv, ref_h, rtol=1e-5)


def test_fetch_structures(mlp):
    x, h, c, xv, ref_h = mlp
    Pair = collections.namedtuple("Pair", "total act")
    with df.Session() as s:
        out = s.run({"a": [c, (h, "C:0")], "b": Pair(c, h), "op": c.op}, {x: xv})
    assert set(out) == {"a", "b", "op"}
    assert isinstance(out["a"], list) and isinstance(out["a"][1], tuple)
    np.testing.assert_allclose(out["a"][1][1], ref_h.sum(), rtol=1e-5)
    assert isinstance(out["b"], Pair)
    np.testing.assert_allclose(out["b"].act, ref_h, rtol=1e-5)
    assert out["op"] is None


def test_operation_fetch_returns_none(mlp):
    x, h, c, xv, _ = mlp
    with df.Session() as s:
        assert s.run(c.op, {x: xv}) is None
        assert s.run(df.no_op()) is None


def test_partial_execution_computes_only_what_is_needed():
    a = df.constant(2.0)
    unfed = df.placeholder(df.float32, name="unfed")
    bad = df.check_numerics(df.log(df.constant(-1.0)), "never run")
    other = a * unfed + bad
    b = a * 3.0
    with df.Session() as s:
        assert s.run(b) == 6.0
    assert other.op.type == "AddV2"


def test_unfed_placeholder_is_named():
    x = df.placeholder(df.float32, shape=(None, 784), name="images")
    y = df.reduce_sum(x)
    with df.Session() as s, pytest.raises(df.errors.InvalidArgumentError,
                                          match=r"must feed a value for placeholder tensor 'images' with dtype "
                                                r"float32 and shape \[\?,784\]"):
        s.run(y)


def test_feed_shape_and_dtype_checked_before_compute():
    x = df.placeholder(df.float32, shape=(None, 3), name="x")
    i = df.placeholder(df.int32, shape=(2,), name="i")
    y = df.reduce_sum(x)
    with df.Session() as s, raise_if_computes():
        with pytest.raises(df.errors.InvalidArgumentError,
                           match=r"Cannot feed value of shape \(2, 4\) for Tensor 'x:0', which has shape \(\?, 3\)"):
            s.run(y, {x: np.ones((2, 4))})
        with pytest.raises(df.errors.InvalidArgumentError, match="dtype float64 for Tensor 'i:0'.*int32"):
            s.run(i, {i: np.ones(2)})
        with pytest.raises(df.errors.InvalidArgumentError, match="dtype string for Tensor 'x:0', which has dtype "
                                                                 "float32"):
            s.run(y, {x: [["a", "b", "c"]]})
        with pytest.raises(df.errors.InvalidArgumentError, match=r"shape \(3,\)"):
            s.run(y, {x: da.ones(3, chunks=1)})


@pytest.mark.parametrize("dtype, value, where", [
    (df.int32, [[1, 2, 3], [1, 2]], "lengths 3 and 2 along dimension 1"),
    (df.float32, [[[1.0], [2.0]], [[1.0], [2.0, 3.0]]], "lengths 2 and 1 along dimension 2"),
    (df.int32, [[1, 2], 3], "lists next to scalars along dimension 1"),
    (df.string, [["a", "b"], ["c"]], "lengths 2 and 1 along dimension 1"),
])
def test_ragged_feeds_name_the_tensor(dtype, value, where):
    p = df.placeholder(dtype, name="myplace")
    y = df.identity(p)
    with df.Session() as s, raise_if_computes():
        with pytest.raises(ValueError, match="Cannot feed a ragged value for Tensor 'myplace:0'") as e:
            s.run(y, {p: value})
    assert isinstance(e.value, df.errors.InvalidArgumentError)  # a ValueError, as numpy's error that TF lets out
    assert "not rectangular" in str(e.value) and where in str(e.value)


def test_an_empty_list_feeds_any_dtype():
    p = df.placeholder(df.int32, (None,))
    with df.Session() as s:
        got = s.run(p + 1, {p: []})
    assert got.shape == (0,) and got.dtype == np.int32


def test_feed_kinds(tmp_path, mlp):
    x, h, c, xv, ref_h = mlp
    import h5py
    import zarr
    z = zarr.open_array(str(tmp_path / "x.zarr"), mode="w", shape=xv.shape, chunks=(3, 4), dtype="f4")
    z[:] = xv
    np.save(tmp_path / "x.npy", xv)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f.create_dataset("x", data=xv, chunks=(5, 4))
    with h5py.File(tmp_path / "x.h5", "r") as f, df.Session() as s:
        for value in [xv, xv.tolist(), xv.astype("f8"), da.from_array(xv, chunks=(3, 2)), z, mm, f["x"]]:
            np.testing.assert_allclose(s.run(h, {x: value}), ref_h, rtol=1e-5, err_msg=type(value).__name__)
    with df.Session() as s:
        assert s.run(x * 2.0, {x: [[1, 2, 3, 4]]}).tolist() == [[2, 4, 6, 8]]  # lists and ints cast to float32
        assert s.run(df.constant(1.0) + df.placeholder(df.float32, name="p"), {"p:0": 2}) == 3.0


def test_dask_feed_stays_lazy_and_keeps_chunks():
    x = df.placeholder(df.float64, shape=(None, 4), name="x")
    y = x * 2.0
    lazy = da.random.default_rng(0).random((100, 4), chunks=(30, 4))
    out = df.lower(y, feed_dict={x: lazy})
    assert isinstance(out, da.Array) and out.chunks == lazy.chunks
    np.testing.assert_allclose(out.compute(), lazy.compute() * 2)


def test_any_tensor_can_be_fed_and_cuts_the_graph():
    x = df.placeholder(df.float32, name="x")
    h = df.exp(x, name="h")
    y = h + 1.0
    with df.Session() as s:
        assert s.run(y, {h: 5.0}) == 6.0  # x is not needed: h is fed
        assert s.run(h, {h: 2.0}) == 2.0


def test_repeated_run_reuses_the_plan(monkeypatch, mlp):
    x, h, c, xv, ref_h = mlp
    calls = []
    real = daskflow.lowering.Lowering.run
    monkeypatch.setattr(daskflow.lowering.Lowering, "run", lambda self, t: calls.append(1) or real(self, t))
    with df.Session() as s:
        for k in range(5):
            np.testing.assert_allclose(s.run(c, {x: xv * k}), np.maximum(
                (xv * k) @ (np.arange(12, dtype="f4").reshape(4, 3) / 10) - 1, 0).sum(), rtol=1e-5)
        assert len(calls) == 1
        s.run(c, {x: xv[:3]})  # a new shape with the same chunk structure... a new feed signature
        s.run(c, {x: da.from_array(xv, chunks=5)})  # new chunking: a new plan
        assert len(calls) == 3
        s.run(c, {x: da.from_array(xv * 2, chunks=5)})
        assert len(calls) == 3


def test_feed_data_is_not_hashed(monkeypatch, mlp):
    x, h, c, xv, ref_h = mlp
    import dask.base
    seen = []
    real = dask.base.tokenize
    monkeypatch.setattr(dask.base, "tokenize", lambda *a, **k: seen.append(a) or real(*a, **k))
    with df.Session() as s:
        s.run(c, {x: xv})
    assert not any(any(v is xv for v in args) for args in seen)


def test_one_dask_call_per_run(mlp):
    x, h, c, xv, ref_h = mlp
    starts = []

    class Count(dask.callbacks.Callback):
        def _start(self, dsk):
            starts.append(len(dsk))

    with df.Session(scheduler="threads") as s, Count():
        out = s.run([c, h, h * 2.0, df.reduce_sum(h * 2.0)], {x: xv})
    assert len(starts) == 1
    np.testing.assert_allclose(out[3], 2 * ref_h.sum(), rtol=1e-5)


@pytest.mark.parametrize("scheduler", ["sync", "threads", "processes", None])
def test_schedulers_agree(scheduler, mlp):
    x, h, c, xv, ref_h = mlp
    v = df.Variable(np.ones(3, "f4"), name="v")
    step = v.assign_add(df.reduce_sum(h, axis=0))
    with df.Session(scheduler=scheduler) as s:
        s.run(v.initializer)
        out = s.run([c, step], {x: da.from_array(xv, chunks=(3, 4))})
        np.testing.assert_allclose(out[0], ref_h.sum(), rtol=1e-5)
        np.testing.assert_allclose(s.run(v), 1 + ref_h.sum(axis=0), rtol=1e-5)


def test_eval_run_and_compute(mlp):
    x, h, c, xv, ref_h = mlp
    v = df.Variable(1.0, name="v")
    with df.Session() as s:
        v.initializer.run()
        np.testing.assert_allclose(c.eval({x: xv}), ref_h.sum(), rtol=1e-5)
        np.testing.assert_allclose(c.compute(feed_dict={x: xv}), ref_h.sum(), rtol=1e-5)
        assert v.eval() == 1.0
        assert (v * 2.0).compute() == 2.0  # .compute() inside a session sees its variables
    assert df.reduce_sum(df.constant([1.0, 2.0])).compute() == 3.0
    assert df.reduce_sum(df.constant([1.0, 2.0])).compute(scheduler="threads") == 3.0
    with pytest.raises(ValueError, match="without a session"):
        c.eval({x: xv})


def test_interactive_session_is_default():
    s = df.InteractiveSession(config=df.ConfigProto(allow_soft_placement=True))
    try:
        assert df.get_default_session() is s
        assert (df.constant(2.0) * 3.0).eval() == 6.0
    finally:
        s.close()
    assert df.get_default_session() is None


def test_closed_session_refuses_runs():
    s = df.Session()
    s.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        s.run(df.constant(1.0))


def test_fetch_from_another_graph_is_refused():
    g = df.Graph()
    with g.as_default():
        t = df.constant(1.0)
    with df.Session() as s, pytest.raises(ValueError, match="not an element of this session's graph"):
        s.run(t)


def test_bad_fetch_type():
    with df.Session() as s, pytest.raises(TypeError, match="invalid type int"):
        s.run(3)


def test_threads_share_a_session(mlp):
    x, h, c, xv, ref_h = mlp
    v = df.Variable(0.0, name="counter")
    inc = v.assign_add(1.0)
    errors, results = [], {}
    with df.Session() as s:
        s.run(v.initializer)

        def work(k):
            try:
                for _ in range(20):
                    results[k] = s.run(c, {x: xv * k})
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        for k in range(4):
            np.testing.assert_allclose(results[k], np.maximum((xv * k) @ (np.arange(12, dtype="f4").reshape(4, 3)
                                                                           / 10) - 1, 0).sum(), rtol=1e-5)
        s.run(inc)
        assert s.run(v) == 1.0


def test_lower_returns_lazy_dask_arrays(mlp):
    x, h, c, xv, ref_h = mlp
    with raise_if_computes():
        out = df.lower({"c": c, "h": h, "op": c.op}, feed_dict={x: xv})
    assert isinstance(out["c"], da.Array) and out["op"] is None
    np.testing.assert_allclose(out["h"].compute(), ref_h, rtol=1e-5)
    np.testing.assert_allclose(out["c"].compute(), ref_h.sum(), rtol=1e-5)


def test_large_numpy_feed_is_chunked_by_budget():
    x = df.placeholder(df.float64, shape=(None, 8), name="x")
    xv = np.random.default_rng(1).random((1000, 8))
    with df.config.set(chunk_bytes=8 * 8 * 100):
        lazy = df.lower(x * 1.0, feed_dict={x: xv})
        assert lazy.numblocks == (10, 1)
        with df.Session() as s:
            np.testing.assert_allclose(s.run(df.reduce_sum(x), {x: xv}), xv.sum())


def test_config_rejects_unknown_settings():
    with pytest.raises(KeyError, match="unknown daskflow setting"):
        df.config.set(chunk_size=1)


def test_chunked_gradient_through_many_strided_slices():
    # a deep gradient graph over a chunked feed: dask copies stand-in inputs into setitem layers, and dask's
    # root fusion would copy the feed's leaf into its users; both must leave the run's feed values in place
    from daskflow.testing import check_grads, chunkings

    def windows_max(x):
        views = [x[:, i:i + 5:2, j:j + 5:2, :] for i in range(2) for j in range(2)]
        return df.reduce_max(df.stack(views, axis=3), axis=3)

    xv = np.random.default_rng(0).permutation(2 * 6 * 6).reshape(2, 6, 6, 1) / 10.0
    check_grads(windows_max, [xv], chunks=[list(chunkings(xv.shape))[-1]])


def _double(x):
    return 2 * x


def _combine(items, scale, offset=0):
    return sum(items) * scale + offset


def test_compiled_tasks_evaluate_as_dask():
    """Tasks with lists, tuples, data, aliases and nested calls as arguments give what dask's own evaluation gives,
    without going through it."""
    from dask._task_spec import Alias, DataNode, List, Task, TaskRef, Tuple
    from daskflow.executor import compile_task

    cache = {"a": np.arange(3.0), "b": np.ones(3), ("c", 0): np.full(3, 5.0)}
    nodes = [
        Task("t1", _combine, List(TaskRef("a"), TaskRef("b"), TaskRef(("c", 0))), 2.0),
        Task("t2", _combine, Tuple(TaskRef("a"), DataNode(None, np.full(3, 7.0))), DataNode(None, 3.0),
             offset=TaskRef("b")),
        Task("t3", _combine, List(Task("inner", _double, TaskRef("a")), Alias("al", "b"), 1.0), 0.5),
        Task("t4", _combine, List(TaskRef("a"), TaskRef("b")), 1.0, offset=4.0),
        Task("t5", np.concatenate, List(TaskRef("a"), TaskRef(("c", 0)))),
    ]
    for node in nodes:
        run = compile_task(node)
        assert "node" not in run.__code__.co_freevars  # called directly, not through dask's evaluation
        expected = node({d: cache[d] for d in node.dependencies})
        np.testing.assert_array_equal(run(cache), expected)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_concat_over_many_chunks_matches_numpy(scheduler):
    rng = np.random.default_rng(0)
    av, bv = rng.standard_normal((7, 3)), rng.standard_normal((5, 3))
    a, b = df.placeholder(df.float64, (None, 3)), df.placeholder(df.float64, (None, 3))
    joined = df.concat([a, b], axis=0)
    across = df.concat([a[:5], b], axis=1)
    total = df.reduce_sum(joined, axis=0)  # split along the reduced axis: dask's tree of partial sums
    with df.config.set(chunk_bytes=2 * 3 * 8), df.Session(scheduler=scheduler) as s:  # feeds of 2-row blocks
        assert df.lower(joined, {a: av, b: bv}).numblocks == (7, 1)
        j, c, t = s.run([joined, across, total], {a: av, b: bv})  # sync: the session's walk of compiled tasks
    np.testing.assert_array_equal(j, np.concatenate([av, bv]))
    np.testing.assert_array_equal(c, np.concatenate([av[:5], bv], axis=1))
    np.testing.assert_allclose(t, np.concatenate([av, bv]).sum(0), rtol=1e-12)


@pytest.mark.parametrize("build, kind", [
    (lambda a, b: df.matmul(a, b, name="prod"), "BatchMatMulV2"),
    (lambda a, b: df.concat([a, b], 1, name="joined"), "ConcatV2"),
    (lambda a, b: df.where(a > 0, a, df.identity(b), name="picked"), "Select"),
    (lambda a, b: df.stack([a, b], name="stacked"), "Pack"),
], ids=["matmul", "concat", "where", "stack"])
def test_fed_shapes_an_op_cannot_take_raise_naming_it(build, kind):
    # static shapes say nothing (all None): the mismatch shows when the fed values are lowered
    with df.Graph().as_default():
        a, b = df.placeholder(df.float32, (None, None)), df.placeholder(df.float32, (None, None))
        out = build(a, b)
        with df.Session() as s:
            with pytest.raises(df.errors.InvalidArgumentError,
                               match=rf"{kind} cannot run on inputs of shapes \(4, 3\).*\[op '{out.op.name}'"):
                s.run(out, {a: np.ones((4, 3), "f4"), b: np.ones((2, 2), "f4")})


def test_a_default_run_does_not_import_distributed():
    # scheduler=None looks for an active dask.distributed client only where one can exist (distributed imported)
    import subprocess
    import sys
    code = ("import sys, numpy as np, daskflow as df\n"
            "x = df.placeholder(df.float32, (None, 2))\n"
            "with df.Session() as s:\n"
            "    assert s.run(df.reduce_sum(x * 2.0), {x: np.ones((3, 2), 'f4')}) == 12.0\n"
            "print('distributed' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
