"""Every op module, imported so the op table is complete."""
from . import array_ops, clip_ops, linalg_ops, math_ops, nn_ops  # noqa: F401
