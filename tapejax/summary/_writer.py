"""Summary writers: TF's ``tf.summary.SummaryWriter`` on TensorBoard's event-file pieces.

A file writer keeps up to ``max_queue`` events in memory and writes them, as whole records
(TF's record framing: length, CRC, ``Event`` proto, CRC; ``tapejax._crc32c.frame``), when
the queue grows past ``max_queue``, when ``flush_millis`` have passed since the last flush
(checked on each write, as TF's writer does), on ``flush()``, on leaving ``as_default()`` and
on ``close()``. A flush hands the bytes to the operating system, so every event flushed
before a crash or a ``SIGKILL`` is readable; writers still open when the interpreter exits are
closed then. One lock per writer: threads sharing a writer write whole records, in call order.
"""
import atexit
import collections
import contextlib
import itertools
import os
import socket
import threading
import time
import weakref

import jax
import numpy as np

from .. import _crc32c, errors
from .._host_outputs import HostSlice
from ..tensor import TensorLike
from . import _state

_FILE_NUMBER = itertools.count()  # TF numbers the event files a process opens
_OPEN = weakref.WeakSet()  # file writers still open: flushed when the interpreter exits
_MAX_UNDECIDED = 1000  # events kept waiting for their condition before a write waits for them


def _ready(x):
    """True when a queued value can be read without waiting for the device."""
    if isinstance(x, TensorLike):
        x = x._value
    return x.is_ready() if isinstance(x, (jax.Array, HostSlice)) else True


def _host(x):
    """A queued value as NumPy (waits for a device value to be computed)."""
    if isinstance(x, TensorLike):
        return np.asarray(x._value)
    if isinstance(x, HostSlice):
        return x.numpy()
    return np.asarray(x) if isinstance(x, jax.Array) else x


class SummaryWriter:
    """``tf.summary.SummaryWriter``: the interface of file and no-op writers."""

    def set_as_default(self, step=None):
        """Makes this the default writer of the current thread (and sets the step if given)."""
        self._check_open()
        _state.STATE.writer = self._as_state()
        if step is not None:
            _state.STATE.step = step

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Uses this writer (and ``step``, if given) within the block, then flushes it."""
        self._check_open()
        state = _state.STATE
        old_writer, old_step = state.writer, state.step
        state.writer = self._as_state()
        if step is not None:
            state.step = step
        try:
            yield self
        finally:
            self.flush()
            state.writer = old_writer
            if step is not None:
                state.step = old_step

    def _check_open(self):
        if getattr(self, "_closed", False):
            raise RuntimeError(f"SummaryWriter {self!r} is already closed")

    def _as_state(self):
        return self

    def init(self):
        """Kept for TF 1 compatibility; a no-op, as in TF 2."""

    def flush(self):
        """Writes the queued events to the event file."""

    def close(self):
        """Flushes and closes the writer; later summaries written with it raise."""


class NoopWriter(SummaryWriter):
    """``tf.summary.create_noop_writer()``: while it is the default, summaries are skipped
    (they return False and need no step, as in TF)."""

    def _as_state(self):
        return None


class FileWriter(SummaryWriter):
    """An event file in ``logdir`` in TensorBoard's format (``tf.summary.create_file_writer``)."""

    def __init__(self, logdir, max_queue, flush_millis, filename_suffix):
        from tensorboard.compat.proto import event_pb2
        os.makedirs(logdir, exist_ok=True)
        name = "events.out.tfevents.%010d.%s.%d.%d%s" % (
            time.time(), socket.gethostname(), os.getpid(), next(_FILE_NUMBER), filename_suffix)
        self._path = os.path.join(logdir, name)
        self._file = open(self._path, "wb")
        self._event = event_pb2.Event
        self._lock = threading.Lock()
        self._queue = []  # events to write
        self._pending = collections.deque()  # events whose tensor condition is not read yet
        self._max_queue = max_queue
        self._flush_secs = flush_millis / 1000.0
        self._last_flush = time.monotonic()
        self._closed = False
        first = event_pb2.Event(wall_time=float(int(time.time())), file_version="brain.Event:2")
        first.source_metadata.writer = "tapejax.summary"
        self._file.write(_crc32c.frame(first.SerializeToString()))
        self._file.flush()
        _OPEN.add(self)

    def _add_all(self, items):
        """Queues ``(wall_time, step, tag, metadata, encode, data, condition)`` events.

        Values may be device arrays or Tensors still being computed; nothing waits for them
        until the events are written. A tensor ``condition`` is read once it is computed (or
        at the write): events whose condition is false are dropped and not counted.
        """
        with self._lock:
            if self._closed:
                raise errors.NotFoundError(
                    None, None, f"Resource summary writer of {self._path!r} does not exist "
                                f"(it was closed).")
            self._pending.extend(items)
            self._decide(wait=False)
            if len(self._queue) > self._max_queue or len(self._pending) > _MAX_UNDECIDED or \
                    time.monotonic() - self._last_flush > self._flush_secs:
                self._flush_locked(wait=len(self._queue) > _MAX_UNDECIDED)

    def _decide(self, wait):
        """Moves pending events, oldest first, to the queue once their condition is known."""
        pending = self._pending
        while pending:
            condition = pending[0][-1]
            if condition is not None:
                array = condition._value if isinstance(condition, TensorLike) else condition
                if not wait and isinstance(array, (jax.Array, HostSlice)) and \
                        not array.is_ready():
                    return
                if not bool(_host(array)):
                    pending.popleft()
                    continue
            self._queue.append(pending.popleft())

    def _flush_locked(self, wait=True):
        """Writes the queued events; without ``wait``, only those whose values are computed
        (oldest first), so a training loop never waits for its last step here."""
        self._decide(wait)
        queue = self._queue
        ready = len(queue) if wait else next(
            (k for k, item in enumerate(queue) if not (_ready(item[1]) and _ready(item[5]))),
            len(queue))
        if not ready and not wait:
            return
        self._queue = queue[ready:]
        records, frame = [], _crc32c.frame
        try:
            for wall_time, step, tag, metadata, encode, data, _ in queue[:ready]:
                event = self._event(wall_time=wall_time, step=int(_host(step)))
                if tag is None:  # a serialized Summary (write_raw_pb)
                    event.summary.ParseFromString(data)
                    records.append(frame(event.SerializeToString()))
                    continue
                value = event.summary.value.add(tag=tag, tensor=encode(_host(data)))
                if metadata is not None:
                    value.metadata.CopyFrom(metadata)
                records.append(frame(event.SerializeToString()))
        finally:  # the events framed before a failing one are still written
            self._file.write(b"".join(records))
        self._file.flush()
        self._last_flush = time.monotonic()

    def flush(self):
        with self._lock:
            if not self._closed:
                self._flush_locked()

    def close(self):
        with self._lock:
            if not self._closed:
                self._flush_locked()
                self._file.close()
                self._closed = True

    def __del__(self):  # pragma: no cover - depends on the garbage collector
        try:
            self.close()
        except Exception:  # never raise from a finaliser
            pass


@atexit.register
def _flush_at_exit():
    for writer in list(_OPEN):
        try:
            writer.close()
        except Exception:  # a failing writer must not stop the others
            pass


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """``tf.summary.create_file_writer``: a writer of one new event file in ``logdir``.

    Args:
      logdir: *str.* The directory (created if missing).
      max_queue: *Optional, int.* Events kept in memory before a write. Default 10.
      flush_millis: *Optional, int.* Most milliseconds between writes. Default 120,000.
      filename_suffix: *Optional, str.* Appended to the file name. Default ``".v2"``.
    """
    if experimental_mesh is not None:
        raise NotImplementedError("create_file_writer: experimental_mesh is not supported")
    if logdir is None:
        raise ValueError("Argument `logdir` cannot be None")
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"logdir must be a string or a path, got {logdir!r}")
    max_queue = 10 if max_queue is None else _nonnegative_int("max_queue", max_queue)
    flush_millis = 120000 if flush_millis is None else \
        _nonnegative_int("flush_millis", flush_millis)
    filename_suffix = ".v2" if filename_suffix is None else str(filename_suffix)
    return FileWriter(os.fspath(logdir), max_queue, flush_millis, filename_suffix)


def create_noop_writer():
    """``tf.summary.create_noop_writer``: a writer that writes nothing."""
    return NoopWriter()


def _nonnegative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return int(value)


def flush(writer=None, name=None):
    """``tf.summary.flush``: flushes ``writer`` (default: the default writer)."""
    writer = _state.STATE.writer if writer is None else writer
    if writer is not None:
        writer.flush()
