"""TFRecord files: ``python_io.TFRecordWriter`` and ``tf_record_iterator``.

Files written by TF 2.21's ``TFRecordWriter`` (tests/fixtures/tf1/make_tfrecord_fixtures.py) are read here. Files
written here, uncompressed, ZLIB and GZIP, were read back by TF 2.21's ``tf_record_iterator`` by hand once, giving
the records written; TF's ``DataLossError`` messages below ("corrupted record at 16", "... at 28" for a bad data
checksum, "truncated record at 120") were observed on such files with one byte flipped or cut.
"""
import base64
import json
import os

import pytest

pytest.importorskip("tensorboard")
pytest.importorskip("google_crc32c")

from daskflow import errors, python_io  # noqa: E402
from daskflow.example import Example  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1", "tfrecord")
RECORDS = [b"", b"rec1", b"rec2rec2", b"rec3rec3rec3", b"rec4rec4rec4rec4", b"last"]


def _tf_records():
    with open(os.path.join(FIXTURES, "examples.json")) as f:
        return json.load(f)


@pytest.mark.parametrize("name,kind", [("plain", None), ("zlib", "ZLIB"), ("gzip", "GZIP")])
def test_reads_files_tf_wrote(name, kind):
    want = _tf_records()
    got = list(python_io.tf_record_iterator(os.path.join(FIXTURES, f"{name}.tfrecord"), kind))
    assert got == [base64.b64decode(r) for r in want["records"]]
    for record, feats in zip(got, want["features"]):
        f = Example.FromString(record).features.feature
        assert list(f["id"].int64_list.value) == feats["id"]
        assert list(f["x"].float_list.value) == feats["x"]
        assert [t.decode() for t in f["tags"].bytes_list.value] == feats["tags"]


def _write(path, options=None, records=RECORDS):
    with python_io.TFRecordWriter(str(path), options) as w:
        for r in records:
            w.write(r)
    return path


@pytest.mark.parametrize("options", [None, "", "ZLIB", "GZIP", python_io.TFRecordCompressionType.GZIP,
                                     python_io.TFRecordOptions("ZLIB", compression_level=9)])
def test_round_trip(tmp_path, options):
    path = _write(tmp_path / "r.tfrecord", options)
    assert list(python_io.tf_record_iterator(str(path), options)) == RECORDS


def test_uncompressed_bytes_are_tfs_framing(tmp_path):
    """One record as TF frames it: uint64 length, masked CRC-32C of it, data, masked CRC-32C of the data (the
    bytes TF's writer gives for b"rec1")."""
    path = _write(tmp_path / "one.tfrecord", records=[b"rec1"])
    assert path.read_bytes() == b"\x04\x00\x00\x00\x00\x00\x00\x00BER\x04rec1-\xfe\xa8\xd3"


def test_compressed_is_smaller_and_not_readable_plain(tmp_path):
    records = [b"abc" * 1000] * 5
    plain = _write(tmp_path / "p", records=records)
    gz = _write(tmp_path / "g", "GZIP", records=records)
    assert gz.stat().st_size < plain.stat().st_size / 10
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    with pytest.raises(errors.DataLossError):
        list(python_io.tf_record_iterator(str(gz)))


def test_flush_makes_records_readable_before_close(tmp_path):
    path = str(tmp_path / "f.tfrecord")
    w = python_io.TFRecordWriter(path)
    w.write(b"first")
    w.flush()
    assert list(python_io.tf_record_iterator(path)) == [b"first"]
    w.close()
    w.close()
    with pytest.raises(errors.FailedPreconditionError, match="Writer is closed."):
        w.write(b"x")
    with pytest.raises(errors.FailedPreconditionError, match="Writer is closed."):
        w.flush()


def test_empty_writer_makes_an_empty_file(tmp_path):
    path = tmp_path / "e.tfrecord"
    python_io.TFRecordWriter(str(path)).close()
    assert path.exists() and list(python_io.tf_record_iterator(str(path))) == []


def _flipped(path, at):
    data = bytearray(path.read_bytes())
    data[at] ^= 1
    path.write_bytes(bytes(data))
    return str(path)


def test_corrupted_length_is_data_loss(tmp_path):
    path = _flipped(_write(tmp_path / "c.tfrecord"), 16 + 2)  # in record 1's length
    it = python_io.tf_record_iterator(path)
    assert next(it) == b""
    with pytest.raises(errors.DataLossError, match="corrupted record at 16"):
        next(it)


def test_corrupted_data_is_data_loss(tmp_path):
    path = _flipped(_write(tmp_path / "c.tfrecord"), 16 + 12 + 2)  # in record 1's bytes
    with pytest.raises(errors.DataLossError, match="corrupted record at 28"):
        list(python_io.tf_record_iterator(path))


def test_truncated_file_is_data_loss(tmp_path):
    path = _write(tmp_path / "t.tfrecord")
    path.write_bytes(path.read_bytes()[:-3])
    got = []
    with pytest.raises(errors.DataLossError, match="truncated record at 120"):
        for r in python_io.tf_record_iterator(str(path)):
            got.append(r)
    assert got == RECORDS[:-1]


def test_missing_file(tmp_path):
    with pytest.raises(errors.NotFoundError):
        list(python_io.tf_record_iterator(str(tmp_path / "nope")))


def test_options():
    O = python_io.TFRecordOptions  # noqa: N806
    assert O.get_compression_type_string(None) == ""
    assert O.get_compression_type_string("gzip") == "GZIP"
    assert O.get_compression_type_string(O(python_io.TFRecordCompressionType.ZLIB)) == "ZLIB"
    with pytest.raises(ValueError, match="Unrecognized compression type"):
        O("LZ4")
