"""The programs of ``tests/fixtures/tf1/make_layer_fixtures.py``, built with ``df.layers``, name and shape their
variables as TensorFlow's ``tf.layers`` does and, given TensorFlow's initial variable values, give TensorFlow's
outputs, regularization losses, moving averages after update steps, and gradients of a scalar loss with respect to
the variables and inputs."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import load_module

TESTED_OPS = set()  # layers have no op types of their own

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"


def _programs():
    return load_module(FIXTURES / "make_layer_fixtures.py")


PROGRAMS = _programs()
MANIFEST = json.loads((FIXTURES / "layers" / "manifest.json").read_text())


@pytest.mark.parametrize("case", sorted(PROGRAMS.CASES))
def test_programs_match_tensorflow(case):
    """Variables (names, shapes, dtypes, trainability) and the results' op names as TF's; with TF's variable values
    loaded, TF's moving averages after the update steps, results and gradients (float32: rtol 1e-5)."""
    expected = MANIFEST["cases"][case]
    data = np.load(FIXTURES / "layers" / f"{case}.npz", allow_pickle=False)
    build = PROGRAMS.CASES[case]
    feeds, results = build(df)
    variables = df.global_variables()
    trainable = df.trainable_variables()
    got = [[v.name, v.shape.as_list(), v.dtype.name, any(v is t for t in trainable)] for v in variables]
    assert got == expected["variables"]
    flat = PROGRAMS.flat_results(results)
    assert [k for k, _ in flat] == expected["results"]
    if not case.startswith("batch_norm"):  # df.nn.batch_normalization names its output "batchnorm", TF "add_1"
        assert {k: t.name for k, t in flat} == expected["names"]
    loss = df.add_n([df.reduce_sum(t * data[f"weight/{k}"]) for k, t in flat])
    floats = [(n, ph) for n, (ph, v) in feeds.items() if v.dtype.kind == "f"]
    grads = df.gradients(loss, variables + [ph for _, ph in floats])
    names = [v.name for v in variables] + [n for n, _ in floats]
    assert [n for n, g in zip(names, grads) if g is not None] == expected["gradients"]
    tol = dict(rtol=1e-10, atol=1e-12) if case.endswith("float64") else dict(rtol=1e-5, atol=1e-5)
    with df.Session() as sess:
        for v in variables:
            v.load(data[f"var/{v.name}"], sess)
        for i in range(getattr(build, "STEPS", 0)):
            step = PROGRAMS.step_feeds(feeds, i)
            for n, value in step.items():
                np.testing.assert_array_equal(value, data[f"step{i}/{n}"])
            sess.run(df.get_collection(df.GraphKeys.UPDATE_OPS), {feeds[n][0]: v for n, v in step.items()})
        if getattr(build, "STEPS", 0):
            for v, value in zip(variables, sess.run(variables)):
                np.testing.assert_allclose(value, data[f"after/{v.name}"], err_msg=f"{v.name} after the updates",
                                           **tol)
        got = sess.run([t for _, t in flat] + [g for g in grads if g is not None],
                       {ph: data[f"input/{n}"] for n, (ph, _) in feeds.items()})
    for (k, t), value in zip(flat, got):
        assert value.dtype == t.dtype and t.shape.is_compatible_with(value.shape), k
        np.testing.assert_allclose(value, data[f"result/{k}"], err_msg=k, **tol)
    for n, value in zip(expected["gradients"], got[len(flat):]):
        np.testing.assert_allclose(value, data[f"grad/{n}"], err_msg=f"gradient of {n}", **tol)
