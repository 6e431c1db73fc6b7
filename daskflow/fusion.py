"""Plan-time fusion: chains of ops whose intermediate results nothing else needs are lowered as one kernel per
block, as TF's graph optimizer (grappler's remapper) rewrites them into ``_FusedMatMul``.

The graph itself is not changed: gradients, names and ``df.lower`` see the ops the user built. Only a run's
lowering (``lowering.Lowering``) replaces a matched chain by one dask task per output block, which computes the
product and applies the rest in place while it is in cache. Patterns (matrices of floating point dtype):

- ``MatMul -> Add(bias) [-> Relu]``: a dense layer (``xw_plus_b``, ``relu_layer``, ``matmul(x, W) + b``);
- ``MatMul -> Relu``;
- ``MatMul -> ReluGrad(., y)``: the backward pass through a relu layer (``dy @ W^T`` masked by ``y > 0``).

A chain is fused only when each intermediate tensor has exactly one consumer in the run, is not fetched or fed,
and its op is nobody's control input. When the contraction cannot be done in one task per output block (the
planner splits it across blocks), the chain is lowered op by op as usual. ``df.config.set(fusion=False)``
turns fusion off.
"""
import collections

from . import config, planner
from .graph import Tensor
from .ops.math import matmul_blocks

__all__ = ["Fusion", "find"]

_MATMUL, _ADD = "BatchMatMulV2", "AddV2"


class Fusion:
    """One matched chain: ``root`` (its last op, whose output the fused kernel gives), the ``matmul`` op, the bias
    ``add`` op (or None), the ``bias`` and ``y`` tensors (or None) and the ``epilogue`` (None, "relu",
    "relu_grad")."""

    def __init__(self, root, matmul, add=None, bias=None, y=None, epilogue=None):
        self.root, self.matmul, self.add, self.bias, self.y, self.epilogue = root, matmul, add, bias, y, epilogue

    @property
    def absorbed(self):
        """The ops before the root, in graph order."""
        return [op for op in (self.matmul, self.add) if op is not None and op is not self.root]

    def lower(self, lowering):
        """The root's output as dask array, or None when the chain cannot run as one task per block."""
        a, b = (lowering.input_value(self.matmul, t) for t in self.matmul.inputs)
        bias = lowering.input_value(self.add, self.bias) if self.bias is not None else None
        y = lowering.input_value(self.root, self.y) if self.y is not None else None
        if bias is not None and bias.ndim != 1 or y is not None and y.ndim != 2:
            return None
        attrs = self.matmul.attrs
        return matmul_blocks(a, b, attrs["transpose_a"], attrs["transpose_b"], self.root.outputs[0].dtype,
                             bias=bias, y=y, epilogue=self.epilogue)

    def footprint(self, lowering, out):
        """Projected memory of one fused task: the contraction's blocks plus the bias and ``y`` blocks."""
        a, b = (lowering.input_value(self.matmul, t) for t in self.matmul.inputs)
        ta, tb = self.matmul.attrs["transpose_a"], self.matmul.attrs["transpose_b"]
        extra = [lowering.input_value(self.add, self.bias)] if self.bias is not None else []
        extra += [lowering.input_value(self.root, self.y)] if self.y is not None else []
        return (planner.contraction_bytes(a, (0 if ta else 1,), b, (1 if tb else 0,), [out])
                + sum(planner.block_bytes(x) for x in extra))


def _is_matrix(t):
    return t.shape.ndims == 2 and t.dtype.kind == "f"


def find(ops, targets, fed=()):
    """The fusable chains among ``ops`` (a run's ops in topological order, computing ``targets``), by root op."""
    if not config.get("fusion"):
        return {}
    uses = collections.Counter(t for op in ops for t in op.inputs)
    controls = {c for op in ops for c in op.control_inputs}
    pinned = {t for t in targets if isinstance(t, Tensor)} | set(fed)

    def only_feeds_one(t):
        return uses[t] == 1 and t not in pinned and t.op not in controls and len(t.op.outputs) == 1

    def product(t):
        """``t``'s matmul op, when ``t`` is a plain product of two float matrices used once."""
        op = t.op
        if (op.type == _MATMUL and only_feeds_one(t) and _is_matrix(t) and all(_is_matrix(x) for x in op.inputs)
                and t.dtype == op.inputs[0].dtype):
            return op
        return None

    def biased(t):
        """(matmul op, add op, bias) when ``t`` is ``matmul + bias`` with a 1-D bias the size of its columns."""
        op = t.op
        if op.type != _ADD or not _is_matrix(t):
            return None
        for p, q in (op.inputs, op.inputs[::-1]):
            mm = product(p)
            if mm is not None and q.shape.ndims == 1 and q.shape[0] is not None and q.shape[0] == p.shape[1] \
                    and q.dtype == p.dtype:
                return mm, op, q
        return None

    found, taken = {}, set()
    for op in reversed(ops):  # roots first: a chain's longest match wins
        if op in taken:
            continue
        f = None
        if op.type == "Relu" and _is_matrix(op.outputs[0]):
            x = op.inputs[0]
            hit = biased(x) if only_feeds_one(x) else None
            if hit is not None:
                f = Fusion(op, hit[0], hit[1], bias=hit[2], epilogue="relu")
            elif product(x) is not None:
                f = Fusion(op, x.op, epilogue="relu")
        elif op.type == "ReluGrad" and _is_matrix(op.outputs[0]):
            dy, y = op.inputs
            if product(dy) is not None and _is_matrix(y):
                f = Fusion(op, dy.op, y=y, epilogue="relu_grad")
        elif op.type == _ADD:
            hit = biased(op.outputs[0])
            if hit is not None:
                f = Fusion(op, hit[0], hit[1], bias=hit[2])
        if f is not None and not taken.intersection(f.absorbed):
            found[op] = f
            taken.update(f.absorbed)
            taken.add(op)
    return found
