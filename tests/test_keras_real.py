"""The real Keras 3 package on tapejax: the same training program under TensorFlow and under
``python -m tapejax run`` (two processes), same per-epoch losses and metrics."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.keras

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests" / "keras_fit_program.py"


def _results(tapejax_run, cases):
    env = dict(os.environ, PYTHONPATH=str(ROOT), KERAS_BACKEND="tensorflow",
               TF_CPP_MIN_LOG_LEVEL="3")
    prefix = [sys.executable, "-m", "tapejax", "run"] if tapejax_run else [sys.executable]
    result = subprocess.run(prefix + [str(PROGRAM), *cases], capture_output=True, text=True,
                            env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def keras_and_tf():
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")


def _assert_close(ours, theirs, where=""):
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs), where
        for key in theirs:
            _assert_close(ours[key], theirs[key], f"{where}/{key}")
    else:
        # atol: BatchNormalization's variance is summed in another order (float32 rounding)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=2e-5, atol=2e-5,
                                   err_msg=where)


def test_fit_evaluate_predict_match_tensorflow(keras_and_tf):
    from keras_fit_program import CASES
    cases = list(CASES)
    theirs = _results(False, cases)
    ours = _results(True, cases)
    for case in cases:
        _assert_close(ours[case], theirs[case], case)
        assert len(theirs[case]["history"]["loss"]) == 3


def test_fit_with_random_layers_has_tensorflows_statistics(keras_and_tf):
    """Dropout, GaussianNoise and keras.random draw JAX's numbers on tapejax, not TF's: compare
    what does not depend on the draw (the law of the numbers, inference, the loss's course)."""
    from keras_fit_program import RANDOM_CASES
    cases = list(RANDOM_CASES)
    theirs = _results(False, cases)
    ours = _results(True, cases)
    for case in cases:
        o, t = ours[case], theirs[case]
        assert sorted(o["history"]) == sorted(t["history"])
        # the draws differ, so the losses follow TF's only roughly (a 3-epoch course is noisy)
        np.testing.assert_allclose(o["history"]["loss"], t["history"]["loss"], rtol=0.15)
        np.testing.assert_array_equal(*o["infer_twice"])  # inference draws nothing
        stats = o["stats"]
        for values in (stats["kept_values"], t["stats"]["kept_values"]):
            np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-5)
        assert abs(stats["kept"] - 0.7) < 0.01 and abs(t["stats"]["kept"] - 0.7) < 0.01
        assert abs(stats["noise_mean"]) < 0.01 and abs(stats["noise_std"] - 0.5) < 0.01
        assert abs(stats["uniform_mean"] - 0.5) < 0.01
        assert abs(stats["uniform_std"] - 12 ** -0.5) < 0.01


def _suite_params():
    from keras_suite import FILES
    return sorted(FILES)


@pytest.mark.parametrize("path", _suite_params())
def test_keras_own_test_file_passes_on_tapejax(keras_and_tf, path):
    from keras_suite import FILES, run_file
    result = run_file(path, FILES[path])
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
