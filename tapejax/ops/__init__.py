"""Every op module, imported so the op table is complete."""
from . import array_ops, clip_ops, control_flow_ops, linalg_ops, math_ops, nn_ops  # noqa: F401
from . import composite_ops, index_ops, matrix_ops, segment_ops, special_ops  # noqa: F401
from . import random_ops  # noqa: F401
