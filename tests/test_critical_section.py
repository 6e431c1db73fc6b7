"""CriticalSection: executions of one section are serialised (TF's results for assign_add read back in one run);
two sections accessing one variable exclusively is TF's ValueError."""
import pytest

import daskflow as df
from daskflow.critical_section import CriticalSection


def _add(v, d):
    def fn():
        with df.control_dependencies([v.assign_add(d)]):
            return v.read_value()
    return fn


def test_executions_are_serialised_in_one_run():
    v = df.Variable(0.0, name="v")
    cs = CriticalSection(name="cs")
    r1, r2, r3 = cs.execute(_add(v, 1.0)), cs.execute(_add(v, 2.0)), cs.execute(_add(v, 4.0))
    with df.Session() as s:
        s.run(v.initializer)
        assert s.run([r3, r1, r2]) == [7.0, 1.0, 3.0]  # TF: 1, then 3, then 7, whatever the fetch order
        assert s.run(v) == 7.0
    assert cs.execute(lambda: df.no_op()).type == "NoOp"


def test_exclusive_access_across_sections():
    v, w = df.Variable(0.0, name="v"), df.Variable(1.0, name="w")
    cs, other = CriticalSection(name="cs"), CriticalSection()
    cs.execute(_add(v, 1.0))
    with pytest.raises(ValueError, match=r"would access resources: \['v'\].*exclusive_resource_access=False"):
        other.execute(_add(v, 2.0))
    cs.execute(lambda: w.read_value(), exclusive_resource_access=False)
    other.execute(lambda: w.read_value(), exclusive_resource_access=False)  # both shared: allowed, as TF
    with pytest.raises(ValueError, match="requested exclusive resource access"):
        other.execute(_add(w, 1.0))
