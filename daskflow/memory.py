"""Allocator tuning for repeated runs: keep freed blocks of moderate size for reuse instead of returning them to
the operating system, so that a training step allocating the same activations every run does not pay the page
faults of fresh memory each time (TensorFlow keeps its own caching allocator for the same reason).

On glibc, arrays above the ``mmap`` threshold (128 KiB by default, adjusted as blocks are freed) are mapped and
unmapped per allocation, and freed memory at the top of the heap is trimmed back. ``tune_allocator`` raises both
limits: allocations up to 32 MiB come from the heap, and up to 256 MiB of freed heap is kept. Larger blocks (the
chunks of out-of-core runs) are still mapped and returned when freed, so peak memory stays bounded. Set
``df.config.set(reuse_memory=False)`` (before the first Session) to leave the allocator alone.
"""
import ctypes
import ctypes.util
import sys

from . import config

__all__ = ["tune_allocator"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 256 * 2**20
_done = []


def tune_allocator(memory_limit=None):
    """Apply the tuning once per process (glibc on Linux only); returns whether it is in effect. With
    ``memory_limit`` (a dask worker's), the limits scale down to it: blocks up to a 256th of it come from the heap
    and up to a 64th of it freed is kept, so that memory kept for reuse (unmanaged memory, to distributed's
    memory monitor) never counts much against the limit."""
    if _done:
        return _done[0]
    ok = False
    if sys.platform.startswith("linux") and config.get("reuse_memory"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # not glibc (musl has no mallopt)
            mallopt = None
        if mallopt is not None:
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            mmap, trim = MMAP_THRESHOLD, TRIM_THRESHOLD
            if memory_limit:
                mmap, trim = min(mmap, int(memory_limit) // 256), min(trim, int(memory_limit) // 64)
            ok = bool(mallopt(_M_MMAP_THRESHOLD, mmap)) and bool(mallopt(_M_TRIM_THRESHOLD, trim))
    _done.append(ok)
    return ok
