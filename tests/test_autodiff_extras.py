"""custom_gradient, recompute_grad, ForwardAccumulator, compute_gradient, debugging and
explain_gradient: the same programs under TensorFlow and tapejax, plus numerical checks."""
import numpy as np
import pytest

import tapejax
from helpers import assert_same
from tapejax import _backprop


def _log1pexp(tf):
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))
        return tf.math.log(1 + e), grad

    x = tf.constant([0.0, 2.0, 100.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = log1pexp(x)
    return [y, g.gradient(y, x)]


def _multi_io(tf):
    @tf.custom_gradient
    def f(a, b):
        def grad(dy1, dy2):
            return dy1 * b + dy2, None
        return [a * b, a + b], grad

    a, b = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    with tf.GradientTape() as g:
        g.watch([a, b])
        y1, y2 = f(a, b)
        loss = tf.reduce_sum(y1 * 2.0 + y2)
    return g.gradient(loss, [a, b])


def _with_variables(tf):
    v = tf.Variable([2.0, 3.0])

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            return dy * v, [dy * x * 10.0]
        return x * v, grad

    x = tf.constant([1.0, -1.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = tf.reduce_sum(scale(x))
    return g.gradient(y, [x, v])


def _second_order(tf):
    @tf.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * x * x
        return x * x * x, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        d = inner.gradient(y, x)
    return [d, outer.gradient(d, x)]


def _eager_branching_grad(tf):
    @tf.custom_gradient
    def clipped(x):
        def grad(dy):
            return dy if float(tf.reduce_sum(x)) > 0 else dy * 0.0
        return x * 1.0, grad

    out = []
    for value in (1.0, -1.0):
        x = tf.constant(value)
        with tf.GradientTape() as g:
            g.watch(x)
            y = clipped(x) * 3.0
        out.append(g.gradient(y, x))
    return out


def _recompute(tf):
    def block(x):
        return tf.sin(x) * tf.tanh(x * 2.0)

    x = tf.constant([0.3, -0.7, 1.1])
    fast = tf.recompute_grad(block)
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y1 = tf.reduce_sum(block(x))
        y2 = tf.reduce_sum(fast(x))
    return [y1, y2, g.gradient(y1, x), g.gradient(y2, x)]


def _forward_accumulator(tf):
    x = tf.constant([1.0, 2.0, 3.0])
    v = tf.Variable([0.5, -0.5])
    with tf.autodiff.ForwardAccumulator(primals=[x, v],
                                        tangents=[tf.constant([1.0, 0.0, 2.0]),
                                                  tf.constant([1.0, 1.0])]) as acc:
        y = tf.reduce_sum(tf.sin(x) * x)
        z = v * v
        unconnected = tf.constant(4.0) * 2.0
    return [acc.jvp(y), acc.jvp(z), acc.jvp(x), acc.jvp(unconnected),
            acc.jvp(unconnected, unconnected_gradients="zero")]


def _hvp_forward_over_reverse(tf):
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0, -1.0])) as acc:
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(v**3.0) + tf.reduce_prod(v)
        backward = tape.gradient(y, v)
    return [backward, acc.jvp(backward)]


def _reverse_over_forward(tf):
    x = tf.constant([0.5, 1.5])
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 1.0])) as acc:
            y = tf.reduce_sum(tf.exp(x) * x)
        jv = acc.jvp(y)
    return [jv, tape.gradient(jv, x)]


def _custom_gradient_forward_mode(tf):
    @tf.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3.0 * x * x
        return x * x * x, grad

    x = tf.constant([1.0, 2.0])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, -1.0])) as acc:
        y = cube(x)
    return acc.jvp(y)


def _compute_gradient(tf):
    theoretical, numerical = tf.test.compute_gradient(lambda a, b: a * b + tf.sin(a),
                                                      [tf.constant([1.0, 2.0]), 3.0])
    return [tf.constant(t) for t in theoretical] + [tf.constant(n) for n in numerical]


def _check_numerics_gradient(tf):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = tf.reduce_sum(tf.debugging.check_numerics(x * x, "message"))
    return g.gradient(y, x)


PROGRAMS = [_log1pexp, _multi_io, _with_variables, _second_order, _eager_branching_grad,
            _recompute, _forward_accumulator, _hvp_forward_over_reverse, _reverse_over_forward,
            _custom_gradient_forward_mode, _compute_gradient, _check_numerics_gradient]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_same_results_as_tensorflow(real_tf, program):
    assert_same(program(tapejax), program(real_tf), rtol=1e-5, atol=1e-5)


def _errors():
    def wrong_number_of_gradients(tf):
        @tf.custom_gradient
        def f(a, b):
            return a * b, lambda dy: dy
        a, b = tf.constant(1.0), tf.constant(2.0)
        with tf.GradientTape() as g:
            g.watch([a, b])
            y = f(a, b)
        return g.gradient(y, [a, b])

    def missing_variables_argument(tf):
        v = tf.Variable(1.0)

        @tf.custom_gradient
        def f(x):
            return x * v, lambda dy: dy
        return f(tf.constant(1.0))

    def duplicate_primals(tf):
        x = tf.constant(1.0)
        return tf.autodiff.ForwardAccumulator([x, x], [1.0, 1.0])

    def accumulator_reentered(tf):
        acc = tf.autodiff.ForwardAccumulator(tf.constant(1.0), 1.0)
        with acc:
            with acc:
                pass

    def check_numerics_nan(tf):
        return tf.debugging.check_numerics(tf.constant([1.0, np.nan]), "bad")

    def check_numerics_inf(tf):
        return tf.debugging.check_numerics(tf.constant([np.inf]), "bad")

    def check_numerics_int(tf):
        return tf.debugging.check_numerics(tf.constant([1]), "bad")

    def assert_equal_fails(tf):
        return tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))

    def assert_less_fails(tf):
        return tf.debugging.assert_less(tf.constant([1, 2]), tf.constant([1, 3]))

    def assert_near_fails(tf):
        return tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1]))

    def assert_rank_fails(tf):
        return tf.debugging.assert_rank(tf.constant([1.0]), 2)

    def assert_type_fails(tf):
        return tf.debugging.assert_type(tf.ones((2,)), tf.int32)

    def assert_positive_fails(tf):
        return tf.debugging.assert_positive(tf.constant([-1.0]))

    def compute_gradient_not_list(tf):
        return tf.test.compute_gradient(lambda x: x, 1.0)

    return [wrong_number_of_gradients, missing_variables_argument, duplicate_primals,
            accumulator_reentered, check_numerics_nan, check_numerics_inf, check_numerics_int,
            assert_equal_fails, assert_less_fails, assert_near_fails, assert_rank_fails,
            assert_type_fails, assert_positive_fails, compute_gradient_not_list]


def _raised(tf, program):
    try:
        program(tf)
    except Exception as e:  # the class is what we compare
        return type(e).__name__, str(e)
    return None, None


@pytest.mark.parametrize("program", _errors(), ids=lambda p: p.__name__)
def test_same_exception_class_as_tensorflow(real_tf, program):
    theirs, their_text = _raised(real_tf, program)
    ours, our_text = _raised(tapejax, program)
    assert theirs is not None
    assert ours == theirs, f"TF: {theirs}: {their_text}\ntapejax: {ours}: {our_text}"


def test_debugging_passes_good_values():
    tf = tapejax
    assert tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2]) is None
    assert tf.debugging.assert_near(tf.constant(1.0), tf.constant(1.0 + 1e-7)) is None
    assert tf.debugging.assert_rank(tf.ones((2, 3)), 2) is None
    np.testing.assert_array_equal(
        tf.debugging.check_numerics(tf.constant([1.0]), "ok").numpy(), [1.0])


def test_custom_gradient_matches_numerical_gradient():
    tf = tapejax

    @tf.custom_gradient
    def softplus(x):
        def grad(dy):
            return dy * tf.sigmoid(x)
        return tf.math.log(1.0 + tf.exp(x)), grad

    theoretical, numerical = tf.test.compute_gradient(softplus, [tf.constant([-1.0, 0.5])])
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=1e-3, atol=1e-3)


def test_recompute_grad_is_compiled_once_in_a_loop():
    tf = tapejax
    block = tf.recompute_grad(lambda x: tf.tanh(x) * x)
    _backprop.CACHE.clear()
    for step in range(5):
        x = tf.constant(np.full(3, step, np.float32))
        with tf.GradientTape() as g:
            g.watch(x)
            y = tf.reduce_sum(block(x))
        g.gradient(y, x)
    assert _backprop.CACHE.info()["misses"] == 1


def test_jacobian_parallel_iterations_bounds_memory():
    tf = tapejax
    x = tf.constant(np.linspace(-1, 1, 512).astype(np.float32))
    w = tf.constant(np.random.default_rng(0).normal(size=(512, 512)).astype(np.float32))
    sizes = {}
    for chunk in (None, 16):
        _backprop.CACHE.clear()
        with tf.GradientTape() as g:
            g.watch(x)
            y = tf.tanh(tf.reshape(tf.matmul(w, tf.reshape(x, (512, 1))), (512,)))
        jac = g.jacobian(y, x, parallel_iterations=chunk)
        (entry,) = _backprop.CACHE.entries.values()
        args = ([x._value], [w._value])
        compiled = entry.call.lower(*args).compile()
        sizes[chunk] = compiled.memory_analysis().temp_size_in_bytes
        sizes[(chunk, "jac")] = jac.numpy()
    np.testing.assert_allclose(sizes[(None, "jac")], sizes[(16, "jac")], rtol=1e-5, atol=1e-6)
    assert sizes[16] < sizes[None] / 4, sizes


# --- explain_gradient: one test per cause ---------------------------------------------------
def test_explain_not_watched():
    tf = tapejax
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x
    assert "not watched" in tf.explain_gradient(tape, y, x)
    assert tape.gradient(y, x) is None


def test_explain_non_trainable_and_unwatched_variables():
    tf = tapejax
    frozen = tf.Variable(1.0, trainable=False)
    v = tf.Variable(1.0)
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        y = frozen * v
    assert "non-trainable" in tf.explain_gradient(tape, y, frozen)
    assert "watch_accessed_variables=False" in tf.explain_gradient(tape, y, v)


def test_explain_integer_dtype():
    tf = tapejax
    i = tf.constant(3)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.cast(i, tf.float32) * 2.0
    assert "dtype int32" in tf.explain_gradient(tape, y, i)


def test_explain_non_differentiable_op_names_it_and_where():
    tf = tapejax
    x = tf.constant(2.5)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * 2.0
    text = tf.explain_gradient(tape, y, x)
    assert "`cast`" in text and "test_autodiff_extras.py" in text
    assert tape.gradient(y, x) is None


def test_explain_computed_outside_tape():
    tf = tapejax
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
    y = x * x
    assert "outside the tape" in tf.explain_gradient(tape, y, x)


def test_explain_stop_recording():
    tf = tapejax
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            y = x * x
        z = y + 1.0
    assert "stop_recording" in tf.explain_gradient(tape, z, x)


def test_explain_connected_and_used_tape():
    tf = tapejax
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tf.explain_gradient(tape, y, x).startswith("Connected")
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="explain_gradient before gradient"):
        tf.explain_gradient(tape, y, x)


def _recompute_with_variables(tf):
    v = tf.Variable([2.0, 3.0])
    block = tf.recompute_grad(lambda x: tf.sin(x) * v)
    x = tf.constant([1.0, -1.0])
    out = []
    for value in ([2.0, 3.0], [1.0, 1.0]):  # the re-run must see the current values
        v.assign(value)
        with tf.GradientTape() as g:
            g.watch(x)
            y = tf.reduce_sum(block(x) * block(x))
        out.extend(g.gradient(y, [x, v]))
    return out


def test_recompute_with_variables_matches_tensorflow(real_tf):
    assert_same(_recompute_with_variables(tapejax), _recompute_with_variables(real_tf))


def test_recompute_and_custom_gradient_inside_function():
    tf = tapejax
    v = tf.Variable([2.0, 3.0])
    block = tf.recompute_grad(lambda x: tf.sin(x) * v)

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            return dy * v, [dy * x * 10.0]
        return x * v, grad

    @tf.function
    def grads(x):
        with tf.GradientTape() as g:
            g.watch(x)
            y = tf.reduce_sum(block(x)) + tf.reduce_sum(scale(x))
        return g.gradient(y, [x, v])

    x = tf.constant([1.0, -1.0])
    for value in ([2.0, 3.0], [1.0, 1.0]):
        v.assign(value)
        gx, gv = grads(x)
        np.testing.assert_allclose(gx.numpy(), np.cos([1.0, -1.0]) * value + value, rtol=1e-6)
        np.testing.assert_allclose(gv.numpy(), np.sin([1.0, -1.0]) + [10.0, -10.0], rtol=1e-6)
