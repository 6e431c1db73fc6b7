"""Random ops."""
__all__ = []
