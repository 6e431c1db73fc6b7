"""Plan-time fusion of matmul + bias + relu (and matmul -> ReluGrad) into one kernel per block: the same values as
op by op, over chunkings; fewer tasks; chains whose intermediates are needed elsewhere are left alone."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df


def _lowered_types(sess, fetches, feeds):
    """Op types a run of ``fetches`` lowers on their own (a fused chain shows only its root)."""
    return [op.type for op, _ in sess.plan(fetches, feeds).footprints]


def _layer(relu=True, bias=True, dtype=df.float64, **mm):
    x = df.placeholder(dtype, (None, 5), name="x")
    w = df.Variable(np.random.default_rng(1).standard_normal((5, 3) if not mm.get("transpose_b") else (3, 5)),
                    dtype=dtype, name="W")
    b = df.Variable(np.random.default_rng(2).standard_normal(3), dtype=dtype, name="b")
    h = df.matmul(x, w, **mm)
    if bias:
        h = h + b
    return x, w, b, df.nn.relu(h) if relu else h


def _ref(xv, wv, bv, relu=True, bias=True, transpose_b=False):
    h = xv @ (wv.T if transpose_b else wv) + (bv if bias else 0)
    return np.maximum(h, 0) if relu else h


@pytest.mark.parametrize("relu,bias,transpose_b", [(True, True, False), (False, True, False), (True, False, False),
                                                   (True, True, True)])
@pytest.mark.parametrize("chunks", [None, (3, 5), (4, 2)])
def test_dense_layer_is_one_kernel_and_matches_numpy(relu, bias, transpose_b, chunks):
    x, w, b, h = _layer(relu, bias, transpose_b=transpose_b)
    xv = np.random.default_rng(0).standard_normal((10, 5))
    feed = xv if chunks is None else da.from_array(xv, chunks=chunks)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        out = s.run(h, {x: feed})
        np.testing.assert_allclose(out, _ref(xv, *s.run([w, b]), relu, bias, transpose_b), rtol=1e-12)
        assert _lowered_types(s, h, {x: feed}) == [h.op.type]  # the chain is one op's tasks
        with df.config.set(fusion=False):
            np.testing.assert_allclose(s.run(h, {x: feed}), out, rtol=1e-12)
            assert "BatchMatMulV2" in _lowered_types(s, h, {x: feed})


def test_a_contraction_split_across_blocks_is_lowered_op_by_op():
    x, w = df.placeholder(df.float64, (None, 6)), df.placeholder(df.float64, (6, 3))
    b = df.constant(np.arange(3.0))
    h = df.nn.relu(df.matmul(x, w) + b)
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((8, 6)), rng.standard_normal((6, 3))
    feeds = {x: da.from_array(xv, chunks=(4, 2)), w: da.from_array(wv, chunks=(2, 3))}  # blocks line up along k
    with df.Session() as s:
        np.testing.assert_allclose(s.run(h, feeds), np.maximum(xv @ wv + np.arange(3.0), 0), rtol=1e-12)
        assert {"AddV2", "BatchMatMulV2", "Relu"} <= set(_lowered_types(s, h, feeds))


def test_fusion_saves_tasks():
    x, w, b, h = _layer()
    xv = np.random.default_rng(0).standard_normal((12, 5))
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        fused = s.plan(h, {x: xv}).tasks
        with df.config.set(fusion=False):
            unfused = s.plan(h, {x: xv}).tasks
        assert fused == unfused - 2  # one block: the bias add and the relu are no tasks of their own


def test_intermediates_needed_elsewhere_are_not_fused():
    x, w, b, h = _layer()
    pre = h.op.inputs[0]  # matmul + b
    xv = np.random.default_rng(0).standard_normal((6, 5))
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        wv, bv = s.run([w, b])
        out, p = s.run([h, pre], {x: xv})  # fetched intermediate: the relu is lowered on its own
        np.testing.assert_allclose(p, xv @ wv + bv, rtol=1e-12)
        np.testing.assert_allclose(out, np.maximum(p, 0), rtol=1e-12)
        assert "Relu" in _lowered_types(s, [h, pre], {x: xv})
        two = h + df.reduce_sum(pre)  # a second consumer of matmul + b
        np.testing.assert_allclose(s.run(two, {x: xv}), np.maximum(p, 0) + p.sum(), rtol=1e-12)
        # a control dependency on the bias add keeps it an op of its own
        with df.control_dependencies([pre.op]):
            after = df.identity(h)
        np.testing.assert_allclose(s.run(after, {x: xv}), np.maximum(p, 0), rtol=1e-12)
        assert "Relu" in _lowered_types(s, after, {x: xv})


def test_backward_through_relu_layers_fuses_and_matches_numpy():
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal((8, 2)).astype(np.float32)
    w1v, w2v = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    x, y = df.placeholder(df.float32, (None, 5)), df.placeholder(df.float32, (None, 2))
    w1, w2 = df.Variable(w1v), df.Variable(w2v)
    h = df.nn.relu(df.matmul(x, w1))
    loss = df.reduce_sum(df.square(df.matmul(h, w2) - y))
    g1, g2 = df.gradients(loss, [w1, w2])
    # numpy reference in float64
    hv = np.maximum(xv.astype("f8") @ w1v, 0)
    dz = 2 * (hv @ w2v - yv)
    dh = (dz @ w2v.T) * (hv > 0)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for feed in (xv, da.from_array(xv, chunks=(3, 5))):
            r1, r2 = s.run([g1, g2], {x: feed, y: yv})
            assert r1.dtype == np.float32
            np.testing.assert_allclose(r2, hv.T @ dz, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(r1, xv.T @ dh, rtol=1e-4, atol=1e-5)
            types = _lowered_types(s, [g1, g2], {x: feed, y: yv})
            assert "ReluGrad" in types and "Relu" in types and types.count("BatchMatMulV2") == 3  # of 5 products


def test_training_with_and_without_fusion_gives_the_same_variables():
    rng = np.random.default_rng(0)
    xv, labels = rng.standard_normal((32, 5)).astype(np.float32), rng.integers(0, 3, 32)

    def train(fusion):
        with df.Graph().as_default(), df.config.set(fusion=fusion):
            x, w, b, h = _layer(dtype=df.float32)
            w2 = df.Variable(np.random.default_rng(3).standard_normal((3, 3)), dtype=df.float32)
            logits = df.matmul(h, w2)
            loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            step = df.train.AdamOptimizer(0.01).minimize(loss)
            with df.Session() as s:
                s.run(df.global_variables_initializer())
                losses = [s.run([loss, step], {x: xv})[0] for _ in range(5)]
                return losses, s.run([w, b, w2])

    (l_on, v_on), (l_off, v_off) = train(True), train(False)
    assert l_on[-1] < l_on[0]
    np.testing.assert_allclose(l_on, l_off, rtol=1e-5)
    for a, c in zip(v_on, v_off):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_fusion_setting_is_checked():
    with pytest.raises(ValueError, match="fusion must be True or False"):
        df.config.set(fusion="yes")


def test_overflow_in_a_fused_layer_gives_inf_silently_as_unfused():
    import warnings
    x = df.placeholder(df.float32, (None, 2))
    w = df.constant(np.full((2, 2), 3e38, np.float32))
    h = df.nn.relu(df.matmul(x, w) + df.constant(np.array([3e38, -1.0], np.float32)))
    with df.Session() as s, warnings.catch_warnings():
        warnings.simplefilter("error")
        out = s.run(h, {x: np.array([[0.5, 0.0]], np.float32)})
        assert "Relu" in _lowered_types(s, h, {x: np.array([[0.5, 0.0]], np.float32)})
    np.testing.assert_array_equal(out, np.array([[np.inf, 1.5e38]], np.float32))
