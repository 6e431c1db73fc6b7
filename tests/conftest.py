import pytest

import daskflow as df


@pytest.fixture(autouse=True)
def fresh_default_graph():
    """Every test starts on an empty default graph."""
    df.reset_default_graph()
    yield
    df.reset_default_graph()
