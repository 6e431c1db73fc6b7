"""A partitioned variable is saved as one tensor under its full name and shape (as TF's Saver), so a checkpoint
does not depend on the partitioning; TF's own checkpoints of partitioned variables (saved in slices) restore."""
import os

import numpy as np
import pytest

import daskflow as df

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1", "warmstart")
W = np.arange(21, dtype=np.float32).reshape(7, 3) / 4


def _model(parts):
    with df.variable_scope("p"):
        part = df.fixed_size_partitioner(parts) if parts else None
        w = df.get_variable("w", [7, 3], initializer=df.zeros_initializer(), partitioner=part)
    b = df.Variable([0.0, 0.0], name="b")
    return w, b


def _value(sess, w):
    parts = list(w) if hasattr(w, "_get_variable_list") else [w]
    return np.concatenate(sess.run(parts), axis=0)


def test_saved_whole_and_restored_into_any_partitioning(tmp_path):
    with df.Graph().as_default():
        w, b = _model(3)
        with df.Session() as s:
            s.run([p.assign(W[o:o + p.shape[0]]) for p, o in zip(w, (0, 3, 5))] + [b.assign([1.5, -2.0])])
            path = df.train.Saver().save(s, str(tmp_path / "m.ckpt"), write_meta_graph=False)
    assert df.train.list_variables(path) == [("b", [2]), ("p/w", [7, 3])]
    np.testing.assert_array_equal(df.train.load_variable(path, "p/w"), W)
    for parts in (2, None):
        with df.Graph().as_default():
            w, b = _model(parts)
            with df.Session() as s:
                df.train.Saver().restore(s, path)
                np.testing.assert_array_equal(_value(s, w), W)
                np.testing.assert_array_equal(s.run(b), [1.5, -2.0])


def test_partitioned_variable_in_var_list_and_shape_mismatch(tmp_path):
    with df.Graph().as_default():
        w, _ = _model(3)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            saver = df.train.Saver({"renamed": w})
            path = saver.save(s, str(tmp_path / "m.ckpt"), write_meta_graph=False)
    assert df.train.list_variables(path) == [("renamed", [7, 3])]
    with df.Graph().as_default():
        with df.variable_scope("p"):
            w = df.get_variable("w", [6, 3], partitioner=df.fixed_size_partitioner(2))
        with df.Session() as s:
            with pytest.raises(df.errors.InvalidArgumentError, match=r"partitioned variable renamed: shape \[6, 3\]"):
                df.train.Saver({"renamed": w}).restore(s, path)


def test_tf_checkpoint_of_partitioned_variable_restores():
    prefix = os.path.join(HERE, "part.ckpt")
    want = np.load(os.path.join(HERE, "part.npz"), allow_pickle=False)
    assert df.train.list_variables(prefix) == [("b", [2]), ("p/w", [7, 3])]
    for parts in (2, 3, None):
        with df.Graph().as_default():
            w, b = _model(parts)
            with df.Session() as s:
                df.train.Saver().restore(s, prefix)
                np.testing.assert_array_equal(_value(s, w), want["p/w"])
                np.testing.assert_array_equal(s.run(b), want["b"])


def test_warm_start_and_init_from_checkpoint_slice_partitioned_variables():
    prefix = os.path.join(HERE, "part.ckpt")
    with df.Graph().as_default():
        w, b = _model(2)
        df.train.warm_start(prefix, ".*")
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            np.testing.assert_array_equal(_value(s, w), W)
            np.testing.assert_array_equal(s.run(b), [1.5, -2.0])
    with df.Graph().as_default():
        w, _ = _model(3)
        df.train.init_from_checkpoint(prefix, {"p/w": "p/w"})
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            np.testing.assert_array_equal(_value(s, w), W)


def test_a_subset_of_parts_restores_but_does_not_save(tmp_path):
    with df.Graph().as_default():
        w, _ = _model(3)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            with pytest.raises(ValueError, match="from 1 of its parts"):
                df.train.Saver([list(w)[1]]).save(s, str(tmp_path / "m.ckpt"), write_meta_graph=False)
            df.train.Saver([list(w)[1]]).restore(s, os.path.join(HERE, "part.ckpt"))
            np.testing.assert_array_equal(_value(s, w), np.concatenate([np.zeros((3, 3)), W[3:5], np.zeros((2, 3))]))
