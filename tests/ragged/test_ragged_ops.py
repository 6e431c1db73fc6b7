"""The tf.ragged functions (constant, constant_value, range, stack, stack_dynamic_partitions, boolean_mask,
map_flat_values, segment ids, cross, cross_hashed) and ragged_fill_empty_rows. Expected values and messages are
TensorFlow 1.x's (``tensorflow.compat.v1`` in graph mode) for the same programs; gradients are checked by finite
differences."""
import numpy as np
import pytest

import daskflow as df
from daskflow import ragged
from daskflow.ragged import RaggedTensorValue, ragged_fill_empty_rows, ragged_fill_empty_rows_grad
from daskflow.testing import GradCase, SweepCase, check_grads


def _filled(values, default):  # rows 1, 3, 4 and 6 of 7 are empty: 8 output values
    v = ragged_fill_empty_rows(df.constant([0, 0, 2, 5], df.int64), values, df.constant(7, df.int64),
                               default).output_values
    return df.reduce_sum(df.cumsum(v) * v)  # its length is known only when run: a position-dependent scalar of it


def _to_tensor(x, d):  # rows cut to the shape (the fourth is dropped)
    rt = ragged.RaggedTensor.from_row_splits(x, np.array([0, 2, 2, 5, 6], np.int64))
    return rt.to_tensor(default_value=d, shape=[3, 2])


def _crosses(a, b):
    out = []
    for rt in (ragged.cross([a, b]), ragged.cross_hashed([a, b], 10)):
        out += [rt.flat_values, rt.row_splits]
    return out


GRAD_CASES = [GradCase({"RaggedFillEmptyRows", "RaggedFillEmptyRowsGrad"}, _filled, [(4,), ()], order=2),
              GradCase({"RaggedTensorToTensor", "RaggedTensorToTensorGrad"}, _to_tensor, [(6,), ()], order=2)]
SWEEP_CASES = [SweepCase(_crosses, np.array([[b"a", b"b"], [b"c", b"d"]], dtype=object),
                         np.array([[1], [2]], np.int64), name="ragged_crosses")]

TESTED_OPS = {"RaggedFillEmptyRows", "RaggedFillEmptyRowsGrad", "RaggedCross"}


def run(x, feed=None):
    with df.Session() as s:
        return s.run(x, feed)


def value(x):
    return x.to_list() if isinstance(x, RaggedTensorValue) else x.tolist()


def test_constant_value():
    v = ragged.constant_value([[1, 2], [3]])
    assert isinstance(v, RaggedTensorValue) and v.to_list() == [[1, 2], [3]] and v.dtype == np.int64
    assert repr(v) == "RaggedTensorValue(values=array([1, 2, 3]), row_splits=array([0, 2, 3]))"
    assert str(v) == "<RaggedTensorValue [[1, 2], [3]]>"
    inner = ragged.constant_value([[[1, 2]], [[3, 4]]], ragged_rank=1)
    assert inner.shape == (2, None, 2) and inner.values.shape == (2, 2)
    assert ragged.constant_value([[1.0], []]).dtype == np.float64
    np.testing.assert_array_equal(ragged.constant_value([1, 2]), [1, 2])
    with pytest.raises(ValueError, match="all scalar values must have the same nesting depth"):
        ragged.constant_value([[1], [[2]]])


def test_constant():
    with df.Graph().as_default():
        rt = ragged.constant([[1, 2], [3]], name="c")
        assert (rt.shape.as_list(), rt.dtype, rt.row_splits.dtype) == ([2, None], np.int32, np.int64)
        assert ragged.constant([[1.5], []]).dtype == np.float32
        assert ragged.constant([[], []]).dtype == np.float32
        assert ragged.constant([[1, 2]], dtype=df.float64).dtype == np.float64
        assert isinstance(ragged.constant([1, 2]), df.Tensor)
        got = run([rt, ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=1),
                   ragged.constant([["a"], []])])
        assert [value(g) for g in got] == [[[1, 2], [3]], [[[1, 2]], [[3, 4], [5, 6]]], [[b"a"], []]]


RANGE = [  # (args, TF's value)
    (([3, 5, 0], [7, 5, 2], [1, -1, 1]), [[3, 4, 5, 6], [], [0, 1]]),
    (([3, 0],), [[0, 1, 2], []]),
    (([0.5, 1.0], [2.0, 3.0], 0.5), [[0.5, 1.0, 1.5], [1.0, 1.5, 2.0, 2.5]]),
    ((3,), [[0, 1, 2]]),
    (([5, 0], 0, [-2, -1]), [[5, 3, 1], []]),
]


@pytest.mark.parametrize("args,expected", RANGE)
def test_range(args, expected):
    with df.Graph().as_default():
        rt = ragged.range(*args)
        assert value(run(rt)) == expected
        assert rt.dtype == (np.float32 if isinstance(expected[0][0], float) else np.int32)


def test_range_zero_delta():
    with df.Graph().as_default():
        d = df.placeholder(df.int32, [None])
        with pytest.raises(df.errors.InvalidArgumentError, match="Requires delta != 0"):
            run(ragged.range([0], [3], d), {d: [0]})


STACK = [  # (inputs, axis, TF's value)
    (lambda: [ragged.constant([[1, 2], [3]]), ragged.constant([[4]])], 0, [[[1, 2], [3]], [[4]]]),
    (lambda: [ragged.constant([[1, 2], [3]]), ragged.constant([[4], [5, 6]])], 1, [[[1, 2], [4]], [[3], [5, 6]]]),
    (lambda: [df.constant([1, 2]), df.constant([3, 4])], 0, [[1, 2], [3, 4]]),
    (lambda: [ragged.constant([[1], []]), df.constant([[7, 8]])], 0, [[[1], []], [[7, 8]]]),
]


@pytest.mark.parametrize("inputs,axis,expected", STACK)
def test_stack(inputs, axis, expected):
    with df.Graph().as_default():
        rt = ragged.stack(inputs(), axis=axis)
        assert value(run(rt)) == expected
        assert rt.shape.as_list()[1:] == [None] * (rt.shape.ndims - 1)  # TF's: every stacked dim ragged


def test_stack_rank_mismatch():
    with df.Graph().as_default():
        with pytest.raises(ValueError, match="must have rank 2"):
            ragged.stack([ragged.constant([[1, 2]]), ragged.constant([[[1]]])])


def test_stack_dynamic_partitions():
    with df.Graph().as_default():
        rt = ragged.stack_dynamic_partitions([1, 2, 3, 4, 5], [2, 0, 2, 2, 0], 3)
        assert value(run(rt)) == [[2, 5], [], [1, 3, 4]]
        rows = ragged.stack_dynamic_partitions(ragged.constant([[1], [2, 3], []]), [1, 0, 1], 2)
        assert value(run(rows)) == [[[2, 3]], [[1], []]]
        p = df.placeholder(df.int32, [None])
        with pytest.raises(df.errors.InvalidArgumentError, match="partitions must be less than num_partitions"):
            run(ragged.stack_dynamic_partitions([1, 2, 3], p, 3), {p: [0, 5, 1]})


MASKS = [  # (data, mask, TF's value)
    (lambda: [[1, 2, 3], [4, 5, 6]], lambda: [[True, False, True], [False, False, True]], [[1, 3], [6]]),
    (lambda: ragged.constant([[1, 2, 3], [4], [5, 6]]), lambda: [True, False, True], [[1, 2, 3], [5, 6]]),
    (lambda: ragged.constant([[1, 2, 3], [4], [5, 6]]),
     lambda: ragged.constant([[True, False, True], [False], [True, True]]), [[1, 3], [], [5, 6]]),
    (lambda: [[1, 2, 3], [4, 5, 6]], lambda: [True, False], [[1, 2, 3]]),
    (lambda: np.arange(8).reshape(2, 2, 2), lambda: [[[True, False], [True, True]], [[False, False], [False, True]]],
     [[[0], [2, 3]], [[], [7]]]),
]


@pytest.mark.parametrize("data,mask,expected", MASKS)
def test_boolean_mask(data, mask, expected):
    with df.Graph().as_default():
        assert value(run(ragged.boolean_mask(data(), mask()))) == expected


def test_segment_ids():
    with df.Graph().as_default():
        got = run([ragged.row_splits_to_segment_ids([0, 2, 2, 5]),
                   ragged.segment_ids_to_row_splits([0, 0, 2, 2, 2], num_segments=4),
                   ragged.segment_ids_to_row_splits([0, 0, 2]),
                   ragged.segment_ids_to_row_splits(df.constant([0, 1], df.int32))])
        assert [g.tolist() for g in got] == [[0, 0, 2, 2, 2], [0, 2, 2, 5, 5], [0, 2, 2, 3], [0, 1, 2]]
        assert [g.dtype for g in got] == [np.int64, np.int64, np.int64, np.int32]


def test_map_flat_values():
    with df.Graph().as_default():
        a, b = ragged.constant([[1, 2], [], [3, 4, 5]]), ragged.constant([[1, 2], [], [3, 4, 6]])
        assert value(run(ragged.map_flat_values(df.add, a, b))) == [[2, 4], [], [6, 8, 11]]
        assert value(run(ragged.map_flat_values(df.ones_like, a))) == [[1, 1], [], [1, 1, 1]]
        with pytest.raises(ValueError, match="at least one input that is a RaggedTensor"):
            ragged.map_flat_values(df.add, 1, 2)
        with pytest.raises(ValueError, match="partitions have incompatible row_splits"):
            ragged.map_flat_values(df.add, a, ragged.constant([[1], [2]]))


FILL = [  # (value_rowids, values, nrows, default, TF's four outputs)
    ([1, 1, 3], [1.0, 2.0, 3.0], 5, -1.0,
     ([0, 1, 1, 2, 3, 4], [-1, 1, 2, -1, 3, -1], [True, False, True, False, True], [1, 2, 4])),
    ([1, 0], [1.0, 2.0], 3, 0.0, ([0, 1, 2], [2, 1, 0], [False, False, True], [1, 0])),
    ([], [], 2, 0.0, ([0, 1], [0, 0], [True, True], [])),
]


@pytest.mark.parametrize("rowids,values,nrows,default,expected", FILL)
def test_fill_empty_rows(rowids, values, nrows, default, expected):
    with df.Graph().as_default():
        out = ragged_fill_empty_rows(df.constant(rowids, df.int64), df.constant(values, df.float32),
                                     df.constant(nrows, df.int64), df.constant(default))
        got = run(out)
        assert [g.tolist() for g in got] == [list(e) for e in expected]
        assert out.empty_row_indicator.shape.as_list() == [nrows]


def test_fill_empty_rows_errors():
    with df.Graph().as_default():
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            ragged_fill_empty_rows(df.constant([[1]], df.int64), [1.0], df.constant(3, df.int64), 0.0)
        with pytest.raises(df.errors.InvalidArgumentError, match=r"4 is not in \[0, 3\)"):
            run(ragged_fill_empty_rows(df.constant([4], df.int64), [1.0], df.constant(3, df.int64), 0.0))


def test_fill_empty_rows_grad_values():
    with df.Graph().as_default():
        d = run(ragged_fill_empty_rows_grad(df.constant([1, 2, 4], df.int64), [1.0, 2.0, 3.0, 4.0, 5.0]))
        assert (d.d_values.tolist(), float(d.d_default_value)) == ([2.0, 3.0, 5.0], 5.0)


def test_fill_empty_rows_gradients():
    def build(values, default):  # rows 1, 3, 4 and 6 of 7 are empty: 8 output values
        out = ragged_fill_empty_rows(df.constant([0, 0, 2, 5], df.int64), values, df.constant(7, df.int64), default)
        v = out.output_values  # its length is known only when run: a position-dependent scalar of it
        return df.reduce_sum(df.cumsum(v) * v)
    check_grads(build, [np.array([0.1, -0.4, 0.7, 1.3]), np.array(0.25)], order=2, chunks=[(3, 1), None])


def _columns():
    r = ragged.constant([["a", "b"], ["c"], []])
    sp = df.SparseTensor([[0, 0], [1, 0], [1, 1], [2, 0]], ["x", "y", "z", "w"], [3, 2])
    return r, sp, df.constant([["d"], ["e"], ["f"]]), ragged.constant([[1, 2], [3], []], dtype=df.int64)


CROSS = [  # (columns picked by index from _columns(), keyword args, TF's value)
    ([0, 2], None, [[b"a_X_d", b"b_X_d"], [b"c_X_e"], []]),
    ([2, 0], None, [[b"d_X_a", b"d_X_b"], [b"e_X_c"], []]),
    ([1, 2, 0], None, [[b"x_X_d_X_a", b"x_X_d_X_b"], [b"y_X_e_X_c", b"z_X_e_X_c"], []]),
    ([3, 2], None, [[b"1_X_d", b"2_X_d"], [b"3_X_e"], []]),
    ([0, 2], {}, [[1584069791037555375, 2292520902626215647], [1746051686049959641], []]),
    ([0, 2], {"num_buckets": 100}, [[82, 54], [41], []]),
    ([3, 2], {"num_buckets": 1000, "hash_key": 7}, [[192, 903], [783], []]),
    ([2, 0], {"num_buckets": 1000}, [[791, 349], [193], []]),
]


@pytest.mark.parametrize("picks,hashed,expected", CROSS)
def test_cross(picks, hashed, expected):
    with df.Graph().as_default():
        cols = _columns()
        inputs = [cols[i] for i in picks]
        rt = ragged.cross(inputs) if hashed is None else ragged.cross_hashed(inputs, **hashed)
        assert rt.shape.as_list() == [3, None]
        assert value(run(rt)) == expected


def test_cross_errors():
    with df.Graph().as_default():
        r = ragged.constant([["a", "b"], ["c"], []])
        with pytest.raises(ValueError, match="only supports inputs with rank=2"):
            ragged.cross([ragged.constant([[["a"]]]), r])
        with pytest.raises(ValueError, match="Unexpected dtype for inputs\\[1\\]: float32"):
            ragged.cross([r, df.constant([[1.5], [2.5], [3.5]])])
        with pytest.raises(ValueError, match="same batch dimension size"):
            ragged.cross([r, df.constant([["d"]])])
