"""Crops resampled from boxes (TF's ``crop_and_resize``), glimpses and patch extraction, as composites of gathers
and math ops: their gradients (into the images and into the boxes) come from those."""
from ..graph import name_scope
from ..ops.conv_patches import extract_image_patches
from ..ops.hostvalue import constant_value
from ..ops.registry import convert_to_tensor

__all__ = ["crop_and_resize", "extract_patches", "extract_image_patches", "extract_glimpse"]


def _df():
    import daskflow as df
    return df


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """The ``sizes`` windows of NHWC ``images`` at ``strides`` (dilated by ``rates``), each flattened into the
    depth of one output pixel (TF's ``ExtractImagePatches``)."""
    return extract_image_patches(images, sizes, strides, rates, padding, name=name)


def _check_boxes(boxes, box_ind, crop_size):
    if boxes.shape.ndims is not None and (boxes.shape.ndims != 2 or boxes.shape[1] not in (None, 4)):
        raise ValueError(f"boxes must be 2-D [num_boxes, 4], got shape {boxes.shape}")
    if box_ind.shape.ndims is not None and box_ind.shape.ndims != 1:
        raise ValueError(f"box_index must be 1-D [num_boxes], got shape {box_ind.shape}")
    if boxes.shape.ndims and box_ind.shape.ndims and None not in (boxes.shape[0], box_ind.shape[0]) \
            and boxes.shape[0] != box_ind.shape[0]:
        raise ValueError(f"box_index has incompatible shape: {box_ind.shape[0]} boxes indices for "
                         f"{boxes.shape[0]} boxes")
    size = constant_value(crop_size)
    if size is None or size.shape != (2,):
        raise ValueError("crop_size must be a constant 1-D tensor of 2 elements: crop_height, crop_width")
    if any(int(s) <= 0 for s in size):
        raise ValueError("crop dimensions must be positive")
    return [int(s) for s in size]


def _sample_at(df, start, stop, n, size):
    """Sample positions (num_boxes, n) along an axis of ``size`` pixels for boxes spanning [start, stop]."""
    span = df.cast(size - 1, df.float32)
    if n > 1:
        steps = df.constant([float(i) for i in range(n)], dtype=df.float32)
        return df.expand_dims(start * span, 1) + df.expand_dims((stop - start) * span / float(n - 1), 1) * steps
    return df.expand_dims(0.5 * (start + stop) * span, 1)


def crop_and_resize(image, boxes, box_ind=None, crop_size=None, method="bilinear", extrapolation_value=0,
                    name=None, box_indices=None):
    """Crops of NHWC ``image`` at ``boxes`` (rows ``[y1, x1, y2, x2]`` in [0, 1] image coordinates, of the image
    ``box_ind`` names), each resampled to ``crop_size`` (height, width) by ``method`` ("bilinear" or "nearest");
    samples outside the image take ``extrapolation_value``. Gives float32 ``[num_boxes, crop_h, crop_w, depth]``.
    """
    df = _df()
    if box_ind is None:
        box_ind = box_indices
    elif box_indices is not None:
        raise ValueError("Cannot specify both 'box_ind' and 'box_indices'")
    if method not in ("bilinear", "nearest"):
        raise ValueError("method must be 'bilinear' or 'nearest'")
    with name_scope(name, "CropAndResize", [image, boxes]):
        image = convert_to_tensor(image, name="image")
        if image.shape.ndims is not None and image.shape.ndims != 4:
            raise ValueError(f"input image must be 4-D, got shape {image.shape}")
        boxes = df.cast(convert_to_tensor(boxes, name="boxes"), df.float32)
        box_ind = convert_to_tensor(box_ind, dtype="int32", name="box_ind")
        ch, cw = _check_boxes(boxes, box_ind, crop_size)
        img = df.cast(image, df.float32)
        shape = df.shape(img)
        h, w = shape[1], shape[2]
        y1, x1, y2, x2 = df.unstack(boxes, num=4, axis=1)
        ys, xs = _sample_at(df, y1, y2, ch, h), _sample_at(df, x1, x2, cw, w)   # (nb, ch), (nb, cw)
        inside = df.logical_and(df.expand_dims(_within(df, ys, h), 2), df.expand_dims(_within(df, xs, w), 1))
        b = df.reshape(box_ind, [-1, 1, 1])

        def pick(yi, xi):
            yi = df.clip_by_value(yi, 0, h - 1)
            xi = df.clip_by_value(xi, 0, w - 1)
            nb = df.shape(yi)[0]
            idx = df.stack([df.broadcast_to(b, df.stack([nb, ch, cw])),
                            df.broadcast_to(df.expand_dims(yi, 2), df.stack([nb, ch, cw])),
                            df.broadcast_to(df.expand_dims(xi, 1), df.stack([nb, ch, cw]))], axis=-1)
            return df.gather_nd(img, idx)
        if method == "nearest":
            out = pick(df.cast(df.floor(ys + 0.5), df.int32), df.cast(df.floor(xs + 0.5), df.int32))
        else:
            top, left = df.floor(ys), df.floor(xs)
            ti, bi = df.cast(top, df.int32), df.cast(df.ceil(ys), df.int32)
            li, ri = df.cast(left, df.int32), df.cast(df.ceil(xs), df.int32)
            ly = df.reshape(ys - top, df.stack([-1, ch, 1, 1]))
            lx = df.reshape(xs - left, df.stack([-1, 1, cw, 1]))
            upper = pick(ti, li) + (pick(ti, ri) - pick(ti, li)) * lx
            lower = pick(bi, li) + (pick(bi, ri) - pick(bi, li)) * lx
            out = upper + (lower - upper) * ly
        fill = df.cast(extrapolation_value, df.float32) * df.ones_like(out)
        return df.where(df.broadcast_to(df.expand_dims(inside, -1), df.shape(out)), out, fill)


def _within(df, pos, size):
    return df.logical_and(pos >= 0.0, pos <= df.cast(size - 1, df.float32))


def extract_glimpse(input, size, offsets, centered=True, normalized=True, uniform_noise=True, name=None):
    """A ``size`` = (height, width) window of each image of NHWC float ``input`` at ``offsets`` ([batch, 2] of
    (y, x) window centres), as TF1's ``ExtractGlimpse``: ``normalized`` offsets are in units of the image's size;
    ``centered`` ones are from its centre and halved (so [-1, 1] spans a normalized image). Parts of the window
    outside the image are noise drawn per image, uniform between the image's minimum and maximum
    (``uniform_noise``) or normal with its mean and standard deviation; the noise comes from daskflow's random
    ops, not TF's numbers."""
    df = _df()
    with name_scope(name, "ExtractGlimpse"):
        x = convert_to_tensor(input, name="input")
        if x.shape.ndims is not None and x.shape.ndims != 4:
            raise ValueError(f"input must be a 4-D tensor [batch, height, width, channels], got shape {x.shape}")
        if x.dtype != df.float32:
            raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not in list of allowed "
                            "values: float32")
        gh, gw = _check_glimpse_size(size)
        offsets = df.cast(convert_to_tensor(offsets, name="offsets"), df.float32)
        shape = df.shape(x)
        h, w = df.cast(shape[1], df.float32), df.cast(shape[2], df.float32)
        oy, ox = df.unstack(offsets, num=2, axis=1)
        if normalized:
            oy, ox = oy * h, ox * w
        if centered:  # TF halves the offsets from the centre whether or not they are normalized
            oy, ox = oy / 2.0 + h / 2.0, ox / 2.0 + w / 2.0
        top = df.cast(oy - gh / 2.0, df.int32)    # truncated toward zero, as TF's cast to an index
        left = df.cast(ox - gw / 2.0, df.int32)
        rows = df.expand_dims(top, 1) + df.range(gh)            # (batch, gh)
        cols = df.expand_dims(left, 1) + df.range(gw)           # (batch, gw)
        inside = df.logical_and(df.expand_dims(_in_range(df, rows, shape[1]), 2),
                                df.expand_dims(_in_range(df, cols, shape[2]), 1))
        n = shape[0]
        grid = df.stack([n, gh, gw])
        idx = df.stack([df.broadcast_to(df.reshape(df.range(n), [-1, 1, 1]), grid),
                        df.broadcast_to(df.expand_dims(df.clip_by_value(rows, 0, shape[1] - 1), 2), grid),
                        df.broadcast_to(df.expand_dims(df.clip_by_value(cols, 0, shape[2] - 1), 1), grid)], -1)
        window = df.gather_nd(x, idx)
        out_shape = df.shape(window)
        if uniform_noise:
            lo = df.reduce_min(x, axis=[1, 2, 3], keepdims=True)
            hi = df.reduce_max(x, axis=[1, 2, 3], keepdims=True)
            noise = lo + df.random_uniform(out_shape) * (hi - lo)
        else:
            mean, var = df.nn.moments(x, axes=[1, 2, 3], keepdims=True)
            noise = mean + df.random_normal(out_shape) * df.sqrt(var)
        return df.where(df.broadcast_to(df.expand_dims(inside, -1), out_shape), window, noise)


def _check_glimpse_size(size):
    v = constant_value(size)
    if v is None or v.shape != (2,):
        raise ValueError("size must be a constant 1-D tensor of 2 elements: glimpse_height, glimpse_width")
    if any(int(d) <= 0 for d in v):
        raise ValueError(f"glimpse size must be positive, got {v.tolist()}")
    return int(v[0]), int(v[1])


def _in_range(df, pos, size):
    return df.logical_and(pos >= 0, pos < size)
