"""TF's ``CriticalSection``: executions of a function whose side effects never interleave.

In a daskflow graph an execution is ordered after the previous execution of the same critical section by control
dependencies: every op it creates runs after the previous execution's ops (its assignments included), so a
variable it reads sees what the previous execution assigned (``lowering``'s ordering of assignments), as TF's
mutex serialises them.
"""
from .graph import Operation, Tensor, control_dependencies, get_default_graph, name_scope
from .ops.registry import OPS, convert_to_tensor

__all__ = ["CriticalSection"]

_SIGNATURES = "_critical_section_executions"  # graph attribute: every execution's (section, resources, exclusive)


class CriticalSection:
    """A critical section (TF's ``tf.CriticalSection``): ``execute(fn)`` runs ``fn``'s ops after those of every
    earlier ``execute`` of this section, never interleaved with them.

    Examples
    --------
    >>> import daskflow as df
    >>> v = df.Variable(0.0)
    >>> cs = df.CriticalSection()
    >>> def add():
    ...     with df.control_dependencies([v.assign_add(1.0)]):
    ...         return v.read_value()
    >>> r1, r2 = cs.execute(add), cs.execute(add)
    >>> with df.Session() as s:
    ...     s.run(v.initializer)
    ...     [float(x) for x in s.run([r1, r2])]
    [1.0, 2.0]
    """

    def __init__(self, name=None, shared_name=None, critical_section_def=None, import_scope=None):
        if critical_section_def is not None:
            raise ValueError("critical_section_def is not supported: create the CriticalSection in this graph")
        self._graph = get_default_graph()
        self._name = self._graph.unique_name(name or "CriticalSection")
        self._shared_name = shared_name
        self._last = []  # the ops the next execution runs after

    @property
    def name(self):
        return self._name

    def execute(self, fn, exclusive_resource_access=True, name=None):
        """The outputs of ``fn()`` (a nest of tensors, or an Operation), whose ops run after every op of the earlier
        executions of this section. Raises ValueError, as TF, when the variables ``fn`` reads or assigns are also
        accessed by an execution of another critical section and either asks for exclusive resource access."""
        g = self._graph
        with g.as_default(), name_scope(name or "critical_section_execute"):
            start = len(g.get_operations())
            with control_dependencies(list(self._last)):
                out = fn()
                made = g.get_operations()[start:]
                resources = {t.op for op in made for t in op.inputs if OPS[t.op.type].is_variable}
                self._check(resources, exclusive_resource_access)
                effects = [op for op in made if OPS[op.type].side_effect]
                with control_dependencies(effects):
                    result = _wrap(out)
        ops = [r.op if isinstance(r, Tensor) else r for r in _flat(result)]
        self._last = ops + effects if ops or effects else self._last
        if not hasattr(g, _SIGNATURES):
            setattr(g, _SIGNATURES, [])
        getattr(g, _SIGNATURES).append((self, resources, exclusive_resource_access))
        return result

    def _check(self, resources, exclusive):
        for other, theirs, their_exclusive in getattr(self._graph, _SIGNATURES, []):
            common = resources & theirs
            if other is self or not common or not (exclusive or their_exclusive):
                continue
            names = sorted(op.name for op in common)
            raise ValueError(
                f"This execution would access resources: {names}. Either this lock (CriticalSection: "
                f"'{self._name}') or lock (CriticalSection: '{other._name}') requested exclusive resource access of "
                "this resource. Did you mean to call execute with keyword argument exclusive_resource_access=False?")


def _wrap(out):
    """``out`` with each tensor passed through an identity (created under the current control dependencies)."""
    from .ops.state import group, identity
    if isinstance(out, Operation):
        return group(out)
    if isinstance(out, (list, tuple)):
        items = [_wrap(o) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    if isinstance(out, dict):
        return {k: _wrap(v) for k, v in out.items()}
    if out is None:
        return group()
    return identity(convert_to_tensor(out))


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [y for v in x for y in _flat(v)]
    if isinstance(x, dict):
        return [y for v in x.values() for y in _flat(v)]
    return [x]

