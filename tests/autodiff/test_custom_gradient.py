"""``custom_gradient`` and ``grad_pass_through``: the user's gradient replaces the function's own, for its inputs
and for the variables it reads (values and messages as TF 2.21's ``tf.compat.v1`` gives them)."""
import numpy as np
import pytest

import daskflow as df
from daskflow.testing import GradCase

TESTED_OPS = {"IdentityN"}
GRAD_CASES = [GradCase("IdentityN", lambda a, b: df.identity_n([a * b, b])[0] + df.identity_n([a])[0],
                       [(3, 2), (3, 2)], order=2)]


def _run(t):
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        return s.run(t)


def test_the_users_gradient_replaces_the_functions():
    @df.custom_gradient
    def log1pexp(x):  # TF's docstring example: the naive gradient is NaN for large x, the custom one is not
        e = df.exp(x)
        return df.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))

    with df.Graph().as_default():
        x = df.constant([0.0, 100.0, -3.0])
        y = log1pexp(x)
        g = df.gradients(df.reduce_sum(y), x)[0]
        np.testing.assert_allclose(_run(y)[[0, 2]], np.log1p(np.exp([0.0, -3.0])), rtol=1e-6)
        np.testing.assert_allclose(_run(g), 1 / (1 + np.exp(-np.array([0.0, 100.0, -3.0]))), rtol=1e-6)


def test_several_inputs_and_nested_results():
    @df.custom_gradient
    def f(a, b):
        # results are flattened as nest does (dict keys sorted), so dy come as (d prod, d sum)
        return {"sum": a + b, "prod": a * b}, lambda dp, ds: (ds * 10.0 + dp, ds * 20.0 + dp)

    with df.Graph().as_default():
        a, b = df.constant(2.0), df.constant(3.0)
        out = f(a, b)
        assert sorted(out) == ["prod", "sum"]
        loss = out["sum"] + 4.0 * out["prod"]
        assert _run([out["sum"], out["prod"]]) == [5.0, 6.0]
        assert _run(df.gradients(loss, [a, b])) == [14.0, 24.0]


def test_variables_read_by_the_function_get_their_gradients():
    with df.Graph().as_default():
        w = df.Variable([2.0, 3.0], name="w")

        @df.custom_gradient
        def f(x):
            def grad(dy, variables=None):
                assert [v.name for v in variables] == ["w:0"]
                return dy * 100.0, [dy * 7.0]
            return x * w, grad

        x = df.constant([1.0, 5.0])
        gx, gw = df.gradients(df.reduce_sum(f(x)), [x, w])
        np.testing.assert_allclose(_run(gx), [100.0, 100.0])
        np.testing.assert_allclose(_run(gw), [7.0, 7.0])

        @df.custom_gradient
        def h(x):
            return x * w, lambda dy: dy
        with pytest.raises(TypeError, match="@tf.custom_gradient grad_fn must accept keyword argument 'variables', "
                                            r"since function uses variables: \['w:0'\]"):
            h(x)


def test_wrong_number_of_gradients():
    @df.custom_gradient
    def k(x):
        return x * 2, lambda dy: [dy, dy]

    with df.Graph().as_default():
        x = df.constant([1.0])
        with pytest.raises(ValueError, match="custom_gradient function expected to return 1 gradients, but returned "
                                             "2 instead"):
            df.gradients(k(x), x)


def test_grad_pass_through_is_straight_through():
    with df.Graph().as_default():
        x = df.constant([1.4, 2.6, -0.3])
        y = df.grad_pass_through(df.round)(x)
        np.testing.assert_allclose(_run(y), [1.0, 3.0, -0.0])
        np.testing.assert_allclose(_run(df.gradients(df.reduce_sum(y * [1.0, 2.0, 3.0]), x)[0]), [1.0, 2.0, 3.0])


def test_identity_n_and_guarantee_const():
    with df.Graph().as_default():
        a, b = df.constant([1.0, 2.0]), df.constant(["x"])
        ia, ib = df.identity_n([a, b])
        assert ia.op is ib.op and ia.op.type == "IdentityN" and ib.dtype == df.string
        assert _run(ia).tolist() == [1.0, 2.0] and _run(ib).tolist() == [b"x"]
        np.testing.assert_allclose(_run(df.gradients(df.reduce_sum(ia * 3.0), a)[0]), [3.0, 3.0])
        assert _run(df.guarantee_const(a)).tolist() == [1.0, 2.0]
