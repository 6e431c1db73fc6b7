"""Every differentiable op's gradient rule against central finite differences (float64, one random direction per
check), on one chunk and on uneven chunks. Rows come from the ``GRAD_CASES`` lists of the test modules under
tests/; an op type with a gradient rule and no row fails ``test_every_differentiable_op_is_checked``. Gradients that
finite differences of the op itself cannot check (a sampler's implicit reparameterisation gradient differs from the
derivative of its rejection sampler), or whose absence is TF's (a LookupError), are checked by the tests a module
names in its ``GRADS_CHECKED_BY_TESTS`` table ({op type: test name}); each must be a test of that module."""
import pathlib

import pytest

import daskflow as df  # noqa: F401 - registers every op
from daskflow.ops.registry import NOT_DIFFERENTIABLE, OPS
from daskflow.testing import GradCase, check_grads, chunkings, collect

TESTS = pathlib.Path(__file__).resolve().parents[1]


def _cases():
    files = [f for f in sorted(TESTS.rglob("test_*.py")) if f.resolve() != pathlib.Path(__file__).resolve()]
    return [case for cases in collect(files, "GRAD_CASES") for case in cases]


CASES = _cases()


def _by_tests():
    files = [f for f in sorted(TESTS.rglob("test_*.py")) if f.resolve() != pathlib.Path(__file__).resolve()]
    found = {}
    for f in files:
        for table in collect([f], "GRADS_CHECKED_BY_TESTS"):
            for op, test in table.items():
                found[op] = (f, test)
    return found


BY_TESTS = _by_tests()


def test_every_differentiable_op_is_checked():
    checked = set().union(*(c.ops for c in CASES)) if CASES else set()
    for op, (f, test) in BY_TESTS.items():
        assert f"def {test}(" in f.read_text(), f"{f.name} names {test} for {op}'s gradient, but defines no such test"
        checked.add(op)
    needs = {name for name, opdef in OPS.items() if opdef.grad is not NOT_DIFFERENTIABLE}
    missing = sorted(needs - checked)
    assert not missing, f"op types with a gradient (or none declared) but no GradCase row: {missing}"


def test_cases_are_grad_cases():
    assert CASES and all(isinstance(c, GradCase) for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradient_matches_finite_differences(case):
    arrays = case.arrays()
    check_grads(case.build, arrays, order=case.order, rtol=case.rtol, seed=case.seed)
    if case.chunked:
        uneven = [list(chunkings(a.shape))[-1] for a in arrays]
        check_grads(case.build, arrays, order=1, rtol=case.rtol, seed=case.seed, chunks=uneven)
