"""Initializers (``df.initializers``, the ``*_initializer`` names): values, moments and bounds against their
formulas, TF's fans for kernels, orthogonality, seeds, and TF1's error messages (literals observed in TensorFlow
2.21's ``tf.compat.v1``)."""
import math

import numpy as np
import pytest

import daskflow as df

TRUNC_STD = 0.87962566103423978  # the stddev of a standard normal truncated to (-2, 2)


def _run(t):
    with df.Session() as s:
        return s.run(t)


def test_zeros_ones_constant():
    assert _run(df.zeros_initializer()([2, 3])).tolist() == [[0] * 3] * 2
    ones = _run(df.ones_initializer(dtype=df.float64)([2]))
    assert ones.dtype == np.float64 and ones.tolist() == [1, 1]
    assert _run(df.initializers.ones()([2], dtype=df.int32)).dtype == np.int32
    assert _run(df.initializers.zeros()([2], df.string)).tolist() == [b"", b""]
    np.testing.assert_array_equal(_run(df.constant_initializer(3)([2], dtype=df.int32)), [3, 3])
    # TF1's: a short list is padded with its last element
    np.testing.assert_array_equal(_run(df.constant_initializer([1, 2])([2, 2])), [[1, 2], [2, 2]])
    np.testing.assert_array_equal(_run(df.constant_initializer(np.array([1.5, 2.0]))([2], dtype=df.int32)), [1, 2])
    assert df.constant_initializer([1, 2]).get_config() == {"value": [1, 2], "dtype": "float32"}  # TF1's


@pytest.mark.parametrize("build, cls, message", [
    (lambda: df.constant_initializer([1, 2, 3, 4, 5])([2, 2]), ValueError,
     "Too many elements provided. Takes at most 4, but got 5."),
    (lambda: df.constant_initializer({1: 2}), TypeError,
     "Invalid type for initial value={1: 2} of type: dict. Expected Python scalar, list or tuple of values, or "
     "numpy.ndarray."),
    (lambda: df.constant_initializer([1, 2], verify_shape=True)([2, 2]), TypeError,
     "Expected Tensor's shape: (2, 2), but got (2,)."),
    (lambda: df.constant_initializer([1, 2.5])([2], dtype=df.int32), TypeError,
     "Expected int32, but got 2.5 of type 'float'."),
    (lambda: df.constant_initializer(1.0)([2], dtype=df.int32), TypeError,
     "Expected int32, but got 1.0 of type 'float'."),
    (lambda: df.random_normal_initializer(dtype=df.int32), ValueError,
     "Argument `dtype` is expected to be floating point. Received: <dtype: 'int32'>."),
    (lambda: df.variance_scaling_initializer(scale=0), ValueError,
     "Argument `scale` must be a positive float. Received: 0"),
    (lambda: df.variance_scaling_initializer(mode="x"), ValueError,
     "Argument `mode` should be one of ('fan_in', 'fan_out', 'fan_avg'). Received: x"),
    (lambda: df.variance_scaling_initializer(distribution="x"), ValueError,
     "Argument `distribution` should be one of ('normal', uniform', 'truncated_normal', 'untruncated_normal'). "
     "Received: x"),
    (lambda: df.orthogonal_initializer()([3]), ValueError,
     "The tensor to initialize, specified by argument `shape` must be at least two-dimensional. Received shape=[3]"),
    (lambda: df.initializers.identity()([3, 3, 3]), ValueError,
     "The tensor to initialize, specified by argument `shape` must be at least two-dimensional. Received "
     "shape=[3, 3, 3]"),
])
def test_errors_are_tfs(build, cls, message):
    with pytest.raises(cls) as err:  # TF1's class and message
        build()
    assert str(err.value) == message


def test_uniform_normal_truncated_moments():
    df.set_random_seed(7)
    u = _run(df.random_uniform_initializer(-2.0, 3.0)([300, 200]))
    n = _run(df.random_normal_initializer(1.0, 2.0)([300, 200]))
    t = _run(df.truncated_normal_initializer(1.0, 2.0)([300, 200]))
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.03 and abs(u.var() - 25 / 12) < 0.05
    assert abs(n.mean() - 1.0) < 0.03 and abs(n.std() - 2.0) < 0.03
    assert np.abs(t - 1.0).max() < 4.0 and abs(t.mean() - 1.0) < 0.03 and abs(t.std() - 2.0 * TRUNC_STD) < 0.03
    ints = _run(df.random_uniform_initializer(0, 5)([1000], dtype=df.int32))
    assert ints.dtype == np.int32 and set(ints.tolist()) == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("shape, fans", [([], (1, 1)), ([50], (50, 50)), ([120, 80], (120, 80)),
                                         ([3, 3, 16, 32], (144, 288)), ([2, 5, 5, 8, 12], (400, 600))])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling(shape, fans, mode, distribution):
    df.set_random_seed(1)
    init = df.variance_scaling_initializer(scale=2.0, mode=mode, distribution=distribution, seed=3)
    x = _run(init(shape)).ravel()
    assert x.shape == (math.prod(shape),)
    n = {"fan_in": fans[0], "fan_out": fans[1], "fan_avg": (fans[0] + fans[1]) / 2}[mode]
    std = math.sqrt(2.0 / max(1.0, n))  # the draws' stddev, whatever the distribution
    if distribution == "uniform":
        assert np.abs(x).max() <= math.sqrt(3) * std
    elif distribution == "truncated_normal":
        assert np.abs(x).max() < 2 * std / TRUNC_STD  # truncated at 2 stddevs of the normal drawn from
    if x.size >= 10000:
        assert abs(x.std() - std) < 0.03 * std and abs(x.mean()) < 0.03 * std


def test_named_variance_scalings():
    cases = {df.glorot_uniform_initializer(): (1.0, "fan_avg", "uniform"),
             df.glorot_normal_initializer(): (1.0, "fan_avg", "truncated_normal"),
             df.initializers.he_normal(): (2.0, "fan_in", "truncated_normal"),
             df.initializers.he_uniform(): (2.0, "fan_in", "uniform"),
             df.initializers.lecun_normal(): (1.0, "fan_in", "truncated_normal"),
             df.initializers.lecun_uniform(): (1.0, "fan_in", "uniform")}
    for init, want in cases.items():
        assert isinstance(init, df.initializers.VarianceScaling)
        assert (init.scale, init.mode, init.distribution) == want
    assert df.glorot_uniform_initializer(seed=3).get_config() == {"seed": 3, "dtype": "float32"}  # TF1's
    assert df.variance_scaling_initializer().get_config() == {  # TF1's
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None, "dtype": "float32"}
    again = df.initializers.VarianceScaling.from_config(df.initializers.he_uniform(seed=4).get_config())
    assert (again.scale, again.mode, again.seed) == (2.0, "fan_in", 4)
    df.set_random_seed(2)
    x = _run(df.glorot_uniform_initializer()([200, 300]))
    limit = math.sqrt(6 / 500)
    assert np.abs(x).max() <= limit and abs(x.std() - limit / math.sqrt(3)) < 0.03 * limit


@pytest.mark.parametrize("shape", [[64, 32], [32, 64], [50, 50], [3, 3, 16, 32], [2, 40]])
@pytest.mark.parametrize("dtype", [df.float32, df.float64])
def test_orthogonal(shape, dtype):
    df.set_random_seed(5)
    q = _run(df.orthogonal_initializer(gain=1.5)(shape, dtype=dtype))
    assert q.shape == tuple(shape) and q.dtype == dtype
    m = q.reshape(-1, shape[-1]) / 1.5
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(len(gram)), atol=1e-5)


def test_orthogonal_is_not_always_the_same_matrix():
    a, b = (_run(df.orthogonal_initializer(seed=s)([8, 8])) for s in (1, 2))
    assert not np.allclose(a, b)


def test_identity_and_uniform_unit_scaling():
    np.testing.assert_array_equal(_run(df.initializers.identity(gain=3.0)([2, 3])), [[3, 0, 0], [0, 3, 0]])
    df.set_random_seed(3)
    x = _run(df.uniform_unit_scaling_initializer(factor=2.0)([10, 4, 50]))
    limit = math.sqrt(3 / 40) * 2.0
    assert np.abs(x).max() <= limit and np.abs(x).max() > 0.95 * limit


def test_seeds_follow_tf1_rules():
    def draw(graph_seed, op_seed):
        with df.Graph().as_default():
            if graph_seed is not None:
                df.set_random_seed(graph_seed)
            df.constant(0.0)  # an op before: with only the graph seed, the op seed is the op count
            t = df.truncated_normal_initializer(seed=op_seed)([50])
            return _run(t)
    np.testing.assert_array_equal(draw(1, 2), draw(1, 2))
    np.testing.assert_array_equal(draw(None, 2), draw(None, 2))  # an op seed alone is repeatable
    np.testing.assert_array_equal(draw(4, None), draw(4, None))  # so is the graph seed alone, same program
    assert not np.array_equal(draw(1, 2), draw(1, 3)) and not np.array_equal(draw(1, 2), draw(5, 2))
    assert not np.array_equal(draw(None, None), draw(None, None))


def test_through_get_variable():
    calls = []

    class Recording(df.initializers.Zeros):
        def __call__(self, shape, dtype=None, partition_info=None):
            calls.append((shape, dtype, partition_info))
            return super().__call__(shape, dtype)

    df.set_random_seed(9)
    with df.variable_scope("layer", initializer=df.initializers.he_normal()):
        k = df.get_variable("kernel", [3, 3, 8, 16])
        r = df.get_variable("rec", [2, 2], dtype=df.float64, initializer=Recording())
        o = df.get_variable("orth", [16, 16], initializer=df.orthogonal_initializer())
    assert calls == [([2, 2], df.float64, None)]
    names = {op.name for op in df.get_default_graph().get_operations()}
    assert "layer/kernel/Initializer/truncated_normal" in names  # TF1's
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        kv, ov = s.run([k, o])
    std = math.sqrt(2 / 72)
    assert np.abs(kv).max() < 2 * std / TRUNC_STD and abs(kv.std() - std) < 0.05 * std
    np.testing.assert_allclose(ov.T @ ov, np.eye(16), atol=1e-5)
    assert r.dtype == df.float64


def test_random_initializers_name_their_arithmetic_as_tf():
    """TF 2.21 names the scaling ops of random_uniform (rnd * (max - min) + min) and random_normal /
    truncated_normal (rnd * stddev + mean) by their Python operators: sub, mul."""
    df.get_variable("u", [2, 2], initializer=df.random_uniform_initializer(-1, 1))
    df.get_variable("n", [2, 2], initializer=df.random_normal_initializer())
    df.get_variable("t", [2, 2], initializer=df.truncated_normal_initializer())
    names = {op.name for op in df.get_default_graph().get_operations()}
    assert {"u/Initializer/random_uniform/sub", "u/Initializer/random_uniform/mul",
            "n/Initializer/random_normal/mul", "t/Initializer/truncated_normal/mul"} <= names
