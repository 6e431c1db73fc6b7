"""QR, SVD, Hermitian eigendecompositions, log-determinants, norms, pseudo-inverse and rank (``tf.linalg``).

Decompositions are checked by what defines them (reconstruction, orthonormality, triangularity) and by their
sign-free parts against numpy, on every chunking of the batch dims; gradients by finite differences of functions
of the outputs that do not depend on the signs numpy and LAPACK choose, as TF's own tests do.
"""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, chunkings, run_graph

TESTED_OPS = {"Qr", "Svd", "SelfAdjointEigV2", "LogMatrixDeterminant"}

SHAPES = [(5, 3), (3, 5), (4, 4), (1, 1), (2, 5, 3), (3, 1, 2, 4)]


def rand(shape, dtype="float64", seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * r.standard_normal(shape)
    return x.astype(dtype)


def hermitian(shape, dtype="float64", seed=0):
    x = rand(shape, dtype, seed)
    return x + np.conj(np.swapaxes(x, -1, -2))


def tol(dtype):
    return {"rtol": 2e-4, "atol": 2e-5} if np.dtype(dtype) in (np.float32, np.complex64) else \
        {"rtol": 1e-10, "atol": 1e-11}


def adj(x):
    return np.conj(np.swapaxes(x, -1, -2))


def every_chunking(build, x, **kw):
    """``build`` run on ``x`` fed in each of its chunkings (batch and matrix dims split unevenly)."""
    return [run_graph(build, x, chunks=[c], **kw) for c in chunkings(x.shape)]


def assert_orthonormal_columns(q, **t):
    k = q.shape[-1]
    np.testing.assert_allclose(adj(q) @ q, np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)), **t)


# -- QR

@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_qr(shape, full, dtype):
    a = rand(shape, dtype)
    ref_q, ref_r = np.linalg.qr(a, mode="complete" if full else "reduced")
    for q, r in every_chunking(lambda t: list(df.qr(t, full_matrices=full)), a):
        assert q.shape == ref_q.shape and r.shape == ref_r.shape and q.dtype == a.dtype
        np.testing.assert_allclose(q @ r, a, **tol(dtype))
        assert_orthonormal_columns(q, **tol(dtype))
        np.testing.assert_array_equal(np.tril(r, -1), 0)
        np.testing.assert_allclose(np.abs(r), np.abs(ref_r), **tol(dtype))  # unique up to the rows' phases
    assert df.linalg.qr is df.qr


def test_qr_static_and_unknown_shapes():
    q, r = df.qr(df.placeholder(df.float32, (None, 5, 3)))
    assert q.shape.as_list() == [None, 5, 3] and r.shape.as_list() == [None, 3, 3]
    q, r = df.qr(df.placeholder(df.float32, (5, 3)), full_matrices=True)
    assert q.shape.as_list() == [5, 5] and r.shape.as_list() == [5, 3]
    assert df.qr(df.placeholder(df.float32, (None, 3)))[0].shape.as_list() == [None, None]
    a = rand((2, 4, 3))
    q, r = run_graph(lambda t: list(df.qr(t)), a, feed_static_shape=False)
    np.testing.assert_allclose(q @ r, a, rtol=1e-12, atol=1e-12)


# -- SVD

@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_svd(shape, full, dtype):
    a = rand(shape, dtype, seed=1)
    ref_u, ref_s, ref_vh = np.linalg.svd(a, full_matrices=full)
    k = min(shape[-2:])
    for s, u, v in every_chunking(lambda t: list(df.svd(t, full_matrices=full)), a):
        assert s.shape == ref_s.shape and u.shape == ref_u.shape and v.shape == adj(ref_vh).shape
        assert s.dtype == np.empty(0, dtype).real.dtype and u.dtype == v.dtype == a.dtype
        np.testing.assert_allclose(s, ref_s, **tol(dtype))
        np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ adj(v[..., :k]), a, **tol(dtype))
        assert_orthonormal_columns(u, **tol(dtype))
        assert_orthonormal_columns(v, **tol(dtype))


def test_svd_without_uv_and_aliases():
    a = rand((3, 4, 2), seed=2)
    s = df.svd(df.placeholder(df.float64, (3, 4, 2)), compute_uv=False)
    assert isinstance(s, df.Tensor) and s.shape.as_list() == [3, 2]
    got = run_graph(lambda t: df.linalg.svd(t, compute_uv=False), a)
    np.testing.assert_allclose(got, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    s, u, v = df.svd(df.placeholder(df.float64, (None, 6, 4)), full_matrices=True)
    assert (s.shape.as_list(), u.shape.as_list(), v.shape.as_list()) == ([None, 4], [None, 6, 6], [None, 4, 4])


def test_svd_of_rank_deficient_matrices():
    a = rand((4, 2), seed=3) @ rand((2, 5), seed=4)  # rank 2
    s, u, v = run_graph(lambda t: list(df.svd(t)), a)
    np.testing.assert_allclose(s[2:], 0, atol=1e-12)
    np.testing.assert_allclose((u * s) @ v.T, a, atol=1e-12)


# -- Hermitian eigendecomposition

@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("shape", [(3, 3), (1, 1), (5, 4, 4), (2, 1, 3, 3)])
def test_eigh(shape, dtype):
    a = hermitian(shape, dtype)
    ref = np.linalg.eigvalsh(a)
    for e, v in every_chunking(lambda t: list(df.self_adjoint_eig(t)), a):
        assert e.dtype == v.dtype == a.dtype  # as TF, complex matrices give complex (real-valued) eigenvalues
        np.testing.assert_allclose(e, ref, **tol(dtype))
        np.testing.assert_allclose(a @ v, v * e[..., None, :], **tol(dtype))
        assert_orthonormal_columns(v, **tol(dtype))
    np.testing.assert_allclose(run_graph(df.self_adjoint_eigvals, a), ref, **tol(dtype))
    assert df.linalg.eigh is df.self_adjoint_eig and df.linalg.eigvalsh is df.self_adjoint_eigvals


def test_eigh_reads_only_the_lower_triangle():
    a = hermitian((2, 4, 4), seed=5)
    junk = a + np.triu(np.full((4, 4), 9.0), 1)
    np.testing.assert_allclose(run_graph(df.linalg.eigvalsh, junk), np.linalg.eigvalsh(a), rtol=1e-12)


# -- log-determinants

@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("shape", [(3, 3), (1, 1), (4, 2, 2), (2, 3, 5, 5)])
def test_slogdet(shape, dtype):
    a = rand(shape, dtype, seed=6)  # determinants of both signs
    sign, logabs = np.linalg.slogdet(a)
    for got_sign, got_log in every_chunking(lambda t: list(df.linalg.slogdet(t)), a):
        assert got_sign.dtype == got_log.dtype == a.dtype and got_log.shape == shape[:-2]
        np.testing.assert_allclose(got_sign, sign, **tol(dtype))
        np.testing.assert_allclose(got_log, logabs, **tol(dtype))


def test_slogdet_of_huge_determinants():
    a = np.eye(200) * 1e3  # det = 1e600 overflows float64
    sign, logabs = run_graph(lambda t: list(df.linalg.slogdet(t)), a)
    assert sign == 1 and logabs == pytest.approx(600 * np.log(10))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2, 2)])
def test_logdet(shape):
    x = rand(shape, seed=7)
    a = x @ np.swapaxes(x, -1, -2) + np.eye(shape[-1])
    for got in every_chunking(df.linalg.logdet, a):
        np.testing.assert_allclose(got, np.linalg.slogdet(a)[1], rtol=1e-12)


# -- norms

NORMS = [("euclidean", None, False), ("euclidean", None, True), ("euclidean", 1, False), ("euclidean", -1, True),
         (1, 0, False), (np.inf, 2, False), (3, 1, False), (0.5, -1, False), (2, 1, True),
         ("fro", (0, 2), False), ("euclidean", (1, 2), True), (1, (0, 2), False), (1, (2, 0), False),
         (np.inf, (0, 2), True), (np.inf, (2, 1), False), (2, (1, 2), False), (2, (2, 0), True), (2, (0, 1), False)]


@pytest.mark.parametrize("ord, axis, keep", NORMS)
def test_norm(ord, axis, keep):
    x = rand((3, 4, 5), seed=8)
    if axis is None:
        ref = np.linalg.norm(x.ravel(), keepdims=False).reshape((1,) * x.ndim if keep else ())
    else:
        ref = np.linalg.norm(x, ord=None if ord == "euclidean" else ord, axis=axis, keepdims=keep)
    for got in every_chunking(lambda t: df.norm(t, ord=ord, axis=axis, keepdims=keep), x):
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert df.linalg.norm is df.norm


def test_norm_dtypes_and_names():
    z = rand((2, 3), "complex128", seed=9)
    got = run_graph(df.norm, z)
    assert got.dtype == np.complex128  # as TF: sqrt(sum(z * conj(z)))
    np.testing.assert_allclose(got, np.linalg.norm(z), rtol=1e-12)
    got = run_graph(lambda t: df.norm(t, ord=1, axis=1), z)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.linalg.norm(z, ord=1, axis=1), rtol=1e-12)
    assert run_graph(df.norm, rand((3, 3), "float32")).dtype == np.float32
    assert df.norm(df.zeros([2, 3]), name="nn").name.startswith("nn/")
    assert df.norm(df.zeros([2, 3]), keep_dims=True).shape.as_list() == [1, 1]


def test_norm_errors():
    x = df.zeros([2, 3, 4])
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm, got fro"):
        df.norm(x, ord="fro", axis=1)
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm, got 0"):
        df.norm(x, ord=0, axis=1)
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm, got -1"):
        df.norm(x, ord=-1)
    with pytest.raises(ValueError, match=r"'ord' must be a supported matrix norm in \['euclidean', 'fro', 1, 2, "
                                         r"inf\], got 3"):
        df.norm(x, ord=3, axis=[1, 2])
    with pytest.raises(ValueError, match=r"'axis' must be None, an integer, or a tuple of 2 unique integers, got "
                                         r"\[0, 1, 2\]"):
        df.norm(x, axis=[0, 1, 2])
    with pytest.raises(ValueError, match="tuple of 2 unique integers"):
        df.norm(x, axis=[1, -2])
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        df.norm(df.zeros([2], dtype=df.int32))


@pytest.mark.parametrize("ord, axis", [("euclidean", None), ("euclidean", 1), (1, 0), (np.inf, -1), ("fro", (0, 1))])
def test_normalize(ord, axis):
    x = rand((3, 4), seed=10)
    ref_norm = np.linalg.norm(x.ravel()) if axis is None else \
        np.linalg.norm(x, ord=None if ord == "euclidean" else ord, axis=axis, keepdims=True)
    got, nrm = run_graph(lambda t: list(df.linalg.normalize(t, ord=ord, axis=axis)), x)
    np.testing.assert_allclose(nrm, np.broadcast_to(ref_norm, nrm.shape), rtol=1e-12)
    np.testing.assert_allclose(got, x / ref_norm, rtol=1e-12)


# -- pseudo-inverse and rank

@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3), (1, 1)])
def test_pinv(shape):
    a = rand(shape, seed=11)
    for got in every_chunking(df.linalg.pinv, a):
        np.testing.assert_allclose(got, np.linalg.pinv(a), rtol=1e-9, atol=1e-12)


def test_pinv_and_rank_of_rank_deficient_matrices():
    a = np.stack([rand((5, 2), seed=12) @ rand((2, 4), seed=13), rand((5, 4), seed=14), np.zeros((5, 4))])
    np.testing.assert_allclose(run_graph(df.linalg.pinv, a), np.linalg.pinv(a), rtol=1e-8, atol=1e-12)
    got = run_graph(df.linalg.matrix_rank, a)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [2, 4, 0])
    np.testing.assert_array_equal(run_graph(lambda t: df.linalg.matrix_rank(t, tol=0.5), np.diag([3.0, 0.4, 1.0])),
                                  2)
    np.testing.assert_allclose(run_graph(lambda t: df.linalg.pinv(t, rcond=0.1), np.diag([3.0, 0.4, 1.0])),
                               np.diag([1 / 3, 1 / 0.4, 1.0]), rtol=1e-12)
    np.testing.assert_allclose(run_graph(lambda t: df.linalg.pinv(t, rcond=0.2), np.diag([3.0, 0.5, 1.0]) * 0.1),
                               np.diag([10 / 3, 0.0, 10.0]), rtol=1e-12)


# -- build-time errors

@pytest.mark.parametrize("fn", [df.self_adjoint_eig, df.self_adjoint_eigvals, df.linalg.slogdet])
def test_square_input_needed(fn):
    with pytest.raises(df.errors.InvalidArgumentError, match=r"must be square.*\(2, 5, 3\)"):
        fn(df.placeholder(df.float32, (2, 5, 3)))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"rank >= 2.*\(3,\)"):
        fn(df.placeholder(df.float32, (3,)))


@pytest.mark.parametrize("fn", [df.qr, df.svd, df.self_adjoint_eig, df.linalg.slogdet])
def test_dtype_and_rank_errors(fn):
    with pytest.raises(TypeError, match="Value passed to parameter 'input' has DataType int32 not in list of allowed "
                                        "values: float64, float32, float16, complex64, complex128"):
        fn(df.placeholder(df.int32, (3, 3)))


@pytest.mark.parametrize("fn", [df.qr, df.svd])
def test_rank_one_input_fails(fn):
    with pytest.raises(df.errors.InvalidArgumentError, match="Shape must be at least rank 2 but is rank 1"):
        fn(df.placeholder(df.float32, (5,)))


def test_svd_gradient_limits():
    x = df.placeholder(df.float64, (5, 3))
    s, u, v = df.svd(x, full_matrices=True)
    with pytest.raises(df.errors.UnimplementedError, match="full_matrices and compute_uv"):
        df.gradients(df.reduce_sum(s), [x])
    assert df.gradients(df.reduce_sum(df.svd(x, full_matrices=True, compute_uv=False)), [x])[0] is not None
    with pytest.raises(df.errors.UnimplementedError, match="QrGrad not implemented when nrows > ncols"):
        df.gradients(df.reduce_sum(df.qr(x, full_matrices=True)[0]), [x])


# -- gradients: GRAD_CASES rows are checked against finite differences by tests/autodiff/test_op_grads.py

def _projector(q):
    """``Q diag(1, 2, ...) Q^T``: the same whatever the signs of ``q``'s columns (for distinct weights)."""
    w = df.cast(df.range(1, df.shape(q)[-1] + 1), q.dtype)  # the column count may be known only at run time
    return df.matmul(q * w, q, transpose_b=True)


def _svd_parts(a):
    s, u, v = df.svd(a)
    return [s, _projector(u), _projector(v)]


def _eigh_parts(a):
    e, v = df.self_adjoint_eig(a)
    return [e, _projector(v)]


GRAD_CASES = [
    GradCase("Qr", lambda a: list(df.qr(a)), [(5, 3)], order=2),
    GradCase("Qr", lambda a: list(df.qr(a)), [(2, 3, 3)]),
    GradCase("Qr", lambda a: list(df.qr(a)), [(3, 5)]),
    GradCase("Qr", lambda a: list(df.qr(a, full_matrices=True)), [(2, 3, 5)]),
    GradCase("Qr", lambda a: df.qr(a)[1], [(4, 4)]),  # only r used: q's gradient is zero
    GradCase("Svd", lambda a: df.svd(a, compute_uv=False), [(2, 5, 3)], order=2),
    GradCase("Svd", lambda a: df.svd(a, compute_uv=False), [(3, 5)]),
    GradCase("Svd", lambda a: df.svd(a, full_matrices=True, compute_uv=False), [(5, 3)]),
    GradCase("Svd", _svd_parts, [(5, 3)]),
    GradCase("Svd", _svd_parts, [(2, 3, 5)]),
    GradCase("Svd", _svd_parts, [(4, 4)], order=2),
    GradCase("Svd", lambda a: df.linalg.pinv(a), [(4, 3)]),
    GradCase("Svd", lambda a: df.norm(a, ord=2, axis=[0, 2]), [(3, 2, 4)]),
    GradCase("SelfAdjointEigV2", _eigh_parts, [(4, 4)], order=2),
    GradCase("SelfAdjointEigV2", _eigh_parts, [(2, 3, 3)]),
    GradCase("SelfAdjointEigV2", df.self_adjoint_eigvals, [(2, 4, 4)]),
    GradCase("LogMatrixDeterminant", lambda a: df.linalg.slogdet(a)[1], [(3, 3)], order=2),
    GradCase("LogMatrixDeterminant", lambda a: df.linalg.slogdet(a)[1], [(2, 1, 4, 4)], seed=1),
    # composites: their gradients come from the ops above and from Cholesky, Abs, Sqrt and reductions
    GradCase("Cholesky", lambda a: df.linalg.logdet(df.matmul(a, a, transpose_b=True) + 3 * np.eye(3)), [(2, 3, 3)]),
    GradCase("Sqrt", lambda a: df.norm(a, axis=1), [(3, 4)]),
    GradCase("Abs", lambda a: [df.norm(a, ord=1, axis=[0, 1]), df.norm(a, ord=np.inf, axis=[1, 0]),
                               df.norm(a, ord=3, axis=0)], [(3, 4)]),
]
