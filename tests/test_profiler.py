import numpy as np
import pytest

import daskflow as df
from daskflow import errors, profiler as prof
from daskflow.profiler import protos

B = prof.ProfileOptionBuilder
QUIET = dict(output="none")


def _convnet():
    x = df.placeholder(df.float32, [4, 12, 12, 3], name="x")
    k1 = df.get_variable("conv1/k", [3, 3, 3, 8])
    b1 = df.get_variable("conv1/b", [8], initializer=df.zeros_initializer())
    h = df.nn.relu(df.nn.bias_add(df.nn.conv2d(x, k1, [1, 1, 1, 1], "SAME"), b1))
    h = df.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    k2 = df.get_variable("conv2/k", [3, 3, 8, 4])
    h = df.nn.avg_pool(df.nn.conv2d(h, k2, [1, 2, 2, 1], "VALID"), [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    h = df.reshape(h, [4, -1])
    w = df.get_variable("fc/w", [h.shape[1], 5])
    b = df.get_variable("fc/b", [5], initializer=df.zeros_initializer())
    out = df.matmul(h, w) + b
    df.reduce_mean(df.math.squared_difference(out, 1.0)) + df.add_n([df.reduce_sum(k1), df.reduce_sum(k2)])
    df.Variable(0, trainable=False, name="step")


def _mlp():
    x = df.placeholder(df.float32, [8, 5], name="x")
    with df.variable_scope("dense1"):
        w1 = df.get_variable("w", [5, 4])
        b1 = df.get_variable("b", [4], initializer=df.zeros_initializer())
        h = df.nn.relu(df.matmul(x, w1) + b1)
    with df.variable_scope("dense2"):
        w2 = df.get_variable("w", [4, 3])
        b2 = df.get_variable("b", [3], initializer=df.zeros_initializer())
        return df.nn.bias_add(df.matmul(h, w2), b2)


def _op_types(node):
    out = {}
    while node.children:
        node = node.children[0]
        out[node.name] = node.float_ops
    return out


def test_convnet_parameters_and_float_ops_equal_tf():
    # TF1 (tf.compat.v1, graph mode) on the same program: total_parameters 597, total_float_ops 269915, and per
    # op type these counts (its BiasAdd, 4608, is an AddV2 here, and its MatMul a BatchMatMulV2)
    _convnet()
    g = df.get_default_graph()
    assert prof.profile(g, options={**B.trainable_variables_parameter(), **QUIET}).total_parameters == 597
    assert prof.profile(g, options={**B.float_operation(), **QUIET}).total_float_ops == 269915
    types = _op_types(prof.profile(g, cmd="op", options={**B.float_operation(), **QUIET}))
    assert types == {"Conv2D": 258048, "AddV2": 605 + 4608, "MaxPool": 4608, "BatchMatMulV2": 640, "Mul": 584,
                     "Sum": 502, "AvgPool": 256, "SquaredDifference": 40, "Mean": 20, "Sub": 3, "AddN": 1}


def test_gradient_ops_follow_tf_rules():
    x = df.placeholder(df.float32, [2, 6, 6, 3])
    k = df.Variable(np.ones((3, 3, 3, 4), np.float32), name="k")
    y = df.nn.max_pool(df.nn.conv2d(x, k, [1, 2, 2, 1], "SAME"), [1, 3, 3, 1], [1, 1, 1, 1], "VALID")
    y2 = df.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    df.gradients(df.reduce_sum(y) + df.reduce_sum(y2), [x, k])
    nodes = {n.name: n.float_ops for n in _op_types_nodes(prof.profile(cmd="op", options={**B.float_operation(),
                                                                                          **QUIET}))}
    # 2 * image elements * kernel elements / (input depth * stride area)
    assert nodes["Conv2DBackpropInput"] == 2 * (2 * 6 * 6 * 3) * (3 * 3 * 3 * 4) // (3 * 4)
    assert nodes["Conv2DBackpropFilter"] == 2 * (2 * 6 * 6 * 3) * (3 * 3 * 3 * 4) // (3 * 4)
    assert nodes["MaxPoolGrad"] == 9 * (2 * 1 * 1 * 4) + 2 * 1 * 1 * 4
    assert nodes["AvgPoolGrad"] == 4 * (2 * 3 * 3 * 3) * 2


def _op_types_nodes(node):
    while node.children:
        node = node.children[0]
        yield node


def test_scope_report_text_matches_tf(capsys):
    _mlp()
    p = prof.profile()  # default: trainable variables' parameters, printed to stdout
    report = capsys.readouterr().out
    assert ("node name | # parameters\n_TFProfRoot (--/39 params)\n  dense1 (--/24 params)\n"
            "    dense1/b (4, 4/4 params)\n    dense1/w (5x4, 20/20 params)\n  dense2 (--/15 params)\n"
            "    dense2/b (3, 3/3 params)\n    dense2/w (4x3, 12/12 params)\n") in report
    assert "-account_type_regexes       _trainable_variables\n" in report
    assert [c.name for c in p.children] == ["dense1", "dense2"]
    assert (p.total_definition_count, p.children[0].children[1].parameters) == (7, 20)


def test_options_filter_order_and_file_output(tmp_path):
    _mlp()
    path = tmp_path / "report.txt"
    opts = (B(B.float_operation()).with_node_names(hide_name_regexes=[".*Initializer.*"]).with_max_depth(2)
            .with_file_output(str(path)).build())
    p = prof.profile(options=opts)
    assert [c.name for c in p.children] == ["dense1/MatMul", "dense2/MatMul", "dense1/add", "dense2/BiasAdd"]
    assert p.total_float_ops == 320 + 192 + 32 + 24  # only what is displayed
    text = path.read_text()
    assert "_TFProfRoot (--/568 flops)\n  dense1/MatMul (320/320 flops)\n" in text
    everything = prof.profile(options=B(B.float_operation()).account_displayed_op_only(False)
                              .with_node_names(start_name_regexes=["dense2.*"]).with_empty_output().build())
    assert everything.total_float_ops == 320 + 192 + 32 + 24 + 41 + 25 and everything.children[0].name == "dense2/MatMul"


def test_op_log_types_graph_view_and_write_op_log(tmp_path):
    out = _mlp()
    log = prof.OpLogProto()
    log.log_entries.add(name="dense2/w", types=["head"])
    p = prof.profile(op_log=log, options=B(B.trainable_variables_parameter()).with_accounted_types(["head"])
                     .with_empty_output().build())
    assert p.total_parameters == 12
    g = prof.profile(cmd="graph", options=B(B.float_operation()).with_empty_output().build())
    assert g.total_float_ops == 320 + 192 + 32 + 24 + 41 + 25
    assert out.op.name in [c.name for c in g.children]
    prof.write_op_log(df.get_default_graph(), str(tmp_path))
    written = protos.OpLogProto.FromString((tmp_path / "tfprof_log").read_bytes())
    entries = {e.name: e for e in written.log_entries}
    assert entries["dense1/MatMul"].float_ops == 320 and list(entries["dense1/w"].types) == ["_trainable_variables"]


def test_profiler_advise_and_errors():
    _mlp()
    p = prof.Profiler(df.get_default_graph())
    p.add_step(0, df.RunMetadata())
    assert p.profile_name_scope(B(B.trainable_variables_parameter()).with_empty_output().build()
                                ).total_parameters == 39
    assert p.profile_operations(B(B.float_operation()).with_empty_output().build()).total_float_ops == 568 + 66
    advice = prof.advise()
    assert sorted(advice.checkers) == ["AcceleratorUtilizationChecker", "ExpensiveOperationChecker",
                                       "OperationChecker"]
    with pytest.raises(errors.InvalidArgumentError, match="unknown cmd: code"):
        prof.profile(cmd="code")


def test_unknown_shapes_count_no_float_ops(capsys):
    x = df.placeholder(df.float32, [None, 3])
    df.matmul(x, df.ones([3, 2]))
    assert prof.profile(options=B(B.float_operation()).with_empty_output().build()).total_float_ops == 0
    assert "1 ops no flops stats due to incomplete shapes.\n" in capsys.readouterr().err
