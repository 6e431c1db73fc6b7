"""Layout ops: reshape, transpose, concat, stack/unstack, split, expand_dims, squeeze, tile, pad, reverse and
broadcast_to, with their gradients.

Shape-valued arguments (reshape's ``shape``, tile's ``multiples``, paddings...) are small int tensors evaluated on
the host (see ``hostvalue``); axis-like arguments (axis, perm) are static attributes.
"""
import builtins
import math

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors, planner
from ..graph import Tensor, TensorShape
from ..lowering import current
from .generate import copy_block, dim_size, filled, shape
from .hostvalue import (HOST_MAX_ELEMS, as_tensor, check_dims, check_int_input, host_lowered, host_partial,
                        host_vector, int_arg, ints, known_dims, known_rank, shape_str, static_ints, static_shape_of)
from .registry import (apply, apply1, convert_to_tensor, fail, normalize_axis, register, same_dtype, same_shape,
                       string_element)

__all__ = ["reshape", "transpose", "concat", "stack", "pack", "unstack", "unpack", "expand_dims", "squeeze",
           "tile", "pad", "reverse", "reverse_v2", "broadcast_to"]

# public names of other modules may be re-exported below: internally always use these
_range = builtins.range
_slice = builtins.slice
_FULL = _slice(None)


def _sum(x, axis=None):
    from .reduce import reduce_sum  # reduce.py may import this module
    return reduce_sum(x, axis=axis)


# -- reshape, transpose

def _reshape_target(op, in_shape, target):
    """The output shape of reshaping ``in_shape`` (dims or None) to ``target`` (ints, -1 once, None unknown)."""
    neg = [i for i, d in enumerate(target) if d == -1]
    if len(neg) > 1:
        fail(op, f"Only one input size may be -1, not both {neg[0]} and {neg[1]} (requested shape "
                 f"{shape_str(target)})")
    for i, d in enumerate(target):
        if d is not None and d < -1:
            fail(op, f"Size {i} must be non-negative, not {d} (requested shape {shape_str(target)})")
    n_in = None if in_shape is None or any(d is None for d in in_shape) else math.prod(in_shape)
    known = math.prod(d for d in target if d is not None and d != -1)
    some_unknown = any(d is None for d in target)
    src = shape_str(in_shape) if in_shape is not None else "<unknown>"
    if neg:
        if n_in is None or some_unknown:
            return tuple(None if d == -1 else d for d in target)
        if known == 0 or n_in % known:
            why = "a -1 cannot be inferred when other sizes are 0" if known == 0 else \
                f"{n_in} is not a multiple of {known}"
            fail(op, f"Cannot reshape a tensor of shape {src} ({n_in} values) into shape {shape_str(target)}: "
                     f"{why}")
        return tuple(n_in // known if d == -1 else d for d in target)
    if n_in is not None and not some_unknown and known != n_in:
        fail(op, f"Cannot reshape a tensor of shape {src} ({n_in} values) into shape {shape_str(target)} "
                 f"({known} values)")
    return tuple(target)


@register("Reshape")
class Reshape:
    strings = True

    def infer(op):
        x = op.inputs[0]
        target = host_vector(op, 1, "shape")
        if target is None:
            return [(TensorShape(None), x.dtype)]
        return [(_reshape_target(op, static_shape_of(x), target), x.dtype)]

    def lower(op, x, _):
        target = host_lowered(op, 1, "shape").tolist()
        if None in known_dims(x.shape):
            if x.ndim == 1 and target == [-1]:
                return x
            fail(op, f"cannot reshape an array of unknown chunk sizes {x.chunks} to {shape_str(target)}",
                 errors.UnimplementedError)
        target = _reshape_target(op, known_dims(x.shape), target)
        return x if tuple(x.shape) == target else _dask_reshape(x, target)

    def host(op, v, target):
        return v.reshape(_reshape_target(op, v.shape, ints(target)))

    def grad(op, dy):
        return [reshape(dy, shape(op.inputs[0])), None]


def _dask_reshape(x, target):
    if 0 in x.shape or 0 in target:
        return x.rechunk(-1).reshape(target)  # nothing to move: one empty block
    try:
        return x.reshape(target)
    except NotImplementedError:  # dims split unevenly, e.g. (4, 6) -> (2, 4, 3): go through one flat dim
        return x.reshape(-1).reshape(target)


def reshape(tensor, shape, name=None):
    """``tensor`` with its elements in row-major order laid out in ``shape``; one entry may be -1 (inferred).

    ``shape`` may be a list or an int tensor known from constants and shapes, e.g. ``[shape(x)[0], -1]``.

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> df.reshape(np.arange(6.0), [-1, 3]).compute()
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    x = convert_to_tensor(tensor)
    return apply1("Reshape", [x, int_arg(shape, "shape")], name=name or "Reshape")


@register("Transpose")
class Transpose:
    strings = True

    def infer(op):
        x, perm = op.inputs[0], op.attrs["perm"]
        if x.shape.ndims is None:
            return [(TensorShape(None) if perm is None else [None] * len(perm), x.dtype)]
        perm = _check_perm(op, perm, x.shape.ndims)
        return [([x.shape[p] for p in perm], x.dtype)]

    def lower(op, x):
        perm = _check_perm(op, op.attrs["perm"], x.ndim)
        if op.attrs["conjugate"] and x.dtype.kind == "c":
            x = da.conj(x)
        return da.transpose(x, perm)

    def host(op, v):
        return np.transpose(v, _check_perm(op, op.attrs["perm"], v.ndim))

    def grad(op, dy):
        perm = op.attrs["perm"]
        inverse = None if perm is None else tuple(np.argsort(perm).tolist())
        return [transpose(dy, inverse, conjugate=op.attrs["conjugate"])]


def _check_perm(op, perm, ndim):
    if perm is None:
        return tuple(reversed(_range(ndim)))
    if len(perm) != ndim:
        fail(op, f"transpose expects a vector of size {ndim}. But input(1) is a vector of size {len(perm)}")
    for p in perm:
        if not 0 <= p < ndim:
            fail(op, f"{p} is out of range [0 .. {ndim})")
    if sorted(perm) != list(_range(ndim)):
        fail(op, f"{list(perm)} is not a valid permutation of {ndim} dims")
    return tuple(perm)


def transpose(a, perm=None, name="transpose", conjugate=False):
    """``a`` with its dims permuted: output dim i is input dim ``perm[i]`` (default: dims reversed)."""
    x = convert_to_tensor(a)
    perm = static_ints(perm, "perm", "transpose", allow_none=True)
    if isinstance(perm, int):
        perm = [perm]
    attrs = {"perm": None if perm is None else tuple(perm), "conjugate": bool(conjugate)}
    return apply1("Transpose", [x], attrs, name=name or "transpose")


# -- concat, stack, unstack, split

def _convert_all(values, what):
    values = list(values) if isinstance(values, (list, tuple)) else values
    if isinstance(values, Tensor) or not isinstance(values, list):
        raise TypeError(f"{what} expects a list of tensors, got {type(values).__name__}")
    if not values:
        raise ValueError(f"{what} expects a non-empty list of tensors")
    hint = next((as_tensor(v).dtype for v in values if isinstance(as_tensor(v), Tensor)), None)
    return [convert_to_tensor(v, dtype_hint=hint) for v in values]


@register("ConcatV2")
class ConcatV2:
    strings = True

    def infer(op):
        xs = op.inputs
        dt = same_dtype(op, *xs)
        known = [(i, x) for i, x in enumerate(xs) if x.shape.ndims is not None]
        if not known:
            return [(TensorShape(None), dt)]
        i0, x0 = known[0]
        rank = x0.shape.ndims
        if rank == 0:
            fail(op, "Can't concatenate scalars (use stack instead)")
        for i, x in known[1:]:
            if x.shape.ndims != rank:
                fail(op, f"Ranks of all input tensors should match: shape[{i0}] = {x0.shape} vs. shape[{i}] = "
                         f"{x.shape}")
        axis = normalize_axis(op, op.attrs["axis"], rank)[0]
        out = []
        for d in _range(rank):
            dims = [x.shape[d] for _, x in known]
            if d == axis:
                out.append(None if len(known) < len(xs) or None in dims else sum(dims))
                continue
            got = {v for v in dims if v is not None}
            if len(got) > 1:
                i, ref = next((i, x.shape[d]) for i, x in known if x.shape[d] is not None)
                j = next(j for j, x in known if x.shape[d] is not None and x.shape[d] != ref)
                fail(op, f"Dimensions of inputs should match: shape[{i}] = {xs[i].shape} vs. shape[{j}] = "
                         f"{xs[j].shape} (they differ in dim {d}; only dim {axis} may differ)")
            out.append(got.pop() if got else None)
        return [(out, dt)]

    def lower(op, *xs):
        axis = normalize_axis(op, op.attrs["axis"], xs[0].ndim)[0]
        return xs[0] if len(xs) == 1 else da.concatenate(xs, axis=axis)

    def host(op, *vals):
        return np.concatenate(vals, axis=op.attrs["axis"])

    def grad(op, dy):  # each input's slice of dy; its size along axis may be known only at run time
        axis = op.attrs["axis"]
        at = (lambda s: (_FULL,) * axis + (s,)) if axis >= 0 else (lambda s: (Ellipsis, s) + (_FULL,) * (-axis - 1))
        out, start = [], 0
        for x in op.inputs:
            stop = start + dim_size(x, axis)
            out.append(dy[at(_slice(start, stop))])
            start = stop
        return out


def concat(values, axis, name="concat"):
    """``values`` joined along the existing dim ``axis``; the other dims must match.

    Examples
    --------
    >>> import daskflow as df
    >>> df.concat([[[1, 2]], [[3, 4]]], 0).compute()
    array([[1, 2],
           [3, 4]], dtype=int32)
    """
    xs = _convert_all(values, "concat")
    return apply1("ConcatV2", xs, {"axis": static_ints(axis, "axis", "concat")}, name=name or "concat")


@register("Pack")
class Pack:
    strings = True

    def infer(op):
        xs = op.inputs
        dt = same_dtype(op, *xs)
        shape = same_shape(op, *xs)
        if shape.ndims is None:
            return [(TensorShape(None), dt)]
        axis = _pack_axis(op, shape.ndims)
        return [(list(shape[:axis]) + [len(xs)] + list(shape[axis:]), dt)]

    def lower(op, *xs):
        return da.stack(xs, axis=_pack_axis(op, xs[0].ndim))

    def host(op, *vals):
        dt = object if any(v.dtype == object for v in vals) else None
        return np.stack([np.asarray(v, dtype=dt) for v in vals], axis=_pack_axis(op, vals[0].ndim))

    def grad(op, dy):
        return unstack(dy, num=len(op.inputs), axis=op.attrs["axis"])


def _pack_axis(op, ndim):
    axis = op.attrs["axis"]
    if not -(ndim + 1) <= axis <= ndim:
        fail(op, f"axis = {axis} not in [{-(ndim + 1)}, {ndim + 1})")
    return axis % (ndim + 1)


def stack(values, axis=0, name="stack"):
    """``values`` (tensors of one shape) stacked along a new dim at ``axis`` (TF1 alias ``pack``)."""
    xs = _convert_all(values, "stack")
    return apply1("Pack", xs, {"axis": static_ints(axis, "axis", "stack")}, name=name or "stack")


pack = stack


@register("Unpack")
class Unpack:
    strings = True

    def infer(op):
        x, num = op.inputs[0], op.attrs["num"]
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)] * num
        axis = normalize_axis(op, op.attrs["axis"], x.shape.ndims)[0]
        if x.shape[axis] is not None and x.shape[axis] != num:
            fail(op, f"Input shape axis {axis} must equal {num}, got shape {x.shape}")
        out = list(x.shape[:axis]) + list(x.shape[axis + 1:])
        return [(out, x.dtype)] * num

    def lower(op, x):
        axis = normalize_axis(op, op.attrs["axis"], x.ndim)[0]
        if x.shape[axis] != op.attrs["num"]:
            fail(op, f"Input shape axis {axis} must equal {op.attrs['num']}, got shape {x.shape}")
        return [string_element(x[(_FULL,) * axis + (i,)]) for i in _range(op.attrs["num"])]

    def host(op, v):
        return [np.take(v, i, axis=op.attrs["axis"] % v.ndim) for i in _range(op.attrs["num"])]

    def grad(op, *dys):
        return [stack(list(dys), axis=op.attrs["axis"])]


def unstack(value, num=None, axis=0, name="unstack"):
    """The list of slices of ``value`` along ``axis``, that dim removed (TF1 alias ``unpack``)."""
    x = convert_to_tensor(value)
    axis = static_ints(axis, "axis", "unstack")
    if num is None:
        if x.shape.ndims is None or not -x.shape.ndims <= axis < x.shape.ndims or x.shape[axis] is None:
            raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
        num = x.shape[axis]
    return apply("Unpack", [x], {"num": int(num), "axis": axis}, name=name or "unstack")


unpack = unstack


@register("ExpandDims")
class ExpandDims:
    strings = True

    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)]
        axis = _expand_axis(op, x.shape.ndims)
        dims = list(x.shape)
        return [(dims[:axis] + [1] + dims[axis:], x.dtype)]

    def lower(op, x):
        axis = _expand_axis(op, x.ndim)
        return x[(slice(None),) * axis + (None,)]  # indexing, unlike da.expand_dims, takes unknown chunk sizes

    def host(op, v):
        return np.expand_dims(v, _expand_axis(op, v.ndim))

    def grad(op, dy):
        return [reshape(dy, shape(op.inputs[0]))]


def _expand_axis(op, ndim):
    axis = op.attrs["axis"]
    if not -(ndim + 1) <= axis <= ndim:
        fail(op, f"Tried to expand dim index {axis} for tensor with {ndim} dimensions.")
    return axis % (ndim + 1)


def expand_dims(input, axis=None, name=None, dim=None):
    """``input`` with a new dim of size 1 inserted at ``axis`` (``-1``: last; TF1's ``dim`` too)."""
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("expand_dims needs axis")
    x = convert_to_tensor(input)
    return apply1("ExpandDims", [x], {"axis": static_ints(axis, "axis", "expand_dims")},
                  name=name or "ExpandDims")


def _squeeze_axes(op, shape):
    """The dims squeezed away; ``shape`` dims may be None at build time (assumed 1 when named)."""
    axis = op.attrs["axis"]
    if axis is None:
        return tuple(i for i, d in enumerate(shape) if d == 1)
    axes = normalize_axis(op, list(axis), len(shape)) if axis else ()
    for a in axes:
        if shape[a] is not None and shape[a] != 1:
            fail(op, f"Can not squeeze dim[{a}], expected a dimension of 1, got {shape[a]} (shape "
                     f"{shape_str(shape)})")
    return axes


@register("Squeeze")
class Squeeze:
    strings = True

    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims is None or (op.attrs["axis"] is None and None in x.shape):
            return [(TensorShape(None), x.dtype)]
        axes = _squeeze_axes(op, tuple(x.shape))
        return [([d for i, d in enumerate(x.shape) if i not in axes], x.dtype)]

    def lower(op, x):
        axes = _squeeze_axes(op, known_dims(x.shape))
        return da.squeeze(x, axis=axes) if axes else x

    def host(op, v):
        return np.squeeze(v, axis=_squeeze_axes(op, v.shape))

    def grad(op, dy):
        return [reshape(dy, shape(op.inputs[0]))]


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    """``input`` without its dims of size 1 (only those in ``axis`` when given; TF1's ``squeeze_dims`` too)."""
    if axis is None:
        axis = squeeze_dims
    x = convert_to_tensor(input)
    axis = static_ints(axis, "axis", "squeeze", allow_none=True)
    if isinstance(axis, int):
        axis = [axis]
    return apply1("Squeeze", [x], {"axis": None if axis is None or not axis else tuple(axis)},
                  name=name or "Squeeze")


def _tile_dims(op, shape, multiples):
    if shape is not None and len(multiples) != len(shape):
        fail(op, f"Expected multiples argument to be a vector of length {len(shape)} but got length "
                 f"{len(multiples)} (input shape {shape_str(shape)})")
    for i, m in enumerate(multiples):
        if m is not None and m < 0:
            fail(op, f"Expected multiples[{i}] >= 0, but got {m}")
    if shape is None:
        return [0 if m == 0 else None for m in multiples]
    return [0 if m == 0 or d == 0 else None if m is None or d is None else d * m for d, m in zip(shape, multiples)]


@register("Tile")
class Tile:
    strings = True

    def infer(op):
        x = op.inputs[0]
        multiples = host_vector(op, 1, "multiples")
        if multiples is None:
            return [(TensorShape(None) if x.shape.ndims is None else [None] * x.shape.ndims, x.dtype)]
        return [(_tile_dims(op, static_shape_of(x), multiples), x.dtype)]

    def lower(op, x, _):
        multiples = host_lowered(op, 1, "multiples").tolist()
        _tile_dims(op, known_dims(x.shape), multiples)
        return da.tile(x, multiples) if x.ndim else x

    def host(op, v, multiples):
        multiples = ints(multiples)
        return None if math.prod(_tile_dims(op, v.shape, multiples)) > HOST_MAX_ELEMS else np.tile(v, multiples)

    def grad(op, dy):  # why: dy holds multiples[i] copies of x along dim i; as [m0, d0, m1, d1, ...], sum the m's
        x, multiples = op.inputs
        n = known_rank(op, x, "the gradient of tile")
        if n == 0:
            return [dy, None]
        pairs = reshape(stack([multiples, shape(x, out_type=multiples.dtype)], axis=1), [-1])
        return [_sum(reshape(dy, pairs), list(_range(0, 2 * n, 2))), None]


def tile(input, multiples, name=None):
    """``input`` repeated ``multiples[i]`` times along each dim i."""
    x = convert_to_tensor(input)
    return apply1("Tile", [x, int_arg(multiples, "multiples")], name=name or "Tile")


def _pad_dims(op, shape, paddings, mode=None):
    """Output dims of padding ``shape`` with ``paddings`` (rows of [before, after]; entries may be None)."""
    if shape is not None and len(paddings) != len(shape):
        fail(op, f"paddings must be a matrix of shape [{len(shape)}, 2] for an input of shape "
                 f"{shape_str(shape)}, got {len(paddings)} rows")
    out = []
    for i, row in enumerate(paddings):
        b, a = row
        d = shape[i] if shape is not None else None
        if (b is not None and b < 0) or (a is not None and a < 0):
            fail(op, f"paddings must be non-negative, got [{b}, {a}] for dim {i}")
        if mode is not None and d is not None:
            limit = d - 1 if mode == "REFLECT" else d
            for p in (b, a):
                if p is not None and p > limit:
                    fail(op, f"paddings must be {'less than' if mode == 'REFLECT' else 'no greater than'} the "
                             f"dimension size for mode {mode}: {b}, {a} vs. size {d} of dim {i}")
        out.append(None if None in (b, a, d) else d + b + a)
    return out


def _host_paddings(op):
    t = op.inputs[1]
    check_int_input(op, 1, "paddings", 2)
    if t.shape.ndims == 2 and t.shape[1] is not None and t.shape[1] != 2:
        fail(op, f"paddings must have 2 columns, got shape {t.shape}")
    v = host_partial(op, 1, "paddings")
    if v is None:
        return None
    return [[None if e is None else int(e) for e in row] for row in v.tolist()]


class _PadBase:
    strings = True

    def infer(op):
        x = op.inputs[0]
        paddings = _host_paddings(op)
        if paddings is None:
            return [(TensorShape(None) if x.shape.ndims is None else [None] * x.shape.ndims, x.dtype)]
        return [(_pad_dims(op, static_shape_of(x), paddings, op.attrs.get("mode")), x.dtype)]


@register("PadV2")
class PadV2(_PadBase):
    def infer(op):
        value = op.inputs[2]
        same_dtype(op, op.inputs[0], value)
        if value.shape.ndims is not None and value.shape.ndims != 0:
            fail(op, f"constant_values must be a scalar, got '{value.name}' of shape {value.shape}")
        return _PadBase.infer(op)

    def lower(op, x, _, value):
        paddings = host_lowered(op, 1, "paddings").tolist()
        _pad_dims(op, known_dims(x.shape), paddings)
        return padded(x, paddings, value)

    def grad(op, dy):  # the padding's elements are all constant_values
        from .indexing import slice  # indexing.py imports this module
        x, paddings, _ = op.inputs
        dx = slice(dy, paddings[:, 0], shape(x, out_type=paddings.dtype))
        return [dx, None, _sum(dy) - _sum(dx)]


def padded(x, paddings, value):
    """Dask array ``x`` padded by ``paddings`` (``[before, after]`` per axis) with the 0-d dask array ``value``: x's
    blocks kept as they are, the padding made in blocks of its own that follow x's chunks along the other axes."""
    for ax, (before, after) in enumerate(paddings):
        parts = [_pad_block(x, ax, before, value), x, _pad_block(x, ax, after, value)]
        parts = [p for p in parts if p is not None]
        if len(parts) > 1:
            x = da.concatenate(parts, axis=ax)
    return x


def _pad_block(x, ax, width, value):
    if not width:
        return None
    shape = x.shape[:ax] + (width,) + x.shape[ax + 1:]
    biggest = math.prod(max(c, default=1) for i, c in enumerate(x.chunks) if i != ax)
    per = planner.units_within(x.dtype.itemsize, biggest)
    chunks = x.chunks[:ax] + (da.core.normalize_chunks((per,), (width,))[0],) + x.chunks[ax + 1:]
    return filled(value, shape, chunks, x.dtype)


@register("MirrorPad")
class MirrorPad(_PadBase):
    def lower(op, x, _):
        paddings = host_lowered(op, 1, "paddings").tolist()
        _pad_dims(op, known_dims(x.shape), paddings, op.attrs["mode"])
        if not any(b or a for b, a in paddings):
            return x
        return da.pad(x, [tuple(p) for p in paddings], mode=op.attrs["mode"].lower())

    def grad(op, dy):
        return [apply1("MirrorPadGrad", [dy, op.inputs[1]], {"mode": op.attrs["mode"]}), None]


@register("MirrorPadGrad")
class MirrorPadGrad:
    """MirrorPad's adjoint: the borders of ``dy`` added back onto the elements they mirror."""

    def infer(op):
        dy = op.inputs[0]
        paddings = _host_paddings(op)
        if paddings is None or dy.shape.ndims is None:
            return [(TensorShape(None) if dy.shape.ndims is None else [None] * dy.shape.ndims, dy.dtype)]
        if len(paddings) != dy.shape.ndims:
            fail(op, f"paddings must be a matrix of shape [{dy.shape.ndims}, 2], got {len(paddings)} rows")
        return [([None if None in (d, b, a) else d - b - a for d, (b, a) in zip(dy.shape, paddings)], dy.dtype)]

    def lower(op, dy, _):
        for ax, (before, after) in enumerate(host_lowered(op, 1, "paddings").tolist()):
            dy = _fold_mirror(dy, ax, before, after, op.attrs["mode"])
        return dy

    def grad(op, ddx):
        return [apply1("MirrorPad", [ddx, op.inputs[1]], {"mode": op.attrs["mode"]}), None]


def _fold_mirror(y, ax, before, after, mode):
    """``y`` without its borders along ``ax``, each border reversed and added onto the elements it copies."""
    d = y.shape[ax] - before - after
    edge = 1 if mode == "REFLECT" else 0  # REFLECT mirrors around the edge element, SYMMETRIC repeats it

    def border(start, stop, at):  # y[start:stop] reversed, placed at ``at`` in zeros of length d
        pads = [(0, 0)] * y.ndim
        pads[ax] = (at, d - at - (stop - start))
        return da.pad(da.flip(y[(_FULL,) * ax + (_slice(start, stop),)], ax), pads, mode="constant")
    out = y[(_FULL,) * ax + (_slice(before, before + d),)]
    if before:  # y[before - 1 - j] copies x[edge + j]
        out = out + border(0, before, edge)
    if after:  # y[before + d + j] copies x[d - 1 - edge - j]
        out = out + border(before + d, before + d + after, d - edge - after)
    return out


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """``tensor`` padded by ``paddings[i] = [before, after]`` elements along each dim i. ``mode`` is
    "CONSTANT" (with ``constant_values``), "REFLECT" (mirror without the edge) or "SYMMETRIC" (with it)."""
    x = convert_to_tensor(tensor)
    p = int_arg(paddings, "paddings")
    mode = str(mode).upper()
    if mode == "CONSTANT":
        if dtypes.is_string(x.dtype) and isinstance(constant_values, int) and constant_values == 0:
            constant_values = b""  # the default: TF's zero of strings
        value = convert_to_tensor(constant_values, dtype_hint=x.dtype)
        return apply1("PadV2", [x, p, value], name=name or "Pad")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Unknown padding mode: {mode}")
    return apply1("MirrorPad", [x, p], {"mode": mode}, name=name or "MirrorPad")


@register("ReverseV2")
class ReverseV2:
    strings = True

    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims is not None:
            normalize_axis(op, list(op.attrs["axis"]), x.shape.ndims)
        return [(x.shape, x.dtype)]

    def lower(op, x):
        axes = normalize_axis(op, list(op.attrs["axis"]), x.ndim) if op.attrs["axis"] else ()
        return x[tuple(_slice(None, None, -1) if i in axes else _FULL for i in _range(x.ndim))] if axes else x

    def host(op, v):
        return np.flip(v, axis=tuple(a % v.ndim for a in op.attrs["axis"])) if op.attrs["axis"] else v

    def grad(op, dy):
        return [reverse(dy, list(op.attrs["axis"]))]


def reverse(tensor, axis, name=None):
    """``tensor`` with the order of elements reversed along each dim in ``axis`` (TF1 alias ``reverse_v2``)."""
    x = convert_to_tensor(tensor)
    axis = static_ints(axis, "axis", "reverse")
    axis = [axis] if isinstance(axis, int) else axis
    return apply1("ReverseV2", [x], {"axis": tuple(axis)}, name=name or "ReverseV2")


reverse_v2 = reverse


# -- broadcast_to

def _broadcast_dims(op, shape, target):
    if shape is None:
        return list(target)
    if len(shape) > len(target):
        fail(op, f"Rank of input ({len(shape)}) must be no greater than rank of output shape ({len(target)}): "
                 f"{shape_str(shape)} vs. {shape_str(target)}")
    lead = len(target) - len(shape)
    out = list(target[:lead])
    for d, t in zip(shape, target[lead:]):
        if d is not None and t is not None and d != t and d != 1:
            fail(op, f"Incompatible shapes: {shape_str(shape)} vs. {shape_str(target)}")
        out.append(t if t is not None else (d if d is not None and d != 1 else None))
    return out


def like_chunks(op, i, target, dtype):
    """The chunks of tensor ``t`` when ``op``'s input ``i`` (a shape) is ``shape(t)`` and ``t`` is already lowered,
    with blocks of ``dtype`` within the budget; else None. A gradient made to ``t``'s shape takes ``t``'s blocks,
    so that its consumers line up with ``t``'s (and stream with them)."""
    src = op.inputs[i].op
    if src.type != "Shape":
        return None
    t = src.inputs[0]
    arr = current().values.get(t)
    if arr is None or tuple(arr.shape) != tuple(target):
        return None
    if math.prod(max(c, default=1) for c in arr.chunks) * np.dtype(dtype).itemsize > planner.chunk_bytes():
        return None
    return arr.chunks


@register("BroadcastTo")
class BroadcastTo:
    strings = True

    def infer(op):
        x = op.inputs[0]
        target = host_vector(op, 1, "shape")
        if target is None:
            return [(TensorShape(None), x.dtype)]
        check_dims(op, target, "shape")
        return [(_broadcast_dims(op, static_shape_of(x), target), x.dtype)]

    def lower(op, x, _):
        target = check_dims(op, host_lowered(op, 1, "shape").tolist(), "shape")
        _broadcast_dims(op, known_dims(x.shape), target)
        if tuple(target) == x.shape:
            return x
        lead = len(target) - x.ndim
        spread = [i for i, t in enumerate(target) if i < lead or x.shape[i - lead] != t]
        like = like_chunks(op, 1, target, x.dtype)
        if like is not None:  # the shape of a lowered tensor (gradients): its blocks, so consumers line up
            x = x.rechunk({i - lead: like[i] for i in _range(lead, len(target)) if i not in spread})
            chunks = like
        else:
            kept = [max(x.chunks[i - lead], default=1) for i in _range(len(target)) if i not in spread]
            budget = planner.units_within(x.dtype.itemsize, math.prod(kept))
            spread_chunks = iter(planner.split_chunks([target[i] for i in spread], budget))
            chunks = tuple(next(spread_chunks) if i in spread else x.chunks[i - lead] for i in _range(len(target)))
        b = da.broadcast_to(x, tuple(target), chunks=chunks)
        return b.map_blocks(copy_block, dtype=x.dtype, meta=backend.meta(x, x.dtype, ndim=len(target)))

    def host(op, v, target):
        target = ints(target)
        return None if math.prod(target) > HOST_MAX_ELEMS else np.broadcast_to(v, target).copy()

    def grad(op, dy):  # dy summed down to x's shape: the run's, where only the run knows it
        x = op.inputs[0]
        if x.shape.is_fully_defined():
            return [dy, None]  # autodiff sums it down to the static shape
        from .reduce import sum_to_shape
        return [sum_to_shape(dy, shape(x)), None]


def broadcast_to(input, shape, name=None):
    """``input`` broadcast (numpy's rules) to ``shape``."""
    x = convert_to_tensor(input)
    return apply1("BroadcastTo", [x, int_arg(shape, "shape")], name=name or "BroadcastTo")
