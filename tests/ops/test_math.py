"""Elementwise math, comparisons, logic, casting, selection and contractions (matmul, tensordot) against numpy."""
import inspect
import re

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import daskflow as df
from daskflow.ops import math as dfmath
from daskflow.ops.registry import OPS
from daskflow.autodiff import gradients
from daskflow.testing import GradCase, assert_op, raise_if_computes, rand, run_graph

TESTED_OPS = {
    "Neg", "Abs", "Sign", "Square", "Reciprocal", "Exp", "Expm1", "Log", "Log1p", "Sqrt", "Rsqrt", "Sin", "Cos",
    "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Tanh", "Asinh", "Acosh", "Atanh", "Sigmoid", "Softplus", "Erf",
    "Erfc", "Floor", "Ceil", "Round", "Rint", "IsNan", "IsInf", "IsFinite", "LogicalNot", "Conj",
    "AddV2", "Sub", "Mul", "RealDiv", "FloorDiv", "FloorMod", "Pow", "Maximum", "Minimum", "SquaredDifference",
    "Atan2", "Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr",
    "LogicalXor", "Cast", "Select", "Where", "AddN", "BatchMatMulV2", "Tensordot", "CheckNumerics", "Assert",
}

SHAPES = [(), (5,), (7, 3), (1, 3), (4, 1, 3)]
FLOATS = ["float32", "float64"]
POSITIVE, UNIT, ABOVE_ONE = (0.1, 3.0), (-0.9, 0.9), (1.0, 4.0)


def zeros(shape, dtype=np.float32):
    return df.constant(np.zeros(shape, dtype))


def ones(shape, dtype=np.float32):
    return df.constant(np.ones(shape, dtype))


def test_tested_ops_lists_every_op_of_the_module():
    src = inspect.getsource(dfmath)
    declared = set(re.findall(r'^(?:unary|binary)\("(\w+)"', src, re.M)) | set(re.findall(r'@register\("(\w+)"\)',
                                                                                          src))
    assert declared <= set(OPS)
    assert declared <= TESTED_OPS
    assert TESTED_OPS <= set(OPS)


# -- unary ops: (public function, numpy reference, input range)

UNARY = {
    "Neg": (df.negative, np.negative, None), "Abs": (df.abs, np.abs, None), "Sign": (df.sign, np.sign, None),
    "Square": (df.square, np.square, None), "Reciprocal": (df.reciprocal, np.reciprocal, POSITIVE),
    "Exp": (df.exp, np.exp, None), "Expm1": (df.expm1, np.expm1, None), "Log": (df.log, np.log, POSITIVE),
    "Log1p": (df.log1p, np.log1p, POSITIVE), "Sqrt": (df.sqrt, np.sqrt, POSITIVE),
    "Rsqrt": (df.rsqrt, lambda x: 1 / np.sqrt(x), POSITIVE), "Sin": (df.sin, np.sin, None),
    "Cos": (df.cos, np.cos, None), "Tan": (df.tan, np.tan, (-1.2, 1.2)), "Asin": (df.asin, np.arcsin, UNIT),
    "Acos": (df.acos, np.arccos, UNIT), "Atan": (df.atan, np.arctan, None), "Sinh": (df.sinh, np.sinh, None),
    "Cosh": (df.cosh, np.cosh, None), "Tanh": (df.tanh, np.tanh, None), "Asinh": (df.asinh, np.arcsinh, None),
    "Acosh": (df.acosh, np.arccosh, ABOVE_ONE), "Atanh": (df.atanh, np.arctanh, UNIT),
    "Sigmoid": (df.sigmoid, scipy.special.expit, (-30.0, 30.0)),
    "Softplus": (df.softplus, lambda x: np.logaddexp(np.zeros_like(x), x), (-30.0, 30.0)),
    "Erf": (df.erf, scipy.special.erf, None), "Erfc": (df.erfc, scipy.special.erfc, None),
    "Floor": (df.floor, np.floor, None), "Ceil": (df.ceil, np.ceil, None), "Round": (df.round, np.round, None),
    "Rint": (df.rint, np.rint, None),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op_type", sorted(UNARY))
def test_unary_float(op_type, shape, dtype):
    fn, ref, rng = UNARY[op_type]
    x = rand(shape, dtype, *(rng or (-2.0, 2.0)))
    tol = 1e-6 if dtype == "float32" else 1e-12
    assert_op(fn, ref, x, rtol=tol, atol=tol)
    assert fn(df.placeholder(dtype, shape)).op.type == op_type


@pytest.mark.parametrize("fn, ref", [(df.negative, np.negative), (df.abs, np.abs), (df.sign, np.sign),
                                     (df.square, np.square), (df.round, np.round)])
@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_unary_int(fn, ref, dtype):
    assert_op(fn, ref, rand((7, 3), dtype, -9, 9))


def test_unary_aliases():
    assert df.neg is df.negative and df.inv is df.reciprocal
    x = df.placeholder(df.float32, [3])
    assert df.math.erf(x).op.type == "Erf" and df.math.sigmoid(x).op.type == "Sigmoid"


def test_round_is_half_to_even():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(run_graph(df.round, x), [-2, -2, -0, 0, 2, 2, 4])


def test_abs_of_complex_is_real():
    x = np.array([3 + 4j, -1j, 0], np.complex64)
    got = run_graph(df.abs, x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [5, 1, 0])


def test_conj_and_complex_functions():
    x = (rand((7, 3), seed=1) + 1j * rand((7, 3), seed=2)).astype(np.complex128)
    assert_op(df.conj, np.conj, x)
    assert_op(df.exp, np.exp, x, rtol=1e-12)
    assert_op(df.sigmoid, lambda v: 1 / (1 + np.exp(-v)), x, rtol=1e-12)
    assert_op(df.conj, np.conj, rand((5,)))  # real input: unchanged


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_softplus_stable_at_extremes(dtype):
    x = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], dtype)
    sig, sp = run_graph(lambda t: [df.sigmoid(t), df.softplus(t)], x)  # filterwarnings=error: no overflow warning
    assert sig.dtype == sp.dtype == np.dtype(dtype)
    assert np.all(np.isfinite(sig)) and np.all(np.isfinite(sp))
    tiny = np.finfo(dtype).tiny  # subnormal results lose relative precision
    np.testing.assert_allclose(sig, scipy.special.expit(x.astype(np.float64)), rtol=1e-6, atol=tiny)
    np.testing.assert_allclose(sp, np.logaddexp(0, x.astype(np.float64)), rtol=1e-6, atol=tiny)
    assert sig[0] == 0 and sig[-1] == 1 and sp[-1] == np.float32(1e4) and sp[0] == 0


def test_is_nan_inf_finite():
    x = np.array([[0.0, np.nan, np.inf], [-np.inf, 1.5, -0.0]], np.float32)
    assert_op(df.is_nan, np.isnan, x)
    assert_op(df.is_inf, np.isinf, x)
    assert_op(df.is_finite, np.isfinite, x)
    assert df.is_nan(df.placeholder(df.float32, [2])).dtype == df.bool


def test_logical_not():
    assert_op(df.logical_not, np.logical_not, rand((7, 3), "bool"))


def test_ieee_specials_are_values_without_warnings():
    # TF gives inf and nan silently; numpy would warn (and pytest turns warnings into errors)
    x = np.array([0.0, -1.0, 1.0, 1e30], np.float32)
    log, sqrt, exp, inv = run_graph(lambda t: [df.log(t), df.sqrt(t), df.exp(t * t), df.reciprocal(t)], x)
    assert log[0] == -np.inf and np.isnan(log[1]) and np.isnan(sqrt[1])
    assert exp[3] == np.inf and inv[0] == np.inf
    assert np.isnan(run_graph(lambda a, b: a / b, np.zeros(2), np.zeros(2))).all()


# -- binary ops: (public function, numpy reference, dtypes)

ARITH = ["float32", "float64", "int32", "int64"]
CMP = ["float32", "float64", "int32"]
BINARY = {
    "AddV2": (df.add, np.add, ARITH), "Sub": (df.subtract, np.subtract, ARITH),
    "Mul": (df.multiply, np.multiply, ARITH), "RealDiv": (df.truediv, np.true_divide, FLOATS),
    "FloorDiv": (df.floordiv, np.floor_divide, ARITH), "FloorMod": (df.floormod, np.mod, ARITH),
    "Pow": (df.pow, np.power, FLOATS), "Maximum": (df.maximum, np.maximum, ARITH),
    "Minimum": (df.minimum, np.minimum, ARITH),
    "SquaredDifference": (df.squared_difference, lambda a, b: (a - b) ** 2, ARITH),
    "Atan2": (df.atan2, np.arctan2, FLOATS), "Less": (df.less, np.less, CMP),
    "LessEqual": (df.less_equal, np.less_equal, CMP), "Greater": (df.greater, np.greater, CMP),
    "GreaterEqual": (df.greater_equal, np.greater_equal, CMP), "Equal": (df.equal, np.equal, CMP + ["bool"]),
    "NotEqual": (df.not_equal, np.not_equal, CMP + ["bool"]),
    "LogicalAnd": (df.logical_and, np.logical_and, ["bool"]), "LogicalOr": (df.logical_or, np.logical_or, ["bool"]),
    "LogicalXor": (df.logical_xor, np.logical_xor, ["bool"]),
}
PAIRS = [((), ()), ((5,), (5,)), ((7, 3), (7, 3)), ((7, 3), (1, 3)), ((4, 1, 3), (7, 3)), ((), (7, 3)), ((5,), ())]


def _operands(op_type, shapes, dtype):
    a = rand(shapes[0], dtype, -4, 4, seed=1)
    b = rand(shapes[1], dtype, -4, 4, seed=2)
    if op_type == "Pow":
        a = np.abs(a) + np.asarray(0.5, dtype)
    if op_type in ("FloorDiv", "FloorMod"):
        b = np.where(b == 0, np.asarray(3, dtype), b)
    if dtype.startswith("int") and op_type in ("Equal", "NotEqual", "Less", "LessEqual", "Greater",
                                                "GreaterEqual", "Maximum", "Minimum"):
        b = rand(shapes[1], dtype, -2, 2, seed=3)  # small range: some ties
    return a, b


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("op_type", sorted(BINARY))
def test_binary(op_type, shapes):
    fn, ref, dts = BINARY[op_type]
    for dtype in dts:
        a, b = _operands(op_type, shapes, dtype)
        tol = 1e-6 if dtype == "float32" else 1e-12
        out = assert_op(fn, ref, a, b, rtol=tol, atol=tol)
        built = fn(df.placeholder(dtype, shapes[0]), df.placeholder(dtype, shapes[1]))
        assert built.op.type == op_type and built.dtype == np.asarray(out).dtype


BROADCAST_OPS = ["AddV2", "Mul", "Maximum", "Less", "Equal", "FloorMod", "SquaredDifference"]


@settings(deadline=None, max_examples=25)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
       op_type=st.sampled_from(BROADCAST_OPS), dtype=st.sampled_from(["float64", "int32"]))
def test_binary_broadcasting(shapes, op_type, dtype):
    fn, ref, _ = BINARY[op_type]
    a, b = _operands(op_type, shapes.input_shapes, dtype)
    out = assert_op(fn, ref, a, b)
    assert np.shape(out) == shapes.result_shape
    assert fn(df.placeholder(dtype, a.shape), df.placeholder(dtype, b.shape)).shape == shapes.result_shape


def test_broadcast_with_unknown_dims():
    x = df.placeholder(df.float32, [None, 3])
    y = df.placeholder(df.float32, [1, None])
    assert df.add(x, y).shape.as_list() == [None, 3]
    assert df.add(x, df.placeholder(df.float32, None)).shape.ndims is None
    assert_op(df.add, np.add, rand((7, 3)), rand((1, 3)), feed_static_shape=False)


def test_truediv_dtypes():
    for dt, out in [("int32", "float64"), ("int64", "float64"), ("int16", "float32"), ("uint8", "float32"),
                    ("float32", "float32")]:
        a = np.array([7, -7, 1], dt) if dt[0] != "u" else np.array([7, 9, 1], dt)
        b = np.array([2, 2, 3], dt)
        got = run_graph(df.truediv, a, b)
        assert got.dtype == np.dtype(out)
        np.testing.assert_allclose(got, a.astype(np.float64) / b, rtol=1e-6)
    assert df.divide is df.truediv and df.realdiv is df.truediv


def test_floordiv_floormod_follow_floor_semantics():
    a = np.array([-7, 7, -7, 7, 0, -1], np.int32)
    b = np.array([2, -2, -2, 2, -3, 5], np.int32)
    np.testing.assert_array_equal(run_graph(df.floordiv, a, b), [-4, -4, 3, 3, 0, -1])
    np.testing.assert_array_equal(run_graph(df.floormod, a, b), [1, -1, -1, 1, 0, 4])
    af, bf = a.astype(np.float64) + 0.5, b.astype(np.float64)
    assert_op(df.floordiv, np.floor_divide, af, bf)
    assert_op(df.floormod, np.mod, af, bf)
    assert df.mod is df.floormod and df.floor_div is df.floordiv


@pytest.mark.parametrize("fn", [df.floordiv, df.floormod])
def test_integer_division_by_zero_raises(fn):
    with pytest.raises(df.errors.InvalidArgumentError, match="Integer division by zero"):
        run_graph(fn, np.array([1, 2], np.int32), np.array([1, 0], np.int32))


def test_float_division_by_zero_gives_inf():
    got = run_graph(df.truediv, np.array([1.0, -1.0]), np.zeros(2))
    np.testing.assert_array_equal(got, [np.inf, -np.inf])


def test_pow():
    assert_op(df.pow, np.power, np.array([2, -3, 0, 5], np.int32), np.array([3, 2, 4, 0], np.int32))
    assert_op(df.pow, np.power, rand((7, 3), low=0.1), np.array(2.5))
    assert run_graph(lambda x: x ** 2, np.array([3.0], np.float32)).dtype == np.float32


def test_python_scalars_take_the_tensor_dtype():
    xf = df.placeholder(df.float32, [3])
    xi = df.placeholder(df.int32, [3])
    xd = df.placeholder(df.float64, [3])
    assert (xf + 1).dtype == df.float32 and (2 * xi).dtype == df.int32 and (xd * 0.5).dtype == df.float64
    assert df.add(xf, 1).dtype == df.float32 and df.maximum(0, xi).dtype == df.int32
    assert (1.5 - xf).dtype == df.float32
    with pytest.raises(TypeError):
        xi + 1.5
    np.testing.assert_array_equal(run_graph(lambda t: 2 * t + 1, np.array([1, 2, 3], np.int32)), [3, 5, 7])


# -- casting

def test_cast():
    x = np.array([-1.7, -0.5, 0.0, 0.5, 1.7, 2.9])
    got = run_graph(lambda t: df.cast(t, df.int32), x)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [-1, 0, 0, 0, 1, 2])  # truncates toward zero
    assert_op(lambda t: df.cast(t, "float32"), lambda v: v.astype(np.float32), rand((4, 1, 3)))
    assert_op(lambda t: df.cast(t, df.bool), lambda v: v != 0, np.array([0.0, 1.5, -2.0, 0.0]))
    assert_op(lambda t: df.cast(t, df.float64), lambda v: v.astype(np.float64), rand((7, 3), "bool"))
    assert_op(lambda t: df.cast(t, df.int64), lambda v: v.astype(np.int64), rand((7, 3), "int32", -9, 9))
    got = run_graph(lambda t: df.cast(t, df.float32), np.array([3 + 4j, -1 - 1j], np.complex64))
    np.testing.assert_array_equal(got, [3, -1])  # complex -> real keeps the real part
    got = run_graph(lambda t: df.cast(t, df.int32), np.array([np.nan, np.inf, 1.0]))
    assert got.dtype == np.int32 and got[2] == 1  # NaN and inf give the platform's value, silently, as TF


def test_cast_to_same_dtype_is_the_input():
    x = df.placeholder(df.float32, [3])
    assert df.cast(x, "float32") is x
    c = df.cast(x, df.float64, name="c")
    assert c.op.type == "Cast" and c.op.name == "c" and c.shape == (3,)


def test_tf1_aliases():
    x = np.array([-7, 7, 3], np.int32)
    y = np.array([2, 2, -2], np.int32)
    np.testing.assert_array_equal(run_graph(df.div, x, y), [-4, 3, -2])  # TF1: ints floor-divide
    np.testing.assert_allclose(run_graph(df.div, x * 1.0, y * 1.0), [-3.5, 3.5, -1.5])
    np.testing.assert_array_equal(run_graph(df.mul, x, y), x * y)
    np.testing.assert_array_equal(run_graph(df.sub, x, y), x - y)
    np.testing.assert_array_equal(run_graph(df.neg, x), -x)
    np.testing.assert_array_equal(run_graph(lambda a: df.div(a, 2), x), [-4, 3, 1])
    for fn, dt in [(df.to_float, np.float32), (df.to_double, np.float64), (df.to_int32, np.int32),
                   (df.to_int64, np.int64)]:
        got = run_graph(fn, np.array([-1.5, 2.5]))
        assert got.dtype == dt
        np.testing.assert_array_equal(got, np.array([-1.5, 2.5]).astype(dt))
    assert df.scalar_mul(2.0, df.placeholder(df.float32, [2])).dtype == df.float32


# -- selection, clipping, sums

def test_where_broadcasts():
    c = rand((7, 1), "bool", seed=1)
    x, y = rand((7, 3), seed=2), rand((3,), seed=3)
    assert_op(df.where, np.where, c, x, y)
    assert_op(df.where_v2, np.where, c, x, y)
    assert_op(df.where, np.where, rand((4, 1, 3), "bool"), rand((7, 3)), rand(()))


@settings(deadline=None, max_examples=20)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=4))
def test_where_v2_broadcasting(shapes):
    sc, sx, sy = shapes.input_shapes
    out = assert_op(df.where_v2, np.where, rand(sc, "bool", seed=1), rand(sx, seed=2), rand(sy, seed=3))
    assert np.shape(out) == shapes.result_shape


def test_where_vector_condition_selects_rows_tf1():
    c = np.array([True, False, True])
    x, y = rand((3, 3), seed=1), rand((3, 3), seed=2)
    rows = np.where(c[:, None], x, y)
    assert_op(df.where, lambda *_: rows, c, x, y)
    assert_op(df.where, lambda *_: rows, c, x, y, feed_static_shape=False)
    assert_op(df.where, lambda c_, x_, y_: np.where(c_[:, None, None], x_, y_), np.array([False, True]),
              rand((2, 3, 4)), rand((2, 3, 4)))
    assert_op(df.where_v2, np.where, c, x, y)  # where_v2 broadcasts: the vector selects columns
    t = df.where(df.placeholder(df.bool, [5]), df.placeholder(df.float32, [None, 2]), zeros([5, 2]))
    assert t.shape == (5, 2)


def test_where_rows_length_mismatch():
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(4,\).*\(4, 3\).*\(1, 3\)|4 vs. 3|3 vs. 4"):
        df.where(df.placeholder(df.bool, [4]), df.placeholder(df.float32, [None, 3]),
                 df.placeholder(df.float32, [3, 3]))


def test_where_coordinates():
    for shape in [(5,), (7, 3), (4, 1, 3)]:
        c = rand(shape, "bool", seed=4)
        assert_op(df.where, np.argwhere, c)
    assert_op(df.where, np.argwhere, np.array([0, 3, 0, -1], np.int32))  # numbers: nonzero is true
    for v in (True, False):
        got = run_graph(df.where, np.array(v))
        assert got.shape == (int(v), 0) and got.dtype == np.int64
    assert df.where(df.placeholder(df.bool, [None, 3])).shape.as_list() == [None, 2]
    assert df.where_v2(df.placeholder(df.bool, [4])).op.type == "Where"


def test_where_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="must be bool, got float32"):
        df.where(df.placeholder(df.float32, [3]), zeros([3]), zeros([3]))
    with pytest.raises(ValueError, match="both"):
        df.where(df.placeholder(df.bool, [3]), zeros([3]))
    with pytest.raises(df.errors.InvalidArgumentError, match="float64.*float32|float32.*float64"):
        df.where(df.placeholder(df.bool, [3]), zeros([3]), zeros([3], np.float64))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(2,\) vs. \(3,\)"):
        df.where_v2(df.placeholder(df.bool, [2]), zeros([3]), zeros([3]))


def test_where_takes_the_dtype_of_the_other_branch():
    c = df.placeholder(df.bool, [3])
    assert df.where(c, zeros([3], np.float64), 1.0).dtype == df.float64
    assert df.where(c, 0, zeros([3], np.int64)).dtype == df.int64


def test_clip_by_value():
    x = rand((7, 3), low=-3, high=3)
    assert_op(lambda t: df.clip_by_value(t, -1.0, 0.5), lambda v: np.clip(v, -1.0, 0.5), x)
    lo, hi = rand((3,), low=-2, high=-1, seed=1), rand((7, 1), low=0, high=1, seed=2)
    assert_op(df.clip_by_value, np.clip, x, lo, hi)
    assert_op(lambda t: df.clip_by_value(t, 0, 4), lambda v: np.clip(v, 0, 4), rand((5,), "int32", -9, 9))
    assert df.clip_by_value(df.placeholder(df.float32, [2]), 0, 1).dtype == df.float32


def test_add_n():
    xs = [rand((7, 3), seed=i) for i in range(4)]
    assert_op(lambda *ts: df.add_n(list(ts)), lambda *vs: sum(vs), *xs)
    assert_op(lambda a, b: df.add_n([a, b]), np.add, rand((), "int32", -9, 9), rand((), "int32", -9, 9, seed=1))
    x = df.placeholder(df.float32, [2])
    assert df.add_n([x]) is x
    named = df.add_n([x], name="total")  # TF: one input under a name is its identity of that name
    assert named.op.type == "Identity" and named.op.name == "total" and named.op.inputs[0] is x
    assert df.add_n([x, df.placeholder(df.float32, [None])]).shape == (2,)


def test_add_n_errors():
    with pytest.raises(ValueError):
        df.add_n([])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(2,\) vs. \(3,\)"):
        df.add_n([zeros([2]), zeros([3])])
    with pytest.raises(df.errors.InvalidArgumentError, match="float64.*float32|float32.*float64"):
        df.add_n([zeros([2]), zeros([2], np.float64)])


# -- contractions

@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_transposes(ta, tb):
    a, b = rand((4, 3), seed=1), rand((3, 5), seed=2)
    a_in, b_in = (a.T.copy() if ta else a), (b.T.copy() if tb else b)
    out = assert_op(lambda x, y: df.matmul(x, y, transpose_a=ta, transpose_b=tb), lambda *_: a @ b, a_in, b_in,
                    rtol=1e-12)
    assert out.shape == (4, 5)


@pytest.mark.parametrize("sa, sb", [((2, 4, 3), (2, 3, 5)), ((4, 1, 2, 3), (5, 3, 2)), ((2, 3), (6, 3, 4)),
                                    ((1, 3), (3, 1))])
def test_matmul_batched_and_broadcast(sa, sb):
    assert_op(df.matmul, np.matmul, rand(sa, seed=1), rand(sb, seed=2), rtol=1e-12)


@settings(deadline=None, max_examples=20)
@given(shapes=hnp.mutually_broadcastable_shapes(signature="(m,k),(k,n)->(m,n)", max_dims=4, max_side=3))
def test_matmul_broadcast_batch_dims(shapes):
    sa, sb = shapes.input_shapes
    out = assert_op(df.matmul, np.matmul, rand(sa, seed=1), rand(sb, seed=2), rtol=1e-12)
    assert out.shape == shapes.result_shape


def test_matmul_dtypes_and_adjoint():
    assert_op(df.matmul, np.matmul, rand((7, 3), "int32", -9, 9), rand((3, 4), "int32", -9, 9, seed=1))
    assert_op(df.matmul, np.matmul, rand((7, 3), "float32"), rand((3, 4), "float32", seed=1), rtol=1e-5)
    a = (rand((3, 2), seed=1) + 1j * rand((3, 2), seed=2))
    assert_op(lambda x: df.matmul(x, x, adjoint_a=True), lambda v: v.conj().T @ v, a, rtol=1e-12)
    assert df.matmul(df.placeholder(df.float32, [None, 3]), df.placeholder(df.float32, [3, None])).shape.as_list() \
        == [None, None]


def test_matmul_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(2, 3\).*\(4, 5\)"):
        df.matmul(zeros([2, 3]), zeros([4, 5]))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(3, 2\).*\(4, 2\)"):
        df.matmul(zeros([3, 2]), zeros([4, 2]), transpose_a=True)
    with pytest.raises(df.errors.InvalidArgumentError, match="rank >= 2"):
        df.matmul(zeros([3]), zeros([3, 2]))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(2,\) vs. \(3,\)"):
        df.matmul(zeros([2, 4, 3]), zeros([3, 3, 2]))
    with pytest.raises(df.errors.InvalidArgumentError, match="float64.*float32|float32.*float64"):
        df.matmul(zeros([2, 3]), zeros([3, 2], np.float64))


@pytest.mark.parametrize("sa, sb, axes", [
    ((7, 3), (3, 4), 1), ((4, 3, 2), (3, 2, 5), 2), ((3,), (4,), 0), ((7, 3), (7, 3), 2),
    ((2, 3, 4), (4, 3), [[1, 2], [1, 0]]), ((5, 3), (2, 5), [[0], [1]]), ((5, 3), (2, 5), [0, 1]),
    ((4, 3), (3, 4), [[-1], [0]]), ((), (3,), 0),
])
def test_tensordot(sa, sb, axes):
    out = assert_op(lambda x, y: df.tensordot(x, y, axes), lambda x, y: np.tensordot(x, y, axes),
                    rand(sa, seed=1), rand(sb, seed=2), rtol=1e-12)
    assert df.tensordot(df.placeholder(df.float64, sa), df.placeholder(df.float64, sb), axes).shape == out.shape


def test_tensordot_int():
    assert_op(lambda x, y: df.tensordot(x, y, 1), lambda x, y: np.tensordot(x, y, 1),
              rand((7, 3), "int32", -9, 9), rand((3, 2), "int32", -9, 9, seed=1))


def test_tensordot_errors():
    a, b = zeros([2, 3]), zeros([3, 4])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\[5\].*\(2, 3\)"):
        df.tensordot(a, b, [[5], [0]])
    with pytest.raises(df.errors.InvalidArgumentError, match="repeated"):
        df.tensordot(a, zeros([3, 3]), [[1, -1], [0, 1]])
    with pytest.raises(df.errors.InvalidArgumentError, match="out of range"):
        df.tensordot(a, b, 3)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(2, 3\).*\(3, 4\)"):
        df.tensordot(a, b, [[0], [0]])
    with pytest.raises(df.errors.InvalidArgumentError, match="different numbers"):
        df.tensordot(a, b, [[0, 1], [0]])


# -- numerics check

def test_check_numerics_passes_clean_input_through():
    x = rand((7, 3))
    assert_op(lambda t: df.check_numerics(t, "fine"), lambda v: v, x)
    assert_op(lambda t: df.debugging.check_numerics(t, "fine"), lambda v: v, x.astype(np.float32))


@pytest.mark.parametrize("bad, what", [(np.nan, "NaN"), (np.inf, "Inf"), (-np.inf, "Inf")])
def test_check_numerics_raises(bad, what):
    x = rand((7, 3))
    x[5, 1] = bad
    for fn in (df.check_numerics, df.debugging.check_numerics):
        with pytest.raises(df.errors.InvalidArgumentError, match=f"my message : Tensor had {what} values"):
            assert_op(lambda t: fn(t * 2.0, "my message"), lambda v: v, x)


def test_check_numerics_reports_both():
    with pytest.raises(df.errors.InvalidArgumentError, match="m : Tensor had Inf and NaN values"):
        run_graph(lambda t: df.check_numerics(t, "m"), np.array([np.inf, np.nan]))


def test_check_numerics_as_control_dependency():
    x = df.placeholder(df.float32, [None])
    with df.control_dependencies([df.check_numerics(x, "checked input")]):
        y = df.identity(x)
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(df.errors.InvalidArgumentError, match="checked input : Tensor had NaN values"):
            s.run(y, {x: [1.0, np.nan]})
        with pytest.raises(df.errors.InvalidArgumentError, match="checked input : Tensor had Inf values"):
            s.run(y, {x: [np.inf, 2.0]})


def test_check_numerics_needs_floats():
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        df.check_numerics(zeros([2], np.int32), "m")


def test_assert_checks_its_condition_when_run():
    x = df.placeholder(df.int32, [None])
    check = df.Assert(df.reduce_all(x > 0), ["x must be positive:", x], summarize=2)
    assert isinstance(check, df.Operation) and check.type == "Assert"
    with df.control_dependencies([check]):
        y = x * 2
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(y, {x: [1, 2, 3]}), [2, 4, 6])
        assert s.run(check, {x: [1]}) is None
        with pytest.raises(df.errors.InvalidArgumentError, match=r"assertion failed: \[x must be positive:\] "
                                                                  r"\[1 -2 \.\.\.\] \[op 'Assert' \(type Assert\)\]"):
            s.run(y, {x: [1, -2, 3]})
    with pytest.raises(df.errors.InvalidArgumentError, match="condition must be a bool scalar"):
        df.Assert(x > 0, ["m"])


def test_assert_equal():
    x, y = df.placeholder(df.int32, [None]), df.placeholder(df.int32, [None])
    check = df.debugging.assert_equal(x, y, message="sizes differ")
    with df.Session() as s:
        s.run(check, {x: [1, 2], y: [1, 2]})
        msg = rf"\[sizes differ\] \[Condition x == y did not hold element-wise:\] \[x \({x.name}\) = \] \[1 2\]"
        with pytest.raises(df.errors.InvalidArgumentError, match=msg):
            s.run(check, {x: [1, 2], y: [1, 3]})
        s.run(df.assert_equal(x, 4), {x: [4, 4, 4]})  # y broadcasts
    assert df.assert_equal([1, 2], [1, 2]).type == "NoOp"  # known when built: checked at once
    with pytest.raises(df.errors.InvalidArgumentError, match="Condition x == y did not hold"):
        df.assert_equal([1, 2], [1, 3])
    with pytest.raises(df.errors.InvalidArgumentError, match="Condition x == y did not hold"):
        df.assert_equal([1, 2], [1, 2, 3])


# -- build-time errors

def test_mismatched_dtypes_name_op_and_dtypes():
    x, y = df.placeholder(df.float32, [3]), df.placeholder(df.int32, [3])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"int32.*float32.*'AddV2'|'AddV2'.*int32.*float32"):
        df.add(x, y)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"float64.*float32.*'Less'"):
        df.less(x, df.placeholder(df.float64, [3]))


def test_incompatible_shapes_name_both():
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Incompatible shapes: \(2, 3\) vs. \(4,\).*'Mul'"):
        df.multiply(zeros([2, 3]), zeros([4]))


def test_shapes_that_disagree_only_when_fed_raise_at_run_time_naming_the_op():
    with df.Graph().as_default():
        a, b = df.placeholder(df.float32, (None, 2)), df.placeholder(df.float32, (None, 2))
        out = df.add(a, b, name="total")
        v = df.Variable(0.0)
        with df.control_dependencies([df.assign_add(v, 1.0)]):
            out = df.identity(out)
        with df.Session() as s:
            s.run(v.initializer)
            with pytest.raises(df.errors.InvalidArgumentError,
                               match=r"Incompatible shapes: \(4, 2\) vs. \(3, 2\).*'total' \(type AddV2\)"):
                s.run(out, {a: np.zeros((4, 2), "f4"), b: np.zeros((3, 2), "f4")})
            assert s.run(v) == 0.0  # refused before anything ran
            np.testing.assert_array_equal(s.run(out, {a: np.ones((3, 2), "f4"), b: np.ones((3, 2), "f4")}), 2)


@pytest.mark.parametrize("fn", [df.exp, df.log, df.sqrt, df.sigmoid, df.erf, df.floor, df.is_nan])
def test_float_only_ops_reject_ints(fn):  # TF's TypeError
    with pytest.raises(TypeError, match=r"DataType int32 not in list of allowed values"):
        fn(df.placeholder(df.int32, [3]))


def test_kind_errors():  # TF's TypeError
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: LogicalAnd needs a bool"):
        df.logical_and(df.placeholder(df.float32, [2]), df.placeholder(df.float32, [2]))
    with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
        df.add(df.placeholder(df.bool, [2]), df.placeholder(df.bool, [2]))


def test_building_does_not_compute():
    with raise_if_computes():
        x = df.placeholder(df.float32, [None, 3])
        y = df.matmul(df.sigmoid(x) * 2.0 - 1.0, ones([3, 2]))
        z = df.einsum("ij->j", df.where(y > 0, y, -y))
        df.lower(z, {x: np.ones((4, 3), np.float32)})


# -- gradients: GRAD_CASES rows are checked against finite differences by tests/autodiff/test_op_grads.py

def draw(*specs, seed=0):
    """``inputs=`` for a GradCase: one array per ``(shape, low, high)``, uniform in ``[low, high)``."""
    def inputs():
        rng = np.random.default_rng(seed)
        return [rng.uniform(lo, hi, size=shape) for shape, lo, hi in specs]
    return inputs


def away_from_zero(shape, seed=0):
    """``inputs=`` for ops with a kink at 0: magnitudes in [0.3, 2), random signs."""
    def inputs():
        rng = np.random.default_rng(seed)
        return [rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)]
    return inputs


ANY = (-2.0, 2.0)
# op type, function, input domain, order
UNARY_GRADS = [
    ("Neg", df.negative, ANY, 1), ("Square", df.square, ANY, 2), ("Reciprocal", df.reciprocal, (0.5, 2.0), 2),
    ("Exp", df.exp, ANY, 2), ("Expm1", df.expm1, ANY, 1), ("Log", df.log, (0.5, 2.0), 2),
    ("Log1p", df.log1p, (-0.5, 2.0), 1), ("Sqrt", df.sqrt, (0.5, 2.0), 2), ("Rsqrt", df.rsqrt, (0.5, 2.0), 2),
    ("Sin", df.sin, ANY, 2), ("Cos", df.cos, ANY, 1), ("Tan", df.tan, (-1.2, 1.2), 1),
    ("Asin", df.asin, UNIT, 1), ("Acos", df.acos, UNIT, 1), ("Atan", df.atan, ANY, 1), ("Sinh", df.sinh, ANY, 1),
    ("Cosh", df.cosh, ANY, 1), ("Tanh", df.tanh, ANY, 2), ("Asinh", df.asinh, ANY, 1),
    ("Acosh", df.acosh, (1.2, 3.0), 1), ("Atanh", df.atanh, UNIT, 1), ("Sigmoid", df.sigmoid, ANY, 2),
    ("Softplus", df.softplus, ANY, 2), ("Erf", df.erf, ANY, 2), ("Erfc", df.erfc, ANY, 1), ("Conj", df.conj, ANY, 1),
]
POSITIVE_Y = (0.5, 2.0)
# op type, function, x domain, y domain, order on broadcasting shapes
BINARY_GRADS = [
    ("AddV2", df.add, ANY, ANY, 1), ("Sub", df.subtract, ANY, ANY, 1), ("Mul", df.multiply, ANY, ANY, 2),
    ("RealDiv", df.truediv, ANY, POSITIVE_Y, 2), ("FloorMod", df.floormod, ANY, POSITIVE_Y, 1),
    ("Pow", df.pow, (0.5, 2.0), ANY, 2), ("Maximum", df.maximum, ANY, ANY, 1), ("Minimum", df.minimum, ANY, ANY, 1),
    ("SquaredDifference", df.squared_difference, ANY, ANY, 2), ("Atan2", df.atan2, ANY, ANY, 1),
]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3))]


def _matmul(**kw):
    return lambda a, b: df.matmul(a, b, **kw)


GRAD_CASES = [GradCase(t, fn, [(3, 4)], domain=dom, order=order) for t, fn, dom, order in UNARY_GRADS] + [
    GradCase(t, fn, [sx, sy], inputs=draw((sx, *dx), (sy, *dy), seed=i), order=order if sx == (3, 1) else 1)
    for t, fn, dx, dy, order in BINARY_GRADS for i, (sx, sy) in enumerate(BINARY_SHAPES)
] + [
    GradCase("Abs", df.abs, [(3, 4)], inputs=away_from_zero((3, 4)), order=2),
    GradCase("Sign", lambda x: df.sign(x) * x, [(3, 4)], inputs=away_from_zero((3, 4))),
    # float <-> complex casts pass dy (the complex Exp rule in between); a cast to int passes nothing
    GradCase({"Cast", "Exp"}, lambda x: df.cast(df.exp(df.cast(x, df.complex128)), df.float64), [(3, 4)], order=2),
    GradCase("Cast", lambda x: x * df.cast(df.cast(x, df.int32), df.float64), [(3, 4)], domain=(0.1, 3.9)),
    GradCase("Select", lambda c, x, y: df.where_v2(c > 0, x, y), [(3, 1), (4,), ()], order=2),
    GradCase("Select", lambda c, x, y: df.where(c > 0, x, y), [(3,), (3, 4), (3, 4)]),  # a vector picks rows
    GradCase("AddN", lambda x, y: df.add_n([x, y, x]), [(3, 4), (3, 4)], order=2),
    GradCase("BatchMatMulV2", _matmul(), [(3, 4), (4, 5)], order=2),
    GradCase("BatchMatMulV2", _matmul(transpose_a=True), [(4, 3), (4, 5)]),
    GradCase("BatchMatMulV2", _matmul(transpose_b=True), [(3, 4), (5, 4)]),
    GradCase("BatchMatMulV2", _matmul(transpose_a=True, transpose_b=True), [(4, 3), (5, 4)], order=2),
    GradCase("BatchMatMulV2", _matmul(), [(2, 3, 4), (2, 4, 5)]),
    GradCase("BatchMatMulV2", _matmul(), [(2, 1, 3, 4), (5, 4, 6)], order=2),  # broadcast batch dims
    GradCase("BatchMatMulV2", _matmul(transpose_a=True, transpose_b=True), [(2, 1, 4, 3), (5, 6, 4)]),
    GradCase("BatchMatMulV2", _matmul(transpose_b=True), [(3, 4), (2, 5, 4)]),
    GradCase("Tensordot", lambda a, b: df.tensordot(a, b, 1), [(3, 4), (4, 5)], order=2),
    GradCase("Tensordot", lambda a, b: df.tensordot(a, b, ([2, 0], [0, 1])), [(3, 4, 2), (2, 3, 5)], order=2),
    GradCase("Tensordot", lambda a, b: df.tensordot(a, b, 0), [(2, 3), (4,)]),
    GradCase("CheckNumerics", lambda x: df.check_numerics(x * x, "bad values"), [(3, 4)], order=2),
]


def _grads(build, *arrays, **kw):
    """Values of ``gradients(build(*xs), xs, **kw)`` at ``arrays``."""
    return run_graph(lambda *xs: gradients(build(*xs), list(xs), **kw), *arrays)


def test_pow_gradient_is_finite_where_x_is_not_positive():
    x, y = np.array([-1.5, 0.0, 2.0]), np.full(3, 2.0)
    dx, dy = _grads(df.pow, x, y)
    np.testing.assert_allclose(dx, 2 * x)
    np.testing.assert_allclose(dy, [0.0, 0.0, 4 * np.log(2.0)])


@pytest.mark.parametrize("fn", [df.maximum, df.minimum])
def test_ties_give_the_gradient_to_x(fn):
    x = np.array([1.0, 2.0, 3.0])
    dx, dy = _grads(fn, x, x.copy())
    np.testing.assert_array_equal(dx, 1.0)
    np.testing.assert_array_equal(dy, 0.0)


def test_sign_and_comparisons_pass_no_gradient():
    x = df.placeholder(df.float64, [3])
    assert gradients(df.sign(x), [x]) == [None]
    assert gradients(df.cast(df.greater(x, 0.0), df.float64), [x]) == [None]
    assert gradients(df.cast(df.floor(x), df.float64), [x]) == [None]


def test_complex_gradients_follow_tf_conjugate_convention():
    x = np.array([1.0 + 2.0j, -0.5 + 0.3j])
    np.testing.assert_allclose(_grads(df.exp, x)[0], np.conj(np.exp(x)))
    np.testing.assert_allclose(_grads(lambda t: t * t, x)[0], 2 * np.conj(x))
    np.testing.assert_allclose(_grads(df.abs, x)[0], x / np.abs(x))
    np.testing.assert_allclose(_grads(lambda a, b: df.matmul(a, b), x.reshape(1, 2), x.reshape(2, 1))[0],
                               np.conj(x.reshape(1, 2)))


def test_matmul_gradients_with_unknown_dims():
    a, b = rand((5, 3), seed=1), rand((3, 2), seed=2)

    def build(x, w):
        return df.reduce_sum(df.square(df.matmul(x, w)))

    got = run_graph(lambda x, w: gradients(build(x, w), [x, w]), a, b, feed_static_shape=False)
    z = 2 * a @ b
    np.testing.assert_allclose(got[0], z @ b.T)
    np.testing.assert_allclose(got[1], a.T @ z)
