"""Python operators and numpy's protocols on Tensor: ``t + 1``, ``t @ w``, ``t[1:, None]``, ``np.exp(t)`` and
``np.sum(t, axis=0)`` build graph nodes. One table each; the ops themselves live in their family modules."""
import numpy as np

import daskflow as _df
from ..graph import Tensor


def _f(name):
    return lambda *a, **k: getattr(_df, name)(*a, **k)


_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "truediv", "floordiv": "floordiv",
           "mod": "floormod", "pow": "pow", "matmul": "matmul", "lt": "less", "le": "less_equal",
           "gt": "greater", "ge": "greater_equal", "and": "logical_and", "or": "logical_or", "xor": "logical_xor"}


def _binop(name, reflected):
    fn = _f(name)
    if reflected:
        def op(self, other):
            return fn(_df.convert_to_tensor(other, dtype_hint=self.dtype), self)
    else:
        def op(self, other):
            return fn(self, other)
    return op


for _py, _name in _BINARY.items():
    setattr(Tensor, f"__{_py}__", _binop(_name, False))
    if _py not in ("lt", "le", "gt", "ge"):
        setattr(Tensor, f"__r{_py}__", _binop(_name, True))
Tensor.__neg__ = lambda self: _df.negative(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: _df.abs(self)
Tensor.__invert__ = lambda self: _df.logical_not(self)
Tensor.__getitem__ = lambda self, key: _df.ops.array._getitem(self, key)


# numpy ufuncs -> daskflow functions (same argument order)
_UFUNCS = {
    "add": "add", "subtract": "subtract", "multiply": "multiply", "true_divide": "truediv", "divide": "truediv",
    "floor_divide": "floordiv", "remainder": "floormod", "power": "pow", "negative": "negative",
    "absolute": "abs", "sign": "sign", "square": "square", "reciprocal": "reciprocal", "exp": "exp",
    "expm1": "expm1", "log": "log", "log1p": "log1p", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2", "maximum": "maximum",
    "minimum": "minimum", "floor": "floor", "ceil": "ceil", "rint": "rint", "less": "less",
    "less_equal": "less_equal", "greater": "greater", "greater_equal": "greater_equal", "equal": "equal",
    "not_equal": "not_equal", "logical_and": "logical_and", "logical_or": "logical_or",
    "logical_xor": "logical_xor", "logical_not": "logical_not", "isnan": "is_nan", "isinf": "is_inf",
    "isfinite": "is_finite", "matmul": "matmul", "conjugate": "conj",
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    name = _UFUNCS.get(ufunc.__name__)
    if method != "__call__" or name is None or kwargs.get("out") is not None:
        return NotImplemented
    kwargs.pop("out", None)
    if kwargs:
        return NotImplemented
    hint = next(x.dtype for x in inputs if isinstance(x, Tensor))
    ins = [x if isinstance(x, Tensor) else _df.convert_to_tensor(x, dtype_hint=hint) for x in inputs]
    return getattr(_df, name)(*ins)


def _reduction(name):
    def fn(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        if out is not None or kw.get("where", True) is not True:
            return NotImplemented
        r = getattr(_df, name)(a, axis=axis, keepdims=bool(keepdims))
        return _df.cast(r, dtype) if dtype is not None else r
    return fn


def _arg(name):
    def fn(a, axis=None, out=None, **kw):
        if axis is None:
            return getattr(_df, name)(_df.reshape(a, [-1]), 0)
        return getattr(_df, name)(a, axis)
    return fn


_FUNCTIONS = {
    np.sum: _reduction("reduce_sum"), np.mean: _reduction("reduce_mean"), np.max: _reduction("reduce_max"),
    np.min: _reduction("reduce_min"), np.prod: _reduction("reduce_prod"), np.any: _reduction("reduce_any"),
    np.all: _reduction("reduce_all"), np.argmax: _arg("argmax"), np.argmin: _arg("argmin"),
    np.reshape: lambda a, shape=None, order="C", **kw: _df.reshape(a, shape if shape is not None
                                                                   else kw.get("newshape")),
    np.transpose: lambda a, axes=None: _df.transpose(a, perm=axes),
    np.concatenate: lambda arrays, axis=0, **kw: _df.concat(list(arrays), axis),
    np.stack: lambda arrays, axis=0, **kw: _df.stack(list(arrays), axis=axis),
    np.squeeze: lambda a, axis=None: _df.squeeze(a, axis=axis),
    np.expand_dims: lambda a, axis: _df.expand_dims(a, axis),
    np.where: lambda c, x=None, y=None: _df.where_v2(c, x, y),
    np.clip: lambda a, a_min, a_max, **kw: _df.clip_by_value(a, a_min, a_max),
    np.dot: lambda a, b, out=None: _df.tensordot(a, b, [[-1], [max(_df.convert_to_tensor(b).shape.ndims - 2, 0)]]),
    np.matmul: lambda a, b, **kw: _df.matmul(a, b),
    np.tensordot: lambda a, b, axes=2: _df.tensordot(a, b, axes),
    np.einsum: lambda eq, *ops, **kw: _df.einsum(eq, *ops),
    np.round: lambda a, decimals=0, out=None: _df.round(a),
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
