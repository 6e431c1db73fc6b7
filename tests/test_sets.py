"""tf.sets: results against TF1's (values observed from TF 2.21's compat.v1 for the literal cases) and against a
python-set reference on random data; fed operands with unknown batch size; TF's build-time and run-time errors."""
import numpy as np
import pytest

import daskflow as df
from daskflow import errors, sets
from daskflow.testing import SweepCase

TESTED_OPS = {"SetOperation", "SetOperationCount", "SetSize"}

A = np.array([[[1, 2, 2, 9], [0, 5, 3, 3]], [[7, 7, 7, 7], [4, 1, 2, 4]]], np.int64)
B = np.array([[[2, 9, 4, 4], [3, 3, 3, 6]], [[8, 7, 1, 0], [1, 1, 1, 1]]], np.int64)
SPA = ([[0, 0], [0, 3], [1, 1]], np.array([4, 1, 2], np.int64), [2, 5])
SPB = ([[0, 1], [1, 0], [1, 2]], np.array([1, 9, 2], np.int64), [2, 3])
D = np.array([[3, 1, 1], [5, 5, 2]], np.int64)


def _sp(t):
    return df.SparseTensor(*t)


def _sweep_sets(a, b):
    """The set ops on fed dense tensors: each result's parts, and the sizes."""
    outs = [sets.set_size(df.sparse.from_dense(a))]
    for fn in (sets.set_intersection, sets.set_union, sets.set_difference):
        sp = fn(a, b)
        outs += [sp.indices, sp.values, sp.dense_shape]
    return outs


SWEEP_CASES = [SweepCase(_sweep_sets, A, B, name="sets")]


def _run(sp, feed=None):
    with df.Session() as s:
        v = s.run(sp, feed)
    return v.indices.tolist(), v.values.tolist(), v.dense_shape.tolist()


# (build, indices, values, dense_shape) as TF1 gives them
TF_CASES = [
    (lambda: sets.intersection(A, B), [[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0]], [2, 9, 3, 7, 1],
     [2, 2, 2]),
    (lambda: sets.difference(A, B), [[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 1, 0], [1, 1, 1]], [1, 0, 5, 2, 4],
     [2, 2, 2]),
    (lambda: sets.set_difference(A, B, aminusb=False), [[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 0, 2]],
     [4, 6, 0, 1, 8], [2, 2, 3]),
    (lambda: sets.union([[b"b", b"a"], [b"c", b"c"]], [[b"a", b"d"], [b"e", b"a"]]),
     [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]], [b"a", b"b", b"d", b"a", b"c", b"e"], [2, 3]),
    (lambda: sets.intersection([[1, 2]], [[3, 4]]), [], [], [1, 0]),
    (lambda: sets.intersection(_sp(SPA), _sp(SPB)), [[0, 0], [1, 0]], [1, 2], [2, 1]),
    (lambda: sets.set_union(_sp(SPA), _sp(SPB)), [[0, 0], [0, 1], [1, 0], [1, 1]], [1, 4, 2, 9], [2, 2]),
    (lambda: sets.difference(D, _sp(SPA)), [[0, 0], [1, 0]], [3, 5], [2, 1]),
    (lambda: sets.difference(_sp(SPA), D), [[0, 0]], [4], [2, 1]),
    (lambda: sets.union(D, _sp(SPB)), [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]], [1, 3, 2, 5, 9], [2, 3]),
]


@pytest.mark.parametrize("build, indices, values, shape", TF_CASES)
def test_against_tf(build, indices, values, shape):
    with df.Graph().as_default():
        sp = build()
        assert sp.indices.shape.as_list() == [None, len(shape)]
        assert _run(sp) == (indices, values, shape)


def _reference(a, b, fn):
    """Row-wise python sets, laid out as TF's result."""
    rows = [sorted(fn(set(x), set(y))) for x, y in zip(a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1]))]
    width = max((len(r) for r in rows), default=0)
    idx = [list(np.unravel_index(i, a.shape[:-1])) + [j] for i, r in enumerate(rows) for j in range(len(r))]
    return [[int(v) for v in t] for t in idx], [v for r in rows for v in r], list(a.shape[:-1]) + [width]


@pytest.mark.parametrize("name, fn", [("intersection", set.__and__), ("union", set.__or__),
                                      ("difference", set.__sub__)])
def test_random_against_python_sets_fed_batch(name, fn):
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 6, (5, 3, 4)).astype(np.int32), rng.integers(0, 6, (5, 3, 6)).astype(np.int32)
    with df.Graph().as_default():
        pa, pb = df.placeholder(df.int32, [None, 3, 4]), df.placeholder(df.int32, [None, 3, None])
        sp = getattr(sets, name)(pa, pb)
        got = _run(sp, {pa: a, pb: b})
    idx, vals, shape = _reference(a, b, fn)
    assert got == (idx, [int(v) for v in vals], shape)


def test_size_against_tf():
    with df.Graph().as_default():
        sp = df.SparseTensor([[0, 0, 0], [0, 0, 2], [0, 1, 1], [1, 1, 0], [1, 1, 3], [2, 0, 1]],
                             np.array([5, 3, 5, 1, 2, 1], np.int64), [3, 2, 4])
        n = sets.size(sp)
        assert n.dtype == df.int32 and n.shape.as_list() == [3, 2]
        with df.Session() as s:
            np.testing.assert_array_equal(s.run(n), [[2, 1], [0, 2], [1, 0]])
            bad = df.SparseTensor([[1, 0], [0, 0]], [1, 2], [2, 2])
            np.testing.assert_array_equal(s.run(sets.set_size(bad, validate_indices=False)), [1, 1])
            with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1\] = \[0,0\] is out of order"):
                s.run(sets.set_size(bad))


def test_errors():
    with df.Graph().as_default():
        with pytest.raises(TypeError, match="Expected `SparseTensor`"):
            sets.size([[1, 2]])
        with pytest.raises(TypeError, match="'a' has invalid dtype `float32`"):
            sets.union([[1.0]], [[2.0]])
        with pytest.raises(TypeError, match="Types don't match, int32 vs int64."):
            sets.union(np.array([[1]], np.int32), np.array([[1]], np.int64))
        with pytest.raises(ValueError, match="Shape must be at least rank 2 but is rank 1"):
            sets.union([1, 2], [3])
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but are 1 and 2"):
            sets.intersection([[1, 2]], [[1], [2]])
        p = df.placeholder(df.int32, [None, None])
        sp = sets.intersection(p, [[1, 2]])
        with df.Session() as s, pytest.raises(errors.InvalidArgumentError, match=r"Mismatched shapes \[2\] vs \[1\]"):
            s.run(sp, {p: [[1], [2]]})
