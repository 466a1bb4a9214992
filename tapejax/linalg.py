"""``tf.linalg``: matrix ops."""
from .ops.clip_ops import global_norm as global_norm  # noqa: F401
from .ops.linalg_ops import (  # noqa: F401
    adjoint as adjoint, band_part as band_part, cholesky as cholesky, det as det, diag as diag,
    diag_part as diag_part, eigh as eigh, einsum as einsum, inv as inv,
    matrix_transpose as matrix_transpose, matvec as matvec, norm as norm, qr as qr,
    slogdet as slogdet, solve as solve, svd as svd, tensordot as tensordot, trace as trace,
    triangular_solve as triangular_solve,
)
from .ops.linalg_ops import matrix_transpose as transpose  # noqa: F401 - TF 2.x alias
from .ops.math_ops import (  # noqa: F401
    l2_normalize as l2_normalize, matmul as matmul,
)
from .ops.linalg_ops import eye as eye  # noqa: E402,F401
