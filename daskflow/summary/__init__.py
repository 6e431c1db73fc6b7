"""TF1's ``tf.summary``: summary ops (``scalar``, ``histogram``, ``image``, ``audio``, ``text``, ``tensor_summary``,
``merge``, ``merge_all``) whose values are serialized ``Summary`` protobufs, ``FileWriter`` to write them to event
files for TensorBoard, and TF's summary protobuf messages (``Summary``, ``Event``, ``SessionLog``,
``SummaryDescription``, ``TaggedRunMetadata``).

The messages and the event file format are TensorFlow's own, from the ``tensorboard`` package (daskflow's extra
``tf``); it is imported when first needed.

Examples
--------
>>> import daskflow as df, tempfile
>>> x = df.placeholder(df.float32, [None])
>>> mean = df.summary.scalar("mean", df.reduce_mean(x))
>>> values = df.summary.histogram("x", x)
>>> merged = df.summary.merge_all()
>>> with df.Session() as sess, df.summary.FileWriter(tempfile.mkdtemp(), sess.graph) as writer:
...     for step in range(3):
...         writer.add_summary(sess.run(merged, {x: [1.0, 2.0, step]}), step)
"""
from .ops import (all_v2_summary_ops, audio, get_summary_description, histogram, image, merge, merge_all, scalar,
                  tensor_summary, text)
from .writer import FileWriter, FileWriterCache, summary_iterator

__all__ = ["Event", "FileWriter", "FileWriterCache", "SessionLog", "Summary", "SummaryDescription",
           "TaggedRunMetadata", "all_v2_summary_ops", "audio", "get_summary_description", "histogram", "image",
           "merge", "merge_all", "scalar", "tensor_summary", "text"]

# TF's protobuf messages of tf.summary, from tensorboard's copies of TF's protos: {name: module}
_MESSAGES = {"Event": "event_pb2", "SessionLog": "event_pb2", "TaggedRunMetadata": "event_pb2",
             "Summary": "summary_pb2", "SummaryDescription": "summary_pb2"}


def __getattr__(name):
    if name in _MESSAGES:
        from .kernels import pb
        module = {"event_pb2": pb().event, "summary_pb2": pb().summary}[_MESSAGES[name]]
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MESSAGES))
