"""The rest of TF1's ``tf.nn``: ``raw_rnn`` (an RNN driven by a user's ``loop_fn``, in a ``while_loop``) and the
fractional poolings of ``nn_fractional``.

``static_state_saving_rnn`` is left out: it needs a state saver (TF's contrib ``SequenceQueueingStateSaver``, which
batches segments of long sequences from input queues), and daskflow has none.
"""
from .. import dtypes
from ..graph import TensorShape
from ..nest import assert_same_structure, flatten, map_structure, pack_sequence_as
from .generate import shape as shape_of, zeros
from .loops import while_loop
from .math import logical_not, logical_or, where
from .nn_fractional import fractional_avg_pool, fractional_max_pool
from .reduce import reduce_all
from .registry import convert_to_tensor
from .rnn import _build_cell
from .rnn_cell import _dims, assert_like_rnncell
from .state import constant
from .tensor_array import TensorArray
from .variable_scope import variable_scope

__all__ = []
NAMESPACES = {"nn": ["raw_rnn", "fractional_max_pool", "fractional_avg_pool"]}
_ = (fractional_max_pool, fractional_avg_pool)


def _emit_size(emit):
    return list(emit.shape) if emit.shape.is_fully_defined() else shape_of(emit)


def _zeros(batch_size, size, dtype):
    import daskflow as df
    if isinstance(size, list) and all(isinstance(d, int) for d in size) and isinstance(batch_size, int):
        return zeros([batch_size] + size, dtype)
    size = size if not isinstance(size, list) else df.constant(size, dtypes.int32)
    return zeros(df.concat([df.reshape(convert_to_tensor(batch_size, dtype=dtypes.int32), [1]),
                            df.cast(size, dtypes.int32)], 0), dtype)


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """Run ``cell`` in a ``while_loop`` whose inputs, stopping and outputs ``loop_fn`` decides (TF1's ``raw_rnn``).

    ``loop_fn(time, cell_output, cell_state, loop_state)`` returns ``(finished, next_input, next_cell_state,
    emit_output, next_loop_state)``. It is called first with ``time = 0`` and ``cell_output``, ``cell_state``,
    ``loop_state`` None: its ``next_cell_state`` is then the initial state, ``emit_output`` (or None: the cell's
    ``output_size``) the structure of what is emitted, and ``next_loop_state`` the initial loop state. Then, while
    some batch entry is not finished, the cell runs on ``next_input`` and ``loop_fn`` is called with ``time + 1``
    and the cell's output and state. Once an entry is finished its emitted values are zeros and its state is kept.

    Returns ``(emit_ta, final_state, final_loop_state)``: TensorArrays (nested as the emit structure) holding each
    step's ``[batch, ...]`` emits, the last state, and the last loop state (None if ``loop_fn`` gave none).
    """
    assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError(f"Argument `loop_fn` must be a callable. Received: {loop_fn}.")
    with variable_scope(scope or "rnn"):
        time = constant(0, dtype=dtypes.int32)
        finished, next_input, initial_state, emit_structure, init_loop_state = loop_fn(time, None, None, None)
        flat_input = [convert_to_tensor(x) for x in flatten(next_input)]
        next_input = pack_sequence_as(next_input, flat_input)
        finished = convert_to_tensor(finished, dtype=dtypes.bool)
        loop_state = init_loop_state if init_loop_state is not None else constant(0, dtype=dtypes.int32)
        static_batch = TensorShape([None])
        for x in flat_input:
            static_batch = static_batch.merge_with(TensorShape(x.shape[:1]) if x.shape.ndims else TensorShape([None]))
        const_batch = static_batch[0]
        batch_size = const_batch if const_batch is not None else shape_of(flat_input[0])[0]
        assert_same_structure(initial_state, cell.state_size)
        state = pack_sequence_as(initial_state, [convert_to_tensor(s) for s in flatten(initial_state)])
        flat_state = flatten(state)
        if emit_structure is not None:
            flat_emit = [convert_to_tensor(e) for e in flatten(emit_structure)]
            sizes, emit_dtypes = [_emit_size(e) for e in flat_emit], [e.dtype for e in flat_emit]
        else:
            emit_structure = cell.output_size
            sizes = [_dims(s) for s in flatten(emit_structure)]
            emit_dtypes = [flat_state[0].dtype] * len(sizes)
        flat_ta = [TensorArray(dtype=dt, size=0, dynamic_size=True, tensor_array_name=f"rnn_output_{i}",
                               element_shape=TensorShape([const_batch] + s) if isinstance(s, list) else None)
                   for i, (dt, s) in enumerate(zip(emit_dtypes, sizes))]
        emit_ta = pack_sequence_as(emit_structure, flat_ta)
        zero_emit = pack_sequence_as(emit_structure, [_zeros(batch_size, s, dt) for s, dt in zip(sizes, emit_dtypes)])
        _build_cell(cell, next_input, state)

        def condition(unused_time, elements_finished, *_):
            return logical_not(reduce_all(elements_finished))

        def body(time, elements_finished, current_input, emit_ta, state, loop_state):
            next_output, cell_state = cell(current_input, state)
            assert_same_structure(state, cell_state)
            assert_same_structure(cell.output_size, next_output)
            next_time = time + 1
            next_finished, next_input, next_state, emit_output, next_loop_state = loop_fn(
                next_time, next_output, cell_state, loop_state)
            assert_same_structure(state, next_state)
            assert_same_structure(current_input, next_input)
            assert_same_structure(emit_ta, emit_output)
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_some_through(current, candidate):
                def copy(cur, cand):
                    if isinstance(cur, TensorArray) or cur.shape.ndims == 0:
                        return cand
                    return where(elements_finished, cur, cand)
                return map_structure(copy, current, candidate)
            emit_output = copy_some_through(zero_emit, emit_output)
            next_state = copy_some_through(state, next_state)
            emit_ta = map_structure(lambda ta, emit: ta.write(time, emit), emit_ta, emit_output)
            elements_finished = logical_or(elements_finished, convert_to_tensor(next_finished, dtype=dtypes.bool))
            return next_time, elements_finished, next_input, emit_ta, next_state, loop_state

        returned = while_loop(condition, body, loop_vars=[time, finished, next_input, emit_ta, state, loop_state],
                              parallel_iterations=parallel_iterations or 32, swap_memory=swap_memory)
        emit_ta, final_state, final_loop_state = returned[-3:]
        return emit_ta, final_state, None if init_loop_state is None else final_loop_state
