"""``tf.keras.activations``: activation functions by name (Keras 3's formulas, tapejax ops)."""
from ..ops.array_ops import where
from ..ops.math_ops import minimum, sigmoid as sigmoid, softplus as softplus, tanh as tanh
from ..ops.nn_ops import (
    elu as elu,
    gelu as _gelu,
    log_softmax as _log_softmax,
    relu as _relu,
    selu as selu,
    softmax as _softmax,
    softsign as softsign,
    swish as swish,
)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``; with Keras's options, ``negative_slope * (x - threshold)`` below
    ``threshold`` and clipped at ``max_value``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return _relu(x)
    out = where(x > threshold, x, negative_slope * (x - threshold) if negative_slope else
                0.0 * x)
    return out if max_value is None else minimum(out, max_value)


def softmax(x, axis=-1):
    return _softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return _log_softmax(x, axis=axis)


def gelu(x, approximate=False):
    return _gelu(x, approximate=approximate)


def linear(x):
    return x


silu = swish
_BY_NAME = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
            "log_softmax": log_softmax, "linear": linear, "elu": elu, "selu": selu,
            "gelu": gelu, "softplus": softplus, "softsign": softsign, "swish": swish,
            "silu": silu}


def get(identifier):
    """An activation from a name, a callable, or ``None`` (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Could not interpret activation function identifier: "
                             f"{identifier}")
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier}")
