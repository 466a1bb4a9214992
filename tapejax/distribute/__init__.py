"""``tf.distribute`` on JAX's sharding: data-parallel training over devices and processes.

A strategy runs one replica per device of a one-axis ``jax.sharding.Mesh``: batches are sharded
on it, Variables created in ``strategy.scope()`` are replicated on it, and ``strategy.run``
traces the replica function once under ``jax.shard_map``, compiled with the rest of the step.
See ``docs/distribute.md``.
"""
from . import cluster_resolver as cluster_resolver, experimental as experimental
from ._context import (
    get_replica_context as get_replica_context,
    get_strategy as get_strategy,
    has_strategy as has_strategy,
    in_cross_replica_context as in_cross_replica_context,
)
from ._extended import StrategyExtended as StrategyExtended
from ._input import (
    DistributedDataset as DistributedDataset,
    DistributedIterator as DistributedIterator,
    InputContext as InputContext,
    InputOptions as InputOptions,
)
from ._multi_worker import MultiWorkerMirroredStrategy as MultiWorkerMirroredStrategy
from ._replica import ReplicaContext as ReplicaContext
from ._strategy import (
    CrossDeviceOps as CrossDeviceOps,
    HierarchicalCopyAllReduce as HierarchicalCopyAllReduce,
    MirroredStrategy as MirroredStrategy,
    NcclAllReduce as NcclAllReduce,
    OneDeviceStrategy as OneDeviceStrategy,
    ReductionToOneDevice as ReductionToOneDevice,
    RunOptions as RunOptions,
    Strategy as Strategy,
    TPUStrategy as TPUStrategy,
)
from ._values import DistributedValues as DistributedValues, ReduceOp as ReduceOp
