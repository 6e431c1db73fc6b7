"""Image codecs on scalar string tensors, by Pillow (TF's DecodeJpeg, DecodePng, DecodeGif, DecodeBmp,
DecodeImage, DecodeAndCropJpeg, EncodeJpeg, EncodePng, ExtractJpegShape).

A decode op runs on the host, one task per image; the image's height and width (and GIF's frame count) are known
only when it runs, so they are unknown dims (nan chunk sizes) as for ``decode_wav``. Pillow is imported when an op
runs or is built, with an ImportError naming the package to install.
"""
import io

import numpy as np

from .. import dtypes, errors
from ..graph import TensorShape
from .hostvalue import host_lowered, host_vector
from .registry import NOT_DIFFERENTIABLE, apply1, fail, register
from .strings_map import check_strings, meta, where, whole

__all__ = []

_JPEG, _PNG, _GIF, _BMP = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", (b"GIF87a", b"GIF89a"), b"BM"


def pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("daskflow's image codecs need Pillow: pip install pillow (it comes with the 'tf' and "
                          "'test' extras)") from None
    return Image


def sniff(data):
    """The format of encoded image bytes by their magic number, as TF's DecodeImage: jpeg, png, gif, bmp or None."""
    if data[:3] == _JPEG:
        return "jpeg"
    if data[:8] == _PNG:
        return "png"
    if data[:6] in _GIF:
        return "gif"
    if data[:2] == _BMP:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _bytes(b):
    v = np.asarray(b)[()]
    return v if isinstance(v, bytes) else bytes(v)


_EXPECTED = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "bmp": "BMP", "webp": "WebP"}


def _bad(fmt, where_):
    names = _EXPECTED
    if fmt == "any":
        return errors.InvalidArgumentError(None, None, "Unknown image file format. One of JPEG, PNG, GIF, BMP "
                                                       f"required. {where_}")
    return errors.InvalidArgumentError(None, None, f"Invalid {names[fmt]} data or crop window, data size "
                                                   f"{where_}")


def _channels(img, channels, fmt, wide=False):
    """A Pillow image as a uint8 or uint16 array of ``channels`` (0: as in the file; 1, 3, 4)."""
    mode = img.mode
    if fmt == "png" and wide and mode not in ("I;16", "I;16B", "I;16L", "I"):
        raise errors.UnimplementedError(None, None, "16-bit colour PNGs decode to uint8 only here (Pillow reads "
                                                    "their high bytes)")
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img).astype(np.uint16)[..., None]
        have = 1
    else:
        if mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif mode in ("LA",):
            img = img.convert("RGBA") if channels in (3, 4) else img
        elif mode not in ("L", "RGB", "RGBA"):
            img = img.convert("RGB")
        arr = np.asarray(img)
        arr = arr[..., None] if arr.ndim == 2 else arr
        have = arr.shape[-1]
    want = channels or have
    if want == have:
        return arr
    if want == 1:  # libpng's rgb-to-gray with TF's weights 0.299, 0.587 as its fixed point (of 32768), truncated
        rgb = arr[..., :3].astype(np.int64)
        gray = (rgb[..., 0] * 9797 + rgb[..., 1] * 19234 + rgb[..., 2] * 3737) >> 15
        return gray.astype(arr.dtype)[..., None]
    if have == 1:
        rgb = np.repeat(arr, 3, -1)
        return rgb if want == 3 else np.concatenate([rgb, np.full(arr.shape, np.iinfo(arr.dtype).max, arr.dtype)], -1)
    if have == 2:  # gray with alpha
        rgb = np.repeat(arr[..., :1], 3, -1)
        return rgb if want == 3 else np.concatenate([rgb, arr[..., 1:]], -1)
    if want == 3:
        return arr[..., :3]
    return np.concatenate([arr, np.full(arr.shape[:-1] + (1,), np.iinfo(arr.dtype).max, arr.dtype)], -1)


def _open(data, fmt, where_):
    kind = sniff(data)
    if fmt != "any" and kind != fmt:
        raise _bad(fmt, where_)
    if kind is None:
        raise _bad("any", where_)
    try:
        return pillow().open(io.BytesIO(data)), kind
    except Exception as e:  # Pillow's errors for corrupt data
        raise errors.InvalidArgumentError(None, None, f"Invalid {_EXPECTED[kind]} data: {e} {where_}") from None


def _load(img, kind, where_):
    try:
        img.load()
    except Exception as e:  # truncated data
        raise errors.InvalidArgumentError(None, None, f"Invalid {_EXPECTED[kind]} data: {e} {where_}") from None
    return img


def _webp_frames(img, channels, where_):
    have = 4 if img.mode in ("RGBA", "LA") or "transparency" in img.info else 3
    if channels and channels != have:
        raise errors.InvalidArgumentError(None, None, f"Number of channels requested does not match input {where_}")
    out = []
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        out.append(np.asarray(img.convert("RGBA" if have == 4 else "RGB")))
    return np.stack(out)


def _frames(img):
    out = []
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        out.append(np.asarray(img.convert("RGB")))
    return np.stack(out)


def _png_bits(contents):
    return _bytes(contents)[24]  # IHDR's bit depth


def _jpeg_setup(img, channels, ratio, fancy, dct):
    """libjpeg scales by 1/ratio and gives luma itself, as TF asks it to. Pillow's libjpeg runs either the
    accurate integer IDCT with smooth chroma upsampling, or the fast IDCT with plain upsampling: luma alone needs
    no upsampling, so it takes TF's ``dct_method``; colour takes ``fancy_upscaling`` (TF's default pairs the fast
    IDCT with smooth upsampling, which gives pixels up to a few levels apart from the accurate one)."""
    mode = "L" if channels == 1 else ("RGB" if channels == 3 else img.mode)
    img.draft(mode, (max(1, img.width // ratio), max(1, img.height // ratio)))  # Pillow rounds the scaled size up
    luma = img.mode == "L"
    fast = dct != "INTEGER_ACCURATE" if luma else not fancy
    img.decoderconfig = ((img.decoderconfig or (1,))[0], int(fast))  # Pillow's draft flag: the fast IDCT


def decode_block(contents, fmt, channels, out_dtype, ratio, crop, expand_animations, where_, fancy=True, dct=""):
    """One encoded image (a 0-d object block) decoded: HWC, or NHWC frames for GIF."""
    data = _bytes(contents)
    img, kind = _open(data, fmt, where_)
    if kind == "gif":
        frames = _frames(img)
        out = frames if expand_animations else frames[0]
    elif kind == "webp":
        out = _webp_frames(img, channels, where_)
        out = out if (fmt == "webp" or expand_animations) else out[0]
    else:
        if kind == "jpeg":
            _jpeg_setup(img, channels, ratio, fancy, dct)
        wide = kind == "png" and np.dtype(out_dtype) == np.uint16 and _png_bits(contents) == 16
        out = _channels(_load(img, kind, where_), channels, kind, wide)
    if crop is not None:
        y, x, h, w = crop
        if y < 0 or x < 0 or h <= 0 or w <= 0 or y + h > out.shape[0] or x + w > out.shape[1]:
            raise errors.InvalidArgumentError(None, None, f"Invalid JPEG data or crop window {where_}")
        out = out[y:y + h, x:x + w]
    dtype = np.dtype(out_dtype)
    if dtype != out.dtype:  # float32 in [0, 1]; 8 bits widened as libpng does (x 257), 16 narrowed to the high byte
        src_max = int(np.iinfo(out.dtype).max)
        if dtype.kind == "f":
            out = out.astype(dtype) / dtype.type(src_max)
        elif np.iinfo(dtype).max > src_max:
            out = out.astype(dtype) * dtype.type(257)
        else:
            out = (out >> 8).astype(dtype)
    return np.ascontiguousarray(out)


def _crop_input(op):
    return 2 if op.type == "DecodeAndCropJpeg" else 1


def _check_decode(op):
    a = op.attrs
    c = op.inputs[0]
    check_strings(op, [c], "contents")
    if c.shape.ndims not in (None, 0):
        fail(op, f"contents must be scalar, got shape {c.shape}")
    if a["channels"] not in a["allowed_channels"]:
        fail(op, f"channels must be {', '.join(map(str, a['allowed_channels']))}, got {a['channels']}")


def _decode_infer(op):
    _check_decode(op)
    a = op.attrs
    ch = a["channels"] or None
    if a["format"] == "gif":
        return [((None, None, None, 3), a["dtype"])]
    if a["format"] == "webp":
        return [((None, None, None, ch), a["dtype"])]
    if a["format"] == "any" and a["expand_animations"]:
        return [(TensorShape(None), a["dtype"])]
    if op.type == "DecodeAndCropJpeg":
        win = host_vector(op, 2, "crop_window")
        if win is not None and len(win) != 4:
            fail(op, f"crop_window must have 4 elements, got {len(win)}")
        return [((win[2] if win else None, win[3] if win else None, ch), a["dtype"])]
    return [((None, None, ch), a["dtype"])]


def _decode_args(op):
    a = op.attrs
    crop = None
    if op.type in ("DecodeAndCropJpeg", "DecodedImageShape") and len(op.inputs) > _crop_input(op):
        crop = [int(v) for v in host_lowered(op, _crop_input(op), "crop_window")]
    return dict(fmt=a["format"], channels=a["channels"], out_dtype=np.dtype(a["dtype"]), ratio=a["ratio"], crop=crop,
                expand_animations=a["expand_animations"], where_=where(op), fancy=a["fancy_upscaling"],
                dct=a["dct_method"])


def _decode_lower(op, contents, *rest):
    # the image's shape (input 1) is computed before the run, so the decoded image has known dims downstream
    dims = [int(v) for v in host_lowered(op, 1, "decoded shape")]
    shape = dims[1:] if dims[0] < 0 else dims
    dt = np.dtype(op.attrs["dtype"])
    return contents.map_blocks(decode_block, **_decode_args(op), new_axis=list(range(len(shape))),
                               chunks=tuple((d,) for d in shape), dtype=dt, meta=meta(dt, len(shape)))


for _t in ("DecodeImage", "DecodeAndCropJpeg"):
    register(_t)(type(_t, (), {"strings": True, "grad": NOT_DIFFERENTIABLE, "infer": _decode_infer,
                               "lower": _decode_lower}))


def shape_block(contents, **kw):
    """``[frames, height, width, channels]`` of the decoded image (frames -1 for a 3-D one), as int32."""
    shape = decode_block(contents, **kw).shape
    return np.array(shape if len(shape) == 4 else (-1,) + shape, dtype=np.int32)


@register("DecodedImageShape")
class DecodedImageShape:
    """The shape a decode op with the same inputs and attrs gives, as ``[frames or -1, height, width, channels]``."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_decode(op)
        return [((4,), dtypes.int32)]

    def lower(op, contents, *rest):
        return contents.map_blocks(shape_block, **_decode_args(op), new_axis=[0], chunks=((4,),), dtype=np.int32,
                                   meta=meta(np.int32, 1))


def decode(type_name, contents, inputs=(), *, fmt, channels, allowed, dtype="uint8", ratio=1,
           expand_animations=True, fancy_upscaling=True, dct_method="", name=None):
    pillow()
    if dct_method not in ("", "INTEGER_FAST", "INTEGER_ACCURATE"):
        raise ValueError(f"dct_method must be '', 'INTEGER_FAST' or 'INTEGER_ACCURATE', got {dct_method!r}")
    attrs = {"format": fmt, "channels": int(channels), "allowed_channels": tuple(allowed),
             "dtype": dtypes.as_dtype(dtype), "ratio": int(ratio), "expand_animations": bool(expand_animations),
             "fancy_upscaling": bool(fancy_upscaling), "dct_method": dct_method}
    shape = apply1("DecodedImageShape", [contents, *inputs], attrs, name=(name or type_name) + "_shape")
    return apply1(type_name, [contents, shape, *inputs], attrs, name=name)


# -- encoding, and the JPEG header

def _chunk(kind, body):
    import struct
    import zlib
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png16(arr, level):
    """A 16-bit PNG of ``arr`` (uint16, HWC with 1-4 channels): Pillow writes 16 bits for one channel only."""
    import struct
    import zlib
    h, w, c = arr.shape
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[c]  # gray, gray+alpha, RGB, RGBA
    rows = np.concatenate([np.zeros((h, 1), np.uint8), arr.astype(">u2").reshape(h, -1).view(np.uint8)], 1)
    return (_PNG + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + _chunk(b"IEND", b""))


def encode_block(image, fmt, quality, progressive, optimize, chroma, compression, where_):
    arr = np.asarray(image)
    if arr.shape[-1] not in ((1, 3) if fmt == "jpeg" else (1, 2, 3, 4)):
        raise errors.InvalidArgumentError(None, None, f"image must have 1, 3{'' if fmt == 'jpeg' else ' or 4'} "
                                                      f"channels, got {arr.shape} {where_}")
    if arr.dtype == np.uint16:
        return np.array(png16(arr, 6 if compression < 0 else int(compression)), dtype=object)
    img = pillow().fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, "JPEG", quality=int(quality), progressive=progressive, optimize=optimize,
                 subsampling=2 if chroma else 0)
    else:
        img.save(buf, "PNG", compress_level=6 if compression < 0 else int(compression))
    return np.array(buf.getvalue(), dtype=object)


def _encode_infer(op):
    x = op.inputs[0]
    fmt = op.attrs["format"]
    allowed = ("uint8",) if fmt == "jpeg" else ("uint8", "uint16")
    if x.dtype.name not in allowed:
        fail(op, f"image of {op.type} must be {' or '.join(allowed)}, got '{x.name}' of dtype {x.dtype.name}")
    if x.shape.ndims not in (None, 3):
        fail(op, f"image must be 3-dimensional, got shape {x.shape}")
    c = x.shape[-1] if x.shape.ndims else None
    if c is not None and c not in ((1, 3) if fmt == "jpeg" else (1, 2, 3, 4)):
        fail(op, f"image must have {'1 or 3' if fmt == 'jpeg' else '1, 2, 3 or 4'} channels, got {c}")
    return [((), dtypes.string)]


def _encode_lower(op, image):
    a = op.attrs
    x = whole(image)
    return x.map_blocks(encode_block, fmt=a["format"], quality=a["quality"], progressive=a["progressive"],
                        optimize=a["optimize_size"], chroma=a["chroma_downsampling"], compression=a["compression"],
                        where_=where(op), drop_axis=[0, 1, 2], dtype=dtypes.string, meta=meta(dtypes.string, 0))


for _t in ("EncodeJpeg", "EncodePng"):
    register(_t)(type(_t, (), {"grad": NOT_DIFFERENTIABLE, "infer": _encode_infer, "lower": _encode_lower}))


def _quality_block(image, quality, where_):
    q = int(np.asarray(quality)[()])
    if not 0 <= q <= 100:
        raise errors.InvalidArgumentError(None, None, f"quality must be in [0,100], got {q} {where_}")
    return encode_block(image, "jpeg", q, False, False, True, -1, where_)


@register("EncodeJpegVariableQuality")
class EncodeJpegVariableQuality:
    """TF's op: EncodeJpeg with the quality a scalar int32 tensor."""
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        q = op.inputs[1]
        if q.dtype.kind not in "iu" or q.shape.ndims not in (None, 0):
            fail(op, f"quality must be an int32 scalar, got '{q.name}' of dtype {q.dtype.name} and shape {q.shape}")
        return _encode_infer(op)

    def lower(op, image, quality):
        import dask.array as da
        return da.blockwise(_quality_block, (), whole(image), "hwc", quality, (), where_=where(op),
                            concatenate=True, dtype=dtypes.string, meta=meta(dtypes.string, 0))


def jpeg_shape_block(contents, out_dtype, where_):
    data = _bytes(contents)
    img, _ = _open(data, "jpeg", where_)
    bands = {"L": 1, "RGB": 3, "YCbCr": 3, "CMYK": 4}.get(img.mode, len(img.getbands()))
    return np.array([img.height, img.width, bands], dtype=out_dtype)


@register("ExtractJpegShape")
class ExtractJpegShape:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        c = op.inputs[0]
        check_strings(op, [c], "contents")
        if c.shape.ndims not in (None, 0):
            fail(op, f"contents must be scalar, got shape {c.shape}")
        return [((3,), op.attrs["output_type"])]

    def lower(op, contents):
        dt = np.dtype(op.attrs["output_type"])
        return contents.map_blocks(jpeg_shape_block, out_dtype=dt, where_=where(op), new_axis=[0], chunks=((3,),),
                                   dtype=dt, meta=meta(dt, 1))
