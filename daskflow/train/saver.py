"""TF1's ``tf.train.Saver`` and checkpoint management, in daskflow's own checkpoint format.

A checkpoint ``prefix`` (``dir/model.ckpt-5``) is two things:

- ``prefix.data-<token>.zarr``: a zarr group with one array per variable, chunked as the variable's blocks, written
  block by block where the blocks are (locally from this process; on a cluster by the workers holding them, in
  parallel, so no process ever holds a variable whole);
- ``prefix.manifest.json``: what the checkpoint holds (per variable its name, dtype, shape, chunking and the CRC-32
  of every chunk's bytes) and which data group is its own. It is written last, atomically (a temporary file
  renamed into place): a checkpoint exists once its manifest does, and a saving process that dies leaves the
  previous checkpoint as it was. The data of a checkpoint a manifest no longer names is deleted only after the new
  manifest is in place.

Next to them, as TF keeps it, the ``checkpoint`` state file of the directory (TF's ``CheckpointState`` in protobuf
text form, readable by TF's ``tf.train.latest_checkpoint``) names the latest checkpoint and those kept.

Restoring reads TF's own checkpoints too (the tensor bundle, ``prefix.index`` + ``prefix.data-*``), by name.
Restoring checks every name, shape and dtype before changing anything, verifies each chunk's checksum as it is
read, and assigns all the variables at once: a failed restore changes no variable.
"""
import functools
import json
import os
import shutil
import time
import uuid
import warnings
import zlib

import numpy as np

from .. import dtypes, errors, remote
from ..graph import Tensor, get_default_graph
from ..ops.state import GLOBAL_VARIABLES, Variable

__all__ = ["Saver", "latest_checkpoint", "get_checkpoint_state", "update_checkpoint_state", "checkpoint_exists",
           "list_variables", "load_variable", "load_checkpoint", "NewCheckpointReader", "CheckpointReader",
           "init_from_checkpoint", "generate_checkpoint_state_proto", "remove_checkpoint",
           "get_checkpoint_mtimes"]

FORMAT = "daskflow-checkpoint"
VERSION = 1
_MANIFEST = ".manifest.json"
_STATE = "checkpoint"


# -- the checkpoint state file ("checkpoint"), TF's CheckpointState message in text form

@functools.cache
def _state_class():
    """TF's ``CheckpointState`` message class, built once from its schema (``checkpoint_state.proto``)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    f = descriptor_pb2.FileDescriptorProto(name="daskflow/checkpoint_state.proto", package="tensorflow",
                                           syntax="proto3")
    m = f.message_type.add(name="CheckpointState")
    F = descriptor_pb2.FieldDescriptorProto
    for name, number, kind, label in (("model_checkpoint_path", 1, F.TYPE_STRING, F.LABEL_OPTIONAL),
                                      ("all_model_checkpoint_paths", 2, F.TYPE_STRING, F.LABEL_REPEATED),
                                      ("all_model_checkpoint_timestamps", 3, F.TYPE_DOUBLE, F.LABEL_REPEATED),
                                      ("last_preserved_timestamp", 4, F.TYPE_DOUBLE, F.LABEL_OPTIONAL)):
        m.field.add(name=name, number=number, type=kind, label=label)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.CheckpointState"))


def generate_checkpoint_state_proto(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                                    all_model_checkpoint_timestamps=None, last_preserved_timestamp=None):
    """A ``CheckpointState`` naming ``model_checkpoint_path`` as the latest (last of ``all_model_checkpoint_paths``);
    paths inside ``save_dir`` are kept relative, as TF keeps them."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)

    def rel(p):
        return os.path.relpath(p, save_dir) if not os.path.isabs(save_dir) or os.path.isabs(p) and \
            os.path.dirname(os.path.abspath(p)) == os.path.abspath(save_dir) else p
    state = _state_class()(model_checkpoint_path=rel(model_checkpoint_path),
                           all_model_checkpoint_paths=[rel(p) for p in paths])
    if all_model_checkpoint_timestamps is not None:
        state.all_model_checkpoint_timestamps.extend(all_model_checkpoint_timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    return state


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None, latest_filename=None,
                            all_model_checkpoint_timestamps=None, last_preserved_timestamp=None):
    """Write the directory's state file (atomically: a reader sees the old state or the new, never a part)."""
    from google.protobuf import text_format
    state = generate_checkpoint_state_proto(save_dir, model_checkpoint_path, all_model_checkpoint_paths,
                                            all_model_checkpoint_timestamps, last_preserved_timestamp)
    _write_atomically(os.path.join(save_dir, latest_filename or _STATE), text_format.MessageToString(state))


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The directory's ``CheckpointState`` (paths made absolute, as TF makes them), or None if it has none."""
    from google.protobuf import text_format
    path = os.path.join(checkpoint_dir, latest_filename or _STATE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        text = f.read()
    try:
        state = text_format.Parse(text, _state_class()())
    except text_format.ParseError as e:
        raise errors.DataLossError(None, None, f"The checkpoint state file '{path}' is not a CheckpointState: "
                                   f"{e}") from None
    if not state.model_checkpoint_path:
        raise errors.NotFoundError(None, None, f"Invalid checkpoint state loaded from {checkpoint_dir}")

    def absolute(p):
        return p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)
    state.model_checkpoint_path = absolute(state.model_checkpoint_path)
    paths = [absolute(p) for p in state.all_model_checkpoint_paths]
    del state.all_model_checkpoint_paths[:]
    state.all_model_checkpoint_paths.extend(paths)
    return state


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the directory's latest checkpoint that exists, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is not None and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None


def checkpoint_exists(checkpoint_prefix):
    """Whether a checkpoint (daskflow's, or TF's tensor bundle) exists at ``checkpoint_prefix``."""
    return os.path.isfile(checkpoint_prefix + _MANIFEST) or os.path.isfile(checkpoint_prefix + ".index")


def get_checkpoint_mtimes(checkpoint_prefixes):
    """The modification times of the checkpoints at ``checkpoint_prefixes`` that exist."""
    out = []
    for p in checkpoint_prefixes:
        for f in (p + _MANIFEST, p + ".index"):
            if os.path.isfile(f):
                out.append(os.path.getmtime(f))
                break
    return out


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=None, meta_graph_suffix="meta"):
    """Delete the checkpoint at ``checkpoint_prefix``: its manifest first (it stops existing), then its data and
    meta graph."""
    manifest = _read_manifest(checkpoint_prefix) if os.path.isfile(checkpoint_prefix + _MANIFEST) else None
    _remove(checkpoint_prefix + _MANIFEST)
    if manifest is not None:
        shutil.rmtree(os.path.join(os.path.dirname(checkpoint_prefix) or ".", manifest["data"]), ignore_errors=True)
    _remove(f"{checkpoint_prefix}.{meta_graph_suffix}")


# -- reading checkpoints

def _resolve(ckpt_dir_or_file):
    """A checkpoint prefix from a prefix or a directory (its latest checkpoint)."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path) and not checkpoint_exists(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise errors.NotFoundError(None, None, f"No checkpoint found in directory '{path}' (no '{_STATE}' file "
                                       f"naming an existing checkpoint)")
        return latest
    return path


def _read_manifest(prefix):
    path = prefix + _MANIFEST
    try:
        with open(path) as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"Unsuccessful checkpoint lookup: no checkpoint at '{prefix}' (no "
                                   f"'{path}')") from None
    except ValueError as e:
        raise errors.DataLossError(None, None, f"The checkpoint manifest '{path}' is not valid JSON: {e}") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise errors.DataLossError(None, None, f"'{path}' is not a daskflow checkpoint manifest of version {VERSION}")
    return manifest


def _crc(block):
    """CRC-32 of a block's bytes: of its elements' memory, or for strings of each element's length and bytes."""
    if block.dtype == object:
        crc = 0
        for b in block.reshape(-1):
            crc = zlib.crc32(b, zlib.crc32(len(b).to_bytes(8, "little"), crc))
        return crc
    return zlib.crc32(np.ascontiguousarray(block).view(np.uint8).reshape(-1)) if block.size else 0


def _check_block(block, name, index, want):
    got = _crc(block)
    if got != want:
        raise errors.DataLossError(None, None, f"Checksum mismatch in chunk {index} of variable '{name}' of the "
                                   f"checkpoint: stored data is corrupt (crc32 {got:#010x}, manifest {want:#010x})")


def _read_block(data_path, key, name, index, slices, want):
    """A chunk of a variable, read from the checkpoint's zarr group and checked against its checksum (on a worker,
    where restored blocks are read)."""
    import zarr
    try:
        with warnings.catch_warnings():  # strings: zarr's variable-length bytes
            warnings.simplefilter("ignore")
            block = np.asarray(zarr.open_array(os.path.join(data_path, key), mode="r")[slices])
    except Exception as e:  # a chunk file that no longer decodes, or is gone
        raise errors.DataLossError(None, None, f"Chunk {index} of variable '{name}' of the checkpoint cannot be read "
                                   f"from '{data_path}': {type(e).__name__}: {e}") from None
    _check_block(block, name, index, want)
    return block


class CheckpointReader:
    """What a checkpoint holds, by variable name (TF's ``CheckpointReader``): a daskflow checkpoint, or TF's own
    tensor bundle."""

    def __init__(self, prefix):
        self.prefix = _resolve(prefix)
        self._bundle = None
        if os.path.isfile(self.prefix + _MANIFEST):
            self._manifest = _read_manifest(self.prefix)
            self._entries = self._manifest["variables"]
        elif os.path.isfile(self.prefix + ".index"):
            from .tf_bundle import TensorBundleReader
            self._bundle = TensorBundleReader(self.prefix)
            self._entries = None
        else:
            raise errors.NotFoundError(None, None, f"Unsuccessful checkpoint lookup: no checkpoint at "
                                       f"'{self.prefix}' (neither '{self.prefix}{_MANIFEST}' nor "
                                       f"'{self.prefix}.index')")

    @property
    def data_path(self):
        return os.path.join(os.path.dirname(self.prefix) or ".", self._manifest["data"])

    def get_variable_to_shape_map(self):
        if self._bundle is not None:
            return self._bundle.get_variable_to_shape_map()
        return {n: list(e["shape"]) for n, e in self._entries.items()}

    def get_variable_to_dtype_map(self):
        if self._bundle is not None:
            return self._bundle.get_variable_to_dtype_map()
        return {n: dtypes.as_dtype(e["dtype"]) for n, e in self._entries.items()}

    def has_tensor(self, name):
        return self._bundle.has_tensor(name) if self._bundle is not None else name in self._entries

    def _entry(self, name):
        try:
            return self._entries[name]
        except KeyError:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint '{self.prefix}'") from None

    def blocks(self, name):
        """``(slices, chunk index, checksum)`` of each chunk of variable ``name``, in C order of the chunk grid."""
        e = self._entry(name)
        chunks = [tuple(c) for c in e["chunks"]]
        out = []
        for idx in np.ndindex(*[len(c) for c in chunks]):
            sl = tuple(slice(sum(c[:i]), sum(c[:i + 1])) for c, i in zip(chunks, idx))
            out.append((sl, ".".join(map(str, idx)) or "0", e["checksums"][".".join(map(str, idx)) or "0"]))
        return out

    def get_tensor(self, name):
        """The value of variable ``name`` (each chunk checked against its checksum)."""
        if self._bundle is not None:
            return self._bundle.get_tensor(name)
        e = self._entry(name)
        out = np.empty(e["shape"], dtype=dtypes.as_dtype(e["dtype"]))
        for sl, index, want in self.blocks(name):
            out[sl] = _read_block(self.data_path, e["key"], name, index, sl, want)
        return out

    def debug_string(self):
        if self._bundle is not None:
            return self._bundle.debug_string()
        return "".join(f"{n} ({e['dtype']}) {e['shape']}\n"
                       for n, e in sorted(self._entries.items())).encode()


def NewCheckpointReader(filepattern):
    """A ``CheckpointReader`` of the checkpoint at ``filepattern`` (a prefix)."""
    return CheckpointReader(filepattern)


load_checkpoint = NewCheckpointReader


def list_variables(ckpt_dir_or_file):
    """``(name, shape)`` of every variable of a checkpoint (a prefix or a directory), sorted by name."""
    reader = CheckpointReader(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name):
    """The value of variable ``name`` in a checkpoint (``name`` may end in ``:0``)."""
    if name.endswith(":0"):
        name = name[:-2]
    return CheckpointReader(ckpt_dir_or_file).get_tensor(name)


def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """Make variables' initializers assign values from a checkpoint (TF's ``tf.train.init_from_checkpoint``):
    ``assignment_map`` maps checkpoint names to variables or variable names, or a checkpoint scope ``"a/"`` to a
    graph scope ``"b/"`` (every variable of the checkpoint under ``a/`` to the variable of the same name under
    ``b/``); ``"/"`` as a key stands for the checkpoint's root. A target may be a partitioned variable (its full
    name, a ``PartitionedVariable`` or the list of its parts): each part takes its slice. Shapes must match. Run
    (or rebuild) the initializers afterwards: ``global_variables_initializer()`` built after this call assigns the
    values."""
    from ..ops.state import _assign, constant
    reader = CheckpointReader(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    graph = get_default_graph()
    by_name = {v.op.name: v for v in graph.get_collection(GLOBAL_VARIABLES)}
    pairs = []
    for ckpt_name, target in assignment_map.items():
        if isinstance(target, str) and (ckpt_name.endswith("/") or ckpt_name == "/") and target.endswith("/"):
            src = "" if ckpt_name == "/" else ckpt_name
            dst = "" if target == "/" else target
            for name in shapes:
                if name.startswith(src) and dst + name[len(src):] in by_name:
                    pairs.append((name, by_name[dst + name[len(src):]]))
            continue
        if ckpt_name not in shapes:
            raise errors.NotFoundError(None, None, f"Tensor {ckpt_name} is not found in checkpoint "
                                       f"'{reader.prefix}'")
        var = by_name.get(target[:-2] if isinstance(target, str) and target.endswith(":0") else target) \
            if isinstance(target, str) else target
        if isinstance(target, str) and var is None:  # the full name of a partitioned variable: its parts
            var = [v for v in by_name.values() if getattr(v, "_save_slice_info", None) is not None and
                   v._save_slice_info.full_name == target] or None
        var = _parts_of(var) or var
        if isinstance(var, list):
            pairs.append((ckpt_name, var))
            continue
        if not isinstance(var, Variable):
            raise errors.NotFoundError(None, None, f"Variable {target!r} (for checkpoint tensor '{ckpt_name}') is "
                                       f"not a global variable of the graph")
        pairs.append((ckpt_name, var))
    for ckpt_name, var in pairs:
        shape = _full_shape(var) if isinstance(var, list) else var.shape.as_list()
        if list(shape) != list(shapes[ckpt_name]):
            first = var[0] if isinstance(var, list) else var
            raise errors.InvalidArgumentError(
                None, first.op, f"Shape of variable {first.op.name} ({shape}) doesn't match with shape of tensor "
                f"{ckpt_name} ({shapes[ckpt_name]}) from checkpoint reader.")
    for ckpt_name, var in pairs:
        value = reader.get_tensor(ckpt_name)
        for v in var if isinstance(var, list) else [var]:  # a partitioned variable's parts: their slices
            part = value[_slices(v)] if isinstance(var, list) else value
            with graph.as_default(), graph.name_scope(f"{v.op.name}/init_from_checkpoint"):
                v._initializer_op = _assign("Assign", v, constant(part.astype(v.dtype), name="value"), True,
                                            "Assign").op


# -- the Saver

def _parts_of(v):
    """The part variables of ``v`` when it is a ``PartitionedVariable`` (or a list of parts), else None."""
    if hasattr(v, "_get_variable_list"):
        return list(v._get_variable_list())
    if isinstance(v, (list, tuple)) and v and all(getattr(p, "_save_slice_info", None) is not None for p in v):
        return list(v)
    return None


def _var_names(var_list):
    """``{name: Variable or [parts]}`` from a list of variables (named by their op; parts of a partitioned variable,
    or a ``PartitionedVariable``, grouped under the full variable's name, as TF saves them) or a dict of names."""
    items = list(var_list.items()) if isinstance(var_list, dict) else [(None, v) for v in var_list]
    out = {}
    for name, v in items:
        parts = _parts_of(v)
        if parts is not None:
            for p in parts:
                if not isinstance(p, Variable):
                    raise TypeError(f"Saver var_list must hold Variables, got {p!r}")
            key = name or parts[0]._save_slice_info.full_name
            group = out.setdefault(key, [])
            if not isinstance(group, list):
                raise ValueError(f"At least two variables have the same name: {key}")
            group += [p for p in parts if p not in group]
            continue
        if not isinstance(v, Variable):
            raise TypeError(f"Saver var_list values must be Variables, got {v!r} for '{name}'" if name else
                            f"Saver var_list must hold Variables, got {v!r}")
        info = getattr(v, "_save_slice_info", None)
        if name is None and info is not None:  # a part: saved within its full variable
            group = out.setdefault(info.full_name, [])
            if not isinstance(group, list):
                raise ValueError(f"At least two variables have the same name: {info.full_name}")
            if v not in group:
                group.append(v)
            continue
        key = name or v.op.name
        if key in out and out[key] is not v:
            raise ValueError(f"At least two variables have the same name: {key}")
        out[key] = v
    for key, group in out.items():
        if isinstance(group, list):
            _check_parts(key, group)
    return out


def _check_parts(name, parts):
    """Parts saved as one variable must come from one full variable and not overlap."""
    infos = [p._save_slice_info for p in parts]
    full = infos[0].full_shape
    if any(i.full_shape != full for i in infos):
        raise ValueError(f"The parts of partitioned variable '{name}' disagree on its full shape: "
                         f"{[i.full_shape for i in infos]}")
    if sum(int(np.prod(i.var_shape)) for i in infos) > int(np.prod(full)):
        raise ValueError(f"The parts of partitioned variable '{name}' overlap")
    parts.sort(key=lambda p: p._save_slice_info.var_offset)


def _slices(part):
    info = part._save_slice_info
    return tuple(slice(o, o + n) for o, n in zip(info.var_offset, info.var_shape))


def _full_shape(v):
    return list(v[0]._save_slice_info.full_shape) if isinstance(v, list) else v.shape


def _dtype(v):
    return v[0].dtype if isinstance(v, list) else v.dtype


def _is_compatible(v, shape):
    if isinstance(v, list):
        return list(_full_shape(v)) == list(shape)
    return v.shape.is_compatible_with(shape)


class Saver:
    """Saves and restores variables (TF1's ``tf.train.Saver``), in daskflow's checkpoint format; restores TF's own
    checkpoints too.

    Parameters
    ----------
    var_list : list of Variables, or dict of name -> Variable, optional
        What to save, under which names; default every global variable (by its op's name, as TF).
    max_to_keep : int
        Checkpoints kept; older ones are deleted as new ones are saved (None or 0: keep all).
    keep_checkpoint_every_n_hours : float
        Besides those, keep one checkpoint per this many hours.
    allow_empty : bool
        Allow a Saver with no variables (otherwise a ``ValueError``, as TF).

    Examples
    --------
    >>> import os, tempfile, numpy as np, daskflow as df
    >>> v = df.Variable([1.0, 2.0], name="v")
    >>> saver = df.train.Saver()
    >>> d = tempfile.mkdtemp()
    >>> with df.Session() as s:
    ...     s.run(v.initializer)
    ...     path = saver.save(s, os.path.join(d, "model.ckpt"), global_step=3, write_meta_graph=False)
    >>> os.path.basename(path)
    'model.ckpt-3'
    >>> with df.Session() as s:
    ...     saver.restore(s, df.train.latest_checkpoint(d))
    ...     s.run(v).tolist()
    [1.0, 2.0]
    """

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False, saver_def=None,
                 builder=None, defer_build=False, allow_empty=False, write_version=None, pad_step_number=False,
                 save_relative_paths=False, filename=None):
        graph = get_default_graph()
        variables = graph.get_collection(GLOBAL_VARIABLES) if var_list is None else var_list
        self._vars = _var_names(variables)
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save")
        self.graph = graph
        self._max_to_keep = max_to_keep
        self._keep_every = keep_checkpoint_every_n_hours
        self._next_keep = time.time() + keep_checkpoint_every_n_hours * 3600
        self._pad_step_number = pad_step_number
        self._last = []  # (prefix, time saved), oldest first
        self.saver_def = None if saver_def is None else saver_def

    @property
    def last_checkpoints(self):
        """The prefixes of the checkpoints this Saver keeps, oldest first."""
        return [p for p, _ in self._last]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        self._last = [(p, t) for p, t in last_checkpoints_with_time]

    def recover_last_checkpoints(self, checkpoint_paths):
        """Take over ``checkpoint_paths`` (those that exist) as this Saver's, with their times."""
        paths = [p for p in checkpoint_paths if checkpoint_exists(p)]
        self._last = list(zip(paths, get_checkpoint_mtimes(paths)))

    def as_saver_def(self):
        """TF's ``SaverDef`` of this Saver (the names TF's own Saver would give its ops)."""
        from tensorboard.compat.proto import saver_pb2
        return saver_pb2.SaverDef(filename_tensor_name="save/Const:0", save_tensor_name="save/control_dependency:0",
                                  restore_op_name="save/restore_all", max_to_keep=self._max_to_keep or 0,
                                  sharded=False, keep_checkpoint_every_n_hours=self._keep_every,
                                  version=saver_pb2.SaverDef.V2)

    # -- saving
    def save(self, sess, save_path, global_step=None, latest_filename=None, meta_graph_suffix="meta",
             write_meta_graph=True, write_state=True, strip_default_attrs=False, save_debug_info=False):
        """Write the variables' values in ``sess`` as a checkpoint at ``save_path`` (``-<global_step>`` appended
        when given: an int or a variable / tensor whose value is read); returns the checkpoint's prefix. With
        ``write_meta_graph``, the graph as a meta graph at ``prefix.meta``; with ``write_state``, the directory's
        ``checkpoint`` file names it the latest."""
        if global_step is not None:
            step = int(sess.run(global_step)) if isinstance(global_step, Tensor) else int(global_step)
            prefix = f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
        else:
            prefix = os.fspath(save_path)
        save_dir = os.path.dirname(prefix) or "."
        if not os.path.isdir(save_dir):
            raise errors.NotFoundError(None, None, f"Parent directory of {save_path} doesn't exist, can't save.")
        values = self._values(sess)
        _write_checkpoint(sess, prefix, values)
        if write_meta_graph:
            from . import export_meta_graph
            export_meta_graph(f"{prefix}.{meta_graph_suffix}", graph=sess.graph, saver_def=self.as_saver_def(),
                              strip_default_attrs=strip_default_attrs)
        old = self._remember(prefix)
        if write_state:  # naming only the checkpoints kept, before the others are deleted
            update_checkpoint_state(save_dir, prefix, self.last_checkpoints, latest_filename,
                                    all_model_checkpoint_timestamps=[t for _, t in self._last])
        for p in old:
            remove_checkpoint(p, meta_graph_suffix=meta_graph_suffix)
        return prefix

    def _values(self, sess):
        """The values of the saved variables in ``sess``: numpy arrays, or a cluster's ``RemoteValue``; the parts of
        a partitioned variable put together into the full variable's value."""
        if sess.graph is not self.graph:
            raise ValueError("The Session's graph is not the graph this Saver was made in")
        every = [(name, p) for name, v in self._vars.items() for p in (v if isinstance(v, list) else [v])]
        with sess._lock:
            held = {p.op.name: sess._vars.get(p.op.name) for _, p in every}
        missing = sorted(n for n, val in held.items() if val is None)
        if missing:
            first = next(p for _, p in sorted(every, key=lambda e: e[1].op.name) if held[p.op.name] is None)
            raise errors.FailedPreconditionError(None, first.op, f"Attempting to save uninitialized value(s) "
                                                 f"{missing}: run their initializer (or restore them) first")
        got = {}
        for name, v in self._vars.items():
            if not isinstance(v, list):
                got[name] = held[v.op.name]
                continue
            full = np.empty(_full_shape(v), dtype=v[0].dtype)
            if sum(int(np.prod(p._save_slice_info.var_shape)) for p in v) != full.size:
                raise ValueError(f"Cannot save partitioned variable '{name}' from {len(v)} of its parts: a "
                                 f"checkpoint holds it whole (give the Saver all its parts)")
            for p in v:
                val = held[p.op.name]
                full[_slices(p)] = val.fetch() if isinstance(val, remote.RemoteValue) else val
            got[name] = full
        return got

    def _remember(self, prefix):
        """Record ``prefix`` as the latest checkpoint; the checkpoints beyond ``max_to_keep`` (oldest first) to
        delete, but one per ``keep_checkpoint_every_n_hours``, kept for good."""
        self._last = [(p, t) for p, t in self._last if p != prefix] + [(prefix, time.time())]
        old = []
        while self._max_to_keep and len(self._last) > self._max_to_keep:
            p, saved = self._last.pop(0)
            if saved > self._next_keep:
                self._next_keep += self._keep_every * 3600
            elif p != prefix:
                old.append(p)
        return old

    # -- restoring
    def restore(self, sess, save_path):
        """Assign the saved values to the variables in ``sess``, from the checkpoint at ``save_path`` (daskflow's or
        TF's). Every name, shape and dtype is checked first and all are assigned at once: an error changes no
        variable."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if not checkpoint_exists(os.fspath(save_path)):
            raise errors.NotFoundError(None, None, f"The passed save_path is not a valid checkpoint: {save_path}")
        reader = CheckpointReader(save_path)
        shapes, types = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
        problems = []
        for name, v in sorted(self._vars.items()):
            what = f"partitioned variable {name}" if isinstance(v, list) else f"variable {v.op.name}"
            shape = _full_shape(v) if isinstance(v, list) else v.shape
            if name not in shapes:
                problems.append(f"Key {name} not found in checkpoint")
            elif not _is_compatible(v, shapes[name]):
                problems.append(f"{what}: shape {shape} in the graph, {shapes[name]} in the checkpoint (as {name})")
            elif types[name] != _dtype(v):
                problems.append(f"{what}: dtype {_dtype(v).name} in the graph, {types[name].name} in the "
                                f"checkpoint (as {name})")
        if problems:
            kind = errors.NotFoundError if all(p.startswith("Key ") for p in problems) else \
                errors.InvalidArgumentError
            raise kind(None, None, f"Restoring from checkpoint '{reader.prefix}' failed; no variable was changed:\n  "
                       + "\n  ".join(problems))
        values = _read_checkpoint(sess, reader, self._vars)
        sess._set_values(values)


# -- writing and reading values where they are

def _write_atomically(path, text):
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _regular(chunks):
    """Whether ``chunks`` are zarr's: every block of a dimension the size of the first, but the last smaller."""
    return all(all(c == dim[0] for c in dim[:-1]) and dim[-1] <= dim[0] for dim in chunks if dim)


def _write_block(block, data_path, key, index, slices):
    """Write one block into its chunk of the checkpoint's array; its checksum (on the worker holding it)."""
    import zarr
    block = np.asarray(block)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.open_array(os.path.join(data_path, key), mode="r+")[slices] = block
    return index, _crc(block)


def _write_checkpoint(sess, prefix, values):
    """Write ``values`` (name -> numpy array or ``RemoteValue``) as the checkpoint at ``prefix``: the data under a
    name of its own, then the manifest, atomically; then the data of the checkpoint it replaces (same prefix)."""
    import zarr
    from .. import planner
    base = os.path.basename(prefix)
    save_dir = os.path.dirname(prefix) or "."
    data = f"{base}.data-{uuid.uuid4().hex[:12]}.zarr"
    data_path = os.path.join(save_dir, data)
    old = _read_manifest(prefix)["data"] if os.path.isfile(prefix + _MANIFEST) else None
    entries = {}
    try:
        root = zarr.open_group(data_path, mode="w")
        pending = []
        for i, (name, value) in enumerate(sorted(values.items())):
            key = f"v{i}"
            dtype = dtypes.as_dtype(value.dtype)
            chunks = value.chunks if isinstance(value, remote.RemoteValue) else \
                planner.chunks_for(value.shape, dtype)
            chunks = tuple(tuple(int(c) for c in dim) for dim in chunks)
            zchunks = tuple(max(dim[0], 1) if dim else 1 for dim in chunks)
            if dtypes.is_string(dtype):  # zarr's variable-length bytes (its spec not settled yet in zarr v3)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    root.create_array(key, shape=value.shape, chunks=zchunks or (), dtype="bytes", fill_value=b"")
            else:
                root.create_array(key, shape=value.shape, chunks=zchunks or (), dtype=dtype, fill_value=0)
            entries[name] = {"key": key, "dtype": dtypes.name(dtype),
                             "shape": list(value.shape), "chunks": [list(c) for c in chunks], "checksums": {}}
            blocks = list(np.ndindex(*[len(c) for c in chunks]))
            slices = [tuple(slice(sum(c[:j]), sum(c[:j + 1])) for c, j in zip(chunks, idx)) for idx in blocks]
            names = [".".join(map(str, idx)) or "0" for idx in blocks]
            if isinstance(value, remote.RemoteValue):  # written by the workers holding the blocks
                if not _regular(chunks):
                    raise errors.UnimplementedError(None, None, f"Saving variable '{name}': its blocks {chunks} "
                                                    f"are not a regular chunking")
                pending += [(name, sess._client.submit(_write_block, f, data_path, key, idx, sl, pure=False))
                            for f, idx, sl in zip(value.futures, names, slices)]
            else:
                for idx, sl in zip(names, slices):
                    entries[name]["checksums"].update([_write_block(value[sl], data_path, key, idx, sl)])
        if pending:
            got = sess._client.gather([f for _, f in pending])
            for (name, _), (idx, crc) in zip(pending, got):
                entries[name]["checksums"][idx] = crc
        manifest = {"format": FORMAT, "version": VERSION, "data": data, "variables": entries}
        _write_atomically(prefix + _MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    except BaseException:
        shutil.rmtree(data_path, ignore_errors=True)
        raise
    if old is not None and old != data:
        shutil.rmtree(os.path.join(save_dir, old), ignore_errors=True)


def _read_checkpoint(sess, reader, variables):
    """The values of ``variables`` (checkpoint name -> Variable) read from ``reader``'s checkpoint, as the Session
    holds them (by variable name): numpy arrays locally; on a cluster, blocks read by the workers and kept there
    (TF checkpoints are read here and sent)."""
    client = sess._client
    parts = {name: v for name, v in variables.items() if isinstance(v, list)}
    variables = {name: v for name, v in variables.items() if not isinstance(v, list)}
    sliced = {}
    for name, group in parts.items():  # the full value read here, each part sliced out of it
        full = np.asarray(reader.get_tensor(name), dtype=group[0].dtype)
        sliced.update({p.op.name: np.ascontiguousarray(full[_slices(p)]) for p in group})
    if client is not None:
        sliced = {n: remote.scatter(client, a, name=n) for n, a in sliced.items()}
    if client is None or reader._bundle is not None:
        values = {v.op.name: np.asarray(reader.get_tensor(name), dtype=v.dtype)
                  for name, v in variables.items()}
        if client is not None:
            values = {n: remote.scatter(client, a, name=n) for n, a in values.items()}
        return {**values, **sliced}
    news = {}
    try:
        for name, v in variables.items():
            e = reader._entry(name)
            futures = [client.submit(_read_block, reader.data_path, e["key"], name, idx, sl, crc, pure=False)
                       for sl, idx, crc in reader.blocks(name)]
            news[v.op.name] = remote.NewValue(futures, [tuple(c) for c in e["chunks"]], v.dtype)
        remote.wait(client, [f for nv in news.values() for f in nv.blocks])
        return {**remote.keep(client, news), **sliced}
    finally:
        for nv in news.values():
            for f in nv.blocks:
                f.release()
