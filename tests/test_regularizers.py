"""``df.regularizers`` (TF1's ``tf.contrib.layers`` regularizers): penalties against numpy formulas, op names, the
validation of scales (errors as TF 1.15's contrib), the sums, ``apply_regularization`` and regularizers given to
``get_variable`` feeding ``df.losses.get_regularization_loss``."""
import re

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import check_grads

reg = df.regularizers
W = np.array([[1.0, -2.0, 0.5], [-0.25, 3.0, 0.0]], np.float32)


def _run(*tensors):
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        return sess.run(list(tensors))


@pytest.mark.parametrize("make, reference, name", [
    (lambda: reg.l1_regularizer(0.3), lambda w: 0.3 * np.abs(w).sum(), "l1_regularizer:0"),
    (lambda: reg.l2_regularizer(0.3), lambda w: 0.3 * (w ** 2).sum() / 2, "l2_regularizer:0"),
    (lambda: reg.l1_l2_regularizer(0.2, 0.5), lambda w: 0.2 * np.abs(w).sum() + 0.5 * (w ** 2).sum() / 2,
     "l1_l2_regularizer:0"),
    (lambda: reg.l1_l2_regularizer(0.0, 0.5), lambda w: 0.5 * (w ** 2).sum() / 2, "l1_l2_regularizer:0"),
    (lambda: reg.l1_l2_regularizer(0.2, 0.0), lambda w: 0.2 * np.abs(w).sum(), "l1_l2_regularizer:0"),
    (lambda: reg.l2_regularizer(0.3, scope="decay"), lambda w: 0.3 * (w ** 2).sum() / 2, "decay:0"),
    (lambda: reg.sum_regularizer([reg.l1_regularizer(0.1), None, reg.l2_regularizer(0.0), reg.l2_regularizer(2.0)]),
     lambda w: 0.1 * np.abs(w).sum() + (w ** 2).sum(), "sum_regularizer:0"),
])
def test_penalties(make, reference, name):
    penalty = make()(df.constant(W))
    assert penalty.name == name and penalty.shape == () and penalty.dtype == np.float32
    np.testing.assert_allclose(_run(penalty)[0], reference(W), rtol=1e-6)


def test_scale_is_a_tensor_of_the_weights_dtype():
    w = df.constant(W.astype(np.float64))
    scale = df.placeholder(df.float64, [])
    penalty = reg.l2_regularizer(scale)(w)
    assert penalty.dtype == np.float64
    assert reg.l1_regularizer(0.5)(w).op.inputs[0].name == "l1_regularizer/scale:0"
    with df.Session() as sess:
        np.testing.assert_allclose(sess.run(penalty, {scale: 0.25}), 0.25 * (W.astype(np.float64) ** 2).sum() / 2)


def test_zero_scale_disables():
    assert reg.l1_regularizer(0.0)(df.constant(W)) is None
    assert reg.l2_regularizer(0.0)(df.constant(W)) is None
    assert reg.l1_l2_regularizer(0.0, 0.0)(df.constant(W)) is None
    assert reg.sum_regularizer([reg.l1_regularizer(0.0)])(df.constant(W)) is None
    assert reg.sum_regularizer([None, None]) is None


@pytest.mark.parametrize("make, message", [
    (lambda: reg.l1_regularizer(-0.5), "Setting a scale less than 0 on a regularizer: -0.5"),
    (lambda: reg.l2_regularizer(-0.5), "Setting a scale less than 0 on a regularizer: -0.5."),
    (lambda: reg.l1_regularizer(1), "scale cannot be an integer: 1"),
    (lambda: reg.l2_regularizer(True), "scale cannot be an integer: True"),
    (lambda: reg.l1_l2_regularizer(2, 1.0), "scale_l1 cannot be an integer: 2"),
    (lambda: reg.l1_l2_regularizer(1.0, 0), "scale_l2 cannot be an integer: 0"),
    (lambda: reg.l1_l2_regularizer(-1.0, 1.0), "Setting a scale less than 0 on a regularizer: -1"),
])
def test_invalid_scales(make, message):
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        make()


def test_gradient_of_l1_l2():
    check_grads(lambda w: reg.l1_l2_regularizer(0.2, 0.5)(w), [W.astype(np.float64)])


def test_get_variable_regularizer_feeds_the_regularization_loss():
    w = df.get_variable("w", initializer=W, regularizer=reg.l2_regularizer(0.1))
    with df.variable_scope("dense", regularizer=reg.l1_regularizer(0.01)):
        k = df.get_variable("kernel", initializer=W[:, :2])
        df.get_variable("bias", [2], regularizer=reg.l1_regularizer(0.0))  # disabled: nothing collected
    losses = df.losses.get_regularization_losses()
    assert [t.name for t in losses] == ["w/Regularizer/l2_regularizer:0", "dense/kernel/Regularizer/l1_regularizer:0"]
    total = df.losses.get_regularization_loss()
    got = _run(total, df.losses.get_regularization_loss(scope="dense"), df.gradients(total, [w, k]))
    np.testing.assert_allclose(got[0], 0.1 * (W ** 2).sum() / 2 + 0.01 * np.abs(W[:, :2]).sum(), rtol=1e-6)
    np.testing.assert_allclose(got[1], 0.01 * np.abs(W[:, :2]).sum(), rtol=1e-6)
    np.testing.assert_allclose(got[2][0], 0.1 * W, rtol=1e-6)
    np.testing.assert_allclose(got[2][1], 0.01 * np.sign(W[:, :2]), rtol=1e-6)


def test_apply_regularization():
    a, b = df.Variable(W, name="a"), df.Variable(W[0], name="b")
    penalty = reg.apply_regularization(reg.l2_regularizer(0.5), [a, b])
    assert penalty.name == "get_regularization_penalty:0"
    assert df.losses.get_regularization_losses() == [penalty]
    np.testing.assert_allclose(_run(penalty)[0], 0.5 * ((W ** 2).sum() + (W[0] ** 2).sum()) / 2, rtol=1e-6)
    df.add_to_collection("weights", a)
    single = reg.apply_regularization(reg.l1_regularizer(1.0))  # the ``weights`` collection
    assert single.name == "get_regularization_penalty_1:0"
    np.testing.assert_allclose(_run(single)[0], np.abs(W).sum(), rtol=1e-6)
    nothing = reg.apply_regularization(reg.l1_regularizer(0.0), [a])
    assert _run(nothing)[0] == 0.0


def test_apply_regularization_errors():
    with pytest.raises(ValueError, match="No weights to regularize."):
        reg.apply_regularization(reg.l2_regularizer(0.1))
    with pytest.raises(ValueError, match=re.escape("regularizer must return a scalar Tensor instead of a Tensor "
                                                   "with rank 2.")):
        reg.apply_regularization(lambda w: w * 2.0, [df.constant(W)])
