"""TF1's ``tf.saved_model`` (``tf.compat.v1.saved_model``): write a graph, its variables, signatures and assets as a
SavedModel directory, and load it back into a Session.

``saved_model.pb`` is TF's ``SavedModel`` message; the variables are a daskflow checkpoint at
``variables/variables`` (see ``daskflow.train.Saver``). TF2's object-based ``save``/``load_v2`` are not provided.
"""
from . import builder, constants, loader, main_op, signature_constants, signature_def_utils, tag_constants, utils
from .builder import SavedModelBuilder, simple_save
from .constants import *  # noqa: F401,F403
from .loader import contains_saved_model, load, maybe_saved_model_directory
from .main_op import main_op_with_restore
from .options import Asset, SaveOptions
from .signature_constants import *  # noqa: F401,F403
from .signature_def_utils import (build_signature_def, classification_signature_def, is_valid_signature,
                                  predict_signature_def, regression_signature_def)
from .tag_constants import *  # noqa: F401,F403
from .utils import build_tensor_info, get_tensor_from_tensor_info

Builder = SavedModelBuilder

__all__ = (["Asset", "Builder", "SaveOptions", "build_signature_def", "build_tensor_info", "builder",
            "classification_signature_def", "constants", "contains_saved_model", "get_tensor_from_tensor_info",
            "is_valid_signature", "load", "loader", "main_op", "main_op_with_restore", "maybe_saved_model_directory",
            "predict_signature_def", "regression_signature_def", "signature_constants", "signature_def_utils",
            "simple_save", "tag_constants", "utils"]
           + constants.__all__ + signature_constants.__all__ + tag_constants.__all__)
