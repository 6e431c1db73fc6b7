"""The chunk's array module (numpy or cupy) and meta arrays: block functions never name ``numpy`` directly."""
import sys

import numpy as np
from dask.array.utils import meta_from_array

__all__ = ["xp", "meta", "is_gpu"]


def xp(chunk):
    """The array module of ``chunk``: ``numpy`` for numpy arrays and scalars, ``cupy`` for cupy arrays."""
    if type(chunk).__module__.startswith("cupy"):  # called per task: no string splitting
        return sys.modules["cupy"]
    return np


def is_gpu(chunk):
    return xp(chunk) is not np


def meta(like, dtype, ndim=None):
    """An empty array of the chunk type of dask array ``like``, with ``dtype`` and ``ndim`` (default like's)."""
    return meta_from_array(like, ndim=like.ndim if ndim is None else ndim, dtype=dtype)
