"""Nothing kept alive after gradient; one compilation per tape structure."""
import gc
import weakref

import numpy as np

import tapejax as tf
from tapejax import _backprop, _cache


def _record(persistent):
    x = tf.constant(np.ones(8, np.float32))
    tape = tf.GradientTape(persistent=persistent)
    with tape:
        tape.watch(x)
        h = tf.sin(x) * x
        y = tf.reduce_sum(h * h)
    return tape, x, weakref.ref(h), weakref.ref(y), y


def test_non_persistent_tape_keeps_nothing_after_gradient():
    tape, x, h_ref, y_ref, y = _record(persistent=False)
    tape.gradient(y, x)
    del y
    gc.collect()
    assert h_ref() is None and y_ref() is None
    assert tape._tape is None


def test_persistent_tape_releases_on_del():
    tape, x, h_ref, y_ref, y = _record(persistent=True)
    tape.gradient(y, x)
    tape.gradient(y, x)
    assert h_ref() is not None  # still needed for later gradients
    del tape, y
    gc.collect()
    assert h_ref() is None and y_ref() is None


def test_reset_releases_recorded_values():
    x = tf.constant(np.ones(4, np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        h = x * 2.0
        h_ref = weakref.ref(h)
        del h
        tape.reset()
    gc.collect()
    assert h_ref() is None


def test_training_loop_compiles_gradient_once():
    w = tf.Variable(np.full((3, 2), 0.1, np.float32))
    b = tf.Variable(np.zeros(2, np.float32))
    rng = np.random.default_rng(0)
    _backprop.CACHE.clear()
    traces = []
    original = _backprop._build_gradient

    def counting_build(key, *options):
        fn = original(key, *options)

        def traced(*args):
            traces.append(1)  # runs only while JAX traces
            return fn(*args)
        return traced

    _backprop._build_gradient = counting_build
    try:
        for _ in range(100):
            x = tf.constant(rng.normal(size=(4, 3)).astype(np.float32))
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b))
            dw, db = tape.gradient(loss, [w, b])
            w.assign_sub(0.1 * dw)
            b.assign_sub(0.1 * db)
    finally:
        _backprop._build_gradient = original
    assert len(traces) == 1
    info = _backprop.CACHE.info()
    assert info["misses"] == 1 and info["hits"] == 99


def test_cache_is_bounded():
    cache = _cache.Cache("test.bounded", 3, register=False)
    for k in range(10):
        cache.get(k, lambda: object())
    assert cache.info()["size"] == 3 and cache.info()["misses"] == 10


def test_changing_python_scalar_does_not_retrace():
    x = tf.constant(np.ones(3, np.float32))
    _backprop.CACHE.clear()
    for lr in (0.1, 0.2, 0.3):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x * lr)
        np.testing.assert_allclose(tape.gradient(y, x).numpy(), [lr] * 3, rtol=1e-6)
    assert _backprop.CACHE.info()["misses"] == 1
