"""TF's stateless random ops (``tf.random.stateless_*``) and the seed-key functions ``split`` and ``fold_in``.

Their values are a pure function of the ``seed`` tensor (shape [2], int32 or int64) and the element's index: the
same seed gives the same values in every run, session and chunking. They use the generator of ``random.py``,
keyed by the seed's value instead of (graph seed, op seed, run counter).
"""
import dask.array as da
import numpy as np

from .. import backend, dtypes, errors, planner
from ..graph import TensorShape, name_scope
from . import random_dists as rd
from .array import stack
from .generate import zeros_like
from .hostvalue import host_lowered, int_arg
from .math import add, cast, divide, erfc, exp, maximum, multiply, subtract
from .random import (_FLOATS, _INTS, _bits, _check_dtype, _fill, _keys, _normal_block, _out_shape, _shape_arg,
                     _truncated_block, _uniform_block, _uniform_int_block)
from .reduce import reduce_sum
from .registry import NOT_DIFFERENTIABLE, apply1, broadcast_shapes, convert_to_tensor, fail, register, same_dtype

_SEEDS = (rd.STATELESS_SEED, 0)
_NUMBERS = _FLOATS + _INTS


def _check_seed(op, i):
    seed = op.inputs[i]
    if seed.dtype not in _INTS:
        rd.type_error(op, f"Value passed to parameter 'seed' has DataType {seed.dtype.name} not in list of allowed "
                          "values: int32, int64")
    if seed.shape.ndims is not None and (seed.shape.ndims != 1 or seed.shape[0] not in (None, 2)):
        fail(op, f"Dimension must be 2 but is {seed.shape[0] if seed.shape.ndims == 1 else seed.shape} for seed "
                 f"'{seed.name}' of shape {seed.shape}")


def _lowered_shape(op):
    return tuple(int(d) for d in host_lowered(op, 0, "shape").tolist())


def _ends_with(op, out, params):
    """TF's rule for shape-parameterised stateless ops: ``shape`` ends with the parameters' broadcast shape."""
    b = broadcast_shapes(op, *[p.shape for p in params])
    if out.ndims is None or b.ndims is None:
        return out
    tail = list(out)[len(out) - len(b):] if len(b) <= len(out) else None
    if tail is None or any(x is not None and y is not None and x != y for x, y in zip(tail, b)):
        fail(op, f"Shape passed in must end with broadcasted shape. (shape {out}, broadcast shape {b})")
    return out


class _Stateless:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _check_seed(op, 1)
        dtype = op.attrs["dtype"]
        return [(_ends_with(op, TensorShape(_out_shape(op)), op.inputs[2:]), dtype)]


def _map(op, kernel, seed, *scalars, **kw):
    """The output as a dask array: ``kernel`` per block, keyed by the seed's value."""
    shape, dtype = _lowered_shape(op), op.outputs[0].dtype
    key = rd.seed_key(seed)
    return da.map_blocks(kernel, key, *scalars, seed=_SEEDS[0], seed2=_SEEDS[1], out_dtype=dtype, dtype=dtype,
                         chunks=planner.chunks_for(shape, dtype), new_axis=list(range(len(shape))),
                         meta=backend.meta(key, dtype, ndim=len(shape)), **kw)


def _full_int_block(counter, seed, seed2, out_dtype, block_info=None):
    m = backend.xp(counter)
    key = _keys(seed, seed2, counter)(0)
    return _fill(m, block_info, out_dtype, lambda idx: _bits(m, idx, key).astype(out_dtype))


def _simple(type_name, kernel):
    register(type_name)(type(type_name, (_Stateless,), {"lower": staticmethod(lambda op, _, s: _map(op, kernel, s))}))


_simple("StatelessRandomNormal", _normal_block)
_simple("StatelessRandomUniform", _uniform_block)
_simple("StatelessTruncatedNormal", _truncated_block)
_simple("StatelessRandomUniformFullInt", _full_int_block)


@register("StatelessRandomUniformInt")
class StatelessRandomUniformInt(_Stateless):
    def infer(op):
        _check_seed(op, 1)
        for t in op.inputs[2:]:
            if t.shape.ndims not in (None, 0):
                fail(op, f"minval and maxval must be 0-D, got '{t.name}' of shape {t.shape}")
        same_dtype(op, *op.inputs[2:])
        return [(_out_shape(op), op.attrs["dtype"])]

    def lower(op, _, seed, lo, hi):
        where = f"{errors.describe(op)} built at {op.where()}"
        return _map(op, _uniform_int_block, seed, lo, hi, where=where)


def _sampled(type_name, sampler, grad=NOT_DIFFERENTIABLE, dtype_of=None):
    """A shape-parameterised stateless op drawing ``sampler`` with its inputs after (shape, seed) as parameters."""
    def infer(op):
        _check_seed(op, 1)
        dtype = op.attrs["dtype"] if dtype_of is None else op.inputs[dtype_of].dtype
        return [(_ends_with(op, TensorShape(_out_shape(op)), op.inputs[2:]), dtype)]

    def lower(op, _, seed, *params):
        shape = _lowered_shape(op)
        b = tuple(da.core.broadcast_shapes(*[p.shape for p in params]))
        if len(b) > len(shape) or tuple(shape[len(shape) - len(b):]) != b:
            fail(op, "Shape passed in must end with broadcasted shape.")
        return rd.generate(op, sampler, rd.seed_key(seed), shape, params, seeds=_SEEDS)
    register(type_name)(type(type_name, (), {"infer": staticmethod(infer), "lower": staticmethod(lower),
                                             "grad": grad}))


def _stateless_gamma_grad(op, dy):
    from .random_more import gamma_sample_grad
    alpha, x = op.inputs[2], op.outputs[0]
    g = dy * gamma_sample_grad(alpha, x)
    if x.shape.ndims is None or alpha.shape.ndims is None:
        fail(op, "the gradient of StatelessRandomGammaV2 needs static ranks", errors.UnimplementedError)
    return [None, None, reduce_sum(g, axis=list(range(x.shape.ndims - alpha.shape.ndims)))]


_sampled("StatelessRandomGammaV2", rd.gamma, grad=staticmethod(_stateless_gamma_grad), dtype_of=2)
_sampled("StatelessRandomPoisson", rd.poisson)
_sampled("StatelessRandomBinomial", rd.binomial)
def _tail(x):
    """The standard normal's upper tail probability Q(x) = 1 - Phi(x), precise for large x."""
    return 0.5 * erfc(x * np.sqrt(0.5))


def _truncated_grad(op, dy):
    """Implicit reparameterisation: with u = F(x; mean, stddev, lo, hi) held fixed,
    dx/dtheta = -(dF/dtheta) / (dF/dx) = -stddev / phi(z) * (phi(z) z' - phi(a) a' - F (phi(b) b' - phi(a) a'))
    where z, a, b are x, lo, hi standardised and ' is d/dtheta."""
    mean, sd, lo, hi = op.inputs[2:]
    x = op.outputs[0]
    z, a, b = (x - mean) / sd, (lo - mean) / sd, (hi - mean) / sd
    pdf = [exp(-0.5 * v * v) * (1 / np.sqrt(2 * np.pi)) for v in (z, a, b)]
    cdf = (_tail(a) - _tail(z)) / (_tail(a) - _tail(b))  # F, as differences of upper tails (equal to Phi's)
    pz, pa, pb = pdf
    core = -sd / pz

    def dx(dz, da, db):
        return core * (pz * dz - pa * da - cdf * (pb * db - pa * da))
    inv = 1 / sd
    grads = [dx(-inv, -inv, -inv), dx(-z * inv, -a * inv, -b * inv), dx(0.0, inv, 0.0), dx(0.0, 0.0, inv)]
    return [None, None] + [dy * g for g in grads]


_sampled("StatelessParameterizedTruncatedNormal", rd.truncated, grad=staticmethod(_truncated_grad), dtype_of=2)


@register("StatelessMultinomial")
class StatelessMultinomial:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        from .random_more import Multinomial
        _check_seed(op, 2)
        return Multinomial.infer(op)

    def lower(op, logits, _, seed):
        from .random_more import _categorical
        return _categorical(op, logits, rd.seed_key(seed), seeds=_SEEDS)


# -- public functions

def _seed_arg(seed):
    return int_arg(seed, "seed")


def _stateless(type_name, shape, seed, dtype, inputs=(), name=None):
    return apply1(type_name, [_shape_arg(shape), _seed_arg(seed), *inputs], {"dtype": dtype}, name=name or type_name)


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None, alg="auto_select"):
    """Normal values of ``mean`` and ``stddev``, a pure function of ``seed`` (shape [2] int tensor): the same
    seed gives the same values in every run (TF's ``stateless_normal``; ``alg`` is accepted and ignored).

    Examples
    --------
    >>> import daskflow as df
    >>> x = df.random.stateless_normal([3], seed=[1, 2])
    >>> with df.Session() as s:
    ...     bool((s.run(x) == s.run(x)).all())
    True
    """
    dtype = _check_dtype(dtype, _FLOATS, "stateless_normal")
    with name_scope(name, "stateless_random_normal") as scope:
        sd = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        mu = convert_to_tensor(mean, dtype=dtype, name="mean")
        rnd = _stateless("StatelessRandomNormal", shape, seed, dtype)
        return add(multiply(rnd, sd), mu, name=scope)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                               alg="auto_select"):
    """Like ``stateless_normal``, with values beyond 2 standard deviations drawn again (TF's
    ``stateless_truncated_normal``)."""
    dtype = _check_dtype(dtype, _FLOATS, "stateless_truncated_normal")
    with name_scope(name, "stateless_truncated_normal") as scope:
        sd = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        mu = convert_to_tensor(mean, dtype=dtype, name="mean")
        rnd = _stateless("StatelessTruncatedNormal", shape, seed, dtype)
        return add(multiply(rnd, sd), mu, name=scope)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None, alg="auto_select"):
    """Values uniform in ``[minval, maxval)``, a pure function of ``seed`` (TF's ``stateless_uniform``).

    Floats default to [0, 1). Integer dtypes need both bounds, or neither: then every value of the dtype is
    equally likely (int32, int64, uint32, uint64)."""
    dtype = _check_dtype(dtype, _FLOATS + _INTS + (dtypes.uint32, dtypes.uint64), "stateless_uniform")
    if dtype.kind in "iu":
        if (minval is None) != (maxval is None):
            raise ValueError(f"For integer `dtype` argument <dtype: '{dtype.name}'>, argument `minval` and `maxval` "
                             f"must be both None or not None. Got `minval`={minval} and `maxval`={maxval}.")
    elif minval is None:
        minval = 0
    with name_scope(name, "stateless_random_uniform") as scope:
        if dtype.kind in "iu" and maxval is None:
            return _stateless("StatelessRandomUniformFullInt", shape, seed, dtype, name=scope)
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(1 if maxval is None else maxval, dtype=dtype, name="max")
        if dtype.kind in "iu":
            if dtype not in _INTS:
                raise TypeError(f"Value passed to parameter 'dtype' of stateless_uniform with bounds has DataType "
                                f"{dtype.name} not in list of allowed values: int32, int64")
            return _stateless("StatelessRandomUniformInt", shape, seed, dtype, [lo, hi], name=scope)
        rnd = _stateless("StatelessRandomUniform", shape, seed, dtype)
        return add(multiply(rnd, subtract(hi, lo)), lo, name=scope)


def _out_dtype(dtype, allowed, fn):
    return _check_dtype(dtype, allowed, fn)


def stateless_multinomial(logits, num_samples, seed, output_dtype=dtypes.int64, name=None):
    """``multinomial`` as a pure function of ``seed`` (TF's ``stateless_multinomial``)."""
    return _stateless_categorical(logits, num_samples, seed, output_dtype, name, "stateless_multinomial")


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    """``categorical`` as a pure function of ``seed`` (TF's ``stateless_categorical``)."""
    return _stateless_categorical(logits, num_samples, seed, dtype, name, "stateless_categorical")


def _stateless_categorical(logits, num_samples, seed, dtype, name, default):
    from .random_more import _output_dtype
    dtype = _output_dtype(dtype)
    with name_scope(name, default):
        logits = convert_to_tensor(logits, name="logits")
        return apply1("StatelessMultinomial", [logits, int_arg(num_samples, "num_samples"), _seed_arg(seed)],
                      {"output_dtype": dtype}, name="StatelessMultinomial")


def stateless_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None):
    """Gamma(alpha, beta) samples of ``shape``, which must end with the broadcast shape of alpha and beta; a pure
    function of ``seed`` (TF's ``stateless_gamma``). Differentiable in alpha and beta."""
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _FLOATS:
        raise ValueError(f"data type {dtype.name} not inexact")
    with name_scope(name, "stateless_random_gamma"):
        alpha = convert_to_tensor(alpha, dtype=dtype, name="alpha")
        beta = convert_to_tensor(1.0 if beta is None else beta, dtype=dtype, name="beta")
        alpha_b = alpha + zeros_like(beta)
        draws = apply1("StatelessRandomGammaV2", [_shape_arg(shape), _seed_arg(seed), alpha_b], {},
                       name="StatelessRandomGammaV2")
        return maximum(convert_to_tensor(np.finfo(dtype).tiny, dtype=dtype), divide(draws, beta))


def stateless_poisson(shape, seed, lam, dtype=dtypes.int32, name=None):
    """Poisson(lam) samples of ``shape`` (ending with lam's shape) and ``dtype``, a pure function of ``seed``
    (TF's ``stateless_poisson``)."""
    dtype = _out_dtype(dtype, _NUMBERS, "stateless_poisson")
    with name_scope(name, "stateless_random_poisson"):
        lam = convert_to_tensor(lam, name="lam")
        return _stateless("StatelessRandomPoisson", shape, seed, dtype, [lam], name="StatelessRandomPoisson")


def stateless_binomial(shape, seed, counts, probs, output_dtype=dtypes.int32, name=None):
    """Binomial(counts, probs) samples of ``shape`` (ending with their broadcast shape), a pure function of
    ``seed`` (TF's ``stateless_binomial``)."""
    dtype = _out_dtype(output_dtype, _NUMBERS, "stateless_binomial")
    with name_scope(name, "stateless_random_binomial"):
        counts = convert_to_tensor(counts, name="counts", dtype_hint=dtypes.float32)
        probs = convert_to_tensor(probs, name="probs", dtype_hint=dtypes.float32)
        if probs.dtype != counts.dtype:
            raise TypeError(f"Input 'probs' of 'StatelessRandomBinomial' Op has type {probs.dtype.name} that does "
                            f"not match type {counts.dtype.name} of argument 'counts'.")
        return _stateless("StatelessRandomBinomial", shape, seed, dtype, [counts, probs],
                          name="StatelessRandomBinomial")


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0, minvals=-2.0, maxvals=2.0,
                                             name=None):
    """Normal(means, stddevs) samples restricted to [minvals, maxvals], of ``shape`` (ending with the parameters'
    broadcast shape), a pure function of ``seed`` (TF's ``stateless_parameterized_truncated_normal``)."""
    with name_scope(name, "stateless_parameterized_truncated_normal"):
        ps = [convert_to_tensor(v, name=n) for v, n in
              ((means, "means"), (stddevs, "stddevs"), (minvals, "minvals"), (maxvals, "maxvals"))]
        for p, n in zip(ps[1:], ("stddevs", "minvals", "maxvals")):
            if p.dtype != ps[0].dtype:
                raise TypeError(f"Input '{n}' of 'StatelessParameterizedTruncatedNormal' Op has type {p.dtype.name} "
                                f"that does not match type {ps[0].dtype.name} of argument 'means'.")
        if ps[0].dtype not in _FLOATS:
            raise TypeError(f"Value passed to parameter 'means' has DataType {ps[0].dtype.name} not in list of "
                            "allowed values: float16, float32, float64")
        return apply1("StatelessParameterizedTruncatedNormal", [_shape_arg(shape), _seed_arg(seed), *ps], {},
                      name="StatelessParameterizedTruncatedNormal")


def split(seed, num=2, alg="auto_select"):
    """``num`` new seeds (a [num, 2] tensor of ``seed``'s dtype) derived from ``seed``, as TF's
    ``tf.random.split``: each row is a seed independent of the others and of ``seed``."""
    seed = convert_to_tensor(seed, name="seed")
    return stateless_uniform([num, 2], seed=seed, dtype=seed.dtype, minval=None, maxval=None)


def fold_in(seed, data, alg="auto_select"):
    """A new seed from ``seed`` and the integer ``data`` (TF's ``tf.random.fold_in``): ``[key, data]`` with
    ``key`` drawn from ``seed``."""
    seed = convert_to_tensor(seed, name="seed")
    data = convert_to_tensor(data, dtype_hint=seed.dtype)
    key = stateless_uniform([], seed=seed, dtype=seed.dtype, minval=None, maxval=None)
    return stack([key, cast(data, seed.dtype)])

