"""Distributed input: datasets whose batches are split over the replicas.

Any iterable of batches works (a ``tf.data.Dataset``, a list, a generator function's result):
a batch is a tensor, NumPy array, or a tuple/list/dict of them. Each global batch becomes one
``PerReplica`` per leaf, built as one array sharded on the strategy's mesh.
"""
from .. import errors


class InputContext:
    """What ``distribute_datasets_from_function`` passes to its ``dataset_fn`` (TF's).

    >>> import tapejax as tf
    >>> tf.distribute.InputContext(1, 0, 4).get_per_replica_batch_size(16)
    4
    """

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self._num_input_pipelines = num_input_pipelines
        self._input_pipeline_id = input_pipeline_id
        self._num_replicas_in_sync = num_replicas_in_sync

    @property
    def num_replicas_in_sync(self):
        return self._num_replicas_in_sync

    @property
    def input_pipeline_id(self):
        return self._input_pipeline_id

    @property
    def num_input_pipelines(self):
        return self._num_input_pipelines

    def get_per_replica_batch_size(self, global_batch_size):
        if global_batch_size % self._num_replicas_in_sync != 0:
            raise ValueError(f"The `global_batch_size` {global_batch_size} is not divisible by "
                             f"`num_replicas_in_sync` {self._num_replicas_in_sync} ")
        return global_batch_size // self._num_replicas_in_sync

    def __str__(self):
        return (f"tf.distribute.InputContext(input pipeline id {self._input_pipeline_id}, "
                f"total: {self._num_input_pipelines})")


class ValueContext:
    """What ``experimental_distribute_values_from_function`` passes to its ``value_fn``."""

    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self._replica_id_in_sync_group = replica_id_in_sync_group
        self._num_replicas_in_sync = num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        return self._replica_id_in_sync_group

    @property
    def num_replicas_in_sync(self):
        return self._num_replicas_in_sync

    def __str__(self):
        return (f"tf.distribute.ValueContext(replica id {self._replica_id_in_sync_group},  "
                f"total replicas in sync: {self._num_replicas_in_sync})")


class InputOptions:
    """``tf.distribute.InputOptions``: accepted for compatibility (batches always go to the
    replicas' devices)."""

    def __init__(self, experimental_fetch_to_device=None,
                 experimental_replication_mode=None,
                 experimental_place_dataset_on_device=False,
                 experimental_per_replica_buffer_size=1):
        self.experimental_fetch_to_device = experimental_fetch_to_device
        self.experimental_replication_mode = experimental_replication_mode
        self.experimental_place_dataset_on_device = experimental_place_dataset_on_device
        self.experimental_per_replica_buffer_size = experimental_per_replica_buffer_size


class DistributedDataset:
    """An iterable of distributed batches (``tf.distribute.DistributedDataset``): each ``iter``
    starts a new pass over the underlying iterable."""

    def __init__(self, strategy, source, per_replica):
        self._strategy = strategy
        self._source = source  # () -> the iterable of batches
        self._per_replica = per_replica  # batches are per-replica (from a dataset_fn)

    def __iter__(self):
        return DistributedIterator(self._strategy, iter(self._source()), self._per_replica)

    def reduce(self, initial_state, reduce_fn):
        """Folds ``reduce_fn(state, batch)`` over the distributed batches (TF's)."""
        state = initial_state
        for batch in self:
            state = reduce_fn(state, batch)
        return state


class DistributedIterator:
    """Iterator over distributed batches (``tf.distribute.DistributedIterator``)."""

    def __init__(self, strategy, iterator, per_replica):
        self._strategy = strategy
        self._iterator = iterator
        self._per_replica = per_replica

    def __iter__(self):
        return self

    def __next__(self):
        strategy = self._strategy
        if not self._per_replica:
            return strategy._split_global(next(self._iterator))
        batches = [next(self._iterator) for _ in strategy._local_replica_ids()]
        return strategy._stack_local(batches)

    def get_next(self):
        """The next distributed batch; ``OutOfRangeError`` at the end, as TF."""
        try:
            return next(self)
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None
