"""Op declarations, one module per family; importing this package registers every op."""
from . import registry, hostvalue, state, math, reduce, generate, array, indexing, linalg, random, nn, conv, source  # noqa: F401
