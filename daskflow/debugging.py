"""TF's ``tf.debugging`` namespace."""
from .ops.math import Assert, assert_equal, check_numerics, is_finite, is_inf, is_nan  # noqa: F401
from .ops.checks import (assert_greater, assert_greater_equal, assert_integer, assert_less,  # noqa: E402,F401
                         assert_less_equal, assert_near, assert_negative, assert_non_negative, assert_non_positive,
                         assert_none_equal, assert_positive, assert_proper_iterable, assert_rank,
                         assert_rank_at_least, assert_rank_in, assert_same_float_dtype, assert_scalar, assert_type,
                         is_numeric_tensor)
