"""The FFT ops (``tf.fft``..., ``tf.spectral``, the ``tf.signal`` FFTs) against numpy.fft, over chunkings; their
gradients by finite differences (complex inputs and outputs split into real and imaginary parts) and against
TensorFlow's; static shapes, dtypes and errors as TF1."""
import numpy as np
import pytest

import daskflow as df
from daskflow.autodiff import gradients
from daskflow.ops import spectral as sp
from daskflow.ops.registry import OPS
from daskflow.testing import GradCase, assert_op, check_grads, rand, run_graph, with_unknown_dims

TESTED_OPS = {"FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D", "RFFT", "IRFFT", "RFFT2D", "IRFFT2D", "RFFT3D",
              "IRFFT3D", "FFTND", "IFFTND", "RFFTND", "IRFFTND"}


def crand(shape, dtype="complex128", seed=0):
    return (rand(shape, seed=seed) + 1j * rand(shape, seed=seed + 1)).astype(dtype)


def parts(fn):
    """A function of real and imaginary parts giving the real and imaginary parts of ``fn`` of the complex tensor."""
    def build(re, im):
        y = fn(df.complex(re, im))
        return [df.real(y), df.imag(y)] if y.dtype.kind == "c" else y
    return build


def real_parts(fn):
    def build(x):
        y = fn(x)
        return [df.real(y), df.imag(y)]
    return build


def test_tested_ops_are_registered():
    assert TESTED_OPS <= set(OPS)


# -- values against numpy.fft

COMPLEX_CASES = [
    (sp.fft, np.fft.fft, (3, 7)), (sp.ifft, np.fft.ifft, (2, 3, 8)), (sp.fft2d, np.fft.fft2, (3, 4, 5)),
    (sp.ifft2d, np.fft.ifft2, (4, 6)), (sp.fft3d, lambda a: np.fft.fftn(a, axes=(-3, -2, -1)), (2, 3, 4, 5)),
    (sp.ifft3d, lambda a: np.fft.ifftn(a, axes=(-3, -2, -1)), (3, 4, 5)),
]


@pytest.mark.parametrize("fn, ref, shape", COMPLEX_CASES, ids=lambda c: getattr(c, "__name__", str(c)))
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_transforms_match_numpy(fn, ref, shape, dtype):
    tol = 1e-4 if dtype == "complex64" else 1e-10
    assert_op(fn, lambda a: ref(a).astype(dtype), crand(shape, dtype), rtol=tol, atol=tol)


@pytest.mark.parametrize("fn, ref, rank", [(sp.rfft, np.fft.rfftn, 1), (sp.rfft2d, np.fft.rfftn, 2),
                                           (sp.rfft3d, np.fft.rfftn, 3)])
@pytest.mark.parametrize("grow", [0, -1, 3])
def test_rfft_matches_numpy_with_fft_length(fn, ref, rank, grow):
    x = rand((2, 4, 5, 6))
    lengths = [n + grow for n in x.shape[-rank:]]
    axes = list(range(-rank, 0))
    got = assert_op(lambda a: fn(a, lengths), lambda a: ref(a, lengths, axes=axes), x, rtol=1e-10, atol=1e-10)
    assert got.shape[-1] == lengths[-1] // 2 + 1


@pytest.mark.parametrize("fn, ref, rank", [(sp.irfft, np.fft.irfftn, 1), (sp.irfft2d, np.fft.irfftn, 2),
                                           (sp.irfft3d, np.fft.irfftn, 3)])
@pytest.mark.parametrize("lengths_of", [lambda s: None, lambda s: [n + 1 for n in s], lambda s: [n - 1 for n in s]])
def test_irfft_matches_numpy_with_fft_length(fn, ref, rank, lengths_of):
    x = crand((3, 4, 5, 4))
    lengths = lengths_of(x.shape[-rank:])
    axes = list(range(-rank, 0))
    assert_op(lambda a: fn(a, lengths), lambda a: ref(a, lengths, axes=axes), x, rtol=1e-10, atol=1e-10)


def test_float32_rfft_gives_complex64_and_back():
    x = rand((3, 10), "float32")
    y = assert_op(sp.rfft, lambda a: np.fft.rfft(a).astype("complex64"), x, rtol=1e-5, atol=1e-5)
    assert y.dtype == np.complex64
    z = assert_op(sp.irfft, lambda a: np.fft.irfft(a).astype("float32"), y, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(z, x, atol=1e-5)


def test_irfft_ignores_the_imaginary_parts_of_dc_and_nyquist():
    z = np.array([1 + 5j, 2 + 1j, 3 + 7j], "complex64")
    np.testing.assert_allclose(run_graph(lambda a: sp.irfft(a, [4]), z), [2.0, -1.0, 0.0, 0.0], atol=1e-6)  # TF's
    np.testing.assert_allclose(run_graph(sp.irfft, z.real.astype("complex64")), [2.0, -0.5, 0.0, -0.5], atol=1e-6)


@pytest.mark.parametrize("fft_length, axes", [([3, 5], [0, 1]), ([4], [1]), ([2, 3, 7], [2, 0, 1]), ([5], [-3])])
def test_nd_ops_match_numpy(fft_length, axes):
    c, r = crand((4, 5, 6)), rand((4, 5, 6))
    assert_op(lambda a: sp.fftnd(a, fft_length, axes), lambda a: np.fft.fftn(a, fft_length, axes), c)
    assert_op(lambda a: sp.ifftnd(a, fft_length, axes), lambda a: np.fft.ifftn(a, fft_length, axes), c)
    assert_op(lambda a: sp.rfftnd(a, fft_length, axes, Tcomplex=df.complex128),
              lambda a: np.fft.rfftn(a, fft_length, axes), r)
    assert_op(lambda a: sp.irfftnd(a, fft_length, axes, Treal=df.float64),
              lambda a: np.fft.irfftn(a, fft_length, axes), c)


def test_empty_inputs_give_empty_or_zero_outputs():
    assert run_graph(sp.fft, np.zeros((3, 0), "complex64")).shape == (3, 0)
    assert run_graph(sp.rfft, np.zeros((0, 4), "float32")).shape == (0, 3)
    np.testing.assert_array_equal(run_graph(lambda a: sp.rfft(a, [4]), np.zeros((2, 0))), np.zeros((2, 3)))


# -- static shapes, dtypes, names

def test_static_shapes_dtypes_and_names():
    with df.Graph().as_default():
        y = sp.rfft(df.placeholder(df.float32, [None, None]), fft_length=[6])
        assert y.shape.as_list() == [None, 4] and y.dtype == df.complex64
        assert (y.op.type, y.op.name) == ("RFFT", "rfft")
        assert sp.irfft(df.placeholder(df.complex64, [3, 5])).shape.as_list() == [3, 8]
        assert sp.irfft(df.placeholder(df.complex128, [3, 5])).dtype == df.float64
        assert sp.rfft(df.placeholder(df.float64, [2, 4])).dtype == df.complex128
        f = sp.fft(df.placeholder(df.complex64, [None, 5]))
        assert f.shape.as_list() == [None, 5] and (f.op.type, f.op.name) == ("FFT", "FFT")
        assert sp.rfft2d(df.placeholder(df.float32, [2, 4, 6])).op.type == "RFFT2D"
        assert sp.fftnd(df.placeholder(df.complex64, [4, 6]), [5], [0]).shape.as_list() == [5, 6]


# -- gradients: finite differences over real and imaginary parts, and TensorFlow's values

GRAD_CASES = [
    GradCase("FFT", parts(sp.fft), [(3, 5), (3, 5)], order=2),
    GradCase("IFFT", parts(sp.ifft), [(2, 6), (2, 6)], order=2),
    GradCase("FFT2D", parts(sp.fft2d), [(2, 3, 4), (2, 3, 4)]),
    GradCase("IFFT2D", parts(sp.ifft2d), [(3, 4), (3, 4)]),
    GradCase("FFT3D", parts(sp.fft3d), [(2, 3, 4), (2, 3, 4)]),
    GradCase("IFFT3D", parts(sp.ifft3d), [(2, 2, 3, 4), (2, 2, 3, 4)]),
    GradCase("RFFT", real_parts(sp.rfft), [(3, 7)], order=2),
    GradCase("RFFT", real_parts(lambda x: sp.rfft(x, [4])), [(3, 7)]),
    GradCase("RFFT", real_parts(lambda x: sp.rfft(x, [10])), [(3, 7)]),
    GradCase("IRFFT", parts(sp.irfft), [(3, 5), (3, 5)], order=2),
    GradCase("IRFFT", parts(lambda z: sp.irfft(z, [5])), [(3, 4), (3, 4)]),
    GradCase("IRFFT", parts(lambda z: sp.irfft(z, [4])), [(3, 5), (3, 5)]),
    GradCase("IRFFT", parts(lambda z: sp.irfft(z, [11])), [(3, 4), (3, 4)]),
    GradCase("RFFT2D", real_parts(lambda x: sp.rfft2d(x, [3, 8])), [(2, 4, 6)]),
    GradCase("IRFFT2D", parts(lambda z: sp.irfft2d(z, [5, 7])), [(3, 4), (3, 4)]),
    GradCase("RFFT3D", real_parts(sp.rfft3d), [(2, 3, 4)]),
    GradCase("IRFFT3D", parts(sp.irfft3d), [(2, 3, 4), (2, 3, 4)]),
    GradCase("FFTND", parts(lambda z: sp.fftnd(z, [3, 6], [0, 1])), [(4, 5), (4, 5)], order=2),
    GradCase("IFFTND", parts(lambda z: sp.ifftnd(z, [4], [0])), [(3, 5), (3, 5)]),
    GradCase("RFFTND", real_parts(lambda x: sp.rfftnd(x, [5, 3], [1, 0], Tcomplex=df.complex128)), [(4, 6)]),
    GradCase("IRFFTND", parts(lambda z: sp.irfftnd(z, [3, 6], [0, 1], Treal=df.float64)), [(4, 5), (4, 5)]),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=repr)
def test_gradients_match_finite_differences(case):
    arrays = case.arrays()
    check_grads(case.build, arrays, order=case.order)
    check_grads(case.build, arrays, chunks=[tuple((1,) * n for n in a.shape) for a in arrays])


def stacked(build):
    def f(*xs):
        y = build(*xs)
        return df.stack(y) if isinstance(y, list) else y
    return f


def test_gradients_with_sizes_known_only_at_run_time():
    z = crand((3, 6))
    check_grads(with_unknown_dims(stacked(parts(sp.fft))), [z.real, z.imag])
    check_grads(with_unknown_dims(stacked(parts(sp.ifft2d))), [z.real, z.imag])
    check_grads(with_unknown_dims(stacked(real_parts(lambda x: sp.rfft(x, [4])))), [z.real])
    check_grads(with_unknown_dims(stacked(real_parts(lambda x: sp.rfft(x, [9])))), [z.real])
    check_grads(with_unknown_dims(stacked(parts(lambda c: sp.irfft(c, [13])))), [z.real, z.imag])
    check_grads(with_unknown_dims(stacked(parts(lambda c: sp.irfft(c, [5])))), [z.real, z.imag])


Z = np.array([[1 + 2j, 0.5 - 1j, -1 + 0.25j, 2 + 1j], [0.3 + 0.1j, -0.7 + 0.2j, 1.1 - 0.4j, 0.2 + 0.9j]])
R = np.array([[0.3, -1.2, 0.5, 2.0, 0.1], [1.0, 0.4, -0.6, 0.8, -0.2]])
# TensorFlow's gradients of sum(irfft(Z, [n]) * cos(arange(n))) with respect to Z (every row alike)
TF_IRFFT_GRADS = {
    6: [-0.03930308 + 0j, 0.97895666 - 0.14264504j, 0.04430683 - 0.00552621j, 0.01603959 + 0j],
    7: [0.10347883 + 0j, 0.9845357 + 0.33041876j, -0.06837496 - 0.04493225j, -0.01963957 - 0.01058369j],
    8: [0.18478176 + 0j, 0.76705885 + 0.60699124j, -0.04941677 - 0.26501368j, 0.05976296 - 0.08116732j],
}
# and of sum(real(rfft(R, [n]) * (cos(k) + i sin(k + 1)))) with respect to R
TF_RFFT_GRADS = {
    5: [1.12415547, 2.45137396, 0.83454832, 0.03403129, 0.55589095],
    6: [0.13416297, 3.37790525, 0.61319093, 1.03354335, -0.71733139],
    8: [-0.51948065, 2.98467566, 2.42860314, 0.53827198, 0.37989973],
}


@pytest.mark.parametrize("n", sorted(TF_IRFFT_GRADS))
def test_irfft_gradient_equals_tensorflows(n):
    got = run_graph(lambda a: gradients(df.reduce_sum(sp.irfft(a, [n]) * np.cos(np.arange(n))), a)[0], Z)
    np.testing.assert_allclose(got, [TF_IRFFT_GRADS[n]] * 2, atol=1e-7)


@pytest.mark.parametrize("n", sorted(TF_RFFT_GRADS))
def test_rfft_gradient_equals_tensorflows(n):
    k = np.arange(n // 2 + 1)
    w = np.cos(k) + 1j * np.sin(k + 1.0)
    got = run_graph(lambda a: gradients(df.reduce_sum(df.real(sp.rfft(a, [n]) * w)), a)[0], R)
    np.testing.assert_allclose(got, [TF_RFFT_GRADS[n]] * 2, atol=1e-7)


def test_fft_gradient_is_n_times_ifft():
    dy = crand((2, 6), seed=3)
    got = run_graph(lambda z, d: gradients(sp.fft(z), z, grad_ys=d)[0], crand((2, 6)), dy)
    np.testing.assert_allclose(got, 6 * np.fft.ifft(dy), atol=1e-12)


# -- errors

def test_dtype_errors():
    with df.Graph().as_default():
        with pytest.raises(TypeError, match="parameter 'input' has DataType float32 not in list of allowed values: "
                                            "complex64, complex128"):
            sp.fft(np.ones(3, "float32"))
        with pytest.raises(ValueError, match="RFFT requires tf.float32 or tf.float64 inputs"):
            sp.rfft(df.constant([1, 2, 3]))
        with pytest.raises(ValueError, match="IRFFT requires tf.complex64 or tf.complex128 inputs"):
            sp.irfft(np.ones(3, "float32"))
        with pytest.raises(TypeError, match="DataType complex64 not in list of allowed values: float32, float64"):
            sp.rfftnd(np.ones(3, "complex64"), [3], [0])


def test_rank_and_fft_length_errors():
    with df.Graph().as_default():
        with pytest.raises(df.errors.InvalidArgumentError, match="Shape must be at least rank 1 but is rank 0"):
            sp.fft(np.complex64(1))
        with pytest.raises(df.errors.InvalidArgumentError, match="Shape must be at least rank 2 but is rank 1"):
            sp.fft2d(np.ones(3, "complex64"))
        with pytest.raises(ValueError, match="Dimension must be 1 but is 2"):
            sp.rfft(np.ones(3, "float32"), fft_length=[2, 3])
        with pytest.raises(df.errors.InvalidArgumentError, match=r"fft_length\[0\] must >= 0, but got: -1"):
            sp.rfft(np.ones(3, "float32"), fft_length=[-1])
        with pytest.raises(df.errors.InvalidArgumentError, match="out of range"):
            sp.fftnd(np.ones((2, 3), "complex64"), [3], [2])
        with pytest.raises(df.errors.InvalidArgumentError, match="repeat"):
            sp.fftnd(np.ones((2, 3), "complex64"), [3, 3], [1, -1])
        with pytest.raises(ValueError, match="must be known when the graph is built"):
            sp.rfft(df.placeholder(df.float32, None))  # unknown rank (unknown dims are taken at run time)
