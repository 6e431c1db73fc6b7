"""Python operators and numpy's protocols (``__array_ufunc__``, ``__array_function__``) on tensors."""
import operator

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import assert_op, rand, run_graph

TESTED_OPS = set()  # the ops themselves are covered by test_math.py, test_reduce.py and test_array.py


def const(value, dtype=np.float32):
    return df.constant(np.asarray(value, dtype))


# -- Python operators: (operator, op type built, input dtype, numpy reference)

ARITH = [
    (operator.add, "AddV2"), (operator.sub, "Sub"), (operator.mul, "Mul"), (operator.truediv, "RealDiv"),
    (operator.floordiv, "FloorDiv"), (operator.mod, "FloorMod"), (operator.pow, "Pow"),
]
COMPARE = [(operator.lt, "Less"), (operator.le, "LessEqual"), (operator.gt, "Greater"),
           (operator.ge, "GreaterEqual")]
LOGIC = [(operator.and_, "LogicalAnd"), (operator.or_, "LogicalOr"), (operator.xor, "LogicalXor")]


def _pos(shape, seed):
    return rand(shape, "float32", 0.5, 3.0, seed=seed)  # positive: valid for pow, nonzero for / // %


@pytest.mark.parametrize("op, op_type", ARITH + COMPARE, ids=lambda v: getattr(v, "__name__", v))
def test_arithmetic_and_comparison_operators(op, op_type):
    x, y = _pos((7, 3), 1), _pos((1, 3), 2)
    a = np.float32(1.5)
    assert_op(op, op, x, y)                                          # tensor op tensor, broadcasting
    assert_op(lambda t: op(t, 1.5), lambda v: op(v, a), x)           # tensor op python scalar
    assert_op(lambda t: op(1.5, t), lambda v: op(a, v), x)           # python scalar op tensor (reflected)
    assert_op(lambda t: op(y, t), lambda v: op(y, v), x)             # numpy array op tensor
    assert_op(lambda t: op(t, y), lambda v: op(v, y), x)             # tensor op numpy array
    t = df.placeholder(df.float32, [7, 3])
    forward, reflected = op(t, 2.0), op(2.0, t)
    assert forward.op.type == op_type and forward.dtype == (df.bool if (op, op_type) in COMPARE else df.float32)
    if (op, op_type) in ARITH:
        assert reflected.op.type == op_type and reflected.op.inputs[1] is t
    else:  # Python turns 2 < t into t > 2
        assert reflected.op.inputs[0] is t


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod],
                         ids=lambda f: f.__name__)
def test_integer_operators_keep_int32(op):
    x = rand((7, 3), "int32", 1, 9)
    y = np.array([[2, -3, 4]], np.int32)
    out = assert_op(op, op, x, y)
    assert out.dtype == np.int32
    got = run_graph(lambda t: op(3, t), x)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, op(np.int32(3), x))


def test_int_truediv_is_float64_and_pow():
    x = np.array([1, -7, 4], np.int32)
    got = run_graph(lambda t: t / 2, x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [0.5, -3.5, 2.0])
    np.testing.assert_array_equal(run_graph(lambda t: t ** 2, x), x ** 2)
    np.testing.assert_array_equal(run_graph(lambda t: 2 ** t, np.array([0, 3], np.int32)), [1, 8])


@pytest.mark.parametrize("op, op_type", LOGIC, ids=lambda v: getattr(v, "__name__", v))
def test_logical_operators_on_bools(op, op_type):
    x, y = rand((7, 3), "bool", seed=1), rand((1, 3), "bool", seed=2)
    assert_op(op, op, x, y)
    assert_op(lambda t: op(t, True), lambda v: op(v, True), x)
    assert_op(lambda t: op(False, t), lambda v: op(False, v), x)
    assert_op(lambda t: op(y, t), lambda v: op(y, v), x)
    assert op(df.placeholder(df.bool, [3]), True).op.type == op_type
    assert getattr(np, f"bitwise_{op.__name__.strip('_')}")(y, df.placeholder(df.bool, [7, 3])).op.type == op_type


def test_unary_operators():
    x = rand((7, 3), "float32")
    assert_op(lambda t: -t, np.negative, x)
    assert_op(lambda t: +t, lambda v: v, x)
    assert_op(abs, np.abs, x)
    assert_op(lambda t: ~t, np.logical_not, rand((7, 3), "bool"))
    assert_op(np.invert, np.logical_not, rand((7, 3), "bool"))
    t = df.placeholder(df.float32, [3])
    assert (-t).op.type == "Neg" and abs(t).op.type == "Abs" and (+t) is t
    assert (~df.placeholder(df.bool, [3])).op.type == "LogicalNot"


def test_invert_is_logical_for_bools_and_bitwise_for_ints():  # as TF 2.21's compat.v1
    np.testing.assert_array_equal((~df.constant([5, -1], df.int32)).compute(), [-6, 0])
    np.testing.assert_array_equal((~df.constant([True, False])).compute(), [False, True])
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: LogicalNot needs a bool"):
        ~df.placeholder(df.float32, [3])


def test_matmul_operator():
    a, b = rand((4, 3), "float32", seed=1), rand((3, 5), "float32", seed=2)
    assert_op(operator.matmul, operator.matmul, a, b)
    assert_op(lambda t: a @ t, lambda v: a @ v, b)                    # numpy array on the left
    assert_op(lambda t: t @ b, lambda v: v @ b, a)
    assert_op(operator.matmul, operator.matmul, rand((2, 4, 3), seed=1), rand((3, 5), seed=2))
    assert (df.placeholder(df.float32, [4, 3]) @ b).op.type == "BatchMatMulV2"


def test_matmul_with_vectors_follows_numpy():
    m, v = rand((4, 3), seed=1), rand((3,), seed=2)
    w = rand((4,), seed=3)
    assert_op(operator.matmul, operator.matmul, m, v)
    assert_op(operator.matmul, operator.matmul, w, m)
    assert_op(operator.matmul, operator.matmul, v, v)
    assert_op(np.matmul, np.matmul, rand((2, 4, 3), seed=4), v)
    with pytest.raises(ValueError):
        df.placeholder(df.float32, [3]) @ df.placeholder(df.float32, [])


def test_operands_take_the_tensor_dtype():
    xf = df.placeholder(df.float32, [3])
    xi = df.placeholder(df.int32, [3])
    assert (xf + 1).dtype == df.float32 and (1 + xf).dtype == df.float32
    assert (2 * xi).dtype == df.int32 and (xi * 2).dtype == df.int32
    assert (xf * np.float64(2.0)).dtype == df.float32 and (np.float64(2.0) * xf).dtype == df.float32
    assert (xf + np.ones(3)).dtype == df.float32 and (np.ones(3) + xf).dtype == df.float32
    assert (xi + np.arange(3)).dtype == df.int32
    assert (xf + [1, 2, 3]).dtype == df.float32
    with pytest.raises(TypeError, match="int32"):
        xi + 1.5
    with pytest.raises(TypeError):
        xi * np.array([0.5, 1.0, 2.0])
    with pytest.raises(df.errors.InvalidArgumentError, match="int32.*float32|float32.*int32"):
        xf + xi


def test_operators_on_variables():
    v = df.Variable(np.array([1.0, 2.0], np.float32))
    y = 2 * v + np.ones(2)
    with df.Session() as s:
        s.run(v.initializer)
        np.testing.assert_array_equal(s.run(y), [3.0, 5.0])
        np.testing.assert_array_equal(s.run(np.exp(v) - v), np.exp([1.0, 2.0], dtype=np.float32) - [1.0, 2.0])


# -- identity semantics and conversions

def test_eq_and_ne_keep_identity():
    a, b = const([1.0, 2.0]), const([1.0, 2.0])
    assert (a == a) is True and (a == b) is False
    assert (a != b) is True and (a != a) is False
    assert a in [b, a] and b not in [a]
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b" and len({a, b, a}) == 2
    x = df.placeholder(df.float32, [2])
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(x * 2, feed_dict={x: [1.0, 2.0]}), [2.0, 4.0])
    assert df.equal(a, b).dtype == df.bool  # elementwise comparison is explicit


def test_bool_raises_type_error():
    t = const(1.0)
    with pytest.raises(TypeError, match="bool"):
        bool(t)
    with pytest.raises(TypeError):
        if t:
            pass
    with pytest.raises(TypeError):
        t and True


def test_asarray_raises_naming_the_tensor():
    t = df.placeholder(df.float32, [2], name="my_input")
    with pytest.raises(TypeError, match="my_input:0"):
        np.asarray(t)
    with pytest.raises(TypeError, match="my_input:0"):
        np.array(t)


# -- numpy ufuncs

def test_ufuncs_build_nodes():
    x = rand((7, 3), "float32", 0.5, 2.0)
    for ufunc, op_type in [(np.exp, "Exp"), (np.log, "Log"), (np.sqrt, "Sqrt"), (np.sin, "Sin"),
                           (np.tanh, "Tanh"), (np.negative, "Neg"), (np.abs, "Abs"), (np.square, "Square"),
                           (np.floor, "Floor"), (np.isnan, "IsNan")]:
        t = df.placeholder(df.float32, [7, 3])
        assert ufunc(t).op.type == op_type
        assert_op(ufunc, ufunc, x)


def test_binary_ufuncs_with_arrays_and_scalars():
    x, a = rand((7, 3), "float32", seed=1), rand((3,), "float32", seed=2)
    t = df.placeholder(df.float32, [7, 3])
    assert np.add(t, 1).op.type == "AddV2" and np.add(t, 1).dtype == df.float32
    assert np.maximum(a, t).op.type == "Maximum"
    assert_op(lambda v: np.add(v, 1), lambda v: v + np.float32(1), x)
    assert_op(lambda v: np.maximum(a, v), lambda v: np.maximum(a, v), x)
    assert_op(lambda v: np.maximum(a.astype(np.float64), v), lambda v: np.maximum(a, v), x)  # takes float32
    assert_op(lambda v: np.power(v, 2), np.square, x)
    assert_op(lambda v: np.arctan2(a, v), lambda v: np.arctan2(a, v), x)
    assert_op(lambda v: np.less(v, a), lambda v: np.less(v, a), x)
    assert_op(lambda v: np.equal(v, x[0]), lambda v: np.equal(v, x[0]), x)  # explicit ufunc: elementwise
    assert np.equal(t, 1.0).dtype == df.bool


def test_ufuncs_without_a_symbolic_form_raise_type_error():
    t = df.placeholder(df.float32, [3])
    with pytest.raises(TypeError):
        np.hypot(t, 1.0)
    with pytest.raises(TypeError):
        np.bitwise_and(df.placeholder(df.int32, [3]), 1)  # bool tensors only: logical, as `&`
    with pytest.raises(TypeError):
        np.add.reduce(t)
    with pytest.raises(TypeError):
        np.add(t, 1.0, out=np.zeros(3, np.float32))
    with pytest.raises(TypeError):
        np.exp(t, dtype=np.float64)


# -- numpy functions via __array_function__ (those implemented by math.py)

def test_np_matmul_dot_tensordot_einsum():
    a, b = rand((4, 3), seed=1), rand((3, 5), seed=2)
    t = df.placeholder(df.float64, [4, 3])
    assert np.matmul(t, b).op.type == "BatchMatMulV2"
    assert_op(lambda v: np.matmul(v, b), lambda v: np.matmul(v, b), a)
    assert_op(lambda v: np.dot(v, b), lambda v: np.dot(v, b), a)
    assert_op(lambda v: np.dot(v, b[:, 0]), lambda v: np.dot(v, b[:, 0]), a)
    assert_op(lambda v: np.dot(rand((2, 4, 3)), v), lambda v: np.dot(rand((2, 4, 3)), v), rand((5, 3, 2)))
    assert_op(lambda v: np.dot(v, 2.0), lambda v: np.dot(v, 2.0), a)
    assert_op(lambda v: np.tensordot(v, b, axes=1), lambda v: np.tensordot(v, b, axes=1), a)
    assert_op(lambda v: np.tensordot(v, a), lambda v: np.tensordot(v, a), a)
    assert_op(lambda v: np.tensordot(v, a, axes=([0], [0])), lambda v: np.tensordot(v, a, axes=([0], [0])), a)
    assert_op(lambda v: np.einsum("ij,jk->ik", v, b), lambda v: np.einsum("ij,jk->ik", v, b), a)
    assert_op(lambda v: np.einsum("ij->j", v), lambda v: np.einsum("ij->j", v), a)
    assert np.einsum("ij,jk", t, b).op.type == "Einsum"


def test_np_where_and_clip():
    c, x, y = rand((7, 1), "bool", seed=1), rand((7, 3), seed=2), rand((3,), seed=3)
    assert np.where(df.placeholder(df.bool, [7, 1]), x, y).op.type == "Select"
    assert_op(lambda v: np.where(c, v, y), lambda v: np.where(c, v, y), x)
    assert_op(lambda v: np.where(v > 0, v, 0.0), lambda v: np.where(v > 0, v, 0.0), x)
    assert_op(lambda v: np.clip(v, -1.0, 0.5), lambda v: np.clip(v, -1.0, 0.5), x)
    assert_op(lambda v: np.clip(v, None, 0.5), lambda v: np.clip(v, None, 0.5), x)
    assert_op(lambda v: np.clip(v, -0.5, None), lambda v: np.clip(v, -0.5, None), x)
    assert_op(lambda v: np.clip(v, y - 1, y), lambda v: np.clip(v, y - 1, y), x)
    assert np.clip(df.placeholder(df.float32, [3]), 0, 1).dtype == df.float32


def test_np_round():
    x = np.array([1.234, -2.567, 0.125, 2.5])
    assert_op(np.round, np.round, x)
    assert_op(lambda v: np.round(v, 2), lambda v: np.round(v, 2), x)
    assert_op(lambda v: np.around(v, 1), lambda v: np.around(v, 1), x)


def test_np_shape_queries():
    t = df.placeholder(df.float32, [None, 3])
    assert np.shape(t) == (None, 3) and np.ndim(t) == 2
    assert np.size(df.placeholder(df.float32, [4, 3])) == 12


def test_unsupported_numpy_function_raises_type_error():
    t = df.placeholder(df.float32, [3])
    for fn in (np.cumsum, np.sort, np.unique, np.linalg.norm):
        with pytest.raises(TypeError):
            fn(t)


# -- numpy functions implemented by the reductions

@pytest.mark.parametrize("fn", [np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("kw", [{}, {"axis": 0}, {"axis": 1, "keepdims": True}, {"axis": (0, 2)},
                                {"axis": -1}], ids=str)
def test_np_reductions(fn, kw):
    x = rand((4, 2, 3), "float64", 0.5, 1.5)
    out = assert_op(lambda t: fn(t, **kw), lambda v: fn(v, **kw), x)
    assert fn(df.placeholder(df.float64, [4, 2, 3]), **kw).shape == np.shape(out)


def test_np_reductions_dtypes():
    xi = rand((7, 3), "int32", -9, 9)
    mean = assert_op(np.mean, np.mean, xi)
    assert mean.dtype == np.float64  # numpy: the mean of ints is a float
    assert_op(lambda t: np.mean(t, axis=0), lambda v: np.mean(v, axis=0), xi)
    assert_op(lambda t: np.sum(t, axis=1, dtype=np.float32), lambda v: np.sum(v, axis=1, dtype=np.float32), xi)
    assert np.sum(df.placeholder(df.int32, [3])).dtype == df.int32  # TF keeps the input's dtype
    xb = rand((7, 3), "bool")
    assert_op(lambda t: np.sum(t, axis=0), lambda v: np.sum(v, axis=0), xb)
    assert_op(np.any, np.any, xb)
    assert_op(lambda t: np.all(t, axis=1), lambda v: np.all(v, axis=1), xb)
    assert_op(lambda t: np.any(t > 0.5, axis=0, keepdims=True), lambda v: np.any(v > 0.5, axis=0, keepdims=True),
              rand((7, 3)))


def test_np_argmax_argmin():
    x = rand((7, 3), seed=5)
    assert_op(np.argmax, np.argmax, x)
    assert_op(lambda t: np.argmax(t, axis=1), lambda v: np.argmax(v, axis=1), x)
    assert_op(lambda t: np.argmin(t, axis=0), lambda v: np.argmin(v, axis=0), x)


def test_np_reductions_without_symbolic_form():
    t = df.placeholder(df.float32, [3])
    with pytest.raises(TypeError):
        np.sum(t, initial=1.0)
    with pytest.raises(TypeError):
        np.sum(t, out=np.zeros(()))


# -- numpy functions implemented by the array ops

def test_np_transpose_reshape():
    x = rand((4, 2, 3))
    assert_op(np.transpose, np.transpose, x)
    assert_op(lambda t: np.transpose(t, (1, 0, 2)), lambda v: np.transpose(v, (1, 0, 2)), x)
    assert_op(lambda t: np.reshape(t, (8, 3)), lambda v: np.reshape(v, (8, 3)), x)
    assert_op(lambda t: np.reshape(t, (-1,)), lambda v: np.reshape(v, (-1,)), x)
    assert np.reshape(df.placeholder(df.float64, [4, 2, 3]), (3, -1)).shape == (3, 8)
    with pytest.raises(TypeError):
        np.reshape(df.placeholder(df.float64, [4, 2, 3]), (3, -1), order="F")


def test_np_concatenate_stack():
    x, y = rand((4, 3), seed=1), rand((2, 3), seed=2)
    assert_op(lambda a, b: np.concatenate([a, b]), lambda a, b: np.concatenate([a, b]), x, y)
    assert_op(lambda a: np.concatenate([a, y], axis=0), lambda a: np.concatenate([a, y], axis=0), x)
    assert_op(lambda a: np.concatenate([a, x], axis=1), lambda a: np.concatenate([a, x], axis=1), x)
    assert_op(lambda a, b: np.concatenate([a, b], axis=None), lambda a, b: np.concatenate([a, b], axis=None), x, y)
    assert_op(lambda a: np.stack([a, x]), lambda a: np.stack([a, x]), x)
    assert_op(lambda a: np.stack([a, a, x], axis=-1), lambda a: np.stack([a, a, x], axis=-1), x)
    assert np.concatenate([df.placeholder(df.float32, [4, 3]), y]).dtype == df.float32  # takes the tensor's dtype


def test_np_squeeze_expand_dims_tile_flip():
    x = rand((4, 1, 3))
    assert_op(np.squeeze, np.squeeze, x)
    assert_op(lambda t: np.squeeze(t, axis=1), lambda v: np.squeeze(v, axis=1), x)
    assert_op(lambda t: np.expand_dims(t, 0), lambda v: np.expand_dims(v, 0), x)
    assert_op(lambda t: np.tile(t, (2, 1, 2)), lambda v: np.tile(v, (2, 1, 2)), x)
    assert_op(np.flip, np.flip, x)
    assert_op(lambda t: np.flip(t, axis=2), lambda v: np.flip(v, axis=2), x)


def test_np_where_one_argument_gives_index_vectors():
    for shape in [(5,), (7, 3), (4, 1, 3)]:
        c = rand(shape, "bool", seed=3)
        got = assert_op(lambda t: list(np.where(t)), lambda v: list(np.where(v)), c)
        assert len(got) == len(shape) and all(g.dtype == np.int64 for g in got)
