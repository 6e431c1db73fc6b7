"""``image.decode_jxl`` against TensorFlow's pixels (files and values in ``tests/fixtures/tf1/
sparse_serialize_edit_distance_jxl``, written by ``make_sparse_serialize_edit_distance_jxl_fixtures.py``), and
``image.generate_bounding_box_proposals`` (TF has a GPU kernel only) against a box-by-box numpy reference written
here and hand-checked cases."""
import importlib.util
import io
import math
import pathlib
import sys

import numpy as np
import pytest

import daskflow as df
from daskflow.ops.image_jxl import decode_jxl
from daskflow.ops.image_proposals import generate_bounding_box_proposals
from daskflow.testing import SweepCase

TESTED_OPS = {"DecodeJxl", "DecodedJxlShape", "GenerateBoundingBoxProposals"}

FIXDIR = pathlib.Path(__file__).resolve().parents[1] / "fixtures/tf1/sparse_serialize_edit_distance_jxl"
JXL = importlib.util.find_spec("pillow_jxl") is not None  # the optional pillow-jxl-plugin (daskflow[jxl])
needs_jxl = pytest.mark.skipif(not JXL, reason="needs the optional pillow-jxl-plugin package (daskflow[jxl])")
with np.load(FIXDIR / "jxl.npz", allow_pickle=False) as _z:
    PIXELS = {k: _z[k] for k in _z.files}
DECODED = sorted(k for k in PIXELS if k.startswith("decoded/"))


def _file(name):
    return (FIXDIR / name).read_bytes()


def _proposal_inputs(seed, n=2, h=3, w=4, a=2):
    rng = np.random.RandomState(seed)
    scores = rng.rand(n, h, w, a).astype(np.float32)
    scores[0, 0, 0, 0] = scores[0, 1, 1, 1]  # a tie: the earlier position goes first
    deltas = ((rng.rand(n, h, w, 4 * a) - 0.5) * 0.6).astype(np.float32)
    y = np.arange(h, dtype=np.float32)[:, None, None] * 6
    x = np.arange(w, dtype=np.float32)[None, :, None] * 6
    base = np.array([-6, -4, 10, 12, -3, -8, 9, 14], np.float32)[:4 * a]
    anchors = (base + np.where(np.arange(4 * a) % 2 == 0, y, x)).astype(np.float32)
    info = np.array([[20, 26, 1, 0, 0], [18, 30, 0.5, 0, 0]], np.float32)[:n]
    return scores, deltas, info, anchors


SWEEP_CASES = [SweepCase(lambda s, d, i, a: generate_bounding_box_proposals(s, d, i, a, min_size=4, post_nms_topn=6),
                         *_proposal_inputs(0), name="box_proposals")]
if JXL:
    SWEEP_CASES.append(SweepCase(lambda c: decode_jxl(c), np.array(_file("gray_alpha.jxl"), dtype=object),
                                 name="decode_jxl"))


# -- decode_jxl

@needs_jxl
@pytest.mark.parametrize("key", DECODED)
def test_decode_jxl_equals_tf(key):
    _, fname, channels = key.split("/")
    img = decode_jxl(_file(fname), channels=int(channels))
    assert img.dtype == np.uint8 and img.shape.as_list() == [None, None, int(channels) or None]
    got = df.Session().run(img)
    np.testing.assert_array_equal(got, PIXELS[key])
    if fname.endswith(".jxl") and channels == "0":  # lossless: the pixels written
        src = PIXELS[f"source/{fname}"]
        np.testing.assert_array_equal(got, src.reshape(got.shape))


@needs_jxl
def test_decode_jxl_16_bit_samples_and_fed_contents():
    from PIL import Image
    src = np.random.RandomState(2).randint(0, 65536, (4, 3)).astype("<u2")
    buf = io.BytesIO()
    Image.frombytes("I;16", (3, 4), src.tobytes()).save(buf, format="JXL", lossless=True)
    contents = df.placeholder(df.string, ())
    got = df.Session().run(decode_jxl(contents), {contents: buf.getvalue()})
    assert got.shape == (4, 3, 1) and got.dtype == np.uint8
    np.testing.assert_allclose(got[..., 0], src * 255.0 / 65535, atol=0.5 + 1e-9)


@needs_jxl
def test_decode_jxl_errors_as_tf():
    with pytest.raises(df.errors.InvalidArgumentError, match="^Number of channels requested does not match input"):
        df.Session().run(decode_jxl(_file("gray.jxl"), channels=3))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"^Unknown image file format\. One of JPEG, JPEG XL, "
                                                             r"PNG, GIF, BMP, WebP required\."):
        df.Session().run(decode_jxl(b"not an image"))
    with pytest.raises(df.errors.InvalidArgumentError, match="`channels` must be 0, 1, 3 or 4 but got 2"):
        decode_jxl(_file("gray.jxl"), channels=2)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        decode_jxl([_file("gray.jxl")])
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: uint8"):
        decode_jxl(_file("gray.jxl"), dtype=df.float32)


def test_decode_jxl_without_the_plugin_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pillow_jxl", None)  # import fails as when it is not installed
    with pytest.raises(df.errors.UnimplementedError, match=r"decode_jxl needs the pillow-jxl-plugin package .*"
                                                           r"pip install daskflow\[jxl\]"):
        decode_jxl(b"\xff\x0a")


# -- generate_bounding_box_proposals

def _reference(scores, deltas, info, anchors, threshold, pre_n, min_size, post_n):
    """Box by box, in float32: top ``pre_n`` by score, decode, clip, size filter, greedy NMS, pad."""
    f = np.float32
    n, h, w, a = scores.shape
    rois, probs = np.zeros((n, post_n, 4), f), np.zeros((n, post_n), f)
    clip = f(math.log(1000.0 / 16.0))
    for i in range(n):
        cands = sorted(np.ndindex(h, w, a), key=lambda p: (-scores[i][p], p))[:pre_n]
        boxes = []
        for (y, x, k) in cands:
            ay1, ax1, ay2, ax2 = anchors[y, x, 4 * k:4 * k + 4]
            dy, dx, dh, dw = deltas[i, y, x, 4 * k:4 * k + 4]
            bh, bw = ay2 - ay1, ax2 - ax1
            cy, cx = ay1 + f(0.5) * bh + bh * dy, ax1 + f(0.5) * bw + bw * dx
            ph, pw = bh * np.exp(min(dh, clip)), bw * np.exp(min(dw, clip))
            ends = ((cy - f(0.5) * ph, info[i, 0]), (cx - f(0.5) * pw, info[i, 1]),
                    (cy + f(0.5) * ph, info[i, 0]), (cx + f(0.5) * pw, info[i, 1]))
            box = [min(max(v, f(0)), lim) for v, lim in ends]
            if min(box[2] - box[0], box[3] - box[1]) >= f(min_size) * info[i, 2]:
                boxes.append((box, scores[i, y, x, k]))
        kept = []
        for box, s in boxes:
            area = (box[2] - box[0]) * (box[3] - box[1])

            def over(other):
                oa = (other[2] - other[0]) * (other[3] - other[1])
                ih = max(min(box[2], other[2]) - max(box[0], other[0]), f(0))
                iw = max(min(box[3], other[3]) - max(box[1], other[1]), f(0))
                return area != 0 and oa != 0 and ih * iw > (area + oa - ih * iw) * f(threshold)
            if len(kept) < post_n and not any(over(o) for o, _ in kept):
                kept.append((box, s))
        for j, (box, s) in enumerate(kept):
            rois[i, j], probs[i, j] = box, s
    return rois, probs


# each case keeps fewer boxes without NMS and without min_size; the second also without pre_nms_topn
@pytest.mark.parametrize("seed, threshold, pre_n, min_size, post_n", [(0, 0.7, 6000, 12.0, 30), (1, 0.5, 10, 10.0, 8)])
def test_proposals_against_reference(seed, threshold, pre_n, min_size, post_n):
    ins = _proposal_inputs(seed)
    rois, probs = generate_bounding_box_proposals(*ins, nms_threshold=threshold, pre_nms_topn=pre_n,
                                                  min_size=min_size, post_nms_topn=post_n)
    assert rois.shape.as_list() == [2, post_n, 4] and probs.shape.as_list() == [2, post_n]
    got_rois, got_probs = df.Session().run([rois, probs])
    want_rois, want_probs = _reference(*ins, threshold, pre_n, min_size, post_n)
    kept = (want_probs > 0).sum(axis=1)
    assert kept.min() > 0 and kept.max() < post_n  # some boxes kept, and zeros padding
    np.testing.assert_allclose(got_rois, want_rois, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(got_probs, want_probs)


def test_proposals_hand_checked():
    """Two anchors at adjacent positions, IoU 90/110 = 0.82: one suppresses the other at 0.7, not at 0.9; a box
    grows about its centre by exp(dh) and is clipped; boxes smaller than min_size * scale are dropped."""
    scores = np.array([0.4, 0.9], np.float32).reshape(1, 1, 2, 1)
    anchors = np.array([[0, 0, 10, 10], [0, 1, 10, 11]], np.float32).reshape(1, 2, 4)
    info = np.array([[30, 30, 1, 0, 0]], np.float32)
    zeros = np.zeros((1, 1, 2, 4), np.float32)
    grow = zeros.copy()
    grow[0, 0, 0, 2] = math.log(2.0)  # dh: twice as tall, centred at y = 5 -> [-5, 15], clipped to [0, 15]

    def run(deltas, **kw):
        return df.Session().run(list(generate_bounding_box_proposals(scores, deltas, info, anchors, **kw)))
    rois, probs = run(zeros, nms_threshold=0.7, min_size=1, post_nms_topn=3)
    np.testing.assert_array_equal(rois[0], [[0, 1, 10, 11], [0, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(probs[0], np.array([0.9, 0, 0], np.float32))
    rois, probs = run(grow, nms_threshold=0.9, min_size=1, post_nms_topn=3)
    np.testing.assert_array_equal(rois[0], [[0, 1, 10, 11], [0, 0, 15, 10], [0, 0, 0, 0]])
    np.testing.assert_array_equal(probs[0], np.array([0.9, 0.4, 0], np.float32))
    rois, probs = run(zeros, nms_threshold=0.9, min_size=11, post_nms_topn=2)
    assert not rois.any() and not probs.any()
    info[0, 2] = 0.5  # min_size is in units of the scale: 11 * 0.5 < 10
    _, probs = run(zeros, nms_threshold=0.9, min_size=11, post_nms_topn=2)
    np.testing.assert_array_equal(probs[0], np.array([0.9, 0.4], np.float32))


def test_proposals_errors():
    ins = _proposal_inputs(0)
    with pytest.raises(df.errors.InvalidArgumentError, match="post_nms_topn can't be 0 or less"):
        generate_bounding_box_proposals(*ins, post_nms_topn=0)
    with pytest.raises(ValueError, match="Shape must be rank 3 but is rank 2"):
        generate_bounding_box_proposals(*ins[:3], ins[3].reshape(-1, 4))
    with pytest.raises(ValueError, match="Dimension must be 5 but is 3"):
        generate_bounding_box_proposals(ins[0], ins[1], ins[2][:, :3], ins[3])
    with pytest.raises(df.errors.InvalidArgumentError, match="nms_threshold should be between 0 and 1. Got 1.5"):
        df.Session().run(generate_bounding_box_proposals(*ins, nms_threshold=1.5))
    with pytest.raises(df.errors.InvalidArgumentError, match="pre_nms_topn should be greater than 0"):
        df.Session().run(generate_bounding_box_proposals(*ins, pre_nms_topn=0))
