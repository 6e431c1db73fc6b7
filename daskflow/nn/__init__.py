"""TF's ``tf.nn`` namespace."""
from ..ops.conv import *  # noqa: F401,F403
from ..ops.math import sigmoid, softplus, tanh  # noqa: F401
from ..ops.nn import *  # noqa: F401,F403
