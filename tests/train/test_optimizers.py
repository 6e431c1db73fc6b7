"""df.train: optimizer updates against numpy references, slots, the global step, learning rate schedules, and
whole training loops."""
import dask
import dask.array as da
import numpy as np
import pytest

import daskflow as df
import daskflow.train as train

pytestmark = pytest.mark.every_executor  # and again on a LocalCluster (tests/conftest.py)


RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 3))
Y = RNG.normal(size=(8, 2))
W0 = RNG.normal(size=(3, 2))
B0 = RNG.normal(size=(2,))
STEPS = 5


def np_loss(w, b):
    return np.mean(np.square(X @ w + b - Y))


def np_grads(w, b):
    r = 2 * (X @ w + b - Y) / Y.size
    return [X.T @ r, r.sum(0)]


# -- reference updates in numpy, as TF1 documents them: update(param, grad, state, t) -> new param

def sgd(lr):
    return lambda p, g, s, t: p - lr * g


def momentum(lr, mu, nesterov=False):
    def update(p, g, s, t):
        s["a"] = mu * s.get("a", 0) + g
        return p - lr * (g + mu * s["a"]) if nesterov else p - lr * s["a"]
    return update


def adagrad(lr, init=0.1):
    def update(p, g, s, t):
        s["acc"] = s.get("acc", init) + g * g
        return p - lr * g / np.sqrt(s["acc"])
    return update


def adadelta(lr=0.001, rho=0.95, eps=1e-8):
    def update(p, g, s, t):
        s["acc"] = rho * s.get("acc", 0) + (1 - rho) * g * g
        step = np.sqrt(s.get("upd", 0) + eps) / np.sqrt(s["acc"] + eps) * g
        s["upd"] = rho * s.get("upd", 0) + (1 - rho) * step * step
        return p - lr * step
    return update


def rmsprop(lr, rho=0.9, mu=0.0, eps=1e-10, centered=False):
    def update(p, g, s, t):
        s["ms"] = rho * s.get("ms", 1.0) + (1 - rho) * g * g
        s["mg"] = rho * s.get("mg", 0.0) + (1 - rho) * g if centered else 0.0
        s["mom"] = mu * s.get("mom", 0.0) + lr * g / np.sqrt(s["ms"] - np.square(s["mg"]) + eps)
        return p - s["mom"]
    return update


def adam(lr=0.001, b1=0.9, b2=0.999, eps=1e-8):
    def update(p, g, s, t):
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return p - lr_t * s["m"] / (np.sqrt(s["v"]) + eps)
    return update


CASES = {
    "sgd": (lambda: train.GradientDescentOptimizer(0.3), sgd(0.3)),
    "momentum": (lambda: train.MomentumOptimizer(0.1, 0.9), momentum(0.1, 0.9)),
    "nesterov": (lambda: train.MomentumOptimizer(0.1, 0.8, use_nesterov=True), momentum(0.1, 0.8, True)),
    "adagrad": (lambda: train.AdagradOptimizer(0.2), adagrad(0.2)),
    "adagrad_init": (lambda: train.AdagradOptimizer(0.2, initial_accumulator_value=0.5), adagrad(0.2, 0.5)),
    "adadelta": (lambda: train.AdadeltaOptimizer(1.0), adadelta(1.0)),
    "adadelta_options": (lambda: train.AdadeltaOptimizer(0.5, rho=0.8, epsilon=1e-4), adadelta(0.5, 0.8, 1e-4)),
    "rmsprop": (lambda: train.RMSPropOptimizer(0.01), rmsprop(0.01)),
    "rmsprop_momentum": (lambda: train.RMSPropOptimizer(0.01, decay=0.8, momentum=0.7, epsilon=1e-3),
                         rmsprop(0.01, 0.8, 0.7, 1e-3)),
    "rmsprop_centered": (lambda: train.RMSPropOptimizer(0.01, centered=True), rmsprop(0.01, centered=True)),
    "rmsprop_centered_momentum": (lambda: train.RMSPropOptimizer(0.02, momentum=0.5, epsilon=1e-4, centered=True),
                                  rmsprop(0.02, mu=0.5, eps=1e-4, centered=True)),
    "adam": (lambda: train.AdamOptimizer(0.1), adam(0.1)),
    "adam_options": (lambda: train.AdamOptimizer(0.05, beta1=0.8, beta2=0.99, epsilon=1e-3),
                     adam(0.05, 0.8, 0.99, 1e-3)),
}


def reference(update, steps=STEPS):
    """Parameters and loss (before the step) after each of ``steps`` steps of ``update``."""
    params, states, out = [W0.copy(), B0.copy()], [{}, {}], []
    for t in range(1, steps + 1):
        loss = np_loss(*params)
        params = [update(p, g, s, t) for p, g, s in zip(params, np_grads(*params), states)]
        out.append((loss, params))
    return out


def variables(dtype=np.float64):
    return df.Variable(W0.astype(dtype), name="w"), df.Variable(B0.astype(dtype), name="b")


def loss_of(w, b):
    return df.reduce_mean(df.square(df.matmul(df.constant(X), w) + b - df.constant(Y)), name="loss")


@pytest.mark.parametrize("case", sorted(CASES))
def test_apply_gradients_matches_reference(case):
    make, update = CASES[case]
    w, b = variables()
    gw, gb = df.placeholder(df.float64, W0.shape), df.placeholder(df.float64, B0.shape)
    step = make().apply_gradients([(gw, w), (gb, b)])
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for _, (w_ref, b_ref) in reference(update):
            dw, db = np_grads(*s.run([w, b]))
            s.run(step, {gw: dw, gb: db})
            np.testing.assert_allclose(s.run(w), w_ref, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(s.run(b), b_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_minimize_matches_reference(case):
    make, update = CASES[case]
    w, b = variables()
    loss = loss_of(w, b)
    step = make().minimize(loss)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for loss_ref, (w_ref, b_ref) in reference(update):
            lv, _ = s.run([loss, step])
            np.testing.assert_allclose(lv, loss_ref, rtol=1e-10)  # the loss before the step
        np.testing.assert_allclose(s.run(w), w_ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(s.run(b), b_ref, rtol=1e-9, atol=1e-12)


def test_float32_and_mixed_dtypes():
    w = df.Variable(W0.astype("f4"), name="w")
    b = df.Variable(B0, name="b")  # float64 next to a float32 variable: hyper-parameters per dtype
    gw, gb = df.placeholder(df.float32, W0.shape), df.placeholder(df.float64, B0.shape)
    opt = train.AdamOptimizer(0.1)
    step = opt.apply_gradients([(gw, w), (gb, b)])
    assert opt._get_non_slot_variable("beta1_power").dtype == np.float64  # made in the dtype of "b", first by name
    update = adam(0.1)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for _, (w_ref, b_ref) in reference(update):
            dw, db = np_grads(*s.run([w, b]))
            s.run(step, {gw: dw, gb: db})
        assert s.run(w).dtype == np.float32
        np.testing.assert_allclose(s.run(w), w_ref, rtol=1e-5)
        np.testing.assert_allclose(s.run(b), b_ref, rtol=1e-5)


def test_learning_rate_tensor_callable_and_cast():
    v = df.Variable(np.ones(3), name="v")
    lr = df.placeholder(df.float32, ())  # cast to the variable's float64
    step = train.GradientDescentOptimizer(lr).apply_gradients([(np.array([1.0, 2.0, 4.0]), v)])
    calls = []
    u = df.Variable(np.ones(2, "f4"), name="u")
    u64 = df.Variable(np.ones(2), name="u64")
    step2 = train.MomentumOptimizer(lambda: calls.append(1) or 0.5, momentum=lambda: 0.5).apply_gradients(
        [(df.constant([1.0, 1.0]), u), (np.ones(2), u64)])
    assert calls == [1]  # called once, when the update ops are built, whatever the number of dtypes
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        s.run(step, {lr: 0.5})
        s.run(step, {lr: 0.25})
        np.testing.assert_allclose(s.run(v), 1 - 0.75 * np.array([1.0, 2.0, 4.0]))
        s.run(step2)
        s.run(step2)
        np.testing.assert_allclose(s.run([u, u64]), np.full((2, 2), 1 - 0.5 * 1 - 0.5 * 1.5))


def test_adam_beta_powers_follow_the_steps():
    w, b = variables()
    opt = train.AdamOptimizer(0.1, beta1=0.5, beta2=0.75)
    step = opt.minimize(loss_of(w, b))
    b1p, b2p = opt._get_beta_accumulators()
    assert (b1p.op.name, b2p.op.name) == ("beta1_power", "beta2_power")
    assert not b1p.trainable and b1p in df.global_variables()
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        assert s.run([b1p, b2p]) == [0.5, 0.75]
        s.run(step)
        s.run(step)
        np.testing.assert_allclose(s.run([b1p, b2p]), [0.5 ** 3, 0.75 ** 3])



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, chunk_bytes", [((), None), ((40, 6), None), ((40, 6), 8 * 6 * 8)])
def test_adam_matches_the_formula_over_steps(dtype, shape, chunk_bytes):
    """Scalar, one-block and several-block variables (a small chunk_bytes cuts the last into row blocks)."""
    rng = np.random.default_rng(1)
    v0, target = (np.asarray(rng.standard_normal(shape), dtype) for _ in range(2))
    update, state, ref = adam(0.05, 0.8, 0.99, 1e-3), {}, v0.astype(np.float64)
    with df.config.set(**({"chunk_bytes": chunk_bytes} if chunk_bytes else {})):
        var = df.Variable(v0, name="p")
        step = train.AdamOptimizer(0.05, beta1=0.8, beta2=0.99, epsilon=1e-3).minimize(
            df.reduce_sum(df.square(var - target)) / 2)  # the gradient is var - target
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            if chunk_bytes:
                assert df.lower(var.read_value()).numblocks[0] > 1
            for t in range(1, 5):
                s.run(step)
                ref = update(ref, ref - target, state, t)
                got = s.run(var)
                assert np.asarray(got).dtype == dtype and np.shape(got) == shape
                np.testing.assert_allclose(got, ref, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


# -- slots

@pytest.mark.parametrize("make, slots", [
    (lambda: train.GradientDescentOptimizer(0.1), {}),
    (lambda: train.MomentumOptimizer(0.1, 0.9), {"momentum": ("Momentum", 0.0)}),
    (lambda: train.AdagradOptimizer(0.1, 0.3), {"accumulator": ("Adagrad", 0.3)}),
    (lambda: train.RMSPropOptimizer(0.1), {"rms": ("RMSProp", 1.0), "momentum": ("RMSProp_1", 0.0)}),
    (lambda: train.RMSPropOptimizer(0.1, centered=True),
     {"rms": ("RMSProp", 1.0), "mg": ("RMSProp_1", 0.0), "momentum": ("RMSProp_2", 0.0)}),
    (lambda: train.AdamOptimizer(), {"m": ("Adam", 0.0), "v": ("Adam_1", 0.0)}),
    (lambda: train.AdadeltaOptimizer(), {"accum": ("Adadelta", 0.0), "accum_update": ("Adadelta_1", 0.0)}),
])
def test_slots_are_named_shaped_and_initialised_as_tf(make, slots):
    with df.name_scope("layer"):
        w = df.Variable(np.ones((3, 2), "f4"), name="w")
    b = df.Variable(np.ones(2, "f4"), name="b")
    opt = make()
    with df.name_scope("outer"):
        opt.apply_gradients([(df.ones((3, 2)), w), (df.ones((2,)), b)])
    assert opt.get_slot_names() == sorted(slots)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for slot, (suffix, init) in slots.items():
            for v in (w, b):
                sv = opt.get_slot(v, slot)
                assert sv.op.name == f"{v.op.name}/{suffix}"
                assert sv.shape == v.shape and sv.dtype == v.dtype
                assert not sv.trainable and sv in df.global_variables() and sv not in df.trainable_variables()
                np.testing.assert_array_equal(s.run(sv), np.full(v.shape, init, "f4"))
    assert opt.get_slot(w, "nope") is None
    extra = ["outer/beta1_power:0", "outer/beta2_power:0"] if "m" in slots else []
    assert [v.name for v in opt.variables()] == sorted(
        extra + [opt.get_slot(v, k).name for k in slots for v in (w, b)])


def test_updates_and_slots_go_where_their_variable_is():
    with df.device("/cpu:0"):
        v = df.Variable(np.ones(2), name="v")
    opt = train.MomentumOptimizer(0.1, 0.9)
    step = opt.apply_gradients([(np.ones(2), v)])
    assert v.op.device and opt.get_slot(v, "momentum").op.device == v.op.device
    assert step.control_inputs[0].device == v.op.device  # the update, an AssignSub


def test_slots_are_made_once_and_reused():
    w, b = variables()
    opt = train.AdamOptimizer(0.1)
    loss = loss_of(w, b)
    opt.minimize(loss)
    m = opt.get_slot(w, "m")
    opt.minimize(loss * 2.0)
    assert opt.get_slot(w, "m") is m
    assert len(opt.variables()) == 6


def test_slot_of_a_variable_without_gradient_is_not_made():
    w, b = variables()
    opt = train.MomentumOptimizer(0.1, 0.9)
    step = opt.apply_gradients([(df.constant(np.ones(2)), b), (None, w)])
    assert opt.get_slot(w, "momentum") is None and opt.get_slot(b, "momentum") is not None
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        s.run(step)
        np.testing.assert_array_equal(s.run(w), W0)
        np.testing.assert_allclose(s.run(b), B0 - 0.1)


# -- the global step

def test_global_step_create_get():
    assert train.get_global_step() is None
    gs = train.get_or_create_global_step()
    assert gs.op.name == "global_step" and gs.dtype == np.int64 and gs.shape == ()
    assert not gs.trainable and gs in df.global_variables()
    assert df.get_default_graph().get_collection("global_step") == [gs]
    assert train.get_global_step() is gs and train.get_or_create_global_step() is gs
    with pytest.raises(ValueError, match='"global_step" already exists'):
        train.create_global_step()
    with df.Session() as s:
        s.run(gs.initializer)
        assert train.global_step(s, gs) == 0


def test_global_step_found_by_name_and_checked():
    gs = df.Variable(np.int64(7), name="global_step", trainable=False)
    assert train.get_global_step() is gs
    g = df.Graph()
    with g.as_default():
        df.Variable(1.5, name="global_step")
        with pytest.raises(TypeError, match="integer type"):
            train.get_global_step()


def test_global_step_increments_after_the_updates():
    w, b = variables()
    gs = train.get_or_create_global_step()
    step = train.GradientDescentOptimizer(0.1).minimize(loss_of(w, b), global_step=gs)
    assert step.type == "AssignAdd" and step.name == "GradientDescent"
    assert [c.name for c in step.control_inputs] == ["GradientDescent/update"]
    assert step in df.get_default_graph().get_collection("train_op")
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for i in range(3):
            assert s.run(gs) == i
            s.run(step)
        assert s.run(gs) == 3


def test_decayed_learning_rate_uses_the_step_before_its_increment():
    v = df.Variable(np.zeros(2), name="v")
    gs = train.get_or_create_global_step()
    lr = train.exponential_decay(1.0, gs, decay_steps=1, decay_rate=0.5)
    step = train.GradientDescentOptimizer(lr).apply_gradients([(np.ones(2), v)], global_step=gs)
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        for _ in range(3):
            s.run(step)
        np.testing.assert_allclose(s.run(v), -(1 + 0.5 + 0.25) * np.ones(2), rtol=1e-6)


# -- compute_gradients / minimize / apply_gradients details

def test_minimize_with_var_list_and_name():
    w, b = variables()
    step = train.GradientDescentOptimizer(0.1).minimize(loss_of(w, b), var_list=[b], name="fit_b")
    assert step.name == "fit_b"
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        s.run(step)
        np.testing.assert_array_equal(s.run(w), W0)
        np.testing.assert_allclose(s.run(b), B0 - 0.1 * np_grads(W0, B0)[1], rtol=1e-12)


def test_compute_gradients_defaults_and_none():
    w, b = variables()
    frozen = df.Variable(np.ones(2), name="frozen", trainable=False)
    other = df.Variable(np.ones(2), name="other")
    loss = loss_of(w, b) + df.reduce_sum(frozen)
    gvs = train.AdamOptimizer().compute_gradients(loss)
    assert [v for _, v in gvs] == [w, b, other]
    assert gvs[2][0] is None and all(g is not None for g, _ in gvs[:2])
    (gf, f), = train.AdamOptimizer().compute_gradients(loss, var_list=[frozen])
    assert f is frozen and gf is not None
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        gw, gb = s.run([gvs[0][0], gvs[1][0]])
    np.testing.assert_allclose(gw, np_grads(W0, B0)[0], rtol=1e-12)
    np.testing.assert_allclose(gb, np_grads(W0, B0)[1], rtol=1e-12)


def test_grad_loss_scales_the_gradient():
    v = df.Variable(np.array([1.0, 2.0]), name="v")
    step = train.GradientDescentOptimizer(0.5).minimize(df.reduce_sum(v * v), grad_loss=df.constant(3.0, df.float64))
    with df.Session() as s:
        s.run(v.initializer)
        s.run(step)
        np.testing.assert_allclose(s.run(v), [1.0 - 0.5 * 3 * 2, 2.0 - 0.5 * 3 * 4])


def test_errors():
    w, b = variables()
    opt = train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(df.reduce_sum(df.constant([1.0, 2.0])), var_list=[w, b])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, w), (None, b)])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])
    with pytest.raises(ValueError, match="gate_gradients must be one of"):
        opt.compute_gradients(loss_of(w, b), gate_gradients=7)
    with pytest.raises(ValueError, match="Invalid type int32"):
        opt.compute_gradients(df.constant(3))
    with pytest.raises(TypeError, match="unsupported type"):
        opt.compute_gradients(loss_of(w, b), var_list=[df.constant(1.0)])
    with pytest.raises(ValueError, match="shape"):
        opt.apply_gradients([(np.ones(3), b)])
    with pytest.raises(ValueError, match="dtype"):
        opt.apply_gradients([(df.ones((2,)), b)])
    with pytest.raises(ValueError, match="must be positive"):
        train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    g = df.Graph()
    with g.as_default(), pytest.raises(ValueError, match="No variables to optimize"):
        opt.minimize(df.constant(1.0))


def test_gate_gradients_options_give_the_same_step():
    outs = []
    for gate in (train.Optimizer.GATE_NONE, train.Optimizer.GATE_OP, train.Optimizer.GATE_GRAPH):
        g = df.Graph()
        with g.as_default():
            w, b = variables()
            step = train.GradientDescentOptimizer(0.1).minimize(loss_of(w, b), gate_gradients=gate)
            with df.Session() as s:
                s.run(df.global_variables_initializer())
                s.run(step)
                outs.append(s.run(w))
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


def test_subclass_with_only_apply_dense():
    class SignDescent(train.Optimizer):
        def __init__(self, lr):
            super().__init__(False, "SignDescent")
            self._hyper = {"learning_rate": lr}

        def _apply_dense(self, grad, var):
            return df.assign_sub(var, self._get_hyper("learning_rate", var.dtype) * df.sign(grad)).op

    v = df.Variable(np.array([1.0, -2.0]), name="v")
    step = SignDescent(0.25).minimize(df.reduce_sum(df.square(v)))
    with df.Session() as s:
        s.run(v.initializer)
        s.run(step)
        np.testing.assert_allclose(s.run(v), [0.75, -1.75])


def test_one_dask_call_per_training_step():
    w, b = variables()
    x = df.placeholder(df.float64, (None, 3), name="x")
    y = df.placeholder(df.float64, (None, 2), name="y")
    loss = df.reduce_mean(df.square(df.matmul(x, w) + b - y))
    gs = train.get_or_create_global_step()
    step = train.AdamOptimizer(0.1).minimize(loss, global_step=gs)
    starts = []

    class Count(dask.callbacks.Callback):
        def _start(self, dsk):
            starts.append(len(dsk))

    feeds = {x: da.from_array(X, chunks=(3, 3)), y: da.from_array(Y, chunks=(3, 2))}
    with df.Session(scheduler="threads") as s:
        s.run(df.global_variables_initializer())
        starts.clear()
        with Count():
            lv, _ = s.run([loss, step], feeds)
        assert len(starts) == 1
        np.testing.assert_allclose(lv, np_loss(W0, B0), rtol=1e-12)  # the loss before the update
        assert s.run(gs) == 1
        _, (w_ref, _) = reference(adam(0.1), steps=1)[0]
        np.testing.assert_allclose(s.run(w), w_ref, rtol=1e-10)


# -- learning rate schedules

STEPS_AT = [0, 1, 50, 99, 100, 101, 250, 1000]


def schedule_values(build):
    gs = train.get_or_create_global_step()
    lr = build(gs)
    with df.Session() as s:
        out = []
        for k in STEPS_AT:
            gs.load(k, s)
            out.append(s.run(lr))
    return np.array(out), lr


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    got, lr = schedule_values(lambda gs: train.exponential_decay(0.1, gs, 100, 0.96, staircase=staircase))
    p = np.array(STEPS_AT, "f8") / 100
    np.testing.assert_allclose(got, 0.1 * 0.96 ** (np.floor(p) if staircase else p), rtol=1e-6)
    assert lr.dtype == np.float32 and lr.op.name == "ExponentialDecay"


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_and_natural_exp_decay(staircase):
    p = np.array(STEPS_AT, "f8") / 100
    p = np.floor(p) if staircase else p
    got, _ = schedule_values(lambda gs: train.inverse_time_decay(0.1, gs, 100, 0.5, staircase=staircase))
    np.testing.assert_allclose(got, 0.1 / (1 + 0.5 * p), rtol=1e-6)
    df.reset_default_graph()
    got, _ = schedule_values(lambda gs: train.natural_exp_decay(0.1, gs, 100, 0.5, staircase=staircase))
    np.testing.assert_allclose(got, 0.1 * np.exp(-0.5 * p), rtol=1e-6)


@pytest.mark.parametrize("cycle", [False, True])
def test_polynomial_decay(cycle):
    got, _ = schedule_values(lambda gs: train.polynomial_decay(0.1, gs, 100, 0.01, power=2.0, cycle=cycle))
    k = np.array(STEPS_AT, "f8")
    steps = 100 * np.where(k == 0, 1, np.ceil(k / 100)) if cycle else 100
    k = k if cycle else np.minimum(k, 100)
    np.testing.assert_allclose(got, (0.1 - 0.01) * (1 - k / steps) ** 2 + 0.01, rtol=1e-5, atol=1e-7)


def test_cosine_decay():
    got, _ = schedule_values(lambda gs: train.cosine_decay(0.1, gs, 100, alpha=0.1))
    t = np.minimum(np.array(STEPS_AT, "f8"), 100) / 100
    np.testing.assert_allclose(got, 0.1 * (0.9 * 0.5 * (1 + np.cos(np.pi * t)) + 0.1), rtol=1e-5, atol=1e-7)


def test_piecewise_constant():
    got, lr = schedule_values(lambda gs: train.piecewise_constant(gs, [50, 100], [1.0, 0.5, 0.1]))
    k = np.array(STEPS_AT)
    np.testing.assert_allclose(got, np.where(k <= 50, 1.0, np.where(k <= 100, 0.5, 0.1)), rtol=1e-7)
    assert lr.dtype == np.float32 and lr.op.name == "PiecewiseConstant"


def test_schedule_errors():
    with pytest.raises(ValueError, match="global_step is required"):
        train.exponential_decay(0.1, None, 100, 0.9)
    with pytest.raises(ValueError, match="1 less than"):
        train.piecewise_constant(df.constant(1), [1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="same dtype as x"):
        train.piecewise_constant(df.constant(1), [1.5], [1.0, 2.0])
    with pytest.raises(ValueError, match="same dtype"):
        train.piecewise_constant(df.constant(1), [1], [1.0, df.constant(2.0, df.float64)])


# -- whole training loops

def _regression(n=256, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("f4")
    y = (x @ np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 1.0], [2.0, 0.5]]) + [0.3, -0.7]
         + 0.1 * rng.normal(size=(n, 2))).astype("f4")
    a = np.hstack([x, np.ones((n, 1))]).astype("f8")
    sol = np.linalg.lstsq(a, y.astype("f8"), rcond=None)[0]
    return x, y, sol[:4], sol[4]


@pytest.mark.parametrize("make, steps, chunked", [
    (lambda: train.GradientDescentOptimizer(0.5), 40, True),
    (lambda: train.AdamOptimizer(0.1), 150, False),
])
def test_fits_linear_regression(make, steps, chunked):
    xv, yv, w_ls, b_ls = _regression()
    x = df.placeholder(df.float32, (None, 4), name="x")
    y = df.placeholder(df.float32, (None, 2), name="y")
    w = df.Variable(np.zeros((4, 2), "f4"), name="w")
    b = df.Variable(np.zeros(2, "f4"), name="b")
    loss = df.reduce_mean(df.square(df.matmul(x, w) + b - y))
    gs = train.get_or_create_global_step()
    step = make().minimize(loss, global_step=gs)
    feeds = {x: da.from_array(xv, chunks=(64, 4)), y: da.from_array(yv, chunks=(64, 2))} if chunked \
        else {x: xv, y: yv}
    with df.Session() as s:
        s.run(df.global_variables_initializer())
        first = s.run(loss, feeds)
        for _ in range(steps):
            s.run(step, feeds)
        assert s.run(gs) == steps
        last = s.run(loss, feeds)
        np.testing.assert_allclose(s.run(w), w_ls, atol=5e-3)
        np.testing.assert_allclose(s.run(b), b_ls, atol=5e-3)
    assert last < first / 100


def test_an_optimizer_without_an_update_rule_says_so():
    class Incomplete(df.train.Optimizer):
        pass
    v = df.Variable(1.0, name="v")
    with pytest.raises(df.errors.UnimplementedError, match="Incomplete does not define _apply_dense"):
        Incomplete(False, "Incomplete").minimize(v * v)


def test_constraints_project_each_update():
    """TF1's rule: an optimizer assigns ``constraint(var)`` after each update (values as TF 2.21 gives them)."""
    with df.Graph().as_default():
        v = df.get_variable("w", initializer=np.array([3.0, -4.0, 0.5], np.float32),
                            constraint=lambda t: df.clip_by_value(t, -1.0, 1.0))
        x = df.placeholder(df.float32, [None, 3])
        y = df.layers.dense(x, 2, kernel_constraint=lambda k: k * 0.5, name="d")
        kernel = df.trainable_variables("d/kernel")[0]
        step = df.train.GradientDescentOptimizer(0.1).minimize(df.reduce_sum(v * [1.0, -1.0, 1.0]) + df.reduce_sum(y))
        assert v.constraint is not None and kernel.constraint is not None
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            k0 = s.run(kernel)
            s.run(step, {x: np.ones((2, 3), np.float32)})
            np.testing.assert_allclose(s.run(v), [1.0, -1.0, 0.4])
            np.testing.assert_allclose(s.run(kernel), (k0 - 0.1 * 2) * 0.5, rtol=1e-6)
            s.run(step, {x: np.ones((2, 3), np.float32)})
            np.testing.assert_allclose(s.run(v), [0.9, -0.9, 0.3])
    with pytest.raises(ValueError, match="The `constraint` argument must be a callable"):
        df.Variable(1.0, constraint=3)
