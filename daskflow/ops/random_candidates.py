"""TF's candidate samplers (``tf.random.*_candidate_sampler``, also in ``tf.nn``): for sampled-softmax style
losses, ``num_sampled`` classes drawn from a fixed distribution over ``[0, range_max)``, with the expected number
of times each true and each sampled class is drawn.

Each run draws new candidates (from the op's seeds and the run counter). With ``unique=True`` draws continue
until ``num_sampled`` distinct classes are found, and the expected count of a class of probability ``p`` after
``n`` draws is ``1 - (1 - p)^n``; otherwise it is ``p * num_sampled`` (TF's formulas).
"""
import math

import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from ..lowering import current
from .random import _keys, get_seed
from .random_dists import open_unit, type_error
from .registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, fail, register

_OUTS = ("sampled_candidates", "true_expected_count", "sampled_expected_count")


class CandidateSample(tuple):
    """The three outputs of a candidate sampler, by position or by TF's field names."""

    sampled_candidates = property(lambda self: self[0])
    true_expected_count = property(lambda self: self[1])
    sampled_expected_count = property(lambda self: self[2])


# -- the distributions: probabilities of every class and draws from uniform bits

def _probs(kind, range_max, weights):
    if kind == "uniform":
        return np.full(range_max, 1.0 / range_max)
    if kind == "log_uniform":
        k = np.arange(range_max, dtype=np.float64)
        return (np.log(k + 2) - np.log(k + 1)) / math.log(range_max + 1)
    if kind == "all":
        return np.full(range_max, 1.0 / range_max)  # expected counts p * num_sampled = 1
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _draw(m, kind, u, range_max, cdf):
    if kind == "uniform":
        k = m.floor(u * range_max)
    elif kind == "log_uniform":
        k = m.floor(m.exp(u * math.log(range_max + 1))) - 1
    else:
        k = m.searchsorted(cdf, u * cdf[-1], side="right")
    return m.minimum(k, range_max - 1).astype(m.int64)


def _sample_block(counter, kind, num_sampled, unique, range_max, weights, seed, seed2):
    """Candidates followed by the number of draws it took (int64 vector of num_sampled + 1)."""
    m = backend.xp(counter)
    key = _keys(seed, seed2, counter)(0)
    if kind == "all":
        return m.concatenate([m.arange(num_sampled, dtype=m.int64), m.asarray([num_sampled], dtype=m.int64)])
    cdf = m.asarray(np.cumsum(weights)) if weights is not None else None

    def draws(start, n):
        return _draw(m, kind, open_unit(m, m.arange(start, start + n, dtype=m.uint64), key), range_max, cdf)
    if not unique:
        return m.concatenate([draws(0, num_sampled), m.asarray([num_sampled], dtype=m.int64)])
    seen, picked, tries = set(), [], 0
    while len(picked) < num_sampled:  # draw i is the same whatever the batching: the order of first sightings
        batch = (2 * num_sampled + 16)
        for i, k in enumerate(draws(tries, batch).tolist()):
            if k not in seen:
                seen.add(k)
                picked.append(k)
                if len(picked) == num_sampled:
                    tries += i + 1
                    break
        else:
            tries += batch
    return m.asarray(picked + [tries], dtype=m.int64)


def _expected(classes, packed, probs, num_sampled):
    """Expected counts of ``classes`` after ``packed[-1]`` draws (TF's ExpectedCountHelper)."""
    m = backend.xp(classes)
    tries = int(packed[-1])
    p = m.asarray(probs)[m.clip(classes, 0, len(probs) - 1)]
    p = m.where((classes >= 0) & (classes < len(probs)), p, 0.0)
    out = p * num_sampled if tries == num_sampled else -m.expm1(tries * m.log1p(-p))
    return out.astype(m.float32)


# -- the op

class _Sampler:
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        tc, a = op.inputs[0], op.attrs
        if tc.dtype != dtypes.int64:
            type_error(op, f"Input 'true_classes' of '{op.type}' Op has type {tc.dtype.name} that does not match "
                           "expected type of int64.")
        if tc.shape.ndims is not None and tc.shape.ndims != 2:
            fail(op, f"Shape must be rank 2 but is rank {tc.shape.ndims} for true_classes '{tc.name}'")
        if tc.shape.ndims == 2 and tc.shape[1] is not None and tc.shape[1] != a["num_true"]:
            fail(op, f"true_classes must have num_true columns, expected: {a['num_true']} was: {tc.shape[1]}")
        batch = tc.shape[0] if tc.shape.ndims == 2 else None
        return [((a["num_sampled"],), dtypes.int64), ((batch, a["num_true"]), dtypes.float32),
                ((a["num_sampled"],), dtypes.float32)]

    def lower(op, true_classes):
        a, counter = op.attrs, current().sources.rng(op)
        if true_classes.shape[1] != a["num_true"]:
            fail(op, f"true_classes must have num_true columns, expected: {a['num_true']} was: "
                     f"{true_classes.shape[1]}")
        probs = _probs(a["kind"], a["range_max"], a["weights"])
        weights = None if a["weights"] is None else np.asarray(a["weights"], dtype=np.float64)
        n = a["num_sampled"]
        packed = da.map_blocks(_sample_block, counter, kind=a["kind"], num_sampled=n, unique=a["unique"],
                               range_max=a["range_max"], weights=weights, seed=a["seed"], seed2=a["seed2"],
                               new_axis=[0], chunks=((n + 1,),), dtype=np.int64,
                               meta=backend.meta(counter, np.int64, ndim=1))
        tail = packed[n:]
        cands = packed[:n]
        true_counts = da.map_blocks(_expected, true_classes, tail, probs=probs, num_sampled=n, dtype=np.float32,
                                    meta=backend.meta(true_classes, np.float32))
        sampled_counts = da.map_blocks(_expected, cands, tail, probs=probs, num_sampled=n, dtype=np.float32,
                                       meta=backend.meta(cands, np.float32))
        return [cands, true_counts, sampled_counts]


for _type in ("UniformCandidateSampler", "LogUniformCandidateSampler", "FixedUnigramCandidateSampler",
              "AllCandidateSampler"):
    register(_type)(type(_type, (_Sampler,), {}))


def _check_attrs(type_name, num_true, num_sampled, range_max):
    for attr, v in (("num_true", num_true), ("num_sampled", num_sampled), ("range_max", range_max)):
        if v < 1:
            raise ValueError(f"Attr '{attr}' of '{type_name}' Op passed {v} less than minimum 1.")


def _sampler(type_name, kind, true_classes, num_true, num_sampled, unique, range_max, seed, name, weights=None):
    num_true, num_sampled, range_max = int(num_true), int(num_sampled), int(range_max)
    _check_attrs(type_name, num_true, num_sampled, range_max)
    support = range_max if weights is None else int(np.count_nonzero(weights))
    if unique and num_sampled > support:
        raise errors.InvalidArgumentError(None, None, f"Sampler's range is too small: {type_name} with unique=True "
                                                      f"needs num_sampled ({num_sampled}) <= the number of classes "
                                                      f"it can draw ({support})")
    graph_seed, op_seed = get_seed(seed)
    attrs = {"kind": kind, "num_true": num_true, "num_sampled": num_sampled, "unique": bool(unique),
             "range_max": range_max, "weights": None if weights is None else tuple(float(w) for w in weights),
             "seed": graph_seed, "seed2": op_seed}
    tc = convert_to_tensor(true_classes, dtype_hint=dtypes.int64)
    return CandidateSample(apply(type_name, [tc], attrs, name=name or type_name))


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Samples ``num_sampled`` classes uniformly from ``[0, range_max)`` (TF's ``uniform_candidate_sampler``).

    Returns ``(sampled_candidates, true_expected_count, sampled_expected_count)``: int64 [num_sampled], float32
    of ``true_classes``' shape ([batch, num_true], int64) and float32 [num_sampled].

    Examples
    --------
    >>> import daskflow as df
    >>> s = df.random.uniform_candidate_sampler([[1, 2]], 2, 3, False, 10, seed=1)
    >>> with df.Session() as sess:
    ...     print(sess.run(s.sampled_expected_count))
    [0.3 0.3 0.3]
    """
    return _sampler("UniformCandidateSampler", "uniform", true_classes, num_true, num_sampled, unique, range_max,
                    seed, name)


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Samples classes from the log-uniform (Zipfian) distribution ``P(k) = log((k+2)/(k+1)) / log(range_max+1)``
    over ``[0, range_max)`` (TF's ``log_uniform_candidate_sampler``); outputs as ``uniform_candidate_sampler``."""
    return _sampler("LogUniformCandidateSampler", "log_uniform", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name)


def _unigram_weights(range_max, vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams):
    if vocab_file:
        with open(vocab_file) as f:
            unigrams = [float(line.rstrip("\n").split(",")[-1]) for line in f if line.strip()]
    ids = [0.0] * int(num_reserved_ids) + [float(w) ** distortion for w in unigrams]
    weights = [w for i, w in enumerate(ids) if i % int(num_shards) == int(shard)]
    if len(weights) != range_max:
        raise ValueError(f"range is {range_max} must be equal to weights size  {len(weights)}")
    return weights


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, vocab_file="",
                                    distortion=1.0, num_reserved_ids=0, num_shards=1, shard=0, unigrams=(),
                                    seed=None, name=None):
    """Samples classes with probability proportional to ``unigrams[k] ** distortion`` (or the counts in the last
    column of ``vocab_file``'s lines), after ``num_reserved_ids`` ids of probability 0; with ``num_shards`` > 1
    only the ids ``i % num_shards == shard`` are kept (TF's ``fixed_unigram_candidate_sampler``)."""
    weights = _unigram_weights(int(range_max), vocab_file, distortion, num_reserved_ids, num_shards, shard, unigrams)
    return _sampler("FixedUnigramCandidateSampler", "unigram", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name, weights=weights)


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """The classes ``0 .. num_sampled - 1``, each with expected count 1 (TF's ``all_candidate_sampler``, for
    tests of sampled losses)."""
    return _sampler("AllCandidateSampler", "all", true_classes, num_true, num_sampled, True, num_sampled, seed,
                    name)
