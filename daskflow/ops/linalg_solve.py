"""Linear solves of ``tf.linalg`` beyond ``matrix_solve``: triangular solves (an op, with TF's gradient), and the
composites on top of it: Cholesky solves, least squares (``lstsq``; the robust ``fast=False`` path is an op), LU
factors and their solves, and tridiagonal products and solves.

As in ``linalg``, the matrix ops take whole matrices per block and keep the batch dims' chunks.
"""
import dask.array as da
import numpy as np

from .. import backend, errors
from ..graph import TensorShape, name_scope
from .generate import dim_size, eye, shape as shape_of
from .linalg import (_KINDS, _adjoint, _call, _check_matrices, _matrices_footprint, _square_dim, _whole_matrices,
                     _where, _work_dtype, cholesky)
from .linalg_structure import matrix_band_part
from .math import matmul
from .registry import apply1, broadcast_shapes, convert_to_tensor, fail, register

__all__ = ["matrix_triangular_solve", "cholesky_solve", "matrix_solve_ls"]


def _type_check(op, t, kinds=_KINDS):
    """TF's TypeError for a dtype the op's kernels do not take."""
    if t.dtype.kind not in kinds:
        raise TypeError(f"Value passed to parameter 'input' has DataType {t.dtype.name} not in list of allowed "
                        f"values: float64, float32, float16, complex64, complex128 [op '{op.name}' (type "
                        f"{op.type}) built at {op.where()}]")


def _meta(x, dtype, ndim):
    """``backend.meta``, also for a real dtype of complex ``x`` (taken from the real part, without a cast)."""
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        return backend.meta(x, x.dtype, ndim).real.astype(dtype)
    return backend.meta(x, dtype, ndim)


def _batched_system(op):
    """The output shape of a solve of ``op``'s matrix (``(..., M, M)``) and rhs (``(..., M, K)``), batch dims
    broadcast; checks both at build time."""
    a, b = op.inputs
    _type_check(op, a)
    _check_matrices(op, a)
    if b.dtype != a.dtype:
        fail(op, f"rhs '{b.name}' has dtype {b.dtype.name} that does not match dtype {a.dtype.name} of matrix "
                 f"'{a.name}'")
    if a.shape.ndims is None or b.shape.ndims is None:
        return TensorShape(None)
    if b.shape.ndims < 2:
        fail(op, f"Shape must be at least rank 2 but is rank {b.shape.ndims} for rhs '{b.name}'")
    m, rows = _square_dim(a), b.shape[-2]
    if m is not None and rows is not None and m != rows:
        fail(op, f"Dimensions must be equal, but are {m} and {rows} for matrix '{a.name}' of shape {a.shape} and "
                 f"rhs '{b.name}' of shape {b.shape}")
    batch = broadcast_shapes(op, TensorShape(a.shape[:-2]), TensorShape(b.shape[:-2]))
    return tuple(batch) + (m if m is not None else rows, b.shape[-1])


def _broadcast_batches(a, b):
    """Dask arrays ``a`` (matrices) and ``b`` (right-hand sides) broadcast to one batch shape, whole matrices per
    block and ``b``'s batch chunks those of ``a``."""
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    if a.shape[:-2] != batch:
        a = da.broadcast_to(a, batch + a.shape[-2:])
    if b.shape[:-2] != batch:
        b = da.broadcast_to(b, batch + b.shape[-2:])
    a = _whole_matrices(a)
    return a, _whole_matrices(b, batch_chunks=a.chunks[:-2])


# -- triangular solves

def _triangular_kernel(a, b, lower, adjoint, where):
    m = backend.xp(a)
    w = _work_dtype(a)
    a = (m.tril if lower else m.triu)(a.astype(w))  # only the named triangle is read, as TF
    out = _call(m.linalg.solve, where, "Input matrix is not invertible.", _adjoint(m, a) if adjoint else a,
                b.astype(w))
    return out.astype(b.dtype, copy=False)


@register("MatrixTriangularSolve")
class MatrixTriangularSolve:
    footprint = _matrices_footprint
    broadcasts = 2

    def infer(op):
        return [(_batched_system(op), op.inputs[0].dtype)]

    def lower(op, a, b):
        a, b = _broadcast_batches(a, b)
        return da.map_blocks(_triangular_kernel, a, b, lower=op.attrs["lower"], adjoint=op.attrs["adjoint"],
                             where=_where(op), dtype=b.dtype, chunks=b.chunks, meta=backend.meta(b, b.dtype))

    def grad(op, dx):  # x = A^-1 b: db = A^-H dx; dA = -db x^H (adjoint: -x db^H), on the triangle read
        a, x = op.inputs[0], op.outputs[0]
        lower, adj = op.attrs["lower"], op.attrs["adjoint"]
        db = matrix_triangular_solve(a, dx, lower=lower, adjoint=not adj)
        da_ = -matmul(x, db, adjoint_b=True) if adj else -matmul(db, x, adjoint_b=True)
        return [matrix_band_part(da_, -1, 0) if lower else matrix_band_part(da_, 0, -1), db]


def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """``X`` with ``matrix @ X = rhs`` for triangular ``matrix`` (shape ``(..., M, M)``; only its lower
    triangle is read, or its upper one with ``lower=False``) and ``rhs`` ``(..., M, K)``, batch dims broadcast;
    with ``adjoint=True`` solves ``adjoint(matrix) @ X = rhs``."""
    with name_scope(name, "triangular_solve"):
        a = convert_to_tensor(matrix)
        b = convert_to_tensor(rhs, dtype_hint=a.dtype)
        return apply1("MatrixTriangularSolve", [a, b], {"lower": bool(lower), "adjoint": bool(adjoint)},
                      name="MatrixTriangularSolve")


def cholesky_solve(chol, rhs, name=None):
    """``X`` with ``A @ X = rhs`` given the Cholesky factor ``chol`` of ``A`` (``cholesky(A)``, shape
    ``(..., M, M)``) and ``rhs`` (``(..., M, K)``): two triangular solves."""
    with name_scope(name, "cholesky_solve"):
        y = matrix_triangular_solve(chol, rhs, lower=True, adjoint=False)
        return matrix_triangular_solve(chol, y, lower=True, adjoint=True)


# -- least squares

def _lstsq_kernel(a, b, l2, where):
    m = backend.xp(a)
    w = _work_dtype(a)
    u, s, vh = _call(m.linalg.svd, where, "SVD did not converge.", a.astype(w), False)
    s = s.astype(w)
    big = s > s.max(axis=-1, keepdims=True) * max(a.shape[-2:]) * m.finfo(s.real.dtype).eps
    scale = m.where(big, s / (s * s + l2), 0).astype(w)
    uhb = _adjoint(m, u) @ b.astype(w)
    return (_adjoint(m, vh) @ (scale[..., :, None] * uhb)).astype(b.dtype, copy=False)


@register("MatrixSolveLs")
class MatrixSolveLs:
    footprint = _matrices_footprint

    def infer(op):
        a, b = op.inputs
        _type_check(op, a)
        if b.dtype != a.dtype:
            fail(op, f"rhs '{b.name}' has dtype {b.dtype.name} that does not match dtype {a.dtype.name} of "
                     f"matrix '{a.name}'")
        if a.shape.ndims is None or b.shape.ndims is None:
            return [(TensorShape(None), a.dtype)]
        if a.shape.ndims < 2 or b.shape.ndims != a.shape.ndims:
            fail(op, f"matrix '{a.name}' {a.shape} and rhs '{b.name}' {b.shape} must be batches of matrices of "
                     "one rank")
        if a.shape[-2] is not None and b.shape[-2] is not None and a.shape[-2] != b.shape[-2]:
            fail(op, f"Dimensions must be equal, but are {a.shape[-2]} and {b.shape[-2]} for matrix '{a.name}' "
                     f"of shape {a.shape} and rhs '{b.name}' of shape {b.shape}")
        batch = TensorShape(a.shape[:-2]).merge_with(TensorShape(b.shape[:-2]))
        return [(tuple(batch) + (a.shape[-1], b.shape[-1]), a.dtype)]

    def lower(op, a, b):
        a = _whole_matrices(a)
        b = _whole_matrices(b, batch_chunks=a.chunks[:-2])
        out_chunks = a.chunks[:-2] + ((a.shape[-1],), b.chunks[-1])
        return da.map_blocks(_lstsq_kernel, a, b, l2=op.attrs["l2_regularizer"], where=_where(op), dtype=b.dtype,
                             chunks=out_chunks, meta=backend.meta(b, b.dtype))

    def grad(op, dx):
        # why: TF has no gradient for fast=False; for matrices of full rank (or l2 > 0) the solution is the fast
        # path's, whose gradient this is
        from ..autodiff import gradients
        a, b = op.inputs
        x = matrix_solve_ls(a, b, l2_regularizer=op.attrs["l2_regularizer"], fast=True)
        return gradients(x, [a, b], grad_ys=dx)


def matrix_solve_ls(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares solutions ``X`` minimising ``||matrix @ X - rhs||^2 + l2_regularizer ||X||^2`` for each
    matrix (``(..., M, N)``) and rhs (``(..., M, K)``): shape ``(..., N, K)``.

    ``fast=True`` solves the normal equations by Cholesky (``(A^H A + l2 I) X = A^H B`` when ``M >= N``, else
    ``X = A^H (A A^H + l2 I)^-1 B``): differentiable, needs ``A`` of full rank unless ``l2_regularizer > 0``.
    ``fast=False`` uses the singular value decomposition (the minimum-norm solution for rank-deficient ``A``);
    its gradient (which TF does not define) is the fast path's, so it needs ``A`` of full rank too.
    """
    with name_scope(name, "matrix_solve_ls"):
        a = convert_to_tensor(matrix)
        b = convert_to_tensor(rhs, dtype_hint=a.dtype)
        if a.dtype.kind not in _KINDS:
            raise TypeError(f"Value passed to parameter 'matrix' has DataType {a.dtype.name} not in list of "
                            "allowed values: float64, float32, float16, complex64, complex128")
        if not fast:
            l2 = _static_float(l2_regularizer)
            return apply1("MatrixSolveLs", [a, b], {"l2_regularizer": l2}, name="MatrixSolveLs")
        if a.shape.ndims is None:
            raise errors.UnimplementedError(None, a.op, f"matrix_solve_ls needs the rank of '{a.name}' known when "
                                                        "the graph is built")
        reg = convert_to_tensor(l2_regularizer, dtype_hint=a.dtype)
        if reg.dtype != a.dtype:
            from .math import cast
            reg = cast(reg, a.dtype)
        m, n = a.shape[-2], a.shape[-1]
        if m is not None and n is not None:
            return (_overdetermined if m >= n else _underdetermined)(a, b, reg)
        # the dims are known only when run: the branch is chosen then, as TF does
        from .control import cond
        dims = shape_of(a)
        return cond(dims[-2] >= dims[-1], lambda: _overdetermined(a, b, reg), lambda: _underdetermined(a, b, reg))


def _overdetermined(a, b, reg):
    """``(A^H A + l2 I)^-1 A^H B``, by Cholesky."""
    gram = matmul(a, a, adjoint_a=True) + reg * eye(dim_size(a, -1), dtype=a.dtype)
    return cholesky_solve(cholesky(gram), matmul(a, b, adjoint_a=True))


def _underdetermined(a, b, reg):
    """``A^H (A A^H + l2 I)^-1 B``, by Cholesky."""
    gram = matmul(a, a, adjoint_b=True) + reg * eye(dim_size(a, -2), dtype=a.dtype)
    return matmul(a, cholesky_solve(cholesky(gram), b), adjoint_a=True)


def _static_float(value):
    from .hostvalue import constant_value
    v = constant_value(value) if hasattr(value, "op") else value
    if v is None:
        raise errors.UnimplementedError(None, value.op, "matrix_solve_ls with fast=False needs l2_regularizer "
                                                        f"known when built; '{value.name}' is known only when run")
    return float(v)


lstsq = matrix_solve_ls
