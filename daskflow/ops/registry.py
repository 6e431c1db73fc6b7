"""The op registry: every op type is declared once, as an ``OpDef``, with its shape/dtype inference, its
lowering to dask and its gradient rule. Graph building, autodiff, passes and lowering look ops up here by
``op.type``; nothing else names a specific op.
"""
import operator

import dask
import dask.array as da
import numpy as np
from dask._task_spec import Task, TaskRef
from dask.highlevelgraph import HighLevelGraph

from .. import dtypes, errors, strkernels
from ..graph import Operation, Tensor, TensorShape, get_default_graph

__all__ = ["OpDef", "OPS", "register", "defop", "NOT_DIFFERENTIABLE", "apply", "apply1", "convert_to_tensor",
           "broadcast_shapes", "same_dtype", "same_shape", "fail", "string_element", "export_names"]

OPS = {}


class _NotDifferentiable:
    def __repr__(self):
        return "NOT_DIFFERENTIABLE"


NOT_DIFFERENTIABLE = _NotDifferentiable()


class OpDef:
    """Declaration of an op type. Subclass it under ``@register("Type")`` and define:

    - ``infer(op) -> [(shape, dtype), ...]``: static shape and dtype of each output; raise
      ``InvalidArgumentError`` (via ``fail``) for bad shapes or dtypes. The only source of both.
    - ``lower(op, *xs) -> dask array | [dask arrays]``: outputs from the inputs' dask arrays, using dask's
      public array API or ``kernels`` written against the chunk's array module.
    - ``grad(op, *dys) -> [Tensor | None per input]``: graph ops building the gradient; ``None`` is zero.
      ``NOT_DIFFERENTIABLE`` declares that no gradient flows; left as None the op has no rule yet.
    - ``stateful``: True for ops that must not be merged or folded (variables, random, assignments).
    - ``strings``: True for ops that take string inputs (those indifferent to dtype, such as identity, reshape
      and concat, and the string ops); any other op given a string input is refused at build time.
    - ``host(op, *values)``: optional; the output(s) computed on the host from the inputs' values (numpy arrays,
      object arrays with None for entries unknown at build time), for small int shape arithmetic; returns None
      when the value cannot be known there (see ``hostvalue``).
    - ``host_from_shapes(op, *shapes)``: optional; the same from the inputs' shapes, for ops whose value depends
      only on shapes (Shape, ZerosLike).
    - ``broadcasts``: None for ops whose gradient rules give each input a gradient of that input's shape; for ops
      whose inputs broadcast against each other numpy-style, the number of trailing dims that take no part in it
      (0 for elementwise ops, 2 for batched matmul). Autodiff then sums each gradient down to the shape its input
      has in the run (TF's ``BroadcastGradientArgs``), which may be known only at run time.
    - ``footprint(op, xs, outs) -> bytes``: optional; the most memory one task of the lowered op holds, for ops
      whose tasks hold more than one block of each input and output (those that take axes whole). The default is
      the biggest block of every input plus the biggest block of every output (``planner.block_bytes``).
    - ``scratch``: the temporaries one task of the lowered op makes beyond its inputs and output, counted in blocks
      of its largest block (2 by default: numpy makes a new array per operation); kernels that keep more alive at
      once declare more. The memory model of a run (``daskflow.projection``) reads it.
    - ``taken(op, known) -> [input indices] | None``: optional, for conditionals; the inputs a run follows given
      the host values ``known`` (None while the ones it needs are not known: the Session computes them first).
    - ``host_run(op, session, feeds) -> {tensor: value}``: optional; for ops with per-session state on the host
      (iterators). ``Session.run`` calls it, before planning, for each such op its fetches need; the values it
      returns are bound as feeds of those tensors for the run.
    - ``host_undo(op, session, values)``: optional, with ``host_run``; puts back what ``host_run`` took when the run
      is refused before anything runs (planning errors, ``task_bytes``), or after ``Session.plan`` looked ahead.
    - ``host_bytes(op, session) -> int | None``: optional, with ``host_run``; the most memory (bytes) the op's state
      on the host holds at once while the session runs it (an iterator: its input pipeline's buffers, prefetch
      queue and blocks in flight), projected without running it, for the run's memory projection; None when it
      cannot be bounded (a pipeline mapping to shapes unknown until run). Ops sharing that state (two
      ``get_next()`` of one iterator) each give the whole of it.
    """

    type = None
    grad = None
    stateful = False
    side_effect = False  # run whenever reached, even when only a control input (Assign, CheckNumerics)
    assigns = False      # input 0 is a variable whose value the output replaces when the run succeeds
    reads_ref = True     # for assigns: whether lowering reads the variable's current value (AssignAdd does)
    is_variable = False  # a variable read: its value comes from the Session's store
    broadcasts = None    # see above: trailing dims of the inputs outside numpy broadcasting, or None
    strings = False      # takes string inputs
    scratch = 2          # see above: a task's temporaries, in blocks of its largest block

    @staticmethod
    def infer(op):
        raise errors.InternalError(None, op, f"op type {op.type} declares no infer")

    @staticmethod
    def lower(op, *xs):
        raise errors.InternalError(None, op, f"op type {op.type} declares no lowering")


_DEFAULTS = {"grad": None, "stateful": False, "side_effect": False, "assigns": False, "is_variable": False,
             "reads_ref": True, "broadcasts": None, "host": None, "host_from_shapes": None, "footprint": None,
             "host_run": None, "host_undo": None, "host_bytes": None, "strings": False, "scratch": 2,
             "taken": None}


def register(type_name):
    """Class decorator adding an OpDef subclass to ``OPS`` under ``type_name``."""
    def deco(cls):
        if type_name in OPS:
            raise ValueError(f"op type {type_name} is already registered")
        cls.type = type_name
        for attr, default in _DEFAULTS.items():
            if not hasattr(cls, attr):
                setattr(cls, attr, default)
        for attr in ("infer", "lower", "grad", "footprint"):  # plain functions: no self argument
            fn = cls.__dict__.get(attr)
            if fn is not None and not isinstance(fn, staticmethod) and callable(fn):
                setattr(cls, attr, staticmethod(fn))
        OPS[type_name] = cls
        return cls
    return deco


def defop(type_name, infer, lower, grad=None, **flags):
    """Register an op from functions: the one-line form for simple ops."""
    ns = {"infer": staticmethod(infer), "lower": staticmethod(lower),
          "grad": grad if grad is None or grad is NOT_DIFFERENTIABLE else staticmethod(grad), **flags}
    return register(type_name)(type(type_name, (OpDef,), ns))


def fail(op, message, cls=errors.InvalidArgumentError):
    """Raise ``cls`` naming the op (name and type) and where the user built it (``cls`` a daskflow error, or a
    Python one such as TypeError, raised with the message alone)."""
    text = f"{message} [op '{op.name}' (type {op.type}) built at {op.where()}]"
    raise cls(None, op, text) if issubclass(cls, errors.OpError) else cls(text)


def fail_dtype(op, t, need):
    """TF's TypeError for input ``t`` of a dtype ``op`` does not take (``need``: what it takes, in words)."""
    fail(op, f"Value passed to '{t.name}' has DataType {t.dtype.name} not in list of allowed values: {op.type} "
             f"needs {need}", TypeError)


# -- converting python values to tensors

def _to_array(value, dtype):
    dtype = dtypes.infer_dtype(value) if dtype is None else dtypes.as_dtype(dtype)
    if dtypes.is_string(dtype):
        return dtypes.string_array(value)
    arr = np.asarray(value)
    if arr.dtype != dtype:
        if arr.dtype.kind in "OSU" or (arr.dtype.kind == "f" and dtype.kind in "iub" and arr.size
                                       and not np.all(np.mod(arr, 1) == 0)):
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type '{type(value).__name__}' instead.")
        if arr.dtype.kind == "c" and dtype.kind != "c":
            raise TypeError(f"Expected {dtype.name}, got complex value {value!r}")
        arr = arr.astype(dtype)
    return arr


def convert_to_tensor(value, dtype=None, name=None, dtype_hint=None):
    """A Tensor for ``value``: tensors pass through (dtype checked); Variables give their value; python and numpy
    values become constants (python floats float32, ints int32, as in TF)."""
    if hasattr(value, "_as_tensor"):
        value = value._as_tensor()
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtypes.as_dtype(dtype):
            raise errors.InvalidArgumentError(
                None, value.op, f"Tensor conversion requested dtype {dtypes.name(dtypes.as_dtype(dtype))} for "
                f"Tensor '{value.name}' with dtype {dtypes.name(value.dtype)}")
        return value
    if isinstance(value, Operation):
        raise TypeError(f"Can't convert Operation '{value.name}' to Tensor (target dtype={dtype})")
    for base, fn, _ in _CONVERSIONS:
        if isinstance(value, base):
            out = fn(value, dtype=dtype, name=name, as_ref=False)
            if out is not NotImplemented:
                return convert_to_tensor(out, dtype=dtype, name=name)
    if isinstance(value, (list, tuple)) and any(isinstance(_as_t(v), Tensor) for v in _flat(value)):
        from .array import stack  # a list holding tensors is packed, as TF does
        hint = dtype or next(_as_t(v).dtype for v in _flat(value) if isinstance(_as_t(v), Tensor))
        return stack([convert_to_tensor(v, dtype=dtype, dtype_hint=hint) for v in value], name=name or "packed")
    arr = _to_array(value, dtype if dtype is not None else _hint(value, dtype_hint))
    from .state import constant
    return constant(arr, name=name or "Const")


_CONVERSIONS = []  # (base type, function, priority), lowest priority first, as TF tries them


def register_tensor_conversion_function(base_type, conversion_func, priority=100):
    """Make ``convert_to_tensor`` (and so every op) accept values of ``base_type``: ``conversion_func(value,
    dtype=None, name=None, as_ref=False)`` gives a Tensor (or anything convertible), or ``NotImplemented`` to let the
    next function try, as TF's."""
    types_ = base_type if isinstance(base_type, tuple) else (base_type,)
    if not all(isinstance(t, type) for t in types_):
        raise TypeError(f"base_type must be a type or a tuple of types, got {base_type!r}")
    if any(issubclass(t, (Tensor, Operation)) for t in types_) or any(
            t in (str, bytes, int, float, bool, list, tuple, np.ndarray, np.generic) for t in types_):
        raise TypeError(f"Cannot register conversions for {base_type!r}: daskflow converts it itself")
    if not callable(conversion_func):
        raise TypeError("conversion_func must be callable.")
    _CONVERSIONS.append((types_, conversion_func, priority))
    _CONVERSIONS.sort(key=lambda c: c[2])


def is_symbolic_tensor(tensor):
    """Whether ``tensor`` is a graph tensor (always, for daskflow tensors: there is no eager mode)."""
    return isinstance(tensor, Tensor)


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    """``value`` if it is an ``IndexedSlices`` (of ``dtype``, when given), else ``convert_to_tensor(value)``."""
    from .indexed_slices import IndexedSlices
    if isinstance(value, IndexedSlices):
        if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtypes.name(dtypes.as_dtype(dtype))} for Tensor "
                             f"with dtype {dtypes.name(value.dtype)}: {value!r}")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def _hint(value, hint):
    if hint is None:
        return None
    hint = dtypes.as_dtype(hint)
    kind = dtypes.infer_dtype(value).kind
    ok = (kind == hint.kind and kind in "bfcO") or (kind in "iu" and hint.kind in "iuf")  # O: strings
    if not ok and hint.kind == "c" and kind in "iuf" and not isinstance(value, (np.ndarray, np.generic)):
        ok = True  # python numbers take a complex tensor's dtype too, as in TF (numpy arrays keep theirs)
    return hint if ok else None


def _as_t(v):
    return v._as_tensor() if hasattr(v, "_as_tensor") else v


def _flat(v):
    if isinstance(v, (list, tuple)):
        for x in v:
            yield from _flat(x)
    else:
        yield v


# -- building ops

def apply(type_name, inputs, attrs=None, name=None, graph=None, tensor_cls=None):
    """Create an op of a registered type on its inputs' graph and return its output tensors.

    Inputs that are not tensors are converted; a python value next to a tensor takes that tensor's dtype.
    """
    opdef = OPS[type_name]
    hint = next((_as_t(x).dtype for x in inputs if isinstance(_as_t(x), Tensor)), None)
    ins = [convert_to_tensor(x, dtype_hint=hint) for x in inputs]
    if graph is None:
        graph = next((t.graph for t in ins), None) or get_default_graph()
    op = graph.create_op(type_name, ins, attrs, name=name, infer=_checked_infer(opdef), tensor_cls=tensor_cls)
    return op.outputs


def apply1(type_name, inputs, attrs=None, name=None):
    return apply(type_name, inputs, attrs, name)[0]


def _checked_infer(opdef):
    def infer(op):
        if not opdef.strings:
            bad = next((t for t in op.inputs if dtypes.is_string(t.dtype)), None)
            if bad is not None:
                fail(op, f"{op.type} does not take string tensors: input '{bad.name}' has dtype string")
        specs = opdef.infer(op)
        return [(TensorShape(s), dtypes.as_dtype(d)) for s, d in specs]
    return infer


# -- shape and dtype rules shared by many ops

def broadcast_shapes(op, *shapes):
    """numpy broadcasting over static shapes with None dims; raises naming the op and every shape."""
    if any(s.ndims is None for s in shapes):
        return TensorShape(None)
    n = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(n):
        dims = [s[len(s) - n + i] for s in shapes if len(s) - n + i >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            fail(op, "Incompatible shapes: " + " vs. ".join(str(s) for s in shapes))
        if known:
            out.append(known.pop())
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return TensorShape(out)


def same_dtype(op, *tensors):
    """The common dtype of ``tensors``; TF does not promote, so differing dtypes are an error."""
    dts = [t.dtype for t in tensors]
    for t in tensors[1:]:
        if t.dtype != dts[0]:
            fail(op, f"Input '{t.name}' has dtype {dtypes.name(t.dtype)} that does not match dtype "
                     f"{dtypes.name(dts[0])} of input '{tensors[0].name}'; cast one of them first")
    return dts[0]


def same_shape(op, *tensors):
    """The merged static shape of ``tensors``, which must be compatible; raises naming the first mismatch."""
    shape = tensors[0].shape
    for i, t in enumerate(tensors[1:], 1):
        if not shape.is_compatible_with(t.shape):
            fail(op, f"Shapes of all inputs must match: values[0].shape = {tensors[0].shape} != values[{i}].shape "
                     f"= {t.shape} (inputs: {' vs. '.join(str(x.shape) for x in tensors)})")
        shape = shape.merge_with(t.shape)
    return shape


def normalize_axis(op, axis, ndim, allow_none=False):
    """Axis (or list of axes) in [-ndim, ndim) as a sorted tuple of non-negative ints."""
    if axis is None:
        if allow_none:
            return tuple(range(ndim))
        fail(op, "axis must be given")
    axes = [axis] if np.isscalar(axis) or np.ndim(axis) == 0 else list(np.ravel(axis))
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1) and not (ndim == 0 and a in (0, -1)):
            fail(op, f"axis {a} is out of range for a tensor of rank {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        fail(op, f"axis {axis} has repeated entries")
    return tuple(sorted(out))


# -- lowering helpers

def string_element(arr):
    """``arr`` (an integer index of a dask array) with 0-d string blocks as arrays: numpy's integer indexing of an
    object array gives the element itself."""
    if arr.ndim or not dtypes.is_string(arr.dtype):
        return arr
    return arr.map_blocks(strkernels.as_array, dtype=arr.dtype, meta=arr._meta)


def tuple_outputs(packed, chunks, metas, prefix):
    """The outputs of a kernel that returns a tuple of arrays per block: ``packed`` is the dask array of those
    tuples, output ``j`` has ``chunks[j]`` (the packed blocks' keys, with 0 for any extra trailing axes) and
    ``metas[j]``. One ``operator.getitem`` task per block hands on the kernel's own array, where slicing a stacked
    array would copy each block (dask's getitem copies small slices)."""
    keys = list(dask.core.flatten(packed.__dask_keys__()))
    outs = []
    for j, (ch, meta) in enumerate(zip(chunks, metas)):
        name, pad = f"{prefix}-{j}-{packed.name}", (0,) * (len(ch) - packed.ndim)
        dsk = {}
        for k in keys:
            out = (name,) + tuple(k[1:]) + pad
            dsk[out] = Task(out, operator.getitem, TaskRef(k), j)
        outs.append(da.Array(HighLevelGraph.from_collections(name, dsk, dependencies=[packed]), name, ch, meta=meta))
    return outs


def export_names(namespace, target, *modules):
    """Bind into ``target`` (a namespace module's globals) the names each of ``modules`` lists for ``namespace``
    in its ``NAMESPACES`` table (``{"math": [...], "nn": [...]}``); returns the names bound. An op module's
    ``__all__`` is what ``tf.`` has at its top level; its ``NAMESPACES`` what ``tf.math``, ``tf.nn``... have."""
    bound = []
    for module in modules:
        for n in getattr(module, "NAMESPACES", {}).get(namespace, ()):
            target[n] = getattr(module, n)
            bound.append(n)
    return bound
