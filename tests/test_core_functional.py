"""Higher-order functions, index ops and eager framework functions of issue #14 against real
TensorFlow (values, gradients through ``fn``, exception classes)."""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare, same_program

F32 = np.float32
X = np.array([[1, 2, 3], [4, 5, 6]], F32)
V = np.array([1, 2, 3], F32)

CASES = [
    ("map_fn", lambda tf, x: tf.map_fn(lambda r: r * r + 1.0, x), [X]),
    ("map_fn_nested", lambda tf, a, b: tf.map_fn(lambda p: (p[0] * p[1], p[0]), (a, b)),
     [X, X * 2]),
    ("map_fn_signature", lambda tf, x: tf.map_fn(lambda r: tf.cast(r, tf.int32), x,
                                                 fn_output_signature=tf.int32), [X]),
    ("map_fn_closure", lambda tf, x, w: tf.map_fn(lambda r: tf.reduce_sum(r * w), x), [X, V]),
    ("scan", lambda tf, v: tf.scan(lambda a, x: a * x + 1.0, v), [V]),
    ("scan_initializer_reverse", lambda tf, v: tf.scan(
        lambda a, x: a * x, v, initializer=tf.constant(2.0), reverse=True), [V]),
    ("scan_nested", lambda tf, x: tf.scan(lambda a, r: (a[0] + r, a[1] * 2.0), x,
                                          initializer=(tf.zeros([3]), tf.constant(1.0))), [X]),
    ("foldl", lambda tf, v: tf.foldl(lambda a, x: a * 2.0 - x, v), [V]),
    ("foldr", lambda tf, v: tf.foldr(lambda a, x: a * 2.0 - x, v), [V]),
    ("foldr_initializer", lambda tf, v: tf.foldr(lambda a, x: a - x, v, initializer=10.0), [V]),
    ("vectorized_map", lambda tf, x: tf.vectorized_map(lambda r: tf.reduce_sum(r * r), x), [X]),
    ("vectorized_map_nested", lambda tf, x: tf.vectorized_map(
        lambda r: (tf.nn.softmax(r), r[0]), x), [X]),
    ("case_first_true", lambda tf, v: tf.case([(tf.constant(False), lambda: v * 2.0),
                                               (tf.constant(True), lambda: v * 3.0)],
                                              default=lambda: v), [V]),
    ("case_default", lambda tf, v: tf.case([(v[0] > 5.0, lambda: v)], default=lambda: -v), [V]),
    ("case_exclusive_unchecked_eagerly", lambda tf, v: tf.case(
        [(v[0] > 0.0, lambda: v), (v[0] > -5.0, lambda: -v)], exclusive=True), [V]),
    ("py_function", lambda tf, v: tf.py_function(lambda a: a * a, [v], Tout=tf.float32), [V]),
    ("py_function_list", lambda tf, v: tf.py_function(lambda a: [a * 2.0, a], [v],
                                                      Tout=[tf.float32, tf.float32]), [V]),
    ("numpy_function", lambda tf, v: tf.numpy_function(lambda a: a * 2, [v], Tout=tf.float32),
     [V]),
    ("numpy_function_dtype", lambda tf: tf.numpy_function(
        lambda a: (a * 2).astype(np.float64), [tf.constant(1.0)], Tout=tf.float32), []),
    ("unravel_index", lambda tf: (tf.unravel_index([5, 1], [2, 3]), tf.unravel_index(5, [2, 3]),
                                  tf.unravel_index(tf.constant([7], tf.int64), [2, 4])), []),
    ("dynamic_partition", lambda tf, x: tf.dynamic_partition(x, [1, 0], 3), [X]),
    ("dynamic_partition_2d", lambda tf, x: tf.dynamic_partition(x, [[0, 1, 0], [2, 1, 1]], 3),
     [X]),
    ("dynamic_stitch", lambda tf, a, b: tf.dynamic_stitch([[0, 2], [1, 3]], [a, b]),
     [V[:2], V[1:]]),
    ("dynamic_stitch_overlap", lambda tf, a, b: tf.dynamic_stitch([[0, 1], [1, 2]], [a, b]),
     [X[:, :2], X[:, 1:]]),
    ("histogram_fixed_width", lambda tf: tf.histogram_fixed_width(
        tf.constant([-1.0, 0.0, 1.5, 2.0, 5.0, 15.0]), [0.0, 5.0], nbins=5), []),
    ("histogram_fixed_width_bins", lambda tf: tf.histogram_fixed_width_bins(
        tf.constant([[-1.0, 0.0, 1.5], [2.0, 5.0, 15.0]]), [0.0, 5.0], nbins=5), []),
    ("histogram_int64", lambda tf: tf.histogram_fixed_width(
        tf.constant([1, 2, 3, 9]), [0, 10], nbins=3, dtype=tf.int64), []),
    ("complex", lambda tf: (tf.complex(tf.constant([1.0]), tf.constant([2.0])),
                            tf.complex(tf.constant([1.0], tf.float64),
                                       tf.constant([2.0], tf.float64))), []),
    ("space_to_batch_nd", lambda tf, x: tf.space_to_batch_nd(
        tf.reshape(x, [1, 2, 3, 1]), [2, 2], [[0, 0], [0, 1]]), [X]),
    ("space_to_batch", lambda tf, x: tf.space_to_batch(
        tf.reshape(tf.concat([x, x], 0), [1, 4, 3, 1]), [2, 3], [[0, 0], [0, 0]]), [X]),
    ("nn_space_to_batch", lambda tf, x: tf.nn.space_to_batch(
        tf.reshape(x, [2, 3, 1]), [3], [[0, 0]]), [X]),
    ("batch_to_space", lambda tf, x: tf.batch_to_space(
        tf.reshape(tf.concat([x, x], 0), [4, 1, 3, 1]), [2, 2], [[0, 0], [1, 0]]), [X]),
    ("required_space_to_batch_paddings", lambda tf: (
        tf.required_space_to_batch_paddings([5, 7], [2, 3]),
        tf.required_space_to_batch_paddings([5, 7], [2, 3], [[1, 0], [0, 2]])), []),
]


@pytest.mark.parametrize("program, args", [pytest.param(p, a, id=i) for i, p, a in CASES])
def test_same_values_and_gradients_as_tensorflow(real_tf, program, args):
    compare(real_tf, program, *args, rtol=1e-5, atol=1e-5)


ERRORS = [
    ("case_none_true", lambda tf: tf.case([(tf.constant(False), lambda: tf.constant(1))])),
    ("case_dict", lambda tf: tf.case({tf.constant(True): lambda: tf.constant(1)})),
    ("map_fn_scalar", lambda tf: tf.map_fn(lambda x: x, tf.constant(1.0))),
    ("map_fn_sizes", lambda tf: tf.map_fn(lambda p: p[0], (tf.zeros([2]), tf.zeros([3])))),
    ("unravel_out_of_bound", lambda tf: tf.unravel_index(7, [2, 3])),
    ("dynamic_partition_range", lambda tf: tf.dynamic_partition(tf.constant([1, 2]), [0, 3], 2)),
    ("complex_mixed", lambda tf: tf.complex(tf.constant([1.0]), tf.constant([2.0], tf.float64))),
    ("complex_int", lambda tf: tf.complex(tf.constant([1]), tf.constant([2]))),
    ("space_to_batch_divisible", lambda tf: tf.space_to_batch_nd(tf.zeros([1, 3, 3, 1]), [2, 2],
                                                                 [[0, 0], [0, 0]])),
    ("batch_to_space_divisible", lambda tf: tf.batch_to_space(tf.zeros([3, 1, 1, 1]), [2, 2],
                                                              [[0, 0], [0, 0]])),
    ("assert_false", lambda tf: tf.Assert(tf.constant(False), ["bad"])),
    ("device_not_a_string", lambda tf: tf.device(3).__enter__()),
]


@pytest.mark.parametrize("program", [pytest.param(p, id=i) for i, p in ERRORS])
def test_same_exception_class_as_tensorflow(real_tf, program):
    assert isinstance(same_program(real_tf, program), Exception)


def test_map_fn_and_py_function_inside_function():
    @tapejax.function
    def f(x):
        doubled = tapejax.map_fn(lambda r: r * 2.0, x)
        return tapejax.numpy_function(lambda a: a + 1, [doubled], Tout=tapejax.float32)
    np.testing.assert_allclose(f(tapejax.constant(V)).numpy(), V * 2 + 1)
    assert bool(tapejax.function(lambda: tapejax.inside_function())())


def test_init_scope_and_device_run_eagerly_outside_tapes():
    x = tapejax.constant(2.0)
    with tapejax.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tapejax.init_scope():
            hidden = x * x
        with tapejax.device("/GPU:0"):
            seen = x * x
    assert tape.gradient(hidden, x) is None
    assert float(tape.gradient(seen, x)) == 4.0


FRAMEWORK = [
    ("get_static_value", lambda tf: (tf.get_static_value(tf.constant([1, 2])).tolist(),
                                     tf.get_static_value([1, 2]),
                                     tf.get_static_value(tf.Variable(1.0)))),
    ("tuple_guarantee_const_assert", lambda tf: (tf.tuple([tf.constant(1.0), None]),
                                                 tf.guarantee_const(tf.constant(2.0)),
                                                 tf.Assert(tf.constant(True), ["x"]))),
    ("eager_flags", lambda tf: (tf.inside_function(), tf.is_symbolic_tensor(tf.constant(1.0)),
                                tf.AggregationMethod.DEFAULT, tf.AggregationMethod.ADD_N)),
    ("timestamp_dtype", lambda tf: tf.timestamp().dtype == tf.float64),
]


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.numpy().tolist() if hasattr(value, "numpy") else value


@pytest.mark.parametrize("program", [pytest.param(p, id=i) for i, p in FRAMEWORK])
def test_framework_functions_as_tensorflow(real_tf, program):
    assert _plain(program(tapejax)) == _plain(program(real_tf))
