"""Op declarations, one module per family; importing this package registers every op."""
from . import registry, state, math, reduce, array, linalg, random, nn  # noqa: F401
