"""Reading TensorFlow's own checkpoints (the tensor bundle) without TensorFlow: every variable of the checkpoints
that ``tests/fixtures/tf1/make_fixtures.py`` wrote with TF reads back as TF's reader read it; corrupt, truncated and
missing files and names raise TF's errors naming the file and the tensor or block; Snappy-compressed index blocks
(which TF does not write, other LevelDB writers do) read the same."""
import base64
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from daskflow import dtypes, errors
from daskflow.train import tf_bundle
from daskflow.train.tf_bundle import TensorBundleReader, is_tensor_bundle, snappy_decompress

pytest.importorskip("tensorboard")
pytest.importorskip("google_crc32c")

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tf1"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
CHECKPOINTS = EXPECTED["checkpoints"]
VARIABLES = [(prefix, name) for prefix, c in CHECKPOINTS.items() for name in c["variables"]]
MISC = "misc/vars.ckpt"


def expected_value(v):
    """A variable of expected.json as numpy: base64 byte strings, [re, im] pairs for complex."""
    if v["dtype"] == "bytes":
        flat = [base64.b64decode(s) for s in np.ravel(np.array(v["values"], dtype=object))]
        return np.array(flat, dtype=object).reshape(v["shape"])
    dtype = np.dtype(v["dtype"])
    if dtype.kind == "c":
        pairs = np.array(v["values"], dtype=np.float64)
        return (pairs[..., 0] + 1j * pairs[..., 1]).astype(dtype)
    return np.array(v["values"], dtype=dtype).reshape(v["shape"])


def reader(prefix):
    return TensorBundleReader(FIXTURES / prefix)


def copy_checkpoint(tmp_path, prefix=MISC):
    """A copy of a fixture checkpoint in tmp_path, to damage; returns its prefix."""
    for f in FIXTURES.glob(prefix + ".*"):
        shutil.copy(f, tmp_path / f.name)
    return str(tmp_path / Path(prefix).name)


def flip_byte(path, offset):
    data = bytearray(Path(path).read_bytes())
    data[offset] ^= 0x5A
    Path(path).write_bytes(bytes(data))


@pytest.mark.parametrize("prefix,name", VARIABLES, ids=[f"{p}:{n}" for p, n in VARIABLES])
def test_every_variable_reads_as_tf_read_it(prefix, name):
    want = expected_value(CHECKPOINTS[prefix]["variables"][name])
    got = reader(prefix).get_tensor(name)
    assert got.dtype == want.dtype and got.shape == want.shape
    if got.dtype == object:
        assert got.tolist() == want.tolist() and all(type(b) is bytes for b in got.ravel())
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("prefix", list(CHECKPOINTS))
def test_shape_and_dtype_maps(prefix):
    variables = CHECKPOINTS[prefix]["variables"]
    r = reader(prefix)
    assert r.get_variable_to_shape_map() == {n: v["shape"] for n, v in variables.items()}
    assert r.get_variable_to_dtype_map() == {n: dtypes.string if v["dtype"] == "bytes" else np.dtype(v["dtype"])
                                             for n, v in variables.items()}
    assert all(r.has_tensor(n) for n in variables) and not r.has_tensor("") and not r.has_tensor("dense")


@pytest.mark.parametrize("prefix", list(CHECKPOINTS))
def test_debug_string_is_tfs(prefix):
    assert reader(prefix).debug_string() == CHECKPOINTS[prefix]["debug_string"].encode("latin-1")


def test_tensors_sit_at_offsets_after_a_large_one():
    r = reader(MISC)
    assert r.entry("big").size == 50 * 50 * 8
    assert all(r.entry(n).offset >= r.entry("big").size for n in CHECKPOINTS[MISC]["variables"] if n != "big")


def test_is_tensor_bundle(tmp_path):
    assert is_tensor_bundle(FIXTURES / MISC) and is_tensor_bundle(str(FIXTURES / "mlp" / "model.ckpt-5"))
    assert not is_tensor_bundle(tmp_path / "nothing")
    (tmp_path / "junk.index").write_bytes(b"not a table" * 10)
    assert not is_tensor_bundle(tmp_path / "junk")


def test_mlp_probs_from_the_read_variables_match_tfs():
    r = reader("mlp/model.ckpt-5")
    x = np.array(EXPECTED["mlp"]["x"], np.float32)
    hidden = np.maximum(x @ r.get_tensor("dense/kernel") + r.get_tensor("dense/bias"), 0)
    logits = hidden @ r.get_tensor("dense_1/kernel") + r.get_tensor("dense_1/bias")
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), EXPECTED["mlp"]["probs"], rtol=1e-5)
    assert r.get_tensor("global_step") == 5


# -- damaged and missing files


@pytest.mark.parametrize("name", ["big", "strings", "scalar"])
def test_a_flipped_data_byte_raises_data_loss_naming_the_tensor(tmp_path, name):
    prefix = copy_checkpoint(tmp_path)
    r = TensorBundleReader(prefix)
    entry = r.entry(name)
    flip_byte(r.data_path(entry.shard_id), entry.offset + entry.size - 1)
    with pytest.raises(errors.DataLossError, match=f"'{name}'") as info:
        r.get_tensor(name)
    assert "vars.ckpt.data-00000-of-00001" in str(info.value)
    assert r.get_tensor("u8_array").tolist() == [0, 1, 127, 128, 254, 255]      # the others still read


def test_a_flipped_string_length_raises_data_loss(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    r = TensorBundleReader(prefix)
    flip_byte(r.data_path(0), r.entry("strings").offset + 2)
    with pytest.raises(errors.DataLossError, match="'strings'"):
        r.get_tensor("strings")


def test_a_truncated_data_file_raises_data_loss(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    r = TensorBundleReader(prefix)
    data = Path(r.data_path(0))
    data.write_bytes(data.read_bytes()[:r.entry("u8_array").offset + 2])
    with pytest.raises(errors.DataLossError, match="truncated.*'u8_array'"):
        r.get_tensor("u8_array")


def test_a_missing_data_file_raises_not_found(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    r = TensorBundleReader(prefix)
    Path(r.data_path(0)).unlink()
    with pytest.raises(errors.NotFoundError, match="data-00000-of-00001.*'scalar'"):
        r.get_tensor("scalar")


def test_a_flipped_index_byte_raises_data_loss_naming_the_block(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    flip_byte(prefix + ".index", 40)
    with pytest.raises(errors.DataLossError, match=r"vars\.ckpt\.index.*checksum mismatch in the block at offset 0"):
        TensorBundleReader(prefix)


@pytest.mark.parametrize("keep", [20, 300])
def test_a_truncated_index_raises_data_loss(tmp_path, keep):
    prefix = copy_checkpoint(tmp_path)
    index = Path(prefix + ".index")
    index.write_bytes(index.read_bytes()[:keep])
    with pytest.raises(errors.DataLossError, match=r"vars\.ckpt\.index"):
        TensorBundleReader(prefix)


def test_a_missing_tensor_raises_not_found_with_close_names():
    with pytest.raises(errors.NotFoundError, match="dense/kernl.*model.ckpt-5.*close names: dense/kernel"):
        reader("mlp/model.ckpt-5").get_tensor("dense/kernl")


def test_a_missing_prefix_raises_not_found_naming_the_checkpoints_there():
    with pytest.raises(errors.NotFoundError, match=r"model\.ckpt'.*does not exist.*model\.ckpt-5"):
        reader("mlp/model.ckpt")
    with pytest.raises(errors.NotFoundError, match="does not exist"):
        TensorBundleReader("/no/such/dir/model.ckpt")


# -- compression


def test_snappy_literals_and_overlapping_copies():
    literal = bytes(range(70))                     # 70 bytes: the length-1 goes in one extra byte (tag 60)
    stream = bytes([82, 60 << 2, len(literal) - 1]) + literal + bytes([3 << 2, *b"abcd", (8 - 4) << 2 | 1, 4])
    assert snappy_decompress(stream) == literal + b"abcd" + b"abcdabcd"
    with pytest.raises(ValueError, match="offset"):
        snappy_decompress(bytes([8, 0, 7, 1 | 4 << 2, 9]))


def _snappy(data):
    """A valid Snappy block of literals only (enough to test the reader's decompression)."""
    return _varints(len(data)) + bytes([61 << 2]) + struct.pack("<H", len(data) - 1) + data


def _block(entries, compress):
    """A LevelDB block without prefix compression (one restart per entry), with its 5-byte trailer."""
    body = b"".join(bytes([0, len(k), len(v)]) + k + v for k, v in entries)     # keys, values < 128 bytes
    restarts, pos = [], 0
    for k, v in entries:
        restarts.append(pos)
        pos += 3 + len(k) + len(v)
    block = body + struct.pack(f"<{len(restarts) + 1}I", *restarts, len(restarts))
    block, kind = (_snappy(block), 1) if compress else (block, 0)
    return block, block + bytes([kind]) + struct.pack("<I", tf_bundle._mask(tf_bundle._crc32c(block + bytes([kind]))))


def _varints(*values):
    out = b""
    for v in values:
        while v >= 0x80:
            out, v = out + bytes([v & 0x7F | 0x80]), v >> 7
        out += bytes([v])
    return out


def test_a_snappy_compressed_index_in_several_blocks_reads_the_same(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    entries = tf_bundle._read_table(prefix + ".index")
    out, index = b"", []
    for part in (entries[:5], entries[5:]):                                    # two data blocks
        block, stored = _block(part, compress=True)
        index.append((part[-1][0], _varints(len(out), len(block))))
        out += stored
    meta, meta_stored = _block([], compress=False)
    meta_handle, out = _varints(len(out), len(meta)), out + meta_stored
    idx, idx_stored = _block(index, compress=True)
    footer = (meta_handle + _varints(len(out), len(idx))).ljust(40, b"\0") + struct.pack("<Q", tf_bundle._MAGIC)
    Path(prefix + ".index").write_bytes(out + idx_stored + footer)
    r = TensorBundleReader(prefix)
    assert r.debug_string() == reader(MISC).debug_string()
    for name in CHECKPOINTS[MISC]["variables"]:
        assert r.get_tensor(name).tolist() == reader(MISC).get_tensor(name).tolist()


def test_an_unknown_compression_raises_unimplemented(tmp_path):
    prefix = copy_checkpoint(tmp_path)
    entries = tf_bundle._read_table(prefix + ".index")
    block, stored = _block(entries, compress=False)
    stored = block + b"\x04" + struct.pack("<I", tf_bundle._mask(tf_bundle._crc32c(block + b"\x04")))
    meta, meta_stored = _block([], compress=False)
    idx, idx_stored = _block([(entries[-1][0], _varints(0, len(block)))], compress=False)
    footer = (_varints(len(stored), len(meta), len(stored) + len(meta_stored), len(idx))).ljust(40, b"\0") \
        + struct.pack("<Q", tf_bundle._MAGIC)
    Path(prefix + ".index").write_bytes(stored + meta_stored + idx_stored + footer)
    with pytest.raises(errors.UnimplementedError, match="compression type 4"):
        TensorBundleReader(prefix)
