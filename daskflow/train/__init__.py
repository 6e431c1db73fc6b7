"""TF1's ``tf.train``: optimizers, the global step and learning rate schedules, built on the public graph API."""
from .learning_rate import (cosine_decay, exponential_decay, inverse_time_decay, natural_exp_decay,  # noqa: F401
                            piecewise_constant, polynomial_decay)
from .optimizer import (AdadeltaOptimizer, AdagradOptimizer, AdamOptimizer, GradientDescentOptimizer,  # noqa: F401
                        MomentumOptimizer, Optimizer, RMSPropOptimizer)
from .moving_averages import ExponentialMovingAverage  # noqa: F401
from .proximal import (AdagradDAOptimizer, FtrlOptimizer, ProximalAdagradOptimizer,  # noqa: F401
                       ProximalGradientDescentOptimizer)
from .training_util import (assert_global_step, create_global_step, get_global_step,  # noqa: F401
                            get_or_create_global_step, global_step)
from .saver import (CheckpointReader, NewCheckpointReader, Saver, checkpoint_exists,  # noqa: F401
                    generate_checkpoint_state_proto, get_checkpoint_mtimes, get_checkpoint_state,
                    init_from_checkpoint, latest_checkpoint, list_variables, load_checkpoint, load_variable,
                    remove_checkpoint, update_checkpoint_state)
from ..summary.writer import summary_iterator  # noqa: F401
from ..graph_def import export_meta_graph, import_meta_graph, write_graph  # noqa: F401
from .coordinator import Coordinator, LooperThread  # noqa: F401,E402
from .hooks import (CheckpointSaverHook, CheckpointSaverListener, FeedFnHook, FinalOpsHook,  # noqa: F401,E402
                    GlobalStepWaiterHook, LoggingTensorHook, NanLossDuringTrainingError, NanTensorHook,
                    ProfilerHook, SecondOrStepTimer, SessionRunArgs, SessionRunContext, SessionRunHook,
                    SessionRunValues, StepCounterHook, StopAtStepHook, SummarySaverHook)
from .monitored import (ChiefSessionCreator, MonitoredSession, MonitoredTrainingSession, Scaffold,  # noqa: F401,E402
                        SessionCreator, SingularMonitoredSession, WorkerSessionCreator, basic_train_loop)
from .session_manager import SessionManager, checkpoints_iterator, warm_start  # noqa: F401,E402
from .schedules import (cosine_decay_restarts, linear_cosine_decay, noisy_linear_cosine_decay,  # noqa: F401,E402
                        piecewise_constant_decay)

from ..example import (BytesList, Example, Feature, FeatureList, FeatureLists, Features,  # noqa: F401,E402
                       FloatList, Int64List, SequenceExample)
from .checkpoint import Checkpoint, CheckpointManager, CheckpointOptions  # noqa: F401,E402
from .supervisor import Supervisor  # noqa: F401,E402
from .device_setter import replica_device_setter  # noqa: F401,E402
from . import queue_runner  # noqa: F401,E402 - tf.train.queue_runner
from .queue_runner import QueueRunner, add_queue_runner, start_queue_runners  # noqa: F401,E402
from .input import (batch, batch_join, input_producer, limit_epochs, match_filenames_once,  # noqa: F401,E402
                    maybe_batch, maybe_batch_join, maybe_shuffle_batch, maybe_shuffle_batch_join,
                    range_input_producer, shuffle_batch, shuffle_batch_join, slice_input_producer,
                    string_input_producer)
from .sdca import sdca_fprint, sdca_optimizer, sdca_shrink_l1  # noqa: F401,E402
from . import experimental  # noqa: F401,E402 - tf.train.experimental
from .vocab_info import VocabInfo  # noqa: F401,E402


def __getattr__(name):  # tf.train.SaverDef: TF's protobuf message, imported when first used
    from .. import protos
    if name == "SaverDef":
        return protos.message(name)
    raise AttributeError(f"module 'daskflow.train' has no attribute {name!r}")
