"""conv2d, max_pool and avg_pool against direct loop references; their gradients; a small convnet that learns."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op

TESTED_OPS = set()  # composites of slices, pads, concat, tensordot and reductions: no op types of their own


def _pad_same(size, k, s, d):
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return out, total // 2


def conv_ref(x, w, strides, padding, dilations=(1, 1)):
    n, h, wd, c = x.shape
    kh, kw, _, f = w.shape
    (sh, sw), (dh, dw) = strides, dilations
    if padding == "SAME":
        ho, ph = _pad_same(h, kh, sh, dh)
        wo, pw = _pad_same(wd, kw, sw, dw)
    else:
        ho, ph = -(-(h - (kh - 1) * dh) // sh), 0
        wo, pw = -(-(wd - (kw - 1) * dw) // sw), 0
    out = np.zeros((n, ho, wo, f))
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * sh + a * dh - ph, j * sw + b * dw - pw
                    if 0 <= r < h and 0 <= q < wd:
                        out[:, i, j, :] += x[:, r, q, :] @ w[a, b]
    return out


def pool_ref(x, k, s, padding, kind):
    n, h, wd, c = x.shape
    if padding == "SAME":
        ho, ph = _pad_same(h, k[0], s[0], 1)
        wo, pw = _pad_same(wd, k[1], s[1], 1)
    else:
        ho, ph, wo, pw = -(-(h - k[0] + 1) // s[0]), 0, -(-(wd - k[1] + 1) // s[1]), 0
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            r0, q0 = i * s[0] - ph, j * s[1] - pw
            win = x[:, max(r0, 0):r0 + k[0], max(q0, 0):q0 + k[1], :]
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


CONV_CASES = [((2, 7, 6, 3), (3, 3, 3, 4), (1, 1), "SAME", (1, 1)), ((3, 7, 7, 2), (3, 2, 2, 5), (2, 2), "VALID", (1, 1)),
              ((2, 8, 8, 2), (3, 3, 2, 2), (2, 1), "SAME", (1, 1)), ((2, 9, 9, 1), (3, 3, 1, 2), (1, 1), "VALID", (2, 2)),
              ((1, 5, 5, 2), (1, 1, 2, 3), (1, 1), "SAME", (1, 1)), ((2, 6, 5, 2), (2, 3, 2, 1), (3, 2), "SAME", (2, 1))]


@pytest.mark.parametrize("xs, ws, strides, padding, dil", CONV_CASES)
def test_conv2d_against_loops(xs, ws, strides, padding, dil):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    expected = conv_ref(x, w, strides, padding, dil)
    out = df.nn.conv2d(df.constant(x), df.constant(w), [1, *strides, 1], padding, dilations=[1, *dil, 1])
    assert tuple(out.shape) == expected.shape
    assert_op(lambda a: df.nn.conv2d(a, df.constant(w), [1, *strides, 1], padding, dilations=[1, *dil, 1]),
              lambda a: expected, x, rtol=1e-10)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape, k, s, padding", [((2, 6, 6, 2), (2, 2), (2, 2), "VALID"),
                                                  ((2, 7, 5, 3), (3, 3), (2, 2), "SAME"),
                                                  ((1, 5, 5, 1), (3, 2), (1, 1), "SAME")])
def test_pooling_against_loops(kind, shape, k, s, padding):
    x = np.random.default_rng(1).standard_normal(shape)
    fn = df.nn.max_pool if kind == "max" else df.nn.avg_pool
    assert_op(lambda a: fn(a, [1, *k, 1], [1, *s, 1], padding), lambda a: pool_ref(a, k, s, padding, kind), x,
              rtol=1e-10)


def test_conv_errors():
    x = df.placeholder(df.float32, (None, 5, 5, 3))
    with pytest.raises(ValueError, match="3 channels"):
        df.nn.conv2d(x, df.zeros((3, 3, 2, 4)), 1, "SAME")
    with pytest.raises(ValueError, match="padding must be"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4)), 1, "FULL")
    with pytest.raises(ValueError, match="strides must be 1 on the batch"):
        df.nn.conv2d(x, df.zeros((3, 3, 3, 4)), [2, 1, 1, 1], "SAME")


GRAD_CASES = [
    GradCase((), lambda x, w: df.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), [(2, 5, 4, 2), (3, 3, 2, 3)]),
    GradCase((), lambda x, w: df.nn.conv2d(x, w, [1, 2, 2, 1], "VALID", dilations=[1, 1, 1, 1]), [(2, 6, 6, 1),
                                                                                                   (2, 2, 1, 2)]),
    GradCase((), lambda x: df.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), [(2, 5, 5, 2)],
             inputs=lambda: [np.random.default_rng(5).permutation(100).reshape(2, 5, 5, 2) / 10.0]),
    GradCase((), lambda x: df.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"), [(2, 5, 5, 2)]),
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
