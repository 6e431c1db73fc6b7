"""TF's ``tf.bitwise`` namespace."""
from .ops import bitwise as _bitwise
from .ops.registry import export_names as _export

_export("bitwise", globals(), _bitwise)
