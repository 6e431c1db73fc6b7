"""Variable scopes and get_variable: names, sharing and its errors, defaults of scopes, custom getters,
regularization losses, templates, collections, and which variables a session has initialised.

Names and messages written as literals are those TensorFlow 2.21's ``tf.compat.v1`` (graph mode, ref variables)
gives for the same program, observed by running it there."""
import re
import threading

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase

TESTED_OPS = {"IsVariableInitialized"}


def _scaled_by_readiness(x):
    v = df.Variable(np.zeros(3), name="v")  # never initialised where this runs: the factor is 1
    return x * (1.0 + df.cast(df.is_variable_initialized(v), x.dtype))


# no gradient flows into IsVariableInitialized; the row also puts the op in the shape sweep (test_shape_sweep.py)
GRAD_CASES = [GradCase("IsVariableInitialized", _scaled_by_readiness, [(3, 2)])]


def _init(s):
    s.run([df.global_variables_initializer(), df.local_variables_initializer()])


def test_names_of_a_nested_program_are_tfs():
    with df.variable_scope("foo"):
        v = df.get_variable("v", [2, 3])
        with df.variable_scope("bar"):
            w = df.get_variable("w", [3], initializer=df.zeros_initializer())
            c = df.constant(1.0, name="c")
    with df.variable_scope("foo"):
        c2 = df.constant(1.0, name="c")
        u = df.get_variable("u", [1])
    with df.variable_scope("foo", reuse=True):
        v2 = df.get_variable("v")
        c3 = df.add(v2, 1.0, name="add")
    with df.name_scope("ns"):
        x = df.get_variable("x", [])
        with df.variable_scope("vs"):
            y = df.get_variable("y", [])
            d = df.constant(2.0, name="d")
    with df.variable_scope(None, default_name="layer"):
        l1 = df.get_variable("k", [])
    with df.variable_scope(None, default_name="layer"):
        l2 = df.get_variable("k", [])
    with df.variable_scope("foo") as sc:
        pass
    with df.variable_scope(sc):
        e = df.constant(1.0, name="e")
        z = df.get_variable("z", [])
    with df.variable_scope(sc, auxiliary_name_scope=False):
        f = df.constant(1.0, name="f")
    with df.variable_scope("outer"):
        with df.variable_scope(sc):
            h = df.constant(1.0, name="h")
            zz = df.get_variable("zz", [])
    with df.variable_scope("Foo"):
        c9 = df.constant(1.0, name="c")
    got = [t.name for t in [v, w, c, c2, u, v2, c3, x, y, d, l1, l2, e, z, f, h, zz, c9]]
    # TF1's names for this program
    assert got == ["foo/v:0", "foo/bar/w:0", "foo/bar/c:0", "foo_1/c:0", "foo/u:0", "foo/v:0", "foo_2/add:0", "x:0",
                   "vs/y:0", "ns/vs/d:0", "layer/k:0", "layer_1/k:0", "foo_4/e:0", "foo/z:0", "f:0", "outer/foo/h:0",
                   "foo/zz:0", "Foo_5/c:0"]
    assert (sc.name, sc.original_name_scope) == ("foo", "foo_3/")  # TF1's
    assert v2 is v
    ops = {op.name: op.type for op in df.get_default_graph().get_operations()}
    # TF1's variable, initializer and assignment ops (TF also makes a ``<name>/read`` Identity, daskflow does not)
    for name, kind in [("foo/v", "VariableV2"), ("foo/v/Assign", "Assign"), ("foo/v/Initializer/random_uniform", "AddV2"),
                       ("foo/v/Initializer/random_uniform/RandomUniform", "RandomUniform"),
                       ("foo/bar/w/Initializer/zeros", "Fill"), ("layer_1/k", "VariableV2")]:
        assert ops[name] == kind
    assert df.global_variables() == [v, w, u, x, y, l1, l2, z, zz]
    assert df.trainable_variables() == df.global_variables()


def test_errors_of_sharing_are_tfs():
    with df.variable_scope("a"):
        df.get_variable("v", [2])
    # TF1's messages
    with pytest.raises(ValueError, match=re.escape(
            "Variable a/v already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in "
            "VarScope? Originally defined at:")) as err:
        with df.variable_scope("a"):
            df.get_variable("v", [2])
    assert __file__ in str(err.value)
    with pytest.raises(ValueError, match=re.escape(
            "Variable a/w does not exist, or was not created with tf.get_variable(). Did you mean to set "
            "reuse=tf.AUTO_REUSE in VarScope?")):
        with df.variable_scope("a", reuse=True):
            df.get_variable("w", [2])
    with pytest.raises(ValueError, match=re.escape(
            "Trying to share variable a/v, but specified shape (3,) and found shape (2,).")):
        with df.variable_scope("a", reuse=True):
            df.get_variable("v", [3])
    with pytest.raises(ValueError, match=re.escape(
            "Trying to share variable a/v, but specified dtype float64 and found dtype float32_ref.")):
        with df.variable_scope("a", reuse=True):
            df.get_variable("v", [2], dtype=df.float64)


@pytest.mark.parametrize("build, cls, message", [
    (lambda: df.get_variable("c", [2], initializer=np.ones(2, "f4")), ValueError,
     "If initializer is a constant, do not specify shape."),
    (lambda: df.get_variable("noinit"), ValueError,
     "Variable noinit did not get an initializer, so its `shape` argument must be specified."),
    (lambda: df.get_variable("cplx", [2], dtype=df.complex64), ValueError,
     "An initializer for variable cplx of <dtype: 'complex64'> is required"),
    (lambda: df.get_variable("idt", initializer=np.ones(2, "f4"), dtype=df.float64), ValueError,
     "Initializer type '<dtype: 'float32'>' and explicit dtype '<dtype: 'float64'>' don't match."),
    (lambda: df.get_variable("nsc", initializer=df.zeros_initializer()), ValueError,
     "The initializer passed is not valid. It should be a callable with no arguments and the shape should not be "
     "provided or an instance of `tf.keras.initializers.*' and `shape` should be fully defined."),
    (lambda: df.get_variable("ncg", [1], custom_getter=3), ValueError,
     "Passed a custom_getter which is not callable: 3"),
    (lambda: df.variable_scope(None), TypeError, "If default_name is None then name_or_scope is required"),
    (lambda: df.variable_scope("x", reuse=3), ValueError, "The reuse parameter must be True or False or None."),
    (lambda: df.variable_scope(3).__enter__(), TypeError,
     "VariableScope: name_or_scope must be a string or VariableScope."),
    (lambda: df.variable_scope("x", auxiliary_name_scope=1), TypeError,
     "The auxiliary_name_scope must be `True` or `False`, while get 1"),
    (lambda: df.variable_scope(None, default_name="d", reuse=True).__enter__(), ValueError,
     "reuse=True cannot be used without a name_or_scope"),
])
def test_argument_errors_are_tfs(build, cls, message):
    with pytest.raises(cls) as err:  # TF1's class and message
        build()
    assert str(err.value) == message
    assert df.get_variable_scope().name == ""  # a failed enter leaves the scope as it was


def test_improper_nesting():
    outer, inner = df.variable_scope("q"), df.variable_scope("r")
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match=r"^Improper nesting of variable_scope\.$"):  # TF1's
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)


def test_reuse_modes():
    with df.variable_scope("auto", reuse=df.AUTO_REUSE):
        a1 = df.get_variable("q", [1])
    with df.variable_scope("auto", reuse=df.AUTO_REUSE):
        a2 = df.get_variable("q", [1])
        a3 = df.get_variable("p", [1])  # made: it does not exist
    assert a1 is a2 and a3.name == "auto/p:0"
    with df.variable_scope("a") as s:
        v = df.get_variable("v", [2])
        s.reuse_variables()
        assert df.get_variable("v") is v
        with df.variable_scope("sub") as sub:
            assert sub.reuse is True  # inherited
    with df.variable_scope("a", reuse=True) as s:
        with df.variable_scope("in", reuse=False) as s3:  # False means "inherit", as in TF1
            assert s3.reuse is True
    with df.variable_scope("a", reuse=False) as s:
        assert s.reuse is False
    with df.variable_scope(s, reuse=True):
        assert df.get_variable("v", [2]) is v


def test_a_scope_object_reentered_anywhere_shares_its_variables():
    with df.variable_scope("model") as model:
        w = df.get_variable("w", [2], initializer=df.ones_initializer())
    with df.variable_scope("elsewhere"), df.name_scope("deep"):
        with df.variable_scope(model, reuse=True) as again:
            assert df.get_variable("w") is w
            assert again.name == "model" and again.original_name_scope == "model/"
            assert df.constant(0.0, name="c").name == "elsewhere/deep/model/c:0"
    assert df.get_variable_scope().name == "" and df.get_variable_scope().original_name_scope == ""


def test_initializers_from_values_tensors_and_callables():
    g = df.get_default_graph()
    ft = df.get_variable("ft", initializer=df.constant([[1.0, 2.0]]))
    fv = df.get_variable("fv", initializer=[1, 2, 3])
    iv = df.get_variable("iv", [2], dtype=df.int32)
    bv = df.get_variable("bv", [2], dtype=df.bool)
    sv = df.get_variable("sv", [2], dtype=df.string)
    lam = df.get_variable("lam", initializer=lambda: df.ones([2]))
    cls = df.get_variable("cls", [2], initializer=df.ones_initializer)  # a class is instantiated, as TF
    assert (ft.shape, fv.shape, fv.dtype, iv.dtype, lam.shape) == ((1, 2), (3,), df.int32, df.int32, (2,))
    names = {op.name for op in g.get_operations()}
    assert {"fv/initial_value", "iv/Initializer/zeros", "lam/Initializer/ones"} <= names  # TF1's
    with df.Session() as s:
        _init(s)
        got = s.run([ft, fv, iv, bv, sv, lam, cls])
    for a, b in zip(got, [[[1, 2]], [1, 2, 3], [0, 0], [False, False], [b"", b""], [1, 1], [1, 1]]):
        np.testing.assert_array_equal(a, b)


def test_default_initializer_is_glorot_uniform():
    df.set_random_seed(3)
    w = df.get_variable("w", [40, 60])
    with df.Session() as s:
        s.run(w.initializer)
        x = s.run(w)
    limit = np.sqrt(6 / (40 + 60))
    assert np.abs(x).max() <= limit and np.abs(x).max() > 0.9 * limit
    assert abs(x.std() - limit / np.sqrt(3)) < 0.05 * limit


def test_scope_defaults_are_inherited():
    with df.variable_scope("d", dtype=df.float64, initializer=df.constant_initializer(0.5)) as d:
        x = df.get_variable("x", [2])
        with df.variable_scope("e"):
            y = df.get_variable("y", [2], initializer=df.ones_initializer())
            z = df.get_variable("z", [2], dtype=df.int32, initializer=df.zeros_initializer())
    assert (x.dtype, y.dtype, z.dtype, d.dtype) == (df.float64, df.float64, df.int32, df.float64)
    assert d.global_variables() == [x, y, z] and d.trainable_variables() == [x, y, z]
    d.set_initializer(df.constant_initializer(2.0))
    with df.variable_scope(d):
        w = df.get_variable("w", [1])
    with df.Session() as s:
        _init(s)
        assert s.run(x).tolist() == [0.5, 0.5] and s.run(y).tolist() == [1, 1] and s.run(w).tolist() == [2.0]


def test_custom_getters_chain_inner_first():
    calls = []

    def suffix(tag):
        def getter(getter, name, *args, **kwargs):
            calls.append((tag, name))
            return getter(name + "_" + tag, *args, **kwargs)
        return getter

    with df.variable_scope("cg", custom_getter=suffix("g1")):
        with df.variable_scope("inner", custom_getter=suffix("g2")):
            v = df.get_variable("v", [1])
        w = df.get_variable("w", [1], custom_getter=suffix("g2"))
    # TF1's names and call order
    assert (v.name, w.name) == ("cg/inner/v_g2_g1:0", "cg/w_g2:0")
    assert calls == [("g2", "cg/inner/v"), ("g1", "cg/inner/v_g2"), ("g2", "cg/w")]
    seen = []

    def spy(getter, name, shape=None, **kwargs):
        seen.append(sorted(kwargs))
        return getter(name, shape=shape, **kwargs)

    with df.variable_scope("c2", custom_getter=spy):
        df.get_variable("k", [1])
    # TF1's keyword arguments of a getter
    assert seen == [["aggregation", "caching_device", "collections", "constraint", "dtype", "initializer",
                     "partitioner", "regularizer", "reuse", "synchronization", "trainable", "use_resource",
                     "validate_shape"]]

    def doubled(getter, *args, **kwargs):
        return getter(*args, **kwargs) * 2.0  # a getter may return any tensor made from the variable

    with df.variable_scope("dbl", custom_getter=doubled):
        t = df.get_variable("t", [], initializer=df.constant_initializer(3.0))
    with df.Session() as s:
        _init(s)
        assert s.run(t) == 6.0


def test_regularization_losses_are_collected():
    def reg(t):
        return df.multiply(df.reduce_sum(df.square(t)), 0.5, name="l2")

    with df.name_scope("ns"):
        with df.variable_scope("r", regularizer=reg):
            a = df.get_variable("a", [3], initializer=df.constant_initializer([1.0, 2.0, 3.0]))
            df.get_variable("b", [3], regularizer=df.no_regularizer)
    losses = df.get_collection(df.GraphKeys.REGULARIZATION_LOSSES)
    assert [t.name for t in losses] == ["r/a/Regularizer/l2:0"]  # TF1's
    with df.Session() as s:
        s.run(a.initializer)
        assert s.run(losses[0]) == 7.0


def test_make_template_shares_variables():
    def fn(x, scale=1.0):
        w = df.get_variable("w", [2], initializer=df.ones_initializer())
        return df.multiply(x, w * scale, name="out")

    t1 = df.make_template("tmpl", fn, scale=2.0)
    x = df.constant([1.0, 2.0], name="x")
    y1, y2 = t1(x), t1(x)
    t2 = df.make_template("tmpl", fn)
    y3 = t2(x)
    t3 = df.make_template("now", fn, create_scope_now_=True)
    y4, y5 = t3(x), t3(x)
    # TF1's names
    assert [y.name for y in (y1, y2, y3, y4, y5)] == ["tmpl/out:0", "tmpl_1/out:0", "tmpl_2/out:0", "now/out:0",
                                                      "now_1/out:0"]
    assert (t1.variable_scope.name, t1.variable_scope_name, t3.variable_scope.name) == ("tmpl", "tmpl/", "now")
    assert [v.name for v in t1.variables] == ["tmpl/w:0"] and t1.trainable_variables == t1.variables
    assert [v.name for v in df.global_variables()] == ["tmpl/w:0", "tmpl_1/w:0", "now/w:0"]
    with df.Session() as s:
        _init(s)
        s.run(t1.variables[0].assign([3.0, 4.0]))
        np.testing.assert_array_equal(s.run(y1), [6.0, 16.0])
        np.testing.assert_array_equal(s.run(y2), [6.0, 16.0])
        np.testing.assert_array_equal(s.run(y3), [1.0, 2.0])


def test_a_template_that_makes_a_trainable_variable_again_fails():
    t = df.make_template("bad", lambda x: x * df.Variable(1.0, name="plain"))
    t(1.0)
    with pytest.raises(ValueError, match=re.escape(  # TF1's message
            "Trainable variable created when calling a template after the first time, perhaps you used tf.Variable "
            "when you meant tf.get_variable: [<daskflow.Variable 'bad_1/plain:0'")):
        t(2.0)
    with pytest.raises(ValueError, match="^name cannot be None.$"):
        df.make_template(None, lambda: None)


def test_local_and_model_variables_and_collections():
    with df.variable_scope("loc"):
        lv = df.get_local_variable("lv", [2])
        mv = df.get_variable("mv", [1], collections=[df.GraphKeys.GLOBAL_VARIABLES, df.GraphKeys.MODEL_VARIABLES])
    assert lv.name == "loc/lv:0" and df.local_variables() == [lv] and lv not in df.trainable_variables()
    assert df.model_variables() == [mv] and df.model_variables("loc") == [mv]
    df.add_to_collections(["c1", "c2"], 3)
    df.add_to_collection("c1", 4)
    ref = df.get_collection_ref("c3")
    ref.append(5)
    assert (df.get_collection("c1"), df.get_collection("c2"), df.get_collection("c3")) == ([3, 4], [3], [5])
    assert df.get_collection("variables", "loc") == [mv]
    keys = df.GraphKeys
    assert (keys.LOCAL_VARIABLES, keys.MODEL_VARIABLES, keys.REGULARIZATION_LOSSES, keys.UPDATE_OPS) == \
        ("local_variables", "model_variables", "regularization_losses", "update_ops")  # TF1's
    with df.Session() as s:
        s.run(df.local_variables_initializer())
        assert s.run(df.report_uninitialized_variables()).tolist() == [b"loc/mv"]


@pytest.mark.every_executor
def test_report_uninitialized_variables():
    a = df.get_variable("a", [3])
    b = df.get_variable("b", [2, 2])
    rep = df.report_uninitialized_variables()
    rep_a = df.report_uninitialized_variables([a])
    none = df.report_uninitialized_variables([])
    init_b = df.is_variable_initialized(b)
    # TF1's names and types
    assert (rep.name, rep_a.name, none.name, init_b.name) == (
        "report_uninitialized_variables/boolean_mask/GatherV2:0",
        "report_uninitialized_variables_1/boolean_mask/GatherV2:0", "report_uninitialized_variables_2/Const:0",
        "IsVariableInitialized:0")
    assert (rep.dtype, rep.shape.as_list(), init_b.dtype, init_b.shape) == (df.string, [None], df.bool, ())
    assert df.get_default_graph().get_operation_by_name(
        "report_uninitialized_variables/IsVariableInitialized_1").inputs == (b,)
    with df.Session() as s:
        assert s.run(rep).tolist() == [b"a", b"b"] and s.run(none).tolist() == []
        assert s.plan(rep_a).tasks > 0  # a plan looks at the variables without taking anything
        s.run(a.initializer)
        got, got_a, b_ready = s.run([rep, rep_a, init_b])
        assert (got.tolist(), got_a.tolist(), bool(b_ready)) == ([b"b"], [], False)
        s.run(b.initializer)
        assert s.run(rep).tolist() == [] and s.run(init_b)
    with df.Session() as s2:  # another session has its own variables
        assert s2.run(rep).tolist() == [b"a", b"b"]


def test_assert_variables_initialized():
    a = df.get_variable("a", [3])
    b = df.get_variable("b", [2, 2])
    check = df.assert_variables_initialized()
    assert df.assert_variables_initialized([b]).name == "Rank_2:0" and check.name == "stack:0"  # TF1's
    with df.Session() as s:
        s.run(a.initializer)
        with pytest.raises(df.errors.FailedPreconditionError, match="Attempting to use uninitialized value b"):
            s.run(check)
        s.run(b.initializer)
        assert s.run(check).tolist() == [1, 2]
    with df.Graph().as_default():
        assert df.assert_variables_initialized() is None


def test_initializers_namespace_runs_initialisers():
    a = df.get_variable("a", [1], initializer=df.ones_initializer())
    b = df.get_local_variable("b", [1], initializer=df.ones_initializer())
    assert df.local_variables() == [b]
    with df.Session() as s:
        s.run(df.initializers.variables([a], name="only_a"))
        assert s.run(df.report_uninitialized_variables()).tolist() == [b"b"]
        s.run(df.initializers.local_variables())
        assert s.run(df.report_uninitialized_variables()).tolist() == []
    with df.Session() as s:
        s.run(df.initializers.global_variables())
        assert s.run(df.report_uninitialized_variables()).tolist() == [b"b"]


def test_stores_are_per_graph_and_scopes_per_thread():
    with df.variable_scope("s"):
        v = df.get_variable("v", [1])
    with df.Graph().as_default():
        assert df.get_variable_scope().name == ""
        with df.variable_scope("s"):
            assert df.get_variable("v", [1]) is not v  # a new graph's store is empty
    seen = []
    with df.variable_scope("main_thread"):
        th = threading.Thread(target=lambda: seen.append(df.get_variable_scope().name))
        th.start()
        th.join()
    assert seen == [""]
    x = df.constant(1.0)
    with df.Graph().as_default():
        with df.variable_scope("vals", values=[x]):  # enters the graph of ``values``
            assert df.get_default_graph() is x.graph


def test_exports_are_tf_compat_v1_names():
    import daskflow.ops.variable_scope as vs
    # names of tf.compat.v1 in TensorFlow 2.21
    tf_v1 = {"AUTO_REUSE", "VariableScope", "variable_scope", "variable_op_scope", "get_variable",
             "get_local_variable", "get_variable_scope", "make_template", "no_regularizer", "model_variables",
             "add_to_collection", "add_to_collections", "get_collection", "get_collection_ref",
             "report_uninitialized_variables", "is_variable_initialized", "assert_variables_initialized",
             "local_variables_initializer", "initialize_local_variables", "initialize_variables"}
    assert set(vs.__all__) <= tf_v1
    tf_initializers = {"constant", "global_variables", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
                       "identity", "lecun_normal", "lecun_uniform", "local_variables", "ones", "orthogonal",
                       "random_normal", "random_uniform", "tables_initializer", "truncated_normal",
                       "uniform_unit_scaling", "variables", "variance_scaling", "zeros"}
    assert set(df.initializers.__all__) <= tf_initializers
    top = {n for n in dir(df) if n.endswith("_initializer")}
    assert top == {"constant_initializer", "global_variables_initializer", "glorot_normal_initializer",
                   "glorot_uniform_initializer", "local_variables_initializer", "ones_initializer",
                   "orthogonal_initializer", "random_normal_initializer", "random_uniform_initializer",
                   "tables_initializer", "truncated_normal_initializer", "uniform_unit_scaling_initializer", "variables_initializer",
                   "variance_scaling_initializer", "zeros_initializer"}  # all in tf.compat.v1
