"""The ``checkpoint`` state file (a ``CheckpointState`` text proto) and ``latest_checkpoint``.

The file is rewritten whole: to a temporary name, fsynced, then renamed over the old one, so a
reader sees the old state or the new one, never a torn file. It is parsed with protobuf's text
format parser, which builds a message and runs nothing.
"""
import os
import tempfile

from google.protobuf import text_format

from . import _bundle, _protos

STATE_FILENAME = "checkpoint"


def _absolute(directory, path):
    return path if os.path.isabs(path) else os.path.join(directory, path)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """``tf.train.get_checkpoint_state``: the directory's ``CheckpointState``, or ``None``.

    Relative paths in the file are returned joined to ``checkpoint_dir``, as TF does.
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    path = os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    state = _protos.CheckpointState()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError:
        return None  # TF logs and treats an unreadable state file as absent
    if not state.model_checkpoint_path:
        return None
    state.model_checkpoint_path = _absolute(checkpoint_dir, state.model_checkpoint_path)
    for k, p in enumerate(state.all_model_checkpoint_paths):
        state.all_model_checkpoint_paths[k] = _absolute(checkpoint_dir, p)
    return state


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths,
                            timestamps=None, last_preserved_timestamp=None):
    """Atomically replaces ``save_dir/checkpoint``; paths inside ``save_dir`` are stored
    relative to it (TF's ``save_relative_paths=True``)."""
    def rel(p):
        return os.path.relpath(p, save_dir) if os.path.dirname(os.path.abspath(p)) == \
            os.path.abspath(save_dir) else p
    state = _protos.CheckpointState(model_checkpoint_path=rel(model_checkpoint_path),
                                    all_model_checkpoint_paths=[rel(p) for p in
                                                                all_model_checkpoint_paths])
    if timestamps is not None:
        state.all_model_checkpoint_timestamps.extend(timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    os.makedirs(save_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp_checkpoint_", dir=save_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text_format.MessageToString(state))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(save_dir, STATE_FILENAME))
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _bundle._fsync_dir(save_dir)


def checkpoint_exists(prefix):
    return os.path.exists(_bundle.index_path(prefix))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """``tf.train.latest_checkpoint``: the newest checkpoint's prefix, or ``None``.

    Only a checkpoint whose ``.index`` exists is returned (an index is renamed into place
    after its data, so it names a complete checkpoint).
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path
