"""Splitting strings into tokens, as TF1 gives them: a ``SparseTensor`` (``string_split``, ``strings.split``).

The number of tokens is known when the op runs: ``indices`` and ``values`` have a leading dim of unknown size, and
``dense_shape`` is the input's shape plus the most tokens of any string."""
import dask.array as da
import numpy as np

from .. import dtypes
from .registry import NOT_DIFFERENTIABLE, apply, convert_to_tensor, register, tuple_outputs
from .strings_map import check_strings, meta, refuse, whole

__all__ = ["string_split", "split"]


def _split_rows(x, how, attrs):
    x = np.asarray(x, dtype=object)  # a scalar input's block may come as the bytes themselves
    shape = x.shape if x.ndim else (1,)
    rows = [how(v, **attrs) for v in x.reshape(-1)]
    width = max((len(r) for r in rows), default=0)
    index, values = [], []
    for i, tokens in enumerate(rows):
        at = np.unravel_index(i, shape) if shape else ()
        for j, tok in enumerate(tokens):
            index.append(tuple(int(a) for a in at) + (j,))
            values.append(tok)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    indices = np.array(index, dtype=np.int64).reshape(len(index), len(shape) + 1)
    return indices, out, np.array(shape + (width,), dtype=np.int64)


def _by_chars(v, delimiter, skip_empty):
    """TF1's StringSplit: any byte of ``delimiter`` ends a token; an empty delimiter splits into bytes."""
    if not delimiter:
        return [v[i:i + 1] for i in range(len(v))]
    tokens, start = [], 0
    for i, c in enumerate(v):
        if c in delimiter:
            tokens.append(v[start:i])
            start = i + 1
    tokens.append(v[start:])
    return [t for t in tokens if t or not skip_empty] if v else []


def _by_sep(v, sep, maxsplit):
    """StringSplitV2: ``bytes.split``: on runs of whitespace when ``sep`` is empty, else on each ``sep``."""
    return v.split(sep or None, maxsplit)


def _split_op(type_name, how):
    def infer(op):
        x = op.inputs[0]
        check_strings(op, [x])
        if op.attrs.get("rank1") and x.shape.ndims not in (None, 1):
            refuse(op, f"Shape must be rank 1 but is rank {x.shape.ndims}", ValueError)
        rank = None if x.shape.ndims is None else max(x.shape.ndims, 1) + 1
        return [((None, rank), dtypes.int64), ((None,), dtypes.string), ((rank,), dtypes.int64)]

    def lower(op, x):
        attrs = {k: v for k, v in op.attrs.items() if k != "rank1"}
        one = whole(x)
        packed = da.blockwise(_split_rows, (), one, tuple(f"i{d}" for d in range(x.ndim)), concatenate=True,
                              how=how, attrs=attrs, dtype=object, meta=meta(object, 0))
        rank = max(x.ndim, 1) + 1
        return tuple_outputs(packed, [((np.nan,), (rank,)), ((np.nan,),), ((rank,),)],
                             [meta(np.int64, 2), meta(dtypes.string, 1), meta(np.int64, 1)], type_name.lower())

    return register(type_name)(type(type_name, (), {"infer": infer, "lower": lower, "strings": True,
                                                    "grad": NOT_DIFFERENTIABLE}))


_split_op("StringSplit", _by_chars)
_split_op("StringSplitV2", _by_sep)


def _bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def _sparse(type_name, source, attrs, name):
    from ..sparse import SparseTensor
    indices, values, shape = apply(type_name, [convert_to_tensor(source, dtype_hint=dtypes.string)], attrs,
                                   name=name or type_name)
    return SparseTensor(indices, values, shape)


def _check_result_type(result_type):
    if result_type not in ("RaggedTensor", "SparseTensor"):
        raise ValueError("result_type must be 'RaggedTensor' or 'SparseTensor'.")


def _result(type_name, source, attrs, name, result_type):
    """The tokens as a SparseTensor, or as a RaggedTensor: the split of the flattened strings (a scalar counts as a
    vector of one), nested back into ``source``'s uniform outer dims."""
    if result_type == "SparseTensor":
        return _sparse(type_name, source, attrs, name)
    from ..ragged.tensor import RaggedTensor
    from .array import reshape
    from .generate import shape as shape_of
    x = convert_to_tensor(source, dtype_hint=dtypes.string)
    sp = _sparse(type_name, reshape(x, [-1]) if x.shape.ndims != 1 else x, attrs, name)
    rows = sp.dense_shape[0]
    if x.shape.is_fully_defined():  # static: the row count is known when built, as TF's
        rows = np.int64(np.prod(x.shape.as_list(), dtype=np.int64))
    rt = RaggedTensor.from_value_rowids(sp.values, sp.indices[:, 0], rows, validate=False)
    dims = shape_of(x, out_type=dtypes.int64)
    for axis in range((x.shape.ndims or 1) - 1, 0, -1):
        rt = RaggedTensor.from_uniform_row_length(rt, dims[axis], validate=False)
    return rt


def string_split(source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor", name=None):
    """Split each string of the vector ``source`` where any character of ``delimiter`` (TF1's spelling; ``sep``
    is its newer name; default " ") occurs, dropping empty tokens when ``skip_empty`` (TF1's ``string_split``); an
    empty delimiter splits into bytes. Returns a ``SparseTensor`` of the tokens: ``indices`` ``[N, 2]`` (row,
    position), ``values`` and ``dense_shape`` ``[rows, most tokens]``; with ``result_type="RaggedTensor"``, a
    RaggedTensor of each row's tokens.

    Examples
    --------
    >>> import daskflow as df
    >>> sp = df.string_split(["a b", "c"])
    >>> with df.Session() as sess:
    ...     sess.run(sp.values)
    array([b'a', b'b', b'c'], dtype=object)
    """
    if sep is not None and delimiter is not None:
        raise ValueError("Cannot specify both 'sep' and 'delimiter'")
    _check_result_type(result_type)
    delim = _bytes(" " if sep is None and delimiter is None else sep if sep is not None else delimiter)
    attrs = {"delimiter": delim, "skip_empty": bool(skip_empty), "rank1": True}
    return _result("StringSplit", source, attrs, name, result_type)


def split(input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None, name=None):
    """Split each string of ``input`` on ``sep`` (each occurrence, keeping empty tokens), or with no ``sep`` on
    runs of ASCII whitespace, at most ``maxsplit`` times (-1: no limit), as Python's ``bytes.split`` (TF1's
    ``strings.split``). Returns a ``SparseTensor`` of the tokens of rank ``input``'s + 1 (a scalar counts as a
    vector of one): ``dense_shape`` is ``input``'s shape plus the most tokens of any string. With
    ``result_type="RaggedTensor"``, a RaggedTensor of ``input``'s shape plus a ragged dim of each string's tokens."""
    if input is not None and source is not None:
        raise ValueError("Cannot specify both 'input' and 'source'")
    _check_result_type(result_type)
    attrs = {"sep": b"" if sep is None else _bytes(sep), "maxsplit": int(maxsplit)}
    if sep is not None and not attrs["sep"]:
        raise ValueError("empty separator")
    return _result("StringSplitV2", source if input is None else input, attrs, name, result_type)
