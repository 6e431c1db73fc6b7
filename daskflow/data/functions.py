"""User functions of a dataset's elements (``map``, ``filter``): built once into a private graph, run by a private
Session on each element."""
import math
import threading

import numpy as np

from .. import dtypes
from ..graph import Graph
from . import structure as nest
from .blocks import Unbounded, bounded

CALL_BYTES = 64 << 10  # Python objects of a call, per op of the function (measured: 5 KiB a call, 40-70 the first)


class GraphFn:
    """A user function of an element, built once into a private graph on placeholders shaped as the element,
    and run by a private Session on element values (numpy in, numpy out)."""

    def __init__(self, structure, fn):
        self.graph = Graph()
        with self.graph.as_default():
            from ..ops.registry import convert_to_tensor
            from ..ops.state import placeholder
            self.feeds = [placeholder(s.dtype, s.shape if s.shape.ndims is not None else None, name=f"arg{i}")
                          for i, s in enumerate(nest.flatten(structure))]
            arg = nest.pack(structure, self.feeds)
            out = fn(*arg) if isinstance(arg, tuple) and not hasattr(arg, "_fields") else fn(arg)
            self.structure = tuple(out) if isinstance(out, list) else out
            self.fetches = [convert_to_tensor(t) for t in nest.flatten(self.structure)]
        self._session = None
        self._lock = threading.Lock()

    def __call__(self, elem):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    from ..session import Session
                    self._session = Session(graph=self.graph, scheduler="sync")
        vals = self._session.run(self.fetches, feed_dict=dict(zip(self.feeds, elem)))
        return [np.asarray(v) for v in vals]

    def held_bytes(self):
        """The most one call holds: every tensor of the function's graph at once, and as much again for kernels'
        temporaries and the feeds' copies, plus the run's Python objects and the private Session's cached plan
        (``CALL_BYTES`` a op)."""
        total = 0
        ops = self.graph.get_operations()
        for t in (t for op in ops for t in op.outputs):
            if dtypes.is_string(t.dtype):
                raise Unbounded
            total += math.prod(bounded(t.shape)) * t.dtype.itemsize
        return 2 * total + CALL_BYTES * (len(ops) + 1)
