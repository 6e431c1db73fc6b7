"""``static_state_saving_rnn``: static_rnn from a state saver's state, saving the final state back to it."""
import numpy as np
import pytest

import daskflow as df
from daskflow.ops.rnn_state_saving import static_state_saving_rnn

B, T, D, H = 2, 3, 4, 5


class VariableStateSaver:
    """A state saver holding each named state in a variable of zeros (what a segment's first run starts from)."""

    def __init__(self, sizes):
        self.vars = {n: df.Variable(np.zeros((B, s), np.float32), name=f"saved_{n}") for n, s in sizes.items()}
        self.saved = []

    def state(self, name):
        return df.identity(self.vars[name])

    def save_state(self, name, value):
        self.saved.append(name)
        return self.vars[name].assign(value)


def _inputs(seed):
    return [np.random.RandomState(seed + t).uniform(-1, 1, (B, D)).astype(np.float32) for t in range(T)]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_outputs_are_static_rnns_and_state_carries_over(kind):
    with df.Graph().as_default():
        xs = [df.placeholder(df.float32, [B, D]) for _ in range(T)]
        if kind == "lstm":
            cell, names = df.nn.rnn_cell.LSTMCell(H), df.nn.rnn_cell.LSTMStateTuple("c", "h")
        else:
            cell, names = df.nn.rnn_cell.GRUCell(H), "h"
        saver = VariableStateSaver({"c": H, "h": H} if kind == "lstm" else {"h": H})
        outs, state = static_state_saving_rnn(cell, xs, saver, names, scope="seg")
        assert sorted(saver.saved) == sorted(df.nest.flatten(names))
        # the same cell over the same inputs, from an initial state fed explicitly
        init = df.nest.pack_sequence_as(cell.state_size, [df.placeholder(df.float32, [B, H]) for _ in
                                                          df.nest.flatten(cell.state_size)])
        ref_outs, ref_state = df.nn.static_rnn(cell, xs, initial_state=init, scope="seg")
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            carried = [np.zeros((B, H), np.float32) for _ in df.nest.flatten(init)]
            for run in range(2):
                feed = dict(zip(xs, _inputs(10 * run)))
                got_outs, got_state = s.run([outs, df.nest.flatten(state)], feed)
                want_outs, want_state = s.run([ref_outs, df.nest.flatten(ref_state)],
                                              {**feed, **dict(zip(df.nest.flatten(init), carried))})
                for g, w in zip(got_outs + got_state, want_outs + want_state):
                    np.testing.assert_allclose(g, w, rtol=1e-6)
                saved = s.run([saver.vars[n] for n in df.nest.flatten(names)])
                for g, w in zip(saved, want_state):  # the final state was saved for the next run
                    np.testing.assert_allclose(g, w, rtol=1e-6)
                carried = want_state


def test_state_name_must_match_state_size():
    with df.Graph().as_default():
        xs = [df.zeros([B, D])]
        saver = VariableStateSaver({"h": H})
        with pytest.raises(ValueError, match="`state_name` should be the same type as `cell.state_size`"):
            static_state_saving_rnn(df.nn.rnn_cell.LSTMCell(H), xs, saver, "h")
        with pytest.raises(ValueError, match="Number of elements in argument `state_name`"):
            static_state_saving_rnn(df.nn.rnn_cell.LSTMCell(H), xs, saver, ("c", "h", "x"))
