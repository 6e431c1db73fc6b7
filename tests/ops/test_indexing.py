"""Indexing ops against numpy: slice, strided_slice (masks, negative steps), gather, unsorted_segment_sum and
one_hot on several shapes, uneven chunkings and unknown dims; their gradients (``GRAD_CASES``, checked by
tests/autodiff/test_op_grads.py) and gradients through placeholders of unknown batch size."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.registry import apply1
from daskflow.testing import GradCase, assert_op, rand, run_graph, with_unknown_dims

TESTED_OPS = {"Slice", "StridedSlice", "StridedSliceGrad", "GatherV2", "UnsortedSegmentSum", "OneHot"}

Invalid = df.errors.InvalidArgumentError


def lowered(t):
    """The dask array ``t`` lowers to (for checking chunks)."""
    return df.lower(t)


# -- slicing

@pytest.mark.parametrize("begin,size", [([0, 0], [-1, -1]), ([2, 1], [3, 2]), ([6, 2], [1, 1]), ([3, 0], [0, 3]),
                                        ([1, 1], [-1, 1])])
def test_slice(begin, size):
    x = rand((7, 3))
    ref = lambda a: a[tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))]  # noqa: E731
    assert_op(lambda t: df.slice(t, begin, size), ref, x)
    assert_op(lambda t: df.slice(t, begin, size), ref, x, feed_static_shape=False)


def test_slice_errors_and_run_time_size():
    x = df.placeholder(df.float32, (4, 3))
    with pytest.raises(Invalid, match=r"Expected size\[0\] in \[0, 3\], but got 4"):
        df.slice(x, [1, 0], [4, 3])
    with pytest.raises(Invalid, match=r"Expected begin\[1\] in \[0, 3\], but got 5"):
        df.slice(x, [0, 5], [1, 1])
    with pytest.raises(Invalid, match="size 2"):
        df.slice(x, [0], [1])
    a = rand((6, 5))
    assert_op(lambda t: df.slice(t, [1, 0], [df.shape(t)[0] - 2, 2]), lambda v: v[1:5, :2], a,
              feed_static_shape=False)


@pytest.mark.parametrize("begin,end,strides,masks,ref", [
    ([1, 0], [3, 3], [1, 1], {}, lambda a: a[1:3, 0:3]),
    ([-1, 0], [0, 3], [-1, 2], {"begin_mask": 1, "end_mask": 1}, lambda a: a[::-1, 0:3:2]),
    ([2, 0], [3, 3], [1, 1], {"shrink_axis_mask": 1}, lambda a: a[2]),
    ([2, 0], [3, 0], [1, 1], {"shrink_axis_mask": 1}, lambda a: a[2, 0:0]),
    ([0, 1], [0, 0], [1, 1], {"ellipsis_mask": 1, "shrink_axis_mask": 2}, lambda a: a[..., 1]),
    ([0, 0, 1], [0, 0, 3], [1, 1, 1], {"new_axis_mask": 1, "begin_mask": 2, "end_mask": 2},
     lambda a: a[None, :, 1:3]),
    ([-100, 50], [100, -50], [1, -1], {}, lambda a: a[-100:100, 50:-50:-1]),
])
def test_strided_slice_masks(begin, end, strides, masks, ref):
    x = rand((7, 3))
    assert_op(lambda t: df.strided_slice(t, begin, end, strides, **masks), ref, x)
    assert df.strided_slice(df.placeholder(df.float32, (7, 3)), begin, end, strides, **masks).shape == \
        ref(x).shape


def test_strided_slice_errors():
    x = df.placeholder(df.float32, (4, 3))
    with pytest.raises(Invalid, match="must be non-zero"):
        df.strided_slice(x, [0], [2], [0])
    with pytest.raises(Invalid, match="Multiple ellipses"):
        df.strided_slice(x, [0, 0], [0, 0], [1, 1], ellipsis_mask=3)
    with pytest.raises(Invalid, match="equal size"):
        df.strided_slice(x, [0, 0], [1], [1, 1])
    with pytest.raises(Invalid, match="index 4 is out of bounds for dimension 0 with size 4"):
        df.strided_slice(x, [4], [5], [1], shrink_axis_mask=1)


# -- gather, one_hot

@pytest.mark.parametrize("pshape,ishape,axis", [((5,), (), 0), ((7, 3), (4,), 0), ((7, 3), (2, 3), 1),
                                                ((4, 1, 3), (5,), -1), ((4, 1, 3), (2, 2), 0), ((5, 2), (0,), 0)])
def test_gather(pshape, ishape, axis):
    p = rand(pshape)
    idx = np.random.default_rng(1).integers(0, pshape[axis], size=ishape).astype(np.int32)
    assert_op(lambda a, i: df.gather(a, i, axis=axis), lambda a, i: np.take(a, i, axis=axis), p, idx)
    assert_op(lambda a, i: df.gather(a, i, axis=axis), lambda a, i: np.take(a, i, axis=axis), p,
              idx.astype(np.int64), feed_static_shape=False)
    out = df.gather(df.placeholder(df.float32, pshape), df.placeholder(df.int32, ishape), axis=axis)
    assert out.shape == np.take(p, idx, axis=axis).shape


def test_gather_with_constant_indices_and_unknown_params():
    p = rand((6, 3))
    assert_op(lambda a: df.gather(a, [[5, 0], [1, 1]]), lambda a: a[[[5, 0], [1, 1]]], p, feed_static_shape=False)
    assert df.gather(df.placeholder(df.float32, (None, 3)), [4, 1]).shape == (2, 3)


def _batch_take(p, idx, axis, b):
    """numpy reference of TF's gather with batch_dims ``b``: each batch takes with its own indices."""
    if b == 0:
        return np.take(p, idx, axis=axis)
    return np.stack([_batch_take(p[i], idx[i], axis - 1, b - 1) for i in range(p.shape[0])])


@pytest.mark.parametrize("pshape, ishape, axis, b", [
    ((3, 4), (3, 2), None, 1), ((3, 4), (3, 2), 1, -1), ((2, 3, 4), (2, 5), 2, 1), ((2, 3, 4, 2), (2, 3, 2), 3, 2),
    ((2, 3, 4), (2, 3, 2, 2), 2, 2), ((2, 5, 3), (2, 4), 1, 1), ((1, 3, 4), (1,), 2, 1)], ids=str)
def test_gather_with_batch_dims(pshape, ishape, axis, b):
    ax = (b % len(ishape) if b < 0 else b) if axis is None else axis
    p = rand(pshape)
    idx = np.random.default_rng(2).integers(0, pshape[ax], size=ishape).astype(np.int32)
    ref = _batch_take(p, idx, ax, b % len(ishape) if b < 0 else b)
    assert_op(lambda a, i: df.gather(a, i, axis=axis, batch_dims=b), lambda a, i: ref, p, idx)
    assert_op(lambda a, i: df.gather(a, i, axis=axis, batch_dims=b), lambda a, i: ref, p, idx.astype(np.int64),
              feed_static_shape=False)
    assert df.gather(df.constant(p), idx, axis=axis, batch_dims=b).shape == ref.shape


def test_gather_with_batch_dims_checks_each_batch():
    p = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(df.gather(p, [[0, 1], [2, 3], [1, 1]], batch_dims=1).compute(),
                                  [[0, 1], [6, 7], [9, 9]])  # TF's values
    for bad in (4, -1):  # an offset index would read the next batch's row
        with pytest.raises(Invalid, match=rf"gather: indices along axis 1 \(batch_dims 1\) must be in \[0, n\); "
                                          rf"n =\] \[4\] \[indices =\] \[0 {bad} 2 \.\.\.\]"):
            run_graph(lambda a, i: df.gather(a, i, batch_dims=1), p, np.array([[0, bad], [2, 3], [1, 1]]),
                      feed_static_shape=False)
    with pytest.raises(Invalid, match="same batch dims"):  # shapes known only at run time
        run_graph(lambda a, i: df.gather(a, i, batch_dims=1), p, np.zeros((1, 2), np.int32), feed_static_shape=False)
    with pytest.raises(Invalid):
        run_graph(lambda a, i: df.gather(a, i, batch_dims=1), p, np.zeros((2, 2), np.int32), feed_static_shape=False)
    with pytest.raises(ValueError, match=r"params.shape\[:1\] = \(3,\) must equal indices.shape\[:1\] = \(2,\)"):
        df.gather(p, np.zeros((2, 2), np.int32), batch_dims=1)
    with pytest.raises(ValueError, match="batch_dims must be in"):
        df.gather(p, np.zeros((3, 2), np.int32), axis=0, batch_dims=1)


def test_gather_errors():
    p = df.placeholder(df.float32, (5, 3))
    with pytest.raises(Invalid, match="indices must be int32 or int64, got .* float32"):
        df.gather(p, df.constant([1.0, 2.0]))
    with pytest.raises(Invalid, match=r"indices = 5 is not in \[0, 5\)"):
        df.gather(p, [1, 5])
    with pytest.raises(Invalid, match=r"indices = -1 is not in \[0, 3\)"):
        run_graph(lambda a, i: df.gather(a, i, axis=1), rand((5, 3)), np.array([0, -1], np.int32))
    with pytest.raises(Invalid, match=r"indices = 9 is not in \[0, 5\)"):
        run_graph(lambda a, i: df.gather(a, i), rand((5, 3)), np.array([[0, 1], [9, 2]], np.int32),
                  chunks=[None, (1, 2)])


def _np_one_hot(idx, depth, on=1.0, off=0.0, axis=-1, dtype=np.float32):
    hot = idx[..., None] == np.arange(depth)
    out = np.where(hot, on, off).astype(dtype)
    return np.moveaxis(out, -1, axis) if axis != -1 else out


@pytest.mark.parametrize("ishape", [(), (5,), (7, 3), (1, 3)])
@pytest.mark.parametrize("axis", [-1, 0])
def test_one_hot(ishape, axis):
    idx = np.random.default_rng(2).integers(-1, 6, size=ishape).astype(np.int32)  # -1 and 5: out of range
    assert_op(lambda i: df.one_hot(i, 5, axis=axis), lambda i: _np_one_hot(i, 5, axis=axis), idx)
    assert df.one_hot(df.placeholder(df.int32, ishape), 5, axis=axis).shape == _np_one_hot(idx, 5, axis=axis).shape


def test_one_hot_values_dtype_and_errors():
    idx = np.array([[0, 2], [1, 7]], np.int64)
    assert_op(lambda i: df.one_hot(i, 3, on_value=5, off_value=-1, axis=1),
              lambda i: _np_one_hot(i, 3, 5, -1, axis=1, dtype=np.int32), idx)
    assert df.one_hot([0], 3, dtype=df.float64).dtype == np.float64
    assert df.one_hot([0], 3, on_value=2.0).dtype == np.float32
    assert df.one_hot([0], 3).dtype == np.float32
    with pytest.raises(Invalid, match="indices must be uint8, int32 or int64"):
        df.one_hot([0.0], 3)
    with pytest.raises(Invalid, match="Expected axis to be -1 or between"):
        df.one_hot([0, 1], 3, axis=3)


def test_one_hot_chunks_the_depth_axis_within_chunk_bytes():
    with df.config.set(chunk_bytes=64):
        t = df.one_hot(df.constant(np.arange(10, dtype=np.int32)), 12)
        arr = lowered(t)
        np.testing.assert_array_equal(arr.compute(), np.eye(10, 12, dtype=np.float32))
    assert max(arr.chunks[1]) * max(arr.chunks[0]) * 4 <= 64



# -- unsorted_segment_sum

def _np_segment_sum(data, ids, n):
    out = np.zeros((n,) + data.shape[ids.ndim:], data.dtype)
    for j in np.ndindex(ids.shape):
        if ids[j] >= 0:
            out[ids[j]] += data[j]
    return out


@pytest.mark.parametrize("dshape,ids,n", [((6, 2), [1, 0, 1, 3, -1, 1], 4), ((5,), [0, 0, 2, 2, 2], 3),
                                          ((2, 3, 2), [[1, 1, 0], [2, -1, 0]], 3), ((3, 2), [0, 1, 1], 0),
                                          ((0, 2), np.zeros(0, np.int32), 2), ((4,), [1, 1, 1, 1], 6)])
def test_unsorted_segment_sum(dshape, ids, n):
    data, ids = rand(dshape), np.asarray(ids, np.int32)
    if n == 0:
        ids = np.full_like(ids, -1)  # all dropped: nothing refers to a segment
    assert_op(lambda d, i: df.unsorted_segment_sum(d, i, n), lambda d, i: _np_segment_sum(d, i, n), data, ids)
    assert_op(lambda d, i: df.unsorted_segment_sum(d, i, df.shape(d)[-1] * 0 + n),
              lambda d, i: _np_segment_sum(d, i, n), data, ids.astype(np.int64), feed_static_shape=False)
    assert df.unsorted_segment_sum(df.placeholder(df.float32, (None,) + dshape[ids.ndim:]),
                                   df.placeholder(df.int32, (None,)), n).shape == (n,) + dshape[ids.ndim:]


def test_unsorted_segment_sum_blocks_segments_within_chunk_bytes():
    data, ids = rand((30, 2)), np.random.default_rng(0).integers(0, 20, 30).astype(np.int32)
    with df.config.set(chunk_bytes=64):
        arr = lowered(df.unsorted_segment_sum(df.constant(data), df.constant(ids), 20))
        assert len(arr.chunks[0]) > 1 and max(arr.chunks[0]) * 2 * 8 <= 64
        np.testing.assert_allclose(arr.compute(), _np_segment_sum(data, ids, 20))


def test_unsorted_segment_sum_errors():
    data = df.placeholder(df.float32, (4, 2))
    with pytest.raises(Invalid, match=r"data.shape = \(4, 2\) does not start with segment_ids.shape = \(3,\)"):
        df.unsorted_segment_sum(data, [0, 1, 2], 3)
    with pytest.raises(Invalid, match="segment_ids must be int32 or int64"):
        df.unsorted_segment_sum(data, [0.0, 1.0, 2.0, 3.0], 3)
    with pytest.raises(Invalid, match="num_segments must be non-negative"):
        df.unsorted_segment_sum(data, [0, 1, 2, 3], -1)
    with pytest.raises(Invalid, match=r"segment_ids = 5 is not in \[0, 3\)"):
        run_graph(lambda d, i: df.unsorted_segment_sum(d, i, 3), rand((4, 2)), np.array([0, 5, 1, 2], np.int32),
                  chunks=[None, (2, 2)])
    # no segments: any id that is not dropped is out of range (as TF); empty data sums nothing and checks nothing
    with pytest.raises(Invalid, match=r"segment_ids = 0 is not in \[0, 0\)"):
        run_graph(lambda d, i: df.unsorted_segment_sum(d, i, 0), rand((4, 2)), np.array([0, -1, 0, 0], np.int32))
    got = run_graph(lambda d, i: df.unsorted_segment_sum(d, i, 0), rand((4, 2)), np.full(4, -1, np.int32))
    assert got.shape == (0, 2)
    got = run_graph(lambda d, i: df.unsorted_segment_sum(d, i, 3), np.zeros((4, 0)), np.array([0, 5, 1, 2], np.int32))
    assert got.shape == (3, 0)


# -- gradients

GRAD_CASES = [
    GradCase("Slice", lambda x: df.slice(x, [1, 0], [3, -1]), [(5, 3)], order=2),
    GradCase("Slice", with_unknown_dims(lambda x: df.slice(x, [2, 1], [-1, 1])), [(5, 3)]),
    GradCase({"StridedSlice", "StridedSliceGrad"}, lambda x: x[::-2, None, 1], [(7, 3)], order=2),
    GradCase("StridedSlice", lambda x: x[1:6:2, ::-1], [(7, 3)]),
    GradCase("StridedSlice", lambda x: x[..., -1:0:-2, None], [(2, 7)]),
    GradCase("StridedSlice", lambda x: df.strided_slice(x, [0, -2], [0, 100], [1, 3], begin_mask=1, end_mask=1,
                                                        shrink_axis_mask=0), [(3, 8)]),
    GradCase("StridedSlice", with_unknown_dims(lambda x: x[1:, -1]), [(4, 3)]),
    GradCase({"GatherV2", "UnsortedSegmentSum"}, lambda x: df.gather(x, [2, 0, 2, 4, 2]), [(5, 3)], order=2),
    GradCase({"GatherV2", "UnsortedSegmentSum"}, lambda x: df.gather(x, [[2, 0], [1, 1]], axis=1), [(2, 3, 4)],
             order=2),
    GradCase("GatherV2", with_unknown_dims(lambda x: df.gather(x, [3, 3, 0], axis=-1)), [(2, 4)]),
    GradCase({"GatherV2", "UnsortedSegmentSum"}, lambda x: df.gather(x, [[[1, 0], [2, 2]], [[0, 0], [1, 2]]], axis=2,
                                                                      batch_dims=1), [(2, 2, 3)], order=2),
    GradCase({"UnsortedSegmentSum", "GatherV2"}, lambda x: df.unsorted_segment_sum(x, [1, -1, 1, 0], 3), [(4, 2)],
             order=2),
    GradCase("UnsortedSegmentSum", lambda x: df.unsorted_segment_sum(x, [[0, 2], [2, 2]], 4), [(2, 2, 3)]),
]


@pytest.mark.parametrize("shape,key", [((7, 3), (slice(None, None, -2), None, 1)), ((4, 5), (Ellipsis, 3)),
                                       ((6,), slice(-2, None, -1)), ((3, 4), (slice(5, 7), slice(1, 3))),
                                       ((2, 5), (None, slice(1, None, 2), 0))])
def test_strided_slice_grad_is_the_adjoint_of_strided_slice(shape, key):
    src = np.arange(int(np.prod(shape))).reshape(shape)[key]
    dy = rand(src.shape, seed=4)
    ref = np.bincount(src.ravel(), weights=dy.ravel(), minlength=int(np.prod(shape))).reshape(shape)

    def build(t):
        spec = df.zeros(shape)[key].op  # a StridedSlice of x's shape: its bounds and masks
        return apply1("StridedSliceGrad", [df.constant(np.int32(shape))] + list(spec.inputs[1:]) + [t], spec.attrs)
    assert_op(build, lambda t: ref, dy)


def test_gradients_through_indexing_with_unknown_batch_size():
    x = df.placeholder(df.float64, (None, 3))
    losses = {"gather": df.reduce_sum(df.gather(x, [0, 2, 2]) * 2.0),
              "gather_axis_1": df.reduce_sum(df.gather(x, [[0, 2], [2, 2]], axis=1)),
              "getitem": df.reduce_sum(x[1:, ::-2]), "slice": df.reduce_sum(df.slice(x, [1, 0], [-1, 2]))}
    grads = {k: df.gradients(v, x)[0] for k, v in losses.items()}
    assert all(g.shape.as_list() == [None, 3] for g in grads.values())

    def wanted(n):
        gather = np.zeros((n, 3))
        gather[0], gather[2] = 2.0, 4.0
        rows = np.ones((n, 1)) * (np.arange(n) > 0)[:, None]
        return {"gather": gather, "gather_axis_1": np.tile([[1.0, 0, 3]], (n, 1)),
                "getitem": rows * [1.0, 0, 1], "slice": rows * [1.0, 1, 0]}
    with df.Session() as s:
        for feed in (rand((4, 3)), da.from_array(rand((7, 3), seed=1), chunks=(3, 2))):
            got = s.run(grads, {x: feed})
            for k, g in got.items():
                np.testing.assert_allclose(g, wanted(feed.shape[0])[k], err_msg=k)


@pytest.mark.parametrize("index", [np.s_[::2, 1], np.s_[3:17:3, ::-2], np.s_[-1:2:-4, None, 1:5], np.s_[5, ::5],
                                   np.s_[:0, 2], np.s_[..., 4:1:-1]])
def test_strided_slice_gradient_over_many_blocks_keeps_the_blocks(index):
    x = np.random.default_rng(3).standard_normal((20, 6))
    t = df.placeholder(df.float64, (None, None))
    w = np.random.default_rng(4).standard_normal(x[index].shape)
    g, = df.gradients(df.reduce_sum(t[index] * w), [t])
    want = np.zeros_like(x)
    want[index] = w  # the slice's places get w; every other element 0
    with df.Session() as s:
        got = s.run(g, {t: da.from_array(x, chunks=(3, 4))})
        lazy = df.lower(g, {t: da.from_array(x, chunks=(3, 4))})
    np.testing.assert_array_equal(got, want)
    assert lazy.chunks == ((3,) * 6 + (2,), (4, 2))  # x's blocks: the gradient lines up with x


def test_slicing_a_dim_of_unknown_chunk_sizes():
    """A dim whose size only the computation knows (here string_split's entries) is taken whole by ``[:]``; any
    other slice of it is refused clearly."""
    sp = df.string_split(["a b", "c"])
    with df.Session() as s:
        assert s.run(sp.indices[:, :-1]).tolist() == [[0], [0], [1]]
        with pytest.raises(df.errors.UnimplementedError, match="its size is known only after computing"):
            s.run(sp.indices[1:, 0])
