"""``tf.__internal__.smart_cond``: a Python branch for a known predicate, ``tf.cond`` else."""


def smart_cond(pred, true_fn=None, false_fn=None, name=None):
    """Calls ``true_fn`` or ``false_fn`` when ``pred`` is a Python bool/0/1 or a Tensor with
    a concrete value; ``tf.cond`` when ``pred`` is traced. TF's errors and messages."""
    from ..framework import get_static_value
    from ..ops.control_flow_ops import cond
    from ..tensor import TensorLike
    if not callable(true_fn):
        raise TypeError(f"Argument `true_fn` must be callable. Received {true_fn}")
    if not callable(false_fn):
        raise TypeError(f"Argument `false_fn` must be callable. Received {false_fn}")
    if isinstance(pred, TensorLike):
        value = get_static_value(pred)
    elif pred in {0, 1}:
        value = pred
    else:
        raise TypeError("Argument `pred` must be a Tensor, or a Python bool, or 1 or 0. "
                        f"Received: pred={pred} of type {type(pred).__name__}")
    if value is None:
        return cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)
    return true_fn() if value else false_fn()
