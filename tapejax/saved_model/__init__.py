"""``tf.saved_model``: ``save`` and ``load`` of Modules with their ``tapejax.function``s, and
of Keras models, layers and ``keras.export.ExportArchive``s (TF's SavedModel view of them,
``_view.py``).

Functions are saved as StableHLO with ``jax.export`` and Variables as a TF-format checkpoint
under ``variables/``; the object graph is ``tapejax_saved_model.json`` (not TF's
``saved_model.pb``, so TensorFlow cannot load these directories). Loading reads JSON, the
checkpoint and serialized StableHLO only: no Python from the files is run.
"""
from . import experimental as experimental
from ._constants import (  # noqa: F401
    ASSETS_DIRECTORY,
    ASSETS_KEY,
    CLASSIFY_INPUTS,
    CLASSIFY_METHOD_NAME,
    CLASSIFY_OUTPUT_CLASSES,
    CLASSIFY_OUTPUT_SCORES,
    DEBUG_DIRECTORY,
    DEBUG_INFO_FILENAME_PB,
    DEFAULT_SERVING_SIGNATURE_DEF_KEY,
    GPU,
    PREDICT_INPUTS,
    PREDICT_METHOD_NAME,
    PREDICT_OUTPUTS,
    REGRESS_INPUTS,
    REGRESS_METHOD_NAME,
    REGRESS_OUTPUTS,
    SAVED_MODEL_FILENAME_PB,
    SAVED_MODEL_FILENAME_PBTXT,
    SAVED_MODEL_SCHEMA_VERSION,
    SERVING,
    TPU,
    TRAINING,
    VARIABLES_DIRECTORY,
    VARIABLES_FILENAME,
)
from ._load import contains_saved_model as contains_saved_model, load as load
from ._options import LoadOptions as LoadOptions, SaveOptions as SaveOptions
from ._save import save as save
