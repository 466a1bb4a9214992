"""``tf.__internal__.eager_context``: entering eager execution."""
import contextlib


@contextlib.contextmanager
def eager_mode():
    """Runs the block eagerly. Outside ``tf.function`` tapejax is already eager; inside a trace
    it cannot leave the trace, so that raises ``NotImplementedError``."""
    from ..framework import inside_function
    if inside_function():
        raise NotImplementedError("tf.__internal__.eager_context.eager_mode() inside "
                                  "tf.function: tapejax cannot run eagerly inside a trace")
    yield
