"""The core names of issue #14 against real TensorFlow: segment reductions, composites of
``tf.math``/``tf.nn``, complex parts, TF's other divisions and scatters (values, dtypes,
gradients and exception classes)."""
import numpy as np
import pytest

from tf_oracle import compare, same_program

F32 = np.float32
DATA = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], F32)
TIES = np.array([1, 3, 3, 2, 0, 2], F32)

# (id, program, args): compared with ``compare`` (values, and gradients w.r.t. float args).
CASES = [
    ("segment_max", lambda tf, d: tf.math.segment_max(d, [0, 0, 2, 2]), [DATA]),
    ("segment_min", lambda tf, d: tf.math.segment_min(d, [0, 1, 1, 3]), [DATA]),
    ("segment_mean", lambda tf, d: tf.math.segment_mean(d, [0, 0, 2, 2]), [DATA]),
    ("segment_prod", lambda tf, d: tf.math.segment_prod(d, [0, 0, 2, 2]), [DATA]),
    ("segment_max_ties", lambda tf, d: tf.math.segment_max(d, [0, 0, 0, 1, 1, 1]), [TIES]),
    ("segment_prod_zeros", lambda tf, d: tf.math.segment_prod(d, [0, 0, 1, 1, 2, 2]), [TIES]),
    ("unsorted_segment_max", lambda tf, d: tf.math.unsorted_segment_max(d, [0, -1, 2, 2], 4),
     [DATA]),
    ("unsorted_segment_min", lambda tf, d: tf.math.unsorted_segment_min(d, [3, 0, 3, 1], 5),
     [DATA]),
    ("unsorted_segment_min_ties",
     lambda tf, d: tf.math.unsorted_segment_min(d, [1, 1, 1, 0, 0, 0], 2), [TIES]),
    ("unsorted_segment_mean", lambda tf, d: tf.math.unsorted_segment_mean(d, [1, 0, 1, 1], 3),
     [DATA]),
    ("unsorted_segment_prod", lambda tf, d: tf.math.unsorted_segment_prod(d, [1, 0, 1, -1], 3),
     [DATA]),
    ("unsorted_segment_sqrt_n",
     lambda tf, d: tf.math.unsorted_segment_sqrt_n(d, [[0, 1], [1, 1], [2, 0], [0, 0]], 3),
     [DATA]),
    ("segment_mean_int", lambda tf: tf.math.segment_mean(tf.constant([1, 2, 4]), [0, 0, 2]), []),
    ("unsorted_segment_mean_int",
     lambda tf: tf.math.unsorted_segment_mean(tf.constant([1, 2, 4]), [0, 0, 2], 3), []),
    ("unsorted_segment_max_int",
     lambda tf: tf.math.unsorted_segment_max(tf.constant([1, 2]), [0, 0], 2), []),
    ("cumulative_logsumexp", lambda tf, x: tf.math.cumulative_logsumexp(x, axis=1), [DATA.T]),
    ("cumulative_logsumexp_exclusive_reverse",
     lambda tf, x: tf.math.cumulative_logsumexp(x, exclusive=True, reverse=True), [DATA]),
    ("cumulative_logsumexp_exclusive",
     lambda tf, x: tf.math.cumulative_logsumexp(x, axis=-1, exclusive=True), [DATA]),
    ("polyval", lambda tf, c, x: tf.math.polyval([c[0], c[1], 3.0], x), [DATA[0], DATA[:, 1]]),
    ("polyval_empty", lambda tf, x: tf.math.polyval([], x), [DATA]),
    ("lbeta", lambda tf, x: tf.math.lbeta(x), [DATA]),
    ("betainc", lambda tf, a, b, x: tf.math.betainc(a, b, x),
     [DATA[:, 0], DATA[:, 1], np.array([0.1, 0.4, 0.6, 0.9], F32)]),
    ("erfcinv", lambda tf, x: tf.math.erfcinv(x), [np.array([0.3, 1.0, 1.7], F32)]),
    ("in_top_k", lambda tf, p: tf.math.in_top_k([2, 0, 1], p, 2),
     [np.array([[1, 3, 2], [4, 1, 4], [np.nan, 1, 2]], F32)]),
    ("nn_in_top_k_ties", lambda tf, p: tf.nn.in_top_k(targets=[0, 5], predictions=p, k=1),
     [np.array([[4, 1, 4], [1, 2, 3]], F32)]),
    ("invert_permutation", lambda tf: tf.math.invert_permutation([2, 0, 3, 1]), []),
    ("is_non_decreasing", lambda tf: (tf.math.is_non_decreasing([1, 2, 2]),
                                      tf.math.is_strictly_increasing([1, 2, 2]),
                                      tf.math.is_strictly_increasing([[1, 2], [3, 4]])), []),
    ("accumulate_n", lambda tf, a, b: tf.math.accumulate_n([a, b]), [DATA, DATA * 2]),
    ("approx_max_k", lambda tf, x: tf.math.approx_max_k(x, 1), [DATA]),
    ("confusion_matrix", lambda tf: tf.math.confusion_matrix([0, 1, 2, 1], [0, 2, 2, 1]), []),
    ("confusion_matrix_weights", lambda tf, w: tf.math.confusion_matrix(
        [0, 1, 2, 1], [0, 2, 2, 1], num_classes=4, weights=w, dtype=tf.float32),
     [DATA[:, 0]]),
    ("compute_average_loss", lambda tf, x: tf.nn.compute_average_loss(x), [DATA[:, 0]]),
    ("compute_average_loss_global", lambda tf, x: tf.nn.compute_average_loss(
        x, sample_weight=[1.0, 0.0, 2.0, 1.0], global_batch_size=8), [DATA[:, 0]]),
    ("compute_average_loss_2d", lambda tf, x: tf.nn.compute_average_loss(x), [DATA]),
    ("scale_regularization_loss", lambda tf, a, b: tf.nn.scale_regularization_loss([a, b]),
     [DATA[0, 0], DATA[1, 1]]),
    ("sufficient_statistics", lambda tf, x: tf.nn.sufficient_statistics(x, [0]), [DATA]),
    ("sufficient_statistics_shift", lambda tf, x: tf.nn.sufficient_statistics(
        x, [1], shift=1.0, keepdims=True), [DATA]),
    ("normalize_moments", lambda tf, m, v: tf.nn.normalize_moments(4.0, m, v, None),
     [DATA[0], DATA[1] * 10]),
    ("normalize_moments_shift", lambda tf, m, v, s: tf.nn.normalize_moments(4.0, m, v, s),
     [DATA[0], DATA[1] * 10, DATA[2]]),
    ("weighted_moments", lambda tf, x, w: tf.nn.weighted_moments(x, [1], w), [DATA, DATA[:1]]),
    ("weighted_moments_keepdims", lambda tf, x, w: tf.nn.weighted_moments(
        x, [0], w, keepdims=True), [DATA, DATA[:, :1]]),
    ("batch_norm_with_global_normalization", lambda tf, x, m, v, b, g:
     tf.nn.batch_norm_with_global_normalization(x, m, v, b, g, 0.001, True),
     [DATA, DATA[0], DATA[1], DATA[2], DATA[3]]),
    ("batch_norm_with_global_normalization_unscaled", lambda tf, x, m, v, b, g:
     tf.nn.batch_norm_with_global_normalization(x, m, v, b, g, 0.001, False),
     [DATA, DATA[0], DATA[1], DATA[2], DATA[3]]),
    ("math_softmax", lambda tf, x: (tf.math.softmax(x), tf.math.log_softmax(x, axis=0),
                                    tf.math.softsign(x)), [DATA]),
    ("nn_top_k_l2_normalize", lambda tf, x: (tf.nn.top_k(x, 1), tf.nn.l2_normalize(x, 1)),
     [DATA]),
    ("real_imag_conj_angle_of_reals", lambda tf, x: (
        tf.math.real(x), tf.math.imag(x), tf.math.conj(x), tf.math.angle(x - 4.0)), [DATA]),
    ("complex_parts", lambda tf: [f(tf.constant([1 + 2j, -3 - 1j])) for f in (
        tf.math.real, tf.math.imag, tf.math.conj, tf.math.angle)], []),
    ("real_int", lambda tf: (tf.math.real(tf.constant([1, 2])), tf.math.imag([1, 2]),
                             tf.math.conj(tf.constant([3]))), []),
    ("truncatemod", lambda tf: (tf.truncatemod(tf.constant([7, -7, 7]), [2, 2, -2]),
                                tf.truncatemod(tf.constant([7.5, -7.5]), 2.0)), []),
    ("truncatediv_int", lambda tf: tf.truncatediv(tf.constant([7, -7, 7]), [2]), []),
    ("tensor_scatter_nd_max", lambda tf, t, u: tf.tensor_scatter_nd_max(t, [[0], [2]], u),
     [DATA, np.array([[0, 9], [9, 0]], F32)]),
    ("tensor_scatter_nd_min", lambda tf, t, u: tf.tensor_scatter_nd_min(t, [[1, 1], [3, 0]], u),
     [DATA, np.array([0, 9], F32)]),
]


@pytest.mark.parametrize("program, args", [pytest.param(p, a, id=i) for i, p, a in CASES])
def test_same_values_and_gradients_as_tensorflow(real_tf, program, args):
    compare(real_tf, program, *args, rtol=1e-5, atol=1e-5)


# Bad input: same exception class as TF.
ERRORS = [
    ("segment_not_sorted", lambda tf: tf.math.segment_max(DATA, [1, 0, 2, 2])),
    ("segment_float_ids", lambda tf: tf.math.segment_mean(DATA, [0.0, 0.0, 1.0, 1.0])),
    ("unsorted_out_of_range", lambda tf: tf.math.unsorted_segment_prod(DATA, [1, 0, 5, 2], 3)),
    ("unsorted_mean_out_of_range", lambda tf: tf.math.unsorted_segment_mean(DATA, [5, 0, 1, 1],
                                                                            3)),
    ("sqrt_n_int", lambda tf: tf.math.unsorted_segment_sqrt_n(tf.constant([1, 2]), [0, 0], 2)),
    ("cumulative_logsumexp_int", lambda tf: tf.math.cumulative_logsumexp(tf.constant([1, 2]))),
    ("invert_permutation_duplicate", lambda tf: tf.math.invert_permutation([2, 0, 0])),
    ("invert_permutation_range", lambda tf: tf.math.invert_permutation([3, 0, 1])),
    ("invert_permutation_float", lambda tf: tf.math.invert_permutation([1.0, 0.0])),
    ("lbeta_scalar", lambda tf: tf.math.lbeta(tf.constant(2.0))),
    ("confusion_negative", lambda tf: tf.math.confusion_matrix([0, -1], [0, 1])),
    ("confusion_too_large", lambda tf: tf.math.confusion_matrix([0, 3], [0, 1], num_classes=2)),
    ("polyval_not_list", lambda tf: tf.math.polyval(tf.constant([1.0]), 2.0)),
    ("erfcinv_int", lambda tf: tf.math.erfcinv(tf.constant([1]))),
    ("angle_int", lambda tf: tf.math.angle(tf.constant([1]))),
    ("conj_bool", lambda tf: tf.math.conj(tf.constant([True]))),
    ("realdiv_int", lambda tf: tf.realdiv(tf.constant([1]), tf.constant([2]))),
    ("truncatemod_half", lambda tf: tf.truncatemod(tf.constant([1.0], tf.float16), 2.0)),
    ("truncatemod_complex", lambda tf: tf.truncatemod(tf.constant([1j]), 2j)),
    ("nextafter_half", lambda tf: tf.math.nextafter(tf.constant([1.0], tf.float16), 2.0)),
    ("betainc_mixed", lambda tf: tf.math.betainc(tf.constant(1.0), tf.constant(1.0, tf.float64),
                                                 0.5)),
    ("scatter_max_bad_index", lambda tf: tf.tensor_scatter_nd_max(DATA, [[7]], DATA[:1])),
]


@pytest.mark.parametrize("program", [pytest.param(p, id=i) for i, p in ERRORS])
def test_same_exception_class_as_tensorflow(real_tf, program):
    assert isinstance(same_program(real_tf, program), Exception)


def _truncatemod_gradient(tf, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.truncatemod(x, 2.0)
    return tape.gradient(y, x)


def test_truncatemod_has_no_gradient_as_in_tensorflow(real_tf):
    error = same_program(real_tf, lambda tf: _truncatemod_gradient(tf, tf.constant([3.0])))
    assert isinstance(error, LookupError)


SPD = np.array([[4, 1, 0.5], [1, 5, 1], [0.5, 1, 3]], F32)
GENERAL = np.array([[1, 2, 0], [4, 1, 1], [2, 5, 3]], F32)
TALL = np.array([[1, 2], [3, 4], [5, 7]], F32)
RHS = np.array([[1, 0], [2, 1], [3, -1]], F32)
TRIDIAG = np.array([[0.5, 1, 0], [4, 5, 6], [0, 1, 2]], F32)  # super, main, sub (compact)

LU = np.array([[4, 1, 1], [0.5, 4.5, 2.5], [0.25, 0.3888889, -1.222222]], F32)  # of GENERAL
PERM = np.array([1, 2, 0], np.int32)

LINALG = [
    ("lu_solve", lambda tf, lu, b: tf.linalg.lu_solve(lu, PERM, b), [LU, RHS]),
    ("lu_matrix_inverse", lambda tf, lu: tf.linalg.lu_matrix_inverse(lu, PERM), [LU]),
    ("lu_reconstruct", lambda tf, lu: tf.linalg.lu_reconstruct(lu, PERM), [LU]),
    ("expm", lambda tf, a: tf.linalg.expm(a * 0.3), [GENERAL]),
    ("pinv", lambda tf, a: tf.linalg.pinv(a), [TALL]),
    ("pinv_singular", lambda tf: tf.linalg.pinv(tf.constant([[1.0, 2.0], [2.0, 4.0]])), []),
    ("lstsq_tall", lambda tf, a, b: tf.linalg.lstsq(a, b), [TALL, RHS]),
    ("lstsq_wide_l2", lambda tf, a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.5),
     [TALL.T, RHS[:2]]),
    ("cholesky_solve", lambda tf, a, b: tf.linalg.cholesky_solve(tf.linalg.cholesky(a), b),
     [SPD, RHS]),
    ("logdet", lambda tf, a: tf.linalg.logdet(a), [SPD]),
    ("eigvalsh", lambda tf, a: tf.linalg.eigvalsh(a), [SPD]),
    ("matrix_rank", lambda tf: (tf.linalg.matrix_rank(GENERAL),
                                tf.linalg.matrix_rank([[1.0, 2.0], [2.0, 4.0]])), []),
    ("normalize", lambda tf, a: tf.linalg.normalize(a), [GENERAL]),
    ("normalize_axis", lambda tf, a: tf.linalg.normalize(a, ord=1, axis=0), [GENERAL]),
    ("cross", lambda tf, a, b: tf.linalg.cross(a, b), [GENERAL, SPD]),
    ("set_diag", lambda tf, a, d: tf.linalg.set_diag(a, d), [TALL.T, SPD[0, :2]]),
    ("tensor_diag", lambda tf, d: tf.linalg.tensor_diag(d), [TALL]),
    ("tensor_diag_part", lambda tf, x: tf.linalg.tensor_diag_part(
        tf.reshape(x, [2, 2, 2, 2])), [np.arange(16, dtype=F32)]),
    ("tridiagonal_matmul", lambda tf, d, b: tf.linalg.tridiagonal_matmul(d, b),
     [TRIDIAG, RHS]),
    ("tridiagonal_matmul_matrix", lambda tf, a, b: tf.linalg.tridiagonal_matmul(
        a, b, diagonals_format="matrix"), [GENERAL, RHS]),
    ("tridiagonal_solve", lambda tf, d, b: tf.linalg.tridiagonal_solve(d, b), [TRIDIAG, RHS]),
    ("tridiagonal_solve_sequence_vector", lambda tf, u, m, s, b: tf.linalg.tridiagonal_solve(
        [u, m, s], b, diagonals_format="sequence"),
     [TRIDIAG[0], TRIDIAG[1], TRIDIAG[2], RHS[:, 0]]),
]


@pytest.mark.parametrize("program, args", [pytest.param(p, a, id=i) for i, p, a in LINALG])
def test_linalg_matches_tensorflow(real_tf, program, args):
    compare(real_tf, program, *args, rtol=1e-4, atol=1e-4)


LINALG_ERRORS = [
    ("lu_not_square", lambda tf: tf.linalg.lu(TALL)),
    ("lu_int", lambda tf: tf.linalg.lu(tf.constant([[1]]))),
    ("cross_size", lambda tf: tf.linalg.cross(TALL, TALL)),
    ("tensor_diag_part_odd", lambda tf: tf.linalg.tensor_diag_part(tf.zeros([2, 2, 2]))),
]


@pytest.mark.parametrize("program", [pytest.param(p, id=i) for i, p in LINALG_ERRORS])
def test_linalg_errors_match_tensorflow(real_tf, program):
    assert isinstance(same_program(real_tf, program), Exception)


def test_lu_values_and_no_gradient_as_tensorflow(real_tf):
    ours = compare(real_tf, lambda tf, a: tf.linalg.lu(a), GENERAL, grad=False)[0]
    np.testing.assert_allclose(ours.lu.numpy(), LU, rtol=1e-6)  # the factors used above
    compare(real_tf, lambda tf, a: tf.linalg.lu(a, output_idx_type=tf.int64), SPD, grad=False)

    def gradient(tf):
        x = tf.constant(GENERAL)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.linalg.lu(x).lu
        return tape.gradient(y, x)
    assert isinstance(same_program(real_tf, gradient), LookupError)
