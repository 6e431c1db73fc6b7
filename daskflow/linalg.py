"""TF's ``tf.linalg`` namespace."""

from .ops.generate import eye  # noqa: F401
from .ops.linalg import cholesky, det, einsum, inv, solve  # noqa: F401
from .ops.math import matmul, tensordot  # noqa: F401
from .ops import checks as _checks, decomp as _decomp, manip as _manip  # noqa: E402
from .ops import linalg_circulant as _circulant, linalg_experimental as experimental  # noqa: E402,F401
from .ops.registry import export_names as _export  # noqa: E402

_export("linalg", globals(), _decomp, _manip, _checks, _circulant)
# tf.linalg's diag and diag_part are the batched-matrix ones; TF1's top-level tf.diag is the tensor diagonal
diag, diag_part = _decomp.matrix_diag, _decomp.matrix_diag_part
