"""TF1's readers (``tf.TextLineReader``, ``tf.WholeFileReader``, ``tf.FixedLengthRecordReader``,
``tf.IdentityReader``, ``tf.TFRecordReader``): ops giving the records of files whose names a string queue holds.

``reader.read(queue)`` gives ``(key, value)`` scalar strings: the next record of the file the reader is on, the
reader taking the next file name (a "work unit") from ``queue`` when it has none or the file is done. Once the
queue is closed and empty the run fails with the queue's ``OutOfRangeError``. As queues, readers run on the host
before a run is planned and keep their position per Session.
"""
import gzip
import itertools
import threading
import zlib

import numpy as np

from . import dtypes, errors
from .graph import get_default_graph
from .ops.registry import NOT_DIFFERENTIABLE, fail, register
from .queues import QueueBase, feedable

__all__ = ["ReaderBase", "TextLineReader", "WholeFileReader", "FixedLengthRecordReader", "IdentityReader",
           "TFRecordReader"]

_ids = itertools.count()
_states_lock = threading.Lock()


class _State:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = None  # iterator of (key, value) over the current work unit, None between them
        self.produced = self.completed = 0


def _state(reader, session):
    states = session._host_state.setdefault("readers", {})
    with _states_lock:
        return states.setdefault(reader._id, _State())


def _open(op, path):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        fail(op, f"{path}; No such file or directory", errors.NotFoundError)
    except IsADirectoryError:
        fail(op, f"{path}; Is a directory", errors.FailedPreconditionError)


class ReaderBase:
    """A reader of records from the files named by a queue of strings (TF1's ``ReaderBase``). Each reader
    defines ``_records(op, work)``: the ``(key, value)`` bytes pairs of the work unit ``work``."""

    _type = None

    def __init__(self, name, supports_serialize=False):
        self._graph = get_default_graph()
        self._name = self._graph.unique_name(name or self._type)
        self._supports_serialize = supports_serialize
        self._id = next(_ids)

    @property
    def supports_serialize(self):
        """Whether the reader's state can be saved (no daskflow reader's can)."""
        return self._supports_serialize

    def _op(self, type_name, inputs, specs, name, **attrs):
        return self._graph.create_op(type_name, inputs, {"reader": self, **attrs}, name=name or type_name,
                                     output_specs=specs)

    def read(self, queue, name=None):
        """``(key, value)``: scalar string tensors holding the next record and its key. The reader takes a new
        file name from ``queue`` (a string queue) when it needs one."""
        op = self._op("ReaderReadV2", [], [((), dtypes.string)] * 2, name, queue=_as_queue(queue))
        return op.outputs[0], op.outputs[1]

    def read_up_to(self, queue, num_records, name=None):
        """``(keys, values)``: vectors of up to ``num_records`` records, all from one file (fewer at its end)."""
        n = int(num_records)
        if n <= 0:
            raise ValueError(f"num_records must be positive, got {num_records}")
        op = self._op("ReaderReadUpToV2", [], [((None,), dtypes.string)] * 2, name, queue=_as_queue(queue), n=n)
        return op.outputs[0], op.outputs[1]

    def num_records_produced(self, name=None):
        """A scalar int64 tensor: how many records the reader has given."""
        return self._op("ReaderNumRecordsProducedV2", [], [((), dtypes.int64)], name).outputs[0]

    def num_work_units_completed(self, name=None):
        """A scalar int64 tensor: how many files the reader has finished."""
        return self._op("ReaderNumWorkUnitsCompletedV2", [], [((), dtypes.int64)], name).outputs[0]

    def reset(self, name=None):
        """An op that puts the reader back in its initial state (no file, counts zero)."""
        return self._op("ReaderResetV2", [], [], name)

    def __repr__(self):
        return f"<daskflow.{type(self).__name__} '{self._name}'>"


def _as_queue(queue):
    if not isinstance(queue, QueueBase):
        raise TypeError(f"A reader reads its work from a queue (such as string_input_producer's), got {queue!r}")
    if len(queue.dtypes) != 1 or queue.dtypes[0] != dtypes.string:
        raise TypeError(f"A reader's queue must hold single strings, got dtypes {queue.dtypes}")
    return queue


class TextLineReader(ReaderBase):
    """Gives the lines of each file, without their line ending; the key is ``b"<file>:<line number>"``
    (counting from 1). ``skip_header_lines`` lines are skipped at the top of each file."""

    _type = "TextLineReaderV2"

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(name)
        self._skip = int(skip_header_lines or 0)

    def _records(self, op, work):
        with _open(op, work.decode()) as f:
            for number, line in enumerate(f, 1):
                if number > self._skip:
                    yield b"%s:%d" % (work, number), line.rstrip(b"\n").rstrip(b"\r")


class WholeFileReader(ReaderBase):
    """Gives each file whole: the key is the file name, the value its contents."""

    _type = "WholeFileReaderV2"

    def __init__(self, name=None):
        super().__init__(name)

    def _records(self, op, work):
        with _open(op, work.decode()) as f:
            yield work, f.read()


class IdentityReader(ReaderBase):
    """Gives each work unit itself as one record: key and value are the string taken from the queue."""

    _type = "IdentityReaderV2"

    def __init__(self, name=None):
        super().__init__(name)

    def _records(self, op, work):
        yield work, work


class FixedLengthRecordReader(ReaderBase):
    """Gives records of ``record_bytes`` bytes, after ``header_bytes`` and before ``footer_bytes`` bytes of each
    file; with ``hop_bytes``, a record starts every ``hop_bytes`` bytes (records may overlap). ``encoding``
    ``"ZLIB"`` or ``"GZIP"`` reads compressed files. The key is ``b"<file>:<record index>"`` (counting from 0)."""

    _type = "FixedLengthRecordReaderV2"

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None, name=None,
                 encoding=None):
        super().__init__(name)
        self._record, self._header = int(record_bytes), int(header_bytes or 0)
        self._footer, self._hop = int(footer_bytes or 0), int(hop_bytes or 0) or int(record_bytes)
        if self._record <= 0:
            raise ValueError(f"record_bytes must be positive, got {record_bytes}")
        if encoding not in (None, "", "ZLIB", "GZIP"):
            raise ValueError(f"encoding must be '', 'ZLIB' or 'GZIP', got {encoding!r}")
        self._encoding = encoding or None

    def _records(self, op, work):
        with _open(op, work.decode()) as f:
            data = f.read()
        if self._encoding == "GZIP":
            data = gzip.decompress(data)
        elif self._encoding == "ZLIB":
            data = zlib.decompress(data)
        end = len(data) - self._footer
        for i, start in enumerate(range(self._header, end - self._record + 1, self._hop)):
            yield b"%s:%d" % (work, i), data[start:start + self._record]


class TFRecordReader(ReaderBase):
    """Gives the records of TFRecord files (read with tensorboard's record reader, which checks each record's
    CRCs: a corrupt record is a ``DataLossError``). The key is ``b"<file>:<byte offset of the record>"``.
    Compressed files (``options`` with a compression type) are not supported."""

    _type = "TFRecordReaderV2"

    def __init__(self, name=None, options=None):
        super().__init__(name)
        kind = getattr(options, "compression_type", options)
        if kind not in (None, "", 0):
            raise errors.UnimplementedError(None, None, f"TFRecordReader reads uncompressed files only, got "
                                            f"compression {kind!r}")

    def _records(self, op, work):
        from tensorboard.compat.tensorflow_stub import errors as tb_errors
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New
        path = work.decode()
        _open(op, path).close()  # a missing file fails as the other readers'
        reader = PyRecordReader_New(path)
        reader.file_handle = handle = _Counted(reader.file_handle)
        try:
            while True:
                offset = handle.count  # the reader keeps no bytes of a record it has given
                try:
                    reader.GetNext()
                except tb_errors.OutOfRangeError:
                    return
                except tb_errors.DataLossError as e:
                    fail(op, f"{e.message}", errors.DataLossError)
                yield b"%s:%d" % (work, offset), reader.record()
        finally:
            reader.file_handle.close()


class _Counted:
    """A file that counts the bytes read from it."""

    def __init__(self, f):
        self.f, self.count = f, 0

    def read(self, n=-1):
        data = self.f.read(n)
        self.count += len(data)
        return data

    def close(self):
        self.f.close()


# -- op types

class _ReaderOp:
    stateful = True
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [(t.shape, t.dtype) for t in op.outputs]

    def lower(op, *xs):
        if not op.outputs:
            return []  # its work is done on the host before the run (``host_run``)
        fail(op, f"the records of reader '{op.attrs['reader']._name}' are only available in Session.run",
             errors.UnimplementedError)


def _next_records(op, session, n):
    """Up to ``n`` records of one work unit, taking units from the queue as needed (at least one record)."""
    reader, queue = op.attrs["reader"], op.attrs["queue"]
    state = _state(reader, session)
    with state.lock:
        while True:
            if state.records is None:
                work = queue._value(queue._pop(session, op, None)[0])[0]
                state.records = reader._records(op, bytes(np.asarray(work)[()]))
            got = list(itertools.islice(state.records, n))
            if len(got) < n:  # the unit is done
                state.records = None
                state.completed += 1
            if got:
                state.produced += len(got)
                return got


@register("ReaderReadV2")
class ReaderReadV2(_ReaderOp):
    def host_run(op, session, feeds):
        (key, value), = _next_records(op, session, 1)
        return {op.outputs[0]: feedable(np.array(key, dtype=object)),
                op.outputs[1]: feedable(np.array(value, dtype=object))}


@register("ReaderReadUpToV2")
class ReaderReadUpToV2(_ReaderOp):
    def host_run(op, session, feeds):
        got = _next_records(op, session, op.attrs["n"])
        keys, values = np.empty(len(got), dtype=object), np.empty(len(got), dtype=object)
        keys[:], values[:] = [k for k, _ in got], [v for _, v in got]
        return {op.outputs[0]: keys, op.outputs[1]: values}


@register("ReaderNumRecordsProducedV2")
class ReaderNumRecordsProducedV2(_ReaderOp):
    def host_run(op, session, feeds):
        return {op.outputs[0]: np.int64(_state(op.attrs["reader"], session).produced)}


@register("ReaderNumWorkUnitsCompletedV2")
class ReaderNumWorkUnitsCompletedV2(_ReaderOp):
    def host_run(op, session, feeds):
        return {op.outputs[0]: np.int64(_state(op.attrs["reader"], session).completed)}


@register("ReaderResetV2")
class ReaderResetV2(_ReaderOp):
    def host_run(op, session, feeds):
        state = _state(op.attrs["reader"], session)
        with state.lock:
            if state.records is not None:
                state.records.close()
            state.records, state.produced, state.completed = None, 0, 0
        return {}
