"""TF's ``tf.nn`` namespace."""
from ..ops.math import sigmoid, softplus, tanh  # noqa: F401
from ..ops.nn import log_softmax, relu, relu6, softmax  # noqa: F401
