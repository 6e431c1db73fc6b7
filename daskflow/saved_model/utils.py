"""TF1's ``tf.saved_model.utils``: ``TensorInfo`` protos of tensors and back; and TF's ``SavedModel`` message."""
import functools

from ..graph import Tensor, get_default_graph
from ..graph_def import dtype_enum, pb, shape_proto

__all__ = ["build_tensor_info", "get_tensor_from_tensor_info"]


@functools.cache
def saved_model_class():
    """TF's ``SavedModel`` message (``saved_model.proto``: a schema version and the meta graphs): tensorboard's copy
    where it ships one, else built once over its ``MetaGraphDef``."""
    try:
        from tensorboard.compat.proto import saved_model_pb2
        return saved_model_pb2.SavedModel
    except ImportError:
        pass
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    meta = pb().meta.MetaGraphDef.DESCRIPTOR
    f = descriptor_pb2.FileDescriptorProto(name="daskflow/saved_model.proto", package="daskflow_protos",
                                           syntax="proto3", dependency=[meta.file.name])
    m = f.message_type.add(name="SavedModel")
    F = descriptor_pb2.FieldDescriptorProto
    m.field.add(name="saved_model_schema_version", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    m.field.add(name="meta_graphs", number=2, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                type_name="." + meta.full_name)
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(f.name)
    except KeyError:
        pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("daskflow_protos.SavedModel"))


def build_tensor_info(tensor):
    """The ``TensorInfo`` proto of a tensor: its name, dtype and static shape (a ``SparseTensor``: the names of its
    indices, values and dense_shape tensors, ``coo_sparse``)."""
    if hasattr(tensor, "indices") and hasattr(tensor, "dense_shape") and hasattr(tensor, "values"):
        info = pb().meta.TensorInfo(dtype=dtype_enum(tensor.dtype), tensor_shape=shape_proto(tensor.shape))
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
        return info
    if not isinstance(tensor, Tensor):
        raise TypeError(f"build_tensor_info() expects a Tensor or SparseTensor, got {type(tensor).__name__}")
    return pb().meta.TensorInfo(name=tensor.name, dtype=dtype_enum(tensor.dtype),
                                tensor_shape=shape_proto(tensor.shape))


def build_tensor_info_from_op(op):
    """A ``TensorInfo`` naming an op (dtype ``DT_INVALID``, unknown shape), as TF records init and train ops."""
    return pb().meta.TensorInfo(name=op.name, dtype=0, tensor_shape=pb().shape.TensorShapeProto(unknown_rank=True))


def prepend_name_scope(name, import_scope):
    """``name`` (of a tensor, an op, or a control input ``^op``) under ``import_scope``."""
    if not import_scope:
        return name
    if name.startswith("^"):
        return f"^{import_scope}/{name[1:]}"
    return f"{import_scope}/{name}"


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The tensor (or ``SparseTensor``) of ``graph`` (default: the default graph) that a ``TensorInfo`` names, its
    names prefixed with ``import_scope`` when given. A ``KeyError`` when the graph has no such tensor."""
    graph = graph or get_default_graph()

    def get(name):
        return graph.get_tensor_by_name(prepend_name_scope(name, import_scope))
    encoding = tensor_info.WhichOneof("encoding")
    if encoding == "name":
        return get(tensor_info.name)
    if encoding == "coo_sparse":
        from ..sparse import SparseTensor
        coo = tensor_info.coo_sparse
        return SparseTensor(get(coo.indices_tensor_name), get(coo.values_tensor_name),
                            get(coo.dense_shape_tensor_name))
    if encoding == "composite_tensor":
        raise ValueError("Invalid TensorInfo.encoding: composite_tensor (TF2 composite tensors have no daskflow "
                         "form). Expected `coo_sparse` or `name` for a dense tensor.")
    raise ValueError(f"Invalid TensorInfo.encoding: {encoding}. Expected `coo_sparse`, `composite_tensor`, or "
                     "`name` for a dense tensor.")


def get_element_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The op or tensor of ``graph`` that a ``TensorInfo`` names (a ``KeyError`` when there is none)."""
    graph = graph or get_default_graph()
    return graph.as_graph_element(prepend_name_scope(tensor_info.name, import_scope))
