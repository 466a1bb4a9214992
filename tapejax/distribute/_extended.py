"""``strategy.extended``: the update, reduction and placement methods libraries call (Keras's
optimizers use ``update``, ``colocate_vars_with`` and ``call_for_each_replica``).

Variables of one strategy all live on its one device mesh, so ``colocate_vars_with`` has
nothing to arrange and ``reduce_to`` gives the same value for every ``destinations``.
"""
import contextlib

from .. import nest
from ..tensor import TensorLike
from ..variables import Variable
from . import _context
from ._values import PerReplica, as_reduce_op

DEFAULT_ONLY = "{}() method unsupported by default tf.distribute.Strategy."


class StrategyExtended:
    """``tf.distribute.StrategyExtended``: what ``strategy.extended`` offers beyond ``run``."""

    experimental_require_static_shapes = False

    def __init__(self, strategy):
        self._strategy = strategy

    @property
    def worker_devices(self):
        """TF's full names of this process's replicas' devices."""
        return self._strategy._device_names()

    @property
    def parameter_devices(self):
        return self._strategy._device_names()

    @property
    def should_checkpoint(self):
        return True

    def variable_created_in_scope(self, v):
        return any(created is v for created in self._strategy._created.values())

    def value_container(self, value):
        """The distributed value holding ``value``: tapejax's distributed Variables are one
        object, so a Variable is its own container."""
        return value

    def _container_strategy(self):
        return self._strategy

    def _in_multi_worker_mode(self):
        """True when the replicas span several processes (``MultiWorkerMirroredStrategy`` on
        a cluster of more than one task), as TF's."""
        return self._strategy._multi_worker

    def _use_merge_call(self):
        """Whether ``maybe_merge_call`` goes through ``merge_call``: TF says so for every
        strategy but the default one."""
        return True

    # --- placement --------------------------------------------------------------------------
    def colocate_vars_with(self, colocate_with_variable):
        """Context manager placing new Variables with ``colocate_with_variable``. Every Variable
        of a strategy is on its whole mesh already, so nothing changes (it yields None, as TF)."""
        return contextlib.nullcontext()

    # --- running and updating ---------------------------------------------------------------
    def update(self, var, fn, args=(), kwargs=None, group=True):
        """Runs ``fn(var, *args, **kwargs)`` to update ``var`` (TF's ``extended.update``).

        In cross-replica context ``fn`` runs once (a ``PerReplica`` argument gives each
        replica's component to its copy, through ``run``); in a replica context the replicas'
        arguments are first merged with ``merge_call``, as TF. With ``group=False`` each
        tensor of the result becomes a tuple with one entry per local replica.
        """
        if kwargs is None:
            kwargs = {}
        call_args = (var,) + tuple(args)
        strategy = self._strategy
        replica_context = _context.current()[1]
        if replica_context is not None and replica_context is not _context.DEFAULT[1]:
            return replica_context.merge_call(
                lambda s, *a, **k: s.extended.update(var, fn, a, k, group),
                args=tuple(args), kwargs=kwargs)
        merged = _context.merge_of(strategy)
        distributed = [x for x in nest.flatten((args, kwargs)) if isinstance(x, PerReplica)]
        if merged is not None:  # merge_call inside the replicas' trace: this replica's values
            call_args, kwargs = nest.map_structure(merged.unwrap, (call_args, kwargs))
            result = fn(*call_args, **kwargs)
        elif distributed:
            result = strategy.run(lambda *a, **k: fn(var, *a, **k), args=tuple(args),
                                  kwargs=kwargs)
            return result if group else nest.map_structure(
                strategy.experimental_local_results, result)
        else:
            with strategy.scope():
                result = fn(*call_args, **kwargs)
        if group:
            return result
        replicas = len(strategy._local_replica_ids())
        return nest.map_structure(
            lambda r: (r,) * replicas if isinstance(r, TensorLike) else (r,), result)

    def call_for_each_replica(self, fn, args=(), kwargs=None):
        """Runs ``fn(*args, **kwargs)`` on every replica (``strategy.run`` without distributing
        the inputs); inside ``merge_call`` it runs in the replicas that called it."""
        if kwargs is None:
            kwargs = {}
        merged = _context.merge_of(self._strategy)
        if merged is None:
            return self._strategy.run(fn, args=args, kwargs=kwargs)
        return merged.call_for_each_replica(fn, args, kwargs)

    # --- reductions -------------------------------------------------------------------------
    def reduce_to(self, reduce_op, value, destinations, options=None):
        """Combines ``value`` over the replicas (``strategy.reduce`` with ``axis=None``); the
        result is replicated, whatever ``destinations`` names."""
        as_reduce_op(reduce_op)
        return self._strategy.reduce(reduce_op, value, axis=None)

    def batch_reduce_to(self, reduce_op, value_destination_pairs, options=None):
        """``reduce_to`` of each ``(value, destinations)`` pair, as a list."""
        return [self.reduce_to(reduce_op, value, destinations, options)
                for value, destinations in value_destination_pairs]


class _DefaultDistributionExtended(StrategyExtended):
    """The default strategy's ``extended``: no devices of its own, no merge calls."""

    @property
    def worker_devices(self):
        raise RuntimeError(DEFAULT_ONLY.format("worker_devices"))

    def variable_created_in_scope(self, v):
        """True for a Variable created outside every other strategy's scope (TF's rule)."""
        return _context.CREATED_IN_SCOPES.get(id(v)) is not v

    @property
    def parameter_devices(self):
        raise RuntimeError(DEFAULT_ONLY.format("parameter_devices"))

    def _use_merge_call(self):
        return False


def is_tensor(x):
    """Values ``merge_call`` gives the merge function per replica (TF's ``PerReplica``)."""
    return isinstance(x, TensorLike) and not isinstance(x, Variable)
