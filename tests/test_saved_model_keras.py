"""Keras models in ``tf.saved_model``, against real TF + Keras.

``keras_saved_model_program.py`` saves three models (``model.export``, ``tf.saved_model.save``,
``keras.export.ExportArchive``) under real TF and under ``python -m tapejax run`` (the same
script), then each library loads its directories in a fresh process that imports no Keras and
none of the models' code. The loaded endpoints, signatures and Variables are compared with TF's
and with the Keras models' outputs. Both pairs of processes run side by side."""
import os
import pathlib

import numpy as np
import pytest

import tapejax
from tf_oracle import run_programs

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests" / "keras_saved_model_program.py"
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
ENV.pop("KERAS_BACKEND", None)
MODELS = ("sequential", "functional", "subclassed")


def _save_and_load(directory):
    """The models' outputs and what the loaded directories give, per library."""
    ours, theirs = str(directory / "tapejax"), str(directory / "tensorflow")
    saved = run_programs({
        "tapejax": ["-m", "tapejax", "run", str(PROGRAM), "tensorflow", "save", ours],
        "tensorflow": [str(PROGRAM), "tensorflow", "save", theirs]}, ENV)
    loaded = run_programs({"tapejax": [str(PROGRAM), "tapejax", "load", ours],
                         "tensorflow": [str(PROGRAM), "tensorflow", "load", theirs]}, ENV)
    return saved, loaded


def _close(ours, theirs, where=""):
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs), where
        for key in theirs:
            _close(ours[key], theirs[key], f"{where}/{key}")
        return
    if isinstance(theirs, (str, bool)) or theirs is None:
        assert ours == theirs, where
        return
    try:
        expected = np.asarray(theirs, float)
    except (TypeError, ValueError):  # ragged, or holding names
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for k, (a, b) in enumerate(zip(ours, theirs)):
            _close(a, b, f"{where}/{k}")
        return
    np.testing.assert_allclose(np.asarray(ours, float), expected, rtol=1e-5, atol=1e-5,
                               err_msg=where)


@pytest.mark.keras
def test_keras_models_saved_and_loaded_as_tensorflow(tmp_path):
    """One test (four processes, two at a time) for every Keras check: the subprocesses are
    the cost."""
    pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    saved, loaded = _save_and_load(tmp_path)
    _close(saved["tapejax"], saved["tensorflow"], "the Keras models")
    for model in MODELS:
        ours, theirs = loaded["tapejax"][model], loaded["tensorflow"][model]
        expected = saved["tapejax"][model]
        _close(ours["serve"], expected, f"{model} serve")
        if model == "subclassed":  # a dict output keeps its keys
            outputs = expected
        else:
            flat = expected if model == "functional" else [expected]
            outputs = {f"output_{k}": v for k, v in enumerate(flat)}
        for key in ("serve_signature", "serving_default", "saved_default"):
            _close(ours[key], outputs, f"{model} {key}")
        assert ours["signatures"] == ["serve", "serving_default"]
        assert ours["saved_signatures"] == ["serving_default"]
        assert len(ours["variables"]) == 4
        _close(ours, theirs, model)  # structures, names, Variables: TF's
    ours, theirs = loaded["tapejax"]["archive"], loaded["tensorflow"]["archive"]
    assert ours["signatures"] == ["call", "doubled", "serving_default"]
    np.testing.assert_allclose(ours["doubled"], 2 * np.asarray(ours["call"]), rtol=1e-6)
    _close(ours, theirs, "archive")


def test_concrete_function_variables_as_tensorflow(real_tf):
    def check(tf):
        v = tf.Variable(1.0, name="v")
        w = tf.Variable(2.0, trainable=False, name="w")
        tf.Variable(3.0, name="unused")

        @tf.function
        def f(x):
            w.assign_add(1.0)
            return x * v + w

        cf = f.get_concrete_function(tf.TensorSpec([None]))
        traced = f.get_concrete_function(tf.constant([1.0]))
        return (type(cf.variables).__name__, sorted(x.name for x in cf.variables),
                [x.name for x in cf.trainable_variables],
                sorted(x.name for x in traced.variables),
                cf.pretty_printed_signature(verbose=False))

    assert check(tapejax) == check(real_tf)


def test_module_holding_a_trackable_saves_and_loads_as_tensorflow(real_tf, tmp_path):
    def check(tf, name):
        holder = tf.Module()
        holder.layer = tf.__internal__.tracking.AutoTrackable()
        holder.layer.w = tf.Variable(3.0)
        holder.f = tf.function(lambda x: x * holder.layer.w,
                               input_signature=[tf.TensorSpec([], tf.float32)])
        tf.saved_model.save(holder, str(tmp_path / name))
        loaded = tf.saved_model.load(str(tmp_path / name))
        loaded.layer.w.assign(4.0)
        return (float(loaded.f(tf.constant(2.0))), sorted(loaded.signatures),
                {k: float(v) for k, v in loaded.signatures["serving_default"](
                    x=tf.constant(1.0)).items()})

    assert check(tapejax, "ours") == check(real_tf, "theirs") == (8.0, ["serving_default"],
                                                                   {"output_0": 4.0})


def test_function_aliases_as_tensorflow(real_tf, tmp_path):
    """``SaveOptions(function_aliases=)``, which Keras's ExportArchive passes through."""
    def check(tf, name):
        module = tf.Module()
        module.v = tf.Variable(2.0)
        module.f = tf.function(lambda x: x * module.v, input_signature=[tf.TensorSpec([None])])
        path = str(tmp_path / name)
        tf.saved_model.save(module, path, options=tf.saved_model.SaveOptions(
            function_aliases={"times": module.f}))
        plain = tf.saved_model.load(path)
        loaded = tf.saved_model.load(path, options=tf.saved_model.LoadOptions(
            experimental_load_function_aliases=True))
        return (hasattr(plain, "function_aliases"), sorted(loaded.function_aliases),
                loaded.function_aliases["times"](tf.constant([1.0, 3.0])).numpy().tolist())

    assert check(tapejax, "ours") == check(real_tf, "theirs") == (False, ["times"], [2.0, 6.0])
