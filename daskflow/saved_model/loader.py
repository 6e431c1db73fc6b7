"""TF1's ``tf.saved_model.loader``: ``load`` a SavedModel's meta graph into a Session, with its variables."""
import os

from ..graph_def import import_meta_graph, pb
from ..ops.state import GLOBAL_VARIABLES
from . import constants
from .signature_def_utils import load_op_from_signature_def
from .utils import prepend_name_scope, saved_model_class

__all__ = ["load", "maybe_saved_model_directory", "contains_saved_model"]


def parse_saved_model(export_dir):
    """The ``SavedModel`` message of ``export_dir`` (``saved_model.pb``, else ``saved_model.pbtxt``); an ``OSError``
    when neither exists or it does not parse."""
    from google.protobuf import message, text_format
    export_dir = os.fspath(export_dir)
    path_pb = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PB)
    path_txt = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
    saved_model = saved_model_class()()
    if os.path.isfile(path_pb):
        with open(path_pb, "rb") as f:
            data = f.read()
        try:
            saved_model.ParseFromString(data)
        except message.DecodeError as e:
            raise OSError(f"Cannot parse file {path_pb}: {e}.") from e
    elif os.path.isfile(path_txt):
        with open(path_txt, "rb") as f:
            data = f.read()
        try:
            text_format.Parse(data.decode("utf-8"), saved_model)
        except text_format.ParseError as e:
            raise OSError(f"Cannot parse file {path_txt}: {e}.") from e
    else:
        raise OSError(f"SavedModel file does not exist at: {export_dir}{os.path.sep}"
                      f"{{{constants.SAVED_MODEL_FILENAME_PBTXT}|{constants.SAVED_MODEL_FILENAME_PB}}}")
    return saved_model


def maybe_saved_model_directory(export_dir):
    """Whether ``export_dir`` holds a SavedModel file (``saved_model.pb`` or ``.pbtxt``); True does not promise it
    loads."""
    export_dir = os.fspath(export_dir)
    return any(os.path.exists(os.path.join(export_dir, name)) for name in
               (constants.SAVED_MODEL_FILENAME_PB, constants.SAVED_MODEL_FILENAME_PBTXT, "saved_model.cpb"))


contains_saved_model = maybe_saved_model_directory


def meta_graph_from_tags(saved_model, tags):
    """The meta graph whose tag set is ``tags``; a ``RuntimeError`` naming the tag sets there are otherwise."""
    available = []
    for meta in saved_model.meta_graphs:
        available.append(set(meta.meta_info_def.tags))
        if set(meta.meta_info_def.tags) == set(tags):
            return meta
    raise RuntimeError(f"MetaGraphDef associated with tags {str(tags).strip('[]')} could not be found in SavedModel, "
                       f"with available tags '{available}'. To inspect available tag-sets in the SavedModel, please "
                       "use the SavedModel CLI: `saved_model_cli`.")


def _asset_feeds(graph, export_dir, meta, import_scope):
    """``{asset tensor: path of its file under assets/}``, to feed the init op."""
    protos = list(meta.asset_file_def)
    if not protos and constants.ASSETS_KEY in meta.collection_def:
        for a in meta.collection_def[constants.ASSETS_KEY].any_list.value:
            protos.append(pb().meta.AssetFileDef.FromString(a.value))
    assets_dir = os.path.join(os.fspath(export_dir), constants.ASSETS_DIRECTORY)
    return {graph.get_tensor_by_name(prepend_name_scope(a.tensor_info.name, import_scope)):
            os.fsencode(os.path.join(assets_dir, a.filename)) for a in protos}


def _init_op(graph, meta, import_scope):
    """The op the loader runs after the restore: the init-op signature's, else the main op's or the legacy init op's
    collection's."""
    if constants.INIT_OP_SIGNATURE_KEY in meta.signature_def:
        return load_op_from_signature_def(meta.signature_def[constants.INIT_OP_SIGNATURE_KEY],
                                          constants.INIT_OP_SIGNATURE_KEY, import_scope)
    for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
        if key in meta.collection_def:
            names = meta.collection_def[key].node_list.value
            if len(names) != 1:
                raise RuntimeError(f"Expected exactly one SavedModel init op. Found {len(names)}: {names}.")
            return graph.as_graph_element(prepend_name_scope(names[0], import_scope))
    return None


def _restore(sess, saver, export_dir, import_scope):
    from .. import errors
    prefix = os.path.join(os.fspath(export_dir), constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME)
    if saver is None or not saver._vars:
        if sess.graph.get_collection(GLOBAL_VARIABLES, scope=import_scope):
            raise ValueError("No tf.train.Saver object was passed to the function "
                             "`SavedModelLoader.restore_variables`. Since there are variables in the graph, a saver "
                             "is required.")
        return
    try:
        saver.restore(sess, prefix)
    except (errors.DataLossError, errors.UnimplementedError) as e:
        if os.path.isfile(prefix + ".index"):
            raise type(e)(None, None, f"The variables of the SavedModel at {export_dir} are a TensorFlow checkpoint "
                          f"(tensor bundle '{prefix}.index') that daskflow cannot read: {e.message}") from None
        raise


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """Load the meta graph of ``tags`` from the SavedModel in ``export_dir`` into ``sess.graph``, restore its
    variables in ``sess``, and run its main op (or legacy init op), with its asset tensors fed the paths of the
    asset files (TF1's ``tf.saved_model.load`` / ``loader.load``).

    Parameters
    ----------
    sess : Session
    tags : list of str
        The tag set of the meta graph (e.g. ``[tf.saved_model.SERVING]``).
    export_dir : str
        A SavedModel written by daskflow; or by TensorFlow, when its ops are ones daskflow imports and its
        variables a checkpoint daskflow's ``Saver`` reads.
    import_scope : str, optional
        Name scope prefixed to the loaded names (not to the returned MetaGraphDef's).
    **saver_kwargs
        Passed to ``import_meta_graph`` (``clear_devices``, ``restore_collections_predicate``...).

    Returns
    -------
    MetaGraphDef
        The loaded meta graph, with its signatures: ``sess.graph.get_tensor_by_name`` of a signature's tensor names
        gives the tensors to feed and fetch.

    Raises
    ------
    OSError
        No SavedModel file in ``export_dir``.
    RuntimeError
        No meta graph of the tag set ``tags``.
    """
    saved_model = parse_saved_model(export_dir)
    meta = meta_graph_from_tags(saved_model, tags)
    keep = saver_kwargs.pop("restore_collections_predicate", lambda key: True)
    with sess.graph.as_default():
        saver = import_meta_graph(meta, import_scope=import_scope,
                                  restore_collections_predicate=lambda k: k != constants.ASSETS_KEY and keep(k),
                                  **saver_kwargs)
        _restore(sess, saver, export_dir, import_scope)
        feeds = _asset_feeds(sess.graph, export_dir, meta, import_scope)
        init_op = _init_op(sess.graph, meta, import_scope)
        if init_op is not None:
            sess.run([init_op], feed_dict=feeds)
    return meta
