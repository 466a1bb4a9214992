"""`make demo`'s tutorial prints, line for line, what TensorFlow prints for the same script."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "tutorial.py"


def _run(source):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                            env=env, timeout=300, check=True)
    return result.stdout.splitlines()


def test_tutorial_prints_what_tensorflow_prints(real_tf):
    source = SCRIPT.read_text()
    ours = _run(source)
    theirs = _run(source.replace("import tapejax as tf", "import tensorflow as tf"))
    assert len(ours) == 10
    assert ours == theirs
