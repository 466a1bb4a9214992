"""Which strategy is current on this thread, and whether code runs in a replica (TF's modes).

Outside any strategy: the default strategy, in its default replica context. Inside
``strategy.scope()``: that strategy, in cross-replica context (``get_replica_context()`` is
None). Inside ``strategy.run``: that strategy, in the replica context of the running replica.
"""
import contextlib
import threading
import weakref

MIXING = "Mixing different tf.distribute.Strategy objects: {} is not {}"
CROSS_REPLICA_ONLY = ("Method requires being in cross-replica context, use "
                      "get_replica_context().merge_call()")


class _Mode(threading.local):
    def __init__(self):
        self.stack = []  # (strategy, replica context or None, merge call or None), innermost last


_MODE = _Mode()
DEFAULT = []  # [default strategy, default replica context], filled by _strategy on import
CREATED_IN_SCOPES = weakref.WeakValueDictionary()  # id -> Variable of a non-default strategy


def current():
    """``(strategy, replica context or None)`` of this thread."""
    stack = _MODE.stack
    return stack[-1][:2] if stack else (DEFAULT[0], DEFAULT[1])


def merge_of(strategy):
    """The merge call of ``strategy`` running in the replicas' trace here, or None."""
    stack = _MODE.stack
    if stack and stack[-1][0] is strategy:
        return stack[-1][2]
    return None


@contextlib.contextmanager
def entered(strategy, replica_context, merge=None):
    """Makes ``strategy`` current in ``replica_context`` (None: cross-replica context, inside
    ``merge`` when a merge call of the replicas' trace runs)."""
    stack = _MODE.stack
    stack.append((strategy, replica_context, merge))
    try:
        yield strategy
    finally:
        stack.pop()


def check_cross_replica(strategy):
    """Raises as TF when ``strategy``'s cross-replica method is called in the wrong context."""
    current_strategy, replica_context = current()
    if current_strategy is DEFAULT[0]:
        return
    if current_strategy is not strategy:
        raise RuntimeError(MIXING.format(current_strategy, strategy))
    if replica_context is not None:
        raise RuntimeError(CROSS_REPLICA_ONLY)


def get_strategy():
    """The current ``tf.distribute.Strategy`` (the default strategy outside any scope).

    >>> import tapejax as tf
    >>> tf.distribute.get_strategy().num_replicas_in_sync
    1
    """
    return current()[0]


def has_strategy():
    """True inside a non-default strategy's ``scope()`` or ``run`` (``tf.distribute``'s)."""
    return current()[0] is not DEFAULT[0]


def in_cross_replica_context():
    """True inside ``strategy.scope()`` but outside ``strategy.run`` (TF's cross-replica mode).

    >>> import tapejax as tf
    >>> tf.distribute.in_cross_replica_context()
    False
    """
    return current()[1] is None


def get_replica_context():
    """The current ``ReplicaContext``, or None in cross-replica context (as TF).

    >>> import tapejax as tf
    >>> tf.distribute.get_replica_context().num_replicas_in_sync
    1
    """
    return current()[1]
