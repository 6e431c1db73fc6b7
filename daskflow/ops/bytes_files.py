"""Files and clocks: read_file, write_file, matching_files, timestamp; WAV audio (decode_wav, encode_wav)."""
import glob
import io
import os
import time
import wave

import dask.array as da
import numpy as np

from .. import dtypes, errors
from .registry import NOT_DIFFERENTIABLE, apply, apply1, convert_to_tensor, register, tuple_outputs
from .strings_map import check_strings, meta, refuse, where, whole

__all__ = ["read_file", "write_file", "matching_files", "timestamp", "decode_wav", "encode_wav"]


def _scalar_string_infer(op):
    check_strings(op, op.inputs)
    for t in op.inputs:
        if t.shape.ndims not in (None, 0):
            refuse(op, f"Shape must be rank 0 but is rank {t.shape.ndims}", ValueError)


def _read(name, where_):
    path = np.asarray(name)[()].decode("utf-8")
    try:
        with open(path, "rb") as f:
            return np.array(f.read(), dtype=object)
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory {where_}") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}; Is a directory {where_}") from None


@register("ReadFile")
class ReadFile:
    strings = True
    stateful = True  # the file may change between runs
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _scalar_string_infer(op)
        return [((), dtypes.string)]

    def lower(op, name):
        return name.map_blocks(_read, where_=where(op), dtype=dtypes.string, meta=meta(dtypes.string, 0))


def read_file(filename, name=None):
    """The contents of the file ``filename`` (a scalar string), as a scalar string (TF's ``io.read_file``); a
    missing file is a ``NotFoundError`` when the op runs."""
    return apply1("ReadFile", [filename], {}, name=name or "ReadFile")


def _write(name, contents):
    path = np.asarray(name)[()].decode("utf-8")
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb") as f:
        f.write(np.asarray(contents)[()])
    return np.array(b"", dtype=object)


@register("WriteFile")
class WriteFile:
    strings = True
    stateful = True
    side_effect = True
    grad = NOT_DIFFERENTIABLE

    # TF's WriteFile has no output; this one gives an empty string, so that a run can force it like any effect
    def infer(op):
        _scalar_string_infer(op)
        return [((), dtypes.string)]

    def lower(op, name, contents):
        return da.map_blocks(_write, name, contents, dtype=dtypes.string, meta=meta(dtypes.string, 0))


def write_file(filename, contents, name=None):
    """An op that writes ``contents`` (a scalar string) to the file ``filename`` when it runs, making the folders it
    needs (TF's ``io.write_file``). Run it, or make it a control dependency."""
    return apply("WriteFile", [filename, contents], {}, name=name or "WriteFile")[0].op


def _match(patterns):
    found = set()
    for p in np.asarray(patterns).reshape(-1):
        found.update(glob.glob(p.decode("utf-8")))
    out = np.empty(len(found), dtype=object)
    out[:] = [f.encode("utf-8") for f in sorted(found)]
    return out


@register("MatchingFiles")
class MatchingFiles:
    strings = True
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        p = op.inputs[0]
        check_strings(op, [p], "pattern")
        if p.shape.ndims is not None and p.shape.ndims > 1:
            refuse(op, f"Shape must be at most rank 1 but is rank {p.shape.ndims}", ValueError)
        return [((None,), dtypes.string)]

    def lower(op, p):
        one = whole(p)
        return da.blockwise(_match, ("f",), one, tuple(f"p{d}" for d in range(p.ndim)), concatenate=True,
                            new_axes={"f": np.nan}, dtype=dtypes.string, meta=meta(dtypes.string, 1))


def matching_files(pattern, name=None):
    """The sorted names of the files matching the glob ``pattern`` (a string or a vector of them), as a vector of
    strings whose length is known when the op runs (TF's ``io.matching_files``)."""
    return apply1("MatchingFiles", [pattern], {}, name=name or "MatchingFiles")


def _now():
    return np.array(time.time(), dtype=np.float64)


@register("Timestamp")
class Timestamp:
    stateful = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [((), dtypes.float64)]

    def lower(op):
        import dask
        return da.from_delayed(dask.delayed(_now, pure=False)(), (), dtype=np.float64, meta=meta(np.float64, 0))


def timestamp(name=None):
    """The time when the op runs, in seconds since the Unix epoch, as a float64 scalar (TF's ``timestamp``)."""
    return apply1("Timestamp", [], {}, name=name or "Timestamp")


# -- WAV audio: 16-bit PCM, samples scaled to [-1, 1)

def _decode_wav(contents, channels, samples, where_):
    try:
        with wave.open(io.BytesIO(np.asarray(contents)[()]), "rb") as w:
            if w.getsampwidth() != 2:
                raise errors.UnimplementedError(None, None, f"Can only read 16-bit WAV files, but received "
                                                            f"{8 * w.getsampwidth()} {where_}")
            rate, have = w.getframerate(), w.getnchannels()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, have)
    except EOFError:
        raise errors.InvalidArgumentError(None, None, f"Data too short when trying to read string {where_}") from None
    except wave.Error as e:
        raise errors.InvalidArgumentError(None, None, f"Bad WAV data: {e} {where_}") from None
    audio = pcm.astype(np.float32) / 32768.0
    if channels > 0:
        audio = np.repeat(audio[:, :1], channels, 1) if have == 1 else audio[:, :channels]
        if audio.shape[1] < channels:
            raise errors.InvalidArgumentError(None, None, f"desired_channels {channels} is more than the "
                                                          f"{have} channels of the file {where_}")
    if samples > 0:
        audio = np.concatenate([audio[:samples], np.zeros((max(0, samples - len(audio)), audio.shape[1]),
                                                          np.float32)])
    return audio, np.array(rate, dtype=np.int32)


@register("DecodeWav")
class DecodeWav:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        _scalar_string_infer(op)
        a = op.attrs
        return [((a["desired_samples"] if a["desired_samples"] > 0 else None,
                  a["desired_channels"] if a["desired_channels"] > 0 else None), dtypes.float32),
                ((), dtypes.int32)]

    def lower(op, contents):
        a = op.attrs
        packed = contents.map_blocks(_decode_wav, channels=a["desired_channels"], samples=a["desired_samples"],
                                     where_=where(op), dtype=object, meta=meta(object, 0))
        rows = (a["desired_samples"],) if a["desired_samples"] > 0 else (np.nan,)
        cols = (a["desired_channels"],) if a["desired_channels"] > 0 else (np.nan,)
        return tuple_outputs(packed, [(rows, cols), ()], [meta(np.float32, 2), meta(np.int32, 0)], "decode-wav")


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """The samples of a 16-bit PCM WAV file held in ``contents`` (a scalar string), as float32 in [-1, 1) of shape
    ``[samples, channels]``, and its sample rate (int32) (TF's ``audio.decode_wav``). ``desired_channels`` keeps the
    first channels (a mono file is repeated); ``desired_samples`` cuts or pads with zeros."""
    from collections import namedtuple
    attrs = {"desired_channels": int(desired_channels), "desired_samples": int(desired_samples)}
    audio, rate = apply("DecodeWav", [contents], attrs, name=name or "DecodeWav")
    return namedtuple("DecodeWav", ["audio", "sample_rate"])(audio, rate)


def _encode_wav(audio, rate):
    scaled = np.clip(np.asarray(audio, np.float64) * 32768.0, -32768, 32767)
    pcm = np.trunc(scaled + np.copysign(0.5, scaled)).clip(-32768, 32767).astype("<i2")  # rounds half away from 0
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(audio.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(np.asarray(rate)[()]))
        w.writeframes(pcm.tobytes())
    return np.array(buf.getvalue(), dtype=object)


@register("EncodeWav")
class EncodeWav:
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        audio, rate = op.inputs
        if audio.dtype != dtypes.float32:
            refuse(op, f"audio must be float32, got '{audio.name}' of dtype {dtypes.name(audio.dtype)}", TypeError)
        if audio.shape.ndims not in (None, 2):
            refuse(op, f"Shape must be rank 2 but is rank {audio.shape.ndims}", ValueError)
        if rate.shape.ndims not in (None, 0):
            refuse(op, f"Shape must be rank 0 but is rank {rate.shape.ndims}", ValueError)
        return [((), dtypes.string)]

    def lower(op, audio, rate):
        return da.blockwise(_encode_wav, (), whole(audio), ("s", "c"), rate, (), concatenate=True,
                            dtype=dtypes.string, meta=meta(dtypes.string, 0))


def encode_wav(audio, sample_rate, name=None):
    """``audio`` (float32 ``[samples, channels]`` in [-1, 1], clipped) as the bytes of a 16-bit PCM WAV file at
    ``sample_rate`` (int32) (TF's ``audio.encode_wav``)."""
    a = convert_to_tensor(audio, dtype_hint=dtypes.float32)
    rate = convert_to_tensor(sample_rate, dtype=dtypes.int32)
    return apply1("EncodeWav", [a, rate], {}, name=name or "EncodeWav")
