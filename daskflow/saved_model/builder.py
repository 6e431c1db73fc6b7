"""TF1's ``tf.saved_model.Builder`` (``builder.SavedModelBuilder``) and ``simple_save``.

A SavedModel directory holds ``saved_model.pb``, TF's ``SavedModel`` message with one ``MetaGraphDef`` per tag set
(its graph, collections, signatures and saver), ``variables/``, the checkpoint of the first meta graph's variables
at prefix ``variables/variables`` (written by ``daskflow.train.Saver``, in daskflow's checkpoint format), and
``assets/``, the asset files the meta graphs name.
"""
import os
import shutil

from .. import logging
from ..graph import Operation, Tensor, get_default_graph
from ..graph_def import export_meta_graph, pb
from ..ops.hostvalue import constant_value
from . import constants, signature_constants, signature_def_utils, tag_constants
from .utils import saved_model_class

__all__ = ["SavedModelBuilder", "simple_save"]

_ANY_URL = "type.googleapis.com/tensorflow.AssetFileDef"  # as TF packs AssetFileDefs into Any


def write_saved_model(saved_model, export_dir, as_text):
    """Write ``saved_model`` into ``export_dir`` (binary, or protobuf text); the path written, as bytes (as TF)."""
    from google.protobuf import text_format
    os.makedirs(export_dir, exist_ok=True)
    if as_text:
        path = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
        with open(path, "w") as f:
            f.write(text_format.MessageToString(saved_model))
    else:
        path = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PB)
        with open(path, "wb") as f:
            f.write(saved_model.SerializeToString(deterministic=True))
    return os.fsencode(path)


def _asset_path(t):
    """The file path held by asset tensor ``t``: a scalar string constant."""
    if not isinstance(t, Tensor):
        raise TypeError(f"Asset path tensor {t} must be a Tensor.")
    if t.op.type != "Const":
        raise TypeError(f"Asset path tensor {t} must be of type constant.Has type {t.op.type} instead.")
    if t.dtype.kind != "O":
        raise TypeError(f"Asset path tensor {t}` must be of dtype string.Has type {t.dtype} instead.")
    value = constant_value(t)
    if value.ndim != 0:
        raise TypeError(f"Asset path tensor {t} must be a scalar.")
    path = value.item()
    return path.decode("utf-8") if isinstance(path, bytes) else str(path)


def _asset_name(path, names):
    """The file name an asset is saved under: its base name, suffixed ``_1``, ``_2``... when another file of that
    name (of other content) is already saved."""
    name = os.path.basename(path)
    if name not in names or names[name] == path or _same_file(names[name], path):
        return name
    i, unique = 1, name
    while unique in names:
        unique, i = f"{name}_{i}", i + 1
    return unique


def _same_file(a, b):
    import filecmp
    return os.path.isfile(a) and os.path.isfile(b) and filecmp.cmp(a, b, shallow=False)


def _asset_any(filename, tensor_name):
    from google.protobuf import any_pb2
    asset = pb().meta.AssetFileDef(filename=filename)
    asset.tensor_info.name = tensor_name
    return any_pb2.Any(type_url=_ANY_URL, value=asset.SerializeToString(deterministic=True))


class SavedModelBuilder:
    """Builds a SavedModel (TF1's ``tf.saved_model.Builder``): the first meta graph with the variables
    (``add_meta_graph_and_variables``), more meta graphs of the same variables under other tags
    (``add_meta_graph``), then ``save``.

    Parameters
    ----------
    export_dir : str
        Created when missing; an ``AssertionError`` if it exists and is not empty.

    Examples
    --------
    >>> import os, tempfile, numpy as np, daskflow as df
    >>> d = os.path.join(tempfile.mkdtemp(), "model")
    >>> g = df.Graph()
    >>> with g.as_default():
    ...     x = df.placeholder(df.float32, [None], name="x")
    ...     y = df.multiply(x, df.Variable(3.0, name="w"), name="y")
    ...     with df.Session() as sess:
    ...         sess.run(df.global_variables_initializer())
    ...         b = df.saved_model.Builder(d)
    ...         b.add_meta_graph_and_variables(sess, [df.saved_model.SERVING])
    ...         _ = b.save()
    >>> with df.Session(graph=df.Graph()) as sess:
    ...     meta = df.saved_model.load(sess, [df.saved_model.SERVING], d)
    ...     sess.run("y:0", {"x:0": [1.0, 2.0]}).tolist()
    [3.0, 6.0]
    """

    def __init__(self, export_dir):
        self._saved_model = saved_model_class()(saved_model_schema_version=constants.SAVED_MODEL_SCHEMA_VERSION)
        self._export_dir = os.fspath(export_dir)
        if os.path.exists(self._export_dir):
            if os.listdir(self._export_dir):
                raise AssertionError(f"Export directory {self._export_dir} already exists, and isn't empty. Please "
                                     "choose a different export directory, or delete all the contents of the "
                                     "specified directory.")
        else:
            os.makedirs(self._export_dir)
        self._has_saved_variables = False
        self._saved_asset_files = set()

    # -- checks
    def _validate_tensor_info(self, info):
        if info is None:
            raise AssertionError("All TensorInfo protos used in the SignatureDefs must have the name and dtype "
                                 "fields set.")
        if info.WhichOneof("encoding") is None:
            raise AssertionError(f"Invalid `tensor_info`: {info}. All TensorInfo protos used in the SignatureDefs "
                                 "must have one of the 'encoding' fields (e.g., name or coo_sparse) set.")
        if info.dtype == 0:
            raise AssertionError(f"Invalid `tensor_info`: {info}. All TensorInfo protos used in the SignatureDefs "
                                 "must have the dtype field set.")

    def _validate_signature_def_map(self, signature_def_map):
        for sig in signature_def_map.values():
            for info in list(sig.inputs.values()) + list(sig.outputs.values()):
                self._validate_tensor_info(info)
        for key, what in ((constants.INIT_OP_SIGNATURE_KEY, "for initialization"),
                          (constants.TRAIN_OP_SIGNATURE_KEY, "for the train op")):
            if key in signature_def_map:
                raise KeyError(f'SignatureDef map key "{key}" is reserved {what}. Please use a different key.')

    # -- collections of the graph
    def _add_collections(self, graph, assets_collection, main_op):
        names = {}
        for t in assets_collection or []:
            path = _asset_path(t)
            name = _asset_name(path, names)
            graph.add_to_collection(constants.ASSETS_KEY, _asset_any(name, t.name))
            names[name] = path
        self._copy_assets(names)
        if main_op is None:
            return
        if not isinstance(main_op, Operation):
            raise TypeError(f"Expected {main_op} to be an Operation but got type {type(main_op)} instead.")
        for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
            if graph.get_collection(key):
                raise ValueError(f"Graph already contains one or more main ops under the collection {key}.")
        graph.add_to_collection(constants.MAIN_OP_KEY, main_op)

    def _copy_assets(self, names):
        if not names:
            return
        assets_dir = os.path.join(self._export_dir, constants.ASSETS_DIRECTORY)
        os.makedirs(assets_dir, exist_ok=True)
        for name, src in names.items():
            dst = os.path.join(assets_dir, name)
            if os.path.exists(src) and os.path.abspath(src) != os.path.abspath(dst) and \
                    dst not in self._saved_asset_files:
                shutil.copyfile(src, dst)
                self._saved_asset_files.add(dst)
        logging.info("Assets written to: %s", assets_dir)

    # -- meta graphs
    def _saver(self, graph, saver):
        if saver is not None:
            return saver
        from ..train.saver import Saver
        with graph.as_default():
            return Saver(allow_empty=True, sharded=True)

    def _meta_graph(self, graph, saver, clear_devices):
        keys = [k for k in graph.collections if k != constants.ASSETS_KEY]
        meta = export_meta_graph(graph=graph, saver_def=saver.as_saver_def() if saver._vars else None,
                                 collection_list=keys, clear_devices=clear_devices)
        assets = graph.get_collection(constants.ASSETS_KEY)
        if assets:
            meta.collection_def[constants.ASSETS_KEY].any_list.value.extend(assets)
        return meta

    def _tag_and_add(self, meta, tags, signature_def_map):
        meta.meta_info_def.tags.extend(tags)
        for key, sig in signature_def_map.items():
            meta.signature_def[key].CopyFrom(sig)
        self._saved_model.meta_graphs.add().CopyFrom(meta)

    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None, assets_collection=None,
                                     legacy_init_op=None, clear_devices=False, main_op=None,
                                     strip_default_attrs=False, saver=None):
        """Add ``sess.graph`` as the first meta graph, under ``tags``, and save the values of its global variables
        in ``sess`` (they must be initialized) into ``variables/``.

        ``signature_def_map`` maps signature keys to ``SignatureDef``s; ``assets_collection`` lists scalar string
        constants naming files, copied into ``assets/`` (a loader feeds them their new paths); ``main_op`` (or
        ``legacy_init_op``) is an op the loader runs after restoring the variables. ``saver``: a
        ``daskflow.train.Saver`` to use (default one of all global variables). ``strip_default_attrs`` is accepted
        for TensorFlow compatibility (daskflow writes no default attrs)."""
        if self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has already been saved. Please invoke "
                                 "`add_meta_graph()` instead.")
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        graph = sess.graph
        self._add_collections(graph, assets_collection, main_op if main_op is not None else legacy_init_op)
        variables_dir = os.path.join(self._export_dir, constants.VARIABLES_DIRECTORY)
        os.makedirs(variables_dir, exist_ok=True)
        saver = self._saver(graph, saver)
        if saver._vars:
            saver.save(sess, os.path.join(variables_dir, constants.VARIABLES_FILENAME), write_meta_graph=False,
                       write_state=False)
        self._tag_and_add(self._meta_graph(graph, saver, clear_devices), tags, signature_def_map)
        self._has_saved_variables = True

    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None, legacy_init_op=None,
                       clear_devices=False, main_op=None, strip_default_attrs=False, saver=None):
        """Add the default graph as another meta graph, under ``tags``, sharing the variables saved by
        ``add_meta_graph_and_variables`` (an ``AssertionError`` if that was not called first). Arguments as
        there."""
        if not self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has not been saved yet. Please invoke "
                                 "`add_meta_graph_and_variables()` first.")
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        graph = get_default_graph()
        self._add_collections(graph, assets_collection, main_op if main_op is not None else legacy_init_op)
        saver = self._saver(graph, saver)
        self._tag_and_add(self._meta_graph(graph, saver, clear_devices), tags, signature_def_map)

    def save(self, as_text=False):
        """Write ``saved_model.pb`` (or with ``as_text``, ``saved_model.pbtxt``); returns its path (bytes, as
        TF)."""
        path = write_saved_model(self._saved_model, self._export_dir, as_text)
        logging.info("SavedModel written to: %s", os.fsdecode(path))
        return path


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """Save ``session``'s graph and variables as a SavedModel for serving (TF1's ``tf.saved_model.simple_save``):
    tag ``serve``, one predict signature ``serving_default`` of ``inputs`` and ``outputs`` (dicts of name ->
    tensor), the graph's ``asset_filepaths`` collection as assets, devices cleared."""
    sigs = {signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
            signature_def_utils.predict_signature_def(inputs, outputs)}
    b = SavedModelBuilder(export_dir)
    b.add_meta_graph_and_variables(session, tags=[tag_constants.SERVING], signature_def_map=sigs,
                                   assets_collection=session.graph.get_collection(constants.ASSET_FILEPATHS),
                                   main_op=legacy_init_op, clear_devices=True)
    b.save()
