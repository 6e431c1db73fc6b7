"""Partitioned variables (TF1's ``PartitionedVariable``): one logical variable stored as several variables
``<name>/part_<i>``, slices of it along one axis, made by ``get_variable(..., partitioner=...)`` or
``create_partitioned_variables``; and TF1's three partitioners, which say how many slices to make.

The slices follow TF's rule: ``n`` slices of a dim of size ``d`` have ``d // n`` entries each, the first ``d % n``
of them one more. Used as a tensor, a partitioned variable is the concatenation of its parts; iterated, it gives
the parts (each an ordinary trainable variable, which optimizers update and ``Saver`` saves under its own name).
"""
import collections.abc
import math

from .. import dtypes
from ..graph import TensorShape, control_dependencies, name_scope

__all__ = ["create_partitioned_variables", "fixed_size_partitioner", "min_max_variable_partitioner",
           "variable_axis_size_partitioner"]


def _element_size(dtype, bytes_per_string_element):
    dtype = dtypes.as_dtype(dtype)
    return bytes_per_string_element if dtypes.is_string(dtype) else dtype.itemsize


def variable_axis_size_partitioner(max_shard_bytes, axis=0, bytes_per_string_element=16, max_shards=None):
    """A partitioner slicing a variable along ``axis`` into as few shards as keep each within ``max_shard_bytes``
    (strings counted ``bytes_per_string_element`` bytes an element); a shard holds at least one slice of ``axis``
    whatever its size, and there are at most ``max_shards`` shards.

    Examples
    --------
    >>> import daskflow as df
    >>> df.variable_axis_size_partitioner(64)(df.TensorShape([10, 4]), df.float32)  # 4 rows of 16 bytes a shard
    [3, 1]
    """
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError("Both max_shard_bytes and bytes_per_string_element must be positive. Currently, "
                         f"max_shard_bytes is {max_shard_bytes} andbytes_per_string_element is "
                         f"{bytes_per_string_element}")
    if max_shards and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def _partitioner(shape, dtype):
        if not isinstance(shape, TensorShape):
            raise ValueError(f"shape is not a TensorShape: {shape}")
        if not shape.is_fully_defined():
            raise ValueError(f"shape is not fully defined: {shape}")
        dims = list(shape)
        if not -len(dims) <= axis < len(dims):
            raise IndexError("list index out of range")
        size = _element_size(dtype, bytes_per_string_element)
        bytes_per_slice = 1.0 * (math.prod(dims) / dims[axis]) * size
        slices_per_shard = max(1, math.floor(max_shard_bytes / bytes_per_slice))
        axis_shards = int(math.ceil(1.0 * dims[axis] / slices_per_shard))
        if max_shards:
            axis_shards = min(max_shards, axis_shards)
        partitions = [1] * len(dims)
        partitions[axis] = axis_shards
        return partitions
    return _partitioner


def min_max_variable_partitioner(max_partitions=1, axis=0, min_slice_size=256 << 10, bytes_per_string_element=16):
    """A partitioner slicing a variable along ``axis`` into shards of at least ``min_slice_size`` bytes each,
    at most ``max_partitions`` of them and at most one per entry of ``axis``.

    Examples
    --------
    >>> import daskflow as df
    >>> df.min_max_variable_partitioner(8, min_slice_size=64)(df.TensorShape([10, 4]), df.float32)
    [3, 1]
    """
    def _partitioner(shape, dtype):
        shape = TensorShape(shape)
        if axis >= len(shape):
            raise ValueError(f"Cannot partition variable along axis {axis} when shape is only {shape}")
        dims = list(shape)
        total_bytes = math.prod(dims) * _element_size(dtype, bytes_per_string_element)
        partitions = [1] * len(dims)
        partitions[axis] = max(1, min(dims[axis], max_partitions, int(math.ceil(total_bytes / min_slice_size))))
        return partitions
    return _partitioner


def fixed_size_partitioner(num_shards, axis=0):
    """A partitioner slicing a variable into ``num_shards`` shards along ``axis`` (fewer when that dim is
    shorter).

    Examples
    --------
    >>> import daskflow as df
    >>> df.fixed_size_partitioner(3)(df.TensorShape([10, 4]))
    [3, 1]
    """
    def _partitioner(shape, **unused_args):
        partitions = [1] * len(shape)
        partitions[axis] = min(num_shards, TensorShape(shape)[axis])
        return partitions
    return _partitioner


class SaveSliceInfo:
    """Where a part lies in its partitioned variable: the full variable's name and shape, and the part's offset
    and shape (TF's ``Variable.SaveSliceInfo``)."""

    def __init__(self, full_name, full_shape, var_offset, var_shape):
        self.full_name, self.full_shape = full_name, list(full_shape)
        self.var_offset, self.var_shape = list(var_offset), list(var_shape)

    @property
    def spec(self):
        """TF's slice spec string: the full shape, then ``offset,length`` per dim, e.g. ``"7 2 3,2:0,2"``."""
        full = " ".join(str(d) for d in self.full_shape)
        return full + " " + ":".join(f"{o},{s}" for o, s in zip(self.var_offset, self.var_shape))


class _PartitionInfo:
    """What an initializer is told of the part it makes: the full shape and the part's offset."""

    def __init__(self, full_shape, var_offset):
        self.full_shape, self.var_offset = list(full_shape), list(var_offset)

    def single_offset(self, shape):
        dim = self.single_slice_dim(shape)
        return 0 if dim is None else self.var_offset[dim]

    def single_slice_dim(self, shape):
        dims = [i for i, (s, f) in enumerate(zip(shape, self.full_shape)) if s != f]
        return dims[0] if dims else None


class PartitionedVariable:
    """A variable stored as parts along one axis (TF1's ``PartitionedVariable``): iterating gives the part
    variables in order; converted to a tensor (by any op) it is their concatenation, named ``name``."""

    def __init__(self, name, shape, dtype, variable_list, partitions):
        if not isinstance(variable_list, (list, tuple)):
            raise TypeError(f"variable_list is not a list or tuple: {variable_list}")
        if not isinstance(partitions, (list, tuple)):
            raise TypeError(f"partitions is not a list or tuple: {partitions}")
        if not all(p >= 1 for p in partitions):
            raise ValueError(f"partition values must be positive: {partitions}")
        if not variable_list:
            raise ValueError("variable_list may not be empty")
        self._variable_list = sorted(variable_list, key=lambda v: v._save_slice_info.var_offset)
        self._name, self._shape, self._dtype = name, TensorShape(shape), dtypes.as_dtype(dtype)
        self._partitions = list(partitions)

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)
    graph = property(lambda self: self._variable_list[0].graph)

    def get_shape(self):
        return self._shape

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self):
        if len(self._partition_axes()) > 1:
            raise ValueError(f"Cannot get a length for {len(self._partition_axes())} > 1 partition axes")
        return len(self._variable_list)

    def _get_variable_list(self):
        return self._variable_list

    def _get_partitions(self):
        return self._partitions

    def _partition_axes(self):
        if all(p == 1 for p in self._partitions):
            return [0]
        return [i for i, p in enumerate(self._partitions) if p > 1]

    def _concat(self):
        from .array import concat
        from .state import identity
        if len(self._variable_list) == 1:
            with name_scope(None):
                return identity(self._variable_list[0], name=self._name)
        with name_scope(self._name + "/ConcatPartitions/"):
            joined = concat(self._variable_list, self._partition_axes()[0])
        with name_scope(None):
            return identity(joined, name=self._name)

    def as_tensor(self):
        """The concatenation of the parts, made outside any control dependencies."""
        with control_dependencies(None):
            return self._concat()

    _as_tensor = as_tensor

    def _apply_assign_fn(self, fn, value):
        from .split import split
        if isinstance(value, PartitionedVariable):
            values = list(value)
        elif isinstance(value, list):
            values = value
        else:
            axis = self._partition_axes()[0]
            values = split(value, [v.shape[axis] for v in self._variable_list], axis=axis)
        if len(values) != len(self._variable_list):
            raise ValueError(f"Assigning {len(values)} values to the {len(self._variable_list)} parts of "
                             f"{self._name}")
        return [fn(v, x) for v, x in zip(self._variable_list, values)]

    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Assign each part its slice of ``value`` (or the matching entry of a list); the list of assignments
        (their ops when ``read_value`` is False)."""
        out = self._apply_assign_fn(lambda v, x: v.assign(x, use_locking=use_locking, name=name), value)
        return out if read_value else [t.op for t in out]

    def assign_add(self, value, use_locking=False, name=None, read_value=True):
        out = self._apply_assign_fn(lambda v, x: v.assign_add(x, use_locking=use_locking, name=name), value)
        return out if read_value else [t.op for t in out]

    def assign_sub(self, value, use_locking=False, name=None, read_value=True):
        out = self._apply_assign_fn(lambda v, x: v.assign_sub(x, use_locking=use_locking, name=name), value)
        return out if read_value else [t.op for t in out]

    def __repr__(self):
        return f"<daskflow.PartitionedVariable '{self._name}' shape={self._shape} parts={len(self._variable_list)}>"


# -- making them: get_variable's partitioned path

def _call_partitioner(partitioner, shape, dtype):
    """The partitioner's slicing of ``shape``, checked: one entry per dim, all >= 1, at most one > 1."""
    if not shape.is_fully_defined():
        raise ValueError(f"Shape of a new partitioned variable must be fully defined, but instead was {shape}.")
    if shape.ndims < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1, shape: {shape}")
    slicing = partitioner(shape=shape, dtype=dtype)
    if not isinstance(slicing, collections.abc.Sequence):
        raise ValueError(f"Partitioner must return a sequence, but saw: {slicing}")
    if len(slicing) != shape.ndims:
        raise ValueError(f"Partitioner returned a partition list that does not match the Variable's rank: "
                         f"{slicing} vs. {shape}")
    if any(p < 1 for p in slicing):
        raise ValueError(f"Partitioner returned zero partitions for some axes: {slicing}")
    if sum(p > 1 for p in slicing) > 1:
        raise ValueError(f"Can only slice a variable along one dimension: shape: {shape}, partitioning: {slicing}")
    return list(slicing)


def _iter_slices(full_shape, num_slices, slice_dim):
    """``(offset, shape)`` of each slice: ``d // n`` entries each along ``slice_dim``, the first ``d % n`` one
    more."""
    extra, base = full_shape[slice_dim] % num_slices, full_shape[slice_dim] // num_slices
    offset = [0] * len(full_shape)
    for i in range(num_slices):
        shape = list(full_shape)
        shape[slice_dim] = base + (i < extra)
        yield list(offset), shape
        offset[slice_dim] += shape[slice_dim]


def _slice_dim_and_count(slicing):
    return next(((d, n) for d, n in enumerate(slicing) if n > 1), (0, 1))


def get_partitioned_variable(store, name, partitioner, shape=None, dtype=dtypes.float32, initializer=None,
                             reuse=None, make_part=None):
    """``store``'s partitioned variable ``name``, made (its parts by ``make_part(part_name, shape, init,
    partition_info, dtype)``) when new, as TF's ``_get_partitioned_variable``."""
    from ..graph import Tensor
    from .indexing import slice as slice_
    from .registry import convert_to_tensor
    from_value = isinstance(initializer, Tensor)
    if name in store._vars:
        raise ValueError(f"A partitioner was provided, but an unpartitioned version of the variable was found: "
                         f"{name}.  Perhaps a variable of the same name was already created without partitioning?")
    shape = TensorShape(shape)
    if from_value:
        shape = shape.merge_with(initializer.shape)
    # reuse=True may name an existing partitioned variable without its partitioner (nor its shape)
    partitions = _call_partitioner(partitioner, shape, dtype) if not reuse or partitioner else None
    found = store._partitioned_vars.get(name)
    if found is not None:
        if reuse is False:
            raise ValueError(f"Partitioned variable with name {name} already exists. Did you mean to set reuse=True "
                             "or reuse=tf.AUTO_REUSE in VarScope?")
        if not shape.is_compatible_with(found.shape):
            raise ValueError(f"Trying to reuse partitioned variable {name}, but specified shape {shape} and found "
                             f"shape {found.shape}.")
        if dtypes.as_dtype(dtype) != found.dtype:
            raise ValueError(f"Trying to reuse partitioned variable {name}, but specified dtype "
                             f"{dtypes.name(dtypes.as_dtype(dtype))} and found dtype {dtypes.name(found.dtype)}.")
        if partitions is not None and found._get_partitions() != partitions:
            raise ValueError(f"Trying to reuse partitioned variable {name}, but specified partitions {partitions} "
                             f"and found partitions {found._get_partitions()}.")
        return found
    if reuse is True:
        raise ValueError(f"PartitionedVariable {name} does not exist, or was not created with tf.get_variable(). "
                         "Did you mean to set reuse=False or reuse=tf.AUTO_REUSE in VarScope?")
    dim, count = _slice_dim_and_count(partitions)
    if f"{name}/part_0" in store._vars:
        if f"{name}/part_{count - 1}" not in store._vars:
            raise ValueError(f"Partitioner returned a different partitioning than what was already found.  "
                             f"Partitioner returned {count} shards, and shard {name}/part_0 was found, but "
                             f"{name}/part_{count - 1} was not.")
        if f"{name}/part_{count}" in store._vars:
            raise ValueError(f"Partitioner returned a different partitioning than what was already found.  "
                             f"Partitioner returned {count} shards, and shard {name}/part_0 was found, but so was "
                             f"the extra shard {name}/part_{count}.")
    full = list(shape)
    parts = []
    for i, (offset, part_shape) in enumerate(_iter_slices(full, count, dim)):
        part_name = f"{name}/part_{i}"
        with name_scope(part_name + "/PartitionedInitializer"):
            if initializer is None or callable(initializer):
                init, init_shape = initializer, part_shape
            else:
                value = initializer if from_value else convert_to_tensor(initializer, dtype=dtype)
                init, init_shape = slice_(value, offset, part_shape), None
                dtype = init.dtype
        with name_scope(None):
            var = make_part(part_name, init_shape, init, _PartitionInfo(full, offset), dtype)
        var._save_slice_info = SaveSliceInfo(name, full, offset, part_shape)
        parts.append(var)
    out = PartitionedVariable(name, shape, dtype, parts, partitions)
    store._partitioned_vars[name] = out
    return out


def _get_partitioned_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                              collections=None, partitioner=None, validate_shape=True, constraint=None):
    """The partitioned variable ``name`` of the current variable scope (the scope itself when ``name`` is None),
    as TF's private function of that name; no custom getter may be set."""
    from .variable_scope import _var_store, get_variable_scope
    scope = get_variable_scope()
    if scope.custom_getter is not None:
        raise ValueError("Private access to _get_partitioned_variable is not allowed when a custom getter is set.  "
                         f"Current custom getter: {scope.custom_getter}.  It is likely that you're using "
                         "create_partitioned_variables.  If so, consider instead using get_variable with a non-empty "
                         "partitioner parameter instead.")
    full_name = (scope.name + "/" + name if scope.name else name) if name else scope.name
    with name_scope(None):
        return _var_store().get_variable(
            full_name, shape=shape, dtype=scope.dtype if dtype is None else dtype,
            initializer=scope.initializer if initializer is None else initializer,
            regularizer=scope.regularizer if regularizer is None else regularizer, reuse=scope.reuse,
            trainable=trainable, collections=collections, partitioner=partitioner or scope.partitioner,
            validate_shape=validate_shape, constraint=constraint)


def create_partitioned_variables(shape, slicing, initializer, dtype=dtypes.float32, trainable=True,
                                 collections=None, name=None, reuse=None):
    """A list of variables, slices of one variable of ``shape`` cut ``slicing[d]`` times along the one dim
    ``d`` where it is above 1 (the first ``shape[d] % slicing[d]`` slices one longer); ``initializer`` is a value
    or tensor of ``shape`` (each part gets its slice) or an initializer called for each part. The parts are named
    ``<name>/part_<i>``, ``name`` defaulting to ``PartitionedVariable`` made unique.

    Examples
    --------
    >>> import daskflow as df
    >>> parts = df.create_partitioned_variables([5, 3], [1, 2], df.zeros_initializer(), name="cp")
    >>> [(v.name, v.shape.as_list()) for v in parts]
    [('cp/part_0:0', [5, 2]), ('cp/part_1:0', [5, 1])]
    """
    from .variable_scope import variable_scope
    if len(shape) != len(slicing):
        raise ValueError(f"The 'shape' and 'slicing' of a partitioned Variable must have the length: shape: "
                         f"{shape}, slicing: {slicing}")
    if len(shape) < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1: shape: {shape}")
    with variable_scope(name, "PartitionedVariable", reuse=reuse):
        return list(_get_partitioned_variable(None, shape=shape, dtype=dtype, initializer=initializer,
                                              trainable=trainable, partitioner=lambda **_: slicing,
                                              collections=collections))
