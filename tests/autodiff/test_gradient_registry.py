"""User gradients: ``RegisterGradient`` with ``Graph.gradient_override_map``, ``NotDifferentiable``, and their
errors (TF 2.21's ``tf.compat.v1`` behaviour: values and error classes observed there)."""
import itertools

import numpy as np
import pytest

import daskflow as df

_names = (f"TestGrad{i}" for i in itertools.count())  # the registry is process-wide, as TF's


def _run(t, feed=None):
    with df.Session() as s:
        return s.run(t, feed)


def test_override_map_uses_the_registered_gradient():
    name = next(_names)

    @df.RegisterGradient(name)
    def _clipped(op, dy):  # a straight-through gradient, clipped: a common use
        return [df.clip_by_value(dy, -1.0, 1.0) * 10.0]

    with df.Graph().as_default() as g:
        x = df.placeholder(df.float32, [3])
        with g.gradient_override_map({"Square": name}):
            y = df.square(x)
        z = df.square(x)  # outside the scope: its own gradient
        gy, gz = df.gradients(df.reduce_sum(y * [1.0, -3.0, 0.5]), x)[0], df.gradients(df.reduce_sum(z), x)[0]
        xv = np.array([1.0, 2.0, -4.0], np.float32)
        np.testing.assert_allclose(_run(gy, {x: xv}), [10.0, -10.0, 5.0])
        np.testing.assert_allclose(_run(gz, {x: xv}), 2 * xv)
        assert y.op.gradient_type == name and z.op.gradient_type is None


def test_nested_override_scopes_merge():
    a, b = next(_names), next(_names)
    df.RegisterGradient(a)(lambda op, dy: [dy * 2.0])
    df.RegisterGradient(b)(lambda op, dy: [dy * 3.0])
    with df.Graph().as_default() as g:
        x = df.constant(2.0)
        with g.gradient_override_map({"Square": a}):
            with g.gradient_override_map({"Exp": b}):
                y = df.square(x) + df.exp(x)
            w = df.exp(x)
        np.testing.assert_allclose(_run(df.gradients(y, x)[0]), 5.0)
        np.testing.assert_allclose(_run(df.gradients(w, x)[0]), np.exp(2.0), rtol=1e-6)


def test_not_differentiable_gives_no_gradient():
    name = next(_names)
    df.NotDifferentiable(name)
    with df.Graph().as_default() as g:
        x = df.constant([1.0, 2.0])
        with g.gradient_override_map({"Square": name}):
            y = df.square(x)
        assert df.gradients(df.reduce_sum(y), x) == [None]
        np.testing.assert_allclose(_run(df.gradients(df.reduce_sum(y + 3 * x), x)[0]), [3.0, 3.0])
    assert df.NoGradient is df.NotDifferentiable and df.no_gradient is df.NotDifferentiable


def test_errors():
    with pytest.raises(KeyError, match="Registering two gradient with name 'Square'!"):
        df.RegisterGradient("Square")
    name = next(_names)
    df.RegisterGradient(name)(lambda op, dy: [dy])
    with pytest.raises(KeyError, match=f"Registering two gradient with name '{name}'!"):
        df.RegisterGradient(name)
    with df.Graph().as_default() as g:
        x = df.constant(3.0)
        with pytest.raises(TypeError, match="op_type_map must be a dictionary mapping strings to strings"):
            with g.gradient_override_map({"Square": 3}):
                pass
        with g.gradient_override_map({"Square": "NeverRegistered"}):
            y = df.square(x)
        with pytest.raises(LookupError, match=r"No gradient defined for operation 'Square' \(op type: Square\)"):
            df.gradients(y, x)
