"""Space to depth and batch rearrangements, patch extraction, max pooling with argmax, grayscale dilation and
erosion, and local response normalization: against numpy loop references and TF fixtures
(tests/fixtures/tf1/make_conv_fixtures.py), under uneven chunkings, with their gradients."""
import itertools
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops import conv_nd
from daskflow.testing import GradCase, assert_op, run_graph

TESTED_OPS = {"ExtractImagePatches", "ExtractImagePatchesGrad", "ExtractVolumePatches", "ExtractVolumePatchesGrad",
              "MaxPoolWithArgmax", "Dilation2D", "Dilation2DBackpropInput", "Dilation2DBackpropFilter",
              "Dilation2DGather"}
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1" / "conv"


def _fixture(name):
    return np.load(FIXTURES / f"{name}.npz", allow_pickle=False)


# -- references

def space_to_depth_ref(x, b):
    n, h, w, c = x.shape
    out = np.zeros((n, h // b, w // b, b * b * c))
    for i, j, di, dj in itertools.product(range(h // b), range(w // b), range(b), range(b)):
        out[:, i, j, (di * b + dj) * c:(di * b + dj + 1) * c] = x[:, i * b + di, j * b + dj]
    return out


def space_to_batch_ref(x, block, pads):
    """Output batch (offsets within the block row-major) * n + b, as TF documents."""
    p = np.pad(x, [(0, 0), *pads] + [(0, 0)] * (x.ndim - 1 - len(block)))
    n, m = x.shape[0], len(block)
    out_sp = [p.shape[1 + i] // block[i] for i in range(m)]
    out = np.zeros((n * int(np.prod(block)), *out_sp, *x.shape[1 + m:]))
    for k, off in enumerate(itertools.product(*map(range, block))):
        for pos in itertools.product(*map(range, out_sp)):
            src = tuple(pos[i] * block[i] + off[i] for i in range(m))
            out[(slice(k * n, (k + 1) * n), *pos)] = p[(slice(None), *src)]
    return out


def patches_ref(x, k, s, r, padding):
    """(n, *out, prod(k) * c): each output position's window, zero outside the input."""
    nd = len(k)
    eff = [(k[i] - 1) * r[i] + 1 for i in range(nd)]
    if padding == "VALID":
        out = [-(-(x.shape[1 + i] - eff[i] + 1) // s[i]) for i in range(nd)]
        before = [0] * nd
    else:
        out = [-(-x.shape[1 + i] // s[i]) for i in range(nd)]
        before = [max((out[i] - 1) * s[i] + eff[i] - x.shape[1 + i], 0) // 2 for i in range(nd)]
    c = x.shape[-1]
    y = np.zeros((x.shape[0], *out, int(np.prod(k)) * c))
    for o in itertools.product(*map(range, out)):
        for t, off in enumerate(itertools.product(*map(range, k))):
            p = [o[i] * s[i] + off[i] * r[i] - before[i] for i in range(nd)]
            if all(0 <= p[i] < x.shape[1 + i] for i in range(nd)):
                y[(slice(None), *o, slice(t * c, (t + 1) * c))] = x[(slice(None), *p)]
    return y


# -- space and depth

def test_space_to_depth_and_back():
    f = _fixture("space_depth")
    x = f["x"]
    np.testing.assert_array_equal(space_to_depth_ref(x, 2), f["out0"])
    assert_op(lambda a: df.nn.space_to_depth(a, 2), lambda a: f["out0"], x, rtol=0, atol=0)
    assert_op(lambda a: df.nn.depth_to_space(a[:, :, :, :8], 2), lambda a: f["out1"], f["out0"], rtol=0, atol=0)
    got = run_graph(lambda a: conv_nd.space_to_depth(a, 2, data_format="NCHW"), x.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(got, f["out0"].transpose(0, 3, 1, 2))
    ph = df.placeholder(df.float64, (None, 4, 6, 3))
    y = df.nn.space_to_depth(ph, 2, name="s2d")
    assert y.name == "s2d:0" and y.shape.as_list() == [None, 2, 3, 12]
    got = run_graph(lambda a: df.nn.depth_to_space(df.nn.space_to_depth(a, 2), 2), x, feed_static_shape=False)
    np.testing.assert_array_equal(got, x)


def test_space_to_batch_and_back():
    f = _fixture("space_batch")
    x = f["x"]
    np.testing.assert_array_equal(space_to_batch_ref(x, [2, 3], [(1, 0), (0, 2)]), f["out0"])
    assert_op(lambda a: conv_nd.space_to_batch_nd(a, [2, 3], [[1, 0], [0, 2]]), lambda a: f["out0"], x, rtol=0,
              atol=0)
    assert_op(lambda a: conv_nd.batch_to_space_nd(a[:, :4], [1, 2], [[1, 2], [0, 1]]), lambda a: f["out1"], x,
              rtol=0, atol=0)
    got = run_graph(lambda a: df.nn.space_to_batch(a[:, :, :, 0], [[1, 0], [0, 2]], 2), x)
    np.testing.assert_array_equal(got, f["out2"])
    got = run_graph(lambda a: conv_nd.batch_to_space(df.reshape(a[:, :4, :, :, 0], [8, 2, 3, 2]),
                                                     [[0, 1], [1, 0]], 2), x)
    np.testing.assert_array_equal(got, f["out3"])
    back = run_graph(lambda a: conv_nd.batch_to_space_nd(conv_nd.space_to_batch_nd(a, [2, 3], [[1, 0], [0, 2]]),
                                                         [2, 3], [[1, 0], [0, 2]]), x, feed_static_shape=False)
    np.testing.assert_array_equal(back, x)
    p, c = conv_nd.required_space_to_batch_paddings([5, 7, 4], [2, 3, 4], [[1, 0], [2, 2], [0, 1]])
    r = _fixture("required_paddings")
    np.testing.assert_array_equal(p.compute(), r["out0"])
    np.testing.assert_array_equal(c.compute(), r["out1"])
    assert p.dtype == df.int32 and p.name.endswith("paddings:0")


def test_with_space_to_batch():
    f = _fixture("with_space_to_batch")
    w = np.arange(12.0).reshape(3, 2, 2, 1)
    got = run_graph(lambda a: df.nn.with_space_to_batch(a, [2, 3], "SAME", lambda i, n, p: df.nn.conv2d(
        i, w, [1, 1, 1, 1], p), filter_shape=[3, 2]), f["x"])
    np.testing.assert_allclose(got, f["out0"], rtol=1e-12)
    # an op on the space-to-batch form equals the dilated op directly
    got = run_graph(lambda a: df.nn.with_space_to_batch(a, [2, 3], "VALID", lambda i, n, p: df.nn.conv2d(
        i, w, 1, p)), f["x"])
    np.testing.assert_allclose(got, run_graph(lambda a: df.nn.conv2d(a, w, 1, "VALID", dilations=[2, 3]), f["x"]),
                               rtol=1e-12)


# -- patches

PATCH_CASES = [((2, 7, 6, 2), (3, 2), (2, 1), (1, 2), "SAME"), ((3, 6, 5, 1), (2, 2), (2, 2), (1, 1), "VALID"),
               ((2, 5, 4, 3, 2), (2, 2, 1), (2, 1, 2), (1, 1, 1), "SAME")]


@pytest.mark.parametrize("shape, k, s, r, padding", PATCH_CASES)
def test_patches_against_loops(shape, k, s, r, padding):
    x = np.random.default_rng(0).standard_normal(shape)
    kw = dict(ksizes=[1, *k, 1], strides=[1, *s, 1], padding=padding)
    if len(k) == 2:
        build = lambda a: conv_nd.extract_image_patches(a, rates=[1, *r, 1], **kw)  # noqa: E731
    else:
        build = lambda a: conv_nd.extract_volume_patches(a, **kw)  # noqa: E731
    expected = assert_op(build, lambda a: patches_ref(a, k, s, r, padding), x, rtol=0, atol=0)
    dy = np.random.default_rng(1).standard_normal(expected.shape)
    # patch extraction is a selection: its gradient is the adjoint, <dy, P x> = <P^T dy, x>
    dx = run_graph(lambda a, g: df.gradients(build(a), a, grad_ys=g)[0], x, dy)
    np.testing.assert_allclose(np.vdot(dx, x), np.vdot(dy, expected), rtol=1e-10)


def test_patches_against_tf():
    f = _fixture("patches")
    got = run_graph(lambda a: [conv_nd.extract_image_patches(a, [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 2, 1], "SAME"),
                               conv_nd.extract_volume_patches(df.reshape(a, [2, 7, 3, 2, 2]), [1, 2, 2, 1, 1],
                                                              [1, 2, 1, 2, 1], "SAME")], f["x"])
    np.testing.assert_array_equal(got[0], f["out0"])
    np.testing.assert_array_equal(got[1], f["out1"])
    xi = np.arange(2 * 4 * 4 * 1, dtype="i4").reshape(2, 4, 4, 1)
    got = run_graph(lambda a: conv_nd.extract_image_patches(a, sizes=[1, 2, 2, 1], strides=[1, 2, 2, 1],
                                                            rates=[1, 1, 1, 1], padding="VALID"), xi)
    np.testing.assert_array_equal(got, patches_ref(xi, (2, 2), (2, 2), (1, 1), "VALID"))


# -- max_pool_with_argmax

def test_max_pool_with_argmax_against_tf():
    f = _fixture("argmax")
    x = f["x"]
    out, idx = df.nn.max_pool_with_argmax(df.constant(x), [1, 3, 2, 1], [1, 2, 2, 1], "SAME")
    assert idx.dtype == df.int64 and out.op.type == "MaxPoolWithArgmax"
    got = run_graph(lambda a: list(df.nn.max_pool_with_argmax(a, [1, 3, 2, 1], [1, 2, 2, 1], "SAME")), x,
                    chunks=[((1, 1), 5, 7, 3)])
    np.testing.assert_array_equal(got[0], f["out0"])
    np.testing.assert_array_equal(got[1], f["out1"])
    assert_op(lambda a: df.nn.max_pool_with_argmax(a, [1, 2, 2, 1], [1, 2, 1, 1], "VALID",
                                                   include_batch_in_index=True).argmax,
              lambda a: f["out2"], x, rtol=0, atol=0)
    pooled = run_graph(lambda a: df.nn.max_pool(a, 2, [2, 1], "VALID"), x)
    np.testing.assert_array_equal(x.reshape(-1)[f["out2"]], pooled)  # the index reads back each maximum
    dy = np.random.default_rng(2).standard_normal(f["out0"].shape)
    got = run_graph(lambda a, g: df.gradients(df.nn.max_pool_with_argmax(a, [1, 3, 2, 1], [1, 2, 2, 1], "SAME")[0],
                                              a, grad_ys=g)[0], x, dy)
    expected = np.zeros(x.size)
    np.add.at(expected, (f["out1"] + np.arange(2)[:, None, None, None] * x[0].size).ravel(), dy.ravel())
    np.testing.assert_allclose(got, expected.reshape(x.shape))
    got = run_graph(lambda a: df.nn.max_pool_with_argmax(a, [1, 3, 2, 1], [1, 2, 2, 1], "SAME",
                                                         output_dtype=df.int32).argmax, x)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, f["out1"])


# -- dilation and erosion

def dilation_ref(x, w, s, r, padding, erode=False):
    k = w.shape[:2]
    eff = [(k[i] - 1) * r[i] + 1 for i in range(2)]
    if padding == "VALID":
        out = [-(-(x.shape[1 + i] - eff[i] + 1) // s[i]) for i in range(2)]
        before = [0, 0]
    else:
        out = [-(-x.shape[1 + i] // s[i]) for i in range(2)]
        before = [max((out[i] - 1) * s[i] + eff[i] - x.shape[1 + i], 0) // 2 for i in range(2)]
    y = np.full((x.shape[0], *out, x.shape[3]), np.inf if erode else -np.inf)
    for i, j, a, b in itertools.product(range(out[0]), range(out[1]), range(k[0]), range(k[1])):
        p, q = i * s[0] + a * r[0] - before[0], j * s[1] + b * r[1] - before[1]
        if 0 <= p < x.shape[1] and 0 <= q < x.shape[2]:
            if erode:  # erosion by the kernel: its taps taken reflected, as TF defines it
                y[:, i, j] = np.minimum(y[:, i, j], x[:, p, q] - w[k[0] - 1 - a, k[1] - 1 - b])
            else:
                y[:, i, j] = np.maximum(y[:, i, j], x[:, p, q] + w[a, b])
    return y


def test_dilation_and_erosion_against_loops_and_tf():
    f = _fixture("morphology")
    x, w = f["x"], f["w"]
    np.testing.assert_allclose(dilation_ref(x, w, (2, 1), (1, 2), "SAME"), f["out0"], rtol=1e-12)
    np.testing.assert_allclose(dilation_ref(x, w, (1, 2), (2, 1), "VALID", erode=True), f["out1"], rtol=1e-12)
    assert_op(lambda a, b: df.nn.dilation2d(a, b, [1, 2, 1, 1], [1, 1, 2, 1], "SAME"), lambda a, b: f["out0"], x, w,
              rtol=1e-12)
    assert_op(lambda a, b: df.nn.erosion2d(a, b, [1, 1, 2, 1], [1, 2, 1, 1], "VALID"), lambda a, b: f["out1"], x, w,
              rtol=1e-12)
    got = run_graph(lambda a, b: df.gradients(df.reduce_sum(df.nn.dilation2d(a, b, [1, 2, 1, 1], [1, 1, 2, 1],
                                                                             "SAME") ** 2), [a, b]), x, w)
    np.testing.assert_allclose(got[0], f["out2"], rtol=1e-12)
    np.testing.assert_allclose(got[1], f["out3"], rtol=1e-12)
    d = df.nn.dilation2d(df.placeholder(df.float32, (None, 7, 6, 3)), df.zeros((2, 2, 3)), [1, 1, 1, 1],
                         [1, 1, 1, 1], "VALID")
    assert d.name == "Dilation2D:0" and d.shape.as_list() == [None, 6, 5, 3]


# -- local response normalization

def lrn_ref(x, r, bias, alpha, beta):
    sq = np.pad(x.astype("f8") ** 2, [(0, 0)] * 3 + [(r, r)])
    total = sum(sq[..., i:i + x.shape[3]] for i in range(2 * r + 1))
    return x / (bias + alpha * total) ** beta


def test_lrn_against_reference_and_tf():
    f = _fixture("lrn")
    x = f["x"]
    np.testing.assert_allclose(lrn_ref(x, 2, 0.5, 0.3, 0.75), f["out0"], rtol=1e-5)
    assert_op(lambda a: df.nn.local_response_normalization(a, 2, 0.5, 0.3, 0.75), lambda a: f["out0"], x,
              rtol=1e-5)
    got = run_graph(lambda a: df.gradients(df.reduce_sum(df.nn.lrn(a, 1) * a), a)[0], x)
    np.testing.assert_allclose(got, f["out1"], rtol=1e-4, atol=1e-5)
    assert df.nn.lrn(df.constant(x)).name == "LRN:0"


# -- build-time errors

def test_errors():
    x = df.placeholder(df.float32, (2, 5, 6, 3))
    with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 2 but is 5"):
        df.nn.space_to_depth(x, 2)
    with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 4 but is 3"):
        df.nn.depth_to_space(x, 2)
    with pytest.raises(ValueError, match="must be at least minimum 2"):
        df.nn.space_to_depth(x, 1)
    with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 2 but is 7"):
        conv_nd.batch_to_space_nd(df.zeros((7, 3, 3, 1)), [2, 2], [[0, 0], [0, 0]])
    with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 2 but is 5"):
        conv_nd.space_to_batch_nd(x, [2, 2], [[0, 0], [0, 0]])
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        df.nn.lrn(df.zeros((2, 9, 3)), 2)
    with pytest.raises(TypeError, match="float64 not in list of allowed values"):
        df.nn.lrn(df.zeros((2, 3, 3, 3), df.float64), 2)
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        conv_nd.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "FULL")
    with pytest.raises(df.errors.InvalidArgumentError, match="does not fit"):
        conv_nd.extract_volume_patches(df.zeros((1, 2, 3, 3, 1)), [1, 3, 1, 1, 1], [1] * 5, "VALID")
    with pytest.raises(df.errors.InvalidArgumentError, match="3 channels, but the filter"):
        df.nn.dilation2d(x, df.zeros((2, 2, 2)), [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="filter_shape must be specified for SAME padding"):
        df.nn.with_space_to_batch(x, [2, 2], "SAME", lambda i, n, p: i)


def test_names_are_bound_at_top_level_as_in_tf():
    for n in conv_nd.__all__:
        assert getattr(df, n) is getattr(conv_nd, n), n


# -- gradients (GRAD_CASES rows, checked by tests/autodiff/test_op_grads.py)

def _distinct(*shape, seed=5):
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) / 10.0


def _dilation_inputs():
    """Distinct sums of input and filter values: one maximum per window."""
    return [_distinct(2, 5, 4, 2), np.random.default_rng(6).permutation(12).reshape(3, 2, 2) / 7.0]


def _dilation_backprop(kind, x, w, g):
    return df.gradients(df.nn.dilation2d(x, w, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"), [x, w], grad_ys=g)[kind]


def _dilation_gather(kind, x, w, d):
    """The gradient of a dilation backprop in its output gradient: a Dilation2DGather."""
    c = df.zeros((2, 5, 4, 2), df.float64)
    return df.gradients(_dilation_backprop(kind, x, w, c), c, grad_ys=d)[0]


_PATCH_OPS = ("ExtractImagePatches", "ExtractImagePatchesGrad")

GRAD_CASES = [
    GradCase(_PATCH_OPS, lambda x: conv_nd.extract_image_patches(x, [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 2, 1], "SAME"),
             [(2, 5, 6, 2)], order=2),
    GradCase(("ExtractVolumePatches", "ExtractVolumePatchesGrad"),
             lambda x: conv_nd.extract_volume_patches(x, [1, 2, 1, 2, 1], [1, 1, 2, 2, 1], "VALID"), [(2, 3, 4, 5, 2)],
             order=2),
    GradCase("MaxPoolWithArgmax", lambda x: df.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")[0],
             [(2, 5, 4, 2)], inputs=lambda: [_distinct(2, 5, 4, 2)]),
    GradCase("Dilation2D", lambda x, w: df.nn.dilation2d(x, w, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
             [(2, 5, 4, 2), (3, 2, 2)], inputs=_dilation_inputs),
    GradCase("Dilation2D", lambda x, w: df.nn.erosion2d(x, w, [1, 2, 1, 1], [1, 1, 2, 1], "VALID"),
             [(2, 5, 4, 2), (3, 2, 2)], inputs=_dilation_inputs),
    GradCase(("Dilation2DBackpropInput", "Dilation2DGather"),
             lambda g: _dilation_backprop(0, df.constant(_dilation_inputs()[0]), df.constant(_dilation_inputs()[1]), g),
             [(2, 5, 4, 2)], order=2),
    GradCase(("Dilation2DBackpropFilter", "Dilation2DGather"),
             lambda g: _dilation_backprop(1, df.constant(_dilation_inputs()[0]), df.constant(_dilation_inputs()[1]), g),
             [(2, 5, 4, 2)], order=2),
    GradCase("Dilation2DGather",
             lambda d: _dilation_gather(0, df.constant(_dilation_inputs()[0]), df.constant(_dilation_inputs()[1]), d),
             [(2, 5, 4, 2)]),
]
