"""``tf.test.assert_equal_graph_def``: two ``GraphDef``s the same but for node, attr and control input order."""
import re

__all__ = ["assert_equal_graph_def"]

_V2_TEMP = re.compile(rb"_temp_[0-9a-f]{32}/part")  # the random part of a v2 checkpoint's temporary file name


def _strip_checkpoint_v2(gd):
    for node in gd.node:
        if node.op == "Const" and "value" in node.attr:
            vals = node.attr["value"].tensor.string_val
            for i, v in enumerate(vals):
                vals[i] = _V2_TEMP.sub(b"_temp/part", v)


def _strip_hash_table_shared_name(gd):
    for node in gd.node:
        if node.op.startswith("HashTable") and "shared_name" in node.attr and \
                node.attr["shared_name"].s.startswith(b"hash_table_"):
            del node.attr["shared_name"]


def _inputs(node):
    return ([i for i in node.input if not i.startswith("^")], sorted(i for i in node.input if i.startswith("^")))


def _diff(actual, expected):
    """The first difference between the graphs, in words, or None."""
    a = {n.name: n for n in actual.node}
    e = {n.name: n for n in expected.node}
    for name in a:
        if name not in e:
            return f"Found unexpected node '{name}' ({a[name].op}) not in expected graph"
    for name in e:
        if name not in a:
            return f"Did not find expected node '{name}' ({e[name].op}) in actual graph"
    for name, an in a.items():
        en = e[name]
        for what, x, y in (("op", an.op, en.op), ("device", an.device, en.device),
                           ("inputs", _inputs(an), _inputs(en))):
            if x != y:
                return f"Node named '{name}' has {what} {x!r} that does not match expected {y!r}"
        for key in sorted(set(an.attr) | set(en.attr)):
            if key not in en.attr:
                return f"Node named '{name}' has unexpected attr '{key}'"
            if key not in an.attr:
                return f"Node named '{name}' missing expected attr '{key}'"
            if an.attr[key] != en.attr[key]:
                return (f"Node named '{name}' has attr '{key}' with value {an.attr[key]} that does not match "
                        f"expected {en.attr[key]}")
    return None


def assert_equal_graph_def(actual, expected, checkpoint_v2=False, hash_table_shared_name=False):
    """Raise an ``AssertionError`` describing the first difference between two ``GraphDef``s, compared node by node
    (matched by name) ignoring versions and the order of nodes, attrs and control inputs. ``checkpoint_v2`` ignores
    the random temporary names of v2 checkpoint saves; ``hash_table_shared_name`` hash tables' generated shared
    names."""
    from ..graph_def import pb
    cls = pb().graph.GraphDef
    if not isinstance(actual, cls):
        raise TypeError(f"Expected tf.GraphDef for actual, got {type(actual).__name__}")
    if not isinstance(expected, cls):
        raise TypeError(f"Expected tf.GraphDef for expected, got {type(expected).__name__}")
    if checkpoint_v2 or hash_table_shared_name:
        actual, expected = cls.FromString(actual.SerializeToString()), cls.FromString(expected.SerializeToString())
        for gd in (actual, expected):
            if checkpoint_v2:
                _strip_checkpoint_v2(gd)
            if hash_table_shared_name:
                _strip_hash_table_shared_name(gd)
    diff = _diff(actual, expected)
    if diff:
        raise AssertionError(diff)
