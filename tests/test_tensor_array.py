"""``tf.TensorArray`` eagerly and inside converted loops, against TensorFlow (values,
gradients, errors)."""
import numpy as np
import pytest

import tapejax
from tf_oracle import compare

F32 = np.float32
X = np.arange(6, dtype=F32).reshape(3, 2) + 1.0


def write_read_stack(tf, x):
    ta = tf.TensorArray(tf.float32, size=3)
    for i in range(3):
        ta = ta.write(i, x[i] * x[i])
    return ta.stack(), ta.read(1), ta.size()


def unstack_gather_concat(tf, x):
    ta = tf.TensorArray(tf.float32, size=3, clear_after_read=False).unstack(x * 2.0)
    return ta.gather([2, 0]), ta.concat(), ta.read(0), ta.read(0)


def scatter_unwritten_rows(tf, x):
    ta = tf.TensorArray(tf.float32, size=4).scatter([3, 0], x[:2])
    return ta.stack()


def dynamic_size(tf, x):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    ta = ta.write(2, x[0]).write(0, x[1])
    return ta.stack(), ta.size(), ta.element_shape.as_list()


def concat_ragged(tf, x):
    ta = tf.TensorArray(tf.float32, size=2, infer_shape=False)
    ta = ta.write(0, x[0]).write(1, tf.reshape(x, [-1]))
    return ta.concat()


def in_function_loop(tf, x):
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=x.shape[0])
        acc = tf.zeros([2])
        for i in tf.range(x.shape[0]):
            acc = acc + tf.sin(x[i])
            ta = ta.write(i, acc * x[i])
        return ta.stack(), ta.gather([0, 2])
    return f(x)


def in_function_over_rows(tf, x):
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[2])
        for row in x:
            ta = ta.write(ta.size(), tf.exp(row))
        return ta.stack(), ta.size()
    return f(x)


def read_back_in_loop(tf, x):
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float32, size=3).unstack(x)
        total = tf.zeros([2])
        for i in tf.range(3):
            total += ta.read(i) * ta.read(2 - i)
        return total
    return f(x)


@pytest.mark.parametrize("program", [
    write_read_stack, unstack_gather_concat, scatter_unwritten_rows, concat_ragged,
    in_function_loop, in_function_over_rows, read_back_in_loop,
], ids=lambda p: p.__name__)
def test_values_and_gradients(real_tf, program):
    compare(real_tf, program, X)


def test_dynamic_size_eager(real_tf):
    ours = dynamic_size(tapejax, tapejax.constant(X))
    theirs = dynamic_size(real_tf, real_tf.constant(X))
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    assert int(ours[1]) == int(theirs[1]) == 3 and ours[2] == theirs[2] == [2]


def _outcome(lib, program):
    try:
        program(lib)
    except Exception as error:  # the class and message are compared
        return type(error).__name__, str(error).strip()
    return "ok", ""


@pytest.mark.parametrize("program", [
    lambda tf: tf.TensorArray(tf.float32, size=2).write(0, tf.constant([1, 2])),
    lambda tf: tf.TensorArray(tf.float32, size=2).write(5, [1.0]),
    lambda tf: tf.TensorArray(tf.float32, size=2).write(0, [1.0, 2.0]).write(1, [1.0]),
    lambda tf: tf.TensorArray(tf.float32, size=2).read(5),
    lambda tf: tf.TensorArray(tf.float32, size=2, element_shape=[3]).write(0, [1.0]),
    lambda tf: tf.TensorArray(tf.float32, size=2).write(0, 1.0).read(0) +
    tf.TensorArray(tf.float32, size=2).write(0, 1.0).read(0),
    lambda tf: (lambda ta: (ta.read(0), ta.read(0)))(
        tf.TensorArray(tf.float32, size=2).write(0, 1.0)),
], ids=["dtype", "out_of_range_write", "shape", "out_of_range_read", "element_shape",
        "read_once_each", "clear_after_read"])
def test_errors_as_tf(real_tf, program):
    assert _outcome(tapejax, program) == _outcome(real_tf, program)
