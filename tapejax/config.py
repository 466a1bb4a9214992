"""``tapejax.config``: what tapejax keeps between calls, and switches.

>>> import tapejax as tf
>>> sorted(tf.config.gradient_cache_info())
['hits', 'maxsize', 'misses', 'size']
"""
from . import _backprop, _cache, _compilation_cache, _lazy


def gradient_cache_info():
    """Hits, misses, size and bound of the compiled eager-gradient cache (an LRU)."""
    return _backprop.CACHE.info()


def clear_gradient_cache():
    """Drops the gradient caches: compiled eager gradients, their plans and custom-gradient
    nodes (rebuilt on demand)."""
    _cache.clear_all("gradient.")


def clear_caches():
    """Drops everything tapejax caches in memory for speed (beyond TF; as ``jax.clear_caches``):
    compiled gradients and plans, the lazy tape's abstract evaluations and graphs, the
    compiled programs of every ``tapejax.function`` (the next call traces again; its
    ``ConcreteFunction``s and tracing count are kept), strategies' replica functions. Results do
    not change. JAX's own caches and the on-disk compilation cache are left alone.

    >>> import tapejax as tf
    >>> tf.config.clear_caches()
    >>> tf.config.cache_info()["gradient.compiled"]["size"]
    0
    """
    _cache.clear_all()


def cache_info():
    """Per cache name (``gradient.compiled``, ``lazy.graphs``, ``function.programs``, ...): hits,
    misses (entries built), size, bound per instance and number of instances. Every cache drops
    its least recently used entry when full."""
    return _cache.info_by_name()


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
    the next run of a script loads what this one compiled; the code AutoGraph generates is kept
    beside them (``tapejax-autograph/``) and loaded instead of converted. ``max_size_bytes``
    (default 1 GiB) bounds the directory: when the cache is turned on, its oldest entries go
    first until it fits. A directory that cannot be written turns the cache off with a logged
    warning. Returns whether the cache is on.
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


# --- devices (TF's tf.config device functions, over JAX's devices) ----------------------------
class PhysicalDevice(tuple):
    """``tf.config.PhysicalDevice(name, device_type)``."""

    __slots__ = ()

    def __new__(cls, name, device_type):
        return super().__new__(cls, (name, device_type))

    name = property(lambda self: self[0])
    device_type = property(lambda self: self[1])

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, device_type={self.device_type!r})"


class LogicalDevice(PhysicalDevice):
    """``tf.config.LogicalDevice(name, device_type)``."""

    __slots__ = ()


def _devices(kind, prefix, device_type):
    import jax
    out = []
    for platform in ("cpu", "gpu", "tpu"):
        try:
            found = jax.devices(platform)
        except RuntimeError:
            continue
        name = platform.upper()
        if device_type is not None and device_type.upper() != name:
            continue
        count = 1 if platform == "cpu" else len(found)  # TF shows the host as one CPU
        out += [kind(f"{prefix}{name}:{k}", name) for k in range(count)]
    return out


_VISIBLE = {}


def list_physical_devices(device_type=None):
    """``tf.config.list_physical_devices``: JAX's devices, named as TF names them."""
    return _devices(PhysicalDevice, "/physical_device:", device_type)


def list_logical_devices(device_type=None):
    """``tf.config.list_logical_devices``: one logical device per visible physical one."""
    visible = {d.name.split(":", 1)[1] for d in get_visible_devices()}
    return [d for d in _devices(LogicalDevice, "/device:", device_type)
            if d.name.split(":", 1)[1] in visible]


def get_visible_devices(device_type=None):
    """``tf.config.get_visible_devices`` (all physical devices unless narrowed)."""
    devices = _VISIBLE.get("devices") or list_physical_devices()
    return [d for d in devices if device_type is None or d.device_type == device_type.upper()]


def set_visible_devices(devices, device_type=None):
    """``tf.config.set_visible_devices``: records the choice for ``get_visible_devices`` and
    ``list_logical_devices``; JAX keeps computing on its default device (a harmless no-op for
    placement: set ``CUDA_VISIBLE_DEVICES`` before starting Python to hide devices from JAX)."""
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    others = [d for d in get_visible_devices() if device_type is not None
              and d.device_type != device_type.upper()]
    _VISIBLE["devices"] = others + devices


class experimental:  # TF's namespace
    """``tf.config.experimental``: memory settings, accepted as no-ops (JAX manages device
    memory itself; see ``XLA_PYTHON_CLIENT_PREALLOCATE`` and ``XLA_PYTHON_CLIENT_MEM_FRACTION``)."""

    _growth = {}

    @staticmethod
    def set_memory_growth(device, enable):
        """No-op kept for TF scripts (JAX allocates GPU memory its own way); as TF, a CPU
        device is a ``ValueError``."""
        if device.device_type == "CPU":
            raise ValueError("Cannot set memory growth on non-GPU and non-Pluggable devices")
        experimental._growth[device.name] = bool(enable)

    @staticmethod
    def get_memory_growth(device):
        """What ``set_memory_growth`` recorded (False by default)."""
        if device.device_type == "CPU":
            raise ValueError("Cannot get memory growth on non-GPU and non-Pluggable devices")
        return experimental._growth.get(device.name, False)

    list_physical_devices = staticmethod(list_physical_devices)
    list_logical_devices = staticmethod(list_logical_devices)
    set_visible_devices = staticmethod(set_visible_devices)
    get_visible_devices = staticmethod(get_visible_devices)
