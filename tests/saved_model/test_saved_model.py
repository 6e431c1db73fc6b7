"""tf.saved_model: SavedModels written by daskflow (and by TensorFlow 1.x) load back into a fresh graph and session
and predict as the saving program did; signatures, tags, assets and init ops as TF."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import daskflow as df
import daskflow.saved_model as sm
from daskflow import errors

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1", "saved_model")
X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
Y = X @ np.array([[1.0], [2.0], [-1.0]], "float32") + 0.5


def _train(steps=3):
    """A linear model trained a few steps in the default graph: (session, x, pred, predictions)."""
    x = df.placeholder(df.float32, [None, 3], name="x")
    y = df.placeholder(df.float32, [None, 1], name="y")
    w = df.Variable(np.zeros((3, 1), "float32"), name="w")
    b = df.Variable(0.0, name="b")
    pred = df.add(df.matmul(x, w), b, name="pred")
    train = df.train.GradientDescentOptimizer(0.1).minimize(df.reduce_mean(df.square(pred - y)))
    sess = df.Session()
    sess.run(df.global_variables_initializer())
    for _ in range(steps):
        sess.run(train, {x: X, y: Y})
    return sess, x, pred, sess.run(pred, {x: X})


@pytest.fixture(scope="module")
def simple(tmp_path_factory):
    """A model saved with simple_save, and its predictions of X."""
    d = str(tmp_path_factory.mktemp("simple") / "model")
    with df.Graph().as_default():
        sess, x, pred, want = _train()
        with sess:
            sm.simple_save(sess, d, {"x": x}, {"pred": pred})
    return d, want


def test_simple_save_loads_in_a_fresh_graph(simple):
    d, want = simple
    assert sm.contains_saved_model(d) and sm.maybe_saved_model_directory(d)
    assert sorted(os.listdir(d)) == ["saved_model.pb", "variables"]
    with df.Session(graph=df.Graph()) as sess:
        meta = sm.load(sess, [sm.SERVING], d)
        sig = meta.signature_def[sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY]
        got = sess.run(sig.outputs["pred"].name, {sig.inputs["x"].name: X})
        np.testing.assert_array_equal(got, want)
        x = sm.get_tensor_from_tensor_info(sig.inputs["x"], sess.graph)
        assert x is sess.graph.get_tensor_by_name("x:0")
    assert list(meta.meta_info_def.tags) == ["serve"]
    assert sig.method_name == "tensorflow/serving/predict" and sm.is_valid_signature(sig)
    info = sig.inputs["x"]
    assert (info.name, info.dtype, [d.size for d in info.tensor_shape.dim]) == ("x:0", 1, [-1, 3])  # DT_FLOAT
    assert meta.saver_def.filename_tensor_name and "variables" in meta.collection_def


def test_load_in_a_fresh_process(simple):
    d, want = simple
    code = ("import sys, numpy as np, daskflow as tf, daskflow.saved_model as saved_model\n"
            "with tf.Session(graph=tf.Graph()) as s:\n"
            "    meta = saved_model.loader.load(s, [saved_model.tag_constants.SERVING], sys.argv[1])\n"
            "    sig = meta.signature_def['serving_default']\n"
            "    x = np.load(sys.argv[2])\n"
            "    np.save(sys.argv[3], s.run(sig.outputs['pred'].name, {sig.inputs['x'].name: x}))\n")
    xs, out = os.path.join(d, "..", "x.npy"), os.path.join(d, "..", "out.npy")
    np.save(xs, X)
    subprocess.run([sys.executable, "-c", code, d, xs, out], check=True, timeout=120)
    np.testing.assert_array_equal(np.load(out, allow_pickle=False), want)


def test_builder_two_tag_sets_assets_and_main_op(tmp_path):
    d = str(tmp_path / "model")
    asset = tmp_path / "vocab.txt"
    asset.write_text("a\nb\n")
    with df.Graph().as_default():
        sess, x, pred, want = _train()
        path_t = sm.Asset(str(asset)).asset_path
        seen = df.Variable(b"", name="seen", collections=[df.GraphKeys.LOCAL_VARIABLES])
        init = df.group(df.assign(seen, path_t), name="init_seen")
        with sess:
            b = sm.Builder(d)
            b.add_meta_graph_and_variables(sess, [sm.TRAINING], assets_collection=[path_t], main_op=init,
                                           signature_def_map={"p": sm.predict_signature_def({"x": x}, {"y": pred})})
            with pytest.raises(AssertionError, match="already been saved"):
                b.add_meta_graph_and_variables(sess, [sm.SERVING])
    with df.Graph().as_default():  # a second graph of the same variables, served doubled
        x = df.placeholder(df.float32, [None, 3], name="x")
        w, bias = df.Variable(np.ones((3, 1), "float32"), name="w"), df.Variable(1.0, name="b")
        out = df.multiply(df.matmul(x, w) + bias, 2.0, name="doubled")
        b.add_meta_graph([sm.SERVING, sm.GPU], signature_def_map={"d": sm.predict_signature_def({"x": x},
                                                                                               {"y": out})})
    assert b.save(as_text=True) == os.fsencode(os.path.join(d, "saved_model.pbtxt"))
    assert (tmp_path / "model" / "assets" / "vocab.txt").read_text() == "a\nb\n"
    with df.Session(graph=df.Graph()) as sess:
        meta = sm.load(sess, [sm.TRAINING], d)
        np.testing.assert_array_equal(sess.run("pred:0", {"x:0": X}), want)
        assert sess.run("seen:0") == os.fsencode(os.path.join(d, "assets", "vocab.txt"))  # fed the copy's path
        assert list(meta.signature_def) == ["p"]
    with df.Session(graph=df.Graph()) as sess:
        meta = sm.load(sess, [sm.GPU, sm.SERVING], d, import_scope="m")
        sig = meta.signature_def["d"]
        y = sm.get_tensor_from_tensor_info(sig.outputs["y"], import_scope="m", graph=sess.graph)
        np.testing.assert_allclose(sess.run(y, {"m/x:0": X}), 2 * want, rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"MetaGraphDef associated with tags 'serve' could not be found in "
                                           r"SavedModel, with available tags '\[\{'train'\}, \{'(serve|gpu)', "):
        sm.load(df.Session(graph=df.Graph()), [sm.SERVING], d)


def test_main_op_reinitializes_after_restore(tmp_path):
    d = str(tmp_path / "m")
    with df.Graph().as_default():
        sess, x, pred, want = _train()
        with sess:
            b = sm.builder.SavedModelBuilder(d)
            b.add_meta_graph_and_variables(sess, ["t"], main_op=sm.main_op.main_op())
            b.save()
    with df.Session(graph=df.Graph()) as sess:
        sm.load(sess, ["t"], d)
        np.testing.assert_array_equal(sess.run("pred:0", {"x:0": X}), np.zeros((8, 1)))  # the initial values
    assert np.abs(want).max() > 0.1
    with df.Graph().as_default():
        v = df.Variable(1.0, name="v")
        u = df.Variable(0.0, name="u", collections=[])  # in no collection: main_op leaves it alone
        df.assign(u, 5.0, name="restore_u")
        op = sm.main_op_with_restore("restore_u")  # the initializers, then the named op
        with df.Session() as sess:
            sess.run(op)
            assert sess.run([v, u]) == [1.0, 5.0]


def test_builder_and_loader_errors(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(AssertionError, match="already exists, and isn't empty"):
        sm.Builder(str(tmp_path / "full"))
    b = sm.Builder(str(tmp_path / "new"))
    assert os.path.isdir(tmp_path / "new")
    with pytest.raises(AssertionError, match="Please invoke `add_meta_graph_and_variables\\(\\)` first"):
        b.add_meta_graph(["serve"])
    with df.Graph().as_default():
        x = df.placeholder(df.float32, [2], name="x")
        s = df.Session()
        with pytest.raises(KeyError, match="reserved for initialization"):
            b.add_meta_graph_and_variables(s, ["a"], signature_def_map={
                "__saved_model_init_op": sm.predict_signature_def({"x": x}, {"x": x})})
        bad = df.saved_model.build_signature_def({"x": df.saved_model.utils.build_tensor_info(x)}, {})
        bad.inputs["x"].dtype = 0
        with pytest.raises(AssertionError, match="must have the dtype field set"):
            b.add_meta_graph_and_variables(s, ["a"], signature_def_map={"k": bad})
        with pytest.raises(TypeError, match="must be of type constant"):
            b.add_meta_graph_and_variables(s, ["a"], assets_collection=[x])
    with pytest.raises(OSError, match="SavedModel file does not exist at"):
        sm.load(df.Session(graph=df.Graph()), ["serve"], str(tmp_path / "new"))
    assert not sm.contains_saved_model(str(tmp_path / "new"))


def test_signature_defs():
    with df.Graph().as_default():
        ex = df.placeholder(df.string, [None], name="ex")
        scores = df.placeholder(df.float32, [None, 2], name="scores")
        classes = df.placeholder(df.string, [None, 2], name="classes")
        c = sm.classification_signature_def(ex, classes, scores)
        r = sm.regression_signature_def(ex, scores)
        p = sm.predict_signature_def({"a": ex}, {"b": scores})
        assert (c.method_name, sorted(c.outputs), c.inputs["inputs"].name) == (
            sm.CLASSIFY_METHOD_NAME, ["classes", "scores"], "ex:0")
        assert (r.method_name, r.outputs["outputs"].name) == ("tensorflow/serving/regress", "scores:0")
        assert all(map(sm.is_valid_signature, (c, r, p))) and not sm.is_valid_signature(None)
        r.method_name = sm.CLASSIFY_METHOD_NAME
        assert not sm.is_valid_signature(r)
        with pytest.raises(ValueError, match="Regression output tensors must be of type float"):
            sm.regression_signature_def(ex, classes)
        with pytest.raises(ValueError, match="Classification input tensors must be of type string"):
            sm.classification_signature_def(scores, None, scores)
        with pytest.raises(ValueError, match="`classes` and `scores` cannot both be None"):
            sm.classification_signature_def(ex, None, None)
        with pytest.raises(ValueError, match="Prediction `inputs` cannot be None or empty"):
            sm.predict_signature_def({}, {"b": scores})
        k = df.constant([1.0, 2.0], name="k")
        d = sm.build_signature_def({"k": sm.build_tensor_info(k)}, method_name="m", defaults={"k": k})
        np.testing.assert_array_equal(df.make_ndarray(d.defaults["k"]), [1.0, 2.0])
        with pytest.raises(ValueError, match="Unable to convert object"):
            sm.build_signature_def(defaults={"s": scores})
        st = df.SparseTensor(df.constant([[0, 1]], df.int64), df.constant([3.0]), df.constant([2, 2], df.int64))
        info = sm.build_tensor_info(st)
        assert info.WhichOneof("encoding") == "coo_sparse"
        back = sm.get_tensor_from_tensor_info(info)
        assert back.values is st.values and back.indices is st.indices and back.dense_shape is st.dense_shape
        with pytest.raises(KeyError):
            sm.get_tensor_from_tensor_info(sm.build_tensor_info(k), import_scope="nope")


def test_method_name_updater(simple, tmp_path):
    d, _ = simple
    u = sm.signature_def_utils.MethodNameUpdater(d)
    with pytest.raises(ValueError, match="does not have a signature_def with key: 'nope'"):
        u.replace_method_name("nope", "regress")
    with pytest.raises(ValueError, match=r"MetaGraphDef associated with tags \['train'\] could not be found"):
        u.replace_method_name("serving_default", "regress", tags="train")
    u.replace_method_name("serving_default", sm.REGRESS_METHOD_NAME, tags="serve")
    u.save(str(tmp_path))
    from daskflow.saved_model.loader import parse_saved_model
    sig = parse_saved_model(str(tmp_path)).meta_graphs[0].signature_def["serving_default"]
    assert sig.method_name == sm.REGRESS_METHOD_NAME


def test_tensorflow_written_saved_model():
    """A SavedModel written by TF1's Builder (TF's tensor bundle variables, legacy init op, an asset)."""
    d = os.path.join(FIXTURE, "tf1_dense")
    ref = np.load(d + ".npz", allow_pickle=False)
    with df.Session(graph=df.Graph()) as sess:
        meta = sm.load(sess, [sm.SERVING], d)
        sig = meta.signature_def["serving_default"]
        np.testing.assert_allclose(sess.run(sig.outputs["probs"].name, {sig.inputs["x"].name: ref["x"]}),
                                   ref["probs"], rtol=1e-5, atol=1e-7)
        assert sess.run("counter:0") == 7
        assert sess.run("vocab_file:0") == os.fsencode(os.path.join(d, "assets", "vocab.txt"))


def test_unreadable_tensorflow_variables(tmp_path):
    d = str(tmp_path / "m")
    shutil.copytree(os.path.join(FIXTURE, "tf1_dense"), d)
    data = os.path.join(d, "variables", "variables.data-00000-of-00001")
    raw = bytearray(open(data, "rb").read())
    raw[3] ^= 0xFF
    open(data, "wb").write(bytes(raw))
    with pytest.raises(errors.DataLossError, match="are a TensorFlow checkpoint .* that daskflow cannot read"):
        sm.load(df.Session(graph=df.Graph()), [sm.SERVING], d)


def test_constants_and_options():
    assert (sm.SAVED_MODEL_FILENAME_PB, sm.VARIABLES_DIRECTORY, sm.ASSETS_KEY, sm.MAIN_OP_KEY, sm.TPU) == (
        "saved_model.pb", "variables", "saved_model_assets", "saved_model_main_op", "tpu")
    assert sm.signature_constants.PREDICT_OUTPUTS == "outputs" and sm.constants.SAVED_MODEL_SCHEMA_VERSION == 1
    o = sm.SaveOptions(namespace_whitelist="Custom", experimental_variable_policy="save_variable_devices")
    assert o.namespace_whitelist == ["Custom"] and o.function_aliases == {}
    with pytest.raises(ValueError, match="VariablePolicy"):
        sm.SaveOptions(experimental_variable_policy="everything")
