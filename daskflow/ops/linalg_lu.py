"""LU factors with partial pivoting (an op, with its gradient) and the functions on them (``lu_solve``,
``lu_matrix_inverse``, ``lu_reconstruct``), and tridiagonal products, solves and eigenvalues.

A row permutation ``p`` (``input[..., p, :] = L @ U``) is applied as a product with its one-hot matrix, so the
functions on it are differentiable in the factors and the right-hand sides. Tridiagonal solves and eigenvalues
build the dense matrix from its three diagonals and use the dense ops (their gradients reach the diagonals
through ``matrix_diag``).
"""
from .. import backend, dtypes, errors
from ..graph import TensorShape, name_scope
from .array import concat, expand_dims, squeeze
from .generate import dim_size, eye, ones_like, zeros_like
from .indexing import gather, one_hot
from .linalg import _check_matrices, _matrices_footprint, _square_dim, _whole_matrices, _work_dtype, matrix_solve
from .linalg_solve import _meta, _type_check, matrix_triangular_solve
from .linalg_structure import adjoint, matrix_band_part, matrix_diag, matrix_set_diag, matrix_transpose
from .math import _conj, greater, less_equal, logical_and, matmul, where
from .registry import apply, convert_to_tensor, register, tuple_outputs

__all__ = []


# -- LU

def _lu_kernel(x, index_dtype):
    m = backend.xp(x)
    n = x.shape[-1]
    a = x.astype(_work_dtype(x)).reshape((-1, n, n)).copy()
    perm = m.broadcast_to(m.arange(n), a.shape[:2]).copy()
    if a.shape[0]:
        rows = m.arange(a.shape[0])
        for k in range(n):  # Gaussian elimination, the largest remaining entry of column k as pivot
            piv = k + m.argmax(m.abs(a[:, k:, k]), axis=1)
            a[rows, k], a[rows, piv] = a[rows, piv], a[rows, k].copy()
            perm[rows, k], perm[rows, piv] = perm[rows, piv], perm[rows, k].copy()
            d = a[:, k, k]
            a[:, k + 1:, k] /= m.where(d == 0, 1, d)[:, None]  # a zero pivot leaves a zero column
            a[:, k + 1:, k + 1:] -= a[:, k + 1:, k:k + 1] * a[:, k:k + 1, k + 1:]
    return a.reshape(x.shape).astype(x.dtype, copy=False), perm.reshape(x.shape[:-1]).astype(index_dtype)


def _unit_lower(lu):
    return matrix_set_diag(matrix_band_part(lu, -1, 0), ones_like(lu[..., 0]))


def _permutation(perm, n, dtype):
    """The matrices ``P`` with ``P[i, perm[i]] = 1``, so ``P @ A = A[perm]``."""
    return one_hot(perm, n, dtype=dtype)


@register("Lu")
class Lu:
    footprint = _matrices_footprint
    scratch = 3  # the work copy, the pivots and one row swap

    def infer(op):
        x = op.inputs[0]
        _type_check(op, x)
        _check_matrices(op, x)
        idx = op.attrs["output_idx_type"]
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype), (TensorShape(None), idx)]
        n = _square_dim(x)
        return [(tuple(x.shape[:-2]) + (n, n), x.dtype), (tuple(x.shape[:-2]) + (n,), idx)]

    def lower(op, x):
        x = _whole_matrices(x)
        n = x.shape[-1]
        packed = x.map_blocks(_lu_kernel, index_dtype=op.attrs["output_idx_type"], drop_axis=[x.ndim - 1],
                              dtype=x.dtype, meta=backend.meta(x, x.dtype, x.ndim - 1))
        batch = x.chunks[:-2]
        return tuple_outputs(packed, [batch + ((n,), (n,)), batch + ((n,),)],
                             [backend.meta(x, x.dtype), _meta(x, op.attrs["output_idx_type"], x.ndim - 1)],
                             "lu")

    def grad(op, dlu, dperm):
        # why: P A = L U gives, with M = tril(L^H dL, -1) + triu(dU U^H), the gradient P^T L^-H M U^-H
        # (the permutation is piecewise constant)
        lu, perm = op.outputs
        low, up = _unit_lower(lu), matrix_band_part(lu, 0, -1)
        mid = matrix_band_part(matmul(low, dlu, adjoint_a=True), -1, 0) - \
            matrix_band_part(matmul(low, dlu, adjoint_a=True), 0, 0) + \
            matrix_band_part(matmul(dlu, up, adjoint_b=True), 0, -1)
        x = matrix_triangular_solve(low, mid, lower=True, adjoint=True)
        g = adjoint(matrix_triangular_solve(up, adjoint(x), lower=False))
        p = _permutation(perm, dim_size(lu, -1), lu.dtype)
        return [matmul(p, g, transpose_a=True)]


def lu(input, output_idx_type=dtypes.int32, name=None):
    """The LU factors with partial pivoting of each square matrix of ``input`` (shape ``(..., M, M)``):
    ``(lu, p)`` with ``L`` (unit lower triangular, its diagonal not stored) and ``U`` packed in ``lu`` and the
    row permutation ``p`` (``output_idx_type``) such that ``input[..., p, :] = L @ U``."""
    x = convert_to_tensor(input)
    return tuple(apply("Lu", [x], {"output_idx_type": dtypes.as_dtype(output_idx_type)}, name=name or "Lu"))


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """The matrices whose LU factors are ``lower_upper`` and ``perm`` (the inverse of ``lu``)."""
    with name_scope(name, "lu_reconstruct"):
        lu_ = convert_to_tensor(lower_upper)
        prod = matmul(_unit_lower(lu_), matrix_band_part(lu_, 0, -1))
        return matmul(_permutation(perm, dim_size(lu_, -1), lu_.dtype), prod, transpose_a=True)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """``X`` with ``A @ X = rhs`` given the LU factors ``lower_upper``, ``perm`` of ``A`` (from ``lu``)."""
    with name_scope(name, "lu_solve"):
        lu_ = convert_to_tensor(lower_upper)
        b = convert_to_tensor(rhs, dtype_hint=lu_.dtype)
        pb = matmul(_permutation(perm, dim_size(lu_, -1), lu_.dtype), b)
        y = matrix_triangular_solve(_unit_lower(lu_), pb, lower=True)
        return matrix_triangular_solve(lu_, y, lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of the matrices whose LU factors are ``lower_upper`` and ``perm``."""
    with name_scope(name, "lu_matrix_inverse"):
        lu_ = convert_to_tensor(lower_upper)
        n = dim_size(lu_, -1)
        ident = eye(n, dtype=lu_.dtype) + zeros_like(lu_)
        return lu_solve(lu_, perm, ident)


# -- tridiagonal matrices

def _three_diagonals(diagonals, diagonals_format, what):
    """(superdiagonal, main diagonal, subdiagonal), each ``(..., M)`` (the super's last and the sub's first entries
    unused), from TF's ``compact`` (``(..., 3, M)``) or ``sequence`` formats."""
    if diagonals_format == "compact":
        d = convert_to_tensor(diagonals)
        if d.shape.ndims is not None and (d.shape.ndims < 2 or d.shape[-2] not in (None, 3)):
            raise ValueError(f"Expected diagonals to be a tensor of shape [..., 3, M] in 'compact' format for {what}"
                             f", got shape {d.shape}")
        return d[..., 0, :], d[..., 1, :], d[..., 2, :]
    if diagonals_format == "sequence":
        if not isinstance(diagonals, (list, tuple)) or len(diagonals) != 3:
            raise ValueError(f"Expected diagonals to be a sequence of length 3 for {what}")
        sup = convert_to_tensor(diagonals[0])
        return sup, convert_to_tensor(diagonals[1], dtype=sup.dtype), convert_to_tensor(diagonals[2], dtype=sup.dtype)
    raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")


def _dense(sup, main, sub):
    n = main.shape[-1]
    if n is None:
        raise errors.UnimplementedError(None, main.op, "tridiagonal ops need the matrix size known when the graph "
                                                       f"is built, got diagonals of shape {main.shape}")
    if n == 1:
        return matrix_diag(main)
    return matrix_diag(main) + matrix_diag(sup[..., :-1], k=1) + matrix_diag(sub[..., 1:], k=-1)


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """The product of tridiagonal matrices (given by their ``diagonals``, see ``tridiagonal_solve``) with ``rhs``
    (``(..., M, N)``)."""
    with name_scope(name, "TridiagonalMatMul"):
        if diagonals_format == "matrix":
            return matmul(diagonals, rhs)
        sup, main, sub = _three_diagonals(diagonals, diagonals_format, "tridiagonal_matmul")
        x = convert_to_tensor(rhs, dtype=main.dtype)
        zero = zeros_like(x[..., :1, :])
        after = concat([x[..., 1:, :], zero], -2)   # row i holds x[i + 1]
        before = concat([zero, x[..., :-1, :]], -2)  # row i holds x[i - 1]
        return expand_dims(main, -1) * x + expand_dims(sup, -1) * after + expand_dims(sub, -1) * before


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False, conjugate_rhs=False,
                      name=None, partial_pivoting=True, perturb_singular=False):
    """``X`` with ``T @ X = rhs`` for tridiagonal ``T`` given by ``diagonals``: ``compact`` ``(..., 3, M)``
    (superdiagonal, main diagonal, subdiagonal; the super's last and the sub's first entries unused),
    ``sequence`` (those three ``(..., M)`` tensors) or ``matrix`` (``(..., M, M)``). ``rhs`` is ``(..., M, K)``
    or ``(..., M)``; ``transpose_rhs``/``conjugate_rhs`` take it as given transposed/conjugated."""
    with name_scope(name, "tridiagonal_solve"):
        if diagonals_format == "matrix":
            t = convert_to_tensor(diagonals)
        else:
            t = _dense(*_three_diagonals(diagonals, diagonals_format, "tridiagonal_solve"))
        b = convert_to_tensor(rhs, dtype=t.dtype)
        vector = b.shape.ndims is not None and t.shape.ndims is not None and b.shape.ndims == t.shape.ndims - 1
        if vector:
            b = expand_dims(b, -1)
        elif transpose_rhs:
            b = matrix_transpose(b)
        if conjugate_rhs:
            b = _conj(b)
        x = matrix_solve(t, b)
        return squeeze(x, [-1]) if vector else x


def eigh_tridiagonal(alpha, beta, eigvals_only=True, select="a", select_range=None, tol=None, name=None):
    """The eigenvalues (ascending), and unless ``eigvals_only`` the eigenvectors, of the Hermitian tridiagonal
    matrix with diagonal ``alpha`` (``(N,)``) and off-diagonal ``beta`` (``(N - 1,)``). ``select``: ``'a'`` all,
    ``'i'`` those of indices ``select_range[0] ... select_range[1]``, ``'v'`` those in ``(lo, hi]``."""
    from .decomp import self_adjoint_eig
    with name_scope(name, "eigh_tridiagonal"):
        a = convert_to_tensor(alpha)
        b = convert_to_tensor(beta, dtype=a.dtype)
        if a.shape.ndims != 1 or b.shape.ndims != 1:
            raise ValueError(f"alpha and beta must be vectors, got shapes {a.shape} and {b.shape}")
        if a.shape[0] is not None and b.shape[0] is not None and b.shape[0] != a.shape[0] - 1:
            raise ValueError(f"beta must have one entry fewer than alpha, got shapes {a.shape} and {b.shape}")
        # eigh reads the lower triangle: beta below the diagonal
        t = matrix_diag(a) if a.shape[0] == 1 else matrix_diag(a) + matrix_diag(b, k=-1)
        e, v = self_adjoint_eig(t)
        if select == "a":
            return e if eigvals_only else (e, v)
        if select == "i":
            lo, hi = int(select_range[0]), int(select_range[1])
            return e[lo:hi + 1] if eigvals_only else (e[lo:hi + 1], v[:, lo:hi + 1])
        if select == "v":
            lo, hi = select_range
            idx = squeeze(where(logical_and(greater(e, lo), less_equal(e, hi))), [1])
            return gather(e, idx) if eigvals_only else (gather(e, idx), gather(v, idx, axis=1))
        raise ValueError(f"Unknown select: {select!r}; expected 'a', 'i' or 'v'")



