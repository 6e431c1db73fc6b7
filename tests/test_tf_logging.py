"""``df.logging`` (TF1's ``tf.logging``): levels, verbosity and the repeat helpers, on the ``tensorflow`` logger."""
import logging

import pytest

import daskflow as df


@pytest.fixture
def records(caplog):
    old = logging.getLogger("tensorflow").level
    caplog.set_level(logging.DEBUG, logger="tensorflow")
    yield caplog
    logging.getLogger("tensorflow").setLevel(old)


def test_levels_are_tfs(records):
    assert (df.logging.DEBUG, df.logging.INFO, df.logging.WARN, df.logging.ERROR, df.logging.FATAL) == \
        (10, 20, 30, 40, 50)
    df.logging.set_verbosity(df.logging.INFO)
    assert df.logging.get_verbosity() == df.logging.INFO and df.get_logger().name == "tensorflow"
    df.logging.debug("hidden")
    df.logging.info("step %d", 3)
    df.logging.warn("careful")
    df.logging.error("bad")
    assert [(r.levelno, r.getMessage()) for r in records.records] == [(20, "step 3"), (30, "careful"), (40, "bad")]


def test_every_n_and_first_n(records):
    df.logging.set_verbosity(df.logging.INFO)
    for i in range(7):
        df.logging.log_every_n(df.logging.INFO, "every %d", 3, i)
        df.logging.log_first_n(df.logging.INFO, "first %d", 2, i)
        df.logging.log_if(df.logging.INFO, "odd %d", i % 2, i)
    got = [r.getMessage() for r in records.records]
    assert [m for m in got if m.startswith("every")] == ["every 0", "every 3", "every 6"]
    assert [m for m in got if m.startswith("first")] == ["first 0", "first 1"]
    assert [m for m in got if m.startswith("odd")] == ["odd 1", "odd 3", "odd 5"]
