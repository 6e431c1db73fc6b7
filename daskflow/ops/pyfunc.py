"""Python functions as graph ops: ``py_func``, ``numpy_function`` and ``py_function``.

As in TF, the function runs in the Python process that runs the graph (the client's ``Session.run``, also when the
Session runs on a cluster), on numpy arrays: the Session computes the op's inputs, calls the function and feeds its
results to the rest of the run, as it does for an iterator's next element (``OpDef.host_run``). Inputs are computed
in a run of their own before the main run, so a random op feeding both the function and the rest of the graph draws
twice. The outputs' static shapes are unknown (``set_shape`` refines them; a result that does not fit is refused).
There is no gradient, as TF1's (``Graph.gradient_override_map`` with ``RegisterGradient`` gives one).
"""
import itertools

import numpy as np

from .. import dtypes, errors
from ..graph import get_default_graph
from .registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, fail, register

__all__ = ["py_func", "numpy_function", "py_function"]

_tokens = itertools.count()


class _EagerValue(np.ndarray):
    """The arguments ``py_function`` gives its function: numpy arrays that also answer TF2's ``.numpy()``."""

    def numpy(self):
        return np.asarray(self)


def _functions(graph):
    fns = getattr(graph, "_py_functions", None)
    if fns is None:
        fns = graph._py_functions = {}
    return fns


def _result(op, i, value):
    """Output ``i``'s value as the op's dtype declares it (TF's check: same kind of dtype, no silent cast)."""
    want = op.outputs[i].dtype
    if want == dtypes.string:
        arr = np.asarray(value, dtype=object)
        if not all(isinstance(v, (bytes, str)) for v in arr.flat):
            fail(op, f"{i}-th value returned by {op.attrs['token']} is not a string, but expects string")
        return arr
    arr = np.asarray(value)
    if arr.dtype != np.dtype(want):
        fail(op, f"{i}-th value returned by {op.attrs['token']} is {arr.dtype.name}, but expects {want.name}")
    return arr


class _PyFuncBase:
    stateful = True
    strings = True  # string tensors in and out, as TF's
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        return [(None, dt) for dt in op.attrs["Tout"]]

    def lower(op, *xs):
        fail(op, f"the results of the Python function {op.attrs['token']} are only computed in Session.run",
             errors.UnimplementedError)

    def host_run(op, session, feeds):
        func = _functions(op.graph).get(op.attrs["token"])
        if func is None:
            fail(op, f"the Python function {op.attrs['token']} of this graph is gone", errors.NotFoundError)
        args = session._values(list(op.inputs), feeds) if op.inputs else []
        args = [np.asarray(a) for a in args]
        if op.type == "EagerPyFunc":
            args = [a.view(_EagerValue) if a.dtype != object else a for a in args]
        try:
            out = func(*args)
        except errors.OpError:
            raise
        except Exception as e:  # as TF: the function's error, reported as the op's, naming the function
            raise errors.InvalidArgumentError(
                None, op, f"{type(e).__name__}: {e} [in the Python function {op.attrs['token']} of op "
                f"'{op.name}' (type {op.type})]") from e
        n = len(op.outputs)
        if n == 0:
            return {}
        if op.attrs["single"]:
            out = [out]
        elif not isinstance(out, (list, tuple)) or len(out) != n:
            fail(op, f"the Python function {op.attrs['token']} returned {type(out).__name__} where {n} values "
                     "were expected")
        values = {}
        for i, (t, v) in enumerate(zip(op.outputs, out)):
            v = _result(op, i, v)
            if not t.shape.is_compatible_with(v.shape):
                fail(op, f"{i}-th value returned by {op.attrs['token']} has shape {v.shape}, incompatible with "
                         f"the shape {t.shape} set on '{t.name}'")
            values[t] = v
        return values


@register("PyFunc")
class PyFunc(_PyFuncBase):
    pass


@register("PyFuncStateless")
class PyFuncStateless(_PyFuncBase):
    pass


@register("EagerPyFunc")
class EagerPyFunc(_PyFuncBase):
    pass


def _build(type_name, func, inp, Tout, name):
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    single = not isinstance(Tout, (list, tuple))
    touts = [dtypes.as_dtype(Tout)] if single else [dtypes.as_dtype(t) for t in Tout]
    graph = get_default_graph()
    token = f"pyfunc_{next(_tokens)}"
    _functions(graph)[token] = func
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    outs = apply(type_name, inputs, {"token": token, "Tout": touts, "single": single}, name=name or type_name)
    if not touts:
        return outs[0].op if outs else None
    return outs[0] if single else list(outs)


def py_func(func, inp, Tout, stateful=True, name=None):
    """Wrap ``func``, a Python function of numpy arrays, as an op: ``func(*values of inp)`` gives the values of
    outputs of dtypes ``Tout`` (one tensor for a single dtype, a list for a list). It runs in the process running
    the Session; a stateless one (``stateful=False``) may be treated as pure."""
    return _build("PyFunc" if stateful else "PyFuncStateless", func, inp, Tout, name)


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """``py_func`` under TF's later name: ``func`` takes and returns numpy arrays."""
    return py_func(func, inp, Tout, stateful=stateful, name=name)


def py_function(func, inp, Tout, name=None):
    """TF2's ``py_function`` in graph mode: as ``py_func``, with arguments that also have TF's ``.numpy()``."""
    return _build("EagerPyFunc", func, inp, Tout, name)
