"""The global step: an int64 scalar variable named "global_step", kept in the graph's "global_step" collection."""
from .. import dtypes
from ..graph import Tensor, get_default_graph
from ..ops.generate import zeros
from ..ops.state import GLOBAL_VARIABLES, Variable

__all__ = ["GLOBAL_STEP", "get_global_step", "create_global_step", "get_or_create_global_step", "global_step",
           "assert_global_step"]

GLOBAL_STEP = "global_step"


def get_global_step(graph=None):
    """The graph's global step: the one tensor of its "global_step" collection, else the tensor named
    "global_step:0", else None."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GLOBAL_STEP)
    if len(found) > 1:
        raise ValueError(f"Multiple tensors in global_step collection: {[t.name for t in found]}")
    if found:
        step = found[0]
    else:
        try:
            step = graph.get_tensor_by_name(GLOBAL_STEP + ":0")
        except KeyError:
            return None
    assert_global_step(step)
    return step


def create_global_step(graph=None):
    """Create the global step variable (zero at initialisation, not trainable); raises if one exists.

    Examples
    --------
    >>> import daskflow as df
    >>> step = df.train.create_global_step()
    >>> step.name, step.dtype.name, df.train.get_global_step() is step
    ('global_step:0', 'int64', True)
    """
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None):
        return Variable(lambda: zeros([], dtypes.int64), trainable=False, name=GLOBAL_STEP,
                        collections=[GLOBAL_VARIABLES, GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The graph's global step, created first when it has none."""
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def global_step(sess, global_step_tensor):
    """The global step's value in session ``sess``, as a python int."""
    return int(sess.run(global_step_tensor))


def assert_global_step(global_step_tensor):
    """Raise TypeError unless ``global_step_tensor`` is an integer scalar tensor or variable."""
    if not isinstance(global_step_tensor, Tensor):
        raise TypeError(f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.')
    if global_step_tensor.dtype.kind not in "iu":
        raise TypeError(f'Existing "global_step" does not have integer type: {global_step_tensor.dtype.name}')
    shape = global_step_tensor.shape
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')
