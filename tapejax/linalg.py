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
from .ops.matrix_ops import (  # noqa: E402,F401
    cholesky_solve as cholesky_solve, cross as cross, eigvalsh as eigvalsh, expm as expm,
    logdet as logdet, lstsq as lstsq, lu as lu, lu_matrix_inverse as lu_matrix_inverse,
    lu_reconstruct as lu_reconstruct, lu_solve as lu_solve, matrix_rank as matrix_rank,
    normalize as normalize, pinv as pinv, set_diag as set_diag, tensor_diag as tensor_diag,
    tensor_diag_part as tensor_diag_part, tridiagonal_matmul as tridiagonal_matmul,
    tridiagonal_solve as tridiagonal_solve,
)
