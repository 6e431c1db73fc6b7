import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import daskflow as df
from daskflow.autodiff import gradients
from daskflow.testing import GradCase, assert_op, rand, run_graph

TESTED_OPS = {"Einsum", "MatrixInverse", "MatrixDeterminant", "Cholesky", "MatrixSolve"}

# batch shape + matrix size: a single matrix, 1x1 matrices, batches of one and several leading dims
SHAPES = [(3, 3), (1, 1), (5, 3, 3), (1, 4, 4), (4, 1, 3, 3), (2, 3, 5, 5)]


def spd(shape, dtype="float64", seed=0):
    """Well-conditioned symmetric positive-definite matrices: A @ A.T + n * I."""
    n = shape[-1]
    a = np.random.default_rng(seed).standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def general(shape, dtype="float64", seed=0):
    """Well-conditioned non-symmetric matrices: diagonally dominant."""
    n = shape[-1]
    a = np.random.default_rng(seed).uniform(-1, 1, size=shape)
    return (a + (n + 1) * np.eye(n)).astype(dtype)


def tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-5} if np.dtype(dtype) == np.float32 else {"rtol": 1e-10, "atol": 1e-12}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_inverse(shape, dtype):
    x = general(shape, dtype)
    assert_op(df.matrix_inverse, lambda a: np.linalg.inv(a), x, **tol(dtype))
    assert_op(df.linalg.inv, lambda a: np.linalg.inv(a), x, **tol(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_determinant(shape, dtype):
    x = general(shape, dtype)
    got = assert_op(df.matrix_determinant, lambda a: np.linalg.det(a), x, **tol(dtype))
    assert got.shape == shape[:-2]
    assert_op(df.linalg.det, lambda a: np.linalg.det(a), x, **tol(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_cholesky(shape, dtype):
    x = spd(shape, dtype)
    low = assert_op(df.cholesky, np.linalg.cholesky, x, **tol(dtype))
    np.testing.assert_allclose(low @ np.swapaxes(low, -1, -2), x, **tol(dtype))
    assert_op(df.linalg.cholesky, np.linalg.cholesky, x, **tol(dtype))


def test_cholesky_reads_only_the_lower_triangle():
    x = spd((3, 4, 4))
    junk = x + np.triu(np.full((4, 4), 7.0), k=1)  # the upper triangle is ignored, as TF
    got = run_graph(df.cholesky, junk)
    np.testing.assert_allclose(got, np.linalg.cholesky(x), rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,k", [((3, 3), 1), ((3, 3), 4), ((1, 1), 2), ((5, 3, 3), 2), ((4, 1, 3, 3), 3)])
def test_solve(shape, k, dtype):
    a = general(shape, dtype)
    b = np.random.default_rng(1).standard_normal(shape[:-1] + (k,)).astype(dtype)
    x = assert_op(df.matrix_solve, np.linalg.solve, a, b, **tol(dtype))
    np.testing.assert_allclose(a @ x, b, **tol(dtype))
    assert_op(df.linalg.solve, np.linalg.solve, a, b, **tol(dtype))


def test_solve_with_differently_chunked_batches():
    a = general((7, 3, 3))
    b = np.random.default_rng(2).standard_normal((7, 3, 2))
    got = run_graph(df.linalg.solve, a, b, chunks=[((2, 5), (1, 2), (3,)), ((3, 3, 1), (3,), (1, 1))])
    np.testing.assert_allclose(got, np.linalg.solve(a, b), rtol=1e-10)


def test_adjoint():
    a = general((4, 3, 3), seed=3)
    b = np.random.default_rng(4).standard_normal((4, 3, 2))
    at = np.swapaxes(a, -1, -2)
    assert_op(lambda t: df.matrix_inverse(t, adjoint=True), lambda x: np.linalg.inv(at), a, rtol=1e-10)
    assert_op(lambda t, r: df.matrix_solve(t, r, adjoint=True), lambda x, r: np.linalg.solve(at, r), a, b,
              rtol=1e-10)


def test_complex_inverse_and_adjoint():
    rng = np.random.default_rng(5)
    a = rng.uniform(-1, 1, (2, 3, 3)) + 1j * rng.uniform(-1, 1, (2, 3, 3)) + 4 * np.eye(3)
    assert_op(df.linalg.inv, np.linalg.inv, a, rtol=1e-10)
    assert_op(lambda t: df.matrix_inverse(t, adjoint=True), lambda x: np.linalg.inv(np.conj(np.swapaxes(x, -1, -2))),
              a, rtol=1e-10)


def test_float16_computed_in_float32():
    a = general((2, 3, 3), "float16")
    got = run_graph(df.linalg.inv, a)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, np.linalg.inv(a.astype(np.float32)).astype(np.float16), rtol=1e-3)
    assert run_graph(df.linalg.det, a).dtype == np.float16


@given(batch=st.lists(st.integers(1, 5), max_size=2), n=st.integers(1, 4), step=st.integers(1, 4))
@settings(deadline=None, max_examples=20)
def test_batched_values_do_not_depend_on_batch_chunks(batch, n, step):
    shape = tuple(batch) + (n, n)
    x = spd(shape, seed=len(batch) + n)
    chunks = [tuple(min(step, d - i) for i in range(0, d, step)) for d in batch] + [(n,), (n,)]
    got = run_graph(lambda t: [df.linalg.inv(t), df.linalg.det(t), df.linalg.cholesky(t)], x, chunks=[chunks])
    np.testing.assert_allclose(got[0], np.linalg.inv(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[1], np.linalg.det(x), rtol=1e-9)
    np.testing.assert_allclose(got[2], np.linalg.cholesky(x), rtol=1e-9, atol=1e-12)


def test_unknown_static_shapes():
    x = spd((3, 4, 4))
    b = np.ones((3, 4, 2))
    got = run_graph(lambda t, r: [df.linalg.inv(t), df.linalg.det(t), df.linalg.solve(t, r)], x, b,
                    feed_static_shape=False)
    np.testing.assert_allclose(got[0], np.linalg.inv(x), rtol=1e-10)
    np.testing.assert_allclose(got[1], np.linalg.det(x), rtol=1e-10)
    np.testing.assert_allclose(got[2], np.linalg.solve(x, b), rtol=1e-10)


def test_static_shapes():
    x = df.placeholder(df.float32, (None, 3, None))
    assert df.linalg.inv(x).shape.as_list() == [None, 3, 3]
    assert df.linalg.det(x).shape.as_list() == [None]
    assert df.linalg.solve(x, df.placeholder(df.float32, (2, None, 5))).shape.as_list() == [2, 3, 5]


# -- errors

@pytest.mark.parametrize("fn", [df.matrix_inverse, df.matrix_determinant, df.cholesky])
def test_non_square_input_fails_at_build_time(fn):
    with pytest.raises(df.errors.InvalidArgumentError, match=r"must be square.*\(4, 2, 3\)"):
        fn(df.placeholder(df.float32, (4, 2, 3)))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"rank >= 2.*\(3,\)"):
        fn(df.placeholder(df.float32, (3,)))
    with pytest.raises(df.errors.InvalidArgumentError, match="int32.*floating or complex"):
        fn(df.placeholder(df.int32, (3, 3)))


def test_solve_shape_errors():
    a = df.placeholder(df.float64, (2, 3, 3))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"must be square.*\(2, 3, 4\)"):
        df.matrix_solve(df.placeholder(df.float64, (2, 3, 4)), df.placeholder(df.float64, (2, 3, 1)))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"same number of rows: \(2, 3, 3\) vs. \(2, 4, 1\)"):
        df.matrix_solve(a, df.placeholder(df.float64, (2, 4, 1)))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"batch dims: \(2, 3, 3\) vs. \(5, 3, 1\)"):
        df.matrix_solve(a, df.placeholder(df.float64, (5, 3, 1)))
    with pytest.raises(df.errors.InvalidArgumentError, match="same rank"):
        df.matrix_solve(a, df.placeholder(df.float64, (3, 1)))
    with pytest.raises(df.errors.InvalidArgumentError, match="float32.*does not match.*float64"):
        df.matrix_solve(a, df.placeholder(df.float32, (2, 3, 1)))


def test_singular_inverse_fails_when_run():
    x = general((4, 3, 3))
    x[2] = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]]  # rows 0 and 1 dependent
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Input is not invertible.*MatrixInverse"):
        run_graph(df.matrix_inverse, x)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Input is not invertible"):
        run_graph(df.matrix_inverse, x, chunks=[((1, 2, 1), (3,), (3,))])


def test_singular_solve_fails_when_run():
    a = np.zeros((2, 2))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Input matrix is not invertible.*MatrixSolve"):
        run_graph(df.matrix_solve, a, np.ones((2, 1)))


def test_non_positive_definite_cholesky_fails_when_run():
    x = spd((3, 3, 3))
    x[1] = -np.eye(3)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Cholesky decomposition was not successful.*Cholesky"):
        run_graph(df.cholesky, x)


def test_singular_matrix_has_zero_determinant():
    x = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert run_graph(df.matrix_determinant, x) == pytest.approx(0.0, abs=1e-12)



# -- einsum

EINSUM = [
    ("ij,jk->ik", [(7, 3), (3, 4)]), ("ij,jk", [(7, 3), (3, 4)]), ("ba,ac", [(2, 3), (3, 4)]),
    ("Ba,aC", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 4, 3), (2, 3, 5)]),
    ("...ij,...jk->...ik", [(4, 1, 2, 3), (5, 3, 2)]), ("...ij,...jk", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(5,), (5,)]), ("i,j->ij", [(5,), (3,)]), ("ij->ji", [(7, 3)]), ("ij->", [(7, 3)]),
    ("ijk->kij", [(4, 1, 3)]), ("ij,ij->ij", [(1, 3), (7, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("i...->...", [(3, 2, 4)]),
    # a label repeated in one input: its diagonal, summed when it is not in the output (a trace)
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ii->", [(4, 4)]), ("iij->j", [(3, 3, 2)]), ("iij->ij", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]), ("iii->i", [(3, 3, 3)]), ("iijj->ij", [(2, 2, 3, 3)]), ("ij,jj->i", [(2, 3), (3, 3)]),
    ("ii,ii->i", [(3, 3), (3, 3)]), ("ij,ii->j", [(3, 2), (3, 3)]), ("...ii->...i", [(2, 3, 3)]),
    ("bii->b", [(2, 3, 3)]),
]


def test_einsum_diagonal_of_unevenly_chunked_axes():
    x = rand((3, 3))
    for eq in ("ii->i", "ii->", "ij,jj->i"):
        args = [x] * eq.split("->")[0].count(",") + [x]
        got = run_graph(lambda *ts: df.einsum(eq, *ts), *args, chunks=[((1, 2), (2, 1))] * len(args))
        np.testing.assert_allclose(got, np.einsum(eq, *args))


@pytest.mark.parametrize("eq, shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    xs = [rand(s, seed=i) for i, s in enumerate(shapes)]
    out = assert_op(lambda *ts: df.einsum(eq, *ts), lambda *vs: np.einsum(eq, *vs), *xs, rtol=1e-12)
    assert df.einsum(eq, *[df.placeholder(df.float64, s) for s in shapes]).shape == np.shape(out)


def test_einsum_int_and_float32():
    assert_op(lambda a, b: df.einsum("ij,jk->ik", a, b), lambda a, b: a @ b, rand((7, 3), "int32", -9, 9),
              rand((3, 2), "int32", -9, 9, seed=1))
    assert_op(lambda a, b: df.einsum("ij,jk->ik", a, b), lambda a, b: a @ b, rand((7, 3), "float32"),
              rand((3, 2), "float32", seed=1), rtol=1e-5)
    assert df.einsum("ii->", np.eye(3, dtype=np.int32)).compute() == 3
    assert df.linalg.einsum is df.einsum


def test_einsum_errors():
    a, b = df.zeros([2, 3]), df.zeros([4, 5])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"label 'j' has sizes 3 and 4"):
        df.einsum("ij,jk->ik", a, b)
    with pytest.raises(df.errors.InvalidArgumentError, match="names 2 inputs, got 1"):
        df.einsum("ij,jk->ik", a)
    with pytest.raises(df.errors.InvalidArgumentError, match="3 labels for an input of shape"):
        df.einsum("ijk->i", a)
    with pytest.raises(df.errors.InvalidArgumentError, match="output label 'z'"):
        df.einsum("ij->z", a)
    with pytest.raises(df.errors.InvalidArgumentError, match="output label 'i' appears more than once"):
        df.einsum("ij->ii", a)
    with pytest.raises(ValueError):
        df.einsum("->")


@pytest.mark.parametrize("shape", [(1, 3), (3, 1), (2, 3)])
def test_einsum_diagonal_needs_equal_sizes(shape):
    # numpy and TF refuse these: a size-1 dim does not broadcast against its own diagonal
    with pytest.raises(df.errors.InvalidArgumentError, match=r"label 'i' repeats in term 'ii' with sizes"):
        df.einsum("ii->i", df.zeros(shape))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"label 'i' repeats in term 'ii' with sizes"):
        run_graph(lambda t: df.einsum("ii->i", t), np.zeros(shape), feed_static_shape=False)


def test_einsum_unknown_shapes():
    t = df.einsum("ij,jk", df.placeholder(df.float64, [None, 3]), df.placeholder(df.float64, None))
    assert t.shape.as_list() == [None, None]  # ranks come from the labels, as in TF
    assert df.einsum("...ij,jk", df.placeholder(df.float64, None), df.placeholder(df.float64, [3, 2])).shape.ndims \
        is None
    assert_op(lambda a, b: df.einsum("...ij,jk", a, b), lambda a, b: np.einsum("...ij,jk", a, b),
              rand((2, 4, 3)), rand((3, 5)), feed_static_shape=False)


def test_einsum_gradients_of_diagonals_and_traces():
    a, w = rand((3, 3)), rand((3,), seed=1)
    got = run_graph(lambda x: gradients(df.reduce_sum(df.einsum("ii->i", x) * w), [x])[0], a)
    np.testing.assert_allclose(got, np.diag(w))
    got = run_graph(lambda x: gradients(df.einsum("ii", x), [x])[0], a, feed_static_shape=False)
    np.testing.assert_allclose(got, np.eye(3))
    b = rand((2, 3), seed=2)
    ga, gb = run_graph(lambda x, y: gradients(df.reduce_sum(df.einsum("ij,jj->i", x, y)), [x, y]), b, a)
    np.testing.assert_allclose(ga, np.tile(np.diag(a), (2, 1)))
    np.testing.assert_allclose(gb, np.diag(b.sum(0)))


def test_einsum_gradient_with_inputs_of_unknown_rank():
    x = df.placeholder(df.float64)  # the rank comes from the equation
    g = gradients(df.reduce_sum(df.einsum("iij->j", x) ** 2), [x])[0]
    v = rand((3, 3, 2))
    with df.Session() as s:
        got = s.run(g, {x: v})
    ref = np.zeros_like(v)
    ref[np.arange(3), np.arange(3)] = 2 * np.einsum("iij->j", v)
    np.testing.assert_allclose(got, ref)
    with pytest.raises(df.errors.UnimplementedError, match="known rank where their terms have '...'"):
        gradients(df.einsum("...ii->...i", x), [x])


# -- gradients: GRAD_CASES rows are checked against finite differences by tests/autodiff/test_op_grads.py

def _spd_of(a):
    """A symmetric positive-definite function of any square ``a``: Cholesky reads the lower triangle only, so
    its (symmetric, as TF's) gradient is checked through a symmetric input."""
    n = df.shape(a)[-1]  # known when built, or only when run
    i = df.range(n)
    eye = df.cast(df.equal(i[:, None], i[None, :]), a.dtype)
    return df.matmul(a, a, transpose_b=True) + eye * df.cast(n, a.dtype)


def _einsum(eq):
    return lambda *xs: df.einsum(eq, *xs)


def uniform(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape)


GRAD_CASES = [
    GradCase("MatrixInverse", df.matrix_inverse, [(3, 3)], inputs=lambda: [general((3, 3))], order=2),
    GradCase("MatrixInverse", df.matrix_inverse, [(2, 3, 3)], inputs=lambda: [general((2, 3, 3), seed=1)]),
    GradCase("MatrixInverse", lambda a: df.matrix_inverse(a, adjoint=True), [(3, 3)],
             inputs=lambda: [general((3, 3), seed=2)]),
    GradCase("MatrixDeterminant", df.matrix_determinant, [(3, 3)], inputs=lambda: [general((3, 3))], order=2),
    GradCase("MatrixDeterminant", df.matrix_determinant, [(2, 1, 4, 4)],
             inputs=lambda: [general((2, 1, 4, 4), seed=3)]),
    GradCase("Cholesky", lambda a: df.cholesky(_spd_of(a)), [(3, 3)], order=2),
    GradCase("Cholesky", lambda a: df.cholesky(_spd_of(a)), [(2, 4, 4)]),
    GradCase("MatrixSolve", df.matrix_solve, [(3, 3), (3, 2)], inputs=lambda: [general((3, 3)), uniform((3, 2))],
             order=2),
    GradCase("MatrixSolve", df.matrix_solve, [(2, 3, 3), (2, 3, 1)],
             inputs=lambda: [general((2, 3, 3), seed=4), uniform((2, 3, 1), seed=5)]),
    GradCase("MatrixSolve", lambda a, b: df.matrix_solve(a, b, adjoint=True), [(3, 3), (3, 4)],
             inputs=lambda: [general((3, 3), seed=6), uniform((3, 4), seed=7)]),
    GradCase("Einsum", _einsum("ij,jk->ik"), [(3, 4), (4, 5)], order=2),
    GradCase("Einsum", _einsum("ij,jk"), [(3, 4), (4, 5)]),  # implicit output
    GradCase("Einsum", _einsum("bij,bjk->bik"), [(2, 3, 4), (2, 4, 5)]),
    GradCase("Einsum", _einsum("...ij,...jk->...ik"), [(2, 1, 3, 4), (5, 4, 6)], order=2),
    GradCase("Einsum", _einsum("ij->"), [(3, 4)], order=2),
    GradCase("Einsum", _einsum("ij->ji"), [(3, 4)]),
    GradCase("Einsum", _einsum("ij,j->i"), [(3, 4), (1,)]),  # j broadcast from size 1
    GradCase("Einsum", _einsum("ij,k->ik"), [(3, 4), (2,)]),  # j summed in the first input only
    GradCase("Einsum", _einsum("i,j->ij"), [(3,), (4,)]),
    GradCase("Einsum", _einsum("ij,jk,kl->il"), [(2, 3), (3, 4), (4, 2)], order=2),
    # repeated labels: diagonals, traces, and both mixed with other inputs
    GradCase("Einsum", _einsum("ii->i"), [(3, 3)], order=2),
    GradCase("Einsum", _einsum("ii->"), [(4, 4)], order=2),
    GradCase("Einsum", _einsum("ii"), [(3, 3)]),
    GradCase("Einsum", _einsum("iij->j"), [(3, 3, 2)]),
    GradCase("Einsum", _einsum("iij->ij"), [(3, 3, 2)]),
    GradCase("Einsum", _einsum("iji->ij"), [(3, 2, 3)]),
    GradCase("Einsum", _einsum("iii->i"), [(3, 3, 3)]),
    GradCase("Einsum", _einsum("ij,jj->i"), [(2, 3), (3, 3)], order=2),
    GradCase("Einsum", _einsum("ii,ii->i"), [(3, 3), (3, 3)], order=2),
    GradCase("Einsum", _einsum("ii,i->"), [(3, 3), (3,)], order=2),
    GradCase("Einsum", _einsum("...ii->...i"), [(2, 3, 3)]),
    GradCase("Einsum", lambda x: df.einsum("ii->i", x * x), [(3, 3)], order=2),
]


def test_determinant_gradient_is_the_cofactor_matrix():
    a = general((3, 3))
    got = run_graph(lambda t: gradients(df.matrix_determinant(t), [t])[0], a)
    np.testing.assert_allclose(got, np.linalg.det(a) * np.linalg.inv(a).T)


def test_cholesky_gradient_with_unknown_matrix_size():
    a = spd((2, 3, 3))
    got = run_graph(lambda t: gradients(df.reduce_sum(df.cholesky(t)), [t])[0], a, feed_static_shape=False)
    ref = run_graph(lambda t: gradients(df.reduce_sum(df.cholesky(t)), [t])[0], a)
    np.testing.assert_allclose(got, ref)
    np.testing.assert_allclose(got, np.swapaxes(got, -1, -2))
