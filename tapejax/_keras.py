"""``tf.keras`` (and ``tf.losses``/``metrics``/``optimizers``/``initializers``): the real Keras 3.

As in TF 2.16+, ``tapejax.keras`` is the ``keras`` package on its TensorFlow backend
(``keras._tf_keras.keras``, the module TF's ``tf.keras`` loads), imported on first access.
Keras's TF backend imports ``tensorflow``, so the first access installs the ``tensorflow``
redirect (``compat.install``) in this process: from then on ``import tensorflow`` anywhere in
the process is tapejax, and Keras runs on tapejax's ops, tapes and ``function``. No real
TensorFlow is needed.

Keras binds its backend once per process, when it is imported, so the first access refuses,
with a ``RuntimeError`` saying what to do, a process where:

- the real TensorFlow is already imported (Keras would run on it, or on a mix of both);
- ``keras`` is already imported and not on tapejax (another backend, or real TF);
- ``KERAS_BACKEND`` names a backend other than ``tensorflow`` (unset, it is set to
  ``tensorflow``, overriding ``~/.keras/keras.json`` as TF's ``tf.keras`` needs).
"""
import importlib
import os
import sys

KERAS_ATTRIBUTES = {"keras": None, "losses": "losses", "metrics": "metrics",
                    "optimizers": "optimizers", "initializers": "initializers"}
TF_KERAS = "keras._tf_keras.keras"

REAL_TENSORFLOW_IMPORTED = (
    "`tapejax.{name}` is the real Keras 3 on its TensorFlow backend, run on tapejax, but the "
    "real TensorFlow is already imported in this process, and Keras would bind to it. Use "
    "`tensorflow.keras` for Keras on real TensorFlow; for Keras on tapejax, do not import "
    "tensorflow in this process (or run the program with `python -m tapejax run script.py`, "
    "which makes `import tensorflow` tapejax).")
OTHER_BACKEND = (
    "`tapejax.{name}` is the real Keras 3 on its TensorFlow backend (as TF's `tf.keras`), but "
    "KERAS_BACKEND is {backend!r}. Unset KERAS_BACKEND or set it to 'tensorflow' before the "
    "first use of `tapejax.keras`; for Keras on another backend, `import keras` directly.")


def _real_tensorflow_imported():
    from . import compat
    module = sys.modules.get("tensorflow")
    return module is not None and not isinstance(module, compat.TensorFlowAlias)


def load(name):
    """The module ``tapejax.<name>`` stands for (``name`` in ``KERAS_ATTRIBUTES``)."""
    from . import compat
    keras_imported = "keras" in sys.modules
    if not (keras_imported and compat.installed()):
        if _real_tensorflow_imported():
            raise RuntimeError(REAL_TENSORFLOW_IMPORTED.format(name=name))
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        if backend != "tensorflow" and not keras_imported:
            raise RuntimeError(OTHER_BACKEND.format(name=name, backend=backend))
        if not compat.installed():
            compat.install()  # raises when keras was imported before the redirect
        os.environ["KERAS_BACKEND"] = "tensorflow"
    keras = importlib.import_module("keras")
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(OTHER_BACKEND.format(name=name, backend=keras.backend.backend()))
    module = importlib.import_module(TF_KERAS)
    sub = KERAS_ATTRIBUTES[name]
    return module if sub is None else getattr(module, sub)
