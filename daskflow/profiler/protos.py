"""TF's profiler messages (``tensorflow/core/profiler/tfprof_log.proto`` and ``tfprof_output.proto``): ``OpLogProto``
(extra per-op information: float ops, types, code traces), ``GraphNodeProto`` (a node of the "scope" and "graph"
views), ``MultiGraphNodeProto`` (a node of the "op" and "code" views) and ``AdviceProto``.

They are described with protobuf's descriptor API with TF's package, field names, numbers and types, in a descriptor
pool of their own, so their bytes are TF's. ``TensorShapeProto`` is declared alongside; ``TFProfTensorProto.dtype``
(TF's ``DataType`` enum) is declared as its int32 wire type.
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

__all__ = ["OpLogProto", "OpLogEntry", "CodeDef", "GraphNodeProto", "MultiGraphNodeProto", "AdviceProto",
           "TFProfTensorProto", "TensorShapeProto"]

_F = descriptor_pb2.FieldDescriptorProto
_ONE, _MANY = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_I64, _I32, _STR, _DBL, _MSG = _F.TYPE_INT64, _F.TYPE_INT32, _F.TYPE_STRING, _F.TYPE_DOUBLE, _F.TYPE_MESSAGE


def _message(parent, name, fields, package, map_entry=False):
    """Add message ``name`` to ``parent``; ``fields`` are ``(name, number, type, label, type_name)`` with
    ``type_name`` a full name."""
    m = parent.add(name=name)
    if map_entry:
        m.options.map_entry = True
    for fname, number, kind, label, type_name in fields:
        f = m.field.add(name=fname, number=number, type=kind, label=label)
        if type_name:
            f.type_name = "." + type_name
    return m


def _map(message, package, field, number, entry, key_type, value_type, value_name=None):
    """Add to ``message`` the field ``map<key_type, value_type> field = number``."""
    _message(message.nested_type, entry, [("key", 1, key_type, _ONE, None),
                                          ("value", 2, value_type, _ONE, value_name)], package, map_entry=True)
    message.field.add(name=field, number=number, type=_MSG, label=_MANY,
                      type_name=f".{package}.{message.name}.{entry}")


def _shape_proto():
    f = descriptor_pb2.FileDescriptorProto(name="tensorflow/core/framework/tensor_shape.proto", package="tensorflow",
                                           syntax="proto3")
    shape = _message(f.message_type, "TensorShapeProto", [], "tensorflow")
    _message(shape.nested_type, "Dim", [("size", 1, _I64, _ONE, None), ("name", 2, _STR, _ONE, None)], "tensorflow")
    shape.field.add(name="dim", number=2, type=_MSG, label=_MANY, type_name=".tensorflow.TensorShapeProto.Dim")
    shape.field.add(name="unknown_rank", number=3, type=_F.TYPE_BOOL, label=_ONE)
    return f


def _log_proto():
    p = "tensorflow.tfprof"
    f = descriptor_pb2.FileDescriptorProto(name="tensorflow/core/profiler/tfprof_log.proto", package=p,
                                           syntax="proto3")
    code = _message(f.message_type, "CodeDef", [], p)
    _message(code.nested_type, "Trace", [("lineno", 2, _I32, _ONE, None), ("func_start_line", 5, _I32, _ONE, None),
                                         ("file_id", 6, _I64, _ONE, None), ("function_id", 7, _I64, _ONE, None),
                                         ("line_id", 8, _I64, _ONE, None)], p)
    code.field.add(name="traces", number=1, type=_MSG, label=_MANY, type_name=f".{p}.CodeDef.Trace")
    _message(f.message_type, "OpLogEntry", [("name", 1, _STR, _ONE, None), ("float_ops", 2, _I64, _ONE, None),
                                            ("types", 3, _STR, _MANY, None),
                                            ("code_def", 4, _MSG, _ONE, f"{p}.CodeDef")], p)
    log = _message(f.message_type, "OpLogProto", [("log_entries", 1, _MSG, _MANY, f"{p}.OpLogEntry")], p)
    _map(log, p, "id_to_string", 2, "IdToStringEntry", _I64, _STR)
    return f


# (name, number) of the statistics GraphNodeProto and MultiGraphNodeProto both have, each self and total
_GRAPH_STATS = [("exec_micros", 2, 6), ("accelerator_exec_micros", 17, 19), ("cpu_exec_micros", 18, 20),
                ("requested_bytes", 3, 7), ("peak_bytes", 24, 27), ("residual_bytes", 25, 28),
                ("output_bytes", 26, 29), ("parameters", 4, 8), ("float_ops", 13, 14)]
_MULTI_STATS = [("exec_micros", 2, 6), ("accelerator_exec_micros", 12, 14), ("cpu_exec_micros", 13, 15),
                ("requested_bytes", 3, 7), ("peak_bytes", 16, 19), ("residual_bytes", 17, 20),
                ("output_bytes", 18, 21), ("parameters", 4, 8), ("float_ops", 5, 9)]
STATS = [name for name, _, _ in _GRAPH_STATS]


def _stat_fields(table):
    return ([(n, self_no, _I64, _ONE, None) for n, self_no, _ in table]
            + [("total_" + n, total_no, _I64, _ONE, None) for n, _, total_no in table])


def _output_proto():
    p = "tensorflow.tfprof"
    f = descriptor_pb2.FileDescriptorProto(name="tensorflow/core/profiler/tfprof_output.proto", package=p,
                                           syntax="proto3", dependency=["tensorflow/core/framework/tensor_shape.proto"])
    _message(f.message_type, "TFProfTensorProto", [("dtype", 1, _I32, _ONE, None),
                                                   ("value_double", 2, _DBL, _MANY, None),
                                                   ("value_int64", 3, _I64, _MANY, None),
                                                   ("value_str", 4, _STR, _MANY, None)], p)
    shape = "tensorflow.TensorShapeProto"
    node = _message(f.message_type, "GraphNodeProto", [
        ("name", 1, _STR, _ONE, None), ("tensor_value", 15, _MSG, _ONE, f"{p}.TFProfTensorProto"),
        ("run_count", 21, _I64, _ONE, None), *_stat_fields(_GRAPH_STATS), ("devices", 10, _STR, _MANY, None),
        ("total_definition_count", 23, _I64, _ONE, None), ("total_run_count", 22, _I64, _ONE, None),
        ("shapes", 11, _MSG, _MANY, shape), ("children", 12, _MSG, _MANY, f"{p}.GraphNodeProto")], p)
    _map(node, p, "input_shapes", 16, "InputShapesEntry", _I32, _MSG, shape)
    _message(f.message_type, "MultiGraphNodeProto", [
        ("name", 1, _STR, _ONE, None), *_stat_fields(_MULTI_STATS),
        ("graph_nodes", 10, _MSG, _MANY, f"{p}.GraphNodeProto"),
        ("children", 11, _MSG, _MANY, f"{p}.MultiGraphNodeProto")], p)
    advice = _message(f.message_type, "AdviceProto", [], p)
    _message(advice.nested_type, "Checker", [("reports", 2, _STR, _MANY, None)], p)
    _map(advice, p, "checkers", 1, "CheckersEntry", _STR, _MSG, f"{p}.AdviceProto.Checker")
    return f


POOL = descriptor_pool.DescriptorPool()
for _file in (_shape_proto(), _log_proto(), _output_proto()):
    POOL.Add(_file)


def _class(name):
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(name))


TensorShapeProto = _class("tensorflow.TensorShapeProto")
CodeDef, OpLogEntry, OpLogProto = (_class("tensorflow.tfprof." + n) for n in ("CodeDef", "OpLogEntry", "OpLogProto"))
TFProfTensorProto, GraphNodeProto, MultiGraphNodeProto, AdviceProto = (
    _class("tensorflow.tfprof." + n) for n in ("TFProfTensorProto", "GraphNodeProto", "MultiGraphNodeProto",
                                               "AdviceProto"))
