"""TF1's KL-divergence registry: ``RegisterKL(cls_a, cls_b)`` decorates a function ``kl(a, b, name=None)``;
``kl_divergence(a, b)`` calls the function registered for the nearest pair of base classes of the two
distributions' classes, and raises ``NotImplementedError`` (TF's message) when none is."""
import inspect

from ..graph import control_dependencies, name_scope
from ..ops.math import Assert, add, is_nan, logical_not
from ..ops.reduce import reduce_any
from ..ops.state import identity
from .distribution import Undefined

__all__ = ["RegisterKL", "kl_divergence", "cross_entropy"]

_DIVERGENCES = {}


def _registered_kl(type_a, type_b):
    """The function registered for the pair of base classes of ``type_a`` and ``type_b`` nearest to them (the
    smallest sum of distances up the two method resolution orders), or None."""
    best, best_dist = None, None
    for i, a in enumerate(inspect.getmro(type_a)):
        for j, b in enumerate(inspect.getmro(type_b)):
            fn = _DIVERGENCES.get((a, b))
            if fn is not None and (best_dist is None or i + j < best_dist):
                best, best_dist = fn, i + j
    return best


def kl_divergence(distribution_a, distribution_b, allow_nan_stats=True, name=None):
    """``KL(distribution_a || distribution_b)``, in nats, batched.

    With ``allow_nan_stats=False`` a NaN in the result fails the run with InvalidArgumentError.

    Examples
    --------
    >>> import daskflow as df
    >>> kl = df.distributions.kl_divergence(df.distributions.Normal(0.0, 1.0), df.distributions.Normal(1.0, 1.0))
    >>> with df.Session() as s:
    ...     float(s.run(kl))
    0.5
    """
    fn = _registered_kl(type(distribution_a), type(distribution_b))
    if fn is None:
        raise Undefined(
            None, None, f"No KL(distribution_a || distribution_b) registered for distribution_a type "
            f"{type(distribution_a).__name__} and distribution_b type {type(distribution_b).__name__}")
    with name_scope("KullbackLeibler"):
        kl_t = fn(distribution_a, distribution_b, name=name)
        if allow_nan_stats:
            return kl_t
        kl_t = identity(kl_t, name="kl")
        message = (f"KL calculation between {distribution_a.name} and {distribution_b.name} returned NaN values "
                   "(and was called with allow_nan_stats=False). Values:")
        with control_dependencies([Assert(logical_not(reduce_any(is_nan(kl_t))), [message, kl_t])]):
            return identity(kl_t, name="checked_kl")


def cross_entropy(ref, other, allow_nan_stats=True, name=None):
    """The cross entropy of ``other`` relative to ``ref``: ``entropy(ref) + KL(ref || other)``."""
    with name_scope(name or "cross_entropy"):
        return add(ref.entropy(), kl_divergence(ref, other, allow_nan_stats=allow_nan_stats))


class RegisterKL:
    """Decorator registering a KL-divergence function for a pair of distribution classes:

    >>> import daskflow as df
    >>> class MyNormal(df.distributions.Normal):
    ...     pass
    >>> @df.distributions.RegisterKL(MyNormal, MyNormal)
    ... def _kl(a, b, name=None):
    ...     return a.mean() * 0.0

    Registering the same pair twice raises ``ValueError``.
    """

    def __init__(self, dist_cls_a, dist_cls_b):
        self._key = (dist_cls_a, dist_cls_b)

    def __call__(self, kl_fn):
        if not callable(kl_fn):
            raise TypeError(f"kl_fn must be callable, received: {kl_fn}")
        if self._key in _DIVERGENCES:
            a, b = self._key
            raise ValueError(f"KL({a.__name__} || {b.__name__}) has already been registered to: "
                             f"{_DIVERGENCES[self._key]}")
        _DIVERGENCES[self._key] = kl_fn
        return kl_fn
