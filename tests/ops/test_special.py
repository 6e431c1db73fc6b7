"""Special functions, zero-safe arithmetic, complex parts, cumulative ops and the extra reductions of tf.math,
against scipy and numpy over several chunkings; gradients in GRAD_CASES (checked by tests/autodiff/test_op_grads.py);
dtype rules and errors as TF's."""
import numpy as np
import pytest
import scipy.special as sp

import daskflow as df
from daskflow import errors, math_special
from daskflow.autodiff import gradients
from daskflow.testing import GradCase, SweepCase, assert_op, check_grads, rand, run_graph

TESTED_OPS = {
    "Lgamma", "Digamma", "Erfinv", "Ndtri", "BesselI0", "BesselI0e", "BesselI1", "BesselI1e", "BesselJ0", "BesselJ1",
    "BesselK0", "BesselK0e", "BesselK1", "BesselK1e", "BesselY0", "BesselY1", "Dawsn", "Expint", "FresnelCos",
    "FresnelSin", "Spence", "Polygamma", "Zeta", "Igamma", "Igammac", "IgammaGradA", "Betainc", "Xlogy", "Xdivy",
    "Xlog1py", "DivNoNan", "MulNoNan", "NextAfter", "TruncateDiv", "TruncateMod", "Real", "Imag", "Angle", "Complex",
    "Cumsum", "Cumprod", "CumulativeLogsumexp",
}

POS, UNIT, ANY = (0.2, 4.0), (-0.95, 0.95), (-3.0, 3.0)
# public function, scipy reference, input domain
UNARY = {
    "lgamma": (df.math.lgamma, sp.gammaln, POS), "digamma": (df.math.digamma, sp.digamma, POS),
    "erfinv": (df.math.erfinv, sp.erfinv, UNIT), "ndtri": (df.math.ndtri, sp.ndtri, (0.05, 0.95)),
    "erfcinv": (df.math.erfcinv, sp.erfcinv, (0.05, 1.95)),
    "bessel_i0": (df.math.bessel_i0, sp.i0, ANY), "bessel_i0e": (df.math.bessel_i0e, sp.i0e, ANY),
    "bessel_i1": (df.math.bessel_i1, sp.i1, ANY), "bessel_i1e": (df.math.bessel_i1e, sp.i1e, ANY),
    "bessel_j0": (math_special.bessel_j0, sp.j0, ANY), "bessel_j1": (math_special.bessel_j1, sp.j1, ANY),
    "bessel_k0": (math_special.bessel_k0, sp.k0, POS), "bessel_k0e": (math_special.bessel_k0e, sp.k0e, POS),
    "bessel_k1": (math_special.bessel_k1, sp.k1, POS), "bessel_k1e": (math_special.bessel_k1e, sp.k1e, POS),
    "bessel_y0": (math_special.bessel_y0, sp.y0, POS), "bessel_y1": (math_special.bessel_y1, sp.y1, POS),
    "dawsn": (math_special.dawsn, sp.dawsn, ANY), "expint": (math_special.expint, sp.expi, POS),
    "fresnel_cos": (math_special.fresnel_cos, lambda x: sp.fresnel(x)[1], ANY),
    "fresnel_sin": (math_special.fresnel_sin, lambda x: sp.fresnel(x)[0], ANY),
    "spence": (math_special.spence, sp.spence, POS),
    "log_sigmoid": (df.math.log_sigmoid, lambda x: -np.logaddexp(0, -x), (-40.0, 40.0)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fname", sorted(UNARY))
def test_unary_against_scipy(fname, dtype):
    fn, ref, dom = UNARY[fname]
    x = rand((5, 3), dtype, *dom)
    tol = 2e-6 if dtype == "float32" else 1e-12
    assert_op(fn, lambda a: ref(a).astype(dtype), x, rtol=tol, atol=tol)


def test_namespaces():
    assert df.lgamma is df.math.lgamma and df.div_no_nan is df.math.divide_no_nan
    assert set(math_special.__all__) == {"bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0",
                                         "bessel_j1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e",
                                         "bessel_y0", "bessel_y1", "dawsn", "expint", "fresnel_cos",
                                         "fresnel_sin", "spence"}
    for n in ["div_no_nan", "truncatediv", "truncatemod", "complex", "saturate_cast", "to_complex64", "cumsum",
              "bincount", "segment_sum", "unsorted_segment_max"]:
        assert hasattr(df, n), n
    for n in ["xlogy", "divide_no_nan", "l2_normalize", "log_softmax", "softmax", "softsign", "zero_fraction",
              "reduce_std", "cumulative_logsumexp", "unsorted_segment_sum"]:
        assert hasattr(df.math, n), n
    assert df.math.softmax is df.nn.softmax


def test_int_inputs_are_refused_as_tf():
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values: float16, float32, float64"):
        df.math.lgamma(df.constant([1, 2]))
    with pytest.raises(TypeError, match="parameter 'a' has DataType int32"):
        df.math.polygamma(df.constant([1]), df.constant([1]))
    with pytest.raises(TypeError, match="parameter 'x' has DataType int32"):
        df.math.xlogy(df.constant([1]), df.constant([2]))
    with pytest.raises(TypeError, match="must be consistent"):
        df.complex(df.constant([1.0]), df.constant([1.0], df.float64))
    with pytest.raises(TypeError, match="DataType bool"):
        df.cumsum(df.constant([True]))
    with pytest.raises(TypeError, match="integer type"):
        df.math.reduce_std(df.constant([3, 5]))


# -- functions of several arguments

def _pair(shape_a, shape_b, dom_a, dom_b, dtype="float64", seed=0):
    return rand(shape_a, dtype, *dom_a, seed=seed), rand(shape_b, dtype, *dom_b, seed=seed + 1)


BINARY = [
    (df.math.polygamma, lambda a, x: sp.polygamma(a.astype(int), x), None, POS),
    (df.math.zeta, sp.zeta, (1.5, 4.0), POS), (df.math.igamma, sp.gammainc, POS, POS),
    (df.math.igammac, sp.gammaincc, POS, POS), (df.math.xlogy, sp.xlogy, ANY, POS),
    (df.math.xlog1py, sp.xlog1py, ANY, POS), (df.math.xdivy, np.divide, ANY, POS),
    (df.math.divide_no_nan, np.divide, ANY, POS), (df.math.multiply_no_nan, np.multiply, ANY, ANY),
    (df.math.nextafter, np.nextafter, ANY, ANY), (df.truncatediv, lambda x, y: np.trunc(x / y), ANY, POS),
    (df.truncatemod, np.fmod, ANY, POS),
]


@pytest.mark.parametrize("fn, ref, da_, db", BINARY, ids=lambda v: getattr(v, "__name__", ""))
def test_binary_against_references(fn, ref, da_, db):
    a, b = _pair((4, 3), (3,), da_ or (0.0, 1.0), db)
    if da_ is None:  # polygamma's order
        a = np.floor(a * 3)
    assert_op(fn, ref, a, b, rtol=1e-12, atol=1e-12)


def test_zero_safe_ops_give_zero_where_tf_does():
    x, y = np.array([0.0, 0.0, 2.0, np.inf]), np.array([0.0, np.nan, 0.0, 0.0])
    res = run_graph(lambda a, b: [df.math.xlogy(a, b), df.math.xdivy(a, b), df.math.divide_no_nan(a, b),
                                  df.math.multiply_no_nan(a, b), df.math.reciprocal_no_nan(b)], x, y)
    np.testing.assert_array_equal(res[0][:1], [0.0])
    np.testing.assert_array_equal(res[1][:2], [0.0, 0.0])
    np.testing.assert_array_equal(res[2], [0.0, np.nan, 0.0, 0.0])
    np.testing.assert_array_equal(res[3], [0.0, np.nan, 0.0, 0.0])
    np.testing.assert_array_equal(res[4], [0.0, np.nan, 0.0, 0.0])
    got = run_graph(df.math.divide_no_nan, np.array([1, 2], np.int32), np.array([0, 4], np.int32))
    assert got.dtype == np.float64  # integers divide as truediv, as TF
    np.testing.assert_array_equal(got, [0.0, 0.5])


def test_integer_truncating_division():
    x, y = np.array([-7, 7, -7, 7], np.int32), np.array([2, -2, -2, 2], np.int32)
    assert_op(df.truncatediv, lambda a, b: np.trunc(a / b).astype(np.int32), x, y)
    assert_op(df.truncatemod, np.fmod, x, y)
    with pytest.raises(errors.InvalidArgumentError, match="Integer division by zero"):
        run_graph(df.truncatediv, x, np.zeros(4, np.int32))


def test_betainc_and_lbeta():
    a, b = rand((4, 3), "float64", 0.5, 3.0), rand((3,), "float64", 0.5, 3.0, seed=1)
    x = rand((4, 3), "float64", 0.05, 0.95, seed=2)
    assert_op(df.math.betainc, sp.betainc, a, b, x, rtol=1e-12)
    m = rand((4, 5), "float64", 0.3, 3.0)
    assert_op(df.math.lbeta, lambda v: sp.gammaln(v).sum(-1) - sp.gammaln(v.sum(-1)), m, rtol=1e-12)
    np.testing.assert_array_equal(run_graph(df.math.lbeta, np.zeros((2, 0))), [-np.inf, -np.inf])


def test_polyval_and_saturate_cast():
    x = rand((6,), "float64")
    assert_op(lambda t: df.math.polyval([1.0, 2.0, t, 3.0], t), lambda v: np.polyval([1, 2, 0, 3], v) + v * v, x)
    np.testing.assert_array_equal(run_graph(lambda: df.math.polyval([], df.constant([2.0]))), [0.0])
    v = np.array([-300.0, 300.0, 3e10, 1.7], np.float32)
    np.testing.assert_array_equal(run_graph(lambda t: df.saturate_cast(t, df.uint8), v), [0, 255, 255, 1])
    got = run_graph(lambda t: df.saturate_cast(t, df.int32), np.array([-3e10, 3e10, 1.7], np.float32))
    np.testing.assert_array_equal(got, [-2**31, 2147483520, 1])  # TF's values: float32's last below 2**31


def test_complex_parts():
    re, im = rand((4, 3), "float32"), rand((3,), "float32", seed=1)
    z = re + 1j * im
    assert_op(df.complex, lambda a, b: (a + 1j * b).astype(np.complex64), re, im)
    for fn, ref in [(df.real, np.real), (df.imag, np.imag), (df.angle, np.angle)]:
        assert_op(fn, ref, z.astype(np.complex64), rtol=1e-6)
    c = np.array([np.inf, 1.0]), np.array([0.0, 2.0])
    np.testing.assert_array_equal(run_graph(df.complex, *c), [np.inf + 0j, 1 + 2j])  # no nan from inf * 1j
    np.testing.assert_array_equal(run_graph(df.angle, np.array([-1.0, 2.0])), [np.pi, 0.0])
    np.testing.assert_array_equal(run_graph(df.imag, np.array([-1, 2])), [0, 0])
    assert df.to_complex64(df.constant([1.0])).dtype == df.complex64
    assert df.to_complex128(df.constant([1.0])).dtype == df.complex128


def test_complex_gradients_are_tfs():
    z = np.array([1.0 + 2.0j, -0.5 + 0.3j])
    gz = run_graph(lambda t: gradients(df.angle(t), [t])[0], z)
    np.testing.assert_allclose(gz, -1 / (z.imag + 1j * z.real))  # TF's -grad / (Im(x) + i Re(x))
    gr = run_graph(lambda t: gradients(df.real(t) + 3 * df.imag(t), [t])[0], z)
    np.testing.assert_allclose(gr, [1 + 3j, 1 + 3j])


# -- cumulative ops

def _np_scan(fn, x, axis, exclusive, reverse):
    x = np.flip(x, axis) if reverse else x
    s = {"sum": np.cumsum, "prod": np.cumprod, "lse": np.logaddexp.accumulate}[fn](x, axis=axis)
    if exclusive:
        ident = {"sum": 0, "prod": 1, "lse": -np.inf}[fn]
        s = np.concatenate([np.full_like(np.take(s, [0], axis), ident), np.delete(s, -1, axis)], axis)
    return np.flip(s, axis) if reverse else s.astype(x.dtype)


@pytest.mark.parametrize("exclusive, reverse", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("fn", ["sum", "prod", "lse"])
def test_cumulative_ops(fn, exclusive, reverse):
    op = {"sum": df.cumsum, "prod": df.cumprod, "lse": df.math.cumulative_logsumexp}[fn]
    x = rand((7, 4), "float64", 0.5, 1.5)
    for axis in (0, -1):
        assert_op(lambda t: op(t, axis, exclusive=exclusive, reverse=reverse),
                  lambda v: _np_scan(fn, v, axis % 2, exclusive, reverse), x, rtol=1e-12)


def test_cumsum_of_ints_and_errors():
    x = np.arange(10, dtype=np.int32)
    assert_op(lambda t: df.cumsum(t, exclusive=True), lambda v: np.concatenate([[0], np.cumsum(v)[:-1]]), x)
    np.testing.assert_array_equal(run_graph(lambda: df.cumprod([1, 2, 3], exclusive=True, reverse=True)), [6, 3, 1])
    with pytest.raises(errors.InvalidArgumentError, match="scan axis"):
        df.cumsum(df.constant([1.0]), axis=1)
    big = np.array([-1000.0, 0.0, 1000.0])  # stable: no overflow, no log(0)
    np.testing.assert_allclose(run_graph(lambda t: df.math.cumulative_logsumexp(t), big, chunks=[((1, 2),)]),
                               np.logaddexp.accumulate(big))


def test_cumprod_gradient_at_zero_is_tfs():
    x = np.array([2.0, 0.0, 3.0])
    g = run_graph(lambda t: gradients(df.reduce_sum(df.cumprod(t)), [t])[0], x)
    np.testing.assert_allclose(g, [1.0, 0.0, 0.0])  # TF: div_no_nan(cumsum(prod * dy, reverse), x)


# -- reductions

def test_variance_std_norm():
    x = rand((6, 4), "float64")
    for axis in (None, 0, [1]):
        assert_op(lambda t: df.math.reduce_variance(t, axis), lambda v: np.var(v, axis=None if axis is None else
                                                                                 tuple(np.atleast_1d(axis))), x)
        assert_op(lambda t: df.math.reduce_std(t, axis, keepdims=True),
                  lambda v: np.std(v, axis=None if axis is None else tuple(np.atleast_1d(axis)), keepdims=True), x)
        assert_op(lambda t: df.math.reduce_euclidean_norm(t, axis),
                  lambda v: np.sqrt((v * v).sum(axis=None if axis is None else tuple(np.atleast_1d(axis)))), x)
    z = np.array([3 + 1j, 5 + 0j])
    np.testing.assert_allclose(run_graph(df.math.reduce_variance, z), 1.25)  # TF's value
    assert run_graph(df.math.reduce_euclidean_norm, np.array([3, 5], np.int32)) == 5  # truncated, as TF


def test_accumulate_n_bincount_monotone():
    a, b = rand((3, 2), "float64"), rand((3, 2), "float64", seed=1)
    assert_op(lambda x, y: df.accumulate_n([x, y, x]), lambda x, y: 2 * x + y, a, b)
    with pytest.raises(ValueError):
        df.accumulate_n([df.constant([1.0]), df.constant([1.0, 2.0])])
    arr = np.array([1, 3, 3, 0, 7], np.int32)
    assert_op(df.bincount, np.bincount, arr)
    np.testing.assert_array_equal(run_graph(lambda t: df.bincount(t, minlength=2, maxlength=3), arr), [1, 1, 0])
    w = rand((5,), "float32", 0.0, 1.0)
    assert_op(lambda t, u: df.bincount(t, weights=u, minlength=9), lambda t, u: np.bincount(t, u, 9).astype(
        np.float32), arr, w)
    assert run_graph(lambda t: df.bincount(t, dtype=df.float64), arr).dtype == np.float64
    np.testing.assert_array_equal(run_graph(df.bincount, np.array([[1, 2], [0, 0]], np.int32)), [2, 1, 1])
    assert run_graph(df.bincount, np.zeros(0, np.int32)).shape == (0,)
    with pytest.raises(errors.InvalidArgumentError, match="non-negative"):
        run_graph(df.bincount, np.array([1, -3], np.int32))
    for x, nd, si in [([1, 1, 2], True, False), ([1, 2, 5], True, True), ([], True, True), ([[1, 2], [3, 4]], True,
                                                                                            True), ([2, 1], False,
                                                                                                    False)]:
        v = np.array(x, np.float32)
        assert bool(run_graph(df.is_non_decreasing, v)) is nd
        assert bool(run_graph(df.is_strictly_increasing, v)) is si


# -- gradients

def _draw(*specs, seed=0):
    def inputs():
        rng = np.random.default_rng(seed)
        return [rng.uniform(lo, hi, size=shape) for shape, lo, hi in specs]
    return inputs


UNARY_GRADS = ["lgamma", "digamma", "erfinv", "ndtri", "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e",
               "bessel_j0", "bessel_j1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0",
               "bessel_y1", "dawsn", "expint", "fresnel_cos", "fresnel_sin", "spence"]
_TYPES = {"lgamma": "Lgamma", "digamma": "Digamma", "erfinv": "Erfinv", "ndtri": "Ndtri", "dawsn": "Dawsn",
          "expint": "Expint", "fresnel_cos": "FresnelCos", "fresnel_sin": "FresnelSin", "spence": "Spence"}


def _type(n):
    return _TYPES.get(n) or "Bessel" + n.split("_")[1].upper().replace("E", "e")


GRAD_CASES = [GradCase(_type(n), UNARY[n][0], [(3, 4)], domain=(0.3, 0.9) if n in ("erfinv", "ndtri") else
                       (0.5, 3.0)) for n in UNARY_GRADS] + [
    GradCase({"Polygamma", "Digamma"}, lambda x: df.math.polygamma(np.ones((), x.dtype), x) + df.math.digamma(x),
             [(3, 4)], domain=(0.5, 3.0)),
    GradCase("Zeta", lambda q: df.math.zeta(np.array(2.5), q), [(3, 4)], domain=(0.5, 3.0)),
    GradCase({"Igamma", "IgammaGradA"}, df.math.igamma, [(3, 4), (4,)], inputs=_draw(((3, 4), 0.5, 3.0),
                                                                                     ((4,), 0.2, 6.0))),
    GradCase("Igammac", df.math.igammac, [(3, 4), (4,)], inputs=_draw(((3, 4), 0.5, 3.0), ((4,), 0.2, 6.0))),
    GradCase("Betainc", lambda x: df.math.betainc(np.array(1.5), np.array(2.5), x), [(3, 4)], domain=(0.1, 0.9)),
    GradCase("Xlogy", df.math.xlogy, [(3, 4), (4,)], inputs=_draw(((3, 4), -2.0, 2.0), ((4,), 0.5, 2.0))),
    GradCase("Xdivy", df.math.xdivy, [(3, 4), (4,)], inputs=_draw(((3, 4), -2.0, 2.0), ((4,), 0.5, 2.0))),
    GradCase("Xlog1py", df.math.xlog1py, [(3, 4), (4,)], inputs=_draw(((3, 4), -2.0, 2.0), ((4,), 0.5, 2.0))),
    GradCase("DivNoNan", df.math.divide_no_nan, [(3, 4), (4,)], inputs=_draw(((3, 4), -2.0, 2.0), ((4,), 0.5, 2.0))),
    GradCase("MulNoNan", df.math.multiply_no_nan, [(3, 4), (4,)]),
    GradCase("NextAfter", lambda a, b: df.math.nextafter(a, b) * 2.0, [(3, 4), (3, 4)]),
    GradCase({"Real", "Imag", "Complex"}, lambda a, b: df.real(df.complex(a, b) * df.complex(b, a)) + df.imag(
        df.square(df.complex(a, b))), [(3, 4), (4,)]),
    GradCase({"Angle", "Complex"}, lambda a, b: df.angle(df.complex(a, b)), [(3, 4), (3, 4)], domain=(0.5, 2.0)),
    GradCase("Cumsum", lambda x: df.cumsum(x, 1, exclusive=True) * x, [(3, 5)], order=2),
    GradCase("Cumsum", lambda x: df.cumsum(x, 0, reverse=True), [(5, 3)]),
    GradCase("Cumprod", lambda x: df.cumprod(x, 1, reverse=True), [(3, 5)], domain=(0.5, 1.5)),
    GradCase("Cumprod", lambda x: df.cumprod(x, 0, exclusive=True), [(5, 3)], domain=(0.5, 1.5)),
    GradCase("CumulativeLogsumexp", lambda x: df.math.cumulative_logsumexp(x, 1) * x, [(3, 5)]),
    GradCase("CumulativeLogsumexp", lambda x: df.math.cumulative_logsumexp(x, 0, exclusive=True, reverse=True)[:-1],
             [(5, 3)]),
]


def test_composite_gradients():
    x = rand((3, 4), "float64", 0.5, 2.0)
    check_grads(lambda t: df.math.lbeta(t), [x])
    check_grads(lambda t: df.math.reduce_std(t, 0), [x])
    check_grads(lambda t: df.math.reduce_euclidean_norm(t, 1), [x])
    check_grads(lambda t: df.math.log_sigmoid(t), [x])
    check_grads(lambda t: df.math.erfcinv(t * 0.5), [x])
    check_grads(lambda t: df.math.polyval([t, 2.0, t], t), [x])


SWEEP_CASES = [
    SweepCase(lambda x, y: [df.truncatediv(x, y), df.truncatemod(x, y)], np.array([[7, -7, 9], [-3, 0, 12]], np.int32),
              np.array([2, 3, -5], np.int32), name="truncate_ints"),
    SweepCase(lambda x, y: [df.truncatediv(x, y), df.truncatemod(x, y)], rand((3, 4)), rand((4,), low=0.5, seed=1),
              name="truncate_floats"),
]
