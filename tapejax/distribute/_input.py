"""Distributed input: datasets whose batches are split over the replicas.

Any iterable of batches works (a ``tf.data.Dataset``, a list, a generator function's result):
a batch is a tensor, NumPy array, or a tuple/list/dict of them. Each global batch becomes one
``PerReplica`` per leaf, built as one array sharded on the strategy's mesh.
"""
import jax

from .. import _iterator_feeds as feeds, errors, nest
from ..data._iterator import _END, LookAhead, _AnyIterator
from ..data._optional import Optional
from ..tensor import Tensor
from ._values import PerReplica


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
        return DistributedIterator(self._strategy, self._source(), self._per_replica)

    @property
    def element_spec(self):
        """The element spec of the underlying dataset (one replica only)."""
        return _single_replica_spec(self._strategy, self._source())

    def reduce(self, initial_state, reduce_fn):
        """Folds ``reduce_fn(state, batch)`` over the distributed batches (TF's)."""
        state = initial_state
        for batch in self:
            state = reduce_fn(state, batch)
        return state


def _single_replica_spec(strategy, source):
    if strategy._n != 1:
        raise NotImplementedError("element_spec of a distributed dataset or iterator with "
                                  "several replicas (TF's PerReplicaSpec) is not implemented")
    return source.element_spec


def _host_elements(source):
    """The batches of ``source`` read on the host (a Dataset's own elements: reading them never
    feeds a function being traced)."""
    make = getattr(source, "_make_iterator", None)
    return make() if make is not None else iter(source)


class DistributedIterator(LookAhead):
    """Iterator over distributed batches (``tf.distribute.DistributedIterator``).

    Eagerly each ``get_next()`` splits the next global batch over the replicas. Inside a
    ``tapejax.function`` trace, an iterator made outside it feeds the program as a ``tf.data``
    iterator does (``_iterator_feeds``): each call pulls its own batch, as TF's.
    """

    def __init__(self, strategy, source, per_replica):
        self._strategy = strategy
        self._source = source
        self._iterator = _host_elements(source)
        self._per_replica = per_replica
        self._start()

    @property
    def element_spec(self):
        """The element spec of the underlying dataset (one replica only)."""
        return _single_replica_spec(self._strategy, self._source)

    def _produce(self):
        """The next distributed batch (``StopIteration`` at the end)."""
        strategy = self._strategy
        if not self._per_replica:
            return strategy._split_global(next(self._iterator))
        batches = [next(self._iterator) for _ in strategy._local_replica_ids()]
        return strategy._stack_local(batches)

    def __next__(self):
        return self._read("next", StopIteration)

    def get_next(self):
        """The next distributed batch; ``OutOfRangeError`` at the end, as TF."""
        return self._read("get_next", lambda: errors.OutOfRangeError(None, None,
                                                                     "End of sequence"))

    def _read(self, method, end):
        plan = feeds.active(method, self._created_in)
        if plan is not None:
            return self._traced(plan)
        batch = self._take()
        if batch is _END:
            raise end()
        return batch

    def get_next_as_optional(self):
        """The next batch as a ``tf.experimental.Optional`` (empty at the end); one replica
        only, and not inside ``tapejax.function``."""
        spec = self.element_spec
        if feeds.active("get_next_as_optional", self._created_in) is not None:
            raise NotImplementedError("get_next_as_optional() of a distributed iterator inside "
                                      "tapejax.function is not implemented; use get_next()")
        batch = self._take()
        return Optional.empty(spec) if batch is _END else Optional.from_value(batch)

    # --- inside a tapejax.function trace ------------------------------------------------------
    def _traced(self, plan):
        """Placeholders shaped as the next batch (not consumed: each call pulls its own)."""
        batch = self._peek()
        if batch is _END and self._shapes == "end":
            raise errors.OutOfRangeError(None, None, feeds.END)
        if batch is _END:
            batch = self._last
        leaves = nest.flatten(batch)
        arrays = [_stacked(leaf)._value for leaf in leaves]
        avals = [jax.core.ShapedArray(a.shape, a.dtype) for a in arrays]
        tracers = plan.bind(self, avals, False)
        return nest.pack_sequence_as(batch, [
            PerReplica(Tensor(t), self._strategy) if isinstance(leaf, PerReplica) else Tensor(t)
            for leaf, t in zip(leaves, tracers)])

    def _tapejax_pull_flat(self):
        batch = self._take()
        if batch is _END:
            return None
        return [_stacked(leaf)._value for leaf in nest.flatten(batch)]

    # --- an argument of tapejax.function: keyed by the next batch's shapes ------------------
    def _tapejax_components(self):
        batch = self._peek()
        if batch is not _END:
            self._shapes = tuple((tuple(_stacked(leaf).shape), _stacked(leaf).dtype.name)
                                 for leaf in nest.flatten(batch))
        return (self._strategy, self._shapes, _AnyIterator(self)), []


def _stacked(leaf):
    return leaf._stacked if isinstance(leaf, PerReplica) else leaf
