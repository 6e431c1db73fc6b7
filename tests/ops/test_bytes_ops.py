"""TF1's byte and file ops: decode_raw, bitcast, decode_csv, serialize_tensor/parse_tensor, read_file/write_file,
matching_files, timestamp and the WAV pair. Expected values, bytes and error messages are TensorFlow 1.x's
(``tensorflow.compat.v1`` in graph mode) for the same programs, or numpy's and Python's references."""
import io
import os
import tempfile
import time
import wave

import numpy as np
import pytest

import daskflow as df
from daskflow.ops import strings_more as sm
from daskflow.testing import SweepCase, run_graph

TESTED_OPS = {"DecodeRaw", "Bitcast", "DecodeCSV", "SerializeTensor", "ParseTensorShape", "ParseTensor", "ReadFile",
              "WriteFile", "MatchingFiles", "Timestamp", "DecodeWav", "EncodeWav"}


def run(fetches):
    with df.Session() as sess:
        return sess.run(fetches)


# -- decode_raw, bitcast

def test_decode_raw_against_numpy():
    rows = np.arange(12, dtype=np.int16).reshape(3, 4)
    got = run(sm.decode_raw([r.tobytes() for r in rows], df.int16))
    np.testing.assert_array_equal(got, rows)
    assert got.dtype == np.int16
    big = run(sm.decode_raw([b"\x01\x00\x02\x00"], df.int16, little_endian=False))
    np.testing.assert_array_equal(big, [[256, 512]])  # TF's value
    np.testing.assert_array_equal(run(sm.decode_raw(b"\x01\x00\x02\x00", df.uint8)), [1, 0, 2, 0])
    np.testing.assert_array_equal(run(sm.decode_raw([b"\x00\x00\x80\x3f"], df.float32)), [[1.0]])


def test_decode_raw_feeds_ops_downstream():
    t = sm.decode_raw(["\x01\x02", "\x03\x04"], df.uint8)
    assert t.shape.as_list() == [2, None]
    np.testing.assert_array_equal(run(df.reduce_sum(df.cast(t, df.int32), axis=1)), [3, 7])


@pytest.mark.parametrize("value, message", [
    ([b"\x01\x00\x02", b"\x01\x00\x02"], "Input to DecodeRaw has length 3 that is not a multiple of 2, the size of "
                                         "int16"),
    ([b"\x01\x00", b"\x01\x00\x02\x00"], "DecodeRaw requires input strings to all be the same size, but element 1 "
                                         "has size 4 != 2"),
])
def test_decode_raw_errors(value, message):
    with pytest.raises(df.errors.InvalidArgumentError, match=message):
        run(sm.decode_raw(value, df.int16))


@pytest.mark.parametrize("value, dtype", [
    (np.array([1.0, 2.0], np.float32), np.uint8), (np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.uint8), np.int32),
    (np.array([1, 2], np.int32), np.float32), (np.array([[1.0, 2.0]], np.float32), np.complex64),
    (np.array([1 + 2j], np.complex128), np.int16), (np.array(3.5, np.float64), np.uint16),
])
def test_bitcast_as_numpy_view(value, dtype):
    a, b = value.dtype.itemsize, np.dtype(dtype).itemsize
    expected = value.reshape(value.shape + (1,)).view(dtype) if a > b else value.view(dtype).reshape(
        value.shape[:-1] if a < b else value.shape)
    got = run_graph(lambda x: sm.bitcast(x, dtype), value)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)


def test_bitcast_refuses_shapes_and_types_as_tf():
    with pytest.raises(ValueError, match="Cannot bitcast from uint8 to int16 due to shape. 3 does not match 2"):
        sm.bitcast(df.constant([1, 2, 3], df.uint8), df.int16)
    with pytest.raises(TypeError, match="Value passed to parameter 'type' has DataType bool not in list"):
        sm.bitcast(df.constant([1, 2], df.int32), df.bool)


# -- decode_csv

CSV_CASES = [  # records, record_defaults, kwargs, TF's columns
    ([b"1,2.5,x", b",,", b'"4",5,"a,b"'], [[0], [1.0], ["d"]], {},
     [np.array([1, 0, 4], np.int32), np.array([2.5, 1, 5], np.float32), [b"x", b"d", b"a,b"]]),
    ([b"1;2"], [np.array([], np.int32), [0]], {"field_delim": ";"}, [[1], [2]]),
    ([b"NA,2"], [[7], [0]], {"na_value": "NA"}, [[7], [2]]),
    ([b"1,2,3,4"], [[0], [0]], {"select_cols": [1, 3]}, [[2], [4]]),
    ([b'"a""b",1'], [[""], [0]], {}, [[b'a"b'], [1]]),
    ([b'"a",1'], [[""], [0]], {"use_quote_delim": False}, [[b'"a"'], [1]]),
    ([[b"1,2"], [b"3,4"]], [[0], [0]], {}, [[[1], [3]], [[2], [4]]]),
    ([b"1,2,3,true"], [[0.0], np.array([0], np.int64), [0.0], [""]], {},
     [np.array([1], np.float32), np.array([2], np.int64), np.array([3], np.float32), [b"true"]]),
    ([b" 1 , 2"], [[0], [0.0]], {}, [np.array([1], np.int32), np.array([2], np.float32)]),
    ([b"1,"], [[0], ["z"]], {}, [[1], [b"z"]]),
]


@pytest.mark.parametrize("records, defaults, kwargs, expected", CSV_CASES)
def test_decode_csv_as_tf(records, defaults, kwargs, expected):
    cols = sm.decode_csv(records, defaults, **kwargs)
    got = run(cols)
    for t, g, e in zip(cols, got, expected):
        e = np.asarray(e, dtype=object if isinstance(np.ravel(e)[0], bytes) else None)
        assert g.shape == e.shape and g.tolist() == e.tolist() and g.dtype == t.dtype
        if e.dtype.kind != "O":
            assert g.dtype == e.dtype or e.dtype == np.int64 and g.dtype == np.int32


def test_decode_csv_scalar_record():
    assert [int(v) for v in run(sm.decode_csv("1,2", [[0], [0]]))] == [1, 2]


@pytest.mark.parametrize("records, defaults, message", [
    ([b",2"], [np.array([], np.int32), [0]], "Field 0 is required but missing in record 0!"),
    ([b"1,2,3"], [[0], [0]], "Expect 2 fields but have 3 in record 0"),
    ([b"1.5,2"], [[0], [0]], "Field 0 in record 0 is not a valid int32: 1.5"),
    ([b"1,abc"], [[0], [0.0]], "Field 1 in record 0 is not a valid float: abc"),
    ([b'a"b,1'], [[""], [0]], "Unquoted fields cannot have quotes/CRLFs inside"),
    ([b'"ab"c,1'], [[""], [0]], "Quote inside a string has to be escaped by another quote"),
    ([b""], [[0]], "Expect 1 fields but have 0 in record 0"),
])
def test_decode_csv_errors_when_run(records, defaults, message):
    with pytest.raises(df.errors.InvalidArgumentError, match=message.replace(".", r"\.").replace("!", "!")):
        run(sm.decode_csv(records, defaults))


def test_decode_csv_errors_when_built():
    with pytest.raises(ValueError, match="select_cols is not strictly increasing."):
        sm.decode_csv(["1,2"], [[0], [0]], select_cols=[1, 0])
    with pytest.raises(TypeError, match="'record_defaults' has DataType bool not in list of allowed values"):
        sm.decode_csv(["1"], [[True]])
    with pytest.raises(df.errors.InvalidArgumentError, match="field_delim should be only 1 char"):
        sm.decode_csv(["1"], [[0]], field_delim="ab")


# -- serialize_tensor, parse_tensor

@pytest.mark.parametrize("value, tf_bytes", [
    (np.array([1.0, 2.0], np.float32), b'\x08\x01\x12\x04\x12\x02\x08\x02"\x08\x00\x00\x80?\x00\x00\x00@'),
    (np.array([b"a", b"bc"], object), b"\x08\x07\x12\x04\x12\x02\x08\x02B\x01aB\x02bc"),
    (np.array(3, np.int64), b'\x08\t\x12\x00"\x08\x03\x00\x00\x00\x00\x00\x00\x00'),
    (np.array([True, False]), b'\x08\n\x12\x04\x12\x02\x08\x02"\x02\x01\x00'),
    (np.array([1 + 2j], np.complex64), b'\x08\x08\x12\x04\x12\x02\x08\x01"\x08\x00\x00\x80?\x00\x00\x00@'),
    (np.array([[1, 2], [3, 4]], np.int32), b'\x08\x03\x12\x08\x12\x02\x08\x02\x12\x02\x08\x02"\x10\x01\x00\x00\x00'
                                           b'\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00'),
])
def test_serialize_tensor_writes_tf_bytes_and_parses_back(value, tf_bytes):
    s = sm.serialize_tensor(df.constant(value))
    assert run(s) == tf_bytes
    back = run(sm.parse_tensor(tf_bytes, value.dtype))
    assert np.asarray(back).dtype == value.dtype and np.asarray(back).tolist() == value.tolist()


def test_parse_tensor_shape_known_when_run():
    t = sm.parse_tensor(sm.serialize_tensor(df.constant([[1.0, 2.0]])), df.float32)
    assert t.shape.ndims is None
    np.testing.assert_array_equal(run(t * 2), [[2.0, 4.0]])


def test_parse_tensor_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Type mismatch between parsed tensor \(float\) and "
                                                             r"dtype \(int32\)"):
        run(sm.parse_tensor(sm.serialize_tensor(df.constant([1.0])), df.int32))
    with pytest.raises(df.errors.InvalidArgumentError, match="Could not parse `serialized` as TensorProto, "
                                                             "base64: //8="):
        run(sm.parse_tensor(b"\xff\xff", df.int32))


# -- files, clock

def test_write_then_read_file(tmp_path):
    path = str(tmp_path / "sub" / "a.bin")
    run(sm.write_file(path, b"hello\x00"))
    assert open(path, "rb").read() == b"hello\x00"
    assert run(sm.read_file(path)) == b"hello\x00"


def test_read_file_missing(tmp_path):
    path = str(tmp_path / "nope")
    with pytest.raises(df.errors.NotFoundError, match=f"{path}; No such file or directory"):
        run(sm.read_file(path))


def test_matching_files_sorted_glob(tmp_path):
    for n in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / n).write_bytes(b"")
    got = run(sm.matching_files(str(tmp_path / "*.txt")))
    assert got.tolist() == [str(tmp_path / n).encode() for n in ("a.txt", "b.txt")]
    both = run(sm.matching_files([str(tmp_path / "a.*"), str(tmp_path / "*.csv")]))
    assert both.tolist() == [str(tmp_path / n).encode() for n in ("a.txt", "c.csv")]
    assert run(sm.matching_files(str(tmp_path / "*.none"))).shape == (0,)


def test_matching_files_sees_new_files(tmp_path):
    t = sm.matching_files(str(tmp_path / "*"))
    with df.Session() as sess:
        assert sess.run(t).shape == (0,)
        (tmp_path / "x").write_bytes(b"")
        assert sess.run(t).shape == (1,)


def test_timestamp_each_run():
    t = sm.timestamp()
    with df.Session() as sess:
        before = time.time()
        first = sess.run(t)
        second = sess.run(t)
    assert t.dtype == df.float64 and t.shape == ()
    assert before <= first <= second <= time.time()
    assert first != second


# -- WAV

TF_WAV = (b"RIFF0\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00@\x1f\x00\x00\x00}\x00\x00\x04\x00\x10\x00data"
          b"\x0c\x00\x00\x00\x00\x00\x00@\x00\x80\xff\x7f\x00 \x00\xe0")
AUDIO = [[0.0, 0.5], [-1.0, 1.0], [0.25, -0.25]]


def test_encode_wav_writes_tf_bytes():
    assert run(sm.encode_wav(AUDIO, 8000)) == TF_WAV
    clipped = run(sm.encode_wav([[2.0], [-3.0], [0.00002], [0.000015], [-0.000015]], 16000))
    assert clipped.endswith(b"data\n\x00\x00\x00\xff\x7f\x00\x80\x01\x00\x00\x00\x00\x00")  # TF's samples


def test_decode_wav_as_tf():
    audio, rate = run(sm.decode_wav(TF_WAV))
    np.testing.assert_array_equal(audio, np.array([[0, 0.5], [-1, 32767 / 32768], [0.25, -0.25]], np.float32))
    assert rate == 8000 and audio.dtype == np.float32
    out = sm.decode_wav(TF_WAV, desired_channels=1, desired_samples=5)
    assert out.audio.shape.as_list() == [5, 1]
    np.testing.assert_array_equal(run(out.audio), [[0], [-1], [0.25], [0], [0]])
    mono = sm.encode_wav([[0.0], [0.5]], 8000)
    np.testing.assert_array_equal(run(sm.decode_wav(mono, desired_channels=3).audio), [[0] * 3, [0.5] * 3])


def test_wav_against_python_wave():
    data = run(sm.encode_wav(np.linspace(-1, 1, 12, dtype=np.float32).reshape(6, 2), 22050))
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (2, 2, 22050, 6)


def test_wav_errors():
    with pytest.raises(df.errors.InvalidArgumentError, match="Data too short when trying to read string"):
        run(sm.decode_wav(b"RIFFxx"))
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        sm.encode_wav([0.0, 1.0], 16000)


def test_names_are_listed_for_namespaces():
    for names in sm.NAMESPACES.values():
        assert all(callable(getattr(sm, n)) for n in names)
    assert all(callable(getattr(sm, n)) for n in sm.__all__)
    assert os.path.basename(sm.__file__) == "strings_more.py"


# -- the shape sweep's programs (tests/test_shape_sweep.py)

SWEEP_DIR = tempfile.mkdtemp(prefix="daskflow-sweep-")
for _n in ("a.txt", "b.txt", "c.csv", "a.txt.in"):
    with open(os.path.join(SWEEP_DIR, _n), "wb") as _f:
        _f.write(_n.encode() * 3)


def _files(path, contents, pattern):
    write = sm.write_file(path, contents)
    return [write.outputs[0], sm.read_file(df.strings.join([path, ".in"])), sm.matching_files(pattern),
            sm.matching_files([pattern, pattern])]


def _wav(audio, rate):
    decoded = sm.decode_wav(sm.encode_wav(audio, rate))
    fixed = sm.decode_wav(sm.encode_wav(audio, rate), desired_channels=1, desired_samples=7)
    return [decoded.audio, decoded.sample_rate, fixed.audio, fixed.sample_rate]


def _tensor_protos(x, s):
    return [sm.serialize_tensor(x), sm.parse_tensor(sm.serialize_tensor(x), df.float64),
            sm.parse_tensor(sm.serialize_tensor(s), df.string)]


def _after_decode_raw(s):
    raw = sm.decode_raw(s, df.uint8)  # its last dim is known only when it runs
    words = sm.split(s).values
    return [sm.bitcast(raw, df.int8), sm.parse_tensor(sm.serialize_tensor(raw), df.uint8),
            sm.decode_wav(sm.encode_wav(df.cast(raw, df.float32) / 255.0, 8000)).audio,
            *sm.decode_csv(words, [[""], [0]], select_cols=[0, 2], field_delim="b")]


SWEEP_CASES = [
    SweepCase(lambda s: [sm.decode_raw(s, df.int16), sm.decode_raw(s, df.uint8, little_endian=False)],
              np.array([[b"\x01\x00\x02\x00", b"abcd"], [b"\xff\xff\x00\x80", b"    "]], dtype=object),
              name="decode_raw"),
    SweepCase(lambda x, b: [sm.bitcast(x, df.uint8), sm.bitcast(x, df.int32), sm.bitcast(b, df.int32)],
              np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), np.arange(12, dtype=np.int8).reshape(3, 4),
              name="bitcast"),
    SweepCase(lambda r, d: sm.decode_csv(r, [[0], d, [""], df.constant([], df.int64)]),
              np.array([[b"1,2.5,a,7", b",,,8"], [b'3,,"b,c",9', b"4,1e3,,10"]], dtype=object),
              np.array([-1.0], dtype=np.float32), name="decode_csv"),
    SweepCase(_tensor_protos, np.arange(6.0).reshape(3, 2), np.array([[b"a", b""]], dtype=object),
              name="tensor_protos"),
    SweepCase(_files, np.array(os.path.join(SWEEP_DIR, "a.txt").encode(), dtype=object),
              np.array(b"\x00written\xff", dtype=object), np.array(os.path.join(SWEEP_DIR, "*.txt").encode(),
                                                                    dtype=object), name="files"),
    SweepCase(lambda x: [df.timestamp() > 1.6e9, df.shape(x)], np.zeros(2), name="timestamp"),
    SweepCase(_wav, np.linspace(-1, 0.99, 10, dtype=np.float32).reshape(5, 2), np.array(16000, dtype=np.int32),
              name="wav"),
    SweepCase(_after_decode_raw, np.array([b"abxb3b7 cb1b9", b"xbyb5   zb0b1"], dtype=object), name="after_decode_raw"),
]


def test_control_dependencies_order_a_write_before_a_read(tmp_path):
    """TF's guarantee: an op runs after the side effects among its control inputs (a file written first), also
    through a ``group`` of them."""
    path = str(tmp_path / "f.txt")
    for i in range(3):
        with df.Graph().as_default():
            p = df.placeholder(df.string, [])
            w = df.io.write_file(p, df.constant(f"hello {i}"))
            with df.control_dependencies([df.group(w)]):
                r = df.io.read_file(p)
            with df.Session() as s:
                assert s.run(r, {p: path}) == f"hello {i}".encode()
