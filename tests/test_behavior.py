"""TF2's switches back to TF1 behaviour, as TF1 programs call them first: each is accepted and graph mode stays."""
import numpy as np

import daskflow as df


def test_tf1_switches_keep_graph_mode():
    df.disable_v2_behavior()
    df.disable_eager_execution()
    for switch in (df.disable_control_flow_v2, df.disable_resource_variables, df.disable_tensor_equality,
                   df.disable_v2_tensorshape):
        assert switch() is None
    assert not df.executing_eagerly() and not df.control_flow_v2_enabled() and not df.resource_variables_enabled()
    with df.Graph().as_default():
        a, b = df.constant([1.0, 2.0]), df.constant([1.0, 3.0])
        assert (a == b) is False and (a == a) is True and len({a, b}) == 2  # identity, as TF1's tensors
        with df.Session() as s:
            np.testing.assert_array_equal(s.run(df.equal(a, b)), [True, False])
    assert not hasattr(df, "enable_eager_execution")
