"""Generated tensors (zeros, ones, fill, zeros_like, ones_like, eye, range, linspace) and shape queries (shape, rank,
size) against numpy, on run-time shapes and within chunk_bytes; fill's gradient (``GRAD_CASES``)."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op, rand, run_graph

TESTED_OPS = {"Fill", "Eye", "ZerosLike", "OnesLike", "Range", "LinSpace", "Shape", "Rank", "Size", "BroadcastArgs"}

SHAPES = [(), (5,), (7, 3), (1, 3), (4, 1, 3)]
Invalid = df.errors.InvalidArgumentError


def lowered(t):
    """The dask array ``t`` lowers to (for checking chunks)."""
    return df.lower(t)


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


@pytest.mark.parametrize("rows,cols,batch", [(3, None, None), (2, 4, None), (4, 2, None), (3, None, [2]),
                                             (2, 3, [2, 1]), (0, None, None), (2, 0, [3]), (1, None, [])])
def test_eye(rows, cols, batch):
    ref = np.broadcast_to(np.eye(rows, cols, dtype=np.float32), tuple(batch or ()) + np.eye(rows, cols).shape)
    assert df.eye(rows, cols, batch).shape == ref.shape
    assert_op(lambda t: df.eye(rows, cols, batch), lambda a: ref, rand((1,)))
    assert_op(lambda t: df.linalg.eye(rows, cols, batch, dtype=df.int64), lambda a: ref.astype(np.int64), rand((1,)))


def test_eye_dtypes_names_and_run_time_sizes():
    np.testing.assert_array_equal(df.eye(2, dtype=df.bool).compute(), np.eye(2, dtype=bool))
    np.testing.assert_array_equal(df.eye(2, dtype=df.complex64).compute(), np.eye(2, dtype=np.complex64))
    assert df.eye(2).dtype == np.float32 and df.eye(2, name="ident").name == "ident:0"
    x = rand((3, 5))
    got = run_graph(lambda t: [df.eye(df.shape(t)[0], df.shape(t)[1]), df.eye(2, batch_shape=df.shape(t))], x,
                    feed_static_shape=False)
    np.testing.assert_array_equal(got[0], np.eye(3, 5))
    np.testing.assert_array_equal(got[1], np.broadcast_to(np.eye(2), (3, 5, 2, 2)))
    ph = df.placeholder(df.float32, (None, 4))
    assert df.eye(df.shape(ph)[0]).shape.as_list() == [None, None]
    assert df.eye(df.shape(ph)[0], 3).shape.as_list() == [None, 3]


def test_eye_errors():
    with pytest.raises(Invalid, match="non-negative, got -1"):
        df.eye(-1)
    with pytest.raises(Invalid, match="non-negative, got -2"):
        df.eye(2, batch_shape=[-2])
    with pytest.raises(Invalid, match="num_rows must be a scalar"):
        df.eye([2])
    with pytest.raises(TypeError, match="num_rows must hold integers"):
        df.eye(2.5)


@pytest.mark.parametrize("rows,cols,batch", [(7, None, None), (5, 9, None), (9, 5, [3]), (4, 6, [2, 3])])
def test_eye_is_made_in_blocks_within_chunk_bytes(rows, cols, batch):
    with df.config.set(chunk_bytes=40):
        arr = lowered(df.eye(rows, cols, batch, dtype=df.float64))
    assert arr.npartitions > 1
    assert np.prod([max(c) for c in arr.chunks]) * 8 <= 40
    ref = np.broadcast_to(np.eye(rows, cols), tuple(batch or ()) + np.eye(rows, cols).shape)
    np.testing.assert_array_equal(arr.compute(), ref)


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


# -- shape queries

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



GRAD_CASES = [
    GradCase("Fill", lambda v: df.fill([2, 3], v), [()], order=2),
    GradCase("Fill", lambda v, x: df.fill(df.shape(x), v) * x, [(), (3, 2)]),
]


def test_zeros_and_ones_take_an_int_shape():
    import daskflow as df
    np.testing.assert_array_equal(df.ones(2).compute(), np.ones(2, "f4"))
    assert df.zeros(3, df.int32).compute().tolist() == [0, 0, 0]


def test_broadcast_dynamic_and_static_shapes():
    a, b = df.placeholder(df.int32, (None,)), df.placeholder(df.int32, (None,))
    bd = df.broadcast_dynamic_shape(a, b)
    assert bd.shape.as_list() == [None]
    x = df.placeholder(df.float32, (None, 1, 4))
    partial = df.broadcast_dynamic_shape(df.shape(x), [3, 1])
    assert df.get_static_value(partial, partial=True).tolist() == [None, 3, 4]  # known when built where it can be
    assert df.get_static_value(df.broadcast_dynamic_shape([2, 1], [5])).tolist() == [2, 5]
    with df.Session() as s:
        for p, q in [([3, 1, 4], [2, 1]), ([1], [5, 6]), ([], [2]), ([0, 1], [1, 3])]:
            np.testing.assert_array_equal(s.run(bd, {a: np.array(p, np.int32), b: np.array(q, np.int32)}),
                                          np.broadcast_shapes(tuple(p), tuple(q)))
        np.testing.assert_array_equal(s.run(partial, {x: np.zeros((2, 1, 4), np.float32)}), [2, 3, 4])
        with pytest.raises(df.errors.InvalidArgumentError, match=r"Incompatible shapes: \[3\] vs. \[2\]"):
            s.run(bd, {a: [3], b: [2]})
    assert df.broadcast_static_shape(df.TensorShape([None, 1]), df.TensorShape([3])).as_list() == [None, 3]
    assert df.broadcast_static_shape(df.TensorShape(None), df.TensorShape([3])).ndims is None
    with pytest.raises(ValueError, match="Incompatible shapes"):
        df.broadcast_static_shape(df.TensorShape([2]), df.TensorShape([3]))
    with pytest.raises(df.errors.InvalidArgumentError, match="Incompatible shapes"):
        df.broadcast_dynamic_shape([2], [3])
