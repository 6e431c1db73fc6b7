"""Shape helpers shared by the image functions: TF1's checks of image ranks and its static-or-dynamic dims."""
from ..graph import Tensor
from ..ops.registry import convert_to_tensor

__all__ = []


def as_image(image, name="image"):
    return convert_to_tensor(image, name=name)


def check_3d_or_4d(image, message=None):
    """The rank of ``image``, which must be 3 (HWC) or 4 (NHWC)."""
    n = image.shape.ndims
    if n not in (3, 4):
        if n is not None and n < 3:
            raise ValueError(f"'image' (shape {_tuple(image)}) must be at least three-dimensional.")
        raise ValueError(message or f"'image' (shape {_tuple(image)}) must have either 3 or 4 dimensions.")
    return n


def check_at_least_3d(image):
    n = image.shape.ndims
    if n is None or n < 3:
        raise ValueError(f"'image' (shape {_tuple(image)}) must be at least three-dimensional.")
    return n


def _tuple(t):
    return "<unknown>" if t.shape.ndims is None else tuple(t.shape)


def as_batch(images, what="image", message=None):
    """``images`` as NHWC and whether it was already a batch (HWC images get a batch axis of 1)."""
    from ..ops.array import expand_dims
    n = images.shape.ndims
    if n == 3:
        return expand_dims(images, 0), False
    if n == 4:
        return images, True
    if n is None:
        raise ValueError(f"'{what}' contains no shape.")
    raise ValueError(message or f"'{what}' must have either 3 or 4 dimensions.")


def unbatch(out, is_batch, name=None):
    from ..ops.array import squeeze
    from ..ops.state import identity
    return identity(out, name=name) if is_batch else squeeze(out, axis=[0], name=name)


def image_dims(image, rank):
    """The dims of ``image``: python ints where static, scalar int32 tensors where known only at run time."""
    from ..ops.generate import shape
    dyn = None
    out = []
    for i in range(rank):
        d = image.shape[i]
        if d is None:
            dyn = shape(image) if dyn is None else dyn
            d = dyn[i]
        out.append(d)
    return out


def is_tensor(v):
    return isinstance(v._as_tensor() if hasattr(v, "_as_tensor") else v, Tensor)
