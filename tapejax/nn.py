"""``tf.nn``: activations and softmax."""
from .ops.nn_ops import (  # noqa: F401
    log_softmax as log_softmax, relu as relu, sigmoid as sigmoid, softmax as softmax,
)
from .ops.math_ops import tanh as tanh  # noqa: F401
