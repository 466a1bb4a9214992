"""Every op module, imported so the op table is complete."""
from . import array_ops, math_ops, nn_ops, random_ops  # noqa: F401
