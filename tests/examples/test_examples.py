"""Every program in examples/ runs (small settings) and prints what it claims."""
import pathlib

import numpy as np
import pytest

from daskflow.testing import load_module

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load(name):
    return load_module(EXAMPLES / f"{name}.py")


def test_figure1_trains_on_fresh_batches(capsys):
    costs = load("figure1").main(["--steps", "15", "--batch", "32"])
    assert len(costs) == 15 and all(np.isfinite(costs))
    assert len(set(costs)) == 15  # each step saw a different batch
    assert costs[-1] < 0.2 * costs[0]  # gradient descent on C: the cost falls well below its start
    assert "step 14: C =" in capsys.readouterr().out


def test_quickstart(capsys):
    cost, cost_dask, W, data = load("quickstart").main(rows=1000)
    reference = np.maximum(data.astype("f8") @ W, 0).sum()
    np.testing.assert_allclose([cost, cost_dask], reference, rtol=1e-4)
    out = capsys.readouterr().out
    assert "reduce_sum([1, 2]) = 3.0" in out and "df.lower gives Array" in out


def test_digits_mlp_learns(capsys):
    losses, accuracy = load("digits_mlp").main(["--epochs", "12"])
    assert losses[-1] < 0.2 * losses[0]
    assert accuracy >= 0.95
    assert "test accuracy" in capsys.readouterr().out


def test_out_of_core_logreg_learns_from_data_larger_than_its_budget(capsys, tmp_path):
    res = load("out_of_core_logreg").main(["--rows", "160000", "--features", "16", "--budget-mib", "8",
                                           "--batch", "256", "--gd-steps", "5", "--dir", str(tmp_path)])
    assert res["data_bytes"] > 8 * 2**20  # the data set is larger than the budget
    assert np.mean(res["sgd_losses"][-10:]) < 0.5 * res["sgd_losses"][0]
    assert res["gd_losses"][-1] < 0.6 * res["gd_losses"][0]
    assert all(b < a for a, b in zip(res["gd_losses"], res["gd_losses"][1:]))  # full-batch descent: loss falls
    for name in ("sgd", "gd"):
        assert res[name]["test_accuracy"] > 0.85
    out = capsys.readouterr().out
    assert "larger than the budget" in out and "<RunPlan" in out and "peak memory" in out


@pytest.mark.distributed
@pytest.mark.slow
def test_distributed_training_data_and_model_parallel(capsys):
    res = load("distributed_training").main(["--epochs", "4", "--batch", "128", "--lr", "1e-2", "--hidden", "32"])
    workers = sorted(res["workers"].values())
    local_losses, local_acc = res["local"]
    losses, acc = res["data_parallel"]
    np.testing.assert_allclose(losses, local_losses, rtol=1e-5)  # the cluster trains the same model
    assert abs(acc - local_acc) < 1e-6 and acc >= 0.85 and losses[-1] < 0.3 * losses[0]
    # each tower ran on its own worker; the two towers together on both
    ran = res["towers_ran_on"]
    for k in (0, 1):
        assert {w for key, ws in ran.items() if f"tower_{k}" in key for w in ws} == {res["workers"][k]}
    mp_losses, mp_acc = res["model_parallel"]
    assert mp_acc >= 0.85 and mp_losses[-1] < 0.3 * mp_losses[0]
    assert res["layers_ran_on"] == {"hidden": [res["workers"][0]], "output": [res["workers"][1]]}
    assert len(workers) == 2 and "model_parallel" in capsys.readouterr().out


def test_save_restore_resumes_in_a_new_process(capsys, tmp_path):
    res = load("save_restore").main(["--epochs", "6", "--stop-after", "3", "--dir", str(tmp_path)])
    assert res["resumed_losses"] == res["losses"]  # step for step the uninterrupted run
    assert res["resumed_accuracy"] == res["accuracy"] >= 0.9
    assert res["global_step"] == 3 * int(np.ceil(1348 / 64))  # the steps of 3 epochs, restored
    assert (tmp_path / "checkpoint").exists() and res["checkpoint"].endswith(f"-{res['global_step']}")
    assert "the same as uninterrupted training" in capsys.readouterr().out


def test_tf_model_out_of_core_predicts_as_tensorflow(capsys, tmp_path):
    import json
    res = load("tf_model_out_of_core").main(["--rows", "200000", "--budget-mib", "8", "--dir", str(tmp_path)])
    assert res["shape"] == (200000, 10) and res["data_bytes"] > 5 * res["budget"] >= 5 * res["projected_peak"]
    assert res["max_abs_error"] < 1e-6
    # and against what TensorFlow itself computed with the model (stored with the fixture)
    import daskflow as df
    import zarr
    expected = json.loads((EXAMPLES.parent / "tests" / "fixtures" / "tf1" / "expected.json").read_text())["mlp"]
    with df.Graph().as_default():
        prefix = df.train.latest_checkpoint(str(EXAMPLES.parent / "tests" / "fixtures" / "tf1" / "mlp"))
        saver = df.train.import_meta_graph(prefix + ".meta")
        with df.Session() as sess:
            saver.restore(sess, prefix)
            got = sess.run("probs:0", {"x:0": np.asarray(expected["x"], np.float32)})
    np.testing.assert_allclose(got, expected["probs"], rtol=1e-5, atol=1e-7)
    assert zarr.open_array(str(tmp_path / "predictions.zarr"), mode="r").shape == (200000, 10)
    assert "max abs difference" in capsys.readouterr().out


def test_newton_finds_the_roots(capsys):
    res = load("newton").main(["--n", "20000"])
    c, x = res["c"], res["roots"]
    np.testing.assert_allclose(x ** 3 - 2 * x, c, rtol=1e-13, atol=1e-12)
    assert 3 <= res["iterations"] < 50 and res["step"] <= 1e-12 and res["residual"] < 1e-9
    for ci in c[::5000]:  # the real root, as numpy's polynomial roots give it
        real = [r.real for r in np.roots([1, 0, -2, -ci]) if abs(r.imag) < 1e-9]
        assert x[np.argmin(np.abs(c - ci))] == pytest.approx(max(real), rel=1e-12)
    assert "2.094551481542" in capsys.readouterr().out


def test_lstm_digits_learns(capsys):
    res = load("lstm_digits").main(["--epochs", "8", "--batch", "128", "--lr", "0.02"])
    assert res["losses"][-1] < 0.3 * res["losses"][0]
    assert res["accuracy"] >= 0.9
    assert res["variables"][:2] == ["rnn/lstm_cell/kernel:0", "rnn/lstm_cell/bias:0"]  # TF1's names
    assert "test accuracy" in capsys.readouterr().out
