"""GraphDef and MetaGraphDef interchange: daskflow's own graphs round trip, and graphs written by TensorFlow 1.x
(tests/fixtures/tf1, written by make_fixtures.py and make_graph_fixtures.py) import and compute what TF computed."""
import json
import os
import warnings

import numpy as np
import pytest

pytest.importorskip("tensorboard")

import daskflow as df
from daskflow import graph_def as gdef
from daskflow.errors import DataLossError, NotFoundError, UnimplementedError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "tf1")
MLP = os.path.join(FIXTURES, "mlp")
GRAPHS = os.path.join(FIXTURES, "graphs")


@pytest.fixture(scope="module")
def expected():
    with open(os.path.join(FIXTURES, "expected.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def graphs_expected():
    with open(os.path.join(GRAPHS, "expected.json")) as f:
        return json.load(f)


def run(fetches, feeds=None, init=None, steps=()):
    """``fetches`` after ``init`` and each of ``steps`` run once, in one Session."""
    with df.Session() as s:
        if init is not None:
            s.run(init)
        for step in steps:
            s.run(step, feeds)
        return s.run(fetches, feeds)


def reimport(graph, name=""):
    """``graph`` through a GraphDef (serialised and parsed again) into a new graph."""
    gd = gdef.pb().graph.GraphDef.FromString(graph.as_graph_def().SerializeToString())
    g2 = df.Graph()
    with g2.as_default():
        df.import_graph_def(gd, name=name)
    return g2


# -- attrs and tensors

ATTR_VALUES = [None, True, False, 0, -2**63, 7, 1.5, float("inf"), 0.1, "SAME", "caf\u00e9", b"\x00\xff", df.float32,
               df.int64, df.string, df.bool, df.complex64, df.TensorShape([None, 3]), df.TensorShape(None),
               df.TensorShape([]), (), (1, 2, 3), (0.5, 2.0), (0.1, 0.2), ("a", "b"), (df.float32, df.int32),
               (df.TensorShape([2]), df.TensorShape(None)), ((1, 2), (3, 4)), (None, 2), ["msg", 0, "x", 1], ["a"],
               {"k": 1, "v": (2,)}, np.arange(6, dtype=np.float32).reshape(2, 3)]


@pytest.mark.parametrize("value", ATTR_VALUES, ids=repr)
def test_attr_values_round_trip(value):
    back = gdef.attr_python(gdef.attr_value(value))
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
        assert back.dtype == value.dtype
    else:
        assert back == value and type(back) is type(value)


def test_attr_forms_are_tfs():
    av = gdef.attr_value
    assert av(df.float32).type == gdef.pb().types.DT_FLOAT and av(df.string).type == gdef.pb().types.DT_STRING
    s = av(df.TensorShape([None, 3])).shape
    assert [d.size for d in s.dim] == [-1, 3] and not s.unknown_rank
    assert av(df.TensorShape(None)).shape.unknown_rank
    assert list(av((1, 2)).list.i) == [1, 2] and av("SAME").s == b"SAME" and av(True).b
    assert av(0.1).WhichOneof("value") == "func"  # float32 would round it: kept exactly
    assert av(object()).func.name == "daskflow.opaque"


@pytest.mark.parametrize("value", [np.arange(12, dtype=np.int64).reshape(3, 4), np.array([1.5, -2], np.float16),
                                   np.array([[True, False]]), np.array([1 + 2j, -3j], np.complex128),
                                   np.array(3.25, np.float64), np.zeros((2, 0), np.uint8),
                                   np.array([b"", b"ab", bytes(range(256))], dtype=object)],
                         ids=lambda a: a.dtype.name)
def test_tensor_protos_round_trip(value):
    t = gdef.tensor_proto(value)
    assert bool(t.string_val) == (value.dtype == object) and bool(t.tensor_content) == (value.dtype != object
                                                                                        and value.size > 0)
    back = gdef.make_ndarray(t)
    assert back.dtype == value.dtype and back.shape == value.shape
    assert back.tolist() == value.tolist()


def test_tensor_protos_typed_fields_as_tf_reads_them():
    P, T = gdef.pb().tensor.TensorProto, gdef.pb().types
    shape = gdef.shape_proto([2, 3])
    assert gdef.make_ndarray(P(dtype=T.DT_FLOAT, tensor_shape=shape, float_val=[1, 2])).tolist() == \
        [[1, 2, 2], [2, 2, 2]]  # the last value repeats
    assert gdef.make_ndarray(P(dtype=T.DT_INT32, tensor_shape=shape)).tolist() == [[0] * 3] * 2
    half = np.array([1.5], np.float16).view(np.uint16).tolist()
    assert gdef.make_ndarray(P(dtype=T.DT_HALF, tensor_shape=gdef.shape_proto([]), half_val=half)) == 1.5
    c = gdef.make_ndarray(P(dtype=T.DT_COMPLEX64, tensor_shape=gdef.shape_proto([2]), scomplex_val=[1, 2, 3, 4]))
    assert c.tolist() == [1 + 2j, 3 + 4j]
    assert gdef.make_ndarray(P(dtype=T.DT_STRING, tensor_shape=gdef.shape_proto([2]), string_val=[b"x"])).tolist() \
        == [b"x", b"x"]
    with pytest.raises(UnimplementedError, match="DT_BFLOAT16"):
        gdef.make_ndarray(P(dtype=T.DT_BFLOAT16, tensor_shape=shape))


# -- export

def test_node_defs_have_tfs_form():
    x = df.placeholder(df.float32, [None, 3], name="x")
    parts = df.split(x, [1, 2], axis=1, name="parts")
    c = df.constant(["a", "bc"], name="s")
    with df.device("/cpu:0"), df.control_dependencies([c]):
        y = df.identity(parts[1], name="y")
    gd = df.get_default_graph().as_graph_def(add_shapes=True)
    nodes = {n.name: n for n in gd.node}
    assert [n.name for n in gd.node] == [op.name for op in df.get_default_graph().get_operations()]
    assert list(nodes["y"].input) == ["parts:1", "^s"] and nodes["y"].device == "/device:CPU:0"
    assert nodes["x"].op == "Placeholder" and nodes["x"].attr["dtype"].type == gdef.pb().types.DT_FLOAT
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 3]
    assert list(nodes["s"].attr["value"].tensor.string_val) == [b"a", b"bc"]
    assert [[d.size for d in s.dim] for s in nodes["parts"].attr["_output_shapes"].list.shape] == [[-1, 1], [-1, 2]]
    assert all(n.attr[gdef.MARK].i == gdef.FORMAT for n in gd.node)
    assert y.op.name == "y"


def test_from_version_gives_the_ops_added_since():
    g = df.get_default_graph()
    df.constant(1.0, name="a")
    v = g.version
    df.constant(2.0, name="b")
    assert [n.name for n in g.as_graph_def(from_version=v).node] == ["b"]


# -- round trips of daskflow's graphs: the same ops, and the same values

def _same_ops(g1, g2, prefix=""):
    for a, b in zip(g1.get_operations(), g2.get_operations(), strict=True):
        assert (prefix + a.name, a.type, a.device) == (b.name, b.type, b.device)
        assert [prefix + t.name for t in a.inputs] == [t.name for t in b.inputs]
        assert [prefix + c.name for c in a.control_inputs] == [c.name for c in b.control_inputs]
        assert [(t.shape, t.dtype) for t in a.outputs] == [(t.shape, t.dtype) for t in b.outputs]
        assert a.attrs.keys() == b.attrs.keys()
        for k, va in a.attrs.items():
            if isinstance(va, np.ndarray):
                assert np.array_equal(va, b.attrs[k]) and va.dtype == b.attrs[k].dtype
            else:
                assert va == b.attrs[k] and type(va) is type(b.attrs[k]), (a.name, k)


def _arithmetic():
    x = df.placeholder(df.float32, [None, 3], name="x")
    y = df.sqrt(df.abs(x)) * 2.0 - df.exp(-x) / (1.0 + df.square(x)) + df.maximum(x, 0.5)
    z = df.cast(df.floormod(df.cast(x * 10.0, df.int32), 3), df.float64) + df.cast(df.where(x > 0, x, -x), df.float64)
    return [y, z, df.add_n([x, x, x])], {"x": np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3)}


def _mlp():
    rng = np.random.RandomState(0)
    x = df.placeholder(df.float32, [None, 6], name="x")
    labels = df.placeholder(df.int64, [None], name="labels")
    w1 = df.Variable(rng.standard_normal((6, 5)).astype("f4"), name="w1")
    b1 = df.Variable(df.zeros([5]), name="b1")
    w2 = df.Variable(rng.standard_normal((5, 4)).astype("f4"), name="w2")
    h = df.nn.relu(df.matmul(x, w1) + b1)
    logits = df.matmul(h, w2)
    sparse = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    dense = df.reduce_mean(df.nn.softmax_cross_entropy_with_logits_v2(labels=df.one_hot(labels, 4), logits=logits))
    grads = df.gradients(sparse + dense, [w1, b1, w2])
    feeds = {"x": rng.standard_normal((7, 6)).astype("f4"), "labels": np.arange(7) % 4}
    return [df.nn.softmax(logits), sparse, dense] + grads, feeds


def _reductions():
    x = df.placeholder(df.float32, [4, 5], name="x")
    outs = [df.reduce_sum(x, axis=1, keepdims=True), df.reduce_mean(x), df.reduce_max(x, axis=[0, 1]),
            df.reduce_min(x, axis=0), df.reduce_prod(x[:, :2], axis=0), df.argmax(x, axis=1),
            df.reduce_any(x > 1.0, axis=0), df.reduce_logsumexp(x, axis=1)]
    return outs, {"x": np.random.RandomState(1).standard_normal((4, 5)).astype("f4")}


def _shapes():
    x = df.placeholder(df.float32, [None, 6], name="x")
    r = df.transpose(df.reshape(x, [-1, 2, 3]), [0, 2, 1])
    outs = [r, df.slice(r, [0, 1, 0], [-1, 2, 1]), df.concat([x, x * 2.0], axis=0), df.gather(x, [2, 0], axis=1),
            x[1:, ::2], df.stack([x, x], axis=1), df.unstack(x, axis=1)[3], df.split(x, 3, axis=1)[2],
            df.squeeze(df.expand_dims(x, 0), [0]), df.tile(x, [2, 1]), df.pad(x, [[1, 0], [0, 2]]),
            df.reverse(x, [1]), df.shape(x), df.one_hot(df.argmax(x, axis=1), 6)]
    return outs, {"x": np.arange(18, dtype="f4").reshape(3, 6)}


def _conv():
    rng = np.random.RandomState(2)
    img = df.placeholder(df.float32, [2, 6, 6, 3], name="img")
    k = df.Variable(rng.standard_normal((3, 3, 3, 4)).astype("f4"), name="k")
    c = df.nn.conv2d(img, k, strides=[1, 1, 1, 1], padding="SAME")
    p = df.nn.max_pool(df.nn.relu(c), [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    a = df.nn.avg_pool(df.transpose(c, [0, 3, 1, 2]), [1, 1, 2, 2], [1, 1, 1, 1], "VALID", data_format="NCHW")
    loss = df.reduce_sum(p) + df.reduce_mean(a)
    return [p, a] + df.gradients(loss, [img, k]), {"img": rng.standard_normal((2, 6, 6, 3)).astype("f4")}


def _strings_and_control():
    s = df.placeholder(df.string, [None], name="s")
    joined = df.strings.join([s, df.constant(b"!")], separator="-")
    n = df.placeholder(df.int32, [], name="n")
    with df.control_dependencies([df.Assert(n > 0, ["n must be positive", n])]):
        m = df.identity(n * 2)
    return [joined, df.as_string(df.cast(n, df.float32), precision=2), m], {"s": np.array([b"a", b"bc"]), "n": 3}


@pytest.mark.parametrize("build", [_arithmetic, _mlp, _reductions, _shapes, _conv, _strings_and_control],
                         ids=lambda f: f.__name__.strip("_"))
def test_imported_graphs_compute_the_same_values(build):
    g1 = df.Graph()
    with g1.as_default():
        fetches, feeds = build()
        init = df.global_variables_initializer()
        want = run(fetches, {g1.get_tensor_by_name(k + ":0"): v for k, v in feeds.items()}, init)
    g2 = reimport(g1, name="")
    _same_ops(g1, g2)
    g3 = reimport(g1, name="copy")
    _same_ops(g1, g3, prefix="copy/")
    for g, prefix in ((g2, ""), (g3, "copy/")):
        with g.as_default():
            got = run([g.get_tensor_by_name(prefix + t.name) for t in fetches],
                      {g.get_tensor_by_name(prefix + k + ":0"): v for k, v in feeds.items()},
                      g.get_operation_by_name(prefix + init.name))
        for a, b in zip(want, got, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer", [lambda: df.train.AdamOptimizer(0.05),
                                       lambda: df.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True)],
                         ids=["adam", "momentum"])
def test_imported_training_ops_train_the_same(optimizer):
    g1 = df.Graph()
    with g1.as_default():
        fetches, feeds = _mlp()
        train = optimizer().minimize(fetches[1], global_step=df.train.get_or_create_global_step())
        variables = df.global_variables()
        feeds = {g1.get_tensor_by_name(k + ":0"): v for k, v in feeds.items()}
        want = run(variables, feeds, df.global_variables_initializer(), [train] * 3)
    g2 = reimport(g1)
    with g2.as_default():
        got = run([g2.get_tensor_by_name(v.name) for v in variables],
                  {g2.get_tensor_by_name(t.name): v for t, v in feeds.items()},
                  [g2.get_operation_by_name(v.initializer.name) for v in variables],
                  [g2.get_operation_by_name(train.name)] * 3)
    assert len(want) > 4  # the slots and the global step too
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_imported_variables_are_variables():
    w = df.Variable(np.ones((2, 2), np.float32), name="w")
    g2 = reimport(df.get_default_graph(), name="imp")
    with g2.as_default():
        v = g2.get_tensor_by_name("imp/w:0")
        assert isinstance(v, df.Variable) and v.initializer.name == "imp/w/Assign"
        assert v.initial_value.name == "imp/" + w.initial_value.name
        assert df.global_variables() == []  # as TF: a GraphDef holds no collections
        with df.Session() as s:
            s.run(v.initializer)
            s.run(v.assign_add(np.ones((2, 2), np.float32)))
            assert s.run(v).tolist() == [[2, 2], [2, 2]]


def test_random_ops_keep_their_seeds():
    df.set_random_seed(5)
    r = df.random_normal([3, 4], seed=2, name="r")
    want = run(r)
    g2 = reimport(df.get_default_graph())
    with g2.as_default():
        np.testing.assert_array_equal(run(g2.get_tensor_by_name("r:0")), want)


# -- import_graph_def's arguments, as TF's

def _small_graph_def():
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.int32, [None], name="x")
        df.identity(x * 2, name="y")
        df.no_op(name="done")
    return g.as_graph_def()


def test_prefixes_are_made_unique_and_nest_in_name_scopes():
    gd = _small_graph_def()
    a = df.import_graph_def(gd, return_elements=["y:0"])[0]
    b = df.import_graph_def(gd, name=None, return_elements=["y:0"])[0]
    with df.name_scope("outer"):
        c = df.import_graph_def(gd, name="imp", return_elements=["y"])[0]
    assert (a.name, b.name, c.name) == ("import/y:0", "import_1/y:0", "outer/imp/y")


def test_an_empty_name_keeps_the_names_and_renames_clashes_as_tf():
    df.constant(1, name="y")
    y, x = df.import_graph_def(_small_graph_def(), name="", return_elements=["y:0", "x"])
    assert (y.name, x.name) == ("y_1:0", "x")
    assert y.op.inputs[0].op.inputs[0] is x.outputs[0]  # wired by the graph_def's names


def test_input_map_replaces_tensors():
    z = df.constant([1, 2, 3], name="z")
    gate = df.no_op(name="gate")
    y, x = df.import_graph_def(_small_graph_def(), input_map={"x": z, "^done": gate}, return_elements=["y:0", "x"])
    assert x.type == "Placeholder" and not x.outputs[0].consumers()  # imported, but bypassed
    assert y.shape == (3,)
    assert run(y).tolist() == [2, 4, 6]
    y2, = df.import_graph_def(_small_graph_def(), input_map={"x:0": z}, return_elements=["y:0"])
    assert run(y2).tolist() == [2, 4, 6]


def test_input_map_and_return_elements_errors_are_tfs():
    gd = _small_graph_def()
    f = df.constant([1.0])
    with pytest.raises(ValueError, match=r"Input 0 of node .*mul was passed float32 from Const:0 incompatible with "
                                         "expected int32"):
        df.import_graph_def(gd, input_map={"x:0": f})
    with pytest.raises(ValueError, match=r"Attempted to map inputs that were not found in graph_def: \[nope:0\]"):
        df.import_graph_def(gd, input_map={"nope:0": f})
    with pytest.raises(ValueError, match="Requested tensor 'nope:0' not found in graph_def"):
        df.import_graph_def(gd, return_elements=["nope:0"])
    with pytest.raises(ValueError, match="Invalid return output 1 of node 'x'"):
        df.import_graph_def(gd, return_elements=["x:1"])
    with pytest.raises(TypeError, match="GraphDef"):
        df.import_graph_def(gd.SerializeToString())


def test_outer_control_dependencies_apply_to_imported_ops_as_in_tf():
    c = df.no_op(name="first")
    with df.control_dependencies([c]):
        x, y = df.import_graph_def(_small_graph_def(), return_elements=["x", "y"])
    assert [o.name for o in x.control_inputs] == ["first"] and [o.name for o in y.control_inputs] == ["first"]


def test_malformed_graph_defs_are_refused():
    NodeDef = gdef.pb().node.NodeDef

    def graph(*nodes):
        return gdef.pb().graph.GraphDef(node=[NodeDef(name=n, op="Identity", input=i) for n, i in nodes])
    with pytest.raises(ValueError, match="Node 'a' is not unique"):
        df.import_graph_def(graph(("a", []), ("a", [])))
    with pytest.raises(ValueError, match="Node 'b': Unknown input node 'a'"):
        df.import_graph_def(graph(("b", ["a"])))
    with pytest.raises(ValueError, match="2 nodes in a cycle"):
        df.import_graph_def(graph(("a", ["b"]), ("b", ["a"])))


def test_unknown_op_types_are_all_listed_at_once():
    gd = gdef.read_graph_def(os.path.join(MLP, "graph.pb"))
    renamed = {"dense/Relu": "Gelu", "dense_1/Relu": "Gelu", "loss": "EuclideanNorm", "dense/MatMul": "SparseMatMul"}
    for n in gd.node:
        n.op = renamed.get(n.name, n.op)
    n_ops = len(df.get_default_graph().get_operations())
    with pytest.raises(NotFoundError, match="Op type not registered") as e:
        df.import_graph_def(gd)
    for t in ("'Gelu' (node 'dense/Relu')", "'EuclideanNorm' (node 'loss')", "'SparseMatMul' (node 'dense/MatMul')"):
        assert t in str(e.value)
    assert e.value.op_types == {"Gelu": ["dense/Relu"], "EuclideanNorm": ["loss"], "SparseMatMul": ["dense/MatMul"]}
    assert len(df.get_default_graph().get_operations()) == n_ops  # checked before anything is built


def test_tf_saver_ops_are_the_op_types_daskflow_lacks_in_the_mlp_meta_graph():
    meta = gdef.read_meta_graph(os.path.join(MLP, "model.ckpt-5.meta"))
    with pytest.raises(NotFoundError) as e:
        df.import_graph_def(meta.graph_def)
    assert e.value.op_types == {"SaveV2": ["save/SaveV2"], "RestoreV2": ["save/RestoreV2"]}


def test_opaque_attrs_need_an_input_map():
    da = pytest.importorskip("dask.array")
    src = df.data.from_dask(da.ones((4, 3), chunks=2, dtype=np.float32))
    df.reduce_sum(src * 2.0, name="total")
    gd = df.get_default_graph().as_graph_def()
    assert gd.node[0].attr["source"].func.name == "daskflow.opaque"
    with df.Graph().as_default():
        with pytest.raises(UnimplementedError, match=r"'FromDask' \(DataSource: attrs array, source\)"):
            df.import_graph_def(gd)
        z = df.placeholder(df.float32, [4, 3])
        total, = df.import_graph_def(gd, input_map={src.name: z}, return_elements=["total:0"])
        assert run(total, {z: np.ones((4, 3), np.float32)}) == 24.0
        assert not any(op.type == "DataSource" for op in df.get_default_graph().get_operations())
        with pytest.raises(UnimplementedError):  # an unused one is not silently dropped
            df.import_graph_def(df.graph_util.extract_sub_graph(gd, [src.op.name]))


# -- graphs written by TensorFlow

def test_tf_frozen_graph_gives_tfs_probabilities(expected):
    gd = gdef.read_graph_def(os.path.join(MLP, "frozen.pb"))
    x = df.placeholder(df.float32, [None, 64], name="batch")
    probs, = df.import_graph_def(gd, input_map={"x:0": x}, return_elements=["probs:0"])
    assert probs.name == "import/probs:0" and probs.shape.as_list() == [None, 10]
    got = run(probs, {x: np.array(expected["mlp"]["x"], np.float32)})
    np.testing.assert_allclose(got, np.array(expected["mlp"]["probs"], np.float32), rtol=1e-5)


def _load_checkpoint_values(expected, prefix="", names=None):
    """Each variable of TF's mlp checkpoint (those in ``names``) loaded into the Session built for it."""
    values = expected["checkpoints"]["mlp/model.ckpt-5"]["variables"]
    g = df.get_default_graph()
    return {g.get_tensor_by_name(f"{prefix}{k}:0"): np.array(v["values"], dtype=v["dtype"])
            for k, v in values.items() if names is None or k in names}


@pytest.mark.parametrize("filename", ["graph.pbtxt", "graph.pb"])
def test_tf_training_graph_computes_tfs_probabilities(expected, filename):
    gd = gdef.read_graph_def(os.path.join(MLP, filename))
    probs, = df.import_graph_def(gd, return_elements=["probs:0"])
    with df.Session() as s:
        for v, value in _load_checkpoint_values(expected, "import/").items():
            v.load(value, s)
        got = s.run(probs, {"import/x:0": np.array(expected["mlp"]["x"], np.float32)})
    np.testing.assert_allclose(got, np.array(expected["mlp"]["probs"], np.float32), rtol=1e-5)


def test_extract_sub_graph_gives_the_inference_part(expected):
    gd = gdef.read_graph_def(os.path.join(MLP, "graph.pb"))
    sub = df.graph_util.extract_sub_graph(gd, ["probs"])
    assert {n.op for n in sub.node} == {"Placeholder", "VariableV2", "Identity", "MatMul", "BiasAdd", "Relu",
                                        "Softmax"}
    assert [n.name for n in sub.node] == [n.name for n in gd.node if n.name in {m.name for m in sub.node}]
    probs, = df.import_graph_def(sub, name="", return_elements=["probs:0"])
    with df.Session() as s:
        for v, value in _load_checkpoint_values(expected, names={n.name for n in sub.node}).items():
            v.load(value, s)
        got = s.run(probs, {"x:0": np.array(expected["mlp"]["x"], np.float32)})
    np.testing.assert_allclose(got, np.array(expected["mlp"]["probs"], np.float32), rtol=1e-5)
    with pytest.raises(AssertionError, match="nope is not in graph"):
        df.graph_util.extract_sub_graph(gd, ["nope"])
    with pytest.raises(TypeError):
        df.graph_util.extract_sub_graph(gd, "probs")


def test_tf_op_families_compute_what_tf_computed(graphs_expected):
    ops = graphs_expected["ops"]
    gd = gdef.read_graph_def(os.path.join(GRAPHS, "ops.pb"))
    names = sorted(ops["outputs"])
    outs = df.import_graph_def(gd, name="", return_elements=[f"out_{n}:0" for n in names])
    feeds = {f"{k}:0": np.array(v, np.int32 if k == "idx" else np.float32) for k, v in ops["feeds"].items()}
    got = run(outs, feeds)
    for name, value in zip(names, got):
        want = np.array(ops["outputs"][name]["values"], dtype=ops["outputs"][name]["dtype"])
        assert value.dtype == want.dtype and value.shape == want.shape, name
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_tf_training_graph_trains_as_tf(graphs_expected):
    data = graphs_expected["cnn_train"]
    gd = gdef.read_graph_def(os.path.join(GRAPHS, "cnn_train.pbtxt"))
    assert {"Conv2DBackpropInput", "MaxPoolGrad", "SigmoidGrad", "TanhGrad", "ShapeN", "ApplyMomentum"} <= \
        {n.op for n in gd.node}
    train, init = df.import_graph_def(gd, name="", return_elements=["train", "init"])
    feeds = {"x:0": np.array(data["x"], np.float32), "y:0": np.array(data["y"], np.int32)}
    names = sorted(data["after_two_steps"])
    got = run([f"{k}:0" for k in names], feeds, init, [train, train])
    for name, value in zip(names, got):
        np.testing.assert_allclose(value, np.array(data["after_two_steps"][name], np.float32), rtol=1e-5,
                                   atol=1e-6, err_msg=name)


def test_tf_graph_with_an_unknown_batch_size_trains():
    gd = gdef.read_graph_def(os.path.join(GRAPHS, "cnn_train_dynamic.pb"))
    train, loss = df.import_graph_def(gd, name="", return_elements=["train", "loss:0"])
    variables = [op.outputs[0] for op in df.get_default_graph().get_operations() if op.type == "VariableV2"]
    rng = np.random.RandomState(0)
    feeds = {"x:0": rng.standard_normal((3, 6, 6, 2)).astype("f4"), "y:0": np.array([0, 1, 2], np.int32)}
    with df.Session() as s:
        s.run(df.variables_initializer(variables))
        losses = [s.run([train, loss], feeds)[1] for _ in range(4)]
    assert losses[-1] < losses[0]


# -- meta graphs

def _trained_mlp_graph():
    fetches, feeds = _mlp()
    step = df.train.get_or_create_global_step()
    train = df.train.AdamOptimizer(0.05).minimize(fetches[1], global_step=step)
    g = df.get_default_graph()
    g.add_to_collection("outputs", fetches[0])
    g.add_to_collection("sizes", 3)
    g.add_to_collection("rates", 0.5)
    g.add_to_collection("notes", "hello")
    return train, fetches, feeds


@pytest.mark.parametrize("filename,as_text", [("m.meta", False), ("m.pbtxt", True), ("m.json", True)])
def test_meta_graphs_round_trip_with_collections(tmp_path, filename, as_text):
    train, fetches, feeds = _trained_mlp_graph()
    g1 = df.get_default_graph()
    path = str(tmp_path / filename)
    meta = df.train.export_meta_graph(path, as_text=as_text)
    assert set(meta.collection_def) == {"variables", "trainable_variables", "global_step", "train_op", "outputs",
                                        "sizes", "rates", "notes"}
    assert {"VariableV2", "Assign", "AdamUpdate"} <= {op.name for op in meta.meta_info_def.stripped_op_list.op}
    feeds1 = {g1.get_tensor_by_name(k + ":0"): v for k, v in feeds.items()}
    want = run(df.global_variables(), feeds1, df.global_variables_initializer(), [train] * 2)
    with df.Graph().as_default() as g2:
        saver = df.train.import_meta_graph(path)
        assert [v.name for v in df.global_variables()] == [v.name for v in g1.get_collection("variables")]
        assert all(isinstance(v, df.Variable) for v in df.global_variables())
        assert [v.name for v in df.trainable_variables()] == ["w1:0", "b1:0", "w2:0"]
        assert df.train.get_global_step().name == "global_step:0"
        assert g2.get_collection("sizes") == [3] and g2.get_collection("rates") == [0.5]
        assert g2.get_collection("notes") == [b"hello"]
        assert g2.get_collection("outputs")[0].name == fetches[0].name
        assert g2.get_collection("train_op")[0].name == train.name
        assert saver is not None  # variables come with a Saver
        got = run(df.global_variables(), {g2.get_tensor_by_name(t.name): v for t, v in feeds1.items()},
                  df.global_variables_initializer(), [g2.get_collection("train_op")[0]] * 2)
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_meta_graph_scopes_and_devices(tmp_path):
    with df.device("/cpu:0"), df.name_scope("model"):
        v = df.Variable(np.arange(3, dtype=np.float32), name="v")
        out = df.multiply(v, 2.0, name="out")
    df.constant(0, name="elsewhere")
    meta = df.train.export_meta_graph(export_scope="model", clear_devices=True)
    assert {n.name for n in meta.graph_def.node} >= {"v", "out"} and "elsewhere" not in \
        {n.name for n in meta.graph_def.node}
    assert all(not n.device for n in meta.graph_def.node)
    with df.Graph().as_default():
        saver = df.train.import_meta_graph(meta, import_scope="again")
        assert [x.name for x in df.global_variables()] == ["again/v:0"]
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            assert s.run("again/out:0").tolist() == [0, 2, 4]
            if saver is not None:  # checkpoint names without the import scope, as TF's
                prefix = saver.save(s, str(tmp_path / "ckpt"), write_meta_graph=False)
                assert [name for name, _ in df.train.list_variables(prefix)] == ["v"]
    assert out.device == "/device:CPU:0"


def test_unexportable_collections_warn():
    df.get_default_graph().add_to_collection("things", object())
    with pytest.warns(UserWarning, match="collection 'things' holds object values"):
        meta = df.train.export_meta_graph()
    assert "things" not in meta.collection_def


def test_tf_meta_graph_imports_restores_and_trains(expected):
    saver = df.train.import_meta_graph(os.path.join(MLP, "model.ckpt-5.meta"))
    g = df.get_default_graph()
    assert len(df.global_variables()) == 15 and len(df.trainable_variables()) == 4
    assert [op.name for op in g.get_collection("train_op")] == ["Adam"]
    assert not any(op.name.startswith("save/") for op in g.get_operations())  # TF's saver ops are left out
    x = np.array(expected["mlp"]["x"], np.float32)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        if saver is not None:  # daskflow's Saver reads TF's checkpoints
            saver.restore(s, os.path.join(MLP, "model.ckpt-5"))
        else:
            for v, value in _load_checkpoint_values(expected).items():
                v.load(value, s)
        np.testing.assert_allclose(s.run("probs:0", {"x:0": x}), np.array(expected["mlp"]["probs"], np.float32),
                                   rtol=1e-5)
        assert s.run("global_step:0") == 5
        s.run(g.get_collection("train_op")[0], {"x:0": x, "y:0": np.arange(8) % 10})
        assert s.run("global_step:0") == 6
        np.testing.assert_allclose(s.run("beta1_power:0"), 0.9 ** 7, rtol=1e-6)


def test_tf_adam_step_matches_daskflows_adam(expected):
    """One step of TF's imported ApplyAdam graph against daskflow's AdamOptimizer, from the same values."""
    x = np.array(expected["mlp"]["x"], np.float32)
    y = np.arange(8) % 10
    values = {k: np.array(v["values"], v["dtype"])
              for k, v in expected["checkpoints"]["mlp/model.ckpt-5"]["variables"].items()}
    df.train.import_meta_graph(os.path.join(MLP, "model.ckpt-5.meta"))
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for v in df.global_variables():
            v.load(values[v.op.name], s)
        s.run("Adam", {"x:0": x, "y:0": y})
        tf_step = {v.op.name: s.run(v) for v in df.trainable_variables()}
    with df.Graph().as_default():
        xs, ys = df.placeholder(df.float32, [None, 64]), df.placeholder(df.int64, [None])
        w = {k: df.Variable(values[k], name=k) for k in ("dense/kernel", "dense/bias", "dense_1/kernel",
                                                         "dense_1/bias")}
        h = df.nn.relu(df.matmul(xs, w["dense/kernel"]) + w["dense/bias"])
        logits = df.matmul(h, w["dense_1/kernel"]) + w["dense_1/bias"]
        loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=ys, logits=logits))
        opt = df.train.AdamOptimizer(1e-2)
        train = opt.minimize(loss)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            for k, v in w.items():
                s.run([opt.get_slot(v, "m").assign(values[k + "/Adam"]),
                       opt.get_slot(v, "v").assign(values[k + "/Adam_1"])])
            b1, b2 = opt._get_beta_accumulators()
            b1.load(values["beta1_power"], s)
            b2.load(values["beta2_power"], s)
            s.run(train, {xs: x, ys: y})
            for k, v in w.items():
                np.testing.assert_allclose(s.run(v), tf_step[k], rtol=1e-5, atol=1e-7, err_msg=k)


# -- files

def test_write_graph_writes_tfs_forms(tmp_path):
    df.multiply(df.placeholder(df.float32, [2], name="x"), 3.0, name="y")
    g = df.get_default_graph()
    for name, as_text in (("g.pbtxt", True), ("g.pb", False), ("g.json", True)):
        path = df.train.write_graph(g, str(tmp_path / "logs"), name, as_text=as_text)
        assert path == os.path.join(str(tmp_path / "logs"), name) and os.path.exists(path)
        back = gdef.read_graph_def(path)
        assert back == g.as_graph_def()
    with open(tmp_path / "logs" / "g.pbtxt") as f:
        assert 'name: "y"' in f.read()
    with open(tmp_path / "logs" / "g.json") as f:
        assert json.load(f)["node"][0]["name"] == "x"
    path = df.train.write_graph(g.as_graph_def(), str(tmp_path), "def.pb", as_text=False)
    assert gdef.read_graph_def(path) == g.as_graph_def()


def test_freezing_variables_into_constants():
    w = df.Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), name="w")
    x = df.placeholder(df.float32, [None, 2], name="x")
    df.matmul(x, w, name="y")
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        s.run(w.assign_add(np.ones((2, 2), np.float32)))
        frozen = df.graph_util.convert_variables_to_constants(s, s.graph.as_graph_def(), ["y"])
    assert {n.op for n in frozen.node} == {"Placeholder", "Const", "BatchMatMulV2"}
    with df.Graph().as_default():
        y, = df.import_graph_def(frozen, return_elements=["y:0"])
        assert run(y, {"import/x:0": np.eye(2, dtype=np.float32)}).tolist() == [[2, 3], [4, 5]]


def test_unreadable_files_are_refused(tmp_path):
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"\xff\xfe not a graph {")
    with pytest.raises(DataLossError, match="not a GraphDef"):
        gdef.read_graph_def(str(bad))


def test_no_warnings_on_tf_meta_graph_import():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df.train.import_meta_graph(os.path.join(MLP, "model.ckpt-5.meta"))
