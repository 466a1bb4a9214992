"""``tf.distribute.cluster_resolver``: where the workers of a multi-worker job are.

``TFConfigClusterResolver`` reads TF's ``TF_CONFIG`` environment variable, e.g.
``{"cluster": {"worker": ["10.0.0.1:1234", "10.0.0.2:1234"]}, "task": {"type": "worker",
"index": 0}}``; ``SimpleClusterResolver`` takes the cluster as arguments.
"""
import json
import os


class ClusterSpec:
    """Jobs and their task addresses (``tf.train.ClusterSpec``).

    >>> from tapejax.distribute.cluster_resolver import ClusterSpec
    >>> ClusterSpec({"worker": ["a:1", "b:1"]}).num_tasks("worker")
    2
    """

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_dict()
        self._cluster = {}
        for job, tasks in dict(cluster).items():
            if isinstance(tasks, dict):
                self._cluster[job] = {int(k): str(v) for k, v in tasks.items()}
            else:
                self._cluster[job] = dict(enumerate(str(t) for t in tasks))

    def as_dict(self):
        out = {}
        for job, tasks in self._cluster.items():
            dense = sorted(tasks) == list(range(len(tasks)))
            out[job] = [tasks[k] for k in sorted(tasks)] if dense else dict(tasks)
        return out

    @property
    def jobs(self):
        return list(self._cluster)

    def num_tasks(self, job_name):
        return len(self._cluster[job_name])

    def task_indices(self, job_name):
        return sorted(self._cluster[job_name])

    def task_address(self, job_name, task_index):
        return self._cluster[job_name][task_index]

    def job_tasks(self, job_name):
        return [self._cluster[job_name][k] for k in sorted(self._cluster[job_name])]

    def __bool__(self):
        return bool(self._cluster)

    def __eq__(self, other):
        return isinstance(other, ClusterSpec) and other.as_dict() == self.as_dict()

    def __repr__(self):
        return f"ClusterSpec({self.as_dict()})"


class ClusterResolver:
    """Base class: ``cluster_spec()``, ``task_type``, ``task_id``, ``master()``."""

    task_type = None
    task_id = None
    environment = ""
    rpc_layer = None

    def cluster_spec(self):
        raise NotImplementedError

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        task_type = self.task_type if task_type is None else task_type
        task_id = self.task_id if task_id is None else task_id
        if task_type is None or task_id is None:
            return ""
        address = self.cluster_spec().task_address(task_type, task_id)
        rpc_layer = self.rpc_layer if rpc_layer is None else rpc_layer
        return f"{rpc_layer}://{address}" if rpc_layer else address

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {}


class SimpleClusterResolver(ClusterResolver):
    """A cluster given explicitly (``tf.distribute.cluster_resolver.SimpleClusterResolver``)."""

    def __init__(self, cluster_spec, master="", task_type=None, task_id=None, environment="",
                 num_accelerators=None, rpc_layer=None):
        self._cluster_spec = ClusterSpec(cluster_spec)
        self._master = master
        self.task_type = task_type
        self.task_id = task_id
        self.environment = environment
        self.rpc_layer = rpc_layer
        self._num_accelerators = num_accelerators or {}

    def cluster_spec(self):
        return self._cluster_spec

    def master(self, task_type=None, task_id=None, rpc_layer=None):
        if task_type is not None and task_id is not None:
            return super().master(task_type, task_id, rpc_layer)
        return self._master

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return dict(self._num_accelerators)


class TFConfigClusterResolver(ClusterResolver):
    """The cluster described by the ``TF_CONFIG`` environment variable (read on each use)."""

    def __init__(self, task_type=None, task_id=None, rpc_layer=None, environment=None):
        self._task_type = task_type
        self._task_id = task_id
        self._rpc_layer = rpc_layer
        self._environment = environment

    @staticmethod
    def _config():
        return json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")

    @property
    def task_type(self):
        if self._task_type is not None:
            return self._task_type
        return self._config().get("task", {}).get("type")

    @property
    def task_id(self):
        if self._task_id is not None:
            return self._task_id
        index = self._config().get("task", {}).get("index")
        return None if index is None else int(index)

    @property
    def rpc_layer(self):
        return self._rpc_layer if self._rpc_layer is not None else self._config().get("rpc_layer")

    @property
    def environment(self):
        return self._environment if self._environment is not None else \
            self._config().get("environment")

    def cluster_spec(self):
        return ClusterSpec(self._config().get("cluster", {}))
