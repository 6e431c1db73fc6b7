"""Event files for TensorBoard: TF1's ``FileWriter`` and ``FileWriterCache``, and ``summary_iterator`` to read them
back. Events are written and read by tensorboard's own event file writer and record reader."""
import logging
import os
import threading
import time

from ..graph import Graph, get_default_graph
from .kernels import pb

__all__ = ["FileWriter", "FileWriterCache", "summary_iterator"]

_log = logging.getLogger("daskflow")


def _event_file_writer():
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as e:
        raise ImportError("event files need the tensorboard package: pip install 'daskflow[tf]'") from e
    return EventFileWriter


def _protos():
    from tensorboard.compat.proto import graph_pb2, meta_graph_pb2
    return graph_pb2, meta_graph_pb2


class FileWriter:
    """Writes ``Event`` protocol buffers to an event file in ``logdir``, for TensorBoard (TF1's
    ``tf.summary.FileWriter``): summaries from ``Session.run`` of summary ops, the graph, meta graphs, run
    metadata and session logs. Writes are queued and flushed every ``flush_secs`` seconds, when ``max_queue``
    events are waiting, and by ``flush`` and ``close``.

    Parameters
    ----------
    logdir : str or path
        Created if needed; each writer (and each ``reopen``) starts a new file ``events.out.tfevents.*``.
    graph : Graph, optional
        Written at once with ``add_graph``, with its ``MetaGraphDef``.
    max_queue, flush_secs : int
    graph_def : GraphDef, optional
        Deprecated form of ``graph``, as in TF1.
    filename_suffix : str, optional
        Appended to the event file's name.
    session : Session, optional
        Accepted for TF1 compatibility: the events are written by this writer in either case.

    Examples
    --------
    >>> import daskflow as df, tempfile
    >>> loss = df.constant(0.25)
    >>> with df.summary.FileWriter(tempfile.mkdtemp(), df.get_default_graph()) as w, df.Session() as sess:
    ...     w.add_summary(sess.run(df.summary.scalar("loss", loss)), global_step=1)
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None, filename_suffix=None,
                 session=None):
        self._logdir = os.fspath(logdir)
        self._options = (int(max_queue), flush_secs, filename_suffix or "")
        self._writer = _event_file_writer()(self._logdir, *self._options)
        self._closed = False
        self._seen_summary_tags = set()
        self._session_run_tags = set()
        if graph is not None or graph_def is not None:
            self.add_graph(graph=graph, graph_def=graph_def)
            self.add_meta_graph(self._meta_graph(graph if graph is not None else graph_def))

    def _meta_graph(self, graph):
        _, meta_graph_pb2 = _protos()
        if isinstance(graph, Graph):
            from ..graph_def import export_meta_graph
            return export_meta_graph(graph=graph)
        return meta_graph_pb2.MetaGraphDef(graph_def=graph)

    def get_logdir(self):
        """The directory the event files are written to."""
        return self._logdir

    def add_event(self, event):
        """Write ``event`` (an ``Event`` protobuf) as it is; a closed writer drops it with a logged warning."""
        if self._closed:
            _log.warning("Attempting to use a closed FileWriter. The operation will be a noop unless the FileWriter "
                         "is explicitly reopened.")
            return
        self._writer.add_event(event)

    def _add_event(self, event, step):
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self.add_event(event)

    def add_summary(self, summary, global_step=None):
        """Write a ``Summary`` (a protobuf, or the serialized bytes a summary op gives) at ``global_step``. A tag's
        ``metadata`` is written with its first value only, as TF1 does."""
        s = pb().summary.Summary()
        if isinstance(summary, (bytes, bytearray)):
            s.ParseFromString(bytes(summary))
        else:
            s.CopyFrom(summary)
        for v in s.value:
            if not v.HasField("metadata"):
                continue
            if v.tag in self._seen_summary_tags:
                v.ClearField("metadata")
            else:
                self._seen_summary_tags.add(v.tag)
        self._add_event(pb().event.Event(summary=s), global_step)

    def add_session_log(self, session_log, global_step=None):
        """Write a ``SessionLog`` (START, STOP or CHECKPOINT) at ``global_step``."""
        self._add_event(pb().event.Event(session_log=session_log), global_step)

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Write a graph for TensorBoard's graph view: a daskflow ``Graph`` (as ``graph.as_graph_def(add_shapes=
        True)``) or a ``GraphDef``."""
        graph_pb2, _ = _protos()
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        g = graph if graph is not None else graph_def
        if isinstance(g, Graph):
            gd = g.as_graph_def(add_shapes=True)
        elif isinstance(g, graph_pb2.GraphDef):
            gd = g
        else:
            raise TypeError("The passed graph must be an instance of `Graph` or the deprecated `GraphDef`")
        self._add_event(pb().event.Event(graph_def=gd.SerializeToString()), global_step)

    def add_meta_graph(self, meta_graph_def, global_step=None):
        """Write a ``MetaGraphDef`` (e.g. from ``df.train.export_meta_graph()``)."""
        _, meta_graph_pb2 = _protos()
        if not isinstance(meta_graph_def, meta_graph_pb2.MetaGraphDef):
            raise TypeError(f"meta_graph_def must be type MetaGraphDef, saw type: {type(meta_graph_def)}")
        self._add_event(pb().event.Event(meta_graph_def=meta_graph_def.SerializeToString()), global_step)

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        """Write a ``RunMetadata`` under ``tag`` (each tag once per writer)."""
        if tag in self._session_run_tags:
            raise ValueError("The provided tag was already used for this event type")
        self._session_run_tags.add(tag)
        tagged = pb().event.TaggedRunMetadata(tag=tag, run_metadata=run_metadata.SerializeToString())
        self._add_event(pb().event.Event(tagged_run_metadata=tagged), global_step)

    def flush(self):
        """Write every queued event to disk."""
        if not self._closed:
            self._writer.flush()

    def close(self):
        """Flush and close the event file; later events are dropped until ``reopen``."""
        if not self._closed:
            self._writer.close()
            self._closed = True

    def reopen(self):
        """After ``close``: start a new event file in the same directory for the events that follow."""
        if self._closed:
            self._writer = _event_file_writer()(self._logdir, *self._options)
            self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FileWriterCache:
    """One shared ``FileWriter`` per log directory (TF1's ``tf.summary.FileWriterCache``)."""

    _cache = {}
    _lock = threading.RLock()

    @staticmethod
    def get(logdir):
        """The cached ``FileWriter`` of ``logdir``, made (with the default graph) on first use."""
        with FileWriterCache._lock:
            if logdir not in FileWriterCache._cache:
                FileWriterCache._cache[logdir] = FileWriter(logdir, graph=get_default_graph())
            return FileWriterCache._cache[logdir]

    @staticmethod
    def clear():
        """Close every cached writer and empty the cache."""
        with FileWriterCache._lock:
            for w in FileWriterCache._cache.values():
                w.close()
            FileWriterCache._cache = {}


def summary_iterator(path):
    """The ``Event`` protobufs of the event file ``path``, in order (TF1's ``tf.train.summary_iterator``)."""
    try:
        from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
    except ImportError as e:
        raise ImportError("reading event files needs the tensorboard package: pip install 'daskflow[tf]'") from e
    yield from LegacyEventFileLoader(os.fspath(path)).Load()
