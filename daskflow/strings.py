"""TF's ``tf.strings`` namespace: ops on string tensors."""
from .ops.strings import as_string, format, join, length  # noqa: F401, A004 - TF's names

__all__ = ["as_string", "format", "join", "length"]
