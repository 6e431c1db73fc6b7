import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops.partitioned import (PartitionedVariable, create_partitioned_variables, fixed_size_partitioner,
                                      min_max_variable_partitioner, variable_axis_size_partitioner)
from daskflow.testing import load_module

TESTED_OPS = set()  # no op types of their own: parts are variables, their concatenation a ConcatV2

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "tf1"
_CASES = load_module(FIXTURES / "make_partitioned_fixtures.py")
REFERENCE = json.loads((FIXTURES / "partitioned" / "partitioners.json").read_text())
FACTORIES = {"fixed": fixed_size_partitioner, "min_max": min_max_variable_partitioner,
             "axis_size": variable_axis_size_partitioner}
TABLE = np.arange(14.0, dtype=np.float32).reshape(7, 2)


def _outcome(fn):
    try:
        return {"value": fn()}
    except Exception as e:  # noqa: BLE001 - compared with the error TF gave
        return {"error": type(e).__name__, "message": str(e)}


def test_partitioners_give_tfs_slicing():
    got = [_outcome(lambda: list(FACTORIES[kind](**kw)(shape=df.TensorShape(shape), dtype=dt)))
           for kind, shape, dt, kw in _CASES.PARTITIONER_CASES]
    mismatched = [(case, g, r) for case, g, r in zip(_CASES.PARTITIONER_CASES, got, REFERENCE["results"]) if g != r]
    assert not mismatched, mismatched[:5]
    assert len(got) == 3072 and len({str(r["value"]) for r in got}) > 50  # the grid covers many slicings


def test_partitioner_errors_are_tfs():
    got = [_outcome(lambda: list(FACTORIES[kind](**kw)(shape=df.TensorShape(shape), dtype=df.float32))
                    if shape is not None else FACTORIES[kind](**kw) and None)
           for kind, kw, shape in _CASES.ERROR_CASES]
    # TF 2 prints an unknown dim as None, TF 1 (and daskflow) as ?
    assert got == [{k: v.replace("None", "?") for k, v in e.items()} for e in REFERENCE["errors"]]


def _table(partitions=3, reuse=None):
    with df.variable_scope("s", partitioner=fixed_size_partitioner(partitions), reuse=reuse):
        return df.get_variable("w", [7, 2], initializer=df.constant(TABLE))


def test_get_variable_with_a_partitioner():
    w = _table()
    assert isinstance(w, PartitionedVariable) and len(w) == 3 and w.name == "s/w" and w.shape.as_list() == [7, 2]
    # TF's names, shapes and slice specs
    assert [(v.name, v.shape.as_list()) for v in w] == [("s/w/part_0:0", [3, 2]), ("s/w/part_1:0", [2, 2]),
                                                         ("s/w/part_2:0", [2, 2])]
    assert [v._save_slice_info.spec for v in w] == ["7 2 0,3:0,2", "7 2 3,2:0,2", "7 2 5,2:0,2"]
    assert [v.name for v in df.trainable_variables()] == [v.name for v in w]
    t = df.convert_to_tensor(w)
    assert t.name == "s/w:0" and t.op.type == "Identity" and t.op.inputs[0].op.name == "s/w/ConcatPartitions/concat"
    with df.variable_scope("s", reuse=True):
        assert df.get_variable("w") is w  # no partitioner, no shape needed on reuse
    with df.variable_scope("s", partitioner=fixed_size_partitioner(3), reuse=True):
        assert df.get_variable("w", [7, 2]) is w
    x = df.get_variable("x", [4, 6], partitioner=fixed_size_partitioner(2, axis=1))
    assert [v.shape.as_list() for v in x] == [[4, 3], [4, 3]]
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(t), TABLE)
        np.testing.assert_array_equal(sess.run(w._get_variable_list()[1]), TABLE[3:5])
        assert sess.run(df.convert_to_tensor(x)).shape == (4, 6)
        sess.run(w.assign(TABLE + 1))
        np.testing.assert_array_equal(sess.run(w.as_tensor()), TABLE + 1)


def test_default_initializer_sees_the_full_shape():
    g = df.get_variable("g", [30, 6], partitioner=fixed_size_partitioner(3))
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        values = sess.run(df.convert_to_tensor(g))
    bound = np.sqrt(6 / 36)  # Glorot uniform of [30, 6], not of a [10, 6] part (whose bound is 0.61)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.3


@pytest.mark.parametrize("build, message", [
    (lambda: df.get_variable("s/w", [7, 2]), "No partitioner was provided, but a partitioned version of the "
                                              "variable was found: s/w/part_0"),
    (lambda: _table(), "Partitioned variable with name s/w already exists"),
    (lambda: _table(partitions=2, reuse=True),
     r"Trying to reuse partitioned variable s/w, but specified partitions \[2, 1\] and found partitions \[3, 1\]"),
    (lambda: df.get_variable("y", [None, 2], partitioner=fixed_size_partitioner(2)),
     r"Shape of a new partitioned variable must be fully defined, but instead was \(\?, 2\)"),
    (lambda: df.get_variable("y", [4, 2], partitioner=lambda shape, dtype: [2, 2]),
     r"Can only slice a variable along one dimension: shape: \(4, 2\), partitioning: \[2, 2\]"),
    (lambda: df.get_variable("y", [4, 2], partitioner=lambda shape, dtype: [2]),
     "Partitioner returned a partition list that does not match the Variable's rank"),
    (lambda: df.get_variable("y", [4, 2], partitioner=lambda shape, dtype: [0, 1]),
     r"Partitioner returned zero partitions for some axes: \[0, 1\]"),
    (lambda: df.get_variable("y", [4, 2], partitioner=3), "Partitioner must be callable, but received: 3"),
    (lambda: df.get_variable("z", [3, 2], partitioner=fixed_size_partitioner(2)),
     "A partitioner was provided, but an unpartitioned version of the variable was found: z"),
])
def test_errors_are_tfs(build, message):
    _table()
    df.get_variable("z", [3, 2])
    with pytest.raises(ValueError, match=message):
        build()


def test_scalars_are_never_partitioned():
    v = df.get_variable("sc", [], partitioner=fixed_size_partitioner(2))
    assert isinstance(v, df.Variable) and v.name == "sc:0"


def test_create_partitioned_variables():
    parts = create_partitioned_variables([5, 3], [1, 2], np.arange(15.0).reshape(5, 3), name="cp")
    assert [(v.name, v.shape.as_list(), v.dtype) for v in parts] == [("cp/part_0:0", [5, 2], np.float32),
                                                                     ("cp/part_1:0", [5, 1], np.float32)]
    ones = create_partitioned_variables([5, 3], [1, 2], df.constant_initializer(1.0))
    assert [v.name for v in ones] == ["PartitionedVariable/part_0:0", "PartitionedVariable/part_1:0"]
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        a, b = sess.run(parts)
        np.testing.assert_array_equal(np.concatenate([a, b], 1), np.arange(15.0).reshape(5, 3))
        np.testing.assert_array_equal(sess.run(ones[1]), np.ones((5, 1)))
    with pytest.raises(ValueError, match="must have the length: shape: \\[5, 3\\], slicing: \\[2\\]"):
        create_partitioned_variables([5, 3], [2], df.zeros_initializer())


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_embedding_lookup_over_parts(strategy):
    w = _table()
    ids = np.array([0, 3, 6, 4, 1])
    parts = [TABLE[0:3], TABLE[3:5], TABLE[5:7]]  # the parts, as partition_strategy assigns ids to them
    if strategy == "div":
        expected = TABLE[ids]
    else:
        expected = np.stack([parts[i % 3][i // 3] for i in ids])
    sp = df.sparse.SparseTensor([[0, 0], [0, 1], [1, 0]], df.constant([6, 4, 1], df.int64), [2, 2])
    looked = df.nn.embedding_lookup(w, ids, partition_strategy=strategy)
    summed = df.nn.embedding_lookup_sparse(w, sp, None, partition_strategy=strategy, combiner="sum")
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        got, got_sum = sess.run([looked, summed])
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got_sum, [expected[2] + expected[3], expected[4]])


def test_training_updates_each_part(tmp_path):
    w = _table()
    x = np.array([[1.0, -2.0]], np.float32)
    loss = df.reduce_sum(df.square(df.matmul(x, df.convert_to_tensor(w), transpose_b=True)))
    step = df.train.GradientDescentOptimizer(0.01).minimize(loss)
    saver = df.train.Saver()
    expected = TABLE.astype(np.float64)
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        for _ in range(3):
            sess.run(step)
            expected = expected - 0.01 * 2 * (expected @ x[0])[:, None] * x  # d/dW sum((W x)^2) = 2 (W x) x^T
        np.testing.assert_allclose(sess.run(df.convert_to_tensor(w)), expected, rtol=1e-5)
        path = saver.save(sess, str(tmp_path / "model"), write_meta_graph=False)
    with df.Session() as sess:  # the parts are saved and restored under their own names
        saver.restore(sess, path)
        np.testing.assert_allclose(sess.run(w._get_variable_list()[2]), expected[5:], rtol=1e-5)
