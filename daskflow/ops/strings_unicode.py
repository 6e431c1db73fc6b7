"""String ops whose outputs are ragged: each string decoded into its Unicode code points (``unicode_decode``,
``unicode_decode_with_offsets``), split into its characters (``unicode_split``, ``unicode_split_with_offsets``)
or into its bytes (``bytes_split``), as TF's ``tf.strings`` gives them: RaggedTensors with one more dim than the
input (a dense vector for a scalar input).

Decoding is a host kernel over the whole input (one task): the number of code points is known only when run.
Invalid input is decoded as ICU does (each maximal invalid subsequence is one error), with Python's codecs."""
import codecs

import dask.array as da
import numpy as np

from .. import dtypes, errors as _errors
from ..graph import name_scope
from .generate import shape as _shape
from .reduce import reduce_prod
from .array import concat, reshape, stack
from .cumulative import cumsum
from .math import cast
from .registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, register, tuple_outputs
from .strings_codec import _check_choice, unicode_encode
from .strings_map import Bad, meta, refuse, where as _where, whole

__all__ = []
NAMESPACES = {"strings": ["unicode_decode", "unicode_decode_with_offsets", "unicode_split",
                          "unicode_split_with_offsets", "bytes_split"]}

_START, _MORE = "\udc80", "\udc81"  # lone surrogates never come out of a strict decode: they mark invalid bytes


def _spans(e):
    """Decoding error handler: one _START then a _MORE per further byte of the invalid subsequence."""
    return _START + _MORE * (e.end - e.start - 1), e.end


codecs.register_error("daskflow-unicode-spans", _spans)

_BOMS = {"utf-16": ((codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le")),
         "utf-32": ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"))}


def _codec(encoding):
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise _errors.InvalidArgumentError(
            None, None, f"Could not create converter for input encoding: {encoding}") from None


def _decode(v, codec, errors, replacement, control):
    """Code points and byte offsets of the characters of ``v``: a byte-order mark picks the byte order of
    "UTF-16"/"UTF-32" (big-endian without one) and is skipped, as ICU does."""
    for bom, name in _BOMS.get(codec, ()):
        if v.startswith(bom):  # offsets count from after the mark, as ICU's
            codec, v = name, v[len(bom):]
            break
    else:
        codec = {"utf-16": "utf-16-be", "utf-32": "utf-32-be"}.get(codec, codec)
    pos, cps, offsets = 0, [], []
    for ch in v.decode(codec, "daskflow-unicode-spans"):
        if ch == _MORE:
            pos += 1
            continue
        if ch == _START:
            if errors == "strict":
                raise Bad("Invalid formatting on input string")
            if errors == "replace":
                cps.append(replacement)
                offsets.append(pos)
            pos += 1
            continue
        cp = ord(ch)
        cps.append(replacement if control and cp < 0x20 else cp)
        offsets.append(pos)
        pos += len(ch.encode(codec))
    return cps, offsets


def _decode_rows(x, attrs, with_offsets, where_):
    x = np.asarray(x, dtype=object).reshape(-1)
    splits, cps, offsets = [0], [], []
    try:
        for v in x:
            c, o = _decode(bytes(v), **attrs)
            cps.extend(c)
            offsets.extend(o)
            splits.append(len(cps))
    except Bad as e:
        raise e.cls(None, None, f"{e.message} {where_}") from None
    out = (np.array(splits, np.int64), np.array(cps, np.int32))
    return out + (np.array(offsets, np.int64),) if with_offsets else out


def _decode_op(type_name, with_offsets):
    def infer(op):
        x = op.inputs[0]
        if not dtypes.is_string(x.dtype):
            refuse(op, f"Input 'input' of '{op.type}' Op has type {dtypes.name(x.dtype)} that does not match "
                       f"expected type of string", TypeError)
        n = x.shape.num_elements() if x.shape.ndims is not None else None
        outs = [((None if n is None else n + 1,), dtypes.int64), ((None,), dtypes.int32)]
        return outs + [((None,), dtypes.int64)] if with_offsets else outs

    def lower(op, x):
        one = whole(x)
        packed = da.blockwise(_decode_rows, (), one, tuple(f"i{d}" for d in range(x.ndim)), concatenate=True,
                              attrs=dict(op.attrs), with_offsets=with_offsets, where_=_where(op), dtype=object,
                              meta=meta(object, 0))
        n = float(np.prod(x.shape))
        chunks = [((n + 1 if np.isnan(n) else int(n) + 1,),), ((np.nan,),)] + ([((np.nan,),)] if with_offsets else [])
        metas = [meta(np.int64, 1), meta(np.int32, 1)] + ([meta(np.int64, 1)] if with_offsets else [])
        return tuple_outputs(packed, chunks, metas, type_name.lower())

    return register(type_name)(type(type_name, (), {"infer": infer, "lower": lower, "strings": True,
                                                    "grad": NOT_DIFFERENTIABLE}))


_decode_op("UnicodeDecode", False)
_decode_op("UnicodeDecodeWithOffsets", True)


# -- building RaggedTensors

def _ragged():
    from ..ragged.tensor import RaggedTensor
    return RaggedTensor


def _nest(rt, x):
    """``rt``, whose rows are the strings of ``x`` in row-major order, with ``x``'s dims: a dense vector for a
    scalar ``x``, and uniform outer dims for ``x`` of rank 2 or more."""
    rank = x.shape.ndims
    if rank is None:
        raise ValueError(f"the rank of '{x.name}' must be known when the graph is built")
    if rank == 0:
        return rt.values
    dims = _shape(x, out_type=dtypes.int64)
    for d in reversed(range(1, rank)):
        length = np.int64(x.shape[d]) if x.shape[d] is not None else dims[d]
        rt = _ragged().from_uniform_row_length(rt, length, nrows=reduce_prod(dims[:d]), validate=False)
    return rt


def _strings(input):
    x = convert_to_tensor(input, dtype_hint=dtypes.string, name="input")
    if not dtypes.is_string(x.dtype):
        raise TypeError(f"Input 'input' has type {dtypes.name(x.dtype)} that does not match expected type of "
                        f"string.")
    return x


def _decoded(input, input_encoding, errors, replacement_char, replace_control_characters, with_offsets, name):
    """The code points (and byte offsets) of ``input``'s strings, as RaggedTensors shaped like ``input`` plus a
    ragged dim; a RaggedTensor input keeps its ragged dims."""
    type_name = "UnicodeDecodeWithOffsets" if with_offsets else "UnicodeDecode"
    _check_choice(type_name, "errors", errors, ("strict", "replace", "ignore"))
    if not 0 <= int(replacement_char) <= 0x10FFFF:
        raise _errors.InvalidArgumentError(None, None, "replacement_char out of unicode codepoint range")
    attrs = {"codec": _codec(input_encoding), "errors": errors, "replacement": int(replacement_char),
             "control": bool(replace_control_characters)}
    RaggedTensor = _ragged()
    with name_scope(name, type_name):
        if isinstance(input, RaggedTensor):
            inner = _decoded(input.flat_values, input_encoding, errors, replacement_char,
                             replace_control_characters, with_offsets, None)
            return tuple(input.with_flat_values(r) for r in inner)
        x = _strings(input)
        outs = apply(type_name, [reshape(x, [-1])], attrs, name=type_name)
        return tuple(_nest(RaggedTensor._make(values, outs[0]), x) for values in outs[1:])


def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533, replace_control_characters=False,
                   name=None):
    """The Unicode code points (int32) of each string of ``input``, decoded from ``input_encoding`` (a codec name
    such as "UTF-8", "UTF-16-BE", "UTF-32-LE", "ISO-8859-1"): a RaggedTensor with one more (ragged) dim than
    ``input``, or a vector for a scalar ``input`` (TF's ``strings.unicode_decode``).

    Each invalid byte sequence becomes ``replacement_char`` (``errors="replace"``), is dropped ("ignore"), or is an
    ``InvalidArgumentError`` when run ("strict"); ``replace_control_characters`` also replaces U+0000-U+001F.

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as s:
    ...     s.run(df.strings.unicode_decode(["a\\u00e9", "\\u20ac"], "UTF-8")).to_list()
    [[97, 233], [8364]]
    """
    return _decoded(input, input_encoding, errors, replacement_char, replace_control_characters, False, name)[0]


def unicode_decode_with_offsets(input, input_encoding, errors="replace", replacement_char=65533,
                                replace_control_characters=False, name=None):
    """``(codepoints, offsets)``: ``unicode_decode``'s code points and the byte offset (int64) in its string
    where each character starts (TF's ``strings.unicode_decode_with_offsets``)."""
    return _decoded(input, input_encoding, errors, replacement_char, replace_control_characters, True, name)


def _encode_chars(codepoints, encoding):
    """Each code point of ``codepoints`` (a vector, or a RaggedTensor) as a string in ``encoding``."""
    RaggedTensor = _ragged()
    if isinstance(codepoints, RaggedTensor):
        return codepoints.with_flat_values(_encode_chars(codepoints.flat_values, encoding))
    return unicode_encode(stack([codepoints], axis=1), encoding)


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):
    """Each string of ``input`` split into its characters (strings in ``input_encoding``, which must be "UTF-8",
    "UTF-16-BE" or "UTF-32-BE"), as a RaggedTensor with one more dim than ``input`` (TF's
    ``strings.unicode_split``); invalid bytes as in ``unicode_decode``.

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as s:
    ...     s.run(df.strings.unicode_split(["a\\u00e9"], "UTF-8")).to_list()
    [[b'a', b'\\xc3\\xa9']]
    """
    _check_choice("UnicodeEncode", "output_encoding", input_encoding, ("UTF-8", "UTF-16-BE", "UTF-32-BE"))
    with name_scope(name, "UnicodeSplit"):
        codepoints = unicode_decode(input, input_encoding, errors, replacement_char)
        return _encode_chars(codepoints, input_encoding)


def unicode_split_with_offsets(input, input_encoding, errors="replace", replacement_char=65533, name=None):
    """``(chars, offsets)``: ``unicode_split``'s characters and the byte offset (int64) where each starts (TF's
    ``strings.unicode_split_with_offsets``)."""
    _check_choice("UnicodeEncode", "output_encoding", input_encoding, ("UTF-8", "UTF-16-BE", "UTF-32-BE"))
    with name_scope(name, "UnicodeSplitWithOffsets"):
        codepoints, offsets = unicode_decode_with_offsets(input, input_encoding, errors, replacement_char)
        return _encode_chars(codepoints, input_encoding), offsets


def bytes_split(input, name=None):
    """Each string of ``input`` split into its bytes (strings of length 1), as a RaggedTensor with one more dim
    than ``input`` (a vector for a scalar ``input``) (TF's ``strings.bytes_split``).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as s:
    ...     s.run(df.strings.bytes_split(["ab", ""])).to_list()
    [[b'a', b'b'], []]
    """
    from .strings import length
    from .strings_split import string_split
    RaggedTensor = _ragged()
    with name_scope(name, "StringsByteSplit"):
        if isinstance(input, RaggedTensor):
            return input.with_flat_values(bytes_split(input.flat_values))
        x = _strings(input)
        flat = reshape(x, [-1])
        lengths = cast(length(flat), dtypes.int64)
        splits = concat([np.zeros([1], np.int64), cumsum(lengths)], 0)  # a string has one piece per byte
        rt = RaggedTensor._make(string_split(flat, sep="").values, splits)
        return _nest(rt, x)
