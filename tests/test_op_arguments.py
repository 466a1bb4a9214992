"""Arguments tapejax used to accept and ignore (issue #14), and shape arguments computed inside
``tapejax.function``, each run on TF 2.21 and on tapejax."""
import numpy as np
import pytest

import tapejax
from tf_oracle import same_program

_8BIT = [("int8", "int8", "int32"), ("uint8", "int8", "int32"), ("uint8", "uint8", "int32"),
         ("int8", "int8", "int64"), ("int16", "int16", "int32"), ("float16", "float16", "float32"),
         ("int8", "int8", "float32"), ("float32", "float32", "float32"), ("int8", "int8", None),
         ("uint8", "uint8", None), ("int16", "int16", None)]


@pytest.mark.parametrize("a_dtype, b_dtype, output_type", _8BIT)
def test_matmul_output_type(real_tf, a_dtype, b_dtype, output_type):
    """8-bit integers multiply to int32 (TF's BatchMatMulV3); other pairs raise TF's class."""
    def program(tf):
        a = tf.constant([[1, 2], [3, 4]], a_dtype)
        b = tf.constant([[100, 100], [100, 100]], b_dtype)
        return tf.matmul(a, b, transpose_b=True,
                         output_type=None if output_type is None else tf.as_dtype(output_type))
    same_program(real_tf, program)


_POLICY_CALLS = {
    "gather_nd": lambda tf, p: tf.gather_nd(tf.constant([1.0, 2.0, 3.0]), [[0], [5], [-1]],
                                            bad_indices_policy=p),
    "scatter_nd": lambda tf, p: tf.scatter_nd([[0], [5], [-1]], [1.0, 2.0, 4.0], [3],
                                              bad_indices_policy=p),
    "add": lambda tf, p: tf.tensor_scatter_nd_add(tf.ones([3]), [[0], [5]], [1.0, 2.0],
                                                  bad_indices_policy=p),
    "sub": lambda tf, p: tf.tensor_scatter_nd_sub(tf.ones([3]), [[2], [5]], [1.0, 2.0],
                                                  bad_indices_policy=p),
    "max": lambda tf, p: tf.tensor_scatter_nd_max(tf.ones([3]), [[1], [5]], [7.0, 2.0],
                                                  bad_indices_policy=p),
    "min": lambda tf, p: tf.tensor_scatter_nd_min(tf.ones([3]), [[0], [-4]], [-7.0, 2.0],
                                                  bad_indices_policy=p),
}


@pytest.mark.parametrize("policy", ["", "DEFAULT", "ERROR", "IGNORE", "ignore", "FOO"])
@pytest.mark.parametrize("op", list(_POLICY_CALLS))
def test_bad_indices_policy(real_tf, op, policy):
    """IGNORE reads zeros / drops updates at out-of-range indices; the others raise TF's
    errors, an unknown policy TF's kernel error."""
    same_program(real_tf, lambda tf: _POLICY_CALLS[op](tf, policy))


def test_fill_differentiates_and_takes_traced_values(real_tf):
    def program(tf):
        x = tf.constant(3.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.fill([2, 3], x) * tf.fill((2, 1), 2.0)
        traced = tf.function(lambda v: (tf.fill(tf.shape(v), v[0]), tf.fill([2], v[1] > 1)))
        return y, tape.gradient(y, x), traced(tf.constant([4, 2])), tf.fill([0, 2], 1)
    same_program(real_tf, program)


@pytest.mark.parametrize("make", ["zeros", "ones", "fill", "zeros_like", "ones_like"])
def test_dtensor_layout_is_not_implemented(make):
    calls = {"zeros": lambda: tapejax.zeros([2], layout=object()),
             "ones": lambda: tapejax.ones([2], layout=object()),
             "fill": lambda: tapejax.fill([2], 1.0, layout=object()),
             "zeros_like": lambda: tapejax.zeros_like([1.0], layout=object()),
             "ones_like": lambda: tapejax.ones_like([1.0], layout=object())}
    with pytest.raises(NotImplementedError, match="argument `layout`"):
        calls[make]()


def test_shapes_computed_inside_a_function(real_tf):
    """Shape arguments built from ``tf.shape``/``tf.size`` inside a function: XLA knows them,
    so they fold to constants, as TF's graph folds them."""
    def program(tf):
        @tf.function
        def f(v):
            return (tf.reshape(v, tf.shape(v)), tf.reshape(v, [tf.shape(v)[0], -1]),
                    tf.zeros(tf.shape(v)), tf.ones([tf.shape(v)[1], 2], tf.int32),
                    tf.broadcast_to(v[:1], tf.shape(v)), tf.reshape(v, [-1, tf.size(v)]),
                    tf.tile(v, [1, tf.shape(v)[0] - 1]))
        return f(tf.constant(np.arange(6.0, dtype=np.float32).reshape(2, 3)))
    same_program(real_tf, program)


def test_case_on_traced_predicates(real_tf):
    """Inside a function ``tf.case`` stages a chain of conds (TF's graph form); gradients flow
    through the chosen branch. (With no default and no true predicate TF's graph raises at run
    time, which traced tapejax code cannot: not compared.)"""
    def program(tf):
        @tf.function
        def with_default(p, q, x):
            return tf.case([(p, lambda: x * 1.0), (q, lambda: x * 2.0)], default=lambda: -x)

        @tf.function
        def without_default(p, q):
            return tf.case([(p, lambda: tf.constant(1)), (q, lambda: tf.constant(2))])
        x = tf.constant(3.0)
        out = []
        for p, q in ((False, True), (True, True), (False, False)):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = with_default(tf.constant(p), tf.constant(q), x)
            out += [y, tape.gradient(y, x)]
            if p or q:
                out.append(without_default(tf.constant(p), tf.constant(q)))
        return out
    same_program(real_tf, program)


_TRIDIAGONAL = {  # compact (superdiagonal, diagonal, subdiagonal) rows
    "needs_pivoting": [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]],
    "singular": [[0.0, 1.0, 2.0], [0.0, 1.0, 1.0], [3.0, 4.0, 0.0]],
    "random": np.random.RandomState(0).normal(size=(2, 3, 6)).astype(np.float32),
}


@pytest.mark.parametrize("pivoting", [True, False])
@pytest.mark.parametrize("system", list(_TRIDIAGONAL))
def test_tridiagonal_solve_partial_pivoting(real_tf, system, pivoting):
    """TF's default pivots (a zero on the diagonal is solved); without pivoting, or for a
    singular matrix, every entry is NaN; gradients agree."""
    def program(tf):
        diagonals = tf.constant(_TRIDIAGONAL[system], tf.float32)
        rhs = tf.ones(diagonals.shape[:-2] + [diagonals.shape[-1], 2])
        with tf.GradientTape() as tape:
            tape.watch(diagonals)
            x = tf.linalg.tridiagonal_solve(diagonals, rhs, partial_pivoting=pivoting)
            loss = tf.reduce_sum(x * x)
        return x, tape.gradient(loss, diagonals) if system == "random" else None
    same_program(real_tf, program, rtol=1e-4, atol=1e-4)
