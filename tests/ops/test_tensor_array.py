"""TensorArray (TF1's ``tf.TensorArray``): each method's values against numpy, on uneven chunkings and placeholders of
unknown dims; static shapes; growth with ``dynamic_size`` (by indices known when built, from shapes, and from run-time
data); the errors TF1 raises (class and message, naming the array); gradients of stack, read, gather and concat with
respect to the values written (``GRAD_CASES``, checked by tests/autodiff/test_op_grads.py, and below); writes that
keep the value's blocks. Values checked against TF 2.21's ``tf.compat.v1.TensorArray`` where TF1 gives one. Run on
the local Session and on a LocalCluster."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase, assert_op, check_grads, rand, run_graph, with_unknown_dims

pytestmark = pytest.mark.every_executor

TESTED_OPS = {"RowWrite", "RowScatter"}

Invalid = df.errors.InvalidArgumentError


def _run(fetches, feeds=None):
    with df.Session() as s:
        return s.run(fetches, feeds)


# -- values

def _written(x, y):
    """x's rows unstacked into an array of 6, row 4 then written with y, row 1 with y * 2."""
    ta = df.TensorArray(df.float64, size=6).unstack(x)
    return ta.write(4, y).write(1, y * 2.0)


def _written_ref(x, y):
    out = np.zeros((6,) + x.shape[1:])
    out[:len(x)] = x
    out[4], out[1] = y, y * 2.0
    return out


@pytest.mark.parametrize("xshape", [(4, 3), (5, 2, 3), (3,)], ids=str)
def test_write_unstack_stack_read_and_gather_match_numpy(xshape):
    x, y = rand(xshape, seed=1), rand(xshape[1:], seed=2)
    ref = _written_ref(x, y)
    assert_op(lambda a, b: _written(a, b).stack(), lambda a, b: ref, x, y)
    assert_op(lambda a, b: _written(a, b).stack(), lambda a, b: ref, x, y, feed_static_shape=False)
    assert_op(lambda a, b: [_written(a, b).read(4), _written(a, b).read(0), _written(a, b).read(5)],
              lambda a, b: [ref[4], ref[0], ref[5]], x, y)
    assert_op(lambda a, b: _written(a, b).gather([5, 1, 1, 0]), lambda a, b: ref[[5, 1, 1, 0]], x, y,
              feed_static_shape=False)
    with df.Graph().as_default():
        ta = _written(df.placeholder(df.float64, xshape), df.placeholder(df.float64, xshape[1:]))
        assert ta.stack().shape == (6,) + xshape[1:] and ta.stack().dtype == np.float64
        assert ta.read(3).shape == xshape[1:] and ta.gather([0, 2]).shape == (2,) + xshape[1:]
        assert ta.element_shape == xshape[1:] and ta.dtype == np.float64 and not ta.dynamic_size


def test_indices_and_values_known_only_at_run_time():
    x = rand((5, 3), seed=3)

    def build(a, i, idx):
        ta = df.TensorArray(df.float64, size=7, element_shape=[3])
        ta = ta.scatter(idx, a).write(i, a[0] * 10.0)
        return [ta.stack(), ta.read(i), ta.gather(idx)]

    idx = np.array([6, 0, 3, 2, 5], np.int32)
    ref = np.zeros((7, 3))
    ref[idx] = x
    ref[4] = x[0] * 10.0
    assert_op(build, lambda a, i, j: [ref, ref[4], ref[idx]], x, np.array(4, np.int32), idx)
    assert_op(build, lambda a, i, j: [ref, ref[4], ref[idx]], x, np.array(4, np.int32), idx.astype(np.int64),
              feed_static_shape=False)


def test_scatter_concat_and_split():
    x = rand((6, 2), seed=4)
    scattered = np.zeros((4, 2, 2))
    scattered[[3, 0, 2]] = rand((3, 2, 2), seed=5)

    def build(a, b):
        split = df.TensorArray(df.float64, size=3).split(a, [2, 2, 2])
        sc = df.TensorArray(df.float64, size=4).scatter([3, 0, 2], b)
        return [split.stack(), split.concat(), split.read(1), sc.stack(), sc.concat()]

    assert_op(build, lambda a, b: [a.reshape(3, 2, 2), a, a[2:4], scattered, scattered.reshape(8, 2)], x,
              rand((3, 2, 2), seed=5))
    assert_op(build, lambda a, b: [a.reshape(3, 2, 2), a, a[2:4], scattered, scattered.reshape(8, 2)], x,
              rand((3, 2, 2), seed=5), feed_static_shape=False)
    with df.Graph().as_default():
        ta = df.TensorArray(df.float32, size=3).split(df.placeholder(df.float32, [6, 4]), [2, 2, 2])
        assert ta.element_shape == (2, 4) and ta.concat().shape == (6, 4) and ta.stack().shape == (3, 2, 4)
        lens = df.placeholder(df.int32, [3])
        ta = df.TensorArray(df.float32, size=3).split(df.placeholder(df.float32, [None, 4]), lens)
        assert ta.stack().shape.as_list() == [3, None, 4] and ta.concat().shape.as_list() == [None, 4]


def test_split_with_lengths_known_at_run_time():
    x = df.placeholder(df.float64, [None, 2])
    lens = df.placeholder(df.int32, [2])
    ta = df.TensorArray(df.float64, size=2).split(x, lens)
    v = np.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(_run(ta.stack(), {x: v, lens: [2, 2]}), v.reshape(2, 2, 2))
    with pytest.raises(Invalid, match="split needs equal lengths"):
        _run(ta.stack(), {x: v, lens: [1, 3]})
    with pytest.raises(Invalid, match="split needs equal lengths"):
        _run(ta.stack(), {x: v, lens: [1, 1]})


def test_size_flow_identity_close_and_hooks():
    n = df.placeholder(df.int32, [])
    ta = df.TensorArray(df.float32, size=3)
    assert ta._value_or_none() is None and ta.element_shape.ndims is None and ta._size == 3
    assert ta.flow.shape == () and ta.flow.dtype == np.float32 and ta._initial_value() is None
    written = ta.write(1, [1.0, 2.0])
    assert written.element_shape == (2,) and written._value_or_none() is written.flow
    assert ta._value_or_none() is None  # the array written to is unchanged: writes make new arrays
    assert written.size().dtype == np.int32 and df.get_static_value(written.size()) == 3
    same = written._with_value(written.stack() * 2.0)
    assert same.dtype == np.float32 and same._size == 3 and same.element_shape == (2,)
    ident = written.identity()
    assert ident.flow is not written.flow and isinstance(ident.close(), df.Operation)
    by_flow = df.TensorArray(df.float32, handle=written.handle, flow=written.flow)
    known = df.TensorArray(df.float64, size=n, element_shape=[2, 1])
    assert known._initial_value().shape.as_list() == [None, 2, 1]
    with df.Session() as s:
        got = s.run([written.stack(), same.stack(), ident.read(1), by_flow.read(1), by_flow.size(), ta.flow,
                     known.stack(), known.size()], {n: 4})
    np.testing.assert_array_equal(got[0], [[0, 0], [1, 2], [0, 0]])
    np.testing.assert_array_equal(got[1], [[0, 0], [2, 4], [0, 0]])
    np.testing.assert_array_equal(got[2], [1, 2])
    np.testing.assert_array_equal(got[3], [1, 2])
    assert got[4] == 3 and got[5] == 0.0 and got[6].shape == (4, 2, 1) and got[7] == 4


def test_empty_arrays():
    ta = df.TensorArray(df.float32, size=0, element_shape=[2, 3])
    assert ta.stack().shape == (0, 2, 3) and ta.concat().shape == (0, 3)
    got = _run([ta.stack(), ta.concat(), ta.size()])
    assert got[0].shape == (0, 2, 3) and got[1].shape == (0, 3) and got[2] == 0
    with pytest.raises(df.errors.UnimplementedError, match="has size zero, but element shape <unknown> is not fully "
                                                           "defined"):
        df.TensorArray(df.float32, size=0).stack()
    with pytest.raises(Invalid, match="no element has been written and the element shape is not fully defined"):
        df.TensorArray(df.float32, size=2, element_shape=[None, 2]).read(0)


def test_strings_and_ints():
    s = df.TensorArray(df.string, size=3).write(2, b"c").write(0, "a")
    i = df.TensorArray(df.int32, size=2, dynamic_size=True).unstack([[1, 2], [3, 4]]).write(3, [5, 6])
    got = _run([s.stack(), s.read(0), i.stack(), i.size()])
    assert got[0].tolist() == [b"a", b"", b"c"] and got[1] == b"a"
    np.testing.assert_array_equal(got[2], [[1, 2], [3, 4], [0, 0], [5, 6]])
    assert got[2].dtype == np.int32 and got[3] == 4


# -- dynamic_size

def test_dynamic_size_grows_with_zero_rows_between():
    ta = df.TensorArray(df.float32, size=1, dynamic_size=True)
    assert ta.dynamic_size
    grown = ta.write(0, [1.0, 2.0]).write(3, [3.0, 4.0])
    assert grown.stack().shape.as_list() == [None, 2]  # as TF: a growing array's size is not static
    scattered = grown.scatter([5, 1], [[5.0, 6.0], [7.0, 8.0]])
    unstacked = df.TensorArray(df.float32, size=0, dynamic_size=True).unstack([[1.0], [2.0], [3.0]])
    split = df.TensorArray(df.float32, size=1, dynamic_size=True).split([1.0, 2.0, 3.0, 4.0], [2, 2])
    got = _run([grown.stack(), grown.size(), scattered.stack(), scattered.size(), unstacked.stack(), split.stack(),
                grown.read(3)])
    np.testing.assert_array_equal(got[0], [[1, 2], [0, 0], [0, 0], [3, 4]])  # TF 2.21's values
    assert got[1] == 4 and got[3] == 6
    np.testing.assert_array_equal(got[2], [[1, 2], [7, 8], [0, 0], [3, 4], [0, 0], [5, 6]])
    np.testing.assert_array_equal(got[4], [[1], [2], [3]])
    np.testing.assert_array_equal(got[5], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(got[6], [3, 4])
    with pytest.raises(Invalid, match="Tried to read from index 4 but array size is: 4|indices = 4 is not in"):
        _run(grown.read(df.placeholder_with_default(4, [])))


def test_dynamic_size_with_indices_from_run_time_data():
    """The new size depends on the index: computed first, then the plan is made for its value."""
    i = df.placeholder(df.int32, [])
    idx = df.placeholder(df.int32, [None])
    x = df.placeholder(df.float64, [None, 3])
    ta = df.TensorArray(df.float64, size=2, dynamic_size=True).write(i, x[0]).scatter(idx, x)
    with df.Session() as s:
        for k, ids in [(1, [0, 3]), (5, [2, 1, 7]), (0, [1]), (1, [0, 3])]:
            v = rand((len(ids), 3), seed=k)
            ref = np.zeros((max([2, k + 1] + [j + 1 for j in ids]), 3))
            ref[k] = v[0]
            ref[ids] = v
            got, n = s.run([ta.stack(), ta.size()], {i: k, idx: ids, x: v})
            np.testing.assert_array_equal(got, ref)
            assert n == len(ref)


def test_size_known_only_at_run_time():
    n = df.placeholder(df.int32, [])
    ta = df.TensorArray(df.float32, size=n).write(1, [1.0, 2.0])
    assert ta.stack().shape.as_list() == [None, 2]
    with df.Session() as s:
        np.testing.assert_array_equal(s.run(ta.stack(), {n: 3}), [[0, 0], [1, 2], [0, 0]])
        np.testing.assert_array_equal(s.run(ta.size(), {n: 5}), 5)
        with pytest.raises(Invalid, match="Tried to write to index 1 but array is not resizeable and size is: 1"):
            s.run(ta.stack(), {n: 1})


# -- errors

def test_shape_and_dtype_mismatches_raise_when_built():
    ta = df.TensorArray(df.float32, size=3, name="arr").write(0, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"TensorArray 'arr': Inconsistent shapes: saw \(3,\) but expected \(2,\)"):
        ta.write(1, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(3,\) but expected \(2,\)"):
        ta.unstack(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"saw \(2,\) but expected \(3,\)"):
        df.TensorArray(df.float32, size=3, element_shape=[3]).write(0, [1.0, 2.0])
    with pytest.raises(TypeError, match="TensorArray 'arr' has dtype float32, but write was given '.*' of dtype "
                                        "float64"):
        ta.write(1, df.constant([1.0, 2.0], df.float64))
    with pytest.raises(TypeError, match="has dtype int32, but scatter was given"):
        df.TensorArray(df.int32, size=2).scatter([0], df.constant([[1.5]]))
    with pytest.raises(TypeError, match="index must be int32 or int64"):
        ta.read(df.constant(0.0))
    with pytest.raises(TypeError, match="must hold integers"):
        ta.write(0.5, [1.0, 2.0])
    with pytest.raises(ValueError, match="indices must be a vector"):
        ta.gather(1)
    with pytest.raises(ValueError, match="cannot concat scalar elements"):
        df.TensorArray(df.float32, size=2).write(0, 1.0).concat()
    with pytest.raises(ValueError, match="split needs equal lengths"):
        df.TensorArray(df.float32, size=2).split([1.0, 2.0, 3.0], [1, 2])
    with pytest.raises(ValueError, match="2 indices for 3 rows"):
        ta.scatter([0, 1], np.ones((3, 2), np.float32))


def test_constructor_errors():
    with pytest.raises(ValueError, match="Argument `size` must be provided"):
        df.TensorArray(df.float32)
    with pytest.raises(ValueError, match="size must be non-negative"):
        df.TensorArray(df.float32, size=-1)
    with pytest.raises(TypeError, match="size must be an int"):
        df.TensorArray(df.float32, size=3.0)
    with pytest.raises(TypeError, match="size must be an int32 scalar"):
        df.TensorArray(df.float32, size=df.constant(3.0))
    with pytest.raises(ValueError, match="flow must not be None if handle is not None"):
        df.TensorArray(df.float32, handle=df.constant(0.0))


def test_out_of_range_raises_naming_the_array():
    ta = df.TensorArray(df.float32, size=2, name="arr").write(0, [1.0, 2.0])
    with pytest.raises(Invalid, match="TensorArray 'arr': Tried to read from index 5 but array size is: 2"):
        ta.read(5)
    with pytest.raises(Invalid, match="TensorArray 'arr': Tried to read from index 2 but array size is: 2"):
        ta.gather([0, 2])
    with pytest.raises(Invalid, match="TensorArray 'arr': Tried to write to index 3 but array is not resizeable and "
                                      "size is: 2"):
        ta.write(3, [1.0, 2.0])
    with pytest.raises(Invalid, match="TensorArray 'arr': Tried to write to index -1"):
        ta.write(-1, [1.0, 2.0])
    with pytest.raises(Invalid, match="TensorArray 'arr': unstack tried to write to index 2 but array is not "
                                      "resizeable"):
        ta.unstack(np.ones((3, 2), np.float32))
    with pytest.raises(Invalid, match="Could not write to TensorArray index 1 because it has already been written"):
        ta.scatter([1, 1], np.ones((2, 2), np.float32))
    with pytest.raises(Invalid, match="size of lengths \\(2 vs. 3\\)"):
        ta.split(np.ones((6,), np.float32), [2, 2, 2])
    i = df.placeholder(df.int32, [])
    idx = df.placeholder(df.int32, [2])
    x = df.placeholder(df.float32, [None])
    fetches = {"read": ta.read(i), "gather": ta.gather(idx), "write": ta.write(i, [0.0, 0.0]).stack(),
               "scatter": ta.scatter(idx, np.ones((2, 2), np.float32)).stack(), "shape": ta.write(1, x).stack()}
    with df.Session() as s:
        with pytest.raises(Invalid, match=r"indices = 2 is not in \[0, 2\) \[op 'arr/read'"):
            s.run(fetches["read"], {i: 2})
        with pytest.raises(Invalid, match=r"indices = 7 is not in \[0, 2\) \[op 'arr/gather'"):
            s.run(fetches["gather"], {idx: [0, 7]})
        with pytest.raises(Invalid, match="TensorArray 'arr': Tried to write to index 2 but array is not "
                                          "resizeable and size is: 2"):
            s.run(fetches["write"], {i: 2})
        with pytest.raises(Invalid, match="TensorArray 'arr': Tried to write to index 9 but"):
            s.run(fetches["scatter"], {idx: [0, 9]})
        with pytest.raises(Invalid, match="TensorArray 'arr': Could not write to TensorArray index 0 because it has "
                                          "already been written to"):
            s.run(fetches["scatter"], {idx: [0, 0]})
        with pytest.raises(Invalid, match=r"TensorArray 'arr': Could not write to TensorArray because the value "
                                          r"shape is \[3\] which is incompatible with the TensorArray's element "
                                          r"shape: \[2\]"):
            s.run(fetches["shape"], {x: [1.0, 2.0, 3.0]})
        np.testing.assert_array_equal(s.run(fetches["read"], {i: 1}), [0.0, 0.0])


# -- gradients

def _stacked(x, y):
    return _written(x, y).stack()


def _read(x, y):
    ta = _written(x, y)
    return df.stack([ta.read(1), ta.read(4) * ta.read(0)])


def _gathered(x, y):
    return _written(x, y).gather([4, 0, 1, 4])


def _concatenated(x, y):
    ta = df.TensorArray(df.float64, size=3).split(x, [2, 2, 2]).write(1, y)
    return df.sin(ta.concat())


def _scattered(x, y):
    return df.TensorArray(df.float64, size=5).scatter([3, 0, 4], x).write(0, y).stack() ** 2


def _grown(x, y):
    ta = df.TensorArray(df.float64, size=1, dynamic_size=True).write(0, y).write(4, y * x[1]).scatter([6, 2], x[1:3])
    return df.reshape(ta.stack(), [7, 3])


def _fed_indices(x, y):
    i = df.placeholder_with_default(np.int32(3), [])
    idx = df.placeholder_with_default(np.array([1, 5], np.int32), [None])
    ta = df.TensorArray(df.float64, size=6, element_shape=[3]).scatter(idx, x[:2]).write(i, y * y)
    return ta.stack()


GRAD_CASES = [
    GradCase({"RowWrite", "RowScatter"}, _stacked, [(4, 3), (3,)], order=2),
    GradCase({"RowWrite", "RowScatter"}, _read, [(4, 3), (3,)]),
    GradCase({"RowWrite", "RowScatter"}, _gathered, [(4, 3), (3,)]),
    GradCase({"RowWrite", "RowScatter"}, _concatenated, [(6, 3), (2, 3)]),
    GradCase({"RowWrite", "RowScatter"}, _scattered, [(3, 2), (2,)], order=2),
    GradCase({"RowWrite", "RowScatter"}, _grown, [(4, 3), (3,)], order=2),
    GradCase({"RowWrite", "RowScatter"}, _fed_indices, [(4, 3), (3,)]),
    GradCase("RowWrite", with_unknown_dims(_stacked), [(4, 3), (3,)]),
]


@pytest.mark.parametrize("build", [_stacked, _read, _gathered, _grown, _fed_indices])
def test_gradients_match_finite_differences(build):
    x, y = rand((4, 3), seed=6), rand((3,), seed=7)
    check_grads(build, [x, y])
    check_grads(build, [x, y], chunks=[((1, 2, 1), (2, 1)), ((2, 1),)])


def test_gradients_of_concat_and_of_overwritten_rows():
    check_grads(_concatenated, [rand((6, 3), seed=8), rand((2, 3), seed=9)], chunks=[((1, 3, 2), (3,)), ((2,), (3,))])
    x = df.placeholder(df.float64, [3, 2])
    y = df.placeholder(df.float64, [2])
    ta = df.TensorArray(df.float64, size=3).unstack(x).write(1, y)  # row 1 of x overwritten: no gradient to it
    gx, gy = df.gradients(df.reduce_sum(ta.stack() * np.arange(6.0).reshape(3, 2)), [x, y])
    got = _run([gx, gy], {x: np.ones((3, 2)), y: np.ones(2)})
    np.testing.assert_array_equal(got[0], [[0, 1], [0, 0], [4, 5]])  # TF 2.21 refuses a second write instead
    np.testing.assert_array_equal(got[1], [2, 3])


# -- blocks

def test_writes_keep_the_values_blocks():
    """A write copies the one block it lands in; a scatter the blocks its rows land in: the value keeps its
    chunking, so that a loop writing row by row streams."""
    x = da.from_array(np.arange(40.0).reshape(10, 4), chunks=(3, 2))
    p = df.placeholder(df.float64, [10, 4])
    i = df.placeholder(df.int32, [])
    ta = df.TensorArray(df.float64, size=10).unstack(p)
    row = df.constant(np.full(4, -1.0))
    outs = [ta.write(4, row).stack(), ta.write(i, row).stack(), ta.scatter([9, 0, 1], df.stack([row] * 3)).stack(),
            ta.stack()]
    lowered = df.lower(outs, {p: x, i: 4})
    for arr in lowered:
        assert arr.chunks == x.chunks
    assert lowered[3].name == x.name  # unstack of every row, in order: the rows themselves
    want = np.arange(40.0).reshape(10, 4)
    want[4] = -1.0
    for got in _run(outs[:2], {p: x, i: 4}):
        np.testing.assert_array_equal(got, want)


def test_run_graph_checks_static_shapes_of_every_method():
    x = rand((6, 2), seed=10)

    def build(a):
        ta = df.TensorArray(df.float64, size=6).unstack(a)
        grow = df.TensorArray(df.float64, size=0, dynamic_size=True).unstack(a).write(7, a[0])
        return [ta.stack(), ta.read(2), ta.gather([1, 2]), ta.concat(), ta.size(), grow.stack(), grow.size()]
    got = run_graph(build, x, feed_static_shape=False)
    assert got[5].shape == (8, 2) and got[6] == 8
    np.testing.assert_array_equal(got[3], x.reshape(-1))
