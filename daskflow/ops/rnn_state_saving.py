"""TF1's ``tf.nn.static_state_saving_rnn``: ``static_rnn`` over one segment of longer sequences, its initial state
read from a state saver and its final state saved back to it, so that the next segment (the next run) carries on
from where this one stopped.

A state saver is any object with ``state(name)`` (a tensor: the state saved under ``name``) and
``save_state(name, value)`` (an op or tensor that saves ``value`` under ``name``), as TF1's
``SequenceQueueingStateSaver``. The saves run whenever the last output or the final state is computed (they are
control dependencies of both, as in TF).
"""
from ..graph import control_dependencies
from ..nest import _is_nested, flatten, pack_sequence_as
from .rnn import static_rnn
from .state import identity

__all__ = []
NAMESPACES = {"nn": ["static_state_saving_rnn"]}


def static_state_saving_rnn(cell, inputs, state_saver, state_name, sequence_length=None, scope=None):
    """``static_rnn`` with the initial state ``state_saver.state(state_name)``, whose final state is saved with
    ``state_saver.save_state(state_name, state)`` (TF1's ``tf.nn.static_state_saving_rnn``).

    Parameters
    ----------
    cell : RNNCell
    inputs : list of Tensors
        One ``[batch, input_size]`` tensor per time step.
    state_saver : object with ``state(name)`` and ``save_state(name, value)``
    state_name : str, or a structure of str like ``cell.state_size``
        The name (names, for a tuple state) the state is saved under.
    sequence_length, scope
        As ``static_rnn``'s.

    Returns
    -------
    ``(outputs, state)`` as ``static_rnn``'s; the last output and the state depend on the saves.
    """
    state_size = cell.state_size
    if _is_nested(state_size) != _is_nested(state_name):
        raise ValueError(f"Argument `state_name` should be the same type as `cell.state_size`. Received: "
                         f"state_name={state_name!s}, cell.state_size={state_size!s}.")
    names = flatten(state_name)
    if _is_nested(state_size):
        if len(names) != len(flatten(state_size)):
            raise ValueError(f"Number of elements in argument `state_name` and `cell.state_size` are mismatched. "
                             f"Received state_name={state_name} with {len(names)} elements and "
                             f"cell.state_size={state_size} with {len(flatten(state_size))} elements.")
        initial_state = pack_sequence_as(state_size, [state_saver.state(n) for n in names])
    else:
        initial_state = state_saver.state(state_name)
    outputs, state = static_rnn(cell, inputs, initial_state=initial_state, sequence_length=sequence_length,
                                scope=scope)
    flat_state = flatten(state)
    saves = [state_saver.save_state(n, s) for n, s in zip(names, flat_state)]
    with control_dependencies(flatten(saves)):
        outputs = list(outputs)
        outputs[-1] = pack_sequence_as(outputs[-1], [identity(o) for o in flatten(outputs[-1])])
        state = pack_sequence_as(state, [identity(s) for s in flat_state])
    return outputs, state
