"""``tf.train.load_checkpoint``, ``list_variables``, ``load_variable`` and ``CheckpointReader``."""
import os

import numpy as np

from .. import dtypes, errors
from . import _bundle, _state

_STRING = dtypes.DType(np.dtype(object), "string")


def _not_found(path):
    return errors.NotFoundError(None, None, "Unsuccessful TensorSliceReader constructor: "
                                f"Failed to find any matching files for {path}")


class CheckpointReader:
    """``tf.train.CheckpointReader``: the tensors of one checkpoint, by key.

    >>> import tapejax as tf, tempfile, os
    >>> path = tf.train.Checkpoint(v=tf.Variable(2.0)).write(
    ...     os.path.join(tempfile.mkdtemp(), "ckpt"))
    >>> float(tf.train.load_checkpoint(path).get_tensor("v/.ATTRIBUTES/VARIABLE_VALUE"))
    2.0
    """

    def __init__(self, filepattern):
        filepattern = os.fspath(filepattern)
        if not os.path.exists(_bundle.index_path(filepattern)):
            raise _not_found(filepattern)
        self._bundle = _bundle.BundleReader(filepattern)

    def has_tensor(self, name):
        return name in self._bundle.entries

    def get_tensor(self, name):
        """The tensor's value as NumPy (a NumPy scalar or ``bytes`` for a scalar)."""
        if name not in self._bundle.entries:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
        value = self._bundle.read(name)
        return value[()] if value.ndim == 0 else value

    def get_variable_to_shape_map(self):
        return {k: list(e.shape) for k, e in self._bundle.entries.items()}

    def get_variable_to_dtype_map(self):
        return {k: _STRING if e.dtype == _bundle.STRING else
                dtypes.from_numpy(_bundle.NUMPY_BY_ENUM[e.dtype])
                for k, e in self._bundle.entries.items()
                if e.dtype == _bundle.STRING or e.dtype in _bundle.NUMPY_BY_ENUM}

    def close(self):
        self._bundle.close()


def _prefix(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = _state.latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {path}")
        return latest
    return path


def load_checkpoint(ckpt_dir_or_file):
    """``tf.train.load_checkpoint``: a ``CheckpointReader`` for a prefix or a directory's
    latest checkpoint."""
    return CheckpointReader(_prefix(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file):
    """``tf.train.list_variables``: ``[(key, shape)]`` sorted by key."""
    reader = load_checkpoint(ckpt_dir_or_file)
    try:
        return sorted(reader.get_variable_to_shape_map().items())
    finally:
        reader.close()


def load_variable(ckpt_dir_or_file, name):
    """``tf.train.load_variable``: one tensor's value (a trailing ``:0`` is ignored)."""
    if name.endswith(":0"):
        name = name[:-2]
    reader = load_checkpoint(ckpt_dir_or_file)
    try:
        return reader.get_tensor(name)
    finally:
        reader.close()
