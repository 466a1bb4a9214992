"""Every op module, imported so the op table is complete.

``GRADIENTS.md`` in this folder indexes the gradient rules that differ from JAX's (TF's
rule, and where it lives).
"""
from . import (  # noqa: F401  # noqa: F401
    array_ops,
    clip_ops,
    composite_ops,
    control_flow_ops,
    index_ops,
    linalg_ops,
    math_ops,
    matrix_ops,
    nn_ops,
    random_ops,
    segment_ops,
    special_ops,
)
