"""RaggedTensor: factories, accessors, validation, fetching and feeding, dense and sparse conversions, indexing and
operators. Expected values and error messages are TensorFlow 1.x's (``tensorflow.compat.v1`` in graph mode) for the
same programs; gradients are checked by finite differences."""
import numpy as np
import pytest

import daskflow as df
from daskflow import ragged
from daskflow.ragged import RaggedTensor, RaggedTensorValue
from daskflow.testing import check_grads

TESTED_OPS = {"RaggedTensorToTensor", "RaggedTensorToTensorGrad"}


def run(x, feed=None):
    with df.Session() as s:
        return s.run(x, feed)


def as_list(x, feed=None):
    return run(x, feed).to_list()


RT = RaggedTensor
FACTORIES = [  # (build, TF's value)
    (lambda: RT.from_row_splits([3, 1, 4, 1, 5], [0, 2, 2, 5]), [[3, 1], [], [4, 1, 5]]),
    (lambda: RT.from_row_lengths([3, 1, 4, 1, 5], [2, 0, 3]), [[3, 1], [], [4, 1, 5]]),
    (lambda: RT.from_value_rowids([1, 2, 3], [0, 0, 2]), [[1, 2], [], [3]]),
    (lambda: RT.from_value_rowids([1, 2, 3], [0, 0, 2], nrows=5), [[1, 2], [], [3], [], []]),
    (lambda: RT.from_row_starts([1, 2, 3], [0, 2, 2]), [[1, 2], [], [3]]),
    (lambda: RT.from_row_limits([1, 2, 3], [1, 1, 3]), [[1], [], [2, 3]]),
    (lambda: RT.from_uniform_row_length([1, 2, 3, 4, 5, 6], 2), [[1, 2], [3, 4], [5, 6]]),
    (lambda: RT.from_nested_row_splits([1, 2, 3, 4], [[0, 2, 3], [0, 1, 1, 4]]), [[[1], []], [[2, 3, 4]]]),
    (lambda: RT.from_nested_row_lengths([1, 2, 3, 4], [[2, 1], [1, 0, 3]]), [[[1], []], [[2, 3, 4]]]),
    (lambda: RT.from_nested_value_rowids([1, 2, 3, 4], [[0, 0, 1], [0, 2, 2, 2]]), [[[1], []], [[2, 3, 4]]]),
    (lambda: RT.from_sparse(df.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, 2, 3], [4, 3])), [[1, 2], [], [3], []]),
    (lambda: RT.from_tensor([[1, 0, 0], [0, 2, 0], [0, 0, 0]], padding=0), [[1], [0, 2], []]),
    (lambda: RT.from_tensor([[1, 0, 0], [0, 2, 0], [0, 0, 0]], lengths=[1, -2, 5]), [[1], [], [0, 0, 0]]),
    (lambda: RT.from_tensor(np.arange(12).reshape(2, 2, 3), ragged_rank=2, padding=5),
     [[[0, 1, 2], [3, 4]], [[6, 7, 8], [9, 10, 11]]]),
    (lambda: RT.from_tensor(np.arange(12).reshape(2, 2, 3), lengths=([1, 2], [1, 0, 3]), ragged_rank=2),
     [[[0]], [[], [9, 10, 11]]]),
    (lambda: RT.from_tensor([[1, 2], [3, 4]]), [[1, 2], [3, 4]]),
]


@pytest.mark.parametrize("build,expected", FACTORIES)
def test_factories(build, expected):
    with df.Graph().as_default():
        assert as_list(build()) == expected


def test_value_and_accessors():
    with df.Graph().as_default():
        rt = ragged.constant([[[1, 2], [3]], [], [[4, 5, 6]]])
        assert (rt.ragged_rank, rt.shape.as_list(), rt.dtype) == (2, [3, None, None], np.int32)
        v = run(rt)
        assert isinstance(v, RaggedTensorValue) and v.ragged_rank == 2 and v.shape == (3, None, None)
        np.testing.assert_array_equal(v.row_splits, [0, 2, 2, 3])
        np.testing.assert_array_equal(v.flat_values, [1, 2, 3, 4, 5, 6])
        assert [s.tolist() for s in v.nested_row_splits] == [[0, 2, 2, 3], [0, 2, 3, 6]]
        assert v.values.to_list() == [[1, 2], [3], [4, 5, 6]]
        got = run({"bs": rt.bounding_shape(), "nrl": rt.nested_row_lengths(), "rl2": rt.row_lengths(axis=2),
                   "ids": rt.value_rowids(), "starts": rt.row_starts(), "limits": rt.row_limits(),
                   "n": rt.nrows(), "bs1": rt.bounding_shape(axis=1, out_type=df.int32)})
        assert got["bs"].tolist() == [3, 2, 3] and got["bs1"] == 2 and got["bs1"].dtype == np.int32
        assert [x.tolist() for x in got["nrl"]] == [[2, 0, 1], [2, 1, 3]]
        assert got["rl2"].to_list() == [[2, 1], [], [3]]
        assert got["ids"].tolist() == [0, 0, 2] and got["n"] == 3
        assert (got["starts"].tolist(), got["limits"].tolist()) == ([0, 2, 2], [2, 2, 3])
        assert [x.tolist() for x in run(rt.nested_value_rowids())] == [[0, 0, 2], [0, 0, 1, 2, 2, 2]]
        assert RT.from_tensor([[1, 2], [3, 4]]).shape.as_list() == [2, 2]  # TF's: a uniform row length
        assert as_list(rt.with_flat_values(rt.flat_values * 2)) == [[[2, 4], [6]], [], [[8, 10, 12]]]
        assert as_list(rt.with_values(RT.from_row_lengths([7, 8, 9], [0, 1, 2]))) == [[[], [7]], [], [[8, 9]]]
        with pytest.raises(ValueError, match="out of bounds"):
            rt.row_lengths(axis=3)
        with pytest.raises(ValueError, match="constructor is private"):
            RaggedTensor(rt.values, rt.row_splits)


VALIDATION = [  # (build from the partition tensor, the partition, TF's message)
    (lambda s: RT.from_row_splits([1, 2, 3], s), [0, 2, 1],
     "Arguments to from_row_splits do not form a valid RaggedTensor:monotonic"),
    (lambda s: RT.from_row_splits([1, 2, 3], s), [1, 2, 3],
     "Arguments to from_row_splits do not form a valid RaggedTensor:zero"),
    (lambda s: RT.from_row_splits([1, 2, 3], s), [0, 2], "Arguments to _from_row_partition do not form a valid "
                                                          "RaggedTensor"),
    (lambda s: RT.from_row_lengths([1, 2, 3], s), [1, -1, 3],
     "Arguments to from_row_lengths do not form a valid RowPartition"),
    (lambda s: RT.from_row_lengths([1, 2, 3], s), [1, 1],
     "Arguments to _from_row_partition do not form a valid RaggedTensor"),
    (lambda s: RT.from_value_rowids([1, 2, 3], s, nrows=2), [1, 0, 0],
     "Arguments to from_value_rowids do not form a valid RowPartition"),
    (lambda s: RT.from_value_rowids([1, 2, 3], s, nrows=2), [0, 0, 3],
     "Arguments to from_value_rowids do not form a valid RowPartition"),
    (lambda s: RT.from_row_starts([1, 2, 3], s), [1, 2],
     "Arguments to from_row_starts do not form a valid RaggedTensor"),
    (lambda s: RT.from_row_limits([1, 2, 3], s), [1, 4],
     "Arguments to _from_row_partition do not form a valid RaggedTensor"),
]


@pytest.mark.parametrize("build,partition,message", VALIDATION)
def test_validate(build, partition, message):
    partition = np.array(partition, np.int64)
    with df.Graph().as_default():  # fed: checked when run
        ph = df.placeholder(df.int64, [None])
        rt = build(ph)
        with pytest.raises(df.errors.InvalidArgumentError, match=message):
            run(rt, {ph: partition})
    with df.Graph().as_default():  # constant: checked when the graph is built (when it is known then) or run
        with pytest.raises(df.errors.InvalidArgumentError, match=message):
            run(build(partition))


def test_validate_false_skips_checks():
    with df.Graph().as_default():
        rt = RT.from_row_splits([1, 2, 3], [0, 2, 1], validate=False)
        assert rt.row_splits.op.type == "Const"


def test_placeholder_fed_with_value():
    with df.Graph().as_default():
        p = ragged.placeholder(df.float32, 2, [2])
        assert p.shape.as_list() == [None, None, None, 2] and p.ragged_rank == 2
        value = ragged.constant_value([[[[1, 2]], []], [[[3, 4], [5, 6]]]], dtype=np.float32, ragged_rank=2)
        got = run(ragged.map_flat_values(df.multiply, p, 2.0), {p: value})
        assert got.to_list() == [[[[2, 4]], []], [[[6, 8], [10, 12]]]]
        with pytest.raises(TypeError, match="RaggedTensorValue"):
            run(p, {p: [[1.0]]})
        with pytest.raises(ValueError, match="ragged_rank 1, expected 2"):
            run(p, {p: ragged.constant_value([[[1.0, 2.0]]], ragged_rank=1)})
        assert ragged.placeholder(df.int32, 0, [3]).op.type == "Placeholder"


def test_to_tensor_and_sparse():
    with df.Graph().as_default():
        rt = ragged.constant([[1, 2], [], [3]])
        assert run(rt.to_tensor(default_value=9, shape=[2, 4])).tolist() == [[1, 2, 9, 9], [9, 9, 9, 9]]
        assert rt.to_tensor(shape=[2, 4]).shape.as_list() == [2, 4]
        assert run(rt.to_tensor()).tolist() == [[1, 2], [0, 0], [3, 0]]
        rt3 = ragged.constant([[[1, 2], [3]], [], [[4, 5, 6]]])
        assert run(rt3.to_tensor()).tolist() == [[[1, 2, 0], [3, 0, 0]], [[0, 0, 0], [0, 0, 0]],
                                                 [[4, 5, 6], [0, 0, 0]]]
        sp = run(rt.to_sparse())
        assert (sp.indices.tolist(), sp.values.tolist(), sp.dense_shape.tolist()) == \
            ([[0, 0], [0, 1], [2, 0]], [1, 2, 3], [3, 2])
        inner = ragged.constant([[[1, 2]], [], [[3, 4], [5, 6]]], ragged_rank=1)
        assert run(inner.to_tensor(default_value=[7, 8])).tolist() == [[[1, 2], [7, 8]], [[7, 8], [7, 8]],
                                                                       [[3, 4], [5, 6]]]
        sp = run(inner.to_sparse())
        assert sp.indices.tolist()[:3] == [[0, 0, 0], [0, 0, 1], [2, 0, 0]] and sp.dense_shape.tolist() == [3, 2, 2]
        words = ragged.constant([[b"a"], [], [b"b", b"c"]])
        assert run(words.to_tensor()).tolist() == [[b"a", b""], [b"", b""], [b"b", b"c"]]


def test_to_tensor_gradient():  # values in two chunks, rows cut to the shape (the fourth is dropped)
    splits = np.array([0, 2, 2, 5, 6], np.int64)

    def build(x, d):
        rt = RT.from_row_splits(x, splits)
        return rt.to_tensor(default_value=d, shape=[3, 2]) * df.constant(np.arange(6.0).reshape(3, 2))
    check_grads(build, [np.linspace(-1, 1, 6), np.array(0.5)], chunks=[(4, 2), None])


GETITEM = [  # (key, TF's value)
    (2, [3, 4, 5]), (slice(1, None), [[], [3, 4, 5]]), ((slice(None), slice(1, None)), [[2], [], [4, 5]]),
    ((-1, -2), 4), ((slice(None), slice(-2, None)), [[1, 2], [], [4, 5]]),
    (slice(None, None, 2), [[1, 2], [3, 4, 5]]), ((slice(0, 3), slice(None, 1)), [[1], [], [3]]),
]


@pytest.mark.parametrize("key,expected", GETITEM)
def test_getitem(key, expected):
    with df.Graph().as_default():
        got = run(ragged.constant([[1, 2], [], [3, 4, 5]])[key])
        got = got.to_list() if isinstance(got, RaggedTensorValue) else got.tolist()
        assert got == expected


def test_getitem_errors_and_nested():
    with df.Graph().as_default():
        rt = ragged.constant([[1, 2], [], [3, 4, 5]])
        with pytest.raises(ValueError, match="Cannot index into an inner ragged dimension."):
            rt[:, 0]
        with pytest.raises(ValueError, match="out of bounds"):
            rt[5]
        assert [rt[1:].shape.as_list(), rt[::2].shape.as_list(), rt[:, 1:].shape.as_list()] == \
            [[2, None], [2, None], [3, None]]  # TF's static shapes
        rt3 = ragged.constant([[[1, 2], [3]], [], [[4, 5, 6]]])
        assert as_list(rt3[0]) == [[1, 2], [3]]
        assert as_list(rt3[:, :, 1:]) == [[[2], []], [], [[5, 6]]]


def test_operators():
    with df.Graph().as_default():
        a = ragged.constant([[1.0, 2.0], [3.0]])
        b = ragged.constant([[10.0, 20.0], [30.0]])
        got = run({"add": a + 1, "rsub": 1 - a, "mul": a * b, "neg": -a, "div": b / a, "pow": a ** 2,
                   "lt": a < 2.0})
        assert got["add"].to_list() == [[2, 3], [4]] and got["rsub"].to_list() == [[0, -1], [-2]]
        assert got["mul"].to_list() == [[10, 40], [90]] and got["neg"].to_list() == [[-1, -2], [-3]]
        assert got["div"].to_list() == [[10, 10], [10]] and got["pow"].to_list() == [[1, 4], [9]]
        assert got["lt"].to_list() == [[True, False], [False]]
        with pytest.raises(ValueError, match="scalar"):
            a + df.constant([1.0, 2.0, 3.0])
        with pytest.raises(TypeError):
            bool(a)
        ph = df.placeholder(df.int64, [None])
        c = RT.from_row_splits([1.0, 2.0, 3.0], ph, validate=False)
        with pytest.raises(df.errors.InvalidArgumentError, match="partitions have incompatible row_splits"):
            run(a + c, {ph: np.array([0, 1, 3])})
