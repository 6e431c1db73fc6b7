import dask
import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import daskflow as df
from daskflow.testing import GradCase, assert_op, rand, run_graph

TESTED_OPS = {"Relu", "Relu6", "ReluGrad", "SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits",
              "Moments"}

SHAPES = [(), (5,), (7, 3), (1, 3), (4, 1, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_relu_and_relu6(shape, dtype):
    x = (rand(shape, "float64", -4, 10) if dtype != "int32" else rand(shape, "float64", -4, 10).round()).astype(dtype)
    assert_op(lambda t: [df.nn.relu(t), df.nn.relu6(t)],
              lambda x: [np.maximum(x, 0).astype(dtype), np.clip(x, 0, 6).astype(dtype)], x, rtol=0, atol=0)


def test_relu_names_and_errors():
    x = df.constant([-1.0, 7.0])
    assert df.nn.relu6(x, name="act").name == "act:0" and df.nn.relu6(x).op.type == "Relu6"
    np.testing.assert_array_equal(df.nn.relu6(x).compute(), [0.0, 6.0])
    for fn, kind in ((df.nn.relu, "Relu"), (df.nn.relu6, "Relu6")):
        with pytest.raises(TypeError, match=f"DataType bool not in list of allowed values: {kind} needs a real"):
            fn(df.placeholder("bool", [2]))


def _np_softmax(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_log_softmax(x, axis):
    x = x.astype(np.float64)
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


# scale 1: ordinary logits; 1e4: exp would overflow unshifted; offset 1e4: large logits close to each other
LOGITS = {"unit": (1.0, 0.0), "large": (1e4, 0.0), "offset": (1.0, 1e4)}


@pytest.mark.parametrize("shape", [(5,), (7, 3), (1, 3), (4, 1, 3)], ids=str)
@pytest.mark.parametrize("logits", sorted(LOGITS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_matches_float64_reference(shape, logits, dtype):
    scale, offset = LOGITS[logits]
    x = (rand(shape, "float64", seed=len(shape)) * scale + offset).astype(dtype)
    axes = [None] + list(range(-len(shape), len(shape)))

    def build(t):
        return [f(t, axis=a) for f in (df.nn.softmax, df.nn.log_softmax) for a in axes]

    def reference(x):
        return [f(x, -1 if a is None else a).astype(dtype) for f in (_np_softmax, _np_log_softmax) for a in axes]

    got = assert_op(build, reference, x, rtol=1e-5, atol=1e-6)
    assert all(np.isfinite(g).all() for g in got)


def test_softmax_axis_split_into_one_element_chunks():
    x = (rand((3, 11), "float64", seed=4) * 1e4).astype(np.float32)
    with dask.config.set(split_every=2):
        p, lp = run_graph(lambda t: [df.nn.softmax(t), df.nn.log_softmax(t, 1)], x, chunks=[1])
    np.testing.assert_allclose(p, _np_softmax(x, -1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(lp, _np_log_softmax(x, -1), rtol=1e-5)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-6)


@settings(deadline=None, max_examples=20)
@given(x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                    elements=st.floats(-1e4, 1e4, width=32)),
       data=st.data(), chunk=st.integers(1, 3))
def test_softmax_property(x, data, chunk):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    p, lp = run_graph(lambda t: [df.nn.softmax(t, axis), df.nn.log_softmax(t, axis)], x, chunks=[chunk])
    np.testing.assert_allclose(p, _np_softmax(x, axis), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(lp, _np_log_softmax(x, axis), rtol=1e-5, atol=1e-5)


def test_softmax_arguments_and_errors():
    x = df.constant([[1.0, 2.0], [3.0, 5.0]])
    p = df.nn.softmax(x, dim=0, name="probs")
    assert p.name == "probs:0" and p.shape == (2, 2) and p.dtype == df.float32
    np.testing.assert_allclose(p.compute(), _np_softmax(np.array([[1, 2], [3, 5]]), 0), rtol=1e-6)
    assert df.nn.log_softmax(x).name == "LogSoftmax:0"
    with pytest.raises(ValueError, match="both 'axis' and 'dim'"):
        df.nn.softmax(x, axis=0, dim=0)
    with pytest.raises(TypeError, match="softmax needs a floating point input"):
        df.nn.softmax(df.constant([1, 2]))
    with pytest.raises(TypeError, match="log_softmax needs a floating point input"):
        df.nn.log_softmax(df.constant([1, 2]))
    with pytest.raises(df.errors.InvalidArgumentError, match="Invalid reduction dimension 2"):
        df.nn.softmax(x, axis=2)


def test_nn_namespace():
    x = df.constant([-1.0, 0.5])
    np.testing.assert_allclose(df.nn.sigmoid(x).compute(), 1 / (1 + np.exp([1.0, -0.5])), rtol=1e-6)
    np.testing.assert_allclose(df.nn.tanh(x).compute(), np.tanh([-1.0, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(df.nn.softplus(x).compute(), np.log1p(np.exp([-1.0, 0.5])), rtol=1e-6)


# -- gradients and losses

def _away_from_kinks(*shape):
    """Values at least 0.1 away from relu's and relu6's kinks (0 and 6)."""
    v = np.random.default_rng(3).uniform(0.1, 0.9, size=shape) * np.random.default_rng(4).choice([-1, 1], shape)
    return v * 8.0 + np.sign(v) * 0.1


def _relu_grad(dy, y):
    from daskflow.ops.registry import apply1
    return apply1("ReluGrad", [dy, y])


def test_relu_gradient_is_one_relu_grad_op_passing_dy_where_the_output_is_positive():
    with df.Graph().as_default():
        x = df.placeholder(df.float32, (None, 4))
        y = df.nn.relu(x)
        dy = df.placeholder(df.float32, (None, 4))
        g = df.gradients(y, [x], grad_ys=dy)[0]
        assert g.op.type == "ReluGrad"
        xv = np.array([[-1.0, 0.0, 2.0, 3.0], [4.0, -5.0, 0.5, -0.0]], np.float32)
        dyv = np.arange(8, dtype=np.float32).reshape(2, 4) + 1
        for chunks in [None, (1, 2)]:
            feeds = {x: xv if chunks is None else da.from_array(xv, chunks=chunks), dy: dyv}
            out = df.Session().run(g, feeds)
            assert out.dtype == np.float32
            np.testing.assert_array_equal(out, np.where(xv > 0, dyv, 0))
        with pytest.raises(df.errors.InvalidArgumentError, match="Shapes of all inputs must match"):
            _relu_grad(df.zeros((2, 3)), df.zeros((3, 2)))
        with pytest.raises(df.errors.InvalidArgumentError, match="float64"):
            _relu_grad(df.zeros((2, 3)), df.zeros((2, 3), dtype=df.float64))


GRAD_CASES = [
    GradCase({"Relu", "ReluGrad"}, df.nn.relu, [(4, 5)], inputs=lambda: [_away_from_kinks(4, 5)], order=2),
    GradCase("ReluGrad", lambda dy, y: _relu_grad(dy, y), [(4, 5), (4, 5)],
             inputs=lambda: [_away_from_kinks(4, 5)[::-1], _away_from_kinks(4, 5)], order=2),
    GradCase("Relu6", df.nn.relu6, [(4, 5)], inputs=lambda: [np.where(np.abs(_away_from_kinks(4, 5) - 6) < 0.1, 3.0,
                                                                        _away_from_kinks(4, 5))]),
    GradCase((), lambda x: df.nn.softmax(x, axis=0), [(5, 3)]),
    GradCase((), lambda x: df.nn.log_softmax(x), [(4, 6)], order=2),
    GradCase("SparseSoftmaxCrossEntropyWithLogits", lambda x: df.nn.sparse_softmax_cross_entropy_with_logits(
        labels=df.constant(np.array([0, 3, 1, 2])), logits=x), [(4, 5)], order=2),
    GradCase("SoftmaxCrossEntropyWithLogits",
             lambda lab, x: df.nn.softmax_cross_entropy_with_logits_v2(df.nn.softmax(lab), x), [(3, 4), (3, 4)],
             order=2),
    # both outputs, so the backprop output's own rule is checked at first order; labels not summing to 1
    GradCase("SparseSoftmaxCrossEntropyWithLogits", lambda x: list(_xent_outputs(
        df.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([4, 0, 0]), logits=x))), [(3, 5)], order=2),
    GradCase("SoftmaxCrossEntropyWithLogits", lambda lab, x: list(_xent_outputs(
        df.nn.softmax_cross_entropy_with_logits_v2(lab, x))), [(3, 4), (3, 4)], domain=(0.1, 2.0), order=2),
    GradCase("SoftmaxCrossEntropyWithLogits",
             lambda lab, x: df.nn.softmax_cross_entropy_with_logits_v2(lab * lab, x, axis=0), [(4, 3), (4, 3)]),
    # other ranks: reshaped to rows of classes and back
    GradCase("SparseSoftmaxCrossEntropyWithLogits", lambda x: df.nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.array([[0, 3, 1], [2, 2, 0]]), logits=x), [(2, 3, 4)], order=2),
    GradCase("SparseSoftmaxCrossEntropyWithLogits", lambda x: df.nn.sparse_softmax_cross_entropy_with_logits(
        labels=2, logits=x), [(4,)], order=2),
    GradCase("SoftmaxCrossEntropyWithLogits",
             lambda lab, x: df.nn.softmax_cross_entropy_with_logits_v2(lab * lab, x, axis=1), [(2, 3, 4), (2, 3, 4)],
             order=2),
]


def _xent_outputs(loss):
    """The fused op's two outputs (loss, backprop) from the loss the public function returns."""
    assert loss.op.type in ("SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits")
    return loss.op.outputs


def _log_softmax_ref(z):
    z = z.astype("f8")
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_cross_entropies_are_stable_and_exact(scale):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((6, 5)) * scale).astype("f4")
    labels = rng.integers(0, 5, 6)
    soft = rng.dirichlet(np.ones(5), 6).astype("f4")
    ref_sparse = -_log_softmax_ref(logits)[np.arange(6), labels]
    ref_dense = -(soft * _log_softmax_ref(logits)).sum(-1)
    sparse = df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    dense = df.nn.softmax_cross_entropy_with_logits(labels=soft, logits=logits)
    got_sparse, got_dense = df.Session().run([sparse, dense])
    assert np.all(np.isfinite(got_sparse)) and np.all(np.isfinite(got_dense))
    np.testing.assert_allclose(got_sparse, ref_sparse, rtol=1e-5, atol=1e-3 * scale / 1e4 + 1e-5)
    np.testing.assert_allclose(got_dense, ref_dense, rtol=1e-5, atol=1e-3 * scale / 1e4 + 1e-5)


def _xent_ref(x, labels):
    """float64 loss and backprop of TF's SoftmaxCrossEntropyWithLogits (labels: one row per example)."""
    logp = _log_softmax_ref(x)
    y = labels.astype("f8")
    return -(y * logp).sum(-1), np.exp(logp) * y.sum(-1, keepdims=True) - y


# logits' chunks: one block; rows in uneven blocks; and the class axis in several blocks (dask's reductions)
XENT_CHUNKS = [((7,), (5,)), ((3, 4), (5,)), ((1, 2, 3, 1), (5,)), ((3, 4), (2, 3)), ((7,), (1, 1, 1, 1, 1))]


@pytest.mark.parametrize("chunks", XENT_CHUNKS, ids=str)
@pytest.mark.parametrize("logits", sorted(LOGITS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_cross_entropies_match_float64_reference(chunks, logits, dtype):
    scale, offset = LOGITS[logits]
    rng = np.random.default_rng(21)
    x = (rng.standard_normal((7, 5)) * scale + offset).astype(dtype)
    labels = rng.integers(0, 5, 7)
    soft = (rng.uniform(0, 1, (7, 5)) * 1.5).astype(dtype)  # rows need not sum to 1

    def build(t, lab, y):
        sparse = df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=t)
        dense = df.nn.softmax_cross_entropy_with_logits_v2(y, t)
        assert sparse.op.type == "SparseSoftmaxCrossEntropyWithLogits"
        assert dense.op.type == "SoftmaxCrossEntropyWithLogits"
        return [*sparse.op.outputs, *dense.op.outputs, df.gradients(df.reduce_sum(sparse * 3.0), t)[0]]

    got = run_graph(build, x, labels, soft, chunks=[chunks, (2, 5), chunks])
    ref_sparse = _xent_ref(x, np.eye(5)[labels])
    ref_dense = _xent_ref(x, soft)
    tol = dict(rtol=1e-5 if dtype == "float32" else 1e-12, atol=(1e-3 if dtype == "float32" else 1e-8) * scale)
    for g, r in zip(got, [*ref_sparse, *ref_dense, 3.0 * ref_sparse[1]]):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, r, **tol)


@pytest.mark.parametrize("shape", [(200, 10), (200, 1), (40, 10), (200, 70)], ids=str)
@pytest.mark.parametrize("logits", sorted(LOGITS))
def test_fused_cross_entropies_over_few_and_many_classes(shape, logits):
    # few classes and many rows take the kernels' class-major layout; the results are the same either way
    scale, offset = LOGITS[logits]
    rng = np.random.default_rng(23)
    x = (rng.standard_normal(shape) * scale + offset).astype("f4")
    labels = rng.integers(0, shape[1], shape[0])
    soft = rng.uniform(0, 1, shape).astype("f4")
    got = run_graph(lambda t, lab, y: [
        *df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=t).op.outputs,
        *df.nn.softmax_cross_entropy_with_logits_v2(y, t).op.outputs], x, labels, soft)
    for g, r in zip(got, [*_xent_ref(x.astype("f8"), np.eye(shape[1])[labels]), *_xent_ref(x.astype("f8"), soft)]):
        assert g.flags.c_contiguous and g.dtype == np.float32
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-3 * scale)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64"])
def test_sparse_cross_entropy_takes_uint8_int32_and_int64_labels(dtype):
    x = rand((6, 4), seed=22)
    labels = np.array([3, 0, 1, 2, 2, 0], dtype)
    for chunks in [None, [(2, 4)], [(3, 2)]]:
        loss, grad = run_graph(lambda t: [df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t),
                                          df.gradients(df.reduce_sum(
                                              df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t)),
                                              t)[0]], x, chunks=chunks)
        ref_loss, ref_backprop = _xent_ref(x, np.eye(4)[labels])
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
        np.testing.assert_allclose(grad, ref_backprop, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bad", [5, -1])
@pytest.mark.parametrize("chunks", [(6, 5), (2, 5), (2, 2)], ids=str)
def test_sparse_cross_entropy_rejects_labels_out_of_range_at_run_time(bad, chunks):
    with df.Graph().as_default():
        x = df.placeholder(df.float32, (None, 5))
        lab = df.placeholder(df.int64, (None,))
        loss = df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x, name="xent")
        feeds = {x: da.from_array(np.zeros((6, 5), "f4"), chunks=chunks)}
        with df.Session() as s:
            np.testing.assert_allclose(s.run(loss, {**feeds, lab: np.arange(6) % 5}), np.log(5), rtol=1e-6)
            msg = (rf"Received a label value of {bad} which is outside the valid range of \[0, 5\)\.  Label values: "
                   rf".*{bad}.*op 'xent' \(type SparseSoftmaxCrossEntropyWithLogits\)")
            with pytest.raises(df.errors.InvalidArgumentError, match=msg):
                s.run(loss, {**feeds, lab: np.array([0, 1, 2, 3, 4, bad])})


def test_fused_cross_entropy_ops_check_shapes_when_built():
    from daskflow.ops.registry import apply
    with df.Graph().as_default():
        x = df.placeholder(df.float32, (4, 3))
        with pytest.raises(df.errors.InvalidArgumentError, match="logits must be 2-D, but got shape"):
            apply("SparseSoftmaxCrossEntropyWithLogits", [df.zeros((4, 3, 2)), df.constant(np.zeros(4, "i4"))])
        with pytest.raises(df.errors.InvalidArgumentError, match="labels must be 1-D"):
            apply("SparseSoftmaxCrossEntropyWithLogits", [x, df.constant(np.zeros((4, 3), "i4"))])
        with pytest.raises(df.errors.InvalidArgumentError, match="same first dimension.*type SparseSoftmax"):
            apply("SparseSoftmaxCrossEntropyWithLogits", [x, df.constant(np.zeros(5, "i4"))])
        with pytest.raises(df.errors.InvalidArgumentError, match="must be integers"):
            apply("SparseSoftmaxCrossEntropyWithLogits", [x, df.zeros((4,))])
        with pytest.raises(df.errors.InvalidArgumentError, match="same shape.*type SoftmaxCrossEntropyWithLogits"):
            apply("SoftmaxCrossEntropyWithLogits", [x, df.zeros((4, 2))])
        with pytest.raises(df.errors.InvalidArgumentError, match="float64"):
            apply("SoftmaxCrossEntropyWithLogits", [x, df.zeros((4, 3), df.float64)])
        loss, backprop = apply("SoftmaxCrossEntropyWithLogits", [df.placeholder(df.float32, (None, 3)),
                                                                  df.placeholder(df.float32, (4, None))])
        assert loss.shape.as_list() == [4] and backprop.shape.as_list() == [4, 3]
        # the public functions keep TF1's errors, and other ranks are reshaped to rows and back
        with pytest.raises(ValueError, match="labels of shape .* must have the shape of logits"):
            df.nn.sparse_softmax_cross_entropy_with_logits(labels=np.zeros(5, "i4"), logits=x)
        loss3 = df.nn.sparse_softmax_cross_entropy_with_logits(labels=np.zeros((2, 4), "i4"),
                                                               logits=df.zeros((2, 4, 3)))
        assert loss3.op.type == "Reshape" and loss3.op.inputs[0].op.type == "SparseSoftmaxCrossEntropyWithLogits"
        # a run-time mismatch of unknown dims
        ph, yph = df.placeholder(df.float32, (None, 3)), df.placeholder(df.float32, (None, 3))
        dense = df.nn.softmax_cross_entropy_with_logits_v2(yph, ph)
        with pytest.raises(df.errors.InvalidArgumentError, match=r"logits and labels must be broadcastable: "
                                                                  r"Incompatible shapes: \[4, 3\] vs. \[2, 3\]"):
            df.Session().run(dense, {ph: np.zeros((4, 3), "f4"), yph: np.zeros((2, 3), "f4")})


def _sparse_ref(x, labels):
    return -np.take_along_axis(_log_softmax_ref(x), labels[..., None], -1)[..., 0]


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (3, 1, 2, 5), (0, 2, 3)], ids=str)
@pytest.mark.parametrize("static", [True, False])
def test_sparse_cross_entropy_of_any_rank_is_the_fused_op(shape, static):
    # as TF, logits of any rank are rows of classes for one fused op: labels are checked, gradients are its backprop
    x, labels = rand(shape, seed=3), np.random.default_rng(4).integers(0, shape[-1], shape[:-1])

    def build(t, lab):
        loss = df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=t)
        assert loss.op.inputs[0].op.type == "SparseSoftmaxCrossEntropyWithLogits"
        return [loss, df.gradients(df.reduce_sum(loss * 2.0), t)[0]]

    loss, grad = run_graph(build, x, labels, feed_static_shape=static)
    ref = _sparse_ref(x, labels)
    np.testing.assert_allclose(loss, ref, rtol=1e-12)
    p = np.exp(_log_softmax_ref(x))
    np.testing.assert_allclose(grad, 2 * (p - np.eye(shape[-1])[labels]), rtol=1e-12, atol=1e-15)
    if not static:  # dims known only at run time, class count and rank included
        for logits_shape, labels_shape in [((None,) * len(shape), (None,) * (len(shape) - 1)), (None, None)]:
            with df.Graph().as_default():
                t, lab = df.placeholder(df.float64, logits_shape), df.placeholder(df.int64, labels_shape)
                out = df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=t)
                with df.Session() as s:
                    np.testing.assert_allclose(s.run(out, {t: x, lab: labels}), ref, rtol=1e-12)


@pytest.mark.parametrize("logits_shape, labels_shape", [((2, 3, 3), (2, 3)), ((None, None, 3), (None, None)),
                                                        (None, None)], ids=str)
def test_sparse_cross_entropy_rejects_labels_out_of_range_at_every_rank(logits_shape, labels_shape):
    with df.Graph().as_default():
        x, lab = df.placeholder(df.float32, logits_shape), df.placeholder(df.int32, labels_shape)
        loss = df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
        msg = (r"Received a label value of {} which is outside the valid range of \[0, 3\)\.  Label values: "
               r"{} \[op 'SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits'")
        with df.Session() as s:
            for bad, shown in [(5, "0 5 1 0 0 0"), (-1, "0 -1 1 0 0 0")]:
                with pytest.raises(df.errors.InvalidArgumentError, match=msg.format(bad, shown)):
                    s.run(loss, {x: np.zeros((2, 3, 3), "f4"), lab: [[0, bad, 1], [0, 0, 0]]})
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Received a label value of 4 .* \[0, 3\)"):
        df.Session().run(df.nn.sparse_softmax_cross_entropy_with_logits(labels=4, logits=np.zeros(3, "f4")))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Must have at least one class, but got logits shape "
                                                             r"\[2, 0\]"):
        df.Session().run(df.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 0], logits=np.zeros((2, 0), "f4")))
    with pytest.raises(ValueError, match="logits cannot be a scalar"):
        df.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=1.0)


def test_cross_entropies_check_run_time_shapes_of_other_ranks():
    # rows are flattened: labels of the same size but another shape must not pass unseen
    x, lab = df.placeholder(df.float32, (None, None, 3)), df.placeholder(df.int32, (None, None))
    y = df.placeholder(df.float32, (None, None, 3))
    sparse = df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
    dense = df.nn.softmax_cross_entropy_with_logits_v2(y, x)
    assert sparse.shape.as_list() == [None, None] and dense.shape.as_list() == [None, None]
    feeds = {x: np.zeros((2, 3, 3), "f4"), lab: np.zeros((3, 2), "i4"), y: np.zeros((3, 2, 3), "f4")}
    with df.Session() as s:
        with pytest.raises(df.errors.InvalidArgumentError, match=r"labels must have the shape of logits without its "
                                                                  r"last dim.*\[3 2\].*\[2 3\]"):
            s.run(sparse, feeds)
        with pytest.raises(df.errors.InvalidArgumentError, match=r"logits and labels must be broadcastable.*"
                                                                  r"\[2, 3, 3\] vs. \[3, 2, 3\]"):
            s.run(dense, feeds)
        np.testing.assert_allclose(s.run(dense, {x: np.zeros((2, 3, 3), "f4"), y: np.ones((2, 3, 3), "f4")}),
                                   np.full((2, 3), 3 * np.log(3)), rtol=1e-6)


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
@pytest.mark.parametrize("static", [True, False])
def test_dense_cross_entropy_of_rank_3_is_the_fused_op(axis, static):
    x, y = rand((2, 3, 4), seed=5), rand((2, 3, 4), low=0.0, high=1.0, seed=6)
    logp = x - x.max(axis, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis, keepdims=True))

    def build(t, lab):
        loss = df.nn.softmax_cross_entropy_with_logits_v2(lab, t, axis=axis)
        assert loss.op.inputs[0].op.type == "SoftmaxCrossEntropyWithLogits"
        return [loss, df.nn.softmax_cross_entropy_with_logits(labels=lab, logits=t, dim=axis),
                *df.gradients(df.reduce_sum(loss), [t, lab])]

    loss, v1, gx, gy = run_graph(build, x, y, feed_static_shape=static)
    np.testing.assert_allclose(loss, -(y * logp).sum(axis), rtol=1e-12)
    np.testing.assert_allclose(v1, loss)
    np.testing.assert_allclose(gx, np.exp(logp) * y.sum(axis, keepdims=True) - y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gy, -logp, rtol=1e-12)


def test_fused_cross_entropy_gradient_reuses_the_backprop_output():
    with df.Graph().as_default():
        x = df.placeholder(df.float32, (None, 10))
        loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=np.arange(30) % 10, logits=x))
        g, = df.gradients(loss, [x])
        with df.Session() as s:
            for chunks in [(30, 10), (10, 10)]:
                types = [op.type for op, _ in s.plan([loss, g], {x: da.from_array(np.zeros((30, 10), "f4"),
                                                                                   chunks=chunks)}).footprints]
                assert types.count("SparseSoftmaxCrossEntropyWithLogits") == 1
                assert not {"Exp", "Log", "OneHot", "Max", "Softmax"} & set(types)  # no softmax rebuilt


def test_cross_entropy_hessian_vector_products_match_reference():
    rng = np.random.default_rng(23)
    x, v, soft = rng.standard_normal((5, 4)), rng.standard_normal((5, 4)), rng.uniform(0, 1, (5, 4))
    labels = np.array([1, 0, 3, 3, 2])
    p = _np_softmax(x, -1)
    hvp = p * v - p * (p * v).sum(-1, keepdims=True)  # (diag(p) - p p^T) v, per row

    def build(t):
        sparse = df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t)
        dense = df.nn.softmax_cross_entropy_with_logits(labels=soft, logits=t)
        return [df.gradients(df.reduce_sum(df.gradients(df.reduce_sum(loss), t)[0] * v), t)[0]
                for loss in (sparse, dense)]

    for chunks in [None, [(2, 4)], [(2, 3)]]:
        h_sparse, h_dense = run_graph(build, x, chunks=chunks)
        np.testing.assert_allclose(h_sparse, hvp, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h_dense, soft.sum(-1, keepdims=True) * hvp, rtol=1e-12, atol=1e-14)


def test_dense_cross_entropy_along_axis_0_and_gradient_into_labels():
    rng = np.random.default_rng(24)
    x, y = rng.standard_normal((4, 3)), rng.uniform(0, 1, (4, 3))

    def build(t, lab):
        loss = df.nn.softmax_cross_entropy_with_logits_v2(lab, t, axis=0)
        gt, gl = df.gradients(df.reduce_sum(loss * np.array([1.0, 2.0, 3.0])), [t, lab])
        return [loss, gt, gl]

    got = run_graph(build, x, y, chunks=[(2, 3), (4, 3)])
    ref_loss, ref_backprop = _xent_ref(x.T, y.T)
    w = np.array([1.0, 2.0, 3.0])[:, None]
    np.testing.assert_allclose(got[0], ref_loss, rtol=1e-12)
    np.testing.assert_allclose(got[1], (w * ref_backprop).T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[2], (-w * _log_softmax_ref(x.T)).T, rtol=1e-12)


def test_cross_entropy_labels_from_numpy_take_the_logits_dtype():
    logits = df.constant(np.zeros((2, 3), "f4"))
    loss = df.nn.softmax_cross_entropy_with_logits(labels=np.full((2, 3), 1 / 3), logits=logits)
    assert loss.dtype == df.float32 and loss.shape == (2,)
    np.testing.assert_allclose(loss.compute(), np.log(3), rtol=1e-6)


def test_v1_cross_entropy_sends_no_gradient_to_labels():
    labels = df.constant(np.full((2, 3), 1 / 3, "f4"))
    logits = df.constant(np.zeros((2, 3), "f4"))
    v1 = df.reduce_sum(df.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    v2 = df.reduce_sum(df.nn.softmax_cross_entropy_with_logits_v2(labels, logits))
    assert df.gradients(v1, [labels]) == [None]
    np.testing.assert_allclose(df.gradients(v2, [labels])[0].compute(), np.full((2, 3), np.log(3)), rtol=1e-6)


def _sigmoid(z):
    from scipy.special import expit
    return expit(z)


ACTIVATIONS = [
    (lambda x: df.nn.leaky_relu(x, alpha=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (df.nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    (df.nn.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))),
    (df.nn.softsign, lambda x: x / (np.abs(x) + 1)),
    (df.nn.softplus, lambda x: np.logaddexp(0, x)),
    (df.nn.sigmoid, _sigmoid),
]


@pytest.mark.parametrize("fn, ref", ACTIVATIONS)
def test_activations(fn, ref):
    x = rand((4, 5), seed=2) * 3
    assert_op(fn, ref, x, rtol=1e-7)
    big = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    got = run_graph(fn, big)
    assert np.all(np.isfinite(got)) or fn is df.nn.elu  # elu(-1e4) is -1, finite too
    np.testing.assert_allclose(got, ref(big), rtol=1e-7)


def test_sigmoid_cross_entropy_l2_and_bias_add():
    z = rand((3, 4), seed=3) * 5
    y = (rand((3, 4), seed=4) > 0).astype("f8")
    ref = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    assert_op(lambda a, b: df.nn.sigmoid_cross_entropy_with_logits(labels=b, logits=a), lambda a, b: ref, z, y)
    huge = run_graph(lambda a: df.nn.sigmoid_cross_entropy_with_logits(labels=df.ones((2,), df.float64), logits=a),
                     np.array([1e4, -1e4]))
    np.testing.assert_allclose(huge, [0.0, 1e4])
    assert_op(df.nn.l2_loss, lambda a: (a ** 2).sum() / 2, z)
    assert_op(lambda a: df.nn.l2_normalize(a, axis=1), lambda a: a / np.sqrt((a ** 2).sum(1, keepdims=True)), z)
    b = rand((4,), seed=5)
    assert_op(lambda a, c: df.nn.bias_add(a, c), lambda a, c: a + c, z, b)


def test_moments_batch_normalization_and_embedding_lookup():
    x = rand((6, 3), seed=6)
    mean, var = run_graph(lambda a: list(df.nn.moments(a, axes=[0])), x)
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(var, x.var(0), rtol=1e-12)
    off, sc = rand((3,), seed=7), rand((3,), seed=8)
    assert_op(lambda a: df.nn.batch_normalization(a, x.mean(0), x.var(0), off, sc, 1e-3),
              lambda a: (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-3) * sc + off, x)
    params = rand((5, 2), seed=9)
    ids = np.array([[4, 0], [1, 1]])
    got = run_graph(lambda p: df.nn.embedding_lookup(p, ids), params)
    np.testing.assert_array_equal(got, params[ids])


def test_dropout_scales_kept_values_and_is_identity_without_dropping():
    x = df.ones((2000,), df.float64)
    assert df.nn.dropout(x, keep_prob=1.0) is x and df.nn.dropout(x, rate=0.0) is x
    y = df.nn.dropout(x, rate=0.25, seed=3)
    with df.Session() as s:
        a, b = s.run(y), s.run(y)
    assert set(np.unique(a)) <= {0.0, 1 / 0.75}
    assert abs((a == 0).mean() - 0.25) < 0.05
    assert not np.array_equal(a, b)  # a new mask each run, as TF
    g, = df.gradients(df.reduce_sum(y * 2.0), [x])
    with df.Session() as s:
        yv, gv = s.run([y, g])
    np.testing.assert_allclose(gv, 2.0 * yv)  # the gradient goes through the same mask in the same run
    with pytest.raises(ValueError, match="exactly one of keep_prob and rate"):
        df.nn.dropout(x, keep_prob=0.5, rate=0.5)


GRAD_CASES += [
    GradCase((), lambda x: df.nn.elu(x), [(3, 4)], inputs=lambda: [rand((3, 4), seed=1) + 0.05]),
    GradCase((), lambda x: df.nn.selu(x) + df.nn.softsign(x) + df.nn.leaky_relu(x), [(3, 4)],
             inputs=lambda: [np.where(np.abs(rand((3, 4), seed=2)) < 0.05, 0.5, rand((3, 4), seed=2))]),
    GradCase((), lambda z, y: df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z), [(3, 4), (3, 4)]),
    GradCase((), lambda x: df.nn.l2_normalize(x, axis=1) + df.nn.l2_loss(x), [(3, 4)]),
    GradCase((), lambda x, m, v: df.nn.batch_normalization(x, m, v * v + 1.0, None, None, 1e-3), [(4, 3), (3,), (3,)]),
    GradCase("Moments", lambda x: list(df.nn.moments(x, axes=[0])), [(5, 3)], order=2),
    GradCase("Moments", lambda x: list(df.nn.moments(x, axes=[0, 2], keepdims=True)), [(4, 3, 5)], order=2),
    GradCase("Moments", lambda x: df.nn.moments(x, axes=[1])[1], [(3, 6)]),  # the variance alone
    GradCase("Moments", lambda x: df.nn.moments(x, axes=[1])[0] * 2.0, [(3, 6)]),  # the mean alone
    GradCase((), lambda p: df.nn.embedding_lookup(p, np.array([3, 0, 3])), [(4, 2)]),
    GradCase((), lambda v, b: df.nn.bias_add(v, b), [(2, 3, 4), (4,)]),
]


def test_dropout_tensor_keep_prob_noise_shape_and_errors():
    x = df.constant(np.arange(1.0, 201.0).reshape(100, 2))
    keep = df.placeholder(df.float64, ())
    y = df.nn.dropout(x, keep_prob=keep, seed=5)
    rows = df.nn.dropout(x, rate=0.5, noise_shape=[100, 1], seed=6)
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(y, {keep: 1.0}), np.arange(1.0, 201.0).reshape(100, 2))
        half, r = s.run([y, rows], {keep: 0.5})
    assert set(np.unique(half / np.arange(1.0, 201.0).reshape(100, 2))) <= {0.0, 2.0}
    assert np.all((r[:, 0] == 0) == (r[:, 1] == 0)) and 0 < (r[:, 0] == 0).sum() < 100  # whole rows dropped
    z = df.nn.dropout(x, rate=df.constant(0.25, df.float64), seed=7)
    assert set(np.unique(np.round(z.compute() / np.arange(1.0, 201.0).reshape(100, 2), 12))) <= {0.0, 1.333333333333}
    with pytest.raises(ValueError, match="keep_prob 0 is out of range"):
        df.nn.dropout(x, keep_prob=0)
    with pytest.raises(ValueError, match="rate 1.0 is out of range"):
        df.nn.dropout(x, rate=1.0)
    with pytest.raises(ValueError, match="floating point"):
        df.nn.dropout(df.constant([1, 2]), rate=0.5)
    ph = df.placeholder(df.float32, (None, 3))
    assert df.nn.dropout(ph, rate=0.5, noise_shape=[1, 3]).shape.as_list() == [None, 3]


def test_bias_add_formats_and_errors():
    v, b = rand((2, 3, 4, 5), seed=10), rand((3,), seed=11)
    assert_op(lambda a, c: df.nn.bias_add(a, c, data_format="NCHW"), lambda a, c: a + c[:, None, None], v, b)
    assert_op(lambda a, c: df.nn.bias_add(a, c, data_format="NCHW"), lambda a, c: a + c, v[:, :, 0, 0], b)
    assert df.nn.bias_add(df.constant(v), np.ones(5), name="b").name == "b:0"
    with pytest.raises(ValueError, match="bias of size 3 does not match the 5 channels"):
        df.nn.bias_add(v, b)
    with pytest.raises(ValueError, match="bias must be 1-D"):
        df.nn.bias_add(v, np.ones((1, 5)))
    with pytest.raises(ValueError, match="rank >= 2"):
        df.nn.bias_add(np.ones(5), np.ones(5))


def test_embedding_lookup_shards_and_max_norm():
    table = rand((7, 3), seed=12)
    ids = np.array([[6, 0, 3], [1, 1, 5]])
    mod = [table[i::3] for i in range(3)]  # id i in shard i % 3, at row i // 3
    div = [table[:3], table[3:5], table[5:]]
    got = run_graph(lambda *ps: [df.nn.embedding_lookup(list(ps[:3]), ids),
                                 df.nn.embedding_lookup(list(ps[3:]), ids, partition_strategy="div")], *mod, *div)
    np.testing.assert_array_equal(got[0], table[ids])
    np.testing.assert_array_equal(got[1], table[ids])
    norms = np.linalg.norm(table[ids], axis=-1, keepdims=True)
    got = run_graph(lambda p: df.nn.embedding_lookup(p, ids, max_norm=1.0), table)
    np.testing.assert_allclose(got, table[ids] / np.maximum(norms, 1.0), rtol=1e-12)
    with pytest.raises(ValueError, match="partition_strategy"):
        df.nn.embedding_lookup(table, ids, partition_strategy="hash")


@pytest.mark.parametrize("strategy", ["mod", "div"])
@pytest.mark.parametrize("static", [True, False])
def test_embedding_lookup_ids_outside_their_shard_raise(strategy, static):
    # as TF (each shard gathers its own rows): an id past its shard's end must not read the next shard
    table = rand((5, 2), seed=13)
    shards = [table[:3], table[3:]]  # 5 ids in 2 shards: 3 and 2 rows for either strategy
    good = np.array([4, 0, 3, 1, 2])
    got = run_graph(lambda a, b: df.nn.embedding_lookup([a, b], good, partition_strategy=strategy), *shards,
                    feed_static_shape=static)
    rows = np.array([0, 3, 1, 4, 2]) if strategy == "mod" else np.arange(5)  # id i is in shard i % 2 for "mod"
    np.testing.assert_array_equal(got, table[rows[good]])
    for bad in (5, 6, 7, -1, -2):
        with pytest.raises(df.errors.InvalidArgumentError, match=rf"ids must lie in the shards, of sizes "
                                                                 rf"\[(3, 2|\?, \?)\], as partition_strategy "
                                                                 rf"'{strategy}'.*\[0 {bad}\]"):
            run_graph(lambda a, b: df.nn.embedding_lookup([a, b], np.array([0, bad]), partition_strategy=strategy),
                      *shards, feed_static_shape=static)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"ids must lie in the shards, of sizes \[2, 3\]"):
        df.Session().run(df.nn.embedding_lookup([table[:2], table[2:]], np.arange(5), partition_strategy=strategy))


def test_sparse_cross_entropy_checks_labels():
    logits = df.zeros((4, 3))
    with pytest.raises(ValueError, match="labels must be int32 or int64"):
        df.nn.sparse_softmax_cross_entropy_with_logits(labels=df.zeros((4,)), logits=logits)
    with pytest.raises(ValueError, match="labels of shape .* must have the shape of logits"):
        df.nn.sparse_softmax_cross_entropy_with_logits(labels=np.zeros((4, 3), "i4"), logits=logits)
    with pytest.raises(ValueError, match="named arguments"):
        df.nn.sparse_softmax_cross_entropy_with_logits(np.zeros(4, "i4"), logits)


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_loss_gradients_are_finite_and_exact_for_large_logits(scale):
    rng = np.random.default_rng(13)
    z = rng.standard_normal((5, 4)) * scale
    labels = rng.integers(0, 4, 5)
    soft = rng.dirichlet(np.ones(4), 5)
    p = _np_softmax(z, -1)
    onehot = np.eye(4)[labels]

    def build(t):
        sparse = df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t)
        dense = df.nn.softmax_cross_entropy_with_logits_v2(soft, t, axis=1)
        sig = df.nn.sigmoid_cross_entropy_with_logits(labels=onehot, logits=t)
        return [df.gradients(df.reduce_sum(loss), t)[0] for loss in (sparse, dense, sig)] + [
            df.gradients(df.reduce_sum(df.nn.log_softmax(t) * soft), t)[0]]

    g_sparse, g_dense, g_sig, g_logsm = run_graph(build, z)
    for g in (g_sparse, g_dense, g_sig, g_logsm):
        assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g_sparse, p - onehot, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(g_dense, p - soft, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(g_sig, _sigmoid(z) - onehot, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(g_logsm, soft - p * soft.sum(-1, keepdims=True), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("axes", [[0], [1], [0, 1], [0, 2], [-1]])
@pytest.mark.parametrize("chunk_bytes", [None, 512])
def test_moments_in_one_pass_match_numpy_over_chunkings(axes, chunk_bytes):
    rng = np.random.default_rng(len(axes))
    x = rng.standard_normal((40, 6, 5)) * 3 + 1e4 if 2 in axes else rng.standard_normal((40, 6)) * 3 + 1e4
    x32 = x.astype("f4")
    with df.config.set(chunk_bytes=chunk_bytes or 128 * 2**20):
        got = run_graph(lambda a: list(df.nn.moments(a, axes=axes)), x32, chunks=(7,) + x.shape[1:])
    want_mean, want_var = x32.astype("f8").mean(tuple(axes)), x32.astype("f8").var(tuple(axes))
    assert got[0].dtype == got[1].dtype == np.float32
    np.testing.assert_allclose(got[0], want_mean, rtol=1e-7)
    np.testing.assert_allclose(got[1], want_var, rtol=1e-5)  # float64 accumulators: no loss to the 1e4 offset


def test_moments_read_the_data_once_and_keep_tf_names():
    x = df.placeholder(df.float32, [None, 3])
    mean, var = df.nn.moments(x, [0])
    kept = df.nn.moments(x, [0], keep_dims=True)
    assert (mean.name, var.name) == ("moments/Squeeze:0", "moments/Squeeze_1:0")
    assert [t.name for t in kept] == ["moments_1/mean:0", "moments_1/variance:0"]
    assert mean.op.inputs[0].op.inputs[0].op.type == "Moments"
    X = da.from_array(rand((64, 3), "f4", seed=3), chunks=8)
    with df.Session() as s:
        got = s.run([mean, var], {x: X})
        plan = list(s._plans.values())[-1]
    np.testing.assert_allclose(got[1], X.compute().astype("f8").var(0), rtol=1e-7)
    fed = {k for _, blocks in plan.feed_leaves for k, _ in blocks}
    readers = [k for k, task in plan.dsk.items() if set(task.dependencies) & fed]
    assert len(readers) == X.numblocks[0]  # one task per block of x, and nothing else reads it
    assert all(set(plan.dsk[k].dependencies) <= fed for k in readers)


def test_moments_of_unknown_sizes_empty_axes_and_integers_as_tf():
    x = rand((50, 4), seed=11)
    kept = da.from_array(x, chunks=(9, 4))
    kept = kept[kept[:, 0] > 0]  # blocks of sizes unknown until run
    ph = df.placeholder(df.float64, [None, 4])
    with df.Session() as s:
        got = s.run(list(df.nn.moments(ph, [0])), {ph: kept})
    kept = x[x[:, 0] > 0]
    np.testing.assert_allclose(got, [kept.mean(0), kept.var(0)], rtol=1e-12)
    empty = run_graph(lambda a: list(df.nn.moments(a, [0])), np.zeros((0, 3), "f4"))
    assert np.isnan(empty).all() and empty[0].shape == (3,)  # as TF: the mean of nothing is nan
    ints = run_graph(lambda a: list(df.nn.moments(a, [0])), np.array([[1, 2], [4, 7]], "i4"))
    np.testing.assert_array_equal(ints, [[2, 4], [2, 6]])  # TF's integer arithmetic, truncated
    halves = run_graph(lambda a: list(df.nn.moments(a, [0])), np.array([[1, 2], [4, 7]], "f2"))
    assert halves[0].dtype == np.float16
    np.testing.assert_array_equal(halves, [[2.5, 4.5], [2.25, 6.25]])


def test_normalisations_without_nans_and_moments_keepdims():
    zeros = np.zeros((2, 3))
    got = run_graph(lambda a: [df.nn.l2_normalize(a, 1), df.gradients(df.reduce_sum(df.nn.l2_normalize(a, 1)), a)[0]],
                    zeros)
    np.testing.assert_array_equal(got[0], zeros)
    np.testing.assert_allclose(got[1], np.full((2, 3), 1e6))  # rsqrt(epsilon)
    x = rand((4, 3, 5), seed=14)
    mean, var = run_graph(lambda a: list(df.nn.moments(a, axes=[0, 2], keepdims=True)), x)
    assert mean.shape == var.shape == (1, 3, 1)
    np.testing.assert_allclose(var, x.var((0, 2), keepdims=True), rtol=1e-12)
    big = x + 1e4  # the variance of large values keeps its precision
    np.testing.assert_allclose(run_graph(lambda a: df.nn.moments(a, [0])[1], big), big.var(0), rtol=1e-6)
    np.testing.assert_allclose(run_graph(lambda a: df.nn.leaky_relu(a, alpha=2.0), x), np.where(x > 0, x, 2 * x))


GRAD_CASES += [
    GradCase((), lambda x: df.nn.dropout(x, keep_prob=df.constant(1.0, df.float64), seed=1), [(3, 4)]),
    GradCase((), lambda a, b, c: df.nn.embedding_lookup([a, b, c], np.array([[6, 0], [4, 4]]), max_norm=1.5),
             [(3, 2), (2, 2), (2, 2)]),
    GradCase((), lambda x: df.nn.softmax_cross_entropy_with_logits(labels=np.full((3, 4), 0.25), logits=x, dim=0),
             [(3, 4)]),
    GradCase((), lambda x: list(df.nn.moments(x, axes=[0, 2], keepdims=True)), [(3, 2, 4)], order=2),
    GradCase((), lambda v, b: df.nn.bias_add(v, b, data_format="NCHW"), [(2, 3, 2, 2), (3,)]),
]


def test_layers_and_other_composites():
    x, w, b = rand((4, 3), seed=15), rand((3, 5), seed=16), rand((5,), seed=17)
    assert_op(lambda a, c, d: [df.nn.xw_plus_b(a, c, d), df.nn.relu_layer(a, c, d)],
              lambda a, c, d: [a @ c + d, np.maximum(a @ c + d, 0)], x, w, b)
    assert_op(lambda a: [df.nn.swish(a), df.nn.crelu(a), df.nn.crelu(a, axis=0)],
              lambda a: [a * _sigmoid(a), np.concatenate([np.maximum(a, 0), np.maximum(-a, 0)], -1),
                         np.concatenate([np.maximum(a, 0), np.maximum(-a, 0)], 0)], x)
    np.testing.assert_allclose(df.nn.zero_fraction(df.constant([0.0, 1.0, 0.0, 2.0])).compute(), 0.5)
    z = np.array([-1e4, -3.0, 0.0, 2.0, 1e4])
    y = np.array([1.0, 0.0, 1.0, 0.3, 0.0])
    got = run_graph(lambda a: df.nn.weighted_cross_entropy_with_logits(labels=y, logits=a, pos_weight=3.0), z)
    ref = 3.0 * y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    got = run_graph(lambda a: df.nn.weighted_cross_entropy_with_logits(targets=y, logits=a, pos_weight=1.0), z)
    np.testing.assert_allclose(got, run_graph(lambda a: df.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=a), z))


GRAD_CASES += [
    GradCase((), lambda x, w, b: df.nn.xw_plus_b(x, w, b) + df.nn.swish(x[:, :1]), [(4, 3), (3, 2), (2,)]),
    GradCase((), lambda z, y: df.nn.weighted_cross_entropy_with_logits(labels=y, logits=z, pos_weight=2.5),
             [(3, 4), (3, 4)]),
]


def test_batch_normalization_takes_numpy_statistics_and_max_norm_has_finite_gradients():
    x = rand((5, 3), "float32", seed=18)
    got = df.nn.batch_normalization(df.constant(x), x.mean(0).astype("f8"), x.var(0).astype("f8"), None, None, 1e-3)
    assert got.dtype == df.float32
    np.testing.assert_allclose(got.compute(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-5, atol=1e-6)
    table = np.vstack([np.zeros((1, 2)), rand((2, 2), seed=19) * 3])
    g = run_graph(lambda p: df.gradients(df.reduce_sum(df.nn.embedding_lookup(p, [0, 1, 2], max_norm=1.0)), p)[0],
                  table)
    assert np.all(np.isfinite(g))


def test_sigmoid_cross_entropy_gradient_at_zero_logits_is_sigmoid_minus_labels():
    # max(z, 0) and |z| have kinks at 0: TF's form shares one condition so the two subgradients agree
    with df.Graph().as_default():
        z = df.placeholder(df.float64, (None, 1))
        labels = np.array([[0.0], [1.0], [0.3]])
        loss = df.reduce_sum(df.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=z))
        g = df.gradients(loss, [z])[0]
        np.testing.assert_allclose(df.Session().run(g, {z: np.zeros((3, 1))}), 0.5 - labels)


def test_dense_cross_entropy_broadcasts_logits_and_labels_as_tf():
    # TF's kernel broadcasts first: a class axis of size 1 spread over the labels' classes (values from TF 2.21)
    lab = np.full((3, 4), 0.25)
    static = [df.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=np.arange(4.0).reshape(1, 4), axis=0),
              df.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=np.arange(3.0).reshape(3, 1))]
    x = df.placeholder(df.float64, (None, None))
    y = df.placeholder(df.float64, (None, None))
    loss = df.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x)
    gx, gy = df.gradients(df.reduce_sum(loss), [x, y])
    with df.Session() as s:
        a, b = s.run(static)
        np.testing.assert_allclose(a, np.full(4, 0.82395922), rtol=1e-7)
        np.testing.assert_allclose(b, np.full(3, 1.38629436), rtol=1e-7)
        got = s.run([loss, gx, gy], {x: np.arange(3.0).reshape(3, 1), y: lab})
    np.testing.assert_allclose(got[0], np.full(3, np.log(4)))
    assert got[1].shape == (3, 1) and got[2].shape == (3, 4)
    np.testing.assert_allclose(got[1], np.zeros((3, 1)), atol=1e-12)  # softmax of 4 equal logits: 1/4 each
    np.testing.assert_allclose(got[2], np.full((3, 4), np.log(4)))
    with pytest.raises(df.errors.InvalidArgumentError, match="broadcastable"):
        df.nn.softmax_cross_entropy_with_logits_v2(labels=np.ones((2, 3)), logits=np.ones((4, 3)))
