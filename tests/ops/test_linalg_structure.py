"""Transposes, bands, diagonals, traces, cross products and matvec of ``tf.linalg`` (and TF1's top-level names),
against numpy on every chunking, with their gradients (composites: checked here by finite differences) and TF's
build-time errors."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op, check_grads, chunkings, rand, run_graph

TESTED_OPS = set()  # all composites of existing ops


def band_ref(x, lower, upper):
    i, j = np.indices(x.shape[-2:])
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    return np.where(keep, x, 0)


def diag_ref(d, k=0, rows=None, cols=None, pad=0.0):
    n = d.shape[-1]
    if rows is None and cols is None:
        rows = cols = n + abs(k)
    rows = rows or n + max(-k, 0)
    cols = cols or n + max(k, 0)
    out = np.full(d.shape[:-1] + (rows, cols), pad, dtype=d.dtype)
    idx = np.arange(n)
    out[..., idx + max(-k, 0), idx + max(k, 0)] = d
    return out


# -- transposes

@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 1, 3, 4)])
def test_matrix_transpose_and_adjoint(shape):
    x = rand(shape) + 1j * rand(shape, seed=1)
    sw = np.swapaxes(x, -1, -2)
    assert_op(df.matrix_transpose, lambda v: sw, x)
    assert_op(df.linalg.transpose, lambda v: sw, x)
    assert_op(lambda t: df.matrix_transpose(t, conjugate=True), lambda v: np.conj(sw), x)
    assert_op(df.linalg.adjoint, lambda v: np.conj(sw), x)
    assert_op(df.matrix_transpose, lambda v: sw, x, feed_static_shape=False)


def test_matrix_transpose_of_unknown_rank_and_names():
    x = df.placeholder(df.complex128)
    with df.Session() as s:
        v = rand((2, 3, 4)) + 1j
        np.testing.assert_array_equal(s.run(df.linalg.adjoint(x), {x: v}), np.conj(np.swapaxes(v, -1, -2)))
    with df.Graph().as_default():
        y = df.placeholder(df.float32, (2, 3))
        assert df.matrix_transpose(y).name == "matrix_transpose:0"
        assert df.linalg.adjoint(y).name == "adjoint/matrix_transpose:0"
    with pytest.raises(df.errors.InvalidArgumentError, match="should be a \\(batch\\) matrix with rank >= 2"):
        df.matrix_transpose(df.zeros([3]))


# -- bands

@pytest.mark.parametrize("lower, upper", [(0, 0), (-1, 0), (0, -1), (1, 2), (-1, -1), (5, 0)])
@pytest.mark.parametrize("shape", [(4, 5), (3, 4, 4), (2, 1, 5, 3)])
def test_band_part(shape, lower, upper):
    x = rand(shape)
    assert_op(lambda t: df.matrix_band_part(t, lower, upper), lambda v: band_ref(v, lower, upper), x)
    assert_op(lambda t: df.linalg.band_part(t, df.constant(lower), df.constant(upper)),
              lambda v: band_ref(v, lower, upper), x, feed_static_shape=False)


def test_band_part_zeros_are_exact_and_dtypes_kept():
    x = np.array([[1.0, np.inf], [np.nan, 2.0]])
    np.testing.assert_array_equal(run_graph(lambda t: df.matrix_band_part(t, 0, 0), x), np.diag([1.0, 2.0]))
    got = run_graph(lambda t: df.matrix_band_part(t, -1, 0), np.arange(9, dtype=np.int32).reshape(3, 3))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, np.tril(np.arange(9).reshape(3, 3)))
    with pytest.raises(df.errors.InvalidArgumentError, match="Shape must be at least rank 2 but is rank 1"):
        df.matrix_band_part(df.zeros([3]), 1, 0)


# -- diagonals

@pytest.mark.parametrize("shape", [(3,), (2, 4), (2, 1, 3)])
def test_matrix_diag(shape):
    d = rand(shape)
    assert_op(df.matrix_diag, diag_ref, d)
    assert_op(df.linalg.diag, diag_ref, d, feed_static_shape=False)
    for k in (-2, 1):
        assert_op(lambda t: df.linalg.diag(t, k=k), lambda v: diag_ref(v, k), d)
    n = shape[-1]
    assert_op(lambda t: df.linalg.diag(t, k=1, num_rows=n + 2, padding_value=7.0),
              lambda v: diag_ref(v, 1, n + 2, n + 1, 7.0), d)
    assert_op(lambda t: df.linalg.diag(t, k=-1, num_cols=n + 3), lambda v: diag_ref(v, -1, n + 1, n + 3), d)
    assert_op(lambda t: df.linalg.diag(t, k=(2, 2)), lambda v: diag_ref(v, 2), d)


def test_matrix_diag_against_tf_values():
    # observed from TF: tf.linalg.diag([1., 2.], k=1, num_rows=4, num_cols=3, padding_value=9)
    got = run_graph(lambda t: df.linalg.diag(t, k=1, num_rows=4, num_cols=3, padding_value=9), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(got, [[9, 1, 9], [9, 9, 2], [9, 9, 9], [9, 9, 9]])
    with pytest.raises(df.errors.InvalidArgumentError, match="num_rows and num_cols are not consistent"):
        df.linalg.diag(df.zeros([3]), k=1, num_rows=4, num_cols=5)
    with pytest.raises(df.errors.UnimplementedError, match="single diagonal"):
        df.linalg.diag(df.zeros([2, 3]), k=(-1, 1))


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 4), (2, 1, 4, 2)])
def test_matrix_diag_part(shape):
    x = rand(shape)
    ref = np.diagonal(x, axis1=-2, axis2=-1)
    assert_op(df.matrix_diag_part, lambda v: ref, x)
    assert_op(df.linalg.diag_part, lambda v: ref, x, feed_static_shape=False)
    for k in (-1, 1):
        assert_op(lambda t: df.linalg.diag_part(t, k=k), lambda v: np.diagonal(v, k, axis1=-2, axis2=-1), x)
    assert_op(df.linalg.trace, lambda v: np.trace(v, axis1=-2, axis2=-1), x)
    assert_op(df.trace, lambda v: np.trace(v, axis1=-2, axis2=-1), x, feed_static_shape=False)


def test_diag_part_and_trace_errors_and_ints():
    with pytest.raises(df.errors.InvalidArgumentError, match="Shape must be at least rank 2 but is rank 1"):
        df.linalg.diag_part(df.zeros([3]))
    with pytest.raises(df.errors.InvalidArgumentError, match="Shape must be at least rank 2 but is rank 1"):
        df.trace(df.zeros([3]))
    with pytest.raises(df.errors.InvalidArgumentError, match="out of bounds"):
        df.linalg.diag_part(df.zeros([2, 3]), k=3)
    m = np.arange(12, dtype=np.int64).reshape(3, 4)
    assert run_graph(df.trace, m) == 15 and run_graph(df.trace, m).dtype == np.int64
    with df.Graph().as_default():
        assert df.trace(df.zeros([2, 3, 4])).name == "Trace:0"


@pytest.mark.parametrize("k", [0, 1, -2])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 4, 3)])
def test_matrix_set_diag(shape, k):
    x = rand(shape)
    n = len(np.diagonal(x[(0,) * (x.ndim - 2)], k))
    d = rand(shape[:-2] + (n,), seed=1)

    def ref(v, w):
        out = v.copy()
        i = np.arange(n)
        out[..., i + max(-k, 0), i + max(k, 0)] = w
        return out
    assert_op(lambda t, w: df.linalg.set_diag(t, w, k=k), ref, x, d)
    assert_op(lambda t, w: df.matrix_set_diag(t, w, k=k), ref, x, d)
    with pytest.raises(df.errors.InvalidArgumentError, match="does not fit diagonal"):
        df.matrix_set_diag(df.zeros(shape, dtype=df.float64), df.zeros(shape[:-2] + (n + 1,), dtype=df.float64),
                           k=k)


def test_set_diag_against_tf_values():
    # observed from TF: tf.linalg.set_diag(np.zeros((3, 4)), [5., 6.], k=2)
    got = run_graph(lambda t: df.linalg.set_diag(t, np.array([5.0, 6.0]), k=2), np.zeros((3, 4)))
    np.testing.assert_array_equal(got, [[0, 0, 5, 0], [0, 0, 0, 6], [0, 0, 0, 0]])
    got = run_graph(lambda t: df.linalg.set_diag(t, df.ones([2], dtype=df.float64)), np.zeros((2, 2)),
                    feed_static_shape=False)
    np.testing.assert_array_equal(got, np.eye(2))


# -- the tensor diagonal: TF1's tf.diag, tf.diag_part

@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 1, 2)])
def test_tensor_diag(shape):
    d = rand(shape)

    def ref(v):
        return np.diag(v.ravel()).reshape(shape + shape)
    assert_op(df.diag, ref, d)
    assert_op(df.linalg.tensor_diag, ref, d, feed_static_shape=False)
    x = rand(shape + shape, seed=2)
    n = int(np.prod(shape))
    part = np.diagonal(x.reshape(n, n)).reshape(shape)
    assert_op(df.diag_part, lambda v: part, x)
    assert_op(df.linalg.tensor_diag_part, lambda v: part, x, feed_static_shape=False)


def test_tensor_diag_part_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="Dimensions must be equal, but are 3 and 4"):
        df.diag_part(df.zeros([2, 3, 2, 4]))
    with pytest.raises(df.errors.InvalidArgumentError, match="even rank"):
        df.diag_part(df.zeros([2, 3, 2]))
    assert df.diag(df.zeros([2, 3])).shape.as_list() == [2, 3, 2, 3]


# -- cross and matvec

@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 5, 3)])
def test_cross(shape):
    a, b = rand(shape), rand(shape, seed=1)
    assert_op(df.cross, np.cross, a, b)
    assert_op(df.linalg.cross, np.cross, a, b, feed_static_shape=False)
    ints = rand(shape, "int32", -5, 5), rand(shape, "int32", -5, 5, seed=3)
    assert_op(df.cross, np.cross, *ints)


def test_cross_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="Dimension must be 3 but is 4"):
        df.cross(df.zeros([2, 4]), df.zeros([2, 4]))
    with pytest.raises(df.errors.InvalidArgumentError, match="same shape"):
        df.cross(df.zeros([2, 3]), df.zeros([4, 3]))
    with pytest.raises(TypeError, match="does not match type"):
        df.cross(df.zeros([3]), df.zeros([3], dtype=df.float64))


@pytest.mark.parametrize("sa, sb", [((4, 3), (3,)), ((2, 4, 3), (3,)), ((2, 4, 3), (2, 3)), ((1, 4, 3), (5, 3))])
def test_matvec(sa, sb):
    a, b = rand(sa), rand(sb, seed=1)
    assert_op(df.linalg.matvec, lambda x, y: (x @ y[..., None])[..., 0], a, b)
    bt = rand(sa[:-2] + (sa[-2],), seed=2)
    assert_op(lambda x, y: df.linalg.matvec(x, y, transpose_a=True),
              lambda x, y: (np.swapaxes(x, -1, -2) @ y[..., None])[..., 0], a, bt)


# -- gradients (the composites' own: their parts' rules are checked elsewhere)

GRADS = [
    (lambda x: df.matrix_band_part(x, 1, 0), [(2, 3, 4)]),
    (lambda x: df.matrix_band_part(x, -1, 2), [(4, 4)]),
    (df.matrix_diag, [(2, 3)]),
    (lambda d: df.linalg.diag(d, k=-1, num_cols=5, padding_value=2.0), [(2, 3)]),
    (df.matrix_diag_part, [(2, 3, 4)]),
    (lambda x: df.linalg.diag_part(x, k=1), [(4, 3)]),
    (lambda x, d: df.matrix_set_diag(x, d, k=1), [(2, 3, 4), (2, 3)]),
    (df.trace, [(2, 3, 3)]),
    (df.diag, [(2, 3)]),
    (df.diag_part, [(2, 3, 2, 3)]),
    (lambda x: df.linalg.adjoint(x) * 2.0, [(2, 3, 4)]),
    (df.cross, [(4, 3), (4, 3)]),
    (df.linalg.matvec, [(2, 4, 3), (3,)]),
]


@pytest.mark.parametrize("i", range(len(GRADS)))
def test_gradients(i):
    build, shapes = GRADS[i]
    arrays = [rand(s, seed=j) for j, s in enumerate(shapes)]
    check_grads(build, arrays)
    check_grads(build, arrays, chunks=[list(chunkings(a.shape))[-1] for a in arrays])


def test_gradient_of_band_part_is_its_band():
    x = rand((3, 4))
    got = run_graph(lambda t: df.gradients(df.reduce_sum(df.matrix_band_part(t, 0, 1) * 3.0), [t])[0], x)
    np.testing.assert_array_equal(got, 3.0 * band_ref(np.ones((3, 4)), 0, 1))


GRAD_CASES = [GradCase("Select", lambda x: df.matrix_band_part(x, 1, 1), [(3, 3)], order=2),
              GradCase("Einsum", df.trace, [(3, 3)], order=2)]
