"""The summary ops (TF1's ``tf.summary.scalar``, ``histogram``, ``image``, ``audio``, ``text``, ``tensor_summary``,
``merge``, ``merge_all``): graph ops whose output is a scalar string holding a serialized ``Summary`` protobuf.

Each op reduces its input to what the summary needs before anything reaches one task: a histogram sums per-chunk
bucket counts and moments in a tree, an image or audio summary takes only its first ``max_outputs`` entries, so a
summary of a big chunked tensor never gathers it. Tags follow TF1: the op's name scope, with ``family`` in front
when given; the ops are added to the ``summaries`` collection (``GraphKeys.SUMMARIES``).
"""
import contextlib
import functools
import re

import dask.array as da
import numpy as np
from dask.base import tokenize

from .. import dtypes, errors, planner
from ..graph import Tensor, get_default_graph
from ..ops.hostvalue import known_dims
from ..ops.registry import NOT_DIFFERENTIABLE, apply1, convert_to_tensor, fail, register
from . import kernels

__all__ = ["scalar", "histogram", "image", "audio", "text", "tensor_summary", "merge", "merge_all",
           "all_v2_summary_ops", "get_summary_description"]

SUMMARIES = "summaries"            # GraphKeys.SUMMARIES
SUMMARIES_V2 = "_SUMMARY_V2"       # the collection TF's v2 summary ops join in graph mode
_REAL = ("float32", "float64", "int32", "uint8", "int16", "int8", "int64", "bfloat16", "uint16", "float16", "uint32",
         "uint64")
_IMAGE = ("uint8", "float32", "float16", "float64")
_BAD_COLOR = (255, 0, 0, 255)      # TF's colour for pixels that are not finite: opaque red
_INVALID_TAG = re.compile(r"[^-/\w.]")


def _meta():
    return np.empty((), dtype=dtypes.string)


def _where(op):
    return f"{errors.describe(op)} built at {op.where()}"


def _key(op, *xs):
    return f"{op.type.lower()}-{op.name}-{tokenize([x.name for x in xs], op.attrs)}"


def _whole(op, kernel, xs, **kwargs):
    """One task computing ``kernel(*blocks, **kwargs)`` from each of ``xs`` in one block: a 0-d string array."""
    args = [a for i, x in enumerate(xs) for a in (x, tuple(f"{i}.{d}" for d in range(x.ndim)))]
    return da.blockwise(kernel, (), *args, concatenate=True, dtype=dtypes.string, meta=_meta(), name=_key(op, *xs),
                        **kwargs)


def _whole_bytes(op, xs, outs):
    """A task holding every input whole, and as much again for what it writes."""
    return sum(planner.block_bytes(x, whole=tuple(range(x.ndim))) for x in xs) * 2 + 1024


def _first_bytes(op, xs, outs):
    """The same for ops that take only the first ``max_images``/``max_outputs`` entries of their first input."""
    x, n = xs[0], op.attrs.get("max_images", op.attrs.get("max_outputs"))
    rows = x.shape[0] if x.ndim else 1
    whole = planner.block_bytes(x, whole=tuple(range(x.ndim)))
    part = whole if not rows or rows != rows else whole * min(n, rows) // rows  # rows != rows: unknown (nan)
    return 2 * part + sum(planner.block_bytes(r) for r in xs[1:]) + 1024


def _check_dtype(op, x, allowed, param):
    if dtypes.name(x.dtype) not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {dtypes.name(x.dtype)} not in list of "
                        f"allowed values: {', '.join(allowed)} [op '{op.name}' (type {op.type}) built at "
                        f"{op.where()}]")


def _dims(shape):
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


class _Summary:
    strings = True
    grad = NOT_DIFFERENTIABLE


@register("ScalarSummary")
class ScalarSummary(_Summary):
    def infer(op):
        x = op.inputs[0]
        _check_dtype(op, x, _REAL, "values")
        if x.shape.ndims:
            fail(op, f"tags and values are not the same shape: [] != {_dims(x.shape)} (tag '{op.attrs['tag']}')")
        return [((), dtypes.string)]

    def lower(op, x):
        return _whole(op, kernels.scalar, [x], tag=op.attrs["tag"], where=_where(op))


@register("HistogramSummary")
class HistogramSummary(_Summary):
    scratch = 4  # a chunk as doubles, its bucket indices, and their counts

    def infer(op):
        _check_dtype(op, op.inputs[0], _REAL, "values")
        return [((), dtypes.string)]

    def lower(op, x):
        x = x.reshape(1) if x.ndim == 0 else x
        chunk = functools.partial(kernels.histogram_chunk, name=op.name, where=_where(op))
        total = functools.partial(kernels.histogram_aggregate, tag=op.attrs["tag"])
        return da.reduction(x, chunk, total, combine=kernels.histogram_combine, axis=tuple(range(x.ndim)),
                            keepdims=False, dtype=dtypes.string, concatenate=False, meta=_meta(), name=_key(op, x))


def _check_image_shape(op, shape):
    if shape is None:
        return
    if len(shape) != 4 or shape[3] not in (1, 3, 4, None):
        fail(op, f"Tensor must be 4-D with last dim 1, 3, or 4, not {_dims(shape)}")


@register("ImageSummary")
class ImageSummary(_Summary):
    footprint = _first_bytes

    def infer(op):
        x = op.inputs[0]
        _check_dtype(op, x, _IMAGE, "tensor")
        _check_image_shape(op, None if x.shape.ndims is None else tuple(x.shape))
        return [((), dtypes.string)]

    def lower(op, x):
        _check_image_shape(op, known_dims(x.shape))
        n = op.attrs["max_images"]
        return _whole(op, kernels.image, [x[:n]], tag=op.attrs["tag"], max_images=n,
                      bad_color=op.attrs["bad_color"], where=_where(op))


def _check_audio_shape(op, shape):
    if shape is not None and len(shape) not in (2, 3):
        fail(op, f"Tensor must be 3-D or 2-D, got: {_dims(shape)}")


@register("AudioSummaryV2")
class AudioSummaryV2(_Summary):
    footprint = _first_bytes

    def infer(op):
        x, rate = op.inputs
        for t, what in ((x, "tensor"), (rate, "sample_rate")):
            if t.dtype != dtypes.float32:
                raise TypeError(f"Input '{what}' of 'AudioSummaryV2' Op has type {dtypes.name(t.dtype)} that does not "
                                f"match expected type of float32. [op '{op.name}' built at {op.where()}]")
        _check_audio_shape(op, None if x.shape.ndims is None else tuple(x.shape))
        if rate.shape.ndims:
            fail(op, f"sample_rate must be a scalar, got '{rate.name}' of shape {rate.shape}")
        return [((), dtypes.string)]

    def lower(op, x, rate):
        _check_audio_shape(op, known_dims(x.shape))
        n = op.attrs["max_outputs"]
        return _whole(op, kernels.audio, [x[:n], rate], tag=op.attrs["tag"], max_outputs=n, where=_where(op))


@register("TensorSummaryV2")
class TensorSummaryV2(_Summary):
    footprint = _whole_bytes

    def infer(op):
        return [((), dtypes.string)]

    def lower(op, x):
        return _whole(op, kernels.tensor, [x], tag=op.attrs["tag"], metadata=op.attrs["metadata"])


@register("MergeSummary")
class MergeSummary(_Summary):
    footprint = _whole_bytes

    def infer(op):
        bad = [dtypes.name(t.dtype) for t in op.inputs if not dtypes.is_string(t.dtype)]
        if bad:
            raise TypeError(f"Tensors in list passed to 'inputs' of 'MergeSummary' Op have types [{', '.join(bad)}] "
                            f"that do not match expected type string. [op '{op.name}' built at {op.where()}]")
        return [((), dtypes.string)]

    def lower(op, *xs):
        return _whole(op, kernels.merge, xs, where=_where(op))


# -- building

def _clean_tag(name):
    """``name`` with characters TF does not allow in tags replaced by "_" and leading slashes dropped."""
    return None if name is None else _INVALID_TAG.sub("_", name).lstrip("/")


@contextlib.contextmanager
def _summary_scope(name, family):
    """The name scope of a summary op and its tag: the scope's name, with ``family/`` in front when given (the
    scope itself is ``family/name``, so tags stay unique)."""
    name, family = _clean_tag(name), _clean_tag(family)
    with get_default_graph().name_scope(name if family is None else f"{family}/{name}") as scope:
        base = scope.rstrip("/")
        yield (base if family is None else f"{family}/{base}"), scope


def _collect(t, collections, default):
    for key in default if collections is None else collections:
        t.graph.add_to_collection(key, t)
    return t


def _summary(type_name, name, inputs, attrs, collections, family):
    with _summary_scope(name, family) as (tag, scope):
        return _collect(apply1(type_name, inputs, {"tag": tag, **attrs}, name=scope), collections, [SUMMARIES])


def scalar(name, tensor, collections=None, family=None):
    """A summary of one real number (TF1's ``tf.summary.scalar``): a scalar string tensor holding a serialized
    ``Summary`` with the value as a float32 ``simple_value``.

    Parameters
    ----------
    name : str
        The op's name and the tag (after the enclosing name scopes); characters other than letters, digits, "_",
        "-", "." and "/" become "_".
    tensor : Tensor or number
        A scalar of a real dtype.
    collections : list of str, optional
        Graph collections the summary is added to (default ``[GraphKeys.SUMMARIES]``).
    family : str, optional
        Prefixed to the tag and the op's name (a tab of its own in TensorBoard).

    Returns
    -------
    Tensor
        A scalar of dtype string.

    Examples
    --------
    >>> import daskflow as df
    >>> s = df.summary.scalar("loss", df.constant(0.5))
    >>> with df.Session() as sess:
    ...     df.summary.Summary.FromString(sess.run(s)).value[0].simple_value
    0.5
    """
    return _summary("ScalarSummary", name, [convert_to_tensor(tensor)], {}, collections, family)


def histogram(name, values, collections=None, family=None):
    """A histogram of ``values`` (any shape, real dtype) as TF1's ``tf.summary.histogram``: a ``HistogramProto``
    with min, max, count, sum, sum of squares and counts in TF's exponential buckets. It is computed chunk by chunk
    and summed, so the values are never gathered. A NaN or infinity fails the run with ``InvalidArgumentError``."""
    return _summary("HistogramSummary", name, [convert_to_tensor(values)], {}, collections, family)


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """PNG images of the first ``max_outputs`` entries of ``tensor`` [batch, height, width, channels] (1: grey,
    3: RGB, 4: RGBA) as TF1's ``tf.summary.image``, tagged ``<tag>/image/<i>`` (``<tag>/image`` when
    ``max_outputs`` is 1). uint8 values are used as they are; floats are scaled per image to [0, 255] by
    255/max, or by 127/max|value| around 128 when any is negative; pixels that are not finite show red."""
    if int(max_outputs) < 1:
        raise ValueError(f"Attr 'max_images' of 'ImageSummary' Op passed {int(max_outputs)} less than minimum 1.")
    attrs = {"max_images": int(max_outputs), "bad_color": _BAD_COLOR}
    return _summary("ImageSummary", name, [convert_to_tensor(tensor)], attrs, collections, family)


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """WAV clips of the first ``max_outputs`` entries of ``tensor`` (float32 [batch, frames] or [batch, frames,
    channels], samples in [-1, 1], written as 16-bit PCM) as TF1's ``tf.summary.audio``, tagged
    ``<tag>/audio/<i>`` (``<tag>/audio`` when ``max_outputs`` is 1); ``sample_rate`` in Hz, a float32 scalar."""
    if int(max_outputs) < 1:
        raise ValueError(f"Attr 'max_outputs' of 'AudioSummaryV2' Op passed {int(max_outputs)} less than minimum 1.")
    x = tensor if isinstance(tensor, Tensor) or hasattr(tensor, "_as_tensor") else \
        convert_to_tensor(tensor, dtype=dtypes.float32)
    with _summary_scope(name, family) as (tag, scope):
        rate = convert_to_tensor(sample_rate, dtype=dtypes.float32, name="sample_rate")
        out = apply1("AudioSummaryV2", [x, rate], {"tag": tag, "max_outputs": int(max_outputs)}, name=scope)
    return _collect(out, collections, [SUMMARIES])


def tensor_summary(name, tensor, summary_description=None, collections=None, summary_metadata=None, family=None,
                   display_name=None):
    """All of ``tensor`` (any dtype and shape) as a ``TensorProto`` summary value (TF1's
    ``tf.summary.tensor_summary``), with ``summary_metadata`` (a ``SummaryMetadata``; its ``display_name`` and
    ``summary_description`` set from the arguments when given)."""
    md = kernels.pb().summary.SummaryMetadata()
    if summary_metadata is not None:
        md.CopyFrom(summary_metadata)
    if summary_description is not None:
        md.summary_description = summary_description
    if display_name is not None:
        md.display_name = display_name
    attrs = {"metadata": md.SerializeToString()}
    return _summary("TensorSummaryV2", name, [convert_to_tensor(tensor)], attrs, collections, family)


def text(name, tensor, collections=None):
    """A string tensor as a text summary (TF1's ``tf.summary.text``): a tensor summary whose metadata names
    TensorBoard's text plugin."""
    t = convert_to_tensor(tensor)
    if not dtypes.is_string(t.dtype):
        raise ValueError(f"Expected tensor {t.name} to have dtype string, got <dtype: '{dtypes.name(t.dtype)}'>")
    md = kernels.pb().summary.SummaryMetadata()
    md.plugin_data.plugin_name = "text"
    return tensor_summary(name, t, collections=collections, summary_metadata=md)


def merge(inputs, collections=None, name=None):
    """One summary holding the values of every summary in ``inputs`` (string tensors of serialized summaries, any
    shape), as TF1's ``tf.summary.merge``; a tag found twice fails the run with ``InvalidArgumentError``. Added to
    ``collections`` when given."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("List argument 'inputs' to 'MergeSummary' Op with length 0 shorter than minimum length 1.")
    with get_default_graph().name_scope(name or "Merge"):
        out = apply1("MergeSummary", inputs, name=name or "MergeSummary")
    return _collect(out, collections, [])


def merge_all(key=SUMMARIES, scope=None, name=None):
    """``merge`` of the summaries in collection ``key`` (those whose names match the regular expression ``scope``
    from their start, when given); None when there are none (TF1's ``tf.summary.merge_all``)."""
    found = get_default_graph().get_collection(key, scope=scope)
    return merge(found, name=name) if found else None


def all_v2_summary_ops():
    """The v2 summary ops of the default graph (TF's ``_SUMMARY_V2`` collection): daskflow builds only TF1's
    summaries, so this is the empty list unless ops were added to that collection."""
    return get_default_graph().get_collection(SUMMARIES_V2)


def get_summary_description(node_def):
    """The ``SummaryDescription`` that a ``TensorSummary`` node (a ``NodeDef``, e.g. from a TensorFlow graph)
    holds as JSON in its ``description`` attr; a ValueError for any other op, as in TF1."""
    op_type = node_def["op"] if isinstance(node_def, dict) else node_def.op
    if op_type != "TensorSummary":
        raise ValueError(f"Can't get_summary_description on {op_type}")
    from google.protobuf import json_format
    attr = node_def["attr"].get("description", b"") if isinstance(node_def, dict) else node_def.attr["description"].s
    text_ = attr.decode("utf-8") if isinstance(attr, bytes) else str(attr)
    return json_format.Parse(text_, kernels.pb().summary.SummaryDescription())
