"""Parsing ``Example`` and ``SequenceExample`` records (TF1's ``parse_example`` family) into tensors, described by
feature configurations: ``FixedLenFeature`` (a dense tensor of one shape per record), ``FixedLenSequenceFeature``
(a dense tensor with a leading axis of the record's length, padded), ``VarLenFeature`` (a ``SparseTensor``) and
``SparseFeature`` (a ``SparseTensor`` whose indices are read from other features).

The op types are in ``parsing_ops``; this module lists the names ``tf.`` and ``tf.io`` have, the TFRecord files
of ``tf.python_io`` included.
"""
import collections
import math

import numpy as np

from .. import dtypes
from ..python_io import TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator  # noqa: F401
from ..graph import Tensor, name_scope
from .parsing_ops import DecodeJSONExample, ParseExample, ParseSequenceExample  # noqa: F401 - registers them
from .registry import apply, apply1, convert_to_tensor
from .state import constant

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "SparseFeature", "parse_example",
           "parse_single_example", "parse_single_sequence_example", "decode_json_example"]

NAMESPACES = {
    "io": __all__ + ["TFRecordWriter", "tf_record_iterator", "TFRecordOptions", "TFRecordCompressionType"],
}

_TYPES = ("float32", "int64", "string")


class FixedLenFeature(collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature of ``shape`` (a list of ints) and ``dtype`` (float32, int64 or string) in every record: its values,
    row-major, must be ``prod(shape)`` of them. A record without it gets ``default_value`` (of that many values);
    with no default, it is required."""
    __slots__ = ()

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple("FixedLenSequenceFeature",
                                                     ["shape", "dtype", "allow_missing", "default_value"])):
    """A feature of any number of items of ``shape``: in ``parse_example`` a multiple of ``prod(shape)`` values
    (padded with ``default_value``, or 0 or "", to the batch's longest), in a ``SequenceExample``'s feature lists one
    item per step. ``allow_missing`` lets records lack it (no items)."""
    __slots__ = ()

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature of any number of values, parsed as a ``SparseTensor`` (``[batch, most values]``)."""
    __slots__ = ()


class SparseFeature(collections.namedtuple("SparseFeature",
                                           ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """A ``SparseTensor`` of dense shape ``[batch] + size`` whose entries are the values of feature ``value_key`` at
    the positions the int64 features ``index_key`` (one key, or a list of one per dimension of ``size``) give;
    entries are sorted row-major unless ``already_sorted``."""
    __slots__ = ()

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


def _dtype(dt, parameter):
    dt = dtypes.as_dtype(dt)
    if dtypes.name(dt) not in _TYPES:
        raise TypeError(f"Value passed to parameter '{parameter}' has DataType {dtypes.name(dt)} not in list of "
                        f"allowed values: {', '.join(_TYPES)}")
    return dt


def _shape(key, feature):
    if feature.shape is None or (hasattr(feature.shape, "ndims") and feature.shape.ndims is None):
        raise ValueError(f"Missing shape for feature {key}. Received feature={feature}.")
    dims = tuple(feature.shape)
    if any(d is None for d in dims):
        raise ValueError(f"All dimensions of shape for feature {key} need to be known but received {list(dims)}.")
    return tuple(int(d) for d in dims)


def _default(value, dt, shape, key):
    """The default of a dense feature as a numpy array of ``shape`` (empty for none)."""
    if value is None:
        return np.zeros(0, dtype=dt)
    if dt == dtypes.string:
        flat = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in np.asarray(value, object).reshape(-1)]
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
    else:
        arr = np.asarray(value, dtype=dt).reshape(-1)
    if arr.size != math.prod(shape):
        raise ValueError(f"Cannot reshape a tensor with {arr.size} elements to shape {list(shape)} "
                         f"({math.prod(shape)} elements) for the default_value of feature '{key}'")
    return arr.reshape(shape)


def _add_sparse(sparse, key, dt):
    if key in sparse and sparse[key] != dt:
        raise ValueError(f"Conflicting type {dtypes.name(sparse[key])} vs {dtypes.name(dt)} for feature {key}.")
    sparse[key] = dt


class _Spec:
    """The features of a parse, split as the op takes them."""

    def __init__(self, features, in_sequence=False):
        self.sparse, self.dense, self.defaults, self.composite = {}, [], [], {}
        for key in sorted(features):
            f = features[key]
            if isinstance(f, VarLenFeature):
                _add_sparse(self.sparse, key, _dtype(f.dtype, "sparse_types"))
            elif isinstance(f, SparseFeature):
                for k in [f.index_key] if isinstance(f.index_key, str) else f.index_key:
                    _add_sparse(self.sparse, k, dtypes.int64)
                _add_sparse(self.sparse, f.value_key, _dtype(f.dtype, "sparse_types"))
                self.composite[key] = f
            elif isinstance(f, FixedLenFeature):
                dt, shape = _dtype(f.dtype, "dense_defaults"), _shape(key, f)
                self.dense.append((key, dt, shape, False))
                self.defaults.append(_default(f.default_value, dt, shape, key))
            elif isinstance(f, FixedLenSequenceFeature):
                if not f.allow_missing:
                    raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to be True.")
                dt, shape = _dtype(f.dtype, "dense_defaults"), _shape(key, f)
                self.dense.append((key, dt, shape, True))
                self.defaults.append(_default(f.default_value, dt, (), key) if f.default_value is not None
                                     else np.zeros(0, dtype=dt))
            else:
                raise ValueError(f"Unsupported {type(f).__name__} {f} for key '{key}'")
        self.sparse = tuple(self.sparse.items())
        self.dense = tuple(self.dense)

    def default_tensors(self):
        return [constant(d, dtype=dt, name=f"key_{key}") for d, (key, dt, _, _) in zip(self.defaults, self.dense)]

    @property
    def merged(self):
        """The SparseFeatures as the op takes them: ``((key, index_keys, value_key, size, already_sorted), ...)``."""
        out = []
        for key, f in self.composite.items():
            one = isinstance(f.index_key, str)
            size = (int(f.size),) if one else tuple(int(s) for s in f.size)
            out.append((key, (f.index_key,) if one else tuple(f.index_key), f.value_key, size, bool(f.already_sorted)))
        return tuple(out)

    def n_outputs(self):
        return 3 * len(self.sparse) + len(self.dense) + 3 * len(self.composite)

    def results(self, outs, wanted):
        """``{key: tensor or SparseTensor}`` of the features in ``wanted`` from the op's outputs."""
        from ..sparse import SparseTensor
        n, m = 3 * len(self.sparse), 3 * len(self.sparse) + len(self.dense)
        parsed = {key: SparseTensor(*outs[3 * i:3 * i + 3]) for i, (key, _) in enumerate(self.sparse)}
        parsed.update({key: t for (key, *_), t in zip(self.dense, outs[n:m])})
        parsed.update({key: SparseTensor(*outs[m + 3 * i:m + 3 * i + 3]) for i, key in enumerate(self.composite)})
        return {key: parsed[key] for key in wanted}


def _serialized(serialized, op_type):
    x = serialized if isinstance(serialized, Tensor) else convert_to_tensor(serialized, dtype_hint=dtypes.string)
    if not dtypes.is_string(x.dtype):
        raise TypeError(f"Input 'serialized' of '{op_type}' Op has type {dtypes.name(x.dtype)} that does not match "
                        "expected type of string.")
    return x


def _names(names):
    if names is None:
        return constant(np.zeros(0, dtype=object), dtype=dtypes.string, name="names")
    return convert_to_tensor(names, dtype_hint=dtypes.string)


def parse_example(serialized, features, name=None, example_names=None):
    """Parse a batch of serialized ``Example`` protos (TF1's ``parse_example``).

    Parameters
    ----------
    serialized : string tensor
        A vector of records (a scalar parses one record, with no batch axis).
    features : dict
        ``{key: FixedLenFeature | FixedLenSequenceFeature | VarLenFeature | SparseFeature}``.
    name : str, optional
    example_names : string vector, optional
        The records' names, for error messages.

    Returns
    -------
    dict
        ``{key: Tensor | SparseTensor}``: a ``FixedLenFeature`` gives ``[batch] + shape``, a
        ``FixedLenSequenceFeature`` ``[batch, longest] + shape``, a ``VarLenFeature`` a ``SparseTensor`` of dense
        shape ``[batch, most values]``, a ``SparseFeature`` one of ``[batch] + size``. A required feature missing
        from a record, or values of another type or count, raise ``InvalidArgumentError`` when the op runs.

    Examples
    --------
    >>> import daskflow as df
    >>> ex = df.train.Example(features=df.train.Features(feature={
    ...     "x": df.train.Feature(float_list=df.train.FloatList(value=[1.0, 2.0]))}))
    >>> parsed = df.parse_example([ex.SerializeToString()], {"x": df.FixedLenFeature([2], df.float32)})
    >>> with df.Session() as sess:
    ...     sess.run(parsed["x"])
    array([[1., 2.]], dtype=float32)
    """
    if not features:
        raise ValueError(f"Argument `features` cannot be None or falsy. Got {features}")
    spec = _Spec(features)
    with name_scope(name, "ParseExample"):
        x = _serialized(serialized, "ParseExample")
        outs = apply("ParseExample", [x, _names(example_names)] + spec.default_tensors(),
                     {"sparse": spec.sparse, "dense": spec.dense, "merged": spec.merged}, name="ParseExample")
        return spec.results(outs, features)


def parse_single_example(serialized, features, name=None, example_names=None):
    """Parse one serialized ``Example`` (a scalar string; TF1's ``parse_single_example``): as ``parse_example``
    without the batch axis (a ``VarLenFeature`` gives a ``SparseTensor`` of dense shape ``[number of values]``)."""
    if not features:
        raise ValueError(f"Argument `features` cannot be None or falsy. Got {features}")
    with name_scope(name, "ParseSingleExample"):
        x = _serialized(serialized, "ParseExample")
        if x.shape.ndims not in (None, 0):
            raise ValueError(f"Input serialized must be a scalar, got shape {x.shape}")
        names = None if example_names is None else convert_to_tensor([example_names], dtype_hint=dtypes.string)
        return parse_example(x, features, example_names=names)


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None, example_name=None,
                                  name=None):
    """Parse one serialized ``SequenceExample`` (TF1's ``parse_single_sequence_example``).

    ``context_features`` (``FixedLenFeature``, ``VarLenFeature``, ``SparseFeature``) are read from its context as
    ``parse_single_example`` reads an ``Example``. ``sequence_features`` are read from its feature lists, one item per
    step: a ``FixedLenSequenceFeature`` gives ``[steps] + shape`` (an absent list is required unless
    ``allow_missing``: then ``[0] + shape``), a ``VarLenFeature`` a ``SparseTensor`` of dense shape ``[steps, most
    values]``. Returns ``(context dict, sequence dict)``."""
    context_features, sequence_features = context_features or {}, sequence_features or {}
    if not context_features and not sequence_features:
        raise ValueError("Both context_features and sequence_features are None, but at least one should have values.")
    for key, f in context_features.items():
        if isinstance(f, FixedLenSequenceFeature):
            raise ValueError(f"Unsupported FixedLenSequenceFeature {f} for key '{key}'")
    lists_sparse, lists_dense = {}, []
    for key in sorted(sequence_features):
        f = sequence_features[key]
        if isinstance(f, VarLenFeature):
            lists_sparse[key] = _dtype(f.dtype, "feature_list_sparse_types")
        elif isinstance(f, FixedLenSequenceFeature):
            if f.default_value is not None:
                raise ValueError(f"Value feature_list.dense_defaults[{key}] must be None")
            lists_dense.append((key, _dtype(f.dtype, "feature_list_dense_types"), _shape(key, f),
                                bool(f.allow_missing)))
        else:
            raise ValueError(f"Unsupported {type(f).__name__} {f} for key '{key}'")
    spec = _Spec(context_features)
    with name_scope(name, "ParseSingleSequenceExample"):
        x = _serialized(serialized, "ParseSequenceExample")
        names = _names(None if example_name is None else [example_name])
        attrs = {"context_sparse": spec.sparse, "context_dense": spec.dense, "context_merged": spec.merged,
                 "list_sparse": tuple(lists_sparse.items()), "list_dense": tuple(lists_dense)}
        outs = apply("ParseSequenceExample", [x, names] + spec.default_tensors(), attrs, name="ParseSequenceExample")
        n = spec.n_outputs()
        context = spec.results(outs[:n], context_features)
        sequence = {}
        from ..sparse import SparseTensor
        for i, key in enumerate(lists_sparse):
            sequence[key] = SparseTensor(*outs[n + 3 * i:n + 3 * i + 3])
        for (key, *_), t in zip(lists_dense, outs[n + 3 * len(lists_sparse):]):
            sequence[key] = t
        return context, sequence


def decode_json_example(json_examples, name=None):
    """Each string of ``json_examples``, an ``Example`` in protobuf's JSON mapping (``{"features": {"feature":
    {"x": {"floatList": {"value": [1.5]}}}}}``), as the serialized ``Example`` (TF1's ``decode_json_example``)."""
    return apply1("DecodeJSONExample", [convert_to_tensor(json_examples, dtype_hint=dtypes.string)], {},
                  name=name or "DecodeJSONExample")
