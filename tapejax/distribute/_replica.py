"""``strategy.run`` on several devices: the replica function traced once under ``jax.shard_map``.

The replica function runs inside a ``tapejax.function`` trace (the user's, or one made for an
eager ``run``). It is traced once inside ``jax.shard_map`` over the strategy's one-axis mesh:
``PerReplica`` arguments come in sharded on the replica axis, everything else is replicated,
and collectives (``all_reduce``, ``all_gather``) are ``lax.psum``/``lax.all_gather`` over the axis.

Variables are handled by a ``ReplicaCapture`` standing in for the function's capture while the
replica function is traced. It reads Variables through the function's capture (so their values
are inputs of the compiled program, replicated on the mesh), and gives a recording tape a
*varying* view of the value (``lax.pcast``): JAX then differentiates each replica's loss with
respect to that replica's copy, which is TF's per-replica gradient. Without a tape, reads stay
replicated, so an update built from all-reduced gradients is provably the same on all replicas
and goes out of ``shard_map`` with no communication. New values go back to the function's
capture as ordinary assignments after ``shard_map``.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core as jcore
from jax.sharding import PartitionSpec

from .. import nest
from .._capture import Capture
from .._recording import STACK
from ..ops.core import apply, attrs
from ..ops.math_ops import truediv
from ..tensor import Tensor, TensorLike, convert_to_tensor
from ..variables import Variable, VariableAggregation
from . import _context
from ._values import PerReplica, ReduceOp, as_reduce_op

AXIS = "replica"  # the name of the mesh axis that replicas run on

MERGE_CALL = ("merge_call with more than one replica is not supported by tapejax: the replicas "
              "are traced together as one program. Combine values with "
              "get_replica_context().all_reduce / all_gather instead.")
NESTED_RUN = "strategy.run was called inside the replica function of another strategy.run."


def varying(array):
    """True when ``array`` may differ between replicas (JAX's varying-manual-axes type)."""
    mat = getattr(jax.typeof(array), "manual_axis_type", None)
    return mat is not None and AXIS in mat.varying


def first_replica(array):
    """Replica 0's value on every replica (an all-reduce of the value masked to replica 0)."""
    if array.dtype == np.bool_:
        return first_replica(array.astype(np.int8)).astype(np.bool_)
    mine = jnp.where(lax.axis_index(AXIS) == 0, array, jnp.zeros_like(array))
    return lax.psum(mine, AXIS)


class ReplicaCapture(Capture):
    """Variable reads and writes of the replica function, while ``shard_map`` traces it.

    ``values`` hold what every replica sees (the same on all); ``written`` and ``made`` are
    as in the function's capture, and go back to it after ``shard_map``.
    """

    def __init__(self, outer, strategy):
        super().__init__(outer.creation_error)
        self.outer = outer  # the capture of the enclosing tapejax.function trace
        self.strategy = strategy
        self.trace = None  # the shard_map body's trace: varying views are bound there
        self.views = {}  # id(variable) -> varying Tensor handed out while a tape records

    def read_invariant(self, variable):
        key = id(variable)
        tensor = self.values.get(key)
        if tensor is None:
            tensor = self.values[key] = self.outer.read(variable)
            self.reads.append(variable)  # keeps it alive while its id is a key
        return tensor

    def read(self, variable):
        tensor = self.read_invariant(variable)
        if not STACK.tapes:
            return tensor
        view = self.views.get(id(variable))
        if view is None:
            view = tensor
            if not varying(tensor._value):
                with jcore.set_current_trace(self.trace):
                    view = Tensor(lax.pcast(tensor._value, AXIS, to="varying"))
            self.views[id(variable)] = view
        return view

    def invariant(self, array):
        return first_replica(array) if varying(array) else array

    def aggregate(self, array, aggregation):
        """An update combined over replicas by a Variable's ``aggregation`` (TF's rules)."""
        if aggregation == VariableAggregation.SUM:
            return lax.psum(array, AXIS)
        if aggregation == VariableAggregation.NONE or not varying(array):
            return array
        if aggregation == VariableAggregation.MEAN:
            return lax.pmean(array, AXIS)
        return first_replica(array)

    def write(self, variable, array):
        super().write(variable, self.invariant(array))
        self.views.pop(id(variable), None)

    def created(self, variable):
        variable._stored = Tensor(self.invariant(variable._stored._value))
        super().created(variable)


def _flatten_results(out):
    """The replica function's result as arrays (per replica) and a layout to rebuild it."""
    leaves = nest.flatten(out)
    arrays, kinds = [], []
    for leaf in leaves:
        if type(leaf) is Tensor:
            arrays.append(leaf._value)
            kinds.append(None)
        elif isinstance(leaf, Variable):
            kinds.append((leaf,))  # TF returns a Variable itself, not its per-replica reads
        elif isinstance(leaf, TensorLike):
            arrays.append(leaf._tapejax_read()._value)
            kinds.append(None)
        else:
            kinds.append((leaf,))
    return arrays, (nest.pack_sequence_as(out, [None] * len(leaves)), kinds)


def call_in_replicas(strategy, fn, args, kwargs):
    """``fn(*args, **kwargs)`` on every replica, traced once inside ``jax.shard_map``.

    Must run inside a ``tapejax.function`` trace (``STACK.capture`` set).
    """
    outer = STACK.capture
    if isinstance(outer, ReplicaCapture):
        raise RuntimeError(_context.CROSS_REPLICA_ONLY)
    structure = (tuple(args), dict(kwargs))
    leaves = nest.flatten(structure)
    slots = [k for k, leaf in enumerate(leaves) if isinstance(leaf, PerReplica)]
    for k in slots:
        if leaves[k]._strategy is not strategy:
            raise ValueError(f"A PerReplica value of {leaves[k]._strategy} was passed to "
                             f"{strategy}.run: distribute inputs with the same strategy.")
    inputs = [leaves[k]._stacked._value for k in slots]
    box = {}

    def body(*blocks):
        capture = ReplicaCapture(outer, strategy)
        with jcore.take_current_trace() as trace:
            capture.trace = trace
        local = list(leaves)
        for k, block in zip(slots, blocks):
            local[k] = Tensor(block.reshape(block.shape[1:]))
        call_args, call_kwargs = nest.pack_sequence_as(structure, local)
        context = ReplicaContext(strategy, Tensor(lax.axis_index(AXIS).astype(np.int32)))
        saved = STACK.capture, STACK.tapes
        STACK.capture, STACK.tapes = capture, []
        try:
            with _context.entered(strategy, context), strategy._creator_scope():
                out = fn(*call_args, **call_kwargs)
        finally:
            STACK.capture, STACK.tapes = saved
        arrays, box["layout"] = _flatten_results(out)
        box["written"] = written = list(capture.written.values())
        box["made"] = [v for v, _ in capture.made]
        return ([a.reshape((1,) + a.shape) for a in arrays],
                [capture.values[id(v)]._value for v in written],
                [capture.values[id(v)]._value for v, _ in capture.made],
                [t._value for _, t in capture.made])

    replicated, split = PartitionSpec(), PartitionSpec(AXIS)
    mapped = jax.shard_map(body, mesh=strategy._mesh, in_specs=tuple(split for _ in inputs),
                           out_specs=(split, replicated, replicated, replicated))
    per_replica, written, made_now, made_init = mapped(*inputs)
    for variable, value in zip(box["written"], written):
        outer.write(variable, value)
    for variable, now, initial in zip(box["made"], made_now, made_init):
        variable._stored = Tensor(initial)
        outer.created(variable)
        outer.write(variable, now)
    structure, kinds = box["layout"]
    it = iter(per_replica)
    results = [PerReplica(Tensor(next(it)), strategy) if kind is None else kind[0]
               for kind in kinds]
    return nest.pack_sequence_as(structure, results)


# --- collectives ----------------------------------------------------------------------------
def _psum(x, *, axis_name):
    return lax.psum(x, axis_name)


def _all_gather(x, *, axis_name, axis):
    return lax.all_gather(x, axis_name, axis=axis, tiled=True)


class ReplicaContext:
    """What code inside ``strategy.run`` sees as ``tf.distribute.get_replica_context()``.

    ``all_reduce`` and ``all_gather`` are JAX collectives over the replica axis, recorded on
    tapes like any op (JAX differentiates them as TF does: the gradient of a sum is a sum).
    """

    def __init__(self, strategy, replica_id_in_sync_group):
        self._strategy = strategy
        self._replica_id = replica_id_in_sync_group

    @property
    def strategy(self):
        return self._strategy

    @property
    def num_replicas_in_sync(self):
        return self._strategy._n

    @property
    def replica_id_in_sync_group(self):
        """This replica's index: an int32 Tensor inside ``run``, ``0`` in the default context."""
        return self._replica_id

    @property
    def devices(self):
        return tuple(self._strategy.extended.worker_devices)

    def all_reduce(self, reduce_op, value, options=None):
        """Sums (``SUM``) or averages (``MEAN``) ``value``, a nested structure of tensors, over
        the replicas; every replica gets the result. A MEAN of integers is float64, as TF's."""
        reduce_op = as_reduce_op(reduce_op)
        n = self._strategy._n

        def reduce(x):
            tensor = convert_to_tensor(x)
            if n == 1:
                return tensor
            total = apply(_psum, (tensor,), attrs(axis_name=AXIS), "CollectiveReduceV2")
            return total if reduce_op is ReduceOp.SUM else truediv(total, n)
        return nest.map_structure(reduce, value)

    def all_gather(self, value, axis, options=None):
        """Concatenates ``value`` (a nested structure of tensors) of all replicas along ``axis``."""
        n = self._strategy._n

        def gather(x):
            tensor = convert_to_tensor(x)
            if n == 1:
                return tensor
            a = int(axis)
            a = a + tensor.ndim if a < 0 else a
            return apply(_all_gather, (tensor,), attrs(axis_name=AXIS, axis=a),
                         "CollectiveGatherV2")
        return nest.map_structure(gather, value)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Calls ``merge_fn(strategy, *args, **kwargs)`` in cross-replica context (one replica
        only: several replicas are one traced program, see ``all_reduce``)."""
        if self._strategy._n != 1:
            raise NotImplementedError(MERGE_CALL)
        with _context.entered(self._strategy, None):
            return merge_fn(self._strategy, *args, **(kwargs or {}))
