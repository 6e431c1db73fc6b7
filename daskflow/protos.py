"""TensorFlow's protobuf messages (``tf.GraphDef``, ``tf.Summary``, ``tf.RunMetadata``...), from the copies the
``tensorboard`` package ships (daskflow's optional extra ``tf``), imported when first asked for."""
import importlib

__all__ = ["module", "MESSAGES"]

# the messages TF1 has at its top level: {name: module of tensorboard.compat.proto}
MESSAGES = {
    "AttrValue": "attr_value_pb2", "NameAttrList": "attr_value_pb2", "Event": "event_pb2",
    "LogMessage": "event_pb2", "SessionLog": "event_pb2", "GPUOptions": "config_pb2", "GraphOptions": "config_pb2",
    "OptimizerOptions": "config_pb2", "RunMetadata": "config_pb2", "RunOptions": "config_pb2",
    "GraphDef": "graph_pb2", "HistogramProto": "summary_pb2", "MetaGraphDef": "meta_graph_pb2",
    "TensorInfo": "meta_graph_pb2", "NodeDef": "node_def_pb2", "Summary": "summary_pb2",
    "SummaryMetadata": "summary_pb2", "SaverDef": "saver_pb2",
}


def module(name):
    """``tensorboard.compat.proto.<name>``, or an ImportError saying how to install it."""
    try:
        return importlib.import_module(f"tensorboard.compat.proto.{name}")
    except ImportError as e:
        raise ImportError(f"TensorFlow's protobuf messages ({name}) come from the tensorboard package: "
                          "pip install 'daskflow[tf]'") from e


def message(name):
    """The message class ``name`` of ``MESSAGES``."""
    return getattr(module(MESSAGES[name]), name)
