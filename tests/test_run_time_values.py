"""Values that decide shapes: ops that read only a tensor's static shape need no value of it (TF folds them),
and shape arguments known only at run time (fed, or computed from data) are computed when the plan is made."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.hostvalue import HOST_MAX_ELEMS

pytestmark = pytest.mark.every_executor  # and again on a LocalCluster (tests/conftest.py)


Invalid = df.errors.InvalidArgumentError


# -- shape-only uses of a tensor whose static shape is known (values compared with TF1, which needs no feed)

def test_shape_only_ops_of_an_unfed_placeholder():
    p = df.placeholder(df.float32, (2, 3))
    q = df.placeholder(df.float32, (None, 3))
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(df.ones_like(p)), np.ones((2, 3), np.float32))
        np.testing.assert_array_equal(s.run(df.zeros_like(p, dtype=df.int64)), np.zeros((2, 3), np.int64))
        np.testing.assert_array_equal(s.run(df.shape(p)), [2, 3])
        assert s.run(df.size(p)) == 6 and s.run(df.rank(p)) == 2
        assert s.run(df.rank(q)) == 2  # the rank alone is known
        assert s.run(df.shape(p, out_type=df.int64)).dtype == np.int64
        with pytest.raises(Invalid, match="must feed a value for placeholder tensor 'Placeholder_1'"):
            s.run(df.shape(q))  # a dim known only from a feed


def test_a_large_zeros_like_is_made_chunk_by_chunk_without_the_input():
    n = HOST_MAX_ELEMS * 2
    p = df.placeholder(df.float32, (n, 2))
    with df.config.set(chunk_bytes=n * 2):  # several chunks
        with df.Session() as s:
            got = s.run(df.reduce_sum(df.ones_like(p)))
    assert got == 2 * n


def test_shape_only_ops_of_an_uninitialised_variable():
    v = df.Variable(np.zeros((4, 5), np.float32))
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(df.shape(v)), [4, 5])
        np.testing.assert_array_equal(s.run(df.ones_like(v)), np.ones((4, 5), np.float32))
        with pytest.raises(df.errors.FailedPreconditionError, match="uninitialized"):
            s.run(v + 1)


def test_a_fed_shape_only_input_is_still_read_from_its_feed():
    p = df.placeholder(df.float32, (2, 3))
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(df.zeros_like(p) + p, {p: np.ones((2, 3))}), np.ones((2, 3)))


# -- shape arguments that depend on run-time data

def test_range_of_fed_bounds():
    n = df.placeholder(df.int32, ())
    a, d = df.placeholder(df.float32, ()), df.placeholder(df.float32, ())
    r = df.range(n)
    assert r.shape.as_list() == [None]
    with df.Session() as s:
        for k in (4, 0, 7, 4):
            np.testing.assert_array_equal(s.run(r, {n: k}), np.arange(k, dtype=np.int32))
        np.testing.assert_allclose(s.run(df.range(a, 2.0, d), {a: 0.5, d: 0.25}), np.arange(0.5, 2.0, 0.25))
        with pytest.raises(Invalid, match=r"Requires start <= limit when delta > 0: 0/-1"):
            s.run(r, {n: -1})


def test_plans_are_keyed_by_the_values():
    n = df.placeholder(df.int32, ())
    r = df.reduce_sum(df.range(n))
    with df.Session() as s:
        assert [s.run(r, {n: k}) for k in (3, 5, 3, 5)] == [3, 10, 3, 10]
        assert len(s._plans) == 2  # one per value of n


def test_fill_zeros_ones_reshape_tile_by_fed_shapes():
    dims = df.placeholder(df.int32, (2,))
    x = df.placeholder(df.float32, (2, 3))
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(df.fill(dims, 2.5), {dims: [2, 4]}), np.full((2, 4), 2.5, np.float32))
        np.testing.assert_array_equal(s.run(df.zeros(dims, df.int64), {dims: [3, 1]}), np.zeros((3, 1), np.int64))
        np.testing.assert_array_equal(s.run(df.ones(dims), {dims: [1, 2]}), np.ones((1, 2), np.float32))
        np.testing.assert_array_equal(s.run(df.reshape(x, dims), {x: v, dims: [3, -1]}), v.reshape(3, 2))
        np.testing.assert_array_equal(s.run(df.tile(x, dims), {x: v, dims: [2, 3]}), np.tile(v, (2, 3)))
        np.testing.assert_array_equal(s.run(df.broadcast_to(df.constant([1, 2, 3]), dims), {dims: [2, 3]}),
                                      np.broadcast_to([1, 2, 3], (2, 3)))


def test_shapes_computed_from_data():
    x = df.placeholder(df.float32, (None,))
    k = df.cast(df.reduce_sum(x), df.int32)
    y = df.reshape(df.range(k * 2), df.stack([k, 2]))
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(y, {x: np.ones(3, np.float32)}), np.arange(6).reshape(3, 2))
        np.testing.assert_array_equal(s.run(y, {x: np.ones(5, np.float32)}), np.arange(10).reshape(5, 2))
        np.testing.assert_array_equal(s.run(df.zeros(df.stack([k, k])), {x: [1.0, 1.0]}), np.zeros((2, 2)))


def test_a_shape_argument_from_a_random_draw_is_drawn_once_per_run():
    m = df.random_uniform([], 1, 6, dtype=df.int32, seed=3)
    r = df.range(m)
    with df.Session() as s:
        for _ in range(10):
            mv, rv = s.run([m, r])
            np.testing.assert_array_equal(rv, np.arange(mv))


def test_a_shape_argument_from_a_variable_and_a_run_that_assigns_it():
    v = df.Variable(3)
    r = df.range(v)
    with df.Session() as s:
        s.run(v.initializer)
        np.testing.assert_array_equal(s.run(r), np.arange(3))
        got, _ = s.run([r, df.assign(v, 5)])  # the run reads v as of its start
        np.testing.assert_array_equal(got, np.arange(3))
        np.testing.assert_array_equal(s.run(r), np.arange(5))
        with df.control_dependencies([df.assign_add(v, 1)]):
            after = df.range(df.identity(v))
        np.testing.assert_array_equal(s.run(after), np.arange(6))  # ordered after the assignment: sees it
        assert s.run(v) == 6


def test_feeding_the_shape_argument_itself():
    x = df.placeholder(df.float32, (2, 3))
    z = df.zeros(df.shape(x))
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(z), np.zeros((2, 3)))  # x's static shape: no feed needed
        shp = z.op.inputs[0]
        np.testing.assert_array_equal(s.run(z, {shp: [2, 3]}), np.zeros((2, 3)))
        with pytest.raises(Invalid, match=r"'zeros' \(type Fill\) would have shape \(4, 5\) in this run, but the "
                                          r"graph was built for \(2, 3\).*'Shape:0'"):
            s.run(z, {shp: [4, 5]})
    y = df.placeholder(df.float32, (None, 3))
    z = df.zeros(df.shape(y))
    with df.Session() as s:  # a shape known only at run time can be fed
        np.testing.assert_array_equal(s.run(z, {z.op.inputs[0]: [4, 3]}), np.zeros((4, 3)))


def test_random_ops_and_dropout_take_shapes_known_at_run_time():
    df.set_random_seed(5)
    x = df.placeholder(df.float32, (None, 4))
    a = df.random_normal(df.shape(x), seed=1)
    b = df.random_normal([3, 4], seed=1)
    assert a.shape.as_list() == [None, 4]  # the known part of the shape, as TF
    u = df.random_uniform(df.stack([df.shape(x)[0], 2]), 0, 10, dtype=df.int64, seed=2)
    d = df.nn.dropout(x, rate=0.5, seed=4)
    assert d.shape.as_list() == [None, 4]
    with df.Session() as s:
        av, bv = s.run([a, b], {x: np.ones((3, 4), np.float32)})
        np.testing.assert_array_equal(av, bv)  # the same numbers whatever way the shape is given
        uv = s.run(u, {x: np.ones((7, 4), np.float32)})
        assert uv.shape == (7, 2) and uv.dtype == np.int64 and uv.min() >= 0 and uv.max() < 10
        dv = s.run(d, {x: np.ones((50, 4), np.float32)})
    assert dv.shape == (50, 4) and set(np.unique(dv)) <= {0.0, 2.0} and 0 < (dv == 0).sum() < 200


def test_plan_and_lower_compute_the_values_they_need():
    n = df.placeholder(df.int32, ())
    r = df.range(n) * 2
    with df.Session() as s:
        plan = s.plan(r, {n: 4})
        assert plan.tasks >= 1
        arr = df.lower(r, {n: 4}, session=s)
        assert isinstance(arr, da.Array) and arr.shape == (4,)
        np.testing.assert_array_equal(arr.compute(), [0, 2, 4, 6])


def test_chunked_outputs_of_run_time_shapes():
    n = df.placeholder(df.int64, ())
    r = df.range(n)
    with df.config.set(chunk_bytes=8 * 1000):
        with df.Session() as s:
            got = s.run(df.reduce_sum(df.cast(r, df.float64)), {n: 10_000})
    assert got == sum(range(10_000))


def test_split_by_sizes_known_only_at_run_time():
    x = df.constant(np.arange(12.0).reshape(2, 6))
    s = df.placeholder(df.int32, (3,))
    parts = df.split(x, s, axis=1)
    assert [p.shape.as_list() for p in parts] == [[2, None]] * 3
    g, = df.gradients(df.reduce_sum(parts[0] * 2) + df.reduce_sum(parts[2]), [x])
    with df.Session() as sess:
        for sizes in ([1, 2, 3], [0, -1, 2]):
            want = np.split(np.arange(12.0).reshape(2, 6), np.cumsum(np.where(np.array(sizes) < 0, 6 - sum(
                v for v in sizes if v >= 0), sizes))[:-1], axis=1)
            for got, w in zip(sess.run(parts, {s: sizes}), want):
                np.testing.assert_array_equal(got, w)
        np.testing.assert_array_equal(sess.run(g, {s: [1, 2, 3]}), [[2, 0, 0, 1, 1, 1]] * 2)
        with pytest.raises(Invalid, match=r"size_splits \[1, 1, 1\] do not add up to dimension 1"):
            sess.run(parts, {s: [1, 1, 1]})
    with pytest.raises(ValueError, match="Cannot infer argument `num`"):
        df.split(x, df.placeholder(df.int32, (None,)), axis=1)
    assert len(df.split(x, df.placeholder(df.int32, (None,)), axis=1, num=2)) == 2
