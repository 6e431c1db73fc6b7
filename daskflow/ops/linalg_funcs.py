"""Matrix functions of ``tf.linalg``: the exponential, the principal logarithm and the principal square root of
each square matrix of a batch.

Each is an op on whole matrices per block, its kernel written against the chunk's array module (products, solves
and inverses only): the exponential by scaling and squaring of the [13/13] Pade approximant (Higham 2005), the
square root by the scaled Denman-Beavers iteration, the logarithm by inverse scaling and squaring (square roots
until the matrix is near the identity, then Gauss-Legendre quadrature of ``log(I + X) = int_0^1 X (I + tX)^-1
dt``). Their gradients use the Frechet derivative: for ``f`` = exp or log, the gradient is the upper-right block of
``f([[A^H, G], [0, A^H]])``; for the square root ``S``, the solution of ``S^H X + X S^H = G`` (TF's Kronecker
form).
"""
import numpy as np

from .. import backend, dtypes, errors
from .array import concat, reshape
from .generate import eye, shape as shape_of, zeros_like
from .linalg import (_adjoint_of, _call, _matrices_footprint, _square_like_input, _whole_matrices, _where,
                     einsum, matrix_solve)
from .linalg_solve import _type_check
from .registry import apply1, convert_to_tensor, fail, register

__all__ = ["matrix_square_root"]

# [13/13] Pade coefficients of exp and the 1-norm up to which they are accurate to double precision (Higham 2005)
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152
_NODES = tuple((float(t) + 1) / 2 for t in np.polynomial.legendre.leggauss(12)[0])  # on [0, 1]
_WEIGHTS = tuple(float(w) / 2 for w in np.polynomial.legendre.leggauss(12)[1])


def _wide(x):
    """``x`` in double precision (complex128 for complex) for the iterations."""
    return x.astype(dtypes.complex128 if x.dtype.kind == "c" else dtypes.float64)


def _norm1(m, a):
    """The 1-norm (largest column sum of absolute values) of each matrix of ``a``."""
    return m.abs(a).sum(axis=-2).max(axis=-1)


def _expm_kernel(x):
    m = backend.xp(x)
    if x.size == 0:
        return x.copy()
    a = _wide(x)
    n = a.shape[-1]
    ratio = m.maximum(m.nan_to_num(_norm1(m, a) / _THETA13, nan=1.0, posinf=2.0 ** 1000), 1.0)
    s = m.ceil(m.log2(ratio)).astype(int)
    a = a / (2.0 ** s)[..., None, None]
    b = _PADE13
    i = m.eye(n, dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * i)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * i
    r = m.linalg.solve(v - u, v + u)
    for j in range(int(s.max())):  # each matrix squared back s times
        r = m.where((s > j)[..., None, None], r @ r, r)
    return r.astype(x.dtype, copy=False)


def _sqrt_iteration(m, a, where):
    """The principal square root of each matrix of ``a`` (double precision) by the product-free Denman-Beavers
    iteration, scaled by determinants until close."""
    n = a.shape[-1]
    y, z = a, m.broadcast_to(m.eye(n, dtype=a.dtype), a.shape)
    scale = True
    for _ in range(100):
        yi = _call(m.linalg.inv, where, "Input matrix is singular.", y)
        zi = _call(m.linalg.inv, where, "Input matrix is singular.", z)
        if scale:
            mu = m.exp(-(m.linalg.slogdet(y)[1] + m.linalg.slogdet(z)[1]) / (2 * n))[..., None, None]
        else:
            mu = 1.0
        y_next, z = 0.5 * (mu * y + zi / mu), 0.5 * (mu * z + yi / mu)
        change = float(m.max(_norm1(m, y_next - y) / m.maximum(_norm1(m, y_next), 1e-300)))
        y = y_next
        scale = change > 1e-2
        if change <= 1e-15 * n:
            break
    return y


def _sqrtm_kernel(x, where):
    m = backend.xp(x)
    if x.size == 0:
        return x.copy()
    return _sqrt_iteration(m, _wide(x), where).astype(x.dtype, copy=False)


def _logm_kernel(x, where):
    m = backend.xp(x)
    if x.size == 0:
        return x.copy()
    a = _wide(x)
    i = m.eye(a.shape[-1], dtype=a.dtype)
    k = 0
    while k < 64 and float(m.max(_norm1(m, a - i))) > 0.25:  # square roots bring the matrices near I
        a = _sqrt_iteration(m, a, where)
        k += 1
    d = a - i
    out = sum(w * m.linalg.solve(i + t * d, d) for t, w in zip(_NODES, _WEIGHTS))
    return (out * 2.0 ** k).astype(x.dtype, copy=False)


def _lower_square(kernel, **kw):
    def lower(op, x):
        x = _whole_matrices(x)
        extra = {"where": _where(op)} if kw.get("where") else {}
        return x.map_blocks(kernel, dtype=x.dtype, meta=backend.meta(x, x.dtype), **extra)
    return lower


def _frechet_adjoint(fn, op, g):
    """``fn``'s Frechet derivative at ``A^H`` applied to ``g``: the upper-right block of
    ``fn([[A^H, g], [0, A^H]])``."""
    ah = _adjoint_of(op, op.inputs[0])
    block = concat([concat([ah, g], -1), concat([zeros_like(ah), ah], -1)], -2)
    n = op.inputs[0].shape[-1]
    n = n if n is not None else shape_of(op.inputs[0])[-1]
    return fn(block)[..., :n, n:]


@register("MatrixExponential")
class MatrixExponential:
    footprint = _matrices_footprint
    scratch = 8  # the powers A^2, A^4, A^6, the Pade numerator and denominator

    def infer(op):
        _type_check(op, op.inputs[0])
        return _square_like_input(op)

    lower = _lower_square(_expm_kernel)

    def grad(op, dy):
        return [_frechet_adjoint(matrix_exponential, op, dy)]


@register("MatrixLogarithm")
class MatrixLogarithm:
    footprint = _matrices_footprint
    scratch = 6  # the square-root iterates and the quadrature terms

    def infer(op):
        x = op.inputs[0]
        if x.dtype.kind != "c":
            raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not in list of allowed "
                            f"values: complex64, complex128 [op '{op.name}' (type {op.type}) built at "
                            f"{op.where()}]")
        return _square_like_input(op)

    lower = _lower_square(_logm_kernel, where=True)

    def grad(op, dy):
        return [_frechet_adjoint(matrix_logarithm, op, dy)]


@register("MatrixSquareRoot")
class MatrixSquareRoot:
    footprint = _matrices_footprint
    scratch = 6  # the iterates, their inverses and the next ones

    def infer(op):
        _type_check(op, op.inputs[0])
        return _square_like_input(op)

    lower = _lower_square(_sqrtm_kernel, where=True)

    def grad(op, ds):
        # why: S S = A gives S dS + dS S = dA, so the gradient X solves S^H X + X S^H = G; flattened row-major
        # that is (S^H (x) I + I (x) conj(S)) vec(X) = vec(G), an N^2 x N^2 solve (as TF)
        s = op.outputs[0]
        if s.shape.ndims is None:
            fail(op, "the gradient of MatrixSquareRoot needs the input's rank known when the graph is built",
                 errors.UnimplementedError)
        sh = _adjoint_of(op, s)
        if s.shape.is_fully_defined():
            batch, n = list(s.shape[:-2]), s.shape[-1]
            flat = lambda tail: batch + tail  # noqa: E731
        else:  # sizes known only when run
            dims = shape_of(s)
            batch, n = dims[:-2], dims[-1]
            flat = lambda tail: concat([batch, tail], 0)  # noqa: E731
        ident = eye(n, dtype=s.dtype)
        kron = einsum("...ij,kl->...ikjl", sh, ident) + einsum("ij,...lk->...ikjl", ident, sh)
        x = matrix_solve(reshape(kron, flat([n * n, n * n])), reshape(ds, flat([n * n, 1])))
        return [reshape(x, flat([n, n]))]


def matrix_exponential(input, name=None):
    """``exp`` of each square matrix of ``input`` (shape ``(..., M, M)``): ``sum_k A^k / k!``."""
    return apply1("MatrixExponential", [convert_to_tensor(input)], name=name or "matrix_exponential")


def matrix_logarithm(input, name=None):
    """The principal logarithm of each square complex matrix of ``input`` (shape ``(..., M, M)``): the ``L``
    with ``exp(L) = input`` whose eigenvalues have imaginary parts in ``(-pi, pi)``. The matrices must have no
    eigenvalue on the closed negative real axis."""
    return apply1("MatrixLogarithm", [convert_to_tensor(input)], name=name or "MatrixLogarithm")


def matrix_square_root(input, name=None):
    """The principal square root of each square matrix of ``input`` (shape ``(..., M, M)``): the ``S`` with
    ``S @ S = input`` whose eigenvalues have positive real parts. The matrices must have no eigenvalue on the
    closed negative real axis."""
    return apply1("MatrixSquareRoot", [convert_to_tensor(input)], name=name or "MatrixSquareRoot")


expm = matrix_exponential
logm = matrix_logarithm
sqrtm = matrix_square_root
