"""Decoding and encoding images held in scalar string tensors (TF1's ``tf.image.decode_*`` and ``encode_*``), by
Pillow, and the JPEG quality adjustments built on them."""
from .. import dtypes
from ..graph import name_scope
from ..ops import image_codecs as _ops
from ..ops.registry import apply1, convert_to_tensor
from .color import convert_image_dtype

__all__ = ["decode_jpeg", "decode_png", "decode_gif", "decode_webp", "decode_bmp", "decode_image",
           "decode_and_crop_jpeg",
           "encode_jpeg", "encode_png", "extract_jpeg_shape", "is_jpeg", "adjust_jpeg_quality",
           "random_jpeg_quality"]


def _df():
    import daskflow as df
    return df


def _ratio(ratio):
    if ratio not in (1, 2, 4, 8):
        raise ValueError(f"ratio must be 1, 2, 4, or 8, got {ratio}")
    return ratio


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """The uint8 pixels ``[height, width, channels]`` of the JPEG in ``contents`` (a scalar string): ``channels``
    0 keeps the file's (1 or 3), 1 gives luma, 3 RGB; ``ratio`` (1, 2, 4, 8) downscales while decoding.

    Luma comes out as TF's libjpeg gives it for either ``dct_method``. Colour is exactly TF's with
    ``fancy_upscaling=False`` (fast IDCT) or with ``dct_method="INTEGER_ACCURATE"``; with TF's defaults (fast IDCT
    and smooth upsampling, a pairing Pillow's libjpeg does not offer) it is decoded with the accurate IDCT, a few
    levels from TF's pixels. ``try_recover_truncated`` and ``acceptable_fraction`` are accepted; truncated data
    is an error."""
    return _ops.decode("DecodeImage", contents, fmt="jpeg", channels=channels, allowed=(0, 1, 3),
                       ratio=_ratio(ratio), fancy_upscaling=fancy_upscaling, dct_method=dct_method,
                       name=name or "DecodeJpeg")


def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="", name=None):
    """``decode_jpeg`` then the window ``crop_window = [y, x, height, width]`` of it (an InvalidArgumentError
    when run if the window leaves the image)."""
    window = convert_to_tensor(crop_window, dtype="int32", name="crop_window")
    return _ops.decode("DecodeAndCropJpeg", contents, [window], fmt="jpeg", channels=channels, allowed=(0, 1, 3),
                       ratio=_ratio(ratio), fancy_upscaling=fancy_upscaling, dct_method=dct_method,
                       name=name or "DecodeAndCropJpeg")


def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    """The pixels ``[height, width, channels]`` of the PNG in ``contents``, as uint8 or uint16 (8-bit files
    scaled up, 16-bit ones down); ``channels`` 0 keeps the file's, else 1, 3 or 4."""
    dt = dtypes.as_dtype(dtype)
    if dt.name not in ("uint8", "uint16"):
        raise TypeError(f"Value for attr 'dtype' of {dt.name} is not in the list of allowed values: uint8, uint16")
    return _ops.decode("DecodeImage", contents, fmt="png", channels=channels, allowed=(0, 1, 3, 4), dtype=dt,
                       name=name or "DecodePng")


def decode_gif(contents, name=None):
    """The RGB frames ``[num_frames, height, width, 3]`` (uint8) of the GIF in ``contents``."""
    return _ops.decode("DecodeImage", contents, fmt="gif", channels=3, allowed=(3,), name=name or "DecodeGif")


def decode_webp(contents, channels=0, dtype=dtypes.uint8, name=None):
    """The frames ``[num_frames, height, width, channels]`` (uint8) of the WebP image or animation in
    ``contents``: ``channels`` 0 keeps the file's (3, or 4 with alpha); 3 or 4 must match it."""
    if dtypes.as_dtype(dtype).name != "uint8":
        raise TypeError(f"Value for attr 'dtype' of {dtypes.as_dtype(dtype).name} is not in the list of allowed "
                        "values: uint8")
    return _ops.decode("DecodeImage", contents, fmt="webp", channels=channels, allowed=(0, 3, 4),
                       name=name or "DecodeWebP")


def decode_bmp(contents, channels=0, name=None):
    """The uint8 pixels ``[height, width, channels]`` of the BMP in ``contents`` (``channels`` 0, 3 or 4)."""
    return _ops.decode("DecodeImage", contents, fmt="bmp", channels=channels, allowed=(0, 3, 4),
                       name=name or "DecodeBmp")


def decode_image(contents, channels=None, dtype=dtypes.uint8, name=None, expand_animations=True):
    """Any of JPEG, PNG, GIF, BMP and WebP (told by the data's first bytes), as ``dtype`` (uint8, uint16 or
    float32, scaled as ``convert_image_dtype``). GIFs and WebPs give all their frames (4-D) with
    ``expand_animations``, else their first frame; other images are 3-D."""
    dt = dtypes.as_dtype(dtype)
    if dt.name not in ("uint8", "uint16", "float32"):
        raise TypeError(f"Value for attr 'dtype' of {dt.name} is not in the list of allowed values: uint8, uint16, "
                        "float32")
    with name_scope(name, "decode_image"):
        contents = convert_to_tensor(contents, name="contents")
        return _ops.decode("DecodeImage", contents, fmt="any", channels=channels or 0,
                           allowed=(0, 1, 3, 4), dtype=dt, expand_animations=expand_animations, name="DecodeImage")


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False, chroma_downsampling=True,
                density_unit="in", x_density=300, y_density=300, xmp_metadata="", name=None):
    """The JPEG encoding (a scalar string) of uint8 ``image`` ``[height, width, 1 or 3]`` at ``quality`` (0-100);
    ``format`` "grayscale" or "rgb" checks the channels."""
    _ops.pillow()
    image = convert_to_tensor(image, name="image")
    want = {"": None, "grayscale": 1, "rgb": 3}
    if format not in want:
        raise ValueError(f"format must be '', 'grayscale' or 'rgb', got {format!r}")
    if want[format] and image.shape.ndims == 3 and image.shape[-1] not in (None, want[format]):
        raise ValueError(f"format {format!r} needs {want[format]} channels, got image of shape {image.shape}")
    if not 0 <= int(quality) <= 100:
        raise ValueError(f"quality must be in [0,100], got {quality}")
    attrs = {"format": "jpeg", "quality": int(quality), "progressive": bool(progressive),
             "optimize_size": bool(optimize_size), "chroma_downsampling": bool(chroma_downsampling),
             "compression": -1}
    return apply1("EncodeJpeg", [image], attrs, name=name or "EncodeJpeg")


def encode_png(image, compression=-1, name=None):
    """The PNG encoding (a scalar string) of uint8 or uint16 ``image`` ``[height, width, 1-4]``; ``compression``
    0-9 (-1: the default)."""
    _ops.pillow()
    if not -1 <= int(compression) <= 9:
        raise ValueError(f"compression should be in [-1,9], got {compression}")
    attrs = {"format": "png", "quality": 0, "progressive": False, "optimize_size": False,
             "chroma_downsampling": False, "compression": int(compression)}
    return apply1("EncodePng", [image], attrs, name=name or "EncodePng")


def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None):
    """``[height, width, channels]`` of the JPEG in ``contents``, read from its header."""
    _ops.pillow()
    dt = dtypes.as_dtype(output_type)
    if dt.name not in ("int32", "int64"):
        raise TypeError(f"output_type must be int32 or int64, got {dt.name}")
    return apply1("ExtractJpegShape", [contents], {"output_type": dt}, name=name or "ExtractJpegShape")


def is_jpeg(contents, name=None):
    """Whether ``contents`` (a scalar string) starts as a JPEG does (bytes ``FF D8 FF``)."""
    df = _df()
    with name_scope(name, "is_jpeg") as scope:
        return df.equal(df.strings.substr(contents, 0, 3), b"\xff\xd8\xff", name=scope)


def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    """``image`` (HWC, 1 or 3 channels) encoded as JPEG at ``jpeg_quality`` (an int in [0, 100], python or scalar
    tensor) and decoded again, in its own dtype."""
    df = _df()
    _ops.pillow()
    with name_scope(name, "adjust_jpeg_quality") as scope:
        image = convert_to_tensor(image, name="image")
        if image.shape.ndims is not None and image.shape.ndims != 3:
            raise ValueError(f"adjust_jpeg_quality takes one image [height, width, channels], got shape "
                             f"{image.shape}")
        if not hasattr(jpeg_quality, "dtype") and not 0 <= int(jpeg_quality) <= 100:
            raise ValueError(f"jpeg_quality must be in [0,100], got {jpeg_quality}")
        u8 = convert_image_dtype(image, dtypes.uint8, saturate=True)
        q = df.cast(jpeg_quality, df.int32)
        encoded = apply1("EncodeJpegVariableQuality", [u8, q], {"format": "jpeg"}, name="EncodeJpegVariableQuality")
        channels = image.shape[-1] if image.shape.ndims else None
        out = decode_jpeg(encoded, channels=channels or 0)
        if channels:
            out.set_shape(image.shape)
        return convert_image_dtype(out, image.dtype, saturate=True, name=scope)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """``adjust_jpeg_quality`` at a quality drawn uniformly from ``[min_jpeg_quality, max_jpeg_quality)``."""
    if min_jpeg_quality < 0 or max_jpeg_quality < 0 or min_jpeg_quality > 100 or max_jpeg_quality > 100:
        raise ValueError("jpeg_quality must be in [0,100]")
    if min_jpeg_quality >= max_jpeg_quality:
        raise ValueError("`min_jpeg_quality` must be less than `max_jpeg_quality`.")
    df = _df()
    q = df.random_uniform([], min_jpeg_quality, max_jpeg_quality, dtype=df.int32, seed=seed)
    return adjust_jpeg_quality(image, q)
