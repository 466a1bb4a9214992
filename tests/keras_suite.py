"""Keras 3's own test files (shipped in the wheel, ``keras/src/**/*_test.py``) that pass on
tapejax under ``python -m tapejax run -m pytest``: the one list ``test_keras_real.py`` runs.

Each entry is a path under ``keras/src`` and the tests of that file deselected because they
need a TF feature tapejax lacks (the comment names it). ``SELECT`` narrows a long file to a
``-k`` selection, to keep the run within a few minutes on two cores. ``COUNTS`` records what the
selection gives on tapejax and on real TensorFlow (``passed``, ``failed``/``errors``) when
measured. Nothing runs on import."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

FILES = {
    "activations/activations_test.py": [],
    "layers/activations/activation_test.py": [],
    "layers/activations/elu_test.py": [],
    "layers/activations/leaky_relu_test.py": [],
    "layers/activations/prelu_test.py": [],
    "layers/activations/relu_test.py": [],
    "layers/activations/softmax_test.py": [],
    "layers/core/identity_test.py": [],
    "layers/core/dense_test.py": [
        # tf.data.Dataset.from_generator yielding SparseTensors
        "DenseTest::test_dense_sparse",
        # the float8_e4m3fn dtype
        "DenseTest::test_quantize_dtype_argument_float8",
        "DenseTest::test_quantize_float8_inference",
        "DenseTest::test_quantize_float8",
        "DenseTest::test_quantize_float8_fitting",
    ],
    "layers/regularization/dropout_test.py": [],
    "layers/regularization/gaussian_noise_test.py": [],
    "layers/core/embedding_test.py": [],
    "layers/rnn/gru_test.py": [],
    "layers/rnn/lstm_test.py": [],
    "losses/loss_test.py": [],
    "losses/losses_test.py": [],
    "metrics/accuracy_metrics_test.py": [],
    "metrics/probabilistic_metrics_test.py": [],
    "metrics/regression_metrics_test.py": [],
    "layers/attention/attention_test.py": [],
    "layers/pooling/max_pooling_test.py": [],
    "models/sequential_test.py": [],
    "models/model_test.py": [
        # tf.data elements holding None (an optional model input passed as None)
        "ModelTest::test_functional_optional_inputs_optional_none",
        # the float8_e4m3fn dtype
        "ModelTest::test_quantize_float8",
    ],
    "optimizers/sgd_test.py": [],
    "callbacks/early_stopping_test.py": [],
    "callbacks/reduce_lr_on_plateau_test.py": [],
    "saving/saving_api_test.py": [],
    "layers/preprocessing/image_preprocessing/random_rotation_test.py": [],
    "layers/preprocessing/image_preprocessing/random_zoom_test.py": [],
    "layers/preprocessing/image_preprocessing/random_translation_test.py": [],
    "layers/preprocessing/image_preprocessing/random_hue_test.py": [],
    "layers/preprocessing/image_preprocessing/random_saturation_test.py": [],
    "layers/preprocessing/image_preprocessing/random_brightness_test.py": [],
    "layers/preprocessing/image_preprocessing/random_contrast_test.py": [],
    "layers/preprocessing/image_preprocessing/random_gaussian_blur_test.py": [],
    "export/saved_model_test.py": [
        # tf.lookup (StaticHashTable, StringLookup's tables)
        "ExportArchiveTest::test_model_combined_with_tf_preprocessing",
        "ExportArchiveTest::test_model_with_lookup_table",
        "ExportArchiveTest::test_model_with_tracked_collection",
        # a random op with a dynamic shape under a None batch (stateless_uniform of
        # tf.shape(x)): jax.export needs its static size
        "ExportSavedModelTest::test_model_with_rng_export_functional",
        "ExportSavedModelTest::test_model_with_rng_export_sequential",
        "ExportSavedModelTest::test_model_with_rng_export_subclass",
        # a reshape to tf.shape(x)[0] under a None batch (Flatten) at export
        "ExportArchiveTest::test_export_no_assets",
    ],
}


SELECT = {
    "layers/core/embedding_test.py":
        "basics or correctness or masking or invalid or constraints or weights_constructor",
    "layers/rnn/gru_test.py": "correctness",
    "layers/rnn/lstm_test.py": "correctness",
}

# Measured with this file's run_file (one run each, on a shared 2-core machine): tapejax and,
# where run, real TF. The SELECT entries count their selection.
COUNTS = {
    "layers/regularization/dropout_test.py": {"tapejax": "14 passed", "tf": "14 passed"},
    "layers/regularization/gaussian_noise_test.py": {"tapejax": "2 passed", "tf": "2 passed"},
    "layers/core/embedding_test.py": {"tapejax": "11 passed"},
    "losses/losses_test.py": {"tapejax": "166 passed, 1 skipped", "tf": "166 passed, 1 skipped"},
    "layers/core/dense_test.py": {"tapejax": "67 passed, 5 deselected above"},
    "metrics/probabilistic_metrics_test.py": {"tapejax": "26 passed"},
    "metrics/regression_metrics_test.py": {"tapejax": "36 passed"},
    "layers/attention/attention_test.py": {"tapejax": "32 passed"},
    "layers/pooling/max_pooling_test.py": {"tapejax": "24 passed"},
    "models/sequential_test.py": {"tapejax": "19 passed"},
    "models/model_test.py": {"tapejax": "70 passed, 2 deselected above"},
    "optimizers/sgd_test.py": {"tapejax": "7 passed"},
    "callbacks/early_stopping_test.py": {"tapejax": "7 passed"},
    "callbacks/reduce_lr_on_plateau_test.py": {"tapejax": "6 passed"},
    "saving/saving_api_test.py": {"tapejax": "62 passed, 7 skipped"},
    "export/saved_model_test.py": {"tapejax": "45 passed, 16 skipped, 7 deselected above",
                                   "tf": "52 passed, 16 skipped"},
    "layers/rnn/gru_test.py": {"tapejax": "2 passed", "tf": "2 passed"},
    "layers/rnn/lstm_test.py": {"tapejax": "2 passed", "tf": "2 passed"},
    "layers/preprocessing/image_preprocessing/random_rotation_test.py":
        {"tapejax": "8 passed", "tf": "8 passed"},
    "layers/preprocessing/image_preprocessing/random_zoom_test.py":
        {"tapejax": "15 passed", "tf": "15 passed"},
    "layers/preprocessing/image_preprocessing/random_translation_test.py":
        {"tapejax": "27 passed", "tf": "27 passed"},
    "layers/preprocessing/image_preprocessing/random_hue_test.py":
        {"tapejax": "7 passed", "tf": "7 passed"},
    "layers/preprocessing/image_preprocessing/random_saturation_test.py":
        {"tapejax": "7 passed", "tf": "7 passed"},
    "layers/preprocessing/image_preprocessing/random_brightness_test.py":
        {"tapejax": "12 passed", "tf": "12 passed"},
    "layers/preprocessing/image_preprocessing/random_contrast_test.py":
        {"tapejax": "5 passed", "tf": "5 passed"},
    "layers/preprocessing/image_preprocessing/random_gaussian_blur_test.py":
        {"tapejax": "5 passed", "tf": "5 passed"},
}

# Measured too, left out of FILES for the time they take (minutes each on two cores).
MEASURED_ELSEWHERE = {
    "layers/core/einsum_dense_test.py": {
        "tapejax": "95 passed, 4 failed (float8)"},
    "layers/regularization/gaussian_dropout_test.py": {"tapejax": "2 passed", "tf": "2 passed"},
    "layers/regularization/spatial_dropout_test.py": {"tapejax": "9 passed"},
    "layers/normalization/batch_normalization_test.py": {"tapejax": "33 passed, 3 errors"},
    "layers/core/embedding_test.py": {"tapejax": "46 passed, 5 failed"},
    "layers/rnn/lstm_test.py -k 'basics or correctness or initial_state or masking'":
        {"tapejax": "5 passed"},
    "layers/rnn/gru_test.py -k 'basics or correctness or initial_state or return_state or "
    "masking'": {"tapejax": "6 passed"},
    "layers/preprocessing/image_preprocessing/center_crop_test.py": {"tapejax": "15 passed"},
    "layers/preprocessing/image_preprocessing/random_shear_test.py": {"tapejax": "10 passed"},
    "layers/preprocessing/image_preprocessing/random_perspective_test.py":
        {"tapejax": "9 passed"},
    "layers/preprocessing/image_preprocessing/random_crop_test.py": {"tapejax": "7 passed"},
    "layers/preprocessing/image_preprocessing/random_elastic_transform_test.py":
        {"tapejax": "5 passed"},
    "layers/preprocessing/image_preprocessing/random_flip_test.py":
        {"tapejax": "11 passed, 1 failed (test_tf_data_compatibility)"},
}


def run_file(path, deselected=(), tapejax=True, timeout=900, select=None):
    """Runs one Keras test file with pytest (on tapejax through the runner, or on TF)."""
    import keras
    source = pathlib.Path(keras.__file__).parent / "src" / path
    env = dict(os.environ, PYTHONPATH=str(ROOT), KERAS_BACKEND="tensorflow",
               TF_CPP_MIN_LOG_LEVEL="3")
    runner = [sys.executable, "-m", "tapejax", "run", "-m"] if tapejax else [sys.executable, "-m"]
    args = ["pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", ".",
            "-W", "ignore", "-rfE", source.name]
    for test in deselected:
        args += ["--deselect", f"{source.name}::{test}"]
    select = SELECT.get(path) if select is None else select
    if select:
        args += ["-k", select]
    return subprocess.run(runner + args, capture_output=True, text=True, env=env,
                          cwd=source.parent, timeout=timeout)
