"""tf.strings ops with ragged outputs: unicode_decode(_with_offsets), unicode_split(_with_offsets), bytes_split.
Expected values and messages are TensorFlow 1.x's (``tensorflow.compat.v1`` in graph mode) for the same programs."""
import numpy as np
import pytest

import daskflow as df
from daskflow.ops import strings_unicode as su
from daskflow.ragged import RaggedTensorValue, constant
from daskflow.testing import SweepCase


def _decoded(s):
    chars, offsets = su.unicode_decode_with_offsets(s, "UTF-8")
    return [su.unicode_decode(s, "UTF-8").flat_values, chars.flat_values, offsets.flat_values, offsets.row_splits]


SWEEP_CASES = [SweepCase(_decoded, np.array(["h\u00e9", "", "\u00fcber"], dtype=object), name="unicode_decode")]

TESTED_OPS = {"UnicodeDecode", "UnicodeDecodeWithOffsets"}

BAD_UTF8 = [b"\xed\xa0\x80a", b"\xf4\x90\x80\x80", b"\xc0\x80z", b"\xe2\x82z", b"\xf0\x9f\x98"]


def run(x, feed=None):
    with df.Session() as s:
        return s.run(x, feed)


def value(x):
    return x.to_list() if isinstance(x, RaggedTensorValue) else x.tolist()


DECODE = [  # (input, encoding, keyword args, TF's code points, TF's offsets)
    ([b"a\xc3\xa9\xe2\x82\xacx", b"\xffa"], "UTF-8", {}, [[97, 233, 8364, 120], [65533, 97]], [[0, 1, 3, 6], [0, 1]]),
    (BAD_UTF8, "UTF-8", {},
     [[65533, 65533, 65533, 97], [65533] * 4, [65533, 65533, 122], [65533, 122], [65533]],
     [[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2], [0, 2], [0]]),
    ([b"\xffa\xe2\x82", b"a\x01b"], "UTF-8", {"errors": "ignore"}, [[97], [97, 1, 98]], [[1], [0, 1, 2]]),
    ([b"\xffa\xe2\x82", b"a\x01b"], "UTF-8", {"replacement_char": 63, "replace_control_characters": True},
     [[63, 97, 63], [97, 63, 98]], [[0, 1, 2], [0, 1, 2]]),
    ([b"a\x01\x7f\xc2\x85\x09"], "UTF-8", {"replace_control_characters": True}, [[97, 65533, 127, 133, 65533]],
     [[0, 1, 2, 3, 5]]),
    ([b"\xd8\x3d\xde\x00\x00a", b"\xdc\x00\x00a", b"\x00a\x00", b"\xd8\x3d\x00a"], "UTF-16-BE", {},
     [[128512, 97], [65533, 97], [97, 65533], [65533, 97]], [[0, 4], [0, 2], [0, 2], [0, 2]]),
    ([b"\x00\x11\x00\x00\x00\x00\x00a", b"\x00\x00\xd8\x00", b"\x00\x00\x00a\x00"], "UTF-32-BE", {},
     [[65533, 97], [65533], [97, 65533]], [[0, 4], [0], [0, 4]]),
    ([b"\xfe\xff\x00a", b"\xff\xfea\x00"], "UTF-16", {}, [[97], [97]], [[0], [0]]),
    ([b"a\x00"], "UTF-16-LE", {}, [[97]], [[0]]),
    ([b"a\xff"], "ISO-8859-1", {}, [[97, 255]], [[0, 1]]),
    ([b"a\x80"], "windows-1252", {}, [[97, 8364]], [[0, 1]]),
    ([b"a\x80"], "US-ASCII", {}, [[97, 65533]], [[0, 1]]),
    ([b"\xffa"], "UTF-8", {"errors": "ignore", "replace_control_characters": True}, [[97]], [[1]]),
    ([b"\x82\xa0a"], "Shift_JIS", {}, [[12354, 97]], [[0, 2]]),
]


@pytest.mark.parametrize("strings,encoding,kw,codepoints,offsets", DECODE)
def test_decode(strings, encoding, kw, codepoints, offsets):
    with df.Graph().as_default():
        cp, off = run([su.unicode_decode(strings, encoding, **kw), su.unicode_decode_with_offsets(strings, encoding,
                                                                                                    **kw)])
        assert cp.to_list() == codepoints and off[0].to_list() == codepoints
        assert cp.flat_values.dtype == np.int32 and off[1].flat_values.dtype == np.int64
        assert off[1].to_list() == offsets


def test_decode_shapes():
    with df.Graph().as_default():
        rt = su.unicode_decode([["a", "bé"], ["€", ""]], "UTF-8")
        assert (rt.shape.as_list(), rt.ragged_rank) == ([2, 2, None], 2)
        scalar = su.unicode_decode("aé", "UTF-8")
        assert isinstance(scalar, df.Tensor)
        nested = su.unicode_decode(constant([["ab"], [], ["c", ""]]), "UTF-8")
        got = run([rt, scalar, nested])
        assert got[0].to_list() == [[[97], [98, 233]], [[8364], []]]
        assert got[1].tolist() == [97, 233]
        assert got[2].to_list() == [[[97, 98]], [], [[99], []]]
        assert [s.tolist() for s in got[0].nested_row_splits] == [[0, 2, 4], [0, 1, 3, 4, 4]]


def test_decode_then_dense_and_fed():
    with df.Graph().as_default():
        x = df.placeholder(df.string, [None])
        rt = su.unicode_decode(x, "UTF-8")
        got = run([rt.to_tensor(), rt + 1, rt.row_lengths()], {x: np.array([b"ab", b"", b"c"], dtype=object)})
        assert got[0].tolist() == [[97, 98], [0, 0], [99, 0]]
        assert got[1].to_list() == [[98, 99], [], [100]] and got[2].tolist() == [2, 0, 1]


def test_decode_errors():
    with df.Graph().as_default():
        with pytest.raises(df.errors.InvalidArgumentError, match="Invalid formatting on input string"):
            run(su.unicode_decode([b"\xffa"], "UTF-8", errors="strict"))
        with pytest.raises(df.errors.InvalidArgumentError, match="Could not create converter for input encoding: "
                                                                 "FOO"):
            su.unicode_decode([b"a"], "FOO")
        with pytest.raises(ValueError, match="Attr 'errors' of 'UnicodeDecode' Op passed string 'foo' not in"):
            su.unicode_decode([b"a"], "UTF-8", errors="foo")
        with pytest.raises(df.errors.InvalidArgumentError, match="replacement_char out of unicode codepoint range"):
            su.unicode_decode([b"\xff"], "UTF-8", replacement_char=0x110000)
        with pytest.raises(TypeError, match="does not match expected type of string"):
            su.unicode_decode([1], "UTF-8")


SPLIT = [  # (input, encoding, keyword args, TF's characters, TF's offsets)
    ([b"a\xc3\xa9", b"\xffb"], "UTF-8", {}, [[b"a", b"\xc3\xa9"], [b"\xef\xbf\xbd", b"b"]], [[0, 1], [0, 1]]),
    ([b"a\xc3\xa9", b"\xffb"], "UTF-8", {"errors": "ignore"}, [[b"a", b"\xc3\xa9"], [b"b"]], [[0, 1], [1]]),
    ([b"\xffb"], "UTF-8", {"replacement_char": 0x41}, [[b"A", b"b"]], [[0, 1]]),
    (["aé".encode("utf-16-be")], "UTF-16-BE", {}, [[b"\x00a", b"\x00\xe9"]], [[0, 2]]),
]


@pytest.mark.parametrize("strings,encoding,kw,chars,offsets", SPLIT)
def test_split(strings, encoding, kw, chars, offsets):
    with df.Graph().as_default():
        got, (chars2, off) = run([su.unicode_split(strings, encoding, **kw),
                                  su.unicode_split_with_offsets(strings, encoding, **kw)])
        assert got.to_list() == chars and chars2.to_list() == chars and off.to_list() == offsets


def test_split_encoding_must_be_an_output_encoding():
    with df.Graph().as_default():
        with pytest.raises(ValueError, match="Attr 'output_encoding' of 'UnicodeEncode' Op passed string "
                                             "'ISO-8859-1' not in"):
            su.unicode_split_with_offsets([b"a"], "ISO-8859-1")


def test_bytes_split():
    with df.Graph().as_default():
        got = run([su.bytes_split(["abc", "", "é"]), su.bytes_split([["ab"], ["c"]]), su.bytes_split("ab"),
                   su.bytes_split(constant([["ab"], []]))])
        assert [value(g) for g in got] == [[[b"a", b"b", b"c"], [], [b"\xc3", b"\xa9"]], [[[b"a", b"b"]], [[b"c"]]],
                                           [b"a", b"b"], [[[b"a", b"b"]], []]]
        assert [s.tolist() for s in got[1].nested_row_splits] == [[0, 1, 2], [0, 2, 3]]
