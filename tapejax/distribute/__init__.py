"""``tf.distribute`` on JAX's sharding: data-parallel training over devices and processes.

A strategy runs one replica per device of a one-axis ``jax.sharding.Mesh``: batches are sharded
on it, Variables created in ``strategy.scope()`` are replicated on it, and ``strategy.run``
traces the replica function once under ``jax.shard_map``, compiled with the rest of the step.
See ``docs/distribute.md``.
"""
from . import cluster_resolver as cluster_resolver, experimental as experimental  # noqa: F401
from ._context import (  # noqa: F401
    get_replica_context as get_replica_context, get_strategy as get_strategy,
    has_strategy as has_strategy, in_cross_replica_context as in_cross_replica_context,
)
from ._input import (  # noqa: F401
    DistributedDataset as DistributedDataset, DistributedIterator as DistributedIterator,
    InputContext as InputContext, InputOptions as InputOptions,
)
from ._multi_worker import MultiWorkerMirroredStrategy as MultiWorkerMirroredStrategy  # noqa
from ._replica import ReplicaContext as ReplicaContext  # noqa: F401
from ._strategy import (  # noqa: F401
    CrossDeviceOps as CrossDeviceOps, HierarchicalCopyAllReduce as HierarchicalCopyAllReduce,
    MirroredStrategy as MirroredStrategy, NcclAllReduce as NcclAllReduce,
    OneDeviceStrategy as OneDeviceStrategy, ReductionToOneDevice as ReductionToOneDevice,
    RunOptions as RunOptions, Strategy as Strategy, StrategyExtended as StrategyExtended,
)
from ._values import DistributedValues as DistributedValues, ReduceOp as ReduceOp  # noqa: F401
