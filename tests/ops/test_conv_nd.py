"""3-D and depthwise convolution, 3-D pooling, their gradient ops, and the 1-D and generic N-D forms, against
direct loop references under uneven chunkings and TF fixtures (tests/fixtures/tf1/make_conv_fixtures.py)."""
import itertools
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op, run_graph, with_unknown_dims

TESTED_OPS = {"Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2", "MaxPool3D", "MaxPool3DGrad",
              "MaxPool3DGradGrad", "AvgPool3D", "AvgPool3DGrad", "DepthwiseConv2dNative",
              "DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropFilter"}
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1" / "conv"


# -- loop references, any number of spatial dims (channels last)

def _geometry(size, k, s, d, padding):
    """(output size, padding before) of one dim; ``padding`` "SAME", "VALID" or a (before, after) pair."""
    eff = (k - 1) * d + 1
    if padding == "VALID":
        return -(-(size - eff + 1) // s), 0
    if padding == "SAME":
        out = -(-size // s)
        return out, max((out - 1) * s + eff - size, 0) // 2
    return (size + sum(padding) - eff) // s + 1, padding[0]


def _taps(spatial, ksize, strides, padding, dilations=None):
    """Output sizes and every (output position, kernel offset, input position) meeting a real input position."""
    nd = len(spatial)
    dilations = dilations or (1,) * nd
    pads = [padding] * nd if isinstance(padding, str) else padding
    geo = [_geometry(spatial[i], ksize[i], strides[i], dilations[i], pads[i]) for i in range(nd)]
    out = tuple(g[0] for g in geo)
    taps = []
    for o in itertools.product(*map(range, out)):
        for k in itertools.product(*map(range, ksize)):
            p = tuple(o[i] * strides[i] + k[i] * dilations[i] - geo[i][1] for i in range(nd))
            if all(0 <= p[i] < spatial[i] for i in range(nd)):
                taps.append((o, k, p))
    return out, taps


def _at(pos):
    return (slice(None), *pos, slice(None))


def conv_ref(x, w, strides, padding, dil=None):
    out, taps = _taps(x.shape[1:-1], w.shape[:-2], strides, padding, dil)
    y = np.zeros((x.shape[0], *out, w.shape[-1]))
    for o, k, p in taps:
        y[_at(o)] += x[_at(p)] @ w[k]
    return y


def conv_input_ref(x_shape, w, dy, strides, padding, dil=None):
    _, taps = _taps(x_shape[1:-1], w.shape[:-2], strides, padding, dil)
    dx = np.zeros(x_shape)
    for o, k, p in taps:
        dx[_at(p)] += dy[_at(o)] @ w[k].T
    return dx


def conv_filter_ref(x, w_shape, dy, strides, padding, dil=None):
    _, taps = _taps(x.shape[1:-1], w_shape[:-2], strides, padding, dil)
    dw = np.zeros(w_shape)
    for o, k, p in taps:
        dw[k] += x[_at(p)].T @ dy[_at(o)]
    return dw


def depthwise_ref(x, w, strides, padding, dil=None):
    """Output channel c * multiplier + m is input channel c convolved with w[..., c, m]."""
    out, taps = _taps(x.shape[1:-1], w.shape[:-2], strides, padding, dil)
    c, mult = w.shape[-2:]
    y = np.zeros((x.shape[0], *out, c, mult))
    for o, k, p in taps:
        y[_at(o)] += x[_at(p)][..., None] * w[k]
    return y.reshape(y.shape[:-2] + (c * mult,))


def pool_ref(x, k, s, padding, kind, dil=None):
    out, taps = _taps(x.shape[1:-1], k, s, padding, dil)
    windows = {}
    for o, _, p in taps:
        windows.setdefault(o, []).append(x[_at(p)])
    y = np.zeros((x.shape[0], *out, x.shape[-1]), x.dtype)
    for o, vals in windows.items():
        y[_at(o)] = np.max(vals, axis=0) if kind == "max" else np.mean(vals, axis=0)
    return y


def max_pool_grad_ref(x, dy, k, s, padding):
    """Each window's gradient to its first maximum (kernel offsets in row-major order)."""
    out, taps = _taps(x.shape[1:-1], k, s, padding)
    dx = np.zeros(x.shape)
    best = {}
    for o, _, p in taps:
        for n in range(x.shape[0]):
            for c in range(x.shape[-1]):
                if (o, n, c) not in best or x[(n, *p, c)] > x[(n, *best[o, n, c], c)]:
                    best[o, n, c] = p
    for (o, n, c), p in best.items():
        dx[(n, *p, c)] += dy[(n, *o, c)]
    return dx


# -- 3-D convolution and pooling

CONV3D_CASES = [((2, 5, 4, 6, 2), (3, 2, 3, 2, 3), (1, 1, 1), "SAME", None),
                ((3, 6, 5, 5, 1), (2, 2, 2, 1, 2), (2, 1, 2), "VALID", None),
                ((2, 5, 6, 4, 2), (2, 3, 2, 2, 2), (2, 2, 1), "SAME", (1, 2, 1)),
                ((1, 4, 5, 3, 2), (2, 2, 2, 2, 1), (1, 2, 1), ((1, 0), (0, 2), (1, 1)), None)]


def _explicit(padding):
    return padding if isinstance(padding, str) else [[0, 0], *map(list, padding), [0, 0]]


@pytest.mark.parametrize("xs, ws, strides, padding, dil", CONV3D_CASES)
def test_conv3d_and_its_backprops_against_loops(xs, ws, strides, padding, dil):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    expected = conv_ref(x, w, strides, padding, dil)
    dy = rng.standard_normal(expected.shape)
    kw = dict(strides=[1, *strides, 1], padding=_explicit(padding), dilations=[1, *(dil or (1, 1, 1)), 1])
    assert tuple(df.nn.conv3d(df.constant(x), df.constant(w), **kw).shape) == expected.shape
    assert_op(lambda a, b: df.nn.conv3d(a, b, **kw), lambda a, b: expected, x, w, rtol=1e-10)
    assert_op(lambda g, b: df.nn.conv3d_transpose(g, b, list(xs), **kw),
              lambda g, b: conv_input_ref(xs, b, g, strides, padding, dil), dy, w, rtol=1e-10)
    assert_op(lambda a, g: df.nn.conv3d_backprop_filter(a, list(ws), g, **kw),
              lambda a, g: conv_filter_ref(a, ws, g, strides, padding, dil), x, dy, rtol=1e-10)


def test_conv3d_ncdhw_names_and_fixture():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 5, 4, 6)), rng.standard_normal((2, 3, 2, 3, 4))
    expected = conv_ref(x.transpose(0, 2, 3, 4, 1), w, (2, 1, 2), "SAME").transpose(0, 4, 1, 2, 3)
    got = run_graph(lambda a: df.nn.conv3d(a, w, [1, 1, 2, 1, 2], "SAME", data_format="NCDHW"), x)
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    ph = df.placeholder(df.float32, (None, 5, 6, 7, 3))
    y = df.nn.conv3d(ph, df.zeros((2, 2, 2, 3, 4)), [1, 2, 2, 2, 1], "SAME", name="c3")
    assert y.name == "c3:0" and y.op.type == "Conv3D" and y.shape.as_list() == [None, 3, 3, 4, 4]
    t = df.nn.conv3d_transpose(df.zeros((2, 3, 3, 4, 4)), df.zeros((2, 2, 2, 3, 4)), [2, 5, 6, 7, 3], 2)
    assert t.name == "conv3d_transpose:0" and t.op.type == "Conv3DBackpropInputV2"
    f = np.load(FIXTURES / "conv3d_transpose.npz", allow_pickle=False)
    got = run_graph(lambda v: df.nn.conv3d_transpose(v, f["f"], [2, 6, 4, 5, 5], [1, 2, 2, 2, 1], "SAME"), f["v"])
    np.testing.assert_allclose(got, f["out0"], rtol=1e-10)


POOL3D_CASES = [((2, 4, 5, 6, 2), (2, 2, 2), (2, 2, 2), "VALID"), ((2, 5, 4, 5, 1), (3, 2, 3), (2, 1, 2), "SAME"),
                ((1, 3, 5, 4, 2), (1, 3, 2), (1, 2, 1), "SAME")]


@pytest.mark.parametrize("shape, k, s, padding", POOL3D_CASES)
def test_pool3d_and_its_gradients_against_loops(shape, k, s, padding):
    rng = np.random.default_rng(2)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 7.0  # distinct values: one maximum per window
    kw = dict(ksize=[1, *k, 1], strides=[1, *s, 1], padding=padding)
    assert_op(lambda a: df.nn.max_pool3d(a, **kw), lambda a: pool_ref(a, k, s, padding, "max"), x, rtol=0, atol=0)
    assert_op(lambda a: df.nn.avg_pool3d(a, **kw), lambda a: pool_ref(a, k, s, padding, "avg"), x, rtol=1e-12)
    dy = rng.standard_normal(pool_ref(x, k, s, padding, "max").shape)
    assert_op(lambda a, g: df.gradients(df.nn.max_pool3d(a, **kw), a, grad_ys=g)[0],
              lambda a, g: max_pool_grad_ref(a, g, k, s, padding), x, dy, rtol=1e-12)


def test_pool3d_channels_first_int_forms_and_dtypes():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5, 6))
    got = run_graph(lambda a: [df.nn.max_pool3d(a, 2, 2, "SAME", data_format="NCDHW"),
                               df.nn.avg_pool3d(a, [1, 2, 3], [1, 1, 2], "VALID", data_format="NCDHW")], x)
    last = x.transpose(0, 2, 3, 4, 1)
    np.testing.assert_array_equal(got[0], pool_ref(last, (2, 2, 2), (2, 2, 2), "SAME", "max").transpose(0, 4, 1, 2, 3))
    np.testing.assert_allclose(got[1], pool_ref(last, (1, 2, 3), (1, 1, 2), "VALID", "avg").transpose(0, 4, 1, 2, 3))
    xi = np.random.default_rng(4).integers(-50, 50, (2, 3, 4, 5, 2)).astype("i4")
    assert_op(lambda a: df.nn.max_pool3d(a, 2, 1, "SAME"), lambda a: pool_ref(a, (2,) * 3, (1,) * 3, "SAME", "max"),
              xi, rtol=0, atol=0)
    p = df.nn.max_pool3d(df.placeholder(df.float32, (None, 4, 5, 6, 3)), 2, 2, "SAME", name="p")
    assert p.name == "p:0" and p.op.type == "MaxPool3D" and p.shape.as_list() == [None, 2, 3, 3, 3]


# -- depthwise and separable

DEPTHWISE_CASES = [((2, 6, 5, 3), (3, 3, 3, 2), (1, 1), "SAME", None),
                   ((3, 7, 7, 2), (2, 3, 2, 1), (2, 2), "VALID", None),
                   ((2, 8, 7, 2), (3, 2, 2, 3), (1, 1), "SAME", (2, 3)),
                   ((2, 5, 6, 1), (2, 2, 1, 2), (2, 1), ((1, 0), (2, 1)), None)]


@pytest.mark.parametrize("xs, ws, strides, padding, dil", DEPTHWISE_CASES)
def test_depthwise_conv2d_and_its_backprops_against_loops(xs, ws, strides, padding, dil):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    expected = depthwise_ref(x, w, strides, padding, dil)
    dy = rng.standard_normal(expected.shape)
    kw = dict(strides=[1, *strides, 1], padding=_explicit(padding), dilations=[1, *(dil or (1, 1)), 1])
    assert_op(lambda a, b: df.nn.depthwise_conv2d_native(a, b, **kw), lambda a, b: expected, x, w, rtol=1e-10)
    # the backprops against the forward's adjoint: <dy, conv(x, w)> is bilinear in x and w
    dx = run_graph(lambda g, b: df.nn.depthwise_conv2d_native_backprop_input(list(xs), b, g, **kw), dy, w)
    np.testing.assert_allclose(np.vdot(dx, x), np.vdot(dy, expected), rtol=1e-10)
    dw = run_graph(lambda a, g: df.nn.depthwise_conv2d_backprop_filter(a, list(ws), g, **kw), x, dy)
    np.testing.assert_allclose(np.vdot(dw, w), np.vdot(dy, expected), rtol=1e-10)
    for i in range(xs[-1]):  # each input channel's gradient is its own column of ordinary convolutions
        sub = w[..., i:i + 1, :]
        np.testing.assert_allclose(dx[..., i], conv_input_ref(xs[:-1] + (1,), sub, dy[..., i * ws[3]:(i + 1) * ws[3]],
                                                              strides, padding, dil)[..., 0], rtol=1e-10, atol=1e-12)


def test_depthwise_and_separable_against_tf():
    f = np.load(FIXTURES / "depthwise_rate.npz", allow_pickle=False)
    got = run_graph(lambda a, b: df.nn.depthwise_conv2d(a, b, [1, 1, 1, 1], "SAME", rate=[2, 3]), f["x"], f["w"])
    np.testing.assert_allclose(got, f["out0"], rtol=1e-10)
    f = np.load(FIXTURES / "depthwise_strided.npz", allow_pickle=False)
    assert_op(lambda a: df.nn.depthwise_conv2d(a, f["w"], [1, 2, 2, 1], "VALID"), lambda a: f["out0"], f["x"],
              rtol=1e-10)
    f = np.load(FIXTURES / "separable.npz", allow_pickle=False)
    y = df.nn.separable_conv2d(df.constant(f["x"]), f["dw"], f["pw"], [1, 2, 2, 1], "SAME")
    assert y.name == "separable_conv2d:0" and y.op.inputs[0].op.name == "separable_conv2d/depthwise"
    np.testing.assert_allclose(y.compute(), f["out0"], rtol=1e-10)
    d = df.nn.depthwise_conv2d(df.zeros((1, 4, 4, 2)), df.zeros((2, 2, 2, 3)), [1, 1, 1, 1], "SAME")
    assert d.name == "depthwise:0" and d.op.type == "DepthwiseConv2dNative" and d.shape.as_list() == [1, 4, 4, 6]


# -- 1-D and generic N-D forms

def test_pool1d_and_pool_v2():
    x = np.random.default_rng(6).permutation(2 * 9 * 3).reshape(2, 9, 3) / 5.0
    ref = pool_ref(x, (2,), (2,), "SAME", "max")
    assert_op(lambda a: df.nn.max_pool1d(a, 2, 2, "SAME"), lambda a: ref, x, rtol=0, atol=0)
    got = run_graph(lambda a: df.nn.avg_pool1d(a, [1, 1, 3], [1, 1, 2], "VALID", data_format="NCW"),
                    x.transpose(0, 2, 1))
    np.testing.assert_allclose(got, pool_ref(x, (3,), (2,), "VALID", "avg").transpose(0, 2, 1))
    got = run_graph(lambda a: [df.nn.max_pool_v2(a, 2, 2, "SAME"), df.nn.avg_pool_v2(a, 3, 1, "VALID")], x)
    np.testing.assert_allclose(got[0], ref)
    np.testing.assert_allclose(got[1], pool_ref(x, (3,), (1,), "VALID", "avg"))
    v = np.random.default_rng(7).standard_normal((2, 4, 5, 3, 2))
    got = run_graph(lambda a: [df.nn.max_pool_v2(a, 2, 2, "SAME"), df.nn.avg_pool_v2(a[:, 0], 2, 1, "VALID")], v)
    np.testing.assert_allclose(got[0], pool_ref(v, (2,) * 3, (2,) * 3, "SAME", "max"))
    np.testing.assert_allclose(got[1], pool_ref(v[:, 0], (2, 2), (1, 1), "VALID", "avg"))


def test_transposed_convolutions():
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 4, 3))
    assert_op(lambda a: df.nn.conv1d_transpose(a, w, [2, 18, 4], 2),
              lambda a: conv_input_ref((2, 18, 4), w, a, (2,), "SAME"), x, rtol=1e-10)
    got = run_graph(lambda a: df.nn.conv_transpose(a, w, [2, 17, 4], [2], "VALID"), x[:, :8])
    np.testing.assert_allclose(got, conv_input_ref((2, 17, 4), w, x[:, :8], (2,), "VALID"), rtol=1e-10)
    x2, w2 = rng.standard_normal((2, 4, 3, 3)), rng.standard_normal((3, 3, 5, 3))
    got = run_graph(lambda a: df.nn.conv_transpose(a, w2, [2, 8, 6, 5], 2), x2)
    np.testing.assert_allclose(got, conv_input_ref((2, 8, 6, 5), w2, x2, (2, 2), "SAME"), rtol=1e-10)
    f = np.load(FIXTURES / "atrous_transpose.npz", allow_pickle=False)
    got = run_graph(lambda v: df.nn.atrous_conv2d_transpose(v, f["f"], [2, 6, 5, 2], 2, "SAME"), f["v"])
    np.testing.assert_allclose(got, f["out0"], rtol=1e-10)


def test_convolution_and_pool():
    rng = np.random.default_rng(9)
    for xs, ws, dil in [((2, 9, 2), (3, 2, 3), (2,)), ((2, 7, 6, 2), (3, 2, 2, 3), (2, 1)),
                        ((1, 5, 6, 4, 2), (2, 2, 2, 2, 2), (1, 2, 1))]:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        got = run_graph(lambda a: df.nn.convolution(a, w, "SAME", dilation_rate=list(dil)), x)
        np.testing.assert_allclose(got, conv_ref(x, w, (1,) * len(dil), "SAME", dil), rtol=1e-10)
    got = run_graph(lambda a: df.nn.convolution(a, w, "VALID", strides=[1, 2, 2], data_format="NCDHW"),
                    x.transpose(0, 4, 1, 2, 3))
    np.testing.assert_allclose(got, conv_ref(x, w, (1, 2, 2), "VALID").transpose(0, 4, 1, 2, 3), rtol=1e-10)
    f = np.load(FIXTURES / "pool_dilated.npz", allow_pickle=False)
    assert_op(lambda a: [df.nn.pool(a, [2, 3], "MAX", "VALID", dilation_rate=[2, 2]),
                         df.nn.pool(a, [3, 2], "AVG", "VALID", dilation_rate=[1, 3])],
              lambda a: [f["out0"], f["out1"]], f["x"], rtol=1e-12)
    x1 = rng.standard_normal((2, 11, 3))
    got = run_graph(lambda a: df.nn.pool(a, [3], "MAX", "VALID", dilation_rate=[2]), x1)
    np.testing.assert_allclose(got, pool_ref(x1, (3,), (1,), "VALID", "max", (2,)))
    got = run_graph(lambda a: df.nn.pool(a, [2, 2, 2], "AVG", "SAME", strides=[2, 2, 2]), x)
    np.testing.assert_allclose(got, pool_ref(x, (2,) * 3, (2,) * 3, "SAME", "avg"))


def test_errors():
    x = df.placeholder(df.float32, (2, 5, 6, 7, 3))
    with pytest.raises(df.errors.InvalidArgumentError, match="3 channels, but the filter .* expects: 3 does not "
                                                               "match the expected 2"):
        df.nn.conv3d(x, df.zeros((2, 2, 2, 2, 4)), [1] * 5, "SAME")
    with pytest.raises(ValueError, match="strides must be a positive int or a list of 1, 3 or 5"):
        df.nn.conv3d(x, df.zeros((2, 2, 2, 3, 4)), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        df.nn.conv3d(x, df.zeros((2, 2, 2, 3, 4)), [1] * 5, "FULL")
    with pytest.raises(ValueError, match="data_format must be 'NDHWC' or 'NCDHW'"):
        df.nn.max_pool3d(x, 2, 2, "SAME", data_format="NHWC")
    with pytest.raises(df.errors.InvalidArgumentError, match="does not fit"):
        df.nn.avg_pool3d(x, [1, 6, 2, 2, 1], [1, 2, 2, 2, 1], "VALID")
    with pytest.raises(df.errors.InvalidArgumentError, match="must be 5-D"):
        df.nn.conv3d(df.zeros((2, 5, 5, 3)), df.zeros((2, 2, 2, 3, 4)), 1, "SAME")
    with pytest.raises(df.errors.InvalidArgumentError, match="out_backprop .* has dim 1 of size: 6 does not match"):
        df.nn.conv3d_transpose(df.zeros((2, 6, 3, 4, 4)), df.zeros((2, 2, 2, 3, 4)), [2, 5, 6, 7, 3], 2)
    x4 = df.placeholder(df.float32, (2, 5, 6, 3))
    with pytest.raises(df.errors.InvalidArgumentError, match="3 channels, but the filter"):
        df.nn.depthwise_conv2d(x4, df.zeros((3, 3, 2, 2)), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="strides > 1 are not supported in conjunction with rate > 1"):
        df.nn.depthwise_conv2d(x4, df.zeros((3, 3, 3, 2)), [1, 2, 2, 1], "SAME", rate=[2, 2])
    with pytest.raises(ValueError, match="pointwise_filter must be 1x1"):
        df.nn.separable_conv2d(x4, df.zeros((3, 3, 3, 2)), df.zeros((2, 1, 6, 5)), [1, 1, 1, 1], "SAME")
    with pytest.raises(df.errors.InvalidArgumentError, match="6 channels, but filter .* expects: 6 does not match"):
        df.nn.separable_conv2d(x4, df.zeros((3, 3, 3, 2)), df.zeros((1, 1, 5, 5)), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="2-D MIN pooling is not supported."):
        df.nn.pool(x4, [2, 2], "MIN", "VALID")
    with pytest.raises(ValueError, match="pooling with 'SAME' padding is not implemented for `dilation_rate` > 1"):
        df.nn.pool(x4, [2, 2], "MAX", "SAME", dilation_rate=[2, 2])
    with pytest.raises(ValueError, match="strides > 1 not supported in conjunction with dilation_rate > 1"):
        df.nn.convolution(x, df.zeros((2, 2, 2, 3, 4)), "SAME", strides=[2, 2, 2], dilation_rate=[2, 2, 2])
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        df.nn.max_pool_v2(df.zeros((2, 3)), 2, 2, "SAME")


# -- gradients (GRAD_CASES rows, checked by tests/autodiff/test_op_grads.py)

def _distinct(*shape, seed=5):
    return lambda: [np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) / 10.0]


def _pool3d_grad(pool, x, g):
    return df.gradients(pool(x, 2, 2, "SAME"), x, grad_ys=g)[0]


def _pool3d_grad_grad(x, d):
    c = df.zeros((2, 2, 2, 2, 2), df.float64)
    return df.gradients(_pool3d_grad(df.nn.max_pool3d, x, c), c, grad_ys=d)[0]


_CONV3D_OPS = ("Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2")
_DEPTHWISE_OPS = ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
                  "DepthwiseConv2dNativeBackpropFilter")

GRAD_CASES = [
    GradCase(_CONV3D_OPS, lambda x, w: df.nn.conv3d(x, w, [1, 1, 1, 1, 1], "SAME"), [(2, 3, 4, 3, 2), (2, 2, 2, 2, 2)],
             order=2),
    GradCase("Conv3D", lambda x, w: df.nn.conv3d(x, w, [1, 2, 1, 2, 1], "VALID", dilations=[1, 1, 2, 1, 1]),
             [(2, 5, 5, 4, 1), (2, 2, 2, 1, 2)]),
    GradCase(_CONV3D_OPS, lambda g, w: df.nn.conv3d_transpose(g, w, [2, 4, 3, 4, 2], [1, 2, 2, 2, 1], "SAME"),
             [(2, 2, 2, 2, 3), (2, 2, 2, 2, 3)], order=2),
    GradCase(_CONV3D_OPS, lambda x, g: df.nn.conv3d_backprop_filter(x, [2, 2, 2, 2, 2], g, [1] * 5, "VALID"),
             [(2, 3, 3, 3, 2), (2, 2, 2, 2, 2)], order=2),
    GradCase(_CONV3D_OPS, with_unknown_dims(lambda x, w: df.nn.conv3d(x, w, [1, 2, 1, 1, 1], "SAME")),
             [(2, 3, 3, 2, 2), (2, 1, 2, 2, 3)]),
    GradCase("MaxPool3D", lambda x: df.nn.max_pool3d(x, 2, 2, "SAME"), [(2, 3, 4, 3, 2)],
             inputs=_distinct(2, 3, 4, 3, 2)),
    GradCase("MaxPool3DGrad", lambda x, g: _pool3d_grad(df.nn.max_pool3d, x, g), [(2, 4, 3, 4, 2), (2, 2, 2, 2, 2)],
             inputs=lambda: _distinct(2, 4, 3, 4, 2)() + [np.random.default_rng(6).uniform(-1, 1, (2, 2, 2, 2, 2))],
             order=2),
    GradCase("MaxPool3DGradGrad", _pool3d_grad_grad, [(2, 4, 3, 4, 2), (2, 4, 3, 4, 2)],
             inputs=lambda: _distinct(2, 4, 3, 4, 2)() + [np.random.default_rng(7).uniform(-1, 1, (2, 4, 3, 4, 2))]),
    GradCase("AvgPool3D", lambda x: df.nn.avg_pool3d(x, [2, 3, 2], [1, 2, 2], "SAME"), [(2, 3, 5, 4, 2)], order=2),
    GradCase("AvgPool3DGrad", lambda g: _pool3d_grad(df.nn.avg_pool3d, df.zeros((2, 4, 3, 4, 2), df.float64), g),
             [(2, 2, 2, 2, 2)], order=2),
    GradCase(_DEPTHWISE_OPS, lambda x, w: df.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"),
             [(2, 5, 4, 3), (3, 2, 3, 2)], order=2),
    GradCase(_DEPTHWISE_OPS, with_unknown_dims(lambda x, w: df.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")),
             [(2, 4, 3, 2), (2, 2, 2, 2)]),
    GradCase("AvgPool3D", with_unknown_dims(lambda x: df.nn.avg_pool3d(x, 2, [1, 2, 1], "SAME")), [(2, 3, 3, 2, 2)]),
    GradCase("DepthwiseConv2dNative", lambda x, w: df.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "VALID"),
             [(2, 6, 5, 2), (2, 2, 2, 3)]),
    GradCase(_DEPTHWISE_OPS, lambda g, w: df.nn.depthwise_conv2d_native_backprop_input([2, 5, 4, 2], w, g,
                                                                                       [1, 2, 2, 1], "SAME"),
             [(2, 3, 2, 4), (2, 3, 2, 2)], order=2),
    GradCase(_DEPTHWISE_OPS, lambda x, g: df.nn.depthwise_conv2d_native_backprop_filter(x, [2, 2, 2, 2], g,
                                                                                        [1, 1, 1, 1], "VALID",
                                                                                        dilations=[1, 2, 1, 1]),
             [(2, 5, 4, 2), (2, 3, 3, 4)], order=2),
    GradCase(("DepthwiseConv2dNative", "Conv2D"),
             lambda x, d, p: df.nn.separable_conv2d(x, d, p, [1, 1, 1, 1], "SAME", rate=2),
             [(2, 5, 5, 2), (2, 2, 2, 2), (1, 1, 4, 3)]),
]


def test_conv2d_backprop_v2_take_shapes_from_tensors():
    rng = np.random.default_rng(5)
    x, w, dy = rng.random((2, 5, 5, 3)), rng.random((3, 3, 3, 4)), rng.random((2, 3, 3, 4))
    with df.Graph().as_default(), df.Session() as s:
        xt, wt = df.constant(x), df.constant(w)
        loss = df.reduce_sum(df.nn.conv2d(xt, wt, [1, 1, 1, 1], "VALID") * dy)
        gx, gw = df.gradients(loss, [xt, wt])
        got_w, got_x, want_x, want_w = s.run([df.conv2d_backprop_filter_v2(x, w, dy, [1, 1, 1, 1], "VALID"),
                                              df.conv2d_backprop_input_v2(x, w, dy, [1, 1, 1, 1], "VALID"), gx, gw])
    np.testing.assert_allclose(got_w, want_w, rtol=1e-10)
    np.testing.assert_allclose(got_x, want_x, rtol=1e-10)
    with pytest.raises(ValueError, match="explicit paddings"):
        df.conv2d_backprop_input_v2(x, w, dy, [1, 1, 1, 1], "EXPLICIT", explicit_paddings=[0] * 8)
