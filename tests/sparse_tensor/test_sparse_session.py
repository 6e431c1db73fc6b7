"""A Session fetches a SparseTensor as a SparseTensorValue (alone or nested among other fetches) and feeds a
sparse placeholder from a SparseTensorValue or an (indices, values, dense_shape) tuple, as TF1's."""
import numpy as np
import pytest

import daskflow as df
import daskflow.sparse as sps
from daskflow import errors


def test_fetch_gives_sparse_tensor_value():
    with df.Graph().as_default():
        sp = sps.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 2])
        dense = sps.to_dense(sp)
        with df.Session() as s:
            got = s.run(sp)
            nested = s.run({"sp": sp, "both": [dense, sp]})
            via_eval = sp.eval()
    assert isinstance(got, sps.SparseTensorValue)
    np.testing.assert_array_equal(got.indices, [[0, 1], [2, 0]])
    np.testing.assert_array_equal(got.values, np.array([1.5, 2.5], "f4"))
    np.testing.assert_array_equal(got.dense_shape, [3, 2])
    assert got.indices.dtype == np.int64 and got.dense_shape.dtype == np.int64
    assert isinstance(nested["sp"], sps.SparseTensorValue)
    assert isinstance(nested["both"][1], sps.SparseTensorValue)
    np.testing.assert_array_equal(nested["both"][0], [[0, 1.5], [0, 0], [2.5, 0]])
    np.testing.assert_array_equal(via_eval.values, got.values)


@pytest.mark.parametrize("value", [
    sps.SparseTensorValue(np.array([[0, 1], [4, 2]]), np.array([1.0, 2.0], "f4"), np.array([5, 3])),
    ([[0, 1], [4, 2]], [1.0, 2.0], [5, 3]),
])
def test_feed_placeholder(value):
    with df.Graph().as_default():
        sp = sps.placeholder(df.float32, shape=[None, 3])
        total = sps.reduce_sum(sp, axis=1)
        with df.Session() as s:
            got, back = s.run([total, sp], {sp: value})
    np.testing.assert_array_equal(got, [1.0, 0, 0, 0, 2.0])
    assert isinstance(back, sps.SparseTensorValue)
    np.testing.assert_array_equal(back.dense_shape, [5, 3])


def test_feed_placeholder_of_unknown_rank_and_gradient():
    with df.Graph().as_default():
        sp = sps.placeholder(df.float64)
        w = df.constant(np.arange(6.0).reshape(3, 2))
        out = sps.sparse_dense_matmul(sps.SparseTensor(sp.indices, sp.values, sp.dense_shape), w)
        grad = df.gradients(df.reduce_sum(out), [sp.values, w])
        with df.Session() as s:
            got, (gv, gw) = s.run([out, grad], {sp: ([[0, 2], [1, 0]], [2.0, 3.0], [2, 3])})
    np.testing.assert_array_equal(got, [[8.0, 10.0], [0.0, 3.0]])
    np.testing.assert_array_equal(gv, [9.0, 1.0])  # the row sums of w at the entries' columns
    np.testing.assert_array_equal(gw, [[3.0, 3.0], [0.0, 0.0], [2.0, 2.0]])


def test_feed_errors():
    with df.Graph().as_default():
        sp = sps.placeholder(df.float32, shape=[None, 3])
        with df.Session() as s:
            with pytest.raises(TypeError, match="SparseTensorValue"):
                s.run(sp, {sp: np.ones((2, 3))})
            with pytest.raises(errors.InvalidArgumentError, match="Cannot feed value of shape"):
                s.run(sp, {sp: ([[0, 1, 2]], [1.0], [2, 3, 4])})
