"""TF's ``tf.linalg.experimental``: ``conjugate_gradient``, the matrix-free conjugate gradient solver of
self-adjoint positive definite systems, as a graph ``while_loop`` over the operator's ``matvec``."""
import collections

from ..graph import name_scope
from .array import broadcast_to, expand_dims, squeeze
from .decomp import norm
from .generate import zeros
from .loops import while_loop
from .linalg_structure import matvec
from .math import logical_and
from .reduce import reduce_any
from .registry import convert_to_tensor

__all__ = ["conjugate_gradient"]

CGState = collections.namedtuple("CGState", ["i", "x", "r", "p", "gamma"])


def _dot(x, y):
    """``<x, y>`` over the last dim (``x`` conjugated), keeping the batch dims."""
    return squeeze(matvec(expand_dims(x, -1), y, adjoint_a=True), [-1])


def conjugate_gradient(operator, rhs, preconditioner=None, x=None, tol=1e-5, max_iter=20,
                       name="conjugate_gradient"):
    """Solve ``A x = rhs`` for a self-adjoint positive definite LinearOperator ``operator`` by conjugate
    gradients, stopping after ``max_iter`` iterations or once every residual norm is at most ``tol`` times its
    right-hand side's norm.

    ``rhs`` (and the first guess ``x``, zeros by default) have shape ``[..., N]``; ``preconditioner`` is an
    optional LinearOperator approximating ``A``'s inverse. Returns ``CGState(i, x, r, p, gamma)``: the number
    of iterations run, the solution, the residual, the last search direction and ``r . M r`` (``|r|^2`` without
    a preconditioner).

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> a = df.linalg.LinearOperatorFullMatrix(np.array([[4.0, 1.0], [1.0, 3.0]]), is_self_adjoint=True,
    ...                                        is_positive_definite=True)
    >>> np.round(df.linalg.experimental.conjugate_gradient(a, np.array([1.0, 2.0])).x.compute(), 6).tolist()
    [0.090909, 0.636364]
    """
    if not (operator.is_self_adjoint and operator.is_positive_definite):
        raise ValueError("Expected a self-adjoint, positive definite operator.")
    with name_scope(name):
        rhs = convert_to_tensor(rhs, dtype=operator.dtype)
        batch = [tuple(operator.batch_shape)] + ([tuple(preconditioner.batch_shape)] if preconditioner else [])
        r0 = _broadcast_rhs(rhs, batch)
        tol = tol * norm(r0, axis=-1)
        if x is None:
            x = zeros(list(r0.shape), dtype=rhs.dtype) if r0.shape.is_fully_defined() else r0 * 0
        else:
            x = convert_to_tensor(x, dtype=operator.dtype)
            r0 = rhs - operator.matvec(x)
        p0 = r0 if preconditioner is None else preconditioner.matvec(r0)

        def cond(i, x, r, p, gamma):
            return logical_and(i < max_iter, reduce_any(norm(r, axis=-1) > tol))

        def body(i, x, r, p, gamma):
            z = operator.matvec(p)
            alpha = expand_dims(gamma / _dot(p, z), -1)
            x, r = x + alpha * p, r - alpha * z
            q = r if preconditioner is None else preconditioner.matvec(r)
            new_gamma = _dot(r, q)
            return i + 1, x, r, q + expand_dims(new_gamma / gamma, -1) * p, new_gamma

        i0 = convert_to_tensor(0)
        return CGState(*while_loop(cond, body, [i0, x, r0, p0, _dot(r0, p0)]))


def _broadcast_rhs(rhs, batch_shapes):
    """``rhs`` broadcast to the batch shape it shares with the operators (static shapes)."""
    from .linalg_operator import _broadcast_batch
    lead = tuple(rhs.shape)[:-1]
    full = _broadcast_batch(lead, *batch_shapes)
    if full == lead or None in full:
        return rhs
    return broadcast_to(rhs, list(full) + [rhs.shape[-1]])
