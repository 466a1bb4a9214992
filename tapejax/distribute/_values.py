"""Distributed values: ``ReduceOp``, ``PerReplica`` (one value per replica) and
``MirroredVariable`` (a Variable with one copy per replica, replicated on the device mesh).

A ``PerReplica`` holds one ``jax.Array`` whose leading axis is the replica axis, sharded on the
strategy's mesh: replica ``i``'s value lives on device ``i``. A ``MirroredVariable`` holds one
replicated ``jax.Array`` (each device keeps its own copy, as TF's mirrored copies).
"""
import enum

import jax
import numpy as np

from .._capture import TRACE
from .._recording import STACK
from ..ops.array_ops import unstack
from ..tensor import Tensor
from ..tensor_spec import TensorSpec
from ..variables import Variable, VariableAggregation, _flatten_variable, _unflatten_variable


class ReduceOp(enum.Enum):
    """How values of different replicas combine: ``SUM`` or ``MEAN`` (``tf.distribute.ReduceOp``).

    >>> import tapejax as tf
    >>> tf.distribute.ReduceOp("SUM")
    <ReduceOp.SUM: 'SUM'>
    """

    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation):
        """``SUM``/``MEAN`` for those ``VariableAggregation`` values; ``ValueError`` otherwise."""
        mapping = {VariableAggregation.SUM: ReduceOp.SUM, VariableAggregation.MEAN: ReduceOp.MEAN}
        reduce_op = mapping.get(aggregation)
        if reduce_op is None:
            raise ValueError(f"Could not convert from `tf.VariableAggregation` {aggregation} to"
                             f"`tf.distribute.ReduceOp` type")
        return reduce_op


def as_reduce_op(reduce_op):
    """A ``ReduceOp`` from itself or its name in any case (TF accepts ``"sum"``)."""
    if isinstance(reduce_op, str):
        return ReduceOp(reduce_op.upper())
    if isinstance(reduce_op, ReduceOp):
        return reduce_op
    raise TypeError(f"Expected `reduce_op` to be a `tf.distribute.ReduceOp`, not: {reduce_op!r}")


class DistributedValues:
    """Base class of values with one component per replica (``tf.distribute.DistributedValues``)."""

    __slots__ = ()


class PerReplica(DistributedValues):
    """One value per replica, as returned by ``strategy.run`` and distributed datasets.

    ``values`` are the components of this process's replicas, in replica order.
    """

    __slots__ = ("_stacked", "_strategy")

    def __init__(self, stacked, strategy):
        self._stacked = stacked  # Tensor [num_replicas, *per-replica shape] (TensorSpec in specs)
        self._strategy = strategy

    @property
    def values(self):
        return local_components(self._stacked, self._strategy)

    @property
    def shape(self):
        """The shape of each component."""
        return self._stacked.shape[1:]

    @property
    def dtype(self):
        return self._stacked.dtype

    # the composite protocol of tapejax.function: traced as its stacked tensor
    def _tapejax_components(self):
        return (self._strategy,), (self._stacked,)

    @classmethod
    def _tapejax_rebuild(cls, static, parts):
        return cls(parts[0], static[0])

    def _components_text(self, show):
        if type(self._stacked) is TensorSpec:
            spec = TensorSpec(self._stacked.shape[1:], self._stacked.dtype)
            return ",\n".join(f"  {i}: {spec!r}" for i in range(self._strategy._n))
        return ",\n".join(f"  {i}: {show(v)}" for i, v in
                          zip(self._strategy._local_replica_ids(), self.values))

    def __repr__(self):
        return f"PerReplica:{{\n{self._components_text(repr)}\n}}"

    def __str__(self):
        return f"PerReplica:{{\n{self._components_text(str)}\n}}"


def local_components(stacked, strategy):
    """The components of this process's replicas: device-local slices, no communication."""
    value = stacked._value
    if isinstance(value, jax.core.Tracer) or STACK.tapes:
        ids = strategy._local_replica_ids()
        parts = unstack(stacked)
        return tuple(parts[i] for i in ids)
    shards = sorted(value.addressable_shards, key=lambda s: s.index[0].start or 0)
    return tuple(Tensor(s.data.reshape(s.data.shape[1:])) for s in shards)


class MirroredVariable(Variable):
    """A Variable created in a ``MirroredStrategy`` scope: one copy per replica.

    Its value is a ``jax.Array`` replicated on the strategy's mesh. In cross-replica context it
    behaves as a Variable (reads give the primary copy, assignments update every copy). Inside
    ``strategy.run``, assignments combine the replicas' updates by the Variable's
    ``aggregation`` as TF does: ``SUM`` adds them, ``MEAN`` averages them,
    ``ONLY_FIRST_REPLICA`` takes replica 0's. With ``NONE`` an update that JAX cannot prove is
    the same on every replica (it was not all-reduced) keeps replica 0's result, where TF would
    let the copies diverge; replica 0's copy, the one TF reads outside ``run``, is the same.
    """

    __slots__ = ("_strategy",)

    def __init__(self, strategy, **kwargs):
        self._strategy = strategy
        super().__init__(**kwargs)

    def _replica(self):
        """The running replica trace of this Variable's strategy, or None."""
        capture = TRACE.capture
        if getattr(capture, "strategy", None) is self._strategy:
            return capture
        return None

    def _update(self, kind, value, read_value):
        replica = self._replica()
        array = self._new_value(value)
        array = replica.aggregate(array, self._aggregation)
        old = None if kind == "assign" else replica.read_invariant(self)._value
        new = array if old is None else (old + array if kind == "add" else old - array)
        replica.write(self, new)
        return self if read_value else None

    def assign(self, value, use_locking=None, name=None, read_value=True):
        if self._replica() is None:
            return super().assign(value, use_locking, name, read_value)
        return self._update("assign", value, read_value)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        if self._replica() is None:
            return super().assign_add(delta, use_locking, name, read_value)
        return self._update("add", delta, read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        if self._replica() is None:
            return super().assign_sub(delta, use_locking, name, read_value)
        return self._update("sub", delta, read_value)

    def _write(self, update, reads=True):
        super()._write(update, reads)
        if TRACE.capture is None:  # an eager assignment: every copy gets the new value
            with self._lock:
                self._stored = Tensor(self._strategy._replicate(self._stored._value))

    @property
    def values(self):
        """The Variable once per local replica (TF gives one component Variable per device)."""
        return (self,) * len(self._strategy._local_replica_ids())

    def __repr__(self):
        value = self._tensor._value
        if isinstance(value, jax.core.Tracer):
            return f"MirroredVariable:{{\n  0: {Variable.__repr__(self)}\n}}"
        lines = []
        shards = sorted(value.addressable_shards, key=lambda s: s.device.id) \
            if isinstance(value, jax.Array) else []
        copies = {s.device: s.data for s in shards}
        for i, device in zip(self._strategy._local_replica_ids(), self._strategy._local_devices):
            copy = np.asarray(copies.get(device, value))
            body = np.array_repr(copy) if copy.ndim else str(copy[()])
            sep = "\n" if "\n" in body else ""
            name = self._name if i == 0 else f"{self._name}/replica_{i}"
            lines.append(f"  {i}: <tf.Variable '{name}:0' shape={self.shape} "
                         f"dtype={self.dtype.name}, numpy={sep}{body}>")
        return "MirroredVariable:{\n" + ",\n".join(lines) + "\n}"

    __str__ = __repr__


def non_distributed_reduce_error(value, reduce_op):
    return ValueError(f"A non-DistributedValues value {value!s} cannot be reduced with the given "
                      f"reduce op {reduce_op}.")


jax.tree_util.register_pytree_node(MirroredVariable, _flatten_variable, _unflatten_variable)
