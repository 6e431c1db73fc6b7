"""parse_example, parse_single_example, parse_single_sequence_example and decode_json_example, against the values
and messages TF 2.21 (``tf.compat.v1``) gives for the same records (noted literally below)."""
import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow import example as ex
from daskflow.ops import parsing as P
from daskflow.testing import SweepCase

TESTED_OPS = {"ParseExample", "ParseSequenceExample", "DecodeJSONExample"}

F, V, S = P.FixedLenFeature, P.VarLenFeature, P.FixedLenSequenceFeature

# written by TF: a=[1., 2.] (float), b=[3] (int64), s=[b"x", b"yy"]; and a=[4., 5.], s=[b"z"]
E1 = (b'\n/\n\n\n\x01b\x12\x05\x1a\x03\n\x01\x03\n\x0e\n\x01s\x12\t\n\x07\n\x01x\n\x02yy\n\x11\n\x01a\x12\x0c\x12\n'
      b'\n\x08\x00\x00\x80?\x00\x00\x00@')
E2 = b'\n\x1f\n\n\n\x01s\x12\x05\n\x03\n\x01z\n\x11\n\x01a\x12\x0c\x12\n\n\x08\x00\x00\x80@\x00\x00\xa0@'
# written by TF: a SequenceExample, context len=[3], lab=[b"a"]; feature lists tok=[[1],[2],[3]],
# emb=[[1,2],[3,4],[5,6]] (float), var=[[1,2],[],[3]] (int64)
S1 = (b'\n\x1c\n\x0c\n\x03len\x12\x05\x1a\x03\n\x01\x03\n\x0c\n\x03lab\x12\x05\n\x03\n\x01a\x12m\n\x1c\n\x03tok\x12'
      b'\x15\n\x05\x1a\x03\n\x01\x01\n\x05\x1a\x03\n\x01\x02\n\x05\x1a\x03\n\x01\x03\n1\n\x03emb\x12*\n\x0c\x12\n\n\x08'
      b'\x00\x00\x80?\x00\x00\x00@\n\x0c\x12\n\n\x08\x00\x00@@\x00\x00\x80@\n\x0c\x12\n\n\x08\x00\x00\xa0@\x00\x00\xc0@'
      b'\n\x1a\n\x03var\x12\x13\n\x06\x1a\x04\n\x02\x01\x02\n\x02\x1a\x00\n\x05\x1a\x03\n\x01\x03')


def record(**features):
    """A serialized Example: ints as int64_list, floats as float_list, bytes as bytes_list."""
    def feature(v):
        if all(isinstance(x, bytes) for x in v) and v:
            return ex.Feature(bytes_list=ex.BytesList(value=v))
        if all(isinstance(x, int) for x in v):
            return ex.Feature(int64_list=ex.Int64List(value=v))
        return ex.Feature(float_list=ex.FloatList(value=v))
    return ex.Example(features=ex.Features(feature={k: feature(v) for k, v in features.items()})).SerializeToString()


def _strings(*values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _sparse_parts(*sparse):
    return [t for sp in sparse for t in (sp.indices, sp.values, sp.dense_shape)]


def _parse_batch(x):
    out = P.parse_example(x, {"a": F([2], df.float32, default_value=[0., 0.]), "b": F([], df.int64, default_value=7),
                              "s": V(df.string), "q": S([], df.float32, allow_missing=True),
                              "sp": P.SparseFeature("ix", "v", df.float32, 4)})
    one = P.parse_single_example(x[0], {"a": F([2], df.float32, default_value=[0., 0.]), "s": V(df.string)})
    return [out["a"], out["b"], out["q"], one["a"]] + _sparse_parts(out["s"], out["sp"], one["s"])


def _parse_sequence(x):
    context, seq = P.parse_single_sequence_example(
        x, {"len": F([], df.int64), "lab": V(df.string)},
        {"tok": S([], df.int64), "emb": S([2], df.float32), "var": V(df.int64)})
    return [context["len"], seq["tok"], seq["emb"]] + _sparse_parts(context["lab"], seq["var"])


def _parse_named(x, names):
    out = P.parse_example(x, {"a": F([2], df.float32, default_value=[0., 0.]), "q": S([2], df.float32,
                                                                                   allow_missing=True),
                              "sp": P.SparseFeature(["i0", "i1"], "v", df.float32, [2, 4])}, example_names=names)
    return [out["a"], out["q"]] + _sparse_parts(out["sp"])


_JSON = [b'{"features": {"feature": {"a": {"floatList": {"value": [1.5, 2]}}}}}', b"{}",
         b'{"features": {"feature": {"b": {"int64List": {"value": ["3"]}}}}}', b'{"features": {}}']
SWEEP_CASES = [
    SweepCase(_parse_batch, _strings(E1, E2, record(a=[4.0, 1.0], ix=[3, 1], v=[10., 20.], q=[1., 2., 3.]), b""),
              name="parse_example"),
    SweepCase(_parse_named, _strings(record(i0=[1, 0], i1=[2, 3], v=[10., 20.], q=[1., 2., 3., 4.]),
                                     record(a=[1., 2.])), _strings(b"first", b"second"), name="parse_example_names"),
    SweepCase(_parse_sequence, np.array(S1, dtype=object), name="parse_sequence_example"),
    SweepCase(lambda x: P.decode_json_example(x), np.array(_JSON, dtype=object).reshape(2, 2),
              name="decode_json_example"),
]


def run(fetches, feed_dict=None):
    with df.Session() as sess:
        return sess.run(fetches, feed_dict)


def assert_sparse(value, indices, values, dense_shape):
    np.testing.assert_array_equal(value.indices, np.array(indices, dtype=np.int64).reshape(-1, len(dense_shape)))
    np.testing.assert_array_equal(value.values, values)
    np.testing.assert_array_equal(value.dense_shape, dense_shape)


def test_parse_example_values_as_tf():
    out = P.parse_example([E1, E2], {"a": F([2], df.float32), "s": V(df.string), "b": F([], df.int64, default_value=7)})
    assert out["a"].shape.as_list() == [2, 2] and out["b"].shape.as_list() == [2]
    assert out["s"].indices.shape.as_list() == [None, 2] and out["s"].values.dtype == df.string
    got = run(out)
    np.testing.assert_array_equal(got["a"], np.array([[1, 2], [4, 5]], np.float32))
    assert got["a"].dtype == np.float32 and got["b"].dtype == np.int64
    np.testing.assert_array_equal(got["b"], [3, 7])
    assert_sparse(got["s"], [[0, 0], [0, 1], [1, 0]], [b"x", b"yy", b"z"], [2, 2])


def test_parse_example_fed_batch_and_scalar():
    x = df.placeholder(df.string, [None])
    out = P.parse_example(x, {"a": F([2], df.float32), "s": V(df.string)})
    assert out["a"].shape.as_list() == [None, 2]
    got = run(out, {x: [E2, E1, E2]})
    np.testing.assert_array_equal(got["a"], [[4, 5], [1, 2], [4, 5]])
    assert_sparse(got["s"], [[0, 0], [1, 0], [1, 1], [2, 0]], [b"z", b"x", b"yy", b"z"], [3, 2])
    one = P.parse_example(E1, {"a": F([2], df.float32)})["a"]
    assert one.shape.as_list() == [2]
    np.testing.assert_array_equal(run(one), [1, 2])


def test_empty_batch():
    out = P.parse_example(df.constant(np.zeros(0, object), df.string), {"a": F([2], df.float32), "s": V(df.string)})
    got = run(out)
    assert got["a"].shape == (0, 2)
    assert_sparse(got["s"], np.zeros((0, 2)), np.zeros(0, object), [0, 0])


def test_defaults_and_shapes():
    got = run(P.parse_example([E1], {"q": F([2, 2], df.float32, default_value=[1., 2., 3., 4.]),
                                     "t": F([], df.string, default_value="none")}))
    np.testing.assert_array_equal(got["q"], [[[1, 2], [3, 4]]])
    np.testing.assert_array_equal(got["t"], [b"none"])
    with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 1 elements to shape \[2\] \(2 elements\)"):
        P.parse_example([E1], {"q": F([2], df.float32, default_value=3.)})


def test_missing_required_feature():
    out = P.parse_example([E1, E2], {"b": F([], df.int64)})
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"Name: <unknown>, Feature: b \(data type: int64\) is required but could not be found."):
        run(out)
    named = P.parse_example([E1, E2], {"b": F([], df.int64)}, example_names=["first", "second"])
    with pytest.raises(errors.InvalidArgumentError, match="Name: second, Feature: b"):
        run(named)


def test_wrong_type_and_count():
    with pytest.raises(errors.InvalidArgumentError, match="Name: <unknown>, Key: a, Index: 0.  Data types don't match. "
                                                          "Data type: float but expected type: int64"):
        run(P.parse_example([E1], {"a": F([2], df.int64)}))
    with pytest.raises(errors.InvalidArgumentError, match="Key: b, Index: 0.  Data types don't match. Expected type: "
                                                          "float, Actual type: int64"):
        run(P.parse_example([E1], {"b": V(df.float32)}))
    short = record(a=[4.0])
    with pytest.raises(errors.InvalidArgumentError, match=r"Key: a, Index: 1.  Number of float values != expected.  "
                                                          r"Values size: 1 but output shape: \[2\]"):
        run(P.parse_example([E1, short], {"a": F([2], df.float32)}))


def test_bad_record():
    with pytest.raises(errors.InvalidArgumentError, match="Could not parse example input, value: '\x07'"):
        run(P.parse_single_example(b"\x07", {"a": F([2], df.float32)}))


def test_build_time_errors():
    with pytest.raises(TypeError, match="parameter 'dense_defaults' has DataType int32 not in list of allowed values: "
                                        "float32, int64, string"):
        P.parse_example([E1], {"q": F([2], df.int32)})
    with pytest.raises(TypeError, match="parameter 'sparse_types' has DataType float64"):
        P.parse_example([E1], {"q": V(df.float64)})
    with pytest.raises(ValueError, match="Missing shape for feature q"):
        P.parse_example([E1], {"q": F(None, df.float32)})
    with pytest.raises(ValueError, match="Argument `features` cannot be None or falsy"):
        P.parse_example([E1], {})
    with pytest.raises(ValueError, match="FixedLenSequenceFeature requires allow_missing to be True"):
        P.parse_example([E1], {"a": S([], df.float32)})
    with pytest.raises(ValueError, match="Shape must be at most rank 1 but is rank 2"):
        P.parse_example(df.placeholder(df.string, [None, 2]), {"a": F([2], df.float32)})
    with pytest.raises(TypeError, match="Input 'serialized' of 'ParseExample' Op has type int32"):
        P.parse_example(df.constant([1, 2]), {"a": F([2], df.float32)})


def test_fixed_len_sequence_feature_pads():
    e3 = record(a=[4.0], b=[1, 2])
    got = run(P.parse_example([E1, E2, e3], {"a": S([], df.float32, allow_missing=True),
                                             "b": S([], df.int64, allow_missing=True, default_value=-1),
                                             "s": S([], df.string, allow_missing=True)}))
    np.testing.assert_array_equal(got["a"], [[1, 2], [4, 5], [4, 0]])
    np.testing.assert_array_equal(got["b"], [[3, -1], [-1, -1], [1, 2]])
    np.testing.assert_array_equal(got["s"], [[b"x", b"yy"], [b"z", b""], [b"", b""]])
    two = run(P.parse_example([record(a=[1., 2., 3., 4.]), record(a=[5., 6.])], {"a": S([2], df.float32,
                                                                                         allow_missing=True)}))
    np.testing.assert_array_equal(two["a"], [[[1, 2], [3, 4]], [[5, 6], [0, 0]]])
    with pytest.raises(errors.InvalidArgumentError, match=r"Number of float values is not a multiple of stride "
                                                          r"length. Saw 3 values but output shape is: \[\?,2\]"):
        run(P.parse_example([record(a=[1., 2., 3.])], {"a": S([2], df.float32, allow_missing=True)}))


def test_var_len_int():
    got = run(P.parse_example([E1, E2, record(a=[4.0], b=[1, 2])], {"b": V(df.int64)}))
    assert_sparse(got["b"], [[0, 0], [2, 0], [2, 1]], [3, 1, 2], [3, 2])


def test_sparse_feature():
    recs = [record(ix=[3, 1], v=[10., 20.]), record(ix=[0], v=[5.])]
    got = run(P.parse_example(recs, {"sp": P.SparseFeature("ix", "v", df.float32, 4)}))
    assert_sparse(got["sp"], [[0, 1], [0, 3], [1, 0]], np.float32([20, 10, 5]), [2, 4])
    got = run(P.parse_example(recs[:1], {"sp": P.SparseFeature("ix", "v", df.float32, 4, already_sorted=True)}))
    assert_sparse(got["sp"], [[0, 3], [0, 1]], [10, 20], [1, 4])
    two = run(P.parse_example([record(i0=[1, 0], i1=[2, 3], v=[10., 20.])],
                              {"sp": P.SparseFeature(["i0", "i1"], "v", df.float32, [2, 4])}))
    assert_sparse(two["sp"], [[0, 0, 3], [0, 1, 2]], [20, 10], [1, 2, 4])


def test_parse_single_example():
    out = P.parse_single_example(E1, {"a": F([2], df.float32), "s": V(df.string)})
    assert out["s"].indices.shape.as_list() == [None, 1]
    got = run(out)
    np.testing.assert_array_equal(got["a"], [1, 2])
    assert_sparse(got["s"], [[0], [1]], [b"x", b"yy"], [2])


def test_parse_single_sequence_example_as_tf():
    context, seq = P.parse_single_sequence_example(
        S1, {"len": F([], df.int64), "lab": V(df.string), "miss": F([2], df.float32, default_value=[9., 8.])},
        {"tok": S([], df.int64), "emb": S([2], df.float32), "var": V(df.int64),
         "gone": S([], df.float32, allow_missing=True), "gonev": V(df.string)})
    assert context["len"].shape.as_list() == [] and seq["emb"].shape.as_list() == [None, 2]
    assert seq["var"].indices.shape.as_list() == [None, 2] and context["lab"].indices.shape.as_list() == [None, 1]
    c, s = run((context, seq))
    assert c["len"] == 3
    np.testing.assert_array_equal(c["miss"], [9, 8])
    assert_sparse(c["lab"], [[0]], [b"a"], [1])
    np.testing.assert_array_equal(s["tok"], [1, 2, 3])
    np.testing.assert_array_equal(s["emb"], [[1, 2], [3, 4], [5, 6]])
    assert_sparse(s["var"], [[0, 0], [0, 1], [2, 0]], [1, 2, 3], [3, 2])
    assert s["gone"].shape == (0,) and s["gone"].dtype == np.float32
    assert_sparse(s["gonev"], np.zeros((0, 2)), np.zeros(0, object), [0, 0])


def test_sequence_errors():
    def parse(ctx=None, seq=None, serialized=S1):
        return run(P.parse_single_sequence_example(serialized, ctx, seq))
    with pytest.raises(errors.InvalidArgumentError, match="Name: <unknown>, Feature list 'nope' is required but could "
                                                          "not be found.  Did you mean to include it in"):
        parse(seq={"nope": S([], df.int64)})
    with pytest.raises(errors.InvalidArgumentError, match=r"Key: emb, Index: 0.  Number of values != expected.  values "
                                                          r"size: 2 but output shape: \[3\]"):
        parse(seq={"emb": S([3], df.float32)})
    with pytest.raises(errors.InvalidArgumentError, match="Feature list: emb, Index: 0.  Data types don't match. "
                                                          "Expected type: int64"):
        parse(seq={"emb": S([2], df.int64)})
    with pytest.raises(errors.InvalidArgumentError, match="Context feature 'nope' is required"):
        parse(ctx={"nope": F([], df.int64)})
    with pytest.raises(errors.InvalidArgumentError, match="Invalid protocol message input, example id: <unknown>"):
        parse(ctx={"len": F([], df.int64)}, serialized=b"\x07")
    with pytest.raises(ValueError, match="Unsupported FixedLenSequenceFeature"):
        P.parse_single_sequence_example(S1, {"len": S([], df.int64, allow_missing=True)})
    with pytest.raises(ValueError, match="Unsupported FixedLenFeature"):
        P.parse_single_sequence_example(S1, None, {"tok": F([], df.int64)})
    with pytest.raises(ValueError, match=r"Value feature_list.dense_defaults\[tok\] must be None"):
        P.parse_single_sequence_example(S1, None, {"tok": S([], df.int64, default_value=5)})
    with pytest.raises(ValueError, match="Both context_features and sequence_features are None"):
        P.parse_single_sequence_example(S1)


def test_decode_json_example():
    text = '{"features": {"feature": {"a": {"floatList": {"value": [1.5, 2]}}, "b": {"int64List": {"value": ["3"]}}}}}'
    out = P.decode_json_example([text, '{}'])
    assert out.shape.as_list() == [2] and out.dtype == df.string
    got = run(out)
    # TF's bytes for the first (its JSON parser writes the floats unpacked; both forms parse the same)
    tf_bytes = b'\n\x1e\n\x11\n\x01a\x12\x0c\x12\n\r\x00\x00\xc0?\r\x00\x00\x00@\n\t\n\x01b\x12\x04\x1a\x02\x08\x03'
    assert ex.Example.FromString(got[0]) == ex.Example.FromString(tf_bytes)
    assert got[1] == b""
    parsed = run(P.parse_example(out, {"a": F([2], df.float32, default_value=[0., 0.])}))
    np.testing.assert_array_equal(parsed["a"], [[1.5, 2], [0, 0]])
    with pytest.raises(errors.InvalidArgumentError, match="Error while parsing JSON"):
        run(P.decode_json_example(['{"features": 1}']))


def test_sparse_feature_counts_must_match():
    got = run(P.parse_example([record(ix=[5], v=[10.])], {"sp": P.SparseFeature("ix", "v", df.float32, 4)}))
    assert_sparse(got["sp"], [[0, 5]], [10], [1, 4])  # as TF: ids past size are kept
    with pytest.raises(errors.InvalidArgumentError, match=r"Number of elements in indices \(2\) and values \(1\) do "
                                                          r"not match"):
        run(P.parse_example([record(ix=[1, 2], v=[10.])], {"sp": P.SparseFeature("ix", "v", df.float32, 4)}))


def test_example_names_must_match_the_batch():
    with pytest.raises(errors.InvalidArgumentError, match=r"Expected names have the same shape as serialized: "
                                                          r"name.shape=\[1\], serialized.shape=\[2\]"):
        P.parse_example([E1, E2], {"a": P.FixedLenFeature([2], df.float32)}, example_names=["x"])
    x, n = df.placeholder(df.string, [None]), df.placeholder(df.string, [None])
    out = P.parse_example(x, {"a": P.FixedLenFeature([2], df.float32)}, example_names=n)
    with pytest.raises(errors.InvalidArgumentError, match="Expected names have the same shape as serialized"):
        run(out["a"], {x: [E1, E2], n: ["x"]})
