"""String tensors (constants, feeds, fetches, the dtype-indifferent ops on them), the string ops (join, length,
as_string, format) and printing (print, Print). Expected values and printed text are TensorFlow 1.x's
(``tensorflow.compat.v1`` in graph mode), as it gives them for the same programs."""
import sys

import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, run_graph

TESTED_OPS = {"StringJoin", "StringLength", "AsString", "StringFormat", "PrintV2", "Print"}

GRAD_CASES = [
    GradCase("Print", lambda x: df.Print(x, [x], "x") * 2.0, [(3, 4)]),  # an identity of its input
]

ABCD = [["a", "b"], ["c", "d"]]


def run(fetches, feed_dict=None, scheduler=None):
    with df.Session(scheduler=scheduler) as sess:
        return sess.run(fetches, feed_dict)


def objects(value):
    return np.array(value, dtype=object)


def assert_strings(got, expected):
    """``got`` is what TF's sess.run gives for strings: bytes for a scalar, an object array of bytes otherwise."""
    if isinstance(expected, bytes):
        assert type(got) is bytes and got == expected
    else:
        expected = objects(expected)
        assert isinstance(got, np.ndarray) and got.dtype == object and got.shape == expected.shape
        assert all(type(g) is bytes for g in got.flat)
        assert got.tolist() == expected.tolist()


# -- the dtype, constants, fetches

def test_string_dtype():
    assert df.string is df.dtypes.string == np.dtype(object)
    for spelling in ("string", df.string, str, bytes, np.str_, np.bytes_, np.object_, "U5", np.dtype("S3")):
        assert df.as_dtype(spelling) is df.string
    t = df.constant("x", name="s")
    assert t.dtype == df.string and t.shape == ()
    assert repr(t) == "<daskflow.Tensor 's:0' shape=() dtype=string>"


def test_hello_tensorflow():
    hello = df.constant("Hello, TensorFlow!")
    assert_strings(run(hello), b"Hello, TensorFlow!")
    assert_strings(run(df.identity(hello)), b"Hello, TensorFlow!")


@pytest.mark.parametrize("value, kwargs, expected", [
    (["a", "bé", b"c"], {}, [b"a", b"b\xc3\xa9", b"c"]),
    (ABCD, {}, [[b"a", b"b"], [b"c", b"d"]]),
    (np.array(["x", "yy"]), {}, [b"x", b"yy"]),
    (np.array([b"x", b"yy"]), {}, [b"x", b"yy"]),
    (np.array(["x", b"yy"], dtype=object), {}, [b"x", b"yy"]),
    ("a", {"dtype": df.string}, b"a"),
    ("a", {"shape": [2, 2]}, [[b"a", b"a"], [b"a", b"a"]]),
    (b"\xff\x00", {}, b"\xff\x00"),
    (np.str_("ab"), {}, b"ab"),
    (np.bytes_(b"ab"), {}, b"ab"),
    ([], {"dtype": df.string}, np.empty(0, dtype=object)),
])
def test_string_constants(value, kwargs, expected):
    assert_strings(run(df.constant(value, **kwargs)), expected)


@pytest.mark.parametrize("value, dtype, match", [
    (1, df.string, "Expected string, got 1 of type 'int'"),
    ("a", df.int32, "Expected int32, got 'a' of type 'str'"),
    (["a", 1], None, "Expected string, got 1 of type 'int'"),
])
def test_string_constants_refuse_numbers_and_numbers_strings(value, dtype, match):
    with pytest.raises(TypeError, match=match):
        df.constant(value, dtype=dtype)


def test_string_variable():
    v = df.Variable(["a", "b"])
    with df.Session() as sess:
        sess.run(v.initializer)
        assert_strings(sess.run(v), [b"a", b"b"])
        assert_strings(sess.run(v.assign(["x", "yy"])), [b"x", b"yy"])
        assert_strings(sess.run(v), [b"x", b"yy"])


# -- feeds

@pytest.mark.parametrize("value, expected", [
    (["a", b"b", "é"], [b"a", b"b", b"\xc3\xa9"]),
    (np.array(["a", "é"]), [b"a", b"\xc3\xa9"]),
    (np.array([b"a", b"bc"]), [b"a", b"bc"]),
    (np.array(["a", b"bc"], dtype=object), [b"a", b"bc"]),
    (da.from_array(np.array(["a", "é", "c"]), chunks=2), [b"a", b"\xc3\xa9", b"c"]),
])
def test_string_feeds_become_bytes(value, expected):
    p = df.placeholder(df.string, [None], name="p")
    assert_strings(run(df.identity(p), {p: value}), expected)
    assert_strings(run(p, {p: value}), expected)


@pytest.mark.parametrize("value", ["abc", b"abc", np.str_("abc")])
def test_scalar_string_feeds(value):
    q = df.placeholder(df.string, name="q")
    assert_strings(run(df.identity(q), {q: value}), b"abc")


@pytest.mark.parametrize("value, match", [
    ([1, 2], "Expected string, got 1 of type 'int'"),
    (1, "Expected string, got 1 of type 'int'"),
    (["a", 1], "Expected string, got 1 of type 'int'"),
    (np.array([1, 2]), "dtype int64 for Tensor 'p:0', which has dtype string"),
    (np.array([1.5]), "dtype float64 for Tensor 'p:0', which has dtype string"),
    (np.array(["a", None], dtype=object), "Expected string, got None"),
])
def test_numbers_fed_to_a_string_placeholder_are_refused(value, match):
    p = df.placeholder(df.string, name="p")
    with pytest.raises(df.errors.InvalidArgumentError, match=match) as e:
        run(df.identity(p), {p: value})
    assert "'p:0'" in str(e.value)


@pytest.mark.parametrize("value", ["abc", b"1.5", ["1.5"], np.array(["1.5"])])
def test_strings_fed_to_a_number_placeholder_are_refused(value):
    f = df.placeholder(df.float32, name="f")
    with pytest.raises(df.errors.InvalidArgumentError, match="dtype string for Tensor 'f:0', which has dtype float32"):
        run(df.identity(f), {f: value})


# -- ops indifferent to dtype, on strings


OPS_ON_STRINGS = [
    ("reshape", lambda s: df.reshape(s, [4]), [b"a", b"b", b"c", b"d"]),
    ("expand_dims", lambda s: df.expand_dims(s, 0), [[[b"a", b"b"], [b"c", b"d"]]]),
    ("concat", lambda s: df.concat([s, s], 0), [[b"a", b"b"], [b"c", b"d"], [b"a", b"b"], [b"c", b"d"]]),
    ("stack", lambda s: df.stack([s, s]), [[[b"a", b"b"], [b"c", b"d"]]] * 2),
    ("gather", lambda s: df.gather(s, [1, 0]), [[b"c", b"d"], [b"a", b"b"]]),
    ("transpose", lambda s: df.transpose(s), [[b"a", b"c"], [b"b", b"d"]]),
    ("tile", lambda s: df.tile(s, [1, 2]), [[b"a", b"b", b"a", b"b"], [b"c", b"d", b"c", b"d"]]),
    ("equal", lambda s: df.equal(s, "a"), None),
    ("not_equal", lambda s: df.not_equal(s, "a"), None),
    ("squeeze", lambda s: df.squeeze(df.expand_dims(s, 0)), [[b"a", b"b"], [b"c", b"d"]]),
    ("row", lambda s: s[0], [b"a", b"b"]),
    ("column", lambda s: s[:, 1], [b"b", b"d"]),
    ("element", lambda s: s[0, 1], b"b"),
    ("element broadcast", lambda s: df.broadcast_to(s[0, 0], [2]), [b"a", b"a"]),
    ("reverse", lambda s: df.reverse(s, [0]), [[b"c", b"d"], [b"a", b"b"]]),
    ("unstack", lambda s: df.unstack(s)[0], [b"a", b"b"]),
    ("unstack row", lambda s: df.unstack(s[1])[0], b"c"),
    ("split", lambda s: df.split(s, 2)[0], [[b"a", b"b"]]),
    ("split sizes", lambda s: df.split(s, [1, 1], axis=1)[0], [[b"a"], [b"c"]]),
    ("slice", lambda s: df.slice(s, [0, 0], [1, 2]), [[b"a", b"b"]]),
    ("where", lambda s: df.where(df.constant([[True, False], [False, True]]), s, s), [[b"a", b"b"], [b"c", b"d"]]),
    ("where_v2", lambda s: df.where_v2(True, s, "q"), [[b"a", b"b"], [b"c", b"d"]]),
    ("zeros_like", lambda s: df.zeros_like(s), [[b"", b""], [b"", b""]]),
    ("pad", lambda s: df.pad(s, [[1, 0], [0, 0]]), [[b"", b""], [b"a", b"b"], [b"c", b"d"]]),
    ("pad value", lambda s: df.pad(s, [[1, 0], [0, 0]], constant_values="x"), [[b"x", b"x"], [b"a", b"b"],
                                                                                [b"c", b"d"]]),
    ("mirror pad", lambda s: df.pad(s, [[1, 1], [0, 0]], mode="REFLECT"),
     [[b"c", b"d"], [b"a", b"b"], [b"c", b"d"], [b"a", b"b"]]),
    ("add", lambda s: df.add(s, s), [[b"aa", b"bb"], [b"cc", b"dd"]]),
    ("plus str", lambda s: s + "!", [[b"a!", b"b!"], [b"c!", b"d!"]]),
    ("str plus", lambda s: "!" + s, [[b"!a", b"!b"], [b"!c", b"!d"]]),
    ("identity", lambda s: df.identity(s), [[b"a", b"b"], [b"c", b"d"]]),
    ("stop_gradient", lambda s: df.stop_gradient(s), [[b"a", b"b"], [b"c", b"d"]]),
    ("placeholder_with_default", lambda s: df.placeholder_with_default(s, [2, 2]), [[b"a", b"b"], [b"c", b"d"]]),
    ("cast to string", lambda s: df.cast(s, df.string), [[b"a", b"b"], [b"c", b"d"]]),
    ("stack with tensor", lambda s: df.stack([s[0, 0], "z"]), [b"a", b"z"]),
]


@pytest.mark.parametrize("name, build, expected", OPS_ON_STRINGS, ids=[c[0] for c in OPS_ON_STRINGS])
def test_ops_on_strings(name, build, expected):
    got = run(build(df.constant(ABCD)))
    if name == "equal":
        np.testing.assert_array_equal(got, [[True, False], [False, False]])
    elif name == "not_equal":
        np.testing.assert_array_equal(got, [[False, True], [True, True]])
    else:
        assert_strings(got, expected)


CHUNKED = [c for c in OPS_ON_STRINGS if c[0] in ("reshape", "concat", "gather", "transpose", "tile", "column",
                                                  "reverse", "add", "pad", "element broadcast", "unstack")]


@pytest.mark.parametrize("name, build, expected", CHUNKED, ids=[c[0] for c in CHUNKED])
def test_ops_on_chunked_strings(name, build, expected):
    value = np.array([[b"a", b"b"], [b"c", b"d"]], dtype=object)
    assert_strings(run_graph(build, value, chunks=[((1, 1), (1, 1))]), expected)


def test_shape_queries_of_strings():
    s = df.constant(ABCD)
    shape, size, rank = run([df.shape(s), df.size(s), df.rank(s)])
    np.testing.assert_array_equal(shape, [2, 2])
    assert (size, rank) == (4, 2)


def test_string_fill_and_zeros():
    assert_strings(run(df.fill([2], "z")), [b"z", b"z"])
    assert_strings(run(df.zeros([2], df.string)), [b"", b""])
    with pytest.raises(TypeError, match="Expected string, got 1 of type 'int'"):
        df.ones([2], df.string)


@pytest.mark.parametrize("build, op_type", [
    (lambda s: -s, "Neg"), (lambda s: s * 2, "Mul"), (lambda s: df.reduce_sum(s), "Sum"),
    (lambda s: df.matmul(s, s), "BatchMatMulV2"), (lambda s: df.less(s, s), "Less"),
    (lambda s: df.maximum(s, s), "Maximum"), (lambda s: df.abs(s), "Abs"), (lambda s: df.argmax(s), "ArgMax"),
    (lambda s: df.add_n([s, s]), "AddN"), (lambda s: df.one_hot(s, 2), "OneHot"),
    (lambda s: df.ones_like(s), "OnesLike"), (lambda s: df.reduce_max(s), "Max"),
])
def test_numeric_ops_refuse_strings_when_built(build, op_type):
    with pytest.raises(df.errors.InvalidArgumentError, match=f"{op_type} does not take string tensors: input "
                                                               r"'Const:0' has dtype string \[op '.*' \(type "
                                                               f"{op_type}\\)"):
        build(df.constant(ABCD))


def test_strings_next_to_numbers_name_the_op():
    s = df.constant("a")
    with pytest.raises(df.errors.InvalidArgumentError, match=r"dtype int32 that does not match dtype string .*"
                                                             r"\(type AddV2\)"):
        s + 1
    with pytest.raises(df.errors.InvalidArgumentError, match=r"dtype string that does not match dtype float32 .*"
                                                             r"\(type AddV2\)"):
        df.constant(1.0) + "a"
    with pytest.raises(df.errors.InvalidArgumentError, match=r"does not match dtype string .*\(type Equal\)"):
        df.equal(s, 1)


def test_casts_between_strings_and_numbers_are_unimplemented():
    with pytest.raises(df.errors.UnimplementedError, match="Cast string to int32 is not supported"):
        df.cast(df.constant(["1"]), df.int32)
    with pytest.raises(df.errors.UnimplementedError, match="Cast bool to string is not supported"):
        df.cast(df.constant(True), df.string)


# -- join, length

@pytest.mark.parametrize("inputs, kwargs, expected", [
    ([["a", "b"], ["a", "b"]], {}, [b"aa", b"bb"]),
    ([["a", "b"], "x", ["a", "b"]], {"separator": "-"}, [b"a-x-a", b"b-x-b"]),
    (["a", "b"], {}, b"ab"),
    ([["a", "b"]], {}, [b"a", b"b"]),
    ([], {}, b""),
    ((["a", "b"], ["a", "b"]), {}, [b"aa", b"bb"]),
    ([["a", "b"], "é"], {"separator": "✓"}, [b"a\xe2\x9c\x93\xc3\xa9", b"b\xe2\x9c\x93\xc3\xa9"]),
])
def test_join(inputs, kwargs, expected):
    assert_strings(run(df.strings.join(inputs, **kwargs)), expected)


def test_join_chunked_and_fed():
    a = np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object)
    b = np.array([["1", "2", "3"], ["4", "5", "6"]], dtype=object)
    got = run_graph(lambda x, y: df.strings.join([x, "-", y]), a, b, chunks=[((1, 1), (2, 1)), ((2,), (1, 1, 1))])
    assert_strings(got, [[b"a-1", b"b-2", b"c-3"], [b"d-4", b"e-5", b"f-6"]])
    assert df.string_join is df.strings.join


def test_join_shapes():
    s = df.constant(["a", "b"])
    assert df.strings.join([s, s]).shape == (2,)
    assert df.strings.join([s, df.placeholder(df.string)]).shape == (2,)
    joined = df.strings.join([df.placeholder(df.string, [None, 2]), df.placeholder(df.string, [3, None])])
    assert joined.shape == (3, 2)


def test_join_errors():
    s = df.constant(["a", "b"])
    with pytest.raises(ValueError, match=r"Input shapes do not match: \(2,\) vs. \(3,\)") as e:
        df.strings.join([s, df.constant(["a", "b", "c"])])
    assert isinstance(e.value, df.errors.InvalidArgumentError)
    with pytest.raises(df.errors.InvalidArgumentError, match="must be strings, got 'Const_.:0' of dtype int32"):
        df.strings.join([s, df.constant([1, 2])])
    with pytest.raises(df.errors.InvalidArgumentError, match="of dtype int32"):
        df.strings.join([s, 1])
    with pytest.raises(TypeError, match="Expected list for 'inputs'"):
        df.strings.join(s)
    p, q = df.placeholder(df.string, [None]), df.placeholder(df.string, [None])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Input shapes do not match: \[2\] vs. \[3\]"):
        run(df.strings.join([p, q]), {p: ["a", "b"], q: ["a", "b", "c"]})


def test_length():
    words = df.constant(["", "ab", "é"])
    np.testing.assert_array_equal(run(df.strings.length(words)), np.array([0, 2, 2], dtype=np.int32))
    got = run(df.strings.length(words, unit="UTF8_CHAR"))
    assert got.dtype == np.int32 and got.tolist() == [0, 2, 1]
    assert run(df.strings.length(df.constant([b"\xff\x80", b"\xc3\xa9x"]), unit="UTF8_CHAR")).tolist() == [1, 2]
    assert run(df.strings.length("abc")) == 3
    with pytest.raises(ValueError, match="Attr 'unit' of 'StringLength' Op passed string 'CHAR' not in"):
        df.strings.length(words, unit="CHAR")
    with pytest.raises(df.errors.InvalidArgumentError, match="input of StringLength must be strings"):
        df.strings.length(df.constant([1]))


# -- as_string

F32 = [0.0, 1.0, -1.5, 1 / 3, 1e10, 1e-5, 123456.789, np.nan, np.inf, -np.inf, -0.0]
AS_STRING = [
    (F32, "float32", {}, [b"0.000000", b"1.000000", b"-1.500000", b"0.333333", b"10000000000.000000", b"0.000010",
                          b"123456.789062", b"nan", b"inf", b"-inf", b"-0.000000"]),
    (F32[:-1], "float64", {}, [b"0.000000", b"1.000000", b"-1.500000", b"0.333333", b"10000000000.000000",
                               b"0.000010", b"123456.789000", b"nan", b"inf", b"-inf"]),
    ([0, 7, -42, 2**31 - 1], "int32", {}, [b"0", b"7", b"-42", b"2147483647"]),
    ([0, -2**63, 2**40], "int64", {}, [b"0", b"-9223372036854775808", b"1099511627776"]),
    ([0, 255], "uint8", {}, [b"0", b"255"]),
    ([1, 200], "uint64", {}, [b"1", b"200"]),
    ([-5, 5], "int8", {}, [b"-5", b"5"]),
    ([0.1, 1.5], "float16", {}, [b"0.099976", b"1.500000"]),
    ([True, False], "bool", {}, [b"true", b"false"]),
    ([1 + 2j], "complex64", {}, [b"(1.000000,2.000000)"]),
    ([1 / 3 + 2j], "complex128", {}, [b"(0.333333,2.000000)"]),
    ([1.5 + 2j], "complex64", {"precision": 2}, [b"(1.50,2.00)"]),
    (["a"], "string", {}, [b"a"]),
    (F32, "float32", {"precision": 2}, [b"0.00", b"1.00", b"-1.50", b"0.33", b"10000000000.00", b"0.00",
                                        b"123456.79", b"nan", b"inf", b"-inf", b"-0.00"]),
    (F32, "float32", {"precision": 0}, [b"0", b"1", b"-2", b"0", b"10000000000", b"0", b"123457", b"nan", b"inf",
                                        b"-inf", b"-0"]),
    (F32, "float32", {"scientific": True}, [b"0.000000e+00", b"1.000000e+00", b"-1.500000e+00", b"3.333333e-01",
                                            b"1.000000e+10", b"1.000000e-05", b"1.234568e+05", b"nan", b"inf",
                                            b"-inf", b"-0.000000e+00"]),
    (F32, "float32", {"scientific": True, "precision": 3}, [b"0.000e+00", b"1.000e+00", b"-1.500e+00", b"3.333e-01",
                                                            b"1.000e+10", b"1.000e-05", b"1.235e+05", b"nan", b"inf",
                                                            b"-inf", b"-0.000e+00"]),
    (F32, "float32", {"shortest": True}, [b"0", b"1", b"-1.5", b"0.333333", b"1e+10", b"1e-05", b"123457", b"nan",
                                          b"inf", b"-inf", b"-0"]),
    (F32, "float32", {"shortest": True, "precision": 3}, [b"0", b"1", b"-1.5", b"0.333", b"1e+10", b"1e-05",
                                                          b"1.23e+05", b"nan", b"inf", b"-inf", b"-0"]),
    (F32, "float32", {"width": 10}, [b"  0.000000", b"  1.000000", b" -1.500000", b"  0.333333",
                                     b"10000000000.000000", b"  0.000010", b"123456.789062", b"       nan",
                                     b"       inf", b"      -inf", b" -0.000000"]),
    (F32, "float32", {"width": 10, "fill": "0"}, [b"000.000000", b"001.000000", b"-01.500000", b"000.333333",
                                                  b"10000000000.000000", b"000.000010", b"123456.789062",
                                                  b"       nan", b"       inf", b"      -inf", b"-00.000000"]),
    (F32, "float32", {"width": 10, "fill": " "}, [b"  0.000000", b"  1.000000", b" -1.500000", b"  0.333333",
                                                  b" 10000000000.000000", b"  0.000010", b" 123456.789062",
                                                  b"       nan", b"       inf", b"      -inf", b" -0.000000"]),
    (F32, "float32", {"width": 3, "precision": 1}, [b"0.0", b"1.0", b"-1.5", b"0.3", b"10000000000.0", b"0.0",
                                                    b"123456.8", b"nan", b"inf", b"-inf", b"-0.0"]),
    ([0, 7, -42, 2**31 - 1], "int32", {"width": 5}, [b"    0", b"    7", b"  -42", b"2147483647"]),
    ([0, 7, -42, 2**31 - 1], "int32", {"width": 5, "fill": "0"}, [b"00000", b"00007", b"-0042", b"2147483647"]),
    ([-3, 3], "int32", {"width": 4, "fill": "0"}, [b"-003", b"0003"]),
    ([-3.5, 3.5], "float32", {"width": 8, "fill": "0"}, [b"-3.500000", b"3.500000"]),
    ([True, False], "bool", {"width": 7, "fill": "0"}, [b"true", b"false"]),
    (["a"], "string", {"width": 4}, [b"   a"]),
    (["a"], "string", {"width": 4, "fill": "0"}, [b"   a"]),
    (["abc"], "string", {"width": 5, "fill": "-"}, [b"abc  "]),
    (["abc"], "string", {"precision": 1}, [b"abc"]),
    ([1.5, -2.0, np.nan], "float32", {"width": 7, "fill": "+"}, [b"+1.500000", b"-2.000000", b"   +nan"]),
    ([1.5, -2.0, np.nan], "float32", {"width": 7, "fill": "-"}, [b"1.500000", b"-2.000000", b"nan    "]),
    ([1.5, -2.0, np.nan], "float32", {"width": 7, "fill": "#"}, [b"1.500000", b"-2.000000", b"    nan"]),
    ([1.5, -2.0, np.nan], "float32", {"width": 7, "fill": " "}, [b" 1.500000", b"-2.000000", b"    nan"]),
    ([1.5, -2.0, np.nan], "float32", {"width": 7, "fill": "0"}, [b"1.500000", b"-2.000000", b"    nan"]),
    ([5, -3], "int32", {"width": 4, "fill": "+"}, [b"  +5", b"  -3"]),
    ([5, -3], "int32", {"fill": "+"}, [b"+5", b"-3"]),
    ([5, -3], "int32", {"width": 4, "fill": "-"}, [b"5   ", b"-3  "]),
    ([5, -3], "int32", {"width": 4, "fill": "#"}, [b"   5", b"  -3"]),
    ([5, -3], "int32", {"fill": " "}, [b" 5", b"-3"]),
    ([-np.nan], "float32", {}, [b"-nan"]),
    ([1e-45, -1e-45], "float32", {"scientific": True}, [b"0.000000e+00", b"-0.000000e+00"]),
    ([5e-324], "float64", {"scientific": True}, [b"0.000000e+00"]),
]


@pytest.mark.parametrize("values, dtype, kwargs, expected", AS_STRING)
def test_as_string(values, dtype, kwargs, expected):
    x = df.constant(np.array(values, dtype=object if dtype == "string" else dtype))
    assert_strings(run(df.as_string(x, **kwargs)), expected)
    assert df.strings.as_string is df.as_string


def test_as_string_scalar_and_chunked():
    assert_strings(run(df.as_string(df.constant(3.25))), b"3.250000")
    got = run_graph(lambda x: df.as_string(x, width=3), np.arange(6, dtype=np.int32).reshape(2, 3),
                    chunks=[((1, 1), (2, 1))])
    assert_strings(got, [[b"  0", b"  1", b"  2"], [b"  3", b"  4", b"  5"]])


@pytest.mark.parametrize("dtype, kwargs, match", [
    ("int32", {"scientific": True}, "scientific and shortest format not supported for datatype int32"),
    ("int32", {"precision": 2}, "precision not supported for datatype int32"),
    ("bool", {"precision": 2}, "precision not supported for datatype bool"),
    ("bool", {"shortest": True}, "scientific and shortest format not supported for datatype bool"),
    ("bool", {"fill": "x"}, 'Fill argument not supported: "x"'),
    ("float32", {"shortest": True, "scientific": True}, "Cannot select both scientific and shortest notation"),
    ("float32", {"fill": "ab"}, "Fill string must be one or fewer characters"),
    ("float32", {"fill": "x"}, 'Fill argument not supported: "x"'),
])
def test_as_string_errors(dtype, kwargs, match):
    with pytest.raises(df.errors.InvalidArgumentError, match=match):
        df.as_string(df.constant(np.ones(2, dtype)), **kwargs)


# -- format: TF's summaries of tensor values

FORMAT = [
    ("x={} y={}", [[1, 2], "s"], {}, b'x=[1 2] y="s"'),
    ("x=% y=%", [["a"], 1.5], {"placeholder": "%"}, b'x=["a"] y=1.5'),
    ("v {}", [np.arange(10)], {"summarize": 2}, b"v [0 1 ... 8 9]"),
    ("hello", [], {}, b"hello"),
    ("{}", [np.array("s", dtype=object)], {}, b'"s"'),
    ("{} {}", [np.array([1 / 3, 2.5], np.float32), np.float64(1 / 3)], {}, b"[0.333333343 2.5] 0.33333333333333331"),
    ("{}", [[True]], {}, b"[1]"),
    ("{}", [np.array([-1, 2], np.int8)], {}, b"[-1 2]"),
    ("{}", [np.array([1j, 2, 3, 4, 5, 6, 7], np.complex64)], {}, b"[? ? ?...]"),
    ("{}", [np.array([[1j, 2], [3, 4]], np.complex64)], {}, b"[? ? ?...]"),
    ("{}", [np.complex64(1j)], {}, b"?"),
    ("{}", [np.array([3.4028235e38, 1.17549435e-38, 1e-45], np.float32)], {}, b"[3.40282347e+38 1.17549435e-38 0]"),
    ("{}", [np.array([1e300, 5e-324, 1e22, 1e21, 123456789012345680.0])], {},
     b"[1e+300 0 1e+22 1e+21 1.2345678901234568e+17]"),
    ("{}", [np.array([1e6, 1234567.0, 9999999.0, 16777217.0], np.float32)], {}, b"[1e+06 1234567 9999999 16777216]"),
    ("{}", [np.array([-np.nan, -1e-45], np.float32)], {}, b"[-nan -0]"),
    ("{}", [1], {}, b"1"),
]


@pytest.mark.parametrize("template, inputs, kwargs, expected", FORMAT)
def test_format(template, inputs, kwargs, expected):
    tensors = [df.constant(np.asarray(x)) if not isinstance(x, (list, str)) else x for x in inputs]
    assert_strings(run(df.strings.format(template, tensors, **kwargs)), expected)


def test_format_single_tensor_and_mismatch():
    assert_strings(run(df.strings.format("v {}", df.range(10), summarize=2)), b"v [0 1 ... 8 9]")
    with pytest.raises(ValueError, match="The template expects 2 tensors, but the inputs only has 1"):
        df.strings.format("v {} {}", df.range(10))


# -- print

SCHEDULERS = [None, "threads", "sync"]

PRINTS = [  # (inputs, kwargs, text TF prints)
    (lambda: [df.constant("Hello, TensorFlow!")], {}, "Hello, TensorFlow!\n"),
    (lambda: [df.constant(3)], {}, "3\n"),
    (lambda: [df.constant(3.5)], {}, "3.5\n"),
    (lambda: [df.constant(1 / 3)], {}, "0.333333343\n"),
    (lambda: [df.constant(1 / 3, df.float64)], {}, "0.33333333333333331\n"),
    (lambda: [df.constant([1e10, 1e-5, 0.1, 100.0, 1.0])], {}, "[1e+10 1e-05 0.1 100 1]\n"),
    (lambda: [df.constant([True, False])], {}, "[1 0]\n"),
    (lambda: [df.constant(True)], {}, "1\n"),
    (lambda: [df.constant(["a", "b"])], {}, '["a" "b"]\n'),
    (lambda: ["x:", df.constant([1, 2, 3])], {}, "x: [1 2 3]\n"),
    (lambda: [df.range(10)], {}, "[0 1 2 ... 7 8 9]\n"),
    (lambda: [df.range(10)], {"summarize": 2}, "[0 1 ... 8 9]\n"),
    (lambda: [df.range(10)], {"summarize": -1}, "[0 1 2 3 4 5 6 7 8 9]\n"),
    (lambda: [df.range(10)], {"summarize": 0}, "[ ...]\n"),
    (lambda: [df.constant(5)], {"summarize": 0}, "...\n"),
    (lambda: [df.reshape(df.range(12), [3, 4])], {}, "[[0 1 2 3]\n [4 5 6 7]\n [8 9 10 11]]\n"),
    (lambda: [df.reshape(df.range(12), [3, 4])], {"summarize": 1}, "[[0 ... 3]\n ...\n [8 ... 11]]\n"),
    (lambda: [df.reshape(df.range(100), [10, 10])], {},
     "[[0 1 2 ... 7 8 9]\n [10 11 12 ... 17 18 19]\n [20 21 22 ... 27 28 29]\n ...\n [70 71 72 ... 77 78 79]\n"
     " [80 81 82 ... 87 88 89]\n [90 91 92 ... 97 98 99]]\n"),
    (lambda: [df.reshape(df.range(24), [2, 3, 4])], {},
     "[[[0 1 2 3]\n  [4 5 6 7]\n  [8 9 10 11]]\n\n [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]\n"),
    (lambda: [df.constant([], df.float32)], {}, "[]\n"),
    (lambda: [df.zeros([0, 3])], {}, "[]\n"),
    (lambda: [df.zeros([2, 0])], {}, "[\n ...]\n"),
    (lambda: [df.constant([[1, 2]])], {"summarize": 1}, "[[1 2]]\n"),
    (lambda: ["a", 1, df.constant(2)], {"sep": "|", "end": "!\n"}, "a|1|2!\n"),
    (lambda: [[1, 2], {"a": df.constant(1)}], {}, "[1, 2] {'a': 1}\n"),
    (lambda: [{"k": df.constant("s"), "a": 2}, ["x", ("y", df.constant("z"))]], {},
     "{'a': 2, 'k': \"s\"} ['x', ('y', \"z\")]\n"),
    (lambda: [{"k": 1, "a": 2}], {}, "{'a': 2, 'k': 1}\n"),
    (lambda: ["{}", df.constant(1), "{}"], {}, "{} 1 {}\n"),
    (lambda: [df.constant([["ab", "c"], ["d", "e"]])], {}, '[["ab" "c"]\n ["d" "e"]]\n'),
    (lambda: [df.constant(["it's", 'say "x"'])], {}, '["it\\\'s" "say \\"x\\""]\n'),
    (lambda: [df.constant("a\nb")], {}, "a\nb\n"),
    (lambda: [df.constant("é")], {}, "é\n"),
    (lambda: [df.constant(["é", "\x01"])], {}, '["é" "\\001"]\n'),
    (lambda: [df.constant(["\t", "\\", "\x7f", "\r", "?"])], {}, '["\\t" "\\\\" "\\177" "\\r" "?"]\n'),
    (lambda: [df.constant("hi"), df.constant("x")], {}, '"hi" "x"\n'),
    (lambda: ["a", df.constant("x")], {}, 'a "x"\n'),
    (lambda: ["a\tb"], {}, "a\tb\n"),
    (lambda: [], {}, "\n"),
    (lambda: [df.constant([-1.5, 2.25, 3.0])], {}, "[-1.5 2.25 3]\n"),
    (lambda: [df.constant([1, 2], df.int64), df.constant([1, 2], df.uint8)], {}, "[1 2] [1 2]\n"),
    (lambda: [df.constant([1.5, 2.0], df.float16)], {}, "[1.5 2]\n"),
    (lambda: [df.constant([0.1, 1 / 3, 1000.5, 65504], df.float16)], {}, "[0.0999755859 0.333251953 1000.5 65504]\n"),
    (lambda: [df.constant([1 + 2j])], {}, "[?]\n"),
    (lambda: [df.constant([np.nan, np.inf, -np.inf, 0.0, -0.0])], {}, "[nan inf -inf 0 -0]\n"),
    (lambda: [df.constant([1.23456789e-7, 123456789.0])], {}, "[1.23456786e-07 123456792]\n"),
    (lambda: [df.constant([np.pi, np.e], df.float64)], {}, "[3.1415926535897931 2.7182818284590451]\n"),
    (lambda: [df.constant([1e-4, 1e-5, 123456.0, 1234567.0, 0.5, 2.0**24, 1e16])], {},
     "[0.0001 1e-05 123456 ... 0.5 16777216 1e+16]\n"),
    (lambda: [df.constant([0.1, 1e-4, 1e-5, 123456.0, 1e15, 1e16, 1e17, 2.5], df.float64)], {},
     "[0.1 0.0001 1e-05 ... 1e+16 1e+17 2.5]\n"),
    (lambda: ["plain", 1.5, True, None], {}, "plain 1.5 True None\n"),
    (lambda: [[df.constant([1.5, 2.0]), df.constant([1.5, 2.0])]], {}, "[[1.5 2], [1.5 2]]\n"),
    (lambda: ["v", df.constant([1.5, 2.0])], {"summarize": None}, "v [1.5 2]\n"),
]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("inputs, kwargs, expected", PRINTS, ids=[repr(c[2])[1:-1][:30] for c in PRINTS])
def test_print(capfd, scheduler, inputs, kwargs, expected):
    op = df.print(*inputs(), **kwargs)
    assert isinstance(op, df.Operation) and op.type == "PrintV2"
    assert run(op, scheduler=scheduler) is None
    out, err = capfd.readouterr()
    assert (out, err) == ("", expected)


def test_print_shows_invalid_utf8_escaped(capfd):
    # TF writes such bytes to the stream as they are; a Python text stream cannot, so they show as \x escapes
    x = df.constant([1.0])
    run([df.print(df.constant([b"\xff", b"\xc3\xa9"])), df.Print(x, [df.constant(b"\xff")])])
    assert sorted(capfd.readouterr().err.splitlines()) == ['["\\xff" "é"]', "[\\xff]"]


def test_print_streams(capsys, tmp_path):
    x = df.constant([1, 2, 3])
    with df.Session() as sess:
        sess.run(df.print("to stdout", x, output_stream=sys.stdout))
        sess.run(df.print("to stderr", x, output_stream=sys.stderr))
        path = tmp_path / "log.txt"
        op = df.print("to file", x, output_stream=f"file://{path}")
        sess.run(op)
        sess.run(op)
    assert capsys.readouterr() == ("to stdout [1 2 3]\n", "to stderr [1 2 3]\n")
    assert path.read_text() == "to file [1 2 3]\n" * 2
    with pytest.raises(ValueError, match="Unsupported output stream"):
        df.print("x", output_stream="bogus")


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_print_runs_as_a_control_dependency(capfd, scheduler):
    x = df.constant([1.0, 2.0])
    pr = df.print("hello", name="myprint")
    assert pr.name == "myprint" and pr.inputs[0].op.type == "StringFormat"
    with df.control_dependencies([pr]):
        y = df.identity(x)
    with df.Session(scheduler=scheduler) as sess:
        np.testing.assert_array_equal(sess.run(y), [1.0, 2.0])
        assert capfd.readouterr().err == "hello\n"
        sess.run(y)
        assert capfd.readouterr().err == "hello\n"  # once per run
        sess.run(x)
        assert capfd.readouterr().err == ""


def test_two_prints_of_the_same_text_both_print(capfd):
    run(df.group(df.print("same"), df.print("same")))
    assert capfd.readouterr().err == "same\nsame\n"


def test_print_of_chunked_and_fed_values(capfd):
    big = df.placeholder(df.float32, [None, None])
    value = da.arange(100, dtype="f4").reshape(10, 10).rechunk(3)
    for scheduler in SCHEDULERS:
        run(df.print("chunked", big, summarize=2), {big: value}, scheduler=scheduler)
        assert capfd.readouterr().err == ("chunked [[0 1 ... 8 9]\n [10 11 ... 18 19]\n ...\n [80 81 ... 88 89]\n"
                                          " [90 91 ... 98 99]]\n")


# -- TF1's Print

X = [1.0, 2.0, 3.0]

PRINT_V1 = [  # (data, message, summarize, text TF prints)
    (lambda x: [x], "x is ", None, "x is [1 2 3]\n"),
    (lambda x: [x, df.constant(5)], None, None, "[1 2 3][5]\n"),
    (lambda x: [df.range(10)], "r", None, "r[0 1 2...]\n"),
    (lambda x: [df.reshape(df.range(12), [3, 4])], "m", 5, "m[[0 1 2 3][4...]...]\n"),
    (lambda x: [df.reshape(df.range(12), [3, 4])], "m", None, "m[[0 1 2...]...]\n"),
    (lambda x: [df.reshape(df.range(12), [3, 4])], "m", 100, "m[[0 1 2 3][4 5 6 7][8 9 10 11]]\n"),
    (lambda x: [df.reshape(df.range(24), [2, 3, 4])], "m", 7, "m[[[0 1 2 3][4 5 6...]]...]\n"),
    (lambda x: [df.constant(["a", "b'c"]), df.constant("hi")], "s", None, "s[a b\\'c][hi]\n"),
    (lambda x: [df.constant("a\tb\n\x01"), df.constant([b"y", b"x"])], "m", None, "m[a\\tb\\n\\001][y x]\n"),
    (lambda x: [df.constant([1 / 3, 0.1])], "f", None, "f[0.333333343 0.1]\n"),
    (lambda x: [df.constant(1 / 3)], "f", None, "f[0.333333343]\n"),
    (lambda x: [df.constant([True, False]), df.constant(True)], "b", None, "b[1 0][1]\n"),
    (lambda x: [df.zeros([0])], "e", None, "e[]\n"),
    (lambda x: [df.range(10)], "e", -1, "e[0 1 2 3 4 5 6 7 8 9]\n"),
    (lambda x: [df.range(10)], "e", 0, "e[...]\n"),
    (lambda x: [], "nothing", None, "nothing\n"),
]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("data, message, summarize, expected", PRINT_V1, ids=[repr(c[3])[1:-1][:30] for c in PRINT_V1])
def test_Print(capfd, scheduler, data, message, summarize, expected):
    x = df.constant(X)
    y = df.Print(x, data(x), message=message, summarize=summarize)
    assert y.op.type == "Print" and y.shape == (3,) and y.dtype == df.float32
    np.testing.assert_array_equal(run(y, scheduler=scheduler), X)
    assert capfd.readouterr() == ("", expected)


def test_Print_first_n_counts_per_session(capfd):
    x = df.constant(X)
    p = df.Print(x, [x], "fn ", first_n=2)
    with df.Session() as sess:
        for _ in range(3):
            sess.run(p)
        assert capfd.readouterr().err == "fn [1 2 3]\n" * 2
    with df.Session() as other:
        other.run(p)
    assert capfd.readouterr().err == "fn [1 2 3]\n"


def test_Print_prints_once_per_run_and_only_when_computed(capfd):
    x = df.constant(X)
    p = df.Print(x, [x], "both ")
    got = run([p, p * 2])
    np.testing.assert_array_equal(got[1], [2.0, 4.0, 6.0])
    assert capfd.readouterr().err == "both [1 2 3]\n"
    g = df.gradients(df.reduce_sum(df.Print(x, [x], "g") * 2.0), x)
    np.testing.assert_array_equal(run(g)[0], [2.0, 2.0, 2.0])
    assert capfd.readouterr().err == ""  # the gradient needs no value of the Print


def test_Print_of_chunked_input_and_data(capfd):
    big = df.placeholder(df.float32, [None, None])
    total = df.reduce_sum(df.Print(big, [big], "big "))
    for scheduler in SCHEDULERS:
        assert run(total, {big: da.ones((100, 100), chunks=7)}, scheduler=scheduler) == 10000.0
        assert capfd.readouterr().err == "big [[1 1 1...]...]\n"


def test_Print_of_strings_and_errors(capfd):
    s = df.constant("in")
    assert_strings(run(df.Print(s, [s], "ps")), b"in")
    assert capfd.readouterr().err == "ps[in]\n"
    with pytest.raises(TypeError, match="Expected list for 'data' argument to 'Print' Op"):
        df.Print(s, s)
