"""Every registered op type is covered by some test file's TESTED_OPS, and declares what the engine needs."""
import pathlib

import daskflow as df  # noqa: F401 - registers every op
from daskflow.ops.registry import NOT_DIFFERENTIABLE, OPS
from daskflow.testing import collect

TESTS = pathlib.Path(__file__).resolve().parents[1]
# leaves and state, covered by tests/test_session.py and tests/test_variables.py
CORE = {"Const", "Placeholder", "PlaceholderWithDefault", "Identity", "StopGradient", "NoOp", "VariableV2",
        "Assign", "AssignAdd", "AssignSub"}


def _covered_ops():
    files = [f for f in TESTS.rglob("test_*.py") if f.name != "test_registry.py"]
    return set(CORE).union(*collect(files, "TESTED_OPS"))


def test_every_op_has_tests():
    missing = sorted(set(OPS) - _covered_ops())
    assert not missing, f"op types with no test file listing them in TESTED_OPS: {missing}"


def test_every_op_declares_infer_and_lower():
    for name, opdef in OPS.items():
        assert opdef.type == name
        assert callable(opdef.infer) and callable(opdef.lower), name
        assert opdef.grad is None or opdef.grad is NOT_DIFFERENTIABLE or callable(opdef.grad), name


def test_fail_raises_python_errors_with_the_message():
    import pytest

    from daskflow.ops.registry import fail
    with df.Graph().as_default():
        op = df.constant(1.0).op
        with pytest.raises(TypeError, match=r"^bad dtype \[op 'Const' \(type Const\) built at "):
            fail(op, "bad dtype", TypeError)
        with pytest.raises(df.errors.InvalidArgumentError, match=r"^bad value \[op 'Const'"):
            fail(op, "bad value")
