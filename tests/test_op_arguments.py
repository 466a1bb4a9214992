"""Arguments tapejax used to accept and ignore (issue #14), and shape arguments computed inside
``tapejax.function``, each run on TF 2.21 and on tapejax."""
import numpy as np
import pytest

import tapejax
from tf_oracle import same_program

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
