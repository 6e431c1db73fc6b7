"""TF1's variable scopes: ``get_variable`` and its per-graph store of named variables, ``variable_scope``,
``make_template``, collection helpers and the checks of which variables a session has initialised.

The rules are TF1's (``tensorflow/python/ops/variable_scope.py``, ``template.py``), down to names and error
messages: a variable made by ``get_variable`` is found again by its full name (the variable scope's name, then
the name given), whatever name scope is open; a variable scope opens a name scope of its own name, made unique
(``foo``, ``foo_1``...), while the variable scope's name stays ``foo``.
"""
import contextlib
import enum
import functools
import inspect
import threading
import traceback
import weakref

import numpy as np

from .. import dtypes
from ..graph import Tensor, TensorShape, colocate_with, control_dependencies, get_default_graph, name_scope
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, register
from .partitioned import get_partitioned_variable
from .state import (GLOBAL_VARIABLES, LOCAL_VARIABLES, TRAINABLE_VARIABLES, Variable, constant, global_variables,
                    identity, local_variables, variables_initializer)

__all__ = ["AUTO_REUSE", "VariableScope", "variable_scope", "variable_op_scope", "get_variable",
           "get_local_variable", "get_variable_scope", "make_template", "no_regularizer", "model_variables",
           "add_to_collection", "add_to_collections", "get_collection", "get_collection_ref",
           "report_uninitialized_variables", "is_variable_initialized", "assert_variables_initialized",
           "local_variables_initializer", "initialize_local_variables", "initialize_variables"]

MODEL_VARIABLES = "model_variables"
REGULARIZATION_LOSSES = "regularization_losses"


class _ReuseMode(enum.Enum):
    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE  # get_variable creates a variable when it does not exist, else returns it


def _dtype_repr(dt):
    """A dtype as TF's messages print one: ``<dtype: 'float32'>``."""
    return f"<dtype: '{dtypes.name(dtypes.as_dtype(dt))}'>"


def _needs_no_arguments(fn):
    params = inspect.signature(fn).parameters.values()
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def _takes(fn, arg):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return arg in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


# -- the stores: one of variables per graph, one of scopes per graph and thread

_lock = threading.Lock()
_var_stores = weakref.WeakKeyDictionary()
_scope_stores = weakref.WeakKeyDictionary()


class _VariableScopeStore(threading.local):
    """The current variable scope, and how many times each scope name was opened (for unique default names)."""

    def __init__(self):
        super().__init__()
        self.current_scope = VariableScope(False)
        self.variable_scopes_count = {}

    def open_variable_scope(self, scope_name):
        self.variable_scopes_count[scope_name] = self.variable_scopes_count.get(scope_name, 0) + 1

    def close_variable_subscopes(self, scope_name):
        prefix = None if scope_name is None else scope_name + "/"
        for k in self.variable_scopes_count:
            if prefix is None or k.startswith(prefix):
                self.variable_scopes_count[k] = 0

    def variable_scope_count(self, scope_name):
        return self.variable_scopes_count.get(scope_name, 0)


def _scope_store(graph=None):
    graph = graph or get_default_graph()
    with _lock:
        store = _scope_stores.get(graph)
        if store is None:
            store = _scope_stores[graph] = _VariableScopeStore()
    return store


def _var_store(graph=None):
    graph = graph or get_default_graph()
    with _lock:
        store = _var_stores.get(graph)
        if store is None:
            store = _var_stores[graph] = _VariableStore()
    return store


def get_variable_scope():
    """The current variable scope (TF1's ``get_variable_scope``)."""
    return _scope_store().current_scope


class _VariableStore:
    """The variables ``get_variable`` made in one graph, by full name."""

    def __init__(self):
        self._vars = {}
        self._partitioned_vars = {}

    def get_variable(self, name, shape=None, dtype=dtypes.float32, initializer=None, regularizer=None, reuse=None,
                     trainable=None, collections=None, caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                     aggregation=None):
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError(f"Passed a custom_getter which is not callable: {custom_getter}")

        def true_getter(name, shape=None, dtype=dtypes.float32, initializer=None, regularizer=None, reuse=None,
                        trainable=None, collections=None, caching_device=None, partitioner=None, validate_shape=True,
                        use_resource=None, constraint=None, synchronization=None, aggregation=None):
            is_scalar = shape is not None and isinstance(shape, (list, tuple)) and not shape
            if partitioner is not None and not is_scalar:
                if not callable(partitioner):
                    raise ValueError(f"Partitioner must be callable, but received: {partitioner}")

                def make_part(part_name, part_shape, init, partition_info, part_dtype):
                    return self._get_single_variable(part_name, part_shape, part_dtype, init, regularizer, reuse,
                                                     trainable, collections, validate_shape, constraint,
                                                     partition_info)
                with name_scope(None):
                    return get_partitioned_variable(self, name, partitioner, shape=shape, dtype=dtype,
                                                    initializer=initializer, reuse=reuse, make_part=make_part)
            if reuse is True and partitioner is None and name in self._partitioned_vars:
                return get_partitioned_variable(self, name, None, shape=shape, dtype=dtype, reuse=reuse)
            if f"{name}/part_0" in self._vars:
                raise ValueError(f"No partitioner was provided, but a partitioned version of the variable was found: "
                                 f"{name}/part_0. Perhaps a variable of the same name was already created with "
                                 "partitioning?")
            return self._get_single_variable(name, shape, dtype, initializer, regularizer, reuse, trainable,
                                             collections, validate_shape, constraint)

        if trainable is None:  # TF's rule: trainable unless synchronised on read
            trainable = getattr(synchronization, "name", synchronization) != "ON_READ"
        if custom_getter is None:
            return true_getter(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                               reuse=reuse, trainable=trainable, collections=collections,
                               caching_device=caching_device, partitioner=partitioner, validate_shape=validate_shape,
                               use_resource=use_resource, constraint=constraint, synchronization=synchronization,
                               aggregation=aggregation)
        kwargs = dict(getter=true_getter, name=name, shape=shape, dtype=dtype, initializer=initializer,
                      regularizer=regularizer, reuse=reuse, trainable=trainable, collections=collections,
                      caching_device=caching_device, partitioner=partitioner, validate_shape=validate_shape,
                      use_resource=use_resource, synchronization=synchronization, aggregation=aggregation)
        if _takes(custom_getter, "constraint"):
            kwargs["constraint"] = constraint
        return custom_getter(**kwargs)

    def _get_single_variable(self, name, shape, dtype, initializer, regularizer, reuse, trainable, collections,
                             validate_shape, constraint=None, partition_info=None):
        from_value = initializer is not None and not callable(initializer)
        if shape is not None and from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = dtypes.as_dtype(dtype)
        if shape is not None:
            shape = TensorShape(shape)
        found = self._vars.get(name)
        if found is not None:
            if reuse is False:
                msg = (f"Variable {name} already exists, disallowed. Did you mean to set reuse=True or "
                       "reuse=tf.AUTO_REUSE in VarScope?")
                where = "".join(f'  File "{f}", line {n}\n' for f, n in [found.op.traceback or ("<unknown>", 0)])
                raise ValueError(f"{msg} Originally defined at:\n\n{where}")
            if shape is not None and not shape.is_compatible_with(found.shape):
                raise ValueError(f"Trying to share variable {name}, but specified shape {shape} and found shape "
                                 f"{found.shape}.")
            if dtype != found.dtype:
                # TF1's variables are reference-typed: its message names the found dtype ``float32_ref``
                raise ValueError(f"Trying to share variable {name}, but specified dtype {dtypes.name(dtype)} and "
                                 f"found dtype {dtypes.name(found.dtype)}_ref.")
            return found
        if reuse is True:
            raise ValueError(f"Variable {name} does not exist, or was not created with tf.get_variable(). Did you "
                             "mean to set reuse=tf.AUTO_REUSE in VarScope?")
        if initializer is None:
            if shape is None:
                raise ValueError(f"Variable {name} did not get an initializer, so its `shape` argument must be "
                                 "specified.")
            initializer, from_value = _default_initializer(name, dtype), False
        if from_value:
            init_val, var_dtype = initializer, None
        else:
            if inspect.isclass(initializer):
                initializer = initializer()
            if shape is not None and shape.is_fully_defined():
                kw = {"partition_info": partition_info} if _takes(initializer, "partition_info") else {}
                init_val = functools.partial(initializer, list(shape), dtype=dtype, **kw)
                var_dtype = dtype
            elif _needs_no_arguments(initializer):
                init_val, var_dtype = initializer, None
            else:
                raise ValueError("The initializer passed is not valid. It should be a callable with no arguments and "
                                 "the shape should not be provided or an instance of `tf.keras.initializers.*' and "
                                 "`shape` should be fully defined.")
        v = Variable(initial_value=init_val, name=name, trainable=trainable, collections=collections,
                     dtype=var_dtype, validate_shape=validate_shape, shape=shape, constraint=constraint)
        self._vars[name] = v
        if regularizer:
            # TF 2's get_variable calls the regularizer once where it stands (the root name scope) to see whether
            # it gives a loss, then again under ``<name>/Regularizer/`` for the loss it collects: the first call's
            # ops are made too, so the names of later ops are TF's
            if regularizer(v) is not None:
                with colocate_with(v), name_scope(name + "/Regularizer/"):
                    get_default_graph().add_to_collection(REGULARIZATION_LOSSES, regularizer(v))
        return v


def _default_initializer(name, dtype):
    """TF1's: Glorot uniform for floats, zeros for integers, bools and strings."""
    from .. import initializers
    if dtypes.is_floating(dtype):
        return initializers.glorot_uniform_initializer()
    if dtypes.is_integer(dtype) or dtypes.is_bool(dtype) or dtypes.is_string(dtype):
        return initializers.zeros_initializer()
    raise ValueError(f"An initializer for variable {name} of {_dtype_repr(dtype)} is required")


class VariableScope:
    """The defaults ``get_variable`` takes inside a ``variable_scope``: the name prefix, reuse, initializer,
    regularizer, dtype, custom getter... (TF1's ``VariableScope``)."""

    def __init__(self, reuse, name="", initializer=None, regularizer=None, caching_device=None, partitioner=None,
                 custom_getter=None, name_scope="", dtype=dtypes.float32, use_resource=None, constraint=None):
        self._name, self._reuse, self._name_scope = name, reuse, name_scope
        self._initializer, self._regularizer, self._dtype = initializer, regularizer, dtype
        self._caching_device, self._partitioner, self._custom_getter = caching_device, partitioner, custom_getter
        self._use_resource, self._constraint = use_resource, constraint

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    dtype = property(lambda self: self._dtype)
    use_resource = property(lambda self: self._use_resource)
    regularizer = property(lambda self: self._regularizer)
    caching_device = property(lambda self: self._caching_device)
    partitioner = property(lambda self: self._partitioner)
    custom_getter = property(lambda self: self._custom_getter)
    constraint = property(lambda self: self._constraint)

    def reuse_variables(self):
        """Reuse variables in this scope."""
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_dtype(self, dtype):
        self._dtype = dtype

    def set_use_resource(self, use_resource):
        self._use_resource = use_resource

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_caching_device(self, caching_device):
        self._caching_device = caching_device

    def set_partitioner(self, partitioner):
        self._partitioner = partitioner

    def set_custom_getter(self, custom_getter):
        self._custom_getter = custom_getter

    def get_collection(self, name):
        """This scope's items of collection ``name``."""
        return get_default_graph().get_collection(name, self._name + "/" if self._name else "")

    def trainable_variables(self):
        return self.get_collection(TRAINABLE_VARIABLES)

    def global_variables(self):
        return self.get_collection(GLOBAL_VARIABLES)

    def local_variables(self):
        return self.get_collection(LOCAL_VARIABLES)

    def get_variable(self, var_store, name, shape=None, dtype=None, initializer=None, regularizer=None, reuse=None,
                     trainable=None, collections=None, caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                     aggregation=None):
        """The variable ``name`` of this scope in ``var_store``, made when it does not exist (as reuse allows)."""
        regularizer = self._regularizer if regularizer is None else regularizer
        caching_device = self._caching_device if caching_device is None else caching_device
        partitioner = self._partitioner if partitioner is None else partitioner
        custom_getter = self._custom_getter if custom_getter is None else custom_getter
        reuse = self._reuse if reuse is None else reuse
        use_resource = self._use_resource if use_resource is None else use_resource
        full_name = self.name + "/" + name if self.name else name
        with name_scope(None):  # variables are named by their variable scope, not the name scope around
            if dtype is not None and initializer is not None and not callable(initializer):
                init_dtype = convert_to_tensor(initializer).dtype
                if init_dtype != dtypes.as_dtype(dtype):
                    raise ValueError(f"Initializer type '{_dtype_repr(init_dtype)}' and explicit dtype "
                                     f"'{_dtype_repr(dtype)}' don't match.")
            initializer = self._initializer if initializer is None else initializer
            constraint = self._constraint if constraint is None else constraint
            dtype = self._dtype if dtype is None else dtype
            return var_store.get_variable(
                full_name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer, reuse=reuse,
                trainable=trainable, collections=collections, caching_device=caching_device, partitioner=partitioner,
                validate_shape=validate_shape, use_resource=use_resource, custom_getter=custom_getter,
                constraint=constraint, synchronization=synchronization, aggregation=aggregation)

    def __repr__(self):
        return f"<daskflow.VariableScope '{self._name}' reuse={self._reuse}>"


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None, collections=None,
                 caching_device=None, partitioner=None, validate_shape=True, use_resource=None, custom_getter=None,
                 constraint=None, synchronization=None, aggregation=None):
    """The variable named ``name`` in the current variable scope: made when it does not exist, else (when the
    scope reuses variables) the one made before (TF1's ``get_variable``).

    Without ``initializer`` (nor a scope's), floats start Glorot uniform and other dtypes at zeros; an
    ``initializer`` may also be a value or a Tensor (then no ``shape``). A ``regularizer``'s loss on the new
    variable is added to the ``regularization_losses`` collection. ``caching_device`` and ``use_resource`` are
    accepted and have no effect. With a ``partitioner`` (``partitioner(shape=, dtype=)`` gives how many slices
    to cut along one axis), the result is a ``PartitionedVariable`` of variables ``<name>/part_<i>``, each made
    with its slice of the initial value.

    Examples
    --------
    >>> import daskflow as df
    >>> with df.variable_scope("layer"):
    ...     w = df.get_variable("w", [2, 3])
    >>> with df.variable_scope("layer", reuse=True):
    ...     df.get_variable("w") is w
    True
    >>> w.name
    'layer/w:0'
    """
    return get_variable_scope().get_variable(
        _var_store(), name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
        trainable=trainable, collections=collections, caching_device=caching_device, partitioner=partitioner,
        validate_shape=validate_shape, use_resource=use_resource, custom_getter=custom_getter, constraint=constraint,
        synchronization=synchronization, aggregation=aggregation)


def get_local_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=False,
                       collections=None, caching_device=None, partitioner=None, validate_shape=True,
                       use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                       aggregation=None):
    """``get_variable`` for a variable in ``local_variables`` (never trainable)."""
    collections = list(collections) + [LOCAL_VARIABLES] if collections else [LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                        trainable=False, collections=collections, caching_device=caching_device,
                        partitioner=partitioner, validate_shape=validate_shape, use_resource=use_resource,
                        custom_getter=custom_getter, constraint=constraint, synchronization=synchronization,
                        aggregation=aggregation)


def no_regularizer(_):
    """A regularizer that gives no loss: turns off the scope's regularizer for one variable."""
    return None


# -- variable_scope

class _pure_variable_scope:  # noqa: N801 - TF's name
    """Makes a VariableScope current (opens no name scope)."""

    def __init__(self, name_or_scope, reuse=None, initializer=None, regularizer=None, caching_device=None,
                 partitioner=None, custom_getter=None, old_name_scope=None, dtype=dtypes.float32, use_resource=None,
                 constraint=None):
        self._name_or_scope, self._reuse, self._old_name_scope = name_or_scope, reuse, old_name_scope
        self._overrides = {"initializer": initializer, "regularizer": regularizer, "caching_device": caching_device,
                           "partitioner": partitioner, "dtype": dtype, "use_resource": use_resource}
        self._custom_getter, self._constraint = custom_getter, constraint
        self._store = _scope_store()
        self._last = None
        if isinstance(name_or_scope, VariableScope):
            s = name_or_scope
            self._new_name = s.name
            self._cached = self._configured(VariableScope(
                s.reuse if not reuse else reuse, name=s.name, initializer=s.initializer, regularizer=s.regularizer,
                caching_device=s.caching_device, partitioner=s.partitioner, dtype=s.dtype,
                custom_getter=s.custom_getter, name_scope=s.original_name_scope, use_resource=s.use_resource,
                constraint=constraint), s.custom_getter)

    def _configured(self, scope, old_getter):
        for key, value in self._overrides.items():
            if value is not None:
                getattr(scope, "set_" + key)(value)
        if self._custom_getter is not None:
            scope.set_custom_getter(_maybe_wrap_custom_getter(self._custom_getter, old_getter))
        return scope

    def __enter__(self):
        self._old = old = self._store.current_scope
        if isinstance(self._name_or_scope, VariableScope):
            self._store.open_variable_scope(self._new_name)
            self._old_subscopes = dict(self._store.variable_scopes_count)
            scope = self._cached
        else:
            self._new_name = old.name + "/" + self._name_or_scope if old.name else self._name_or_scope
            self._reuse = self._reuse or old.reuse  # reuse is inherited by sub-scopes
            scope = self._configured(VariableScope(
                self._reuse, name=self._new_name, initializer=old.initializer, regularizer=old.regularizer,
                caching_device=old.caching_device, partitioner=old.partitioner, dtype=old.dtype,
                use_resource=old.use_resource, custom_getter=old.custom_getter,
                name_scope=self._name_or_scope if self._old_name_scope is None else self._old_name_scope,
                constraint=self._constraint), old.custom_getter)
            self._store.open_variable_scope(self._new_name)
        self._store.current_scope = self._last = scope
        return scope

    def __exit__(self, *exc):
        if self._store.current_scope is not self._last:
            raise RuntimeError("Improper nesting of variable_scope.")
        if isinstance(self._name_or_scope, VariableScope):
            self._store.variable_scopes_count = self._old_subscopes
        else:
            self._store.close_variable_subscopes(self._new_name)
        self._store.current_scope = self._old


def _maybe_wrap_custom_getter(custom_getter, old_getter):
    """Chain getters: the inner scope's ``custom_getter`` gets a getter that goes through the outer one."""
    if old_getter is None:
        return custom_getter

    def wrapped_custom_getter(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)
    return wrapped_custom_getter


def _get_unique_variable_scope(prefix):
    """``prefix``, or ``prefix_N``, unused as a variable scope in the current one."""
    store, current = _scope_store(), get_variable_scope()
    name = current.name + "/" + prefix if current.name else prefix
    if store.variable_scope_count(name) == 0:
        return prefix
    idx = 1
    while store.variable_scope_count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


def _current_name_scope():
    return get_default_graph()._name_stack


class variable_scope:  # noqa: N801 - TF's name
    """A context manager opening a variable scope, the prefix and defaults of ``get_variable``, together with a
    name scope of the same name (TF1's ``variable_scope``).

    ``name_or_scope`` is a name or a ``VariableScope`` (re-entered: its variables are shared by name; the name
    scope opened is its last component, made unique). With ``name_or_scope=None``, ``default_name`` is made unique
    among the variable scopes. ``reuse=True`` (inherited by nested scopes) finds existing variables only,
    ``AUTO_REUSE`` finds or makes them. ``initializer``, ``regularizer``, ``dtype`` and ``custom_getter`` are the
    defaults of ``get_variable`` inside (custom getters of nested scopes chain, the inner one called first).

    Examples
    --------
    >>> import daskflow as df
    >>> with df.variable_scope("foo"):
    ...     with df.variable_scope("bar"):
    ...         v = df.get_variable("v", [1])
    >>> v.name
    'foo/bar/v:0'
    """

    def __init__(self, name_or_scope, default_name=None, values=None, initializer=None, regularizer=None,
                 caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None, use_resource=None,
                 constraint=None, auxiliary_name_scope=True):
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if reuse is False:
            reuse = None
        if not (reuse is True or reuse is None or reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError("The auxiliary_name_scope must be `True` or `False`, while get "
                            f"{auxiliary_name_scope}")
        self._name_or_scope, self._default_name = name_or_scope, default_name
        self._kwargs = dict(initializer=initializer, regularizer=regularizer, caching_device=caching_device,
                            partitioner=partitioner, custom_getter=custom_getter, dtype=dtype,
                            use_resource=use_resource, constraint=constraint)
        self._reuse = reuse
        self._auxiliary_name_scope = auxiliary_name_scope
        graphs = [v.graph for v in (values or []) if isinstance(v, Tensor)]
        self._graph = graphs[0] if graphs else get_default_graph()
        self._pure = None
        self._name_scope_name = None  # the name scope to open again when re-entered
        self._stack = None

    def __enter__(self):
        stack = contextlib.ExitStack()
        stack.enter_context(self._graph.as_default())
        try:
            if self._pure is not None:
                if self._name_scope_name is not None:
                    stack.enter_context(name_scope(self._name_scope_name))
                scope = stack.enter_context(self._pure)
            else:
                scope = self._enter_uncached(stack)
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return scope

    def _enter_uncached(self, stack):
        ns_name = None
        if not self._auxiliary_name_scope:  # re-enter the current name scope
            current = _current_name_scope()
            ns_name = current + "/" if current else ""
        if self._name_or_scope is not None:
            if not isinstance(self._name_or_scope, (VariableScope, str)):
                raise TypeError("VariableScope: name_or_scope must be a string or VariableScope.")
            if isinstance(self._name_or_scope, str):
                own = self._name_or_scope
            else:
                own = self._name_or_scope.name.split("/")[-1]
            if own or ns_name is not None:
                ns_name = own if ns_name is None else ns_name
                entered = stack.enter_context(name_scope(ns_name))
                old_name_scope = entered if isinstance(self._name_or_scope, str) \
                    else self._name_or_scope.original_name_scope
                pure = _pure_variable_scope(self._name_or_scope, reuse=self._reuse, old_name_scope=old_name_scope,
                                            **self._kwargs)
            else:  # entering the root variable scope
                pure = _pure_variable_scope(self._name_or_scope, reuse=self._reuse, **self._kwargs)
        else:  # a default name, made unique
            if self._reuse:
                raise ValueError("reuse=True cannot be used without a name_or_scope")
            ns_name = self._default_name if ns_name is None else ns_name
            entered = stack.enter_context(name_scope(ns_name))
            pure = _pure_variable_scope(_get_unique_variable_scope(self._default_name), old_name_scope=entered,
                                        **self._kwargs)
        scope = stack.enter_context(pure)
        self._pure, self._name_scope_name = pure, ns_name
        return scope

    def __exit__(self, *exc):
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc)


@contextlib.contextmanager
def variable_op_scope(values, name_or_scope, default_name=None, initializer=None, regularizer=None,
                      caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None,
                      use_resource=None, constraint=None):
    """Deprecated TF1 form of ``variable_scope(name_or_scope, default_name, values, ...)``."""
    with variable_scope(name_or_scope, default_name=default_name, values=values, initializer=initializer,
                        regularizer=regularizer, caching_device=caching_device, partitioner=partitioner,
                        custom_getter=custom_getter, reuse=reuse, dtype=dtype, use_resource=use_resource,
                        constraint=constraint) as scope:
        yield scope


# -- collections

def add_to_collection(name, value):
    """Add ``value`` to the default graph's collection ``name``."""
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    """Add ``value`` to each of the default graph's collections ``names`` (a name, or a list of names)."""
    names = (names,) if isinstance(names, str) else set(names)
    for name in names:
        add_to_collection(name, value)


def get_collection(key, scope=None):
    """A copy of the default graph's collection ``key``; with ``scope``, the items whose ``name`` matches it
    (``re.match``)."""
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    """The default graph's collection ``key`` itself (a list, made empty when missing)."""
    return get_default_graph().get_collection_ref(key)


def model_variables(scope=None):
    """The variables of the ``model_variables`` collection."""
    return get_default_graph().get_collection(MODEL_VARIABLES, scope)


def local_variables_initializer():
    """An op running the initializers of ``local_variables()``."""
    return variables_initializer(local_variables())


initialize_local_variables = local_variables_initializer


def initialize_variables(var_list, name="init"):
    """Deprecated TF1 name of ``variables_initializer``."""
    return variables_initializer(var_list, name=name)


# -- which variables a session has initialised

def _initialized(session, var_op):
    from ..errors import FailedPreconditionError
    try:
        session._variable_value(var_op)
    except FailedPreconditionError:
        return False
    return True


@register("IsVariableInitialized")
class IsVariableInitialized:
    """Whether the session running it holds a value of the variable (input 0): answered on the host before the
    run, from the session's store, so the variable is never read."""
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        ref = op.inputs[0]
        if getattr(ref.op, "type", None) != "VariableV2":
            fail(op, f"input '{ref.name}' is not a variable")
        return [((), dtypes.bool)]

    def lower(op, ref):
        fail(op, "whether a variable is initialized is only known in Session.run")

    def host_run(op, session, feeds):
        return {op.outputs[0]: np.array(_initialized(session, op.inputs[0].op))}

    def host_undo(op, session, values):
        pass  # it took nothing: Session.plan may look ahead


def _variables_of(var_list):
    """``var_list``, or every global and local variable, or (TF1's fallback for old graphs) every variable op."""
    if var_list is None:
        var_list = global_variables() + local_variables()
        if not var_list:
            var_list = [op.outputs[0] for op in get_default_graph().get_operations() if op.type == "VariableV2"]
    return list(var_list)


def is_variable_initialized(variable):
    """A bool scalar: whether ``variable`` has a value in the session running it."""
    return apply1("IsVariableInitialized", [variable], name="IsVariableInitialized")


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A 1-d string tensor: the names of the variables of ``var_list`` (default: the global and local
    variables) that have no value in the session running it (TF1's ``report_uninitialized_variables``).

    Examples
    --------
    >>> import daskflow as df
    >>> a, b = df.Variable(1.0, name="a"), df.Variable(2.0, name="b")
    >>> report = df.report_uninitialized_variables([a, b])
    >>> with df.Session() as s:
    ...     _ = s.run(a.initializer)
    ...     s.run(report)
    array([b'b'], dtype=object)
    """
    from .array import squeeze, stack
    from .indexing import gather
    from .math import logical_not, where
    var_list = _variables_of(var_list)
    with name_scope(name):
        if not var_list:
            return constant(np.array([], dtype=object), dtype=dtypes.string)
        mask = logical_not(stack([is_variable_initialized(v) for v in var_list]), name="LogicalNot")
        names = constant([v.op.name for v in var_list])
        with name_scope("boolean_mask"):
            return gather(names, squeeze(where(mask), axis=[1]), name="GatherV2")


def assert_variables_initialized(var_list=None):
    """A tensor (the variables' ranks) whose run fails with ``FailedPreconditionError`` when a variable of
    ``var_list`` (default: the global and local variables) is not initialised; None when there are none."""
    from .array import stack
    from .generate import rank
    var_list = _variables_of(var_list)
    if not var_list:
        return None
    ranks = []
    for var in var_list:
        with colocate_with(var.op):
            # a rank is known from the static shape and reads nothing: the variable is read by the control input
            with name_scope(var.op.name + "/"):
                read = identity(var, name="read")
            with control_dependencies([read]):
                ranks.append(rank(var))
    return ranks[0] if len(ranks) == 1 else stack(ranks)


from .templates import Template, make_template  # noqa: E402,F401 - tf.make_template (uses the scopes above)
