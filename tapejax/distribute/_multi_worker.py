"""``MultiWorkerMirroredStrategy``: one mesh over the devices of several processes.

The cluster comes from ``TF_CONFIG`` (or a cluster resolver); with more than one task the
strategy calls ``jax.distributed.initialize`` with the first task (the chief if there is one,
else worker 0) as coordinator, so it must be created before anything else uses JAX, as TF
requires collective ops to be configured at program start-up.
"""
import enum

import jax

from ._strategy import Strategy
from .cluster_resolver import TFConfigClusterResolver

TOO_LATE = (
    "MultiWorkerMirroredStrategy must be created at program start-up, before any JAX "
    "computation (jax.distributed.initialize needs to run before JAX's backend starts). "
    "Create the strategy right after `import tapejax`. JAX said: {}")
BAD_TASK = ("MultiWorkerMirroredStrategy runs on 'chief' and 'worker' tasks; this task is "
            "{task_type!r} {task_id!r} in cluster {cluster}.")
DEFAULT_TIMEOUT_S = 300


class CommunicationImplementation(enum.Enum):
    """``tf.distribute.experimental.CommunicationImplementation`` (XLA picks the algorithm)."""

    AUTO = "AUTO"
    RING = "RING"
    NCCL = "NCCL"


class CommunicationOptions:
    """``tf.distribute.experimental.CommunicationOptions``; ``timeout_seconds`` bounds the wait
    for the other processes at start-up, the rest is for compatibility."""

    def __init__(self, bytes_per_pack=0, timeout_seconds=None,
                 implementation=CommunicationImplementation.AUTO):
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation


def _tasks(cluster):
    """The cluster's chief and worker addresses, in JAX process order."""
    return list(cluster.get("chief", [])) + list(cluster.get("worker", []))


class MultiWorkerMirroredStrategy(Strategy):
    """``tf.distribute.MultiWorkerMirroredStrategy`` on ``jax.distributed``.

    Every process runs the same program; the replicas are all devices of all processes (each
    process contributes its local devices of JAX's default backend), in process order. Variables
    take worker 0's initial values. A distributed dataset gives each process the rows of the
    global batch that belong to its replicas.

    Args:
      cluster_resolver: *Optional.* Where the tasks are; default ``TFConfigClusterResolver``.
      communication_options: *Optional, CommunicationOptions.* ``timeout_seconds`` bounds the
        start-up wait for the other processes (default 300 s).
    """

    _mirrored = True
    _job = "worker"

    def __init__(self, cluster_resolver=None, communication_options=None):
        resolver = cluster_resolver if cluster_resolver is not None \
            else TFConfigClusterResolver()
        self._cluster_resolver = resolver
        cluster = resolver.cluster_spec().as_dict()
        tasks = _tasks(cluster)
        if len(tasks) > 1:
            task_type, task_id = resolver.task_type, resolver.task_id
            if task_type not in ("chief", "worker") or task_id is None:
                raise ValueError(BAD_TASK.format(task_type=task_type, task_id=task_id,
                                                 cluster=cluster))
            offset = 0 if task_type == "chief" else len(cluster.get("chief", []))
            timeout = getattr(communication_options, "timeout_seconds", None)
            _initialize(tasks[0], len(tasks), offset + int(task_id),
                        int(timeout) if timeout else DEFAULT_TIMEOUT_S)
            devices = sorted(jax.devices(), key=lambda d: (d.process_index, d.id))
            self._multi_worker = True
        else:
            devices = jax.local_devices()
        super().__init__(devices)

    @property
    def cluster_resolver(self):
        return self._cluster_resolver


def _initialize(coordinator, num_processes, process_id, timeout):
    if jax.distributed.is_initialized():
        if jax.process_count() != num_processes or jax.process_index() != process_id:
            raise RuntimeError(
                f"jax.distributed is already initialized as process {jax.process_index()} of "
                f"{jax.process_count()}, but the cluster says {process_id} of {num_processes}.")
        return
    try:
        jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                                   process_id=process_id, initialization_timeout=timeout)
    except RuntimeError as e:
        if "must be called before" in str(e):
            raise RuntimeError(TOO_LATE.format(e)) from None
        raise
