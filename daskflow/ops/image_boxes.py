"""Non-max suppression ops: greedy selection of boxes by score (TF's NonMaxSuppressionV5 and
NonMaxSuppressionWithOverlaps), and per-class selection over a batch (CombinedNonMaxSuppression).

Selection is sequential over a whole set of boxes, so one task on the host takes all the boxes of a run. The ops give
fixed-size results, padded, with the number of valid entries: ``daskflow.image`` slices them to that number (a size
the Session computes first, as for ``boolean_mask``).
"""
from functools import partial

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from ..graph import TensorShape
from .hostvalue import host_lowered, host_scalar
from .registry import NOT_DIFFERENTIABLE, fail, register, tuple_outputs

__all__ = []


def _host(x):
    return x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else np.asarray(x)


def iou_matrix(boxes):
    """Intersection over union of every pair of boxes (rows ``[y1, x1, y2, x2]``, corners in any order); 0 where
    either box is empty, as TF."""
    b = boxes.astype(np.float64)
    ymin, ymax = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
    xmin, xmax = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
    area = (ymax - ymin) * (xmax - xmin)
    ih = np.maximum(np.minimum(ymax[:, None], ymax) - np.maximum(ymin[:, None], ymin), 0)
    iw = np.maximum(np.minimum(xmax[:, None], xmax) - np.maximum(xmin[:, None], xmin), 0)
    inter = ih * iw
    union = area[:, None] + area - inter
    ok = (area[:, None] > 0) & (area > 0)
    return np.where(ok, inter / np.where(ok, union, 1), 0.0)


def greedy_nms(sim, scores, max_out, threshold, score_threshold, sigma=0.0):
    """TF's greedy selection: highest score first (ties: lowest index), dropping a candidate whose similarity to a
    selected one exceeds ``threshold``; with ``sigma`` > 0, soft-NMS (Bodla et al.) decays scores by
    ``exp(-sim^2 / (2 sigma))`` instead. Returns the selected indices and their (decayed) scores."""
    scale = -0.5 / sigma if sigma > 0 else 0.0
    heap = [(-float(s), i, 0, float(s)) for i, s in enumerate(scores) if s > score_threshold]
    import heapq
    heapq.heapify(heap)
    picked, picked_scores = [], []
    while len(picked) < max_out and heap:
        neg, i, begin, _ = heapq.heappop(heap)
        score = original = -neg
        hard = False
        for j in range(len(picked) - 1, begin - 1, -1):
            s = float(sim[i, picked[j]])
            weight = np.exp(scale * s * s)
            score *= weight if (sigma > 0 or s <= threshold) else 0.0
            if sigma <= 0 and s > threshold:
                hard = True
                break
            if score <= score_threshold:
                break
        if hard:
            continue
        if score == original:
            picked.append(i)
            picked_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(heap, (-score, i, len(picked), score))
    return picked, picked_scores


def _packed(kernel, *blocks, **kw):
    return kernel(*blocks, **kw)  # one task's several outputs, a tuple, split by ``tuple_outputs``


def _nms_block(sim_src, scores, max_out, threshold, score_threshold, sigma, overlaps):
    xp = backend.xp(scores)
    s = _host(scores)
    sim = _host(sim_src) if overlaps else iou_matrix(_host(sim_src))
    picked, picked_scores = greedy_nms(sim, s, max_out, float(threshold), float(score_threshold), float(sigma))
    idx = np.zeros(max_out, np.int32)
    sc = np.zeros(max_out, s.dtype)
    idx[:len(picked)] = picked
    sc[:len(picked)] = picked_scores
    return xp.asarray(idx), xp.asarray(sc), xp.asarray(np.array([len(picked)], np.int32))


@register("NonMaxSuppressionPadded")
class NonMaxSuppressionPadded:
    """Inputs: boxes (n, 4) or overlaps (n, n) (attr ``overlaps``), scores (n,), max_output_size, threshold,
    score_threshold, soft_nms_sigma (scalars). Outputs: indices (max_output_size,) int32 and their scores, padded
    with zeros, and the number selected (int32 scalar)."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        b, s = op.inputs[:2]
        if op.attrs["overlaps"]:
            if b.shape.ndims not in (None, 2):
                fail(op, f"overlaps must be 2-D, got shape {b.shape}")
        elif b.shape.ndims not in (None, 2) or (b.shape.ndims == 2 and b.shape[1] not in (None, 4)):
            fail(op, f"boxes must be 2-D with 4 columns, got shape {b.shape}")
        if s.shape.ndims not in (None, 1):
            fail(op, f"scores must be 1-D, got shape {s.shape}")
        if b.shape.ndims == 2 and s.shape.ndims == 1 and None not in (b.shape[0], s.shape[0]) \
                and b.shape[0] != s.shape[0]:
            fail(op, f"scores has incompatible shape: {s.shape} for boxes of shape {b.shape}")
        if b.dtype.kind != "f" or s.dtype.kind != "f":
            fail(op, "boxes and scores must be floating point")
        n = host_scalar(op, 2, "max_output_size")
        if n is not None and n < 0:
            fail(op, f"max_output_size must be non-negative, got {n}")
        for i, what in ((3, "iou_threshold"), (4, "score_threshold"), (5, "soft_nms_sigma")):
            host_scalar(op, i, what, kinds="fiu")
        th = host_scalar(op, 3, "iou_threshold", kinds="fiu")
        if th is not None and not op.attrs["overlaps"] and not 0 <= th <= 1:
            fail(op, "iou_threshold must be in [0, 1]")
        return [((n,), dtypes.int32), ((n,), s.dtype), ((), dtypes.int32)]

    def lower(op, boxes, scores, _n, th, sth, sigma):
        if boxes.ndim != 2 or scores.ndim != 1:
            fail(op, f"{'overlaps' if op.attrs['overlaps'] else 'boxes'} must be 2-D and scores 1-D, got shapes "
                     f"{list(boxes.shape)} and {list(scores.shape)}")
        rows, cols = boxes.shape
        if op.attrs["overlaps"] and rows != cols:
            fail(op, f"overlaps must be square[{rows},{cols}]")
        if not op.attrs["overlaps"] and cols != 4:
            fail(op, f"boxes must have 4 columns (Dimension must be 4 but is {cols})")
        if rows != scores.shape[0]:
            fail(op, f"scores has incompatible shape (Dimensions must be equal, but are {rows} and {scores.shape[0]})")
        n = int(host_lowered(op, 2, "max_output_size"))
        vals = [float(host_lowered(op, i, w)) for i, w in ((3, "threshold"), (4, "score_threshold"),
                                                            (5, "soft_nms_sigma"))]
        b1, s1 = boxes.rechunk(-1), scores.rechunk(-1)
        fn = partial(_packed, _nms_block, max_out=n, threshold=vals[0], score_threshold=vals[1], sigma=vals[2],
                     overlaps=op.attrs["overlaps"])
        packed = da.map_blocks(fn, b1, s1, drop_axis=1, chunks=((1,),), dtype=object, meta=np.empty((0,), object))
        outs = tuple_outputs(packed, [((n,),), ((n,),), ((1,),)],
                             [backend.meta(scores, np.int32, 1), backend.meta(scores, scores.dtype, 1),
                              backend.meta(scores, np.int32, 1)], "nms")
        return [outs[0], outs[1], outs[2].reshape(())]


def _combined_block(boxes, scores, per_class, total, threshold, score_threshold, pad_per_class, clip):
    xp = backend.xp(scores)
    b, s = _host(boxes), _host(scores)
    batch, n, q, _ = b.shape
    classes = s.shape[2]
    size = min(total, per_class * classes) if pad_per_class else total
    out_b = np.zeros((batch, size, 4), np.float32)
    out_s = np.zeros((batch, size), np.float32)
    out_c = np.zeros((batch, size), np.float32)
    valid = np.zeros(batch, np.int32)
    for i in range(batch):
        found = []
        for c in range(classes):
            cb = b[i, :, 0 if q == 1 else c]
            picked, ps = greedy_nms(iou_matrix(cb), s[i, :, c], per_class, threshold, score_threshold)
            found += [(sc, c, k) for k, sc in zip(picked, ps)]
        found.sort(key=lambda t: -t[0])  # stable: classes in order, then selection order
        found = found[:size]
        for j, (sc, c, k) in enumerate(found):
            box = b[i, k, 0 if q == 1 else c]
            out_b[i, j] = np.clip(box, 0, 1) if clip else box
            out_s[i, j], out_c[i, j] = sc, c
        valid[i] = len(found)
    return tuple(xp.asarray(a) for a in (out_b, out_s, out_c, valid))


@register("CombinedNonMaxSuppression")
class CombinedNonMaxSuppression:
    """TF's op: per image and class, greedy NMS of the boxes; then the best ``max_total_size`` over all classes,
    zero-padded. Outputs: boxes, scores, classes (float32) and the number of valid detections per image."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        b, s = op.inputs[:2]
        if b.shape.ndims not in (None, 4) or (b.shape.ndims == 4 and b.shape[3] not in (None, 4)):
            fail(op, f"boxes must be 4-D [batch, num_boxes, q, 4], got shape {b.shape}")
        if s.shape.ndims not in (None, 3):
            fail(op, f"scores must be 3-D [batch, num_boxes, num_classes], got shape {s.shape}")
        if b.shape.ndims == 4 and s.shape.ndims == 3:
            for i in (0, 1):  # batch and num_boxes
                if None not in (b.shape[i], s.shape[i]) and b.shape[i] != s.shape[i]:
                    fail(op, f"Dimensions must be equal, but are {b.shape[i]} and {s.shape[i]} for boxes of shape "
                             f"{b.shape} and scores of shape {s.shape}")
        if b.shape.ndims == 4 and s.shape.ndims == 3 and b.shape[2] not in (None, 1) \
                and s.shape[2] not in (None, b.shape[2]):
            fail(op, f"third dimension of boxes must be either 1 or num classes, got boxes {b.shape} and scores "
                     f"{s.shape}")
        per = host_scalar(op, 2, "max_output_size_per_class")
        total = host_scalar(op, 3, "max_total_size")
        if total is not None and total <= 0:
            fail(op, "max_total_size must be > 0")
        if per is not None and per <= 0:
            fail(op, "max_output_size_per_class must be > 0")
        batch = s.shape[0] if s.shape.ndims == 3 else None
        classes = s.shape[2] if s.shape.ndims == 3 else None
        size = total
        if op.attrs["pad_per_class"]:
            size = None if None in (per, total, classes) else min(total, per * classes)
        f = dtypes.float32
        return [(TensorShape([batch, size, 4]), f), ((batch, size), f), ((batch, size), f), ((batch,), dtypes.int32)]

    def lower(op, boxes, scores, *_):
        per, total = (int(host_lowered(op, i, w)) for i, w in ((2, "max_output_size_per_class"),
                                                                (3, "max_total_size")))
        th, sth = (float(host_lowered(op, i, w)) for i, w in ((4, "iou_threshold"), (5, "score_threshold")))
        if boxes.ndim != 4 or scores.ndim != 3:
            fail(op, f"boxes must be 4-D and scores 3-D, got shapes {list(boxes.shape)} and {list(scores.shape)}")
        if boxes.shape[0] != scores.shape[0]:
            fail(op, "boxes and scores must have same batch size")
        if boxes.shape[1] != scores.shape[1]:
            fail(op, "scores has incompatible shape")
        if boxes.shape[2] not in (1, scores.shape[2]):
            fail(op, "third dimension of boxes must be either 1 or num classes")
        classes = scores.shape[2]
        size = min(total, per * classes) if op.attrs["pad_per_class"] else total
        b1, s1 = boxes.rechunk(-1), scores.rechunk(-1)
        kw = dict(per_class=per, total=total, threshold=th, score_threshold=sth,
                  pad_per_class=op.attrs["pad_per_class"], clip=op.attrs["clip_boxes"])
        packed = da.map_blocks(partial(_packed, _combined_block, **kw), b1, s1, drop_axis=[1, 2, 3], chunks=((1,),),
                               dtype=object,
                               meta=np.empty((0,), object))
        nb = scores.shape[0]
        f = np.float32
        return tuple_outputs(packed, [((nb,), (size,), (4,)), ((nb,), (size,)), ((nb,), (size,)), ((nb,),)],
                             [backend.meta(scores, f, 3), backend.meta(scores, f, 2), backend.meta(scores, f, 2),
                              backend.meta(scores, np.int32, 1)], "combined-nms")


# -- sampling a distorted crop (TF's SampleDistortedBoundingBoxV2, its random numbers an input)

def _lrint(v):
    return int(np.rint(np.float32(v)))


def _random_crop(u, width, height, min_area_frac, max_area_frac, aspect):
    """TF's GenerateRandomCrop with uniforms ``u[1:4]`` for its draws: (x0, y0, x1, y1) or None."""
    min_area, max_area = min_area_frac * width * height, max_area_frac * width * height
    h = _lrint(np.sqrt(min_area / aspect))
    max_h = _lrint(np.sqrt(max_area / aspect))
    if _lrint(max_h * aspect) > width:
        max_h = int((width + 0.5 - 1e-7) / aspect)
    max_h = min(max_h, height)
    h = min(h, max_h)
    if h < max_h:
        h += int(u[1] * (max_h - h + 1))
    w = _lrint(h * aspect)
    if w * h < min_area:
        h += 1
        w = _lrint(h * aspect)
    if w * h > max_area:
        h -= 1
        w = _lrint(h * aspect)
    area = w * h
    if area < min_area or area > max_area or w > width or h > height or w <= 0 or h <= 0:
        return None
    y = int(u[2] * (height - h)) if h < height else 0
    x = int(u[3] * (width - w)) if w < width else 0
    return x, y, x + w, y + h


def _covers(crop, boxes, min_covered):
    x0, y0, x1, y1 = crop
    for bx0, by0, bx1, by1 in boxes:
        area = (bx1 - bx0) * (by1 - by0)
        if area <= 0:
            continue
        inter = max(0, min(x1, bx1) - max(x0, bx0)) * max(0, min(y1, by1) - max(y0, by0))
        if inter / area >= min_covered:
            return True
    return False


def _distorted_block(size, boxes, u, covered, aspect_range, area_range, use_image, where_):
    xp = backend.xp(u)
    height, width = (int(v) for v in _host(size)[:2])
    b = _host(boxes).reshape(-1, 4).astype(np.float64)
    rects = [(int(x0 * width), int(y0 * height), int(x1 * width), int(y1 * height)) for y0, x0, y1, x1 in b]
    if not rects:
        if not use_image:
            raise errors.InvalidArgumentError(None, None, "No bounding boxes provided as input. One must enable "
                                              "use_image_if_no_bounding_boxes if you wish to not provide any "
                                              f"bounding boxes. {where_}")
        rects = [(0, 0, width, height)]
    if height <= 0 or width <= 0:
        raise errors.InvalidArgumentError(None, None, f"image height and width must be positive, got {height} x "
                                                      f"{width} {where_}")
    crop = None
    for row in _host(u).astype(np.float64):
        aspect = aspect_range[0] + row[0] * (aspect_range[1] - aspect_range[0])
        c = _random_crop(row, width, height, area_range[0], area_range[1], aspect)
        if c is not None and _covers(c, rects, float(_host(covered))):
            crop = c
            break
    x0, y0, x1, y1 = crop or (0, 0, width, height)
    dt = _host(size).dtype
    begin = np.array([y0, x0, 0], dt)
    extent = np.array([y1 - y0, x1 - x0, -1], dt)
    box = np.array([[[y0 / height, x0 / width, y1 / height, x1 / width]]], np.float32)
    return xp.asarray(begin), xp.asarray(extent), xp.asarray(box)


@register("SampleDistortedBoundingBoxFromUniforms")
class SampleDistortedBoundingBoxFromUniforms:
    """Inputs: image_size (3 ints), bounding_boxes ([batch, N, 4]), uniforms ([max_attempts, 4] in [0, 1): the
    aspect ratio, height, top and left draws of each attempt), min_object_covered. Outputs: begin, size, bboxes
    as TF's SampleDistortedBoundingBoxV2."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        size, boxes, u, cov = op.inputs
        if size.dtype.kind not in "iu" or size.shape.ndims not in (None, 1) or \
                (size.shape.ndims == 1 and size.shape[0] not in (None, 3)):
            fail(op, f"image_size must be 1-dimensional with 3 integers, got shape {size.shape} and dtype "
                     f"{size.dtype.name}")
        if boxes.shape.ndims not in (None, 3) or (boxes.shape.ndims == 3 and boxes.shape[2] not in (None, 4)):
            fail(op, f"input boxes must be 3-dimensional [batch, num_boxes, coords], got shape {boxes.shape}")
        return [((3,), size.dtype), ((3,), size.dtype), ((1, 1, 4), dtypes.float32)]

    def lower(op, size, boxes, u, cov):
        a = op.attrs
        fn = partial(_packed, _distorted_block, aspect_range=a["aspect_ratio_range"], area_range=a["area_range"],
                     use_image=a["use_image_if_no_bounding_boxes"], where_=f"[op '{op.name}']")
        packed = da.blockwise(fn, "i", size.rechunk(-1), "i", boxes.rechunk(-1), "bnc", u.rechunk(-1), "ak", cov, "",
                              concatenate=True, dtype=object, meta=np.empty((0,), object), adjust_chunks={"i": 1})
        dt = op.outputs[0].dtype
        return tuple_outputs(packed, [((3,),), ((3,),), ((1,), (1,), (4,))],
                             [backend.meta(u, dt, 1), backend.meta(u, dt, 1), backend.meta(u, np.float32, 3)],
                             "distorted-box")
