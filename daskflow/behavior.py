"""TF 2's switches back to TF 1.x behaviour (``tf.compat.v1.disable_v2_behavior()`` and the like), as TF1 programs
run on TensorFlow 2 call them first. daskflow has TF1's graph-mode behaviour only, so each ``disable_*`` switch is
already in effect and does nothing, and each query reports graph mode. (The ``enable_*`` switches, which would turn
on eager execution or TF2's control flow, are not provided.)"""

__all__ = ["disable_eager_execution", "disable_v2_behavior", "disable_control_flow_v2", "disable_resource_variables",
           "disable_tensor_equality", "disable_v2_tensorshape", "executing_eagerly", "control_flow_v2_enabled",
           "resource_variables_enabled"]


def disable_eager_execution():
    """Graph mode: daskflow builds graphs and runs them with a Session, always."""


def disable_v2_behavior():
    """TF 1.x behaviour throughout (graph mode, TF1 variables, TF1 control flow, identity ``==`` on tensors)."""


def disable_control_flow_v2():
    """TF1's control flow (``cond``/``while_loop`` built into the graph and run by the Session): already so."""


def disable_resource_variables():
    """TF1's reference variables: a variable's value is held by the Session and updated by assign ops."""


def disable_tensor_equality():
    """``t1 == t2`` compares tensors by identity, as TF1 (use ``df.equal`` for elementwise equality)."""


def disable_v2_tensorshape():
    """TF1's TensorShape behaviour."""


def executing_eagerly():
    """False: ops build graph nodes; values come from ``Session.run``."""
    return False


def control_flow_v2_enabled():
    """False: control flow is TF1's."""
    return False


def resource_variables_enabled():
    """False: variables are TF1's reference variables."""
    return False
