"""The ``tf.linalg.LinearOperator`` family: every method of every operator against its dense numpy matrix."""
import numpy as np
import pytest

import daskflow as df

L = df.linalg
TESTED_OPS = set()  # Python classes over existing ops


def normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def well(shape, seed=0):
    return normal(shape, seed) * 0.3 + 2 * np.eye(shape[-1])


A3, B3, A2 = well((2, 3, 3)), well((3, 3), seed=1), well((2, 2), seed=2)
D = normal((2, 3), seed=3) + 3.0
U, V, DU = normal((2, 3, 2), seed=4), normal((2, 3, 2), seed=5), np.array([1.5, 2.5])
AXIS = np.array([1.0, -2.0, 0.5])
COL, ROW = np.array([4.0, 1.0, 0.5]), np.array([4.0, -1.0, 2.0])
TRI = np.array([[1.0, 2.0, 0.0], [5.0, 6.0, 7.0], [0.0, -1.0, 3.0]])


def toeplitz(col, row):
    n = len(col)
    return np.array([[col[i - j] if i >= j else row[j - i] for j in range(n)] for i in range(n)])


def householder(v):
    return np.eye(len(v)) - 2 * np.outer(v, v) / (v @ v)


def block_diag(a, b):
    out = np.zeros((5, 5))
    out[:2, :2], out[2:, 2:] = a, b
    return out


# (name, operator factory, dense matrix)
OPERATORS = [
    ("full", lambda: L.LinearOperatorFullMatrix(A3), A3),
    ("diag", lambda: L.LinearOperatorDiag(D), np.stack([np.diag(d) for d in D])),
    ("identity", lambda: L.LinearOperatorIdentity(3, batch_shape=[2], dtype=df.float64),
     np.broadcast_to(np.eye(3), (2, 3, 3))),
    ("scaled", lambda: L.LinearOperatorScaledIdentity(3, np.array([2.0, -3.0])),
     np.array([2.0, -3.0])[:, None, None] * np.eye(3)),
    ("tril", lambda: L.LinearOperatorLowerTriangular(A3), np.tril(A3)),
    ("composition", lambda: L.LinearOperatorComposition([L.LinearOperatorFullMatrix(A3), L.LinearOperatorDiag(D)]),
     A3 @ np.stack([np.diag(d) for d in D])),
    ("inversion", lambda: L.LinearOperatorInversion(L.LinearOperatorFullMatrix(A3)), np.linalg.inv(A3)),
    ("adjoint", lambda: L.LinearOperatorAdjoint(L.LinearOperatorFullMatrix(A3)), np.swapaxes(A3, -1, -2)),
    ("kronecker", lambda: L.LinearOperatorKronecker([L.LinearOperatorFullMatrix(A2),
                                                     L.LinearOperatorFullMatrix(B3)]), np.kron(A2, B3)),
    ("block_diag", lambda: L.LinearOperatorBlockDiag([L.LinearOperatorFullMatrix(A2),
                                                      L.LinearOperatorFullMatrix(B3)]), block_diag(A2, B3)),
    ("low_rank", lambda: L.LinearOperatorLowRankUpdate(L.LinearOperatorDiag(D), U, diag_update=DU, v=V),
     np.stack([np.diag(d) for d in D]) + (U * DU) @ np.swapaxes(V, -1, -2)),
    ("low_rank_sym", lambda: L.LinearOperatorLowRankUpdate(L.LinearOperatorFullMatrix(B3), U[0]),
     B3 + U[0] @ U[0].T),
    ("permutation", lambda: L.LinearOperatorPermutation([2, 0, 1], dtype=df.float64), np.eye(3)[[2, 0, 1]]),
    ("householder", lambda: L.LinearOperatorHouseholder(AXIS), householder(AXIS)),
    ("toeplitz", lambda: L.LinearOperatorToeplitz(COL, ROW), toeplitz(COL, ROW)),
    ("tridiag", lambda: L.LinearOperatorTridiag(TRI), np.diag(TRI[1]) + np.diag(TRI[0, :-1], 1) +
     np.diag(TRI[2, 1:], -1)),
]


@pytest.mark.parametrize("name, make, dense", OPERATORS, ids=[o[0] for o in OPERATORS])
def test_operator_against_its_dense_matrix(name, make, dense):
    with df.Graph().as_default():
        op = make()
        assert op.shape.as_list() == list(dense.shape) and op.dtype == df.float64
        assert op.batch_shape.as_list() == list(dense.shape[:-2]) and op.tensor_rank == dense.ndim
        n = dense.shape[-1]
        x = normal(dense.shape[:-1] + (2,), seed=10)
        xt = np.swapaxes(x, -1, -2)
        vec = normal(dense.shape[:-1], seed=11)
        dt = np.swapaxes(dense, -1, -2)
        want = {
            "dense": dense, "shape": np.array(dense.shape),
            "matmul": dense @ x, "matmul_adj": dt @ x, "matmul_adj_arg": dense @ np.swapaxes(xt, -1, -2),
            "matvec": (dense @ vec[..., None])[..., 0], "matvec_adj": (dt @ vec[..., None])[..., 0],
            "solve": np.linalg.solve(dense, x), "solve_adj": np.linalg.solve(dt, x),
            "solvevec": np.linalg.solve(dense, vec[..., None])[..., 0],
            "det": np.linalg.det(dense), "logdet": np.linalg.slogdet(dense)[1],
            "diag": np.diagonal(dense, axis1=-2, axis2=-1), "trace": np.trace(dense, axis1=-2, axis2=-1),
            "add": dense + x[..., :1], "adjoint": dt, "inverse": np.linalg.inv(dense),
            "op_product": dense @ dense,
        }
        got = {
            "dense": op.to_dense(), "shape": op.shape_tensor(),
            "matmul": op.matmul(x), "matmul_adj": op.matmul(x, adjoint=True),
            "matmul_adj_arg": op.matmul(xt, adjoint_arg=True),
            "matvec": op.matvec(vec), "matvec_adj": op.matvec(vec, adjoint=True),
            "solve": op.solve(x), "solve_adj": op.solve(x, adjoint=True), "solvevec": op.solvevec(vec),
            "det": op.determinant(), "logdet": op.log_abs_determinant(), "diag": op.diag_part(),
            "trace": op.trace(), "add": op.add_to_tensor(x[..., :1] + np.zeros(dense.shape)),
            "adjoint": op.adjoint().to_dense(), "inverse": op.inverse().to_dense(),
            "op_product": op.matmul(op).to_dense(),
        }
        want["add"] = dense + x[..., :1]
        with df.Session() as s:
            values = s.run(got)
    for key, ref in want.items():
        np.testing.assert_allclose(values[key], np.broadcast_to(ref, np.shape(values[key])), rtol=1e-9, atol=1e-10,
                                   err_msg=f"{name}: {key}")
    assert n == op.domain_dimension == op.range_dimension and op.is_square


def test_operator_hints_and_shortcuts():
    d = L.LinearOperatorDiag([1.0, 2.0])
    assert d.is_self_adjoint and d.adjoint() is d and d.H is d
    assert L.LinearOperatorHouseholder([1.0, 0.0]).is_self_adjoint
    full = L.LinearOperatorFullMatrix(np.zeros((2, 3)))
    assert full.is_square is False and full.name == "LinearOperatorFullMatrix"
    with pytest.raises(df.errors.InvalidArgumentError, match="Determinant not implemented for an operator that is "
                                                             "expected to not be square"):
        full.determinant()
    with pytest.raises(ValueError, match="Cannot take the Inverse: This operator represents a non square matrix"):
        full.inverse()
    with pytest.raises(ValueError, match="Dimensions 2 and 3 are not compatible"):
        d.matmul(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        L.LinearOperatorFullMatrix([1.0, 2.0])
    with pytest.raises(ValueError, match="positive definite matrix is always non-singular"):
        L.LinearOperatorFullMatrix(np.eye(2), is_positive_definite=True, is_non_singular=False)
    with pytest.raises(TypeError, match="same dtype"):
        L.LinearOperatorComposition([d, L.LinearOperatorDiag(np.array([1.0, 2.0]))])
    assert L.LinearOperatorComposition([d, d]).name == "LinearOperatorDiag_o_LinearOperatorDiag"
    with pytest.raises(ValueError, match="self-adjoint and positive definite"):
        L.LinearOperatorFullMatrix(np.eye(2)).cholesky()


def test_zeros_and_non_square_products():
    z = L.LinearOperatorZeros(3, 4, batch_shape=[2], dtype=df.float64)
    full = L.LinearOperatorFullMatrix(normal((3, 4)))
    x = normal((4, 2), seed=1)
    with df.Session() as s:
        dz, zx, fx, fxa = s.run([z.to_dense(), z.matmul(x), full.matmul(x), full.matmul(normal((3, 2)),
                                                                                     adjoint=True)])
    np.testing.assert_array_equal(dz, np.zeros((2, 3, 4)))
    np.testing.assert_array_equal(zx, np.zeros((2, 3, 2)))
    np.testing.assert_allclose(fx, normal((3, 4)) @ x, rtol=1e-12)
    np.testing.assert_allclose(fxa, normal((3, 4)).T @ normal((3, 2)), rtol=1e-12)
    assert z.shape.as_list() == [2, 3, 4] and not z.is_square


def test_cholesky_eigvals_cond_and_asserts():
    a = B3 @ B3.T
    op = L.LinearOperatorFullMatrix(a, is_self_adjoint=True, is_positive_definite=True)
    with df.Session() as s:
        chol, eig, cond = s.run([op.cholesky().to_dense(), op.eigvals(), op.cond()])
        s.run([op.assert_non_singular(), op.assert_positive_definite(), op.assert_self_adjoint()])
        with pytest.raises(df.errors.InvalidArgumentError, match="Singular operator"):
            s.run(L.LinearOperatorFullMatrix(np.ones((2, 2))).assert_non_singular())
        with pytest.raises(df.errors.InvalidArgumentError, match="not positive definite"):
            s.run(L.LinearOperatorFullMatrix(-np.eye(2)).assert_positive_definite())
    np.testing.assert_allclose(chol, np.linalg.cholesky(a), rtol=1e-12)
    np.testing.assert_allclose(eig, np.linalg.eigvalsh(a), rtol=1e-12)
    np.testing.assert_allclose(cond, np.linalg.cond(a), rtol=1e-10)


def test_operator_gradients():
    """Operators build ordinary ops: gradients flow to the tensors they hold."""
    d = df.placeholder(df.float64, (3,))
    u = df.placeholder(df.float64, (3, 1))
    op = L.LinearOperatorLowRankUpdate(L.LinearOperatorDiag(d), u)
    loss = df.reduce_sum(op.solvevec(np.ones(3))) + op.log_abs_determinant()
    g = df.gradients(loss, [d, u])
    dv, uv = np.array([2.0, 3.0, 4.0]), np.array([[0.5], [1.0], [-1.0]])
    with df.Session() as s:
        got = s.run(g, {d: dv, u: uv})

    def f(dv, uv):
        a = np.diag(dv) + uv @ uv.T
        return np.linalg.solve(a, np.ones(3)).sum() + np.linalg.slogdet(a)[1]
    eps = 1e-6
    num_d = [(f(dv + eps * e, uv) - f(dv - eps * e, uv)) / (2 * eps) for e in np.eye(3)]
    num_u = [(f(dv, uv + eps * e[:, None]) - f(dv, uv - eps * e[:, None])) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(got[0], num_d, rtol=1e-6)
    np.testing.assert_allclose(got[1][:, 0], num_u, rtol=1e-6)
