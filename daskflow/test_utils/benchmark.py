"""TF1's ``tf.test.Benchmark``: time ops in a Session and report the figures (logged, and written as JSON where
``TEST_REPORT_FILE_PREFIX`` is set), and ``benchmark_config``."""
import inspect
import json
import math
import numbers
import os
import time

from .. import logging

__all__ = ["Benchmark", "benchmark_config"]


def _median(xs):
    s = sorted(xs)
    return (s[len(s) // 2] + s[(len(s) - 1) // 2]) / 2.0 if s else -1


def _mean_and_stdev(xs):
    if not xs:
        return -1, -1
    mean = sum(xs) / len(xs)
    if len(xs) == 1:
        return mean, -1
    return mean, math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def report(name, iters=None, cpu_time=None, wall_time=None, throughput=None, extras=None, metrics=None):
    """Log one benchmark entry; where ``TEST_REPORT_FILE_PREFIX`` is set, also write it as JSON to
    ``<prefix><name with / as __>`` (an ``OSError`` if that file exists). Returns the entry."""
    if extras is not None and not isinstance(extras, dict):
        raise TypeError("extras must be a dict")
    if metrics is not None:
        if not isinstance(metrics, list):
            raise TypeError("metrics must be a list")
        for m in metrics:
            if "name" not in m:
                raise TypeError("metric must has a 'name' field")
            if "value" not in m:
                raise TypeError("metric must has a 'value' field")
    logging.info("Benchmark [%s] iters: %d, wall_time: %g, cpu_time: %g,throughput: %g, extras: %s, metrics: %s",
                 name, -1 if iters is None else iters, -1 if wall_time is None else wall_time,
                 -1 if cpu_time is None else cpu_time, -1 if throughput is None else throughput,
                 str(extras) if extras else "None", str(metrics) if metrics else "None")
    entry = {"name": name}
    for key, value in (("iters", iters), ("cpu_time", cpu_time), ("wall_time", wall_time),
                       ("throughput", throughput)):
        if value is not None:
            entry[key] = value
    if extras:
        entry["extras"] = {k: ({"double_value": float(v)} if isinstance(v, numbers.Number)
                               else {"string_value": str(v)}) for k, v in extras.items()}
    if metrics:
        entry["metrics"] = [{k: (float(v) if k != "name" else v) for k, v in m.items()} for m in metrics]
    prefix = os.environ.get("TEST_REPORT_FILE_PREFIX")
    if prefix:
        path = prefix + name.replace("/", "__")
        if os.path.exists(path):
            raise OSError(f"File already exists: {path}")
        with open(path, "w") as f:
            json.dump({"entry": [entry]}, f, indent=1)
    return entry


class Benchmark:
    """Base class of benchmarks (TF1's ``tf.test.Benchmark``): ``run_op_benchmark`` times an op in a Session,
    ``report_benchmark`` records figures under the name ``<class>.<calling method>``."""

    def _get_name(self, overwrite_name=None):
        if overwrite_name:
            return overwrite_name
        for frame in inspect.stack()[1:]:
            if frame.function.startswith("benchmark") or frame.function.startswith("test"):
                return f"{type(self).__name__}.{frame.function}"
        return type(self).__name__

    def report_benchmark(self, iters=None, cpu_time=None, wall_time=None, throughput=None, extras=None, name=None,
                         metrics=None):
        """Record one benchmark's figures: ``iters`` run, ``cpu_time`` and ``wall_time`` in seconds (per
        iteration), ``throughput`` in MB/s, ``extras`` (dict of numbers or strings), ``metrics`` (list of dicts
        with ``name`` and ``value``)."""
        report(self._get_name(name), iters, cpu_time, wall_time, throughput, extras, metrics)

    def run_op_benchmark(self, sess, op_or_tensor, feed_dict=None, burn_iters=2, min_iters=10, store_trace=False,
                         store_memory_usage=True, name=None, extras=None, mbs=0):
        """Run ``op_or_tensor`` in ``sess`` ``burn_iters`` times, then time ``min_iters`` runs and report the
        median wall time (and ``mbs`` megabytes / median as throughput). Returns the reported figures, with
        ``wall_time_mean`` and ``wall_time_stdev`` added to ``extras``. ``store_trace`` and
        ``store_memory_usage`` are accepted for TensorFlow compatibility (no trace is recorded)."""
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        deltas = []
        for _ in range(min_iters):
            start = time.time()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            deltas.append(time.time() - start)
        median = _median(deltas)
        values = {"iters": min_iters, "wall_time": median, "extras": dict(extras or {}),
                  "name": self._get_name(name), "throughput": mbs / median if median > 0 else 0.0}
        self.report_benchmark(**values)
        mean, stdev = _mean_and_stdev(deltas)
        values["extras"].update(wall_time_mean=mean, wall_time_stdev=stdev)
        return values

    def evaluate(self, tensors):
        """The values of ``tensors`` in the default session."""
        from ..session import get_default_session
        sess = get_default_session()
        if sess is None:
            raise ValueError("Benchmark.evaluate() needs a default session (run it inside `with sess.as_default()`)")
        return sess.run(tensors)


def benchmark_config():
    """The ``ConfigProto`` TF uses for benchmarks (graph rewriting's dependency optimization off); daskflow's
    Session records it."""
    from tensorboard.compat.proto import config_pb2, rewriter_config_pb2
    from ..session import ConfigProto
    graph_options = config_pb2.GraphOptions()
    graph_options.rewrite_options.dependency_optimization = rewriter_config_pb2.RewriterConfig.OFF
    return ConfigProto(graph_options=graph_options)
