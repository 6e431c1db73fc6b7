"""Array manipulation composed of existing ops: sequence_mask, meshgrid, roll, reverse_sequence, repeat,
unravel_index, invert_permutation; the list helpers parallel_stack, shape_n and ``tuple``; static shape
helpers. Gradients come from the ops they are made of.

This module also gathers the names of ``scatter`` (gather_nd, scatter_nd, tensor_scatter_*, variable scatters) and
``setops`` (boolean_mask, unique, setdiff1d, searchsorted, dynamic_partition/stitch, histograms)."""
import builtins

import numpy as np

from .. import dtypes
from ..graph import Tensor, TensorShape, control_dependencies, name_scope
from . import scatter as _scatter, setops as _setops
from .array import broadcast_to, concat, expand_dims, reshape, stack, tile, transpose
from .generate import dim_size
from .generate import range as arange
from .generate import shape as shape_of
from .hostvalue import as_tensor, constant_value, static_ints
from .indexing import gather
from .registry import convert_to_tensor
from .scatter import *  # noqa: F401,F403
from .setops import *  # noqa: F401,F403

__all__ = ["sequence_mask", "meshgrid", "roll", "reverse_sequence", "repeat", "unravel_index", "invert_permutation",
           "parallel_stack", "shape_n", "newaxis", "dimension_value", "dimension_at_index", "tuple"]
__all__ += list(_scatter.__all__) + list(_setops.__all__)
NAMESPACES = {"math": ["invert_permutation"]}

# this module defines public `tuple` (TF's name): the builtin is never used here
_range = builtins.range

newaxis = None


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """A mask of shape ``lengths.shape + [maxlen]`` whose row ``i`` has ``lengths[i]`` leading True entries;
    ``maxlen`` defaults to ``max(lengths)``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.sequence_mask([1, 3, 2], 5).compute()
    array([[ True, False, False, False, False],
           [ True,  True,  True, False, False],
           [ True,  True, False, False, False]])
    """
    from .math import cast, less, maximum
    from .reduce import reduce_max
    with name_scope(name or "SequenceMask"):
        n = convert_to_tensor(lengths)
        if maxlen is None:
            maxlen = maximum(reduce_max(n), 0) if n.shape.num_elements() != 0 else 0
        m = convert_to_tensor(maxlen, dtype_hint=n.dtype)
        if m.shape.ndims not in (None, 0):
            raise ValueError(f"maxlen must be scalar for sequence_mask, got '{m.name}' of shape {m.shape}")
        steps = arange(cast(m, n.dtype) if m.dtype != n.dtype else m, dtype=n.dtype)
        mask = less(steps, expand_dims(n, -1))
        return mask if dtypes.as_dtype(dtype) == dtypes.bool else cast(mask, dtype)


def meshgrid(*args, **kwargs):
    """Coordinate arrays from the vectors ``args``: each output has shape ``[len(a) for a in args]`` (first two
    swapped for ``indexing="xy"``, the default) and varies along its own vector's dim."""
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing parameter must be either 'xy' or 'ij'")
    with name_scope(name):
        xs = [reshape(convert_to_tensor(a), [-1]) for a in args]
        n = len(xs)
        dims = [dim_size(x, 0) for x in xs]
        where = list(_range(n))
        if indexing == "xy" and n > 1:
            where[0], where[1] = 1, 0
            dims[0], dims[1] = dims[1], dims[0]
        outs = []
        for x, at in zip(xs, where):
            line = reshape(x, [1] * at + [-1] + [1] * (n - at - 1))
            outs.append(broadcast_to(line, dims))
        return outs


def _rolled(x, shift, axis):
    n = dim_size(x, axis)
    known = constant_value(shift) if isinstance(shift, Tensor) else shift
    if known is not None and isinstance(n, int):
        s = int(known) % n if n else 0
        if not s:
            return x
        cut = n - s
    elif isinstance(n, int):
        from .math import floormod
        cut = n - floormod(shift, n) if n else 0
    else:  # the size is known only at run time (an empty axis: no shift)
        from .math import cast, floormod, maximum
        shift = convert_to_tensor(shift)
        nn = cast(n, shift.dtype)
        cut = nn - floormod(shift, maximum(nn, 1))
    head = (builtins.slice(None),) * axis
    return concat([x[head + (builtins.slice(cut, None),)], x[head + (builtins.slice(None, cut),)]], axis)


def roll(input, shift, axis, name=None):
    """``input`` with its elements shifted ``shift`` places along ``axis`` (both scalars or vectors of one length),
    those pushed off one end coming back at the other; shifts of one axis add up.

    Examples
    --------
    >>> import daskflow as df
    >>> df.roll([0, 1, 2, 3, 4], 2, 0).compute()
    array([3, 4, 0, 1, 2], dtype=int32)
    """
    x = convert_to_tensor(input)
    axes = static_ints(axis, "axis", "roll")
    axes = [axes] if isinstance(axes, int) else axes
    sh = as_tensor(shift)
    if isinstance(sh, Tensor):
        shifts = [sh] if sh.shape.ndims == 0 else [sh[i] for i in _range(len(axes))]
    else:
        shifts = [shift] if isinstance(shift, int) else [int(s) for s in shift]
    if len(shifts) != len(axes):
        raise ValueError(f"shift and axis must have the same size, got {len(shifts)} and {len(axes)}")
    rank = x.shape.ndims
    if rank is None:
        raise ValueError(f"roll needs an input of known rank, got '{x.name}'")
    with name_scope(name or "Roll"):
        for s, a in zip(shifts, axes):
            if not -rank <= a < rank:
                raise ValueError(f"axis {a} is out of range for a tensor of rank {rank}")
            x = _rolled(x, s, a % rank)
        return x


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None, seq_dim=None, batch_dim=None):
    """In each slice ``b`` along ``batch_axis``, the first ``seq_lengths[b]`` elements along ``seq_axis``
    reversed and the rest kept as they are.

    Examples
    --------
    >>> import daskflow as df
    >>> df.reverse_sequence([[1, 2, 3], [4, 5, 6]], [2, 3], seq_axis=1, batch_axis=0).compute()
    array([[2, 1, 3],
           [6, 5, 4]], dtype=int32)
    """
    from .math import Assert, cast, less, less_equal, subtract, where_v2
    from .reduce import reduce_all
    seq_axis = seq_dim if seq_axis is None else seq_axis
    batch_axis = (batch_dim if batch_dim is not None else 0) if batch_axis is None else batch_axis
    if seq_axis is None:
        raise ValueError("reverse_sequence needs seq_axis")
    x = convert_to_tensor(input)
    rank = x.shape.ndims
    if rank is None:
        raise ValueError(f"reverse_sequence needs an input of known rank, got '{x.name}'")
    seq_axis, batch_axis = int(seq_axis) % rank, int(batch_axis) % rank
    if seq_axis == batch_axis:
        raise ValueError(f"seq_axis ({seq_axis}) and batch_axis ({batch_axis}) must differ")
    with name_scope(name or "ReverseSequence"):
        lengths = convert_to_tensor(seq_lengths)
        perm = [batch_axis, seq_axis] + [a for a in _range(rank) if a not in (batch_axis, seq_axis)]
        xt = transpose(x, perm) if perm != list(_range(rank)) else x
        steps = dim_size(xt, 1)
        t = expand_dims(arange(steps), 0)
        n32 = cast(lengths, dtypes.int32)
        check = Assert(reduce_all(less_equal(n32, steps)),
                       ["seq_lengths must be <= input.dims(seq_axis) =", steps, "seq_lengths =", n32], name="check")
        n = expand_dims(n32, 1)
        idx = where_v2(less(t, n), subtract(n - 1, t), t)
        with control_dependencies([check]):
            out = gather(xt, idx, axis=1, batch_dims=1)
        if perm == list(_range(rank)):
            return out
        inverse = [perm.index(a) for a in _range(rank)]
        return transpose(out, inverse)


def repeat(input, repeats, axis=None, name=None):
    """``input`` with each slice along ``axis`` repeated ``repeats`` times (a scalar, or one count per slice);
    with ``axis=None`` the flattened input.

    Examples
    --------
    >>> import daskflow as df
    >>> df.repeat([[1, 2], [3, 4]], [1, 2], axis=0).compute()
    array([[1, 2],
           [3, 4],
           [3, 4]], dtype=int32)
    """
    from .math import cast
    from .reduce import reduce_max
    from .setops import boolean_mask
    with name_scope(name or "Repeat"):
        x = convert_to_tensor(input)
        if axis is None:
            x, axis = reshape(x, [-1]), 0
        rank = x.shape.ndims
        if rank is None:
            raise ValueError(f"repeat needs an input of known rank, got '{x.name}'")
        axis = int(axis) % max(rank, 1)
        r = as_tensor(repeats)
        static = constant_value(r) if isinstance(r, Tensor) else r
        lead = [dim_size(x, i) for i in _range(axis)]
        rest = [dim_size(x, i) for i in _range(axis + 1, rank)]
        spread = expand_dims(x, axis + 1)
        ones = [1] * (rank + 1)
        if static is not None and np.ndim(static) == 0:  # one count for all: a tile
            k = int(np.asarray(static))
            if k < 0:
                raise ValueError(f"repeats must be non-negative, got {k}")
            ones[axis + 1] = k
            return reshape(tile(spread, ones), lead + [-1] + rest)
        counts = cast(convert_to_tensor(repeats), dtypes.int32)
        if counts.shape.ndims == 0:
            counts = broadcast_to(counts, [dim_size(x, axis)])
        top = reduce_max(counts)
        ones[axis + 1] = top
        return boolean_mask(tile(spread, ones), sequence_mask(counts, top), axis=axis)


def unravel_index(indices, dims, name=None):
    """The coordinates of flat ``indices`` in an array of shape ``dims``: shape ``[len(dims)] + indices.shape``."""
    from .math import Assert, cast, floordiv, floormod, logical_and
    from .reduce import reduce_all, reduce_prod
    with name_scope(name or "UnravelIndex"):
        idx = convert_to_tensor(indices)
        d = cast(convert_to_tensor(dims, dtype_hint=idx.dtype), idx.dtype)
        k = d.shape[0] if d.shape.ndims == 1 else None
        if k is None:
            raise ValueError(f"unravel_index needs dims of known length, got '{d.name}' of shape {d.shape}")
        total = reduce_prod(d)
        check = Assert(reduce_all(logical_and(idx >= 0, idx < total)),
                       ["index is out of bound as with dims:", d, "indices:", idx], name="check_indices")
        with control_dependencies([check]):
            coords, stride = [], None
            for i in reversed(_range(k)):
                q = idx if stride is None else floordiv(idx, stride)
                coords.append(floormod(q, d[i]))
                stride = d[i] if stride is None else stride * d[i]
            return stack(coords[::-1], axis=0)


def invert_permutation(x, name=None):
    """The inverse of the permutation ``x`` (a vector holding each of ``0..n-1`` once): ``y[x[i]] = i``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.invert_permutation([3, 4, 0, 2, 1]).compute()
    array([2, 4, 3, 0, 1], dtype=int32)
    """
    from .math import Assert, equal
    from .reduce import reduce_all
    p = convert_to_tensor(x)
    if p.shape.ndims not in (None, 1):
        raise ValueError(f"invert_permutation expects a 1-D vector, got '{p.name}' of shape {p.shape}")
    with name_scope(name or "InvertPermutation"):
        n = dim_size(p, 0)
        pos = arange(n, dtype=p.dtype)
        inv = _scatter.scatter_nd(expand_dims(p, -1), pos, shape_of(p))
        # each position written once: every x[i] distinct, so inv[x[i]] == i
        check = Assert(reduce_all(equal(gather(inv, p), pos)), ["x is not a permutation:", p], name="check")
        with control_dependencies([check]):
            from .state import identity
            return identity(inv)


# -- lists of tensors

def parallel_stack(values, name="parallel_stack"):
    """``stack(values)``, for tensors of fully known shape, as TF's ``parallel_stack``."""
    xs = [convert_to_tensor(v) for v in values]
    for x in xs:
        if not x.shape.is_fully_defined():
            raise ValueError(f"Cannot infer the shape of {x.name}: parallel_stack needs fully defined shapes")
    return stack(xs, name=name)


def shape_n(input, out_type=dtypes.int32, name=None):
    """The shapes of the tensors in ``input``, as a list of 1-D int tensors."""
    with name_scope(name or "ShapeN"):
        return [shape_of(t, out_type=out_type) for t in input]


def tuple(tensors, name=None, control_inputs=None):
    """The ``tensors`` (None entries kept) as new tensors that are computed only once all of them (and the
    ``control_inputs``) are: a barrier."""
    from .state import group, identity
    with name_scope(name or "tuple"):
        given = [t for t in tensors if t is not None]
        gate = group(given + list(control_inputs or []), name="gate")
        out = []
        for t in tensors:
            if t is None:
                out.append(None)
                continue
            with control_dependencies([gate]):
                out.append(identity(t))
        return out


# -- static shape helpers

def dimension_value(dimension):
    """The int value of a dim of a static shape, or None when unknown."""
    return getattr(dimension, "value", dimension)


def dimension_at_index(shape, index):
    """Dim ``index`` of the static ``shape`` (None when unknown, or when the rank is unknown)."""
    s = TensorShape(shape)
    if s.ndims is None:
        return None
    return s[index]

