"""The iterator op declarations; their behaviour in runs is tested in tests/data/test_dataset.py."""
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.registry import NOT_DIFFERENTIABLE, OPS

TESTED_OPS = {"IteratorGetNext", "MakeIterator"}


def test_declarations():
    for name in TESTED_OPS:
        opdef = OPS[name]
        assert opdef.grad is NOT_DIFFERENTIABLE and opdef.stateful and callable(opdef.host_run)


def test_get_next_outputs_follow_the_element_spec():
    ds = df.data.Dataset.from_tensor_slices({"x": np.zeros((4, 3), "float16"), "y": np.zeros(4, "int8")}).batch(2)
    it = ds.make_initializable_iterator()
    nxt = it.get_next(name="next_batch")
    assert nxt["x"].op.type == "IteratorGetNext" and nxt["x"].op is nxt["y"].op
    assert nxt["x"].op.name == "next_batch"
    assert (nxt["x"].shape, nxt["x"].dtype) == ((None, 3), np.float16)
    assert (nxt["y"].shape, nxt["y"].dtype) == ((None,), np.int8)
    assert it.initializer.type == "MakeIterator" and it.initializer.outputs == []


def test_get_next_outside_session_run():
    nxt = df.data.Dataset.range(3).make_one_shot_iterator().get_next()
    with pytest.raises(df.errors.UnimplementedError, match="only available in Session.run"):
        df.lower(nxt)
