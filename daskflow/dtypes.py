"""Dtypes are numpy dtypes; TensorFlow's spellings are accepted where TF has them.

Strings are TF's ``string``: numpy object arrays whose elements are ``bytes`` (str values are UTF-8 encoded on the
way in), as TF1's ``Session.run`` returns them.
"""
import numpy as np

float16 = half = np.dtype("float16")
float32 = np.dtype("float32")
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
uint16 = np.dtype("uint16")
uint32 = np.dtype("uint32")
uint64 = np.dtype("uint64")
bool = np.dtype("bool")  # noqa: A001 - TF's name
complex64 = np.dtype("complex64")
complex128 = np.dtype("complex128")
string = np.dtype(object)  # elements are bytes

_TF_NAMES = {"float": float32, "half": float16, "double": float64, "int": int32, "long": int64,
             "bool": bool, "boolean": bool, "string": string, "str": string}

# TF's DType: daskflow's dtypes are numpy's, so isinstance(t.dtype, DType) holds for every tensor
DType = np.dtype

__all__ = ["DType", "as_dtype", "float16", "half", "float32", "float64", "double", "int8", "int16", "int32", "int64",
           "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128", "string", "is_string",
           "name", "string_array", "ragged_dim"]


def as_dtype(value):
    """A numpy dtype from a dtype, a numpy/python type or a TF name ("float" is float32)."""
    if isinstance(value, str) and value in _TF_NAMES:
        return _TF_NAMES[value]
    if value is float:
        return float32  # python floats are float32, as in TF
    if value is int:
        return int32
    if value is str or value is bytes:
        return string
    dt = getattr(value, "as_numpy_dtype", value)  # a tf.DType-like object
    try:
        dt = np.dtype(dt)
    except TypeError:
        raise TypeError(f"cannot interpret {value!r} as a dtype") from None
    return string if dt.kind in "OSU" else dt  # numpy's str and bytes dtypes (any length) are TF's string


def is_string(dt):
    return np.dtype(dt) == string


def name(dt):
    """TF's name of a dtype: ``string`` for strings (numpy's str and bytes too), numpy's name otherwise."""
    dt = np.dtype(dt)
    return "string" if dt.kind in "OSU" else dt.name


def _as_bytes(v):
    if isinstance(v, bytes):
        return bytes(v)  # np.bytes_ too
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (list, tuple, np.ndarray)):
        raise ValueError("the nested lists are ragged: they do not make a rectangular array")
    raise TypeError(f"Expected string, got {v!r} of type '{type(v).__name__}' instead.")


_to_bytes = np.frompyfunc(_as_bytes, 1, 1)


def string_array(value):
    """``value`` (str, bytes, nested lists of them, numpy str/bytes/object arrays) as an object array of bytes,
    str encoded as UTF-8. Raises TypeError for an element that is not a string, ValueError for ragged lists."""
    arr = value if isinstance(value, np.ndarray) else np.array(value, dtype=object)
    if arr.dtype.kind not in "OSU":
        raise TypeError(f"Expected string, got {value!r} of dtype {arr.dtype} instead.")
    out = _to_bytes(arr.astype(object, copy=False)) if arr.size else np.empty(arr.shape, dtype=object)
    return np.asarray(out, dtype=object)


def ragged_dim(value):
    """Where nested lists ``value`` fail to make a rectangular array, in words ("lengths 3 and 2 along dimension
    1"), or None when they do make one."""
    level, dim = [value], 0
    while level:
        seq = [isinstance(v, (list, tuple)) or (isinstance(v, np.ndarray) and v.ndim > 0) for v in level]
        if not any(seq):
            return None
        if not all(seq):
            return f"lists next to scalars along dimension {dim}"
        lens = sorted({len(v) for v in level}, reverse=True)
        if len(lens) > 1:
            return f"lengths {', '.join(map(str, lens[:-1]))} and {lens[-1]} along dimension {dim}"
        level, dim = [x for v in level for x in v], dim + 1
    return None


def is_floating(dt):
    return np.dtype(dt).kind == "f"


def is_integer(dt):
    return np.dtype(dt).kind in "iu"


def is_complex(dt):
    return np.dtype(dt).kind == "c"


def is_bool(dt):
    return np.dtype(dt).kind == "b"


def infer_dtype(value):
    """The dtype TF gives a python or numpy value: python floats float32, ints int32, str and bytes string."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return as_dtype(value.dtype)
    if isinstance(value, (str, bytes)):
        return string
    arr = np.asarray(value)
    if arr.dtype.kind in "OSU":
        return string
    if arr.dtype == np.float64:
        return float32
    if arr.dtype == np.int64:
        return int32 if arr.size == 0 or (np.abs(arr).max() < 2**31) else int64
    return arr.dtype
