"""The TF1-style programs in examples/ (``import daskflow as tf`` and nothing else daskflow-specific) learn what they
state, write TensorBoard event files and checkpoints, and report metrics that agree with scikit-learn's computed from
the restored checkpoint (and, for the linear model, with TensorFlow 1.x running the same program)."""
import collections
import glob
import os
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import load_module
from daskflow.summary.writer import summary_iterator

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
metrics = pytest.importorskip("sklearn.metrics")
pytest.importorskip("tensorboard")


def load(name):
    return load_module(EXAMPLES / f"{name}.py")


def read_events(logdir):
    """{(tag, kind): [(step, value)]} of every summary value in logdir's event files, and the kinds of the other
    events (graph_def, meta_graph_def, file_version)."""
    values, others = collections.defaultdict(list), collections.Counter()
    files = glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
    assert files, f"no event file in {logdir}"
    for f in files:
        for e in summary_iterator(f):
            what = e.WhichOneof("what")
            if what != "summary":
                others[what] += 1
            for v in e.summary.value:
                kind = v.WhichOneof("value")
                values[v.tag, kind].append((e.step, v.simple_value if kind == "simple_value" else v.histo))
    return values, others


def restored_run(checkpoint, fetch, feed):
    """Run ``fetch`` with ``feed`` (names) in a fresh graph imported from the checkpoint's meta graph."""
    with df.Graph().as_default():
        saver = df.train.import_meta_graph(checkpoint + ".meta")
        with df.Session() as sess:
            saver.restore(sess, checkpoint)
            return sess.run(fetch, feed)


def check_checkpoint(res, steps):
    assert res["global_step"] == steps
    assert res["checkpoint"].endswith(f"-{steps}")
    assert df.train.latest_checkpoint(res["logdir"]) == res["checkpoint"]
    assert df.train.load_variable(res["checkpoint"], "global_step") == steps


def test_tf1_mlp(capsys, tmp_path):
    mod = load("tf1_mlp")
    res = mod.main(["--epochs", "5", "--logdir", str(tmp_path)])
    assert res["accuracy"] >= 0.9  # the default 40 epochs reach >= 0.97; chance is 0.1
    assert res["losses"][-1] < 0.3 * res["losses"][0]
    steps = 5 * -(-1347 // 64)
    check_checkpoint(res, steps)

    # tf.metrics.accuracy, accumulated over test batches, is the accuracy of the checkpoint's predictions
    x_train, x_test, y_train, y_test = mod.load_digits()
    predictions = restored_run(res["checkpoint"], "predictions:0", {"x:0": x_test})
    assert res["accuracy"] == pytest.approx(metrics.accuracy_score(y_test, predictions), abs=1e-6)
    kernel = df.train.load_variable(res["checkpoint"], "mlp/hidden1/kernel")
    assert kernel.shape == (64, 128)

    values, others = read_events(str(tmp_path))
    assert others["graph_def"] == 1 and others["meta_graph_def"] == 1
    assert [s for s, _ in values["loss", "simple_value"]] == [steps * (e + 1) // 5 - 1 for e in range(5)]
    assert values["test_accuracy", "simple_value"] == [(steps, pytest.approx(res["accuracy"]))]
    # TF1 tags a variable's histogram "<variable>_1": the summary's name scope is made unique past the variable
    hist = dict(values["mlp/hidden1/kernel_1", "histo"])[steps - 1]
    assert hist.num == sum(hist.bucket) == kernel.size
    # written by the last step, which read the kernel before its last Adam update (each weight moves by ~lr)
    assert hist.min == pytest.approx(kernel.min(), abs=0.01) and hist.max == pytest.approx(kernel.max(), abs=0.01)
    assert {t for t, k in values if k == "histo"} == {f"mlp/{layer}/{v}_1" for layer in ("hidden1", "hidden2", "logits")
                                                     for v in ("kernel", "bias")}
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_tf1_convnet(capsys, tmp_path):
    mod = load("tf1_convnet")
    res = mod.main(["--epochs", "3", "--logdir", str(tmp_path)])
    assert res["accuracy"] >= 0.88  # the default 20 epochs reach >= 0.98; chance is 0.1
    assert res["losses"][-1] < 0.5 * res["losses"][0]
    steps = 3 * -(-1347 // 64)
    check_checkpoint(res, steps)

    # batch norm's moving averages were updated by the train op (UPDATE_OPS) and saved
    for layer in ("conv1", "conv2"):
        variance = df.train.load_variable(res["checkpoint"], f"{layer}/bn/moving_variance")
        mean = df.train.load_variable(res["checkpoint"], f"{layer}/bn/moving_mean")
        assert np.all(np.abs(variance - 1) > 0.1) and np.all(mean != 0)

    x_train, x_test, y_train, y_test = mod.load_digits()
    predictions = restored_run(res["checkpoint"], "predictions:0", {"x:0": x_test.reshape(-1, 8, 8, 1)})
    assert res["accuracy"] == pytest.approx(metrics.accuracy_score(y_test, predictions), abs=1e-6)
    # TF's mean_per_class_accuracy is the mean over classes of each class's recall
    assert res["mean_per_class_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y_test, predictions),
                                                           abs=1e-6)

    values, others = read_events(str(tmp_path))
    assert others["graph_def"] == 1
    # the tags TF1 writes for this program ("logits" and the variables' names are taken, so "_1" is appended)
    assert sorted(values) == sorted([("loss", "simple_value"), ("logits_1", "histo")] + [
        (f"conv{i}/bn/moving_{v}_1", "histo") for i in (1, 2) for v in ("mean", "variance")] + [
        ("test/accuracy", "simple_value"), ("test/mean_per_class_accuracy", "simple_value")])
    assert len(values["loss", "simple_value"]) == 3 and len(values["logits_1", "histo"]) == 3
    assert dict(values["test/mean_per_class_accuracy", "simple_value"]) == {
        steps: pytest.approx(res["mean_per_class_accuracy"])}
    assert "mean per-class accuracy" in capsys.readouterr().out


# TensorFlow 2.21 (tf.compat.v1, graph mode) running examples/tf1_linear_tabular.py unchanged but for its import
# line, with --epochs 4 --shuffle-buffer 0
TF_LINEAR = {"losses": [0.2540222704410553, 0.1422334760427475, 0.12185092270374298, 0.11241600662469864],
             "auc": 0.9892033338546753, "precision": 0.9555555582046509, "recall": 0.9555555582046509,
             "accuracy": 0.9440559148788452,
             "weights": [-0.37696308, -0.33204281, -0.37354544, -0.37821618, -0.14407356, -0.17700708, -0.33872482,
                         -0.39765391, -0.09792230, 0.23912729, -0.34304944, -0.00700417, -0.29378897, -0.32087651,
                         0.03274849, 0.07301955, 0.03717846, -0.12055844, 0.11160982, 0.13066177, -0.41372967,
                         -0.38911900, -0.40226805, -0.40587237, -0.30802867, -0.24578862, -0.31079498, -0.41431841,
                         -0.26802185, -0.12849546],
             "bias": 0.36514077}


def test_tf1_linear_tabular_follows_tensorflow(capsys, tmp_path):
    mod = load("tf1_linear_tabular")
    res = mod.main(["--epochs", "4", "--shuffle-buffer", "0", "--logdir", str(tmp_path)])
    # FTRL on cross-entropy + the L2 penalty from get_variable's regularizer, step for step as TF1
    np.testing.assert_allclose(res["losses"], TF_LINEAR["losses"], rtol=1e-5)
    for name in ("auc", "precision", "recall", "accuracy"):
        assert res[name] == pytest.approx(TF_LINEAR[name], abs=1e-5), name
    check_checkpoint(res, 4 * -(-426 // 32))
    w = df.train.load_variable(res["checkpoint"], "linear/weights")
    b = df.train.load_variable(res["checkpoint"], "linear/bias")
    np.testing.assert_allclose(w.ravel(), TF_LINEAR["weights"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(b, [TF_LINEAR["bias"]], rtol=1e-4)

    # and the metrics are scikit-learn's of the checkpoint's model (AUC: TF's 200-threshold trapezoid)
    x_train, x_test, y_train, y_test = mod.load_breast_cancer()
    logits = ((x_test - x_train.mean(0)) / x_train.std(0)) @ w + b
    predictions = (logits > 0).astype(np.float32)
    assert res["precision"] == pytest.approx(metrics.precision_score(y_test, predictions), abs=1e-6)
    assert res["recall"] == pytest.approx(metrics.recall_score(y_test, predictions), abs=1e-6)
    assert res["accuracy"] == pytest.approx(metrics.accuracy_score(y_test, predictions), abs=1e-6)
    assert res["auc"] == pytest.approx(metrics.roc_auc_score(y_test, logits), abs=5e-3)

    values, _ = read_events(str(tmp_path))
    # "total_loss" is the name of get_total_loss's op, so TF1 tags its summary "total_loss_1"
    cross_entropy, total = (np.array([v for _, v in values[tag, "simple_value"]]) for tag in ("cross_entropy",
                                                                                           "total_loss_1"))
    assert len(total) == 4 and np.all(total > cross_entropy)  # the penalty is part of the total loss
    assert dict(values["test/auc", "simple_value"]) == {res["global_step"]: pytest.approx(res["auc"])}
    assert len(values["weights", "histo"]) == 4
    assert "test AUC" in capsys.readouterr().out


def test_tf1_linear_tabular_reaches_its_targets(tmp_path):
    res = load("tf1_linear_tabular").main(["--epochs", "8", "--logdir", str(tmp_path)])
    assert res["auc"] >= 0.98 and res["accuracy"] >= 0.93  # default 30 epochs: AUC >= 0.98, accuracy >= 0.95
    assert res["losses"][-1] < 0.5 * res["losses"][0]
