"""TF's ``tf.linalg`` namespace."""

from .ops.math import einsum, matmul, tensordot  # noqa: F401
