"""The op types behind ``RaggedTensor.to_tensor``: ``RaggedTensorToTensor`` (TF's op of that name, with row_splits
partitions) places the flat values of a ragged tensor in a dense tensor of a given shape, and
``RaggedTensorToTensorGrad`` takes a dense gradient back to the flat values and the default value.

Both are host kernels over whole vectors (one task): the number of flat values is often known only when run (the
output of a decode or a mask), while the dense shape is computed before the run from the row splits."""
import dask.array as da
import numpy as np

from .. import backend, dtypes
from ..ops.hostvalue import host_lowered, host_partial
from ..ops.registry import apply, register, tuple_outputs
from ..ops.strings_map import refuse, whole


def _positions(xp, splits, dims):
    """The dense index (``[N, len(splits) + 1]``) of each flat value, and whether it lies inside ``dims``."""
    idx = None
    for s in splits:
        total = int(s[-1])
        rowids = xp.searchsorted(s[1:], xp.arange(total, dtype=s.dtype), side="right")
        pos = xp.arange(total, dtype=s.dtype) - s[rowids]
        idx = xp.stack([rowids, pos], 1) if idx is None else xp.concatenate([idx[rowids], pos[:, None]], 1)
    keep = xp.all(idx < xp.asarray(dims[:idx.shape[1]], dtype=idx.dtype), axis=1)
    return idx, keep


def _to_dense(shape, values, default, *splits):
    xp = backend.xp(values)
    dims = tuple(int(d) for d in shape)
    idx, keep = _positions(xp, splits, dims)
    out = xp.empty(dims, dtype=values.dtype)
    out[...] = default
    out[tuple(idx[keep].T)] = values[keep]
    return out


def _sum_to(g, shape):
    """``g`` summed down to ``shape`` (numpy broadcasting in reverse)."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead))) if lead else g
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def _to_dense_grad(grad, default_shape, *splits):
    xp = backend.xp(grad)
    idx, keep = _positions(xp, splits, grad.shape)
    d_values = xp.zeros((len(idx),) + grad.shape[idx.shape[1]:], dtype=grad.dtype)
    at = tuple(idx[keep].T)
    d_values[keep] = grad[at]
    rest = grad.copy()
    rest[at] = 0
    return d_values, _sum_to(rest, tuple(int(d) for d in default_shape))


def _check_splits(op, parts):
    for s in parts:
        if s.dtype != dtypes.int64:
            refuse(op, f"row_partition_tensors must be int64, got '{s.name}' of dtype {dtypes.name(s.dtype)}",
                   TypeError)


@register("RaggedTensorToTensor")
class RaggedTensorToTensor:
    strings = True

    def infer(op):
        shape, values, default = op.inputs[:3]
        _check_splits(op, op.inputs[3:])
        if default.dtype != values.dtype:
            refuse(op, f"default_value must have the dtype of values ({dtypes.name(values.dtype)})", TypeError)
        known = host_partial(op, 0, "shape")
        rank = len(op.inputs) - 3 + (values.shape.ndims - 1 if values.shape.ndims is not None else 0)
        if known is None:
            return [((None,) * rank if values.shape.ndims is not None else None, values.dtype)]
        return [(tuple(None if d is None else int(d) for d in known.tolist()), values.dtype)]

    def lower(op, shape, values, default, *splits):
        dims = tuple(int(d) for d in host_lowered(op, 0, "shape"))
        args = [shape, "s", whole(values), tuple(f"v{d}" for d in range(values.ndim)),
                whole(default), tuple(f"d{d}" for d in range(default.ndim))]
        for i, s in enumerate(splits):
            args += [whole(s), (f"p{i}",)]
        return da.blockwise(_to_dense, tuple(f"o{d}" for d in range(len(dims))), *args, concatenate=True,
                            new_axes={f"o{d}": n for d, n in enumerate(dims)}, dtype=values.dtype,
                            meta=backend.meta(values, values.dtype, len(dims)))

    def grad(op, dy):
        _, values, default = op.inputs[:3]
        d_values, d_default = apply("RaggedTensorToTensorGrad", [dy, values, default] + list(op.inputs[3:]), {},
                                    name="RaggedTensorToTensorGrad")
        return [None, d_values, d_default] + [None] * (len(op.inputs) - 3)


@register("RaggedTensorToTensorGrad")
class RaggedTensorToTensorGrad:
    """Inputs: the dense gradient, the flat values and the default value (for their shapes only), row splits."""

    def infer(op):
        grad, values, default = op.inputs[:3]
        _check_splits(op, op.inputs[3:])
        return [(values.shape, grad.dtype), (default.shape, grad.dtype)]

    def lower(op, grad, values, default, *splits):
        args = [whole(grad), tuple(f"g{d}" for d in range(grad.ndim))]
        for i, s in enumerate(splits):
            args += [whole(s), (f"p{i}",)]
        packed = da.blockwise(_to_dense_grad, (), args[0], args[1], default.shape, None, *args[2:],
                              concatenate=True, dtype=object, meta=np.empty((), object))
        n = float(sum(values.chunks[0])) if values.ndim else 0.0
        chunks = [((n if np.isnan(n) else int(n),),) + tuple((d,) for d in values.shape[1:]),
                  tuple((d,) for d in default.shape)]
        metas = [backend.meta(grad, grad.dtype, values.ndim), backend.meta(grad, grad.dtype, default.ndim)]
        return tuple_outputs(packed, chunks, metas, "ragged-to-tensor-grad")

    def grad(op, dd_values, dd_default):
        # linear in the dense gradient, and its own adjoint's transpose: the values' gradients placed at their
        # positions, the default's broadcast everywhere else: RaggedTensorToTensor of them
        from ..ops.generate import shape as shape_of, zeros_like
        grad, values, default = op.inputs[:3]
        dd_values = zeros_like(values, dtype=grad.dtype) if dd_values is None else dd_values
        dd_default = zeros_like(default, dtype=grad.dtype) if dd_default is None else dd_default
        dense = apply("RaggedTensorToTensor", [shape_of(grad, out_type=dtypes.int64), dd_values, dd_default]
                      + list(op.inputs[3:]), {}, name="RaggedTensorToTensor")[0]
        return [dense, None, None] + [None] * (len(op.inputs) - 3)
