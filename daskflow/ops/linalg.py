"""Linear algebra."""
__all__ = []
