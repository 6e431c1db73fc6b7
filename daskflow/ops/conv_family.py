"""Op families for any number of spatial dims, declared by one factory each: a convolution with its input and
filter gradient ops (Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2; the depthwise DepthwiseConv2dNative
and its backprops), and max/avg pooling with their gradient ops (MaxPool3D, MaxPool3DGrad, MaxPool3DGradGrad,
AvgPool3D, AvgPool3DGrad). Lowering and kernels are those of ``conv_geom``: whole images per batch block.
"""
from .. import backend
from .conv_geom import (FLOATS, REAL, avg_pool_block, avg_pool_grad_block, batch_sum, blockwise, check_dim,
                        check_images, check_like, check_lowered, check_same_dtype, columns, conv_block,
                        conv_filter_block, conv_footprint, conv_input_block, geo, geometry, images_footprint,
                        lowered_sizes, max_pool_block, max_pool_grad_block, max_pool_grad_grad_block, scatter,
                        sizes, spatial_of, windows)
from .generate import shape
from .registry import apply1, register


# -- depthwise kernels: filter (*ksize, channels, multiplier), output channel c * multiplier + m

def depthwise_block(x, w, geo):
    m = backend.xp(x)
    taps, (c, mult) = len(windows(geo)), w.shape[-2:]
    cols = columns(m, x, geo)
    out = m.einsum("pkc,kcm->pcm", cols.reshape(-1, taps, c), w.reshape(taps, c, mult))
    return out.reshape(cols.shape[:-1] + (c * mult,)).astype(x.dtype, copy=False)


def depthwise_input_block(dy, w, geo, sizes):
    m = backend.xp(dy)
    taps, (c, mult) = len(windows(geo)), w.shape[-2:]
    cols = m.einsum("pcm,kcm->pkc", dy.reshape(-1, c, mult), w.reshape(taps, c, mult))
    cols = cols.reshape(dy.shape[:-1] + (taps, c))
    return scatter(m, (cols[..., k, :] for k in range(taps)), geo, sizes, dy.shape[0], c, dy.dtype)


def depthwise_filter_block(x, dy, geo, wshape):
    m = backend.xp(x)
    taps, (c, mult) = len(windows(geo)), wshape[-2:]
    cols = columns(m, x, geo)
    dw = m.einsum("pkc,pcm->kcm", cols.reshape(-1, taps, c), dy.reshape(-1, c, mult))
    return dw.reshape((1,) + tuple(wshape)).astype(x.dtype, copy=False)


_KERNELS = {False: (conv_block, conv_input_block, conv_filter_block),
            True: (depthwise_block, depthwise_input_block, depthwise_filter_block)}


def conv_family(nd, names, depthwise=False):
    """Register a convolution over ``nd`` spatial dims and its two gradient ops under ``names`` (forward, input
    backprop, filter backprop). Inputs as TF's: (input, filter), (input_sizes, filter, out_backprop), (input,
    filter_sizes, out_backprop); attrs strides, padding and dilations, one per spatial dim."""
    fwd_name, input_name, filter_name = names
    fwd_kernel, input_kernel, filter_kernel = _KERNELS[depthwise]
    rank = nd + 2

    def out_channels(ws):
        if not depthwise:
            return ws[-1]
        return None if None in ws[-2:] else ws[-2] * ws[-1]

    def out_shape(op, xs, ws):
        out, _ = geometry(op, xs[1:-1], ws[:nd])
        return [xs[0], *out, out_channels(ws)]

    def check_channels(op, what, got, w):
        check_dim(op, f"{what} has {got} channels, but the filter '{w.name}' of shape {w.shape} expects", got,
                  None if w.shape.ndims is None else w.shape[nd])

    def check_out_backprop(op, dy, ds, out):
        for i in range(rank):
            check_dim(op, f"out_backprop '{dy.name}' of shape {dy.shape} has dim {i} of size", ds[i], out[i])

    def lowered_out(op, spatial, wshape):
        g = geo(op, spatial, wshape[:nd])
        return g, g[4] + (out_channels(list(wshape)),)

    def grads(op, x, w, dy):
        """(d input, d filter) of the forward op at ``x``, ``w`` for output gradient ``dy``."""
        return (apply1(input_name, [shape(x), w, dy], dict(op.attrs)),
                apply1(filter_name, [x, shape(w), dy], dict(op.attrs)))

    @register(fwd_name)
    class Forward:
        footprint = conv_footprint

        def infer(op):
            x, w = op.inputs
            xs, ws = check_images(op, x, "input", FLOATS, rank), check_images(op, w, "filter", FLOATS, rank)
            check_same_dtype(op, x, w)
            check_channels(op, f"input '{x.name}'", xs[-1], w)
            return [(out_shape(op, xs, ws), x.dtype)]

        def lower(op, x, w):
            g, out = lowered_out(op, spatial_of(x), w.shape)
            check_lowered(op, x, "input", spatial_of(x) + (w.shape[nd],))
            return blockwise(fwd_kernel, out, x.dtype, [x], [w], geo=g)

        def grad(op, dy):
            return list(grads(op, *op.inputs, dy))

    @register(input_name)
    class BackpropInput:
        footprint = conv_footprint

        def infer(op):
            _, w, dy = op.inputs
            ws, ds = check_images(op, w, "filter", FLOATS, rank), check_images(op, dy, "out_backprop", FLOATS, rank)
            check_same_dtype(op, w, dy)
            xs = sizes(op, 0, "input_sizes", rank)
            check_out_backprop(op, dy, ds, out_shape(op, xs, ws))
            check_channels(op, "input_sizes", xs[-1], w)
            return [(xs, dy.dtype)]

        def lower(op, _, w, dy):
            xs = lowered_sizes(op, 0, "input_sizes")
            spatial = tuple(xs[1:-1])
            g, out = lowered_out(op, spatial, w.shape)
            check_lowered(op, dy, "out_backprop", out)
            return blockwise(input_kernel, spatial + (xs[-1],), dy.dtype, [dy], [w], geo=g, sizes=spatial)

        def grad(op, ddx):
            _, w, dy = op.inputs
            return [None, apply1(filter_name, [ddx, shape(w), dy], dict(op.attrs)),
                    apply1(fwd_name, [ddx, w], dict(op.attrs))]

    @register(filter_name)
    class BackpropFilter:
        footprint = conv_footprint

        def infer(op):
            x, _, dy = op.inputs
            xs, ds = check_images(op, x, "input", FLOATS, rank), check_images(op, dy, "out_backprop", FLOATS, rank)
            check_same_dtype(op, x, dy)
            ws = sizes(op, 1, "filter_sizes", rank)
            check_out_backprop(op, dy, ds, out_shape(op, xs, ws))
            check_dim(op, f"input '{x.name}' has {xs[-1]} channels, but filter_sizes expects", xs[-1], ws[nd])
            return [(ws, x.dtype)]

        def lower(op, x, _, dy):
            wshape = tuple(lowered_sizes(op, 1, "filter_sizes"))
            g, out = lowered_out(op, spatial_of(x), wshape)
            check_lowered(op, dy, "out_backprop", out)
            return batch_sum(filter_kernel, wshape, x.dtype, [x, dy], geo=g)

        def grad(op, ddw):
            x, _, dy = op.inputs
            return [apply1(input_name, [shape(x), ddw, dy], dict(op.attrs)), None,
                    apply1(fwd_name, [x, ddw], dict(op.attrs))]


def pool_family(nd, max_names, avg_names):
    """Register max pooling (forward, gradient, gradient of the gradient) and avg pooling (forward, gradient) over
    ``nd`` spatial dims under the given names; attrs ksize, strides and padding, one per spatial dim."""
    rank = nd + 2
    max_name, max_grad_name, max_grad_grad_name = max_names
    avg_name, avg_grad_name = avg_names

    def pool_out(op, x):
        xs = check_images(op, x, "input", FLOATS if op.type.startswith("Avg") else REAL, rank)
        out, _ = geometry(op, xs[1:-1], op.attrs["ksize"])
        return xs, [xs[0], *out, xs[-1]]

    def lowered(op, x):
        g = geo(op, spatial_of(x), op.attrs["ksize"])
        return g, g[4] + (int(x.shape[-1]),)

    @register(max_name)
    class MaxPool:
        footprint = images_footprint

        def infer(op):
            return [(pool_out(op, op.inputs[0])[1], op.inputs[0].dtype)]

        def lower(op, x):
            g, out = lowered(op, x)
            return blockwise(max_pool_block, out, x.dtype, [x], geo=g)

        def grad(op, dy):
            return [apply1(max_grad_name, [op.inputs[0], dy], dict(op.attrs))]

    @register(max_grad_name)
    class MaxPoolGrad:
        """Max pooling's gradient: each window's gradient goes to the position of its maximum (the first on
        ties)."""

        footprint = images_footprint

        def infer(op):
            x, dy = op.inputs
            xs, out = pool_out(op, x)
            check_like(op, dy, "grad", out, x)
            return [(xs, x.dtype)]

        def lower(op, x, dy):
            g, out = lowered(op, x)
            check_lowered(op, dy, "grad", out)
            return blockwise(max_pool_grad_block, tuple(int(d) for d in x.shape[1:]), x.dtype, [x, dy], geo=g)

        def grad(op, ddx):  # linear in dy; the argmax positions are piecewise constant in x
            return [None, apply1(max_grad_grad_name, [op.inputs[0], ddx], dict(op.attrs))]

    @register(max_grad_grad_name)
    class MaxPoolGradGrad:
        """The adjoint of the max pooling gradient in its ``grad`` input: ``ddx`` read at each window's argmax."""

        footprint = images_footprint

        def infer(op):
            x, ddx = op.inputs
            xs, out = pool_out(op, x)
            check_like(op, ddx, "grad", xs, x)
            return [(out, x.dtype)]

        def lower(op, x, ddx):
            g, out = lowered(op, x)
            check_lowered(op, ddx, "grad", x.shape[1:])
            return blockwise(max_pool_grad_grad_block, out, x.dtype, [x, ddx], geo=g)

        def grad(op, ddy):
            return [None, apply1(max_grad_name, [op.inputs[0], ddy], dict(op.attrs))]

    @register(avg_name)
    class AvgPool:
        footprint = images_footprint

        def infer(op):
            return [(pool_out(op, op.inputs[0])[1], op.inputs[0].dtype)]

        def lower(op, x):
            g, out = lowered(op, x)
            return blockwise(avg_pool_block, out, x.dtype, [x], geo=g)

        def grad(op, dy):
            return [apply1(avg_grad_name, [shape(op.inputs[0]), dy], dict(op.attrs))]

    @register(avg_grad_name)
    class AvgPoolGrad:
        """Avg pooling's gradient: each window's gradient shared evenly among the real positions it covers."""

        footprint = images_footprint

        def infer(op):
            dy = op.inputs[1]
            xs = sizes(op, 0, "orig_input_shape", rank)
            ds = check_images(op, dy, "grad", FLOATS, rank)
            out, _ = geometry(op, xs[1:-1], op.attrs["ksize"])
            for i, d in enumerate((xs[0], *out, xs[-1])):
                check_dim(op, f"grad '{dy.name}' of shape {dy.shape} has dim {i} of size", ds[i], d)
            return [(xs, dy.dtype)]

        def lower(op, _, dy):
            xs = lowered_sizes(op, 0, "orig_input_shape")
            spatial = tuple(xs[1:-1])
            g = geo(op, spatial, op.attrs["ksize"])
            check_lowered(op, dy, "grad", g[4] + (xs[-1],))
            return blockwise(avg_pool_grad_block, spatial + (xs[-1],), dy.dtype, [dy], geo=g, sizes=spatial)

        def grad(op, ddx):
            return [None, apply1(avg_name, [ddx], dict(op.attrs))]

