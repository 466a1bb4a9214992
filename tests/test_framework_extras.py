"""Small TF top-level functions: the same calls under TensorFlow and tapejax."""
import numpy as np
import pytest

import tapejax
from helpers import assert_same


def _values(tf):
    return [tf.eye(2, 3), tf.eye(2, batch_shape=[3], dtype=tf.float64),
            tf.saturate_cast(tf.constant([300.0, -5.0, 7.6]), tf.uint8),
            tf.scalar_mul(2.0, tf.constant([1.0, 2.0])),
            tf.identity_n([tf.constant(1.0), tf.constant(2)])]


def _gradients(tf):
    x = tf.constant([1.0, -2.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = tf.reduce_sum(tf.scalar_mul(3.0, x * x) + x / 4.0)
    return g.gradient(y, x)


@pytest.mark.parametrize("program", [_values, _gradients], ids=lambda p: p.__name__)
def test_same_as_tensorflow(real_tf, program):
    assert_same(program(tapejax), program(real_tf))


def test_eager_framework_functions(real_tf):
    for tf in (tapejax, real_tf):
        assert tf.executing_eagerly() is True
        assert tf.no_op() is None and tf.group(tf.constant(1.0)) is None
        with tf.control_dependencies([tf.constant(1.0)]):
            value = tf.constant(2.0) * 2.0
        assert float(value) == 4.0
        assert tf.assert_equal(tf.constant(1), 1) is None
    seen = []

    @tapejax.function
    def inside():
        seen.append(tapejax.executing_eagerly())
        return tapejax.constant(1.0)

    inside()
    assert seen == [False]


def test_eye_is_numpy_eye():
    np.testing.assert_array_equal(tapejax.eye(2).numpy(), np.eye(2, dtype=np.float32))
    np.testing.assert_array_equal(tapejax.linalg.eye(2, 3).numpy(), np.eye(2, 3))
