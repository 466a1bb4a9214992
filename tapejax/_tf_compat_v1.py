"""``tf.compat.v1``: the TF1 names Keras 3's TensorFlow backend calls on its common paths."""


def reset_default_graph():
    """TF clears its global default graph. tapejax has none (``tf.function`` traces are JAX
    traces), so there is nothing to clear; inside a trace this is TF's ``AssertionError``."""
    from .framework import inside_function
    if inside_function():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If "
                             "you need a cleared graph, exit the nesting and create a new "
                             "graph.")
