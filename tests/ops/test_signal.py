"""``tf.signal``: windows, the mel matrix, DCTs, MFCCs, framing, overlap-add, STFTs, MDCTs, the N-D FFT wrappers and
fftshift, against numpy/scipy or values observed from TensorFlow; gradients of the composites by finite
differences; errors as TF1."""
import numpy as np
import pytest
import scipy.fftpack
import scipy.signal

import daskflow as df
from daskflow.ops import signal as sg
from daskflow.ops import spectral as sp
from daskflow.testing import assert_op, check_grads, rand, run_graph

TESTED_OPS = set()  # composites only: no op types of their own

TF_SIGNAL = ["dct", "fft", "fft2d", "fft3d", "fftnd", "fftshift", "frame", "hamming_window", "hann_window", "idct",
             "ifft", "ifft2d", "ifft3d", "ifftnd", "ifftshift", "inverse_mdct", "inverse_stft",
             "inverse_stft_window_fn", "irfft", "irfft2d", "irfft3d", "irfftnd", "kaiser_bessel_derived_window",
             "kaiser_window", "linear_to_mel_weight_matrix", "mdct", "mfccs_from_log_mel_spectrograms",
             "overlap_and_add", "rfft", "rfft2d", "rfft3d", "rfftnd", "stft", "vorbis_window"]  # dir(tf.signal)
TF_SPECTRAL = ["dct", "fft", "fft2d", "fft3d", "idct", "ifft", "ifft2d", "ifft3d", "irfft", "irfft2d", "irfft3d",
               "rfft", "rfft2d", "rfft3d"]  # dir(tf.compat.v1.spectral)


def test_namespaces_hold_tfs_names():
    assert sorted(sg.NAMESPACES["signal"]) == TF_SIGNAL
    assert sorted(sp.NAMESPACES["spectral"] + sg.NAMESPACES["spectral"]) == TF_SPECTRAL
    for n in TF_SIGNAL:
        assert callable(getattr(sg, n))
    assert sg.fft is sp.fft and sg.fftnd is not sp.fftnd  # tf.signal.fftnd is the wrapper with norm


def window(fn, *args, **kw):
    return run_graph(lambda: fn(*args, dtype=df.float64, **kw))


# -- windows and the mel matrix

def test_windows_match_scipy():
    np.testing.assert_allclose(window(sg.hann_window, 8), scipy.signal.get_window("hann", 8), atol=1e-12)
    np.testing.assert_allclose(window(sg.hann_window, 9, periodic=False), np.hanning(9), atol=1e-12)
    np.testing.assert_allclose(window(sg.hamming_window, 10), scipy.signal.get_window("hamming", 10), atol=1e-12)
    np.testing.assert_allclose(window(sg.kaiser_window, 9, beta=3.0), np.kaiser(9, 3.0), atol=1e-12)
    np.testing.assert_allclose(window(sg.kaiser_bessel_derived_window, 16, beta=4.0),
                               scipy.signal.windows.kaiser_bessel_derived(16, 4.0 * np.pi / np.pi), atol=1e-12)
    assert run_graph(lambda: sg.hann_window(4)).dtype == np.float32


# values observed from TensorFlow (float64)
TF_WINDOWS = [
    (sg.hann_window, (7,), {}, [0.0, 0.25, 0.75, 1.0, 0.75, 0.25, 0.0]),  # periodic, odd: TF's symmetric window
    (sg.hann_window, (6,), {"periodic": False}, [0.0, 0.3454915, 0.9045085, 0.9045085, 0.3454915, 0.0]),
    (sg.hamming_window, (6,), {}, [0.08, 0.31, 0.77, 1.0, 0.77, 0.31]),
    (sg.kaiser_bessel_derived_window, (9,), {"beta": 4.0},  # 2 * (9 // 2) points
     [0.19027811, 0.54350958, 0.83940296, 0.98173023, 0.98173023, 0.83940296, 0.54350958, 0.19027811]),
    (sg.vorbis_window, (5,), {}, [0.14943586, 0.85631905, 1.0, 0.85631905, 0.14943586]),
    (sg.kaiser_window, (5,), {"beta": 2.0}, [0.43867628, 0.83476143, 1.0, 0.83476143, 0.43867628]),
    (sg.hann_window, (1,), {}, [1.0]),
]


@pytest.mark.parametrize("fn, args, kw, expected", TF_WINDOWS)
def test_windows_equal_tensorflows(fn, args, kw, expected):
    np.testing.assert_allclose(window(fn, *args, **kw), expected, atol=1e-8)


TF_MEL = [[0.0, 0.0, 0.0, 0.0], [0.2157916, 0.0, 0.0, 0.0], [0.75571661, 0.24428339, 0.0, 0.0],
          [0.0, 0.80236658, 0.19763342, 0.0], [0.0, 0.0, 0.91392219, 0.08607781], [0.0, 0.0, 0.08210622, 0.91789378],
          [0.0, 0.0, 0.0, 0.30013033], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]


def test_mel_matrix_equals_tensorflows():
    got = run_graph(lambda: sg.linear_to_mel_weight_matrix(4, 9, 1000, 50.0, 400.0, dtype=df.float64))
    np.testing.assert_allclose(got, TF_MEL, atol=1e-8)
    default = run_graph(sg.linear_to_mel_weight_matrix)
    assert default.shape == (129, 20) and default.dtype == np.float32
    assert not default[0].any() and (default >= 0).all() and (default <= 1).all()  # the DC bin weighs nothing


def test_window_and_mel_errors():
    with df.Graph().as_default():
        with pytest.raises(ValueError, match="dtype must be a floating point type"):
            sg.hann_window(4, dtype=df.int32)
        with pytest.raises(ValueError, match="lower_edge_hertz 500.0 >= upper_edge_hertz 400.0"):
            sg.linear_to_mel_weight_matrix(4, 9, 1000, 500.0, 400.0)
        with pytest.raises(ValueError, match="upper_edge_hertz must not be larger than the Nyquist frequency"):
            sg.linear_to_mel_weight_matrix(4, 9, 1000, 50.0, 600.0)
        with pytest.raises(ValueError, match="num_mel_bins must be positive"):
            sg.linear_to_mel_weight_matrix(0)
        with pytest.raises(ValueError, match="must be known when the graph is built"):
            sg.hann_window(df.placeholder(df.int32, []))


# -- DCTs and MFCCs

@pytest.mark.parametrize("dct_type, norm", [(1, None), (2, None), (2, "ortho"), (3, None), (3, "ortho"), (4, None),
                                            (4, "ortho")])
def test_dct_and_idct_match_scipy(dct_type, norm):
    x = rand((3, 9))
    assert_op(lambda a: sg.dct(a, type=dct_type, norm=norm), lambda a: scipy.fftpack.dct(a, dct_type, norm=norm), x)
    assert_op(lambda a: sg.idct(a, type=dct_type, norm=norm), lambda a: scipy.fftpack.idct(a, dct_type, norm=norm), x)
    check_grads(lambda a: sg.dct(a, type=dct_type, norm=norm), [x])


def test_dct_n_crops_or_pads_and_float32():
    x = rand((2, 6))
    assert_op(lambda a: sg.dct(a, n=4), lambda a: scipy.fftpack.dct(a, n=4), x)
    assert_op(lambda a: sg.dct(a, n=9, type=3), lambda a: scipy.fftpack.dct(a, 3, n=9), x)
    y = assert_op(lambda a: sg.dct(a, norm="ortho"), lambda a: scipy.fftpack.dct(a, norm="ortho"), x.astype("float32"),
                  rtol=1e-5, atol=1e-5)
    assert y.dtype == np.float32
    x = np.linspace(-1, 2, 10).reshape(2, 5)
    np.testing.assert_allclose(run_graph(lambda a: sg.dct(a, n=3), x), [[-4.0, -1.15470054, 0.0],
                                                                        [6.0, -1.15470054, 0.0]], atol=1e-8)  # TF's


def test_mfccs_equal_tensorflows():
    x = np.linspace(-1, 2, 10).reshape(2, 5)
    got = assert_op(sg.mfccs_from_log_mel_spectrograms, lambda a: scipy.fftpack.dct(a) / np.sqrt(10), x)
    np.testing.assert_allclose(got, [[-1.05409255, -1.0498333, 0.0, -0.09466341, 0.0],
                                     [4.21637021, -1.0498333, 0.0, -0.09466341, 0.0]], atol=1e-8)


def test_dct_errors():
    with df.Graph().as_default():
        x = df.constant(np.ones((2, 4)))
        with pytest.raises(ValueError, match="Normalization is not supported for the Type-I DCT"):
            sg.dct(x, type=1, norm="ortho")
        with pytest.raises(ValueError, match="Type-I DCT requires the dimension to be greater than one"):
            sg.dct(df.constant(np.ones((2, 1))), type=1)
        with pytest.raises(ValueError, match="Types I, II, III and IV"):
            sg.dct(x, type=5)
        with pytest.raises(ValueError, match="Unknown normalization"):
            sg.idct(x, norm="forward")
        with pytest.raises(ValueError, match="axis must be -1"):
            sg.dct(x, axis=0)
        with pytest.raises(ValueError, match="n should be a positive integer or None"):
            sg.dct(x, n=0)


# -- framing and overlap-add

def np_frame(x, length, step, axis=-1):
    x = np.moveaxis(x, axis, -1)
    n = max(0, 1 + (x.shape[-1] - length) // step)
    out = np.stack([x[..., i * step:i * step + length] for i in range(n)], -2) if n else np.zeros(
        x.shape[:-1] + (0, length))
    return np.moveaxis(out, (-2, -1), (axis % (x.ndim + 1) - 1 if axis < 0 else axis, axis % (x.ndim + 1)))


def np_overlap_and_add(x, step):
    frames, length = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + ((frames - 1) * step + length,))
    for i in range(frames):
        out[..., i * step:i * step + length] += x[..., i, :]
    return out


@pytest.mark.parametrize("length, step", [(5, 2), (4, 4), (3, 7), (20, 3), (21, 1)])
def test_frame_matches_numpy(length, step):
    x = rand((2, 20))
    assert_op(lambda a: sg.frame(a, length, step), lambda a: np_frame(a, length, step), x)
    check_grads(lambda a: sg.frame(a, length, step), [x])


def test_frame_along_other_axes_and_padded():
    x = rand((11, 3))
    got = assert_op(lambda a: sg.frame(a, 4, 3, axis=0), lambda a: np.stack([a[i:i + 4] for i in (0, 3, 6)]), x)
    assert got.shape == (3, 4, 3)
    got = run_graph(lambda a: sg.frame(a, 3, 2, pad_end=True, pad_value=-1.0), np.arange(7.0))
    np.testing.assert_array_equal(got, [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, -1, -1]])  # TF's
    got = run_graph(lambda a: sg.frame(a, 3, 2, pad_end=True), np.arange(8.0).reshape(1, 8), feed_static_shape=False)
    np.testing.assert_array_equal(got, [[[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 0]]])
    got = run_graph(lambda a: sg.frame(a, 3, 2), np.arange(8.0).reshape(1, 8), feed_static_shape=False)
    assert got.shape == (1, 3, 3)


@pytest.mark.parametrize("step", [1, 2, 3, 7, 9])
def test_overlap_and_add_matches_numpy(step):
    x = rand((2, 5, 7))
    assert_op(lambda a: sg.overlap_and_add(a, step), lambda a: np_overlap_and_add(a, step), x)
    check_grads(lambda a: sg.overlap_and_add(a, step), [x])
    np.testing.assert_array_equal(run_graph(lambda a: sg.overlap_and_add(a, 3), np.arange(12.0).reshape(3, 4)),
                                  [0, 1, 2, 7, 5, 6, 15, 9, 10, 11])  # TF's


def test_overlap_and_add_with_frames_known_at_run_time():
    with df.Graph().as_default():
        x = df.placeholder(df.float64, [None, None, 4])
        y = sg.overlap_and_add(x, 3)
        v = rand((2, 5, 4))
        with df.Session() as s:
            np.testing.assert_allclose(s.run(y, {x: v}), np_overlap_and_add(v, 3))


# -- STFT and MDCT

SIG = np.sin(np.arange(16) * 0.7) + 0.1 * np.arange(16)
TF_STFT = [[2.46323712 + 0j, -1.46786656 - 1.56307985j, 0.24149621 + 0.65691866j, -0.00210974 + 0.0105077j,
            -0.00627694 + 0j],
           [2.00498315 + 0j, -0.15834113 + 2.06958596j, -0.52058943 - 0.62133552j, -0.06152749 - 0.0132614j,
            -0.05367463 + 0j],
           [7.05882165 + 0j, -4.07595314 - 0.66868744j, 0.61522354 + 0.34220189j, -0.00624734 + 0.00465555j,
            -0.01687842 + 0j],
           [1.6068697 + 0j, 0.03068253 - 1.18346688j, -0.39373336 + 0.18905969j, 0.2980533 - 0.06726434j,
            -0.16193134 + 0j]]


def test_stft_matches_numpy_and_tensorflow():
    x = rand((2, 50))
    ref = lambda a: np.fft.rfft(np_frame(a, 12, 5) * scipy.signal.get_window("hann", 12), 16)  # noqa: E731
    assert_op(lambda a: sg.stft(a, 12, 5), ref, x)
    got = run_graph(lambda a: sg.stft(a, 8, 4, fft_length=8, window_fn=sg.hamming_window, pad_end=True), SIG)
    np.testing.assert_allclose(got, TF_STFT, atol=1e-7)
    check_grads(lambda a: [df.real(sg.stft(a, 12, 5)), df.imag(sg.stft(a, 12, 5))], [x])


def test_inverse_stft_reconstructs_the_signal():
    x = rand((2, 64))
    win = sg.inverse_stft_window_fn(4)
    got = run_graph(lambda a: sg.inverse_stft(sg.stft(a, 16, 4), 16, 4, window_fn=win), x)
    np.testing.assert_allclose(got[:, 12:52], x[:, 12:52], atol=1e-10)
    np.testing.assert_allclose(run_graph(lambda: sg.inverse_stft_window_fn(3)(8, df.float64)),
                               [0.0, 0.1404234, 0.51095832, 0.87226042, 0.95887094, 0.87226042, 0.51095832, 0.1404234],
                               atol=1e-8)  # TF's
    check_grads(lambda a: sg.inverse_stft(df.complex(a, a), 10, 4, fft_length=8), [rand((3, 5))])


def test_mdct_equals_tensorflows_and_reconstructs():
    np.testing.assert_allclose(run_graph(lambda a: sg.mdct(a, 8), SIG),
                               [[-2.76675346, 3.32825258, -0.22038875, 0.2404152],
                                [-3.11058823, -3.50218335, -0.54190883, -0.35788021],
                                [-9.93720347, 2.85468057, -0.56789443, 0.16117297]], atol=1e-7)
    np.testing.assert_allclose(run_graph(lambda a: sg.mdct(a, 8, pad_end=True, norm="ortho", window_fn=None), SIG),
                               [[-0.49429312, 0.78800855, -0.04099136, -0.12956651],
                                [-1.87676919, -1.46570399, 0.66598899, 0.59250386],
                                [-3.018266, 0.30502341, 0.07994754, 0.04929747],
                                [0.45554596, -0.86603226, 0.38335345, 0.30912332]], atol=1e-7)
    x = np.linspace(-1, 2, 10).reshape(2, 5)[:, :4]
    np.testing.assert_allclose(run_graph(sg.inverse_mdct, x),
                               [0.00049676, -0.01186916, 0.02253164, -0.00829927, 0.10892054, 0.26963771, 0.41090769,
                                -0.25281826, 0.46777312, -0.56430171, -0.29726136, 0.02799912], atol=1e-7)
    wav = rand((200,))
    for norm in (None, "ortho"):
        got = run_graph(lambda a: sg.inverse_mdct(sg.mdct(df.pad(a, [[20, 0]]), 40, pad_end=True, norm=norm),
                                                  norm=norm)[20:220], wav)
        np.testing.assert_allclose(got, wav, atol=1e-10)
    check_grads(lambda a: sg.mdct(a, 8), [rand((2, 24))])
    with df.Graph().as_default(), pytest.raises(ValueError, match="The frame length must be a multiple of 4"):
        sg.mdct(df.constant(SIG), 6)


# -- the N-D wrappers and fftshift

@pytest.mark.parametrize("norm", [None, "backward", "forward", "ortho"])
def test_nd_wrappers_match_numpy(norm):
    c = rand((4, 5, 6)) + 1j * rand((4, 5, 6), seed=1)
    assert_op(lambda a: sg.fftnd(a, norm=norm), lambda a: np.fft.fftn(a, norm=norm), c)
    assert_op(lambda a: sg.ifftnd(a, [3, 8], axes=[2, 0], norm=norm),
              lambda a: np.fft.ifftn(a, [3, 8], axes=[2, 0], norm=norm), c)
    assert_op(lambda a: sg.rfftnd(a, axes=[1, 2], norm=norm), lambda a: np.fft.rfftn(a, axes=[1, 2], norm=norm),
              c.real)
    assert_op(lambda a: sg.irfftnd(a, axes=[0, 1], norm=norm), lambda a: np.fft.irfftn(a, axes=[0, 1], norm=norm), c)
    with df.Graph().as_default():
        assert sg.rfftnd(df.constant(c.real.astype("float32"))).dtype == df.complex64
        with pytest.raises(ValueError, match="Invalid norm value"):
            sg.fftnd(df.constant(c), norm="half")


def test_fftshift_matches_numpy():
    x = rand((5, 6, 3))
    assert_op(sg.fftshift, np.fft.fftshift, x)
    assert_op(lambda a: sg.ifftshift(a, axes=[0, 2]), lambda a: np.fft.ifftshift(a, axes=[0, 2]), x)
    assert_op(lambda a: sg.fftshift(a, axes=1), lambda a: np.fft.fftshift(a, axes=1), x)
    got = run_graph(lambda a: sg.ifftshift(sg.fftshift(a)), x, feed_static_shape=False)
    np.testing.assert_array_equal(got, x)
