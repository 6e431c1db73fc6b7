"""The op types of Example parsing: ``ParseExample`` (a batch of ``Example`` records, or one), ``ParseSequenceExample``
(one ``SequenceExample``) and ``DecodeJSONExample``.

Parsing runs on the host, in one task over the whole batch, as TF's kernels do: the protobuf messages of
``daskflow.example`` decode each record. Sparse outputs (``VarLenFeature``) and the padded time axis of sequence
features have sizes known only when the op runs. Errors in the data (a required feature missing, values of another
type or count than the feature's) are ``InvalidArgumentError``\\ s with TF's messages, raised when the op runs.
"""
import math

import dask.array as da
import numpy as np

from .. import dtypes, errors
from .hostvalue import known_dims
from .registry import NOT_DIFFERENTIABLE, fail, register, tuple_outputs
from .strings_map import check_strings, each, meta, refuse, where

_KIND = {"float32": "float_list", "int64": "int64_list", "object": "bytes_list"}
_TF_TYPE = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


def _fail(message, where_):
    raise errors.InvalidArgumentError(None, None, f"{message} {where_}")


def _tf_shape(dims):
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _array(values, dt):
    if dt == dtypes.string:
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    return np.array(values, dtype=dt)


def _parse(message_cls, b, where_, what):
    from google.protobuf.message import DecodeError
    try:
        return message_cls.FromString(b)
    except DecodeError:
        _fail(what(b), where_)


def _values(fmap, key, dt, at, where_, var_len=False):
    """The values of feature ``key`` of map ``fmap`` as an array of ``dt``, or None when it is absent (or has no
    kind); ``at`` is ``"Name: <name>, Key: <key>, Index: <i>."`` for messages."""
    if key not in fmap:
        return None
    feature = fmap[key]
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    want = _KIND[dt.name]
    if kind != want:
        msg = (f"Expected type: {_TF_TYPE[want]}, Actual type: {_TF_TYPE[kind]}" if var_len else
               f"Data type: {_TF_TYPE[kind]} but expected type: {_TF_TYPE[want]}")
        _fail(f"{at}  Data types don't match. {msg}", where_)
    return _array(getattr(feature, kind).value, dt)


def _sparse(rows, dt, single):
    """indices, values, dense_shape of a batch of value lists (or of one, when ``single``)."""
    lens = [0 if r is None else len(r) for r in rows]
    values = _array([], dt) if not rows else np.concatenate([_array([], dt) if r is None else r for r in rows])
    cols = np.concatenate([np.arange(n, dtype=np.int64) for n in lens]) if rows else np.zeros(0, np.int64)
    width = max(lens, default=0)
    if single:
        return cols.reshape(-1, 1), values, np.array([width], dtype=np.int64)
    index = np.stack([np.repeat(np.arange(len(rows), dtype=np.int64), lens), cols], axis=1)
    return index.reshape(-1, 2), values, np.array([len(rows), width], dtype=np.int64)


def _fixed(rows, shape, dt, default, key, labels, where_, missing):
    """A batch of FixedLenFeature values, stacked: each of ``prod(shape)`` values, or the default."""
    n = math.prod(shape)
    out = []
    for i, (r, label) in enumerate(zip(rows, labels)):
        if r is None:
            if default.size == 0:
                _fail(missing(label, key, dt), where_)
            r = default.reshape(-1)
        elif r.size != n:
            _fail(f"Name: {label}, Key: {key}, Index: {i}.  Number of {_TF_TYPE[_KIND[dt.name]]} values != expected.  "
                  f"Values size: {r.size} but output shape: {_tf_shape(shape)}", where_)
        out.append(r.reshape(shape))
    return np.stack(out) if out else np.zeros((0,) + tuple(shape), dtype=dt)


def _padded(rows, shape, dt, default, key, labels, where_):
    """A batch of FixedLenSequenceFeature values: each a multiple of ``prod(shape)`` values, padded with the
    default (a scalar) to the longest."""
    stride = math.prod(shape)
    steps = []
    for i, (r, label) in enumerate(zip(rows, labels)):
        r = _array([], dt) if r is None else r
        if stride and r.size % stride:
            _fail(f"Name: {label}, Key: {key}, Index: {i}.  Number of {_TF_TYPE[_KIND[dt.name]]} values is not a "
                  f"multiple of stride length. Saw {r.size} values but output shape is: "
                  f"{_tf_shape([None] + list(shape))}", where_)
        steps.append(r.reshape((-1,) + tuple(shape)) if stride else np.zeros((0,) + tuple(shape), dtype=dt))
    longest = max((len(s) for s in steps), default=0)
    fill = default.reshape(-1)[0] if default.size else (b"" if dt == dtypes.string else 0)
    out = np.full((len(rows), longest) + tuple(shape), fill, dtype=dt)
    for i, s in enumerate(steps):
        out[i, :len(s)] = s
    return out


def _required(label, key, dt):
    return f"Name: {label}, Feature: {key} (data type: {dtypes.name(dt)}) is required but could not be found."


def _merged(parts, index_keys, value_key, size, already_sorted, where_):
    """A SparseFeature's indices, values and dense shape from the parsed VarLenFeatures ``parts`` (``{key:
    (indices, values, dense_shape)}``): the ids of ``index_keys`` become the last coordinates."""
    index, values, shape = parts[value_key]
    for k in index_keys:
        n = len(parts[k][1])
        if n != len(values):
            _fail(f"Number of elements in indices ({n}) and values ({len(values)}) do not match", where_)
    ids = [parts[k][1].astype(np.int64).reshape(-1, 1) for k in index_keys]
    out = np.concatenate([index[:, :-1]] + ids, axis=1)
    if not already_sorted and len(out):
        order = np.lexsort(out.T[::-1])
        out, values = out[order], values[order]
    return out, values, np.concatenate([shape[:-1], np.asarray(size, dtype=np.int64)])


def _features_out(maps, labels, sparse, dense, defaults, single, where_, missing=_required, merged=()):
    """The outputs of a ParseExample over feature maps ``maps``: per sparse feature its three parts, then the dense
    features, then per SparseFeature (of ``merged``) its three parts."""
    outs, parts = [], {}
    for key, dt in sparse:
        rows = [_values(m, key, dt, f"Name: {label}, Key: {key}, Index: {i}.", where_, var_len=True)
                for i, (m, label) in enumerate(zip(maps, labels))]
        parts[key] = _sparse(rows, dt, single)
        outs.extend(parts[key])
    for (key, dt, shape, variable), default in zip(dense, defaults):
        rows = [_values(m, key, dt, f"Name: {label}, Key: {key}, Index: {i}.", where_)
                for i, (m, label) in enumerate(zip(maps, labels))]
        value = (_padded(rows, shape, dt, np.asarray(default), key, labels, where_) if variable else
                 _fixed(rows, shape, dt, np.asarray(default), key, labels, where_, missing))
        outs.append(value[0] if single else value)
    for _, index_keys, value_key, size, already_sorted in merged:
        outs.extend(_merged(parts, index_keys, value_key, size, already_sorted, where_))
    return outs


def _labels(names, n):
    names = [v.decode("utf-8", "backslashreplace") for v in np.asarray(names).reshape(-1)]
    return names if names else ["<unknown>"] * n


def _names_match(names_shape, serialized_shape):
    """TF's message when the example names (when any) are not one per record, else None."""
    if math.prod(names_shape) and math.prod(names_shape) != math.prod(serialized_shape):
        return (f"Expected names have the same shape as serialized: name.shape={_tf_shape(names_shape)}, "
                f"serialized.shape={_tf_shape(serialized_shape)}")
    return None


def _parse_examples(serialized, names, *defaults, sparse, dense, merged, where_):
    from ..example import Example
    single = serialized.ndim == 0
    flat = np.asarray(serialized).reshape(-1)
    mismatch = _names_match(np.shape(names), np.shape(serialized))
    if mismatch:
        _fail(mismatch, where_)
    what = lambda b: f"Could not parse example input, value: '{b.decode('utf-8', 'backslashreplace')}'"  # noqa: E731
    maps = [_parse(Example, b, where_, what).features.feature for b in flat]
    return tuple(_features_out(maps, _labels(names, len(flat)), sparse, dense, defaults, single, where_,
                               merged=merged))


def _outputs(lead, sparse, dense, merged=()):
    """Static shapes and dtypes of a ParseExample's outputs over a serialized input of dims ``lead`` (a list, or
    None for an unknown rank)."""
    rank = None if lead is None else len(lead) + 1
    outs = []
    for _, dt in sparse:
        outs += [((None, rank), dtypes.int64), ((None,), dt), ((rank,), dtypes.int64)]
    for _, dt, shape, variable in dense:
        outs.append((None if lead is None else lead + [None] * variable + list(shape), dt))
    for _, index_keys, value_key, size, _ in merged:
        r = None if lead is None else len(lead) + len(index_keys)
        dt = dict(sparse)[value_key]
        outs += [((None, r), dtypes.int64), ((None,), dt), ((r,), dtypes.int64)]
    return outs


def _chunks(lead, sparse, dense, merged=()):
    """Chunks and metas of the outputs of a ParseExample over an input of known dims ``lead`` (one block each)."""
    lead = tuple((np.nan if d is None else d,) for d in lead)
    rank = len(lead) + 1
    chunks, metas = [], []
    for _, dt in sparse:
        chunks += [((np.nan,), (rank,)), ((np.nan,),), ((rank,),)]
        metas += [meta(np.int64, 2), meta(dt, 1), meta(np.int64, 1)]
    for _, dt, shape, variable in dense:
        chunks.append(lead + ((np.nan,),) * variable + tuple((d,) for d in shape))
        metas.append(meta(dt, len(lead) + variable + len(shape)))
    for _, index_keys, value_key, _, _ in merged:
        r = len(lead) + len(index_keys)
        chunks += [((np.nan,), (r,)), ((np.nan,),), ((r,),)]
        metas += [meta(np.int64, 2), meta(dict(sparse)[value_key], 1), meta(np.int64, 1)]
    return chunks, metas


def _blockwise(fn, inputs, prefix, op, chunks, metas):
    """One task of ``fn`` over the whole of each input, its tuple of outputs split by ``tuple_outputs``."""
    args = []
    for i, x in enumerate(inputs):
        args += [x.rechunk(-1), tuple(f"i{i}.{k}" for k in range(x.ndim))]
    packed = da.blockwise(fn, (), *args, concatenate=True, where_=where(op), **op.attrs, dtype=object,
                          meta=meta(object, 0))
    return tuple_outputs(packed, chunks, metas, prefix)


@register("ParseExample")
class ParseExample:
    """Inputs: serialized (a scalar or a vector), example names (a vector, maybe empty), then one default per dense
    feature (empty: required). Attrs: ``sparse`` ``((key, dtype), ...)``, ``dense`` ``((key, dtype, shape,
    variable), ...)`` where ``variable`` marks a FixedLenSequenceFeature; ``merged`` ``((key, index_keys, value_key,
    size, already_sorted), ...)`` the SparseFeatures, built from those sparse features."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        check_strings(op, [x], "serialized")
        if x.shape.ndims is not None and x.shape.ndims > 1:
            refuse(op, f"Shape must be at most rank 1 but is rank {x.shape.ndims}", ValueError)
        names = op.inputs[1].shape
        if x.shape.is_fully_defined() and names.is_fully_defined():
            mismatch = _names_match(names.as_list(), x.shape.as_list())
            if mismatch:
                fail(op, mismatch)
        a = op.attrs
        return _outputs(None if x.shape.ndims is None else list(x.shape), a["sparse"], a["dense"], a["merged"])

    def lower(op, x, names, *defaults):
        a = op.attrs
        chunks, metas = _chunks(known_dims(x.shape), a["sparse"], a["dense"], a["merged"])
        return _blockwise(_parse_examples, [x, names, *defaults], "parse-example", op, chunks, metas)


# -- SequenceExample

def _context_missing(label, key, dt):
    return f"Name: {label}, Context feature '{key}' is required but could not be found."


def _feature_list_dense(lists, key, dt, shape, allow_missing, label, where_):
    if key not in lists:
        if not allow_missing:
            _fail(f"Name: {label}, Feature list '{key}' is required but could not be found.  Did you mean to include "
                  "it in feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?", where_)
        return np.zeros((0,) + tuple(shape), dtype=dt)
    n, steps = math.prod(shape), []
    for t, feature in enumerate(lists[key].feature):
        kind = feature.WhichOneof("kind")
        if kind is not None and kind != _KIND[dt.name]:
            _fail(f"Name: {label}, Feature list: {key}, Index: {t}.  Data types don't match. Expected type: "
                  f"{_TF_TYPE[_KIND[dt.name]]}", where_)
        values = _array([] if kind is None else getattr(feature, kind).value, dt)
        if values.size != n:
            _fail(f"Name: {label}, Key: {key}, Index: {t}.  Number of values != expected.  values size: "
                  f"{values.size} but output shape: {_tf_shape(shape)}", where_)
        steps.append(values.reshape(shape))
    return np.stack(steps) if steps else np.zeros((0,) + tuple(shape), dtype=dt)


def _feature_list_sparse(lists, key, dt, label, where_):
    rows = []
    for t, feature in enumerate(lists[key].feature if key in lists else ()):
        kind = feature.WhichOneof("kind")
        if kind is not None and kind != _KIND[dt.name]:
            _fail(f"Name: {label}, Feature list: {key}, Index: {t}.  Data types don't match. Expected type: "
                  f"{_TF_TYPE[_KIND[dt.name]]}", where_)
        rows.append(_array([] if kind is None else getattr(feature, kind).value, dt))
    return _sparse(rows, dt, single=False)


def _parse_sequence(serialized, name, *defaults, context_sparse, context_dense, context_merged, list_sparse, list_dense,
                    where_):
    from ..example import SequenceExample
    label = _labels(name, 1)[0]
    proto = _parse(SequenceExample, np.asarray(serialized)[()], where_,
                   lambda b: f"Invalid protocol message input, example id: {label}")
    outs = _features_out([proto.context.feature], [label], context_sparse, context_dense, defaults, True, where_,
                         missing=_context_missing, merged=context_merged)
    lists = proto.feature_lists.feature_list
    for key, dt in list_sparse:
        outs.extend(_feature_list_sparse(lists, key, dt, label, where_))
    for key, dt, shape, allow_missing in list_dense:
        outs.append(_feature_list_dense(lists, key, dt, shape, allow_missing, label, where_))
    return tuple(outs)


@register("ParseSequenceExample")
class ParseSequenceExample:
    """Inputs: serialized (a scalar), the example's name (a vector of one or none), then one default per dense
    context feature. Attrs: ``context_sparse``, ``context_dense`` as ParseExample's; ``list_sparse`` ``((key,
    dtype), ...)``, ``list_dense`` ``((key, dtype, shape, allow_missing), ...)``."""
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        x = op.inputs[0]
        check_strings(op, [x], "serialized")
        if x.shape.ndims not in (None, 0):
            refuse(op, f"Shape must be rank 0 but is rank {x.shape.ndims}", ValueError)
        a = op.attrs
        outs = _outputs([], a["context_sparse"], a["context_dense"], a["context_merged"])
        for _, dt in a["list_sparse"]:
            outs += [((None, 2), dtypes.int64), ((None,), dt), ((2,), dtypes.int64)]
        for _, dt, shape, _ in a["list_dense"]:
            outs.append(([None] + list(shape), dt))
        return outs

    def lower(op, x, name, *defaults):
        a = op.attrs
        chunks, metas = _chunks((), a["context_sparse"], a["context_dense"], a["context_merged"])
        for _, dt in a["list_sparse"]:
            chunks += [((np.nan,), (2,)), ((np.nan,),), ((2,),)]
            metas += [meta(np.int64, 2), meta(dt, 1), meta(np.int64, 1)]
        for _, dt, shape, _ in a["list_dense"]:
            chunks.append(((np.nan,),) + tuple((d,) for d in shape))
            metas.append(meta(dt, 1 + len(shape)))
        return _blockwise(_parse_sequence, [x, name, *defaults], "parse-sequence-example", op, chunks, metas)


# -- JSON

def _json_examples(x, where_):
    from google.protobuf import json_format

    from ..example import Example

    def one(text):
        try:
            return json_format.Parse(text, Example()).SerializeToString()
        except json_format.ParseError as e:
            _fail(f"Error while parsing JSON: {e}", where_)
    return each(one, x)


@register("DecodeJSONExample")
class DecodeJSONExample:
    strings = True
    grad = NOT_DIFFERENTIABLE

    def infer(op):
        check_strings(op, op.inputs, "json_examples")
        return [(op.inputs[0].shape, dtypes.string)]

    def lower(op, x):
        return x.map_blocks(_json_examples, where_=where(op), dtype=dtypes.string, meta=meta(dtypes.string, x.ndim))
