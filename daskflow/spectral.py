"""TF1's ``tf.spectral`` namespace."""
from .ops import signal as _signal, spectral as _spectral
from .ops.registry import export_names as _export

_export("spectral", globals(), _spectral, _signal)
