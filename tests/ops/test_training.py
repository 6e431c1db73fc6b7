"""Fused optimizer update ops: AdamUpdate against the reference formula, over chunkings, and its errors."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.training import adam_update

TESTED_OPS = {"AdamUpdate"}


def _reference(g, m, v, lr, b1, b2, eps):
    m_t = b1 * m + (1 - b1) * g
    v_t = b2 * v + (1 - b2) * g * g
    return m_t, v_t, lr * m_t / (np.sqrt(v_t) + eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunks", [None, ((2, 3), (4,)), ((5,), (1, 3))])
def test_adam_update_matches_the_formula(dtype, chunks):
    rng = np.random.default_rng(0)
    g, m = (rng.standard_normal((5, 4)).astype(dtype) for _ in range(2))
    v = rng.random((5, 4)).astype(dtype)
    with df.Graph().as_default():
        phs = [df.placeholder(dtype, (None, 4)) for _ in range(3)]
        outs = adam_update(*phs, dtype(0.01), dtype(0.9), dtype(0.999), dtype(1e-8))
        assert [o.shape.as_list() for o in outs] == [[None, 4]] * 3 and outs[0].dtype == dtype
        feeds = {p: a if chunks is None else da.from_array(a, chunks=chunks) for p, a in zip(phs, (g, m, v))}
        got = df.Session().run(list(outs), feeds)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(got, _reference(g, m, v, 0.01, 0.9, 0.999, 1e-8)):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol)


def test_adam_update_errors_and_no_gradient():
    with df.Graph().as_default():
        x = df.zeros((2, 3))
        with pytest.raises(df.errors.InvalidArgumentError, match="hyper-parameters are scalars"):
            adam_update(x, x, x, df.zeros((2,)), 0.9, 0.999, 1e-8)
        with pytest.raises(df.errors.InvalidArgumentError, match="Shapes of all inputs must match"):
            adam_update(x, df.zeros((3, 2)), x, 0.1, 0.9, 0.999, 1e-8)
        with pytest.raises(df.errors.InvalidArgumentError, match="floating point"):
            i = df.zeros((2, 3), dtype=df.int32)
            adam_update(i, i, i, 1, 1, 1, 1)
        m_t, _, _ = adam_update(x, x, x, 0.1, 0.9, 0.999, 1e-8)
        assert df.gradients(df.reduce_sum(m_t), [x]) == [None]
