"""TF1's ``tf.queue`` namespace: the queue classes."""
from . import queues
from .ops.registry import export_names

__all__ = export_names("queue", globals(), queues)
