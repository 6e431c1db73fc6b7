"""SparseTensor itself and the conversions between sparse and dense forms: construction and its static checks,
names as TF gives them, from_dense/to_dense/sparse_to_dense against numpy, their gradients, TF's index errors."""
import numpy as np
import pytest

import daskflow as df
import daskflow.sparse as sps
from daskflow import errors
from daskflow.testing import assert_op, check_grads, run_graph

# tf.compat.v1.sparse (TF 2.21)
TF_SPARSE = ["SparseConditionalAccumulator", "SparseTensor", "add", "bincount", "concat", "cross", "cross_hashed",
             "expand_dims", "eye", "fill_empty_rows", "from_dense", "mask", "matmul", "maximum", "merge", "minimum",
             "placeholder", "reduce_max", "reduce_max_sparse", "reduce_sum", "reduce_sum_sparse", "reorder",
             "reset_shape", "reshape", "retain", "segment_mean", "segment_sqrt_n", "segment_sum", "slice", "softmax",
             "sparse_dense_matmul", "split", "to_dense", "to_indicator", "transpose"]
# dir(tf.compat.v1) names with "sparse", less SparseConditionalAccumulator (bound at the top level with the other
# accumulators), SparseFeature (parsing), SparseTensorSpec (TF2) and the string serialisations
TF_TOPLEVEL = ["SparseTensor", "SparseTensorValue", "convert_to_tensor_or_sparse_tensor", "sparse_add", "sparse_mask",
               "sparse_concat", "sparse_fill_empty_rows", "sparse_matmul", "sparse_maximum", "sparse_merge",
               "sparse_minimum", "sparse_placeholder", "sparse_reduce_max", "sparse_reduce_max_sparse",
               "sparse_reduce_sum", "sparse_reduce_sum_sparse", "sparse_reorder", "sparse_reset_shape",
               "sparse_reshape", "sparse_retain", "sparse_segment_mean", "sparse_segment_sqrt_n",
               "sparse_segment_sum", "sparse_slice", "sparse_softmax", "sparse_split", "sparse_tensor_dense_matmul",
               "sparse_tensor_to_dense", "sparse_to_dense", "sparse_to_indicator", "sparse_transpose"]


def test_names_as_tf():
    assert sorted(sps.__all__) == sorted(TF_SPARSE)
    assert all(callable(getattr(sps, n)) for n in TF_SPARSE)
    assert sorted(sps.TOPLEVEL) == sorted(TF_TOPLEVEL)
    assert sps.TOPLEVEL["sparse_tensor_to_dense"] is sps.to_dense and sps.TOPLEVEL["sparse_add"] is sps.add


def test_construction_names_and_static_shape():
    with df.Graph().as_default():
        sp = sps.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
        assert sp.indices.name == "SparseTensor/indices:0" and sp.values.name == "SparseTensor/values:0"
        assert sp.dense_shape.name == "SparseTensor/dense_shape:0"
        assert sp.indices.dtype == df.int64 and sp.dense_shape.dtype == df.int64 and sp.dtype == df.float32
        assert sp.shape == (2, 3) and sp.get_shape() == (2, 3) and sp.op is sp.values.op
        x = df.placeholder(df.int64, [2])
        assert sps.SparseTensor([[0, 0]], [1], x).shape.as_list() == [None, None]
        assert sps.SparseTensor([[0, 0]], [1], df.stack([np.int64(4), x[1]])).shape.as_list() == [4, None]


@pytest.mark.parametrize("args, cls, message", [
    (([[0, 0], [0, 1]], [1.0, 2.0, 3.0], [2, 3]), ValueError, "Dimensions 2 and 3 are not compatible"),
    (([[0, 0], [0, 1]], [1.0, 2.0], [2, 3, 4]), ValueError, "Dimensions 2 and 3 are not compatible"),
    (([0, 1], [1.0, 2.0], [2]), ValueError, r"Shape \(2,\) must have rank 2"),
    (([[0], [1]], [[1.0], [2.0]], [2]), ValueError, r"Shape \(2, 1\) must have rank 1"),
    (([[0.5]], [1.0], [2]), TypeError, "Expected int64"),
])
def test_construction_errors(args, cls, message):
    with pytest.raises(cls, match=message):
        sps.SparseTensor(*args)


def random_dense(shape, seed=0, density=0.4):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, shape) * (rng.uniform(size=shape) < density)


@pytest.mark.parametrize("shape", [(7,), (4, 5), (3, 2, 4), (2, 0)])
def test_from_dense_against_numpy(shape):
    x = random_dense(shape, seed=len(shape))
    i, v, s = assert_op(lambda t: [sps.from_dense(t).indices, sps.from_dense(t).values, sps.from_dense(t).dense_shape],
                        lambda t: [np.argwhere(t != 0), t[t != 0], np.array(t.shape)], x, rtol=0)
    assert i.dtype == np.int64
    full = np.random.default_rng(1).uniform(0.5, 2, shape)  # no zeros: a perturbation keeps the same entries
    check_grads(lambda t: sps.to_dense(sps.from_dense(t)), [full])


def test_from_dense_names_and_strings():
    with df.Graph().as_default():
        sp = sps.from_dense(df.ones([2, 3]))
        assert sp.indices.name.startswith("dense_to_sparse/") and sp.shape == (2, 3)
    got = run_graph(lambda t: [sps.from_dense(t).indices, sps.from_dense(t).values],
                    np.array([[b"a", b""], [b"", b"b"]], object))
    np.testing.assert_array_equal(got[0], [[0, 0], [1, 1]])
    assert list(got[1]) == [b"a", b"b"]


@pytest.mark.parametrize("default", [None, 0.0, -1.5])
def test_to_dense_against_numpy(default):
    idx = np.array([[0, 1], [1, 0], [2, 3]])
    vals = np.array([1.0, -2.0, 3.0])
    expected = np.full((3, 4), 0.0 if default is None else default)
    expected[tuple(idx.T)] = vals
    build = lambda v: sps.to_dense(sps.SparseTensor(idx, v, [3, 4]), default_value=default)  # noqa: E731
    assert_op(build, lambda v: expected, vals, rtol=0)
    check_grads(build, [vals])


def test_to_dense_gradient_to_default():
    idx = np.array([[0, 1], [1, 0]])
    check_grads(lambda v, d: sps.to_dense(sps.SparseTensor(idx, v, [2, 3]), default_value=d),
                [np.array([1.0, 2.0]), np.array(0.5)])


@pytest.mark.parametrize("indices, message", [
    ([[0, 0], [0, 5]], r"indices\[1\] = \[0,5\] is out of bounds: need 0 <= index < \[2,3\]"),
    ([[0, -1]], r"indices\[0\] = \[0,-1\] is out of bounds: need 0 <= index < \[2,3\]"),
    ([[1, 0], [0, 1]], r"indices\[1\] = \[0,1\] is out of order. Many sparse ops require sorted indices.\n"
                       r"    Use `tf.sparse.reorder` to create a correctly ordered copy."),
    ([[0, 1], [0, 1]], r"indices\[1\] = \[0,1\] is repeated"),
])
def test_to_dense_index_errors(indices, message):
    vals = np.ones(len(indices), "f4")
    with pytest.raises(errors.InvalidArgumentError, match=message):
        run_graph(lambda v: sps.to_dense(sps.SparseTensor(indices, v, [2, 3])), vals)


def test_to_dense_unvalidated_and_type_errors():
    got = run_graph(lambda v: sps.to_dense(sps.SparseTensor([[1, 0], [0, 1]], v, [2, 2]), validate_indices=False),
                    np.array([1.0, 2.0]))
    np.testing.assert_array_equal(got, [[0.0, 2.0], [1.0, 0.0]])
    with pytest.raises(TypeError, match="Input must be a SparseTensor."):
        sps.to_dense(np.ones(3))


def test_sparse_tensor_value_is_accepted():
    value = sps.SparseTensorValue(np.array([[0, 1]]), np.array([2.0], "f4"), np.array([1, 2]))
    assert value._fields == ("indices", "values", "dense_shape") and isinstance(value, tuple)
    np.testing.assert_array_equal(sps.to_dense(value).compute(), [[0.0, 2.0]])
    sp = sps.convert_to_tensor_or_sparse_tensor(value)
    assert isinstance(sp, sps.SparseTensor)
    assert sps.convert_to_tensor_or_sparse_tensor(sp) is sp
    assert isinstance(sps.convert_to_tensor_or_sparse_tensor([1.0]), df.Tensor)
    with pytest.raises(ValueError, match="Sparse dtype: requested = float64, actual = float32"):
        sps.convert_to_tensor_or_sparse_tensor(sp, dtype=df.float64)


def test_sparse_to_dense():
    got = run_graph(lambda v: sps.sparse_to_dense([[0, 1], [2, 0]], [3, 2], v, default_value=-1.0),
                    np.array([5.0, 6.0]))
    np.testing.assert_array_equal(got, [[-1, 5], [-1, -1], [6, -1]])
    got = run_graph(lambda d: sps.sparse_to_dense([1, 3], [5], 2.0, default_value=d), np.array(0.5, "f4"))
    np.testing.assert_array_equal(got, [0.5, 2, 0.5, 2, 0.5])  # a scalar value at every index, vector indices
    got = run_graph(lambda v: sps.sparse_to_dense(2, 4, v), np.array(7, np.int32))
    np.testing.assert_array_equal(got, [0, 0, 7, 0])
    with pytest.raises(errors.InvalidArgumentError, match="is out of order"):
        run_graph(lambda v: sps.sparse_to_dense([3, 1], [5], v), np.ones(2))


def test_placeholder_names_and_shapes():
    with df.Graph().as_default():
        a = sps.placeholder(df.float32)
        assert a.shape.ndims is None and a.indices.shape.as_list() == [None, None]
        assert (a.dense_shape.op.type, a.values.op.type) == ("Placeholder", "Placeholder")
        b = sps.placeholder(df.float32, shape=[None, 3], name="b")
        assert (b.indices.name, b.values.name, b.dense_shape.name) == ("b/indices:0", "b/values:0", "b/shape:0")
        assert b.shape.as_list() == [None, 3] and b.indices.shape.as_list() == [None, 2]
        assert b.dense_shape.op.type == "PlaceholderWithDefault"
        c = sps.placeholder(df.float32, shape=[2, 3])
        assert c.shape == (2, 3)


def test_placeholder_fed_through_parts():
    with df.Graph().as_default():
        sp = sps.placeholder(df.float32, shape=[None, 3])
        total = sps.reduce_sum(sp, axis=0)
        with df.Session() as s:
            got = s.run(total, {sp.indices: [[0, 1], [4, 2], [2, 1]], sp.values: [1.0, 2.0, 3.0],
                                sp.dense_shape: [5, 3]})
    np.testing.assert_array_equal(got, [0.0, 4.0, 2.0])


def test_to_dense_of_unknown_rank():
    with df.Graph().as_default():
        sp = sps.placeholder(df.float64)
        dense, filled = sps.to_dense(sp), sps.to_dense(sp, default_value=-1.0)
        assert dense.shape.ndims is None
        grad = df.gradients(df.reduce_sum(filled * filled), sp.values)[0]
        with df.Session() as s:
            got = s.run([dense, filled, grad], {sp.indices: [[0, 1, 0], [1, 0, 1]], sp.values: [2.0, 3.0],
                                                sp.dense_shape: [2, 2, 2]})
    expected = np.zeros((2, 2, 2))
    expected[0, 1, 0], expected[1, 0, 1] = 2.0, 3.0
    np.testing.assert_array_equal(got[0], expected)
    np.testing.assert_array_equal(got[1], np.where(expected == 0, -1.0, expected))
    np.testing.assert_array_equal(got[2], [4.0, 6.0])
