"""``tf.io``: ``read_file``/``write_file`` (a file's bytes as a string Tensor, and back; host-side,
as every string op in ``ops/host.py``) and ``tf.io.gfile`` on the local file system (Python's
``os``/``shutil``/``glob``), with TF's exception classes and texts.
"""
import errno
import glob as _glob
import os
import shutil

import numpy as np

from . import errors
from .io_records import TFRecordOptions as TFRecordOptions, TFRecordWriter as TFRecordWriter
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


def _not_found(path, message=None):
    return errors.NotFoundError(None, None, message or f"{path}; No such file or directory")


def _check_move(src, dst, overwrite):
    if not os.path.exists(src):
        raise _not_found(src)
    if os.path.exists(dst) and not overwrite:
        raise errors.AlreadyExistsError(None, None, "file already exists")


class gfile:  # TF's namespace
    """``tf.io.gfile``: file operations for local paths."""

    @staticmethod
    def exists(path):
        """True when ``path`` exists."""
        return os.path.exists(path)

    @staticmethod
    def isdir(path):
        """True when ``path`` is a directory."""
        return os.path.isdir(path)

    @staticmethod
    def listdir(path):
        """The names in directory ``path`` (unsorted, as TF)."""
        if not os.path.isdir(path):
            raise _not_found(path, f"Could not find directory {path}")
        return os.listdir(path)

    @staticmethod
    def glob(pattern):
        """The paths matching ``pattern``."""
        return _glob.glob(pattern)

    @staticmethod
    def makedirs(path):
        """Creates ``path`` and its missing parents (an existing directory is fine)."""
        os.makedirs(path, exist_ok=True)

    @staticmethod
    def mkdir(path):
        """Creates directory ``path`` (its parent must exist; an existing one is fine, as TF)."""
        if os.path.isdir(path):
            return
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise _not_found(path)
        os.mkdir(path)

    @staticmethod
    def remove(path):
        """Deletes file ``path``."""
        if not os.path.exists(path):
            raise _not_found(path)
        os.remove(path)

    @staticmethod
    def rmtree(path):
        """Deletes directory ``path`` and everything under it."""
        if not os.path.exists(path):
            raise _not_found(path, f"{path} not found")
        shutil.rmtree(path)

    @staticmethod
    def rename(src, dst, overwrite=False):
        """Renames ``src`` to ``dst`` (an existing ``dst`` needs ``overwrite=True``)."""
        _check_move(src, dst, overwrite)
        os.replace(src, dst)

    @staticmethod
    def copy(src, dst, overwrite=False):
        """Copies file ``src`` to ``dst`` (an existing ``dst`` needs ``overwrite=True``)."""
        _check_move(src, dst, overwrite)
        shutil.copyfile(src, dst)

    class GFile:
        """``tf.io.gfile.GFile(name, mode="r")``: a file object (``read``, ``write``,
        ``readline(s)``, iteration, ``with``); a missing file is TF's ``NotFoundError``."""

        def __init__(self, name, mode="r"):
            self.name, self.mode = name, mode
            self._file = None

        def _open(self):
            if self._file is None:
                try:
                    self._file = open(self.name, self.mode)  # closed by close()
                except FileNotFoundError:
                    raise _not_found(self.name) from None
            return self._file

        def read(self, n=-1):
            return self._open().read(n)

        def readline(self):
            return self._open().readline()

        def readlines(self):
            return self._open().readlines()

        def write(self, data):
            self._open().write(data)

        def flush(self):
            self._open().flush()

        def seek(self, offset, whence=0):
            return self._open().seek(offset, whence)

        def tell(self):
            return self._open().tell()

        def __iter__(self):
            return iter(self._open())

        def close(self):
            if self._file is not None:
                self._file.close()
                self._file = None

        def __enter__(self):
            return self

        def __del__(self):  # a GFile read without ``with`` is closed when dropped, as TF's
            self.close()

        def __exit__(self, *exc_info):
            self.close()

    Open = GFile
