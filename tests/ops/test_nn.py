import dask
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import daskflow as df
from daskflow.testing import GradCase, assert_op, rand, run_graph

TESTED_OPS = {"Relu", "Relu6"}

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
        with pytest.raises(df.errors.InvalidArgumentError, match=f"{kind} needs a real numeric input, got .* bool"):
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


GRAD_CASES = [
    GradCase("Relu", df.nn.relu, [(4, 5)], inputs=lambda: [_away_from_kinks(4, 5)], order=2),
    GradCase("Relu6", df.nn.relu6, [(4, 5)], inputs=lambda: [np.where(np.abs(_away_from_kinks(4, 5) - 6) < 0.1, 3.0,
                                                                        _away_from_kinks(4, 5))]),
    GradCase((), lambda x: df.nn.softmax(x, axis=0), [(5, 3)]),
    GradCase((), lambda x: df.nn.log_softmax(x), [(4, 6)], order=2),
    GradCase((), lambda x: df.nn.sparse_softmax_cross_entropy_with_logits(
        labels=df.constant(np.array([0, 3, 1, 2])), logits=x), [(4, 5)]),
    GradCase((), lambda lab, x: df.nn.softmax_cross_entropy_with_logits_v2(df.nn.softmax(lab), x), [(3, 4), (3, 4)]),
]


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


def test_v1_cross_entropy_sends_no_gradient_to_labels():
    labels = df.constant(np.full((2, 3), 1 / 3, "f4"))
    logits = df.constant(np.zeros((2, 3), "f4"))
    v1 = df.reduce_sum(df.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    v2 = df.reduce_sum(df.nn.softmax_cross_entropy_with_logits_v2(labels, logits))
    assert df.gradients(v1, [labels]) == [None]
    np.testing.assert_allclose(df.gradients(v2, [labels])[0].compute(), np.full((2, 3), np.log(3)), rtol=1e-6)
