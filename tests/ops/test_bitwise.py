"""``tf.bitwise`` against numpy over every integer dtype and chunking; shifts past the bit width as TF (values
observed from TF); no gradients; errors as TF1."""
import numpy as np
import pytest

import daskflow as df
from daskflow.autodiff import gradients
from daskflow.ops import bitwise as bw
from daskflow.testing import SweepCase, assert_op, run_graph

TESTED_OPS = {"BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "Invert"}
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def ints(shape, dtype, seed=0):
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("fn, ref", [(bw.bitwise_and, np.bitwise_and), (bw.bitwise_or, np.bitwise_or),
                                     (bw.bitwise_xor, np.bitwise_xor)])
def test_logic_matches_numpy_with_broadcasting(fn, ref, dtype):
    assert_op(fn, ref, ints((5, 4), dtype), ints((4,), dtype, seed=1), rtol=0, atol=0)
    assert_op(fn, ref, ints((3, 1), dtype), ints((1, 4), dtype, seed=2), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", INTS)
def test_invert_matches_numpy(dtype):
    assert_op(bw.invert, np.invert, ints((7, 3), dtype), rtol=0, atol=0)


def _clamped_shift(fn):
    def ref(x, y):
        bits = x.dtype.itemsize * 8
        return fn(x, np.clip(y, 0, bits - 1).astype(x.dtype))
    return ref


@pytest.mark.parametrize("dtype", INTS)
def test_shifts_clamp_the_amount_to_the_bit_width(dtype):
    x = ints((6, 5), dtype)
    bits = np.dtype(dtype).itemsize * 8
    lo = -3 if dtype.startswith("int") else 0
    y = np.random.default_rng(5).integers(lo, bits + 4, size=(6, 5)).astype(dtype)
    assert_op(bw.left_shift, _clamped_shift(np.left_shift), x, y, rtol=0, atol=0)
    assert_op(bw.right_shift, _clamped_shift(np.right_shift), x, y, rtol=0, atol=0)


# values observed from TensorFlow
TF_SHIFTS = {
    "int8": ([1, -3, 5, 7, 100], [0, 1, 7, 8, -1], [1, -6, -128, -128, 100], [1, -2, 0, 0, 100]),
    "uint8": ([1, 200, 5, 7, 100], [0, 1, 7, 8, 65], [1, 144, 128, 128, 0], [1, 100, 0, 0, 0]),
    "int32": ([5, -5, -5, 5], [-2, -33, 33, 40], [5, -5, -2147483648, -2147483648], [5, -5, -1, 0]),
    "uint64": ([1, 200, 5, 7, 100], [0, 1, 7, 8, 65], [1, 400, 640, 1792, 0], [1, 100, 0, 0, 0]),
}


@pytest.mark.parametrize("dtype", sorted(TF_SHIFTS))
def test_shifts_equal_tensorflows(dtype):
    x, y, left, right = (np.array(v, dtype) for v in TF_SHIFTS[dtype])
    got = run_graph(lambda a, b: [bw.left_shift(a, b), bw.right_shift(a, b)], x, y)
    np.testing.assert_array_equal(got[0], left)
    np.testing.assert_array_equal(got[1], right)


def test_op_types_names_and_no_gradient():
    with df.Graph().as_default():
        x = df.constant([3, 6])
        ops = [bw.bitwise_and(x, 1), bw.bitwise_or(x, 1), bw.bitwise_xor(x, 1), bw.left_shift(x, 1),
               bw.right_shift(x, 1), bw.invert(x)]
        assert [t.op.type for t in ops] == ["BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift",
                                            "Invert"]
        assert ops[0].op.name == "BitwiseAnd" and ops[0].dtype == np.int32
        assert gradients(df.cast(df.add_n(ops), df.float32), x) == [None]


def test_errors_as_tf():
    with df.Graph().as_default():
        with pytest.raises(TypeError, match="parameter 'x' has DataType float32 not in list of allowed values: int8, "
                                            "int16, int32, int64, uint8, uint16, uint32, uint64"):
            bw.bitwise_and(df.constant([1.0]), df.constant([1.0]))
        with pytest.raises(TypeError, match="DataType bool not in list"):
            bw.invert(df.constant([True]))
        with pytest.raises(TypeError, match="Input 'y' of 'BitwiseAnd' Op has type int64 that does not match type "
                                            "int32 of argument 'x'"):
            bw.bitwise_and(df.constant([1]), df.constant([1], df.int64))
        with pytest.raises(df.errors.InvalidArgumentError, match="Incompatible shapes"):
            bw.bitwise_or(df.constant([1, 2]), df.constant([1, 2, 3]))


SWEEP_CASES = [
    SweepCase(lambda x, y: [bw.bitwise_and(x, y), bw.bitwise_or(x, y), bw.bitwise_xor(x, y), bw.invert(x)],
              ints((4, 3), "int32"), ints((4, 3), "int32", seed=1), name="bitwise_logic"),
    SweepCase(lambda x, y: [bw.left_shift(x, y), bw.right_shift(x, y)], ints((4, 3), "uint8"),
              np.random.default_rng(2).integers(0, 10, (4, 3)).astype("uint8"), name="bitwise_shifts"),
]
