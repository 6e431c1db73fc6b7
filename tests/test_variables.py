"""Variables: initialisation, assignment, snapshot semantics, collections, failed runs change nothing."""
import numpy as np
import pytest

import daskflow as df

pytestmark = pytest.mark.every_executor  # and again on a LocalCluster (tests/conftest.py)


def test_initialize_and_read():
    w = df.Variable(np.arange(6, dtype="f4").reshape(2, 3), name="W")
    b = df.Variable(df.zeros((3,)), name="b")
    assert w.name == "W:0" and w.op.type == "VariableV2" and w.shape == (2, 3) and w.dtype == df.float32
    assert w.initializer.type == "Assign" and w.initializer.name == "W/Assign"
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        np.testing.assert_array_equal(s.run(w), np.arange(6).reshape(2, 3))
        np.testing.assert_array_equal(s.run(b), np.zeros(3))


def test_dtype_argument_and_python_values():
    v = df.Variable(1, dtype=df.float64, name="v")
    u = df.Variable(2.5, name="u")
    assert v.dtype == df.float64 and u.dtype == df.float32
    with df.Session() as s:
        s.run(df.variables_initializer([v, u]))
        assert s.run(v) == 1.0 and s.run(u) == 2.5


def test_uninitialized_read_names_the_variable():
    w = df.Variable([1.0, 2.0], name="weights")
    y = w * 2.0
    with df.Session() as s, pytest.raises(df.errors.FailedPreconditionError,
                                          match="Attempting to use uninitialized value weights"):
        s.run(y)


def test_assign_family():
    v = df.Variable([1.0, 2.0], name="v")
    with df.Session() as s:
        s.run(v.initializer)
        np.testing.assert_array_equal(s.run(v.assign([5.0, 6.0])), [5, 6])
        np.testing.assert_array_equal(s.run(v.assign_add([1.0, 1.0])), [6, 7])
        np.testing.assert_array_equal(s.run(v.assign_sub([2.0, 4.0])), [4, 3])
        np.testing.assert_array_equal(s.run(df.assign(v, [0.0, 0.0])), [0, 0])
        np.testing.assert_array_equal(s.run(v), [0, 0])
    with pytest.raises(df.errors.InvalidArgumentError, match=r"shape \(3,\) to variable 'v' of shape \(2,\)"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(df.errors.InvalidArgumentError, match="dtype float64 to variable 'v' of dtype float32"):
        v.assign(df.constant(np.ones(2)))


def test_reads_see_the_value_at_the_start_of_the_run():
    v = df.Variable(1.0, name="v")
    inc = v.assign(v + 1.0)
    with df.Session() as s:
        s.run(v.initializer)
        new, old, twice = s.run([inc, v, v * 2.0])
        assert (new, old, twice) == (2.0, 1.0, 2.0)
        assert s.run(v) == 2.0


def test_read_ordered_after_assignment_sees_it():
    v = df.Variable(1.0, name="v")
    a = v.assign(10.0)
    with df.control_dependencies([a]):
        after = v.read_value()
        after_expr = v + 1.0
    plain = v + 1.0
    with df.Session() as s:
        s.run(v.initializer)
        assert s.run([after, after_expr, plain]) == [10.0, 11.0, 2.0]
        assert s.run(v) == 10.0


def test_chained_assignments_in_one_run():
    v = df.Variable(1.0, name="v")
    a1 = v.assign_add(1.0)
    with df.control_dependencies([a1]):
        a2 = v.assign_add(10.0)  # runs after a1 and sees its result
    with df.Session() as s:
        s.run(v.initializer)
        assert s.run(a2) == 12.0
        assert s.run(v) == 12.0


def test_group_runs_all_updates():
    v = df.Variable(0.0, name="v")
    u = df.Variable(0.0, name="u")
    step = df.group(v.assign_add(1.0), u.assign_sub(1.0))
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for _ in range(3):
            assert s.run(step) is None
        assert s.run([v, u]) == [3.0, -3.0]


def test_a_failed_run_changes_no_variable():
    v = df.Variable([1.0, 2.0], name="v")
    w = df.Variable(5.0, name="w")
    x = df.placeholder(df.float32, name="x")
    checked = df.check_numerics(x * 2.0, "bad input")
    step = df.group(v.assign_add([1.0, 1.0]), w.assign(checked))
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        with pytest.raises(df.errors.InvalidArgumentError, match="bad input : Tensor had NaN values"):
            s.run(step, {x: np.nan})
        np.testing.assert_array_equal(s.run(v), [1.0, 2.0])
        assert s.run(w) == 5.0
        s.run(step, {x: 1.0})
        np.testing.assert_array_equal(s.run(v), [2.0, 3.0])
        assert s.run(w) == 2.0


def test_collections_and_trainable():
    a = df.Variable(1.0, name="a")
    b = df.Variable(2.0, name="b", trainable=False)
    with df.name_scope("layer"):
        c = df.Variable(3.0, name="c")
    assert df.global_variables() == [a, b, c]
    assert df.trainable_variables() == [a, c]
    assert df.global_variables("layer") == [c]
    assert c.name == "layer/c:0"


def test_variables_live_in_their_session():
    v = df.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    with df.Session() as s1, df.Session() as s2:
        s1.run(v.initializer)
        s2.run(v.initializer)
        s1.run(inc)
        s1.run(inc)
        assert (s1.run(v), s2.run(v)) == (3.0, 1.0)


def test_load_and_initial_value_from_another_tensor():
    w = df.Variable(df.fill([2, 2], 3.0), name="w")
    with df.Session() as s:
        s.run(w.initializer)
        assert s.run(df.reduce_sum(w)) == 12.0
        w.load(np.eye(2), s)
        assert s.run(df.reduce_sum(w)) == 2.0


def test_variable_shape_must_be_known():
    x = df.placeholder(df.float32, shape=(None,))
    with pytest.raises(ValueError, match="fully defined shape"):
        df.Variable(x, name="bad")


def test_variables_as_operands_and_in_operators():
    v = df.Variable([[1.0, 2.0]], name="v")
    m = df.constant([[1.0], [1.0]])
    y = v @ m + v[0, 1] * 2.0
    with df.Session() as s:
        s.run(v.initializer)
        np.testing.assert_allclose(s.run(y), [[7.0]])
