"""Fused optimizer update ops: AdamUpdate against the reference formula, over chunkings, its graph, and its
errors."""
import operator

import dask
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.training import adam_update

TESTED_OPS = {"AdamUpdate"}
HYPERS = dict(b1p=0.9 ** 3, b2p=0.999 ** 3, lr=0.01, b1=0.9, b2=0.999, eps=1e-8)


def _reference(var, m, v, g, b1p, b2p, lr, b1, b2, eps):
    lr_t = lr * np.sqrt(1 - b2p) / (1 - b1p)
    m_t = b1 * m + (1 - b1) * g
    v_t = b2 * v + (1 - b2) * g * g
    return var - lr_t * m_t / (np.sqrt(v_t) + eps), m_t, v_t


def _inputs(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    var, m, g = (np.asarray(rng.standard_normal(shape), dtype) for _ in range(3))
    return var, m, np.asarray(rng.random(shape), dtype), g


def _update(phs, dtype):
    h = {k: dtype(x) for k, x in HYPERS.items()}
    var, m, v, g = phs
    return adam_update(var, m, v, h["b1p"], h["b2p"], h["lr"], h["b1"], h["b2"], h["eps"], g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunks", [None, ((2, 3), (4,)), ((5,), (1, 3)), ((1, 2, 2), (2, 2))])
def test_adam_update_matches_the_formula(dtype, chunks):
    arrays = _inputs((5, 4), dtype)
    with df.Graph().as_default():
        phs = [df.placeholder(dtype, (None, 4)) for _ in range(4)]
        outs = _update(phs, dtype)
        assert [o.shape.as_list() for o in outs] == [[None, 4]] * 3 and outs[0].dtype == dtype
        feeds = {p: a if chunks is None else da.from_array(a, chunks=chunks) for p, a in zip(phs, arrays)}
        got = df.Session().run(list(outs), feeds)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(got, _reference(*arrays, **HYPERS)):
        assert a.dtype == dtype and a.shape == (5, 4)
        np.testing.assert_allclose(a, b, rtol=rtol)
    copies = [a.copy() for a in arrays]
    for a, c in zip(arrays, copies):  # the inputs (variable values) are left as they were
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_update_of_a_scalar(dtype):
    arrays = [np.asarray(a, dtype) for a in (1.5, -0.25, 0.5, 2.0)]
    with df.Graph().as_default():
        phs = [df.placeholder(dtype, ()) for _ in range(4)]
        got = df.Session().run(list(_update(phs, dtype)), dict(zip(phs, arrays)))
    for a, b in zip(got, _reference(*arrays, **HYPERS)):
        assert np.asarray(a).dtype == dtype and np.shape(a) == ()
        np.testing.assert_allclose(a, b, rtol=1e-5 if dtype == np.float32 else 1e-14)


def test_adam_update_overflow_is_silent():
    big = np.full(3, 3e38, np.float32)
    with df.Graph().as_default():
        phs = [df.placeholder(df.float32, (3,)) for _ in range(4)]
        outs = _update(phs, np.float32)
        with np.errstate(all="raise"):
            var_t, m_t, v_t = df.Session().run(list(outs), dict(zip(phs, [big, big, big, big])))
    assert np.isinf(v_t).all() and np.isfinite(m_t).all()


def test_adam_update_is_one_kernel_task_per_block_and_hands_on_its_arrays():
    arrays = _inputs((6, 4), np.float64)
    with df.Graph().as_default():
        phs = [df.placeholder(df.float64, (None, 4)) for _ in range(4)]
        outs = _update(phs, np.float64)
        feeds = {p: da.from_array(a, chunks=(3, 4)) for p, a in zip(phs, arrays)}
        lowered = df.lower(list(outs), feeds)
    graph = dask.utils.ensure_dict(da.Array.__dask_graph__(lowered[0]))
    kernel_keys = {t.args[0].key for k, t in graph.items() if k[0] == lowered[0].name}
    for arr in lowered:  # each output block is one getitem of the kernel task's tuple: no slicing, no copy
        tasks = [t for k, t in dask.utils.ensure_dict(arr.__dask_graph__()).items() if k[0] == arr.name]
        assert len(tasks) == 2 and all(t.func is operator.getitem for t in tasks)
        assert {t.args[0].key for t in tasks} == kernel_keys
    blocks = dask.compute(*[a.blocks[0] for a in lowered], scheduler="sync")
    ref = _reference(*[a[:3] for a in arrays], **HYPERS)
    for b, r in zip(blocks, ref):
        assert b.base is None  # a block of its own, not a view of a stacked array
        np.testing.assert_allclose(b, r, rtol=1e-12)


def test_adam_update_errors_and_no_gradient():
    with df.Graph().as_default():
        x = df.zeros((2, 3))
        h = [0.9, 0.999, 0.1, 0.9, 0.999, 1e-8]
        with pytest.raises(df.errors.InvalidArgumentError, match="hyper-parameters are scalars"):
            adam_update(x, x, x, 0.9, 0.999, df.zeros((2,)), 0.9, 0.999, 1e-8, x)
        with pytest.raises(df.errors.InvalidArgumentError, match="Shapes of all inputs must match"):
            adam_update(x, x, x, *h, df.zeros((3, 2)))
        with pytest.raises(df.errors.InvalidArgumentError, match="does not match dtype"):
            adam_update(x, x, x, *h, df.zeros((2, 3), dtype=df.float64))
        with pytest.raises(df.errors.InvalidArgumentError, match="floating point"):
            i = df.zeros((2, 3), dtype=df.int32)
            adam_update(i, i, i, 1, 1, 1, 1, 1, 1, i)
        var_t, m_t, _ = adam_update(x, x, x, *h, x)
        assert df.gradients(df.reduce_sum(var_t) + df.reduce_sum(m_t), [x]) == [None]
