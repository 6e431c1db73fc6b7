"""TF1's ``tf.train.replica_device_setter``: a device function placing variables on parameter-server tasks in
turn and every other op on the worker."""
import logging

from ..graph import DeviceSpec

__all__ = ["replica_device_setter"]

STANDARD_PS_OPS = ("Variable", "VariableV2", "AutoReloadVariable", "MutableHashTable", "MutableHashTableV2",
                   "MutableHashTableOfTensors", "MutableHashTableOfTensorsV2", "MutableDenseHashTable",
                   "MutableDenseHashTableV2", "VarHandleOp", "BoostedTreesEnsembleResourceHandleOp",
                   "BoostedTreesQuantileStreamResourceHandleOp", "ResourceConditionalAccumulator",
                   "DecisionTreeResource")


class _RoundRobinStrategy:
    """The ps task of each placed op: 0, 1, ..., ``num_tasks - 1``, 0, ... in the order they are asked for."""

    def __init__(self, num_tasks):
        self._num_tasks = num_tasks
        self._next_task = 0

    def __call__(self, unused_op):
        task = self._next_task
        self._next_task = (self._next_task + 1) % self._num_tasks
        return task


def _spec(s):
    return DeviceSpec.from_string(s or "")


class _ReplicaDeviceChooser:
    def __init__(self, ps_tasks, ps_device, worker_device, merge_devices, ps_ops, ps_strategy):
        self._ps_tasks, self._ps_device, self._worker_device = ps_tasks, ps_device, worker_device
        self._merge_devices, self._ps_ops, self._ps_strategy = merge_devices, ps_ops, ps_strategy

    def device_function(self, op):
        """The device of ``op``: its own device's fields where set, over the ps device (with the strategy's task,
        when the op's job is unset or the ps job) for ``ps_ops``, over the worker device for the others."""
        if not self._merge_devices and op.device:
            return op.device
        current = _spec(op.device)
        if self._ps_tasks and self._ps_device and op.type in self._ps_ops:
            ps = _spec(self._ps_device)
            if ps.job and (not current.job or current.job == ps.job):
                ps = ps.merge_from(DeviceSpec(task=self._ps_strategy(op)))
            return ps.merge_from(current).to_string()
        return _spec(self._worker_device).merge_from(current).to_string()


def _ps_count(cluster, ps_device):
    """How many tasks ``cluster`` (a dict job -> list or dict of tasks, or an object with ``as_dict()``) gives
    the job of ``ps_device``; None when it has no such job."""
    spec = cluster.as_dict() if hasattr(cluster, "as_dict") else cluster
    if not isinstance(spec, dict):
        raise TypeError(f"cluster must be a dictionary mapping one or more job names to lists of network addresses, "
                        f"or a ClusterSpec; got {cluster!r}")
    tasks = spec.get(_spec(ps_device).job)
    return None if tasks is None else len(tasks)


def replica_device_setter(ps_tasks=0, ps_device="/job:ps", worker_device="/job:worker", merge_devices=True,
                          cluster=None, ps_ops=None, ps_strategy=None):
    """A device function for ``with tf.device(...)``: ops of the types in ``ps_ops`` (default: the variable and
    table ops) go to the ps tasks, chosen by ``ps_strategy`` (default: round robin), the others to
    ``worker_device``; a device an op already has keeps its fields (``merge_devices``).

    Parameters
    ----------
    ps_tasks : int
        Number of ps tasks (ignored when ``cluster`` is given: the number of tasks of its ps job).
    ps_device, worker_device : str
        The ps and worker devices ("" for none).
    merge_devices : bool
        Merge into devices ops already have (else an op with a device keeps it whole).
    cluster : dict or ClusterSpec, optional
        Job name -> task addresses.
    ps_ops : list of str, optional
        Op types placed on the ps tasks.
    ps_strategy : callable, optional
        ``op -> ps task index``.

    Returns
    -------
    callable or None
        ``op -> device string``; None when there are no ps tasks (no ps job in ``cluster``, or ``ps_tasks`` 0).

    Examples
    --------
    >>> import daskflow as df
    >>> setter = df.train.replica_device_setter(cluster={"ps": ["ps0:2222", "ps1:2222"], "worker": ["w0:2222"]})
    >>> v = df.Variable(1.0, name="v")
    >>> setter(v.op), setter((v + 1.0).op)
    ('/job:ps/task:0', '/job:worker')
    """
    if cluster is not None:
        ps_tasks = _ps_count(cluster, ps_device)
        if ps_tasks is None:
            return None
    if ps_tasks == 0:
        return None
    if ps_ops is None:
        ps_ops = list(STANDARD_PS_OPS)
    if not merge_devices:
        logging.getLogger("daskflow").warning(
            "DEPRECATION: It is recommended to set merge_devices=true in replica_device_setter")
    if ps_strategy is None:
        ps_strategy = _RoundRobinStrategy(ps_tasks)
    if not callable(ps_strategy):
        raise TypeError("ps_strategy must be callable")
    return _ReplicaDeviceChooser(ps_tasks, ps_device, worker_device, merge_devices, ps_ops,
                                 ps_strategy).device_function
