"""gather_nd, batch_gather, scatter_nd and the tensor_scatter_* family against numpy over several chunkings, with
their index checks and gradients (``GRAD_CASES``); the variable scatters and count_up_to: the variable's value
after a run, and no change after a run that fails."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, SweepCase, assert_op, rand, run_graph, with_unknown_dims

TESTED_OPS = {"LinearIndex", "TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMin",
              "TensorScatterMax", "TensorScatterMul", "TensorScatterDiv", "CountUpTo"}

Invalid = df.errors.InvalidArgumentError


def np_gather_nd(p, idx, batch_dims=0):
    if batch_dims:
        return np.stack([np_gather_nd(pb, ib, batch_dims - 1) for pb, ib in zip(p, idx)])
    idx = np.asarray(idx)
    k = idx.shape[-1]
    flat = idx.reshape(-1, k)
    out = np.stack([p[tuple(row)] for row in flat]) if flat.size else np.zeros((0,) + p.shape[k:], p.dtype)
    return out.reshape(idx.shape[:-1] + p.shape[k:])


def np_scatter(t, idx, upd, mode):
    out = np.array(t, copy=True)
    idx = np.asarray(idx)
    k = idx.shape[-1]
    rows = idx.reshape(-1, k)
    u = np.asarray(upd).reshape((rows.shape[0],) + out.shape[k:])
    for r, v in zip(rows, u):
        key = tuple(r)
        if mode == "update":
            out[key] = v
        elif mode == "add":
            out[key] = out[key] + v
        elif mode == "sub":
            out[key] = out[key] - v
        elif mode == "min":
            out[key] = np.minimum(out[key], v)
        elif mode == "max":
            out[key] = np.maximum(out[key], v)
    return out


# -- gather_nd

@pytest.mark.parametrize("pshape,idx", [
    ((4, 3), [[1, 2], [3, 0], [0, 0]]),
    ((4, 3, 2), [[1], [3], [1]]),
    ((4, 3, 2), [[[1, 2], [0, 1]], [[3, 2], [2, 0]]]),
    ((5,), [[4], [0]]),
    ((4, 3), np.zeros((0, 2), np.int32)),
])
def test_gather_nd(pshape, idx):
    p = rand(pshape)
    assert_op(lambda t: df.gather_nd(t, idx), lambda a: np_gather_nd(a, idx), p)


def test_gather_nd_batch_dims():
    p = rand((3, 4, 2))
    idx = np.array([[[1], [3]], [[0], [0]], [[2], [1]]])
    got = assert_op(lambda t: df.gather_nd(t, idx, batch_dims=1), lambda a: np_gather_nd(a, idx, 1), p)
    assert got.shape == (3, 2, 2)
    assert df.gather_nd(df.placeholder(df.float32, (3, 4, 2)), idx, batch_dims=1).shape == (3, 2, 2)


def test_gather_nd_errors():
    p = df.placeholder(df.float32, (4, 3))
    with pytest.raises(Invalid, match=r"indices\[1\] = \[4, 0\] does not index into param shape \[4,3\]"):
        df.gather_nd(p, [[1, 2], [4, 0]])
    with pytest.raises(ValueError, match="last dim of indices must be known"):
        df.gather_nd(p, df.placeholder(df.int32, (2, None)))
    idx = df.placeholder(df.int32, (None, 2))
    out = df.gather_nd(p, idx)
    with df.Session() as s, pytest.raises(Invalid, match=r"indices\[2\] = \[0, -1\] does not index into param "
                                                          r"shape \[4,3\]"):
        s.run(out, {p: np.zeros((4, 3)), idx: [[0, 0], [1, 1], [0, -1]]})


def test_batch_gather():
    p = rand((2, 5, 3))
    idx = np.array([[4, 0, 0], [1, 2, 3]])
    want = np.stack([p[b][idx[b]] for b in range(2)])
    assert_op(lambda t: df.batch_gather(t, idx), lambda a: want, p)


# -- scatters

@pytest.mark.parametrize("mode,fn", [("update", df.tensor_scatter_nd_update), ("add", df.tensor_scatter_nd_add),
                                     ("sub", df.tensor_scatter_nd_sub), ("min", df.tensor_scatter_nd_min),
                                     ("max", df.tensor_scatter_nd_max)])
@pytest.mark.parametrize("tshape,idx", [((6, 3), [[4], [0], [4], [5]]), ((4, 3, 2), [[1, 2], [3, 0], [1, 2]]),
                                        ((5,), [[1], [1], [3]])])
def test_tensor_scatter(mode, fn, tshape, idx):
    t = rand(tshape)
    idx_a = np.asarray(idx)
    u = rand(idx_a.shape[:-1] + tshape[idx_a.shape[-1]:], seed=1)
    # repeated index tuples: "update" keeps the last, the others combine them all
    assert_op(lambda a, b: fn(a, idx, b), lambda a, b: np_scatter(a, idx, b, mode), t, u)


def test_tensor_scatter_old_names_and_scatter_nd():
    assert df.tensor_scatter_update is df.tensor_scatter_nd_update
    assert df.tensor_scatter_add is df.tensor_scatter_nd_add
    assert df.tensor_scatter_sub is df.tensor_scatter_nd_sub
    got = df.scatter_nd([[4], [3], [1], [7], [4]], [9, 10, 11, 12, 1], [8]).compute()
    np.testing.assert_array_equal(got, [0, 11, 0, 10, 10, 0, 0, 12])
    upd = rand((2, 3))
    assert_op(lambda u: df.scatter_nd([[0, 1], [2, 2]], u, [3, 4, 3]),
              lambda u: np_scatter(np.zeros((3, 4, 3)), [[0, 1], [2, 2]], u, "add"), upd)


def test_scatter_errors():
    t = df.placeholder(df.float32, (4, 3))
    with pytest.raises(Invalid, match=r"indices\[0\] = \[7\] does not index into shape \[4\]"):
        df.tensor_scatter_nd_update(t, [[7]], np.ones((1, 3), np.float32))
    with pytest.raises(Invalid, match=r"updates must have shape .*\(2, 3\)"):
        df.tensor_scatter_nd_add(t, [[1], [2]], np.ones((2, 2), np.float32))
    with pytest.raises(Invalid, match="dtype"):
        df.tensor_scatter_nd_add(t, [[1]], df.constant(np.ones((1, 3), np.float64)))


def test_scatter_unknown_dims():
    t, u = rand((6, 3)), rand((2, 3), seed=1)
    assert_op(lambda a, b: df.tensor_scatter_nd_add(a, [[5], [0]], b),
              lambda a, b: np_scatter(a, [[5], [0]], b, "add"), t, u, feed_static_shape=False)


# -- variables

def _run_var(init, build, feeds=None):
    v = df.Variable(np.asarray(init))
    out = build(v)
    with df.Session() as s:
        s.run(v.initializer)
        got = s.run(out, feeds)
        return got, s.run(v)


@pytest.mark.parametrize("fn,mode", [(df.scatter_update, "update"), (df.scatter_add, "add"),
                                     (df.scatter_sub, "sub"), (df.scatter_min, "min"), (df.scatter_max, "max"),
                                     (df.scatter_mul, "mul"), (df.scatter_div, "div")])
def test_variable_scatter(fn, mode):
    init = rand((5, 2), low=1, high=3)
    idx = np.array([3, 0, 3])
    upd = rand((3, 2), low=1, high=3, seed=1)
    want = init.copy()
    for i, u in zip(idx, upd):
        want[i] = {"update": lambda a, b: b, "add": np.add, "sub": np.subtract, "min": np.minimum,
                   "max": np.maximum, "mul": np.multiply, "div": np.divide}[mode](want[i], u)
    df.reset_default_graph()
    got, after = _run_var(init, lambda v: fn(v, idx, upd))
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(after, want)


def test_scatter_div_ints_truncates():
    df.reset_default_graph()
    _, after = _run_var(np.array([7, -7, 9], np.int32), lambda v: df.scatter_div(v, [0, 1], [2, 2]))
    np.testing.assert_array_equal(after, [3, -3, 9])


@pytest.mark.parametrize("fn,mode", [(df.scatter_nd_update, "update"), (df.scatter_nd_add, "add"),
                                     (df.scatter_nd_sub, "sub")])
def test_variable_scatter_nd(fn, mode):
    df.reset_default_graph()
    init = rand((3, 4, 2))
    idx = [[0, 1], [2, 3]]
    upd = rand((2, 2), seed=2)
    _, after = _run_var(init, lambda v: fn(v, idx, upd))
    np.testing.assert_allclose(after, np_scatter(init, idx, upd, mode))


def test_batch_scatter_update():
    df.reset_default_graph()
    init = rand((2, 4, 3))
    idx = np.array([[3, 0], [1, 1]])
    upd = rand((2, 2, 3), seed=3)
    want = init.copy()
    for b in range(2):
        for j in range(2):
            want[b, idx[b, j]] = upd[b, j]
    _, after = _run_var(init, lambda v: df.batch_scatter_update(v, idx, upd))
    np.testing.assert_allclose(after, want)


def test_failed_scatter_run_changes_nothing():
    df.reset_default_graph()
    init = rand((3, 2))
    v = df.Variable(init)
    idx = df.placeholder(df.int32, [None])
    a = df.scatter_add(v, idx, np.ones((1, 2)))
    u = df.scatter_update(v, [0], np.zeros((1, 2)))
    with df.Session() as s:
        s.run(v.initializer)
        with pytest.raises(Invalid, match=r"indices\[0\] = \[5\] does not index into shape \[3\]"):
            s.run([u, a], {idx: [5]})
        np.testing.assert_array_equal(s.run(v), init)
        s.run(a, {idx: [2]})
        np.testing.assert_allclose(s.run(v), init + [[0, 0], [0, 0], [1, 1]])


def test_scatter_reads_assignments_ordered_before():
    df.reset_default_graph()
    v = df.Variable(np.zeros(3))
    first = df.assign(v, [1.0, 2.0, 3.0])
    with df.control_dependencies([first]):
        second = df.scatter_add(v, [1], [10.0])
    with df.Session() as s:
        s.run(v.initializer)
        np.testing.assert_allclose(s.run(second), [1, 12, 3])
        np.testing.assert_allclose(s.run(v), [1, 12, 3])


def test_scatter_needs_a_variable():
    with pytest.raises(TypeError, match="Variable"):
        df.scatter_update(df.constant([1.0]), [0], [2.0])


def test_count_up_to():
    df.reset_default_graph()
    v = df.Variable(0, name="counter")
    c = df.count_up_to(v, 2)
    with df.Session() as s:
        s.run(v.initializer)
        assert [s.run(c), s.run(c)] == [0, 1]
        with pytest.raises(df.errors.OutOfRangeError, match="Reached limit of 2"):
            s.run(c)
        assert s.run(v) == 2


def _gather_nd(x):
    return df.gather_nd(x, [[1, 2], [3, 0], [1, 2]])


_IDX = [[4], [0], [4], [5]]
GRAD_CASES = [
    GradCase({"GatherV2", "LinearIndex"}, _gather_nd, [(4, 3)], order=2),
    GradCase("GatherV2", with_unknown_dims(_gather_nd), [(4, 3, 2)]),
    GradCase("GatherV2", lambda x: df.gather_nd(x, [[[1], [3]], [[0], [0]]], batch_dims=1), [(2, 4, 3)]),
    GradCase("TensorScatterUpdate", lambda t, u: df.tensor_scatter_nd_update(t, _IDX, u), [(6, 3), (4, 3)],
             order=2),
    GradCase("TensorScatterAdd", lambda t, u: df.tensor_scatter_nd_add(t, _IDX, u), [(6, 3), (4, 3)], order=2),
    GradCase("TensorScatterAdd", lambda u: df.scatter_nd([[1, 2], [0, 0]], u, [3, 4]), [(2,)]),
    GradCase("TensorScatterSub", lambda t, u: df.tensor_scatter_nd_sub(t, [[1, 2], [3, 0]], u),
             [(4, 3, 2), (2, 2)]),
    GradCase("TensorScatterMin", lambda t, u: df.tensor_scatter_nd_min(t, _IDX, u), [(6, 3), (4, 3)]),
    GradCase("TensorScatterMax", lambda t, u: df.tensor_scatter_nd_max(t, _IDX, u), [(6, 3), (4, 3)]),
    GradCase("TensorScatterAdd", with_unknown_dims(lambda t, u: df.tensor_scatter_nd_add(t, [[1], [1]], u)),
             [(3, 2), (2, 2)]),
]


def test_scatter_min_max_gradient_shares_ties():
    t = np.array([1.0, 5.0, 2.0])
    u = np.array([1.0, 3.0])

    def build(a, b):
        out = df.tensor_scatter_nd_min(a, [[0], [1]], b)
        return df.gradients(df.reduce_sum(out * [1.0, 2.0, 3.0]), [a, b])
    ga, gb = run_graph(build, t, u)
    np.testing.assert_allclose(ga, [0.5, 0.0, 3.0])  # entry 0 ties with its update: they share dy
    np.testing.assert_allclose(gb, [0.5, 2.0])


def _scatter_mul_div(idx, upd):
    a, b, n = df.Variable(rand((5, 2), low=1, high=3)), df.Variable(rand((5, 2), low=1, high=3, seed=4)), df.Variable(0)
    return [df.scatter_mul(a, idx, upd), df.scatter_div(b, idx, upd), df.count_up_to(n, 3)], \
        [df.global_variables_initializer()]


SWEEP_CASES = [SweepCase(_scatter_mul_div, np.array([3, 0, 3]), rand((3, 2), low=1, high=3, seed=1),
                         name="variable_scatter_mul_div", init=True)]


def test_tensor_scatter_updates_of_the_wrong_shape_fed_at_run_time():
    t, i, u = df.placeholder(df.float32, [None, None]), df.placeholder(df.int32, [None, 1]), \
        df.placeholder(df.float32, [None, None])
    out = df.tensor_scatter_nd_update(t, i, u)
    with df.Session() as s, pytest.raises(df.errors.InvalidArgumentError, match="updates"):
        s.run(out, {t: np.zeros((4, 3), "f4"), i: [[0], [2]], u: np.ones((2, 1), "f4")})
