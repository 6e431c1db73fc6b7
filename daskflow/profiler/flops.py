"""Float-operation counts per op type, as TF's profiler counts them (its ``RegisterStatistics("flops")`` rules).

Each rule takes an ``Operation`` and gives its float operations from static shapes, or None when a shape it needs
is not fully known. Op types without a rule count no float operations, as in TF (so ``Exp``, ``Max`` and the like
count 0). Composites count as the ops they are made of: daskflow's ``softmax`` and ``l2_loss`` are built from
elementwise ops and reductions, where TF counts one ``Softmax`` (5 per element) or ``L2Loss`` (3 per element - 1).
"""
import math

__all__ = ["RULES", "float_ops"]


def _n(shape):
    """The number of elements of ``shape`` (a TensorShape or tuple), or None when a dimension is unknown."""
    dims = list(shape) if shape is not None and getattr(shape, "dims", ()) is not None else None
    if dims is None or any(d is None for d in dims):
        return None
    return math.prod(int(d) for d in dims)


def _dims(t):
    return [None if d is None else int(d) for d in t.shape]


def _times(*counts):
    return None if any(c is None for c in counts) else math.prod(counts)


def _unary(per_element=1):
    return lambda op: _times(_n(op.inputs[0].shape), per_element)


def _binary(per_element=1):
    return lambda op: _times(_n(op.outputs[0].shape), per_element)


def _reduction(reduce_flops=1, finalize_flops=0):
    def rule(op):
        n_in, n_out = _n(op.inputs[0].shape), _n(op.outputs[0].shape)
        if n_in is None or n_out is None:
            return None
        return n_in * reduce_flops + n_out * (finalize_flops - reduce_flops)
    return rule


def _matmul(op):
    a = _dims(op.inputs[0])
    k = a[-2] if op.attrs.get("transpose_a") or op.attrs.get("adj_x") else a[-1]
    return None if _n(a) is None else _times(k, _n(op.outputs[0].shape), 2)


def _window(op):
    return math.prod(op.attrs["ksize"])


def _pool(op):
    return _times(_window(op), _n(op.outputs[0].shape))


def _avg_pool_grad(op):  # each window element is multiplied by its coefficient and summed: 2 per element
    return _times(_window(op), _n(op.inputs[-1].shape), 2)


def _max_pool_grad(op):  # max pool again, then one per element of the pooled output
    pooled = _n(op.inputs[-1].shape)
    return None if pooled is None else _window(op) * pooled + pooled


def _conv(spatial, depth=True):
    """Conv2D / Conv3D / DepthwiseConv2dNative / Dilation2D: 2 per output element per filter tap (and input
    channel, unless depthwise)."""
    def rule(op):
        f = _dims(op.inputs[1])
        taps = f[:spatial + (1 if depth else 0)]
        return None if _n(op.inputs[0].shape) is None else _times(_n(op.outputs[0].shape), *taps, 2)
    return rule


def _conv_backprop(image, kernel):
    """2 * image elements * kernel elements / (input depth * stride area), TF's formula for both backprops."""
    def rule(op):
        im, k = image(op), kernel(op)
        n_im, n_k = _n(im.shape), _n(k.shape)
        if n_im is None or n_k is None:
            return None
        return int(2 * n_im * n_k / (int(im.shape[-1]) * math.prod(op.attrs["strides"])))
    return rule


def _l2_loss(op):  # TF's kernel: 3 per element - 1
    n = _n(op.inputs[0].shape)
    return None if n is None else 3 * n - 1


def _add_n(op):
    return _times(_n(op.inputs[0].shape), len(op.inputs) - 1) if op.inputs else 0


RULES = {
    **{t: _unary() for t in ("Reciprocal", "Square", "Log", "Neg", "AssignSub", "AssignAdd")},
    "Rsqrt": _unary(2), "L2Loss": _l2_loss,
    "Softmax": _unary(5),
    **{t: _binary() for t in ("Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "Pow", "GreaterEqual",
                              "Greater", "LessEqual", "Less", "Equal", "NotEqual")},
    "RsqrtGrad": _binary(4), "SquaredDifference": _binary(2),
    "Mean": _reduction(1, 1), **{t: _reduction() for t in ("Sum", "ArgMax", "ArgMin", "BiasAddGrad")},
    "AvgPool": _pool, "MaxPool": _pool, "AvgPoolGrad": _avg_pool_grad, "MaxPoolGrad": _max_pool_grad,
    "Conv2DBackpropInput": _conv_backprop(lambda op: op.outputs[0], lambda op: op.inputs[1]),
    "Conv2DBackpropFilter": _conv_backprop(lambda op: op.inputs[0], lambda op: op.outputs[0]),
    "AddN": _add_n, **{t: _matmul for t in ("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")},
    "Conv2D": _conv(2), "Conv3D": _conv(3), "DepthwiseConv2dNative": _conv(2, depth=False),
    "Dilation2D": _conv(2, depth=False), "BiasAdd": _unary(),
}


def float_ops(op):
    """The float operations of ``op`` by TF's rule for its type: 0 without a rule, None when a shape the rule
    needs is not fully known."""
    rule = RULES.get(op.type)
    return 0 if rule is None else rule(op)
