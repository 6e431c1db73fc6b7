"""TF's ``tf.signal`` namespace."""
from .ops import signal as _signal
from .ops.registry import export_names as _export

_export("signal", globals(), _signal)
