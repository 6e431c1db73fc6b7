"""The circulant LinearOperators (1-D, 2-D, 3-D) and LinearOperatorBlockLowerTriangular against dense numpy."""
import numpy as np
import pytest
import scipy.linalg

import daskflow as df
from daskflow.ops import linalg_circulant as C
from daskflow.testing import check_grads

L = df.linalg
TESTED_OPS = set()  # Python classes over existing ops (FFTs, casts, reductions)


def normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def nested_circulant(kernel):
    """The dense matrix of the (nested block) circulant convolution with ``kernel`` (row-major vectors)."""
    idx = np.indices(kernel.shape).reshape(kernel.ndim, -1)
    diff = (idx[:, :, None] - idx[:, None, :]) % np.array(kernel.shape)[:, None, None]
    return kernel[tuple(diff)]


K1 = np.array([4.0, 1.0, -1.0, 0.5])  # a real kernel: Hermitian spectrum
K2 = normal((2, 3, 2), seed=1) + 6.0 * (np.indices((3, 2)).sum(0) == 0)  # a batch of 2 complex-free kernels
K3 = normal((2, 2, 3), seed=2) * (1 + 0.5j)
K3[0, 0, 0] += 9.0


def spectrum(kernel, depth):
    return np.fft.fftn(kernel, axes=tuple(range(-depth, 0)))


CASES = [
    ("circulant", lambda: C.LinearOperatorCirculant(spectrum(K1, 1), input_output_dtype=df.float64),
     scipy.linalg.circulant(K1)),
    ("circulant_batch", lambda: C.LinearOperatorCirculant(spectrum(normal((2, 3), 3) + [[5, 0, 0]], 1),
                                                          input_output_dtype=df.complex128),
     np.stack([scipy.linalg.circulant(k) for k in normal((2, 3), 3) + [[5, 0, 0]]])),
    ("circulant2d", lambda: C.LinearOperatorCirculant2D(spectrum(K2, 2), input_output_dtype=df.float64),
     np.stack([nested_circulant(k) for k in K2])),
    ("circulant3d", lambda: C.LinearOperatorCirculant3D(spectrum(K3, 3), input_output_dtype=df.complex128),
     nested_circulant(K3)),
]


@pytest.mark.parametrize("name, make, dense", CASES, ids=[c[0] for c in CASES])
def test_circulant_against_dense(name, make, dense):
    op = make()
    n = dense.shape[-1]
    assert op.shape.as_list() == list(dense.shape) and op.is_square
    x = normal(dense.shape[:-1] + (2,), seed=5).astype(op.dtype)
    dh = np.conj(np.swapaxes(dense, -1, -2))
    got = {"dense": op.to_dense(), "matmul": op.matmul(x), "matmul_adj": op.matmul(x, adjoint=True),
           "matmul_adj_arg": op.matmul(np.conj(np.swapaxes(x, -1, -2)), adjoint_arg=True),
           "solve": op.solve(x), "solve_adj": op.solve(x, adjoint=True), "det": op.determinant(),
           "logdet": op.log_abs_determinant(), "diag": op.diag_part(), "trace": op.trace(),
           "adjoint": op.adjoint().to_dense(), "inverse": op.inverse().to_dense(),
           "product": op.matmul(op).to_dense(), "ratio": op.solve(op.matmul(op)).to_dense(),
           "eigvals": op.eigvals(), "shape": op.shape_tensor()}
    with df.Session() as s:
        v = s.run(got)
    want = {"dense": dense, "matmul": dense @ x, "matmul_adj": dh @ x, "matmul_adj_arg": dense @ x,
            "solve": np.linalg.solve(dense, x), "solve_adj": np.linalg.solve(dh, x),
            "det": np.linalg.det(dense), "logdet": np.linalg.slogdet(dense)[1],
            "diag": np.diagonal(dense, axis1=-2, axis2=-1), "trace": np.trace(dense, axis1=-2, axis2=-1),
            "adjoint": dh, "inverse": np.linalg.inv(dense), "product": dense @ dense, "ratio": dense,
            "shape": dense.shape}
    for key, ref in want.items():
        ref = np.real(ref) if op.dtype.kind != "c" else ref
        np.testing.assert_allclose(v[key], ref, rtol=1e-9, atol=1e-9, err_msg=f"{name}: {key}")
    eig = np.sort_complex(v["eigvals"].reshape(-1, n))
    np.testing.assert_allclose(eig, np.sort_complex(np.linalg.eigvals(dense).reshape(-1, n)), atol=1e-8)
    assert isinstance(op.adjoint(), type(op)) and isinstance(op.inverse(), type(op))


def test_circulant_static_facts_and_kernel():
    op = C.LinearOperatorCirculant2D(np.ones((2, 3, 4), np.float32))
    assert op.shape.as_list() == [2, 12, 12] and op.block_depth == 2 and op.block_shape.as_list() == [3, 4]
    assert op.dtype == df.complex64 and op.is_self_adjoint and op.is_square
    assert op.name == "LinearOperatorCirculant2D"
    cplx = C.LinearOperatorCirculant(np.array([1 + 1j, 2, 3], np.complex64))
    assert cplx.is_self_adjoint is None and cplx.adjoint() is not cplx
    real_op = C.LinearOperatorCirculant(spectrum(K1, 1), input_output_dtype=df.float64)
    with df.Session() as s:
        kernel, block = s.run([real_op.convolution_kernel(), op.block_shape_tensor()])
        s.run([real_op.assert_hermitian_spectrum(), real_op.assert_non_singular(),
               C.LinearOperatorCirculant(np.array([2.0 + 0j, 1.0])).assert_self_adjoint(),
               C.LinearOperatorCirculant([2.0, 1.0]).assert_positive_definite()])
        for bad, match in [(C.LinearOperatorCirculant([0.0, 1.0]).assert_non_singular(), "Spectrum contained zero"),
                           (C.LinearOperatorCirculant([1.0, -3.0]).assert_positive_definite(),
                            "Real part of spectrum was not all positive"),
                           (C.LinearOperatorCirculant(np.array([1j, 1.0])).assert_self_adjoint(),
                            "non-zero imaginary part"),
                           (C.LinearOperatorCirculant(np.array([1j, 1.0])).assert_hermitian_spectrum(),
                            "Spectrum was not Hermitian")]:
            with pytest.raises(df.errors.InvalidArgumentError, match=match):
                s.run(bad)
    np.testing.assert_allclose(kernel, K1, atol=1e-12)
    np.testing.assert_array_equal(block, [3, 4])


@pytest.mark.parametrize("make, cls, match", [
    (lambda: C.LinearOperatorCirculant(3.0), ValueError,
     r"Argument `spectrum` must have at least 1 dimensions. Received: "),
    (lambda: C.LinearOperatorCirculant2D([3.0, 1.0]), ValueError,
     r"Argument `spectrum` must have at least 2 dimensions"),
    (lambda: C.LinearOperatorCirculant([3.0, 1.0], is_self_adjoint=False), ValueError,
     r"A real spectrum always corresponds to a self-adjoint operator. Expected argument `is_self_adjoint` to be "
     r"True when `spectrum.dtype.is_complex` = True. Received: False."),
    (lambda: C.LinearOperatorCirculant([3.0, 1.0], is_square=False), ValueError,
     r"A \[\[nested\] block\] circulant operator is always square. Expected argument `is_square` to be True. "
     r"Received: False."),
    (lambda: C.LinearOperatorCirculant(np.array([1, 2], np.int32)), TypeError, "must have dtype in"),
    (lambda: C.LinearOperatorCirculant(np.ones(3)).matmul(np.ones((2, 2), np.complex64)), ValueError,
     "Dimensions 3 and 2 are not compatible"),
])
def test_circulant_errors(make, cls, match):
    with pytest.raises(cls, match=match):
        make()


def test_circulant_gradients_through_matmul_and_solve():
    def build(s, x):  # a real spectrum of a symmetric kernel and a real operator
        op = C.LinearOperatorCirculant(s, input_output_dtype=df.float64)
        return op.matmul(x) + op.solve(x) + op.log_abs_determinant()
    check_grads(build, [np.array([5.0, 1.0, -0.5, 1.0]), normal((4, 2), seed=7)])


BLOCKS = [normal((2, 2), 1) + 3 * np.eye(2), normal((3, 2), 2), normal((3, 3), 3) + 3 * np.eye(3)]


def test_block_lower_triangular_against_dense():
    a, b, c = BLOCKS
    d = np.array([2.0, -1.5])
    op = C.LinearOperatorBlockLowerTriangular([[L.LinearOperatorFullMatrix(a)],
                                               [L.LinearOperatorFullMatrix(b), L.LinearOperatorFullMatrix(c)]])
    one = C.LinearOperatorBlockLowerTriangular([[L.LinearOperatorDiag(d)]])
    dense = np.block([[a, np.zeros((2, 3))], [b, c]])
    x = normal((5, 2), seed=4)
    assert op.shape.as_list() == [5, 5] and op.is_square and len(op.operators) == 2
    with df.Session() as s:
        v = s.run([op.to_dense(), op.matmul(x), op.matmul(x, adjoint=True), op.solve(x), op.solve(x, adjoint=True),
                   op.determinant(), op.log_abs_determinant(), op.diag_part(), op.inverse().to_dense(),
                   one.solvevec(d)])
    want = [dense, dense @ x, dense.T @ x, np.linalg.solve(dense, x), np.linalg.solve(dense.T, x),
            np.linalg.det(dense), np.linalg.slogdet(dense)[1], np.diag(dense), np.linalg.inv(dense), np.ones(2)]
    for g, w in zip(v, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)


def test_block_lower_triangular_gradients():
    def build(a, b, c, x):
        op = C.LinearOperatorBlockLowerTriangular([[L.LinearOperatorFullMatrix(a)],
                                                   [L.LinearOperatorFullMatrix(b), L.LinearOperatorFullMatrix(c)]])
        return op.solve(x) + op.matmul(x, adjoint=True)
    check_grads(build, BLOCKS + [normal((5, 1), seed=8)])


@pytest.mark.parametrize("rows, match", [
    ([], "Argument `operators` must be a list of >=1 operators"),
    ([[np.eye(2)], [np.eye(2)]], r"Argument `operators\[1\]` must contain `2` blocks. Received: 1 blocks."),
    ([[np.eye(2)], [np.ones((3, 3)), np.eye(3)]],
     r"Argument `operators\[1\]\[0\].domain_dimension` \(3\) must be the same as "
     r"`operators\[0\]\[0\].domain_dimension` \(2\)."),
    ([[np.eye(2)], [np.ones((2, 2)), np.eye(3)]],
     r"Argument `operators\[1\]\[0\].range_dimension` \(2\) must be the same as "
     r"`operators\[1\]\[1\].range_dimension` \(3\)."),
    ([[np.ones((2, 3))]], r"Expected argument `operators\[0\]\[-1\].is_square` to be True. Received: False."),
])
def test_block_lower_triangular_errors(rows, match):
    ops = [[L.LinearOperatorFullMatrix(m) for m in row] for row in rows]
    with pytest.raises(ValueError, match=match):
        C.LinearOperatorBlockLowerTriangular(ops)
    with pytest.raises(ValueError, match="must be square"):
        C.LinearOperatorBlockLowerTriangular([[L.LinearOperatorFullMatrix(np.eye(2))]], is_square=False)
