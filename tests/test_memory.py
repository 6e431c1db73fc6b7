"""The allocator tuning applied by the first Session (glibc only), and its setting."""
import sys

import pytest

import daskflow as df
from daskflow import memory


def test_tuning_is_applied_once_on_linux():
    df.Session().close()  # sessions apply it
    first = memory.tune_allocator()
    assert memory.tune_allocator() is first  # once per process
    if sys.platform.startswith("linux") and "musl" not in sys.version:
        assert first is True


def test_reuse_memory_setting_is_checked():
    with pytest.raises(ValueError, match="reuse_memory must be True or False"):
        df.config.set(reuse_memory="yes")
    with df.config.set(reuse_memory=False):
        assert df.config.get("reuse_memory") is False
