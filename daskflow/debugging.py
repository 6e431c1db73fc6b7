"""TF's ``tf.debugging`` namespace."""
from .ops.math import Assert, assert_equal, check_numerics, is_finite, is_inf, is_nan  # noqa: F401
