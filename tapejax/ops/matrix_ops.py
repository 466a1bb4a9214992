"""More of ``tf.linalg``: LU factorisation and solves, ``expm``, ``pinv``, ``lstsq``,
``cholesky_solve``, ``logdet``, ``cross``, ``set_diag``, tensor diagonals and tridiagonal
products and solves. Kernels run on ``jax.scipy.linalg``/``jax.lax.linalg``; functions TF
writes in Python (``logdet``, ``cholesky_solve``, ``lstsq``, ``normalize``, ``eigvalsh``) are
built from tapejax ops with TF's formulas, so their gradients are TF's.
"""
import collections
import functools

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jax import lax

from .. import dtypes, errors
from ..tensor import TensorLike
from . import array_ops, linalg_ops, math_ops
from ._fuse import fused
from .core import (
    apply,
    attrs,
    match,
    match_all,
    no_kernel,
    register,
    require_inexact,
    require_type,
    select_rank_limit,
    static_int,
    to_tensor,
    type_not_allowed,
)

Lu = collections.namedtuple("Lu", ["lu", "p"])


@jax.custom_jvp
def _lu_factors(x):
    lu, _, perm = lax.linalg.lu(x)
    return lu, perm


@_lu_factors.defjvp
def _lu_jvp(primals, tangents):
    raise LookupError("gradient registry has no entry for: Lu")


def _lu(x, *, index_type):
    lu, perm = _lu_factors(x)
    return lu, perm.astype(index_type)


@register("lu", _lu, tf_name="Lu")
def lu(input, output_idx_type=dtypes.int32, name=None):  # TF's name
    """``tf.linalg.lu``: ``(lu, p)`` with partial pivoting; ``input[p] = L @ U`` (unit L). As
    in TF, a gradient through it raises ``LookupError`` (the solves built on its factors are
    differentiable w.r.t. the factors)."""
    x = linalg_ops._matrix_input(input, "Lu")
    linalg_ops._require_invertible(x, "Input is not invertible.", "Lu")
    static = attrs(index_type=dtypes.as_dtype(output_idx_type).as_numpy_dtype)
    return Lu(*apply(_lu, (x,), static, "Lu"))


def _lu_solve(lower_upper, perm, rhs):
    b = jnp.take_along_axis(rhs, perm[..., None], axis=-2)
    y = lax.linalg.triangular_solve(lower_upper, b, left_side=True, lower=True,
                                    unit_diagonal=True)
    return lax.linalg.triangular_solve(lower_upper, y, left_side=True, lower=False)


def _lu_shapes(lower_upper, perm, rhs=None):
    """TF's Python checks of the factors' (and ``rhs``'s) static shapes, made on the arguments
    converted alone, before any dtype check: ``ValueError``s naming the argument."""
    lu_shape, perm_shape = to_tensor(lower_upper).shape, to_tensor(perm).shape
    if len(lu_shape) < 2:
        raise ValueError("Input `lower_upper` must have at least 2 dimensions.")
    if len(lu_shape) != len(perm_shape) + 1:
        raise ValueError("`rank(lower_upper)` must equal `rank(perm) + 1` (argument `perm`)")
    if lu_shape[-1] != lu_shape[-2]:
        raise ValueError("`lower_upper` must be square.")
    rhs_shape = to_tensor(rhs).shape if rhs is not None else None
    if rhs_shape is not None and len(rhs_shape) < 2:
        raise ValueError("Input `rhs` must have at least 2 dimensions.")
    if rhs_shape is not None and rhs_shape[-2] != lu_shape[-1]:
        raise ValueError("`lower_upper.shape[-1]` must equal `rhs.shape[-2]` (argument `rhs`)")


@register("lu_solve", _lu_solve, tf_name="LuSolve")
def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """``tf.linalg.lu_solve``: solves ``A @ x = rhs`` from ``tf.linalg.lu``'s factors."""
    _lu_shapes(lower_upper, perm, rhs)
    lower_upper, rhs = match(lower_upper, rhs, "LuSolve")
    lower_upper = linalg_ops._matrix_input(lower_upper, "LuSolve")
    return apply(_lu_solve, (lower_upper, to_tensor(perm), rhs), (), "LuSolve")


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """``tf.linalg.lu_matrix_inverse``: the inverse from ``tf.linalg.lu``'s factors."""
    lower_upper = to_tensor(lower_upper)
    shape = lower_upper.shape.as_list()
    identity = linalg_ops.eye(shape[-1], batch_shape=shape[:-2], dtype=lower_upper.dtype)
    return lu_solve(lower_upper, perm, identity)


def _lu_reconstruct(lower_upper, perm):
    n = lower_upper.shape[-1]
    lower = jnp.tril(lower_upper, -1) + jnp.eye(n, dtype=lower_upper.dtype)
    product = jnp.matmul(lower, jnp.triu(lower_upper))
    inverse = jnp.argsort(perm, axis=-1)
    return jnp.take_along_axis(product, jnp.broadcast_to(inverse[..., None], product.shape),
                               axis=-2)


@register("lu_reconstruct", _lu_reconstruct, tf_name="LuReconstruct")
def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """``tf.linalg.lu_reconstruct``: the matrix ``tf.linalg.lu`` factored."""
    _lu_shapes(lower_upper, perm)
    lower_upper = to_tensor(lower_upper)  # TF's Python code multiplies the factors: MatMul's types
    math_ops.require_matmul_type(lower_upper)
    return apply(_lu_reconstruct, (lower_upper, to_tensor(perm)), (), "LuReconstruct")


def _expm(x):
    return jsl.expm(x)


@register("expm", _expm, tf_name="MatrixExponential")
def expm(input, name=None):  # TF's name
    """``tf.linalg.expm``: the matrix exponential (Pade approximation with scaling). As TF's
    Python code, a bool or string input fails in its ``abs`` first, an integer one with its
    ``ValueError``."""
    x = to_tensor(input)
    if x.dtype.is_bool or x.dtype is dtypes.string:
        raise type_not_allowed(x.dtype, "Abs", _ABS_TYPES)
    if x.dtype.is_integer:
        raise ValueError("tf.linalg.expm does not support matrices of type "
                         f"<dtype: '{x.dtype.name}'> "
                         "(argument `input`)")
    x = linalg_ops._matrix_input(x, "MatrixExponential")
    return apply(_expm, (x,), (), "MatrixExponential")


def _pinv(x, *, rcond):
    u, s, vh = jnp.linalg.svd(x, full_matrices=False)
    cutoff = rcond * jnp.max(s, axis=-1, keepdims=True, initial=0)
    s_inv = jnp.where(s > cutoff, 1 / jnp.where(s > cutoff, s, 1), 0)
    return jnp.matmul(jnp.swapaxes(vh, -1, -2).conj() * s_inv[..., None, :],
                      jnp.swapaxes(u, -1, -2).conj())


@register("pinv", _pinv, tf_name="Pinv")
def pinv(a, rcond=None, validate_args=False, name=None):
    """``tf.linalg.pinv``: the Moore-Penrose pseudo-inverse by SVD; singular values at or
    below ``rcond * max(s)`` (default ``10 * max(m, n) * eps``) count as 0, as TF."""
    x = to_tensor(a)
    if not x.dtype.is_floating:
        raise TypeError(f"Input `a` must have `float`-like `dtype` (saw {x.dtype.name}).")
    if x.ndim < 2:
        raise ValueError(f"Input `a` must have at least 2 dimensions (saw: {x.ndim}).")
    no_kernel(x.dtype, "Svd")
    if x.dtype == dtypes.bfloat16:
        raise type_not_allowed(x.dtype, "Svd", "double, float, half, complex64, complex128")
    singular_values = x.shape.as_list()[:-2] + [min(x.shape[-2:])]
    select_rank_limit(singular_values, singular_values)  # TF's Python code selects on them
    if rcond is None:
        rcond = 10.0 * max(x.shape[-2:]) * float(np.finfo(x.dtype.as_numpy_dtype).eps)
    return apply(_pinv, (x,), attrs(rcond=float(rcond)), "Pinv")


def _cross(a, b):
    return jnp.cross(a, b)


@register("cross", _cross, tf_name="Cross")
def cross(a, b, name=None):
    """``tf.linalg.cross``: pairwise cross products of 3-vectors (last axis)."""
    a, b = match_all("Cross", a=a, b=b)
    if a.shape != b.shape:
        raise errors.InvalidArgumentError(None, None, (
            f"Both inputs must be of same shape: {a.shape} vs. {b.shape} [Op:Cross] name: "))
    if a.ndim < 1 or a.shape[-1] != 3:
        raise errors.FailedPreconditionError(None, None, (
            "Trailing dimension must be of size 3 [Op:Cross] name: "))
    return apply(_cross, (a, b), (), "Cross")


def _set_diag(x, diagonal):
    n = min(x.shape[-2:])
    rows = jnp.arange(n)
    return x.at[..., rows, rows].set(diagonal)


@register("set_diag", _set_diag, tf_name="MatrixSetDiagV3")
def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """``tf.linalg.set_diag``: ``input`` with its main diagonal replaced (``k=0`` only)."""
    if static_int(k, "k", max_rank=1) != 0:
        raise NotImplementedError("tf.linalg.set_diag: only the main diagonal (`k=0`) is "
                                  f"implemented; got k={k!r}")
    x, d = match_all("MatrixSetDiagV3", input=input, diagonal=diagonal)
    expected = x.shape.as_list()[:-2] + [min(x.shape[-2:])] if x.ndim >= 2 else None
    if expected is None or d.shape.as_list() != expected:
        raise errors.InvalidArgumentError(None, None, (
            f"diagonal must have shape {expected}, got {d.shape.as_list()} "
            "[Op:MatrixSetDiagV3] name: "))
    return apply(_set_diag, (x, d), (), "MatrixSetDiagV3")


_DIAG_TYPES = "bfloat16, half, float, double, int32, int64, complex64, complex128"
_ABS_TYPES = "bfloat16, half, float, double, int8, int16, int32, int64"


def _require_diag_type(x, op_name):
    if x.dtype.name not in ("bfloat16", "float16", "float32", "float64", "int32", "int64",
                            "complex64", "complex128"):
        raise type_not_allowed(x.dtype, op_name, _DIAG_TYPES)


def _tensor_diag(d):
    return jnp.diag(d.reshape(-1)).reshape(d.shape + d.shape)


def _tensor_diag_part(x):
    half = x.shape[:x.ndim // 2]
    size = int(np.prod(half))
    return jnp.diagonal(x.reshape(size, size)).reshape(half)


@register("tensor_diag", _tensor_diag, tf_name="Diag")
def tensor_diag(diagonal, name=None):
    """``tf.linalg.tensor_diag``: a rank-2k tensor with ``diagonal`` on its diagonal."""
    d = to_tensor(diagonal)
    _require_diag_type(d, "Diag")
    if d.ndim < 1:
        raise errors.InvalidArgumentError(None, None, (
            "Input must be at least rank 1, got 0 [Op:Diag] name: "))
    return apply(_tensor_diag, (d,), (), "Diag")


@register("tensor_diag_part", _tensor_diag_part, tf_name="DiagPart")
def tensor_diag_part(input, name=None):  # TF's name
    """``tf.linalg.tensor_diag_part``: the diagonal of a rank-2k tensor."""
    x = to_tensor(input)
    _require_diag_type(x, "DiagPart")
    k = x.ndim // 2
    if x.ndim == 0 or x.ndim % 2 or x.shape[:k] != x.shape[k:]:
        raise errors.InvalidArgumentError(None, None, (
            f"Input must have even rank and matching halves, got shape {x.shape.as_list()} "
            "[Op:DiagPart] name: "))
    return apply(_tensor_diag_part, (x,), (), "DiagPart")


def _compact(diagonals, fmt):
    if fmt == "sequence":
        superdiag, maindiag, subdiag = [to_tensor(d) for d in diagonals]
        return array_ops.stack([superdiag, maindiag, subdiag], axis=-2)
    x = to_tensor(diagonals)
    if fmt == "matrix":
        main = linalg_ops.diag_part(x)
        upper = array_ops.pad(linalg_ops.diag_part(x, k=1), [[0, 0]] * (x.ndim - 2) + [[0, 1]])
        lower = array_ops.pad(linalg_ops.diag_part(x, k=-1), [[0, 0]] * (x.ndim - 2) + [[1, 0]])
        return array_ops.stack([upper, main, lower], axis=-2)
    if fmt != "compact":
        raise ValueError(f"Unrecognized diagonals_format: {fmt}")
    return x


_TRIDIAGONAL_TYPES = "double, float, complex64, complex128"


def _tridiagonal_matmul(diagonals, rhs):
    superdiag, maindiag, subdiag = (diagonals[..., k, :, None] for k in range(3))
    up = jnp.pad(rhs[..., 1:, :], [(0, 0)] * (rhs.ndim - 2) + [(0, 1), (0, 0)])
    down = jnp.pad(rhs[..., :-1, :], [(0, 0)] * (rhs.ndim - 2) + [(1, 0), (0, 0)])
    return superdiag * up + maindiag * rhs + subdiag * down


@register("tridiagonal_matmul", _tridiagonal_matmul, tf_name="TridiagonalMatMul")
def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """``tf.linalg.tridiagonal_matmul``: ``A @ rhs`` for tridiagonal ``A`` given as
    ``compact`` ``[..., 3, M]`` (super, main, sub), ``sequence`` or ``matrix``. As TF's Python
    code, a compact ``diagonals`` is indexed as it is given (a Tensor or NumPy array) and
    ``rhs`` converted to its dtype."""
    if diagonals_format == "compact":
        if not isinstance(diagonals, (TensorLike, np.ndarray, jax.Array)):
            raise TypeError("tridiagonal_matmul indexes a compact `diagonals` as "
                            "`diagonals[..., k, :]`: it must be a Tensor or NumPy array, not "
                            f"{type(diagonals).__name__} (argument `diagonals`)")
        shape = to_tensor(diagonals).shape
        if len(shape) < 2 or shape[-2] < 3:
            raise errors.InvalidArgumentError(None, None, (
                "compact `diagonals` must have shape [..., 3, M] (superdiagonal, diagonal, "
                f"subdiagonal), got {shape.as_list()} (argument `diagonals`) "
                "[Op:StridedSlice] name: "))
    diagonals = _compact(diagonals, diagonals_format)
    diagonals, rhs = match_all("TridiagonalMatMul", diagonals=diagonals, rhs=rhs)
    if rhs.ndim != diagonals.ndim:
        raise errors.InvalidArgumentError(None, None, (
            f"All input tensors must have the same rank: `rhs` has rank {rhs.ndim}, the "
            f"diagonals {diagonals.ndim} [Op:TridiagonalMatMul] name: "))
    require_type(diagonals, "TridiagonalMatMul", _TRIDIAGONAL_TYPES)
    return apply(_tridiagonal_matmul, (diagonals, rhs), (), "TridiagonalMatMul")


@fused
def _tridiagonal_solve(diagonals, rhs, *, partial_pivoting=True):
    superdiag, maindiag, subdiag = (diagonals[..., k, :] for k in range(3))
    lower = subdiag.at[..., 0].set(0)
    upper = superdiag.at[..., -1].set(0)
    solve = functools.partial(_solve_tridiagonal, pivoting=partial_pivoting)
    for _ in range(rhs.ndim - 2):
        solve = jax.vmap(solve)
    return solve(lower, maindiag, upper, rhs)


def _solve_tridiagonal(lower, main, upper, rhs, pivoting):
    """One system ``[M]`` diagonals, ``[M, K]`` right-hand sides, by Gaussian elimination, with
    ``pivoting`` partial pivoting (LAPACK's ``gtsv``, TF's default; a row swap brings a second
    superdiagonal), without it the Thomas algorithm. A zero pivot gives NaN everywhere, as in
    TF (a singular matrix, or without pivoting one that needs it)."""
    def eliminate(row, following):
        d, du, b = row
        dl_next, d_next, du_next, b_next = following
        keep = jnp.abs(d) >= jnp.abs(dl_next) if pivoting else jnp.asarray(True)
        fact_keep = dl_next / jnp.where(keep, d, 1)
        fact_swap = d / jnp.where(keep, 1, dl_next)
        done = (jnp.where(keep, d, dl_next), jnp.where(keep, du, d_next),
                jnp.where(keep, 0, du_next), jnp.where(keep, b, b_next))
        row = (jnp.where(keep, d_next - fact_keep * du, du - fact_swap * d_next),
               jnp.where(keep, du_next, -fact_swap * du_next),
               jnp.where(keep, b_next - fact_keep * b, b - fact_swap * b_next))
        return row, done
    last, rows = lax.scan(eliminate, (main[0], upper[0], rhs[0]),
                          (lower[1:], main[1:], upper[1:], rhs[1:]))
    d, du, du2, b = (jnp.concatenate([r, x[None]]) for r, x in
                     zip(rows, (last[0], last[1], jnp.zeros_like(last[1]), last[2])))

    def substitute(carry, row):
        x1, x2 = carry
        d_i, du_i, du2_i, b_i = row
        x = (b_i - du_i * x1 - du2_i * x2) / d_i
        return (x, x1), x
    zero = jnp.zeros_like(rhs[0])
    _, x = lax.scan(substitute, (zero, zero), (d, du, du2, b), reverse=True)
    return jnp.where(jnp.any(d == 0), jnp.nan, x)


def _tridiagonal_solve_shapes(shape, rhs_shape, transpose_rhs):
    """TF's Python checks of compact diagonals ``[..., 3, M]`` and of ``rhs`` (``[..., M]`` or
    ``[..., M, K]``), in TF's order: ``ValueError``s naming the argument."""
    rank, rhs_rank = len(shape), len(rhs_shape)
    if rank < 2:
        raise ValueError(f"Expected diagonals to have rank at least 2, got {rank} "
                         "(argument `diagonals`)")
    if rhs_rank not in (rank - 1, rank):
        raise ValueError(f"Expected the rank of rhs to be {rank - 1} or {rank}, got {rhs_rank} "
                         "(argument `rhs`)")
    if shape[-2] != 3:
        raise ValueError(f"Expected 3 diagonals got {shape[-2]} (argument `diagonals`)")
    equations = rhs_shape[-1 if transpose_rhs or rhs_rank < rank else -2]
    if shape[-1] and equations and shape[-1] != equations:
        raise ValueError("Expected number of left-hand sided and right-hand sides to be equal, "
                         f"got {shape[-1]} and {equations} (argument `rhs`)")


@register("tridiagonal_solve", _tridiagonal_solve, tf_name="TridiagonalSolve")
def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """``tf.linalg.tridiagonal_solve``: with ``partial_pivoting`` (TF's default) Gaussian
    elimination with row swaps, as TF; without, the Thomas algorithm (no swaps)."""
    if perturb_singular and not partial_pivoting:
        raise ValueError("partial_pivoting must be True if perturb_singular is.")
    if perturb_singular:
        raise NotImplementedError("tf.linalg.tridiagonal_solve: `perturb_singular` is not "
                                  "implemented")
    if diagonals_format not in ("compact", "sequence", "matrix"):
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    for what, value in (("diagonals", diagonals), ("rhs", rhs)):
        sequence = what == "diagonals" and diagonals_format == "sequence"
        if not isinstance(value, TensorLike) and not sequence:  # as TF's Python code
            raise AttributeError(f"tf.linalg.tridiagonal_solve reads `{what}.shape.rank`: it "
                                 f"must be a Tensor, not {type(value).__name__} (argument "
                                 f"`{what}`)")
    if diagonals_format == "compact":
        _tridiagonal_solve_shapes(diagonals.shape, rhs.shape, transpose_rhs)
    diagonals = _compact(diagonals, diagonals_format)
    rhs = to_tensor(rhs)
    if transpose_rhs:
        rhs = array_ops.transpose(rhs, list(range(rhs.ndim - 2)) + [rhs.ndim - 1, rhs.ndim - 2]
                                  ) if rhs.ndim > 1 else rhs
    if conjugate_rhs:
        from .special_ops import conj
        rhs = conj(rhs)
    vector = rhs.ndim == diagonals.ndim - 1
    if vector:
        rhs = array_ops.expand_dims(rhs, -1)
    diagonals, rhs = match(diagonals, rhs, "TridiagonalSolve")
    require_inexact(to_tensor(diagonals), "TridiagonalSolve")
    out = apply(_tridiagonal_solve, (diagonals, rhs),
                attrs(partial_pivoting=bool(partial_pivoting)), "TridiagonalSolve")
    return array_ops.squeeze(out, -1) if vector else out


# --- composites ------------------------------------------------------------------------------
def logdet(matrix, name=None):
    """``tf.linalg.logdet`` of a Hermitian positive definite matrix: ``2 * sum(log(diag(
    cholesky(matrix))))``, TF's formula."""
    chol = linalg_ops.cholesky(matrix)
    return 2.0 * math_ops.reduce_sum(math_ops.log(linalg_ops.diag_part(chol)), axis=[-1])


def cholesky_solve(chol, rhs, name=None):
    """``tf.linalg.cholesky_solve``: solves ``A @ x = rhs`` given ``chol = cholesky(A)``."""
    y = linalg_ops.triangular_solve(chol, rhs, lower=True, adjoint=False)
    return linalg_ops.triangular_solve(chol, y, lower=True, adjoint=True)


def eigvalsh(tensor, name=None):
    """``tf.linalg.eigvalsh``: the eigenvalues of a Hermitian matrix (lower triangle read)."""
    return linalg_ops.eigh(tensor)[0]


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """``tf.linalg.matrix_rank``: singular values above ``tol`` (default ``max(s) *
    max(m, n) * eps``), counted as int32."""
    x = to_tensor(a)
    s = linalg_ops.svd(x, compute_uv=False)
    if tol is None:
        eps = float(np.finfo(x.dtype.as_numpy_dtype).eps)
        tol = math_ops.reduce_max(s, axis=-1, keepdims=True) * (max(x.shape[-2:]) * eps)
    return math_ops.reduce_sum(math_ops.cast(math_ops.greater(s, tol), dtypes.int32), axis=-1)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # TF's name
    """``tf.linalg.normalize``: ``(tensor / norm, norm)`` with the norm's axes kept."""
    tensor = to_tensor(tensor)
    norm = linalg_ops.norm(tensor, ord=ord, axis=axis, keepdims=True)
    return math_ops.divide(tensor, norm), norm


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """``tf.linalg.lstsq`` by TF's fast path: the regularised normal equations solved with a
    Cholesky factorisation (``fast=False``, TF's complete orthogonal factorisation, raises
    NotImplementedError)."""
    if not fast:
        raise NotImplementedError("tf.linalg.lstsq: `fast=False` is not implemented")
    matrix, rhs = to_tensor(matrix), to_tensor(rhs)
    m, n = matrix.shape[-2:]
    adjoint = linalg_ops.adjoint(matrix)
    if m >= n:
        gram = math_ops.matmul(adjoint, matrix)
    else:
        gram = math_ops.matmul(matrix, adjoint)
    if l2_regularizer:
        gram = gram + l2_regularizer * linalg_ops.eye(gram.shape[-1], dtype=gram.dtype)
    chol = linalg_ops.cholesky(gram)
    if m >= n:
        return cholesky_solve(chol, math_ops.matmul(adjoint, rhs))
    return math_ops.matmul(adjoint, cholesky_solve(chol, rhs))
