"""``tf.profiler.experimental.server``: a profiler server for on-demand captures."""
import jax


def start(port):
    """Starts JAX's profiler server on ``port`` (TensorBoard's "Capture profile" connects)."""
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, got {port!r}")
    jax.profiler.start_server(port)
