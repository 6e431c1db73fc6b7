"""sobol_sample, random_index_shuffle, tf.conv and conjugate_gradient against TensorFlow's values (fixtures of
tests/fixtures/tf1/make_numeric_more_fixtures.py), and the experimental dropouts by their definition."""
import pathlib

import numpy as np
import pytest
from scipy.stats import qmc

import daskflow as df
from daskflow.ops import linalg_experimental as LE, nn_experimental as NE, numeric_extra as X, numeric_more as M
from daskflow.testing import SweepCase, check_grads, load_module

TESTED_OPS = {"SobolSample", "RandomIndexShuffle"}
SWEEP_CASES = [SweepCase(lambda i, seed, top, d, n: [M.random_index_shuffle(i, seed, top), M.sobol_sample(d, n, 2)],
                         np.array([0, 3, 9, 4], np.int64), np.array([1, 2, 3], np.int64), np.int64(9), np.int32(3),
                         np.int32(5), name="index_shuffle_sobol")]
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
DATA = FIXTURES / "numeric_more"


@pytest.fixture(scope="module")
def cases():
    return load_module(FIXTURES / "make_numeric_more_fixtures.py")


def _load(name):
    return np.load(DATA / name, allow_pickle=False)


def test_sobol_equals_tf_and_scipy(cases):
    data = _load("sobol.npz")
    with df.Session() as s:
        for d, n, skip, dt in cases.SOBOL:
            t = M.sobol_sample(d, n, skip=skip, dtype=dt)
            assert t.shape.as_list() == [n, d] and t.dtype == dt
            got = s.run(t)
            np.testing.assert_array_equal(got, data[f"{d}_{n}_{skip}_{dt}"])
        # scipy's unscrambled sequence, whose first point (the origin) TF leaves out
        got = s.run(M.sobol_sample(5, 40, skip=3, dtype=df.float64))
    np.testing.assert_array_equal(got, qmc.Sobol(5, scramble=False).random_base2(6)[4:44])


@pytest.mark.parametrize("args, match", [((0, 3), "dim must be at least one"),
                                         ((21201, 3), "dim must be at most 21200"),
                                         ((2, 0), "num_results must be at least one"),
                                         ((2, 3, -1), "skip must be non-negative")])
def test_sobol_errors(args, match):
    with pytest.raises(df.errors.InvalidArgumentError, match=match):
        M.sobol_sample(*args)


def test_index_shuffle_equals_tf():
    data = _load("index_shuffle.npz")
    names = sorted({k.split("/")[0] for k in data.files})
    with df.Session() as s:
        fetches = [M.random_index_shuffle(data[f"{n}/index"], data[f"{n}/seed"], data[f"{n}/max_index"],
                                          rounds=int(data[f"{n}/rounds"])) for n in names]
        got = s.run(fetches)
    for n, g in zip(names, got):
        want = data[f"{n}/out"]
        assert g.dtype == want.dtype, n
        np.testing.assert_array_equal(g, want, err_msg=n)


def test_index_shuffle_is_a_bijection_on_any_chunking():
    idx = df.placeholder(df.int64, [None])
    out = M.random_index_shuffle(idx, np.array([9, 8, 7], np.int64), np.int64(999))
    full = np.arange(1000, dtype=np.int64)
    import dask.array as da
    with df.Session() as s:
        one, chunked = s.run(out, {idx: full}), s.run(out, {idx: da.from_array(full, chunks=77)})
    np.testing.assert_array_equal(np.sort(one), full)
    np.testing.assert_array_equal(one, chunked)
    assert not np.array_equal(one, full)


@pytest.mark.parametrize("index, seed, top, cls, match", [
    (np.int32(12), [1, 2, 3], np.int32(9), df.errors.InvalidArgumentError, "max_index must be >= index, but 9 < 12"),
    (np.int32(-2), [1, 2, 3], np.int32(9), df.errors.InvalidArgumentError, "index must be >= 0 but was -2"),
    (np.arange(3, dtype=np.int32), [1, 2, 3], np.int32(-3), df.errors.InvalidArgumentError,
     "max_index must be >= 0 but was -3"),
    (np.arange(3, dtype=np.int32), [1, 2], np.int32(9), ValueError, r"Seed must have shape \[3\] or \[n, 3\] but got "
                                                                    r"\[2\]"),
    (np.arange(3, dtype=np.float32), [1, 2, 3], np.float32(9), TypeError,
     "Value passed to parameter 'index' has DataType float32 not in list of allowed values"),
])
def test_index_shuffle_errors(index, seed, top, cls, match):
    with pytest.raises(cls, match=match):
        with df.Session() as s:
            s.run(M.random_index_shuffle(index, np.array(seed, np.int32), top))


def test_conv_equals_tf(cases):
    data = _load("conv.npz")
    with df.Session() as s:
        for case, kw in cases.CONV.items():
            args = {k: v for k, v in kw.items() if k not in ("rank", "filter_in")}
            t = X.conv(data[f"{case}/x"], data[f"{case}/w"], **args)
            want = data[f"{case}/out"]
            assert t.shape.as_list() == list(want.shape), case
            np.testing.assert_allclose(s.run(t), want, rtol=1e-5, atol=1e-5, err_msg=case)


def _np_conv2d_valid(x, w):
    kh, kw_ = w.shape[:2]
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw_ + 1
    patches = np.stack([x[:, i:i + oh, j:j + ow, :] for i in range(kh) for j in range(kw_)], 3)
    return np.einsum("bhwkc,kco->bhwo", patches, w.reshape(kh * kw_, *w.shape[2:]))


def test_conv_groups_channels_first_and_gradients():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((2, 2, 2, 6))
    want = np.concatenate([_np_conv2d_valid(x[..., :2], w[..., :3]), _np_conv2d_valid(x[..., 2:], w[..., 3:])], -1)
    with df.Session() as s:
        grouped, first = s.run([X.conv(x, w, [1, 1, 1, 1], "VALID", groups=2),
                                X.conv(np.transpose(x, (0, 3, 1, 2)), w[:, :, :, :], [1, 1, 1, 1], "VALID",
                                       data_format="CHANNELS_FIRST")])
    np.testing.assert_allclose(grouped, want, rtol=1e-10)
    np.testing.assert_allclose(first, np.transpose(want, (0, 3, 1, 2)), rtol=1e-10)
    check_grads(lambda a, b: X.conv(a, b, [1, 1, 1, 1], "SAME", groups=2), [x[:1, :3, :3], w[:, :, :, :4]])


@pytest.mark.parametrize("kw, match", [
    (dict(strides=[1, 1, 1]), "Stride attribute should contain 4 values, but got: 3"),
    (dict(w_in=3), r"Depth of input \(4\) is not a multiple of input depth of filter \(3\)"),
    (dict(batch_dims=2), "Input tensor must be rank 4 or 5, excluding extra batch dimensions, but got: 3"),
])
def test_conv_errors(kw, match):
    w = np.ones((2, 2, kw.pop("w_in", 4), 2), np.float32)
    with pytest.raises(ValueError, match=match):
        X.conv(np.ones((1, 4, 4, 4), np.float32), w, kw.pop("strides", [1, 1, 1, 1]), "VALID", **kw)


def test_conjugate_gradient_equals_tf(cases):
    c, data = cases.cg_case(), _load("cg.npz")
    a = df.linalg.LinearOperatorFullMatrix(c["a"], is_self_adjoint=True, is_positive_definite=True)
    pre = df.linalg.LinearOperatorDiag(c["precond"], is_self_adjoint=True, is_positive_definite=True)
    runs = {"plain": {}, "precond_x0": dict(preconditioner=pre, x=c["x0"], tol=1e-8, max_iter=3)}
    with df.Session() as s:
        got = s.run({k: LE.conjugate_gradient(a, c["rhs"], **kw)._asdict() for k, kw in runs.items()})
    for key, state in got.items():
        assert list(state) == ["i", "x", "r", "p", "gamma"]
        for field, value in state.items():
            np.testing.assert_allclose(value, data[f"{key}/{field}"], rtol=1e-9, atol=1e-12, err_msg=key + field)
    np.testing.assert_allclose(got["plain"]["x"], np.linalg.solve(c["a"], c["rhs"][..., None])[..., 0], rtol=1e-4)
    with pytest.raises(ValueError, match="Expected a self-adjoint, positive definite operator."):
        LE.conjugate_gradient(df.linalg.LinearOperatorFullMatrix(c["a"]), c["rhs"])


def test_general_and_stateless_dropout():
    x = np.arange(1, 25, dtype=np.float32).reshape(4, 6)
    u = np.random.default_rng(1).uniform(size=(4, 1)).astype(np.float32)
    rate = df.placeholder(df.float32, [])
    with df.Session() as s:
        general = s.run(NE.general_dropout(x, rate, lambda shape, dtype: df.constant(u), noise_shape=[4, 1]),
                        {rate: 0.5})
        a, b, mask = s.run([NE.stateless_dropout(x, 0.4, seed=[3, 7]), NE.stateless_dropout(x, 0.4, seed=[3, 7]),
                            df.random.stateless_uniform([4, 6], [3, 7])])
    np.testing.assert_allclose(general, np.where(u >= 0.5, x / 0.5, 0), rtol=1e-6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, np.where(mask >= 0.4, x / np.float32(0.6), 0), rtol=1e-6)
    assert NE.stateless_dropout(x, 0, seed=[1, 2]).op.type == "Const"
    with pytest.raises(ValueError, match=r"`rate` must be a scalar tensor or a float in the range \[0, 1\)"):
        NE.general_dropout(x, 1.0, None)
    with pytest.raises(ValueError, match="`x.dtype` must be a floating point tensor"):
        NE.stateless_dropout(np.ones(3, np.int32), 0.5, seed=[1, 2])
