"""Levenshtein distance between the sequences of two SparseTensors (TF's EditDistance).

A sequence is the run of values that share all but the last index coordinate (in the order the entries come; the
last coordinate itself is not read). A host kernel: one task takes both sparse tensors whole and writes the dense
output, whose shape (the larger of the two dense shapes without their last dim) is known when the plan is made.
"""
import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from .image_boxes import _host
from .hostvalue import host_lowered, host_partial
from .registry import NOT_DIFFERENTIABLE, apply1, register
from .strings_map import refuse, where, whole

__all__ = ["edit_distance"]


def levenshtein(a, b):
    """The edit distance (insertions, deletions, substitutions, each costing 1) between 1-D arrays ``a``, ``b``."""
    n = len(b)
    steps = np.arange(n + 1)
    row = steps.copy()
    for x in a:
        diag = row[:-1] + (b != x)          # substitute (or match)
        up = row[1:] + 1                    # delete x
        cand = np.concatenate([[row[0] + 1], np.minimum(diag, up)])
        row = np.minimum.accumulate(cand - steps) + steps  # insert: row[j] = min_k cand[k] + (j - k)
    return int(row[-1])


def _groups(idx, vals, out_shape, label):
    """{flat output position: values in entry order} for a sparse tensor's sequences."""
    out = {}
    if idx.shape[0] == 0:
        return out
    keys = idx[:, :-1]
    size = int(np.prod(out_shape, dtype=np.int64))
    bad = ((keys < 0) | (keys >= np.asarray(out_shape, np.int64))).any(axis=1)
    flat = np.ravel_multi_index(tuple(np.where(bad[:, None], 0, keys).T), out_shape) if len(out_shape) else \
        np.zeros(len(keys), np.int64)
    if bad.any():
        i = int(np.argmax(bad))
        inner = int(np.dot(keys[i], np.cumprod((list(out_shape[1:]) + [1])[::-1])[::-1]))
        raise errors.InternalError(
            None, None, f"Got an inner product {inner} which would require writing to outside of the buffer for the "
                        f"output tensor (max elements {size}) {label}")
    order = np.argsort(flat, kind="stable")
    flat_sorted = flat[order]
    starts = np.flatnonzero(np.r_[True, flat_sorted[1:] != flat_sorted[:-1]])
    for s, e in zip(starts, np.r_[starts[1:], len(order)]):
        out[int(flat_sorted[s])] = vals[order[s:e]]
    return out


def _edit_block(h_idx, h_vals, t_idx, t_vals, out_shape, normalize, label):
    xp = backend.xp(h_idx)  # a host kernel: cupy chunks come back as cupy arrays
    h_idx, h_vals, t_idx, t_vals = (_host(v) for v in (h_idx, h_vals, t_idx, t_vals))
    return xp.asarray(_distances(h_idx, h_vals, t_idx, t_vals, tuple(out_shape), normalize, label))


def _distances(h_idx, h_vals, t_idx, t_vals, out_shape, normalize, label):
    hyp = _groups(np.asarray(h_idx, np.int64), np.asarray(h_vals), out_shape, label)
    truth = _groups(np.asarray(t_idx, np.int64), np.asarray(t_vals), out_shape, label)
    out = np.zeros(int(np.prod(out_shape, dtype=np.int64)), np.float32)
    empty = np.asarray(h_vals)[:0]
    for k in set(hyp) | set(truth):
        h, t = hyp.get(k, empty), truth.get(k, empty)
        d = float(levenshtein(h, t))
        if normalize:
            d = d / len(t) if len(t) else np.inf  # a sequence is in hyp when truth has none, so d > 0
        out[k] = d
    return out.reshape(out_shape)


@register("EditDistance")
class EditDistance:
    """Inputs: hypothesis indices, values, shape, then truth indices, values, shape; attr ``normalize``. Output:
    float32 distances of shape ``max(hypothesis_shape[:-1], truth_shape[:-1])``."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        hv, tv = op.inputs[1], op.inputs[4]
        if hv.dtype != tv.dtype:
            raise TypeError(f"Input 'truth_values' of 'EditDistance' Op has type {dtypes.name(tv.dtype)} that does "
                            f"not match type {dtypes.name(hv.dtype)} of argument 'hypothesis_values'.")
        shapes = [host_partial(op, i, "dense_shape") for i in (2, 5)]
        ranks = [op.inputs[i].shape[0] if op.inputs[i].shape.ndims == 1 else None for i in (2, 5)]
        for r, who in zip(ranks, ("Hypothesis", "Truth")):
            if r is not None and r < 2:
                refuse(op, f"Input {who} SparseTensors must have rank at least 2, but {who.lower()}_shape rank "
                           f"is: {r}", ValueError)
        if None not in ranks and ranks[0] != ranks[1]:
            refuse(op, f"Num elements of hypothesis_shape does not match truth_shape: {ranks[0]} vs. {ranks[1]}",
                   ValueError)
        rank = next((r for r in ranks if r is not None), None)
        if rank is None:
            return [(None, dtypes.float32)]
        dims = [None] * (rank - 1)
        if all(s is not None for s in shapes):
            dims = [None if a is None or b is None else max(int(a), int(b))
                    for a, b in zip(shapes[0][:-1], shapes[1][:-1])]
        return [(dims, dtypes.float32)]

    def lower(op, h_idx, h_vals, h_shape, t_idx, t_vals, t_shape):
        hs, ts = (host_lowered(op, i, "dense_shape") for i in (2, 5))
        if len(hs) != len(ts):
            raise errors.InvalidArgumentError(
                None, op, f"hypothesis_shape and truth_shape must have the same rank, got {len(hs)} and {len(ts)} "
                          f"{where(op)}")
        if len(hs) < 2:
            raise errors.InvalidArgumentError(
                None, op, f"Input SparseTensors must have rank at least 2, but rank is: {len(hs)} {where(op)}")
        out_shape = tuple(int(max(a, b)) for a, b in zip(hs[:-1], ts[:-1]))
        out_ix = tuple(f"o{d}" for d in range(len(out_shape)))
        return da.blockwise(_edit_block, out_ix, whole(h_idx), "ab", whole(h_vals), "c", whole(t_idx), "de",
                            whole(t_vals), "f", new_axes=dict(zip(out_ix, out_shape)), concatenate=True,
                            out_shape=out_shape, normalize=op.attrs["normalize"], label=where(op),
                            dtype=np.float32, meta=backend.meta(h_idx, np.float32, len(out_shape)))


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """Computes the Levenshtein distance between sequences.

    The sequences are those of ``hypothesis`` and ``truth`` (SparseTensors of the same rank ``R`` and value
    dtype), grouped by the first ``R - 1`` index coordinates; the output is dense, float32, of shape
    ``max(hypothesis.dense_shape[:-1], truth.dense_shape[:-1])``, 0 where neither has a sequence. With
    ``normalize``, each distance is divided by the length of the truth sequence (``inf`` where truth is empty).

    Examples
    --------
    >>> import daskflow as df
    >>> h = df.SparseTensor([[0, 0, 0], [1, 0, 0]], ["a", "b"], (2, 1, 1))
    >>> t = df.SparseTensor([[0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 0]], ["a", "b", "c", "a"], (2, 2, 2))
    >>> df.Session().run(df.edit_distance(h, t))
    array([[inf, 1. ],
           [0.5, 1. ]], dtype=float32)
    """
    from ..sparse.tensor import SparseTensor
    for sp, what in ((hypothesis, "Hypothesis"), (truth, "Truth")):
        if not isinstance(sp, SparseTensor):
            raise TypeError(f"{what} must be a SparseTensor.")
    inputs = [hypothesis.indices, hypothesis.values, hypothesis.dense_shape,
              truth.indices, truth.values, truth.dense_shape]
    return apply1("EditDistance", inputs, {"normalize": bool(normalize)}, name=name)
