"""TF's ``tf.random`` namespace: seeded random tensors whose values do not depend on chunking or scheduler."""
from .graph import set_random_seed as set_seed  # noqa: F401
from .ops.random import normal, truncated_normal, uniform  # noqa: F401
from .ops import random_learned as _random_learned, random_more as _random_more  # noqa: E402
from .ops.registry import export_names as _export  # noqa: E402

_export("random", globals(), _random_more, _random_learned)  # categorical, gamma, poisson, shuffle, the stateless ops, samplers...
