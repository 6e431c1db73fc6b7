"""The constructors of TF1's ``tf.feature_column``: each checks its arguments as TF does (same error classes and
messages) and returns a column of ``columns.py``."""
import math
import os

import numpy as np

from .. import dtypes
from ..initializers import truncated_normal_initializer
from .columns import (BucketizedColumn, CrossedColumn, EmbeddingColumn, HashedCategoricalColumn,
                      IdentityCategoricalColumn, IndicatorColumn, NumericColumn, SharedEmbeddingColumn,
                      VocabularyFileCategoricalColumn, VocabularyListCategoricalColumn, WeightedCategoricalColumn,
                      _CategoricalColumn, _check_string_or_int, _SequenceCategoricalColumn, dtype_str)


def check_key(key):
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}.")


def check_shape(shape, key):
    """``shape`` as a tuple of positive ints (an int is a 1-D shape)."""
    shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    for dim in shape:
        if not isinstance(dim, int):
            raise TypeError(f"shape dimensions must be integer. shape: {shape}, key: {key}")
        if dim < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: {key}")
    return shape


def _filled(shape, value):
    return tuple(_filled(shape[1:], value) for _ in range(shape[0])) if shape else value


def _fits(value, shape):
    if isinstance(value, (list, tuple)) != bool(shape):
        return False
    return not shape or (len(value) == shape[0] and all(_fits(v, shape[1:]) for v in value))


def _flat(value):
    return [x for v in value for x in _flat(v)] if isinstance(value, (list, tuple)) else [value]


def _as_tuple(value):
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value


def check_default_value(shape, default_value, dtype, key):
    """``default_value`` as a nested tuple of ``shape`` (a scalar fills the shape), checked against ``dtype``."""
    if default_value is None:
        return None
    if isinstance(default_value, int) or (isinstance(default_value, float) and dtypes.is_floating(dtype)):
        return _filled(shape, default_value)
    if callable(getattr(default_value, "tolist", None)):
        default_value = default_value.tolist()
    if isinstance(default_value, (list, tuple)):
        if not _fits(default_value, shape):
            raise ValueError("The shape of default_value must be equal to given shape. default_value: "
                             f"{default_value}, shape: {shape}, key: {key}")
        flat = _flat(default_value)
        if all(isinstance(v, int) for v in flat) or (any(isinstance(v, float) for v in flat)
                                                     and dtypes.is_floating(dtype)):
            return _as_tuple(default_value)
    raise TypeError(f"default_value must be compatible with dtype. default_value: {default_value}, dtype: "
                    f"{dtype_str(dtype)}, key: {key}")


def numeric_column(key, shape=(1,), default_value=None, dtype=dtypes.float32, normalizer_fn=None):
    """A real-valued feature ``key``: a dense tensor ``[batch] + shape`` (``default_value`` fills examples that lack
    it when parsed), passed through ``normalizer_fn`` and cast to float32.

    Examples
    --------
    >>> import daskflow as df
    >>> price = df.feature_column.numeric_column("price", normalizer_fn=lambda x: x / 10.0)
    >>> out = df.feature_column.input_layer({"price": df.constant([[5.0], [20.0]])}, [price])
    >>> with df.Session() as s:
    ...     s.run(out)
    array([[0.5],
           [2. ]], dtype=float32)
    """
    shape = check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtypes.is_integer(dtype) or dtypes.is_floating(dtype)):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype_str(dtype)}, key: {key}")
    default_value = check_default_value(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    check_key(key)
    return NumericColumn(key, shape=shape, default_value=default_value, dtype=dtype, normalizer_fn=normalizer_fn)


def bucketized_column(source_column, boundaries):
    """A 1-D ``numeric_column`` discretised by the sorted ``boundaries``: bucket ``i`` holds values in
    ``[boundaries[i-1], boundaries[i])``. As a dense column it is one-hot per value; as a categorical column
    (crossed, embedded, in ``linear_model``) each value of the source's dim ``d`` is the id
    ``d * (len(boundaries) + 1) + bucket``."""
    if not isinstance(source_column, NumericColumn):
        raise ValueError(f"source_column must be a column generated with numeric_column(). Given: {source_column}")
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: {source_column}")
    if not boundaries:
        raise ValueError("boundaries must not be empty.")
    if not isinstance(boundaries, (list, tuple)):
        raise ValueError("boundaries must be a sorted list.")
    if any(a >= b for a, b in zip(boundaries[:-1], boundaries[1:])):
        raise ValueError("boundaries must be a sorted list.")
    return BucketizedColumn(source_column, tuple(boundaries))


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """A string (or integer) feature hashed into ``hash_bucket_size`` ids, as TF's
    ``string_to_hash_bucket_fast`` (integers hashed as their decimal text); dense inputs' ``""``/``-1`` entries are
    missing values."""
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be at least 1. hash_bucket_size: {hash_bucket_size}, key: {key}")
    check_key(key)
    dtype = dtypes.as_dtype(dtype)
    _check_string_or_int(dtype, f"column_name: {key}")
    return HashedCategoricalColumn(key, hash_bucket_size, dtype)


def _check_oov(num_oov_buckets, default_value, unset, key):
    if num_oov_buckets:
        if default_value != unset:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")


def categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0,
                                            default_value=None, dtype=dtypes.string):
    """A string or integer feature whose ids are line numbers in ``vocabulary_file`` (one entry a line; the first
    ``vocabulary_size`` lines, default all). Other values get ``vocabulary_size + hash % num_oov_buckets`` when
    ``num_oov_buckets`` > 0, else ``default_value`` (default -1, dropped by the embedding and indicator columns)."""
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_size is None:
        if not os.path.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        with open(vocabulary_file, "rb") as f:
            vocabulary_size = sum(1 for _ in f)
    if vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    _check_oov(num_oov_buckets, default_value, None, key)
    dtype = dtypes.as_dtype(dtype)
    _check_string_or_int(dtype, f"column_name: {key}")
    check_key(key)
    return VocabularyFileCategoricalColumn(key, vocabulary_file, vocabulary_size, num_oov_buckets or 0, dtype,
                                           -1 if default_value is None else default_value, None)


def categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0):
    """A string or integer feature whose ids are positions in ``vocabulary_list``; other values get
    ``len(vocabulary_list) + hash % num_oov_buckets`` when ``num_oov_buckets`` > 0, else ``default_value``.

    Examples
    --------
    >>> import daskflow as df
    >>> colors = df.feature_column.categorical_column_with_vocabulary_list("color", ["R", "G", "B"])
    >>> out = df.feature_column.input_layer({"color": df.constant([["G"], ["B"]])},
    ...                                     [df.feature_column.indicator_column(colors)])
    >>> with df.Session() as s:
    ...     _ = s.run(df.tables_initializer())
    ...     s.run(out)
    array([[0., 1., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: {key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: {key}")
    # numpy's dtype of the list, as TF (python ints are int64, floats float64)
    first = vocabulary_list[0]
    vocabulary_dtype = dtypes.string if isinstance(first, (str, bytes)) else np.array(vocabulary_list).dtype
    _check_oov(num_oov_buckets, default_value, -1, key)
    _check_string_or_int(vocabulary_dtype, f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocabulary_dtype
    else:
        dtype = dtypes.as_dtype(dtype)
        if dtypes.is_integer(dtype) != dtypes.is_integer(vocabulary_dtype):
            raise ValueError(f"dtype {dtype_str(dtype)} and vocabulary dtype {dtype_str(vocabulary_dtype)} do not "
                             f"match, column_name: {key}")
    _check_string_or_int(dtype, f"column_name: {key}")
    check_key(key)
    return VocabularyListCategoricalColumn(key, tuple(vocabulary_list), dtype, default_value, num_oov_buckets)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    """An integer feature used as its own id, in ``[0, num_buckets)``; out-of-range ids become ``default_value``
    when it is given (dense inputs' ``-1`` entries are missing values)."""
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and (default_value < 0 or default_value >= num_buckets):
        raise ValueError(f"default_value {default_value} not in range [0, {num_buckets}), column_name {key}")
    check_key(key)
    return IdentityCategoricalColumn(key, num_buckets, default_value)


def indicator_column(categorical_column):
    """``categorical_column`` as a dense multi-hot float32 ``[batch, num_buckets]`` (each id's count in the row, or
    the sum of its weights for a weighted column)."""
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: {categorical_column}")
    return IndicatorColumn(categorical_column)


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=dtypes.float32):
    """``categorical_column``'s ids, each weighted by the value at the same index of feature
    ``weight_feature_key`` (a dense weight input drops its zeros); embeddings and linear models use the weights."""
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    if dtype is None or not (dtypes.is_integer(dtype) or dtypes.is_floating(dtype)):
        shown = None if dtype is None else dtype_str(dtype)
        raise ValueError(f"dtype {shown} is not convertible to float.")
    return WeightedCategoricalColumn(categorical_column, weight_feature_key, dtype)


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """The hashed cross of ``keys`` (feature names, whose values are crossed as strings or ints, and categorical
    columns other than hash buckets, whose ids are crossed): one id in ``[0, hash_bucket_size)`` per combination of
    one value of each in a row, as TF's ``sparse.cross_hashed`` (``hash_key`` seeds the hash)."""
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, (str, _CategoricalColumn)):
            raise ValueError("Unsupported key type. All keys must be either string, or categorical column except "
                             f"HashedCategoricalColumn. Given: {key}")
        if isinstance(key, HashedCategoricalColumn):
            raise ValueError("categorical_column_with_hash_bucket is not supported for crossing. Hashing before "
                             "crossing will increase probability of collision. Instead, use the feature name as a "
                             f"string. Given: {key}")
    return CrossedColumn(tuple(keys), hash_bucket_size, hash_key)


def _check_embedding(dimension, ckpt_to_load_from, tensor_name_in_ckpt):
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them.")


def embedding_column(categorical_column, dimension, combiner="mean", initializer=None, ckpt_to_load_from=None,
                     tensor_name_in_ckpt=None, max_norm=None, trainable=True, use_safe_embedding_lookup=True):
    """``categorical_column``'s ids as the ``combiner`` ("mean", "sqrtn" or "sum") of rows of a
    ``[num_buckets, dimension]`` variable ``embedding_weights`` (initialised truncated normal with stddev
    ``1/sqrt(dimension)`` unless ``initializer``; from ``tensor_name_in_ckpt`` of checkpoint ``ckpt_to_load_from``
    when given); rows without ids give zeros, ``max_norm`` clips each looked-up row's l2 norm."""
    _check_embedding(dimension, ckpt_to_load_from, tensor_name_in_ckpt)
    if initializer is not None and not callable(initializer):
        raise ValueError(f"initializer must be callable if specified. Embedding of column_name: "
                         f"{categorical_column.name}")
    if initializer is None:
        initializer = truncated_normal_initializer(mean=0.0, stddev=1 / math.sqrt(dimension))
    return EmbeddingColumn(categorical_column, dimension, combiner, initializer, ckpt_to_load_from,
                           tensor_name_in_ckpt, max_norm, trainable, use_safe_embedding_lookup)


def _base(column):
    while isinstance(column, (WeightedCategoricalColumn, _SequenceCategoricalColumn)):
        column = column.categorical_column
    return column


def shared_embedding_columns(categorical_columns, dimension, combiner="mean", initializer=None,
                             shared_embedding_collection_name=None, ckpt_to_load_from=None, tensor_name_in_ckpt=None,
                             max_norm=None, trainable=True, use_safe_embedding_lookup=True):
    """Embedding columns, one per categorical column (all of one type and bucket count), that share one
    ``embedding_weights`` variable, made in the variable scope ``shared_embedding_collection_name`` (default: the
    sorted column names joined by ``_`` plus ``_shared_embedding``)."""
    _check_embedding(dimension, ckpt_to_load_from, tensor_name_in_ckpt)
    if initializer is not None and not callable(initializer):
        raise ValueError("initializer must be callable if specified.")
    if initializer is None:
        initializer = truncated_normal_initializer(mean=0.0, stddev=1.0 / math.sqrt(dimension))
    ordered = sorted(categorical_columns, key=lambda c: c.name)
    c0 = ordered[0]
    if not isinstance(c0, _CategoricalColumn):
        raise ValueError(f"All categorical_columns must be subclasses of _CategoricalColumn. Given: {c0}, of type: "
                         f"{type(c0)}")
    num_buckets = c0.num_buckets
    c0 = _base(c0)
    for c in ordered[1:]:
        c = _base(c)
        if not isinstance(c, type(c0)):
            raise ValueError("To use shared_embedding_column, all categorical_columns must have the same type, or be "
                             "weighted_categorical_column or sequence column of the same type. Given column: "
                             f"{c0} of type: {type(c0)} does not match given column: {c} of type: {type(c)}")
        if num_buckets != c.num_buckets:
            raise ValueError("To use shared_embedding_column, all categorical_columns must have the same number of "
                             f"buckets. ven column: {c0} with buckets: {num_buckets} does  not match column: {c} "
                             f"with buckets: {c.num_buckets}")
    name = shared_embedding_collection_name or "_".join(c.name for c in ordered) + "_shared_embedding"
    return [SharedEmbeddingColumn(c, dimension, combiner, initializer, name, ckpt_to_load_from, tensor_name_in_ckpt,
                                  max_norm, trainable, use_safe_embedding_lookup) for c in categorical_columns]
