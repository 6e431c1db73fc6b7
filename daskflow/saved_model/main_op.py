"""TF1's ``tf.saved_model.main_op``: the op a loader runs after restoring a SavedModel's variables."""
from ..graph import control_dependencies, get_default_graph
from ..ops.state import global_variables_initializer, group, tables_initializer
from ..ops.variable_scope import local_variables_initializer

__all__ = ["main_op", "main_op_with_restore"]


def main_op():
    """An op initializing the global and local variables and the tables (run after the restore, it re-initializes
    them: pass it when the model needs its initial values, not the saved ones)."""
    return group(global_variables_initializer(), local_variables_initializer(), tables_initializer())


def main_op_with_restore(restore_op_name):
    """``main_op()`` followed by the op named ``restore_op_name`` (e.g. a Saver's restore op)."""
    restore = get_default_graph().as_graph_element(restore_op_name)
    with control_dependencies([main_op()]):
        return group(restore)
