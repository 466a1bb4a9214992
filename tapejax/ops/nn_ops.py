"""Neural-network ops (``tf.nn``): activations and softmax on ``jax.nn``."""
import jax

from .. import errors
from .core import apply, attrs, register, require_inexact, to_tensor, unary
from .math_ops import sigmoid  # noqa: F401 - tf.nn.sigmoid is tf.math.sigmoid

relu = unary("relu", jax.nn.relu, tf_name="Relu",
             doc="``tf.nn.relu``: max(x, 0); the gradient at 0 is 0, as in TF.")


def _softmax(x, *, axis):
    return jax.nn.softmax(x, axis=axis)


def _log_softmax(x, *, axis):
    return jax.nn.log_softmax(x, axis=axis)


def _softmax_api(name, fn, tf_name):
    def api(logits, axis=None, name=None):
        x = to_tensor(logits)
        require_inexact(x, tf_name)
        axis = -1 if axis is None else int(axis)
        if not -x.ndim <= axis < max(x.ndim, 1):
            raise errors.InvalidArgumentError(None, None, (
                f"`axis` {axis} is out of range for a tensor of rank {x.ndim} [Op:{tf_name}]"))
        return apply(fn, (x,), attrs(axis=axis), tf_name)
    api.__doc__ = f"``tf.nn.{name}`` over ``axis`` (default: the last one), on ``jax.nn``."
    return register(name, fn, kind="other", tf_name=tf_name)(api)


softmax = _softmax_api("softmax", _softmax, "Softmax")
log_softmax = _softmax_api("log_softmax", _log_softmax, "LogSoftmax")
