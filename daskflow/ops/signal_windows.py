"""Window functions of ``tf.signal`` (Hann, Hamming, Kaiser, Kaiser-Bessel-derived, Vorbis) and the mel filterbank
matrix ``linear_to_mel_weight_matrix``. Their arguments are known when the graph is built, so each is a constant of
the requested float dtype, computed on the host with TF's formulas.
"""
import numpy as np

from .. import dtypes
from ..graph import name_scope
from .hostvalue import constant_value
from .state import constant

__all__ = []


def _static_int(value, what, fn_name):
    v = constant_value(value)
    if v is None:
        raise ValueError(f"{fn_name}: {what} must be known when the graph is built, got {value!r}")
    v = np.asarray(v)
    if v.ndim != 0:
        raise ValueError(f"Shape must be rank 0 but is rank {v.ndim} for {what} of {fn_name}")
    if v.dtype.kind not in "iu":
        raise TypeError(f"{fn_name}: {what} must be an integer, got {value!r}")
    return int(v)


def _float_dtype(dtype):
    dt = dtypes.as_dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"dtype must be a floating point type. Found {dtypes.name(dt)}")
    return dt


def _window(values, dtype, scope):
    return constant(np.asarray(values, dtype=np.float64).astype(dtype), name=scope)


def _raised_cosine(window_length, periodic, dtype, name, default_name, a, b):
    dt = _float_dtype(dtype)
    with name_scope(name, default_name) as scope:
        n = _static_int(window_length, "window_length", default_name)
        periodic = constant_value(periodic)
        if periodic is None or np.asarray(periodic).ndim != 0:
            raise ValueError(f"{default_name}: periodic must be a scalar bool known when the graph is built")
        if n == 1:
            return _window(np.ones(1), dt, scope)
        # why: TF's periodic window of odd length is its symmetric one (the period is n - 1 + periodic * even)
        period = n + int(bool(periodic)) * (1 - n % 2) - 1
        return _window(a - b * np.cos(2 * np.pi * np.arange(n) / period), dt, scope)


def hann_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """A Hann window of ``window_length`` points: ``0.5 - 0.5 cos(2 pi k / N)``, with ``N = window_length`` for a
    periodic window of even length and ``window_length - 1`` otherwise, as TF."""
    return _raised_cosine(window_length, periodic, dtype, name, "hann_window", 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """A Hamming window of ``window_length`` points: ``0.54 - 0.46 cos(2 pi k / N)`` (``N`` as ``hann_window``)."""
    return _raised_cosine(window_length, periodic, dtype, name, "hamming_window", 0.54, 0.46)


def _kaiser(n, beta):
    return np.ones(1) if n == 1 else np.kaiser(n, beta)


def kaiser_window(window_length, beta=12., dtype=dtypes.float32, name=None):
    """A Kaiser window of ``window_length`` points: ``I0(beta sqrt(1 - (2k / (n - 1) - 1)^2)) / I0(beta)``."""
    dt = _float_dtype(dtype)
    with name_scope(name, "kaiser_window") as scope:
        return _window(_kaiser(_static_int(window_length, "window_length", "kaiser_window"), float(beta)), dt, scope)


def kaiser_bessel_derived_window(window_length, beta=12., dtype=dtypes.float32, name=None):
    """A Kaiser-Bessel-derived window: the square roots of the normalised running sums of a Kaiser window of
    ``window_length // 2 + 1`` points, mirrored (``2 * (window_length // 2)`` points, as TF)."""
    dt = _float_dtype(dtype)
    with name_scope(name, "kaiser_bessel_derived_window") as scope:
        half = _static_int(window_length, "window_length", "kaiser_bessel_derived_window") // 2
        csum = np.cumsum(_kaiser(half + 1, float(beta)))
        halfw = np.sqrt(csum[:-1] / csum[-1])
        return _window(np.concatenate([halfw, halfw[::-1]]), dt, scope)


def vorbis_window(window_length, dtype=dtypes.float32, name=None):
    """A Vorbis power-complementary window: ``sin(pi / 2 * sin^2(pi (k + 0.5) / window_length))``."""
    dt = _float_dtype(dtype)
    with name_scope(name, "vorbis_window") as scope:
        n = _static_int(window_length, "window_length", "vorbis_window")
        return _window(np.sin(np.pi / 2 * np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2), dt, scope)


# -- the mel filterbank

_MEL_BREAK_HZ, _MEL_Q = 700.0, 1127.0


def _hertz_to_mel(f):
    return _MEL_Q * np.log1p(f / _MEL_BREAK_HZ)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000, lower_edge_hertz=125.0,
                                upper_edge_hertz=3800.0, dtype=dtypes.float32, name=None):
    """A ``[num_spectrogram_bins, num_mel_bins]`` matrix warping linear-frequency spectrogram bins (``[0,
    sample_rate / 2]``) onto ``num_mel_bins`` triangular mel bands between ``lower_edge_hertz`` and
    ``upper_edge_hertz`` (HTK mel scale, peaks of 1; the DC bin weighs nothing), as TF:
    ``tf.tensordot(spectrogram, matrix, 1)`` is the mel spectrogram."""
    with name_scope(name, "linear_to_mel_weight_matrix") as scope:
        sr = constant_value(sample_rate)
        bins = _static_int(num_spectrogram_bins, "num_spectrogram_bins", "linear_to_mel_weight_matrix")
        if num_mel_bins <= 0:
            raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
        if lower_edge_hertz < 0.0:
            raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
        if lower_edge_hertz >= upper_edge_hertz:
            raise ValueError(f"lower_edge_hertz {lower_edge_hertz:.1f} >= upper_edge_hertz {upper_edge_hertz:.1f}")
        if sr is None:
            raise ValueError("linear_to_mel_weight_matrix: sample_rate must be known when the graph is built")
        sr = float(sr)
        if sr <= 0.0:
            raise ValueError(f"sample_rate must be positive. Got: {sr}")
        if upper_edge_hertz > sr / 2:
            raise ValueError(f"upper_edge_hertz must not be larger than the Nyquist frequency (sample_rate / 2). Got "
                             f"{upper_edge_hertz} for sample_rate: {sr}")
        dt = dtypes.as_dtype(dtype)
        if dt.kind != "f":
            raise ValueError(f"dtype must be a floating point type. Got: {dtypes.name(dt)}")
        freqs = np.linspace(0.0, sr / 2, bins)[1:]
        mel = _hertz_to_mel(freqs)[:, None]
        edges = np.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
        lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
        weights = np.maximum(0.0, np.minimum((mel - lower) / (center - lower), (upper - mel) / (upper - center)))
        return constant(np.concatenate([np.zeros((1, num_mel_bins)), weights]).astype(dt), name=scope)
