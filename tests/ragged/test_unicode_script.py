"""tf.strings.unicode_script: ICU's script code of each code point, against TensorFlow's answers
(``tests/fixtures/tf1/unicode_script``, written by ``make_unicode_script_fixtures.py``) on 4508 code points: the
first and last of every range of fontTools' script table, 8 random ones per script, and edge values (negative,
above 0x10FFFF, int32 extremes, surrogates, noncharacters).

fontTools (4.68) reads a newer Unicode (18.0) than TF's ICU (13.0). The code points where the two differ are
excluded, and only those: the ranges listed in ``table.json`` (``disagree``: 15460 code points in 145 ranges, 191
of them in the sample). All are code points assigned since Unicode 13 to a script TF's ICU knows (TF gives 103,
Unknown), except U+16FE2 and U+16FE3, which moved from Common (TF gives 0) to Han. Should the installed fontTools
read yet another Unicode, the sampled code points whose script it changes are excluded too (and counted)."""
import importlib.util
import json
import pathlib

import numpy as np
import pytest

import daskflow as df
from daskflow import errors
from daskflow.ops import strings_script
from daskflow.ops.strings_script import unicode_script
from daskflow.testing import SweepCase, run_graph

needs_fonttools = pytest.mark.skipif(importlib.util.find_spec("fontTools") is None,
                                     reason="needs the optional fonttools package (daskflow[unicode])")

TESTED_OPS = {"UnicodeScript"}

FIX = pathlib.Path(__file__).resolve().parents[1] / "fixtures/tf1/unicode_script"
TABLE = json.loads((FIX / "table.json").read_text())
with np.load(FIX / "sample.npz", allow_pickle=False) as _z:
    CPS, TF_SCRIPTS, ISO = _z["input"], _z["script"], _z["iso"]


def _listed(cps):
    out = np.zeros(cps.shape, bool)
    for first, last, _, _ in TABLE["disagree"]:
        out |= (cps >= first) & (cps <= last)
    return out


def _moved(cps, iso):
    """Code points whose script the installed fontTools gives otherwise than the one the fixtures were made with."""
    from fontTools.unicodedata import script
    return np.array([bool(i) and script(chr(c)) != i for c, i in zip(cps.tolist(), iso.tolist())])


LISTED = _listed(CPS)
SWEEP_CASES = [SweepCase(unicode_script, np.array([[65, 0x416, -1], [0x301, 0x4E00, 0x110000]], np.int32),
                         name="unicode_script")]


@needs_fonttools
def test_values_equal_tf_on_the_sample():
    assert TABLE["disagree_count"] == 15460 and LISTED.sum() == 191
    moved = _moved(CPS, ISO)
    assert moved.sum() < 50, f"{moved.sum()} sampled code points changed script: regenerate the fixtures"
    keep = ~LISTED & ~moved
    x, expected = CPS[keep], TF_SCRIPTS[keep]
    got = run_graph(unicode_script, x, chunks=[((1000, 2000, x.size - 3000),)])
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, [(hex(c), g, t) for c, g, t in zip(x[bad], got[bad], expected[bad])][:20]
    assert len(set(expected.tolist())) == 158  # every number TF gives is covered


@needs_fonttools
def test_the_disagreements_are_version_differences():
    """Where fontTools and TF differ, TF says Unknown (a code point newer than its Unicode) or Common (the two Han
    marks), and daskflow gives the number of fontTools' script."""
    x = CPS[LISTED & ~_moved(CPS, ISO)]
    assert set(TF_SCRIPTS[LISTED].tolist()) <= {103, 0}
    iso = {c: r[2] for r in TABLE["disagree"] for c in x.tolist() if r[0] <= c <= r[1]}
    assert run_graph(unicode_script, x).tolist() == [TABLE["table"][iso[c]] for c in x.tolist()]


@needs_fonttools
@pytest.mark.parametrize("shape,chunks", [((), None), ((2, 3, 4), ((1, 1), (2, 1), (3, 1))), ((0, 3), ((0,), (3,)))])
def test_shapes_and_chunkings(shape, chunks):
    x = np.resize(np.array([ord("a"), 0x416, ord("1"), 0x301, 0x378, -1, 0x110000, 0x4E00, 0x1F600, 0xD800,
                            0x10FFFF, 0x0627], np.int32), shape)
    expected = np.resize(np.array([25, 8, 0, 1, 103, -1, -1, 17, 0, 103, 103, 2], np.int32), shape)
    got = run_graph(unicode_script, x, chunks=None if chunks is None else [chunks])
    assert got.dtype == np.int32 and got.shape == shape and (got == expected).all()


@needs_fonttools
def test_python_values_names_and_static_shape():
    with df.Graph().as_default(), df.Session() as s:
        y = unicode_script([[ord("A"), 0x3042], [0x30A2, 0x0E01]], name="scripts")
        z = unicode_script(np.array([0x05D0], np.uint32))  # numpy values convert to int32, as in TF
        assert (y.op.type, y.op.name, y.dtype, y.shape.as_list()) == ("UnicodeScript", "scripts", df.int32, [2, 2])
        assert s.run(y).tolist() == [[25, 20], [22, 38]] and s.run(z).tolist() == [19]
        p = df.placeholder(df.int32, [None, 3])
        assert unicode_script(p).shape.as_list() == [None, 3]
        assert df.gradients(df.cast(unicode_script(p), df.float32), p) == [None]


@pytest.mark.parametrize("value,dtype", [([1], "int64"), ([1.0], "float32"), (["a"], "string"), ([1], "uint8")])
def test_other_dtypes_are_refused_as_tf_does(value, dtype):
    with df.Graph().as_default():
        with pytest.raises(TypeError, match=rf"^Input 'input' of 'UnicodeScript' Op has type {dtype} that does not "
                                            r"match expected type of int32\.$"):
            unicode_script(df.constant(value, getattr(df, dtype)))


def test_missing_fonttools_is_named(monkeypatch):
    monkeypatch.setattr(strings_script, "_lookup_cache", [])
    monkeypatch.setitem(__import__("sys").modules, "fontTools.unicodedata", None)
    with df.Graph().as_default():
        with pytest.raises(errors.UnimplementedError, match=r"unicode_script needs .* 'fonttools' package: pip "
                                                            r"install daskflow\[unicode\].* \[op 'UnicodeScript'"):
            unicode_script([65])
