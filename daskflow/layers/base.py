"""TF1's ``tf.layers.Layer`` and ``InputSpec``: the base of the layers, whose variables are made with
``get_variable`` in a variable scope of the layer's own, so that they are named, shared and collected as TF1 names,
shares and collects them.

A layer's variable scope is set on its first call (or at construction, for the function forms given a ``name``):
one named after the layer (``name``, by default the class's name in snake case: ``dense``), made unique among the
variable scopes of the scope around (``dense``, ``dense_1``...); with ``reuse=True`` the scope of that very name. The
layer's ops go in that scope's name scope (``dense/BiasAdd``), entered again by later calls (``dense/BiasAdd_1``).
Regularizer losses go to ``layer.losses`` and the ``regularization_losses`` collection, the ops a layer wants run
during training (batch normalization's moving averages) to ``layer.updates`` and the ``update_ops`` collection.
"""
import contextlib

from .. import dtypes
from ..graph import Tensor, TensorShape, get_default_graph, name_scope
from ..nest import flatten, map_structure
from ..ops import math as _math, nn as _nn
from ..ops.generate import shape as _shape
from ..ops.hostvalue import constant_value
from ..ops.math import cast
from ..ops.registry import convert_to_tensor
from ..ops.layer_base import (LayerWeights, get_activation as _get_activation, get_initializer as _get_initializer,
                              to_snake_case as _to_snake_case, unique_layer_name as _unique_layer_name)
from ..ops.state import trainable_variables
from ..ops.variable_scope import get_variable, variable_scope

__all__ = ["Layer", "InputSpec"]

REGULARIZATION_LOSSES = "regularization_losses"
UPDATE_OPS = "update_ops"


class InputSpec:
    """What a layer accepts as input: ``dtype``, ``shape`` (None for unchecked dims), ``ndim``, ``max_ndim``,
    ``min_ndim`` and ``axes`` (a dict from axis to the size it must have), checked on every call with TF's
    ValueError messages (Keras' ``InputSpec``)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None):
        self.dtype = dtypes.name(dtypes.as_dtype(dtype)) if dtype is not None else None
        shape = TensorShape(shape)
        self.shape = None if shape.ndims is None else tuple(shape.as_list())
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim, self.name = max_ndim, min_ndim, name
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {max_dim}")

    def __repr__(self):
        spec = [f"dtype={self.dtype}" if self.dtype else "", f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "", f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "", f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(s for s in spec if s)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}


def _check_spec(spec, x, index, layer):
    shape = x.shape
    if shape.ndims is None:
        return
    ndim, dims = shape.ndims, shape.as_list()
    where = f'Input {index} of layer "{layer}" is incompatible with the layer: '
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(f"{where}expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {tuple(dims)}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{where}expected max_ndim={spec.max_ndim}, found ndim={ndim}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{where}expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: "
                         f"{tuple(dims)}")
    if spec.dtype is not None and dtypes.name(x.dtype) != spec.dtype:
        raise ValueError(f"{where}expected dtype={spec.dtype}, found dtype={dtypes.name(x.dtype)}")
    for axis, value in spec.axes.items():
        if value is not None and dims[int(axis)] not in (value, None):
            raise ValueError(f"{where}expected axis {axis} of input shape to have value {value}, but received input "
                             f"with shape {tuple(dims)}")
    if spec.shape is not None:
        for want, got in zip(spec.shape, dims):
            if None not in (want, got) and want != got:
                raise ValueError(f"{where}expected shape={spec.shape}, found shape={tuple(dims)}")


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise TF's ValueError when ``inputs`` do not fit ``input_spec`` (an InputSpec or a list of them)."""
    if not input_spec:
        return
    specs, xs = flatten(input_spec), flatten(inputs)
    if len(specs) != len(xs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(xs)} input '
                         f"tensors. Inputs received: {xs}")
    for i, (x, spec) in enumerate(zip(xs, specs)):
        if spec is not None:
            _check_spec(spec, x, i, layer_name)


def get_activation(activation):
    """A layer's activation: None (linear), a callable, or a Keras activation name."""
    return None if activation is None else _get_activation(activation)


get_initializer = _get_initializer


def smart_cond(pred, true_fn, false_fn, name=None):
    """``true_fn()`` or ``false_fn()`` when ``pred`` is a Python bool or a tensor whose value is known when the graph
    is built, else ``df.cond`` on it (TF's ``smart_cond``)."""
    from ..ops.control import cond
    value = constant_value(pred) if isinstance(pred, Tensor) else pred
    if value is None:
        return cond(pred, true_fn, false_fn, name=name)
    return true_fn() if bool(value) else false_fn()


def static_training(training):
    """``training`` as True or False when known when the graph is built, else None."""
    if isinstance(training, Tensor):
        value = constant_value(training)
        return None if value is None else bool(value)
    return bool(training)


class Layer(LayerWeights):
    """The base of TF1's layers (``tf.layers.Layer``): subclasses make their variables with ``add_weight`` in
    ``build(input_shape)`` and compute in ``call(inputs, ...)``; calling the layer builds it once, in its variable
    scope, then calls ``call``.

    Parameters
    ----------
    trainable : bool
        Whether the variables go to ``trainable_variables()`` (and ``layer.trainable_weights``).
    name : str, optional
        The layer's name, and the name of its variable scope (made unique unless reused); by default the class's
        name in snake case.
    dtype : dtype, optional
        The variables' dtype; by default that of the first input.
    """

    _ALLOWED_KWARGS = {"_scope", "_reuse", "activity_regularizer", "input_shape", "batch_input_shape", "batch_size",
                       "weights", "autocast", "dynamic", "input_dim"}

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        bad = set(kwargs) - self._ALLOWED_KWARGS
        if bad:
            raise TypeError(f"Keyword argument not understood: {sorted(bad)[0]!r}")
        self.trainable = trainable
        self._reuse = kwargs.get("_reuse")
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        self._activity_regularizer = kwargs.get("activity_regularizer")
        self.built = False
        self.input_spec = None
        self._trainable_weights, self._non_trainable_weights = [], []
        self._losses, self._updates = [], []
        if isinstance(name, str) and name:
            self._base_name, self._name = name, name
        else:
            self._base_name = _to_snake_case(type(self).__name__)
            self._name = _unique_layer_name(self._base_name)
        self._scope, self._current_scope = None, None
        scope = kwargs.get("_scope")
        if scope:
            with variable_scope(scope) as captured:
                self._scope = captured

    # -- TF's Layer surface

    name = property(lambda self: self._name)
    activity_regularizer = property(lambda self: self._activity_regularizer)

    @property
    def dtype(self):
        """The variables' dtype (a string, as TF's): given, or the first input's (None before the first call)."""
        return None if self._dtype is None else dtypes.name(self._dtype)

    @property
    def losses(self):
        """The regularization losses of the layer's variables and outputs."""
        return list(self._losses)

    @property
    def updates(self):
        """The ops to run in training (added to the ``update_ops`` collection)."""
        return list(self._updates)

    def add_loss(self, losses, inputs=None):
        """Add loss tensors to ``layer.losses`` and the ``regularization_losses`` collection."""
        graph = get_default_graph()
        for loss in flatten(losses):
            if loss is None:
                continue
            loss = convert_to_tensor(loss)
            self._losses.append(loss)
            if all(loss is not t for t in graph.get_collection(REGULARIZATION_LOSSES)):
                graph.add_to_collection(REGULARIZATION_LOSSES, loss)

    def add_update(self, updates, inputs=None):
        """Add ops (or callables making them) to ``layer.updates``."""
        for update in flatten(updates):
            self._updates.append(update() if callable(update) else update)

    def count_params(self):
        """The number of scalars in the layer's variables (it must be built)."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer {self._name}, but the layer isn't built. "
                             "You can build it manually via: `layer.build(batch_input_shape)`.")
        return sum(int(v.shape.num_elements()) for v in self.weights)

    def get_weights(self):
        """The values of ``layer.weights`` (numpy arrays), read in the default session."""
        return list(_default_session("get_weights").run(self.weights))

    def set_weights(self, weights):
        """Load numpy values into ``layer.weights`` in the default session."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f'You called `set_weights(weights)` on layer "{self._name}" with a weight list of length '
                             f"{len(weights)}, but the layer was expecting {len(params)} weights.")
        sess = _default_session("set_weights")
        for v, value in zip(params, weights):
            v.load(value, sess)

    def build(self, input_shape):
        """Make the variables, for inputs of ``input_shape``; called before the first ``call``."""
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    # -- variables

    @contextlib.contextmanager
    def _entered(self, reuse):
        """The layer's variable scope opened again, and its name scope, where its ops go."""
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as vs:
            self._current_scope = vs
            ns = vs.original_name_scope
            with name_scope((ns if ns.endswith("/") else ns + "/") if ns else None):
                yield vs

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None, trainable=None,
                   constraint=None, use_resource=None, synchronization=None, aggregation=None, partitioner=None,
                   **kwargs):
        """A variable ``name`` of the layer's variable scope, made with ``get_variable`` (found again when the
        layer is built or reused); a regularizer's loss on a new variable goes to ``layer.losses``."""
        if trainable is None:
            trainable = getattr(synchronization, "name", synchronization) != "ON_READ"
        dtype = dtypes.as_dtype(dtype) if dtype is not None else (self._dtype or dtypes.float32)
        graph = get_default_graph()
        existing = {id(v) for v in graph.get_collection("variables")}
        self._set_scope(None)
        with self._entered(self.built or self._reuse) as vs:
            initializer = get_initializer(initializer if initializer is not None else vs.initializer)
            variable = get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                                    trainable=trainable and self.trainable, partitioner=partitioner,
                                    use_resource=use_resource, synchronization=synchronization,
                                    aggregation=aggregation, constraint=constraint)
            if regularizer is not None and id(variable) not in existing:
                with name_scope(name + "/Regularizer"):
                    self.add_loss(regularizer(variable))
        into = self._trainable_weights if any(variable is v for v in trainable_variables()) \
            else self._non_trainable_weights
        if all(variable is not v for v in into):
            into.append(variable)
        return variable

    add_variable = add_weight

    # -- calling

    def __call__(self, inputs, *args, **kwargs):
        """Build the layer on its first call, then ``call(inputs, ...)`` in its scope."""
        scope = kwargs.pop("scope", None)
        self._set_scope(scope)
        inputs = map_structure(lambda t: t if isinstance(t, Tensor) else convert_to_tensor(t), inputs)
        with self._entered(True if self.built else self._reuse):
            assert_input_compatibility(self.input_spec, inputs, self._name)
            if not self.built:
                first = flatten(inputs)
                if self._dtype is None and first:
                    self._dtype = first[0].dtype
                self.build(map_structure(lambda t: t.shape, inputs))
                self.built = True
            outputs = self.call(inputs, *args, **kwargs)
            if self._activity_regularizer is not None:
                self._activity_losses(outputs)
        graph = get_default_graph()
        for update in self._updates:
            if all(update is not u for u in graph.get_collection(UPDATE_OPS)):
                graph.add_to_collection(UPDATE_OPS, update)
        return outputs

    def apply(self, inputs, *args, **kwargs):
        """The same as calling the layer."""
        return self(inputs, *args, **kwargs)

    def _activity_losses(self, outputs):
        with name_scope("ActivityRegularizer"):
            for out in flatten(outputs):
                loss = self._activity_regularizer(out)
                batch = cast(_shape(out)[0], loss.dtype)
                self.add_loss(_math.divide(loss, batch, name="truediv"))

    def __repr__(self):
        return f"<daskflow.layers.{type(self).__name__} '{self._name}'>"


def _default_session(what):
    from ..session import get_default_session
    sess = get_default_session()
    if sess is None:
        raise ValueError(f"{what} reads the variables in the default session: call it inside `with session:` or "
                         "`session.as_default()`")
    return sess


def bias_and_activation(layer, outputs, data_format=None):
    """``outputs`` plus the layer's bias (if any), through its activation (if any)."""
    if layer.use_bias:
        outputs = _nn.bias_add(outputs, layer.bias, data_format=data_format)
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return outputs


def check_float(layer, kind):
    dtype = layer._dtype or dtypes.float32
    if dtype.kind not in "fc":
        raise TypeError(f"A {kind} layer can only be built with a floating-point dtype. Received: "
                        f"dtype=<dtype: '{dtypes.name(dtype)}'>")
