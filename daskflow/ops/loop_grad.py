"""The gradient of a loop (``While``): a loop (``WhileGrad``) over the forward loop's iterations in reverse.

Its loop variables are the gradients of the forward loop variables (``dv``) and of the captured tensors
(``dc``, summed over the iterations). On iteration ``i`` (from the last to the first) the forward loop's
variables are fed with their values on entering iteration ``i`` (kept by the forward loop, see ``looprun``),
and the body's gradient, built once here with ``gradients``, gives ``dv_i = (d body / d v)^T dv_{i+1}`` and
``dc += (d body / d c)^T dv_{i+1}``; the body's intermediate values are recomputed from the fed variables.
"""
from ..graph import name_scope
from .loops import Loop, captured_by
from .registry import apply, apply1


def _float(t):
    return t.dtype.kind in "fc"


def while_grad(op, dys):
    from ..autodiff import gradients
    from .generate import zeros_like
    from .math import add
    loop = op.attrs["loop"]
    n = op.attrs["n"]
    captured = op.inputs[n:]
    none = [None] * len(op.inputs)
    if not loop.back_prop:
        return none
    fl = [k for k, v in enumerate(loop.vars) if _float(v)]
    caps = [c for c in dict.fromkeys(captured) if _float(c)]
    if not fl or all(dys[k] is None for k in fl):
        return none
    graph = op.graph
    # the initial gradients, outside the gradient loop
    dv0 = [dys[k] if dys[k] is not None else zeros_like(op.outputs[k]) for k in fl]
    dc0 = [zeros_like(c) for c in caps]
    with name_scope(f"{loop.name}_grad") as scope:
        start = len(graph.get_operations())
        dv = [apply1("LoopVar", [], {"shape": op.outputs[k].shape if loop.vars[k].shape.ndims is None
                                     else loop.vars[k].shape, "dtype": loop.vars[k].dtype, "index": j},
                     name="LoopVar") for j, k in enumerate(fl)]
        dc = [apply1("LoopVar", [], {"shape": c.shape, "dtype": c.dtype, "index": len(fl) + j}, name="LoopVar")
              for j, c in enumerate(caps)]
        with name_scope("body"):
            # each captured tensor a leaf: the run's own backward pass goes on from each of them
            g = gradients([loop.body_out[k] for k in fl], [loop.vars[k] for k in fl] + caps, grad_ys=dv,
                          stop_gradients=caps)
            new_dv = [gi if gi is not None else zeros_like(loop.vars[k]) for gi, k in zip(g[:len(fl)], fl)]
            new_dc = [d if gi is None else add(d, gi) for d, gi in zip(dc, g[len(fl):])]
        made = graph.get_operations()[start:]
        inside = set(made) | loop.inside  # the forward body's ops run again, on the fed forward variables
        gloop = Loop(scope[:-1], dv + dc, None, new_dv + new_dc, [], inside, forward=loop)
        gloop.captured = captured_by(made + sorted(loop.inside, key=lambda o: o._id), inside)
        gloop.make_sets(dv0 + dc0)
        shapes = [t.shape for t in dv + dc]
        outs = apply("WhileGrad", [*dv0, *dc0, *op.outputs, *gloop.captured],
                     {"loop": gloop, "n": len(dv) + len(dc), "shapes": shapes}, name=scope[:-1])
    gloop.op = outs[0].op
    loop.grads.append(gloop.op)
    by_cap = dict(zip(caps, outs[len(fl):]))
    result = [None] * n
    for j, k in enumerate(fl):
        result[k] = outs[j]
    return result + [by_cap.get(c) for c in captured]
