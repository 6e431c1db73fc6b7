"""TF1's string ops (case, strip, regex, substr, to_number, joins, ngrams, base64, decompression, Unicode). Expected
values and error messages are TensorFlow 1.x's (``tensorflow.compat.v1`` in graph mode), observed for the same
programs, or Python's references (str methods, re, base64, zlib) where they agree with it."""
import base64
import gzip
import zlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops import strings_more as sm
from daskflow.testing import SweepCase, run_graph

TESTED_OPS = {"StringLower", "StringUpper", "StringStrip", "StaticRegexReplace", "StaticRegexFullMatch",
              "RegexReplace", "RegexFullMatch", "Substr", "StringToNumber", "ReduceJoin", "UnsortedSegmentJoin",
              "StringNGrams", "EncodeBase64", "DecodeBase64", "DecodeCompressed", "UnicodeEncode",
              "UnicodeTranscode"}

E = "\u00e9".encode()  # é in UTF-8


def run(fetches):
    with df.Session() as sess:
        return sess.run(fetches)


def strings(value):
    return np.array(value, dtype=object)


def check(got, expected):
    if isinstance(expected, bytes):  # a scalar string fetches as bytes, as in TF
        assert type(got) is bytes and got == expected
        return
    expected = np.asarray(expected, dtype=object if isinstance(np.ravel(expected)[0], bytes) else None)
    assert isinstance(got, (np.ndarray, bytes, np.generic)) and np.shape(got) == expected.shape
    assert np.asarray(got).tolist() == expected.tolist()


CASES = [  # (name, build, TF's value)
    ("lower ascii", lambda: sm.lower([b"HeLLo \xc3\x89"]), [b"hello \xc3\x89"]),
    ("lower utf8", lambda: sm.lower(["HeLLo \u00c9"], encoding="utf-8"), [b"hello " + E]),
    ("upper utf8", lambda: sm.upper(["stra\u00dfe \u00e9"], encoding="utf-8"), [b"STRASSE \xc3\x89"]),
    ("strip", lambda: sm.strip([b"  a b \t\n", b"\x0b x\x0c\r"]), [b"a b", b"x"]),
    ("regex_replace groups", lambda: sm.regex_replace([b"hello world", b"aaa"], "(o|a)", r"[\1]"),
     [b"hell[o] w[o]rld", b"[a][a][a]"]),
    ("regex_replace first", lambda: sm.regex_replace([b"hello world"], "l+", r"<\0>", replace_global=False),
     [b"he<ll>o world"]),
    ("regex_replace backslash", lambda: sm.regex_replace([b"a.c"], r"\.", "\\\\"), [b"a\\c"]),
    ("regex_replace missing group", lambda: sm.regex_replace([b"abc"], "(b)", r"\2"), [b"abc"]),
    ("regex_replace tensors", lambda: sm.regex_replace([b"abc"], df.constant("b"), df.constant("X")), [b"aXc"]),
    ("regex_full_match", lambda: sm.regex_full_match([b"abc", b"abcd", b""], "[a-c]+"), [True, False, False]),
    ("regex_full_match utf8 char", lambda: sm.regex_full_match([E, b"a"], df.constant(".")), [True, True]),
    ("substr", lambda: sm.substr([b"hello", b"world"], 1, 3), [b"ell", b"orl"]),
    ("substr negative pos", lambda: sm.substr([b"hello", b"world"], -2, 5), [b"lo", b"ld"]),
    ("substr at end", lambda: sm.substr([b"hello"], 5, 1), [b""]),
    ("substr negative len", lambda: sm.substr([b"hello"], 1, -1), [b"ello"]),
    ("substr utf8", lambda: sm.substr(["h\u00e9llo w\u00f6rld"], 1, 4, unit="UTF8_CHAR"), [b"\xc3\xa9llo"]),
    ("substr utf8 negative", lambda: sm.substr(["h\u00e9llo w\u00f6rld"], -4, 2, unit="UTF8_CHAR"), [b"\xc3\xb6r"]),
    ("substr broadcast", lambda: sm.substr([[b"hello", b"world"], [b"abcde", b"fghij"]], [1, 2], [2, 3]),
     [[b"el", b"rld"], [b"bc", b"hij"]]),
    ("substr scalar input", lambda: sm.substr(b"hello", [0, 1, 2], [1, 2, 3]), [b"h", b"el", b"llo"]),
    ("to_number", lambda: sm.to_number([b"1.5", b" 2", b"3e2", b"inf", b"0x10", b"1e39", b"-INF"]),
     np.array([1.5, 2, 300, np.inf, 16, np.inf, -np.inf], np.float32)),
    ("to_number int32", lambda: sm.string_to_number([b"12", b" -3 ", b"+4"], out_type=df.int32),
     np.array([12, -3, 4], np.int32)),
    ("to_number float64", lambda: sm.to_number([b"0.1", b"1e400"], out_type=df.float64), np.array([0.1, np.inf])),
    ("reduce_join axis", lambda: sm.reduce_join([["a", "b"], ["c", "d"]], axis=1, separator="-"), [b"a-b", b"c-d"]),
    ("reduce_join axis 0", lambda: sm.reduce_join([["a", "b"], ["c", "d"]], axis=0), [b"ac", b"bd"]),
    ("reduce_join all", lambda: sm.reduce_join([["a", "b"], ["c", "d"]]), b"abcd"),
    ("reduce_join keep_dims", lambda: sm.reduce_join([["a", "b"], ["c", "d"]], axis=-1, keep_dims=True),
     [[b"ab"], [b"cd"]]),
    ("reduce_join keepdims all", lambda: sm.reduce_join([["a", "b"], ["c", "d"]], keepdims=True), [[b"abcd"]]),
    ("reduce_join axes order", lambda: sm.reduce_join(df.reshape(df.constant(list("abcdefgh")), [2, 2, 2]),
                                                      axis=[0, 2], separator=","), [b"a,e,b,f", b"c,g,d,h"]),
    ("reduce_join empty", lambda: sm.reduce_join(df.zeros([2, 0], df.string), axis=1), [b"", b""]),
    ("unsorted_segment_join", lambda: sm.unsorted_segment_join(["a", "b", "c", "d"], [1, 0, 1, 3], 4, separator=":"),
     [b"b", b"a:c", b"", b"d"]),
    ("unsorted_segment_join rows", lambda: sm.unsorted_segment_join([["a", "b"], ["c", "d"]], [1, 0], 3),
     [[b"c", b"d"], [b"a", b"b"], [b"", b""]]),
    ("ngrams", lambda: sm.ngrams([["a", "b", "c"], ["d", "e", "f"]], 2), [[b"a b", b"b c"], [b"d e", b"e f"]]),
    ("ngrams padded", lambda: sm.ngrams(["a", "b", "c"], (2, 3), separator="|", pad_values=("<", ">")),
     [b"<|a", b"a|b", b"b|c", b"c|>", b"<|<|a", b"<|a|b", b"a|b|c", b"b|c|>", b"c|>|>"]),
    ("ngrams padding_width", lambda: sm.ngrams(["a", "b", "c"], 3, pad_values="#", padding_width=1),
     [b"# a b", b"a b c", b"b c #"]),
    ("ngrams padding clamped", lambda: sm.ngrams(["a", "b", "c"], 2, pad_values="#", padding_width=3),
     [b"# a", b"a b", b"b c", b"c #"]),
    ("ngrams unigrams unpadded", lambda: sm.ngrams(["a", "b"], 1, pad_values="#"), [b"a", b"b"]),
    ("ngrams short kept", lambda: sm.ngrams(["a", "b"], 3, preserve_short_sequences=True), [b"a b"]),
    ("ngrams widths", lambda: sm.ngrams([["a", "b"]], (1, 2)), [[b"a", b"b", b"a b"]]),
    ("encode_base64", lambda: sm.encode_base64([b"", b"a", b"ab", b"abc", b"\xff\xfe\xfd\xfc", b"??>>"]),
     [b"", b"YQ", b"YWI", b"YWJj", b"__79_A", b"Pz8-Pg"]),
    ("encode_base64 pad", lambda: sm.encode_base64([b"", b"a", b"ab", b"abc", b"\xfb\xff"], pad=True),
     [b"", b"YQ==", b"YWI=", b"YWJj", b"-_8="]),
    ("decode_base64", lambda: sm.decode_base64([b"YQ", b"YQ==", b"_-8", b"YWJj", b""]),
     [b"a", b"a", b"\xff\xef", b"abc", b""]),
    ("decode_compressed zlib", lambda: sm.decode_compressed([zlib.compress(b"hello"), zlib.compress(b"")], "ZLIB"),
     [b"hello", b""]),
    ("decode_compressed gzip", lambda: sm.decode_compressed([gzip.compress(b"hello")], "GZIP"), [b"hello"]),
    ("decode_compressed none", lambda: sm.decode_compressed([b"xyz"]), [b"xyz"]),
    ("unicode_encode", lambda: sm.unicode_encode([[72, 233, 0x1F600], [97, 98, 99]], "UTF-8"),
     [b"H\xc3\xa9\xf0\x9f\x98\x80", b"abc"]),
    ("unicode_encode utf16", lambda: sm.unicode_encode([72, 233], "UTF-16-BE"), b"\x00H\x00\xe9"),
    ("unicode_encode utf32", lambda: sm.unicode_encode([72, 0x1F600], "UTF-32-BE"), b"\x00\x00\x00H\x00\x01\xf6\x00"),
    ("unicode_encode replace", lambda: sm.unicode_encode([72, 0x110000, -1], "UTF-8"), b"H\xef\xbf\xbd\xef\xbf\xbd"),
    ("unicode_encode ignore", lambda: sm.unicode_encode([72, -1, 73], "UTF-8", errors="ignore"), b"HI"),
    ("unicode_encode empty rows", lambda: sm.unicode_encode(df.zeros([2, 0], df.int32), "UTF-8"), [b"", b""]),
    ("unicode_transcode", lambda: sm.unicode_transcode(["h\u00e9llo".encode(), b"a\xffb"], "UTF-8", "UTF-16-BE"),
     [b"\x00h\x00\xe9\x00l\x00l\x00o", b"\x00a\xff\xfd\x00b"]),
    ("unicode_transcode replacement", lambda: sm.unicode_transcode([b"a\xffb"], "UTF-8", "UTF-8",
                                                                   replacement_char=63), [b"a?b"]),
    ("unicode_transcode ignore", lambda: sm.unicode_transcode([b"a\xffb"], "UTF-8", "UTF-8", errors="ignore"),
     [b"ab"]),
    ("unicode_transcode latin1", lambda: sm.unicode_transcode([b"a\xe9"], "ISO-8859-1", "UTF-8"), [b"a" + E]),
    ("unicode_transcode controls", lambda: sm.unicode_transcode([b"\t\n\x7f\x1f\x00"], "UTF-8", "UTF-8",
                                                                replace_control_characters=True),
     [b"\xef\xbf\xbd\xef\xbf\xbd\x7f\xef\xbf\xbd\xef\xbf\xbd"]),
    ("unicode_transcode surrogate", lambda: sm.unicode_transcode([b"\xed\xa0\x80"], "UTF-8", "UTF-8"),
     [b"\xef\xbf\xbd" * 3]),
    ("unicode_transcode utf16 lone surrogate", lambda: sm.unicode_transcode([b"\x00a\xd8\x00"], "UTF-16-BE",
                                                                            "UTF-8"), [b"a\xef\xbf\xbd"]),
]


@pytest.mark.parametrize("name, build, expected", CASES, ids=[c[0] for c in CASES])
def test_values_as_tf(name, build, expected):
    t = build()
    got = run(t)
    if isinstance(expected, np.ndarray) and expected.dtype.kind == "f":
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    else:
        check(got, expected)
    assert t.shape.is_compatible_with(np.shape(got))


def test_to_number_nan():
    assert np.isnan(run(sm.to_number([b"-nan", b"NaN"]))).all()


def test_values_against_python_references():
    words = strings([b"Hello", b"  World ", b"", b"MiXeD 123", b"\xff\x00z"])
    assert run(sm.lower(words)).tolist() == [w.lower() for w in words]
    assert run(sm.upper(words)).tolist() == [w.upper() for w in words]
    assert run(sm.strip(words)).tolist() == [w.strip() for w in words]
    assert run(sm.encode_base64(words, pad=True)).tolist() == [base64.urlsafe_b64encode(w) for w in words]
    assert run(sm.decode_base64(sm.encode_base64(words))).tolist() == words.tolist()


@pytest.mark.parametrize("build", [
    lambda s: sm.substr(s, 1, 2), lambda s: sm.upper(s), lambda s: sm.regex_replace(s, "[aeiou]", "_"),
    lambda s: sm.reduce_join(s, axis=1, separator="+"), lambda s: sm.reduce_join(s, axis=0),
    lambda s: sm.ngrams(s, 2), lambda s: sm.unsorted_segment_join(s, [2, 0, 2], 3),
])
def test_chunked_inputs_give_the_one_chunk_values(build):
    value = strings([[b"apple", b"berry", b"cherry"], [b"date", b"elder", b"fig"], [b"grape", b"kiwi", b"lime"]])
    whole = run_graph(build, value)
    chunked = run_graph(build, value, chunks=[((1, 2), (2, 1))])
    assert chunked.tolist() == whole.tolist()


# -- errors

RUN_ERRORS = [  # (build, class, TF's message)
    (lambda: sm.decode_base64([b"Y"]), df.errors.InvalidArgumentError, "Base64 string length cannot be 1 modulo 4."),
    (lambda: sm.decode_base64([b"$"]), df.errors.InvalidArgumentError, "Base64 string length cannot be 1 modulo 4."),
    (lambda: sm.decode_base64([b"Y$Q"]), df.errors.InvalidArgumentError, "Invalid character found in base64."),
    (lambda: sm.decode_base64([b"+/"]), df.errors.InvalidArgumentError, "Invalid character found in base64."),
    (lambda: sm.decode_base64([b"YQ="]), df.errors.InvalidArgumentError, "Invalid character found in base64."),
    (lambda: sm.decode_base64([b"YQ==YQ=="]), df.errors.InvalidArgumentError, "Invalid character found in base64."),
    (lambda: sm.substr([b"hello", b"world"], [1, 6], [1, 1]), df.errors.InvalidArgumentError,
     "pos 6 out of range for string b'world' at index 1"),
    (lambda: sm.substr([b"hello"], -6, 1), df.errors.InvalidArgumentError,
     "pos -6 out of range for string b'hello' at index 0"),
    (lambda: sm.substr(["h\u00e9llo"], 6, 2, unit="UTF8_CHAR"), df.errors.InvalidArgumentError,
     "pos 6 out of range for string at index 0"),
    (lambda: sm.to_number([b"abc"]), df.errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: abc"),
    (lambda: sm.to_number([b"1.5"], out_type=df.int64), df.errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: 1.5"),
    (lambda: sm.to_number([b"3000000000"], out_type=df.int32), df.errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: 3000000000"),
    (lambda: sm.to_number([b"-1"], out_type=df.uint32), df.errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: -1"),
    (lambda: sm.to_number([b"1_0"]), df.errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: 1_0"),
    (lambda: sm.to_number([b""]), df.errors.InvalidArgumentError,
     "StringToNumberOp could not correctly convert string: "),
    (lambda: sm.unsorted_segment_join(["a", "b"], [1, 5], 3), df.errors.InvalidArgumentError,
     "segment_ids are not allowed to exceed num_segments or to have negative values."),
    (lambda: sm.unsorted_segment_join(["a", "b"], [1, -1], 3), df.errors.InvalidArgumentError,
     "segment_ids are not allowed to exceed num_segments or to have negative values."),
    (lambda: sm.unicode_encode([72, 0xD800], "UTF-8", errors="strict"), df.errors.InvalidArgumentError,
     "Code point is out of range for Unicode, or is a surrogate."),
    (lambda: sm.unicode_transcode([b"a\xffb"], "UTF-8", "UTF-8", errors="strict"), df.errors.InvalidArgumentError,
     "Invalid formatting on input string"),
    (lambda: sm.decode_compressed([b"xyzw"], "ZLIB"), df.errors.DataLossError,
     "inflate() failed with error -3: incorrect header check"),
    (lambda: sm.decode_compressed([b"xyzw"], "GZIP"), df.errors.DataLossError, "inflate() failed"),
    (lambda: sm.regex_replace([b"abc"], df.constant("("), "x"), df.errors.InvalidArgumentError,
     "Invalid pattern: (, error: missing )"),
]


@pytest.mark.parametrize("build, cls, message", RUN_ERRORS)
def test_errors_when_run_as_tf(build, cls, message):
    t = build()
    with pytest.raises(cls) as e:
        run(t)
    assert str(e.value).startswith(message) and f"[op '{t.op.name}' (type {t.op.type})]" in str(e.value)


def test_substr_error_index_counts_across_chunks():
    value = strings([b"abc", b"abcd", b"ab", b"abcdef"])
    with pytest.raises(df.errors.InvalidArgumentError, match="pos 3 out of range for string b'ab' at index 2"):
        run_graph(lambda s: sm.substr(s, 3, 1), value, chunks=[((2, 2),)])


BUILD_ERRORS = [
    (lambda: sm.to_number(["1"], out_type=df.int8), TypeError, "Value passed to parameter 'out_type' has DataType "
     "int8 not in list of allowed values: float32, float64, int32, int64, uint32, uint64"),
    (lambda: sm.reduce_join([["a", "b"]], axis=2), ValueError, "Invalid reduction dimension 2 for input with 2 "
     "dimensions."),
    (lambda: sm.reduce_join([["a", "b"]], axis=[1, 1]), df.errors.InvalidArgumentError,
     "Duplicate reduction dimension 1"),
    (lambda: sm.regex_replace(["a"], "(", "x"), df.errors.InvalidArgumentError, "Invalid pattern: (, error:"),
    (lambda: sm.regex_full_match(["a"], "[", "x"), df.errors.InvalidArgumentError, "Invalid pattern: [, error:"),
    (lambda: sm.substr(["hello", "world"], [0, 1, 2], 1), ValueError, "pos and len should have the same shape"),
    (lambda: sm.substr(["hello"], 0, 1, unit="CHAR"), ValueError, "Attr 'unit' of 'Substr' Op passed string 'CHAR'"),
    (lambda: sm.ngrams(["a"], 0), ValueError, "All ngram_widths must be greater than 0. Got 0"),
    (lambda: sm.ngrams("a", 1), ValueError, "Data must have rank>0"),
    (lambda: sm.unicode_encode([72], "UTF-7"), ValueError, "Attr 'output_encoding' of 'UnicodeEncode' Op passed "
     "string 'UTF-7' not in: \"UTF-8\", \"UTF-16-BE\", \"UTF-32-BE\"."),
    (lambda: sm.unicode_encode(72, "UTF-8"), ValueError, "input_tensor's rank must be at least 1."),
    (lambda: sm.unicode_transcode(["a"], "UTF-8", "ISO-8859-1"), ValueError, "Attr 'output_encoding' of "
     "'UnicodeTranscode' Op passed string 'ISO-8859-1'"),
    (lambda: sm.unicode_transcode(["a"], "FOO", "UTF-8"), df.errors.InvalidArgumentError,
     "Could not create converter for input encoding: FOO"),
    (lambda: sm.lower(["A"], encoding="latin1"), df.errors.InvalidArgumentError,
     "only utf-8 or '' (no encoding) is supported, received latin1"),
    (lambda: sm.decode_compressed(["x"], "LZ4"), df.errors.InvalidArgumentError, "Only ZLIB, GZIP or NONE are "
     "supported compressions"),
    (lambda: sm.unsorted_segment_join(["a", "b"], [1, 0, 1], 3), ValueError, "segment_ids shape"),
    (lambda: sm.upper([1, 2]), df.errors.InvalidArgumentError, "input of StringUpper must be strings"),
]


@pytest.mark.parametrize("build, cls, message", BUILD_ERRORS)
def test_errors_when_built(build, cls, message):
    with pytest.raises(cls) as e:
        build()
    assert str(e.value).startswith(message)


def test_string_ops_are_not_differentiable():
    x = df.constant([1.5, 2.5])
    y = sm.to_number(df.as_string(x))
    assert df.gradients(df.reduce_sum(y), x) == [None]


def _zlib_rows(rows):
    return np.array([[zlib.compress(v) for v in row] for row in rows], dtype=object)


TEXT = np.array([[b"aa Bb ", b" hello"], [b"Stra\xc3\x9fe", b""], [b"x1", b"aaa"]], dtype=object)

def _after_split(s):
    words = sm.split(s).values  # a vector whose length is known only when it runs
    return [sm.reduce_join(words, separator="|"), sm.ngrams(words, 2, pad_values="#"),
            sm.unsorted_segment_join(words, df.strings.length(words) % 2, 2, ","),
            sm.unicode_encode(df.cast(sm.decode_raw(s, df.uint8), df.int32), "UTF-16-BE")]


SWEEP_CASES = [
    SweepCase(lambda s: [sm.lower(s), sm.upper(s, encoding="utf-8"), sm.strip(s),
                         sm.regex_replace(s, "a+", r"<\0>"),
                         sm.regex_full_match(s, "[a-z ]*"), sm.encode_base64(s), sm.decode_base64(sm.encode_base64(s, pad=True)),
                         sm.unicode_transcode(s, "UTF-8", "UTF-16-BE")],
              TEXT, name="string_map"),
    SweepCase(lambda s, p, r: [sm.regex_replace(s, p, r, replace_global=False), sm.regex_full_match(s, p)],
              TEXT, np.array(b"a+", dtype=object), np.array(b"X", dtype=object), name="regex_tensors"),
    SweepCase(lambda z: sm.decode_compressed(z, "ZLIB"), _zlib_rows(TEXT), name="decode_compressed"),
    SweepCase(lambda s, pos, n: sm.substr(s, pos, n), TEXT, np.array([[0, 1], [2, 0], [-1, 1]], dtype=np.int32),
              np.array([[1, 3], [2, -1], [5, 0]], dtype=np.int32), name="substr"),
    SweepCase(lambda s: [sm.to_number(s), sm.to_number(s, df.int64)],
              np.array([[b"1", b" 22"], [b"-3", b"4 "]], dtype=object), name="to_number"),
    SweepCase(lambda s, ids, k: [sm.reduce_join(s, 1, separator="/"), sm.reduce_join(s),
                                 sm.reduce_join(s, [1, 0], keepdims=True), sm.unsorted_segment_join(s, ids, k, "+"),
                                 sm.ngrams(s, [1, 2], pad_values="#"), sm.ngrams(s, 3, preserve_short_sequences=True)],
              TEXT, np.array([2, 0, 2], dtype=np.int32), np.array(4, dtype=np.int32), name="string_joins"),
    SweepCase(lambda c: [sm.unicode_encode(c, "UTF-8"), sm.unicode_encode(c, "UTF-16-BE", errors="ignore")],
              np.array([[72, 233, 0x1F600], [-1, 105, 33]], dtype=np.int32), name="unicode_encode"),
    SweepCase(_after_split, np.array([[b"ab cd", b"e fgh"], [b"ijklm", b"  n  "]], dtype=object), name="after_split"),
]
