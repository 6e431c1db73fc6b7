"""TF1's ``tf.test.compute_gradient`` and ``compute_gradient_error``: a graph's Jacobian by its gradient ops and by
finite differences."""
import numpy as np

from ..autodiff import gradients
from ..ops.state import placeholder
from ..session import Session, get_default_session

__all__ = ["compute_gradient", "compute_gradient_error"]


def _session(graph):
    """The default session when it runs ``graph``; else a new one (closed by the caller)."""
    sess = get_default_session()
    if sess is not None and sess.graph is graph:
        return sess, False
    return Session(graph=graph), True


def _jacobians(sess, x, x_shape, y, y_shape, x_value, delta, feeds):
    """``(theoretical, numerical)``: arrays of shape ``(x size, y size)``; column j of the first is the gradient of
    ``y.flat[j]`` by backprop, row i of the second the central difference of ``y`` along ``x.flat[i]``."""
    x_size, y_size = int(np.prod(x_shape)), int(np.prod(y_shape))
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    with y.graph.as_default():
        dy = placeholder(y.dtype, y_shape)
        dx = gradients(y, x, dy)[0]
    theoretical = np.zeros((x_size, y_size), dtype=dtype)
    if dx is not None:
        for j in range(y_size):
            one_hot = np.zeros(y_size, dtype=y.dtype)
            one_hot[j] = 1
            g = sess.run(dx, {**feeds, x: x_value, dy: one_hot.reshape(y_shape)})
            theoretical[:, j] = np.asarray(g).reshape(x_size)
    numerical = np.zeros((x_size, y_size), dtype=dtype)
    flat = x_value.reshape(x_size)
    for i in range(x_size):
        plus, minus = flat.copy(), flat.copy()
        plus[i] += delta
        minus[i] -= delta
        y_plus = sess.run(y, {**feeds, x: plus.reshape(x_shape)}).astype(np.float64)
        y_minus = sess.run(y, {**feeds, x: minus.reshape(x_shape)}).astype(np.float64)
        numerical[i, :] = ((y_plus - y_minus) / (2 * delta)).reshape(y_size)
    return theoretical, numerical


def compute_gradient(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None,
                     extra_feed_dict=None):
    """The Jacobian of ``y`` with respect to ``x`` computed two ways: through the graph's gradient ops
    (theoretical) and by central differences of step ``delta`` (numerical), each an array of shape
    ``(x size, y size)`` (TF1's ``tf.test.compute_gradient``).

    ``x`` is a float tensor (fed ``x_init_value``, default uniform random values of ``x_shape``), or a list of
    tensors with lists of shapes and initial values: then the result is a list of ``(theoretical, numerical)``
    pairs, one per ``x``. ``init_targets`` are run first (variable initializers); ``extra_feed_dict`` feeds other
    tensors. Runs in the default session when it runs ``y``'s graph, else in a session of its own.
    """
    if isinstance(x, (list, tuple)):
        init_values = x_init_value if x_init_value is not None else [None] * len(x)
        feeds = dict(extra_feed_dict or {})
        values = [np.asarray(v, dtype=t.dtype) if v is not None else
                  np.random.random_sample(s).astype(t.dtype) for t, s, v in zip(x, x_shape, init_values)]
        out = []
        for i, (t, s) in enumerate(zip(x, x_shape)):
            others = {u: v for j, (u, v) in enumerate(zip(x, values)) if j != i}
            out.append(compute_gradient(t, s, y, y_shape, values[i], delta, init_targets if i == 0 else None,
                                        {**feeds, **others}))
        return out
    x_shape, y_shape = tuple(x_shape), tuple(y_shape)
    if x_init_value is not None:
        x_value = np.asarray(x_init_value, dtype=x.dtype)
        if x_value.shape != x_shape:
            raise ValueError(f"x_init_value has shape {x_value.shape}, x_shape is {x_shape}")
    else:
        x_value = np.random.random_sample(x_shape).astype(x.dtype)
    sess, own = _session(y.graph)
    try:
        for t in init_targets or []:
            sess.run(t)
        return _jacobians(sess, x, x_shape, y, y_shape, x_value, delta, dict(extra_feed_dict or {}))
    finally:
        if own:
            sess.close()


def compute_gradient_error(x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None,
                           extra_feed_dict=None):
    """The largest absolute difference between the theoretical and numerical Jacobians of ``compute_gradient``
    (over all ``x`` when it is a list)."""
    grads = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, init_targets, extra_feed_dict)
    if isinstance(grads, tuple):
        grads = [grads]
    return max((float(np.fabs(t - n).max()) if t.size else 0.0) for t, n in grads)
