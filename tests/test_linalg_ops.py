"""tf.linalg, tf.einsum, tf.tensordot, tf.norm and clipping against real TensorFlow: values,
gradients (TF's conventions: lower-triangle reads, symmetric Cholesky gradient), bad input."""
import numpy as np
import pytest

import tapejax
from tf_oracle import gradients, rng_for, same_program

F32, F64 = np.float32, np.float64
_RNG = rng_for("linalg")
A = (_RNG.normal(size=(3, 3)) + 3 * np.eye(3)).astype(F32)
B = _RNG.normal(size=(2, 3, 3)).astype(F32) + 3 * np.eye(3, dtype=F32)
R = _RNG.normal(size=(3, 4)).astype(F32)
SPD = (A @ A.T + 3 * np.eye(3)).astype(F32)
NONSYM = SPD + np.triu(np.ones((3, 3), F32), 1)  # TF reads only the lower triangle
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]], F32)


def _grad_program(fn, order=1):
    def program(tf, *args):
        return gradients(tf, fn, args, "linalg", order)
    return program


def _values(fn):
    def program(tf, *args):
        return fn(tf, *[tf.constant(a) for a in args])
    return program


# --- values and gradients --------------------------------------------------------------------
_CASES = {
    "matvec": (lambda tf, a, b: tf.linalg.matvec(a, b, transpose_a=True), (B, A[0]), 2),
    "matvec_adjoint": (lambda tf, a, b: tf.linalg.matvec(a, b, adjoint_a=True), (R, A[0]), 1),
    "einsum_matmul": (lambda tf, a, b: tf.einsum("ij,jk->ik", a, b), (A, R), 2),
    "einsum_batch": (lambda tf, a, b: tf.einsum("bij,jk->bik", a, b), (B, R), 1),
    "einsum_ellipsis": (lambda tf, a, b: tf.linalg.einsum("...ij,...jk->...ik", a, b), (B, A), 1),
    "einsum_trace": (lambda tf, a: tf.einsum("ii", a), (A,), 1),
    "einsum_outer": (lambda tf, a, b: tf.einsum("i,j->ij", a, b), (A[0], R[0]), 1),
    "tensordot_int": (lambda tf, a, b: tf.tensordot(a, b, 1), (A, R), 2),
    "tensordot_pairs": (lambda tf, a, b: tf.tensordot(a, b, [[0, 1], [1, 0]]), (R, R.T), 1),
    "tensordot_outer": (lambda tf, a, b: tf.tensordot(a, b, 0), (A[0], R[0]), 1),
    "inv": (lambda tf, a: tf.linalg.inv(a), (B,), 2),
    "inv_adjoint": (lambda tf, a: tf.linalg.inv(a, adjoint=True), (A,), 1),
    "det": (lambda tf, a: tf.linalg.det(a), (B,), 2),
    "slogdet": (lambda tf, a: tf.linalg.slogdet(a)[1], (B,), 2),
    "slogdet_pair": (lambda tf, a: tf.linalg.slogdet(-a), (A,), 0),
    "cholesky": (lambda tf, a: tf.linalg.cholesky(a), (SPD,), 2),
    "cholesky_lower_read": (lambda tf, a: tf.linalg.cholesky(a), (NONSYM,), 1),
    "solve": (lambda tf, a, b: tf.linalg.solve(a, b), (SPD, R), 2),
    "solve_adjoint": (lambda tf, a, b: tf.linalg.solve(a, b, adjoint=True), (A, R), 1),
    "triangular_solve": (lambda tf, a, b: tf.linalg.triangular_solve(a, b), (SPD, R), 2),
    "triangular_solve_upper_adjoint": (
        lambda tf, a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
        (SPD, R), 1),
    "triangular_solve_broadcast": (lambda tf, a, b: tf.linalg.triangular_solve(a, b), (B, R), 1),
    "trace": (lambda tf, a: tf.linalg.trace(a), (R,), 1),
    "trace_batch": (lambda tf, a: tf.linalg.trace(a), (B,), 1),
    "band_part": (lambda tf, a: tf.linalg.band_part(a, 1, 0), (R,), 1),
    "band_part_all": (lambda tf, a: tf.linalg.band_part(a, -1, 2), (B,), 1),
    "matrix_transpose": (lambda tf, a: tf.linalg.matrix_transpose(a), (B,), 1),
    "adjoint": (lambda tf, a: tf.linalg.adjoint(a), (R,), 1),
    "diag_part": (lambda tf, a: tf.linalg.diag_part(a), (B,), 1),
    "diag_part_k": (lambda tf, a: tf.linalg.diag_part(a, k=1), (R,), 1),
    "diag_part_band": (lambda tf, a: tf.linalg.diag_part(a, k=(-1, 2)), (R,), 1),
    "diag_part_band_aligned": (
        lambda tf, a: tf.linalg.diag_part(a, k=(-2, 1), align="LEFT_RIGHT", padding_value=9.0),
        (R,), 1),
    "diag": (lambda tf, d: tf.linalg.diag(d), (R,), 1),
    "diag_k": (lambda tf, d: tf.linalg.diag(d, k=-1, num_rows=5, padding_value=7.0), (R[0],), 1),
    "diag_cols": (lambda tf, d: tf.linalg.diag(d, num_cols=6), (R,), 0),
    "diag_band": (lambda tf, d: tf.linalg.diag(d, k=(0, 1)), (R[:2],), 1),
    "diag_band_aligned": (lambda tf, d: tf.linalg.diag(d, k=(-1, 1), align="LEFT_LEFT"),
                          (B,), 1),
    "l2_normalize": (lambda tf, a: tf.linalg.l2_normalize(a, axis=-1), (R,), 1),
}


@pytest.mark.parametrize("name", sorted(_CASES))
def test_linalg_op_matches_tensorflow(real_tf, name):
    fn, args, order = _CASES[name]
    same_program(real_tf, _values(fn), *args, rtol=1e-4, atol=1e-5)
    if order:
        same_program(real_tf, _grad_program(fn, order), *args, rtol=1e-4, atol=1e-4)


# Decompositions: vectors are unique up to sign, so compare sign-free functions of them; float64.
_DECOMPOSITIONS = {
    "qr_tall": lambda tf, a: tf.linalg.qr(a),
    "qr_wide": lambda tf, a: tf.linalg.qr(tf.transpose(a)),
    "qr_full": lambda tf, a: tf.linalg.qr(a, full_matrices=True),
    "svd": lambda tf, a: tf.linalg.svd(a),
    "svd_full": lambda tf, a: tf.linalg.svd(a, full_matrices=True),
    "svd_values": lambda tf, a: [tf.linalg.svd(a, compute_uv=False)],
    "eigh": lambda tf, a: tf.linalg.eigh(a[:3] @ tf.transpose(a[:3])),
    "eigh_lower_read": lambda tf, a: tf.linalg.eigh(a[:3, :3]),
}


@pytest.mark.parametrize("name", sorted(_DECOMPOSITIONS))
def test_decomposition_matches_tensorflow(real_tf, name):
    x = rng_for(name).normal(size=(4, 3)).astype(F64)
    fn = _DECOMPOSITIONS[name]

    def sign_free(tf, a):
        return tf.concat([tf.reshape(tf.abs(t), [-1]) for t in fn(tf, a)], 0)

    same_program(real_tf, _values(sign_free), x, rtol=1e-9, atol=1e-12)
    if name not in ("qr_full", "svd_full"):  # TF has no gradient for these shapes either
        same_program(real_tf, _grad_program(sign_free), x, rtol=1e-7, atol=1e-9)


def test_return_types(real_tf):
    qr = tapejax.linalg.qr(R)
    assert qr._fields == ("q", "r") and [t.shape for t in qr] == [(3, 3), (3, 4)]
    s, u, v = tapejax.linalg.svd(R)
    assert (s.shape, u.shape, v.shape) == ((3,), (3, 3), (4, 3))  # v, not v^H, as TF
    np.testing.assert_allclose((u * s) @ tapejax.linalg.adjoint(v), R, atol=1e-5)
    assert tapejax.linalg.slogdet(A)._fields == ("sign", "log_abs_determinant")
    assert tapejax.linalg.transpose is tapejax.linalg.matrix_transpose


# --- norms and clipping ----------------------------------------------------------------------
@pytest.mark.parametrize("ord", ["euclidean", 1, 2, np.inf, 3, 0.5])
@pytest.mark.parametrize("axis", [None, 1, -2])
def test_vector_norm(real_tf, ord, axis):
    fn = lambda tf, a: tf.norm(a, ord=ord, axis=axis)  # noqa: E731
    same_program(real_tf, _values(fn), R, rtol=1e-4)
    if axis == 1:
        same_program(real_tf, _grad_program(fn), R, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("ord", ["euclidean", "fro", 1, 2, np.inf])
def test_matrix_norm(real_tf, ord):
    fn = lambda tf, a: tf.linalg.norm(a, ord=ord, axis=[-1, 1], keepdims=True)  # noqa: E731
    same_program(real_tf, _values(fn), B, rtol=1e-4)
    same_program(real_tf, _grad_program(fn), B, rtol=1e-4, atol=1e-5)


def test_norm_at_zero_has_nan_gradient_like_tensorflow(real_tf):
    for fn in (lambda tf, a: tf.norm(a), lambda tf, a: tf.math.reduce_euclidean_norm(a)):
        grads = same_program(real_tf, _grad_program(fn), np.zeros(3, F32))
        assert np.isnan(grads[0].numpy()).all()


def test_norm_keepdims_and_shapes(real_tf):
    x = np.ones((2, 1, 3), F32)
    for kwargs in ({}, {"keepdims": True}, {"axis": 0}, {"axis": (0, 2)}):
        same_program(real_tf, _values(lambda tf, a, kw=kwargs: tf.norm(a, **kw)), x)


def test_clip_by_value(real_tf):
    x = np.array([[0.0, 1.0, 2.0, 3.0]], F32)
    fn = lambda tf, a, lo, hi: tf.clip_by_value(a, lo, hi)  # noqa: E731
    lo, hi = np.float32(1.0), np.float32(2.0)
    same_program(real_tf, _grad_program(fn), x, lo, hi)  # ties at the bounds go to x
    same_program(real_tf, _values(fn), x, np.float32(3.0), np.float32(2.0))  # min > max
    same_program(real_tf, lambda tf: tf.clip_by_value(tf.constant([1, 5]), 2, 3))


def test_clip_by_norm(real_tf):
    x = np.array([[3.0, 4.0], [0.0, 0.0], [0.3, 0.4]], F32)
    for axes in (None, [1]):
        fn = lambda tf, a, c, ax=axes: tf.clip_by_norm(a, c, axes=ax)  # noqa: E731
        same_program(real_tf, _grad_program(fn, 2), x, np.float32(1.0))
    same_program(real_tf, lambda tf: tf.clip_by_norm(tf.constant([3.0, 4.0]), -1.0))


def test_clip_by_global_norm(real_tf):
    xs = [np.array([3.0, 4.0], F32), np.array([[12.0]], F32)]

    def clipped(tf, a, b):
        values, norm = tf.clip_by_global_norm([a, None, b], 2.0)
        assert values[1] is None
        return [values[0], values[2], norm]

    same_program(real_tf, _values(clipped), *xs)
    same_program(real_tf, _grad_program(lambda tf, a, b: tf.add_n(
        [tf.reduce_sum(t) for t in clipped(tf, a, b)])), *xs)
    same_program(real_tf, lambda tf: tf.clip_by_global_norm(
        [tf.constant([3.0, 4.0])], 2.0, use_norm=tf.constant(10.0)))
    same_program(real_tf, lambda tf: tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 2.0))
    same_program(real_tf, lambda tf: tf.linalg.global_norm([tf.constant([3.0, 4.0]), None]))


# --- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize("program", [
    lambda tf: tf.linalg.inv(tf.constant(SINGULAR)),
    lambda tf: tf.linalg.inv(tf.constant([[1, 2], [3, 4]])),
    lambda tf: tf.linalg.det(tf.constant(R)),
    lambda tf: tf.linalg.cholesky(tf.ones(3)),
    lambda tf: tf.linalg.solve(tf.constant(SINGULAR), tf.ones((2, 1))),
    lambda tf: tf.linalg.solve(tf.constant(A), tf.ones((3,))),
    lambda tf: tf.linalg.solve(tf.constant(A), tf.ones((2, 1))),
    lambda tf: tf.linalg.triangular_solve(tf.constant(A), tf.ones((2, 1))),
    lambda tf: tf.linalg.matvec(tf.constant(R), tf.ones(3)),
    lambda tf: tf.linalg.matmul(tf.constant(R), tf.constant(R)),
    lambda tf: tf.einsum("ij,jk->ik", tf.constant(R), tf.constant(A)),
    lambda tf: tf.einsum("ij,jk->iz", tf.constant(A), tf.constant(R)),
    lambda tf: tf.einsum("ij,jk->ik", tf.constant(A)),
    lambda tf: tf.einsum("ij,jk->ik", tf.constant(A), tf.constant(R, tf.float64)),
    lambda tf: tf.einsum("...ij,...jk", tf.constant(B), tf.constant(A)),
    lambda tf: tf.tensordot(tf.constant(R), tf.constant(R), 1),
    lambda tf: tf.linalg.diag_part(tf.constant(R), k=4),
    lambda tf: tf.linalg.diag_part(tf.ones(3)),
    lambda tf: tf.linalg.band_part(tf.constant(A), 5, 0),
    lambda tf: tf.linalg.matrix_transpose(tf.ones(3)),
    lambda tf: tf.norm(tf.constant(R), ord=-1),
    lambda tf: tf.norm(tf.constant(R), ord=3, axis=[0, 1]),
    lambda tf: tf.norm(tf.constant(R), axis=[0, 0]),
    lambda tf: tf.norm(tf.constant([3, 4])),
    lambda tf: tf.clip_by_value(tf.ones(2), tf.zeros((2, 2)), 1.0),
    lambda tf: tf.clip_by_value(tf.constant([1, 2]), 0.5, 1.5),
    lambda tf: tf.clip_by_norm(tf.constant([1, 5]), 2),
    lambda tf: tf.clip_by_global_norm(tf.constant([3.0, 4.0]), 2.0),
    lambda tf: tf.linalg.global_norm([tf.ones(2), tf.ones(1, tf.float64)]),
    lambda tf: tf.math.l2_normalize(tf.constant([3, 4])),
], ids=["inv-singular", "inv-int", "det-not-square", "cholesky-rank", "solve-singular",
        "solve-rank", "solve-rows", "triangular-solve-rows", "matvec-size", "matmul-size",
        "einsum-size", "einsum-label", "einsum-count", "einsum-dtype", "einsum-ellipsis",
        "tensordot-size", "diag-part-k", "diag-part-rank", "band-part-bound",
        "transpose-rank", "norm-ord", "norm-matrix-ord", "norm-axis", "norm-int",
        "clip-shape", "clip-int", "clip-norm-int", "global-not-list", "global-dtypes",
        "l2-normalize-int"])
def test_bad_input_raises_tensorflow_exception(real_tf, program):
    same_program(real_tf, program)


def test_cholesky_of_an_indefinite_matrix_gives_nan_without_error(real_tf):
    out = tapejax.linalg.cholesky(tapejax.constant([[1.0, 2.0], [2.0, 1.0]]))
    ref = real_tf.linalg.cholesky(real_tf.constant([[1.0, 2.0], [2.0, 1.0]]))
    assert np.isnan(out.numpy()).any() and np.isnan(ref.numpy()).any()
