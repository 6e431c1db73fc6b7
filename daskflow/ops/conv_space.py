"""Rearranging space into depth or batch and back (TF's SpaceToDepth, DepthToSpace, SpaceToBatchND,
BatchToSpaceND and their older forms), ``required_space_to_batch_paddings`` and ``with_space_to_batch``.

All are reshapes and transposes (and a pad or slice), so their gradients come from those ops'. Block sizes and
paddings must be known when the graph is built; unknown dims are taken from the input's shape at run time.
"""
import numpy as np

from ..graph import name_scope
from .hostvalue import static_ints
from .registry import convert_to_tensor


def _dims(x):
    """``x``'s dims: python ints where static, scalar int tensors (from its run-time shape) where not."""
    from .generate import shape
    s = None
    dims = []
    for i, d in enumerate(x.shape.as_list()):
        if d is None:
            s = shape(x) if s is None else s
            d = s[i]
        dims.append(d)
    return dims


def _divisible(d, b, fn):
    if isinstance(d, int) and d % b:
        raise ValueError(f"{fn}: Dimension size must be evenly divisible by {b} but is {d}")


def _block(block_size, fn):
    b = static_ints(block_size, "block_size", fn)
    if not isinstance(b, int) or b < 2:
        raise ValueError(f"{fn}: Value for attr 'block_size' of {block_size} must be at least minimum 2")
    return b


def _rank4(x, fn):
    if x.shape.ndims is not None and x.shape.ndims != 4:
        raise ValueError(f"{fn}: Shape must be rank 4 but is rank {x.shape.ndims} (input '{x.name}' of shape "
                         f"{x.shape})")


def _format(data_format, fn):
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{fn}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    return data_format == "NHWC"


def space_to_depth(input, block_size, name=None, data_format="NHWC"):
    """Moves each ``block_size`` x ``block_size`` block of height and width into depth: output (batch, h / b,
    w / b, b * b * channels), depth ordered (row in block, column in block, channel).

    Examples
    --------
    >>> import numpy as np
    >>> import daskflow as df
    >>> df.nn.space_to_depth(np.arange(4.0).reshape(1, 2, 2, 1), 2).compute()
    array([[[[0., 1., 2., 3.]]]])
    """
    from .array import reshape, transpose
    from .conv_geom import to_last
    fn = "space_to_depth"
    b, last = _block(block_size, fn), _format(data_format, fn)
    with name_scope(name, "SpaceToDepth") as scope:
        x = to_last(convert_to_tensor(input), last)
        _rank4(x, fn)
        n, h, w, c = _dims(x)
        _divisible(h, b, fn)
        _divisible(w, b, fn)
        y = transpose(reshape(x, [n, h // b, b, w // b, b, c]), [0, 1, 3, 2, 4, 5])
        y = reshape(y, [n, h // b, w // b, b * b * c], name=scope if last else None)
        return y if last else transpose(y, [0, 3, 1, 2], name=scope)


def depth_to_space(input, block_size, name=None, data_format="NHWC"):
    """The inverse of ``space_to_depth``: depth (b * b * channels, ordered row in block, column in block,
    channel) moved into ``block_size`` x ``block_size`` blocks of height and width."""
    from .array import reshape, transpose
    from .conv_geom import to_last
    fn = "depth_to_space"
    b, last = _block(block_size, fn), _format(data_format, fn)
    with name_scope(name, "DepthToSpace") as scope:
        x = to_last(convert_to_tensor(input), last)
        _rank4(x, fn)
        n, h, w, c = _dims(x)
        _divisible(c, b * b, fn)
        y = transpose(reshape(x, [n, h, w, b, b, c // (b * b)]), [0, 1, 3, 2, 4, 5])
        y = reshape(y, [n, h * b, w * b, c // (b * b)], name=scope if last else None)
        return y if last else transpose(y, [0, 3, 1, 2], name=scope)


def _block_shape(block_shape, fn):
    bs = static_ints(block_shape, "block_shape", fn)
    bs = [bs] if isinstance(bs, int) else bs
    if not bs or any(b < 1 for b in bs):
        raise ValueError(f"{fn}: block_shape must be a non-empty list of positive ints, got {block_shape!r}")
    return bs


def _pairs(value, m, what, fn):
    p = np.asarray(static_ints(value, what, fn), dtype=np.int64)
    if p.size != 2 * m or (p < 0).any():
        raise ValueError(f"{fn}: {what} must be {m} non-negative [start, end] pairs, got {value!r}")
    return p.reshape(m, 2).tolist()


def space_to_batch_nd(input, block_shape, paddings, name=None):
    """Zero-pads the ``M = len(block_shape)`` dims after the batch by ``paddings`` ((M, 2): start, end), then
    moves each block of ``block_shape`` into the batch: output (prod(block_shape) * batch, padded_1 / b_1, ...,
    padded_M / b_M, remaining dims...), the batch ordered (offset within the block, row-major; then input batch)."""
    from .array import pad, reshape, transpose
    fn = "space_to_batch_nd"
    bs = _block_shape(block_shape, fn)
    m = len(bs)
    pads = _pairs(paddings, m, "paddings", fn)
    with name_scope(name, "SpaceToBatchND") as scope:
        x = convert_to_tensor(input)
        if x.shape.ndims is not None and x.shape.ndims < m + 1:
            raise ValueError(f"{fn}: input '{x.name}' of shape {x.shape} has fewer than {m + 1} dims")
        if any(pads[i] != [0, 0] for i in range(m)):
            x = pad(x, [[0, 0], *pads] + [[0, 0]] * (x.shape.ndims - m - 1))
        n, *dims = _dims(x)
        for d, b in zip(dims, bs):
            _divisible(d, b, fn)
        split = [n] + [e for d, b in zip(dims, bs) for e in (d // b, b)] + dims[m:]
        perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + list(range(2 * m + 1, len(split)))
        out = [n * int(np.prod(bs))] + [d // b for d, b in zip(dims, bs)] + dims[m:]
        return reshape(transpose(reshape(x, split), perm), out, name=scope)


def batch_to_space_nd(input, block_shape, crops, name=None):
    """The inverse of ``space_to_batch_nd``: the batch split into ``block_shape`` blocks put back into the ``M``
    dims after the batch, then ``crops`` ((M, 2): start, end) cut from them."""
    from .array import reshape, transpose
    from .state import identity
    fn = "batch_to_space_nd"
    bs = _block_shape(block_shape, fn)
    m = len(bs)
    cr = _pairs(crops, m, "crops", fn)
    nb = int(np.prod(bs))
    with name_scope(name, "BatchToSpaceND") as scope:
        x = convert_to_tensor(input)
        n, *dims = _dims(x)
        rest = n
        for b in bs:  # as TF checks it: one block dim after the other
            _divisible(rest, b, fn)
            rest = rest // b if isinstance(rest, int) else rest
        y = reshape(x, bs + [n // nb] + dims)
        perm = [m] + [e for i in range(m) for e in (m + 1 + i, i)] + list(range(2 * m + 1, m + 1 + len(dims)))
        full = [d * b for d, b in zip(dims, bs)]
        y = reshape(transpose(y, perm), [n // nb] + full + dims[m:],
                    name=None if any(c != [0, 0] for c in cr) else scope)
        if all(c == [0, 0] for c in cr):
            return y
        for i, (f, (a, b)) in enumerate(zip(full, cr)):
            if isinstance(f, int) and a + b > f:
                raise ValueError(f"{fn}: crops {cr[i]} exceed the size {f} of dim {i + 1}")
        index = (slice(None),) + tuple(slice(a, f - b) for f, (a, b) in zip(full, cr))
        return identity(y[index], name=scope)


def space_to_batch(input, paddings, block_size=None, name=None, block_shape=None):
    """``space_to_batch_nd`` over height and width with square blocks of ``block_size``."""
    from .conv_geom import pick
    b = pick(block_size, block_shape, ("block_size", "block_shape"), "space_to_batch")
    return space_to_batch_nd(input, [b, b] if isinstance(b, int) else b, paddings, name=name or "SpaceToBatchND")


def batch_to_space(input, crops, block_size, name=None, block_shape=None):
    """``batch_to_space_nd`` over height and width with square blocks of ``block_size``."""
    from .conv_geom import pick
    b = pick(block_size, block_shape, ("block_size", "block_shape"), "batch_to_space")
    return batch_to_space_nd(input, [b, b] if isinstance(b, int) else b, crops, name=name or "BatchToSpaceND")


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """(paddings, crops): the least end padding beyond ``base_paddings`` making each of ``input_shape`` divisible
    by ``block_shape``, and the crops removing that extra padding afterwards (int32 tensors of shape (M, 2))."""
    from .state import constant
    fn = "required_space_to_batch_paddings"
    shape = np.asarray(static_ints(input_shape, "input_shape", fn)).reshape(-1)
    bs = np.asarray(_block_shape(block_shape, fn))
    base = np.zeros((len(bs), 2), np.int64) if base_paddings is None else \
        np.asarray(_pairs(base_paddings, len(bs), "base_paddings", fn))
    if shape.size != bs.size:
        raise ValueError(f"{fn}: input_shape has {shape.size} entries but block_shape {bs.size}")
    full = shape + base.sum(axis=1)
    extra = (bs - full % bs) % bs
    with name_scope(name, fn):
        paddings = constant(np.stack([base[:, 0], base[:, 1] + extra], 1).astype(np.int32), name="paddings")
        crops = constant(np.stack([np.zeros_like(extra), extra], 1).astype(np.int32), name="crops")
    return paddings, crops


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None, spatial_dims=None, data_format=None):
    """``op(converted, num_spatial_dims, padding)`` on ``input`` rearranged by ``space_to_batch_nd`` with blocks of
    ``dilation_rate``, and the result put back by ``batch_to_space_nd``: how TF runs an undilated op as a dilated
    one. "SAME" padding needs ``filter_shape`` (the padding a dilated "SAME" convolution would add)."""
    from .hostvalue import constant_value
    rate = np.asarray(static_ints(dilation_rate, "dilation_rate", "with_space_to_batch")).reshape(-1)
    m = rate.size
    if (rate < 1).any():
        raise ValueError(f"with_space_to_batch: dilation_rate must be positive, got {dilation_rate!r}")
    x = convert_to_tensor(input)
    if spatial_dims is None:
        first = 2 if data_format is not None and data_format.startswith("NC") else 1
        spatial_dims = list(range(first, first + m))
    spatial_dims = [int(d) for d in spatial_dims]
    if (rate == 1).all():
        return op(x, m, padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("with_space_to_batch: filter_shape must be specified for SAME padding")
        fs = np.asarray(static_ints(filter_shape, "filter_shape", "with_space_to_batch")).reshape(-1)
        total = (fs - 1) * rate
        base = np.stack([total // 2, total - total // 2], 1)
    elif padding == "VALID":
        base = np.zeros((m, 2), np.int64)
    else:
        raise ValueError(f"with_space_to_batch: padding must be 'SAME' or 'VALID', got {padding!r}")
    sizes = [x.shape[d] for d in spatial_dims]
    if None in sizes:
        raise ValueError(f"with_space_to_batch: the spatial dims of '{x.name}' must be known when the graph is "
                         f"built, got shape {x.shape}")
    paddings, crops = required_space_to_batch_paddings(sizes, rate, base)
    lead = spatial_dims[0] - 1  # dims between the batch and the first spatial dim get blocks of 1
    block = [1] * lead + rate.tolist()
    pads = [[0, 0]] * lead + constant_value(paddings).tolist()
    cuts = [[0, 0]] * lead + constant_value(crops).tolist()
    y = op(space_to_batch_nd(x, block, pads), m, "VALID")
    return batch_to_space_nd(y, block, cuts)
