"""``daskflow.image`` against TensorFlow 1.x's values (fixtures written by tests/fixtures/tf1/make_image_fixtures.py):
each case is the same program built with both; results over several batch chunkings, and gradients of the
differentiable ones."""
import pathlib
import types

import numpy as np
import pytest

import daskflow as df
import daskflow.image
import daskflow.image.boxes
from daskflow.testing import load_module, run_graph

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf1"


def _load_maker():
    return load_module(FIXTURES / "make_image_fixtures.py")


MAKER = _load_maker()
DATA = np.load(FIXTURES / "image" / "image.npz", allow_pickle=False)
TF = types.SimpleNamespace(**{n: getattr(df, n) for n in dir(df) if not n.startswith("_") and n != "image"},
                           image=daskflow.image)

# how far from TF's float32 kernels each family may be (they sum in another order)
_TOL = {"ssim": 2e-5, "hue": 2e-5, "saturation": 2e-5}


def _tol(name):
    return next((t for k, t in _TOL.items() if k in name), 1e-5)


def _batch_chunks(arrays):
    # images (and box batches) in blocks of one image
    return [None, [(((1,) * a.shape[0],) if a.ndim >= 3 else (a.shape[:1] if a.ndim else ()))
                   + tuple((d,) for d in a.shape[1:]) for a in arrays]]


def _results(name):
    if f"result/{name}" in DATA:
        return [DATA[f"result/{name}"]]
    return [DATA[f"result{i}/{name}"] for i in range(8) if f"result{i}/{name}" in DATA]


@pytest.mark.parametrize("name", sorted(MAKER.CASES))
def test_values_match_tf(name):
    names, build, _ = MAKER.CASES[name]
    arrays = [DATA[f"input/{n}"] for n in names]
    wants = _results(name)
    for chunks in _batch_chunks(arrays):
        got = run_graph(lambda *xs: list(_as_list(build(TF, *xs))), *arrays, chunks=chunks)
        assert len(got) == len(wants)
        for g, want in zip(got, wants):
            assert g.dtype == want.dtype, name
            assert g.shape == want.shape, name
            if want.dtype.kind in "iu":
                np.testing.assert_array_equal(g, want)
            else:
                tol = _tol(name)
                np.testing.assert_allclose(g, want, rtol=tol, atol=tol * max(1.0, float(np.abs(want).max())))


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("name", sorted(n for n, c in MAKER.CASES.items() if c[2]))
def test_gradients_match_tf(name):
    names, build, _ = MAKER.CASES[name]
    arrays = [DATA[f"input/{n}"] for n in names]
    weight = DATA[f"weight/{name}"]

    def loss_grad(*xs):
        out = build(TF, *xs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        ws = [weight[i] for i in range(len(outs))] if len(outs) > 1 else [weight]
        loss = df.add_n([df.reduce_sum(o * w) for o, w in zip(outs, ws)])
        return df.gradients(loss, xs[0])[0]
    got = run_graph(loss_grad, *arrays)
    np.testing.assert_allclose(got, DATA[f"grad/{name}"], rtol=1e-4, atol=1e-4)
