"""TF's ``tf.linalg`` namespace."""

from .ops.generate import eye  # noqa: F401
from .ops.linalg import cholesky, det, einsum, inv, solve  # noqa: F401
from .ops.math import matmul, tensordot  # noqa: F401
