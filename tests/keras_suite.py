"""Keras 3's own test files (shipped in the wheel, ``keras/src/**/*_test.py``) that pass on
tapejax under ``python -m tapejax run -m pytest``: the one list ``test_keras_real.py`` runs.

Each entry is a path under ``keras/src`` and the tests of that file deselected because they
need a TF feature tapejax lacks (the comment names it). Nothing runs on import."""
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
        # tf.custom_gradient: tapejax counts non-trainable Variables the function reads
        # (int8 kernels) as ones grad_fn must take (TF only trainable ones)
        "DenseTest::test_dense_quantize_config_int4",
        "DenseTest::test_dense_quantize_config_int8",
        "DenseTest::test_dense_quantize_config_int8_weight_only",
        "DenseTest::test_int4_block_size_serialization_grouped_block_128",
        "DenseTest::test_int4_block_size_serialization_grouped_block_64",
        "DenseTest::test_int4_block_size_serialization_per_channel_none",
        "DenseTest::test_int4_block_size_with_lora_grouped_block_64",
        "DenseTest::test_int4_block_size_with_lora_per_channel",
        "DenseTest::test_int4_quantization_block_size_grouped_block_128",
        "DenseTest::test_int4_quantization_block_size_grouped_block_64",
        "DenseTest::test_int4_quantization_block_size_per_channel_neg1",
        "DenseTest::test_int4_quantization_block_size_per_channel_none",
        "DenseTest::test_int4_subchannel_g_idx_serialization",
        "DenseTest::test_quantize_dtype_argument_int4",
        "DenseTest::test_quantize_dtype_argument_int8",
        "DenseTest::test_quantize_int_int4",
        "DenseTest::test_quantize_int_int8",
        "DenseTest::test_quantize_lora_integration_int4",
        "DenseTest::test_quantize_lora_integration_int8",
        # tf.nn.embedding_lookup_sparse
        "DenseTest::test_dense_sparse",
        # the float8_e4m3fn dtype; DType.is_numeric
        "DenseTest::test_quantize_dtype_argument_float8",
        "DenseTest::test_quantize_float8_inference",
        "DenseTest::test_quantize_float8",
        "DenseTest::test_quantize_float8_fitting",
        # tf.convert_to_tensor(TensorShape)
        "DenseTest::test_awq_kernel_packing",
        "DenseTest::test_gptq_kernel_packing",
    ],
    "losses/loss_test.py": [],
    "metrics/accuracy_metrics_test.py": [],
}


def run_file(path, deselected=(), tapejax=True, timeout=900):
    """Runs one Keras test file with pytest (on tapejax through the runner, or on TF)."""
    import keras
    source = pathlib.Path(keras.__file__).parent / "src" / path
    env = dict(os.environ, PYTHONPATH=str(ROOT), KERAS_BACKEND="tensorflow",
               TF_CPP_MIN_LOG_LEVEL="3")
    runner = [sys.executable, "-m", "tapejax", "run", "-m"] if tapejax else [sys.executable, "-m"]
    args = ["pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", ".",
            "-W", "ignore", source.name]
    for test in deselected:
        args += ["--deselect", f"{source.name}::{test}"]
    return subprocess.run(runner + args, capture_output=True, text=True, env=env,
                          cwd=source.parent, timeout=timeout)
