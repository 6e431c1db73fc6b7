"""The graph model: names, scopes, control dependencies, devices, lookups, shapes and dtypes. Nothing computes."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import raise_if_computes


def test_default_graph_and_as_default():
    g0 = df.get_default_graph()
    g = df.Graph()
    with g.as_default():
        assert df.get_default_graph() is g
        c = df.constant(1.0)
    assert c.graph is g
    assert df.get_default_graph() is g0
    df.reset_default_graph()
    assert df.get_default_graph() is not g0


def test_reset_inside_as_default_is_refused():
    with df.Graph().as_default():
        with pytest.raises(AssertionError, match="reset_default_graph"):
            df.reset_default_graph()


def test_unique_scoped_names():
    a = df.constant(1.0, name="c")
    b = df.constant(2.0, name="c")
    with df.name_scope("layer"):
        d = df.constant(3.0, name="c")
        e = a + b
    with df.name_scope("layer"):
        f = df.constant(4.0, name="c")
    assert [t.name for t in (a, b, d, f)] == ["c:0", "c_1:0", "layer/c:0", "layer_1/c:0"]
    assert e.op.name == "layer/add" and e.op.type == "AddV2"  # TF names an operator's op after the operator
    assert a.op.type == "Const" and a.value_index == 0


def test_operators_name_their_ops_as_tf():
    a = df.constant([1.0])
    t = df.cast(a, df.bool)
    got = [x.op.name for x in [a * 2.0, a + 1.0, a - 1.0, a / 2.0, a // 2.0, a % 2.0, -a, a ** 2, abs(a), a < 1.0,
                               2.0 * a, 1.0 - a, t & t, t | t, t ^ t, ~t, a[0]]]
    # as tensorflow.compat.v1 names them
    assert got == ["mul", "add", "sub", "truediv", "floordiv", "mod", "Neg", "pow", "Abs", "Less", "mul_1", "sub_1",
                   "and", "or", "xor", "LogicalNot", "strided_slice"]


def test_lookup_by_name():
    g = df.get_default_graph()
    x = df.placeholder(df.float32, (None, 3), name="x")
    y = df.exp(x, name="y")
    assert g.get_tensor_by_name("y:0") is y
    assert g.get_operation_by_name("x") is x.op
    assert y.op.inputs[0] is x and x.consumers() == [y.op]
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("nope:0")
    with pytest.raises(KeyError, match="only has 1 outputs"):
        g.get_tensor_by_name("y:3")
    with pytest.raises(ValueError, match="Tensor names must be of the form"):
        g.get_tensor_by_name("y")
    with pytest.raises(KeyError, match="not in the graph"):
        g.get_operation_by_name("z")


def test_tensor_properties_and_set_shape():
    x = df.placeholder("float", shape=(None, 784), name="x")
    assert x.dtype == df.float32 == np.float32
    assert x.shape == (None, 784)
    assert x.get_shape().as_list() == [None, 784]
    assert x.shape.ndims == 2 and not x.shape.is_fully_defined()
    assert x.graph is df.get_default_graph() and x.op.name == "x"
    x.set_shape((32, 784))
    assert x.shape.as_list() == [32, 784]
    with pytest.raises(df.errors.InvalidArgumentError, match="incompatible"):
        x.set_shape((16, 784))
    u = df.placeholder(df.int64)
    assert u.shape.ndims is None and str(u.shape) == "<unknown>"


@pytest.mark.parametrize("name, expected", [("float", "float32"), ("half", "float16"), ("double", "float64"),
                                            ("int32", "int32"), ("uint8", "uint8"), ("bool", "bool")])
def test_dtype_spellings(name, expected):
    assert df.as_dtype(name) == np.dtype(expected)
    assert df.placeholder(name).dtype == np.dtype(expected)


def test_all_tf_dtypes_are_numpy_dtypes():
    for name in ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]:
        assert getattr(df, name) == np.dtype(name)


def test_python_values_become_tf_dtypes():
    assert df.constant(1.5).dtype == df.float32
    assert df.constant(3).dtype == df.int32
    assert df.constant([True, False]).dtype == df.bool
    assert df.constant(np.arange(3)).dtype == np.arange(3).dtype  # numpy arrays keep theirs
    assert (df.constant(np.ones(2, "f8")) + 1).dtype == df.float64  # python scalars adapt to the tensor


def test_control_dependencies_recorded_and_cleared():
    a = df.constant(1.0, name="a")
    b = df.constant(2.0, name="b")
    with df.control_dependencies([a]):
        c = df.identity(b, name="c")
        with df.control_dependencies([b.op]):
            d = df.identity(b, name="d")
            with df.control_dependencies(None):
                e = df.identity(b, name="e")
    assert c.op.control_inputs == [a.op]
    assert d.op.control_inputs == [a.op]  # b is already a data input of d: not repeated
    assert e.op.control_inputs == []


def test_device_scopes_recorded_and_merged():
    with df.device("/job:worker/task:1"):
        a = df.constant(1.0)
        with df.device("/gpu:0"):
            b = df.constant(2.0)
    c = df.constant(3.0)
    assert a.op.device == "/job:worker/task:1"
    assert b.device == "/job:worker/task:1/device:GPU:0"
    assert c.op.device == ""
    with pytest.raises(df.errors.InvalidArgumentError, match="Malformed device"):
        with df.device("/banana:1"):
            pass


def test_ops_record_where_they_were_built():
    x = df.constant(1.0)
    assert x.op.where().startswith(__file__)


def test_shape_errors_at_build_time_name_op_and_shapes():
    a = df.placeholder(df.float32, (3, 4), name="a")
    b = df.placeholder(df.float32, (5, 4), name="b")
    with pytest.raises(df.errors.InvalidArgumentError, match=r"\(3, 4\).*\(5, 4\).*'Add.*AddV2"):
        df.add(a, b, name="Add")
    with pytest.raises(df.errors.InvalidArgumentError, match=r"In\[0\]: \(3, 4\), In\[1\]: \(5, 4\)"):
        df.matmul(a, b)
    i = df.placeholder(df.int32, (3, 4), name="i")
    with pytest.raises(df.errors.InvalidArgumentError, match="int32.*float32|float32.*int32"):
        a + i


def test_graph_building_and_lowering_compute_nothing():
    with raise_if_computes():
        x = df.placeholder(df.float32, (None, 3))
        w = df.constant(np.ones((3, 2), "f4"))
        y = df.reduce_sum(df.nn.relu(x @ w))
        import dask.array as da
        lazy = df.lower(y, feed_dict={x: da.ones((10, 3), chunks=5, dtype="f4")})
    assert float(lazy.compute()) == 60.0


def test_tensor_is_not_a_bool_nor_an_array():
    x = df.constant([1.0])
    with pytest.raises(TypeError, match="Python bool"):
        bool(x)
    with pytest.raises(TypeError, match="Const:0"):
        np.asarray(x)


def test_finalized_graph_refuses_new_ops():
    g = df.Graph()
    with g.as_default():
        df.constant(1.0)
        g.finalize()
        with pytest.raises(RuntimeError, match="finalized"):
            df.constant(2.0)
