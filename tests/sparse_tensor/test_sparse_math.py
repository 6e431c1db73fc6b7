"""Sparse arithmetic against scipy.sparse and numpy dense references: sparse-dense matmul, reductions, sums and
extremes of two sparse tensors, softmax, segment reductions; gradients by finite differences; TF's errors."""
import numpy as np
import pytest
import scipy.sparse

import daskflow as df
import daskflow.sparse as sps
from daskflow import errors
from daskflow.testing import SweepCase, assert_op, check_grads, run_graph

TESTED_OPS = {"SparseIndicesCheck"}


def random_sparse(shape, density=0.4, seed=0, dtype="float64"):
    """(indices, values, dense) of a random sparse tensor, indices in row-major order."""
    rng = np.random.default_rng(seed)
    dense = rng.uniform(-2, 2, shape) * (rng.uniform(size=shape) < density)
    idx = np.argwhere(dense != 0).astype(np.int64)
    return idx, dense[tuple(idx.T)].astype(dtype), dense.astype(dtype)


def parts(sp):
    return [sp.indices, sp.values, sp.dense_shape]


def dense_of(indices, values, shape):
    out = np.zeros(shape, values.dtype)
    np.add.at(out, tuple(np.asarray(indices).T), values)
    return out


# -- sparse x dense products

@pytest.mark.parametrize("adjoint_a, adjoint_b", [(False, False), (True, False), (False, True), (True, True)])
def test_sparse_dense_matmul_against_scipy(adjoint_a, adjoint_b):
    idx, vals, dense = random_sparse((5, 4), seed=1)
    b = np.random.default_rng(2).standard_normal((3, 5) if adjoint_a == adjoint_b and adjoint_a else
                                                 (4, 3) if not adjoint_a and not adjoint_b else
                                                 (5, 3) if adjoint_a else (3, 4))
    a = scipy.sparse.coo_matrix((vals, tuple(idx.T)), shape=(5, 4))
    a = a.T if adjoint_a else a
    expected = a @ (b.T if adjoint_b else b)

    def build(v, bb):
        sp = sps.SparseTensor(idx, v, [5, 4])
        return sps.sparse_dense_matmul(sp, bb, adjoint_a=adjoint_a, adjoint_b=adjoint_b)
    assert_op(build, lambda v, bb: expected, vals, b, rtol=1e-12)
    check_grads(build, [vals, b])


def test_matmul_names():
    assert sps.matmul is sps.sparse_dense_matmul is sps.sparse_tensor_dense_matmul
    out = sps.matmul(sps.SparseTensor([[0, 0]], [1.0], [2, 3]), df.ones([3, 2]))
    assert out.name == "SparseTensorDenseMatMul/SparseTensorDenseMatMul:0"  # as TF's
    assert tuple(out.shape) == (2, 2)


def test_matmul_errors():
    sp = sps.SparseTensor([[0, 0]], [1.0], [2, 3])
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        sps.sparse_dense_matmul(sp, np.ones((4, 2), "f4"))
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 3"):
        sps.sparse_dense_matmul(sps.SparseTensor([[0, 0, 0]], [1.0], [2, 3, 3]), np.ones((3, 2), "f4"))
    with pytest.raises(TypeError, match="Input 'b' of 'SparseTensorDenseMatMul' Op has type float64 that does not "
                                        "match type float32 of argument 'a_values'"):
        sps.sparse_dense_matmul(sp, np.ones((3, 2), "f8"))
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = \[0,5\] is out of bounds: need 0 <= "
                                                          r"index < \[2,3\]"):
        run_graph(lambda b: sps.sparse_dense_matmul(sps.SparseTensor([[0, 5]], [1.0], [2, 3]), b),
                  np.ones((3, 2), "f4"))


def test_sparse_matmul_is_a_dense_product():
    a, b = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("f4")
    got = run_graph(lambda x, y: df.sparse.sparse_matmul(x, y, transpose_b=True, a_is_sparse=True), a, b)
    np.testing.assert_allclose(got, a @ b.T, rtol=1e-5)


# -- reductions

REDUCE_AXES = [(None, False), (0, False), (1, True), (-1, False), ([0, 2], False), ([0, 2], True),
               ([0, 1, 2], True)]


@pytest.mark.parametrize("axis, keepdims", REDUCE_AXES)
def test_reduce_sum_against_numpy(axis, keepdims):
    idx, vals, dense = random_sparse((3, 4, 2), seed=3)
    expected = dense.sum(axis=None if axis is None else tuple(np.atleast_1d(axis)), keepdims=keepdims)

    def build(v):
        return sps.reduce_sum(sps.SparseTensor(idx, v, [3, 4, 2]), axis=axis, keepdims=keepdims)
    assert_op(build, lambda v: expected, vals, rtol=1e-12)
    check_grads(build, [vals])


@pytest.mark.parametrize("axis, keepdims", REDUCE_AXES)
def test_reduce_max_over_present_entries(axis, keepdims):
    idx, vals, dense = random_sparse((3, 4, 2), seed=4)
    present = np.zeros(dense.shape, bool)
    present[tuple(idx.T)] = True
    ax = None if axis is None else tuple(np.atleast_1d(axis) % 3)
    masked = np.where(present, dense, -np.inf).max(axis=ax, keepdims=keepdims)
    expected = np.where(np.isinf(masked), 0.0, masked)  # TF: positions no entry reaches hold 0
    got = run_graph(lambda v: sps.reduce_max(sps.SparseTensor(idx, v, [3, 4, 2]), axis=axis, keepdims=keepdims),
                    vals)
    np.testing.assert_allclose(got, expected)


def test_reduce_sparse_outputs():
    idx = np.array([[0, 0], [0, 2], [1, 1]])
    vals = np.array([-2.0, 2.0, 3.0])
    i, v, s = run_graph(lambda x: parts(sps.reduce_sum_sparse(sps.SparseTensor(idx, x, [3, 3]), 1)), vals)
    np.testing.assert_array_equal(i, [[0], [1]])  # TF keeps the position whose sum is 0
    np.testing.assert_array_equal(v, [0.0, 3.0])
    np.testing.assert_array_equal(s, [3])
    i, v, s = run_graph(lambda x: parts(sps.reduce_max_sparse(sps.SparseTensor(idx, x, [3, 3]), 0,
                                                              keepdims=True)), vals)
    np.testing.assert_array_equal(i, [[0, 0], [0, 1], [0, 2]])
    np.testing.assert_array_equal(v, [-2.0, 3.0, 2.0])
    np.testing.assert_array_equal(s, [1, 3])
    i, v, s = run_graph(lambda x: parts(sps.reduce_sum_sparse(sps.SparseTensor(idx, x, [3, 3]))), vals)
    assert i.shape == (1, 0) and s.shape == (0,)
    np.testing.assert_array_equal(v, [3.0])


def test_reduce_errors():
    with pytest.raises(errors.InvalidArgumentError, match="Invalid reduction dimension 2, for input with 2 "
                                                          "dimensions."):
        sps.reduce_sum(sps.SparseTensor([[0, 0]], [1.0], [2, 3]), axis=2)
    with pytest.raises(TypeError, match="Input must be a SparseTensor."):
        sps.reduce_sum(np.ones(3))


# -- two sparse operands

def _pair(shape, seed):
    a, b = random_sparse(shape, seed=seed), random_sparse(shape, seed=seed + 1)
    return a, b


def test_add_against_dense_sum():
    (ia, va, da), (ib, vb, db) = _pair((4, 3), 5)
    ib, vb = np.concatenate([ib, ia[:2]]), np.concatenate([vb, -va[:2]])  # two sums exactly 0
    order = np.lexsort(ib.T[::-1])
    ib, vb = ib[order], vb[order]
    db = dense_of(ib, vb, (4, 3))
    union = np.unique(np.concatenate([ia, ib]), axis=0)

    def build(x, y, thresh=None):
        return parts(sps.add(sps.SparseTensor(ia, x, [4, 3]), sps.SparseTensor(ib, y, [4, 3]), threshold=thresh))
    i, v, s = run_graph(build, va, vb)
    np.testing.assert_array_equal(i, union)  # sorted union, zeros kept
    np.testing.assert_allclose(dense_of(i, v, s), da + db)
    i, v, s = run_graph(lambda x, y: build(x, y, 0.5), va, vb)
    total = da + db
    np.testing.assert_array_equal(i, np.argwhere(np.abs(total) >= 0.5))
    np.testing.assert_allclose(v, total[np.abs(total) >= 0.5])
    check_grads(lambda x, y: sps.to_dense(sps.add(sps.SparseTensor(ia, x, [4, 3]), sps.SparseTensor(ib, y, [4, 3]),
                                                  threshold=0.1)), [va, vb])


def test_add_sparse_and_dense():
    ia, va, da = random_sparse((3, 4), seed=7)
    d = np.random.default_rng(8).standard_normal((3, 4))
    build = lambda x, y: sps.add(y, sps.SparseTensor(ia, x, [3, 4]))  # noqa: E731
    assert_op(build, lambda x, y: da + y, va, d, rtol=1e-12)
    check_grads(build, [va, d])


def test_add_errors():
    a = sps.SparseTensor([[0, 0]], [1.0], [2, 3])
    with pytest.raises(ValueError, match=r"Shapes \(2, 3\) and \(2, 4\) are incompatible"):
        sps.add(a, sps.SparseTensor([[0, 0]], [1.0], [2, 4]))
    with pytest.raises(TypeError, match="Input 'b_values' of 'SparseAdd' Op has type float64 that does not match "
                                        "type float32 of argument 'a_values'"):
        sps.add(a, sps.SparseTensor([[0, 0]], np.array([1.0]), [2, 3]))
    with pytest.raises(errors.InvalidArgumentError, match=r"Dimension 1 does not equal \(no broadcasting is "
                                                          r"supported\): sparse side 3 vs dense side 4"):
        sps.add(a, df.ones([2, 4]))


@pytest.mark.parametrize("fn, ref", [(sps.maximum, np.maximum), (sps.minimum, np.minimum)])
def test_maximum_minimum_at_union(fn, ref):
    (ia, va, da), (ib, vb, db) = _pair((3, 5), 9)
    i, v, s = run_graph(lambda x, y: parts(fn(sps.SparseTensor(ia, x, [3, 5]), sps.SparseTensor(ib, y, [3, 5]))),
                        va, vb)
    np.testing.assert_array_equal(i, np.unique(np.concatenate([ia, ib]), axis=0))
    np.testing.assert_allclose(v, ref(da, db)[tuple(i.T)])  # absent entries count as 0
    with pytest.raises(errors.InvalidArgumentError, match="Operands' shapes do not match: got 3 and 4 for "
                                                          "dimension 1"):
        fn(sps.SparseTensor([[0, 0]], [1.0], [2, 3]), sps.SparseTensor([[0, 0]], [1.0], [2, 4]))


def test_cwise_with_dense():
    ia, va, da = random_sparse((3, 4), seed=11)
    d = np.random.default_rng(12).uniform(1, 2, (4,))
    i, v, s = run_graph(lambda x, y: parts(sps.SparseTensor(ia, x, [3, 4]) * y), va, d)
    np.testing.assert_allclose(v, (da * d)[tuple(ia.T)])
    i, v, s = run_graph(lambda x, y: parts(sps.SparseTensor(ia, x, [3, 4]) / y), va, d)
    np.testing.assert_allclose(v, (da / d)[tuple(ia.T)])


# -- softmax

def test_softmax_over_present_entries():
    idx, vals, dense = random_sparse((3, 2, 5), density=0.5, seed=13)
    present = np.zeros(dense.shape, bool)
    present[tuple(idx.T)] = True
    e = np.where(present, np.exp(dense - np.where(present, dense, -np.inf).max(-1, keepdims=True)), 0.0)
    expected = (e / np.maximum(e.sum(-1, keepdims=True), 1e-300))[tuple(idx.T)]
    build = lambda v: sps.softmax(sps.SparseTensor(idx, v, [3, 2, 5])).values  # noqa: E731
    assert_op(build, lambda v: expected, vals, rtol=1e-12)
    check_grads(build, [vals])
    with pytest.raises(errors.InvalidArgumentError, match="Input should have rank >= 2, but received shape: 1"):
        sps.softmax(sps.SparseTensor([[0]], [1.0], [2]))


# -- sparse segment reductions

SEGMENTS = [(sps.segment_sum, lambda rows: rows.sum(0)), (sps.segment_mean, lambda rows: rows.mean(0)),
            (sps.segment_sqrt_n, lambda rows: rows.sum(0) / np.sqrt(len(rows)))]


@pytest.mark.parametrize("fn, ref", SEGMENTS, ids=["sum", "mean", "sqrt_n"])
def test_segments_against_numpy(fn, ref):
    data = np.random.default_rng(14).standard_normal((5, 3))
    idx, ids = np.array([0, 4, 4, 2, 1, 3]), np.array([0, 0, 1, 3, 3, 3])
    expected = np.zeros((5, 3))
    for s in np.unique(ids):
        expected[s] = ref(data[idx[ids == s]])
    build = lambda d: fn(d, idx, ids, num_segments=5)  # noqa: E731
    assert_op(build, lambda d: expected, data, rtol=1e-12)
    check_grads(build, [data])
    got = run_graph(lambda d: fn(d, idx, ids), data)
    np.testing.assert_allclose(got, expected[:4], rtol=1e-12)


def test_segment_errors():
    with pytest.raises(errors.InvalidArgumentError, match="indices = 5 is not in"):
        run_graph(lambda d: sps.segment_sum(d, [0, 5], [0, 0]), np.ones((3, 2), "f4"))
    with pytest.raises(errors.InvalidArgumentError, match="segment ids are not increasing"):
        run_graph(lambda d: sps.segment_sum(d, [0, 1], [1, 0]), np.ones((3, 2), "f4"))
    with pytest.raises(errors.InvalidArgumentError, match="segment_ids and indices should have same size"):
        sps.segment_sum(df.ones([3, 2]), [0, 1], [0])


# -- bincount (values as TF gives them for these inputs)

def test_bincount_dense_input():
    v = np.array([[1, 3, 3, 0], [7, 1, 1, 1]])
    w = np.array([[.5, 1., 2., 3.], [1., 1., 1., 2.]])
    i, c, s = run_graph(lambda x: parts(sps.bincount(x)), v)
    np.testing.assert_array_equal(i, [[0], [1], [3], [7]])
    np.testing.assert_array_equal(c, [1, 4, 2, 1])
    np.testing.assert_array_equal(s, [8])
    assert c.dtype == np.int64
    i, c, s = run_graph(lambda x, y: parts(sps.bincount(x, weights=y, axis=-1)), v, w)
    np.testing.assert_array_equal(i, [[0, 0], [0, 1], [0, 3], [1, 1], [1, 7]])
    np.testing.assert_allclose(c, [3.0, 0.5, 3.0, 4.0, 1.0])
    np.testing.assert_array_equal(s, [2, 8])
    i, c, s = run_graph(lambda x: parts(sps.bincount(x, axis=-1, minlength=10, maxlength=5)), v)
    np.testing.assert_array_equal(i, [[0, 0], [0, 1], [0, 3], [1, 1]])
    np.testing.assert_array_equal(c, [1, 1, 2, 3])
    np.testing.assert_array_equal(s, [2, 5])
    i, c, s = run_graph(lambda x: parts(sps.bincount(x, axis=-1, binary_output=True)), v)
    np.testing.assert_array_equal(c, [1, 1, 1, 1, 1])


def test_bincount_sparse_input_and_errors():
    idx = np.array([[0, 0], [0, 2], [1, 1], [1, 3]])
    i, c, s = run_graph(lambda x: parts(sps.bincount(sps.SparseTensor(idx, x, [2, 4]), axis=-1)),
                        np.array([2, 5, 2, 2], np.int32))
    np.testing.assert_array_equal(i, [[0, 2], [0, 5], [1, 2]])  # implicit zeros are not counted
    np.testing.assert_array_equal(c, [1, 1, 2])
    np.testing.assert_array_equal(s, [2, 6])
    assert c.dtype == np.int32
    with pytest.raises(errors.InvalidArgumentError, match="Input values must all be non-negative"):
        run_graph(lambda x: parts(sps.bincount(x)), np.array([3, -1, 3]))
    with pytest.raises(ValueError, match="Unsupported value for argument axis=1"):
        sps.bincount(df.constant([[1]]), axis=1)
    with pytest.raises(ValueError, match="`binary_output` and `weights` are mutually exclusive"):
        sps.bincount(df.constant([1]), weights=[1.0], binary_output=True)
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: int32, int64"):
        sps.bincount(df.constant([1.0]))


def _checked_dense(idx, v):
    sp = sps.SparseTensor(idx, v, [3, 4])
    return [sps.to_dense(sp), sps.to_dense(sp, default_value=-1.0, validate_indices=True)]


SWEEP_CASES = [SweepCase(_checked_dense, np.array([[0, 1], [1, 3], [2, 0]], np.int64), np.array([1.5, -2.0, 3.0]),
                         name="sparse_indices_check")]
