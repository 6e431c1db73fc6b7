"""daskflow: TensorFlow 1.x-style dataflow graphs, symbolic and lazy, compiled to dask.

``import daskflow as tf`` runs most TF1 graph-mode code: build a graph of placeholders, variables and ops, then
``Session.run`` it on dask's local scheduler or a dask.distributed cluster.
"""
from . import config, dtypes, errors
from .errors import OpError  # noqa: F401 - tf.OpError
from . import protos as _protos
from .behavior import *  # noqa: F401,F403 - TF2's switches back to TF1 (disable_v2_behavior...)
from .autodiff import (AggregationMethod, NoGradient, NotDifferentiable, RegisterGradient,  # noqa: F401
                       UnconnectedGradients, gradients, hessians, no_gradient)
from .dtypes import (DType, as_dtype, bool, complex64, complex128, double, float16, float32, float64, half, int8,
                     int16, int32, int64, string, uint8, uint16, uint32, uint64)
from .graph import (DeviceSpec, Graph, Operation, Tensor, TensorShape, colocate_with, control_dependencies, device,
                    get_default_graph, init_scope, name_scope, op_scope, reset_default_graph, set_random_seed)
from .ops import overloads as _overloads  # noqa: F401 - installs Tensor operators and numpy protocols
from .ops.array import *  # noqa: F401,F403
from .ops.control import *  # noqa: F401,F403
from .ops.conv_nd import *  # noqa: F401,F403
from .ops.custom_grad import *  # noqa: F401,F403
from .ops.functional import *  # noqa: F401,F403
from .ops.generate import *  # noqa: F401,F403
from .ops.hostvalue import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.loops import *  # noqa: F401,F403
from .ops.math import *  # noqa: F401,F403
from .ops.parsing import *  # noqa: F401,F403 - FixedLenFeature, VarLenFeature, parse_example, parse_single_example...
from .ops.pyfunc import *  # noqa: F401,F403
from .ops.random import random_normal, random_uniform, truncated_normal  # noqa: F401
from .ops.ranking import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.segment import *  # noqa: F401,F403
from .ops.special import *  # noqa: F401,F403
from .ops.manip import *  # noqa: F401,F403
from .ops.checks import *  # noqa: F401,F403
from .ops.decomp import *  # noqa: F401,F403
from .ops.spectral import *  # noqa: F401,F403 - fft, ifft, fft2d... rfftnd, irfftnd
from .ops.split import *  # noqa: F401,F403
from .ops.registry import (convert_to_tensor, convert_to_tensor_or_indexed_slices, is_symbolic_tensor,  # noqa: F401
                           register_tensor_conversion_function)
from .ops.random_more import *  # noqa: F401,F403 - multinomial, random_gamma, random_poisson, random_shuffle...
from .graph_def import make_ndarray, make_tensor_proto  # noqa: F401
from .ops.state import *  # noqa: F401,F403
from .ops.variable_scope import *  # noqa: F401,F403
from .ops.indexed_slices import *  # noqa: F401,F403 - IndexedSlices, sparse_mask
from .ops.partitioned import *  # noqa: F401,F403 - partitioners, create_partitioned_variables
from .ops.hashing import *  # noqa: F401,F403 - fingerprint, string_to_hash_bucket(_fast, _strong)
from .ops.numeric_more import random_index_shuffle  # noqa: F401
from .ops.numeric_extra import conv  # noqa: F401 - TF's raw N-d convolution
from .ops.sparse_serialize import *  # noqa: F401,F403 - serialize_sparse, (de)serialize_many_sparse
from .ops.edit_distance import *  # noqa: F401,F403 - edit_distance
from .ops.tensor_array import *  # noqa: F401,F403
from .ops.strings import *  # noqa: F401,F403 - as_string, string_join, print, Print
from .ops.strings_more import *  # noqa: F401,F403 - string_split, substr, decode_csv, read_file, bitcast...
from .session import ConfigProto, InteractiveSession, Session, get_default_session, lower
from .session_handles import delete_session_tensor, get_session_handle, get_session_tensor  # noqa: F401
from .accumulators import (ConditionalAccumulator, ConditionalAccumulatorBase,  # noqa: F401
                           SparseConditionalAccumulator)
from .critical_section import CriticalSection  # noqa: F401
from .readers_lmdb import LMDBReader  # noqa: E402,F401
from . import audio, bitwise, data, debugging, initializers, io, linalg, math, nn, random, strings, train  # noqa: E402
from . import gfile, image, layers, logging, lookup, losses, manip, metrics, regularizers  # noqa: E402 - libraries
from . import sets  # noqa: E402 - tf.sets
from . import python_io, signal, spectral, summary  # noqa: E402
from . import distributions  # noqa: E402 - tf.distributions
from . import saved_model  # noqa: E402 - tf.saved_model
from . import test_utils as test  # noqa: E402 - tf.test
from . import ragged  # noqa: E402 - tf.ragged
from . import profiler  # noqa: E402 - tf.profiler
from .ragged import RaggedTensor, ragged_fill_empty_rows, ragged_fill_empty_rows_grad  # noqa: E402,F401
from .logging import get_logger  # noqa: E402,F401
from .initializers import (constant_initializer, glorot_normal_initializer,  # noqa: E402,F401
                           glorot_uniform_initializer, ones_initializer, orthogonal_initializer,
                           random_normal_initializer, random_uniform_initializer, truncated_normal_initializer,
                           uniform_unit_scaling_initializer, variance_scaling_initializer, zeros_initializer)
from .train.moving_averages import moving_average_variables  # noqa: E402,F401
from .graph_util import import_graph_def  # noqa: E402 - binds the graph_util namespace too
from . import sparse  # noqa: E402 - tf.sparse
from . import feature_column  # noqa: E402 - tf.feature_column
from .queues import FIFOQueue, PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue  # noqa: E402,F401
from .readers import (FixedLengthRecordReader, IdentityReader, ReaderBase, TextLineReader,  # noqa: E402,F401
                      TFRecordReader, WholeFileReader)
from . import queue  # noqa: E402 - tf.queue
from .sparse import (SparseTensor, SparseTensorValue, convert_to_tensor_or_sparse_tensor,  # noqa: E402,F401
                     sparse_add, sparse_concat, sparse_fill_empty_rows, sparse_matmul, sparse_maximum, sparse_merge,
                     sparse_minimum, sparse_placeholder, sparse_reduce_max, sparse_reduce_max_sparse,
                     sparse_reduce_sum, sparse_reduce_sum_sparse, sparse_reorder, sparse_reset_shape, sparse_reshape,
                     sparse_retain, sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum, sparse_slice,
                     sparse_softmax, sparse_split, sparse_tensor_dense_matmul, sparse_tensor_to_dense,
                     sparse_to_dense, sparse_to_indicator, sparse_transpose)

Dimension = int
GraphKeys = type("GraphKeys", (), {"GLOBAL_VARIABLES": "variables", "TRAINABLE_VARIABLES": "trainable_variables",
                                   "LOCAL_VARIABLES": "local_variables", "GLOBAL_STEP": "global_step",
                                   "TRAIN_OP": "train_op", "VARIABLES": "variables",
                                   "MODEL_VARIABLES": "model_variables",
                                   "REGULARIZATION_LOSSES": "regularization_losses", "UPDATE_OPS": "update_ops",
                                   "LOSSES": "losses", "SUMMARIES": "summaries", "MOVING_AVERAGE_VARIABLES":
                                   "moving_average_variables", "METRIC_VARIABLES": "metric_variables",
                                   "WEIGHTS": "weights", "BIASES": "biases", "ACTIVATIONS": "activations",
                                   "INIT_OP": "init_op", "QUEUE_RUNNERS": "queue_runners",
                                   "LOCAL_INIT_OP": "local_init_op", "READY_OP": "ready_op",
                                   "SAVERS": "savers", "CONCATENATED_VARIABLES": "concatenated_variables",
                                   "TABLE_INITIALIZERS": "table_initializer", "ASSET_FILEPATHS": "asset_filepaths"})
__version__ = "0.1.0"


def __getattr__(name):  # TF's protobuf messages (tf.GraphDef, tf.Summary...) and absl's flags, imported when used
    if name in _protos.MESSAGES:
        return _protos.message(name)
    if name in ("app", "flags"):
        import importlib
        return importlib.import_module(f"daskflow.{name}")
    raise AttributeError(f"module 'daskflow' has no attribute {name!r}")
