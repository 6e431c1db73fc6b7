"""TF1's ``tf.test``: ``TestCase`` and ``main`` for unittest-style graph tests, gradient checks, benchmarks, and
what the machine offers (GPUs through cupy, a local dask cluster)."""
import atexit
import functools
import inspect
import os
import platform
import shutil
import tempfile
import unittest
from unittest import mock  # noqa: F401 - tf.test.mock

from .benchmark import Benchmark, benchmark_config
from .gradient_checker import compute_gradient, compute_gradient_error
from .graphs import assert_equal_graph_def
from .testcase import TestCase

__all__ = ["Benchmark", "StubOutForTesting", "TestCase", "assert_equal_graph_def", "benchmark_config",
           "compute_gradient", "compute_gradient_error", "create_local_cluster", "disable_with_predicate",
           "get_temp_dir", "gpu_device_name", "is_built_with_cuda", "is_built_with_gpu_support",
           "is_built_with_rocm", "is_built_with_xla", "is_cpu_target_available", "is_gpu_available", "main", "mock",
           "test_src_dir_path", "with_eager_op_as_function"]


def main(argv=None):
    """Run the tests of the ``__main__`` module (``unittest.main``) and exit with their status."""
    return unittest.main(module="__main__", argv=argv)


_TEMP_DIR = []


def get_temp_dir():
    """A temporary directory of this process, made on first use and removed at exit."""
    if not _TEMP_DIR:
        d = tempfile.mkdtemp(prefix="daskflow_test_")
        atexit.register(shutil.rmtree, d, ignore_errors=True)
        _TEMP_DIR.append(d)
    return _TEMP_DIR[0]


def test_src_dir_path(relative_path):
    """The path of ``relative_path`` inside daskflow's source directory (the ``daskflow`` package)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), relative_path)


test_src_dir_path.__test__ = False  # a helper, not a test


# -- devices

def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def _gpus():
    """``[(major, minor) compute capability]`` of the GPUs cupy sees."""
    cp = _cupy()
    if cp is None:
        return []
    try:
        n = cp.cuda.runtime.getDeviceCount()
        return [divmod(int(cp.cuda.Device(i).compute_capability), 10) for i in range(n)]
    except Exception:  # noqa: BLE001 - no driver, no device
        return []


def gpu_device_name():
    """``'/device:GPU:0'`` when cupy sees a GPU, else ``''``."""
    return "/device:GPU:0" if _gpus() else ""


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """Whether cupy sees a GPU (of at least ``min_cuda_compute_capability``, a ``(major, minor)`` tuple)."""
    if cuda_only and is_built_with_rocm():
        return False
    want = tuple(min_cuda_compute_capability or (0, 0))
    return any(cc >= want for cc in _gpus())


def is_built_with_rocm():
    """Whether daskflow can use AMD GPUs: cupy is installed, built for ROCm."""
    cp = _cupy()
    return bool(cp is not None and getattr(cp.cuda.runtime, "is_hip", False))


def is_built_with_cuda():
    """Whether daskflow can use CUDA GPUs: cupy is installed, built for CUDA."""
    return _cupy() is not None and not is_built_with_rocm()


def is_built_with_gpu_support():
    """Whether daskflow can use GPUs: cupy is installed."""
    return _cupy() is not None


def is_built_with_xla():
    """False: daskflow does not compile with XLA."""
    return False


_ARCH = {"x86": ("x86_64", "amd64", "i386", "i686", "x86"), "aarch64": ("aarch64", "arm64"),
         "arm": ("armv7l", "armv6l", "arm"), "powerpc": ("ppc64le", "ppc64"), "s390x": ("s390x",)}


def is_cpu_target_available(target):
    """Whether ``target`` (``'x86'``, ``'aarch64'``, ``'arm'``, ``'powerpc'``, ``'s390x'``) is this machine's CPU
    architecture, the one daskflow's kernels run on."""
    return platform.machine().lower() in _ARCH.get(target.lower(), (target.lower(),))


# -- a local cluster

class LocalServer:
    """One worker of ``create_local_cluster``: ``target`` is the cluster's scheduler address (what
    ``Session(target)`` connects to), ``address`` the worker's own, ``cluster`` the ``distributed.LocalCluster``."""

    def __init__(self, cluster, address):
        self.cluster, self.address = cluster, address
        self.target = cluster.scheduler_address

    def __repr__(self):
        return f"<LocalServer {self.address} of {self.target}>"


def create_local_cluster(num_workers, num_ps, protocol="grpc", worker_config=None, ps_config=None):
    """Start a dask.distributed ``LocalCluster`` on 127.0.0.1 of ``num_workers + num_ps`` single-threaded workers
    (threads of this process) and return ``(workers, ps_servers)``: lists of ``LocalServer`` (``.target`` the
    scheduler address for ``Session(target)``, ``.address`` the worker's, ``.cluster`` the cluster, to ``close()``;
    it is closed at exit otherwise). daskflow has no parameter servers: the ``num_ps`` are workers like the
    others. ``protocol`` (TF's ``grpc``) and the configs are accepted for TensorFlow compatibility; dask speaks TCP.
    """
    from distributed import LocalCluster
    cluster = LocalCluster(n_workers=num_workers + num_ps, threads_per_worker=1, processes=False,
                           host="127.0.0.1", protocol="tcp://", dashboard_address=None)
    atexit.register(cluster.close)
    addresses = sorted(cluster.scheduler_info["workers"])
    servers = [LocalServer(cluster, a) for a in addresses]
    return servers[:num_workers], servers[num_workers:]


# -- decorators and stubs

def disable_with_predicate(pred, skip_message):
    """Decorate a test method to skip it (``skipTest(skip_message)``) when ``pred()`` is true."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            if pred():
                self.skipTest(skip_message)
            return func(self, *args, **kwargs)
        return wrapper
    return decorator


def with_eager_op_as_function(cls=None, only_as_function=False):
    """Leaves the test class as it is (daskflow has no eager mode to run it in)."""
    return cls if cls is not None else (lambda c: c)


class StubOutForTesting:
    """Replace attributes of objects (modules, classes, instances) for a test, and put them back
    (``UnsetAll`` / ``SmartUnsetAll`` / ``CleanUp``). ``Set`` replaces an attribute; ``SmartSet`` replaces one a
    class inherits, keeping static and class methods what they were."""

    def __init__(self):
        self.cache = []   # (parent, old value or _ABSENT, name) of Set
        self.stubs = []   # (obj, name, old value or _ABSENT) of SmartSet

    _ABSENT = object()

    def __del__(self):
        self.CleanUp()

    def CleanUp(self):
        self.SmartUnsetAll()
        self.UnsetAll()

    def SmartSet(self, obj, attr_name, new_attr):
        """Replace ``obj.attr_name`` (found on ``obj`` or its classes) with ``new_attr``."""
        if inspect.isclass(obj):
            for cls in inspect.getmro(obj):
                if attr_name in vars(cls):
                    kind = vars(cls)[attr_name]
                    if isinstance(kind, staticmethod):
                        new_attr = staticmethod(new_attr)
                    elif isinstance(kind, classmethod):
                        new_attr = classmethod(new_attr)
                    break
        old = vars(obj).get(attr_name, self._ABSENT) if hasattr(obj, "__dict__") else getattr(obj, attr_name)
        self.stubs.append((obj, attr_name, old))
        setattr(obj, attr_name, new_attr)

    def SmartUnsetAll(self):
        for obj, name, old in reversed(self.stubs):
            if old is self._ABSENT:
                delattr(obj, name)
            else:
                setattr(obj, name, old)
        self.stubs = []

    def Set(self, parent, child_name, new_child):
        """Replace ``parent.child_name`` with ``new_child``."""
        old = getattr(parent, child_name)
        raw = vars(parent).get(child_name) if inspect.isclass(parent) else None
        if isinstance(raw, (staticmethod, classmethod)):
            old = raw
            new_child = type(raw)(new_child)
        self.cache.append((parent, old, child_name))
        setattr(parent, child_name, new_child)

    def UnsetAll(self):
        for parent, old, name in reversed(self.cache):
            setattr(parent, name, old)
        self.cache = []
