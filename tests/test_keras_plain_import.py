"""``tf.keras`` in a plain ``import tapejax as tf`` process is the real Keras 3 (``_keras.py``).

The oracle runs in other processes: Keras binds ``tensorflow`` when imported, and this pytest
process has the real TensorFlow imported. ``keras_plain_program.py`` runs once with real TF and
once with ``import tapejax as tf``; the errors for a process Keras cannot run in are checked in
one more subprocess, and here (real TF is imported in this process)."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tapejax

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests" / "keras_plain_program.py"
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
ENV.pop("KERAS_BACKEND", None)


def _numeric(value):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def _assert_same(ours, theirs, where=""):
    """Equal strings, bools and structure; numbers within float32 tolerance."""
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs), where
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}/{key}")
    elif theirs is None or isinstance(theirs, (bool, str)):
        assert ours == theirs, where
    elif _numeric(theirs) is not None and _numeric(ours) is not None:
        np.testing.assert_allclose(_numeric(ours), _numeric(theirs), rtol=2e-5, atol=1e-5,
                                   err_msg=where)
    else:
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for k, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same(a, b, f"{where}[{k}]")


@pytest.mark.keras
def test_plain_import_keras_matches_keras_on_tensorflow(real_tf):
    runs = {lib: subprocess.Popen([sys.executable, str(PROGRAM), lib], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=ENV)
            for lib in ("tapejax", "tensorflow")}
    results = {}
    for lib, run in runs.items():
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err[-4000:]
        results[lib] = json.loads(out.strip().splitlines()[-1])
    ours, theirs = results["tapejax"], results["tensorflow"]
    assert ours.pop("real_tf_modules") == []  # real TensorFlow never loaded
    _assert_same(ours, theirs)
    assert ours["errors_and_slices"]["aliases"] == [True] * 4
    assert ours["optimizers"]["nadam-function"]["iterations"] == 20


ERRORS = r"""
import os, sys
import tapejax
os.environ["KERAS_BACKEND"] = "jax"
try:
    tapejax.keras
except RuntimeError as error:
    print("backend:", error)
print("no redirect:", "keras" not in sys.modules and not tapejax.compat.installed())
import keras
del os.environ["KERAS_BACKEND"]
try:
    tapejax.optimizers
except RuntimeError as error:
    print("imported:", error)
"""


@pytest.mark.keras
def test_keras_on_another_backend_is_refused_saying_what_to_do():
    result = subprocess.run([sys.executable, "-c", ERRORS], capture_output=True, text=True,
                            env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "backend: " + tapejax._keras.OTHER_BACKEND.format(
        name="keras", backend="jax")
    assert lines[1] == "no redirect: True"
    assert lines[2].startswith("imported: Keras was imported before tapejax's `tensorflow` "
                               "redirect was installed (its backend is 'jax')")
    assert "use `tapejax.keras` before any `import keras`" in lines[2]
    assert "KERAS_BACKEND=tensorflow" in lines[2]


def test_real_tensorflow_imported_is_refused(real_tf):
    from tapejax import compat
    with pytest.raises(RuntimeError) as info:
        _ = tapejax.keras
    assert str(info.value) == tapejax._keras.REAL_TENSORFLOW_IMPORTED.format(name="keras")
    with pytest.raises(RuntimeError, match="real TensorFlow is already imported"):
        _ = tapejax.losses
    assert not compat.installed() and "keras" not in vars(tapejax)
    assert "keras" in dir(tapejax) and "optimizers" in dir(tapejax)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = tapejax.no_such_name


def test_variable_formats_as_tensorflow(real_tf):
    for lib in (tapejax, real_tf):
        v = lib.Variable(1.0)
        assert f"{v}" == str(v) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>"
        with pytest.raises(TypeError, match="unsupported format string passed to "
                                            "ResourceVariable.__format__"):
            f"{v:.2f}"
        assert f"{lib.constant(1.5):.2f}" == "1.50"
