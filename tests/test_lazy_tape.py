"""Lazy recording inside a tape: same observable behaviour as eager mode, fewer dispatches.

Each program runs with lazy recording on and off (and, where it matters, under real TF): values,
dtypes, shapes, None-ness and exceptions must agree. The whole suite also runs in both modes
(``make test``); this file checks what only lazy mode can get wrong.
"""
import os
import subprocess
import sys
import threading

import jax
import numpy as np
import pytest

import tapejax as tf
from helpers import assert_same
from tapejax import _lazy


@pytest.fixture
def lazy():
    with tf.config.lazy_tape(True):
        yield


def _pending(t):
    return _lazy.is_pending(t)


def _both_modes(program):
    """``program()`` with lazy recording on and off; returns both results."""
    out = []
    for enabled in (True, False):
        with tf.config.lazy_tape(enabled):
            out.append(program())
    return out


def _mlp_step(lib):
    """One training step's loss, logits and gradients, written once for tapejax and TF."""
    rng = np.random.default_rng(0)
    w1 = lib.Variable(rng.standard_normal((4, 8)).astype(np.float32))
    b1 = lib.Variable(np.zeros(8, np.float32))
    w2 = lib.Variable(rng.standard_normal((8, 3)).astype(np.float32))
    x = lib.constant(rng.standard_normal((5, 4)).astype(np.float32))
    y = lib.constant(np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]])
    with lib.GradientTape() as tape:
        h = lib.nn.relu(lib.matmul(x, w1) + b1)
        logits = lib.matmul(h, w2)
        loss = lib.reduce_mean(lib.nn.softmax_cross_entropy_with_logits(y, logits))
    grads = tape.gradient(loss, [w1, b1, w2])
    return [loss, logits] + grads


def test_ops_inside_a_tape_are_pending_and_typed(lazy):
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sin(x) * 2.0
        z = tf.reduce_sum(y, axis=0, keepdims=True)
        n = tf.cast(y > 0.5, tf.int32)
    assert _pending(y) and _pending(z) and _pending(n)
    assert isinstance(y, tf.Tensor) and tf.is_tensor(y)
    assert (y.shape, y.dtype, z.shape, n.dtype) == ((3,), tf.float32, (1,), tf.int32)
    assert z.shape.as_list() == [1] and y.ndim == 1
    before = tf.config.lazy_tape_info()["materializations"]
    dx = tape.gradient(z, x)
    assert not _pending(z), "gradient computes its pending target in the same call"
    assert tf.config.lazy_tape_info()["materializations"] == before
    np.testing.assert_allclose(dx.numpy(), 2 * np.cos([1.0, 2.0, 3.0]), rtol=1e-6)
    np.testing.assert_allclose(y.numpy(), 2 * np.sin([1.0, 2.0, 3.0]), rtol=1e-6)
    assert type(y) is tf.Tensor, "a materialised value is a plain Tensor again"


def test_unwatched_ops_run_at_once(lazy):
    a = tf.constant(2.0)
    with tf.GradientTape() as tape:
        b = a * 3.0
    assert not _pending(b)
    assert tape.gradient(b, a) is None


def test_training_step_matches_eager_and_tf(real_tf):
    lazy_out, eager_out = _both_modes(lambda: _mlp_step(tf))
    for a, b in zip(lazy_out, eager_out):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(lazy_out, _mlp_step(real_tf)):
        assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


def test_shape_error_raises_at_the_line(lazy):
    x = tf.constant([1.0, 2.0, 3.0])
    errors = []
    for enabled in (True, False):
        with tf.config.lazy_tape(enabled), tf.GradientTape() as tape:
            tape.watch(x)
            y = x * 2.0
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                y + tf.constant([1.0, 2.0])
            errors.append(str(info.value))
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                tf.matmul(tf.reshape(y, [1, 3]), tf.ones([2, 2]))
            errors.append(str(info.value))
    assert errors[:2] == errors[2:]
    assert "Incompatible shapes: [3] vs. [2]" in errors[0]


def test_values_read_inside_the_tape(lazy):
    x = tf.constant([0.5, -1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.exp(x)
        assert _pending(y)
        text = str(y)  # print materialises
        value = y.numpy()
        positive = bool(tf.reduce_all(y > 0.0))
        if tf.reduce_sum(y) > 1.0:  # a Python branch on a pending value
            z = y * y
        else:
            z = y
    assert "tf.Tensor(" in text and positive
    np.testing.assert_allclose(value, np.exp([0.5, -1.0]), rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), 2 * np.exp([1.0, -2.0]), rtol=1e-6)


def test_variable_is_read_when_the_op_runs(lazy):
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = v * v
        assert _pending(y)
        v.assign(10.0)
        z = y + v
    assert float(y) == 9.0 and float(z) == 19.0
    dv = tape.gradient(z, v)
    assert float(dv) == 6.0 + 1.0


def test_stop_recording_nested_and_persistent(lazy):
    x = tf.constant(1.5)
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x * x * x
        dy = inner.gradient(y, x)
        with outer.stop_recording():
            frozen = y * 2.0
        w = dy * frozen
    d2 = outer.gradient(dy, x)
    dw = outer.gradient(w, x)
    assert float(y) == pytest.approx(3.375) and float(dy) == pytest.approx(6.75)
    assert float(d2) == pytest.approx(9.0)
    assert float(dw) == pytest.approx(9.0 * 6.75)
    assert outer.gradient(frozen, x) is None


def test_unconnected_and_integer_results_keep_none(lazy):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        idx = tf.argmax(x * 2.0)
        stopped = tf.stop_gradient(x * 3.0)
        y = tf.reduce_sum(x * stopped)
    assert tape.gradient(idx, x) is None
    assert tape.gradient(stopped, x) is None
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [3.0, 6.0])
    assert int(idx) == 1


def test_value_used_after_the_tape(lazy):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.square(x)
    assert _pending(y)
    doubled = y * 2.0  # outside every tape: runs now, materialising y
    assert not _pending(y) and not _pending(doubled)
    np.testing.assert_allclose(doubled.numpy(), [2.0, 8.0])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])


def test_pending_values_pass_to_jax_and_numpy(lazy):
    x = tf.constant([1.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sqrt(x)
        z = x + 1.0
    np.testing.assert_allclose(np.asarray(y), [1.0, 2.0])
    np.testing.assert_allclose(jax.jit(lambda a: a * 2)(z), [4.0, 10.0])


def test_function_traces_do_not_defer(lazy):
    seen = []

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
            seen.append(_pending(y))
        return tape.gradient(y, x)
    assert float(step(tf.constant(2.0))) == 4.0
    assert seen == [False]


def test_depth_bound_materialises_long_chains():
    x = tf.constant(0.3)
    with tf.config.lazy_tape(True, max_pending_depth=8):
        before = tf.config.lazy_tape_info()
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(30):
                y = tf.sin(y) + 0.1
                assert raw_depth(y) <= 8
        g = tape.gradient(y, x)
        after = tf.config.lazy_tape_info()
    assert after["max_pending_depth"] == 8
    assert after["materializations"] > before["materializations"]
    expected_y, expected_g = 0.3, 1.0
    for _ in range(30):
        expected_g *= np.cos(expected_y)
        expected_y = np.sin(expected_y) + 0.1
    assert float(y) == pytest.approx(expected_y, rel=1e-5)
    assert float(g) == pytest.approx(expected_g, rel=1e-4)


def raw_depth(t):
    from tapejax.tensor import raw_value
    value = raw_value(t)
    return value.node.depth if isinstance(value, _lazy.Pending) else 0


def test_training_loop_compiles_once(lazy):
    v = tf.Variable(np.ones((3, 3), np.float32))
    x = tf.constant(np.eye(3, dtype=np.float32))
    losses = []
    for step in range(30):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.tanh(tf.matmul(x, v)) ** 2)
        grad = tape.gradient(loss, v)
        v.assign_sub(0.1 * grad)
        losses.append(float(loss))
        if step == 0:
            first = tf.config.gradient_cache_info()["misses"]
    assert tf.config.gradient_cache_info()["misses"] == first
    assert losses[-1] < losses[0]


def test_op_needing_values_runs_eagerly(lazy):
    x = tf.constant([3.0, 1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
        top = tf.math.top_k(y, k=2).values  # k is static, values are traced: deferred
        mask = tf.boolean_mask(y, y > 2.5)  # output shape depends on values: eager
    assert mask.shape == (2,)
    np.testing.assert_allclose(mask.numpy(), [6.0, 4.0])
    np.testing.assert_allclose(top.numpy(), [6.0, 4.0])
    np.testing.assert_allclose(tape.gradient(mask, x).numpy(), [2.0, 0.0, 2.0])


def test_threads_record_their_own_pending_ops(lazy):
    results = {}

    def worker(k):
        x = tf.constant(float(k + 1))
        for _ in range(20):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = x * x * x
            results[k] = (float(y), float(tape.gradient(y, x)))
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: ((k + 1.0) ** 3, 3 * (k + 1.0) ** 2) for k in range(4)}


def test_switch_and_environment_variable():
    with tf.config.lazy_tape(False):
        x = tf.constant(1.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * 2.0
        assert not _pending(y) and not tf.config.lazy_tape_info()["enabled"]
    with pytest.raises(TypeError, match="enabled"):
        tf.config.lazy_tape("yes")
    with pytest.raises(ValueError, match="max_pending_depth"):
        tf.config.lazy_tape(True, max_pending_depth=0)
    code = "import tapejax as tf; print(tf.config.lazy_tape_info()['enabled'])"
    env = dict(os.environ, TAPEJAX_LAZY_TAPE="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == "False"


def test_values_kept_across_steps_stop_pinning_their_inputs(lazy):
    v = tf.Variable(np.ones((2, 2), np.float32))
    kept = []
    for _ in range(4):
        with tf.GradientTape() as tape:
            out = tf.matmul(tf.eye(2), v) * 2.0
            loss = tf.reduce_sum(out)
        kept.append(out)  # held by the user, never read inside the loop
        v.assign_sub(0.5 * tape.gradient(loss, v))
    # a pending value still held at the next step's gradient is computed then, releasing the
    # old value of ``v`` it was computed from; the last step's value is still pending
    assert [_pending(t) for t in kept] == [False, False, False, True]
    for step, out in enumerate(kept):
        np.testing.assert_allclose(out.numpy(), np.full((2, 2), 2.0 * (1 - step)))


def test_copies_jacobians_and_forward_mode_of_pending_values(lazy):
    import copy
    import pickle
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 3.0
        assert _pending(y)
        copies = [copy.copy(y), copy.deepcopy(y), pickle.loads(pickle.dumps(y))]
        jac = tape.jacobian(y, x)
    for c in copies:
        np.testing.assert_allclose(c.numpy(), [3.0, 6.0])
    np.testing.assert_allclose(jac.numpy(), [[3.0, 0.0], [0.0, 3.0]])
    with tf.autodiff.ForwardAccumulator(x, tf.constant([1.0, 0.0])) as acc:
        w = tf.sin(x) * 2.0
        assert _pending(w)
    np.testing.assert_allclose(acc.jvp(w).numpy(), [2 * np.cos(1.0), 0.0], rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), 2 * np.sin([1.0, 2.0]), rtol=1e-6)


def test_op_count_bound_computes_held_values():
    x = tf.constant([1.0, 2.0])
    with tf.config.lazy_tape(True, max_pending_ops=16):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            outs = [x * float(k) for k in range(40)]  # 40 independent one-op graphs
            assert not _pending(outs[0]), "the first 16 were computed when the 17th came"
            assert _pending(outs[-1])
            assert len(_lazy.RECENT.current) <= 16
        np.testing.assert_allclose(outs[7].numpy(), [7.0, 14.0])
        np.testing.assert_allclose(tape.gradient(outs[39], x).numpy(), [39.0, 39.0])
    assert tf.config.lazy_tape_info()["max_pending_ops"] == 10000
    with pytest.raises(ValueError, match="max_pending_ops"):
        tf.config.lazy_tape(True, max_pending_ops=-1)
