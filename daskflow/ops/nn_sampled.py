"""TF's sampled losses and sparse embedding lookups in ``tf.nn``: ``nce_loss`` and ``sampled_softmax_loss`` (logits
of the true classes and of a sampled set of classes, from the candidate samplers of ``random_candidates``),
``compute_accidental_hits``, ``embedding_lookup_sparse`` and ``safe_embedding_lookup_sparse``.

All are composites of gather, matmul, segment and sparse ops, with TF's formulas, so gradients come from those ops.
"""
import numpy as np

from .. import dtypes
from ..graph import name_scope
from .nn import _t, embedding_lookup, sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2
from .random_candidates import log_uniform_candidate_sampler
from .registry import convert_to_tensor
from .state import stop_gradient

__all__ = []
NAMESPACES = {"nn": ["nce_loss", "sampled_softmax_loss", "compute_accidental_hits", "embedding_lookup_sparse",
                     "safe_embedding_lookup_sparse"]}

_FLT_MAX = float(np.finfo(np.float32).max)


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """The sampled candidates that are also true classes of a row (TF's ``compute_accidental_hits``).

    For each row ``i`` of ``true_classes`` (int64 ``[batch, num_true]``) and each of its labels equal to a sampled
    candidate (``sampled_candidates``, int64 ``[num_sampled]``), one hit: ``indices`` (int32, the row),
    ``ids`` (int64, the candidate's position; the last one where a class was sampled twice) and ``weights``
    (float32, ``-FLT_MAX``, to add to that sampled logit so it drops out of a softmax). Hits come in the order of
    the rows and, within a row, of its labels.
    """
    import daskflow as df
    from ..sparse.tensor import nonzero_indices
    with name_scope(name, "ComputeAccidentalHits"):
        true_classes, sampled = _t(true_classes), _t(sampled_candidates)
        for t, what in ((true_classes, "true_classes"), (sampled, "sampled_candidates")):
            if t.dtype != dtypes.int64:
                raise TypeError(f"Input '{what}' of 'ComputeAccidentalHits' Op has type {t.dtype.name} that does "
                                "not match expected type of int64.")
        if true_classes.shape.ndims not in (None, 2):
            raise ValueError(f"Shape must be rank 2 but is rank {true_classes.shape.ndims} for "
                             "'ComputeAccidentalHits' (true_classes)")
        if true_classes.shape.ndims == 2 and true_classes.shape[1] not in (None, int(num_true)):
            raise ValueError(f"true_classes must have num_true columns, expected: {int(num_true)} was: "
                             f"{true_classes.shape[1]}")
        where = nonzero_indices(_hits(true_classes, sampled))
        weights = df.fill(df.shape(where)[:1], np.float32(-_FLT_MAX))
        return df.cast(where[:, 0], dtypes.int32), where[:, 2], weights


def _hits(true_classes, sampled):
    """Whether label ``[i, k]`` is the candidate at ``j`` (the last position of a class sampled twice)."""
    import daskflow as df
    n = df.shape(sampled)[0]
    later = df.range(n)[None, :] > df.range(n)[:, None]
    is_last = df.logical_not(df.reduce_any(df.equal(sampled[:, None], sampled[None, :]) & later, axis=1))
    return df.equal(true_classes[:, :, None], sampled[None, None, :]) & is_last[None, None, :]


def _sum_rows(x):
    import daskflow as df
    return df.reshape(df.matmul(x, df.ones(df.stack([df.shape(x)[1], 1]), x.dtype)), [-1])


def _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                            sampled_values=None, subtract_log_q=True, remove_accidental_hits=False,
                            partition_strategy="mod", name=None, seed=None):
    """Logits ``[batch, num_true + num_sampled]`` of the true then the sampled classes, and their labels (``1 /
    num_true`` for the true classes, 0 for the sampled): TF's helper of ``nce_loss`` and ``sampled_softmax_loss``.
    With ``subtract_log_q``, each logit less the log of its class's expected count; with
    ``remove_accidental_hits``, ``-FLT_MAX`` added to sampled logits that are a true class of their row."""
    import daskflow as df
    weights = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    with name_scope(name, "compute_sampled_logits"):
        inputs = _t(inputs)
        labels = _t(labels)
        if labels.dtype != dtypes.int64:
            labels = df.cast(labels, dtypes.int64)
        labels_flat = df.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True, num_classes,
                                                           seed=seed)
        sampled, true_expected, sampled_expected = (stop_gradient(_t(s)) for s in sampled_values)
        sampled = df.cast(sampled, dtypes.int64)
        n_true = df.shape(labels_flat)[0]
        all_ids = df.concat([labels_flat, sampled], 0)
        all_w = embedding_lookup(weights, all_ids, partition_strategy=partition_strategy)
        all_w = all_w if all_w.dtype == inputs.dtype else df.cast(all_w, inputs.dtype)
        true_w, sampled_w = all_w[:n_true], all_w[n_true:]
        sampled_logits = df.matmul(inputs, sampled_w, transpose_b=True)
        all_b = embedding_lookup(biases, all_ids, partition_strategy=partition_strategy)
        all_b = all_b if all_b.dtype == inputs.dtype else df.cast(all_b, inputs.dtype)
        true_b, sampled_b = all_b[:n_true], all_b[n_true:]
        dim = df.shape(true_w)[1:2]
        row_dots = df.expand_dims(inputs, 1) * df.reshape(true_w, df.concat([[-1, num_true], dim], 0))
        true_logits = df.reshape(_sum_rows(df.reshape(row_dots, df.concat([[-1], dim], 0))), [-1, num_true])
        true_logits += df.reshape(true_b, [-1, num_true])
        sampled_logits += sampled_b
        if remove_accidental_hits:
            # the dense form of compute_accidental_hits' (row, position, -FLT_MAX) triples, as TF scatters them
            hit = df.reduce_any(_hits(labels, sampled), axis=1)
            sampled_logits += df.where(hit, df.fill(df.shape(hit), np.array(-_FLT_MAX, sampled_logits.dtype.name)),
                                       df.zeros_like(sampled_logits))
        if subtract_log_q:
            true_logits -= df.log(df.cast(true_expected, true_logits.dtype))
            sampled_logits -= df.log(df.cast(sampled_expected, sampled_logits.dtype))
        out_logits = df.concat([true_logits, sampled_logits], 1)
        out_labels = df.concat([df.ones_like(true_logits) / num_true, df.zeros_like(sampled_logits)], 1)
        return out_logits, out_labels


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1, sampled_values=None,
             remove_accidental_hits=False, partition_strategy="mod", name="nce_loss"):
    """The noise-contrastive estimation loss per example (TF's ``nce_loss``): logistic losses of the true classes
    (label ``1 / num_true``) and of ``num_sampled`` classes drawn from the log-uniform sampler (label 0), each
    logit less the log of its expected count, summed per row.

    Parameters
    ----------
    weights : ``[num_classes, dim]`` tensor (or a list of shards of it, split by ``partition_strategy``)
    biases : ``[num_classes]`` tensor
    labels : int ``[batch, num_true]`` tensor of true classes
    inputs : ``[batch, dim]`` tensor of activations
    sampled_values : optional ``(sampled_candidates, true_expected_count, sampled_expected_count)`` from a
        candidate sampler; by default ``log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
        num_classes)``.

    Returns
    -------
    float ``[batch]`` tensor of losses.
    """
    logits, labels = _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                                             num_true=num_true, sampled_values=sampled_values, subtract_log_q=True,
                                             remove_accidental_hits=remove_accidental_hits,
                                             partition_strategy=partition_strategy, name=name)
    losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits, name="sampled_losses")
    return _sum_rows(losses)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1, sampled_values=None,
                         remove_accidental_hits=True, partition_strategy="mod", name="sampled_softmax_loss",
                         seed=None):
    """The softmax cross entropy per example over the true classes and ``num_sampled`` sampled classes (TF's
    ``sampled_softmax_loss``): logits less the log of each class's expected count, sampled classes that are true
    classes of their row removed (by default), true classes labelled ``1 / num_true``. Arguments as ``nce_loss``;
    ``seed`` seeds the default sampler. Returns a ``[batch]`` tensor."""
    logits, labels = _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                                             num_true=num_true, sampled_values=sampled_values, subtract_log_q=True,
                                             remove_accidental_hits=remove_accidental_hits,
                                             partition_strategy=partition_strategy, name=name, seed=seed)
    return softmax_cross_entropy_with_logits_v2(labels=stop_gradient(labels), logits=logits)


# -- sparse embedding lookups

def _sparse(sp, what):
    from ..sparse.tensor import SparseTensor, SparseTensorValue
    if isinstance(sp, SparseTensorValue):
        return SparseTensor.from_value(sp)
    if not isinstance(sp, SparseTensor):
        if what == "sp_weights":
            raise TypeError(f"sp_weights must be either None or SparseTensor,got {type(sp)}")
        raise TypeError(f"{what} must be SparseTensor, got {type(sp)}")
    return sp


def embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy="mod", name=None, combiner=None,
                            max_norm=None, allow_fast_lookup=False):
    """Embeddings of the rows of a sparse batch of ids, combined per row (TF's ``embedding_lookup_sparse``).

    ``sp_ids`` is a SparseTensor ``[batch, ...]`` of int ids, in row-major order; row ``r``'s result combines
    ``params[id]`` over its entries, weighted by ``sp_weights``' values (a SparseTensor of the same indices, or None
    for weight 1): ``combiner`` "sum" gives the weighted sum, "mean" (the default) the sum divided by the sum of the
    weights, "sqrtn" divided by the square root of the sum of squared weights. The result has ``max(row) + 1``
    rows (rows without ids give 0) and ``params``' trailing dims. ``params`` may be a list of shards, split by
    ``partition_strategy``; ``max_norm`` clips each looked-up embedding's l2 norm. Gradients flow to ``params`` and
    to the weights.
    """
    import daskflow as df
    if combiner is None:
        combiner = "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    if hasattr(params, "_get_variable_list"):  # a PartitionedVariable: its parts are the shards
        params = params._get_variable_list()
    params = list(params) if isinstance(params, (list, tuple)) else [params]
    sp_ids = _sparse(sp_ids, "sp_ids")
    if sp_weights is not None:
        sp_weights = _sparse(sp_weights, "sp_weights")
        for a, b in ((sp_ids.values, sp_weights.values), (sp_ids.indices, sp_weights.indices)):
            if not a.shape.is_compatible_with(b.shape):
                raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible")
    with name_scope(name, "embedding_lookup_sparse") as scope:
        segment_ids = df.cast(sp_ids.indices[:, 0], dtypes.int32)
        ids, idx = df.unique(sp_ids.values)
        embeddings = embedding_lookup(params, ids, partition_strategy=partition_strategy, max_norm=max_norm)
        if sp_weights is None:
            fn = {"sum": df.sparse.segment_sum, "mean": df.sparse.segment_mean,
                  "sqrtn": df.sparse.segment_sqrt_n}[combiner]
            return fn(embeddings, idx, segment_ids, name=scope)
        embeddings = df.gather(embeddings, idx)
        weights = sp_weights.values
        weights = weights if weights.dtype == embeddings.dtype else df.cast(weights, embeddings.dtype)
        rank = embeddings.shape.ndims
        weights = df.reshape(weights, df.concat([df.shape(weights), df.ones([rank - 1], dtypes.int32)], 0))
        embeddings = embeddings * weights
        if combiner == "sum":
            return df.segment_sum(embeddings, segment_ids, name=scope)
        total = df.segment_sum(embeddings, segment_ids)
        if combiner == "mean":
            return df.math.divide_no_nan(total, df.segment_sum(weights, segment_ids), name=scope)
        return df.math.divide_no_nan(total, df.sqrt(df.segment_sum(weights * weights, segment_ids)), name=scope)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None, combiner="mean", default_id=None,
                                 name=None, partition_strategy="div", max_norm=None, allow_fast_lookup=False):
    """``embedding_lookup_sparse`` made total (TF's ``safe_embedding_lookup_sparse``): ids < 0 (and, unless
    ``combiner`` is "sum", entries of weight <= 0) are dropped; a row left without ids gives
    ``embedding_weights[default_id]``, or 0 when ``default_id`` is None. ``sparse_ids`` may have rank > 2: the
    result has shape ``dense_shape[:-1] + embedding dims``, one combined embedding per index of all but the last
    dim."""
    import daskflow as df
    from ..sparse.tensor import SparseTensor
    if embedding_weights is None:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    weights = list(embedding_weights) if isinstance(embedding_weights, (list, tuple)) else [embedding_weights]
    if not weights:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    sparse_ids = _sparse(sparse_ids, "sparse_ids")
    if sparse_weights is not None:
        sparse_weights = _sparse(sparse_weights, "sp_weights")
    dtype = sparse_weights.dtype if sparse_weights is not None else None
    weights = [convert_to_tensor(w, dtype=dtype) for w in weights]
    with name_scope(name, "embedding_lookup") as scope:
        shape = sparse_ids.dense_shape
        rank = shape.shape[0] if shape.shape.ndims else None
        rank_t = df.size(shape) if rank is None else rank
        flat = df.sparse.reshape(sparse_ids, df.stack([df.reduce_prod(shape[:rank_t - 1]), shape[rank_t - 1]]))
        if sparse_weights is not None:
            sparse_weights = SparseTensor(flat.indices, sparse_weights.values, flat.dense_shape)
        flat, sparse_weights = _retain(flat, sparse_weights, df.greater_equal(flat.values, 0))
        if combiner != "sum" and sparse_weights is not None:
            flat, sparse_weights = _retain(flat, sparse_weights, df.greater(sparse_weights.values, 0))
        flat, is_row_empty = df.sparse.fill_empty_rows(flat, default_id or 0)
        if sparse_weights is not None:
            sparse_weights, _ = df.sparse.fill_empty_rows(sparse_weights, 1.0)
        result = embedding_lookup_sparse(weights, flat, sparse_weights, combiner=combiner,
                                         partition_strategy=partition_strategy, max_norm=max_norm)
        if default_id is None:
            empty = df.tile(df.reshape(is_row_empty, [-1, 1]), df.stack([1, df.shape(result)[1]]))
            result = df.where(empty, df.zeros_like(result), result)
        lead = df.cast(shape, dtypes.int32)[:rank_t - 1]
        out = df.reshape(result, df.concat([lead, df.shape(result)[1:]], 0), name=scope)
        if rank is not None and result.shape.ndims is not None:
            out.set_shape([None] * (rank - 1) + list(result.shape[1:]))
        return out


def _retain(ids, weights, keep):
    import daskflow as df
    ids = df.sparse.retain(ids, keep)
    return ids, None if weights is None else df.sparse.retain(weights, keep)
