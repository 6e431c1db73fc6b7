"""Readers over a queue of file names: records and keys as TF1's, work units taken as needed, counters, reset,
errors; keys and values observed from TF 2.21's compat.v1 readers on the same files."""
import atexit
import gzip
import pathlib
import shutil
import tempfile

import numpy as np
import pytest

import daskflow as df
from daskflow.queues import FIFOQueue
from daskflow.readers import (FixedLengthRecordReader, IdentityReader, TextLineReader, TFRecordReader,
                              WholeFileReader)
from daskflow.testing import SweepCase

TESTED_OPS = {"ReaderReadV2", "ReaderReadUpToV2", "ReaderNumRecordsProducedV2", "ReaderNumWorkUnitsCompletedV2",
              "ReaderResetV2"}


_DIR = pathlib.Path(tempfile.mkdtemp(prefix="daskflow-readers-"))
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
(_DIR / "a.txt").write_bytes(b"a1\na2\na3\na4\n")
(_DIR / "b.txt").write_bytes(b"b1\nb2")
(_DIR / "c.bin").write_bytes(bytes(range(20)))
with df.python_io.TFRecordWriter(str(_DIR / "d.tfrecord")) as _w:
    for _record in (b"x", b"yy", b"zzz"):
        _w.write(_record)


def _swept(names, binaries):
    """Readers over queues of file names filled and closed by the first run (the sweep's ``init``, which also
    resets a reader), then read by one run: a line, up to three lines (the rest of the first file), a line of the
    next file, the counters; and fixed-length records of a binary file."""
    files, blobs = FIFOQueue(4, df.string), FIFOQueue(2, df.string)
    lines, records = TextLineReader(), FixedLengthRecordReader(6, header_bytes=1, hop_bytes=4)
    init = [files.enqueue_many([names]), files.close(), blobs.enqueue_many([binaries]), blobs.close(),
            lines.reset()]
    key, value = lines.read(files)
    keys, values = lines.read_up_to(files, 3)
    key2, value2 = lines.read(files)
    rkeys, rvalues = records.read_up_to(blobs, 5)
    return [key, value, keys, values, key2, value2, lines.num_records_produced(),
            lines.num_work_units_completed(), rkeys, rvalues], init


def _swept_kinds(names):
    """A whole file, a work unit given as it is (read up to two records: it has one), then the records of a
    TFRecord file, from one queue."""
    queue = FIFOQueue(4, df.string)
    whole, identity, records = WholeFileReader(), IdentityReader(), TFRecordReader()
    key, value = whole.read(queue)
    ikeys, ivalues = identity.read_up_to(queue, 2)
    rkeys, rvalues = records.read_up_to(queue, 5)
    return [key, value, ikeys, ivalues, rkeys, rvalues, records.num_records_produced(),
            identity.num_work_units_completed()], [queue.enqueue_many([names]), queue.close()]


def _paths(*names):
    return np.array([str(_DIR / n).encode() if n.endswith(("txt", "bin", "tfrecord")) else n.encode()
                     for n in names], dtype=object)


SWEEP_CASES = [SweepCase(_swept, _paths("a.txt", "b.txt"), _paths("c.bin"), name="readers", init=True),
               SweepCase(_swept_kinds, _paths("b.txt", "unit", "d.tfrecord"), name="reader_kinds", init=True)]


@pytest.fixture(autouse=True)
def graph():
    with df.Graph().as_default() as g:
        yield g


def _files_queue(sess, names):
    """A closed queue holding ``names``, filled in ``sess``."""
    q = FIFOQueue(10, df.string)
    sess.run(q.enqueue_many([[str(n) for n in names]]))
    sess.run(q.close())
    return q


def _session():
    return df.Session(config=df.ConfigProto(operation_timeout_in_ms=2000))


def test_text_lines_across_files(tmp_path):
    x, y = tmp_path / "x.csv", tmp_path / "y.csv"
    x.write_bytes(b"h\na,1\r\nb,2\n")
    y.write_bytes(b"h\nc,3")  # no final newline
    reader = TextLineReader(skip_header_lines=1)
    with _session() as sess:
        key, value = reader.read(_files_queue(sess, [x, y]))
        assert key.name == "ReaderReadV2:0" and value.shape.as_list() == []
        got = [sess.run([key, value]) for _ in range(3)]
        assert got == [[f"{x}:2".encode(), b"a,1"], [f"{x}:3".encode(), b"b,2"], [f"{y}:2".encode(), b"c,3"]]
        with pytest.raises(df.errors.OutOfRangeError, match=r"FIFOQueue '_0_fifo_queue' is closed and has "
                           r"insufficient elements \(requested 1, current size 0\)"):
            sess.run(key)
        assert sess.run([reader.num_records_produced(), reader.num_work_units_completed()]) == [3, 2]


def test_key_and_value_of_one_run_belong_together(tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"l1\nl2\n")
    reader = TextLineReader()
    with _session() as sess:
        key, value = reader.read(_files_queue(sess, [f]))
        pair = df.strings.join([key, value], separator="=")  # one record read per run, used by both
        assert sess.run(pair) == f"{f}:1=l1".encode()
        assert sess.run(pair) == f"{f}:2=l2".encode()


def test_read_up_to_stays_in_one_file_and_reset(tmp_path):
    x, y = tmp_path / "x.txt", tmp_path / "y.txt"
    x.write_bytes(b"1\n2\n3\n")
    y.write_bytes(b"4\n")
    reader = TextLineReader()
    with _session() as sess:
        keys, values = reader.read_up_to(_files_queue(sess, [x, y, x]), 2)
        assert keys.shape.as_list() == [None]
        assert sess.run(values).tolist() == [b"1", b"2"]
        assert sess.run(values).tolist() == [b"3"]
        assert sess.run(values).tolist() == [b"4"]
        sess.run(reader.reset())
        assert sess.run([reader.num_records_produced(), reader.num_work_units_completed()]) == [0, 0]
        assert sess.run(keys).tolist() == [f"{x}:1".encode(), f"{x}:2".encode()]


def test_whole_file_and_identity(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"abc\x00def")
    with _session() as sess:
        key, value = WholeFileReader().read(_files_queue(sess, [f]))
        assert sess.run([key, value]) == [str(f).encode(), b"abc\x00def"]
        key, value = IdentityReader().read(_files_queue(sess, ["a", "b"]))
        assert sess.run([key, value]) == [b"a", b"a"] and sess.run(value) == b"b"


def test_fixed_length_records(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"abcdefgh")
    z = tmp_path / "f.gz"
    z.write_bytes(gzip.compress(b"Habcdefg"))
    with _session() as sess:
        key, value = FixedLengthRecordReader(3, header_bytes=1, footer_bytes=1).read(_files_queue(sess, [f]))
        assert [sess.run([key, value]) for _ in range(2)] == [[f"{f}:0".encode(), b"bcd"], [f"{f}:1".encode(),
                                                                                              b"efg"]]
        with pytest.raises(df.errors.OutOfRangeError):
            sess.run(value)
        _, value = FixedLengthRecordReader(3, hop_bytes=2).read(_files_queue(sess, [f]))
        assert [sess.run(value) for _ in range(3)] == [b"abc", b"cde", b"efg"]
        _, value = FixedLengthRecordReader(3, header_bytes=1, encoding="GZIP").read(_files_queue(sess, [z]))
        assert [sess.run(value) for _ in range(2)] == [b"abc", b"def"]


def _write_tfrecords(path, records):
    from tensorboard.summary.writer.record_writer import RecordWriter
    with open(path, "wb") as f:
        w = RecordWriter(f)
        for r in records:
            w.write(r)
        w.flush()


def test_tfrecords(tmp_path):
    f = tmp_path / "data.tfrecord"
    records = [b"first", b"", b"third record"]
    _write_tfrecords(f, records)
    with _session() as sess:
        key, value = TFRecordReader().read(_files_queue(sess, [f]))
        got = [sess.run([key, value]) for _ in range(3)]
        assert [v for _, v in got] == records
        offsets = [int(k.rsplit(b":", 1)[1]) for k, _ in got]
        assert offsets[0] == 0 and offsets == sorted(set(offsets))
        with pytest.raises(df.errors.OutOfRangeError):
            sess.run(value)
    data = bytearray(f.read_bytes())
    data[14] ^= 0xFF  # inside the first record's payload: its checksum no longer matches
    f.write_bytes(bytes(data))
    with _session() as sess:
        _, value = TFRecordReader().read(_files_queue(sess, [f]))
        with pytest.raises(df.errors.DataLossError, match="crc"):
            sess.run(value)


def test_missing_file_and_bad_queue(tmp_path):
    with _session() as sess:
        _, value = TextLineReader().read(_files_queue(sess, [tmp_path / "nope.txt"]))
        with pytest.raises(df.errors.NotFoundError, match="nope.txt"):
            sess.run(value)
    with pytest.raises(TypeError, match="single strings"):
        TextLineReader().read(FIFOQueue(2, df.int32))
