"""TF's ``tf.audio`` namespace: WAV files."""
from .ops import strings_more as _more
from .ops.registry import export_names as _export

__all__ = _export("audio", globals(), _more)
