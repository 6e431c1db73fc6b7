"""Pure per-chunk functions, generic over the chunk's array module (numpy or cupy): never ``numpy`` by name."""
import contextlib
import math
import threading

from . import errors
from .backend import xp

__all__ = ["elementwise", "matmul", "sigmoid", "softplus", "rsqrt", "squared_difference", "add_n", "floordiv", "floormod", "erf",
           "erfc", "check_numerics", "check_assert", "check_labels", "sparse_xent", "xent", "moments_chunk", "moments_combine",
           "moments_aggregate"]


_NO_CHANGE = contextlib.nullcontext()
_state = threading.local()  # quiet: warnings are off already


def _quiet(m):
    """numpy's floating-point warnings off: inf and nan are values, as in TF (cupy never warns). Nothing to do in
    a thread whose ``_state.quiet`` is set: a Session's inline run turns them off once for all its tasks."""
    if getattr(_state, "quiet", False) or not hasattr(m, "errstate"):
        return _NO_CHANGE
    return m.errstate(all="ignore")


def elementwise(*xs, fn, dt, label):
    """``fn`` (the name of an array-module function, or a kernel below) on broadcasting chunks ``xs``, as an
    array of dtype ``dt``. Division by zero, overflow and invalid values give inf/nan silently, as in TF;
    kernels raise ``OpError`` for what TF rejects at run time, and ``label`` names the op in the message."""
    m = xp(xs[0])
    f = getattr(m, fn) if isinstance(fn, str) else fn
    try:
        with _quiet(m):
            r = m.asarray(f(*xs) if f is not None else xs[0])  # ufuncs give scalars for 0-d chunks
            if r.dtype.kind == "c" and dt.kind != "c":
                r = r.real  # TF's complex -> real cast keeps the real part
            return r.astype(dt, copy=False)
    except errors.OpError as e:
        raise type(e)(None, None, f"{e.message} [{label}]") from None


def matmul(a, b, *extra, transpose_a=False, transpose_b=False, bias=False, epilogue=None):
    """``op_a(a) @ op_b(b)`` of one pair of blocks whose contraction axis is whole (``op_t`` a transpose when
    ``transpose_t``), then, in place on the product: ``+ extra[0]`` when ``bias``, and the ``epilogue``:
    ``"relu"`` (max with 0) or ``"relu_grad"`` (times ``extra[-1] > 0``, TF's ReluGrad). One pass over a product
    still in cache, instead of a task and a new array per step: TF's _FusedMatMul."""
    m = xp(a)
    out = m.matmul(a.T if transpose_a else a, b.T if transpose_b else b)
    with _quiet(m):  # overflow to inf is a value, as in the ops unfused
        if bias:
            out += extra[0]
        if epilogue == "relu":
            m.maximum(out, 0, out=out)
        elif epilogue == "relu_grad":
            out *= extra[-1] > 0
    return out


def sigmoid(x):
    m = xp(x)
    if x.dtype.kind == "c":
        return 1 / (1 + m.exp(-x))
    e = m.exp(-m.abs(x))  # never overflows: e in (0, 1]
    return m.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def softplus(x):
    m = xp(x)
    return (m.maximum(x, 0) + m.log1p(m.exp(-m.abs(x)))).astype(x.dtype, copy=False)


def rsqrt(x):
    m = xp(x)
    return m.reciprocal(m.sqrt(x))


def squared_difference(x, y):
    d = x - y
    return d * xp(d).conj(d) if d.dtype.kind == "c" else d * d


def add_n(*xs):
    out = xs[0] + xs[1]
    for x in xs[2:]:
        out += x
    return out


def _check_divisor(y):
    if y.dtype.kind in "iu" and bool((y == 0).any()):
        raise errors.InvalidArgumentError(None, None, "Integer division by zero")


def floordiv(x, y):
    _check_divisor(y)
    return xp(x).floor_divide(x, y)


def floormod(x, y):
    _check_divisor(y)
    return xp(x).remainder(x, y)


def _special(x):
    if xp(x).__name__ == "cupy":
        import cupyx.scipy.special as sp
    else:
        import scipy.special as sp
    return sp


def erf(x):
    return _special(x).erf(x).astype(x.dtype, copy=False)


def erfc(x):
    return _special(x).erfc(x).astype(x.dtype, copy=False)


def check_numerics(x, message, opname):
    m = xp(x)
    nan, inf = bool(m.isnan(x).any()), bool(m.isinf(x).any())
    if nan or inf:
        what = "Inf and NaN" if nan and inf else ("NaN" if nan else "Inf")
        raise errors.InvalidArgumentError(
            None, None, f"{message} : Tensor had {what} values [op '{opname}' (type CheckNumerics)]")
    return x


def check_assert(cond, *data, template, sizes, label):
    """``cond`` (a 0-d bool block) unchanged when it is true; otherwise TF's Assert error, whose message is made
    of ``template``: strings, and ints standing for ``data[i]`` (the first values of a tensor; ``sizes[i]`` is how
    many it has, None when unknown)."""
    if bool(cond):
        return cond
    parts = []
    for t in template:
        if isinstance(t, str):
            parts.append(t)
            continue
        shown = " ".join(str(v) for v in data[t].tolist())
        parts.append(shown + (" ..." if sizes[t] is None or sizes[t] > data[t].size else ""))
    raise errors.InvalidArgumentError(None, None, "assertion failed: " + " ".join(f"[{p}]" for p in parts)
                                      + f" [{label}]")


def check_labels(labels, depth, label):
    """``labels`` unchanged when every one lies in ``[0, depth)``; otherwise TF's run-time error."""
    m = xp(labels)
    bad = (labels < 0) | (labels >= depth)
    if bool(bad.any()):
        value = int(labels[m.argmax(bad)])
        shown = " ".join(str(int(v)) for v in labels.ravel()[:10]) + (" ..." if labels.size > 10 else "")
        raise errors.InvalidArgumentError(
            None, None, f"Received a label value of {value} which is outside the valid range of [0, {depth}).  "
            f"Label values: {shown} [{label}]")
    return labels


_NARROW = 64  # fewer classes than this: rows are reduced along a class-major copy


def _softmax_parts(x):
    """The class axis of ``x`` (rows by classes) and, along it, ``x`` minus its max, exp of that and its sums (each
    max is 0, so each sum is in [1, classes]). With few classes and many rows the work is done on a class-major copy
    (axis 0), where numpy reduces whole contiguous rows instead of looping over short ones, several times faster."""
    m = xp(x)
    ax = 0 if x.shape[1] < _NARROW < x.shape[0] else 1
    if ax == 0:
        x = m.ascontiguousarray(x.T)
    z = x - x.max(axis=ax, keepdims=True)
    e = m.exp(z)
    return ax, z, e, e.sum(axis=ax, keepdims=True)


def _rows_first(a, ax):
    """``a`` back in rows-by-classes layout (C order, as every other kernel's output)."""
    return xp(a).ascontiguousarray(a.T) if ax == 0 else a


def sparse_xent(x, labels, label):
    """TF's SparseSoftmaxCrossEntropyWithLogits on one block of rows, the class axis whole: the pair
    ``(logsumexp(x) - x[label], softmax(x) - one_hot(label))`` per row, without overflow."""
    m = xp(x)
    if x.shape[0] and not x.shape[1]:
        raise errors.InvalidArgumentError(
            None, None, f"Must have at least one class, but got logits shape [{x.shape[0]}, 0] [{label}]")
    labels = check_labels(labels.astype(m.int64, copy=False), x.shape[1], label)
    if x.size == 0:
        return m.zeros(x.shape[:1], x.dtype), m.zeros(x.shape, x.dtype)
    n, c = x.shape
    rows = m.arange(n)
    with _quiet(m):
        ax, z, e, s = _softmax_parts(x)
        hit = labels * n + rows if ax == 0 else rows * c + labels  # flat indices: cheaper than index pairs
        loss = m.log(s.ravel()) - z.ravel()[hit]
        e /= s
        e.reshape(-1)[hit] -= 1  # e is a new contiguous array: the reshape is a view
    return loss.astype(x.dtype, copy=False), _rows_first(e, ax)


def xent(x, labels):
    """TF's SoftmaxCrossEntropyWithLogits on one block of rows, the class axis whole: the pair
    ``(sum(labels * (logsumexp(x) - x)), softmax(x) * sum(labels) - labels)`` per row, without overflow."""
    m = xp(x)
    if x.size == 0:
        return m.zeros(x.shape[:1], x.dtype), m.zeros(x.shape, x.dtype)
    with _quiet(m):
        ax, z, e, s = _softmax_parts(x)
        if ax == 0:
            labels = m.ascontiguousarray(labels.T)
        loss = (labels * (m.log(s) - z)).sum(axis=ax)
        e *= labels.sum(axis=ax, keepdims=True) / s
        e -= labels
    return loss.astype(x.dtype, copy=False), _rows_first(e, ax)


# -- moments in one pass: per-block counts, means and sums of squared deviations, combined pairwise (Chan et al.)

def _flat_parts(parts):
    if isinstance(parts, list):
        for p in parts:
            yield from _flat_parts(p)
    else:
        yield parts


_SLAB_BYTES = 1 << 18  # rows of a block taken at a time by moments_chunk: in cache, and float32 sums of few rows


def moments_chunk(b, axis, keepdims=True):
    """``(n, mean, m2)`` of one block over ``axis`` (kept as size 1): the count (a 0-d array), the mean and the
    sum of squared deviations from it, accumulated in float64 for narrower floats. Deviations are taken from a
    shift near the mean (the block's mean in its own dtype) and corrected by their own mean (the shifted-data
    formula), so large offsets lose nothing."""
    m = xp(b)
    acc = m.float64 if b.dtype.itemsize < 8 else b.dtype
    n = math.prod(b.shape[a] for a in axis)
    kept = tuple(1 if i in axis else d for i, d in enumerate(b.shape))
    if n == 0:
        return m.asarray(0.0, acc), m.zeros(kept, acc), m.zeros(kept, acc)
    with _quiet(m):
        k = len(axis)
        if axis == tuple(range(k)) and k < b.ndim and b.dtype.itemsize >= 4 and b.flags.c_contiguous:
            s1, s2, shift = _leading_moments(m, b.reshape(n, b.size // n), acc)
            s1, s2, shift = s1.reshape(kept), s2.reshape(kept), shift.reshape(kept)
        else:
            shift = m.mean(b, axis=axis, keepdims=True, dtype=acc).astype(b.dtype)
            d = b - shift
            s1 = m.sum(d, axis=axis, keepdims=True, dtype=acc)
            d *= d
            s2 = m.sum(d, axis=axis, keepdims=True, dtype=acc)
        return m.asarray(float(n), acc), shift.astype(acc) + s1 / n, s2 - s1 * s1 / n


def _leading_moments(m, x, acc):
    """Sums of the deviations of the rows of 2-D ``x`` from a shift, and of their squares, and the shift: a slab
    of rows at a time into one buffer (no array the size of the block is made), summed by BLAS and einsum."""
    rows, cols = x.shape
    shift = (m.ones(rows, x.dtype) @ x) / x.dtype.type(rows)
    step = max(1, _SLAB_BYTES // max(1, cols * x.dtype.itemsize))
    buf, ones = m.empty((min(step, rows), cols), x.dtype), m.ones(min(step, rows), x.dtype)
    s1, s2 = m.zeros(cols, acc), m.zeros(cols, acc)
    for i in range(0, rows, step):
        part = x[i:i + step]
        d = m.subtract(part, shift, out=buf[:len(part)])
        s1 += ones[:len(part)] @ d
        s2 += m.einsum("ij,ij->j", d, d)
    return s1, s2, shift


def moments_combine(parts, axis=None, keepdims=True):
    """The ``(n, mean, m2)`` of the union of ``parts`` (nested lists of them, as dask's tree reduction gives)."""
    parts = list(_flat_parts(parts))
    n = sum(p[0] for p in parts)
    if n == 0:
        return parts[0]
    m = xp(parts[0][1])
    with _quiet(m):
        mean = sum(p[0] * p[1] for p in parts) / n
        m2 = sum(p[2] + p[0] * (p[1] - mean) ** 2 for p in parts if p[0])
    return n, mean, m2


def moments_aggregate(parts, axis=None, keepdims=True, dtype=None):
    """``(mean, variance)`` of dtype ``dtype`` from ``parts``; nan for an empty reduction, as TF's mean."""
    n, mean, m2 = moments_combine(parts)
    m = xp(mean)
    if n == 0:
        nan = m.full(mean.shape, m.nan, dtype)
        return nan, nan.copy()
    return mean.astype(dtype), (m2 / n).astype(dtype)
