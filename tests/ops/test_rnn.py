"""TF1's recurrent networks (``df.nn.rnn_cell`` and ``df.nn.static_rnn``, ``dynamic_rnn`` and their bidirectional
forms): the programs of ``tests/fixtures/tf1/make_rnn_fixtures.py``, built in daskflow, name and shape their variables
as TensorFlow does and, given TensorFlow's variable values, give TensorFlow's outputs, final states and gradients;
gradients through ``dynamic_rnn`` match finite differences; ``sequence_length`` zeroes the outputs past each length
and carries the state through; an LSTM classifier learns a toy task. Run on the local Session and on a
LocalCluster."""
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.testing import check_grads, load_module

pytestmark = pytest.mark.every_executor

TESTED_OPS = set()  # no op types of their own: cells and RNNs are made of other ops (While, RowWrite, GatherV2...)

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"
rc = df.nn.rnn_cell


def _programs():
    return load_module(FIXTURES / "make_rnn_fixtures.py")


PROGRAMS = _programs()
MANIFEST = json.loads((FIXTURES / "rnn" / "manifest.json").read_text())


# on the cluster, one program per distinct path: a static unroll, a dynamic loop with sequence lengths, a
# bidirectional pair, and shared variables across scopes
@pytest.mark.cluster_cases("case", {"static_bidirectional", "dynamic_sequence_length", "scopes_and_sharing", "gru"})
@pytest.mark.parametrize("case", sorted(PROGRAMS.CASES))
def test_programs_match_tensorflow(case):
    """Variable names, shapes, dtypes and trainability as TF's; with TF's variable values loaded, TF's results and
    the gradients of the same loss (float32: rtol 1e-5; float64: 1e-10)."""
    expected = MANIFEST["cases"][case]
    data = np.load(FIXTURES / "rnn" / f"{case}.npz", allow_pickle=False)
    feeds, results = PROGRAMS.CASES[case](df)
    variables = df.global_variables()
    trainable = df.trainable_variables()
    got = [[v.name, v.shape.as_list(), v.dtype.name, any(v is t for t in trainable)] for v in variables]
    assert got == expected["variables"]
    flat = PROGRAMS.flat_results(results)
    assert [k for k, _ in flat] == expected["results"]
    loss = df.add_n([df.reduce_sum(t * data[f"weight/{k}"]) for k, t in flat])
    floats = [(n, ph) for n, (ph, v) in feeds.items() if v.dtype.kind == "f"]
    grads = df.gradients(loss, variables + [ph for _, ph in floats])
    names = [v.name for v in variables] + [n for n, _ in floats]
    assert [n for n, g in zip(names, grads) if g is not None] == expected["gradients"]
    with df.Session() as sess:
        for v in variables:
            v.load(data[f"var/{v.name}"], sess)
        got = sess.run([t for _, t in flat] + [g for g in grads if g is not None],
                       {ph: data[f"input/{n}"] for n, (ph, _) in feeds.items()})
    tol = dict(rtol=1e-10, atol=1e-12) if case.endswith("float64") else dict(rtol=1e-5, atol=1e-6)
    for (k, t), value in zip(flat, got):
        assert value.dtype == t.dtype and t.shape.is_compatible_with(value.shape), k
        np.testing.assert_allclose(value, data[f"result/{k}"], err_msg=k, **tol)
    for n, value in zip(expected["gradients"], got[len(flat):]):
        np.testing.assert_allclose(value, data[f"grad/{n}"], err_msg=f"gradient of {n}", **tol)


def _parameters_getter(params):
    """A custom getter handing out the given tensors as a cell's variables (by the name's end), so that the
    gradient check can vary them as inputs."""
    def getter(getter, name, *args, **kwargs):
        return params[next(k for k in params if name.endswith(k))]
    return getter


def _gru_rnn(x, h0, gates_kernel, gates_bias, candidate_kernel, candidate_bias):
    params = {"gates/kernel": gates_kernel, "gates/bias": gates_bias, "candidate/kernel": candidate_kernel,
              "candidate/bias": candidate_bias}
    with df.variable_scope("net", custom_getter=_parameters_getter(params)):
        outputs, state = df.nn.dynamic_rnn(rc.GRUCell(3), x, initial_state=h0, sequence_length=[4, 2])
    return [outputs, state]


def _lstm_rnn(x, kernel, bias, w_f, w_i, w_o):
    params = {"kernel": kernel, "bias": bias, "w_f_diag": w_f, "w_i_diag": w_i, "w_o_diag": w_o}
    with df.variable_scope("net", custom_getter=_parameters_getter(params)):
        cell = rc.LSTMCell(3, use_peepholes=True, forget_bias=0.5)
        outputs, state = df.nn.dynamic_rnn(cell, x, dtype=df.float64, time_major=True)
    return [outputs, state.c, state.h]


def test_gradients_through_dynamic_rnn_match_finite_differences():
    rng = np.random.default_rng(0)
    check_grads(_gru_rnn, [rng.uniform(-1, 1, s) for s in [(2, 4, 2), (2, 3), (5, 6), (6,), (5, 3), (3,)]])
    check_grads(_lstm_rnn, [rng.uniform(-1, 1, s) for s in [(3, 2, 2), (5, 12), (12,), (3,), (3,), (3,)]],
                chunks=[((1, 2), (1, 1), (2,)), ((2, 3), (5, 7)), ((5, 7),), None, None, None])


def test_sequence_length_zeroes_outputs_and_carries_the_state_through():
    """Past its length a sequence's outputs are zeros and its state stays at its last step (the initial state
    for length 0); before it, the outputs are those of the full run."""
    x = df.placeholder(df.float32, [4, 6, 3])
    lengths = df.placeholder(df.int32, [4])
    c0, h0 = df.placeholder(df.float32, [4, 5]), df.placeholder(df.float32, [4, 5])
    cell = rc.BasicLSTMCell(5)
    start = rc.LSTMStateTuple(c0, h0)
    outputs, state = df.nn.dynamic_rnn(cell, x, sequence_length=lengths, initial_state=start)
    full, _ = df.nn.dynamic_rnn(cell, x, initial_state=start)  # the same cell: its variables again
    assert len(df.global_variables()) == 2 and isinstance(state, rc.LSTMStateTuple)
    rng = np.random.default_rng(1)
    feed = {x: rng.standard_normal((4, 6, 3)).astype(np.float32), c0: rng.standard_normal((4, 5)).astype(np.float32),
            h0: rng.standard_normal((4, 5)).astype(np.float32), lengths: [6, 0, 2, 3]}
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        out, (c, h), whole = sess.run([outputs, state, full], feed)
    for b, n in enumerate(feed[lengths]):
        np.testing.assert_array_equal(out[b, n:], 0.0)
        np.testing.assert_allclose(out[b, :n], whole[b, :n], rtol=1e-6, atol=1e-6)
        if n:
            np.testing.assert_allclose(h[b], out[b, n - 1], rtol=1e-6)
        else:
            np.testing.assert_array_equal(c[b], feed[c0][b])
            np.testing.assert_array_equal(h[b], feed[h0][b])


def test_an_lstm_classifier_learns():
    """Which sign came first, read through three more steps of noise: Adam on an LSTM's last output (8 steps; a
    step is a run of the loop over time and of its gradient loop)."""
    rng = np.random.default_rng(0)
    n, steps = 64, 4
    xs = rng.uniform(-0.5, 0.5, (n, steps, 1)).astype(np.float32)
    ys = (rng.uniform(size=n) < 0.5).astype(np.int64)
    xs[:, 0, 0] = np.where(ys == 1, 1.0, -1.0)
    df.set_random_seed(0)
    x = df.placeholder(df.float32, [None, steps, 1])
    y = df.placeholder(df.int64, [None])
    _, state = df.nn.dynamic_rnn(rc.LSTMCell(8), x, dtype=df.float32)
    with df.variable_scope("softmax"):
        logits = df.matmul(state.h, df.get_variable("W", [8, 2])) + df.get_variable("b", [2],
                                                                                    initializer=df.zeros_initializer())
    loss = df.reduce_mean(df.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = df.train.AdamOptimizer(0.1).minimize(loss)
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        losses = [sess.run([loss, train], {x: xs, y: ys})[0] for _ in range(8)]
        last = sess.run(loss, {x: xs, y: ys})
    assert losses[0] > 0.6 and last < 0.2 * losses[0], (losses, last)


def _same(a, b):
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def test_cells_share_variables_by_scope_as_tf1():
    """Names, sharing and the errors of TF1 (checked against TensorFlow 2.21's compat.v1)."""
    x = df.placeholder(df.float32, [2, 3, 4])
    df.nn.dynamic_rnn(rc.GRUCell(3), x, dtype=df.float32)
    with pytest.raises(ValueError, match="Variable rnn/gru_cell/gates/kernel already exists"):
        df.nn.dynamic_rnn(rc.GRUCell(3), x, dtype=df.float32)  # a second cell in the same scope, as TF1
    shared = rc.GRUCell(3, name="gru_cell", reuse=True)  # reuse=True: the variables of the same name
    df.nn.dynamic_rnn(shared, x, dtype=df.float32, scope="rnn")
    assert _same(shared.trainable_weights, df.trainable_variables()[:4])
    two = [rc.BasicLSTMCell(2), rc.BasicLSTMCell(2)]
    steps = df.unstack(x, axis=1)
    with df.variable_scope("layer"):
        outputs, _ = df.nn.static_rnn(two[0], steps, dtype=df.float32)
        df.nn.static_rnn(two[1], outputs, dtype=df.float32, scope="rnn2")
    names = [v.name for v in df.global_variables()[4:]]
    assert names == ["layer/rnn/basic_lstm_cell/kernel:0", "layer/rnn/basic_lstm_cell/bias:0",
                     "layer/rnn2/basic_lstm_cell/kernel:0", "layer/rnn2/basic_lstm_cell/bias:0"]
    assert [w.shape.as_list() for w in two[1].weights] == [[4, 8], [8]]
    stack = rc.MultiRNNCell([rc.BasicRNNCell(2), rc.BasicRNNCell(2)])
    h, s = stack(steps[0], stack.zero_state(2, df.float32), scope="stacked")
    assert [v.name for v in stack.trainable_variables] == [
        "stacked/cell_0/basic_rnn_cell/kernel:0", "stacked/cell_0/basic_rnn_cell/bias:0",
        "stacked/cell_1/basic_rnn_cell/kernel:0", "stacked/cell_1/basic_rnn_cell/bias:0"]


def test_cells_api_and_errors():
    assert sorted(rc.__all__) == ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
                                  "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper"]
    lstm = rc.LSTMCell(4, num_proj=2)
    assert lstm.state_size == (4, 2) and lstm.output_size == 2
    multi = rc.MultiRNNCell([rc.GRUCell(3), lstm])
    assert multi.state_size == (3, rc.LSTMStateTuple(4, 2)) and multi.output_size == 2
    batch = df.placeholder(df.int32, [])
    zero = multi.zero_state(batch, df.float64)
    assert zero[1].c.shape.as_list() == [None, 4] and zero[1].dtype == np.float64
    assert rc.BasicLSTMCell(3, state_is_tuple=False).zero_state(5, df.float32).shape.as_list() == [5, 6]
    x = df.placeholder(df.float32, [2, 3, 4])
    with pytest.raises(ValueError, match="argument `dtype` must be specified"):
        df.nn.dynamic_rnn(rc.GRUCell(3), x)
    with pytest.raises(ValueError, match="RNN cell only supports floating point inputs"):
        rc.GRUCell(3)(df.zeros([2, 4], df.int32), df.zeros([2, 3], df.int32))
    with pytest.raises(ValueError, match="Input size \\(depth of inputs\\) must be accessible"):
        df.nn.dynamic_rnn(rc.GRUCell(3), df.placeholder(df.float32, [2, 3, None]), dtype=df.float32, scope="a")
    with pytest.raises(TypeError, match="is not an RNNCell"):
        df.nn.dynamic_rnn(object(), x, dtype=df.float32)
    with pytest.raises(ValueError, match="Expected shape for Tensor"):
        df.nn.dynamic_rnn(rc.GRUCell(3), x, sequence_length=[1, 2, 3], dtype=df.float32, scope="b")


def test_dropout_wrapper_drops_per_step_or_per_run():
    """Dropout on the outputs: elements zero or scaled by 1 / keep_prob, a new mask at each step; with
    ``variational_recurrent`` one mask for every step of a run. The memory of an LSTM state is never dropped."""
    x = df.ones([64, 4, 3])
    df.set_random_seed(1)
    plain = rc.DropoutWrapper(rc.BasicRNNCell(8), output_keep_prob=0.5, seed=3)
    out, _ = df.nn.dynamic_rnn(plain, x, dtype=df.float32, scope="plain")
    reference, _ = df.nn.dynamic_rnn(rc.BasicRNNCell(8), x, dtype=df.float32, scope="reference")
    same = rc.DropoutWrapper(rc.BasicRNNCell(32), output_keep_prob=0.5, variational_recurrent=True,
                             dtype=df.float32)
    var_out, _ = df.nn.dynamic_rnn(same, x, dtype=df.float32, scope="variational")
    lstm = rc.DropoutWrapper(rc.BasicLSTMCell(4), state_keep_prob=0.5)
    one = df.ones([64, 1, 3])
    _, state = df.nn.dynamic_rnn(lstm, one, dtype=df.float32, scope="lstm")
    _, kept = df.nn.dynamic_rnn(lstm.cell, one, dtype=df.float32, scope="lstm")  # the same variables, no dropout
    names = [v.name for v in df.global_variables()]
    assert names[:2] == ["plain/basic_rnn_cell/kernel:0", "plain/basic_rnn_cell/bias:0"]
    assert names[-2:] == ["lstm/basic_lstm_cell/kernel:0", "lstm/basic_lstm_cell/bias:0"]
    with df.Session() as sess:
        sess.run(df.global_variables_initializer())
        for v, w in zip(df.global_variables()[:2], df.global_variables()[2:4]):
            w.load(sess.run(v), sess)
        got, ref, var, (c, h), (c_kept, h_kept) = sess.run([out, reference, var_out, state, kept])
    dropped = got == 0
    assert 0.3 < dropped.mean() < 0.7
    np.testing.assert_allclose(got[~dropped], 2 * ref[~dropped], rtol=1e-6)
    assert (dropped[:, 0] != dropped[:, 1]).any()  # a mask per step
    var_dropped = var == 0
    assert 0.2 < var_dropped.mean() < 0.8
    assert (var_dropped == var_dropped[:, :1]).all()  # one mask for every step
    np.testing.assert_array_equal(c, c_kept)
    assert 0.3 < (h == 0).mean() < 0.7
    np.testing.assert_allclose(h[h != 0], 2 * h_kept[h != 0], rtol=1e-6)
    with pytest.raises(ValueError, match="must be between 0 and 1"):
        rc.DropoutWrapper(rc.GRUCell(2), input_keep_prob=1.5)


def test_lstm_cell_with_sharded_kernels_names_parts_as_tf_and_computes_as_one(executor):
    """num_unit_shards / num_proj_shards partition the kernels with TF's fixed_size_partitioner (TF 2.21's names and
    shapes below); with the parts holding the slices of a whole kernel, the outputs equal the unsharded cell's."""
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((2, 3, 4)).astype("f4")
    x = df.placeholder(df.float32, [2, 3, 4])
    with df.variable_scope("sharded"):
        sharded = rc.LSTMCell(5, num_proj=3, num_unit_shards=2, num_proj_shards=3)
        out_s, _ = df.nn.dynamic_rnn(sharded, x, dtype=df.float32)
    with df.variable_scope("whole"):
        whole = rc.LSTMCell(5, num_proj=3)
        out_w, _ = df.nn.dynamic_rnn(whole, x, dtype=df.float32)
    names = [(v.name, v.shape.as_list()) for v in df.global_variables() if v.name.startswith("sharded/")]
    assert names == [("sharded/rnn/lstm_cell/kernel/part_0:0", [4, 20]),
                     ("sharded/rnn/lstm_cell/kernel/part_1:0", [3, 20]), ("sharded/rnn/lstm_cell/bias:0", [20]),
                     ("sharded/rnn/lstm_cell/projection/kernel/part_0:0", [2, 3]),
                     ("sharded/rnn/lstm_cell/projection/kernel/part_1:0", [2, 3]),
                     ("sharded/rnn/lstm_cell/projection/kernel/part_2:0", [1, 3])]
    kernel, bias, proj = rng.standard_normal((7, 20)), rng.standard_normal(20), rng.standard_normal((5, 3))
    with df.Session() as s:
        for prefix, (k_parts, p_parts) in {"sharded": ([kernel[:4], kernel[4:]], [proj[:2], proj[2:4], proj[4:]]),
                                           "whole": ([kernel], [proj])}.items():
            vs = [v for v in df.global_variables() if v.name.startswith(prefix + "/")]
            ks = [v for v in vs if "/lstm_cell/kernel" in v.name]
            ps = [v for v in vs if "projection" in v.name]
            for v, val in zip(ks + ps, k_parts + p_parts):
                v.load(val.astype("f4"), s)
            next(v for v in vs if v.name.endswith("bias:0")).load(bias.astype("f4"), s)
        got_s, got_w = s.run([out_s, out_w], {x: xv})
    np.testing.assert_allclose(got_s, got_w, rtol=1e-6, atol=1e-7)
