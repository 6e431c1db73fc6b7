"""TF1's ``tf.graph_util``: GraphDef surgery (sub-graph extraction, freezing variables into constants)."""
from . import errors
from .graph_def import FORMAT, MARK, dtype_enum, import_graph_def, pb, tensor_proto

__all__ = ["convert_variables_to_constants", "extract_sub_graph", "import_graph_def",
           "tensor_shape_from_node_def_name"]


def _node_name(s):
    return s.lstrip("^").rsplit(":", 1)[0] if ":" in s else s.lstrip("^")


def extract_sub_graph(graph_def, dest_nodes):
    """The nodes of ``graph_def`` that ``dest_nodes`` (node names) depend on, by data, control or colocation
    (``_class``), in their original order (TF's ``extract_sub_graph``).

    Examples
    --------
    >>> import daskflow as df
    >>> g = df.Graph()
    >>> with g.as_default():
    ...     a = df.constant(1.0, name="a")
    ...     b = df.add(a, 1.0, name="b")
    ...     c = df.constant(2.0, name="c")
    >>> [n.name for n in df.graph_util.extract_sub_graph(g.as_graph_def(), ["b"]).node]
    ['a', 'Const', 'b']
    """
    if not isinstance(graph_def, pb().graph.GraphDef):
        raise TypeError(f"graph_def must be a graph_pb2.GraphDef proto, but got type {type(graph_def)}.")
    if isinstance(dest_nodes, str):
        raise TypeError(f"dest_nodes must be an iterable of strings, but got type {type(dest_nodes)}.")
    nodes = {n.name: n for n in graph_def.node}
    deps = {}
    for n in graph_def.node:
        deps[n.name] = [_node_name(s) for s in n.input]
        if "_class" in n.attr:  # colocated nodes go with it, as in TF
            deps[n.name] += [s.decode()[len("loc:@"):] for s in n.attr["_class"].list.s if s.startswith(b"loc:@")]
    for d in dest_nodes:
        assert d in nodes, f"{d} is not in graph"
    keep, todo = set(), list(dest_nodes)
    while todo:
        name = todo.pop()
        if name not in keep and name in nodes:
            keep.add(name)
            todo.extend(deps[name])
    out = pb().graph.GraphDef(node=[n for n in graph_def.node if n.name in keep])
    out.library.CopyFrom(graph_def.library)
    out.versions.CopyFrom(graph_def.versions)
    return out


def convert_variables_to_constants(sess, input_graph_def, output_node_names, variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    """The sub-graph ``output_node_names`` need, with each variable (``VariableV2`` node) replaced by a ``Const``
    of its value in ``sess`` (TF's freezing, ``convert_variables_to_constants``). ``input_graph_def`` is
    ``sess.graph``'s; the whitelist and blacklist choose variables by node name."""
    sub = extract_sub_graph(input_graph_def, output_node_names)
    chosen = [n for n in sub.node if n.op in ("VariableV2", "Variable")
              and (variable_names_whitelist is None or n.name in variable_names_whitelist)
              and (variable_names_blacklist is None or n.name not in variable_names_blacklist)]
    values = sess.run([sess.graph.get_tensor_by_name(n.name + ":0") for n in chosen]) if chosen else []
    frozen = dict(zip((n.name for n in chosen), values))
    out = pb().graph.GraphDef()
    out.library.CopyFrom(sub.library)
    out.versions.CopyFrom(sub.versions)
    for n in sub.node:
        m = out.node.add()
        if n.name not in frozen:
            m.CopyFrom(n)
            continue
        m.name, m.op, m.device = n.name, "Const", n.device
        m.attr["value"].tensor.CopyFrom(tensor_proto(frozen[n.name]))
        if MARK in n.attr:  # a daskflow node stays one
            m.attr[MARK].i = FORMAT
        else:
            m.attr["dtype"].type = dtype_enum(frozen[n.name].dtype)
    return out


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of output 0 of the op named ``input_name`` (or of the tensor so named)."""
    name = input_name if ":" in input_name else input_name + ":0"
    try:
        return graph.get_tensor_by_name(name).shape
    except KeyError as e:
        raise errors.NotFoundError(None, None, str(e)) from None

