"""TF1's recurrent networks over RNN cells (``daskflow.ops.rnn_cell``): ``static_rnn`` (the cell called once per
time step, unrolled in the graph), ``dynamic_rnn`` (a ``while_loop`` over the time steps, the outputs written to a
``TensorArray``) and their bidirectional forms, as TF1's ``tensorflow/python/ops/rnn.py``:

- the variables are made in variable scope ``rnn`` (or ``scope``; ``bidirectional_rnn/fw`` and ``.../bw`` for the
  bidirectional forms), so that their names are TF1's;
- with ``sequence_length``, a sequence's outputs past its length are zeros and its state is carried through
  unchanged from its last step (TF1's ``_rnn_step``, as ``tf.where``s: TF1's conditionals only skip work that gives
  the same values); ``dynamic_rnn`` stops after the longest sequence.

``dynamic_rnn`` makes the cell's variables before its loop, where the cell's first call would make them (TF1 makes
them inside the loop and lifts their initialisation out of it): the loop reads them as it reads any tensor from
outside, and its gradient reaches them.
"""
import numpy as np

from .. import dtypes
from ..graph import Tensor, TensorShape, control_dependencies, name_scope
from .array import concat, reverse, stack, transpose, unstack
from .generate import range as arange, shape as shape_of, zeros
from .indexing import gather
from .loops import while_loop
from .math import Assert, cast, equal, greater_equal, less, maximum, minimum, subtract, where, where_v2
from .reduce import reduce_all, reduce_max
from .registry import convert_to_tensor
from ..nest import assert_same_structure, flatten, map_structure, pack_sequence_as
from .rnn_cell import RNNCell, _dims, assert_like_rnncell
from .state import constant, identity
from .tensor_array import TensorArray
from .variable_scope import variable_scope

__all__ = ["static_rnn", "dynamic_rnn", "static_bidirectional_rnn", "bidirectional_dynamic_rnn"]


def _transpose_batch_time(x):
    """``x`` with its first two dims swapped (batch-major <-> time-major)."""
    if x.shape.ndims is None:
        raise ValueError(f"Input size (depth of inputs) must be accessible via shape inference, but saw value None "
                         f"for input={x.name} (its rank is not known)")
    if x.shape.ndims < 2:
        return x
    return transpose(x, [1, 0] + list(range(2, x.shape.ndims)))


def _best_effort_input_batch_size(flat_input):
    """The batch size of time-major inputs: static where some input knows it, else a tensor."""
    for input_ in flat_input:
        shape = input_.shape
        if shape.ndims is None:
            continue
        if shape.ndims < 2:
            raise ValueError(f"Input tensor should have rank >= 2. Received input={input_} of rank {shape.ndims}")
        if shape[1] is not None:
            return shape[1]
    return shape_of(flat_input[0])[1]


def _infer_state_dtype(explicit_dtype, state):
    if explicit_dtype is not None:
        return dtypes.as_dtype(explicit_dtype)
    leaves = flatten(state)
    if not leaves:
        raise ValueError(f"Unable to infer dtype from argument state={state}.")
    found = [leaf.dtype for leaf in leaves]
    if any(d != found[0] for d in found):
        raise ValueError(f"Argument state={state} has tensors of different inferred dtypes. Unable to infer a single "
                         f"representative dtype. Dtypes received: {found}")
    return found[0]


def _zeros_for(batch_size, size, dtype):
    return zeros([batch_size] + _dims(size), dtype)


def _initial_state(cell, initial_state, batch_size, dtype):
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError("If no initial_state is provided, argument `dtype` must be specified")
    if getattr(cell, "get_initial_state", None) is not None:
        return cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
    return cell.zero_state(batch_size, dtype)


def _rnn_step(time, sequence_length, zero_output, state, call_cell):
    """One step of a cell over sequences of ``sequence_length``: where ``time >= sequence_length`` the output is
    zeros and the state the one given (TF1's ``_rnn_step``; its ``cond``s, which only skip work, are left out)."""
    flat_state = flatten(state)
    flat_zero_output = flatten(zero_output)
    copy_cond = greater_equal(time, sequence_length)

    def copy_one_through(output, new_output):
        if _is_ta(output) or output.shape.ndims == 0:
            return new_output
        out = where(copy_cond, output, new_output)
        out.set_shape(output.shape)
        return out

    new_output, new_state = call_cell()
    assert_same_structure(zero_output, new_output)
    assert_same_structure(state, new_state)
    final_output = [copy_one_through(z, o) for z, o in zip(flat_zero_output, flatten(new_output))]
    final_state = [copy_one_through(s, n) for s, n in zip(flat_state, flatten(new_state))]
    return pack_sequence_as(zero_output, final_output), pack_sequence_as(state, final_state)


def _is_ta(x):
    return hasattr(x, "_value_or_none") and hasattr(x, "_with_value")


def _reverse_sequence(x, lengths, seq_axis, batch_axis):
    """TF's ``reverse_sequence``: in each batch entry ``b``, the first ``lengths[b]`` elements along ``seq_axis``
    reversed, the rest kept (a gather of each batch entry's own permutation)."""
    rank = x.shape.ndims
    if rank is None:
        raise ValueError(f"reverse_sequence needs an input of known rank, got '{x.name}'")
    others = [a for a in range(rank) if a not in (batch_axis, seq_axis)]
    perm = [batch_axis, seq_axis] + others
    xt = transpose(x, perm) if perm != list(range(rank)) else x
    steps = xt.shape[1] if xt.shape[1] is not None else shape_of(xt, out_type=np.int32)[1]
    t = arange(steps)[None, :]
    n = cast(lengths, np.int32)[:, None]
    idx = where_v2(less(t, n), subtract(n - 1, t), t)
    out = gather(xt, idx, axis=1, batch_dims=1)
    if perm == list(range(rank)):
        return out
    return transpose(out, list(np.argsort(perm)))


def _build_cell(cell, step_inputs, state):
    """Make the cell's variables before a loop calls it: its own ``_build_ahead`` where it has one, else a call
    whose ops nothing reads (it makes the variables where the first call in the loop would)."""
    if isinstance(cell, RNNCell):
        if cell.built:
            return
        if cell._builds_ahead():
            flat = flatten(step_inputs)
            shapes = map_structure(lambda t: t.shape, step_inputs)
            cell._build_ahead(shapes, flat[0].dtype if flat else None)
            return
    with name_scope("build_cell"):
        cell(step_inputs, state)


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None, parallel_iterations=None,
                swap_memory=False, time_major=False, scope=None):
    """Run ``cell`` over the time steps of ``inputs`` in a ``while_loop`` (TF1's ``tf.nn.dynamic_rnn``).

    Parameters
    ----------
    cell : RNNCell
    inputs : Tensor or nested structure of Tensors
        ``[batch, time, ...]`` (``[time, batch, ...]`` with ``time_major``); the dims after the first two must be
        known.
    sequence_length : int vector of size batch, optional
        Each sequence's length: its outputs past it are zeros, its final state the state at its last step; the loop
        stops after the longest.
    initial_state : optional
        The cell's initial state (default its zero state, which needs ``dtype``).
    dtype : dtype, optional
    parallel_iterations, swap_memory
        Accepted for TF1 compatibility.
    time_major : bool
    scope : str or VariableScope, optional
        The variable scope (default ``rnn``).

    Returns
    -------
    ``(outputs, state)``: the outputs of every step (``[batch, time, output_size]``, time-major with
    ``time_major``, in the structure of ``cell.output_size``) and the final state.

    Examples
    --------
    >>> import numpy as np, daskflow as df
    >>> x = df.placeholder(df.float32, [2, 3, 4])
    >>> outputs, state = df.nn.dynamic_rnn(df.nn.rnn_cell.GRUCell(5), x, dtype=df.float32)
    >>> [v.name for v in df.trainable_variables()]
    ['rnn/gru_cell/gates/kernel:0', 'rnn/gru_cell/gates/bias:0', 'rnn/gru_cell/candidate/kernel:0', \
'rnn/gru_cell/candidate/bias:0']
    >>> with df.Session() as s:
    ...     _ = s.run(df.global_variables_initializer())
    ...     out, h = s.run([outputs, state], {x: np.ones((2, 3, 4), np.float32)})
    >>> out.shape, bool(np.allclose(out[:, -1], h))
    ((2, 3, 5), True)
    """
    assert_like_rnncell("cell", cell)
    with variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = cast(sequence_length, np.int32)
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError(f"Argument sequence_length must be a vector of length batch_size. Received "
                                 f"sequence_length={sequence_length} of shape: {sequence_length.shape}")
            sequence_length = identity(sequence_length, name="sequence_length")
        batch_size = _best_effort_input_batch_size(flat_input)
        state = _initial_state(cell, initial_state, batch_size, dtype)
        if sequence_length is not None:
            sequence_length = _checked_lengths(sequence_length, batch_size)
        inputs = pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(cell, inputs, state, parallel_iterations=parallel_iterations,
                                                 swap_memory=swap_memory, sequence_length=sequence_length,
                                                 dtype=dtype)
        if not time_major:
            outputs = map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _checked_lengths(sequence_length, batch_size):
    """``sequence_length`` checked to have ``batch_size`` entries: when the graph is built where both are known,
    else when it runs."""
    n = sequence_length.shape[0] if sequence_length.shape.ndims == 1 else None
    if n is not None and not isinstance(batch_size, Tensor):
        if n != batch_size:
            raise ValueError(f"Expected shape for Tensor {sequence_length.name} is [{batch_size}] but saw shape: "
                             f"[{n}]")
        return sequence_length
    x_shape = shape_of(sequence_length, out_type=np.int32)
    packed = stack([batch_size])
    check = Assert(reduce_all(equal(x_shape, cast(packed, np.int32))),
                   [f"Expected shape for Tensor {sequence_length.name} is ", packed, " but saw shape: ", x_shape])
    with control_dependencies([check]):
        return identity(sequence_length, name="CheckSeqLen")


def _dynamic_rnn_loop(cell, inputs, initial_state, parallel_iterations, swap_memory, sequence_length=None,
                      dtype=None):
    state = initial_state
    flat_input = flatten(inputs)
    flat_output_size = flatten(cell.output_size)
    first = flat_input[0]
    batch_size = _best_effort_input_batch_size(flat_input)
    inputs_got_shape = []
    for x in flat_input:
        if x.shape.ndims is not None and x.shape.ndims < 3:
            raise ValueError(f"Shape must be at least rank 3 but is rank {x.shape.ndims} for input={x.name}: inputs "
                             f"are [time, batch, depth...]")
        inputs_got_shape.append(x.shape)
    const_time_steps, const_batch_size = inputs_got_shape[0][0], inputs_got_shape[0][1]
    for x, shape in zip(flat_input, inputs_got_shape):
        if not TensorShape(shape[2:]).is_fully_defined():
            raise ValueError(f"Input size (depth of inputs) must be accessible via shape inference, but saw value "
                             f"None for input={x.name}.")
        if shape[0] != const_time_steps:
            raise ValueError(f"Time steps is not the same for all the elements in the input in a batch. Received "
                             f"time steps={shape[0]} for input={x.name}.")
        if shape[1] != const_batch_size:
            raise ValueError(f"Batch_size is not the same for all the elements in the input. Received batch "
                             f"size={shape[1]} for input={x.name}.")
    time_steps = const_time_steps if const_time_steps is not None else shape_of(first, out_type=np.int32)[0]
    state_dtype = _infer_state_dtype(dtype, state)
    flat_zero_output = tuple(_zeros_for(batch_size, size, state_dtype) for size in flat_output_size)
    zero_output = pack_sequence_as(cell.output_size, flat_zero_output)
    if sequence_length is not None:
        max_sequence_length = reduce_max(sequence_length)
    time = constant(0, dtype=np.int32, name="time")
    with name_scope("dynamic_rnn") as base_name:
        pass

    def _create_ta(name, element_shape, dtype):
        with name_scope(base_name):
            return TensorArray(dtype=dtype, size=time_steps, element_shape=element_shape, tensor_array_name=name)

    output_ta = tuple(_create_ta("output_%d" % i, TensorShape([const_batch_size] + _dims(size)), state_dtype)
                      for i, size in enumerate(flat_output_size))
    input_ta = tuple(_create_ta("input_%d" % i, x.shape[1:], x.dtype).unstack(x) for i, x in enumerate(flat_input))

    # the cell's variables, made before the loop (its body must read them from outside)
    _build_cell(cell, pack_sequence_as(inputs, [x[0] for x in flat_input]), state)

    def _time_step(time, output_ta_t, state):
        input_t = tuple(ta.read(time) for ta in input_ta)
        for input_, shape in zip(input_t, inputs_got_shape):
            input_.set_shape(shape[1:])
        input_t = pack_sequence_as(inputs, input_t)

        def call_cell():
            return cell(input_t, state)
        if sequence_length is not None:
            output, new_state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
        else:
            output, new_state = call_cell()
        output = flatten(output)
        output_ta_t = tuple(ta.write(time, out) for ta, out in zip(output_ta_t, output))
        return time + 1, output_ta_t, new_state

    if sequence_length is not None:
        loop_bound = minimum(time_steps, maximum(1, max_sequence_length))
    else:
        loop_bound = time_steps
    _, output_final_ta, final_state = while_loop(
        cond=lambda time, *_: less(time, loop_bound), body=_time_step, loop_vars=(time, output_ta, state),
        parallel_iterations=parallel_iterations, swap_memory=swap_memory)
    final_outputs = tuple(ta.stack() for ta in output_final_ta)
    for output, output_size in zip(final_outputs, flat_output_size):
        output.set_shape(TensorShape([const_time_steps, const_batch_size] + _dims(output_size)))
    return pack_sequence_as(cell.output_size, final_outputs), final_state


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """Run ``cell`` over a list of inputs, one call per time step (TF1's ``tf.nn.static_rnn``).

    Parameters
    ----------
    cell : RNNCell
    inputs : list of Tensors
        One ``[batch, input_size]`` tensor (or nested structure of them) per time step.
    initial_state, dtype, sequence_length, scope
        As ``dynamic_rnn``'s.

    Returns
    -------
    ``(outputs, state)``: the list of the outputs of every step, and the final state.
    """
    assert_like_rnncell("cell", cell)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    outputs = []
    with variable_scope(scope or "rnn") as varscope:
        first_input = inputs
        while isinstance(first_input, (list, tuple)):
            first_input = first_input[0]
        first_input = convert_to_tensor(first_input)
        if first_input.shape.ndims != 1:
            fixed_batch_size = first_input.shape[0] if first_input.shape.ndims else None
            for flat_input in flatten(inputs):
                shape = convert_to_tensor(flat_input).shape
                if shape.ndims is not None and shape.ndims < 2:
                    raise ValueError(f"Shape must be at least rank 2 but is rank {shape.ndims} for input "
                                     f"{flat_input}")
                size = shape[1:] if shape.ndims is not None else TensorShape(None)
                if shape.ndims and None not in (fixed_batch_size, shape[0]) and fixed_batch_size != shape[0]:
                    raise ValueError(f"Dimensions {fixed_batch_size} and {shape[0]} are not compatible")
                if fixed_batch_size is None and shape.ndims:
                    fixed_batch_size = shape[0]
                for i, d in enumerate(size if size.ndims is not None else [None]):
                    if d is None:
                        raise ValueError(f"Input size (dimension {i} of input {flat_input}) must be accessible via "
                                         f"shape inference, but saw value None.")
        else:
            fixed_batch_size = first_input.shape[0]
        batch_size = fixed_batch_size if fixed_batch_size is not None else shape_of(first_input)[0]
        state = _initial_state(cell, initial_state, batch_size, dtype)
        if sequence_length is not None:
            sequence_length = convert_to_tensor(sequence_length, name="sequence_length")
            if sequence_length.shape.ndims not in (None, 1):
                raise ValueError(f"Argument `sequence_length` must be a vector of length {batch_size}. Received "
                                 f"sequence_length={sequence_length}.")
            state_dtype = _infer_state_dtype(dtype, state)
            output_size = cell.output_size
            flat_zero_output = tuple(_zeros_for(batch_size, size, state_dtype) for size in flatten(output_size))
            zero_output = pack_sequence_as(output_size, flat_zero_output)
            sequence_length = cast(sequence_length, np.int32)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(input_=input_, state=state):
                return cell(input_, state)
            if sequence_length is not None:
                output, state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def _reverse_seq(input_seq, lengths):
    """The list ``input_seq`` reversed: wholly, or in each batch entry its first ``lengths`` steps only."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_input_seq = tuple(flatten(input_) for input_ in input_seq)
    flat_results = [[] for _ in range(len(input_seq))]
    for sequence in zip(*flat_input_seq):
        sequence = [convert_to_tensor(s) for s in sequence]
        s_joined = stack(sequence)
        s_reversed = _reverse_sequence(s_joined, lengths, 0, 1)
        for r, flat_result, s in zip(unstack(s_reversed), flat_results, sequence):
            r.set_shape(s.shape)
            flat_result.append(r)
    return [pack_sequence_as(input_, flat_result) for input_, flat_result in zip(input_seq, flat_results)]


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None, initial_state_bw=None, dtype=None,
                             sequence_length=None, scope=None):
    """A forward and a backward ``static_rnn`` over ``inputs`` (TF1's ``tf.nn.static_bidirectional_rnn``), in
    variable scopes ``bidirectional_rnn/fw`` and ``bidirectional_rnn/bw`` (``scope`` instead of
    ``bidirectional_rnn``); the backward one reads each sequence reversed (its first ``sequence_length`` steps).

    Returns
    -------
    ``(outputs, output_state_fw, output_state_bw)``: ``outputs`` is the list of each step's forward and backward
    outputs concatenated (the backward ones put back in time order).
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype, sequence_length,
                                                    scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(inputs, sequence_length)
            tmp, output_state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length,
                                              scope=bw_scope)
    output_bw = _reverse_seq(tmp, sequence_length)
    flat_outputs = tuple(concat([fw, bw], 1) for fw, bw in zip(flatten(output_fw), flatten(output_bw)))
    return pack_sequence_as(output_fw, flat_outputs), output_state_fw, output_state_bw


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None, initial_state_fw=None,
                              initial_state_bw=None, dtype=None, parallel_iterations=None, swap_memory=False,
                              time_major=False, scope=None):
    """A forward and a backward ``dynamic_rnn`` over ``inputs`` (TF1's ``tf.nn.bidirectional_dynamic_rnn``), in
    variable scopes ``bidirectional_rnn/fw`` and ``bidirectional_rnn/bw``; the backward one reads each sequence
    reversed (its first ``sequence_length`` steps, all of them without).

    Returns
    -------
    ``((output_fw, output_bw), (output_state_fw, output_state_bw))``, the backward outputs put back in time order.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def _reverse(input_):
        input_ = convert_to_tensor(input_)
        if sequence_length is not None:
            return _reverse_sequence(input_, sequence_length, time_axis, batch_axis)
        return reverse(input_, axis=[time_axis])

    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = dynamic_rnn(
                cell=cell_fw, inputs=inputs, sequence_length=sequence_length, initial_state=initial_state_fw,
                dtype=dtype, parallel_iterations=parallel_iterations, swap_memory=swap_memory, time_major=time_major,
                scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            inputs_reverse = map_structure(_reverse, inputs)
            tmp, output_state_bw = dynamic_rnn(
                cell=cell_bw, inputs=inputs_reverse, sequence_length=sequence_length, initial_state=initial_state_bw,
                dtype=dtype, parallel_iterations=parallel_iterations, swap_memory=swap_memory, time_major=time_major,
                scope=bw_scope)
    output_bw = map_structure(_reverse, tmp)
    return (output_fw, output_bw), (output_state_fw, output_state_bw)
