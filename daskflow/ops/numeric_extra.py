"""``tf.conv``: TF's generic 2-D/3-D convolution op (type ``Conv``) with extra batch dims, channels first or last,
explicit paddings and grouped channels, composed from ``conv2d``/``conv3d`` (so its gradients are theirs)."""
from .. import errors
from ..graph import name_scope
from .array import concat, pad, reshape, transpose
from .conv import conv2d
from .conv_3d import conv3d
from .generate import shape as shape_of
from .registry import convert_to_tensor
from .split import split

__all__ = ["conv"]


def _fail(message):
    raise ValueError(message)


def _attr(values, n, what, default):
    values = list(values) if values else [default] * n
    if len(values) != n:
        _fail(f"{what} attribute should contain {n} values, but got: {len(values)}")
    return values


def conv(input, filter, strides, padding, explicit_paddings=[], data_format="CHANNELS_LAST", dilations=[],
         batch_dims=1, groups=1, name=None):
    """The N-D convolution of ``input`` (``batch_dims`` batch dims, then 2 or 3 spatial dims and channels, or
    channels first with ``data_format="CHANNELS_FIRST"``) with ``filter`` (``spatial + [in_channels / groups,
    out_channels]``). ``strides`` and ``dilations`` have one entry per dim of a single-batch-dim input (batch and
    channel entries 1); ``padding`` is ``"SAME"``, ``"VALID"`` or ``"EXPLICIT"`` with ``explicit_paddings``
    giving (before, after) for each of those dims. With ``groups`` > 1 the channels split into ``groups``
    groups convolved separately (op type ``Conv`` in TF).

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> df.conv(np.ones((1, 3, 3, 1), np.float32), np.ones((2, 2, 1, 1), np.float32), [1, 1, 1, 1],
    ...         "VALID").compute()[0, :, :, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """
    with name_scope(name, "Conv"):
        x, w = convert_to_tensor(input), convert_to_tensor(filter)
        rank = x.shape.ndims
        if rank is None:
            raise errors.UnimplementedError(None, None, "conv needs the rank of its input known when the graph is "
                                                        "built")
        spatial = rank - batch_dims - 1
        if spatial not in (2, 3):
            _fail(f"Input tensor must be rank 4 or 5, excluding extra batch dimensions, but got: {spatial + 2}")
        if data_format not in ("CHANNELS_LAST", "CHANNELS_FIRST"):
            _fail(f"Invalid data format: {data_format}")
        if w.shape.ndims is not None and w.shape.ndims != spatial + 2:
            _fail(f"Filter must be rank {spatial + 2}, got shape {w.shape}")
        n = spatial + 2
        strides = _attr(strides, n, "Stride", 1)
        dilations = _attr(dilations, n, "Dilation", 1)
        first = data_format == "CHANNELS_FIRST"
        sp = slice(2, n) if first else slice(1, n - 1)
        if strides[0] != 1 or strides[1 if first else -1] != 1:
            raise errors.InvalidArgumentError(None, None, "Current implementation does not support strides in the "
                                                          "batch and depth dimensions.")
        if first:  # to channels last: the batch dims, the spatial dims, the channels
            perm = list(range(batch_dims)) + list(range(batch_dims + 1, rank)) + [batch_dims]
            x = transpose(x, perm)
        lead = list(x.shape[:batch_dims])
        x = reshape(x, [-1] + list(x.shape[batch_dims:])) if batch_dims != 1 else x
        if padding == "EXPLICIT":
            pads = list(explicit_paddings)
            if len(pads) != 2 * n:
                _fail(f"explicit_paddings attribute must contain {2 * n} values, but got: {len(pads)}")
            pairs = [pads[2 * i:2 * i + 2] for i in range(n)]
            pairs = [pairs[0]] + pairs[sp] + [pairs[1 if first else n - 1]]
            x, padding = pad(x, pairs), "VALID"
        elif explicit_paddings:
            _fail("explicit_paddings must be empty when padding is not EXPLICIT")
        channels, w_in = x.shape[-1], w.shape[-2]
        if channels is not None and w_in is not None and channels % w_in:
            _fail(f"Depth of input ({channels}) is not a multiple of input depth of filter ({w_in})")
        groups = groups if groups != 1 or channels is None or w_in is None else channels // w_in
        if w.shape[-1] is not None and w.shape[-1] % groups:
            _fail("Number of groups should divide output depth")
        op = conv2d if spatial == 2 else conv3d
        st, dl = [1] + strides[sp] + [1], [1] + dilations[sp] + [1]
        xs = split(x, groups, axis=-1) if groups > 1 else [x]
        ws = split(w, groups, axis=-1) if groups > 1 else [w]
        outs = [op(xi, wi, st, padding, dilations=dl) for xi, wi in zip(xs, ws)]
        y = concat(outs, -1) if groups > 1 else outs[0]
        if batch_dims != 1:
            rest = list(y.shape[1:])
            if None in lead or None in rest:
                y = reshape(y, concat([shape_of(input)[:batch_dims], shape_of(y)[1:]], 0))
            else:
                y = reshape(y, lead + rest)
        if first:
            b = batch_dims
            y = transpose(y, list(range(b)) + [rank - 1] + list(range(b, rank - 1)))
        return y
