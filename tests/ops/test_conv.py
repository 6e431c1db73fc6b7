"""conv2d, its backprop ops, max_pool and avg_pool against direct loop references, under uneven chunkings; their
gradients (to second order); a small convnet that learns."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op, run_graph

TESTED_OPS = {"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MaxPool", "MaxPoolGrad", "MaxPoolGradGrad",
              "AvgPool", "AvgPoolGrad"}


# -- loop references

def _geometry(size, k, s, d, padding):
    """(output size, padding before) of one dim; ``padding`` "SAME", "VALID" or a (before, after) pair."""
    eff = (k - 1) * d + 1
    if padding == "VALID":
        return -(-(size - eff + 1) // s), 0
    if padding == "SAME":
        out = -(-size // s)
        return out, max((out - 1) * s + eff - size, 0) // 2
    return (size + sum(padding) - eff) // s + 1, padding[0]


def _taps(shape, w_hw, strides, padding, dilations=(1, 1)):
    """Every (out_i, out_j, kernel_a, kernel_b, in_r, in_q) pairing an output position with a real input one."""
    (h, wd), (kh, kw) = shape, w_hw
    pads = (padding, padding) if isinstance(padding, str) else padding
    ho, ph = _geometry(h, kh, strides[0], dilations[0], pads[0])
    wo, pw = _geometry(wd, kw, strides[1], dilations[1], pads[1])
    taps = []
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * strides[0] + a * dilations[0] - ph, j * strides[1] + b * dilations[1] - pw
                    if 0 <= r < h and 0 <= q < wd:
                        taps.append((i, j, a, b, r, q))
    return (ho, wo), taps


def conv_ref(x, w, strides, padding, dilations=(1, 1)):
    (ho, wo), taps = _taps(x.shape[1:3], w.shape[:2], strides, padding, dilations)
    out = np.zeros((x.shape[0], ho, wo, w.shape[3]))
    for i, j, a, b, r, q in taps:
        out[:, i, j, :] += x[:, r, q, :] @ w[a, b]
    return out


def conv_input_ref(x_shape, w, dy, strides, padding, dilations=(1, 1)):
    _, taps = _taps(x_shape[1:3], w.shape[:2], strides, padding, dilations)
    dx = np.zeros(x_shape)
    for i, j, a, b, r, q in taps:
        dx[:, r, q, :] += dy[:, i, j, :] @ w[a, b].T
    return dx


def conv_filter_ref(x, w_shape, dy, strides, padding, dilations=(1, 1)):
    _, taps = _taps(x.shape[1:3], w_shape[:2], strides, padding, dilations)
    dw = np.zeros(w_shape)
    for i, j, a, b, r, q in taps:
        dw[a, b] += x[:, r, q, :].T @ dy[:, i, j, :]
    return dw


def pool_ref(x, k, s, padding, kind):
    (ho, wo), taps = _taps(x.shape[1:3], k, s, padding)
    windows = {}
    for i, j, _, _, r, q in taps:
        windows.setdefault((i, j), []).append(x[:, r, q, :])
    out = np.zeros((x.shape[0], ho, wo, x.shape[3]), x.dtype)
    for (i, j), vals in windows.items():
        out[:, i, j] = np.max(vals, axis=0) if kind == "max" else np.mean(vals, axis=0)
    return out


def max_pool_grad_ref(x, dy, k, s, padding):
    """Each window's gradient to its first maximum (windows in row-major kernel order)."""
    _, taps = _taps(x.shape[1:3], k, s, padding)
    best = {}
    for i, j, _, _, r, q in taps:  # per (window, batch, channel) the first position holding the maximum
        for n in range(x.shape[0]):
            for c in range(x.shape[3]):
                key = (i, j, n, c)
                if key not in best or x[n, r, q, c] > x[n, best[key][0], best[key][1], c]:
                    best[key] = (r, q)
    dx = np.zeros(x.shape)
    for (i, j, n, c), (r, q) in best.items():
        dx[n, r, q, c] += dy[n, i, j, c]
    return dx


# -- forward values

CONV_CASES = [((2, 7, 6, 3), (3, 3, 3, 4), (1, 1), "SAME", (1, 1)),
              ((3, 7, 7, 2), (3, 2, 2, 5), (2, 2), "VALID", (1, 1)),
              ((2, 8, 8, 2), (3, 3, 2, 2), (2, 1), "SAME", (1, 1)),
              ((2, 9, 9, 1), (3, 3, 1, 2), (1, 1), "VALID", (2, 2)),
              ((1, 5, 5, 2), (1, 1, 2, 3), (1, 1), "SAME", (1, 1)),
              ((5, 6, 5, 2), (2, 3, 2, 1), (3, 2), "SAME", (2, 1)),
              ((4, 6, 7, 2), (4, 3, 2, 2), (2, 3), "SAME", (1, 1)),  # even kernel: the odd pad goes after
              ((2, 5, 6, 1), (2, 2, 1, 2), (2, 2), ((1, 0), (2, 1)), (1, 1))]  # explicit padding


def _explicit(padding):
    return padding if isinstance(padding, str) else [[0, 0], list(padding[0]), list(padding[1]), [0, 0]]


@pytest.mark.parametrize("xs, ws, strides, padding, dil", CONV_CASES)
def test_conv2d_and_its_backprops_against_loops(xs, ws, strides, padding, dil):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    expected = conv_ref(x, w, strides, padding, dil)
    dy = rng.standard_normal(expected.shape)
    kw = dict(strides=[1, *strides, 1], padding=_explicit(padding), dilations=[1, *dil, 1])
    assert tuple(df.nn.conv2d(df.constant(x), df.constant(w), **kw).shape) == expected.shape
    assert_op(lambda a, b: df.nn.conv2d(a, b, **kw), lambda a, b: expected, x, w, rtol=1e-10)
    assert_op(lambda g, b: df.nn.conv2d_backprop_input(list(xs), b, g, **kw),
              lambda g, b: conv_input_ref(xs, b, g, strides, padding, dil), dy, w, rtol=1e-10)
    assert_op(lambda a, g: df.nn.conv2d_backprop_filter(a, list(ws), g, **kw),
              lambda a, g: conv_filter_ref(a, ws, g, strides, padding, dil), x, dy, rtol=1e-10)


def test_conv2d_does_not_depend_on_the_batch_chunking():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((9, 6, 6, 2)).astype("f4"), rng.standard_normal((3, 3, 2, 3)).astype("f4")
    expected = conv_ref(x, w, (2, 2), "SAME")
    for chunks in [(9,), (1,) * 9, (4, 5), (2, 0, 7)]:
        got = run_graph(lambda a, b: df.nn.conv2d(a, b, 2, "SAME"), x, w, chunks=[(chunks, 3, 4, 1), None])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        dw = run_graph(lambda a, b: df.gradients(df.reduce_sum(df.nn.conv2d(a, b, 2, "SAME")), b)[0], x, w,
                       chunks=[(chunks, 3, 4, 1), None])
        np.testing.assert_allclose(dw, conv_filter_ref(x, w.shape, np.ones(expected.shape), (2, 2), "SAME"),
                                   rtol=1e-4)
    dy = rng.standard_normal(expected.shape).astype("f4")
    dw = run_graph(lambda a, g: df.nn.conv2d_backprop_filter(a, w.shape, g, 2, "SAME"), x, dy,
                   chunks=[((2, 3, 4), 6, 6, 2), ((5, 4), 3, 3, 3)])  # batch chunks that do not line up
    np.testing.assert_allclose(dw, conv_filter_ref(x, w.shape, dy, (2, 2), "SAME"), rtol=1e-4, atol=1e-4)


def test_conv2d_nchw_int_forms_and_unknown_batch():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 2, 7, 5)), rng.standard_normal((3, 2, 2, 4))
    expected = conv_ref(x.transpose(0, 2, 3, 1), w, (2, 1), "SAME", (1, 2)).transpose(0, 3, 1, 2)
    got = run_graph(lambda a: df.nn.conv2d(a, w, [1, 1, 2, 1], "SAME", data_format="NCHW", dilations=[1, 1, 1, 2]),
                    x, feed_static_shape=False)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    ph = df.placeholder(df.float64, (None, 7, 5, 2))
    y = df.nn.conv2d(ph, w, 2, "VALID", name="c")
    assert y.name == "c:0" and y.op.type == "Conv2D" and tuple(y.shape) == (None, 3, 2, 4)
    with df.Session() as s:
        out = s.run(y, {ph: da.from_array(x.transpose(0, 2, 3, 1), chunks=(2, 7, 5, 1))})
    np.testing.assert_allclose(out, conv_ref(x.transpose(0, 2, 3, 1), w, (2, 2), "VALID"), rtol=1e-10)
    assert df.nn.conv2d(ph, w, [2, 2], "SAME").shape.as_list() == [None, 4, 3, 4]


def test_conv1d_atrous_conv2d_and_conv2d_transpose():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 4))
    expected = conv_ref(x[:, None], w[None], (1, 2), "SAME")[:, 0]
    assert_op(lambda a: df.nn.conv1d(a, w, 2, "SAME"), lambda a: expected, x, rtol=1e-10)
    got = run_graph(lambda a: df.nn.conv1d(a, w, 2, "SAME", data_format="NCW"), x.transpose(0, 2, 1))
    np.testing.assert_allclose(got, expected.transpose(0, 2, 1), rtol=1e-10)
    x2, w2 = rng.standard_normal((2, 9, 8, 2)), rng.standard_normal((2, 3, 2, 3))
    got = run_graph(lambda a: df.nn.atrous_conv2d(a, w2, 2, "SAME"), x2)
    np.testing.assert_allclose(got, conv_ref(x2, w2, (1, 1), "SAME", (2, 2)), rtol=1e-10)
    v, f = rng.standard_normal((2, 4, 4, 3)), rng.standard_normal((3, 3, 5, 3))
    got = run_graph(lambda a: df.nn.conv2d_transpose(a, f, [2, 8, 8, 5], [1, 2, 2, 1], "SAME"), v)
    np.testing.assert_allclose(got, conv_input_ref((2, 8, 8, 5), f, v, (2, 2), "SAME"), rtol=1e-10)


POOL_CASES = [((2, 6, 6, 2), (2, 2), (2, 2), "VALID"), ((2, 7, 5, 3), (3, 3), (2, 2), "SAME"),
              ((1, 5, 5, 1), (3, 2), (1, 1), "SAME"), ((4, 8, 7, 2), (2, 3), (3, 2), "SAME"),
              ((3, 6, 9, 1), (4, 4), (1, 3), "VALID")]


@pytest.mark.parametrize("shape, k, s, padding", POOL_CASES)
def test_pooling_and_its_gradients_against_loops(shape, k, s, padding):
    rng = np.random.default_rng(4)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 7.0  # distinct values: one maximum per window
    kw = dict(ksize=[1, *k, 1], strides=[1, *s, 1], padding=padding)
    assert_op(lambda a: df.nn.max_pool(a, **kw), lambda a: pool_ref(a, k, s, padding, "max"), x, rtol=0, atol=0)
    assert_op(lambda a: df.nn.avg_pool(a, **kw), lambda a: pool_ref(a, k, s, padding, "avg"), x, rtol=1e-12)
    dy = rng.standard_normal(pool_ref(x, k, s, padding, "max").shape)
    assert_op(lambda a, g: df.gradients(df.nn.max_pool(a, **kw), a, grad_ys=g)[0],
              lambda a, g: max_pool_grad_ref(a, g, k, s, padding), x, dy, rtol=1e-12)
    # avg_pool is linear: its gradient is the transpose of the averaging matrix, found column by column
    ones = np.eye(np.prod(shape[1:3])).reshape(-1, *shape[1:3], 1)
    columns = pool_ref(np.broadcast_to(ones, ones.shape[:3] + (shape[3],)), k, s, padding, "avg")
    expected = np.einsum("phwc,nhwc->npc", columns, dy).reshape(shape)
    assert_op(lambda a, g: df.gradients(df.nn.avg_pool(a, **kw), a, grad_ys=g)[0], lambda a, g: expected, x, dy,
              rtol=1e-12)


def test_max_pool_ties_go_to_the_first_position_and_dtypes():
    x = np.zeros((1, 4, 4, 1), "f4")
    got = run_graph(lambda a: df.gradients(df.reduce_sum(df.nn.max_pool(a, 2, 2, "VALID")), a)[0], x)
    expected = np.zeros((4, 4), "f4")
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(got[0, :, :, 0], expected)
    xi = np.random.default_rng(5).integers(-50, 50, (2, 5, 5, 3)).astype("i4")
    assert_op(lambda a: df.nn.max_pool(a, 3, 2, "SAME"), lambda a: pool_ref(a, (3, 3), (2, 2), "SAME", "max"), xi,
              rtol=0, atol=0)
    xh = np.random.default_rng(6).standard_normal((2, 4, 4, 2)).astype("f2")
    got = run_graph(lambda a: [df.nn.avg_pool(a, 2, 2, "SAME"), df.nn.max_pool(a, 2, 1, "SAME")], xh)
    np.testing.assert_allclose(got[0], pool_ref(xh.astype("f8"), (2, 2), (2, 2), "SAME", "avg"), rtol=2e-3)
    np.testing.assert_array_equal(got[1], pool_ref(xh, (2, 2), (1, 1), "SAME", "max"))


def test_pooling_nchw_names_and_unknown_batch():
    x = np.random.default_rng(7).standard_normal((2, 3, 6, 5))
    got = run_graph(lambda a: [df.nn.max_pool(a, [1, 1, 2, 2], [1, 1, 2, 2], "SAME", data_format="NCHW"),
                               df.nn.avg_pool2d(a, 3, 1, "VALID", data_format="NCHW")], x)
    nhwc = x.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(got[0], pool_ref(nhwc, (2, 2), (2, 2), "SAME", "max").transpose(0, 3, 1, 2))
    np.testing.assert_allclose(got[1], pool_ref(nhwc, (3, 3), (1, 1), "VALID", "avg").transpose(0, 3, 1, 2))
    ph = df.placeholder(df.float32, (None, 6, 5, 3))
    p = df.nn.max_pool2d(ph, 2, 2, "SAME", name="pool")
    assert p.name == "pool:0" and p.op.type == "MaxPool" and p.shape.as_list() == [None, 3, 3, 3]
    assert df.nn.avg_pool(ph, [1, 3, 3, 1], [1, 2, 2, 1], "VALID").shape.as_list() == [None, 2, 2, 3]


def test_errors():
    x = df.placeholder(df.float32, (None, 5, 5, 3))
    with pytest.raises(df.errors.InvalidArgumentError, match="3 channels, but filter .* expects: 3 does not match "
                                                               "the expected 2"):
        df.nn.conv2d(x, df.zeros((3, 3, 2, 4)), 1, "SAME")
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4)), 1, "FULL")
    with pytest.raises(ValueError, match="strides must be 1 on the batch and channel dims"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4)), [2, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="strides must be given"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4)), padding="SAME")
    with pytest.raises(ValueError, match="data_format must be"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4)), 1, "SAME", data_format="HWCN")
    with pytest.raises(df.errors.InvalidArgumentError, match="does not fit"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4)), 1, "VALID", dilations=3)
    with pytest.raises(df.errors.InvalidArgumentError, match="does not fit"):
        df.nn.max_pool(x, 6, 1, "VALID")
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values: Conv2D needs a floating"):
        df.nn.conv2d(df.zeros((1, 3, 3, 1), df.int32), df.zeros((1, 1, 1, 1), df.int32), 1, "SAME")
    with pytest.raises(TypeError, match="AvgPool needs a floating point input"):
        df.nn.avg_pool(df.zeros((1, 3, 3, 1), df.int32), 2, 1, "SAME")
    with pytest.raises(df.errors.InvalidArgumentError, match="must be 4-D"):
        df.nn.max_pool(df.zeros((3, 3, 1)), 2, 1, "SAME")
    with pytest.raises(df.errors.InvalidArgumentError, match="does not match dtype float32"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4), df.float64), 1, "SAME")
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'; got"):
        df.nn.avg_pool(x, 2, 1, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(df.errors.InvalidArgumentError, match="out_backprop .* has height: 4 does not match the "
                                                               "expected 5"):
        df.nn.conv2d_backprop_input([1, 5, 5, 3], df.zeros((3, 3, 3, 4)), df.zeros((1, 4, 5, 4)), 1, "SAME")


# -- gradients (GRAD_CASES rows, checked by tests/autodiff/test_op_grads.py) and a small network

def _distinct(*shape, seed=5):
    return lambda: [np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) / 10.0]


def _pool_grad(pool, x, g):
    """The gradient of a 3x3, stride 2, SAME pooling of ``x`` for output gradient ``g``."""
    return df.gradients(pool(x, 3, 2, "SAME"), x, grad_ys=g)[0]


def _pool_grad_grad(x, d):
    """MaxPoolGradGrad(x, d): the gradient of ``_pool_grad`` with respect to its output gradient."""
    c = df.zeros((2, 3, 3, 2), df.float64)
    return df.gradients(_pool_grad(df.nn.max_pool, x, c), c, grad_ys=d)[0]


_CONV_OPS = ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter")

GRAD_CASES = [
    GradCase(_CONV_OPS, lambda x, w: df.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), [(3, 5, 4, 2), (3, 3, 2, 3)],
             order=2),
    GradCase("Conv2D", lambda x, w: df.nn.conv2d(x, w, 2, "VALID"), [(2, 6, 7, 1), (2, 3, 1, 2)]),
    GradCase("Conv2D", lambda x, w: df.nn.conv2d(x, w, [2, 1], [[0, 0], [2, 0], [1, 1], [0, 0]], dilations=2),
             [(2, 6, 5, 2), (2, 2, 2, 2)]),
    GradCase("Conv2D", lambda x, w: df.nn.conv2d(x, w, [1, 1, 2, 2], "SAME", data_format="NCHW"),
             [(2, 2, 5, 5), (3, 3, 2, 2)]),
    GradCase(_CONV_OPS, lambda g, w: df.nn.conv2d_backprop_input([2, 7, 6, 3], w, g, 2, "SAME"),
             [(2, 4, 3, 2), (3, 2, 3, 2)], order=2),
    GradCase(_CONV_OPS, lambda x, g: df.nn.conv2d_backprop_filter(x, [3, 3, 2, 2], g, 1, "VALID"),
             [(3, 5, 5, 2), (3, 3, 3, 2)], order=2),
    GradCase("MaxPool", lambda x: df.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), [(2, 5, 5, 2)],
             inputs=_distinct(2, 5, 5, 2)),
    GradCase("MaxPoolGrad", lambda x, g: _pool_grad(df.nn.max_pool, x, g), [(2, 5, 6, 2), (2, 3, 3, 2)],
             inputs=lambda: _distinct(2, 5, 6, 2)() + [np.random.default_rng(6).uniform(-1, 1, (2, 3, 3, 2))],
             order=2),
    GradCase("MaxPoolGradGrad", lambda x, d: _pool_grad_grad(x, d), [(2, 5, 6, 2), (2, 5, 6, 2)],
             inputs=lambda: _distinct(2, 5, 6, 2)() + [np.random.default_rng(7).uniform(-1, 1, (2, 5, 6, 2))]),
    GradCase("AvgPool", lambda x: df.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"), [(2, 5, 6, 2)], order=2),
    GradCase("AvgPoolGrad", lambda g: _pool_grad(df.nn.avg_pool, df.zeros((2, 5, 6, 2), df.float64), g),
             [(2, 3, 3, 2)], order=2),
    GradCase("AvgPool", lambda x: df.nn.avg_pool(x, [2, 3], [1, 2], "VALID"), [(3, 4, 7, 1)]),
]


def test_small_convnet_learns_digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    x_all = (d.images / 16.0).astype("f4")[..., None]
    y_all = d.target.astype("i8")
    order = np.random.default_rng(0).permutation(len(x_all))
    tr, te = order[:1400], order[1400:]
    x = df.placeholder(df.float32, (None, 8, 8, 1))
    y = df.placeholder(df.int64, (None,))
    w1 = df.Variable(df.random.truncated_normal((3, 3, 1, 8), stddev=0.3, seed=1))
    h = df.nn.max_pool(df.nn.relu(df.nn.conv2d(x, w1, 1, "SAME")), 2, 2, "VALID")  # (N, 4, 4, 8)
    w2 = df.Variable(df.random.truncated_normal((128, 10), stddev=0.1, seed=2))
    logits = df.matmul(df.reshape(h, [-1, 128]), w2)
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = df.train.AdamOptimizer(0.01).minimize(loss)
    acc = df.reduce_mean(df.cast(df.equal(df.argmax(logits, 1), y), df.float32))
    rng = np.random.default_rng(1)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        first = s.run(loss, {x: x_all[tr], y: y_all[tr]})
        for _ in range(6):
            for idx in np.array_split(rng.permutation(tr), 14):
                s.run(step, {x: x_all[idx], y: y_all[idx]})
        last, accuracy = s.run([loss, acc], {x: x_all[te], y: y_all[te]})
    assert last < 0.3 * first
    assert accuracy > 0.9


def test_shapes_known_only_when_run_are_checked_there():
    x = df.placeholder(df.float64, (None, None, None, None))
    w = df.placeholder(df.float64, (3, 3, 2, 4))
    y = df.nn.conv2d(x, w, 1, "SAME")
    assert y.shape.as_list() == [None, None, None, 4]
    with df.Session() as s:
        np.testing.assert_allclose(s.run(y, {x: np.ones((1, 4, 4, 2)), w: np.ones((3, 3, 2, 4))})[0, 1, 1], 18.0)
        with pytest.raises(df.errors.InvalidArgumentError, match="input has dims \\(4, 4, 3\\) after the batch dim, "
                                                                   "but \\(4, 4, 2\\) are expected"):
            s.run(y, {x: np.ones((1, 4, 4, 3)), w: np.ones((3, 3, 2, 4))})
    dy = df.placeholder(df.float64, (None, None, None, 4))
    dx = df.nn.conv2d_backprop_input(df.shape(x), w, dy, 2, "SAME")
    with df.Session() as s, pytest.raises(df.errors.InvalidArgumentError, match="out_backprop has dims"):
        s.run(dx, {x: np.ones((1, 4, 4, 2)), dy: np.ones((1, 4, 4, 4)), w: np.ones((3, 3, 2, 4))})
