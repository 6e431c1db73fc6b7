"""TF1's ``make_template``: a function that makes its variables (``get_variable``) on its first call and reuses
them on later calls, each call in a name scope of its own (TF's ``template.py`` rules, names and messages)."""
import functools
import traceback

from ..graph import get_default_graph
from .state import GLOBAL_VARIABLES, LOCAL_VARIABLES, TRAINABLE_VARIABLES, Variable, global_variables
from .variable_scope import _get_unique_variable_scope, _pure_variable_scope, variable_scope

__all__ = ["Template", "make_template"]


class Template:
    """A function that makes its variables (with ``get_variable``) on its first call and reuses them on later
    calls, each call in a name scope of its own (TF1's ``make_template``)."""

    def __init__(self, name, func, create_scope_now=False, unique_name=None, custom_getter=None):
        if name is None:
            raise ValueError("name cannot be None.")
        self._func, self._name, self._unique_name, self._custom_getter = func, name, unique_name, custom_getter
        self._stacktrace = traceback.format_stack()[:-2]
        self._variable_scope = None
        if create_scope_now:
            with _pure_variable_scope(unique_name or _get_unique_variable_scope(name),
                                      custom_getter=custom_getter) as vs:
                self._variable_scope = vs
        self._variables_created = False
        self._first_call = True

    def _call_func(self, args, kwargs):
        try:
            graph = get_default_graph()
            if self._variables_created:
                trainable_at_start = len(graph.get_collection_ref(TRAINABLE_VARIABLES))
                result = self._func(*args, **kwargs)
                trainable = graph.get_collection_ref(TRAINABLE_VARIABLES)
                if trainable_at_start != len(trainable):
                    raise ValueError("Trainable variable created when calling a template after the first time, "
                                     "perhaps you used tf.Variable when you meant tf.get_variable: "
                                     f"{trainable[trainable_at_start:]}")
            elif self._first_call:
                self._first_call = False
                try:
                    result = self._func(*args, **kwargs)
                except BaseException:
                    self._first_call = True
                    raise
                self._variables_created = True
            else:  # called from another thread while the first call runs
                result = self._func(*args, **kwargs)
            return result
        except Exception as exc:
            arg0 = exc.args[0] if exc.args else ""
            common = 0
            stack = traceback.format_stack()
            while common < min(len(stack), len(self._stacktrace)) and stack[common] == self._stacktrace[common]:
                common += 1
            exc.args = (f"{arg0}\n\noriginally defined at:\n{''.join(self._stacktrace[common:])}", *exc.args[1:])
            raise

    def __call__(self, *args, **kwargs):
        if self._variable_scope:
            with variable_scope(self._variable_scope, reuse=not self._first_call):
                return self._call_func(args, kwargs)
        with variable_scope(self._unique_name, self._name, custom_getter=self._custom_getter) as vs:
            self._variable_scope = vs
            return self._call_func(args, kwargs)

    name = property(lambda self: self._name)
    func = property(lambda self: self._func)
    variable_scope = property(lambda self: self._variable_scope)

    @property
    def variable_scope_name(self):
        if self._variable_scope:
            name = self._variable_scope.name
            return name if not name or name[-1] == "/" else name + "/"
        return None

    def _collection(self, key):
        if not self._variables_created:
            return []
        return get_default_graph().get_collection(key, self.variable_scope_name)

    @property
    def global_variables(self):
        return self._collection(GLOBAL_VARIABLES)

    @property
    def local_variables(self):
        return self._collection(LOCAL_VARIABLES)

    @property
    def trainable_variables(self):
        return self._collection(TRAINABLE_VARIABLES)

    @property
    def variables(self):
        return self.global_variables + self.local_variables

    @property
    def non_trainable_variables(self):
        trainable = set(self.trainable_variables)
        return [v for v in self.global_variables if v not in trainable]

    weights = variables
    trainable_weights = trainable_variables
    non_trainable_weights = non_trainable_variables


def make_template(name_, func_, create_scope_now_=False, unique_name_=None, custom_getter_=None, **kwargs):
    """``func_`` (with ``kwargs`` bound) wrapped to share its variables between calls: the first call makes them
    (with ``get_variable``) in a variable scope named ``name_`` made unique, later calls reuse them.

    Examples
    --------
    >>> import daskflow as df
    >>> def scale(x):
    ...     return x * df.get_variable("w", [], initializer=df.ones_initializer())
    >>> t = df.make_template("scale", scale)
    >>> a, b = t(df.constant(1.0)), t(df.constant(2.0))
    >>> [v.name for v in t.variables]
    ['scale/w:0']
    """
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now=create_scope_now_, unique_name=unique_name_,
                    custom_getter=custom_getter_)


