"""``LMDBReader``: the records of LMDB databases written here, in key order, across the files of a queue."""
import sys

import pytest

import daskflow as df
from daskflow.queues import FIFOQueue
from daskflow.readers_lmdb import LMDBReader

lmdb = pytest.importorskip("lmdb")


def _db(path, records):
    env = lmdb.open(str(path), subdir=False, map_size=1 << 20)
    with env.begin(write=True) as txn:
        for k, v in records:
            txn.put(k, v)
    env.close()
    return path


def _files_queue(sess, names):
    q = FIFOQueue(10, df.string)
    sess.run(q.enqueue_many([[str(n) for n in names]]))
    sess.run(q.close())
    return q


def test_records_of_each_database_in_key_order(tmp_path):
    x = _db(tmp_path / "x.mdb", [(b"b", b"two"), (b"a", b"one"), (b"c", b"\x00three")])
    y = _db(tmp_path / "y.mdb", [(b"k", b"v")])
    reader = LMDBReader(options=None)
    with df.Session(config=df.ConfigProto(operation_timeout_in_ms=2000)) as sess:
        key, value = reader.read(_files_queue(sess, [x, y]))
        keys, values = reader.read_up_to(_files_queue(sess, [x]), 2)
        got = [sess.run([key, value]) for _ in range(4)]
        assert got == [[b"a", b"one"], [b"b", b"two"], [b"c", b"\x00three"], [b"k", b"v"]]
        with pytest.raises(df.errors.OutOfRangeError):
            sess.run(key)
        assert [k.tolist() for k in sess.run([keys, values])] == [[b"a", b"b"], [b"one", b"two"]]
        assert sess.run([reader.num_records_produced(), reader.num_work_units_completed()]) == [6, 2]


def test_missing_and_bad_files(tmp_path, monkeypatch):
    (tmp_path / "bad.mdb").write_bytes(b"not a database" * 100)
    for name, error in (("nope.mdb", df.errors.NotFoundError), ("bad.mdb", df.errors.InvalidArgumentError)):
        with df.Session() as sess:
            _, value = LMDBReader().read(_files_queue(sess, [tmp_path / name]))
            with pytest.raises(error, match=name):
                sess.run(value)
    monkeypatch.setitem(sys.modules, "lmdb", None)  # as if the package were not installed
    with pytest.raises(ImportError, match=r"pip install 'daskflow\[lmdb\]'"):
        LMDBReader()
