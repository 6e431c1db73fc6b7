"""TF's image resizing ops (ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic, ResizeArea) and the gradient ops
of the first three.

Each takes NHWC images and a 2-vector ``size`` (new height, new width); a task resizes one block of whole images
(height and width whole; batch and channels chunked as they come). The user-facing functions are in
``daskflow.image``.
"""
from functools import partial

from .. import backend, dtypes
from ..graph import TensorShape
from . import image_kernels
from .hostvalue import host_lowered, host_vector
from .registry import NOT_DIFFERENTIABLE, apply1, fail, register

__all__ = []

_METHODS = {"ResizeBilinear": "bilinear", "ResizeNearestNeighbor": "nearest", "ResizeBicubic": "bicubic",
            "ResizeArea": "area"}
_NUMERIC = "iuf"


def _check_images(op, x, what="input"):
    if x.shape.ndims is not None and x.shape.ndims != 4:
        fail(op, f"{what} must be 4-dimensional, got shape {x.shape} (Shape must be rank 4 but is rank "
                 f"{x.shape.ndims})")
    if x.dtype.kind not in _NUMERIC:
        fail(op, f"{op.type} does not take images of dtype {dtypes.name(x.dtype)}")
    return x.shape if x.shape.ndims is not None else TensorShape([None] * 4)


def _size(op, i=1):
    t = op.inputs[i]
    if t.shape.ndims is not None and t.shape.ndims != 1:
        fail(op, f"Shape must be rank 1 but is rank {t.shape.ndims} for size '{t.name}'")
    if t.shape.ndims == 1 and t.shape[0] not in (None, 2):
        fail(op, f"Dimension must be 2 but is {t.shape[0]} for size '{t.name}'")
    if t.dtype != dtypes.int32:
        fail(op, f"size must be int32, got '{t.name}' of dtype {dtypes.name(t.dtype)}")
    size = host_vector(op, i, "size") or (None, None)
    for d in size:
        if d is not None and d <= 0:
            fail(op, f"output dimensions must be positive, got size {list(size)}")
    return size


def _check_flags(op):
    if op.attrs["half_pixel_centers"] and op.attrs["align_corners"]:
        fail(op, "If half_pixel_centers is True, align_corners must be False.")


def _resize_infer(op):
    x = op.inputs[0]
    shape = _check_images(op, x)
    _check_flags(op)
    h, w = _size(op)
    out = dtypes.as_dtype(x.dtype if op.type == "ResizeNearestNeighbor" else "float32")
    return [((shape[0], h, w, shape[3]), out)]


def _whole_images(x):
    return x.rechunk({1: -1, 2: -1})


def _map(op, x, kernel, hw, dtype, **kw):
    if x.ndim != 4:
        fail(op, f"input must be 4-dimensional, got shape {list(x.shape)}")
    x = _whole_images(x)
    if 0 in x.shape[1:3]:
        fail(op, "input image must be of non-zero size")
    fn = partial(kernel, method=_METHODS[op.type.replace("Grad", "")], align_corners=op.attrs["align_corners"],
                 half_pixel=op.attrs["half_pixel_centers"], dtype=dtype, **kw)
    chunks = (x.chunks[0], (hw[0],), (hw[1],), x.chunks[3])
    return x.map_blocks(fn, chunks=chunks, dtype=dtype, meta=backend.meta(x, dtype))


def _resize_lower(op, x, _):
    size = [int(d) for d in host_lowered(op, 1, "size").tolist()]
    return _map(op, x, image_kernels.resize_block, size, op.outputs[0].dtype, size=size)


def _attrs(op):
    return {"align_corners": op.attrs["align_corners"], "half_pixel_centers": op.attrs["half_pixel_centers"]}


def _resize_grad(op, dy):
    x = op.inputs[0]
    if x.dtype.kind != "f":
        return [None, None]  # TF: no gradient into integer images
    if op.type == "ResizeNearestNeighbor":
        from .generate import shape
        return [apply1("ResizeNearestNeighborGrad", [dy, shape(x)[1:3]], _attrs(op)), None]
    return [apply1(op.type + "Grad", [dy, x], _attrs(op)), None]


for _t in _METHODS:
    register(_t)(type(_t, (), {"infer": _resize_infer, "lower": _resize_lower,
                               "grad": NOT_DIFFERENTIABLE if _t == "ResizeArea" else _resize_grad}))


# -- gradient ops: grads (the resized images' gradient) pulled back to the original images

def _grad_infer(op):
    g, ref = op.inputs
    gs = _check_images(op, g, "input_grad")
    _check_flags(op)
    if g.dtype.kind != "f":
        fail(op, f"input_grad must be floating point, got '{g.name}' of dtype {dtypes.name(g.dtype)}")
    if op.type == "ResizeNearestNeighborGrad":
        h, w = _size(op)
        return [((gs[0], h, w, gs[3]), g.dtype)]
    rs = _check_images(op, ref, "original_image")
    if ref.dtype.kind != "f":
        fail(op, f"original_image must be floating point, got '{ref.name}' of dtype {dtypes.name(ref.dtype)}")
    return [((gs[0], rs[1], rs[2], gs[3]), ref.dtype)]


def _grad_lower(op, g, ref):
    if op.type == "ResizeNearestNeighborGrad":
        hw = [int(d) for d in host_lowered(op, 1, "size").tolist()]
    else:
        if ref.ndim != 4:
            fail(op, f"original_image must be 4-dimensional, got shape {list(ref.shape)}")
        hw = [int(d) for d in ref.shape[1:3]]
    g = _whole_images(g)
    return _map(op, g, image_kernels.resize_grad_block, hw, op.outputs[0].dtype, in_size=hw)


def _grad_grad(op, ddx):
    # the gradient ops are linear in grads: their own gradient is the forward resize
    from .generate import shape
    from .math import cast
    g = op.inputs[0]
    fwd = op.type[:-len("Grad")]
    y = apply1(fwd, [ddx, shape(g)[1:3]], _attrs(op))
    return [cast(y, g.dtype) if y.dtype != g.dtype else y, None]


for _t in ("ResizeBilinearGrad", "ResizeNearestNeighborGrad", "ResizeBicubicGrad"):
    register(_t)(type(_t, (), {"infer": _grad_infer, "lower": _grad_lower, "grad": _grad_grad}))
