"""Per-task kernels of the summary ops: each turns the (already reduced) values of its inputs into a serialized
``Summary`` protobuf, held as a 0-d string array, as TF1's summary kernels do.

- ``histogram_*``: TF's histogram (``tensorflow/core/lib/histogram``): counts in buckets whose edges grow by 10% from
  1e-12 to 1e20 each side of zero, computed per chunk and summed, then written with runs of empty buckets merged.
- ``image``: each image scaled to uint8 as TF's ``ImageSummary`` does for floats, and encoded as PNG with Pillow.
- ``audio``: 16-bit PCM WAV of float samples in [-1, 1], written with Python's ``wave`` module.
- ``scalar``, ``tensor``, ``merge``: a ``simple_value``, a ``TensorProto`` value, and a union of summaries.

The messages are TF's own, from the ``tensorboard`` package (daskflow's extra ``tf``).
"""
import functools
import io
import sys
import types
import wave

import numpy as np

from .. import backend, errors

__all__ = ["pb", "bucket_limits", "histogram_chunk", "histogram_combine", "histogram_aggregate", "histogram_proto",
           "scalar", "image", "to_uint8", "audio", "tensor", "merge"]

DBL_MAX = sys.float_info.max


@functools.cache
def pb():
    """TF's summary and event protobuf modules, from the tensorboard package."""
    try:
        from tensorboard.compat.proto import config_pb2, event_pb2, histogram_pb2, summary_pb2
    except ImportError as e:
        raise ImportError("summaries need TensorFlow's protobuf messages from the tensorboard package: "
                          "pip install 'daskflow[tf]'") from e
    return types.SimpleNamespace(summary=summary_pb2, event=event_pb2, histogram=histogram_pb2, config=config_pb2)


def _host(x):
    return x.get() if backend.is_gpu(x) else np.asarray(x)


def _bytes(summary):
    return np.array(summary.SerializeToString(), dtype=object)


def _fail(where, message):
    raise errors.InvalidArgumentError(None, None, f"{message} [op {where}]")


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- histogram

@functools.cache
def bucket_limits():
    """The right edges of TF's default histogram buckets: -DBL_MAX, the negated edges, 0, then edges from 1e-12
    growing by 10% (multiplied in doubles, as TF builds them) while below 1e20, then DBL_MAX."""
    edges, v = [], 1.0e-12
    while v < 1.0e20:
        edges.append(v)
        v *= 1.1
    edges.append(DBL_MAX)
    return np.array([-e for e in reversed(edges)] + [0.0] + edges)


def histogram_chunk(x, axis=None, keepdims=None, name="", where="", computing_meta=False):
    """Bucket counts (a bucket holds values below its edge and at or above the previous one), min, max, count,
    sum and sum of squares of one chunk, in doubles; a NaN or infinity raises as in TF."""
    if computing_meta:
        return x
    m = backend.xp(x)
    v = m.ravel(x).astype(m.float64)
    finite = m.isfinite(v)
    if not bool(finite.all()):
        bad = float(v[int(m.argmin(finite))])  # TF stops at the first value that is not finite
        _fail(where, f"Nan in summary histogram for: {name}" if bad != bad else f"Infinity in Histogram for: {name}")
    limits = m.asarray(bucket_limits())
    counts = m.bincount(m.searchsorted(limits, v, side="right"), minlength=len(limits)).astype(m.float64)
    empty = v.size == 0
    return {"counts": _host(counts), "num": float(v.size), "min": DBL_MAX if empty else float(v.min()),
            "max": -DBL_MAX if empty else float(v.max()), "sum": float(v.sum()), "sum_squares": float((v * v).sum())}


def _parts(parts):
    if isinstance(parts, dict):
        return [parts]
    return [p for part in parts for p in _parts(part)]


def histogram_combine(parts, axis=None, keepdims=None):
    """The statistics of several chunks' statistics (nested lists of them, as dask's tree reduction hands them)."""
    ps = _parts(parts)
    return {"counts": sum(p["counts"] for p in ps), "num": sum(p["num"] for p in ps),
            "min": min(p["min"] for p in ps), "max": max(p["max"] for p in ps), "sum": sum(p["sum"] for p in ps),
            "sum_squares": sum(p["sum_squares"] for p in ps)}


def histogram_proto(stats):
    """A ``HistogramProto`` of the statistics, each run of empty buckets written as one bucket (TF's encoding)."""
    limits, counts = bucket_limits(), stats["counts"]
    h = pb().histogram.HistogramProto(min=stats["min"], max=stats["max"], num=stats["num"], sum=stats["sum"],
                                      sum_squares=stats["sum_squares"])
    i, n = 0, len(limits)
    while i < n:
        end, count = limits[i], counts[i]
        i += 1
        if count <= 0:
            while i < n and counts[i] <= 0:
                end = limits[i]
                i += 1
        h.bucket_limit.append(float(end))
        h.bucket.append(float(count))
    return h


def histogram_aggregate(parts, axis=None, keepdims=None, tag=""):
    s = pb().summary.Summary()
    s.value.add(tag=tag).histo.CopyFrom(histogram_proto(histogram_combine(parts)))
    return _bytes(s)


# -- scalar, tensor, merge

def scalar(x, tag, where):
    """``tag`` with the single value of ``x`` as a float32 ``simple_value``."""
    x = _host(x)
    if x.shape != ():
        _fail(where, f"tags and values are not the same shape: [] != {_dims(x.shape)} (tag '{tag}')")
    s = pb().summary.Summary()
    s.value.add(tag=tag, simple_value=float(np.float32(x[()])))
    return _bytes(s)


def tensor(x, tag, metadata):
    """``tag`` with all of ``x`` as a ``TensorProto`` and ``metadata`` (a serialized ``SummaryMetadata``)."""
    from ..graph_def import tensor_proto
    s = pb().summary.Summary()
    v = s.value.add(tag=tag)
    v.metadata.SetInParent()
    v.metadata.MergeFromString(metadata)
    v.tensor.CopyFrom(tensor_proto(_host(x)))
    return _bytes(s)


def merge(*blocks, where):
    """The values of every summary in ``blocks`` (string arrays of serialized summaries) in one summary; a tag
    given twice, or a string that is not a summary, raises as in TF."""
    summary_pb2, out, tags = pb().summary, pb().summary.Summary(), set()
    from google.protobuf.message import DecodeError
    for b in blocks:
        for text in np.asarray(b, dtype=object).ravel():
            try:
                s = summary_pb2.Summary.FromString(text)
            except DecodeError:
                _fail(where, "Could not parse one of the summary inputs")
            for v in s.value:
                if v.tag and v.tag in tags:
                    _fail(where, f"Duplicate tag {v.tag} found in summary inputs ")
                tags.add(v.tag)
                out.value.append(v)
    return _bytes(out)


# -- images

def to_uint8(img, bad_color):
    """One float image [h, w, depth] as uint8, as TF's ``ImageSummary`` scales it: by 255/max when no finite value
    is negative, else by 127/max|value| around 128 (scales computed in float32, applied in the image's dtype, then
    truncated); pixels with a value that is not finite are ``bad_color``."""
    h, w, depth = img.shape
    flat = img.reshape(h * w, depth)
    finite = np.isfinite(flat).all(axis=1)
    good = flat[finite]
    vals = good.astype(np.float32)
    lo = vals.min() if vals.size else np.float32(np.inf)
    hi = vals.max() if vals.size else np.float32(-np.inf)
    t, tiny = img.dtype.type, 1e-6
    if lo < 0:
        biggest = max(abs(lo), abs(hi))
        scale, offset = (0.0 if biggest < tiny else np.float32(127) / biggest), 128.0
    else:
        scale, offset = (0.0 if hi < tiny else np.float32(255) / hi), 0.0
    out = np.empty((h * w, depth), dtype=np.uint8)
    out[finite] = (good * t(np.float32(scale)) + t(offset)).astype(np.uint8)
    out[~finite] = np.asarray(bad_color[:depth], dtype=np.uint8)
    return out.reshape(h, w, depth)


def _png(img):
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(img[:, :, 0] if img.shape[2] == 1 else img).save(buf, format="PNG")
    return buf.getvalue()


def image(x, tag, max_images, bad_color, where):
    """The first ``max_images`` images of ``x`` [batch, h, w, 1|3|4] as PNG ``Summary.Image`` values, tagged
    ``tag/image`` (``max_images`` 1) or ``tag/image/<i>``."""
    x = _host(x)
    if x.ndim != 4 or x.shape[3] not in (1, 3, 4):
        _fail(where, f"Tensor must be 4-D with last dim 1, 3, or 4, not {_dims(x.shape)}")
    s = pb().summary.Summary()
    if x.shape[0] and not x.shape[1] * x.shape[2]:
        _fail(where, f"input tensor must have non-zero dims. Found: [{', '.join(map(str, x.shape))}].")
    for i in range(min(max_images, x.shape[0])):
        img = x[i] if x.dtype == np.uint8 else to_uint8(x[i], bad_color)
        v = s.value.add(tag=f"{tag}/image/{i}" if max_images > 1 else f"{tag}/image")
        v.image.height, v.image.width, v.image.colorspace = img.shape
        v.image.encoded_image_string = _png(img)
    return _bytes(s)


# -- audio

def _pcm16(samples):
    """float32 samples as 16-bit PCM: times 32768, rounded half away from zero, clamped (TF's wav encoder)."""
    scaled = (samples * np.float32(32768.0)).astype(np.float64)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return np.clip(rounded, -32768, 32767).astype("<i2")


def _wav(samples, rate):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(int(rate))  # the header holds whole samples per second: TF truncates
        f.writeframes(_pcm16(samples).tobytes())
    return buf.getvalue()


def audio(x, sample_rate, tag, max_outputs, where):
    """The first ``max_outputs`` clips of ``x`` [batch, frames] or [batch, frames, channels] as WAV
    ``Summary.Audio`` values, tagged ``tag/audio`` (``max_outputs`` 1) or ``tag/audio/<i>``."""
    x, rate = _host(x), float(_host(sample_rate))
    if x.ndim not in (2, 3):
        _fail(where, f"Tensor must be 3-D or 2-D, got: {_dims(x.shape)}")
    if not rate > 0:
        _fail(where, "sample_rate must be > 0")
    frames, channels = x.shape[1], 1 if x.ndim == 2 else x.shape[2]
    s = pb().summary.Summary()
    for i in range(min(max_outputs, x.shape[0])):
        v = s.value.add(tag=f"{tag}/audio/{i}" if max_outputs > 1 else f"{tag}/audio")
        a = v.audio
        a.sample_rate, a.num_channels, a.length_frames, a.content_type = rate, channels, frames, "audio/wav"
        a.encoded_audio_string = _wav(x[i].reshape(frames, channels), rate)
    return _bytes(s)
