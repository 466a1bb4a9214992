"""The ``model.fit`` benchmark (``benchmarks/bench_fit.py``, issue 16) runs on its three stacks,
and Keras on tapejax trains to real TensorFlow's per-epoch losses. No timing is asserted: the
machine is shared and noisy."""
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytestmark = [pytest.mark.keras, pytest.mark.slow]

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick_run():
    # find_spec, not import: real TF imported in this process would bind Keras to it
    for name in ("tensorflow", "keras", "sklearn"):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_fit", "--quick", "--models", "mlp", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    results = {r["stack"]: r for r in json.loads(proc.stdout.strip().splitlines()[-1])}
    return proc.stdout, results


def test_quick_run_covers_the_three_stacks(quick_run):
    stdout, results = quick_run
    assert sorted(results) == ["jax", "tapejax", "tf"]
    assert results["tapejax"]["tapejax_loaded"] and not results["tf"]["tapejax_loaded"]
    assert results["jax"]["keras_backend"] == "jax"
    assert results["tf"]["keras_backend"] == results["tapejax"]["keras_backend"] == "tensorflow"
    for r in results.values():
        assert r["model"] == "mlp" and len(r["loss"]) == len(r["epoch_seconds"]) == 2
        assert np.all(np.isfinite(r["loss"])) and r["loss"][1] < r["loss"][0]
    assert "| mlp | Keras on tapejax |" in stdout and "tapejax ÷ TF throughput" in stdout


def test_tapejax_losses_match_tensorflow(quick_run):
    _, results = quick_run
    np.testing.assert_allclose(results["tapejax"]["loss"], results["tf"]["loss"], rtol=1e-4)
    np.testing.assert_allclose(results["tapejax"]["accuracy"], results["tf"]["accuracy"],
                               atol=1e-3)


def test_step_benchmark_runs_on_tapejax():
    """``bench_fit_step`` (the train step of ``fit`` alone) prints its table on tapejax."""
    for name in ("keras", "sklearn"):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-m", "tapejax", "run", "-m", "benchmarks.bench_fit_step",
         "--epochs", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    row = proc.stdout.strip().splitlines()[-1]
    assert row.startswith("| tapejax | ")
    wall, cpu = (cell.split(" / ") for cell in row.strip("| ").split(" | ")[1:])
    assert len(wall) == len(cpu) == 3 and all(float(v) > 0 for v in wall + cpu)
