"""Graphs over cupy-backed dask arrays: every block function must follow the chunk's array module. Runs where
cupy and a CUDA GPU exist; skipped cleanly elsewhere."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df

cupy = pytest.importorskip("cupy")
pytestmark = pytest.mark.gpu

try:
    cupy.cuda.runtime.getDeviceCount()
except Exception:  # no driver or no device
    pytest.skip("no CUDA device", allow_module_level=True)


def _gpu_feed(a, chunks):
    return da.from_array(cupy.asarray(a), chunks=chunks, asarray=False)


def test_mlp_forward_on_cupy_chunks():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((64, 16)).astype("f4")
    wv = rng.standard_normal((16, 8)).astype("f4")
    x = df.placeholder(df.float32, (None, 16))
    w = df.placeholder(df.float32, (16, 8))
    h = df.nn.relu(df.matmul(x, w))
    loss = df.reduce_mean(df.nn.softmax(h) * df.exp(-h))
    lazy = df.lower([h, loss], feed_dict={x: _gpu_feed(xv, (16, 16)), w: _gpu_feed(wv, (16, 8))})
    got_h, got_loss = da.compute(*lazy)
    assert isinstance(got_h, cupy.ndarray)
    ref_h = np.maximum(xv @ wv, 0)
    e = np.exp(ref_h - ref_h.max(1, keepdims=True))
    np.testing.assert_allclose(cupy.asnumpy(got_h), ref_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(float(got_loss), np.mean(e / e.sum(1, keepdims=True) * np.exp(-ref_h)), rtol=1e-5)


@pytest.mark.parametrize("fn", [df.sigmoid, df.softplus, df.erf, df.tanh, df.square, df.abs])
def test_elementwise_kernels_on_cupy(fn):
    xv = np.linspace(-3, 3, 30).reshape(5, 6).astype("f4")
    x = df.placeholder(df.float32, (5, 6))
    out = df.lower(fn(x), feed_dict={x: _gpu_feed(xv, (2, 3))}).compute()
    ref = df.lower(fn(x), feed_dict={x: xv}).compute()
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("chunks", [(8, 10), (4, 5)], ids=["classes_whole", "classes_split"])
def test_fused_cross_entropies_on_cupy(chunks):
    rng = np.random.default_rng(1)
    xv = (rng.standard_normal((16, 10)) * 1e4).astype("f4")
    labels = rng.integers(0, 10, 16)
    soft = rng.uniform(0, 1, (16, 10)).astype("f4")
    x = df.placeholder(df.float32, (16, 10))
    lab = df.placeholder(df.int64, (16,))
    y = df.placeholder(df.float32, (16, 10))
    sparse = df.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=x)
    dense = df.nn.softmax_cross_entropy_with_logits_v2(y, x)
    fetches = [sparse, dense] + df.gradients(df.reduce_sum(sparse) + df.reduce_sum(dense), [x, y])
    gpu = {x: _gpu_feed(xv, chunks), lab: _gpu_feed(labels, chunks[:1]), y: _gpu_feed(soft, chunks)}
    got = da.compute(*df.lower(fetches, feed_dict=gpu))
    ref = da.compute(*df.lower(fetches, feed_dict={x: xv, lab: labels, y: soft}))
    for g, r in zip(got, ref):
        assert isinstance(g, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(g), r, rtol=1e-5, atol=1e-2)
    bad = {**gpu, lab: _gpu_feed(np.full(16, 10), chunks[:1])}
    with pytest.raises(df.errors.InvalidArgumentError, match=r"label value of 10 .* range of \[0, 10\)"):
        da.compute(df.lower(sparse, feed_dict=bad))


def test_broadcast_gradients_of_run_time_shapes_on_cupy():
    # SumToShape sums down (x * y) and broadcasts up (an einsum label of size 1) blocks of the chunk's module
    rng = np.random.default_rng(2)
    av, bv, cv = rng.standard_normal((1, 6)), rng.standard_normal((5, 6)), rng.standard_normal(1)
    a, b = df.placeholder(df.float64, (None, None)), df.placeholder(df.float64, (None, None))
    c = df.placeholder(df.float64, (None,))
    loss = df.reduce_sum(a * b) + df.reduce_sum(df.einsum("ij,j->i", b, c))
    grads = df.gradients(loss, [a, b, c])
    gpu = {a: _gpu_feed(av, (1, 3)), b: _gpu_feed(bv, (2, 3)), c: _gpu_feed(cv, (1,))}
    got = da.compute(*df.lower(grads, feed_dict=gpu))
    want = [bv.sum(0, keepdims=True), np.broadcast_to(av, (5, 6)) + cv[0], np.full(1, bv.sum())]
    for g, w in zip(got, want):
        assert isinstance(g, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(g), w, rtol=1e-12)
