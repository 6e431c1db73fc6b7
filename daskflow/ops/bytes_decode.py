"""Bytes as numbers: decode_raw, bitcast, decode_csv, and serialize_tensor/parse_tensor (TF's TensorProto)."""
import dask.array as da
import numpy as np

from .. import dtypes, errors
from .hostvalue import host_lowered, host_vector
from .registry import NOT_DIFFERENTIABLE, apply, apply1, convert_to_tensor, register, tuple_outputs
from .strings_map import check_strings, meta, refuse, where, whole

__all__ = ["decode_raw", "bitcast", "decode_csv", "serialize_tensor", "parse_tensor"]

_RAW_TYPES = ("float16", "float32", "float64", "int32", "uint16", "uint8", "int16", "int8", "int64", "complex64",
              "complex128", "bool")


# -- decode_raw

def _decode_raw(x, out, little_endian, where_):
    flat = x.reshape(-1)
    size = np.dtype(out).itemsize
    n = len(flat[0]) if flat.size else 0
    for i, v in enumerate(flat):
        if len(v) % size:
            raise errors.InvalidArgumentError(None, None, f"Input to DecodeRaw has length {len(v)} that is not a "
                                                          f"multiple of {size}, the size of {dtypes.name(out)} "
                                                          f"{where_}")
        if len(v) != n:
            raise errors.InvalidArgumentError(None, None, "DecodeRaw requires input strings to all be the same size, "
                                                          f"but element {i} has size {len(v)} != {n} {where_}")
    order = np.dtype(out).newbyteorder("<" if little_endian else ">")
    values = np.frombuffer(b"".join(flat.tolist()), dtype=order).astype(out)
    return values.reshape(x.shape + (n // size,))


@register("DecodeRaw")
class DecodeRaw:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        check_strings(op, [x], "bytes")
        return [(None if x.shape.ndims is None else list(x.shape) + [None], op.attrs["out_type"])]

    def lower(op, x):
        out = op.attrs["out_type"]
        one = whole(x)  # every string of the input has the one length: checked in one task
        return one.map_blocks(_decode_raw, out=out, little_endian=op.attrs["little_endian"], where_=where(op),
                              new_axis=x.ndim, chunks=one.chunks + ((np.nan,),), dtype=out, meta=meta(out, x.ndim + 1))


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):  # noqa: A002
    """The bytes of each string of ``input_bytes`` read as a vector of ``out_type`` numbers, little-endian unless
    ``little_endian`` is False (TF's ``io.decode_raw``): the output has one more axis, of the strings' length over
    the item size, known when the op runs. Every string must have that one length."""
    input_bytes = bytes if input_bytes is None else input_bytes
    dt = dtypes.as_dtype(out_type)
    if dt.name not in _RAW_TYPES:
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {dtypes.name(dt)} not in list of allowed "
                        f"values: {', '.join(_RAW_TYPES)}")
    return apply1("DecodeRaw", [input_bytes], {"out_type": dt, "little_endian": bool(little_endian)},
                  name=name or "DecodeRaw")


# -- bitcast

def _bitcast(x, out):
    x = np.asarray(x)
    x = x if x.flags.c_contiguous else x.copy(order="C")  # not ascontiguousarray: it makes 0-d arrays 1-d
    if x.dtype.itemsize > np.dtype(out).itemsize:
        return x.reshape(x.shape + (1,)).view(out)  # a new last axis, of the ratio of sizes
    if x.dtype.itemsize < np.dtype(out).itemsize:
        return x.view(out).reshape(x.shape[:-1])  # the last axis, of the ratio, goes
    return x.view(out)


@register("Bitcast")
class Bitcast:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x, out = op.inputs[0], op.attrs["type"]
        a, b = x.dtype.itemsize, out.itemsize
        if a == b or x.shape.ndims is None:
            return [(x.shape if a == b else None, out)]
        if a > b:
            return [(list(x.shape) + [a // b], out)]
        last = x.shape[-1] if x.shape.ndims else None
        if x.shape.ndims == 0 or (last is not None and last != b // a):
            refuse(op, f"Cannot bitcast from {dtypes.name(x.dtype)} to {dtypes.name(out)} due to shape. "
                       f"{last} does not match {b // a}", ValueError)
        return [(x.shape[:-1], out)]

    def lower(op, x):
        out = op.attrs["type"]
        a, b = x.dtype.itemsize, out.itemsize
        if a > b:
            return x.map_blocks(_bitcast, out=out, new_axis=x.ndim, chunks=x.chunks + ((a // b,),), dtype=out,
                                meta=meta(out, x.ndim + 1))
        if a < b:
            x = whole(x, [-1])
            return x.map_blocks(_bitcast, out=out, drop_axis=x.ndim - 1, dtype=out, meta=meta(out, x.ndim - 1))
        return x.map_blocks(_bitcast, out=out, dtype=out, meta=meta(out, x.ndim))


_BITCAST_TYPES = ("float16", "float32", "float64", "int64", "int32", "uint8", "uint16", "uint32", "uint64", "int8",
                  "int16", "complex64", "complex128")


def bitcast(input, type, name=None):  # noqa: A002 - TF's argument names
    """The bits of ``input`` read as ``type`` (TF's ``bitcast``, numpy's ``view``): to a smaller type the output
    gains a last axis of ``itemsize(input) / itemsize(type)``; to a bigger one the last axis, of the ratio, goes."""
    x = convert_to_tensor(input)
    out = dtypes.as_dtype(type)
    for which, dt in (("T", x.dtype), ("type", out)):
        if dt.name not in _BITCAST_TYPES:
            raise TypeError(f"Value passed to parameter '{which}' has DataType {dtypes.name(dt)} not in list of "
                            f"allowed values: {', '.join(_BITCAST_TYPES)}")
    return apply1("Bitcast", [x], {"type": out}, name=name or "Bitcast")


# -- decode_csv

def _fields(record, delim, quote):
    """The fields of one CSV record, TF's way: quoted fields may hold the delimiter and doubled quotes."""
    out, i, n = [], 0, len(record)
    if not n:
        return out
    while True:
        if quote and i < n and record[i:i + 1] == b'"':
            j, field = i + 1, bytearray()
            while True:
                if j >= n:
                    raise ValueError("Quoted field has to end with quote followed by delim or end")
                if record[j:j + 1] == b'"':
                    if record[j + 1:j + 2] == b'"':
                        field += b'"'
                        j += 2
                        continue
                    j += 1
                    break
                field += record[j:j + 1]
                j += 1
            if j < n and record[j:j + 1] != delim:
                raise ValueError("Quote inside a string has to be escaped by another quote")
            out.append(bytes(field))
        else:
            j = record.find(delim, i)
            j = n if j < 0 else j
            field = record[i:j]
            if quote and (b'"' in field or b"\n" in field or b"\r" in field):
                raise ValueError("Unquoted fields cannot have quotes/CRLFs inside")
            out.append(field)
        if j >= n:
            return out
        i = j + 1
        if i == n:
            out.append(b"")
            return out


def _parse_field(text, dt, col, row):
    if dt.kind == "O":
        return text
    s = text.strip()
    try:
        if dt.kind == "f":
            return float(s)
        value, info = int(s), np.iinfo(dt)
        if not info.min <= value <= info.max:
            raise ValueError
        return value
    except ValueError:
        kind = "float" if dt == np.float32 else "double" if dt.kind == "f" else dtypes.name(dt)
        raise ValueError(f"Field {col} in record {row} is not a valid {kind}: {text.decode('utf-8', 'replace')}") \
            from None


def _decode_csv(records, *defaults, delim, quote, na_value, select, where_):
    flat = records.reshape(-1)
    cols = [np.empty(flat.shape, dtype=d.dtype) for d in defaults]
    try:
        for r, record in enumerate(flat):
            fields = _fields(record, delim, quote)
            want = select if select else range(len(defaults))
            if (not select and len(fields) != len(defaults)) or (select and len(fields) <= select[-1]):
                have = sum(c < len(fields) for c in select) if select else len(fields)  # TF counts those read
                raise ValueError(f"Expect {len(defaults)} fields but have {have} in record {r}")
            for c, (f, d) in enumerate(zip(want, defaults)):
                text = fields[f]
                if text == b"" or text == na_value:
                    if d.size == 0:
                        raise ValueError(f"Field {c} is required but missing in record {r}!")
                    cols[c][r] = d.reshape(-1)[0]
                else:
                    cols[c][r] = _parse_field(text, d.dtype, c, r)
    except ValueError as e:
        raise errors.InvalidArgumentError(None, None, f"{e} {where_}") from None
    return tuple(c.reshape(records.shape) for c in cols)


@register("DecodeCSV")
class DecodeCSV:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        records, defaults = op.inputs[0], op.inputs[1:]
        check_strings(op, [records], "records")
        for d in defaults:
            if d.shape.ndims is not None and d.shape.ndims > 1:
                refuse(op, f"Shape must be at most rank 1 but is rank {d.shape.ndims}", ValueError)
        return [(records.shape, d.dtype) for d in defaults]

    def lower(op, records, *defaults):
        a = op.attrs
        one = whole(records)
        ind = tuple(f"r{d}" for d in range(records.ndim))
        args = [x for i, d in enumerate(defaults) for x in (whole(d), tuple(f"d{i}.{k}" for k in range(d.ndim)))]
        packed = da.blockwise(_decode_csv, ind, one, ind, *args, concatenate=True, delim=a["field_delim"],
                              quote=a["use_quote_delim"], na_value=a["na_value"], select=a["select_cols"],
                              where_=where(op), dtype=object, meta=meta(object, records.ndim))
        return tuple_outputs(packed, [one.chunks] * len(defaults),
                             [meta(d.dtype, records.ndim) for d in defaults], "decode-csv")


_CSV_TYPES = ("float32", "float64", "int32", "int64", "string")


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None, na_value="",
               select_cols=None):
    """Parse each CSV record of ``records`` into one tensor per column, of ``records``' shape (TF's
    ``io.decode_csv``). ``record_defaults`` gives each column's dtype (float32, float64, int32, int64 or string)
    and its default for an empty (or ``na_value``) field: a one-element tensor, or an empty one for a required
    column. ``select_cols`` (increasing indices) reads only those columns. Fields may be quoted, with ``""`` for a
    quote, unless ``use_quote_delim`` is False. A malformed record is an ``InvalidArgumentError`` when the op runs.

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.decode_csv(["1,2.5", ",7"], [[0], [1.0]]))
    [array([1, 0], dtype=int32), array([2.5, 7. ], dtype=float32)]
    """
    defaults = [convert_to_tensor(d) for d in record_defaults]
    for d in defaults:
        name_ = "string" if dtypes.is_string(d.dtype) else d.dtype.name
        if name_ not in _CSV_TYPES:
            raise TypeError(f"Value passed to parameter 'record_defaults' has DataType {dtypes.name(d.dtype)} not "
                            f"in list of allowed values: {', '.join(_CSV_TYPES)}")
    select = [int(c) for c in select_cols] if select_cols else []
    if any(b <= a for a, b in zip(select, select[1:])):
        raise ValueError("select_cols is not strictly increasing.")
    if select and select[0] < 0:
        raise ValueError("select_cols contains negative values.")
    if select and len(select) != len(defaults):
        raise ValueError("Length of select_cols and record_defaults do not match.")
    delim = field_delim.encode() if isinstance(field_delim, str) else bytes(field_delim)
    if len(delim) != 1:
        raise errors.InvalidArgumentError(None, None, "field_delim should be only 1 char")
    attrs = {"field_delim": delim, "use_quote_delim": bool(use_quote_delim),
             "na_value": na_value.encode() if isinstance(na_value, str) else bytes(na_value),
             "select_cols": tuple(select)}
    return list(apply("DecodeCSV", [records] + defaults, attrs, name=name or "DecodeCSV"))


# -- TensorProto

def _serialize(x):
    from ..graph_def import tensor_proto
    return np.array(tensor_proto(x).SerializeToString(), dtype=object)


@register("SerializeTensor")
class SerializeTensor:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.string)]

    def lower(op, x):
        one = whole(x)
        ind = tuple(range(x.ndim))
        return da.blockwise(_serialize, (), one, ind, concatenate=True, dtype=dtypes.string,
                            meta=meta(dtypes.string, 0))


def serialize_tensor(tensor, name=None):
    """``tensor`` as the bytes of a ``TensorProto`` (a scalar string), as TF's ``io.serialize_tensor`` writes
    them: numbers in ``tensor_content``, strings in ``string_val``."""
    return apply1("SerializeTensor", [tensor], {}, name=name or "SerializeTensor")


def _parse(b, out, where_):
    from .. import protos
    from ..graph_def import enum_dtype, make_ndarray
    proto = protos.module("tensor_pb2").TensorProto()
    v = np.asarray(b)[()]
    try:
        proto.ParseFromString(v)
        dt = enum_dtype(proto.dtype)
    except Exception:
        import base64
        raise errors.InvalidArgumentError(None, None, "Could not parse `serialized` as TensorProto, base64: "
                                                      f"{base64.b64encode(v).decode()} {where_}") from None
    if dt != out:
        raise errors.InvalidArgumentError(None, None, f"Type mismatch between parsed tensor ({_tf_name(dt)}) and "
                                                      f"dtype ({_tf_name(out)}) {where_}")
    return make_ndarray(proto)


def _tf_name(dt):
    return {"float32": "float", "float64": "double", "object": "string"}.get(dt.name, dtypes.name(dt))


def _parsed_shape(b, out, where_):
    return np.array(_parse(b, out, where_).shape, dtype=np.int64)


def _parsed(b, shape, out, where_):
    value = _parse(b, out, where_)
    if value.shape != tuple(shape):
        raise errors.InvalidArgumentError(None, None, f"the parsed tensor has shape {list(value.shape)}, "
                                                      f"{list(shape)} expected {where_}")
    return value


def _parse_infer(op):
    x = op.inputs[0]
    check_strings(op, [x], "serialized")
    if x.shape.ndims not in (None, 0):
        refuse(op, f"Shape must be rank 0 but is rank {x.shape.ndims}", ValueError)


@register("ParseTensorShape")
class ParseTensorShape:
    """The shape of the tensor a serialized TensorProto holds, which ``ParseTensor`` needs to plan its output."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _parse_infer(op)
        return [((None,), dtypes.int64)]

    def lower(op, x):
        return x.map_blocks(_parsed_shape, out=op.attrs["out_type"], where_=where(op), new_axis=0,
                            chunks=((np.nan,),), dtype=np.int64, meta=meta(np.int64, 1))


@register("ParseTensor")
class ParseTensor:
    """Input 1 is the parsed tensor's shape (``ParseTensorShape``), computed before the run is planned."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _parse_infer(op)
        dims = host_vector(op, 1, "shape")
        return [(None if dims is None else list(dims), op.attrs["out_type"])]

    def lower(op, x, _):
        out = op.attrs["out_type"]
        shape = tuple(int(d) for d in host_lowered(op, 1, "shape"))
        return da.map_blocks(_parsed, x, shape=shape, out=out, where_=where(op), new_axis=list(range(len(shape))),
                             chunks=tuple((d,) for d in shape), dtype=out, meta=meta(out, len(shape)))


def parse_tensor(serialized, out_type, name=None):
    """The tensor a serialized ``TensorProto`` (a scalar string) holds (TF's ``io.parse_tensor``); its shape is
    known when the op runs. A proto of another dtype than ``out_type`` is an ``InvalidArgumentError``."""
    out = dtypes.as_dtype(out_type)
    x = convert_to_tensor(serialized, dtype=dtypes.string)
    with_name = name or "ParseTensor"
    shape = apply1("ParseTensorShape", [x], {"out_type": out}, name=f"{with_name}_shape")
    return apply1("ParseTensor", [x, shape], {"out_type": out}, name=with_name)
