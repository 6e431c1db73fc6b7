"""TF's ``tf.nn`` namespace."""
from ..ops import rnn_cell  # noqa: F401 - df.nn.rnn_cell: BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell...
from ..ops.conv import *  # noqa: F401,F403
from ..ops.math import sigmoid, softplus, tanh  # noqa: F401
from ..ops.nn import *  # noqa: F401,F403
from ..ops.rnn import *  # noqa: F401,F403 - static_rnn, dynamic_rnn and their bidirectional forms
