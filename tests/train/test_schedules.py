"""Learning rate schedules of ``schedules.py`` against TF1's: values observed from TF 2.21's ``tf.compat.v1.train``
(float32, at steps ``STEPS``), op names, and errors."""
import numpy as np
import pytest

import daskflow as df
from daskflow.train.schedules import (cosine_decay_restarts, linear_cosine_decay, noisy_linear_cosine_decay,
                                      piecewise_constant_decay)

STEPS = [0, 1, 5, 9, 10, 11, 20, 25, 30, 45, 70]

# values of tf.compat.v1.train.<schedule>(...) at STEPS, from TF 2.21
TF_VALUES = {
    "cdr_default": [0.10000000149011612, 0.0975528284907341, 0.04999999701976776, 0.0024471699725836515,
                    0.10000000149011612, 0.09938441962003708, 0.04999999701976776, 0.014644661918282509,
                    0.10000000149011612, 0.0691341683268547, 0.10000000149011612],
    "cdr_t1_m05": [0.10000000149011612, 0.09779754281044006, 0.05499999597668648, 0.01220245286822319,
                   0.055000003427267075, 0.05389877036213875, 0.032499998807907104, 0.021250000223517418,
                   0.021250000223517418, 0.012812499888241291, 0.010703125037252903],
    "cdr_t3": [1.0, 0.8608757257461548, 0.7970517873764038, 0.5283512473106384, 0.429999977350235,
               0.3316487669944763, 0.6396666169166565, 0.5689605474472046, 0.4579741358757019, 0.10497774183750153,
               0.5038173794746399],
    "lcd": [0.10010000318288803, 0.09451519697904587, 0.06411650776863098, 0.031901948153972626,
            0.025099998340010643, 0.019080227240920067, 0.00010000000474974513, 0.00010000000474974513,
            0.00010000000474974513, 0.00010000000474974513, 0.00010000000474974513],
    "lcd2": [0.5550000071525574, 0.4798669219017029, 0.004999999888241291, 0.29896530508995056,
             0.3050000071525574, 0.2537398338317871, 0.054999999701976776, 0.054999999701976776,
             0.054999999701976776, 0.054999999701976776, 0.054999999701976776],
}


def _schedules(step):
    return {
        "cdr_default": cosine_decay_restarts(0.1, step, 10),
        "cdr_t1_m05": cosine_decay_restarts(0.1, step, 10, t_mul=1.0, m_mul=0.5, alpha=0.1),
        "cdr_t3": cosine_decay_restarts(1.0, step, 4, t_mul=3.0, m_mul=0.8, alpha=0.05),
        "lcd": linear_cosine_decay(0.1, step, 20),
        "lcd2": linear_cosine_decay(0.5, step, 20, num_periods=2.0, alpha=0.1, beta=0.01),
        # without noise the noisy schedule is the linear cosine one
        "nlcd0": noisy_linear_cosine_decay(0.5, step, 20, initial_variance=0.0, num_periods=2.0, alpha=0.1,
                                           beta=0.01),
    }


def test_values_match_tf1():
    step = df.placeholder(df.int64, [])
    scheds = _schedules(step)
    with df.Session() as s:
        got = {k: [s.run(v, {step: i}) for i in STEPS] for k, v in scheds.items()}
    for k, want in {**TF_VALUES, "nlcd0": TF_VALUES["lcd2"]}.items():
        assert all(g.dtype == np.float32 for g in got[k])
        np.testing.assert_allclose(np.array(got[k], np.float64), want, rtol=1e-5, atol=1e-8, err_msg=k)


def test_op_names_are_tf1s():
    step = df.placeholder(df.int64, [])
    names = {k: v.name for k, v in _schedules(step).items()}
    assert names == {"cdr_default": "SGDRDecay:0", "cdr_t1_m05": "SGDRDecay_1:0", "cdr_t3": "SGDRDecay_2:0",
                     "lcd": "LinearCosineDecay:0", "lcd2": "LinearCosineDecay_1:0",
                     "nlcd0": "NoisyLinearCosineDecay:0"}
    assert cosine_decay_restarts(0.1, step, 10, name="lr").name == "lr:0"


def test_float64_learning_rate_and_a_variable_step():
    step = df.Variable(25, dtype=df.int64, trainable=False)
    lr = cosine_decay_restarts(np.float64(1.0), step, 4, t_mul=3.0, m_mul=0.8, alpha=0.05)
    with df.Session() as s:
        s.run(step.initializer)
        v = s.run(lr)
    assert v.dtype == np.float64
    # step 25: periods of 4, 12, 36 steps; restart 2 began at step 16, 9/36 of it done
    want = 0.95 * 0.5 * 0.8 ** 2 * (1 + np.cos(np.pi * 9 / 36)) + 0.05
    np.testing.assert_allclose(v, want, rtol=1e-12)


def test_noise_is_seeded_and_has_the_documented_variance():
    def draws(seed):
        with df.Graph().as_default():
            df.set_random_seed(seed)
            step = df.placeholder(df.int64, [])
            lr = noisy_linear_cosine_decay(1.0, step, 1000, initial_variance=1.0, variance_decay=0.55, beta=0.0)
            with df.Session() as s:
                return np.array([s.run(lr, {step: 3}) for _ in range(400)], np.float64)
    a, b = draws(7), draws(7)
    np.testing.assert_array_equal(a, b)  # the same graph seed draws the same noise, run after run
    assert not np.array_equal(a, draws(8))
    # value = (linear + noise) * cosine at step 3 of 1000: recover the noise and check its spread
    cosine = 0.5 * (1 + np.cos(np.pi * 2 * 0.5 * 3 / 1000))
    noise = a / cosine - (1000 - 3) / 1000
    assert abs(noise.mean()) < 0.15 and abs(noise.std() - np.sqrt(1.0 / 4 ** 0.55)) < 0.1
    assert len(np.unique(a)) > 390  # a new draw in each run


def test_piecewise_constant_decay_is_piecewise_constant():
    step = df.placeholder(df.int64, [])
    lr = piecewise_constant_decay(step, [100, 200], [1.0, 0.5, 0.1])
    with df.Session() as s:
        got = [s.run(lr, {step: i}) for i in (0, 100, 101, 200, 201)]
    np.testing.assert_array_equal(got, np.float32([1.0, 1.0, 0.5, 0.5, 0.1]))
    assert piecewise_constant_decay is df.train.piecewise_constant


@pytest.mark.parametrize("fn, msg", [
    (lambda: cosine_decay_restarts(0.1, None, 10), "cosine decay restarts requires global_step"),
    (lambda: linear_cosine_decay(0.1, None, 10), "linear cosine decay requires global_step"),
    (lambda: noisy_linear_cosine_decay(0.1, None, 10), "noisy linear cosine decay requires global_step"),
])
def test_a_missing_global_step_is_a_value_error(fn, msg):
    with pytest.raises(ValueError, match=msg):
        fn()
