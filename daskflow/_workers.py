"""What daskflow installs on a dask.distributed cluster's workers (imported only where a cluster is used)."""
from distributed.diagnostics.plugin import WorkerPlugin

from . import memory


class TuneAllocator(WorkerPlugin):
    """``memory.tune_allocator`` on each worker (and on workers that join later), within its memory limit."""

    def setup(self, worker):
        memory.tune_allocator(getattr(getattr(worker, "memory_manager", None), "memory_limit", None))
