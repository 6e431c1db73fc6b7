import json
import os
import sys

import pytest

import daskflow as df
from daskflow.train.device_setter import replica_device_setter

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1")
sys.path.insert(0, FIXTURES)
import make_checkpoint_fixtures as fx  # noqa: E402

# (op name, device) that TF 1.x gives the ops of ``fx.device_program`` built under ``tf.device(setter)`` (ops made
# by both programs; each variable's Assign and read ops are placed by colocation with the variable instead)
TF_DEVICES = [
    ("a/initial_value", "/job:worker/task:1"), ("a", "/job:ps/task:0"),
    ("b/initial_value", "/job:worker/task:1"), ("b", "/job:ps/task:1"),
    ("c", "/job:worker/task:1"), ("zeros", "/job:worker/task:1"), ("w", "/job:ps/task:2"),
    ("Reshape", "/job:worker/task:1"), ("d", "/job:worker/task:1"),
    ("e/initial_value", "/job:worker/task:1"), ("e", "/job:ps/task:0"), ("f", "/job:worker/task:1"),
    ("g/initial_value", "/job:w"), ("g", "/job:ps/task:0/device:CPU:0"),
    ("h/initial_value", "/job:w"), ("h", "/job:ps/task:1/device:CPU:0"), ("i", "/job:w"),
]


def test_devices_match_tf():
    """The fixture's program under ``df.device(replica_device_setter(...))`` places its ops as TF 1.x does."""
    with df.Graph().as_default() as g:
        fx.device_program(df)
        got = {op.name: op.device for op in g.get_operations()}
    assert [(n, got[n]) for n, _ in TF_DEVICES] == TF_DEVICES
    with open(os.path.join(FIXTURES, "checkpoint_object", "devices.json")) as f:
        recorded = dict(json.load(f))
    assert all(recorded[n] == d for n, d in TF_DEVICES)


def test_device_functions_nest_with_device_strings_as_tf():
    with df.Graph().as_default():
        with df.device(df.train.replica_device_setter(ps_tasks=2)):
            a, b = df.Variable(1.0, name="a"), df.Variable(2.0, name="b")
            c = a + b
            with df.device("/job:worker/task:3"):
                d = c * 2
                with df.device(None):
                    e = d + 1
        with df.device("/job:worker"):
            with df.device("/task:1"):
                f = df.constant(1.0)
            with df.colocate_with(a):
                g = df.constant(2.0)
    assert [t.op.device for t in (a, b, c, d, e, f, g)] == [
        "/job:ps/task:0", "/job:ps/task:1", "/job:worker", "/job:worker/task:3", "", "/job:worker/task:1",
        "/job:ps/task:0"]


def _ops(*types):
    g = df.Graph()
    with g.as_default():
        return [g.create_op(t, [], {}, name=f"{t.lower()}{i}", output_specs=[]) for i, t in enumerate(types)]


def test_round_robin_and_existing_devices():
    setter = replica_device_setter(ps_tasks=3)
    v = _ops("VariableV2", "VariableV2", "VarHandleOp", "MutableHashTableV2", "VariableV2", "AddV2")
    assert [setter(op) for op in v] == ["/job:ps/task:0", "/job:ps/task:1", "/job:ps/task:2", "/job:ps/task:0",
                                        "/job:ps/task:1", "/job:worker"]
    g = df.Graph()
    with g.as_default():
        with df.device("/job:ps/task:7"):
            pinned = g.create_op("VariableV2", [], {}, name="pinned", output_specs=[])
        with df.device("/job:other/device:GPU:1"):
            other = g.create_op("VariableV2", [], {}, name="other", output_specs=[])
            add = g.create_op("AddV2", [], {}, name="add", output_specs=[])
        with df.device("/device:GPU:0"):
            gpu = g.create_op("AddV2", [], {}, name="gpu", output_specs=[])
    setter = replica_device_setter(ps_tasks=2)
    assert setter(pinned) == "/job:ps/task:7"                 # a task already set is kept (merge)
    assert setter(other) == "/job:other/device:GPU:1"         # another job: no task chosen, the op's fields win
    assert setter(add) == "/job:other/device:GPU:1"
    assert setter(gpu) == "/job:worker/device:GPU:0"
    assert replica_device_setter(ps_tasks=2, merge_devices=False)(gpu) == "/device:GPU:0"


def test_cluster_and_options():
    assert replica_device_setter() is None
    assert replica_device_setter(cluster={"worker": ["w0:1"]}) is None
    setter = replica_device_setter(cluster={"ps": ["a:1", "b:1"], "worker": ["w0:1"]}, ps_ops=["AddV2"],
                                   ps_strategy=lambda op: 5, worker_device="")
    v, add = _ops("VariableV2", "AddV2")
    assert (setter(v), setter(add)) == ("", "/job:ps/task:5")
    with pytest.raises(TypeError, match="ps_strategy must be callable"):
        replica_device_setter(ps_tasks=1, ps_strategy=3)
    with pytest.raises(TypeError, match="cluster must be"):
        replica_device_setter(cluster=["ps"])
