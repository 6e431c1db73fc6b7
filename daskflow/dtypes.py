"""Dtypes are numpy dtypes; TensorFlow's spellings are accepted where TF has them."""
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

_TF_NAMES = {"float": float32, "half": float16, "double": float64, "int": int32, "long": int64,
             "bool": bool, "boolean": bool}

__all__ = ["as_dtype", "float16", "half", "float32", "float64", "double", "int8", "int16", "int32", "int64",
           "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128"]


def as_dtype(value):
    """A numpy dtype from a dtype, a numpy/python type or a TF name ("float" is float32)."""
    if isinstance(value, str) and value in _TF_NAMES:
        return _TF_NAMES[value]
    if value is float:
        return float32  # python floats are float32, as in TF
    if value is int:
        return int32
    dt = getattr(value, "as_numpy_dtype", value)  # a tf.DType-like object
    try:
        return np.dtype(dt)
    except TypeError:
        raise TypeError(f"cannot interpret {value!r} as a dtype") from None


def is_floating(dt):
    return np.dtype(dt).kind == "f"


def is_integer(dt):
    return np.dtype(dt).kind in "iu"


def is_complex(dt):
    return np.dtype(dt).kind == "c"


def is_bool(dt):
    return np.dtype(dt).kind == "b"


def infer_dtype(value):
    """The dtype TF gives a python or numpy value: python floats float32, ints int32."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return value.dtype
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        return float32
    if arr.dtype == np.int64:
        return int32 if arr.size == 0 or (np.abs(arr).max() < 2**31) else int64
    return arr.dtype
