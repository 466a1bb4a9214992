"""The one cache type of tapejax: bounded, least-recently-used eviction, hit and miss counts.

Every memo tapejax keeps for speed (compiled gradients and their plans, the lazy tape's abstract
evaluations and graphs, custom-gradient nodes, ``tapejax.function``'s programs, a strategy's
replica functions, ...) is a ``Cache``; each registers itself, so ``tapejax.config.clear_caches()``
drops them all and ``tapejax.config.cache_info()`` reports them by name (the model is jax's
``util.cache`` with ``clear_all_caches``). Dropping an entry never changes a result: it is rebuilt
(traced, compiled) on the next use.

Caches are used without a lock: each dict operation is atomic under the GIL, two threads that
miss together may both build (the later store wins), and an entry evicted by another thread
between a hit and its reordering is still returned.
"""
import collections
import weakref

_REGISTRY = weakref.WeakSet()  # per-object caches (a Function's) leave it with their owner


class Cache:
    """A mapping of at most ``maxsize`` entries that evicts the least recently used one.

    ``hits`` counts lookups that found their key; ``misses`` counts entries stored (built
    because a lookup missed). ``name`` groups the instances in ``info_by_name``; caches whose
    name starts with ``gradient.`` are the ones ``config.clear_gradient_cache()`` clears.
    """

    __slots__ = ("name", "maxsize", "entries", "hits", "misses", "__weakref__")

    def __init__(self, name, maxsize, register=True):
        if maxsize < 1:
            raise ValueError(f"`maxsize` must be at least 1. Received: maxsize={maxsize!r}")
        self.name, self.maxsize = name, maxsize
        self.entries = collections.OrderedDict()
        self.hits = self.misses = 0
        if register:
            _REGISTRY.add(self)

    def lookup(self, key):
        """The entry for ``key`` (now the most recently used), or None. Unhashable keys raise
        ``TypeError`` as a dict does."""
        entry = self.entries.get(key)
        if entry is not None:
            self.hits += 1
            try:
                self.entries.move_to_end(key)
            except KeyError:  # evicted by another thread meanwhile: the entry is still good
                pass
        return entry

    def put(self, key, entry):
        """Stores ``entry`` (a miss), evicting the least recently used beyond ``maxsize``."""
        self.misses += 1
        entries = self.entries
        entries[key] = entry
        while len(entries) > self.maxsize:
            try:
                entries.popitem(last=False)
            except KeyError:  # emptied by another thread
                break
        return entry

    def get(self, key, build):
        """The entry for ``key``, made by ``build()`` and stored when missing."""
        entry = self.lookup(key)
        return self.put(key, build()) if entry is None else entry

    def evict_oldest(self):
        """Drops the least recently used entry (for owners that bound more than the count)."""
        try:
            self.entries.popitem(last=False)
        except KeyError:
            pass

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def items(self):
        return self.entries.items()

    def values(self):
        return self.entries.values()

    def info(self):
        return {"hits": self.hits, "misses": self.misses, "size": len(self.entries),
                "maxsize": self.maxsize}

    def clear(self):
        """Drops every entry and resets the counts."""
        self.entries.clear()
        self.hits = self.misses = 0

    def __repr__(self):
        return f"<Cache {self.name} {len(self.entries)}/{self.maxsize}>"


def clear_all(prefix=""):
    """Clears every registered cache whose name starts with ``prefix``."""
    for cache in list(_REGISTRY):
        if cache.name.startswith(prefix):
            cache.clear()


def info_by_name():
    """``{name: {"hits", "misses", "size", "maxsize", "instances"}}`` summed over instances
    (``maxsize`` is per instance)."""
    out = {}
    for cache in list(_REGISTRY):
        total = out.setdefault(cache.name, {"hits": 0, "misses": 0, "size": 0,
                                            "maxsize": cache.maxsize, "instances": 0})
        total["hits"] += cache.hits
        total["misses"] += cache.misses
        total["size"] += len(cache.entries)
        total["instances"] += 1
    return dict(sorted(out.items()))
