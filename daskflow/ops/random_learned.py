"""TF's ``learned_unigram_candidate_sampler`` (``tf.nn`` and ``tf.random``): a candidate sampler whose
distribution over ``[0, range_max)`` is learned from the true classes it is given.

The op keeps a count per class, 1 for every class in a new Session (TF's ``UnigramSampler`` starts so). Each run
draws ``num_sampled`` candidates with probability ``count[k] / sum(count)`` and gives the expected counts from
those probabilities (as the fixed samplers of ``random_candidates`` do), and then adds 1 to the count of each
entry of ``true_classes``: the next run samples from the updated counts. The counts live in the Session, with the
op's run counter that, with the op's seeds, decides the draws; like an iterator's, the op's work is done on the
host before the run (``OpDef.host_run``), its true classes computed first, and a run refused before it starts
leaves the counts as they were.
"""
import threading

import numpy as np

from .. import errors
from .random_candidates import _expected, _sample_block, _sampler, _Sampler
from .registry import fail, register

__all__ = []
NAMESPACES = {"nn": ["learned_unigram_candidate_sampler"], "random": ["learned_unigram_candidate_sampler"]}

_states_lock = threading.Lock()


class _Counts:
    def __init__(self, range_max):
        self.lock = threading.Lock()
        self.counts = np.ones(range_max, dtype=np.int64)
        self.runs = 0
        self.before = None  # (counts, runs) before the last run, for host_undo


def _state(op, session):
    states = session._host_state.setdefault("learned_unigram", {})
    with _states_lock:
        return states.setdefault(op.name, _Counts(op.attrs["range_max"]))


def _checked_classes(op, classes):
    a = op.attrs
    if classes.ndim != 2 or classes.shape[1] != a["num_true"]:
        fail(op, f"true_classes must be a matrix with num_true columns, expected: [batch, {a['num_true']}] was: "
                 f"{list(classes.shape)}")
    if classes.size and (classes.min() < 0 or classes.max() >= a["range_max"]):
        bad = classes[(classes < 0) | (classes >= a["range_max"])][0]
        fail(op, f"true_classes holds {bad}, outside the sampler's range [0, {a['range_max']})")
    return classes


@register("LearnedUnigramCandidateSampler")
class LearnedUnigramCandidateSampler(_Sampler):
    def lower(op, true_classes):
        fail(op, "the candidates of a learned unigram sampler are only drawn in Session.run",
             errors.UnimplementedError)

    def host_run(op, session, feeds):
        a, n = op.attrs, op.attrs["num_sampled"]
        classes = _checked_classes(op, np.asarray(session._values([op.inputs[0]], feeds)[0], dtype=np.int64))
        state = _state(op, session)
        with state.lock:
            weights = state.counts.astype(np.float64)
            packed = _sample_block(np.asarray(state.runs), "unigram", n, a["unique"], a["range_max"], weights,
                                   a["seed"], a["seed2"])
            probs = weights / weights.sum()
            state.before = (state.counts.copy(), state.runs)
            np.add.at(state.counts, classes.reshape(-1), 1)  # TF updates after sampling: this run's draws ignore it
            state.runs += 1
        return {op.outputs[0]: packed[:n], op.outputs[1]: _expected(classes, packed[n:], probs, n),
                op.outputs[2]: _expected(packed[:n], packed[n:], probs, n)}

    def host_undo(op, session, values):
        state = _state(op, session)
        with state.lock:
            if state.before is not None:
                state.counts, state.runs = state.before
                state.before = None


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Samples ``num_sampled`` classes from ``[0, range_max)`` with probability proportional to how often each
    class was seen in ``true_classes`` so far (plus one), TF's ``learned_unigram_candidate_sampler``.

    Each run samples from the counts as they were before it, then adds the run's ``true_classes`` to them; a new
    Session starts from one count per class (uniform).

    Parameters
    ----------
    true_classes : int64 Tensor [batch, num_true]
    num_true, num_sampled, range_max : int
    unique : bool
        Whether the candidates are distinct (drawn until ``num_sampled`` distinct classes are found).
    seed : int, optional

    Returns
    -------
    ``(sampled_candidates, true_expected_count, sampled_expected_count)``: int64 [num_sampled], float32
    [batch, num_true] and float32 [num_sampled].

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.ops.random_learned import learned_unigram_candidate_sampler
    >>> s = learned_unigram_candidate_sampler(df.constant([[0]], df.int64), 1, 2, False, 4, seed=1)
    >>> with df.Session() as sess:
    ...     print(sess.run(s.true_expected_count), sess.run(s.true_expected_count))
    [[0.5]] [[0.8]]
    """
    return _sampler("LearnedUnigramCandidateSampler", "learned", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name)
