"""``df.losses`` (TF1's ``tf.losses``): every loss function's values against numpy formulas under every reduction and
every form of weights TF1 allows (scalar, per example, full, all zero); TensorFlow's values, gradients and tensor
names for the programs of ``tests/fixtures/tf1/make_loss_fixtures.py``; gradients by finite differences; TF's
errors for mismatched shapes, weights that do not broadcast and unknown reductions; and the loss collections."""
import json
import pathlib
import re

import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.testing import assert_op, check_grads, load_module, raise_if_computes

L = df.losses
R = L.Reduction
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "tf1"
B, C = 4, 3


def _programs():
    return load_module(FIXTURES / "make_loss_fixtures.py")


PROGRAMS = _programs()
MANIFEST = json.loads((FIXTURES / "losses" / "manifest.json").read_text())


# -- numpy references

def _log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _sigmoid_xent(z, x):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def _huber(y, p, delta):
    e = np.abs(p - y)
    return np.where(e <= delta, 0.5 * e ** 2, delta * (e - 0.5 * delta))


def _reduce(losses, weights, reduction):
    """TF1's weighting and reductions, written out: divisions by 0 give 0."""
    weighted = losses * weights
    full_weights = np.broadcast_to(weights, losses.shape)
    divisor = {R.SUM: 1.0, R.MEAN: full_weights.sum(), R.SUM_OVER_BATCH_SIZE: losses.size,
               R.SUM_BY_NONZERO_WEIGHTS: np.count_nonzero(full_weights)}
    if reduction == R.NONE:
        return weighted
    d = divisor[reduction]
    return weighted.sum() / d if d else 0.0


def _rng(seed):
    return np.random.default_rng(seed)


def _floats(shape, seed, low=-2.0, high=2.0):
    return _rng(seed).uniform(low, high, size=shape).astype(np.float32)


def _binary(shape, seed):
    return (_rng(seed).uniform(size=shape) > 0.5).astype(np.float32)


def _onehot(seed):
    return np.eye(C, dtype=np.float32)[_rng(seed).integers(0, C, size=B)]


# name -> (build(labels, predictions, **kw), labels, predictions, per-element numpy loss); the loss's shape sets the
# forms of the weights
LOSSES = {
    "absolute_difference": (L.absolute_difference, _floats((B, C), 1), _floats((B, C), 2),
                            lambda y, p: np.abs(p - y)),
    "mean_squared_error": (L.mean_squared_error, _floats((B, C), 3), _floats((B, C), 4), lambda y, p: (p - y) ** 2),
    "hinge_loss": (L.hinge_loss, _binary((B, C), 5), _floats((B, C), 6),
                   lambda y, x: np.maximum(0.0, 1 - (2 * y - 1) * x)),
    "huber_loss": (lambda y, p, **kw: L.huber_loss(y, p, delta=0.7, **kw), _floats((B, C), 7), _floats((B, C), 8),
                   lambda y, p: _huber(y, p, 0.7)),
    "log_loss": (L.log_loss, _binary((B, C), 9), _floats((B, C), 10, 0.05, 0.95),
                 lambda y, p: -y * np.log(p + 1e-7) - (1 - y) * np.log(1 - p + 1e-7)),
    "cosine_distance": (lambda y, p, **kw: L.cosine_distance(y, p, axis=1, **kw), _floats((B, C), 11),
                        _floats((B, C), 12), lambda y, p: 1 - (y * p).sum(1, keepdims=True)),
    "cosine_distance_dim": (lambda y, p, **kw: L.cosine_distance(y, p, dim=0, **kw), _floats((B, C), 13),
                            _floats((B, C), 14), lambda y, p: 1 - (y * p).sum(0, keepdims=True)),
    "sigmoid_cross_entropy": (L.sigmoid_cross_entropy, _binary((B, C), 15), _floats((B, C), 16), _sigmoid_xent),
    "sigmoid_cross_entropy_smoothed": (
        lambda y, x, **kw: L.sigmoid_cross_entropy(y, x, label_smoothing=0.2, **kw), _binary((B, C), 17),
        _floats((B, C), 18), lambda y, x: _sigmoid_xent(y * 0.8 + 0.1, x)),
    "softmax_cross_entropy": (L.softmax_cross_entropy, _onehot(19), _floats((B, C), 20),
                              lambda y, x: -(y * _log_softmax(x)).sum(-1)),
    "softmax_cross_entropy_smoothed": (
        lambda y, x, **kw: L.softmax_cross_entropy(y, x, label_smoothing=0.3, **kw), _onehot(21),
        _floats((B, C), 22), lambda y, x: -((y * 0.7 + 0.1) * _log_softmax(x)).sum(-1)),
    "sparse_softmax_cross_entropy": (
        L.sparse_softmax_cross_entropy, _rng(23).integers(0, C, size=B).astype(np.int32), _floats((B, C), 24),
        lambda y, x: -_log_softmax(x)[np.arange(B), y]),
    "compute_weighted_loss": (lambda _, losses, **kw: L.compute_weighted_loss(losses, **kw), None,
                              _floats((B, C, 2), 25, 0.0, 3.0), lambda _, losses: losses),
}


def _weight_forms(shape):
    """The weights TF1 allows for losses of ``shape``: a Python scalar, one per example, a full array (with zeros)
    and all zeros."""
    per_example = np.array([1.5, 0.0, 2.0, 0.5][:shape[0]] + [1.0] * (shape[0] - 4), np.float32)
    per_example = per_example.reshape((shape[0],) + (1,) * (len(shape) - 1))
    full = _floats(shape, 99, 0.0, 2.0)
    full[full < 0.6] = 0.0
    return {"scalar": 2.0, "per_example": per_example, "full": full, "zeros": np.zeros(shape, np.float32)}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_values_under_every_reduction_and_weights(name):
    """Each loss, weighted by each form of weights and reduced by each reduction, equals the numpy formula."""
    build, labels, predictions, reference = LOSSES[name]
    elementwise = reference(labels, predictions).astype(np.float64)
    y = df.placeholder(df.as_dtype(labels.dtype) if labels is not None else df.float32,
                       labels.shape if labels is not None else None, name="labels")
    p = df.placeholder(df.float32, predictions.shape, name="predictions")
    fetches, expected = [], []
    for weights in _weight_forms(elementwise.shape).values():
        for reduction in R.all():
            fetches.append(build(y, p, weights=weights, reduction=reduction))
            expected.append(_reduce(elementwise, weights, reduction))
    with df.Session() as sess:
        got = sess.run(fetches, {p: predictions, **({y: labels} if labels is not None else {})})
    for t, g, e in zip(fetches, got, expected):
        assert g.dtype == np.float32 and g.shape == np.shape(e), t.name
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=1e-5, err_msg=t.name)


def _pairwise_reference(labels, predictions, weights):
    """The sum over examples of weight * the mean over ordered pairs i != j of (d_i - d_j)**2, d = p - y."""
    d = (predictions - labels).reshape(len(labels), -1).astype(np.float64)
    w = np.broadcast_to(np.asarray(weights, np.float64).reshape(-1), (len(labels),))
    total = 0.0
    for row, wi in zip(d, w):
        pairs = [(a - b) ** 2 for i, a in enumerate(row) for j, b in enumerate(row) if i != j]
        total += wi * np.mean(pairs) if wi else 0.0
    return total


@pytest.mark.parametrize("weights", [1.0, np.array([[2.0], [0.0], [1.0], [0.5]], np.float32), 0.0])
@pytest.mark.parametrize("shape", [(B, C), (B, 2, 3)])
def test_mean_pairwise_squared_error(weights, shape):
    """The weighted sum over the batch of each example's mean squared difference of pairwise differences."""
    labels, predictions = _floats(shape, 30), _floats(shape, 31)
    if np.ndim(weights):
        weights = np.reshape(weights, (B,) + (1,) * (len(shape) - 1))
    loss = L.mean_pairwise_squared_error(labels, predictions, weights=weights)
    assert loss.name == "mean_pairwise_squared_error/value_2:0"
    with df.Session() as sess:
        np.testing.assert_allclose(sess.run(loss), _pairwise_reference(labels, predictions, weights), rtol=1e-5)


def test_unknown_ranks():
    """Sums per example and the weights check run on shapes known only when run."""
    y = df.placeholder(df.float32, None)
    p = df.placeholder(df.float32, None)
    w = df.placeholder(df.float32, None)
    pairwise = L.mean_pairwise_squared_error(y, p, weights=w)
    mse = L.mean_squared_error(y, p, weights=w, reduction=R.SUM_OVER_BATCH_SIZE)
    labels, predictions = _floats((B, 2, 3), 32), _floats((B, 2, 3), 33)
    weights = np.array([2.0, 0.0, 1.0, 0.5], np.float32).reshape(B, 1, 1)
    with df.Session() as sess:
        got = sess.run([pairwise, mse], {y: labels, p: predictions, w: weights})
    np.testing.assert_allclose(got, [_pairwise_reference(labels, predictions, weights),
                                     _reduce((predictions - labels) ** 2, weights, R.SUM_OVER_BATCH_SIZE)], rtol=1e-5)


def test_chunked_inputs():
    """Losses of inputs fed as dask arrays of uneven chunks equal the numpy formulas."""
    w = np.array([[1.0], [0.0], [2.0], [0.5], [1.0]], np.float32)
    y, p = _floats((5, 4), 40), _floats((5, 4), 41)
    assert_op(lambda y_, p_: L.mean_squared_error(y_, p_, weights=w), lambda y_, p_: _reduce((p_ - y_) ** 2, w,
                                                                                             R.SUM_BY_NONZERO_WEIGHTS),
              y, p)
    onehot = np.eye(4, dtype=np.float32)[[0, 3, 1, 2, 2]]
    assert_op(lambda y_, x_: L.softmax_cross_entropy(y_, x_, label_smoothing=0.1),
              lambda y_, x_: -((y_ * 0.9 + 0.025) * _log_softmax(x_)).sum(-1).mean(), onehot, p)


def test_sparse_labels_and_weights_of_shape_batch_by_one_are_squeezed():
    labels = np.array([[2], [0], [1], [1]], np.int32)
    logits = _floats((B, C), 42)
    weights = np.array([[1.0], [0.0], [2.0], [3.0]], np.float32)
    loss = L.sparse_softmax_cross_entropy(labels, logits, weights=weights, reduction=R.NONE)
    assert loss.shape == (B,)
    with df.Session() as sess:
        np.testing.assert_allclose(sess.run(loss), -_log_softmax(logits)[np.arange(B), labels[:, 0]] * weights[:, 0],
                                   rtol=1e-5)


def test_float64_losses_are_weighted_in_float32_and_cast_back():
    """As TF1: the weighting runs in float32, the result has the losses' dtype."""
    x = np.array([1.0 + 1e-12, 2.0])
    loss = L.compute_weighted_loss(x, reduction=R.NONE)
    assert loss.dtype == np.float64
    with df.Session() as sess:
        np.testing.assert_array_equal(sess.run(loss), x.astype(np.float32).astype(np.float64))


# -- against TensorFlow

@pytest.mark.parametrize("case", sorted(PROGRAMS.CASES))
def test_programs_match_tensorflow(case):
    """TF's tensor names, collections, values and gradients (of a weighted sum of the results) for the fixture
    script's programs."""
    expected = MANIFEST["cases"][case]
    data = np.load(FIXTURES / "losses" / f"{case}.npz", allow_pickle=False)
    feeds, results = PROGRAMS.CASES[case](df)
    got_names = {k: [t.name, t.dtype.name, t.shape.as_list()] for k, t in results.items()}
    assert {k: v[1:] for k, v in got_names.items()} == {k: v[1:] for k, v in expected["results"].items()}
    if case != "softmax_cross_entropy_float64":
        # an unreduced float64 loss is named by its cast back from float32, ``Cast_1`` here: TF's ``Cast_2``
        # counts the name scope its cast of the Python weights 1.0 opens (``Cast_1/x``), which daskflow's does not
        assert got_names == expected["results"]
        assert [t.name for t in df.get_collection("losses")] == expected["losses"]
    assert [t.name for t in df.get_collection("regularization_losses")] == expected["regularization_losses"]
    keys = sorted(results)
    objective = df.add_n([df.reduce_sum(results[k] * data[f"weight/{k}"]) for k in keys])
    grads = df.gradients(objective, [feeds[n][0] for n in expected["gradients"]])
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        got = sess.run([results[k] for k in keys] + grads, {ph: data[f"input/{n}"] for n, (ph, _) in feeds.items()})
    for k, value in zip(keys, got):
        np.testing.assert_allclose(value, data[f"result/{k}"], rtol=1e-5, atol=1e-6, err_msg=k)
    for n, value in zip(expected["gradients"], got[len(keys):]):
        np.testing.assert_allclose(value, data[f"grad/{n}"], rtol=1e-5, atol=1e-6, err_msg=f"gradient of {n}")


def test_names_of_each_reduction_as_tensorflow():
    """As TF 2.21's tf.compat.v1.losses prints them."""
    y = df.placeholder(df.float32, [B, C])
    names = [L.mean_squared_error(y, y, reduction=r).name for r in R.all()]
    assert names == ["mean_squared_error/Mul:0", "mean_squared_error_1/Sum:0", "mean_squared_error_2/value:0",
                     "mean_squared_error_3/value:0", "mean_squared_error_4/value:0", "mean_squared_error_5/value:0"]
    assert L.compute_weighted_loss(y).name == "weighted_loss/value:0"
    with df.name_scope("outer"):
        assert L.mean_squared_error(y, y, scope="s").name == "outer/s/value:0"


# -- gradients by finite differences (float32 inside, as TF1: a wide step and a loose tolerance)

def _grad_case(build, *arrays):
    check_grads(build, arrays, eps=1e-2, rtol=2e-3, atol=1e-4)


def test_gradients_of_regression_losses():
    y, p = _floats((B, C), 50).astype(np.float64), _floats((B, C), 51).astype(np.float64)
    w = np.array([[1.0], [0.0], [2.0], [0.5]])
    _grad_case(lambda y_, p_: L.mean_squared_error(y_, p_, weights=w), y, p)
    _grad_case(lambda y_, p_: L.absolute_difference(y_, p_, reduction=R.SUM), y, p)
    _grad_case(lambda y_, p_: L.huber_loss(y_, p_, delta=0.5, reduction=R.MEAN, weights=w + 1), y, p)
    _grad_case(lambda y_, p_: L.cosine_distance(y_, p_, axis=1, reduction=R.NONE), y, p)
    _grad_case(lambda y_, p_: L.mean_pairwise_squared_error(y_, p_, weights=w), y, p)


def test_gradients_of_classification_losses():
    logits = _floats((B, C), 52).astype(np.float64)
    onehot, binary = _onehot(53), _binary((B, C), 54)
    _grad_case(lambda x: L.softmax_cross_entropy(onehot, x, label_smoothing=0.1), logits)
    _grad_case(lambda x: L.sparse_softmax_cross_entropy(np.array([0, 2, 1, 1]), x,
                                                        weights=np.array([1.0, 2.0, 0.0, 1.0])), logits)
    _grad_case(lambda x: L.sigmoid_cross_entropy(binary, x, reduction=R.SUM_OVER_BATCH_SIZE), logits)
    _grad_case(lambda x: L.hinge_loss(binary, x, reduction=R.SUM), logits)
    _grad_case(lambda p: L.log_loss(binary, p), _floats((B, C), 55, 0.1, 0.9).astype(np.float64))


def test_gradient_reaches_the_weights():
    losses = _floats((B, C), 56, 0.0, 2.0).astype(np.float64)
    _grad_case(lambda x, w: L.compute_weighted_loss(x, w, reduction=R.MEAN), losses,
               _floats((B, 1), 57, 0.5, 2.0).astype(np.float64))


def test_no_gradient_into_softmax_labels():
    labels = df.constant(_onehot(58))
    loss = L.softmax_cross_entropy(labels, _floats((B, C), 59))
    assert df.gradients(loss, [labels]) == [None]


# -- errors

def test_incompatible_shapes():
    with pytest.raises(ValueError, match=re.escape("Shapes (4, 2) and (4, 3) are incompatible")):
        L.mean_squared_error(np.zeros((B, C), np.float32), np.zeros((B, 2), np.float32))
    with pytest.raises(ValueError, match=re.escape("Shapes (4, 3) and (4, 2) are incompatible")):
        L.softmax_cross_entropy(np.zeros((B, 2), np.float32), np.zeros((B, C), np.float32))


@pytest.mark.parametrize("weights, message", [
    (np.ones(B), "values.rank=2. weights.rank=1. values.shape=(4, 3). weights.shape=(4,). Received weights="),
    (np.ones((1, 1, 1)), "values.rank=2. weights.rank=3."),
    (np.ones((B, 2)), "Mismatch at dim 1. values.shape=[4 3], weights.shape=[4 2]. Received weights="),
])
def test_weights_that_do_not_broadcast(weights, message):
    with pytest.raises(ValueError, match=re.escape("weights can not be broadcast to values. " + message)):
        L.mean_squared_error(np.zeros((B, C), np.float32), np.zeros((B, C), np.float32), weights=weights)


def test_weights_checked_when_run_where_shapes_are_unknown():
    y = df.placeholder(df.float32, [None, None])
    w = df.placeholder(df.float32, None)
    loss = L.absolute_difference(y, y + 1.0, weights=w)
    with df.Session() as sess:
        for good in [2.0, np.ones((3, 1)), np.ones((1, 2)), np.full((3, 2), 0.5)]:
            assert sess.run(loss, {y: np.zeros((3, 2)), w: good}) == pytest.approx(np.mean(good))
        with pytest.raises(errors.InvalidArgumentError, match=re.escape(
                "[weights can not be broadcast to values.] [weights.shape=] [" + w.name + "] [1 1 1]")):
            sess.run(loss, {y: np.zeros((3, 2)), w: np.ones((1, 1, 1))})
        with pytest.raises(errors.InvalidArgumentError):
            sess.run(loss, {y: np.zeros((3, 2)), w: np.ones(3)})


def test_invalid_reduction():
    with pytest.raises(ValueError, match=re.escape("Invalid Reduction Key sum. Key should be one of ('none', "
                                                   "'weighted_sum', 'weighted_mean'")):
        L.mean_squared_error([1.0], [2.0], reduction="sum")
    assert R.all() == ("none", "weighted_sum", "weighted_mean", "weighted_sum_over_batch_size",
                       "weighted_sum_by_nonzero_weights", "weighted_sum_by_nonzero_weights")
    assert R.SUM_OVER_NONZERO_WEIGHTS == R.SUM_BY_NONZERO_WEIGHTS
    R.validate(R.MEAN)


def test_missing_arguments():
    with pytest.raises(ValueError, match="Argument `labels` must not be None."):
        L.hinge_loss(None, [1.0])
    with pytest.raises(ValueError, match="Argument `onehot_labels` must not be None."):
        L.softmax_cross_entropy(None, [[1.0]])
    with pytest.raises(ValueError, match="Argument `predictions` must not be None."):
        L.log_loss([1.0], None)
    with pytest.raises(ValueError, match="You must specify argument `axis`."):
        L.cosine_distance([[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'dim'"):
        L.cosine_distance([[1.0]], [[1.0]], axis=1, dim=1)


# -- collections

def test_losses_are_collected_and_filtered_by_scope():
    y = df.constant(np.ones((B, C), np.float32))
    first = L.mean_squared_error(y, y * 2.0)
    with df.name_scope("tower"):
        second = L.hinge_loss(y, y)
    L.absolute_difference(y, y, loss_collection=None)
    mine = L.huber_loss(y, y, loss_collection="mine")
    extra = df.constant(3.0)
    L.add_loss(extra)
    assert L.get_losses() == [first, second, extra]
    assert L.get_losses(scope="tower") == [second]
    assert L.get_losses(loss_collection="mine") == [mine]
    total = L.get_total_loss()
    assert total.name == "total_loss:0"
    with df.Session() as sess:
        assert sess.run(total) == pytest.approx(1.0 + 0.0 + 3.0)
        assert sess.run(L.get_total_loss(scope="tower", name="t")) == pytest.approx(0.0)


def test_total_loss_with_regularization_from_get_variable():
    value = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    w = df.get_variable("w", initializer=value, regularizer=df.regularizers.l2_regularizer(0.1))
    with df.variable_scope("layer"):
        b = df.get_variable("b", initializer=np.array([1.0, -1.0], np.float32),
                            regularizer=df.regularizers.l1_regularizer(0.5))
    data = L.mean_squared_error(np.zeros((2, 2), np.float32), df.matmul(np.eye(2, dtype=np.float32), w) + b)
    assert [t.name for t in L.get_regularization_losses()] == ["w/Regularizer/l2_regularizer:0",
                                                              "layer/b/Regularizer/l1_regularizer:0"]
    reg = L.get_regularization_loss()
    assert reg.name == "total_regularization_loss:0"
    total, unregularized = L.get_total_loss(), L.get_total_loss(add_regularization_losses=False, name="data")
    l2, l1 = 0.1 * (value ** 2).sum() / 2, 0.5 * 2.0
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        got = sess.run([reg, L.get_regularization_loss(scope="layer"), total, unregularized])
    mse = np.mean((value + [1.0, -1.0]) ** 2)
    np.testing.assert_allclose(got, [l2 + l1, l1, mse + l2 + l1, mse], rtol=1e-6)
    assert data in L.get_losses()


def test_empty_collections():
    zero = L.get_regularization_loss()
    with df.Session() as sess:
        assert sess.run(zero) == 0.0 and zero.dtype == np.float32
    with pytest.raises(ValueError, match="inputs must be a list of at least one Tensor with the same dtype and shape"):
        L.get_total_loss()


def test_building_computes_nothing():
    y = df.placeholder(df.float32, [B, C])
    with raise_if_computes():
        for name, (build, labels, _, _) in LOSSES.items():
            if labels is None or labels.dtype == np.float32:
                build(y, y)
        L.mean_pairwise_squared_error(y, y)
        L.get_total_loss()
