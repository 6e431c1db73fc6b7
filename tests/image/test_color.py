"""Colour functions and metrics beyond the TF fixtures: numpy references, the random adjustments, gradients and
TF1's errors."""
import numpy as np
import pytest

import daskflow as df
import daskflow.image as image
from daskflow.testing import assert_op, check_grads, rand, run_graph

RGB = rand((3, 4, 5, 3), low=0.05, high=0.95, seed=8).astype("float32")


def test_convert_image_dtype_against_numpy():
    u8 = np.arange(256, dtype=np.uint8).reshape(4, 8, 8, 1)
    assert_op(lambda x: image.convert_image_dtype(x, df.float32), lambda x: x.astype("f4") * np.float32(1 / 255), u8)
    # TF widens by (65535 + 1) // (255 + 1)
    assert_op(lambda x: image.convert_image_dtype(x, df.uint16), lambda x: x.astype("u2") * 256, u8, rtol=0)
    f = np.linspace(-0.5, 1.5, 40, dtype="float32").reshape(2, 4, 5, 1)
    assert_op(lambda x: image.convert_image_dtype(x, df.uint8, saturate=True),
              lambda x: np.clip(x * np.float32(255.5), 0, 255).astype("u1"), f, rtol=0)
    x = df.placeholder(df.float32, [1, 2, 2, 3])
    assert image.convert_image_dtype(x, df.float32).op.type == "Identity"
    with pytest.raises(AttributeError, match="dtype must be either floating point or integer"):
        image.convert_image_dtype(x, df.bool)
    with pytest.raises(AttributeError, match="image dtype must be either floating point or integer"):
        image.convert_image_dtype(df.placeholder(df.bool, [1, 1, 1]), df.float32)


def test_grayscale_to_rgb_and_standardization():
    g = rand((2, 3, 4, 1), seed=9)
    assert_op(image.grayscale_to_rgb, lambda x: np.repeat(x, 3, -1), g, rtol=0)
    with pytest.raises(ValueError, match="Last dimension of a grayscale image should be size 1."):
        image.grayscale_to_rgb(df.zeros([2, 2, 3]))

    def standardize(x):
        m = x.mean(axis=(-1, -2, -3), keepdims=True)
        s = np.maximum(x.std(axis=(-1, -2, -3), keepdims=True), 1 / np.sqrt(np.prod(x.shape[-3:])))
        return ((x - m) / s).astype("float32")
    assert_op(image.per_image_standardization, standardize, RGB, rtol=1e-5, atol=1e-5)
    flat = np.full((1, 2, 2, 1), 3.0, "float32")  # zero variance: divided by 1 / sqrt(pixels)
    np.testing.assert_array_equal(run_graph(image.per_image_standardization, flat), np.zeros_like(flat))


def test_hsv_roundtrip_and_gradients():
    back = run_graph(lambda x: image.hsv_to_rgb(image.rgb_to_hsv(x)), RGB, chunks=[((1, 2), (4,), (5,), (3,))])
    np.testing.assert_allclose(back, RGB, rtol=1e-5, atol=1e-6)
    hsv = np.stack([rand((2, 3), low=0.05, high=0.95, seed=10), rand((2, 3), low=0.1, high=0.9, seed=11),
                    rand((2, 3), low=0.1, high=0.9, seed=12)], -1)
    check_grads(image.hsv_to_rgb, [hsv], eps=1e-7)
    check_grads(lambda x: image.rgb_to_yuv(image.rgb_to_yiq(x)), [RGB.astype("float64")])
    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        image.rgb_to_hsv(df.zeros([4, 4, 2]))
    with pytest.raises(TypeError, match="DataType int32 not in list"):
        image.rgb_to_hsv(df.zeros([4, 4, 3], df.int32))


def _one_delta(got, x):
    d = got - x
    assert np.allclose(d, d.flat[0], atol=1e-6)
    return float(d.flat[0])


def test_random_adjustments():
    x = rand((2, 3, 4, 3), low=0.3, high=0.6, seed=13).astype("float32")
    deltas = [_one_delta(run_graph(lambda t: image.random_brightness(t, 0.2, seed=s), x), x) for s in range(8)]
    assert all(-0.2 <= d <= 0.2 for d in deltas) and len(set(deltas)) == 8
    again = run_graph(lambda t: image.random_brightness(t, 0.2, seed=3), x)
    np.testing.assert_array_equal(again - x, np.float32(deltas[3]) + np.zeros_like(x))

    def contrast_factor(got):
        m = x.mean(axis=(1, 2), keepdims=True)
        return float(np.median((got - m) / (x - m)))
    for s in range(4):
        f = contrast_factor(run_graph(lambda t: image.random_contrast(t, 0.5, 1.5, seed=s), x))
        np.testing.assert_allclose(run_graph(lambda t: image.random_contrast(t, 0.5, 1.5, seed=s), x),
                                   run_graph(lambda t: image.adjust_contrast(t, f), x), atol=1e-5)
        assert 0.5 <= f < 1.5
    hues = [run_graph(lambda t: image.random_hue(t, 0.3, seed=s), x) for s in (1, 1, 2)]
    np.testing.assert_array_equal(hues[0], hues[1])
    assert not np.allclose(hues[0], hues[2])
    sat = run_graph(lambda t: image.random_saturation(t, 0.2, 0.3, seed=1), x)
    assert np.all(np.ptp(sat, axis=-1) < np.ptp(x, axis=-1) * 0.31 + 1e-6)  # max - min shrinks with saturation


@pytest.mark.parametrize("fn,err", [
    (lambda x: image.random_brightness(x, -0.1), "max_delta must be non-negative."),
    (lambda x: image.random_contrast(x, 0.5, 0.5), "upper must be > lower."),
    (lambda x: image.random_contrast(x, -0.5, 0.5), "lower must be non-negative."),
    (lambda x: image.random_saturation(x, 1.0, 0.5), "upper must be > lower."),
    (lambda x: image.random_hue(x, 0.6), "max_delta must be <= 0.5."),
    (lambda x: image.random_hue(x, -0.1), "max_delta must be non-negative."),
    (lambda x: image.adjust_gamma(x, -1.0), "Gamma should be a non-negative real number."),
    (lambda x: image.total_variation(x[0, 0]), "'images' must be either 3 or 4-dimensional."),
    (lambda x: image.image_gradients(x[0]), "image_gradients expects a 4D tensor"),
    (lambda x: image.psnr(x, x[..., :2], 1.0), "are incompatible"),
    (lambda x: image.ssim(x, x, 1.0), "smaller than the filter"),
])
def test_errors_as_tf(fn, err):
    with pytest.raises(ValueError, match=err):
        fn(df.zeros([2, 4, 5, 3]))


def test_metrics_on_integer_and_single_images():
    u8 = (RGB * 255).astype("uint8")
    big = rand((12, 12, 3), low=0, high=1, seed=14).astype("float32")
    np.testing.assert_allclose(run_graph(lambda a: image.ssim(a, a, 255), big), 1.0, rtol=1e-6)
    noisy = np.clip(u8.astype(int) + 3, 0, 255).astype("uint8")
    mse = np.mean(((noisy.astype("f8") - u8) / 255) ** 2, axis=(1, 2, 3))
    np.testing.assert_allclose(run_graph(lambda a, b: image.psnr(a, b, 255), u8, noisy),
                               10 * np.log10(1 / mse), rtol=1e-5)
    tv = run_graph(image.total_variation, RGB[0])
    np.testing.assert_allclose(tv, np.abs(np.diff(RGB[0], axis=0)).sum() + np.abs(np.diff(RGB[0], axis=1)).sum(),
                               rtol=1e-5)
