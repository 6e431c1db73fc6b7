"""``VocabInfo`` and ``warm_start`` with ``var_name_to_vocab_info``: rows (axis 0) or columns (axis 1) remapped
from the old vocabulary to the new one, against the values TF's ``warm_start`` gave from the same TF checkpoint
and vocabulary files (``tests/fixtures/tf1/make_w4_fixtures.py``)."""
import os
import sys
import types

import numpy as np
import pytest

import daskflow as df
from daskflow.train.session_manager import warm_start
from daskflow.train.vocab_info import VocabInfo

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf1")
sys.path.insert(0, HERE)
import make_w4_fixtures as fx  # noqa: E402

DIR = os.path.join(HERE, "warmstart")
OLD, NEW, CKPT = (os.path.join(DIR, f) for f in ("old_vocab.txt", "new_vocab.txt", "vocab.ckpt"))
WANT = np.load(os.path.join(DIR, "vocab.npz"), allow_pickle=False)


class _TF(types.ModuleType):
    """daskflow as the fixture's programs use it, ``train.VocabInfo`` and ``train.warm_start`` included."""

    train = types.SimpleNamespace(VocabInfo=VocabInfo, warm_start=warm_start)

    def __getattr__(self, name):
        return getattr(df, name)


TF = _TF("tf")


def test_vocab_info_fields_defaults_and_validation():
    info = VocabInfo("new.txt", 5, 2, "old.txt")
    assert info == ("new.txt", 5, 2, "old.txt", -1, None, 0)
    assert info._fields == ("new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab", "old_vocab_size",
                            "backup_initializer", "axis")
    assert info._replace(axis=1).axis == 1 and isinstance(info._replace(axis=1), VocabInfo)
    with pytest.raises(ValueError, match=r"The only supported values for the axis argument are 0 and 1.  Provided "
                                         r"axis: 2"):
        VocabInfo("new.txt", 5, 2, "old.txt", axis=2)


@pytest.mark.parametrize("case", list(fx.VOCAB_CASES))
def test_warm_start_matches_tf(case):
    with df.Graph().as_default():
        made = fx.build_case(TF, case, OLD, NEW, CKPT)
        with df.Session() as s:
            s.run(df.global_variables_initializer())
            for name, v in made.items():
                got = s.run(df.convert_to_tensor(v) if hasattr(v, "_get_variable_list") else v)
                np.testing.assert_allclose(got, WANT[f"{case}/{name}"], rtol=1e-6)


def test_unused_vocab_info_and_bad_shape():
    with df.Graph().as_default():
        df.get_variable("emb", [5, 3])
        with pytest.raises(ValueError, match="var_name_to_vocab_info that were not used: {'embx'}"):
            warm_start(CKPT, None, {"embx": VocabInfo(NEW, 5, 0, OLD)})
    with df.Graph().as_default():
        df.get_variable("emb", [5, 3])
        with pytest.raises(ValueError, match=r"exceed expected total row count of new_row_vocab_size \(4\)"):
            warm_start(CKPT, None, {"emb": VocabInfo(NEW, 4, 0, OLD)})
