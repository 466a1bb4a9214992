"""TF's eager-mode framework functions: ``tf.executing_eagerly``, ``tf.no_op``, ``tf.group``,
``tf.control_dependencies``, ``tf.identity_n``, ``tf.get_logger``."""
import contextlib
import logging

from ._recording import STACK
from .ops.math_ops import identity


def executing_eagerly():
    """False while ``tapejax.function`` traces (as TF inside ``tf.function``), else True."""
    return STACK.capture is None


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


def identity_n(input, name=None):  # noqa: A002 - TF's name
    """``tf.identity_n``: ``tf.identity`` of each element of a list."""
    return [identity(x) for x in input]


def get_logger():
    """The logger tapejax writes TF's warnings to (``tf.get_logger``)."""
    return logging.getLogger("tapejax")
