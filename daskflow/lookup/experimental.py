"""TF1's ``tf.lookup.experimental``: tables whose contents runs change (``insert``, ``remove``), held in the
Session like variables' values; they start empty and need no initializer."""
from .. import dtypes
from ..graph import control_dependencies, name_scope
from ..ops.registry import apply, convert_to_tensor
from ..ops.state import assign, group
from .tables import _Table

__all__ = ["MutableHashTable", "DenseHashTable"]


class MutableHashTable(_Table):
    """A table that runs fill and change: ``insert(keys, values)`` sets the values of keys (new or not),
    ``remove(keys)`` deletes keys, ``lookup(keys)`` gives ``default_value`` (whose shape is each value's shape) for
    keys it lacks. The contents persist in the Session across runs; a run reads them as of its start and its
    inserts and removals apply when it succeeds.

    Examples
    --------
    >>> import daskflow as df
    >>> table = df.lookup.experimental.MutableHashTable(df.string, df.int64, default_value=-1)
    >>> with df.Session() as s:
    ...     s.run(table.insert(["a", "b"], df.constant([1, 2], df.int64)))
    ...     s.run(table.remove(df.constant(["a"])))
    ...     s.run(table.lookup(df.constant(["a", "b"])))
    array([-1,  2])
    """

    _check_modes = {"lookup": "empty", "size": "empty", "export": "empty", "write": "empty"}

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable", checkpoint=True,
                 experimental_is_anonymous=False):
        with control_dependencies(None):
            self._default_value = convert_to_tensor(default_value, dtype=value_dtype, name="default_value")
        if self._default_value.shape.ndims is None:
            raise ValueError("default_value must have a known shape")
        super().__init__(key_dtype, value_dtype, tuple(self._default_value.shape), name)
        self._op_prefix = self._name

    default_value = property(lambda self: self._default_value)

    def _keys_arg(self, keys):
        keys = convert_to_tensor(keys, dtype_hint=self._key_dtype)
        if keys.dtype != self._key_dtype:
            raise TypeError(f"Signature mismatch. Keys must be dtype {dtypes.name(self._key_dtype)}, got "
                            f"{dtypes.name(keys.dtype)}.")
        return keys

    def _write(self, kind, inputs, scope):
        with name_scope(scope), control_dependencies([self._check("write")]):
            keys, values = apply(kind, [self._keys, self._values] + inputs, self._find_attrs(), name=kind + "V2")
            return group(assign(self._keys, keys, validate_shape=False),
                         assign(self._values, values, validate_shape=False), name=kind + "V2")

    def insert(self, keys, values, name=None):
        """An op setting the values of ``keys`` (any shape) to ``values`` (``keys``' shape plus the value shape)."""
        keys = self._keys_arg(keys)
        values = convert_to_tensor(values, dtype=self._value_dtype)
        return self._write("LookupTableInsert", [keys, values], name or f"{self._name}_lookup_table_insert")

    def remove(self, keys, name=None):
        """An op deleting ``keys`` from the table (keys it lacks are ignored)."""
        keys = self._keys_arg(keys)
        return self._write("LookupTableRemove", [keys], name or f"{self._name}_lookup_table_remove")

    def lookup(self, keys, dynamic_default_values=None, name=None):
        """The values of ``keys``: an output of ``keys``' shape plus the value shape."""
        return self._find(self._keys_arg(keys), 0, name or f"{self._name}_lookup_table_find",
                          self._find_attrs())

    def _find_attrs(self):
        return None


class DenseHashTable(MutableHashTable):
    """``MutableHashTable`` whose keys must differ from ``empty_key`` and ``deleted_key`` (TF's open-addressing
    table reserves them): using ``empty_key`` as a key in ``insert`` or ``lookup`` fails the run as TF's. ``erase``
    is ``remove`` and ``insert_or_assign`` is ``insert``; ``export`` gives the keys present and their values (TF's
    gives its buckets)."""

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key, initial_num_buckets=None,
                 name="MutableDenseHashTable", checkpoint=True, experimental_is_anonymous=False):
        key_dtype = dtypes.as_dtype(key_dtype)
        self._empty_key = convert_to_tensor(empty_key, dtype=key_dtype)
        self._deleted_key = convert_to_tensor(deleted_key, dtype=key_dtype)
        from ..ops.hostvalue import constant_value
        self._empty, self._deleted = constant_value(self._empty_key), constant_value(self._deleted_key)
        if self._empty is None or self._deleted is None:
            raise ValueError("empty_key and deleted_key must be known when the table is built")
        if self._empty.tolist() == self._deleted.tolist():
            raise ValueError("Empty and deleted keys must have different values.")
        super().__init__(key_dtype, value_dtype, default_value, name=name)

    def _find_attrs(self):
        return {"empty_key": self._empty[()]}

    def insert(self, keys, values, name=None):
        """An op setting the values of ``keys`` to ``values``; ``empty_key`` among ``keys`` fails the run."""
        return super().insert(keys, values, name)

    insert_or_assign = insert

    def erase(self, keys, name=None):
        """``remove``: an op deleting ``keys``."""
        return self.remove(keys, name)
