"""Reads TensorFlow's own checkpoints (the "tensor bundle") without TensorFlow.

A checkpoint ``prefix`` written by ``tf.train.Saver`` (V2 format) is

- ``prefix.index``: a LevelDB table (sorted string table) mapping each variable name to a ``BundleEntryProto`` (dtype,
  shape, and where its bytes are: shard, offset, size, masked CRC-32C), and the empty key to a ``BundleHeaderProto``
  (number of shards, endianness, format version);
- ``prefix.data-0000K-of-0000N``: the tensors' bytes, little-endian and C-ordered, one after the other. A string
  tensor is its elements' lengths as varints, a masked CRC-32C of those lengths, then the elements' bytes.

A partitioned variable saved by TF's Saver is one entry of the full name and shape listing its slices (their
extents), each slice an entry of its own under the key TF's ``EncodeTensorNameSlice`` gives it; ``get_tensor``
puts the slices together.

Every block of the index and every tensor is checked against its checksum: a mismatch raises ``DataLossError``
naming the file and the block or tensor. TensorFlow writes the index uncompressed (Snappy, LevelDB's default, is
turned off in its ``BundleWriter``), but other writers of such tables may compress blocks with Snappy, which
:func:`snappy_decompress` reads.

The protobuf messages are built from their schema (``tensor_bundle.proto``) on the ones ``tensorboard`` ships, so
this module needs the ``tf`` extra (``tensorboard``, ``google-crc32c``), not TensorFlow.

>>> reader = TensorBundleReader("tests/fixtures/tf1/misc/vars.ckpt")    # doctest: +SKIP
>>> reader.get_variable_to_shape_map()["outer/inner/w"]                 # doctest: +SKIP
[2, 2]
"""
import difflib
import functools
import importlib
import os
import struct

import numpy as np

from .. import dtypes, errors

__all__ = ["TensorBundleReader", "is_tensor_bundle", "snappy_decompress"]

_MAGIC = 0xDB4775248B80FB57      # LevelDB's table magic number, the last 8 bytes of an .index file
_FOOTER = 48                      # two BlockHandles (varints, padded to 40 bytes) + the magic
_BUNDLE_VERSION = 1               # TF's kTensorBundleVersion: the newest format this reader knows

# TF's DataType enum -> numpy dtype (DT_STRING is an object array of bytes, as TF's reader gives)
_DTYPES = {1: dtypes.float32, 2: dtypes.float64, 3: dtypes.int32, 4: dtypes.uint8, 5: dtypes.int16, 6: dtypes.int8,
           7: dtypes.string, 8: dtypes.complex64, 9: dtypes.int64, 10: dtypes.bool, 17: dtypes.uint16,
           18: dtypes.complex128, 19: dtypes.float16, 22: dtypes.uint32, 23: dtypes.uint64}
_DT_STRING, _DT_BFLOAT16 = 7, 14


# -- the protobuf messages


def _require(module):
    """``module``, or an ImportError saying which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"reading TensorFlow checkpoints needs {module.split('.')[0]!r}: "
                          f"pip install 'daskflow[tf]'") from None


@functools.cache
def _messages():
    """``(BundleHeaderProto, BundleEntryProto)``, built once from TF's ``tensor_bundle.proto`` (field numbers as
    there) in a pool of their own, on the ``DataType``, ``TensorShapeProto`` and ``VersionDef`` of tensorboard."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    tensor_shape_pb2, types_pb2, versions_pb2 = (_require(f"tensorboard.compat.proto.{m}_pb2")
                                                 for m in ("tensor_shape", "types", "versions"))
    pool = descriptor_pool.DescriptorPool()
    deps = [m.DESCRIPTOR for m in (tensor_shape_pb2, types_pb2, versions_pb2)]
    for d in deps:
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(d.serialized_pb))
    F = descriptor_pb2.FieldDescriptorProto
    f = descriptor_pb2.FileDescriptorProto(name="daskflow/tensor_bundle.proto", package="tensorflow",
                                           syntax="proto3", dependency=[d.name for d in deps])

    def message(parent, name, *fields):
        m = parent.add(name=name)
        for fname, number, kind, type_name, label in fields:
            m.field.add(name=fname, number=number, type=kind, type_name=type_name, label=label)
        return m
    one, many, tb = F.LABEL_OPTIONAL, F.LABEL_REPEATED, types_pb2.DESCRIPTOR.package   # "tensorboard"
    slc = message(f.message_type, "TensorSliceProto",
                  ("extent", 1, F.TYPE_MESSAGE, ".tensorflow.TensorSliceProto.Extent", many))
    message(slc.nested_type, "Extent", ("start", 1, F.TYPE_INT64, None, one), ("length", 2, F.TYPE_INT64, None, one))
    head = message(f.message_type, "BundleHeaderProto",
                   ("num_shards", 1, F.TYPE_INT32, None, one),
                   ("endianness", 2, F.TYPE_ENUM, ".tensorflow.BundleHeaderProto.Endianness", one),
                   ("version", 3, F.TYPE_MESSAGE, f".{tb}.VersionDef", one))
    endianness = head.enum_type.add(name="Endianness")
    endianness.value.add(name="LITTLE", number=0)
    endianness.value.add(name="BIG", number=1)
    message(f.message_type, "BundleEntryProto",
            ("dtype", 1, F.TYPE_ENUM, f".{tb}.DataType", one),
            ("shape", 2, F.TYPE_MESSAGE, f".{tb}.TensorShapeProto", one),
            ("shard_id", 3, F.TYPE_INT32, None, one), ("offset", 4, F.TYPE_INT64, None, one),
            ("size", 5, F.TYPE_INT64, None, one), ("crc32c", 6, F.TYPE_FIXED32, None, one),
            ("slices", 7, F.TYPE_MESSAGE, ".tensorflow.TensorSliceProto", many))
    pool.Add(f)
    get = message_factory.GetMessageClass
    return (get(pool.FindMessageTypeByName("tensorflow.BundleHeaderProto")),
            get(pool.FindMessageTypeByName("tensorflow.BundleEntryProto")))


def _dtype_name(enum):
    try:
        return _require("tensorboard.compat.proto.types_pb2").DataType.Name(enum)
    except ValueError:
        return f"DataType({enum})"


# -- checksums and varints


def _crc32c(data, crc=0):
    return _require("google_crc32c").extend(crc, bytes(data))


def _mask(crc):
    """LevelDB's masked CRC: a CRC stored next to the data it covers is masked, so that the CRC of a block holding
    CRCs is not degenerate."""
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(buf, i):
    """The varint at ``buf[i:]`` and the position after it (IndexError when it runs off the end)."""
    value = shift = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def _handle(buf, i=0):
    """A LevelDB BlockHandle at ``buf[i:]``: ``(offset, size, position after it)``."""
    offset, i = _varint(buf, i)
    size, i = _varint(buf, i)
    return offset, size, i


# -- Snappy (the raw block format LevelDB uses)


def snappy_decompress(buf):
    """Decompress one raw Snappy block: a varint length, then literals and back-references (copies)."""
    n, i = _varint(buf, 0)
    out = bytearray()
    while i < len(buf):
        tag, kind = buf[i], buf[i] & 3
        i += 1
        if kind == 0:                                   # literal: length-1 in the tag, or in 1-4 bytes after it
            length = tag >> 2
            if length >= 60:
                length, i = int.from_bytes(buf[i:i + length - 59], "little"), i + length - 59
            out += buf[i:i + length + 1]
            i += length + 1
            continue
        if kind == 1:                                   # copy: 3 bits of length-4, 11 bits of offset
            length, offset, i = ((tag >> 2) & 7) + 4, (tag >> 5) << 8 | buf[i], i + 1
        else:                                           # copy: 6 bits of length-1, a 2 or 4 byte offset
            width = 2 if kind == 2 else 4
            length, offset, i = (tag >> 2) + 1, int.from_bytes(buf[i:i + width], "little"), i + width
        if not 0 < offset <= len(out):
            raise ValueError(f"snappy copy offset {offset} outside the {len(out)} bytes decoded so far")
        start = len(out) - offset
        for k in range(length):                         # byte by byte: a copy may overlap its own output
            out.append(out[start + k])
    if len(out) != n:
        raise ValueError(f"snappy block decodes to {len(out)} bytes, its header says {n}")
    return bytes(out)


# -- the LevelDB table (.index)


def _read_footer(path, data):
    if len(data) < _FOOTER or struct.unpack("<Q", data[-8:])[0] != _MAGIC:
        raise errors.DataLossError(None, None, f"'{path}' is not a tensor bundle index: no LevelDB table footer "
                                   f"(file of {len(data)} bytes)")
    _, _, i = _handle(data[-_FOOTER:])                   # the metaindex block: nothing in it is needed
    return _handle(data[-_FOOTER:], i)[:2]


def _read_block(path, data, offset, size):
    """The contents of the block at ``offset``, checked against its trailer (type byte + masked CRC-32C)."""
    if offset + size + 5 > len(data):
        raise errors.DataLossError(None, None, f"'{path}' is truncated: block at offset {offset} ({size} bytes) "
                                   f"runs past its end ({len(data)} bytes)")
    block, kind = data[offset:offset + size], data[offset + size]
    want, = struct.unpack("<I", data[offset + size + 1:offset + size + 5])
    if _mask(_crc32c(data[offset:offset + size + 1])) != want:
        raise errors.DataLossError(None, None, f"'{path}' is corrupt: checksum mismatch in the block at offset "
                                   f"{offset} ({size} bytes)")
    if kind == 1:
        return snappy_decompress(block)
    if kind != 0:
        raise errors.UnimplementedError(None, None, f"'{path}': the block at offset {offset} uses compression "
                                        f"type {kind}; only none (0) and Snappy (1) are supported")
    return block


def _block_entries(block):
    """The ``(key, value)`` entries of a block: keys share a prefix with the one before (a restart array, not
    needed to read them all in order, closes the block)."""
    num_restarts, = struct.unpack("<I", block[-4:])
    end, i, key = len(block) - 4 - 4 * num_restarts, 0, b""
    while i < end:
        shared, i = _varint(block, i)
        unshared, i = _varint(block, i)
        size, i = _varint(block, i)
        key = key[:shared] + block[i:i + unshared]
        yield key, block[i + unshared:i + unshared + size]
        i += unshared + size


def _read_table(path):
    """Every ``(key, value)`` of the LevelDB table at ``path``, in key order."""
    with open(path, "rb") as f:
        data = f.read()
    index = _read_block(path, data, *_read_footer(path, data))
    try:            # the index block maps a key past each data block's last one to that block's handle
        handles = [_handle(h)[:2] for _, h in _block_entries(index)]
        return [kv for handle in handles for kv in _block_entries(_read_block(path, data, *handle))]
    except (IndexError, struct.error, ValueError) as e:
        raise errors.DataLossError(None, None, f"'{path}' is corrupt: a block's entries do not parse ({e})") from None


# -- the bundle


def is_tensor_bundle(prefix):
    """Whether ``prefix.index`` exists and ends with a LevelDB table footer (TF's checkpoint format V2)."""
    path = os.fspath(prefix) + ".index"
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() < _FOOTER:
                return False
            f.seek(-8, os.SEEK_END)
            return struct.unpack("<Q", f.read(8))[0] == _MAGIC
    except OSError:
        return False


def _not_found_prefix(prefix):
    """NotFoundError for a prefix with no ``.index``, suggesting the checkpoints its directory has."""
    folder = os.path.dirname(prefix) or "."
    there = [os.path.join(os.path.dirname(prefix), f[:-6]) for f in sorted(os.listdir(folder))
             if f.endswith(".index")] if os.path.isdir(folder) else []
    close = difflib.get_close_matches(prefix, there, n=3, cutoff=0.5) or there[:3]
    hint = f"; checkpoints there: {', '.join(close)}" if close else ""
    return errors.NotFoundError(None, None, f"No TensorFlow checkpoint at '{prefix}': '{prefix}.index' does not "
                                f"exist{hint}")


class TensorBundleReader:
    """What a TensorFlow checkpoint (tensor bundle) holds, by variable name: TF's ``CheckpointReader``.

    Parameters
    ----------
    prefix : str or path
        The checkpoint prefix, e.g. ``"train/model.ckpt-5"`` for ``train/model.ckpt-5.index`` and its data files.

    Raises
    ------
    NotFoundError
        No ``prefix.index``.
    DataLossError
        The index is truncated or corrupt (a block's checksum does not match).
    UnimplementedError
        A bundle of a newer format or of big-endian byte order.
    """

    def __init__(self, prefix):
        self.prefix = os.fspath(prefix)
        self.index_path = self.prefix + ".index"
        if not os.path.isfile(self.index_path):
            raise _not_found_prefix(self.prefix)
        Header, Entry = _messages()
        self.header, self._entries, self._slices = None, {}, {}
        for key, value in _read_table(self.index_path):
            try:
                msg = (Entry if key else Header).FromString(value)
            except Exception as e:            # protobuf's DecodeError
                raise errors.DataLossError(None, None, f"'{self.index_path}' is corrupt: the entry of "
                                           f"'{key.decode(errors='replace')}' does not parse ({e})") from None
            if key and key[0] == 0:
                self._slices[key] = msg  # a slice of a partitioned variable (ordered-code key): found by its entry
            elif key:
                self._entries[key.decode()] = msg
            else:
                self.header = msg
        self._check_header()

    def _check_header(self):
        h = self.header
        if h is None:
            raise errors.DataLossError(None, None, f"'{self.index_path}' has no bundle header (the empty key)")
        if h.version.min_consumer > _BUNDLE_VERSION:
            raise errors.UnimplementedError(None, None, f"'{self.index_path}' needs a reader of bundle format "
                                            f"{h.version.min_consumer} or newer; this one reads {_BUNDLE_VERSION}")
        if h.endianness != 0:
            raise errors.UnimplementedError(None, None, f"'{self.index_path}' is big-endian; only little-endian "
                                            f"bundles are read")

    # -- TF's CheckpointReader API

    def get_variable_to_shape_map(self):
        """Variable name -> its shape, a list of ints."""
        return {name: [d.size for d in e.shape.dim] for name, e in self._entries.items()}

    def get_variable_to_dtype_map(self):
        """Variable name -> its dtype (a numpy dtype of :mod:`daskflow.dtypes`)."""
        return {name: _numpy_dtype(name, e) for name, e in self._entries.items()}

    def has_tensor(self, name):
        return name in self._entries

    def entry(self, name):
        """The ``BundleEntryProto`` of tensor ``name``: dtype, shape, and where its bytes are."""
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            hint = f"; close names: {', '.join(close)}" if close else ""
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint '{self.prefix}'{hint}") \
                from None

    def get_tensor(self, name):
        """The value of tensor ``name`` as a numpy array (strings: an object array of bytes), checksum verified."""
        e = self.entry(name)
        if e.slices:
            return self._get_sliced(name, e)
        return self._get_entry(name, e)

    def _get_sliced(self, name, e):
        """A variable saved in slices (TF's Saver of a partitioned variable): each slice is an entry of its own,
        under the key ``EncodeTensorNameSlice`` gives it, put in its place in the full value."""
        shape = [d.size for d in e.shape.dim]
        out = np.empty(shape, dtype=_numpy_dtype(name, e))
        for sl in e.slices:
            key = _slice_key(name, sl.extent)
            part = self._slices.get(key)
            if part is None:
                raise errors.DataLossError(None, None, f"'{self.index_path}' lists a slice of '{name}' that it does "
                                           f"not hold ({_slice_spec(sl.extent, shape)})")
            out[tuple(slice(x.start, x.start + x.length) if x.length else slice(None) for x in sl.extent)] = \
                self._get_entry(f"{name} ({_slice_spec(sl.extent, shape)})", part)
        return out

    def _get_entry(self, name, e):
        dtype, shape = _numpy_dtype(name, e), [d.size for d in e.shape.dim]
        path, raw = self._read(name, e)
        if e.dtype == _DT_STRING:
            return _decode_strings(raw, shape, e.crc32c, path, name)
        if _mask(_crc32c(raw)) != e.crc32c:
            raise errors.DataLossError(None, None, f"'{path}' is corrupt: checksum mismatch for tensor '{name}' "
                                       f"({e.size} bytes at offset {e.offset})")
        if len(raw) != dtype.itemsize * int(np.prod(shape)):
            raise errors.DataLossError(None, None, f"'{path}': tensor '{name}' has {len(raw)} bytes, not the "
                                       f"{dtype.itemsize * int(np.prod(shape))} of {dtype.name}{shape}")
        return np.frombuffer(raw, dtype.newbyteorder("<")).astype(dtype).reshape(shape)

    def debug_string(self):
        """``name (DT_FLOAT) [2,3]`` lines, one per variable in name order, as TF's ``debug_string()`` (bytes)."""
        return "".join(f"{name} ({_dtype_name(e.dtype)}) [{','.join(str(d.size) for d in e.shape.dim)}]\n"
                       for name, e in sorted(self._entries.items())).encode()

    # -- the data files

    def data_path(self, shard_id):
        return f"{self.prefix}.data-{shard_id:05d}-of-{self.header.num_shards:05d}"

    def _read(self, name, e):
        """``(path, bytes)`` of tensor ``name`` in its data file."""
        path = self.data_path(e.shard_id)
        try:
            with open(path, "rb") as f:
                f.seek(e.offset)
                raw = f.read(e.size)
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"Data file '{path}' of checkpoint '{self.prefix}' (holding "
                                       f"tensor '{name}') does not exist") from None
        if len(raw) != e.size:
            raise errors.DataLossError(None, None, f"'{path}' is truncated: tensor '{name}' needs bytes "
                                       f"{e.offset}..{e.offset + e.size}, the file has {os.path.getsize(path)}")
        return path, raw


# -- the keys of slices: TF's ``EncodeTensorNameSlice``, in its ``OrderedCode`` encoding

_HEADER_BITS = [(0, 0), (0x80, 0), (0xc0, 0), (0xe0, 0), (0xf0, 0), (0xf8, 0), (0xfc, 0), (0xfe, 0), (0xff, 0),
                (0xff, 0x80), (0xff, 0xc0)]


_ESCAPES = {0: b"\x00\xff", 0xff: b"\xff\x00"}


def _num_increasing(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([len(raw)]) + raw


def _signed_num_increasing(v):
    x = ~v if v < 0 else v
    n = x.bit_length() // 7 + 1            # bytes needed: each holds 7 bits, less one for the sign
    raw = bytearray(v.to_bytes(10, "big", signed=True)[10 - n:])
    raw[0] ^= _HEADER_BITS[n][0]
    if n > 1:
        raw[1] ^= _HEADER_BITS[n][1]
    return bytes(raw)


def _slice_key(name, extents):
    """The index key of the slice ``extents`` of tensor ``name``; a full extent is start 0, length -1."""
    escaped = b"".join(_ESCAPES.get(b, bytes([b])) for b in name.encode())
    key = _num_increasing(0) + escaped + b"\x00\x01" + _num_increasing(len(extents))
    for x in extents:
        key += _signed_num_increasing(x.start if x.length else 0) + _signed_num_increasing(x.length or -1)
    return key


def _slice_spec(extents, shape):
    return ":".join(f"{x.start},{x.length}" if x.length else f"0,{d}" for x, d in zip(extents, shape))


def _numpy_dtype(name, entry):
    if entry.dtype in _DTYPES:
        return _DTYPES[entry.dtype]
    if entry.dtype == _DT_BFLOAT16:
        try:
            import ml_dtypes
            return np.dtype(ml_dtypes.bfloat16)
        except ImportError:
            pass
    raise errors.UnimplementedError(None, None, f"tensor '{name}' is of {_dtype_name(entry.dtype)}, which daskflow "
                                    f"cannot read from a checkpoint")


def _decode_strings(raw, shape, want, path, name):
    """A DT_STRING tensor: varint lengths, their masked CRC, then the bytes. TF's entry CRC covers each length as a
    little-endian uint32 (uint64 past 4 GiB), the length CRC's 4 bytes, then the strings."""
    n, i, lengths, crc = int(np.prod(shape)), 0, [], 0
    try:
        for _ in range(n):
            size, i = _varint(raw, i)
            lengths.append(size)
            crc = _crc32c(struct.pack("<I" if size <= 0xFFFFFFFF else "<Q", size), crc)
        stored, = struct.unpack("<I", raw[i:i + 4])
    except (IndexError, struct.error):
        raise errors.DataLossError(None, None, f"'{path}' is corrupt: the lengths of string tensor '{name}' run "
                                   f"past its {len(raw)} bytes") from None
    if stored != _mask(crc) or _mask(_crc32c(raw[i:], crc)) != want or i + 4 + sum(lengths) != len(raw):
        raise errors.DataLossError(None, None, f"'{path}' is corrupt: checksum mismatch for string tensor '{name}'")
    out, i = np.empty(n, dtype=object), i + 4
    for k, size in enumerate(lengths):
        out[k], i = raw[i:i + size], i + size
    return out.reshape(shape)
