"""Reductions."""
import dask.array as da

from ..graph import TensorShape
from .registry import apply1, normalize_axis, register

__all__ = ["reduce_sum"]


@register("Sum")
class Sum:
    def infer(op):
        x = op.inputs[0]
        axes = normalize_axis(op, op.attrs["axis"], x.shape.ndims, allow_none=True)
        keep = op.attrs["keepdims"]
        shape = [1 if i in axes else d for i, d in enumerate(x.shape) if keep or i not in axes]
        return [(TensorShape(shape), x.dtype)]

    def lower(op, x):
        axes = normalize_axis(op, op.attrs["axis"], x.ndim, allow_none=True)
        return da.sum(x, axis=axes, keepdims=op.attrs["keepdims"], dtype=x.dtype)


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None):
    axis = reduction_indices if axis is None else axis
    return apply1("Sum", [input_tensor], {"axis": axis, "keepdims": bool(keepdims)}, name=name or "Sum")
