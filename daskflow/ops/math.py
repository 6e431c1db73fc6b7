"""Elementwise math, comparisons, logic, casting and contractions (matmul, tensordot; einsum is in
``linalg``).

Simple ops are one table row each: ``unary(...)``/``binary(...)`` declare the op, its dask lowering and the
public function. Gradient rules go in the ``grad=`` slot next to each declaration.
"""
import math
import operator

import dask.array as da
import numpy as np

import daskflow as df
from .. import backend, dtypes, errors, kernels, planner
from ..graph import TensorShape
from .hostvalue import host_elementwise
from .registry import fail_dtype
from .registry import (NOT_DIFFERENTIABLE, apply1, broadcast_shapes, convert_to_tensor, defop, fail,
                       register, same_dtype, same_shape)

__all__ = []  # filled by the table builders below

_FLOAT = "fc"      # float and complex
_NUMERIC = "fciu"  # any number
_ANY = "fciub"


def _export(fn, *names):
    for n in names:
        globals()[n] = fn
        __all__.append(n)
    return fn


def _check_kind(op, t, kinds):
    """TF's TypeError for an input of a dtype the op does not take."""
    if t.dtype.kind not in kinds:
        allowed = {"fc": "floating or complex", "fciu": "numeric", "b": "bool", "fciub": "numeric or bool",
                   "iu": "integer", "fciu_nc": "real numeric", "f": "floating point",
                   "fiu": "real numeric"}.get(kinds, kinds)
        fail_dtype(op, t, f"a {allowed} dtype")


# -- unary ops

def _elementwise(op, fn, dtype, *xs):
    """``kernels.elementwise`` over broadcasting dask arrays ``xs``: one blockwise task per output chunk."""
    if len(xs) > 1:  # shapes known only now (fed or computed): TF's run-time error, not dask's
        broadcast_shapes(op, *(TensorShape(x.shape) for x in xs))
    ndim = max(x.ndim for x in xs)
    args = [a for x in xs for a in (x, tuple(range(x.ndim))[::-1])]
    dtype = dtypes.as_dtype(dtype)
    return da.blockwise(kernels.elementwise, tuple(range(ndim))[::-1], *args, fn=fn, dt=dtype,
                        label=f"op '{op.name}' (type {op.type})", dtype=dtype, meta=_meta(xs[0], dtype, ndim),
                        token=op.type.lower())


def _meta(like, dtype, ndim):
    """An empty array of ``like``'s chunk type (made afresh: casting a complex meta to real would warn)."""
    return backend.xp(like._meta).empty((0,) * ndim, dtype=dtype)


def _out_dtype(out_dtype, dt):
    return out_dtype(dt) if callable(out_dtype) else (out_dtype or dt)


def _real_dtype(dt):
    return np.finfo(dt).dtype if dt.kind == "c" else dt


def _public(fn, names, doc):
    fn.__name__ = fn.__qualname__ = names[0]
    fn.__doc__ = doc
    return _export(fn, *names)


def unary(type_name, fn, *names, kinds=_NUMERIC, out_dtype=None, grad=None, host=None):
    """Declare an elementwise op of one input and its public names. ``fn`` is the name of the array-module
    function computing a chunk, or a ``kernels`` function; ``out_dtype`` a dtype or a function of the input's;
    ``host`` a python function of numbers for evaluating small int shape arithmetic on the host."""
    def infer(op):
        x = op.inputs[0]
        _check_kind(op, x, kinds)
        return [(x.shape, _out_dtype(out_dtype, x.dtype))]

    def lower(op, x):
        return _elementwise(op, fn, op.outputs[0].dtype, x)

    defop(type_name, infer, lower, grad=grad, host=host and host_elementwise(host))

    def public(x, name=None):
        return apply1(type_name, [x], name=name or type_name)
    return _public(public, names, f"Elementwise ``{names[0]}`` of ``x`` (op type ``{type_name}``).")


# -- gradient helpers: rules build their gradients from public daskflow functions

_ERF_SLOPE = float(2 / np.sqrt(np.pi))  # d/dx erf(x) = 2/sqrt(pi) * exp(-x^2)


def _conj(t):
    """TF's convention for complex inputs: dy times the conjugate derivative. Real tensors pass unchanged."""
    return df.conj(t) if t.dtype.kind == "c" else t


def _abs_grad(op, dy):
    x = op.inputs[0]
    if x.dtype.kind != "c":
        return [dy * df.sign(x)]
    y = op.outputs[0]  # |x| of a complex x: dy * x / |x|, and 0 at x = 0 (TF's ComplexAbs)
    return [x * cast(dy / df.where_v2(df.equal(y, 0), 1, y), x.dtype)]


def _pow_grad(op, dz):
    x, y = op.inputs
    # why: d/dy x^y = x^y log(x) is taken as 0 where log(x) is undefined (x <= 0; x = 0 for complex), as TF
    ok = df.not_equal(x, 0) if x.dtype.kind == "c" else df.greater(x, 0)
    log_x = df.where_v2(ok, df.log(df.where_v2(ok, x, 1)), 0)
    return [dz * _conj(y * df.pow(x, y - 1)), dz * _conj(op.outputs[0] * log_x)]


def _pick_grad(mask, dz):
    """Gradients of an op giving x where ``mask`` holds and y elsewhere."""
    return [df.where_v2(mask, dz, 0), df.where_v2(mask, 0, dz)]


def _squared_difference_grad(op, dz):
    g = dz * (2 * _conj(op.inputs[0] - op.inputs[1]))
    return [g, -g]


def _atan2_grad(op, dz):
    a, b = op.inputs  # atan2(a, b) = atan(a / b)
    scale = dz / (df.square(a) + df.square(b))
    return [scale * b, -scale * a]


unary("Neg", "negative", "negative", "neg", host=operator.neg, grad=lambda op, dy: [-dy])
unary("Abs", "absolute", "abs", out_dtype=_real_dtype, grad=_abs_grad)  # complex -> its real dtype, as TF's ComplexAbs
unary("Sign", "sign", "sign", grad=lambda op, dy: [None])
unary("Square", "square", "square", grad=lambda op, dy: [dy * (2 * _conj(op.inputs[0]))])
unary("Reciprocal", "reciprocal", "reciprocal", "inv", kinds=_FLOAT,
      grad=lambda op, dy: [-dy * _conj(df.square(op.outputs[0]))])
unary("Exp", "exp", "exp", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(op.outputs[0])])
unary("Expm1", "expm1", "expm1", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(op.outputs[0] + 1)])
unary("Log", "log", "log", kinds=_FLOAT, grad=lambda op, dy: [dy / _conj(op.inputs[0])])
unary("Log1p", "log1p", "log1p", kinds=_FLOAT, grad=lambda op, dy: [dy / _conj(op.inputs[0] + 1)])
unary("Sqrt", "sqrt", "sqrt", kinds=_FLOAT, grad=lambda op, dy: [dy / _conj(2 * op.outputs[0])])
unary("Rsqrt", kernels.rsqrt, "rsqrt", kinds=_FLOAT,
      grad=lambda op, dy: [dy * _conj(-0.5 * op.outputs[0] * df.square(op.outputs[0]))])
unary("Sin", "sin", "sin", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(df.cos(op.inputs[0]))])
unary("Cos", "cos", "cos", kinds=_FLOAT, grad=lambda op, dy: [-dy * _conj(df.sin(op.inputs[0]))])
unary("Tan", "tan", "tan", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(1 + df.square(op.outputs[0]))])
unary("Asin", "arcsin", "asin", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(df.rsqrt(1 - df.square(op.inputs[0])))])
unary("Acos", "arccos", "acos", kinds=_FLOAT, grad=lambda op, dy: [-dy * _conj(df.rsqrt(1 - df.square(op.inputs[0])))])
unary("Atan", "arctan", "atan", kinds=_FLOAT, grad=lambda op, dy: [dy / _conj(1 + df.square(op.inputs[0]))])
unary("Sinh", "sinh", "sinh", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(df.cosh(op.inputs[0]))])
unary("Cosh", "cosh", "cosh", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(df.sinh(op.inputs[0]))])
unary("Tanh", "tanh", "tanh", kinds=_FLOAT, grad=lambda op, dy: [dy * _conj(1 - df.square(op.outputs[0]))])
unary("Asinh", "arcsinh", "asinh", kinds=_FLOAT, grad=lambda op, dy: [dy / _conj(df.cosh(op.outputs[0]))])
unary("Acosh", "arccosh", "acosh", kinds=_FLOAT, grad=lambda op, dy: [dy / _conj(df.sinh(op.outputs[0]))])
unary("Atanh", "arctanh", "atanh", kinds=_FLOAT, grad=lambda op, dy: [dy / _conj(1 - df.square(op.inputs[0]))])
unary("Sigmoid", kernels.sigmoid, "sigmoid", kinds=_FLOAT,
      grad=lambda op, dy: [dy * _conj(op.outputs[0] * (1 - op.outputs[0]))])
unary("Softplus", kernels.softplus, "softplus", kinds="f", grad=lambda op, dy: [dy * df.sigmoid(op.inputs[0])])
unary("Erf", kernels.erf, "erf", kinds="f", grad=lambda op, dy: [dy * (_ERF_SLOPE * df.exp(-df.square(op.inputs[0])))])
unary("Erfc", kernels.erfc, "erfc", kinds="f",
      grad=lambda op, dy: [dy * (-_ERF_SLOPE * df.exp(-df.square(op.inputs[0])))])
unary("Floor", "floor", "floor", kinds="f", grad=NOT_DIFFERENTIABLE)
unary("Ceil", "ceil", "ceil", kinds="f", grad=NOT_DIFFERENTIABLE)
unary("Round", "round", "round", kinds="fiu", grad=NOT_DIFFERENTIABLE)  # half to even, as TF and numpy
unary("Rint", "rint", "rint", kinds="f", grad=NOT_DIFFERENTIABLE)
unary("IsNan", "isnan", "is_nan", kinds="f", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
unary("IsInf", "isinf", "is_inf", kinds="f", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
unary("IsFinite", "isfinite", "is_finite", kinds="f", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
unary("LogicalNot", "logical_not", "logical_not", kinds="b", grad=NOT_DIFFERENTIABLE)
unary("Conj", "conj", "conj", kinds=_ANY, grad=lambda op, dy: [df.conj(dy)])


# -- binary ops

def binary(type_name, fn, *names, kinds=_NUMERIC, out_dtype=None, grad=None, host=None, strings=False):
    """Declare an elementwise op of two broadcasting inputs of one dtype (``fn`` and ``host`` as for ``unary``;
    ``strings`` for ops that take string inputs, with "O" in ``kinds``)."""
    def infer(op):
        x, y = op.inputs
        dt = same_dtype(op, x, y)
        _check_kind(op, x, kinds)
        return [(broadcast_shapes(op, x.shape, y.shape), _out_dtype(out_dtype, dt))]

    def lower(op, x, y):
        return _elementwise(op, fn, op.outputs[0].dtype, x, y)

    defop(type_name, infer, lower, grad=grad, host=host and host_elementwise(host), strings=strings, broadcasts=0)

    def public(x, y, name=None):
        return apply1(type_name, [x, y], name=name or type_name)
    return _public(public, names, f"Elementwise ``{names[0]}`` of ``x`` and ``y`` with numpy broadcasting "
                                  f"(op type ``{type_name}``).")


def _truediv_dtype(dt):
    return dt if dt.kind in "fc" else (dtypes.float32 if dt.itemsize <= 2 else dtypes.float64)


# of strings: concatenation, as TF's Add
binary("AddV2", "add", "add", kinds=_NUMERIC + "O", host=operator.add, grad=lambda op, dz: [dz, dz], strings=True)
binary("Sub", "subtract", "subtract", "sub", host=operator.sub, grad=lambda op, dz: [dz, -dz])
binary("Mul", "multiply", "multiply", "mul", host=operator.mul,
       grad=lambda op, dz: [dz * _conj(op.inputs[1]), _conj(op.inputs[0]) * dz])
binary("RealDiv", "true_divide", "truediv", "divide", "realdiv", out_dtype=_truediv_dtype,
       grad=lambda op, dz: [dz / _conj(op.inputs[1]), -dz * _conj(op.outputs[0] / op.inputs[1])])
# integer division by zero raises InvalidArgumentError, as TF; floor semantics for negative operands, as numpy
binary("FloorDiv", kernels.floordiv, "floordiv", "floor_div", kinds="fiu", grad=NOT_DIFFERENTIABLE,
       host=operator.floordiv)
binary("FloorMod", kernels.floormod, "floormod", "mod", kinds="fiu", host=operator.mod,
       grad=lambda op, dz: [dz, -dz * df.floordiv(*op.inputs)])
binary("Pow", "power", "pow", grad=_pow_grad)
binary("Maximum", "maximum", "maximum", kinds="fiu", host=max,
       grad=lambda op, dz: _pick_grad(df.greater_equal(*op.inputs), dz))
binary("Minimum", "minimum", "minimum", kinds="fiu", host=min,
       grad=lambda op, dz: _pick_grad(df.less_equal(*op.inputs), dz))
binary("SquaredDifference", kernels.squared_difference, "squared_difference", grad=_squared_difference_grad)
binary("Atan2", "arctan2", "atan2", kinds="f", grad=_atan2_grad)
binary("Less", "less", "less", kinds="fiu", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("LessEqual", "less_equal", "less_equal", kinds="fiu", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("Greater", "greater", "greater", kinds="fiu", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("GreaterEqual", "greater_equal", "greater_equal", kinds="fiu", out_dtype=dtypes.bool,
       grad=NOT_DIFFERENTIABLE)
binary("Equal", "equal", "equal", kinds=_ANY + "O", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE, strings=True)
binary("NotEqual", "not_equal", "not_equal", kinds=_ANY + "O", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE,
       strings=True)
binary("LogicalAnd", "logical_and", "logical_and", kinds="b", grad=NOT_DIFFERENTIABLE)
binary("LogicalOr", "logical_or", "logical_or", kinds="b", grad=NOT_DIFFERENTIABLE)
binary("LogicalXor", "logical_xor", "logical_xor", kinds="b", grad=NOT_DIFFERENTIABLE)


def div(x, y, name=None):
    """TF1's ``div``: integer inputs divide with floor (Python 2 semantics), floats truly."""
    x = convert_to_tensor(x, dtype_hint=getattr(y, "dtype", None))
    if x.dtype.kind in "iu":
        return floordiv(x, y, name=name)  # noqa: F821 - defined by binary() above
    return truediv(x, y, name=name)  # noqa: F821


def scalar_mul(scalar, x, name=None):
    return multiply(scalar, x, name=name)  # noqa: F821


__all__ += ["div", "scalar_mul"]


# -- casting, selection, clipping, sums

@register("Cast")
class Cast:
    strings = True  # only from string to string: TF has no cast between strings and numbers

    def infer(op):
        src, dst = op.inputs[0].dtype, op.attrs["DstT"]
        if dtypes.is_string(src) != dtypes.is_string(dst):
            fail(op, f"Cast {dtypes.name(src)} to {dtypes.name(dst)} is not supported", errors.UnimplementedError)
        return [(op.inputs[0].shape, dst)]

    def lower(op, x):  # quiet: NaN -> int is whatever the platform gives, as TF; complex -> real keeps .real
        return _elementwise(op, None, op.attrs["DstT"], x)

    def grad(op, dy):  # between float and complex dtypes only: a cast from or to an integer passes nothing
        src = op.inputs[0].dtype
        return [cast(dy, src) if src.kind in _FLOAT and dy.dtype.kind in _FLOAT else None]

    def host(op, x):
        return x if x.dtype == object else x.astype(op.attrs["DstT"])


def cast(x, dtype, name=None):
    """``x`` converted to ``dtype`` (floats to ints truncate toward zero, as TF)."""
    x = convert_to_tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return apply1("Cast", [x], {"DstT": dtype}, name=name or "Cast")


def _cast_fn(dtype, tf_name):
    def fn(x, name=None):
        return cast(x, dtype, name=name or tf_name)
    fn.__name__ = fn.__qualname__ = "to_" + tf_name[2:].lower()
    fn.__doc__ = f"TF1's ``{fn.__name__}``: cast to {dtype.name}."
    return fn


to_float = _cast_fn(dtypes.float32, "ToFloat")
to_double = _cast_fn(dtypes.float64, "ToDouble")
to_int32 = _cast_fn(dtypes.int32, "ToInt32")
to_int64 = _cast_fn(dtypes.int64, "ToInt64")
__all__ += ["cast", "to_float", "to_double", "to_int32", "to_int64"]


@register("Select")
class Select:
    broadcasts = 0
    strings = True

    def infer(op):
        c, x, y = op.inputs
        if c.dtype != dtypes.bool:
            fail(op, f"condition '{c.name}' must be bool, got {c.dtype.name}")
        dt = same_dtype(op, x, y)
        if not op.attrs["rows"]:
            return [(broadcast_shapes(op, c.shape, x.shape, y.shape), dt)]
        out = broadcast_shapes(op, x.shape, y.shape)
        n, m = c.shape[0], out[0]
        if n is not None and m is not None and n != m:
            fail(op, f"condition '{c.name}' of shape {c.shape} selects rows of x and y, which have shapes "
                     f"{x.shape} and {y.shape}: {n} vs. {m} rows")
        return [((m if m is not None else n,) + tuple(out[1:]), dt)]

    def lower(op, c, x, y):
        if op.attrs["rows"]:  # TF1: a vector condition selects rows of x and y
            c = c.reshape(c.shape + (1,) * (max(x.ndim, y.ndim) - 1))
        return da.where(c, x, y)

    def grad(op, dz):  # each branch gets dz where it was picked; the condition gets nothing
        c, rows = op.inputs[0], {"rows": op.attrs["rows"]}
        zero = convert_to_tensor(0, dtype=dz.dtype)
        return [None, apply1("Select", [c, dz, zero], rows, name="Select"),
                apply1("Select", [c, zero, dz], rows, name="Select")]


@register("Where")
class Where:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        c = op.inputs[0]
        return [((None, c.shape.ndims), dtypes.int64)]

    def lower(op, c):
        if c.ndim == 0:  # coordinates of a scalar: (1, 0) when true, (0, 0) when false
            return da.argwhere(c.reshape((1,)))[:, :0].astype(np.int64)
        return da.argwhere(c).astype(np.int64)


def where(condition, x=None, y=None, name=None):
    """``x`` where ``condition`` else ``y`` (broadcasting; a vector condition with matrices picks rows, as TF1).
    With only ``condition``, the int64 coordinates of its true entries, shape ``(num_true, rank)``."""
    if (x is None) != (y is None):
        raise ValueError("x and y must both be given, or neither")
    c = convert_to_tensor(condition)
    if x is None:
        return apply1("Where", [c], name=name or "Where")
    x = convert_to_tensor(x, dtype_hint=getattr(y, "dtype", None))
    y = convert_to_tensor(y, dtype_hint=x.dtype)
    return apply1("Select", [c, x, y], {"rows": _selects_rows(c, x, y)}, name=name or "Select")


def _selects_rows(c, x, y):
    """TF1's rule: a vector condition next to higher-rank x and y picks their rows. Our extension, numpy
    broadcasting, applies only where TF1 would fail: when the vector's length cannot be the number of rows."""
    ranks = (x.shape.ndims, y.shape.ndims)
    if c.shape.ndims != 1 or None in ranks or max(ranks) < 2:
        return False
    rows = (x if ranks[0] == max(ranks) else y).shape[0]
    return c.shape[0] is None or rows is None or c.shape[0] == rows


def where_v2(condition, x=None, y=None, name=None):
    """``where`` with plain numpy broadcasting of all three arguments."""
    if x is None:
        return where(condition, name=name)
    c = convert_to_tensor(condition)
    x = convert_to_tensor(x, dtype_hint=getattr(y, "dtype", None))
    return apply1("Select", [c, x, convert_to_tensor(y, dtype_hint=x.dtype)], {"rows": False},
                  name=name or "SelectV2")


__all__ += ["where", "where_v2"]


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``t`` clipped elementwise to ``[clip_value_min, clip_value_max]``."""
    t = convert_to_tensor(t)
    return minimum(maximum(t, clip_value_min), clip_value_max, name=name or "clip_by_value")  # noqa: F821


@register("AddN")
class AddN:
    def infer(op):
        xs = op.inputs
        return [(same_shape(op, *xs), same_dtype(op, *xs))]

    def lower(op, *xs):
        return _elementwise(op, kernels.add_n, op.outputs[0].dtype, *xs)

    def grad(op, dy):
        return [dy] * len(op.inputs)


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one shape and dtype."""
    if not inputs:
        raise ValueError("inputs must be a non-empty list of tensors")
    inputs = [convert_to_tensor(x) for x in inputs]
    if len(inputs) == 1:  # as TF: the input itself, or its identity under the name asked for
        if name is None:
            return inputs[0]
        from .state import identity
        return identity(inputs[0], name=name)
    return apply1("AddN", inputs, name=name or "AddN")


__all__ += ["clip_by_value", "add_n"]


# -- contractions

@register("BatchMatMulV2")
class MatMul:
    broadcasts = 2  # batch dims broadcast; the matrix dims do not
    scratch = 3  # BLAS packs panels of both operands besides the product

    def infer(op):
        a, b = op.inputs
        dt = same_dtype(op, a, b)
        _check_kind(op, a, "fciu")
        ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
        if a.shape.ndims is None or b.shape.ndims is None:
            return [(TensorShape(None), dt)]
        for t in (a, b):
            if t.shape.ndims < 2:
                fail(op, f"matmul needs inputs of rank >= 2, got '{t.name}' of shape {t.shape}")
        m, k1 = (a.shape[-1], a.shape[-2]) if ta else (a.shape[-2], a.shape[-1])
        k2, n = (b.shape[-1], b.shape[-2]) if tb else (b.shape[-2], b.shape[-1])
        if k1 is not None and k2 is not None and k1 != k2:
            fail(op, f"Matrix size-incompatible: In[0]: {a.shape}, In[1]: {b.shape}"
                     + (f" (transpose_a={ta}, transpose_b={tb})" if ta or tb else ""))
        batch = broadcast_shapes(op, a.shape[:-2], b.shape[:-2])
        return [(tuple(batch) + (m, n), dt)]

    def lower(op, a, b):
        out = matmul_blocks(a, b, op.attrs["transpose_a"], op.attrs["transpose_b"], op.outputs[0].dtype)
        if out is not None:
            return out
        if op.attrs["transpose_a"]:
            a = da.swapaxes(a, -1, -2)
        if op.attrs["transpose_b"]:
            b = da.swapaxes(b, -1, -2)
        if _whole_k(a, b):  # one product per output block; otherwise dask splits and tree-sums the products
            a, b = a.rechunk({a.ndim - 1: -1}), b.rechunk({b.ndim - 2: -1})
        return da.matmul(a, b).astype(op.outputs[0].dtype, copy=False)  # dask sums int chunks as int64

    def footprint(op, xs, outs):
        a, b = xs
        ka = a.ndim - 2 if op.attrs["transpose_a"] else a.ndim - 1
        kb = b.ndim - 1 if op.attrs["transpose_b"] else b.ndim - 2
        return planner.contraction_bytes(a, (ka,), b, (kb,), outs)

    def grad(op, dz):
        # why: with z = op_a(a) @ op_b(b) (op_t a transpose when t is set), dz flows to op_a(a) as dz @ op_b(b)^H
        # and to op_b(b) as op_a(a)^H @ dz; transposed back when needed. autodiff sums broadcast batch dims.
        a, b = op.inputs
        ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
        ga = (matmul(_conj(b), dz, transpose_a=tb, transpose_b=True) if ta
              else matmul(dz, _conj(b), transpose_b=not tb))
        gb = (matmul(dz, _conj(a), transpose_a=True, transpose_b=ta) if tb
              else matmul(_conj(a), dz, transpose_a=not ta))
        return [ga, gb]


def matmul_blocks(a, b, transpose_a, transpose_b, dtype, bias=None, y=None, epilogue=None):
    """The product of matrices ``a`` and ``b`` (2-D dask arrays, transposed as flagged) as one ``kernels.matmul``
    task per output block, with ``bias`` (1-D, added along the last axis) and the ``epilogue`` (with ``y``, of the
    output's shape, for ``"relu_grad"``) applied in the same task. None when that does not apply: inputs of
    another rank, or a contraction the planner splits across blocks (dask then tree-sums partial products)."""
    if a.ndim != 2 or b.ndim != 2:
        return None
    ka, kb = (0 if transpose_a else 1), (1 if transpose_b else 0)
    if not planner.whole_contraction(a, [ka], b, [kb]):
        return None
    a, b = a.rechunk({ka: -1}), b.rechunk({kb: -1})
    args = [a, "ki" if transpose_a else "ik", b, "jk" if transpose_b else "kj"]
    if bias is not None:
        args += [bias, "j"]
    if y is not None:
        args += [y, "ij"]
    out = da.blockwise(_one_block_matmul, "ij", *args, dtype=dtype, meta=backend.meta(a, dtype),
                       transpose_a=transpose_a, transpose_b=transpose_b, bias=bias is not None, epilogue=epilogue)
    return out.astype(dtype, copy=False)


def _one_block_matmul(a, b, *extra, **kwargs):
    # the contracted axis is one block, which blockwise passes as a list of one (concatenating it would copy)
    return kernels.matmul(a[0], b[0], *extra, **kwargs)


def _whole_k(a, b):
    return a.ndim >= 1 and b.ndim >= 2 and planner.whole_contraction(a, [a.ndim - 1], b, [b.ndim - 2]) and (
        len(a.chunks[-1]) > 1 or len(b.chunks[-2]) > 1)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, name=None):
    """Matrix product of the last two dims of ``a`` and ``b`` (batched over leading dims, broadcasting).

    Examples
    --------
    >>> import daskflow as df
    >>> df.matmul([[1.0, 2.0]], [[3.0], [4.0]]).compute()
    array([[11.]], dtype=float32)
    """
    a = convert_to_tensor(a)
    b = convert_to_tensor(b, dtype_hint=a.dtype)
    if adjoint_a and a.dtype.kind == "c":
        a = conj(a)
    if adjoint_b and b.dtype.kind == "c":
        b = conj(b)
    attrs = {"transpose_a": bool(transpose_a or adjoint_a), "transpose_b": bool(transpose_b or adjoint_b)}
    return apply1("BatchMatMulV2", [a, b], attrs, name=name or "MatMul")


__all__ += ["matmul"]


def _tensordot_axes(op, a, b, axes):
    """``axes`` of ``tensordot`` as two tuples of non-negative axes of equal length, checked against the ranks."""
    ra, rb = a.shape.ndims, b.shape.ndims
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > min(ra, rb):
            fail(op, f"tensordot axes={n} is out of range for shapes {a.shape} and {b.shape}")
        return tuple(range(ra - n, ra)), tuple(range(n))
    if not hasattr(axes, "__len__") or len(axes) != 2:
        fail(op, f"tensordot axes must be an int or a pair of axis lists, got {axes!r}")
    pair = [np.atleast_1d(ax).tolist() for ax in axes]
    if len(pair[0]) != len(pair[1]):
        fail(op, f"tensordot axes {axes!r} name different numbers of axes of the two inputs")
    out = []
    for axs, t, r in zip(pair, (a, b), (ra, rb)):
        if any(not -r <= int(x) < r for x in axs) or len({int(x) % r for x in axs}) != len(axs):
            fail(op, f"tensordot axes {axs} are out of range or repeated for '{t.name}' of shape {t.shape}")
        out.append(tuple(int(x) % r for x in axs))
    return tuple(out)


def _unpermute(t, order):
    """``t``, whose axis k is axis ``order[k]`` of an input, transposed into that input's axis order."""
    perm = [int(k) for k in np.argsort(order)]
    return t if perm == sorted(perm) else df.transpose(t, perm)


@register("Tensordot")
class Tensordot:
    scratch = 3  # BLAS packs panels of both operands besides the product
    def infer(op):
        a, b = op.inputs
        dt = same_dtype(op, a, b)
        ax_a, ax_b = _tensordot_axes(op, a, b, op.attrs["axes"])
        for i, j in zip(ax_a, ax_b):
            if a.shape[i] is not None and b.shape[j] is not None and a.shape[i] != b.shape[j]:
                fail(op, f"tensordot contracts axis {i} of {a.shape} with axis {j} of {b.shape}: sizes differ")
        keep_a = [d for i, d in enumerate(a.shape) if i not in ax_a]
        keep_b = [d for j, d in enumerate(b.shape) if j not in ax_b]
        return [(keep_a + keep_b, dt)]

    def lower(op, a, b):
        ax_a, ax_b = _tensordot_axes(op, *op.inputs, op.attrs["axes"])
        if ax_a and planner.whole_contraction(a, ax_a, b, ax_b):  # else dask splits and tree-sums the products
            a, b = a.rechunk({i: -1 for i in ax_a}), b.rechunk({j: -1 for j in ax_b})
        res = da.tensordot(a, b, axes=(ax_a, ax_b))
        return res.astype(op.outputs[0].dtype, copy=False)

    def footprint(op, xs, outs):
        ax_a, ax_b = _tensordot_axes(op, *op.inputs, op.attrs["axes"])
        return planner.contraction_bytes(xs[0], ax_a, xs[1], ax_b, outs)

    def grad(op, dz):  # dz's axes are a's free axes, then b's: contract them with the other input
        a, b = op.inputs
        ax_a, ax_b = _tensordot_axes(op, a, b, op.attrs["axes"])
        free_a = [i for i in range(a.shape.ndims) if i not in ax_a]
        free_b = [j for j in range(b.shape.ndims) if j not in ax_b]
        n = len(free_a)
        ga = tensordot(dz, _conj(b), [list(range(n, n + len(free_b))), free_b])
        gb = tensordot(_conj(a), dz, [free_a, list(range(n))])
        return [_unpermute(ga, free_a + [ax_a[ax_b.index(j)] for j in sorted(ax_b)]),
                _unpermute(gb, [ax_b[ax_a.index(i)] for i in sorted(ax_a)] + free_b)]


def tensordot(a, b, axes, name=None):
    """Contraction of ``a`` and ``b`` over ``axes`` (an int n: the last n of a with the first n of b; or a pair
    of axis lists), as numpy's ``tensordot``."""
    a = convert_to_tensor(a)
    b = convert_to_tensor(b, dtype_hint=a.dtype)
    if a.shape.ndims is None or b.shape.ndims is None:
        raise ValueError("tensordot needs inputs of known rank")
    return apply1("Tensordot", [a, b], {"axes": axes}, name=name or "Tensordot")


__all__ += ["tensordot"]


# -- run-time checks

@register("CheckNumerics")
class CheckNumerics:
    side_effect = True

    def infer(op):
        x = op.inputs[0]
        _check_kind(op, x, "f")
        return [(x.shape, x.dtype)]

    def lower(op, x):
        return x.map_blocks(kernels.check_numerics, message=op.attrs["message"], opname=op.name, dtype=x.dtype,
                            meta=_meta(x, x.dtype, x.ndim))

    def grad(op, dy):
        return [dy]


def check_numerics(tensor, message, name=None):
    """``tensor``, checked when computed: NaN or Inf raises ``InvalidArgumentError`` with ``message``."""
    return apply1("CheckNumerics", [tensor], {"message": str(message)}, name=name or "CheckNumerics")


__all__ += ["check_numerics"]


@register("Assert")
class AssertOp:  # the public function below is Assert
    # why: TF's Assert has no outputs; this one gives its condition, which a run computes to check it
    side_effect = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        cond = op.inputs[0]
        if cond.dtype != dtypes.bool or cond.shape.ndims not in (None, 0):
            fail(op, f"condition must be a bool scalar, got '{cond.name}' of dtype {cond.dtype.name} and shape "
                     f"{cond.shape}")
        return [((), dtypes.bool)]

    def lower(op, cond, *data):
        n = op.attrs["summarize"]
        firsts = [da.ravel(d)[:n].rechunk(-1) for d in data]  # only what the message shows
        args = [a for i, f in enumerate(firsts) for a in (f, (i,))]
        sizes = [None if math.isnan(d.size) else int(d.size) for d in data]
        return da.blockwise(kernels.check_assert, (), cond, (), *args, template=op.attrs["template"], sizes=sizes,
                            label=f"op '{op.name}' (type Assert)", concatenate=True, dtype=bool,
                            meta=_meta(cond, dtypes.bool, 0))


def Assert(condition, data, summarize=None, name=None):
    """An op that checks ``condition`` (a bool scalar) when run: False raises ``InvalidArgumentError`` whose
    message shows ``data``.

    Parameters
    ----------
    condition : Tensor or bool
    data : list
        Strings and tensors, shown in the message (the first ``summarize`` values of each tensor, default 3).
    summarize : int, optional
    name : str, optional

    Returns
    -------
    Operation
        Run it, or make other ops wait for it with ``control_dependencies``.
    """
    cond = convert_to_tensor(condition, dtype_hint=dtypes.bool)
    tensors, template = [], []
    for d in data:
        if isinstance(d, str):
            template.append(d)
        else:
            template.append(len(tensors))
            tensors.append(convert_to_tensor(d))
    attrs = {"template": template, "summarize": 3 if summarize is None else int(summarize)}
    return apply1("Assert", [cond] + tensors, attrs, name=name or "Assert").op


def assert_equal(x, y, data=None, summarize=None, message=None, name=None):
    """An op raising ``InvalidArgumentError`` when run unless ``x == y`` everywhere (they broadcast); when both are
    known at build time the check is made at once instead.

    Parameters
    ----------
    x, y : Tensor or array-like
    data : list, optional
        Strings and tensors for the message; by default ``message``, ``x`` and ``y``.
    summarize : int, optional
        How many values of each tensor the message shows.
    message : str, optional
    name : str, optional

    Returns
    -------
    Operation
        As ``Assert``'s.
    """
    from .hostvalue import constant_value
    from .reduce import reduce_all  # reduce.py imports this module
    from .state import no_op
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype_hint=x.dtype)
    vx, vy = constant_value(x), constant_value(y)
    if vx is not None and vy is not None:
        try:
            ok = bool(np.all(np.equal(vx, vy)))
        except ValueError:  # shapes that do not broadcast
            ok = False
        if not ok:
            raise errors.InvalidArgumentError(None, None, f"{message or ''}\nCondition x == y did not hold.\n"
                                              f"x ({x.name}) = {vx.tolist()}\ny ({y.name}) = {vy.tolist()}")
        return no_op(name=name)
    cond = reduce_all(equal(x, y))
    if data is None:
        data = [message or "", "Condition x == y did not hold element-wise:", f"x ({x.name}) = ", x,
                f"y ({y.name}) = ", y]
    return Assert(cond, data, summarize=summarize, name=name or "assert_equal")


__all__ += ["Assert", "assert_equal"]
