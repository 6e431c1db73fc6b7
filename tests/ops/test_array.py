"""Layout ops against numpy (reshape, transpose, concat, stack, split, expand_dims, squeeze, tile, pad, reverse,
broadcast_to) on several shapes, uneven chunkings and unknown dims; their gradients (``GRAD_CASES``, checked by
tests/autodiff/test_op_grads.py) and gradients through placeholders of unknown batch size."""
import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import daskflow as df
from daskflow.ops.registry import apply1
from daskflow.testing import GradCase, assert_op, raise_if_computes, rand, run_graph, with_unknown_dims

TESTED_OPS = {"Reshape", "Transpose", "ConcatV2", "Pack", "Unpack", "Split", "SplitV", "ExpandDims", "Squeeze",
              "Tile", "PadV2", "MirrorPad", "MirrorPadGrad", "ReverseV2", "BroadcastTo"}

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


def test_reshape_by_a_fed_shape():
    x = df.placeholder(df.float32, (2, 3))
    s = df.placeholder(df.int32, (2,))
    y = df.reshape(x, s)
    assert y.shape.as_list() == [None, None]
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    with df.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: v, s: [3, 2]}), v.reshape(3, 2))
        np.testing.assert_array_equal(sess.run(y, {x: v, s: [6, -1]}), v.reshape(6, 1))
        with pytest.raises(Invalid, match=r"Cannot reshape a tensor of shape \[2, 3\] \(6 values\) into shape \[4, 2\]"):
            sess.run(y, {x: v, s: [4, 2]})
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


# -- broadcast_to

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


# -- gradients

GRAD_CASES = [
    GradCase("Reshape", lambda x: df.reshape(x, [3, -1]), [(2, 6)], order=2),
    GradCase("Reshape", with_unknown_dims(lambda x: df.reshape(x, [-1, 2]) * 1.5), [(3, 4)]),
    GradCase("Transpose", lambda x: df.transpose(x, [2, 0, 1]), [(2, 3, 4)], order=2),
    GradCase("Transpose", with_unknown_dims(lambda x: df.transpose(x)), [(3, 4)]),
    GradCase("ConcatV2", lambda x, y: df.concat([x, y, x], 1), [(3, 2), (3, 4)], order=2),
    GradCase("ConcatV2", with_unknown_dims(lambda x, y: df.concat([x, y], -2)), [(2, 3), (4, 3)]),
    GradCase("Pack", lambda x, y: df.stack([x, y, x], axis=-1), [(3, 2), (3, 2)]),
    GradCase("Unpack", lambda x: df.unstack(x, axis=1)[::2], [(2, 3, 2)]),  # one output gets no gradient
    GradCase("Split", lambda x: df.split(x, 2, axis=-1), [(3, 4)]),
    GradCase("SplitV", with_unknown_dims(lambda x: df.split(x, [1, -1, 2])[1]), [(6, 2)]),
    GradCase("ExpandDims", lambda x: df.expand_dims(x, -1), [(3, 2)]),
    GradCase("Squeeze", with_unknown_dims(lambda x: df.squeeze(x, [1])), [(3, 1, 2)]),
    GradCase("Tile", lambda x: df.tile(x, [2, 3]), [(3, 2)], order=2),
    GradCase("Tile", with_unknown_dims(lambda x: df.tile(x, [1, 2, 2])), [(2, 1, 3)]),
    GradCase("PadV2", lambda x, c: df.pad(x, [[1, 2], [0, 1]], constant_values=c), [(3, 2), ()], order=2),
    GradCase({"MirrorPad", "MirrorPadGrad"}, lambda x: df.pad(x, [[2, 1], [1, 2]], mode="REFLECT"), [(4, 3)],
             order=2),
    GradCase({"MirrorPad", "MirrorPadGrad"},
             with_unknown_dims(lambda x: df.pad(x, [[3, 1], [0, 2]], mode="SYMMETRIC")), [(4, 3)], order=2),
    GradCase("ReverseV2", lambda x: df.reverse(x, [0, -1]), [(4, 3)]),
    GradCase("BroadcastTo", lambda x: df.broadcast_to(x, [4, 2, 3]), [(2, 1)]),
    GradCase("BroadcastTo", lambda x, y: df.broadcast_to(x, df.shape(y)) * y, [(3,), (2, 3)]),
]


def _adjoint(index_map, dy):
    """The adjoint of ``x -> x.flat[index_map]``: each dy entry added onto the input element it copies."""
    return np.bincount(index_map.ravel(), weights=dy.ravel(), minlength=index_map.max() + 1)


@pytest.mark.parametrize("shape,paddings", [((4, 3), [[2, 1], [1, 2]]), ((5,), [[0, 3]]),
                                            ((2, 1, 3), [[1, 1], [0, 0], [2, 1]])])
@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
def test_mirror_pad_grad_is_the_adjoint_of_mirror_pad(shape, paddings, mode):
    src = np.pad(np.arange(int(np.prod(shape))).reshape(shape), paddings, mode=mode.lower())
    dy = rand(src.shape, seed=3)
    ref = _adjoint(src, dy).reshape(shape)
    assert_op(lambda t: apply1("MirrorPadGrad", [t, df.constant(paddings)], {"mode": mode}), lambda t: ref, dy)
    assert apply1("MirrorPadGrad", [df.placeholder(df.float64, (None,) + src.shape[1:]), df.constant(paddings)],
                  {"mode": mode}).shape == (None,) + shape[1:]


def _batch_grads(loss_of, feeds):
    """d loss / d x for a float64 placeholder x of shape (None, 3), at each of ``feeds`` (one graph for all)."""
    x = df.placeholder(df.float64, (None, 3))
    g, = df.gradients(loss_of(x), x)
    assert g.shape.as_list() == [None, 3]
    with df.Session() as s:
        return [s.run(g, {x: f}) for f in feeds]


def test_gradients_through_layout_ops_with_unknown_batch_size():
    w = df.constant(np.arange(1.0, 7.0).reshape(2, 3))
    losses = {
        "reshape": lambda x: df.reduce_sum(df.reshape(x, [-1, 6]) * df.reshape(df.concat([w, w], 0), [-1, 6])[:1]),
        "concat": lambda x: df.reduce_sum(df.concat([x, 2.0 * x, x[:, :1]], 1)),
        "tile": lambda x: df.reduce_sum(df.tile(x, [2, 1])),
        "stack": lambda x: df.reduce_sum(df.unstack(df.stack([x, x]), num=2)[1]),
    }
    wanted = {"reshape": lambda n: np.tile([[1.0, 2, 3], [4, 5, 6]], (n // 2, 1)),
              "concat": lambda n: np.tile([[4.0, 3, 3]], (n, 1)), "tile": lambda n: np.full((n, 3), 2.0),
              "stack": lambda n: np.ones((n, 3))}
    feeds = [rand((4, 3)), da.from_array(rand((6, 3), seed=1), chunks=(4, 2))]
    for name, loss in losses.items():
        for got, f in zip(_batch_grads(loss, feeds), feeds):
            np.testing.assert_allclose(got, wanted[name](f.shape[0]), err_msg=name)


def test_python_numbers_take_a_complex_tensors_dtype():
    """As TF: ``x + 1``, ``pad(x)`` and the gradient of a slice of a complex tensor (its pad of zeros) work."""
    x = df.constant(np.array([1 + 2j, 3j], np.complex64))
    g = df.gradients(df.reduce_sum(df.real(df.slice(x, [1], [1]))), x)[0]
    with df.Session() as s:
        plus, padded, grad = s.run([x + 1, df.pad(x, [[1, 0]]), g])
    assert plus.dtype == np.complex64 and plus.tolist() == [2 + 2j, 1 + 3j]
    assert padded.tolist() == [0, 1 + 2j, 3j] and grad.tolist() == [0, 1]
