"""TF1's higher-order functions over the first dimension: ``map_fn``, ``scan``, ``foldl``, ``foldr``.

Each is a ``while_loop`` over the rows, reading them from a ``TensorArray`` of the elements and writing the
results into ``TensorArray`` s, as TF builds them: so they run as loops do (one plan for the body, whatever the
number of rows) and have gradients through the loop's.
"""
import numpy as np

from ..graph import name_scope
from ..nest import flatten, pack_sequence_as
from .loops import while_loop
from .registry import convert_to_tensor

__all__ = ["map_fn", "scan", "foldl", "foldr"]


def _elems(elems, what):
    flat = [convert_to_tensor(e) for e in flatten(elems)]
    if not flat:
        raise ValueError(f"{what} needs at least one tensor in elems")
    for e in flat:
        if e.shape.ndims == 0:
            raise ValueError(f"{what}'s elems must have at least one dimension to unstack: '{e.name}' is a scalar")
    return flat


def _rows(flat):
    """The number of rows: a python int when known when the graph is built, else a scalar tensor."""
    n = flat[0].shape[0] if flat[0].shape.ndims else None
    if n is not None:
        return n
    from .generate import shape
    return shape(flat[0])[0]


def _arrays(flat, n):
    from .tensor_array import TensorArray
    return [TensorArray(e.dtype, size=n, element_shape=e.shape[1:], infer_shape=True).unstack(e) for e in flat]


def _out_arrays(dtypes, n, infer_shape):
    from .tensor_array import TensorArray
    return [TensorArray(dt, size=n, infer_shape=infer_shape) for dt in dtypes]


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None, fn_output_signature=None):
    """``fn`` applied to each row of ``elems`` (a tensor, or a nested structure of tensors sharing their first
    dimension), the results stacked (TF1's ``tf.map_fn``). ``dtype`` (or ``fn_output_signature``) gives the
    structure and dtypes of ``fn``'s results when they differ from ``elems``'.

    Examples
    --------
    >>> import daskflow as df
    >>> sq = df.map_fn(lambda r: df.reduce_sum(r * r), df.constant([[1.0, 2.0], [3.0, 4.0]]))
    >>> with df.Session() as s:
    ...     s.run(sq).tolist()
    [5.0, 25.0]
    """
    flat = _elems(elems, "map_fn")
    signature = dtype if dtype is not None else fn_output_signature
    out_struct = signature if signature is not None else pack_sequence_as(elems, [e.dtype for e in flat])
    out_dtypes = [np.dtype(d.dtype if hasattr(d, "dtype") and not isinstance(d, np.dtype) else d)
                  for d in flatten(out_struct)]
    with name_scope(name or "map"):
        n = _rows(flat)
        ins = _arrays(flat, n)

        def body(i, outs):
            x = pack_sequence_as(elems, [ta.read(i) for ta in ins])
            ys = [convert_to_tensor(y) for y in flatten(fn(x))]
            if len(ys) != len(outs):
                raise ValueError(f"map_fn's fn returned {len(ys)} tensors where its dtype structure has {len(outs)}:"
                                 f" give dtype the structure of fn's output")
            return i + 1, [ta.write(i, y) for ta, y in zip(outs, ys)]
        _, outs = while_loop(lambda i, outs: i < n, body, [0, _out_arrays(out_dtypes, n, infer_shape)],
                             parallel_iterations=parallel_iterations, back_prop=back_prop, name="while")
        return pack_sequence_as(out_struct, [ta.stack() for ta in outs])


def _fold(fn, elems, initializer, reverse, what, keep):
    flat = _elems(elems, what)
    n = _rows(flat)
    ins = _arrays(flat, n)
    from .math import subtract

    def row(i):
        return subtract(n - 1, i) if reverse else i

    def element(i):
        return pack_sequence_as(elems, [ta.read(row(i)) for ta in ins])
    start = 0
    if initializer is None:  # the first element (the last, reversed) is the initial accumulator
        a0 = element(convert_to_tensor(0))
        start = 1
    else:
        a0 = initializer
    a0_flat = [convert_to_tensor(a) for a in flatten(a0)]
    a0 = pack_sequence_as(a0, a0_flat)
    outs = _out_arrays([a.dtype for a in a0_flat], n, True) if keep else []
    if keep and start:
        outs = [ta.write(row(convert_to_tensor(0)), a) for ta, a in zip(outs, a0_flat)]

    def body(i, a, outs):
        a = fn(a, element(i))
        a_flat = [convert_to_tensor(v) for v in flatten(a)]
        return i + 1, pack_sequence_as(a0, a_flat), [ta.write(row(i), v) for ta, v in zip(outs, a_flat)]
    _, a, outs = while_loop(lambda i, a, outs: i < n, body, [start, a0, outs], name="while")
    if keep:
        return pack_sequence_as(a0, [ta.stack() for ta in outs])
    return a


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, infer_shape=True,
         reverse=False, name=None):
    """The running ``a = fn(a, row)`` over the rows of ``elems`` (the last first with ``reverse``), every ``a``
    stacked (TF1's ``tf.scan``); ``a`` starts at ``initializer``, or at the first row (which is then the first
    result)."""
    with name_scope(name or "scan"):
        return _fold(fn, elems, initializer, reverse, "scan", keep=True)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``a = fn(a, row)`` over the rows of ``elems`` from the first; the last ``a`` (TF1's ``tf.foldl``)."""
    with name_scope(name or "foldl"):
        return _fold(fn, elems, initializer, False, "foldl", keep=False)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``a = fn(a, row)`` over the rows of ``elems`` from the last; the last ``a`` (TF1's ``tf.foldr``)."""
    with name_scope(name or "foldr"):
        return _fold(fn, elems, initializer, True, "foldr", keep=False)

