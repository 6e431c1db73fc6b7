"""TF's circulant LinearOperators (``tf.linalg.LinearOperatorCirculant``, ``...Circulant2D``, ``...Circulant3D``):
(batches of) circulant, block circulant and nested block circulant matrices defined by their spectrum, the DFT of
their convolution kernel. Products and solves are FFT convolutions (``A x = IFFT(spectrum * FFT(x))``), the
determinant is the product of the spectrum, and no dense matrix is formed unless ``to_dense`` asks for it.

Also ``LinearOperatorBlockLowerTriangular``, the block lower-triangular operator of a list of rows of operators.
"""
import numpy as np

from .. import dtypes
from ..graph import TensorShape, name_scope
from .array import concat, expand_dims, reshape
from .generate import eye, ones, shape as shape_of
from .linalg_operator import LinearOperator, _t
from .linalg_structure import adjoint as _adjoint, matrix_transpose
from .math import Assert, abs as abs_, cast, equal, greater, less, log
from .reduce import reduce_all, reduce_prod, reduce_sum
from .special import imag, real
from .spectral import fft, fft2d, fft3d, ifft, ifft2d, ifft3d
from .state import no_op

__all__ = NAMES = ["LinearOperatorCirculant", "LinearOperatorCirculant2D", "LinearOperatorCirculant3D",
                   "LinearOperatorBlockLowerTriangular"]
NAMESPACES = {"linalg": list(NAMES)}

_FFT = {1: fft, 2: fft2d, 3: fft3d}
_IFFT = {1: ifft, 2: ifft2d, 3: ifft3d}
_SPECTRUM_DTYPES = ("float16", "float32", "float64", "complex64", "complex128")


def _to_complex(x):
    """``x`` as complex: float64 becomes complex128, other floats complex64 (as TF)."""
    if x.dtype.kind == "c":
        return x
    return cast(x, dtypes.complex128 if x.dtype == np.float64 else dtypes.complex64)


def _cast_out(x, dtype):
    """``x`` cast to the operator's dtype; complex to real keeps the real part, as TF's cast."""
    return x if x.dtype == dtype else cast(real(x) if x.dtype.kind == "c" and dtype.kind != "c" else x, dtype)


class _BaseCirculant(LinearOperator):
    """The circulant family, ``block_depth`` 1, 2 or 3 (circulant, block circulant, nested block circulant)."""

    _depth = 1

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name=None):
        name = name or type(self).__name__
        self._spectrum = _t(spectrum)
        s = self._spectrum
        if s.dtype.name not in _SPECTRUM_DTYPES:
            raise TypeError(f"Argument `spectrum` must have dtype in {list(_SPECTRUM_DTYPES)}. "
                            f"Received: {s.dtype.name}.")
        if s.shape.ndims is not None and s.shape.ndims < self._depth:
            raise ValueError(f"Argument `spectrum` must have at least {self._depth} dimensions. Received: {s}.")
        if s.dtype.kind != "c":
            if is_self_adjoint is False:
                raise ValueError("A real spectrum always corresponds to a self-adjoint operator. Expected argument "
                                 "`is_self_adjoint` to be True when `spectrum.dtype.is_complex` = True. "
                                 f"Received: {is_self_adjoint}.")
            is_self_adjoint = True
        if is_square is False:
            raise ValueError("A [[nested] block] circulant operator is always square. Expected argument `is_square` "
                             f"to be True. Received: {is_square}.")
        super().__init__(input_output_dtype, [s], is_non_singular, is_self_adjoint, is_positive_definite, True,
                         name, {"spectrum": spectrum, "input_output_dtype": input_output_dtype,
                                "is_non_singular": is_non_singular, "is_self_adjoint": is_self_adjoint,
                                "is_positive_definite": is_positive_definite, "is_square": is_square,
                                "name": name})

    spectrum = property(lambda self: self._spectrum)
    block_depth = property(lambda self: self._depth)

    @property
    def block_shape(self):
        return TensorShape(tuple(self._spectrum.shape)[-self._depth:])

    def block_shape_tensor(self, name="block_shape_tensor"):
        """The block shape (the spectrum's trailing ``block_depth`` dims) as an int32 tensor."""
        dims = tuple(self._spectrum.shape)[-self._depth:]
        return _t(list(dims), dtypes.int32) if None not in dims else shape_of(self._spectrum)[-self._depth:]

    def _shape(self):
        s = tuple(self._spectrum.shape)
        block = s[-self._depth:]
        n = int(np.prod(block)) if None not in block else None
        return s[:-self._depth] + (n, n)

    def _axes(self):
        return list(range(-self._depth, 0))

    def convolution_kernel(self, name="convolution_kernel"):
        """The kernel whose ``block_depth``-dimensional DFT is the spectrum, cast to the operator's dtype."""
        with name_scope(self.name + "/" + name):
            return _cast_out(_IFFT[self._depth](_to_complex(self._spectrum)), self.dtype)

    def _blocks(self, x):
        """``[..., N, R]`` matrices as ``[..., R] + block_shape`` arrays of column vectors."""
        cols = matrix_transpose(x)
        lead, block = tuple(cols.shape)[:-1], tuple(self.block_shape)
        if None not in lead + block:
            return reshape(cols, list(lead + block))
        return reshape(cols, concat([shape_of(cols)[:-1], self.block_shape_tensor()], 0))

    def _unblocks(self, y):
        """The inverse of ``_blocks``: back to ``[..., N, R]`` matrices."""
        lead = tuple(y.shape)[:-self._depth]
        n = self._shape()[-1]
        if None not in lead and n is not None:
            flat = reshape(y, list(lead) + [n])
        else:
            flat = reshape(y, concat([shape_of(y)[:-self._depth], [-1]], 0))
        return matrix_transpose(flat)

    def _apply(self, x, spectrum, invert):
        spectrum = _to_complex(spectrum)
        x = cast(x, spectrum.dtype) if x.dtype != spectrum.dtype else x
        xb = self._blocks(x)
        spec = expand_dims(spectrum, -self._depth - 1)  # one spectrum for the R columns
        fx = _FFT[self._depth](xb)
        y = _IFFT[self._depth](fx / spec if invert else spec * fx)
        return _cast_out(self._unblocks(y), self.dtype)

    def _spec(self, adjoint):
        s = _to_complex(self._spectrum)
        return _conj_c(s) if adjoint else s

    def _matmul(self, x, adjoint, adjoint_arg):
        return self._apply(_adjoint(x) if adjoint_arg else x, self._spec(adjoint), False)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return self._apply(_adjoint(rhs) if adjoint_arg else rhs, self._spec(adjoint), True)

    def _to_dense(self):
        # the identity's columns broadcast against the spectrum's batch dims
        return self._matmul(eye(self._shape()[-1], dtype=self.dtype), False, False)

    def _determinant(self):
        return _cast_out(reduce_prod(self._spectrum, self._axes()), self.dtype)

    def _log_abs_determinant(self):
        return _cast_out(reduce_sum(log(abs_(self._spectrum)), self._axes()), self.dtype)

    def trace(self, name="trace"):
        """The trace: the sum of the spectrum (its real part for a real or self-adjoint operator)."""
        with name_scope(self.name + "/" + name):
            s = self._spectrum
            if s.dtype.kind == "c" and (self.dtype.kind != "c" or self.is_self_adjoint):
                s = real(s)
            return _cast_out(reduce_sum(s, self._axes()), self.dtype)

    def _diag_part(self):
        # every diagonal entry is the mean of the spectrum (the kernel's entry at the origin)
        n = self._shape()[-1]
        return expand_dims(self.trace() / cast(n, self.dtype), -1) * ones([n], dtype=self.dtype)

    def eigvals(self, name="eigvals"):
        """The eigenvalues: the spectrum, flattened over its block dims."""
        n = self._shape()[-1]
        s = self._spectrum
        lead = tuple(s.shape)[:-self._depth]
        return reshape(s, list(lead) + [n]) if None not in lead and n is not None else \
            reshape(s, concat([shape_of(s)[:-self._depth], [-1]], 0))

    def cond(self, name="cond"):
        a = abs_(self.eigvals())
        from .reduce import reduce_max, reduce_min
        return reduce_max(a, -1) / reduce_min(a, -1)

    def adjoint(self, name="adjoint"):
        """The adjoint: the circulant operator of the conjugate spectrum."""
        if self.is_self_adjoint:
            return self
        s = self._spectrum
        return type(self)(_conj_c(s), input_output_dtype=self.dtype, is_non_singular=self.is_non_singular,
                          is_self_adjoint=self.is_self_adjoint, is_positive_definite=self.is_positive_definite)

    H = property(adjoint)

    def inverse(self, name="inverse"):
        """The inverse: the circulant operator of the reciprocal spectrum."""
        if self.is_non_singular is False:
            raise ValueError("Cannot take the Inverse: This operator represents a singular matrix.")
        return type(self)(1.0 / self._spectrum, input_output_dtype=self.dtype, is_non_singular=self.is_non_singular,
                          is_self_adjoint=self.is_self_adjoint, is_positive_definite=self.is_positive_definite)

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """``op(A) @ op(x)``; the product with a circulant operator of the same kind is the circulant operator of
        the product of their spectra."""
        if type(x) is type(self):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return type(self)(left.spectrum * right.spectrum, input_output_dtype=self.dtype,
                              is_non_singular=_both(left.is_non_singular, right.is_non_singular),
                              is_self_adjoint=_both(left.is_self_adjoint, right.is_self_adjoint),
                              is_positive_definite=_both(left.is_positive_definite, right.is_positive_definite))
        return super().matmul(x, adjoint, adjoint_arg, name)

    __matmul__ = matmul

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """``X`` with ``op(A) @ X = op(rhs)``; a circulant operator ``rhs`` of the same kind gives the circulant
        operator of the ratio of their spectra."""
        if type(rhs) is type(self):
            left = self.adjoint() if adjoint else self
            right = rhs.adjoint() if adjoint_arg else rhs
            return type(self)(right.spectrum / left.spectrum, input_output_dtype=self.dtype,
                              is_non_singular=_both(left.is_non_singular, right.is_non_singular),
                              is_self_adjoint=_both(left.is_self_adjoint, right.is_self_adjoint),
                              is_positive_definite=_both(left.is_positive_definite, right.is_positive_definite))
        return super().solve(rhs, adjoint, adjoint_arg, name)

    def assert_hermitian_spectrum(self, name="assert_hermitian_spectrum"):
        """An op failing when run unless the spectrum is Hermitian (the operator a real matrix): the kernel's
        imaginary part must be below ``eps * N`` everywhere."""
        eps = float(np.finfo(np.empty(0, self.dtype).real.dtype).eps)
        with name_scope(self.name + "/" + name):
            k = self.convolution_kernel()
            im = imag(k) if k.dtype.kind == "c" else k * 0
            return Assert(reduce_all(less(abs_(im), eps * self._shape()[-1])), ["Spectrum was not Hermitian"])

    def assert_non_singular(self, name="assert_non_singular"):
        with name_scope(self.name + "/" + name):
            return Assert(reduce_all(greater(abs_(self._spectrum), 0)),
                          ["Singular operator:  Spectrum contained zero values."])

    def assert_positive_definite(self, name="assert_positive_definite"):
        s = self._spectrum
        with name_scope(self.name + "/" + name):
            return Assert(reduce_all(greater(real(s) if s.dtype.kind == "c" else s, 0)),
                          ["Not positive definite:  Real part of spectrum was not all positive."])

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        s = self._spectrum
        with name_scope(self.name + "/" + name):
            if s.dtype.kind != "c":
                return no_op()
            return Assert(reduce_all(equal(imag(s), 0)),
                          ["Not self-adjoint:  The spectrum contained non-zero imaginary part."])


def _conj_c(s):
    from .math import conj
    return conj(s) if s.dtype.kind == "c" else s


def _both(a, b):
    """A hint of a product of commuting operators: true when both are, unknown otherwise."""
    return True if a and b else None


class LinearOperatorCirculant(_BaseCirculant):
    """A (batch of) ``N x N`` circulant matrices ``A`` of ``spectrum`` (shape ``[B1,...,Bb, N]``): ``A`` is the
    convolution with the kernel ``h = IFFT(spectrum)``, ``A[i, j] = h[(i - j) mod N]``.

    ``input_output_dtype`` (complex64 by default) is the dtype of ``matmul``'s input and of every result; a real
    dtype keeps the real part (exact when the spectrum is Hermitian, see ``assert_hermitian_spectrum``). A real
    ``spectrum`` makes the operator self-adjoint.
    """
    _depth = 1


class LinearOperatorCirculant2D(_BaseCirculant):
    """A (batch of) block circulant matrices with circulant blocks, of ``spectrum`` ``[B1,...,Bb, N0, N1]``: the
    2-D convolution with ``IFFT2D(spectrum)`` on vectors of length ``N = N0 * N1`` laid out row-major."""
    _depth = 2


class LinearOperatorCirculant3D(_BaseCirculant):
    """A (batch of) nested block circulant matrices, of ``spectrum`` ``[B1,...,Bb, N0, N1, N2]``: the 3-D
    convolution with ``IFFT3D(spectrum)`` on vectors of length ``N = N0 * N1 * N2`` laid out row-major."""
    _depth = 3


from .linalg_block_triangular import LinearOperatorBlockLowerTriangular  # noqa: E402,F401
