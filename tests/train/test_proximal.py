"""The proximal optimizers (FTRL, proximal gradient descent, proximal Adagrad, Adagrad dual averaging) and
ExponentialMovingAverage: three steps of the programs of ``tests/fixtures/tf1/make_train_fixtures.py`` give TF 1.x's
values and variable names, plus the update rules against numpy and TF1's argument errors."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import load_module

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
REF = json.loads((FIXTURES / "train" / "optimizers.json").read_text())


def _programs():
    return load_module(FIXTURES / "make_train_fixtures.py")


PROGRAMS = _programs()


@pytest.mark.parametrize("name", sorted(PROGRAMS.OPTIMIZERS))
def test_steps_match_tf1(name):
    got = PROGRAMS.optimizer_case(df, name)
    np.testing.assert_allclose(got["w"], REF[name]["w"], rtol=2e-6, atol=1e-6)
    assert got["variables"] == REF[name]["variables"]


@pytest.mark.parametrize("zero_debias", [False, True])
def test_exponential_moving_average_matches_tf1(zero_debias):
    got = PROGRAMS.ema_case(df, zero_debias)
    ref = REF["ema_zero_debias" if zero_debias else "ema"]
    np.testing.assert_allclose(got.pop("history"), ref["history"], rtol=1e-6)
    assert got == {k: v for k, v in ref.items() if k != "history"}


def test_proximal_gradient_descent_rule():
    """One step from a known gradient: soft-threshold by lr*l1, then shrink by 1/(1 + lr*l2)."""
    w0 = np.array([0.3, -0.02, 1.0, -2.0])
    g = np.array([1.0, 0.5, -2.0, 0.1])
    lr, l1, l2 = 0.1, 0.5, 0.25
    with df.Graph().as_default():
        w = df.Variable(w0)
        step = df.train.ProximalGradientDescentOptimizer(lr, l1, l2).apply_gradients([(df.constant(g), w)])
        with df.Session() as s:
            s.run(w.initializer)
            s.run(step)
            prox = w0 - lr * g
            np.testing.assert_allclose(s.run(w), np.sign(prox) * np.maximum(np.abs(prox) - lr * l1, 0) / (1 + lr * l2))


def test_ftrl_zeroes_weights_under_l1():
    """A large L1 strength keeps every weight at exactly 0 (the reason FTRL is used for sparse models)."""
    with df.Graph().as_default():
        w = df.Variable([0.5, -0.5, 1.0])
        loss = df.reduce_sum(df.square(w - [0.1, -0.1, 0.2]))
        step = df.train.FtrlOptimizer(0.5, l1_regularization_strength=10.0).minimize(loss)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            for _ in range(3):
                s.run(step)
            assert s.run(w).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("build, message", [
    (lambda: df.train.FtrlOptimizer(0.1, learning_rate_power=0.5),
     "learning_rate_power 0.500000 needs to be negative or zero"),
    (lambda: df.train.FtrlOptimizer(0.1, initial_accumulator_value=-1.0),
     "initial_accumulator_value -1.000000 needs to be positive or zero"),
    (lambda: df.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0),
     "l1_regularization_strength -1.000000 needs to be positive or zero"),
    (lambda: df.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0),
     "initial_accumulator_value must be positive: 0.0"),
    (lambda: df.train.AdagradDAOptimizer(0.1, None, initial_gradient_squared_accumulator_value=0.0),
     "initial_gradient_squared_accumulator_value must be positive: 0.0"),
])
def test_argument_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_moving_average_errors_and_defaults():
    with df.Graph().as_default():
        w = df.Variable([1.0, 2.0], name="w")
        i = df.Variable([1, 2], name="i", trainable=False)
        ema = df.train.ExponentialMovingAverage(0.5)
        with pytest.raises(TypeError, match="The variables must be half, float, or double: i"):
            ema.apply([i])
        update = ema.apply()  # every trainable variable
        with pytest.raises(ValueError, match="Moving average already computed for: w"):
            ema.apply([w])
        assert ema.average(i) is None and ema.average_name(i) == "i/ExponentialMovingAverage"
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            s.run(w.assign([3.0, 4.0]))
            s.run(update)
            np.testing.assert_allclose(s.run(ema.average(w)), [2.0, 3.0])
