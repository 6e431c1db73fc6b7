"""TF1's ``tf.feature_column``: feature columns describe how the raw features of a ``features`` dict (dense
Tensors or SparseTensors, by name) become model inputs. Numeric and bucketized columns are dense; categorical
columns (identity, vocabulary list or file, hash bucket, crossed, weighted) give ids, used through
``indicator_column``, ``embedding_column``/``shared_embedding_columns`` or directly by ``linear_model``.
``input_layer`` concatenates dense columns into a network's input; ``make_parse_example_spec`` gives the
``parse_example`` configuration of their features."""
from .constructors import (bucketized_column, categorical_column_with_hash_bucket, categorical_column_with_identity,
                           categorical_column_with_vocabulary_file, categorical_column_with_vocabulary_list,
                           crossed_column, embedding_column, indicator_column, numeric_column,
                           shared_embedding_columns, weighted_categorical_column)
from .layers import input_layer, linear_model, make_parse_example_spec
from .sequence import (sequence_categorical_column_with_hash_bucket, sequence_categorical_column_with_identity,
                       sequence_categorical_column_with_vocabulary_file,
                       sequence_categorical_column_with_vocabulary_list, sequence_numeric_column)

__all__ = ["bucketized_column", "categorical_column_with_hash_bucket", "categorical_column_with_identity",
           "categorical_column_with_vocabulary_file", "categorical_column_with_vocabulary_list", "crossed_column",
           "embedding_column", "indicator_column", "input_layer", "linear_model", "make_parse_example_spec",
           "numeric_column", "sequence_categorical_column_with_hash_bucket",
           "sequence_categorical_column_with_identity", "sequence_categorical_column_with_vocabulary_file",
           "sequence_categorical_column_with_vocabulary_list", "sequence_numeric_column", "shared_embedding_columns",
           "weighted_categorical_column"]
