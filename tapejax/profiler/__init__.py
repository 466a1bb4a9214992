"""``tf.profiler``: TF's profiler API on JAX's profiler (``tf.profiler.experimental``)."""
from . import experimental as experimental
