"""ConditionalAccumulator and SparseConditionalAccumulator: values, stale gradients, global steps and errors as
TF1's (values and messages observed from TF)."""
import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.accumulators import ConditionalAccumulator, SparseConditionalAccumulator
from daskflow.ops.indexed_slices import IndexedSlices
from daskflow.testing import SweepCase

TESTED_OPS = {"ResourceConditionalAccumulator", "ResourceAccumulatorApplyGradient", "ResourceAccumulatorTakeGradient",
              "ResourceAccumulatorNumAccumulated", "ResourceAccumulatorSetGlobalStep", "SparseConditionalAccumulator",
              "SparseAccumulatorApplyGradient", "SparseAccumulatorTakeGradient", "AccumulatorNumAccumulated",
              "AccumulatorSetGlobalStep"}


def _sweep_accumulators(g, rows):
    """Gradients of fed shapes applied (as initializers), then the counts and the averages taken."""
    dense = ConditionalAccumulator(df.float64, shape=(None, 3), name="dense")
    sparse = SparseConditionalAccumulator(df.float64, shape=(None, 3), name="sparse")
    applied = [dense.apply_grad(g), dense.set_global_step(0), sparse.apply_grad(rows, g), sparse.set_global_step(0)]
    taken = sparse.take_grad(1)
    return [dense.take_grad(1), taken.indices, taken.values, sparse.num_accumulated(), dense.num_accumulated()], \
        applied


SWEEP_CASES = [SweepCase(_sweep_accumulators, np.arange(6.0).reshape(2, 3), np.array([1, 3], np.int64),
                         name="accumulators", init=True)]


def test_dense_mean_steps_and_errors():
    q = ConditionalAccumulator(df.float32, shape=(2,), name="Q")
    assert (q.name, q.dtype, q.accumulator_ref.op.type) == ("Q", df.float32, "ResourceConditionalAccumulator")
    n = q.num_accumulated()
    assert n.op.name == "Q_NumAccumulated"
    with df.Session() as s:
        s.run(q.apply_grad([1.0, 2.0]))
        s.run(q.apply_grad([3.0, 4.0]))
        assert s.run(n) == 2
        np.testing.assert_array_equal(s.run(q.take_grad(2)), [2.0, 3.0])
        assert s.run(n) == 0
        s.run(q.apply_grad([3.0, 4.0], local_step=0))  # global step is 1 now: stale, dropped
        assert s.run(n) == 0
        s.run(q.apply_grad([3.0, 4.0], local_step=1))
        with pytest.raises(errors.OutOfRangeError, match="has 1 gradient"):
            s.run(q.take_grad(2))
        assert s.run(n) == 1  # a take that failed leaves the gradients
        with pytest.raises(errors.InvalidArgumentError, match="Argument num_required must be positive, but was 0"):
            s.run(q.take_grad(0))
        s.run(q.set_global_step(3))
        s.run(q.apply_grad([1.0, 1.0], local_step=2))
        assert s.run(n) == 1
        np.testing.assert_array_equal(s.run(q.take_grad(1)), [3.0, 4.0])
    with pytest.raises(ValueError, match="incompatible"):
        q.apply_grad([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="not in: \"MEAN\", \"SUM\""):
        ConditionalAccumulator(df.float32, reduction_type="X")


def test_dense_sum_unknown_shape():
    x = df.placeholder(df.float64)
    u = ConditionalAccumulator(df.float64, reduction_type="SUM")
    ap = u.apply_grad(x)
    with df.Session() as s:
        s.run(ap, {x: np.ones((2, 3))})
        with pytest.raises(errors.InvalidArgumentError, match=r"Shape mismatch: expected \[2,3\], got \[3,3\]"):
            s.run(ap, {x: np.ones((3, 3))})
        s.run(ap, {x: np.full((2, 3), 2.0)})
        np.testing.assert_array_equal(s.run(u.take_grad(2)), np.full((2, 3), 3.0))
        s.run(u.apply_grad(x, local_step=1), {x: np.ones((3, 3))})  # a take resets the shape
        np.testing.assert_array_equal(s.run(u.take_grad(1)), np.ones((3, 3)))


def test_sparse_mean_per_row_and_errors():
    ss = SparseConditionalAccumulator(df.float32, shape=(4, 2), name="S")
    with df.Session() as s:
        s.run(ss.apply_grad([0, 2], [[1.0, 1.0], [2.0, 2.0]], grad_shape=[4, 2]))
        s.run(ss.apply_indexed_slices_grad(IndexedSlices(df.constant([[3.0, 3.0], [1.0, 1.0]]), df.constant([2, 3]),
                                                         df.constant([4, 2]))))
        got = s.run(ss.take_grad(2))  # TF: rows averaged over the gradients that gave them
        np.testing.assert_array_equal(got.indices, [0, 2, 3])
        np.testing.assert_array_equal(got.values, [[1.0, 1.0], [2.5, 2.5], [1.0, 1.0]])
        np.testing.assert_array_equal(got.shape, [4, 2])
        cases = [(([5], [[1.0, 1.0]], [4, 2]), "index of slice 0 exceeded limits of shape; index is 5 exceeded 4"),
                 (([1], [[1.0, 1.0, 1.0]], None), "expected values dim 1 to be 2, got 3"),
                 (([1], [[1.0, 1.0]], [5, 2]), "expected shape dim 0 to be 4, got 5"),
                 (([1, 2], [[1.0, 1.0]], None), "Expected 2 non-empty input values, got 1")]
        for (ix, vals, shape), msg in cases:
            with pytest.raises(errors.InvalidArgumentError, match=msg):
                s.run(ss.apply_grad(ix, vals, grad_shape=shape, local_step=1))
        sm = SparseConditionalAccumulator(df.float32, reduction_type="SUM")
        s.run(sm.apply_grad([3, 0], [[1.0, 1.0], [2.0, 2.0]]))
        s.run(sm.apply_grad([0], [[5.0, 5.0]]))
        assert s.run(sm.num_accumulated()) == 2
        got = s.run(sm.take_indexed_slices_grad(1))
        np.testing.assert_array_equal(got.indices, [0, 3])
        np.testing.assert_array_equal(got.values, [[7.0, 7.0], [1.0, 1.0]])
        np.testing.assert_array_equal(got.dense_shape, [-1, 2])  # no shape given: TF's -1 for the rows
        s.run(sm.set_global_step(5))
        s.run(sm.apply_grad([1], [[1.0, 1.0]], local_step=4))
        assert s.run(sm.num_accumulated()) == 0
