"""The one cache type (``tapejax/_cache.py``): LRU bound, counters, registry, clear_caches."""
import numpy as np
import pytest

import tapejax as tf
from tapejax import _backprop, _cache, _lazy
from tests.helpers import assert_same


def test_least_recently_used_entry_is_evicted_and_counted():
    cache = _cache.Cache("test.lru", 2, register=False)
    assert cache.get("a", lambda: 1) == 1 and cache.get("b", lambda: 2) == 2
    assert cache.lookup("a") == 1  # "a" is now the most recent: "b" goes next
    cache.get("c", lambda: 3)
    assert list(cache) == ["a", "c"] and cache.lookup("b") is None
    assert cache.info() == {"hits": 1, "misses": 3, "size": 2, "maxsize": 2}
    cache.clear()
    assert cache.info() == {"hits": 0, "misses": 0, "size": 0, "maxsize": 2}


def test_a_cache_must_hold_an_entry():
    with pytest.raises(ValueError, match="maxsize"):
        _cache.Cache("test.empty", 0, register=False)


def test_unregistered_caches_are_not_reported():
    _cache.Cache("test.hidden", 4, register=False).get(1, lambda: 1)
    registered = _cache.Cache("test.shown", 4)
    registered.get(1, lambda: 1)
    info = tf.config.cache_info()
    assert "test.hidden" not in info
    assert info["test.shown"]["size"] >= 1 and info["test.shown"]["maxsize"] == 4


def _doubled(v):
    return v * 2.0


_recomputed = tf.recompute_grad(_doubled)


def _warm_every_cache():
    """Fills the gradient, plan, lazy, recompute_grad and function caches once."""
    x = tf.Variable(np.arange(3, dtype=np.float32))

    @tf.function
    def f(v):
        return tf.reduce_sum(v * v)

    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sin(x) * x) + tf.reduce_sum(_recomputed(x))
        _ = (tf.exp(x) * 2.0).numpy()  # a pending value computed before `gradient`
    grad = tape.gradient(y, x)
    return f, grad, f(tf.constant([1.0, 2.0]))


def test_clear_caches_empties_every_registered_cache_and_keeps_results():
    f, grad, out = _warm_every_cache()
    f, grad, out = _warm_every_cache()  # second time: hits
    info = tf.config.cache_info()
    for name in ("gradient.compiled", "gradient.plans", "gradient.custom_gradient_nodes",
                 "function.calls", "function.programs"):
        assert info[name]["size"] >= 1, name
    assert info["gradient.compiled"]["hits"] >= 1
    if _lazy.SETTINGS.enabled:
        assert info["lazy.abstract_eval"]["size"] >= 1 and info["lazy.graphs"]["size"] >= 1
    traces = f.experimental_get_tracing_count()

    tf.config.clear_caches()
    assert all(v["size"] == 0 and v["hits"] == 0 and v["misses"] == 0
               for v in tf.config.cache_info().values())
    assert _backprop.CACHE.info()["size"] == 0 and len(_lazy._AVALS) == 0
    assert tf.config.lazy_tape_info()["graph_cache_size"] == 0

    f2, grad2, out2 = _warm_every_cache()
    assert_same(grad2, grad)
    assert_same(out2, out)
    assert f(tf.constant([1.0, 2.0])).numpy() == out.numpy()
    assert f.experimental_get_tracing_count() == traces  # ConcreteFunctions are kept
    assert tf.config.gradient_cache_info()["misses"] >= 1


def test_clear_gradient_cache_clears_only_the_gradient_caches():
    f, _, _ = _warm_every_cache()
    tf.config.clear_gradient_cache()
    info = tf.config.cache_info()
    assert all(v["size"] == 0 for k, v in info.items() if k.startswith("gradient."))
    assert info["function.calls"]["size"] >= 1
    assert tf.config.gradient_cache_info() == {"hits": 0, "misses": 0, "size": 0,
                                               "maxsize": _backprop.CACHE_SIZE}


def test_function_caches_count_hits_and_misses():
    @tf.function
    def g(x):
        return x + 1.0

    for _ in range(3):
        g(tf.constant(1.0))
    g(tf.constant([1.0, 2.0]))
    assert g._fast.info() == {"hits": 2, "misses": 2, "size": 2, "maxsize": 128}
    assert g.experimental_get_tracing_count() == 2


def test_every_process_wide_cache_is_registered_and_bounded():
    names = set(tf.config.cache_info())
    assert {"gradient.compiled", "gradient.plans", "gradient.custom_gradient_nodes",
            "lazy.abstract_eval", "lazy.graphs", "summary.metadata"} <= names
    assert all(v["maxsize"] >= 1 for v in tf.config.cache_info().values())
