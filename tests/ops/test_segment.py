"""Segment reductions against numpy over several chunkings: TF's values for empty segments, dropped negative ids,
errors for ids out of range or not sorted, and gradients (GRAD_CASES, checked by tests/autodiff/test_op_grads.py)."""
import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.autodiff import gradients
from daskflow.testing import GradCase, assert_op, rand, run_graph

TESTED_OPS = {"UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd"}


def _np_segments(fn, data, ids, num, empty):
    """numpy reference: ``fn`` over the rows of ``data`` (leading dims those of ``ids``) with each id."""
    ids = np.asarray(ids)
    rows = data.reshape((-1,) + data.shape[ids.ndim:])
    flat = ids.reshape(-1)
    out = np.full((num,) + rows.shape[1:], empty, dtype=data.dtype)
    for i in range(num):
        if (flat == i).any():
            out[i] = fn(rows[flat == i], axis=0)
    return out


IDS = np.array([2, 0, 2, -1, 0, 4, 2])
UNSORTED = [
    (df.math.unsorted_segment_sum, np.sum, 0.0), (df.math.unsorted_segment_max, np.max, np.finfo(np.float64).min),
    (df.math.unsorted_segment_min, np.min, np.finfo(np.float64).max), (df.math.unsorted_segment_prod, np.prod, 1.0),
    (df.math.unsorted_segment_mean, np.mean, 0.0),
    (df.math.unsorted_segment_sqrt_n, lambda r, axis: r.sum(axis) / np.sqrt(len(r)), 0.0),
]


@pytest.mark.parametrize("fn, ref, empty", UNSORTED, ids=lambda v: getattr(v, "__name__", ""))
def test_unsorted_against_numpy(fn, ref, empty):
    data = rand((7, 3), "float64")
    assert_op(lambda d, i: fn(d, i, 6), lambda d, i: _np_segments(ref, d, i, 6, empty), data, IDS, rtol=1e-12)


def test_unsorted_with_matrix_ids_and_ints():
    data, ids = rand((3, 4, 2), "int32", -5, 5), np.array([[0, 1, 1, 3], [3, 3, -1, 0], [2, 2, 2, 0]])
    for fn, ref, empty in [(df.math.unsorted_segment_max, np.max, np.iinfo(np.int32).min),
                           (df.math.unsorted_segment_min, np.min, np.iinfo(np.int32).max),
                           (df.math.unsorted_segment_prod, np.prod, 1)]:
        assert_op(lambda d, i: fn(d, i, 5), lambda d, i: _np_segments(ref, d, i, 5, empty), data, ids)
    got = run_graph(lambda d: df.math.unsorted_segment_mean(d, [0, 0, 3], 4), np.array([1, 2, 3], np.int32))
    np.testing.assert_array_equal(got, [1.5, 0.0, 0.0, 3.0])  # TF: integer data give float64 means
    assert got.dtype == np.float64


def test_unsorted_errors():
    with pytest.raises(errors.InvalidArgumentError, match=r"segment_ids\[1\] = 2 is out of range \[0, 2\)"):
        run_graph(lambda d, i: df.math.unsorted_segment_max(d, i, 2), np.ones(3), np.array([0, 2, 1]))
    with pytest.raises(errors.InvalidArgumentError, match="does not start with"):
        df.math.unsorted_segment_min(df.constant(np.ones((3, 2))), [0, 1], 2)
    with pytest.raises(TypeError, match="DataType complex128 not in list of allowed values: UnsortedSegmentMax needs"):
        df.math.unsorted_segment_max(df.constant([1 + 1j]), [0], 1)


SORTED = [(df.segment_sum, np.sum), (df.segment_max, np.max), (df.segment_min, np.min), (df.segment_prod, np.prod),
          (df.segment_mean, np.mean)]


@pytest.mark.parametrize("fn, ref", SORTED, ids=lambda v: getattr(v, "__name__", ""))
def test_sorted_against_numpy(fn, ref):
    data, ids = rand((7, 2), "float64"), np.array([0, 0, 1, 3, 3, 3, 5])
    empty = 1.0 if fn is df.segment_prod else 0.0  # TF's sorted ops give 0 (1 for prod) to absent ids
    expected = _np_segments(ref, data, ids, 6, empty)
    assert_op(lambda d, i: fn(d, i), lambda d, i: expected, data, ids, rtol=1e-12)  # ids fed: known when run
    assert_op(lambda d: fn(d, ids), lambda d: expected, data, rtol=1e-12)  # constant ids
    assert fn(df.constant(data), ids).shape.as_list() == [6, 2]


def test_sorted_values_from_tf():
    np.testing.assert_array_equal(run_graph(lambda d: df.segment_max(d, [0, 0, 2]), np.array([1.0, 2.0, 3.0])),
                                  [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(run_graph(lambda d: df.segment_mean(d, [0, 0, 1]), np.array([1, 2, 4], np.int32)),
                                  [1, 4])  # integer means truncate


def test_sorted_errors():
    with pytest.raises(errors.InvalidArgumentError, match="not increasing"):
        df.segment_sum(df.constant([1.0, 2.0, 3.0]), [0, 2, 1])
    with pytest.raises(errors.InvalidArgumentError, match="must be >= 0"):
        df.segment_max(df.constant([1.0, 2.0, 3.0]), [-1, 0, 1])
    with pytest.raises(errors.InvalidArgumentError, match="same size as dimension 0"):
        df.segment_sum(df.constant([1.0, 2.0, 3.0]), [0, 1])
    for ids in ([0, 2, 1], [-1, 0, 1]):
        with pytest.raises(errors.InvalidArgumentError, match="not increasing or are negative"):
            run_graph(lambda d, i: df.segment_sum(d, i), np.ones(3), np.array(ids))


def test_extreme_gradients_split_ties_as_tf():
    data = np.array([1.0, 3.0, 3.0, 2.0, 5.0])
    g = run_graph(lambda d: gradients(df.reduce_sum(df.math.unsorted_segment_max(d, [0, 0, 0, 1, -1], 2)
                                                    * [1.0, 2.0]), [d])[0], data)
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5, 2.0, 0.0])
    g = run_graph(lambda d: gradients(df.reduce_sum(df.segment_min(d, [0, 0, 1, 1, 1])), [d])[0],
                  np.array([1.0, 1.0, 4.0, 2.0, 2.0]))
    np.testing.assert_array_equal(g, [0.5, 0.5, 0.0, 0.5, 0.5])


def test_prod_gradient_with_zeros():
    data = np.array([2.0, 0.0, 3.0, 0.0, 0.0, 4.0])
    g = run_graph(lambda d: gradients(df.reduce_sum(df.math.unsorted_segment_prod(d, [0, 0, 0, 1, 1, 2], 3)),
                                      [d])[0], data)
    np.testing.assert_array_equal(g, [0.0, 6.0, 0.0, 0.0, 0.0, 1.0])  # two zeros in a segment: no gradient


def _ids_rows(*ids):
    return [np.array(i) for i in ids]


def _tieless(shape, seed=0):
    def inputs():
        rng = np.random.default_rng(seed)
        return [rng.permutation(np.prod(shape)).reshape(shape) / 3.0 + 0.5]
    return inputs


GRAD_CASES = [
    GradCase("UnsortedSegmentMax", lambda d: df.math.unsorted_segment_max(d, [1, 0, 1, -1, 2, 1], 3), [(6, 2)],
             inputs=_tieless((6, 2))),
    GradCase("UnsortedSegmentMin", lambda d: df.math.unsorted_segment_min(d, [[1, 0], [1, 2]], 3), [(2, 2, 3)],
             inputs=_tieless((2, 2, 3))),
    GradCase("UnsortedSegmentProd", lambda d: df.math.unsorted_segment_prod(d, [1, 0, 1, -1, 1], 3), [(5, 2)],
             domain=(0.5, 2.0)),
    GradCase({"UnsortedSegmentMax", "UnsortedSegmentProd"},
             lambda d: df.segment_max(d, [0, 0, 2, 2, 2]) + df.segment_prod(d, [0, 0, 2, 2, 2]) + df.segment_mean(
                 d, [0, 0, 2, 2, 2]), [(5, 3)], inputs=_tieless((5, 3))),
    GradCase("UnsortedSegmentMin", lambda d: df.math.unsorted_segment_sqrt_n(d, [0, 0, 1], 2) + df.segment_min(
        d, [0, 1, 1]), [(3, 2)], inputs=_tieless((3, 2))),
]
