"""``tf.Module``, ``tf.name_scope``, ``tf.data.Dataset`` and ``python -m tapejax run``."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tapejax

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _modules(lib):
    class Leaf(lib.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.w = lib.Variable([1.0, 2.0], name="w")
            self.counter = lib.Variable(0, trainable=False, name="counter")

    class Tree(lib.Module):
        def __init__(self):
            super().__init__()
            self.z_child = Leaf(name="z_leaf")
            self.a_children = {"b": Leaf(name="b_leaf"), "a": [Leaf(name="a_leaf")]}
            self.m = lib.Variable(3.0, name="m")
            self.alias = self.m
            self.z_child.back = self  # a cycle is followed once

        @lib.Module.with_name_scope
        def scope(self):
            return lib.get_current_name_scope()
    return Tree()


def test_module_collects_variables_in_tensorflows_order(real_tf):
    ours, theirs = _modules(tapejax), _modules(real_tf)
    for attribute in ("variables", "trainable_variables", "non_trainable_variables"):
        assert [v.name for v in getattr(ours, attribute)] == \
            [v.name for v in getattr(theirs, attribute)]
    assert [m.name for m in ours.submodules] == [m.name for m in theirs.submodules]
    assert ours.name == theirs.name == "tree"
    assert ours.name_scope.name == theirs.name_scope.name == "tree/"
    assert ours.scope() == theirs.scope() == "tree"
    with pytest.raises(ValueError, match="not a valid module name"):
        tapejax.Module(name="not valid")


def test_name_scope_nests(real_tf):
    for lib in (tapejax, real_tf):
        with lib.name_scope("outer"):
            with lib.name_scope("inner") as scope:
                assert scope == "outer/inner/"
                assert lib.get_current_name_scope() == "outer/inner"
        assert lib.get_current_name_scope() == ""


def test_dataset_pipeline_matches_tensorflow(real_tf):
    x = np.arange(10, dtype=np.float32)
    y = np.arange(10, dtype=np.int64) % 3
    results = []
    for lib in (tapejax, real_tf):
        ds = lib.data.Dataset.from_tensor_slices((x, {"label": y}))
        ds = ds.map(lambda a, b: (a * 2.0, b["label"])).repeat(2).batch(4).take(4)
        out = [(a.numpy().tolist(), b.numpy().tolist(), a.dtype.name, b.dtype.name)
               for a, b in ds.prefetch(lib.data.AUTOTUNE)]
        results.append((out, len(lib.data.Dataset.range(10).batch(3, drop_remainder=True))))
    assert results[0] == results[1]


def test_dataset_shuffle_is_a_seeded_permutation():
    ds = tapejax.data.Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=4)
    first, second = [int(v) for v in ds], [int(v) for v in ds]
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert first != second  # reshuffled each iteration, as TF
    again = tapejax.data.Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=4)
    assert [int(v) for v in again] == first
    small = [int(v) for v in tapejax.data.Dataset.range(50).shuffle(5, seed=1)]
    assert sorted(small) == list(range(50))
    assert all(small[i] <= i + 5 for i in range(50))  # a buffer of 5 only looks 5 ahead
    with pytest.raises(ValueError, match="Dimensions 3 and 4 are not compatible"):
        tapejax.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))


def _run_script(source, tmp_path, *args):
    script = tmp_path / "script.py"
    script.write_text(source)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "tapejax", "run", str(script), *args],
                          capture_output=True, text=True, env=env, timeout=240)


@pytest.mark.keras
def test_runner_resolves_tensorflow_to_tapejax(tmp_path):
    """``tf.keras``, ``from tensorflow import keras``, ``import tensorflow.keras`` and
    ``import keras``: one real Keras (TF's ``tf.keras`` module, ``keras._tf_keras.keras``)."""
    result = _run_script(
        "import sys\n"
        "import tensorflow as tf\n"
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n"
        "import tensorflow.keras as tf_keras\n"
        "import tensorflow.keras.optimizers.schedules as schedules\n"
        "import keras as keras_package\n"
        "print(type(tf.constant(1.0)).__module__, layers.Dense.__module__,\n"
        "      schedules.ExponentialDecay.__module__, sys.argv[1:], 'tensorflow' in sys.modules)\n"
        "print(keras is tf.keras is tf_keras is sys.modules['tensorflow.keras'],\n"
        "      keras.__name__, keras_package.backend.backend(),\n"
        "      keras.layers.Dense is keras_package.layers.Dense is layers.Dense,\n"
        "      tf.keras.Model is keras_package.Model, tf.optimizers is keras.optimizers,\n"
        "      keras.__spec__.name, tf.keras.layers is layers)\n",
        tmp_path, "--flag", "x")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "tapejax.tensor", "keras.src.layers.core.dense",
        "keras.src.optimizers.schedules.learning_rate_schedule", "['--flag',", "'x']", "True",
        "True", "keras._tf_keras.keras", "tensorflow", "True", "True", "True",
        "keras._tf_keras.keras", "True"]


def test_runner_names_what_tapejax_lacks(tmp_path):
    missing_attr = _run_script("import tensorflow as tf\ntf.saved_model_magic\n", tmp_path)
    assert missing_attr.returncode != 0
    assert "AttributeError: tapejax does not provide `tensorflow.saved_model_magic`" in \
        missing_attr.stderr and "docs/api_coverage.md" in missing_attr.stderr
    missing_module = _run_script("import tensorflow.lite\n", tmp_path)
    assert "ModuleNotFoundError: tapejax does not provide the module `tensorflow.lite`" in \
        missing_module.stderr


def test_importing_tapejax_installs_no_hook():
    from tapejax import compat
    assert not any(isinstance(f, compat.TensorFlowFinder) for f in sys.meta_path)


@pytest.mark.keras
def test_digits_demo_runs_unmodified_via_the_runner(tmp_path):
    """`make demo`: the custom GradientTape loop, then Keras's own ``model.fit`` (its
    progress bar) and ``evaluate``, on the real Keras running on tapejax."""
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("KERAS_BACKEND", None)
    result = subprocess.run(
        [sys.executable, "-m", "tapejax", "run", str(ROOT / "examples" / "train_digits.py"),
         "--epochs", "6", "--output", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.split("\ntest accuracy: ")[1].split()[0])
    assert accuracy >= 0.95
    fit_accuracy = float(result.stdout.split("model.fit test accuracy: ")[1].split()[0])
    assert fit_accuracy >= 0.93
    assert "Epoch 6/6" in result.stdout and "45/45" in result.stdout  # Keras's progress bar
    assert result.stdout.count("steps/second") == 2
    if "no loss curve" not in result.stdout:
        assert (tmp_path / "loss_curve.png").stat().st_size > 1000
