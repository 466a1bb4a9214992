"""Matrix ops (``tf.linalg``, ``tf.einsum``, ``tf.tensordot``, ``tf.norm``), one entry each.

Values and derivatives come from ``jax.numpy.linalg`` and ``jax.lax.linalg``. Where TF reads
only the lower triangle (``cholesky``, ``eigh``) the JAX function does too, so values and
gradients match TF for any input; TF's symmetric Cholesky gradient is the one custom rule.
"""
import collections

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import dtypes, errors
from ..tensor import Tensor, TensorLike, _is_text
from .core import (
    apply,
    attrs,
    dims_str,
    int_array,
    match,
    no_kernel,
    padding_tensor,
    register,
    reject_text,
    require_inexact,
    require_numeric,
    required_int,
    required_value,
    static_int,
    to_tensor,
)
from .math_ops import _abs, _max, _pow, _sqrt, matmul_shapes

# TF's lists of allowed kernel types, quoted in its error for an integer input.
_LINALG_TYPES = "double, float, half, complex64, complex128"
_DET_TYPES = "half, float, double, complex64, complex128"

LogMatrixDeterminant = collections.namedtuple("LogMatrixDeterminant",
                                              ["sign", "log_abs_determinant"])
Qr = collections.namedtuple("Qr", ["q", "r"])


def _invalid(message, op_name):
    return errors.InvalidArgumentError(None, None, f"{message} [Op:{op_name}] name: ")


def _matrix_input(x, op_name, allowed=_LINALG_TYPES, square=True):
    """The input as a Tensor, with TF's errors for its dtype, rank and squareness."""
    x = to_tensor(x)
    require_inexact(x, op_name, allowed)
    if x.ndim < 2:
        raise _invalid(f"Input tensor 0 must have rank >= 2, got {x.ndim}", op_name)
    if square and x.shape[-1] != x.shape[-2]:
        raise _invalid("Input matrix must be square.", op_name)
    return x


def _require_invertible(x, message, op_name):
    """TF's error for a matrix its LU kernel calls singular (eager only): the smallest pivot
    magnitude is not positive, taken as Eigen's ``minCoeff`` takes it (a NaN pivot counts only
    in first place, so a NaN first pivot is an error and a later one is not)."""
    values = x._value
    if isinstance(values, jax.core.Tracer) or not values.shape[-1]:
        return
    pivots = jnp.abs(jnp.diagonal(lax.linalg.lu(values)[0], axis1=-2, axis2=-1))
    if bool(jnp.any(jnp.isnan(pivots[..., 0]) | jnp.any(pivots == 0, axis=-1))):
        raise _invalid(message, op_name)


def _require_eigh_converges(x):
    """TF's error where its eigen solver does not converge (eager only): Eigen scales the lower
    triangle by its largest magnitude (NaN only when the first entry is NaN, as ``maxCoeff``
    reads it; an inf turns into NaN), and a NaN then fails unless the matrix is diagonal."""
    values = x._value
    if isinstance(values, jax.core.Tracer) or not values.size:
        return
    lower = jnp.abs(jnp.tril(values))
    scale = jnp.where(jnp.isnan(lower[..., :1, :1]), lower[..., :1, :1],
                      jnp.nanmax(lower, axis=(-2, -1), keepdims=True))
    scaled = lower / jnp.where(scale == 0, jnp.ones_like(scale), scale)
    off_diagonal = jnp.any(jnp.tril(scaled, -1) != 0, axis=(-2, -1))
    if bool(jnp.any(jnp.any(jnp.isnan(scaled), axis=(-2, -1)) & off_diagonal)):
        raise _invalid("Self-adjoint eigen decomposition was not successful. The input might "
                       "not be valid.", "SelfAdjointEigV2")


def _transpose_last(x):
    return jnp.swapaxes(x, -1, -2)


def _adjoint(x):
    return jnp.conj(_transpose_last(x))


def _lower_symmetric(x):
    """The Hermitian matrix TF's kernels see: the lower triangle, mirrored."""
    return jnp.tril(x) + _adjoint(jnp.tril(x, -1))


# --- transposes ---------------------------------------------------------------------------
def _matrix_transpose(x, *, conjugate):
    return _adjoint(x) if conjugate else _transpose_last(x)


def _rank2(x):
    if _is_text(x) and np.ndim(x) < 2:
        raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2.  Received "
                         f"`a` = {x!r} with shape: {np.shape(x)}")
    x = to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2.  Received "
                         f"`a` = {x} with shape: {tuple(x.shape)}")
    return x


@register("matrix_transpose", _matrix_transpose, tf_name="Transpose")
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """``tf.linalg.matrix_transpose``: swaps the last two axes (conjugating if asked)."""
    x = _rank2(a)
    return apply(_matrix_transpose, (x,), attrs(conjugate=bool(conjugate)), "Transpose")


def adjoint(matrix, name=None):
    """``tf.linalg.adjoint``: the conjugate transpose of the last two axes."""
    return matrix_transpose(matrix, conjugate=True)


# --- products -----------------------------------------------------------------------------
def _matvec(a, b, *, transpose_a, adjoint_a):
    if transpose_a or adjoint_a:
        a = _adjoint(a) if adjoint_a else _transpose_last(a)
    return jnp.matmul(a, b[..., None])[..., 0]


@register("matvec", _matvec, tf_name="MatMul")
def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """``tf.linalg.matvec``: ``a @ b[..., None]`` without the last axis; batch axes broadcast."""
    a, b = match(a, b, "MatMul")
    matmul_shapes(a.shape.as_list(), b.shape.as_list() + [1], transpose_a or adjoint_a, False)
    static = attrs(transpose_a=bool(transpose_a), adjoint_a=bool(adjoint_a))
    return apply(_matvec, (a, b), static, "MatMul")


def _einsum(*xs, equation):
    return jnp.einsum(equation, *xs)


@register("einsum", _einsum, tf_name="Einsum")
def einsum(equation, *inputs, **kwargs):
    """``tf.einsum`` / ``tf.linalg.einsum``: all inputs of one dtype, as TF."""
    equation = equation.replace(" ", "")
    lhs, _, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(inputs):
        raise ValueError(f'Got {len(inputs)} inputs for equation "{equation}", expecting '
                         f'{len(terms)}')
    missing = sorted(set(rhs) - set(lhs) - {"."})
    if missing:
        raise ValueError(f"Output subscripts contain the label {missing[0]} not present in the "
                         f"input subscripts.")
    xs = [to_tensor(x) for x in inputs]
    for x in xs[1:]:
        match(xs[0], x, "Einsum")
    if not rhs and "->" not in equation and any(
            "..." in term and x.ndim > len(term.replace("...", "")) for term, x in zip(terms, xs)):
        raise _invalid("Output contains broadcasting dimension(s) but no ellipsis (...) was "
                       "found in the output subscripts.", "Einsum")
    return apply(_einsum, tuple(xs), attrs(equation=equation), "Einsum")


def _tensordot(a, b, *, axes):
    return jnp.tensordot(a, b, axes)


def _tensordot_axes(axes, a_rank):
    if isinstance(axes, TensorLike):
        axes = required_value(axes, "axes").tolist()
    elif not isinstance(axes, (int, np.integer, list, tuple)):
        axes = int_array(axes, "axes", "int32").tolist()
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError(f"`axes` must be at least 0. Received: {axes}.")
        if n > a_rank:
            raise ValueError(f"`axes` must not be larger than the number of dimensions of "
                             f"tensor `a`. Received {n}, vs tensor dimensions {a_rank}.")
        return tuple(range(a_rank - n, a_rank)), tuple(range(n))
    if len(axes) != 2:
        raise ValueError(f"`axes` must be an integer or have length 2. Received {axes}.")
    a_axes, b_axes = ([v] if isinstance(v, (int, np.integer)) else list(v) for v in axes)
    if not all(isinstance(v, (int, np.integer)) for v in a_axes + b_axes):
        raise TypeError(f"`axes` must hold integers. Received: axes={axes}")
    if len(a_axes) != len(b_axes):
        raise ValueError(f"Different number of contraction axes `a` and `b`, {len(a_axes)} != "
                         f"{len(b_axes)}.")
    return tuple(a_axes), tuple(b_axes)


@register("tensordot", _tensordot, tf_name="MatMul")
def tensordot(a, b, axes, name=None):
    """``tf.tensordot``: contracts ``axes`` (an int N: the last N of ``a``, first N of ``b``)."""
    if _is_text(a):  # TF checks ``axes`` against the string tensor's rank first
        _tensordot_axes(axes, np.ndim(a))
    a, b = match(a, b, "MatMul", strict=True)
    a_axes, b_axes = _tensordot_axes(axes, a.ndim)
    if any(a.shape[i] != b.shape[j] for i, j in zip(a_axes, b_axes)):
        a_shape, b_shape = a.shape.as_list(), b.shape.as_list()
        inner_a = int(np.prod([a_shape[i] for i in a_axes], dtype=np.int64))
        inner_b = int(np.prod([b_shape[j] for j in b_axes], dtype=np.int64))
        outer_a = int(np.prod(a_shape, dtype=np.int64)) // max(inner_a, 1)
        outer_b = int(np.prod(b_shape, dtype=np.int64)) // max(inner_b, 1)
        raise _invalid(f"Matrix size-incompatible: In[0]: [{outer_a},{inner_a}], In[1]: "
                       f"[{inner_b},{outer_b}]", "MatMul")
    return apply(_tensordot, (a, b), attrs(axes=(a_axes, b_axes)), "MatMul")


# --- inverses and determinants ------------------------------------------------------------
def _inv(x, *, adjoint):
    return jnp.linalg.inv(_adjoint(x) if adjoint else x)


@register("inv", _inv, tf_name="MatrixInverse")
def inv(input, adjoint=False, name=None):  # TF's name
    """``tf.linalg.inv``; a singular matrix raises ``InvalidArgumentError`` as in TF."""
    x = _matrix_input(input, "MatrixInverse")
    _require_invertible(x, "Input is not invertible.", "MatrixInverse")
    return apply(_inv, (x,), attrs(adjoint=bool(adjoint)), "MatrixInverse")


@register("det", jnp.linalg.det, tf_name="MatrixDeterminant")
def det(input, name=None):  # TF's name
    """``tf.linalg.det`` of each matrix in the batch."""
    x = _matrix_input(input, "MatrixDeterminant", _DET_TYPES)
    return apply(jnp.linalg.det, (x,), (), "MatrixDeterminant")


def _slogdet(x):
    return tuple(jnp.linalg.slogdet(x))


@register("slogdet", _slogdet, tf_name="LogMatrixDeterminant")
def slogdet(input, name=None):  # TF's name
    """``tf.linalg.slogdet``: ``(sign, log_abs_determinant)``."""
    x = _matrix_input(input, "LogMatrixDeterminant", _DET_TYPES)
    return LogMatrixDeterminant(*apply(_slogdet, (x,), (), "LogMatrixDeterminant"))


# --- decompositions -----------------------------------------------------------------------
@jax.custom_jvp
def _cholesky(x):
    return lax.linalg.cholesky(x, symmetrize_input=False)


@_cholesky.defjvp
def _cholesky_jvp(primals, tangents):
    # TF's gradient is symmetric at every order (it treats the input as Hermitian), JAX's is
    # not: this is JAX's Cholesky derivative applied to the Hermitian part of the tangent, with
    # the factor taken from _cholesky itself so that higher orders follow the same rule.
    (x,), (t,) = primals, tangents
    factor = _cholesky(x)
    hermitian = (t + _adjoint(t)) / 2
    right = lax.linalg.triangular_solve(factor, hermitian, left_side=False, lower=True,
                                        transpose_a=True, conjugate_a=True)
    inner = lax.linalg.triangular_solve(factor, right, left_side=True, lower=True)
    phi = jnp.tril(inner) / (1 + jnp.eye(x.shape[-1], dtype=x.dtype))
    return factor, jnp.matmul(factor, phi)


@register("cholesky", _cholesky, tf_name="Cholesky")
def cholesky(input, name=None):  # TF's name
    """``tf.linalg.cholesky``: reads the lower triangle; NaNs (no error) if not positive."""
    x = _matrix_input(input, "Cholesky")
    return apply(_cholesky, (x,), (), "Cholesky")


def _qr(x, *, full_matrices):
    m, n = x.shape[-2:]
    if m >= n or full_matrices:
        return tuple(jnp.linalg.qr(x, mode="complete" if full_matrices else "reduced"))
    # Wide: Q from the leading square block, as the Householder QR of x gives; JAX then
    # differentiates it (its own QR rule covers only m >= n), as TF's gradient does.
    q, r = jnp.linalg.qr(x[..., :m])
    return q, jnp.concatenate([r, jnp.matmul(_adjoint(q), x[..., m:])], axis=-1)


@register("qr", _qr, tf_name="Qr")
def qr(input, full_matrices=False, name=None):  # TF's name
    """``tf.linalg.qr``: ``Qr(q, r)``; reduced unless ``full_matrices``."""
    x = _matrix_input(input, "Qr", square=False)
    return Qr(*apply(_qr, (x,), attrs(full_matrices=bool(full_matrices)), "Qr"))


def _svd(x, *, full_matrices, compute_uv):
    if not compute_uv:
        return jnp.linalg.svd(x, compute_uv=False)
    u, s, vh = jnp.linalg.svd(x, full_matrices=full_matrices)
    return s, u, _adjoint(vh)


@register("svd", _svd, tf_name="Svd")
def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """``tf.linalg.svd``: ``s`` alone, or ``(s, u, v)`` (``v``, not ``v^H``), as TF.

    Singular vectors are unique only up to sign; compare functions invariant to it.
    """
    x = _matrix_input(tensor, "Svd", square=False)
    static = attrs(full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return apply(_svd, (x,), static, "Svd")


def _eigh(x):
    v, w = lax.linalg.eigh(_lower_symmetric(x), symmetrize_input=False)
    return w, v


@register("eigh", _eigh, tf_name="SelfAdjointEigV2")
def eigh(tensor, name=None):
    """``tf.linalg.eigh``: ``(e, v)``, ascending eigenvalues of the lower triangle (as TF).

    Reading only the lower triangle also gives TF's gradient (lower-triangular), where
    ``jnp.linalg.eigh`` symmetrizes the input.
    """
    x = _matrix_input(tensor, "SelfAdjointEigV2")
    _require_eigh_converges(x)
    return apply(_eigh, (x,), (), "SelfAdjointEigV2")


# --- solves -------------------------------------------------------------------------------
def _solve(a, b, *, adjoint):
    return jnp.linalg.solve(_adjoint(a) if adjoint else a, b)


@register("solve", _solve, tf_name="MatrixSolve")
def solve(matrix, rhs, adjoint=False, name=None):
    """``tf.linalg.solve``: ``matrix @ x = rhs``; equal batch shapes, as TF requires."""
    reject_text(matrix)
    reject_text(rhs)
    a = _matrix_input(matrix, "MatrixSolve")
    a, b = match(a, rhs, "MatrixSolve")
    if b.ndim != a.ndim:
        raise _invalid("All input tensors must have the same rank.", "MatrixSolve")
    if b.shape[:-2] != a.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise _invalid("Input matrix and rhs are incompatible.", "MatrixSolve")
    _require_invertible(a, "Input matrix is not invertible.", "MatrixSolve")
    return apply(_solve, (a, b), attrs(adjoint=bool(adjoint)), "MatrixSolve")


def _triangular_solve(a, b, *, lower, adjoint):
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    return lax.linalg.triangular_solve(a, b, left_side=True, lower=lower,
                                       transpose_a=adjoint, conjugate_a=adjoint)


@register("triangular_solve", _triangular_solve, tf_name="MatrixTriangularSolve")
def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """``tf.linalg.triangular_solve``: reads one triangle; batch axes broadcast."""
    reject_text(matrix)
    reject_text(rhs)
    a = _matrix_input(matrix, "MatrixTriangularSolve")
    a, b = match(a, rhs, "MatrixTriangularSolve")
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise _invalid(f"In[0] mismatch In[1] shape: {a.shape[-1]} vs. "
                       f"{b.shape[-2] if b.ndim >= 2 else b.ndim}: {dims_str(a)} {dims_str(b)} "
                       f"{int(bool(lower))} {int(bool(adjoint))}", "MatrixTriangularSolve")
    static = attrs(lower=bool(lower), adjoint=bool(adjoint))
    return apply(_triangular_solve, (a, b), static, "MatrixTriangularSolve")


# --- diagonals and bands ------------------------------------------------------------------
def _diag_k(k):
    if isinstance(k, TensorLike):
        k = required_value(k, "k").tolist()
    if isinstance(k, (list, tuple, np.ndarray)):
        ks = [int(v) for v in k]
        return (ks[0], ks[-1]), False
    return (int(k), int(k)), True


def _diag_length(rows, cols, d):
    return min(rows + min(0, d), cols - max(0, d))


def _diag_layout(rows, cols, lo, hi, align, length):
    """For diagonals ``hi`` down to ``lo`` of a ``rows x cols`` matrix, packed ``length``
    long: where each packed entry ``[diagonal, position]`` sits, and whether it exists."""
    sup, sub = align.split("_")
    i_idx = np.zeros((hi - lo + 1, length), np.int64)
    j_idx = np.zeros_like(i_idx)
    valid = np.zeros(i_idx.shape, bool)
    for r, d in enumerate(range(hi, lo - 1, -1)):
        n = _diag_length(rows, cols, d)
        offset = length - n if (sup if d >= 0 else sub) == "RIGHT" else 0
        t = np.arange(n)
        i_idx[r, offset + t] = max(0, -d) + t
        j_idx[r, offset + t] = max(0, -d) + t + d
        valid[r, offset + t] = True
    return i_idx, j_idx, valid


def _diag_part(x, padding, *, lo, hi, align, single):
    rows, cols = x.shape[-2:]
    length = max(_diag_length(rows, cols, d) for d in range(lo, hi + 1))
    i_idx, j_idx, valid = _diag_layout(rows, cols, lo, hi, align, length)
    out = jnp.where(valid, x[..., i_idx, j_idx], padding)
    return out[..., 0, :] if single else out


@register("diag_part", _diag_part, tf_name="MatrixDiagPartV3")
def diag_part(input, name="diag_part", k=0, padding_value=0,  # TF's name
              align="RIGHT_LEFT"):
    """``tf.linalg.diag_part``: diagonal ``k``, or the band ``k = (lo, hi)`` packed as TF."""
    reject_text(input, converted=padding_value)
    x = to_tensor(input)
    if x.ndim < 2:
        raise _invalid(f"input must be at least 2-dim, received shape: {dims_str(x)}",
                       "MatrixDiagPartV3")
    (lo, hi), single = _diag_k(k)
    rows, cols = x.shape[-2:]
    for what, d in (("lower", lo), ("upper", hi)):
        if not -rows < d < cols and (rows and cols):
            raise _invalid(f"{what}_diag_index is out of bound: {d}. It must be between "
                           f"{-rows} and {cols}", "MatrixDiagPartV3")
    if lo > hi:
        raise _invalid("lower_diag_index must not be larger than upper_diag_index: "
                       f"{lo} > {hi}", "MatrixDiagPartV3")
    padding = padding_tensor(padding_value, x.dtype)
    static = attrs(lo=lo, hi=hi, align=align, single=single)
    return apply(_diag_part, (x, padding), static, "MatrixDiagPartV3")


def _diag(diagonal, padding, *, lo, hi, rows, cols, align, single):
    packed = diagonal[..., None, :] if single else diagonal
    i_idx, j_idx, valid = _diag_layout(rows, cols, lo, hi, align, packed.shape[-1])
    source = np.full((rows, cols), -1, np.int64)
    source[i_idx[valid], j_idx[valid]] = np.flatnonzero(valid.reshape(-1))
    flat = packed.reshape(packed.shape[:-2] + (-1,))
    picked = flat[..., np.maximum(source, 0)]  # jnp.take drops an empty index's shape
    return jnp.where(source >= 0, picked, padding)


@register("diag", _diag, tf_name="MatrixDiagV3")
def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """``tf.linalg.diag``: a matrix with ``diagonal`` on diagonal ``k`` (or the band ``k``).

    The size is inferred as TF does: square unless ``num_rows`` / ``num_cols`` are given.
    """
    reject_text(diagonal, converted=padding_value)
    d = to_tensor(diagonal)
    (lo, hi), single = _diag_k(k)
    if d.ndim < (1 if single else 2):
        raise _invalid(f"diagonal must be at least 1-dim, received shape: {dims_str(d)}",
                       "MatrixDiagV3")
    length = d.shape[-1]
    min_rows = length - min(hi, 0)
    min_cols = length + max(lo, 0)
    rows, cols = required_int(num_rows, "num_rows"), required_int(num_cols, "num_cols")
    if rows == -1 and cols == -1:
        rows = cols = max(min_rows, min_cols)
    elif rows == -1:
        rows = min_rows
    elif cols == -1:
        cols = min_cols
    if rows < min_rows or cols < min_cols or (rows != min_rows and cols != min_cols):
        raise _invalid(f"The number of rows or columns is not consistent with the specified "
                       f"d_lower, d_upper, and diagonal: num_rows = {rows}, num_cols = {cols}",
                       "MatrixDiagV3")
    padding = padding_tensor(padding_value, d.dtype)
    static = attrs(lo=lo, hi=hi, rows=rows, cols=cols, align=align, single=single)
    return apply(_diag, (d, padding), static, "MatrixDiagV3")


def _band_part(x, *, num_lower, num_upper):
    i = np.arange(x.shape[-2])[:, None]
    j = np.arange(x.shape[-1])[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return jnp.where(keep, x, jnp.zeros_like(x))


def _band_part_with(x, num_lower, num_upper):
    return _band_part(x, num_lower=num_lower, num_upper=num_upper)


@register("band_part", _band_part, tf_name="MatrixBandPart")
def band_part(input, num_lower, num_upper, name=None):  # TF's name
    """``tf.linalg.band_part``: keeps ``num_lower`` sub- and ``num_upper`` superdiagonals
    (negative: all of them)."""
    if _is_text(input):
        no_kernel("string", "MatrixBandPart")
    x = to_tensor(input)
    if x.ndim < 2:
        raise _invalid(f"input must be at least 2-dim, received shape: {dims_str(x)}",
                       "MatrixBandPart")
    try:
        num_lower = static_int(num_lower, "num_lower", "int32")
        num_upper = static_int(num_upper, "num_upper", "int32")
    except NotImplementedError:  # computed in the traced function: so is the band, as in TF
        bounds = tuple(to_tensor(n) for n in (num_lower, num_upper))
        for what, n in zip(("num_lower", "num_upper"), bounds):
            if n.ndim:  # TF's kernel check (its graph runs it)
                raise _invalid(f"{what} must be scalar, got shape {dims_str(n)}",
                               "MatrixBandPart") from None
        return apply(_band_part_with, (x,) + bounds, (), "MatrixBandPart")
    for what, n, limit, dim in (("num_lower", num_lower, x.shape[-2], "rows"),
                                ("num_upper", num_upper, x.shape[-1], "columns")):
        if n > limit:
            raise _invalid(f"{what} must be negative or less or equal to number of {dim} "
                           f"({limit}) got: {n}", "MatrixBandPart")
    static = attrs(num_lower=num_lower, num_upper=num_upper)
    return apply(_band_part, (x,), static, "MatrixBandPart")


def _trace(x):
    return jnp.trace(x, axis1=-2, axis2=-1)


@register("trace", _trace, tf_name="MatrixDiagPartV3")
def trace(x, name=None):
    """``tf.linalg.trace``: the sum of the main diagonal of each (possibly non-square) matrix."""
    reject_text(x, converted=0)
    x = to_tensor(x)
    if x.ndim < 2:
        raise _invalid(f"input must be at least 2-dim, received shape: {dims_str(x)}",
                       "MatrixDiagPartV3")
    require_numeric(x, "Sum")
    return apply(_trace, (x,), (), "MatrixDiagPartV3")


# --- norms --------------------------------------------------------------------------------
def _norm(x, *, ord, axis, keepdims):
    """TF's ``norm`` composition (so its gradient, including nan at 0, is TF's)."""
    matrix = axis is not None and len(axis) == 2
    if ord in ("fro", "euclidean", 2, 2.0) and not (matrix and ord in (2, 2.0)):
        squares = jnp.real(x * jnp.conj(x)) if jnp.iscomplexobj(x) else x * x
        result = _sqrt(jnp.sum(squares, axis=axis, keepdims=True))
    elif ord in (2, 2.0):
        moved = jnp.moveaxis(x, axis, (-2, -1))
        s = jnp.linalg.svd(moved, compute_uv=False)
        result = jnp.expand_dims(jnp.max(s, axis=-1, keepdims=True), -1)
        result = jnp.moveaxis(result, (-2, -1), axis)
    else:
        result = _abs(x)
        if ord == 1:
            result = jnp.sum(result, axis=None if axis is None else axis[0], keepdims=True)
            if matrix:
                result = _max(result, axis=axis[1], keepdims=True)
        elif ord == np.inf:
            if matrix:
                result = jnp.sum(result, axis=axis[1], keepdims=True)
            result = _max(result, axis=None if axis is None else axis[0], keepdims=True)
        else:
            total = jnp.sum(_pow(result, jnp.asarray(ord, x.dtype)), axis=axis, keepdims=True)
            result = _pow(total, jnp.asarray(1.0 / ord, x.dtype))
    return result if keepdims else jnp.squeeze(result, axis)


def _norm_axis(axis, rank):
    if axis is None:
        return None
    if isinstance(axis, TensorLike):  # TF checks the Python type: a tensor is not an integer
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, "
                         f"got {axis}")
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    if len(axis) > 2 or (len(axis) == 2 and axis[0] == axis[1]) or not all(
            isinstance(a, (int, np.integer)) for a in axis):
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, "
                         f"got {axis if len(axis) > 1 else axis[0]}")
    for a in axis:
        if not -rank <= a < max(rank, 1):
            raise _invalid(f"Invalid reduction dimension ({a} for input with {rank} "
                           f"dimension(s)", "Sum")
    return tuple(int(a) % rank for a in axis)


@register("norm", _norm, tf_name="Norm")
def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """``tf.norm`` / ``tf.linalg.norm``: vector norms (``'euclidean'``, 1, 2, inf, p > 0) or,
    with a 2-axis ``axis``, matrix norms (``'fro'``, ``'euclidean'``, 1, 2, inf)."""
    if _is_text(tensor):
        raise TypeError("Expected numeric or variant tensor, got dtype tf.string. (tf.norm)")
    x = to_tensor(tensor)
    axis = _norm_axis(axis, x.ndim)
    axis_count = x.ndim if axis is None else len(axis)
    if axis is not None and len(axis) == 2:
        supported = ["euclidean", "fro", 1, 2, np.inf]
        if ord not in supported:
            raise ValueError(f"'ord' must be a supported matrix norm in {supported}, got {ord}")
    elif (isinstance(ord, str) or not np.isreal(ord) or ord <= 0) and ord not in (
            "euclidean", 1, 2, np.inf):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    if x.dtype.is_bool and (ord in ("fro", "euclidean") or (ord == 2 and axis_count < 2)):
        raise TypeError("Expected numeric or variant tensor, got dtype tf.bool. (tf.norm)")
    require_numeric(x, "Abs")
    if ord not in (1, np.inf):
        require_inexact(x, "Sqrt" if ord in ("fro", "euclidean", 2) else "Pow")
    static = attrs(ord=ord if isinstance(ord, str) else float(ord), axis=axis,
                   keepdims=bool(keepdims))
    return apply(_norm, (x,), static, "Norm")


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """``tf.eye`` / ``tf.linalg.eye``: identity matrices, optionally batched."""
    dtype = dtypes.as_dtype(dtype)
    columns = num_rows if num_columns is None else num_columns
    matrix = jnp.eye(required_int(num_rows, "num_rows"), required_int(columns, "num_columns"),
                     dtype=dtype.as_numpy_dtype)
    if batch_shape is not None:
        batch = tuple(required_int(d, "batch_shape") for d in batch_shape)
        matrix = jnp.broadcast_to(matrix, batch + matrix.shape)
    return Tensor(matrix)
