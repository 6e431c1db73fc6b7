"""TF's ``tf.nn`` namespace."""
from ..ops import rnn_cell  # noqa: F401 - df.nn.rnn_cell: BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell...
from ..ops.conv import *  # noqa: F401,F403
from ..ops.math import sigmoid, softplus, tanh  # noqa: F401
from ..ops.nn import *  # noqa: F401,F403
from ..ops.rnn import *  # noqa: F401,F403 - static_rnn, dynamic_rnn and their bidirectional forms
from ..ops import conv_nd as _conv_nd, manip as _manip, nn_extra as _nn_extra, ranking as _ranking  # noqa: E402
from ..ops import random_more as _random_more, segment as _segment, special as _special  # noqa: E402
from ..ops import ctc as _ctc, nn_misc as _nn_misc, nn_sampled as _nn_sampled  # noqa: E402
from ..ops import random_learned as _random_learned, rnn_state_saving as _rnn_state_saving  # noqa: E402
from ..ops import nn_experimental as experimental  # noqa: E402,F401 - tf.nn.experimental
from ..ops.registry import export_names as _export  # noqa: E402

_export("nn", globals(), _conv_nd, _ranking, _special, _segment, _manip, _nn_extra, _random_more, _ctc, _nn_misc,
        _nn_sampled, _random_learned, _rnn_state_saving)
