"""``sparse.cross`` and ``sparse.cross_hashed`` against TensorFlow 1.x's results for the same inputs
(``tests/fixtures/tf1/hashing``, written by ``make_hash_fixtures.py``): string and int columns, sparse and dense,
rows without features, custom separators, bucket counts and hash keys; then chunked feeds and TF's errors."""
import importlib.util
import json
import pathlib

import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.sparse.cross import cross, cross_hashed, sparse_cross, sparse_cross_hashed
from daskflow.testing import SweepCase

FARMHASH = importlib.util.find_spec("farmhash") is not None  # the optional cityhash package
needs_farmhash = pytest.mark.skipif(not FARMHASH, reason="needs the optional cityhash package (daskflow[hashing])")

TESTED_OPS = {"SparseCross", "SparseCrossV2", "SparseCrossSize"}

FIX = json.loads((pathlib.Path(__file__).resolve().parents[1] / "fixtures/tf1/hashing/hash_fixtures.json").read_text())
CASES = [pytest.param(c, marks=needs_farmhash) if c["kind"] == "hashed" else c for c in FIX["cross"]]


def _sweep_crosses(a, b):
    """The four cross functions on fed dense columns: each result's parts."""
    out = []
    for sp in (cross([a, b]), cross_hashed([a, b], 10), sparse_cross([b, a]), sparse_cross_hashed([b, a], 10)):
        out += [sp.indices, sp.values, sp.dense_shape]
    return out


SWEEP_CASES = [SweepCase(_sweep_crosses, np.array([[b"a", b"b"], [b"c", b"d"], [b"e", b"f"]], dtype=object),
                         np.array([[1], [2], [3]], dtype=np.int64), name="crosses")]


def build(spec):
    def values(v, dtype):
        if dtype != "string":
            return np.asarray(v, dtype=dtype)
        return np.array([bytes.fromhex(x) if isinstance(x, str) else [bytes.fromhex(y) for y in x] for x in v],
                        dtype=object)
    if "sparse" in spec:
        idx, vals, shape = spec["sparse"]
        return df.sparse.SparseTensor(np.asarray(idx, np.int64).reshape(-1, 2),
                                      df.constant(values(vals, spec["dtype"]), dtype=getattr(df, spec["dtype"])), shape)
    return df.constant(values(spec["dense"], spec["dtype"]), dtype=getattr(df, spec["dtype"]))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}-{len(c['inputs'])}-{c['args']}")
def test_cross_equals_tf(case):
    with df.Graph().as_default(), df.Session() as s:
        fn = cross if case["kind"] == "cross" else cross_hashed
        got = s.run(fn([build(x) for x in case["inputs"]], **case["args"]))
    values = [bytes.fromhex(v) for v in case["values"]] if case["kind"] == "cross" else case["values"]
    assert got.indices.dtype == np.int64 and got.indices.reshape(-1, 2).tolist() == case["indices"]
    assert got.values.tolist() == values
    assert got.dense_shape.tolist() == case["dense_shape"]


@needs_farmhash
def test_fed_chunked_inputs_and_static_shapes():
    """A sparse placeholder and a dense column fed as a dask array of several chunks; the result's static shapes."""
    fix = FIX["cross"][0]  # TF's documented example
    with df.Graph().as_default():
        sp = df.sparse.placeholder(df.string, [None, None])
        d = df.placeholder(df.string, [None, 1])
        out = sparse_cross([sp, df.sparse.SparseTensor([[0, 0], [1, 0]], ["d", "e"], [2, 1]), d])
        hashed = sparse_cross_hashed([sp, df.sparse.SparseTensor([[0, 0], [1, 0]], ["d", "e"], [2, 1]), d])
        assert out.indices.shape.as_list() == [None, 2] and out.values.dtype == df.string
        assert hashed.values.dtype == df.int64 and out.dense_shape.shape.as_list() == [2]
        feed = {sp: ([[0, 0], [1, 0], [1, 1]], np.array([b"a", b"b", b"c"], object), [2, 2]),
                d: da.from_array(np.array([[b"f"], [b"g"]], object), chunks=1)}
        with df.Session() as s:
            got, got_h = s.run([out, hashed], feed)
    assert got.values.tolist() == [bytes.fromhex(v) for v in fix["values"]]
    assert got_h.values.tolist() == FIX["cross"][4]["values"]  # the same inputs hashed, in TF


def test_empty_inputs_and_rows():
    with df.Graph().as_default(), df.Session() as s:
        none = s.run(sparse_cross([]))
        sp = df.sparse.SparseTensor(np.zeros((0, 2), np.int64), df.constant([], df.string), [3, 2])
        empty = s.run(sparse_cross([sp, df.constant([["x"], ["y"], ["z"]])]))
    assert none.indices.shape == (0, 2) and none.dense_shape.tolist() == [0, 0]
    assert empty.values.tolist() == [] and empty.dense_shape.tolist() == [3, 0]


def test_errors():
    with df.Graph().as_default():
        a = df.constant([["a"]])
        with pytest.raises(TypeError, match="Inputs must be a list"):
            sparse_cross(a)
        with pytest.raises(TypeError, match="All inputs must be Tensor or SparseTensor."):
            sparse_cross([[["a"]]])
        with pytest.raises(ValueError, match="Attr 'num_buckets' of 'SparseCross' Op passed -1 less than minimum 0."):
            sparse_cross_hashed([a], num_buckets=-1)
        with pytest.raises(errors.InvalidArgumentError, match="Expected batch size 1 got 2 at dense tensor 1"):
            sparse_cross([a, df.constant([["a"], ["b"]])])
        with pytest.raises(errors.InvalidArgumentError, match=r"Dense inputs should be a matrix but received shape "
                                                              r"\[1\] at position 0"):
            sparse_cross([df.constant(["a"])])
        sp = df.sparse.SparseTensor([[0, 0], [2, 0]], ["p", "q"], [3, 1])
        with df.Session() as s, pytest.raises(errors.InvalidArgumentError, match=r"Expected batch size 3 got 1 at "
                                                                                  r"position 1 \[op 'SparseCrossV2"):
            s.run(sparse_cross([sp, df.sparse.SparseTensor([[0, 0]], ["r"], [1, 1])]).values)


@needs_farmhash
def test_cross_outputs_feed_ops_that_need_their_sizes():
    """The number of crosses is computed before the cross is planned, so its outputs have known sizes: reshapes,
    stacks and sparse-to-dense of them run (TF's documented example's crosses)."""
    sp = df.sparse.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2])
    dense = df.constant([["f"], ["g"]])
    crossed = cross([sp, dense])
    hashed = cross_hashed([sp, df.constant([[1, 2], [3, 4]])], 10)
    with df.Session() as s:
        col, pair, dense_ids = s.run([df.reshape(crossed.values, [-1, 1]), df.stack([hashed.values] * 2),
                                      df.sparse.to_dense(hashed, default_value=-1)])
        want = s.run(hashed.values)
    assert col[:, 0].tolist() == [b"a_X_f", b"b_X_g", b"c_X_g"]
    assert pair.shape == (2, 6) and (pair[0] == want).all()
    assert dense_ids.shape == (2, 4) and dense_ids[0].tolist() == want[:2].tolist() + [-1, -1]
