"""TF's ``tf.linalg.LinearOperator`` family: Python objects standing for (batches of) matrices by their structure,
whose methods build graph ops (products, solves, determinants...) from it, without forming the dense matrix where
the structure gives a cheaper way (a diagonal's product is a scaling, its determinant a product of entries).

Every method a subclass does not specialise falls back on the dense matrix (``to_dense``) and the dense ops, so
each operator supports the whole interface; all results are ordinary tensors, differentiable as their ops are.
"""
import numpy as np

from .. import dtypes, errors
from ..graph import TensorShape, name_scope
from .array import expand_dims, squeeze
from .generate import eye, shape as shape_of, zeros
from .linalg import matrix_determinant, matrix_solve
from .linalg_solve import matrix_triangular_solve
from .linalg_structure import adjoint as _adjoint, matrix_band_part, matrix_diag, matrix_diag_part
from .math import Assert, _conj, abs as abs_, cast, greater, less_equal, log, matmul
from .reduce import reduce_all, reduce_max, reduce_min, reduce_prod, reduce_sum
from .registry import convert_to_tensor

# names of tf.linalg (none at TF's top level); ``decomp`` lists them for the namespace
__all__ = NAMES = ["LinearOperator", "LinearOperatorFullMatrix", "LinearOperatorDiag", "LinearOperatorIdentity",
         "LinearOperatorScaledIdentity", "LinearOperatorLowerTriangular", "LinearOperatorComposition",
         "LinearOperatorInversion", "LinearOperatorAdjoint", "LinearOperatorKronecker", "LinearOperatorBlockDiag",
         "LinearOperatorLowRankUpdate", "LinearOperatorZeros", "LinearOperatorPermutation",
         "LinearOperatorHouseholder", "LinearOperatorToeplitz", "LinearOperatorTridiag"]


def _t(x, dtype=None):
    return convert_to_tensor(x, dtype=dtype)


def _dim(a, b):
    """Two static dims that must agree: the known one (None if neither is known)."""
    if a is not None and b is not None and a != b:
        raise ValueError(f"Dimensions {a} and {b} are not compatible")
    return a if a is not None else b


def _broadcast_batch(*shapes):
    """The broadcast of static batch shapes (tuples with None for unknown dims)."""
    n = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(n):
        dims = [s[len(s) - n + i] for s in shapes if len(s) - n + i >= 0]
        known = {d for d in dims if d not in (None, 1)}
        if len(known) > 1:
            raise ValueError(f"Incompatible batch shapes: {' vs. '.join(map(str, shapes))}")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


class LinearOperator:
    """A (batch of) ``M x N`` linear operator(s) of static ``shape`` ``batch_shape + [M, N]``.

    Subclasses define ``_shape()`` (a tuple, None for unknown dims) and ``_to_dense()``, and may specialise
    ``_matmul``, ``_solve``, ``_determinant``, ``_log_abs_determinant`` and ``_diag_part``. The hints
    ``is_non_singular``, ``is_self_adjoint``, ``is_positive_definite`` and ``is_square`` are True, False or None
    (unknown); they choose shortcuts (``adjoint()`` of a self-adjoint operator is itself) and refuse impossible
    calls (the determinant of a non-square operator).
    """

    def __init__(self, dtype, graph_parents=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None, parameters=None):
        if is_positive_definite and is_non_singular is False:
            raise ValueError("A positive definite matrix is always non-singular.")
        if is_positive_definite and is_square is False:
            raise ValueError("A positive definite matrix is always square.")
        if is_non_singular and is_square is False:
            raise ValueError("A non-singular matrix is always square.")
        self._dtype = dtypes.as_dtype(dtype)
        self._graph_parents = list(graph_parents or [])
        self._is_non_singular = True if is_positive_definite else is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square_hint = is_square
        self._name = name or type(self).__name__
        self._parameters = dict(parameters or {})

    # -- static facts

    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)
    parameters = property(lambda self: dict(self._parameters))
    graph_parents = property(lambda self: list(self._graph_parents))
    is_non_singular = property(lambda self: self._is_non_singular)
    is_self_adjoint = property(lambda self: self._is_self_adjoint)
    is_positive_definite = property(lambda self: self._is_positive_definite)

    @property
    def is_square(self):
        m, n = self.range_dimension, self.domain_dimension
        if m is not None and n is not None:
            return m == n
        return self._is_square_hint

    @property
    def shape(self):
        return TensorShape(self._shape())

    batch_shape = property(lambda self: TensorShape(self._shape()[:-2]))
    range_dimension = property(lambda self: self._shape()[-2])
    domain_dimension = property(lambda self: self._shape()[-1])
    tensor_rank = property(lambda self: len(self._shape()))

    def shape_tensor(self, name="shape_tensor"):
        """The shape as an int32 tensor (a constant where the static shape is known)."""
        s = self._shape()
        return _t(list(s), dtypes.int32) if None not in s else shape_of(self.to_dense())

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        return self.shape_tensor()[:-2]

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        return self.shape_tensor()[-2]

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        return self.shape_tensor()[-1]

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        return _t(self.tensor_rank, dtypes.int32)

    # -- the matrix and its products

    def to_dense(self, name="to_dense"):
        """The dense matrix (batch) the operator stands for."""
        with name_scope(self.name + "/" + name):
            return self._to_dense()

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """``op(A) @ op(x)`` with ``op`` the adjoint where asked; a LinearOperator ``x`` gives their
        composition."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return LinearOperatorComposition([left, right])
        x = _t(x, self.dtype)
        inner = self.range_dimension if adjoint else self.domain_dimension
        if x.shape.ndims is not None:
            _dim(inner, x.shape[-1] if adjoint_arg else x.shape[-2])
        with name_scope(self.name + "/" + name):
            return self._matmul(x, adjoint, adjoint_arg)

    __matmul__ = matmul

    def matvec(self, x, adjoint=False, name="matvec"):
        """``op(A) @ x`` for vectors ``x`` (last dim)."""
        return squeeze(self.matmul(expand_dims(_t(x, self.dtype), -1), adjoint=adjoint, name=name), [-1])

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """``X`` with ``op(A) @ X = op(rhs)``; a LinearOperator ``rhs`` gives ``inverse(A) @ rhs``."""
        if self.is_non_singular is False:
            raise errors.InvalidArgumentError(None, None, "Exact solve not implemented for an operator that is "
                                                          "expected to be singular.")
        self._need_square("Exact solve")
        if isinstance(rhs, LinearOperator):
            inv = (self.adjoint() if adjoint else self).inverse()
            return LinearOperatorComposition([inv, rhs.adjoint() if adjoint_arg else rhs])
        rhs = _t(rhs, self.dtype)
        if rhs.shape.ndims is not None:
            _dim(self.range_dimension, rhs.shape[-1] if adjoint_arg else rhs.shape[-2])
        with name_scope(self.name + "/" + name):
            return self._solve(rhs, adjoint, adjoint_arg)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        return squeeze(self.solve(expand_dims(_t(rhs, self.dtype), -1), adjoint=adjoint, name=name), [-1])

    def determinant(self, name="det"):
        self._need_square("Determinant")
        with name_scope(self.name + "/" + name):
            return self._determinant()

    def log_abs_determinant(self, name="log_abs_det"):
        self._need_square("Log-abs determinant")
        with name_scope(self.name + "/" + name):
            return self._log_abs_determinant()

    def diag_part(self, name="diag_part"):
        """The main diagonal of each matrix, shape ``batch_shape + [min(M, N)]``."""
        with name_scope(self.name + "/" + name):
            return self._diag_part()

    def trace(self, name="trace"):
        return reduce_sum(self.diag_part(), -1, name=name)

    def add_to_tensor(self, x, name="add_to_tensor"):
        return self.to_dense() + _t(x, self.dtype)

    def adjoint(self, name="adjoint"):
        return self if self.is_self_adjoint else LinearOperatorAdjoint(self)

    H = property(adjoint)

    def inverse(self, name="inverse"):
        if self.is_square is False:
            raise ValueError("Cannot take the Inverse: This operator represents a non square matrix.")
        if self.is_non_singular is False:
            raise ValueError("Cannot take the Inverse: This operator represents a singular matrix.")
        return LinearOperatorInversion(self)

    def cholesky(self, name="cholesky"):
        if not (self.is_self_adjoint and self.is_positive_definite):
            raise ValueError("Cholesky decomposition only makes sense on an operator that is self-adjoint and "
                             "positive definite.")
        from .linalg import cholesky
        return LinearOperatorLowerTriangular(cholesky(self.to_dense()), is_non_singular=True)

    def eigvals(self, name="eigvals"):
        if not self.is_self_adjoint:
            raise errors.UnimplementedError(None, None, "Only self-adjoint matrices are supported.")
        from .decomp import self_adjoint_eigvals
        return self_adjoint_eigvals(self.to_dense())

    def cond(self, name="cond"):
        """The condition number: largest over smallest singular value."""
        from .decomp import svd
        s = svd(self.to_dense(), compute_uv=False)
        return reduce_max(s, -1) / reduce_min(s, -1)

    def assert_non_singular(self, name="assert_non_singular"):
        """An op failing when run if some matrix is singular to working precision."""
        from .decomp import svd
        s = svd(self.to_dense(), compute_uv=False)
        eps = float(np.finfo(np.empty(0, self.dtype).real.dtype).eps)
        ok = reduce_all(greater(reduce_min(s, -1), eps * reduce_max(s, -1) * max(self._shape()[-2:] or (1,))))
        return Assert(ok, ["Singular operator:", s])

    def assert_positive_definite(self, name="assert_positive_definite"):
        """An op failing when run unless every matrix's Hermitian part is positive definite."""
        from .decomp import self_adjoint_eigvals
        dense = self.to_dense()
        e = self_adjoint_eigvals(0.5 * (dense + _adjoint(dense)))
        return Assert(reduce_all(greater(cast(abs_(e), e.dtype) if e.dtype.kind == "c" else e, 0)),
                      ["Operator is not positive definite:", e])

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        dense = self.to_dense()
        return Assert(reduce_all(less_equal(abs_(dense - _adjoint(dense)), 0)), ["Operator is not self-adjoint."])

    def _need_square(self, what):
        if self.is_square is False:
            raise errors.InvalidArgumentError(None, None, f"{what} not implemented for an operator that is expected "
                                                          "to not be square.")

    # -- dense fallbacks

    def _matmul(self, x, adjoint, adjoint_arg):
        return matmul(self.to_dense(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return matrix_solve(self.to_dense(), _adjoint(rhs) if adjoint_arg else rhs, adjoint=adjoint)

    def _determinant(self):
        return matrix_determinant(self.to_dense())

    def _log_abs_determinant(self):
        from .decomp import slogdet
        return slogdet(self.to_dense())[1]

    def _diag_part(self):
        return matrix_diag_part(self.to_dense())

    def _eye(self, n, batch=()):
        ident = eye(n, dtype=self.dtype)
        return ident if not batch else ident + zeros(list(batch) + [n, n], dtype=self.dtype)

    def __repr__(self):
        return f"<{type(self).__name__} '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


class LinearOperatorFullMatrix(LinearOperator):
    """The operator of a dense ``matrix`` (shape ``[..., M, N]``)."""

    def __init__(self, matrix, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorFullMatrix"):
        self._matrix = _t(matrix)
        if self._matrix.shape.ndims is not None and self._matrix.shape.ndims < 2:
            raise ValueError("Argument `matrix` must have at least 2 dimensions. Received: "
                             f"{self._matrix.shape} ('{self._matrix.name}')")
        super().__init__(self._matrix.dtype, [self._matrix], is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name, {"matrix": matrix})

    def _shape(self):
        return tuple(self._matrix.shape)

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """The diagonal matrices with ``diag`` (shape ``[..., N]``) on their diagonals."""

    def __init__(self, diag, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorDiag"):
        self._d = _t(diag)
        if is_self_adjoint is None and self._d.dtype.kind != "c":
            is_self_adjoint = True
        super().__init__(self._d.dtype, [self._d], is_non_singular, is_self_adjoint, is_positive_definite, True,
                         name, {"diag": diag})

    diag = property(lambda self: self._d)

    def _shape(self):
        s = tuple(self._d.shape)
        return s + (s[-1],)

    def _to_dense(self):
        return matrix_diag(self._d)

    def _scale(self, inv, adjoint):
        d = _conj(self._d) if adjoint else self._d
        return expand_dims(1.0 / d if inv else d, -1)

    def _matmul(self, x, adjoint, adjoint_arg):
        return self._scale(False, adjoint) * (_adjoint(x) if adjoint_arg else x)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return (_adjoint(rhs) if adjoint_arg else rhs) / self._scale(False, adjoint)

    def _determinant(self):
        return reduce_prod(self._d, -1)

    def _log_abs_determinant(self):
        return reduce_sum(log(abs_(self._d)), -1)

    def _diag_part(self):
        return self._d


class LinearOperatorScaledIdentity(LinearOperator):
    """``multiplier`` times the ``num_rows x num_rows`` identity (``multiplier``'s shape is the batch shape)."""

    def __init__(self, num_rows, multiplier, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=True, assert_proper_shapes=False, name="LinearOperatorScaledIdentity"):
        self._m = _t(multiplier)
        self._n = int(num_rows)
        if is_self_adjoint is None and self._m.dtype.kind != "c":
            is_self_adjoint = True
        super().__init__(self._m.dtype, [self._m], is_non_singular, is_self_adjoint, is_positive_definite, True,
                         name, {"num_rows": num_rows, "multiplier": multiplier})

    multiplier = property(lambda self: self._m)

    def _shape(self):
        return tuple(self._m.shape) + (self._n, self._n)

    def _to_dense(self):
        return expand_dims(expand_dims(self._m, -1), -1) * eye(self._n, dtype=self.dtype)

    def _factor(self, adjoint):
        return expand_dims(expand_dims(_conj(self._m) if adjoint else self._m, -1), -1)

    def _matmul(self, x, adjoint, adjoint_arg):
        return self._factor(adjoint) * (_adjoint(x) if adjoint_arg else x)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return (_adjoint(rhs) if adjoint_arg else rhs) / self._factor(adjoint)

    def _determinant(self):
        return self._m ** self._n

    def _log_abs_determinant(self):
        return self._n * log(abs_(self._m))

    def _diag_part(self):
        return expand_dims(self._m, -1) * np.ones(self._n, dtype=self.dtype)


class LinearOperatorIdentity(LinearOperatorScaledIdentity):
    """The ``num_rows x num_rows`` identity (of ``batch_shape``)."""

    def __init__(self, num_rows, batch_shape=None, dtype=None, is_non_singular=True, is_self_adjoint=True,
                 is_positive_definite=True, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorIdentity"):
        one = np.ones(tuple(batch_shape or ()), dtype=dtypes.as_dtype(dtype or dtypes.float32))
        super().__init__(num_rows, one, is_non_singular, is_self_adjoint, is_positive_definite, is_square,
                         assert_proper_shapes, name)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        return x if self._m.shape.ndims == 0 else x * self._factor(False)  # broadcast to the batch shape


class LinearOperatorZeros(LinearOperator):
    """The ``num_rows x num_columns`` zero matrix (of ``batch_shape``)."""

    def __init__(self, num_rows, num_columns=None, batch_shape=None, dtype=None, is_non_singular=False,
                 is_self_adjoint=True, is_positive_definite=False, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorZeros"):
        self._rows, self._cols = int(num_rows), int(num_columns if num_columns is not None else num_rows)
        self._batch = tuple(batch_shape or ())
        super().__init__(dtype or dtypes.float32, [], is_non_singular, is_self_adjoint, is_positive_definite,
                         self._rows == self._cols, name)

    def _shape(self):
        return self._batch + (self._rows, self._cols)

    def _to_dense(self):
        return zeros(list(self._shape()), dtype=self.dtype)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        rows = self._cols if adjoint else self._rows
        return matmul(zeros(list(self._batch) + [rows, x.shape[-2]], dtype=self.dtype), x)

    def _determinant(self):
        return zeros(list(self._batch), dtype=self.dtype)


class LinearOperatorLowerTriangular(LinearOperator):
    """The lower-triangular matrices of ``tril``'s lower triangle (its upper one is ignored)."""

    def __init__(self, tril, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowerTriangular"):
        self._tril = _t(tril)
        super().__init__(self._tril.dtype, [self._tril], is_non_singular, is_self_adjoint, is_positive_definite,
                         True, name, {"tril": tril})

    def _shape(self):
        s = tuple(self._tril.shape)
        return s[:-2] + (_dim(s[-2], s[-1]),) * 2

    def _to_dense(self):
        return matrix_band_part(self._tril, -1, 0)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return matrix_triangular_solve(self._tril, _adjoint(rhs) if adjoint_arg else rhs, lower=True,
                                       adjoint=adjoint)

    def _diag_part(self):
        return matrix_diag_part(self._tril)

    def _determinant(self):
        return reduce_prod(self._diag_part(), -1)

    def _log_abs_determinant(self):
        return reduce_sum(log(abs_(self._diag_part())), -1)


from .linalg_operator_more import (LinearOperatorAdjoint, LinearOperatorBlockDiag,  # noqa: E402,F401
                                   LinearOperatorComposition, LinearOperatorHouseholder, LinearOperatorInversion,
                                   LinearOperatorKronecker, LinearOperatorLowRankUpdate, LinearOperatorPermutation,
                                   LinearOperatorToeplitz, LinearOperatorTridiag)
