"""``tf.compat.v1``: the TF1 names Keras 3's TensorFlow backend calls on its common paths."""
from . import io_records


class io:  # TF's namespace
    """``tf.compat.v1.io``: the TF1 record reader (TensorBoard's event reader calls it)."""

    tf_record_iterator = staticmethod(io_records.tf_record_iterator)


def reset_default_graph():
    """TF clears its global default graph. tapejax has none (``tf.function`` traces are JAX
    traces), so there is nothing to clear; inside a trace this is TF's ``AssertionError``."""
    from .framework import inside_function
    if inside_function():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If "
                             "you need a cleared graph, exit the nesting and create a new "
                             "graph.")


def __getattr__(name):
    """``placeholder``/``sparse_placeholder`` (``tf.__internal__.FuncGraph``'s inputs) and
    ``SummaryMetadata``: the summary proto (TensorBoard's copy of TF's ``summary.proto``),
    which Keras's TensorBoard callback builds for its model-graph summary."""
    if name in ("placeholder", "sparse_placeholder"):
        from ._internal import func_graph
        return getattr(func_graph, name)
    if name == "SummaryMetadata":
        from tensorboard.compat.proto.summary_pb2 import SummaryMetadata
        return SummaryMetadata
    raise AttributeError(f"module 'tapejax.compat.v1' has no attribute {name!r}")
