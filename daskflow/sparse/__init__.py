"""TF1's ``tf.sparse``: the SparseTensor type (``tensor``), its arithmetic (``math``) and its rearrangements
(``manip``). ``TOPLEVEL`` lists the sparse names TF1 also has at its top level (``tf.sparse_add``...), each with
the object it names."""
from .manip import (sparse_concat, sparse_expand_dims, sparse_eye, sparse_fill_empty_rows, sparse_merge,
                    sparse_reorder, sparse_reset_shape, sparse_reshape, sparse_retain, sparse_slice, sparse_split,
                    sparse_to_indicator, sparse_transpose)
from .math import (sparse_add, sparse_bincount, sparse_matmul, sparse_maximum, sparse_minimum, sparse_reduce_max,
                   sparse_reduce_max_sparse, sparse_reduce_sum, sparse_reduce_sum_sparse, sparse_segment_mean,
                   sparse_segment_sqrt_n, sparse_segment_sum, sparse_softmax, sparse_tensor_dense_matmul)
from .tensor import (SparseTensor, SparseTensorValue, convert_to_tensor_or_sparse_tensor, from_dense,
                     sparse_placeholder, sparse_tensor_to_dense, sparse_to_dense)

from ..ops.indexed_slices import sparse_mask  # noqa: E402
from .cross import cross, cross_hashed  # noqa: E402
from ..accumulators import SparseConditionalAccumulator  # noqa: E402

# tf.sparse.<name>
add = sparse_add
mask = sparse_mask
bincount = sparse_bincount
concat = sparse_concat
expand_dims = sparse_expand_dims
eye = sparse_eye
fill_empty_rows = sparse_fill_empty_rows
matmul = sparse_dense_matmul = sparse_tensor_dense_matmul
maximum = sparse_maximum
merge = sparse_merge
minimum = sparse_minimum
placeholder = sparse_placeholder
reduce_max = sparse_reduce_max
reduce_max_sparse = sparse_reduce_max_sparse
reduce_sum = sparse_reduce_sum
reduce_sum_sparse = sparse_reduce_sum_sparse
reorder = sparse_reorder
reset_shape = sparse_reset_shape
reshape = sparse_reshape
retain = sparse_retain
segment_mean = sparse_segment_mean
segment_sqrt_n = sparse_segment_sqrt_n
segment_sum = sparse_segment_sum
slice = sparse_slice
softmax = sparse_softmax
split = sparse_split
to_dense = sparse_tensor_to_dense
to_indicator = sparse_to_indicator
transpose = sparse_transpose

__all__ = ["SparseConditionalAccumulator", "SparseTensor", "add", "bincount", "concat", "cross", "cross_hashed",
           "expand_dims", "eye", "fill_empty_rows", "from_dense", "mask", "matmul", "maximum", "merge", "minimum",
           "placeholder", "reduce_max", "reduce_max_sparse", "reduce_sum", "reduce_sum_sparse", "reorder",
           "reset_shape", "reshape", "retain", "segment_mean", "segment_sqrt_n", "segment_sum", "slice", "softmax",
           "sparse_dense_matmul", "split", "to_dense", "to_indicator", "transpose"]

# tf.<name> for the sparse names TF1 has at top level
TOPLEVEL = {
    "SparseTensor": SparseTensor, "SparseTensorValue": SparseTensorValue,
    "convert_to_tensor_or_sparse_tensor": convert_to_tensor_or_sparse_tensor,
    "sparse_add": sparse_add, "sparse_mask": sparse_mask, "sparse_concat": sparse_concat,
    "sparse_fill_empty_rows": sparse_fill_empty_rows,
    "sparse_matmul": sparse_matmul, "sparse_maximum": sparse_maximum, "sparse_merge": sparse_merge,
    "sparse_minimum": sparse_minimum, "sparse_placeholder": sparse_placeholder,
    "sparse_reduce_max": sparse_reduce_max, "sparse_reduce_max_sparse": sparse_reduce_max_sparse,
    "sparse_reduce_sum": sparse_reduce_sum, "sparse_reduce_sum_sparse": sparse_reduce_sum_sparse,
    "sparse_reorder": sparse_reorder, "sparse_reset_shape": sparse_reset_shape, "sparse_reshape": sparse_reshape,
    "sparse_retain": sparse_retain, "sparse_segment_mean": sparse_segment_mean,
    "sparse_segment_sqrt_n": sparse_segment_sqrt_n, "sparse_segment_sum": sparse_segment_sum,
    "sparse_slice": sparse_slice, "sparse_softmax": sparse_softmax, "sparse_split": sparse_split,
    "sparse_tensor_dense_matmul": sparse_tensor_dense_matmul, "sparse_tensor_to_dense": sparse_tensor_to_dense,
    "sparse_to_dense": sparse_to_dense, "sparse_to_indicator": sparse_to_indicator,
    "sparse_transpose": sparse_transpose,
}
