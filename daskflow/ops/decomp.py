"""Matrix decompositions of ``tf.linalg`` (QR, SVD, Hermitian eigendecomposition, log-determinants) with TF's
gradients, and the functions built on them (norms, pseudo-inverse, rank).

The decompositions are ops on whole matrices per block, batch chunks kept (as ``linalg``); each block's kernel
returns all the outputs at once, split by ``tuple_outputs``. The rest of ``tf.linalg`` lives in ``linalg_*``
modules; this module lists all of it for the top level and the ``tf.linalg`` namespace.
"""
import numpy as np

from .. import backend, errors
from ..graph import TensorShape, name_scope
from .array import concat, expand_dims, squeeze, transpose as _permute
from .generate import dim_size, eye, ones_like, shape as shape_of, zeros_like
from .linalg import (_call, _check_matrices, _matrices_footprint, _square_dim, _whole_matrices, _where,
                     _work_dtype, cholesky, matrix_inverse)
# the rest of tf.linalg, listed here for the namespaces
from .linalg_funcs import expm, logm, matrix_exponential, matrix_logarithm, matrix_square_root, sqrtm  # noqa: F401
from .linalg_lu import (eigh_tridiagonal, lu, lu_matrix_inverse, lu_reconstruct, lu_solve,  # noqa: F401
                        tridiagonal_matmul, tridiagonal_solve)
from .linalg_solve import (_meta, _type_check, cholesky_solve, lstsq, matrix_solve_ls,  # noqa: F401
                           matrix_triangular_solve)
from .linalg_structure import (adjoint, cross, diag, diag_part, matrix_band_part, matrix_diag,  # noqa: F401
                               matrix_diag_part, matrix_set_diag, matrix_transpose, matvec, tensor_diag,
                               tensor_diag_part, trace)
from .math import (Assert, _conj, abs as abs_, cast, greater, greater_equal, less, less_equal, log, matmul,
                   maximum, pow as pow_, reciprocal, sqrt, where_v2)
from .linalg_operator import *  # noqa: F401,F403 - the LinearOperator classes
from . import linalg_operator as _operators
from .nn import l2_normalize  # noqa: F401
from .reduce import reduce_max, reduce_sum
from .registry import apply, convert_to_tensor, fail, register, tuple_outputs

__all__ = ["qr", "svd", "self_adjoint_eig", "self_adjoint_eigvals", "norm", "trace", "matrix_band_part",
           "matrix_diag", "matrix_diag_part", "matrix_set_diag", "matrix_transpose", "matrix_triangular_solve",
           "cholesky_solve", "matrix_solve_ls", "matrix_square_root", "cross", "diag", "diag_part"]
# tf.linalg's ``diag``/``diag_part`` are the matrix ones (``matrix_diag``...), bound by daskflow/linalg.py
NAMESPACES = {"linalg": [
    "qr", "svd", "eigh", "eigvalsh", "norm", "trace", "band_part", "set_diag", "matrix_transpose", "transpose",
    "adjoint", "triangular_solve", "cholesky_solve", "lstsq", "sqrtm", "cross", "tensor_diag", "tensor_diag_part",
    "logdet", "slogdet", "pinv", "matrix_rank", "matvec", "normalize", "expm", "logm", "lu", "lu_solve",
    "lu_matrix_inverse", "lu_reconstruct", "tridiagonal_matmul", "tridiagonal_solve", "eigh_tridiagonal",
    "l2_normalize"] + _operators.NAMES}


# -- lowering: one kernel per block of whole matrices, its outputs split

def _lower_multi(op, x, kernel, tails, **kw):
    """Outputs of ``kernel`` on each block of whole matrices of ``x``; output ``j`` has the batch chunks of ``x``
    then the trailing chunks ``tails[j]`` and ``op.outputs[j].dtype``."""
    x = _whole_matrices(x)
    n, drop = x.ndim, 2 - min(len(t) for t in tails)
    packed = x.map_blocks(kernel, drop_axis=list(range(n - drop, n)), dtype=x.dtype,
                          meta=backend.meta(x, x.dtype, n - drop), **kw)
    batch = x.chunks[:-2]
    chunks = [batch + tuple((d,) for d in t) for t in tails]
    metas = [_meta(x, o.dtype, len(c)) for o, c in zip(op.outputs, chunks)]
    return tuple_outputs(packed, chunks, metas, op.type.lower())


def _matrix_dims(op):
    """Batch dims, rows and cols of ``op``'s input (None when its rank is unknown), its dtype checked."""
    x = op.inputs[0]
    _type_check(op, x)
    if x.shape.ndims is None:
        return None
    if x.shape.ndims < 2:
        fail(op, f"Shape must be at least rank 2 but is rank {x.shape.ndims} for input '{x.name}' with input "
                 f"shapes: {list(x.shape)}")
    return tuple(x.shape[:-2]), x.shape[-2], x.shape[-1]


def _kmin(m, n):
    return None if m is None or n is None else min(m, n)


def _grad_dims(op, what):
    """Rows and cols of ``op``'s input for its gradient rule: ints, or None where known only when run (the rank
    must be known)."""
    x = op.inputs[0]
    if x.shape.ndims is None:
        fail(op, f"the gradient of {what} needs the rank of '{x.name}' known when the graph is built",
             errors.UnimplementedError)
    return x.shape[-2], x.shape[-1]


# -- QR

def _qr_kernel(x, full, where):
    m = backend.xp(x)
    q, r = _call(m.linalg.qr, where, "QR decomposition failed.", x.astype(_work_dtype(x)),
                 "complete" if full else "reduced")
    return q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)


def _copy_lower_to_upper(mat):
    """The lower triangle of ``mat`` mirrored (conjugated) onto the upper one."""
    low = matrix_band_part(mat, -1, 0)
    return low + adjoint(low - matrix_band_part(mat, 0, 0))


def _qr_grad_tall(q, r, dq, dr):
    # why: for A = QR with R square (M >= N), dA = (dQ + Q copyltu(M)) R^-H with M = R dR^H - dQ^H Q
    # (Walter & Lehmann 2018; Seeger et al. 2017); the solve against R^H is a triangular one
    mid = matmul(r, dr, adjoint_b=True) - matmul(dq, q, adjoint_a=True)
    b = dq + matmul(q, _copy_lower_to_upper(mid))
    return adjoint(matrix_triangular_solve(r, adjoint(b), lower=False))


@register("Qr")
class Qr:
    footprint = _matrices_footprint
    scratch = 3  # the work copy and both factors

    def infer(op):
        dims = _matrix_dims(op)
        dt = op.inputs[0].dtype
        if dims is None:
            return [(TensorShape(None), dt)] * 2
        batch, m, n = dims
        k = m if op.attrs["full_matrices"] else _kmin(m, n)
        return [(batch + (m, k), dt), (batch + (k, n), dt)]

    def lower(op, x):
        m, n = x.shape[-2:]
        k = m if op.attrs["full_matrices"] else min(m, n)
        return _lower_multi(op, x, _qr_kernel, [(m, k), (k, n)], full=op.attrs["full_matrices"], where=_where(op))

    def grad(op, dq, dr):
        m, n = _grad_dims(op, "Qr")
        q, r = op.outputs
        full = op.attrs["full_matrices"]
        if m is not None and n is not None:
            if full and m > n:
                fail(op, "QrGrad not implemented when nrows > ncols and full_matrices is true.",
                     errors.UnimplementedError)
            if m >= n:
                return [_qr_grad_tall(q, r, dq, dr)]
        # why: A = [X | Y] with X the first K columns (K the rows of r; Y empty when M >= N): X = QU gives the
        # square case, and Y = QV adds Q dV to dY and Y dV^H to dQ
        k = dim_size(r, -2)
        if full and (m is None or n is None):  # the shapes refused above, found when run: checked before r is read
            dims = shape_of(op.inputs[0])
            ok = Assert(less_equal(dims[-2], dims[-1]), ["QrGrad not implemented when nrows > ncols and "
                                                         "full_matrices is true. Shape:", dims]).outputs[0]
            r = where_v2(ok, r, zeros_like(r))
        y, u = op.inputs[0][..., k:], r[..., :k]
        du, dv = dr[..., :k], dr[..., k:]
        dx = _qr_grad_tall(q, u, dq + matmul(y, dv, adjoint_b=True), du)
        return [concat([dx, matmul(q, dv)], -1)]


def qr(input, full_matrices=False, name=None):
    """The QR decomposition of each matrix of ``input`` (shape ``(..., M, N)``): ``(q, r)`` with ``q`` of
    orthonormal columns and ``r`` upper triangular, ``input = q @ r``. ``q`` is ``(..., M, K)`` and ``r``
    ``(..., K, N)`` with ``K = min(M, N)``, or ``K = M`` with ``full_matrices``."""
    x = convert_to_tensor(input)
    return tuple(apply("Qr", [x], {"full_matrices": bool(full_matrices)}, name=name or "Qr"))


# -- SVD

def _svd_kernel(x, full, where):
    m = backend.xp(x)
    u, s, vh = _call(m.linalg.svd, where, "SVD did not converge.", x.astype(_work_dtype(x)), full)
    v = m.conj(m.swapaxes(vh, -1, -2)) if vh.dtype.kind == "c" else m.swapaxes(vh, -1, -2)
    return s.astype(x.dtype.type(0).real.dtype, copy=False), u.astype(x.dtype, copy=False), \
        v.astype(x.dtype, copy=False)


def _real_dtype(dt):
    return np.empty(0, dt).real.dtype


def _pair_reciprocals(s2):
    """``F[i, j] = 1 / (s2[j] - s2[i])`` off the diagonal, 0 on it (``s2`` shape ``(..., K)``)."""
    diff = expand_dims(s2, -2) - expand_dims(s2, -1)
    ident = eye(dim_size(s2, -1), dtype=s2.dtype)
    return (1.0 - ident) * reciprocal(diff + ident)


def _svd_grad(s, u, v, ds, du, dv, tall, wide):
    # why: Townsend (2016), "Differentiating the singular value decomposition": for A = U S V^T (K = min(M, N)),
    # dA = U [F o (U^T dU - dU^T U) S + diag(dS) + S F o (V^T dV - dV^T V)] V^T + (I - U U^T) dU S^-1 V^T
    # + U S^-1 dV^T (I - V V^T); the second term vanishes when M <= N (U square), the third when M >= N. ``tall``
    # and ``wide`` say which are taken: True, False, or a bool tensor from the run's shapes.
    mid = matrix_diag(ds)
    f = _pair_reciprocals(s * s)
    srow = expand_dims(s, -2)   # scales columns: X S
    scol = expand_dims(s, -1)   # scales rows: S X
    utdu = matmul(u, du, transpose_a=True)
    mid = mid + f * (utdu - matrix_transpose(utdu)) * srow
    vtdv = matmul(v, dv, transpose_a=True)
    mid = mid + scol * (f * (vtdv - matrix_transpose(vtdv)))
    out = matmul(matmul(u, mid), v, transpose_b=True)
    if tall is not False:
        rest = du - matmul(u, utdu)
        out = out + _taken_if(tall, matmul(rest / srow, v, transpose_b=True))
    if wide is not False:
        rest = dv - matmul(v, vtdv)
        out = out + _taken_if(wide, matmul(u, rest / srow, transpose_b=True))
    return out


def _taken_if(pred, t):
    return t if pred is True else where_v2(pred, t, zeros_like(t))


@register("Svd")
class Svd:
    footprint = _matrices_footprint
    scratch = 4  # the work copy, the three factors

    def infer(op):
        dims = _matrix_dims(op)
        dt = op.inputs[0].dtype
        real = _real_dtype(dt)
        if dims is None:
            return [(TensorShape(None), real), (TensorShape(None), dt), (TensorShape(None), dt)]
        batch, m, n = dims
        k = _kmin(m, n)
        full = op.attrs["full_matrices"]
        return [(batch + (k,), real), (batch + (m, m if full else k), dt), (batch + (n, n if full else k), dt)]

    def lower(op, x):
        m, n = x.shape[-2:]
        k, full = min(m, n), op.attrs["full_matrices"]
        tails = [(k,), (m, m if full else k), (n, n if full else k)]
        return _lower_multi(op, x, _svd_kernel, tails, full=full, where=_where(op))

    def grad(op, ds, du, dv):
        x = op.inputs[0]
        if x.dtype.kind == "c":
            fail(op, "the gradient of Svd is implemented for real matrices only", errors.UnimplementedError)
        m, n = _grad_dims(op, "Svd")
        s, u, v = op.outputs
        if not op.attrs["compute_uv"]:  # only s was asked for: u and v come from a new op, as TF
            _, u, v = svd(x)
            return [matmul(matmul(u, matrix_diag(ds)), v, transpose_b=True)]
        if op.attrs["full_matrices"]:
            if m is None or n is None:
                fail(op, "SVD gradient with full_matrices and compute_uv needs the matrix dims known when the "
                         f"graph is built, got {x.shape}", errors.UnimplementedError)
            if m != n:
                fail(op, "SVD gradient has not been implemented for input with unequal number of rows and "
                         "columns when full_matrices and compute_uv are true", errors.UnimplementedError)
        if m is not None and n is not None:
            tall, wide = m >= n, m < n
        else:  # the terms for both are built, each taken or not when run
            dims = shape_of(x)
            tall, wide = greater_equal(dims[-2], dims[-1]), less(dims[-2], dims[-1])
        return [_svd_grad(s, u, v, ds, du, dv, tall, wide)]


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """The singular value decomposition of each matrix of ``tensor`` (shape ``(..., M, N)``):
    ``tensor = u @ diag(s) @ adjoint(v)``. Returns ``(s, u, v)`` (TF's order), or only ``s`` without
    ``compute_uv``; ``s`` (``(..., K)``, ``K = min(M, N)``, real, descending), ``u`` ``(..., M, K)`` and ``v``
    ``(..., N, K)``, or square ``u`` and ``v`` with ``full_matrices``."""
    x = convert_to_tensor(tensor)
    s, u, v = apply("Svd", [x], {"full_matrices": bool(full_matrices), "compute_uv": bool(compute_uv)},
                    name=name or "Svd")
    return (s, u, v) if compute_uv else s


# -- Hermitian eigendecomposition

def _eigh_kernel(x, where):
    m = backend.xp(x)
    e, v = _call(m.linalg.eigh, where, "Self-adjoint eigen decomposition was not successful.",
                 x.astype(_work_dtype(x)), "L")
    return e.astype(x.dtype, copy=False), v.astype(x.dtype, copy=False)


@register("SelfAdjointEigV2")
class SelfAdjointEigV2:
    footprint = _matrices_footprint
    scratch = 3  # the work copy and both outputs

    def infer(op):
        x = op.inputs[0]
        _type_check(op, x)
        _check_matrices(op, x)
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)] * 2
        n = _square_dim(x)
        return [(tuple(x.shape[:-2]) + (n,), x.dtype), (tuple(x.shape[:-2]) + (n, n), x.dtype)]

    def lower(op, x):
        n = x.shape[-1]
        return _lower_multi(op, x, _eigh_kernel, [(n,), (n, n)], where=_where(op))

    def grad(op, de, dv):
        # why: A = V diag(e) V^H gives dA = V (diag(de) + F o (V^H dV)) V^H, F[i, j] = 1 / (e[j] - e[i]); only
        # the lower triangle of A is read, so the gradient is folded onto it (the diagonal counted once)
        e, v = op.outputs
        mid = matrix_diag(de)
        if not op.attrs["compute_v"]:  # only e was asked for: v comes from a new op, as TF
            v = self_adjoint_eig(op.inputs[0])[1]
        else:
            mid = mid + _pair_reciprocals(e) * matmul(v, dv, adjoint_a=True)
        g = matmul(matmul(v, mid), v, adjoint_b=True)
        g = matrix_band_part(g + adjoint(g), -1, 0)
        return [matrix_set_diag(g, 0.5 * matrix_diag_part(g))]


def self_adjoint_eig(tensor, name=None):
    """The eigenvalues (ascending, ``(..., N)``) and eigenvectors (columns, ``(..., N, N)``) of each Hermitian
    matrix of ``tensor``, of which only the lower triangle is read: ``(e, v)``."""
    return tuple(apply("SelfAdjointEigV2", [convert_to_tensor(tensor)], {"compute_v": True},
                       name=name or "SelfAdjointEigV2"))


def self_adjoint_eigvals(tensor, name=None):
    """The eigenvalues (ascending, ``(..., N)``) of each Hermitian matrix of ``tensor`` (lower triangle read)."""
    return apply("SelfAdjointEigV2", [convert_to_tensor(tensor)], {"compute_v": False},
                 name=name or "SelfAdjointEigV2")[0]


eigh = self_adjoint_eig
eigvalsh = self_adjoint_eigvals


# -- log-determinants

def _slogdet_kernel(x):
    m = backend.xp(x)
    sign, logabs = m.linalg.slogdet(x.astype(_work_dtype(x)))
    return m.asarray(sign).astype(x.dtype, copy=False), m.asarray(logabs).astype(x.dtype, copy=False)


@register("LogMatrixDeterminant")
class LogMatrixDeterminant:
    footprint = _matrices_footprint

    def infer(op):
        x = op.inputs[0]
        _type_check(op, x)
        _check_matrices(op, x)
        out = TensorShape(None) if x.shape.ndims is None else tuple(x.shape[:-2])
        return [(out, x.dtype), (out, x.dtype)]

    def lower(op, x):
        return _lower_multi(op, x, _slogdet_kernel, [(), ()])

    def grad(op, dsign, dlog):  # d log|det A| = tr(A^-1 dA): the sign is piecewise constant
        return [expand_dims(expand_dims(dlog, -1), -1) * matrix_inverse(op.inputs[0], adjoint=True)]


def slogdet(input, name=None):
    """``(sign, log_abs_determinant)`` of each square matrix of ``input`` (shape ``(..., M, M)``), each of
    shape ``(...)``: ``det = sign * exp(log_abs_determinant)`` without overflow."""
    return tuple(apply("LogMatrixDeterminant", [convert_to_tensor(input)], name=name or "LogMatrixDeterminant"))


def logdet(matrix, name=None):
    """``log(det(matrix))`` of each Hermitian positive-definite matrix (shape ``(..., M, M)``), from its
    Cholesky factor: ``2 * sum(log(diag(cholesky(matrix))))``."""
    with name_scope(name, "logdet"):
        x = convert_to_tensor(matrix)
        if x.dtype.kind != "f":
            raise TypeError(f"logdet takes real floating matrices here, got '{x.name}' of dtype {x.dtype.name}")
        return 2.0 * reduce_sum(log(matrix_diag_part(cholesky(x))), axis=-1)


# -- norms

_MATRIX_ORDS = ("euclidean", "fro", 1, 2, np.inf)


def _norm_axes(tensor, axis):
    """``axis`` as a tuple of one or two non-negative ints (None: all dims, flattened, as TF)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ok = all(isinstance(a, (int, np.integer)) for a in axes) and len(axes) in (1, 2) and len(set(axes)) == len(axes)
    n = tensor.shape.ndims
    if not ok or (n is not None and len(axes) == 2 and len({a % n for a in axes}) != 2):
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
    if n is not None:
        for a in axes:
            if not -n <= a < n:
                raise ValueError(f"'axis' {axis} is out of range for a tensor of rank {n}")
    return tuple(int(a) for a in axes)


def _check_ord(ord, matrix):
    if matrix:
        if ord not in _MATRIX_ORDS:
            raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, inf], got {ord}")
    elif ord == "fro" or not (ord == "euclidean" or ord == np.inf or
                              (isinstance(ord, (int, float, np.number)) and not isinstance(ord, bool) and ord > 0)):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):
    """The vector or matrix norm of ``tensor``.

    ``axis`` None takes the norm of all entries as one vector; an int, vector norms along that dim; a pair
    ``(rows, cols)``, matrix norms of the matrices they span. Vector ``ord``: ``'euclidean'``, ``np.inf`` or any
    ``p > 0``. Matrix ``ord``: ``'euclidean'``/``'fro'`` (Frobenius), ``1`` (largest column sum of ``|x|``),
    ``np.inf`` (largest row sum) and ``2`` (largest singular value). With ``keepdims``, the reduced dims stay
    with size 1.
    """
    keep = bool(keepdims if keepdims is not None else keep_dims)
    x = convert_to_tensor(tensor)
    axes = _norm_axes(x, axis)
    matrix = axes is not None and len(axes) == 2
    _check_ord(ord, matrix)
    if x.dtype.kind not in "fc":
        raise TypeError(f"Value passed to parameter 'x' has DataType {x.dtype.name} not in list of allowed values: "
                        "float16, float32, float64, complex64, complex128")
    with name_scope(name, "norm"):
        if ord in ("euclidean", "fro"):
            return sqrt(reduce_sum(x * _conj(x), axes, keepdims=keep))
        if matrix:
            return _matrix_norm(x, ord, axes, keep)
        a = abs_(x)
        if ord == np.inf:
            return reduce_max(a, axes, keepdims=keep)
        if ord == 1:
            return reduce_sum(a, axes, keepdims=keep)
        p = float(ord)
        return pow_(reduce_sum(pow_(a, p), axes, keepdims=keep), 1.0 / p)


def _matrix_norm(x, ord, axes, keep):
    n = x.shape.ndims
    if n is None:
        raise errors.UnimplementedError(None, x.op, f"matrix norms need the rank of '{x.name}' known when built")
    r, c = (a % n for a in axes)
    a = abs_(x)
    if ord == 1:  # the largest column sum: sum over rows, then the max over columns
        out = reduce_max(reduce_sum(a, r, keepdims=True), c, keepdims=True)
    elif ord == np.inf:
        out = reduce_max(reduce_sum(a, c, keepdims=True), r, keepdims=True)
    else:  # 2: the largest singular value of the matrices on (r, c)
        rest = [i for i in range(n) if i not in (r, c)]
        s = svd(_permute(x, rest + [r, c]), compute_uv=False)
        out = reduce_max(s, -1)
        if x.dtype.kind == "c":
            out = cast(out, x.dtype)
        if not keep:
            return out
        for ax in sorted((r, c)):
            out = expand_dims(out, ax)
        return out
    return out if keep else squeeze(out, sorted((r, c)))


def normalize(tensor, ord="euclidean", axis=None, name=None):
    """``(tensor / norm, norm)`` with ``norm = norm(tensor, ord, axis, keepdims=True)``."""
    with name_scope(name, "normalize"):
        x = convert_to_tensor(tensor)
        nrm = norm(x, ord=ord, axis=axis, keepdims=True)
        return x / nrm, nrm


# -- pseudo-inverse and rank

def _eps(dtype):
    return float(np.finfo(_real_dtype(dtype)).eps)


def _max_dim(x):
    """``max(M, N)`` of matrices ``x``: a python int, or a tensor of ``x``'s real dtype when known only when run."""
    m, n = (x.shape[-2], x.shape[-1]) if x.shape.ndims is not None else (None, None)
    if m is not None and n is not None:
        return max(m, n)
    dims = shape_of(x)
    return cast(maximum(dims[-2], dims[-1]), _real_dtype(x.dtype))


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse of each matrix of ``a`` (shape ``(..., M, N)``, result ``(..., N, M)``),
    from its SVD: singular values at most ``rcond * max(s)`` count as zero (``rcond`` defaults to
    ``10 * max(M, N) * eps``)."""
    with name_scope(name, "pinv"):
        x = convert_to_tensor(a)
        if x.dtype.kind != "f":
            raise TypeError(f"pinv takes real floating matrices, got '{x.name}' of dtype {x.dtype.name}")
        s, u, v = svd(x)
        if rcond is None:
            rcond = 10.0 * _max_dim(x) * _eps(x.dtype)
        cutoff = rcond * reduce_max(s, -1, keepdims=True)
        keep = greater(s, cutoff)
        # a zero singular value's reciprocal is taken as zero; where() keeps the discarded branch's gradient finite
        inv_s = where_v2(keep, reciprocal(where_v2(keep, s, ones_like(s))), zeros_like(s))
        return matmul(v * expand_dims(inv_s, -2), u, adjoint_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values of each matrix of ``a`` above ``tol`` (int32, shape ``(...)``); ``tol``
    defaults to ``max(s) * max(M, N) * eps``."""
    with name_scope(name, "matrix_rank"):
        x = convert_to_tensor(a)
        s = svd(x, compute_uv=False)
        if tol is None:
            tol = reduce_max(s, -1, keepdims=True) * (_max_dim(x) * _eps(x.dtype))
        return reduce_sum(cast(greater(s, tol), "int32"), -1)


transpose = matrix_transpose
band_part = matrix_band_part
set_diag = matrix_set_diag
triangular_solve = matrix_triangular_solve
