"""Discrete Fourier transforms (TF's ``FFT``, ``IFFT``, ``RFFT``, ``IRFFT`` families, 1 to 3 inner dims or any
axes): ``tf.fft``..., ``tf.spectral`` and the FFT part of ``tf.signal``.

Normalisation is TF's: forward transforms unnormalised, inverse ones scaled by 1/n. ``rfft`` of a float32 (float64)
tensor gives complex64 (complex128) and keeps the ``fft_length // 2 + 1`` non-negative frequencies of the inner dim;
``irfft`` takes those back, ignoring the imaginary parts of the DC and Nyquist terms. With ``fft_length``, the input
is cropped or zero-padded to it along the transformed axes before the transform (the inner dim of an ``irfft`` to
``fft_length // 2 + 1``).

Each op takes its transformed axes whole per block; the other axes keep their chunks. ``fft_length`` and ``axes`` must
be known when the graph is built when given; without ``fft_length``, the sizes of the transformed axes may be known
only when run (the op's ``fft_length`` attribute is then None: the sizes are the input's, the inner one of an
``irfft`` ``2 * (m - 1)``).
"""
import numpy as np

from .. import dtypes, planner
from ..backend import xp
from ..graph import TensorShape, name_scope
from .hostvalue import constant_value
from .registry import apply1, convert_to_tensor, fail, register

__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "fftnd", "ifftnd", "rfftnd", "irfftnd"]
NAMESPACES = {"spectral": ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d", "irfft2d",
                           "rfft3d", "irfft3d"]}

_COMPLEX = ("complex64", "complex128")
_REAL = ("float32", "float64")
_COMPLEX_OF = {"float32": dtypes.complex64, "float64": dtypes.complex128}
_REAL_OF = {"complex64": dtypes.float32, "complex128": dtypes.float64}

# op type -> (transform, number of inner dims or None for the ND ops taking ``axes``)
_TYPES = {"FFT": ("fft", 1), "IFFT": ("ifft", 1), "FFT2D": ("fft", 2), "IFFT2D": ("ifft", 2), "FFT3D": ("fft", 3),
          "IFFT3D": ("ifft", 3), "RFFT": ("rfft", 1), "IRFFT": ("irfft", 1), "RFFT2D": ("rfft", 2),
          "IRFFT2D": ("irfft", 2), "RFFT3D": ("rfft", 3), "IRFFT3D": ("irfft", 3), "FFTND": ("fft", None),
          "IFFTND": ("ifft", None), "RFFTND": ("rfft", None), "IRFFTND": ("irfft", None)}


# -- the chunk function

def fft_block(b, *, kind, axes, lengths, out_dtype):
    """The ``kind`` transform of block ``b`` over ``axes`` (whole in the block), its input cropped or zero-padded
    to ``lengths`` first (numpy's ``s``), as an array of ``out_dtype``."""
    m = xp(b)
    shape = list(b.shape)
    for a, n in zip(axes, lengths):
        shape[a] = n
    if kind == "rfft":
        shape[axes[-1]] = lengths[-1] // 2 + 1
    if 0 in lengths or any(b.shape[a] == 0 for a in axes):  # an empty sum: zeros, where numpy refuses
        return m.zeros(shape, dtype=out_dtype)
    fn = {"fft": m.fft.fftn, "ifft": m.fft.ifftn, "rfft": m.fft.rfftn, "irfft": m.fft.irfftn}[kind]
    return m.asarray(fn(b, s=list(lengths), axes=list(axes))).astype(out_dtype, copy=False)


# -- shape and dtype rules

def _geometry(op):
    """(transform, axes as negative ints, fft lengths with None where unknown) of an FFT op."""
    kind, rank = _TYPES[op.type]
    x = op.inputs[0]
    if rank is not None:
        axes = tuple(range(-rank, 0))
    else:
        axes = op.attrs["axes"]
        nd = x.shape.ndims
        if nd is None:
            fail(op, f"{op.type} needs an input of known rank")
        if any(not -nd <= a < nd for a in axes):
            fail(op, f"axes {list(axes)} out of range for an input of rank {nd}")
        axes = tuple(a % nd - nd for a in axes)
        if len(set(axes)) != len(axes):
            fail(op, f"axes {list(op.attrs['axes'])} repeat an axis")
    lengths = op.attrs.get("fft_length")
    if lengths is None:
        lengths = _default_lengths(op, [x.shape[a] if x.shape.ndims is not None else None for a in axes])
    return kind, axes, tuple(lengths)


def _default_lengths(op, dims):
    """The fft lengths of an op without ``fft_length`` from the sizes of its transformed axes (None unknown)."""
    kind, rank = _TYPES[op.type]
    if kind == "irfft" and rank is not None:
        return _irfft_default(list(dims))
    return list(dims)


def _infer(op):
    kind, rank = _TYPES[op.type]
    x = op.inputs[0]
    allowed = _REAL if kind == "rfft" else _COMPLEX
    if dtypes.name(x.dtype) not in allowed:
        raise TypeError(f"Value passed to parameter 'input' has DataType {dtypes.name(x.dtype)} not in list of "
                        f"allowed values: {', '.join(allowed)} [op '{op.name}' (type {op.type})]")
    need = rank if rank is not None else len(op.attrs["axes"])
    if x.shape.ndims is not None and x.shape.ndims < need:
        fail(op, f"Shape must be at least rank {need} but is rank {x.shape.ndims} for input '{x.name}' with input "
                 f"shapes: {x.shape}")
    fl = op.attrs.get("fft_length")
    if fl is not None:
        if len(fl) != need:
            fail(op, f"Dimension must be {need} but is {len(fl)}: fft_length {list(fl)} for a {need}-D transform")
        for i, n in enumerate(fl):
            if n < 0:
                fail(op, f"fft_length[{i}] must >= 0, but got: {n}")
    _, axes, lengths = _geometry(op)
    if x.shape.ndims is None:
        return [(TensorShape(None), _out_dtype(op, kind, x))]
    shape = list(x.shape)
    for a, n in zip(axes, lengths):
        shape[a] = n
    if kind == "rfft" and lengths[-1] is not None:
        shape[axes[-1]] = lengths[-1] // 2 + 1
    return [(TensorShape(shape), _out_dtype(op, kind, x))]


def _out_dtype(op, kind, x):
    name = dtypes.name(x.dtype)
    if kind == "rfft":
        return op.attrs.get("Tcomplex") or _COMPLEX_OF[name]
    if kind == "irfft":
        return op.attrs.get("Treal") or _REAL_OF[name]
    return x.dtype


# -- lowering

def _lower(op, x):
    kind, axes, lengths = _geometry(op)
    axes = tuple(a % x.ndim for a in axes)
    if None in lengths:
        lengths = tuple(int(n) for n in _default_lengths(op, [x.shape[a] for a in axes]))
    dtype = op.outputs[0].dtype
    x = x.rechunk({a: -1 for a in axes})
    chunks = list(x.chunks)
    for a, n in zip(axes, lengths):
        chunks[a] = (n,)
    if kind == "rfft":
        chunks[axes[-1]] = (lengths[-1] // 2 + 1,)
    return x.map_blocks(fft_block, kind=kind, axes=axes, lengths=lengths, out_dtype=dtype, dtype=dtype,
                        chunks=tuple(chunks), meta=xp(x._meta).empty((0,) * x.ndim, dtype=dtype))


def _footprint(op, xs, outs):
    axes = [a % xs[0].ndim for a in _geometry(op)[1]]
    return planner.block_bytes(xs[0], whole=axes) + sum(planner.block_bytes(o, whole=axes) for o in outs)


# -- gradients: the adjoint of each linear map, built from the transforms themselves (so any order works)

def _fit(t, like, axes):
    """``t`` cropped or zero-padded along ``axes`` to the sizes ``like`` has there (known now or at run time)."""
    from .array import pad
    from .generate import shape as shape_of
    from .math import maximum
    nd = t.shape.ndims
    have = [t.shape[a] for a in axes]
    want = [like.shape[a] for a in axes]
    if all(h is not None and h == w for h, w in zip(have, want)):
        return t
    zero = np.zeros((), t.dtype)
    if all(h is not None and w is not None for h, w in zip(have, want)):
        after = {a % nd: max(w - h, 0) for a, h, w in zip(axes, have, want)}
        if any(after.values()):
            t = pad(t, [[0, after.get(i, 0)] for i in range(nd)], constant_values=zero)
        stop = {a % nd: w for a, w in zip(axes, want)}
    else:
        ts, ls = shape_of(t), shape_of(like)
        t = pad(t, [[0, maximum(ls[i] - ts[i], 0) if i - nd in axes else 0] for i in range(nd)], constant_values=zero)
        stop = {i: ls[i] for i in range(nd) if i - nd in axes}
    return t[tuple(slice(None, stop[i]) if i in stop else slice(None) for i in range(nd))]


def _size(lengths):
    n = 1
    for k in lengths:
        n *= k
    return n


def _transform(kind, t, axes, lengths):
    """The ``kind`` transform of tensor ``t`` over ``axes`` (negative ints) at ``lengths``, by the op type TF uses
    for it: the 1-3D types over trailing axes, else the ND one."""
    rank = len(axes)
    trailing = rank <= 3 and axes == tuple(range(-rank, 0))
    same = all(t.shape[a] == n for a, n in zip(axes, lengths))
    if trailing and (kind in ("rfft", "irfft") or same):
        suffix = "" if rank == 1 else f"{rank}D"
        attrs = {"fft_length": tuple(lengths)} if kind in ("rfft", "irfft") else {}
        return apply1(kind.upper() + suffix, [t], attrs, name=kind.upper() + suffix)
    return apply1(kind.upper() + "ND", [t], {"fft_length": tuple(lengths), "axes": tuple(axes)},
                  name=kind.upper() + "ND")


def _count(dy, axes, lengths, dtype=None):
    """The number of points of the transform: a python float, or a tensor (of ``dy``'s dtype or ``dtype``) of the
    sizes of ``dy`` along ``axes`` when they are known only in the run."""
    if None not in lengths:
        return float(_size(lengths))
    from .generate import shape as shape_of
    from .math import cast
    from .reduce import reduce_prod
    dims = shape_of(dy)
    return cast(reduce_prod([dims[a] for a in axes]), dtype or dy.dtype)


def _fft_grad(op, dy):
    _, axes, lengths = _geometry(op)
    g = _transform("ifft", dy, axes, lengths) if None not in lengths else _complex_type("IFFT", dy, axes)
    return [_fit_if(op, g * _count(dy, axes, lengths), axes)]


def _ifft_grad(op, dy):
    _, axes, lengths = _geometry(op)
    g = _transform("fft", dy, axes, lengths) if None not in lengths else _complex_type("FFT", dy, axes)
    return [_fit_if(op, g / _count(dy, axes, lengths), axes)]


def _fit_if(op, g, axes):
    return g if op.attrs.get("fft_length") is None else _fit(g, op.inputs[0], axes)


def _complex_type(prefix, t, axes):
    suffix = "" if len(axes) == 1 else f"{len(axes)}D"
    return apply1(prefix + suffix, [t], name=prefix + suffix)


def _lengths_for_grad(op):
    """Axes and lengths of an op for its gradient; lengths known only when run are taken from the input by the 1-3D
    types only."""
    _, axes, lengths = _geometry(op)
    if None in lengths and _TYPES[op.type][1] is None:
        fail(op, f"the gradient of {op.type} needs the sizes of the transformed axes when the graph is built")
    return axes, lengths


def _rfft_grad(op, dy):
    # why: rfft keeps the first n//2+1 outputs of the full transform; its adjoint zero-fills the rest (the ifft
    # at full length does that), and only the real part reaches the real input
    from .special import real
    axes, lengths = _lengths_for_grad(op)
    if None in lengths:  # the input's sizes, known when run: zero-filled to them, then the ifft of that size
        g = real(_complex_type("IFFT", _fit(dy, op.inputs[0], axes), axes))
        return [g * _count(g, axes, lengths)]
    g = real(_transform("ifft", dy, axes, lengths)) * float(_size(lengths))
    return [_fit(g, op.inputs[0], axes)]


def _irfft_grad(op, dy):
    # why: irfft counts each frequency strictly between DC and Nyquist twice (for it and its mirror image), DC and
    # Nyquist once, and ignores their imaginary parts, which rfft of a real tensor gives as zero
    from .state import constant
    axes, lengths = _lengths_for_grad(op)
    if None in lengths:  # the default lengths, known when run: n = 2 * (m - 1) is even, m = n // 2 + 1 outputs
        return [_irfft_grad_default(op, dy, axes, lengths)]
    n = lengths[-1]
    weight = np.full(n // 2 + 1, 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    weight = weight.reshape((-1,) + (1,) * (-1 - axes[-1])) / max(_size(lengths), 1)
    g = _transform("rfft", dy, axes, lengths) * constant(weight.astype(op.inputs[0].dtype))
    return [_fit(g, op.inputs[0], axes)]


def _irfft_grad_default(op, dy, axes, lengths):
    """The gradient of an irfft of the default (even) inner length, its sizes known only when run: the weights
    are 1 at DC and Nyquist (the first and last of the ``m`` frequencies), 2 between."""
    from .generate import dim_size, range as arange
    from .math import cast, equal, logical_or, maximum, where_v2
    g = _complex_type("RFFT", dy, axes)
    m = dim_size(g, -1)
    ends = logical_or(equal(arange(m), 0), equal(arange(m), m - 1))
    weight = where_v2(ends, np.float64(1.0), np.float64(2.0)) / maximum(_count(dy, axes, lengths, np.float64), 1.0)
    return g * cast(weight, op.inputs[0].dtype)


_GRADS = {"fft": _fft_grad, "ifft": _ifft_grad, "rfft": _rfft_grad, "irfft": _irfft_grad}

for _type, (_kind, _) in _TYPES.items():
    register(_type)(type(_type, (), {"infer": _infer, "lower": _lower, "grad": _GRADS[_kind],
                                      "footprint": _footprint}))


# -- public functions

def _static_ints(value, what, op_name):
    if value is None:
        return None
    v = constant_value(value)
    if v is None:
        raise ValueError(f"{op_name}: {what} must be known when the graph is built, got {value!r}")
    v = np.asarray(v)
    if v.dtype.kind not in "iu":
        raise TypeError(f"{op_name}: {what} must hold integers, got {value!r}")
    return tuple(int(i) for i in v.reshape(-1))


def _complex_op(type_name, doc):
    def fn(input, name=None):
        return apply1(type_name, [convert_to_tensor(input, dtype_hint=dtypes.complex64)], name=name or type_name)
    fn.__name__ = fn.__qualname__ = type_name.lower()
    fn.__doc__ = doc + f" (op type ``{type_name}``)."
    return fn


fft = _complex_op("FFT", "The 1-D discrete Fourier transform of the inner-most dim of complex ``input``")
ifft = _complex_op("IFFT", "The 1-D inverse discrete Fourier transform (scaled by 1/n) of the inner-most dim of "
                           "complex ``input``")
fft2d = _complex_op("FFT2D", "The 2-D discrete Fourier transform of the 2 inner-most dims of complex ``input``")
ifft2d = _complex_op("IFFT2D", "The 2-D inverse discrete Fourier transform of the 2 inner-most dims of complex "
                               "``input``")
fft3d = _complex_op("FFT3D", "The 3-D discrete Fourier transform of the 3 inner-most dims of complex ``input``")
ifft3d = _complex_op("IFFT3D", "The 3-D inverse discrete Fourier transform of the 3 inner-most dims of complex "
                               "``input``")


def _nd_op(type_name, input, fft_length, axes, name, dtype_attr=None):
    fl = _static_ints(fft_length, "fft_length", type_name)
    ax = _static_ints(axes, "axes", type_name)
    attrs = {"fft_length": fl, "axes": ax}
    if dtype_attr is not None:
        attrs.update(dtype_attr)
    return apply1(type_name, [input], attrs, name=name or type_name)


def fftnd(input, fft_length, axes, name=None):
    """The N-D discrete Fourier transform of complex ``input`` over ``axes``, the input cropped or zero-padded to
    ``fft_length`` along them first (op type ``FFTND``)."""
    return _nd_op("FFTND", convert_to_tensor(input, dtype_hint=dtypes.complex64), fft_length, axes, name)


def ifftnd(input, fft_length, axes, name=None):
    """The N-D inverse discrete Fourier transform (scaled by 1/prod(fft_length)) of complex ``input`` over ``axes``
    (op type ``IFFTND``)."""
    return _nd_op("IFFTND", convert_to_tensor(input, dtype_hint=dtypes.complex64), fft_length, axes, name)


def rfftnd(input, fft_length, axes, Tcomplex=dtypes.complex64, name=None):
    """The N-D discrete Fourier transform of real ``input`` over ``axes``: the ``fft_length[-1] // 2 + 1``
    non-negative frequencies of the last of them (op type ``RFFTND``), as ``Tcomplex``."""
    x = convert_to_tensor(input, dtype_hint=dtypes.float32)
    return _nd_op("RFFTND", x, fft_length, axes, name, {"Tcomplex": _check_pair(x, Tcomplex, _COMPLEX_OF, "RFFTND")})


def irfftnd(input, fft_length, axes, Treal=dtypes.float32, name=None):
    """The real N-D inverse transform of ``input`` (the non-negative frequencies of the last axis) over ``axes``,
    of sizes ``fft_length`` (op type ``IRFFTND``), as ``Treal``."""
    x = convert_to_tensor(input, dtype_hint=dtypes.complex64)
    return _nd_op("IRFFTND", x, fft_length, axes, name, {"Treal": _check_pair(x, Treal, _REAL_OF, "IRFFTND")})


def _check_pair(x, want, table, type_name):
    want = dtypes.as_dtype(want)
    have = table.get(dtypes.name(x.dtype))
    if have is not None and have != want:
        raise TypeError(f"{type_name}: input of dtype {dtypes.name(x.dtype)} gives {dtypes.name(have)}, not "
                        f"{dtypes.name(want)}")
    return want


def _rfft_wrapper(rank, type_name):
    def fn(input_tensor, fft_length=None, name=None):
        with name_scope(name, type_name.lower()) as scope:
            x = convert_to_tensor(input_tensor, dtype_hint=dtypes.float32)
            if dtypes.name(x.dtype) not in _REAL:
                raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {x}")
            fl = _lengths(x, rank, fft_length, type_name, lambda dims: dims)
            return apply1(type_name, [x], {"fft_length": fl}, name=scope)
    fn.__name__ = fn.__qualname__ = type_name.lower()
    fn.__doc__ = (f"The {rank}-D discrete Fourier transform of the {rank} inner-most dims of real ``input_tensor`` "
                  f"(float32 gives complex64, float64 complex128): the ``fft_length[-1] // 2 + 1`` non-negative "
                  f"frequencies of the inner-most dim. ``fft_length`` (default: the inner dims' sizes) crops or "
                  f"zero-pads the input first (op type ``{type_name}``).")
    return fn


def _irfft_wrapper(rank, type_name):
    def fn(input_tensor, fft_length=None, name=None):
        with name_scope(name, type_name.lower()) as scope:
            x = convert_to_tensor(input_tensor, dtype_hint=dtypes.complex64)
            if dtypes.name(x.dtype) not in _COMPLEX:
                raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: {x}")
            fl = _lengths(x, rank, fft_length, type_name, _irfft_default)
            return apply1(type_name, [x], {"fft_length": fl}, name=scope)
    fn.__name__ = fn.__qualname__ = type_name.lower()
    fn.__doc__ = (f"The real {rank}-D inverse discrete Fourier transform (scaled by 1/n) of the {rank} inner-most "
                  f"dims of complex ``input_tensor``, whose inner-most dim holds the non-negative frequencies. "
                  f"``fft_length`` defaults to the inner dims' sizes with the inner-most one ``2 * (m - 1)`` "
                  f"(op type ``{type_name}``).")
    return fn


def _irfft_default(dims):
    return dims[:-1] + [None if dims[-1] is None else max(0, 2 * (dims[-1] - 1))]


def _lengths(x, rank, fft_length, type_name, default):
    if fft_length is not None:
        fl = _static_ints(fft_length, "fft_length", type_name)
        if len(fl) != rank:
            raise ValueError(f"Dimension must be {rank} but is {len(fl)} for fft_length of '{type_name}'")
        return fl
    if x.shape.ndims is None:
        raise ValueError(f"{type_name}: the input's rank must be known when the graph is built to infer fft_length")
    if x.shape.ndims < rank:
        raise ValueError(f"Shape must be at least rank {rank} but is rank {x.shape.ndims} for input '{x.name}'")
    fl = default(list(x.shape)[-rank:])
    return None if None in fl else tuple(fl)  # None: the op takes them from its input when run


rfft = _rfft_wrapper(1, "RFFT")
irfft = _irfft_wrapper(1, "IRFFT")
rfft2d = _rfft_wrapper(2, "RFFT2D")
irfft2d = _irfft_wrapper(2, "IRFFT2D")
rfft3d = _rfft_wrapper(3, "RFFT3D")
irfft3d = _irfft_wrapper(3, "IRFFT3D")
