"""``variable[key].assign(value)``: TF's sliced assignment on Variables (#14).

Each program runs on TF 2.21 and tapejax; a failed assignment raises TF's class and leaves the
Variable as it was; reads through ``v[...]`` still carry gradients.
"""
import numpy as np
import pytest

from tf_oracle import same_program

_INIT = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
ASSIGNMENTS = {
    "row": lambda tf, v: v[0].assign([7.0, 8.0, 9.0]),
    "strided": lambda tf, v: v[:, ::2].assign(0.0),
    "ellipsis": lambda tf, v: v[..., 1].assign([10.0, 11.0]),
    "newaxis": lambda tf, v: v[tf.newaxis, 1, 1:].assign([[1.0, 2.0]]),
    "tensor_index": lambda tf, v: v[tf.constant(1), 0].assign(3),
    "negative_range": lambda tf, v: v[-1, 0:2].assign(np.array([5.0, 6.0])),
    "bad_shape": lambda tf, v: v[0].assign([1.0, 2.0]),
    "bad_dtype": lambda tf, v: v[0].assign("a"),
    "no_assign_add": lambda tf, v: v[1:3].assign_add([1.0, 1.0]),
}


@pytest.mark.parametrize("name", list(ASSIGNMENTS))
def test_slice_assign_matches_tf(real_tf, name):
    def program(tf):
        v = tf.Variable(_INIT)
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(v[0] * v[1])
        try:
            ASSIGNMENTS[name](tf, v)
            failed = tf.constant(False)
        except (TypeError, AttributeError, tf.errors.InvalidArgumentError):
            failed = tf.constant(True)
        return [v.read_value(), failed, tape.gradient(y, v)]
    same_program(real_tf, program)


@pytest.mark.parametrize("name", ["bad_shape", "bad_dtype", "no_assign_add"])
def test_failed_slice_assign_raises_tfs_class(real_tf, name):
    def program(tf):
        ASSIGNMENTS[name](tf, tf.Variable(_INIT))
    same_program(real_tf, program)


def test_only_a_variable_slice_has_assign():
    import tapejax as tf
    v = tf.Variable([1.0, 2.0])
    assert hasattr(v[0], "assign")
    assert not hasattr(v[0] + 1.0, "assign") and not hasattr(tf.constant(1.0), "assign")


def test_slice_assign_with_traced_indices_in_a_function(real_tf):
    """``v[i].assign`` inside a function with a traced ``i`` (an argument, a loop counter)."""
    def program(tf):
        v = tf.Variable(_INIT)
        row = tf.Variable([0.0, 0.0, 0.0, 0.0])

        @tf.function
        def step(i, j):
            v[i, j].assign(-1.0)
            v[i - 1, ::2].assign([7.0, 8.0])
            for k in tf.range(4):
                row[k].assign(tf.cast(k * k, tf.float32))
            return v.read_value(), row.read_value()
        return step(tf.constant(1), tf.constant(2)), step(tf.constant(-1), tf.constant(0))
    same_program(real_tf, program)
