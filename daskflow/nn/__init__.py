"""TF's ``tf.nn`` namespace."""
from ..ops.math import sigmoid, softplus, tanh  # noqa: F401
from ..ops.nn import (log_softmax, relu, relu6, softmax, softmax_cross_entropy_with_logits,  # noqa: F401
                      softmax_cross_entropy_with_logits_v2, sparse_softmax_cross_entropy_with_logits)
