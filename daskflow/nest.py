"""Nested structures of tensors (TF's ``nest``): lists, tuples, namedtuples and dicts (by sorted key) nest; a
``TensorShape`` (a tuple) and anything else is a leaf. Used by conditionals, loops and the RNN functions."""
from .graph import TensorShape

def _is_nested(x):
    return isinstance(x, (list, tuple, dict)) and not isinstance(x, TensorShape)


def _children(x):
    return [x[k] for k in sorted(x)] if isinstance(x, dict) else list(x)


def _rebuild(like, values):
    if isinstance(like, dict):
        return type(like)(zip(sorted(like), values))
    if hasattr(like, "_fields"):
        return type(like)(*values)
    return type(like)(values)


def flatten(structure):
    """The leaves of a nested structure, in TF's order."""
    if _is_nested(structure):
        return [leaf for child in _children(structure) for leaf in flatten(child)]
    return [structure]


def pack_sequence_as(structure, flat):
    """``structure`` with its leaves replaced, in order, by ``flat``."""
    flat = list(flat)
    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(f"The structure has {n} leaves, but {len(flat)} values were given")
    it = iter(flat)

    def pack(s):
        return _rebuild(s, [pack(c) for c in _children(s)]) if _is_nested(s) else next(it)
    return pack(structure)


def map_structure(fn, *structures):
    """``fn`` applied to the leaves of ``structures`` (of one structure), in that structure."""
    for s in structures[1:]:
        assert_same_structure(structures[0], s)
    return pack_sequence_as(structures[0], [fn(*leaves) for leaves in zip(*map(flatten, structures))])


def same_structure(x, y, check_types=False):
    """Whether ``x`` and ``y`` nest alike (with ``check_types``, in containers of the same types)."""
    if _is_nested(x) != _is_nested(y):
        return False
    if not _is_nested(x):
        return True
    if check_types and type(x) is not type(y):
        return False
    if isinstance(x, dict) != isinstance(y, dict) or len(x) != len(y):
        return False
    if isinstance(x, dict) and sorted(x) != sorted(y):
        return False
    return all(same_structure(c, d, check_types) for c, d in zip(_children(x), _children(y)))


def assert_same_structure(a, b, check_types=False):
    if not same_structure(a, b, check_types):
        raise ValueError(f"The two structures don't have the same nested structure.\n\nFirst structure: {a!r}\n\n"
                         f"Second structure: {b!r}")


def _flatten_up_to(shallow, tree):
    """The subtrees of ``tree`` at the leaves of ``shallow`` (a prefix of its structure)."""
    if not _is_nested(shallow):
        return [tree]
    if not _is_nested(tree) or len(_children(shallow)) != len(_children(tree)):
        raise ValueError(f"The structure {tree!r} does not have the structure of {shallow!r} at its top")
    return [t for s, c in zip(_children(shallow), _children(tree)) for t in _flatten_up_to(s, c)]


def _enumerated_map_structure_up_to(shallow, fn, *args):
    """``fn(i, *subtrees)`` at each leaf ``i`` (counted in order) of ``shallow``, in ``shallow``'s structure."""
    flats = [_flatten_up_to(shallow, a) for a in args]
    return pack_sequence_as(shallow, [fn(i, *xs) for i, xs in enumerate(zip(*flats))])


def _traverse_shallow(fn, structure):
    """TF's ``get_traverse_shallow_structure``: where ``fn`` says True for a nested level, it is traversed (a
    structure of bools says it per element); False marks a whole subtree."""
    r = fn(structure)
    if not _is_nested(structure):
        if not isinstance(r, bool):
            raise TypeError(f"The traverse function must return a bool for a leaf, got {r!r} for {structure!r}")
        return r
    children = _children(structure)
    if isinstance(r, bool):
        return _rebuild(structure, [_traverse_shallow(fn, c) for c in children]) if r else False
    flags = _children(r) if _is_nested(r) else None
    if flags is None or len(flags) != len(children) or not all(isinstance(f, bool) for f in flags):
        raise ValueError(f"The traverse function must return a bool or a depth-1 structure of bools like "
                         f"{structure!r}, got {r!r}")
    return _rebuild(structure, [_traverse_shallow(fn, c) if f else False for f, c in zip(flags, children)])
