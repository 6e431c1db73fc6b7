"""Triangular, Cholesky, least-squares, LU and tridiagonal solves, and the matrix exponential, logarithm and square
root of ``tf.linalg``, against numpy/scipy on every chunking of the batch dims, with their gradients."""
import numpy as np
import pytest
import scipy.linalg as sla

import daskflow as df
from daskflow.testing import GradCase, assert_op, check_grads, chunkings, rand, run_graph

TESTED_OPS = {"MatrixTriangularSolve", "MatrixSolveLs", "Lu", "MatrixExponential", "MatrixLogarithm",
              "MatrixSquareRoot"}


def normal(shape, dtype="float64", seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * r.standard_normal(shape)
    return x.astype(dtype)


def well_conditioned(shape, dtype="float64", seed=0):
    return (normal(shape, dtype, seed) * 0.3 + 2 * np.eye(shape[-1])).astype(dtype)


def tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-5} if np.dtype(dtype) in (np.float32, np.complex64) else \
        {"rtol": 1e-9, "atol": 1e-11}


def adj(x):
    return np.conj(np.swapaxes(x, -1, -2))


# -- triangular solves

@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("lower, adjoint", [(True, False), (False, False), (True, True), (False, True)])
@pytest.mark.parametrize("sa, sb", [((3, 3), (3, 2)), ((4, 3, 3), (4, 3, 1)), ((2, 1, 3, 3), (5, 3, 2)),
                                    ((3, 3), (2, 3, 4))])
def test_triangular_solve(sa, sb, lower, adjoint, dtype):
    a = well_conditioned(sa, dtype)
    b = normal(sb, dtype, seed=1)

    def ref(x, y):
        t = np.tril(x) if lower else np.triu(x)  # the other triangle is never read
        return np.linalg.solve(adj(t) if adjoint else t, y)
    got = assert_op(lambda x, y: df.linalg.triangular_solve(x, y, lower=lower, adjoint=adjoint), ref, a, b,
                    **tol(dtype))
    assert got.shape == np.broadcast_shapes(sa[:-2], sb[:-2]) + sb[-2:]
    assert_op(lambda x, y: df.matrix_triangular_solve(x, y, lower=lower, adjoint=adjoint), ref, a, b,
              feed_static_shape=False, all_chunkings=False, **tol(dtype))


def test_triangular_solve_against_scipy_and_names():
    a, b = np.triu(well_conditioned((4, 4))), normal((4, 2), seed=2)
    got = run_graph(lambda x, y: df.linalg.triangular_solve(x, y, lower=False, adjoint=True), a, b)
    np.testing.assert_allclose(got, sla.solve_triangular(a, b, lower=False, trans="C"), rtol=1e-12)
    with df.Graph().as_default():
        t = df.linalg.triangular_solve(df.zeros([3, 3]), df.zeros([3, 2]))
        assert t.name == "triangular_solve/MatrixTriangularSolve:0"
        assert t.op.type == "MatrixTriangularSolve"


def test_triangular_solve_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match=r"must be square.*\(3, 4\)"):
        df.matrix_triangular_solve(df.zeros([3, 4]), df.zeros([3, 2]))
    with pytest.raises(df.errors.InvalidArgumentError, match="Dimensions must be equal, but are 3 and 4"):
        df.matrix_triangular_solve(df.zeros([3, 3]), df.zeros([4, 2]))
    with pytest.raises(df.errors.InvalidArgumentError, match="Incompatible shapes"):
        df.matrix_triangular_solve(df.zeros([2, 3, 3]), df.zeros([4, 3, 2]))
    with pytest.raises(df.errors.InvalidArgumentError, match="does not match dtype float32"):
        df.matrix_triangular_solve(df.zeros([3, 3]), df.zeros([3, 2], dtype=df.float64))
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        df.matrix_triangular_solve(df.zeros([3, 3], dtype=df.int32), df.zeros([3, 2], dtype=df.int32))
    with pytest.raises(df.errors.InvalidArgumentError, match="Input matrix is not invertible"):
        run_graph(df.matrix_triangular_solve, np.diag([1.0, 0.0]), np.ones((2, 1)))


@pytest.mark.parametrize("shape, k", [((3, 3), 2), ((4, 2, 2), 1)])
def test_cholesky_solve(shape, k):
    x = normal(shape, seed=3)
    a = x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])
    b = normal(shape[:-1] + (k,), seed=4)
    assert_op(lambda c, y: df.cholesky_solve(df.cholesky(c), y), np.linalg.solve, a, b, rtol=1e-10)
    assert df.linalg.cholesky_solve is df.cholesky_solve


# -- least squares

@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("sa, k", [((6, 3), 2), ((2, 5, 3), 1), ((3, 3), 2), ((2, 5), 3)])
def test_lstsq(sa, k, fast):
    a, b = normal(sa, seed=5), normal(sa[:-1] + (k,), seed=6)

    def ref(x, y):  # least squares, minimum norm where underdetermined
        return np.linalg.pinv(x) @ y
    assert_op(lambda x, y: df.linalg.lstsq(x, y, fast=fast), ref, a, b, rtol=1e-8, atol=1e-10)
    assert_op(lambda x, y: df.matrix_solve_ls(x, y, fast=fast), ref, a, b, rtol=1e-8, atol=1e-10,
              all_chunkings=False)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("sa", [(6, 3), (2, 4)])
def test_lstsq_with_l2_regularizer(sa, fast):
    a, b, lam = normal(sa, seed=7), normal(sa[:-1] + (2,), seed=8), 0.7
    n = sa[-1]
    ref = np.linalg.solve(a.T @ a + lam * np.eye(n), a.T @ b)  # ridge regression
    got = run_graph(lambda x, y: df.linalg.lstsq(x, y, l2_regularizer=lam, fast=fast), a, b)
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_lstsq_of_rank_deficient_matrix_without_fast():
    a = normal((5, 2), seed=9) @ normal((2, 3), seed=10)
    b = normal((5, 1), seed=11)
    got = run_graph(lambda x, y: df.linalg.lstsq(x, y, fast=False), a, b)
    np.testing.assert_allclose(got, np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-8)


def test_lstsq_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="Dimensions must be equal, but are 5 and 4"):
        df.linalg.lstsq(df.zeros([5, 3]), df.zeros([4, 2]), fast=False)
    with pytest.raises(ValueError):
        df.linalg.lstsq(df.zeros([5, 3]), df.zeros([4, 2]))
    with pytest.raises(TypeError, match="DataType int32"):
        df.linalg.lstsq(df.zeros([5, 3], dtype=df.int32), df.zeros([5, 2], dtype=df.int32))


# -- LU

def test_lu_against_tf_values():
    a = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 10]])
    lu, p = run_graph(lambda t: list(df.linalg.lu(t)), a)
    # observed from TF: tf.linalg.lu(a)
    np.testing.assert_allclose(lu, [[7, 8, 10], [1 / 7, 6 / 7, 11 / 7], [4 / 7, 0.5, -0.5]], rtol=1e-12)
    assert p.dtype == np.int32
    np.testing.assert_array_equal(p, [2, 0, 1])


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("shape", [(4, 4), (1, 1), (3, 5, 5), (2, 1, 3, 3)])
def test_lu(shape, dtype):
    a = normal(shape, dtype, seed=12)
    n = shape[-1]
    for c in chunkings(shape):
        lu, p = run_graph(lambda t: list(df.linalg.lu(t, output_idx_type=df.int64)), a, chunks=[c])
        assert p.dtype == np.int64 and lu.dtype == a.dtype
        low, up = np.tril(lu, -1) + np.eye(n), np.triu(lu)
        np.testing.assert_allclose(low @ up, np.take_along_axis(a, p[..., None], -2), **tol(dtype))
        assert np.all(np.abs(low) <= 1 + 1e-6)  # partial pivoting
    b = normal(shape[:-1] + (2,), dtype, seed=13)
    assert_op(lambda t: df.linalg.lu_reconstruct(*df.linalg.lu(t)), lambda x: x, a, **tol(dtype))
    assert_op(lambda t, y: df.linalg.lu_solve(*df.linalg.lu(t), y), np.linalg.solve, a, b, **tol(dtype))
    assert_op(lambda t: df.linalg.lu_matrix_inverse(*df.linalg.lu(t)), np.linalg.inv, a, **tol(dtype))


def test_lu_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="must be square"):
        df.linalg.lu(df.zeros([3, 4]))
    with pytest.raises(TypeError, match="DataType int32"):
        df.linalg.lu(df.zeros([3, 3], dtype=df.int32))


# -- tridiagonal matrices

def dense(d):
    sup, main, sub = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    n = main.shape[-1]
    i = np.arange(n)
    out = np.zeros(main.shape[:-1] + (n, n))
    out[..., i, i] = main
    out[..., i[:-1], i[1:]] = sup[..., :-1]
    out[..., i[1:], i[:-1]] = sub[..., 1:]
    return out


@pytest.mark.parametrize("shape, k", [((3, 4), 2), ((2, 3, 5), 1), ((3, 1), 3)])
def test_tridiagonal_matmul_and_solve(shape, k):
    d = normal(shape, seed=14) + np.array([[0.0], [4.0], [0.0]])
    b = normal(shape[:-2] + (shape[-1], k), seed=15)
    assert_op(df.linalg.tridiagonal_matmul, lambda x, y: dense(x) @ y, d, b, rtol=1e-12)
    assert_op(df.linalg.tridiagonal_solve, lambda x, y: np.linalg.solve(dense(x), y), d, b, rtol=1e-10)
    seq = lambda x, y: df.linalg.tridiagonal_solve([x[..., 0, :], x[..., 1, :], x[..., 2, :]], y,  # noqa: E731
                                                   diagonals_format="sequence")
    assert_op(seq, lambda x, y: np.linalg.solve(dense(x), y), d, b, rtol=1e-10)
    mat = lambda x, y: df.linalg.tridiagonal_solve(x, y, diagonals_format="matrix")  # noqa: E731
    assert_op(mat, np.linalg.solve, dense(d), b, rtol=1e-10)
    mm = lambda x, y: df.linalg.tridiagonal_matmul(x, y, diagonals_format="matrix")  # noqa: E731
    assert_op(mm, lambda x, y: x @ y, dense(d), b, rtol=1e-12)


def test_tridiagonal_solve_vector_and_transposed_rhs():
    d = normal((3, 4), seed=16) + np.array([[0.0], [4.0], [0.0]])
    v = normal((4,), seed=17)
    np.testing.assert_allclose(run_graph(df.linalg.tridiagonal_solve, d, v), np.linalg.solve(dense(d), v),
                               rtol=1e-10)
    bt = normal((2, 4), seed=18)
    got = run_graph(lambda x, y: df.linalg.tridiagonal_solve(x, y, transpose_rhs=True), d, bt)
    np.testing.assert_allclose(got, np.linalg.solve(dense(d), bt.T), rtol=1e-10)
    with pytest.raises(ValueError, match="Unrecognized diagonals_format"):
        df.linalg.tridiagonal_solve(df.zeros([3, 4]), df.zeros([4, 1]), diagonals_format="bands")
    with pytest.raises(ValueError, match=r"shape \[..., 3, M\]"):
        df.linalg.tridiagonal_solve(df.zeros([2, 4]), df.zeros([4, 1]))


def test_eigh_tridiagonal():
    alpha, beta = normal((5,), seed=19), normal((4,), seed=20)
    t = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    ref = np.linalg.eigvalsh(t)
    np.testing.assert_allclose(run_graph(df.linalg.eigh_tridiagonal, alpha, beta), ref, rtol=1e-12)
    e, v = run_graph(lambda a, b: list(df.linalg.eigh_tridiagonal(a, b, eigvals_only=False)), alpha, beta)
    np.testing.assert_allclose(t @ v, v * e, atol=1e-12)
    got = run_graph(lambda a, b: df.linalg.eigh_tridiagonal(a, b, select="i", select_range=(1, 3)), alpha, beta)
    np.testing.assert_allclose(got, ref[1:4], rtol=1e-12)
    lo, hi = ref[0] + 1e-3, ref[3]
    got = run_graph(lambda a, b: df.linalg.eigh_tridiagonal(a, b, select="v", select_range=(lo, hi)), alpha, beta)
    np.testing.assert_allclose(got, ref[1:4], rtol=1e-12)


# -- matrix functions

@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("shape, scale", [((3, 3), 1.0), ((4, 2, 2), 0.1), ((2, 1, 4, 4), 3.0), ((1, 1), 2.0)])
def test_expm(shape, scale, dtype):
    a = (normal(shape, dtype, seed=21) * scale).astype(dtype)
    ref = np.stack([sla.expm(m) for m in a.reshape((-1,) + shape[-2:])]).reshape(shape)
    assert_op(df.linalg.expm, lambda x: ref, a, **tol(dtype))


def test_expm_of_large_norms_and_zeros():
    a = normal((3, 3), seed=22) * 20
    np.testing.assert_allclose(run_graph(df.linalg.expm, a), sla.expm(a), rtol=1e-9)
    np.testing.assert_allclose(run_graph(df.linalg.expm, np.zeros((2, 3, 3))), np.broadcast_to(np.eye(3), (2, 3, 3)),
                               rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2, 2), (2, 1, 4, 4)])
def test_logm(shape, dtype):
    a = (normal(shape, "complex128", seed=23) * 0.7 + np.eye(shape[-1])).astype(dtype)
    ref = np.stack([sla.logm(m.astype("complex128")) for m in a.reshape((-1,) + shape[-2:])]).reshape(shape)
    assert_op(df.linalg.logm, lambda x: ref, a, **tol(dtype))
    x = (normal(shape, "complex128", seed=24) * 0.5).astype(dtype)
    np.testing.assert_allclose(run_graph(lambda t: df.linalg.logm(df.linalg.expm(t)), x), x, **tol(dtype))
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: complex64, complex128"):
        df.linalg.logm(df.zeros([3, 3]))


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2, 2), (2, 1, 4, 4), (1, 1)])
def test_sqrtm(shape, dtype):
    a = well_conditioned(shape, dtype, seed=25)
    ref = np.stack([sla.sqrtm(m) for m in a.reshape((-1,) + shape[-2:])]).reshape(shape)
    got = assert_op(df.linalg.sqrtm, lambda x: ref, a, **tol(dtype))
    np.testing.assert_allclose(got @ got, a, **tol(dtype))
    assert df.matrix_square_root is df.linalg.sqrtm


def test_sqrtm_of_spd_and_errors():
    x = normal((5, 5), seed=26)
    a = x @ x.T + 0.1 * np.eye(5)
    np.testing.assert_allclose(run_graph(df.matrix_square_root, a), sla.sqrtm(a), rtol=1e-8)
    with pytest.raises(df.errors.InvalidArgumentError, match="must be square"):
        df.linalg.sqrtm(df.zeros([3, 4]))
    with pytest.raises(TypeError, match="DataType int32"):
        df.linalg.expm(df.zeros([3, 3], dtype=df.int32))


# -- gradients: GRAD_CASES rows are checked against finite differences by tests/autodiff/test_op_grads.py

def tri_input(shape, seed=0):
    return lambda: [well_conditioned(shape, seed=seed), normal(shape[:-1] + (2,), seed=seed + 1)]


GRAD_CASES = [
    GradCase("MatrixTriangularSolve", df.matrix_triangular_solve, [(3, 3), (3, 2)], inputs=tri_input((3, 3)),
             order=2),
    GradCase("MatrixTriangularSolve", lambda a, b: df.matrix_triangular_solve(a, b, lower=False, adjoint=True),
             [(2, 3, 3), (2, 3, 2)], inputs=tri_input((2, 3, 3), 2)),
    GradCase("MatrixTriangularSolve", df.matrix_triangular_solve, [(3, 3), (2, 3, 2)],
             inputs=lambda: [well_conditioned((3, 3), seed=4), normal((2, 3, 2), seed=5)]),  # broadcast batch
    GradCase("MatrixSolveLs", lambda a, b: df.linalg.lstsq(a, b, fast=False), [(5, 3), (5, 2)]),
    GradCase("MatrixSolveLs", lambda a, b: df.linalg.lstsq(a, b, l2_regularizer=0.3, fast=False),
             [(2, 4), (2, 1)]),
    GradCase("Lu", lambda a: df.linalg.lu(a)[0], [(2, 3, 3)], inputs=lambda: [normal((2, 3, 3), seed=6)]),
    GradCase("Lu", lambda a, b: df.linalg.lu_solve(*df.linalg.lu(a), b), [(3, 3), (3, 2)],
             inputs=lambda: [well_conditioned((3, 3), seed=7), normal((3, 2), seed=8)], order=2),
    GradCase("MatrixExponential", df.linalg.expm, [(3, 3)], order=2),
    GradCase("MatrixExponential", df.linalg.expm, [(2, 2, 2)], domain=(-3.0, 3.0)),
    GradCase("MatrixSquareRoot", df.linalg.sqrtm, [(3, 3)], inputs=lambda: [well_conditioned((3, 3), seed=9)]),
    GradCase("MatrixSquareRoot", df.linalg.sqrtm, [(2, 2, 2)],
             inputs=lambda: [well_conditioned((2, 2, 2), seed=10)]),
    GradCase("MatrixLogarithm", lambda a: df.abs(df.linalg.logm(df.cast(a, df.complex128))), [(3, 3)],
             inputs=lambda: [well_conditioned((3, 3), seed=11)]),
    GradCase("MatrixLogarithm", lambda a: df.abs(df.linalg.logm(df.cast(a, df.complex128))), [(2, 2, 2)],
             inputs=lambda: [well_conditioned((2, 2, 2), seed=12)]),
]


COMPOSITE_GRADS = [
    (lambda c, b: df.cholesky_solve(df.cholesky(df.matmul(c, c, transpose_b=True) + 3 * np.eye(3)), b),
     [(3, 3), (3, 2)]),
    (df.linalg.lstsq, [(5, 3), (5, 2)]),
    (lambda a, b: df.linalg.lstsq(a, b, l2_regularizer=0.5), [(2, 4), (2, 2)]),
    (lambda d, b: df.linalg.tridiagonal_solve(d + np.array([[0.0], [4.0], [0.0]]), b), [(3, 4), (4, 2)]),
    (df.linalg.tridiagonal_matmul, [(2, 3, 4), (2, 4, 2)]),
    (lambda a: df.linalg.lu_matrix_inverse(*df.linalg.lu(a + 3 * np.eye(3))), [(3, 3)]),
    (lambda a, b: df.linalg.eigh_tridiagonal(a, b), [(4,), (3,)]),
]


@pytest.mark.parametrize("i", range(len(COMPOSITE_GRADS)))
def test_composite_gradients(i):
    build, shapes = COMPOSITE_GRADS[i]
    arrays = [rand(s, seed=j) for j, s in enumerate(shapes)]
    check_grads(build, arrays)
    check_grads(build, arrays, chunks=[list(chunkings(a.shape))[-1] for a in arrays])
