"""Op types of lookup tables. A table's contents are two hidden variables of the Session (its keys, sorted, and
their values, in the same order): initializers and inserts assign them, lookups search them block by block.

- ``LookupTableImport``: keys and values -> the table's contents (sorted, repeats merged; a key given two values
  fails as TF's).
- ``LookupTableFind``: per block of queries, the values of the keys found and the default (or, for vocabulary
  tables, a FarmHash bucket past the vocabulary) for the others.
- ``LookupTableInsert`` / ``LookupTableRemove``: a mutable table's new contents.
- ``InitializeTableFromTextFile``: a vocabulary file's keys and values.
- ``LookupTableCheck``: before a run plans, whether the table is initialized: TF's error where it is not, or, for
  ops reading an empty table then (``size``, mutable tables), the empty contents fed for the run.
"""
import dask.array as da
import numpy as np

from .. import dtypes, errors
from ..graph import TensorShape
from ..ops.registry import NOT_DIFFERENTIABLE, fail, register, tuple_outputs

WHOLE_LINE, LINE_NUMBER = -2, -1


def fingerprint64(key):
    """FarmHash Fingerprint64 of a key (its decimal text for integers), as TF's ``string_to_hash_bucket_fast``."""
    from ..ops.hashing import fingerprint64 as fp
    return fp(key if isinstance(key, bytes) else str(int(key)).encode())


def _empty(dtype, shape):
    return np.empty(shape, dtype=object if dtypes.is_string(dtype) else dtype)


def _meta(dtype, ndim):
    return _empty(dtype, (0,) * ndim)


# -- kernels

def _merge(keys, vals, label, overwrite):
    """Sorted distinct keys with their values: the last value of a repeated key wins with ``overwrite``, else a
    key given two different values fails."""
    if keys.shape[0] == 0:
        return keys, vals
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], vals[order]
    last = np.ones(keys.shape[0], dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    if not overwrite and not last.all():
        first = np.ones_like(last)
        first[1:] = last[:-1]
        for i in np.flatnonzero(~last):
            j = i - int(np.argmax(first[i::-1]))  # the first entry of this key's run
            if np.any(vals[i + 1] != vals[j]):
                raise errors.FailedPreconditionError(
                    None, None, f"HashTable has different value for same key. Key {_text(keys[j])} has "
                    f"{_text(vals[j])} and trying to add value {_text(vals[i + 1])} [{label}]")
    return keys[last], vals[last]


def _text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v.tolist() if hasattr(v, "tolist") else v)


def _import_block(keys, vals, label):
    return _merge(keys, vals, label, overwrite=False)


def _insert_block(tkeys, tvals, keys, vals, label, empty_key):
    if empty_key is not None and np.any(keys == empty_key):
        raise errors.InvalidArgumentError(None, None, f"Using the empty_key as a table key is not allowed [{label}]")
    return _merge(np.concatenate([tkeys, keys]), np.concatenate([tvals, vals]), label, overwrite=True)


def _remove_block(tkeys, tvals, keys):
    keep = ~np.isin(tkeys, keys) if tkeys.shape[0] else np.zeros((0,), bool)
    return tkeys[keep], tvals[keep]


def _find_block(q, tkeys, tvals, default, oov, empty_key, label):
    flat = q.reshape(-1)
    if empty_key is not None and np.any(flat == empty_key):
        raise errors.InvalidArgumentError(None, None, f"Using the empty_key as a table key is not allowed [{label}]")
    n = tkeys.shape[0]
    if n:
        pos = np.minimum(np.searchsorted(tkeys, flat), n - 1)
        hit = np.asarray(tkeys[pos] == flat, dtype=bool)
    else:
        pos, hit = np.zeros(flat.shape, np.int64), np.zeros(flat.shape, bool)
    if oov:
        buckets = np.array([fingerprint64(k) % oov for k in flat.tolist()], dtype=np.uint64).astype(np.int64)
        out = np.where(hit, tvals[pos] if n else 0, n + buckets)
    else:
        found = tvals[pos] if n else np.broadcast_to(default, flat.shape + default.shape)
        sel = hit.reshape(hit.shape + (1,) * default.ndim)
        out = np.where(sel, found, default)
    return out.reshape(q.shape + out.shape[1:]).astype(tvals.dtype if not oov else np.int64, copy=False)


def _parse(field, dtype, line_no):
    if dtypes.is_string(dtype):
        return field
    try:
        return np.dtype(dtype).type(int(field) if dtype.kind in "iu" else float(field))
    except ValueError:
        raise errors.InvalidArgumentError(None, None, f"Field {field.decode('utf-8', 'replace')} in line "
                                          f"{line_no} is not a valid {dtypes.name(dtype)}.") from None


def _column(line, parts, index, dtype, line_no, offset):
    if index == WHOLE_LINE:
        return _parse(line, dtype, line_no)
    if index == LINE_NUMBER:
        return np.dtype(dtype).type(line_no + offset)
    return _parse(parts[index], dtype, line_no)


def _text_file_block(filename, key_index, value_index, key_dtype, value_dtype, delimiter, vocab_size, offset,
                     label):
    path = np.asarray(filename)[()]
    path = path.decode("utf-8") if isinstance(path, bytes) else str(path)
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory [{label}]") from None
    if vocab_size is not None and vocab_size > len(lines):
        raise errors.InvalidArgumentError(None, None, f"Invalid vocab_size in {path}: expected {vocab_size} but got "
                                          f"{len(lines)} [{label}]")
    lines = lines[:vocab_size] if vocab_size is not None else lines
    need = max(key_index, value_index) + 1
    keys, vals = [], []
    for i, line in enumerate(lines):
        parts = line.split(delimiter) if need > 0 else None
        if need > 0 and len(parts) < need:
            raise errors.InvalidArgumentError(
                None, None, f"Invalid number of columns in {path} line {i} ({line.decode('utf-8', 'replace')}) : "
                f"expected at least {need} got {len(parts)} [{label}]")
        keys.append(_column(line, parts, key_index, key_dtype, i, 0))
        vals.append(_column(line, parts, value_index, value_dtype, i, offset))
    k, v = _empty(key_dtype, (len(keys),)), _empty(value_dtype, (len(vals),))
    k[:], v[:] = keys, vals
    return k, v


# -- op types

def _label(op):
    return f"op '{op.name}' (type {op.type})"


def _whole(*arrays):
    args = []
    for i, a in enumerate(arrays):
        a = a.rechunk(-1) if any(n > 1 for n in a.numblocks) else a  # one block already: its size may be unknown
        args += [a, "".join(chr(ord("a") + 8 * i + j) for j in range(a.ndim))]
    return args


def _state_outputs(op, packed, n_rows=None):
    k, v = op.outputs
    rest = tuple((int(d),) for d in v.shape[1:])
    n = (np.nan,) if n_rows is None else (n_rows,)
    return tuple_outputs(packed, [(n,), (n,) + rest], [_meta(k.dtype, 1), _meta(v.dtype, v.shape.ndims)],
                         op.type.lower())


def _cat(a, b):
    return TensorShape(None) if a.ndims is None or b.ndims is None else TensorShape(tuple(a) + tuple(b))


def _state_specs(keys, vals):
    return [((None,), keys.dtype), (_cat(TensorShape([None]), vals.shape[1:]), vals.dtype)]


@register("LookupTableImport")
class LookupTableImport:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        keys, vals = op.inputs
        if not keys.shape.is_compatible_with(vals.shape[:1]) or keys.shape.ndims not in (None, 1):
            fail(op, f"Expected shape {keys.shape} for keys, got {vals.shape[:1]}")
        return _state_specs(keys, vals)

    def lower(op, keys, vals):
        packed = da.blockwise(_import_block, "", *_whole(keys, vals), label=_label(op), concatenate=True,
                              dtype=object, meta=np.empty((), object))
        return _state_outputs(op, packed)


@register("LookupTableInsert")
class LookupTableInsert:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        tkeys, tvals, keys, vals = op.inputs
        if keys.dtype != tkeys.dtype or vals.dtype != tvals.dtype:
            fail(op, f"Expected keys of dtype {dtypes.name(tkeys.dtype)} and values of dtype "
                     f"{dtypes.name(tvals.dtype)}, got {dtypes.name(keys.dtype)} and {dtypes.name(vals.dtype)}")
        want = _cat(keys.shape, tvals.shape[1:]) if keys.shape.ndims is not None else None
        if want is not None and not vals.shape.is_compatible_with(want):
            fail(op, f"Expected shape {want.as_list()} for value, got {vals.shape.as_list()}")
        return _state_specs(tkeys, tvals)

    def lower(op, tkeys, tvals, keys, vals):
        want = tuple(keys.shape) + tuple(tvals.shape[1:])
        if want != tuple(vals.shape) and not np.isnan(want).any():
            fail(op, f"Expected shape {list(want)} for value, got {list(vals.shape)}")
        flat_k = keys.reshape(-1) if keys.ndim != 1 else keys
        flat_v = vals.reshape((-1,) + tuple(tvals.shape[1:]))
        packed = da.blockwise(_insert_block, "", *_whole(tkeys, tvals, flat_k, flat_v), label=_label(op),
                              empty_key=(op.attrs or {}).get("empty_key"),
                              concatenate=True, dtype=object, meta=np.empty((), object))
        return _state_outputs(op, packed)


@register("LookupTableRemove")
class LookupTableRemove:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        tkeys, tvals, keys = op.inputs
        if keys.dtype != tkeys.dtype:
            fail(op, f"Expected keys of dtype {dtypes.name(tkeys.dtype)}, got {dtypes.name(keys.dtype)}")
        return _state_specs(tkeys, tvals)

    def lower(op, tkeys, tvals, keys):
        packed = da.blockwise(_remove_block, "", *_whole(tkeys, tvals, keys.reshape(-1)), concatenate=True,
                              dtype=object, meta=np.empty((), object))
        return _state_outputs(op, packed)


@register("LookupTableFind")
class LookupTableFind:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        tkeys, tvals, q, default = op.inputs
        if q.dtype != tkeys.dtype:
            fail(op, f"Dtype of argument `keys` must be {dtypes.name(tkeys.dtype)}, received: "
                     f"{dtypes.name(q.dtype)}", TypeError)
        dt = dtypes.int64 if op.attrs["num_oov_buckets"] else tvals.dtype
        return [(_cat(q.shape, tvals.shape[1:]), dt)]

    def lower(op, tkeys, tvals, q, default):
        a = op.attrs
        ind = "".join(chr(ord("a") + j) for j in range(q.ndim))
        rest = "".join(chr(ord("p") + j) for j in range(tvals.ndim - 1))
        dt = op.outputs[0].dtype
        tkeys, tvals, default = (_whole(a)[0] for a in (tkeys, tvals, default))
        return da.blockwise(_find_block, ind + rest, q, ind, tkeys, "Z", tvals, "Z" + rest, default, rest,
                            oov=a["num_oov_buckets"], empty_key=a.get("empty_key"),
                            label=_label(op), concatenate=True, dtype=dt, meta=_meta(dt, q.ndim + len(rest)))


@register("InitializeTableFromTextFile")
class InitializeTableFromTextFile:
    strings = True
    stateful = True  # the file may change between runs
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        a = op.attrs
        fn = op.inputs[0]
        if not dtypes.is_string(fn.dtype) or fn.shape.ndims not in (None, 0):
            fail(op, f"filename must be a scalar string, got '{fn.name}' of dtype {dtypes.name(fn.dtype)} and "
                     f"shape {fn.shape}")
        n = a["vocab_size"]
        return [((n,), a["key_dtype"]), ((n,), a["value_dtype"])]

    def lower(op, filename):
        a = op.attrs
        packed = da.blockwise(_text_file_block, "", filename, "", key_index=a["key_index"],
                              value_index=a["value_index"], key_dtype=a["key_dtype"], value_dtype=a["value_dtype"],
                              delimiter=a["delimiter"].encode(), vocab_size=a["vocab_size"],
                              offset=a["value_index_offset"], label=_label(op), dtype=object,
                              meta=np.empty((), object))
        return _state_outputs(op, packed, a["vocab_size"])


def _initialized(session, table):
    try:
        session._variable_value(table._keys.op)
        return True
    except errors.FailedPreconditionError:
        return False


def _check_run(op, session, feeds):
    table = op.attrs["table"]
    if table._keys in feeds or _initialized(session, table):
        return {}
    mode = op.attrs["mode"]
    if mode == "empty":
        k, v = table._keys, table._values
        return {k: _empty(k.dtype, (0,)), v: _empty(v.dtype, (0,) + tuple(v.shape[1:]))}
    cls = {"lookup": errors.FailedPreconditionError, "export": errors.AbortedError}[mode]
    msg = "Table not initialized." if mode == "lookup" else "HashTable is not initialized."
    raise cls(None, op, f"{msg} [op '{op.name}' (type {op.type})]")


@register("LookupTableCheck")
class LookupTableCheck:
    """Whether a table is initialized, looked at before a run is planned (see the module's docstring)."""
    stateful = True
    grad = NOT_DIFFERENTIABLE
    host_run = staticmethod(_check_run)
    host_undo = staticmethod(lambda op, session, values: None)

    def infer(op):
        return []

    def lower(op):
        return []
