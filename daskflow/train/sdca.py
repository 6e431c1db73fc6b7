"""TF1's ``tf.train`` ops for stochastic dual coordinate ascent (SDCA) on linear models: ``sdca_optimizer`` (one
pass of dual updates over a mini-batch, giving the weights' changes), ``sdca_shrink_l1`` (the L1 proximal step on the
weights) and ``sdca_fprint`` (compact example ids).

The losses' dual updates follow TF's (``logistic``, ``squared``, ``hinge``, ``smooth_hinge``, ``poisson``), in
double precision with float32 weights and state, as TF's kernel. TF's kernel visits the examples in an order drawn
at random each run; this one visits them in order (see ``sdca_optimizer``).
"""
import math
import sys

import dask.array as da
import numpy as np

from .. import dtypes, errors
from ..graph import name_scope
from ..ops.hashing import sdca_fprint
from ..ops.math import abs as abs_, maximum, sign
from ..ops.registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, fail, register, tuple_outputs
from ..ops.state import Variable, assign, group

__all__ = ["sdca_fprint", "sdca_optimizer", "sdca_shrink_l1"]


def _shrinkage(l1, l2):
    """TF's shrinkage, l1 / l2: float attributes divided in double, applied as a float."""
    l1, l2 = np.float64(np.float32(l1)), np.float64(np.float32(l2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.float32(l1 / l2)


def sdca_shrink_l1(weights, l1, l2, name=None):
    """Apply the L1 proximal step of SDCA to each float32 variable of ``weights``, in place: each weight ``w``
    becomes ``sign(w) * max(|w| - l1 / l2, 0)`` when the run succeeds (TF's ``train.sdca_shrink_l1``).

    Parameters
    ----------
    weights : list of float32 Variables
    l1, l2 : float
        The symmetric L1 and L2 regularization strengths.
    name : str, optional

    Returns
    -------
    Operation
        Running it updates every variable.

    Examples
    --------
    >>> import daskflow as df
    >>> from daskflow.train.sdca import sdca_shrink_l1
    >>> w = df.Variable([0.3, -2.0, 1.0])
    >>> with df.Session() as s:
    ...     s.run(w.initializer)
    ...     s.run(sdca_shrink_l1([w], l1=1.0, l2=2.0))
    ...     s.run(w)
    array([ 0. , -1.5,  0.5], dtype=float32)
    """
    if isinstance(weights, Variable) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"Expected list for 'weights' argument to 'sdca_shrink_l1' Op, not {weights!r}.")
    for w in weights:
        if not isinstance(w, Variable):
            raise TypeError("'SdcaShrinkL1' Op requires that input 'weights' be a mutable tensor (e.g.: a "
                            "tf.Variable)")
        if w.dtype != dtypes.float32:
            raise TypeError(f"Input 'weights' of 'SdcaShrinkL1' Op has type {dtypes.name(w.dtype)} that does not "
                            f"match expected type of float32.")
    shrink = _shrinkage(l1, l2)
    with name_scope(name, "SdcaShrinkL1") as scope:
        updates = [assign(w, sign(w) * maximum(abs_(w) - shrink, np.float32(0))) for w in weights]
        return group(*updates, name=scope)  # a name ending in "/" is the scope itself, as in TF


# -- sdca_optimizer: the losses (their dual updates, as TF's loss updaters)

def _binary_label(y):
    if y == 0.0:
        return -1.0
    if y == 1.0:
        return 1.0
    raise _Bad(f"Only labels of 0.0 or 1.0 are supported right now. Found example with label: {_g(y)}")


def _poisson_label(y):
    if y < 0.0:
        raise _Bad(f"Only non-negative labels can be used with the Poisson log loss. Found example with label: {_g(y)}")
    return y


def _g(v):
    return f"{float(v):g}"


class _Bad(Exception):
    pass


class _Logistic:
    label = staticmethod(_binary_label)

    @staticmethod
    def dual(parts, y, w, a, wx, norm):
        # Newton's method on a change of variable (a = (1 + tanh x) / 2y), 10 steps from 0, as TF
        c = parts * norm * w
        x = 0.0
        for _ in range(10):
            t = math.tanh(x)
            num = -2 * y * x - wx - c * (0.5 * (1 + t) / y - a)
            den = -2 * y - c * (1 - t * t) * 0.5 / y
            x -= num / den
        return 0.5 * (1 + math.tanh(x)) / y

    @staticmethod
    def primal(wx, y, w):
        ywx = y * wx
        return (math.log1p(math.exp(-ywx)) if ywx > 0 else math.log1p(math.exp(ywx)) - ywx) * w

    @staticmethod
    def dual_loss(a, y, w):
        ay = a * y
        return (ay * (math.log(ay) if ay > 0 else 0) + (1 - ay) * (math.log(1 - ay) if 1 - ay > 0 else 0)) * w


class _Squared:
    label = staticmethod(float)

    @staticmethod
    def dual(parts, y, w, a, wx, norm):
        return a + (y - a - wx) / (1 + parts * norm * w)

    @staticmethod
    def primal(wx, y, w):
        return (wx - y) * (wx - y) * w * 0.5

    @staticmethod
    def dual_loss(a, y, w):
        return a * (0.5 * a - y) * w


def _clip_dual(y, candidate):
    if y * candidate < 0:
        return 0.0
    return y if y * candidate > 1.0 else candidate


class _Hinge:
    label = staticmethod(_binary_label)

    @staticmethod
    def dual(parts, y, w, a, wx, norm):
        return _clip_dual(y, a + (y - wx) / (parts * w * norm))

    @staticmethod
    def primal(wx, y, w):
        return max(0.0, 1 - y * wx) * w

    @staticmethod
    def dual_loss(a, y, w):
        ya = a * y
        return sys.float_info.max if ya < 0 or ya > 1.0 else -ya * w


class _SmoothHinge:
    label = staticmethod(_binary_label)
    gamma = 1.0

    @staticmethod
    def dual(parts, y, w, a, wx, norm):
        g = _SmoothHinge.gamma
        return _clip_dual(y, a + (y - wx - g * a) / (parts * w * norm + g))

    @staticmethod
    def primal(wx, y, w):
        g, ywx = _SmoothHinge.gamma, y * wx
        if ywx >= 1:
            return 0.0
        return (1 - ywx - g / 2) * w if ywx <= 1 - g else (1 - ywx) * (1 - ywx) * w * 0.5 / g

    @staticmethod
    def dual_loss(a, y, w):
        ya = a * y
        return sys.float_info.max if ya < 0 or ya > 1.0 else (-ya + 0.5 * _SmoothHinge.gamma * a * a) * w


class _Poisson:
    label = staticmethod(_poisson_label)

    @staticmethod
    def dual(parts, y, w, a, wx, norm):
        # Newton's method on x = log(y - a), 10 steps from log(y - a) (0 when y <= a), as TF
        c = parts * norm * w
        x = math.log(y - a) if y - a > 0 else 0.0
        for _ in range(10):
            e = math.exp(x)
            x -= (x - wx - c * (y - a - e)) / (1 + c * e)
        return y - math.exp(x)

    @staticmethod
    def primal(wx, y, w):
        return (math.exp(wx) - wx * y) * w

    @staticmethod
    def dual_loss(a, y, w):
        d = y - a
        if d == 0.0:
            return 0.0
        return sys.float_info.max if d < 0.0 else d * (math.log(d) - 1) * w


LOSSES = {"logistic_loss": _Logistic, "squared_loss": _Squared, "hinge_loss": _Hinge,
          "smooth_hinge_loss": _SmoothHinge, "poisson_loss": _Poisson}


# -- sdca_optimizer: the kernel

def _shrink(w, shrinkage):
    s = max(abs(w) - shrinkage, 0.0)
    return math.copysign(s, w) if s > 0.0 else 0.0


def _shrink32(w, shrinkage):
    return np.sign(w) * np.maximum(np.abs(w) - shrinkage, np.float32(0))


def _sparse_groups(ex_ids, feat_ids, feat_vals, ids, n):
    """Per example, the (weight position, feature value) pairs of one sparse group: the run of entries whose
    example id is the example's, read in order as TF reads them."""
    if ex_ids.size != feat_ids.size:
        raise _Bad(f"Found mismatched example_indices and feature_indices [{' '.join(map(str, ex_ids))}] vs "
                   f"[{' '.join(map(str, feat_ids))}]")
    position = {int(f): p for p, f in enumerate(ids)}  # a repeated weight id: its last position, as TF's map
    out, end = [], 0
    for i in range(n):
        start = end
        while end < ex_ids.size and ex_ids[end] == i:
            end += 1
        pairs = []
        for k in range(start, end):
            if int(feat_ids[k]) not in position:
                raise _Bad(f"Found sparse feature indices out of valid range: {int(feat_ids[k])}")
            pairs.append((position[int(feat_ids[k])], 1.0 if feat_vals is None else float(feat_vals[k])))
        if len({p for p, _ in pairs}) != len(pairs):
            raise _Bad("Duplicate index in sparse vector.")
        out.append(pairs)
    return out


def _sdca_kernel(*arrays, counts, attrs, where_):
    ns, nv, nd = counts
    arrays = [np.asarray(a.get() if hasattr(a, "get") else a) for a in arrays]
    take = iter(arrays)
    ex_ids, feat_ids, feat_vals, dense = ([next(take) for _ in range(k)] for k in (ns, ns, nv, nd))
    weights, labels = next(take).ravel(), next(take).ravel()
    ids, sparse_w, dense_w = ([next(take) for _ in range(k)] for k in (ns, ns, nd))
    state = next(take).astype(np.float32, copy=True)
    try:
        return _sdca_pass(ex_ids, feat_ids, feat_vals, dense, weights, labels, ids, sparse_w, dense_w, state, attrs)
    except _Bad as e:
        raise errors.InvalidArgumentError(None, None, f"{e} {where_}") from None


def _sdca_pass(ex_ids, feat_ids, feat_vals, dense, weights, labels, ids, sparse_w, dense_w, state, attrs):
    n, loss, parts = weights.size, LOSSES[attrs["loss_type"]], attrs["num_loss_partitions"]
    if labels.size != n:
        raise _Bad(f"Expected {n} example labels but got {labels.size}")
    if state.shape != (n, 4):
        raise _Bad(f"Expected shape [{n},4] for example_state_data, got [{','.join(map(str, state.shape))}]")
    l2 = float(np.float32(attrs["l2"]))
    shrinkage = float(np.float32(attrs["l1"])) / l2
    shrink32 = np.float32(shrinkage)
    groups = [_sparse_groups(ex_ids[j].ravel(), feat_ids[j].ravel(), feat_vals[j].ravel() if j < len(feat_vals)
                             else None, ids[j].ravel(), n) for j in range(len(ex_ids))]
    for j, d in enumerate(dense):
        if d.ndim != 2:
            raise _Bad(f"Dense features at index {j} must be rank 2 but is rank {d.ndim}")
        if not 0 <= d.shape[1] - 1 < dense_w[j].size:
            raise _Bad(f"More dense features than we have parameters for: {d.shape[1]}")
        if d.shape[1] != dense_w[j].size:
            raise _Bad(f"Dense features at index {j} have {d.shape[1]} columns for {dense_w[j].size} weights")
    nominal_s = [w.ravel().astype(np.float32) for w in sparse_w]
    nominal_d = [w.ravel().astype(np.float32) for w in dense_w]
    delta_s = [np.zeros_like(w) for w in nominal_s]
    delta_d = [np.zeros_like(w) for w in nominal_d]
    for i in range(n):  # TF visits the examples in a random order; here in order
        w, y, a = float(weights[i]), loss.label(float(labels[i])), float(state[i, 0])
        norm = sum(v * v for g in groups for _, v in g[i])
        norm += sum(float(np.sum(np.square(d[i].astype(np.float32)), dtype=np.float32)) for d in dense)
        prev_wx = wx = 0.0
        for g, nom, dl in zip(groups, nominal_s, delta_s):
            for p, v in g[i]:
                prev_wx += v * _shrink(float(nom[p]), shrinkage)
                wx += v * _shrink(float(nom[p]) + float(dl[p]) * parts, shrinkage)
        for d, nom, dl in zip(dense, nominal_d, delta_d):
            row = d[i].astype(np.float32)
            prev_wx += float(np.sum(row * _shrink32(nom, shrink32), dtype=np.float32))
            wx += float(np.sum(row * _shrink32(nom + dl * np.float32(parts), shrink32), dtype=np.float32))
        new = loss.dual(parts, y, w, a, wx, norm / l2)
        step = (new - a) * w / l2
        for g, dl in zip(groups, delta_s):
            for p, v in g[i]:
                dl[p] = np.float32(float(dl[p]) + v * step)
        for d, dl in zip(dense, delta_d):
            dl += d[i].astype(np.float32) * np.float32(step)
        state[i] = [new, loss.primal(prev_wx, y, w), loss.dual_loss(a, y, w), w]
    return (state, *[dl.reshape(s.shape) for dl, s in zip(delta_s, sparse_w)],
            *[dl.reshape(s.shape) for dl, s in zip(delta_d, dense_w)])


# -- sdca_optimizer: the op

def _total(chunks):
    return tuple((float(sum(c)),) if any(math.isnan(x) for x in c) else (int(sum(c)),) for c in chunks)


@register("SdcaOptimizer")
class SdcaOptimizer:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        ns, nv, nd = op.attrs["counts"]
        xs = op.inputs
        ints = set(range(2 * ns)) | set(range(2 * ns + nv + nd + 2, 3 * ns + nv + nd + 2))
        for i, t in enumerate(xs):
            want = dtypes.int64 if i in ints else dtypes.float32
            if t.dtype != want:
                fail(op, f"Input '{t.name}' of SdcaOptimizer has type {dtypes.name(t.dtype)} that does not match "
                         f"expected type of {dtypes.name(want)}", TypeError)
        state = xs[-1]
        if state.shape.ndims not in (None, 2) or (state.shape.ndims == 2 and state.shape[1] not in (None, 4)):
            fail(op, f"example_state_data must be of shape [N, 4], got {state.shape}", ValueError)
        weights = xs[3 * ns + nv + nd + 2:]
        return [(state.shape, dtypes.float32)] + [(w.shape, dtypes.float32) for w in weights[:-1]]

    def lower(op, *xs):
        args = [a for j, x in enumerate(xs) for a in (x, tuple(f"x{j}_{d}" for d in range(x.ndim)))]
        packed = da.blockwise(_sdca_kernel, (), *args, concatenate=True, counts=op.attrs["counts"],
                              attrs=dict(op.attrs), where_=f"[op '{op.name}' (type {op.type})]", dtype=object,
                              meta=np.empty((), dtype=object))
        ns, nv, nd = op.attrs["counts"]
        outs = [xs[-1]] + list(xs[3 * ns + nv + nd + 2:-1])
        return tuple_outputs(packed, [_total(x.chunks) for x in outs],
                             [np.empty((0,) * x.ndim, np.float32) for x in outs], "sdca")


def sdca_optimizer(sparse_example_indices, sparse_feature_indices, sparse_feature_values, dense_features,
                   example_weights, example_labels, sparse_indices, sparse_weights, dense_weights,
                   example_state_data, loss_type, l1, l2, num_loss_partitions, num_inner_iterations,
                   adaptative=True, name=None):
    """One pass of stochastic dual coordinate ascent (SDCA) over a mini-batch of examples for a linear model with
    L1 and L2 regularization (TF's ``train.sdca_optimizer``; Shalev-Shwartz & Zhang, with the CoCoA+ weighting of
    ``num_loss_partitions``). Each example's dual variable is moved to its optimum given the others (in closed form,
    or by Newton's method for the logistic and Poisson losses) and the weights follow.

    Parameters
    ----------
    sparse_example_indices, sparse_feature_indices : lists of int64 vectors
        Per sparse feature group, each entry's example (in non-decreasing order) and feature id.
    sparse_feature_values : list of float32 vectors
        The entries' values for the first groups (the other groups' entries are 1).
    dense_features : list of float32 ``[N, F]`` matrices
    example_weights, example_labels : float32 ``[N]``
        Labels 0 or 1 for the classification losses, >= 0 for the Poisson loss.
    sparse_indices, sparse_weights : lists of int64 and float32 vectors
        Per sparse group, the feature ids that have weights, and those weights.
    dense_weights : list of float32 ``[F]`` vectors
    example_state_data : float32 ``[N, 4]``
        Per example: dual variable, primal loss, dual loss, example weight (zeros to start).
    loss_type : str
        "logistic_loss", "squared_loss", "hinge_loss", "smooth_hinge_loss" or "poisson_loss".
    l1, l2 : float
        Regularization strengths (symmetric); weights are read through the L1 shrinkage ``l1 / l2``.
    num_loss_partitions : int >= 1
        How many workers share the examples (the CoCoA+ factor).
    num_inner_iterations : int >= 1
        Accepted as TF accepts it; TF's kernel makes one pass whatever its value, and so does this op.
    adaptative : bool
        Accepted as TF accepts it (see the note).
    name : str, optional

    Returns
    -------
    (out_example_state_data, out_delta_sparse_weights, out_delta_dense_weights)
        The new state ``[N, 4]`` and the changes to add to each sparse and dense weight.

    Note
    ----
    TF's kernel visits the examples in an order drawn at random each run (a shuffle, or with ``adaptative``
    importance sampling that may visit an example twice and skip another), so its results are not reproducible;
    this op visits every example once, in order. The results equal TF's whenever the order cannot matter: one
    example, or examples that share no weight (and, with ``adaptative``, one example).
    """
    if loss_type not in LOSSES:
        raise ValueError(f"Attr 'loss_type' of 'SdcaOptimizer' Op passed string '{loss_type}' not in: "
                         + ", ".join(f'"{k}"' for k in LOSSES) + ".")
    for attr, v in (("num_loss_partitions", num_loss_partitions), ("num_inner_iterations", num_inner_iterations)):
        if int(v) < 1:
            raise ValueError(f"Attr '{attr}' of 'SdcaOptimizer' Op passed {int(v)} less than minimum 1.")
    lists = [list(x) for x in (sparse_example_indices, sparse_feature_indices, sparse_feature_values,
                               dense_features, sparse_indices, sparse_weights, dense_weights)]
    ex, fi, fv, df_, si, sw, dw = lists
    ns, nv, nd = len(ex), len(fv), len(df_)
    if len(fi) != ns or len(si) != ns or len(sw) != ns or len(dw) != nd or nv > ns:
        raise ValueError(f"SdcaOptimizer needs as many sparse_feature_indices, sparse_indices and sparse_weights as "
                         f"sparse_example_indices ({ns}), at most as many sparse_feature_values, and as many "
                         f"dense_weights as dense_features ({nd})")
    if ns + nd == 0:
        raise errors.InvalidArgumentError(None, None, "Requires at least one feature to train.")
    i64 = [convert_to_tensor(x, dtype=dtypes.int64) for x in ex + fi]
    f32 = [convert_to_tensor(x, dtype=dtypes.float32) for x in fv + df_ + [example_weights, example_labels]]
    rest = [convert_to_tensor(x, dtype=dtypes.int64) for x in si]
    rest += [convert_to_tensor(x, dtype=dtypes.float32) for x in sw + dw + [example_state_data]]
    attrs = {"counts": (ns, nv, nd), "loss_type": loss_type, "l1": float(l1), "l2": float(l2),
             "num_loss_partitions": int(num_loss_partitions), "num_inner_iterations": int(num_inner_iterations),
             "adaptative": bool(adaptative)}
    outs = apply("SdcaOptimizer", i64 + f32 + rest, attrs, name=name or "SdcaOptimizer")
    return outs[0], list(outs[1:1 + ns]), list(outs[1 + ns:])
