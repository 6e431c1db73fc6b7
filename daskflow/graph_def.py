"""TensorFlow's graph interchange: ``GraphDef`` and ``MetaGraphDef`` both ways, with TF's own protobuf messages (from
the ``tensorboard`` package, daskflow's optional extra ``tf``; TensorFlow itself is never needed).

- ``Graph.as_graph_def()`` writes each op as a ``NodeDef`` of its own type and attrs (dtypes as type enums, shapes as
  ``TensorShapeProto``, arrays as ``TensorProto``), marked with the attr ``_daskflow``, so that ``import_graph_def``
  rebuilds exactly that op. Attr values with no ``AttrValue`` form (nested or mixed lists, dicts, float64-precise
  floats, bytes) are written as a ``func`` attr named ``daskflow.<kind>``; an object that has no form at all (a zarr
  array behind ``data.from_zarr``, an iterator) is written as ``daskflow.opaque`` with its type and repr, and
  importing that node raises unless ``input_map`` replaces every output of it that is used.
- Nodes without the mark were written by TensorFlow: ``TF_OPS`` maps each TF op type daskflow can run to a builder,
  and ``import_graph_def`` raises one ``NotFoundError`` naming every op type it cannot map.
- Loading never executes code from a file: only protobuf parsing (binary, text or JSON) and this module's tables.
"""
import contextlib
import functools
import math
import heapq
import os
import reprlib
import tempfile
import types
import warnings

import numpy as np

from . import dtypes, errors
from .graph import Operation, Tensor, TensorShape, as_shape, get_default_graph
from .ops import conv, generate, nn, reduce, state
from .ops import math as dmath
from .ops.hostvalue import constant_value
from .ops.registry import OPS, apply
from .ops.state import Variable

__all__ = ["TF_OPS", "export_meta_graph", "graph_to_graph_def", "import_graph_def", "import_meta_graph",
           "make_ndarray", "make_tensor_proto", "read_graph_def", "read_meta_graph", "tensor_proto", "write_graph"]

MARK = "_daskflow"          # attr on every node daskflow writes: op type and attrs are daskflow's own
FORMAT = 1                  # its value: the version of this node format
_SHAPES = "_output_shapes"  # TF's attr: the static shapes of the outputs (add_shapes=True)


@functools.cache
def pb():
    """TF's protobuf modules, from the tensorboard package."""
    try:
        from tensorboard.compat.proto import (
            attr_value_pb2,
            graph_pb2,
            meta_graph_pb2,
            node_def_pb2,
            op_def_pb2,
            saver_pb2,
            tensor_pb2,
            tensor_shape_pb2,
            types_pb2,
            variable_pb2,
        )
    except ImportError as e:
        raise ImportError("GraphDef and MetaGraphDef support needs TensorFlow's protobuf messages from the "
                          "tensorboard package: pip install 'daskflow[tf]'") from e
    return types.SimpleNamespace(attr=attr_value_pb2, graph=graph_pb2, meta=meta_graph_pb2, node=node_def_pb2,
                                 opdef=op_def_pb2, saver=saver_pb2, tensor=tensor_pb2, shape=tensor_shape_pb2,
                                 types=types_pb2, variable=variable_pb2)


# -- dtypes, shapes and tensors

_DT = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "int32": "DT_INT32", "uint8": "DT_UINT8", "int16": "DT_INT16",
       "int8": "DT_INT8", "object": "DT_STRING", "complex64": "DT_COMPLEX64", "int64": "DT_INT64", "bool": "DT_BOOL",
       "uint16": "DT_UINT16", "complex128": "DT_COMPLEX128", "float16": "DT_HALF", "uint32": "DT_UINT32",
       "uint64": "DT_UINT64"}
_FROM_DT = {v: np.dtype(k) for k, v in _DT.items()}
# the TensorProto field holding values of each dtype when tensor_content is not used
_VALS = {"float32": "float_val", "float64": "double_val", "int32": "int_val", "int16": "int_val", "int8": "int_val",
         "uint8": "int_val", "uint16": "int_val", "int64": "int64_val", "uint32": "uint32_val",
         "uint64": "uint64_val", "bool": "bool_val", "float16": "half_val", "complex64": "scomplex_val",
         "complex128": "dcomplex_val", "object": "string_val"}


def dtype_enum(dt):
    """TF's ``DataType`` enum value of a daskflow dtype."""
    name = _DT.get(dtypes.as_dtype(dt).name)
    if name is None:
        raise errors.UnimplementedError(None, None, f"dtype {dtypes.name(dt)} has no TensorFlow DataType")
    return pb().types.DataType.Value(name)


def enum_dtype(e):
    """The daskflow dtype of TF's ``DataType`` enum value (reference types, ``DT_FLOAT_REF``, as their base)."""
    name = pb().types.DataType.Name(e - 100 if e > 100 else e) if e in pb().types.DataType.values() else str(e)
    if name not in _FROM_DT:
        raise errors.UnimplementedError(None, None, f"TensorFlow dtype {name} has no daskflow dtype")
    return _FROM_DT[name]


def shape_proto(shape):
    s = as_shape(shape)
    if s.ndims is None:
        return pb().shape.TensorShapeProto(unknown_rank=True)
    return pb().shape.TensorShapeProto(dim=[pb().shape.TensorShapeProto.Dim(size=-1 if d is None else d) for d in s])


def proto_shape(p):
    return TensorShape(None) if p.unknown_rank else TensorShape([None if d.size < 0 else d.size for d in p.dim])


def tensor_proto(value):
    """A ``TensorProto`` of an array: ``tensor_content`` (little-endian bytes) for numbers, ``string_val`` for
    strings."""
    arr = np.asarray(value)
    if arr.dtype.kind in "OSU":
        arr = dtypes.string_array(arr)
    t = pb().tensor.TensorProto(dtype=dtype_enum(arr.dtype), tensor_shape=shape_proto(arr.shape))
    if dtypes.is_string(arr.dtype):
        t.string_val.extend(arr.ravel().tolist())
    else:
        t.tensor_content = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return t


def shaped(arr, shape, verify_shape=False):
    """``arr`` laid out as ``shape`` by TF's rule for constants: a single value fills it, fewer values are padded
    with the last one, more are refused; with ``verify_shape`` the shapes must be equal."""
    arr = np.asarray(arr)
    shape = tuple(int(d) for d in shape)
    if verify_shape and arr.shape != shape:
        raise TypeError(f"Expected Tensor's shape: {shape}, but got {arr.shape}.")
    n = math.prod(shape)
    if arr.size > n:
        raise ValueError(f"Too many elements provided. Takes at most {n}, but got {arr.size}.")
    flat = arr.ravel()
    if 0 < flat.size < n:
        flat = np.concatenate([flat, np.repeat(flat[-1:], n - flat.size)])
    return flat.reshape(shape)


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False, allow_broadcast=False):
    """A ``TensorProto`` of ``values`` (TF's ``make_tensor_proto``), cast to ``dtype`` and laid out as ``shape`` by
    TF's rule for constants (``shaped``)."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        arr = dtypes.string_array(values) if dtypes.is_string(dtype) else np.asarray(values, dtype=dtype)
    else:
        arr = np.asarray(values)
        if arr.dtype == np.float64 and not isinstance(values, np.ndarray):
            arr = arr.astype(np.float32)  # python floats are float32, as TF's
        elif arr.dtype == np.int64 and not isinstance(values, np.ndarray):
            arr = arr.astype(np.int32)
    if shape is not None:
        arr = shaped(arr, shape, verify_shape)
    return tensor_proto(arr)


def make_ndarray(t):
    """The numpy array of a ``TensorProto``; typed value fields shorter than the tensor repeat their last value,
    as TF reads them."""
    dt, shape = enum_dtype(t.dtype), proto_shape(t.tensor_shape)
    if not shape.is_fully_defined():
        raise errors.InvalidArgumentError(None, None, f"a TensorProto needs a fully defined shape, got {shape}")
    n = shape.num_elements()
    if t.tensor_content and not dtypes.is_string(dt):
        arr = np.frombuffer(t.tensor_content, dtype=dt.newbyteorder("<")).astype(dt)
    elif dtypes.is_string(dt):
        arr = np.empty(len(t.string_val), dtype=object)
        arr[:] = list(t.string_val)
    elif dt.kind == "c":
        arr = np.asarray(getattr(t, _VALS[dt.name]), dtype=np.float32 if dt == np.complex64 else np.float64)
        arr = arr.reshape(-1, 2).view(dt).ravel() if arr.size else arr.astype(dt)
    elif dt == np.float16:
        arr = np.asarray(t.half_val, dtype=np.uint16).view(np.float16)
    else:
        arr = np.asarray(getattr(t, _VALS[dt.name]), dtype=dt)
    if arr.size == 0 and n:
        arr = np.full(n, b"" if dtypes.is_string(dt) else 0, dtype=dt)
    elif arr.size < n and not t.tensor_content:
        arr = np.concatenate([arr, np.full(n - arr.size, arr[-1], dtype=dt)])
    if arr.size != n:
        raise errors.DataLossError(None, None, f"a TensorProto of shape {shape} holds {arr.size} values")
    return arr.reshape(tuple(shape))


# -- attrs: python values <-> AttrValue

class Opaque:
    """An attr value that had no GraphDef form: its type and repr, as written."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text

    def __repr__(self):
        return f"<opaque {self.type_name}: {self.text}>"


def _struct(kind, fields):
    return pb().attr.AttrValue(func=pb().attr.NameAttrList(name=f"daskflow.{kind}", attr=fields))


def _list_value(v):
    """A ``ListValue`` of a flat tuple of one kind, else None."""
    A = pb().attr.AttrValue
    if not v:
        return A.ListValue()
    kinds = (("b", (bool, np.bool_), bool), ("i", (int, np.integer), int), ("f", (float, np.floating), float),
             ("s", str, str.encode), ("type", np.dtype, dtype_enum), ("shape", TensorShape, shape_proto),
             ("tensor", np.ndarray, tensor_proto))
    for field, cls, conv_ in kinds:
        if all(isinstance(x, cls) and not (field == "i" and isinstance(x, (bool, np.bool_))) for x in v):
            if field == "i" and not all(-2**63 <= x < 2**63 for x in v):
                return None
            if field == "f" and not all(float(np.float32(x)) == x or np.isnan(x) for x in v):
                return None  # float32 would round them: the structured form keeps float64
            return A.ListValue(**{field: [conv_(x) for x in v]})
    return None


def attr_value(v):
    """The ``AttrValue`` of a python attr value (see the module's docstring for the forms)."""
    A = pb().attr.AttrValue
    if v is None:
        return A()  # no value set: None
    if isinstance(v, (bool, np.bool_)):
        return A(b=bool(v))
    if isinstance(v, (int, np.integer)) and -2**63 <= v < 2**63:
        return A(i=int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if float(np.float32(f)) == f or np.isnan(f):
            return A(f=f)
        return _struct("double", {"value": A(tensor=tensor_proto(np.float64(f)))})
    if isinstance(v, str):
        return A(s=v.encode("utf-8"))
    if isinstance(v, bytes):
        return _struct("bytes", {"value": A(s=v)})
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return A(type=dtype_enum(v))  # a numpy scalar type comes back as its dtype
    if isinstance(v, TensorShape):
        return A(shape=shape_proto(v))
    if isinstance(v, np.ndarray):
        return A(tensor=tensor_proto(v))
    if isinstance(v, tuple) and _list_value(v) is not None:
        return A(list=_list_value(v))
    if isinstance(v, (tuple, list)):
        return _struct(type(v).__name__, {str(i): attr_value(x) for i, x in enumerate(v)})
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        return _struct("dict", {k: attr_value(x) for k, x in v.items()})
    return _struct("opaque", {"type": A(s=f"{type(v).__module__}.{type(v).__qualname__}".encode()),
                              "repr": A(s=reprlib.repr(v).encode("utf-8", "replace"))})


def _text(s):
    try:
        return s.decode("utf-8")
    except UnicodeDecodeError:
        return s


def attr_python(a):
    """The python value of an ``AttrValue`` (the inverse of ``attr_value``); lists of one kind come back as
    tuples."""
    kind = a.WhichOneof("value")
    if kind is None:
        return None
    if kind == "list":
        lst = a.list
        for field, conv_ in (("s", _text), ("i", int), ("f", float), ("b", bool), ("type", enum_dtype),
                             ("shape", proto_shape), ("tensor", make_ndarray), ("func", _func)):
            if len(getattr(lst, field)):
                return tuple(conv_(x) for x in getattr(lst, field))
        return ()
    if kind == "func":
        return _func(a.func)
    if kind == "placeholder":
        raise errors.UnimplementedError(None, None, f"attr placeholder '{a.placeholder}' (function bodies) is not "
                                        "supported")
    return {"s": lambda: _text(a.s), "i": lambda: int(a.i), "f": lambda: float(a.f), "b": lambda: bool(a.b),
            "type": lambda: enum_dtype(a.type), "shape": lambda: proto_shape(a.shape),
            "tensor": lambda: make_ndarray(a.tensor)}[kind]()


def _func(f):
    kind = f.name[len("daskflow."):] if f.name.startswith("daskflow.") else None
    fields = {k: attr_python(v) for k, v in f.attr.items()} if kind else None
    if kind in ("tuple", "list"):
        items = [fields[str(i)] for i in range(len(fields))]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return fields
    if kind == "double":
        return float(fields["value"])
    if kind == "bytes":
        v = fields["value"]
        return v if isinstance(v, bytes) else v.encode("utf-8")
    if kind == "opaque":
        return Opaque(fields["type"], fields["repr"])
    return f  # a TF function reference: kept as the message


# -- export

def _input_name(t):
    return t.op.name if t.value_index == 0 else t.name


def node_def(op, add_shapes=False):
    """The ``NodeDef`` of an Operation, in daskflow's own form."""
    n = pb().node.NodeDef(name=op.name, op=op.type, device=op.device)
    n.input.extend([_input_name(t) for t in op.inputs] + ["^" + c.name for c in op.control_inputs])
    for k in sorted(op.attrs):
        n.attr[k].CopyFrom(attr_value(op.attrs[k]))
    n.attr[MARK].i = FORMAT
    if add_shapes:
        n.attr[_SHAPES].list.shape.extend(shape_proto(t.shape) for t in op.outputs)
    return n


def graph_to_graph_def(graph, from_version=None, add_shapes=False):
    """``graph`` as a ``GraphDef``: its ops in creation order (only those added since version ``from_version``);
    with ``add_shapes`` each node lists its outputs' static shapes in ``_output_shapes``, as TF does."""
    gd = pb().graph.GraphDef()
    for op in graph.get_operations():
        if from_version is None or op._id >= from_version:
            gd.node.append(node_def(op, add_shapes))
    return gd


# -- import

def _ref(s):
    """``(node, output)`` of a NodeDef input ``"name"`` or ``"name:1"``; ``(node, -1)`` for a control input
    ``"^name"``."""
    if s.startswith("^"):
        return s[1:], -1
    name, sep, idx = s.rpartition(":")
    return (name, int(idx)) if sep and idx.isdigit() else (s, 0)


def _ref_name(ref):
    return "^" + ref[0] if ref[1] < 0 else f"{ref[0]}:{ref[1]}"


def _input_map(graph, input_map):
    out = {}
    for k, v in (input_map or {}).items():
        if not isinstance(k, str):
            raise TypeError(f"input_map keys must be names (strings) of tensors of graph_def, got {k!r}")
        ref = _ref(k)
        if ref[1] < 0:
            v = v.op if isinstance(v, Tensor) else v
            if not isinstance(v, Operation):
                raise TypeError(f"input_map['{k}'] must be an Operation (a control input), got {v!r}")
        else:
            v = v._as_tensor() if hasattr(v, "_as_tensor") and not isinstance(v, Tensor) else v
            if not isinstance(v, Tensor):
                raise TypeError(f"input_map['{k}'] must be a Tensor, got {v!r}")
        if v.graph is not graph:
            raise ValueError(f"input_map['{k}'] ({v.name}) is not an element of the graph imported into")
        out[ref] = v
    return out


def _opaque_attrs(node):
    """Names of the attrs of a daskflow node that held objects with no GraphDef form."""
    def opaque(a):
        kind = a.WhichOneof("value")
        if kind == "func" and a.func.name == "daskflow.opaque":
            return True
        if kind == "func" and a.func.name.startswith("daskflow."):
            return any(opaque(x) for x in a.func.attr.values())
        return False
    return sorted(k for k, a in node.attr.items() if opaque(a))


def _is_own(node):
    return MARK in node.attr


def _check(graph_def, imap, return_elements):
    """Validate ``graph_def`` before anything is built; return the nodes to build in topological order and all
    nodes by name. Daskflow nodes holding opaque values are left out where ``imap`` replaces them: every output
    of them that other nodes use, and at least one."""
    nodes = {}
    for n in graph_def.node:
        if n.name in nodes:
            raise ValueError(f"Node '{n.name}' is not unique")
        nodes[n.name] = n
    users = {name: [] for name in nodes}  # node -> refs to it from other nodes
    for n in nodes.values():
        for s in n.input:
            ref = _ref(s)
            if ref[0] not in nodes:
                raise ValueError(f"Node '{n.name}': Unknown input node '{s}'")
            users[ref[0]].append(ref)
    missing = [_ref_name(k) for k in imap if k[0] not in nodes]
    if missing:
        raise ValueError(f"Attempted to map inputs that were not found in graph_def: [{', '.join(missing)}]")
    wanted = {_ref(r)[0] if ":" in r else r for r in return_elements or ()}
    skip, opaque, mapped = set(), [], {k[0] for k in imap}
    for n in nodes.values():
        held = _opaque_attrs(n) if _is_own(n) else ()
        if held and n.name in mapped and n.name not in wanted and all(r in imap for r in users[n.name]):
            skip.add(n.name)
        elif held:
            opaque.append(f"'{n.name}' ({n.op}: attrs {', '.join(held)})")
    unknown = {}
    for n in nodes.values():
        if n.name not in skip and n.op not in (OPS if _is_own(n) else TF_OPS):
            unknown.setdefault(n.op, []).append(n.name)
    if unknown:
        listed = "; ".join(f"'{t}' (node '{ns[0]}'" + (f" and {len(ns) - 1} more)" if len(ns) > 1 else ")")
                           for t, ns in sorted(unknown.items()))
        e = errors.NotFoundError(None, None, f"Op type not registered in daskflow: {len(unknown)} op type(s) of "
                                 f"graph_def have no daskflow op: {listed}")
        e.op_types = unknown
        raise e
    if opaque:
        raise errors.UnimplementedError(
            None, None, "graph_def has daskflow nodes whose attrs held objects with no GraphDef form (data sources, "
            f"iterators): {'; '.join(opaque)}. Map every output of them that is used with input_map.")
    return _toposort(nodes, skip), nodes


def _toposort(nodes, skip):
    """The nodes in an order where inputs come first: graph_def's own order where it is one (a heap on it)."""
    pos = {name: i for i, name in enumerate(nodes)}
    deps = {name: {_ref(s)[0] for s in n.input} - skip for name, n in nodes.items() if name not in skip}
    users = {name: [] for name in deps}
    for name, ds in deps.items():
        for d in ds:
            users[d].append(name)
    left = {name: len(ds) for name, ds in deps.items()}
    ready = [pos[name] for name in deps if not left[name]]
    heapq.heapify(ready)
    order, names = [], list(nodes)
    while ready:
        name = names[heapq.heappop(ready)]
        order.append(nodes[name])
        for u in users[name]:
            left[u] -= 1
            if not left[u]:
                heapq.heappush(ready, pos[u])
    if len(order) < len(deps):
        raise ValueError(f"graph_def is invalid: {len(deps) - len(order)} nodes in a cycle")
    return order


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                     producer_op_list=None):
    """Import a ``GraphDef`` into the default graph (TF's ``import_graph_def``).

    Parameters
    ----------
    graph_def : GraphDef
        Written by daskflow (``Graph.as_graph_def``) or by TensorFlow (TF's op types are mapped by ``TF_OPS``).
        ``read_graph_def`` reads one from a file.
    input_map : dict, optional
        Names of tensors of ``graph_def`` (``"name:0"``, or ``"name"`` for output 0; ``"^name"`` for a control
        input) to Tensors (Operations) of the default graph that replace them.
    return_elements : list of str, optional
        Names in ``graph_def`` to return, in order: ``"name:i"`` gives a Tensor, ``"name"`` an Operation.
    name : str, optional
        Prefix of the imported names: "import" when None (made unique: "import_1", ...), none for "".
    op_dict, producer_op_list :
        Accepted for TensorFlow compatibility; unused (as in TF 1.x's later releases).

    Returns
    -------
    list or None
        The ``return_elements``.

    Raises
    ------
    NotFoundError
        Listing every op type of ``graph_def`` daskflow has no op for (its ``op_types`` maps each to its nodes).
    ValueError
        For malformed graphs (duplicate or missing nodes, cycles) and names not in ``graph_def``.

    Examples
    --------
    >>> import daskflow as df
    >>> g = df.Graph()
    >>> with g.as_default():
    ...     x = df.placeholder(df.float32, [None], name="x")
    ...     y = df.multiply(x, 2.0, name="y")
    >>> x2 = df.constant([1.0, 2.0])
    >>> y2, = df.import_graph_def(g.as_graph_def(), input_map={"x:0": x2}, return_elements=["y:0"])
    >>> y2.name, y2.compute().tolist()
    ('import/y:0', [2.0, 4.0])
    """
    return _import(graph_def, input_map, return_elements, name)[0]


def _import(graph_def, input_map=None, return_elements=None, name=None, clear_devices=False):
    """``(return_elements, {node name in graph_def: Operation built})``."""
    if not isinstance(graph_def, pb().graph.GraphDef):
        raise TypeError(f"graph_def must be a GraphDef proto, got {type(graph_def).__name__}")
    if isinstance(return_elements, str) or not all(isinstance(r, str) for r in return_elements or ()):
        raise TypeError("return_elements must be a list of strings.")
    graph = get_default_graph()
    imap = _input_map(graph, input_map)
    order, nodes = _check(graph_def, imap, return_elements)
    _check_return(graph_def, return_elements)
    built = {}
    with graph.name_scope("import" if name is None else name):
        full = {n.name: graph.unique_name(n.name) for n in order}  # reserved first: composites go around them
        for n in order:
            xs, ctrl = [], []
            for s in n.input:
                ref = _ref(s)
                (ctrl if ref[1] < 0 else xs).append(imap[ref] if ref in imap else _output(built, n, ref))
            _check_mapped(nodes, n, imap)
            with graph.control_dependencies(ctrl), _device(graph, "" if clear_devices else n.device):
                op = built[n.name] = _build(graph, n, full[n.name], xs)
            _merge_shapes(op, n)
    _wire_initializers(built)
    return _returns(built, return_elements), built


def _check_return(graph_def, return_elements):
    names = {n.name for n in graph_def.node}
    for r in return_elements or ():
        if _ref(r)[0] not in names if ":" in r else r not in names:
            what = "tensor" if ":" in r else "return_element"
            raise ValueError(f"Requested {what} '{r}' not found in graph_def.")


class _Outputs:
    """A TF node of several outputs that daskflow computes with several ops: its output tensors, and a NoOp of its
    name that runs them all (for control inputs and ``return_elements``)."""

    def __init__(self, group, outputs):
        self.group, self.outputs, self.name, self.type = group, list(outputs), group.name, group.type


def _as_op(x):
    return x.group if isinstance(x, _Outputs) else x


def _output(built, node, ref):
    op = built[ref[0]]
    if ref[1] < 0:
        return _as_op(op)
    if ref[1] >= len(op.outputs):
        raise ValueError(f"Node '{node.name}': Connecting to invalid output {ref[1]} of source node {ref[0]} which "
                         f"has {len(op.outputs)} outputs.")
    return op.outputs[ref[1]]


def _check_mapped(nodes, node, imap):
    """TF's check of a mapped input's dtype, where the node it replaces declares one (placeholders, constants)."""
    for s in node.input:
        ref = _ref(s)
        if ref in imap and ref[1] == 0:
            src = nodes[ref[0]]
            if "dtype" in src.attr and src.attr["dtype"].WhichOneof("value") == "type":
                want = enum_dtype(src.attr["dtype"].type)
                if imap[ref].dtype != want:
                    raise ValueError(f"Input {list(node.input).index(s)} of node {node.name} was passed "
                                     f"{dtypes.name(imap[ref].dtype)} from {imap[ref].name} incompatible with "
                                     f"expected {dtypes.name(want)}.")


def _device(graph, spec):
    return graph.device(spec) if spec else contextlib.nullcontext()


def _variable_output(op, index, dtype, shape):
    """The output of an imported ``VariableV2`` op: a daskflow Variable, its initializer wired up later."""
    v = Variable.__new__(Variable)
    Tensor.__init__(v, op, index, dtype, shape)
    v._initializer_op, v._initial_value, v._trainable = None, None, False
    return v


def _build(graph, node, full, xs):
    if _is_own(node):
        attrs = {k: attr_python(a) for k, a in node.attr.items() if k not in (MARK, _SHAPES)}
        for v in attrs.values():
            if isinstance(v, np.ndarray):
                v.setflags(write=False)  # graph data, as constant() keeps it
        apply(node.op, xs, attrs, name=full + "/", graph=graph,
              tensor_cls=_variable_output if OPS[node.op].is_variable else None)
        return graph.get_operation_by_name(full)
    b = _Node(graph, node, full, xs)
    with graph.name_scope(full + "/"):  # ops a TF node becomes go under its name
        return b.finish(TF_OPS[node.op](b))


def _merge_shapes(op, node):
    """Refine the outputs' static shapes with those the writer recorded (``_output_shapes``), where compatible:
    where they are not, daskflow's own inference stands."""
    if _SHAPES not in node.attr:
        return
    for t, p in zip(op.outputs, node.attr[_SHAPES].list.shape):
        s = proto_shape(p)
        if t.shape.is_compatible_with(s):
            t.set_shape(s)


def _wire_initializers(built):
    """A variable's initializer is the ``Assign`` named ``<variable>/Assign`` (TF's and daskflow's convention)."""
    for name, op in built.items():
        v = op.outputs[0] if op.type == "VariableV2" else None
        init = built.get(name + "/Assign")
        if isinstance(v, Variable) and init is not None and init.type == "Assign" and init.inputs[0] is v:
            v._initializer_op, v._initial_value = init, init.inputs[1]


def _returns(built, return_elements):
    if return_elements is None:
        return None
    out = []
    for r in return_elements:
        ref = _ref(r)
        if ":" not in r:
            out.append(_as_op(built[r]))
        elif ref[1] < len(built[ref[0]].outputs):
            out.append(built[ref[0]].outputs[ref[1]])
        else:
            raise ValueError(f"Invalid return output {ref[1]} of node '{ref[0]}', which has "
                             f"{len(built[ref[0]].outputs)} output(s)")
    return out


class _Node:
    """What a ``TF_OPS`` builder sees of a TF node: its inputs ``x``, its attrs, and ``op`` to make the daskflow op
    under the node's exact name."""

    _REQUIRED = object()

    def __init__(self, graph, node, full, xs):
        self.graph, self.node, self.type, self.x = graph, node, node.op, xs
        self.name = full + "/"  # ends in "/": the exact name, for ops and name scopes

    def attr(self, key, default=_REQUIRED):
        if key in self.node.attr:
            return attr_python(self.node.attr[key])
        if default is self._REQUIRED:
            raise errors.InvalidArgumentError(None, None, f"NodeDef '{self.node.name}' (op {self.type}) is missing "
                                              f"attr '{key}'")
        return default

    def static(self, i, what):
        """The value of input ``i`` when the graph is built (axes, permutations): daskflow keeps them static."""
        v = constant_value(self.x[i])
        if v is None:
            raise errors.UnimplementedError(None, None, f"node '{self.node.name}' ({self.type}): daskflow needs its "
                                            f"{what} input '{self.x[i].name}' when the graph is built, but it is "
                                            "computed when the graph runs")
        return v

    def op(self, type_name, inputs=None, attrs=None, tensor_cls=None):
        """The daskflow op ``type_name`` of this node (named as it), on ``inputs`` (default the node's)."""
        apply(type_name, self.x if inputs is None else inputs, attrs, name=self.name, graph=self.graph,
              tensor_cls=tensor_cls)
        return self.graph.get_operation_by_name(self.name[:-1])

    def finish(self, out):
        """The Operation standing for the node: ``out`` itself when it has the node's name, else an Identity of
        ``out`` (a single tensor) named so; several tensors of other ops make an ``_Outputs``."""
        full = self.name[:-1]
        if isinstance(out, Tensor):
            out = [out]
        if isinstance(out, Operation) and out.name == full:
            return out
        op = out[0].op if out and all(t.op is out[0].op for t in out) else None
        if op is not None and op.name == full and len(out) == len(op.outputs):
            return op
        if isinstance(out, list) and len(out) == 1:
            return self.op("Identity", out)
        if isinstance(out, list) and all(isinstance(t, Tensor) for t in out):
            return _Outputs(state.group([t.op for t in out], name=self.name), out)
        raise errors.InternalError(None, None, f"TF node '{self.node.name}' ({self.type}) gave {out!r}, not one op "
                                   "of its name")


# -- TensorFlow's op types: how each becomes daskflow ops
#
# A builder gets a _Node and returns the Operation named as the TF node (``b.op``), or tensors from daskflow's public
# functions given ``name=b.name`` (an Identity of the node's name is added where their last op is named otherwise).
# Inputs TF gives as tensors but daskflow keeps as attrs (axes, permutations) must be known when the graph is built.

TF_OPS = {}


def _tf(*tf_types):
    def deco(fn):
        for t in tf_types:
            TF_OPS[t] = fn
        return fn
    return deco


def _same(df_type=None, **spec):
    """TF's op with daskflow's inputs: op type ``df_type`` (default the TF type); ``spec`` gives each daskflow attr
    from a TF attr name, a ``(TF attr name, default)`` pair or a function of the node."""
    def get(b, v):
        if callable(v):
            return v(b)
        return b.attr(*v) if isinstance(v, tuple) else b.attr(v)

    def build(b):
        return b.op(df_type or b.type, attrs={k: get(b, v) for k, v in spec.items()})
    return build


# same inputs, no attrs besides TF's type attrs
for _t in ("Abs", "Acos", "Acosh", "AddN", "AddV2", "Asin", "Asinh", "Atan", "Atan2", "Atanh", "BroadcastTo", "Ceil",
          "Cholesky", "Conj", "Cos", "Cosh", "Equal", "Erf", "Erfc", "Exp", "Expm1", "Fill", "Floor", "FloorDiv",
          "FloorMod", "Greater", "GreaterEqual", "Identity", "IsFinite", "IsInf", "IsNan", "Less", "LessEqual",
          "LinSpace", "Log", "Log1p", "LogicalAnd", "LogicalNot", "LogicalOr", "MatrixDeterminant", "Maximum",
          "Minimum", "Mul", "Neg", "NoOp", "NotEqual", "PadV2", "Pow", "Range", "Rank", "RealDiv", "Reciprocal", "Relu",
          "Relu6", "ReluGrad", "Reshape", "Rint", "Round", "Rsqrt", "Sigmoid", "Sign", "Sin", "Sinh", "Slice",
          "SoftmaxCrossEntropyWithLogits", "Softplus", "SparseSoftmaxCrossEntropyWithLogits", "Sqrt", "Square",
          "SquaredDifference", "StopGradient", "Sub", "Tan", "Tanh", "Tile", "UnsortedSegmentSum", "Where"):
    TF_OPS[_t] = _same()
_MASKS = {k: (k, 0) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}
_SEEDS = {"dtype": "dtype", "seed": ("seed", 0), "seed2": ("seed2", 0)}
TF_OPS.update({
    "Add": _same("AddV2"), "Inv": _same("Reciprocal"), "Snapshot": _same("Identity"),
    "Cast": _same(DstT="DstT"), "Shape": _same(out_type=("out_type", dtypes.int32)),
    "Size": _same(out_type=("out_type", dtypes.int32)),
    "Pack": _same(axis=("axis", 0)), "Unpack": _same(num="num", axis=("axis", 0)), "OneHot": _same(axis=("axis", -1)),
    "StridedSlice": _same(**_MASKS), "StridedSliceGrad": _same(**_MASKS),
    "MatrixInverse": _same(adjoint=("adjoint", False)), "MatrixSolve": _same(adjoint=("adjoint", False)),
    "Einsum": _same(equation="equation"), "CheckNumerics": _same(message="message"),
    "Print": _same(message=("message", ""), first_n=("first_n", -1), summarize=("summarize", 3)),
    "MirrorPad": _same(mode="mode"), "MirrorPadGrad": _same(mode="mode"),
    "AsString": _same(precision=("precision", -1), scientific=("scientific", False), shortest=("shortest", False),
                      width=("width", -1), fill=("fill", "")),
    "StringLength": _same(unit=("unit", "BYTE")),
    "StringJoin": _same(separator=lambda b: str(b.attr("separator", "")).encode("utf-8")),
    "Placeholder": _same(dtype="dtype", shape=("shape", TensorShape(None))),
    "PlaceholderWithDefault": _same(shape="shape"),
    "Assign": _same(validate_shape=("validate_shape", True)),
    "AssignAdd": _same(validate_shape=lambda b: True), "AssignSub": _same(validate_shape=lambda b: True),
    "RandomStandardNormal": _same(**_SEEDS), "TruncatedNormal": _same(**_SEEDS), "RandomUniform": _same(**_SEEDS),
    "RandomUniformInt": _same(dtype="Tout", seed=("seed", 0), seed2=("seed2", 0)),
    "ZerosLike": _same(dtype=lambda b: b.x[0].dtype), "OnesLike": _same(dtype=lambda b: b.x[0].dtype),
})


def _axis_attr(v):
    v = np.asarray(v)
    return int(v) if v.ndim == 0 else tuple(int(a) for a in v.ravel())


@_tf("Const")
def _const(b):
    value = b.attr("value")
    value.setflags(write=False)
    return b.op("Const", [], {"value": value})


@_tf("VariableV2", "Variable")
def _variable(b):
    return b.op("VariableV2", [], {"shape": b.attr("shape"), "dtype": b.attr("dtype")}, tensor_cls=_variable_output)


@_tf("Sum", "Mean", "Max", "Min", "Prod", "All", "Any")
def _reduction(b):
    axis = _axis_attr(b.static(1, "reduction_indices"))
    return b.op(b.type, b.x[:1], {"axis": axis, "keepdims": b.attr("keep_dims", False)})


@_tf("ArgMax", "ArgMin")
def _arg_reduction(b):
    attrs = {"axis": int(b.static(1, "dimension")), "output_type": b.attr("output_type", dtypes.int64)}
    return b.op(b.type, b.x[:1], attrs)


_tf("ConcatV2")(lambda b: b.op("ConcatV2", b.x[:-1], {"axis": int(b.static(-1, "axis"))}))
_tf("Concat")(lambda b: b.op("ConcatV2", b.x[1:], {"axis": int(b.static(0, "concat_dim"))}))
_tf("ExpandDims")(lambda b: b.op("ExpandDims", b.x[:1], {"axis": int(b.static(1, "dim"))}))
_tf("Squeeze")(lambda b: b.op("Squeeze", attrs={"axis": tuple(b.attr("squeeze_dims", ())) or None}))
_tf("ReverseV2")(lambda b: b.op("ReverseV2", b.x[:1], {"axis": tuple(np.ravel(b.static(1, "axis")).tolist())}))
_tf("Split")(lambda b: b.op("Split", b.x[1:], {"num_split": b.attr("num_split"),
                                                "axis": int(b.static(0, "split_dim"))}))
_tf("SplitV")(lambda b: b.op("SplitV", b.x[:2], {"num": b.attr("num_split"), "axis": int(b.static(2, "split_dim"))}))
_tf("Gather")(lambda b: b.op("GatherV2", b.x, {"axis": 0}))
_tf("ShapeN")(lambda b: [generate.shape(x, out_type=b.attr("out_type", dtypes.int32)) for x in b.x])
_tf("Select")(lambda b: dmath.where(*b.x, name=b.name))
_tf("SelectV2")(lambda b: dmath.where_v2(*b.x, name=b.name))
_tf("Div")(lambda b: dmath.div(*b.x, name=b.name))
_tf("MatMul")(lambda b: b.op("BatchMatMulV2", attrs={"transpose_a": b.attr("transpose_a", False),
                                                     "transpose_b": b.attr("transpose_b", False)}))
_tf("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")(
    lambda b: dmath.matmul(*b.x, adjoint_a=b.attr("adj_x", False), adjoint_b=b.attr("adj_y", False), name=b.name))
_tf("BiasAdd", "BiasAddV1")(lambda b: nn.bias_add(*b.x, data_format=b.attr("data_format", "NHWC"), name=b.name))
_tf("Softmax")(lambda b: nn.softmax(b.x[0], name=b.name))
_tf("LogSoftmax")(lambda b: nn.log_softmax(b.x[0], name=b.name))
_tf("LeakyRelu")(lambda b: nn.leaky_relu(b.x[0], alpha=b.attr("alpha", 0.2), name=b.name))
_tf("Elu")(lambda b: nn.elu(b.x[0], name=b.name))
_tf("Selu")(lambda b: nn.selu(b.x[0], name=b.name))
_tf("Softsign")(lambda b: nn.softsign(b.x[0], name=b.name))
_tf("L2Loss")(lambda b: nn.l2_loss(b.x[0], name=b.name))
_tf("Assert")(lambda b: dmath.Assert(b.x[0], b.x[1:], summarize=b.attr("summarize", 3), name=b.name))
# gradients TF's graphs hold: (y, dy) of the forward output, or (dy, x) of its input
_tf("SigmoidGrad")(lambda b: b.x[1] * b.x[0] * (1 - b.x[0]))
_tf("TanhGrad")(lambda b: b.x[1] * (1 - b.x[0] * b.x[0]))
_tf("SqrtGrad")(lambda b: b.x[1] * 0.5 / b.x[0])
_tf("RsqrtGrad")(lambda b: b.x[1] * -0.5 * b.x[0] * b.x[0] * b.x[0])
_tf("ReciprocalGrad", "InvGrad")(lambda b: -b.x[1] * b.x[0] * b.x[0])
_tf("SoftplusGrad")(lambda b: b.x[0] * nn.sigmoid(b.x[1]))
_tf("Relu6Grad")(lambda b: dmath.where_v2((b.x[1] > 0) & (b.x[1] < 6), b.x[0], 0))


@_tf("Transpose", "ConjugateTranspose")
def _transpose(b):
    perm = tuple(int(p) for p in np.ravel(b.static(1, "perm")))
    return b.op("Transpose", b.x[:1], {"perm": perm, "conjugate": b.type == "ConjugateTranspose"})


@_tf("GatherV2")
def _gather(b):
    if b.attr("batch_dims", 0):
        raise errors.UnimplementedError(None, None, f"node '{b.node.name}' (GatherV2): batch_dims is not supported")
    return b.op("GatherV2", b.x[:2], {"axis": int(b.static(2, "axis"))})


@_tf("Pad")
def _pad(b):
    x = b.x[0]
    zero = state.constant(b"" if dtypes.is_string(x.dtype) else np.zeros((), x.dtype), name="constant_values")
    return b.op("PadV2", [x, b.x[1], zero])


@_tf("BiasAddGrad")
def _bias_add_grad(b):
    dy = b.x[0]
    if dy.shape.ndims is None:
        raise errors.UnimplementedError(None, None, f"node '{b.node.name}' (BiasAddGrad) needs its input's rank")
    channel = 1 if b.attr("data_format", "NHWC").startswith("NC") and dy.shape.ndims > 2 else dy.shape.ndims - 1
    return reduce.reduce_sum(dy, axis=[i for i in range(dy.shape.ndims) if i != channel], name=b.name)


def _conv_args(b):
    padding = b.attr("padding")
    if padding == "EXPLICIT":
        e = list(b.attr("explicit_paddings"))
        padding = [e[i:i + 2] for i in range(0, len(e), 2)]
    return {"strides": list(b.attr("strides")), "padding": padding, "data_format": b.attr("data_format", "NHWC"),
            "dilations": list(b.attr("dilations", (1, 1, 1, 1))), "name": b.name}


_tf("Conv2D")(lambda b: conv.conv2d(*b.x, **_conv_args(b)))
_tf("Conv2DBackpropInput")(lambda b: conv.conv2d_backprop_input(*b.x, **_conv_args(b)))
_tf("Conv2DBackpropFilter")(lambda b: conv.conv2d_backprop_filter(*b.x, **_conv_args(b)))


def _pool_args(b):
    return {"ksize": list(b.attr("ksize")), "strides": list(b.attr("strides")), "padding": b.attr("padding"),
            "data_format": b.attr("data_format", "NHWC"), "name": b.name}


_tf("MaxPool")(lambda b: conv.max_pool(b.x[0], **_pool_args(b)))
_tf("AvgPool")(lambda b: conv.avg_pool(b.x[0], **_pool_args(b)))


@_tf("MaxPoolGrad", "AvgPoolGrad")
def _pool_grad(b):
    args = _pool_args(b)
    if args["data_format"] != "NHWC":
        raise errors.UnimplementedError(None, None, f"node '{b.node.name}' ({b.type}): only NHWC is supported")
    attrs = {"ksize": tuple(args["ksize"][1:3]), "strides": tuple(args["strides"][1:3]), "padding": args["padding"]}
    # TF's MaxPoolGrad takes (input, output, grad); daskflow's recomputes the output from (input, grad)
    return b.op(b.type, [b.x[0], b.x[2]] if b.type == "MaxPoolGrad" else b.x, attrs)


@_tf("ApplyGradientDescent")
def _apply_gradient_descent(b):
    var, alpha, delta = b.x
    return state.assign_sub(var, alpha * delta, name=b.name)


@_tf("ApplyMomentum")
def _apply_momentum(b):
    var, accum, lr, grad, momentum = b.x
    accum_t = state.assign(accum, accum * momentum + grad)
    step = grad * lr + accum_t * momentum * lr if b.attr("use_nesterov", False) else accum_t * lr
    return state.assign_sub(var, step, name=b.name)


@_tf("ApplyAdam")
def _apply_adam(b):
    from .graph import control_dependencies
    from .ops.training import adam_update
    if b.attr("use_nesterov", False):
        raise errors.UnimplementedError(None, None, f"node '{b.node.name}' (ApplyAdam): use_nesterov is not supported")
    var, m, v = b.x[:3]
    var_t, m_t, v_t = adam_update(*b.x)
    with control_dependencies([state.assign(m, m_t).op, state.assign(v, v_t).op]):
        return state.assign(var, var_t, name=b.name)  # its output, as ApplyAdam's, is the variable's new value


# -- meta graphs

# collections whose Variables are written as VariableDef protos (TF's registered ones)
_VARIABLE_COLLECTIONS = {"variables", "trainable_variables", "local_variables", "model_variables",
                         "moving_average_variables", "global_step", "metric_variables"}
# TF collections of other protos daskflow has no use for
_TF_PROTO_COLLECTIONS = {"cond_context", "while_context", "queue_runners", "savers"}


def _strip(name, scope):
    return name[len(scope) + 1:] if scope and name.startswith(scope + "/") else name


def _scoped(graph_def, scope, clear_devices):
    """The nodes under ``scope`` with it stripped from their names (all nodes when None)."""
    out = pb().graph.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    for n in graph_def.node:
        if scope and not n.name.startswith(scope + "/"):
            continue
        m = out.node.add()
        m.CopyFrom(n)
        if scope:
            m.name = _strip(n.name, scope)
            m.input[:] = [("^" if s.startswith("^") else "") + _strip(s.lstrip("^"), scope) for s in n.input]
        if clear_devices:
            m.device = ""
    return out


def _variable_def(v, scope):
    vd = pb().variable.VariableDef(variable_name=_strip(v.name, scope), snapshot_name=_strip(v.name, scope),
                                   trainable=bool(v.trainable))
    if v.initializer is not None:
        vd.initializer_name = _strip(v.initializer.name, scope)
    if v.initial_value is not None:
        vd.initial_value_name = _strip(v.initial_value.name, scope)
    return vd


def _add_collection(meta, key, values, scope):
    if scope:
        values = [v for v in values if not hasattr(v, "name") or v.name.startswith(scope + "/")]
    if not values:
        return
    if not isinstance(key, str):
        warnings.warn(f"collection {key!r} is not named by a string: it is not exported", stacklevel=3)
        return
    col = meta.collection_def[key]
    if key in _VARIABLE_COLLECTIONS and all(isinstance(v, Variable) for v in values):
        col.bytes_list.value.extend(_variable_def(v, scope).SerializeToString() for v in values)
    elif all(isinstance(v, (Tensor, Operation)) for v in values):
        col.node_list.value.extend(_strip(v.name, scope) for v in values)
    elif all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        col.int64_list.value.extend(int(v) for v in values)
    elif all(isinstance(v, (float, np.floating)) for v in values):
        col.float_list.value.extend(float(v) for v in values)
    elif all(isinstance(v, (str, bytes)) for v in values):
        col.bytes_list.value.extend(v.encode("utf-8") if isinstance(v, str) else v for v in values)
    elif all(hasattr(v, "as_saver_def") for v in values):  # Savers, as TF writes them: their SaverDefs
        col.bytes_list.value.extend(v.as_saver_def().SerializeToString() for v in values)
    else:
        del meta.collection_def[key]
        kinds = sorted({type(v).__name__ for v in values})
        warnings.warn(f"collection '{key}' holds {', '.join(kinds)} values, which have no MetaGraphDef form: it is "
                      "not exported", stacklevel=3)


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None, collection_list=None,
                      as_text=False, graph=None, export_scope=None, clear_devices=False,
                      clear_extraneous_savers=False, strip_default_attrs=False, save_debug_info=False, **kwargs):
    """The graph as TF's ``MetaGraphDef`` (``tf.train.export_meta_graph``), written to ``filename`` when given.

    Parameters
    ----------
    filename : str, optional
        Written as binary protobuf, or with ``as_text`` as protobuf text (JSON when the name ends in ".json").
    meta_info_def, graph_def, saver_def : protos, optional
        Used as given; ``graph_def`` defaults to the graph's, with ``_output_shapes``.
    collection_list : list of str, optional
        The collections to export (default all): Variables of the variable collections as ``VariableDef`` bytes,
        tensors and ops as names, ints, floats and strings as lists. Others are left out with a warning.
    graph : Graph, optional
        Default: the default graph.
    export_scope : str, optional
        Export only the ops under this name scope, with the scope stripped from the names.
    clear_devices : bool
        Drop the ops' devices.
    clear_extraneous_savers, strip_default_attrs, save_debug_info :
        Accepted for TensorFlow compatibility; daskflow's graphs hold no saver ops nor default attrs.

    Returns
    -------
    MetaGraphDef
    """
    graph = graph or get_default_graph()
    meta = pb().meta.MetaGraphDef()
    if meta_info_def is not None:
        meta.meta_info_def.CopyFrom(meta_info_def)
    gd = graph_to_graph_def(graph, add_shapes=True) if graph_def is None else graph_def
    meta.graph_def.CopyFrom(_scoped(gd, export_scope, clear_devices))
    if not meta.meta_info_def.stripped_op_list.op:
        meta.meta_info_def.stripped_op_list.op.extend(pb().opdef.OpDef(name=t)
                                                      for t in sorted({n.op for n in meta.graph_def.node}))
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    for key in (list(graph.collections) if collection_list is None else collection_list):
        _add_collection(meta, key, graph.get_collection(key), export_scope)
    if filename:
        _write(os.fspath(filename), meta, as_text)
    return meta


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """Import a ``MetaGraphDef`` (or a ``.meta`` file: binary, text or JSON) written by daskflow or TensorFlow into
    the default graph, with its collections (TF's ``tf.train.import_meta_graph``).

    Variables come back as daskflow Variables in their collections, with their initializers, so
    ``global_variables_initializer()`` works; ``train_op`` and other op and tensor collections are restored by
    name. TF's saver ops (the ``saver_def``'s name scope) are left out: daskflow's ``Saver`` replaces them.

    Parameters
    ----------
    meta_graph_or_file : MetaGraphDef or path
    clear_devices : bool
        Drop the ops' devices.
    import_scope : str, optional
        Name scope prefixed to the imported names.
    input_map : dict, optional
        As ``import_graph_def``'s.
    restore_collections_predicate : callable, optional
        Restores only the collections whose name it accepts.

    Returns
    -------
    Saver or None
        A ``daskflow.train.Saver`` of the imported global variables (their checkpoint names without
        ``import_scope``), or None when there are none and the meta graph has no ``saver_def``.
    """
    input_map = kwargs.pop("input_map", None)
    keep = kwargs.pop("restore_collections_predicate", lambda key: True)
    if kwargs:
        raise TypeError(f"import_meta_graph() got unexpected keyword arguments: {', '.join(sorted(kwargs))}")
    meta = read_meta_graph(meta_graph_or_file)
    graph_def = meta.graph_def
    if meta.HasField("saver_def"):
        saver_scope = meta.saver_def.filename_tensor_name.rpartition(":")[0].rpartition("/")[0]
        if saver_scope:
            graph_def = pb().graph.GraphDef(
                node=[n for n in graph_def.node if _is_own(n) or not n.name.startswith(saver_scope + "/")],
                versions=graph_def.versions)
    graph = get_default_graph()
    _, built = _import(graph_def, input_map=input_map, name=import_scope or "", clear_devices=clear_devices)
    restored = {}
    for key in sorted(meta.collection_def):
        if keep(key):
            restored[key] = _restore_collection(graph, key, meta.collection_def[key], built)
    return _saver(meta, restored.get("variables", []), import_scope)


def _element(built, name):
    ref = _ref(name)
    op = built.get(ref[0])
    if op is None:
        return None
    return _as_op(op) if ":" not in name else op.outputs[ref[1]]


def _restore_collection(graph, key, col, built):
    kind, values = col.WhichOneof("kind"), []
    if kind == "node_list":
        values = [_element(built, name) for name in col.node_list.value]
        if None in values:
            warnings.warn(f"collection '{key}' names nodes that were not imported: they are left out", stacklevel=3)
            values = [v for v in values if v is not None]
    elif kind == "bytes_list" and key in _VARIABLE_COLLECTIONS:
        values = [_variable_from_def(pb().variable.VariableDef.FromString(b), built) for b in col.bytes_list.value]
    elif kind == "bytes_list" and key not in _TF_PROTO_COLLECTIONS:
        values = list(col.bytes_list.value)
    elif kind == "bytes_list" and key == "savers":
        pass  # import_meta_graph makes the Saver from the meta graph's saver_def
    elif kind in ("int64_list", "float_list"):
        values = list(getattr(col, kind).value)
    else:
        warnings.warn(f"collection '{key}' ({kind}) has no daskflow form: it is not restored", stacklevel=3)
    for v in values:
        graph.add_to_collection(key, v)
    return values


def _variable_from_def(vd, built):
    v = _element(built, vd.variable_name)
    if not isinstance(v, Variable):
        raise errors.InvalidArgumentError(None, None, f"VariableDef names '{vd.variable_name}', which is not a "
                                          "VariableV2 op of the graph")
    if vd.initializer_name:
        v._initializer_op = _element(built, vd.initializer_name)
    if vd.initial_value_name:
        v._initial_value = _element(built, vd.initial_value_name)
    v._trainable = vd.trainable
    return v


def _saver(meta, variables, scope):
    if not variables and not meta.HasField("saver_def"):
        return None
    try:
        from .train.saver import Saver
    except ImportError:
        return None
    kwargs = {}
    if meta.HasField("saver_def"):
        sd = meta.saver_def
        kwargs = {"max_to_keep": sd.max_to_keep, "saver_def": sd}
        if sd.keep_checkpoint_every_n_hours > 0:
            kwargs["keep_checkpoint_every_n_hours"] = sd.keep_checkpoint_every_n_hours
    var_list = {_strip(v.op.name, scope): v for v in variables} if scope else list(variables)
    return Saver(var_list=var_list, allow_empty=True, **kwargs)


# -- files

def _write(path, message, as_text):
    if not as_text:
        data = message.SerializeToString(deterministic=True)
    elif path.endswith(".json"):
        from google.protobuf import json_format
        data = json_format.MessageToJson(message, preserving_proto_field_name=True, indent=1).encode("utf-8")
    else:
        from google.protobuf import text_format
        data = text_format.MessageToString(message).encode("utf-8")
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-" + os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _read(cls, message_or_path, what):
    """A ``cls`` message given as itself, or read from a file in binary, text or JSON form. Parsing only: nothing
    in the file is ever executed."""
    if isinstance(message_or_path, cls):
        return message_or_path
    from google.protobuf import json_format, message, text_format
    path = os.fspath(message_or_path)
    with open(path, "rb") as f:
        data = f.read()
    msg = cls()
    try:
        if data.lstrip()[:1] == b"{":
            return json_format.Parse(data.decode("utf-8"), msg)
        try:
            msg.ParseFromString(data)
            return msg
        except message.DecodeError:
            return text_format.Parse(data.decode("utf-8"), cls())
    except (json_format.ParseError, text_format.ParseError, UnicodeDecodeError) as e:
        raise errors.DataLossError(None, None, f"{path} is not a {what} in binary, text or JSON form: {e}") from None


def read_graph_def(graph_def_or_path):
    """A ``GraphDef`` read from a file (``.pb``, ``.pbtxt`` or ``.json``; the form is told by the content)."""
    return _read(pb().graph.GraphDef, graph_def_or_path, "GraphDef")


def read_meta_graph(meta_graph_or_path):
    """A ``MetaGraphDef`` read from a file (binary, text or JSON)."""
    return _read(pb().meta.MetaGraphDef, meta_graph_or_path, "MetaGraphDef")


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Write a graph (a daskflow Graph, or a GraphDef or other message) to ``logdir/name`` and return that path
    (TF's ``tf.io.write_graph``): protobuf text with ``as_text`` (JSON when ``name`` ends in ".json"), else binary.
    ``logdir`` is created when missing; the file is replaced atomically."""
    message = graph_or_graph_def.as_graph_def() if hasattr(graph_or_graph_def, "as_graph_def") \
        else graph_or_graph_def
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(os.fspath(logdir), name)
    _write(path, message, as_text)
    return path
