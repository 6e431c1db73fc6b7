"""``Tensor.__getitem__`` against numpy's indexing: ints, slices (negative steps, clipped bounds), ``...``,
``None``, integer arrays and tensors; static shapes; errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import daskflow as df
from daskflow.testing import assert_op, rand, run_graph

TESTED_OPS = {"StridedSlice", "GatherV2"}

Invalid = df.errors.InvalidArgumentError


def check(shape, key, unknown_dims=False):
    """``t[key]`` equals ``a[key]`` on every chunking, and its static shape is numpy's."""
    x = rand(shape)
    expected = x[key]
    assert_op(lambda t: t[key], lambda a: a[key], x, feed_static_shape=not unknown_dims)
    static = df.placeholder(df.float64, shape)[key].shape
    assert static == expected.shape, (key, static, expected.shape)


@pytest.mark.parametrize("key", [
    0, -1, 3, slice(None), slice(1, None), slice(None, None, -1), slice(-2, None, -2), slice(10, -10, -3),
    (Ellipsis, 0), (None,), (None, Ellipsis, None), (2, slice(None), None), (slice(-100, 100), 0),
    (Ellipsis, None, slice(None, None, 2)), (-4, 0, -1), (slice(3, 1), Ellipsis), (slice(1, 3), slice(0, 1), 1),
])
def test_getitem_matches_numpy(key):
    check((4, 1, 3), key)


@pytest.mark.parametrize("key", [0, (slice(None, None, -2), 1), (Ellipsis,), (None, -1)])
@pytest.mark.parametrize("shape", [(5,), (7, 3)])
def test_getitem_on_small_shapes(shape, key):
    if isinstance(key, tuple) and sum(k is not None and k is not Ellipsis for k in key) > len(shape):
        key = key[:1]
    check(shape, key)
    check(shape, key, unknown_dims=True)


def test_getitem_scalar_tensor():
    check((), ())
    check((), (None, Ellipsis))
    with pytest.raises(Invalid, match="Index out of range using input dim 0"):
        df.placeholder(df.float32, ())[0]


def test_static_shapes_with_unknown_dims():
    x = df.placeholder(df.float32, (None, 3, 4))
    assert x[1:, None].shape == (None, 1, 3, 4)
    assert x[0].shape == (3, 4)
    assert x[..., ::-1, 0].shape == (None, 3)
    assert x[:, -1].shape == (None, 4)
    assert df.placeholder(df.float32, None)[0, 1:].shape.ndims is None


def test_getitem_on_unknown_rank():
    a = rand((3, 4))
    got = run_graph(lambda t: t[1, ::-2], a, feed_static_shape=False)
    np.testing.assert_array_equal(got, a[1, ::-2])
    g = df.Graph()
    with g.as_default():
        p = df.placeholder(df.float64, None)
        y = p[..., 1]
    with df.Session(graph=g) as s:
        np.testing.assert_array_equal(s.run(y, {p: a}), a[..., 1])


def test_one_strided_slice_op_per_index():
    x = df.placeholder(df.float32, (4, 5))
    y = x[1:, None, -1]
    assert y.op.type == "StridedSlice"
    assert y.op.inputs[0] is x


def test_iteration_and_numpy_integers():
    a = rand((3, 2))
    got = run_graph(lambda t: list(t), a)
    np.testing.assert_array_equal(np.stack(got), a)
    check((3, 2), (np.int64(-1), np.int32(0)))
    check((6,), slice(np.int64(1), np.int16(5), np.int8(2)))


@st.composite
def index_cases(draw):
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=3)))
    rank = len(shape)
    k = draw(st.integers(0, rank))
    ellipsis = draw(st.booleans())
    pre = draw(st.integers(0, k)) if ellipsis else k
    dims = list(range(pre)) + list(range(rank - (k - pre), rank))
    bound = st.one_of(st.none(), st.integers(-8, 8))
    entries = []
    for d in dims:
        if shape[d] > 0 and draw(st.booleans()):
            entries.append(draw(st.integers(-shape[d], shape[d] - 1)))
        else:
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
            entries.append(slice(draw(bound), draw(bound), step))
    if ellipsis:
        entries.insert(pre, Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    key = tuple(entries)
    if len(key) == 1 and draw(st.booleans()):
        key = key[0]
    return shape, key


@settings(deadline=None, max_examples=25)
@given(index_cases(), st.booleans())
def test_getitem_property(case, unknown_dims):
    shape, key = case
    check(shape, key, unknown_dims=unknown_dims)


# -- tensors in the index

def test_index_from_static_shape_is_a_strided_slice():
    a, b = rand((5, 3)), rand((2,))
    got = run_graph(lambda s, t: s[df.shape(t)[0] - 3], a, b, feed_static_shape=False)
    np.testing.assert_array_equal(got, a[-1])
    y = df.placeholder(df.float32, (5, 3))[df.shape(df.placeholder(df.float32, (None,)))[0]]
    assert y.op.type == "StridedSlice" and y.shape == (3,)


def test_slice_bounds_from_run_time_shapes():
    a, b = rand((6, 4)), rand((3,))
    got = run_graph(lambda s, t: s[:df.shape(t)[0], -df.shape(t)[0]:], a, b, feed_static_shape=False)
    np.testing.assert_array_equal(got, a[:3, -3:])
    y = df.placeholder(df.float32, (6, 4))[:df.shape(df.placeholder(df.float32, (None,)))[0]]
    assert y.shape == (None, 4)


def test_scalar_tensor_index_gathers():
    a = rand((5, 3))
    got = run_graph(lambda s, i: s[i], a, np.array(2, np.int32))
    np.testing.assert_array_equal(got, a[2])
    got = run_graph(lambda s, i: s[1:, i], a, np.array(1, np.int64))
    np.testing.assert_array_equal(got, a[1:, 1])


@pytest.mark.parametrize("key_fn", [
    lambda i: i, lambda i: (slice(None), i), lambda i: (Ellipsis, i), lambda i: (None, i),
    lambda i: (slice(None, None, -1), i), lambda i: (1, i),
])
def test_integer_array_index_gathers(key_fn):
    a = rand((4, 3))
    idx = np.array([[2, 0], [1, 1]], np.int32)
    key = key_fn(idx)
    assert_op(lambda s, i: s[key_fn(i)], lambda s, i: s[key], a, idx)
    with df.Graph().as_default():
        p = df.placeholder(df.float64, (4, 3))
        assert p[key].shape == a[key].shape


def test_python_list_index_with_negative_entries():
    check((5, 3), [4, -1, 0])
    check((5, 3), (slice(None), [-1, 0]))
    check((5, 3), (Ellipsis, []))


def test_gathered_index_out_of_range_at_run_time():
    with pytest.raises(Invalid, match=r"indices = 5 is not in \[0, 5\)"):
        run_graph(lambda s, i: s[i], rand((5, 3)), np.array([0, 5], np.int32))


@pytest.mark.parametrize("static", [True, False])
def test_negative_tensor_index_known_at_run_time_counts_from_the_end(static):
    # as a TF1 scalar index and numpy: [-size, size) is valid, whether the index is known when built or not
    a = rand((5, 3))
    for i in (-1, -5, 4):
        np.testing.assert_array_equal(run_graph(lambda s, t: s[t], a, np.array(i, np.int32),
                                                feed_static_shape=static), a[i])
    idx = np.array([[-1, 0], [-5, 2]], np.int64)
    np.testing.assert_array_equal(run_graph(lambda s, t: s[:, t], a.T, idx, feed_static_shape=static), a.T[:, idx])
    for bad in (-6, 5):
        with pytest.raises(Invalid, match=rf"indices = {bad} is not in \[0, 5\)"):
            run_graph(lambda s, t: s[t], a, np.array([0, bad], np.int32), feed_static_shape=static)
    with pytest.raises(Invalid, match=r"indices = -6 is not in \[0, 5\)"):
        run_graph(lambda s: s[[0, -6]], a, feed_static_shape=static)


# -- errors

def test_index_out_of_range_at_build_time():
    x = df.placeholder(df.float32, (4, 3))
    with pytest.raises(Invalid, match="index 4 is out of bounds for dimension 0 with size 4"):
        x[4]
    with pytest.raises(Invalid, match="index -4 is out of bounds for dimension 1 with size 3"):
        x[0, -4]
    with pytest.raises(Invalid, match="index 3 is out of bounds for dimension 1 with size 3"):
        x[..., 3]
    with pytest.raises(Invalid, match="Index out of range using input dim 2"):
        x[0, 0, 0]


def test_index_out_of_range_at_run_time():
    with pytest.raises(Invalid, match="index 7 is out of bounds for dimension 0 with size 4"):
        run_graph(lambda t: t[7], rand((4, 3)), feed_static_shape=False)


def test_invalid_index_types():
    x = df.placeholder(df.float32, (4, 3))
    with pytest.raises(TypeError, match="boolean"):
        x[True]
    with pytest.raises(TypeError, match="boolean"):
        x[np.array([True, False, True, False])]
    with pytest.raises(TypeError, match="dtype float32"):
        x[df.constant(1.0)]
    with pytest.raises(TypeError, match="valid indices"):
        x["a"]
    with pytest.raises(ValueError, match="step cannot be zero"):
        x[::0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(df.errors.UnimplementedError, match="more than one"):
        x[[0, 1], [1, 2]]


def test_slice_bound_from_a_fed_value():
    x = df.placeholder(df.float32, (4, 3))
    n = df.placeholder(df.int32, ())
    v = np.arange(12, dtype=np.float32).reshape(4, 3)
    with df.Session() as sess:
        for k in (0, 1, 3):
            np.testing.assert_array_equal(sess.run(x[n:], {x: v, n: k}), v[k:])
        np.testing.assert_array_equal(sess.run(x[:, n], {x: v, n: 2}), v[:, 2])
