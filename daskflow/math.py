"""TF's ``tf.math`` namespace: every elementwise and reduction op."""
from .ops.math import *  # noqa: F401,F403
from .ops.math import __all__ as _m
from .ops.reduce import *  # noqa: F401,F403
from .ops.reduce import __all__ as _r

__all__ = list(_m) + list(_r)
