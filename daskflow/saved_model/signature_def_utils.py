"""TF1's ``tf.saved_model.signature_def_utils``: ``SignatureDef`` protos (the named inputs and outputs of a model
function, with TF Serving's method name), their validity checks, and ``MethodNameUpdater``."""
import os

from ..graph import Tensor
from ..graph_def import dtype_enum, pb, tensor_proto
from . import constants, signature_constants as sc
from .utils import build_tensor_info, build_tensor_info_from_op, get_element_from_tensor_info

__all__ = ["MethodNameUpdater", "build_signature_def", "classification_signature_def", "is_valid_signature",
           "predict_signature_def", "regression_signature_def"]


def build_signature_def(inputs=None, outputs=None, method_name=None, defaults=None):
    """A ``SignatureDef`` of ``inputs`` and ``outputs`` (dicts of name -> ``TensorInfo``), ``method_name`` and
    ``defaults`` (dict of input name -> a constant tensor, written as its ``TensorProto``)."""
    sig = pb().meta.SignatureDef()
    for key, info in (inputs or {}).items():
        sig.inputs[key].CopyFrom(info)
    for key, info in (outputs or {}).items():
        sig.outputs[key].CopyFrom(info)
    if method_name is not None:
        sig.method_name = method_name
    for key, default in (defaults or {}).items():
        if not isinstance(default, Tensor) or default.op.type != "Const":
            raise ValueError(f"Unable to convert object {default} of type {type(default)} to TensorProto.")
        sig.defaults[key].CopyFrom(tensor_proto(default.op.attrs["value"]))
    return sig


def regression_signature_def(examples, predictions):
    """A signature for TF Serving's Regress API: ``examples`` a string tensor (serialized ``tf.Example``s),
    ``predictions`` a float32 tensor."""
    if examples is None:
        raise ValueError("Regression `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError("Expected regression `examples` to be of type Tensor. "
                         f"Found `examples` of type {type(examples)}.")
    if predictions is None:
        raise ValueError("Regression `predictions` cannot be None.")
    inp = build_tensor_info(examples)
    if inp.dtype != dtype_enum("string"):
        raise ValueError(f"Regression input tensors must be of type string. Found tensors with type {inp.dtype}.")
    out = build_tensor_info(predictions)
    if out.dtype != dtype_enum("float32"):
        raise ValueError(f"Regression output tensors must be of type float. Found tensors with type {out.dtype}.")
    return build_signature_def({sc.REGRESS_INPUTS: inp}, {sc.REGRESS_OUTPUTS: out}, sc.REGRESS_METHOD_NAME)


def classification_signature_def(examples, classes, scores):
    """A signature for TF Serving's Classify API: ``examples`` a string tensor, ``classes`` a string tensor and
    ``scores`` a float32 tensor (either may be None, not both)."""
    if examples is None:
        raise ValueError("Classification `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError("Classification `examples` must be a string Tensor. "
                         f"Found `examples` of type {type(examples)}.")
    if classes is None and scores is None:
        raise ValueError("Classification `classes` and `scores` cannot both be None.")
    inp = build_tensor_info(examples)
    if inp.dtype != dtype_enum("string"):
        raise ValueError(f"Classification input tensors must be of type string. Found tensors of type {inp.dtype}")
    outputs = {}
    if classes is not None:
        info = build_tensor_info(classes)
        if info.dtype != dtype_enum("string"):
            raise ValueError(f"Classification classes must be of type string Tensor. Found tensors of type "
                             f"{info.dtype}.`")
        outputs[sc.CLASSIFY_OUTPUT_CLASSES] = info
    if scores is not None:
        info = build_tensor_info(scores)
        if info.dtype != dtype_enum("float32"):
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_SCORES] = info
    return build_signature_def({sc.CLASSIFY_INPUTS: inp}, outputs, sc.CLASSIFY_METHOD_NAME)


def predict_signature_def(inputs, outputs):
    """A signature for TF Serving's Predict API: ``inputs`` and ``outputs`` dicts of name -> tensor, of any
    dtype."""
    if not inputs:
        raise ValueError("Prediction `inputs` cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction `outputs` cannot be None or empty.")
    return build_signature_def({k: build_tensor_info(t) for k, t in inputs.items()},
                               {k: build_tensor_info(t) for k, t in outputs.items()}, sc.PREDICT_METHOD_NAME)


def _valid_predict(sig):
    return sig.method_name == sc.PREDICT_METHOD_NAME and bool(sig.inputs) and bool(sig.outputs)


def _valid_regression(sig):
    return (sig.method_name == sc.REGRESS_METHOD_NAME and set(sig.inputs) == {sc.REGRESS_INPUTS}
            and sig.inputs[sc.REGRESS_INPUTS].dtype == dtype_enum("string")
            and set(sig.outputs) == {sc.REGRESS_OUTPUTS}
            and sig.outputs[sc.REGRESS_OUTPUTS].dtype == dtype_enum("float32"))


def _valid_classification(sig):
    if sig.method_name != sc.CLASSIFY_METHOD_NAME or set(sig.inputs) != {sc.CLASSIFY_INPUTS}:
        return False
    if sig.inputs[sc.CLASSIFY_INPUTS].dtype != dtype_enum("string"):
        return False
    if not sig.outputs or set(sig.outputs) - {sc.CLASSIFY_OUTPUT_CLASSES, sc.CLASSIFY_OUTPUT_SCORES}:
        return False
    want = {sc.CLASSIFY_OUTPUT_CLASSES: "string", sc.CLASSIFY_OUTPUT_SCORES: "float32"}
    return all(sig.outputs[k].dtype == dtype_enum(want[k]) for k in sig.outputs)


def is_valid_signature(signature_def):
    """Whether ``signature_def`` is a valid classification, regression or predict signature (as TF Serving needs
    them)."""
    if signature_def is None:
        return False
    return _valid_classification(signature_def) or _valid_regression(signature_def) or _valid_predict(signature_def)


def op_signature_def(op, key):
    """A signature whose one output ``key`` names ``op`` (how init and train ops are recorded)."""
    return build_signature_def(outputs={key: build_tensor_info_from_op(op)})


def load_op_from_signature_def(signature_def, key, import_scope=None):
    """The op (or tensor) output ``key`` of ``signature_def`` names, in the default graph."""
    from .. import errors
    try:
        return get_element_from_tensor_info(signature_def.outputs[key], import_scope=import_scope)
    except KeyError:
        raise errors.NotFoundError(
            None, None, f'The key "{key}" could not be found in the graph. Please make sure the SavedModel was '
            'created by the internal _SavedModelBuilder. If you are using the public API, please make sure the '
            f'SignatureDef in the SavedModel does not contain the key "{key}".') from None


class MethodNameUpdater:
    """Changes the ``method_name`` of signatures of the SavedModel in ``export_dir`` (e.g. predict to regress), then
    ``save``s it there or to a new directory (only the ``saved_model.pb``/``.pbtxt`` file is written)."""

    def __init__(self, export_dir):
        from .loader import parse_saved_model
        self._export_dir = os.fspath(export_dir)
        self._saved_model = parse_saved_model(export_dir)

    def replace_method_name(self, signature_key, method_name, tags=None):
        """Set ``method_name`` of signature ``signature_key`` in the meta graph of ``tags`` (a tag or list of tags),
        or in every meta graph when ``tags`` is None."""
        if not signature_key:
            raise ValueError("`signature_key` must be defined.")
        if not method_name:
            raise ValueError("`method_name` must be defined.")
        if tags is not None and not isinstance(tags, list):
            tags = [tags]
        found = False
        for meta in self._saved_model.meta_graphs:
            if tags is None or set(tags) == set(meta.meta_info_def.tags):
                if signature_key not in meta.signature_def:
                    raise ValueError(
                        f"MetaGraphDef associated with tags {tags} does not have a signature_def with key: "
                        f"'{signature_key}'. This means either you specified the wrong signature key or forgot to "
                        "put the signature_def with the corresponding key in your SavedModel.")
                meta.signature_def[signature_key].method_name = method_name
                found = True
        if not found:
            raise ValueError(f"MetaGraphDef associated with tags {tags} could not be found in SavedModel. This means "
                             "either you specified invalid tags or your SavedModel does not have a MetaGraphDef with "
                             "the specified tags.")

    def save(self, new_export_dir=None):
        """Write the updated SavedModel file into ``new_export_dir`` (default: where it was read), in the form it
        was read (binary or text)."""
        from .builder import write_saved_model
        as_text = os.path.isfile(os.path.join(self._export_dir, constants.SAVED_MODEL_FILENAME_PBTXT))
        write_saved_model(self._saved_model, os.fspath(new_export_dir or self._export_dir), as_text)
