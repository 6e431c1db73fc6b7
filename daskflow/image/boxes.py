"""Bounding boxes: non-max suppression in its TF1 forms, and drawing boxes on images."""
from ..graph import name_scope
from ..ops import image_boxes  # noqa: F401  (registers the op types)
from ..ops.registry import apply, convert_to_tensor

__all__ = ["non_max_suppression", "non_max_suppression_with_scores", "non_max_suppression_overlaps",
           "non_max_suppression_padded", "combined_non_max_suppression", "draw_bounding_boxes",
           "sample_distorted_bounding_box"]

_NEG_INF = float("-inf")


def _df():
    import daskflow as df
    return df


def _nms(src, scores, max_output_size, threshold, score_threshold, sigma, overlaps, name):
    df = _df()
    src = convert_to_tensor(src, name="overlaps" if overlaps else "boxes")
    scores = convert_to_tensor(scores, name="scores")
    args = [src, scores, convert_to_tensor(max_output_size, dtype="int32", name="max_output_size"),
            df.cast(threshold, df.float32), df.cast(score_threshold, df.float32), df.cast(sigma, df.float32)]
    return apply("NonMaxSuppressionPadded", args, {"overlaps": overlaps}, name=name)


def _first(t, n, name=None):
    return _df().slice(t, _df().reshape(0, [1]), _df().reshape(n, [1]), name=name)


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=_NEG_INF, name=None):
    """Indices (int32, at most ``max_output_size``) of the boxes kept by greedy non-max suppression: by decreasing
    score, a box is kept unless its IoU with a kept box exceeds ``iou_threshold``; boxes scoring at most
    ``score_threshold`` are never kept. ``boxes`` are rows ``[y1, x1, y2, x2]`` (corners in any order).

    Examples
    --------
    >>> import daskflow as df
    >>> import daskflow.image
    >>> boxes = [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]]
    >>> df.image.non_max_suppression(boxes, [0.9, 0.8, 0.7], 3).compute()
    array([0, 2], dtype=int32)
    """
    with name_scope(name, "non_max_suppression") as scope:
        idx, _, n = _nms(boxes, scores, max_output_size, iou_threshold, score_threshold, 0.0, False, None)
        return _first(idx, n, name=scope)


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=_NEG_INF, soft_nms_sigma=0.0, name=None):
    """``(selected_indices, selected_scores)`` of non-max suppression; with ``soft_nms_sigma`` > 0, soft-NMS:
    overlapping boxes have their scores decayed by ``exp(-iou^2 / (2 soft_nms_sigma))`` rather than dropped."""
    with name_scope(name, "non_max_suppression_with_scores"):
        idx, sc, n = _nms(boxes, scores, max_output_size, iou_threshold, score_threshold, soft_nms_sigma, False,
                          None)
        return _first(idx, n), _first(sc, n)


def non_max_suppression_overlaps(overlaps, scores, max_output_size, overlap_threshold=0.5,
                                 score_threshold=_NEG_INF, name=None):
    """``non_max_suppression`` with the pairwise ``overlaps`` (n x n) given instead of boxes."""
    with name_scope(name, "non_max_suppression_overlaps") as scope:
        idx, _, n = _nms(overlaps, scores, max_output_size, overlap_threshold, score_threshold, 0.0, True, None)
        return _first(idx, n, name=scope)


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=_NEG_INF,
                               pad_to_max_output_size=False, name=None, sorted_input=False,
                               canonicalized_coordinates=False, tile_size=512):
    """``(selected_indices, valid_outputs)``: as ``non_max_suppression``; with ``pad_to_max_output_size`` the
    indices are padded with zeros to ``max_output_size``. Boxes may carry leading batch dims (then padding is
    required); ``sorted_input``, ``canonicalized_coordinates`` and ``tile_size`` only tune TF's kernel."""
    df = _df()
    with name_scope(name, "non_max_suppression_padded"):
        boxes = convert_to_tensor(boxes, name="boxes")
        scores = convert_to_tensor(scores, name="scores")
        rank = boxes.shape.ndims
        if not pad_to_max_output_size and rank is not None and rank > 2:
            raise ValueError(f"'pad_to_max_output_size' (value {pad_to_max_output_size}) must be True for batched "
                             "input")
        if rank is None or rank == 2:
            idx, _, n = _nms(boxes, scores, max_output_size, iou_threshold, score_threshold, 0.0, False, None)
            return (idx, n) if pad_to_max_output_size else (_first(idx, n), n)
        lead = list(boxes.shape[:-2])
        if None in lead:
            raise ValueError(f"non_max_suppression_padded needs the batch dims of boxes to be known, got "
                             f"{boxes.shape}")
        flat_b = df.reshape(boxes, df.concat([[-1], df.shape(boxes)[-2:]], 0))
        flat_s = df.reshape(scores, df.stack([-1, df.shape(scores)[-1]]))
        per = [_nms(b, s, max_output_size, iou_threshold, score_threshold, 0.0, False, None)
               for b, s in zip(df.unstack(flat_b), df.unstack(flat_s))]
        idx = df.stack([p[0] for p in per])
        n = df.stack([p[2] for p in per])
        idx = df.reshape(idx, df.concat([lead, df.reshape(max_output_size, [1])], 0))
        return idx, df.reshape(n, lead)


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size, iou_threshold=0.5,
                                 score_threshold=_NEG_INF, pad_per_class=False, clip_boxes=True, name=None):
    """Per image and class, greedy non-max suppression (at most ``max_output_size_per_class`` boxes each); then the
    best ``max_total_size`` detections of the image over all classes, by score, zero-padded.

    ``boxes`` is ``[batch, num_boxes, q, 4]`` (q is 1, boxes shared by the classes, or num_classes), ``scores``
    ``[batch, num_boxes, num_classes]``. Returns ``(nmsed_boxes, nmsed_scores, nmsed_classes,
    valid_detections)``; with ``pad_per_class`` the results have ``min(max_total_size, max_output_size_per_class *
    num_classes)`` rows; ``clip_boxes`` clips the boxes to [0, 1].
    """
    df = _df()
    with name_scope(name, "combined_non_max_suppression"):
        boxes = df.cast(convert_to_tensor(boxes, name="boxes"), df.float32)
        scores = df.cast(convert_to_tensor(scores, name="scores"), df.float32)
        args = [boxes, scores, convert_to_tensor(max_output_size_per_class, dtype="int32"),
                convert_to_tensor(max_total_size, dtype="int32"), df.cast(iou_threshold, df.float32),
                df.cast(score_threshold, df.float32)]
        return tuple(apply("CombinedNonMaxSuppression", args,
                           {"pad_per_class": bool(pad_per_class), "clip_boxes": bool(clip_boxes)}))


_DEFAULT_COLORS = [[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1], [0.5, 0.5, 0, 1],
                   [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]]


def draw_bounding_boxes(images, boxes, name=None, colors=None):
    """``images`` (NHWC, float) with the outline of each box drawn in a colour: ``boxes`` is
    ``[batch, num_boxes, 4]`` of ``[y_min, x_min, y_max, x_max]`` in [0, 1]; box ``k`` takes colour
    ``k % len(colors)`` (TF's default palette when ``colors`` is None), its first ``depth`` channels."""
    df = _df()
    with name_scope(name, "draw_bounding_boxes") as scope:
        images = convert_to_tensor(images, name="images")
        if images.shape.ndims is not None and images.shape.ndims != 4:
            raise ValueError(f"The rank of the images should be 4, got shape {images.shape}")
        depth = images.shape[3]
        if depth not in (1, 3, 4):
            raise ValueError(f"Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA), got {depth}")
        boxes = df.cast(convert_to_tensor(boxes, name="boxes"), df.float32)
        palette = _DEFAULT_COLORS if colors is None else colors
        return _draw(df, images, boxes, palette, depth, scope)


def _draw(df, images, boxes, palette, depth, scope):
    import numpy as np
    shape = df.shape(images)
    h, w = shape[1], shape[2]
    hf, wf = df.cast(h - 1, df.float32), df.cast(w - 1, df.float32)
    y1, x1, y2, x2 = df.unstack(boxes, num=4, axis=-1)            # (batch, nb)
    top, bottom = df.cast(y1 * hf, df.int32), df.cast(y2 * hf, df.int32)
    left, right = df.cast(x1 * wf, df.int32), df.cast(x2 * wf, df.int32)
    rows = df.reshape(df.range(h), [1, 1, -1, 1])
    cols = df.reshape(df.range(w), [1, 1, 1, -1])

    def e(t):
        return df.reshape(t, df.concat([df.shape(t), [1, 1]], 0))
    t_, b_, l_, r_ = e(top), e(bottom), e(left), e(right)
    in_rows = df.logical_and(rows >= t_, rows <= b_)
    in_cols = df.logical_and(cols >= l_, cols <= r_)
    on_h = df.logical_and(df.logical_or(df.equal(rows, t_), df.equal(rows, b_)), in_cols)
    on_v = df.logical_and(df.logical_or(df.equal(cols, l_), df.equal(cols, r_)), in_rows)
    valid = df.logical_and(t_ <= b_, l_ <= r_)                       # TF skips inverted boxes
    mask = df.logical_and(df.logical_or(on_h, on_v), valid)          # (batch, nb, h, w)
    nb = boxes.shape[1]
    if nb is None:
        raise ValueError("draw_bounding_boxes needs the number of boxes to be known")
    pal = np.asarray(palette, dtype=np.float32)[:, :depth]
    out = images
    for k in range(nb):  # later boxes drawn over earlier ones, as TF
        colour = df.constant(pal[k % len(pal)], dtype=images.dtype)
        out = df.where(df.broadcast_to(df.expand_dims(mask[:, k], -1), df.shape(images)),
                       df.broadcast_to(colour, df.shape(images)), out)
    return df.identity(out, name=scope)


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None, seed2=None, min_object_covered=0.1,
                                  aspect_ratio_range=None, area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    """A random crop of an image of ``image_size`` ([height, width, channels]) for data augmentation, as TF's
    ``SampleDistortedBoundingBox``: up to ``max_attempts`` (100) tries of a crop with aspect ratio drawn from
    ``aspect_ratio_range`` ([0.75, 1.33]) and an area in ``area_range`` ([0.05, 1]) of the image's, placed
    uniformly, until one covers at least ``min_object_covered`` of one of ``bounding_boxes`` ([batch, N, 4],
    ``[y_min, x_min, y_max, x_max]`` in [0, 1]); else the whole image. Returns ``(begin, size, bboxes)`` for
    ``slice`` (``[y, x, 0]``, ``[h, w, -1]``) and ``draw_bounding_boxes`` (``[1, 1, 4]``).

    The draws come from daskflow's seeded random ops (``seed`` as theirs; ``seed2`` is folded into it), so a graph
    seed makes runs repeatable; the crops are TF's distribution, not TF's numbers.
    """
    df = _df()
    aspect = [0.75, 1.33] if aspect_ratio_range is None else [float(v) for v in aspect_ratio_range]
    area = [0.05, 1.0] if area_range is None else [float(v) for v in area_range]
    attempts = 100 if max_attempts is None else int(max_attempts)
    if len(aspect) != 2 or len(area) != 2:
        raise ValueError("aspect_ratio_range and area_range must each have 2 elements")
    if attempts <= 0:
        raise ValueError(f"max_attempts must be positive: {attempts}")
    if not (aspect[0] > 0 and aspect[1] > 0):
        raise ValueError(f"aspect_ratio_range must be positive: [{aspect[0]}, {aspect[1]}]")
    if not (0 < area[0] <= 1 and 0 < area[1] <= 1):
        raise ValueError(f"area_range must be in (0, 1]: [{area[0]}, {area[1]}]")
    with name_scope(name, "sample_distorted_bounding_box"):
        if seed is not None and seed2:
            seed = (int(seed) * 1000003 + int(seed2)) % (2 ** 31)
        u = df.random_uniform([attempts, 4], seed=seed)
        attrs = {"aspect_ratio_range": tuple(aspect), "area_range": tuple(area),
                 "use_image_if_no_bounding_boxes": bool(use_image_if_no_bounding_boxes)}
        size = convert_to_tensor(image_size, name="image_size")
        boxes = df.cast(convert_to_tensor(bounding_boxes, name="bounding_boxes"), df.float32)
        covered = df.cast(min_object_covered, df.float32)
        return tuple(apply("SampleDistortedBoundingBoxFromUniforms", [size, boxes, u, covered], attrs))
