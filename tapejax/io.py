"""``tf.io.read_file`` / ``tf.io.write_file``: a file's bytes as a string Tensor, and back.

Host-side, as every string op (``ops/host.py``); errors are TF's classes and texts.
"""
import errno
import os

import numpy as np

from . import errors
from .strings import _texts
from .tensor import Tensor


def _scalar(value, what, op_name, index):
    texts = _texts(value, op_name, index)
    if texts.ndim:
        raise errors.InvalidArgumentError(None, None, (
            f"{what} tensor must be scalar, but had shape: [{','.join(map(str, texts.shape))}] "
            f"[Op:{op_name}] name: "))
    return texts.item()


_OS_ERRORS = {errno.ENOENT: errors.NotFoundError, errno.EISDIR: errors.FailedPreconditionError,
              errno.EACCES: errors.PermissionDeniedError}


def _os_error(error, path, op_name):
    kind = _OS_ERRORS.get(error.errno, errors.UnknownError)
    return kind(None, None, f"{os.fsdecode(path)}; {error.strerror} [Op:{op_name}] name: ")


def read_file(filename, name=None):
    """``tf.io.read_file``: the whole file as a scalar string Tensor."""
    path = _scalar(filename, "Input filename", "ReadFile", 0)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise _os_error(error, path, "ReadFile") from None
    return Tensor(np.asarray(data, dtype=object))


def write_file(filename, contents, name=None):
    """``tf.io.write_file``: writes ``contents`` (a scalar string) to ``filename``, creating
    missing directories, as TF's kernel; returns None in eager mode, as TF."""
    path = _scalar(filename, "Input filename", "WriteFile", 0)
    data = _scalar(contents, "Contents", "WriteFile", 1)
    try:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    except OSError as error:
        raise _os_error(error, path, "WriteFile") from None
