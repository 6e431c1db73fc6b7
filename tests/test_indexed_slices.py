import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops.indexed_slices import IndexedSlices, IndexedSlicesValue, sparse_mask
from daskflow.testing import load_module

TESTED_OPS = set()  # no op types of their own: IndexedSlices are made of UnsortedSegmentSum, ListDiff, Unique...

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "tf1"
_CASES = load_module(FIXTURES / "make_partitioned_fixtures.py")
INIT, OPTIMIZERS, SPARSE_STEPS = _CASES.INIT, _CASES.OPTIMIZERS, _CASES.SPARSE_STEPS
VALUES = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
INDICES = np.array([0, 2, 0], np.int32)


def _dense(values, indices, rows):
    out = np.zeros((rows,) + values.shape[1:], values.dtype)
    np.add.at(out, indices, values)
    return out


def _slices(dense_shape=(4, 2)):
    return IndexedSlices(df.constant(VALUES), df.constant(INDICES), None if dense_shape is None else
                         df.constant(list(dense_shape)))


def test_attributes_fetch_and_dense_conversion():
    s = _slices()
    assert (s.name, s.dtype, s.op.name, s.graph) == ("Const:0", np.float32, "Const", df.get_default_graph())
    assert s.shape.as_list() == [4, 2] and s.indices.name == "Const_1:0" and s.dense_shape.name == "Const_2:0"
    dense = df.convert_to_tensor(s)
    assert dense.op.type == "UnsortedSegmentSum" and dense.shape.as_list() == [4, 2]  # as TF's conversion
    with df.Session() as sess:
        got, got_dense, total = sess.run([s, dense, df.reduce_sum(s)])
    assert isinstance(got, IndexedSlicesValue)
    np.testing.assert_array_equal(got.values, VALUES)
    np.testing.assert_array_equal(got.indices, INDICES)
    np.testing.assert_array_equal(got.dense_shape, [4, 2])
    np.testing.assert_array_equal(got_dense, [[6, 8], [0, 0], [3, 4], [0, 0]])  # TF's value: rows added
    assert total == VALUES.sum()
    np.testing.assert_array_equal(df.Session().run(-s).values, -VALUES)


def test_dense_shape_fed_and_missing():
    shape = df.placeholder(df.int32, [2])
    s = IndexedSlices(df.constant(VALUES), df.constant(INDICES), shape)
    assert s.shape.as_list() == [None, 2]
    out = df.Session().run(df.convert_to_tensor(s), {shape: [5, 2]})
    np.testing.assert_array_equal(out, _dense(VALUES, INDICES, 5))
    with pytest.raises(ValueError, match="Tensor conversion requested for IndexedSlices for argument `value` without "
                                         "dense_shape"):
        df.convert_to_tensor(_slices(None))
    assert df.Session().run(_slices(None)).dense_shape is None
    with pytest.raises(TypeError, match="indices must be integers"):
        IndexedSlices(VALUES, [0.0, 1.0, 2.0])


def test_sparse_mask_drops_the_masked_indices():
    a = IndexedSlices(df.constant(np.arange(10.0).reshape(5, 2)), df.constant([12, 26, 0, 12, 9]),
                      df.constant([30, 2]))
    m = sparse_mask(a, [12, 45])
    assert m.indices.op.name == "sparse_mask/ListDiff" and m.values.name == "sparse_mask:0"  # TF's names
    assert m.dense_shape is a.dense_shape
    got = df.Session().run(m)
    np.testing.assert_array_equal(got.indices, [26, 0, 9])
    np.testing.assert_array_equal(got.values, np.arange(10.0).reshape(5, 2)[[1, 2, 4]])
    with pytest.raises(TypeError, match="sparse_mask takes IndexedSlices"):
        sparse_mask(df.constant([1.0]), [0])


def _train(key, steps, dense=False):
    cls, args, kwargs = OPTIMIZERS[key]
    var = df.Variable(np.array(INIT))
    opt = getattr(df.train, cls)(*args, **kwargs)
    ops = []
    for values, indices in steps:
        g = IndexedSlices(df.constant(np.array(values)), df.constant(indices), df.constant([4, 2]))
        ops.append(opt.apply_gradients([(df.convert_to_tensor(g) if dense else g, var)]))
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        for op in ops:
            sess.run(op)
        return sess.run(var)


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_sparse_updates_match_tf(key):
    expected = json.loads((FIXTURES / "partitioned" / "sparse_steps.json").read_text())["values"][key]
    # float64 variables: TF1 rounds python hyper-parameters (and Adam's beta powers) to float32 first, daskflow's
    # optimizers take them exact, hence differences of ~1e-8 (Adam: ~1e-6)
    np.testing.assert_allclose(_train(key, SPARSE_STEPS), expected, rtol=0, atol=2e-6 if key == "adam" else 2e-8)


def _numpy_sparse(key, steps, lr=0.1, mu=0.9, b1=0.9, b2=0.999, eps=1e-8):
    """TF1's sparse update rules, the rows of each step's gradient summed first."""
    var, slot, slot2, t = np.array(INIT), np.zeros((4, 2)), np.zeros((4, 2)), 0
    if key == "adagrad":
        slot += 0.1
    for values, indices in steps:
        rows = np.unique(indices)
        g = _dense(np.array(values), np.array(indices), 4)[rows]
        if key == "gd":
            var[rows] -= lr * g
        elif key in ("momentum", "nesterov"):
            slot[rows] = slot[rows] * mu + g
            var[rows] -= lr * g + lr * mu * slot[rows] if key == "nesterov" else lr * slot[rows]
        elif key == "adagrad":
            slot[rows] += g * g
            var[rows] -= lr * g / np.sqrt(slot[rows])
        else:  # adam: every row's moments decay and every row moves
            t += 1
            full = _dense(g, rows, 4)
            slot, slot2 = b1 * slot + (1 - b1) * full, b2 * slot2 + (1 - b2) * full * full
            var -= lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * slot / (np.sqrt(slot2) + eps)
    return var


@pytest.mark.parametrize("key", ["gd", "momentum", "nesterov", "adagrad", "adam"])
def test_sparse_updates_follow_the_numpy_recurrence(key):
    np.testing.assert_allclose(_train(key, SPARSE_STEPS), _numpy_sparse(key, SPARSE_STEPS), rtol=1e-6, atol=1e-7)


def test_adam_sparse_equals_dense_and_momentum_does_not():
    # TF1's sparse Adam decays both moments of all rows, so it is the dense step of the dense gradient
    np.testing.assert_allclose(_train("adam", SPARSE_STEPS), _train("adam", SPARSE_STEPS, dense=True), rtol=1e-12)
    assert not np.allclose(_train("momentum", SPARSE_STEPS), _train("momentum", SPARSE_STEPS, dense=True))


def test_optimizer_without_a_sparse_rule_applies_the_dense_form():
    var = df.Variable(np.array(INIT))
    g = IndexedSlices(df.constant(np.array(SPARSE_STEPS[0][0])), df.constant(SPARSE_STEPS[0][1]), [4, 2])
    step = df.train.ProximalGradientDescentOptimizer(0.1).apply_gradients([(g, var)])
    with df.Session() as sess:
        sess.run(var.initializer)
        sess.run(step)
        got = sess.run(var)
    np.testing.assert_allclose(got, np.array(INIT) - 0.1 * _dense(np.array(SPARSE_STEPS[0][0]),
                                                                   np.array(SPARSE_STEPS[0][1]), 4))


def test_apply_gradients_checks_indexed_slices():
    var = df.Variable(np.zeros((4, 2)), name="w")
    opt = df.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="dtype float32 does not match variable 'w' of dtype float64"):
        opt.apply_gradients([(IndexedSlices(df.constant(VALUES), INDICES, [4, 2]), var)])
    with pytest.raises(ValueError, match=r"dense shape \(4, 3\) does not match variable 'w' of shape \(4, 2\)"):
        opt.apply_gradients([(IndexedSlices(df.constant(np.ones((1, 3))), [0], [4, 3]), var)])


def test_clipping_scales_the_values_of_indexed_slices():
    """TF clips an IndexedSlices by the norm of its values (repeated rows are not summed first) and keeps its rows;
    TF's values: values / sqrt(91), and a global norm of 9.591663 with [1.] added."""
    v = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    s = df.IndexedSlices(df.constant(v), df.constant([0, 2, 0]), df.constant([4, 2]))
    clipped = df.clip_by_norm(s, 1.0)
    (first, second), norm = df.clip_by_global_norm([s, df.constant([1.0])], 1.0)
    assert isinstance(clipped, df.IndexedSlices) and isinstance(first, df.IndexedSlices)
    with df.Session() as sess:
        c, f, g, n = sess.run([clipped, first, second, norm])
    np.testing.assert_allclose(c.values, v / np.sqrt(91), rtol=1e-6)
    assert c.indices.tolist() == [0, 2, 0] and c.dense_shape.tolist() == [4, 2]
    np.testing.assert_allclose(n, 9.591663, rtol=1e-6)
    np.testing.assert_allclose(f.values, v / 9.591663, rtol=1e-5)
    np.testing.assert_allclose(g, [1 / 9.591663], rtol=1e-5)
