"""Host evaluation of shape-valued tensors: static values at build time (``get_static_value``), run-time shapes
at lowering time, and the ``host``/``host_from_shapes`` hooks ops declare."""
import numpy as np
import pytest

import daskflow as df
from daskflow.ops import hostvalue
from daskflow.ops.registry import OPS
from daskflow.testing import assert_op, rand


def test_stack_of_static_values_is_static():
    x = df.placeholder(df.float32, (None, 3))
    s = df.stack([df.shape(x)[1], 2])
    np.testing.assert_array_equal(df.get_static_value(s), [3, 2])
    assert df.get_static_value(df.stack([df.shape(x)[0], 2])) is None


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



def test_static_shape_arithmetic_through_the_ops_hooks():
    x = df.placeholder(df.float32, (None, 6, 4))
    n, h, w = df.unstack(df.shape(x))
    assert df.get_static_value(h * w - 1) == 23
    assert df.get_static_value(-(h // 4) + h % 4) == 1
    assert df.get_static_value(df.maximum(h, w) + df.minimum(h, w)) == 10
    assert df.get_static_value(df.cast(df.reduce_prod(df.shape(x)[1:]), df.int64)).dtype == np.int64
    assert df.get_static_value(df.reduce_sum(df.shape(x)[1:], keepdims=True)).tolist() == [10]
    assert df.get_static_value(df.identity(df.stop_gradient(w))) == 4
    np.testing.assert_array_equal(df.get_static_value(df.shape(x) * 2, partial=True), [None, 12, 8])
    assert df.get_static_value(n * 2) is None and df.get_static_value(df.reduce_prod(df.shape(x))) is None
    assert df.get_static_value(h // (w - 4)) is None  # a division by zero is left to fail when the graph runs
    assert df.get_static_value(df.exp(df.constant(1.0))) is None  # ops without a hook are not evaluated


def test_hooks_are_declared_on_the_ops():
    for name in ("Const", "Identity", "StopGradient", "Cast", "AddV2", "Sub", "Mul", "FloorDiv", "FloorMod",
                 "Maximum", "Minimum", "Neg", "Sum", "Prod", "Reshape", "StridedSlice", "Pack", "Fill", "Range"):
        assert callable(getattr(OPS[name], "host", None)), name
    for name in ("Shape", "Rank", "Size", "ZerosLike", "OnesLike"):
        assert callable(getattr(OPS[name], "host_from_shapes", None)), name
    assert getattr(OPS["Exp"], "host", None) is None and getattr(OPS["Placeholder"], "host", None) is None


def test_large_values_are_not_evaluated_on_the_host():
    big = hostvalue.HOST_MAX_ELEMS + 1
    assert df.get_static_value(df.zeros([big], df.int32)) is None
    assert df.get_static_value(df.size(df.zeros([big], df.int32))) == big


def test_shape_arguments_from_run_time_shapes():
    a = rand((5, 4))
    assert_op(lambda t: df.reshape(t, [df.shape(t)[0] * 2, df.shape(t)[1] // 2]), lambda v: v.reshape(10, 2), a,
              feed_static_shape=False)
    assert_op(lambda t: df.zeros(df.stack([df.reduce_prod(df.shape(t)), 1])), lambda v: np.zeros((20, 1), np.float32),
              a, feed_static_shape=False)


def test_shape_arguments_from_data_leave_the_static_shape_unknown():
    x = df.placeholder(df.float32, (2, 3))
    y = df.reshape(x, df.stack([df.cast(df.reduce_sum(x), df.int32), 3]))
    assert y.shape.as_list() == [None, 3]
    assert df.get_static_value(df.cast(df.reduce_sum(x), df.int32)) is None
    with df.Session() as sess:
        v = np.array([[1, 1, 0], [0, 0, 0]], np.float32)
        np.testing.assert_array_equal(sess.run(y, {x: v}), v)
        with pytest.raises(df.errors.InvalidArgumentError, match="into shape \\[1, 3\\]"):
            sess.run(y, {x: v / 2})
