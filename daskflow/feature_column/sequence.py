"""TF1's sequence feature columns (``tf.feature_column.sequence_*``): categorical and numeric columns over
sequences, whose examples are ``[steps, ...]``. TF1 has only their constructors at ``tf.feature_column`` (the
layers that consume them are Keras' ``SequenceFeatures`` or contrib's ``sequence_input_layer``): they parse with
``make_parse_example_spec`` and are refused, with TF's messages, by ``input_layer`` (also inside
``indicator_column`` and ``embedding_column``)."""
import collections

from .. import dtypes
from ..ops.parsing import FixedLenSequenceFeature
from .columns import _FeatureColumn, _SequenceCategoricalColumn, dtype_str
from .constructors import (categorical_column_with_hash_bucket, categorical_column_with_identity,
                           categorical_column_with_vocabulary_file, categorical_column_with_vocabulary_list,
                           check_shape)


class SequenceCategoricalColumn(_SequenceCategoricalColumn, collections.namedtuple(
        "SequenceCategoricalColumn", ("categorical_column",))):
    """A categorical column over sequences: ``categorical_column``'s ids for each step."""

    name = property(lambda self: self.categorical_column.name)
    parse_example_spec = property(lambda self: self.categorical_column.parse_example_spec)
    num_buckets = property(lambda self: self.categorical_column.num_buckets)

    def __repr__(self):
        return f"SequenceCategoricalColumn(categorical_column={self.categorical_column!r})"

    def _transform_feature(self, inputs):
        return self.categorical_column._transform_feature(inputs)


class SequenceNumericColumn(_FeatureColumn, collections.namedtuple(
        "SequenceNumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn"))):
    """A real-valued feature over sequences: ``shape`` per step."""

    name = property(lambda self: self.key)
    parse_example_spec = property(lambda self: {self.key: FixedLenSequenceFeature(
        self.shape, self.dtype, allow_missing=True, default_value=self.default_value)})


def sequence_categorical_column_with_identity(key, num_buckets, default_value=None):
    """``categorical_column_with_identity`` over sequences."""
    return SequenceCategoricalColumn(categorical_column_with_identity(key, num_buckets, default_value))


def sequence_categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """``categorical_column_with_hash_bucket`` over sequences."""
    return SequenceCategoricalColumn(categorical_column_with_hash_bucket(key, hash_bucket_size, dtype))


def sequence_categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0,
                                                     default_value=None, dtype=dtypes.string):
    """``categorical_column_with_vocabulary_file`` over sequences."""
    return SequenceCategoricalColumn(categorical_column_with_vocabulary_file(
        key, vocabulary_file, vocabulary_size, num_oov_buckets, default_value, dtype))


def sequence_categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1,
                                                     num_oov_buckets=0):
    """``categorical_column_with_vocabulary_list`` over sequences."""
    return SequenceCategoricalColumn(categorical_column_with_vocabulary_list(
        key, vocabulary_list, dtype, default_value, num_oov_buckets))


def sequence_numeric_column(key, shape=(1,), default_value=0.0, dtype=dtypes.float32, normalizer_fn=None):
    """A real-valued sequence feature ``key`` of ``shape`` per step (``default_value`` pads short sequences when
    parsed)."""
    shape = check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtypes.is_integer(dtype) or dtypes.is_floating(dtype)):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype_str(dtype)}, key: {key}")
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    return SequenceNumericColumn(key, shape, default_value, dtype, normalizer_fn)
