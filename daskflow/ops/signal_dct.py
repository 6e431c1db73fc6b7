"""Discrete cosine transforms of ``tf.signal`` (types I to IV, unnormalised or orthonormal, as
``scipy.fftpack.dct``), built on the real FFT ops so their gradients come from those. The inner dim's size must be
known when the graph is built.
"""
import numpy as np

import daskflow as df
from ..graph import name_scope
from .registry import convert_to_tensor
from .state import constant

__all__ = []


def _validate(x, dct_type, n, axis, norm):
    if axis != -1:
        raise ValueError(f"axis must be -1. Got: {axis}")
    if n is not None and n < 1:
        raise ValueError("n should be a positive integer or None")
    if dct_type not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if dct_type == 1:
        if norm == "ortho":
            raise ValueError("Normalization is not supported for the Type-I DCT.")
        if x.shape.ndims and x.shape[-1] is not None and x.shape[-1] < 2:
            raise ValueError("Type-I DCT requires the dimension to be greater than one.")
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")


def _const(values, dtype):
    return constant(np.asarray(values).astype(dtype))


def _inner(x, n):
    """``x`` cropped or zero-padded along its inner dim to ``n`` (if given); and that dim's static size."""
    if x.shape.ndims is None or x.shape[-1] is None:
        raise ValueError(f"dct: the inner dim of '{x.name}' must be known when the graph is built (got {x.shape})")
    m = x.shape[-1]
    if n is not None and n < m:
        x = x[..., :n]
    elif n is not None and n > m:
        x = df.pad(x, [[0, 0]] * (x.shape.ndims - 1) + [[0, n - m]])
    return x, (m if n is None else n)


def _phase(n, sign, dtype):
    """``2 exp(sign * i pi k / (2n))`` for k in [0, n), of the complex dtype matching ``dtype``."""
    cdt = np.complex64 if dtype == np.float32 else np.complex128
    return _const(2 * np.exp(sign * 1j * np.pi * np.arange(n) / (2 * n)), cdt)


def _dct(x, dct_type, n, norm):
    from .spectral import irfft, rfft
    x, m = _inner(x, n)
    dt = x.dtype
    if dct_type == 1:  # the real FFT of the even extension x0..x[m-1]..x1
        return df.real(rfft(df.concat([x, df.reverse(x[..., 1:m - 1], [-1])], -1)))
    if dct_type == 2:  # 2 sum x_j cos(pi k (2j + 1) / 2m): a phase times the FFT of x zero-padded to 2m
        y = df.real(rfft(x, [2 * m])[..., :m] * _phase(m, -1, dt))
        if norm == "ortho":
            y = y * _const(np.r_[np.sqrt(0.25 / m), np.full(m - 1, np.sqrt(0.5 / m))], dt)
        return y
    if dct_type == 3:  # x0 + 2 sum_{k>0} x_k cos(pi k (2j + 1) / 2m): the inverse real FFT of phased x, times 2m
        w = np.r_[np.sqrt(m), np.full(m - 1, np.sqrt(m / 2))] if norm == "ortho" else np.full(m, float(m))
        z = df.complex(x * _const(w, dt), df.zeros_like(x)) * _phase(m, 1, dt)
        return irfft(z, [2 * m])[..., :m]
    # type 4: the odd-indexed outputs of the type 2 transform of x zero-padded to 2m
    y = _dct(x, 2, 2 * m, None)[..., 1::2]
    return y * float(np.sqrt(0.5 / m)) if norm == "ortho" else y


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):
    """The type I-IV discrete cosine transform of the inner dim of float ``input`` (as ``scipy.fftpack.dct``):
    ``n`` crops or zero-pads that dim first; ``norm="ortho"`` makes types II-IV orthonormal."""
    with name_scope(name, "dct"):
        x = convert_to_tensor(input)
        _validate(x, type, n, axis, norm)
        return _dct(x, type, n, norm)


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):
    """The inverse of ``dct`` of ``type`` (type III for II and back, I and IV their own): without ``norm`` it is
    ``2 * n`` times the inverse (``1 / (2 (n - 1))`` for type I), with ``norm="ortho"`` the exact inverse."""
    with name_scope(name, "idct"):
        x = convert_to_tensor(input)
        _validate(x, type, n, axis, norm)
        return _dct(x, {1: 1, 2: 3, 3: 2, 4: 4}[type], n, norm)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """Mel-frequency cepstral coefficients of ``[..., num_mel_bins]`` log-magnitude mel spectrograms: their type II
    DCT scaled by ``1 / sqrt(2 * num_mel_bins)`` (HTK's convention, as TF)."""
    with name_scope(name, "mfccs_from_log_mel_spectrograms"):
        x = convert_to_tensor(log_mel_spectrograms)
        if x.shape.ndims and x.shape[-1] == 0:
            raise ValueError(f"num_mel_bins must be positive. Got: {x}")
        y = dct(x, type=2)
        return y * float(1 / np.sqrt(2.0 * x.shape[-1]))
