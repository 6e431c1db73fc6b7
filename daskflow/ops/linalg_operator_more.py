"""LinearOperators built from other operators (composition, inverse, adjoint, Kronecker product, block diagonal,
low-rank update) and the structured ones of TF beyond diagonals and triangles (permutation, Householder
reflection, Toeplitz, tridiagonal). See ``linalg_operator``."""
import numpy as np

from .. import dtypes
from .array import concat, expand_dims, reshape, reverse
from .generate import zeros
from .indexing import gather, one_hot
from .linalg import einsum, matrix_determinant, matrix_inverse, matrix_solve
from .linalg_lu import _dense as _tridiagonal_dense, _three_diagonals, tridiagonal_matmul, tridiagonal_solve
from .linalg_operator import LinearOperator, _broadcast_batch, _dim, _t
from .linalg_structure import adjoint as _adjoint, matrix_diag_part
from .math import _conj, matmul
from .reduce import reduce_prod, reduce_sum


def _same_dtype(operators):
    dt = operators[0].dtype
    for op in operators[1:]:
        if op.dtype != dt:
            raise TypeError(f"Expected all operators to have the same dtype.  Found {dt.name} and {op.dtype.name} "
                            f"('{operators[0].name}', '{op.name}')")
    return dt


def _operators(operators):
    """The operators of a combination, as a non-empty list (TF's message otherwise)."""
    ops = list(operators)
    if not ops:
        raise ValueError(f"Expected a non-empty list of operators. Found: {operators}")
    return ops


def _combined(operators, flag, given):
    """A combination's ``flag`` (e.g. ``is_non_singular``): as given, else true when every operator's is."""
    return given if given is not None else _all(getattr(op, flag) for op in operators)


def _all(flags):
    return True if all(f is True for f in flags) else None


class LinearOperatorComposition(LinearOperator):
    """The product ``operators[0] @ operators[1] @ ...`` (batch shapes broadcast)."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        ops = _operators(operators)
        for a, b in zip(ops, ops[1:]):
            _dim(a.domain_dimension, b.range_dimension)
        self.operators = ops
        super().__init__(_same_dtype(ops), [], _combined(ops, "is_non_singular", is_non_singular), is_self_adjoint,
                         is_positive_definite, is_square,
                         name or "_o_".join(op.name for op in ops), {"operators": ops})

    def _shape(self):
        batch = _broadcast_batch(*[op._shape()[:-2] for op in self.operators])
        return batch + (self.operators[0].range_dimension, self.operators[-1].domain_dimension)

    def _to_dense(self):
        out = self.operators[-1].to_dense()
        for op in reversed(self.operators[:-1]):
            out = op.matmul(out)
        return out

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        for op in (self.operators if adjoint else reversed(self.operators)):  # (AB)^H x = B^H (A^H x)
            x = op.matmul(x, adjoint=adjoint)
        return x

    def _solve(self, rhs, adjoint, adjoint_arg):
        x = _adjoint(rhs) if adjoint_arg else rhs
        for op in (reversed(self.operators) if adjoint else self.operators):  # (AB)^-1 b = B^-1 (A^-1 b)
            x = op.solve(x, adjoint=adjoint)
        return x

    def _determinant(self):
        out = self.operators[0].determinant()
        for op in self.operators[1:]:
            out = out * op.determinant()
        return out

    def _log_abs_determinant(self):
        out = self.operators[0].log_abs_determinant()
        for op in self.operators[1:]:
            out = out + op.log_abs_determinant()
        return out


class LinearOperatorInversion(LinearOperator):
    """The inverse of a square, non-singular ``operator``: products are its solves and solves its products."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        if operator.is_square is False:
            raise ValueError("Cannot take the Inverse: This operator represents a non square matrix.")
        self.operator = operator
        super().__init__(operator.dtype, [], operator.is_non_singular if is_non_singular is None else
                         is_non_singular, operator.is_self_adjoint if is_self_adjoint is None else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None else is_positive_definite,
                         True, name or operator.name + "_inv", {"operator": operator})

    def _shape(self):
        return self.operator._shape()

    def _to_dense(self):
        return matrix_inverse(self.operator.to_dense())

    def _matmul(self, x, adjoint, adjoint_arg):
        return self.operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return self.operator.matmul(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return 1.0 / self.operator.determinant()

    def _log_abs_determinant(self):
        return -self.operator.log_abs_determinant()


class LinearOperatorAdjoint(LinearOperator):
    """The conjugate transpose of ``operator``."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        self.operator = operator
        super().__init__(operator.dtype, [], operator.is_non_singular if is_non_singular is None else
                         is_non_singular, operator.is_self_adjoint if is_self_adjoint is None else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None else is_positive_definite,
                         is_square, name or operator.name + "_adjoint", {"operator": operator})

    def _shape(self):
        s = self.operator._shape()
        return s[:-2] + (s[-1], s[-2])

    def _to_dense(self):
        return _adjoint(self.operator.to_dense())

    def _matmul(self, x, adjoint, adjoint_arg):
        return self.operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return self.operator.solve(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return _conj(self.operator.determinant())

    def _log_abs_determinant(self):
        return self.operator.log_abs_determinant()

    def _diag_part(self):
        return _conj(self.operator.diag_part())


class LinearOperatorKronecker(LinearOperator):
    """The Kronecker product ``operators[0] (x) operators[1] (x) ...``; the operators' matrix dims must be known
    when the graph is built."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        ops = _operators(operators)
        for op in ops:
            if None in op._shape()[-2:]:
                raise ValueError(f"LinearOperatorKronecker needs the matrix dims of '{op.name}' known, got "
                                 f"{op.shape}")
        self.operators = ops
        super().__init__(_same_dtype(ops), [], _combined(ops, "is_non_singular", is_non_singular), is_self_adjoint,
                         is_positive_definite, is_square,
                         name or "_x_".join(op.name for op in ops), {"operators": ops})

    def _shape(self):
        batch = _broadcast_batch(*[op._shape()[:-2] for op in self.operators])
        return batch + (int(np.prod([op.range_dimension for op in self.operators])),
                        int(np.prod([op.domain_dimension for op in self.operators])))

    def _to_dense(self):
        out = self.operators[0].to_dense()
        m, n = self.operators[0]._shape()[-2:]
        for op in self.operators[1:]:
            p, q = op._shape()[-2:]
            prod = einsum("...ij,...kl->...ikjl", out, op.to_dense())
            m, n = m * p, n * q
            batch = list(prod.shape[:-4])
            out = reshape(prod, batch + [m, n]) if None not in batch else \
                reshape(prod, concat([_shape_of(prod)[:-4], [m, n]], 0))
        return out

    def _determinant(self):
        n = self._shape()[-1]
        out = None
        for op in self.operators:  # det(A (x) B) = det(A)^q det(B)^p for A p x p, B q x q
            term = op.determinant() ** (n // op.domain_dimension)
            out = term if out is None else out * term
        return out

    def _log_abs_determinant(self):
        n = self._shape()[-1]
        return sum((op.log_abs_determinant() * float(n // op.domain_dimension) for op in self.operators[1:]),
                   self.operators[0].log_abs_determinant() * float(n // self.operators[0].domain_dimension))


def _shape_of(t):
    from .generate import shape
    return shape(t)


class LinearOperatorBlockDiag(LinearOperator):
    """The block-diagonal operator with the square ``operators`` on its diagonal (their batch shapes equal and
    matrix dims known when the graph is built)."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=True, name=None):
        ops = _operators(operators)
        for op in ops:
            if op.is_square is False or None in op._shape()[-2:]:
                raise ValueError(f"LinearOperatorBlockDiag takes square operators of known size, got '{op.name}' of "
                                 f"shape {op.shape}")
        self.operators = ops
        self._sizes = [op.domain_dimension for op in ops]
        super().__init__(_same_dtype(ops), [], _combined(ops, "is_non_singular", is_non_singular),
                         _combined(ops, "is_self_adjoint", is_self_adjoint), is_positive_definite, True,
                         name or "_ds_".join(op.name for op in ops), {"operators": ops})

    def _shape(self):
        n = sum(self._sizes)
        return _broadcast_batch(*[op._shape()[:-2] for op in self.operators]) + (n, n)

    def _to_dense(self):
        batch, n = list(self._shape()[:-2]), sum(self._sizes)
        rows, start = [], 0
        for op, k in zip(self.operators, self._sizes):
            parts = [zeros(batch + [k, start], dtype=self.dtype)] if start else []
            parts.append(op.to_dense() + zeros(batch + [k, k], dtype=self.dtype))
            if n - start - k:
                parts.append(zeros(batch + [k, n - start - k], dtype=self.dtype))
            rows.append(concat(parts, -1) if len(parts) > 1 else parts[0])
            start += k
        return concat(rows, -2) if len(rows) > 1 else rows[0]

    def _blockwise(self, method, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        outs, start = [], 0
        for op, k in zip(self.operators, self._sizes):
            outs.append(getattr(op, method)(x[..., start:start + k, :], adjoint=adjoint))
            start += k
        return concat(outs, -2) if len(outs) > 1 else outs[0]

    def _matmul(self, x, adjoint, adjoint_arg):
        return self._blockwise("matmul", x, adjoint, adjoint_arg)

    def _solve(self, rhs, adjoint, adjoint_arg):
        return self._blockwise("solve", rhs, adjoint, adjoint_arg)

    def _determinant(self):
        out = self.operators[0].determinant()
        for op in self.operators[1:]:
            out = out * op.determinant()
        return out

    def _log_abs_determinant(self):
        return sum((op.log_abs_determinant() for op in self.operators[1:]),
                   self.operators[0].log_abs_determinant())

    def _diag_part(self):
        parts = [op.diag_part() for op in self.operators]
        return concat(parts, -1) if len(parts) > 1 else parts[0]


class LinearOperatorLowRankUpdate(LinearOperator):
    """``base_operator + u @ diag(diag_update) @ adjoint(v)`` (``diag_update`` defaults to ones, ``v`` to ``u``);
    solves use the Woodbury identity and determinants the matrix determinant lemma, so only ``K x K`` systems
    (``K`` the rank of the update) are formed besides the base operator's own solves."""

    def __init__(self, base_operator, u, diag_update=None, v=None, is_diag_update_positive=None,
                 is_non_singular=None, is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowRankUpdate"):
        self.base_operator = base_operator
        self.u = _t(u, base_operator.dtype)
        self.v = self.u if v is None else _t(v, base_operator.dtype)
        self.diag_update = None if diag_update is None else _t(diag_update, base_operator.dtype)
        _dim(base_operator.range_dimension, self.u.shape[-2])
        _dim(base_operator.domain_dimension, self.v.shape[-2])
        if is_self_adjoint is None and v is None and base_operator.is_self_adjoint and self.u.dtype.kind != "c":
            is_self_adjoint = True
        super().__init__(base_operator.dtype, [], is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name, {"base_operator": base_operator, "u": u, "diag_update": diag_update,
                                           "v": v})

    def _shape(self):
        s = self.base_operator._shape()
        batch = _broadcast_batch(s[:-2], tuple(self.u.shape[:-2]), tuple(self.v.shape[:-2]))
        return batch + s[-2:]

    def _scaled_u(self):
        return self.u if self.diag_update is None else self.u * expand_dims(self.diag_update, -2)

    def _to_dense(self):
        return self.base_operator.to_dense() + matmul(self._scaled_u(), self.v, adjoint_b=True)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        if adjoint:  # (L + U D V^H)^H = L^H + V D^H U^H
            d = None if self.diag_update is None else _conj(self.diag_update)
            left, right = self.v, self.u
        else:
            d, left, right = self.diag_update, self.u, self.v
        proj = matmul(right, x, adjoint_a=True)
        proj = proj if d is None else expand_dims(d, -1) * proj
        return self.base_operator.matmul(x, adjoint=adjoint) + matmul(left, proj)

    def _capacitance(self):
        """``D^-1 + V^H L^-1 U`` (``I + ...`` without a diagonal update)."""
        inner = matmul(self.v, self.base_operator.solve(self.u), adjoint_a=True)
        k = self.u.shape[-1]
        from .generate import eye
        d_inv = eye(k, dtype=self.dtype) if self.diag_update is None else \
            expand_dims(1.0 / self.diag_update, -1) * eye(k, dtype=self.dtype)
        return d_inv + inner

    def _solve(self, rhs, adjoint, adjoint_arg):
        if adjoint:
            return super()._solve(rhs, adjoint, adjoint_arg)
        rhs = _adjoint(rhs) if adjoint_arg else rhs
        # why: Woodbury: (L + U D V^H)^-1 b = L^-1 b - L^-1 U C^-1 V^H L^-1 b with C = D^-1 + V^H L^-1 U
        lb = self.base_operator.solve(rhs)
        corr = matrix_solve(self._capacitance(), matmul(self.v, lb, adjoint_a=True))
        return lb - self.base_operator.solve(matmul(self.u, corr))

    def _determinant(self):
        # why: det(L + U D V^H) = det(C) det(D) det(L), the matrix determinant lemma
        det = matrix_determinant(self._capacitance()) * self.base_operator.determinant()
        return det if self.diag_update is None else det * reduce_prod(self.diag_update, -1)


class LinearOperatorPermutation(LinearOperator):
    """The permutation matrices ``P`` with ``P[i, perm[i]] = 1``: ``P @ x = x[perm]``."""

    def __init__(self, perm, dtype=dtypes.float32, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorPermutation"):
        self.perm = _t(perm)
        if self.perm.dtype.kind not in "iu":
            raise TypeError(f"Argument `perm` must be integer dtype. Received: {self.perm.dtype.name}")
        self._n = self.perm.shape[-1]
        super().__init__(dtype, [], True, is_self_adjoint, is_positive_definite, True, name, {"perm": perm})

    def _shape(self):
        return tuple(self.perm.shape) + (self._n,)

    def _to_dense(self):
        return one_hot(self.perm, self._n, dtype=self.dtype)

    def _solve(self, rhs, adjoint, adjoint_arg):  # P^-1 = P^T
        return matmul(self.to_dense(), rhs, adjoint_a=not adjoint, adjoint_b=adjoint_arg)


class LinearOperatorHouseholder(LinearOperator):
    """The Householder reflections ``I - 2 v v^H / (v^H v)`` about the hyperplanes orthogonal to
    ``reflection_axis`` (``v``, shape ``[..., N]``): self-adjoint, their own inverses, of determinant -1."""

    def __init__(self, reflection_axis, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorHouseholder"):
        self.reflection_axis = _t(reflection_axis)
        super().__init__(self.reflection_axis.dtype, [], True, True, False, True, name,
                         {"reflection_axis": reflection_axis})

    def _shape(self):
        s = tuple(self.reflection_axis.shape)
        return s + (s[-1],)

    def _reflect(self, x):
        v = expand_dims(self.reflection_axis, -1)
        norm2 = reduce_sum(self.reflection_axis * _conj(self.reflection_axis), -1)
        return x - (2.0 / expand_dims(expand_dims(norm2, -1), -1)) * matmul(v, matmul(v, x, adjoint_a=True))

    def _to_dense(self):
        from .generate import eye
        n = self._shape()[-1]
        return self._reflect(eye(n, dtype=self.dtype) + zeros(list(self._shape()), dtype=self.dtype))

    def _matmul(self, x, adjoint, adjoint_arg):
        return self._reflect(_adjoint(x) if adjoint_arg else x)

    _solve = _matmul

    def _determinant(self):
        return zeros(list(self._shape()[:-2]), dtype=self.dtype) - 1.0


class LinearOperatorToeplitz(LinearOperator):
    """The Toeplitz matrices with first column ``col`` and first row ``row`` (``row[0]`` unused: the diagonal is
    ``col[0]``)."""

    def __init__(self, col, row, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorToeplitz"):
        self.col = _t(col)
        self.row = _t(row, self.col.dtype)
        self._n = _dim(self.col.shape[-1], self.row.shape[-1])
        if self._n is None:
            raise ValueError("LinearOperatorToeplitz needs the length of col and row known when the graph is built")
        super().__init__(self.col.dtype, [], is_non_singular, is_self_adjoint, is_positive_definite, True, name,
                         {"col": col, "row": row})

    def _shape(self):
        return _broadcast_batch(tuple(self.col.shape[:-1]), tuple(self.row.shape[:-1])) + (self._n, self._n)

    def _to_dense(self):
        n = self._n
        # entry (i, j) is values[i - j + n - 1], values = [row[n-1], ..., row[1], col[0], ..., col[n-1]]
        values = concat([reverse(self.row[..., 1:], [-1]), self.col], -1) if n > 1 else self.col
        idx = np.arange(n)[:, None] - np.arange(n)[None, :] + n - 1
        return gather(values, idx.astype(np.int32), axis=-1)


class LinearOperatorTridiag(LinearOperator):
    """The tridiagonal matrices given by ``diagonals`` in TF's ``compact``, ``sequence`` or ``matrix`` formats
    (see ``tridiagonal_solve``)."""

    def __init__(self, diagonals, diagonals_format="compact", is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorTridiag"):
        self.diagonals_format = diagonals_format
        if diagonals_format == "matrix":
            self._matrix = _t(diagonals)
            dt = self._matrix.dtype
        else:
            self._sup, self._main, self._sub = _three_diagonals(diagonals, diagonals_format, "LinearOperatorTridiag")
            dt = self._main.dtype
        self.diagonals = diagonals
        super().__init__(dt, [], is_non_singular, is_self_adjoint, is_positive_definite, True, name,
                         {"diagonals": diagonals, "diagonals_format": diagonals_format})

    def _shape(self):
        if self.diagonals_format == "matrix":
            return tuple(self._matrix.shape)
        s = tuple(self._main.shape)
        return s + (s[-1],)

    def _to_dense(self):
        if self.diagonals_format == "matrix":
            return self._matrix
        return _tridiagonal_dense(self._sup, self._main, self._sub)

    def _matmul(self, x, adjoint, adjoint_arg):
        x = _adjoint(x) if adjoint_arg else x
        if adjoint or self.diagonals_format == "matrix":
            return matmul(self.to_dense(), x, adjoint_a=adjoint)
        compact = concat([expand_dims(d, -2) for d in (self._sup, self._main, self._sub)], -2)
        return tridiagonal_matmul(compact, x)

    def _solve(self, rhs, adjoint, adjoint_arg):
        rhs = _adjoint(rhs) if adjoint_arg else rhs
        if adjoint:
            return matrix_solve(self.to_dense(), rhs, adjoint=True)
        return tridiagonal_solve(self.to_dense(), rhs, diagonals_format="matrix")

    def _diag_part(self):
        return matrix_diag_part(self._matrix) if self.diagonals_format == "matrix" else self._main
