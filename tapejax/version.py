"""``tf.version``: the TensorFlow version tapejax follows (``VERSION``) and tapejax's own."""
VERSION = "2.21.0"
GIT_VERSION = "tapejax"
COMPILER_VERSION = "python"
GRAPH_DEF_VERSION = 0
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0
