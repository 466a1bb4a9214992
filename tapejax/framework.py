"""TF's eager-mode framework functions: ``tf.executing_eagerly``, ``tf.no_op``, ``tf.group``,
``tf.control_dependencies``, ``tf.identity_n``, ``tf.get_logger``, ``tf.init_scope``,
``tf.get_static_value``, ``tf.Assert``, ``tf.device``, ..."""
import contextlib
import logging

from ._capture import TRACE
from ._lazy import GRAPH
from .ops.math_ops import identity


def executing_eagerly():
    """False while ``tapejax.function`` traces (as TF inside ``tf.function``) and inside a
    ``tf.__internal__.FuncGraph``, else True."""
    return TRACE.capture is None and not GRAPH.depth


def no_op(name=None):
    """``tf.no_op``: nothing to run in eager mode (returns None, as TF eager)."""
    return None


def group(*inputs, **kwargs):
    """``tf.group``: ops already ran in eager mode; returns None, as TF eager."""
    return None


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """``tf.control_dependencies``: eager ops run in program order, so this only yields."""
    yield


def identity_n(input, name=None):  # TF's name
    """``tf.identity_n``: ``tf.identity`` of each element of a list."""
    return [identity(x) for x in input]


def get_logger():
    """The logger tapejax writes TF's warnings to (``tf.get_logger``)."""
    return logging.getLogger("tapejax")


def inside_function():
    """``tf.inside_function``: True while ``tapejax.function`` traces."""
    return not executing_eagerly()


def is_symbolic_tensor(tensor):
    """``tf.is_symbolic_tensor``: True for a Tensor whose value is a trace's placeholder (inside
    ``tapejax.function`` or a JAX transformation), False for an eager one or a non-Tensor."""
    import jax

    from .tensor import TensorLike, raw_value
    return isinstance(tensor, TensorLike) and not hasattr(tensor, "assign") and isinstance(
        raw_value(tensor), jax.core.Tracer)


def get_static_value(tensor, partial=False):
    """``tf.get_static_value``: an eager Tensor's value as a NumPy array; None for a traced
    Tensor or a Variable; any other value is returned as it is, as TF."""
    from .tensor import Tensor
    if isinstance(tensor, Tensor):
        return None if is_symbolic_tensor(tensor) else tensor.numpy()
    if hasattr(tensor, "assign"):
        return None
    return tensor


@contextlib.contextmanager
def init_scope():
    """``tf.init_scope``: code in it runs eagerly, outside any ``tapejax.function`` trace and
    any recording tape, as TF lifts it out of graphs and tapes."""
    from ._recording import paused
    previous = TRACE.capture
    TRACE.capture = None
    try:
        with paused():
            yield
    finally:
        TRACE.capture = previous


def timestamp(name=None):
    """``tf.timestamp``: seconds since the epoch as a float64 scalar Tensor."""
    import time

    from . import dtypes
    from .tensor import constant
    return constant(time.time(), dtypes.float64)


def guarantee_const(input, name=None):  # TF's name
    """``tf.guarantee_const`` (deprecated in TF): ``tf.identity``."""
    return identity(input)


def tuple(tensors, control_inputs=None, name=None):  # TF's name
    """``tf.tuple``: the Tensors (None kept) as a list; in eager mode they already ran."""
    from .tensor import convert_to_tensor
    return [None if t is None else convert_to_tensor(t) for t in tensors]


def Assert(condition, data, summarize=None, name=None):  # TF's name
    """``tf.Assert``: ``InvalidArgumentError`` listing ``data`` when ``condition`` is False
    (eager); returns None otherwise."""
    import numpy as np

    from . import errors
    from .tensor import convert_to_tensor
    if bool(np.all(convert_to_tensor(condition).numpy())):
        return None
    shown = " ".join(str(d.numpy() if hasattr(d, "numpy") else d) for d in data)
    raise errors.InvalidArgumentError(None, None, (
        f"Expected '{condition}' to be true. Summarized data: {shown}"))


class AggregationMethod:
    """``tf.AggregationMethod``: how ``tf.gradients`` adds gradients in graphs; tapejax's
    gradients are summed by XLA whichever is chosen."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


@contextlib.contextmanager
def device(device_name):
    """``tf.device``: accepted for compatibility; ops run on JAX's default device whatever the
    name (tapejax does not pin ops to devices)."""
    if device_name is not None and not isinstance(device_name, str):
        raise ValueError(f"Expecting a string device name. Got {type(device_name)}"
                         f"({device_name!r})")
    yield
