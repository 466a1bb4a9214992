"""``tf.cond``, ``tf.switch_case`` and ``tf.while_loop``: eager (Python) and traced (lax)."""
import jax
import numpy as np
import pytest

import tapejax
from tf_compare import compare, numeric_gradients, same_error

X = np.float32(1.5)
V = np.array([0.5, -1.0, 2.0], np.float32)


def tensor(value):
    return tapejax.Tensor(value)


# --- eager: TF's results and gradients on the same programs -----------------------------------
EAGER = {
    "cond_true": (lambda tf, x: tf.cond(x > 1.0, lambda: x * x, lambda: x + 1.0), X),
    "cond_false": (lambda tf, x: tf.cond(x > 2.0, lambda: x * x, lambda: x + 1.0), X),
    "cond_python_pred": (lambda tf, x: tf.cond(False, lambda: x, lambda: [x * 3.0, x]), X),
    "cond_structure": (lambda tf, x: tf.cond(x < 2.0, lambda: {"a": x, "b": (x * x, 2.0 * x)},
                                             lambda: {"a": x, "b": (x, x)}), X),
    "switch_case": (lambda tf, x: tf.switch_case(tf.constant(1), [lambda: x, lambda: x * x]), X),
    "switch_case_default": (lambda tf, x: tf.switch_case(
        tf.constant(7), [lambda: x, lambda: x * x], default=lambda: -x), X),
    "switch_case_last_when_out_of_range": (lambda tf, x: tf.switch_case(
        tf.constant(-1), [lambda: x, lambda: x * 3.0]), X),
    "switch_case_dict": (lambda tf, x: tf.switch_case(
        tf.constant(0), {1: lambda: x, 0: lambda: x * 5.0}), X),
    "switch_case_pairs": (lambda tf, x: tf.switch_case(
        tf.constant(np.int64(1)), [(1, lambda: x * x * x), (0, lambda: x)]), X),
    "while": (lambda tf, x: tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * x),
                                          (0, 1.0)), X),
    "while_list": (lambda tf, v: tf.while_loop(lambda s: tf.reduce_sum(s) < 10.0,
                                               lambda s: [s * 2.0], [v]), np.abs(V)),
    "while_max_iterations": (lambda tf, x: tf.while_loop(
        lambda i, s: i < 10, lambda i, s: (i + 1, s + x * x), (0, x), maximum_iterations=4), X),
    "while_zero_iterations": (lambda tf, x: tf.while_loop(
        lambda s: s > 100.0, lambda s: (s * x,), (x,)), X),
    "while_dict": (lambda tf, x: tf.while_loop(
        lambda d: d["n"] < 2, lambda d: [{"n": d["n"] + 1, "v": d["v"] * x}],
        [{"n": 0, "v": x}]), X),
}


@pytest.mark.parametrize("case", sorted(EAGER))
def test_eager_matches_tensorflow(real_tf, case):
    fn, *args = EAGER[case]
    compare(real_tf, fn, *args)


def test_eager_cond_runs_only_the_chosen_branch():
    ran = []
    tapejax.cond(tapejax.constant(True), lambda: ran.append("t"), lambda: ran.append("f"))
    assert ran == ["t"]


def test_eager_while_converts_python_values_to_tensors(real_tf):
    ours = tapejax.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,))
    theirs = real_tf.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,))
    assert isinstance(ours, tuple) and type(ours[0]) is tapejax.Tensor
    assert int(ours[0]) == int(theirs[0]) == 3 and ours[0].dtype.name == theirs[0].dtype.name


ERRORS = {
    "cond_missing_true_fn": lambda tf: tf.cond(True, None, lambda: 2),
    "cond_not_callable": lambda tf: tf.cond(True, 1, lambda: 2),
    "cond_vector_pred": lambda tf: tf.cond(tf.constant([True, False]), lambda: 1, lambda: 2),
    "while_cond_not_callable": lambda tf: tf.while_loop(1, lambda i: i, [0]),
    "while_body_not_callable": lambda tf: tf.while_loop(lambda i: True, 1, [0]),
    "while_no_loop_vars": lambda tf: tf.while_loop(lambda: True, lambda: (), []),
    "while_body_not_a_sequence": lambda tf: tf.while_loop(lambda i: i < 10, lambda i: i + 1, [0]),
    "while_structure_changes": (lambda tf: tf.while_loop(
        lambda i: i < 3, lambda i: (i + 1, i), [0]), False),
    "while_list_becomes_tuple": (lambda tf: tf.while_loop(
        lambda i: i < 10, lambda i: (i + 1,), [0], maximum_iterations=3), False),
    "while_vector_limit": lambda tf: tf.while_loop(
        lambda i: i < 3, lambda i: (i + 1,), (0,), maximum_iterations=[3]),
    "switch_python_index": lambda tf: tf.switch_case(1, [lambda: 1, lambda: 2]),
    "switch_float_index": lambda tf: tf.switch_case(tf.constant(1.0), [lambda: 1, lambda: 2]),
    "switch_keys": lambda tf: tf.switch_case(tf.constant(1), {1: lambda: 1, 2: lambda: 2}),
    "switch_empty": lambda tf: tf.switch_case(tf.constant(0), []),
    "switch_entry": lambda tf: tf.switch_case(tf.constant(0), [1, 2]),
    "switch_string": lambda tf: tf.switch_case(tf.constant(0), "ab"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_tensorflow(real_tf, case):
    same_error(real_tf, ERRORS[case])


# --- traced: lax.switch / while_loop / scan, recorded on the tape as one node ------------------
def test_traced_cond_value_and_gradient():
    def f(a, w):
        a, w = tensor(a), tapejax.Variable(w)
        with tapejax.GradientTape() as tape:
            y = tapejax.cond(a > 0, lambda: a * w * w, lambda: a + w)
        return y._value, tape.gradient(y, w)._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0), np.float32(3.0)), [18.0, 12.0])
    np.testing.assert_allclose(jax.jit(f)(np.float32(-2.0), np.float32(3.0)), [1.0, 1.0])


def test_traced_cond_gradient_reaches_the_predicate_inputs_only_through_branches():
    def f(a):
        a = tensor(a)
        with tapejax.GradientTape() as tape:
            tape.watch(a)
            y = tapejax.cond(a > 1.0, lambda: tapejax.square(a), lambda: 3.0 * a)
        return tape.gradient(y, a)._value
    assert float(jax.jit(f)(np.float32(2.0))) == 4.0
    assert float(jax.jit(f)(np.float32(0.5))) == 3.0


def test_traced_cond_under_vmap():
    def f(a):
        a = tensor(a)
        return tapejax.cond(a > 0, lambda: a * 2.0, lambda: -a)._value
    np.testing.assert_allclose(jax.vmap(f)(V), [1.0, 1.0, 4.0])


def test_traced_cond_returns_structures():
    def f(a):
        a = tensor(a)
        out = tapejax.cond(a > 0, lambda: {"x": a, "n": (a * 2.0, 1)},
                           lambda: {"x": -a, "n": (a, 2)})
        assert isinstance(out, dict) and isinstance(out["n"], tuple)
        return out["x"]._value, out["n"][0]._value, out["n"][1]._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(-1.0)), [1.0, -1.0, 2.0])


@pytest.mark.parametrize("index, expected", [(0, (2.0, 1.0)), (1, (4.0, 4.0)), (2, (8.0, 12.0)),
                                             (5, (8.0, 12.0)), (-1, (8.0, 12.0))])
def test_traced_switch_case(index, expected):
    def f(idx, a):
        a = tensor(a)
        with tapejax.GradientTape() as tape:
            tape.watch(a)
            y = tapejax.switch_case(tensor(idx), [lambda: a, lambda: a * a, lambda: a * a * a])
        return y._value, tape.gradient(y, a)._value
    np.testing.assert_allclose(jax.jit(f)(np.int32(index), np.float32(2.0)), expected)


def test_traced_while_with_maximum_iterations_is_differentiable():
    def f(a):
        a = tensor(a)
        with tapejax.GradientTape() as tape:
            tape.watch(a)
            i, s = tapejax.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * a),
                                      (0, tapejax.constant(1.0)), maximum_iterations=10)
        return i._value, s._value, tape.gradient(s, a)._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [4, 16.0, 32.0])


def test_traced_while_stops_at_maximum_iterations():
    def f(a):
        i, s = tapejax.while_loop(lambda i, s: s < 1e6, lambda i, s: (i + 1, s * tensor(a)),
                                  (0, tapejax.constant(1.0)), maximum_iterations=3)
        return i._value, s._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [3, 8.0])


def test_traced_while_without_limit_uses_lax_while_loop():
    def f(a):
        a = tensor(a)
        i, s = tapejax.while_loop(lambda i, s: s < 100.0, lambda i, s: (i + 1, s * a),
                                  (0, tapejax.constant(1.0)))
        return i._value, s._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [7, 128.0])
    assert "while" in str(jax.make_jaxpr(f)(np.float32(2.0)))


def test_loop_turns_traced_when_the_condition_does():
    """Concrete loop state but a traced condition: the loop continues as a lax loop."""
    def f(limit):
        limit = tensor(limit)
        (n,) = tapejax.while_loop(lambda n: n < limit, lambda n: (n + 1.0,), (0.0,))
        return n._value
    assert float(jax.jit(f)(np.float32(5.0))) == 5.0


def test_traced_control_flow_matches_tensorflow_function(real_tf):
    """Values and gradients of a traced program equal TF's tf.function on the same program."""
    def program(tf, a, w):
        with tf.GradientTape() as tape:
            tape.watch([a, w])
            _, s = tf.while_loop(lambda i, s: i < 3,
                                 lambda i, s: (i + 1, tf.cond(s > 1.0, lambda: s * w,
                                                              lambda: s + w)),
                                 (0, a), maximum_iterations=5)
            y = tf.switch_case(tf.cast(s > 2.0, tf.int32), [lambda: s, lambda: s * s])
        return (y, *tape.gradient(y, [a, w]))

    a, w = np.float32(0.7), np.float32(1.3)
    theirs = real_tf.function(lambda a, w: program(real_tf, a, w))(real_tf.constant(a),
                                                                   real_tf.constant(w))
    ours = jax.jit(lambda a, w: [t._value for t in program(tapejax, tensor(a), tensor(w))])(a, w)
    np.testing.assert_allclose(ours, [t.numpy() for t in theirs], rtol=1e-5)


def test_second_order_through_traced_cond():
    def f(a):
        a = tensor(a)
        with tapejax.GradientTape() as outer:
            outer.watch(a)
            with tapejax.GradientTape() as inner:
                inner.watch(a)
                y = tapejax.cond(a > 0, lambda: a * a * a, lambda: a)
            dy = inner.gradient(y, a)
        return dy._value, outer.gradient(dy, a)._value
    np.testing.assert_allclose(jax.jit(f)(np.float32(2.0)), [12.0, 12.0])


def test_numerical_gradient_through_eager_control_flow():
    numeric_gradients(lambda tf, x, v: tf.while_loop(
        lambda i, s: i < 3, lambda i, s: (i + 1, tf.cond(tf.reduce_sum(s) > 0.0,
                                                         lambda: s * x, lambda: s - x)),
        (0, v))[1], X, V)


def test_traced_limit_must_be_concrete():
    def f(n):
        return tapejax.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,),
                                  maximum_iterations=tensor(n))[0]._value
    with pytest.raises(TypeError, match="concrete"):
        jax.jit(f)(np.int32(3))
