"""Connectionist temporal classification (TF's ``tf.nn.ctc_*``): the CTC loss, the greedy and beam search
decoders, and the label helpers ``ctc_unique_labels`` and ``collapse_repeated``.

The loss is one op, ``CTCLoss``: a forward-backward dynamic program over time in log space, one task per block of
the batch (time and classes whole), giving the loss and its gradient with respect to the logits at once, as TF's
kernel does. Its labels come dense (``[batch, max_len]`` and a length per row): ``ctc_loss`` turns TF1's
SparseTensor labels into that form. The beam search decoder is an op too (``CTCBeamSearchDecoder``, a prefix tree
per batch row, on the host); the greedy decoder and the label helpers are composites.
"""
import math
import operator

import dask.array as da
import numpy as np
from dask._task_spec import Task, TaskRef
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from .. import backend, dtypes, errors
from ..graph import TensorShape, name_scope
from .array import expand_dims
from .nn import _is_zero, _t
from .registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, fail, register

__all__ = []
NAMESPACES = {"nn": ["ctc_loss", "ctc_loss_v2", "ctc_greedy_decoder", "ctc_beam_search_decoder",
                     "ctc_beam_search_decoder_v2", "ctc_unique_labels", "collapse_repeated"]}

_NO_SECOND = ("Gradient explicitly disabled. Reason: Currently there is no way to take the second derivative of "
              "ctc_loss due to the fused implementation's interaction with tf.gradients()")


def _host(a):
    return a.get() if backend.is_gpu(a) else np.asarray(a)


def _raise(label, message, cls=errors.InvalidArgumentError):
    raise cls(None, None, f"{message} [{label}]")


# -- the loss kernel: one block of the batch, time and classes whole

def _row_labels(labels, b, num_classes, collapse, label):
    """Row ``b``'s labels as TF's CTC kernel reads them: repeats dropped with ``collapse``, and the labels from the
    first one >= num_classes - 1 (the blank) on dropped, which must all be such."""
    out, finished = [], False
    for i, v in enumerate(labels):
        if i and collapse and v == labels[i - 1]:
            continue
        if v >= num_classes - 1:
            finished = True
        elif finished:
            _raise(label, f"Saw a non-null label (index >= num_classes - 1) following a null label, batch: {b} "
                          f"num_classes: {num_classes} labels: {','.join(map(str, labels))} labels seen so far: "
                          f"{','.join(map(str, out))}")
        else:
            out.append(v)
    if any(v < 0 for v in labels):
        _raise(label, f"All labels must be nonnegative integers, batch: {b} labels: {','.join(map(str, labels))}")
    return out


def _prepare(labels, label_len, seq_len, max_time, num_classes, attrs, offset, label):
    """The extended label sequences (blank, l1, blank, l2, ..., blank) of the block's rows as an int array
    ``[b, S]`` padded with blanks, their lengths, and which rows are dropped (labels longer than the sequence,
    with ``ignore_longer_outputs_than_inputs``)."""
    seqs, dropped = [], []
    for i in range(len(seq_len)):
        b = offset + i
        if seq_len[i] < 0:
            _raise(label, f"seq_len({b}) < 0")
        if seq_len[i] > max_time:
            _raise(label, f"sequence_length({b}) <= {max_time}")
        if attrs["strict"] and label_len[i] == 0:
            _raise(label, f"Labels length is zero in batch {b}")
        full = [int(v) for v in labels[i, :label_len[i]]]
        seq = _row_labels(full, b, num_classes, attrs["preprocess_collapse_repeated"], label)
        short = len(full) > seq_len[i]
        if short and attrs["strict"] and not attrs["ignore_longer_outputs_than_inputs"]:
            _raise(label, f"Not enough time for target transition sequence (required: {len(full)}, available: "
                          f"{int(seq_len[i])}){b}You can turn this error into a warning by using the flag "
                          "ignore_longer_outputs_than_inputs")
        seqs.append(seq)
        dropped.append(short and attrs["ignore_longer_outputs_than_inputs"])
    width = 2 * max((len(s) for s in seqs), default=0) + 1
    ext = np.full((len(seqs), width), num_classes - 1, np.int64)
    for i, s in enumerate(seqs):
        ext[i, 1:2 * len(s):2] = s
    return ext, np.array([2 * len(s) + 1 for s in seqs], np.int64), np.array(dropped, bool)


def _lse(m, *xs):
    top = xs[0]
    for x in xs[1:]:
        top = m.maximum(top, x)
    safe = m.where(m.isfinite(top), top, 0.0)
    total = sum(m.exp(x - safe) for x in xs)
    with np.errstate(divide="ignore"):
        return m.where(m.isfinite(top), safe + m.log(total), top)


def _logsumexp(m, a, axis):
    top = a.max(axis=axis, keepdims=True)
    safe = m.where(m.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = safe + m.log(m.exp(a - safe).sum(axis=axis, keepdims=True))
    return m.where(m.isfinite(top), out, top).squeeze(axis)


def _shift(m, a, k, fill):
    """``a`` moved ``k`` places along its last axis (right for k > 0), ``fill`` coming in."""
    out = m.full_like(a, fill)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _transitions(m, ext, width, merge, blank):
    """Per state: whether it may stay (a blank, or any label when repeats merge), whether it may be entered from
    two states back (a label differing from the one before the blank between, or any label when repeats do not
    merge), and whether it exists in its row."""
    S = ext.shape[1]
    is_blank = ext == blank
    stay = is_blank | merge
    skip = ~is_blank & (m.arange(S) >= 2) & ~((_shift(m, ext, 2, -1) == ext) & merge)
    return stay, skip, m.arange(S)[None, :] < width[:, None]


def _forward(m, emit, sl, stay, skip, valid, neg):
    """alpha ``[T, b, S]``: log probability of the paths over steps ``0..t`` ending in each state (rows keep their
    last value past their length)."""
    T, B, S = emit.shape
    alpha = m.full((T, B, S), neg, dtype=emit.dtype)
    first = m.full((B, S), neg, dtype=emit.dtype)
    first[:, :2] = emit[0][:, :2]
    alpha[0] = m.where(valid, first, neg)
    for t in range(1, T):
        p = alpha[t - 1]
        step = _lse(m, m.where(stay, p, neg), _shift(m, p, 1, neg), m.where(skip, _shift(m, p, 2, neg), neg))
        alpha[t] = m.where((t < sl)[:, None], m.where(valid, step + emit[t], neg), p)
    return alpha


def _backward(m, emit, sl, stay, skip, valid, end, neg):
    """beta ``[T, b, S]``: log probability of the paths over steps ``t+1..len-1`` from each state to an end
    state (-inf past a row's length)."""
    T, B, S = emit.shape
    beta = m.full((T, B, S), neg, dtype=emit.dtype)
    init = m.where(end & valid, 0.0, neg)
    step = m.full((B, S), neg, dtype=emit.dtype)
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            n = beta[t + 1] + emit[t + 1]
            step = _lse(m, m.where(stay, n, neg), _shift(m, n, -1, neg), _shift(m, m.where(skip, n, neg), -2, neg))
            step = m.where(valid, step, neg)
        beta[t] = m.where((sl - 1 == t)[:, None], init, m.where((t < sl - 1)[:, None], step, neg))
    return beta


def _ctc_kernel(logits, labels, label_len, seq_len, *, attrs, offset, label):
    """Loss ``[b]`` and its gradient with respect to ``logits`` ``[T, b, C]`` (TF's CTCLoss kernel, in log space).

    The gradient is ``softmax - occupancy``: the occupancy of class c at step t is the sum over the states labelled
    c of ``exp(alpha + beta - log p)``, a probability, so it is formed from log-space terms without overflow."""
    m = backend.xp(logits)
    T, B, C = logits.shape
    sl_h = _host(seq_len).astype(np.int64)
    ext, width, dropped = (m.asarray(a) for a in _prepare(_host(labels), _host(label_len), sl_h, T, C, attrs,
                                                          offset, label))
    if T == 0:
        logp = m.where(width == 1, 0.0, -m.inf)
        return m.where(dropped, 0.0, -logp).astype(logits.dtype), m.zeros(logits.shape, logits.dtype)
    x = logits.astype(np.float64)
    z = x - x.max(axis=2, keepdims=True)
    logsm = z - m.log(m.exp(z).sum(axis=2, keepdims=True))
    sl, neg, S = m.asarray(sl_h), -m.inf, ext.shape[1]
    emit = m.stack([logsm[t][m.arange(B)[:, None], ext] for t in range(T)])  # log y of each state's label
    stay, skip, valid = _transitions(m, ext, width, attrs["ctc_merge_repeated"], C - 1)
    end = (m.arange(S)[None, :] >= width[:, None] - 2) & valid
    alpha = _forward(m, emit, sl, stay, skip, valid, neg)
    beta = _backward(m, emit, sl, stay, skip, valid, end, neg)
    logp = _logsumexp(m, m.where(end, alpha[m.maximum(sl - 1, 0), m.arange(B)], neg), 1)
    logp = m.where(sl == 0, m.where(width == 1, 0.0, neg), logp)
    finite = m.isfinite(logp)
    with np.errstate(invalid="ignore", over="ignore"):
        occ = m.where(finite[None, :, None], m.exp(alpha + beta - m.where(finite, logp, 0.0)[None, :, None]), 0.0)
    flat = (m.arange(B)[:, None] * C + ext).ravel()
    occupancy = m.stack([m.bincount(flat, weights=occ[t].ravel(), minlength=B * C).reshape(B, C) for t in range(T)])
    inside = (m.arange(T)[:, None] < sl[None, :]) & ~dropped[None, :]
    grad = m.where(inside[:, :, None], m.exp(logsm) - occupancy, 0.0)
    return m.where(dropped, 0.0, -logp).astype(logits.dtype), grad.astype(logits.dtype)


@register("CTCLoss")
class CTCLoss:
    """TF's CTCLoss on dense labels: inputs logits ``[T, B, C]`` (time-major), labels ``[B, L]`` int, label lengths
    ``[B]`` and sequence lengths ``[B]``; outputs the loss ``[B]`` and its gradient with respect to the logits."""

    scratch = 6  # logits in float64, log-softmax, alpha and beta, occupancy

    def infer(op):
        x, labels, label_len, seq_len = op.inputs
        if x.dtype.kind != "f":
            fail(op, f"inputs '{x.name}' must be floating point, got dtype {x.dtype.name}")
        for t, what in ((labels, "labels"), (label_len, "label_length"), (seq_len, "sequence_length")):
            if t.dtype.kind not in "iu":
                fail(op, f"{what} '{t.name}' must be integers, got dtype {t.dtype.name}")
        for t, rank, what in ((x, 3, "inputs"), (labels, 2, "labels"), (label_len, 1, "label_length"),
                              (seq_len, 1, "sequence_length")):
            if t.shape.ndims not in (None, rank):
                raise ValueError(f"Shape must be rank {rank} but is rank {t.shape.ndims} for '{op.name}' (op: "
                                 f"CTCLoss) ({what} of shape {t.shape})")
        xs = x.shape if x.shape.ndims is not None else TensorShape([None] * 3)
        batch = xs[1]
        for t in (labels, label_len, seq_len):
            d = t.shape[0] if t.shape.ndims else None
            if batch is not None and d is not None and d != batch:
                raise ValueError(f"Dimensions must be equal, but are {batch} and {d} for '{op.name}' (op: CTCLoss) "
                                 f"with input shapes: {x.shape}, {labels.shape}, {label_len.shape}, {seq_len.shape}.")
            batch = batch if batch is not None else d
        return [((batch,), x.dtype), ((xs[0], batch, xs[2]), x.dtype)]

    def lower(op, x, labels, label_len, seq_len):
        x = x.rechunk({0: -1, 2: -1})
        bchunks = x.chunks[1]
        labels = labels.rechunk({0: bchunks, 1: -1})
        label_len, seq_len = label_len.rechunk((bchunks,)), seq_len.rechunk((bchunks,))
        attrs = dict(op.attrs)
        name = f"ctcloss-{tokenize(x.name, labels.name, label_len.name, seq_len.name, attrs)}"
        offsets = np.cumsum((0,) + bchunks)
        label = f"op '{op.name}' (type CTCLoss)"
        dsk = {(name, i): Task((name, i), _ctc_kernel, TaskRef((x.name, 0, i, 0)), TaskRef((labels.name, i, 0)),
                               TaskRef((label_len.name, i)), TaskRef((seq_len.name, i)), attrs=attrs,
                               offset=int(offsets[i]), label=label)
               for i in range(len(bchunks))}
        packed = da.Array(HighLevelGraph.from_collections(name, dsk, dependencies=[x, labels, label_len, seq_len]),
                          name, (bchunks,), meta=backend.meta(x, x.dtype, 1))
        return [_part(packed, 0, lambda i: (i,), (bchunks,), x, 1),
                _part(packed, 1, lambda i: (0, i, 0), ((x.shape[0],), bchunks, (x.shape[2],)), x, 3)]

    def grad(op, dloss, dgrad):
        if not _is_zero(dgrad):
            raise LookupError(_NO_SECOND)
        return [expand_dims(expand_dims(dloss, 0), -1) * op.outputs[1], None, None, None]


def _part(packed, j, key, chunks, like, ndim, dtype=None):
    """Output ``j`` of the kernel's pairs, one ``getitem`` task per batch block, block ``i`` at ``key(i)``."""
    name = f"ctc{j}-{packed.name}"
    dsk = {(name,) + key(i): Task((name,) + key(i), operator.getitem, TaskRef((packed.name, i)), j)
           for i in range(packed.numblocks[0])}
    return da.Array(HighLevelGraph.from_collections(name, dsk, dependencies=[packed]), name, chunks,
                    meta=backend.meta(like, dtype or like.dtype, ndim))


# -- decoders: one task per block of the batch gives the decoded label rows (padded with -1), their lengths and
# the scores; the public functions turn each top path into a SparseTensor

def _greedy_kernel(logits, seq_len, *, merge_repeated, blank_index, top_paths, beam_width, offset, label):
    m = backend.xp(logits)
    T, B, C = logits.shape
    sl = _host(seq_len).astype(np.int64)
    _check_seq_len(sl, T, offset, label)
    blank = blank_index % C if C else 0
    best = logits.argmax(axis=2) if C else m.zeros((T, B), np.int64)
    inside = m.arange(T)[:, None] < m.asarray(sl)[None, :]
    keep = inside & (best != blank)
    if merge_repeated and T:
        prev = m.concatenate([m.full((1, B), -1, dtype=best.dtype), best[:-1]], axis=0)
        keep &= best != prev
    order = m.cumsum(keep, axis=0) - 1
    out = m.full((B, T), -1, np.int64)
    t_idx, b_idx = m.nonzero(keep)
    out[b_idx, order[t_idx, b_idx]] = best[t_idx, b_idx]
    score = -m.where(inside, logits.max(axis=2) if C else 0.0, 0.0).sum(axis=0)
    return out[None], keep.sum(axis=0).astype(np.int64)[None], score[:, None].astype(logits.dtype)


def _check_seq_len(sl, max_time, offset, label):
    for i, n in enumerate(sl):
        if n > max_time:
            _raise(label, f"sequence_length({offset + i}) <= {max_time}", errors.FailedPreconditionError)


_NEG = -math.inf


def _logaddexp(a, b):
    if a == _NEG:
        return b
    if b == _NEG:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


class _Beam:
    """A prefix in the beam search's tree: probabilities (log; total, ending in blank, ending in its label) at
    the previous (``old``) and the current (``new``) time."""
    __slots__ = ("parent", "label", "children", "old", "new")

    def __init__(self, parent, label):
        self.parent, self.label, self.children = parent, label, {}
        self.old, self.new = [_NEG] * 3, [_NEG] * 3

    def active(self):
        return self.new[0] != _NEG

    def labels(self, merge):
        out, prev, node = [], -1, self
        while node.parent is not None:
            if not merge or node.label != prev:
                out.append(node.label)
            prev, node = node.label, node.parent
        return out[::-1]


def _beam_step(leaves, logp, width):
    """One time step of TF's CTC prefix beam search: every beam extended by a blank or its own label, then by each
    other label while the new prefix beats the beam's worst."""
    blank = len(logp) - 1
    branches = sorted(leaves, key=lambda e: -e.new[0])
    for b in branches:
        b.old = list(b.new)
    leaves = []
    for b in branches:
        if b.parent is not None:
            if b.parent.active():
                prev = b.parent.old[1] if b.label == b.parent.label else b.parent.old[0]
                b.new[2] = _logaddexp(b.new[2], prev)
            b.new[2] += logp[b.label]
        b.new[1] = b.old[0] + logp[blank]
        b.new[0] = _logaddexp(b.new[1], b.new[2])
        leaves.append(b)

    def candidate(p):
        return p[0] > _NEG and (len(leaves) < width or p[0] > min(e.new[0] for e in leaves))
    for b in branches:
        if not candidate(b.old):
            continue
        for lab in range(blank):
            c = b.children.get(lab)
            if c is None:
                c = b.children[lab] = _Beam(b, lab)
            if c.active():
                continue
            p = logp[lab] + (b.old[1] if lab == b.label else b.old[0])
            c.new = [p, _NEG, p]
            if candidate(c.new):
                if len(leaves) == width:  # the worst leaves the beam
                    bottom = min(leaves, key=lambda e: e.new[0])
                    leaves.remove(bottom)
                    bottom.new = [_NEG] * 3
                leaves.append(c)
            else:
                c.old, c.new = [_NEG] * 3, [_NEG] * 3
    return leaves


def _beam_kernel(logits, seq_len, *, merge_repeated, blank_index, top_paths, beam_width, offset, label):
    m = backend.xp(logits)
    x = _host(logits).astype(np.float64)
    T, B, C = x.shape
    sl = _host(seq_len).astype(np.int64)
    _check_seq_len(sl, T, offset, label)
    z = x - x.max(axis=2, keepdims=True)
    logsm = z - np.log(np.exp(z).sum(axis=2, keepdims=True))
    out = np.full((top_paths, B, T), -1, np.int64)
    lengths = np.zeros((top_paths, B), np.int64)
    scores = np.zeros((B, top_paths), np.float64)
    for b in range(B):
        root = _Beam(None, -1)
        root.new = [0.0, 0.0, _NEG]
        leaves = [root]
        for t in range(sl[b]):
            leaves = _beam_step(leaves, logsm[t, b].tolist(), beam_width)
        if len(leaves) < top_paths:
            _raise(label, "Less leaves in the beam search than requested.")
        for p, e in enumerate(sorted(leaves, key=lambda e: -e.new[0])[:top_paths]):
            seq = e.labels(merge_repeated)
            out[p, b, :len(seq)] = seq
            lengths[p, b] = len(seq)
            scores[b, p] = e.new[0]
    return m.asarray(out), m.asarray(lengths), m.asarray(scores.astype(logits.dtype))


class _Decoder:
    grad = NOT_DIFFERENTIABLE
    kernel = None

    def infer(op):
        x, seq_len = op.inputs
        if x.dtype.kind != "f":
            fail(op, f"inputs '{x.name}' must be floating point, got dtype {x.dtype.name}")
        if seq_len.dtype != dtypes.int32:
            raise TypeError(f"Input 'sequence_length' of '{op.type}' Op has type {seq_len.dtype.name} that does not "
                            "match expected type of int32.")
        if x.shape.ndims not in (None, 3):
            raise ValueError(f"Shape must be rank 3 but is rank {x.shape.ndims} for '{op.name}' (op: {op.type}) "
                             f"(inputs of shape {x.shape})")
        if seq_len.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {seq_len.shape.ndims} for '{op.name}' (op: "
                             f"{op.type}) (sequence_length of shape {seq_len.shape})")
        xs = x.shape if x.shape.ndims is not None else TensorShape([None] * 3)
        d = seq_len.shape[0] if seq_len.shape.ndims else None
        if xs[1] is not None and d is not None and d != xs[1]:
            raise ValueError(f"Dimensions must be equal, but are {xs[1]} and {d} for '{op.name}' (op: {op.type}) "
                             f"with input shapes: {x.shape}, {seq_len.shape}.")
        batch, p = xs[1] if xs[1] is not None else d, op.attrs["top_paths"]
        return [((p, batch, xs[0]), dtypes.int64), ((p, batch), dtypes.int64), ((batch, p), x.dtype)]

    def lower(op, x, seq_len):
        x = x.rechunk({0: -1, 2: -1})
        bchunks = x.chunks[1]
        seq_len = seq_len.rechunk((bchunks,))
        attrs, kernel = dict(op.attrs), _KERNELS[op.type]
        name = f"{op.type.lower()}-{tokenize(x.name, seq_len.name, attrs)}"
        offsets = np.cumsum((0,) + bchunks)
        label = f"op '{op.name}' (type {op.type})"
        dsk = {(name, i): Task((name, i), kernel, TaskRef((x.name, 0, i, 0)), TaskRef((seq_len.name, i)), **attrs,
                               offset=int(offsets[i]), label=label) for i in range(len(bchunks))}
        packed = da.Array(HighLevelGraph.from_collections(name, dsk, dependencies=[x, seq_len]), name, (bchunks,),
                          meta=backend.meta(x, x.dtype, 1))
        p, T = (attrs["top_paths"],), (x.shape[0],)
        return [_part(packed, 0, lambda i: (0, i, 0), (p, bchunks, T), x, 3, np.int64),
                _part(packed, 1, lambda i: (0, i), (p, bchunks), x, 2, np.int64),
                _part(packed, 2, lambda i: (i, 0), (bchunks, p), x, 2)]


_KERNELS = {"CTCGreedyDecoder": _greedy_kernel, "CTCBeamSearchDecoder": _beam_kernel}
for _type in _KERNELS:
    register(_type)(type(_type, (_Decoder,), {}))


def _to_sparse(decoded, lengths):
    """The SparseTensor of the label rows ``decoded`` ``[B, T]`` (each ``lengths[b]`` long): indices ``[batch,
    position]`` in row-major order, dense shape ``[B, max(lengths)]``."""
    import daskflow as df
    from ..sparse.tensor import SparseTensor, nonzero_indices
    mask = df.sequence_mask(lengths, df.shape(decoded, out_type=dtypes.int64)[1])
    where = nonzero_indices(mask)
    shape = df.stack([df.shape(decoded, out_type=dtypes.int64)[0], df.reduce_max(lengths)])
    return SparseTensor(where, df.gather_nd(decoded, where), shape)


def _decode(type_name, inputs, sequence_length, attrs):
    inputs = _t(inputs)
    sequence_length = convert_to_tensor(sequence_length, dtype_hint=dtypes.int32)
    decoded, lengths, scores = apply(type_name, [inputs, sequence_length], attrs, name=type_name)
    return [_to_sparse(decoded[p], lengths[p]) for p in range(attrs["top_paths"])], scores


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """Best-path decoding of time-major ``inputs`` (logits ``[max_time, batch, num_classes]``): the most likely
    class at each time step up to ``sequence_length[b]``, repeats merged (with ``merge_repeated``), blanks (class
    ``blank_index``, by default the last) removed.

    Returns ``([decoded], neg_sum_logits)``: ``decoded`` a SparseTensor (int64 indices ``[batch, position]``,
    int64 values, dense shape ``[batch, longest]``), ``neg_sum_logits`` ``[batch, 1]`` minus the sum over time of
    each step's largest logit.
    """
    attrs = {"merge_repeated": bool(merge_repeated), "blank_index": -1 if blank_index is None else int(blank_index),
             "top_paths": 1, "beam_width": 1}
    return _decode("CTCGreedyDecoder", inputs, sequence_length, attrs)


def _beam_attrs(beam_width, top_paths, merge_repeated):
    for attr, v in (("beam_width", beam_width), ("top_paths", top_paths)):
        if int(v) < 1:
            raise ValueError(f"Attr '{attr}' of 'CTCBeamSearchDecoder' Op passed {int(v)} less than minimum 1.")
    if int(top_paths) > int(beam_width):
        raise errors.InvalidArgumentError(None, None, "requested more paths than the beam width.")
    return {"merge_repeated": bool(merge_repeated), "blank_index": -1, "top_paths": int(top_paths),
            "beam_width": int(beam_width)}


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1, merge_repeated=True):
    """Prefix beam search decoding of time-major logits ``inputs`` ``[max_time, batch, num_classes]`` (blank: the
    last class), keeping ``beam_width`` prefixes per step, as TF's ``ctc_beam_search_decoder``.

    Returns ``(decoded, log_probabilities)``: ``decoded`` a list of ``top_paths`` SparseTensors (path ``j`` of
    each row: indices ``[batch, position]``, values the classes), ``log_probabilities`` ``[batch, top_paths]`` the
    log probability of each path's prefix. With ``merge_repeated``, equal consecutive labels of a path are
    reported once (TF's behaviour: a path ``A A`` is reported as ``A``).
    """
    return _decode("CTCBeamSearchDecoder", inputs, sequence_length, _beam_attrs(beam_width, top_paths,
                                                                                 merge_repeated))


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    """``ctc_beam_search_decoder`` with ``merge_repeated=False``."""
    return ctc_beam_search_decoder(inputs, sequence_length, beam_width, top_paths, merge_repeated=False)


# -- the losses

def _dense_rows(sp, batch):
    """TF1's sparse labels as dense rows: row ``b`` holds the values whose index is ``[b, *]``, in order, and its
    length; returns ``([batch, dense_shape[1]] labels, [batch] lengths)``."""
    import daskflow as df
    rows = df.cast(sp.indices[:, 0], dtypes.int32)
    counts = df.math.unsorted_segment_sum(df.ones_like(rows), rows, batch)
    pos = df.range(df.shape(rows)[0]) - df.gather(df.cumsum(counts, exclusive=True), rows)
    width = df.cast(sp.dense_shape[1], dtypes.int32)
    dense = df.scatter_nd(df.stack([rows, pos], 1), df.cast(sp.values, dtypes.int32), df.stack([batch, width]))
    return dense, counts


def _loss(inputs, labels, lengths, sequence_length, attrs):
    seq = convert_to_tensor(sequence_length, dtype_hint=dtypes.int32)
    if seq.dtype != dtypes.int32:
        raise TypeError(f"Input 'sequence_length' of 'CTCLoss' Op has type {seq.dtype.name} that does not match "
                        "expected type of int32.")
    return apply("CTCLoss", [inputs, labels, lengths, seq], attrs, name="CTCLoss")[0]


def _time_major(inputs, time_major):
    import daskflow as df
    inputs = _t(inputs)
    if inputs.shape.ndims not in (None, 3):
        raise ValueError(f"Shape must be rank 3 but is rank {inputs.shape.ndims} for 'CTCLoss' (inputs of shape "
                         f"{inputs.shape})")
    return inputs if time_major else df.transpose(inputs, [1, 0, 2])


def ctc_loss(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False, ctc_merge_repeated=True,
             ignore_longer_outputs_than_inputs=False, time_major=True, logits=None):
    """The CTC loss (negative log probability of the labels) per batch row, as TF1's ``ctc_loss``.

    Parameters
    ----------
    labels : SparseTensor, int32 values
        Row ``b``'s label sequence: the values at indices ``[b, *]``, in order, each in ``[0, num_classes - 1)``
        (the last class is the blank; a label >= num_classes - 1 ends the sequence).
    inputs : float tensor ``[max_time, batch, num_classes]`` (``[batch, max_time, num_classes]`` when not
        ``time_major``): unnormalised logits. ``logits`` is another name for it.
    sequence_length : int32 ``[batch]``, each at most ``max_time``.
    preprocess_collapse_repeated : drop repeated labels before computing the loss.
    ctc_merge_repeated : whether repeated non-blank outputs of a path merge into one label (the usual CTC).
    ignore_longer_outputs_than_inputs : rows whose labels are longer than their sequence give loss 0 and
        gradient 0, instead of an InvalidArgumentError.

    Returns
    -------
    float ``[batch]`` tensor; its gradient with respect to ``inputs`` comes from the same pass (no second
    derivative: asking for one raises LookupError, as TF does).
    """
    from ..sparse.tensor import SparseTensor, SparseTensorValue
    import daskflow as df
    if isinstance(labels, SparseTensorValue):
        labels = SparseTensor.from_value(labels)
    if not isinstance(labels, SparseTensor):
        raise TypeError(f"Expected argument `labels` to be a SparseTensor. Received labels={labels} of type: "
                        f"{type(labels).__name__}")
    if inputs is not None and logits is not None:
        raise ValueError("Cannot specify both 'logits' and 'inputs'")
    inputs = _time_major(logits if inputs is None else inputs, time_major)
    batch = df.shape(inputs)[1] if inputs.shape[1] is None else inputs.shape[1]
    dense, lengths = _dense_rows(labels, batch)
    attrs = {"preprocess_collapse_repeated": bool(preprocess_collapse_repeated),
             "ctc_merge_repeated": bool(ctc_merge_repeated),
             "ignore_longer_outputs_than_inputs": bool(ignore_longer_outputs_than_inputs), "strict": True}
    return _loss(inputs, dense, lengths, sequence_length, attrs)


def _blank_last(logits, blank_index):
    """``logits`` (time-major) with class ``blank_index`` moved to the end."""
    import daskflow as df
    return df.concat([logits[:, :, :blank_index], logits[:, :, blank_index + 1:],
                      logits[:, :, blank_index:blank_index + 1]], axis=2)


def ctc_loss_v2(labels, logits, label_length, logit_length, logits_time_major=True, unique=None, blank_index=None,
                name=None):
    """The CTC loss per batch row, with dense or sparse labels and any class as the blank (TF's ``ctc_loss_v2``).

    Dense ``labels`` ``[batch, max_label_length]`` (int, row ``b`` its first ``label_length[b]`` entries) take the
    blank ``blank_index`` (default 0), and a row that cannot be aligned in its ``logit_length`` steps gives an
    infinite loss. SparseTensor ``labels`` need ``blank_index`` and go to ``ctc_loss`` (``label_length`` unused).
    ``unique`` (``ctc_unique_labels`` of the labels) only speeds TF's computation up and changes nothing here.
    Returns a float ``[batch]`` tensor, differentiable with respect to ``logits``.
    """
    import daskflow as df
    from ..sparse.tensor import SparseTensor, SparseTensorValue
    logits = _t(logits)
    classes = logits.shape[2] if logits.shape.ndims == 3 else None
    if isinstance(labels, (SparseTensor, SparseTensorValue)):
        if blank_index is None:
            raise ValueError("blank_index must be given when using SparseTensor labels.")
        labels = SparseTensor.from_value(labels)
        blank = _static_blank(blank_index, classes)
        if blank != classes - 1:
            logits = _blank_last(logits if logits_time_major else df.transpose(logits, [1, 0, 2]), blank)
            logits_time_major = True
            labels = SparseTensor(labels.indices, df.where_v2(labels.values < blank, labels.values,
                                                              labels.values - 1), labels.dense_shape)
        return ctc_loss(labels, logits, logit_length, time_major=logits_time_major)
    with name_scope(name, "ctc_loss_dense"):
        blank = _static_blank(0 if blank_index is None else blank_index, classes)
        logits = _time_major(logits, logits_time_major)
        labels = _t(labels)
        if blank != classes - 1:
            logits = _blank_last(logits, blank)
            labels = df.where_v2(labels < blank, labels, labels - 1)
        lengths = convert_to_tensor(label_length, dtype_hint=dtypes.int32)
        seq = df.cast(convert_to_tensor(logit_length, dtype_hint=dtypes.int32), dtypes.int32)
        attrs = {"preprocess_collapse_repeated": False, "ctc_merge_repeated": True,
                 "ignore_longer_outputs_than_inputs": False, "strict": False}
        return _loss(logits, labels, lengths, seq, attrs)


def _static_blank(blank_index, classes):
    if classes is None:
        raise ValueError("ctc_loss_v2 needs logits whose number of classes is known when the graph is built")
    blank = int(blank_index) + (classes if int(blank_index) < 0 else 0)
    if not 0 <= blank < classes:
        raise ValueError(f"blank_index {blank_index} is out of range for {classes} classes")
    return blank


# -- label helpers

def ctc_unique_labels(labels, name=None):
    """The distinct labels of each row of ``labels`` ``[batch, max_len]`` in order of first appearance (int64,
    padded with 0) and, for each label, the position of its value in that list (int32): TF's
    ``ctc_unique_labels``, a per-row ``unique``."""
    import daskflow as df
    with name_scope(name, "ctc_unique_labels"):
        labels = _t(labels)
        n = df.shape(labels)[1]
        earlier = df.range(n)[None, :] < df.range(n)[:, None]  # [i, j]: j before i
        same = df.equal(labels[:, :, None], labels[:, None, :])
        first = df.logical_not(df.reduce_any(same & earlier[None], axis=2))
        rank = df.cumsum(df.cast(first, dtypes.int32), axis=1) - 1
        idx = df.gather(rank, df.argmax(same, axis=2, output_type=dtypes.int32), batch_dims=1)
        slot = first[:, :, None] & df.equal(rank[:, :, None], df.range(n)[None, None, :])  # [b, i, k]
        unique = df.reduce_sum(df.cast(slot, dtypes.int64) * df.cast(labels, dtypes.int64)[:, :, None], axis=1)
        return unique, idx


def collapse_repeated(labels, seq_length, name=None):
    """Each row of ``labels`` ``[batch, max_len]`` (its first ``seq_length[b]`` entries) with runs of a repeated
    label merged into one, left-aligned and padded with 0 to the longest new row; and the new lengths (TF's
    ``collapse_repeated``)."""
    import daskflow as df
    with name_scope(name, "collapse_repeated_labels"):
        labels, seq_length = _t(labels), _t(seq_length)
        n = df.shape(labels)[1]
        starts = df.concat([df.ones_like(labels[:, :1], dtype=dtypes.bool),
                            df.not_equal(labels[:, 1:], labels[:, :-1])], axis=1)
        keep = df.logical_and(starts, df.sequence_mask(seq_length, maxlen=n))
        new_len = df.reduce_sum(df.cast(keep, dtypes.int32), axis=1)
        pos = df.cumsum(df.cast(keep, dtypes.int32), axis=1, exclusive=True)
        slot = keep[:, :, None] & df.equal(pos[:, :, None], df.range(n)[None, None, :])
        out = df.reduce_sum(df.cast(slot, labels.dtype) * labels[:, :, None], axis=1)
        return out[:, :df.reduce_max(new_len)], df.cast(new_len, seq_length.dtype)
