"""Split (equal pieces) and SplitV (pieces of given sizes, known when built or only when run): one op each, whose
outputs are slices of the input along one axis."""
import builtins

import numpy as np

from .. import errors
from ..graph import Tensor, TensorShape
from .array import concat
from .hostvalue import (as_tensor, check_int_input, constant_value, has_tensor, host_lowered, host_vector, int_arg,
                        ints, known_dims, static_ints)
from .registry import apply, convert_to_tensor, fail, normalize_axis, register

__all__ = ["split"]

_slice = builtins.slice  # this package's modules define public names that shadow builtins
_FULL = _slice(None)


def _split_bounds(op, dim, sizes):
    """Start/stop of each piece along a dim of size ``dim`` (None unknown); sizes may hold one -1."""
    if sizes.count(-1) > 1:
        fail(op, f"size_splits {list(sizes)} may contain at most one -1")
    if any(s < -1 for s in sizes):
        fail(op, f"size_splits {list(sizes)} must be non-negative (or -1 once)")
    known = sum(s for s in sizes if s != -1)
    if dim is None:
        return None
    if (-1 in sizes and known > dim) or (-1 not in sizes and known != dim):
        fail(op, f"size_splits {list(sizes)} do not add up to dimension {op.attrs['axis']} of the input "
                 f"(size {dim}): they must sum to it exactly, or to at most it with a -1")
    sizes = [dim - known if s == -1 else s for s in sizes]
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    return list(zip(starts[:-1], starts[1:]))


def _even_sizes(op, dim, n):
    if dim is not None and dim % n:
        fail(op, f"Number of ways to split should evenly divide the split dimension, but got split_dim "
                 f"{op.attrs['axis']} (size = {dim}) and num_split {n}")
    return None if dim is None else [dim // n] * n


class _SplitBase:
    strings = True

    def lower(op, x, *sizes):
        axis = normalize_axis(op, op.attrs["axis"], x.ndim)[0]
        dim = known_dims(x.shape)[axis]
        if dim is None:
            fail(op, "cannot split an array of unknown chunk sizes", errors.UnimplementedError)
        return [x[(_FULL,) * axis + (_slice(a, b),)] for a, b in _piece_bounds(op, dim, lowered=True)]

    def host(op, v, *sizes):
        axis = op.attrs["axis"] % v.ndim
        bounds = _piece_bounds(op, v.shape[axis], sizes and ints(sizes[0]))
        return [v[(_FULL,) * axis + (_slice(a, b),)] for a, b in bounds]

    def grad(op, *dys):
        return [concat(list(dys), op.attrs["axis"])] + [None] * (len(op.inputs) - 1)


def _piece_bounds(op, dim, sizes=None, lowered=False):
    if "num_split" in op.attrs:
        return _split_bounds(op, dim, _even_sizes(op, dim, op.attrs["num_split"]))
    if lowered:
        sizes = host_lowered(op, 1, "size_splits").tolist()
    return _split_bounds(op, dim, list(sizes))


@register("Split")
class Split(_SplitBase):
    def infer(op):
        x = op.inputs[0]
        n = op.attrs["num_split"]
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)] * n
        axis = normalize_axis(op, op.attrs["axis"], x.shape.ndims)[0]
        sizes = _even_sizes(op, x.shape[axis], n)
        return [(list(x.shape[:axis]) + [None if sizes is None else sizes[0]] + list(x.shape[axis + 1:]),
                 x.dtype)] * n


@register("SplitV")
class SplitV(_SplitBase):
    # the sizes are input 1 (TF's SplitV): known when built, or only when run (then the pieces' sizes are too)
    def infer(op):
        x, n = op.inputs[0], op.attrs["num"]
        check_int_input(op, 1, "size_splits", 1)
        sizes = host_vector(op, 1, "size_splits")
        if sizes is not None and len(sizes) != n:
            fail(op, f"size_splits has {len(sizes)} entries for {n} outputs")
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)] * n
        axis = normalize_axis(op, op.attrs["axis"], x.shape.ndims)[0]
        known = sizes is not None and None not in sizes
        bounds = _split_bounds(op, x.shape[axis], list(sizes)) if known else None
        out = []
        for k in range(n):
            s = sizes[k] if sizes is not None else None
            d = bounds[k][1] - bounds[k][0] if bounds else (None if s in (None, -1) else s)
            out.append((list(x.shape[:axis]) + [d] + list(x.shape[axis + 1:]), x.dtype))
        return out


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """``value`` cut along ``axis`` into ``num_or_size_splits`` equal pieces (an int), or pieces of the given
    sizes (a list or an int vector tensor, whose values may be known only at run time; one entry may be -1,
    meaning the rest). Returns a list of tensors, as many as the sizes (give ``num`` where the tensor's length is
    unknown)."""
    x = convert_to_tensor(value)
    axis = static_ints(axis, "axis", "split")
    sizes = as_tensor(num_or_size_splits)
    if not isinstance(sizes, Tensor) and not (isinstance(sizes, (list, tuple)) and has_tensor(sizes)):
        sizes = static_ints(sizes, "num_or_size_splits", "split")
        if isinstance(sizes, int):
            if sizes <= 0:
                raise ValueError(f"num_split must be > 0, got {sizes}")
            return apply("Split", [x], {"num_split": sizes, "axis": axis}, name=name or "split")
        if not sizes:
            raise ValueError("size_splits must not be empty")
    sizes = int_arg(sizes, "size_splits")
    if sizes.shape.ndims == 0:
        n = constant_value(sizes)
        if n is None:
            raise ValueError(f"split: a number of pieces must be known when the graph is built, got '{sizes.name}'")
        return split(x, int(n), axis, num, name)
    length = sizes.shape[0] if sizes.shape.ndims == 1 else None
    if num is None and length is None:
        raise ValueError(f"Cannot infer argument `num` from shape {sizes.shape} of size_splits '{sizes.name}'")
    if num is not None and length is not None and num != length:
        raise ValueError(f"num={num} does not match the {length} sizes in '{sizes.name}'")
    return apply("SplitV", [x, sizes], {"num": int(num if num is not None else length), "axis": axis},
                 name=name or "split")




# -- expand_dims, squeeze, tile, pad, reverse
