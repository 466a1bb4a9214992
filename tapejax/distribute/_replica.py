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

``merge_call`` runs its function once in that same trace, in cross-replica context: each
tensor argument becomes a ``MergedValue``, a ``PerReplica`` whose components (gathered from
the other replicas on demand) serve ``strategy.reduce``/``experimental_local_results``, and
whose own component serves ``extended.update`` and the value handed back to the replica.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core as jcore
from jax.sharding import PartitionSpec

from .. import nest
from .._capture import TRACE, Capture
from .._recording import STACK
from ..indexed_slices import IndexedSlices
from ..ops.array_ops import expand_dims
from ..ops.core import apply, attrs
from ..ops.math_ops import truediv
from ..tensor import Tensor, TensorLike, convert_to_tensor
from ..variables import Variable, VariableAggregation
from . import _context
from ._extended import is_tensor
from ._values import PerReplica, ReduceOp, as_reduce_op

AXIS = "replica"  # the name of the mesh axis that replicas run on

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
        self.context = None  # the ReplicaContext of the replica function
        self.mirrored = {}  # id -> Tensor that merge_call returned to every replica

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


def _flatten_results(out, capture):
    """The replica function's result as arrays (per replica, and the same on every replica:
    tensors ``merge_call`` returned to all replicas, which TF returns as one value) and a
    layout to rebuild it."""
    leaves = nest.flatten(out)
    arrays, same, kinds = [], [], []
    for leaf in leaves:
        if type(leaf) is Tensor and id(leaf) in capture.mirrored:
            same.append(capture.invariant(leaf._value))
            kinds.append("same")
        elif type(leaf) is Tensor:
            arrays.append(leaf._value)
            kinds.append(None)
        elif isinstance(leaf, Variable):
            kinds.append((leaf,))  # TF returns a Variable itself, not its per-replica reads
        elif isinstance(leaf, TensorLike):
            arrays.append(leaf._tapejax_read()._value)
            kinds.append(None)
        else:
            kinds.append((leaf,))
    return arrays, same, (nest.pack_sequence_as(out, [None] * len(leaves)), kinds)


def call_in_replicas(strategy, fn, args, kwargs):
    """``fn(*args, **kwargs)`` on every replica, traced once inside ``jax.shard_map``.

    Must run inside a ``tapejax.function`` trace (``TRACE.capture`` set).
    """
    outer = TRACE.capture
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
        context = capture.context = ReplicaContext(
            strategy, Tensor(lax.axis_index(AXIS).astype(np.int32)))
        saved = TRACE.capture, STACK.tapes
        TRACE.capture, STACK.tapes = capture, []
        try:
            with _context.entered(strategy, context), strategy._creator_scope():
                out = fn(*call_args, **call_kwargs)
        finally:
            TRACE.capture, STACK.tapes = saved
        arrays, same, box["layout"] = _flatten_results(out, capture)
        box["written"] = written = list(capture.written.values())
        box["made"] = [v for v, _ in capture.made]
        return ([a.reshape((1,) + a.shape) for a in arrays], same,
                [capture.values[id(v)]._value for v in written],
                [capture.values[id(v)]._value for v, _ in capture.made],
                [t._value for _, t in capture.made])

    replicated, split = PartitionSpec(), PartitionSpec(AXIS)
    mapped = jax.shard_map(body, mesh=strategy._mesh, in_specs=tuple(split for _ in inputs),
                           out_specs=(split, replicated, replicated, replicated, replicated))
    per_replica, same, written, made_now, made_init = mapped(*inputs)
    for variable, value in zip(box["written"], written):
        outer.write(variable, value)
    for variable, now, initial in zip(box["made"], made_now, made_init):
        variable._stored = Tensor(initial)
        outer.created(variable)
        outer.write(variable, now)
    structure, kinds = box["layout"]
    it, same = iter(per_replica), iter(same)
    results = [PerReplica(Tensor(next(it)), strategy) if kind is None
               else Tensor(next(same)) if kind == "same" else kind[0] for kind in kinds]
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
        return tuple(self._strategy._device_names())

    def all_reduce(self, reduce_op, value, options=None):
        """Sums (``SUM``) or averages (``MEAN``) ``value``, a nested structure of tensors, over
        the replicas; every replica gets the result. A MEAN of integers is float64, as TF's."""
        reduce_op = as_reduce_op(reduce_op)
        n = self._strategy._n

        def reduce(x):
            if isinstance(x, IndexedSlices):  # TF gathers every replica's slices
                if n == 1:
                    return x
                values = _gathered(x.values, 0)
                if reduce_op is ReduceOp.MEAN:
                    values = truediv(values, n)
                return IndexedSlices(values, _gathered(x.indices, 0),
                                     x.shape.as_list() if x.shape.is_fully_defined()
                                     else x.dense_shape)
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
            return tensor if n == 1 else _gathered(tensor, int(axis))
        return nest.map_structure(gather, value)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Calls ``merge_fn(strategy, *args, **kwargs)`` once in cross-replica context and
        returns its result to the replicas (TF's ``merge_call``).

        With several replicas, tensor arguments reach ``merge_fn`` as ``PerReplica`` values
        and a ``PerReplica`` result gives each replica its own component back, as TF.
        """
        if kwargs is None:
            kwargs = {}
        strategy = self._strategy
        capture = TRACE.capture
        if strategy._n == 1 or not isinstance(capture, ReplicaCapture):
            with _context.entered(strategy, None):
                return merge_fn(strategy, *args, **kwargs)
        merge = MergeCall(strategy, self)
        merged_args, merged_kwargs = nest.map_structure(merge.wrap, (tuple(args), kwargs))
        with _context.entered(strategy, None, merge):
            out = merge_fn(strategy, *merged_args, **merged_kwargs)
        return nest.map_structure(functools.partial(_returned, capture), out)


def _gathered(tensor, axis):
    """The replicas' ``tensor``s concatenated along ``axis`` (TF's CollectiveGatherV2)."""
    axis = axis + tensor.ndim if axis < 0 else axis
    return apply(_all_gather, (tensor,), attrs(axis_name=AXIS, axis=axis), "CollectiveGatherV2")


def _returned(capture, x):
    """What a replica gets back from ``merge_call`` for ``x``: its own component of a
    ``PerReplica``; anything else is the same value on every replica."""
    if isinstance(x, MergedValue):
        return x._local
    if type(x) is Tensor:
        capture.mirrored[id(x)] = x
    return x


class MergedValue(PerReplica):
    """A tensor passed to ``merge_call`` in the replicas' trace: ``_local`` is this replica's
    component; the stacked components of all replicas are gathered only when asked for."""

    __slots__ = ("_gathered", "_local")

    def __init__(self, local, strategy):
        self._local = local
        self._strategy = strategy
        self._gathered = None

    @property
    def _stacked(self):
        if self._gathered is None:
            row = expand_dims(self._local, 0)
            self._gathered = apply(_all_gather, (row,), attrs(axis_name=AXIS, axis=0),
                                   "CollectiveGatherV2")
        return self._gathered


class MergeCall:
    """One ``merge_call`` running in the replicas' trace."""

    def __init__(self, strategy, replica_context):
        self.strategy = strategy
        self.replica_context = replica_context

    def wrap(self, x):
        return MergedValue(convert_to_tensor(x), self.strategy) if is_tensor(x) else x

    @staticmethod
    def unwrap(x):
        return x._local if isinstance(x, MergedValue) else x

    def call_for_each_replica(self, fn, args, kwargs):
        """``fn`` in the replicas' context on their own components; tensors come back as
        ``PerReplica`` values."""
        local_args, local_kwargs = nest.map_structure(self.unwrap, (tuple(args), kwargs))
        with _context.entered(self.strategy, self.replica_context):
            out = fn(*local_args, **local_kwargs)
        return nest.map_structure(self.wrap, out)
