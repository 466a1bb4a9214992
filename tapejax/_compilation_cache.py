"""JAX's persistent compilation cache, on by default in a per-user directory.

TF has no such cache: its first ``tf.function`` call traces and builds a graph each run. XLA
compiles are slower than that, so tapejax keeps compiled programs on disk and a second run of a
script loads, rather than compiles, every program the first run compiled. Never fails: a
directory that cannot be created or written turns the cache off with one logged warning.
"""
import logging
import os
import threading

import jax
from jax import monitoring
from jax.experimental.compilation_cache import compilation_cache as _jax_cache

ENV_SWITCH = "TAPEJAX_COMPILATION_CACHE"
AUTOGRAPH_SUBDIRECTORY = "tapejax-autograph"  # AutoGraph's generated code (``autograph/_stored``)
DEFAULT_MAX_SIZE_BYTES = 1 << 30
# JAX's default (1 s) skips most CPU training steps (W1 compiles in 0.17 s, W3 in 1.7 s) and
# every eager op; loading is 10-15x faster than compiling (W1 11 ms, W3 0.14 s), so keep all.
MIN_COMPILE_TIME_SECS = 0.0

_LOCK = threading.Lock()
_COUNTS = {"hits": 0, "requests": 0}
_BOUND = {"bytes": None}  # the bound ``_trim`` enforces when the cache is turned on
_EVENTS = {"/jax/compilation_cache/cache_hits": "hits",
           "/jax/compilation_cache/compile_requests_use_cache": "requests"}


def _count(event, **kwargs):
    key = _EVENTS.get(event)
    if key is not None:
        with _LOCK:
            _COUNTS[key] += 1


def default_directory():
    """``$XDG_CACHE_HOME/tapejax/jax``, or ``~/.cache/tapejax/jax``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tapejax", "jax")


def _writable(directory):
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    if not os.access(directory, os.W_OK | os.X_OK):
        return "it is not writable"
    return None


def _entries(directory):
    """JAX's entries and AutoGraph's (with any write a killed process left), as
    ``(mtime, size, paths)``."""
    found = []
    for folder, suffixes in ((directory, ("-cache",)),
                             (os.path.join(directory, AUTOGRAPH_SUBDIRECTORY), (".json", ".tmp"))):
        try:
            entries = [e for e in os.scandir(folder) if e.is_file() and e.name.endswith(suffixes)]
        except FileNotFoundError:
            continue
        for e in entries:
            stat = e.stat()
            paths = [e.path]
            if e.name.endswith("-cache"):
                paths.append(e.path[:-len("-cache")] + "-atime")  # JAX's, when it evicted
            found.append((stat.st_mtime, stat.st_size, paths))
    return found


def _trim(directory, max_size_bytes):
    """Deletes the oldest entries (by write time) until the cache fits; run when the cache is
    turned on. JAX's own eviction is not used: it lists and reads every entry of the directory
    on each write, a cost that grows with the cache (about 0.2 s per new program with 7,000
    entries), where this scan runs once per process (about 30 ms for 7,000 entries)."""
    try:
        stats = sorted(_entries(directory), key=lambda entry: entry[0])
    except OSError:
        return
    total = sum(size for _, size, _ in stats)
    for _, size, paths in stats:
        if total <= max_size_bytes:
            break
        for doomed in paths:
            try:
                os.remove(doomed)
            except OSError:
                pass
        total -= size


def configure(enabled, directory=None, max_size_bytes=None):
    """Turns the cache on in ``directory`` (default: the per-user one) or off; see
    ``tapejax.config.set_compilation_cache``. Returns whether it is on."""
    _jax_cache.reset_cache()
    if not enabled:
        jax.config.update("jax_enable_compilation_cache", False)
        return False
    directory = os.fspath(directory or jax.config.jax_compilation_cache_dir
                          or default_directory())
    max_size = DEFAULT_MAX_SIZE_BYTES if max_size_bytes is None else max_size_bytes
    problem = _writable(directory)
    if problem is not None:
        logging.getLogger("tapejax").warning(
            "The compilation cache is off: cannot use %r (%s).", directory, problem)
        jax.config.update("jax_enable_compilation_cache", False)
        return False
    jax.config.update("jax_compilation_cache_max_size", -1)  # no per-write scan (``_trim``)
    _BOUND["bytes"] = max_size
    _trim(directory, max_size)
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_TIME_SECS)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_enable_compilation_cache", True)
    return True


def info():
    """Whether the cache is on, where, its bound, and this process's hits and misses."""
    with _LOCK:
        hits, requests = _COUNTS["hits"], _COUNTS["requests"]
    enabled = bool(jax.config.jax_enable_compilation_cache
                   and jax.config.jax_compilation_cache_dir)
    return {"enabled": enabled,
            "directory": jax.config.jax_compilation_cache_dir if enabled else None,
            "max_size_bytes": (_BOUND["bytes"] if jax.config.jax_compilation_cache_max_size == -1
                               else jax.config.jax_compilation_cache_max_size),
            "min_compile_time_secs": jax.config.jax_persistent_cache_min_compile_time_secs,
            "hits": hits, "misses": requests - hits}


def setup_at_import():
    """Called once by ``import tapejax``. ``TAPEJAX_COMPILATION_CACHE``: ``0`` turns the cache
    off, a path puts it there; otherwise a directory the user gave JAX is left as it is."""
    monitoring.register_event_listener(_count)
    switch = os.environ.get(ENV_SWITCH, "1").strip()
    if switch.lower() in ("0", "false", "off", "no"):
        jax.config.update("jax_enable_compilation_cache", False)
        return
    if switch.lower() not in ("1", "true", "on", "yes", ""):
        configure(True, switch)  # a directory
        return
    if jax.config.jax_compilation_cache_dir or not jax.config.jax_enable_compilation_cache:
        return
    configure(True)
