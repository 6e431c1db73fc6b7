"""Element structures: any nesting of tuple / dict / namedtuple around leaves (arrays or tensors), as ``tf.nest``
has them. Lists are leaves (TF converts a list to one tensor); dicts are walked in sorted key order."""

from ..graph import TensorShape

__all__ = ["flatten", "pack", "map_structure", "same_structure", "HasElementSpec"]


def _is_tuple(s):
    return isinstance(s, tuple) and not isinstance(s, TensorShape)  # a shape (output_shapes) is one leaf


# module-level recursion: a nested function that calls itself is a reference cycle, which would keep each
# element's leaves (and the blocks they view) alive until the garbage collector runs

def flatten(struct):
    """The leaves of ``struct`` in a fixed order."""
    out = []
    _walk(struct, out)
    return out


def _walk(s, out):
    if isinstance(s, dict):
        for k in sorted(s, key=repr):
            _walk(s[k], out)
    elif _is_tuple(s):
        for x in s:
            _walk(x, out)
    else:
        out.append(s)


def pack(struct, leaves):
    """``leaves`` (in ``flatten`` order) arranged as ``struct``."""
    return _build(struct, iter(leaves))


def _build(s, it):
    if isinstance(s, dict):
        vals = {k: _build(s[k], it) for k in sorted(s, key=repr)}
        return type(s)((k, vals[k]) for k in s)
    if _is_tuple(s) and hasattr(s, "_fields"):
        return type(s)(*[_build(x, it) for x in s])
    if _is_tuple(s):
        return tuple(_build(x, it) for x in s)
    return next(it)


def map_structure(fn, struct):
    return pack(struct, [fn(x) for x in flatten(struct)])


def same_structure(a, b):
    """Whether ``a`` and ``b`` nest the same way (leaves aside)."""
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and sorted(a, key=repr) == sorted(b, key=repr) and all(
            same_structure(a[k], b[k]) for k in a)
    if _is_tuple(a) or _is_tuple(b):
        return _is_tuple(a) and _is_tuple(b) and len(a) == len(b) and all(
            same_structure(x, y) for x, y in zip(a, b))
    return True


class HasElementSpec:
    """TF1's ``output_types`` and ``output_shapes``, derived from ``element_spec`` (datasets and iterators)."""

    @property
    def output_types(self):
        return map_structure(lambda s: s.dtype, self.element_spec)

    @property
    def output_shapes(self):
        return map_structure(lambda s: s.shape, self.element_spec)
