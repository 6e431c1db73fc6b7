"""tf.feature_column in use: parsing Examples with ``make_parse_example_spec``, a training step of a linear model
and of an embedding against numpy, ``cols_to_vars``, checkpoint-initialised embeddings, the sequence columns'
constructors, and the columns' attributes."""
import numpy as np
import pytest

import daskflow as df
import daskflow.example as ex
import daskflow.feature_column as fc


def _example(**features):
    def feature(v):
        if isinstance(v[0], bytes):
            return ex.Feature(bytes_list=ex.BytesList(value=v))
        if isinstance(v[0], float):
            return ex.Feature(float_list=ex.FloatList(value=v))
        return ex.Feature(int64_list=ex.Int64List(value=v))
    return ex.Example(features=ex.Features(feature={k: feature(v) for k, v in features.items()})).SerializeToString()


def test_parse_example_spec_feeds_parse_example_and_input_layer():
    price = fc.numeric_column("price", shape=2, default_value=0.0)
    words = fc.categorical_column_with_vocabulary_list("words", ["a", "b", "c"])
    ids = fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 4), "w")
    cols = [price, fc.indicator_column(words), fc.indicator_column(ids)]
    spec = fc.make_parse_example_spec(cols)
    assert spec == {"price": df.FixedLenFeature((2,), df.float32, (0.0, 0.0)), "words": df.VarLenFeature(df.string),
                    "ids": df.VarLenFeature(df.int64), "w": df.VarLenFeature(df.float32)}
    records = [_example(price=[1.0, 2.0], words=[b"c", b"a", b"c"], ids=[3, 1], w=[0.5, 2.0]),
               _example(words=[b"z"], ids=[0], w=[1.5])]
    out = fc.input_layer(df.parse_example(df.constant(records), spec), cols)
    with df.Session() as s:
        s.run(df.tables_initializer())
        got = s.run(out)
    # columns by name: ids_weighted_by_w_indicator, price, words_indicator
    np.testing.assert_allclose(got, [[0, 2, 0, 0.5, 1, 2, 1, 0, 2], [1.5, 0, 0, 0, 0, 0, 0, 0, 0]])


def test_linear_model_training_step_against_numpy():
    ids = np.array([[0, 2, 2], [1, -1, -1], [-1, -1, -1], [2, 0, -1]])
    x = np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)
    y = np.array([[1.0], [0.0], [2.0], [-1.0]], np.float32)
    cols_to_vars = {}
    cols = [fc.categorical_column_with_identity("ids", 3), fc.numeric_column("x")]
    pred = fc.linear_model({"ids": df.constant(ids), "x": df.constant(x)}, cols, sparse_combiner="mean",
                           cols_to_vars=cols_to_vars)
    loss = df.reduce_mean(df.square(pred - y))
    step = df.train.GradientDescentOptimizer(0.1).minimize(loss)
    w_ids, w_x, bias = cols_to_vars[cols[0]][0], cols_to_vars[cols[1]][0], cols_to_vars["bias"][0]
    assert [w_ids.op.name, w_x.op.name, bias.op.name] == ["linear_model/ids/weights", "linear_model/x/weights",
                                                          "linear_model/bias_weights"]
    start = [np.array([[0.5], [-1.0], [2.0]], np.float32), np.array([[0.25]], np.float32),
             np.array([0.1], np.float32)]
    # numpy: the mean of each example's valid ids' weights, as a matrix of their shares
    share = np.zeros((4, 3), np.float32)
    for r, row in enumerate(ids):
        valid = row[row >= 0]
        for i in valid:
            share[r, i] += 1.0 / len(valid)
    err = share @ start[0] + x @ start[1] + start[2] - y
    grad = 2 * err / len(y)
    expected = [start[0] - 0.1 * share.T @ grad, start[1] - 0.1 * x.T @ grad, start[2] - 0.1 * grad.sum(0)]
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for v, value in zip((w_ids, w_x, bias), start):
            v.load(value, s)
        s.run(step)
        for v, want in zip((w_ids, w_x, bias), expected):
            np.testing.assert_allclose(s.run(v), want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("combiner", ["sum", "sqrtn"])
def test_embedding_gradient_against_numpy(combiner):
    words = fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"], num_oov_buckets=1)
    col = fc.embedding_column(words, 2, combiner=combiner, max_norm=None, use_safe_embedding_lookup=False)
    table = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0], [-2.0, 1.0]], np.float32)
    vals = df.constant([[b"a", b"c", b"a"], [b"b", b"zz", b""]])
    out = fc.input_layer({"w": vals}, [col], cols_to_vars=(cv := {}))
    var = cv[col][0]
    assert var.op.name == "input_layer/w_embedding/embedding_weights"
    grad = df.gradients(df.reduce_sum(out * df.constant([[1.0, 2.0], [3.0, -1.0]])), var)[0]
    counts = np.array([[2, 0, 1, 0], [0, 1, 0, 1]], np.float32)  # "zz" is the out-of-vocabulary bucket 3
    scale = np.ones(2, np.float32) if combiner == "sum" else 1 / np.sqrt(counts.sum(1))
    with df.Session() as s:
        s.run([df.global_variables_initializer(), df.tables_initializer()])
        var.load(table, s)
        got, g = s.run([out, df.convert_to_tensor(grad)])
    np.testing.assert_allclose(got, scale[:, None] * (counts @ table), rtol=1e-6)
    np.testing.assert_allclose(g, (scale[:, None] * counts).T @ np.array([[1.0, 2.0], [3.0, -1.0]]), rtol=1e-6)


def test_embedding_from_checkpoint(tmp_path):
    value = np.arange(8, dtype=np.float32).reshape(4, 2)
    with df.Graph().as_default():
        v = df.get_variable("emb", initializer=value)
        with df.Session() as s:
            s.run(v.initializer)
            path = df.train.Saver([v]).save(s, str(tmp_path / "model"))
    with df.Graph().as_default():
        col = fc.embedding_column(fc.categorical_column_with_identity("i", 4), 2, ckpt_to_load_from=path,
                                  tensor_name_in_ckpt="emb")
        out = fc.input_layer({"i": df.constant([[3, 1], [0, -1]])}, [col])
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            np.testing.assert_allclose(s.run(out), [[4.0, 5.0], [0.0, 1.0]])


def test_sequence_columns_parse_as_sequences_and_are_refused_by_input_layer():
    seq = fc.sequence_categorical_column_with_vocabulary_list("tok", ["x", "y"], num_oov_buckets=1)
    num = fc.sequence_numeric_column("len", shape=(2,), default_value=-1.0)
    hashed = fc.sequence_categorical_column_with_hash_bucket("h", 9)
    ident = fc.sequence_categorical_column_with_identity("i", 4, default_value=0)
    assert (seq.name, seq.num_buckets, hashed.num_buckets, ident.num_buckets) == ("tok", 3, 9, 4)
    assert fc.make_parse_example_spec([seq, num, ident]) == {
        "tok": df.VarLenFeature(df.string), "i": df.VarLenFeature(df.int64),
        "len": df.FixedLenSequenceFeature((2,), df.float32, allow_missing=True, default_value=-1.0)}
    with pytest.raises(ValueError, match="Items of feature_columns must be a _DenseColumn"):
        fc.input_layer({"tok": df.constant([["x"]])}, [seq])
    with pytest.raises(TypeError, match="shape dimensions must be integer"):
        fc.sequence_numeric_column("a", shape=("2",))
    with pytest.raises(ValueError, match="hash_bucket_size must be at least 1"):
        fc.sequence_categorical_column_with_hash_bucket("a", 0)


def test_column_attributes_and_reprs_follow_tf():
    price = fc.numeric_column("price", shape=(2,), default_value=[1, 2])
    bucket = fc.bucketized_column(fc.numeric_column("age"), [18, 65])
    cross = fc.crossed_column([bucket, "city"], 100)
    voc = fc.categorical_column_with_vocabulary_list("c", [3, 1, 2], dtype=df.int64, default_value=7)
    shared = fc.shared_embedding_columns([fc.categorical_column_with_identity("b", 5),
                                          fc.categorical_column_with_identity("a", 5)], 4)
    assert price.default_value == (1, 2) and price.shape == (2,) and price.key == "price"
    assert repr(price) == ("NumericColumn(key='price', shape=(2,), default_value=(1, 2), dtype=tf.float32, "
                           "normalizer_fn=None)")
    assert (bucket.name, bucket.boundaries, bucket.num_buckets) == ("age_bucketized", (18, 65), 3)
    assert (cross.name, cross.num_buckets) == ("age_bucketized_X_city", 100)
    assert cross.parse_example_spec == {"age": df.FixedLenFeature((1,), df.float32), "city": df.VarLenFeature(
        df.string)}
    assert (voc.vocabulary_list, voc.dtype, voc.default_value, voc.num_buckets) == ((3, 1, 2), df.int64, 7, 3)
    assert [c.name for c in shared] == ["b_shared_embedding", "a_shared_embedding"]
    assert {c.shared_embedding_collection_name for c in shared} == {"a_b_shared_embedding"}
    assert fc.embedding_column(voc, 3).name == "c_embedding" and fc.indicator_column(voc).name == "c_indicator"
    assert fc.categorical_column_with_vocabulary_list("n", [4, 5]).dtype == df.int64  # numpy's int, as TF
    with pytest.raises(ValueError, match="column_name: n vocabulary dtype must be string or integer. dtype: "
                                         "<dtype: 'float64'>."):
        fc.categorical_column_with_vocabulary_list("n", [1.5, 2.0])
