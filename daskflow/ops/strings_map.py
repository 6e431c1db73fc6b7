"""Elementwise string ops: case, strip, regular expressions, substr and to_number.

Each is a host kernel applied to every string of a chunk (string chunks are numpy object arrays of bytes). Errors
found while running name the op, as TF's kernels do.
"""
import functools
import math
import re

import dask.array as da
import numpy as np

from .. import dtypes, errors
from .registry import NOT_DIFFERENTIABLE, apply1, broadcast_shapes, convert_to_tensor, defop, fail, register

__all__ = ["lower", "upper", "strip", "regex_replace", "regex_full_match", "substr", "to_number"]


def where(op):
    return f"[op '{op.name}' (type {op.type})]"


def check_strings(op, tensors, what="input"):
    for t in tensors:
        if not dtypes.is_string(t.dtype):
            fail(op, f"{what} of {op.type} must be strings, got '{t.name}' of dtype {dtypes.name(t.dtype)}")


def refuse(op, message, cls):
    """Raise ``cls`` (TF's ValueError or TypeError of a shape or dtype check) naming the op."""
    raise cls(f"{message} for '{op.name}' (op type {op.type}, built at {op.where()})")


def meta(dtype, ndim):
    return np.empty((0,) * ndim, dtype=dtype)


def _concatenated(b):
    return b


def whole(x, axes=None):
    """``x`` with one block along ``axes`` (every axis when None). Blocks of unknown sizes (nan, as the outputs of
    ``decode_raw`` or a split give them), which dask cannot rechunk, are concatenated by one blockwise task."""
    axes = range(x.ndim) if axes is None else [a % x.ndim for a in axes]
    axes = [a for a in axes if len(x.chunks[a]) > 1]
    if not axes:
        return x
    if not any(math.isnan(c) for a in axes for c in x.chunks[a]):
        return x.rechunk({a: -1 for a in axes})
    ind = tuple(f"c{d}" if d in axes else f"k{d}" for d in range(x.ndim))
    out = tuple(f"n{d}" if d in axes else f"k{d}" for d in range(x.ndim))
    return da.blockwise(_concatenated, out, x, ind, concatenate=True,
                        new_axes={f"n{a}": sum(x.chunks[a]) for a in axes}, dtype=x.dtype, meta=x._meta)


def each(fn, x, dtype=dtypes.string):
    """``fn`` of every element of the object array ``x``, as an array of ``dtype`` (0-d blocks stay arrays)."""
    out = np.asarray(np.frompyfunc(fn, 1, 1)(x), dtype=object)
    return out if dtypes.is_string(dtype) else out.astype(dtype)


def _map_block(x, fn, attrs, out, where_):
    try:
        return each(lambda v: fn(v, **attrs), x, out)
    except Bad as e:
        raise e.cls(None, None, f"{e.message} {where_}") from None


class Bad(Exception):
    """Raised by a kernel for a bad element: the op's error class and TF's message."""

    def __init__(self, message, cls=errors.InvalidArgumentError):
        super().__init__(message)
        self.message, self.cls = message, cls


def string_map_op(type_name, fn, out=dtypes.string):
    """Register op ``type_name``: ``fn(element, **op.attrs)`` of each string of its one input, giving ``out``."""
    def infer(op):
        check_strings(op, op.inputs)
        return [(op.inputs[0].shape, out)]

    def lower(op, x):
        return x.map_blocks(_map_block, fn=fn, attrs=dict(op.attrs), out=out, dtype=out, where_=where(op),
                            meta=meta(out, x.ndim))
    return defop(type_name, infer, lower, grad=NOT_DIFFERENTIABLE, strings=True)


# -- case and whitespace

def _case(v, encoding, upper):
    if encoding == "":
        return v.upper() if upper else v.lower()  # bytes: ASCII letters only
    s = v.decode("utf-8", "surrogateescape")
    return (s.upper() if upper else s.lower()).encode("utf-8", "surrogateescape")


string_map_op("StringLower", lambda v, encoding: _case(v, encoding, False))
string_map_op("StringUpper", lambda v, encoding: _case(v, encoding, True))
string_map_op("StringStrip", lambda v: v.strip())


def _case_op(type_name, input, encoding, name):
    if encoding.lower() not in ("", "utf-8", "utf8"):
        raise errors.InvalidArgumentError(None, None, f"only utf-8 or '' (no encoding) is supported, received "
                                                      f"{encoding}")
    return apply1(type_name, [input], {"encoding": "" if encoding == "" else "utf-8"}, name=name or type_name)


def lower(input, encoding="", name=None):
    """Each string of ``input`` in lower case: ASCII letters only, or with ``encoding="utf-8"`` every letter of the
    UTF-8 text (TF's ``strings.lower``)."""
    return _case_op("StringLower", input, encoding, name)


def upper(input, encoding="", name=None):
    """Each string of ``input`` in upper case: ASCII letters only, or with ``encoding="utf-8"`` every letter of the
    UTF-8 text (TF's ``strings.upper``)."""
    return _case_op("StringUpper", input, encoding, name)


def strip(input, name=None):
    """Each string of ``input`` without its leading and trailing ASCII whitespace (TF's ``strings.strip``)."""
    return apply1("StringStrip", [input], {}, name=name or "StringStrip")


# -- regular expressions (RE2's syntax, on UTF-8 text: "." is one character, \w \d \s are ASCII)

def _text(v):
    return v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else str(v)


@functools.lru_cache(maxsize=128)
def _compile(pattern):
    try:
        return re.compile(_text(pattern), re.ASCII)
    except re.error as e:
        raise Bad(f"Invalid pattern: {_text(pattern)}, error: {e.msg}") from None


@functools.lru_cache(maxsize=128)
def _rewrite(rewrite):
    """RE2's rewrite string (``\\0``-``\\9`` groups, ``\\\\`` a backslash) as literal text and group numbers."""
    parts, lit, text, i = [], "", _text(rewrite), 0
    while i < len(text):
        nxt = text[i + 1:i + 2]
        if text[i] == "\\" and (nxt.isdigit() or nxt == "\\"):
            if nxt == "\\":
                lit += "\\"
            else:
                parts.extend([lit, int(nxt)])
                lit = ""
            i += 2
            continue
        lit += text[i]
        i += 1
    return tuple(parts + [lit])


def _replace(v, pattern, rewrite, replace_global):
    rx, parts = _compile(pattern), _rewrite(rewrite)
    if rx.groups < max([p for p in parts if isinstance(p, int)], default=0):
        return v  # RE2 refuses a rewrite naming a group the pattern lacks: the string is left as it is
    sub = lambda m: "".join(p if isinstance(p, str) else (m.group(p) or "") for p in parts)  # noqa: E731
    return rx.sub(sub, _text(v), count=0 if replace_global else 1).encode("utf-8", "surrogateescape")


def _full_match(v, pattern):
    return _compile(pattern).fullmatch(_text(v)) is not None


string_map_op("StaticRegexReplace", _replace)
string_map_op("StaticRegexFullMatch", _full_match, out=dtypes.bool)


def _scalar_strings(op, tensors):
    check_strings(op, op.inputs)
    for t in tensors:
        if t.shape.ndims not in (None, 0):
            refuse(op, f"Shape must be rank 0 but is rank {t.shape.ndims} for '{t.name}'", ValueError)


def _dynamic_block(x, *scalars, kernel, attrs, out, where_):
    args = [np.asarray(s)[()] for s in scalars]
    try:
        return each(lambda v: kernel(v, *args, **attrs), x, out)
    except Bad as e:
        raise e.cls(None, None, f"{e.message} {where_}") from None


def _dynamic_op(type_name, fn, out):
    def infer(op):
        _scalar_strings(op, op.inputs[1:])
        return [(op.inputs[0].shape, out)]

    def lower(op, x, *scalars):
        ind = tuple(range(x.ndim))
        args = [a for s in scalars for a in (s, ())]
        return da.blockwise(_dynamic_block, ind, x, ind, *args, kernel=fn, attrs=dict(op.attrs), out=out,
                            dtype=out, where_=where(op), meta=meta(out, x.ndim))
    return defop(type_name, infer, lower, grad=NOT_DIFFERENTIABLE, strings=True)


_dynamic_op("RegexReplace", _replace, dtypes.string)
_dynamic_op("RegexFullMatch", _full_match, dtypes.bool)


def _static(value):
    return isinstance(value, (str, bytes))


def _check_pattern(pattern):
    try:
        _compile(pattern)
    except Bad as e:
        raise errors.InvalidArgumentError(None, None, e.message) from None


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Each string of ``input`` with the matches of the RE2 regular expression ``pattern`` replaced by ``rewrite``
    (where ``\\0`` is the whole match and ``\\1``-``\\9`` its groups): all of them, or only the first when
    ``replace_global`` is False (TF's ``strings.regex_replace``). ``pattern`` and ``rewrite`` are python strings or
    scalar string tensors."""
    attrs = {"replace_global": bool(replace_global)}
    if _static(pattern) and _static(rewrite):
        _check_pattern(pattern)
        attrs.update(pattern=_text(pattern), rewrite=_text(rewrite))
        return apply1("StaticRegexReplace", [input], attrs, name=name or "StaticRegexReplace")
    return apply1("RegexReplace", [input, _string(pattern), _string(rewrite)], attrs, name=name or "RegexReplace")


def regex_full_match(input, pattern, name=None):
    """Whether each string of ``input`` matches the RE2 regular expression ``pattern`` as a whole, as a bool tensor
    (TF's ``strings.regex_full_match``)."""
    if _static(pattern):
        _check_pattern(pattern)
        return apply1("StaticRegexFullMatch", [input], {"pattern": _text(pattern)},
                      name=name or "StaticRegexFullMatch")
    return apply1("RegexFullMatch", [input, _string(pattern)], {}, name=name or "RegexFullMatch")


def _string(value):
    return convert_to_tensor(value, dtype=dtypes.string)


# -- substr

def _char_starts(v):
    return [i for i, c in enumerate(v) if c & 0xC0 != 0x80]  # every byte but UTF-8 continuation bytes


def _substr(v, pos, n, unit):
    pos, n = int(pos), int(n)
    starts = _char_starts(v) if unit == "UTF8_CHAR" else None
    size = len(v) if starts is None else len(starts)
    p = pos + size if pos < 0 else pos
    if not 0 <= p <= size:
        raise Bad(f"pos {pos} out of range for string" + (f" b'{_cescape(v)}'" if starts is None else ""))
    end = size if n < 0 else min(p + n, size)
    if starts is None:
        return v[p:end]
    at = starts + [len(v)]
    return v[at[p]:at[end]]


def _cescape(v):
    return v.decode("ascii", "backslashreplace").replace("'", "\\'")


def _substr_block(x, pos, n, unit, where_, block_info=None):
    shape, start = block_info[None]["shape"], [lo for lo, _ in block_info[None]["array-location"]]
    x, pos, n = np.broadcast_arrays(x, pos, n)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        try:
            out[idx] = _substr(x[idx], pos[idx], n[idx], unit)
        except Bad as e:
            flat = int(np.ravel_multi_index([s + i for s, i in zip(start, idx)], shape)) if shape else 0
            raise errors.InvalidArgumentError(None, None, f"{e.message} at index {flat} {where_}") from None
    return out


@register("Substr")
class Substr:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x, pos, n = op.inputs
        check_strings(op, [x])
        for t in (pos, n):
            if t.dtype not in (dtypes.int32, dtypes.int64):
                refuse(op, f"pos and len of Substr must be int32 or int64, got '{t.name}' of dtype "
                           f"{dtypes.name(t.dtype)}", TypeError)
        if pos.dtype != n.dtype:
            refuse(op, f"pos and len of Substr must have one dtype, got {dtypes.name(pos.dtype)} and "
                       f"{dtypes.name(n.dtype)}", TypeError)
        if pos.shape.ndims is not None and n.shape.ndims is not None and not pos.shape.is_compatible_with(n.shape):
            refuse(op, f"pos and len should have the same shape, got {pos.shape} and {n.shape}", ValueError)
        return [(broadcast_shapes(op, x.shape, pos.shape), dtypes.string)]

    def lower(op, x, pos, n):
        shape = np.broadcast_shapes(x.shape, pos.shape, n.shape) if not any(
            np.isnan(d) for a in (x, pos, n) for d in a.shape) else None
        if shape is not None:
            x = da.broadcast_to(x, shape)
            pos, n = (da.broadcast_to(a, shape).rechunk(x.chunks) for a in (pos, n))
        return da.map_blocks(_substr_block, x, pos, n, unit=op.attrs["unit"], where_=where(op),
                             dtype=dtypes.string, meta=meta(dtypes.string, len(shape or x.shape)))


def substr(input, pos, len, name=None, unit="BYTE"):  # noqa: A002 - TF's argument name
    """The substring of each string of ``input`` that starts at ``pos`` and is ``len`` long (TF's ``substr``):
    ``pos`` may be negative (counted from the end) and ``len`` runs past the end (or is negative) to take the rest.
    ``pos`` and ``len`` have one shape and broadcast against ``input``. ``unit`` counts bytes ("BYTE") or UTF-8
    characters ("UTF8_CHAR"). A ``pos`` outside the string is an ``InvalidArgumentError`` when the op runs.

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.substr([b"hello", b"world"], 1, 3))
    array([b'ell', b'orl'], dtype=object)
    """
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"Attr 'unit' of 'Substr' Op passed string '{unit}' not in: \"BYTE\", \"UTF8_CHAR\".")
    p = convert_to_tensor(pos, dtype_hint=dtypes.int32)
    n = convert_to_tensor(len, dtype=p.dtype if not hasattr(len, "dtype") else None)
    return apply1("Substr", [input, p, n], {"unit": unit}, name=name or "Substr")


# -- to_number

_NUMBER_TYPES = ("float32", "float64", "int32", "int64", "uint32", "uint64")
_SPACE = b" \t\n\v\f\r"


def _to_number(v, dtype):
    s = v.strip(_SPACE)
    try:
        if b"_" in s or not s:
            raise ValueError
        if np.dtype(dtype).kind == "f":
            return _float(s.decode("ascii"))
        value, info = int(s.decode("ascii")), np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise ValueError
        return value
    except (ValueError, UnicodeDecodeError):
        raise Bad(f"StringToNumberOp could not correctly convert string: {v.decode('utf-8', 'replace')}") from None


def _float(s):
    try:
        return float(s)
    except ValueError:
        if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F.]+(p[+-]?\d+)?", s):  # strtod's hex floats
            return float.fromhex(s)
        raise


def _to_number_block(x, out, where_):
    with np.errstate(over="ignore"):  # a float beyond float32's range is inf, as strtof gives it
        return _map_block(x, _to_number, {"dtype": out}, out, where_)


@register("StringToNumber")
class StringToNumber:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        check_strings(op, op.inputs, "string_tensor")
        return [(op.inputs[0].shape, op.attrs["out_type"])]

    def lower(op, x):
        dt = op.attrs["out_type"]
        return x.map_blocks(_to_number_block, out=dt, dtype=dt, where_=where(op), meta=meta(dt, x.ndim))


def to_number(string_tensor=None, out_type=dtypes.float32, name=None, input=None):
    """Each string of ``string_tensor`` as a number of ``out_type`` (float32, float64, int32, int64, uint32 or
    uint64), as ``strtod``/``strtol`` read it, surrounding whitespace allowed (TF's ``strings.to_number``). A string
    that is not such a number, or an integer out of range, is an ``InvalidArgumentError`` when the op runs."""
    string_tensor = input if string_tensor is None else string_tensor
    dt = dtypes.as_dtype(out_type)
    if dt.name not in _NUMBER_TYPES:
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {dtypes.name(dt)} not in list of allowed "
                        f"values: {', '.join(_NUMBER_TYPES)}")
    return apply1("StringToNumber", [string_tensor], {"out_type": dt}, name=name or "StringToNumber")

