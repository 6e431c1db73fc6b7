"""What TF1's layers and RNN cells share (both are ``tf.layers.Layer``s in TF1): the lists of their weights,
activations and initializers by name, and the unique names of layer objects."""
import re
import threading
import weakref

from .. import initializers as _initializers
from ..graph import get_default_graph
from . import math as _math, nn as _nn
from .variable_scope import variable_scope

__all__ = ["LayerWeights", "get_activation", "get_initializer", "to_snake_case", "unique_layer_name"]


class LayerWeights:
    """The weight lists of a layer (or cell) that keeps ``_trainable_weights`` and ``_non_trainable_weights``, is
    ``trainable`` or not, and whose variable scope (``_scope``) is set on its first call; as TF's ``Layer``."""

    @property
    def scope_name(self):
        if self._scope is None:
            raise ValueError(f'No name available for layer scope because the layer "{self._name}" has not been '
                             "used yet. The scope name  is determined the first time the layer instance is called. "
                             "You must therefore call the layer before querying `scope_name`.")
        return self._scope.name

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def _set_scope(self, scope=None):
        """The variable scope, set on first use: ``scope``, or one named after the layer, unique (the one of its
        name itself with ``reuse``)."""
        if self._scope is None:
            if self._reuse:
                with variable_scope(scope if scope is not None else self._base_name) as captured:
                    self._scope = captured
            else:
                with variable_scope(scope, default_name=self._base_name) as captured:
                    self._scope = captured


def get_activation(activation):
    """A cell's activation: a callable, or a Keras activation name; tanh when None."""
    m, nn = _math, _nn
    if activation is None:
        return m.tanh
    if callable(activation):
        return activation
    table = {"tanh": m.tanh, "sigmoid": m.sigmoid, "relu": nn.relu, "relu6": nn.relu6, "elu": nn.elu,
             "selu": nn.selu, "softplus": m.softplus, "softsign": nn.softsign, "swish": nn.swish,
             "linear": lambda x: x, "hard_sigmoid": lambda x: m.maximum(m.minimum(0.2 * x + 0.5, 1.0), 0.0)}
    if isinstance(activation, str) and activation in table:
        return table[activation]
    raise ValueError(f"Unknown activation function: {activation!r}")


def get_initializer(initializer):
    """An initializer: None, a callable, or the name of one of ``df.initializers``."""
    if initializer is None or callable(initializer):
        return initializer
    if isinstance(initializer, str):
        fn = getattr(_initializers, initializer, None)
        if fn is not None:
            return fn()
    raise ValueError(f"Could not interpret initializer identifier: {initializer!r}")


def to_snake_case(name):
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    return insecure if insecure[0] != "_" else "private" + insecure


_layer_names = weakref.WeakKeyDictionary()  # graph -> {base name: count}: the unique names of cells
_names_lock = threading.Lock()


def unique_layer_name(base):
    graph = get_default_graph()
    with _names_lock:
        counts = _layer_names.setdefault(graph, {})
        n = counts.get(base, 0)
        counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"
