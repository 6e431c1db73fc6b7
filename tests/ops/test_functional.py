"""map_fn, scan, foldl and foldr: values against numpy loops over the rows, structures of elements and results,
rows known only at run time, and gradients against finite differences. Run on the local Session and on a
LocalCluster."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, check_grads

pytestmark = pytest.mark.every_executor

TESTED_OPS = set()


def _mapped(x, w):
    return df.map_fn(lambda r: df.tanh(r * w) * df.reduce_sum(r), x)


def _scanned(x, w):
    return df.scan(lambda a, r: df.sin(a * w) + r, x, initializer=df.zeros_like(w), reverse=True)


def _folded(x, w):
    return df.foldl(lambda a, r: a * w + r * r, x) + df.foldr(lambda a, r: df.cos(a) * r, x, initializer=w)


GRAD_CASES = [GradCase(["While", "WhileGrad"], f, [(4, 3), (3,)], domain=(-1.0, 1.0))
              for f in (_mapped, _scanned, _folded)]


def test_map_fn_over_rows_and_structures():
    x = df.placeholder(df.float64, [None, 3])
    v = np.arange(12.0).reshape(4, 3)
    sq = df.map_fn(lambda r: df.reduce_sum(r * r), x)
    pair = df.map_fn(lambda r: (r * 2.0, df.cast(df.argmax(r), df.int32)), x, dtype=(df.float64, df.int32))
    both = df.map_fn(lambda e: e["a"] + e["b"][0], {"a": x, "b": (x * 10.0,)}, dtype=df.float64)
    with df.Session() as s:
        got = s.run([sq, pair, both], {x: v})
        np.testing.assert_array_equal(got[0], (v * v).sum(axis=1))
        np.testing.assert_array_equal(got[1][0], v * 2) and np.testing.assert_array_equal(got[1][1], [2] * 4)
        np.testing.assert_array_equal(got[2], v * 11)
        np.testing.assert_array_equal(s.run(sq, {x: v[:1]}), [5.0])
    assert sq.shape.as_list() == [None] and pair[1].dtype == np.int32


def test_scan_and_folds_match_python_loops():
    v = np.random.default_rng(0).standard_normal((5, 2))
    x = df.constant(v)
    runs = {"scan": df.scan(lambda a, r: a * 0.5 + r, x),
            "scan_init_rev": df.scan(lambda a, r: a - r, x, initializer=df.ones([2], df.float64), reverse=True),
            "scan_pairs": df.scan(lambda a, r: (a[0] + r, a[1] * r), x, initializer=(x[0] * 0.0, x[0] * 0.0 + 1.0)),
            "foldl": df.foldl(lambda a, r: a * 2.0 + r, x),
            "foldr": df.foldr(lambda a, r: a * 2.0 + r, x, initializer=df.zeros([2], df.float64))}
    want = {}
    a, out = v[0], [v[0]]
    for r in v[1:]:
        a = a * 0.5 + r
        out.append(a)
    want["scan"] = np.array(out)
    a, out = np.ones(2), []
    for r in v[::-1]:
        a = a - r
        out.append(a)
    want["scan_init_rev"] = np.array(out[::-1])
    s_, p_ = np.cumsum(v, axis=0), np.cumprod(v, axis=0)
    want["scan_pairs"] = (s_, p_)
    a = v[0]
    for r in v[1:]:
        a = a * 2 + r
    want["foldl"] = a
    a = np.zeros(2)
    for r in v[::-1]:
        a = a * 2 + r
    want["foldr"] = a
    with df.Session() as s:
        got = s.run(runs)
    for k in runs:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, err_msg=k)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    for f in (_mapped, _scanned, _folded):
        check_grads(f, [rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, 3)])


def test_bad_elems_and_results_are_named():
    with pytest.raises(ValueError, match="scalar"):
        df.map_fn(lambda r: r, df.constant(1.0))
    with pytest.raises(ValueError, match="returned 2 tensors"):
        df.map_fn(lambda r: (r, r), df.constant([1.0, 2.0]))
