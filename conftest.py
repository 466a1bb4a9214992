"""Loaded before anything is collected: the suite (and every process it starts) keeps JAX's
compilation cache in a temporary directory, never in the user's home; the `tape_mode` marker
comes from ``tests/tape_mode_plugin.py``."""
import atexit
import os
import shutil
import tempfile

if os.environ.get("TAPEJAX_COMPILATION_CACHE", "1").strip().lower() not in ("0", "false", "off",
                                                                          "no"):
    _CACHE_DIR = tempfile.mkdtemp(prefix="tapejax-test-jax-cache-")
    os.environ["TAPEJAX_COMPILATION_CACHE"] = _CACHE_DIR
    atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)

pytest_plugins = ["pytester", "tests.tape_mode_plugin"]

# It holds no doctests, and pytest's fixture scan of a collected module reads every name in its
# `dir()`: for `tapejax` that loads the real Keras (`tapejax.keras`), which installs the
# `tensorflow` redirect in the test process and hides the real TensorFlow from the oracle tests.
collect_ignore = ["tapejax/__init__.py"]
