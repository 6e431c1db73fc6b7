"""``edit_distance``: values against TensorFlow's (``tests/fixtures/tf1/sparse_serialize_edit_distance_jxl/
edit_distance.json``, written by ``make_sparse_serialize_edit_distance_jxl_fixtures.py``) and against a textbook
dynamic-programming reference on random sequences; output shapes and TF's errors."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops.edit_distance import edit_distance, levenshtein
from daskflow.testing import SweepCase

TESTED_OPS = {"EditDistance"}

FIX = json.loads((pathlib.Path(__file__).resolve().parents[1]
                  / "fixtures/tf1/sparse_serialize_edit_distance_jxl/edit_distance.json").read_text())


def _parts(sp, dtype):
    rank = len(sp["dense_shape"])
    vals = [bytes.fromhex(v) for v in sp["values"]] if dtype == "string" else sp["values"]
    return (np.array(sp["indices"], np.int64).reshape(len(sp["indices"]), rank),
            np.array(vals, dtype=object if dtype == "string" else dtype), np.array(sp["dense_shape"], np.int64))


def _textbook(a, b):
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return d[-1][-1]


def _reference(h, t, normalize):
    """Distances of the sequences grouped by all but the last index (numpy, from the parts)."""
    (hi, hv, hs), (ti, tv, ts) = h, t
    shape = tuple(np.maximum(hs[:-1], ts[:-1]))
    out = np.zeros(shape, np.float64)
    for pos in np.ndindex(*shape):
        a = [v for i, v in zip(hi, hv) if tuple(i[:-1]) == pos]
        b = [v for i, v in zip(ti, tv) if tuple(i[:-1]) == pos]
        if a or b:
            d = _textbook(a, b)
            out[pos] = (d / len(b) if b else np.inf) if normalize else d
    return out


def _ed(hi, hv, hs, ti, tv, ts):
    return edit_distance(df.SparseTensor(hi, hv, hs), df.SparseTensor(ti, tv, ts))


def _case(seed):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(2):
        idx = [[b, j] for b in range(3) for j in range(rng.randint(0, 5))]
        out += [np.array(idx, np.int64).reshape(-1, 2), rng.randint(0, 3, len(idx)).astype(np.int32),
                np.array([3, 5], np.int64)]
    return out


SWEEP_CASES = [SweepCase(_ed, *_case(0), name="edit_distance")]


@pytest.mark.parametrize("case", FIX["cases"], ids=lambda c: f"{c['dtype']}-{c['normalize']}")
def test_values_equal_tf(case):
    h, t = _parts(case["hypothesis"], case["dtype"]), _parts(case["truth"], case["dtype"])
    out = edit_distance(df.SparseTensor(*h), df.SparseTensor(*t), normalize=case["normalize"])
    want = np.array(case["out"], np.float32)
    assert out.shape.as_list() == list(want.shape) and out.dtype == np.float32
    got = df.Session().run(out)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, _reference(h, t, case["normalize"]), rtol=1e-6)


def test_levenshtein_against_textbook_on_random_pairs():
    rng = np.random.RandomState(1)
    for _ in range(40):
        a, b = rng.randint(0, 3, rng.randint(0, 8)), rng.randint(0, 3, rng.randint(0, 8))
        assert levenshtein(a, b) == _textbook(list(a), list(b))


def test_fed_sparse_tensors_of_unknown_shape():
    """Dense shapes fed at run time: the output's shape is known only then, and the values follow the reference."""
    parts = _case(3)
    h, t = df.sparse_placeholder(df.int32), df.sparse_placeholder(df.int32)
    out = edit_distance(h, t, normalize=False)
    assert out.shape.ndims is None
    got = df.Session().run(out, {h: parts[:3], t: parts[3:]})
    np.testing.assert_array_equal(got, _reference(parts[:3], parts[3:], False))


def test_errors_as_tf():
    st = df.SparseTensor
    t = st([[0, 0], [0, 1]], [1, 2], [3, 2])
    with pytest.raises(TypeError, match="^Hypothesis must be a SparseTensor"):
        edit_distance(df.constant([1]), t)
    with pytest.raises(TypeError, match="Input 'truth_values' of 'EditDistance' Op has type int32 that does not "
                                        "match type float32 of argument 'hypothesis_values'"):
        edit_distance(st([[0, 1]], [1.0], [1, 2]), t)
    with pytest.raises(ValueError, match="Num elements of hypothesis_shape does not match truth_shape: 3 vs. 2"):
        edit_distance(st([[0, 1, 0]], [1], [1, 2, 1]), t)
    with pytest.raises(ValueError, match="must have rank at least 2, but hypothesis_shape rank is: 1"):
        edit_distance(st([[0]], [1], [2]), st([[0]], [1], [2]))
    message = r"^Got an inner product 3 which would require writing to outside of the buffer for the output tensor"
    with pytest.raises(df.errors.InternalError, match=message + r" \(max elements 3\)"):
        df.Session().run(edit_distance(st([[3, 0]], [1], [1, 2]), t))
