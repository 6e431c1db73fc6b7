"""TF1's ``tf.profiler``: parameter and float-operation counts of a graph, per name scope, op or op type."""
from .model_analyzer import Profiler, advise, profile, write_op_log  # noqa: F401
from .option_builder import ProfileOptionBuilder  # noqa: F401
from .protos import AdviceProto, GraphNodeProto, MultiGraphNodeProto, OpLogProto  # noqa: F401

__all__ = ["AdviceProto", "GraphNodeProto", "MultiGraphNodeProto", "OpLogProto", "ProfileOptionBuilder", "Profiler",
           "advise", "profile", "write_op_log"]
