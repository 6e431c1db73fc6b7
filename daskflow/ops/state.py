"""Leaves and state: constants, placeholders, variables and assignments; identity, no-op and grouping."""
import enum

import dask.array as da
import numpy as np

from .. import dtypes, errors
from ..graph import Tensor, TensorShape, get_default_graph, name_scope, control_dependencies
from ..lowering import current
from .registry import NOT_DIFFERENTIABLE, apply, apply1, convert_to_tensor, fail, register

__all__ = ["constant", "placeholder", "placeholder_with_default", "Variable", "assign", "assign_add", "assign_sub",
           "global_variables_initializer", "variables_initializer", "initialize_all_variables", "global_variables",
           "all_variables", "trainable_variables", "local_variables", "no_op", "group", "identity",
           "stop_gradient", "tables_initializer", "initialize_all_tables", "VariableAggregation",
           "VariableSynchronization"]

GLOBAL_VARIABLES = "variables"
TRAINABLE_VARIABLES = "trainable_variables"
LOCAL_VARIABLES = "local_variables"


@register("Const")
class Const:
    stateful = False

    def infer(op):
        v = op.attrs["value"]
        return [(v.shape, v.dtype)]

    def lower(op):
        v = op.attrs["value"]
        # constants are graph data, small by design; their key is their op name, never a hash of the data
        return da.from_array(v, chunks=v.shape or (), name=f"const-{op.name}")

    def host(op):
        return op.attrs["value"]

    grad = NOT_DIFFERENTIABLE


def constant(value, dtype=None, shape=None, name="Const"):
    """A constant tensor (TF's ``constant``); a scalar ``value`` with a ``shape`` is filled to that shape.

    str and bytes values (and nested lists or numpy arrays of them) make string tensors, held as object arrays
    of bytes (str encoded as UTF-8).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.Session() as sess:
    ...     sess.run(df.constant("Hello, TensorFlow!"))
    b'Hello, TensorFlow!'
    """
    if dtypes.is_string(dtype if dtype is not None else dtypes.infer_dtype(value)):
        arr = dtypes.string_array(value)
    else:
        arr = np.asarray(value)
        if dtype is not None:
            arr = _cast_const(arr, dtypes.as_dtype(dtype), value)
        elif not isinstance(value, (np.ndarray, np.generic)):
            arr = arr.astype(dtypes.infer_dtype(value), copy=False)
    if shape is not None:
        shape = tuple(shape)
        if arr.size == 1:
            arr = np.full(shape, arr.reshape(()), dtype=arr.dtype)
        elif arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        else:
            raise errors.InvalidArgumentError(
                None, None, f"constant '{name}': {arr.size} values do not fill shape {shape}")
    arr = np.array(arr, copy=True)  # the graph's own copy: later changes to the user's array do not leak in
    arr.setflags(write=False)
    return get_default_graph().create_op("Const", [], {"value": arr}, name=name,
                                         output_specs=[(arr.shape, arr.dtype)]).outputs[0]


def _cast_const(arr, dtype, value):
    if arr.dtype == dtype:
        return arr
    if arr.dtype.kind in "OSU":
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type '{type(value).__name__}' instead.")
    if arr.dtype.kind == "f" and dtype.kind in "iub" and arr.size and not np.all(np.mod(arr, 1) == 0):
        raise TypeError(f"Expected {dtype.name}, got {value!r} with fractional values")
    return arr.astype(dtype)


@register("Placeholder")
class Placeholder:
    def infer(op):
        return [(op.attrs["shape"], op.attrs["dtype"])]

    def lower(op):
        t = op.outputs[0]
        shp = "[" + ",".join("?" if d is None else str(d) for d in t.shape) + "]" if t.shape.ndims is not None \
            else "<unknown>"
        fail(op, f"You must feed a value for placeholder tensor '{op.name}' with dtype {t.dtype.name} and "
                 f"shape {shp}")

    grad = NOT_DIFFERENTIABLE


def placeholder(dtype, shape=None, name=None):
    """A tensor whose value must be fed at run time (TF's ``placeholder``); ``None`` dims are unknown."""
    return apply("Placeholder", [], {"dtype": dtypes.as_dtype(dtype), "shape": TensorShape(shape)},
                 name=name or "Placeholder")[0]


@register("PlaceholderWithDefault")
class PlaceholderWithDefault:
    strings = True

    def infer(op):
        return [(op.attrs["shape"], op.inputs[0].dtype)]

    def lower(op, x):
        return x

    def grad(op, dy):
        return [dy]


def placeholder_with_default(input, shape, name=None):
    """A placeholder that takes ``input``'s value when not fed."""
    x = convert_to_tensor(input)
    shape = TensorShape(shape)
    if not shape.is_compatible_with(x.shape):
        raise errors.InvalidArgumentError(None, x.op, f"default value of shape {x.shape} is incompatible with "
                                          f"placeholder shape {shape}")
    return apply1("PlaceholderWithDefault", [x], {"shape": shape}, name=name or "PlaceholderWithDefault")


@register("Identity")
class Identity:
    strings = True

    def infer(op):
        return [(op.inputs[0].shape, op.inputs[0].dtype)]

    def lower(op, x):
        return x

    def host(op, x):
        return x

    def grad(op, dy):
        return [dy]


@register("StopGradient")
class StopGradient:
    strings = True

    def infer(op):
        return [(op.inputs[0].shape, op.inputs[0].dtype)]

    def lower(op, x):
        return x

    def host(op, x):
        return x

    grad = NOT_DIFFERENTIABLE


def identity(input, name=None):
    """A tensor with the same value as ``input``; created under control dependencies, it orders reads."""
    return apply1("Identity", [input], name=name or "Identity")


def stop_gradient(input, name=None):
    """The same value as ``input``; gradients do not flow through it."""
    return apply1("StopGradient", [input], name=name or "StopGradient")


@register("NoOp")
class NoOp:
    def infer(op):
        return []

    def lower(op):
        return []

    grad = NOT_DIFFERENTIABLE


def no_op(name=None):
    """An op that does nothing; with control inputs it groups them."""
    return get_default_graph().create_op("NoOp", [], name=name or "NoOp", output_specs=[])


def group(*inputs, name=None):
    """An op that runs all ``inputs`` (ops or tensors), as TF's ``group``."""
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = inputs[0]
    with control_dependencies(list(inputs)):
        return no_op(name=name or "group_deps")


# -- variables

@register("VariableV2")
class VariableV2:
    is_variable = True
    stateful = True

    def infer(op):
        return [(op.attrs["shape"], op.attrs["dtype"])]

    def lower(op):
        return current().sources.variable(op)

    grad = NOT_DIFFERENTIABLE


class _AssignBase:
    assigns = True
    stateful = True
    side_effect = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        ref, value = op.inputs
        if not getattr(ref.op, "type", None) == "VariableV2":
            fail(op, f"input '{ref.name}' is not a variable", errors.InvalidArgumentError)
        if value.dtype != ref.dtype:
            fail(op, f"cannot assign a value of dtype {value.dtype.name} to variable '{ref.op.name}' of dtype "
                     f"{ref.dtype.name}")
        if op.attrs.get("validate_shape", True) and not ref.shape.is_compatible_with(value.shape):
            fail(op, f"cannot assign a value of shape {value.shape} to variable '{ref.op.name}' of shape "
                     f"{ref.shape}")
        return [(ref.shape, ref.dtype)]


@register("Assign")
class Assign(_AssignBase):
    strings = True
    reads_ref = False

    def lower(op, ref, value):
        return value


@register("AssignAdd")
class AssignAdd(_AssignBase):
    def lower(op, ref, value):
        return da.add(ref, value)


@register("AssignSub")
class AssignSub(_AssignBase):
    def lower(op, ref, value):
        return da.subtract(ref, value)


def assign(ref, value, validate_shape=True, use_locking=None, name=None):
    """Set variable ``ref`` to ``value`` when the run succeeds; the op's output is the new value."""
    return _assign("Assign", ref, value, validate_shape, name)


def assign_add(ref, value, use_locking=None, name=None):
    return _assign("AssignAdd", ref, value, True, name)


def assign_sub(ref, value, use_locking=None, name=None):
    return _assign("AssignSub", ref, value, True, name)


def _assign(kind, ref, value, validate_shape, name):
    if not isinstance(ref, Variable):
        raise errors.InvalidArgumentError(None, getattr(ref, "op", None),
                                          f"{kind} needs a Variable as its target, got {ref!r}")
    value = convert_to_tensor(value, dtype=ref.dtype) if not isinstance(value, Tensor) else value
    return apply1(kind, [ref, value], {"validate_shape": validate_shape}, name=name or kind)


class Variable(Tensor):
    """A tensor whose value persists across runs of a Session (TF1's ``Variable``).

    Reading it in a run gives its value as of the start of that run; ``assign`` and friends build ops whose
    effect is applied when the run succeeds.

    Parameters
    ----------
    initial_value : Tensor, array-like or callable
        The value ``initializer`` assigns.
    dtype : dtype, optional
        Cast ``initial_value`` to this dtype.
    name : str, optional
    trainable : bool
        Also add it to ``trainable_variables()``.

    Examples
    --------
    >>> import daskflow as df
    >>> v = df.Variable([1.0, 2.0], name="v")
    >>> with df.Session() as s:
    ...     s.run(v.initializer)
    ...     s.run(v.assign_add([1.0, 1.0]))
    array([2., 3.], dtype=float32)
    """

    def __init__(self, initial_value=None, trainable=True, collections=None, validate_shape=True,
                 caching_device=None, name=None, dtype=None, expected_shape=None, shape=None, constraint=None,
                 **kwargs):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if constraint is not None and not callable(constraint):
            raise ValueError("The `constraint` argument must be a callable.")
        self._constraint = constraint
        graph = get_default_graph()
        with name_scope(name or "Variable") as scope:
            opname = scope[:-1]
            with name_scope("Initializer"), control_dependencies(None):
                iv = initial_value() if callable(initial_value) else initial_value
            with control_dependencies(None):
                iv = convert_to_tensor(iv, dtype=dtype, name="initial_value") if not isinstance(iv, Tensor) \
                    else iv
                if dtype is not None and iv.dtype != dtypes.as_dtype(dtype):
                    from .math import cast
                    iv = cast(iv, dtype)
            vshape = TensorShape(shape) if shape is not None else iv.shape
            if validate_shape and not vshape.is_fully_defined():
                raise ValueError(f"initial_value of variable '{opname}' must have a fully defined shape, got "
                                 f"{iv.shape}; pass validate_shape=False to allow it")
            attrs = {"shape": vshape, "dtype": iv.dtype}
            with control_dependencies(None):
                op = graph.create_op("VariableV2", [], attrs, name=scope, output_specs=[])
            Tensor.__init__(self, op, 0, iv.dtype, vshape)
            op.outputs = [self]
            self._initial_value = iv
            with control_dependencies(None):
                self._initializer_op = _assign("Assign", self, iv, validate_shape, "Assign").op
        self._trainable = trainable
        for c in (collections if collections is not None else [GLOBAL_VARIABLES]):
            graph.add_to_collection(c, self)
        if trainable and TRAINABLE_VARIABLES not in (collections or []):
            graph.add_to_collection(TRAINABLE_VARIABLES, self)

    initializer = property(lambda self: self._initializer_op)
    # applied by optimizers after each update: ``var = constraint(var)`` (a projection, e.g. a max norm)
    constraint = property(lambda self: self._constraint)
    initial_value = property(lambda self: self._initial_value)
    trainable = property(lambda self: self._trainable)

    def value(self):
        return self

    def read_value(self):
        """An Identity of the variable: created under control dependencies, it sees assignments before it."""
        return identity(self, name="read")

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return assign(self, value, name=name)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return assign_add(self, delta, name=name)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return assign_sub(self, delta, name=name)

    def load(self, value, session=None):
        """Set the variable's value directly in ``session``."""
        from ..session import _session_for
        _session_for(session, self)._load_variable(self, value)

    def get_shape(self):
        return self.shape

    def _as_operation(self):
        return self.op

    def __repr__(self):
        return f"<daskflow.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


def global_variables(scope=None):
    return get_default_graph().get_collection(GLOBAL_VARIABLES, scope)


all_variables = global_variables


def trainable_variables(scope=None):
    return get_default_graph().get_collection(TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    return get_default_graph().get_collection(LOCAL_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """An op running the initializers of ``var_list``."""
    return group([v.initializer for v in var_list], name=name)


def global_variables_initializer():
    """An op running every global variable's initializer (TF's ``global_variables_initializer``)."""
    return variables_initializer(global_variables(), name="init")


initialize_all_variables = global_variables_initializer


def tables_initializer(name="init_all_tables"):
    """An op running the initializers of the graph's lookup tables (the ``table_initializer`` collection); a
    ``no_op`` when there are none, as TF's."""
    inits = get_default_graph().get_collection("table_initializer")
    return group(*inits, name=name) if inits else no_op(name=name)


initialize_all_tables = tables_initializer


class VariableAggregation(enum.IntEnum):
    """How a distributed variable's updates from several replicas combine (TF's enum, accepted by
    ``get_variable``; daskflow's variables have one copy, so every choice behaves as NONE)."""
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class VariableSynchronization(enum.IntEnum):
    """When a distributed variable's copies synchronise (TF's enum, accepted by ``get_variable``; daskflow's
    variables have one copy)."""
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3
