"""``ragged_fill_empty_rows`` and its gradient op ``ragged_fill_empty_rows_grad`` (TF's raw ops of those names):
the values of a ragged tensor given by ``value_rowids``, with one ``default_value`` added to each empty row.

Both are host kernels over whole vectors (one task): the number of output values is known only when run."""
import collections

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from ..graph import name_scope
from ..ops.generate import fill, ones_like, shape as _shape
from ..ops.hostvalue import host_lowered
from ..ops.indexing import unsorted_segment_sum
from ..ops.math import maximum
from ..ops.reduce import reduce_sum
from ..ops.registry import apply, convert_to_tensor, register, tuple_outputs
from ..ops.scatter import scatter_nd
from ..ops.array import expand_dims
from ..ops.strings_map import refuse, where as _where, whole

__all__ = ["ragged_fill_empty_rows", "ragged_fill_empty_rows_grad"]

RaggedFillEmptyRows = collections.namedtuple(
    "RaggedFillEmptyRows", ["output_value_rowids", "output_values", "empty_row_indicator", "reverse_index_map"])
RaggedFillEmptyRowsGrad = collections.namedtuple("RaggedFillEmptyRowsGrad", ["d_values", "d_default_value"])


def _rank(op, t, rank):
    if t.shape.ndims is not None and t.shape.ndims != rank:
        refuse(op, f"Shape must be rank {rank} but is rank {t.shape.ndims}", ValueError)


def _fill_kernel(rowids, values, nrows, default, where_):
    xp = backend.xp(values)
    n = int(nrows)
    if len(rowids) != len(values):
        raise errors.InvalidArgumentError(None, None, f"value_rowids and values must have the same size, got "
                                          f"{len(rowids)} and {len(values)} {where_}")
    if rowids.size and (int(rowids.min()) < 0 or int(rowids.max()) >= n):
        raise errors.InvalidArgumentError(None, None, f"value_rowids must be in [0, nrows = {n}) {where_}")
    counts = xp.bincount(rowids, minlength=n)[:n]
    empty = counts == 0
    empty_ids = xp.nonzero(empty)[0].astype(rowids.dtype)
    ids = xp.concatenate([rowids, empty_ids])
    perm = xp.argsort(ids, kind="stable")
    defaults = xp.full(len(empty_ids), default, dtype=values.dtype)
    inverse = xp.empty_like(perm)
    inverse[perm] = xp.arange(len(perm), dtype=perm.dtype)
    return (ids[perm], xp.concatenate([values, defaults])[perm], empty,
            inverse[:len(rowids)].astype(np.int64))


@register("RaggedFillEmptyRows")
class _FillEmptyRows:
    strings = True

    def infer(op):
        rowids, values, nrows, default, size = op.inputs
        for t, r in zip(op.inputs, (1, 1, 0, 0, 0)):
            _rank(op, t, r)
        if rowids.dtype != dtypes.int64 or nrows.dtype != dtypes.int64:
            refuse(op, "value_rowids and nrows must be int64", TypeError)
        if default.dtype != values.dtype:
            refuse(op, f"default_value must have the dtype of values ({dtypes.name(values.dtype)})", TypeError)
        if not rowids.shape[:1].is_compatible_with(values.shape[:1]):
            refuse(op, f"value_rowids and values must have the same size, got {rowids.shape[0]} and "
                       f"{values.shape[0]}", ValueError)
        from ..ops.hostvalue import constant_value
        n, m = constant_value(nrows), constant_value(size)
        m = None if m is None else int(m)
        return [((m,), dtypes.int64), ((m,), values.dtype), ((None if n is None else int(n),), dtypes.bool),
                (rowids.shape, dtypes.int64)]

    def lower(op, rowids, values, nrows, default, size):
        # the output size (values plus empty rows) is computed before the run, so the outputs have known chunks
        m, n = int(host_lowered(op, 4, "output size")), int(host_lowered(op, 2, "nrows"))
        packed = da.blockwise(_fill_kernel, (), whole(rowids), "i", whole(values), "j", nrows, (), default, (),
                              concatenate=True, where_=_where(op), dtype=object, meta=np.empty((), object))
        chunks = [((m,),), ((m,),), ((n,),), ((sum(rowids.chunks[0]),),)]
        metas = [backend.meta(rowids, np.int64, 1), backend.meta(values, values.dtype, 1),
                 backend.meta(rowids, bool, 1), backend.meta(rowids, np.int64, 1)]
        return tuple_outputs(packed, chunks, metas, "ragged-fill-empty-rows")

    def grad(op, d_rowids, d_values, d_empty, d_reverse):
        if d_values is None:
            return [None] * 5
        dv, dd = apply("RaggedFillEmptyRowsGrad", [op.outputs[3], d_values], {}, name="RaggedFillEmptyRowsGrad")
        return [None, dv, None, dd, None]


def _grad_kernel(reverse, grads):
    xp = backend.xp(grads)
    d_values = grads[reverse]
    kept = xp.zeros(len(grads), dtype=bool)
    kept[reverse] = True
    return d_values, grads[~kept].sum(dtype=grads.dtype)


@register("RaggedFillEmptyRowsGrad")
class _FillEmptyRowsGrad:
    def infer(op):
        reverse, grads = op.inputs
        _rank(op, reverse, 1)
        _rank(op, grads, 1)
        if reverse.dtype != dtypes.int64:
            refuse(op, "reverse_index_map must be int64", TypeError)
        return [(reverse.shape, grads.dtype), ((), grads.dtype)]

    def lower(op, reverse, grads):
        packed = da.blockwise(_grad_kernel, (), whole(reverse), "i", whole(grads), "j", concatenate=True,
                              dtype=object, meta=np.empty((), object))
        chunks = [((sum(reverse.chunks[0]),),), ()]
        return tuple_outputs(packed, chunks, [backend.meta(grads, grads.dtype, 1), backend.meta(grads, grads.dtype, 0)],
                             "ragged-fill-empty-rows-grad")

    def grad(op, dd_values, dd_default):
        # linear in grad_values: each position gets dd_default, except those reverse_index_map names
        reverse, grads = op.inputs
        size = _shape(grads, out_type=dtypes.int64)
        dd_default = convert_to_tensor(np.zeros((), grads.dtype)) if dd_default is None else dd_default
        dd_values = fill(_shape(reverse, out_type=dtypes.int64), dd_default * 0) if dd_values is None else dd_values
        return [None, fill(size, dd_default) + scatter_nd(expand_dims(reverse, 1), dd_values - dd_default, size)]


def ragged_fill_empty_rows(value_rowids, values, nrows, default_value, name=None):
    """The values of a ragged tensor with ``nrows`` rows (``values[j]`` in row ``value_rowids[j]``) with one
    ``default_value`` put in each empty row, in row order. Returns ``(output_value_rowids, output_values,
    empty_row_indicator, reverse_index_map)``: the new row ids and values, whether each row was empty, and where
    each input value went (TF's ``ragged_fill_empty_rows``).

    Examples
    --------
    >>> import daskflow as df
    >>> out = df.ragged_fill_empty_rows(df.constant([1, 1, 3], df.int64), [1.0, 2.0, 3.0],
    ...                                 df.constant(4, df.int64), -1.0)
    >>> with df.Session() as s:
    ...     s.run(out.output_values)
    array([-1.,  1.,  2., -1.,  3.], dtype=float32)
    """
    with name_scope(name, "RaggedFillEmptyRows"):
        values = convert_to_tensor(values, name="values")
        rowids = convert_to_tensor(value_rowids, dtype=dtypes.int64, name="value_rowids")
        nrows = convert_to_tensor(nrows, dtype=dtypes.int64, name="nrows")
        counts = unsorted_segment_sum(ones_like(rowids), rowids, nrows) if rowids.shape.ndims == 1 else rowids
        size = reduce_sum(maximum(counts, np.int64(1)))  # each row keeps its values, or gets one default
        inputs = [rowids, values, nrows, convert_to_tensor(default_value, dtype=values.dtype, name="default_value"),
                  size]
        return RaggedFillEmptyRows(*apply("RaggedFillEmptyRows", inputs, {}, name="RaggedFillEmptyRows"))


def ragged_fill_empty_rows_grad(reverse_index_map, grad_values, name=None):
    """The gradient of ``ragged_fill_empty_rows``: ``d_values = grad_values[reverse_index_map]`` and
    ``d_default_value``, the sum of ``grad_values`` at the positions no input value went to (TF's
    ``ragged_fill_empty_rows_grad``)."""
    with name_scope(name, "RaggedFillEmptyRowsGrad"):
        inputs = [convert_to_tensor(reverse_index_map, dtype=dtypes.int64, name="reverse_index_map"),
                  convert_to_tensor(grad_values, name="grad_values")]
        return RaggedFillEmptyRowsGrad(*apply("RaggedFillEmptyRowsGrad", inputs, {},
                                              name="RaggedFillEmptyRowsGrad"))
