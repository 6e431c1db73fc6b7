"""Ranking: ``top_k`` (TF's ``TopKV2``, with its gradient), ``in_top_k``, ``sort``, ``argsort`` and
``confusion_matrix``.

``TopKV2`` works along the last axis: its lowering takes that axis whole in each block and keeps the rows chunked
(as the fused cross entropies in ``nn`` do), so a task holds one block of rows. ``sort`` and ``argsort`` are TF's
composites of it (a transpose to bring the axis last, a negation for ascending order), so ``sort`` gets its
gradient from ``top_k``'s; ``in_top_k`` and ``confusion_matrix`` are composites of reductions and
``unsorted_segment_sum``.
"""
import collections

import dask.array as da
from dask.base import tokenize
import numpy as np

from .. import backend, dtypes, errors
from ..graph import Tensor, TensorShape, control_dependencies, name_scope
from .array import reshape, squeeze, stack, transpose
from .generate import dim_size, ones_like
from .hostvalue import as_tensor, constant_value, host_lowered, host_scalar, int_arg
from .indexing import gather, one_hot, unsorted_segment_sum
from .math import Assert, cast, logical_and, where
from .reduce import reduce_all, reduce_max, reduce_sum
from .registry import fail_dtype
from .registry import apply, convert_to_tensor, defop, fail, register, tuple_outputs

__all__ = ["sort", "argsort", "confusion_matrix"]
NAMESPACES = {"math": ["top_k", "in_top_k", "confusion_matrix"], "nn": ["top_k", "in_top_k"]}


# -- TopKV2

def _top_k_block(x, k, want_sorted):
    """Values and int32 indices of the ``k`` largest entries of each row (last axis) of a block, largest first,
    equal values in order of index (TF's order)."""
    m = backend.xp(x)
    n = x.shape[-1]
    # a stable ascending sort of the reversed row, read backwards, is descending with ties by ascending index
    order = m.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    idx = (n - 1 - order).astype(m.int32)
    if not want_sorted:  # TF leaves the order unspecified; the indices in ascending order are one valid order
        idx = m.sort(idx, axis=-1)
    return m.take_along_axis(x, idx.astype(m.intp), axis=-1), idx


def _top_k_infer(op):
    x = op.inputs[0]
    if x.dtype.kind not in "fiu":
        fail_dtype(op, x, "a real numeric input")
    k = host_scalar(op, 1, "k")
    if k is not None and k < 0:
        fail(op, f"Need k >= 0, got {k}")
    if x.shape.ndims is None:
        return [(TensorShape(None), x.dtype), (TensorShape(None), dtypes.int32)]
    if x.shape.ndims < 1:
        fail(op, f"input must be at least 1-D, got '{x.name}' of shape {x.shape}")
    n = x.shape[-1]
    if None not in (k, n) and n < k:
        fail(op, f"input must have at least k columns. Had {n}, needed {k}")
    out = list(x.shape[:-1]) + [k]
    return [(out, x.dtype), (out, dtypes.int32)]


def _top_k_lower(op, x, _):
    k = int(host_lowered(op, 1, "k"))
    if x.ndim < 1:
        fail(op, f"input must be at least 1-D, got shape {list(x.shape)}")
    n = x.shape[-1]
    if n == n and n < k:  # n is nan for unknown chunk sizes
        fail(op, f"input must have at least k columns. Had {int(n)}, needed {k}")
    last = x.ndim - 1
    x = x.rechunk({last: -1})
    chunks = x.chunks[:-1] + ((k,),)
    token = tokenize(op.name, x.name, k, op.attrs["sorted"])
    packed = x.map_blocks(_top_k_block, k, op.attrs["sorted"], chunks=chunks, dtype=x.dtype,
                          meta=backend.meta(x, x.dtype), name=f"topk-{token}")
    return tuple_outputs(packed, [chunks, chunks], [backend.meta(x, x.dtype), backend.meta(x, np.int32)], "topk")


def _top_k_grad(op, dvalues, dindices):  # TF's _TopKGrad: dy scattered to the entries it came from
    x, indices = op.inputs[0], op.outputs[1]
    return [apply("TopKGrad", [dvalues, indices, int_arg(dim_size(x, -1), "n")], name="TopKGrad")[0], None]


defop("TopKV2", _top_k_infer, _top_k_lower, grad=_top_k_grad, scratch=4)


def _scatter_block(dy, idx, n):
    m = backend.xp(dy)
    out = m.zeros(dy.shape[:-1] + (n,), dtype=dy.dtype)
    m.put_along_axis(out, idx.astype(m.intp), dy, axis=-1)  # top_k's indices are distinct within a row
    return out


@register("TopKGrad")
class TopKGrad:
    """``out[..., idx[..., j]] = dy[..., j]`` along the last axis of size ``n``, zeros elsewhere: the gradient of
    ``TopKV2``, row blocks aligned with those of ``dy``."""

    def infer(op):
        dy, idx, _ = op.inputs
        n = host_scalar(op, 2, "n")
        if dy.shape.ndims is None:
            return [(TensorShape(None), dy.dtype)]
        return [(list(dy.shape[:-1]) + [n], dy.dtype)]

    def lower(op, dy, idx, _):
        n = int(host_lowered(op, 2, "n"))
        last = dy.ndim - 1
        dy = dy.rechunk({last: -1})
        idx = idx.rechunk(dy.chunks)
        return da.map_blocks(_scatter_block, dy, idx, n, chunks=dy.chunks[:-1] + ((n,),), dtype=dy.dtype,
                             meta=backend.meta(dy, dy.dtype))

    def grad(op, dz):  # the entries of dz that top_k took
        idx = op.inputs[1]
        b = idx.shape.ndims - 1
        return [gather(dz, idx, axis=b, batch_dims=b), None, None]


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])  # what TF's top_k returns


def top_k(input, k=1, sorted=True, name=None):
    """The ``k`` largest entries of each row (the last axis) of ``input`` and their indices.

    Parameters
    ----------
    input : Tensor
        Real numeric, at least 1-D, with at least ``k`` entries along its last axis.
    k : int or 0-d int Tensor
    sorted : bool
        Largest first (equal values in order of index, as TF); with False the order is left unspecified (here the
        entries come in order of index).

    Returns
    -------
    values, indices : Tensor
        Of shape ``input.shape[:-1] + [k]``; ``values`` of ``input``'s dtype, ``indices`` int32. The gradient
        with respect to ``input`` scatters that of ``values`` to ``indices``.

    Examples
    --------
    >>> import daskflow as df
    >>> v, i = df.nn.top_k([[1.0, 3.0, 3.0, 2.0]], k=2)
    >>> v.compute(), i.compute()
    (array([[3., 3.]], dtype=float32), array([[1, 2]], dtype=int32))
    """
    x = convert_to_tensor(input)
    return TopKV2(*apply("TopKV2", [x, int_arg(k, "k")], {"sorted": bool(sorted)}, name=name or "TopKV2"))


# -- composites

def in_top_k(predictions, targets, k, name=None):
    """Whether ``targets[i]`` is among the ``k`` largest of ``predictions[i]``: as TF's ``InTopKV2``, a target is
    in the top k when fewer than ``k`` entries of its row are strictly greater than its own (so ties all count),
    and rows with a non-finite prediction or an out-of-range target give False.

    ``predictions`` is float32 of shape [batch, classes], ``targets`` int32 or int64 of shape [batch]; the result
    is bool of shape [batch].
    """
    with name_scope(name, "in_top_k") as scope:
        p, t = convert_to_tensor(predictions), convert_to_tensor(targets)
        if p.dtype != dtypes.float32:
            raise TypeError(f"in_top_k: predictions must be float32, got '{p.name}' of dtype {p.dtype.name}")
        if t.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"in_top_k: targets must be int32 or int64, got '{t.name}' of dtype {t.dtype.name}")
        if p.shape.ndims not in (None, 2):
            raise errors.InvalidArgumentError(None, p.op, f"predictions must be 2-dimensional, got shape {p.shape}")
        if t.shape.ndims not in (None, 1):
            raise errors.InvalidArgumentError(None, t.op, f"targets must be 1-dimensional, got shape {t.shape}")
        rows, batch = (p.shape[0] if p.shape.ndims else None), (t.shape[0] if t.shape.ndims else None)
        if None not in (rows, batch) and rows != batch:
            raise errors.InvalidArgumentError(None, p.op, f"First dimension of predictions {rows} must match "
                                                          f"length of targets {batch}")
        k = as_tensor(k)
        k = cast(k, t.dtype) if isinstance(k, Tensor) else k
        n = dim_size(p, 1)
        hit = one_hot(t, n, on_value=True, off_value=False)  # a row of False for targets out of range
        own = reduce_sum(where(hit, p, p * 0), axis=1, keepdims=True)
        import daskflow as df
        more = reduce_sum(cast(df.greater(p, own), t.dtype), axis=1)
        valid = logical_and(df.reduce_any(hit, axis=1), reduce_all(df.is_finite(p), axis=1))
        return logical_and(valid, df.less(more, k), name=scope)


def _sort_impl(values, axis, direction, argsort):
    import daskflow as df
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"Argument `direction` should be one of ASCENDING, DESCENDING. Received: "
                         f"direction={direction}")
    a = constant_value(as_tensor(axis)) if isinstance(as_tensor(axis), Tensor) else axis
    if a is None or np.ndim(a) != 0:
        raise ValueError(f"Argument `axis` must be a constant scalar. Received: axis={axis}.")
    x = convert_to_tensor(values, name="values")
    a, nd = int(a), x.shape.ndims
    if nd is None:
        raise errors.UnimplementedError(None, x.op, f"sort needs '{x.name}' to have a known rank")
    if not -nd <= a < nd:
        raise ValueError(f"axis {a} is out of range for a tensor of rank {nd}")
    a %= nd
    if direction == "ASCENDING":  # TF's: a descending sort of an order-reversing map of the values
        if x.dtype.kind == "u":
            top = np.iinfo(x.dtype).max
            x = df.subtract(convert_to_tensor(top, dtype=x.dtype), x)
        elif x.dtype.kind == "i":
            x = -x - 1
        else:
            x = -x
    perm = None if a == nd - 1 else list(range(a)) + [nd - 1] + list(range(a + 1, nd - 1)) + [a]
    v, i = top_k(x if perm is None else transpose(x, perm), dim_size(x, a))
    out = i if argsort else v
    if perm is not None:
        out = transpose(out, perm)
    if argsort or direction == "DESCENDING":
        return out
    if x.dtype.kind == "u":
        return df.subtract(convert_to_tensor(np.iinfo(x.dtype).max, dtype=x.dtype), out)
    return -out - 1 if x.dtype.kind == "i" else -out


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis`` (a constant), in ``direction`` "ASCENDING" or "DESCENDING".

    As TF's: a ``top_k`` of the whole axis (moved last by a transpose), with the values negated for ascending
    order; gradients flow back through it.

    Examples
    --------
    >>> import daskflow as df
    >>> df.sort([3, 1, 2]).compute()
    array([1, 2, 3], dtype=int32)
    """
    with name_scope(name, "sort"):
        return _sort_impl(values, axis, direction, argsort=False)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """int32 indices that sort ``values`` along ``axis``, in ``direction``; equal values keep their order of index
    whatever ``stable`` says (TF's sort is stable)."""
    with name_scope(name, "argsort"):
        return _sort_impl(values, axis, direction, argsort=True)


def _squeezed_pair(labels, predictions):
    """TF's ``remove_squeezable_dimensions``: drop a last dim of size 1 from whichever of the two has one more dim."""
    lr, pr = labels.shape.ndims, predictions.shape.ndims
    if None not in (lr, pr):
        if lr - pr == 1 and labels.shape[-1] in (1, None):
            labels = squeeze(labels, [-1])
        elif pr - lr == 1 and predictions.shape[-1] in (1, None):
            predictions = squeeze(predictions, [-1])
    return labels, predictions


def _non_negative(x, message):
    return Assert(reduce_all(x >= 0), [message, x])


def confusion_matrix(labels, predictions, num_classes=None, dtype=dtypes.int32, name=None, weights=None):
    """The [num_classes, num_classes] matrix counting (or summing ``weights`` over) the examples of each pair
    (label, prediction): rows are labels, columns predictions.

    ``labels`` and ``predictions`` are 1-D integer class ids of the same length (a trailing dim of size 1 on one
    of them is squeezed, as TF does). Without ``num_classes`` it is one more than the largest id of either. Negative
    ids, and ids ``>= num_classes``, raise ``InvalidArgumentError`` when run.

    Examples
    --------
    >>> import daskflow as df
    >>> df.confusion_matrix([0, 1, 1], [1, 1, 0]).compute()
    array([[0, 1],
           [1, 1]], dtype=int32)
    """
    import daskflow as df
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "confusion_matrix"):
        labels, predictions = _squeezed_pair(convert_to_tensor(labels, name="labels"),
                                             convert_to_tensor(predictions, name="predictions"))
        if not labels.shape.is_compatible_with(predictions.shape):
            raise ValueError(f"confusion_matrix: labels of shape {labels.shape} and predictions of shape "
                             f"{predictions.shape} must have the same shape")
        labels, predictions = cast(labels, dtypes.int64), cast(predictions, dtypes.int64)
        checks = [_non_negative(labels, "`labels` contains negative values"),
                  _non_negative(predictions, "`predictions` contains negative values")]
        if num_classes is None:
            n = df.maximum(reduce_max(predictions), reduce_max(labels)) + 1
        else:
            n = cast(num_classes, dtypes.int64) if isinstance(as_tensor(num_classes), Tensor) else int(num_classes)
            checks += [Assert(reduce_all(df.less(labels, n)), ["`labels` out of bound", labels]),
                       Assert(reduce_all(df.less(predictions, n)), ["`predictions` out of bound", predictions])]
        if weights is None:
            values = ones_like(predictions, dtype=dtype)
        else:
            w = convert_to_tensor(weights, name="weights")
            if not predictions.shape.is_compatible_with(w.shape):
                raise ValueError(f"confusion_matrix: weights of shape {w.shape} must have the shape of predictions "
                                 f"{predictions.shape}")
            values = cast(w, dtype)
        with control_dependencies(checks):
            cells = unsorted_segment_sum(values, labels * n + predictions, n * n)
        return reshape(cells, stack([n, n]) if isinstance(n, Tensor) else [n, n])

