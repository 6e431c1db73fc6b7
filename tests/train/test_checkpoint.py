import os
import sys

import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.train.checkpoint import Checkpoint, CheckpointManager, CheckpointOptions, OBJECT_GRAPH_KEY
from daskflow.train.tf_bundle import TensorBundleReader

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1")
TF_CKPT = os.path.join(FIXTURES, "checkpoint_object", "tf-1")
sys.path.insert(0, FIXTURES)
import make_checkpoint_fixtures as fx  # noqa: E402

# what ``tf.train.list_variables`` gives for TF 1.x's checkpoint of ``fx.model_program``
TF_KEYS = [
    "_CHECKPOINTABLE_OBJECT_GRAPH",
    "heads/0/bias/.ATTRIBUTES/VARIABLE_VALUE",
    "heads/0/bias/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
    "heads/0/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
    "heads/0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
    "heads/0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
    "heads/0/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
    "model/dense/bias/.ATTRIBUTES/VARIABLE_VALUE",
    "model/dense/bias/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
    "model/dense/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
    "model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE",
    "model/dense/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
    "model/dense/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
    "optimizer/beta1_power/.ATTRIBUTES/VARIABLE_VALUE",
    "optimizer/beta2_power/.ATTRIBUTES/VARIABLE_VALUE",
    "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
    "step/.ATTRIBUTES/VARIABLE_VALUE",
    "v/.ATTRIBUTES/VARIABLE_VALUE",
    "v/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
    "v/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
]


class _Tf:
    """daskflow as the fixture's ``tf``, with this module's Checkpoint."""

    def __getattr__(self, name):
        if name == "train":
            return type("train", (), {"Checkpoint": Checkpoint, "AdamOptimizer": df.train.AdamOptimizer,
                                      "get_or_create_global_step": df.train.get_or_create_global_step})
        return getattr(df, name)


def _model():
    return fx.model_program(_Tf())


def _by_key(ckpt):
    from daskflow.train.checkpoint import _ObjectGraph
    with df.get_default_graph().as_default():
        return _ObjectGraph(ckpt).variables()


def test_restores_tf_checkpoint():
    want = np.load(os.path.join(FIXTURES, "checkpoint_object", "values.npz"), allow_pickle=False)
    with df.Graph().as_default():
        ckpt, train, _ = _model()
        status = ckpt.restore(TF_CKPT)
        variables = _by_key(ckpt)
        assert sorted(k.replace("/", "|") for k in variables) == sorted(want.files)
        with df.Session() as s:
            status.assert_consumed().run_restore_ops()
            for key, v in variables.items():
                np.testing.assert_array_equal(s.run(v), want[key.replace("/", "|")])
            s.run(train)   # training resumes from the restored Adam state
            assert s.run(df.train.get_global_step()) == 3


def test_keys_and_object_graph_as_tf(tmp_path):
    with df.Graph().as_default():
        ckpt, train, _ = _model()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            s.run(train)
            path = ckpt.save(str(tmp_path / "ck"))
    reader = TensorBundleReader(path)
    assert sorted(reader.get_variable_to_shape_map()) == TF_KEYS
    from tensorboard.compat.proto.trackable_object_graph_pb2 import TrackableObjectGraph
    graph = TrackableObjectGraph.FromString(reader.get_tensor(OBJECT_GRAPH_KEY).item())
    root = graph.nodes[0]
    assert [c.local_name for c in root.children] == ["heads", "model", "optimizer", "step", "v", "save_counter"]
    optimizer = graph.nodes[root.children[2].node_id]
    assert [c.local_name for c in optimizer.children] == ["beta1_power", "beta2_power"]
    assert [s.slot_name for s in optimizer.slot_variables] == ["m"] * 5 + ["v"] * 5
    names = {a.checkpoint_key: a.full_name for n in graph.nodes for a in n.attributes}
    assert names["heads/0/kernel/.ATTRIBUTES/VARIABLE_VALUE"] == "d2/kernel"
    assert names["v/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE"] == "v/Adam_1"


def test_save_numbers_and_round_trip(tmp_path):
    prefix = str(tmp_path / "sub" / "ck")
    with df.Graph().as_default():
        ckpt, train, objs = _model()
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            assert os.path.basename(ckpt.save(prefix)) == "ck-1"
            s.run(train)
            second = ckpt.save(prefix)
            saved = {k: s.run(v) for k, v in _by_key(ckpt).items()}
    assert os.path.basename(second) == "ck-2"
    assert df.train.latest_checkpoint(str(tmp_path / "sub")) == second
    assert TensorBundleReader(second).get_tensor("save_counter/.ATTRIBUTES/VARIABLE_VALUE") == 2
    with df.Graph().as_default():
        x = df.Variable([7.0, 7.0], name="x")     # other names: matched by place in the object graph
        opt = df.train.AdamOptimizer(0.1)
        ckpt = Checkpoint(v=x, optimizer=opt)
        status = ckpt.restore(second)             # before the slots exist: restored once they do
        opt.minimize(df.reduce_sum(x * x))
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            status.assert_existing_objects_matched().run_restore_ops()
            np.testing.assert_array_equal(s.run(x), saved["v/.ATTRIBUTES/VARIABLE_VALUE"])
            np.testing.assert_array_equal(s.run(opt.get_slot(x, "m")),
                                          saved["v/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"])
            assert s.run(ckpt.save_counter) == 2
            with pytest.raises(AssertionError, match="Unresolved object in checkpoint"):
                status.assert_consumed()               # the layers' values have no object here
            status.assert_nontrivial_match()
            assert os.path.basename(ckpt.save(str(tmp_path / "again"))) == "again-3"


def test_assertions_and_initialize_or_restore(tmp_path):
    with df.Graph().as_default():
        a = df.Variable([1.0, 2.0], name="a")
        ckpt = Checkpoint(a=a)
        with df.Session() as s:
            s.run(a.initializer)
            path = ckpt.write(str(tmp_path / "w"))
    assert path == str(tmp_path / "w") and not os.path.exists(tmp_path / "checkpoint")
    assert "save_counter/.ATTRIBUTES/VARIABLE_VALUE" not in TensorBundleReader(path).get_variable_to_shape_map()
    with df.Graph().as_default():
        a, b = df.Variable([0.0, 0.0], name="a"), df.Variable(5.0, name="b")
        ckpt = Checkpoint(a=a, b=b)
        status = ckpt.restore(path)
        with pytest.raises(AssertionError, match=r"Object not assigned a value from checkpoint.*'b'"):
            status.assert_existing_objects_matched()
        with df.Session() as s:
            status.initialize_or_restore()
            assert s.run(a).tolist() == [1.0, 2.0] and s.run(b) == 5.0
        with df.Session() as s:
            ckpt.restore(None).initialize_or_restore()
            assert s.run(a).tolist() == [0.0, 0.0]
            with pytest.raises(AssertionError):
                ckpt.restore(None).assert_consumed()
    with df.Graph().as_default():
        a = df.Variable([0.0, 0.0, 0.0], name="a")
        with df.Session() as s:
            s.run(a.initializer)
            with pytest.raises(errors.InvalidArgumentError, match="no variable was changed"):
                Checkpoint(a=a).restore(path).run_restore_ops()
            assert s.run(a).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(errors.NotFoundError):
        Checkpoint().restore(str(tmp_path / "nothing"))
    with pytest.raises(ValueError, match="needs a session"):
        Checkpoint().write(str(tmp_path / "x"))


def test_name_based_checkpoint(tmp_path):
    with df.Graph().as_default():
        w = df.Variable([[1.0, 2.0]], name="layer/w")
        with df.Session() as s:
            s.run(w.initializer)
            path = df.train.Saver().save(s, str(tmp_path / "model.ckpt"), write_meta_graph=False)
    with df.Graph().as_default():
        w = df.Variable([[0.0, 0.0]], name="layer/w")
        with df.Session() as s:
            Checkpoint(net=[w]).restore(path).assert_consumed().run_restore_ops()
            assert s.run(w).tolist() == [[1.0, 2.0]]


def test_nested_objects_and_options(tmp_path):
    class Net:
        def __init__(self):
            self.layers = [df.layers.Dense(2, name="l0"), df.layers.Dense(1, name="l1")]
            self.extra = {"scale": df.Variable(2.0, name="scale")}
            self.size = 3
    written = []
    with df.Graph().as_default():
        net = Net()
        y = net.layers[1](net.layers[0](df.ones([1, 3])))
        ckpt = Checkpoint(net=net)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            before = s.run(y)
            path = ckpt.save(str(tmp_path / "n"), options=CheckpointOptions(experimental_write_callbacks=[
                written.append]))
    assert written == [path]
    assert sorted(TensorBundleReader(path).get_variable_to_shape_map()) == [
        OBJECT_GRAPH_KEY, "net/extra/scale/.ATTRIBUTES/VARIABLE_VALUE",
        "net/layers/0/bias/.ATTRIBUTES/VARIABLE_VALUE", "net/layers/0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
        "net/layers/1/bias/.ATTRIBUTES/VARIABLE_VALUE", "net/layers/1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE"]
    with df.Graph().as_default():
        net = Net()
        y = net.layers[1](net.layers[0](df.ones([1, 3])))
        with df.Session() as s:
            Checkpoint(net=net).restore(path).assert_consumed().run_restore_ops()
            np.testing.assert_array_equal(s.run(y), before)


def test_checkpoint_manager(tmp_path):
    d = str(tmp_path / "m")
    with df.Graph().as_default():
        v = df.Variable(0.0, name="v")
        step = df.train.get_or_create_global_step()
        bump = [df.assign_add(v, 1.0), df.assign_add(step, 1)]
        ckpt = Checkpoint(v=v)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            manager = CheckpointManager(ckpt, d, max_to_keep=2)
            assert manager.latest_checkpoint is None and manager.restore_or_initialize() is None
            paths = []
            for _ in range(3):
                s.run(bump)
                paths.append(manager.save())
            assert [os.path.basename(p) for p in paths] == ["ckpt-1", "ckpt-2", "ckpt-3"]
            assert manager.checkpoints == paths[1:] and manager.latest_checkpoint == paths[2]
            assert not os.path.exists(paths[0] + ".index")
            assert not [f for f in os.listdir(d) if f.startswith("ckpt-1.")]
            assert os.path.basename(manager.save(checkpoint_number=step)) == "ckpt-3"   # overwrites, counts
            assert s.run(ckpt.save_counter) == 4
            state = df.train.get_checkpoint_state(d)
            assert list(state.all_model_checkpoint_paths) == paths[1:]
        with df.Session() as s:                         # a new manager takes the directory over
            s.run(df.global_variables_initializer())
            again = CheckpointManager(ckpt, d, max_to_keep=2)
            assert again.checkpoints == paths[1:]
            assert again.restore_or_initialize() == paths[2]
            assert s.run(v) == 3.0
            s.run(bump)
            again.save()
            assert [os.path.basename(p) for p in again.checkpoints] == ["ckpt-3", "ckpt-5"]


def test_checkpoint_manager_interval_and_init_fn(tmp_path):
    calls = []
    with df.Graph().as_default():
        step = df.Variable(0, dtype=df.int64, name="step")
        inc = df.assign_add(step, 1)
        ckpt = Checkpoint(step=step)
        with df.Session() as s:
            s.run(step.initializer)
            with pytest.raises(ValueError, match="step_counter"):
                CheckpointManager(ckpt, str(tmp_path), 3, checkpoint_interval=2)
            with pytest.raises(ValueError, match="positive integer"):
                CheckpointManager(ckpt, str(tmp_path), 0)
            m = CheckpointManager(ckpt, str(tmp_path), None, step_counter=step, checkpoint_interval=2,
                                  init_fn=lambda: calls.append(1))
            assert m.restore_or_initialize() is None and calls == [1]
            saved = []
            for _ in range(5):
                saved.append(m.save())
                s.run(inc)
            assert [p is not None for p in saved] == [True, False, True, False, True]
            assert m.save() is None and m.save(check_interval=False) is not None   # step 5: not yet saved
            assert m.save(check_interval=False) is None                            # step 5 again
