"""TF1's object-based checkpoints: ``tf.train.Checkpoint``, ``tf.train.CheckpointManager``, ``CheckpointOptions``.

A ``Checkpoint`` saves the variables reachable from the objects it is given (variables, optimizers, ``tf.layers``
layers, other Checkpoints, lists and dicts of them, and any object whose attributes hold them), named by their path
in that object graph as TF names them (``model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE``; an optimizer's slot of a
variable as ``<variable's path>/.OPTIMIZER_SLOT/<optimizer's path>/<slot>/...``), with the graph itself, a
``TrackableObjectGraph`` message, under ``_CHECKPOINTABLE_OBJECT_GRAPH``. It is written in TF's own format (the
tensor bundle, ``prefix.index`` + ``prefix.data-00000-of-00001``), so TF's ``tf.train.Checkpoint.restore`` reads it
for the same objects, and it restores TF's object checkpoints (and, by variable name, name-based ones).

Restoring matches the checkpoint's object graph against the objects as they are when the restore is run: objects
made after ``restore()`` (an optimizer's slots made by ``minimize``) are restored by a later ``run_restore_ops``.
"""
import collections
import os
import struct
import time
import uuid

import numpy as np

from .. import errors
from ..graph import Tensor, device, get_default_graph
from ..ops.state import Variable
from . import saver as _saver
from . import tf_bundle

__all__ = ["Checkpoint", "CheckpointManager", "CheckpointOptions"]

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_VALUE = "VARIABLE_VALUE"
_ENUM = {np.dtype(v): k for k, v in tf_bundle._DTYPES.items() if k != tf_bundle._DT_STRING}


# -- writing a tensor bundle (the format TF's BundleWriter writes; read by tf_bundle.TensorBundleReader)

def _uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _tensor_bytes(value):
    """``(DataType enum, bytes, masked CRC-32C)`` of one tensor as the bundle stores it."""
    crc32c, mask = tf_bundle._crc32c, tf_bundle._mask
    if value.dtype.kind in "OSU":
        items = [x.encode() if isinstance(x, str) else bytes(x) for x in value.reshape(-1)]
        crc = 0
        for s in items:
            crc = crc32c(struct.pack("<I" if len(s) <= 0xFFFFFFFF else "<Q", len(s)), crc)
        body = struct.pack("<I", mask(crc)) + b"".join(items)
        return tf_bundle._DT_STRING, b"".join(_uvarint(len(s)) for s in items) + body, mask(crc32c(body, crc))
    if value.dtype not in _ENUM:
        raise errors.UnimplementedError(None, None, f"Cannot write a tensor of dtype {value.dtype} to a checkpoint")
    raw = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes()
    return _ENUM[value.dtype], raw, mask(crc32c(raw))


def _block(entries):
    """A LevelDB block: each key whole (every entry a restart point), then the restart offsets and their count."""
    out, restarts = bytearray(), []
    for key, value in entries:
        restarts.append(len(out))
        out += _uvarint(0) + _uvarint(len(key)) + _uvarint(len(value)) + key + value
    out += b"".join(struct.pack("<I", r) for r in restarts or [0]) + struct.pack("<I", len(restarts) or 1)
    return bytes(out)


def _table(entries):
    """A LevelDB table of sorted ``entries``: one data block, an empty metaindex, an index and the footer."""
    out = bytearray()

    def put(block):
        handle = _uvarint(len(out)) + _uvarint(len(block))
        out.extend(block + b"\0" + struct.pack("<I", tf_bundle._mask(tf_bundle._crc32c(block + b"\0"))))
        return handle
    data = put(_block(entries))
    meta = put(_block([]))
    index = put(_block([(entries[-1][0], data)]))
    footer = meta + index
    return bytes(out) + footer + b"\0" * (40 - len(footer)) + struct.pack("<Q", tf_bundle._MAGIC)


def write_bundle(prefix, tensors):
    """Write ``tensors`` (name -> numpy array) as TF's tensor bundle at ``prefix``: the data file, then the index
    (both through a temporary name, so a checkpoint exists only once whole)."""
    Header, Entry = tf_bundle._messages()
    data, entries = bytearray(), []
    for name in sorted(tensors):
        value = np.asarray(tensors[name])
        enum, raw, crc = _tensor_bytes(value)
        entry = Entry(dtype=enum, shard_id=0, offset=len(data), size=len(raw), crc32c=crc)
        entry.shape.SetInParent()
        for d in value.shape:
            entry.shape.dim.add(size=int(d))
        entries.append((name.encode(), entry.SerializeToString()))
        data += raw
    header = Header(num_shards=1, endianness=0)
    header.version.producer = 1
    table = _table([(b"", header.SerializeToString())] + entries)
    for path, content in ((f"{prefix}.data-00000-of-00001", bytes(data)), (prefix + ".index", table)):
        tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
        with open(tmp, "wb") as f:
            f.write(content)
        os.replace(tmp, path)


# -- the object graph

def _escape(name):
    return name.replace(".", "..").replace("/", ".S")


def _kinds():
    from ..layers.base import Layer
    from .optimizer import Optimizer
    return Layer, Optimizer


def _trackable(x):
    Layer, Optimizer = _kinds()
    if isinstance(x, (Variable, Checkpoint, Layer, Optimizer)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_trackable(e) for e in x)
    if isinstance(x, dict):
        return any(_trackable(e) for e in x.values())
    return False


def _layer_name(layer, v):
    scope = getattr(layer._scope, "name", None)
    name = v.op.name
    return name[len(scope) + 1:] if scope and name.startswith(scope + "/") else name.rsplit("/", 1)[-1]


def _children(obj):
    """``[(local name, child), ...]`` of ``obj`` in the object graph, in TF's order."""
    Layer, Optimizer = _kinds()
    if isinstance(obj, Variable):
        return []
    if isinstance(obj, Checkpoint):
        return obj._dependencies()
    if isinstance(obj, Optimizer):
        graph = get_default_graph()
        return [(name, v) for (name, g), v in obj._non_slot.items() if g is graph]
    if isinstance(obj, (list, tuple)):
        return [(str(i), x) for i, x in enumerate(obj) if _trackable(x)]
    if isinstance(obj, dict):
        return [(str(k), x) for k, x in obj.items() if _trackable(x)]
    out = []
    if isinstance(obj, Layer):
        out = [(_layer_name(obj, v), v) for v in obj.weights]
        attrs = [(k, x) for k, x in vars(obj).items() if not k.startswith("_")]
    else:
        attrs = list(getattr(obj, "__dict__", {}).items())
    taken = {(k, id(x)) for k, x in out}
    return out + [(k, x) for k, x in attrs if _trackable(x) and (k, id(x)) not in taken]


class _ObjectGraph:
    """The objects reachable from ``root`` (breadth first, as TF numbers them), each variable's checkpoint key,
    then the optimizers' slot variables."""

    def __init__(self, root):
        _, Optimizer = _kinds()
        self.objects, self.paths, self.edges = [root], [()], [[]]
        ids = {id(root): 0}
        i = 0
        while i < len(self.objects):
            for name, child in _children(self.objects[i]):
                if id(child) not in ids:
                    ids[id(child)] = len(self.objects)
                    self.objects.append(child)
                    self.paths.append(self.paths[i] + (_escape(name),))
                    self.edges.append([])
                self.edges[i].append((name, ids[id(child)]))
            i += 1
        self.slots = []   # (optimizer node, original variable node, slot name, slot node)
        originals = [(n, v) for n, v in enumerate(self.objects) if isinstance(v, Variable)]
        for o, opt in enumerate(list(self.objects)):
            if not isinstance(opt, Optimizer):
                continue
            for slot_name in opt.get_slot_names():
                for n, v in originals:
                    slot = opt.get_slot(v, slot_name)
                    if slot is not None and id(slot) not in ids:
                        ids[id(slot)] = len(self.objects)
                        self.objects.append(slot)
                        self.paths.append(self.paths[n] + (".OPTIMIZER_SLOT",) + self.paths[o] + (_escape(slot_name),))
                        self.edges.append([])
                        self.slots.append((o, n, slot_name, ids[id(slot)]))

    def key(self, n):
        return "/".join(self.paths[n] + (".ATTRIBUTES", _VALUE))

    def variables(self):
        """``{checkpoint key: Variable}``."""
        return {self.key(n): v for n, v in enumerate(self.objects) if isinstance(v, Variable)}

    def proto(self):
        from tensorboard.compat.proto.trackable_object_graph_pb2 import TrackableObjectGraph
        out = TrackableObjectGraph()
        for n, obj in enumerate(self.objects):
            node = out.nodes.add()
            for name, child in self.edges[n]:
                node.children.add(node_id=child, local_name=name)
            if isinstance(obj, Variable):
                node.attributes.add(name=_VALUE, full_name=obj.op.name, checkpoint_key=self.key(n))
            node.has_checkpoint_values.value = True
        for o, n, slot_name, s in self.slots:
            out.nodes[o].slot_variables.add(original_variable_node_id=n, slot_name=slot_name, slot_variable_node_id=s)
        return out


# -- Checkpoint

class CheckpointOptions:
    """Options of ``Checkpoint.save``/``write`` (TF's ``tf.train.CheckpointOptions``): every checkpoint is written
    here, synchronously; ``experimental_write_callbacks`` are called with the path of each checkpoint written."""

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint=False,
                 experimental_write_callbacks=None, enable_async=False, experimental_skip_slot_variables=False,
                 experimental_sharding_callback=None):
        self.experimental_io_device = experimental_io_device
        self.experimental_enable_async_checkpoint = experimental_enable_async_checkpoint
        self.experimental_write_callbacks = experimental_write_callbacks
        self.enable_async = enable_async
        self.experimental_skip_slot_variables = experimental_skip_slot_variables
        self.experimental_sharding_callback = experimental_sharding_callback


def _session(session, what):
    from ..session import get_default_session
    sess = session or get_default_session()
    if sess is None:
        raise ValueError(f"{what} needs a session: pass session= or call it inside `with tf.Session():`")
    return sess


class Checkpoint:
    """Groups objects (variables, optimizers, layers, other Checkpoints, ...) to save and restore their variables
    together, by their place in the object graph (TF1's ``tf.train.Checkpoint``, graph mode).

    Parameters
    ----------
    **kwargs
        The objects, as named dependencies of the checkpoint (each a variable, optimizer, ``tf.layers`` layer,
        Checkpoint, list or dict of them, or an object whose attributes hold them).

    Examples
    --------
    >>> import os, tempfile, daskflow as df
    >>> v = df.Variable([1.0, 2.0], name="v")
    >>> ckpt = df.train.Checkpoint(v=v)
    >>> d = tempfile.mkdtemp()
    >>> with df.Session() as s:
    ...     s.run(v.initializer)
    ...     path = ckpt.save(os.path.join(d, "ckpt"))
    >>> os.path.basename(path)
    'ckpt-1'
    >>> with df.Session() as s:
    ...     ckpt.restore(df.train.latest_checkpoint(d)).run_restore_ops()
    ...     s.run(v).tolist()
    [1.0, 2.0]
    """

    def __init__(self, **kwargs):
        self._deps = []
        for name, value in sorted(kwargs.items()):
            if not _trackable(value) and not hasattr(value, "__dict__"):
                raise ValueError("`Checkpoint` was expecting a trackable object (an object derived from "
                                 f"`Trackable`), got {value}. If you believe this object should be trackable (i.e. "
                                 "it is part of the TensorFlow Python API and manages state), please open an issue.")
            setattr(self, name, value)
            self._deps.append(name)
        self._save_counter = None
        self._save_assign = None
        self._graph = get_default_graph()

    def _dependencies(self):
        deps = [(name, getattr(self, name)) for name in self._deps]
        return deps + ([("save_counter", self._save_counter)] if self._save_counter is not None else [])

    @property
    def save_counter(self):
        """An int64 variable counting the saves (numbering ``save``'s checkpoints), made on first use."""
        if self._save_counter is None:
            with self._graph.as_default(), device("/cpu:0"):
                self._save_counter = Variable(np.int64(0), trainable=False, name="save_counter")
        return self._save_counter

    def write(self, file_prefix, session=None, options=None):
        """Write the variables' values in ``session`` (default: the default session) as a checkpoint at
        ``file_prefix`` (no numbering, no ``checkpoint`` state file); returns ``file_prefix``."""
        sess = _session(session, "Checkpoint.write")
        file_prefix = os.fspath(file_prefix)
        if not os.path.isdir(os.path.dirname(file_prefix) or "."):
            os.makedirs(os.path.dirname(file_prefix))
        with sess.graph.as_default():
            graph = _ObjectGraph(self)
        variables = graph.variables()
        values = dict(zip(variables, sess.run(list(variables.values())))) if variables else {}
        values[OBJECT_GRAPH_KEY] = np.array(graph.proto().SerializeToString(), dtype=object)
        write_bundle(file_prefix, values)
        for callback in (getattr(options, "experimental_write_callbacks", None) or []):
            callback(file_prefix)
        return file_prefix

    def save(self, file_prefix, session=None, options=None):
        """Increment ``save_counter``, write a checkpoint at ``file_prefix-<save_counter>`` and name it the latest
        in its directory's ``checkpoint`` file; returns its path."""
        sess = _session(session, "Checkpoint.save")
        if self._save_counter is None:
            sess.run(self.save_counter.initializer)
        if self._save_assign is None:
            with self._graph.as_default():
                self._save_assign = self._save_counter.assign_add(1)
        number = int(sess.run(self._save_assign))
        path = self.write(f"{os.fspath(file_prefix)}-{number}", session=sess, options=options)
        _saver.update_checkpoint_state(os.path.dirname(path) or ".", path, [path])
        return path

    def restore(self, save_path):
        """A status for restoring the checkpoint at ``save_path`` (an object checkpoint, or a name-based one, whose
        variables are matched by name); with None, a status that initializes the variables. Nothing is read until
        ``run_restore_ops`` or ``initialize_or_restore``."""
        self.save_counter
        if save_path is None:
            return InitializationOnlyStatus(self)
        save_path = os.fspath(save_path)
        if not _saver.checkpoint_exists(save_path):
            raise errors.NotFoundError(None, None, f"Failed to restore from checkpoint '{save_path}': no checkpoint "
                                       f"there")
        return CheckpointLoadStatus(self, save_path)


# -- restore statuses

class _Status:
    def __init__(self, checkpoint):
        self._checkpoint = checkpoint

    def _live(self):
        with self._checkpoint._graph.as_default():
            return _ObjectGraph(self._checkpoint)

    def expect_partial(self):
        return self


class InitializationOnlyStatus(_Status):
    """What ``Checkpoint.restore(None)`` returns: no checkpoint to match; ``initialize_or_restore`` runs the
    initializers of the checkpoint's variables."""

    def assert_consumed(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    assert_existing_objects_matched = assert_nontrivial_match = assert_consumed

    def run_restore_ops(self, session=None):
        raise AssertionError("No checkpoint specified, so no restore ops are available (save_path=None to "
                             "Saver.restore).")

    def initialize_or_restore(self, session=None):
        sess = _session(session, "initialize_or_restore")
        sess.run([v.initializer for v in self._live().variables().values()])


class CheckpointLoadStatus(_Status):
    """The status of ``Checkpoint.restore(path)``: which saved values match which objects, checked and run against
    the objects as they are when asked."""

    def __init__(self, checkpoint, save_path):
        super().__init__(checkpoint)
        self.save_path = save_path
        self._reader = _saver.CheckpointReader(save_path)
        self._proto = None
        if self._reader.has_tensor(OBJECT_GRAPH_KEY):
            from tensorboard.compat.proto.trackable_object_graph_pb2 import TrackableObjectGraph
            raw = self._reader.get_tensor(OBJECT_GRAPH_KEY)
            self._proto = TrackableObjectGraph.FromString(bytes(np.asarray(raw).reshape(-1)[0]))

    def _match(self):
        """``(live graph, {checkpoint node: live object}, {checkpoint key: Variable})``; name-based checkpoints
        match each variable by its name."""
        live = self._live()
        if self._proto is None:
            names = self._reader.get_variable_to_shape_map()
            pairs = {v.op.name: v for v in live.variables().values() if v.op.name in names}
            return live, {}, pairs
        nodes, found, queue = self._proto.nodes, {0: self._checkpoint}, collections.deque([0])
        while queue:
            n = queue.popleft()
            children = dict(_children(found[n]))
            for ref in nodes[n].children:
                if ref.node_id not in found and ref.local_name in children:
                    found[ref.node_id] = children[ref.local_name]
                    queue.append(ref.node_id)
        _, Optimizer = _kinds()
        for n, node in enumerate(nodes):
            for s in node.slot_variables:
                opt, var = found.get(n), found.get(s.original_variable_node_id)
                if isinstance(opt, Optimizer) and isinstance(var, Variable):
                    slot = opt.get_slot(var, s.slot_name)
                    if slot is not None:
                        found[s.slot_variable_node_id] = slot
        pairs = {}
        for n, obj in found.items():
            for a in nodes[n].attributes:
                if a.name == _VALUE and isinstance(obj, Variable):
                    pairs[a.checkpoint_key] = obj
        return live, found, pairs

    def _unmatched_live(self, pairs, live):
        matched = {id(v) for v in pairs.values()}
        if self._proto is None:    # a name-based checkpoint has no save counter: it is restored only if there
            matched.add(id(self._checkpoint._save_counter))
        return [v for v in live.variables().values() if id(v) not in matched]

    def assert_consumed(self):
        """Raise ``AssertionError`` unless every saved value has an object and every object a saved value."""
        live, found, pairs = self._match()
        if self._proto is not None:
            for n, node in enumerate(self._proto.nodes):
                if node.attributes and n not in found:
                    raise AssertionError(f"Unresolved object in checkpoint {self.save_path}: "
                                         f"{[a.checkpoint_key for a in node.attributes]}")
        else:
            missing = sorted(set(self._reader.get_variable_to_shape_map()) - set(pairs))
            if missing:
                raise AssertionError(f"Unresolved values in checkpoint {self.save_path}: {missing}")
        return self._assert_live(pairs, live)

    def assert_existing_objects_matched(self):
        """Raise ``AssertionError`` unless every variable of the objects has a saved value (saved values without
        an object are allowed)."""
        live, _, pairs = self._match()
        return self._assert_live(pairs, live)

    def _assert_live(self, pairs, live):
        unmatched = self._unmatched_live(pairs, live)
        if unmatched:
            raise AssertionError(f"Object not assigned a value from checkpoint {self.save_path}: "
                                 f"{[v.op.name for v in unmatched]}")
        return self

    def assert_nontrivial_match(self):
        """Raise ``AssertionError`` unless something besides the root object was matched."""
        if not self._match()[2]:
            raise AssertionError(f"Nothing except the root object matched a checkpointed value in "
                                 f"{self.save_path}. Typically this means that the checkpoint does not match the "
                                 "Python program.")
        return self

    def run_restore_ops(self, session=None):
        """Assign the saved values to the matched variables in ``session`` (default: the default session); shapes
        and dtypes are checked first, and all are assigned at once."""
        sess = _session(session, "run_restore_ops")
        _, _, pairs = self._match()
        shapes, types = self._reader.get_variable_to_shape_map(), self._reader.get_variable_to_dtype_map()
        problems = [f"{key}: {v.op.name} is {v.dtype.name}{list(v.shape)}, the checkpoint holds "
                    f"{types[key].name}{shapes[key]}" for key, v in sorted(pairs.items())
                    if not v.shape.is_compatible_with(shapes[key]) or types[key] != v.dtype]
        if problems:
            raise errors.InvalidArgumentError(None, None, f"Restoring from checkpoint '{self.save_path}' failed; no "
                                              "variable was changed:\n  " + "\n  ".join(problems))
        if pairs:
            sess._set_values(_saver._read_checkpoint(sess, self._reader, pairs))

    def initialize_or_restore(self, session=None):
        """Restore the matched variables, and run the initializers of the checkpoint's other variables."""
        sess = _session(session, "initialize_or_restore")
        live, _, pairs = self._match()
        others = self._unmatched_live(pairs, live)
        if others:
            sess.run([v.initializer for v in others])
        self.run_restore_ops(sess)


# -- CheckpointManager

def _step(value, what):
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Tensor):
        return int(_session(None, what).run(value))
    return int(value)


class CheckpointManager:
    """Saves numbered checkpoints of a ``Checkpoint`` in ``directory`` and deletes the old ones, keeping
    ``max_to_keep`` (and one per ``keep_checkpoint_every_n_hours``); its state lives in the directory's
    ``checkpoint`` file, so a new manager there takes over (TF's ``tf.train.CheckpointManager``). In graph mode the
    default session is used."""

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None, init_fn=None,
                 last_checkpoint_step=None):
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not None.")
        self._checkpoint, self._max_to_keep = checkpoint, max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._directory = os.fspath(directory)
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._init_fn, self._step_counter = init_fn, step_counter
        self._checkpoint_interval, self._last_step = checkpoint_interval, last_checkpoint_step
        self._counter_assign = None
        now = time.time()
        state = _saver.get_checkpoint_state(self._directory) if os.path.isdir(self._directory) else None
        self._maybe_delete = collections.OrderedDict()
        if state is None:
            self._latest, self._last_preserved = None, now - 1.0
            return
        self._latest = state.model_checkpoint_path
        self._last_preserved = min(state.last_preserved_timestamp, now)
        stamps = list(state.all_model_checkpoint_timestamps) or \
            [self._last_preserved] * len(state.all_model_checkpoint_paths)
        for path, stamp in zip(state.all_model_checkpoint_paths, stamps):
            if min(stamp, now) > self._last_preserved:
                self._maybe_delete[path] = min(stamp, now)

    directory = property(lambda self: self._directory)
    checkpoint = property(lambda self: self._checkpoint)
    checkpoint_interval = property(lambda self: self._checkpoint_interval)

    @property
    def latest_checkpoint(self):
        """The prefix of the newest checkpoint in ``directory``, or None."""
        return self._latest

    @property
    def checkpoints(self):
        """The managed checkpoints, oldest first (not those kept for ``keep_checkpoint_every_n_hours``)."""
        return list(self._maybe_delete)

    def _sweep(self):
        if not self._max_to_keep:
            return
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = self._maybe_delete.popitem(last=False)
            if self._keep_hours and stamp - self._keep_hours * 3600.0 >= self._last_preserved:
                self._last_preserved = stamp
                continue
            _saver._remove(path + ".index")
            folder = os.path.dirname(path) or "."
            base = os.path.basename(path) + ".data-"
            for f in os.listdir(folder):
                if f.startswith(base):
                    _saver._remove(os.path.join(folder, f))

    def _record_state(self):
        paths, stamps = list(self._maybe_delete), list(self._maybe_delete.values())
        _saver.update_checkpoint_state(self._directory, self._latest, paths,
                                       all_model_checkpoint_timestamps=stamps,
                                       last_preserved_timestamp=self._last_preserved)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Write a checkpoint ``<directory>/<checkpoint_name>-<n>`` (``n``: ``checkpoint_number``, an int or an
        integer variable / tensor, else the checkpoint's ``save_counter``, incremented either way), record it and
        delete the checkpoints beyond ``max_to_keep``; returns its path, or None when ``checkpoint_interval`` steps
        have not passed since the last one."""
        if self._checkpoint_interval is not None:
            step = _step(self._step_counter, "CheckpointManager.save")
            if self._last_step is not None and (step == self._last_step or check_interval and
                                                step < self._last_step + self._checkpoint_interval):
                return None
            self._last_step = step
        sess = _session(None, "CheckpointManager.save")
        ckpt = self._checkpoint
        if ckpt._save_counter is None:
            sess.run(ckpt.save_counter.initializer)
        if self._counter_assign is None:
            with ckpt._graph.as_default():
                self._counter_assign = ckpt.save_counter.assign_add(1)
        counted = int(sess.run(self._counter_assign))
        number = counted if checkpoint_number is None else _step(checkpoint_number, "CheckpointManager.save")
        os.makedirs(self._directory, exist_ok=True)
        path = ckpt.write(f"{self._prefix}-{number}", session=sess, options=options)
        self._maybe_delete.pop(path, None)
        self._maybe_delete[path] = time.time()
        self._latest = path
        self._record_state()
        self._sweep()
        self._record_state()
        return path

    def restore_or_initialize(self):
        """Restore the latest checkpoint of ``directory`` (run in the default session, if there is one) and return
        its path; with none, call ``init_fn`` (if given) and return None."""
        from ..session import get_default_session
        if self._latest is not None:
            status = self._checkpoint.restore(self._latest)
            if get_default_session() is not None:
                status.run_restore_ops()
            if self._checkpoint_interval is not None:
                self._last_step = _step(self._step_counter, "restore_or_initialize")
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None

    def sync(self):
        """Checkpoints are written synchronously: nothing to wait for."""
