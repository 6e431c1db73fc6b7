"""TF1's ``tf.profiler``: ``profile``, ``advise``, ``write_op_log`` and ``Profiler`` for a daskflow graph.

A graph's ops are profiled for their parameters (the elements of each variable, trainable ones typed
``_trainable_variables``) and float operations (TF's per-op-type rules, ``flops.py``, from static shapes), in the
"scope" view (a tree of name scopes, giving a ``GraphNodeProto``), the "graph" view (each op above its inputs,
``GraphNodeProto``) or the "op" view (op types, ``MultiGraphNodeProto``), with TF's options and text report.
Sessions record no per-op execution time or memory (their tasks are fused dask tasks, not graph ops), so a
``run_meta`` adds nothing to the counts, and the "code" view is not provided.
"""
import os
import re
import sys

from .. import errors
from ..graph import get_default_graph
from . import protos
from .flops import float_ops
from .option_builder import TRAINABLE_VARIABLES, ProfileOptionBuilder

__all__ = ["profile", "advise", "write_op_log", "Profiler"]

ROOT = "_TFProfRoot"
_VARIABLE_TYPES = {"VariableV2", "Variable", "VarHandleOp"}
ALL_ADVICE = {"ExpensiveOperationChecker": {}, "AcceleratorUtilizationChecker": {}, "JobChecker": {},
              "OperationChecker": {}}
_DOCS = {"scope": "scope: The nodes in the model graph are organized by their names, which is hierarchical like "
                  "filesystem.",
         "graph": "graph: The nodes in the model graph correspond to TensorFlow ops and are organized by their "
                  "inputs and outputs.",
         "op": "op: The nodes are operation kernel type, such as MatMul, Conv2D. Graph nodes belonging to the same "
               "type are aggregated together.",
         "float_ops": "flops: Number of float operations. Note: Please read the implementation for the math "
                      "behind it.",
         "params": "param: Number of parameters (in the Variable)."}
_STATS = ("parameters", "float_ops")


class _Node:
    """A node of a view: its own statistics (``stats``), whether it is accounted, and its children."""

    def __init__(self, name, op=None, stats=None, types=()):
        self.name, self.op, self.types = name, op, set(types)
        self.stats = stats or dict.fromkeys(_STATS, 0)
        self.children, self.account = [], False

    def reset(self, with_self):
        self.total = {k: (self.stats[k] if with_self and self.account else 0) for k in _STATS}
        self.count = 1

    def add(self, child):
        for k in _STATS:
            self.total[k] += child.total[k]
        self.count += child.count


def _num(shape):
    dims = list(shape) if getattr(shape, "dims", ()) is not None else None
    return None if dims is None or any(d is None for d in dims) else int(__import__("math").prod(dims))


def merge_default_with_oplog(graph, op_log=None):
    """An ``OpLogProto``: the float operations of each op with a rule and the ``_trainable_variables`` type of
    trainable variables, merged into ``op_log``'s entries (whose types are kept, and float operations too where
    they give some)."""
    entries, missing = {}, 0
    for op in graph.get_operations():
        flops = float_ops(op)
        missing += flops is None
        if flops:
            entries[op.name] = protos.OpLogEntry(name=op.name, float_ops=flops)
    for v in graph.get_collection("trainable_variables"):
        entries.setdefault(v.op.name, protos.OpLogEntry(name=v.op.name)).types.append(TRAINABLE_VARIABLES)
    if missing:
        sys.stderr.write(f"{missing} ops no flops stats due to incomplete shapes.\n")
    out = protos.OpLogProto()
    given = {e.name: e for e in op_log.log_entries} if op_log is not None else {}
    for name, entry in entries.items():
        if name in given:
            given[name].types.extend(entry.types)
            if given[name].float_ops == 0:
                given[name].float_ops = entry.float_ops
        else:
            given[name] = entry
    out.log_entries.extend(given.values())
    out.id_to_string[0] = "none"
    return out


def _graph_nodes(graph, op_log):
    """{op name: _Node} with each op's statistics and types (op type, device, the op log's types)."""
    logged = {e.name: e for e in op_log.log_entries}
    nodes = {}
    for op in graph.get_operations():
        entry = logged.get(op.name)
        params = _num(op.outputs[0].shape) if op.type in _VARIABLE_TYPES else 0
        stats = {"parameters": params or 0, "float_ops": entry.float_ops if entry is not None else 0}
        types = [op.type] + ([op.device] if op.device else []) + (list(entry.types) if entry is not None else [])
        nodes[op.name] = _Node(op.name, op, stats, types)
    return nodes


def _matches(regexes, name):
    return any(re.fullmatch(r, name) for r in regexes)


def _accounted(node, opts):
    regexes = opts["account_type_regexes"]
    return regexes == [".*"] or any(_matches(regexes, t) for t in node.types)


def _shown(node, opts, depth):
    if node.name == ROOT:
        return True
    self_stats = node.stats if node.account else dict.fromkeys(_STATS, 0)
    if (self_stats["parameters"] < opts.get("min_params", 0) or self_stats["float_ops"] < opts.get("min_float_ops", 0)
            or depth > opts["max_depth"]):
        return False
    show = opts["show_name_regexes"] == [".*"] or _matches(opts["show_name_regexes"], node.name)
    return show and not _matches(opts["hide_name_regexes"], node.name)


_ORDER = {"params": "parameters", "float_ops": "float_ops"}


def _sorted(nodes, opts):
    key = _ORDER.get(opts.get("order_by", "name"))
    nodes = sorted(nodes, key=lambda n: n.name)
    return sorted(nodes, key=lambda n: -n.total[key]) if key else nodes


def _account(nodes, opts):
    """The nodes (among ``nodes``) accounted or with accounted descendants, each keeping those children."""
    kept = []
    for node in nodes:
        children = _account(node.all_children, opts)
        node.account = _accounted(node, opts)
        if node.account or children:
            node.reset(True)
            for c in children:
                node.add(c)
            node.children = children
            kept.append(node)
    return kept


def _start(nodes, regexes):
    if regexes == [".*"] or not regexes:
        return nodes
    found = []
    for node in nodes:
        found += [node] if _matches(regexes, node.name) else _start(node.children, regexes)
    return found


def _show(nodes, opts, depth):
    """The nodes shown among ``nodes`` (hidden ones replaced by their shown descendants), their children set."""
    shown = []
    for node in nodes:
        show = _shown(node, opts, depth)
        if show and opts["account_displayed_op_only"]:
            node.reset(True)
        below = [] if _matches(opts["trim_name_regexes"], node.name) or depth > opts["max_depth"] else \
            _show(node.children, opts, depth + 1)
        if show:
            if opts["account_displayed_op_only"]:
                for c in below:
                    node.add(c)
            node.children = _sorted(below, opts)
            shown.append(node)
        else:
            shown += below
    return shown


def _scope_tree(nodes):
    root = _Node(ROOT)
    scopes = {"": root}
    for name in sorted(nodes):
        parent = ""
        for part in name.split("/")[:-1]:
            path = f"{parent}/{part}" if parent else part
            if path not in scopes:
                scopes[path] = nodes.get(path) or _Node(path)
            parent = path
        scopes[name] = nodes[name]
    for name, node in scopes.items():
        node.all_children = []
    for name, node in sorted(scopes.items()):
        if name:
            scopes[name.rsplit("/", 1)[0] if "/" in name else ""].all_children.append(node)
    return root


def _graph_tree(nodes):
    root = _Node(ROOT)
    consumed = set()
    for node in nodes.values():
        node.all_children = []
    seen = set()
    for node in nodes.values():
        for t in node.op.inputs:
            consumed.add(t.op.name)
            if t.op.name not in seen:  # each op is shown once, under its first consumer
                seen.add(t.op.name)
                node.all_children.append(nodes[t.op.name])
    root.all_children = [n for name, n in nodes.items() if name not in consumed]
    return root


def _fmt_number(n):
    for bound, unit in ((1e9, "b"), (1e6, "m"), (1e3, "k")):
        if n >= bound:
            return f"{n / bound:.2f}{unit}"
    return str(n)


def _shape_str(node):
    if node.op is None or node.op.type not in _VARIABLE_TYPES:
        return ""
    return "x".join("-1" if d is None else str(d) for d in node.op.outputs[0].shape)


def _line(node, opts, indent):
    info = []
    if "params" in opts["select"]:
        if _shape_str(node):
            info.append(_shape_str(node))
        own = _fmt_number(node.stats["parameters"]) if node.account else "--"
        info.append(f"{own}/{_fmt_number(node.total['parameters'])} params")
    if "float_ops" in opts["select"]:
        own = _fmt_number(node.stats["float_ops"]) if node.account else "--"
        info.append(f"{own}/{_fmt_number(node.total['float_ops'])} flops")
    return f"{' ' * indent}{node.name} ({', '.join(info)})\n"


def _graph_proto(node):
    p = protos.GraphNodeProto(name=node.name, total_definition_count=node.count,
                              total_parameters=node.total["parameters"], total_float_ops=node.total["float_ops"])
    if node.account:
        p.parameters, p.float_ops = node.stats["parameters"], node.stats["float_ops"]
    if node.op is not None:
        for i, t in enumerate(node.op.inputs):
            if t.shape.dims is not None:
                shape = p.input_shapes[i]
                for d in t.shape:
                    shape.dim.add(size=-1 if d is None else int(d))
    for c in node.children:
        p.children.add().CopyFrom(_graph_proto(c))
    return p


def _text(root, opts, indent=0):
    return _line(root, opts, indent) + "".join(_text(c, opts, indent + 2) for c in root.children)


def _tree_view(root, opts):
    top = _account(root.all_children, opts)
    root.account, root.children = False, []
    root.reset(False)
    for n in top:
        root.add(n)
    root.children = _start(top, opts["start_name_regexes"])
    shown = _show([root], opts, 0)[0]
    return _graph_proto(shown), _text(shown, opts)


def _op_view(nodes, opts):
    """Op types as TF's "op" view: each type's own statistics, the totals of it and every type after it."""
    by_type = {}
    for node in nodes.values():
        node.account = _accounted(node, opts)
        if node.account:
            by_type.setdefault(node.op.type, []).append(node)
    types = []
    for name, members in by_type.items():
        t = _Node(name, stats={k: sum(m.stats[k] for m in members) for k in _STATS})
        t.account, t.members = True, members
        t.reset(True)
        if _shown(t, opts, 1):
            types.append(t)
    types = _sorted(types, opts)[:max(opts["max_depth"], 0)]
    root = protos.MultiGraphNodeProto(name=ROOT)
    total = {k: sum(t.stats[k] for t in types) for k in _STATS}
    root.total_parameters, root.total_float_ops = total["parameters"], total["float_ops"]
    lines, parent, remaining = [], root, dict(total)
    for t in types:
        child = parent.children.add(name=t.name, parameters=t.stats["parameters"], float_ops=t.stats["float_ops"],
                                    total_parameters=remaining["parameters"], total_float_ops=remaining["float_ops"])
        for m in sorted(t.members, key=lambda m: m.name):
            m.reset(True)
            m.children = []
            child.graph_nodes.add().CopyFrom(_graph_proto(m))
        lines.append(_op_line(t, remaining, total, opts))
        remaining = {k: remaining[k] - t.stats[k] for k in _STATS}
        parent = child
    return root, "".join(lines)


def _op_line(t, remaining, total, opts):
    attrs = []
    for key, stat, unit in (("params", "parameters", "params"), ("float_ops", "float_ops", "float_ops")):
        if key in opts["select"]:
            accu = 100.0 * remaining[stat] / total[stat] if remaining[stat] > 0 else 0.0
            own = 100.0 * t.stats[stat] / total[stat] if remaining[stat] > 0 else 0.0
            attrs.append(f"{_fmt_number(t.stats[stat])} {unit} ({accu:.2f}%, {own:.2f}%)".rjust(30))
    return f"{t.name:<25}{', '.join(attrs)}\n"


def _report(cmd, opts, body):
    legend = [n for k, n in (("params", "# parameters"), ("float_ops", "# float_ops")) if k in opts["select"]]
    docs = [_DOCS[cmd]] + [_DOCS[k] for k in ("float_ops", "params") if k in opts["select"]]
    options = "".join(f"-{k:<27}{','.join(map(str, v)) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v}\n"
                      for k, v in opts.items() if k != "output")
    return ("\n=========================Options=============================\n" + options
            + f"-{'output':<27}{opts['output'].split(':')[0]}:\n"
            + "\n==================Model Analysis Report======================\n\nDoc:\n" + "\n".join(docs)
            + "\n\nProfile:\nnode name | " + " | ".join(legend) + "\n" + body
            + "\n======================End of Report==========================\n")


def _output(text, opts):
    out = opts.get("output", "stdout")
    if out == "stdout":
        sys.stdout.write(text)
    elif out.startswith("file:outfile="):
        with open(out[len("file:outfile="):], "w") as f:
            f.write(text)
    elif out != "none":
        raise errors.InvalidArgumentError(None, None, f"Unsupported output: {out}")


def _analyze(graph, op_log, cmd, options):
    if cmd not in ("scope", "graph", "op"):
        raise errors.InvalidArgumentError(None, None, f"unknown cmd: {cmd}\n")
    opts = {**ProfileOptionBuilder().build(), "max_depth": 10, "account_displayed_op_only": False, **options}
    nodes = _graph_nodes(graph, op_log)
    if cmd == "op":
        proto, body = _op_view(nodes, opts)
    else:
        proto, body = _tree_view(_scope_tree(nodes) if cmd == "scope" else _graph_tree(nodes), opts)
    _output(_report(cmd, opts, body), opts)
    return proto


def profile(graph=None, run_meta=None, op_log=None, cmd="scope", options=None):
    """Profile ``graph`` (default: the default graph): a ``GraphNodeProto`` for the "scope" and "graph" views, a
    ``MultiGraphNodeProto`` for the "op" view, and the report written as ``options["output"]`` says.

    ``options`` (default: ``ProfileOptionBuilder.trainable_variables_parameter()``) select what is counted and
    shown; ``op_log`` adds types to ops (for ``account_type_regexes``) or float operations.

    Examples
    --------
    >>> import daskflow as df
    >>> g = df.Graph()
    >>> with g.as_default():
    ...     w = df.Variable(df.zeros([3, 4]), name="w")
    ...     y = df.matmul(df.ones([2, 3]), w)
    >>> opts = df.profiler.ProfileOptionBuilder(df.profiler.ProfileOptionBuilder.float_operation()
    ...                                        ).with_empty_output().build()
    >>> df.profiler.profile(g, options=opts).total_float_ops
    48
    """
    graph = graph if graph is not None else get_default_graph()
    options = options if options is not None else ProfileOptionBuilder.trainable_variables_parameter()
    return _analyze(graph, merge_default_with_oplog(graph, op_log), cmd, options)


def _advice(graph, run_meta, options):
    options = ALL_ADVICE if options is None else options
    out = protos.AdviceProto()
    for checker in options:
        if checker == "JobChecker":
            continue
        out.checkers[checker].SetInParent()
        if checker == "ExpensiveOperationChecker":
            sys.stderr.write("Missing run_meta for ExpensiveOperationChecker\n")
    return out


def advise(graph=None, run_meta=None, options=None):
    """TF's checkers (``ExpensiveOperationChecker``, ``OperationChecker``, ``AcceleratorUtilizationChecker``) as
    an ``AdviceProto``. They need per-op execution times and device placement that daskflow's runs do not
    record, so their reports are empty, as TF's are for a graph without run metadata."""
    return _advice(graph if graph is not None else get_default_graph(), run_meta, options)


def write_op_log(graph, log_dir, op_log=None, run_meta=None, add_trace=True):
    """Write ``log_dir/tfprof_log``: ``op_log`` merged with the graph's float operations and trainable-variable
    types (an ``OpLogProto``)."""
    graph = graph if graph is not None else get_default_graph()
    os.makedirs(log_dir, exist_ok=True)
    with open(os.path.join(log_dir, "tfprof_log"), "wb") as f:
        f.write(merge_default_with_oplog(graph, op_log).SerializeToString())


class Profiler:
    """Profiles one graph in several views: ``profile_name_scope``, ``profile_graph``, ``profile_operations``
    and ``advise``; ``add_step(step, run_meta)`` records the steps' run metadata (which adds no counts, as runs
    record no per-op statistics)."""

    def __init__(self, graph=None, op_log=None):
        self._graph = graph if graph is not None else get_default_graph()
        self._op_log = op_log
        self._steps = {}

    def add_step(self, step, run_meta):
        """Record ``run_meta`` as step ``step``."""
        self._steps[step] = run_meta

    def _profile(self, cmd, options):
        return _analyze(self._graph, merge_default_with_oplog(self._graph, self._op_log), cmd, options)

    def profile_name_scope(self, options):
        """The "scope" view, a ``GraphNodeProto``."""
        return self._profile("scope", options)

    def profile_graph(self, options):
        """The "graph" view, a ``GraphNodeProto``."""
        return self._profile("graph", options)

    def profile_operations(self, options):
        """The "op" view, a ``MultiGraphNodeProto``."""
        return self._profile("op", options)

    def advise(self, options):
        """An ``AdviceProto`` (see ``advise``)."""
        return _advice(self._graph, None, options)
