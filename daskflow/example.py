"""TensorFlow's ``Example`` protocol buffers (``tf.train.Example``, ``SequenceExample``, ``Feature``...), the records
``parse_example`` reads and TFRecord files usually hold.

The messages are described here with protobuf's own descriptor API, exactly as TF's
``tensorflow/core/example/feature.proto`` and ``example.proto`` declare them (package ``tensorflow``, the same
field names, numbers and types; ``FloatList`` and ``Int64List`` values packed), and built by protobuf's message
factory, so protobuf does the encoding and the bytes are TF's. They live in a descriptor pool of their own, so
they never clash with another copy of TF's protos loaded in the same process.

Examples
--------
>>> import daskflow as df
>>> ex = df.train.Example(features=df.train.Features(feature={
...     "x": df.train.Feature(float_list=df.train.FloatList(value=[1.0, 2.0]))}))
>>> df.train.Example.FromString(ex.SerializeToString()).features.feature["x"].float_list.value[:]
[1.0, 2.0]
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

__all__ = ["BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList", "FeatureLists", "Example",
           "SequenceExample"]

_F = descriptor_pb2.FieldDescriptorProto
_ONE, _MANY = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED


def _message(parent, name, fields, map_entry=False):
    """Add message ``name`` to ``parent`` (a file's or message's list of messages); ``fields`` are
    ``(name, number, type, type_name, label, options)`` with ``type_name`` relative to package ``tensorflow``."""
    m = parent.add(name=name)
    if map_entry:
        m.options.map_entry = True
    for fname, number, kind, type_name, label, options in fields:
        f = m.field.add(name=fname, number=number, type=kind, label=label)
        if type_name:
            f.type_name = ".tensorflow." + type_name
        if options:
            f.options.MergeFrom(options)
    return m


def _map(message, field, entry, value_type):
    """Add to ``message`` the proto3 field ``map<string, value_type> field = 1``: a repeated ``entry`` message
    (nested, marked as a map entry) of ``key = 1`` and ``value = 2``."""
    _message(message.nested_type, entry, [("key", 1, _F.TYPE_STRING, None, _ONE, None),
                                          ("value", 2, _F.TYPE_MESSAGE, value_type, _ONE, None)], map_entry=True)
    message.field.add(name=field, number=1, type=_F.TYPE_MESSAGE, label=_MANY,
                      type_name=f".tensorflow.{message.name}.{entry}")


def _feature_proto():
    f = descriptor_pb2.FileDescriptorProto(name="tensorflow/core/example/feature.proto", package="tensorflow",
                                           syntax="proto3")
    packed = descriptor_pb2.FieldOptions(packed=True)
    js_string = descriptor_pb2.FieldOptions(packed=True, jstype=descriptor_pb2.FieldOptions.JS_STRING)
    _message(f.message_type, "BytesList", [("value", 1, _F.TYPE_BYTES, None, _MANY, None)])
    _message(f.message_type, "FloatList", [("value", 1, _F.TYPE_FLOAT, None, _MANY, packed)])
    _message(f.message_type, "Int64List", [("value", 1, _F.TYPE_INT64, None, _MANY, js_string)])
    feature = _message(f.message_type, "Feature", [
        (kind, number, _F.TYPE_MESSAGE, kind.title().replace("_", ""), _ONE, None)
        for number, kind in enumerate(("bytes_list", "float_list", "int64_list"), 1)])
    feature.oneof_decl.add(name="kind")
    for field in feature.field:
        field.oneof_index = 0
    _map(_message(f.message_type, "Features", []), "feature", "FeatureEntry", "Feature")
    _message(f.message_type, "FeatureList", [("feature", 1, _F.TYPE_MESSAGE, "Feature", _MANY, None)])
    _map(_message(f.message_type, "FeatureLists", []), "feature_list", "FeatureListEntry", "FeatureList")
    return f


def _example_proto():
    f = descriptor_pb2.FileDescriptorProto(name="tensorflow/core/example/example.proto", package="tensorflow",
                                           syntax="proto3", dependency=["tensorflow/core/example/feature.proto"])
    _message(f.message_type, "Example", [("features", 1, _F.TYPE_MESSAGE, "Features", _ONE, None)])
    _message(f.message_type, "SequenceExample", [("context", 1, _F.TYPE_MESSAGE, "Features", _ONE, None),
                                                 ("feature_lists", 2, _F.TYPE_MESSAGE, "FeatureLists", _ONE, None)])
    return f


POOL = descriptor_pool.DescriptorPool()
POOL.Add(_feature_proto())
POOL.Add(_example_proto())


def _class(name):
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName("tensorflow." + name))


BytesList, FloatList, Int64List = _class("BytesList"), _class("FloatList"), _class("Int64List")
Feature, Features, FeatureList, FeatureLists = (_class("Feature"), _class("Features"), _class("FeatureList"),
                                                _class("FeatureLists"))
Example, SequenceExample = _class("Example"), _class("SequenceExample")
