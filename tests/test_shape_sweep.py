"""A sweep over the registry: every op's static shape inference against the shapes it computes when its inputs are
fed through placeholders of unknown dims (None), and, for graphs with broadcasting ops, with fed shapes that
broadcast (each dim of each input cut to 1 in turn), forward and gradient.

The programs are every ``GRAD_CASES`` row of the test suite (each differentiable op has one) plus the
``SWEEP_CASES`` rows (``daskflow.testing.SweepCase``) of the test modules, for ops without a gradient: those below,
and those each op module's tests list next to their ops. Each runs twice: with placeholders of the inputs' exact shapes
and with placeholders of unknown dims. The two runs must give the same values, the computed shapes must agree
with both graphs' inferred shapes, and each gradient must have its input's fed shape.
"""
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow.ops.registry import OPS
from daskflow.testing import GradCase, SweepCase, collect

TESTS = pathlib.Path(__file__).resolve().parent

# ops with no input to feed: storage sources (tests/ops/test_source.py); ops that read a session handle's string,
# fed from an earlier run (tests/test_session_handles.py)
NOT_SWEPT = {"DataSource", "GetSessionTensor", "DeleteSessionTensor"}


# build-time refusals of the graph with unknown dims that TF1 makes too (its message)
AS_TF_REFUSES = ["Cannot infer argument `num` from shape"]


def _r(*shape, lo=-2.0, hi=2.0, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _b(*shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape) > 0.5


def _state(x):
    v = df.Variable(np.zeros((3, 4)))
    w = df.Variable(np.ones((3, 4)), trainable=False)
    with df.control_dependencies([df.train.AdamOptimizer(0.1).apply_gradients([(x, v)])]):
        after = df.identity(v)  # v after the update, from its value before the run
    return [df.assign(w, x * 2), df.assign_add(w, x), df.assign_sub(w, x), after], [df.global_variables_initializer()]


def _iterator(x):
    it = df.data.Dataset.from_tensor_slices(x).batch(2).make_initializable_iterator()
    return [it.get_next()], [it.initializer]


SWEEP_CASES = [
    SweepCase(lambda x, y: [df.equal(x, y), df.not_equal(x, y), df.less(x, y), df.less_equal(x, y),
                            df.greater(x, y), df.greater_equal(x, y), df.floordiv(x, y)],
              _r(4, 3), np.round(_r(4, 3, seed=1)) + 0.5, name="comparisons"),
    SweepCase(lambda x, y: [df.logical_and(x, y), df.logical_or(x, y), df.logical_xor(x, y), df.logical_not(x)],
              _b(4, 3), _b(4, 3, seed=1), name="logic"),
    SweepCase(lambda x: [df.floor(x), df.ceil(x), df.round(x), df.rint(x), df.is_nan(x), df.is_inf(x),
                         df.is_finite(x), df.stop_gradient(x)],
              _r(3, 5) * 4, name="elementwise"),
    SweepCase(lambda x: [df.argmax(x, 0), df.argmin(x, 1), df.reduce_any(x > 0, 1), df.reduce_all(x > -3, 0)],
              _r(4, 3), name="reductions"),
    SweepCase(lambda i: df.one_hot(i, 4), np.array([[0, 3], [2, 1], [1, 1]]), name="one_hot"),
    SweepCase(lambda x: [df.shape(x), df.size(x), df.rank(x), df.zeros_like(x), df.ones_like(x, dtype=df.int32),
                         df.range(df.shape(x)[0]), df.linspace(0.0, 1.0, df.shape(x)[1]), df.where(x > 0),
                         df.broadcast_dynamic_shape(df.shape(x), [1, 1]), df.eye(df.shape(x)[0], 2)],
              _r(4, 3), name="shapes"),
    SweepCase(lambda x: [df.random_normal(df.shape(x), seed=1), df.truncated_normal(df.shape(x), seed=2),
                         df.random_uniform(df.shape(x), seed=3),
                         df.random_uniform(df.shape(x), 0, 5, dtype=df.int64, seed=4)],
              _r(3, 4), name="random"),
    SweepCase(_state, _r(3, 4), name="state", init=True),
    SweepCase(_iterator, _r(5, 3), name="iterator", init=True),
    SweepCase(lambda s, x: [df.strings.join([s, s], separator="-"), df.strings.length(s), df.as_string(x),
                            df.strings.format("{} and {}", [s, x]), df.print(s, x).outputs[0], df.Print(x, [s])],
              np.array([[b"ab", b"c"], [b"", b"def"], [b"g", b"hi"]], dtype=object), _r(3, 2), name="strings"),
]


def _cases(table):
    files = [f for f in sorted(TESTS.rglob("test_*.py")) if f.resolve() != pathlib.Path(__file__).resolve()]
    return [case for cases in collect(files, table) for case in cases]


CASES = _cases("GRAD_CASES") + SWEEP_CASES + _cases("SWEEP_CASES")


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _build(case, arrays, static):
    """The case's graph on placeholders of the arrays' shapes (``static``) or of unknown dims, with the gradient of
    ``sum(out * w)`` (``w`` fed, one random weight per element) for each float input, for gradient cases."""
    g = df.Graph()
    with g.as_default():
        df.set_random_seed(7)
        phs = [df.placeholder(a.dtype, a.shape if static else [None] * a.ndim, name=f"in{i}")
               for i, a in enumerate(arrays)]
        outs = case.build(*phs)
        outs, inits = outs if getattr(case, "init", False) else (outs, [])
        outs = _as_list(outs)
        grads, weights = [], []
        if isinstance(case, GradCase):
            terms = []
            for o in outs:
                if o.dtype.kind == "f":
                    weights.append(df.placeholder(o.dtype, None))
                    terms.append(df.reduce_sum(o * weights[-1]))
            grads = df.gradients(df.add_n(terms), phs, unconnected_gradients="zero")
    return g, phs, outs, weights, grads, inits


def _run(case, arrays, static):
    g, phs, outs, weights, grads, inits = _build(case, arrays, static)
    feeds = dict(zip(phs, arrays))
    with df.Session(graph=g) as s:
        s.run(inits, feeds)
        if weights:
            shapes = [np.shape(v) for v in s.run([o for o in outs if o.dtype.kind == "f"], feeds)]
            rng = np.random.default_rng(11)
            feeds.update((w, rng.uniform(0.5, 1.5, shp)) for w, shp in zip(weights, shapes))
        values = s.run(outs + grads, feeds)
    return outs, values[:len(outs)], values[len(outs):]


def _check_against_inferred(tensors, values, what):
    for t, v in zip(tensors, values):
        if t.dtype.kind == "O":  # strings: bytes, or arrays of them
            assert isinstance(v, bytes) or (np.asarray(v).dtype.kind == "O" and all(isinstance(e, bytes) for e in
                                                                                   np.ravel(v))), f"'{t.name}': {v!r}"
        else:
            assert np.asarray(v).dtype == t.dtype, \
                f"{what} '{t.name}': computed dtype {np.asarray(v).dtype}, inferred {t.dtype}"
        assert t.shape.is_compatible_with(np.shape(v)), \
            f"{what} '{t.name}': computed shape {np.shape(v)}, inferred {t.shape}"


def _broadcast_variants(case, arrays):
    """The inputs with one dim of one input cut to size 1 (its first entries kept, so domains hold); only those the
    graph accepts when built with their exact shapes. Any op may broadcast, declared (``OpDef.broadcasts``) or
    not: every graph is tried."""
    out = []
    for i, a in enumerate(arrays):
        for ax in range(a.ndim):
            if a.shape[ax] > 1:
                cut = [b if j != i else np.take(b, [0], axis=ax) for j, b in enumerate(arrays)]
                try:
                    _build(case, cut, static=True)
                except (df.errors.OpError, ValueError, TypeError):
                    continue  # not a program: the static graph refuses these shapes
                out.append(cut)
    return out


def _sweep(case, arrays, variant=False):
    try:
        outs_s, vals_s, grads_s = _run(case, arrays, static=True)
    except df.errors.OpError:
        if variant:  # not a program: the shapes are refused when run with shapes known when built too
            return
        raise
    try:
        outs_d, vals_d, grads_d = _run(case, arrays, static=False)
    except ValueError as e:
        if any(m in str(e) for m in AS_TF_REFUSES):
            return
        raise
    _check_against_inferred(outs_s, vals_s, "output (static shapes)")
    _check_against_inferred(outs_d, vals_d, "output (unknown dims)")
    for ts, td in zip(outs_s, outs_d):
        assert td.shape.is_compatible_with(ts.shape), f"'{td.name}': {td.shape} with unknown dims, {ts.shape} without"
    for got, want in zip(vals_d, vals_s):
        assert np.shape(got) == np.shape(want)
        if isinstance(want, bytes) or np.asarray(want).dtype.kind == "O":  # strings
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-10,
                                       atol=0)
    for a, got, want in zip(arrays, grads_d, grads_s):
        assert np.shape(got) == a.shape and np.shape(want) == a.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_unknown_dims_give_the_same_shapes_and_values(case):
    arrays = case.arrays()
    _sweep(case, arrays)
    for cut in _broadcast_variants(case, arrays):
        _sweep(case, cut, variant=True)


def _built_types(case):
    g = _build(case, case.arrays(), static=True)[0]
    return {op.type for op in g.get_operations()}


def test_every_op_is_swept():
    swept = set().union(*(_built_types(c) for c in CASES))
    missing = sorted(set(OPS) - swept - NOT_SWEPT)
    assert not missing, f"op types no swept program builds: {missing}"
