"""TF1's SDCA ops: ``train.sdca_optimizer`` gives TensorFlow 1.x's results for every loss (cases where TF's random
visiting order cannot matter) and, run to convergence, ridge regression's weights; ``train.sdca_shrink_l1`` updates
float32 variables in place with TF's values; ``train.sdca_fprint`` keeps low words 0 and 1 free. TF's values are in
``tests/fixtures/tf1/hashing`` (from ``make_hash_fixtures.py``); ``sdca_fprint``'s are checked in
tests/ops/test_hashing.py."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops import hashing
from daskflow import errors
from daskflow.train.sdca import sdca_fprint, sdca_optimizer, sdca_shrink_l1
from daskflow.testing import SweepCase

TESTED_OPS = {"SdcaOptimizer"}  # SdcaFprint's values: tests/ops/test_hashing.py

FIX = json.loads((pathlib.Path(__file__).resolve().parents[1] / "fixtures/tf1/hashing/hash_fixtures.json").read_text())


@pytest.mark.parametrize("case", FIX["shrink"], ids=lambda c: f"l1={c['l1']},l2={c['l2']}")
def test_shrink_l1_equals_tf(case):
    with df.Graph().as_default():
        ws = [df.Variable(np.array(w, np.float32)) for w in case["weights"]]
        op = sdca_shrink_l1(ws, l1=case["l1"], l2=case["l2"])
        assert op.name == "SdcaShrinkL1"
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            before = s.run(ws)
            s.run(op)
            after = s.run(ws)
    for b, w in zip(before, case["weights"]):
        np.testing.assert_array_equal(b, np.array(w, np.float32))  # nothing changes before the op runs
    for got, want in zip(after, case["out"]):
        want = np.array(want, np.float32)
        assert got.dtype == np.float32 and got.tobytes() == want.tobytes()  # bit for bit, signed zeros included


def test_shrink_l1_refuses_what_tf_refuses():
    with df.Graph().as_default():
        with pytest.raises(TypeError, match="requires that input 'weights' be a mutable tensor"):
            sdca_shrink_l1([df.constant([1.0])], l1=0.5, l2=1.0)
        with pytest.raises(TypeError, match="has type float64 that does not match expected type of float32"):
            sdca_shrink_l1([df.Variable(np.zeros(2))], l1=0.5, l2=1.0)
        with pytest.raises(TypeError, match="Expected list for 'weights'"):
            sdca_shrink_l1(df.Variable([1.0]), l1=0.5, l2=1.0)


def test_sdca_fprint_keeps_low_words_0_and_1_free(monkeypatch):
    pytest.importorskip("farmhash")
    fake = {b"a": (0, 7), b"b": (1, 8), b"c": (2, 9)}
    monkeypatch.setattr(hashing, "fingerprint128", fake.__getitem__)
    with df.Graph().as_default(), df.Session() as s:
        got = s.run(sdca_fprint([b"a", b"b", b"c"]))
    assert got.tolist() == [[-2, 7], [-1, 8], [2, 9]]  # 2**64 - 2 and 2**64 - 1 as int64


def _sweep_sdca(x, y, w):
    """One SDCA pass over fed dense features, labels and weights, as the optimizer's outputs."""
    state = df.zeros(df.stack([df.shape(x)[0], 4]))
    st, _, dense = sdca_optimizer([], [], [], [x], df.ones_like(y), y, [], [], [w], state, "squared_loss", 0.0, 1.0,
                                  1, 1)
    return [st] + dense


SWEEP_CASES = [SweepCase(_sweep_sdca, np.arange(6, dtype=np.float32).reshape(3, 2) / 5,
                         np.array([1.0, -1.0, 0.5], np.float32), np.array([0.1, 0.2], np.float32), name="sdca")]


def f32(v):
    return np.asarray(v, np.float32) if np.size(v) else np.zeros(np.shape(v), np.float32)


def i64s(vs):
    return [np.asarray(v, np.int64) for v in vs]


def run_sdca(a, **over):
    a = {**a, **over}
    with df.Graph().as_default(), df.Session() as s:
        out = sdca_optimizer(i64s(a["sparse_example_indices"]), i64s(a["sparse_feature_indices"]),
                             [f32(v) for v in a["sparse_feature_values"]], [f32(v) for v in a["dense_features"]],
                             f32(a["example_weights"]), f32(a["example_labels"]), i64s(a["sparse_indices"]),
                             [f32(v) for v in a["sparse_weights"]], [f32(v) for v in a["dense_weights"]],
                             f32(a["example_state_data"]), a["loss_type"], a["l1"], a["l2"],
                             a["num_loss_partitions"], a["num_inner_iterations"], adaptative=a["adaptative"])
        return s.run(out)


@pytest.mark.parametrize("case", FIX["sdca"], ids=lambda c: c["args"]["loss_type"])
def test_sdca_optimizer_equals_tf(case):
    state, sparse, dense = run_sdca(case["args"])
    want = case["out"]
    np.testing.assert_allclose(state, np.array(want["state"], np.float32), rtol=1e-6, atol=1e-7)
    assert len(sparse) == len(want["sparse"]) and len(dense) == len(want["dense"])
    for got, exp in zip(sparse + dense, want["sparse"] + want["dense"]):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, np.array(exp, np.float32), rtol=1e-6, atol=1e-7)


def test_sdca_squared_loss_converges_to_ridge_regression():
    """Passes of SDCA, feeding back the state and the weights, minimise sum_i c_i (x_i.w - y_i)^2 / 2 + l2 |w|^2 / 2
    (dense and sparse weights together)."""
    rng = np.random.default_rng(0)
    x, y, c, l2 = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=6), rng.uniform(0.5, 2, 6), 0.7
    sp_ex, sp_ids = np.arange(6, dtype=np.int64), np.array([0, 1, 0, 1, 0, 1], np.int64)
    with df.Graph().as_default(), df.Session() as s:
        dw, sw = df.placeholder(df.float32, [3]), df.placeholder(df.float32, [2])
        st = df.placeholder(df.float32, [6, 4])
        out = sdca_optimizer([sp_ex], [sp_ids], [], [x], c.astype(np.float32), y.astype(np.float32), [[0, 1]], [sw],
                             [dw], st, "squared_loss", 0.0, l2, 1, 1, adaptative=False)
        w_d, w_s, state = np.zeros(3, np.float32), np.zeros(2, np.float32), np.zeros((6, 4), np.float32)
        for _ in range(60):
            state, (d_s,), (d_d,) = s.run(out, {dw: w_d, sw: w_s, st: state})
            w_d, w_s = w_d + d_d, w_s + d_s
    full = np.hstack([x, np.eye(2)[sp_ids]]).astype(np.float64)  # each sparse entry: value 1 at its feature
    ridge = np.linalg.solve(full.T @ (c[:, None] * full) + l2 * np.eye(5), full.T @ (c * y))
    np.testing.assert_allclose(np.concatenate([w_d, w_s]), ridge, atol=2e-4)


def test_sdca_optimizer_errors():
    base = FIX["sdca"][0]["args"]
    with pytest.raises(errors.InvalidArgumentError, match="Only labels of 0.0 or 1.0 are supported right now. Found "
                                                          "example with label: 2"):
        run_sdca(base, example_labels=[1.0, 2.0, 0.0])
    with pytest.raises(errors.InvalidArgumentError, match="Found sparse feature indices out of valid range: 7"):
        run_sdca(base, sparse_feature_indices=[[0, 1, 2, 3, 7]])
    with pytest.raises(ValueError, match="Attr 'loss_type' of 'SdcaOptimizer' Op passed string 'l1_loss' not in"):
        run_sdca(base, loss_type="l1_loss")
    with pytest.raises(ValueError, match="Attr 'num_loss_partitions' of 'SdcaOptimizer' Op passed 0 less than "
                                         "minimum 1."):
        run_sdca(base, num_loss_partitions=0)
