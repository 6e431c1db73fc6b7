"""TF's ``tf.random`` namespace: seeded random tensors whose values do not depend on chunking or scheduler."""
from .graph import set_random_seed as set_seed  # noqa: F401

