"""TF's ``tf.random`` namespace: seeded random tensors whose values do not depend on chunking or scheduler."""
from .graph import set_random_seed as set_seed  # noqa: F401
from .ops.random import normal, truncated_normal, uniform  # noqa: F401
