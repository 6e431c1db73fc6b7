"""Array ops against numpy: layout (reshape, transpose, concat, stack, split, slice, gather, pad...), generated
tensors, shape queries and static shape values; on several shapes, uneven chunkings and unknown dims."""
import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import daskflow as df
from daskflow.testing import assert_op, raise_if_computes, rand, run_graph

TESTED_OPS = {"Reshape", "Transpose", "ConcatV2", "Pack", "Unpack", "Split", "SplitV", "Slice", "StridedSlice",
              "GatherV2", "OneHot", "ExpandDims", "Squeeze", "Tile", "PadV2", "MirrorPad", "ReverseV2", "Fill",
              "ZerosLike", "OnesLike", "Range", "LinSpace", "Shape", "Rank", "Size", "BroadcastTo"}

SHAPES = [(), (5,), (7, 3), (1, 3), (4, 1, 3)]
Invalid = df.errors.InvalidArgumentError


def unknown(build, *arrays):
    """``build`` run on placeholders whose dims are all unknown."""
    return run_graph(build, *arrays, feed_static_shape=False)


def lowered(t):
    """The dask array ``t`` lowers to (for checking chunks)."""
    return df.lower(t)


# -- reshape, transpose

@pytest.mark.parametrize("shape", SHAPES)
def test_reshape_flatten_and_back(shape):
    x = rand(shape)
    assert_op(lambda t: df.reshape(t, [-1]), lambda a: a.reshape(-1), x)
    assert_op(lambda t: df.reshape(df.reshape(t, [-1]), shape), lambda a: a, x)


@pytest.mark.parametrize("shape,target", [((4, 6), [2, -1, 3]), ((4, 6), (24,)), ((2, 3, 4), [6, 4]),
                                          ((6,), [1, 6, 1]), ((1,), []), ((0, 3), [3, 0]), ((0, 3), [-1, 5])])
def test_reshape_values(shape, target):
    x = rand(shape, "float32")
    assert_op(lambda t: df.reshape(t, target), lambda a: a.reshape(target), x)


def test_reshape_infers_static_shape_with_unknown_leading_dim():
    x = df.placeholder(df.float32, (None, 4))
    assert df.reshape(x, [-1, 2, 2]).shape == (None, 2, 2)
    assert df.reshape(x, [2, -1]).shape == (2, None)
    assert df.reshape(df.placeholder(df.float32, (3, 4)), [-1, 6]).shape == (2, 6)
    a = rand((6, 4))
    assert run_graph(lambda t: df.reshape(t, [-1, 2, 2]), a, feed_static_shape=False).shape == (6, 2, 2)


def test_reshape_with_run_time_dims_from_shape():
    x = rand((5, 3, 4))
    assert_op(lambda t: df.reshape(t, [df.shape(t)[0], -1]), lambda a: a.reshape(5, 12), x,
              feed_static_shape=False)
    assert_op(lambda t: df.reshape(t, [-1, df.shape(t)[1] * df.shape(t)[2]]), lambda a: a.reshape(5, 12), x,
              feed_static_shape=False)
    y = rand((2, 30))
    got = unknown(lambda a, b: df.reshape(b, df.shape(a)), x, y)
    np.testing.assert_array_equal(got, y.reshape(5, 3, 4))


def test_reshape_size_mismatch_names_both_shapes():
    x = df.placeholder(df.float32, (2, 3))
    with pytest.raises(Invalid, match=r"shape \[2, 3\] \(6 values\) into shape \[4, 2\] \(8 values\)"):
        df.reshape(x, [4, 2])
    with pytest.raises(Invalid, match=r"shape \[2, 3\].*\[-1, 4\]: 6 is not a multiple of 4"):
        df.reshape(x, [-1, 4])
    with pytest.raises(Invalid, match="Only one input size may be -1"):
        df.reshape(x, [-1, -1])


def test_reshape_size_mismatch_at_run_time():
    with pytest.raises(Invalid, match=r"shape \[3, 4\] \(12 values\) into shape \[5, -1\]|not a multiple"):
        unknown(lambda t: df.reshape(t, [5, -1]), rand((3, 4)))


def test_reshape_needs_a_shape_known_when_compiled():
    x = df.placeholder(df.float32, (2, 3))
    s = df.placeholder(df.int32, (2,))
    with pytest.raises(df.errors.UnimplementedError, match="Placeholder"):
        df.reshape(x, s)
    with pytest.raises(Invalid, match="int32 or int64"):
        df.reshape(x, df.constant([2.0, 3.0]))


@pytest.mark.parametrize("shape", [(5,), (7, 3), (1, 3), (4, 1, 3), (2, 3, 4, 1)])
def test_transpose_default_reverses(shape):
    x = rand(shape)
    assert_op(lambda t: df.transpose(t), np.transpose, x)
    assert df.transpose(df.placeholder(df.float32, shape)).shape == shape[::-1]


@pytest.mark.parametrize("perm", [(0, 2, 1), (1, 0, 2), (2, 0, 1)])
def test_transpose_perm(perm):
    x = rand((4, 1, 3))
    assert_op(lambda t: df.transpose(t, perm), lambda a: np.transpose(a, perm), x)
    assert_op(lambda t: df.transpose(t, perm), lambda a: np.transpose(a, perm), rand((2, 3, 5)),
              feed_static_shape=False)


def test_transpose_conjugate_and_errors():
    x = (rand((2, 3)) + 1j * rand((2, 3), seed=1)).astype(np.complex64)
    assert_op(lambda t: df.transpose(t, conjugate=True), lambda a: a.conj().T, x)
    p = df.placeholder(df.float32, (2, 3, 4))
    with pytest.raises(Invalid, match="not a valid permutation"):
        df.transpose(p, [0, 0, 1])
    with pytest.raises(Invalid, match="vector of size 3"):
        df.transpose(p, [1, 0])


# -- concat, stack, unstack, split

@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis):
    a, b = rand((4, 3), seed=1), rand((4, 3), seed=2)
    if axis == 0:
        b = rand((2, 3), seed=2)
    elif axis == -1:
        b = rand((4, 5), seed=2)
    assert_op(lambda s, t: df.concat([s, t], axis), lambda s, t: np.concatenate([s, t], axis), a, b)
    assert_op(lambda s, t: df.concat([s, t, s], axis), lambda s, t: np.concatenate([s, t, s], axis), a, b,
              feed_static_shape=False)


def test_concat_static_shape_and_python_values():
    x = df.placeholder(df.float32, (None, 3))
    assert df.concat([x, x], 0).shape == (None, 3)
    assert df.concat([x, x], 1).shape == (None, 6)
    assert df.concat([x, [[1.0, 2.0, 3.0]]], 0).dtype == np.float32
    got = run_graph(lambda t: df.concat([t, [[1.0, 2.0]]], 0), np.zeros((1, 2), np.float32))
    np.testing.assert_array_equal(got, [[0, 0], [1, 2]])


def test_concat_errors():
    a, b = df.placeholder(df.float32, (2, 3)), df.placeholder(df.float32, (3,))
    with pytest.raises(Invalid, match=r"Ranks of all input tensors should match: shape\[0\] = \(2, 3\) vs. "
                                      r"shape\[1\] = \(3,\)"):
        df.concat([a, b], 0)
    with pytest.raises(Invalid, match=r"Dimensions of inputs should match.*\(2, 3\).*\(2, 4\)"):
        df.concat([a, df.placeholder(df.float32, (2, 4))], 0)
    with pytest.raises(Invalid, match="Can't concatenate scalars"):
        df.concat([df.constant(1.0), df.constant(2.0)], 0)
    with pytest.raises(Invalid, match="out of range"):
        df.concat([a, a], 2)
    with pytest.raises(Invalid, match="dtype"):
        df.concat([a, df.placeholder(df.int32, (2, 3))], 0)


@pytest.mark.parametrize("shape", SHAPES)
def test_stack_and_unstack(shape):
    a, b = rand(shape, seed=1), rand(shape, seed=2)
    for axis in range(-len(shape) - 1, len(shape) + 1):
        assert_op(lambda s, t: df.stack([s, t, s], axis=axis), lambda s, t: np.stack([s, t, s], axis), a, b)
    for axis in range(-len(shape), len(shape)):
        assert_op(lambda t: df.unstack(t, axis=axis), lambda t: list(np.moveaxis(t, axis, 0)), a)


def test_pack_unpack_aliases_and_errors():
    assert df.pack is df.stack and df.unpack is df.unstack
    a = df.placeholder(df.float32, (2, 3))
    with pytest.raises(Invalid, match=r"Shapes of all inputs must match: values\[0\].shape = \(2, 3\) != "
                                      r"values\[1\].shape = \(3, 2\)"):
        df.stack([a, df.placeholder(df.float32, (3, 2))])
    with pytest.raises(ValueError, match="Cannot infer argument `num`"):
        df.unstack(df.placeholder(df.float32, (None, 3)))
    assert len(df.unstack(df.placeholder(df.float32, (None, 3)), num=4)) == 4
    assert len(df.unstack(a, axis=1)) == 3 and df.unstack(a, axis=1)[0].shape == (2,)


def test_stack_of_static_values_is_static():
    x = df.placeholder(df.float32, (None, 3))
    s = df.stack([df.shape(x)[1], 2])
    np.testing.assert_array_equal(df.get_static_value(s), [3, 2])
    assert df.get_static_value(df.stack([df.shape(x)[0], 2])) is None


@pytest.mark.parametrize("shape,n,axis", [((6, 2), 3, 0), ((7, 4), 2, 1), ((4, 1, 3), 3, -1), ((5,), 1, 0)])
def test_split_even(shape, n, axis):
    x = rand(shape)
    assert_op(lambda t: df.split(t, n, axis=axis), lambda a: np.split(a, n, axis=axis), x)
    assert_op(lambda t: df.split(t, n, axis=axis), lambda a: np.split(a, n, axis=axis), x,
              feed_static_shape=False)


@pytest.mark.parametrize("sizes", [[2, 3, 2], [1, -1], [-1, 0, 3], [7]])
def test_split_sizes(sizes):
    x = rand((7, 3))
    full = [7 - sum(s for s in sizes if s != -1) if s == -1 else s for s in sizes]
    ref = lambda a: np.split(a, np.cumsum(full)[:-1], axis=0)  # noqa: E731
    assert_op(lambda t: df.split(t, sizes), ref, x)
    assert_op(lambda t: df.split(t, sizes), ref, x, feed_static_shape=False)
    outs = df.split(df.placeholder(df.float32, (7, 3)), sizes)
    assert [o.shape[0] for o in outs] == full


def test_split_errors():
    x = df.placeholder(df.float32, (5, 4))
    with pytest.raises(Invalid, match=r"evenly divide.*split_dim 0 \(size = 5\) and num_split 2"):
        df.split(x, 2)
    with pytest.raises(Invalid, match="do not add up"):
        df.split(x, [2, 2])
    with pytest.raises(Invalid, match="at most one -1"):
        df.split(x, [-1, -1])
    with pytest.raises(Invalid, match="evenly divide"):
        unknown(lambda t: df.split(t, 2), rand((5, 4)))


# -- slicing

@pytest.mark.parametrize("begin,size", [([0, 0], [-1, -1]), ([2, 1], [3, 2]), ([6, 2], [1, 1]), ([3, 0], [0, 3]),
                                        ([1, 1], [-1, 1])])
def test_slice(begin, size):
    x = rand((7, 3))
    ref = lambda a: a[tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))]  # noqa: E731
    assert_op(lambda t: df.slice(t, begin, size), ref, x)
    assert_op(lambda t: df.slice(t, begin, size), ref, x, feed_static_shape=False)


def test_slice_errors_and_run_time_size():
    x = df.placeholder(df.float32, (4, 3))
    with pytest.raises(Invalid, match=r"Expected size\[0\] in \[0, 3\], but got 4"):
        df.slice(x, [1, 0], [4, 3])
    with pytest.raises(Invalid, match=r"Expected begin\[1\] in \[0, 3\], but got 5"):
        df.slice(x, [0, 5], [1, 1])
    with pytest.raises(Invalid, match="size 2"):
        df.slice(x, [0], [1])
    a = rand((6, 5))
    assert_op(lambda t: df.slice(t, [1, 0], [df.shape(t)[0] - 2, 2]), lambda v: v[1:5, :2], a,
              feed_static_shape=False)


@pytest.mark.parametrize("begin,end,strides,masks,ref", [
    ([1, 0], [3, 3], [1, 1], {}, lambda a: a[1:3, 0:3]),
    ([-1, 0], [0, 3], [-1, 2], {"begin_mask": 1, "end_mask": 1}, lambda a: a[::-1, 0:3:2]),
    ([2, 0], [3, 3], [1, 1], {"shrink_axis_mask": 1}, lambda a: a[2]),
    ([2, 0], [3, 0], [1, 1], {"shrink_axis_mask": 1}, lambda a: a[2, 0:0]),
    ([0, 1], [0, 0], [1, 1], {"ellipsis_mask": 1, "shrink_axis_mask": 2}, lambda a: a[..., 1]),
    ([0, 0, 1], [0, 0, 3], [1, 1, 1], {"new_axis_mask": 1, "begin_mask": 2, "end_mask": 2},
     lambda a: a[None, :, 1:3]),
    ([-100, 50], [100, -50], [1, -1], {}, lambda a: a[-100:100, 50:-50:-1]),
])
def test_strided_slice_masks(begin, end, strides, masks, ref):
    x = rand((7, 3))
    assert_op(lambda t: df.strided_slice(t, begin, end, strides, **masks), ref, x)
    assert df.strided_slice(df.placeholder(df.float32, (7, 3)), begin, end, strides, **masks).shape == \
        ref(x).shape


def test_strided_slice_errors():
    x = df.placeholder(df.float32, (4, 3))
    with pytest.raises(Invalid, match="must be non-zero"):
        df.strided_slice(x, [0], [2], [0])
    with pytest.raises(Invalid, match="Multiple ellipses"):
        df.strided_slice(x, [0, 0], [0, 0], [1, 1], ellipsis_mask=3)
    with pytest.raises(Invalid, match="equal size"):
        df.strided_slice(x, [0, 0], [1], [1, 1])
    with pytest.raises(Invalid, match="index 4 is out of bounds for dimension 0 with size 4"):
        df.strided_slice(x, [4], [5], [1], shrink_axis_mask=1)


# -- gather, one_hot

@pytest.mark.parametrize("pshape,ishape,axis", [((5,), (), 0), ((7, 3), (4,), 0), ((7, 3), (2, 3), 1),
                                                ((4, 1, 3), (5,), -1), ((4, 1, 3), (2, 2), 0), ((5, 2), (0,), 0)])
def test_gather(pshape, ishape, axis):
    p = rand(pshape)
    idx = np.random.default_rng(1).integers(0, pshape[axis], size=ishape).astype(np.int32)
    assert_op(lambda a, i: df.gather(a, i, axis=axis), lambda a, i: np.take(a, i, axis=axis), p, idx)
    assert_op(lambda a, i: df.gather(a, i, axis=axis), lambda a, i: np.take(a, i, axis=axis), p,
              idx.astype(np.int64), feed_static_shape=False)
    out = df.gather(df.placeholder(df.float32, pshape), df.placeholder(df.int32, ishape), axis=axis)
    assert out.shape == np.take(p, idx, axis=axis).shape


def test_gather_with_constant_indices_and_unknown_params():
    p = rand((6, 3))
    assert_op(lambda a: df.gather(a, [[5, 0], [1, 1]]), lambda a: a[[[5, 0], [1, 1]]], p, feed_static_shape=False)
    assert df.gather(df.placeholder(df.float32, (None, 3)), [4, 1]).shape == (2, 3)


def test_gather_errors():
    p = df.placeholder(df.float32, (5, 3))
    with pytest.raises(Invalid, match="indices must be int32 or int64, got .* float32"):
        df.gather(p, df.constant([1.0, 2.0]))
    with pytest.raises(Invalid, match=r"indices = 5 is not in \[0, 5\)"):
        df.gather(p, [1, 5])
    with pytest.raises(Invalid, match=r"indices = -1 is not in \[0, 3\)"):
        run_graph(lambda a, i: df.gather(a, i, axis=1), rand((5, 3)), np.array([0, -1], np.int32))
    with pytest.raises(Invalid, match=r"indices = 9 is not in \[0, 5\)"):
        run_graph(lambda a, i: df.gather(a, i), rand((5, 3)), np.array([[0, 1], [9, 2]], np.int32),
                  chunks=[None, (1, 2)])


def _np_one_hot(idx, depth, on=1.0, off=0.0, axis=-1, dtype=np.float32):
    hot = idx[..., None] == np.arange(depth)
    out = np.where(hot, on, off).astype(dtype)
    return np.moveaxis(out, -1, axis) if axis != -1 else out


@pytest.mark.parametrize("ishape", [(), (5,), (7, 3), (1, 3)])
@pytest.mark.parametrize("axis", [-1, 0])
def test_one_hot(ishape, axis):
    idx = np.random.default_rng(2).integers(-1, 6, size=ishape).astype(np.int32)  # -1 and 5: out of range
    assert_op(lambda i: df.one_hot(i, 5, axis=axis), lambda i: _np_one_hot(i, 5, axis=axis), idx)
    assert df.one_hot(df.placeholder(df.int32, ishape), 5, axis=axis).shape == _np_one_hot(idx, 5, axis=axis).shape


def test_one_hot_values_dtype_and_errors():
    idx = np.array([[0, 2], [1, 7]], np.int64)
    assert_op(lambda i: df.one_hot(i, 3, on_value=5, off_value=-1, axis=1),
              lambda i: _np_one_hot(i, 3, 5, -1, axis=1, dtype=np.int32), idx)
    assert df.one_hot([0], 3, dtype=df.float64).dtype == np.float64
    assert df.one_hot([0], 3, on_value=2.0).dtype == np.float32
    assert df.one_hot([0], 3).dtype == np.float32
    with pytest.raises(Invalid, match="indices must be uint8, int32 or int64"):
        df.one_hot([0.0], 3)
    with pytest.raises(Invalid, match="Expected axis to be -1 or between"):
        df.one_hot([0, 1], 3, axis=3)


def test_one_hot_chunks_the_depth_axis_within_chunk_bytes():
    with df.config.set(chunk_bytes=64):
        t = df.one_hot(df.constant(np.arange(10, dtype=np.int32)), 12)
        arr = lowered(t)
        np.testing.assert_array_equal(arr.compute(), np.eye(10, 12, dtype=np.float32))
    assert max(arr.chunks[1]) * max(arr.chunks[0]) * 4 <= 64


# -- expand_dims, squeeze, tile, pad, reverse

@pytest.mark.parametrize("shape", SHAPES)
def test_expand_dims_and_squeeze(shape):
    x = rand(shape)
    for axis in range(-len(shape) - 1, len(shape) + 1):
        assert_op(lambda t: df.expand_dims(t, axis), lambda a: np.expand_dims(a, axis), x)
        assert_op(lambda t: df.squeeze(df.expand_dims(t, axis), [axis]), lambda a: a, x)
    assert_op(lambda t: df.squeeze(t), np.squeeze, x)


def test_squeeze_axes_aliases_and_errors():
    x = rand((1, 3, 1, 2))
    assert_op(lambda t: df.squeeze(t, squeeze_dims=[2]), lambda a: a.squeeze(2), x)
    assert_op(lambda t: df.squeeze(t, axis=0), lambda a: a.squeeze(0), x, feed_static_shape=False)
    assert_op(lambda t: df.expand_dims(t, dim=1), lambda a: a[:, None], x)
    p = df.placeholder(df.float32, (1, 3, None))
    assert df.squeeze(p, [2]).shape == (1, 3) and df.squeeze(p).shape.ndims is None
    with pytest.raises(Invalid, match=r"Can not squeeze dim\[1\], expected a dimension of 1, got 3"):
        df.squeeze(p, [1])
    with pytest.raises(Invalid, match="Tried to expand dim index 4 for tensor with 3 dimensions"):
        df.expand_dims(p, 4)


@pytest.mark.parametrize("shape,multiples", [((5,), [3]), ((7, 3), [2, 1]), ((1, 3), [4, 0]),
                                             ((4, 1, 3), [1, 3, 2]), ((), [])])
def test_tile(shape, multiples):
    x = rand(shape)
    assert_op(lambda t: df.tile(t, multiples), lambda a: np.tile(a, multiples), x)
    assert df.tile(df.placeholder(df.float32, shape), multiples).shape == np.tile(x, multiples).shape


def test_tile_errors_and_run_time_multiples():
    x = df.placeholder(df.float32, (2, 3))
    with pytest.raises(Invalid, match="vector of length 2 but got length 1"):
        df.tile(x, [2])
    with pytest.raises(Invalid, match=r"multiples\[1\] >= 0"):
        df.tile(x, [2, -1])
    a, b = rand((2, 3)), rand((4, 1))
    assert_op(lambda s, t: df.tile(s, [df.shape(t)[0], 1]), lambda s, t: np.tile(s, (4, 1)), a, b,
              feed_static_shape=False)


@pytest.mark.parametrize("shape,paddings", [((5,), [[2, 1]]), ((7, 3), [[0, 2], [1, 1]]),
                                            ((4, 1, 3), [[1, 0], [0, 0], [2, 2]]), ((), [])])
def test_pad_constant(shape, paddings):
    x = rand(shape)
    paddings = np.array(paddings, dtype=np.int32).reshape(-1, 2)
    ref = (lambda a, **k: np.pad(a, paddings, **k)) if shape else (lambda a, **k: a)  # numpy cannot pad 0-d
    assert_op(lambda t: df.pad(t, paddings), ref, x)
    assert_op(lambda t: df.pad(t, paddings, constant_values=3.5), lambda a: ref(a, constant_values=3.5), x,
              feed_static_shape=False)


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC", "symmetric"])
def test_pad_mirror(mode):
    x = rand((7, 3))
    paddings = [[2, 3], [2, 1]] if mode == "REFLECT" else [[3, 2], [3, 0]]
    assert_op(lambda t: df.pad(t, paddings, mode=mode), lambda a: np.pad(a, paddings, mode=mode.lower()), x)


def test_pad_errors():
    x = df.placeholder(df.float32, (3, 2))
    with pytest.raises(Invalid, match="less than the dimension size"):
        df.pad(x, [[3, 0], [0, 0]], mode="REFLECT")
    with pytest.raises(Invalid, match="no greater than"):
        df.pad(x, [[0, 0], [3, 0]], mode="SYMMETRIC")
    with pytest.raises(Invalid, match="non-negative"):
        df.pad(x, [[-1, 0], [0, 0]])
    with pytest.raises(Invalid, match=r"matrix of shape \[2, 2\]"):
        df.pad(x, [[1, 1]])
    with pytest.raises(ValueError, match="Unknown padding mode"):
        df.pad(x, [[1, 1], [0, 0]], mode="EDGE")


@pytest.mark.parametrize("shape,axis", [((5,), [0]), ((7, 3), [1]), ((7, 3), [0, -1]), ((4, 1, 3), [2, 0])])
def test_reverse(shape, axis):
    x = rand(shape)
    assert_op(lambda t: df.reverse(t, axis), lambda a: np.flip(a, axis), x)
    assert df.reverse_v2 is df.reverse
    with pytest.raises(Invalid, match="out of range"):
        df.reverse(df.placeholder(df.float32, shape), [len(shape)])


# -- generated tensors

@pytest.mark.parametrize("shape", SHAPES + [(0, 3)])
def test_zeros_ones_fill(shape):
    x = rand((1,))
    assert_op(lambda t: df.zeros(shape), lambda a: np.zeros(shape, np.float32), x)
    assert_op(lambda t: df.ones(shape, df.int64), lambda a: np.ones(shape, np.int64), x)
    assert_op(lambda t: df.fill(shape, 7), lambda a: np.full(shape, 7, np.int32), x)
    assert_op(lambda t: df.fill(shape, df.reduce_sum(t)), lambda a: np.full(shape, a.sum()), x)


def test_zeros_with_run_time_shape_and_bool():
    x = rand((3, 4))
    assert_op(lambda t: df.zeros(df.shape(t)), lambda a: np.zeros((3, 4), np.float32), x, feed_static_shape=False)
    assert_op(lambda t: df.ones([df.shape(t)[1], 2], "bool"), lambda a: np.ones((4, 2), bool), x,
              feed_static_shape=False)
    assert df.zeros([df.shape(df.placeholder(df.float32, (None, 4)))[1], 2]).shape == (4, 2)
    with pytest.raises(Invalid, match="non-negative"):
        df.zeros([2, -3])


def test_generated_tensors_respect_chunk_bytes():
    with df.config.set(chunk_bytes=80):
        cases = [(df.zeros([7, 5]), 4), (df.fill([100], 1.0), 4), (df.range(50), 4), (df.linspace(0.0, 1.0, 33), 4),
                 (df.ones([3, 50], df.float64), 8), (df.broadcast_to(df.constant([1.0, 2.0]), [40, 2]), 4)]
        for t, itemsize in cases:
            arr = lowered(t)
            assert arr.npartitions > 1
            assert np.prod([max(c) for c in arr.chunks]) * itemsize <= 80
    np.testing.assert_array_equal(arr.compute(), np.tile([1.0, 2.0], (40, 1)))


@pytest.mark.parametrize("shape", SHAPES)
def test_zeros_like_ones_like(shape):
    x = rand(shape)
    assert_op(lambda t: df.zeros_like(t), np.zeros_like, x)
    assert_op(lambda t: df.ones_like(t, dtype=df.int32), lambda a: np.ones_like(a, np.int32), x,
              feed_static_shape=False)


def test_zeros_like_of_unknown_chunk_sizes():
    x = np.array([1.0, -2.0, 3.0, -4.0, 5.0])
    got = run_graph(lambda t: df.ones_like(df.where(t > 0)), x, chunks=[(2, 3)])
    np.testing.assert_array_equal(got, np.ones((3, 1), np.int64))


@pytest.mark.parametrize("args,ref", [((5,), np.arange(5, dtype=np.int32)),
                                      ((2, 11, 3), np.arange(2, 11, 3, dtype=np.int32)),
                                      ((10, 1, -3), np.arange(10, 1, -3, dtype=np.int32)),
                                      ((0.5, 3.0, 0.25), np.arange(0.5, 3.0, 0.25, dtype=np.float32)),
                                      ((3, 3), np.zeros(0, np.int32)),
                                      ((1, 2.5, 0.5), np.arange(1, 2.5, 0.5, dtype=np.float32))])
def test_range(args, ref):
    assert_op(lambda t: df.range(*args), lambda a: ref, rand((1,)))


def test_range_dtypes_and_errors():
    assert df.range(5).dtype == np.int32
    assert df.range(5.0).dtype == np.float32
    assert df.range(np.int64(5)).dtype == np.int64
    assert df.range(5, dtype=df.float64).dtype == np.float64
    assert df.range(df.constant(2, df.int64), 5).dtype == np.int64
    assert df.range(2, df.constant(5.0, df.float64)).dtype == np.float64
    with pytest.raises(Invalid, match="Requires delta != 0"):
        df.range(0, 5, 0)
    with pytest.raises(Invalid, match="Requires start <= limit when delta > 0: 5/1"):
        df.range(5, 1)
    got = run_graph(lambda t: df.range(df.shape(t)[0], 0, -2), rand((7, 2)), feed_static_shape=False)
    np.testing.assert_array_equal(got, [7, 5, 3, 1])
    assert df.range(df.shape(df.placeholder(df.float32, (None,)))[0]).shape == (None,)


@pytest.mark.parametrize("start,stop,num", [(0.0, 1.0, 5), (-3.0, 7.0, 11), (2.0, -1.0, 4), (1.5, 9.0, 1)])
def test_linspace(start, stop, num):
    assert_op(lambda t: df.linspace(start, stop, num), lambda a: np.linspace(start, stop, num, dtype=np.float32),
              rand((1,)))
    assert df.lin_space is df.linspace
    with df.config.set(chunk_bytes=8):
        np.testing.assert_allclose(lowered(df.linspace(start, stop, num)).compute(),
                                   np.linspace(start, stop, num), rtol=1e-6)


def test_linspace_from_computed_bounds_and_errors():
    x = rand((4,), "float64")
    assert_op(lambda t: df.linspace(df.reduce_sum(t), df.reduce_sum(t) + 1.0, 3),
              lambda a: np.linspace(a.sum(), a.sum() + 1, 3), x)
    with pytest.raises(Invalid, match="Requires num > 0: 0"):
        df.linspace(0.0, 1.0, 0)
    with pytest.raises(Invalid, match="float32 or float64"):
        df.linspace(df.constant(0), df.constant(1), 3)


# -- shape queries, broadcast_to, static values

@pytest.mark.parametrize("shape", SHAPES)
def test_shape_rank_size(shape):
    x = rand(shape)
    for feed_static in (True, False):
        got = run_graph(lambda t: [df.shape(t), df.rank(t), df.size(t), df.shape(t, out_type=df.int64)], x,
                        feed_static_shape=feed_static)
        np.testing.assert_array_equal(got[0], shape)
        assert got[0].dtype == np.int32 and got[3].dtype == np.int64
        assert got[1] == len(shape) and got[2] == x.size


def test_shape_of_unknown_chunk_sizes():
    x = np.array([[1.0, -2.0], [3.0, 4.0], [-5.0, 6.0]])
    got = run_graph(lambda t: [df.shape(df.where(t > 0)), df.size(df.where(t > 0))], x, chunks=[((1, 2), (1, 1))])
    np.testing.assert_array_equal(got[0], [4, 2])
    assert got[1] == 8


def test_static_values_of_shapes():
    x = df.placeholder(df.float32, (None, 3, 4))
    assert df.get_static_value(df.shape(x)) is None
    np.testing.assert_array_equal(df.get_static_value(df.shape(x), partial=True), [None, 3, 4])
    assert df.get_static_value(df.shape(x)[1:]).tolist() == [3, 4]
    assert df.get_static_value(df.shape(x)[-1] * 2) == 8
    assert df.get_static_value(df.rank(x)) == 3
    assert df.get_static_value(df.size(x)) is None
    assert df.get_static_value(df.size(df.zeros([2, 5]))) == 10
    assert df.get_static_value(df.reshape(df.range(6), [2, 3])).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert df.get_static_value(x) is None
    np.testing.assert_array_equal(df.get_static_value([1, 2]), [1, 2])


@pytest.mark.parametrize("shape,target", [((), [3, 2]), ((3,), [4, 3]), ((1, 3), [5, 3]), ((4, 1, 3), [2, 4, 2, 3]),
                                          ((1,), [0])])
def test_broadcast_to(shape, target):
    x = rand(shape)
    assert_op(lambda t: df.broadcast_to(t, target), lambda a: np.broadcast_to(a, target), x)
    assert df.broadcast_to(df.placeholder(df.float32, shape), target).shape == tuple(target)


def test_broadcast_to_errors_and_run_time_shape():
    with pytest.raises(Invalid, match=r"Incompatible shapes: \[2, 3\] vs. \[4, 3\]"):
        df.broadcast_to(df.placeholder(df.float32, (2, 3)), [4, 3])
    with pytest.raises(Invalid, match="Rank of input"):
        df.broadcast_to(df.placeholder(df.float32, (2, 3)), [3])
    a, b = rand((1, 3)), rand((4, 3))
    got = unknown(lambda s, t: df.broadcast_to(s, df.shape(t)), a, b)
    np.testing.assert_array_equal(got, np.broadcast_to(a, (4, 3)))
    assert got.flags.writeable


# -- property tests

@settings(deadline=None, max_examples=20)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_reshape_transpose_roundtrip(shape, data):
    x = rand(tuple(shape))
    perm = data.draw(st.permutations(range(len(shape))))
    flat = int(np.prod(shape))
    k = data.draw(st.sampled_from([d for d in range(1, flat + 1) if flat % d == 0]))
    ref = lambda a: np.transpose(a, perm).reshape(k, -1)  # noqa: E731
    assert_op(lambda t: df.reshape(df.transpose(t, perm), [k, -1]), ref, x)


@settings(deadline=None, max_examples=20)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_concat_of_split_is_identity(shape, data):
    x = rand(tuple(shape))
    axis = data.draw(st.integers(0, len(shape) - 1))
    cuts = sorted(data.draw(st.lists(st.integers(0, shape[axis]), max_size=3)))
    sizes = np.diff([0] + cuts + [shape[axis]]).tolist()
    assert_op(lambda t: df.concat(df.split(t, sizes, axis=axis), axis), lambda a: a, x)


def test_dask_feed_chunks_are_kept_through_reshape():
    x = da.from_array(np.arange(24.0).reshape(6, 4), chunks=(2, 4))
    p = df.placeholder(df.float64, (None, 4))
    with df.Session() as s:
        got = s.run(df.reshape(p, [-1, 2, 2]), {p: x})
    np.testing.assert_array_equal(got, np.arange(24.0).reshape(6, 2, 2))


def test_building_and_lowering_compute_nothing():
    a = rand((6, 4))
    with raise_if_computes():
        x = df.constant(a)
        y = df.gather(df.reshape(df.transpose(x), [-1, 3]), [1, 0])
        z = df.concat([df.pad(y, [[0, 1], [1, 1]]), df.zeros([1, df.shape(y)[1] + 2], df.float64)], 0)
        w = df.one_hot(df.range(df.size(z) // 10), 4) + df.linspace(0.0, 1.0, 4)
        arrs = df.lower([z, w, z[::-1, 1]])
    expected_z = np.concatenate([np.pad(a.T.reshape(-1, 3)[[1, 0]], [[0, 1], [1, 1]]), np.zeros((1, 5))])
    np.testing.assert_array_equal(arrs[0].compute(), expected_z)
    np.testing.assert_allclose(arrs[1].compute(), np.eye(2, 4) + np.linspace(0, 1, 4))
    np.testing.assert_array_equal(arrs[2].compute(), expected_z[::-1, 1])
