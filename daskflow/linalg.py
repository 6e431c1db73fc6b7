"""TF's ``tf.linalg`` namespace."""

from .ops.linalg import cholesky, det, inv, solve  # noqa: F401
from .ops.math import einsum, matmul, tensordot  # noqa: F401
