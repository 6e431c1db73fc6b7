"""Flips, transposes, rotations, crops and pads of HWC images or NHWC batches (TF1's ``tf.image``)."""
from ..graph import name_scope
from ..ops.hostvalue import constant_value
from ..ops.registry import convert_to_tensor
from .shape import as_batch, check_3d_or_4d, check_at_least_3d, image_dims, is_tensor

__all__ = ["flip_left_right", "flip_up_down", "random_flip_left_right", "random_flip_up_down", "transpose",
           "transpose_image", "rot90", "central_crop", "crop_to_bounding_box", "pad_to_bounding_box",
           "resize_image_with_crop_or_pad", "resize_with_crop_or_pad", "random_crop"]


def _df():
    import daskflow as df
    return df


def _flip(image, axis, scope_name):
    df = _df()
    with name_scope(None, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        check_at_least_3d(image)
        rank = check_3d_or_4d(image)
        return df.reverse(image, [axis + rank - 3], name=scope)


def flip_left_right(image):
    """Mirror ``image`` (HWC or NHWC) along its width."""
    return _flip(image, 1, "flip_left_right")


def flip_up_down(image):
    """Mirror ``image`` (HWC or NHWC) along its height."""
    return _flip(image, 0, "flip_up_down")


def _random_flip(image, axis, seed, scope_name):
    df = _df()
    with name_scope(None, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        rank = check_3d_or_4d(image)
        if rank == 3:
            mirror = df.random_uniform([], 0, 1.0, seed=seed) < 0.5
            out = df.cond(mirror, lambda: df.reverse(image, [axis]), lambda: image, name=scope)
            return df.reshape(out, df.shape(image)) if image.shape.is_fully_defined() else out
        n = df.shape(image)[0]
        flips = df.cast(df.round(df.reshape(df.random_uniform(df.stack([n]), 0, 1.0, seed=seed), [-1, 1, 1, 1])),
                        image.dtype)
        return flips * df.reverse(image, [axis + 1]) + (1 - flips) * image


def random_flip_left_right(image, seed=None):
    """Mirror ``image`` along its width with probability 1/2 (each image of a batch on its own draw)."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Mirror ``image`` along its height with probability 1/2 (each image of a batch on its own draw)."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


def transpose(image, name=None):
    """Swap the height and width of ``image`` (HWC or NHWC)."""
    df = _df()
    with name_scope(name, "transpose", [image]):
        image = convert_to_tensor(image, name="image")
        rank = check_3d_or_4d(image)
        return df.transpose(image, [1, 0, 2] if rank == 3 else [0, 2, 1, 3], name=name or "transpose")


transpose_image = transpose


def rot90(image, k=1, name=None):
    """Rotate ``image`` (HWC or NHWC) by ``k`` quarter turns counter-clockwise."""
    df = _df()
    with name_scope(name, "rot90", [image, k]) as scope:
        image = convert_to_tensor(image, name="image")
        rank = check_3d_or_4d(image)
        h, w = rank - 3, rank - 2
        perm = [1, 0, 2] if rank == 3 else [0, 2, 1, 3]
        turns = {0: lambda: df.identity(image),
                 1: lambda: df.transpose(df.reverse(image, [w]), perm),
                 2: lambda: df.reverse(image, [h, w]),
                 3: lambda: df.reverse(df.transpose(image, perm), [w])}
        k = convert_to_tensor(k, dtype="int32", name="k")
        if not k.shape.is_compatible_with([]):
            raise ValueError(f"k must be a scalar, got shape {k.shape}")
        kv = constant_value(k)
        if kv is not None:
            return df.identity(turns[int(kv) % 4](), name=scope)
        k = df.math.floormod(k, 4)
        return df.case([(df.equal(k, i), turns[i]) for i in (1, 2, 3)], default=turns[0], exclusive=True, name=scope)


def _static(v):
    if not is_tensor(v):
        return int(v)
    c = constant_value(v)
    return None if c is None else int(c)


def _check(cond, message):
    if cond is False:
        raise ValueError(message)


def _known(*vals):
    return all(v is not None for v in vals)


def _image_batch(image):
    """``image`` (HWC or NHWC) as a batch, and whether it was one; TF's errors for other ranks."""
    image = convert_to_tensor(image, name="image")
    check_at_least_3d(image)
    return as_batch(image, "image", f"'image' (shape {tuple(image.shape)}) must have either 3 or 4 dimensions.")


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The ``target_height`` x ``target_width`` window of ``image`` whose top-left corner is at
    (``offset_height``, ``offset_width``)."""
    df = _df()
    with name_scope(None, "crop_to_bounding_box", [image]):
        batch, is_batch = _image_batch(image)
        _, height, width, _ = image_dims(batch, 4)
        oh, ow, th, tw = map(_static, (offset_height, offset_width, target_height, target_width))
        _check(ow is None or ow >= 0, "offset_width must be >= 0.")
        _check(oh is None or oh >= 0, "offset_height must be >= 0.")
        _check(tw is None or tw > 0, "target_width must be > 0.")
        _check(th is None or th > 0, "target_height must be > 0.")
        w, h = _static(width), _static(height)
        _check(not _known(w, tw, ow) or w >= tw + ow, "width must be >= target + offset.")
        _check(not _known(h, th, oh) or h >= th + oh, "height must be >= target + offset.")
        cropped = df.slice(batch, df.stack([0, offset_height, offset_width, 0]),
                           df.stack([-1, target_height, target_width, -1]))
        cropped.set_shape([None, th, tw, None])
        return cropped if is_batch else df.squeeze(cropped, axis=[0])


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``image`` padded with zeros to ``target_height`` x ``target_width``, with ``offset_height`` rows above and
    ``offset_width`` columns left of it."""
    df = _df()
    with name_scope(None, "pad_to_bounding_box", [image]):
        batch, is_batch = _image_batch(image)
        _, height, width, _ = image_dims(batch, 4)
        oh, ow, th, tw = map(_static, (offset_height, offset_width, target_height, target_width))
        w, h = _static(width), _static(height)
        _check(oh is None or oh >= 0, "offset_height must be >= 0")
        _check(ow is None or ow >= 0, "offset_width must be >= 0")
        _check(not _known(tw, ow, w) or tw - ow - w >= 0, "width must be <= target - offset")
        _check(not _known(th, oh, h) or th - oh - h >= 0, "height must be <= target - offset")
        after_h = target_height - offset_height - height
        after_w = target_width - offset_width - width
        paddings = df.reshape(df.stack([0, 0, offset_height, after_h, offset_width, after_w, 0, 0]), [4, 2])
        padded = df.pad(batch, paddings)
        padded.set_shape([None, th, tw, None])
        return padded if is_batch else df.squeeze(padded, axis=[0])


def _max(a, b):
    return _df().maximum(a, b) if is_tensor(a) or is_tensor(b) else max(a, b)


def _min(a, b):
    return _df().minimum(a, b) if is_tensor(a) or is_tensor(b) else min(a, b)


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """``image`` cropped or zero-padded (centred, on each axis) to ``target_height`` x ``target_width``."""
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        batch, is_batch = _image_batch(image)
        th, tw = _static(target_height), _static(target_width)
        _check(tw is None or tw > 0, "target_width must be > 0.")
        _check(th is None or th > 0, "target_height must be > 0.")
        _, height, width, _ = image_dims(batch, 4)
        dw, dh = target_width - width, target_height - height
        crop_w, pad_w = _max(-dw // 2, 0), _max(dw // 2, 0)
        crop_h, pad_h = _max(-dh // 2, 0), _max(dh // 2, 0)
        cropped = crop_to_bounding_box(batch, crop_h, crop_w, _min(target_height, height), _min(target_width, width))
        resized = pad_to_bounding_box(cropped, pad_h, pad_w, target_height, target_width)
        return resized if is_batch else _df().squeeze(resized, axis=[0])


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def central_crop(image, central_fraction):
    """The central ``central_fraction`` (in (0, 1]) of ``image``'s height and width."""
    df = _df()
    with name_scope(None, "central_crop", [image]):
        image = convert_to_tensor(image, name="image")
        frac = _float_static(central_fraction)
        if frac is not None:
            if frac <= 0.0 or frac > 1.0:
                raise ValueError("central_fraction must be within (0, 1]")
            if frac == 1.0:
                return image
        check_at_least_3d(image)
        rank = image.shape.ndims
        if rank not in (3, 4):
            raise ValueError(f"`image` should either be a Tensor with rank = 3 or rank = 4. Had rank = {rank}.")
        dims = image_dims(image, rank)
        h, w = dims[rank - 3], dims[rank - 2]
        starts = []
        for d in (h, w):
            if is_tensor(d) or frac is None:
                dd = df.cast(d, df.float64)
                starts.append(df.cast((dd - dd * df.cast(central_fraction, df.float64)) / 2, df.int32))
            else:
                starts.append(int((float(d) - float(d) * frac) / 2))
        (sh, sw), sizes = starts, [h - 2 * starts[0], w - 2 * starts[1]]
        begin = [sh, sw, 0] if rank == 3 else [0, sh, sw, 0]
        size = [sizes[0], sizes[1], -1] if rank == 3 else [-1, sizes[0], sizes[1], -1]
        return df.slice(image, df.stack(begin), df.stack(size))


def _float_static(v):
    if not is_tensor(v):
        return float(v)
    c = constant_value(v)
    return None if c is None else float(c)


from ..ops.random_more import random_crop  # noqa: E402,F401 - tf.image.random_crop is tf.random_crop
