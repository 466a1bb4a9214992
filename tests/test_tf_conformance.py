"""The same TF2 programs under real TensorFlow and under tapejax: values, dtypes, shapes,
None-ness and exception classes must agree."""
import numpy as np
import pytest

import tapejax
from helpers import assert_same


def _cube(tf):
    x = tf.constant(5.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x * x
    return g.gradient(y, x)


def _nested(tf):
    p = tf.constant(4.0)
    with tf.GradientTape() as outer:
        outer.watch(p)
        with tf.GradientTape() as inner:
            inner.watch(p)
            y = p**3
        d1 = inner.gradient(y, p)
    return [d1, outer.gradient(d1, p)]


def _variables(tf):
    v = tf.Variable(2.0)
    frozen = tf.Variable(4.0, trainable=False)
    c = tf.constant(1.5)
    with tf.GradientTape() as g:
        y = v**3 + frozen * c
    return g.gradient(y, [v, frozen, c])


def _persistent(tf):
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = tf.reduce_sum(x * x)
        z = tf.reduce_mean(tf.exp(x) * y)
    return [g.gradient(y, x), g.gradient(z, x), g.gradient(z, [y, x])]


def _mlp(tf):
    rng = np.random.default_rng(0)
    w1 = tf.Variable(rng.normal(size=(4, 8)).astype(np.float32))
    b1 = tf.Variable(np.zeros(8, np.float32))
    w2 = tf.Variable(rng.normal(size=(8, 3)).astype(np.float32))
    x = tf.constant(rng.normal(size=(5, 4)).astype(np.float32))
    labels = tf.constant(np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]])
    with tf.GradientTape() as g:
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        logits = tf.matmul(h, w2)
        loss = -tf.reduce_mean(tf.reduce_sum(labels * tf.nn.log_softmax(logits), axis=1))
    return [loss] + g.gradient(loss, [w1, b1, w2])


def _structures(tf):
    x = tf.constant([1.0, 2.0])
    y0 = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch([x, y0])
        a = x * y0
        b = tf.reduce_sum(a * a)
    return g.gradient({"t1": a, "t2": [b]}, {"b": x, "a": (y0, x)})


def _output_gradients(tf):
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as g:
        g.watch(x)
        y = tf.matmul(x, x)
    return g.gradient(y, x, output_gradients=tf.constant([[1.0, 0.0], [0.5, 2.0]]))


def _unconnected(tf):
    x, z = tf.constant(1.0), tf.constant([2.0, 3.0])
    with tf.GradientTape(persistent=True) as g:
        g.watch([x, z])
        y = x * 2.0
    return [g.gradient(y, [x, z]),
            g.gradient(y, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO),
            g.gradient(y, z, unconnected_gradients="zero")]


def _jacobians(tf):
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = tf.Variable([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = tf.tanh(tf.matmul(x, w))
    return [g.jacobian(y, x), g.jacobian(y, w), g.batch_jacobian(y, x),
            g.jacobian(y, tf.constant(1.0), unconnected_gradients="zero")]


def _batch_jacobians_in_function(tf):
    """Inside a compiled step: a multi-dimensional target and source, in chunks, and a
    gradient taken through a batch Jacobian."""
    w = tf.constant(np.linspace(-1.0, 1.0, 30, dtype=np.float32).reshape(5, 6))

    @tf.function
    def step(x):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape(persistent=True) as g:
                g.watch(x)
                y = tf.reshape(tf.tanh(tf.matmul(tf.reshape(x, [4, 5]), w)), [4, 2, 3])
            whole = g.batch_jacobian(y, x)
            chunked = g.batch_jacobian(y, x, parallel_iterations=2)
            s = tf.reduce_sum(whole * whole)
        return whole, chunked, outer.gradient(s, x)
    return step(tf.constant(np.linspace(-2.0, 2.0, 20, dtype=np.float32).reshape(4, 1, 5)))


def _stop_and_cast(tf):
    x = tf.constant(2.5)
    with tf.GradientTape() as g:
        g.watch(x)
        a = tf.stop_gradient(x) * x
        b = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
        c = tf.cast(x, tf.float64)
        y = a + b + tf.cast(c * c, tf.float32)
    return g.gradient(y, x)


def _variable_reassigned(tf):
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as g:
        y = tf.reduce_sum(v * v)
        v.assign_add([1.0, 1.0])
        z = y * tf.reduce_sum(v)
    return [z, g.gradient(z, v)]


def _second_order_mixed(tf):
    x = tf.Variable([0.5, -1.5])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(tf.sin(x) * x**2)
        g = inner.gradient(y, x)
        s = tf.reduce_sum(g * g)
    return [g, outer.gradient(s, x)]


def _dtypes(tf):
    return [tf.constant(3) / tf.constant(2), tf.constant(3, tf.int8) / tf.constant(2, tf.int8),
            tf.constant(-3) // 2, tf.constant(-3.0) % 2.0, tf.constant([1, 2.5]),
            tf.constant(2**40), tf.constant(np.array([1.0])), tf.constant(1.0, tf.float16) + 1,
            tf.reduce_mean(tf.constant([-1, -2])), tf.range(5), tf.range(0.0, 1.0, 0.25),
            tf.fill((2,), 3), tf.cast(tf.constant([1.7, -1.7]), tf.int32),
            tf.constant([[1.0, 2.0], [3.0, 4.0]])[1, :], tf.constant([1.0, 2.0]) * [1, 2],
            abs(tf.constant(-4)), tf.constant(6) & tf.constant(3),
            tf.constant(True) | tf.constant(False), tf.zeros((2, 3)), tf.ones_like([1, 2]),
            tf.reduce_max(tf.constant([[1.0, 5.0], [3.0, 2.0]]), axis=1, keepdims=True),
            tf.reduce_prod(tf.constant([1, 2, 3])), tf.squeeze(tf.ones((1, 2, 1)), axis=2),
            tf.expand_dims(tf.constant([1.0]), -1), tf.stack([tf.constant(1.0)] * 3, axis=0),
            tf.transpose(tf.reshape(tf.range(6), (2, 3))), tf.where(tf.constant([True, False]),
                                                                    1.0, 2.0)]


PROGRAMS = [_cube, _nested, _variables, _persistent, _mlp, _structures, _output_gradients,
            _unconnected, _jacobians, _batch_jacobians_in_function, _stop_and_cast,
            _variable_reassigned, _second_order_mixed, _dtypes]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_same_results_as_tensorflow(real_tf, program):
    assert_same(program(tapejax), program(real_tf), rtol=1e-5, atol=1e-5)


def _error_programs():
    def f32_plus_f64(tf):
        return tf.constant(1.0) + tf.constant(1.0, tf.float64)

    def int_plus_float(tf):
        return tf.constant(1) + 2.5

    def int_pow_float(tf):
        return tf.constant(2) ** 0.5

    def convert_wrong_dtype(tf):
        return tf.convert_to_tensor(tf.constant(1.0), dtype=tf.int32)

    def convert_float_to_int(tf):
        return tf.convert_to_tensor(2.5, dtype=tf.int32)

    def constant_bad_shape(tf):
        return tf.constant([1.0, 2.0], shape=(3,))

    def assign_wrong_shape(tf):
        return tf.Variable([1.0, 2.0]).assign([1.0, 2.0, 3.0])

    def assign_wrong_dtype(tf):
        return tf.Variable([1.0, 2.0]).assign(tf.constant([1, 2]))

    def hash_tensor(tf):
        return hash(tf.constant(1.0))

    def hash_variable(tf):
        return hash(tf.Variable(1.0))

    def len_scalar(tf):
        return len(tf.constant(1.0))

    def iter_scalar(tf):
        return iter(tf.constant(1.0))

    def bool_vector(tf):
        return bool(tf.constant([1.0, 2.0]))

    def index_out_of_bounds(tf):
        return tf.constant([1.0, 2.0])[5]

    def matmul_rank1(tf):
        return tf.matmul(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0]))

    def matmul_mismatch(tf):
        return tf.matmul(tf.ones((2, 3)), tf.ones((2, 3)))

    def add_shapes(tf):
        return tf.ones((2,)) + tf.ones((3,))

    def reduce_bad_axis(tf):
        return tf.reduce_sum(tf.ones((2, 3)), axis=5)

    def reshape_bad(tf):
        return tf.reshape(tf.ones((2, 3)), (4,))

    def sqrt_int(tf):
        return tf.sqrt(tf.constant(4))

    def gradient_twice(tf):
        x = tf.constant(1.0)
        with tf.GradientTape() as g:
            g.watch(x)
            y = x * x
        g.gradient(y, x)
        return g.gradient(y, x)

    def reenter_tape(tf):
        g = tf.GradientTape()
        with g:
            with g:
                pass

    def target_none(tf):
        with tf.GradientTape() as g:
            pass
        return g.gradient(None, tf.constant(1.0))

    def watch_python_float(tf):
        with tf.GradientTape() as g:
            g.watch(1.0)

    def stop_recording_unused(tf):
        with tf.GradientTape().stop_recording():
            pass

    def reset_outside(tf):
        tf.GradientTape().reset()

    def batch_jacobian_rank1(tf):
        x = tf.constant([1.0, 2.0])
        with tf.GradientTape() as g:
            g.watch(x)
            y = x * x
        return g.batch_jacobian(y, x)

    return [f32_plus_f64, int_plus_float, int_pow_float, convert_wrong_dtype,
            convert_float_to_int, constant_bad_shape, assign_wrong_shape, assign_wrong_dtype,
            hash_tensor, hash_variable, len_scalar, iter_scalar, bool_vector,
            index_out_of_bounds, matmul_rank1, matmul_mismatch, add_shapes, reduce_bad_axis,
            reshape_bad, sqrt_int, gradient_twice, reenter_tape, target_none,
            watch_python_float, stop_recording_unused, reset_outside, batch_jacobian_rank1]


def _error_class(tf, program):
    try:
        program(tf)
    except Exception as e:  # the class is what we compare
        return type(e).__name__, e
    return None, None


@pytest.mark.parametrize("program", _error_programs(), ids=lambda p: p.__name__)
def test_same_exception_class_as_tensorflow(real_tf, program):
    theirs, their_error = _error_class(real_tf, program)
    ours, our_error = _error_class(tapejax, program)
    assert theirs is not None, "TensorFlow accepted the program"
    assert ours == theirs, f"TF raised {theirs}: {their_error}; tapejax raised {ours}: {our_error}"
    if theirs == "InvalidArgumentError":
        assert isinstance(our_error, tapejax.errors.InvalidArgumentError)


def test_assign_failure_leaves_variable_untouched(real_tf):
    for tf in (real_tf, tapejax):
        v = tf.Variable([1.0, 2.0])
        with pytest.raises(ValueError):
            v.assign([1.0, 2.0, 3.0])
        np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_str_and_repr_match_tensorflow(real_tf):
    for make in (lambda tf: tf.constant(75.0), lambda tf: tf.constant([[1.0, 2.0], [3.0, 4.0]]),
                 lambda tf: tf.constant([1, 2]), lambda tf: tf.constant(True),
                 lambda tf: tf.constant([1.5], tf.float64)):
        assert str(make(tapejax)) == str(make(real_tf))
        assert repr(make(tapejax)) == repr(make(real_tf))
    assert repr(tapejax.Variable(2.0)) == repr(real_tf.Variable(2.0))
    assert repr(tapejax.float32) == repr(real_tf.float32)
    assert str(tapejax.float32) == str(real_tf.float32)
    assert repr(tapejax.ones((2, 3)).shape) == repr(real_tf.ones((2, 3)).shape)
    assert str(tapejax.ones((2, 3)).shape) == str(real_tf.ones((2, 3)).shape)


def test_error_messages_match_tensorflow(real_tf):
    """The messages TF users search for are word for word the same."""
    for program in _error_programs():
        if program.__name__ in ("gradient_twice", "reenter_tape", "target_none",
                                "stop_recording_unused", "reset_outside", "f32_plus_f64",
                                "int_plus_float", "convert_float_to_int", "hash_tensor",
                                "len_scalar", "iter_scalar", "assign_wrong_shape",
                                "matmul_mismatch", "reduce_bad_axis", "reshape_bad",
                                "add_shapes", "matmul_rank1", "index_out_of_bounds",
                                "convert_wrong_dtype"):
            _, theirs = _error_class(real_tf, program)
            _, ours = _error_class(tapejax, program)
            their_text = str(theirs).split("}} ")[-1]
            assert str(ours) == their_text, program.__name__
