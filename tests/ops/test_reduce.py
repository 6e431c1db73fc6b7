import math

import dask
import dask.array as da
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import daskflow as df
from daskflow.ops.registry import NOT_DIFFERENTIABLE, OPS
from daskflow.autodiff import gradients
from daskflow.testing import GradCase, assert_op, rand, run_graph, with_unknown_dims, with_unknown_rank

TESTED_OPS = {"Sum", "Mean", "Max", "Min", "Prod", "Any", "All", "ArgMax", "ArgMin", "SumToShape"}

SHAPES = [(), (5,), (7, 3), (1, 3), (4, 1, 3)]


def _np_mean(x, axis=None, keepdims=False):
    if x.dtype.kind in "iu":  # TF: integer sum, then division truncating toward zero
        n = np.sum(np.ones(x.shape, np.int64), axis=axis, keepdims=keepdims)
        return np.trunc(np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64) / np.maximum(n, 1)).astype(x.dtype)
    return np.mean(x, axis=axis, keepdims=keepdims).astype(x.dtype)


# df function, numpy reference, dtypes
REDUCTIONS = {
    "sum": (df.reduce_sum, lambda x, **kw: np.sum(x, dtype=x.dtype, **kw), ["float32", "float64", "int32"]),
    "mean": (df.reduce_mean, _np_mean, ["float32", "float64", "int32"]),
    "max": (df.reduce_max, np.max, ["float32", "float64", "int32"]),
    "min": (df.reduce_min, np.min, ["float32", "float64", "int32"]),
    "prod": (df.reduce_prod, lambda x, **kw: np.prod(x, dtype=x.dtype, **kw), ["float32", "float64", "int32"]),
    "any": (df.reduce_any, np.any, ["bool"]),
    "all": (df.reduce_all, np.all, ["bool"]),
}


def _axis_cases(ndim):
    cases = [None, []]
    if ndim:
        cases += [0, -1]
    if ndim >= 2:
        cases += [[ndim - 1, 0]]
    if ndim == 3:
        cases += [(0, 2), [-2]]
    return cases


def _data(shape, dtype, seed=0):
    if dtype == "int32":
        return rand(shape, "float64", -6, 6, seed=seed).round().astype(np.int32)
    return rand(shape, dtype, seed=seed)


def _all_cases(fn, ref, x):
    """One graph with every axis/keepdims combination, checked against numpy on every chunking."""
    cases = [(a, k) for a in _axis_cases(x.ndim) for k in (False, True)]

    def build(t):
        return [fn(t, axis=a, keepdims=k) for a, k in cases]

    def reference(x):
        return [ref(x, axis=tuple(a) if isinstance(a, list) else a, keepdims=k) for a, k in cases]

    assert_op(build, reference, x)


@pytest.mark.parametrize("kind", sorted(REDUCTIONS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_reduction_matches_numpy(kind, shape):
    fn, ref, dts = REDUCTIONS[kind]
    for dt in dts:
        _all_cases(fn, ref, _data(shape, dt))


@pytest.mark.parametrize("kind", sorted(REDUCTIONS))
def test_tree_reduction_with_one_element_chunks(kind):
    fn, ref, dts = REDUCTIONS[kind]
    x = _data((7, 5, 3), dts[-1], seed=3)
    with dask.config.set(split_every=2):
        got = run_graph(lambda t: [fn(t), fn(t, 1), fn(t, [0, 2], keepdims=True)], x, chunks=[1])
    for g, e in zip(got, [ref(x), ref(x, axis=1), ref(x, axis=(0, 2), keepdims=True)]):
        np.testing.assert_allclose(g, e, rtol=1e-5)



BLOCK_CASES = {**REDUCTIONS,
               "logsumexp": (df.reduce_logsumexp, lambda x, axis=None, keepdims=False: np.log(
                   np.sum(np.exp(x.astype(np.float64)), axis=axis, keepdims=keepdims)).astype(x.dtype),
                             ["float32", "float64"]),
               "count_nonzero": (df.count_nonzero, lambda x, axis=None, keepdims=False: np.count_nonzero(
                   x, axis=axis, keepdims=keepdims).astype(np.int64), ["float64", "int32", "bool"])}


@pytest.mark.parametrize("kind", sorted(BLOCK_CASES))
def test_reductions_over_whole_and_split_axes(kind):
    """Axes 1 and 2 are one chunk each (one task per block), axis 0 is split (dask's tree reduction)."""
    fn, ref, dts = BLOCK_CASES[kind]
    cases = [(a, k) for a in ([1], [2], [1, 2], [2, 1], [0], [0, 2], None) for k in (False, True)]
    for dt in dts:
        x = _data((6, 4, 5), dt, seed=4) if dt != "bool" else rand((6, 4, 5), "bool", seed=4)
        x[1, 2] = 0  # zeros for count_nonzero and prod
        got = run_graph(lambda t: [fn(t, a, keepdims=k) for a, k in cases], x, chunks=[(2, 4, 5)])
        for (a, k), g in zip(cases, got):
            e = ref(x, axis=tuple(a) if a else a, keepdims=k)
            assert g.dtype == e.dtype and g.shape == e.shape, (a, k)
            tol = dict(rtol=1e-5, atol=1e-6) if dt == "float32" else dict(rtol=1e-12)
            np.testing.assert_allclose(g, e, **tol, err_msg=f"{a}, {k}")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_sums_and_means_over_many_leading_rows(dtype):
    # float sums over the leading axes of a block with many rows (bias gradients) take a product with ones
    x = rand((150, 3, 4), "float64", -100, 100, seed=8).astype(dtype)
    if dtype != "int32":
        x[7, 1, 2], x[9, 2, 3], x[11, 2, 3] = np.nan, np.inf, -np.inf  # nan and inf propagate as in numpy's sums
    cases = [(a, k) for a in ([0], [0, 1], [1], [0, 2]) for k in (False, True)]
    for chunks in [None, [(150, 3, (1, 3))], [((50, 100), 3, 4)]]:
        with np.errstate(invalid="ignore"):  # inf - inf, as numpy's own sums say
            got = run_graph(lambda t: [f(t, a, keepdims=k) for a, k in cases for f in (df.reduce_sum, df.reduce_mean)],
                            x, chunks=chunks)
            refs = [r(x, axis=tuple(a), keepdims=k) for a, k in cases
                    for r in (lambda x, **kw: np.sum(x, dtype=x.dtype, **kw), _np_mean)]
        for g, e in zip(got, refs):
            assert g.dtype == e.dtype and g.shape == e.shape
            tol = 1e-5 if dtype == "float32" else 1e-12
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "float16", "complex64"])
def test_whole_axis_mean_keeps_the_dtype_rules(dtype):
    x = rand((4, 6), "float64", 0 if dtype == "uint8" else -9, 200 if dtype == "uint8" else 9, seed=6).astype(dtype)
    got = run_graph(lambda t: [df.reduce_mean(t, 1), df.reduce_mean(t, [1], keepdims=True)], x, chunks=[(2, 6)])
    ref = _np_mean(x, axis=1) if dtype[0] in "iu" else np.mean(x.astype(np.complex128 if dtype[0] == "c" else
                                                                        np.float64), axis=1).astype(dtype)
    for g in got:
        assert g.dtype == dtype
        np.testing.assert_allclose(g.reshape(4), ref, rtol=1e-3 if dtype == "float16" else 1e-6)


def _tasks(t, x, chunks):
    """Tasks of the lowered ``t(x)`` (the feed's blocks not counted) and blocks of its output."""
    with df.Graph().as_default():
        ph = df.placeholder(x.dtype, x.shape)
        out = df.lower(t(ph), {ph: da.from_array(x, chunks=chunks)})
    return len(dict(out.__dask_graph__())) - x.size // math.prod(chunks), out.npartitions


@pytest.mark.parametrize("fn", [lambda t: df.reduce_sum(t, [1, 2]), lambda t: df.reduce_max(t, 2, keepdims=True),
                                lambda t: df.reduce_mean(t, 1), lambda t: df.reduce_prod(t, [1, 2], keepdims=True),
                                lambda t: df.argmax(t, 2), lambda t: df.argmin(t, 1, output_type=df.int32)])
def test_whole_axes_reduce_in_one_task_per_block(fn):
    x = rand((6, 4, 6), "float64", seed=7)
    tasks, blocks = _tasks(fn, x, (2, 4, 6))
    assert tasks == blocks == 3
    tasks, blocks = _tasks(fn, x, (2, 2, 3))  # the tree: a task per input block, then aggregations
    assert tasks > 12 >= blocks

@settings(deadline=None, max_examples=25)
@given(data=st.data(), kind=st.sampled_from(sorted(REDUCTIONS)), keep=st.booleans(),
       shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=5), chunk=st.integers(1, 3))
def test_reductions_property(data, kind, keep, shape, chunk):
    fn, ref, dts = REDUCTIONS[kind]
    x = _data(shape, data.draw(st.sampled_from(dts)), seed=len(shape))
    axes = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape)) if shape
                     else st.just([]))
    assume(len({a % len(shape) for a in axes}) == len(axes) if shape else True)
    got = run_graph(lambda t: fn(t, axes, keepdims=keep), x, chunks=[chunk])
    np.testing.assert_allclose(got, ref(x, axis=tuple(axes), keepdims=keep), rtol=1e-5)


def test_integer_mean_truncates_toward_zero():
    assert df.reduce_mean(df.constant([-7, 0], dtype="int32")).compute() == -3
    assert df.reduce_mean(df.constant([7, 0], dtype="int32")).compute() == 3
    got = df.reduce_mean(df.constant([[-3, -4, 5], [1, 1, 2]], dtype="int64"), axis=1).compute()
    np.testing.assert_array_equal(got, [0, 1])
    assert got.dtype == np.int64


def test_half_mean_accumulates_in_float32():
    x = np.full(4096, 1.5, dtype=np.float16)
    got = run_graph(lambda t: df.reduce_mean(t), x, chunks=[(4096,)])
    assert got.dtype == np.float16 and got == np.float16(1.5)


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_empty_axes_follow_numpy(dtype):
    x = np.zeros((0, 3), dtype=dtype)

    def build(t):
        return [df.reduce_sum(t, 0), df.reduce_prod(t, 0), df.reduce_mean(t, 0), df.reduce_sum(t)]

    got = run_graph(build, x)
    np.testing.assert_array_equal(got[0], np.zeros(3, dtype))
    np.testing.assert_array_equal(got[1], np.ones(3, dtype))
    np.testing.assert_array_equal(got[2], np.full(3, np.nan) if dtype == "float64" else np.zeros(3, dtype))
    assert got[3] == 0
    b = np.zeros((0, 2), bool)
    np.testing.assert_array_equal(run_graph(lambda t: [df.reduce_any(t, 0), df.reduce_all(t, 0)], b),
                                  [[False, False], [True, True]])


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "int64", "uint8"])
@pytest.mark.parametrize("static", [True, False])
def test_max_and_min_of_an_empty_axis_are_their_identities(dtype, static):
    # as TF: the lowest (highest) value of the dtype, -inf (inf) for floats
    x = np.zeros((0, 3), dtype)
    lo, hi = (-np.inf, np.inf) if x.dtype.kind == "f" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
    got = run_graph(lambda t: [df.reduce_max(t, 0), df.reduce_min(t, 0), df.reduce_max(t, 0, keepdims=True),
                               df.reduce_max(t), df.reduce_min(t, 1)], x, feed_static_shape=static)
    np.testing.assert_array_equal(got[0], np.full(3, lo, dtype))
    np.testing.assert_array_equal(got[1], np.full(3, hi, dtype))
    np.testing.assert_array_equal(got[2], np.full((1, 3), lo, dtype))
    assert got[3] == lo and got[4].shape == (0,)
    if x.dtype.kind == "f":
        np.testing.assert_array_equal(run_graph(lambda t: df.reduce_logsumexp(t, 0), x), np.full(3, -np.inf))


def test_unknown_chunk_sizes():
    # the lowerings are called directly: Session feeds with unknown chunk sizes are not supported yet
    v = da.from_array(np.arange(-5, 12, dtype=np.int32), chunks=4)
    v = v[v > 2]  # 9 values, chunk sizes unknown to dask
    assert np.isnan(v.shape[0])
    x = df.placeholder("int32", [None])
    outs = [df.reduce_sum(x), df.reduce_mean(x), df.reduce_mean(df.cast(x, "float64")), df.reduce_max(x)]
    ins = [v, v, v.astype(np.float64), v]
    got = [OPS[t.op.type].lower(t.op, a).compute() for t, a in zip(outs, ins)]
    assert got == [63, 7, 7.0, 11] and [g.dtype for g in got] == [np.int32, np.int32, np.float64, np.int32]
    empty = v[v > 100]
    assert np.isnan(OPS["Mean"].lower(outs[2].op, empty.astype(np.float64)).compute())
    assert OPS["Mean"].lower(outs[1].op, empty).compute() == 0
    with pytest.raises(df.errors.UnimplementedError, match="known chunk sizes"):
        am = df.argmax(x)
        OPS["ArgMax"].lower(am.op, v)


def test_unknown_rank():
    x = df.placeholder("float32")
    total, rows, kept = df.reduce_sum(x), df.reduce_max(x, 1), df.reduce_sum(x, keepdims=True)
    assert total.shape == () and rows.shape.ndims is None and kept.shape.ndims is None
    v = rand((3, 4), "float32")
    with df.Session() as s:
        got = s.run([total, rows, kept], {x: v})
    np.testing.assert_allclose(got[0], v.sum(), rtol=1e-5)
    np.testing.assert_allclose(got[1], v.max(1))
    assert got[2].shape == (1, 1)


def test_tf1_argument_aliases():
    v = rand((3, 4), "float64")
    x = df.constant(v)
    np.testing.assert_allclose(df.reduce_sum(x, reduction_indices=[1], keep_dims=True).compute(),
                               v.sum(1, keepdims=True))
    np.testing.assert_allclose(df.reduce_mean(x, df.constant([0, 1])).compute(), v.mean())
    with pytest.raises(df.errors.InvalidArgumentError, match="Axes contains duplicate dimension: 1"):
        df.reduce_max(x, [1, -1])  # as TF
    with pytest.raises(df.errors.InvalidArgumentError, match="Axes contains duplicate dimension: 0"):
        p = df.placeholder("float64")
        df.Session().run(df.reduce_sum(p, [0, -2]), {p: v})  # the rank known only when run
    assert df.reduce_sum(x, np.int64(0)).shape == (4,)
    with pytest.raises(ValueError, match="both 'axis' and 'reduction_indices'"):
        df.reduce_sum(x, 0, reduction_indices=0)
    with pytest.raises(ValueError, match="both 'keepdims' and 'keep_dims'"):
        df.reduce_sum(x, keepdims=True, keep_dims=True)


def test_names_and_namespaces():
    x = df.constant([1.0, 2.0])
    assert df.reduce_sum(x, name="total").name == "total:0"
    assert df.reduce_mean(x).op.type == "Mean"
    assert df.math.reduce_prod is df.reduce_prod and df.math.argmax is df.argmax
    np.testing.assert_allclose(np.mean(x).compute(), 1.5)
    np.testing.assert_allclose(np.max(x, axis=0).compute(), 2.0)


def test_axis_errors():
    x = df.placeholder("float32", [2, 3])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Invalid reduction dimension 2 .*op 'Sum'"):
        df.reduce_sum(x, 2)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Invalid reduction dimension -3 .*type Mean"):
        df.reduce_mean(x, [0, -3])
    with pytest.raises(df.errors.InvalidArgumentError, match="Invalid reduction dimension 0 for input with 0"):
        df.reduce_max(df.constant(1.0), 0)
    with pytest.raises(TypeError, match="axis must be an int"):
        df.reduce_sum(x, 1.0)
    with pytest.raises(ValueError, match="known when the graph is built"):
        df.reduce_sum(x, df.placeholder("int32", []))


def test_dtype_errors():  # TF's TypeError (its class; the message names daskflow's op)
    with pytest.raises(TypeError, match=r"has DataType float32 not in list of allowed values: Any needs a bool"):
        df.reduce_any(df.placeholder("float32", [2]))
    with pytest.raises(TypeError, match=r"has DataType int32 not in list of allowed values: All needs a bool"):
        df.reduce_all(df.placeholder("int32", [2]))
    with pytest.raises(TypeError, match=r"has DataType bool not in list of allowed values: Sum needs a numeric"):
        df.reduce_sum(df.placeholder("bool", [2]))
    with pytest.raises(TypeError, match=r"DataType complex64 not in list of allowed values: Max needs a real numeric"):
        df.reduce_max(df.placeholder("complex64", [2]))


def test_complex_sum_and_mean():
    v = (rand((4, 3)) + 1j * rand((4, 3), seed=1)).astype(np.complex128)
    assert_op(lambda t: [df.reduce_sum(t, 0), df.reduce_mean(t)], lambda v: [v.sum(0), v.mean()], v)


# -- logsumexp

def _np_logsumexp(x, axis=None, keepdims=False):
    x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_logsumexp_matches_float64(shape, scale):
    x = (rand(shape, "float64") * scale).astype(np.float32)
    cases = [(a, k) for a in _axis_cases(len(shape)) for k in (False, True)]

    def reference(x):
        return [_np_logsumexp(x, tuple(a) if isinstance(a, list) else a, k).astype(np.float32) for a, k in cases]

    assert_op(lambda t: [df.reduce_logsumexp(t, a, keepdims=k) for a, k in cases], reference, x, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_infinities(dtype):
    x = np.array([[-np.inf, -np.inf, -np.inf], [1e4, 1e4, -np.inf], [0.0, np.inf, 1.0], [np.nan, 0.0, 1.0]],
                 dtype=dtype)
    for chunks in ([None], [1]):
        got = run_graph(lambda t: df.reduce_logsumexp(t, 1), x, chunks=chunks)
        np.testing.assert_allclose(got, [-np.inf, 1e4 + np.log(2), np.inf, np.nan], rtol=1e-6)
    assert df.reduce_logsumexp(x, name="lse").name == "lse:0"
    with pytest.raises(TypeError, match="floating point"):
        df.reduce_logsumexp(df.constant([1, 2]))


# -- argmax / argmin

@pytest.mark.parametrize("shape", [(5,), (7, 3), (1, 3), (4, 1, 3)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_arg_reductions_match_numpy(shape, dtype):
    # few distinct values: ties everywhere, and across chunk boundaries
    x = rand(shape, "float64", 0, 3, seed=2).astype(dtype) if dtype != "bool" else rand(shape, "bool")
    axes = list(range(-len(shape), len(shape)))

    def build(t):
        return [f(t, a) for f in (df.argmax, df.argmin) for a in axes]

    def reference(x):
        return [f(x, axis=a) for f in (np.argmax, np.argmin) for a in axes]

    assert_op(build, reference, x, rtol=0, atol=0)


def test_arg_reductions_tree_and_ties():
    x = np.zeros((6, 9), np.int32)
    x[:, [2, 5]] = 4
    x[3] = -1
    with dask.config.set(split_every=2):
        got = run_graph(lambda t: [df.argmax(t, 1), df.argmin(t, 1), df.argmax(t), df.argmin(t, 0)], x,
                        chunks=[1])
    np.testing.assert_array_equal(got[0], [2, 2, 2, 0, 2, 2])
    np.testing.assert_array_equal(got[1], [0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(got[2], np.argmax(x, 0))
    np.testing.assert_array_equal(got[3], np.full(9, 3))


def test_arg_reduction_arguments():
    v = rand((3, 4), seed=5)
    x = df.constant(v)
    first = df.argmax(x)  # TF1's default axis is 0
    assert first.dtype == df.int64 and first.shape == (4,)
    np.testing.assert_array_equal(first.compute(), v.argmax(0))
    small = df.argmin(x, dimension=1, output_type=df.int32)
    assert small.dtype == df.int32 and small.op.type == "ArgMin"
    np.testing.assert_array_equal(small.compute(), v.argmin(1))
    np.testing.assert_array_equal(df.arg_max(x, 1).compute(), v.argmax(1))
    np.testing.assert_array_equal(df.arg_min(x, -1, output_type=df.int32).compute(), v.argmin(1))
    assert OPS["ArgMax"].grad is NOT_DIFFERENTIABLE and OPS["ArgMin"].grad is NOT_DIFFERENTIABLE


def test_arg_reduction_errors():
    x = df.placeholder("float32", [2, 3])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"range \[-2, 2\), but got 2 .*op 'ArgMax'"):
        df.argmax(x, 2)
    with pytest.raises(df.errors.InvalidArgumentError, match=r"ArgMin needs a scalar axis, got \[0, 1\]"):
        df.argmin(x, [0, 1])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"Reduction axis 0 is empty"):
        df.argmax(df.placeholder("float32", [0, 3]))
    with pytest.raises(df.errors.InvalidArgumentError, match=r"range \[0, 0\)"):
        df.argmax(df.constant(1.0))
    with pytest.raises(df.errors.InvalidArgumentError, match="output_type must be int32 or int64"):
        df.argmax(x, output_type=df.float32)
    with pytest.raises(TypeError, match="DataType complex64 not in list of allowed values"):
        df.argmax(df.placeholder("complex64", [2]))
    with pytest.raises(ValueError, match="both 'axis' and 'dimension'"):
        df.argmax(x, 0, dimension=0)


# -- count_nonzero

@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_count_nonzero(dtype):
    x = rand((4, 1, 3), "float64", -1, 2, seed=7).round().astype(dtype)

    def build(t):
        return [df.count_nonzero(t), df.count_nonzero(t, [0, -1], keepdims=True),
                df.count_nonzero(t, reduction_indices=0, dtype=df.int32)]

    def reference(x):
        return [np.count_nonzero(x), np.count_nonzero(x, axis=(0, 2), keepdims=True),
                np.count_nonzero(x, axis=0).astype(np.int32)]

    got = assert_op(build, reference, x)
    assert got[0] > 0 and got[0] < x.size
    t = df.count_nonzero(x, name="nz", dtype=df.int32)
    assert t.name == "nz:0" and t.dtype == df.int32
    assert df.count_nonzero(input=x).dtype == df.int64


# -- gradients: GRAD_CASES rows are checked against finite differences by tests/autodiff/test_op_grads.py

def distinct(shape, seed=0):
    """``inputs=`` with no ties (for max and min): a shuffled range, scaled."""
    return lambda: [np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.1 - 1.0]


def _reduce(fn, axis=None, keepdims=False):
    return lambda x: fn(x, axis, keepdims=keepdims)


# axis, keepdims: all axes, one, several kept, a negative one kept
REDUCE_AXES = [(None, False), (0, False), ([0, 2], True), (-1, True)]

GRAD_CASES = [
    GradCase(t, _reduce(fn, ax, keep), [(3, 4, 2)], order=2 if ax is None else 1)
    for t, fn in [("Sum", df.reduce_sum), ("Mean", df.reduce_mean)] for ax, keep in REDUCE_AXES
] + [
    GradCase(t, _reduce(fn, ax, keep), [(3, 4, 2)], inputs=distinct((3, 4, 2)))
    for t, fn in [("Max", df.reduce_max), ("Min", df.reduce_min)] for ax, keep in REDUCE_AXES
] + [
    GradCase("Prod", _reduce(df.reduce_prod, ax, keep), [(3, 4, 2)], domain=(0.5, 1.5), order=2 if ax == 0 else 1)
    for ax, keep in REDUCE_AXES
] + [
    # zeros: none, one and two in a row (the product is multilinear, so finite differences are exact there)
    GradCase("Prod", _reduce(df.reduce_prod, 1), [(4, 3)], order=2,
             inputs=lambda: [np.array([[0.5, 2.0, 1.5], [0.0, 2.0, -1.5], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])]),
    GradCase("Mean", with_unknown_dims(_reduce(df.reduce_mean, [0, 1])), [(3, 4, 2)], order=2),
    GradCase("Sum", with_unknown_dims(_reduce(df.reduce_sum, 1, True)), [(3, 4, 2)]),
    GradCase("Max", with_unknown_dims(_reduce(df.reduce_max, -1)), [(3, 4, 2)], inputs=distinct((3, 4, 2))),
    GradCase({"Sum", "Max", "Exp", "Log"}, lambda x: df.reduce_logsumexp(x, 1), [(3, 4)], order=2),
    # inputs of unknown rank: the reduced axes put back from the run-time shape
    GradCase("Sum", with_unknown_rank(_reduce(df.reduce_sum, [0, -1])), [(3, 4, 2)], order=2),
    GradCase("Mean", with_unknown_rank(_reduce(df.reduce_mean, 1)), [(3, 4, 2)], order=2),
    GradCase("Max", with_unknown_rank(_reduce(df.reduce_max, -1)), [(3, 4, 2)], inputs=distinct((3, 4, 2)), order=2),
    GradCase("Min", with_unknown_rank(_reduce(df.reduce_min, [2, 0])), [(3, 4, 2)], inputs=distinct((3, 4, 2))),
    GradCase("Prod", with_unknown_rank(_reduce(df.reduce_prod, 1)), [(3, 4, 2)], domain=(0.5, 1.5), order=2),
    GradCase({"Sum", "Max"}, with_unknown_rank(lambda x: df.reduce_logsumexp(x, [0])), [(3, 4)], order=2),
]


def _grad(build, x, **kw):
    return run_graph(lambda t: gradients(build(t), [t])[0], x, **kw)


def test_max_and_min_split_the_gradient_among_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(_grad(lambda t: df.reduce_max(t, 1), x), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(_grad(df.reduce_min, np.array([[2.0, 3.0, 3.0], [1.0, 1.0, 4.0]])),
                               [[0, 0, 0], [0.5, 0.5, 0]])


def test_prod_gradient_at_zeros():
    x = np.array([[2.0, 3.0, 4.0], [0.0, 3.0, 4.0], [0.0, 0.0, 4.0]])
    np.testing.assert_allclose(_grad(lambda t: df.reduce_prod(t, 1), x),
                               [[12.0, 8.0, 6.0], [12.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_mean_gradient_divides_by_the_count_known_at_run_time():
    x = np.ones((4, 3))
    np.testing.assert_allclose(_grad(df.reduce_mean, x, feed_static_shape=False), np.full((4, 3), 1 / 12))
    np.testing.assert_allclose(_grad(lambda t: df.reduce_mean(t, 0), x, feed_static_shape=False),
                               np.full((4, 3), 1 / 4))


def test_bool_reductions_are_not_differentiable():
    assert OPS["Any"].grad is NOT_DIFFERENTIABLE and OPS["All"].grad is NOT_DIFFERENTIABLE


def _unbroadcast(g, target):
    g = g.sum(axis=tuple(range(g.ndim - len(target))))
    return g.sum(axis=tuple(i for i, n in enumerate(target) if n == 1), keepdims=True)


@pytest.mark.parametrize("target", [(5, 3), (1, 3), (3,), (5, 1), (1, 1), (), (1,)])
def test_sum_to_shape_undoes_broadcasting(target):
    from daskflow.ops.reduce import sum_to_shape
    g = rand((5, 3))
    want = _unbroadcast(g, target)
    assert want.shape == target and np.broadcast_to(want, g.shape).shape == g.shape
    x = df.placeholder(df.float64, (None, None))
    s = df.placeholder(df.int32, (len(target),))
    with df.Session() as sess:
        for chunks in ((5, 3), (2, 1)):
            got = sess.run(sum_to_shape(x, s), {x: da.from_array(g, chunks=chunks), s: list(target)})
            assert got.shape == target
            np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("shape, target", [((5, 1), (5, 3)), ((1, 3), (4, 3)), ((2, 3), (1, 2, 3)),
                                           ((3,), (2, 3)), ((1, 3), (4, 1))])
def test_sum_to_shape_broadcasts_dims_of_size_1_up(shape, target):
    from daskflow.ops.reduce import sum_to_shape
    g = rand(shape)
    want = np.broadcast_to(_unbroadcast(g, target[-g.ndim:]) if len(target) >= g.ndim else g, target)
    x = df.placeholder(df.float64, [None] * len(shape))
    s = df.placeholder(df.int32, (len(target),))
    with df.Session() as sess:
        got = sess.run(sum_to_shape(x, s), {x: g, s: np.array(target, np.int32)})
    np.testing.assert_allclose(got, want)
    got[...] = 0  # a block of its own, not a read-only view


def test_sum_to_shape_refuses_shapes_that_do_not_broadcast():
    from daskflow.ops.reduce import sum_to_shape
    x = df.placeholder(df.float64, (None, None))
    with df.Session() as sess:
        with pytest.raises(df.errors.InvalidArgumentError, match="Incompatible shapes.*shape \\(4, 3\\)"):
            sess.run(sum_to_shape(x, [4, 3]), {x: np.ones((5, 3))})
