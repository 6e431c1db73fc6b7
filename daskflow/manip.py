"""TF1's ``tf.manip`` namespace (an older home of some array ops)."""
from .ops.array import reshape, reverse, tile  # noqa: F401
from .ops.conv_space import batch_to_space_nd, space_to_batch_nd  # noqa: F401
from .ops.manip import roll  # noqa: F401
from .ops.scatter import gather_nd, scatter_nd  # noqa: F401

__all__ = ["batch_to_space_nd", "gather_nd", "reshape", "reverse", "roll", "scatter_nd", "space_to_batch_nd", "tile"]
