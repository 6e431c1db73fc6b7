"""Lookup tables (TF1's ``tf.lookup``): immutable tables filled by an initializer (``StaticHashTable``,
``StaticVocabularyTable``) and mutable ones (``experimental.MutableHashTable``, ``experimental.DenseHashTable``).

A table's contents live in the Session, as variables' values do: two hidden variables (in no collection, so
savers and ``global_variables_initializer`` leave them alone) hold its keys, sorted, and their values. An
initializer assigns them (``tables_initializer()`` runs every table's); ``lookup`` searches them block by block,
for dense tensors, SparseTensors (their values) and string keys."""
import numpy as np

from .. import dtypes
from ..graph import TensorShape, control_dependencies, get_default_graph, name_scope
from ..ops.registry import apply, convert_to_tensor
from ..ops.state import Variable, assign, group
from . import ops as _ops

TABLE_INITIALIZERS = "table_initializer"


class TextFileIndex:
    """Special column indices of ``TextFileInitializer``: the whole line, or the line number."""
    WHOLE_LINE = _ops.WHOLE_LINE
    LINE_NUMBER = _ops.LINE_NUMBER


class _Table:
    """Keys and values held in the Session; subclasses say how they are filled."""

    _check_modes = {"lookup": "lookup", "size": "empty", "export": "export", "write": "empty"}

    def __init__(self, key_dtype, value_dtype, value_shape, name, keys=None, values=None):
        self._key_dtype, self._value_dtype = dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype)
        with name_scope(name) as scope:
            self._name = scope[:-1]
            with control_dependencies(None):
                if keys is None:
                    keys = convert_to_tensor(_ops._empty(self._key_dtype, (0,)), dtype=self._key_dtype)
                    values = convert_to_tensor(_ops._empty(self._value_dtype, (0,) + tuple(value_shape)),
                                               dtype=self._value_dtype)
                shape_k, shape_v = TensorShape([None]), TensorShape([None] + list(value_shape))
                self._keys = Variable(keys, trainable=False, collections=[], validate_shape=False, name="keys",
                                      shape=shape_k)
                self._values = Variable(values, trainable=False, collections=[], validate_shape=False,
                                        name="values", shape=shape_v)
        self._checks = {}

    name = property(lambda self: self._name)
    key_dtype = property(lambda self: self._key_dtype)
    value_dtype = property(lambda self: self._value_dtype)
    resource_handle = property(lambda self: self._keys)

    def _check(self, what):
        mode = self._check_modes[what]
        op = self._checks.get(mode)
        if op is None:
            with control_dependencies(None):
                op = get_default_graph().create_op("LookupTableCheck", [], {"table": self, "mode": mode},
                                                   name=f"{self._name}/check_{mode}", output_specs=[])
            self._checks[mode] = op
        return op

    def _default(self):
        return self._default_value

    def _find(self, keys, oov, name, attrs=None):
        from ..sparse.tensor import SparseTensor, SparseTensorValue, as_sparse
        sparse = None
        if isinstance(keys, (SparseTensor, SparseTensorValue)):
            sparse = as_sparse(keys)
            keys = sparse.values
        keys = convert_to_tensor(keys, dtype_hint=self._key_dtype)
        if keys.dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {dtypes.name(self._key_dtype)}, received: "
                            f"{dtypes.name(keys.dtype)}")
        with name_scope(name or f"{self._name}_Lookup"), control_dependencies([self._check("lookup")]):
            out = apply("LookupTableFind", [self._keys, self._values, keys, self._default()],
                        {"num_oov_buckets": oov, **(attrs or {})}, name="LookupTableFindV2")[0]
        return SparseTensor(sparse.indices, out, sparse.dense_shape) if sparse is not None else out

    def lookup(self, keys, name=None):
        """The values of ``keys`` (a tensor or SparseTensor of ``key_dtype``), the default value for keys the
        table lacks; fails the run with ``FailedPreconditionError`` if the table is not initialized."""
        return self._find(keys, 0, name)

    def size(self, name=None):
        """The number of keys in the table (int64 scalar; 0 before it is initialized)."""
        from ..ops.generate import size as size_of
        with name_scope(name or f"{self._name}_Size"), control_dependencies([self._check("size")]):
            return size_of(self._keys, out_type=dtypes.int64, name="LookupTableSizeV2")

    def export(self, name=None):
        """The table's keys and values, as two tensors (keys in increasing order)."""
        from ..ops.state import identity
        with name_scope(name or f"{self._name}_Export"), control_dependencies([self._check("export")]):
            return identity(self._keys, name="keys"), identity(self._values, name="values")


class _Initializer:
    """Keys and values for a static table, assigned by ``initialize(table)``."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype, self._value_dtype = dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype)

    key_dtype = property(lambda self: self._key_dtype)
    value_dtype = property(lambda self: self._value_dtype)

    def initialize(self, table):
        """The op assigning this initializer's contents to ``table``."""
        with name_scope(self._name), control_dependencies(None):
            keys, values = self._contents()
            return group(assign(table._keys, keys, validate_shape=False),
                         assign(table._values, values, validate_shape=False), name=self._op_name)


class KeyValueTensorInitializer(_Initializer):
    """Fills a table from a vector of keys and a vector of their values.

    Examples
    --------
    >>> import daskflow as df
    >>> init = df.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2])
    >>> table = df.lookup.StaticHashTable(init, default_value=-1)
    >>> with df.Session() as s:
    ...     s.run(df.tables_initializer())
    ...     s.run(table.lookup(df.constant(["b", "z"])))
    array([ 2, -1], dtype=int32)
    """

    _op_name = "LookupTableImportV2"

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        with name_scope(name, "key_value_init") as scope:
            self._name = scope
            self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
            self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
        if not self._keys.shape.is_compatible_with(self._values.shape):
            raise ValueError(f"Shapes {self._keys.shape} and {self._values.shape} are not compatible")
        super().__init__(self._keys.dtype, self._values.dtype)

    def _contents(self):
        return apply("LookupTableImport", [self._keys, self._values], name="sorted")


class TextFileInitializer(_Initializer):
    """Fills a table from a text file, one entry a line: the key and the value are each a column (split at
    ``delimiter``), the whole line (``TextFileIndex.WHOLE_LINE``) or the line number counted from 0
    (``TextFileIndex.LINE_NUMBER``, plus ``value_index_offset`` for values). With ``vocab_size``, only the first
    ``vocab_size`` lines are read, and a shorter file fails.

    Examples
    --------
    >>> import daskflow as df, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
    >>> _ = open(path, "w").write("emerson\\nlake\\npalmer\\n")
    >>> init = df.lookup.TextFileInitializer(path, df.string, df.lookup.TextFileIndex.WHOLE_LINE, df.int64,
    ...                                      df.lookup.TextFileIndex.LINE_NUMBER)
    >>> table = df.lookup.StaticHashTable(init, -1)
    >>> with df.Session() as s:
    ...     s.run(table.initializer)
    ...     s.run(table.lookup(df.constant(["palmer", "bach"])))
    array([ 2, -1])
    """

    _op_name = "InitializeTableFromTextFileV2"

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index, vocab_size=None, delimiter="\t",
                 name=None, value_index_offset=0):
        key_dtype, value_dtype = dtypes.as_dtype(key_dtype), dtypes.as_dtype(value_dtype)
        for what, index, dt in (("key", key_index, key_dtype), ("value", value_index, value_dtype)):
            if index < _ops.WHOLE_LINE:
                raise ValueError(f"Invalid `{what}_index`: {index}.")
            if index == _ops.LINE_NUMBER and dt != dtypes.int64:
                raise ValueError(f"`{what}_dtype` must be int64 for {what}_index LINE_NUMBER, got "
                                 f"{dtypes.name(dt)}.")
            if index == _ops.WHOLE_LINE and not dtypes.is_string(dt) and dt.kind not in "iu":
                raise ValueError(f"`{what}_dtype` must be string or integer for {what}_index WHOLE_LINE, got "
                                 f"{dtypes.name(dt)}.")
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"`vocab_size` must be > 0, got {vocab_size}.")
        with name_scope(name, "text_file_init") as scope:
            self._name = scope
            self._filename = convert_to_tensor(filename, dtype=dtypes.string, name="asset_filepath")
        self._attrs = {"key_index": int(key_index), "value_index": int(value_index), "key_dtype": key_dtype,
                       "value_dtype": value_dtype, "delimiter": delimiter,
                       "vocab_size": None if vocab_size is None else int(vocab_size),
                       "value_index_offset": int(value_index_offset)}
        super().__init__(key_dtype, value_dtype)

    def _contents(self):
        keys, values = apply("InitializeTableFromTextFile", [self._filename], self._attrs, name="read")
        return apply("LookupTableImport", [keys, values], name="sorted")


class StaticHashTable(_Table):
    """An immutable table filled by ``initializer`` (a ``KeyValueTensorInitializer`` or ``TextFileInitializer``);
    ``lookup`` gives ``default_value`` for keys it lacks. Its initializer is in the ``table_initializer``
    collection, run by ``tables_initializer()``.

    Examples
    --------
    >>> import daskflow as df
    >>> table = df.lookup.StaticHashTable(df.lookup.KeyValueTensorInitializer([1, 2], [10, 20]), 0)
    >>> with df.Session() as s:
    ...     s.run(table.initializer)
    ...     s.run([table.lookup(df.constant([2, 3])), table.size()])
    [array([20,  0], dtype=int32), np.int64(2)]
    """

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        with control_dependencies(None):
            self._default_value = convert_to_tensor(default_value, dtype=initializer.value_dtype,
                                                    name="default_value")
        if self._default_value.shape.ndims not in (None, 0):
            raise ValueError(f"Shapes {self._default_value.shape} and () are not compatible")
        super().__init__(initializer.key_dtype, initializer.value_dtype, (), name or "hash_table")
        self._initializer = initializer.initialize(self)
        get_default_graph().add_to_collection(TABLE_INITIALIZERS, self._initializer)

    initializer = property(lambda self: self._initializer)
    default_value = property(lambda self: self._default_value)


class StaticVocabularyTable(_Table):
    """A table of ids: keys the ``initializer`` holds get their (int64) value; any other key gets one of
    ``num_oov_buckets`` buckets past the vocabulary, ``vocab_size + Fingerprint64(key) % num_oov_buckets`` (the
    FarmHash fingerprint of its bytes, or of its decimal text for integer keys), as TF's.

    Examples
    --------
    >>> import daskflow as df
    >>> init = df.lookup.KeyValueTensorInitializer(["emerson", "lake"], [0, 1], value_dtype=df.int64)
    >>> table = df.lookup.StaticVocabularyTable(init, num_oov_buckets=3)
    >>> with df.Session() as s:
    ...     s.run(table.initializer)
    ...     s.run(table.lookup(df.constant(["lake", "palmer", ""])))
    array([1, 2, 4])
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0; use StaticHashTable.")
        if initializer.value_dtype != dtypes.int64:
            raise TypeError(f"Invalid `value_dtype`, expected int64 but got {dtypes.name(initializer.value_dtype)}.")
        key_dtype = initializer.key_dtype
        self._lookup_key_dtype = dtypes.as_dtype(lookup_key_dtype) if lookup_key_dtype is not None else key_dtype
        if self._lookup_key_dtype != key_dtype and not (key_dtype == dtypes.int64
                                                        and self._lookup_key_dtype == dtypes.int32):
            raise TypeError(f"Invalid `key_dtype`, expected {dtypes.name(key_dtype)} but got "
                            f"{dtypes.name(self._lookup_key_dtype)}.")
        self._num_oov_buckets = int(num_oov_buckets)
        with control_dependencies(None):
            self._default_value = convert_to_tensor(np.int64(-1), name="default_value")
        super().__init__(key_dtype, dtypes.int64, (), name or "hash_table")
        self._initializer = initializer.initialize(self)
        get_default_graph().add_to_collection(TABLE_INITIALIZERS, self._initializer)

    initializer = property(lambda self: self._initializer)
    key_dtype = property(lambda self: self._lookup_key_dtype)

    def lookup(self, keys, name=None):
        """The ids of ``keys``: their value in the vocabulary, or their out-of-vocabulary bucket."""
        from ..sparse.tensor import SparseTensor, SparseTensorValue, as_sparse
        from ..ops.math import cast
        if self._lookup_key_dtype != self._key_dtype:
            if isinstance(keys, (SparseTensor, SparseTensorValue)):
                sp = as_sparse(keys)
                keys = SparseTensor(sp.indices, cast(self._typed(sp.values), self._key_dtype), sp.dense_shape)
            else:
                keys = cast(self._typed(keys), self._key_dtype)
        return self._find(keys, self._num_oov_buckets, name)

    def _typed(self, keys):
        keys = convert_to_tensor(keys, dtype_hint=self._lookup_key_dtype)
        if keys.dtype != self._lookup_key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {dtypes.name(self._lookup_key_dtype)}, received: "
                            f"{dtypes.name(keys.dtype)}")
        return keys

    def size(self, name=None):
        """The number of ids: the vocabulary's size plus ``num_oov_buckets`` (int64 scalar)."""
        from ..ops.math import add
        n = super().size(name)
        return add(n, np.int64(self._num_oov_buckets), name="add")
