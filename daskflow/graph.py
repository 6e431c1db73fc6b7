"""The symbolic dataflow graph: Graph, Operation, Tensor. Graphs never hold run-time data."""
import contextlib
import re
import threading
import traceback

import numpy as np

from . import dtypes, errors

__all__ = ["Graph", "Operation", "Tensor", "TensorShape", "DeviceSpec", "get_default_graph", "reset_default_graph",
           "name_scope", "control_dependencies", "device", "colocate_with", "set_random_seed"]


class TensorShape(tuple):
    """A static shape: a tuple of ints and ``None`` for unknown dims (``TensorShape(None)`` is unknown rank)."""

    def __new__(cls, dims=()):
        if dims is None:
            self = super().__new__(cls, ())
            self._unknown_rank = True
            return self
        if isinstance(dims, (int, np.integer)):
            dims = (dims,)
        self = super().__new__(cls, (_dim(d) for d in dims))
        self._unknown_rank = getattr(dims, "_unknown_rank", False)
        return self

    @property
    def ndims(self):
        return None if self._unknown_rank else len(self)

    rank = ndims

    @property
    def dims(self):
        return None if self._unknown_rank else list(self)

    def as_list(self):
        if self._unknown_rank:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self)

    def is_fully_defined(self):
        return not self._unknown_rank and all(d is not None for d in self)

    def num_elements(self):
        return int(np.prod(self, dtype=np.int64)) if self.is_fully_defined() else None

    def is_compatible_with(self, other):
        if self._unknown_rank:
            return True
        if type(other) is not tuple:  # a plain tuple (an array's shape, checked on every fed run) is used as is
            other = as_shape(other)
            if other._unknown_rank:
                return True
        # b != b: NaN, a dask array's unknown size
        return len(self) == len(other) and all(a is None or b is None or b != b or a == b for a, b in zip(self, other))

    def merge_with(self, other):
        other = as_shape(other)
        if self._unknown_rank:
            return other
        if other._unknown_rank:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape(a if a is not None else b for a, b in zip(self, other))

    def __repr__(self):
        return "TensorShape(None)" if self._unknown_rank else f"TensorShape({list(self)})"

    def __str__(self):
        if self._unknown_rank:
            return "<unknown>"
        return "(" + ", ".join("?" if d is None else str(d) for d in self) + ("," if len(self) == 1 else "") + ")"

    def __eq__(self, other):
        if isinstance(other, TensorShape) and (self._unknown_rank or other._unknown_rank):
            return self._unknown_rank and other._unknown_rank
        return tuple.__eq__(self, tuple(other) if isinstance(other, list) else other)

    __hash__ = tuple.__hash__

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return TensorShape(r) if isinstance(key, slice) else r


def _dim(d):
    if d is None or (isinstance(d, float) and d != d):  # NaN: a dask array's unknown chunk sizes
        return None
    d = int(d)
    if d < 0:
        raise ValueError(f"dimension {d} must be >= 0 (use None for an unknown dim)")
    return d


def as_shape(shape):
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


class DeviceSpec:
    """A parsed device string such as ``/job:worker/task:1/device:GPU:0`` (``/gpu:0`` and ``gpu:0`` too).

    On a dask.distributed cluster a device may also name one worker directly, by its address
    (``"tcp://10.0.0.5:40331"``) or as ``/worker:<name>`` (the name a worker was given, ``dask worker --name``);
    see ``Session`` for how ``/job:worker/task:K`` picks a worker."""

    _FIELDS = ("job", "replica", "task", "device_type", "device_index", "worker")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None, worker=None):
        self.job, self.replica, self.task = job, replica, task
        self.device_type = device_type.upper() if device_type else None
        self.device_index = device_index
        self.worker = worker

    @classmethod
    def from_string(cls, spec):
        if isinstance(spec, DeviceSpec):
            return spec
        out = cls()
        if spec and "://" in spec:  # a worker's address
            out.job, out.worker = "worker", spec.strip()
            return out
        for part in filter(None, (spec or "").strip("/").split("/")):
            bits = part.split(":")
            key = bits[0].lower()
            if key in ("job", "replica", "task") and len(bits) == 2:
                setattr(out, key, bits[1] if key == "job" else int(bits[1]))
            elif key == "device" and len(bits) in (2, 3):
                out.device_type = bits[1].upper()
                out.device_index = None if len(bits) == 2 or bits[2] == "*" else int(bits[2])
            elif key == "worker" and len(bits) == 2 and bits[1]:
                out.job, out.worker = out.job or "worker", bits[1]
            elif key in ("cpu", "gpu") and len(bits) in (1, 2):
                out.device_type = key.upper()
                out.device_index = None if len(bits) == 1 or bits[1] == "*" else int(bits[1])
            else:
                raise errors.InvalidArgumentError(None, None, f"Malformed device specification '{spec}'")
        return out

    def merge_from(self, other):
        """Fields set in ``other`` override ours (inner ``device`` scopes refine outer ones)."""
        vals = {f: getattr(other, f) if getattr(other, f) is not None else getattr(self, f) for f in self._FIELDS}
        return DeviceSpec(**vals)

    def to_string(self):
        s = ""
        if self.job is not None:
            s += f"/job:{self.job}"
        if self.replica is not None:
            s += f"/replica:{self.replica}"
        if self.task is not None:
            s += f"/task:{self.task}"
        if self.worker is not None:
            s += f"/worker:{self.worker}"
        if self.device_type is not None:
            s += f"/device:{self.device_type}:{'*' if self.device_index is None else self.device_index}"
        return s

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return f"DeviceSpec({self.to_string()!r})"


class Operation:
    """A node of the graph: ``type``, unique scoped ``name``, ``inputs``, ``attrs``, ``control_inputs``,
    ``device`` and ``outputs``. Created through ``Graph.create_op``; never holds data."""

    def __init__(self, graph, type, name, inputs, attrs, control_inputs, device, traceback):
        self.graph, self.type, self.name = graph, type, name
        self._inputs = tuple(inputs)
        self.attrs = dict(attrs)
        self.control_inputs = list(control_inputs)
        self._device = device
        self.traceback = traceback
        self.outputs = []
        self._id = None
        self._consumers = []
        self.gradient_type = None  # set by Graph.gradient_override_map: the registered gradient to use

    @property
    def inputs(self):
        return self._inputs

    @property
    def device(self):
        return self._device.to_string() if self._device is not None else ""

    @property
    def device_spec(self):
        return self._device

    @property
    def node_def(self):
        return {"name": self.name, "op": self.type, "input": [t.name for t in self.inputs]
                + ["^" + c.name for c in self.control_inputs], "device": self.device, "attr": self.attrs}

    @property
    def values(self):
        return tuple(self.outputs)

    def get_attr(self, name):
        try:
            return self.attrs[name]
        except KeyError:
            raise ValueError(f"Operation '{self.name}' has no attr named '{name}'.") from None

    def run(self, feed_dict=None, session=None):
        """Run this op in ``session`` (default: the default session), as ``tf.Operation.run``."""
        from .session import _session_for
        _session_for(session, self).run(self, feed_dict)

    def where(self):
        """``file:line`` of the user code that built this op."""
        return f"{self.traceback[0]}:{self.traceback[1]}" if self.traceback else "<unknown>"

    def __repr__(self):
        return f"<daskflow.Operation '{self.name}' type={self.type}>"


class Tensor:
    """A symbolic value: output ``value_index`` of ``op``, with static ``dtype`` and ``shape``.

    Python operators and numpy functions (``np.exp(t)``, ``t @ w``) build new nodes.
    ``==`` and ``!=`` keep Python identity as in TensorFlow 1.x, so tensors can key a
    ``feed_dict``; use ``equal``/``not_equal`` for elementwise comparison.
    """

    __array_priority__ = 100

    def __init__(self, op, value_index, dtype, shape):
        self._op, self._value_index = op, value_index
        self._dtype = dtypes.as_dtype(dtype)
        self._shape = as_shape(shape)

    op = property(lambda self: self._op)
    value_index = property(lambda self: self._value_index)
    graph = property(lambda self: self._op.graph)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)
    device = property(lambda self: self._op.device)
    ndim = property(lambda self: self._shape.ndims)

    @property
    def name(self):
        return f"{self._op.name}:{self._value_index}"

    def get_shape(self):
        return self._shape

    def set_shape(self, shape):
        """Refine the static shape (as TF's ``set_shape``); raises ValueError when incompatible."""
        shape = as_shape(shape)
        if not self._shape.is_compatible_with(shape):
            raise errors.InvalidArgumentError(
                None, self._op, f"Tensor '{self.name}' has shape {self._shape}, incompatible with {shape}")
        self._shape = self._shape.merge_with(shape)

    def consumers(self):
        return [op for op in self._op._consumers if any(t is self for t in op.inputs)]

    def eval(self, feed_dict=None, session=None):
        """The value of this tensor, computed in ``session`` (default: the default session)."""
        from .session import _session_for
        return _session_for(session, self).run(self, feed_dict)

    def compute(self, feed_dict=None, **dask_kwargs):
        """The value as a numpy array, like ``dask.array.Array.compute``: in the default session if one is
        active, otherwise in a throwaway one (``dask_kwargs`` such as ``scheduler=`` go to dask)."""
        from .session import compute
        return compute(self, feed_dict=feed_dict, **dask_kwargs)

    def __bool__(self):
        raise TypeError("Using a daskflow Tensor as a Python bool is not allowed: it is symbolic. "
                        "Use daskflow.where / control flow ops, or evaluate it first.")

    def __len__(self):
        if self._shape.ndims and self._shape[0] is not None:
            return self._shape[0]
        raise TypeError(f"len() of tensor '{self.name}' with shape {self._shape} is not known statically")

    def __iter__(self):
        if not self._shape.ndims or self._shape[0] is None:
            raise TypeError(f"Tensor '{self.name}' with shape {self._shape} is not iterable")
        return iter(self[i] for i in range(self._shape[0]))

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"Cannot convert symbolic tensor '{self.name}' to a numpy array; run it in a Session "
                        "or call .compute()")

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<daskflow.Tensor '{self.name}' shape={self._shape} dtype={dtypes.name(self._dtype)}>"


def _user_frame():
    """The first stack frame outside daskflow: where the user built an op."""
    pkg = __file__.rsplit("/", 1)[0]
    for fr in reversed(traceback.extract_stack(limit=16)):
        if not fr.filename.startswith(pkg) and "contextlib" not in fr.filename:
            return (fr.filename, fr.lineno)
    return None


_NAME_RE = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")


class Graph:
    """An append-only set of Operations (the paper's *Extend*), with name scopes, control dependency and device
    scopes, collections and a graph-level random seed."""

    def __init__(self):
        self._ops = []
        self._by_name = {}
        self._names_in_use = {}
        self._local = threading.local()
        self._lock = threading.RLock()
        self.collections = {}
        self.seed = None
        self._finalized = False
        self.version = 0

    # -- thread-local scope stacks
    def _stack(self, name):
        st = getattr(self._local, name, None)
        if st is None:
            st = []
            setattr(self._local, name, st)
        return st

    @property
    def _name_stack(self):
        st = self._stack("names")
        return st[-1] if st else ""

    # -- building
    def unique_name(self, name, mark_as_used=True):
        """``scope/name``, suffixed ``_1``, ``_2``... when already taken."""
        scope = self._name_stack
        full = f"{scope}/{name}" if scope else name
        with self._lock:
            key = full.lower()
            if key in self._names_in_use:
                i = self._names_in_use[key]
                while f"{key}_{i}" in self._names_in_use:
                    i += 1
                self._names_in_use[key] = i + 1
                full, key = f"{full}_{i}", f"{key}_{i}"
            if mark_as_used:
                self._names_in_use[key] = 1
        return full

    def create_op(self, type, inputs, attrs=None, name=None, output_specs=None, tensor_cls=None, infer=None):
        """Append an Operation. ``output_specs`` is a list of (shape, dtype), or ``infer(op)`` gives it."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        for t in inputs:
            if t.graph is not self:
                raise ValueError(f"Tensor '{t.name}' must be from the same graph as the op being created ({type})")
        if name and name.endswith("/"):
            name = name[:-1]  # a name scope's own name, used as is (TF's convention)
            if name in self._by_name:
                raise ValueError(f"Duplicate node name in graph: '{name}'")
        else:
            name = self.unique_name(name or type)
        if not _NAME_RE.match(name):
            raise ValueError(f"'{name}' is not a valid op name")
        ctrl = [c for c in self._control_deps() if all(c is not t.op for t in inputs)]
        op = Operation(self, type, name, inputs, attrs or {}, ctrl, None, _user_frame())
        op._device = self._apply_devices(op)
        overrides = self._stack("grad_override")
        if overrides and type in overrides[-1]:
            op.gradient_type = overrides[-1][type]
        specs = output_specs if output_specs is not None else infer(op)
        op.outputs = [(tensor_cls or Tensor)(op, i, dt, shp) for i, (shp, dt) in enumerate(specs)]
        with self._lock:
            op._id = len(self._ops)
            self._ops.append(op)
            self._by_name[name] = op
            self.version += 1
        for t in inputs:
            t.op._consumers.append(op)
        return op

    def _control_deps(self):
        st = self._stack("control")
        return [c for frame in st for c in frame]

    def _apply_devices(self, op):
        """``op``'s device from the device scopes, innermost first, as TF's: a spec fills the fields still unset,
        a device function (``replica_device_setter``) is called with the op as placed so far and gives its device,
        ``device(None)`` and ``colocate_with`` end the walk."""
        dev = None
        for entry in reversed(self._stack("device")):
            if entry is None:
                break
            if isinstance(entry, _Colocated):
                dev = entry.spec if dev is None or entry.spec is None else entry.spec.merge_from(dev)
                break
            if callable(entry):
                op._device = dev
                out = entry(op)
                dev = out if isinstance(out, DeviceSpec) else DeviceSpec.from_string(out) if out else None
            else:
                dev = entry if dev is None else entry.merge_from(dev)
        return dev

    # -- queries
    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings, got {type(name).__name__}")
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.") from None

    def get_tensor_by_name(self, name):
        if not isinstance(name, str) or ":" not in name:
            raise ValueError(f"The name '{name}' looks like an (invalid) Operation name, not a Tensor. "
                             "Tensor names must be of the form \"<op_name>:<output_index>\".")
        opname, idx = name.rsplit(":", 1)
        op = self._by_name.get(opname)
        if op is None:
            raise KeyError(f"The name '{name}' refers to a Tensor which does not exist. "
                           f"The operation, '{opname}', does not exist in the graph.")
        if not idx.isdigit() or int(idx) >= len(op.outputs):
            raise KeyError(f"The name '{name}' refers to a Tensor which does not exist. The operation, "
                           f"'{opname}', exists but only has {len(op.outputs)} outputs.")
        return op.outputs[int(idx)]

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                return self.get_tensor_by_name(obj)
            if allow_operation:
                return self.get_operation_by_name(obj)
        if isinstance(obj, (Tensor, Operation)):
            if obj.graph is not self:
                raise ValueError(f"{obj!r} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a Tensor or Operation.")

    def as_graph_def(self, from_version=None, add_shapes=False):
        """This graph as TensorFlow's ``GraphDef`` protobuf (see ``daskflow.graph_def``); ``df.import_graph_def``
        rebuilds it."""
        from .graph_def import graph_to_graph_def
        return graph_to_graph_def(self, from_version, add_shapes)

    # -- collections
    def add_to_collection(self, name, value):
        self.collections.setdefault(name, []).append(value)

    def get_collection(self, name, scope=None):
        items = self.collections.get(name, [])
        if scope is None:
            return list(items)
        return [v for v in items if re.match(scope, getattr(v, "name", ""))]

    def get_collection_ref(self, name):
        return self.collections.setdefault(name, [])

    def finalize(self):
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    # -- scopes
    @contextlib.contextmanager
    def as_default(self):
        _default_stack().append(self)
        try:
            yield self
        finally:
            _default_stack().pop()

    @contextlib.contextmanager
    def name_scope(self, name):
        st = self._stack("names")
        if name is None or name == "":
            st.append("")
        elif name.endswith("/"):
            st.append(name[:-1])  # re-entering an existing scope, as TF
        else:
            st.append(self.unique_name(name))
        try:
            yield (st[-1] + "/") if st[-1] else ""
        finally:
            st.pop()

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        """Ops of the types in ``op_type_map`` built in this scope take their gradient from the function registered
        (``RegisterGradient``) under the mapped name instead of their own, as TF's."""
        if not isinstance(op_type_map, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in op_type_map.items()):
            raise TypeError("op_type_map must be a dictionary mapping strings to strings")
        st = self._stack("grad_override")
        st.append({**(st[-1] if st else {}), **op_type_map})
        try:
            yield
        finally:
            st.pop()

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        st = self._stack("control")
        saved = None
        if control_inputs is None:
            saved = list(st)
            st.clear()
            frame = []
        else:
            frame = [_as_op(self, c) for c in control_inputs]
        st.append(frame)
        try:
            yield
        finally:
            st.pop()
            if saved is not None:
                st[:] = saved

    @contextlib.contextmanager
    def device(self, spec):
        st = self._stack("device")
        if spec is None or callable(spec):  # a device function is called for each op built in the scope
            new = spec
        else:
            new = spec if isinstance(spec, DeviceSpec) else DeviceSpec.from_string(spec)
        st.append(new)
        try:
            yield
        finally:
            st.pop()


def _as_op(graph, c):
    if hasattr(c, "_as_operation"):
        c = c._as_operation()
    elif isinstance(c, Tensor):
        c = c.op
    elif isinstance(c, str):
        c = graph.as_graph_element(c)
        c = c.op if isinstance(c, Tensor) else c
    if not isinstance(c, Operation):
        raise TypeError(f"Control input must be an Operation or Tensor, got {type(c).__name__}")
    if c.graph is not graph:
        raise ValueError(f"Control input '{c.name}' is not an element of this graph")
    return c


_global_default = [Graph()]
_tls = threading.local()


def _default_stack():
    st = getattr(_tls, "graphs", None)
    if st is None:
        st = _tls.graphs = []
    return st


def get_default_graph():
    """The innermost ``Graph.as_default()`` graph of this thread, else the global default graph."""
    st = _default_stack()
    return st[-1] if st else _global_default[0]


def reset_default_graph():
    """Replace the global default graph with a new, empty one."""
    if _default_stack():
        raise AssertionError("Do not use reset_default_graph() inside a `with graph.as_default()` block.")
    _global_default[0] = Graph()


def name_scope(name, default_name=None, values=None):
    """Context manager prefixing the names of ops created inside with ``name/`` (TF's ``name_scope``)."""
    return get_default_graph().name_scope(name if name is not None else default_name)


def op_scope(values, name, default_name=None):
    """TF1's older spelling of ``name_scope(name, default_name, values)``."""
    return name_scope(name, default_name, values)


@contextlib.contextmanager
def init_scope():
    """A scope for building initialisation ops inside other code: outer control dependencies are cleared (TF1's
    ``init_scope`` also leaves function-building graphs, which daskflow does not have)."""
    with control_dependencies(None):
        yield


def control_dependencies(control_inputs):
    """Ops created inside run after every op in ``control_inputs`` (None clears outer dependencies)."""
    return get_default_graph().control_dependencies(control_inputs)


def device(spec):
    """Place the ops created inside on a device: ``"/cpu:0"``, ``"/gpu:0"`` (a worker with a GPU), a worker of a
    cluster (``"/job:worker/task:1"``, ``"/worker:<name>"`` or its address). A Session on a dask.distributed
    cluster honours it (see ``Session``); a local Session accepts it and runs everything here, as TF1 with soft
    placement."""
    return get_default_graph().device(spec)


class _Colocated:
    """A ``colocate_with`` scope on the device stack: ops take ``spec``, the device of the op they are colocated
    with, whatever the scopes around say."""

    def __init__(self, spec):
        self.spec = spec


@contextlib.contextmanager
def colocate_with(op, ignore_existing=False):
    """Ops created inside are placed where ``op`` (an Operation, Tensor or Variable) is: on its device, replacing
    the device scope around (with ``ignore_existing``, TF's wording, the scope's device is dropped too)."""
    if op is None:
        yield
        return
    if hasattr(op, "_as_tensor") and not isinstance(op, (Tensor, Operation)):
        op = op._as_tensor()
    op = op.op if isinstance(op, Tensor) else op
    graph = op.graph
    st = graph._stack("device")
    st.append(_Colocated(op.device_spec))
    try:
        yield
    finally:
        st.pop()


def set_random_seed(seed):
    """Set the default graph's random seed (TF's graph-level seed)."""
    get_default_graph().seed = None if seed is None else int(seed)
