"""Region proposals from anchor scores and box deltas (TF's GenerateBoundingBoxProposals, eq. 2 of Ren et al.,
"Faster R-CNN", arXiv:1506.01497).

TF has only a GPU kernel; this is a host kernel of the same algorithm, one task for the whole batch. For each image:
the ``pre_nms_topn`` highest scores (ties: lowest position first), their boxes decoded from the deltas against the
anchors of their position (log-scale deltas capped at ``log(1000 / 16)``), clipped to the image, boxes whose shorter
side is under ``min_size * scale`` dropped, greedy non-max suppression (a box is dropped when its intersection
exceeds ``nms_threshold`` times its union with a kept one; empty boxes overlap nothing), and the first
``post_nms_topn`` kept boxes written, padded with zeros.
"""
import math

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from .image_boxes import _host
from .registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, register, tuple_outputs
from .strings_map import meta, refuse, where, whole

__all__ = []
NAMESPACES = {"image": ["generate_bounding_box_proposals"]}

_XFORM_CLIP = np.float32(math.log(1000.0 / 16.0))


def decode_boxes(anchors, deltas, clip=_XFORM_CLIP):
    """Boxes ``[y1, x1, y2, x2]`` from ``anchors`` (same form) moved by ``deltas`` ``[dy, dx, dh, dw]`` (float32)."""
    y1, x1, y2, x2 = anchors.T
    dy, dx, dh, dw = deltas.T
    h, w = y2 - y1, x2 - x1
    cy, cx = y1 + np.float32(0.5) * h + h * dy, x1 + np.float32(0.5) * w + w * dx
    ph, pw = h * np.exp(np.minimum(dh, clip)), w * np.exp(np.minimum(dw, clip))
    half = np.float32(0.5)
    return np.stack([cy - half * ph, cx - half * pw, cy + half * ph, cx + half * pw], axis=1)


def nms_sorted(boxes, threshold, limit):
    """Indices of the boxes (sorted by score) kept by greedy suppression, at most ``limit``."""
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept = []
    for i in range(len(boxes)):
        if kept:
            k = np.asarray(kept)
            ih = np.maximum(np.minimum(boxes[k, 2], boxes[i, 2]) - np.maximum(boxes[k, 0], boxes[i, 0]), 0)
            iw = np.maximum(np.minimum(boxes[k, 3], boxes[i, 3]) - np.maximum(boxes[k, 1], boxes[i, 1]), 0)
            inter = ih * iw
            over = (inter > (area[k] + area[i] - inter) * np.float32(threshold)) & (area[k] != 0) & (area[i] != 0)
            if over.any():
                continue
        kept.append(i)
        if len(kept) == limit:
            break
    return kept


def _one_image(scores, deltas, info, anchors, threshold, pre_n, min_size, post_n):
    order = np.argsort(-scores, kind="stable")[:min(scores.size, pre_n)]
    boxes = decode_boxes(anchors[order], deltas[order])
    hi = np.array([info[0], info[1], info[0], info[1]], np.float32)
    boxes = np.clip(boxes, np.float32(0), hi)
    side = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    ok = side >= np.float32(min_size) * info[2]
    boxes, kept_scores = boxes[ok], scores[order][ok]
    keep = nms_sorted(boxes, threshold, post_n)
    rois, probs = np.zeros((post_n, 4), np.float32), np.zeros(post_n, np.float32)
    rois[:len(keep)], probs[:len(keep)] = boxes[keep], kept_scores[keep]
    return rois, probs


def _proposals_block(scores, deltas, info, anchors, threshold, pre_n, min_size, post_n, label):
    xp = backend.xp(scores)  # a host kernel: cupy chunks come back as cupy arrays
    rois, probs = _proposals(*(_host(v) for v in (scores, deltas, info, anchors, threshold, pre_n, min_size)),
                             post_n, label)
    return xp.asarray(rois), xp.asarray(probs)


def _proposals(scores, deltas, info, anchors, threshold, pre_n, min_size, post_n, label):
    scores, deltas = np.asarray(scores, np.float32), np.asarray(deltas, np.float32)
    n, h, w, a = scores.shape
    threshold, pre_n, min_size = float(np.asarray(threshold)), int(np.asarray(pre_n)), float(np.asarray(min_size))
    if not 0 <= threshold <= 1:
        raise errors.InvalidArgumentError(None, None, f"nms_threshold should be between 0 and 1. Got {threshold} "
                                                      f"{label}")
    if pre_n <= 0:
        raise errors.InvalidArgumentError(None, None, f"pre_nms_topn should be greater than 0, got {pre_n} {label}")
    if deltas.shape != (n, h, w, 4 * a) or np.shape(info) != (n, 5) or np.shape(anchors)[2] != 4 * a \
            or np.size(anchors) != h * w * a * 4:
        raise errors.InvalidArgumentError(
            None, None, f"for scores of shape {list(scores.shape)}, bbox_deltas must have shape [{n},{h},{w},{4 * a}], "
                        f"image_info [{n},5] and anchors [{h},{w},{4 * a}]; got {list(deltas.shape)}, "
                        f"{list(np.shape(info))} and {list(np.shape(anchors))} {label}")
    flat_anchors = np.asarray(anchors, np.float32).reshape(-1, 4)
    info = np.asarray(info, np.float32)
    rois, probs = zip(*[_one_image(scores[i].ravel(), deltas[i].reshape(-1, 4), info[i], flat_anchors, threshold,
                                   pre_n, min_size, post_n) for i in range(n)]) if n else ((), ())
    return (np.stack(rois) if n else np.zeros((0, post_n, 4), np.float32),
            np.stack(probs) if n else np.zeros((0, post_n), np.float32))


@register("GenerateBoundingBoxProposals")
class GenerateBoundingBoxProposals:
    """Inputs: scores ``[N, H, W, A]``, bbox_deltas ``[N, H, W, 4A]``, image_info ``[N, 5]``, anchors
    ``[H, W, 4A]``, nms_threshold, pre_nms_topn, min_size (scalars); attr ``post_nms_topn``. Outputs: rois
    ``[N, post_nms_topn, 4]`` and roi_probabilities ``[N, post_nms_topn]``."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        ins = op.inputs
        for t, rank in zip(ins, (4, 4, 2, 3, 0, 0, 0)):
            if t.shape.ndims not in (None, rank):
                refuse(op, f"Shape must be rank {rank} but is rank {t.shape.ndims} (input '{t.name}')", ValueError)
        info = ins[2].shape
        if info.ndims == 2 and info[1] not in (None, 5):
            refuse(op, f"Dimension must be 5 but is {info[1]} (image_info)", ValueError)
        post = op.attrs["post_nms_topn"]
        n = ins[0].shape[0] if ins[0].shape.ndims else None
        return [((n, post, 4), dtypes.float32), ((n, post), dtypes.float32)]

    def lower(op, scores, deltas, info, anchors, threshold, pre_n, min_size):
        post = op.attrs["post_nms_topn"]
        packed = da.blockwise(_proposals_block, (), whole(scores), "nhwa", whole(deltas), "ijkl", whole(info), "pq",
                              whole(anchors), "rst", threshold, (), pre_n, (), min_size, (), concatenate=True,
                              post_n=post, label=where(op), dtype=object, meta=meta(object, 0))
        n = scores.shape[0]
        return tuple_outputs(packed, [((n,), (post,), (4,)), ((n,), (post,))],
                             [backend.meta(scores, np.float32, 3), backend.meta(scores, np.float32, 2)],
                             "box-proposals")


def generate_bounding_box_proposals(scores, bbox_deltas, image_info, anchors, nms_threshold=0.7, pre_nms_topn=6000,
                                    min_size=16, post_nms_topn=300, name=None):
    """Generate bounding box proposals from encoded bounding boxes.

    Parameters
    ----------
    scores : float32 ``[num_images, height, width, num_anchors]``, the score of each anchor at each position.
    bbox_deltas : float32 ``[num_images, height, width, 4 * num_anchors]``, each box as ``[dy, dx, dh, dw]``
        relative to its anchor.
    image_info : float32 ``[num_images, 5]``: height, width and scale of each image (the rest unused).
    anchors : float32 ``[height, width, 4 * num_anchors]``, the anchor boxes ``[y1, x1, y2, x2]`` of each position.
    nms_threshold : scalar, the intersection-over-union above which a lower-scored box is suppressed.
    pre_nms_topn : scalar int, how many top-scoring boxes are decoded per image.
    min_size : scalar, boxes with a side under ``min_size * scale`` are discarded.
    post_nms_topn : int, the most proposals per image.

    Returns
    -------
    rois : float32 ``[num_images, post_nms_topn, 4]``, ``[y1, x1, y2, x2]`` sorted by score, zero-padded.
    roi_probabilities : float32 ``[num_images, post_nms_topn]``, their scores, zero-padded.
    """
    post_nms_topn = int(post_nms_topn)
    if post_nms_topn <= 0:
        raise errors.InvalidArgumentError(None, None, "post_nms_topn can't be 0 or less")
    ins = [convert_to_tensor(v, dtype=dt) for v, dt, _ in (
        (scores, dtypes.float32, "scores"), (bbox_deltas, dtypes.float32, "bbox_deltas"),
        (image_info, dtypes.float32, "image_info"), (anchors, dtypes.float32, "anchors"),
        (nms_threshold, dtypes.float32, "nms_threshold"), (pre_nms_topn, dtypes.int32, "pre_nms_topn"),
        (min_size, dtypes.float32, "min_size"))]
    return tuple(apply("GenerateBoundingBoxProposals", ins, {"post_nms_topn": post_nms_topn},
                       name=name or "GenerateBoundingBoxProposals"))
