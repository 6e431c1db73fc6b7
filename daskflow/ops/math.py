"""Elementwise math, comparisons, logic, casting and contractions (matmul, tensordot, einsum).

Simple ops are one table row each: ``unary(...)``/``binary(...)`` declare the op, its dask lowering and the
public function. Gradient rules go in the ``grad=`` slot next to each declaration.
"""
import functools
import string

import dask.array as da
import numpy as np

from .. import dtypes, kernels
from ..graph import TensorShape
from .registry import (NOT_DIFFERENTIABLE, apply1, broadcast_shapes, convert_to_tensor, defop, fail,
                       register, same_dtype)

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
    if t.dtype.kind not in kinds:
        allowed = {"fc": "floating or complex", "fciu": "numeric", "b": "bool", "fciub": "numeric or bool",
                   "iu": "integer", "fciu_nc": "real numeric"}.get(kinds, kinds)
        fail(op, f"input '{t.name}' has dtype {t.dtype.name}, but {op.type} needs a {allowed} dtype")


# -- unary ops

def unary(type_name, fn, *names, kinds=_NUMERIC, out_dtype=None, grad=None):
    """Declare an elementwise op of one input lowering to ``fn`` (a dask function), and its public names."""
    def infer(op):
        x = op.inputs[0]
        _check_kind(op, x, kinds)
        return [(x.shape, out_dtype or x.dtype)]

    defop(type_name, infer, lambda op, x: fn(x), grad=grad)

    def public(x, name=None):
        return apply1(type_name, [x], name=name or type_name)
    public.__name__ = names[0]
    public.__doc__ = f"Elementwise ``{names[0]}`` of ``x`` (op type ``{type_name}``)."
    return _export(public, *names)


unary("Neg", da.negative, "negative", "neg")
unary("Abs", da.absolute, "abs")
unary("Sign", da.sign, "sign")
unary("Square", da.square, "square")
unary("Reciprocal", da.reciprocal, "reciprocal", "inv", kinds=_FLOAT)
unary("Exp", da.exp, "exp", kinds=_FLOAT)
unary("Expm1", da.expm1, "expm1", kinds=_FLOAT)
unary("Log", da.log, "log", kinds=_FLOAT)
unary("Log1p", da.log1p, "log1p", kinds=_FLOAT)
unary("Sqrt", da.sqrt, "sqrt", kinds=_FLOAT)
unary("Rsqrt", lambda x: da.reciprocal(da.sqrt(x)), "rsqrt", kinds=_FLOAT)
unary("Sin", da.sin, "sin", kinds=_FLOAT)
unary("Cos", da.cos, "cos", kinds=_FLOAT)
unary("Tan", da.tan, "tan", kinds=_FLOAT)
unary("Asin", da.arcsin, "asin", kinds=_FLOAT)
unary("Acos", da.arccos, "acos", kinds=_FLOAT)
unary("Atan", da.arctan, "atan", kinds=_FLOAT)
unary("Sinh", da.sinh, "sinh", kinds=_FLOAT)
unary("Cosh", da.cosh, "cosh", kinds=_FLOAT)
unary("Tanh", da.tanh, "tanh", kinds=_FLOAT)
unary("Asinh", da.arcsinh, "asinh", kinds=_FLOAT)
unary("Acosh", da.arccosh, "acosh", kinds=_FLOAT)
unary("Atanh", da.arctanh, "atanh", kinds=_FLOAT)
unary("Sigmoid", lambda x: x.map_blocks(kernels.sigmoid, dtype=x.dtype), "sigmoid", kinds=_FLOAT)
unary("Softplus", lambda x: x.map_blocks(kernels.softplus, dtype=x.dtype), "softplus", kinds=_FLOAT)
unary("Erf", lambda x: x.map_blocks(kernels.erf, dtype=x.dtype), "erf", kinds="f")
unary("Erfc", lambda x: x.map_blocks(kernels.erfc, dtype=x.dtype), "erfc", kinds="f")
unary("Floor", da.floor, "floor", kinds="f", grad=NOT_DIFFERENTIABLE)
unary("Ceil", da.ceil, "ceil", kinds="f", grad=NOT_DIFFERENTIABLE)
unary("Round", da.round, "round", kinds="fiu", grad=NOT_DIFFERENTIABLE)  # half to even, as TF and numpy
unary("Rint", da.rint, "rint", kinds="f", grad=NOT_DIFFERENTIABLE)
unary("IsNan", da.isnan, "is_nan", kinds="f", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
unary("IsInf", da.isinf, "is_inf", kinds="f", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
unary("IsFinite", da.isfinite, "is_finite", kinds="f", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
unary("LogicalNot", da.logical_not, "logical_not", kinds="b", grad=NOT_DIFFERENTIABLE)


# -- binary ops

def binary(type_name, fn, *names, kinds=_NUMERIC, out_dtype=None, grad=None):
    """Declare an elementwise op of two broadcasting inputs of one dtype, lowering to ``fn``."""
    def infer(op):
        x, y = op.inputs
        dt = same_dtype(op, x, y)
        _check_kind(op, x, kinds)
        return [(broadcast_shapes(op, x.shape, y.shape), out_dtype(dt) if callable(out_dtype) else
                 (out_dtype or dt))]

    defop(type_name, infer, lambda op, x, y: fn(x, y), grad=grad)

    def public(x, y, name=None):
        return apply1(type_name, [x, y], name=name or type_name)
    public.__name__ = names[0]
    public.__doc__ = f"Elementwise ``{names[0]}`` of ``x`` and ``y`` with numpy broadcasting (op ``{type_name}``)."
    return _export(public, *names)


def _truediv_dtype(dt):
    return dt if dt.kind in "fc" else (dtypes.float32 if dt.itemsize <= 2 else dtypes.float64)


def _truediv(x, y):
    dt = _truediv_dtype(x.dtype)
    return da.true_divide(x, y).astype(dt, copy=False)


binary("AddV2", da.add, "add")
binary("Sub", da.subtract, "subtract", "sub")
binary("Mul", da.multiply, "multiply", "mul")
binary("RealDiv", _truediv, "truediv", "divide", "realdiv", out_dtype=_truediv_dtype)
binary("FloorDiv", da.floor_divide, "floordiv", "floor_div", kinds="fiu", grad=NOT_DIFFERENTIABLE)
binary("FloorMod", da.mod, "floormod", "mod", kinds="fiu")
binary("Pow", da.power, "pow")
binary("Maximum", da.maximum, "maximum", kinds="fiu")
binary("Minimum", da.minimum, "minimum", kinds="fiu")
binary("SquaredDifference", lambda x, y: da.square(x - y), "squared_difference")
binary("Atan2", da.arctan2, "atan2", kinds="f")
binary("Less", da.less, "less", kinds="fiu", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("LessEqual", da.less_equal, "less_equal", kinds="fiu", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("Greater", da.greater, "greater", kinds="fiu", out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("GreaterEqual", da.greater_equal, "greater_equal", kinds="fiu", out_dtype=dtypes.bool,
       grad=NOT_DIFFERENTIABLE)
binary("Equal", da.equal, "equal", kinds=_ANY, out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("NotEqual", da.not_equal, "not_equal", kinds=_ANY, out_dtype=dtypes.bool, grad=NOT_DIFFERENTIABLE)
binary("LogicalAnd", da.logical_and, "logical_and", kinds="b", grad=NOT_DIFFERENTIABLE)
binary("LogicalOr", da.logical_or, "logical_or", kinds="b", grad=NOT_DIFFERENTIABLE)
binary("LogicalXor", da.logical_xor, "logical_xor", kinds="b", grad=NOT_DIFFERENTIABLE)


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
    def infer(op):
        return [(op.inputs[0].shape, op.attrs["DstT"])]

    def lower(op, x):
        return x.astype(op.attrs["DstT"])


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
    fn.__name__ = tf_name.lower()
    fn.__doc__ = f"TF1's ``{fn.__name__}``: cast to {dtype.name}."
    return fn


to_float = _cast_fn(dtypes.float32, "ToFloat")
to_double = _cast_fn(dtypes.float64, "ToDouble")
to_int32 = _cast_fn(dtypes.int32, "ToInt32")
to_int64 = _cast_fn(dtypes.int64, "ToInt64")
to_bfloat16 = None
del to_bfloat16
__all__ += ["cast", "to_float", "to_double", "to_int32", "to_int64"]


@register("Select")
class Select:
    def infer(op):
        c, x, y = op.inputs
        if c.dtype != dtypes.bool:
            fail(op, f"condition '{c.name}' must be bool, got {c.dtype.name}")
        dt = same_dtype(op, x, y)
        if op.attrs["rows"]:
            return [(broadcast_shapes(op, x.shape, y.shape), dt)]
        return [(broadcast_shapes(op, c.shape, x.shape, y.shape), dt)]

    def lower(op, c, x, y):
        if op.attrs["rows"]:  # TF1: a vector condition selects rows of x and y
            c = c.reshape(c.shape + (1,) * (max(x.ndim, y.ndim) - 1))
        return da.where(c, x, y)


@register("Where")
class Where:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        c = op.inputs[0]
        return [((None, c.shape.ndims), dtypes.int64)]

    def lower(op, c):
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
    rows = (c.shape.ndims == 1 and x.shape.ndims is not None and x.shape.ndims > 1
            and c.shape[0] is not None and c.shape[0] == x.shape[0] and c.shape[0] != x.shape[-1])
    return apply1("Select", [c, x, y], {"rows": rows}, name=name or "Select")


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
        dt = same_dtype(op, *xs)
        shape = xs[0].shape
        for x in xs[1:]:
            if not shape.is_compatible_with(x.shape):
                fail(op, "AddN inputs must all have one shape: " + " vs. ".join(str(t.shape) for t in xs))
            shape = shape.merge_with(x.shape)
        return [(shape, dt)]

    def lower(op, *xs):
        return functools.reduce(da.add, xs)


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one shape and dtype."""
    if not inputs:
        raise ValueError("inputs must be a non-empty list of tensors")
    inputs = [convert_to_tensor(x) for x in inputs]
    if len(inputs) == 1:
        return inputs[0]
    return apply1("AddN", inputs, name=name or "AddN")


__all__ += ["clip_by_value", "add_n"]


# -- contractions

@register("BatchMatMulV2")
class MatMul:
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
        if op.attrs["transpose_a"]:
            a = da.swapaxes(a, -1, -2)
        if op.attrs["transpose_b"]:
            b = da.swapaxes(b, -1, -2)
        return da.matmul(a, b)


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


unary("Conj", da.conj, "conj", kinds=_ANY)
__all__ += ["matmul"]


def _tensordot_axes(op, a, b, axes):
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > min(a.shape.ndims, b.shape.ndims):
            fail(op, f"tensordot axes={n} is out of range for shapes {a.shape} and {b.shape}")
        return tuple(range(a.shape.ndims - n, a.shape.ndims)), tuple(range(n))
    ax_a, ax_b = axes
    ax_a = [ax_a] if np.isscalar(ax_a) else list(ax_a)
    ax_b = [ax_b] if np.isscalar(ax_b) else list(ax_b)
    if len(ax_a) != len(ax_b):
        fail(op, f"tensordot axes {axes} name different numbers of axes of the two inputs")
    return tuple(int(x) % a.shape.ndims for x in ax_a), tuple(int(x) % b.shape.ndims for x in ax_b)


@register("Tensordot")
class Tensordot:
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
        return da.tensordot(a, b, axes=_tensordot_axes(op, *op.inputs, op.attrs["axes"]))


def tensordot(a, b, axes, name=None):
    """Contraction of ``a`` and ``b`` over ``axes`` (an int n: the last n of a with the first n of b; or a pair
    of axis lists), as numpy's ``tensordot``."""
    a = convert_to_tensor(a)
    b = convert_to_tensor(b, dtype_hint=a.dtype)
    if a.shape.ndims is None or b.shape.ndims is None:
        raise ValueError("tensordot needs inputs of known rank")

    return apply1("Tensordot", [a, b], {"axes": axes}, name=name or "Tensordot")


def _parse_einsum(op, equation, shapes):
    eq = equation.replace(" ", "")
    lhs, _, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        fail(op, f"einsum equation '{equation}' names {len(terms)} inputs, got {len(shapes)}")
    sizes, ell = {}, None
    for term, shp in zip(terms, shapes):
        if "..." in term:
            pre, post = term.split("...")
            n_ell = len(shp) - len(pre) - len(post)
            e = shp[len(pre):len(shp) - len(post)] if n_ell >= 0 else None
            if e is None:
                fail(op, f"einsum term '{term}' does not fit shape {shp}")
            ell = e if ell is None else tuple(broadcast_shapes(op, TensorShape(ell), TensorShape(e)))
            letters = list(pre) + [None] * n_ell + list(post)
        else:
            letters = list(term)
            if len(letters) != len(shp):
                fail(op, f"einsum term '{term}' has {len(letters)} labels for an input of shape {shp}")
        for ch, d in zip(letters, shp):
            if ch is None:
                continue
            if ch not in string.ascii_letters:
                fail(op, f"einsum equation '{equation}' has an invalid label '{ch}'")
            if ch not in sizes:
                sizes[ch] = d
                continue
            prev = sizes[ch]
            if prev is not None and d is not None and prev != d and 1 not in (prev, d):
                fail(op, f"einsum label '{ch}' has sizes {prev} and {d} in '{equation}' for shapes {shapes}")
            if prev is None or prev == 1:
                sizes[ch] = d if d is not None else prev
    if not _:
        counts = {}
        for ch in lhs.replace(",", "").replace(".", ""):
            counts[ch] = counts.get(ch, 0) + 1
        rhs = ("..." if ell is not None else "") + "".join(sorted(c for c, n in counts.items() if n == 1))
    out = []
    if "..." in rhs:
        pre, post = rhs.split("...")
        out = [sizes[c] for c in pre] + list(ell or ()) + [sizes[c] for c in post]
    else:
        for c in rhs:
            if c not in sizes:
                fail(op, f"einsum output label '{c}' does not appear in the inputs of '{equation}'")
            out.append(sizes[c])
    return lhs + "->" + rhs, out


@register("Einsum")
class Einsum:
    def infer(op):
        dt = same_dtype(op, *op.inputs)
        eq, out = _parse_einsum(op, op.attrs["equation"], [tuple(t.shape) for t in op.inputs])
        return [(out, dt)]

    def lower(op, *xs):
        eq = op.attrs["equation"]
        if "->" not in eq:
            eq = _parse_einsum(op, eq, [tuple(t.shape) for t in op.inputs])[0]
        return da.einsum(eq, *xs)


def einsum(equation, *inputs, name=None, **kwargs):
    """Einstein summation over ``inputs`` (numpy's ``einsum`` conventions, with ``...``)."""
    ts = [convert_to_tensor(x) for x in inputs]
    return apply1("Einsum", ts, {"equation": equation}, name=name or "Einsum")


__all__ += ["tensordot", "einsum"]


# -- numerics check

@register("CheckNumerics")
class CheckNumerics:
    side_effect = True

    def infer(op):
        x = op.inputs[0]
        _check_kind(op, x, "f")
        return [(x.shape, x.dtype)]

    def lower(op, x):
        return x.map_blocks(kernels.check_numerics, message=op.attrs["message"], opname=op.name, dtype=x.dtype)

    def grad(op, dy):
        return [dy]


def check_numerics(tensor, message, name=None):
    """``tensor``, checked when computed: NaN or Inf raises ``InvalidArgumentError`` with ``message``."""
    return apply1("CheckNumerics", [tensor], {"message": str(message)}, name=name or "CheckNumerics")


__all__ += ["check_numerics"]
