"""JPEG XL decoding (TF's DecodeJxl), by Pillow with the ``pillow-jxl-plugin`` package (daskflow's ``jxl`` extra).

As TF's kernel, the op takes any image it can read: JPEG XL files (bare codestream or ISO container) decode here;
JPEG, PNG, GIF, BMP and WebP data decode as ``decode_image`` gives their first frame. The pixels are uint8; 16-bit
JPEG XL samples are rounded to 8 bits. As for the other codecs, the image's shape is computed first (a
``DecodedJxlShape`` op), so the decoded image has known dims in the plan.
"""
import io

import numpy as np

from .. import dtypes, errors
from .hostvalue import host_lowered
from .image_codecs import _bytes, decode_block, pillow, sniff
from .registry import NOT_DIFFERENTIABLE, apply1, fail, register
from .strings_map import check_strings, meta, where

__all__ = []
NAMESPACES = {"image": ["decode_jxl"], "io": ["decode_jxl"]}

_CODESTREAM, _CONTAINER = b"\xff\x0a", b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a"


def is_jxl(data):
    return data[:2] == _CODESTREAM or data[:12] == _CONTAINER


def jxl_plugin(what="DecodeJxl"):
    """Pillow's Image module with the JPEG XL format registered; a daskflow error naming ``what`` when the plugin
    is not installed."""
    image = pillow()
    try:
        import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)
    except ImportError:
        raise errors.UnimplementedError(
            None, None, f"{what} needs the pillow-jxl-plugin package to decode JPEG XL: pip install "
                        "daskflow[jxl]") from None
    return image


def _to_uint8(arr):
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind == "f":
        return np.round(np.clip(arr, 0, 1) * 255).astype(np.uint8)
    top = 65535 if arr.max(initial=0) > 255 or arr.dtype.itemsize > 1 else 255
    return ((arr.astype(np.int64) * 255 + top // 2) // top).astype(np.uint8)


def decode_jxl_block(contents, channels, where_):
    """One encoded image (a 0-d object block) as uint8 ``[height, width, channels]``."""
    data = _bytes(contents)
    if not is_jxl(data):
        if sniff(data) is None:
            raise errors.InvalidArgumentError(
                None, None, f"Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required. {where_}")
        return decode_block(contents, "any", channels, np.uint8, 1, None, False, where_)
    image = jxl_plugin(where_)
    try:
        img = image.open(io.BytesIO(data))
        img.load()
    except Exception as e:  # corrupt or truncated data
        raise errors.InvalidArgumentError(None, None, f"Invalid JPEG XL data: {e} {where_}") from None
    arr = np.asarray(img)
    arr = _to_uint8(arr[..., None] if arr.ndim == 2 else arr)
    if channels and channels != arr.shape[-1]:
        raise errors.InvalidArgumentError(None, None, f"Number of channels requested does not match input {where_}")
    return np.ascontiguousarray(arr)


def _shape_block(contents, channels, where_):
    return np.array(decode_jxl_block(contents, channels, where_).shape, dtype=np.int32)


def _check(op):
    c = op.inputs[0]
    check_strings(op, [c], "contents")
    if c.shape.ndims not in (None, 0):
        fail(op, f"Shape must be rank 0 but is rank {c.shape.ndims} (contents)", ValueError)
    if op.attrs["channels"] not in (0, 1, 3, 4):
        fail(op, f"`channels` must be 0, 1, 3 or 4 but got {op.attrs['channels']}")


@register("DecodedJxlShape")
class DecodedJxlShape:
    """``[height, width, channels]`` (int32) of the image DecodeJxl gives for the same input and attrs."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check(op)
        return [((3,), dtypes.int32)]

    def lower(op, contents):
        return contents.map_blocks(_shape_block, channels=op.attrs["channels"], where_=where(op), new_axis=[0],
                                   chunks=((3,),), dtype=np.int32, meta=meta(np.int32, 1))


@register("DecodeJxl")
class DecodeJxl:
    """Input 0: the encoded image (a scalar string); input 1: its DecodedJxlShape. Attr ``channels``."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check(op)
        return [((None, None, op.attrs["channels"] or None), dtypes.uint8)]

    def lower(op, contents, _shape):
        shape = [int(v) for v in host_lowered(op, 1, "decoded shape")]
        return contents.map_blocks(decode_jxl_block, channels=op.attrs["channels"], where_=where(op),
                                   new_axis=[0, 1, 2], chunks=tuple((d,) for d in shape), dtype=np.uint8,
                                   meta=meta(np.uint8, 3))


def decode_jxl(contents, channels=0, dtype=dtypes.uint8, name=None):
    """Decode a JPEG XL encoded image to a uint8 tensor ``[height, width, channels]``.

    ``channels`` 0 keeps the image's own number of channels (1 gray, 2 gray and alpha, 3 RGB, 4 RGBA); 1, 3 or 4
    must equal it. Needs the ``pillow-jxl-plugin`` package (``pip install daskflow[jxl]``).

    Examples
    --------
    >>> import daskflow as df
    >>> img = df.image.decode_jxl(df.io.read_file("photo.jxl"))  # doctest: +SKIP
    """
    dt = dtypes.as_dtype(dtype)
    if dt != dtypes.uint8:
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dt.name} not in list of allowed values: "
                        "uint8")
    jxl_plugin("decode_jxl")
    attrs = {"channels": int(channels)}
    name = name or "DecodeJxl"
    shape = apply1("DecodedJxlShape", [contents], attrs, name=name + "_shape")
    return apply1("DecodeJxl", [contents, shape], attrs, name=name)
