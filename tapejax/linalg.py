"""``tf.linalg``: matrix ops."""
from .ops.array_ops import transpose as transpose  # noqa: F401
from .ops.math_ops import matmul as matmul  # noqa: F401
