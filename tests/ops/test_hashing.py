"""TF's string hashes and fingerprints: values equal TensorFlow 1.x's bit for bit (``tests/fixtures/tf1/hashing``,
written by ``make_hash_fixtures.py``), over empty, ASCII, UTF-8 and arbitrary byte strings, several bucket counts
and keys, and numeric inputs of several dtypes and shapes."""
import importlib.util
import json
import pathlib
import sys

import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.ops import hashing
from daskflow.testing import SweepCase, run_graph
from daskflow.train.sdca import sdca_fprint

FARMHASH = importlib.util.find_spec("farmhash") is not None  # the optional cityhash package
needs_farmhash = pytest.mark.skipif(not FARMHASH, reason="needs the optional cityhash package (daskflow[hashing])")

TESTED_OPS = {"StringToHashBucket", "StringToHashBucketFast", "StringToHashBucketStrong", "Fingerprint", "SdcaFprint"}

FIX = json.loads((pathlib.Path(__file__).resolve().parents[1] / "fixtures/tf1/hashing/hash_fixtures.json").read_text())
STRINGS = np.array([bytes.fromhex(s) for s in FIX["strings"]], dtype=object)
SWEEP_CASES = [SweepCase(lambda s, x: [df.string_to_hash_bucket(s, 7), df.string_to_hash_bucket_fast(s, 7),
                                       df.string_to_hash_bucket_strong(s, 7, [1, 2]), df.fingerprint(s),
                                       df.fingerprint(x), sdca_fprint(df.reshape(s, [-1]))],
                         STRINGS[:6].reshape(2, 3), np.arange(6, dtype=np.int32).reshape(3, 2), name="hashes")]
KEYS = [tuple(k) for k in FIX["keys"]]


@pytest.mark.parametrize("fast", [False, pytest.param(True, marks=needs_farmhash)])
def test_hashes_of_bytes_equal_tf(fast):
    """The per-string hashes, on every fixture string and bucket count (pure functions, no graph)."""
    for nb in FIX["buckets"]:
        if fast:
            assert [hashing.fingerprint64(s) % nb for s in STRINGS] == FIX[f"fast/{nb}"]
            continue
        assert [hashing.hash64(s) % nb for s in STRINGS] == FIX[f"legacy/{nb}"]
        for k0, k1 in KEYS:
            got = [hashing.siphash24(k0 & hashing.MASK, k1 & hashing.MASK, s) % nb for s in STRINGS]
            assert got == FIX[f"strong/{k0},{k1}/{nb}"]


@pytest.mark.parametrize("kind", ["legacy", pytest.param("fast", marks=needs_farmhash), "strong"])
def test_hash_bucket_ops(kind):
    """The ops over a [6, 10] string tensor fed in uneven chunks (the ``tf.strings`` names for two of them)."""
    nb, key = 1000, KEYS[2]
    x = STRINGS[:60].reshape(6, 10)
    build = {"legacy": lambda t: hashing.string_to_hash_bucket(t, nb),
             "fast": lambda t: hashing.to_hash_bucket_fast(t, nb),
             "strong": lambda t: hashing.to_hash_bucket_strong(t, nb, list(key))}[kind]
    got = run_graph(build, x, chunks=[((2, 4), (3, 7))])
    name = f"strong/{key[0]},{key[1]}/{nb}" if kind == "strong" else f"{kind}/{nb}"
    assert got.dtype == np.int64 and got.tolist() == np.reshape(FIX[name][:60], (6, 10)).tolist()


def test_legacy_aliases_and_argument_names():
    with df.Graph().as_default(), df.Session() as s:
        a = hashing.string_to_hash_bucket(input=["hello"], num_buckets=1000)
        b = hashing.to_hash_bucket(string_tensor="hello", num_buckets=1000, name="h")
        assert a.op.type == "StringToHashBucket" and b.op.name == "h" and b.shape == ()
        assert s.run([a, b]) == [[938], 938]


@needs_farmhash
@pytest.mark.parametrize("case", FIX["fingerprint"], ids=lambda c: f"{c['dtype']}{c['shape']}")
def test_fingerprint_equals_tf(case):
    shape = tuple(case["shape"])
    if case["dtype"] == "string":
        value = np.array([bytes.fromhex(v) for v in case["data"]], dtype=object).reshape(shape)
    else:
        value = np.array(case["data"], dtype=case["dtype"]).reshape(shape)
    chunks = [tuple(max(1, (d + 1) // 2) for d in shape)] if value.size else None
    got = run_graph(hashing.fingerprint, value, chunks=chunks)
    assert got.dtype == np.uint8 and got.tolist() == np.reshape(case["out"], (shape[0], 8)).tolist()


@needs_farmhash
def test_fingerprint_unknown_dims():
    case = FIX["fingerprint"][0]  # int32 [4, 3]
    value = np.array(case["data"], np.int32).reshape(case["shape"])
    got = run_graph(hashing.fingerprint, value, chunks=[(1, 3)], feed_static_shape=False)
    assert got.tolist() == case["out"]


@needs_farmhash
def test_sdca_fprint_equals_tf():
    got = run_graph(hashing.sdca_fprint, STRINGS, chunks=[(20, 30, len(STRINGS) - 50)])
    assert got.dtype == np.int64 and got.tolist() == FIX["sdca_fprint"]


@needs_farmhash
def test_static_shapes_and_errors():
    with df.Graph().as_default():
        x = df.placeholder(df.string, [None, 3])
        assert hashing.string_to_hash_bucket_fast(x, 5).shape.as_list() == [None, 3]
        assert hashing.fingerprint(df.placeholder(df.float32, [7, 2, 2])).shape.as_list() == [7, 8]
        assert hashing.sdca_fprint(df.placeholder(df.string, [4])).shape.as_list() == [4, 2]
        with pytest.raises(ValueError, match="Attr 'num_buckets' of 'StringToHashBucketFast' Op passed 0 less than "
                                             "minimum 1."):
            hashing.string_to_hash_bucket_fast(x, 0)
        with pytest.raises(errors.InvalidArgumentError, match="Key must have 2 elements"):
            hashing.string_to_hash_bucket_strong(x, 10, [1, 2, 3])
        with pytest.raises(TypeError, match="Expected string passed to parameter 'input' of op "
                                            "'StringToHashBucketFast'"):
            hashing.string_to_hash_bucket_fast([1], 10)
        with pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0"):
            hashing.fingerprint(df.constant(3))
        with pytest.raises(ValueError, match="Unsupported method: md5"):
            hashing.fingerprint([3], method="md5")
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            hashing.sdca_fprint([["a"]])


def test_missing_farmhash_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "farmhash", None)  # import farmhash now raises ImportError
    with df.Graph().as_default():
        with pytest.raises(errors.UnimplementedError, match=r"StringToHashBucketFast needs FarmHash.*"
                                                            r"pip install daskflow\[hashing\]"):
            hashing.string_to_hash_bucket_fast(["a"], 10)
        hashing.string_to_hash_bucket(["a"], 10)  # the legacy and strong hashes need no package
        hashing.string_to_hash_bucket_strong(["a"], 10, [1, 2])
