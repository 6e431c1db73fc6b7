"""The CTC functions of ``daskflow/ops/ctc.py`` against TF 1.x's values (``tests/fixtures/tf1/make_ctc_fixtures.py``:
losses, their gradients, decoders, label helpers), a brute-force enumeration of alignments, finite differences and
TF's error messages."""
import itertools
import json
import pathlib

import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.ops import ctc
from daskflow.testing import GradCase, SweepCase, check_grads, load_module

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
REF = json.loads((FIXTURES / "nn" / "ctc.json").read_text())
TESTED_OPS = {"CTCLoss", "CTCGreedyDecoder", "CTCBeamSearchDecoder"}


def _programs():
    return load_module(FIXTURES / "make_ctc_fixtures.py")


P = _programs()


TF = df  # the fixture programs' ``tf``

# the loss's gradient comes from its own kernel (as TF's): checked by finite differences, first order (TF has no
# second derivative of CTCLoss either)
GRAD_CASES = [GradCase("CTCLoss", lambda x: ctc.ctc_loss(df.SparseTensor(P.IDX, P.VALS, P.SHAPE), x, P.SEQ),
                       [(6, 4, 5)], domain=(-2.0, 2.0))]


def _sparse_parts(decoded):
    return [t for d in decoded for t in (d.indices, d.values, d.dense_shape)]


def _greedy(x, seq):
    decoded, scores = ctc.ctc_greedy_decoder(x, seq)
    unmerged, _ = ctc.ctc_greedy_decoder(x, seq, merge_repeated=False, blank_index=0)
    return _sparse_parts(decoded + unmerged) + [scores]


def _beam(x, seq):
    decoded, scores = ctc.ctc_beam_search_decoder(x, seq, beam_width=3, top_paths=2)
    return _sparse_parts(decoded) + [scores]


_LOGITS = np.random.default_rng(5).standard_normal((5, 3, 4)).astype(np.float32)
SWEEP_CASES = [SweepCase(_greedy, _LOGITS, np.array([5, 3, 0], np.int32), name="ctc_greedy_decoder"),
               SweepCase(_beam, _LOGITS, np.array([5, 2, 4], np.int32), name="ctc_beam_search_decoder")]
# TF's dense loss gives a large finite value (707.86) for a row that cannot be aligned; daskflow gives inf
ROWS = {"v2_dense_short": [1, 2, 3]}


@pytest.mark.parametrize("case", sorted(P.CASES))
def test_values_match_tf1(case):
    with df.Graph().as_default(), df.Session() as s:
        got = P.run(TF, s, case)
    want = REF[case]
    if case in ROWS:
        got, want = np.asarray(got)[ROWS[case]], np.asarray(want)[ROWS[case]]
    if isinstance(want, list) and want and isinstance(want[0], list) and case not in P.LOSSES:
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5)
            assert np.asarray(g).dtype.kind == np.asarray(w).dtype.kind or np.asarray(w).size == 0
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("case", sorted(P.GRADS))
@pytest.mark.parametrize("chunks", [None, 1, 3])
def test_loss_gradients_match_tf1(case, chunks):
    with df.Graph().as_default(), df.Session() as s:
        x = df.placeholder(df.float32, [6, 4, 5])
        loss = P.LOSSES[case](TF, x)
        g = df.gradients(df.reduce_sum(loss * P.W), x)[0]
        feed = P.X if chunks is None else da.from_array(P.X, chunks=(6, chunks, 5))
        got_loss, got_grad = s.run([loss, g], {x: feed})
    want_loss, want_grad = (np.asarray(v) for v in REF["grad_" + case])
    rows = ROWS.get(case, slice(None))
    np.testing.assert_allclose(got_loss[rows], want_loss[rows], rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(got_grad[:, rows], want_grad[:, rows], rtol=1e-4, atol=2e-5)


def _brute_force(x, labels, merge=True):
    """-log of the summed probability of every path over T steps that maps onto ``labels`` (blank last)."""
    T, C = x.shape
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        out, prev = [], None
        for k in path:
            if k != C - 1 and (not merge or k != prev):
                out.append(k)
            prev = k
        if out == list(labels):
            total += np.exp(sum(logp[t, k] for t, k in enumerate(path)))
    return -np.log(total)


@pytest.mark.parametrize("labels,merge", [([0, 1], True), ([1, 1], True), ([1, 1], False), ([2, 0, 2], False)])
def test_loss_against_enumerated_alignments(labels, merge):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 1, 4))
    with df.Graph().as_default(), df.Session() as s:
        sp = df.SparseTensor([[0, i] for i in range(len(labels))], np.array(labels, np.int32), [1, len(labels)])
        got = s.run(ctc.ctc_loss(sp, x, [5], ctc_merge_repeated=merge))
    np.testing.assert_allclose(got, [_brute_force(x[:, 0], labels, merge)], rtol=1e-10)


def test_loss_gradient_by_finite_differences():
    def sp():
        return df.SparseTensor(P.IDX, P.VALS, P.SHAPE)
    x = np.random.default_rng(2).standard_normal((6, 4, 5))
    check_grads(lambda x: ctc.ctc_loss(sp(), x, P.SEQ), [x])
    check_grads(lambda x: ctc.ctc_loss(sp(), x, P.SEQ, ctc_merge_repeated=False, preprocess_collapse_repeated=True),
                [x], chunks=[(6, 3, 5)])
    check_grads(lambda x: ctc.ctc_loss_v2(P.DENSE + 1, x, P.DENSE_LEN, P.SEQ, blank_index=0), [x])


def test_loss_is_stable_for_large_logits():
    x = np.random.default_rng(3).standard_normal((6, 4, 5)).astype(np.float32) * 200
    with df.Graph().as_default(), df.Session() as s:
        sp = df.SparseTensor(P.IDX, P.VALS, P.SHAPE)
        xt = df.constant(x)
        loss = ctc.ctc_loss(sp, xt, P.SEQ)
        loss, g = s.run([loss, df.gradients(df.reduce_sum(loss), xt)[0]])
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(g))
    np.testing.assert_allclose(g.sum(axis=2), 0, atol=1e-5)  # softmax minus occupancy: each step's sum is 0


def _run_loss(idx, vals, shape, x, seq, **kw):
    with df.Graph().as_default(), df.Session() as s:
        return s.run(ctc.ctc_loss(df.SparseTensor(idx, np.array(vals, np.int32), shape), x, seq, **kw))


def test_impossible_rows_and_ignored_rows():
    x = np.random.default_rng(4).standard_normal((2, 1, 4)).astype(np.float32)
    assert np.isinf(_run_loss([[0, 0], [0, 1]], [1, 1], [1, 2], x, [2]))[0]
    assert _run_loss([[0, 0], [0, 1], [0, 2]], [1, 2, 1], [1, 3], x, [2], ignore_longer_outputs_than_inputs=True) \
        == [0.0]


@pytest.mark.parametrize("vals,seq,message", [
    ([1, 2, 3], [2], r"Not enough time for target transition sequence \(required: 3, available: 2\)0You can turn "
                     "this error into a warning by using the flag ignore_longer_outputs_than_inputs"),
    ([1, -1], [2], "All labels must be nonnegative integers, batch: 0 labels: 1,-1"),
    ([3, 1], [2], "Saw a non-null label \\(index >= num_classes - 1\\) following a null label, batch: 0 "
                  "num_classes: 4 labels: 3,1 labels seen so far: "),
    ([1], [3], r"sequence_length\(0\) <= 2"),
    ([1], [-1], r"seq_len\(0\) < 0"),
    ([], [2], r"Labels length is zero in batch 0"),
])
def test_loss_run_time_errors(vals, seq, message):
    x = np.zeros((2, 1, 4), np.float32)
    with pytest.raises(df.errors.InvalidArgumentError, match=message):
        _run_loss(np.array([[0, i] for i in range(len(vals))], np.int64).reshape(-1, 2), vals, [1, len(vals)], x, seq)


def test_unknown_shapes():
    with df.Graph().as_default(), df.Session() as s:
        x = df.placeholder(df.float32, [None, None, None])
        seq = df.placeholder(df.int32, [None])
        loss = ctc.ctc_loss(df.SparseTensor(P.IDX, P.VALS, P.SHAPE), x, seq)
        decoded, scores = ctc.ctc_beam_search_decoder(x, seq, beam_width=4, top_paths=3)
        assert loss.shape.as_list() == [None] and scores.shape.as_list() == [None, 3]
        got = s.run([loss] + [t for d in decoded for t in (d.indices, d.values, d.dense_shape)] + [scores],
                    {x: P.X, seq: P.SEQ})
    np.testing.assert_allclose(got[0], REF["loss"], rtol=2e-5)
    for g, w in zip(got[1:], REF["beam"]):
        np.testing.assert_allclose(g, w, rtol=2e-5)


def test_loss_build_errors_and_no_second_derivative():
    df.reset_default_graph()
    sp = df.SparseTensor([[0, 0]], np.array([1], np.int32), [1, 1])
    with pytest.raises(TypeError, match="Expected argument `labels` to be a SparseTensor. Received labels"):
        ctc.ctc_loss([[1]], np.zeros((2, 1, 4), np.float32), [2])
    with pytest.raises(ValueError, match="Shape must be rank 3 but is rank 2"):
        ctc.ctc_loss(sp, np.zeros((2, 4), np.float32), [2])
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 1 and 3"):
        ctc.ctc_loss(sp, np.zeros((2, 1, 4), np.float32), [2, 2, 2])
    with pytest.raises(ValueError, match="blank_index must be given when using SparseTensor labels."):
        ctc.ctc_loss_v2(sp, np.zeros((2, 1, 4), np.float32), None, [2])
    x = df.constant(np.zeros((2, 1, 4), np.float32))
    g = df.gradients(ctc.ctc_loss(sp, x, [2]), x)[0]
    with pytest.raises(LookupError, match="no way to take the second derivative of ctc_loss"):
        df.gradients(df.reduce_sum(g * g), x)


def test_decoder_errors():
    x = np.zeros((3, 2, 4), np.float32)
    with pytest.raises(ValueError, match="Attr 'beam_width' of 'CTCBeamSearchDecoder' Op passed 0 less than minimum"):
        ctc.ctc_beam_search_decoder(x, [3, 3], beam_width=0, top_paths=0)
    with pytest.raises(df.errors.InvalidArgumentError, match="requested more paths than the beam width."):
        ctc.ctc_beam_search_decoder(x, [3, 3], beam_width=2, top_paths=3)
    for fn in (ctc.ctc_greedy_decoder, ctc.ctc_beam_search_decoder):
        with df.Graph().as_default(), df.Session() as s:
            with pytest.raises(df.errors.FailedPreconditionError, match=r"sequence_length\(1\) <= 3"):
                s.run(fn(x, [3, 4])[1])
