"""Pure per-chunk functions, generic over the chunk's array module (numpy or cupy): never ``numpy`` by name."""
from . import errors
from .backend import xp

__all__ = ["sigmoid", "softplus", "erf", "erfc", "check_numerics"]


def sigmoid(x):
    m = xp(x)
    e = m.exp(-m.abs(x))  # never overflows: e in (0, 1]
    return m.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def softplus(x):
    m = xp(x)
    return (m.maximum(x, 0) + m.log1p(m.exp(-m.abs(x)))).astype(x.dtype, copy=False)


def _special(x):
    if xp(x).__name__ == "cupy":
        import cupyx.scipy.special as sp
    else:
        import scipy.special as sp
    return sp


def erf(x):
    return _special(x).erf(x).astype(x.dtype, copy=False)


def erfc(x):
    return _special(x).erfc(x).astype(x.dtype, copy=False)


def check_numerics(x, message, opname):
    m = xp(x)
    bad = ~m.isfinite(x)
    if bool(bad.any()):
        what = "NaN" if bool(m.isnan(x).any()) else "Inf"
        raise errors.InvalidArgumentError(
            None, None, f"{message} : Tensor had {what} values [op '{opname}' (type CheckNumerics)]")
    return x
