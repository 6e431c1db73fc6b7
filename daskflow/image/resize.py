"""Resizing: TF1's ``tf.image.resize_images`` (``resize``), the four resize ops and resizing by cropping or
padding.

Images are NHWC (a batch) or HWC (one image). The resize ops keep TF1's defaults (``align_corners=False``,
``half_pixel_centers=False``) and values: bilinear, bicubic and area give float32, nearest keeps the dtype.
"""
import enum

from .. import dtypes
from ..graph import name_scope
from ..ops import image_resize  # noqa: F401  (registers the op types)
from ..ops.hostvalue import constant_value
from ..ops.registry import apply1, convert_to_tensor
from .shape import as_batch, image_dims, unbatch

__all__ = ["ResizeMethod", "resize", "resize_images", "resize_bilinear", "resize_nearest_neighbor", "resize_bicubic",
           "resize_area", "resize_image_with_pad"]


class ResizeMethod(enum.IntEnum):
    """TF1's resize methods (``tf.image.ResizeMethod``)."""
    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def _op(type_name, images, size, align_corners, half_pixel_centers, name):
    size = convert_to_tensor(size, dtype=dtypes.int32)
    return apply1(type_name, [images, size], {"align_corners": bool(align_corners),
                                              "half_pixel_centers": bool(half_pixel_centers)},
                  name=name or type_name)


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resize 4-D ``images`` to ``size`` = (new_height, new_width) by bilinear interpolation (float32 result).

    ``align_corners`` maps the corner pixels onto each other; ``half_pixel_centers`` samples at pixel centres
    (TF2's convention); by default a pixel ``i`` of the output samples the input at ``i * in / out``.
    """
    return _op("ResizeBilinear", images, size, align_corners, half_pixel_centers, name)


def resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resize 4-D ``images`` to ``size`` by copying the nearest pixel (keeps the dtype)."""
    return _op("ResizeNearestNeighbor", images, size, align_corners, half_pixel_centers, name)


def resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resize 4-D ``images`` to ``size`` by cubic convolution (Keys' kernel, a=-0.75; a=-0.5 with
    ``half_pixel_centers``), float32 result."""
    return _op("ResizeBicubic", images, size, align_corners, half_pixel_centers, name)


def resize_area(images, size, align_corners=False, name=None):
    """Resize 4-D ``images`` to ``size``, each output pixel the mean of the input area it covers (float32)."""
    return _op("ResizeArea", images, size, align_corners, False, name)


_RESIZERS = {ResizeMethod.BILINEAR: resize_bilinear, ResizeMethod.NEAREST_NEIGHBOR: resize_nearest_neighbor,
             ResizeMethod.BICUBIC: resize_bicubic, ResizeMethod.AREA: resize_area}
_BY_NAME = {"bilinear": 0, "nearest": 1, "bicubic": 2, "area": 3}


def _method(method):
    key = _BY_NAME.get(method, method) if isinstance(method, str) else method
    try:
        return ResizeMethod(key)
    except ValueError:
        raise ValueError(f"Resize method is not implemented: {method}") from None


def _size_tensor(size):
    try:
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
    except (TypeError, ValueError):
        raise ValueError("'size' must be a 1-D int32 Tensor") from None
    if not size.shape.is_compatible_with([2]):
        raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
    return size


def _aspect_size(images, size):
    import daskflow as df
    _, h, w, _ = image_dims(images, 4)
    hf, wf = df.cast(h, df.float32), df.cast(w, df.float32)
    scale = df.minimum(df.cast(size[0], df.float32) / hf, df.cast(size[1], df.float32) / wf)
    return df.stack([df.cast(df.round(scale * hf), df.int32), df.cast(df.round(scale * wf), df.int32)], name="size")


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners=False, preserve_aspect_ratio=False,
                  name=None):
    """Resize ``images`` (NHWC or HWC) to ``size`` = (new_height, new_width) by ``method`` (a ``ResizeMethod``).

    As TF1: images already of that size come back unchanged (their dtype too); otherwise nearest neighbour keeps
    the dtype and the other methods give float32. ``preserve_aspect_ratio`` scales both sides by one factor so
    that the result fits in ``size``.

    Examples
    --------
    >>> import daskflow as df
    >>> import daskflow.image
    >>> x = df.constant([[[1.0], [3.0]]])            # 1x2 image, one channel
    >>> df.image.resize_images(x, [1, 4]).compute()[0, :, 0]
    array([1., 2., 3., 3.], dtype=float32)
    """
    resizer = _RESIZERS[_method(method)]
    with name_scope(name, "resize") as scope:
        images = convert_to_tensor(images, name="images")
        batch, is_batch = as_batch(images, "images")
        size = _size_tensor(size)
        if preserve_aspect_ratio:
            size = _aspect_size(batch, size)
        known = constant_value(size, partial=True)
        new = [None, None] if known is None else [None if v is None else int(v) for v in known.tolist()]
        if None not in new and list(batch.shape[1:3]) == new:
            return images
        out = resizer(batch, size, align_corners=align_corners)
        return unbatch(out, is_batch, scope)


resize = resize_images


def resize_image_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR, align_corners=False):
    """Resize ``image`` to fit in target_height x target_width keeping its aspect ratio, then pad it with zeros
    to that size (centred), as TF1."""
    import daskflow as df
    from .crop import pad_to_bounding_box
    with name_scope(None, "resize_image_with_pad"):
        image = convert_to_tensor(image, name="image")
        batch, is_batch = as_batch(image, "image")
        _check_positive(target_height, "target_height")
        _check_positive(target_width, "target_width")
        _, h, w, _ = image_dims(batch, 4)
        f32 = df.float32
        hf, wf = df.cast(h, f32), df.cast(w, f32)
        ratio = df.maximum(wf / float(target_width), hf / float(target_height))
        rh = df.cast(df.floor(hf / ratio), df.int32)
        rw = df.cast(df.floor(wf / ratio), df.int32)
        pad_h = df.maximum(0, df.cast(df.floor((float(target_height) - hf / ratio) / 2), df.int32))
        pad_w = df.maximum(0, df.cast(df.floor((float(target_width) - wf / ratio) / 2), df.int32))
        resized = resize_images(batch, df.stack([rh, rw]), method, align_corners)
        padded = pad_to_bounding_box(resized, pad_h, pad_w, target_height, target_width)
        return padded if is_batch else df.squeeze(padded, axis=[0])


def _check_positive(v, what):
    c = constant_value(v)
    if c is not None and int(c) <= 0:
        raise ValueError(f"{what} must be > 0.")
