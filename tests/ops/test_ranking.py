import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op, check_grads, rand, run_graph

TESTED_OPS = {"TopKV2", "TopKGrad"}


def _np_top_k(x, k):
    """numpy's reference: a stable sort by descending value (ties in order of index)."""
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


@pytest.mark.parametrize("shape,k", [((5,), 3), ((7, 3), 1), ((7, 3), 3), ((1, 3), 0), ((4, 2, 6), 4)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
def test_top_k_matches_numpy_with_ties_first_index_first(shape, k, dtype):
    x = rand(shape, "float64", 0, 4, seed=len(shape) + k).round().astype(dtype)  # few distinct values: many ties
    got = assert_op(lambda t: list(df.nn.top_k(t, k)), lambda x: list(_np_top_k(x, k)), x, rtol=0, atol=0)
    assert got[1].dtype == np.int32


def test_top_k_names_namespaces_and_unsorted():
    v, i = df.math.top_k(df.constant([[1.0, 3.0, 3.0, 2.0]]), k=2)
    assert (v.name, i.name, v.op.type) == ("TopKV2:0", "TopKV2:1", "TopKV2") and df.nn.top_k is df.math.top_k
    x = rand((6, 9), seed=3)
    vals, idx = run_graph(lambda t: list(df.nn.top_k(t, 4, sorted=False)), x, chunks=[(2, 4)])
    want_v, want_i = _np_top_k(x, 4)
    np.testing.assert_array_equal(np.sort(idx, -1), np.sort(want_i, -1))  # the same entries, in some order
    np.testing.assert_array_equal(vals, np.take_along_axis(x, idx, -1))


def test_top_k_k_from_a_tensor_and_unknown_dims():
    x = rand((5, 7), seed=1)
    got = run_graph(lambda t: list(df.nn.top_k(t, df.constant(3))), x, chunks=[(2, 3)], feed_static_shape=False)
    for g, w in zip(got, _np_top_k(x, 3)):
        np.testing.assert_array_equal(g, w)


def test_top_k_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="input must have at least k columns. Had 3, needed 5"):
        df.nn.top_k(df.placeholder(df.float32, [2, 3]), 5)
    with pytest.raises(df.errors.InvalidArgumentError, match="Need k >= 0, got -1"):
        df.nn.top_k(df.placeholder(df.float32, [2, 3]), -1)
    with pytest.raises(df.errors.InvalidArgumentError, match="at least 1-D"):
        df.nn.top_k(df.constant(1.0), 1)
    p = df.placeholder(df.float32, [None, None])
    v, _ = df.nn.top_k(p, 4)
    with df.Session() as s, pytest.raises(df.errors.InvalidArgumentError, match="Had 2, needed 4"):
        s.run(v, {p: np.zeros((3, 2), "f4")})


@pytest.mark.parametrize("shape,k", [((6,), 2), ((4, 5), 5), ((3, 2, 4), 1)], ids=str)
def test_top_k_gradient(shape, k):
    x = rand(shape, seed=k)
    check_grads(lambda t: df.nn.top_k(t, k)[0], [x], order=2)
    check_grads(lambda t: df.nn.top_k(t, k)[0], [x], chunks=[tuple((1,) * s for s in shape[:-1]) + (shape[-1],)])


def test_top_k_gradient_scatters_to_the_chosen_entries():
    x = np.array([[1.0, 5.0, 5.0, 2.0], [0.0, -1.0, 3.0, 3.0]])
    dv = np.array([[10.0, 20.0], [30.0, 40.0]])
    g = run_graph(lambda t: df.gradients(df.nn.top_k(t, 2)[0], t, grad_ys=df.constant(dv))[0], x)
    np.testing.assert_array_equal(g, [[0, 10, 20, 0], [0, 0, 30, 40]])


@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("dtype", ["float64", "int32", "int64", "uint8"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sort_and_argsort_match_numpy(direction, dtype, axis):
    x = rand((5, 4, 3), "float64", 0, 6, seed=axis + 2).round().astype(dtype)

    def reference(x):
        key = x.astype(np.float64) if direction == "ASCENDING" else -x.astype(np.float64)
        order = np.argsort(key, axis=axis, kind="stable")
        return [np.take_along_axis(x, order, axis), order.astype(np.int32)]

    assert_op(lambda t: [df.sort(t, axis, direction), df.argsort(t, axis, direction)], reference, x, rtol=0,
              atol=0)


def test_sort_extreme_integers_and_names():
    x = np.array([np.iinfo(np.int32).min, 7, np.iinfo(np.int32).max, -1], np.int32)
    np.testing.assert_array_equal(df.sort(x).compute(), np.sort(x))
    np.testing.assert_array_equal(df.sort(x, direction="DESCENDING").compute(), np.sort(x)[::-1])
    u = np.array([255, 0, 3], np.uint8)
    np.testing.assert_array_equal(df.argsort(u).compute(), [1, 2, 0])
    with df.Graph().as_default():
        assert df.sort([3.0, 1.0]).name.startswith("sort/") and df.argsort([3.0, 1.0]).name == "argsort/TopKV2:1"
    with pytest.raises(ValueError, match="direction"):
        df.sort([1, 2], direction="UP")
    with pytest.raises(ValueError, match="must be a constant scalar"):
        df.sort([1, 2], axis=df.placeholder(df.int32, []))


@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
def test_sort_gradient(direction):
    x = rand((4, 5), seed=7)
    check_grads(lambda t: df.sort(t, axis=0, direction=direction), [x], order=2)
    check_grads(lambda t: df.sort(t, direction=direction), [x], chunks=[(1, 3)])


def _np_in_top_k(p, t, k):
    out = []
    for row, target in zip(p, t):
        ok = 0 <= target < row.size and np.isfinite(row).all()
        out.append(bool(ok and (row > row[target]).sum() < k))
    return np.array(out)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_in_top_k_ties_non_finite_and_out_of_range(k):
    p = rand((9, 4), "float64", 0, 3, seed=k).round().astype("f4")
    p[2, 1], p[5, 0] = np.nan, np.inf
    t = np.array([0, 1, 2, 3, 0, 1, 4, -1, 2], np.int32)
    for fn in (df.nn.in_top_k, df.math.in_top_k):
        got = run_graph(lambda a, b: fn(a, b, k), p, t, chunks=[(2, 4), (5, 4)])
        np.testing.assert_array_equal(got, _np_in_top_k(p, t, k))
    tk = df.placeholder(df.int64, [])
    res = df.nn.in_top_k(p, t.astype(np.int64), tk)
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(res, {tk: k}), _np_in_top_k(p, t, k))


def test_in_top_k_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="First dimension of predictions 3 must match length "
                                                            "of targets 4"):
        df.nn.in_top_k(np.zeros((3, 2), "f4"), [0, 0, 0, 0], 1)
    with pytest.raises(df.errors.InvalidArgumentError, match="predictions must be 2-dimensional"):
        df.nn.in_top_k(np.zeros(3, "f4"), [0, 0, 0], 1)
    with pytest.raises(TypeError, match="float32"):
        df.nn.in_top_k(np.zeros((3, 2)), [0, 0, 0], 1)


def _np_confusion(labels, preds, n, weights=None):
    cm = np.zeros((n, n))
    np.add.at(cm, (labels, preds), 1 if weights is None else weights)
    return cm


def test_confusion_matrix_matches_numpy():
    rng = np.random.default_rng(0)
    labels, preds = rng.integers(0, 5, 40), rng.integers(0, 4, 40)
    w = rng.uniform(0, 2, 40)
    n = max(labels.max(), preds.max()) + 1
    got = assert_op(lambda a, b: df.confusion_matrix(a, b), lambda a, b: _np_confusion(a, b, n).astype("i4"), labels,
                    preds, rtol=0, atol=0)
    assert got.dtype == np.int32
    assert_op(lambda a, b, c: df.math.confusion_matrix(a, b, num_classes=7, weights=c, dtype=df.float64),
              lambda a, b, c: _np_confusion(a, b, 7, c), labels, preds, w)
    # a trailing dim of 1 on one side is squeezed, as TF does
    got = run_graph(lambda a, b: df.confusion_matrix(a, b, 6), labels[:, None], preds)
    np.testing.assert_array_equal(got, _np_confusion(labels, preds, 6))


def test_confusion_matrix_errors():
    with df.Session() as s:
        with pytest.raises(df.errors.InvalidArgumentError, match="`labels` contains negative values"):
            s.run(df.confusion_matrix([0, -1], [1, 1]))
        with pytest.raises(df.errors.InvalidArgumentError, match="`predictions` out of bound"):
            s.run(df.confusion_matrix([0, 1], [1, 3], num_classes=3))
    with pytest.raises(ValueError, match="same shape"):
        df.confusion_matrix([0, 1, 1], [1, 1])


def _distinct(shape, seed=3):
    """Values with no ties (a tie makes top_k's gradient jump between entries)."""
    return lambda: [np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 7.0 + 0.1]


GRAD_CASES = [
    GradCase("TopKV2", lambda x: df.nn.top_k(x, k=2).values, [(3, 5)], inputs=_distinct((3, 5))),
    GradCase({"TopKV2", "TopKGrad"}, lambda x: df.nn.top_k(x * x, k=3).values, [(2, 6)], order=2,
             inputs=_distinct((2, 6))),
]
