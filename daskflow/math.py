"""TF's ``tf.math`` namespace: every elementwise and reduction op."""
from .ops.math import *  # noqa: F401,F403
from .ops.math import __all__ as _m
from .ops.reduce import *  # noqa: F401,F403
from .ops.reduce import __all__ as _r
from .ops import checks as _checks, decomp as _decomp, manip as _manip, ranking as _ranking  # noqa: I001
from .ops import numeric_more as _numeric_more, segment as _segment, special as _special
from .ops.registry import export_names as _export

__all__ = list(_m) + list(_r) + _export("math", globals(), _special, _segment, _ranking, _manip, _checks, _decomp,
                                              _numeric_more)
from . import math_special as special  # noqa: E402 - tf.math.special
