"""Gradients written by the user: ``custom_gradient``, ``grad_pass_through``, and the ``IdentityN`` op they rest
on (as in TF: the function's results and inputs pass through one ``IdentityN`` whose gradient is overridden by the
user's, so nothing flows into the function's own ops)."""
import itertools

from .. import nest
from ..autodiff import RegisterGradient
from ..graph import get_default_graph
from .registry import apply, convert_to_tensor, register

__all__ = ["custom_gradient", "grad_pass_through", "identity_n", "guarantee_const"]

_ids = itertools.count()


@register("IdentityN")
class IdentityN:
    strings = True

    def infer(op):
        return [(t.shape, t.dtype) for t in op.inputs]

    def lower(op, *xs):
        return list(xs)

    def grad(op, *dys):
        return list(dys)


def identity_n(input, name=None):
    """Identities of the tensors in ``input``, as one op (TF's ``IdentityN``)."""
    return list(apply("IdentityN", [convert_to_tensor(t) for t in input], name=name or "IdentityN"))


def guarantee_const(input, name=None):
    """``input`` unchanged: TF's promise to its runtime that the value is constant (daskflow needs none)."""
    from .state import identity
    return identity(input, name=name or "GuaranteeConst")


def _variables_read(results, args):
    """The variables ``results`` depend on other than through ``args`` (the function read them itself)."""
    stop = {id(a) for a in args}
    seen, found, stack = set(), [], [t.op for t in results]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type == "VariableV2":
            found.append(op.outputs[0])
            continue
        stack.extend(t.op for t in op.inputs if id(t) not in stop)
    return sorted(found, key=lambda v: v.op._id)


def custom_gradient(f):
    """Decorator: ``f(*x)`` returns ``(y, grad_fn)`` and the gradient of ``y`` with respect to ``x`` is
    ``grad_fn(*dy)`` (one gradient per ``x``), not what differentiating ``f``'s ops would give. If ``f`` reads
    variables, ``grad_fn(*dy, variables=...)`` returns ``(grads of x, grads of the variables)``, as TF1's.

    >>> import daskflow as df
    >>> @df.custom_gradient
    ... def clip_grad(x):
    ...     return df.identity(x), lambda dy: df.clip_by_value(dy, -1.0, 1.0)
    >>> x = df.constant([1.0, 2.0])
    >>> with df.Session() as s:
    ...     s.run(df.gradients(df.reduce_sum(clip_grad(x) * 5.0), x)[0]).tolist()
    [1.0, 1.0]
    """
    def decorated(*args, **kwargs):
        if kwargs:
            raise ValueError("The custom_gradient decorator currently supports keywords arguments only when "
                             f"eager execution is enabled, got {sorted(kwargs)}")
        args = [convert_to_tensor(a) for a in args]
        result, grad_fn = f(*args)
        flat = [convert_to_tensor(t) for t in nest.flatten(result)]
        variables = _variables_read(flat, args)
        takes_variables = "variables" in getattr(grad_fn, "__code__", f.__code__).co_varnames
        if variables and not takes_variables:
            raise TypeError("@tf.custom_gradient grad_fn must accept keyword argument 'variables', since function "
                            f"uses variables: {[v.name for v in variables]}")
        name = f"CustomGradient-{next(_ids)}"

        @RegisterGradient(name)
        def _grad(op, *dys):
            dys = list(dys[:len(flat)])
            if variables:
                input_grads, variable_grads = grad_fn(*dys, variables=variables)
                variable_grads = list(variable_grads)
                if len(variable_grads) != len(variables):
                    raise ValueError(f"Must return gradient for each variable from @custom_gradient grad_fn: got "
                                     f"{len(variable_grads)} for {len(variables)} variables")
            else:
                input_grads, variable_grads = grad_fn(*dys), []
            input_grads = nest.flatten(input_grads)
            if len(input_grads) != len(args):
                raise ValueError(f"custom_gradient function expected to return {len(args)} gradients, but returned "
                                 f"{len(input_grads)} instead.")
            return [None] * len(flat) + list(input_grads) + variable_grads

        with get_default_graph().gradient_override_map({"IdentityN": name}):
            out = identity_n(flat + args + variables)
        return nest.pack_sequence_as(result, out[:len(flat)])
    decorated.__name__ = getattr(f, "__name__", "custom_gradient")
    decorated.__doc__ = f.__doc__
    return decorated


def grad_pass_through(f):
    """``f`` with the gradient of the identity: ``y = f(x)`` but ``dy`` flows to ``x`` unchanged (a
    straight-through estimator, e.g. for rounding)."""
    @custom_gradient
    def _f(x):
        return f(x), lambda dy: dy
    return _f
