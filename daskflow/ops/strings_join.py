"""String reductions: reduce_join, unsorted_segment_join and ngrams.

Joins take the axes they reduce whole in one block (strings are small next to the memory a task may hold)."""
import math

import dask.array as da
import numpy as np

from .. import dtypes, errors
from .hostvalue import host_lowered, host_scalar
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, register
from .strings_map import check_strings, meta, refuse, where, whole

__all__ = ["reduce_join", "unsorted_segment_join", "ngrams"]


# -- reduce_join

def _join_axes(x, axes, keepdims, separator):
    """``separator.join`` of the strings of ``x`` along ``axes``, the first of ``axes`` varying fastest."""
    rest = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, rest + list(axes)[::-1]).reshape([x.shape[d] for d in rest] + [-1])
    out = np.empty(moved.shape[:-1], dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = separator.join(moved[idx])
    if keepdims:
        out = out.reshape([1 if d in axes else x.shape[d] for d in range(x.ndim)])
    return out


@register("ReduceJoin")
class ReduceJoin:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        check_strings(op, [x], "inputs")
        axes, keep = op.attrs["axes"], op.attrs["keep_dims"]
        if x.shape.ndims is None:
            return [(None, dtypes.string)]
        dims = list(x.shape)
        return [([1 if d in axes else n for d, n in enumerate(dims)] if keep else
                 [n for d, n in enumerate(dims) if d not in axes], dtypes.string)]

    def lower(op, x):
        axes, keep = op.attrs["axes"], op.attrs["keep_dims"]
        x = whole(x, axes)
        chunks = tuple(((1,) if keep else None) if d in axes else c for d, c in enumerate(x.chunks))
        return x.map_blocks(_join_axes, axes=axes, keepdims=keep, separator=op.attrs["separator"],
                            chunks=tuple(c for c in chunks if c is not None), drop_axis=[] if keep else list(axes),
                            dtype=dtypes.string, meta=meta(dtypes.string, len([c for c in chunks if c is not None])))


def _reduction_axes(x, axis, fn_name):
    ndim = x.shape.ndims
    if axis is None:
        if ndim is None:
            raise ValueError(f"{fn_name} needs '{x.name}' to have a known rank to reduce all its dimensions")
        return tuple(range(ndim - 1, -1, -1))  # row-major: the last axis varies fastest
    axes = [int(a) for a in np.ravel(axis)]
    if ndim is None:
        raise ValueError(f"{fn_name} needs '{x.name}' to have a known rank")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Invalid reduction dimension {a} for input with {ndim} dimensions.")
        if a % ndim in out:
            raise errors.InvalidArgumentError(None, x.op, f"Duplicate reduction dimension {a}")
        out.append(a % ndim)
    return tuple(out)


def reduce_join(inputs, axis=None, keep_dims=None, separator="", name=None, reduction_indices=None, keepdims=None):
    """Join the strings of ``inputs`` along ``axis`` (all axes when None, in row-major order), with ``separator``
    between them (TF's ``reduce_join``). Along several axes the first listed varies fastest, as in TF. ``keepdims``
    (or TF1's ``keep_dims``) keeps the joined axes with length 1.

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.reduce_join([["a", "b"], ["c", "d"]], axis=1, separator="-"))
    array([b'a-b', b'c-d'], dtype=object)
    """
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'")
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    x = convert_to_tensor(inputs, dtype_hint=dtypes.string)
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    attrs = {"axes": _reduction_axes(x, axis, "reduce_join"), "keep_dims": keep, "separator": sep}
    return apply1("ReduceJoin", [x], attrs, name=name or "ReduceJoin")


# -- unsorted_segment_join

def _segment_join(data, ids, num, separator, where_):
    data, ids = np.asarray(data, dtype=object), np.asarray(ids)  # 0-d blocks may come as their element
    if ids.size and (ids.min() < 0 or ids.max() >= num):
        raise errors.InvalidArgumentError(None, None, "segment_ids are not allowed to exceed num_segments or to "
                                                      f"have negative values. {where_}")
    tail = data.shape[ids.ndim:]
    rows = data.reshape(ids.size, math.prod(tail))  # a row per segment id, its trailing dims flattened
    out = [[[] for _ in range(rows.shape[1])] for _ in range(num)]
    for r, s in enumerate(ids.reshape(-1)):
        for c in range(rows.shape[1]):
            out[s][c].append(rows[r, c])
    flat = np.empty((num, rows.shape[1]), dtype=object)
    for s in range(num):
        for c in range(rows.shape[1]):
            flat[s, c] = separator.join(out[s][c])
    return flat.reshape((num,) + tail)


@register("UnsortedSegmentJoin")
class UnsortedSegmentJoin:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x, ids, _ = op.inputs
        check_strings(op, [x], "inputs")
        if ids.dtype.kind not in "iu":
            refuse(op, f"segment_ids must be int32 or int64, got '{ids.name}' of dtype {dtypes.name(ids.dtype)}",
                   TypeError)
        k = ids.shape.ndims
        if k is not None and x.shape.ndims is not None:
            lead = x.shape[:k] if x.shape.ndims >= k else None
            if lead is None or not lead.is_compatible_with(ids.shape):
                refuse(op, f"segment_ids shape {ids.shape} is not a prefix of inputs shape {x.shape}", ValueError)
        num = host_scalar(op, 2, "num_segments")
        if num is not None and num < 0:
            fail(op, f"num_segments must be non-negative, got {num}")
        tail = None if k is None or x.shape.ndims is None else list(x.shape)[k:]
        return [(None if tail is None else [num] + tail, dtypes.string)]

    def lower(op, x, ids, _):
        num = int(host_lowered(op, 2, "num_segments"))
        k = ids.ndim  # the leading axes, whole in one task; the trailing ones block by block
        lead, tail = tuple(f"i{d}" for d in range(k)), tuple(f"t{d}" for d in range(k, x.ndim))
        return da.blockwise(_segment_join, ("s",) + tail, whole(x, range(k)), lead + tail, whole(ids), lead,
                            concatenate=True, new_axes={"s": num}, num=num, separator=op.attrs["separator"],
                            where_=where(op), dtype=dtypes.string, meta=meta(dtypes.string, 1 + len(tail)))


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Join the strings of ``inputs`` by segment (TF's ``strings.unsorted_segment_join``): output row ``s`` joins,
    in order and with ``separator``, the rows of ``inputs`` whose ``segment_ids`` are ``s``; segments with no row
    are empty strings. ``segment_ids`` has the leading shape of ``inputs``; the output has shape
    ``[num_segments] + inputs.shape[segment_ids.ndim:]``."""
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    ids = convert_to_tensor(segment_ids, dtype_hint=dtypes.int32)
    num = convert_to_tensor(num_segments, dtype_hint=dtypes.int32)
    return apply1("UnsortedSegmentJoin", [inputs, ids, num], {"separator": sep}, name=name or "UnsortedSegmentJoin")


# -- ngrams

def _ngram_count(n, widths, pad, preserve):
    total = sum(max(0, n + 2 * p - w + 1) for w, p in zip(widths, pad))
    return 1 if preserve and total == 0 and n > 0 else total


def _ngrams(x, widths, pad, left, right, separator, preserve):
    n = x.shape[-1]
    out = np.empty(x.shape[:-1] + (_ngram_count(n, widths, pad, preserve),), dtype=object)
    for idx in np.ndindex(x.shape[:-1]):
        row, grams = list(x[idx]), []
        for w, p in zip(widths, pad):
            seq = [left] * p + row + [right] * p
            grams.extend(separator.join(seq[i:i + w]) for i in range(len(seq) - w + 1))
        if not grams and preserve and row:
            grams = [separator.join(row)]
        for j, g in enumerate(grams):
            out[idx + (j,)] = g
    return out


@register("StringNGrams")
class StringNGrams:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x, a = op.inputs[0], op.attrs
        check_strings(op, [x], "data")
        if x.shape.ndims is None:
            return [(None, dtypes.string)]
        n = x.shape[-1]
        m = None if n is None else _ngram_count(n, a["widths"], a["pad"], a["preserve"])
        return [(list(x.shape[:-1]) + [m], dtypes.string)]

    def lower(op, x):
        a = op.attrs
        x = whole(x, [-1])
        n = x.shape[-1]  # nan: known only when the op runs
        m = n if math.isnan(n) else _ngram_count(n, a["widths"], a["pad"], a["preserve"])
        return x.map_blocks(_ngrams, widths=a["widths"], pad=a["pad"], left=a["left"], right=a["right"],
                            separator=a["separator"], preserve=a["preserve"], chunks=x.chunks[:-1] + ((m,),),
                            dtype=dtypes.string, meta=meta(dtypes.string, x.ndim))


def _bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None, preserve_short_sequences=False,
           name=None):
    """The n-grams of the last axis of ``data`` for each width of ``ngram_width`` (an int or a list), joined with
    ``separator`` (TF's ``strings.ngrams``), all n-grams of the first width, then of the next. With ``pad_values``
    (one string, or a (left, right) pair) each sequence is padded with ``padding_width`` (default ``width - 1``)
    values on each side; ``preserve_short_sequences`` gives a sequence too short for any n-gram as one n-gram of
    itself. ``data`` is dense: every sequence has the same length, and so does the output's last axis."""
    widths = [int(w) for w in (ngram_width if isinstance(ngram_width, (list, tuple)) else [ngram_width])]
    bad = [w for w in widths if w <= 0]
    if bad:
        raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
    if pad_values is None:
        left = right = b""
        pad = [0] * len(widths)
    else:
        left, right = (pad_values, pad_values) if isinstance(pad_values, (str, bytes)) else pad_values
        left, right = _bytes(left), _bytes(right)
        if padding_width is not None and int(padding_width) <= 0:
            raise ValueError(f"padding_width must be greater than 0. Got {padding_width}")
        pad = [0 if w == 1 else (w - 1 if padding_width is None else min(int(padding_width), w - 1))
               for w in widths]
    x = convert_to_tensor(data, dtype_hint=dtypes.string)
    if x.shape.ndims == 0:
        raise ValueError("Data must have rank>0")
    attrs = {"widths": tuple(widths), "pad": tuple(pad), "left": left, "right": right,
             "separator": _bytes(separator), "preserve": bool(preserve_short_sequences)}
    return apply1("StringNGrams", [x], attrs, name=name or "StringNGrams")
