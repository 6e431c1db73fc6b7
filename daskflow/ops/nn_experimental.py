"""TF's ``tf.nn.experimental``: dropout with a caller's uniform sampler (``general_dropout``) and with a stateless
seed (``stateless_dropout``), both TF's inverted dropout: kept entries are scaled by ``1 / (1 - rate)``."""
import numbers

from ..graph import name_scope
from .generate import shape as shape_of
from .math import cast, greater_equal, multiply, subtract, truediv, where_v2
from .random_stateless import stateless_uniform
from .registry import convert_to_tensor

__all__ = ["general_dropout", "stateless_dropout"]


def _noise_shape(x, noise_shape):
    """``noise_shape`` with unknown entries taken from ``x``; ``x``'s shape when None."""
    if noise_shape is None:
        return list(x.shape) if x.shape.is_fully_defined() else shape_of(x)
    if isinstance(noise_shape, (list, tuple)) and x.shape.ndims == len(noise_shape):
        return [d if d is not None else x.shape[i] for i, d in enumerate(noise_shape)]
    return noise_shape


def _dropout(x, rate, noise_shape, sampler, name, default_name):
    with name_scope(name, default_name) as scope:
        is_number = isinstance(rate, numbers.Real)
        if is_number and not 0 <= rate < 1:
            raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}")
        x = convert_to_tensor(x)
        if x.dtype.kind != "f":
            raise ValueError("`x.dtype` must be a floating point tensor as `x` will be scaled. Received: "
                             f"x_dtype={x.dtype.name}")
        if is_number and rate == 0:
            return x
        if is_number:
            scaled = multiply(x, convert_to_tensor(1 / (1 - rate), dtype=x.dtype))
        else:
            rate = convert_to_tensor(rate)
            if rate.shape.ndims not in (None, 0):
                raise ValueError(f"Shapes must be equal rank, but are {rate.shape.ndims} and 0")
            rate = cast(rate, x.dtype) if rate.dtype != x.dtype else rate
            scaled = truediv(x, subtract(convert_to_tensor(1, dtype=x.dtype), rate))
        u = sampler(shape=_noise_shape(x, noise_shape), dtype=x.dtype)
        return where_v2(greater_equal(u, rate), scaled, convert_to_tensor(0, dtype=x.dtype), name=scope)


def general_dropout(x, rate, uniform_sampler, noise_shape=None, name=None):
    """Zero each entry of ``x`` where ``uniform_sampler(shape=noise_shape, dtype=x.dtype)`` (uniform in
    ``[0, 1)``) is below ``rate``, and scale the others by ``1 / (1 - rate)``; ``noise_shape`` (default ``x``'s
    shape) broadcasts against ``x``. ``rate`` 0 returns ``x``.

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> sampler = lambda shape, dtype: df.constant(np.array([0.1, 0.6, 0.4, 0.9]), dtype=dtype)
    >>> df.nn.experimental.general_dropout(df.ones([4]), 0.5, sampler).compute().tolist()
    [0.0, 2.0, 0.0, 2.0]
    """
    return _dropout(x, rate, noise_shape, uniform_sampler, name, "dropout")


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """Dropout of ``x`` at ``rate`` whose mask is drawn by ``stateless_random_uniform`` from ``seed`` (shape
    ``[2]``): the same seed gives the same mask. Kept entries are scaled by ``1 / (1 - rate)``.

    Examples
    --------
    >>> import daskflow as df
    >>> y = df.nn.experimental.stateless_dropout(df.ones([6]), 0.5, seed=[1, 2])
    >>> sorted(set(y.compute().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    alg = "auto_select" if rng_alg is None else rng_alg

    def sampler(shape, dtype):
        return stateless_uniform(shape, seed, dtype=dtype, alg=alg)
    return _dropout(x, rate, noise_shape, sampler, name, "stateless_dropout")
