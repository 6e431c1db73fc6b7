"""Python operators and numpy's protocols on Tensor: ``t + 1``, ``t @ w``, ``t[1:, None]``, ``np.exp(t)`` and
``np.sum(t, axis=0)`` build graph nodes. One table each; the ops themselves live in their family modules.

Python and numpy values next to a tensor take the tensor's dtype, as TF converts them (``x_float32 * np.sqrt(2)``
stays float32; ``x_int32 + 1.5`` raises TypeError; a string next to a number is left to the op, which refuses
it naming itself). ``==`` and ``!=`` keep Python identity, as TF1, so tensors
can key dicts; ``equal``/``not_equal`` (and ``np.equal``) compare elementwise.
"""
import numpy as np

import daskflow as _df
from ..graph import Tensor


def _f(name):
    return lambda *a, **k: getattr(_df, name)(*a, **k)


def _operand(t, other):
    """``other`` as a tensor next to tensor ``t``: tensors pass unchanged, other values become constants of t's
    dtype (TypeError when they do not fit it: 1.5 for an int tensor)."""
    if isinstance(other, Tensor):
        return other
    if hasattr(other, "_as_tensor"):
        return other._as_tensor()
    if _df.dtypes.is_string(t.dtype) != _is_text(other):
        return _df.convert_to_tensor(other)  # a string next to a number: the op names the mismatch
    return _df.convert_to_tensor(other, dtype=t.dtype)


def _is_text(v):
    if isinstance(v, (list, tuple)):
        return bool(v) and all(_is_text(x) for x in v)
    return isinstance(v, (str, bytes)) or getattr(getattr(v, "dtype", None), "kind", None) in ("O", "S", "U")


def _operands(values):
    """``values`` with every non-tensor converted to the dtype of the first tensor among them."""
    t = next((v for v in values if isinstance(v, Tensor)), None)
    return [v if t is None else _operand(t, v) for v in values]


def _matmul(a, b, name=None):
    """Matrix product; rank-1 operands follow numpy (a vector is a row on the left, a column on the right),
    which TF rejects; for rank >= 2 this is ``matmul``."""
    ra, rb = a.shape.ndims, b.shape.ndims
    if ra is None or rb is None or (ra >= 2 and rb >= 2):
        return _df.matmul(a, b, name=name)
    if ra == 0 or rb == 0:
        raise ValueError(f"matmul: input operand of shape {a.shape if ra == 0 else b.shape} has no dimensions")
    eq = "k,k->" if ra == rb == 1 else ("k,...kn->...n" if ra == 1 else "...mk,k->...m")
    return _df.einsum(eq, a, b, name=name)


_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "truediv", "floordiv": "floordiv",
           "mod": "floormod", "pow": "pow", "matmul": _matmul, "lt": "less", "le": "less_equal",
           "gt": "greater", "ge": "greater_equal", "and": "logical_and", "or": "logical_or", "xor": "logical_xor"}


# TF names the op an operator builds after the operator (``x * 2`` is op "mul"); comparisons keep the op's name
_NAMED = {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor"}


def _binop(py, name, reflected):
    fn = name if callable(name) else _f(name)
    kw = {"name": py} if py in _NAMED else {}
    if reflected:
        def op(self, other):
            return fn(_operand(self, other), self, **kw)
    else:
        def op(self, other):
            return fn(self, _operand(self, other), **kw)
    op.__name__ = op.__qualname__ = f"__{'r' if reflected else ''}{py}__"
    return op


for _py, _name in _BINARY.items():
    setattr(Tensor, f"__{_py}__", _binop(_py, _name, False))
    if _py not in ("lt", "le", "gt", "ge"):  # Python reflects comparisons itself: 1 < t is t > 1
        setattr(Tensor, f"__r{_py}__", _binop(_py, _name, True))
Tensor.__neg__ = lambda self: _df.negative(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: _df.abs(self)
# ~ is logical_not of bools and the bitwise complement of integers, as TF's
Tensor.__invert__ = lambda self: _df.bitwise.invert(self) if self.dtype.kind in "iu" else _df.logical_not(self)
Tensor.__getitem__ = lambda self, key: _df.ops.indexing._getitem(self, key)


# numpy ufuncs -> daskflow functions (same argument order)
_UFUNCS = {
    "add": "add", "subtract": "subtract", "multiply": "multiply", "true_divide": "truediv", "divide": "truediv",
    "floor_divide": "floordiv", "remainder": "floormod", "power": "pow", "negative": "negative",
    "positive": "identity", "absolute": "abs", "sign": "sign", "square": "square", "reciprocal": "reciprocal",
    "exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
    "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh",
    "tanh": "tanh", "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2",
    "maximum": "maximum", "minimum": "minimum", "floor": "floor", "ceil": "ceil", "rint": "rint", "less": "less",
    "less_equal": "less_equal", "greater": "greater", "greater_equal": "greater_equal", "equal": "equal",
    "not_equal": "not_equal", "logical_and": "logical_and", "logical_or": "logical_or",
    "logical_xor": "logical_xor", "logical_not": "logical_not", "isnan": "is_nan", "isinf": "is_inf",
    "isfinite": "is_finite", "matmul": _matmul, "conjugate": "conj",
}
# numpy spells `a & t` on bool arrays as bitwise ufuncs: logical ops for bool tensors only, as TF1's operators
_BOOL_UFUNCS = {"bitwise_and": "logical_and", "bitwise_or": "logical_or", "bitwise_xor": "logical_xor",
                "invert": "logical_not"}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    name = _UFUNCS.get(ufunc.__name__)
    if name is None and all(x.dtype == np.bool_ for x in inputs if isinstance(x, Tensor)):
        name = _BOOL_UFUNCS.get(ufunc.__name__)
    if method != "__call__" or name is None or kwargs:  # out=, where=, dtype=...: not symbolic
        return NotImplemented
    fn = name if callable(name) else getattr(_df, name)
    return fn(*_operands(inputs))


# numpy functions -> daskflow (numpy's signatures; NotImplemented, hence TypeError, for what has no symbolic form)

def _reduction(name, to_float=False):
    def fn(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        if out is not None or kw:  # initial=, where=
            return NotImplemented
        a = _df.convert_to_tensor(a)
        if dtype is None and (a.dtype.kind == "b" or (to_float and a.dtype.kind in "iu")):
            dtype = np.float64 if to_float else np.int64  # numpy: the mean of ints is float, the sum of bools int
        if dtype is not None:
            a = _df.cast(a, dtype)
        return getattr(_df, name)(a, axis=axis, keepdims=bool(keepdims))
    return fn


def _logical_reduction(name):
    def fn(a, axis=None, out=None, keepdims=False, **kw):
        if out is not None or kw:
            return NotImplemented
        a = _df.convert_to_tensor(a)
        return getattr(_df, name)(_df.cast(a, _df.bool), axis=axis, keepdims=bool(keepdims))
    return fn


def _arg(name):
    def fn(a, axis=None, out=None, keepdims=False):
        if out is not None or keepdims:
            return NotImplemented
        if axis is None:
            return getattr(_df, name)(_df.reshape(a, [-1]), 0)
        return getattr(_df, name)(a, axis)
    return fn


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        return NotImplemented
    return _df.reshape(a, shape if shape is not None else newshape)


def _concatenate(arrays, axis=0, out=None, dtype=None, casting=None):
    if out is not None or dtype is not None:
        return NotImplemented
    arrays = _operands(list(arrays))
    if axis is None:
        arrays, axis = [_df.reshape(a, [-1]) for a in arrays], 0
    return _df.concat(arrays, axis)


def _stack(arrays, axis=0, out=None, dtype=None, casting=None):
    if out is not None or dtype is not None:
        return NotImplemented
    return _df.stack(_operands(list(arrays)), axis=axis)


def _where(condition, *xy):
    if len(xy) == 1:
        raise ValueError("either both or neither of x and y should be given")
    if not xy:  # numpy gives one index vector per dimension
        coords = _df.where(condition)
        rank = coords.shape[1]
        if not rank:  # numpy refuses 0-d conditions; an unknown rank has no static tuple length
            return NotImplemented
        return tuple(_df.unstack(coords, num=rank, axis=1))
    return _df.where_v2(condition, *_operands(list(xy)))


def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kw):
    lo, hi = (a_min if a_min is not None else min), (a_max if a_max is not None else max)
    if out is not None or kw:
        return NotImplemented
    if lo is None and hi is None:
        raise ValueError("One of max or min must be given")
    a = _df.convert_to_tensor(a)
    if lo is not None:
        a = _df.maximum(a, _operand(a, lo))
    return a if hi is None else _df.minimum(a, _operand(a, hi))


def _dot(a, b, out=None):
    if out is not None:
        return NotImplemented
    a, b = _operands([a, b])
    a, b = _df.convert_to_tensor(a), _df.convert_to_tensor(b)
    if a.shape.ndims == 0 or b.shape.ndims == 0:
        return _df.multiply(a, b)
    # numpy: contract the last axis of a with the second-to-last of b (the only one for a vector)
    return _df.tensordot(a, b, [[-1], [max(b.shape.ndims - 2, 0)]])


def _round(a, decimals=0, out=None):
    if out is not None:
        return NotImplemented
    a = _df.convert_to_tensor(a)
    if decimals == 0:
        return _df.round(a)
    if a.dtype.kind != "f":
        return NotImplemented
    scale = _operand(a, 10.0 ** decimals)
    return _df.round(a * scale) / scale  # numpy's own method: half to even on the scaled value


def _einsum(subscripts, *operands, out=None, dtype=None, optimize=False, **kw):
    if out is not None or dtype is not None or not isinstance(subscripts, str) or kw:
        return NotImplemented
    return _df.einsum(subscripts, *_operands(list(operands)))


def _tensordot(a, b, axes=2):
    return _df.tensordot(*_operands([a, b]), axes)


_FUNCTIONS = {
    np.sum: _reduction("reduce_sum"), np.mean: _reduction("reduce_mean", to_float=True),
    np.max: _reduction("reduce_max"), np.min: _reduction("reduce_min"), np.amax: _reduction("reduce_max"),
    np.amin: _reduction("reduce_min"), np.prod: _reduction("reduce_prod"), np.any: _logical_reduction("reduce_any"),
    np.all: _logical_reduction("reduce_all"), np.argmax: _arg("argmax"), np.argmin: _arg("argmin"),
    np.reshape: _reshape,
    np.transpose: lambda a, axes=None: _df.transpose(a, perm=axes),
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.squeeze: lambda a, axis=None: _df.squeeze(a, axis=axis),
    np.expand_dims: lambda a, axis: _df.expand_dims(a, axis),
    np.where: _where,
    np.clip: _clip,
    np.dot: _dot,
    np.tensordot: _tensordot,
    np.einsum: _einsum,
    np.round: _round, np.around: _round,
    np.tile: lambda a, reps: _df.tile(a, reps),
    np.flip: lambda m, axis=None: _df.reverse(m, list(range(_df.convert_to_tensor(m).shape.ndims))
                                              if axis is None else np.atleast_1d(axis).tolist()),
    np.shape: lambda a: tuple(a.shape),
    np.ndim: lambda a: a.shape.ndims,
    np.size: lambda a, axis=None: a.shape.num_elements() if axis is None else a.shape[axis],
}


def _array_function(self, func, types, args, kwargs):
    impl = _FUNCTIONS.get(func)
    if impl is None:
        return NotImplemented
    return impl(*args, **kwargs)


Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function
