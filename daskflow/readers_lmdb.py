"""TF1's ``tf.LMDBReader``: a reader of the records of LMDB databases, read with the ``lmdb`` package (the
``lmdb`` extra: ``pip install 'daskflow[lmdb]'``).

Each work unit is the path of a database's data file (as TF1 opens it: no sub-directory, read-only, no lock
file); its records are the database's ``(key, value)`` pairs in key order, the key being the record's own key.
"""
import importlib

from . import errors
from .readers import ReaderBase, _open
from .ops.registry import fail

__all__ = ["LMDBReader"]


def _lmdb():
    try:
        return importlib.import_module("lmdb")
    except ImportError:
        raise ImportError("LMDBReader reads LMDB databases with the 'lmdb' package: pip install 'daskflow[lmdb]'") \
            from None


class LMDBReader(ReaderBase):
    """Gives the records of LMDB database files, in key order: key and value as stored (TF1's ``LMDBReader``).
    ``options`` is accepted and ignored, as TF's.

    Examples
    --------
    >>> import daskflow as df
    >>> reader = LMDBReader()                               # doctest: +SKIP
    >>> key, value = reader.read(df.train.string_input_producer(["data.mdb"]))   # doctest: +SKIP
    """

    _type = "LMDBReader"

    def __init__(self, name=None, options=None):
        self._lmdb = _lmdb()
        super().__init__(name)

    def _records(self, op, work):
        path = work.decode()
        _open(op, path).close()  # a missing file fails as the other readers'
        lmdb = self._lmdb
        try:
            env = lmdb.open(path, subdir=False, readonly=True, lock=False, max_readers=1)
        except lmdb.Error as e:
            fail(op, f"{path} is not an LMDB database: {e}", errors.InvalidArgumentError)
        try:
            with env.begin(buffers=False) as txn:
                for key, value in txn.cursor():
                    yield bytes(key), bytes(value)
        except lmdb.Error as e:
            fail(op, f"reading LMDB database {path}: {e}", errors.DataLossError)
        finally:
            env.close()
