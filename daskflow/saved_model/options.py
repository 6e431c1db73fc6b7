"""``tf.saved_model.Asset`` and ``SaveOptions``."""
from .. import dtypes
from ..graph import init_scope
from ..ops.state import constant

__all__ = ["Asset", "SaveOptions"]


class Asset:
    """A file a SavedModel carries (TF's ``tf.saved_model.Asset``): ``asset_path`` is a scalar string constant
    holding ``path``; pass it in a Builder's ``assets_collection`` (or add it to the graph's ``asset_filepaths``
    collection for ``simple_save``) to have the file copied into ``assets/`` and the tensor fed the copy's path when
    the model's init op runs on load."""

    def __init__(self, path):
        if isinstance(path, Asset):
            path = path.asset_path
        with init_scope():
            self.asset_path = path if hasattr(path, "op") else constant(path, dtype=dtypes.string, name="asset_path")


class SaveOptions:
    """Options of TF2's object-based ``tf.saved_model.save`` (TF's ``SaveOptions``), kept as given:
    ``namespace_whitelist`` (list of op namespaces), ``save_debug_info``, ``function_aliases`` (dict),
    ``experimental_io_device``, ``experimental_variable_policy`` and the other ``experimental_*`` flags,
    ``extra_tags``."""

    __slots__ = ("namespace_whitelist", "save_debug_info", "function_aliases", "experimental_debug_stripper",
                 "experimental_io_device", "experimental_variable_policy", "experimental_custom_gradients",
                 "experimental_image_format", "experimental_skip_saver", "experimental_sharding_callback",
                 "extra_tags")

    _POLICIES = (None, "none", "save_variable_devices", "expand_distributed_variables")

    def __init__(self, namespace_whitelist=None, save_debug_info=False, function_aliases=None,
                 experimental_debug_stripper=False, experimental_io_device=None, experimental_variable_policy=None,
                 experimental_custom_gradients=True, experimental_image_format=False, experimental_skip_saver=False,
                 experimental_sharding_callback=None, extra_tags=None):
        if isinstance(namespace_whitelist, str):
            namespace_whitelist = [namespace_whitelist]
        policy = getattr(experimental_variable_policy, "value", experimental_variable_policy)
        if policy not in self._POLICIES:
            raise ValueError(f"Invalid VariablePolicy value: {experimental_variable_policy}.")
        self.namespace_whitelist = list(namespace_whitelist or [])
        self.save_debug_info = save_debug_info
        self.function_aliases = function_aliases if function_aliases else {}
        self.experimental_debug_stripper = experimental_debug_stripper
        self.experimental_io_device = experimental_io_device
        self.experimental_variable_policy = policy
        self.experimental_custom_gradients = experimental_custom_gradients
        self.experimental_image_format = experimental_image_format
        self.experimental_skip_saver = experimental_skip_saver
        self.experimental_sharding_callback = experimental_sharding_callback
        self.extra_tags = extra_tags
