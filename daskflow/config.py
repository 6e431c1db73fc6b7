"""daskflow's settings, kept in dask's config under ``daskflow.*`` (so ``DASK_DASKFLOW__CHUNK_BYTES`` works).

- ``chunk_bytes``: the largest block daskflow makes by itself (feeds, variables, storage sources, generated
  tensors, merged contraction blocks). Default None: from what runs the graph (see ``daskflow.planner``), an
  eighth of a thread's memory budget, at most 32 MiB (as the storage chunks of a typical zarr data set: a
  stream then holds what dask's own reading of it would).
- ``task_bytes``: the most memory one task may be projected to hold (its input and output blocks); a run over it is
  refused before it starts. Default None: a thread's memory budget (locally, half the available memory over the
  threads; on a cluster, a worker's ``memory_limit`` times distributed's target fraction over its threads), or
  8 x ``chunk_bytes`` (at least 16 MiB) where only ``chunk_bytes`` is set.
- ``run_bytes``: the most memory a whole run may be projected to hold (a worker's share on a cluster): values in
  memory at once under the executor's order and threads, plus what running tasks need. A run over it is refused
  before it starts, and the executor keeps a run within its projection. Default None: ``task_bytes`` times the
  threads.

- ``fusion``: lower chains such as matmul + bias + relu as one kernel per block (see ``daskflow.fusion``), default
  True.
- ``one_task_runs``: on a cluster, run a small single-block run without placements or storage reads as one task
  next to the state it reads (``remote.run_inline``), as a TensorFlow worker runs its subgraph, default True: a
  training step of small blocks then costs one task rather than one per op.
- ``tower_bytes``: on a cluster of several workers, a one-task run whose feeds sharing a first (batch) dimension
  hold at least this many bytes is split along it: each worker runs the run's work on its share of the batch as one
  task (a tower, as in TensorFlow's synchronous data parallelism) and one more task combines their results
  (gradients summed, variables updated). Default 4 MiB; None runs every such run as one task.
- ``state_copies``: on a cluster, how many workers hold each block of a variable's value (see
  ``daskflow.remote``), default 2: a worker's death loses no state. 1 keeps one copy (half the memory and no copying
  after each run); a variable of which a block is lost is then an error.
- ``reuse_memory``: let the first Session tune the C allocator to reuse freed blocks up to 32 MiB (see
  ``daskflow.memory``), default True.

Peak memory of a run is projected before it runs (``Session.plan`` reports it) and kept to by the executor; it is
at most ``run_bytes`` whatever the size of the data.
"""
import dask

DEFAULTS = {"chunk_bytes": None, "task_bytes": None, "run_bytes": None, "reuse_memory": True, "fusion": True,
            "one_task_runs": True, "state_copies": 2,
            "tower_bytes": 4 * 2**20}


def get(key):
    """The value of setting ``key`` (e.g. ``"chunk_bytes"``). Read on every run, so straight from dask's config
    dict (what ``dask.config.get`` reads, under either spelling of the name) rather than through its slower
    general lookup."""
    d = dask.config.config.get("daskflow")
    if isinstance(d, dict):
        for k in (key, key.replace("_", "-")):
            if k in d:
                return d[k]
    return DEFAULTS[key]


def set(**settings):
    """Change settings, globally or as a context manager: ``with df.config.set(chunk_bytes=2**20): ...``."""
    unknown = [k for k in settings if k not in DEFAULTS]
    if unknown:
        raise KeyError(f"unknown daskflow setting(s) {unknown}; known: {sorted(DEFAULTS)}")
    for k, v in settings.items():
        if k in ("reuse_memory", "fusion", "one_task_runs"):
            if not isinstance(v, bool):
                raise ValueError(f"daskflow setting {k} must be True or False, got {v!r}")
            continue
        if k == "state_copies":
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"daskflow setting state_copies must be a whole number of workers, at least 1, "
                                 f"got {v!r}")
            continue
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or v < 1):
            raise ValueError(f"daskflow setting {k} must be a positive number of bytes, got {v!r}")
    return dask.config.set({f"daskflow.{k}": v for k, v in settings.items()})
