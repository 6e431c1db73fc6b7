"""Non-max suppression and crops from boxes beyond the TF fixtures: a plain greedy reference, sizes known only at run
time, batches, gradients into the boxes, and errors."""
import numpy as np
import pytest

import daskflow as df
import daskflow.image as image
from daskflow.ops.image_boxes import iou_matrix
from daskflow.testing import SweepCase, check_grads, rand, run_graph

TESTED_OPS = {"NonMaxSuppressionPadded", "CombinedNonMaxSuppression", "SampleDistortedBoundingBoxFromUniforms"}


def _boxes(n, seed):
    r = np.random.default_rng(seed)
    c, s = r.uniform(0, 1, (n, 2)), r.uniform(0.05, 0.5, (n, 2))
    return np.concatenate([c - s / 2, c + s / 2], 1).astype("float32"), r.uniform(0, 1, n).astype("float32")


def greedy_reference(boxes, scores, k, thr, score_thr=-np.inf):
    """Sort by score, keep a box unless it overlaps a kept one by more than ``thr``."""
    iou = iou_matrix(boxes)
    kept = []
    for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i)):
        if scores[i] > score_thr and len(kept) < k and all(iou[i, j] <= thr for j in kept):
            kept.append(i)
    return np.array(kept, np.int32)


def test_iou_against_a_direct_formula():
    b = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [2, 2, 0, 0], [5, 5, 5, 6]], "float32")
    iou = iou_matrix(b)
    np.testing.assert_allclose(iou[0, 1], 1 / 7)
    assert iou[0, 2] == 1.0 and iou[3, 0] == 0.0 and iou[3, 3] == 0.0  # corners either way; empty boxes 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nms_against_greedy_reference(seed):
    b, s = _boxes(60, seed)
    for k, thr, sthr in ((60, 0.5, -np.inf), (5, 0.2, -np.inf), (60, 0.4, 0.5)):
        got = run_graph(lambda bb, ss: image.non_max_suppression(bb, ss, k, thr, score_threshold=sthr), b, s)
        np.testing.assert_array_equal(got, greedy_reference(b, s, k, thr, sthr))


def test_max_output_size_fed_at_run_time_and_shapes():
    b, s = _boxes(30, 3)
    g = df.Graph()
    with g.as_default():
        k = df.placeholder(df.int32, [])
        sel = image.non_max_suppression(b, s, k, 0.3)
        idx, scores = image.non_max_suppression_with_scores(b, s, k, 0.3)
        assert sel.shape.as_list() == [None] and sel.dtype == df.int32
        with df.Session() as sess:
            for kv in (0, 3, 30):
                got, gi, gs = sess.run([sel, idx, scores], {k: kv})
                np.testing.assert_array_equal(got, greedy_reference(b, s, kv, 0.3))
                np.testing.assert_array_equal(gi, got)
                np.testing.assert_array_equal(gs, s[got])  # no soft-NMS: scores as given


def test_padded_batched():
    (b1, s1), (b2, s2) = _boxes(20, 4), _boxes(20, 5)
    idx, n = run_graph(lambda bb, ss: list(image.non_max_suppression_padded(bb, ss, 8, 0.3,
                                                                            pad_to_max_output_size=True)),
                       np.stack([b1, b2]), np.stack([s1, s2]))
    assert idx.shape == (2, 8) and n.shape == (2,)
    for i, (b, s) in enumerate(((b1, s1), (b2, s2))):
        want = greedy_reference(b, s, 8, 0.3)
        assert n[i] == len(want)
        np.testing.assert_array_equal(idx[i], np.pad(want, (0, 8 - len(want))))
    got, count = run_graph(lambda bb, ss: list(image.non_max_suppression_padded(bb, ss, 8, 0.3)), b1, s1)
    np.testing.assert_array_equal(got, greedy_reference(b1, s1, 8, 0.3))
    with pytest.raises(ValueError, match="'pad_to_max_output_size' \\(value False\\) must be True for batched"):
        image.non_max_suppression_padded(np.stack([b1, b2]), np.stack([s1, s2]), 8)


def test_crop_and_resize_gradient_into_boxes():
    img = rand((2, 6, 7, 2), seed=15)
    boxes = np.array([[0.1, 0.2, 0.78, 0.7], [0.25, 0.15, 0.65, 0.95]])  # no sample on a pixel edge

    def crops(x, bx):
        return image.crop_and_resize(x, df.cast(bx, df.float32), [1, 0], [3, 4])
    check_grads(lambda bx: crops(df.constant(img.astype("float32")), bx), [boxes], eps=1e-3, rtol=2e-3)
    check_grads(lambda x: crops(df.cast(x, df.float32), df.constant(boxes)), [img], eps=1e-2, rtol=1e-4)


@pytest.mark.parametrize("fn,err", [
    (lambda: image.non_max_suppression(np.zeros((3, 3), "f4"), np.zeros(3, "f4"), 2), "boxes must be 2-D with 4"),
    (lambda: image.non_max_suppression(np.zeros((3, 4), "f4"), np.zeros(4, "f4"), 2), "scores has incompatible"),
    (lambda: image.non_max_suppression(np.zeros((3, 4), "f4"), np.zeros(3, "f4"), -1), "max_output_size must be"),
    (lambda: image.non_max_suppression(np.zeros((3, 4), "f4"), np.zeros(3, "f4"), 2, 1.5), "iou_threshold must"),
    (lambda: image.combined_non_max_suppression(np.zeros((1, 3, 4), "f4"), np.zeros((1, 3, 2), "f4"), 2, 3),
     "boxes must be 4-D"),
    (lambda: image.combined_non_max_suppression(np.zeros((1, 3, 1, 4), "f4"), np.zeros((1, 3, 2), "f4"), 2, 0),
     "max_total_size must be > 0"),
    (lambda: image.crop_and_resize(np.zeros((1, 4, 4, 1), "f4"), [[0, 0, 1, 1]], [0], [2, 2], method="area"),
     "method must be 'bilinear' or 'nearest'"),
    (lambda: image.crop_and_resize(np.zeros((1, 4, 4, 1), "f4"), [[0, 0, 1]], [0], [2, 2]), "boxes must be 2-D"),
    (lambda: image.crop_and_resize(np.zeros((1, 4, 4, 1), "f4"), [[0, 0, 1, 1]], [0], [0, 2]),
     "crop dimensions must be positive"),
    (lambda: image.draw_bounding_boxes(np.zeros((1, 4, 4, 2), "f4"), np.zeros((1, 1, 4), "f4")),
     "Channel depth should be either 1 \\(GRY\\), 3 \\(RGB\\), or 4 \\(RGBA\\)"),
])
def test_errors(fn, err):
    with pytest.raises(ValueError, match=err):
        fn()


def _samples(image_size, boxes, runs, **kw):
    g = df.Graph()
    with g.as_default():
        df.set_random_seed(11)
        outs = image.sample_distorted_bounding_box(image_size, boxes, **kw)
        with df.Session() as s:
            return [s.run(list(outs)) for _ in range(runs)]


def test_sample_distorted_bounding_box_properties():
    h, w = 50, 80
    box = [0.2, 0.1, 0.6, 0.5]   # y0, x0, y1, x1
    got = _samples([h, w, 3], [[box]], 40, min_object_covered=0.6, aspect_ratio_range=[0.5, 2.0],
                   area_range=[0.1, 0.8])
    assert _samples([h, w, 3], [[box]], 40, min_object_covered=0.6, aspect_ratio_range=[0.5, 2.0],
                    area_range=[0.1, 0.8])[5][0].tolist() == got[5][0].tolist()   # a graph seed repeats the runs
    bx0, by0, bx1, by1 = int(box[1] * w), int(box[0] * h), int(box[3] * w), int(box[2] * h)
    shapes = set()
    for begin, size, bboxes in got:
        (y, x, z), (ch, cw, minus) = begin, size
        assert z == 0 and minus == -1 and 0 <= y and 0 <= x and y + ch <= h and x + cw <= w
        np.testing.assert_allclose(bboxes[0, 0], [y / h, x / w, (y + ch) / h, (x + cw) / w], rtol=1e-6)
        if (ch, cw) != (h, w):   # not the fallback: a crop that met every constraint
            assert 0.1 * h * w <= ch * cw <= 0.8 * h * w
            assert 0.5 - 0.05 <= cw / ch <= 2.0 + 0.05
            inter = max(0, min(x + cw, bx1) - max(x, bx0)) * max(0, min(y + ch, by1) - max(y, by0))
            assert inter >= 0.6 * (bx1 - bx0) * (by1 - by0)
        shapes.add((y, x, ch, cw))
    assert len(shapes) > 20
    whole = _samples([h, w, 3], np.zeros((1, 0, 4), "f4"), 3, use_image_if_no_bounding_boxes=True)
    assert all(0 <= b[0][0] and b[0][0] + b[1][0] <= h for b in whole)
    with pytest.raises(df.errors.InvalidArgumentError, match="No bounding boxes provided as input"):
        _samples([h, w, 3], np.zeros((1, 0, 4), "f4"), 1)
    impossible = _samples([h, w, 3], [[box]], 2, min_object_covered=1.0, area_range=[0.05, 0.06])
    assert [b[1].tolist() for b in impossible] == [[h, w, -1]] * 2   # no attempt succeeds: the whole image
    with pytest.raises(ValueError, match="area_range must be in \\(0, 1\\]"):
        image.sample_distorted_bounding_box([4, 4, 1], [[box]], area_range=[0.0, 1.5])


def test_extract_glimpse_noise_outside_the_image():
    x = rand((2, 5, 6, 2), low=0.25, high=0.75, seed=16).astype("float32")
    off = np.array([[0.9, -0.9], [0.0, 0.0]], "float32")  # the first window hangs over the bottom-left corner
    for uniform in (True, False):
        got = run_graph(lambda t: image.extract_glimpse(t, [4, 4], off, uniform_noise=uniform), x)
        # centre (4.75, 0.3): rows 2..5 and columns -1..2 of image 0 (row 5 and column -1 are outside)
        np.testing.assert_array_equal(got[0, :3, 1:], x[0, 2:5, 0:3])
        np.testing.assert_array_equal(got[1], x[1, 0:4, 1:5])
        noise = np.concatenate([got[0, 3].ravel(), got[0, :3, 0].ravel()])
        if uniform:
            assert np.all((noise >= x[0].min()) & (noise <= x[0].max()))
        assert np.unique(noise).size == noise.size
    with pytest.raises(ValueError, match="glimpse size must be positive"):
        image.extract_glimpse(x, [0, 2], off)


def _nms_padded(b, s):
    return [*image.non_max_suppression_padded(b, s, 6, 0.3, pad_to_max_output_size=True),
            *image.non_max_suppression_padded(b, s, 4, 0.5, score_threshold=0.2)]


def _combined(b, s):
    return [*image.combined_non_max_suppression(b, s, 2, 5, 0.4), *image.combined_non_max_suppression(
        b[:, :, :1], s, 3, 4, 0.5, score_threshold=0.1, pad_per_class=True, clip_boxes=False)]


def _distorted(size, boxes):
    return list(image.sample_distorted_bounding_box(size, boxes, seed=3, min_object_covered=0.2,
                                                    area_range=[0.1, 0.9]))


_B6, _S6 = _boxes(6, 3)
_B, _S = np.random.default_rng(4).uniform(0, 1, (2, 5, 3, 4)), np.random.default_rng(5).uniform(0, 1, (2, 5, 3))
SWEEP_CASES = [
    SweepCase(_nms_padded, _B6, _S6, name="nms_padded"),
    SweepCase(_combined, np.concatenate([np.minimum(_B[..., :2], _B[..., 2:]), np.maximum(_B[..., :2], _B[..., 2:])],
                                        -1).astype("float32"), _S.astype("float32"), name="combined_nms"),
    SweepCase(_distorted, np.array([40, 60, 3], np.int32), np.array([[[0.1, 0.2, 0.6, 0.7], [0.3, 0.3, 0.9, 0.5]]],
                                                                    np.float32), name="sample_distorted_box"),
]


def test_shapes_known_only_when_fed_are_checked_at_run_time():
    boxes, scores = df.placeholder(df.float32, [None] * 4), df.placeholder(df.float32, [None] * 3)
    out = image.combined_non_max_suppression(boxes, scores, 2, 3)
    with df.Session() as s, pytest.raises(df.errors.InvalidArgumentError,
                                          match="boxes and scores must have same batch size"):
        s.run(out, {boxes: np.zeros((1, 5, 3, 4), "f4"), scores: np.zeros((2, 5, 3), "f4")})
    b2, s2 = df.placeholder(df.float32, [None, None]), df.placeholder(df.float32, [None])
    sel = image.non_max_suppression_padded(b2, s2, 3, pad_to_max_output_size=True)[0]
    with df.Session() as s, pytest.raises(df.errors.InvalidArgumentError, match="boxes must have 4 columns"):
        s.run(sel, {b2: np.zeros((4, 3), "f4"), s2: np.zeros((4,), "f4")})
