"""TF1's ``tf.profiler.ProfileOptionBuilder``: the dict of options ``profile`` and ``Profiler`` take."""
import copy

__all__ = ["ProfileOptionBuilder", "TRAINABLE_VARIABLES"]

TRAINABLE_VARIABLES = "_trainable_variables"  # the type the profiler gives the ops of trainable variables


def _options(**changes):
    opts = {"max_depth": 10000, "min_bytes": 0, "min_micros": 0, "min_params": 0, "min_float_ops": 0,
            "min_occurrence": 0, "order_by": "name", "account_type_regexes": [".*"], "start_name_regexes": [".*"],
            "trim_name_regexes": [], "show_name_regexes": [".*"], "hide_name_regexes": [],
            "account_displayed_op_only": True, "select": ["micros"], "step": -1, "output": "stdout"}
    opts.update(changes)
    return opts


class ProfileOptionBuilder:
    """Builds a profiling options dict: start from ``options`` (or TF's defaults), chain the ``with_*``,
    ``select``, ``order_by``... setters, then ``build()``.

    Examples
    --------
    >>> import daskflow as df
    >>> opts = (df.profiler.ProfileOptionBuilder(df.profiler.ProfileOptionBuilder.float_operation())
    ...         .with_max_depth(3).with_empty_output().build())
    >>> opts["max_depth"], opts["output"], opts["select"]
    (3, 'none', ['float_ops'])
    """

    def __init__(self, options=None):
        self._options = copy.deepcopy(options) if options is not None else _options(
            max_depth=100, account_displayed_op_only=False)

    @staticmethod
    def trainable_variables_parameter():
        """Options counting the parameters of trainable variables (for the "scope" view)."""
        return _options(account_type_regexes=[TRAINABLE_VARIABLES], select=["params"])

    @staticmethod
    def float_operation():
        """Options counting float operations, ordered by them, showing ops with at least one."""
        return _options(min_float_ops=1, order_by="float_ops", select=["float_ops"])

    @staticmethod
    def time_and_memory(min_micros=1, min_bytes=1, min_accelerator_micros=0, min_cpu_micros=0, min_peak_bytes=0,
                        min_residual_bytes=0, min_output_bytes=0):
        """Options showing execution time and memory, ordered by time."""
        return _options(min_bytes=min_bytes, min_peak_bytes=min_peak_bytes, min_residual_bytes=min_residual_bytes,
                        min_output_bytes=min_output_bytes, min_micros=min_micros,
                        min_accelerator_micros=min_accelerator_micros, min_cpu_micros=min_cpu_micros,
                        order_by="micros", select=["micros", "bytes"])

    def build(self):
        """The options dict (a copy)."""
        return copy.deepcopy(self._options)

    def _set(self, **kw):
        self._options.update(kw)
        return self

    def with_max_depth(self, max_depth):
        """Show nodes at most ``max_depth`` deep in the view."""
        return self._set(max_depth=max_depth)

    def with_min_memory(self, min_bytes=0, min_peak_bytes=0, min_residual_bytes=0, min_output_bytes=0):
        return self._set(min_bytes=min_bytes, min_peak_bytes=min_peak_bytes, min_residual_bytes=min_residual_bytes,
                         min_output_bytes=min_output_bytes)

    def with_min_execution_time(self, min_micros=0, min_accelerator_micros=0, min_cpu_micros=0):
        return self._set(min_micros=min_micros, min_accelerator_micros=min_accelerator_micros,
                         min_cpu_micros=min_cpu_micros)

    def with_min_parameters(self, min_params):
        """Show only nodes with at least ``min_params`` parameters of their own."""
        return self._set(min_params=min_params)

    def with_min_occurrence(self, min_occurrence):
        return self._set(min_occurrence=min_occurrence)

    def with_min_float_operations(self, min_float_ops):
        """Show only nodes with at least ``min_float_ops`` float operations of their own."""
        return self._set(min_float_ops=min_float_ops)

    def with_accounted_types(self, account_type_regexes):
        """Count only nodes one of whose types (op type, device, types given by an ``OpLogProto``) fully matches
        one of ``account_type_regexes``."""
        return self._set(account_type_regexes=list(account_type_regexes))

    def with_node_names(self, start_name_regexes=None, show_name_regexes=None, hide_name_regexes=None,
                        trim_name_regexes=None):
        """Start showing at nodes matching ``start_name_regexes``, show those matching ``show_name_regexes`` and
        not ``hide_name_regexes``, and look no deeper below those matching ``trim_name_regexes``."""
        for key, value in (("start_name_regexes", start_name_regexes), ("show_name_regexes", show_name_regexes),
                           ("hide_name_regexes", hide_name_regexes), ("trim_name_regexes", trim_name_regexes)):
            if value is not None:
                self._options[key] = list(value)
        return self

    def account_displayed_op_only(self, is_true):
        """Whether totals count only the nodes displayed."""
        return self._set(account_displayed_op_only=is_true)

    def with_empty_output(self):
        """Print nothing."""
        return self._set(output="none")

    def with_stdout_output(self):
        """Print the report to stdout."""
        return self._set(output="stdout")

    def with_file_output(self, outfile):
        """Write the report to ``outfile``."""
        return self._set(output=f"file:outfile={outfile}")

    def order_by(self, attribute):
        """Order nodes by ``attribute``: name, params, float_ops, micros, bytes, occurrence..."""
        return self._set(order_by=attribute)

    def select(self, attributes):
        """The attributes shown: params, float_ops, micros, bytes..."""
        return self._set(select=list(attributes))

    def with_step(self, step):
        """Profile the run metadata added with ``Profiler.add_step(step, ...)``; -1 for all steps."""
        return self._set(step=step)
