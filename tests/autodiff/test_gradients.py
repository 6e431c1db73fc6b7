"""Behaviour of ``df.gradients`` (the engine): paths summed, broadcasting undone, unconnected and
non-differentiable inputs, stop gradients, grad_ys, variables, second derivatives, naming and chunked feeds."""
import dask.array as da
import numpy as np
import pytest

import daskflow as df
from daskflow.autodiff import gradients, hessians
from daskflow.ops.registry import OPS, apply1, defop
from daskflow.testing import GradCase, rand, run_graph

pytestmark = pytest.mark.every_executor  # and again on a LocalCluster (tests/conftest.py)


GRAD_CASES = [
    GradCase("Identity", lambda x: df.identity(x) * x, [(3, 4)], order=2),
    GradCase("PlaceholderWithDefault", lambda x: df.placeholder_with_default(x * x, [3, 4]), [(3, 4)], order=2),
]


def _grads(build, *arrays, **kw):
    """Values of ``gradients(build(*xs), xs, **kw)`` at ``arrays`` fed to placeholders."""
    return run_graph(lambda *xs: gradients(build(*xs), list(xs), **kw), *arrays)


def test_paths_are_summed():
    x = rand((3, 4))
    got, = _grads(lambda t: t * t + df.sin(t), x)
    np.testing.assert_allclose(got, 2 * x + np.cos(x))


def test_a_tensor_used_twice_by_one_op():
    x = rand((5,))
    got, = _grads(lambda t: df.add_n([t, t, df.square(t)]), x)
    np.testing.assert_allclose(got, 2 + 2 * x)


def test_broadcasting_is_undone():
    x, b, s = rand((3, 4)), rand((4,), seed=1), rand((3, 1), seed=2)
    gx, gb, gs = _grads(lambda t, u, v: df.reduce_sum((t + u) * v), x, b, s)
    assert gb.shape == (4,) and gs.shape == (3, 1)
    np.testing.assert_allclose(gx, np.broadcast_to(s, (3, 4)))
    np.testing.assert_allclose(gb, np.sum(np.broadcast_to(s, (3, 4)), axis=0))
    np.testing.assert_allclose(gs, np.sum(x + b, axis=1, keepdims=True))


def test_static_gradient_shapes_match_the_inputs():
    x = df.placeholder(df.float32, [None, 4])
    b = df.placeholder(df.float32, [4])
    gx, gb = gradients(df.reduce_mean(df.square(x + b)), [x, b])
    assert gx.shape.as_list() == [None, 4] and gb.shape.as_list() == [4]
    assert gx.dtype == df.float32 and gb.dtype == df.float32


def test_unconnected_inputs_give_none_or_zeros():
    x = df.placeholder(df.float64, [3])
    z = df.placeholder(df.float64, [2, 2])
    y = df.reduce_sum(x * 2.0)
    assert gradients(y, [x, z])[1] is None
    gx, gz = gradients(y, [x, z], unconnected_gradients="zero")
    with df.Session() as s:
        vx, vz = s.run([gx, gz], {x: np.ones(3), z: np.ones((2, 2))})
    np.testing.assert_array_equal(vx, 2.0)
    np.testing.assert_array_equal(vz, np.zeros((2, 2)))


def test_non_differentiable_paths_give_none():
    x = df.placeholder(df.float64, [4, 3])
    y = (df.cast(df.argmax(x, 1), df.float64)
         + df.cast(df.greater(x, 0.0), df.float64)[:, 0]
         + df.cast(df.cast(x, df.int32), df.float64)[:, 1]
         + df.cast(df.equal(df.floor(x), 1.0), df.float64)[:, 2])
    assert gradients(y, [x]) == [None]


def test_non_differentiable_branch_next_to_a_differentiable_one():
    x = rand((6,))
    got, = _grads(lambda t: t * df.cast(t > 0, df.float64) + df.cast(df.argmax(t), df.float64), x)
    np.testing.assert_allclose(got, (x > 0).astype(float))


def test_integer_inputs_get_no_gradient():
    n = df.placeholder(df.int32, [3])
    x = df.placeholder(df.float32, [3])
    gn, gx = gradients(df.reduce_sum(x * df.cast(n, df.float32)), [n, x])
    assert gn is None and gx is not None


def test_stop_gradient_and_stop_gradients():
    x = rand((3,))
    got, = _grads(lambda t: t * df.stop_gradient(t), x)
    np.testing.assert_allclose(got, x)

    def cut(t):
        z = 2.0 * t
        return gradients(z * t, [t], stop_gradients=[z])[0]
    np.testing.assert_allclose(run_graph(cut, x), 2 * x)


def test_stop_gradients_that_are_also_xs_keep_their_direct_gradient():
    # TF's documented example: the partial derivatives of a + 2a with a and b = 2a held constant are [1, 1]
    a = df.constant(0.0)
    b = 2.0 * a
    ga, gb = gradients(a + b, [a, b], stop_gradients=[a, b])
    assert ga is not None and gb is not None
    with df.Session() as s:
        assert s.run([ga, gb]) == [1.0, 1.0]


def test_grad_ys_weight_each_y():
    x, w = rand((2, 3)), rand((2, 3), seed=1)

    def build(t, u):
        return gradients([t * 3.0, df.reduce_sum(df.exp(t))], [t], grad_ys=[u, 2.0])[0]
    np.testing.assert_allclose(run_graph(build, x, w), 3 * w + 2 * np.exp(x))
    t = df.placeholder(df.float64, [2])
    with pytest.raises(ValueError, match="grad_ys"):
        gradients([t, t], [t], grad_ys=[None])


def test_linear_regression_gradients_of_variables():
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((50, 3)), rng.standard_normal((50, 1))
    w0, b0 = rng.standard_normal((3, 1)), rng.standard_normal((1,))
    x, y = df.placeholder(df.float64, [None, 3]), df.placeholder(df.float64, [None, 1])
    w, b = df.Variable(w0, name="W"), df.Variable(b0, name="b")
    loss = df.reduce_mean(df.square(df.matmul(x, w) + b - y))
    gw, gb = gradients(loss, [w, b])
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        vw, vb = s.run([gw, gb], {x: xs, y: ys})
    r = xs @ w0 + b0 - ys
    np.testing.assert_allclose(vw, 2 / 50 * xs.T @ r)
    np.testing.assert_allclose(vb, 2 / 50 * r.sum(axis=0))


def test_hessian_vector_products():
    x, v = rand((5,)), rand((5,), seed=1)

    def hvp_cube(t, u):
        g, = gradients(df.reduce_sum(t * t * t), [t])
        return gradients(df.reduce_sum(g * u), [t])[0]
    np.testing.assert_allclose(run_graph(hvp_cube, x, v), 6 * x * v)

    a = rand((5, 5), seed=2)

    def hvp_quadratic(t, u):
        f = df.reduce_sum(t * df.matmul(df.constant(a), df.reshape(t, [5, 1]))[:, 0])
        g, = gradients(f, [t])
        return gradients(df.reduce_sum(g * u), [t])[0]
    np.testing.assert_allclose(run_graph(hvp_quadratic, x, v), (a + a.T) @ v)


def test_hessians_of_a_quadratic_form():
    a = rand((3, 3), seed=3)
    x = df.placeholder(df.float64, [3])
    h, = hessians(df.einsum("i,ij,j->", x, df.constant(a), x), [x])
    assert h.shape.as_list() == [3, 3]
    with df.Session() as s:
        np.testing.assert_allclose(s.run(h, {x: rand((3,), seed=4)}), a + a.T)
    assert df.hessians is hessians and df.gradients is gradients


def test_missing_rule_raises_lookup_error_naming_op_and_type():
    defop("TestOpWithoutGradient", lambda op: [(op.inputs[0].shape, op.inputs[0].dtype)], lambda op, x: x)
    try:
        x = df.placeholder(df.float32, [3])
        y = apply1("TestOpWithoutGradient", [x], name="no_grad_here")
        with pytest.raises(LookupError, match=r"No gradient defined for operation 'no_grad_here' "
                                              r"\(op type: TestOpWithoutGradient\)"):
            gradients(df.reduce_sum(y), [x])
        assert gradients(df.reduce_sum(df.stop_gradient(y) * x), [x])[0] is not None  # not on a path: fine
    finally:
        del OPS["TestOpWithoutGradient"]


def test_gradient_ops_are_named_under_gradients():
    g = df.Graph()
    with g.as_default():
        x = df.placeholder(df.float32, [3], name="x")
        y = df.reduce_sum(df.exp(x, name="e"), name="total")
        before = set(g.get_operations())
        dx, = gradients(y, [x])
        new = [op.name for op in g.get_operations() if op not in before]
        assert new and all(n.startswith("gradients/") for n in new), new
        assert any(n.startswith("gradients/e_grad/") for n in new), new
        assert any(n.startswith("gradients/total_grad/") for n in new), new
        assert dx.op.name.startswith("gradients/e_grad/")
        dx2, = gradients(y, [x])
        assert dx2.op.name.startswith("gradients_1/")


def test_gradients_through_chunked_dask_feeds_match_numpy_feeds():
    rng = np.random.default_rng(1)
    xs, ys = rng.standard_normal((23, 4)), rng.standard_normal((23,))
    x, y = df.placeholder(df.float64, [None, 4]), df.placeholder(df.float64, [None])
    w = df.Variable(np.linspace(-1, 1, 4), name="w")
    pred = df.reduce_sum(x * w, axis=1)
    loss = df.reduce_mean(df.square(pred - y)) + df.reduce_max(df.abs(pred))
    grads = gradients(loss, [w, x])
    with df.Session() as s:
        s.run(w.initializer)
        ref = s.run(grads, {x: xs, y: ys})
        got = s.run(grads, {x: da.from_array(xs, chunks=(5, 3)), y: da.from_array(ys, chunks=7)})
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-12)
