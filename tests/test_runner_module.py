"""``python -m tapejax run -m MODULE``, and the redirect's refusal when Keras came first."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")


def test_run_dash_m_runs_pytest_on_tapejax(tmp_path):
    (tmp_path / "test_suite.py").write_text(textwrap.dedent("""
        import sys
        import tensorflow as tf

        def test_tensorflow_is_tapejax():
            assert type(tf.constant(1.0)).__module__ == "tapejax.tensor"
            assert float(tf.reduce_sum(tf.ones([3]))) == 3.0

        def test_fails():
            assert sys.argv[0].endswith("pytest") or "pytest" in sys.argv[0], sys.argv
            assert False, "the failing one"
        """))
    result = subprocess.run(
        [sys.executable, "-m", "tapejax", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-W", "ignore", "test_suite.py"],
        capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "the failing one" in result.stdout


def test_run_dash_m_passes_arguments_and_cwd(tmp_path):
    (tmp_path / "mod_here.py").write_text(
        "import sys, tensorflow as tf\nprint(__name__, sys.argv[1:], tf.__name__)\n")
    result = subprocess.run(
        [sys.executable, "-m", "tapejax", "run", "-m", "mod_here", "--flag", "x"],
        capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["__main__", "['--flag',", "'x']", "tensorflow"]
    usage = subprocess.run([sys.executable, "-m", "tapejax", "run", "-m"],
                           capture_output=True, text=True, env=ENV, timeout=300)
    assert usage.returncode == 2 and "run -m MODULE" in usage.stderr


def test_keras_imported_first_is_refused(tmp_path):
    pytest.importorskip("keras")
    script = tmp_path / "late.py"
    script.write_text("import tensorflow\n")
    code = ("import os, sys\nos.environ['KERAS_BACKEND'] = 'numpy'\nimport keras\n"
            "from tapejax import compat\n"
            f"compat.run({str(script)!r})\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=ENV, timeout=300)
    assert result.returncode != 0
    assert "RuntimeError: Keras was imported before tapejax's `tensorflow` redirect" in \
        result.stderr and "'numpy'" in result.stderr and "KERAS_BACKEND=tensorflow" in \
        result.stderr
