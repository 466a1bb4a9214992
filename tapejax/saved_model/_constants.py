"""``tf.saved_model``'s constants (same values as TensorFlow's) and tapejax's file names."""
ASSETS_DIRECTORY = "assets"
ASSETS_KEY = "saved_model_assets"
DEBUG_DIRECTORY = "debug"
DEBUG_INFO_FILENAME_PB = "saved_model_debug_info.pb"
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"
GPU = "gpu"
TPU = "tpu"
SERVING = "serve"
TRAINING = "train"
SAVED_MODEL_FILENAME_PB = "saved_model.pb"
SAVED_MODEL_FILENAME_PBTXT = "saved_model.pbtxt"
SAVED_MODEL_SCHEMA_VERSION = 1
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
CLASSIFY_INPUTS = "inputs"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
CLASSIFY_OUTPUT_CLASSES = "classes"
CLASSIFY_OUTPUT_SCORES = "scores"
PREDICT_INPUTS = "inputs"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
PREDICT_OUTPUTS = "outputs"
REGRESS_INPUTS = "inputs"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"
REGRESS_OUTPUTS = "outputs"

TAPEJAX_FILENAME = "tapejax_saved_model.json"  # the object graph, functions and signatures
FORMAT_VERSION = 1
PLATFORMS = ("cpu", "cuda")  # jax.export targets of every saved function

# Inputs of unknown rank (``TensorSpec(None)``) are exported once per rank 0..MAX_UNKNOWN_RANK
# (``jax.export`` has symbolic dimensions, not symbolic ranks); at most this many of them.
MAX_UNKNOWN_RANK = 6
MAX_UNKNOWN_RANK_INPUTS = 1
