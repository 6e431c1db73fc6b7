"""TF1's ``tf.sets``: intersection, union, difference and size of the sets in the last dimension of dense tensors
and SparseTensors."""
from .ops import sets as _sets
from .ops.registry import export_names

__all__ = export_names("sets", globals(), _sets)
