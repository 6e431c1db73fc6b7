"""Clipping by norm against numpy (values over chunkings, gradients by finite differences) and TF1's checks: static
failures at build time (class and message as TF1's), run-time failures as ``InvalidArgumentError`` in TF1's
message layout, and checks that pass."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op, rand, run_graph, with_unknown_dims

TESTED_OPS = {"EnsureShape"}

Invalid = df.errors.InvalidArgumentError


def np_clip_by_norm(x, c, axes=None):
    norm = np.sqrt(np.sum(x * x, axis=None if axes is None else tuple(axes), keepdims=True))
    return x * c / np.maximum(norm, c)


# -- clipping

@pytest.mark.parametrize("axes,c", [(None, 1.0), (None, 100.0), ([1], 0.5), ([0, 2], 1.5)])
def test_clip_by_norm(axes, c):
    x = rand((4, 3, 2)) if axes != [1] else rand((4, 3))
    assert_op(lambda t: df.clip_by_norm(t, c, axes=axes), lambda a: np_clip_by_norm(a, c, axes), x)


def test_clip_by_norm_zero_rows():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(df.clip_by_norm(x, 1.0, axes=[1]).compute(), [[0, 0], [0.6, 0.8]])
    g = run_graph(lambda t: df.gradients(df.reduce_sum(df.clip_by_norm(t, 1.0, axes=[1])), t)[0], x)
    assert np.all(np.isfinite(g)) and np.all(g[0] == 1.0)  # below the norm: passes through


def test_global_norm_and_clip_by_global_norm():
    a, b = rand((3, 2)), rand((4,), seed=1)
    norm = np.sqrt(np.sum(a * a) + np.sum(b * b))
    np.testing.assert_allclose(run_graph(lambda x, y: df.global_norm([x, None, y]), a, b), norm)
    assert df.linalg.global_norm is df.global_norm
    for c in (0.5, 100.0):
        got = run_graph(lambda x, y: [*df.clip_by_global_norm([x, y], c)[0], df.clip_by_global_norm([x, y], c)[1]],
                        a, b)
        scale = c / max(norm, c)
        np.testing.assert_allclose(got[0], a * scale)
        np.testing.assert_allclose(got[1], b * scale)
        np.testing.assert_allclose(got[2], norm)
    clipped, n = df.clip_by_global_norm([df.constant(a), None], 1.0, use_norm=df.constant(10.0, df.float64))
    assert clipped[1] is None
    np.testing.assert_allclose(clipped[0].compute(), a / 10.0)
    inf, _ = df.clip_by_global_norm([np.array([np.inf, 1.0])], 1.0)
    assert np.all(np.isnan(inf[0].compute()))
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        df.clip_by_global_norm(df.constant(a), 1.0)


def test_clip_by_average_norm():
    x = rand((3, 4))
    for c in (0.01, 10.0):
        want = x * c / max(np.sqrt(np.sum(x * x)) / x.size, c)
        assert_op(lambda t: df.clip_by_average_norm(t, c), lambda a: want, x)


# -- value checks

def _fails_at_run(check, feeds, pattern):
    with df.Session() as s, pytest.raises(Invalid, match=pattern):
        s.run(check, feeds)


@pytest.mark.parametrize("fn,sym,good,bad", [
    (df.assert_less, "<", ([1, 2], [2, 3]), ([1, 5], [2, 3])),
    (df.assert_less_equal, "<=", ([1, 3], [2, 3]), ([1, 5], [2, 3])),
    (df.assert_greater, ">", ([3, 4], [2, 3]), ([3, 3], [2, 3])),
    (df.assert_greater_equal, ">=", ([2, 3], [2, 3]), ([1, 3], [2, 3])),
    (df.assert_none_equal, "!=", ([1, 2], [2, 3]), ([1, 3], [2, 3])),
])
def test_binary_asserts(fn, sym, good, bad):
    p, q = df.placeholder(df.int32, [2], name="p"), df.placeholder(df.int32, [2], name="q")
    check = fn(p, q, message="msg")
    with df.Session() as s:
        s.run(check, {p: good[0], q: good[1]})
    x, y = bad
    text = " ".join(map(str, x)), " ".join(map(str, y))
    _fails_at_run(check, {p: x, q: y}, rf"assertion failed: \[msg\] \[Condition x {sym} y did not hold "
                                       rf"element-wise:\] \[x \(p:0\) = \] \[{text[0]}\] "
                                       rf"\[y \(q:0\) = \] \[{text[1]}\]")
    with pytest.raises(Invalid, match=rf"^Condition x {sym} y did not hold element-wise:\nx \(Const(_\d+)?:0\) = \n"
                                      rf"\[{text[0]}\]"):
        fn(df.constant(x), df.constant(y))
    assert fn(df.constant(good[0]), df.constant(good[1])).type == "NoOp"


@pytest.mark.parametrize("fn,sym,good,bad", [
    (df.assert_positive, ">", [1, 2], [1, 0]), (df.assert_negative, "<", [-1, -2], [-1, 0]),
    (df.assert_non_negative, ">=", [0, 2], [1, -2]), (df.assert_non_positive, "<=", [0, -1], [1, -2]),
])
def test_sign_asserts(fn, sym, good, bad):
    p = df.placeholder(df.int32, [2], name="p")
    check = fn(p)
    with df.Session() as s:
        s.run(check, {p: good})
    _fails_at_run(check, {p: bad}, rf"\[Condition x {sym} 0 did not hold element-wise:\] \[x \(p:0\) = \] "
                                   rf"\[{bad[0]} {bad[1]}\]")
    with pytest.raises(Invalid, match=rf"Condition x {sym} 0 did not hold element-wise"):
        fn(df.constant(bad), message="static")


def test_assert_near():
    x = df.placeholder(df.float64, [2], name="x")
    check = df.assert_near(x, np.array([1.0, 2.0]), rtol=1e-3)
    with df.Session() as s:
        s.run(check, {x: [1.0, 2.001]})
    _fails_at_run(check, {x: [1.0, 2.1]}, r"x and y not equal to tolerance rtol = 0.001")
    tight = df.assert_near(x, np.array([1.0, 2.0]))  # ten epsilons by default
    _fails_at_run(tight, {x: [1.0, 2.0 + 1e-12]}, "not equal to tolerance")


def test_checks_order_runs_by_control_dependencies():
    x = df.placeholder(df.float32, [None], name="x")
    with df.control_dependencies([df.assert_positive(x)]):
        y = df.identity(x) * 2
    with df.Session() as s:
        np.testing.assert_allclose(s.run(y, {x: [1.0, 2.0]}), [2, 4])
        with pytest.raises(Invalid, match="Condition x > 0"):
            s.run(y, {x: [1.0, -2.0]})


# -- static checks

def test_rank_checks_static():
    z = df.zeros([2, 3], name="z")
    with pytest.raises(ValueError, match=r"^Tensor z:0 must have rank 1.  Received rank 2, shape \(2, 3\)$"):
        df.assert_rank(z, 1)
    with pytest.raises(ValueError, match=r"^hi.  Tensor z:0 must have rank 1"):
        df.assert_rank(z, 1, message="hi")
    with pytest.raises(ValueError, match=r"must have rank at least 3.  Received rank 2"):
        df.assert_rank_at_least(z, 3)
    with pytest.raises(ValueError, match=r"must have rank in \(1, 3\).  Received rank 2"):
        df.assert_rank_in(z, [1, 3])
    for ok in (df.assert_rank(z, 2), df.assert_rank_at_least(z, 1), df.assert_rank_in(z, [2, 4])):
        assert ok.type == "NoOp"


def test_rank_checks_at_run_time():
    r = df.placeholder(df.float32, None, name="r")
    for check, text in ((df.assert_rank(r, 2), r"\[Tensor r:0 must have rank\] \[2\]"),
                        (df.assert_rank_at_least(r, 2), r"\[Tensor r:0 must have rank at least\] \[2\]"),
                        (df.assert_rank_in(r, [2, 3]), r"\[Tensor r:0 must have rank in\] \[2\] \[3\]")):
        _fails_at_run(check, {r: np.zeros(3)}, text + r" \[Received shape: \] \[3\]")
        with df.Session() as s:
            s.run(check, {r: np.zeros((2, 2))})


def test_dtype_and_shape_checks():
    z = df.zeros([2, 3], name="z")
    with pytest.raises(ValueError, match=r"Expected scalar shape for z:0, saw shape: \(2, 3\)."):
        df.assert_scalar(z)
    s = df.constant(1.0)
    assert df.assert_scalar(s) is s
    with pytest.raises(TypeError, match="Expected \"x\" to be integer type.  Found: z:0 of dtype <dtype: 'float32'>"):
        df.assert_integer(z)
    assert df.assert_integer(df.constant(1)).type == "NoOp"
    with pytest.raises(TypeError, match="z:0 must be of type tf.int32; got tf.float32"):
        df.assert_type(z, df.int32)
    assert df.assert_type(z, df.float32).type == "NoOp"
    w = df.zeros([2], df.float64, name="w")
    with pytest.raises(ValueError, match=r"w:0, type=<dtype: 'float64'>, must be of the same type \(<dtype: "
                                         r"'float32'>\) as z:0."):
        df.assert_same_float_dtype([z, w])
    with pytest.raises(ValueError, match="Expected floating point type, got <dtype: 'int32'>."):
        df.assert_same_float_dtype([df.constant([1])])
    assert df.assert_same_float_dtype([w]) == np.float64
    assert df.assert_same_float_dtype() == np.float32
    for bad in ("abc", b"abc", np.zeros(2), z):
        with pytest.raises(TypeError, match="Expected argument \"values\" to be a \"proper\" iterable"):
            df.assert_proper_iterable(bad)
    df.assert_proper_iterable([1, 2])
    assert df.is_tensor(z) and df.is_tensor(df.Variable(1.0)) and not df.is_tensor(np.zeros(2))
    assert df.is_numeric_tensor(z) and not df.is_numeric_tensor(df.constant("a"))
    assert not df.is_numeric_tensor(df.constant(True)) and not df.is_numeric_tensor(1.0)


# -- numerics, ensure_shape

def test_verify_tensor_all_finite_and_check_numerics_ops():
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, [2], name="x")
        y = df.log(x, name="y")
        v = df.verify_tensor_all_finite(y, "y is bad")
        checks = df.add_check_numerics_ops()
        with df.Session() as s:
            np.testing.assert_allclose(s.run(v, {x: [1.0, 1.0]}), [0, 0])
            with pytest.raises(Invalid, match="y is bad : Tensor had NaN values"):
                s.run(v, {x: [1.0, -1.0]})
            s.run(checks, {x: [1.0, 2.0]})
            with pytest.raises(Invalid, match="y:0 : Tensor had Inf values"):
                s.run(checks, {x: [1.0, 0.0]})


def test_ensure_shape():
    r = df.placeholder(df.float32, None, name="r")
    e = df.ensure_shape(r, [2, None])
    assert e.shape.as_list() == [2, None]
    with df.Session() as s:
        assert s.run(e, {r: np.zeros((2, 5))}).shape == (2, 5)
        for bad, text in ((np.zeros(3), r"\[3\]"), (np.zeros((3, 1)), r"\[3,1\]")):
            with pytest.raises(Invalid, match=rf"Shape of tensor r:0 {text} is not compatible with expected shape "
                                              r"\[2,\?\]."):
                s.run(e, {r: bad})
    z = df.zeros([2, 3])
    with pytest.raises(ValueError, match=r"Dimension 1 in both shapes must be equal, but are 2 and 3. Shapes are "
                                         r"\[2,2\] and \[2,3\]."):
        df.ensure_shape(z, [2, 2])
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        df.ensure_shape(z, [2])


GRAD_CASES = [
    GradCase("EnsureShape", lambda x: df.ensure_shape(x, [None, 3]) * x, [(2, 3)]),
    GradCase({"Maximum", "Select"}, lambda x: df.clip_by_norm(x, 1.0, axes=[1]), [(4, 3)]),
    GradCase("Maximum", with_unknown_dims(lambda x: df.clip_by_norm(x, 0.5)), [(3, 2)]),
    GradCase("Minimum", lambda x, y: df.clip_by_global_norm([x, y], 1.0)[0], [(3,), (2, 2)]),
    GradCase("Minimum", lambda x: df.clip_by_average_norm(x, 0.1), [(3, 2)]),
]
