"""TF's protobuf messages at daskflow's top level (``tf.GraphDef``, ``tf.Summary``, ``tf.RunOptions``...): the
classes TensorBoard and TF tools read, so values made with them interoperate."""
import pytest

import daskflow as df
from daskflow import protos


@pytest.mark.parametrize("name", sorted(protos.MESSAGES))
def test_each_message_is_tensorflows(name):
    cls = getattr(df, name)
    # tensorboard ships TF's messages under its own proto package: same fields, same bytes on the wire
    assert cls.DESCRIPTOR.full_name == f"tensorboard.{name}" and cls.__name__ == name
    assert type(cls.FromString(cls().SerializeToString())) is cls


def test_graph_def_and_summary_values():
    with df.Graph().as_default() as g:
        df.constant(1.0, name="c")
        assert isinstance(g.as_graph_def(), df.GraphDef) and [n.name for n in g.as_graph_def().node] == ["c"]
    s = df.Summary(value=[df.Summary.Value(tag="loss", simple_value=0.5)])
    assert df.Summary.FromString(s.SerializeToString()).value[0].simple_value == 0.5
    assert df.RunOptions(trace_level=df.RunOptions.FULL_TRACE).trace_level == 3


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="module 'daskflow' has no attribute 'NoSuchMessage'"):
        df.NoSuchMessage  # noqa: B018
    assert not hasattr(df, "NoSuchMessage")
