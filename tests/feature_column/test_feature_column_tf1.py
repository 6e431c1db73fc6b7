"""tf.feature_column against TensorFlow 1.x: the programs of ``tests/fixtures/tf1/make_feature_column_fixtures.py``
(numeric, bucketized, identity/vocabulary/hash columns into indicator and embedding columns, crossed, weighted and
shared-embedding columns, linear models with each sparse combiner, placeholders fed dense and sparse values) are
built here with daskflow; variable names, shapes and collections, outputs and gradients must equal TF's, and bad
arguments raise TF's errors."""
import importlib.util
import json
import pathlib
import types

import numpy as np
import pytest

import daskflow as df
import daskflow.feature_column as fc

ROOT = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
_spec = importlib.util.spec_from_file_location("fc_programs", ROOT / "make_feature_column_fixtures.py")
programs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(programs)
FIX = ROOT / "feature_column"
META = json.loads((FIX / "fc_fixtures.json").read_text())
WHERE = programs.paths(str(FIX))


class _TF(types.ModuleType):
    """daskflow under TF's names, with ``feature_column`` bound to the module under test."""

    feature_column = fc

    def __getattr__(self, name):
        return getattr(df, name)


TF = _TF("tf")


@pytest.fixture(scope="module")
def arrays():
    with np.load(FIX / "fc_fixtures.npz", allow_pickle=False) as f:
        return dict(f)


def _run(name):
    """Builds program ``name``, sets its variables as the fixture did; gives the graph's variables and the values
    of the fetches and of the gradients."""
    with df.Graph().as_default():
        fetches, feed, keep = programs.PROGRAMS[name](TF, WHERE)
        loss = df.add_n([df.reduce_sum(df.sin(t)) for t in fetches.values()])
        trainable = df.trainable_variables()
        grads = [df.convert_to_tensor(g) for g in df.gradients(loss, trainable)]
        variables = df.global_variables()
        models = df.get_collection("model_variables")
        with df.Session() as sess:
            sess.run([df.global_variables_initializer(), df.tables_initializer()])
            for v in variables:
                if v.op.name not in keep:
                    v.load(programs.variable_value(v.op.name, v.shape.as_list()), sess)
            values, gvals = sess.run([fetches, grads], feed)
    return variables, models, trainable, values, gvals


@pytest.mark.parametrize("name", sorted(programs.PROGRAMS))
def test_program_matches_tf(name, arrays):
    variables, models, trainable, values, gvals = _run(name)
    meta = META[name]
    assert [[v.op.name, v.shape.as_list(), v in trainable] for v in variables] == meta["variables"]
    assert [v.op.name for v in models] == meta["model_variables"]
    assert sorted(values) == meta["fetches"]
    for key, value in values.items():
        expected = arrays[f"{name}/{key}"]
        assert value.dtype == expected.dtype and value.shape == expected.shape, key
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6, err_msg=key)
    for v, g in zip(trainable, gvals):
        np.testing.assert_allclose(g, arrays[f"{name}/grad/{v.op.name}"], rtol=1e-4, atol=1e-5,
                                   err_msg=v.op.name)


@pytest.mark.parametrize("case", sorted(META["errors"]))
def test_errors_match_tf(case):
    cls, message = META["errors"][case]
    with df.Graph().as_default(), pytest.raises(Exception) as info:
        programs.ERRORS[case](TF, WHERE)
    assert type(info.value).__name__ == cls
    if "Tensor(" in message:  # the repr of a tensor differs: compare what precedes it
        message, got = message.split("Tensor(")[0], str(info.value).split("Tensor(")[0]
        assert got.startswith(message[:-len("Given: ")]) or got == message
        return
    assert str(info.value) == message


def _prefix(message):
    cut = min((message.find(m) for m in ("<class", "initializer=<", "dtype=") if m in message), default=len(message))
    return message[:cut]


@pytest.mark.parametrize("case", sorted(META["prefix_errors"]))
def test_errors_match_tf_up_to_python_reprs(case):
    """Messages that name Python classes: equal up to the first class repr (the module paths differ)."""
    cls, message = META["prefix_errors"][case]
    with df.Graph().as_default(), pytest.raises(Exception) as info:
        programs.PREFIX_ONLY[case](TF, WHERE)
    assert type(info.value).__name__ == cls
    assert _prefix(str(info.value)) == _prefix(message)
