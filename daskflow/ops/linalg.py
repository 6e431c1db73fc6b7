"""Linear algebra on batches of matrices: inverse, determinant, Cholesky factor and linear solves.

Every op works on the last two axes and is batched over the leading ones. Lowering rechunks so each block holds
whole matrices (batch chunks are kept), then applies a per-block kernel from the chunk's own array module.
"""
import dask.array as da
from numpy.linalg import LinAlgError  # the class numpy and cupy both raise

import daskflow as df
from .. import backend, dtypes, errors, planner
from ..graph import TensorShape
from .math import _conj
from .registry import apply1, convert_to_tensor, fail, register

# ``inv`` at the top level is TF1's elementwise reciprocal, so only the TF1 matrix names are exported there;
# ``inv``, ``det`` and ``solve`` live in the ``daskflow.linalg`` namespace, as ``tf.linalg``.
__all__ = ["cholesky", "matrix_determinant", "matrix_inverse", "matrix_solve"]

_KINDS = "fc"  # float and complex, as TF's kernels


# -- build-time checks

def _check_matrices(op, t):
    if t.dtype.kind not in _KINDS:
        fail(op, f"input '{t.name}' has dtype {t.dtype.name}, but {op.type} needs a floating or complex dtype")
    shape = t.shape
    if shape.ndims is None:
        return
    if shape.ndims < 2:
        fail(op, f"input '{t.name}' must have rank >= 2, got shape {shape}")
    m, n = shape[-2], shape[-1]
    if m is not None and n is not None and m != n:
        fail(op, f"Input matrix must be square, got '{t.name}' of shape {shape}")


def _square_dim(t):
    """The matrix size of a batch of square matrices, known from either of the last two dims."""
    m, n = t.shape[-2], t.shape[-1]
    return m if m is not None else n


def _where(op):
    """How a run-time error names the op: name, type and where the user built it."""
    return f"{errors.describe(op)} built at {op.where()}"


# -- per-block kernels (whole matrices in every block)

def _work_dtype(x):
    """numpy and cupy linalg have no float16: those blocks are computed in float32."""
    return dtypes.float32 if x.dtype == dtypes.float16 else x.dtype


def _call(fn, where, message, *args):
    """``fn(*args)``; a failed factorisation raises TF's InvalidArgumentError naming the op (``where``)."""
    if backend.is_gpu(args[0]):  # cupy reports failed factorisations only when asked to
        import cupyx
        with cupyx.errstate(linalg="raise"):
            return _call_raw(fn, where, message, *args)
    return _call_raw(fn, where, message, *args)


def _call_raw(fn, where, message, *args):
    try:
        return fn(*args)
    except LinAlgError:
        raise errors.InvalidArgumentError(None, None, f"{message} [op {where}]") from None


def _adjoint(m, x):
    x = m.swapaxes(x, -1, -2)
    return m.conj(x) if x.dtype.kind == "c" else x


def _inv_kernel(x, adjoint, where):
    m = backend.xp(x)
    a = x.astype(_work_dtype(x))
    out = _call(m.linalg.inv, where, "Input is not invertible.", _adjoint(m, a) if adjoint else a)
    return out.astype(x.dtype, copy=False)


def _det_kernel(x):
    m = backend.xp(x)
    return m.asarray(m.linalg.det(x.astype(_work_dtype(x)))).astype(x.dtype, copy=False)


def _cholesky_kernel(x, where):
    m = backend.xp(x)
    out = _call(m.linalg.cholesky, where, "Cholesky decomposition was not successful. The input might not be "
                "valid.", x.astype(_work_dtype(x)))
    return out.astype(x.dtype, copy=False)


def _solve_kernel(a, b, adjoint, where):
    m = backend.xp(a)
    w = _work_dtype(a)
    a = a.astype(w)
    out = _call(m.linalg.solve, where, "Input matrix is not invertible.", _adjoint(m, a) if adjoint else a,
                b.astype(w))
    return out.astype(b.dtype, copy=False)


def _whole_matrices(x, batch_chunks=None):
    """``x`` rechunked so every block holds whole matrices; batch chunks kept (or set to ``batch_chunks``)."""
    n = x.ndim
    spec = {n - 2: -1, n - 1: -1}
    if batch_chunks is not None:
        spec.update(enumerate(batch_chunks))
    return x.rechunk(spec)


def _matrices_footprint(op, xs, outs):
    """Projected task memory of an op on whole matrices (planner)."""
    return sum(planner.block_bytes(a, whole=(a.ndim - 2, a.ndim - 1)) for a in [*xs, *outs] if a is not None
               and a.ndim >= 2) + sum(planner.block_bytes(a) for a in [*xs, *outs] if a is not None and a.ndim < 2)


# -- gradient helpers

def _adjoint_of(op, t):
    """The conjugate transpose of each matrix of ``t`` (a tensor of ``op``'s gradient)."""
    n = t.shape.ndims
    if n is None:
        fail(op, f"the gradient of {op.type} needs an input of known rank", errors.UnimplementedError)
    return df.transpose(t, list(range(n - 2)) + [n - 1, n - 2], conjugate=True)


def _lower_half_diagonal(l):
    """A mask keeping a matrix's lower triangle and half its diagonal, for matrices the size of ``l``'s."""
    i = df.range(df.shape(l)[-1])
    rows, cols = df.expand_dims(i, 1), df.expand_dims(i, 0)
    return df.cast(df.greater(rows, cols), l.dtype) + 0.5 * df.cast(df.equal(rows, cols), l.dtype)


# -- ops

def _square_like_input(op):
    x = op.inputs[0]
    _check_matrices(op, x)
    if x.shape.ndims is None:
        return [(TensorShape(None), x.dtype)]
    m = _square_dim(x)
    return [(tuple(x.shape[:-2]) + (m, m), x.dtype)]


@register("MatrixInverse")
class MatrixInverse:
    footprint = _matrices_footprint

    infer = _square_like_input

    def lower(op, x):
        x = _whole_matrices(x)
        return x.map_blocks(_inv_kernel, adjoint=op.attrs.get("adjoint", False), where=_where(op), dtype=x.dtype,
                            meta=backend.meta(x, x.dtype))

    def grad(op, dy):  # d(A^-1) = -A^-1 dA A^-1
        y, adj = op.outputs[0], op.attrs.get("adjoint", False)
        return [-df.matmul(y, df.matmul(dy, y, adjoint_a=adj, adjoint_b=not adj), adjoint_a=not adj)]


@register("MatrixDeterminant")
class MatrixDeterminant:
    footprint = _matrices_footprint

    def infer(op):
        x = op.inputs[0]
        _check_matrices(op, x)
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)]
        return [(tuple(x.shape[:-2]), x.dtype)]

    def lower(op, x):
        x = _whole_matrices(x)
        n = x.ndim
        return x.map_blocks(_det_kernel, drop_axis=[n - 2, n - 1], dtype=x.dtype,
                            meta=backend.meta(x, x.dtype, ndim=n - 2))

    def grad(op, dy):  # d det(A) = det(A) tr(A^-1 dA)
        scale = df.expand_dims(df.expand_dims(dy * _conj(op.outputs[0]), -1), -1)
        return [scale * df.matrix_inverse(op.inputs[0], adjoint=True)]


@register("Cholesky")
class Cholesky:
    footprint = _matrices_footprint

    infer = _square_like_input

    def lower(op, x):
        x = _whole_matrices(x)
        return x.map_blocks(_cholesky_kernel, where=_where(op), dtype=x.dtype,
                            meta=backend.meta(x, x.dtype))

    def grad(op, dl):
        # why: Murray (2016), "Differentiation of the Cholesky decomposition", eq. 10: with P taking the lower
        # triangle and half the diagonal, dA = L^-H P(L^H dL) L^-1, made symmetric as TF does (the input is taken
        # to be symmetric, so the gradient is too)
        l = op.outputs[0]
        l_inv = df.matrix_inverse(l)
        middle = df.matmul(l, dl, adjoint_a=True) * _lower_half_diagonal(l)
        g = df.matmul(df.matmul(l_inv, middle, adjoint_a=True), l_inv)
        return [0.5 * (g + _adjoint_of(op, g))]


@register("MatrixSolve")
class MatrixSolve:
    footprint = _matrices_footprint

    def infer(op):
        a, b = op.inputs
        _check_matrices(op, a)
        if b.dtype != a.dtype:
            fail(op, f"rhs '{b.name}' has dtype {b.dtype.name} that does not match dtype {a.dtype.name} of "
                     f"matrix '{a.name}'")
        if a.shape.ndims is None or b.shape.ndims is None:
            return [(b.shape, a.dtype)]
        if b.shape.ndims != a.shape.ndims:
            fail(op, f"matrix '{a.name}' of shape {a.shape} and rhs '{b.name}' of shape {b.shape} must have the "
                     "same rank")
        m, rows = _square_dim(a), b.shape[-2]
        if m is not None and rows is not None and m != rows:
            fail(op, f"Input matrix and right-hand side must have the same number of rows: {a.shape} vs. "
                     f"{b.shape}")
        if not TensorShape(a.shape[:-2]).is_compatible_with(TensorShape(b.shape[:-2])):
            fail(op, f"matrix and rhs must have the same batch dims: {a.shape} vs. {b.shape}")
        batch = TensorShape(a.shape[:-2]).merge_with(TensorShape(b.shape[:-2]))
        return [(tuple(batch) + (m if m is not None else rows, b.shape[-1]), a.dtype)]

    def lower(op, a, b):
        a = _whole_matrices(a)
        b = _whole_matrices(b, batch_chunks=a.chunks[:-2])
        return da.map_blocks(_solve_kernel, a, b, adjoint=op.attrs.get("adjoint", False), where=_where(op),
                             dtype=b.dtype, chunks=b.chunks, meta=backend.meta(b, b.dtype))

    def grad(op, dx):  # x = A^-1 b: db = A^-H dx, dA = -db x^H (adjoint: dA = -x db^H)
        a, x, adj = op.inputs[0], op.outputs[0], op.attrs.get("adjoint", False)
        db = df.matrix_solve(a, dx, adjoint=not adj)
        return [-df.matmul(x, db, adjoint_b=True) if adj else -df.matmul(db, x, adjoint_b=True), db]


# -- public functions

def matrix_inverse(input, adjoint=False, name=None):
    """The inverse of each square matrix in ``input`` (shape ``(..., M, M)``), as TF's ``matrix_inverse``.

    With ``adjoint=True``, the inverse of each matrix's conjugate transpose. A singular matrix raises
    ``InvalidArgumentError`` ("Input is not invertible.") when computed.
    """
    x = convert_to_tensor(input)
    return apply1("MatrixInverse", [x], {"adjoint": bool(adjoint)}, name=name or "MatrixInverse")


def matrix_determinant(input, name=None):
    """The determinant of each square matrix in ``input`` (shape ``(..., M, M)``); result shape ``(...)``."""
    return apply1("MatrixDeterminant", [convert_to_tensor(input)], name=name or "MatrixDeterminant")


def cholesky(input, name=None):
    """The lower-triangular Cholesky factor ``L`` of each Hermitian positive-definite matrix in ``input``
    (``input = L @ L^H``); only the lower triangle of ``input`` is read, as TF.

    A matrix that is not positive definite raises ``InvalidArgumentError`` when computed.
    """
    return apply1("Cholesky", [convert_to_tensor(input)], name=name or "Cholesky")


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    """``X`` with ``matrix @ X = rhs`` for each matrix in the batch (``matrix`` ``(..., M, M)``, ``rhs``
    ``(..., M, K)``); with ``adjoint=True`` solves ``adjoint(matrix) @ X = rhs``.

    A singular matrix raises ``InvalidArgumentError`` ("Input matrix is not invertible.") when computed.
    """
    a = convert_to_tensor(matrix)
    b = convert_to_tensor(rhs, dtype_hint=a.dtype)
    return apply1("MatrixSolve", [a, b], {"adjoint": bool(adjoint)}, name=name or "MatrixSolve")


inv = matrix_inverse
det = matrix_determinant
solve = matrix_solve
