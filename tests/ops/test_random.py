import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import daskflow as df
from daskflow.ops.random import DEFAULT_GRAPH_SEED
from daskflow.ops.registry import NOT_DIFFERENTIABLE, OPS

TESTED_OPS = {"RandomStandardNormal", "TruncatedNormal", "RandomUniform", "RandomUniformInt"}

N = 200_000  # sample size for the moment checks; bounds below are 6 standard errors wide


def run(fetches, n=1, **session_kw):
    """``n`` successive runs of ``fetches`` in one new session."""
    with df.Session(**session_kw) as s:
        return [s.run(fetches) for _ in range(n)]


def every_op():
    """One random tensor of each op type (and each public entry point), seeded."""
    return [
        df.random_normal([7, 3], seed=1),
        df.truncated_normal([4, 1, 3], seed=2),
        df.random_uniform([5], seed=3),
        df.random_uniform([7, 3], minval=-4, maxval=9, dtype=df.int32, seed=4),
        df.random.normal([], seed=5),
        df.random.uniform([0, 3], seed=6),
        df.random.truncated_normal([1, 3], seed=7, dtype=df.float64),
    ]


# -- distributions

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_moments(dtype):
    x = df.random_normal([N // 100, 100], mean=2.0, stddev=3.0, dtype=dtype, seed=11)
    (v,) = run(x)
    assert v.shape == (N // 100, 100) and v.dtype == dtype
    assert abs(v.mean() - 2.0) < 6 * 3.0 / np.sqrt(N)
    assert abs(v.std() - 3.0) < 6 * 3.0 / np.sqrt(2 * N)
    assert v.min() < 2.0 - 4 * 3.0 and v.max() > 2.0 + 4 * 3.0  # tails present (P(|z|>4) * N ~ 13)
    assert abs(np.mean((v - 2.0) ** 3)) / 27.0 < 6 * np.sqrt(15 / N)  # symmetric: skewness ~ 0


def test_truncated_normal_stays_within_two_stddev():
    x = df.truncated_normal([N], mean=-1.0, stddev=0.5, seed=12)
    (v,) = run(x)
    assert v.dtype == np.float32
    assert np.all(np.abs(v + 1.0) <= 2 * 0.5 * (1 + 1e-6))
    assert v.min() < -1.0 - 0.99 * 2 * 0.5 and v.max() > -1.0 + 0.99 * 2 * 0.5  # reaches the bounds
    trunc_std = 0.5 * 0.8796256610342398  # std of a standard normal truncated to [-2, 2]
    assert abs(v.mean() + 1.0) < 6 * trunc_std / np.sqrt(N)
    assert abs(v.std() - trunc_std) < 6 * trunc_std / np.sqrt(2 * N)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_uniform_range_and_moments(dtype):
    x = df.random_uniform([N], minval=-3.0, maxval=5.0, dtype=dtype, seed=13)
    (v,) = run(x)
    assert v.dtype == dtype
    assert v.min() >= -3.0 and v.max() <= 5.0
    assert v.min() < -3.0 + 0.01 and v.max() > 5.0 - 0.01
    sd = 8.0 / np.sqrt(12)
    assert abs(v.astype(np.float64).mean() - 1.0) < 6 * sd / np.sqrt(N)
    assert abs(v.astype(np.float64).std() - sd) < 0.01
    (unit,) = run(df.random_uniform([N], dtype=dtype, seed=13))
    assert unit.min() >= 0.0 and unit.max() < 1.0 and unit.max() > 0.999


def test_default_uniform_is_unit_interval():
    (v,) = run(df.random_uniform([1000], seed=1))
    assert v.dtype == np.float32 and 0.0 <= v.min() and v.max() < 1.0 and 0.4 < v.mean() < 0.6


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_int_uniform_in_range_and_even(dtype):
    x = df.random_uniform([N], minval=-3, maxval=7, dtype=dtype, seed=14)
    (v,) = run(x)
    assert v.dtype == dtype
    assert v.min() == -3 and v.max() == 6
    counts = np.bincount(v + 3)
    assert np.all(np.abs(counts - N / 10) < 6 * np.sqrt(N * 0.1 * 0.9))


def test_int64_uniform_over_a_wide_range():
    lo, hi = -2**40, 2**40 + 12345
    (v,) = run(df.random_uniform([10_000], minval=lo, maxval=hi, dtype=df.int64, seed=15))
    assert v.min() >= lo and v.max() < hi
    assert (v < 0).mean() == pytest.approx(0.5, abs=0.03)
    assert len(np.unique(v)) == v.size


def test_int_uniform_bounds_can_be_fed():
    lo = df.placeholder(df.int32, ())
    x = df.random_uniform([1000], minval=lo, maxval=lo + 3, dtype=df.int32, seed=16)
    with df.Session() as s:
        v = s.run(x, {lo: 100})
        assert set(np.unique(v)) == {100, 101, 102}
        with pytest.raises(df.errors.InvalidArgumentError, match=r"Need minval < maxval: 5 >= 3"):
            s.run(df.random_uniform([4], minval=lo, maxval=3, dtype=df.int32), {lo: 5})


def test_mean_and_stddev_broadcast():
    x = df.random_normal([20_000, 3], mean=[0.0, 10.0, -10.0], stddev=[1.0, 0.1, 2.0], seed=17)
    (v,) = run(x)
    np.testing.assert_allclose(v.mean(axis=0), [0.0, 10.0, -10.0], atol=0.05)
    np.testing.assert_allclose(v.std(axis=0), [1.0, 0.1, 2.0], rtol=0.03)


def test_half_normal_dtypes():
    x, t = df.random_normal([1000], dtype=df.float16, seed=1), df.truncated_normal([1000], dtype="float16", seed=2)
    ((vx, vt),) = run([x, t])
    assert vx.dtype == vt.dtype == np.float16
    assert np.all(np.isfinite(vx)) and np.all(np.abs(vt) <= 2)
    assert 0.9 < vx.astype(np.float32).std() < 1.1


# -- the same numbers whatever the chunking and the scheduler

def test_values_do_not_depend_on_chunking_or_scheduler():
    ts = every_op()
    (ref,) = run(ts, scheduler="sync")
    with df.config.set(chunk_bytes=16):
        assert df.lower(ts[0]).numblocks[0] == 7  # one 12-byte row per chunk: the check below is not vacuous
        for sched in ("sync", "threads"):
            (got,) = run(ts, scheduler=sched)
            for r, g in zip(ref, got):
                np.testing.assert_array_equal(r, g)
    (got,) = run(ts, scheduler="threads")
    for r, g in zip(ref, got):
        np.testing.assert_array_equal(r, g)


@given(shape=st.lists(st.integers(0, 9), max_size=3), chunk_bytes=st.integers(1, 120),
       kind=st.sampled_from(["normal", "truncated", "uniform", "int"]))
@settings(deadline=None, max_examples=25)
def test_any_chunking_gives_the_same_values(shape, chunk_bytes, kind):
    g = df.Graph()
    with g.as_default():
        df.set_random_seed(99)
        x = {"normal": lambda: df.random.normal(shape),
             "truncated": lambda: df.random.truncated_normal(shape, dtype=df.float64),
             "uniform": lambda: df.random.uniform(shape, -1.0, 1.0),
             "int": lambda: df.random.uniform(shape, -5, 5, dtype=df.int64)}[kind]()
        with df.Session(graph=g, scheduler="sync") as s:
            ref = [s.run(x), s.run(x)]
        with df.config.set(chunk_bytes=chunk_bytes), df.Session(graph=g, scheduler="threads") as s:
            got = [s.run(x), s.run(x)]
    assert ref[0].shape == tuple(shape)
    np.testing.assert_array_equal(ref[0], got[0])
    np.testing.assert_array_equal(ref[1], got[1])


def test_blocks_generated_piece_by_piece_give_the_same_values(monkeypatch):
    import daskflow.ops.random as random_ops
    ts = [df.random_normal([5, 4, 3], seed=1), df.truncated_normal([5, 4, 3], seed=2),
          df.random_uniform([5, 4, 3], seed=3), df.random_uniform([5, 4, 3], maxval=9, dtype=df.int32, seed=4)]
    (ref,) = run(ts)
    monkeypatch.setattr(random_ops, "_PIECE", 7)  # pieces that cross rows and matrices of the block
    (got,) = run(ts)
    for r, g in zip(ref, got):
        np.testing.assert_array_equal(r, g)


# -- seeds and runs (TF1 rules)

def test_two_sessions_on_a_seeded_graph_give_the_same_sequence():
    df.set_random_seed(5)
    ts = every_op() + [df.random_normal([3, 2])]  # seeded op-level and graph-level only
    first, second = run(ts, n=3), run(ts, n=3)
    for a, b in zip(first, second):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_successive_runs_in_a_session_differ():
    x = df.random_normal([50], seed=3)
    i = df.random_uniform([50], maxval=1000, dtype=df.int64, seed=3)
    a, b, c = run([x, i], n=3)
    assert not np.any(a[0] == b[0]) and not np.any(b[0] == c[0])
    assert np.mean(a[1] == b[1]) < 0.05


def test_a_tensor_fetched_twice_in_one_run_has_one_value():
    x = df.random_normal([10], seed=1)
    ((a, b, c),) = run([x, x, x * 1.0])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_different_op_seeds_differ_and_equal_seeds_agree():
    a, b, c = df.random_normal([100], seed=1), df.random_normal([100], seed=2), df.random_normal([100], seed=1)
    ((va, vb, vc),) = run([a, b, c])
    assert not np.any(va == vb)
    np.testing.assert_array_equal(va, vc)  # same graph and op seed: same stream, as TF


def test_graph_seed_changes_values():
    def build(graph_seed):
        g = df.Graph()
        with g.as_default():
            df.set_random_seed(graph_seed)
            x = df.random_normal([100], seed=1)
            y = df.random_normal([100])
            with df.Session(graph=g) as s:
                return s.run([x, y])
    a, b, a2 = build(1), build(2), build(1)
    np.testing.assert_array_equal(a[0], a2[0])
    np.testing.assert_array_equal(a[1], a2[1])  # op seed derived from the graph seed and the op's position
    assert not np.any(a[0] == b[0]) and not np.any(a[1] == b[1])
    assert not np.any(a[0] == a[1])


def test_op_seed_alone_uses_the_default_graph_seed():
    x = df.random_uniform([20], seed=42)
    g = df.Graph()
    with g.as_default():
        df.set_random_seed(DEFAULT_GRAPH_SEED)
        y = df.random_uniform([20], seed=42)
        with df.Session(graph=g) as s:
            vy = s.run(y)
    (vx,) = run(x)
    np.testing.assert_array_equal(vx, vy)
    assert x.op.inputs[0].op.inputs[0].op.get_attr("seed") == DEFAULT_GRAPH_SEED


def test_graph_seed_alone_derives_op_seeds_from_position():
    df.set_random_seed(7)
    a, b = df.random_normal([5]), df.random_normal([5])
    seeds = [t.op.inputs[0].op.inputs[0].op.get_attr("seed2") for t in (a, b)]
    assert seeds[0] != seeds[1]
    assert all(t.op.inputs[0].op.inputs[0].op.get_attr("seed") == 7 for t in (a, b))


def test_unseeded_ops_differ_between_ops_and_runs():
    a, b = df.random_normal([50]), df.random_normal([50])
    r1, r2 = run([a, b], n=2)
    assert not np.any(r1[0] == r1[1])
    assert not np.any(r1[0] == r2[0])


def test_random_ops_are_stateful_and_not_differentiable():
    for t in TESTED_OPS:
        assert OPS[t].stateful is True
        assert OPS[t].grad is NOT_DIFFERENTIABLE


# -- names, shapes, chunks

def test_names_follow_tf():
    assert df.random_normal([2], name="noise").name == "noise:0"
    assert df.random_uniform([2], maxval=3, dtype=df.int32).name == "random_uniform:0"
    assert df.truncated_normal([2]).op.inputs[0].op.inputs[0].op.type == "TruncatedNormal"
    assert df.random_uniform([2]).op.inputs[0].op.inputs[0].op.type == "RandomUniform"


@pytest.mark.parametrize("shape", [(), (5,), (7, 3), (1, 3), (4, 1, 3), (0, 3)])
def test_shapes(shape):
    ts = [df.random_normal(list(shape), seed=1), df.random_uniform(shape, maxval=4, dtype=df.int64, seed=1)]
    for t in ts:
        assert tuple(t.shape) == shape
    ((a, b),) = run(ts)
    assert a.shape == b.shape == shape and a.dtype == np.float32 and b.dtype == np.int64


def test_static_shape_from_a_constant_and_a_tensorshape():
    assert tuple(df.random_normal(df.constant([2, 3])).shape) == (2, 3)
    assert tuple(df.random_normal(df.TensorShape([4])).shape) == (4,)
    assert tuple(df.random_normal(3).shape) == (3,)


def test_generated_chunks_respect_chunk_bytes():
    with df.config.set(chunk_bytes=1000):
        arr = df.lower(df.random_uniform([100, 5], dtype=df.float64, seed=1))
    assert arr.chunks == ((25, 25, 25, 25), (5,))
    arr = df.lower(df.random_uniform([100, 5], dtype=df.float64, seed=1))
    assert arr.numblocks == (1, 1)


# -- errors

def test_argument_errors():
    with pytest.raises(TypeError, match="int32 not in list of allowed values"):
        df.random_normal([2], dtype=df.int32)
    with pytest.raises(TypeError, match="bool not in list of allowed values"):
        df.random_uniform([2], dtype=df.bool)
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype int64"):
        df.random_uniform([2], dtype=df.int64)
    with pytest.raises(ValueError, match="negative dimension"):
        df.random_normal([2, -1])
    with pytest.raises(ValueError, match="shape of ints"):
        df.random_normal([None, 2])
    with pytest.raises(ValueError, match="fully defined TensorShape"):
        df.random_normal(df.TensorShape([None, 2]))


def test_int_bounds_checked_at_build_time():
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Need minval < maxval: 4 >= 4"):
        df.random_uniform([2], minval=4, maxval=4, dtype=df.int32)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"maxval must be 0-D.*\(2,\)"):
        df.random_uniform([2], minval=0, maxval=[3, 4], dtype=df.int32)
    with pytest.raises(df.errors.InvalidArgumentError, match="does not match|dtype"):
        df.random_normal([2], mean=df.constant(1.0, dtype=df.float64))
