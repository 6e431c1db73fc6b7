"""Array manipulation against numpy over several chunkings: sequence_mask, meshgrid, roll, reverse_sequence,
repeat, unravel_index, invert_permutation, the list helpers; the ops whose output size depends on the data
(boolean_mask, unique, setdiff1d, dynamic_partition, dynamic_stitch), searchsorted and the histograms; gradients
(``GRAD_CASES``) and errors."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, SweepCase, assert_op, rand, run_graph, with_unknown_dims

TESTED_OPS = {"MaskIndices", "UniqueMask", "IsIn", "SearchSorted"}

Invalid = df.errors.InvalidArgumentError


def run(*fetches, feeds=None):
    with df.Session() as s:
        return s.run(list(fetches) if len(fetches) > 1 else fetches[0], feeds)


# -- boolean_mask

@pytest.mark.parametrize("shape,mshape,axis", [((6, 3), (6,), 0), ((4, 3, 2), (4, 3), 0), ((3, 5), (5,), 1),
                                               ((2, 4, 3), (4, 3), 1), ((5,), (5,), 0)])
def test_boolean_mask(shape, mshape, axis):
    x = rand(shape)
    mask = rand(mshape, dtype=bool, seed=4)
    ref = lambda a, m: a[(slice(None),) * axis + (m,)]  # noqa: E731
    assert_op(lambda t, m: df.boolean_mask(t, m, axis=axis), ref, x, mask)


def test_boolean_mask_static_shape_and_errors():
    x = df.placeholder(df.float32, (4, 3, 2))
    y = df.boolean_mask(x, df.placeholder(df.bool, (4, 3)))
    assert y.shape.as_list() == [None, 2]
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        df.boolean_mask(x, True)
    with pytest.raises(ValueError, match="incompatible"):
        df.boolean_mask(x, df.placeholder(df.bool, (4, 2)))
    none = run_graph(lambda t: df.boolean_mask(t, np.zeros(4, bool)), rand((4, 3)))
    assert none.shape == (0, 3)


def test_boolean_mask_gradient():
    x = rand((5, 3))
    mask = np.array([True, False, True, True, False])
    g = run_graph(lambda t: df.gradients(df.reduce_sum(df.boolean_mask(t, mask) ** 2), t)[0], x)
    np.testing.assert_allclose(g, 2 * x * mask[:, None])


# -- sequence_mask, meshgrid, roll, reverse_sequence, repeat

def test_sequence_mask():
    lengths = np.array([[1, 3], [0, 2]])
    want = np.arange(4) < lengths[..., None]
    np.testing.assert_array_equal(df.sequence_mask(lengths, 4).compute(), want)
    np.testing.assert_array_equal(df.sequence_mask(lengths).compute(), want[..., :3])
    got = run_graph(lambda n: df.sequence_mask(n, dtype=df.float32), np.array([2, 0, 1]))
    np.testing.assert_array_equal(got, [[1, 1], [0, 0], [1, 0]])
    assert got.dtype == np.float32


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(indexing):
    a, b, c = rand((3,)), rand((4,), seed=1), rand((2,), seed=2)
    assert_op(lambda x, y, z: df.meshgrid(x, y, z, indexing=indexing),
              lambda x, y, z: np.meshgrid(x, y, z, indexing=indexing), a, b, c)
    with pytest.raises(ValueError, match="indexing"):
        df.meshgrid(a, b, indexing="yx")


@pytest.mark.parametrize("shift,axis", [(2, 0), (-1, 1), ([1, -7], [0, 1]), ([2, 3], [1, 1]), (0, 0), (13, 0)])
def test_roll(shift, axis):
    x = rand((5, 4))
    assert_op(lambda t: df.roll(t, shift, axis), lambda a: np.roll(a, shift, axis), x)


def test_roll_run_time_shift():
    x = rand((6, 3))
    s = df.placeholder(df.int32, [])
    out = df.roll(df.constant(x), s, 0)
    np.testing.assert_allclose(run(out, feeds={s: -4}), np.roll(x, -4, 0))


@pytest.mark.parametrize("seq_axis,batch_axis", [(1, 0), (0, 1), (2, 0)])
def test_reverse_sequence(seq_axis, batch_axis):
    x = rand((3, 4, 5))
    lengths = np.minimum([1, 4, 0, 3, 2], x.shape[seq_axis])[:x.shape[batch_axis]]

    def ref(a):
        out = np.moveaxis(a.copy(), [batch_axis, seq_axis], [0, 1])
        for b, n in enumerate(lengths):
            out[b, :n] = out[b, :n][::-1].copy()
        return np.moveaxis(out, [0, 1], [batch_axis, seq_axis])
    assert_op(lambda t: df.reverse_sequence(t, lengths, seq_axis=seq_axis, batch_axis=batch_axis), ref, x)


def test_reverse_sequence_errors():
    with pytest.raises(Invalid, match=r"seq_lengths must be <= input.dims\(seq_axis\)"):
        df.reverse_sequence(np.zeros((2, 3)), [1, 4], seq_axis=1).compute()
    with pytest.raises(ValueError, match="must differ"):
        df.reverse_sequence(np.zeros((2, 3)), [1, 2], seq_axis=0, batch_axis=0)


@pytest.mark.parametrize("repeats,axis", [(2, None), (3, 0), ([1, 0, 2], 0), ([2, 1, 0, 3], 1), (0, 1)])
def test_repeat(repeats, axis):
    x = rand((3, 4))
    assert_op(lambda t: df.repeat(t, repeats, axis=axis), lambda a: np.repeat(a, repeats, axis=axis), x)


# -- index arithmetic

def test_unravel_index():
    np.testing.assert_array_equal(df.unravel_index([22, 41, 37], [7, 6]).compute(),
                                  np.array(np.unravel_index([22, 41, 37], (7, 6))))
    np.testing.assert_array_equal(df.unravel_index(1621, [6, 7, 8, 9]).compute(), np.unravel_index(1621, (6, 7, 8, 9)))
    with pytest.raises(Invalid, match="index is out of bound as with dims"):
        df.unravel_index([42], [7, 6]).compute()


def test_invert_permutation():
    p = np.random.default_rng(0).permutation(9).astype(np.int32)
    np.testing.assert_array_equal(df.invert_permutation(p).compute(), np.argsort(p))
    assert df.math.invert_permutation is df.invert_permutation
    with pytest.raises(Invalid, match="x is not a permutation"):
        df.invert_permutation([0, 0, 2]).compute()
    with pytest.raises(Invalid, match="does not index into shape"):
        df.invert_permutation([0, 3, 1])


# -- unique, setdiff1d, searchsorted

def test_unique():
    x = np.array([4, 1, 1, 2, 4, 4, 7, 8, 8, 1])
    y, idx = run(*df.unique(x))
    first = sorted(np.unique(x, return_index=True)[1])
    np.testing.assert_array_equal(y, x[first])
    np.testing.assert_array_equal(y[idx], x)
    y2, idx2, count = run(*df.unique_with_counts(x, out_idx=df.int64))
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_array_equal(count, [np.sum(x == v) for v in y])
    assert idx2.dtype == np.int64
    with pytest.raises(Invalid, match="unique expects a 1D vector"):
        df.unique(np.zeros((2, 2)))


def test_unique_chunked_feed():
    x = rand((11,), low=0, high=4).round()
    got = run_graph(lambda t: list(df.unique(t)), x, chunks=[(3, 5, 3)])
    np.testing.assert_array_equal(got[0][got[1]], x)


def test_setdiff1d():
    out, idx = run(*df.setdiff1d([1, 2, 3, 4, 5, 6, 2], [1, 3, 5]))
    np.testing.assert_array_equal(out, [2, 4, 6, 2])
    np.testing.assert_array_equal(idx, [1, 3, 5, 6])
    assert idx.dtype == np.int32


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(side):
    seq = np.sort(rand((3, 6), low=0, high=5).round(), axis=-1)
    vals = rand((3, 4), low=-1, high=6, seed=1).round()
    want = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(seq, vals)])
    assert_op(lambda s, v: df.searchsorted(s, v, side=side), lambda s, v: want, seq, vals)
    flat = df.searchsorted(seq[0], vals[0], side=side, out_type=df.int64).compute()
    np.testing.assert_array_equal(flat, np.searchsorted(seq[0], vals[0], side=side))
    with pytest.raises(ValueError, match="side must be either"):
        df.searchsorted(seq, vals, side="middle")
    with pytest.raises(Invalid, match="Leading dim_size"):
        df.searchsorted(seq, vals[:2])


# -- dynamic_partition, dynamic_stitch

def test_dynamic_partition_and_stitch():
    data = rand((6, 2))
    parts = np.array([1, 0, 2, 1, 1, 0])
    got = run_graph(lambda d: df.dynamic_partition(d, parts, 3), data)
    for i in range(3):
        np.testing.assert_allclose(got[i], data[parts == i])
    where = [np.flatnonzero(parts == i) for i in range(3)]
    back = run_graph(lambda d: df.dynamic_stitch([df.constant(w) for w in where], df.dynamic_partition(d, parts, 3)),
                     data)
    np.testing.assert_allclose(back, data)


def test_dynamic_stitch_later_wins():
    got = df.dynamic_stitch([[0, 2], [2, 1]], [[[1, 1], [2, 2]], [[3, 3], [4, 4]]]).compute()
    np.testing.assert_array_equal(got, [[1, 1], [4, 4], [3, 3]])


def test_dynamic_partition_errors():
    with pytest.raises(Invalid, match=r"partitions must be in \[0, 2\)"):
        run(df.dynamic_partition([1, 2, 3], [0, 2, 1], 2))
    with pytest.raises(ValueError, match="must start with partitions.shape"):
        df.dynamic_partition(np.zeros((3, 2)), [0, 1], 2)


def test_partition_stitch_gradient():
    data = rand((5, 2))
    parts = np.array([1, 0, 1, 1, 0])

    def build(d):
        ps = df.dynamic_partition(d, parts, 2)
        merged = df.dynamic_stitch([df.constant(np.flatnonzero(parts == i)) for i in range(2)],
                                   [ps[0] * 2.0, ps[1] * 3.0])
        return df.gradients(df.reduce_sum(merged ** 2), d)[0]
    np.testing.assert_allclose(run_graph(build, data), 2 * data * np.where(parts == 0, 4.0, 9.0)[:, None])


# -- histograms

def test_histograms():
    v = np.array([-1.0, 0.0, 1.5, 2.0, 5.0, 15, 4.99])
    np.testing.assert_array_equal(df.histogram_fixed_width(v, [0.0, 5.0], nbins=5).compute(), [2, 1, 1, 0, 3])
    np.testing.assert_array_equal(df.histogram_fixed_width_bins(v, [0.0, 5.0], nbins=5).compute(),
                                  [0, 0, 1, 2, 4, 4, 4])
    x = rand((50,), low=-3, high=3)
    want = np.histogram(np.clip(x, -2, 2 - 1e-9), bins=8, range=(-2, 2))[0]
    got = run_graph(lambda t: df.histogram_fixed_width(t, [-2.0, 2.0], nbins=8, dtype=df.int64), x)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64


# -- lists of tensors, static shapes

def test_identity_n_shape_n_parallel_stack():
    a, b = df.constant([1.0, 2.0]), df.constant([[1, 2, 3]])
    ia, ib = df.identity_n([a, b])
    sa, sb = df.shape_n([a, b], out_type=df.int64)
    got = run(ia, ib, sa, sb)
    np.testing.assert_array_equal(got[2], [2])
    np.testing.assert_array_equal(got[3], [1, 3])
    assert got[2].dtype == np.int64
    np.testing.assert_array_equal(df.parallel_stack([a, a * 2]).compute(), [[1, 2], [2, 4]])
    with pytest.raises(ValueError, match="fully defined"):
        df.parallel_stack([df.placeholder(df.float32, [None])])


def test_tuple_waits_for_all():
    v = df.Variable(0.0)
    inc = df.assign_add(v, 1.0)
    x = df.constant(3.0)
    out = df.tuple([x, None], control_inputs=[inc])
    assert out[1] is None
    with df.Session() as s:
        s.run(v.initializer)
        assert s.run(out[0]) == 3.0
        assert s.run(v) == 1.0


def test_static_helpers():
    assert df.newaxis is None
    s = df.TensorShape([3, None])
    assert df.dimension_value(s[0]) == 3 and df.dimension_value(s[1]) is None
    assert df.dimension_at_index(s, 0) == 3
    assert df.dimension_at_index(df.TensorShape(None), 4) is None


def _masked(x):
    return df.boolean_mask(x, np.array([[True, False, True], [False, True, True]]))


GRAD_CASES = [
    GradCase("GatherV2", lambda x: df.reshape(_masked(x), [4, 2]), [(2, 3, 2)]),
    GradCase("ConcatV2", lambda x: df.roll(x, [2, -1], [0, 1]), [(5, 3)]),
    GradCase("GatherV2", lambda x: df.reverse_sequence(x, [2, 3, 1], seq_axis=1, batch_axis=0), [(3, 4, 2)]),
    GradCase("Tile", lambda x: df.repeat(x, 2, axis=1), [(2, 3)]),
    GradCase("GatherV2", lambda x: df.reshape(df.repeat(x, [2, 0, 1], axis=0), [3, 2]), [(3, 2)]),
    GradCase("BroadcastTo", lambda x, y: df.meshgrid(x, y), [(3,), (2,)]),
    GradCase("GatherV2", with_unknown_dims(lambda x: df.reshape(_masked(x), [4, 2])), [(2, 3, 2)]),
]


def _sets(x, y):
    return [*df.unique(x), *df.unique_with_counts(x, out_idx=df.int64), *df.setdiff1d(x, y, index_dtype=df.int64)]


def _searches(seq, v):
    return [df.searchsorted(seq, v), df.searchsorted(seq, v, side="right", out_type=df.int64)]


SWEEP_CASES = [
    SweepCase(_sets, np.array([4, 1, 4, 7, 2, 1, 9, 7]), np.array([7, 3, 4]), name="unique_setdiff"),
    SweepCase(_searches, np.sort(np.round(rand((3, 6), seed=1), 1), axis=1), np.round(rand((3, 4), seed=2), 1),
              name="searchsorted"),
]
