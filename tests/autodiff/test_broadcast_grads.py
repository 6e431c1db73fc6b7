"""Gradients through broadcasting ops sum down to the shape each input has in the run, also where that shape is
known only then (TF's BroadcastGradientArgs): every op that declares ``broadcasts``, fed shapes that broadcast
1 against n on every axis and across ranks, through placeholders of unknown dims."""
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.registry import NOT_DIFFERENTIABLE, OPS, apply1
from daskflow.testing import GradCase, check_grads, with_unknown_dims

pytestmark = pytest.mark.every_executor  # and again on a LocalCluster (tests/conftest.py)


TESTED_OPS = {"SumToShape"}

BROADCASTING = sorted(name for name, opdef in OPS.items()
                      if opdef.broadcasts is not None and opdef.grad is not NOT_DIFFERENTIABLE)

# (x shape, y shape): 1 against n on every axis, a missing leading axis, both sides broadcasting at once
ELEMENTWISE_SHAPES = [((1, 3), (5, 3)), ((5, 1), (5, 3)), ((5, 3), (1, 3)), ((5, 3), (5, 1)), ((3,), (5, 3)),
                      ((5, 3), (3,)), ((1, 1), (5, 3)), ((), (5, 3)), ((4, 1, 3), (1, 2, 1)), ((2, 1), (1, 2, 3))]
MATMUL_SHAPES = [((1, 2, 3), (4, 3, 5)), ((4, 2, 3), (1, 3, 5)), ((2, 3), (4, 3, 5)), ((4, 2, 3), (3, 5)),
                 ((2, 1, 2, 3), (1, 4, 3, 5))]


SOLVE_SHAPES = [((1, 3, 3), (4, 3, 2)), ((4, 3, 3), (1, 3, 2)), ((3, 3), (4, 3, 2)), ((4, 3, 3), (3, 2))]
MATRIX_OPS = {"BatchMatMulV2": MATMUL_SHAPES, "MatrixTriangularSolve": SOLVE_SHAPES}

# ops that are not a plain binary op of (x, y): how each is built from two broadcasting inputs (inputs an op has
# no gradient for, as TF, get none: Betainc's a and b, Polygamma's order, Zeta's x, NextAfter's direction)
BUILDERS = {
    "Select": lambda x, y: apply1("Select", [df.greater(x, y), x, y], {"rows": False}),
    "BatchMatMulV2": lambda x, y: apply1("BatchMatMulV2", [x, y], {"transpose_a": False, "transpose_b": False}),
    "MatrixTriangularSolve": lambda x, y: df.linalg.triangular_solve(x + 3.0, y, lower=True),
    "Betainc": lambda x, y: df.math.betainc(x, 2.0, y / 3.0),
    "Complex": lambda x, y: df.abs(df.complex(x, y)),
    "Polygamma": lambda x, y: df.math.polygamma(df.floor(x), y),
    "Zeta": lambda x, y: df.math.zeta(x + 1.0, y),
}


def _build(op_type, x, y):
    return BUILDERS[op_type](x, y) if op_type in BUILDERS else apply1(op_type, [x, y])


def _out_shape(op_type, a, b):
    if op_type in MATRIX_OPS:
        return np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return np.broadcast_shapes(a.shape, b.shape)


def _cases():
    for op_type in BROADCASTING:
        for xs, ys in MATRIX_OPS.get(op_type, ELEMENTWISE_SHAPES):
            yield pytest.param(op_type, xs, ys, id=f"{op_type}-{xs}-{ys}")


def test_the_broadcasting_ops_are_the_expected_ones():
    # a new broadcasting op joins the cases below through the registry; these must be among them
    assert {"AddV2", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "Minimum", "SquaredDifference", "Atan2",
            "FloorMod", "Select", "BatchMatMulV2"} <= set(BROADCASTING)


def _gradients(op_type, a, b, static):
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float64, a.shape if static else [None] * a.ndim)
        y = df.placeholder(df.float64, b.shape if static else [None] * b.ndim)
        z = _build(op_type, x, y)
        w = df.placeholder(df.float64, None)  # a random weight per output element: no gradient is uniform
        loss = df.reduce_sum(z * w)
        grads = df.gradients(loss, [x, y])
    wv = np.random.default_rng(3).uniform(0.5, 1.5, _out_shape(op_type, a, b))
    fetch = [gr for gr in grads if gr is not None]
    with df.Session(graph=g) as s:
        got = iter(s.run(fetch, {x: a, y: b, w: wv}))
    return [None if gr is None else next(got) for gr in grads]


@pytest.mark.parametrize("op_type, xs, ys", list(_cases()))
def test_gradients_sum_to_the_fed_shapes(op_type, xs, ys):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 2.0, xs), rng.uniform(0.5, 2.0, ys)
    dynamic = _gradients(op_type, a, b, static=False)
    static = _gradients(op_type, a, b, static=True)  # shapes known when built: checked against finite differences
    assert any(g is not None for g in static)
    for got, want, shape in zip(dynamic, static, (xs, ys)):
        assert (got is None) == (want is None)
        if want is not None:
            assert np.shape(got) == shape
            np.testing.assert_allclose(got, want, rtol=1e-12)


def test_the_example_from_the_report():
    x = df.placeholder(df.float32, (None, 3))
    c = df.constant(np.ones((5, 3), "f4"))
    g, = df.gradients(df.reduce_sum(x * c), [x])
    with df.Session() as sess:
        np.testing.assert_array_equal(sess.run(g, {x: np.ones((1, 3), "f4")}), np.full((1, 3), 5, "f4"))
        np.testing.assert_array_equal(sess.run(g, {x: np.ones((5, 3), "f4")}), np.ones((5, 3), "f4"))


def test_no_sum_where_the_shapes_decide_it_when_built():
    x = df.placeholder(df.float32, (None, 3))
    b = df.placeholder(df.float32, (3,))
    gx, gb = df.gradients(df.reduce_sum(df.nn.relu(df.matmul(x, df.ones((3, 3))) + b)), [x, b])
    types = {op.type for op in df.get_default_graph().get_operations()}
    assert "SumToShape" not in types  # batch dims of unknown size, but nothing broadcasts along them
    x2 = df.placeholder(df.float32, (None, 3))
    df.gradients(df.reduce_sum(x2 * b), [x2])
    assert "SumToShape" not in {op.type for op in df.get_default_graph().get_operations()}
    df.gradients(df.reduce_sum(x2 * x), [x2])  # (?, 3) against (?, 3): either may be 1 in a run
    assert "SumToShape" in {op.type for op in df.get_default_graph().get_operations()}


def test_a_broadcast_the_run_shapes_do_not_allow_is_named():
    x = df.placeholder(df.float32, (None, 3))
    y = df.placeholder(df.float32, (None, 3))
    g, = df.gradients(df.reduce_sum(x * y), [x])
    with df.Session() as sess:
        with pytest.raises(df.errors.InvalidArgumentError, match="Incompatible shapes"):
            sess.run(g, {x: np.ones((2, 3), "f4"), y: np.ones((4, 3), "f4")})


def test_chunked_inputs_sum_across_blocks():
    import dask.array as da
    x = df.placeholder(df.float64, (None, None))
    y = df.placeholder(df.float64, (None, None))
    gx, gy = df.gradients(df.reduce_sum(x * y), [x, y])
    a = np.random.default_rng(1).uniform(size=(1, 7))
    b = np.random.default_rng(2).uniform(size=(9, 7))
    with df.Session() as sess:
        got = sess.run([gx, gy], {x: a, y: da.from_array(b, chunks=(2, 3))})
    np.testing.assert_allclose(got[0], b.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(got[1], np.broadcast_to(a, b.shape))


GRAD_CASES = [
    GradCase("SumToShape", with_unknown_dims(lambda x, y: x * y), [(1, 3), (5, 3)], order=2),
    GradCase("SumToShape", with_unknown_dims(lambda x, y: x / y + x), [(4, 1, 3), (2, 1)], domain=(0.5, 2.0)),
    GradCase("SumToShape", with_unknown_dims(lambda x, y: df.matmul(x, y)), [(1, 2, 3), (4, 3, 2)]),
]


def test_gradients_with_unknown_dims_match_finite_differences():
    # one more: the gradient's own gradient, through SumToShape's rule (broadcast back)
    check_grads(with_unknown_dims(lambda x, y: df.squared_difference(x, y)), [np.ones((3, 1)), np.arange(6.).reshape(3, 2)],
                order=2)
