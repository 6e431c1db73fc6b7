"""``tf.signal``: framing and overlap-add, short-time Fourier transforms and their inverses, modified DCTs, the
N-D FFT wrappers (with ``norm``) and ``fftshift``; with the FFTs of ``spectral``, the DCTs and MFCCs of
``signal_dct`` and the windows and mel matrix of ``signal_windows``.

Everything here is a composite of existing ops (``gather``, ``pad``, slicing, sums and the FFT ops), so gradients
come from theirs. Frame lengths, steps and FFT lengths must be known when the graph is built; signal lengths may be
known only at run time.
"""
import numpy as np

import daskflow as df
from .. import dtypes
from ..graph import name_scope
from .hostvalue import constant_value
from .registry import convert_to_tensor
# the names below are re-exported through NAMESPACES
from .signal_dct import dct, idct, mfccs_from_log_mel_spectrograms  # noqa: F401
from .signal_windows import _static_int, hamming_window, hann_window, kaiser_bessel_derived_window  # noqa: F401
from .signal_windows import kaiser_window, linear_to_mel_weight_matrix, vorbis_window  # noqa: F401
from .spectral import _COMPLEX, _REAL, _irfft_default, _static_ints, irfft, rfft
from .spectral import fft, fft2d, fft3d, ifft, ifft2d, ifft3d, irfft2d, irfft3d, rfft2d, rfft3d  # noqa: F401
from .spectral import fftnd as _fftnd_op, ifftnd as _ifftnd_op, irfftnd as _irfftnd_op, rfftnd as _rfftnd_op

__all__ = []
_FFTS = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d", "irfft2d", "rfft3d",
         "irfft3d"]
NAMESPACES = {
    "signal": _FFTS + ["fftnd", "ifftnd", "rfftnd", "irfftnd", "fftshift", "ifftshift", "frame", "overlap_and_add",
                       "stft", "inverse_stft", "inverse_stft_window_fn", "mdct", "inverse_mdct", "dct", "idct",
                       "hann_window", "hamming_window", "kaiser_window", "kaiser_bessel_derived_window",
                       "vorbis_window", "linear_to_mel_weight_matrix", "mfccs_from_log_mel_spectrograms"],
    "spectral": ["dct", "idct"],
}


# -- N-D transforms with numpy's norm

def _nd_args(x, fft_length, axes, name, inverse_real=False):
    if x.shape.ndims is None:
        raise ValueError(f"{name}: the input's rank must be known when the graph is built")
    ax = _static_ints(axes, "axes", name) if axes is not None else tuple(range(x.shape.ndims))
    if fft_length is not None:
        return _static_ints(fft_length, "fft_length", name), ax
    dims = [x.shape[a] for a in ax]
    fl = _irfft_default(dims) if inverse_real else dims
    if None in fl:
        raise ValueError(f"{name}: the sizes of axes {list(ax)} of '{x.name}' must be known when the graph is built "
                         f"to infer fft_length (got {x.shape}); pass fft_length")
    return tuple(fl), ax


def _norm_scale(norm, fl, inverse):
    """The factor on the input giving numpy's ``norm`` ("backward": none; "forward": 1/n on the forward transform;
    "ortho": 1/sqrt(n) on both)."""
    if norm in (None, "backward"):
        return None
    n = float(np.prod(fl))
    if norm == "forward":
        return n if inverse else 1 / n
    if norm == "ortho":
        return np.sqrt(n) if inverse else 1 / np.sqrt(n)
    raise ValueError(f'Invalid norm value {norm!r}; should be "backward", "ortho" or "forward".')


def _nd(op_fn, default_name, dtype_hint, allowed, inverse, inverse_real=False):
    def fn(input_tensor, fft_length=None, axes=None, norm=None, name=None):
        with name_scope(name, default_name) as scope:
            x = convert_to_tensor(input_tensor, dtype_hint=dtype_hint)
            if dtypes.name(x.dtype) not in allowed:
                raise ValueError(f"{default_name} requires {' or '.join('tf.' + a for a in allowed)} inputs, got: {x}")
            fl, ax = _nd_args(x, fft_length, axes, default_name, inverse_real)
            scale = _norm_scale(norm, fl, inverse)
            if scale is not None:
                x = x * float(scale)
            return op_fn(x, fl, ax, name=scope)
    fn.__name__ = fn.__qualname__ = default_name
    return fn


fftnd = _nd(_fftnd_op, "fftnd", dtypes.complex64, _COMPLEX, False)
ifftnd = _nd(_ifftnd_op, "ifftnd", dtypes.complex64, _COMPLEX, True)
rfftnd = _nd(lambda x, fl, ax, name: _rfftnd_op(x, fl, ax, Tcomplex=_complex_of(x), name=name), "rfftnd",
             dtypes.float32, _REAL, False)
irfftnd = _nd(lambda x, fl, ax, name: _irfftnd_op(x, fl, ax, Treal=_real_of(x), name=name), "irfftnd",
              dtypes.complex64, _COMPLEX, True, inverse_real=True)
fftnd.__doc__ = ("The N-D discrete Fourier transform of complex ``input_tensor`` over ``axes`` (default: all), "
                 "cropped or zero-padded to ``fft_length`` first; ``norm`` as numpy's (default \"backward\").")
ifftnd.__doc__ = "The N-D inverse discrete Fourier transform over ``axes``; arguments as ``fftnd``."
rfftnd.__doc__ = ("The N-D discrete Fourier transform of real ``input_tensor`` over ``axes``, keeping the "
                  "non-negative frequencies of the last of them; arguments as ``fftnd``.")
irfftnd.__doc__ = ("The real N-D inverse of ``rfftnd`` over ``axes``; ``fft_length`` defaults to the sizes of those "
                   "axes with the last ``2 * (m - 1)``.")


def _complex_of(x):
    return dtypes.complex64 if x.dtype == dtypes.float32 else dtypes.complex128


def _real_of(x):
    return dtypes.float32 if x.dtype == dtypes.complex64 else dtypes.float64


def _shift(x, axes, name, default_name, inverse):
    with name_scope(name, default_name) as scope:
        x = convert_to_tensor(x)
        if x.shape.ndims is None:
            raise ValueError(f"{default_name}: the input's rank must be known when the graph is built")
        axes = list(range(x.shape.ndims)) if axes is None else [axes] if np.ndim(axes) == 0 else list(axes)
        axes = [a % x.shape.ndims for a in axes]
        if all(x.shape[a] is not None for a in axes):
            return df.roll(x, [-(x.shape[a] // 2) if inverse else x.shape[a] // 2 for a in axes], axes, name=scope)
        dims = df.shape(x)
        for a in axes:  # sizes known only in the run: the two parts swapped, split where the roll wraps around
            n = dims[a]
            cut = n // 2 if inverse else n - n // 2
            head = (slice(None),) * a
            x = df.concat([x[head + (slice(cut, None),)], x[head + (slice(None, cut),)]], a)
        return df.identity(x, name=scope)


def fftshift(x, axes=None, name=None):
    """``x`` rolled by half its size along ``axes`` (default: all), moving the zero frequency to the centre."""
    return _shift(x, axes, name, "fftshift", False)


def ifftshift(x, axes=None, name=None):
    """The inverse of ``fftshift``: ``x`` rolled back by half its size along ``axes``."""
    return _shift(x, axes, name, "ifftshift", True)


# -- framing and overlap-add

def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """The frames of ``frame_length`` samples, ``frame_step`` apart, along ``axis`` of ``signal``: that axis becomes
    two, ``[num_frames, frame_length]``. Without ``pad_end`` only whole frames are taken (``1 + (n - frame_length)
    // frame_step``, at least 0); with it the end is padded with ``pad_value`` so that ``ceil(n / frame_step)``
    frames start inside the signal."""
    with name_scope(name, "frame") as scope:
        x = convert_to_tensor(signal, name="signal")
        fl = _static_int(frame_length, "frame_length", "frame")
        fs = _static_int(frame_step, "frame_step", "frame")
        nd = x.shape.ndims
        if nd is None or nd < 1:
            raise ValueError(f"Shape must be at least rank 1 but is rank {nd} for 'signal' of frame")
        axis = int(constant_value(axis))
        if not -nd <= axis < nd:
            raise ValueError(f"axis {axis} is out of range for a signal of rank {nd}")
        axis %= nd
        n = x.shape[axis] if x.shape[axis] is not None else df.shape(x)[axis]
        if pad_end:
            count = -(-n // fs)
            extra = df.maximum(0, fl + fs * (count - 1) - n) if not isinstance(n, int) else max(0, fl + fs * (count - 1)
                                                                                              - n)
            pads = [[0, 0]] * nd
            pads[axis] = [0, extra]
            x = df.pad(x, pads, constant_values=convert_to_tensor(pad_value, dtype=x.dtype))
        else:
            count = max(0, 1 + (n - fl) // fs) if isinstance(n, int) else df.maximum(0, 1 + (n - fl) // fs)
        if isinstance(count, int) and count == 0:  # no whole frame: an empty result of the framed shape
            shape = list(x.shape[:axis]) + [0, fl] + list(x.shape[axis + 1:])
            if None in shape:
                dims = df.shape(x)
                shape = df.concat([dims[:axis], [0, fl], dims[axis + 1:]], 0)
            return df.zeros(shape, x.dtype, name=scope)
        if isinstance(count, int):
            idx = np.arange(count, dtype=np.int32)[:, None] * fs + np.arange(fl, dtype=np.int32)[None, :]
        else:
            idx = df.expand_dims(df.range(count) * fs, 1) + np.arange(fl, dtype=np.int32)[None, :]
        return df.gather(x, idx, axis=axis, name=scope)


def _merge_last(t):
    """``t`` with its last two dims merged into one."""
    s = t.shape
    if s.is_fully_defined():
        return df.reshape(t, list(s)[:-2] + [s[-2] * s[-1]])
    return df.reshape(t, df.concat([df.shape(t)[:-2], [-1]], 0))


def overlap_and_add(signal, frame_step, name=None):
    """The frames ``[..., frames, frame_length]`` of ``signal`` added together, each ``frame_step`` samples after
    the one before: ``[..., (frames - 1) * frame_step + frame_length]``."""
    with name_scope(name, "overlap_and_add") as scope:
        x = convert_to_tensor(signal, name="signal")
        step = constant_value(frame_step)
        if step is not None and np.asarray(step).dtype.kind not in "iu":
            raise ValueError(f"frame_step must be an integer. Got {np.asarray(step).dtype}")
        fs = _static_int(frame_step, "frame_step", "overlap_and_add")
        nd = x.shape.ndims
        if nd is None or nd < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {nd} for 'signal' of overlap_and_add")
        fl = x.shape[-1]
        if fl is None:
            raise ValueError(f"overlap_and_add: the frame length (inner dim of '{x.name}') must be known when the "
                             f"graph is built")
        k = -(-fl // fs)  # each frame spans k steps; pieces j of every frame land j steps further on
        x = df.pad(x, [[0, 0]] * (nd - 1) + [[0, k * fs - fl]]) if k * fs > fl else x
        parts = []
        for j in range(k):
            piece = x[..., j * fs:(j + 1) * fs]
            parts.append(df.pad(piece, [[0, 0]] * (nd - 2) + [[j, k - 1 - j], [0, 0]]))
        total = parts[0] if k == 1 else df.add_n(parts)
        frames = x.shape[-2]
        out = _merge_last(total)
        length = (frames - 1) * fs + fl if frames is not None else (df.shape(x)[-2] - 1) * fs + fl
        return df.identity(out[..., :length], name=scope)


# -- short-time Fourier transforms

def _enclosing_power_of_two(n):
    return int(2 ** np.ceil(np.log2(n))) if n > 0 else 1


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window, pad_end=False, name=None):
    """The short-time Fourier transform of real ``signals`` ``[..., samples]``: ``rfft`` of each windowed frame,
    ``[..., frames, fft_length // 2 + 1]``; ``fft_length`` defaults to the smallest power of 2 enclosing
    ``frame_length``, ``window_fn(frame_length, dtype=...)`` to a periodic Hann window (None: no window)."""
    with name_scope(name, "stft"):
        x = convert_to_tensor(signals, name="signals")
        fl = _static_int(frame_length, "frame_length", "stft")
        n = _enclosing_power_of_two(fl) if fft_length is None else _static_int(fft_length, "fft_length", "stft")
        frames = frame(x, fl, frame_step, pad_end=pad_end)
        if window_fn is not None:
            frames = frames * window_fn(fl, dtype=frames.dtype)
        return rfft(frames, [n])


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window function for ``inverse_stft`` undoing ``stft`` with ``forward_window_fn``: the forward window
    divided by the sum of the squared forward windows overlapping each sample (0 where that sum is 0)."""
    def window_fn(frame_length, dtype):
        with name_scope(name, "inverse_stft_window_fn"):
            fs = _static_int(frame_step, "frame_step", "inverse_stft_window_fn")
            fl = _static_int(frame_length, "frame_length", "inverse_stft_window_fn")
            w = forward_window_fn(fl, dtype=dtype)
            overlaps = -(-fl // fs)
            sq = df.reshape(df.pad(df.square(w), [[0, overlaps * fs - fl]]), [overlaps, fs])
            denom = df.reshape(df.tile(df.reduce_sum(sq, 0, keepdims=True), [overlaps, 1]), [overlaps * fs])[:fl]
            zero = df.equal(denom, 0.0)
            return df.where_v2(zero, df.zeros_like(w), w / df.where_v2(zero, df.ones_like(denom), denom))
    return window_fn


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window, name=None):
    """The signals ``[..., samples]`` whose ``stft`` is ``stfts`` ``[..., frames, fft_length // 2 + 1]``:
    ``irfft`` of each frame, cut or padded to ``frame_length``, times ``window_fn(frame_length, dtype=...)``, then
    overlap-added ``frame_step`` apart. For perfect reconstruction use ``inverse_stft_window_fn``."""
    with name_scope(name, "inverse_stft"):
        x = convert_to_tensor(stfts, name="stfts")
        if x.shape.ndims is not None and x.shape.ndims < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {x.shape.ndims} for 'stfts' of inverse_stft")
        fl = _static_int(frame_length, "frame_length", "inverse_stft")
        n = _enclosing_power_of_two(fl) if fft_length is None else _static_int(fft_length, "fft_length",
                                                                               "inverse_stft")
        frames = irfft(x, [n])
        if n > fl:
            frames = frames[..., :fl]
        elif n < fl:
            frames = df.pad(frames, [[0, 0]] * (frames.shape.ndims - 1) + [[0, fl - n]])
        if window_fn is not None:
            frames = frames * window_fn(fl, dtype=frames.dtype)
        return overlap_and_add(frames, frame_step)


# -- modified discrete cosine transforms

def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """The modified DCT of real ``signals`` ``[..., samples]``: frames of ``frame_length`` (a multiple of 4) samples,
    half a frame apart, windowed by ``window_fn`` (None: a flat ``1 / sqrt(2)``), folded to half length and
    transformed by a type IV DCT (``norm`` as ``dct``): ``[..., frames, frame_length // 2]``."""
    with name_scope(name, "mdct"):
        x = convert_to_tensor(signals, name="signals")
        fl = _static_int(frame_length, "frame_length", "mdct")
        if fl % 4 != 0:
            raise ValueError("The frame length must be a multiple of 4.")
        frames = frame(x, fl, fl // 2, pad_end=pad_end)
        frames = frames * (window_fn(fl, dtype=frames.dtype) if window_fn is not None else float(1 / np.sqrt(2)))
        q = fl // 4
        a, b, c, d = (frames[..., i * q:(i + 1) * q] for i in range(4))
        folded = df.concat([-df.reverse(c, [-1]) - d, a - df.reverse(b, [-1])], -1)
        return dct(folded, type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """The signals whose ``mdct`` is ``mdcts`` ``[..., frames, frame_length // 2]``: a type IV DCT of each frame
    (scaled ``1 / frame_length`` without ``norm``), unfolded to full length, windowed and overlap-added half a
    frame apart. With the same (power-complementary) window as ``mdct`` this reconstructs the signal."""
    with name_scope(name, "inverse_mdct"):
        x = convert_to_tensor(mdcts, name="mdcts")
        if x.shape.ndims is None or x.shape.ndims < 2 or x.shape[-1] is None:
            raise ValueError(f"inverse_mdct: mdcts must have rank at least 2 and a known inner dim, got {x.shape}")
        half = x.shape[-1]
        y = dct(x, type=4, norm="ortho") if norm == "ortho" else dct(x, type=4) * float(0.5 / half)
        p, q = y[..., :half // 2], y[..., half // 2:]
        frames = df.concat([q, -df.reverse(q, [-1]), -df.reverse(p, [-1]), -p], -1)
        frames = frames * (window_fn(2 * half, dtype=frames.dtype) if window_fn is not None
                           else float(1 / np.sqrt(2)))
        return overlap_and_add(frames, half)
