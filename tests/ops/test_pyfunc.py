"""``py_func``, ``numpy_function`` and ``py_function``: Python functions run by the Session in its own process, on
the local Session and on a cluster, with their results checked against what the op declares (TF1's messages)."""
import uuid

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import SweepCase

pytestmark = pytest.mark.every_executor
TESTED_OPS = {"PyFunc", "PyFuncStateless", "EagerPyFunc"}


# a name of its own each time this module is imported (registry-wide tests import test modules again)
SQUARE_GRAD = f"PyFuncSquareGradForTest-{uuid.uuid4().hex}"


@df.RegisterGradient(SQUARE_GRAD)
def _square_grad(op, dy):
    return [2.0 * op.inputs[0] * dy]


@pytest.fixture
def sess(executor):
    with df.Graph().as_default(), df.Session() as s:
        yield s


def test_values_flow_through_the_graph(sess):
    x = df.placeholder(df.float32, [None])
    y = df.py_func(np.sinh, [x], df.float32)
    a, n = df.py_func(lambda u, v: (u * v, np.int64(u.size)), [x, y + 1], [df.float32, df.int64])
    out = df.reduce_sum(a) * df.cast(n, df.float32)
    xv = np.array([0.5, 1.0, -2.0], np.float32)
    got_y, got_a, got_n, got = sess.run([y, a, n, out], {x: xv})
    np.testing.assert_allclose(got_y, np.sinh(xv), rtol=1e-6)
    np.testing.assert_allclose(got_a, xv * (np.sinh(xv) + 1), rtol=1e-6)
    assert got_n == 3 and y.shape.ndims is None and a.dtype == df.float32 and n.dtype == df.int64
    np.testing.assert_allclose(got, (xv * (np.sinh(xv) + 1)).sum() * 3, rtol=1e-5)
    assert df.numpy_function(np.cos, [x], df.float32).op.type == "PyFunc"
    assert df.py_func(np.cos, [x], df.float32, stateful=False).op.type == "PyFuncStateless"


def test_strings_and_set_shape(sess):
    words = df.constant(["a", "bc"])
    up = df.py_func(lambda w: np.array([s.upper() for s in w], dtype=object), [words], df.string)
    up.set_shape([2])
    assert sess.run(up).tolist() == [b"A", b"BC"]
    lengths = df.py_func(lambda w: np.array([len(s) for s in w], np.int32), [up], df.int32)
    assert sess.run(lengths).tolist() == [1, 2]


def test_py_function_arguments_answer_numpy(sess):
    x = df.constant([1.0, 4.0])
    y = df.py_function(lambda v: np.sqrt(v.numpy()), [x], df.float32)
    np.testing.assert_allclose(sess.run(y), [1.0, 2.0])
    assert y.op.type == "EagerPyFunc"


def test_a_stateful_function_runs_once_per_run(sess):
    calls = []

    def step():
        calls.append(1)
        return np.float32(len(calls))

    c = df.py_func(step, [], df.float32)
    both = [c * 2, c + 1]
    assert sess.run(both) == [2.0, 2.0] and sess.run(both) == [4.0, 3.0] and len(calls) == 2


def test_reads_the_next_element_of_an_iterator(sess):
    it = df.data.Dataset.from_tensor_slices(np.arange(4, dtype=np.float32)).batch(2).make_one_shot_iterator()
    total = df.py_func(lambda b: np.float32(b.sum() * 10), [it.get_next()], df.float32)
    assert [sess.run(total), sess.run(total)] == [10.0, 50.0]


def test_no_gradient_unless_overridden(sess):
    x = df.constant([1.0, 2.0])
    y = df.py_func(np.square, [x], df.float32)
    assert df.gradients(df.reduce_sum(y), x) == [None]

    with df.get_default_graph().gradient_override_map({"PyFunc": SQUARE_GRAD}):
        z = df.py_func(np.square, [x], df.float32)
    z.set_shape([2])
    np.testing.assert_allclose(sess.run(df.gradients(df.reduce_sum(z * [1.0, 3.0]), x)[0]), [2.0, 12.0])


def test_errors_name_the_op_and_the_function(sess):
    x = df.constant([1.0, 2.0])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"0-th value returned by pyfunc_\d+ is float64, "
                                                             "but expects float32"):
        sess.run(df.py_func(lambda v: v.astype(np.float64), [x], df.float32))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"ZeroDivisionError: division by zero \[in the "
                                                             r"Python function pyfunc_\d+ of op 'PyFunc"):
        sess.run(df.py_func(lambda v: 1 / 0, [x], df.float32))
    shaped = df.py_func(lambda v: v, [x], df.float32)
    shaped.set_shape([3])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"has shape \(2,\), incompatible with the shape "
                                                             r"\(3,\) set on 'PyFunc"):
        sess.run(shaped)
    with pytest.raises(df.errors.InvalidArgumentError, match="returned ndarray where 2 values were expected"):
        sess.run(df.py_func(lambda v: v, [x], [df.float32, df.float32])[0])
    with pytest.raises(TypeError, match="func must be callable"):
        df.py_func(3, [x], df.float32)


def _py_funcs(x, w):
    y = df.py_func(np.sinh, [x], df.float64)
    total, n = df.py_func(lambda u, v: (u.sum(0), np.int64(v.size)), [x, w], [df.float64, df.int64], stateful=False)
    upper = df.py_function(lambda v: np.array([s.upper() for s in v.ravel()], dtype=object).reshape(v.shape),
                           [w], df.string)
    return [y, y * 2.0, total, n, upper, df.py_function(lambda v: v.numpy() + 1, [x], df.float64)]


SWEEP_CASES = [
    SweepCase(_py_funcs, np.linspace(-1, 1, 6).reshape(3, 2), np.array([[b"ab", b"c"], [b"", b"d"]], dtype=object),
              name="py_funcs"),
]
