"""Sparse serialization: ``io.serialize_sparse``, ``io.serialize_many_sparse`` and ``io.deserialize_many_sparse``
give TF's bytes and values (``tests/fixtures/tf1/sparse_serialize_edit_distance_jxl/serialize.json``, written by
``make_sparse_serialize_edit_distance_jxl_fixtures.py``), read back what they write, and refuse bad input with
TF's errors."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops.sparse_serialize import (deserialize_many_sparse, parse_tensor, serialize_many_sparse,
                                           serialize_sparse, tensor_bytes)
from daskflow.testing import SweepCase


TESTED_OPS = {"SerializeSparse", "SerializeManySparse", "DeserializeManySparse", "DeserializedSparseSize"}

FIX = json.loads((pathlib.Path(__file__).resolve().parents[1]
                  / "fixtures/tf1/sparse_serialize_edit_distance_jxl/serialize.json").read_text())


def _values(values, dtype):
    if dtype == "string":
        return np.array([bytes.fromhex(v) for v in values], dtype=object)
    if dtype.startswith("complex"):
        return np.array([complex(a, b) for a, b in values], dtype=dtype)
    return np.array(values, dtype=dtype)


def _sparse(case):
    rank = len(case["dense_shape"])
    idx = np.array(case["indices"], np.int64).reshape(len(case["indices"]), rank)
    return idx, _values(case["values"], case["dtype"]), np.array(case["dense_shape"], np.int64)


def _unhex(rows):
    return np.array([bytes.fromhex(s) for s in np.ravel(rows)], dtype=object).reshape(np.shape(rows))


def _serialize_all(idx, vals, shape):
    sp = df.SparseTensor(idx, vals, shape)
    back = deserialize_many_sparse(serialize_many_sparse(sp), df.float32, rank=1)
    return [serialize_sparse(sp), serialize_many_sparse(sp), back.indices, back.values, back.dense_shape]


SWEEP_CASES = [SweepCase(_serialize_all, np.array([[0, 1], [2, 0]], np.int64), np.array([1.5, 2.5], np.float32),
                         np.array([3, 4], np.int64), name="sparse_serialize")]


@pytest.mark.parametrize("case", FIX["cases"], ids=lambda c: f"{c['dtype']}-{c['dense_shape']}")
def test_bytes_and_values_equal_tf(case):
    sp = df.SparseTensor(*_sparse(case))
    fetch = {"one": serialize_sparse(sp)}
    if "many" in case:
        fetch["many"] = serialize_many_sparse(sp)
        if "back" in case:
            fetch["back"] = deserialize_many_sparse(fetch["many"], case["dtype"])
    with df.Session() as sess:
        got = sess.run(fetch)
    assert got["one"].tolist() == _unhex(case["one"]).tolist()
    if "many" in case:
        assert got["many"].shape == (case["dense_shape"][0], 3)
        assert got["many"].tolist() == _unhex(case["many"]).reshape(-1, 3).tolist()
    if "back" in case:
        back = case["back"]
        np.testing.assert_array_equal(got["back"].indices, np.reshape(back["indices"], (-1, len(back["dense_shape"]))))
        np.testing.assert_array_equal(got["back"].values, _values(back["values"], case["dtype"]))
        np.testing.assert_array_equal(got["back"].dense_shape, back["dense_shape"])


def test_parts_of_different_shapes_deserialize_as_tf():
    st = FIX["stacked"]
    sp = deserialize_many_sparse(_unhex(st["serialized"]), df.int32, rank=2)
    assert sp.indices.shape.as_list() == [None, 3] and sp.dense_shape.shape.as_list() == [3]
    got = df.Session().run(sp)
    np.testing.assert_array_equal(got.indices, st["indices"])
    np.testing.assert_array_equal(got.values, np.array(st["values"], np.int32))
    np.testing.assert_array_equal(got.dense_shape, st["dense_shape"])  # [N] + the largest of the parts' shapes


def test_fed_round_trip_feeds_other_sparse_ops():
    """A fed SparseTensor serialized by rows and read back is the same tensor, and its parts (sizes known when the
    plan is made) feed ordinary sparse ops."""
    rng = np.random.RandomState(0)
    dense = np.where(rng.rand(4, 3, 2) < 0.4, rng.randn(4, 3, 2), 0).astype(np.float32)
    idx = np.argwhere(dense).astype(np.int64)
    sp = df.sparse_placeholder(df.float32)
    rows = serialize_many_sparse(sp)
    assert rows.shape.as_list() == [None, 3]
    back = deserialize_many_sparse(rows, df.float32)
    with df.Session() as sess:
        feed = {sp: (idx, dense[dense != 0], np.array(dense.shape, np.int64))}
        got, total = sess.run([df.sparse.to_dense(back), df.sparse.reduce_sum(back)], feed)
    np.testing.assert_array_equal(got, dense)
    np.testing.assert_allclose(total, dense.sum(), rtol=1e-6)


def test_protos_from_typed_fields_are_read():
    """Parts written with typed value fields (``string_val``, ``int64_val``), as other writers do, read back."""
    from daskflow.graph_def import make_tensor_proto
    parts = [make_tensor_proto(np.array([[1], [0]], np.int64)), make_tensor_proto([b"x", b"yz"]),
             make_tensor_proto(np.array([3], np.int64))]
    parts[2].int64_val.extend([3])
    parts[2].tensor_content = b""
    assert [parse_tensor(p.SerializeToString()).tolist() for p in parts] == [[[1], [0]], [b"x", b"yz"], [3]]
    got = df.Session().run(deserialize_many_sparse([[p.SerializeToString() for p in parts]], df.string))
    np.testing.assert_array_equal(got.indices, [[0, 1], [0, 0]])
    assert got.values.tolist() == [b"x", b"yz"]
    assert parse_tensor(tensor_bytes(np.array([b"a", b"", b"bc"], dtype=object))).tolist() == [b"a", b"", b"bc"]


def _rows(*parts):
    return df.stack([serialize_sparse(df.SparseTensor(*p)) for p in parts])


INT_PART = ([[0, 1]], np.array([1], np.int32), [3, 4])


@pytest.mark.parametrize("build, cls, message", [
    (lambda: deserialize_many_sparse(_rows(INT_PART), df.int64), df.errors.InvalidArgumentError,
     r"^Requested SparseTensor of type int64 but SparseTensor\[0\]\.values\.dtype\(\) == int32"),
    (lambda: deserialize_many_sparse(_rows(INT_PART, ([[0, 1, 2]], np.array([1], np.int32), [2, 3, 4])), df.int32),
     df.errors.InvalidArgumentError, r"^Inconsistent shape across SparseTensors: rank prior to SparseTensor\[1\] "
                                     r"was: 2 but rank of SparseTensor\[1\] is: 3"),
    (lambda: deserialize_many_sparse([[b"x", b"y", b"z"]], df.int32), df.errors.InvalidArgumentError,
     r"^Could not parse serialized proto"),
    (lambda: deserialize_many_sparse(np.zeros((0, 3), object), df.int32), df.errors.InvalidArgumentError,
     r"^Serialized sparse should have at least 1 serialized tensor, but has a zero dimension \[0,3\]"),
    (lambda: deserialize_many_sparse(_rows(INT_PART), df.int32, rank=3), df.errors.InvalidArgumentError,
     r"have rank 2, but rank=3 was given"),
    (lambda: deserialize_many_sparse(
        [[tensor_bytes(np.zeros((1, 2), np.int64)), tensor_bytes(np.zeros(2, np.int32)),
          tensor_bytes(np.array([3, 4], np.int64))]], df.int32), df.errors.InvalidArgumentError,
     r"^Expected row counts of SparseTensor\[0\]\.indices and SparseTensor\[0\]\.values to match but they do not: "
     r"1 vs\. 2"),
    (lambda: serialize_many_sparse(df.SparseTensor([[2, 0], [0, 1]], [1, 2], [3, 4])), df.errors.InvalidArgumentError,
     r"^indices\[1\] = \[0,1\] is out of order"),
    (lambda: serialize_many_sparse(df.SparseTensor([[5, 0]], [1], [3, 4])), df.errors.InvalidArgumentError,
     r"^indices\[0\] = \[5,0\] is out of bounds: need 0 <= index < \[3,4\]"),
])
def test_run_time_errors_as_tf(build, cls, message):
    with pytest.raises(cls, match=message):
        df.Session().run(build())


def test_build_time_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="Rank of input SparseTensor should be > 1, but saw "
                                                            "rank: 1"):
        serialize_many_sparse(df.SparseTensor([[1]], [1], [3]))
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        deserialize_many_sparse([b"x", b"y", b"z"], df.int32)
    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        deserialize_many_sparse([[b"x", b"y"]], df.int32)
    with pytest.raises(TypeError, match="out_type must be tf.string"):
        serialize_sparse(df.SparseTensor(*INT_PART), out_type="variant")
    with pytest.raises(TypeError, match="out_type must be tf.string"):
        serialize_many_sparse(df.SparseTensor(*INT_PART), out_type=df.int32)
