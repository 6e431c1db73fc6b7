"""``tf.bitwise``: elementwise and, or, xor, invert and shifts of integer tensors (int8 to uint64), with numpy
broadcasting. Shift amounts are clamped to ``[0, bits - 1]`` as TF does, so a shift by the bit width or more gives
what a shift by ``bits - 1`` gives, and a negative one leaves ``x`` as it is. None of them has a gradient.
"""
from .. import dtypes
from ..backend import xp
from ..graph import TensorShape
from .math import _elementwise
from .registry import NOT_DIFFERENTIABLE, apply1, broadcast_shapes, defop

__all__ = []
NAMESPACES = {"bitwise": ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]}

_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _check_int(op, t, param):
    if dtypes.name(t.dtype) not in _INTS:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {dtypes.name(t.dtype)} not in list of "
                        f"allowed values: {', '.join(_INTS)} [op '{op.name}' (type {op.type})]")


# -- chunk functions (on the chunk's array module)

def _clamped(y, x):
    m = xp(y)
    return m.clip(y, 0, x.dtype.itemsize * 8 - 1).astype(x.dtype, copy=False)


def left_shift_block(x, y):
    return xp(x).left_shift(x, _clamped(y, x))


def right_shift_block(x, y):
    return xp(x).right_shift(x, _clamped(y, x))


# -- the ops

def _binary(type_name, fn, public_name, doc):
    def infer(op):
        x, y = op.inputs
        _check_int(op, x, "x")
        if y.dtype != x.dtype:
            raise TypeError(f"Input 'y' of '{type_name}' Op has type {dtypes.name(y.dtype)} that does not match "
                            f"type {dtypes.name(x.dtype)} of argument 'x'. [op '{op.name}']")
        return [(broadcast_shapes(op, x.shape, y.shape), x.dtype)]

    def lower(op, x, y):
        return _elementwise(op, fn, op.outputs[0].dtype, x, y)

    defop(type_name, infer, lower, grad=NOT_DIFFERENTIABLE, broadcasts=0)

    def public(x, y, name=None):
        return apply1(type_name, [x, y], name=name or type_name)
    public.__name__ = public.__qualname__ = public_name
    public.__doc__ = doc + f" (op type ``{type_name}``)."
    return public


bitwise_and = _binary("BitwiseAnd", "bitwise_and", "bitwise_and", "Elementwise ``x & y`` of integer tensors")
bitwise_or = _binary("BitwiseOr", "bitwise_or", "bitwise_or", "Elementwise ``x | y`` of integer tensors")
bitwise_xor = _binary("BitwiseXor", "bitwise_xor", "bitwise_xor", "Elementwise ``x ^ y`` of integer tensors")
left_shift = _binary("LeftShift", left_shift_block, "left_shift",
                     "Elementwise ``x << y`` of integer tensors, wrapping around on overflow; ``y`` is clamped to "
                     "``[0, bits - 1]``")
right_shift = _binary("RightShift", right_shift_block, "right_shift",
                      "Elementwise ``x >> y`` of integer tensors (arithmetic for signed ones: the sign bit is kept); "
                      "``y`` is clamped to ``[0, bits - 1]``")


def _invert_infer(op):
    _check_int(op, op.inputs[0], "x")
    return [(TensorShape(op.inputs[0].shape), op.inputs[0].dtype)]


defop("Invert", _invert_infer, lambda op, x: _elementwise(op, "invert", op.outputs[0].dtype, x),
      grad=NOT_DIFFERENTIABLE)


def invert(x, name=None):
    """Elementwise ``~x`` of an integer tensor: every bit flipped (op type ``Invert``)."""
    return apply1("Invert", [x], name=name or "Invert")
