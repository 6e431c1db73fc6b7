"""``df.layers`` behaviour beyond the TF fixtures: dropout's statistics in training, layers' properties, reuse and
naming rules, batch normalization's update ops, and TF's errors for bad inputs."""
import numpy as np
import pytest

import daskflow as df

TESTED_OPS = set()  # layers have no op types of their own


def test_dropout_keeps_a_fraction_and_scales_in_training_only():
    x = df.ones([200, 100])
    training = df.placeholder_with_default(False, [])
    y = df.layers.dropout(x, rate=0.3, training=True, seed=5)
    z = df.layers.Dropout(0.3, seed=6)(x, training=training)
    rows = df.layers.dropout(x, rate=0.5, noise_shape=[None, 1], training=True, seed=7)
    with df.Session() as sess:
        yv, z_off, z_on, rv = sess.run([y, z, z, rows])[0], sess.run(z), sess.run(z, {training: True}), sess.run(rows)
    np.testing.assert_allclose(np.unique(yv), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((yv != 0).mean() - 0.7) < 0.02
    np.testing.assert_array_equal(z_off, np.ones((200, 100), np.float32))
    assert abs((z_on != 0).mean() - 0.7) < 0.02
    assert all(len(set(r)) == 1 for r in rv)  # whole rows kept or dropped
    assert 0.35 < (rv[:, 0] != 0).mean() < 0.65
    with pytest.raises(ValueError, match="Invalid value 1.5 received for `rate`"):
        df.layers.Dropout(1.5)


def test_layer_properties_and_trainable():
    x = df.placeholder(df.float32, [None, 3])
    layer = df.layers.Dense(2, trainable=False, kernel_regularizer=lambda w: df.reduce_sum(w))
    with pytest.raises(ValueError, match="has not been used yet"):
        layer.scope_name
    assert layer.dtype is None and not layer.built
    layer(x)
    assert layer.built and layer.dtype == "float32" and layer.scope_name == "dense"
    assert layer.trainable_weights == [] and [v.name for v in layer.weights] == ["dense/kernel:0", "dense/bias:0"]
    assert df.trainable_variables() == [] and layer.count_params() == 8
    assert [t.name for t in layer.losses] == ["dense/kernel/Regularizer/Sum:0"]
    assert df.get_collection(df.GraphKeys.REGULARIZATION_LOSSES) == layer.losses
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        layer.set_weights([np.ones((3, 2), np.float32), np.full(2, 2.0, np.float32)])
        kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(bias, [2.0, 2.0])
    np.testing.assert_array_equal(kernel, np.ones((3, 2)))


def test_reuse_and_naming_follow_tf1():
    x = df.placeholder(df.float32, [None, 3])
    df.layers.dense(x, 2, name="h")
    with pytest.raises(ValueError, match="Variable h/kernel already exists, disallowed"):
        df.layers.dense(x, 2, name="h")
    with pytest.raises(ValueError, match="Variable g/kernel does not exist"):
        df.layers.dense(x, 2, name="g", reuse=True)
    y = df.layers.dense(x, 2, name="h", reuse=True)
    assert y.name == "h_2/BiasAdd:0" and len(df.global_variables()) == 2
    with pytest.raises(ValueError, match="Trying to share variable h/kernel, but specified shape"):
        df.layers.dense(x, 3, name="h", reuse=True)
    with df.variable_scope("outer"):
        conv = df.layers.Conv2D(2, 3)
        out = conv(df.zeros([1, 5, 5, 1]))
    again = conv(df.zeros([1, 5, 5, 1]))
    assert out.name == "outer/conv2d/BiasAdd:0" and again.name == "outer/conv2d/BiasAdd_1:0"
    assert [v.name for v in conv.variables] == ["outer/conv2d/kernel:0", "outer/conv2d/bias:0"]


def test_batch_norm_updates_only_in_training():
    x = df.placeholder(df.float32, [None, 2])
    df.layers.batch_normalization(x, training=False)
    assert df.get_collection(df.GraphKeys.UPDATE_OPS) == []
    layer = df.layers.BatchNormalization(momentum=0.5)
    y = layer(x, training=True)
    assert len(layer.updates) == 2 and df.get_collection(df.GraphKeys.UPDATE_OPS) == layer.updates
    assert [v.name for v in layer.non_trainable_weights] == ["batch_normalization_1/moving_mean:0",
                                                            "batch_normalization_1/moving_variance:0"]
    xv = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    with df.control_dependencies(layer.updates):
        step = df.identity(y)
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        out = sess.run(step, {x: xv})
        mean, var = sess.run([layer.moving_mean, layer.moving_variance])
    np.testing.assert_allclose(out, (xv - xv.mean(0)) / np.sqrt(xv.var(0) + 1e-3), rtol=1e-5)
    np.testing.assert_allclose(mean, 0.5 * xv.mean(0), rtol=1e-6)
    np.testing.assert_allclose(var, 0.5 + 0.5 * xv.var(0), rtol=1e-6)


def test_errors_as_tf():
    with pytest.raises(ValueError, match=r'Input 0 of layer "dense\w*" is incompatible with the layer: expected '
                       r"min_ndim=2, found ndim=1. Full shape received: \(3,\)"):
        df.layers.dense(df.placeholder(df.float32, [3]), 2)
    with pytest.raises(ValueError, match=r"last dimension of the inputs to a Dense layer should be defined. Found "
                       r"None. Full input shape received: \(3, None\)"):
        df.layers.dense(df.placeholder(df.float32, [3, None]), 2)
    with pytest.raises(TypeError, match="A Dense layer can only be built with a floating-point dtype"):
        df.layers.dense(df.placeholder(df.int32, [3, 2]), 2)
    layer = df.layers.Dense(2)
    layer(df.placeholder(df.float32, [None, 3]))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3, but received input with "
                       r"shape \(None, 4\)"):
        layer(df.placeholder(df.float32, [None, 4]))
    with pytest.raises(ValueError, match="The channel dimension of the inputs should be defined"):
        df.layers.conv2d(df.placeholder(df.float32, [1, 4, 4, None]), 2, 3)
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        df.layers.max_pooling2d(df.placeholder(df.float32, [1, 4, 4]), 2, 2)
    with pytest.raises(ValueError, match='The `padding` argument must be a list/tuple or one of "valid", "same"'):
        df.layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="The `data_format` argument must be one of"):
        df.layers.Flatten(data_format="NHWC")
    with pytest.raises(ValueError, match=r"Invalid axis. Expected 0 <= axis < inputs.rank \(with inputs.rank=2\)"):
        df.layers.batch_normalization(df.placeholder(df.float32, [2, 3]), axis=2)
    with pytest.raises(df.errors.UnimplementedError, match="renorm is not supported"):
        df.layers.BatchNormalization(renorm=True)
    with pytest.raises(TypeError, match="Keyword argument not understood: 'units2'"):
        df.layers.Dense(2, units2=3)


def test_flatten_unknown_dims_and_names():
    x, v = df.placeholder(df.float32, [None, None, 2]), df.placeholder(df.float32, [None])
    y, z = df.layers.flatten(x), df.layers.flatten(v)
    assert y.shape.as_list() == [None, None] and z.shape.as_list() == [None, 1]
    with df.Session() as sess:
        yv, zv = sess.run([y, z], {x: np.arange(24.0).reshape(3, 4, 2), v: np.ones(5)})
    np.testing.assert_array_equal(yv, np.arange(24.0).reshape(3, 8))
    assert zv.shape == (5, 1)


def test_a_layer_subclass_builds_once_in_its_scope():
    class Scale(df.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", [int(input_shape[-1])], initializer=df.ones_initializer(),
                                     regularizer=lambda w: df.reduce_sum(w))

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    x = df.placeholder(df.float32, [None, 2])
    a, b = layer(x), layer(2 * x)
    assert [v.name for v in layer.variables] == ["scale/w:0"] and len(df.global_variables()) == 1
    assert a.name == "scale/mul:0" and b.name == "scale/mul_1:0"
    assert len(df.get_collection(df.GraphKeys.REGULARIZATION_LOSSES)) == 1  # made once, not per call
    shared = Scale(name="scale", _reuse=True)
    shared(x)
    assert shared.variables == layer.variables and len(df.get_collection(df.GraphKeys.REGULARIZATION_LOSSES)) == 1
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(b, {x: [[1.0, 2.0]]}), [[2.0, 4.0]])


def test_batch_norm_with_a_training_tensor():
    x = df.placeholder(df.float32, [None, 2])
    training = df.placeholder(df.bool, [])
    layer = df.layers.BatchNormalization(momentum=0.0, epsilon=0.0, trainable=False)
    y = layer(x, training=training)
    assert layer.trainable_weights == [] and df.trainable_variables() == []
    xv = np.array([[1.0, 0.0], [3.0, 4.0]], np.float32)
    with df.control_dependencies(df.get_collection(df.GraphKeys.UPDATE_OPS)):
        step = df.identity(y)
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        off = sess.run(step, {x: xv, training: False})  # moving statistics (0, 1), left as they are
        assert sess.run(layer.moving_mean).tolist() == [0.0, 0.0]
        on = sess.run(step, {x: xv, training: True})  # momentum 0: the moving statistics become the batch's
        mean, var = sess.run([layer.moving_mean, layer.moving_variance])
    np.testing.assert_allclose(off, xv)
    np.testing.assert_allclose(on, [[-1.0, -1.0], [1.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(mean, [2.0, 2.0])
    np.testing.assert_allclose(var, [1.0, 4.0])
