"""Op declarations, one module per family; importing this package registers every op."""
from . import registry, hostvalue, state, math, reduce, generate, array, indexing  # noqa: F401
from . import linalg, random, nn, conv, source, training, strings, split  # noqa: F401
