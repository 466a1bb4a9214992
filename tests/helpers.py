"""Helpers for comparing tapejax with TensorFlow and with finite differences."""
import os

import jax
import numpy as np

import tapejax


def to_numpy(x):
    """NumPy value of a tapejax or TF tensor (None stays None)."""
    if x is None:
        return None
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def assert_same(ours, theirs, rtol=1e-5, atol=1e-6):
    """Same value, dtype name, shape and None-ness, recursively over lists/tuples/dicts."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(theirs)
        for k in theirs:
            assert_same(ours[k], theirs[k], rtol, atol)
        return
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b, rtol, atol)
        return
    if theirs is None:
        assert ours is None, f"expected None, got {ours!r}"
        return
    assert ours is not None, f"expected {theirs!r}, got None"
    assert ours.dtype.name == theirs.dtype.name, (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    if theirs.dtype.name == "string":  # object arrays of bytes, as TF's numpy()
        assert type(ours.numpy()) is type(theirs.numpy()), (ours.numpy(), theirs.numpy())
        np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
        return
    np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=rtol, atol=atol)


def central_difference(f, x, eps=1e-3):
    """d sum(f(x)) / dx by central differences, in float64, for a NumPy input."""
    x = np.asarray(x, np.float64)
    grad = np.zeros_like(x)
    flat = grad.reshape(-1)
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        flat[i] = (np.sum(f(x + step)) - np.sum(f(x - step))) / (2 * eps)
    return grad


# `make test-long` (TAPEJAX_TEST_LONG=1): property tests draw ten times more, fresh examples;
# the default run replays a fixed set, so CI is deterministic.
LONG = bool(os.environ.get("TAPEJAX_TEST_LONG"))


def property_settings(max_examples, **kwargs):
    """hypothesis settings: fixed draws by default, many random ones in the long run."""
    from hypothesis import settings
    return settings(max_examples=max_examples * (10 if LONG else 1), derandomize=not LONG,
                    database=None, deadline=None, **kwargs)


def primitives_dispatched(monkeypatch, run):
    """The JAX primitives ``run()`` dispatches one by one: none when everything it runs is one
    compiled call (JAX's C++ path binds no primitive in Python)."""
    bound = []
    original = jax.extend.core.Primitive.bind
    with monkeypatch.context() as patch:  # undoes only this patch, not the test's others
        patch.setattr(jax.extend.core.Primitive, "bind",
                      lambda self, *a, **k: bound.append(self.name) or original(self, *a, **k))
        run()
    return bound


__all__ = ["assert_same", "central_difference", "primitives_dispatched", "property_settings",
           "to_numpy", "tapejax"]
