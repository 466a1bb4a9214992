"""``tf.__internal__.distribute.interim``: the merge-call switch Keras's optimizers go through.

``maybe_merge_call(fn, strategy, *args, **kwargs)`` calls ``fn(strategy, *args, **kwargs)``
directly where TF needs no merge call (no strategy entered), and through
``get_replica_context().merge_call`` otherwise, as TF 2.21 does for every other strategy.
"""
from . import _context


def strategy_supports_no_merge_call():
    """True when the current strategy's updates need no ``merge_call`` (only the default
    strategy, as TF's).

    >>> from tapejax.distribute import merge_call_interim
    >>> merge_call_interim.strategy_supports_no_merge_call()
    True
    """
    if not _context.has_strategy():
        return True
    return not _context.get_strategy().extended._use_merge_call()


def maybe_merge_call(fn, strategy, *args, **kwargs):
    """``fn(strategy, *args, **kwargs)``, through ``merge_call`` when the strategy needs it."""
    if strategy_supports_no_merge_call():
        return fn(strategy, *args, **kwargs)
    return _context.get_replica_context().merge_call(fn, args=args, kwargs=kwargs)
