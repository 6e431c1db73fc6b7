"""The feature column types of TF1's ``tf.feature_column``: immutable namedtuples that say how one feature (or a
combination of features) of a ``features`` dict becomes a dense tensor (``_DenseColumn``: ``_get_dense_tensor``) or a
SparseTensor of ids with optional weights (``_CategoricalColumn``: ``_get_sparse_tensors``). They are built by the
constructors in ``constructors.py`` and consumed by ``input_layer`` and ``linear_model`` (``layers.py``) through a
``_LazyBuilder``, which transforms each column once per call.

Missing values follow TF: in a dense categorical input, ``-1`` (integers) and ``""`` (strings) are absent entries."""
import collections

import numpy as np

import daskflow as df

from .. import dtypes
from ..ops.hashing import string_to_hash_bucket_fast
from ..ops.parsing import FixedLenFeature, VarLenFeature
from ..sparse.tensor import nonzero_indices

GLOBAL_VARIABLES = "variables"


def dtype_repr(dt):
    """TF's spelling of a dtype in a column's repr: ``tf.float32``, ``tf.string``."""
    return f"tf.{dtypes.name(dt)}"


def dtype_str(dt):
    """TF's spelling of a dtype in messages: ``<dtype: 'float32'>``."""
    return f"<dtype: '{dtypes.name(dt)}'>"


class _FeatureColumn:
    """A feature column: ``name`` (unique in a model, the variable scope of its variables), ``parse_example_spec``
    (the ``parse_example`` configuration of the raw features it reads) and ``_transform_feature(builder)``."""

    @property
    def _var_scope_name(self):
        return self.name

    @property
    def _parse_example_spec(self):
        return self.parse_example_spec

    def __repr__(self):
        fields = ", ".join(f"{k}={dtype_repr(v) if k == 'dtype' else repr(v)}" for k, v in zip(self._fields, self))
        return f"{type(self).__name__}({fields})"

    def __lt__(self, other):  # TF orders columns by their repr, so sorted() of mixed columns is deterministic
        return str(self) < str(other)

    def __gt__(self, other):
        return str(self) > str(other)


class _DenseColumn(_FeatureColumn):
    """A column giving a dense float32 tensor ``[batch] + variable_shape``."""

    @property
    def _variable_shape(self):
        return df.TensorShape(self.variable_shape)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return inputs.get(self)


IdWeightPair = collections.namedtuple("IdWeightPair", ["id_tensor", "weight_tensor"])


class _CategoricalColumn(_FeatureColumn):
    """A column giving a SparseTensor of int64 ids in ``[0, num_buckets)`` (and maybe one of weights)."""

    IdWeightPair = IdWeightPair

    @property
    def _num_buckets(self):
        return self.num_buckets

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return IdWeightPair(inputs.get(self), None)


class _SequenceCategoricalColumn(_CategoricalColumn):
    """A categorical column over sequences (rank-3 ids ``[batch, steps, ...]``); not accepted by ``input_layer``."""


def to_sparse_input(input_tensor, ignore_value=None):
    """``input_tensor`` as a SparseTensor: a SparseTensor as is; a dense tensor without its entries equal to
    ``ignore_value`` (default ``""`` for strings, ``-1`` for integers, 0 otherwise)."""
    t = df.convert_to_tensor_or_sparse_tensor(input_tensor)
    if isinstance(t, df.SparseTensor):
        return t
    with df.name_scope(None, "to_sparse_input"):
        if ignore_value is None:
            ignore_value = b"" if dtypes.is_string(t.dtype) else -1 if dtypes.is_integer(t.dtype) else 0
        ignore = df.constant(ignore_value, dtype=t.dtype, name="ignore_value")
        indices = nonzero_indices(df.not_equal(t, ignore))
        return df.SparseTensor(indices, df.gather_nd(t, indices, name="values"),
                               df.shape(t, out_type=dtypes.int64, name="dense_shape"))


def _check_string_or_int(dt, prefix):
    if not dtypes.is_string(dt) and not dtypes.is_integer(dt):
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype_str(dt)}.")


def _check_compatible(column, t):
    if dtypes.is_integer(column.dtype) != dtypes.is_integer(t.dtype):
        raise ValueError(f"Column dtype and SparseTensors dtype must be compatible. key: {column.key}, column "
                         f"dtype: {dtype_str(column.dtype)}, tensor dtype: {dtype_str(t.dtype)}")
    _check_string_or_int(t.dtype, f"column_name: {column.key} input_tensor")


def bucketize(x, boundaries):
    """The bucket of each entry of ``x``: how many of the sorted ``boundaries`` are <= it (int32)."""
    x = df.convert_to_tensor(x)
    ftype = x.dtype if dtypes.is_floating(x.dtype) else dtypes.float64
    # boundaries are float32 in TF's Bucketize attr, compared at the input's precision
    edges = df.constant(np.asarray(boundaries, np.float32).astype(ftype))
    hits = df.greater_equal(df.expand_dims(df.cast(x, ftype), -1), edges)
    return df.reduce_sum(df.cast(hits, dtypes.int32), -1, name="Bucketize")


class NumericColumn(_DenseColumn, collections.namedtuple(
        "NumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn"))):
    """Real-valued feature ``key`` of per-example shape ``shape``, normalised by ``normalizer_fn`` then cast to
    float32."""

    name = property(lambda self: self.key)
    parse_example_spec = property(lambda self: {self.key: FixedLenFeature(self.shape, self.dtype,
                                                                          self.default_value)})
    variable_shape = property(lambda self: df.TensorShape(self.shape))

    def _transform_feature(self, inputs):
        t = inputs.get(self.key)
        if isinstance(t, df.SparseTensor):
            raise ValueError("The corresponding Tensor of numerical column must be a Tensor. SparseTensor is not "
                             f"supported. key: {self.key}")
        if self.normalizer_fn is not None:
            t = self.normalizer_fn(t)
        return df.cast(t, dtypes.float32)


class BucketizedColumn(_DenseColumn, _CategoricalColumn, collections.namedtuple(
        "BucketizedColumn", ("source_column", "boundaries"))):
    """The buckets of a numeric column: a one-hot ``[batch, dims, len(boundaries) + 1]`` as a dense column, the ids
    ``bucket + dim * (len(boundaries) + 1)`` as a categorical one."""

    name = property(lambda self: f"{self.source_column.name}_bucketized")
    parse_example_spec = property(lambda self: self.source_column.parse_example_spec)
    variable_shape = property(lambda self: df.TensorShape(tuple(self.source_column.shape)
                                                          + (len(self.boundaries) + 1,)))
    num_buckets = property(lambda self: (len(self.boundaries) + 1) * self.source_column.shape[0])

    def __repr__(self):
        return f"BucketizedColumn(source_column={self.source_column!r}, boundaries={self.boundaries!r})"

    def _transform_feature(self, inputs):
        return bucketize(inputs.get(self.source_column), self.boundaries)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return df.one_hot(df.cast(inputs.get(self), dtypes.int64), len(self.boundaries) + 1, on_value=1.0,
                          off_value=0.0)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        t = inputs.get(self)
        dims = self.source_column.shape[0]
        batch = df.shape(t)[0]
        rows = df.reshape(df.tile(df.expand_dims(df.range(0, batch), 1), [1, dims]), (-1,))
        cols = df.tile(df.range(0, dims), df.stack([batch]))
        ids = df.reshape(t, (-1,)) + (len(self.boundaries) + 1) * cols
        indices = df.cast(df.transpose(df.stack([rows, cols])), dtypes.int64)
        shape = df.cast(df.stack([batch, dims]), dtypes.int64)
        return IdWeightPair(df.SparseTensor(indices, df.cast(ids, dtypes.int64), shape), None)


class HashedCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "HashedCategoricalColumn", ("key", "hash_bucket_size", "dtype"))):
    """Ids ``Fingerprint64(value) % hash_bucket_size`` of a string feature (integers hashed as their decimal
    text)."""

    name = property(lambda self: self.key)
    parse_example_spec = property(lambda self: {self.key: VarLenFeature(self.dtype)})
    num_buckets = property(lambda self: self.hash_bucket_size)

    def _transform_feature(self, inputs):
        t = to_sparse_input(inputs.get(self.key))
        _check_string_or_int(t.dtype, f"column_name: {self.key} input_tensor")
        _check_compatible(self, t)
        values = t.values if dtypes.is_string(self.dtype) else df.as_string(t.values)
        ids = string_to_hash_bucket_fast(values, self.hash_bucket_size, name="lookup")
        return df.SparseTensor(t.indices, ids, t.dense_shape)


def _vocabulary_table(keys, key_dtype, num_oov_buckets, default_value, name, vocab_size=None):
    """TF's ``index_table_from_tensor``/``_from_file``: each key's position in the vocabulary, an out-of-vocabulary
    bucket when ``num_oov_buckets`` > 0, else ``default_value``."""
    with df.init_scope():
        if isinstance(keys, str):
            init = df.lookup.TextFileInitializer(keys, key_dtype, df.lookup.TextFileIndex.WHOLE_LINE, dtypes.int64,
                                                 df.lookup.TextFileIndex.LINE_NUMBER, vocab_size=vocab_size,
                                                 name=f"{name}/text_file_init")
        else:
            values = np.asarray(keys, dtype=object if dtypes.is_string(key_dtype) else key_dtype)
            init = df.lookup.KeyValueTensorInitializer(values, np.arange(len(keys), dtype=np.int64),
                                                       key_dtype=key_dtype, value_dtype=dtypes.int64)
        if num_oov_buckets:
            return df.lookup.StaticVocabularyTable(init, num_oov_buckets, name=name)
        return df.lookup.StaticHashTable(init, np.int64(default_value), name=name)


class _VocabularyColumn(_CategoricalColumn):
    name = property(lambda self: self.key)
    parse_example_spec = property(lambda self: {self.key: VarLenFeature(self.dtype)})

    def _transform_feature(self, inputs):
        t = to_sparse_input(inputs.get(self.key))
        _check_compatible(self, t)
        key_dtype = self.dtype
        if dtypes.is_integer(t.dtype):
            key_dtype = dtypes.int64
            t = df.SparseTensor(t.indices, df.cast(t.values, dtypes.int64), t.dense_shape)
        return self._table(key_dtype).lookup(t)


class VocabularyListCategoricalColumn(_VocabularyColumn, collections.namedtuple(
        "VocabularyListCategoricalColumn", ("key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"))):
    """Ids of a string or integer feature by position in ``vocabulary_list``; other values get one of
    ``num_oov_buckets`` hash buckets after the vocabulary, or ``default_value``."""

    num_buckets = property(lambda self: len(self.vocabulary_list) + self.num_oov_buckets)

    def _table(self, key_dtype):
        return _vocabulary_table(self.vocabulary_list, key_dtype, self.num_oov_buckets, self.default_value,
                                 f"{self.key}_lookup")


class VocabularyFileCategoricalColumn(_VocabularyColumn, collections.namedtuple(
        "VocabularyFileCategoricalColumn", ("key", "vocabulary_file", "vocabulary_size", "num_oov_buckets", "dtype",
                                            "default_value", "file_format"))):
    """Ids of a string or integer feature by line number in ``vocabulary_file`` (its first ``vocabulary_size``
    lines); other values get one of ``num_oov_buckets`` hash buckets after the vocabulary, or ``default_value``."""

    num_buckets = property(lambda self: self.vocabulary_size + self.num_oov_buckets)

    def _table(self, key_dtype):
        return _vocabulary_table(self.vocabulary_file, key_dtype, self.num_oov_buckets, self.default_value,
                                 f"{self.key}_lookup", self.vocabulary_size)


class IdentityCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "IdentityCategoricalColumn", ("key", "number_buckets", "default_value"))):
    """An integer feature used as its own id in ``[0, num_buckets)``; ids outside it become ``default_value``
    when one is given."""

    name = property(lambda self: self.key)
    parse_example_spec = property(lambda self: {self.key: VarLenFeature(dtypes.int64)})
    num_buckets = property(lambda self: self.number_buckets)

    def _transform_feature(self, inputs):
        t = to_sparse_input(inputs.get(self.key))
        if not dtypes.is_integer(t.dtype):
            raise ValueError(f"Invalid input, not integer. key: {self.key} dtype: {dtype_str(t.dtype)}")
        values = df.cast(t.values, dtypes.int64, name="values")
        if self.default_value is not None:
            out = df.logical_or(values < np.int64(0), values >= np.int64(self.num_buckets), name="out_of_range")
            values = df.where(out, df.fill(df.shape(values), np.int64(self.default_value), name="default_values"),
                              values)
        return df.SparseTensor(t.indices, values, t.dense_shape)


class WeightedCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "WeightedCategoricalColumn", ("categorical_column", "weight_feature_key", "dtype"))):
    """``categorical_column``'s ids with the weights of feature ``weight_feature_key`` (same indices; in a dense
    weight input, 0 is an absent entry)."""

    name = property(lambda self: f"{self.categorical_column.name}_weighted_by_{self.weight_feature_key}")
    num_buckets = property(lambda self: self.categorical_column.num_buckets)

    @property
    def parse_example_spec(self):
        config = dict(self.categorical_column.parse_example_spec)
        if self.weight_feature_key in config:
            raise ValueError(f"Parse config {config[self.weight_feature_key]} already exists for "
                             f"{self.weight_feature_key}.")
        config[self.weight_feature_key] = VarLenFeature(self.dtype)
        return config

    def __repr__(self):
        return (f"WeightedCategoricalColumn(categorical_column={self.categorical_column!r}, weight_feature_key="
                f"{self.weight_feature_key!r}, dtype={dtype_repr(self.dtype)})")

    def _transform_feature(self, inputs):
        weights = df.convert_to_tensor_or_sparse_tensor(inputs.get(self.weight_feature_key))
        if weights.dtype != self.dtype:
            raise ValueError(f"Bad dtype, expected {dtype_str(self.dtype)}, but got {dtype_str(weights.dtype)}.")
        if not isinstance(weights, df.SparseTensor):
            weights = to_sparse_input(weights, ignore_value=0)
        if not dtypes.is_floating(weights.dtype):
            weights = df.SparseTensor(weights.indices, df.cast(weights.values, dtypes.float32), weights.dense_shape)
        return inputs.get(self.categorical_column), weights

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return IdWeightPair(*inputs.get(self))


def leaf_keys(cross):
    out = []
    for k in cross.keys:
        out.extend(leaf_keys(k) if isinstance(k, CrossedColumn) else [k])
    return out


class CrossedColumn(_CategoricalColumn, collections.namedtuple(
        "CrossedColumn", ("keys", "hash_bucket_size", "hash_key"))):
    """The hashed cross of features and categorical columns: one id per combination of their values in a row,
    ``FingerprintCat64`` of the values' fingerprints modulo ``hash_bucket_size`` (TF's ``sparse.cross_hashed``)."""

    num_buckets = property(lambda self: self.hash_bucket_size)

    @property
    def name(self):
        return "_X_".join(sorted(k.name if isinstance(k, _FeatureColumn) else k for k in leaf_keys(self)))

    @property
    def parse_example_spec(self):
        config = {}
        for key in self.keys:
            config.update(key.parse_example_spec if isinstance(key, _FeatureColumn)
                          else {key: VarLenFeature(dtypes.string)})
        return config

    def __repr__(self):
        return f"CrossedColumn(keys={self.keys!r}, hash_bucket_size={self.hash_bucket_size!r}, " \
               f"hash_key={self.hash_key!r})"

    def _transform_feature(self, inputs):
        tensors = []
        for key in leaf_keys(self):
            if isinstance(key, str):
                tensors.append(inputs.get(key))
                continue
            pair = key._get_sparse_tensors(inputs)
            if pair.weight_tensor is not None:
                raise ValueError("crossed_column does not support weight_tensor, but the given column populates "
                                 f"weight_tensor. Given column: {key.name}")
            tensors.append(pair.id_tensor)
        return df.sparse.cross_hashed(tensors, num_buckets=self.hash_bucket_size, hash_key=self.hash_key)


def _sequence_error(column, kind):
    return ValueError(f"In {kind}: {column.name}. categorical_column must not be of type _SequenceCategoricalColumn. "
                      "Suggested fix A: If you wish to use DenseFeatures, use a non-sequence "
                      "categorical_column_with_*. Suggested fix B: If you wish to create sequence input, use "
                      f"SequenceFeatures instead of DenseFeatures. Given (type {type(column.categorical_column)}): "
                      f"{column.categorical_column}")


def multi_hot(ids, weights, size):
    """The float32 ``dense_shape[:-1] + [size]`` sums, per index but the last, of the one-hot rows of the ids
    (times their weights); ids outside ``[0, size)`` add nothing, as rows of TF's ``one_hot`` of them are zeros.
    Written with ops that accept entries counted only when run (crossed ids): one_hot, transposes, a segment
    sum."""
    hot = df.one_hot(ids.values, size, on_value=1.0, off_value=0.0)
    if weights is not None:
        hot = df.transpose(df.transpose(hot) * df.cast(weights.values, dtypes.float32))
    lead = ids.dense_shape[:-1]
    strides = df.math.cumprod(lead, exclusive=True, reverse=True)
    rows = df.reduce_sum(ids.indices[:, :-1] * strides, 1)
    total = df.math.unsorted_segment_sum(hot, rows, df.reduce_prod(lead))
    return df.reshape(total, df.concat([lead, np.array([size], np.int64)], 0))


class IndicatorColumn(_DenseColumn, collections.namedtuple("IndicatorColumn", ("categorical_column",))):
    """A categorical column as a multi-hot float32 ``[batch, num_buckets]``: each id's count in its row (or the sum
    of its weights, for a weighted column)."""

    name = property(lambda self: f"{self.categorical_column.name}_indicator")
    parse_example_spec = property(lambda self: self.categorical_column.parse_example_spec)
    variable_shape = property(lambda self: df.TensorShape([1, self.categorical_column.num_buckets]))

    def __repr__(self):
        return f"IndicatorColumn(categorical_column={self.categorical_column!r})"

    def _transform_feature(self, inputs):
        ids, weights = self.categorical_column._get_sparse_tensors(inputs)
        size = self.categorical_column.num_buckets
        return multi_hot(ids, weights, size)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        if isinstance(self.categorical_column, _SequenceCategoricalColumn):
            raise _sequence_error(self, "indicator_column")
        return inputs.get(self)


def combine_rows(table, ids, weights, combiner, max_norm=None, name=None):
    """``safe_embedding_lookup_sparse`` for ids of rank 2 (one row of ids per example) as one gather and one segment
    sum: example ``r`` combines ``table[id]`` over its entries with id >= 0 (and, unless ``combiner`` is "sum",
    weight > 0), weighted; "mean" divides by the sum of the weights, "sqrtn" by the root of the sum of their
    squares; an example without entries gives zeros. ``max_norm`` clips each looked-up row's l2 norm."""
    with df.name_scope(name, "embedding_lookup"):
        values = ids.values
        keep = df.greater_equal(values, np.int64(0))
        w = df.ones_like(values, dtype=dtypes.float32) if weights is None else df.cast(weights.values, table.dtype)
        if weights is not None and combiner != "sum":
            keep = df.logical_and(keep, df.greater(w, 0.0))
        w = df.where(keep, w, df.zeros_like(w))
        rows = df.gather(table, df.maximum(values, np.int64(0)))
        if max_norm is not None:
            sq = df.reduce_sum(df.square(rows), 1, keepdims=True)
            rows = rows * (max_norm * df.rsqrt(df.maximum(sq, max_norm ** 2)))
        examples = ids.indices[:, 0]
        batch = ids.dense_shape[0]
        total = df.math.unsorted_segment_sum(rows * df.expand_dims(w, 1), examples, batch)
        if combiner == "sum":
            return total
        scale = w if combiner == "mean" else df.square(w)
        norm = df.math.unsorted_segment_sum(scale, examples, batch)
        norm = norm if combiner == "mean" else df.sqrt(norm)
        return df.math.divide_no_nan(total, df.expand_dims(norm, 1))


def lookup_sparse(table, ids, weights, combiner, max_norm=None, name=None, safe=True):
    """The combined rows of ``table`` for a column's ids (``combine_rows`` when the ids have rank 2, else TF's
    ``safe_embedding_lookup_sparse``, or ``embedding_lookup_sparse`` when not ``safe``)."""
    rank = ids.dense_shape.shape[0] if ids.dense_shape.shape.ndims else None
    if not safe and rank is not None and rank <= 2:
        return df.nn.embedding_lookup_sparse(table, ids, weights, combiner=combiner, name=name, max_norm=max_norm)
    if rank == 2 and not isinstance(table, (list, tuple)) and not hasattr(table, "_get_variable_list"):
        return combine_rows(table, ids, weights, combiner, max_norm, name)
    return df.nn.safe_embedding_lookup_sparse(table, ids, weights, combiner=combiner, name=name, max_norm=max_norm)


def _lookup(column, ids, weights, table):
    if column.ckpt_to_load_from is not None:
        parts = table._get_variable_list() if hasattr(table, "_get_variable_list") else table
        df.train.init_from_checkpoint(column.ckpt_to_load_from, {column.tensor_name_in_ckpt: parts})
    return lookup_sparse(table, ids, weights, column.combiner, column.max_norm, f"{column.name}_weights",
                         column.use_safe_embedding_lookup)


def _collections(weight_collections):
    out = list(weight_collections or [])
    if out and GLOBAL_VARIABLES not in out:
        out.append(GLOBAL_VARIABLES)
    return out or None


class EmbeddingColumn(_DenseColumn, collections.namedtuple(
        "EmbeddingColumn", ("categorical_column", "dimension", "combiner", "initializer", "ckpt_to_load_from",
                            "tensor_name_in_ckpt", "max_norm", "trainable", "use_safe_embedding_lookup"))):
    """A categorical column's ids as the ``combiner`` (mean, sqrtn, sum) of rows of a trainable
    ``[num_buckets, dimension]`` table ``embedding_weights``, weighted for a weighted column."""

    name = property(lambda self: f"{self.categorical_column.name}_embedding")
    parse_example_spec = property(lambda self: self.categorical_column.parse_example_spec)
    variable_shape = property(lambda self: df.TensorShape([self.dimension]))

    def _transform_feature(self, inputs):
        return inputs.get(self.categorical_column)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        if isinstance(self.categorical_column, _SequenceCategoricalColumn):
            raise _sequence_error(self, "embedding_column")
        ids, weights = self.categorical_column._get_sparse_tensors(inputs, weight_collections, trainable)
        table = df.get_variable("embedding_weights", shape=(self.categorical_column.num_buckets, self.dimension),
                                dtype=dtypes.float32, initializer=self.initializer,
                                trainable=self.trainable and trainable is not False,
                                collections=_collections(weight_collections))
        return _lookup(self, ids, weights, table)


class SharedEmbeddingColumn(_DenseColumn, collections.namedtuple(
        "_SharedEmbeddingColumn", ("categorical_column", "dimension", "combiner", "initializer",
                                   "shared_embedding_collection_name", "ckpt_to_load_from", "tensor_name_in_ckpt",
                                   "max_norm", "trainable", "use_safe_embedding_lookup"))):
    """An embedding column whose table is shared with the other columns of one ``shared_embedding_columns`` call:
    the first one built makes it (in the variable scope ``shared_embedding_collection_name``) and puts it in the
    graph collection of that name, where the others find it."""

    name = property(lambda self: f"{self.categorical_column.name}_shared_embedding")
    parse_example_spec = property(lambda self: self.categorical_column.parse_example_spec)
    variable_shape = property(lambda self: df.TensorShape([self.dimension]))
    _var_scope_name = property(lambda self: self.shared_embedding_collection_name)

    def __repr__(self):
        return "_" + super().__repr__()

    def _transform_feature(self, inputs):
        return inputs.get(self.categorical_column)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        if isinstance(self.categorical_column, _SequenceCategoricalColumn):
            raise _sequence_error(self, "embedding_column")
        with df.name_scope(None, self.name):
            ids, weights = self.categorical_column._get_sparse_tensors(inputs, weight_collections, trainable)
            shape = (self.categorical_column.num_buckets, self.dimension)
            shared = df.get_collection(self.shared_embedding_collection_name)
            if shared:
                table = self._check_shared(shared, shape)
            else:
                table = df.get_variable("embedding_weights", shape=shape, dtype=dtypes.float32,
                                        initializer=self.initializer,
                                        trainable=self.trainable and trainable is not False,
                                        collections=_collections(weight_collections))
                df.add_to_collection(self.shared_embedding_collection_name, table)
            return _lookup(self, ids, weights, table)

    def _check_shared(self, shared, shape):
        fix = ("Suggested fix A: Choose a unique name for this collection. Suggested fix B: Do not add any "
               "variables to this collection. The feature_column library already adds a variable under the hood.")
        if len(shared) > 1:
            raise ValueError(f"Collection {shared} can only contain one variable. {fix}")
        if tuple(shared[0].shape.as_list()) != shape:
            raise ValueError(f"Shared embedding collection {self.shared_embedding_collection_name} contains variable "
                             f"{shared[0].name} of unexpected shape {shared[0].shape}. Expected shape is {shape}. "
                             f"{fix}")
        return shared[0]
