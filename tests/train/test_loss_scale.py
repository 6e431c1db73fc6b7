import numpy as np
import pytest

import daskflow as df
from daskflow.train import experimental as te


def _dynamic_recurrence(finite_steps, scale, period, mult):
    """The loss scale and good-step count after each step, as TF1's DynamicLossScale defines them."""
    good, out = 0, []
    for finite in finite_steps:
        if not finite:
            scale, good = max(scale / mult, 1.0), 0
        elif good + 1 >= period:
            scale, good = (scale * mult if np.isfinite(np.float32(scale * mult)) else scale), 0
        else:
            good += 1
        out.append((scale, good))
    return out


def test_float16_steps_match_tf():
    # a float16 forward pass whose scaled gradients overflow at first: the scale drops until they fit, steps with
    # non-finite gradients are skipped (global_step too), and the scale grows after increment_period good steps.
    # Expected values observed from TF1 (tf.compat.v1, graph mode) on the same program.
    x = df.constant(np.array([[1.5, -2.0], [0.5, 3.0], [-1.0, 0.25]], np.float32))
    w = df.Variable(np.array([[0.5], [-0.25]], np.float32), name="w")
    step = df.train.get_or_create_global_step()
    y = df.matmul(df.cast(x, df.float16), df.cast(w, df.float16))
    loss = df.reduce_sum(df.square(y)) * 100.0
    ls = te.DynamicLossScale(initial_loss_scale=2.0 ** 12, increment_period=2, multiplier=4.0)
    opt = te.MixedPrecisionLossScaleOptimizer(df.train.GradientDescentOptimizer(0.001), ls)
    train = opt.minimize(loss, global_step=step)
    assert (train.name, train.type) == ("GradientDescent", "NoOp")
    assert [v.name for v in opt.variables()] == ["current_loss_scale:0", "good_steps:0"]
    assert [v.name for v in df.trainable_variables()] == ["w:0"]
    tf_seen = [(1024.0, 0, 0, [0.5, -0.25]), (256.0, 0, 0, [0.5, -0.25]), (64.0, 0, 0, [0.5, -0.25]),
               (64.0, 1, 1, [0.06249997019767761, 0.5780000686645508]),
               (16.0, 0, 1, [0.06249997019767761, 0.5780000686645508]),
               (16.0, 1, 2, [0.22112497687339783, -0.9099999666213989]),
               (64.0, 0, 3, [-0.2523750364780426, 1.5460001230239868])]
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for scale, good, gstep, w_val in tf_seen:
            s.run(train)
            got = s.run([ls(), ls._num_good_steps, step, w])
            assert got[:3] == [scale, good, gstep]
            np.testing.assert_allclose(got[3].ravel(), w_val, rtol=1e-6)


def test_dynamic_scale_follows_the_recurrence_and_skips_non_finite_steps():
    g = df.placeholder(df.float32, [2], name="g")
    w = df.Variable(np.array([1.0, -2.0], np.float32), name="w")
    ls = te.DynamicLossScale(initial_loss_scale=8.0, increment_period=3, multiplier=2.0)
    opt = te.MixedPrecisionLossScaleOptimizer(df.train.MomentumOptimizer(0.1, 0.5), ls)
    train = opt.minimize(df.reduce_sum(w * g))
    feeds = [[1, 2], [0.5, np.inf], [1, 1], [2, -1], [1, 3], [np.nan, 0], [1, 1], [1, 1], [1, 1], [1, 1]]
    want = _dynamic_recurrence([np.isfinite(f).all() for f in feeds], 8.0, 3, 2.0)
    w_np, m_np = np.array([1.0, -2.0], np.float32), np.zeros(2, np.float32)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for f, (scale, good) in zip(feeds, want):
            s.run(train, {g: f})
            if np.isfinite(f).all():  # gradient (scaled by a power of two, then unscaled: exact) of w . g is g
                m_np = np.float32(0.5) * m_np + np.asarray(f, np.float32)
                w_np = w_np - np.float32(0.1) * m_np
            assert s.run([ls(), ls._num_good_steps]) == [scale, good]
            np.testing.assert_allclose(s.run(w), w_np, rtol=1e-6)


def test_fixed_scale_scales_the_loss_and_unscales_the_gradients():
    w = df.Variable(np.array([3.0, -1.0], np.float32), name="w")
    opt = te.MixedPrecisionLossScaleOptimizer(df.train.GradientDescentOptimizer(0.25), 128)
    loss = df.reduce_sum(w * w)
    (grad, var), = opt.compute_gradients(loss)
    train = opt.apply_gradients([(grad, var)])
    assert repr(opt._loss_scale) == "FixedLossScale(128.0)" and opt.variables() == []
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        np.testing.assert_allclose(s.run(grad), [6.0, -2.0])
        s.run(train)
        np.testing.assert_allclose(s.run(w), [1.5, -0.5])
    assert te.DynamicLossScale.from_config({"initial_loss_scale": 4, "increment_period": 5,
                                            "multiplier": 3}).get_config() == {
        "initial_loss_scale": 4.0, "increment_period": 5, "multiplier": 3.0}


@pytest.mark.parametrize("make, err, msg", [
    (lambda: te.FixedLossScale(0.5), ValueError, "loss_scale_value must be at least 1."),
    (lambda: te.FixedLossScale("8"), ValueError, "loss_scale_value must be a Python int or float."),
    (lambda: te.MixedPrecisionLossScaleOptimizer(object(), 8), ValueError, '"opt" must be an instance of Optimizer'),
    (lambda: te.MixedPrecisionLossScaleOptimizer(df.train.AdamOptimizer(), None), ValueError,
     "loss_scale cannot be None"),
    (lambda: te.MixedPrecisionLossScaleOptimizer(df.train.AdamOptimizer(), "big"), ValueError,
     "Could not interpret loss scale identifier: big"),
    (lambda: te.LossScale(), TypeError, "abstract"),
])
def test_errors(make, err, msg):
    with pytest.raises(err, match=msg):
        make()
