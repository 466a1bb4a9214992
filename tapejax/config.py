"""``tapejax.config``: what tapejax keeps between calls, and switches.

>>> import tapejax as tf
>>> sorted(tf.config.gradient_cache_info())
['hits', 'maxsize', 'misses', 'size']
"""
from . import _backprop


def gradient_cache_info():
    """Hits, misses, size and bound of the compiled eager-gradient cache (an LRU)."""
    return _backprop.CACHE.info()


def clear_gradient_cache():
    """Drops every compiled eager gradient (they are rebuilt on demand)."""
    _backprop.CACHE.clear()
