"""String encodings: web-safe base64, zlib/gzip decompression, and Unicode encode/transcode."""
import base64
import codecs
import gzip
import re
import zlib

import numpy as np

from .. import dtypes, errors
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, register
from .strings_map import Bad, meta, refuse, string_map_op, where, whole

errors_module = errors  # the functions below take TF's argument named errors

__all__ = ["encode_base64", "decode_base64", "decode_compressed", "unicode_encode", "unicode_transcode"]


# -- base64, with the web-safe alphabet ("-" and "_" for "+" and "/")

def _encode_base64(v, pad):
    out = base64.urlsafe_b64encode(v)
    return out if pad else out.rstrip(b"=")


_B64 = re.compile(rb"[A-Za-z0-9_-]*")


def _decode_base64(v):
    if len(v) % 4 == 0 and v.endswith(b"="):
        v = v[:-2] if v.endswith(b"==") else v[:-1]
    if len(v) % 4 == 1:
        raise Bad("Base64 string length cannot be 1 modulo 4.")
    if not _B64.fullmatch(v):
        raise Bad("Invalid character found in base64.")
    return base64.urlsafe_b64decode(v + b"=" * (-len(v) % 4))


string_map_op("EncodeBase64", _encode_base64)
string_map_op("DecodeBase64", _decode_base64)


def encode_base64(input, pad=False, name=None):
    """Each string of ``input`` in web-safe base64 (``-`` and ``_`` for ``+`` and ``/``), without ``=`` padding
    unless ``pad`` (TF's ``io.encode_base64``).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.encode_base64([b"ab", b"\\xfb\\xff"]))
    array([b'YWI', b'-_8'], dtype=object)
    """
    return apply1("EncodeBase64", [input], {"pad": bool(pad)}, name=name or "EncodeBase64")


def decode_base64(input, name=None):
    """Each string of ``input`` decoded from web-safe base64, padded or not (TF's ``io.decode_base64``); any other
    character is an ``InvalidArgumentError`` when the op runs."""
    return apply1("DecodeBase64", [input], {}, name=name or "DecodeBase64")


# -- decompression

def _decompress(v, compression_type):
    try:
        if compression_type == "ZLIB":
            return zlib.decompress(v)
        if compression_type == "GZIP":
            return gzip.decompress(v)
    except (zlib.error, OSError, EOFError) as e:
        m = re.match(r"Error (-?\d+) while decompressing data: (.*)", str(e))
        text = f"with error {m.group(1)}: {m.group(2)}" if m else f"({e})"
        raise Bad(f"inflate() failed {text}", errors.DataLossError) from None
    return v


string_map_op("DecodeCompressed", _decompress)


def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002 - TF's argument name
    """Each string of ``bytes`` decompressed: ``compression_type`` "ZLIB" or "GZIP", or "" for none (TF's
    ``io.decode_compressed``). Data that does not decompress is a ``DataLossError`` when the op runs."""
    if compression_type not in ("", "ZLIB", "GZIP"):
        raise errors.InvalidArgumentError(None, None, "Only ZLIB, GZIP or NONE are supported compressions")
    return apply1("DecodeCompressed", [bytes], {"compression_type": compression_type},
                  name=name or "DecodeCompressed")


# -- Unicode

_OUT_ENCODINGS = ("UTF-8", "UTF-16-BE", "UTF-32-BE")


def _valid(cp):
    return 0 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF


def _fix(cps, errors_, replacement):
    """Code points with the invalid ones (out of range, surrogates) replaced, dropped, or refused."""
    out = []
    for cp in cps:
        if _valid(cp):
            out.append(cp)
        elif errors_ == "strict":
            raise Bad("Code point is out of range for Unicode, or is a surrogate.")
        elif errors_ == "replace" and _valid(replacement):
            out.append(replacement)
    return out


def _encode_rows(x, encoding, errors_, replacement, where_):
    out = np.empty(x.shape[:-1], dtype=object)
    try:
        for idx in np.ndindex(out.shape):
            text = "".join(map(chr, _fix([int(c) for c in x[idx]], errors_, replacement)))
            out[idx] = text.encode(encoding)
    except Bad as e:
        raise errors.InvalidArgumentError(None, None, f"{e.message} {where_}") from None
    return out


@register("UnicodeEncode")
class UnicodeEncode:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        if x.dtype not in (dtypes.int32, dtypes.int64):
            refuse(op, f"input must be int32 or int64 code points, got '{x.name}' of dtype {dtypes.name(x.dtype)}",
                   TypeError)
        return [(None if x.shape.ndims is None else x.shape[:-1], dtypes.string)]

    def lower(op, x):
        a = op.attrs
        x = whole(x, [-1])
        return x.map_blocks(_encode_rows, encoding=a["output_encoding"], errors_=a["errors"],
                            replacement=a["replacement_char"], where_=where(op), drop_axis=x.ndim - 1,
                            dtype=dtypes.string, meta=meta(dtypes.string, x.ndim - 1))


def _check_choice(op_type, attr, value, allowed):
    if value not in allowed:
        raise ValueError(f"Attr '{attr}' of '{op_type}' Op passed string '{value}' not in: "
                         + ", ".join(f'"{a}"' for a in allowed) + ".")


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533, name=None):
    """The strings whose code points are the last axis of ``input`` (int32), encoded in ``output_encoding``
    ("UTF-8", "UTF-16-BE" or "UTF-32-BE"); the output drops that axis (TF's ``strings.unicode_encode`` of a dense
    tensor). An invalid code point (negative, past U+10FFFF, a surrogate) is replaced by ``replacement_char``
    (``errors="replace"``), dropped ("ignore"), or an ``InvalidArgumentError`` when the op runs ("strict")."""
    _check_choice("UnicodeEncode", "output_encoding", output_encoding, _OUT_ENCODINGS)
    _check_choice("UnicodeEncode", "errors", errors, ("ignore", "replace", "strict"))
    x = convert_to_tensor(input, dtype_hint=dtypes.int32)
    if x.shape.ndims == 0:
        raise ValueError("input_tensor's rank must be at least 1.")
    attrs = {"output_encoding": output_encoding, "errors": errors, "replacement_char": int(replacement_char)}
    return apply1("UnicodeEncode", [x], attrs, name=name or "UnicodeEncode")


_MARK = "\udc80"  # a lone surrogate: never in text decoded strictly, so it marks where decoding failed


def _mark_errors(e):
    return _MARK, e.end


codecs.register_error("daskflow-mark", _mark_errors)


def _transcode(v, input_encoding, output_encoding, errors, replacement_char, replace_control_characters):
    text = v.decode(input_encoding, "daskflow-mark")
    if errors == "strict" and _MARK in text:
        raise Bad("Invalid formatting on input string")
    sub = chr(replacement_char) if errors == "replace" and _valid(replacement_char) else ""
    if replace_control_characters:
        text = re.sub("[\x00-\x1f]", chr(replacement_char) if _valid(replacement_char) else "", text)
    return text.replace(_MARK, sub).encode(output_encoding)


string_map_op("UnicodeTranscode", _transcode)


def unicode_transcode(input, input_encoding, output_encoding, errors="replace", replacement_char=65533,
                      replace_control_characters=False, name=None):
    """Each string of ``input`` decoded from ``input_encoding`` (a codec name such as "UTF-8", "UTF-16-BE",
    "ISO-8859-1") and encoded in ``output_encoding`` ("UTF-8", "UTF-16-BE" or "UTF-32-BE") (TF's
    ``strings.unicode_transcode``). Bytes that do not decode are replaced by ``replacement_char`` ("replace"),
    dropped ("ignore"), or an ``InvalidArgumentError`` ("strict"); ``replace_control_characters`` also replaces
    the C0 controls U+0000-U+001F."""
    _check_choice("UnicodeTranscode", "output_encoding", output_encoding, _OUT_ENCODINGS)
    _check_choice("UnicodeTranscode", "errors", errors, ("ignore", "replace", "strict"))
    try:
        codecs.lookup(input_encoding)
    except LookupError:
        raise errors_module.InvalidArgumentError(
            None, None, f"Could not create converter for input encoding: {input_encoding}") from None
    attrs = {"input_encoding": input_encoding, "output_encoding": output_encoding, "errors": errors,
             "replacement_char": int(replacement_char), "replace_control_characters": bool(replace_control_characters)}
    return apply1("UnicodeTranscode", [input], attrs, name=name or "UnicodeTranscode")

