"""tf.lookup tables against TF1's values and errors (observed from TF 2.21's compat.v1): static tables from
tensors and vocabulary files, vocabulary tables' FarmHash buckets, mutable tables across runs, and the
uninitialized-table behaviour (lookup fails, size is 0)."""
import os
import tempfile

import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow import errors, lookup
from daskflow.testing import SweepCase

TESTED_OPS = {"LookupTableImport", "LookupTableFind", "LookupTableInsert", "LookupTableRemove",
              "InitializeTableFromTextFile", "LookupTableCheck"}
KV = lookup.KeyValueTensorInitializer


def _sweep_tables(keys):
    """Every table op on fed keys: static, vocabulary-file, vocabulary-with-buckets and mutable tables."""
    static = lookup.StaticHashTable(KV(np.array([1, 3, 7]), np.array([10.0, 30.0, 70.0])), -1.0)
    path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    with open(path, "w") as f:
        f.write("7\n1\n")
    from_file = lookup.StaticHashTable(lookup.TextFileInitializer(
        path, df.int64, lookup.TextFileIndex.WHOLE_LINE, df.int64, lookup.TextFileIndex.LINE_NUMBER), -1)
    vocab = lookup.StaticVocabularyTable(KV(np.array([2, 3]), np.array([0, 1])), num_oov_buckets=3)
    mutable = lookup.experimental.MutableHashTable(df.int64, df.float32, -2.0)
    outs = [static.lookup(keys), from_file.lookup(keys), vocab.lookup(keys), mutable.lookup(keys)]
    return outs, [df.tables_initializer(), mutable.insert(keys, df.cast(keys, df.float32)),
                  mutable.remove(df.constant([99], df.int64))]


SWEEP_CASES = [SweepCase(_sweep_tables, np.array([[1, 5, 7], [3, 2, 1]]), name="lookup_tables", init=True)]


@pytest.fixture(autouse=True)
def _graph():
    with df.Graph().as_default():
        yield


def test_static_table_dense_sparse_and_uninitialized():
    t = lookup.StaticHashTable(KV(["a", "b", "c"], [1, 2, 3], value_dtype=df.int64), -1)
    q = t.lookup(df.constant([["a", "z"], ["c", "b"]]))
    sp = t.lookup(df.SparseTensor([[0, 1]], ["b"], [2, 2]))
    assert (t.name, t.initializer.name, q.name, q.shape.as_list()) == (
        "hash_table", "key_value_init/LookupTableImportV2", "hash_table_Lookup/LookupTableFindV2:0", [2, 2])
    assert df.global_variables() == [] and df.get_default_graph().get_collection("table_initializer") == [
        t.initializer]
    with df.Session() as s:
        with pytest.raises(errors.FailedPreconditionError, match="^Table not initialized."):
            s.run(q)
        assert s.run(t.size()) == 0
        with pytest.raises(errors.AbortedError, match="HashTable is not initialized."):
            s.run(t.export())
        s.run(df.tables_initializer())
        got, n, (keys, vals), spv = s.run([q, t.size(), t.export(), sp])
    np.testing.assert_array_equal(got, [[1, -1], [3, 2]])
    assert n == 3 and keys.tolist() == [b"a", b"b", b"c"] and vals.tolist() == [1, 2, 3]
    assert spv.indices.tolist() == [[0, 1]] and spv.values.tolist() == [2]


def test_chunked_lookup_against_numpy():
    keys = np.arange(0, 40, 3, dtype=np.int64)
    t = lookup.StaticHashTable(KV(keys, keys * 10.0), -1.0)
    q = np.random.default_rng(0).integers(0, 45, (6, 5)).astype(np.int64)
    p = df.placeholder(df.int64, [6, 5])
    with df.Session() as s:
        s.run(t.initializer)
        got = s.run(t.lookup(p), {p: da.from_array(q, chunks=(2, 3))})  # several blocks of queries
    np.testing.assert_array_equal(got, np.where(np.isin(q, keys), q * 10.0, -1.0))


def test_duplicate_keys_and_errors():
    same = lookup.StaticHashTable(KV([1, 2, 1], [5, 6, 5]), 0)
    diff = lookup.StaticHashTable(KV([1, 2, 1], [5, 6, 7]), 0)
    with df.Session() as s:
        s.run(same.initializer)
        assert s.run(same.size()) == 2
        with pytest.raises(errors.FailedPreconditionError,
                           match="HashTable has different value for same key. Key 1 has 5 and trying to add value 7"):
            s.run(diff.initializer)
    with pytest.raises(TypeError, match="Dtype of argument `keys` must be string, received: int32"):
        lookup.StaticHashTable(KV(["a"], [1]), -1).lookup(df.constant([1, 2]))
    with pytest.raises(TypeError, match="Expected int32"):
        lookup.StaticHashTable(KV([1, 2], [1, 2]), -1.5)
    with pytest.raises(ValueError, match="num_oov_buckets` must be > 0"):
        lookup.StaticVocabularyTable(KV(["a"], np.array([0], np.int64)), 0)
    with pytest.raises(TypeError, match="Invalid `value_dtype`, expected int64 but got int32."):
        lookup.StaticVocabularyTable(KV(["a"], [0]), 1)


def test_vocabulary_table_buckets():
    # TF's ids: vocabulary size + Fingerprint64 % num_oov_buckets
    v = lookup.StaticVocabularyTable(KV(["emerson", "lake"], [0, 1], value_dtype=df.int64), 3)
    vi = lookup.StaticVocabularyTable(KV(np.array([3], np.int64), np.array([0], np.int64)), 2,
                                      lookup_key_dtype=df.int32)
    with df.Session() as s:
        s.run(df.tables_initializer())
        ids, n = s.run([v.lookup(df.constant(["emerson", "lake", "palmer", "foo", "bar", ""])), v.size()])
        np.testing.assert_array_equal(ids, [0, 1, 2, 2, 2, 4])
        assert n == 5
        np.testing.assert_array_equal(s.run(vi.lookup(df.constant([3, 4, 5, 6, -1]))), [0, 2, 2, 2, 1])


@pytest.mark.parametrize("text, args, kw, want", [
    ("emerson\nlake\npalmer\n", (df.string, -2, df.int64, -1), {}, ([b"emerson", b"lake", b"palmer"], [0, 1, 2])),
    ("emerson\nlake\npalmer\n", (df.int64, -1, df.string, -2), {}, ([0, 1, 2], [b"emerson", b"lake", b"palmer"])),
    ("emerson\nlake\npalmer\n", (df.string, -2, df.int64, -1), {"vocab_size": 2, "value_index_offset": 10},
     ([b"emerson", b"lake"], [10, 11])),
    ("a,5,q\nb,7\n", (df.int64, 1, df.string, 0), {"delimiter": ","}, ([5, 7], [b"a", b"b"])),
    ("a\t10\nb\t20\na\t30\n", (df.string, 0, df.int64, 1), {}, "HashTable has different value for same key. Key a "
     "has 10 and trying to add value 30"),
    ("x 1\ny\n", (df.string, 0, df.int64, 1), {"delimiter": " "}, r"Invalid number of columns in .*vocab.txt line 1 "
     r"\(y\) : expected at least 2 got 1"),
    ("a,5\nb,x\n", (df.int64, 1, df.string, 0), {"delimiter": ","}, "Field x in line 1 is not a valid int64."),
    ("emerson\nlake\npalmer\n", (df.string, -2, df.int64, -1), {"vocab_size": 5},
     "Invalid vocab_size in .*vocab.txt: expected 5 but got 3"),
])
def test_text_file_initializer(tmp_path, text, args, kw, want):
    path = tmp_path / "vocab.txt"
    path.write_text(text)
    t = lookup.StaticHashTable(lookup.TextFileInitializer(str(path), *args, **kw), "?" if args[2] == df.string else -1)
    with df.Session() as s:
        if isinstance(want, str):
            with pytest.raises(errors.OpError, match=want):
                s.run(t.initializer)
            return
        s.run(t.initializer)
        keys, vals = s.run(t.export())
    order = np.argsort(np.array(want[0], dtype=object))
    assert keys.tolist() == [want[0][i] for i in order] and vals.tolist() == [want[1][i] for i in order]


def test_text_file_missing():
    t = lookup.StaticHashTable(lookup.TextFileInitializer("no/such.txt", df.string, -2, df.int64, -1), -1)
    with df.Session() as s, pytest.raises(errors.NotFoundError, match="no/such.txt; No such file or directory"):
        s.run(t.initializer)


def test_mutable_table_across_runs():
    m = lookup.experimental.MutableHashTable(df.string, df.int64, -1)
    with df.Session() as s:
        assert s.run(m.size()) == 0
        np.testing.assert_array_equal(s.run(m.lookup(df.constant(["x"]))), [-1])
        s.run(m.insert(["x", "y", "z"], df.constant([1, 2, 3], df.int64)))
        s.run(m.remove(df.constant(["y", "w"])))
        s.run(m.insert(["x", "q"], df.constant([9, 4], df.int64)))
        got, n, (keys, vals) = s.run([m.lookup(df.constant([["x", "y"], ["z", "q"]])), m.size(), m.export()])
        np.testing.assert_array_equal(got, [[9, -1], [3, 4]])
        assert n == 3 and dict(zip(keys.tolist(), vals.tolist())) == {b"q": 4, b"x": 9, b"z": 3}
        with pytest.raises(errors.InvalidArgumentError, match=r"Expected shape \[2\] for value, got \[1\]"):
            s.run(m.insert(["x", "y"], df.constant([9], df.int64)))
    with df.Session() as s:  # another session: its own, empty, table
        assert s.run(m.size()) == 0


def test_mutable_vector_values_and_dense_table():
    mv = lookup.experimental.MutableHashTable(df.int64, df.float32, [0.0, -1.0])
    dh = lookup.experimental.DenseHashTable(df.int64, df.int64, -1, empty_key=0, deleted_key=-1)
    with df.Session() as s:
        s.run(mv.insert(df.constant([1, 2], df.int64), df.constant([[1, 2], [3, 4]], df.float32)))
        np.testing.assert_array_equal(s.run(mv.lookup(df.constant([2, 5], df.int64))), [[3, 4], [0, -1]])
        s.run(dh.insert(df.constant([5, 7], df.int64), df.constant([50, 70], df.int64)))
        s.run(dh.erase(df.constant([5], df.int64)))
        got, n = s.run([dh.lookup(df.constant([5, 6, 7], df.int64)), dh.size()])
        np.testing.assert_array_equal(got, [-1, -1, 70])
        assert n == 1
        for bad in (dh.insert(df.constant([0], df.int64), df.constant([1], df.int64)),
                    dh.lookup(df.constant([0], df.int64))):
            with pytest.raises(errors.InvalidArgumentError, match="Using the empty_key as a table key is not allowed"):
                s.run(bad)
