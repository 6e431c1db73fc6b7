"""TF's special functions (gamma and beta families, inverse error functions, Bessel functions, Fresnel integrals
and the rest of ``tf.math.special``), the zero-safe products and quotients (``xlogy``, ``divide_no_nan``...),
truncating division, complex parts, and the ``tf.math`` aliases of ``tf.nn`` functions.

Each op is one table row: its TF op type, the chunk function (``scipy.special`` on numpy chunks,
``cupyx.scipy.special`` on cupy chunks), the dtypes TF allows and TF's gradient rule. The cumulative ops and the
extra reductions are in ``cumulative.py``; both are listed in this module's ``__all__`` and ``NAMESPACES``.
"""
import functools
import inspect

import numpy as np

from .. import dtypes, errors
from ..backend import xp
from ..graph import name_scope
from .cumulative import __all__ as _cumulative_all, NAMESPACES as _CUMULATIVE
from .cumulative import *  # noqa: F401,F403 - re-exported: this module lists them
from .cumulative import cumulative_logsumexp, reduce_euclidean_norm, reduce_std, reduce_variance  # noqa: F401
from .math import _conj, _elementwise, _truediv_dtype, add, cast, cos, equal, exp, log, multiply, not_equal
from .math import reciprocal, sign, sin, softplus, square, where_v2
from .nn import l2_normalize, log_softmax, softmax, softsign, zero_fraction  # noqa: F401 - tf.math aliases
from .reduce import reduce_sum
from .registry import NOT_DIFFERENTIABLE, apply1, broadcast_shapes, convert_to_tensor, defop, same_dtype

_HALF = ("float16", "float32", "float64")  # TF also lists bfloat16, which numpy lacks
_REAL = ("float32", "float64")
_FC = _HALF + ("complex64", "complex128")
_NUMBERS = ("float16", "float32", "float64", "uint8", "int8", "uint16", "int16", "int32", "int64", "uint32",
            "uint64")


# -- chunk functions

def _sp(x):
    """The special-functions module of chunk ``x``'s array module."""
    if xp(x) is np:
        import scipy.special as sp
    else:
        import cupyx.scipy.special as sp
    return sp


def _sp_call(fn, *xs):
    return getattr(_sp(xs[0]), fn)(*xs)


def _fresnel(part, x):
    return _sp(x).fresnel(x)[part]  # scipy gives (S, C)


def _zero_where(test_arg, op):
    """``op(x, y)``, and 0 where argument ``test_arg`` is 0 (even where ``op`` gives inf or nan)."""
    def kernel(x, y):
        m = xp(x)
        return m.where((x if test_arg == 0 else y) == 0, m.zeros((), x.dtype), op(m, x, y))
    return kernel


_xlogy = _zero_where(0, lambda m, x, y: x * m.log(y))
_xdivy = _zero_where(0, lambda m, x, y: x / y)
_xlog1py = _zero_where(0, lambda m, x, y: x * m.log1p(y))
_div_no_nan = _zero_where(1, lambda m, x, y: x / y)
_mul_no_nan = _zero_where(1, lambda m, x, y: x * y)


def _check_int_divisor(y):
    if y.dtype.kind in "iu" and bool((y == 0).any()):
        raise errors.InvalidArgumentError(None, None, "Integer division by zero")


def _truncatediv(x, y):
    m = xp(x)
    _check_int_divisor(y)
    if x.dtype.kind in "iu":  # C's division: the quotient of the magnitudes, with the sign of the signs
        q = m.abs(x) // m.where(y == 0, 1, m.abs(y))
        return m.where((x < 0) != (y < 0), -q, q)
    return m.trunc(x / y)


def _truncatemod(x, y):
    _check_int_divisor(y)
    return xp(x).fmod(x, y)


def _complex(re, im):
    m = xp(re)
    re, im = m.broadcast_arrays(re, im)
    out = m.empty(re.shape, m.complex64 if re.dtype == m.float32 else m.complex128)
    out.real, out.imag = re, im  # not re + 1j * im: 1j * inf would put a nan in the real part
    return out


def _igamma_grad_a(a, x):
    """d/da of the regularized lower incomplete gamma function P(a, x), from its series
    ``P = sum_n x^(a+n) e^-x / Gamma(a+n+1)``: each term's derivative is itself times ``log x - psi(a+n+1)``.
    Enough terms are summed for the largest x of the chunk (they peak near n = x)."""
    m, sp = xp(a), _sp(a)
    dt = a.dtype
    a, x = (v.astype(m.float64) for v in m.broadcast_arrays(a, x))
    pos = x > 0
    lx = m.log(m.where(pos, x, 1))
    top = float(m.max(m.where(pos, x, 0))) if x.size else 0.0
    total = m.zeros(x.shape)
    for n in range(int(top + 12 * top ** 0.5 + 40)):
        an1 = a + (n + 1)
        total += m.exp((an1 - 1) * lx - x - sp.gammaln(an1)) * (lx - sp.digamma(an1))
    return m.where(pos, total, m.where(x == 0, 0.0, m.nan)).astype(dt)


# -- declaring ops

def _check_dtype(op, i, param, allowed):
    t = op.inputs[i]
    if dtypes.name(t.dtype) not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {dtypes.name(t.dtype)} not in list of "
                        f"allowed values: {', '.join(allowed)} [op '{op.name}' (type {op.type}) built at "
                        f"{op.where()}]")


def _op(type_name, kernel, params, allowed=_HALF, grad=None, out_dtype=None):
    """Declare an elementwise op of broadcasting inputs of one dtype named ``params`` (TF's argument names);
    ``kernel`` maps chunks to the result, ``out_dtype`` maps the inputs' dtype to the output's."""
    def infer(op):
        for i, p in enumerate(params):
            _check_dtype(op, i, p, allowed)
        dt = same_dtype(op, *op.inputs)
        shape = broadcast_shapes(op, *(t.shape for t in op.inputs))
        return [(shape, out_dtype(dt) if out_dtype else dt)]

    def lower(op, *xs):
        return _elementwise(op, kernel, op.outputs[0].dtype, *xs)

    defop(type_name, infer, lower, grad=grad, broadcasts=0 if len(params) > 1 else None)


def _public(type_name, tf_name, params, doc):
    """The public function of op ``type_name``: TF's argument names, then ``name``."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    sig = inspect.Signature([inspect.Parameter(p, kind) for p in params] + [inspect.Parameter("name", kind,
                                                                                             default=None)])

    def fn(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        return apply1(type_name, [bound.arguments[p] for p in params],
                      name=bound.arguments.get("name") or type_name)
    fn.__signature__, fn.__name__, fn.__qualname__ = sig, tf_name, tf_name
    fn.__doc__ = f"{doc} (op type ``{type_name}``)."
    globals()[tf_name] = fn
    return fn


def _unary(type_name, tf_name, kernel, doc, grad, allowed=_HALF, param="x"):
    _op(type_name, kernel, [param], allowed, grad)
    return _public(type_name, tf_name, [param], f"Elementwise {doc} of ``{param}``")


def _scipy(fn):
    return functools.partial(_sp_call, fn)


# -- gradient rules (TF's math_grad), from the public functions below

_SQRT_PI_2 = float(np.sqrt(np.pi) / 2)
_SQRT_2PI = float(np.sqrt(2 * np.pi))


def _at_zero(x, value, other):
    """``other``, with ``value`` where ``x`` is 0 (a limit ``other`` gets as 0/0)."""
    zero = equal(x, 0)
    return where_v2(zero, value, other)


def _over_x(y, x):
    return y / where_v2(equal(x, 0), 1, x)


def _grad1(fn):
    """A one-input gradient rule: ``dy * fn(x, y)``."""
    return lambda op, dy: [dy * fn(op.inputs[0], op.outputs[0])]


_unary("Lgamma", "lgamma", _scipy("gammaln"), "log of the absolute value of the gamma function",
       _grad1(lambda x, y: digamma(x)))  # noqa: F821 - defined by _unary
_unary("Digamma", "digamma", _scipy("digamma"), "derivative of ``lgamma``",
       _grad1(lambda x, y: polygamma(np.ones((), x.dtype), x)))  # noqa: F821
_unary("Erfinv", "erfinv", _scipy("erfinv"), "inverse of ``erf``",
       _grad1(lambda x, y: _SQRT_PI_2 * exp(square(y))))
_unary("Ndtri", "ndtri", _scipy("ndtri"), "inverse of the standard normal CDF",
       _grad1(lambda x, y: _SQRT_2PI * exp(square(y) / 2)))
_unary("BesselI0", "bessel_i0", _scipy("i0"), "modified Bessel function of order 0",
       _grad1(lambda x, y: bessel_i1(x)))  # noqa: F821
_unary("BesselI0e", "bessel_i0e", _scipy("i0e"), "exponentially scaled modified Bessel function of order 0",
       _grad1(lambda x, y: bessel_i1e(x) - sign(x) * y))  # noqa: F821
_unary("BesselI1", "bessel_i1", _scipy("i1"), "modified Bessel function of order 1",
       _grad1(lambda x, y: _at_zero(x, 0.5, bessel_i0(x) - _over_x(y, x))))  # noqa: F821
_unary("BesselI1e", "bessel_i1e", _scipy("i1e"), "exponentially scaled modified Bessel function of order 1",
       _grad1(lambda x, y: _at_zero(x, 0.5, bessel_i0e(x) - y * (sign(x) + reciprocal(x)))))  # noqa: F821
_unary("BesselJ0", "bessel_j0", _scipy("j0"), "Bessel function of the first kind of order 0",
       _grad1(lambda x, y: -bessel_j1(x)))  # noqa: F821
_unary("BesselJ1", "bessel_j1", _scipy("j1"), "Bessel function of the first kind of order 1",
       _grad1(lambda x, y: _at_zero(x, 0.5, bessel_j0(x) - _over_x(y, x))))  # noqa: F821
_unary("BesselK0", "bessel_k0", _scipy("k0"), "modified Bessel function of the second kind of order 0",
       _grad1(lambda x, y: -bessel_k1(x)))  # noqa: F821
_unary("BesselK0e", "bessel_k0e", _scipy("k0e"), "exponentially scaled ``bessel_k0``",
       _grad1(lambda x, y: y - bessel_k1e(x)))  # noqa: F821
_unary("BesselK1", "bessel_k1", _scipy("k1"), "modified Bessel function of the second kind of order 1",
       _grad1(lambda x, y: -bessel_k0(x) - y / x))  # noqa: F821 - nan at 0, as TF
_unary("BesselK1e", "bessel_k1e", _scipy("k1e"), "exponentially scaled ``bessel_k1``",
       _grad1(lambda x, y: y * (1 - reciprocal(x)) - bessel_k0e(x)))  # noqa: F821
_unary("BesselY0", "bessel_y0", _scipy("y0"), "Bessel function of the second kind of order 0",
       _grad1(lambda x, y: -bessel_y1(x)))  # noqa: F821
_unary("BesselY1", "bessel_y1", _scipy("y1"), "Bessel function of the second kind of order 1",
       _grad1(lambda x, y: bessel_y0(x) - y / x))  # noqa: F821
_unary("Dawsn", "dawsn", _scipy("dawsn"), "Dawson's integral", _grad1(lambda x, y: 1 - 2 * x * y))
_unary("Expint", "expint", _scipy("expi"), "exponential integral Ei", _grad1(lambda x, y: exp(x) / x))
_unary("FresnelCos", "fresnel_cos", functools.partial(_fresnel, 1), "Fresnel cosine integral",
       _grad1(lambda x, y: cos(float(np.pi / 2) * square(x))))
_unary("FresnelSin", "fresnel_sin", functools.partial(_fresnel, 0), "Fresnel sine integral",
       _grad1(lambda x, y: sin(float(np.pi / 2) * square(x))))
_unary("Spence", "spence", _scipy("spence"), "Spence's integral (the dilogarithm of ``1 - x``)",
       _grad1(lambda x, y: where_v2(equal(x, 1), -1.0, log(x) / (1 - x))))


# -- functions of two or three arguments

def _igamma_grads(op, dz):
    a, x = op.inputs
    return [dz * apply1("IgammaGradA", [a, x], name="IgammaGradA"), dz * exp(-x + (a - 1) * log(x) - lgamma(a))]


def _negated(rule):
    return lambda op, dz: [None if g is None else -g for g in rule(op, dz)]


def _betainc_grad(op, dz):  # TF gives no gradient to a and b
    a, b, x = op.inputs
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    return [None, None, dz * exp(xlog1py(b - 1, -x) + xlogy(a - 1, x) - log_beta)]  # noqa: F821


def _not_zero(x):
    return cast(not_equal(x, 0), x.dtype)


def _xlogy_grad(op, dz):
    x, y = op.inputs
    return [dz * xlogy(_not_zero(x), y), dz * xdivy(x, y)]  # noqa: F821


def _xdivy_grad(op, dz):
    x, y = op.inputs
    return [dz * xdivy(_not_zero(x), y), dz * xdivy(-x, square(y))]  # noqa: F821


def _xlog1py_grad(op, dz):
    x, y = op.inputs
    return [dz * xlog1py(_not_zero(x), y), dz * xdivy(x, y + 1)]  # noqa: F821


def _div_no_nan_grad(op, dz):
    x, y = (_conj(t) for t in op.inputs)
    return [divide_no_nan(dz, y), dz * divide_no_nan(divide_no_nan(-x, y), y)]


def _mul_no_nan_grad(op, dz):
    x, y = op.inputs
    return [multiply_no_nan(dz, y), multiply_no_nan(x, dz)]


_op("Polygamma", _scipy("polygamma"), ["a", "x"], _REAL,
    grad=lambda op, dz: [None, dz * polygamma(op.inputs[0] + 1, op.inputs[1])])  # noqa: F821
_public("Polygamma", "polygamma", ["a", "x"], "The polygamma function ``psi^(a)(x)``, the a-th derivative of "
        "``digamma``, for integer ``a >= 0``")
_op("Zeta", _scipy("zeta"), ["x", "q"], _REAL,
    grad=lambda op, dz: [None, dz * (-op.inputs[0] * zeta(op.inputs[0] + 1, op.inputs[1]))])  # noqa: F821
_public("Zeta", "zeta", ["x", "q"], "The Hurwitz zeta function ``sum_n (n + q)^-x``")
_op("Igamma", _scipy("gammainc"), ["a", "x"], grad=_igamma_grads)
_public("Igamma", "igamma", ["a", "x"], "The regularized lower incomplete gamma function ``P(a, x)``")
_op("Igammac", _scipy("gammaincc"), ["a", "x"], grad=_negated(_igamma_grads))
_public("Igammac", "igammac", ["a", "x"], "The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``")
_op("IgammaGradA", _igamma_grad_a, ["a", "x"], _REAL, grad=NOT_DIFFERENTIABLE)
_op("Betainc", _scipy("betainc"), ["a", "b", "x"], _REAL, grad=_betainc_grad)
_public("Betainc", "betainc", ["a", "b", "x"], "The regularized incomplete beta function ``I_x(a, b)``; the "
        "arguments broadcast")
_op("Xlogy", _xlogy, ["x", "y"], _FC, grad=_xlogy_grad)
_public("Xlogy", "xlogy", ["x", "y"], "``x * log(y)``, and 0 where ``x`` is 0")
_op("Xdivy", _xdivy, ["x", "y"], _FC, grad=_xdivy_grad)
_public("Xdivy", "xdivy", ["x", "y"], "``x / y``, and 0 where ``x`` is 0")
_op("Xlog1py", _xlog1py, ["x", "y"], _FC, grad=_xlog1py_grad)
_public("Xlog1py", "xlog1py", ["x", "y"], "``x * log1p(y)``, and 0 where ``x`` is 0")
_op("DivNoNan", _div_no_nan, ["x", "y"], _FC, grad=_div_no_nan_grad)
_op("MulNoNan", _mul_no_nan, ["x", "y"], _FC, grad=_mul_no_nan_grad)
_public("MulNoNan", "multiply_no_nan", ["x", "y"], "``x * y``, and 0 where ``y`` is 0 even if ``x`` is inf or nan")
_op("NextAfter", "nextafter", ["x1", "x2"], _REAL, grad=lambda op, dz: [dz, None])
_public("NextAfter", "nextafter", ["x1", "x2"], "The next representable value after ``x1`` in the direction of ``x2``")
_op("TruncateDiv", _truncatediv, ["x", "y"], _NUMBERS, grad=NOT_DIFFERENTIABLE)
_public("TruncateDiv", "truncatediv", ["x", "y"], "``x / y`` rounded toward zero (C's integer division); an integer "
        "division by zero raises ``InvalidArgumentError``")
_op("TruncateMod", _truncatemod, ["x", "y"], _NUMBERS, grad=NOT_DIFFERENTIABLE)
_public("TruncateMod", "truncatemod", ["x", "y"], "The remainder of ``truncatediv``, with the sign of ``x`` (C's "
        "``fmod``)")


def divide_no_nan(x, y, name=None):
    """``x / y``, and 0 where ``y`` is 0 (op type ``DivNoNan``). Integer inputs are first cast to float as by
    ``truediv`` (float32 up to 16 bits, else float64)."""
    with name_scope(name, "div_no_nan") as scope:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype_hint=x.dtype)
        if x.dtype != y.dtype:
            raise TypeError(f"x and y must have the same dtype, got {dtypes.name(x.dtype)} != {dtypes.name(y.dtype)}")
        if x.dtype.kind in "iu":
            x, y = cast(x, _truediv_dtype(x.dtype)), cast(y, _truediv_dtype(y.dtype))
        return apply1("DivNoNan", [x, y], name=scope)


div_no_nan = divide_no_nan


def reciprocal_no_nan(x, name=None):
    """``1 / x``, and 0 where ``x`` is 0."""
    with name_scope(name, "reciprocal_no_nan") as scope:
        x = convert_to_tensor(x)
        return divide_no_nan(np.ones((), x.dtype), x, name=scope)


def log_sigmoid(x, name=None):
    """``log(sigmoid(x))``, computed as ``-softplus(-x)`` so it neither overflows nor underflows to ``log(0)``."""
    with name_scope(name, "LogSigmoid") as scope:
        x = convert_to_tensor(x)
        if dtypes.name(x.dtype) not in _HALF:
            raise TypeError(f"Value passed to parameter 'features' has DataType {dtypes.name(x.dtype)} not in list "
                            f"of allowed values: {', '.join(_HALF)}")
        return -softplus(-x, name=scope)


def erfcinv(x, name=None):
    """Elementwise inverse of ``erfc``: ``-ndtri(x / 2) / sqrt(2)``."""
    with name_scope(name, "erfcinv") as scope:
        x = convert_to_tensor(x)
        return multiply(ndtri(0.5 * x), float(-1 / np.sqrt(2)), name=scope)  # noqa: F821


def lbeta(x, name=None):
    """The log of the multivariate beta function over the last axis of ``x``:
    ``sum(lgamma(x), -1) - lgamma(sum(x, -1))`` (an empty last axis gives ``0 - lgamma(0) = -inf``, as TF)."""
    from .math import subtract
    with name_scope(name, "lbeta") as scope:
        x = convert_to_tensor(x)
        return subtract(reduce_sum(lgamma(x), -1), lgamma(reduce_sum(x, -1)), name=scope)  # noqa: F821


def polyval(coeffs, x, name=None):
    """The polynomial ``coeffs[0] * x^(n-1) + ... + coeffs[n-1]`` at ``x``, by Horner's rule; ``coeffs`` is a list
    of tensors broadcasting against ``x``. No coefficients give zeros like ``x``."""
    if not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"Argument coeffs must be list type found {type(coeffs)}.")
    with name_scope(name, "polyval") as scope:
        x = convert_to_tensor(x)
        if not coeffs:
            from .generate import zeros_like
            return zeros_like(x, name=scope)
        p = convert_to_tensor(coeffs[0], dtype_hint=x.dtype)
        for c in coeffs[1:]:
            p = add(convert_to_tensor(c, dtype_hint=x.dtype), p * x)
        from .state import identity
        return identity(p, name=scope)


# -- complex numbers

def _real_of(dt):
    return np.finfo(dt).dtype


_op("Real", "real", ["input"], ("complex64", "complex128"), out_dtype=_real_of,
    grad=lambda op, dy: [complex(dy, np.zeros((), dy.dtype))])
_op("Imag", "imag", ["input"], ("complex64", "complex128"), out_dtype=_real_of,
    grad=lambda op, dy: [complex(np.zeros((), dy.dtype), dy)])
_op("Angle", "angle", ["input"], ("complex64", "complex128"), out_dtype=_real_of,
    grad=lambda op, dy: [-complex(dy, np.zeros((), dy.dtype)) * reciprocal(complex(imag(op.inputs[0]),
                                                                                    real(op.inputs[0])))])
_op("Complex", _complex, ["real", "imag"], _REAL, out_dtype=lambda dt: np.result_type(dt, np.complex64),
    grad=lambda op, dz: [real(dz), imag(dz)])


def real(input, name=None):
    """The real parts of the complex ``input`` (op type ``Real``), of the matching float dtype; a real ``input``
    is returned as it is."""
    input = convert_to_tensor(input)
    if input.dtype.kind != "c":
        return input
    return apply1("Real", [input], name=name or "Real")


def imag(input, name=None):
    """The imaginary parts of the complex ``input`` (op type ``Imag``); zeros for a real ``input``."""
    input = convert_to_tensor(input)
    if input.dtype.kind != "c":
        from .generate import zeros_like
        return zeros_like(input, name=name or "Imag")
    return apply1("Imag", [input], name=name or "Imag")


def angle(input, name=None):
    """The argument (phase) of each complex value of ``input`` (op type ``Angle``), in ``(-pi, pi]``; for a real
    ``input``, pi where it is negative and 0 elsewhere."""
    with name_scope(name, "Angle") as scope:
        input = convert_to_tensor(input)
        if input.dtype.kind != "c":
            from .math import less
            return where_v2(less(input, 0), np.array(np.pi, input.dtype), np.zeros((), input.dtype), name=scope)
        return apply1("Angle", [input], name=scope)


def complex(real, imag, name=None):
    """The complex tensor ``real + 1j * imag`` (op type ``Complex``): float32 parts give complex64, float64
    complex128; the parts broadcast."""
    real = convert_to_tensor(real)
    imag = convert_to_tensor(imag, dtype_hint=real.dtype)
    if real.dtype != imag.dtype or dtypes.name(real.dtype) not in _REAL:
        raise TypeError(f"The `real` and `imag` components have incorrect types: {dtypes.name(real.dtype)} "
                        f"{dtypes.name(imag.dtype)}. They must be consistent, and one of [tf.float32, tf.float64]")
    return apply1("Complex", [real, imag], name=name or "Complex")


def to_complex64(x, name="ToComplex64"):
    """TF1's ``to_complex64``: cast to complex64."""
    return cast(x, dtypes.complex64, name=name)


def to_complex128(x, name="ToComplex128"):
    """TF1's ``to_complex128``: cast to complex128."""
    return cast(x, dtypes.complex128, name=name)


def saturate_cast(value, dtype, name=None):
    """``value`` cast to ``dtype``, first clipped to the range ``dtype`` can hold (so it never wraps around);
    complex to real drops the imaginary part first."""
    from .math import maximum, minimum
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "saturate_cast") as scope:
        value = convert_to_tensor(value)
        if value.dtype.kind == "c" and dtype.kind != "c":
            value = real(value)
        src = value.dtype
        lo, hi = _limits(src), _limits(dtype)
        if lo[0] < hi[0]:
            value = maximum(value, _representable(hi[0], src, up=True))
        if lo[1] > hi[1]:
            value = minimum(value, _representable(hi[1], src, up=False))
        return cast(value, dtype, name=scope)


def _limits(dt):
    if dt.kind == "b":
        return (0, 1)
    info = np.iinfo(dt) if dt.kind in "iu" else np.finfo(dt)
    return (int(info.min), int(info.max)) if dt.kind in "iu" else (float(info.min), float(info.max))


def _representable(bound, dt, up):
    """``bound`` in dtype ``dt``, rounded inward (a float32 next to int32's max would round to 2**31)."""
    if dt.kind == "c":
        dt = _real_of(dt)
    v = np.array(bound).astype(dt)
    if dt.kind == "f" and (float(v) < bound if up else float(v) > bound):  # python compares exactly
        v = np.nextafter(v, np.array(np.inf if up else -np.inf, dt))
    return v


# -- namespaces

_SPECIAL_ONLY = ["bessel_j0", "bessel_j1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0",
                 "bessel_y1", "dawsn", "expint", "fresnel_cos", "fresnel_sin", "spence"]
SPECIAL = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e"] + _SPECIAL_ONLY  # tf.math.special
__all__ = ["lgamma", "digamma", "polygamma", "zeta", "igamma", "igammac", "betainc", "lbeta", "div_no_nan",
           "log_sigmoid", "truncatediv", "truncatemod", "angle", "real", "imag", "complex", "saturate_cast",
           "to_complex64", "to_complex128"] + list(_cumulative_all)
NAMESPACES = {"math": ["lgamma", "digamma", "polygamma", "zeta", "igamma", "igammac", "betainc", "lbeta", "erfinv",
                       "erfcinv", "ndtri", "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "xlogy", "xdivy",
                       "xlog1py", "divide_no_nan", "multiply_no_nan", "reciprocal_no_nan", "nextafter",
                       "log_sigmoid", "polyval", "angle", "real", "imag", "l2_normalize", "log_softmax", "softmax",
                       "softsign", "zero_fraction"] + list(_CUMULATIVE["math"])}
