"""Keras 3's ``tf.keras.callbacks.TensorBoard`` on tapejax writes what it writes on TF 2.21:
the same runs, records, tags, plugins, steps and values (scalars, weight histograms, the
model-graph summary), read back by TensorBoard's own event reader. Keras binds ``tensorflow``
when imported, so ``keras_tensorboard_program.py`` runs in subprocesses."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.keras

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests" / "keras_tensorboard_program.py"
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
ENV.pop("KERAS_BACKEND", None)


def _logs(lib, logdir):
    from keras_tensorboard_program import records
    run = subprocess.run([sys.executable, str(PROGRAM), lib, str(logdir)], capture_output=True,
                         text=True, env=ENV, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(json.dumps(records(str(logdir))))


def test_tensorboard_callback_writes_what_tensorflow_writes(real_tf, tmp_path):
    theirs = _logs("tensorflow", tmp_path / "tf")
    ours = _logs("tapejax", tmp_path / "tapejax")
    assert sorted(ours) == sorted(theirs) == ["train", "validation"]
    for run, records in theirs.items():
        assert [r[:4] for r in ours[run]] == [r[:4] for r in records], run
        for mine, their in zip(ours[run], records):
            if len(their) == 5 and their[3] != "|O":
                np.testing.assert_allclose(mine[4], their[4], rtol=1e-5, atol=1e-6,
                                           err_msg=str(their[:3]))
            else:
                assert mine[4:] == their[4:], their
    tags = {r[1] for r in theirs["train"] if len(r) == 5}
    assert {"batch_loss", "epoch_loss", "keras"} <= tags
    assert any(tag.endswith("kernel/histogram") for tag in tags)
