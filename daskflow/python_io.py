"""TFRecord files (TF1's ``tf.python_io``): ``TFRecordWriter`` writes records, ``tf_record_iterator`` reads them back,
uncompressed or in one zlib or gzip stream (``TFRecordOptions``).

A record is framed as TF frames it (its length, a masked CRC-32C of the length, the bytes, a masked CRC-32C of the
bytes). The framing is tensorboard's own record writer and reader, run with the CRC-32C of the ``google-crc32c``
package (tensorboard's is pure Python); both come with daskflow's ``tf`` extra. Files are opened with
``daskflow.gfile``, so any path ``fsspec`` knows works. A record whose checksum does not match, or a file cut short,
raises ``DataLossError``.

Examples
--------
>>> import daskflow as df
>>> with df.python_io.TFRecordWriter("/tmp/example.tfrecord") as w:     # doctest: +SKIP
...     w.write(b"one")
>>> list(df.python_io.tf_record_iterator("/tmp/example.tfrecord"))      # doctest: +SKIP
[b'one']
"""
import functools
import gzip
import importlib
import types
import zlib

from . import errors, gfile

__all__ = ["TFRecordWriter", "tf_record_iterator", "TFRecordOptions", "TFRecordCompressionType"]


class TFRecordCompressionType:
    """The compression of a TFRecord file: ``NONE``, ``ZLIB`` or ``GZIP``."""
    NONE = 0
    ZLIB = 1
    GZIP = 2


class TFRecordOptions:
    """How a TFRecord file is compressed (TF's ``TFRecordOptions``).

    ``compression_type`` is a ``TFRecordCompressionType`` or its name ("", "ZLIB", "GZIP"). ``compression_level``
    (0-9, default 6), ``window_bits`` (8-15), ``mem_level`` (1-9) and ``compression_strategy`` are zlib's;
    ``flush_mode``, ``input_buffer_size``, ``output_buffer_size`` and ``compression_method`` are accepted as TF does
    (the buffers are Python's own)."""
    compression_type_map = {TFRecordCompressionType.ZLIB: "ZLIB", TFRecordCompressionType.GZIP: "GZIP",
                            TFRecordCompressionType.NONE: ""}

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None, output_buffer_size=None,
                 window_bits=None, compression_level=None, compression_method=None, mem_level=None,
                 compression_strategy=None):
        if isinstance(compression_type, str):
            compression_type = self._type_of(compression_type)
        elif compression_type is None:
            compression_type = TFRecordCompressionType.NONE
        elif compression_type not in self.compression_type_map:
            raise ValueError(f"Unsupported compression_type: {compression_type!r}")
        self.compression_type = compression_type
        self.flush_mode, self.input_buffer_size, self.output_buffer_size = flush_mode, input_buffer_size, \
            output_buffer_size
        self.window_bits, self.compression_level, self.compression_method = window_bits, compression_level, \
            compression_method
        self.mem_level, self.compression_strategy = mem_level, compression_strategy

    @classmethod
    def _type_of(cls, name):
        for kind, text in cls.compression_type_map.items():
            if name.upper() == text:
                return kind
        raise ValueError(f'Unrecognized compression type "{name}"')

    @classmethod
    def get_compression_type_string(cls, options):
        """The name ("", "ZLIB" or "GZIP") of the compression of ``options`` (a ``TFRecordOptions``, a
        ``TFRecordCompressionType`` or a name; None is "")."""
        if not options:
            return ""
        if isinstance(options, TFRecordOptions):
            return cls.compression_type_map[options.compression_type]
        if isinstance(options, str):
            return cls.compression_type_map[cls._type_of(options)]
        return cls.compression_type_map[options]


def _options(options):
    return options if isinstance(options, TFRecordOptions) else TFRecordOptions(
        TFRecordOptions.get_compression_type_string(options))


# -- the framing: tensorboard's, with google-crc32c's checksum

def _require(module):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"TFRecord files need {module.split('.')[0]!r}: pip install 'daskflow[tf]'") from None


def _masked_crc32c(data):
    crc = _require("google_crc32c").value(bytes(data))
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _fast_crc(fn):
    """``fn``, a function of tensorboard's framing, whose ``masked_crc32c`` is ``_masked_crc32c``: the same
    checksum, computed by google-crc32c's C code."""
    return types.FunctionType(fn.__code__, dict(fn.__globals__, masked_crc32c=_masked_crc32c), fn.__name__,
                              fn.__defaults__, fn.__closure__)


@functools.cache
def _framing():
    """``(writer class, reader class, tensorboard's errors)``: tensorboard's record writer and reader."""
    writer = _require("tensorboard.summary.writer.record_writer").RecordWriter
    pywrap = _require("tensorboard.compat.tensorflow_stub.pywrap_tensorflow")
    reader = pywrap.PyRecordReader_New
    fast_writer = type("RecordWriter", (writer,), {"write": _fast_crc(writer.write)})
    fast_reader = type("RecordReader", (reader,), {"GetNext": _fast_crc(reader.GetNext),
                                                   "__init__": _reader_init})
    return fast_writer, fast_reader, _require("tensorboard.compat.tensorflow_stub.errors")


def _reader_init(self, name, stream):
    """tensorboard's reader on an open ``stream`` (its own opens a local path, and reads no compressed file)."""
    self.filename, self.file_handle = name, stream
    self.start_offset, self.compression_type, self.status = 0, None, None
    self.curr_event, self._buffer, self._buffer_pos = None, b"", 0


# -- zlib streams

class _ZlibWriter:
    """A file object compressing what is written to ``f`` as one zlib stream."""

    def __init__(self, f, options):
        level = 6 if options.compression_level is None else options.compression_level
        self._f = f
        self._z = zlib.compressobj(level, zlib.DEFLATED, options.window_bits or 15, options.mem_level or 9,
                                   options.compression_strategy or 0)
        self.closed = False

    def write(self, data):
        self._f.write(self._z.compress(data))

    def flush(self):
        self._f.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._f.flush()

    def close(self):
        if not self.closed:
            self._f.write(self._z.flush(zlib.Z_FINISH))
            self._f.close()
            self.closed = True


class _ZlibReader:
    """A file object reading ``f``, one zlib stream, decompressed."""

    def __init__(self, f, options):
        self._f, self._z, self._out = f, zlib.decompressobj(options.window_bits or 15), b""

    def read(self, n):
        while len(self._out) < n and not self._z.eof:
            chunk = self._f.read(1 << 16)
            self._out += self._z.decompress(chunk) if chunk else self._z.flush()
            if not chunk:
                break
        out, self._out = self._out[:n], self._out[n:]
        return out

    def close(self):
        self._f.close()


def _compressed_writer(f, options):
    if options.compression_type == TFRecordCompressionType.GZIP:
        level = 6 if options.compression_level is None else options.compression_level
        return _Closing(gzip.GzipFile(fileobj=f, mode="wb", compresslevel=level, mtime=0), f)
    if options.compression_type == TFRecordCompressionType.ZLIB:
        return _ZlibWriter(f, options)
    return f


class _Closing:
    """A gzip stream that closes the file under it too."""

    def __init__(self, stream, f):
        self._stream, self._f = stream, f

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def close(self):
        self._stream.close()
        self._f.close()


def _compressed_reader(f, options):
    if options.compression_type == TFRecordCompressionType.GZIP:
        return _Closing(gzip.GzipFile(fileobj=f, mode="rb"), f)
    if options.compression_type == TFRecordCompressionType.ZLIB:
        return _ZlibReader(f, options)
    return f


# -- the public API

class TFRecordWriter:
    """Writes records (bytes, usually serialized ``Example`` protos) to the TFRecord file ``path`` (TF's
    ``python_io.TFRecordWriter``), compressed as ``options`` (a ``TFRecordOptions`` or a compression name) says.
    ``write(record)``, ``flush()``, ``close()``; a context manager closes it."""

    def __init__(self, path, options=None):
        writer_cls = _framing()[0]
        self._options = _options(options)
        f = gfile.GFile(path, "wb")
        f.write(b"")  # the file exists from now on, as TF's writer makes it
        self._writer, self._closed = writer_cls(_compressed_writer(f, self._options)), False

    def write(self, record):
        """Append one record (bytes; a str is written as UTF-8)."""
        if self._closed:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        self._writer.write(record.encode("utf-8") if isinstance(record, str) else bytes(record))

    def flush(self):
        """Write out what is buffered (a compressed stream stays open)."""
        if self._closed:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        self._writer.flush()

    def close(self):
        """Finish the file; closing twice is harmless."""
        if not self._closed:
            self._writer.close()
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def tf_record_iterator(path, options=None):
    """Yield the records of the TFRecord file ``path`` (TF's ``python_io.tf_record_iterator``), decompressed as
    ``options`` says. A record whose checksum fails, or a file that ends inside a record, raises ``DataLossError``
    naming where; a missing file ``NotFoundError``."""
    _, reader_cls, tb_errors = _framing()
    stream = _compressed_reader(gfile.GFile(path, "rb"), _options(options))
    reader, offset = reader_cls(str(path), stream), 0
    try:
        while True:
            try:
                reader.GetNext()
            except tb_errors.OutOfRangeError:
                return
            except tb_errors.DataLossError as e:
                # TF's messages: where the record starts, or for a bad checksum of its bytes where they start
                what = "truncated" if "truncated" in str(e) else "corrupted"
                at = offset + 12 if "event crc32" in str(e) else offset
                raise errors.DataLossError(None, None, f"{what} record at {at} in {path}") from None
            except (OSError, EOFError, zlib.error) as e:
                raise errors.DataLossError(None, None, f"{path}: {e}") from None
            record = reader.record()
            offset += 16 + len(record)
            yield record
    finally:
        stream.close()
