"""TF1's other random ops: ``multinomial``/``random.categorical``, ``random_gamma``, ``random_poisson``,
``random_shuffle`` and ``random_crop``, with the seed functions; this module also lists the stateless family
(``random_stateless.py``) and the candidate samplers (``random_candidates.py``) in its ``__all__`` and
``NAMESPACES``.

Like ``random.py``'s ops, each value is a pure function of (graph seed, op seed, run counter, element index), so
values do not depend on chunking, and each ``Session.run`` draws new ones.
"""
import dask.array as da
import numpy as np

from .. import backend, dtypes, errors
from ..graph import TensorShape, control_dependencies, name_scope, set_random_seed  # noqa: F401
from ..lowering import current
from . import random_dists as rd
from .generate import shape as shape_of
from .generate import zeros_like
from .hostvalue import constant_value, host_lowered, host_scalar, int_arg
from .math import Assert, divide, exp, floormod, greater_equal, log, maximum, multiply, subtract
from .random import _FLOATS, _INTS, _bits, _keys, _out_shape, _shape_arg, get_seed, random_uniform
from .random_candidates import (all_candidate_sampler, fixed_unigram_candidate_sampler,  # noqa: F401
                                log_uniform_candidate_sampler, uniform_candidate_sampler)
from .random_stateless import (fold_in, split, stateless_binomial, stateless_categorical,  # noqa: F401
                               stateless_gamma, stateless_multinomial, stateless_normal,
                               stateless_parameterized_truncated_normal, stateless_poisson,
                               stateless_truncated_normal, stateless_uniform)
from .indexing import slice as slice_
from .reduce import reduce_all, reduce_sum
from .registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, register
from .special import lgamma

__all__ = ["multinomial", "random_gamma", "random_poisson", "random_shuffle", "random_crop", "get_seed"]

_SAMPLERS = ["uniform_candidate_sampler", "log_uniform_candidate_sampler", "fixed_unigram_candidate_sampler",
             "all_candidate_sampler"]
NAMESPACES = {
    "random": ["categorical", "multinomial", "gamma", "poisson", "shuffle", "get_seed", "set_random_seed",
               "fold_in", "split", "stateless_uniform", "stateless_normal", "stateless_truncated_normal",
               "stateless_categorical", "stateless_multinomial", "stateless_binomial", "stateless_gamma",
               "stateless_poisson", "stateless_parameterized_truncated_normal", *_SAMPLERS],
    "nn": list(_SAMPLERS),
}

_POISSON_DTYPES = _FLOATS + _INTS


def _seeded(seed):
    graph_seed, op_seed = get_seed(seed)
    return {"seed": graph_seed, "seed2": op_seed}


def _check_float(op, t, what):
    if t.dtype not in _FLOATS:
        rd.type_error(op, f"{what} '{t.name}' has dtype {t.dtype.name}, not one of float16, float32, float64")


class _Stateful:
    stateful = True


# -- multinomial / categorical

def _num_samples(op, n):
    if n is not None and n < 0:
        fail(op, f"Dimension size, given by scalar input 1, must be non-negative but is {n}")
    return n


@register("Multinomial")
class Multinomial(_Stateful):
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        logits = op.inputs[0]
        _check_float(op, logits, "logits")
        if logits.shape.ndims is not None and logits.shape.ndims != 2:
            fail(op, f"Shape must be rank 2 but is rank {logits.shape.ndims} for logits '{logits.name}'")
        if logits.shape.ndims == 2 and logits.shape[1] == 0:
            fail(op, "num_classes should be positive, got 0")
        n = _num_samples(op, host_scalar(op, 1, "num_samples"))
        batch = logits.shape[0] if logits.shape.ndims == 2 else None
        return [((batch, n), op.attrs["output_dtype"])]

    def lower(op, logits, _):
        return _categorical(op, logits, current().sources.rng(op))


def _categorical(op, logits, counter, seeds=None):
    n = int(host_lowered(op, 1, "num_samples"))
    if n < 0:
        fail(op, f"num_samples should be non-negative, got {n}")
    if logits.shape[1] == 0:
        fail(op, "num_classes should be positive, got 0")
    return rd.categorical(op, logits, counter, n, seeds)


def _output_dtype(dtype, default=dtypes.int64):
    dtype = default if dtype is None else dtypes.as_dtype(dtype)
    if dtype not in _INTS:
        raise ValueError(f"Argument `dtype` got invalid value <dtype: '{dtype.name}'>. Accepted dtypes are "
                         "(tf.int32, tf.int64).")
    return dtype


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """Draws ``num_samples`` class indices per row of ``logits`` ([batch, num_classes] unnormalised log
    probabilities), as TF1's ``multinomial``: a [batch, num_samples] tensor of ``output_dtype`` (int64 default).

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.multinomial([[0.0, 0.0, -1e9]], 5, seed=1)
    >>> with df.Session() as s:
    ...     bool((s.run(x) < 2).all())
    True
    """
    dtype = _output_dtype(output_dtype)
    with name_scope(name, "multinomial"):
        logits = convert_to_tensor(logits, name="logits")
        return apply1("Multinomial", [logits, int_arg(num_samples, "num_samples")],
                      {"output_dtype": dtype, **_seeded(seed)}, name="Multinomial")


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """``tf.random.categorical``: ``multinomial`` with the output dtype named ``dtype``."""
    dtype = _output_dtype(dtype)
    with name_scope(name, "categorical"):
        logits = convert_to_tensor(logits, name="logits")
        return apply1("Multinomial", [logits, int_arg(num_samples, "num_samples")],
                      {"output_dtype": dtype, **_seeded(seed)}, name="Multinomial")


# -- gamma

def _prefix_shape(op, params):
    out = TensorShape(_out_shape(op))
    if out.ndims is None or any(p.shape.ndims is None for p in params):
        return TensorShape(None)
    return TensorShape(list(out) + list(params[0].shape))


def gamma_sample_grad(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1) by implicit reparameterisation: -(dP/dalpha) / (dP/dx) at the
    sample, with P(alpha, x) the regularised lower incomplete gamma function (the gamma CDF)."""
    alpha = alpha + zeros_like(x)
    density = exp(subtract(multiply(alpha - 1, log(x)), x) - lgamma(alpha))
    return -apply1("IgammaGradA", [alpha, x], name="IgammaGradA") / density


def _gamma_grad(op, dy):
    alpha, x = op.inputs[1], op.outputs[0]
    k = op.inputs[0].shape[0]
    if k is None:
        fail(op, "the gradient of RandomGamma needs the length of its shape argument", errors.UnimplementedError)
    return [None, reduce_sum(dy * gamma_sample_grad(alpha, x), axis=list(range(k)))]


@register("RandomGamma")
class RandomGamma(_Stateful):
    grad = staticmethod(_gamma_grad)

    def infer(op):
        _check_float(op, op.inputs[1], "alpha")
        return [(_prefix_shape(op, op.inputs[1:]), op.inputs[1].dtype)]

    def lower(op, _, alpha):
        shape = tuple(host_lowered(op, 0, "shape").tolist()) + tuple(alpha.shape)
        return rd.generate(op, rd.gamma, current().sources.rng(op), shape, [alpha])


def random_gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Samples of Gamma(alpha, beta) (beta the rate): a tensor of shape ``shape + broadcast(alpha, beta).shape``
    (TF1's ``random_gamma``). Differentiable in alpha (implicit reparameterisation) and beta.

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.random_gamma([1000], [1.0, 5.0], beta=2.0, seed=1)
    >>> x.shape
    TensorShape([1000, 2])
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _FLOATS:
        raise ValueError(f"data type {dtype.name} not inexact")
    with name_scope(name, "random_gamma"):
        alpha = convert_to_tensor(alpha, dtype=dtype, name="alpha")
        beta = convert_to_tensor(1.0 if beta is None else beta, dtype=dtype, name="beta")
        alpha_b = alpha + zeros_like(beta)
        draws = apply1("RandomGamma", [_shape_arg(shape), alpha_b], _seeded(seed), name="RandomGamma")
        tiny = convert_to_tensor(np.finfo(dtype).tiny, dtype=dtype)
        return maximum(tiny, divide(draws, beta))


# -- poisson

@register("RandomPoissonV2")
class RandomPoissonV2(_Stateful):
    grad = None  # TF has no gradient for it: asking raises LookupError

    def infer(op):
        rate, dtype = op.inputs[1], op.attrs["dtype"]
        if rate.dtype not in _POISSON_DTYPES:
            rd.type_error(op, f"lam '{rate.name}' has dtype {rate.dtype.name}, not one of "
                              f"{', '.join(d.name for d in _POISSON_DTYPES)}")
        return [(_prefix_shape(op, [rate]), dtype)]

    def lower(op, _, rate):
        shape = tuple(host_lowered(op, 0, "shape").tolist()) + tuple(rate.shape)
        return rd.generate(op, rd.poisson, current().sources.rng(op), shape, [rate])


def _poisson_dtype(dtype):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _POISSON_DTYPES:
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in list of allowed values: "
                        f"{', '.join(d.name for d in _POISSON_DTYPES)}")
    return dtype


def random_poisson(lam, shape, dtype=dtypes.float32, seed=None, name=None):
    """Samples of Poisson(lam): a tensor of shape ``shape + lam.shape`` and ``dtype`` (TF1's ``random_poisson``,
    with ``lam`` first). lam <= 0 gives 0. Not differentiable.

    Examples
    --------
    >>> import daskflow as df
    >>> df.random_poisson([1.0, 20.0], [10], seed=1).shape
    TensorShape([10, 2])
    """
    dtype = _poisson_dtype(dtype)
    with name_scope(name, "random_poisson"):
        rate = convert_to_tensor(lam, dtype_hint=dtype, name="lam")
        return apply1("RandomPoissonV2", [_shape_arg(shape), rate], {"dtype": dtype, **_seeded(seed)},
                      name="RandomPoissonV2")


poisson = random_poisson
gamma = random_gamma


# -- shuffle and crop

def _perm_block(counter, n, seed, seed2):
    """A random permutation of range(n): the order of the rows' 64-bit draws."""
    m = backend.xp(counter)
    key = _keys(seed, seed2, counter)(0)
    return m.argsort(_bits(m, m.arange(n, dtype=m.uint64), key), kind="stable")


@register("RandomShuffle")
class RandomShuffle(_Stateful):
    grad = NOT_DIFFERENTIABLE
    strings = True

    def infer(op):
        return [(op.inputs[0].shape, op.inputs[0].dtype)]

    def lower(op, x):
        if x.ndim == 0 or x.shape[0] <= 1:
            return x
        n, counter = int(x.shape[0]), current().sources.rng(op)
        perm = da.map_blocks(_perm_block, counter, n=n, seed=op.attrs["seed"], seed2=op.attrs["seed2"],
                             new_axis=[0], chunks=((n,),), dtype=np.int64, meta=backend.meta(counter, np.int64, 1))
        return x[perm.rechunk((x.chunks[0],))]


def random_shuffle(value, seed=None, name=None):
    """``value`` with its slices along the first dimension in a random order (TF1's ``random_shuffle``); each
    run draws a new order. Not differentiable.

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.random_shuffle(df.range(5), seed=1)
    >>> with df.Session() as s:
    ...     sorted(s.run(x).tolist())
    [0, 1, 2, 3, 4]
    """
    value = convert_to_tensor(value, name="value")
    return apply1("RandomShuffle", [value], _seeded(seed), name=name or "RandomShuffle")


shuffle = random_shuffle


def _crop_checks(value, size):
    """Build-time checks of ``random_crop``'s sizes, where they are known; the rest is asserted at run time."""
    v, s = value.shape, constant_value(size)
    if s is None or v.ndims is None:
        return False
    if len(s) != v.ndims:
        raise errors.InvalidArgumentError(None, size.op, f"Dimension 0 in both shapes must be equal, but are "
                                                         f"{v.ndims} and {len(s)}. Shapes are [{v.ndims}] and "
                                                         f"[{len(s)}].")
    if any(d is None for d in v):
        return False
    if any(int(b) > a for a, b in zip(v, s)):
        raise errors.InvalidArgumentError(None, size.op, f"assertion failed: [Need value.shape >= size, got ] "
                                                         f"[{' '.join(str(d) for d in v)}] "
                                                         f"[{' '.join(str(int(d)) for d in s)}]")
    return True


def random_crop(value, size, seed=None, name=None):
    """A random slice of ``value`` of shape ``size`` (TF's ``random_crop``), at an offset drawn uniformly from
    the valid ones in each run. The gradient flows to the cropped entries.

    Examples
    --------
    >>> import daskflow as df
    >>> df.random_crop(df.zeros([5, 4]), [2, 4], seed=1).shape
    TensorShape([2, 4])
    """
    with name_scope(name, "random_crop") as scope:
        value = convert_to_tensor(value, name="value")
        size = int_arg(size, "size")
        shape = shape_of(value, out_type=size.dtype)
        deps = []
        if not _crop_checks(value, size):
            deps = [Assert(reduce_all(greater_equal(shape, size)),
                           ["Need value.shape >= size, got ", shape, size], summarize=1000)]
        with control_dependencies(deps):
            limit = subtract(shape, size) + 1
        top = np.iinfo(size.dtype).max
        offset = floormod(random_uniform(shape_of(size), maxval=top, dtype=size.dtype, seed=seed), limit)
        return slice_(value, offset, size, name=scope)

