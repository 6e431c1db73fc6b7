"""Array ops."""
__all__ = []


def _getitem(t, key):
    raise TypeError("indexing is not yet available")
