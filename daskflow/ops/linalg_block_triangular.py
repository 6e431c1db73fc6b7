"""TF's ``tf.linalg.LinearOperatorBlockLowerTriangular``: the block lower-triangular operator whose row ``i`` of
blocks is ``operators[i]`` (``i + 1`` operators, the last one on the diagonal, square). Products go block by block,
solves by forward substitution (backward for the adjoint) with the diagonal operators' own solves, and the
determinant is the product of the diagonal operators' determinants."""
from .. import errors
from .array import concat
from .generate import zeros
from .linalg_operator import LinearOperator, _broadcast_batch
from .linalg_structure import adjoint as _adjoint


class LinearOperatorBlockLowerTriangular(LinearOperator):
    """``[[A00], [A10, A11], [A20, A21, A22], ...]`` as one operator; the blocks' matrix dims must be known when
    the graph is built and their batch shapes broadcast."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorBlockLowerTriangular"):
        rows = [list(row) for row in operators]
        if not rows:
            raise ValueError(f"Argument `operators` must be a list of >=1 operators. Received: {rows}.")
        self._operators = rows
        diag = [row[-1] for row in rows]
        dtype = rows[0][0].dtype
        for i, row in enumerate(rows):
            if any(op.dtype != dtype for op in row):
                found = [(op.name, op.dtype.name) for op in row]
                raise TypeError(f"Expected all operators to have the same dtype.  Found {found} in row {i} and "
                                f"{dtype.name} in row 0.")
        is_non_singular = _non_singular(diag, is_non_singular)
        for i, row in enumerate(rows):
            if len(row) != i + 1:
                raise ValueError(f"Argument `operators[{i}]` must contain `{i + 1}` blocks. Received: {len(row)} "
                                 "blocks.")
        _check_dims(rows)
        if is_square is False:
            raise ValueError("`LinearOperatorBlockLowerTriangular` must be square. Expected argument `is_square` to "
                             f"be True. Received: {is_square}.")
        for i, op in enumerate(diag):
            if op.is_square is False:
                raise ValueError("Matrices on the diagonal (the final elements of each row-partition in the "
                                 f"`operators` list) must be square. Expected argument `operators[{i}][-1].is_square` "
                                 f"to be True. Received: {op.is_square}.")
            if None in op._shape()[-2:]:
                raise ValueError(f"LinearOperatorBlockLowerTriangular needs the matrix dims of '{op.name}' known, "
                                 f"got {op.shape}")
        self._sizes = [op.domain_dimension for op in diag]
        super().__init__(dtype, [], is_non_singular, is_self_adjoint, is_positive_definite, True, name,
                         {"operators": rows})

    operators = property(lambda self: self._operators)

    def _diag_ops(self):
        return [row[-1] for row in self._operators]

    def _shape(self):
        n = sum(self._sizes)
        return _broadcast_batch(*[op._shape()[:-2] for row in self._operators for op in row]) + (n, n)

    def _split(self, x):
        parts, start = [], 0
        for k in self._sizes:
            parts.append(x[..., start:start + k, :])
            start += k
        return parts

    def _batch_zeros(self, rows, cols):
        return zeros(list(self._shape()[:-2]) + [rows, cols], dtype=self.dtype)

    def _to_dense(self):
        n, out_rows, batch = sum(self._sizes), [], self._shape()[:-2]
        for i, row in enumerate(self._operators):
            k, used = self._sizes[i], sum(self._sizes[:i + 1])
            parts = [op.to_dense() + self._batch_zeros(k, op.domain_dimension) if batch else op.to_dense()
                     for op in row]
            if n - used:
                parts.append(self._batch_zeros(k, n - used))
            out_rows.append(concat(parts, -1) if len(parts) > 1 else parts[0])
        return concat(out_rows, -2) if len(out_rows) > 1 else out_rows[0]

    def _sum(self, terms):
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out

    def _matmul(self, x, adjoint, adjoint_arg):
        xs = self._split(_adjoint(x) if adjoint_arg else x)
        m = len(self._operators)
        if adjoint:  # (A^H x)_j = sum_{i >= j} A_ij^H x_i
            outs = [self._sum([self._operators[i][j].matmul(xs[i], adjoint=True) for i in range(j, m)])
                    for j in range(m)]
        else:
            outs = [self._sum([op.matmul(xs[j]) for j, op in enumerate(row)]) for row in self._operators]
        return concat(outs, -2) if m > 1 else outs[0]

    def _solve(self, rhs, adjoint, adjoint_arg):
        bs = self._split(_adjoint(rhs) if adjoint_arg else rhs)
        m = len(self._operators)
        xs = [None] * m
        order = range(m - 1, -1, -1) if adjoint else range(m)  # A^H is block upper triangular
        for i in order:
            r = bs[i]
            others = range(i + 1, m) if adjoint else range(i)
            for j in others:
                block = self._operators[j][i] if adjoint else self._operators[i][j]
                r = r - block.matmul(xs[j], adjoint=adjoint)
            xs[i] = self._operators[i][i].solve(r, adjoint=adjoint)
        return concat(xs, -2) if m > 1 else xs[0]

    def _determinant(self):
        diag = self._diag_ops()
        out = diag[0].determinant()
        for op in diag[1:]:
            out = out * op.determinant()
        return out

    def _log_abs_determinant(self):
        diag = self._diag_ops()
        return self._sum([op.log_abs_determinant() for op in diag])

    def _diag_part(self):
        parts = [op.diag_part() for op in self._diag_ops()]
        return concat(parts, -1) if len(parts) > 1 else parts[0]

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        if self.is_non_singular is False:
            raise errors.InvalidArgumentError(None, None, "Exact solve not implemented for an operator that is "
                                                          "expected to be singular.")
        return super().solve(rhs, adjoint, adjoint_arg, name)


def _non_singular(diag, given):
    if all(op.is_non_singular for op in diag):
        if given is False:
            raise ValueError("A blockwise lower-triangular operator with non-singular operators on the main diagonal "
                             "is always non-singular. Expected argument `is_non_singular` to be True. Received: "
                             "False.")
        return True
    if any(op.is_non_singular is False for op in diag):
        if given is True:
            raise ValueError("A blockwise lower-triangular operator with a singular operator on the main diagonal is "
                             "always singular. Expected argument `is_non_singular` to be True. Received: True.")
        return False
    return given


def _check_dims(rows):
    for i in range(1, len(rows)):
        for j in range(i):
            op, above, right = rows[i][j], rows[i - 1][j], rows[i][j + 1]
            if None not in (op.domain_dimension, above.domain_dimension) and \
                    op.domain_dimension != above.domain_dimension:
                raise ValueError(f"Argument `operators[{i}][{j}].domain_dimension` ({op.domain_dimension}) must be the "
                                 f"same as `operators[{i - 1}][{j}].domain_dimension` ({above.domain_dimension}).")
            if None not in (op.range_dimension, right.range_dimension) and \
                    op.range_dimension != right.range_dimension:
                raise ValueError(f"Argument `operators[{i}][{j}].range_dimension` ({op.range_dimension}) must be the "
                                 f"same as `operators[{i}][{j + 1}].range_dimension` ({right.range_dimension}).")
