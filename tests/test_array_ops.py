"""Array ops (gather/scatter, pad, split, slicing, sorting, masks …) against real TensorFlow."""
import jax
import numpy as np
import pytest

import tapejax
from helpers import primitives_dispatched
from tf_oracle import compare, numeric_gradients, same_error

R = np.random.RandomState(0)
X = R.normal(size=(2, 3)).astype(np.float32)
X3 = R.normal(size=(2, 3, 4)).astype(np.float32)
V = np.array([3.0, 1.0, 4.0, 1.5, 5.0, 9.0], np.float32)
I = np.array  # noqa: E741 - short for index arrays below


def i32(*values):
    return np.array(values, np.int32)


CASES = {
    # gather / scatter
    "gather": (lambda tf, x: tf.gather(x, [1, 0, 1]), X3),
    "gather_axis1": (lambda tf, x: tf.gather(x, [[2, 0], [1, 1]], axis=1), X3),
    "gather_axis_neg": (lambda tf, x: tf.gather(x, [3, 0], axis=-1), X3),
    "gather_batch_dims": (lambda tf, x: tf.gather(x, [[2, 0], [1, 1]], axis=1, batch_dims=1), X3),
    "gather_batch_dims_axis2": (
        lambda tf, x: tf.gather(x, [[[3], [0], [1]], [[2], [2], [0]]], axis=2, batch_dims=2), X3),
    "gather_scalar_index": (lambda tf, x: tf.gather(x, 1, axis=1), X3),
    "gather_int64": (lambda tf, x: tf.gather(x, np.array([1, 1], np.int64)), X),
    "gather_nd": (lambda tf, x: tf.gather_nd(x, [[0, 1], [1, 2], [0, 1]]), X3),
    "gather_nd_full": (lambda tf, x: tf.gather_nd(x, [[[0, 1, 3]], [[1, 2, 0]]]), X3),
    "gather_nd_batch": (lambda tf, x: tf.gather_nd(x, [[1], [2]], batch_dims=1), X3),
    "scatter_nd": (lambda tf, u: tf.scatter_nd([[1], [3], [1]], u, [5, 3]), X[[0, 1, 0]]),
    "scatter_nd_2d": (lambda tf, u: tf.scatter_nd([[0, 1], [1, 1]], u, [2, 3]), V[:2]),
    "tensor_scatter_update": (
        lambda tf, x, u: tf.tensor_scatter_nd_update(x, [[1, 0], [0, 2]], u), X, V[:2]),
    "tensor_scatter_update_rows": (
        lambda tf, x, u: tf.tensor_scatter_nd_update(x, [[1]], u), X, X[:1]),
    "tensor_scatter_add": (
        lambda tf, x, u: tf.tensor_scatter_nd_add(x, [[1, 0], [1, 0]], u), X, V[:2]),
    # shape
    "tile": (lambda tf, x: tf.tile(x, [2, 1, 3]), X3),
    "pad_constant": (lambda tf, x: tf.pad(x, [[1, 0], [2, 3]]), X),
    "pad_constant_value": (lambda tf, x: tf.pad(x, [[1, 1], [0, 1]], constant_values=2.5), X),
    "pad_reflect": (lambda tf, x: tf.pad(x, [[1, 1], [2, 2]], mode="REFLECT"), X),
    "pad_symmetric": (lambda tf, x: tf.pad(x, [[2, 1], [3, 0]], mode="symmetric"), X),
    "split_num": (lambda tf, x: tf.split(x, 2, axis=2), X3),
    "split_sizes": (lambda tf, x: tf.split(x, [1, -1, 1], axis=-1), X3),
    "split_tensor_sizes": (lambda tf, x: tf.split(x, tf.constant([2, 1]), axis=1), X3),
    "reverse": (lambda tf, x: tf.reverse(x, [0, -1]), X3),
    "roll": (lambda tf, x: tf.roll(x, [1, -2], [1, 2]), X3),
    "roll_same_axis": (lambda tf, x: tf.roll(x, [1, 1], [2, 2]), X3),
    "broadcast_to": (lambda tf, x: tf.broadcast_to(x, [4, 2, 3]), X),
    "broadcast_to_ones": (lambda tf, x: tf.broadcast_to(x[:1], [3, 2, 3]), X),
    "meshgrid_xy": (lambda tf, a, b: tf.meshgrid(a, b), V[:2], V[2:5]),
    "meshgrid_ij": (lambda tf, a, b, c: tf.meshgrid(a, b, c, indexing="ij"), V[:2], V[:3], V[:4]),
    "repeat_flat": (lambda tf, x: tf.repeat(x, 2), X),
    "repeat_axis": (lambda tf, x: tf.repeat(x, [2, 0, 1], axis=1), X),
    "repeat_scalar_list": (lambda tf, x: tf.repeat(x, [3], axis=0), X),
    # slicing
    "slice": (lambda tf, x: tf.slice(x, [0, 1, 1], [2, -1, 2]), X3),
    "strided_slice": (lambda tf, x: tf.strided_slice(x, [0, 1, 3], [2, 3, 0], [1, 1, -2]), X3),
    "strided_slice_masks": (lambda tf, x: tf.strided_slice(
        x, [1, 5, 1], [0, 0, 3], [1, 1, 1], begin_mask=2, end_mask=1, shrink_axis_mask=0), X3),
    "strided_slice_shrink": (lambda tf, x: tf.strided_slice(
        x, [1, 0, 2], [2, 3, 3], [1, 1, 1], shrink_axis_mask=5), X3),
    "strided_slice_ellipsis": (lambda tf, x: tf.strided_slice(
        x, [0, 1], [0, 3], [1, 1], ellipsis_mask=1), X3),
    "strided_slice_newaxis": (lambda tf, x: tf.strided_slice(
        x, [0, 0, 1], [0, 2, 2], [1, 1, 1], new_axis_mask=1), X3),
    "strided_slice_negative": (lambda tf, x: tf.strided_slice(
        x, [1, -1], [0, 0], [-1, -1], end_mask=1), X),
    # linspace, sort
    "linspace": (lambda tf, a, b: tf.linspace(a, b, 7), V[0], V[5]),
    "linspace_vector_axis1": (lambda tf, a, b: tf.linspace(a, b, 4, axis=1), V[:2], V[2:4]),
    "linspace_axis0_broadcast": (lambda tf, a, b: tf.linspace(a, b, 3), V[:3], V[5]),
    "linspace_one": (lambda tf, a, b: tf.linspace(a, b, 1), V[0], V[1]),
    "linspace_two": (lambda tf, a, b: tf.linspace(a, b, 2), V[0], V[1]),
    "sort": (lambda tf, x: tf.sort(x), V),
    "sort_descending_axis0": (lambda tf, x: tf.sort(x, axis=0, direction="DESCENDING"), X3),
    "clip": (lambda tf, x: tf.clip_by_value(x, -0.5, 0.5), X3),
    "clip_at_bounds": (lambda tf, x: tf.clip_by_value(x, 1.0, 4.0), V),
    "clip_tensor_bounds": (lambda tf, x, lo, hi: tf.clip_by_value(x, lo, hi), V, V[1], V[2]),
    "clip_broadcast_bounds": (lambda tf, x, lo: tf.clip_by_value(x, lo, 0.5), X, X[0]),
    "clip_by_norm": (lambda tf, x: tf.clip_by_norm(x, 1.0), X3),
    "clip_by_norm_axes": (lambda tf, x, c: tf.clip_by_norm(x, c, axes=[1, 2]), X3, np.float32(2)),
    "clip_by_norm_at_the_norm": (lambda tf, x: tf.clip_by_norm(x, 5.0), np.float32([3, 4])),
    "clip_by_global_norm": (lambda tf, a, b: tf.clip_by_global_norm([a, None, b], 2.0), X, X3),
    "clip_by_global_norm_given": (lambda tf, a, n: tf.clip_by_global_norm([a], 1.0, use_norm=n),
                                  X, np.float32(3.0)),
    "clip_by_global_norm_small": (lambda tf, a: tf.clip_by_global_norm([a], 100.0), X),
    "tensor_scatter_sub": (
        lambda tf, x, u: tf.tensor_scatter_nd_sub(x, [[1, 0], [1, 0]], u), X, V[:2]),
    "reverse_sequence": (lambda tf, x: tf.reverse_sequence(x, [2, 3], seq_axis=1), X3),
    "reverse_sequence_axes": (lambda tf, x: tf.reverse_sequence(
        x, np.array([0, 4, 1], np.int64), seq_axis=2, batch_axis=1), X3),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tensorflow(real_tf, case):
    fn, *args = CASES[case]
    compare(real_tf, fn, *args)


NO_GRAD_CASES = {
    "one_hot": lambda tf: tf.one_hot([0, 3, -1, 2], 3),
    "one_hot_axis0": lambda tf: tf.one_hot([[0, 2], [1, 1]], 3, axis=0),
    "one_hot_axis1_values": lambda tf: tf.one_hot([0, 2], 4, on_value=5, off_value=-1, axis=1),
    "one_hot_dtype": lambda tf: tf.one_hot(np.array([1, 0], np.int64), 2, dtype=tf.float64),
    "one_hot_on_float64": lambda tf: tf.one_hot([1, 0], 2, on_value=np.float64(2.0)),
    "argsort": lambda tf: tf.argsort([1.0, 3.0, 1.0, 3.0, 2.0]),
    "argsort_descending": lambda tf: tf.argsort([1, 3, 1, 3, 2], direction="DESCENDING"),
    "argsort_axis0": lambda tf: tf.argsort(tf.constant(X3), axis=0),
    "sort_int": lambda tf: tf.sort([3, 1, 2], direction="DESCENDING"),
    "unique": lambda tf: tf.unique([3, 1, 3, 2, 1]),
    "unique_float_int64": lambda tf: tf.unique([2.5, 1.0, 2.5], out_idx=tf.int64),
    "sequence_mask": lambda tf: tf.sequence_mask([1, 3, 2], 4),
    "sequence_mask_default": lambda tf: tf.sequence_mask([[1, 3], [2, 0]]),
    "sequence_mask_float_dtype": lambda tf: tf.sequence_mask([1, 3], dtype=tf.float32),
    "sequence_mask_float_lengths": lambda tf: tf.sequence_mask([1.5, 2.5]),
    "linspace_int": lambda tf: tf.linspace(0, 10, 5),
    "linspace_int16": lambda tf: tf.linspace(tf.constant(0, tf.int16), 10, 3),
    "linspace_empty": lambda tf: tf.linspace(0.0, 1.0, 0),
    "tile_int": lambda tf: tf.tile([1, 2], [3]),
    "clip_int": lambda tf: tf.clip_by_value(tf.constant([1, 5, 3]), 2, 4),
    "meshgrid_scalar": lambda tf: tf.meshgrid(1, [1, 2]),
    "reverse_empty_axes": lambda tf: tf.reverse(3.0, []),
    "scatter_nd_int": lambda tf: tf.scatter_nd([[1], [1]], [1, 2], [3]),
    "pad_int_reflect": lambda tf: tf.pad([[1, 2, 3]], [[0, 0], [2, 2]], mode="REFLECT"),
    "gather_nd_empty": lambda tf: tf.gather_nd(tf.constant(X), tf.zeros([2, 0], tf.int32)),
    "repeat_scalar": lambda tf: tf.repeat(3.0, 2),
    "unique_with_counts": lambda tf: tf.unique_with_counts([3, 1, 3, 2, 1, 3]),
    "searchsorted": lambda tf: tf.searchsorted([[1.0, 2.0, 2.0, 5.0], [0.0, 1.0, 2.0, 3.0]],
                                               [[2.0, 6.0], [-1.0, 1.5]]),
    "searchsorted_right_int64": lambda tf: tf.searchsorted([1, 2, 2, 5], [2, 3], side="right",
                                                           out_type=tf.int64),
    "ensure_shape": lambda tf: tf.ensure_shape(tf.constant(X), [2, None]),
    "broadcast_dynamic_shape": lambda tf: tf.broadcast_dynamic_shape([2, 1, 3], [4, 1]),
    "shape_n": lambda tf: tf.shape_n([tf.constant(X), tf.constant(V)], out_type=tf.int64),
}


@pytest.mark.parametrize("case", sorted(NO_GRAD_CASES))
def test_values_match_tensorflow(real_tf, case):
    compare(real_tf, lambda tf: NO_GRAD_CASES[case](tf), grad=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linspace_points_equal_tensorflows_bit_for_bit(real_tf, dtype):
    """TF rounds ``(stop - start) / (num - 1)``, the product with k, then the sum; XLA:CPU
    would multiply by a reciprocal and fuse an FMA. Eager and inside a function."""
    rng = np.random.default_rng(7)
    fn = tapejax.function(lambda a, b: tapejax.linspace(a, b, 41, axis=0))
    for _ in range(40):
        a, b = [(rng.standard_normal(3) * rng.choice([1.0, 10.0, 1e4])).astype(dtype)
                for _ in range(2)]
        num = int(rng.integers(2, 60))
        expected = real_tf.linspace(a[0], b[0], num).numpy()
        np.testing.assert_array_equal(tapejax.linspace(a[0], b[0], num).numpy(), expected)
        np.testing.assert_array_equal(fn(a, b).numpy(), real_tf.linspace(a, b, 41, axis=0).numpy())


PADS_IN_FUNCTIONS = {
    "constant": lambda tf, x: tf.pad(x, [[1, 1], [0, 2], [1, 0]]),
    "constant_values": lambda tf, x: tf.pad(x, [[1, 1], [0, 2], [0, 0]], constant_values=-2.5),
    "reflect": lambda tf, x: tf.pad(x, [[1, 1], [2, 1], [0, 0]], mode="REFLECT"),
    "symmetric": lambda tf, x: tf.pad(x, [[0, 2], [1, 1], [3, 0]], mode="SYMMETRIC"),
    "fill_from_a_tensor": lambda tf, x: tf.pad(x, [[1, 0], [0, 0], [0, 1]],
                                               constant_values=tf.constant(4.0)),
    "fill_computed_in_the_function": lambda tf, x: tf.pad(x, [[1, 0], [0, 1], [0, 0]],
                                                          constant_values=tf.reduce_max(x)),
}


@pytest.mark.parametrize("case", sorted(PADS_IN_FUNCTIONS))
def test_pad_inside_a_function(real_tf, case):
    """``tf.pad`` in a traced function (it read its fill value with ``.numpy()``)."""
    compare(real_tf, lambda tf, x: tf.function(lambda a: PADS_IN_FUNCTIONS[case](tf, a))(x), X3)


SIZES_IN_FUNCTIONS = {
    "range_of_a_shape": lambda tf, x: tf.range(tf.shape(x)[1]),
    "range_of_tensors": lambda tf, x: tf.range(1, tf.constant(9), tf.constant(3)),
    "range_float_bound": lambda tf, x: tf.range(tf.cast(tf.shape(x)[2], tf.float32) * 0.5),
    "reshape_float_tensors": lambda tf, x: tf.reshape(x, [tf.constant(3.7), 8]),
    "reshape_float_minus_one": lambda tf, x: tf.reshape(x, [tf.constant(-1.0, tf.float64), 4]),
    "zeros_float_tensor": lambda tf, x: tf.zeros([tf.constant(2.5), 3]),
    "tile_float_tensor": lambda tf, x: tf.tile(x, [tf.constant(2.0), 1, 1]),
    # tf.minimum/maximum have their own derivative rule; the trace folds through it
    "range_of_a_clamped_shape": lambda tf, x: tf.range(
        tf.maximum(tf.minimum(tf.shape(x)[1], 3), 1)),
    "centre_crop_of_a_shape": lambda tf, x: _centre_crop(tf, x),
    # a predicate of shapes picks its branch, whose sizes then come from shapes too
    "cond_on_a_shape": lambda tf, x: tf.cond(
        tf.shape(x)[2] > 2, lambda: tf.ones((tf.shape(x)[2] - 2, 3)), lambda: tf.zeros((1, 3))),
    "cond_on_a_shape_false": lambda tf, x: tf.cond(
        tf.shape(x)[0] > 5, lambda: tf.ones((tf.shape(x)[0], 3)), lambda: x[0]),
}


def _centre_crop(tf, x):
    """Keras's ``Resizing(crop_to_aspect_ratio=True)`` arithmetic on the TF backend."""
    height = tf.shape(x)[1]
    crop = tf.maximum(tf.minimum(height, tf.cast(tf.cast(height, "float32") / 2, "int32")), 1)
    start = tf.cast(tf.cast(height - crop, "float32") / 2, "int32")
    return x[:, start:start + crop]


@pytest.mark.parametrize("case", sorted(SIZES_IN_FUNCTIONS))
@pytest.mark.parametrize("traced", [False, True], ids=["eager", "function"])
def test_sizes_from_tensors(real_tf, case, traced):
    """Sizes read from tensors: ``tf.range`` of a shape inside a function, and shape lists
    holding float tensors, which TF packs as int32 (truncating)."""
    def program(tf, x):
        fn = lambda a: SIZES_IN_FUNCTIONS[case](tf, a)  # noqa: E731
        return (tf.function(fn) if traced else fn)(x)
    compare(real_tf, program, X3, grad=False)


def _computed(tf, x, value):
    """An int32 ``value`` the function computes from its input (so no trace can fold it)."""
    return tf.cast(tf.reduce_max(x) > 100.0, tf.int32) + value


WINDOWS = {  # x[s:s + k] with s computed in the function (Keras's RandomCrop)
    "same_start": lambda tf, x: (lambda s: x[:, s:s + 2, 1:][s:s + 1])(_computed(tf, x, 0)),
    "size_first": lambda tf, x: (lambda s: x[:, :, s:2 + s])(_computed(tf, x, 1)),
    "tf_add": lambda tf, x: (lambda s: x[s:tf.add(s, 1)])(_computed(tf, x, 1)),
    "negative_start": lambda tf, x: (lambda s: x[:, :, s:s + 2])(_computed(tf, x, -3)),
    "full_dimension": lambda tf, x: (lambda s: x[:, s:s + 3])(_computed(tf, x, 0)),
    "empty": lambda tf, x: (lambda s: x[:, s:s + 0])(_computed(tf, x, 2)),
}


@pytest.mark.parametrize("case", sorted(WINDOWS))
def test_window_with_a_computed_start_inside_a_function(real_tf, case):
    """A slice ``s:s + k`` whose start the function computes and whose size is known: values
    and gradients as TF's (it raised NotImplementedError for the unknown slice bound)."""
    compare(real_tf, lambda tf, x: tf.function(lambda a: WINDOWS[case](tf, a))(x), X3)


def test_random_window_is_the_slice_at_its_start():
    """Keras's RandomCrop pattern: a random start, a fixed size, inside a function."""
    @tapejax.function
    def crop(x):
        s = tapejax.cast(tapejax.random.uniform((), 0, 2), tapejax.int32)  # 0 or 1 of 3
        return s, x[:, s:s + 2]

    starts = set()
    for seed in range(8):
        tapejax.random.set_seed(seed)
        s, window = crop(tapejax.constant(X3))
        np.testing.assert_array_equal(window.numpy(), X3[:, int(s):int(s) + 2])
        starts.add(int(s))
    assert starts == {0, 1}


NESTED_LISTS = {  # lists holding a tensor the function computes, packed as TF packs them
    "stack": lambda tf, x: tf.stack([[1.0, 2.0], [tf.reduce_sum(x), x[0, 0, 0]]]),
    "stack_axis": lambda tf, x: tf.stack([[[tf.reduce_max(x)]], [[3.0]]], axis=1),
    "concat": lambda tf, x: tf.concat([[[tf.reduce_sum(x)]], [[2.0]], x[0, :1, :1]], 0),
}


@pytest.mark.parametrize("case", sorted(NESTED_LISTS))
@pytest.mark.parametrize("traced", [False, True], ids=["eager", "function"])
def test_nested_lists_holding_tensors(real_tf, case, traced):
    """``tf.stack``/``tf.concat`` of nested lists holding a computed tensor (inside a
    function this raised "Expected any non-tensor type")."""
    def program(tf, x):
        fn = lambda a: NESTED_LISTS[case](tf, a)  # noqa: E731
        return (tf.function(fn) if traced else fn)(x)
    compare(real_tf, program, X3)


BOOLEAN_MASKS = {
    "rows": (lambda tf, x: tf.boolean_mask(x, [True, False]), X),
    "axis1": (lambda tf, x: tf.boolean_mask(x, [True, False, True], axis=1), X3),
    "2d_mask": (lambda tf, x: tf.boolean_mask(x, [[True, False, True], [False, True, True]]), X3),
    "2d_mask_axis1": (lambda tf, x: tf.boolean_mask(x, [[True, False, True, False]] * 3, axis=1),
                      X3),
    "int_mask": (lambda tf, x: tf.boolean_mask(x, [0, 1]), X),
}


@pytest.mark.parametrize("case", sorted(BOOLEAN_MASKS))
def test_boolean_mask(real_tf, case):
    fn, *args = BOOLEAN_MASKS[case]
    compare(real_tf, fn, *args)


def test_gather_from_variable_gives_variable_gradient():
    table = tapejax.Variable(X3)
    with tapejax.GradientTape() as tape:
        y = tapejax.reduce_sum(tapejax.gather(table, [1, 1, 0]))
    grad = tape.gradient(y, table)
    assert isinstance(grad, tapejax.IndexedSlices)  # as TF's (tests/test_indexed_slices_*)
    np.testing.assert_allclose(tapejax.convert_to_tensor(grad).numpy(),
                               np.stack([np.ones((3, 4)), 2 * np.ones((3, 4))]))


@pytest.mark.parametrize("case", [
    (lambda tf, x: tf.gather(x, [[2, 0], [1, 1]], axis=1, batch_dims=1), X3),
    (lambda tf, x: tf.gather_nd(x, [[0, 1], [1, 2]]), X3),
    (lambda tf, u: tf.scatter_nd([[1], [3], [1]], u, [5, 3]), X[[0, 1, 0]]),
    (lambda tf, x, u: tf.tensor_scatter_nd_update(x, [[1, 0]], u), X, V[:1]),
    (lambda tf, x: tf.pad(x, [[1, 1], [2, 2]], mode="REFLECT"), X),
    (lambda tf, x: tf.pad(x, [[2, 1], [1, 0]], mode="SYMMETRIC"), X),
    (lambda tf, a, b: tf.linspace(a, b, 5, axis=1), V[:2], V[2:4]),
    (lambda tf, x: tf.sort(x, direction="DESCENDING"), X3),
    (lambda tf, x, lo: tf.clip_by_value(x, lo, 0.5), X, X[0] - 0.1),
    (lambda tf, x: tf.repeat(x, [2, 0, 1], axis=1), X),
    (lambda tf, x: tf.boolean_mask(x, [[True, False, True], [False, True, True]]), X3),
    (lambda tf, x: tf.strided_slice(x, [1, -1], [0, 0], [-1, -2], end_mask=1), X),
], ids=lambda c: "")
def test_numerical_gradients(case):
    fn, *args = case
    numeric_gradients(fn, *args)


ERRORS = {
    "gather_out_of_range": lambda tf: tf.gather(tf.constant(X), [0, 5]),
    "gather_negative": lambda tf: tf.gather(tf.constant(X), [-1]),
    "gather_out_of_range_axis1": lambda tf: tf.gather(tf.constant(X), [[0, 3]], axis=1),
    "gather_out_of_range_scalar": lambda tf: tf.gather(tf.constant(X), 7),
    "gather_out_of_range_3d": lambda tf: tf.gather(tf.constant(X), [[[0, 1], [1, 9]]]),
    "gather_float_indices": (lambda tf: tf.gather(tf.constant(X), [0.0]), False),
    "gather_bad_axis": lambda tf: tf.gather(tf.constant(X), [0], axis=2),
    "gather_batch_dims_rank": lambda tf: tf.gather(tf.constant(X), [[0], [1]], axis=1,
                                                   batch_dims=2),
    "gather_batch_mismatch": lambda tf: tf.gather(tf.zeros([2, 3, 4]), tf.zeros([3, 3], tf.int32),
                                                  axis=1, batch_dims=1),
    "gather_nd_out_of_range": lambda tf: tf.gather_nd(tf.constant(X), [[0, 5]]),
    "gather_nd_out_of_range_3d": lambda tf: tf.gather_nd(tf.zeros([2, 3, 4]), [[[0, 5]], [[1, 1]]]),
    "gather_nd_too_deep": lambda tf: tf.gather_nd(tf.constant(X), [[0, 1, 1]]),
    "scatter_nd_out_of_range": lambda tf: tf.scatter_nd([[5]], [1.0], [3]),
    "scatter_nd_outer_mismatch": lambda tf: tf.scatter_nd([[1]], [1.0, 2.0], [3]),
    "scatter_nd_inner_mismatch": lambda tf: tf.scatter_nd([[1]], [[1.0, 2.0, 3.0]], [3, 2]),
    "tensor_scatter_out_of_range": lambda tf: tf.tensor_scatter_nd_update(
        tf.constant(X), [[5, 0]], [1.0]),
    "tensor_scatter_add_out_of_range": lambda tf: tf.tensor_scatter_nd_add(
        tf.constant(X), [[5, 0]], [1.0]),
    "tile_length": lambda tf: tf.tile(tf.constant(X), [2]),
    "tile_negative": lambda tf: tf.tile(tf.constant(X), [2, -1]),
    "pad_reflect_too_big": lambda tf: tf.pad(tf.constant(X), [[2, 2], [0, 0]], mode="REFLECT"),
    "pad_symmetric_too_big": lambda tf: tf.pad(tf.constant(X), [[3, 0], [0, 0]], mode="SYMMETRIC"),
    "pad_mode": lambda tf: tf.pad(tf.constant(X), [[2, 0], [0, 0]], mode="foo"),
    "pad_rank": lambda tf: tf.pad(tf.constant(X), [[2, 0]]),
    "pad_negative": lambda tf: tf.pad(tf.constant(X), [[-1, 0], [0, 0]]),
    "pad_float_into_int": lambda tf: tf.pad(tf.constant([1, 2]), [[1, 0]], constant_values=2.5),
    "split_uneven": lambda tf: tf.split(tf.constant(X), 2, axis=1),
    "split_sizes_sum": lambda tf: tf.split(tf.constant(X), [1, 1], axis=1),
    "split_two_minus_one": lambda tf: tf.split(tf.constant(X), [-1, -1], axis=1),
    "split_axis": lambda tf: tf.split(tf.constant(X), 1, axis=3),
    "split_zero": (lambda tf: tf.split(tf.constant(X), 0, axis=1), False),
    "split_num_mismatch": lambda tf: tf.split(tf.constant(X), [1, 2], axis=1, num=3),
    "split_float": lambda tf: tf.split(tf.constant(X), 1.5, axis=1),
    "one_hot_dtype_mismatch": lambda tf: tf.one_hot([0, 2], 3, on_value=5.0, off_value=1),
    "one_hot_float_indices": (lambda tf: tf.one_hot([0.0, 2.0], 3), False),
    "one_hot_negative_depth": lambda tf: tf.one_hot([0, 2], -1),
    "one_hot_axis": lambda tf: tf.one_hot([0, 2], 3, axis=2),
    "boolean_mask_shape": lambda tf: tf.boolean_mask(tf.constant(X), [True, False, True]),
    "boolean_mask_scalar": lambda tf: tf.boolean_mask(tf.constant(X), True),
    "slice_size": lambda tf: tf.slice(tf.constant(X), [0, 1], [3, 1]),
    "slice_begin": lambda tf: tf.slice(tf.constant(X), [3, 0], [1, 1]),
    "slice_length": lambda tf: tf.slice(tf.constant(X), [0], [1]),
    "strided_slice_lengths": lambda tf: tf.strided_slice(tf.constant(X), [0, 1], [2], [1, 1]),
    "strided_slice_zero_stride": lambda tf: tf.strided_slice(tf.constant(X), [0], [2], [0]),
    "strided_slice_shrink_out_of_range": lambda tf: tf.strided_slice(
        tf.constant(X), [3], [4], [1], shrink_axis_mask=1),
    "reverse_axis": lambda tf: tf.reverse(tf.constant(X), [2]),
    "reverse_twice": lambda tf: tf.reverse(tf.constant(X), [1, 1]),
    "roll_sizes": lambda tf: tf.roll(tf.constant(X), [1, -1], [0]),
    "roll_axis": lambda tf: tf.roll(tf.constant(X), 1, 3),
    "broadcast_to": lambda tf: tf.broadcast_to(tf.constant(X), [3, 3]),
    "broadcast_to_rank": lambda tf: tf.broadcast_to(tf.constant(X), [3]),
    "meshgrid_indexing": lambda tf: tf.meshgrid([1, 2], indexing="ab"),
    "meshgrid_keyword": lambda tf: tf.meshgrid([1, 2], foo=1),
    "meshgrid_dtypes": (lambda tf: tf.meshgrid([1, 2], [3.0, 4.0]), False),
    "linspace_axis": lambda tf: tf.linspace([0.0, 1.0], [1.0, 2.0], 3, axis=3),
    "sort_direction": lambda tf: tf.sort([3, 1, 2], direction="descending"),
    "argsort_axis": lambda tf: tf.argsort([3.0, 1.0, 2.0], axis=2),
    "sort_scalar": lambda tf: tf.sort(3.0),
    "unique_2d": lambda tf: tf.unique(tf.constant(X)),
    "unique_out_idx": (lambda tf: tf.unique([1.0, 2.0], out_idx=tf.float32), False),
    "sequence_mask_maxlen": lambda tf: tf.sequence_mask([1, 2], [3]),
    "repeat_mismatch": lambda tf: tf.repeat(tf.constant(X), [1, 2, 3], axis=0),
    "repeat_negative": lambda tf: tf.repeat(tf.constant(X), -1, axis=0),
    "repeat_rank": lambda tf: tf.repeat(tf.constant(X), [[1, 2]], axis=0),
    "repeat_axis": lambda tf: tf.repeat(tf.constant(X), 2, axis=2),
    "clip_float_into_int": lambda tf: tf.clip_by_value(tf.constant([1, 5]), 2.0, 4.0),
    "clip_shapes": lambda tf: tf.clip_by_value(tf.constant(X), [1.0, 2.0], 5.0),
    "reverse_sequence_lengths": lambda tf: tf.reverse_sequence(tf.constant(X), [1, 2, 3],
                                                               seq_axis=1),
    "reverse_sequence_too_long": lambda tf: tf.reverse_sequence(tf.constant(X), [1, 4],
                                                                seq_axis=1),
    "searchsorted_side": lambda tf: tf.searchsorted([1.0, 2.0], [1.0], side="middle"),
    "searchsorted_rows": lambda tf: tf.searchsorted([[1.0, 2.0]], [[1.0], [2.0]]),
    "ensure_shape": lambda tf: tf.ensure_shape(tf.constant(X), [3, None]),
    "broadcast_dynamic_shape": lambda tf: tf.broadcast_dynamic_shape([2, 3], [4, 1]),
    "clip_by_global_norm_not_a_list": (lambda tf: tf.clip_by_global_norm(tf.constant(X), 1.0),
                                       False),
}


def test_broadcast_static_shape(real_tf):
    assert tapejax.broadcast_static_shape(tapejax.TensorShape([2, 1, 3]), [4, 1]).as_list() == \
        real_tf.broadcast_static_shape(real_tf.TensorShape([2, 1, 3]),
                                       real_tf.TensorShape([4, 1])).as_list()
    same_error(real_tf, lambda tf: tf.broadcast_static_shape(tf.TensorShape([2]),
                                                             tf.TensorShape([3])), message=False)


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tensorflow(real_tf, case):
    same_error(real_tf, ERRORS[case])


def test_traced_gather_reads_zeros_out_of_range():
    """Under jax.jit indices cannot be checked; TF-on-GPU semantics: zeros, scatters dropped."""
    def f(params, indices):
        p, i = tapejax.Tensor(params), tapejax.Tensor(indices)
        return (tapejax.gather(p, i)._value, tapejax.gather_nd(p, i[:, None])._value,
                tapejax.scatter_nd(i[:, None], p, [3])._value)
    params = np.array([1.0, 2.0, 3.0], np.float32)
    out = jax.jit(f)(params, np.array([2, -1, 7], np.int32))
    np.testing.assert_array_equal(out[0], [3.0, 0.0, 0.0])
    np.testing.assert_array_equal(out[1], [3.0, 0.0, 0.0])
    np.testing.assert_array_equal(out[2], [0.0, 0.0, 1.0])


def test_boolean_mask_and_unique_need_concrete_values():
    def f(mask):
        return tapejax.boolean_mask(tapejax.constant([1.0, 2.0]), tapejax.Tensor(mask))._value
    with pytest.raises(TypeError, match="concrete mask"):
        jax.jit(f)(np.array([True, False]))
    with pytest.raises(TypeError, match="concrete input"):
        jax.jit(lambda v: tapejax.unique(tapejax.Tensor(v)).y._value)(np.array([1, 1]))


def test_clip_gradient_at_bounds_goes_to_the_tensor(real_tf):
    """jnp.clip would split the gradient at a tie; TF gives it all to ``t``."""
    _, grads = compare(real_tf, lambda tf, x, lo, hi: tf.clip_by_value(x, lo, hi),
                       np.array([1.0, 2.0, 3.0], np.float32), np.float32(1.0), np.float32(3.0))
    assert grads[0].numpy()[0] != 0.0 and grads[0].numpy()[2] != 0.0


@pytest.mark.parametrize("op", ["slice", "reshape", "transpose", "zeros", "ones_like"])
def test_shape_ops_run_eagerly_as_one_compiled_call(monkeypatch, op):
    """Keras starts each epoch with eager ``tf.slice`` and ``tf.reshape`` of its indices and
    resets its metrics with ``tf.zeros``: each a compiled call on JAX's C++ path, not
    primitives dispatched from Python."""
    x = tapejax.constant(np.arange(24, dtype=np.int64))
    run = {"slice": lambda: tapejax.slice(x, [2], [20]),
           "reshape": lambda: tapejax.reshape(x, [4, -1]),
           "transpose": lambda: tapejax.transpose(tapejax.reshape(x, [4, 6])),
           "zeros": lambda: tapejax.zeros([2, 3], tapejax.float16),
           "ones_like": lambda: tapejax.ones_like(x, tapejax.bool)}[op]
    expected = run().numpy()  # compiled once per shape
    out = []
    assert primitives_dispatched(monkeypatch, lambda: out.append(run())) == []
    np.testing.assert_array_equal(out[0].numpy(), expected)
