"""daskflow's settings, kept in dask's config under ``daskflow.*`` (so ``DASK_DASKFLOW__CHUNK_BYTES`` works).

- ``chunk_bytes``: the largest chunk daskflow makes by itself (feeds, generated tensors), default 128 MiB:
  dask's guidance for big data is 64-256 MB chunks.
"""
import dask

DEFAULTS = {"chunk_bytes": 128 * 2**20}


def get(key):
    """The value of setting ``key`` (e.g. ``"chunk_bytes"``)."""
    return dask.config.get(f"daskflow.{key}", DEFAULTS[key])


def set(**settings):
    """Change settings, globally or as a context manager: ``with df.config.set(chunk_bytes=2**20): ...``."""
    unknown = [k for k in settings if k not in DEFAULTS]
    if unknown:
        raise KeyError(f"unknown daskflow setting(s) {unknown}; known: {sorted(DEFAULTS)}")
    return dask.config.set({f"daskflow.{k}": v for k, v in settings.items()})
