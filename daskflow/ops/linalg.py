"""Linear algebra: einsum, and inverse, determinant, Cholesky factor and linear solves of batches of matrices.

The matrix ops work on the last two axes and are batched over the leading ones. Lowering rechunks so each block
holds whole matrices (batch chunks are kept), then applies a per-block kernel from the chunk's own array module.
"""
import string

import dask.array as da
from numpy.linalg import LinAlgError  # the class numpy and cupy both raise

import daskflow as df
from .. import backend, dtypes, errors, planner
from ..graph import TensorShape
from .generate import dim_size
from .hostvalue import known_dims
from .math import _conj
from .registry import apply1, broadcast_shapes, convert_to_tensor, fail, register, same_dtype
from .reduce import sum_to_shape

# ``inv`` at the top level is TF1's elementwise reciprocal, so only the TF1 matrix names are exported there;
# ``inv``, ``det`` and ``solve`` live in the ``daskflow.linalg`` namespace, as ``tf.linalg``.
__all__ = ["cholesky", "einsum", "matrix_determinant", "matrix_inverse", "matrix_solve"]

_KINDS = "fc"  # float and complex, as TF's kernels


# -- einsum

def _parse_einsum(op, equation, shapes):
    """The equation with its output spelled out (``'lhs->rhs'``) and the output's dims, checked against the
    inputs' ``shapes`` (tuples, None for unknown dims)."""
    eq = equation.replace(" ", "")
    lhs, _, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        fail(op, f"einsum equation '{equation}' names {len(terms)} inputs, got {len(shapes)}")
    sizes, ell = {}, None
    for term, shp in zip(terms, shapes):
        if "..." in term:
            pre, post = term.split("...")
            n_ell = len(shp) - len(pre) - len(post)
            e = shp[len(pre):len(shp) - len(post)] if n_ell >= 0 else None
            if e is None:
                fail(op, f"einsum term '{term}' does not fit shape {shp}")
            ell = e if ell is None else tuple(broadcast_shapes(op, TensorShape(ell), TensorShape(e)))
            letters = list(pre) + [None] * n_ell + list(post)
        else:
            letters = list(term)
            if len(letters) != len(shp):
                fail(op, f"einsum term '{term}' has {len(letters)} labels for an input of shape {shp}")
        own = {}
        for ch, d in zip(letters, shp):
            if ch is None:
                continue
            if ch not in string.ascii_letters:
                fail(op, f"einsum equation '{equation}' has an invalid label '{ch}'")
            if own.get(ch) is not None and d is not None and own[ch] != d:  # a diagonal: no broadcasting
                fail(op, f"einsum label '{ch}' repeats in term '{term}' with sizes {own[ch]} and {d} (shape {shp})")
            own[ch] = d if d is not None else own.get(ch)
            if ch not in sizes:
                sizes[ch] = d
                continue
            prev = sizes[ch]
            if prev is not None and d is not None and prev != d and 1 not in (prev, d):
                fail(op, f"einsum label '{ch}' has sizes {prev} and {d} in '{equation}' for shapes {shapes}")
            if prev is None or prev == 1:
                sizes[ch] = d if d is not None else prev
    if not _:
        counts = {}
        for ch in lhs.replace(",", "").replace(".", ""):
            counts[ch] = counts.get(ch, 0) + 1
        rhs = ("..." if ell is not None else "") + "".join(sorted(c for c, n in counts.items() if n == 1))
    labels = rhs.replace("...", "")
    for c in labels:
        if c not in sizes:
            fail(op, f"einsum output label '{c}' does not appear in the inputs of '{equation}'")
        if labels.count(c) > 1:
            fail(op, f"einsum output label '{c}' appears more than once in '{equation}'")
    pre, _, post = rhs.partition("...")
    out = [sizes[c] for c in pre] + (list(ell or ()) if "..." in rhs else []) + [sizes[c] for c in post]
    return lhs + "->" + rhs, out


def _einsum_shapes(op):
    """The inputs' static shapes; an input of unknown rank has one unknown dim per label of its term. None when
    such an input's term has '...' (its rank, and so the output's, is unknown)."""
    terms = op.attrs["equation"].replace(" ", "").partition("->")[0].split(",")
    shapes = []
    for i, t in enumerate(op.inputs):
        if t.shape.ndims is not None:
            shapes.append(tuple(t.shape))
        elif i < len(terms) and "..." not in terms[i]:
            shapes.append((None,) * len(terms[i]))
        else:
            return None
    return shapes


def _einsum_labels(op):
    """The labels of each input and of the output of einsum ``op`` with '...' spelled out in unused letters, and
    the letters still unused."""
    shapes = _einsum_shapes(op)
    if shapes is None:
        fail(op, "the gradient of einsum needs inputs of known rank where their terms have '...'",
             errors.UnimplementedError)
    lhs, rhs = _parse_einsum(op, op.attrs["equation"], shapes)[0].split("->")
    terms = lhs.split(",")
    spare = [c for c in string.ascii_letters if c not in lhs + rhs]
    n_ell = [len(shp) - len(term) + 3 if "..." in term else 0 for term, shp in zip(terms, shapes)]
    ell = "".join(spare[:max(n_ell)])

    def spell(term, n):  # ellipsis dims broadcast from the right
        return term.replace("...", ell[len(ell) - n:])
    return [spell(t, n) for t, n in zip(terms, n_ell)], spell(rhs, len(ell)), spare[len(ell):]


def _dims(t, term):
    return tuple(t.shape) if t.shape.ndims is not None else (None,) * len(term)


def _onto_diagonals(g, once, term, x, spare):
    """``g``, the gradient with respect to the labels ``once`` (each label of ``term`` once), placed on the
    diagonals of ``x``, whose labels ``term`` repeat some, and zero elsewhere: each repetition gets a new label
    tied to the first one by an identity matrix, ``einsum('i,ij->ij', g, eye(n))`` for ``'ii'``."""
    letters, labels, eyes = iter(spare), "", []
    for ax, c in enumerate(term):
        if c in labels:
            k = next(letters)
            eyes.append((c + k, df.eye(dim_size(x, ax), dtype=g.dtype)))
            c = k
        labels += c
    return einsum(",".join([once] + [t for t, _ in eyes]) + "->" + labels, g, *[e for _, e in eyes])


def _einsum_grad(op, dz):
    # why: input i's gradient is the einsum of dz with the other inputs, out to input i's labels. A label of input
    # i found nowhere else (summed away), or of size 1 everywhere else (broadcast), also needs ones of its shape.
    # A label that input i repeats (a diagonal or a trace) reads only the diagonal: the einsum goes out to each
    # label once, and the result is placed back on the diagonal.
    terms, out, spare = _einsum_labels(op)
    operands = [(out, dz)] + [(t, _conj(x)) for t, x in zip(terms, op.inputs)]
    grads = []
    for i, (term, x) in enumerate(zip(terms, op.inputs)):
        rest = operands[:i + 1] + operands[i + 2:]
        sizes = {}
        for t, y in rest:
            for c, d in zip(t, _dims(y, t)):
                sizes.setdefault(c, []).append(d)
        if any(c not in sizes or (d != 1 and all(e == 1 for e in sizes[c])) for c, d in zip(term, _dims(x, term))):
            rest = rest + [(term, df.ones_like(x))]
        once = "".join(dict.fromkeys(term))
        if len(rest) == 1 and rest[0][0] == once:
            g = rest[0][1]
        else:
            g = einsum(",".join(t for t, _ in rest) + "->" + once, *[y for _, y in rest])
        if once != term:
            g = _onto_diagonals(g, once, term, x, spare)
        elif not (g.shape.is_fully_defined() and x.shape.is_fully_defined()):
            # sizes known only at run time: a label of size 1 on one side and not the other is summed down or
            # broadcast up then (with static sizes, the ones above and autodiff's sum do it)
            g = sum_to_shape(g, df.shape(x))
        grads.append(g)
    return grads


@register("Einsum")
class Einsum:
    grad = _einsum_grad
    scratch = 3  # operands made contiguous (or packed by BLAS) besides the product

    def infer(op):
        dt = same_dtype(op, *op.inputs)
        shapes = _einsum_shapes(op)
        if shapes is None:
            return [(TensorShape(None), dt)]
        return [(_parse_einsum(op, op.attrs["equation"], shapes)[1], dt)]

    def lower(op, *xs):
        # the run-time shapes checked as the static ones were; the implicit output depends only on labels and ranks
        eq = _parse_einsum(op, op.attrs["equation"], [known_dims(x.shape) for x in xs])[0]
        # a label repeated within one operand (a diagonal) needs those axes chunked alike: dask does not align them
        terms = eq.split("->")[0].split(",")
        xs = [x.rechunk({i: -1 for i, c in enumerate(t.replace("...", "")) if t.count(c) > 1})
              if "..." not in t and len(set(t)) < len(t) else x for x, t in zip(xs, terms)]
        return da.einsum(eq, *xs).astype(op.outputs[0].dtype, copy=False)


def einsum(equation, *inputs, name=None, **kwargs):
    """Einstein summation over ``inputs``, with numpy's ``einsum`` conventions.

    Parameters
    ----------
    equation : str
        Comma-separated labels of each input, then optionally ``->`` and the output's labels (without it: the
        labels that appear once, in alphabetical order); ``...`` stands for broadcasting dims. A label repeated
        in one input takes its diagonal (``'ii->i'``), or its trace when not in the output (``'ii->'``).
    *inputs : Tensor or array-like
        Of one dtype.
    name : str, optional

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import daskflow as df
    >>> df.einsum("ii->", [[1.0, 2.0], [3.0, 4.0]]).compute()
    np.float32(5.0)
    """
    if not inputs:
        raise ValueError("einsum needs at least one input")
    ts = [convert_to_tensor(x) for x in inputs]
    return apply1("Einsum", ts, {"equation": equation}, name=name or "Einsum")


# -- build-time checks

def _check_matrices(op, t):
    if t.dtype.kind not in _KINDS:
        fail(op, f"input '{t.name}' has dtype {t.dtype.name}, but {op.type} needs a floating or complex dtype")
    shape = t.shape
    if shape.ndims is None:
        return
    if shape.ndims < 2:
        fail(op, f"input '{t.name}' must have rank >= 2, got shape {shape}")
    m, n = shape[-2], shape[-1]
    if m is not None and n is not None and m != n:
        fail(op, f"Input matrix must be square, got '{t.name}' of shape {shape}")


def _square_dim(t):
    """The matrix size of a batch of square matrices, known from either of the last two dims."""
    m, n = t.shape[-2], t.shape[-1]
    return m if m is not None else n


def _where(op):
    """How a run-time error names the op: name, type and where the user built it."""
    return f"{errors.describe(op)} built at {op.where()}"


# -- per-block kernels (whole matrices in every block)

def _work_dtype(x):
    """numpy and cupy linalg have no float16: those blocks are computed in float32."""
    return dtypes.float32 if x.dtype == dtypes.float16 else x.dtype


def _call(fn, where, message, *args):
    """``fn(*args)``; a failed factorisation raises TF's InvalidArgumentError naming the op (``where``)."""
    if backend.is_gpu(args[0]):  # cupy reports failed factorisations only when asked to
        import cupyx
        with cupyx.errstate(linalg="raise"):
            return _call_raw(fn, where, message, *args)
    return _call_raw(fn, where, message, *args)


def _call_raw(fn, where, message, *args):
    try:
        return fn(*args)
    except LinAlgError:
        raise errors.InvalidArgumentError(None, None, f"{message} [op {where}]") from None


def _adjoint(m, x):
    x = m.swapaxes(x, -1, -2)
    return m.conj(x) if x.dtype.kind == "c" else x


def _inv_kernel(x, adjoint, where):
    m = backend.xp(x)
    a = x.astype(_work_dtype(x))
    out = _call(m.linalg.inv, where, "Input is not invertible.", _adjoint(m, a) if adjoint else a)
    return out.astype(x.dtype, copy=False)


def _det_kernel(x):
    m = backend.xp(x)
    return m.asarray(m.linalg.det(x.astype(_work_dtype(x)))).astype(x.dtype, copy=False)


def _cholesky_kernel(x, where):
    m = backend.xp(x)
    out = _call(m.linalg.cholesky, where, "Cholesky decomposition was not successful. The input might not be "
                "valid.", x.astype(_work_dtype(x)))
    return out.astype(x.dtype, copy=False)


def _solve_kernel(a, b, adjoint, where):
    m = backend.xp(a)
    w = _work_dtype(a)
    a = a.astype(w)
    out = _call(m.linalg.solve, where, "Input matrix is not invertible.", _adjoint(m, a) if adjoint else a,
                b.astype(w))
    return out.astype(b.dtype, copy=False)


def _whole_matrices(x, batch_chunks=None):
    """``x`` rechunked so every block holds whole matrices; batch chunks kept (or set to ``batch_chunks``)."""
    n = x.ndim
    spec = {n - 2: -1, n - 1: -1}
    if batch_chunks is not None:
        spec.update(enumerate(batch_chunks))
    return x.rechunk(spec)


def _matrices_footprint(op, xs, outs):
    """Projected task memory of an op on whole matrices (planner)."""
    return sum(planner.block_bytes(a, whole=(a.ndim - 2, a.ndim - 1)) for a in [*xs, *outs] if a is not None
               and a.ndim >= 2) + sum(planner.block_bytes(a) for a in [*xs, *outs] if a is not None and a.ndim < 2)


# -- gradient helpers

def _adjoint_of(op, t):
    """The conjugate transpose of each matrix of ``t`` (a tensor of ``op``'s gradient)."""
    n = t.shape.ndims
    if n is None:
        fail(op, f"the gradient of {op.type} needs an input of known rank", errors.UnimplementedError)
    return df.transpose(t, list(range(n - 2)) + [n - 1, n - 2], conjugate=True)


def _lower_half_diagonal(l):
    """A mask keeping a matrix's lower triangle and half its diagonal, for matrices the size of ``l``'s."""
    i = df.range(df.shape(l)[-1])
    rows, cols = df.expand_dims(i, 1), df.expand_dims(i, 0)
    return df.cast(df.greater(rows, cols), l.dtype) + 0.5 * df.cast(df.equal(rows, cols), l.dtype)


# -- ops

def _square_like_input(op):
    x = op.inputs[0]
    _check_matrices(op, x)
    if x.shape.ndims is None:
        return [(TensorShape(None), x.dtype)]
    m = _square_dim(x)
    return [(tuple(x.shape[:-2]) + (m, m), x.dtype)]


@register("MatrixInverse")
class MatrixInverse:
    footprint = _matrices_footprint

    infer = _square_like_input

    def lower(op, x):
        x = _whole_matrices(x)
        return x.map_blocks(_inv_kernel, adjoint=op.attrs.get("adjoint", False), where=_where(op), dtype=x.dtype,
                            meta=backend.meta(x, x.dtype))

    def grad(op, dy):  # d(A^-1) = -A^-1 dA A^-1
        y, adj = op.outputs[0], op.attrs.get("adjoint", False)
        return [-df.matmul(y, df.matmul(dy, y, adjoint_a=adj, adjoint_b=not adj), adjoint_a=not adj)]


@register("MatrixDeterminant")
class MatrixDeterminant:
    footprint = _matrices_footprint

    def infer(op):
        x = op.inputs[0]
        _check_matrices(op, x)
        if x.shape.ndims is None:
            return [(TensorShape(None), x.dtype)]
        return [(tuple(x.shape[:-2]), x.dtype)]

    def lower(op, x):
        x = _whole_matrices(x)
        n = x.ndim
        return x.map_blocks(_det_kernel, drop_axis=[n - 2, n - 1], dtype=x.dtype,
                            meta=backend.meta(x, x.dtype, ndim=n - 2))

    def grad(op, dy):  # d det(A) = det(A) tr(A^-1 dA)
        scale = df.expand_dims(df.expand_dims(dy * _conj(op.outputs[0]), -1), -1)
        return [scale * df.matrix_inverse(op.inputs[0], adjoint=True)]


@register("Cholesky")
class Cholesky:
    footprint = _matrices_footprint

    infer = _square_like_input

    def lower(op, x):
        x = _whole_matrices(x)
        return x.map_blocks(_cholesky_kernel, where=_where(op), dtype=x.dtype,
                            meta=backend.meta(x, x.dtype))

    def grad(op, dl):
        # why: Murray (2016), "Differentiation of the Cholesky decomposition", eq. 10: with P taking the lower
        # triangle and half the diagonal, dA = L^-H P(L^H dL) L^-1, made symmetric as TF does (the input is taken
        # to be symmetric, so the gradient is too)
        l = op.outputs[0]
        l_inv = df.matrix_inverse(l)
        middle = df.matmul(l, dl, adjoint_a=True) * _lower_half_diagonal(l)
        g = df.matmul(df.matmul(l_inv, middle, adjoint_a=True), l_inv)
        return [0.5 * (g + _adjoint_of(op, g))]


@register("MatrixSolve")
class MatrixSolve:
    footprint = _matrices_footprint

    def infer(op):
        a, b = op.inputs
        _check_matrices(op, a)
        if b.dtype != a.dtype:
            fail(op, f"rhs '{b.name}' has dtype {b.dtype.name} that does not match dtype {a.dtype.name} of "
                     f"matrix '{a.name}'")
        if a.shape.ndims is None or b.shape.ndims is None:
            return [(b.shape, a.dtype)]
        if b.shape.ndims != a.shape.ndims:
            fail(op, f"matrix '{a.name}' of shape {a.shape} and rhs '{b.name}' of shape {b.shape} must have the "
                     "same rank")
        m, rows = _square_dim(a), b.shape[-2]
        if m is not None and rows is not None and m != rows:
            fail(op, f"Input matrix and right-hand side must have the same number of rows: {a.shape} vs. "
                     f"{b.shape}")
        if not TensorShape(a.shape[:-2]).is_compatible_with(TensorShape(b.shape[:-2])):
            fail(op, f"matrix and rhs must have the same batch dims: {a.shape} vs. {b.shape}")
        batch = TensorShape(a.shape[:-2]).merge_with(TensorShape(b.shape[:-2]))
        return [(tuple(batch) + (m if m is not None else rows, b.shape[-1]), a.dtype)]

    def lower(op, a, b):
        a = _whole_matrices(a)
        b = _whole_matrices(b, batch_chunks=a.chunks[:-2])
        return da.map_blocks(_solve_kernel, a, b, adjoint=op.attrs.get("adjoint", False), where=_where(op),
                             dtype=b.dtype, chunks=b.chunks, meta=backend.meta(b, b.dtype))

    def grad(op, dx):  # x = A^-1 b: db = A^-H dx, dA = -db x^H (adjoint: dA = -x db^H)
        a, x, adj = op.inputs[0], op.outputs[0], op.attrs.get("adjoint", False)
        db = df.matrix_solve(a, dx, adjoint=not adj)
        return [-df.matmul(x, db, adjoint_b=True) if adj else -df.matmul(db, x, adjoint_b=True), db]


# -- public functions

def matrix_inverse(input, adjoint=False, name=None):
    """The inverse of each square matrix in ``input`` (shape ``(..., M, M)``), as TF's ``matrix_inverse``.

    With ``adjoint=True``, the inverse of each matrix's conjugate transpose. A singular matrix raises
    ``InvalidArgumentError`` ("Input is not invertible.") when computed.
    """
    x = convert_to_tensor(input)
    return apply1("MatrixInverse", [x], {"adjoint": bool(adjoint)}, name=name or "MatrixInverse")


def matrix_determinant(input, name=None):
    """The determinant of each square matrix in ``input`` (shape ``(..., M, M)``); result shape ``(...)``."""
    return apply1("MatrixDeterminant", [convert_to_tensor(input)], name=name or "MatrixDeterminant")


def cholesky(input, name=None):
    """The lower-triangular Cholesky factor ``L`` of each Hermitian positive-definite matrix in ``input``
    (``input = L @ L^H``); only the lower triangle of ``input`` is read, as TF.

    A matrix that is not positive definite raises ``InvalidArgumentError`` when computed.
    """
    return apply1("Cholesky", [convert_to_tensor(input)], name=name or "Cholesky")


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    """``X`` with ``matrix @ X = rhs`` for each matrix in the batch (``matrix`` ``(..., M, M)``, ``rhs``
    ``(..., M, K)``); with ``adjoint=True`` solves ``adjoint(matrix) @ X = rhs``.

    A singular matrix raises ``InvalidArgumentError`` ("Input matrix is not invertible.") when computed.
    """
    a = convert_to_tensor(matrix)
    b = convert_to_tensor(rhs, dtype_hint=a.dtype)
    return apply1("MatrixSolve", [a, b], {"adjoint": bool(adjoint)}, name=name or "MatrixSolve")


inv = matrix_inverse
det = matrix_determinant
solve = matrix_solve
