"""``tf.distribute`` strategies on a one-axis JAX device mesh.

A strategy owns a list of JAX devices, one replica each, and the ``jax.sharding.Mesh`` over them
(axis ``"replica"``). Batches are sharded on that axis, Variables created in ``scope()`` are
replicated on it, and ``run`` traces the replica function once under ``jax.shard_map`` inside
a ``tapejax.function`` (see ``_replica``), so XLA compiles one program in which every gradient
all-reduce is a collective over the mesh. With one replica, ``run`` simply calls the function.
"""
import collections
import contextlib
import functools
import math
import re
import weakref

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import dtypes, nest
from .._cache import Cache
from .._capture import TRACE
from ..function import function
from ..ops.array_ops import concat, unstack
from ..ops.math_ops import cast, multiply, reduce_sum, truediv
from ..tensor import Tensor, TensorLike, constant, convert_to_tensor
from ..variables import variable_creator_scope
from . import _context
from ._extended import StrategyExtended, _DefaultDistributionExtended
from ._input import DistributedDataset, InputContext, ValueContext
from ._replica import AXIS, ReplicaContext, call_in_replicas
from ._values import (
    MirroredVariable,
    PerReplica,
    ReduceOp,
    as_reduce_op,
    non_distributed_reduce_error,
)

COMPILED_RUNS = 64  # eager ``run`` keeps this many replica functions compiled (LRU)

UNEVEN_BATCH = (
    "The global batch size {size} is not divisible by the {n} replicas in sync. TF would give "
    "the replicas unequal batches; tapejax shards one array over the device mesh, so every "
    "replica needs the same batch size: drop the last partial batch (drop_remainder=True) or "
    "pad it.")
UNEQUAL_COMPONENTS = ("The per-replica values have different shapes or dtypes ({}); tapejax "
                      "keeps them in one array sharded over the device mesh, so they must agree.")
NO_DEVICE = "Device {spec!r} is not available: JAX has {count} local {kind} device(s).{hint}"
_HINTS = {
    "CPU": " Simulate more CPU devices with XLA_FLAGS=--xla_force_host_platform_device_count=N "
           "set before JAX starts.",
    "GPU": " Install JAX's CUDA build (pip install 'tapejax[cuda]') on a machine with a GPU.",
}
_DEVICE_STRING = re.compile(r"(?:^|/)(?:device:)?(cpu|gpu|tpu):(\d+)$", re.IGNORECASE)


def resolve_device(spec):
    """A JAX device for a TF device string (``"/gpu:0"``, ``"/cpu:3"``, ``"GPU:1"``, full
    names), a local device index, or a JAX device."""
    if isinstance(spec, jax.Device):
        return spec
    if isinstance(spec, (int, np.integer)):
        return jax.local_devices()[int(spec)]
    if not isinstance(spec, str):
        raise TypeError(f"Expected a device string such as '/gpu:0' or a jax.Device, got "
                        f"{spec!r}.")
    match = _DEVICE_STRING.search(spec.strip())
    if match is None:
        raise ValueError(f"Cannot parse device {spec!r}: expected a TF device string such as "
                         f"'/gpu:0' or '/job:localhost/replica:0/task:0/device:CPU:1'.")
    kind, index = match.group(1).upper(), int(match.group(2))
    try:
        devices = jax.local_devices(backend=kind.lower())
    except RuntimeError:
        devices = []
    if index >= len(devices):
        raise ValueError(NO_DEVICE.format(spec=spec, count=len(devices), kind=kind,
                                          hint=_HINTS.get(kind, "")))
    return devices[index]


def device_names(devices, job):
    """TF's full device names (``/job:localhost/replica:0/task:0/device:GPU:0``)."""
    per_process = collections.defaultdict(list)
    for d in sorted(jax.devices(devices[0].platform) if devices else (), key=lambda d: d.id):
        per_process[d.process_index].append(d)
    names = []
    for d in devices:
        local = per_process[d.process_index]
        index = local.index(d) if d in local else d.id
        names.append(f"/job:{job}/replica:0/task:{d.process_index}/device:"
                     f"{d.platform.upper()}:{index}")
    return tuple(names)


class Strategy:
    """``tf.distribute.Strategy``: data parallelism over JAX devices (one replica per device).

    Subclasses choose the devices: ``MirroredStrategy``, ``OneDeviceStrategy``,
    ``MultiWorkerMirroredStrategy``; ``get_strategy()`` outside any scope is the default one.
    """

    _mirrored = False
    _multi_worker = False  # replicas in several processes (MultiWorkerMirroredStrategy)
    _job = "localhost"
    _extended_class = StrategyExtended

    def __init__(self, devices):
        self._devices = None if devices is None else tuple(devices)
        self._created = weakref.WeakValueDictionary()  # id -> Variable
        self._compiled_runs = Cache("distribute.replica_functions", COMPILED_RUNS)  # fn -> Function
        self.extended = self._extended_class(self)
        if self._devices is not None:
            self._mesh = Mesh(np.array(self._devices, dtype=object), (AXIS,))
            self._replicated = NamedSharding(self._mesh, PartitionSpec())
            self._split = NamedSharding(self._mesh, PartitionSpec(AXIS))
            me = jax.process_index()
            self._local_ids = tuple(i for i, d in enumerate(self._devices)
                                    if d.process_index == me)
            self._local_devices = tuple(self._devices[i] for i in self._local_ids)
            self._multiprocess = len(self._local_ids) != len(self._devices)

    # --- facts ----------------------------------------------------------------------------
    @property
    def _n(self):
        return 1 if self._devices is None else len(self._devices)

    @property
    def num_replicas_in_sync(self):
        """How many replicas run each step (devices in the mesh, over all processes)."""
        return self._n

    @property
    def cluster_resolver(self):
        return None

    @property
    def mesh(self):
        """The ``jax.sharding.Mesh`` the replicas run on (axis ``"replica"``); tapejax only."""
        return None if self._devices is None else self._mesh

    def _local_replica_ids(self):
        return (0,) if self._devices is None else self._local_ids

    def _device_names(self):
        if self._devices is None:
            return ("/job:localhost/replica:0/task:0/device:CPU:0",)
        return device_names(self._local_devices, self._job)

    # --- scope and variables --------------------------------------------------------------
    def scope(self):
        """Context manager: Variables created inside belong to this strategy (mirrored on every
        replica for ``MirroredStrategy``); code inside is in cross-replica context."""
        return _Scope(self)

    def _creator_scope(self):
        if self._devices is None:
            return contextlib.nullcontext()
        return variable_creator_scope(self._create_variable)

    def _create_variable(self, next_creator, **kwargs):
        initial = kwargs["initial_value"]
        if callable(initial):
            initial = initial()
        if initial is not None:
            value = convert_to_tensor(initial, dtype=kwargs["dtype"])._value
            if not isinstance(value, jax.core.Tracer):
                value = self._place_variable(value)
            kwargs["initial_value"] = Tensor(value)
        if self._mirrored:
            variable = MirroredVariable(self, **kwargs)
        else:
            variable = next_creator(**kwargs)
        self._created[id(variable)] = variable
        _context.CREATED_IN_SCOPES[id(variable)] = variable
        return variable

    def _place_variable(self, value):
        if self._mirrored:
            if self._multiprocess:
                from jax.experimental import multihost_utils
                value = multihost_utils.broadcast_one_to_all(np.asarray(value))
            return self._replicate(value)
        return jax.device_put(value, self._devices[0])

    def _replicate(self, value):
        """``value`` as a replicated array on the mesh (every device holds a copy)."""
        if isinstance(value, jax.core.Tracer):
            return value
        if isinstance(value, jax.Array) and value.sharding == self._replicated:
            return value
        if self._multiprocess:
            host = np.asarray(value)
            return jax.make_array_from_callback(host.shape, self._replicated,
                                                lambda index: host[index])
        return jax.device_put(value, self._replicated)

    # --- running replicas -----------------------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """Runs ``fn(*args, **kwargs)`` on every replica and returns its per-replica results.

        ``PerReplica`` arguments give each replica its own component; other arguments are the
        same on all replicas. With several replicas, ``fn`` is traced once and compiled (inside
        ``tapejax.function`` when called eagerly), so its Python side effects run at trace time
        and it cannot call ``.numpy()``; with one replica it is called directly, as in TF.

        Returns:
          ``fn``'s result with each tensor a ``PerReplica`` (the tensors themselves with one
          replica).
        """
        if not isinstance(args, (list, tuple)):
            raise ValueError(f"positional args must be a list or tuple, got {type(args)}")
        if kwargs is None:
            kwargs = {}
        _context.check_cross_replica(self)
        if self._n == 1:
            context = ReplicaContext(self, constant(0, dtypes.int32))
            with _context.entered(self, context), self._creator_scope():
                return fn(*args, **kwargs)
        if TRACE.capture is None:
            return self._compiled(fn)(*args, **kwargs)
        return call_in_replicas(self, fn, args, kwargs)

    def _compiled(self, fn):
        """A ``tapejax.function`` running ``fn`` on the replicas (cached per ``fn``)."""
        try:
            entry = self._compiled_runs.lookup(fn)
        except TypeError:  # an unhashable callable: compiled for this call only
            entry, cacheable = None, False
        else:
            cacheable = True
        if entry is None:
            @functools.wraps(fn)
            def replicas(*args, **kwargs):
                return call_in_replicas(self, fn, args, kwargs)
            entry = function(replicas)
            if cacheable:
                self._compiled_runs.put(fn, entry)
        return entry

    # --- cross-replica reductions ---------------------------------------------------------
    def reduce(self, reduce_op, value, axis):
        """Combines a per-replica value across replicas (and along ``axis`` within each), as
        ``Strategy.reduce``: ``SUM`` adds; ``MEAN`` divides by the number of elements reduced
        (integers give float64). A non-distributed value counts as the same on every replica.

        >>> import tapejax as tf
        >>> tf.distribute.get_strategy().reduce("SUM", tf.constant([1.0, 2.0]), axis=0)
        <tf.Tensor: shape=(), dtype=float32, numpy=3.0>
        """
        _context.check_cross_replica(self)
        reduce_op = as_reduce_op(reduce_op)
        if nest.is_nested(value) and any(isinstance(x, PerReplica) for x in nest.flatten(value)):
            return nest.map_structure(lambda x: self.reduce(reduce_op, x, axis), value)
        if isinstance(value, PerReplica):
            stacked = value._stacked
            axes = _axes(axis, stacked.ndim - 1)
            total = reduce_sum(stacked, axis=[0] + [a + 1 for a in axes])
            count = self._n * math.prod(stacked.shape[a + 1] for a in axes)
        elif axis is None:
            if not isinstance(value, TensorLike) and np.all(np.asarray(value) == 0):
                array = np.asarray(value)
                return np.zeros(array.shape, array.dtype)
            if reduce_op is ReduceOp.MEAN or self._n == 1:
                return value
            raise non_distributed_reduce_error(value, reduce_op)
        else:
            tensor = convert_to_tensor(value)
            axes = _axes(axis, tensor.ndim)
            total = reduce_sum(tensor, axis=axes)
            if reduce_op is ReduceOp.SUM and self._n > 1:
                total = multiply(total, constant(self._n, total.dtype))
            count = math.prod(tensor.shape[a] for a in axes)
        if reduce_op is ReduceOp.SUM:
            return total
        return truediv(total, cast(constant(count), total.dtype))

    def gather(self, value, axis):
        """Concatenates the replicas' components of ``value`` along ``axis`` (a non-distributed
        value is returned as it is, as TF)."""
        _context.check_cross_replica(self)
        if not isinstance(value, PerReplica):
            return value
        return concat(unstack(value._stacked), axis=axis)

    def experimental_local_results(self, value):
        """The components of this process's replicas, as a tuple."""
        if isinstance(value, (PerReplica, MirroredVariable)):
            return value.values
        return (value,)

    # --- input ------------------------------------------------------------------------------
    def experimental_distribute_dataset(self, dataset, options=None):
        """Splits each global batch of ``dataset`` (any iterable of batches: tuples or dicts of
        tensors or NumPy arrays) into equal consecutive slices, one per replica, as TF. The
        default strategy returns ``dataset`` itself, as TF's."""
        if self._devices is None:
            return dataset
        return DistributedDataset(self, lambda: dataset, per_replica=False)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """Calls ``dataset_fn(InputContext)`` once per process; each of its batches goes to one
        replica (consecutive batches to consecutive replicas), as TF. The default strategy
        returns what ``dataset_fn`` returns, as TF's."""
        if self._devices is None:
            return dataset_fn(InputContext())
        processes = jax.process_count() if self._devices is not None else 1
        context = InputContext(processes, jax.process_index() if processes > 1 else 0, self._n)
        source = dataset_fn(context)
        return DistributedDataset(self, lambda: source, per_replica=True)

    def experimental_distribute_values_from_function(self, value_fn):
        """``value_fn(ValueContext)`` once per local replica, as one ``PerReplica`` value."""
        values = [value_fn(ValueContext(i, self._n)) for i in self._local_replica_ids()]
        if self._n == 1:
            return values[0]
        return self._stack_local(values)

    def _split_global(self, batch):
        """One global batch as per-replica values (each leaf split on its first axis)."""
        def split(leaf):
            array = _array(leaf)
            if self._n == 1:
                if self._devices is None:
                    return convert_to_tensor(array)
                return Tensor(jax.device_put(array, self._devices[0]))
            if array.ndim == 0 or array.shape[0] % self._n:
                raise ValueError(UNEVEN_BATCH.format(
                    size=array.shape[0] if array.ndim else "of a scalar", n=self._n))
            per = array.shape[0] // self._n
            ids = self._local_ids
            if self._multiprocess:  # this process's replicas' rows
                array = array[ids[0] * per:(ids[-1] + 1) * per]
            return PerReplica(Tensor(self._to_global(array.reshape(
                (len(ids), per) + array.shape[1:]))), self)
        return nest.map_structure(split, batch)

    def _stack_local(self, values):
        """Per-replica structures of this process's replicas as one ``PerReplica`` structure."""
        if self._n == 1:
            return nest.map_structure(convert_to_tensor, values[0])

        def stack(*leaves):
            arrays = [_array(x) for x in leaves]
            if len({(a.shape, str(a.dtype)) for a in arrays}) != 1:
                raise ValueError(UNEQUAL_COMPONENTS.format(
                    [(a.shape, str(a.dtype)) for a in arrays]))
            local = np.stack([np.asarray(a) for a in arrays])
            return PerReplica(Tensor(self._to_global(local)), self)
        return nest.map_structure(stack, *values)

    def _to_global(self, local):
        """An array of this process's replicas' rows as the global array sharded on the mesh."""
        if self._multiprocess:
            return jax.make_array_from_process_local_data(
                self._split, np.asarray(local), (self._n,) + tuple(local.shape[1:]))
        return jax.device_put(local, self._split)

    def __repr__(self):
        return f"<tapejax.distribute.{type(self).__name__} object at 0x{id(self):x}>"


def _array(leaf):
    """A NumPy or JAX array for an input leaf (TF's dtype inference for Python values)."""
    if isinstance(leaf, (np.ndarray, jax.Array)):
        return leaf
    return convert_to_tensor(leaf)._value


def _axes(axis, rank):
    """``axis`` of ``reduce`` as a list of non-negative ints (TF's checks and messages)."""
    if axis is None:
        return []
    if isinstance(axis, (int, np.integer)):
        axes = [int(axis)]
    elif isinstance(axis, (tuple, list)):
        axes = [int(a) for a in axis]
    else:
        raise TypeError(f"Expected `axis` to be an integer, tuple or list not: {axis!r}")
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} "
                             f"dimensions.")
    return [a % rank for a in axes]


class _Scope:
    """What ``strategy.scope()`` returns (TF's ``_CurrentDistributionContext``)."""

    def __init__(self, strategy):
        self._strategy = strategy
        self._stacks = []

    def __enter__(self):
        stack = contextlib.ExitStack()
        if self._strategy is _context.DEFAULT[0]:
            pass  # the default strategy's scope changes nothing, as TF's
        elif _context.has_strategy():
            _context.check_cross_replica(self._strategy)  # the same strategy, entered again
        else:
            stack.enter_context(_context.entered(self._strategy, None))
            stack.enter_context(self._strategy._creator_scope())
        self._stacks.append(stack)
        return self._strategy

    def __exit__(self, *exc_info):
        return self._stacks.pop().__exit__(*exc_info)


class _DefaultDistributionStrategy(Strategy):
    """The strategy outside any scope (TF's class name): one replica on JAX's default device,
    plain Variables, input datasets used as they are."""

    _extended_class = _DefaultDistributionExtended

    def __init__(self):
        super().__init__(None)


class OneDeviceStrategy(Strategy):
    """``tf.distribute.OneDeviceStrategy(device)``: one replica on ``device`` (a TF device
    string or a JAX device); Variables created in ``scope()`` are plain Variables placed there.

    >>> import tapejax as tf
    >>> tf.distribute.OneDeviceStrategy("/cpu:0").num_replicas_in_sync
    1
    """

    def __init__(self, device):
        super().__init__([resolve_device(device)])


class MirroredStrategy(Strategy):
    """``tf.distribute.MirroredStrategy``: synchronous data parallelism over local devices.

    Args:
      devices: *Optional, list.* TF device strings (``"/gpu:0"``, ``"/cpu:3"``) or JAX devices.
        Default: every local device of JAX's default backend (all GPUs on a GPU machine; on
        CPU, one device unless ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` was set
        before JAX started, whereas TF uses only CPU:0).
      cross_device_ops: accepted for compatibility; XLA chooses the all-reduce algorithm.

    >>> import tapejax as tf
    >>> strategy = tf.distribute.MirroredStrategy()
    >>> with strategy.scope():
    ...   v = tf.Variable(1.0)
    >>> strategy.num_replicas_in_sync
    1
    >>> v
    MirroredVariable:{
      0: <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>
    }
    """

    _mirrored = True

    def __init__(self, devices=None, cross_device_ops=None):
        if devices:
            resolved = [resolve_device(d) for d in devices]
            if len(set(resolved)) != len(resolved):
                raise AssertionError(f"No duplicates allowed in `devices` argument: "
                                     f"{device_names(resolved, 'localhost')}")
        else:
            resolved = jax.local_devices()
        super().__init__(resolved)


class _DefaultReplicaContext(ReplicaContext):
    """The replica context outside any strategy (TF's class name): replica 0 of 1."""


_context.DEFAULT[:] = [_DefaultDistributionStrategy(), None]
_context.DEFAULT[1] = _DefaultReplicaContext(_context.DEFAULT[0], 0)


class TPUStrategy(Strategy):
    """``tf.distribute.TPUStrategy``, for ``isinstance`` checks (Keras makes them): tapejax has
    no TPU-specific strategy. On a TPU machine ``MirroredStrategy()`` runs one replica per TPU
    core JAX sees."""

    def __init__(self, tpu_cluster_resolver=None, experimental_device_assignment=None,
                 experimental_spmd_xla_partitioning=False):
        raise NotImplementedError(
            "tapejax has no TPUStrategy (tpu_cluster_resolver): use "
            "tf.distribute.MirroredStrategy(), which runs on every TPU core JAX sees.")


class CrossDeviceOps:
    """``tf.distribute.CrossDeviceOps`` and its subclasses: accepted by ``MirroredStrategy``
    for compatibility; XLA chooses how replicas all-reduce."""

    def __init__(self, *args, **kwargs):
        self._args, self._kwargs = args, kwargs


class NcclAllReduce(CrossDeviceOps):
    pass


class HierarchicalCopyAllReduce(CrossDeviceOps):
    pass


class ReductionToOneDevice(CrossDeviceOps):
    pass


class RunOptions:
    """``tf.distribute.RunOptions``: accepted by ``run`` for compatibility."""

    def __init__(self, experimental_enable_dynamic_batch_size=True,
                 experimental_bucketizing_dynamic_shape=False,
                 experimental_xla_options=None):
        self.experimental_enable_dynamic_batch_size = experimental_enable_dynamic_batch_size
        self.experimental_bucketizing_dynamic_shape = experimental_bucketizing_dynamic_shape
        self.experimental_xla_options = experimental_xla_options
