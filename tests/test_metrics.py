"""df.metrics: streaming over batches equals the metric of all batches at once (numpy or sklearn), weights, update
ops, reset, collections and variable names, and TF's own values (tests/fixtures/tf1/metrics) where its thresholds,
interpolations and set semantics decide them."""
import json
import pathlib

import numpy as np
import pytest
from sklearn import metrics as skm

import daskflow as df

TESTED_OPS = set()  # no op types of their own: metrics are made of variables, assignments and other ops
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "tf1" / "metrics"


def _stream(build, batches, kinds=None):
    """Build ``build(*placeholders)`` -> (value, update) in a new graph, run the update on each batch, and return the
    update's results, then the value, then the value after resetting the local variables."""
    g = df.Graph()
    with g.as_default():
        first = batches[0]
        phs = [df.placeholder(np.asarray(a).dtype, (None,) + np.shape(a)[1:]) for a in first]
        value, update = build(*phs)
        with df.Session() as s:
            s.run(df.local_variables_initializer())
            ups = [s.run(update, dict(zip(phs, b))) for b in batches]
            final = s.run(value)
            s.run(df.local_variables_initializer())
            reset = s.run(value)
    return ups, final, reset


def _batches(n_batches=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for b in range(n_batches):
        n = 5 + 4 * b
        out.append({"y": (rng.uniform(size=n) < 0.5).astype("i4"), "p": (rng.uniform(size=n) < 0.5).astype("i4"),
                    "x": rng.standard_normal(n).astype("f4"), "t": rng.standard_normal(n).astype("f4"),
                    "w": rng.uniform(0, 2, n).astype("f4"), "s": rng.uniform(0, 1, n).astype("f4"),
                    "c": rng.integers(0, 4, n).astype("i4"), "d": rng.integers(0, 4, n).astype("i4")})
    return out


def _all(batches, key):
    return np.concatenate([b[key] for b in batches])


# metric -> (build from the batch's arrays, keys fed, numpy reference on all the data at once)
STREAMED = {
    "mean": (lambda x: df.metrics.mean(x), "x", lambda x: x.mean()),
    "mean_w": (lambda x, w: df.metrics.mean(x, w), "xw", lambda x, w: np.average(x, weights=w)),
    "accuracy": (lambda c, d: df.metrics.accuracy(c, d), "cd", lambda c, d: skm.accuracy_score(c, d)),
    "accuracy_w": (lambda c, d, w: df.metrics.accuracy(c, d, w), "cdw",
                   lambda c, d, w: skm.accuracy_score(c, d, sample_weight=w)),
    "precision": (lambda y, p: df.metrics.precision(y, p), "yp",
                  lambda y, p: skm.precision_score(y, p, zero_division=0)),
    "precision_w": (lambda y, p, w: df.metrics.precision(y, p, w), "ypw",
                    lambda y, p, w: skm.precision_score(y, p, sample_weight=w, zero_division=0)),
    "recall": (lambda y, p: df.metrics.recall(y, p), "yp", lambda y, p: skm.recall_score(y, p, zero_division=0)),
    "recall_w": (lambda y, p, w: df.metrics.recall(y, p, w), "ypw",
                 lambda y, p, w: skm.recall_score(y, p, sample_weight=w, zero_division=0)),
    "rmse": (lambda x, t: df.metrics.root_mean_squared_error(t, x), "xt",
             lambda x, t: np.sqrt(skm.mean_squared_error(t, x))),
    "mse_w": (lambda x, t, w: df.metrics.mean_squared_error(t, x, w), "xtw",
              lambda x, t, w: skm.mean_squared_error(t, x, sample_weight=w)),
    "mae": (lambda x, t: df.metrics.mean_absolute_error(t, x), "xt", lambda x, t: skm.mean_absolute_error(t, x)),
    "mean_relative_error": (lambda x, t: df.metrics.mean_relative_error(t, x, t), "xt",
                            lambda x, t: np.mean(np.abs(t - x) / t)),  # as TF: the signed normalizer
    "percentage_below": (lambda x: df.metrics.percentage_below(x, 0.25), "x", lambda x: np.mean(x < 0.25)),
    "true_positives": (lambda y, p: df.metrics.true_positives(y, p), "yp", lambda y, p: np.sum((y == 1) & (p == 1))),
    "false_positives_w": (lambda y, p, w: df.metrics.false_positives(y, p, w), "ypw",
                          lambda y, p, w: np.sum(w * ((y == 0) & (p == 1)))),
    "true_negatives": (lambda y, p: df.metrics.true_negatives(y, p), "yp", lambda y, p: np.sum((y == 0) & (p == 0))),
    "false_negatives": (lambda y, p: df.metrics.false_negatives(y, p), "yp",
                        lambda y, p: np.sum((y == 1) & (p == 0))),
    "mean_iou": (lambda c, d: df.metrics.mean_iou(c, d, 4), "cd",
                 lambda c, d: skm.jaccard_score(c, d, average="macro", labels=np.unique(np.r_[c, d]))),
}


@pytest.mark.parametrize("case", sorted(STREAMED))
def test_streaming_equals_the_metric_of_all_batches(case):
    build, keys, reference = STREAMED[case]
    batches = _batches()
    ups, final, reset = _stream(build, [[b[k] for k in keys] for b in batches])
    cols = [_all(batches, k) for k in keys]
    want = reference(*cols)
    if case != "mean_iou":  # its update op gives the confusion matrix
        np.testing.assert_allclose(ups[-1], want, rtol=1e-5)
        first = reference(*[b[k] for k in keys for b in batches[:1]])
        np.testing.assert_allclose(ups[0], first, rtol=1e-5)
    np.testing.assert_allclose(final, want, rtol=1e-5)
    np.testing.assert_allclose(reset, 0.0)


def _per_class_accuracy(c, d, n):
    """Per class, the fraction of its examples predicted right (0 for classes not seen), as TF's update op gives."""
    cm = skm.confusion_matrix(c, d, labels=list(range(n)))
    total = cm.sum(1)
    return np.divide(np.diag(cm), total, out=np.zeros(n), where=total > 0)


def test_mean_per_class_accuracy():
    batches = _batches(seed=5)
    ups, final, reset = _stream(lambda c, d, w: df.metrics.mean_per_class_accuracy(c, d, 5, weights=w),
                                [[b["c"], b["d"], np.ones_like(b["w"])] for b in batches])
    c, d = _all(batches, "c"), _all(batches, "d")
    np.testing.assert_allclose(ups[-1], _per_class_accuracy(c, d, 5), rtol=1e-6)
    np.testing.assert_allclose(final, _per_class_accuracy(c, d, 5).mean(), rtol=1e-6)
    present = np.unique(c)
    np.testing.assert_allclose(final * 5 / present.size, skm.balanced_accuracy_score(c, d), rtol=1e-6)
    _, weighted, _ = _stream(lambda c, d, w: df.metrics.mean_per_class_accuracy(c, d, 4, weights=w),
                             [[b["c"], b["d"], b["w"]] for b in batches])
    w = _all(batches, "w")
    right = np.bincount(c, weights=w * (c == d), minlength=4) / np.bincount(c, weights=w, minlength=4)
    np.testing.assert_allclose(weighted, right.mean(), rtol=1e-5)
    np.testing.assert_allclose(reset, 0.0)


def test_counts_at_thresholds_and_ratios():
    batches = _batches()
    th = [0.0, 0.3, 0.5, 0.9]
    y, s, w = (_all(batches, k) for k in "ysw")
    pos = s[None, :] > np.array(th)[:, None]
    want = {"true_positives": ((y == 1) & pos), "false_positives": ((y == 0) & pos),
            "true_negatives": ((y == 0) & ~pos), "false_negatives": ((y == 1) & ~pos)}
    for kind, hits in want.items():
        fn = getattr(df.metrics, f"{kind}_at_thresholds")
        _, final, _ = _stream(lambda a, b, c: fn(a, b, th, weights=c), [[b["y"], b["s"], b["w"]] for b in batches])
        np.testing.assert_allclose(final, (hits * w).sum(1), rtol=1e-5)
    tp, fp, fn_ = ((want[k] * w).sum(1) for k in ("true_positives", "false_positives", "false_negatives"))
    _, prec, _ = _stream(lambda a, b, c: df.metrics.precision_at_thresholds(a, b, th, c),
                         [[b["y"], b["s"], b["w"]] for b in batches])
    _, rec, _ = _stream(lambda a, b: df.metrics.recall_at_thresholds(a, b, th), [[b["y"], b["s"]] for b in batches])
    np.testing.assert_allclose(prec, tp / (tp + fp + 1e-7), rtol=1e-5)
    tpu, fnu = ((want[k]).sum(1) for k in ("true_positives", "false_negatives"))
    np.testing.assert_allclose(rec, tpu / (tpu + fnu + 1e-7), rtol=1e-5)


def test_mean_tensor_and_cosine_distance():
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((2, 3)).astype("f4") for _ in range(3)]
    ws = [rng.uniform(0, 1, (2, 1)).astype("f4") for _ in range(3)]
    g = df.Graph()
    with g.as_default():
        x, w = df.placeholder(df.float32, [2, 3]), df.placeholder(df.float32, [2, 1])
        value, update = df.metrics.mean_tensor(x, w)
        assert sorted(v.name for v in df.local_variables()) == ["mean/count_tensor:0", "mean/total_tensor:0"]
        with df.Session() as s:
            s.run(df.local_variables_initializer())
            for a, b in zip(xs, ws):
                s.run(update, {x: a, w: b})
            got = s.run(value)
    wb = [np.broadcast_to(b, a.shape) for a, b in zip(xs, ws)]
    np.testing.assert_allclose(got, sum(a * b for a, b in zip(xs, wb)) / sum(wb), rtol=1e-5)
    u = [a / np.linalg.norm(a, axis=1, keepdims=True) for a in xs]
    v = [np.roll(a, 1, axis=0) for a in u]
    _, final, _ = _stream(lambda a, b: df.metrics.mean_cosine_distance(a, b, dim=1), [[a, b] for a, b in zip(u, v)])
    np.testing.assert_allclose(final, 1 - np.mean([np.sum(a * b, 1) for a, b in zip(u, v)]), rtol=1e-5)


def test_names_collections_and_reset():
    with df.Graph().as_default():
        labels, preds = df.placeholder(df.int32, [None]), df.placeholder(df.int32, [None])
        acc, acc_update = df.metrics.accuracy(labels, preds, metrics_collections=["m"], updates_collections=["u"])
        acc2, _ = df.metrics.accuracy(labels, preds)
        prec, prec_update = df.metrics.precision(labels, preds, name="my_precision")
        assert (acc.name, acc_update.name, acc2.name) == ("accuracy/value:0", "accuracy/update_op:0",
                                                          "accuracy_1/value:0")
        assert [v.name for v in df.local_variables()] == [
            "accuracy/total:0", "accuracy/count:0", "accuracy_1/total:0", "accuracy_1/count:0",
            "my_precision/true_positives/count:0", "my_precision/false_positives/count:0"]
        assert df.get_collection("metric_variables") == df.local_variables()
        assert not df.trainable_variables() and not df.global_variables()
        assert df.get_collection("m") == [acc] and df.get_collection("u") == [acc_update]
        with df.Session() as s:
            s.run(df.local_variables_initializer())
            assert s.run(acc_update, {labels: [1, 2], preds: [1, 3]}) == 0.5
            assert s.run(acc_update, {labels: [1, 2], preds: [1, 2]}) == 0.75
            assert s.run(acc) == 0.75 and s.run(acc2) == 0.0  # reading changes nothing; metrics are separate
            s.run(df.local_variables_initializer())
            assert s.run(acc) == 0.0 and s.run(prec) == 0.0


def test_shape_and_argument_errors():
    with df.Graph().as_default():
        with pytest.raises(ValueError, match="incompatible"):
            df.metrics.accuracy(df.placeholder(df.int32, [3]), df.placeholder(df.int32, [4]))
        with pytest.raises(ValueError, match="weights can not be broadcast to values"):
            df.metrics.mean(df.placeholder(df.float32, [3, 2]), df.placeholder(df.float32, [3, 4]))
        with pytest.raises(ValueError, match="Curve must be either ROC or PR"):
            df.metrics.auc(df.constant([1]), df.constant([0.5]), curve="XY")
        with pytest.raises(ValueError, match="`specificity` must be in the range"):
            df.metrics.sensitivity_at_specificity(df.constant([1]), df.constant([0.5]), 1.5)
        with pytest.raises(ValueError, match="Invalid k=0"):
            df.metrics.average_precision_at_k(df.constant([1], df.int64), df.constant([[0.5, 0.2]]), 0)
        with pytest.raises(TypeError, match="SparseTensor labels are not supported"):
            sparse = type("SparseTensorValue", (), {"indices": [[0, 0]], "values": [1], "dense_shape": [1, 1]})()
            df.metrics.precision_at_k(sparse, df.constant([[0.5, 0.2]]), 1)
        value, update = df.metrics.auc(df.constant([1, 0]), df.constant([0.5, 1.5]))
        with df.Session() as s:
            s.run(df.local_variables_initializer())
            with pytest.raises(df.errors.InvalidArgumentError, match=r"predictions must be in \[0, 1\]"):
                s.run(update)


# -- TF's values: the same cases as make_metric_fixtures.py

M = df.metrics
TF_CASES = {
    "auc_roc": lambda f: M.auc(f["bin"], f["score"], num_thresholds=20),
    "auc_roc_w": lambda f: M.auc(f["bin"], f["score"], weights=f["w"]),
    "auc_pr": lambda f: M.auc(f["bin"], f["score"], curve="PR", num_thresholds=30),
    "auc_pr_careful": lambda f: M.auc(f["bin"], f["score"], curve="PR", summation_method="careful_interpolation"),
    "auc_roc_minoring": lambda f: M.auc(f["bin"], f["score"], summation_method="minoring", num_thresholds=15),
    "auc_pr_majoring": lambda f: M.auc(f["bin"], f["score"], curve="PR", summation_method="majoring",
                                       thresholds=[0.2, 0.45, 0.7]),
    "mean_iou": lambda f: M.mean_iou(f["cls_l"], f["cls_p"], 5),
    "mean_iou_w": lambda f: M.mean_iou(f["cls_l"], f["cls_p"], 4, weights=f["w"]),
    "sens_at_spec": lambda f: M.sensitivity_at_specificity(f["bin"], f["score"], 0.6, num_thresholds=25),
    "spec_at_sens": lambda f: M.specificity_at_sensitivity(f["bin"], f["score"], 0.4, num_thresholds=25),
    "spec_at_sens_w": lambda f: M.specificity_at_sensitivity(f["bin"], f["score"], 0.7, weights=f["w"]),
    "precision_at_k": lambda f: M.precision_at_k(f["multi"], f["logits"], 2),
    "precision_at_k_one": lambda f: M.precision_at_k(f["one"], f["logits"], 3),
    "precision_at_k_class": lambda f: M.precision_at_k(f["multi"], f["logits"], 2, class_id=3),
    "recall_at_k": lambda f: M.recall_at_k(f["multi"], f["logits"], 3),
    "recall_at_k_w": lambda f: M.recall_at_k(f["multi"], f["logits"], 1, weights=f["w"]),
    "recall_at_k_class": lambda f: M.recall_at_k(f["one"], f["logits"], 2, class_id=1),
    "precision_at_top_k": lambda f: M.precision_at_top_k(f["multi"], f["multi"][:, ::-1] % 4),
    "recall_at_top_k": lambda f: M.recall_at_top_k(f["multi"], f["multi"][:, :2] % 3),
    "average_precision_at_k": lambda f: M.average_precision_at_k(f["multi"], f["logits"], 3),
    "average_precision_at_k_w": lambda f: M.average_precision_at_k(f["one"], f["logits"], 2, weights=f["w"]),
}
# TF's graph names max_1 (its "Max" op of cleaning labels takes "max" first, names being case-insensitive)
NAME_DIFFERENCES = {"average_precision_at_2/max_1:0": "average_precision_at_2/max:0",
                    "average_precision_at_3/max_1:0": "average_precision_at_3/max:0"}


@pytest.fixture(scope="module")
def tf_values():
    with np.load(FIXTURES / "metrics.npz", allow_pickle=False) as z:
        arrays = dict(z)
    return arrays, json.loads((FIXTURES / "variables.json").read_text())


@pytest.mark.parametrize("case", sorted(TF_CASES))
def test_matches_tf(case, tf_values):
    arrays, names = tf_values
    keys = sorted({k.split("_", 1)[1] for k in arrays if k.startswith("batch0_")})
    batches = [{k: arrays[f"batch{b}_{k}"] for k in keys} for b in range(3)]
    g = df.Graph()
    with g.as_default():
        phs = {k: df.placeholder(v.dtype, (None,) + v.shape[1:], name=k) for k, v in batches[0].items()}
        value, update = TF_CASES[case](phs)
        got_names = sorted(v.name for v in df.local_variables())
        assert got_names == sorted(NAME_DIFFERENCES.get(n, n) for n in names[case])
        with df.Session() as s:
            s.run(df.local_variables_initializer())
            for b, f in enumerate(batches):
                got = s.run(update, {phs[k]: v for k, v in f.items()})
                np.testing.assert_allclose(got, arrays[f"{case}_update{b}"], rtol=2e-6, atol=1e-7,
                                           err_msg=f"{case} update {b}")
            np.testing.assert_allclose(s.run(value), arrays[f"{case}_value"], rtol=2e-6, atol=1e-7)
