"""TF's ``tf.strings`` namespace: ops on string tensors."""
from .ops.strings import as_string, format, join, length  # noqa: F401, A004 - TF's names

__all__ = ["as_string", "format", "join", "length"]
from .ops import strings_more as _strings_more  # noqa: E402
from .ops.registry import export_names as _export  # noqa: E402

__all__ += _export("strings", globals(), _strings_more)
from .ops import hashing as _hashing  # noqa: E402

__all__ += _export("strings", globals(), _hashing)
from .ops import strings_unicode as _strings_unicode  # noqa: E402

__all__ += _export("strings", globals(), _strings_unicode)
from .ops import strings_script as _strings_script  # noqa: E402

__all__ += _export("strings", globals(), _strings_script)
