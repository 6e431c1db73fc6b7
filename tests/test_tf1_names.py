"""Smaller TF1 names: ``make_tensor_proto``, ``register_tensor_conversion_function``, ``init_scope``, ``op_scope``,
``tables_initializer``, the gradient enums, ``tf.manip`` (values and errors as TF 2.21's ``tf.compat.v1``)."""
import numpy as np
import pytest

import daskflow as df


def test_make_tensor_proto_lays_values_out_as_tf():
    cases = [(([1, 2, 3, 4], None, [2, 2]), [[1, 2], [3, 4]], np.int32),
             ((5.0, None, [2, 2]), [[5.0, 5.0], [5.0, 5.0]], np.float32),
             (([1, 2], None, [3]), [1, 2, 2], np.int32),
             (([1, 2], df.float32, None), [1.0, 2.0], np.float32),
             ((["a", b"b"], None, None), [b"a", b"b"], object)]
    for (values, dtype, shape), want, kind in cases:
        got = df.make_ndarray(df.make_tensor_proto(values, dtype=dtype, shape=shape))
        assert got.tolist() == want and got.dtype == kind
    with pytest.raises(ValueError, match="Too many elements provided. Takes at most 3, but got 4."):
        df.make_tensor_proto([1, 2, 3, 4], shape=[3])
    with pytest.raises(TypeError, match=r"Expected Tensor's shape: \(1, 2\), but got \(2,\)."):
        df.make_tensor_proto([1, 2], shape=[1, 2], verify_shape=True)


class Meters:
    def __init__(self, values):
        self.values = values


def test_registered_conversions_let_ops_take_user_types():
    df.register_tensor_conversion_function(
        Meters, lambda v, dtype=None, name=None, as_ref=False: df.constant(np.asarray(v.values) * 100.0,
                                                                           dtype=dtype or df.float32))
    with df.Graph().as_default():
        y = df.add(Meters([1.0, 2.5]), 1.0)
        with df.Session() as s:
            assert s.run(y).tolist() == [101.0, 251.0]
        assert df.is_symbolic_tensor(y) and not df.is_symbolic_tensor(np.ones(2))
        assert df.convert_to_tensor_or_indexed_slices(y) is y
    with pytest.raises(TypeError, match="conversion_func must be callable"):
        df.register_tensor_conversion_function(Meters, 3)
    with pytest.raises(TypeError, match="daskflow converts it itself"):
        df.register_tensor_conversion_function(float, lambda v, **kw: v)


def test_init_scope_and_op_scope():
    with df.Graph().as_default():
        a = df.constant(1.0)
        with df.control_dependencies([a]):
            with df.init_scope():
                b = df.constant(2.0)
            c = df.constant(3.0)
        assert b.op.control_inputs == [] and c.op.control_inputs == [a.op]
        with df.op_scope([a], None, "fallback"):
            d = df.identity(a)
        assert d.op.name == "fallback/Identity"


def test_tables_initializer_and_enums():
    with df.Graph().as_default():
        init = df.tables_initializer()
        assert init.type == "NoOp" and init.name == "init_all_tables" and df.initialize_all_tables is \
            df.tables_initializer
        x, y = df.constant(1.0), df.constant(2.0)
        assert df.gradients(y, x, unconnected_gradients=df.UnconnectedGradients.NONE) == [None]
        zero = df.gradients(y, x, unconnected_gradients=df.UnconnectedGradients.ZERO)[0]
        with df.Session() as s:
            assert s.run(zero) == 0.0
    assert df.AggregationMethod.DEFAULT == df.AggregationMethod.ADD_N == 0
    assert [m.name for m in df.VariableAggregation] == ["NONE", "SUM", "MEAN", "ONLY_FIRST_REPLICA"]
    assert [m.value for m in df.VariableSynchronization] == [0, 1, 2, 3]


def test_manip_namespace():
    with df.Graph().as_default(), df.Session() as s:
        assert s.run(df.manip.roll([1, 2, 3], 1, 0)).tolist() == [3, 1, 2]
        assert s.run(df.manip.tile([1, 2], [2])).tolist() == [1, 2, 1, 2]
        assert s.run(df.manip.gather_nd([[1, 2], [3, 4]], [[1, 0]])).tolist() == [3]


def test_dtype_is_the_class_of_every_dtype():
    assert all(isinstance(d, df.DType) for d in (df.float32, df.int64, df.string, df.bool, df.constant(1).dtype))


def test_small_aliases():
    assert df.OpError is df.errors.OpError and df.initializers.tables_initializer is df.tables_initializer
    sd = df.train.SaverDef(filename_tensor_name="save/Const:0", max_to_keep=3)
    assert df.train.SaverDef.FromString(sd.SerializeToString()).max_to_keep == 3
