"""``tf.data.Options`` and its policy enums, with TF's names, defaults, type checks and
``merge`` rule (a set value wins over an unset one; the later of two set values wins).

tapejax's pipelines run on the host in order, so no option changes what they produce; they are
kept so code that sets and reads them (Keras's data adapters) runs as on TF.
"""
import enum


class AutoShardPolicy(enum.IntEnum):
    """``tf.data.experimental.AutoShardPolicy``."""

    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class ExternalStatePolicy(enum.Enum):
    """``tf.data.experimental.ExternalStatePolicy``."""

    WARN = 0
    IGNORE = 1
    FAIL = 2


class _Group:
    """A set of typed options: ``_FIELDS`` maps each name to ``(type, default)``."""

    _FIELDS = {}

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        fields = type(self)._FIELDS
        if name not in fields:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        kind, default = fields[name]
        if name not in self._values and isinstance(kind, type) and issubclass(kind, _Group):
            self._values[name] = kind()
        return self._values.get(name, default)

    def __setattr__(self, name, value):
        fields = type(self)._FIELDS
        if name not in fields:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        kind, _ = fields[name]
        if value is not None and not isinstance(value, kind):
            raise TypeError(f'Property "{name}" must be of type {kind}, got: {value} '
                            f"(type: {type(value)})")
        self._values[name] = value

    def _merged(self, other):
        out = type(self)()
        for name, (kind, _) in type(self)._FIELDS.items():
            mine, theirs = self._values.get(name), other._values.get(name)
            if isinstance(kind, type) and issubclass(kind, _Group):
                out._values[name] = (mine or kind())._merged(theirs or kind())
            elif theirs is not None:
                out._values[name] = theirs
            elif mine is not None:
                out._values[name] = mine
        return out

    def _items(self):
        return {name: (v._items() if isinstance(v, _Group) else v)
                for name, v in ((n, getattr(self, n)) for n in type(self)._FIELDS)}

    def __eq__(self, other):
        return type(other) is type(self) and self._items() == other._items()

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class AutotuneOptions(_Group):
    _FIELDS = {"enabled": (bool, None), "cpu_budget": (int, None), "ram_budget": (int, None),
               "autotune_algorithm": (object, None), "initial_parallelism": (int, None),
               "min_parallelism": (int, None)}


class DistributeOptions(_Group):
    _FIELDS = {"auto_shard_policy": (AutoShardPolicy, AutoShardPolicy.AUTO),
               "num_devices": (int, None)}


class OptimizationOptions(_Group):
    _FIELDS = {name: (bool, None) for name in (
        "apply_default_optimizations", "filter_fusion", "filter_parallelization",
        "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion",
        "map_parallelization", "noop_elimination", "parallel_batch", "seq_interleave_prefetch",
        "shuffle_and_repeat_fusion")}


class ThreadingOptions(_Group):
    _FIELDS = {"max_intra_op_parallelism": (int, None), "private_threadpool_size": (int, None)}


class Options(_Group):
    """``tf.data.Options``.

    >>> import tapejax as tf
    >>> options = tf.data.Options()
    >>> options.experimental_distribute.auto_shard_policy = (
    ...     tf.data.experimental.AutoShardPolicy.DATA)
    >>> tf.data.Dataset.range(3).with_options(options).options() == options
    True
    """

    _FIELDS = {"autotune": (AutotuneOptions, None), "dataset_name": (str, None),
               "deterministic": (bool, None), "experimental_deterministic": (bool, None),
               "experimental_distribute": (DistributeOptions, None),
               "experimental_external_state_policy": (ExternalStatePolicy, None),
               "experimental_optimization": (OptimizationOptions, None),
               "experimental_slack": (bool, None),
               "experimental_symbolic_checkpoint": (bool, None),
               "experimental_threading": (ThreadingOptions, None),
               "experimental_warm_start": (bool, None),
               "framework_type": (list, None), "threading": (ThreadingOptions, None)}

    def merge(self, options):
        """These options overridden by the ones set in ``options``."""
        return self._merged(options)
