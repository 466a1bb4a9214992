"""Ops whose tensor arguments are read while the graph is built (an axis, a size, ``k``, a
``noise_shape`` …), run inside ``tf.function`` against real TensorFlow.

There the arguments are traced: a value made of constants (``tf.constant(1)``,
``tf.shape(x)[0]``) is folded as TF's graph folds it, a value the function computes from its
inputs is computed in the function where TF's kernel takes it as a tensor (``band_part``), and
otherwise raises ``NotImplementedError`` naming the argument (XLA needs it to fix the shapes),
never ``AttributeError: 'SymbolicTensor' object has no attribute 'numpy'``.
"""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, same_error

R = np.random.RandomState(7)
X = R.normal(size=(3, 4)).astype(np.float32)
X3 = R.normal(size=(2, 3, 4)).astype(np.float32)
V = R.normal(size=(4,)).astype(np.float32)
IMAGE = R.uniform(size=(2, 8, 8, 1)).astype(np.float32)


def computed(tf, x):
    """An int32 scalar computed from the input (0 for the inputs here), which no trace folds."""
    return tf.cast(tf.reduce_max(x) > 100.0, tf.int32)


def in_function(program):
    """``program(tf, *args)`` run inside ``tf.function`` of the library under test."""
    return lambda tf, *args: tf.function(lambda *a: program(tf, *a))(*args)


CASES = {
    "moments_tensor_axes_keepdims": (
        lambda tf, x: tf.nn.moments(x, tf.constant([0]), keepdims=True), X),
    # axes and sizes given as constant tensors: folded while tracing
    "sort_float_axis": (lambda tf, x: tf.sort(x, axis=tf.constant(0.0)), X),
    "argsort_float_axis": (lambda tf, x: tf.argsort(x, axis=tf.constant(1.0)), X),
    "tensordot_tensor_axes": (
        lambda tf, a, b: tf.tensordot(a, b, axes=tf.constant([[1], [0]])), X, X.T.copy()),
    "tensordot_tensor_axes_pairs": (
        lambda tf, a, b: tf.tensordot(a, b, axes=tf.constant([[1, 2], [1, 0]])),
        X3, np.transpose(X3, (2, 1, 0)).copy()),
    "diag_k": (lambda tf, v: tf.linalg.diag(v, k=tf.constant(1)), V),
    "diag_k_band": (lambda tf, x: tf.linalg.diag(x[:2], k=tf.constant([0, 1])), X),
    "diag_num_rows": (lambda tf, v: tf.linalg.diag(v, num_rows=tf.constant(6)), V),
    "diag_part_k": (lambda tf, x: tf.linalg.diag_part(x, k=tf.constant(1)), X),
    "diag_part_k_band": (lambda tf, x: tf.linalg.diag_part(x, k=tf.constant([-1, 1])), X),
    "band_part_tensor_bounds": (
        lambda tf, x: tf.linalg.band_part(x, tf.constant(1), tf.constant(0)), X),
    "top_k_tensor_k": (lambda tf, x: tf.math.top_k(x, k=tf.constant(2)), X),
    "slice_tensor_bounds": (lambda tf, x: x[:tf.constant(2), 1:tf.constant(3)], X),
    "split_tensor_sizes": (lambda tf, x: tf.split(x, tf.constant([1, 3]), axis=1), X),
    "sequence_mask_maxlen": (
        lambda tf, x: tf.cast(tf.sequence_mask([1, 3, 0], maxlen=tf.constant(4)), x.dtype) * x,
        X),
    "sequence_mask_maxlen_of_a_shape": (
        lambda tf, x: tf.cast(tf.sequence_mask([1, 3, 0], maxlen=tf.shape(x)[1]), x.dtype) * x,
        X),
    "sequence_mask_constant_lengths": (
        lambda tf, x: tf.cast(tf.sequence_mask(tf.constant([[1, 3], [0, 4]])), x.dtype) * x[:2],
        X),
    "dynamic_partition_constant_partitions": (
        lambda tf, x: tf.dynamic_partition(x, tf.constant([1, 0, 1]), 2), X),
    "invert_permutation_constant": (
        lambda tf, x: tf.math.invert_permutation(tf.constant([2, 0, 3, 1])), X),
    "eye_tensor_sizes": (lambda tf, x: tf.matmul(x, tf.eye(tf.constant(4), tf.constant(2))), X),
    "eye_size_of_a_shape": (lambda tf, x: tf.matmul(tf.eye(tf.shape(x)[0]), x), X),
    "eye_tensor_batch_shape": (
        lambda tf, x: tf.eye(3, batch_shape=tf.constant([2])) * x[:2, :3, None], X),
    "histogram_tensor_nbins": (
        lambda tf, x: tf.histogram_fixed_width(x, [-1.0, 1.0], nbins=tf.constant(5)), X),
    "bincount_tensor_minlength": (
        lambda tf, x: tf.math.bincount(tf.constant([1, 2, 2]), minlength=tf.constant(6)), X),
    "segment_sum_constant_ids": (lambda tf, x: tf.math.segment_sum(x, tf.constant([0, 0, 1])), X),
    "unsorted_segment_sum_tensor_count": (
        lambda tf, x: tf.math.unsorted_segment_sum(x, [0, 2, 0], tf.constant(3)), X),
    "confusion_matrix_tensor_classes": (
        lambda tf, x: tf.math.confusion_matrix([0, 1, 2], [1, 1, 0],
                                               num_classes=tf.constant(4)), X),
    "where_constant_condition": (lambda tf, x: tf.where(tf.constant([True, False, True])), X),
    "boolean_mask_constant_mask": (
        lambda tf, x: tf.boolean_mask(x, tf.constant([True, False, True])), X),
    "unique_constant": (lambda tf, x: tf.unique(tf.constant([4, 1, 4, 2])), X),
    "unique_with_counts_constant": (
        lambda tf, x: tf.unique_with_counts(tf.constant([4, 1, 4, 2, 4])), X),
    "broadcast_dynamic_shape": (
        lambda tf, x: tf.broadcast_dynamic_shape(tf.shape(x), tf.constant([1, 4])), X),
    "random_split_tensor_num": (
        lambda tf, x: tf.shape(tf.random.split(tf.constant([1, 2]), num=tf.constant(3))), X),
    "crop_and_resize_tensor_box_indices": (
        lambda tf, image: tf.image.crop_and_resize(
            image, [[0.0, 0.0, 0.5, 0.5], [0.2, 0.1, 0.9, 1.0]], tf.constant([1, 0]), [3, 2]),
        IMAGE),
    # computed from the inputs in the function, as TF's kernel takes them
    "band_part_computed_bounds": (
        lambda tf, x: tf.linalg.band_part(x, computed(tf, x), computed(tf, x) + 1), X),
    "band_part_computed_all_lower": (
        lambda tf, x: tf.linalg.band_part(x, computed(tf, x) - 1, 0), X),
    "invert_permutation_computed": (
        lambda tf, x: tf.math.invert_permutation(tf.cast(tf.argsort(x[0]), tf.int32)), X),
    "confusion_matrix_computed_labels": (
        lambda tf, x: tf.math.confusion_matrix(tf.argmax(x, axis=1), [1, 1, 0], num_classes=4),
        X),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tensorflow(real_tf, case):
    """Values and gradients inside ``tf.function`` (these read their argument's value with
    ``.numpy()`` or ``int()``, failing on the traced tensor, or skipped the argument)."""
    program, *args = CASES[case]
    compare(real_tf, in_function(program), *args)


def test_dropout_tensor_noise_shape(real_tf):
    """A constant ``noise_shape`` tensor inside ``tf.function``: one keep-or-drop per row. It
    was ignored (one draw per element). The random draws differ from TF's, so the mask's
    structure is compared."""
    x = np.ones((64, 5), np.float32)
    for lib in (real_tf, tapejax):
        out = lib.function(lambda a: lib.nn.dropout(
            a, 0.5, noise_shape=lib.constant([64, 1]), seed=3))(lib.constant(x)).numpy()
        np.testing.assert_array_equal(out, np.repeat(out[:, :1], 5, axis=1))
        assert set(np.unique(out)) == {0.0, 2.0}, lib.__name__


def test_dropout_noise_shape_of_a_shape_in_a_list(real_tf):
    """A ``noise_shape`` list holding ``tf.constant(1)``: that dimension shares its draw."""
    x = np.ones((3, 40), np.float32)
    for lib in (real_tf, tapejax):
        out = lib.function(lambda a: lib.nn.dropout(
            a, 0.5, noise_shape=[lib.constant(1), lib.shape(a)[1]], seed=5))(
                lib.constant(x)).numpy()
        np.testing.assert_array_equal(out, np.repeat(out[:1], 3, axis=0))
        assert 0 < (out[0] == 0).sum() < 40, lib.__name__


UNKNOWN = {  # TF computes (or rejects) these in its graph; XLA needs them when tracing
    "sort_axis": ("axis", lambda tf, x: tf.sort(x, axis=computed(tf, x))),
    "sort_float_axis": ("axis", lambda tf, x: tf.sort(
        x, axis=tf.cast(computed(tf, x), tf.float32))),
    "tensordot_axes": ("axes", lambda tf, x: tf.tensordot(
        x, tf.transpose(x), axes=tf.reshape(tf.stack([computed(tf, x) + 1, computed(tf, x)]),
                                            [2, 1]))),
    "diag_k": ("k", lambda tf, x: tf.linalg.diag(x[0], k=computed(tf, x) + 1)),
    "diag_part_k": ("k", lambda tf, x: tf.linalg.diag_part(x, k=computed(tf, x))),
    "dropout_noise_shape": ("noise_shape", lambda tf, x: tf.nn.dropout(
        x, 0.5, noise_shape=tf.stack([3, computed(tf, x) + 1]))),
    "sequence_mask_maxlen": ("maxlen", lambda tf, x: tf.sequence_mask(
        [1, 2], maxlen=computed(tf, x) + 3)),
    "top_k_k": ("k", lambda tf, x: tf.math.top_k(x, k=computed(tf, x) + 2)),
    "slice_bound": ("slice bound", lambda tf, x: x[:computed(tf, x) + 2]),
    "reshape_shape": ("shape", lambda tf, x: tf.reshape(x, [computed(tf, x) + 4, -1])),
    "one_hot_depth": ("depth", lambda tf, x: tf.one_hot([0, 2], computed(tf, x) + 3)),
    "reduce_sum_axis": ("axis", lambda tf, x: tf.reduce_sum(x, axis=computed(tf, x))),
    "gather_axis": ("axis", lambda tf, x: tf.gather(x, [1, 0], axis=computed(tf, x) + 1)),
    "tile_multiples": ("multiples", lambda tf, x: tf.tile(x, [computed(tf, x) + 1, 1])),
    "eye_num_rows": ("num_rows", lambda tf, x: tf.eye(computed(tf, x) + 2)),
    "bincount_minlength": ("minlength", lambda tf, x: tf.math.bincount(
        [1, 2], minlength=computed(tf, x) + 5)),
    "dynamic_partition_partitions": ("partitions", lambda tf, x: tf.dynamic_partition(
        x, tf.cast(x[:, 0] > 1.0, tf.int32), 2)),
    "sequence_mask_lengths": ("lengths", lambda tf, x: tf.sequence_mask(
        tf.shape(x) + computed(tf, x))),
    "confusion_matrix_values": ("labels", lambda tf, x: tf.math.confusion_matrix(
        tf.argmax(x, axis=1), [1, 1, 0])),
}


@pytest.mark.parametrize("case", sorted(UNKNOWN))
def test_values_computed_in_the_function_name_the_argument(real_tf, case):
    """A size or axis computed from the inputs: ``NotImplementedError`` naming the argument
    (it was ``AttributeError`` on ``SymbolicTensor.numpy`` or a ``TypeError`` from ``int()``);
    TF builds the graph (or, for ``tf.sort``, rejects a non-constant axis)."""
    what, program = UNKNOWN[case]
    x = np.abs(X) + 0.5  # argmax labels are non-negative; all values well below 100
    try:
        expected = real_tf.function(lambda a: program(real_tf, a))(real_tf.constant(x))
    except ValueError as error:  # TF's tf.sort: "Argument `axis` must be a constant scalar"
        assert case.startswith("sort"), error
    else:
        assert expected is not None
    with pytest.raises(NotImplementedError, match=f"`{what}` must be known"):
        tapejax.function(lambda a: program(tapejax, a))(tapejax.constant(x))


ERRORS = {  # the messages print the traced tensor, which has no value to format
    "repeat_float_repeats": lambda tf: tf.function(
        lambda x: tf.repeat(x, tf.constant([1.0, 2.0, 0.0]), axis=0))(tf.constant(X)),
    "matrix_transpose_of_a_vector": lambda tf: tf.function(
        lambda x: tf.linalg.matrix_transpose(x[0]))(tf.constant(X)),
    "crop_and_resize_box_index_out_of_range": lambda tf: tf.function(
        lambda image: tf.image.crop_and_resize(image, [[0.0, 0.0, 0.5, 0.5]], tf.constant([2]),
                                               [2, 2]))(tf.constant(IMAGE)),
    "band_part_computed_vector_bound": lambda tf: tf.function(
        lambda x: tf.linalg.band_part(x, tf.stack([computed(tf, x)]), 0))(tf.constant(X)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tensorflow(real_tf, case):
    """TF's error class: not ``AttributeError`` from formatting a traced tensor; for a
    computed non-scalar band bound, its kernel's ``InvalidArgumentError``."""
    same_error(real_tf, ERRORS[case], message=False)


def test_ssim_tensor_filter_size_in_a_function(real_tf):
    """``tf.image.ssim`` with ``filter_size`` a constant tensor: inside ``tapejax.function`` it
    is folded (it read ``.numpy()``); TF's ``tf.function`` rejects it, so the value is TF's
    eager one."""
    expected = real_tf.image.ssim(real_tf.constant(IMAGE), real_tf.constant(IMAGE) * 0.8, 1.0,
                                  filter_size=real_tf.constant(3)).numpy()
    ours = tapejax.function(lambda a: tapejax.image.ssim(
        a, a * 0.8, 1.0, filter_size=tapejax.constant(3)))(tapejax.constant(IMAGE)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-5)


def test_traced_tensor_formats_as_its_text():
    """``f"{t}"`` of a traced tensor is its ``str`` (TF's graph tensors format as text)."""
    seen = []

    @tapejax.function
    def f(x):
        seen.append(f"{x}")
        return x
    f(tapejax.constant([1.0, 2.0]))
    assert seen == ["tf.Tensor(<traced>, shape=(2,), dtype=float32)"]
    assert f"{tapejax.constant(2.5)}" == "2.5"


@pytest.mark.parametrize("program", [
    lambda tf: tf.norm(tf.constant(X), axis=tf.constant(0)),
    lambda tf: tf.norm(tf.constant(X), axis=tf.constant([0, 1])),
    lambda tf: tf.nn.moments(tf.constant(X), axes=tf.constant([0])),
], ids=["norm_scalar_axis", "norm_vector_axis", "moments_axes_squeezed"])
def test_tensor_arguments_tf_rejects(real_tf, program):
    """Where TF's Python code checks an argument's type, a tensor is rejected eagerly too:
    the same class and message (tapejax read the tensor and went on)."""
    same_error(real_tf, program)
