"""``tf.train.CheckpointManager``: numbered saves, keeping the newest ``max_to_keep``.

The state file names only complete checkpoints: a new checkpoint is written (atomically) first,
then the state file is replaced (atomically) to name the checkpoints kept, and only then are
the evicted checkpoints' files deleted.
"""
import collections
import os
import time

from . import _bundle, _state


class CheckpointManager:
    """``tf.train.CheckpointManager(checkpoint, directory, max_to_keep, ...)``.

    >>> import tapejax as tf, tempfile
    >>> ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    >>> manager = tf.train.CheckpointManager(ckpt, tempfile.mkdtemp(), max_to_keep=2)
    >>> for _ in range(3):
    ...   _ = manager.save()
    >>> [p.rsplit("-", 1)[1] for p in manager.checkpoints]
    ['2', '3']
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if not checkpoint:
            raise ValueError("`checkpoint` must be a `tf.train.Checkpoint`.")
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not "
                             "None.")
        self._checkpoint = checkpoint
        self._max_to_keep = max_to_keep
        self._keep_every_n_hours = keep_checkpoint_every_n_hours
        self._directory = os.fspath(directory)
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_checkpoint_step = None
        self._kept = collections.OrderedDict()  # path -> timestamp, oldest first
        state = _state.get_checkpoint_state(self._directory)
        now = time.time()
        if state is None:
            self._latest = None
            self._last_preserved = now
            return
        self._latest = state.model_checkpoint_path
        stamps = list(state.all_model_checkpoint_timestamps)
        paths = list(state.all_model_checkpoint_paths)
        if len(stamps) != len(paths):
            stamps = [now] * len(paths)
        for path, stamp in zip(paths, stamps):
            if path.startswith(self._prefix + "-"):  # another writer's files are not managed
                self._kept[path] = stamp
        self._last_preserved = state.last_preserved_timestamp or now

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    @property
    def checkpoints(self):
        """The managed checkpoints' paths, oldest first."""
        return list(self._kept)

    @property
    def latest_checkpoint(self):
        """The newest managed checkpoint's path, or ``None``."""
        return self._latest

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Saves ``<directory>/<checkpoint_name>-<number>``; returns its path, or ``None`` when
        ``checkpoint_interval`` steps have not passed since the last save (or, with
        ``check_interval=False``, when the step has not changed since it)."""
        if options is not None:
            raise NotImplementedError("tapejax checkpoints do not take `options` "
                                      "(tf.train.CheckpointOptions).")
        if self._checkpoint_interval is not None:
            step = int(self._step_counter.numpy())
            last = self._last_checkpoint_step
            if last is not None and (step == last or check_interval and
                                     step < last + self._checkpoint_interval):
                return None  # TF: never twice at one step, even with check_interval=False
            self._last_checkpoint_step = step
        counter = self._checkpoint.save_counter
        before = counter.numpy()
        counter.assign_add(1)
        number = int(before) + 1 if checkpoint_number is None else int(checkpoint_number)
        path = f"{self._prefix}-{number}"
        try:
            self._checkpoint.write(path)
        except BaseException:
            counter.assign(before)
            raise
        self._kept.pop(path, None)
        self._kept[path] = time.time()
        self._latest = path
        evicted = self._sweep()
        _state.update_checkpoint_state(self._directory, path, list(self._kept),
                                       list(self._kept.values()), self._last_preserved)
        for old in evicted:
            _delete(old)
        return path

    def _sweep(self):
        """Drops the oldest checkpoints beyond ``max_to_keep`` (keeping one every
        ``keep_checkpoint_every_n_hours``); returns those whose files must go."""
        evicted = []
        if self._max_to_keep is None:
            return evicted
        while len(self._kept) > self._max_to_keep:
            path, stamp = self._kept.popitem(last=False)
            if self._keep_every_n_hours is not None and \
                    stamp - self._keep_every_n_hours * 3600 >= self._last_preserved:
                self._last_preserved = stamp
                continue
            evicted.append(path)
        return evicted

    def restore_or_initialize(self):
        """Restores the latest checkpoint (returns its path) or runs ``init_fn`` (returns
        ``None``)."""
        if self._latest is not None and _state.checkpoint_exists(self._latest):
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None


def _delete(prefix):
    """Removes a checkpoint's index (so it stops existing) and then its data files."""
    directory = os.path.dirname(prefix) or "."
    index = _bundle.index_path(prefix)
    if os.path.exists(index):
        os.remove(index)
    base = os.path.basename(prefix) + ".data-"
    for name in os.listdir(directory):
        if name.startswith(base):
            os.remove(os.path.join(directory, name))
