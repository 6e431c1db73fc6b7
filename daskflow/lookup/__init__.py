"""TF1's ``tf.lookup``: hash tables whose contents live in the Session (``StaticHashTable``,
``StaticVocabularyTable``, and in ``experimental`` the mutable ``MutableHashTable`` and ``DenseHashTable``), and
the initializers that fill them (``KeyValueTensorInitializer``, ``TextFileInitializer``)."""
from . import experimental
from .tables import (KeyValueTensorInitializer, StaticHashTable, StaticVocabularyTable, TextFileIndex,
                     TextFileInitializer)

__all__ = ["KeyValueTensorInitializer", "StaticHashTable", "StaticVocabularyTable", "TextFileIndex",
           "TextFileInitializer", "experimental"]
