"""``tapejax.config``: what tapejax keeps between calls, and switches.

>>> import tapejax as tf
>>> sorted(tf.config.gradient_cache_info())
['hits', 'maxsize', 'misses', 'size']
"""
from . import _backprop, _compilation_cache, _lazy


def gradient_cache_info():
    """Hits, misses, size and bound of the compiled eager-gradient cache (an LRU)."""
    return _backprop.CACHE.info()


def clear_gradient_cache():
    """Drops every compiled eager gradient (they are rebuilt on demand)."""
    _backprop.CACHE.clear()


class _LazySetting:
    """What ``lazy_tape`` returns: used as a context manager, it restores the previous setting."""

    def __init__(self, previous):
        self._previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        settings = _lazy.SETTINGS
        settings.enabled, settings.max_depth, settings.max_ops = self._previous


def lazy_tape(enabled=True, max_pending_depth=None, max_pending_ops=None):
    """Turns lazy recording inside ``GradientTape`` on or off for the process.

    With it on (the default; ``TAPEJAX_LAZY_TAPE=0`` turns it off at import), an op on watched
    values under a recording tape is recorded without running; its value is computed when
    first needed, and ``gradient`` computes the forward and backward passes in one compiled
    call. Results are the same either way. Bounds: a chain of pending ops
    ``max_pending_depth`` deep (default 1000) is computed before it grows further, and after
    ``max_pending_ops`` ops (default 10000) recorded with no ``gradient`` in between, every
    pending value still held is computed. As a context manager it restores the previous
    settings:

    >>> import tapejax as tf
    >>> with tf.config.lazy_tape(False):
    ...   tf.config.lazy_tape_info()["enabled"]
    False
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"`enabled` must be a bool. Received: enabled={enabled!r}")
    for name, bound in (("max_pending_depth", max_pending_depth),
                        ("max_pending_ops", max_pending_ops)):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)
                                  or bound < 1):
            raise ValueError(f"`{name}` must be a positive int. Received: {name}={bound!r}")
    settings = _lazy.SETTINGS
    previous = (settings.enabled, settings.max_depth, settings.max_ops)
    settings.enabled = enabled
    if max_pending_depth is not None:
        settings.max_depth = max_pending_depth
    if max_pending_ops is not None:
        settings.max_ops = max_pending_ops
    return _LazySetting(previous)


def lazy_tape_info():
    """Counters of lazy recording: ops deferred and run eagerly, fused gradient calls,
    materialisations, and the hits, misses and size of the compiled-graph cache (an LRU)."""
    return _lazy.info()


def set_compilation_cache(enabled=True, directory=None, max_size_bytes=None):
    """Turns JAX's persistent compilation cache on or off for the process (beyond TF).

    ``import tapejax`` turns it on in ``$XDG_CACHE_HOME/tapejax/jax`` (``~/.cache/tapejax/jax``)
    unless ``TAPEJAX_COMPILATION_CACHE=0`` or a directory was already given to JAX
    (``JAX_COMPILATION_CACHE_DIR``), which is then used as is. Every compiled program is kept, so
    the next run of a script loads what this one compiled. ``max_size_bytes`` (default 1 GiB)
    bounds the directory; the least recently used entries go first. A directory that cannot be
    written turns the cache off with a logged warning. Returns whether the cache is on.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"`enabled` must be a bool. Received: enabled={enabled!r}")
    if max_size_bytes is not None and (not isinstance(max_size_bytes, int)
                                       or isinstance(max_size_bytes, bool)
                                       or max_size_bytes < 1):
        raise ValueError("`max_size_bytes` must be a positive int. "
                         f"Received: max_size_bytes={max_size_bytes!r}")
    return _compilation_cache.configure(enabled, directory, max_size_bytes)


def compilation_cache_info():
    """Whether the persistent compilation cache is on, its directory and bounds, and the hits and
    misses of this process (a miss compiles and writes an entry)."""
    return _compilation_cache.info()
