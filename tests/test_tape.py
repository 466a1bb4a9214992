"""GradientTape semantics: TF's tutorial and docstring examples, misuse, structures."""
import logging
import threading

import numpy as np
import pytest

import tapejax as tf
from tapejax import errors


def scalar(t):
    assert t is not None
    return float(t.numpy())


# --- the tutorial examples (issue 2's list) -----------------------------------------------
def test_cube_gradient_is_75():
    x = tf.constant(5.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x * x
    dy = g.gradient(y, x)
    assert str(dy) == "tf.Tensor(75.0, shape=(), dtype=float32)"


def test_nested_tapes_first_and_second_derivative():
    p = tf.constant(4.0)
    with tf.GradientTape() as outer:
        outer.watch(p)
        with tf.GradientTape() as inner:
            inner.watch(p)
            y = p**3
        first = inner.gradient(y, p)
    second = outer.gradient(first, p)
    assert scalar(first) == 48.0 and scalar(second) == 24.0


def test_third_order_by_three_nested_tapes():
    x = tf.constant(2.0)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = x**4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert [scalar(d) for d in (d1, d2, d3)] == [32.0, 48.0, 48.0]


def test_variables_are_watched_automatically():
    p = tf.Variable(2.0)
    with tf.GradientTape() as g:
        y = p**3
    assert scalar(g.gradient(y, p)) == 12.0


def test_non_trainable_variable_and_constant_give_none():
    frozen = tf.Variable(4.0, trainable=False)
    c = tf.constant(3.0)
    with tf.GradientTape() as g:
        y = frozen * frozen + c * c
    assert g.gradient(y, [frozen, c]) == [None, None]


def test_watch_accessed_variables_false():
    x, w = tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        tape.watch(x)
        y = x**2
        z = w**3
    assert scalar(tape.gradient(y, x)) == 4.0
    assert tape.gradient(z, w) is None
    assert tape.watched_variables() == (x,)


def test_persistent_tape_two_gradients():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = x * x + x
        z = y * y / 4.0 - 9.0
    assert scalar(g.gradient(y, x)) == 7.0
    w = tf.constant(1.0)
    with tf.GradientTape(persistent=True) as h:
        h.watch(w)
        a = w * 10.0
        b = w * w * 27.0 - w * 27.0
    assert scalar(h.gradient(a, w)) == 10.0
    assert scalar(h.gradient(b, w)) == 27.0
    assert scalar(g.gradient(z, x)) == pytest.approx(2 * 12.0 * 7.0 / 4.0)


def test_second_gradient_on_non_persistent_tape_raises():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    g.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used"):
        g.gradient(y, x)


def test_stop_recording():
    x = tf.constant(4.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tape.stop_recording():
            y = x**2
    assert tape.gradient(y, x) is None


def test_gradient_inside_stop_recording():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        with tape.stop_recording():
            dy = tape.gradient(y, x)
        z = dy * x
    assert scalar(dy) == 6.0
    # dy was not recorded, so z depends on x only through the direct use.
    assert scalar(tape.gradient(z, x)) == 6.0


def test_persistent_gradient_inside_context_is_recorded(caplog):
    x = tf.constant(3.0)
    with caplog.at_level(logging.WARNING, logger="tapejax"):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x**3
            dy = tape.gradient(y, x)
    assert "significantly less efficient" in caplog.text
    assert scalar(dy) == 27.0
    assert scalar(tape.gradient(dy, x)) == 18.0


# --- TF docstring examples ----------------------------------------------------------------
def test_docstring_jacobian_example():
    with tf.GradientTape() as g:
        x = tf.constant([1.0, 2.0])
        g.watch(x)
        y = x * x
    np.testing.assert_array_equal(g.jacobian(y, x).numpy(), [[2.0, 0.0], [0.0, 4.0]])


def test_docstring_batch_jacobian_example():
    with tf.GradientTape() as g:
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float32)
        g.watch(x)
        y = x * x
    bj = g.batch_jacobian(y, x)
    assert bj.shape == (2, 2, 2)
    np.testing.assert_array_equal(bj.numpy(), [[[2, 0], [0, 4]], [[6, 0], [0, 8]]])


def test_docstring_nested_second_derivative():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        with tf.GradientTape() as gg:
            gg.watch(x)
            y = x * x
        dy_dx = gg.gradient(y, x)
    assert scalar(dy_dx) == 6.0
    assert scalar(g.gradient(dy_dx, x)) == 2.0


# --- misuse -------------------------------------------------------------------------------
def test_reentering_active_tape_raises():
    tape = tf.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="Tape is still recording"):
            with tape:
                pass


def test_reentering_used_non_persistent_tape_starts_fresh():
    x = tf.constant(2.0)
    tape = tf.GradientTape()
    with tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with tape:
        tape.watch(x)
        z = x * x * x
    assert scalar(tape.gradient(z, x)) == 12.0


def test_stop_recording_and_reset_outside_context():
    tape = tf.GradientTape()
    with pytest.raises(RuntimeError, match="Trying to stop recording a tape which is not"):
        with tape.stop_recording():
            pass
    with pytest.raises(ValueError, match="Tape is not recording"):
        tape.reset()
    persistent = tf.GradientTape(persistent=True)
    with persistent:
        pass
    with pytest.raises(ValueError, match="Tape is not recording"):
        with persistent.stop_recording():
            pass


def test_target_none_raises_type_error():
    x = tf.constant(1.0)
    with tf.GradientTape() as g:
        g.watch(x)
    with pytest.raises(TypeError, match="received None"):
        g.gradient(None, x)


def test_unknown_unconnected_gradients_value():
    x = tf.constant(1.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'bogus'"):
        g.gradient(y, x, unconnected_gradients="bogus")


def test_watch_rejects_non_tensors():
    with tf.GradientTape() as g:
        with pytest.raises(ValueError, match="not tf.Tensor or tf.Variable"):
            g.watch(3.0)


def test_watch_integer_logs_and_gives_none(caplog):
    i = tf.constant(3)
    with caplog.at_level(logging.WARNING, logger="tapejax"):
        with tf.GradientTape() as g:
            g.watch(i)
            y = i * i
    assert "must be floating" in caplog.text
    assert g.gradient(y, i) is None


def test_batch_jacobian_shape_mismatch():
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as g:
        g.watch(x)
        y = tf.concat([x, x], axis=0)
    with pytest.raises(ValueError, match="Need first dimension of target shape"):
        g.batch_jacobian(y, x)


# --- structures and options ---------------------------------------------------------------
def test_sources_structure_is_kept():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    grads = g.gradient(y, {"b": x, "a": [x, (x,)]})
    assert set(grads) == {"a", "b"}
    assert scalar(grads["b"]) == 6.0 and scalar(grads["a"][1][0]) == 6.0


def test_multiple_targets_are_summed():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    assert scalar(g.gradient([y, {"k": y}], x)) == 12.0


def test_non_scalar_target_is_summed():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    np.testing.assert_array_equal(g.gradient(y, x).numpy(), [2.0, 4.0, 6.0])


def test_output_gradients_weight_targets():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    np.testing.assert_array_equal(
        g.gradient(y, x, output_gradients=tf.constant([10.0, 1.0])).numpy(), [20.0, 4.0])


def test_unconnected_zero():
    x, z = tf.constant(3.0), tf.constant([1.0, 2.0])
    with tf.GradientTape() as g:
        g.watch(x)
        y = x * x
    grads = g.gradient(y, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(grads[1].numpy(), [0.0, 0.0])


def test_target_is_source():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
    assert scalar(g.gradient(x, x)) == 1.0


def test_gradient_wrt_intermediate():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        h = x * x
        y = h * h
    assert scalar(g.gradient(y, h)) == 18.0


def test_integer_path_is_disconnected():
    x = tf.constant(3.0)
    with tf.GradientTape() as g:
        g.watch(x)
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    assert scalar(g.gradient(y, x)) == 3.0


def test_variable_assigned_inside_tape_sums_reads():
    v = tf.Variable(1.0)
    with tf.GradientTape() as g:
        y = v * v
        v.assign(3.0)
        z = y * v
    assert scalar(g.gradient(z, v)) == 7.0


def test_reset_forgets_earlier_ops():
    x = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        loss = x * x
        t.reset()
        t.watch(x)
        loss = loss + x * 3.0
    assert scalar(t.gradient(loss, x)) == 3.0


def test_jacobian_of_vector_wrt_variable_and_unconnected():
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    c = tf.constant([1.0])
    x = tf.constant([1.0, -1.0])
    with tf.GradientTape() as g:
        y = tf.tanh(tf.reshape(tf.matmul(w, tf.reshape(x, (2, 1))), (2,)))
    jw, jc = g.jacobian(y, [w, c])
    assert jw.shape == (2, 2, 2) and jc is None


def test_jacobian_parallel_iterations_gives_same_values():
    x = tf.constant(np.linspace(-1, 1, 12).astype(np.float32))
    with tf.GradientTape(persistent=True) as g:
        g.watch(x)
        y = tf.sin(x) * tf.reduce_sum(x * x)
    full = g.jacobian(y, x)
    chunked = g.jacobian(y, x, parallel_iterations=5)
    np.testing.assert_allclose(full.numpy(), chunked.numpy(), rtol=1e-6)


def test_tapes_are_thread_local():
    results = {}

    def worker(name, value):
        x = tf.constant(value)
        with tf.GradientTape() as g:
            g.watch(x)
            y = x * x * x
        results[name] = scalar(g.gradient(y, x))

    x = tf.constant(1.0)
    with tf.GradientTape() as main_tape:
        main_tape.watch(x)
        threads = [threading.Thread(target=worker, args=(k, float(k))) for k in range(1, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        y = x * 2.0
    assert results == {k: 3.0 * k * k for k in range(1, 5)}
    assert len(main_tape._tape.nodes) == 1
    assert scalar(main_tape.gradient(y, x)) == 2.0


def test_ops_outside_tape_are_constants():
    x = tf.constant(2.0)
    z = x * 5.0  # computed before the tape: a captured constant
    with tf.GradientTape() as g:
        g.watch(x)
        y = z * x
    assert scalar(g.gradient(y, x)) == 10.0


def test_errors_module_has_tf_classes():
    assert issubclass(errors.InvalidArgumentError, errors.OpError)
    e = errors.InvalidArgumentError(None, None, "msg")
    assert e.message == "msg" and str(e) == "msg"
