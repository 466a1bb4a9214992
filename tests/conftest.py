"""Shared fixtures: real TensorFlow as the oracle (skipped cleanly when absent)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest

import tapejax  # noqa: F401  (enables JAX's 64-bit mode before any test builds arrays)


@pytest.fixture(scope="session")
def real_tf():
    """The real TensorFlow package, or a skip saying why."""
    try:
        import tensorflow
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"TensorFlow is not installed ({exc}); install the 'test' extra")
    return tensorflow


@pytest.fixture(autouse=True)
def no_tape_left_behind():
    """Every test leaves this thread's tape stack and lazy-recording switch as it found them."""
    from tapejax import _lazy
    from tapejax._capture import TRACE
    from tapejax._recording import STACK
    settings = _lazy.SETTINGS
    before = (list(STACK.tapes), TRACE.eager, settings.enabled, settings.max_depth,
              settings.max_ops)
    yield
    after = (list(STACK.tapes), TRACE.eager, settings.enabled, settings.max_depth,
             settings.max_ops)
    assert after == before, "the test left a tape recording or changed lazy recording"


@pytest.fixture(autouse=True)
def no_tensorflow_redirect_left_behind():
    """No test leaves ``import tensorflow`` pointing at tapejax: the real TF tests need it."""
    from tapejax import compat
    before = compat.installed()
    yield
    assert compat.installed() == before, "the test left the tensorflow redirect installed"
