"""Structural matrix functions of ``tf.linalg``: transposes, bands, diagonals, traces, cross products, matvec.

All are composites of elementwise, slicing, padding and einsum ops, so they keep the batch dims' chunks and take
their gradients (and gradients of gradients) from those ops. Masks are built from ``range`` comparisons of the two
matrix dims and applied with ``where_v2``, so entries outside a band are exact zeros (or the padding value) even
where the input holds inf or NaN, as TF's kernels give.
"""
from .. import errors
from ..graph import name_scope
from .array import concat, expand_dims, pad, reshape, squeeze, stack, transpose
from .generate import dim_size, range as range_, shape as shape_of, zeros
from .linalg import einsum
from .math import _conj, equal, less, less_equal, logical_and, logical_or, matmul, subtract, where_v2
from .reduce import reduce_sum
from .registry import convert_to_tensor

__all__ = ["matrix_transpose", "matrix_band_part", "matrix_diag", "matrix_diag_part", "matrix_set_diag", "trace",
           "diag", "diag_part", "cross"]


def check_rank(x, k, what):
    """A build-time ``InvalidArgumentError`` (TF's message) when ``x`` has known rank below ``k``."""
    n = x.shape.ndims
    if n is not None and n < k:
        raise errors.InvalidArgumentError(None, x.op, f"Shape must be at least rank {k} but is rank {n} for "
                                                      f"'{what}' with input shapes: {list(x.shape)} (input "
                                                      f"'{x.name}')")


def _static_dims(x, what):
    """The last two dims of ``x``, which ``what`` needs known when the graph is built."""
    m, n = x.shape[-2], x.shape[-1]
    if m is None or n is None:
        raise errors.UnimplementedError(None, x.op, f"{what} needs the matrix dims of '{x.name}' known when the "
                                                    f"graph is built, got shape {x.shape}")
    return m, n


def _offsets(m, n):
    """Column index minus row index of an ``m`` x ``n`` matrix (int32; ``m``, ``n`` ints or 0-d tensors)."""
    return subtract(expand_dims(range_(n), 0), expand_dims(range_(m), 1))


# -- transposes

def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Each matrix of ``a`` (shape ``(..., M, N)``) transposed, ``(..., N, M)``; with ``conjugate``, also
    conjugated (the adjoint)."""
    x = convert_to_tensor(a)
    n = x.shape.ndims
    if n is not None and n < 2:
        raise errors.InvalidArgumentError(None, x.op, "Argument 'a' should be a (batch) matrix with rank >= 2.  "
                                                      f"Found: {x.shape} (tensor '{x.name}')")
    with name_scope(name, "matrix_transpose") as scope:
        if n is None:  # the batch rank is known only when run
            y = einsum("...ij->...ji", x)
            return _conj(y) if conjugate and x.dtype.kind == "c" else y
        return transpose(x, list(range(n - 2)) + [n - 1, n - 2], conjugate=conjugate, name=scope)


def adjoint(matrix, name=None):
    """The conjugate transpose of each matrix of ``matrix`` (shape ``(..., M, N)``)."""
    with name_scope(name, "adjoint"):
        return matrix_transpose(matrix, conjugate=True)


# -- bands

def matrix_band_part(input, num_lower, num_upper, name=None):
    """``input`` (shape ``(..., M, N)``) with every entry outside the band zeroed: entry ``(i, j)`` is kept when
    ``i - j <= num_lower`` (or ``num_lower < 0``, the whole lower triangle) and ``j - i <= num_upper`` (or
    ``num_upper < 0``). ``num_lower`` and ``num_upper`` may be tensors. ``band_part(x, -1, 0)`` is the lower
    triangle, ``band_part(x, 0, 0)`` the diagonal."""
    x = convert_to_tensor(input)
    check_rank(x, 2, "MatrixBandPart")
    with name_scope(name, "MatrixBandPart") as scope:
        d = _offsets(dim_size(x, -2), dim_size(x, -1))
        keep = logical_and(_within(-d, num_lower), _within(d, num_upper))
        return where_v2(keep, x, zeros((), dtype=x.dtype), name=scope)


def _within(d, bound):
    if isinstance(bound, int):
        return less_equal(d, bound) if bound >= 0 else equal(d, d)
    bound = convert_to_tensor(bound)
    return logical_or(less(bound, 0), less_equal(d, bound))


# -- diagonals

def _k(k, what):
    """A single diagonal offset: TF's ``k`` as an int, or a pair naming one diagonal."""
    if isinstance(k, (list, tuple)):
        if len(k) == 2 and k[0] == k[1]:
            return int(k[0])
        raise errors.UnimplementedError(None, None, f"{what}: only a single diagonal k is supported, got k={k}")
    return int(k)


def _diag_size(rows, cols, k):
    """Length of diagonal ``k`` of a ``rows`` x ``cols`` matrix."""
    return min(rows - max(-k, 0), cols - max(k, 0))


def matrix_diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    """Batched matrices with ``diagonal`` (shape ``(..., L)``) on their ``k``-th diagonal (0 the main one,
    positive above it) and ``padding_value`` elsewhere; shape ``(..., num_rows, num_cols)``, by default the
    smallest square that holds the diagonal (``L + |k|``). Where only one of ``num_rows``/``num_cols`` is given,
    the other is the smallest that fits."""
    d = convert_to_tensor(diagonal)
    k = _k(k, "matrix_diag")
    check_rank(d, 1, "MatrixDiagV3")
    with name_scope(name, "diag") as scope:
        pad_value = convert_to_tensor(padding_value, dtype=d.dtype)
        n = dim_size(d, -1)
        i = range_(n)
        square = where_v2(equal(expand_dims(i, 1), expand_dims(i, 0)), expand_dims(d, -1), pad_value)
        if k == 0 and num_rows == -1 and num_cols == -1:
            return square
        if not isinstance(n, int) or d.shape.ndims is None:
            raise errors.UnimplementedError(None, d.op, f"matrix_diag with k, num_rows or num_cols needs the shape "
                                                        f"of '{d.name}' known when the graph is built, got {d.shape}")
        rows, cols = num_rows, num_cols
        if rows == -1 and cols == -1:
            rows = cols = n + abs(k)
        elif rows == -1:
            rows = n + max(-k, 0)
        elif cols == -1:
            cols = n + max(k, 0)
        if _diag_size(rows, cols, k) != n:
            raise errors.InvalidArgumentError(None, d.op, "num_rows and num_cols are not consistent with "
                                                          "lower_diag_index, upper_diag_index, and the length of the "
                                                          f"given diagonals: {n} entries on diagonal {k} of a "
                                                          f"{rows}x{cols} matrix ('{d.name}')")
        r0, c0 = max(-k, 0), max(k, 0)
        pads = [[0, 0]] * (d.shape.ndims - 1) + [[r0, rows - n - r0], [c0, cols - n - c0]]
        return pad(square, pads, constant_values=pad_value, name=scope)


def matrix_diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """The ``k``-th diagonal of each matrix of ``input`` (shape ``(..., M, N)``): shape ``(..., L)`` with ``L``
    its length (``min(M, N)`` for the main diagonal)."""
    x = convert_to_tensor(input)
    k = _k(k, "matrix_diag_part")
    check_rank(x, 2, "MatrixDiagPartV3")
    with name_scope(name, "diag_part") as scope:
        known = x.shape.ndims is not None and x.shape[-2] is not None and x.shape[-1] is not None
        if k == 0 and not known:  # the shorter side, known when run
            size = _min_dim(x)
            sub = x[..., :size, :size]
        else:
            m, n = _static_dims(x, "matrix_diag_part")
            size = _diag_size(m, n, k)
            if size <= 0:
                raise errors.InvalidArgumentError(None, x.op, f"diagonal {k} is out of bounds of a {m}x{n} matrix "
                                                              f"('{x.name}')")
            r0, c0 = max(-k, 0), max(k, 0)
            sub = x if (r0, c0, size, size) == (0, 0, m, n) else x[..., r0:r0 + size, c0:c0 + size]
        # the diagonal masked and summed along rows: elementwise, so any chunking of the matrix dims serves
        d = _offsets(size, size)
        return reduce_sum(where_v2(equal(d, 0), sub, zeros((), dtype=x.dtype)), -1, name=scope)


def _min_dim(x):
    from .math import minimum
    s = shape_of(x)
    return minimum(s[-2], s[-1])


def matrix_set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """``input`` (shape ``(..., M, N)``) with its ``k``-th diagonal replaced by ``diagonal`` (shape
    ``(..., L)``)."""
    x = convert_to_tensor(input)
    d = convert_to_tensor(diagonal, dtype=x.dtype)
    k = _k(k, "matrix_set_diag")
    check_rank(x, 2, "MatrixSetDiagV3")
    with name_scope(name, "set_diag") as scope:
        known = x.shape.ndims is not None and x.shape[-2] is not None and x.shape[-1] is not None
        if k == 0 and not known:  # square matrices, their size known when run
            dense, on = matrix_diag(d), _offsets(dim_size(x, -2), dim_size(x, -1))
        else:
            m, n = _static_dims(x, "matrix_set_diag")
            if d.shape.ndims is not None and d.shape[-1] not in (None, _diag_size(m, n, k)):
                raise errors.InvalidArgumentError(None, d.op, f"diagonal '{d.name}' of shape {d.shape} does not "
                                                              f"fit diagonal {k} of matrices of shape {x.shape}")
            dense, on = matrix_diag(d, k=k, num_rows=m, num_cols=n), _offsets(m, n)
        return where_v2(equal(on, k), dense, x, name=scope)


# -- the tensor diagonal (TF1's ``tf.diag``)

def _halves(x, what):
    n = x.shape.ndims
    if n is None:
        return None
    if n % 2 or n == 0:
        raise errors.InvalidArgumentError(None, x.op, f"{what}: input must have even rank, got shape {x.shape} "
                                                      f"('{x.name}')")
    half = n // 2
    for a, b in zip(x.shape[:half], x.shape[half:]):
        if a is not None and b is not None and a != b:
            raise errors.InvalidArgumentError(None, x.op, f"Dimensions must be equal, but are {a} and {b} for "
                                                          f"'{what}' with input shapes: {list(x.shape)}")
    return half


def diag(diagonal, name=None):
    """TF1's ``tf.diag``: for ``diagonal`` of shape ``s`` (any rank >= 1), the tensor of shape ``s + s`` with
    ``diagonal[i...]`` at ``[i..., i...]`` and zeros elsewhere."""
    d = convert_to_tensor(diagonal)
    check_rank(d, 1, "Diag")
    with name_scope(name, "Diag") as scope:
        s = list(d.shape) if d.shape.is_fully_defined() else shape_of(d)
        flat = matrix_diag(reshape(d, [-1]))
        return reshape(flat, s + s if isinstance(s, list) else concat([s, s], 0), name=scope)


def diag_part(input, name=None):
    """TF1's ``tf.diag_part``: for ``input`` of shape ``s + s``, the tensor of shape ``s`` of its entries at
    ``[i..., i...]`` (the inverse of ``diag``)."""
    x = convert_to_tensor(input)
    half = _halves(x, "DiagPart")
    with name_scope(name, "DiagPart") as scope:
        if half is not None and x.shape.is_fully_defined():
            s = list(x.shape[:half])
            size = 1
            for v in s:
                size *= v
            return reshape(matrix_diag_part(reshape(x, [size, size])), s, name=scope)
        s = shape_of(x)
        n = (x.shape.ndims or 0) // 2 if half is not None else None
        if n is None:
            raise errors.UnimplementedError(None, x.op, f"diag_part needs the rank of '{x.name}' known when built")
        from .reduce import reduce_prod
        size = reduce_prod(s[:n])
        return reshape(matrix_diag_part(reshape(x, stack([size, size]))), s[:n], name=scope)


tensor_diag = diag
tensor_diag_part = diag_part


# -- traces, cross products, matvec

def trace(x, name=None):
    """The sum of the main diagonal of each matrix of ``x`` (shape ``(..., M, N)``): shape ``(...)``."""
    x = convert_to_tensor(x)
    check_rank(x, 2, "Trace")
    with name_scope(name, "Trace") as scope:
        return reduce_sum(matrix_diag_part(x), -1, name=scope)


def cross(a, b, name=None):
    """The cross product of the 3-vectors along the last dim of ``a`` and ``b`` (same shape ``(..., 3)``)."""
    a = convert_to_tensor(a)
    b = convert_to_tensor(b, dtype_hint=a.dtype)
    for t in (a, b):
        check_rank(t, 1, "Cross")
        if t.shape.ndims is not None and t.shape[-1] not in (None, 3):
            raise errors.InvalidArgumentError(None, t.op, f"Dimension must be 3 but is {t.shape[-1]} for 'Cross' "
                                                          f"with input shapes: {list(a.shape)}, {list(b.shape)}")
    if a.dtype != b.dtype:
        raise TypeError(f"Input 'b' of 'Cross' Op has type {b.dtype.name} that does not match type "
                        f"{a.dtype.name} of argument 'a'.")
    if not a.shape.is_compatible_with(b.shape):
        raise errors.InvalidArgumentError(None, a.op, f"Cross: both inputs must be of the same shape, got "
                                                      f"{list(a.shape)} and {list(b.shape)}")
    with name_scope(name, "Cross") as scope:
        a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
        b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1, name=scope)


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """The matrix-vector product ``a @ b`` of each matrix of ``a`` (``(..., M, N)``) with the vector of ``b``
    (``(..., N)``), batch dims broadcast; ``transpose_a``/``adjoint_a`` use ``a``'s (conjugate) transpose."""
    with name_scope(name, "MatVec") as scope:
        a = convert_to_tensor(a)
        b = convert_to_tensor(b, dtype_hint=a.dtype)
        prod = matmul(a, expand_dims(b, -1), transpose_a=transpose_a, adjoint_a=adjoint_a)
        return squeeze(prod, [-1], name=scope)

