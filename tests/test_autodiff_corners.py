"""TF's autodiff semantics in the corners (issue #14): each program runs under TF and tapejax.

The suite runs this file with lazy recording on and off (``TAPEJAX_LAZY_TAPE=0``).
"""
import numpy as np
import pytest

from tf_oracle import same_error, same_program


def _raises(tf, call):
    """The class name and message of the error ``call()`` raises (compared across libraries;
    TF adds the user's frames to an error raised in a function, before its own message)."""
    try:
        call()
    except Exception as error:  # the class and message are the result
        name, message = type(error).__name__, str(error).strip().splitlines()[-1].strip()
        return name, message.removeprefix(f"{name}: ")
    raise AssertionError("no error")


def _same_error(real_tf, program):
    import tapejax
    assert program(tapejax) == program(real_tf)


# --- a Variable as its own target ------------------------------------------------------------
def test_variable_created_inside_the_tape_is_its_own_gradient(real_tf):
    def program(tf):
        outside = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            v = tf.Variable([3.0, 1.0])
            w = tf.Variable(2.0)
        with tf.GradientTape() as unread:
            pass
        return (tape.gradient(v, v), tape.gradient(v, w), tape.gradient(v, [v, w]),
                unread.gradient(outside, outside))

    same_program(real_tf, program)


# --- jacobian without pfor; unconnected batch_jacobian ---------------------------------------
@pytest.mark.parametrize("method", ["jacobian", "batch_jacobian"])
def test_jacobian_without_pfor_needs_a_persistent_tape(real_tf, method):
    def program(tf):
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * 2.0
        error = _raises(tf, lambda: getattr(tape, method)(y, x, experimental_use_pfor=False))
        return error, tape.gradient(y, x).numpy().tolist()  # the tape is still usable

    _same_error(real_tf, program)


def test_jacobian_without_pfor_on_a_persistent_tape(real_tf):
    def program(tf):
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.sin(x) * x
        return (tape.jacobian(y, x, experimental_use_pfor=False),
                tape.batch_jacobian(y, x, experimental_use_pfor=False))

    same_program(real_tf, program)


def test_unconnected_batch_jacobian_is_zeros(real_tf):
    def program(tf):
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = tf.constant([[1.0, 2.0, 3.0]], tf.float64)
        return (tape.batch_jacobian(y, x), tape.batch_jacobian(y, x, unconnected_gradients="zero"),
                tape.jacobian(y, x))

    same_program(real_tf, program)


# --- nested forward accumulators -------------------------------------------------------------
def test_nested_accumulators_give_the_second_order_jvp(real_tf):
    def program(tf):
        x = tf.constant([1.0, 2.0])
        with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.5])) as outer:
            with tf.autodiff.ForwardAccumulator(x, tf.constant([2.0, 1.0])) as inner:
                y = tf.sin(x) * x
            inside = outer.jvp(inner.jvp(y))
        with tf.GradientTape() as tape:
            tape.watch(x)
            with tf.autodiff.ForwardAccumulator(x, tf.constant([2.0, 1.0])) as acc:
                z = tf.exp(x) * x
        # asked after every context exited: TF computed the tangents as the ops ran
        return (inner.jvp(y), outer.jvp(inner.jvp(y)), inside, outer.jvp(y),
                tape.gradient(acc.jvp(z), x))

    same_program(real_tf, program)


# --- second order: None where the first gradient does not depend on the input ----------------
def test_second_order_is_none_where_the_gradient_is_constant(real_tf):
    def program(tf):
        x, y = tf.constant([1.0, 2.0]), tf.constant([3.0, -1.0])
        v = tf.Variable([0.5, 2.0])
        with tf.GradientTape(persistent=True) as outer:
            outer.watch([x, y])
            with tf.GradientTape() as inner:
                inner.watch([x, y])
                z = tf.reduce_sum(x * y + x * 3.0 + v * 2.0 + tf.sin(y))
            gx, gy, gv = inner.gradient(z, [x, y, v])
        return (gx, gy, gv, outer.gradient(gx, [x, y, v]), outer.gradient(gy, [x, y, v]),
                outer.gradient(gv, [x, y, v]), outer.jacobian(gx, [x, y]))

    same_program(real_tf, program)


def _second_order_through_comparisons(tf):
    """Second order of a composite whose gradients select on comparisons: ``maximum`` and
    ``reduce_max`` leave it None, ``relu`` (TF's ``ReluGradGrad``) connects with zeros."""
    x, y = tf.constant([1.0, -2.0, 0.5]), tf.constant([0.5, 3.0, 0.5])

    def grads(x, y):
        with tf.GradientTape(persistent=True) as outer:
            outer.watch([x, y])
            with tf.GradientTape() as inner:
                inner.watch([x, y])
                z = (tf.reduce_max(tf.maximum(x, y)) + tf.reduce_sum(tf.nn.relu(x * y))
                     + tf.reduce_sum(tf.math.floormod(x, y) * x))
            gx, gy = inner.gradient(z, [x, y])
        return gx, gy, outer.gradient(gx, [x, y]), outer.gradient(gy, [x, y])
    return grads(x, y), tf.function(grads)(x, y)


def test_second_order_is_none_through_comparisons(real_tf):
    same_program(real_tf, _second_order_through_comparisons)


# --- a tapejax.function call is one op: an input connects if it reaches any output -----------
def _function_call_connectivity(tf):
    """TF's gradient of a function call gives zeros to an input that reaches another output and
    None to one that reaches no output differentiably (floor, comparisons, integers)."""
    x, y, v = tf.Variable(3.0), tf.Variable(4.0), tf.Variable(5.0)

    def grads(f, *args):
        with tf.GradientTape(persistent=True) as tape:
            outs = f(*args)
        outs = outs if isinstance(outs, tuple) else (outs,)
        return [tape.gradient(o, [x, y, v]) for o in outs if o.dtype.is_floating]

    @tf.function
    def inner_gradient(a):
        with tf.GradientTape() as tape:
            b = 2.0 * a
        return tape.gradient(b, a)

    @tf.function
    def carried(a, b):  # b reaches the result only from the second iteration on
        p, q = tf.constant(0.0), tf.constant(0.0)
        for _ in tf.range(3):
            p, q = q, b * 2.0
        return p + tf.floor(a)

    return (grads(tf.function(lambda a, b: tf.floor(a)), x, y),
            grads(tf.function(lambda a, b: (tf.floor(a), b * 3.0)), x, y),
            grads(tf.function(lambda a: (a * 2.0, tf.floor(v))), x),
            grads(tf.function(lambda a, b: tf.where(a > 0, b, 1.0)), x, y),
            grads(tf.function(lambda a, b: (tf.cast(a, tf.int32), b * 2.0)), x, y),
            grads(tf.function(lambda a, b: tf.cast(tf.argmax([a, b]), tf.float32) + b), x, y),
            grads(inner_gradient, x), grads(carried, x, y))


def test_function_call_connects_inputs_as_tensorflow(real_tf):
    same_program(real_tf, _function_call_connectivity)


# --- a list holding Tensors or Variables is packed (a recorded stack), as TF converts it -----
def test_lists_of_tensors_are_packed_with_their_gradients(real_tf):
    def program(tf):
        x, y, c = tf.Variable(3.0), tf.Variable(4.0), tf.constant(2.0)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(c)
            sums = tf.reduce_sum([x, y]), tf.reduce_sum([c, 1.0]), tf.reduce_max([[x], [c]])
            packed = tf.convert_to_tensor([x, 2.0 * c])
        return ([tape.gradient(s, [x, y, c]) for s in sums], packed,
                tape.gradient(packed, [x, c]),
                tf.function(lambda: (tf.argmax([x, y]), tf.reduce_sum([x, 2.0])))())

    same_program(real_tf, program)


def test_a_requested_dtype_casts_packed_tensors(real_tf):
    """TF's autopacking casts the Tensors of a list to a requested dtype other than the first
    Tensor's (Keras builds ``SparseTensor(i, v, (tf.shape(x)[0], n))`` on it); the same dtype
    leaves them alone, so a mixed list still fails."""
    def program(tf):
        n, x = tf.constant(3), tf.Variable(1.5)
        with tf.GradientTape() as tape:
            doubled = tf.convert_to_tensor([x, tf.constant(2.0)], dtype=tf.float64) * 2.0
        return (tf.convert_to_tensor((n, n), dtype=tf.int64),
                tf.convert_to_tensor([n, 4], dtype=tf.float32),
                tf.SparseTensor([[0, 1]], [1.0], (n, 4)).dense_shape,
                doubled, tape.gradient(doubled, x))

    same_program(real_tf, program)
    for mixed in (lambda tf: tf.convert_to_tensor([tf.constant(1), tf.constant(2, tf.int64)],
                                                  dtype=tf.int32),
                  lambda tf: tf.convert_to_tensor(tf.constant(1), dtype=tf.int64)):
        same_error(real_tf, mixed, message=False)


# --- custom_gradient inside tapejax.function, differentiated outside -------------------------
def _custom_gradient_programs(tf):
    v = tf.Variable([2.0, -1.0])

    @tf.custom_gradient
    def outside(x):
        return x * x, lambda dy: dy * 10.0

    @tf.custom_gradient
    def uses_variable(x):
        def grad(dy, variables=None):
            return dy * 7.0, [dy * 100.0]
        return x * v, grad

    @tf.function
    def defined_outside(x):
        return outside(x) * 2.0 + uses_variable(x)

    @tf.function
    def defined_inside(x):
        s = x * 2.0

        @tf.custom_gradient
        def inside(z):
            def grad(dy, variables=None):
                return dy * s * 10.0, [dy * 3.0]
            return z * s * v, grad
        return inside(x) + x

    x = tf.constant([3.0, 0.5])
    out = []
    for f in (defined_outside, defined_inside):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        out += [y, tape.gradient(y, [x, v])]
    return out


def test_custom_gradient_inside_a_function_holds_for_a_tape_outside(real_tf):
    same_program(real_tf, _custom_gradient_programs)


def test_custom_gradient_python_arguments(real_tf):
    def program(tf):
        @tf.custom_gradient
        def scaled(x, scale=1.0):
            return x * x, lambda dy: dy * 10.0 * scale

        @tf.function
        def with_keyword(x):
            return scaled(x, scale=4.0)

        x = tf.constant(3.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = scaled(x, scale=4.0)  # eager: keywords are fine, and get no gradient
        with tf.GradientTape() as positional:
            positional.watch(x)
            z = scaled(x, 4.0)  # a positional Python value still counts as an input
        return (tape.gradient(y, x).numpy(), _raises(tf, lambda: positional.gradient(z, x)),
                _raises(tf, lambda: with_keyword(x)))

    _same_error(real_tf, program)


# --- a grad_fn that calls a custom_gradient function (TF's second-order override) -----------
def _override_second_order(tf):
    @tf.custom_gradient
    def f(x):
        def first_order_grad(dz):
            @tf.custom_gradient
            def first_order_custom(unused_x):
                return tf.constant(-1.1), lambda ddz: -2.1 * ddz
            return dz * first_order_custom(x)
        return x + 10.0, first_order_grad

    @tf.function
    def traced(x):
        return f(x) ** 4.0

    c = tf.constant(1.0)
    out = []
    for g in (lambda x: f(x) ** 4.0, traced):
        with tf.GradientTape() as outer:
            outer.watch(c)
            with tf.GradientTape() as inner:
                inner.watch(c)
                d = g(c)
            dd = inner.gradient(d, c)
        out += [dd, outer.gradient(dd, c)]
    return out


def test_second_order_uses_the_custom_gradient_of_the_grad_fn(real_tf):
    out = same_program(real_tf, _override_second_order, rtol=1e-5)
    f = 11.0  # TF's own test states the expected numbers
    np.testing.assert_allclose(out[1].numpy(), 12 * f ** 2 * 1.1 * 1.1 - 4 * f ** 3 * 2.1,
                               rtol=1e-5)


def test_custom_gradient_variables_are_the_trainable_ones(real_tf):
    """TF's variable watcher sees trainable Variables only: a non-trainable one read inside
    a ``custom_gradient`` function is not passed to ``grad_fn`` (Keras's int8 kernels)."""
    def program(tf):
        v, frozen = tf.Variable(2.0), tf.Variable(3.0, trainable=False)
        seen = []

        @tf.custom_gradient
        def scaled(x):
            def grad(dy, variables=None):
                seen.append(len(variables or []))
                return dy * 10.0, [dy * 100.0 for _ in (variables or [])]
            return x * v * frozen, grad

        @tf.custom_gradient
        def frozen_only(x):  # reads no trainable Variable: grad_fn needs no `variables`
            return x * frozen, lambda dy: dy * 7.0

        x = tf.constant(1.0)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            a, b = scaled(x), frozen_only(x)

        @tf.function
        def inside(x):
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = frozen_only(x)
            return inner.gradient(y, x)
        return (tape.gradient(a, [x, v, frozen]), tape.gradient(b, [x, frozen]),
                tf.constant(seen), inside(x))

    same_program(real_tf, program)
