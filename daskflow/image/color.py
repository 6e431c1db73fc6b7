"""Colour spaces, dtype conversion and colour adjustments (TF1's ``tf.image``), as composites of math ops, so
every differentiable one has its gradient from them.

Pixel values follow TF's conventions: float images hold [0, 1], integer images [0, dtype max];
``convert_image_dtype`` maps one onto the other. HSV hue is in [0, 1).
"""
import numpy as np

from .. import dtypes
from ..graph import name_scope
from ..ops.hostvalue import constant_value
from ..ops.registry import convert_to_tensor
from .shape import check_at_least_3d

__all__ = ["convert_image_dtype", "rgb_to_grayscale", "grayscale_to_rgb", "rgb_to_hsv", "hsv_to_rgb", "rgb_to_yiq",
           "yiq_to_rgb", "rgb_to_yuv", "yuv_to_rgb", "adjust_brightness", "adjust_contrast", "adjust_gamma",
           "adjust_hue", "adjust_saturation", "random_brightness", "random_contrast", "random_hue",
           "random_saturation", "per_image_standardization"]


def _df():
    import daskflow as df
    return df


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """``image`` in ``dtype``, rescaled: floats span [0, 1), integers [0, dtype max].

    Integer to integer shifts by the ratio of the ranges (a floor division when narrowing); integer to float
    multiplies by ``1 / max``; float to integer multiplies by ``max + 0.5`` and truncates. ``saturate`` clips
    before casts that could overflow.
    """
    df = _df()
    image = convert_to_tensor(image, name="image")
    dtype = dtypes.as_dtype(dtype)
    if dtype.kind not in "fiu":
        raise AttributeError("dtype must be either floating point or integer")
    if image.dtype.kind not in "fiu":
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype == image.dtype:
        return df.identity(image, name=name)
    with name_scope(name, "convert_image", [image]) as scope:
        def cast(x, **kw):
            return df.saturate_cast(x, dtype, **kw) if saturate else df.cast(x, dtype, **kw)
        src = image.dtype
        if src.kind in "iu" and dtype.kind in "iu":
            scale_in, scale_out = int(_max_of(src)), int(_max_of(dtype))
            if scale_in > scale_out:
                return cast(df.math.floordiv(image, (scale_in + 1) // (scale_out + 1)), name=scope)
            return df.multiply(cast(image), (scale_out + 1) // (scale_in + 1), name=scope)
        if src.kind == "f" and dtype.kind == "f":
            return df.cast(image, dtype, name=scope)
        if src.kind in "iu":
            return df.multiply(df.cast(image, dtype), 1.0 / float(_max_of(src)), name=scope)
        return cast(df.multiply(image, float(_max_of(dtype)) + 0.5), name=scope)


def _max_of(dt):
    return np.iinfo(dt).max if dt.kind in "iu" else np.finfo(dt).max


def _to_float(image):
    """``image`` as float for the adjustments: float16 and float32 stay, others become float32."""
    if image.dtype.name in ("float16", "float32"):
        return image
    return convert_image_dtype(image, "float32")


def _mix(images, kernel, name):
    df = _df()
    images = convert_to_tensor(images, name="images")
    _check_last(images, 3, name)
    k = df.constant(kernel, dtype=images.dtype, name="kernel")
    return df.tensordot(images, k, axes=[[images.shape.ndims - 1], [0]])


def _check_last(images, n, what):
    if images.shape.ndims is not None and images.shape.ndims >= 1 and images.shape[-1] not in (None, n):
        raise ValueError(f"Dimensions must be equal, but are {images.shape[-1]} and {n} for '{what}' with input "
                         f"shapes: {list(images.shape)}, [{n}, {n}].")


def rgb_to_yiq(images):
    """RGB (last axis) to YIQ, by TF's matrix."""
    return _mix(images, [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
                         [0.114, -0.32134392, 0.31119955]], "rgb_to_yiq")


def yiq_to_rgb(images):
    """YIQ (last axis) to RGB, by TF's matrix."""
    return _mix(images, [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
                         [0.6208248, -0.64720424, 1.70423049]], "yiq_to_rgb")


def rgb_to_yuv(images):
    """RGB (last axis) to YUV, by TF's matrix."""
    return _mix(images, [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                         [0.114, 0.43601035, -0.10001026]], "rgb_to_yuv")


def yuv_to_rgb(images):
    """YUV (last axis) to RGB, by TF's matrix."""
    return _mix(images, [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]], "yuv_to_rgb")


def rgb_to_grayscale(images, name=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` of ``images`` (last axis RGB), with a last axis of 1, in the
    images' dtype."""
    df = _df()
    with name_scope(name, "rgb_to_grayscale", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        _check_last(images, 3, "rgb_to_grayscale")
        flt = convert_image_dtype(images, "float32")
        gray = df.expand_dims(df.tensordot(flt, df.constant([0.2989, 0.5870, 0.1140]), [[-1], [-1]]), -1)
        return convert_image_dtype(gray, images.dtype, name=scope)


def grayscale_to_rgb(images, name=None):
    """``images`` with a last axis of 1 repeated to 3 (RGB)."""
    df = _df()
    with name_scope(name, "grayscale_to_rgb", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        if images.shape.ndims is not None and (images.shape.ndims < 2 or images.shape[-1] not in (None, 1)):
            raise ValueError("Last dimension of a grayscale image should be size 1.")
        return df.tile(images, [1] * (images.shape.ndims - 1) + [3], name=scope)


def _channels(images, what):
    df = _df()
    images = convert_to_tensor(images, name="images")
    if images.dtype.kind != "f":
        raise TypeError(f"Value passed to parameter 'images' has DataType {dtypes.name(images.dtype)} not in list "
                        "of allowed values: float16, bfloat16, float32, float64")
    if images.shape.ndims is not None and images.shape[-1] not in (None, 3):
        raise ValueError(f"Dimension must be 3 but is {images.shape[-1]} for '{what}' with input shapes: "
                         f"{list(images.shape)}.")
    return images, df.unstack(images, num=3, axis=-1)


def rgb_to_hsv(images, name=None):
    """RGB (last axis, values in [0, 1]) to HSV: hue in [0, 1), saturation and value in [0, 1], as TF's
    ``RGBToHSV`` (a grey pixel has hue 0 and saturation 0)."""
    df = _df()
    with name_scope(name, "RGBToHSV", [images]) as scope:
        images, (r, g, b) = _channels(images, "RGBToHSV")
        v = df.maximum(df.maximum(r, g), b)
        rng = v - df.minimum(df.minimum(r, g), b)
        pos = rng > 0
        s = df.where(v > 0, rng / df.where(v > 0, v, df.ones_like(v)), df.zeros_like(v))
        norm = 1.0 / (6.0 * df.where(pos, rng, df.ones_like(rng)))
        h = df.where(df.equal(r, v), norm * (g - b),
                     df.where(df.equal(g, v), norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0))
        h = df.where(pos, h, df.zeros_like(h))
        h = df.where(h < 0, h + 1.0, h)
        return df.stack([h, s, v], axis=-1, name=scope)


def hsv_to_rgb(images, name=None):
    """HSV (last axis; hue in [0, 1]) to RGB, as TF's ``HSVToRGB``."""
    df = _df()
    with name_scope(name, "HSVToRGB", [images]) as scope:
        images, (h, s, v) = _channels(images, "HSVToRGB")
        dh = h * 6.0
        parts = [df.clip_by_value(df.abs(dh - 3.0) - 1.0, 0.0, 1.0),
                 df.clip_by_value(2.0 - df.abs(dh - 2.0), 0.0, 1.0),
                 df.clip_by_value(2.0 - df.abs(dh - 4.0), 0.0, 1.0)]
        return df.stack([((1.0 - s) + s * p) * v for p in parts], axis=-1, name=scope)


def adjust_brightness(image, delta):
    """``image + delta`` (in [0, 1] units), saturated back into ``image``'s dtype."""
    df = _df()
    with name_scope(None, "adjust_brightness", [image, delta]) as scope:
        image = convert_to_tensor(image, name="image")
        flt = _to_float(image)
        adjusted = df.add(flt, df.cast(delta, flt.dtype), name=scope)
        return convert_image_dtype(adjusted, image.dtype, saturate=True)


def adjust_contrast(images, contrast_factor):
    """``(x - mean) * contrast_factor + mean`` per image and channel (mean over height and width), saturated back
    into ``images``' dtype (TF's ``AdjustContrastv2``)."""
    df = _df()
    with name_scope(None, "adjust_contrast", [images, contrast_factor]) as scope:
        images = convert_to_tensor(images, name="images")
        check_at_least_3d(images)
        flt = _to_float(images)
        mean = df.reduce_mean(flt, axis=[-3, -2], keepdims=True)
        factor = df.cast(contrast_factor, flt.dtype)
        adjusted = df.add((flt - mean) * factor, mean, name=scope)
        return convert_image_dtype(adjusted, images.dtype, saturate=True)


def adjust_gamma(image, gamma=1, gain=1):
    """``gain * image ** gamma`` (in [0, 1] units), saturated back into ``image``'s dtype."""
    df = _df()
    with name_scope(None, "adjust_gamma", [image, gamma, gain]):
        image = convert_to_tensor(image, name="image")
        g = constant_value(gamma)
        if g is not None and float(g) < 0:
            raise ValueError("Gamma should be a non-negative real number.")
        flt = _to_float(image)
        adjusted = df.cast(gain, flt.dtype) * df.pow(flt, df.cast(gamma, flt.dtype))
        return convert_image_dtype(adjusted, image.dtype, saturate=True)


def _via_hsv(image, scope_name, name, change):
    df = _df()
    with name_scope(name, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        flt = convert_image_dtype(image, "float32") if image.dtype.name != "float32" else image
        hsv = rgb_to_hsv(flt)
        h, s, v = df.unstack(hsv, num=3, axis=-1)
        out = hsv_to_rgb(df.stack(change(h, s, v), axis=-1))
        return convert_image_dtype(out, image.dtype, name=scope)


def adjust_hue(image, delta, name=None):
    """Rotate the hue of RGB ``image`` by ``delta`` (in [-1, 1], a full turn being 1)."""
    df = _df()
    d = df.cast(delta, "float32")
    return _via_hsv(image, "adjust_hue", name, lambda h, s, v: [df.math.floormod(h + d, 1.0), s, v])


def adjust_saturation(image, saturation_factor, name=None):
    """Scale the saturation of RGB ``image`` by ``saturation_factor``, clipped to [0, 1]."""
    df = _df()
    f = df.cast(saturation_factor, "float32")
    return _via_hsv(image, "adjust_saturation", name,
                    lambda h, s, v: [h, df.clip_by_value(s * f, 0.0, 1.0), v])


def _range_checks(lower, upper):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")


def random_brightness(image, max_delta, seed=None):
    """``adjust_brightness`` by a delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = _df().random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None):
    """``adjust_contrast`` by a factor drawn uniformly from [lower, upper)."""
    _range_checks(lower, upper)
    return adjust_contrast(image, _df().random_uniform([], lower, upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    """``adjust_hue`` by a delta drawn uniformly from [-max_delta, max_delta), ``max_delta`` in [0, 0.5]."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_hue(image, _df().random_uniform([], -max_delta, max_delta, seed=seed))


def random_saturation(image, lower, upper, seed=None):
    """``adjust_saturation`` by a factor drawn uniformly from [lower, upper)."""
    _range_checks(lower, upper)
    return adjust_saturation(image, _df().random_uniform([], lower, upper, seed=seed))


def per_image_standardization(image):
    """Each image (the last three axes) scaled to mean 0 and variance 1: ``(x - mean) / max(stddev,
    1 / sqrt(pixels))``, as float32."""
    df = _df()
    with name_scope(None, "per_image_standardization", [image]) as scope:
        image = convert_to_tensor(image, name="image")
        check_at_least_3d(image)
        image = df.cast(image, df.float32)
        pixels = df.reduce_prod(df.shape(image)[-3:])
        mean = df.reduce_mean(image, axis=[-1, -2, -3], keepdims=True)
        std = df.math.reduce_std(image, axis=[-1, -2, -3], keepdims=True)
        adjusted = df.maximum(std, df.math.rsqrt(df.cast(pixels, df.float32)))
        return df.truediv(image - mean, adjusted, name=scope)
