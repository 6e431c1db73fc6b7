"""Flips, transposes, rotations, crops and pads against numpy, over batch chunkings, with TF1's errors."""
import numpy as np
import pytest

import daskflow as df
import daskflow.image as image
from daskflow.testing import assert_op, check_grads, rand, run_graph

B = rand((3, 5, 6, 2), seed=4)     # NHWC
H = rand((5, 6, 2), seed=5)        # HWC


@pytest.mark.parametrize("x", [B, H], ids=["batch", "single"])
@pytest.mark.parametrize("fn,ref", [
    (image.flip_left_right, lambda x: x[..., :, ::-1, :]),
    (image.flip_up_down, lambda x: x[..., ::-1, :, :]),
    (image.transpose, lambda x: np.swapaxes(x, -3, -2)),
    (image.transpose_image, lambda x: np.swapaxes(x, -3, -2)),
    (image.rot90, lambda x: np.rot90(x, 1, axes=(-3, -2))),
    (lambda x: image.rot90(x, k=2), lambda x: np.rot90(x, 2, axes=(-3, -2))),
    (lambda x: image.rot90(x, k=-1), lambda x: np.rot90(x, 3, axes=(-3, -2))),
    (lambda x: image.rot90(x, k=4), lambda x: x),
    (lambda x: image.central_crop(x, 0.5), lambda x: x[..., 1:4, 1:5, :]),
    (lambda x: image.central_crop(x, 1.0), lambda x: x),
    (lambda x: image.crop_to_bounding_box(x, 1, 2, 3, 4), lambda x: x[..., 1:4, 2:6, :]),
    (lambda x: image.pad_to_bounding_box(x, 1, 2, 8, 9),
     lambda x: np.pad(x, [(0, 0)] * (x.ndim - 3) + [(1, 2), (2, 1), (0, 0)])),
    (lambda x: image.resize_image_with_crop_or_pad(x, 3, 9),   # crop rows 1..3, pad 1 left and 2 right
     lambda x: np.pad(x[..., 1:4, :, :], [(0, 0)] * (x.ndim - 3) + [(0, 0), (1, 2), (0, 0)])),
    (lambda x: image.resize_with_crop_or_pad(x, 8, 3),
     lambda x: np.pad(x[..., :, 1:4, :], [(0, 0)] * (x.ndim - 3) + [(1, 2), (0, 0), (0, 0)])),
])
def test_against_numpy(x, fn, ref):
    assert_op(fn, ref, x, rtol=0, atol=0)


def test_rot90_k_fed_at_run_time():
    g = df.Graph()
    with g.as_default():
        x = df.constant(B)
        k = df.placeholder(df.int32, [])
        y = image.rot90(x, k)
        with df.Session() as s:
            for kv in (-3, 0, 1, 2, 3, 6):
                np.testing.assert_array_equal(s.run(y, {k: kv}), np.rot90(B, kv, axes=(1, 2)))


def test_gradients():
    check_grads(lambda x: image.resize_image_with_crop_or_pad(image.rot90(x), 4, 8), [B],
                chunks=[((1, 2), (5,), (6,), (2,))])
    check_grads(lambda x: image.central_crop(image.flip_left_right(x), 0.6), [H])


def test_static_shapes():
    x = df.placeholder(df.float32, [None, 5, 6, 2])
    assert image.crop_to_bounding_box(x, 1, 1, 2, 3).shape.as_list() == [None, 2, 3, 2]
    assert image.pad_to_bounding_box(x, 1, 1, 9, 9).shape.as_list() == [None, 9, 9, 2]
    assert image.resize_image_with_crop_or_pad(x, 3, 10).shape.as_list() == [None, 3, 10, 2]
    assert image.rot90(x).shape.as_list() == [None, 6, 5, 2]
    assert image.central_crop(x, 0.5).shape.as_list() == [None, 3, 4, 2]


@pytest.mark.parametrize("fn,err", [
    (lambda: image.flip_left_right(df.zeros([2, 2])), "'image' \\(shape \\(2, 2\\)\\) must be at least three-"),
    (lambda: image.rot90(df.zeros([4])), "must be at least three-dimensional"),
    (lambda: image.flip_up_down(df.zeros([1, 2, 2, 2, 1])), "must have either 3 or 4 dimensions"),
    (lambda: image.central_crop(df.zeros([4, 4, 1]), 1.5), "central_fraction must be within \\(0, 1\\]"),
    (lambda: image.central_crop(df.zeros([4, 4, 1]), 0.0), "central_fraction must be within \\(0, 1\\]"),
    (lambda: image.crop_to_bounding_box(df.zeros([4, 4, 1]), 1, 1, 5, 2), "height must be >= target \\+ offset."),
    (lambda: image.crop_to_bounding_box(df.zeros([4, 4, 1]), 1, 3, 2, 2), "width must be >= target \\+ offset."),
    (lambda: image.crop_to_bounding_box(df.zeros([4, 4, 1]), -1, 0, 2, 2), "offset_height must be >= 0."),
    (lambda: image.crop_to_bounding_box(df.zeros([4, 4, 1]), 0, 0, 2, 0), "target_width must be > 0."),
    (lambda: image.pad_to_bounding_box(df.zeros([4, 4, 1]), 1, 1, 4, 4), "width must be <= target - offset"),
    (lambda: image.pad_to_bounding_box(df.zeros([4, 4, 1]), 1, 0, 4, 4), "height must be <= target - offset"),
    (lambda: image.pad_to_bounding_box(df.zeros([4, 4, 1]), 0, -1, 4, 6), "offset_width must be >= 0"),
    (lambda: image.resize_image_with_crop_or_pad(df.zeros([4, 4, 1]), 0, 3), "target_height must be > 0."),
    (lambda: image.random_crop(df.zeros([4, 4, 1]), [5, 2, 1]), "Need value.shape >= size"),
])
def test_errors_as_tf(fn, err):
    with pytest.raises(ValueError, match=err):
        fn()


def test_random_crop_is_a_window_and_seeded():
    x = np.arange(3 * 8 * 9).reshape(3, 8, 9).astype("float32")
    got = [run_graph(lambda t: image.random_crop(t, [2, 3, 4], seed=s), x) for s in (1, 1, 2, 3, 4, 5)]
    np.testing.assert_array_equal(got[0], got[1])
    starts = set()
    for c in got:
        i, j, k = (int(c.flat[0]) // (8 * 9), int(c.flat[0]) // 9 % 8, int(c.flat[0]) % 9)
        np.testing.assert_array_equal(c, x[i:i + 2, j:j + 3, k:k + 4])
        starts.add((i, j, k))
    assert len(starts) > 2


def test_random_flips():
    x = rand((40, 2, 3, 1), seed=6)
    for fn, ref in ((image.random_flip_left_right, lambda v: v[:, ::-1]),
                    (image.random_flip_up_down, lambda v: v[::-1])):
        got = run_graph(lambda t: fn(t, seed=3), x, chunks=[((7, 33), (2,), (3,), (1,))])
        again = run_graph(lambda t: fn(t, seed=3), x)
        np.testing.assert_array_equal(got, again)
        flipped = [np.array_equal(g, ref(v)) for g, v in zip(got, x)]
        kept = [np.array_equal(g, v) for g, v in zip(got, x)]
        assert all(f or k for f, k in zip(flipped, kept))
        assert 5 < sum(flipped) < 35
        single = [run_graph(lambda t: fn(t, seed=s), x[0]) for s in range(12)]
        assert all(np.array_equal(o, x[0]) or np.array_equal(o, ref(x[0])) for o in single)
        assert len({o.tobytes() for o in single}) == 2
