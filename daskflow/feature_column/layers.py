"""What consumes feature columns (TF1's ``tf.feature_column``): ``input_layer`` (the dense input of a network),
``linear_model`` (a linear model's predictions, one weight variable per column) and ``make_parse_example_spec``
(the ``parse_example`` configuration of their raw features)."""
import collections.abc

import numpy as np

import daskflow as df

from .. import dtypes
from .columns import (GLOBAL_VARIABLES, _CategoricalColumn, _DenseColumn, _FeatureColumn,
                      lookup_sparse)

MODEL_VARIABLES = "model_variables"


class _LazyBuilder:
    """The features of one ``input_layer``/``linear_model`` call, transformed on demand: ``get(key)`` gives a raw
    feature by name (as a Tensor or SparseTensor of rank >= 2: a vector becomes one column) or a column's
    transformation, each built once."""

    def __init__(self, features):
        self._features = dict(features)
        self._cache = {}

    def get(self, key):
        if key in self._cache:
            return self._cache[key]
        if isinstance(key, str) and key in self._features:
            out = self._raw(key)
        elif isinstance(key, str):
            raise ValueError(f"Feature {key} is not in features dictionary.")
        elif not isinstance(key, _FeatureColumn):
            raise TypeError(f'"key" must be either a "str" or "_FeatureColumn". Provided: {key}')
        else:
            out = key._transform_feature(self)
            if out is None:
                raise ValueError(f"Column {key.name} is not supported.")
        self._cache[key] = out
        return out

    def _raw(self, key):
        t = df.convert_to_tensor_or_sparse_tensor(self._features[key])
        rank = t.shape.ndims
        if rank == 0:
            raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {t}")
        if isinstance(t, df.SparseTensor):
            return df.sparse.reshape(t, df.stack([t.dense_shape[0], np.int64(1)])) if rank == 1 else t
        if rank == 1:
            return df.expand_dims(t, -1)
        if rank is None:  # a vector becomes [n, 1]; higher ranks stay
            shape = df.shape(t)
            pad = df.ones(df.maximum(2 - df.rank(t), 0), dtypes.int32)
            return df.reshape(t, df.concat([shape, pad], 0))
        return t


def _normalize(feature_columns):
    if isinstance(feature_columns, _FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, collections.abc.Iterator):
        feature_columns = list(feature_columns)
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(f"Items of feature_columns must be a _FeatureColumn. Given (type {type(column)}): "
                             f"{column}.")
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    seen = {}
    for column in feature_columns:
        if column.name in seen:
            raise ValueError(f"Duplicate feature column name found for columns: {column} and {seen[column.name]}. "
                             "This usually means that these columns refer to same base feature. Either one must be "
                             "discarded or a duplicated but renamed item must be inserted in features dict.")
        seen[column.name] = column
    return list(feature_columns)


def _check_batch(tensors, columns):
    first = None
    for i, t in enumerate(tensors):
        size = t.shape[0] if t.shape.ndims else None
        if size is None:
            continue
        if first is None:
            first, index = size, i
        elif size != first:
            raise ValueError("Batch size (first dimension) of each feature must be same. Batch size of columns "
                             f"({columns[index].name}, {columns[i].name}): ({first}, {size})")


def _weight_collections(weight_collections):
    out = list(weight_collections or [])
    for name in (GLOBAL_VARIABLES, MODEL_VARIABLES):
        if name not in out:
            out.append(name)
    return out


def _flatten(tensor, column):
    batch = df.shape(tensor)[0]
    return df.reshape(tensor, df.stack([batch, column._variable_shape.num_elements()]))


def input_layer(features, feature_columns, weight_collections=None, trainable=True, cols_to_vars=None,
                cols_to_output_tensors=None):
    """The dense float32 input ``[batch, sum of the columns' sizes]`` of a network: each dense column's tensor
    flattened to ``[batch, n]``, the columns in the order of their names, concatenated (TF1's
    ``feature_column.input_layer``). Variables (embeddings) are made under ``input_layer/<column name>/`` in
    ``weight_collections`` plus the global and model variables; ``cols_to_vars`` and ``cols_to_output_tensors``,
    when given, are filled with each column's variables and flattened output.

    Parameters
    ----------
    features : dict
        Feature name -> Tensor or SparseTensor (rank >= 1; a vector is one value per example).
    feature_columns : iterable of dense columns (numeric, bucketized, indicator, embedding columns).

    Examples
    --------
    >>> import daskflow as df
    >>> fc = df.feature_column
    >>> cols = [fc.numeric_column("x"), fc.indicator_column(fc.categorical_column_with_identity("id", 3))]
    >>> out = fc.input_layer({"x": df.constant([1.5, 2.0]), "id": df.constant([[2], [0]])}, cols)
    >>> with df.Session() as s:
    ...     s.run(out)
    array([[0. , 0. , 1. , 1.5],
           [1. , 0. , 0. , 2. ]], dtype=float32)
    """
    columns = _normalize(feature_columns)
    for column in columns:
        if not isinstance(column, _DenseColumn):
            raise ValueError("Items of feature_columns must be a _DenseColumn. You can wrap a categorical column with "
                             f"an embedding_column or indicator_column. Given: {column}")
    collections_ = _weight_collections(weight_collections)
    with df.variable_scope(None, default_name="input_layer", values=list(features.values())):
        builder = _LazyBuilder(features)
        outputs, ordered = [], sorted(columns, key=lambda c: c.name)
        for column in ordered:
            with df.variable_scope(None, default_name=column._var_scope_name):
                tensor = column._get_dense_tensor(builder, weight_collections=collections_, trainable=trainable)
                out = _flatten(tensor, column)
                outputs.append(out)
                if cols_to_vars is not None:
                    cols_to_vars[column] = df.get_collection(GLOBAL_VARIABLES,
                                                             scope=df.get_variable_scope().name)
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[column] = out
        _check_batch(outputs, ordered)
        return df.concat(outputs, 1)


def _weighted_sum(column, builder, weight, sparse_combiner, collections_, trainable):
    if isinstance(column, _CategoricalColumn):
        ids, weights = column._get_sparse_tensors(builder, weight_collections=collections_, trainable=trainable)
        if ids.dense_shape.shape[0] != 2:  # one row of ids per example (already so for rank 2)
            ids = df.sparse.reshape(ids, df.stack([ids.dense_shape[0], np.int64(-1)]))
            if weights is not None:
                weights = df.sparse.reshape(weights, df.stack([weights.dense_shape[0], np.int64(-1)]))
        return lookup_sparse(weight, ids, weights, sparse_combiner, name="weighted_sum")
    tensor = column._get_dense_tensor(builder, weight_collections=collections_, trainable=trainable)
    return df.matmul(_flatten(tensor, column), weight, name="weighted_sum")


def linear_model(features, feature_columns, units=1, sparse_combiner="sum", weight_collections=None, trainable=True,
                 cols_to_vars=None):
    """The predictions ``[batch, units]`` (float32) of a linear model: the sum over the columns of their inputs
    times a weight variable ``linear_model/<column name>/weights`` (zeros at first), plus
    ``linear_model/bias_weights`` (TF1's ``feature_column.linear_model``). A dense column contributes
    ``matmul(flattened input, weights [n, units])``; a categorical column the rows of ``weights [num_buckets,
    units]`` of its ids, combined per example by ``sparse_combiner`` ("sum", "mean" or "sqrtn"; weighted for a
    weighted column). ``cols_to_vars``, when given, maps each column to its variables and ``"bias"`` to the bias.

    Examples
    --------
    >>> import daskflow as df
    >>> fc = df.feature_column
    >>> out = fc.linear_model({"id": df.constant([[0, 2], [1, -1]])}, [fc.categorical_column_with_identity("id", 3)])
    >>> with df.Session() as s:
    ...     s.run(df.global_variables_initializer())
    ...     s.run(out)
    array([[0.],
           [0.]], dtype=float32)
    """
    with df.variable_scope(None, default_name="linear_model") as vs:
        model_name = vs.name.rsplit("/", 1)[-1]
    columns = _normalize(feature_columns)
    names = {}
    for column in sorted(columns, key=lambda c: c.name):  # layer names are made unique in the enclosing scope
        with df.variable_scope(None, default_name=column._var_scope_name) as vs:
            names[column] = vs.name.rsplit("/", 1)[-1]
    collections_ = _weight_collections(weight_collections)
    with df.variable_scope(model_name, values=list(features.values())):
        for column in columns:
            if not isinstance(column, (_DenseColumn, _CategoricalColumn)):
                raise ValueError("Items of feature_columns must be either a _DenseColumn or _CategoricalColumn. "
                                 f"Given: {column}")
        builder = _LazyBuilder(features)
        sums, ordered, out_vars = [], sorted(columns, key=lambda c: names[c]), {}
        for column in ordered:
            with df.variable_scope(names[column]) as vs:
                rows = column.num_buckets if isinstance(column, _CategoricalColumn) \
                    else column._variable_shape.num_elements()
                weight = df.get_variable("weights", shape=[rows, units], initializer=df.zeros_initializer(),
                                         trainable=trainable, collections=collections_)
                sums.append(_weighted_sum(column, builder, weight, sparse_combiner, collections_, trainable))
                out_vars[column] = df.get_collection(GLOBAL_VARIABLES, scope=vs.name)
        _check_batch(sums, ordered)
        no_bias = df.add_n(sums, name="weighted_sum_no_bias")
        bias = df.get_variable("bias_weights", shape=[units], initializer=df.zeros_initializer(),
                               trainable=trainable, collections=collections_)
        out_vars["bias"] = [bias]
        out = df.nn.bias_add(no_bias, bias, name="weighted_sum")
    if cols_to_vars is not None:
        cols_to_vars.update(out_vars)
    return out


def make_parse_example_spec(feature_columns):
    """The ``parse_example`` features dict of the raw features ``feature_columns`` read: feature name ->
    ``FixedLenFeature`` (numeric columns) or ``VarLenFeature`` (categorical columns and weights)."""
    result = {}
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(f"All feature_columns must be _FeatureColumn instances. Given: {column}")
        for key, value in column.parse_example_spec.items():
            if key in result and value != result[key]:
                raise ValueError(f"feature_columns contain different parse_spec for key {key}. Given {value} and "
                                 f"{result[key]}")
        result.update(column.parse_example_spec)
    return result
