"""TF's ``tf.ragged`` namespace: ``RaggedTensor`` (rows of different lengths, held as dense tensors) and the
functions that build and transform them."""
from . import tensor as _tensor, to_tensor as _to_tensor  # noqa: F401 - registers the op types
from .cross import cross, cross_hashed
from .fill_empty_rows import ragged_fill_empty_rows, ragged_fill_empty_rows_grad  # noqa: F401 - tf.X names
from .ops import (boolean_mask, constant, map_flat_values, placeholder, range, row_splits_to_segment_ids,  # noqa: A004
                  segment_ids_to_row_splits, stack, stack_dynamic_partitions)
from .tensor import RaggedTensor  # noqa: F401 - tf.RaggedTensor
from .value import RaggedTensorValue, constant_value

_tensor.register_operators()

__all__ = ["RaggedTensorValue", "boolean_mask", "constant", "constant_value", "cross", "cross_hashed",
           "map_flat_values", "placeholder", "range", "row_splits_to_segment_ids", "segment_ids_to_row_splits",
           "stack", "stack_dynamic_partitions"]
