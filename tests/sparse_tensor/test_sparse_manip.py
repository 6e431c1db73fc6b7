"""Rearranging SparseTensors against numpy on the dense forms: reorder, reshape, transpose, concat, split, slice,
retain, expand_dims, fill_empty_rows, reset_shape, eye, merge, to_indicator; gradients to the values by finite
differences; TF's errors."""
import numpy as np
import pytest

import daskflow as df
import daskflow.sparse as sps
from daskflow import errors
from daskflow.testing import check_grads, run_graph


def random_sparse(shape, density=0.4, seed=0):
    rng = np.random.default_rng(seed)
    dense = rng.uniform(-2, 2, shape) * (rng.uniform(size=shape) < density)
    idx = np.argwhere(dense != 0).astype(np.int64)
    return idx, dense[tuple(idx.T)], dense


def parts(sp):
    return [sp.indices, sp.values, sp.dense_shape]


def dense_of(i, v, s):
    out = np.zeros(tuple(s), v.dtype)
    out[tuple(np.asarray(i).reshape(-1, len(s)).T)] = v
    return out


def assert_sparse(got, dense):
    """``got`` (indices, values, dense_shape) is ``dense`` with its entries in row-major order."""
    i, v, s = got
    assert tuple(s) == dense.shape
    assert i.shape == (len(v), dense.ndim)
    assert len(i) < 2 or (np.diff(np.ravel_multi_index(tuple(i.T), dense.shape)) > 0).all(), "not row-major"
    np.testing.assert_allclose(dense_of(i, v, s), dense)


def test_reorder():
    idx, vals, dense = random_sparse((4, 3, 2), seed=1)
    perm = np.random.default_rng(2).permutation(len(vals))
    build = lambda v: parts(sps.reorder(sps.SparseTensor(idx[perm], v, [4, 3, 2])))  # noqa: E731
    i, v, s = run_graph(build, vals[perm])
    np.testing.assert_array_equal(i, idx)
    np.testing.assert_array_equal(v, vals)
    check_grads(lambda v: build(v)[1], [vals[perm]])


@pytest.mark.parametrize("new", [[6, 4], [-1, 2], [2, 3, 4], [24], [4, -1, 3]])
def test_reshape_against_numpy(new):
    idx, vals, dense = random_sparse((4, 3, 2), seed=3)
    build = lambda v: parts(sps.reshape(sps.SparseTensor(idx, v, [4, 3, 2]), new))  # noqa: E731
    assert_sparse(run_graph(build, vals), dense.reshape(new))
    check_grads(lambda v: build(v)[1], [vals])


def test_reshape_static_shape_and_errors():
    sp = sps.SparseTensor([[0, 0]], [1.0], [2, 3])
    assert sps.reshape(sp, [3, 2]).shape == (3, 2)
    with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 6 elements to shape \[4, 2\] \(8 elements\)"):
        sps.reshape(sp, [4, 2])
    with pytest.raises(ValueError, match=r"At most one dimension can be inferred \(-1\). Found: \[-1 -1\]"):
        sps.reshape(sp, [-1, -1])
    with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 6 elements to shape \[None, 4\]"):
        sps.reshape(sp, [-1, 4])
    with pytest.raises(errors.InvalidArgumentError, match="Input to reshape is a SparseTensor with"):
        run_graph(lambda d: parts(sps.reshape(sps.SparseTensor([[0, 0]], [1.0], d), [4, 2])),
                  np.array([2, 3], np.int64), feed_static_shape=False)


@pytest.mark.parametrize("perm", [None, [1, 0, 2], [2, 0, 1]])
def test_transpose_against_numpy(perm):
    idx, vals, dense = random_sparse((4, 3, 2), seed=4)
    build = lambda v: parts(sps.transpose(sps.SparseTensor(idx, v, [4, 3, 2]), perm))  # noqa: E731
    assert_sparse(run_graph(build, vals), np.transpose(dense, perm))
    check_grads(lambda v: build(v)[1], [vals])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_against_numpy(axis):
    shapes = [(2, 3, 2), (2, 3, 2), (2, 3, 2)]
    shapes = [tuple(d + k if a == axis % 3 else d for a, d in enumerate(s)) for k, s in enumerate(shapes)]
    inputs = [random_sparse(s, seed=10 + k) for k, s in enumerate(shapes)]

    def build(*vs):
        return parts(sps.concat(axis, [sps.SparseTensor(i, v, s) for (i, _, _), v, s in zip(inputs, vs, shapes)]))
    assert_sparse(run_graph(build, *[v for _, v, _ in inputs]),
                  np.concatenate([d for _, _, d in inputs], axis=axis))
    check_grads(lambda *vs: build(*vs)[1], [v for _, v, _ in inputs])


def test_concat_expanding_and_errors():
    a, b = random_sparse((2, 3), seed=20), random_sparse((4, 2), seed=21)
    got = run_graph(lambda x, y: parts(sps.concat(1, [sps.SparseTensor(a[0], x, [2, 3]),
                                                      sps.SparseTensor(b[0], y, [4, 2])],
                                                  expand_nonconcat_dim=True)), a[1], b[1])
    expected = np.zeros((4, 5))
    expected[:2, :3], expected[:, 3:] = a[2], b[2]
    assert_sparse(got, expected)
    x, y = sps.SparseTensor([[0, 0]], [1.0], [2, 3]), sps.SparseTensor([[0, 0]], [1.0], [2, 4])
    with pytest.raises(errors.InvalidArgumentError, match="Input shapes must match: expected 3 for dimension 1 but "
                                                          "got 4 at position 1"):
        sps.concat(0, [x, y])
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 1"):
        sps.concat(0, [x, sps.SparseTensor([[0]], [1.0], [2])])
    with pytest.raises(errors.InvalidArgumentError, match=r"Concat dimension must be in range \[-2, 2\), got 2"):
        sps.concat(2, [x, x])


@pytest.mark.parametrize("start, size", [([1, 0], [5, 5]), ([0, 1], [2, 2]), ([3, 2], [1, 4]), ([4, 0], [1, 1])])
def test_slice_against_numpy(start, size):
    idx, vals, dense = random_sparse((4, 5), density=0.6, seed=5)
    build = lambda v: parts(sps.slice(sps.SparseTensor(idx, v, [4, 5]), start, size))  # noqa: E731
    expected = dense[start[0]:start[0] + size[0], start[1]:start[1] + size[1]]
    assert_sparse(run_graph(build, vals), expected)
    with pytest.raises(errors.InvalidArgumentError, match="Expected size to be a vector of length 2 but got length "
                                                          "1"):
        sps.slice(sps.SparseTensor(idx, vals, [4, 5]), [0, 0], [1])


@pytest.mark.parametrize("num_split, axis", [(3, 1), (2, 0), (5, -1), (1, 0)])
def test_split_sizes_as_tf(num_split, axis):
    idx, vals, dense = random_sparse((4, 5), density=0.6, seed=6)
    outs = run_graph(lambda v: [p for sp in sps.split(sp_input=sps.SparseTensor(idx, v, [4, 5]), num_split=num_split,
                                                      axis=axis) for p in parts(sp)], vals)
    dim = dense.shape[axis]
    sizes = [dim // num_split + (1 if k < dim % num_split else 0) for k in range(num_split)]
    pieces = np.split(dense, np.cumsum(sizes)[:-1], axis=axis)
    for k, piece in enumerate(pieces):
        assert_sparse(outs[3 * k:3 * k + 3], piece)


def test_split_errors():
    sp = sps.SparseTensor([[0, 0], [1, 1]], [1.0, 2.0], [2, 3])
    with pytest.raises(errors.InvalidArgumentError, match=r"Input axis should be in range \[-2, 2\), got 3"):
        sps.split(sp_input=sp, num_split=2, axis=3)
    with pytest.raises(errors.InvalidArgumentError, match=r"Input num_split should be between 1 and the splitting "
                                                          r"dimension size \(2\), got 4"):
        sps.split(sp_input=sp, num_split=4, axis=0)
    with pytest.raises(TypeError):
        sps.split(sp, 2, 0)  # keywords only, as TF1


def test_retain():
    idx, vals, dense = random_sparse((3, 4), seed=7)
    keep = np.arange(len(vals)) % 2 == 0
    build = lambda v: parts(sps.retain(sps.SparseTensor(idx, v, [3, 4]), keep))  # noqa: E731
    i, v, s = run_graph(build, vals)
    np.testing.assert_array_equal(i, idx[keep])
    np.testing.assert_array_equal(v, vals[keep])
    check_grads(lambda v: sps.to_dense(sps.retain(sps.SparseTensor(idx, v, [3, 4]), keep)), [vals])
    with pytest.raises(ValueError, match=f"Dimensions {len(vals)} and 1 are not compatible"):
        sps.retain(sps.SparseTensor(idx, vals, [3, 4]), [True])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_expand_dims_against_numpy(axis):
    idx, vals, dense = random_sparse((3, 4), seed=8)
    assert_sparse(run_graph(lambda v: parts(sps.expand_dims(sps.SparseTensor(idx, v, [3, 4]), axis)), vals),
                  np.expand_dims(dense, axis))


def test_fill_empty_rows():
    idx = np.array([[0, 1, 0], [2, 0, 1], [2, 1, 1]])
    vals = np.array([1.0, 2.0, 3.0])

    def build(v, d):
        out, empty = sps.fill_empty_rows(sps.SparseTensor(idx, v, [5, 2, 2]), d)
        return parts(out) + [empty]
    i, v, s, empty = run_graph(build, vals, np.array(-1.5))
    expected = np.zeros((5, 2, 2))
    expected[tuple(idx.T)] = vals
    expected[[1, 3, 4], 0, 0] = -1.5
    assert_sparse([i, v, s], expected)
    np.testing.assert_array_equal(empty, [False, True, False, True, True])
    check_grads(lambda v, d: sps.to_dense(sps.fill_empty_rows(sps.SparseTensor(idx, v, [5, 2, 2]), d)[0]),
                [vals, np.array(-1.5)])
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        sps.fill_empty_rows(sps.SparseTensor([[0, 0]], [1.0], [2, 3]), [1.0])


def test_reset_shape():
    sp = sps.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, 2.0, 3.0], [3, 3])
    got = run_graph(lambda v: parts(sps.reset_shape(sps.SparseTensor([[0, 0], [0, 2], [1, 1]], v, [3, 3]))),
                    np.ones(3))
    np.testing.assert_array_equal(got[2], [2, 3])
    got = run_graph(lambda v: parts(sps.reset_shape(sps.SparseTensor(np.zeros((0, 2), np.int64), v, [3, 3]))),
                    np.ones(0))
    np.testing.assert_array_equal(got[2], [0, 0])
    assert sps.reset_shape(sp, [4, 5]).shape == (4, 5)
    with pytest.raises(ValueError, match="Requested new_shape should have dimension sizes >= sp_input.shape"):
        sps.reset_shape(sp, [2, 2])
    with pytest.raises(ValueError, match="Dimensions 3 and 2 are not compatible"):
        sps.reset_shape(sp, [2, 2, 2])
    with pytest.raises(errors.InvalidArgumentError, match="Requested new_shape should have dimension sizes"):
        run_graph(lambda n: parts(sps.reset_shape(sps.SparseTensor([[0, 2]], [1.0], [3, 3]), n)),
                  np.array([5, 1], np.int64))


def test_eye():
    with df.Graph().as_default():
        sp = sps.eye(2, 3, dtype=df.float64)
        assert sp.shape == (2, 3) and sp.dtype == df.float64
        with df.Session() as s:
            got = s.run(parts(sp))
    assert_sparse(got, np.eye(2, 3))
    assert_sparse(run_graph(lambda n: parts(sps.eye(n)), np.array(3, np.int64)), np.eye(3))


def test_merge_and_to_indicator():
    ids_idx = np.array([[0, 0], [0, 1], [1, 0], [2, 2]])
    ids = np.array([3, 1, 3, 0])
    weights = np.array([0.5, 0.1, 0.3, 0.7])

    def build(i, w):
        return parts(sps.merge(sps.SparseTensor(ids_idx, i, [3, 3]), sps.SparseTensor(ids_idx, w, [3, 3]), 4))
    expected = np.zeros((3, 4))
    expected[ids_idx[:, 0], ids] = weights
    assert_sparse(run_graph(build, ids, weights), expected)
    got = run_graph(lambda i: sps.to_indicator(sps.SparseTensor(ids_idx, i, [3, 3]), 4), ids)
    np.testing.assert_array_equal(got, expected != 0)
    assert got.dtype == bool
    with pytest.raises(errors.InvalidArgumentError, match="is out of bounds"):
        run_graph(lambda i: sps.to_indicator(sps.SparseTensor([[0, 0]], i, [2, 3]), 5), np.array([7]))
