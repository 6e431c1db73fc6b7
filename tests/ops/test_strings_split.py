"""TF1's string_split and strings.split, which give SparseTensors of tokens. Expected indices, values and dense shapes
are TensorFlow 1.x's (``tensorflow.compat.v1`` in graph mode) for the same programs."""
import numpy as np
import pytest

import daskflow as df
from daskflow.ops import strings_more as sm
from daskflow.testing import SweepCase, run_graph

TESTED_OPS = {"StringSplit", "StringSplitV2"}


def parts(sp, feed=None):
    with df.Session() as sess:
        return sess.run([sp.indices, sp.values, sp.dense_shape], feed)


CASES = [  # (build, TF's indices, values, dense_shape)
    (lambda: sm.string_split([b"a b  c", b"", b"de"]), [[0, 0], [0, 1], [0, 2], [2, 0]], [b"a", b"b", b"c", b"de"],
     [3, 3]),
    (lambda: sm.string_split([b"a,b;;c"], delimiter=",;"), [[0, 0], [0, 1], [0, 2]], [b"a", b"b", b"c"], [1, 3]),
    (lambda: sm.string_split([b"a,b;;c", b""], delimiter=",;", skip_empty=False),
     [[0, 0], [0, 1], [0, 2], [0, 3]], [b"a", b"b", b"", b"c"], [2, 4]),
    (lambda: sm.string_split([b"abc", b"d"], delimiter=""), [[0, 0], [0, 1], [0, 2], [1, 0]],
     [b"a", b"b", b"c", b"d"], [2, 3]),
    (lambda: sm.string_split([b"a--b"], sep="-"), [[0, 0], [0, 1]], [b"a", b"b"], [1, 2]),
    (lambda: sm.string_split([b" a\tb\nc "]), [[0, 0]], [b"a\tb\nc"], [1, 1]),
    (lambda: sm.string_split([b"", b""]), np.zeros((0, 2)), [], [2, 0]),
    (lambda: sm.split([b" a  b ", b"", b"c"]), [[0, 0], [0, 1], [2, 0]], [b"a", b"b", b"c"], [3, 2]),
    (lambda: sm.split([b"a<>b<><>c", b""], sep=b"<>"), [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0]],
     [b"a", b"b", b"", b"c", b""], [2, 4]),
    (lambda: sm.split([b"a b c d"], maxsplit=2), [[0, 0], [0, 1], [0, 2]], [b"a", b"b", b"c d"], [1, 3]),
    (lambda: sm.split([b"a,b,c"], sep=",", maxsplit=1), [[0, 0], [0, 1]], [b"a", b"b,c"], [1, 2]),
    (lambda: sm.split([[b"a b"], [b"c"]]), [[0, 0, 0], [0, 0, 1], [1, 0, 0]], [b"a", b"b", b"c"], [2, 1, 2]),
    (lambda: sm.split(b"a b"), [[0, 0], [0, 1]], [b"a", b"b"], [1, 2]),
    (lambda: sm.split([b"a\x0bb\x0cc\xc2\xa0d"]), [[0, 0], [0, 1], [0, 2]], [b"a", b"b", b"c\xc2\xa0d"], [1, 3]),
    (lambda: sm.split(source=[b"a b"]), [[0, 0], [0, 1]], [b"a", b"b"], [1, 2]),
]


@pytest.mark.parametrize("build, indices, values, dense_shape", CASES)
def test_split_as_tf(build, indices, values, dense_shape):
    sp = build()
    got_i, got_v, got_s = parts(sp)
    assert got_i.dtype == np.int64 and got_s.dtype == np.int64 and got_v.dtype == object
    np.testing.assert_array_equal(got_i, np.asarray(indices, np.int64).reshape(-1, len(dense_shape)))
    assert got_v.tolist() == list(values)
    np.testing.assert_array_equal(got_s, dense_shape)
    assert sp.indices.shape.as_list() == [None, len(dense_shape)] and sp.values.dtype == df.string


def test_split_matches_python_on_fed_chunked_input():
    lines = np.array([b"the quick  brown", b"", b"fox", b" jumps over "], dtype=object)
    got = run_graph(lambda s: [sm.split(s).indices, sm.split(s).values], lines, chunks=[((2, 2),)])
    tokens = [line.split() for line in lines]
    assert got[1].tolist() == [t for row in tokens for t in row]
    assert got[0].tolist() == [[i, j] for i, row in enumerate(tokens) for j in range(len(row))]


def test_split_errors_as_tf():
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        sm.string_split([["a b"]])
    for fn in (sm.split, sm.string_split):
        with pytest.raises(ValueError, match="^result_type must be 'RaggedTensor' or 'SparseTensor'.$"):
            fn(["a"], result_type="Foo")
    with pytest.raises(df.errors.InvalidArgumentError, match="input of StringSplitV2 must be strings"):
        sm.split([1, 2])


def test_ragged_results_as_tf():
    """result_type="RaggedTensor": TF 2.21's values and static shapes (a scalar counts as a vector of one; a matrix
    of strings keeps its two uniform dims)."""
    scalar = sm.split("a b", result_type="RaggedTensor")
    matrix = sm.split([["a b", "x"], ["", "c d e"]], result_type="RaggedTensor")
    capped = sm.split(["a,b", ""], sep=",", maxsplit=1, result_type="RaggedTensor")
    assert (scalar.shape.as_list(), matrix.shape.as_list(), matrix.ragged_rank) == ([1, None], [2, 2, None], 2)
    ph = df.placeholder(df.string, [None])
    rows = sm.string_split(ph, result_type="RaggedTensor")
    with df.Session() as s:
        got = s.run([scalar, matrix, capped, rows], {ph: np.array(["a b", "", "c d e"], dtype=object)})
    assert [v.to_list() for v in got] == [[[b"a", b"b"]], [[[b"a", b"b"], [b"x"]], [[], [b"c", b"d", b"e"]]],
                                          [[b"a", b"b"], [b""]], [[b"a", b"b"], [], [b"c", b"d", b"e"]]]


def _sparse_parts(*sps):
    return [t for sp in sps for t in (sp.indices, sp.values, sp.dense_shape)]


SWEEP_CASES = [
    SweepCase(lambda s: _sparse_parts(sm.string_split(s), sm.string_split(s, "b", skip_empty=False)),
              np.array([b"a b  c", b"", b"abba"], dtype=object), name="string_split"),
    SweepCase(lambda s, one: _sparse_parts(sm.split(s), sm.split(s, sep="a", maxsplit=1), sm.split(one)),
              np.array([[b"a b  c", b""], [b" abba ", b"x"]], dtype=object), np.array(b"x y", dtype=object),
              name="strings_split_v2"),
]
