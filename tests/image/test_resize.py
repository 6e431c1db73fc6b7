"""The resize ops beyond the TF fixtures (tests/image/test_tf_fixtures.py): gradients by finite differences
(including the gradient ops' own), shapes known only at run time, dtypes, and TF1's errors."""
import numpy as np
import pytest

import daskflow as df
import daskflow.image as image
from daskflow.testing import SweepCase, check_grads, rand, run_graph

TESTED_OPS = {"ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea", "ResizeBilinearGrad",
              "ResizeNearestNeighborGrad", "ResizeBicubicGrad"}

# the resize ops give float32 whatever the input, too coarse for the registry's steps of 1e-6: these tests check
# them with steps that suit a linear map
GRADS_CHECKED_BY_TESTS = {t: "test_gradient_by_finite_differences"
                          for t in ("ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic")}
GRADS_CHECKED_BY_TESTS.update({t + "Grad": "test_gradient_of_the_gradient_op" for t in GRADS_CHECKED_BY_TESTS})

X = rand((3, 4, 5, 2), seed=1)
FNS = {"bilinear": image.resize_bilinear, "nearest": image.resize_nearest_neighbor, "bicubic": image.resize_bicubic}


@pytest.mark.parametrize("method", sorted(FNS))
@pytest.mark.parametrize("size,kw", [([7, 3], {}), ([2, 8], {"align_corners": True}),
                                     ([6, 6], {"half_pixel_centers": True})])
def test_gradient_by_finite_differences(method, size, kw):
    # the resize is linear in the image, so any step gives exact differences (the result is float32)
    check_grads(lambda x: FNS[method](x, size, **kw), [X], eps=0.5, rtol=1e-4, chunks=[((1, 2), (4,), (5,), (1, 1))])


@pytest.mark.parametrize("method", sorted(FNS))
def test_gradient_of_the_gradient_op(method):
    def pulled_back(g):
        x = df.constant(X.astype("float32"))
        return df.gradients(FNS[method](x, [6, 3]), x, grad_ys=df.cast(g, df.float32))[0]
    check_grads(pulled_back, [rand((3, 6, 3, 2), seed=2)], eps=0.5, rtol=1e-4)


def test_area_has_no_gradient_and_integer_images_none():
    x = df.placeholder(df.float32, [1, 4, 4, 1])
    assert df.gradients(image.resize_area(x, [2, 2]), x) == [None]
    u = df.placeholder(df.uint8, [1, 4, 4, 1])
    y = image.resize_bilinear(u, [2, 2])
    assert y.dtype == df.float32
    assert df.gradients(y, u) == [None]


def test_unknown_dims_and_size_fed_at_run_time():
    want = run_graph(lambda x: image.resize_bicubic(x, [5, 7]), X)
    got = run_graph(lambda x: image.resize_bicubic(x, [5, 7]), X, feed_static_shape=False,
                    chunks=[((2, 1), (4,), (5,), (2,))])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, [None, None, None, 2])
        size = df.placeholder(df.int32, [2])
        y = image.resize_images(x, size, method=image.ResizeMethod.BICUBIC)
        assert y.shape.as_list() == [None, None, None, 2]
        with df.Session() as s:
            np.testing.assert_allclose(s.run(y, {x: X.astype("float32"), size: [5, 7]}), want, rtol=1e-6)


def test_resize_images_static_shapes_and_dtypes():
    x = df.placeholder(df.uint8, [None, 4, 6, 3])
    assert image.resize_images(x, [4, 6]) is x  # same size: the images themselves, as TF1
    y = image.resize_images(x, [2, 3], method=image.ResizeMethod.NEAREST_NEIGHBOR)
    assert (y.shape.as_list(), y.dtype) == ([None, 2, 3, 3], df.uint8)
    for m in (0, 2, 3, "area"):
        assert image.resize_images(x, [2, 3], method=m).dtype == df.float32
    hwc = image.resize(df.placeholder(df.float64, [4, 6, 1]), [8, 9])
    assert (hwc.shape.as_list(), hwc.dtype) == ([8, 9, 1], df.float32)
    assert image.resize_images(x, [8, 8], preserve_aspect_ratio=True).shape.as_list()[1:3] in ([5, 8], [None, None])


def test_preserve_aspect_ratio_values():
    x = rand((1, 4, 6, 1), seed=3).astype("float32")
    got = run_graph(lambda t: image.resize_images(t, [8, 8], preserve_aspect_ratio=True), x)
    want = run_graph(lambda t: image.resize_images(t, [5, 8]), x)  # 6 -> 8 scales 4 to 5.33, rounded
    np.testing.assert_array_equal(got, want)


def test_errors_as_tf():
    x3 = df.placeholder(df.float32, [2, 2, 1])
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        image.resize_bilinear(x3, [3, 3])
    with pytest.raises(ValueError, match="'images' must have either 3 or 4 dimensions."):
        image.resize_images(df.placeholder(df.float32, [2, 2]), [3, 3])
    with pytest.raises(ValueError, match="'size' must be a 1-D Tensor of 2 elements: new_height, new_width"):
        image.resize_images(x3, [3, 3, 1])
    with pytest.raises(ValueError, match="Resize method is not implemented: 7"):
        image.resize_images(x3, [3, 3], method=7)
    x = df.placeholder(df.float32, [1, 2, 2, 1])
    with pytest.raises(df.errors.InvalidArgumentError, match="If half_pixel_centers is True, align_corners must"):
        image.resize_bilinear(x, [3, 3], align_corners=True, half_pixel_centers=True)
    with pytest.raises(df.errors.InvalidArgumentError, match="output dimensions must be positive"):
        image.resize_nearest_neighbor(x, [0, 3])
    with pytest.raises(df.errors.InvalidArgumentError, match="ResizeArea does not take .* string"):
        image.resize_area(df.placeholder(df.string, [1, 2, 2, 1]), [3, 3])


def test_resize_image_with_pad_shapes():
    y = image.resize_image_with_pad(df.placeholder(df.float32, [5, 7, 3]), 9, 9)
    assert y.shape.as_list() == [9, 9, 3]
    with pytest.raises(ValueError, match="target_width must be > 0."):
        image.resize_image_with_pad(df.placeholder(df.float32, [5, 7, 3]), 4, 0)


def _resized(x):
    return [image.resize_bilinear(x, [6, 3]), image.resize_nearest_neighbor(x, [2, 7], align_corners=True),
            image.resize_bicubic(x, [5, 5], half_pixel_centers=True), image.resize_area(x, [3, 2]),
            image.resize_bilinear(x, df.shape(x)[1:3] * 2)]


def _pulled_back(x, g):
    return [df.gradients(df.reduce_sum(fn(x, [6, 3]) * g), x)[0] for fn in FNS.values()]


SWEEP_CASES = [
    SweepCase(_resized, X.astype("float32"), name="resize"),
    SweepCase(lambda x: image.resize_nearest_neighbor(x, [7, 4]), np.arange(120, dtype="uint8").reshape(2, 4, 5, 3),
              name="resize_ints"),
    SweepCase(_pulled_back, X.astype("float32"), rand((3, 6, 3, 2), dtype="float32", seed=2), name="resize_grads"),
]
